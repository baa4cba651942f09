//===- Flags.cpp - The flag table of a generated binary -------------------===//
//
// The table, the setters that parse each flag's value, and the checks of
// flags that exclude or need each other.
//
//===----------------------------------------------------------------------===//

#include "cli/Flags.h"
#include "core/ParseNumber.h"
#include "kiln/Data.h"
#include "kiln/Tune.h"
#include "train/LearningRate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

namespace kiln::cli {

namespace {

FlagSetter setString(std::string Config::*field) {
  return [field](Config &config, const std::string &text) -> std::optional<std::string> {
    if (text.empty())
      return std::string("a non-empty value");
    config.*field = text;
    return std::nullopt;
  };
}

FlagSetter setChoice(std::string Config::*field, std::vector<std::string> choices) {
  return [field, choices](Config &config, const std::string &text) -> std::optional<std::string> {
    for (const std::string &choice : choices)
      if (text == choice) {
        config.*field = text;
        return std::nullopt;
      }
    std::string list;
    for (size_t i = 0; i < choices.size(); ++i)
      list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
    return list;
  };
}

FlagSetter setInteger(int64_t Config::*field, int64_t min) {
  return [field, min](Config &config, const std::string &text) -> std::optional<std::string> {
    std::optional<int64_t> value = parseNumber<int64_t>(text);
    if (!value || *value < min)
      return fmt::format("an integer >= {}", min);
    config.*field = *value;
    return std::nullopt;
  };
}

/// A number in the open interval (low, high), or [low, high) with lowClosed.
FlagSetter setFraction(double Config::*field, bool lowClosed) {
  return [field, lowClosed](Config &config,
                            const std::string &text) -> std::optional<std::string> {
    std::optional<double> value = parseNumber<double>(text);
    if (!value || !((lowClosed ? *value >= 0 : *value > 0) && *value < 1))
      return std::string(lowClosed ? "a number in [0, 1)" : "a number in (0, 1)");
    config.*field = *value;
    return std::nullopt;
  };
}

FlagSetter setNonNegative(double Config::*field, bool positive) {
  return [field, positive](Config &config,
                           const std::string &text) -> std::optional<std::string> {
    std::optional<double> value = parseNumber<double>(text);
    if (!value || !std::isfinite(*value) || (positive ? !(*value > 0) : !(*value >= 0)))
      return std::string(positive ? "a positive number" : "a number >= 0");
    config.*field = *value;
    return std::nullopt;
  };
}

std::optional<std::string> setLayerList(Config &config, const std::string &text) {
  config.initSkip.clear();
  std::istringstream names(text);
  std::string name;
  while (std::getline(names, name, ','))
    if (!name.empty())
      config.initSkip.push_back(name);
  if (config.initSkip.empty())
    return std::string("layer names separated by commas, e.g. 'dense2'");
  return std::nullopt;
}

std::optional<std::string> setSeed(Config &config, const std::string &text) {
  std::optional<uint64_t> value = parseNumber<uint64_t>(text);
  if (!value)
    return std::string("an integer in [0, 2^64)");
  config.seed = *value;
  return std::nullopt;
}

std::optional<std::string> setSpace(Config &config, const std::string &text) {
  Result<TuneRange> range = parseTuneRange(text);
  if (!range)
    return range.error();
  config.space.push_back(*range);
  return std::nullopt;
}

std::optional<std::string> setJson(Config &config, const std::string &) {
  config.json = true;
  return std::nullopt;
}

std::optional<std::string> setHelp(Config &config, const std::string &) {
  config.help = true;
  return std::nullopt;
}

/// "(0, inf)", "[0, 1)".
std::string rangeText(const HyperparamInfo &h) {
  auto bound = [](double v) {
    return std::abs(v) >= 1e300 ? std::string(v < 0 ? "-inf" : "inf") : fmt::format("{}", v);
  };
  // Values are finite: an infinite bound is never included.
  return fmt::format("{}{}, {}{}", h.lowerOpen || h.lower <= -1e300 ? "(" : "[", bound(h.lower),
                     bound(h.upper), h.upperOpen || h.upper >= 1e300 ? ")" : "]");
}

FlagSetter setHyperparam(const HyperparamInfo &info, size_t index) {
  return [info, index](Config &config, const std::string &text) -> std::optional<std::string> {
    std::optional<float> value = parseNumber<float>(text);
    if (!value || !std::isfinite(*value) || !info.accepts(*value))
      return info.lower <= -1e300 && info.upper >= 1e300
                 ? std::string("a finite number")
                 : fmt::format("a number in {}", rangeText(info));
    config.hyperparams[index] = *value;
    return std::nullopt;
  };
}

std::optional<std::string> setBatch(Config &config, const std::string &text) {
  if (text == "full") {
    config.batch = 0;
    return std::nullopt;
  }
  std::optional<int64_t> value = parseNumber<int64_t>(text);
  if (!value || *value < 1)
    return std::string("an integer >= 1, or 'full'");
  config.batch = *value;
  return std::nullopt;
}

std::optional<std::string> setSchedule(Config &config, const std::string &text) {
  Result<ScheduleInfo> schedule = parseSchedule(text);
  if (!schedule)
    return schedule.error();
  config.schedule = *schedule;
  return std::nullopt;
}

/// The metrics a run can monitor, for --monitor.
std::vector<std::string> monitorChoices(const ModelInfo &info) {
  if (info.task == "regression")
    return {"val-loss", "val-mse", "val-mae"};
  return {"val-loss", "val-acc"};
}

} // namespace

std::vector<Flag> flagTable(const ModelInfo &info) {
  const unsigned Train = TrainCommand, Eval = EvalCommand, Predict = PredictCommand,
                 Export = ExportCommand, Tune = TuneCommand, Bench = BenchCommand;
  // What a training run and a tuning run both read.
  const unsigned Fit = Train | Tune;
  std::string monitorList;
  for (const std::string &m : monitorChoices(info))
    monitorList += (monitorList.empty() ? "" : ", ") + m;
  const bool text = info.isLanguageModel();
  std::vector<Flag> flags = {
      {"data", text ? "FILE" : "PATH",
       text ? "a text file: byte-level windows of the model's steps, the last test-fraction "
              "of the text held out"
            : fmt::format("a directory with {} and the other MNIST IDX files (gzipped or "
                          "not), an IDX image file (its labels beside it or --labels), a CSV "
                          "file (features, then targets on each line), or a .npy file of "
                          "features (with --labels)",
                          MnistTrainImages),
       "", Fit | Eval | Predict, Fit | Eval | Predict, setString(&Config::dataPath),
       {{Eval,
         text ? "a text file: every byte-level window of the model's steps is measured"
              : "the labelled set to measure: a directory (its t10k test files), an IDX image "
                "file (its labels beside it or --labels), a CSV file (features, then targets "
                "on each line), or a .npy file of features (with --labels)",
         ""},
        {Predict,
         "the samples to predict: a directory (its t10k test images), an IDX image file, a "
         "CSV file (features on each line; target columns, if there, are left out), or a .npy "
         "file of features",
         ""}}},
      {"labels", "FILE", "with a .npy or IDX --data: the file of its labels or targets", "",
       Fit | Eval, 0, setString(&Config::labelsPath)},
      {"label-column", "K",
       "with a CSV file: the 0-based column of the label (default: the last columns)", "",
       Fit | Eval | Predict, 0, setInteger(&Config::labelColumn, 0),
       {{Predict,
         "with a CSV file that also holds the targets: the 0-based column of the label, left "
         "out (default: the last columns)",
         ""}}},
      {"test-data", "PATH", "a separate test set (CSV or .npy) instead of --test-fraction", "",
       Fit, 0, setString(&Config::testDataPath)},
      {"test-labels", "FILE", "with a .npy --test-data: its labels", "", Fit, 0,
       setString(&Config::testLabelsPath)},
      {"test-fraction", "F",
       text ? "the fraction of the text, at its end, held out to test on"
            : "with a CSV or .npy file: the fraction of samples held out (drawn from the "
              "seed) to test on",
       "0.2", Fit, 0, setFraction(&Config::testFraction, false)},
      {"val-data", "PATH", "a separate validation set (CSV or .npy)", "", Fit, 0,
       setString(&Config::valDataPath)},
      {"val-labels", "FILE", "with a .npy --val-data: its labels", "", Fit, 0,
       setString(&Config::valLabelsPath)},
      {"val-fraction", "F",
       "the fraction of the training samples held out (drawn from the seed) to validate on "
       "after every epoch; the test set is then measured only at the end",
       "0", Fit, 0, setFraction(&Config::valFraction, true),
       {{Tune,
         "the fraction of the training samples held out (drawn from the seed) to score the "
         "trials on",
         "0.2"}}},
      {"normalize", "KIND",
       "feature scaling fitted on the training samples and saved with the model: standard, "
       "minmax or none; auto is standard for CSV and .npy features, none for images and "
       "tokens",
       "auto", Fit, 0, setChoice(&Config::normalize, {"auto", "standard", "minmax", "none"})},
      {"epochs", "N", "passes over the training set", "1", Fit, 0, setInteger(&Config::epochs, 1),
       {{Tune, "passes over the training set in every trial", "1"}}},
      {"batch", "B",
       "samples per step (the last step of an epoch may have fewer); 'full' for full-batch "
       "gradient descent, 1 for stochastic",
       "128", Fit | Eval | Predict | Bench, 0, setBatch,
       {{Eval | Predict, "samples per call of the kernels: speed and memory, not the results",
         "128"},
        {Bench, "samples in the timed batch", "128"}}},
      {"seed", "S", "seed of the initial weights and of the sample order", "1", Fit, 0, setSeed,
       {{Tune, "seed of the initial weights, of the sample order and of the search", "1"}}},
      {"threads", "T", "threads of the generated kernels (0: the default)",
       "HL_NUM_THREADS if set, else one per core", Fit | Eval | Predict | Bench, 0,
       setInteger(&Config::threads, 0),
       {{Tune, "threads of the generated kernels, shared by the --jobs trials (0: the default)",
         "HL_NUM_THREADS if set, else one per core"}}},
      {"limit", "N",
       "read only the first N samples of the training data, before the test and validation "
       "parts are split off",
       "all", Fit, 0, setInteger(&Config::limit, 1)},
      {"schedule", "SPEC",
       "learning-rate schedule, e.g. 'cosine(period=1000,warmup=100)' or 'constant'",
       formatSchedule(info.schedule), Fit, 0, setSchedule},
      {"checkpoint-dir", "DIR",
       "after every epoch, save parameters, optimizer state and progress to "
       "DIR/checkpoint.safetensors, and the best epoch's to DIR/best.safetensors",
       "", Train, 0, setString(&Config::checkpointDir)},
      {"resume", "FILE", "continue a run from its checkpoint, exactly where it stopped", "",
       Train, 0, setString(&Config::resume)},
      {"init-from", "FILE",
       "fine-tune: start from the weights in a checkpoint or safetensors file, matched by "
       "parameter name (others keep their initial values)",
       "", Train, 0, setString(&Config::initFrom)},
      {"init-skip", "LAYERS",
       "with --init-from: layers (e.g. 'dense2') that keep their initial values, such as a "
       "new output layer for a new task",
       "", Train, 0, setLayerList},
      {"patience", "N",
       "early stopping: stop when the monitored validation metric has not improved for N "
       "epochs, and keep the best epoch's weights (needs a validation set)",
       "off", Train, 0, setInteger(&Config::patience, 1)},
      {"min-delta", "D", "early stopping: the least change that counts as an improvement",
       "0", Train, 0, setNonNegative(&Config::minDelta, false)},
      {"monitor", "METRIC", "early stopping's metric: " + monitorList,
       "val-loss", Train, 0, setChoice(&Config::monitor, monitorChoices(info))},
      {"log", "FILE", "write every epoch's metrics to FILE (.csv or .json)", "", Train, 0,
       setString(&Config::logPath)},
      {"plot", "FILE", "draw the loss and metric curves to FILE (.svg)", "", Train, 0,
       setString(&Config::plotPath)},
      {"progress", "MODE",
       "bar: a progress bar redrawn in place; lines: one line per epoch; auto: a bar on a "
       "terminal",
       "auto", Train, 0, setChoice(&Config::progress, {"auto", "bar", "lines"})},
      {"checkpoint", "FILE", "the checkpoint to load (written by train --checkpoint-dir)", "",
       Eval | Predict | Export, Eval | Predict | Export, setString(&Config::checkpoint)},
      {"output", "PATH", "the file (safetensors) or directory (npy) to write", "",
       Predict | Export | Tune, Export, setString(&Config::output),
       {{Predict, "the CSV file to write", "standard output"},
        {Tune, "the directory for trials.csv, trials.svg and best.safetensors",
         "tune-<model>"}}},
      {"method", "METHOD",
       "the search: grid, random, coarse-to-fine, bayesian, genetic or manual (with --configs)",
       "random", Tune, 0,
       setChoice(&Config::method, {"grid", "random", "coarse-to-fine", "bayesian", "genetic",
                                   "manual"})},
      {"trials", "N", "the most trials to run (grid and manual: all of theirs by default)", "20",
       Tune, 0, setInteger(&Config::trials, 1)},
      {"time-limit", "SECONDS", "start no trial after this much time", "none", Tune, 0,
       setNonNegative(&Config::timeLimit, true)},
      {"objective", "METRIC", "the validation metric to optimize: " + monitorList,
       "val-loss", Tune, 0, setChoice(&Config::objective, monitorChoices(info))},
      {"prune", "RULE",
       "stop poor trials early: median (worse than the median of earlier trials at the same "
       "epoch) or halving (outside the best third at epochs 1, 3, 9, ...)",
       "none", Tune, 0, setChoice(&Config::prune, {"none", "median", "halving"})},
      {"jobs", "J", "trials run at once, in separate processes", "1", Tune, 0,
       setInteger(&Config::jobs, 1)},
      {"space", "RANGE",
       "a range such as 'lr=log_uniform(1e-4,0.1)', 'batch=choice(32,64)' or "
       "'epochs=int(2,8)', replacing the model file's range of that name (repeatable)",
       "", Tune, 0, setSpace},
      {"configs", "FILE",
       "manual search: a CSV file, a header of hyperparameter names and one configuration "
       "per line",
       "", Tune, 0, setString(&Config::configsPath)},
      {"format", "FORMAT", "safetensors or npy (one file per parameter)", "safetensors", Export,
       0, setChoice(&Config::format, {"safetensors", "npy"})},
      {"layout", "LAYOUT",
       "kiln, or torch: dense and recurrent weights transposed as torch.nn modules hold them",
       "kiln", Export, 0, setChoice(&Config::layout, {"kiln", "torch"})},
      {"steps", "N", "training steps to time", "200", Bench, 0,
       setInteger(&Config::benchSteps, 1)},
      {"warmup", "N", "untimed training steps before them", "20", Bench, 0,
       setInteger(&Config::warmup, 0)},
      {"json", "", "print the result as one line of JSON", "", Bench, 0, setJson},
  };
  if (text) {
    flags.push_back({"sample", "N", "after training, generate N bytes of text (0: none)", "400",
                     Train, 0, setInteger(&Config::sample, 0)});
    flags.push_back({"temperature", "T", "sampling temperature (lower: more conservative)",
                     "0.8", Train, 0, setNonNegative(&Config::temperature, true)});
    flags.push_back({"prompt", "TEXT", "the text that generation continues", "The ", Train, 0,
                     setString(&Config::prompt)});
  }
  if (info.device != "cpu")
    flags.push_back({"device", "N",
                     "the GPU the kernels run on, by its number (0 first; HL_GPU_DEVICE)",
                     "HL_GPU_DEVICE if set, else Halide's choice", Fit | Eval | Predict | Bench,
                     0, setInteger(&Config::device, 0)});
  flags.push_back({"help", "", "print this help and exit", "",
                   Train | Eval | Predict | Export | Tune | Bench, 0, setHelp});
  for (size_t i = 0; i < info.hyperparams.size(); ++i)
    flags.push_back({info.hyperparams[i].name, "VALUE",
                     fmt::format("hyperparameter of the model, in {}",
                                 rangeText(info.hyperparams[i])),
                     fmt::format("{}", info.hyperparams[i].defaultValue), Fit | Bench, 0,
                     setHyperparam(info.hyperparams[i], i)});
  return flags;
}

FlagHelp Flag::helpOf(CommandBit command) const {
  for (const FlagHelp &text : helpFor)
    if (text.commands & command)
      return text;
  return {commands, help, defaultText};
}

namespace {

const Flag *findFlag(const std::vector<Flag> &flags, const std::string &name, unsigned command) {
  for (const Flag &flag : flags)
    if (flag.name == name && (flag.commands & command))
      return &flag;
  return nullptr;
}

} // namespace

std::optional<std::string> parseArgs(const std::vector<std::string> &args,
                                     const std::vector<Flag> &flags, unsigned command,
                                     Config &config) {
  std::vector<const Flag *> given;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i] == "-h" ? "--help" : args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0)
      return fmt::format("unexpected argument '{}'", arg);

    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    }
    const Flag *flag = findFlag(flags, name, command);
    if (!flag)
      return fmt::format("unknown flag '--{}'", name);
    if (flag->valueName.empty() && value)
      return fmt::format("flag '--{}' takes no value", name);
    if (!flag->valueName.empty() && !value) {
      if (i + 1 >= args.size())
        return fmt::format("flag '--{}' needs a value {}", name, flag->valueName);
      value = args[++i];
    }
    if (std::optional<std::string> expected = flag->set(config, value.value_or("")))
      return fmt::format("invalid value '{}' for '--{}': expected {}", *value, name, *expected);
    given.push_back(flag);
    config.givenFlags.emplace_back(name, value.value_or(""));
  }
  if (config.help)
    return std::nullopt;
  for (const Flag &flag : flags)
    if ((flag.required & command) && std::find(given.begin(), given.end(), &flag) == given.end())
      return fmt::format("missing required flag '--{} {}'", flag.name, flag.valueName);
  auto isGiven = [&](const char *name) {
    for (const Flag *flag : given)
      if (flag->name == name)
        return true;
    return false;
  };
  // Flags that exclude or need each other.
  if (isGiven("val-data") && isGiven("val-fraction"))
    return std::string("give either '--val-data' or '--val-fraction', not both");
  if (isGiven("test-data") && isGiven("test-fraction"))
    return std::string("give either '--test-data' or '--test-fraction', not both");
  if ((isGiven("min-delta") || isGiven("monitor")) && !isGiven("patience"))
    return std::string("'--min-delta' and '--monitor' configure early stopping: add "
                       "'--patience N'");
  if (isGiven("patience") && config.valDataPath.empty() && !(config.valFraction > 0))
    return std::string("early stopping monitors a validation set: add '--val-fraction F' or "
                       "'--val-data PATH'");
  if (!config.plotPath.empty() &&
      std::filesystem::path(config.plotPath).extension().string() != ".svg")
    return fmt::format("'--plot {}': the plot is an SVG file; name it *.svg", config.plotPath);
  if (isGiven("init-skip") && !isGiven("init-from"))
    return std::string("'--init-skip' goes with '--init-from FILE'");
  if (isGiven("resume") && isGiven("init-from"))
    return std::string("give either '--resume' or '--init-from', not both");
  return std::nullopt;
}

std::optional<std::string> checkFlagTable(const std::vector<Flag> &flags) {
  for (size_t i = 0; i < flags.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (flags[i].name == flags[j].name)
        return fmt::format("internal error: the model declares a hyperparameter '{}' that "
                           "clashes with the flag '--{}'",
                           flags[i].name, flags[j].name);
  return std::nullopt;
}

} // namespace kiln::cli
