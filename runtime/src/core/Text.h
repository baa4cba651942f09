//===- Text.h - Small pieces of text parsing ---------------------*- C++ -*-===//
//
// What the runtime's little parsers share (tune ranges, manual tuning
// configurations, initializer specs): blanks trimmed and comma-separated
// cells. Numbers come from core/ParseNumber.h.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CORE_TEXT_H
#define KILN_RUNTIME_CORE_TEXT_H

#include <string_view>
#include <vector>

namespace kiln {

/// `text` without the spaces, tabs and carriage returns at either end.
std::string_view trimBlanks(std::string_view text);

/// The cells of "a, b ,c", each trimmed; one (maybe empty) cell per comma
/// plus one.
std::vector<std::string_view> splitCommas(std::string_view text);

} // namespace kiln

#endif // KILN_RUNTIME_CORE_TEXT_H
