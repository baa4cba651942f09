//===- Tune.h - Hyperparameter search over a compiled model ------*- C++ -*-===//
//
// The `tune` command's loop: a search method (kiln/Search.h) proposes
// configurations of the runtime values a model reads (learning rate,
// optimizer constants, regularization, dropout, clipping, schedule
// arguments) and of the run's batch size and epochs; each trial trains a
// fresh copy of the model from the same initial weights and is scored on the
// validation set, which the test set never joins. Nothing is recompiled.
//
// Trials run in waves of `jobs`: a wave is proposed at once, its trials run
// side by side (in child processes when jobs > 1), and their results are
// reported in trial order. So the same seed and the same jobs give the same
// trials, however long each takes. A later distributed scheduler can hand a
// wave's trials to other ranks: runTrial is the whole unit of work, and its
// inputs and outputs are plain values.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNE_H
#define KILN_TUNE_H

#include "kiln/CompiledModel.h"
#include "kiln/Data.h"
#include "kiln/Result.h"
#include "kiln/Search.h"
#include "kiln/TuneReport.h"

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace kiln {

class ProcessGroup; // kiln/Distributed.h

/// Parses one range as the command line gives it: "lr=log_uniform(1e-4,0.1)",
/// "batch=choice(32,64)", "epochs=int(2,8)", "momentum=uniform(0.5,0.99)".
Result<TuneRange> parseTuneRange(const std::string &text);

/// Checks a space against a model: every name is a hyperparameter of the
/// model, "batch", "epochs" or "schedule.<arg>" of the model's schedule, and
/// every bound lies within the value's valid range.
Status checkTuneSpace(const ModelInfo &info, const std::vector<TuneRange> &space);

/// What the runs of a search share.
struct TuneSettings {
  SearchOptions search; // method, space, seed, budget (trials), manual file
  double timeLimitSeconds = 0; // no new wave starts after this; 0: none
  /// val-loss, val-acc, val-mse or val-mae; the trial's score is its best
  /// epoch's.
  std::string objective = "val-loss";
  /// none; median: stop a trial whose best value so far is worse than the
  /// median of earlier trials' at the same epoch (after 3 trials); halving:
  /// at epochs 1, 3, 9, ... keep a trial only if it is in the best third of
  /// earlier trials at that epoch.
  std::string prune = "none";
  int64_t jobs = 1;           // trials at once (child processes when > 1)
  int64_t threadsPerTrial = 1;
  uint64_t seed = 1;          // initial weights and sample order of every trial
  int64_t batch = 128;        // unless the space has "batch"
  int64_t epochs = 1;         // unless the space has "epochs"
  std::vector<float> hyperparams; // every trial's starting values (ModelInfo order)
  ScheduleInfo schedule;
  Standardization normalization; // saved with the best model
  std::string outputDir;     // trials.csv, trials.svg, best.safetensors
  /// Under mpirun: trials run one per rank, a wave at a time (rank 0 runs
  /// runSearch, the others serveTrialWaves); null: `jobs` at a time here.
  ProcessGroup *group = nullptr;
};

/// One trial's whole outcome.
struct TrialOutcome {
  TrialRecord record;
  std::vector<double> curve; // the objective after each epoch
  std::string message;       // why it failed, if it did
};

/// Curves of earlier trials, for pruning.
using TrialCurves = std::vector<std::vector<double>>;

/// Trains one configuration through kiln::fit (kiln/Fit.h), scored on
/// `validation` after every epoch and pruned by its epoch callback, and, when
/// `checkpointPath` is not empty, saves the weights of its best epoch there.
TrialOutcome runTrial(CompiledModel &model, const TuneSettings &settings, const TuneConfig &config,
                      int64_t trial, const Dataset &train, const Dataset &validation,
                      const TrialCurves &earlier, const std::string &checkpointPath);

/// The search: prints a line per trial to `out` and writes the reports;
/// returns the history (TuneHistory::bestIndex() is the best trial, whose
/// weights are in outputDir/best.safetensors).
Result<TuneHistory> runSearch(CompiledModel &model, const TuneSettings &settings,
                              const Dataset &train, const Dataset &validation, std::ostream &out);

} // namespace kiln

#endif // KILN_TUNE_H
