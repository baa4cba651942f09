//===- Parser.h - Recursive-descent parser for model files ------*- C++ -*-===//
#ifndef KILN_FRONTEND_PARSER_H
#define KILN_FRONTEND_PARSER_H

#include "AST.h"
#include "Diagnostics.h"

#include <optional>

namespace kiln {

/// Parses the whole file. On a syntax error, reports it through `diags`
/// (located, with the offending text) and returns std::nullopt. Never throws,
/// never aborts, whatever the bytes of the file are.
std::optional<ast::Model> parseModel(const SourceFile &file, DiagnosticEngine &diags);

} // namespace kiln

#endif // KILN_FRONTEND_PARSER_H
