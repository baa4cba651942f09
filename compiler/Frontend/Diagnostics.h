//===- Diagnostics.h - Located error reporting ------------------*- C++ -*-===//
//
// Messages in the form
//
//   model.kiln:3:14: error: unknown name 'h3'
//   h2 = relu(dense(h3, 128))
//                   ^
//
// Every stage that reads a model file reports through one DiagnosticEngine.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_DIAGNOSTICS_H
#define KILN_FRONTEND_DIAGNOSTICS_H

#include "AST.h"

#include <ostream>
#include <string>
#include <string_view>

namespace kiln {

/// A model file's name and contents; owns the text that the lexer reads.
class SourceFile {
public:
  SourceFile(std::string path, std::string text);
  /// Reads `path`; returns false (and leaves the object empty) when it cannot.
  static bool read(const std::string &path, SourceFile &out, std::string &error);

  const std::string &path() const { return path_; }
  const std::string &text() const { return text_; }
  /// The text of 1-based line `line`, without its newline; empty when out of range.
  std::string_view line(uint32_t line) const;
  /// The number of lines; text ending in a newline has an empty last line.
  uint32_t lineCount() const;

private:
  std::string path_;
  std::string text_;
};

enum class Severity { Error, Warning, Note };

class DiagnosticEngine {
public:
  DiagnosticEngine(const SourceFile &file, std::ostream &os) : file_(file), os_(os) {}

  /// Prints `path:line:col: <severity>: message`, then the source line and a
  /// caret under `loc.col`. A loc with line 0 prints `path: error: message`.
  void report(Severity severity, ast::SourceLoc loc, std::string_view message);
  void error(ast::SourceLoc loc, std::string_view message) {
    report(Severity::Error, loc, message);
  }
  void note(ast::SourceLoc loc, std::string_view message) {
    report(Severity::Note, loc, message);
  }

  unsigned errorCount() const { return errors_; }
  const SourceFile &file() const { return file_; }

private:
  const SourceFile &file_;
  std::ostream &os_;
  unsigned errors_ = 0;
};

} // namespace kiln

#endif // KILN_FRONTEND_DIAGNOSTICS_H
