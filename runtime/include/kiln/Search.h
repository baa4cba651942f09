//===- Search.h - Search methods of the hyperparameter tuner ----*- C++ -*-===//
//
// A search method proposes configurations of a search space (a list of
// TuneRange, see kiln/CompiledModel.h) and learns from their losses. It is an
// ask/tell object: a scheduler calls propose() for each trial it starts,
// possibly several before any result, and report() when a trial ends, in any
// order. Nothing here trains a model or starts a process.
//
//   grid            the Cartesian product of a few values per range
//   random          independent samples per range
//   coarse-to-fine  rounds of random samples, each in a region shrunk around
//                   the best configurations so far
//   bayesian        a Gaussian process on the unit cube, expected improvement
//   genetic         tournament selection, uniform crossover, Gaussian
//                   mutation, elitism
//   manual          the rows of a CSV file
//
// Proposals depend only on the options (seed included) and on the sequence of
// propose() and report() calls: the same seed and the same reports give the
// same trials on every platform (kiln::Rng, no <random> distributions).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_SEARCH_H
#define KILN_SEARCH_H

#include "kiln/CompiledModel.h"
#include "kiln/Result.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// One value per range of the space, in the space's order. Integer and choice
/// ranges hold the value itself (64 for a batch size of 64), never an index.
using TuneConfig = std::vector<double>;

/// The ask/tell interface every method implements.
class SearchMethod {
public:
  virtual ~SearchMethod();

  /// The next configuration to try, or nullopt when the method has nothing
  /// more to try: grid and manual at the end of their list, every method once
  /// it has proposed `budget` configurations (see SearchOptions).
  virtual std::optional<TuneConfig> propose() = 0;

  /// The loss of a finished trial; lower is better, NaN or infinity marks a
  /// failed trial. `config` is normally one that propose() returned (reports
  /// may come in any order); any other configuration of the space is taken
  /// as an extra observation, e.g. a result from an earlier run.
  virtual void report(const TuneConfig &config, double loss) = 0;
};

struct SearchOptions {
  /// grid, random, coarse-to-fine, bayesian, genetic or manual.
  std::string method = "random";
  std::vector<TuneRange> space;
  uint64_t seed = 0;
  /// The most configurations propose() hands out, whatever the method; 0
  /// means no limit (grid and manual still end at the end of their lists, so
  /// a whole grid or file needs 0 or a budget at least its size).
  int64_t budget = 20;

  /// grid: values per continuous range (evenly spaced, geometrically for
  /// log-uniform, both ends included; 1 gives the middle), and per integer
  /// range with more than gridMaxIntegers values. Integer ranges with at most
  /// gridMaxIntegers values and choice ranges give all their values.
  int64_t gridPoints = 3;
  int64_t gridMaxIntegers = 8;

  /// coarse-to-fine: results per round (0: max(5, budget / 5)), how many of
  /// the best results so far define the next region (0: max(2, roundSize /
  /// 2)), the widening of that region on each side as a fraction of its
  /// width, and the least width of a new region as a fraction of the
  /// previous one. Choice ranges narrow from the end of the third round on.
  /// See CoarseToFineSearch in Search.cpp for the whole rule.
  int64_t roundSize = 0;
  int64_t topK = 0;
  double widen = 0.25;
  double minShrink = 0.5;

  /// bayesian: random trials before the Gaussian process takes over (0:
  /// max(3, 2 * ranges)), random candidates over which expected improvement
  /// is maximized, and perturbations around each of the best few results
  /// added to them.
  int64_t initialRandom = 0;
  int64_t candidates = 1000;
  int64_t localCandidates = 100;

  /// genetic: individuals per generation, tournament size, individuals kept
  /// from one generation to the next unchanged (elitism), the chance that a
  /// gene is mutated (0: 1 / ranges; at least one gene of every child is) and
  /// the standard deviation of a mutation in unit space.
  int64_t population = 8;
  int64_t tournament = 3;
  int64_t elites = 2;
  double mutationRate = 0;
  double mutationScale = 0.15;

  /// manual: the CSV file of configurations (see readManualConfigs).
  std::string manualFile;
};

/// The method names makeSearchMethod accepts, in the order of the list above.
const std::vector<std::string> &searchMethodNames();

/// Checks the options (space included, with validateSpace) and builds the
/// method; the manual method reads its file here, so a bad file is an error
/// of this call ("configs.csv:4: lr = 2 is outside [0.0001, 0.1]").
Result<std::unique_ptr<SearchMethod>> makeSearchMethod(const SearchOptions &options);

/// Empty if the space can be searched, else a message naming the first bad
/// range: an empty space, a range with no name or a duplicate name, bounds
/// not finite, low > high, low == high for uniform and log-uniform ranges,
/// log-uniform with low <= 0, integer bounds that are not integers, no
/// choices or a choice that is not finite.
std::string validateSpace(const std::vector<TuneRange> &space);

/// "lr=0.0123 batch=64": continuous values with 6 significant digits, integer
/// and choice values exactly. For display; the config holds the exact values.
std::string formatConfig(const std::vector<TuneRange> &space, const TuneConfig &config);

/// Reads the configurations of the manual method. The file is CSV: a header
/// row naming each range of the space exactly once, in any order, then one
/// configuration per row; everything after `#` on a line is a comment, blank
/// lines are skipped. Every value must lie in its range (an integer for
/// integer ranges, one of the choices for choice ranges). Errors name the
/// file and line: "configs.csv:3: unknown hyperparameter 'lrr'". `space`
/// must pass validateSpace.
Result<std::vector<TuneConfig>> readManualConfigs(const std::string &path,
                                                  const std::vector<TuneRange> &space);

} // namespace kiln

#endif // KILN_SEARCH_H
