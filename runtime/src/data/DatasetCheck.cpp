//===- DatasetCheck.cpp - What a model's task asks of its data ------------===//

#include "data/DatasetCheck.h"
#include "kiln/Data.h"
#include "kiln/Tensor.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace kiln {

namespace {

/// "3 float targets", or "class labels (0 float targets)".
std::string describeTargets(int64_t targetFeatures) {
  if (targetFeatures == 0)
    return "class labels (0 float targets)";
  return fmt::format("{} float target{}", targetFeatures, targetFeatures == 1 ? "" : "s");
}

} // namespace

Status checkTask(const ModelInfo &model) {
  if (model.task == "classification") {
    if (model.numClasses <= 0 || model.labelsPerSample < 1 ||
        model.outputFeatures != model.numClasses * model.labelsPerSample)
      return Error(fmt::format("model '{}': a classifier needs as many outputs as classes "
                               "per label, got {} outputs, {} classes and {} labels per sample",
                               model.name, model.outputFeatures, model.numClasses,
                               model.labelsPerSample));
    // Float targets of a classifier are one-hot rows, one value per class.
    if (model.targetFeatures != 0 && model.targetFeatures != model.numClasses)
      return Error(fmt::format("model '{}': a classifier takes class labels or one-hot rows of "
                               "{} floats, not {} float targets",
                               model.name, model.numClasses, model.targetFeatures));
    return {};
  }
  if (model.task == "binary" || model.task == "regression") {
    if (model.outputFeatures <= 0 || model.targetFeatures != model.outputFeatures)
      return Error(fmt::format("model '{}': task {} needs one float target per output, got {} "
                               "outputs and {} float targets",
                               model.name, model.task, model.outputFeatures, model.targetFeatures));
    return {};
  }
  return Error(fmt::format("model '{}' has unknown task '{}' (known: classification, binary, "
                           "regression)",
                           model.name, model.task));
}

std::string describeRecord(const Dataset &data, int64_t index) {
  if (index >= 0 && index < static_cast<int64_t>(data.recordLines.size()))
    return fmt::format("record {} (line {})", index, data.recordLines[static_cast<size_t>(index)]);
  return fmt::format("record {}", index);
}

Status checkTokenIds(const Dataset &data, const ModelInfo &model) {
  if (!model.tokenInput || model.tokenLimit <= 0)
    return {};
  int64_t bad = firstTokenOutside(data.x.data(), static_cast<int64_t>(data.x.size()),
                                  model.tokenLimit);
  if (bad >= 0) {
    float id = data.x[static_cast<size_t>(bad)];
    int64_t record = bad / std::max<int64_t>(data.features, 1);
    if (std::isfinite(id) && std::floor(id) == id)
      return Error(fmt::format("{}: {}: token id {} out of range [0, {}) of model '{}'",
                               data.source, describeRecord(data, record), id, model.tokenLimit,
                               model.name));
    return Error(fmt::format("{}: {}: token id {} is not an integer", data.source,
                             describeRecord(data, record), id));
  }
  return {};
}

Status checkDataset(const Dataset &data, const ModelInfo &model) {
  if (Status status = checkTask(model); !status)
    return status;
  if (data.features != model.inputFeatures)
    return Error(fmt::format("{}: samples have {} features but model '{}' takes {} inputs",
                             data.source, data.features, model.name, model.inputFeatures));
  if (data.targetFeatures == 0 && data.labelsPerSample != model.labelsPerSample)
    return Error(fmt::format("{}: samples have {} labels each but model '{}' takes {}",
                             data.source, data.labelsPerSample, model.name,
                             model.labelsPerSample));
  if (data.targetFeatures != model.targetFeatures)
    return Error(fmt::format("{}: samples have {} but model '{}' takes {}", data.source,
                             describeTargets(data.targetFeatures), model.name,
                             describeTargets(model.targetFeatures)));
  // A Dataset assembled by hand may disagree with itself; the trainer would
  // read past its buffers.
  size_t count = static_cast<size_t>(std::max<int64_t>(data.count, 0));
  if (data.x.size() != count * static_cast<size_t>(data.features) ||
      (data.targetFeatures > 0
           ? data.targets.size() != count * static_cast<size_t>(data.targetFeatures)
           : data.y.size() != count * static_cast<size_t>(data.labelsPerSample)))
    return Error(fmt::format("{}: inconsistent dataset: {} samples but {} feature values, {} "
                             "labels and {} target values",
                             data.source, data.count, data.x.size(), data.y.size(),
                             data.targets.size()));
  if (Status status = checkTokenIds(data, model); !status)
    return status;
  if (data.targetFeatures > 0)
    return {};
  int64_t bad = firstLabelOutside(data.y.data(), static_cast<int64_t>(data.y.size()),
                                  model.numClasses);
  if (bad >= 0)
    return Error(fmt::format("{}: {}: label {} out of range [0, {}) of model '{}'", data.source,
                             describeRecord(data, bad / data.labelsPerSample),
                             data.y[static_cast<size_t>(bad)], model.numClasses, model.name));
  return {};
}

} // namespace kiln
