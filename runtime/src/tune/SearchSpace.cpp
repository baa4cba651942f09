//===- SearchSpace.cpp - The unit cube the search methods work in ---------===//
//
// Every method but grid and manual works in the unit cube: one coordinate in
// [0, 1] per range, linear for uniform ranges, linear in log space for
// log-uniform ones, and for integer and choice ranges one bin of equal width
// per value (a value sits at the centre of its bin, and a coordinate snaps to
// the value of the bin it falls in). toUnit and fromUnit are the two
// directions; fromUnit always gives a legal value.
//
//===----------------------------------------------------------------------===//

#include "tune/SearchSpace.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace kiln {

namespace search {

const char *kindName(Kind kind) {
  switch (kind) {
  case Kind::Uniform:
    return "uniform";
  case Kind::LogUniform:
    return "log-uniform";
  case Kind::Integer:
    return "integer";
  case Kind::Choice:
    return "choice";
  }
  return "?";
}

bool isBinned(const TuneRange &range) {
  return range.kind == Kind::Integer || range.kind == Kind::Choice;
}

size_t binCount(const TuneRange &range) {
  if (range.kind == Kind::Choice)
    return range.choices.size();
  return static_cast<size_t>(range.high - range.low) + 1;
}

size_t choiceIndex(const TuneRange &range, double value) {
  size_t best = 0;
  for (size_t i = 0; i < range.choices.size(); ++i) {
    if (range.choices[i] == value)
      return i;
    if (std::abs(range.choices[i] - value) < std::abs(range.choices[best] - value))
      best = i;
  }
  return best;
}

//===----------------------------------------------------------------------===//
// The unit cube
//===----------------------------------------------------------------------===//

double toUnit(const TuneRange &range, double value) {
  double u = 0;
  switch (range.kind) {
  case Kind::Uniform:
    u = (value - range.low) / (range.high - range.low);
    break;
  case Kind::LogUniform:
    u = std::log(value / range.low) / std::log(range.high / range.low);
    break;
  case Kind::Integer:
    u = (std::round(value) - range.low + 0.5) / static_cast<double>(binCount(range));
    break;
  case Kind::Choice:
    u = (static_cast<double>(choiceIndex(range, value)) + 0.5) /
        static_cast<double>(binCount(range));
    break;
  }
  return std::clamp(u, 0.0, 1.0);
}

double fromUnit(const TuneRange &range, double u) {
  u = std::clamp(u, 0.0, 1.0);
  switch (range.kind) {
  case Kind::Uniform:
    return std::clamp(range.low + u * (range.high - range.low), range.low, range.high);
  case Kind::LogUniform:
    if (u == 0)
      return range.low;
    if (u == 1)
      return range.high;
    return std::clamp(range.low * std::exp(u * std::log(range.high / range.low)), range.low,
                      range.high);
  case Kind::Integer:
  case Kind::Choice: {
    size_t count = binCount(range);
    size_t bin = std::min(static_cast<size_t>(u * static_cast<double>(count)), count - 1);
    return range.kind == Kind::Integer ? range.low + static_cast<double>(bin)
                                       : range.choices[bin];
  }
  }
  return range.low;
}

std::vector<double> toUnit(const std::vector<TuneRange> &space, const TuneConfig &config) {
  std::vector<double> unit(space.size());
  for (size_t i = 0; i < space.size(); ++i)
    unit[i] = toUnit(space[i], config[i]);
  return unit;
}

TuneConfig fromUnit(const std::vector<TuneRange> &space, const std::vector<double> &unit) {
  TuneConfig config(space.size());
  for (size_t i = 0; i < space.size(); ++i)
    config[i] = fromUnit(space[i], unit[i]);
  return config;
}

double sampleValue(const TuneRange &range, Rng &rng) {
  switch (range.kind) {
  case Kind::Uniform:
  case Kind::LogUniform:
    return fromUnit(range, rng.uniform());
  case Kind::Integer:
    return range.low + static_cast<double>(rng.below(binCount(range)));
  case Kind::Choice:
    return range.choices[rng.below(range.choices.size())];
  }
  return range.low;
}

TuneConfig sampleConfig(const std::vector<TuneRange> &space, Rng &rng) {
  TuneConfig config(space.size());
  for (size_t i = 0; i < space.size(); ++i)
    config[i] = sampleValue(space[i], rng);
  return config;
}

std::vector<size_t> rankByLoss(const std::vector<Observation> &results) {
  std::vector<size_t> order(results.size());
  std::iota(order.begin(), order.end(), size_t(0));
  auto key = [&](size_t i) { return isFailure(results[i].loss) ? Infinity : results[i].loss; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  return order;
}

} // namespace search

using namespace search;

std::string validateSpace(const std::vector<TuneRange> &space) {
  if (space.empty())
    return "the search space is empty";
  for (size_t i = 0; i < space.size(); ++i) {
    const TuneRange &range = space[i];
    if (range.name.empty())
      return fmt::format("range {} of the search space has no name", i + 1);
    for (size_t j = 0; j < i; ++j)
      if (space[j].name == range.name)
        return fmt::format("range '{}' appears twice in the search space", range.name);
    std::string where = fmt::format("range '{}' ({})", range.name, kindName(range.kind));
    if (range.kind == Kind::Choice) {
      if (range.choices.empty())
        return fmt::format("{}: no choices", where);
      for (double choice : range.choices)
        if (!std::isfinite(choice))
          return fmt::format("{}: choice {} is not a finite number", where, choice);
      continue;
    }
    if (!std::isfinite(range.low) || !std::isfinite(range.high))
      return fmt::format("{}: bounds [{}, {}] are not finite", where, range.low, range.high);
    if (range.low > range.high)
      return fmt::format("{}: low {} is above high {}", where, range.low, range.high);
    if (range.kind == Kind::Integer) {
      for (double bound : {range.low, range.high})
        if (std::floor(bound) != bound || std::abs(bound) > MaxInteger)
          return fmt::format("{}: bound {} is not an integer", where, bound);
      continue;
    }
    if (range.low == range.high)
      return fmt::format("{}: [{}, {}] is empty", where, range.low, range.high);
    if (range.kind == Kind::LogUniform && range.low <= 0)
      return fmt::format("{}: low must be above 0, got {}", where, range.low);
  }
  return "";
}

std::string formatConfig(const std::vector<TuneRange> &space, const TuneConfig &config) {
  std::string text;
  for (size_t i = 0; i < space.size() && i < config.size(); ++i) {
    if (i > 0)
      text += ' ';
    if (isBinned(space[i]))
      text += fmt::format("{}={}", space[i].name, config[i]);
    else
      text += fmt::format("{}={:.6g}", space[i].name, config[i]);
  }
  return text;
}

} // namespace kiln
