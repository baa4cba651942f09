//===- Fit.cpp - The training loop of every run ---------------------------===//
//
// One epoch of fit: train, measure (training metric, validation or test),
// record, decide whether the monitored metric improved, report (line, log,
// plot), save (best, then last), ask the callback, stop on patience.
//
//===----------------------------------------------------------------------===//

#include "kiln/Fit.h"
#include "kiln/Model.h"
#include "core/ParseNumber.h"
#include "io/Json.h"
#include "train/LearningRate.h"
#include "train/Metrics.h"
#include "train/Progress.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>

namespace kiln {

namespace {

/// Whether `value` improves on `best` by more than `minDelta`.
bool improves(double value, double best, double minDelta, bool higherIsBetter) {
  if (!std::isfinite(value))
    return false;
  if (std::isnan(best))
    return true;
  return higherIsBetter ? value > best + minDelta : value < best - minDelta;
}

void keepWeights(ParameterStore &params, std::vector<std::vector<float>> &weights) {
  weights.resize(params.size());
  for (size_t p = 0; p < params.size(); ++p)
    weights[p] = params.values(p);
}

Status createDirectory(const std::string &dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Error(fmt::format("cannot create directory {}: {}", dir, ec.message()));
  return {};
}

/// The number JSON holds for a double: null for NaN and infinities.
nlohmann::json jsonNumber(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

double numberOf(const nlohmann::json &value) {
  return value.is_number() ? value.get<double>() : NAN;
}

/// The loop's state beside FitState: the trainer, the options and the
/// reports of one run.
class FitRun {
public:
  FitRun(Trainer &trainer, const FitOptions &options, const FitCallbacks &callbacks,
         FitState state)
      : trainer(trainer), info(trainer.compiledModel().info()), options(options),
        callbacks(callbacks), state(std::move(state)) {}

  Result<FitState> run(const Dataset &train);

private:
  bool keepsBest() const { return options.patience > 0 || options.restoreBest; }
  /// Turns the schedule's periods in epochs or fractions of the run into
  /// updates, and warns when the run would end inside the warm-up.
  Status resolveSchedule(int64_t stepsPerEpoch);
  Status writeReports() const;
  Status saveCheckpoints(bool improved) const;
  /// Trains and measures one epoch; returns whether to stop after it.
  Result<bool> runEpoch(const Dataset &train, int64_t epoch, int64_t stepsPerEpoch);
  Status restoreBest();

  Trainer &trainer;
  const ModelInfo &info;
  const FitOptions &options;
  const FitCallbacks &callbacks;
  FitState state;
  std::optional<Progress> progress;
};

Status FitRun::writeReports() const {
  if (!options.logPath.empty())
    if (Status status = writeHistory(options.logPath, state.history); !status)
      return status;
  if (!options.plotPath.empty())
    if (Status status = writeCurvesSvg(options.plotPath, state.history); !status)
      return status;
  return {};
}

Status FitRun::resolveSchedule(int64_t stepsPerEpoch) {
  const int64_t runUpdates = options.epochs * stepsPerEpoch;
  Result<ScheduleInfo> schedule =
      resolveScheduleUnits(trainer.schedule(), stepsPerEpoch, runUpdates);
  if (!schedule)
    return schedule.takeError();
  trainer.setSchedule(*schedule);
  // Short runs (tuning trials, large batches) may never reach the rate the
  // schedule warms up to.
  int64_t warmup = warmupUpdates(*schedule);
  if (options.err && warmup > runUpdates)
    *options.err << fmt::format("warning: the run's {} updates ({} epoch{} of {}) end inside "
                                "the schedule's warm-up of {} updates: the learning rate never "
                                "reaches its full value; give the warm-up in epochs or as a "
                                "fraction of the run (warmup=5%), or train longer",
                                runUpdates, options.epochs, options.epochs == 1 ? "" : "s",
                                stepsPerEpoch, warmup)
                 << std::endl;
  return {};
}

Status FitRun::saveCheckpoints(bool improved) const {
  if (options.checkpointDir.empty())
    return {};
  std::map<std::string, std::string> metadata = {{"history", encodeHistory(state.history)}};
  if (state.bestEpoch > 0) {
    metadata["best_epoch"] = std::to_string(state.bestEpoch);
    metadata["best_value"] = fmt::format("{}", state.bestValue);
  }
  if (improved)
    if (Status status =
            trainer.saveCheckpoint(options.checkpointDir + "/best.safetensors", metadata);
        !status)
      return status;
  return trainer.saveCheckpoint(options.checkpointDir + "/checkpoint.safetensors", metadata);
}

Result<bool> FitRun::runEpoch(const Dataset &train, int64_t epoch, int64_t stepsPerEpoch) {
  const bool validating = options.validation != nullptr;
  auto start = std::chrono::steady_clock::now();
  double learningRate = trainer.currentLearningRate();
  if (progress)
    progress->beginEpoch(epoch, options.epochs, stepsPerEpoch);
  Result<EpochStats> epochStats = trainer.trainEpoch(train);
  if (!epochStats) {
    if (progress)
      progress->endEpoch("");
    return epochStats.takeError();
  }
  std::optional<EvalStats> trainEval;
  if (options.trainMetricSamples > 0) {
    Result<EvalStats> measured = trainer.evaluate(train, options.trainMetricSamples);
    if (!measured)
      return measured.takeError();
    trainEval = *measured;
  }
  const Dataset *heldOutSet = validating ? options.validation : options.test;
  std::optional<EvalStats> heldOut;
  if (heldOutSet) {
    Result<EvalStats> measured = trainer.evaluate(*heldOutSet);
    if (!measured)
      return measured.takeError();
    heldOut = *measured;
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!validating && heldOut)
    state.lastTest = heldOut;

  EpochRecord record;
  record.epoch = epoch;
  record.trainLoss = epochStats->meanLoss;
  record.trainMetric = trainEval ? metricValue(info, *trainEval) : NAN;
  record.valLoss = validating ? heldOut->meanLoss() : NAN;
  record.valMetric = validating ? metricValue(info, *heldOut) : NAN;
  record.learningRate = learningRate;
  record.seconds = seconds;
  record.samplesPerSecond = epochStats->samplesPerSecond();
  record.extra = epochStats->health.columns();
  state.history.epochs.push_back(record);

  const double monitored = validating ? heldOut->byName(options.monitor) : NAN;
  bool improved = false;
  if (validating && improves(monitored, state.bestValue,
                             options.patience > 0 ? options.minDelta : 0,
                             options.monitor == "val-acc")) {
    state.bestValue = monitored;
    state.bestEpoch = epoch;
    improved = true;
    if (keepsBest()) {
      if (Status status = trainer.syncToHost(); !status)
        return status.takeError();
      keepWeights(trainer.parameters(), state.bestWeights);
    }
  }
  if (progress) {
    std::string metrics = trainEval ? formatMetrics(info, "train", *trainEval, false, true) : "";
    if (heldOut)
      metrics += (metrics.empty() ? "" : "  ") +
                 formatMetrics(info, validating ? "val" : "test", *heldOut, validating, false);
    progress->endEpoch(fmt::format("epoch {}/{}  loss {:.4f}  {}  {:.0f} samples/s  ({:.1f} s){}",
                                   epoch, options.epochs, epochStats->meanLoss, metrics,
                                   epochStats->samplesPerSecond(), seconds,
                                   improved && options.patience > 0 ? "  *" : ""));
    if (std::string health = epochStats->health.summary(); !health.empty())
      *options.out << "  health: " << health << std::endl;
  }
  if (options.err)
    for (const std::string &warning : epochStats->health.warnings)
      *options.err << "warning: epoch " << epoch << ": " << warning << std::endl;

  bool stop = options.patience > 0 && epoch - state.bestEpoch >= options.patience;
  if (stop)
    state.history.stopReason =
        fmt::format("early stop: {} did not improve by more than {} for {} epochs",
                    options.monitor, options.minDelta, options.patience);
  if (options.patience > 0)
    state.history.bestEpoch = state.bestEpoch;
  if (Status status = writeReports(); !status)
    return status.takeError();
  // Only a finished epoch is saved: a run that fails leaves the last one.
  if (Status status = saveCheckpoints(improved); !status)
    return status.takeError();
  if (stop) {
    state.stoppedEarly = true;
    if (options.out)
      *options.out << fmt::format("{} (best epoch {})", state.history.stopReason,
                                  state.bestEpoch)
                   << std::endl;
    return true;
  }
  if (callbacks.onEpochEnd) {
    Result<FitDecision> decision = callbacks.onEpochEnd(
        {record, validating ? &*heldOut : nullptr, monitored, state.bestValue, state.bestEpoch});
    if (!decision)
      return decision.takeError();
    state.stoppedByCallback = *decision == FitDecision::Stop;
  }
  return state.stoppedByCallback;
}

Status FitRun::restoreBest() {
  if (!keepsBest() || state.bestWeights.empty() || state.bestEpoch == trainer.epochsDone())
    return {};
  if (Status status = trainer.returnToHost(); !status)
    return status;
  ParameterStore &params = trainer.parameters();
  for (size_t p = 0; p < params.size(); ++p)
    params.values(p) = state.bestWeights[p];
  if (!options.out)
    return {};
  std::string best = options.monitor == "val-acc" ? fmt::format("{:.2f}%", 100 * state.bestValue)
                                                  : fmt::format("{:.4f}", state.bestValue);
  *options.out << fmt::format("restored the weights of epoch {} ({} {})", state.bestEpoch,
                              options.monitor, best)
               << std::endl;
  return {};
}

Result<FitState> FitRun::run(const Dataset &train) {
  state.history.model = info.name;
  state.history.metric = info.task == "regression" ? "mse" : "accuracy";
  if (!options.checkpointDir.empty())
    if (Status status = createDirectory(options.checkpointDir); !status)
      return status.takeError();
  // Reports are checked before the first epoch: a bad log or plot path
  // should not wait for a whole epoch to fail.
  if (Status status = writeReports(); !status)
    return status.takeError();

  // The progress bar lives as long as the run; so does the trainer's call to it.
  struct StepCallbackReset {
    Trainer &trainer;
    ~StepCallbackReset() { trainer.setStepCallback(nullptr); }
  };
  std::optional<StepCallbackReset> reset;
  if (options.out) {
    progress.emplace(*options.out, options.progressBar);
    trainer.setStepCallback([this](int64_t done, int64_t, double meanLoss, int64_t samples) {
      progress->step(done, meanLoss, samples);
    });
    reset.emplace(StepCallbackReset{trainer});
  }
  const int64_t stepsPerEpoch = trainer.stepsPerEpoch(train.count);
  if (Status status = resolveSchedule(stepsPerEpoch); !status)
    return status.takeError();
  // A data-parallel run starts every process from rank 0's weights.
  trainer.synchronizeFromRank0();
  for (int64_t epoch = trainer.epochsDone() + 1; epoch <= options.epochs; ++epoch) {
    Result<bool> stop = runEpoch(train, epoch, stepsPerEpoch);
    if (!stop)
      return stop.takeError();
    if (*stop)
      break;
  }
  if (Status status = restoreBest(); !status)
    return status.takeError();
  return std::move(state);
}

} // namespace

Result<FitState> fit(Trainer &trainer, const Dataset &train, const FitOptions &options,
                     const FitCallbacks &callbacks, FitState start) {
  return FitRun(trainer, options, callbacks, std::move(start)).run(train);
}

Result<FitState> fit(Model &model, const Dataset &train, const FitOptions &options,
                     const FitCallbacks &callbacks) {
  return fit(model.trainer(), train, options, callbacks);
}

Result<FitState> resumeFit(Trainer &trainer, const std::string &checkpoint,
                           const FitOptions &options) {
  std::map<std::string, std::string> metadata;
  if (Status status = trainer.loadCheckpoint(checkpoint, &metadata); !status)
    return status.takeError();
  FitState state;
  if (!metadata["history"].empty()) {
    Result<std::vector<EpochRecord>> epochs = decodeHistory(metadata["history"]);
    if (!epochs)
      return Error(fmt::format("{}: {}", checkpoint, epochs.error()));
    state.history.epochs = std::move(*epochs);
  }
  if (!metadata["best_epoch"].empty()) {
    std::optional<int64_t> bestEpoch = parseNumber<int64_t>(metadata["best_epoch"]);
    std::optional<double> bestValue = parseNumber<double>(metadata["best_value"]);
    if (!bestEpoch || *bestEpoch < 1 || *bestEpoch > trainer.epochsDone())
      return Error(fmt::format("{}: metadata 'best_epoch' is {}, not an epoch from 1 to {}",
                               checkpoint, jsonString(metadata["best_epoch"]),
                               trainer.epochsDone()));
    if (!bestValue)
      return Error(fmt::format("{}: metadata 'best_value' is {}, not a number", checkpoint,
                               jsonString(metadata["best_value"])));
    state.bestEpoch = *bestEpoch;
    state.bestValue = *bestValue;
  }
  if (!(options.patience > 0 || options.restoreBest) || state.bestEpoch == 0)
    return state;
  // The best weights so far sit beside the checkpoint, unless the last
  // epoch was the best.
  if (state.bestEpoch == trainer.epochsDone()) {
    // loadCheckpoint left the weights in host memory.
    keepWeights(trainer.parameters(), state.bestWeights);
    return state;
  }
  std::string bestPath =
      (std::filesystem::path(checkpoint).parent_path() / "best.safetensors").string();
  ParameterStore bestStore(trainer.compiledModel().info());
  Trainer bestTrainer(trainer.compiledModel(), bestStore, trainer.options());
  if (Status status = bestTrainer.loadCheckpoint(bestPath); !status)
    return Error(fmt::format("resuming early stopping needs the best epoch's weights: {}",
                             status.error()));
  keepWeights(bestStore, state.bestWeights);
  return state;
}

std::string encodeHistory(const History &history) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const EpochRecord &r : history.epochs)
    epochs.push_back({{"epoch", r.epoch},
                      {"train_loss", jsonNumber(r.trainLoss)},
                      {"train_metric", jsonNumber(r.trainMetric)},
                      {"val_loss", jsonNumber(r.valLoss)},
                      {"val_metric", jsonNumber(r.valMetric)},
                      {"lr", jsonNumber(r.learningRate)}});
  return epochs.dump();
}

Result<std::vector<EpochRecord>> decodeHistory(const std::string &text) {
  nlohmann::json epochs = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!epochs.is_array())
    return Error("the training history in its metadata is not the JSON this version writes "
                 "(a checkpoint of an older version, whose history is lines of numbers, "
                 "cannot be resumed; start the run again or fine-tune with --init-from)");
  std::vector<EpochRecord> records;
  for (const nlohmann::json &epoch : epochs) {
    if (!epoch.is_object() || !epoch.contains("epoch") || !epoch["epoch"].is_number_integer())
      return Error(fmt::format("the training history in its metadata has a bad epoch: {}",
                               epoch.dump()));
    EpochRecord r;
    r.epoch = epoch["epoch"].get<int64_t>();
    r.trainLoss = numberOf(epoch.value("train_loss", nlohmann::json()));
    r.trainMetric = numberOf(epoch.value("train_metric", nlohmann::json()));
    r.valLoss = numberOf(epoch.value("val_loss", nlohmann::json()));
    r.valMetric = numberOf(epoch.value("val_metric", nlohmann::json()));
    r.learningRate = numberOf(epoch.value("lr", nlohmann::json()));
    r.seconds = NAN;
    r.samplesPerSecond = NAN;
    records.push_back(r);
  }
  return records;
}

} // namespace kiln
