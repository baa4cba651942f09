//===- Trainer.h - Mini-batch training of a compiled model ------*- C++ -*-===//
//
// Drives CompiledModel::trainStep over a dataset, one shuffled epoch at a
// time, and measures accuracy with CompiledModel::predict. What a generated
// binary's `train` command does, in a few lines of an app:
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
//===----------------------------------------------------------------------===//
#ifndef KILN_TRAINER_H
#define KILN_TRAINER_H

#include "kiln/CompiledModel.h"
#include "kiln/Data.h"
#include "kiln/Init.h"
#include "kiln/Result.h"

#include <cstdint>
#include <string_view>
#include <vector>

namespace kiln {

struct TrainerOptions {
  /// Samples per step; the last batch of an epoch may be smaller.
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
  double samplesPerSecond() const { return seconds > 0 ? samples / seconds : 0; }
};

struct EvalStats {
  int64_t correct = 0;
  int64_t count = 0;
  /// Fraction of samples whose largest logit is at their label, in [0, 1].
  double accuracy() const { return count > 0 ? double(correct) / double(count) : 0; }
};

class Trainer {
public:
  /// `params` must have been built from model.info(). Hyperparameters start
  /// at their ModelInfo defaults.
  Trainer(CompiledModel &model, ParameterStore &params, TrainerOptions options = {});

  /// Sets the hyperparameter called `name`; false if the model has none.
  bool setHyperparam(std::string_view name, float value);
  /// One value per ModelInfo::hyperparams entry, in order.
  const std::vector<float> &hyperparams() const { return hyperValues; }

  const TrainerOptions &options() const { return opts; }
  /// Epochs trained so far; the next trainEpoch trains epoch epochsDone()+1.
  int64_t epochsDone() const { return epochs; }

  /// Trains one epoch over `data` in the order epochOrder(data.count, seed,
  /// epochsDone()). Fails if the data does not fit the model, or with
  /// "loss became nan at epoch E step S" (steps counted from 1) as soon as a
  /// step returns a non-finite loss; the parameters then hold whatever that
  /// step wrote.
  Result<EpochStats> trainEpoch(const Dataset &data);

  /// Accuracy of predict() over the first `maxSamples` samples of `data`
  /// (all of them when maxSamples <= 0), in batches of batchSize.
  Result<EvalStats> evaluate(const Dataset &data, int64_t maxSamples = 0);

private:
  Status checkFits(const Dataset &data) const;

  CompiledModel &model;
  ParameterStore &params;
  TrainerOptions opts;
  std::vector<float> hyperValues;
  int64_t epochs = 0;
  // Batch buffers, allocated once and reused by every step.
  std::vector<float> batchX;
  std::vector<int32_t> batchY;
  std::vector<float> logits;
};

} // namespace kiln

#endif // KILN_TRAINER_H
