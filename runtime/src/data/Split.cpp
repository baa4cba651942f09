//===- Split.cpp - Training and held-out parts of a set -------------------===//

#include "kiln/Data.h"

#include "core/Random.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kiln {

void Dataset::truncate(int64_t n) {
  if (n < 0 || n >= count)
    return;
  count = n;
  x.resize(static_cast<size_t>(n * features));
  if (!recordLines.empty())
    recordLines.resize(static_cast<size_t>(n));
  if (targetFeatures > 0)
    targets.resize(static_cast<size_t>(n * targetFeatures));
  else
    y.resize(static_cast<size_t>(n * labelsPerSample));
}

namespace {

/// The samples of `data` at `indices`, in that order.
Dataset gatherSamples(const Dataset &data, const std::vector<int64_t> &indices,
                      std::string source) {
  Dataset part;
  part.features = data.features;
  part.targetFeatures = data.targetFeatures;
  part.labelsPerSample = data.labelsPerSample;
  part.count = static_cast<int64_t>(indices.size());
  part.source = std::move(source);
  auto appendRow = [](std::vector<float> &to, const std::vector<float> &from, int64_t index,
                      int64_t width) {
    to.insert(to.end(), from.begin() + index * width, from.begin() + (index + 1) * width);
  };
  for (int64_t index : indices) {
    appendRow(part.x, data.x, index, data.features);
    if (data.targetFeatures > 0)
      appendRow(part.targets, data.targets, index, data.targetFeatures);
    else
      part.y.insert(part.y.end(), data.y.begin() + index * data.labelsPerSample,
                    data.y.begin() + (index + 1) * data.labelsPerSample);
  }
  return part;
}

} // namespace

Result<DatasetSplit> splitDataset(const Dataset &data, double heldOutFraction, uint64_t seed) {
  if (!(heldOutFraction > 0 && heldOutFraction < 1))
    return Error(fmt::format("{}: the held-out fraction must lie in (0, 1), got {}", data.source,
                             heldOutFraction));
  int64_t heldOut = std::llround(heldOutFraction * double(data.count));
  if (heldOut < 1 || heldOut >= data.count)
    return Error(fmt::format("{}: holding out {} of {} samples leaves {} held out and {} for "
                             "training; each part needs at least one",
                             data.source, heldOutFraction, data.count, heldOut,
                             data.count - heldOut));
  std::vector<int64_t> order(static_cast<size_t>(data.count));
  std::iota(order.begin(), order.end(), int64_t(0));
  // A stream of its own: the same seed also draws initial weights and the
  // order of each epoch.
  Rng rng(deriveSeed(seed, hashName("split")));
  shuffle(order, rng);
  std::vector<int64_t> heldOutIndices(order.begin(), order.begin() + heldOut);
  std::vector<int64_t> trainIndices(order.begin() + heldOut, order.end());
  std::sort(heldOutIndices.begin(), heldOutIndices.end());
  std::sort(trainIndices.begin(), trainIndices.end());
  return DatasetSplit{gatherSamples(data, trainIndices, data.source + " (training part)"),
                      gatherSamples(data, heldOutIndices, data.source + " (held-out part)")};
}

} // namespace kiln
