//===- Trainer.cpp - Mini-batch training of a compiled model --------------===//

#include "kiln/Trainer.h"
#include "kiln/Checkpoint.h"
#include "kiln/Distributed.h"
#include "kiln/KernelErrors.h"
#include "core/ParseNumber.h"
#include "core/Random.h"
#include "core/Shape.h"
#include "io/Json.h"
#include "train/LearningRate.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>

namespace kiln {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

Trainer::Trainer(CompiledModel &model, ParameterStore &params, TrainerOptions options)
    : model(model), params(params), opts(options), lrSchedule(model.info().schedule),
      states(model.info()), healthMonitor(model.info()) {
  opts.batchSize = std::max<int64_t>(opts.batchSize, 0);
  const ModelInfo &info = model.info();
  for (size_t i = 0; i < info.hyperparams.size(); ++i) {
    hyperValues.push_back(info.hyperparams[i].defaultValue);
    if (info.hyperparams[i].name == "lr")
      lrIndex = static_cast<int>(i);
  }
}

Trainer::~Trainer() { (void)model.returnToHost(); }

namespace {

/// The outcome of CompiledModel::syncToHost or ::returnToHost.
Status copiedToHost(bool copied) {
  if (copied)
    return {};
  return Error(fmt::format("cannot copy the parameters and optimizer state from the device: {}",
                           takeKernelError()));
}

} // namespace

Status Trainer::syncToHost() const { return copiedToHost(model.syncToHost()); }

Status Trainer::returnToHost() { return copiedToHost(model.returnToHost()); }

float Trainer::currentLearningRate() const {
  if (lrIndex < 0)
    return 0;
  return static_cast<float>(scheduledRate(lrSchedule, hyperValues[lrIndex], updateCount));
}

float Trainer::step(const Dataset &data, const std::vector<int64_t> &order, int64_t first,
                    int64_t batch) {
  const int64_t features = data.features;
  const int64_t targetFeatures = data.targetFeatures;
  // In a data-parallel run, this process's part of the global batch. A
  // process with no sample of a small last batch still takes part in the
  // sums: it runs one sample with a share of 0.
  float share = 1;
  int64_t offset = 0;
  if (processGroup) {
    BatchPart part = batchPart(batch, processGroup->rank(), processGroup->size());
    share = static_cast<float>(double(part.count()) / double(batch));
    offset = part.begin;
    first += part.begin;
    batch = std::max<int64_t>(part.count(), 1);
    if (part.count() == 0)
      first = std::min(first, static_cast<int64_t>(order.size()) - 1);
  }
  for (int64_t i = 0; i < batch; ++i) {
    int64_t sample = order[static_cast<size_t>(first + i)];
    std::memcpy(batchX.data() + i * features, data.x.data() + sample * features,
                sizeof(float) * static_cast<size_t>(features));
    if (targetFeatures > 0)
      std::memcpy(batchTargets.data() + i * targetFeatures,
                  data.targets.data() + sample * targetFeatures,
                  sizeof(float) * static_cast<size_t>(targetFeatures));
    else
      std::copy_n(data.y.begin() + sample * data.labelsPerSample, data.labelsPerSample,
                  batchY.begin() + i * data.labelsPerSample);
  }
  return runStep(batchX.data(), targetFeatures > 0 ? nullptr : batchY.data(),
                 targetFeatures > 0 ? batchTargets.data() : nullptr, batch, share, offset);
}

float Trainer::shareOf(int64_t batch) const {
  if (!processGroup)
    return 1;
  double total = double(batch);
  processGroup->sum(&total, 1);
  return total > 0 ? static_cast<float>(double(batch) / total) : 0.0f;
}

void Trainer::synchronizeFromRank0() {
  if (!processGroup)
    return;
  (void)returnToHost(); // a data-parallel build runs on the CPU
  for (size_t p = 0; p < params.size(); ++p)
    processGroup->broadcast(params.values(p).data(), static_cast<int64_t>(params.values(p).size()));
  for (size_t s = 0; s < states.size(); ++s)
    processGroup->broadcast(states.values(s).data(), static_cast<int64_t>(states.values(s).size()));
  double counts[2] = {double(updateCount), double(epochs)};
  if (processGroup->rank() != 0)
    counts[0] = counts[1] = 0;
  processGroup->sum(counts, 2);
  updateCount = static_cast<int64_t>(counts[0]);
  epochs = static_cast<int64_t>(counts[1]);
}

Result<float> Trainer::trainBatch(const TensorRef &x, const TensorRef &labelsOrTargets) {
  Result<int64_t> batch = checkTrainBuffers(model.info(), "trainBatch", x, labelsOrTargets);
  if (!batch)
    return batch.takeError();
  return runStep(x.f32(), labelsOrTargets.i32(), labelsOrTargets.f32(), *batch, shareOf(*batch));
}

float Trainer::trainBatch(const float *x, const int32_t *labels, const float *targets,
                          int64_t batch) {
  const bool onTargets = model.info().targetFeatures > 0;
  Result<int64_t> checked = onTargets
                                ? checkTrainBuffers(model.info(), "trainBatch", x, targets, batch)
                                : checkTrainBuffers(model.info(), "trainBatch", x, labels, batch);
  if (!checked)
    return std::numeric_limits<float>::quiet_NaN();
  return runStep(x, onTargets ? nullptr : labels, onTargets ? targets : nullptr, *checked,
                 shareOf(*checked));
}

float Trainer::runStep(const float *x, const int32_t *labels, const float *targets,
                       int64_t batch, float share, int64_t offset) {
  stepHyper = hyperValues;
  if (lrIndex >= 0)
    stepHyper[lrIndex] = currentLearningRate();
  StepArgs args;
  args.params = params.pointers();
  args.states = states.pointers();
  args.x = x;
  args.labels = labels;
  args.targets = targets;
  args.batch = batch;
  args.hyperparams = stepHyper.data();
  args.step = ++updateCount;
  args.health = healthMonitor.buffer();
  args.batchShare = share;
  args.batchOffset = static_cast<float>(offset);
  args.exchange = processGroup;
  float loss = model.trainStep(args);
  healthMonitor.recordStep();
  if (!processGroup)
    return loss;
  // The global batch's loss: each process's weighted by its share.
  double weighted = double(share) * double(loss);
  processGroup->sum(&weighted, 1);
  return static_cast<float>(weighted);
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
  if (Status status = checkDataset(data, info); !status)
    return status;
  if (data.count <= 0)
    return Error(fmt::format("{}: no samples", data.source));
  return {};
}

Result<EpochStats> Trainer::trainEpoch(const Dataset &data) {
  if (Status status = checkFits(data); !status)
    return status.takeError();

  const int64_t features = data.features;
  const int64_t batchSize =
      opts.batchSize > 0 ? std::min(opts.batchSize, data.count) : data.count;
  if (Status status = checkBatchSize(model.info(), batchSize); !status)
    return Error(fmt::format("{}: {}", data.source, status.error()));
  // Outside kiln::fit, which resolves them for the whole run, periods in
  // epochs become updates here; a fraction of the run cannot.
  if (!lrSchedule.units.empty()) {
    Result<ScheduleInfo> resolved = resolveScheduleUnits(lrSchedule, stepsPerEpoch(data.count), 0);
    if (!resolved)
      return resolved.takeError();
    lrSchedule = std::move(*resolved);
  }
  batchX.resize(static_cast<size_t>(batchSize * features));
  batchY.resize(data.targetFeatures > 0 ? 0 : static_cast<size_t>(batchSize * data.labelsPerSample));
  batchTargets.resize(static_cast<size_t>(batchSize * data.targetFeatures));
  // The start of the epoch, for replaying it if a step goes non-finite.
  if (Status status = syncToHost(); !status)
    return status.takeError();
  epochStartParams.resize(params.size());
  for (size_t p = 0; p < params.size(); ++p)
    epochStartParams[p] = params.values(p);
  epochStartStates.resize(states.size());
  for (size_t s = 0; s < states.size(); ++s)
    epochStartStates[s] = states.values(s);
  epochStartUpdates = updateCount;

  healthMonitor.discardEpoch();
  EpochStats stats;
  stats.epoch = epochs + 1;
  std::vector<int64_t> order = epochOrder(data.count, opts.seed, epochs);
  double lossSum = 0;
  auto start = std::chrono::steady_clock::now();
  const int64_t steps = (data.count + batchSize - 1) / batchSize;
  for (int64_t first = 0; first < data.count; first += batchSize) {
    int64_t batch = std::min(batchSize, data.count - first);
    float loss = step(data, order, first, batch);
    ++stats.steps;
    if (!std::isfinite(loss)) {
      if (std::string failure = takeKernelError(); !failure.empty())
        return Error(fmt::format("the kernels failed at epoch {} step {}: {}", stats.epoch,
                                 stats.steps, failure));
      return diagnoseNonFinite(data, order, batchSize, stats.epoch, stats.steps, loss);
    }
    lossSum += double(loss) * double(batch);
    stats.samples += batch;
    if (onStep)
      onStep(stats.steps, steps, lossSum / double(stats.samples), stats.samples);
  }
  stats.seconds = secondsSince(start);
  stats.meanLoss = lossSum / double(stats.samples);
  stats.health = healthMonitor.endEpoch();
  ++epochs;
  return stats;
}

Error Trainer::diagnoseNonFinite(const Dataset &data, const std::vector<int64_t> &order,
                                 int64_t batchSize, int64_t epoch, int64_t failedStep,
                                 float loss) {
  // Training is deterministic: replaying the epoch from its start reaches
  // the same values, now with every kernel's output checked. The start of
  // the epoch is reloaded from the copy taken below, which also leaves the
  // parameters in their last good state afterwards.
  std::string message =
      fmt::format("loss became {} at epoch {} step {}", loss, epoch, failedStep);
  auto restore = [&] {
    // Every array is overwritten: what the device holds does not matter.
    (void)model.returnToHost();
    for (size_t p = 0; p < params.size(); ++p)
      params.values(p) = epochStartParams[p];
    for (size_t s = 0; s < states.size(); ++s)
      states.values(s) = epochStartStates[s];
    updateCount = epochStartUpdates;
  };
  restore();
  model.setCheckNumerics(true);
  int64_t stepNumber = 0;
  for (int64_t first = 0; first < data.count && stepNumber < failedStep; first += batchSize) {
    float replayed = step(data, order, first, std::min(batchSize, data.count - first));
    ++stepNumber;
    std::string culprit = model.firstNonFinite();
    if (!culprit.empty() || !std::isfinite(replayed)) {
      message += fmt::format("; first non-finite value at step {} in {}", stepNumber,
                             culprit.empty() ? std::string("the loss") : culprit);
      break;
    }
  }
  model.setCheckNumerics(false);
  restore();
  return Error(message + fmt::format("; parameters restored to the start of epoch {}", epoch));
}

Result<EvalStats> Trainer::evaluate(const Dataset &data, int64_t maxSamples) {
  // checkFits also checks the task, and that outputs and targets agree.
  if (Status status = checkFits(data); !status)
    return status.takeError();

  const ModelInfo &info = model.info();
  const int64_t features = data.features;
  const int64_t outputs = info.outputFeatures;
  const int64_t targetFeatures = data.targetFeatures;
  const int64_t count = maxSamples > 0 ? std::min(maxSamples, data.count) : data.count;
  const int64_t batchSize = std::min(opts.batchSize > 0 ? opts.batchSize : 1024, count);
  predictions.resize(static_cast<size_t>(batchSize * outputs));

  const bool classifier = info.task == "classification";
  const bool regression = info.task == "regression";
  // One sample's contribution; checkDataset has checked that the task is one
  // of the three and that `outputs` target values exist where one is read.
  auto measure = [&](const float *row, int64_t sample, EvalStats &stats) {
    const float *target = data.targets.data() + sample * targetFeatures;
    if (classifier && data.labelsPerSample > 1) {
      // A label per step: numClasses logits per step.
      const int64_t classes = info.numClasses;
      for (int64_t t = 0; t < data.labelsPerSample; ++t) {
        const float *step = row + t * classes;
        int64_t predicted = std::max_element(step, step + classes) - step;
        ++stats.decisions;
        stats.correct += predicted == data.y[static_cast<size_t>(sample * data.labelsPerSample + t)];
      }
      return;
    }
    if (classifier) {
      int64_t predicted = std::max_element(row, row + outputs) - row;
      int64_t expected = targetFeatures > 0
                             ? std::max_element(target, target + targetFeatures) - target
                             : data.y[static_cast<size_t>(sample)];
      ++stats.decisions;
      stats.correct += predicted == expected;
      return;
    }
    for (int64_t k = 0; k < outputs; ++k) {
      if (regression) {
        double error = double(row[k]) - double(target[k]);
        stats.squaredErrorSum += error * error;
        stats.absoluteErrorSum += std::abs(error);
        ++stats.elements;
      } else {
        stats.correct += (row[k] >= 0.5f) == (target[k] >= 0.5f);
        ++stats.decisions;
      }
    }
  };

  // In a data-parallel run each process measures its part; the sums are
  // added up below.
  BatchPart part{0, count};
  if (processGroup)
    part = batchPart(count, processGroup->rank(), processGroup->size());
  EvalStats stats;
  for (int64_t first = part.begin; first < part.end; first += batchSize) {
    int64_t batch = std::min(batchSize, part.end - first);
    // Samples of one batch are contiguous in the dataset: no gather needed.
    EvalArgs args;
    args.params = params.pointers();
    args.x = data.x.data() + first * features;
    args.labels = targetFeatures > 0 ? nullptr : data.y.data() + first * data.labelsPerSample;
    args.targets = targetFeatures > 0 ? data.targets.data() + first * targetFeatures : nullptr;
    args.batch = batch;
    args.predictions = predictions.data();
    float loss = model.evaluate(args);
    // A non-finite loss is a measurement (a diverged model), not a failure;
    // the generated code reports its own errors the same way, so predict
    // tells the two apart.
    if (!std::isfinite(loss) &&
        !model.predict(params.pointers(), args.x, batch, predictions.data()))
      return Error(fmt::format("{}: predict failed on records [{}, {}): {}", data.source, first,
                               first + batch, takeKernelError()));
    stats.lossSum += double(loss) * double(batch);
    for (int64_t i = 0; i < batch; ++i)
      measure(predictions.data() + i * outputs, first + i, stats);
    stats.count += batch;
  }
  if (processGroup) {
    // Counts below 2^53: exact as doubles.
    double sums[] = {double(stats.count),       stats.lossSum,          double(stats.decisions),
                     double(stats.correct),     stats.squaredErrorSum, stats.absoluteErrorSum,
                     double(stats.elements)};
    processGroup->sum(sums, std::size(sums));
    stats.count = static_cast<int64_t>(sums[0]);
    stats.lossSum = sums[1];
    stats.decisions = static_cast<int64_t>(sums[2]);
    stats.correct = static_cast<int64_t>(sums[3]);
    stats.squaredErrorSum = sums[4];
    stats.absoluteErrorSum = sums[5];
    stats.elements = static_cast<int64_t>(sums[6]);
  }
  return stats;
}

} // namespace kiln

namespace kiln {

namespace {

/// Names of the input normalization's tensors in a checkpoint.
constexpr const char *InputMeanTensor = "kiln.input_mean";
constexpr const char *InputStddevTensor = "kiln.input_stddev";

/// Checks a checkpoint's tensor against the shape a model needs.
Status checkTensor(const std::string &path, const LoadedTensor &t,
                   const std::vector<int64_t> &shape) {
  if (t.dtype != DType::F32)
    return Error(fmt::format("{}: tensor '{}' is {}, the model needs F32", path, t.name,
                             dtypeName(t.dtype)));
  if (t.shape != shape)
    return Error(fmt::format("{}: tensor '{}' has shape {}, the model needs {}", path, t.name,
                             formatShape(t.shape), formatShape(shape)));
  for (size_t i = 0; i < t.values.size(); ++i)
    if (!std::isfinite(t.values[i]))
      return Error(fmt::format("{}: tensor '{}' holds {} at element {}: the checkpoint is "
                               "corrupt or was saved after training diverged",
                               path, t.name, t.values[i], i));
  return {};
}

/// The format version Trainer::saveCheckpoint writes and loadCheckpoint reads.
constexpr const char *CheckpointFormat = "kiln-checkpoint-1";

/// The training progress a checkpoint's metadata records.
struct SavedProgress {
  int64_t updates = 0;
  int64_t epochs = 0;
  uint64_t seed = 0;
};

/// Validates every metadata field the trainer reads: the format version, the
/// model, the optimizer, and the counts, which must be whole non-negative
/// integers. A seed may be absent (then `defaultSeed`).
Result<SavedProgress> readProgress(const std::string &path,
                                   const std::map<std::string, std::string> &metadata,
                                   const ModelInfo &info, uint64_t defaultSeed) {
  auto field = [&](const char *key) -> const std::string * {
    auto it = metadata.find(key);
    return it == metadata.end() ? nullptr : &it->second;
  };
  auto quoted = [](const std::string *value) {
    return value ? jsonString(*value) : std::string("missing");
  };
  const std::string *format = field("format");
  if (!format || *format != CheckpointFormat)
    return Error(fmt::format("{}: metadata 'format' is {}; this version reads \"{}\"", path,
                             quoted(format), CheckpointFormat));
  const std::string *model = field("model");
  if (!model || *model != info.name)
    return Error(
        fmt::format("{}: checkpoint of model {}, not '{}'", path, quoted(model), info.name));
  const std::string *optimizer = field("optimizer");
  if (!optimizer || *optimizer != info.optimizer)
    return Error(fmt::format("{}: checkpoint trained with optimizer {}, but model '{}' uses "
                             "'{}'; its optimizer state would not carry over",
                             path, quoted(optimizer), info.name, info.optimizer));
  SavedProgress progress;
  progress.seed = defaultSeed;
  for (auto [key, out] :
       {std::pair{"updates", &progress.updates}, std::pair{"epochs", &progress.epochs}}) {
    const std::string *text = field(key);
    std::optional<int64_t> value = text ? parseNumber<int64_t>(*text) : std::nullopt;
    if (!value || *value < 0)
      return Error(fmt::format("{}: metadata '{}' is {}, not a non-negative integer", path, key,
                               quoted(text)));
    *out = *value;
  }
  if (const std::string *text = field("seed")) {
    std::optional<uint64_t> value = parseNumber<uint64_t>(*text);
    if (!value)
      return Error(
          fmt::format("{}: metadata 'seed' is {}, not a non-negative integer", path, quoted(text)));
    progress.seed = *value;
  }
  return progress;
}

} // namespace

Status Trainer::saveCheckpoint(const std::string &path,
                               const std::map<std::string, std::string> &extra) const {
  if (Status status = syncToHost(); !status)
    return status;
  const ModelInfo &info = model.info();
  std::vector<TensorView> tensors;
  for (size_t p = 0; p < params.size(); ++p)
    tensors.push_back({info.params[p].name, info.params[p].shape, params.values(p).data()});
  for (size_t s = 0; s < states.size(); ++s)
    tensors.push_back(
        {info.states[s].name, info.params[info.states[s].param].shape, states.values(s).data()});
  const int64_t features = static_cast<int64_t>(inputStats.mean.size());
  if (features > 0) {
    tensors.push_back({InputMeanTensor, {features}, inputStats.mean.data()});
    tensors.push_back({InputStddevTensor, {features}, inputStats.stddev.data()});
  }
  std::map<std::string, std::string> metadata = extra;
  metadata[DataChecksumKey] = dataChecksum(tensors);
  metadata["format"] = CheckpointFormat;
  metadata["model"] = info.name;
  metadata["optimizer"] = info.optimizer;
  metadata["updates"] = std::to_string(updateCount);
  metadata["epochs"] = std::to_string(epochs);
  metadata["seed"] = std::to_string(opts.seed);
  return kiln::saveCheckpoint(path, tensors, metadata);
}

Status Trainer::loadCheckpoint(const std::string &path,
                               std::map<std::string, std::string> *metadataOut) {
  Result<Checkpoint> loaded = kiln::loadCheckpoint(path);
  if (!loaded)
    return loaded.takeError();
  const ModelInfo &info = model.info();
  // Check everything before changing anything.
  Result<SavedProgress> progress = readProgress(path, loaded->metadata, info, opts.seed);
  if (!progress)
    return progress.takeError();
  auto lookup = [&](const std::string &name,
                    const std::vector<int64_t> &shape) -> Result<const LoadedTensor *> {
    const LoadedTensor *t = loaded->find(name);
    if (!t)
      return Error(fmt::format("{}: no tensor '{}'", path, name));
    if (Status status = checkTensor(path, *t, shape); !status)
      return status.takeError();
    return t;
  };
  std::vector<const LoadedTensor *> paramTensors, stateTensors;
  for (const ParamInfo &p : info.params) {
    auto t = lookup(p.name, p.shape);
    if (!t)
      return t.takeError();
    paramTensors.push_back(*t);
  }
  for (const StateInfo &s : info.states) {
    auto t = lookup(s.name, info.params[s.param].shape);
    if (!t)
      return t.takeError();
    stateTensors.push_back(*t);
  }
  Standardization stats;
  if (const LoadedTensor *mean = loaded->find(InputMeanTensor)) {
    const LoadedTensor *stddev = loaded->find(InputStddevTensor);
    std::vector<int64_t> shape = {info.inputFeatures};
    if (!stddev)
      return Error(fmt::format("{}: '{}' without '{}'", path, InputMeanTensor, InputStddevTensor));
    if (Status status = checkTensor(path, *mean, shape); !status)
      return status;
    if (Status status = checkTensor(path, *stddev, shape); !status)
      return status;
    stats.mean = mean->values;
    stats.stddev = stddev->values;
  }
  if (Status status = returnToHost(); !status)
    return status;
  for (size_t p = 0; p < paramTensors.size(); ++p)
    std::copy(paramTensors[p]->values.begin(), paramTensors[p]->values.end(),
              params.values(p).begin());
  for (size_t s = 0; s < stateTensors.size(); ++s)
    std::copy(stateTensors[s]->values.begin(), stateTensors[s]->values.end(),
              states.values(s).begin());
  updateCount = progress->updates;
  epochs = progress->epochs;
  opts.seed = progress->seed;
  inputStats = std::move(stats);
  if (metadataOut)
    *metadataOut = loaded->metadata;
  return {};
}

Result<std::vector<std::string>> Trainer::loadWeights(const std::string &path,
                                                      const std::vector<std::string> &skipLayers) {
  Result<Checkpoint> loaded = kiln::loadCheckpoint(path);
  if (!loaded)
    return loaded.takeError();
  const ModelInfo &info = model.info();
  auto skipped = [&](const std::string &name) {
    for (const std::string &layer : skipLayers)
      if (name.compare(0, layer.size(), layer) == 0 && name.size() > layer.size() &&
          name[layer.size()] == '.')
        return true;
    return false;
  };
  for (const std::string &layer : skipLayers) {
    bool known = false;
    for (const ParamInfo &p : info.params)
      known |= p.name.compare(0, layer.size() + 1, layer + ".") == 0;
    if (!known)
      return Error(fmt::format("model '{}' has no layer '{}' with parameters", info.name, layer));
  }
  std::vector<std::pair<size_t, const LoadedTensor *>> matched;
  for (size_t p = 0; p < info.params.size(); ++p) {
    if (skipped(info.params[p].name))
      continue;
    const LoadedTensor *t = loaded->find(info.params[p].name);
    if (!t)
      continue;
    if (Status status = checkTensor(path, *t, info.params[p].shape); !status)
      return status.takeError();
    matched.emplace_back(p, t);
  }
  if (matched.empty())
    return Error(fmt::format("{}: no tensor named like a parameter of model '{}' (such as '{}')",
                             path, info.name,
                             info.params.empty() ? std::string() : info.params[0].name));
  if (Status status = returnToHost(); !status)
    return status.takeError();
  std::vector<std::string> names;
  for (auto [p, t] : matched) {
    std::copy(t->values.begin(), t->values.end(), params.values(p).begin());
    names.push_back(info.params[p].name);
  }
  return names;
}

} // namespace kiln
