//===- SearchSpace.h - The unit cube the search methods work in -*- C++ -*-===//
//
// What the search methods share: the map between a configuration and the
// unit cube (toUnit, fromUnit), draws from a range, results ranked by loss,
// and the base class that counts proposals against the budget.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNE_SEARCHSPACE_H
#define KILN_TUNE_SEARCHSPACE_H

#include "core/Random.h"
#include "kiln/Search.h"

#include <cassert>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

namespace kiln::search {

using Kind = TuneRange::Kind;

constexpr double Infinity = std::numeric_limits<double>::infinity();
// Integer bounds are stored as doubles; beyond 2^53 they are not exact.
constexpr double MaxInteger = 9007199254740992.0;

/// "uniform", "log-uniform", "integer" or "choice".
const char *kindName(Kind kind);
/// Integer and choice ranges: one bin of the unit interval per value.
bool isBinned(const TuneRange &range);
/// Values of an integer or choice range.
size_t binCount(const TuneRange &range);
/// The index of a choice value; the nearest choice for a value that is none.
size_t choiceIndex(const TuneRange &range, double value);

/// A value's coordinate in [0, 1], and back; fromUnit always gives a legal
/// value.
double toUnit(const TuneRange &range, double value);
double fromUnit(const TuneRange &range, double u);
std::vector<double> toUnit(const std::vector<TuneRange> &space, const TuneConfig &config);
TuneConfig fromUnit(const std::vector<TuneRange> &space, const std::vector<double> &unit);

/// One value drawn from the range's own distribution: uniform, log-uniform,
/// uniform over the integers, uniform over the choices.
double sampleValue(const TuneRange &range, Rng &rng);
TuneConfig sampleConfig(const std::vector<TuneRange> &space, Rng &rng);

inline bool isFailure(double loss) { return !std::isfinite(loss); }

struct Observation {
  TuneConfig config;
  double loss;
};

/// Indices of `results` by increasing loss, failures last, ties in the order
/// of reporting.
std::vector<size_t> rankByLoss(const std::vector<Observation> &results);

/// Counts proposals against the budget; subclasses say what comes next.
class BudgetedMethod : public SearchMethod {
public:
  explicit BudgetedMethod(const SearchOptions &options)
      : space(options.space), budget(options.budget),
        rng(deriveSeed(options.seed, hashName(options.method))) {}

  std::optional<TuneConfig> propose() final {
    if (budget > 0 && proposed >= budget)
      return std::nullopt;
    std::optional<TuneConfig> config = next();
    if (config)
      ++proposed;
    return config;
  }

  void report(const TuneConfig &config, double loss) final {
    assert(config.size() == space.size() && "a configuration of another space");
    record(config, loss);
  }

protected:
  virtual std::optional<TuneConfig> next() = 0;
  virtual void record(const TuneConfig &config, double loss) = 0;

  std::vector<TuneRange> space;
  int64_t budget;
  int64_t proposed = 0;
  Rng rng;
};

/// The Gaussian-process method (BayesianSearch.cpp); `options` are checked.
std::unique_ptr<SearchMethod> makeBayesianSearch(const SearchOptions &options);

} // namespace kiln::search

#endif // KILN_TUNE_SEARCHSPACE_H
