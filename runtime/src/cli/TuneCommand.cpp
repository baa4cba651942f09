//===- TuneCommand.cpp - tune: search hyperparameters ---------------------===//

#include "cli/Commands.h"
#include "cli/DataSets.h"
#include "cli/Flags.h"
#include "kiln/Distributed.h"
#include "kiln/Tune.h"
#include "tune/TrialWaves.h"
#include "train/LearningRate.h"
#include "train/Metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ostream>

namespace kiln::cli {

namespace {

/// The ranges of a tune: the model file's, each --space range replacing the
/// one of its name or adding one.
std::vector<TuneRange> tuneSpaceOf(const ModelInfo &info, const Config &config) {
  std::vector<TuneRange> space = info.tuneSpace;
  for (const TuneRange &range : config.space) {
    auto same = std::find_if(space.begin(), space.end(),
                             [&](const TuneRange &r) { return r.name == range.name; });
    if (same != space.end())
      *same = range;
    else
      space.push_back(range);
  }
  return space;
}

/// `word` as a shell reads it back: as is when it holds only characters no
/// shell treats specially, else in single quotes.
std::string shellWord(const std::string &word) {
  bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_-+=.,/:@%", c);
  });
  if (plain)
    return word;
  std::string quoted = "'";
  for (char c : word)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

/// " --data d.csv --limit 3000 --lr 0.0123 --batch 64": the train flags that
/// repeat the best trial. Every flag given to tune that train takes (the
/// data, --limit, --epochs, fixed hyperparameters, ...), except the tuned
/// ones; the validation fraction tune chose when none was given; then the
/// best configuration, a tuned schedule argument as part of --schedule.
std::string asTrainFlags(const Config &given, const std::vector<Flag> &flags,
                         const std::vector<TuneRange> &space, const TuneConfig &best,
                         ScheduleInfo schedule) {
  auto tuned = [&](const std::string &name) {
    return std::any_of(space.begin(), space.end(), [&](const TuneRange &r) {
      return r.name == name || (name == "schedule" && r.name.rfind("schedule.", 0) == 0);
    });
  };
  std::string line;
  for (const auto &givenFlag : given.givenFlags) {
    // Not a structured binding: C++17 lambdas cannot capture one.
    const std::string &name = givenFlag.first, &value = givenFlag.second;
    bool trainTakes = std::any_of(flags.begin(), flags.end(), [&](const Flag &flag) {
      return flag.name == name && (flag.commands & TrainCommand);
    });
    if (trainTakes && !tuned(name))
      line += " --" + name + (value.empty() ? "" : " " + shellWord(value));
  }
  if (given.valDataPath.empty() && !(given.valFraction > 0))
    line += " --val-fraction 0.2";
  bool scheduleTuned = false;
  for (size_t i = 0; i < space.size(); ++i) {
    if (space[i].name.rfind("schedule.", 0) != 0) {
      line += fmt::format(" --{} {}", space[i].name, static_cast<float>(best[i]));
      continue;
    }
    scheduleTuned = true;
    setScheduleArgInUpdates(schedule, std::string_view(space[i].name).substr(9), best[i]);
  }
  if (scheduleTuned)
    line += " --schedule " + shellWord(formatSchedule(schedule));
  return line;
}

} // namespace

int runTune(const std::string &program, const Config &given, CompiledModel &model,
            std::ostream &out, std::ostream &err) {
  const ModelInfo &info = model.info();
  Config config = given;
  std::vector<TuneRange> space = tuneSpaceOf(info, config);
  if (space.empty())
    return fail(err, "nothing to tune: the model file has no tune block; give ranges with "
                     "--space, such as --space 'lr=log_uniform(1e-4,0.1)'");
  if (Status status = checkTuneSpace(info, space); !status)
    return fail(err, status.error());
  if (config.method == "manual" && config.configsPath.empty())
    return fail(err, "manual search reads its configurations from --configs FILE");
  if (config.method != "manual" && !config.configsPath.empty())
    return fail(err, "--configs goes with --method manual");
  // The objective is measured on validation data that the test set never joins.
  if (config.valDataPath.empty() && !(config.valFraction > 0))
    config.valFraction = 0.2;

  Result<TrainData> data = loadTrainData(config, info);
  if (!data)
    return fail(err, data.error());
  Result<Standardization> stats = normalizeSets(*data);
  if (!stats)
    return fail(err, stats.error());

  TuneSettings settings;
  settings.search.method = config.method;
  settings.search.space = space;
  settings.search.seed = config.seed;
  bool wholeList = config.method == "grid" || config.method == "manual";
  settings.search.budget = config.trials > 0 ? config.trials : wholeList ? 0 : 20;
  settings.search.manualFile = config.configsPath;
  settings.timeLimitSeconds = config.timeLimit;
  settings.objective = config.objective;
  settings.prune = config.prune;
  settings.jobs = config.jobs;
  settings.threadsPerTrial =
      config.jobs > 1 ? std::max<int64_t>(1, config.threads / config.jobs) : config.threads;

  settings.seed = config.seed;
  settings.batch = config.batch;
  settings.epochs = config.epochs;
  settings.hyperparams = config.hyperparams;
  settings.schedule = config.schedule ? *config.schedule : info.schedule;
  settings.normalization = *stats;
  settings.outputDir = config.output.empty() ? "tune-" + info.name : config.output;

  // Under mpirun a wave has a trial per rank, each rank its own process;
  // rank 0 runs the search, the others its trials.
  settings.group = config.group;
  if (config.group && config.group->size() > 1) {
    settings.threadsPerTrial = config.threads;
    if (config.group->rank() != 0) {
      serveTrialWaves(model, settings, data->train, *data->validation);
      return ExitSuccess;
    }
  }
  std::string names;
  for (const TuneRange &r : space)
    names += (names.empty() ? "" : ", ") + r.name;
  out << fmt::format("tuning {}: {} search over {} ({} trials{}), {} job{}; objective {} on {} "
                     "validation samples, {} training samples",
                     info.name, config.method, names,
                     settings.search.budget > 0 ? std::to_string(settings.search.budget)
                                                : std::string("all"),
                     config.timeLimit > 0 ? fmt::format(" or {} s", config.timeLimit) : "",
                     waveSize(settings), waveSize(settings) == 1 ? "" : "s", config.objective,
                     data->validation->count, data->train.count)
      << std::endl;
  Result<TuneHistory> history = runSearch(model, settings, data->train, *data->validation, out);
  if (!history)
    return fail(err, history.error());
  const TrialRecord &best = history->trials[history->bestIndex()];
  out << fmt::format("best: trial {}  {}  {} {}", best.trial, formatConfig(space, best.values),
                     config.objective,
                     config.objective == "val-acc" ? fmt::format("{:.2f}%", 100 * best.objective)
                                                   : fmt::format("{:.4f}", best.objective))
      << std::endl;

  // The kept model, measured once on the test set.
  const std::string bestPath = settings.outputDir + "/best.safetensors";
  ParameterStore params(info);
  Trainer trainer(model, params, {config.batch, config.seed});
  if (Status status = trainer.loadCheckpoint(bestPath); !status)
    return fail(err, status.error());
  model.setNumThreads(static_cast<int>(config.threads));
  Result<EvalStats> test = trainer.evaluate(data->test);
  if (!test)
    return fail(err, test.error());
  out << fmt::format("best model ({}): {}", bestPath, formatMetrics(info, "test", *test, true, false))
      << std::endl;
  out << fmt::format("trials: {0}/trials.csv, {0}/trials.svg; train it again with: {1} train{2}",
                     settings.outputDir, program,
                     asTrainFlags(given, flagTable(info), space, best.values, settings.schedule))
      << std::endl;
  return ExitSuccess;
}

} // namespace kiln::cli
