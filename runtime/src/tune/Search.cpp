//===- Search.cpp - Search methods of the hyperparameter tuner ------------===//
//
// Every method but grid and manual works in the unit cube: one coordinate in
// [0, 1] per range, linear for uniform ranges, linear in log space for
// log-uniform ones, and for integer and choice ranges one bin of equal width
// per value (a value sits at the centre of its bin, and a coordinate snaps to
// the value of the bin it falls in). toUnit and fromUnit are the two
// directions; fromUnit always gives a legal value.
//
// Each method draws from one kiln::Rng seeded by deriveSeed(seed,
// hashName(method)), and its state changes only in propose() and report(),
// so the same calls give the same proposals.
//
//===----------------------------------------------------------------------===//

#include "kiln/Search.h"
#include "tune/SearchSpace.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace kiln {

SearchMethod::~SearchMethod() = default;

namespace search {

namespace {

/// The values a grid takes along one range.
std::vector<double> gridAxis(const TuneRange &range, const SearchOptions &options) {
  if (range.kind == Kind::Choice)
    return range.choices;
  size_t points = static_cast<size_t>(options.gridPoints);
  if (range.kind == Kind::Integer) {
    size_t count = binCount(range);
    std::vector<double> axis;
    if (count <= static_cast<size_t>(options.gridMaxIntegers) || count <= points) {
      for (size_t i = 0; i < count; ++i)
        axis.push_back(range.low + static_cast<double>(i));
      return axis;
    }
    for (size_t i = 0; i < points; ++i) {
      double t = points == 1 ? 0.5 : static_cast<double>(i) / static_cast<double>(points - 1);
      double value = std::round(range.low + t * (range.high - range.low));
      if (axis.empty() || axis.back() != value)
        axis.push_back(value);
    }
    return axis;
  }
  std::vector<double> axis;
  for (size_t i = 0; i < points; ++i) {
    double t = points == 1 ? 0.5 : static_cast<double>(i) / static_cast<double>(points - 1);
    axis.push_back(fromUnit(range, t));
  }
  return axis;
}

/// The Cartesian product of the axes, the first range varying slowest.
class GridSearch : public BudgetedMethod {
public:
  explicit GridSearch(const SearchOptions &options)
      : BudgetedMethod(options), position(options.space.size(), 0) {
    for (const TuneRange &range : space)
      axes.push_back(gridAxis(range, options));
  }

protected:
  std::optional<TuneConfig> next() override {
    if (done)
      return std::nullopt;
    TuneConfig config(space.size());
    for (size_t i = 0; i < space.size(); ++i)
      config[i] = axes[i][position[i]];
    // Odometer step, last range fastest.
    size_t i = space.size();
    while (i > 0) {
      --i;
      if (++position[i] < axes[i].size())
        return config;
      position[i] = 0;
    }
    done = true;
    return config;
  }

  void record(const TuneConfig &, double) override {}

private:
  std::vector<std::vector<double>> axes;
  std::vector<size_t> position;
  bool done = false;
};

class RandomSearch : public BudgetedMethod {
public:
  using BudgetedMethod::BudgetedMethod;

protected:
  std::optional<TuneConfig> next() override { return sampleConfig(space, rng); }
  void record(const TuneConfig &, double) override {}
};

/// Random sampling in a region of the unit cube that shrinks every roundSize
/// results. After each round the region becomes, per uniform, log-uniform or
/// integer range, the span of the topK best results so far (in unit
/// coordinates), widened by `widen` times that span on each side, at least
/// `minShrink` times as wide as the previous region (grown about its centre
/// otherwise), and moved (not cut) to lie inside [0, 1]. From the end of
/// round ChoiceRounds on, a choice range also keeps only the choices among
/// those topK results: before, the best results are the best mostly by their
/// continuous values, and the choices among them are chance (on the test's
/// bowl, narrowing from the first round on lost the best choice in 47% of
/// the runs, from the third in 18%). Failed trials are never among the best.
/// Proposals made before a round's results are all back sample the region of
/// the rounds before.
class CoarseToFineSearch : public BudgetedMethod {
public:
  explicit CoarseToFineSearch(const SearchOptions &options)
      : BudgetedMethod(options), widen(options.widen), minShrink(options.minShrink) {
    roundSize = options.roundSize > 0 ? options.roundSize : std::max<int64_t>(5, budget / 5);
    topK = options.topK > 0 ? options.topK : std::max<int64_t>(2, roundSize / 2);
    for (const TuneRange &range : space) {
      region.push_back({0.0, 1.0});
      allowed.push_back(range.choices);
    }
  }

protected:
  std::optional<TuneConfig> next() override {
    TuneConfig config(space.size());
    for (size_t i = 0; i < space.size(); ++i) {
      if (space[i].kind == Kind::Choice) {
        config[i] = allowed[i][rng.below(allowed[i].size())];
        continue;
      }
      auto [lo, hi] = region[i];
      config[i] = fromUnit(space[i], rng.uniform(lo, hi));
    }
    return config;
  }

  void record(const TuneConfig &config, double loss) override {
    ++reports;
    if (!isFailure(loss))
      results.push_back({config, loss});
    if (reports % roundSize == 0)
      shrink();
  }

private:
  void shrink() {
    if (results.empty())
      return;
    std::vector<size_t> order = rankByLoss(results);
    order.resize(std::min(order.size(), static_cast<size_t>(topK)));
    for (size_t i = 0; i < space.size(); ++i) {
      const TuneRange &range = space[i];
      if (range.kind == Kind::Choice) {
        if (reports < ChoiceRounds * roundSize)
          continue;
        std::vector<double> kept;
        for (double choice : range.choices)
          for (size_t r : order)
            if (results[r].config[i] == choice) {
              kept.push_back(choice);
              break;
            }
        if (!kept.empty()) // empty only if reports name values that are no choice
          allowed[i] = kept;
        continue;
      }
      double lo = 1, hi = 0;
      for (size_t r : order) {
        double u = toUnit(range, results[r].config[i]);
        lo = std::min(lo, u);
        hi = std::max(hi, u);
      }
      double pad = widen * (hi - lo);
      lo -= pad;
      hi += pad;
      double least = minShrink * (region[i].second - region[i].first);
      if (hi - lo < least) {
        double middle = (lo + hi) / 2;
        lo = middle - least / 2;
        hi = middle + least / 2;
      }
      if (lo < 0) {
        hi -= lo;
        lo = 0;
      }
      if (hi > 1) {
        lo = std::max(0.0, lo - (hi - 1));
        hi = 1;
      }
      region[i] = {lo, hi};
    }
  }

  static constexpr int64_t ChoiceRounds = 3;
  double widen;
  double minShrink;
  int64_t roundSize;
  int64_t topK;
  int64_t reports = 0;
  std::vector<Observation> results; // successful trials only
  std::vector<std::pair<double, double>> region;
  std::vector<std::vector<double>> allowed;
};

//===----------------------------------------------------------------------===//
// Genetic
//===----------------------------------------------------------------------===//

/// A generational genetic algorithm in the unit cube. Generation 0 is random;
/// once `population` results of a generation are back, the next parents are
/// the `elites` best results of all generations so far and the best of the
/// generation just ended, `population` in all. Each child takes two parents,
/// each the best of `tournament` drawn at random; each gene comes from either
/// with equal chance (uniform crossover) and is mutated with probability
/// mutationRate by adding normal(0, mutationScale), reflected into [0, 1];
/// at least one gene of every child is mutated. A failed trial loses every
/// tournament. Proposals are children of the newest parents, so a scheduler
/// may keep more trials out than one generation holds.
class GeneticSearch : public BudgetedMethod {
public:
  explicit GeneticSearch(const SearchOptions &options)
      : BudgetedMethod(options), population(static_cast<size_t>(options.population)),
        tournament(options.tournament), elites(static_cast<size_t>(options.elites)),
        mutationScale(options.mutationScale) {
    mutationRate = options.mutationRate > 0 ? options.mutationRate : 1.0 / double(space.size());
  }

protected:
  std::optional<TuneConfig> next() override {
    TuneConfig config;
    // A child that repeats a configuration already proposed is drawn again,
    // a few times at most (a small discrete space may hold no new one).
    for (int attempt = 0; attempt < 16; ++attempt) {
      config = parents.empty() ? sampleConfig(space, rng) : child();
      if (!proposedBefore.count(config))
        break;
    }
    proposedBefore.insert(config);
    return config;
  }

  void record(const TuneConfig &config, double loss) override {
    generation.push_back({config, isFailure(loss) ? Infinity : loss});
    everyone.push_back(generation.back());
    if (generation.size() >= population)
      advance();
  }

private:
  void advance() {
    std::vector<Observation> next;
    std::set<TuneConfig> kept;
    for (size_t r : rankByLoss(everyone)) {
      if (next.size() >= elites)
        break;
      if (kept.insert(everyone[r].config).second)
        next.push_back(everyone[r]);
    }
    for (size_t r : rankByLoss(generation)) {
      if (next.size() >= population)
        break;
      if (kept.insert(generation[r].config).second)
        next.push_back(generation[r]);
    }
    parents = std::move(next);
    generation.clear();
  }

  const Observation &select() {
    size_t winner = rng.below(parents.size());
    for (int64_t t = 1; t < tournament; ++t) {
      size_t rival = rng.below(parents.size());
      if (parents[rival].loss < parents[winner].loss)
        winner = rival;
    }
    return parents[winner];
  }

  TuneConfig child() {
    std::vector<double> a = toUnit(space, select().config);
    std::vector<double> b = toUnit(space, select().config);
    std::vector<double> u(space.size());
    bool mutated = false;
    for (size_t i = 0; i < space.size(); ++i) {
      u[i] = rng.uniform() < 0.5 ? a[i] : b[i];
      if (rng.uniform() < mutationRate) {
        u[i] = mutate(u[i]);
        mutated = true;
      }
    }
    if (!mutated) {
      size_t i = rng.below(space.size());
      u[i] = mutate(u[i]);
    }
    return fromUnit(space, u);
  }

  double mutate(double u) {
    u += mutationScale * rng.normal();
    // Reflect at the faces (twice covers any step below 1), then clamp.
    for (int i = 0; i < 2; ++i) {
      if (u < 0)
        u = -u;
      if (u > 1)
        u = 2 - u;
    }
    return std::clamp(u, 0.0, 1.0);
  }

  size_t population;
  int64_t tournament;
  size_t elites;
  double mutationRate;
  double mutationScale;
  std::vector<Observation> parents;    // empty until generation 0 is back
  std::vector<Observation> generation; // results of the current generation
  std::vector<Observation> everyone;
  std::set<TuneConfig> proposedBefore;
};

class ManualSearch : public BudgetedMethod {
public:
  ManualSearch(const SearchOptions &options, std::vector<TuneConfig> rows)
      : BudgetedMethod(options), configs(std::move(rows)) {}

protected:
  std::optional<TuneConfig> next() override {
    if (position >= configs.size())
      return std::nullopt;
    return configs[position++];
  }
  void record(const TuneConfig &, double) override {}

private:
  std::vector<TuneConfig> configs;
  size_t position = 0;
};

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

std::optional<Error> atLeast(const char *name, int64_t value, int64_t least) {
  if (value >= least)
    return std::nullopt;
  return Error(fmt::format("search option {} must be at least {}, got {}", name, least, value));
}

std::optional<Error> checkOptions(const SearchOptions &o) {
  std::optional<Error> error;
  if ((error = atLeast("budget", o.budget, 0)))
    return error;
  if (o.method == "grid") {
    if ((error = atLeast("gridPoints", o.gridPoints, 1)) ||
        (error = atLeast("gridMaxIntegers", o.gridMaxIntegers, 0)))
      return error;
  } else if (o.method == "coarse-to-fine") {
    if ((error = atLeast("roundSize", o.roundSize, 0)) || (error = atLeast("topK", o.topK, 0)))
      return error;
    if (!(o.widen >= 0 && o.widen <= 10))
      return Error(fmt::format("search option widen must be in [0, 10], got {}", o.widen));
    if (!(o.minShrink > 0 && o.minShrink <= 1))
      return Error(fmt::format("search option minShrink must be in (0, 1], got {}", o.minShrink));
  } else if (o.method == "bayesian") {
    if ((error = atLeast("initialRandom", o.initialRandom, 0)) ||
        (error = atLeast("candidates", o.candidates, 1)) ||
        (error = atLeast("localCandidates", o.localCandidates, 0)))
      return error;
  } else if (o.method == "genetic") {
    if ((error = atLeast("population", o.population, 2)) ||
        (error = atLeast("tournament", o.tournament, 1)) ||
        (error = atLeast("elites", o.elites, 0)))
      return error;
    if (o.elites >= o.population)
      return Error(fmt::format("search option elites must be below population ({}), got {}",
                               o.population, o.elites));
    if (!(o.mutationRate >= 0 && o.mutationRate <= 1))
      return Error(
          fmt::format("search option mutationRate must be in [0, 1], got {}", o.mutationRate));
    if (!(o.mutationScale > 0 && o.mutationScale <= 1))
      return Error(
          fmt::format("search option mutationScale must be in (0, 1], got {}", o.mutationScale));
  }
  return std::nullopt;
}

} // namespace

} // namespace search

using namespace search;

//===----------------------------------------------------------------------===//
// Public functions
//===----------------------------------------------------------------------===//

const std::vector<std::string> &searchMethodNames() {
  static const std::vector<std::string> names = {"grid",     "random",  "coarse-to-fine",
                                                 "bayesian", "genetic", "manual"};
  return names;
}

Result<std::unique_ptr<SearchMethod>> makeSearchMethod(const SearchOptions &options) {
  const std::vector<std::string> &names = searchMethodNames();
  if (std::find(names.begin(), names.end(), options.method) == names.end())
    return Error(fmt::format("unknown search method '{}' (expected {})", options.method,
                             fmt::join(names, ", ")));
  std::string problem = validateSpace(options.space);
  if (!problem.empty())
    return Error(problem);
  if (std::optional<Error> error = checkOptions(options))
    return *error;

  std::unique_ptr<SearchMethod> method;
  if (options.method == "grid")
    method = std::make_unique<GridSearch>(options);
  else if (options.method == "random")
    method = std::make_unique<RandomSearch>(options);
  else if (options.method == "coarse-to-fine")
    method = std::make_unique<CoarseToFineSearch>(options);
  else if (options.method == "bayesian")
    method = makeBayesianSearch(options);
  else if (options.method == "genetic")
    method = std::make_unique<GeneticSearch>(options);
  else {
    if (options.manualFile.empty())
      return Error("search method manual needs a file of configurations");
    Result<std::vector<TuneConfig>> configs = readManualConfigs(options.manualFile, options.space);
    if (!configs)
      return configs.takeError();
    method = std::make_unique<ManualSearch>(options, std::move(*configs));
  }
  return Result<std::unique_ptr<SearchMethod>>(std::move(method));
}

} // namespace kiln
