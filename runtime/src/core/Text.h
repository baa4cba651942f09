//===- Text.h - Small pieces of text parsing ---------------------*- C++ -*-===//
//
// What the runtime's little parsers share (tune ranges, manual tuning
// configurations, initializer specs): blanks trimmed, comma-separated cells,
// and text from a file made safe to print. Numbers come from
// core/ParseNumber.h.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CORE_TEXT_H
#define KILN_RUNTIME_CORE_TEXT_H

#include <string>
#include <string_view>
#include <vector>

namespace kiln {

/// `text` without the spaces, tabs and carriage returns at either end.
std::string_view trimBlanks(std::string_view text);

/// The cells of "a, b ,c", each trimmed; one (maybe empty) cell per comma
/// plus one.
std::vector<std::string_view> splitCommas(std::string_view text);

/// `text` as a message may echo it: bytes below 0x20, 0x7f, bytes from
/// 0x80 and backslashes written as "\x1b" and "\\", so that no escape
/// sequence from a file reaches the terminal; at most `maxBytes` bytes of
/// `text` are shown, then "...".
std::string printableText(std::string_view text, size_t maxBytes = 64);

} // namespace kiln

#endif // KILN_RUNTIME_CORE_TEXT_H
