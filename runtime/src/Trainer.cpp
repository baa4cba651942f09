//===- Trainer.cpp - Mini-batch training of a compiled model --------------===//

#include "kiln/Trainer.h"
#include "kiln/Random.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace kiln {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

Trainer::Trainer(CompiledModel &model, ParameterStore &params, TrainerOptions options)
    : model(model), params(params), opts(options) {
  opts.batchSize = std::max<int64_t>(opts.batchSize, 1);
  for (const HyperparamInfo &hyper : model.info().hyperparams)
    hyperValues.push_back(hyper.defaultValue);
}

bool Trainer::setHyperparam(std::string_view name, float value) {
  const std::vector<HyperparamInfo> &infos = model.info().hyperparams;
  for (size_t i = 0; i < infos.size(); ++i) {
    if (infos[i].name != name)
      continue;
    hyperValues[i] = value;
    return true;
  }
  return false;
}

Status Trainer::checkFits(const Dataset &data) const {
  const ModelInfo &info = model.info();
  if (params.size() != info.params.size())
    return Error(fmt::format("model '{}' has {} parameters but the store holds {}", info.name,
                             info.params.size(), params.size()));
  if (data.features != info.inputFeatures)
    return Error(fmt::format("{}: samples have {} features but model '{}' takes {} inputs",
                             data.source, data.features, info.name, info.inputFeatures));
  if (data.count <= 0)
    return Error(fmt::format("{}: no samples", data.source));
  return {};
}

Result<EpochStats> Trainer::trainEpoch(const Dataset &data) {
  if (Status status = checkFits(data); !status)
    return status.takeError();

  const int64_t features = data.features;
  const int64_t batchSize = std::min(opts.batchSize, data.count);
  batchX.resize(static_cast<size_t>(batchSize * features));
  batchY.resize(static_cast<size_t>(batchSize));

  EpochStats stats;
  stats.epoch = epochs + 1;
  std::vector<int64_t> order = epochOrder(data.count, opts.seed, epochs);
  double lossSum = 0;
  auto start = std::chrono::steady_clock::now();
  for (int64_t first = 0; first < data.count; first += batchSize) {
    int64_t batch = std::min(batchSize, data.count - first);
    for (int64_t i = 0; i < batch; ++i) {
      int64_t sample = order[static_cast<size_t>(first + i)];
      std::memcpy(batchX.data() + i * features, data.x.data() + sample * features,
                  sizeof(float) * static_cast<size_t>(features));
      batchY[static_cast<size_t>(i)] = data.y[static_cast<size_t>(sample)];
    }
    float loss =
        model.trainStep(params.pointers(), batchX.data(), batchY.data(), batch, hyperValues.data());
    ++stats.steps;
    if (!std::isfinite(loss))
      return Error(
          fmt::format("loss became {} at epoch {} step {}", loss, stats.epoch, stats.steps));
    lossSum += double(loss) * double(batch);
    stats.samples += batch;
  }
  stats.seconds = secondsSince(start);
  stats.meanLoss = lossSum / double(stats.samples);
  ++epochs;
  return stats;
}

Result<EvalStats> Trainer::evaluate(const Dataset &data, int64_t maxSamples) {
  if (Status status = checkFits(data); !status)
    return status.takeError();

  const int64_t features = data.features;
  const int64_t classes = model.info().numClasses;
  const int64_t count = maxSamples > 0 ? std::min(maxSamples, data.count) : data.count;
  const int64_t batchSize = std::min(opts.batchSize, count);
  logits.resize(static_cast<size_t>(batchSize * classes));

  EvalStats stats;
  for (int64_t first = 0; first < count; first += batchSize) {
    int64_t batch = std::min(batchSize, count - first);
    // Samples of one batch are contiguous in the dataset: no gather needed.
    if (!model.predict(params.pointers(), data.x.data() + first * features, batch, logits.data()))
      return Error(
          fmt::format("{}: predict failed on records [{}, {})", data.source, first, first + batch));
    for (int64_t i = 0; i < batch; ++i) {
      const float *row = logits.data() + i * classes;
      int64_t predicted = std::max_element(row, row + classes) - row;
      if (predicted == data.y[static_cast<size_t>(first + i)])
        ++stats.correct;
    }
    stats.count += batch;
  }
  return stats;
}

} // namespace kiln
