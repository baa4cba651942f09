//===- BayesianSearch.cpp - Bayesian optimization of hyperparameters ------===//
//
// A Gaussian process on the unit cube (see tune/SearchSpace.h) and expected
// improvement over random and local candidates.
//
//===----------------------------------------------------------------------===//

#include "tune/SearchSpace.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace kiln::search {

namespace {

//===----------------------------------------------------------------------===//
// Gaussian process
//===----------------------------------------------------------------------===//

/// In-place Cholesky factorisation of the n x n symmetric matrix `a`
/// (row-major; only the lower triangle is read and written). False if `a` is
/// not positive definite.
bool cholesky(std::vector<double> &a, size_t n) {
  for (size_t j = 0; j < n; ++j) {
    double diagonal = a[j * n + j];
    for (size_t k = 0; k < j; ++k)
      diagonal -= a[j * n + k] * a[j * n + k];
    if (!(diagonal > 0))
      return false;
    double ljj = std::sqrt(diagonal);
    a[j * n + j] = ljj;
    for (size_t i = j + 1; i < n; ++i) {
      double sum = a[i * n + j];
      for (size_t k = 0; k < j; ++k)
        sum -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = sum / ljj;
    }
  }
  return true;
}

/// Solves L x = b in place (L lower triangular, from cholesky).
void solveLower(const std::vector<double> &l, size_t n, std::vector<double> &b) {
  for (size_t i = 0; i < n; ++i) {
    double sum = b[i];
    for (size_t k = 0; k < i; ++k)
      sum -= l[i * n + k] * b[k];
    b[i] = sum / l[i * n + i];
  }
}

/// Solves L^T x = b in place.
void solveUpper(const std::vector<double> &l, size_t n, std::vector<double> &b) {
  for (size_t i = n; i-- > 0;) {
    double sum = b[i];
    for (size_t k = i + 1; k < n; ++k)
      sum -= l[k * n + i] * b[k];
    b[i] = sum / l[i * n + i];
  }
}

/// Matérn 5/2 with unit signal variance.
double matern52(const std::vector<double> &a, const std::vector<double> &b, double lengthScale) {
  double squared = 0;
  for (size_t i = 0; i < a.size(); ++i)
    squared += (a[i] - b[i]) * (a[i] - b[i]);
  double r = std::sqrt(5.0 * squared) / lengthScale;
  return (1 + r + r * r / 3) * std::exp(-r);
}

/// A zero-mean GP over standardized losses, the length scale and noise
/// variance picked from a small grid by marginal likelihood.
class GaussianProcess {
public:
  bool fit(std::vector<std::vector<double>> points, const std::vector<double> &values) {
    x = std::move(points);
    size_t n = x.size();
    static const double LengthScales[] = {0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0};
    static const double Noises[] = {1e-6, 1e-4, 1e-2, 1e-1};
    double bestLikelihood = -Infinity;
    for (double lengthScale : LengthScales)
      for (double noise : Noises) {
        std::vector<double> k(n * n);
        for (size_t i = 0; i < n; ++i)
          for (size_t j = 0; j <= i; ++j)
            k[i * n + j] = matern52(x[i], x[j], lengthScale) + (i == j ? noise : 0.0);
        if (!cholesky(k, n))
          continue;
        std::vector<double> a = values;
        solveLower(k, n, a);
        // log p(y) = -y^T K^-1 y / 2 - log det L - n log(2 pi) / 2
        double likelihood = 0;
        for (size_t i = 0; i < n; ++i)
          likelihood -= 0.5 * a[i] * a[i] + std::log(k[i * n + i]);
        if (likelihood > bestLikelihood) {
          bestLikelihood = likelihood;
          l = std::move(k);
          scale = lengthScale;
          solveUpper(l, n, a);
          alpha = std::move(a);
        }
      }
    return bestLikelihood > -Infinity;
  }

  /// Posterior mean and standard deviation of the latent function at `point`.
  std::pair<double, double> predict(const std::vector<double> &point) const {
    size_t n = x.size();
    std::vector<double> k(n);
    double mean = 0;
    for (size_t i = 0; i < n; ++i) {
      k[i] = matern52(point, x[i], scale);
      mean += k[i] * alpha[i];
    }
    solveLower(l, n, k);
    double variance = 1;
    for (double v : k)
      variance -= v * v;
    return {mean, std::sqrt(std::max(variance, 1e-12))};
  }

private:
  std::vector<std::vector<double>> x;
  std::vector<double> l, alpha;
  double scale = 1;
};

/// Losses as the GP sees them: z = (loss - lowest) / (median - lowest),
/// capped at 3, then log(1 + z). Scaling by the median makes it indifferent
/// to the loss's units; the cap keeps a diverged run (a loss 1e4 beside
/// losses below 10) from flattening the rest into one level, and the log
/// stretches the differences near the best. Against plain standardization,
/// on the test's bowl with 30 trials over 100 seeds, the mean best loss went
/// from 0.0059 to 0.0028, and to 0.0065 from 0.40 (worse than random) when a
/// third of the lr range gives 1e4.
void warpLosses(std::vector<double> &values) {
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  double lowest = sorted.front();
  double scale = sorted[sorted.size() / 2] - lowest;
  if (!(scale > 0))
    scale = sorted.back() - lowest;
  if (!(scale > 0))
    scale = 1;
  for (double &v : values)
    v = std::log1p(std::min((v - lowest) / scale, 3.0));
}

/// Expected improvement below `best` of a normal(mean, sd) loss.
double expectedImprovement(double mean, double sd, double best) {
  constexpr double Xi = 0.01; // a little exploration
  double gain = best - mean - Xi;
  double z = gain / sd;
  double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
  double pdf = std::exp(-0.5 * z * z) / std::sqrt(2 * 3.14159265358979323846);
  return gain * cdf + sd * pdf;
}

/// Bayesian optimisation: after initialRandom random trials, each proposal
/// maximizes expected improvement under a GP fitted to all results so far.
/// A failed trial counts as the worst loss observed; a proposal still out
/// counts as the best (the "constant liar"), so that proposals made before
/// their predecessors' results are back spread out instead of repeating.
/// Losses are warped (warpLosses) and standardized before fitting.
class BayesianSearch : public BudgetedMethod {
public:
  explicit BayesianSearch(const SearchOptions &options)
      : BudgetedMethod(options), candidates(options.candidates),
        localCandidates(options.localCandidates) {
    initialRandom = options.initialRandom > 0
                        ? options.initialRandom
                        : std::max<int64_t>(3, 2 * static_cast<int64_t>(space.size()));
  }

protected:
  std::optional<TuneConfig> next() override {
    TuneConfig config = proposed < initialRandom ? sampleConfig(space, rng) : maximize();
    pending.push_back(config);
    return config;
  }

  void record(const TuneConfig &config, double loss) override {
    auto it = std::find(pending.begin(), pending.end(), config);
    if (it != pending.end())
      pending.erase(it);
    results.push_back({config, loss});
  }

private:
  TuneConfig maximize() {
    double best = Infinity, worst = -Infinity;
    for (const Observation &result : results)
      if (!isFailure(result.loss)) {
        best = std::min(best, result.loss);
        worst = std::max(worst, result.loss);
      }
    if (best == Infinity)
      return sampleConfig(space, rng); // nothing has succeeded yet

    std::vector<std::vector<double>> points;
    std::vector<double> values;
    std::set<TuneConfig> seen;
    for (const Observation &result : results) {
      points.push_back(toUnit(space, result.config));
      values.push_back(isFailure(result.loss) ? worst : result.loss);
      seen.insert(result.config);
    }
    for (const TuneConfig &config : pending) {
      points.push_back(toUnit(space, config));
      values.push_back(best);
      seen.insert(config);
    }
    warpLosses(values);
    double bestValue = *std::min_element(values.begin(), values.end());
    double mean = std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
    double variance = 0;
    for (double v : values)
      variance += (v - mean) * (v - mean);
    double sd = std::sqrt(variance / double(values.size()));
    if (!(sd > 1e-12))
      sd = 1;
    for (double &v : values)
      v = (v - mean) / sd;
    GaussianProcess gp;
    if (!gp.fit(std::move(points), values))
      return sampleConfig(space, rng);
    double bestScaled = (bestValue - mean) / sd;

    // Candidates: uniform over the cube, and perturbations of the best three
    // results at three scales. Each is snapped to a legal configuration
    // first, so the GP sees what would be run.
    std::vector<std::vector<double>> pool;
    for (int64_t c = 0; c < candidates; ++c) {
      std::vector<double> u(space.size());
      for (double &coordinate : u)
        coordinate = rng.uniform();
      pool.push_back(std::move(u));
    }
    std::vector<size_t> order;
    for (size_t r : rankByLoss(results))
      if (!isFailure(results[r].loss) && order.size() < 3)
        order.push_back(r);
    static const double Scales[] = {0.02, 0.07, 0.2};
    for (size_t r : order) {
      std::vector<double> centre = toUnit(space, results[r].config);
      for (int64_t c = 0; c < localCandidates; ++c) {
        std::vector<double> u = centre;
        double scale = Scales[c % 3];
        for (double &coordinate : u)
          coordinate = std::clamp(coordinate + scale * rng.normal(), 0.0, 1.0);
        pool.push_back(std::move(u));
      }
    }

    TuneConfig chosen, fallback;
    double chosenValue = -Infinity, fallbackValue = -Infinity;
    for (const std::vector<double> &u : pool) {
      TuneConfig config = fromUnit(space, u);
      auto [mu, sigma] = gp.predict(toUnit(space, config));
      double value = expectedImprovement(mu, sigma, bestScaled);
      // A configuration already tried or out is taken only if every
      // candidate is (a small discrete space, all of it tried).
      if (seen.count(config)) {
        if (value > fallbackValue) {
          fallbackValue = value;
          fallback = config;
        }
      } else if (value > chosenValue) {
        chosenValue = value;
        chosen = config;
      }
    }
    return chosen.empty() ? fallback : chosen;
  }

  int64_t initialRandom;
  int64_t candidates;
  int64_t localCandidates;
  std::vector<Observation> results;
  std::vector<TuneConfig> pending;
};

} // namespace

std::unique_ptr<SearchMethod> makeBayesianSearch(const SearchOptions &options) {
  return std::make_unique<BayesianSearch>(options);
}

} // namespace kiln::search
