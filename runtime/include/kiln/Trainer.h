//===- Trainer.h - Mini-batch training of a compiled model ------*- C++ -*-===//
//
// Drives CompiledModel::trainStep over a dataset, one shuffled epoch at a
// time, and measures the model with CompiledModel::predict (accuracy, or
// errors for a regression). What a generated binary's `train` command does,
// in a few lines of an app:
//
//   kiln::ParameterStore params(model.info());
//   params.initialize(seed);
//   auto data = kiln::loadMnist(dir, model.info());       // check !data
//   kiln::Trainer trainer(model, params, {/*batchSize=*/128, seed});
//   trainer.setHyperparam("lr", 0.05f);
//   for (int e = 0; e < epochs; ++e) {
//     auto stats = trainer.trainEpoch(data->train);      // check !stats
//     auto test = trainer.evaluate(data->test);
//   }
//
// kiln::fit (kiln/Fit.h) is that loop with validation, early stopping,
// checkpoints, logs and a progress bar around it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRAINER_H
#define KILN_TRAINER_H

#include "kiln/CompiledModel.h"
#include "kiln/Data.h"
#include "kiln/Health.h"
#include "kiln/Init.h"
#include "kiln/Result.h"
#include "kiln/Tensor.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

struct TrainerOptions {
  /// Samples per step; the last batch of an epoch may be smaller. 0 (or the
  /// dataset size) trains by full-batch gradient descent, 1 by stochastic
  /// gradient descent; anything between is mini-batch.
  int64_t batchSize = 128;
  /// Seeds the order of samples in each epoch (see epochOrder).
  uint64_t seed = 1;
};

struct EpochStats {
  int64_t epoch = 0;   // 1-based
  double meanLoss = 0; // mean over samples of the batch losses trainStep returned
  int64_t samples = 0;
  int64_t steps = 0;
  double seconds = 0; // wall time of the epoch's steps, batch gathering included
  /// Gradient norms and dead units over the epoch, for a model compiled
  /// with `kilnc --health` (empty otherwise).
  HealthReport health;
  double samplesPerSecond() const { return seconds > 0 ? samples / seconds : 0; }
};

/// What evaluate() measured, by the model's task (ModelInfo::task):
///   classification  top-1 accuracy: the largest output at the label (or at
///                   the largest value of a one-hot target row)
///   binary          accuracy: each output >= 0.5 exactly when its target is
///   regression      mean squared and mean absolute error over every target
///                   value
struct EvalStats {
  int64_t count = 0; // samples
  /// Sum over samples of the batch losses CompiledModel::evaluate returned
  /// (the data loss, without regularization terms).
  double lossSum = 0;
  /// Classification and binary: decisions judged (one per sample for a
  /// classifier, one per step for a label per step, one per output for a
  /// binary model) and those right.
  int64_t decisions = 0;
  int64_t correct = 0;
  /// Regression: error sums over `elements` target values.
  double squaredErrorSum = 0;
  double absoluteErrorSum = 0;
  int64_t elements = 0;

  double meanLoss() const { return count > 0 ? lossSum / double(count) : 0; }
  /// In [0, 1].
  double accuracy() const { return decisions > 0 ? double(correct) / double(decisions) : 0; }
  double mse() const { return elements > 0 ? squaredErrorSum / double(elements) : 0; }
  double mae() const { return elements > 0 ? absoluteErrorSum / double(elements) : 0; }
  /// A metric by the name early stopping and tuning use: "val-acc",
  /// "val-mse", "val-mae", else the mean loss ("val-loss").
  double byName(std::string_view metric) const {
    return metric == "val-acc"   ? accuracy()
           : metric == "val-mse" ? mse()
           : metric == "val-mae" ? mae()
                                 : meanLoss();
  }
};

class ProcessGroup; // kiln/Distributed.h

class Trainer {
public:
  /// `params` must have been built from model.info(). Hyperparameters start
  /// at their ModelInfo defaults.
  Trainer(CompiledModel &model, ParameterStore &params, TrainerOptions options = {});
  /// Returns the parameters and optimizer state to host memory (a GPU build
  /// keeps them on the device between steps; see returnToHost).
  ~Trainer();
  Trainer(const Trainer &) = delete;
  Trainer &operator=(const Trainer &) = delete;

  /// Sets the hyperparameter called `name`; false if the model has none.
  /// For "lr" this is the base rate that the schedule scales.
  bool setHyperparam(std::string_view name, float value);
  /// One value per ModelInfo::hyperparams entry, in order.
  const std::vector<float> &hyperparams() const { return hyperValues; }

  /// The learning-rate schedule; starts as the model file's.
  void setSchedule(ScheduleInfo schedule) { lrSchedule = std::move(schedule); }
  const ScheduleInfo &schedule() const { return lrSchedule; }
  /// The learning rate the next step will use.
  float currentLearningRate() const;

  /// Optimizer state, one buffer per ModelInfo::states entry, starting at
  /// each entry's initValue. On a GPU build, call syncToHost() before
  /// reading it and returnToHost() before writing it.
  std::vector<float> &stateValues(size_t index) { return states.values(index); }

  /// A GPU build keeps the parameters and optimizer state in device memory
  /// from one step to the next (see CompiledModel::syncToHost and
  /// docs/gpu.md): the host arrays of parameters() and stateValues() are
  /// current after syncToHost(), which a reader calls first. A writer calls
  /// returnToHost() first: the device copies are then dropped and the next
  /// step uploads the host arrays. Both fail when a copy from the device
  /// fails; on a CPU build they do nothing. The trainer's own readers and
  /// writers (checkpoints, weights, the replay of a diverged epoch) call them.
  Status syncToHost() const;
  Status returnToHost();
  /// Updates applied so far (the step number of the last one).
  int64_t updates() const { return updateCount; }

  /// The statistics the input features were normalized with (see
  /// kiln/Data.h), kept with the model so that new samples get the same
  /// treatment; empty when the features are used as they are.
  void setNormalization(Standardization stats) { inputStats = std::move(stats); }
  const Standardization &normalization() const { return inputStats; }

  /// Writes parameters, optimizer state, the update count, the epoch, the
  /// seed and the input normalization to `path` (a safetensors file, see
  /// kiln/Checkpoint.h), atomically, with the data's checksum. `metadata`
  /// adds string entries (a caller's own state, e.g. early stopping's).
  Status saveCheckpoint(const std::string &path,
                        const std::map<std::string, std::string> &metadata = {}) const;
  /// Restores what saveCheckpoint wrote, the seed included (so that the
  /// remaining epochs visit samples in the order of an uninterrupted run);
  /// fails, changing nothing, when the file does not belong to this model
  /// (its format, model or optimizer), its checksum or a count in its
  /// metadata is wrong, or a tensor holds a NaN or an infinity.
  /// With `metadata`, returns every metadata entry of the file there.
  Status loadCheckpoint(const std::string &path,
                        std::map<std::string, std::string> *metadata = nullptr);
  /// Fine-tuning: sets every parameter whose name the safetensors file at
  /// `path` holds (a checkpoint or exported weights) to the file's values and
  /// leaves the others as they are; optimizer state, counters and the
  /// normalization are untouched. Fails, changing nothing, on a tensor of
  /// that name with another shape or dtype or a non-finite value, or when no
  /// name matches. Returns
  /// the names of the parameters it set, in model order. Parameters of the
  /// layers in `skipLayers` ("dense2" for dense2.weight and dense2.bias) are
  /// not read: a new head for a new task.
  Result<std::vector<std::string>> loadWeights(const std::string &path,
                                               const std::vector<std::string> &skipLayers = {});

  /// Called after every step of trainEpoch with the steps done and planned
  /// this epoch, the mean loss so far and the samples so far (for a
  /// progress display).
  using StepCallback =
      std::function<void(int64_t done, int64_t steps, double meanLoss, int64_t samples)>;
  void setStepCallback(StepCallback callback) { onStep = std::move(callback); }

  /// Trains as one process of a data-parallel run (kiln/Distributed.h; null:
  /// alone): every step takes this process's part of the global batch
  /// (batchPart), the gradients are summed over the group inside the step,
  /// the loss returned is the global batch's, and evaluate measures each
  /// process's part of the data and sums the counts. The model must be
  /// compiled with `kilnc --data-parallel`.
  void setProcessGroup(ProcessGroup *group) { processGroup = group; }
  ProcessGroup *group() const { return processGroup; }
  /// Copies rank 0's parameters, optimizer state and update count to every
  /// process of the group (kiln::fit does it before the first epoch).
  void synchronizeFromRank0();

  const TrainerOptions &options() const { return opts; }
  /// The model and parameters this trainer updates.
  CompiledModel &compiledModel() { return model; }
  ParameterStore &parameters() { return params; }
  /// Training health of the steps since the last epoch ended (a model
  /// compiled with `kilnc --health`; see kiln/Health.h). trainEpoch ends its
  /// epoch there and returns the report in EpochStats::health.
  HealthMonitor &health() { return healthMonitor; }
  /// Epochs trained so far; the next trainEpoch trains epoch epochsDone()+1.
  int64_t epochsDone() const { return epochs; }
  /// The steps of an epoch over `samples` samples at this batch size.
  int64_t stepsPerEpoch(int64_t samples) const {
    int64_t batch = opts.batchSize > 0 ? std::min(opts.batchSize, samples) : samples;
    return batch > 0 ? (samples + batch - 1) / batch : 0;
  }

  /// Trains one epoch over `data` in the order epochOrder(data.count, seed,
  /// epochsDone()). Fails before the first step, changing nothing, if the
  /// data does not fit the model (checkDataset: sizes, labels, token ids),
  /// or as soon as a step returns a non-finite loss: the epoch is then
  /// replayed from its start with numerics checks on, to name the first step
  /// and kernel (ops and model-file locations) that produced a NaN or Inf,
  /// and parameters and state are restored to the start of the epoch.
  Result<EpochStats> trainEpoch(const Dataset &data);

  /// One update on a batch the caller gathered: `x` the features and
  /// `labelsOrTargets` the batch's class labels (i32) or float targets, as
  /// checkTrainBuffers (kiln/Tensor.h) checks them against the model.
  /// Applies the hyperparameters and the scheduled learning rate and counts
  /// the update. Returns the batch's mean loss, which is NaN when the
  /// generated code reports an error (or the model diverged); a call the
  /// check rejects fails with its message ("trainBatch: labels: expected
  /// i32[64], got f32[64]") and changes nothing.
  Result<float> trainBatch(const TensorRef &x, const TensorRef &labelsOrTargets);
  /// The same on raw pointers: `x` holds batch x inputFeatures floats, and
  /// `labels` (a model trained on class labels) or `targets` (one trained on
  /// float targets) the batch's labels. Checks what pointers allow (not null,
  /// batch >= 1, labels and token ids in range) and returns NaN, changing
  /// nothing, when that fails; the TensorRef overload says why.
  float trainBatch(const float *x, const int32_t *labels, const float *targets, int64_t batch);

  /// Measures the model in inference mode (CompiledModel::evaluate) over the
  /// first `maxSamples` samples of `data` (all of them when maxSamples <= 0),
  /// in batches of batchSize: the mean loss, and accuracy or errors, as the
  /// model's task says (see EvalStats).
  Result<EvalStats> evaluate(const Dataset &data, int64_t maxSamples = 0);

private:
  friend class Model; // checks a step's buffers under its own name, then runs it
  Status checkFits(const Dataset &data) const;
  /// One update on buffers already checked; `share`: the batch's part of the
  /// global batch of a data-parallel run (1 alone).
  /// `offset`: where the batch begins in the global batch.
  float runStep(const float *x, const int32_t *labels, const float *targets, int64_t batch,
                float share = 1, int64_t offset = 0);
  /// This batch's part of the global batch summed over the group's (1 alone).
  float shareOf(int64_t batch) const;
  /// Gathers samples order[first, first + batch) and runs one update.
  float step(const Dataset &data, const std::vector<int64_t> &order, int64_t first,
             int64_t batch);
  Error diagnoseNonFinite(const Dataset &data, const std::vector<int64_t> &order,
                          int64_t batchSize, int64_t epoch, int64_t failedStep, float loss);

  CompiledModel &model;
  ParameterStore &params;
  TrainerOptions opts;
  ProcessGroup *processGroup = nullptr;
  std::vector<float> hyperValues;
  std::vector<float> stepHyper; // hyperValues with the scheduled learning rate
  int lrIndex = -1;
  ScheduleInfo lrSchedule;
  StateStore states;
  int64_t updateCount = 0;
  int64_t epochs = 0;
  // Parameters, state and update count at the start of the current epoch.
  std::vector<std::vector<float>> epochStartParams;
  std::vector<std::vector<float>> epochStartStates;
  int64_t epochStartUpdates = 0;
  Standardization inputStats;
  StepCallback onStep;
  HealthMonitor healthMonitor;
  // Batch buffers, allocated once and reused by every step.
  std::vector<float> batchX;
  std::vector<int32_t> batchY;     // class labels
  std::vector<float> batchTargets; // float targets
  std::vector<float> predictions;  // predict's output, in evaluate
};

} // namespace kiln

#endif // KILN_TRAINER_H
