//===- Text.cpp - Small pieces of text parsing ----------------------------===//

#include "core/Text.h"

#include <fmt/format.h>

namespace kiln {

namespace {
bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
} // namespace

std::string_view trimBlanks(std::string_view text) {
  while (!text.empty() && isBlank(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && isBlank(text.back()))
    text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> splitCommas(std::string_view text) {
  std::vector<std::string_view> cells;
  while (true) {
    size_t comma = text.find(',');
    cells.push_back(trimBlanks(text.substr(0, comma)));
    if (comma == std::string_view::npos)
      return cells;
    text.remove_prefix(comma + 1);
  }
}

std::string printableText(std::string_view text, size_t maxBytes) {
  std::string shown;
  for (size_t i = 0; i < text.size() && i < maxBytes; ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\\')
      shown += "\\\\";
    else if (byte < 0x20 || byte >= 0x7f)
      shown += fmt::format("\\x{:02x}", byte);
    else
      shown += static_cast<char>(byte);
  }
  if (text.size() > maxBytes)
    shown += "...";
  return shown;
}

} // namespace kiln
