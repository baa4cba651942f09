//===- Fit.h - The training loop of every run -------------------*- C++ -*-===//
//
// kiln::fit trains a model epoch by epoch and owns everything around the
// epochs: measuring a validation set, early stopping (patience on a monitored
// metric, the best epoch's weights kept and put back), checkpoints (written
// atomically after every finished epoch), the CSV or JSON log, the SVG of the
// curves, and the per-epoch line or progress bar. The `train` command of a
// generated binary and every trial of `tune` run through it, and so can an
// app (docs/cpp-api.md shows a whole one):
//
//   kiln::FitOptions options;
//   options.epochs = 50;
//   options.validation = &validationSet;
//   options.patience = 3;                 // stop after 3 epochs without a better val-loss
//   options.checkpointDir = "run";        // run/checkpoint.safetensors, run/best.safetensors
//   options.out = &std::cout;             // one line per epoch
//   kiln::Result<kiln::FitState> run = kiln::fit(model, trainingSet, options);
//
// Callbacks see every finished epoch and may end the run (pruning) or fail
// it. A run that fails (bad data, a NaN) never touches the last checkpoint.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FIT_H
#define KILN_FIT_H

#include "kiln/Data.h"
#include "kiln/History.h"
#include "kiln/Result.h"
#include "kiln/Trainer.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

class Model;

/// Training samples that the per-epoch training metric is measured on.
constexpr int64_t TrainMetricSamples = 10000;

struct FitOptions {
  /// The run ends after this epoch; a resumed run counts the epochs before it.
  int64_t epochs = 1;
  /// Measured after every epoch; early stopping and the best epoch follow it.
  const Dataset *validation = nullptr;
  /// Without a validation set, measured and shown after every epoch (never
  /// monitored); FitState::lastTest holds the last measurement.
  const Dataset *test = nullptr;
  /// Training samples the per-epoch training metric is measured on; 0: none.
  int64_t trainMetricSamples = TrainMetricSamples;

  /// Early stopping, on when patience > 0: stop when `monitor` (val-loss,
  /// val-acc, val-mse or val-mae) has not improved by more than minDelta for
  /// `patience` epochs, and put back the weights of the best epoch.
  int64_t patience = 0;
  double minDelta = 0;
  std::string monitor = "val-loss";
  /// Keep and put back the best epoch's weights without early stopping too.
  bool restoreBest = false;

  /// After every epoch: DIR/checkpoint.safetensors, and DIR/best.safetensors
  /// when the monitored metric improved. Created if missing.
  std::string checkpointDir;
  /// Rewritten after every epoch: the history as .csv or .json, the curves
  /// as .svg (see kiln/History.h). Checked before the first epoch.
  std::string logPath;
  std::string plotPath;

  /// A line per epoch, training health, and the early stop and restore
  /// messages; nothing when null.
  std::ostream *out = nullptr;
  /// Warnings of training health ("warning: epoch 3: ..."); none when null.
  std::ostream *err = nullptr;
  /// A progress bar on `out`, redrawn in place while an epoch runs.
  bool progressBar = false;
};

/// A finished epoch, as callbacks see it.
struct FitEpoch {
  const EpochRecord &record;
  /// The validation set's measurement; null without a validation set.
  const EvalStats *validation;
  /// The monitored metric of this epoch (NaN without a validation set).
  double monitored;
  /// The best monitored value so far, this epoch included, and its epoch.
  double best;
  int64_t bestEpoch;
};

enum class FitDecision { Continue, Stop };

struct FitCallbacks {
  /// After every epoch is recorded, reported and saved. Stop ends the run
  /// there (pruning); an error ends it with that error.
  std::function<Result<FitDecision>(const FitEpoch &)> onEpochEnd;
};

/// Where a run stands: what fit returns, and what a resumed run starts from.
struct FitState {
  /// Every epoch so far, a resumed run's earlier ones included.
  History history;
  /// The best epoch of the monitored metric (0: none yet) and its value.
  int64_t bestEpoch = 0;
  double bestValue = NAN;
  /// The best epoch's weights, kept with early stopping or restoreBest.
  std::vector<std::vector<float>> bestWeights;
  /// Why the run ended before its last epoch.
  bool stoppedEarly = false;       // patience ran out
  bool stoppedByCallback = false;  // onEpochEnd said Stop
  /// The test set's measurement after the last epoch, when fit measured it.
  std::optional<EvalStats> lastTest;
};

/// Loads a checkpoint that fit wrote into `trainer` (see
/// Trainer::loadCheckpoint) and the run's state with it: its history and
/// early stopping's best epoch, whose weights come from best.safetensors
/// beside the checkpoint when early stopping is on and that epoch was not the
/// last. Fails, changing nothing in `trainer`, on a checkpoint of another
/// model or with history in an encoding this version does not read.
Result<FitState> resumeFit(Trainer &trainer, const std::string &checkpoint,
                           const FitOptions &options);

/// Trains `train` from epoch trainer.epochsDone() + 1 to options.epochs,
/// continuing `start` (a resumed run's state, else empty).
Result<FitState> fit(Trainer &trainer, const Dataset &train, const FitOptions &options,
                     const FitCallbacks &callbacks = {}, FitState start = {});
/// The same for an app's Model.
Result<FitState> fit(Model &model, const Dataset &train, const FitOptions &options,
                     const FitCallbacks &callbacks = {});

/// The training history as checkpoint metadata: JSON, an array of epochs
/// with train_loss, train_metric, val_loss, val_metric and lr (NaN as null).
/// Timings are left out: a checkpoint holds only what an uninterrupted run
/// would reproduce bit for bit.
std::string encodeHistory(const History &history);
/// Reads what encodeHistory wrote; an error for anything else.
Result<std::vector<EpochRecord>> decodeHistory(const std::string &text);

} // namespace kiln

#endif // KILN_FIT_H
