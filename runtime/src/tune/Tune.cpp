//===- Tune.cpp - Hyperparameter search over a compiled model -------------===//
#include "kiln/Tune.h"
#include "tune/TrialWaves.h"
#include "kiln/Checkpoint.h"
#include "kiln/Fit.h"
#include "core/ParseNumber.h"
#include "core/Text.h"
#include "io/AtomicFile.h"
#include "io/ReadFile.h"
#include "kiln/Init.h"
#include "kiln/Trainer.h"
#include "train/LearningRate.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

namespace kiln {

namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool higherIsBetter(const std::string &objective) { return objective == "val-acc"; }

bool better(double a, double b, bool higher) { return higher ? a > b : a < b; }

/// The best value of `curve` up to epoch `epoch` (1-based).
double bestUpTo(const std::vector<double> &curve, size_t epoch, bool higher) {
  double best = curve[0];
  for (size_t e = 1; e < epoch && e < curve.size(); ++e)
    if (better(curve[e], best, higher))
      best = curve[e];
  return best;
}

/// Whether a trial whose best value after `epoch` epochs is `value` should
/// stop, given earlier trials' curves.
bool shouldPrune(const std::string &rule, size_t epoch, double value, const TrialCurves &earlier,
                 bool higher) {
  if (rule == "none")
    return false;
  if (rule == "halving") {
    size_t rung = 1;
    while (rung < epoch)
      rung *= 3;
    if (rung != epoch)
      return false;
  }
  std::vector<double> others;
  for (const std::vector<double> &curve : earlier)
    if (curve.size() >= epoch)
      others.push_back(bestUpTo(curve, epoch, higher));
  const size_t minimum = 3;
  if (others.size() < minimum)
    return false;
  // Best first.
  std::sort(others.begin(), others.end(),
            [&](double a, double b) { return better(a, b, higher); });
  double threshold = rule == "median" ? others[(others.size() - 1) / 2]
                                      : others[(others.size() + 2) / 3 - 1];
  return better(threshold, value, higher);
}

std::string formatObjective(const std::string &objective, double value) {
  if (!std::isfinite(value))
    return "-";
  return objective == "val-acc" ? fmt::format("{:.2f}%", 100 * value)
                                : fmt::format("{:.4f}", value);
}

} // namespace

Result<TuneRange> parseTuneRange(const std::string &text) {
  size_t equal = text.find('=');
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  std::string_view all = text;
  if (equal == std::string::npos || open == std::string::npos || open < equal ||
      close == std::string::npos || close < open || !trimBlanks(all.substr(close + 1)).empty())
    return Error(fmt::format("'{}' is not a range such as lr=log_uniform(1e-4,0.1)", text));
  TuneRange range;
  range.name = trimBlanks(all.substr(0, equal));
  std::string_view kind = trimBlanks(all.substr(equal + 1, open - equal - 1));
  const vocabulary::TuneRangeKindRow *row =
      vocabulary::findByName(vocabulary::TuneRangeKinds, kind);
  if (!row)
    return Error(fmt::format("'{}': unknown range '{}' (known: {})", text, kind,
                             vocabulary::joinNames(vocabulary::TuneRangeKinds)));
  range.kind = row->kind;
  std::vector<double> values;
  std::string_view args = all.substr(open + 1, close - open - 1);
  for (std::string_view item : splitCommas(args)) {
    std::optional<double> v = parseNumber<double>(item, /*allowPlus=*/true);
    if (!v || !std::isfinite(*v))
      return Error(fmt::format("'{}': '{}' is not a number", text, item));
    values.push_back(*v);
  }
  if (range.kind == TuneRange::Kind::Choice) {
    range.choices = values;
  } else {
    if (values.size() != 2)
      return Error(fmt::format("'{}': {} takes two bounds, low and high", text, kind));
    range.low = values[0];
    range.high = values[1];
  }
  if (std::string problem = validateSpace({range}); !problem.empty())
    return Error(fmt::format("'{}': {}", text, problem));
  return range;
}

Status checkTuneSpace(const ModelInfo &info, const std::vector<TuneRange> &space) {
  if (std::string problem = validateSpace(space); !problem.empty())
    return Error(problem);
  for (const TuneRange &r : space) {
    std::vector<double> bounds = r.kind == TuneRange::Kind::Choice
                                     ? r.choices
                                     : std::vector<double>{r.low, r.high};
    auto check = [&](auto accepts, const std::string &validText) -> Status {
      for (double v : bounds)
        if (!accepts(v))
          return Error(fmt::format("range of '{}': {} is outside its valid range {}", r.name, v,
                                   validText));
      return {};
    };
    if (r.name == "batch" || r.name == "epochs") {
      if (Status s = check([](double v) { return v >= 1 && v == std::floor(v); },
                           "of whole numbers >= 1");
          !s)
        return s;
      continue;
    }
    if (r.name.rfind("schedule.", 0) == 0) {
      std::string arg = r.name.substr(9);
      bool known = false;
      for (const auto &[name, value] : info.schedule.args)
        known |= name == arg;
      if (!known)
        return Error(fmt::format("'{}': the model's schedule ({}) has no argument '{}'", r.name,
                                 info.schedule.kind, arg));
      if (Status s = check([](double v) { return v >= 0; }, "[0, inf)"); !s)
        return s;
      continue;
    }
    const HyperparamInfo *h = nullptr;
    for (const HyperparamInfo &candidate : info.hyperparams)
      if (candidate.name == r.name)
        h = &candidate;
    if (!h) {
      std::string known;
      for (const HyperparamInfo &candidate : info.hyperparams)
        known += candidate.name + ", ";
      for (const auto &[name, value] : info.schedule.args)
        known += "schedule." + name + ", ";
      return Error(fmt::format("unknown hyperparameter '{}' (this model has: {}batch, epochs)",
                               r.name, known));
    }
    std::string validText = fmt::format("{}{}, {}{}", h->lowerOpen ? "(" : "[", h->lower,
                                        h->upper >= 1e300 ? std::string("inf")
                                                          : fmt::format("{}", h->upper),
                                        h->upperOpen || h->upper >= 1e300 ? ")" : "]");
    if (Status s = check([&](double v) { return h->accepts(v); }, validText); !s)
      return s;
  }
  return {};
}

TrialOutcome runTrial(CompiledModel &model, const TuneSettings &settings, const TuneConfig &config,
                      int64_t trial, const Dataset &train, const Dataset &validation,
                      const TrialCurves &earlier, const std::string &checkpointPath) {
  auto start = std::chrono::steady_clock::now();
  const ModelInfo &info = model.info();
  const std::vector<TuneRange> &space = settings.search.space;
  const bool higher = higherIsBetter(settings.objective);
  TrialOutcome outcome;
  outcome.record.trial = trial;
  outcome.record.values = config;
  auto fail = [&](std::string message) {
    outcome.record.status = "failed";
    outcome.record.objective = NAN;
    outcome.message = std::move(message);
    outcome.record.seconds = secondsSince(start);
    return outcome;
  };

  int64_t batch = settings.batch, epochs = settings.epochs;
  ScheduleInfo schedule = settings.schedule;
  std::vector<float> hyper = settings.hyperparams;
  for (size_t i = 0; i < space.size(); ++i) {
    const std::string &name = space[i].name;
    double v = config[i];
    if (name == "batch")
      batch = static_cast<int64_t>(v);
    else if (name == "epochs")
      epochs = static_cast<int64_t>(v);
    else if (name.rfind("schedule.", 0) == 0)
      setScheduleArgInUpdates(schedule, std::string_view(name).substr(9), v);
    else {
      for (size_t h = 0; h < info.hyperparams.size(); ++h)
        if (info.hyperparams[h].name == name)
          hyper[h] = static_cast<float>(v);
    }
  }

  ParameterStore params(info);
  if (Status status = params.initialize(settings.seed); !status)
    return fail(status.error());
  model.setNumThreads(static_cast<int>(settings.threadsPerTrial));
  Trainer trainer(model, params, {batch, settings.seed});
  for (size_t h = 0; h < info.hyperparams.size(); ++h)
    trainer.setHyperparam(info.hyperparams[h].name, hyper[h]);
  trainer.setSchedule(schedule);
  trainer.setNormalization(settings.normalization);

  // Scored on the validation set after every epoch; the best epoch's weights
  // are what the trial keeps. Pruning watches the best value so far.
  FitOptions options;
  options.epochs = epochs;
  options.validation = &validation;
  options.trainMetricSamples = 0;
  options.monitor = settings.objective;
  options.restoreBest = !checkpointPath.empty();
  FitCallbacks callbacks;
  callbacks.onEpochEnd = [&](const FitEpoch &done) -> Result<FitDecision> {
    int64_t epoch = done.record.epoch;
    if (!std::isfinite(done.monitored))
      return Error(fmt::format("{} is {} after epoch {}", settings.objective, done.monitored,
                               epoch));
    outcome.curve.push_back(done.monitored);
    outcome.record.epochs = epoch;
    if (epoch < epochs && shouldPrune(settings.prune, size_t(epoch), done.best, earlier, higher))
      return FitDecision::Stop;
    return FitDecision::Continue;
  };
  Result<FitState> run = fit(trainer, train, options, callbacks);
  if (!run)
    return fail(run.error());
  if (run->stoppedByCallback)
    outcome.record.status = "pruned";
  outcome.record.objective = run->bestValue;
  if (!checkpointPath.empty()) {
    std::map<std::string, std::string> metadata = {
        {"tune_trial", std::to_string(trial)},
        {"tune_config", formatConfig(space, config)},
        {"tune_objective", fmt::format("{} {}", settings.objective, run->bestValue)}};
    if (Status status = trainer.saveCheckpoint(checkpointPath, metadata); !status)
      return fail(status.error());
  }
  outcome.record.seconds = secondsSince(start);
  return outcome;
}

Result<TuneHistory> runSearch(CompiledModel &model, const TuneSettings &settings,
                              const Dataset &train, const Dataset &validation, std::ostream &out) {
  Result<std::unique_ptr<SearchMethod>> method = makeSearchMethod(settings.search);
  if (!method)
    return method.takeError();
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(settings.outputDir, ec);
  if (ec)
    return Error(fmt::format("{}: cannot create the directory: {}", settings.outputDir,
                             ec.message()));
  const std::vector<TuneRange> &space = settings.search.space;
  const bool higher = higherIsBetter(settings.objective);
  TuneHistory history;
  history.model = model.info().name;
  history.space = space;
  history.objective = settings.objective;
  history.higherIsBetter = higher;
  history.method = settings.search.method;
  TrialCurves curves;
  const std::string bestPath = settings.outputDir + "/best.safetensors";
  std::string planned =
      settings.search.budget > 0 ? "/" + std::to_string(settings.search.budget) : std::string();
  auto start = std::chrono::steady_clock::now();
  int64_t trial = 0;
  while (settings.timeLimitSeconds <= 0 || secondsSince(start) < settings.timeLimitSeconds) {
    std::vector<TuneConfig> wave;
    for (int64_t j = 0; j < waveSize(settings); ++j) {
      std::optional<TuneConfig> config = (*method)->propose();
      if (!config)
        break;
      wave.push_back(*config);
    }
    if (wave.empty())
      break;
    out.flush();
    std::vector<TrialOutcome> outcomes =
        runTrialWave(model, settings, wave, trial + 1, train, validation, curves);
    for (TrialOutcome &o : outcomes) {
      ++trial;
      TrialRecord &r = o.record;
      double loss = r.status == "failed" ? NAN : higher ? -r.objective : r.objective;
      (*method)->report(r.values, loss);
      int previousBest = history.bestIndex();
      history.trials.push_back(r);
      if (r.status != "failed")
        curves.push_back(o.curve);
      int best = history.bestIndex();
      std::string checkpoint = trialPath(settings, r.trial, "safetensors");
      if (best == int(history.trials.size()) - 1 && best != previousBest)
        fs::rename(checkpoint, bestPath, ec);
      else
        fs::remove(checkpoint, ec);
      std::string outcomeText =
          r.status == "failed" ? "failed: " + o.message
          : fmt::format("{} {}", settings.objective, formatObjective(settings.objective, r.objective));
      std::string bestText = best >= 0 ? fmt::format("best {} (trial {})",
                                                     formatObjective(settings.objective,
                                                                     history.trials[best].objective),
                                                     history.trials[best].trial)
                                       : std::string("no result yet");
      out << fmt::format("trial {}{}  {}  {}  {}  {} epoch{}{}  ({:.1f} s)", r.trial, planned,
                         formatConfig(space, r.values), outcomeText, bestText, r.epochs,
                         r.epochs == 1 ? "" : "s",
                         r.status == "pruned" ? " (pruned)" : "", r.seconds)
          << std::endl;
    }
    if (Status status = writeTrialsCsv(settings.outputDir + "/trials.csv", history); !status)
      return status.takeError();
    if (Status status = writeTrialsSvg(settings.outputDir + "/trials.svg", history); !status)
      return status.takeError();
  }
  endTrialWaves(settings);
  if (history.bestIndex() < 0) {
    if (history.trials.empty())
      return Error("no trial ran");
    int64_t failed = std::count_if(history.trials.begin(), history.trials.end(),
                                   [](const TrialRecord &r) { return r.status == "failed"; });
    return Error(fmt::format("no trial finished: {} failed, {} pruned", failed,
                             int64_t(history.trials.size()) - failed));
  }
  return history;
}

} // namespace kiln
