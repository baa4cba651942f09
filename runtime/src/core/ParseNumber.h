//===- ParseNumber.h - A number that fills a piece of text ------*- C++ -*-===//
//
// How the runtime reads a piece of text that must be one number (a CSV cell,
// say): std::from_chars over the whole text, locale-free, so that "1.5",
// "-2", "3e-4" and "nan" read alike everywhere and "1.5x" or "" is no
// number. Internal to the runtime; not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CORE_PARSENUMBER_H
#define KILN_RUNTIME_CORE_PARSENUMBER_H

#include <optional>
#include <string_view>

namespace kiln {

/// The whole of `text` as a T (int64_t, uint64_t, float or double), or
/// nothing when `text` is empty or holds anything besides the number. Like
/// std::from_chars, takes no leading '+' unless `allowPlus` (data files and
/// model files often carry one: "+3e-4").
template <typename T> std::optional<T> parseNumber(std::string_view text, bool allowPlus = false);

} // namespace kiln

#endif // KILN_RUNTIME_CORE_PARSENUMBER_H
