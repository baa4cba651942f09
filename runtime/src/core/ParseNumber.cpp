//===- ParseNumber.cpp - A number that fills a piece of text --------------===//

#include "core/ParseNumber.h"

#include <charconv>
#include <cstdint>

namespace kiln {

template <typename T> std::optional<T> parseNumber(std::string_view text, bool allowPlus) {
  if (allowPlus && text.size() > 1 && text.front() == '+')
    text.remove_prefix(1);
  T value{};
  const char *end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || stop != end)
    return std::nullopt;
  return value;
}

template std::optional<int64_t> parseNumber<int64_t>(std::string_view, bool);
template std::optional<uint64_t> parseNumber<uint64_t>(std::string_view, bool);
template std::optional<float> parseNumber<float>(std::string_view, bool);
template std::optional<double> parseNumber<double>(std::string_view, bool);

} // namespace kiln
