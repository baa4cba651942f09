//===- Normalization.cpp - Standardization and min-max scaling ------------===//

#include "kiln/Data.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln {

Status applyStandardization(Dataset &data, const Standardization &stats) {
  if (static_cast<int64_t>(stats.mean.size()) != data.features ||
      stats.stddev.size() != stats.mean.size())
    return Error(fmt::format("{}: samples have {} features but the standardization has {}",
                             data.source, data.features, stats.mean.size()));
  const size_t features = stats.mean.size();
  for (size_t i = 0; i < data.x.size(); ++i) {
    size_t j = i % features;
    // A constant feature carries no information to scale; centering it
    // leaves it 0 instead of dividing by 0.
    double scale = stats.stddev[j] > 0 ? stats.stddev[j] : 1.0;
    data.x[i] = static_cast<float>((double(data.x[i]) - stats.mean[j]) / scale);
  }
  return {};
}

namespace {

/// Checks that `train` has samples and `others` as many features; `verb`
/// ("standardize") names the operation in the message.
Status checkNormalizable(const Dataset &train, const std::vector<Dataset *> &others,
                         const char *verb) {
  if (train.count <= 0 || train.features <= 0)
    return Error(fmt::format("{}: no samples to {}", train.source, verb));
  for (const Dataset *other : others)
    if (other->features != train.features)
      return Error(fmt::format("{}: samples have {} features but {} has {}", other->source,
                               other->features, train.source, train.features));
  return {};
}

} // namespace

namespace {

/// Applies `stats` to the training set and every other set; returns them.
Result<Standardization> applyToAll(Dataset &train, const std::vector<Dataset *> &others,
                                   Standardization stats) {
  if (Status status = applyStandardization(train, stats); !status)
    return status.takeError();
  for (Dataset *other : others)
    if (Status status = applyStandardization(*other, stats); !status)
      return status.takeError();
  return stats;
}

} // namespace

Result<Standardization> standardize(Dataset &train, const std::vector<Dataset *> &others) {
  // Check everything before changing anything.
  if (Status status = checkNormalizable(train, others, "standardize"); !status)
    return status.takeError();

  const size_t features = static_cast<size_t>(train.features);
  const size_t count = static_cast<size_t>(train.count);
  std::vector<double> sum(features, 0.0), squares(features, 0.0);
  std::vector<float> low(train.x.begin(), train.x.begin() + features), high = low;
  for (size_t i = 0; i < count * features; ++i) {
    size_t j = i % features;
    sum[j] += train.x[i];
    low[j] = std::min(low[j], train.x[i]);
    high[j] = std::max(high[j], train.x[i]);
  }
  Standardization stats;
  stats.mean.resize(features);
  stats.stddev.resize(features);
  for (size_t j = 0; j < features; ++j)
    stats.mean[j] = static_cast<float>(sum[j] / double(count));
  // Two passes: deviations from the mean lose less precision than
  // E[x^2] - E[x]^2.
  for (size_t i = 0; i < count * features; ++i) {
    double deviation = double(train.x[i]) - stats.mean[i % features];
    squares[i % features] += deviation * deviation;
  }
  for (size_t j = 0; j < features; ++j)
    // A constant column would otherwise get a rounding-noise deviation.
    stats.stddev[j] =
        low[j] == high[j] ? 0.0f : static_cast<float>(std::sqrt(squares[j] / double(count)));

  return applyToAll(train, others, std::move(stats));
}

Result<Normalization> parseNormalization(std::string_view name) {
  if (name == "none")
    return Normalization::None;
  if (name == "standard")
    return Normalization::Standard;
  if (name == "minmax")
    return Normalization::MinMax;
  return Error(fmt::format("unknown normalization '{}' (known: none, standard, minmax)", name));
}

Result<Standardization> normalize(Dataset &train, const std::vector<Dataset *> &others,
                                  Normalization kind) {
  if (kind == Normalization::Standard)
    return standardize(train, others);
  if (Status status = checkNormalizable(train, others, "normalize"); !status)
    return status.takeError();

  const size_t features = static_cast<size_t>(train.features);
  Standardization stats;
  if (kind == Normalization::None) {
    // (x - 0) / 1 is x: nothing to apply.
    stats.mean.assign(features, 0.0f);
    stats.stddev.assign(features, 1.0f);
    return stats;
  }

  // Min-max: x' = (x - min) / (max - min).
  const size_t count = static_cast<size_t>(train.count);
  std::vector<float> low(train.x.begin(), train.x.begin() + features), high = low;
  for (size_t i = 0; i < count * features; ++i) {
    size_t j = i % features;
    low[j] = std::min(low[j], train.x[i]);
    high[j] = std::max(high[j], train.x[i]);
  }
  stats.mean = low;
  stats.stddev.resize(features);
  for (size_t j = 0; j < features; ++j) {
    // applyStandardization divides x - min, in double, by this float: round
    // the range up, never down, so that the maximum maps to at most 1.
    double range =
        std::min(double(high[j]) - double(low[j]), double(std::numeric_limits<float>::max()));
    float scale = static_cast<float>(range);
    if (double(scale) < range)
      scale = std::nextafter(scale, std::numeric_limits<float>::infinity());
    stats.stddev[j] = scale; // 0 for a constant feature, which is only centered
  }

  return applyToAll(train, others, std::move(stats));
}

} // namespace kiln
