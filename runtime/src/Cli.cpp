//===- Cli.cpp - The command line of a generated training binary ----------===//
//
// One table of flags serves every command: each row says which commands
// take it and which require it, and parses its value into a Config. The
// commands are functions over a parsed Config.
//
//===----------------------------------------------------------------------===//

#include "kiln/Cli.h"
#include "kiln/Bench.h"
#include "kiln/Checkpoint.h"
#include "kiln/Data.h"
#include "io/Export.h"
#include "kiln/Health.h"
#include "kiln/History.h"
#include "kiln/Init.h"
#include "kiln/Progress.h"
#include "kiln/Sample.h"
#include "kiln/Schedule.h"
#include "kiln/Trainer.h"
#include "kiln/Tune.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace kiln {

namespace {

/// The commands, as bits so that a flag can name several.
enum CommandBit : unsigned {
  TrainCommand = 1,
  EvalCommand = 2,
  PredictCommand = 4,
  ExportCommand = 8,
  TuneCommand = 16,
  BenchCommand = 32,
};

/// Everything a command line can say.
struct Config {
  // Data.
  std::string dataPath; // an MNIST directory, a CSV or .npy file, or a text
  std::string labelsPath;
  std::string valDataPath, valLabelsPath;
  std::string testDataPath, testLabelsPath;
  double testFraction = 0.2;
  double valFraction = 0;
  std::string normalize = "auto";
  int64_t labelColumn = -1;
  // Training.
  int64_t epochs = 1;
  int64_t batch = 128;
  uint64_t seed = 1;
  int64_t threads = 1;
  int64_t limit = 0; // 0: all training samples
  std::vector<float> hyperparams;
  std::optional<ScheduleInfo> schedule; // overrides the model file's
  std::string checkpointDir;
  std::string resume;
  std::string initFrom;
  std::vector<std::string> initSkip; // layers --init-from leaves alone
  // Early stopping: on when patience > 0.
  int64_t patience = 0;
  double minDelta = 0;
  std::string monitor = "val-loss";
  // Reports.
  std::string logPath;
  std::string plotPath;
  std::string progress = "auto";
  // eval, predict and export.
  std::string checkpoint;
  std::string output;
  std::string format = "safetensors";
  std::string layout = "kiln";
  bool help = false;
  // Language models: text generated after training.
  int64_t sample = 400;
  double temperature = 0.8;
  std::string prompt = "The ";
  // Tuning.
  std::string method = "random";
  int64_t trials = 0; // 0: the method's default budget
  double timeLimit = 0;
  std::string objective = "val-loss";
  std::string prune = "none";
  int64_t jobs = 1;
  std::vector<TuneRange> space; // --space ranges, replacing the model file's of the same name
  std::string configsPath;
  // bench.
  int64_t benchSteps = 200;
  int64_t warmup = 20;
  bool json = false;
};

/// Stores a flag's value into the config; on a bad value returns what was
/// expected instead ("an integer >= 1").
using FlagSetter = std::function<std::optional<std::string>(Config &, const std::string &)>;

/// One row of the flag table.
struct Flag {
  std::string name;      // "epochs" for --epochs
  std::string valueName; // "N"; empty for a flag that takes no value
  std::string help;
  std::string defaultText; // shown as "(default ...)" when not empty
  unsigned commands;       // CommandBits that take the flag
  unsigned required;       // CommandBits that require it
  FlagSetter set;
};

template <typename T> std::optional<T> parseNumber(const std::string &text) {
  T value{};
  const char *end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty())
    return std::nullopt;
  return value;
}

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

/// The flag table: the fixed flags, then one per hyperparameter.
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
       "", Fit | Eval | Predict, Fit | Eval | Predict, setString(&Config::dataPath)},
      {"labels", "FILE", "with a .npy or IDX --data: the file of its labels or targets", "",
       Fit | Eval, 0, setString(&Config::labelsPath)},
      {"label-column", "K",
       "with a CSV file: the 0-based column of the label (default: the last columns)", "",
       Fit | Eval | Predict, 0, setInteger(&Config::labelColumn, 0)},
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
       "0 (tune: 0.2)", Fit, 0, setFraction(&Config::valFraction, true)},
      {"normalize", "KIND",
       "feature scaling fitted on the training samples and saved with the model: standard, "
       "minmax or none; auto is standard for CSV and .npy features, none for images and "
       "tokens",
       "auto", Fit, 0, setChoice(&Config::normalize, {"auto", "standard", "minmax", "none"})},
      {"epochs", "N", "passes over the training set (tune: of every trial)", "1", Fit,
       0, setInteger(&Config::epochs, 1)},
      {"batch", "B",
       "samples per step (the last step of an epoch may have fewer); 'full' for full-batch "
       "gradient descent, 1 for stochastic",
       "128", Fit | Eval | Predict | Bench, 0, setBatch},
      {"seed", "S",
       "seed of the initial weights and of the sample order (tune: also of the search)", "1",
       Fit, 0,
       setSeed},
      {"threads", "T", "threads of the generated kernels (0: one per core; tune: shared by the jobs)", "1",
       Fit | Eval | Predict | Bench, 0, setInteger(&Config::threads, 0)},
      {"limit", "N", "train on the first N training samples only", "all", Fit, 0,
       setInteger(&Config::limit, 1)},
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
      {"output", "PATH",
       "predict: the CSV file to write (default: standard output); export: the file "
       "(safetensors) or directory (npy) to write; tune: the directory for trials.csv, "
       "trials.svg and best.safetensors (default: tune-<model>)",
       "", Predict | Export | Tune, Export, setString(&Config::output)},
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

const Flag *findFlag(const std::vector<Flag> &flags, const std::string &name, unsigned command) {
  for (const Flag &flag : flags)
    if (flag.name == name && (flag.commands & command))
      return &flag;
  return nullptr;
}

/// "mlp" for "./build/mlp".
std::string programName(int argc, const char *const *argv, const ModelInfo &info) {
  if (argc < 1 || !argv[0] || !*argv[0])
    return info.name;
  std::string path = argv[0];
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// A command: its name, bit, one line of help, and what it does.
struct Command {
  const char *name;
  CommandBit bit;
  const char *summary;
  int (*run)(const std::string &program, const Config &config, CompiledModel &model,
             std::ostream &out, std::ostream &err);
};

void printTopUsage(std::ostream &out, const std::string &program, const ModelInfo &info,
                   const std::vector<Command> &commands) {
  out << fmt::format("usage: {} <command> [options]\n\n"
                     "Trains and runs the compiled model '{}'.\n\ncommands:\n",
                     program, info.name);
  for (const Command &command : commands)
    out << fmt::format("  {:<8} {}\n", command.name, command.summary);
  out << fmt::format("\nRun '{} <command> --help' for the options of a command.\n", program);
}

std::string describeModel(const ModelInfo &info) {
  if (info.isLanguageModel())
    return fmt::format("language model '{}' ({} steps, {} classes)", info.name,
                       info.inputFeatures, info.numClasses);
  if (info.task == "classification")
    return fmt::format("model '{}' ({} inputs, {} classes)", info.name, info.inputFeatures,
                       info.numClasses);
  return fmt::format("model '{}' ({} inputs, {} outputs, task {})", info.name,
                     info.inputFeatures, info.outputFeatures, info.task);
}

void printCommandUsage(std::ostream &out, const std::string &program, const ModelInfo &info,
                       const Command &command, const std::vector<Flag> &flags) {
  std::string synopsis;
  for (const Flag &flag : flags)
    if (flag.required & command.bit)
      synopsis += fmt::format(" --{} {}", flag.name, flag.valueName);
  out << fmt::format("usage: {} {}{} [options]\n\n", program, command.name, synopsis);
  std::string what;
  switch (command.bit) {
  case TrainCommand:
    what = info.isLanguageModel()
               ? "Trains {} on a text and prints one line per\nepoch, the final next-byte test "
                 "accuracy and a sample of text."
           : info.task == "regression"
               ? "Trains {} and prints one line per epoch\nand the final test mean squared and "
                 "absolute error."
               : "Trains {} and prints one line per epoch\nand the final test accuracy.";
    break;
  case EvalCommand:
    what = "Measures {} from a checkpoint on a data set: the loss and the task's metric.";
    break;
  case PredictCommand:
    what = "Writes the predictions of {} from a checkpoint for every sample of a data set, "
           "as CSV.";
    break;
  case ExportCommand:
    what = "Writes the weights of {} from a checkpoint in a format PyTorch and numpy load "
           "(see scripts/load_weights.py).";
    break;
  case BenchCommand:
    what = "Times training steps of {} on one fixed batch of random data (seeded\n"
           "weights, zero optimizer state) and prints the median milliseconds per step,\n"
           "the 10th and 90th percentiles and the process's peak resident memory.";
    break;
  case TuneCommand:
    what = "Searches hyperparameters of {}: each trial trains from the same initial\n"
           "weights and is scored on the validation set; prints one line per trial, keeps\n"
           "the best model and measures it on the test set.";
    break;
  }
  out << fmt::format(fmt::runtime(what), describeModel(info)) << "\n\noptions:\n";
  size_t width = 0;
  for (const Flag &flag : flags)
    if (flag.commands & command.bit)
      width = std::max(width, flag.name.size() + flag.valueName.size() + 1);
  for (const Flag &flag : flags) {
    if (!(flag.commands & command.bit))
      continue;
    std::string spelling = flag.valueName.empty() ? flag.name : flag.name + " " + flag.valueName;
    std::string help = flag.help;
    if (flag.required & command.bit)
      help += " (required)";
    else if (!flag.defaultText.empty())
      help += fmt::format(" (default {})", flag.defaultText);
    out << fmt::format("  --{:<{}}  {}\n", spelling, width, help);
  }
}

/// Parses the arguments of a command (after its name) into `config`;
/// returns a one-line problem on failure.
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

/// Checks that no hyperparameter hides a fixed flag: that would be a bug in
/// the compiler, which must not generate such names.
std::optional<std::string> checkFlagTable(const std::vector<Flag> &flags) {
  for (size_t i = 0; i < flags.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (flags[i].name == flags[j].name)
        return fmt::format("internal error: the model declares a hyperparameter '{}' that "
                           "clashes with the flag '--{}'",
                           flags[i].name, flags[j].name);
  return std::nullopt;
}

std::string hyperparamSummary(const ModelInfo &info, const std::vector<float> &values) {
  std::string summary;
  for (size_t i = 0; i < values.size(); ++i)
    summary += fmt::format(", {} {}", info.hyperparams[i].name, values[i]);
  return summary;
}

//===----------------------------------------------------------------------===//
// Data
//===----------------------------------------------------------------------===//

/// A directory names an MNIST set. So does a path that does not exist and
/// has no extension, so that the MNIST loader says what is missing;
/// "data.csv" that does not exist is a missing file.
bool isDirectory(const std::string &path) {
  std::error_code ignored;
  if (std::filesystem::exists(path, ignored))
    return std::filesystem::is_directory(path, ignored);
  return !std::filesystem::path(path).has_extension();
}

bool isNpy(const std::string &path) {
  auto endsWith = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return endsWith(".npy") || endsWith(".npy.gz");
}

CsvOptions csvOptions(const Config &config, const ModelInfo &info) {
  CsvOptions options;
  options.targetColumns = std::max<int64_t>(info.targetFeatures, 1);
  options.labelColumn = config.labelColumn;
  options.intLabels = info.targetFeatures == 0;
  return options;
}

/// One labelled set from a file: a CSV file, or an IDX image file or a .npy
/// file of features with its labels file.
Result<Dataset> loadLabelledFile(const std::string &path, const std::string &labelsPath,
                                 const Config &config, const ModelInfo &info) {
  if (isIdxFile(path))
    return loadIdxFile(path, labelsPath, info);
  if (!isNpy(path) && !labelsPath.empty())
    return Error(fmt::format("{}: a labels file ({}) goes with a .npy features file; a CSV file "
                             "holds its labels",
                             path, labelsPath));
  if (isNpy(path)) {
    if (labelsPath.empty())
      return Error(fmt::format("{}: a .npy features file needs its labels file (--labels for "
                               "--data, --val-labels, --test-labels)",
                               path));
    return loadNpyDataset(path, labelsPath, info);
  }
  Result<Dataset> data = loadCsvDataset(path, csvOptions(config, info));
  if (!data)
    return data;
  if (Status status = checkDataset(*data, info); !status)
    return status.takeError();
  return data;
}

/// The sets a training run uses.
struct TrainData {
  Dataset train;
  std::optional<Dataset> validation;
  Dataset test;
  /// Where the features came from, for the choice of normalization.
  bool images = false;
};

Result<TrainData> loadTrainData(const Config &config, const ModelInfo &info) {
  TrainData data;
  if (info.isLanguageModel()) {
    Result<DatasetSplit> split = loadTextDataset(config.dataPath, info.inputFeatures,
                                                 info.numClasses, config.testFraction);
    if (!split)
      return split.takeError();
    data.train = std::move(split->train);
    data.test = std::move(split->heldOut);
  } else if (isDirectory(config.dataPath)) {
    Result<MnistData> mnist = loadMnist(config.dataPath, info);
    if (!mnist)
      return mnist.takeError();
    data.train = std::move(mnist->train);
    data.test = std::move(mnist->test);
    data.images = true;
  } else {
    data.images = isIdxFile(config.dataPath);
    Result<Dataset> all = loadLabelledFile(config.dataPath, config.labelsPath, config, info);
    if (!all)
      return all.takeError();
    if (!config.testDataPath.empty()) {
      Result<Dataset> test =
          loadLabelledFile(config.testDataPath, config.testLabelsPath, config, info);
      if (!test)
        return test.takeError();
      data.train = std::move(*all);
      data.test = std::move(*test);
    } else {
      Result<DatasetSplit> split = splitDataset(*all, config.testFraction, config.seed);
      if (!split)
        return split.takeError();
      data.train = std::move(split->train);
      data.test = std::move(split->heldOut);
    }
  }
  if (!config.valDataPath.empty()) {
    Result<Dataset> validation =
        loadLabelledFile(config.valDataPath, config.valLabelsPath, config, info);
    if (!validation)
      return validation.takeError();
    data.validation = std::move(*validation);
  } else if (config.valFraction > 0) {
    // Another stream than the test split's, so the two draws are unrelated.
    Result<DatasetSplit> split = splitDataset(data.train, config.valFraction, config.seed + 1);
    if (!split)
      return split.takeError();
    data.train = std::move(split->train);
    data.validation = std::move(split->heldOut);
  }
  return data;
}

/// Fits `kind` on the training part and applies it to the held-out parts, as
/// new samples will get it; returns the statistics (empty for none).
Result<Standardization> normalizeSets(TrainData &data, Normalization kind) {
  std::vector<Dataset *> heldOut = {&data.test};
  if (data.validation)
    heldOut.push_back(&*data.validation);
  return normalize(data.train, heldOut, kind);
}

/// The normalization a run fits: what --normalize says, where auto scales
/// tabular features and leaves images and tokens alone.
Result<Normalization> chooseNormalization(const Config &config, const ModelInfo &info,
                                          bool images) {
  if (config.normalize == "auto")
    return images || info.tokenInput ? Normalization::None : Normalization::Standard;
  Result<Normalization> kind = parseNormalization(config.normalize);
  if (kind && info.tokenInput && *kind != Normalization::None)
    return Error(fmt::format("model '{}' reads token ids, which are names, not quantities: "
                             "they cannot be normalized (--normalize {})",
                             info.name, config.normalize));
  return kind;
}

/// Features only, for predict: an MNIST directory's test images, an IDX
/// image file, a .npy features file, or a CSV file whose rows hold the
/// features (and the targets, which are dropped).
Result<Dataset> loadFeatures(const Config &config, const ModelInfo &info) {
  const std::string &path = config.dataPath;
  if (isDirectory(path)) {
    Result<MnistData> mnist = loadMnist(path, info);
    if (!mnist)
      return mnist.takeError();
    return std::move(mnist->test);
  }
  Dataset data;
  data.source = path;
  if (isNpy(path)) {
    Result<NpyArray> array = readNpy(path);
    if (!array)
      return array.takeError();
    if (array->shape.empty())
      return Error(fmt::format("{}: a scalar, not an array of samples", path));
    data.count = array->shape[0];
    data.features = data.count > 0 ? array->size() / data.count : 0;
    data.x.resize(static_cast<size_t>(array->size()));
    for (int64_t i = 0; i < array->size(); ++i)
      data.x[static_cast<size_t>(i)] = static_cast<float>(array->value(i));
  } else if (isIdxFile(path)) {
    Result<IdxImages> images = readIdxImages(path);
    if (!images)
      return images.takeError();
    data.count = images->count;
    data.features = images->rows * images->cols;
    data.x = std::move(images->pixels);
  } else {
    CsvOptions options = csvOptions(config, info);
    options.targetColumns = 0;
    options.labelColumn = -1;
    options.intLabels = false;
    Result<Dataset> rows = loadCsvDataset(path, options);
    if (!rows)
      return rows.takeError();
    data = std::move(*rows);
    // Rows with the targets too: keep the features.
    int64_t extra = data.features - info.inputFeatures;
    int64_t targets = std::max<int64_t>(info.targetFeatures, 1);
    if (extra == targets && (config.labelColumn < 0 || targets == 1)) {
      int64_t first = config.labelColumn >= 0 ? config.labelColumn : info.inputFeatures;
      std::vector<float> x;
      x.reserve(static_cast<size_t>(data.count * info.inputFeatures));
      for (int64_t r = 0; r < data.count; ++r)
        for (int64_t c = 0; c < data.features; ++c)
          if (c < first || c >= first + targets)
            x.push_back(data.x[static_cast<size_t>(r * data.features + c)]);
      data.x = std::move(x);
      data.features = info.inputFeatures;
    }
  }
  if (data.features != info.inputFeatures)
    return Error(fmt::format("{}: {} features per sample, model '{}' reads {}", path,
                             data.features, info.name, info.inputFeatures));
  return data;
}

//===----------------------------------------------------------------------===//
// Reports
//===----------------------------------------------------------------------===//

/// "train-acc 91.83%", "val-mse 0.5012  val-mae 0.5871" for a set called
/// `prefix`; with `loss`, the loss first; `brief` leaves out the mae.
std::string formatMetrics(const ModelInfo &info, const char *prefix, const EvalStats &stats,
                          bool loss, bool brief) {
  std::string text = loss ? fmt::format("{}-loss {:.4f}  ", prefix, stats.meanLoss()) : "";
  if (info.task == "regression" && brief)
    return text + fmt::format("{}-mse {:.4f}", prefix, stats.mse());
  if (info.task == "regression")
    return text + fmt::format("{}-mse {:.4f}  {}-mae {:.4f}", prefix, stats.mse(), prefix,
                              stats.mae());
  return text + fmt::format("{}-acc {:.2f}%", prefix, 100 * stats.accuracy());
}

/// The variance of every target value of `data` (the MSE of predicting
/// their mean), for a regression's R^2.
double targetVariance(const Dataset &data) {
  if (data.targets.empty())
    return 0;
  double sum = 0, squares = 0;
  for (float t : data.targets) {
    sum += t;
    squares += double(t) * t;
  }
  double n = double(data.targets.size());
  double mean = sum / n;
  return std::max(0.0, squares / n - mean * mean);
}

/// The value of the task's metric that logs and plots show.
double metricValue(const ModelInfo &info, const EvalStats &stats) {
  return info.task == "regression" ? stats.mse() : stats.accuracy();
}

/// A run's history in checkpoint metadata, so that a resumed run's log and
/// plot cover the epochs before it too: one record per line, numbers
/// separated by commas (NaN as "nan"). Timings are left out: a checkpoint
/// holds only what an uninterrupted run would reproduce bit for bit.
std::string encodeHistory(const History &history) {
  std::string text;
  for (const EpochRecord &r : history.epochs)
    text += fmt::format("{},{},{},{},{},{}\n", r.epoch, r.trainLoss, r.trainMetric, r.valLoss,
                        r.valMetric, r.learningRate);
  return text;
}

std::vector<EpochRecord> decodeHistory(const std::string &text) {
  std::vector<EpochRecord> records;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    EpochRecord r;
    double values[6];
    std::istringstream cells(line);
    std::string cell;
    int n = 0;
    while (n < 6 && std::getline(cells, cell, ','))
      values[n++] = std::strtod(cell.c_str(), nullptr);
    if (n != 6)
      continue;
    r.epoch = static_cast<int64_t>(values[0]);
    r.trainLoss = values[1];
    r.trainMetric = values[2];
    r.valLoss = values[3];
    r.valMetric = values[4];
    r.learningRate = values[5];
    r.seconds = NAN;
    r.samplesPerSecond = NAN;
    records.push_back(r);
  }
  return records;
}

/// Early stopping's state: the best monitored value so far and its epoch.
struct EarlyStopping {
  bool higherIsBetter = false;
  double best = NAN;
  int64_t bestEpoch = 0;
  std::vector<std::vector<float>> bestParams;

  /// Whether `value` improves on the best by more than `minDelta`.
  bool improves(double value, double minDelta) const {
    if (!std::isfinite(value))
      return false;
    if (std::isnan(best))
      return true;
    return higherIsBetter ? value > best + minDelta : value < best - minDelta;
  }
};

int fail(std::ostream &err, const std::string &message) {
  err << "error: " << message << std::endl;
  return ExitFailure;
}

Status createDirectoryFor(const std::string &dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Error(fmt::format("cannot create directory {}: {}", dir, ec.message()));
  return {};
}

//===----------------------------------------------------------------------===//
// Commands
//===----------------------------------------------------------------------===//

int runTrain(const std::string &, const Config &config, CompiledModel &model, std::ostream &out,
             std::ostream &err) {
  const ModelInfo &info = model.info();
  Result<TrainData> data = loadTrainData(config, info);
  if (!data)
    return fail(err, data.error());
  Result<Normalization> normalization = chooseNormalization(config, info, data->images);
  if (!normalization)
    return fail(err, normalization.error());

  ParameterStore params(info);
  if (Status status = params.initialize(config.seed); !status)
    return fail(err, status.error());
  model.setNumThreads(static_cast<int>(config.threads));

  Trainer trainer(model, params, {config.batch, config.seed});
  for (size_t i = 0; i < info.hyperparams.size(); ++i)
    trainer.setHyperparam(info.hyperparams[i].name, config.hyperparams[i]);
  if (config.schedule)
    trainer.setSchedule(*config.schedule);

  History history;
  history.model = info.name;
  history.metric = info.task == "regression" ? "mse" : "accuracy";
  EarlyStopping early;
  early.higherIsBetter = config.monitor == "val-acc";
  auto keepBest = [&] {
    early.bestParams.resize(params.size());
    for (size_t p = 0; p < params.size(); ++p)
      early.bestParams[p] = params.values(p);
  };

  if (!config.initFrom.empty()) {
    Result<std::vector<std::string>> loaded =
        trainer.loadWeights(config.initFrom, config.initSkip);
    if (!loaded)
      return fail(err, loaded.error());
    std::string kept;
    for (const ParamInfo &p : info.params)
      if (std::find(loaded->begin(), loaded->end(), p.name) == loaded->end())
        kept += (kept.empty() ? "" : ", ") + p.name;
    out << fmt::format("initialized {} of {} parameters from {}{}", loaded->size(),
                       info.params.size(), config.initFrom,
                       kept.empty() ? "" : "; initial values kept for " + kept)
        << std::endl;
  }
  if (!config.resume.empty()) {
    std::map<std::string, std::string> metadata;
    if (Status status = trainer.loadCheckpoint(config.resume, &metadata); !status)
      return fail(err, status.error());
    history.epochs = decodeHistory(metadata["history"]);
    if (!metadata["best_epoch"].empty()) {
      early.bestEpoch = std::stoll(metadata["best_epoch"]);
      early.best = std::strtod(metadata["best_value"].c_str(), nullptr);
    }
    if (config.patience > 0 && early.bestEpoch > 0) {
      // The best weights so far sit beside the checkpoint, unless the last
      // epoch was the best.
      if (early.bestEpoch == trainer.epochsDone()) {
        keepBest();
      } else {
        std::string bestPath =
            (std::filesystem::path(config.resume).parent_path() / "best.safetensors").string();
        ParameterStore bestStore(info);
        Trainer bestTrainer(model, bestStore, {config.batch, config.seed});
        if (Status status = bestTrainer.loadCheckpoint(bestPath); !status)
          return fail(err, fmt::format("resuming early stopping needs the best epoch's weights: "
                                       "{}",
                                       status.error()));
        early.bestParams.resize(params.size());
        for (size_t p = 0; p < params.size(); ++p)
          early.bestParams[p] = bestStore.values(p);
      }
    }
  }
  std::vector<Dataset *> heldOutSets = {&data->test};
  if (data->validation)
    heldOutSets.push_back(&*data->validation);
  if (!trainer.normalization().mean.empty()) {
    // A resumed run goes on with the statistics it started with.
    for (Dataset *set : heldOutSets)
      if (Status status = applyStandardization(*set, trainer.normalization()); !status)
        return fail(err, status.error());
    if (Status status = applyStandardization(data->train, trainer.normalization()); !status)
      return fail(err, status.error());
  } else {
    Result<Standardization> stats = normalizeSets(*data, *normalization);
    if (!stats)
      return fail(err, stats.error());
    if (*normalization != Normalization::None)
      trainer.setNormalization(std::move(*stats));
  }
  data->train.truncate(config.limit > 0 ? config.limit : data->train.count);

  std::string checkpointPath, bestPath;
  if (!config.checkpointDir.empty()) {
    if (Status status = createDirectoryFor(config.checkpointDir); !status)
      return fail(err, status.error());
    checkpointPath = config.checkpointDir + "/checkpoint.safetensors";
    bestPath = config.checkpointDir + "/best.safetensors";
  }
  // Running statistics (batch normalization) are stored like parameters but
  // not trained; the count names them apart.
  int64_t frozen = 0;
  for (const ParamInfo &p : info.params)
    if (!p.trainable)
      frozen += p.numElements();
  std::string paramCount = std::to_string(params.numElements() - frozen) + " parameters";
  if (frozen > 0)
    paramCount += " (+" + std::to_string(frozen) + " not trained)";

  const Dataset &train = data->train;
  const bool validating = data->validation.has_value();
  int64_t batch = config.batch > 0 ? std::min(config.batch, train.count) : train.count;
  int64_t stepsPerEpoch = (train.count + batch - 1) / batch;
  std::string heldOut = fmt::format("{} test samples", data->test.count);
  if (validating)
    heldOut = fmt::format("{} validation samples, {}", data->validation->count, heldOut);
  out << fmt::format("training {}: {}, {} training samples, {}, "
                     "batch {} ({} steps/epoch), threads {}, optimizer {}{}, schedule {}",
                     info.name, paramCount, train.count, heldOut, batch, stepsPerEpoch,
                     config.threads, info.optimizer,
                     hyperparamSummary(info, trainer.hyperparams()),
                     formatSchedule(trainer.schedule()))
      << std::endl;

  bool interactive = config.progress == "bar" ||
                     (config.progress == "auto" && &out == &std::cout &&
                      Progress::stdoutIsTerminal());
  Progress progress(out, interactive);
  trainer.setStepCallback([&](int64_t done, int64_t, double meanLoss, int64_t samples) {
    progress.step(done, meanLoss, samples);
  });

  auto writeReports = [&]() -> Status {
    if (!config.logPath.empty())
      if (Status status = writeHistory(config.logPath, history); !status)
        return status;
    if (!config.plotPath.empty())
      if (Status status = writeCurvesSvg(config.plotPath, history); !status)
        return status;
    return {};
  };
  // Reports are checked before the first epoch: a bad --log or --plot path
  // should not wait for a whole epoch to fail.
  if (Status status = writeReports(); !status)
    return fail(err, status.error());

  EvalStats lastTest;
  bool testMeasured = false;
  for (int64_t epoch = trainer.epochsDone() + 1; epoch <= config.epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    double learningRate = trainer.currentLearningRate();
    progress.beginEpoch(epoch, config.epochs, stepsPerEpoch);
    Result<EpochStats> epochStats = trainer.trainEpoch(train);
    if (!epochStats) {
      progress.endEpoch("");
      return fail(err, epochStats.error());
    }
    Result<EvalStats> trainEval = trainer.evaluate(train, TrainAccuracySamples);
    if (!trainEval)
      return fail(err, trainEval.error());
    Result<EvalStats> heldOutEval =
        trainer.evaluate(validating ? *data->validation : data->test);
    if (!heldOutEval)
      return fail(err, heldOutEval.error());
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!validating) {
      lastTest = *heldOutEval;
      testMeasured = true;
    }

    EpochRecord record;
    record.epoch = epoch;
    record.trainLoss = epochStats->meanLoss;
    record.trainMetric = metricValue(info, *trainEval);
    record.valLoss = validating ? heldOutEval->meanLoss() : NAN;
    record.valMetric = validating ? metricValue(info, *heldOutEval) : NAN;
    record.learningRate = learningRate;
    record.seconds = seconds;
    record.samplesPerSecond = epochStats->samplesPerSecond();
    record.extra = epochStats->health.columns();
    history.epochs.push_back(record);

    bool improved = false;
    if (validating && early.improves(heldOutEval->byName(config.monitor),
                                     config.patience > 0 ? config.minDelta : 0)) {
      early.best = heldOutEval->byName(config.monitor);
      early.bestEpoch = epoch;
      improved = true;
      if (config.patience > 0)
        keepBest();
    }
    std::string metrics =
        formatMetrics(info, "train", *trainEval, false, true) + "  " +
        formatMetrics(info, validating ? "val" : "test", *heldOutEval, validating, false);
    progress.endEpoch(fmt::format("epoch {}/{}  loss {:.4f}  {}  {:.0f} samples/s  ({:.1f} s){}",
                                  epoch, config.epochs, epochStats->meanLoss, metrics,
                                  epochStats->samplesPerSecond(), seconds,
                                  improved && config.patience > 0 ? "  *" : ""));
    if (std::string health = epochStats->health.summary(); !health.empty())
      out << "  health: " << health << std::endl;
    for (const std::string &warning : epochStats->health.warnings)
      err << "warning: epoch " << epoch << ": " << warning << std::endl;

    bool stop = config.patience > 0 && epoch - early.bestEpoch >= config.patience;
    if (stop)
      history.stopReason =
          fmt::format("early stop: {} did not improve by more than {} for {} epochs",
                      config.monitor, config.minDelta, config.patience);
    if (config.patience > 0)
      history.bestEpoch = early.bestEpoch;
    if (Status status = writeReports(); !status)
      return fail(err, status.error());
    // Only a finished epoch is saved: a run that fails leaves the last one.
    if (!checkpointPath.empty()) {
      std::map<std::string, std::string> metadata = {{"history", encodeHistory(history)}};
      if (early.bestEpoch > 0) {
        metadata["best_epoch"] = std::to_string(early.bestEpoch);
        metadata["best_value"] = fmt::format("{}", early.best);
      }
      if (improved)
        if (Status status = trainer.saveCheckpoint(bestPath, metadata); !status)
          return fail(err, status.error());
      if (Status status = trainer.saveCheckpoint(checkpointPath, metadata); !status)
        return fail(err, status.error());
    }
    if (stop) {
      out << fmt::format("{} (best epoch {})", history.stopReason, early.bestEpoch) << std::endl;
      break;
    }
  }
  if (config.patience > 0 && !early.bestParams.empty() &&
      early.bestEpoch != trainer.epochsDone()) {
    for (size_t p = 0; p < params.size(); ++p)
      params.values(p) = early.bestParams[p];
    std::string best = config.monitor == "val-acc" ? fmt::format("{:.2f}%", 100 * early.best)
                                                    : fmt::format("{:.4f}", early.best);
    out << fmt::format("restored the weights of epoch {} ({} {})", early.bestEpoch,
                       config.monitor, best)
        << std::endl;
  }
  if (validating || !testMeasured) {
    Result<EvalStats> test = trainer.evaluate(data->test);
    if (!test)
      return fail(err, test.error());
    lastTest = *test;
  }
  if (info.task == "regression")
    out << fmt::format("final test mse: {:.4f}  mae: {:.4f}", lastTest.mse(), lastTest.mae())
        << std::endl;
  else
    out << fmt::format("final test accuracy: {:.2f}%", 100 * lastTest.accuracy()) << std::endl;
  FitDiagnosis fit = diagnoseFit(history, info.task == "regression" ? targetVariance(train) : 0);
  if (!fit.text.empty())
    out << "diagnosis: " << fit.text << std::endl;
  if (info.isLanguageModel() && config.sample > 0) {
    Result<std::string> text = sampleText(model, params.pointers(), config.prompt, config.sample,
                                          config.temperature, config.seed);
    if (!text)
      return fail(err, text.error());
    out << fmt::format("sample (temperature {}):\n{}", config.temperature, *text) << std::endl;
  }
  return ExitSuccess;
}

/// Loads `config.checkpoint` into a fresh parameter store and trainer.
struct LoadedModel {
  ParameterStore params;
  Trainer trainer;
  LoadedModel(CompiledModel &model, const Config &config)
      : params(model.info()), trainer(model, params, {config.batch, config.seed}) {}
};

Result<std::unique_ptr<LoadedModel>> loadModel(CompiledModel &model, const Config &config) {
  auto loaded = std::make_unique<LoadedModel>(model, config);
  if (Status status = loaded->trainer.loadCheckpoint(config.checkpoint); !status)
    return status.takeError();
  model.setNumThreads(static_cast<int>(config.threads));
  return loaded;
}

int runEval(const std::string &, const Config &config, CompiledModel &model, std::ostream &out,
            std::ostream &err) {
  const ModelInfo &info = model.info();
  Result<std::unique_ptr<LoadedModel>> loaded = loadModel(model, config);
  if (!loaded)
    return fail(err, loaded.error());
  Trainer &trainer = (*loaded)->trainer;
  Result<Dataset> data = Error("");
  if (info.isLanguageModel()) {
    Result<DatasetSplit> split = loadTextDataset(config.dataPath, info.inputFeatures,
                                                 info.numClasses, /*heldOutFraction=*/0);
    data = split ? Result<Dataset>(std::move(split->train)) : Result<Dataset>(split.takeError());
  } else if (isDirectory(config.dataPath)) {
    Result<MnistData> mnist = loadMnist(config.dataPath, info);
    data = mnist ? Result<Dataset>(std::move(mnist->test)) : Result<Dataset>(mnist.takeError());
  } else {
    data = loadLabelledFile(config.dataPath, config.labelsPath, config, info);
  }
  if (!data)
    return fail(err, data.error());
  if (!trainer.normalization().mean.empty())
    if (Status status = applyStandardization(*data, trainer.normalization()); !status)
      return fail(err, status.error());
  Result<EvalStats> stats = trainer.evaluate(*data);
  if (!stats)
    return fail(err, stats.error());
  std::string metrics =
      info.task == "regression"
          ? fmt::format("mse {:.4f}  mae {:.4f}", stats->mse(), stats->mae())
          : fmt::format("accuracy {:.2f}%", 100 * stats->accuracy());
  out << fmt::format("{}: {} samples  loss {:.4f}  {}", data->source, stats->count,
                     stats->meanLoss(), metrics)
      << std::endl;
  return ExitSuccess;
}

int runPredict(const std::string &, const Config &config, CompiledModel &model, std::ostream &out,
               std::ostream &err) {
  const ModelInfo &info = model.info();
  if (info.isLanguageModel())
    return fail(err, fmt::format("model '{}' is a language model: generate text with "
                                 "'train --sample N'",
                                 info.name));
  Result<std::unique_ptr<LoadedModel>> loaded = loadModel(model, config);
  if (!loaded)
    return fail(err, loaded.error());
  Result<Dataset> data = loadFeatures(config, info);
  if (!data)
    return fail(err, data.error());
  if (Status status = checkTokenIds(*data, info); !status)
    return fail(err, status.error());
  const Standardization &stats = (*loaded)->trainer.normalization();
  if (!stats.mean.empty())
    if (Status status = applyStandardization(*data, stats); !status)
      return fail(err, status.error());

  std::ofstream file;
  if (!config.output.empty()) {
    file.open(config.output);
    if (!file)
      return fail(err, fmt::format("{}: cannot create: {}", config.output, std::strerror(errno)));
  }
  std::ostream &csv = config.output.empty() ? out : file;
  // A classifier writes its decision and the softmax of its logits; other
  // models their outputs.
  const bool classifier = info.task == "classification";
  const int64_t outputs = info.outputFeatures;
  std::string header = classifier ? "class" : "";
  for (int64_t k = 0; k < outputs; ++k)
    header += fmt::format("{}{}_{}", header.empty() ? "" : ",", classifier ? "p" : "output", k);
  csv << header << '\n';
  const int64_t batchSize = config.batch > 0 ? config.batch : 1024;
  std::vector<float> predictions(static_cast<size_t>(batchSize * outputs));
  for (int64_t first = 0; first < data->count; first += batchSize) {
    int64_t batch = std::min(batchSize, data->count - first);
    if (!model.predict((*loaded)->params.pointers(), data->x.data() + first * data->features,
                       batch, predictions.data()))
      return fail(err, fmt::format("{}: predict failed on records [{}, {})", data->source, first,
                                   first + batch));
    for (int64_t i = 0; i < batch; ++i) {
      float *row = predictions.data() + i * outputs;
      std::string line;
      if (classifier) {
        float top = *std::max_element(row, row + outputs);
        double sum = 0;
        for (int64_t k = 0; k < outputs; ++k)
          sum += std::exp(double(row[k]) - top);
        line = std::to_string(std::max_element(row, row + outputs) - row);
        for (int64_t k = 0; k < outputs; ++k)
          line += fmt::format(",{:.6g}", std::exp(double(row[k]) - top) / sum);
      } else {
        for (int64_t k = 0; k < outputs; ++k)
          line += fmt::format("{}{:.7g}", k ? "," : "", row[k]);
      }
      csv << line << '\n';
    }
  }
  csv.flush();
  if (!csv)
    return fail(err, fmt::format("{}: write failed", config.output.empty() ? "stdout"
                                                                           : config.output));
  if (!config.output.empty())
    out << fmt::format("wrote {} predictions to {}", data->count, config.output) << std::endl;
  return ExitSuccess;
}

int runExport(const std::string &, const Config &config, CompiledModel &model, std::ostream &out,
              std::ostream &err) {
  Result<std::unique_ptr<LoadedModel>> loaded = loadModel(model, config);
  if (!loaded)
    return fail(err, loaded.error());
  Result<ExportFormat> format = parseExportFormat(config.format);
  Result<WeightLayout> layout = parseWeightLayout(config.layout);
  if (!format || !layout)
    return fail(err, !format ? format.error() : layout.error());
  if (Status status = exportWeights(model.info(), (*loaded)->params.pointers(), config.output,
                                    *format, *layout);
      !status)
    return fail(err, status.error());
  out << fmt::format("exported {} parameters of '{}' to {} ({}, {} layout)",
                     model.info().params.size(), model.info().name, config.output, config.format,
                     config.layout)
      << std::endl;
  return ExitSuccess;
}

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

/// "--lr 0.0123 --batch 64": a configuration as train flags.
std::string asTrainFlags(const std::vector<TuneRange> &space, const TuneConfig &config) {
  std::string flags;
  for (size_t i = 0; i < space.size(); ++i) {
    if (space[i].name.rfind("schedule.", 0) == 0)
      continue; // part of --schedule, shown with the configuration
    flags += fmt::format(" --{} {}", space[i].name, static_cast<float>(config[i]));
  }
  return flags;
}

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
  Result<Normalization> normalization = chooseNormalization(config, info, data->images);
  if (!normalization)
    return fail(err, normalization.error());
  Result<Standardization> stats = normalizeSets(*data, *normalization);
  if (!stats)
    return fail(err, stats.error());
  data->train.truncate(config.limit > 0 ? config.limit : data->train.count);

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

  std::string names;
  for (const TuneRange &r : space)
    names += (names.empty() ? "" : ", ") + r.name;
  out << fmt::format("tuning {}: {} search over {} ({} trials{}), {} job{}; objective {} on {} "
                     "validation samples, {} training samples",
                     info.name, config.method, names,
                     settings.search.budget > 0 ? std::to_string(settings.search.budget)
                                                : std::string("all"),
                     config.timeLimit > 0 ? fmt::format(" or {} s", config.timeLimit) : "",
                     config.jobs, config.jobs == 1 ? "" : "s", config.objective,
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
                     settings.outputDir, program, asTrainFlags(space, best.values))
      << std::endl;
  return ExitSuccess;
}

int runBench(const std::string &, const Config &config, CompiledModel &model, std::ostream &out,
             std::ostream &err) {
  const ModelInfo &info = model.info();
  if (config.batch < 1)
    return fail(err, "bench needs a batch size (--batch B), not 'full'");
  model.setNumThreads(static_cast<int>(config.threads));
  BenchOptions options;
  options.batch = config.batch;
  options.steps = config.benchSteps;
  options.warmup = config.warmup;
  options.seed = config.seed;
  options.hyperparams = config.hyperparams;
  Result<BenchResult> result = benchmarkTrainStep(model, options);
  if (!result)
    return fail(err, result.error());
  if (config.json) {
    out << fmt::format("{{\"model\": \"{}\", \"optimizer\": \"{}\", \"batch\": {}, "
                       "\"threads\": {}, \"steps\": {}, \"median_ms\": {:.4f}, "
                       "\"p10_ms\": {:.4f}, \"p90_ms\": {:.4f}, \"peak_rss_mib\": {:.1f}}}",
                       info.name, info.optimizer, config.batch, config.threads, result->steps,
                       result->medianMs, result->p10Ms, result->p90Ms, result->peakRssMiB)
        << std::endl;
    return ExitSuccess;
  }
  out << fmt::format("{} batch {} threads {}: median {:.3f} ms/step (p10 {:.3f}, p90 {:.3f}) "
                     "over {} steps, {:.0f} samples/s, peak memory {:.1f} MiB",
                     info.name, config.batch, config.threads, result->medianMs, result->p10Ms,
                     result->p90Ms, result->steps,
                     1000.0 * static_cast<double>(config.batch) / result->medianMs,
                     result->peakRssMiB)
      << std::endl;
  return ExitSuccess;
}

const std::vector<Command> &commands() {
  static const std::vector<Command> table = {
      {"train", TrainCommand, "train, report progress and the final test metric", runTrain},
      {"eval", EvalCommand, "measure a checkpoint on a data set", runEval},
      {"predict", PredictCommand, "write a checkpoint's predictions for a data set as CSV",
       runPredict},
      {"export", ExportCommand, "write a checkpoint's weights for PyTorch or numpy", runExport},
      {"tune", TuneCommand, "search hyperparameters, keep the best model and test it", runTune},
      {"bench", BenchCommand, "time a training step on random data", runBench},
  };
  return table;
}

} // namespace

int runMain(int argc, const char *const *argv, CompiledModel &model, std::ostream &out,
            std::ostream &err) {
  const ModelInfo &info = model.info();
  std::string program = programName(argc, argv, info);
  if (argc < 2) {
    err << fmt::format("error: missing command (see '{} --help')", program) << std::endl;
    return ExitUsage;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    printTopUsage(out, program, info, commands());
    return ExitSuccess;
  }
  const Command *command = nullptr;
  for (const Command &c : commands())
    if (name == c.name)
      command = &c;
  if (!command) {
    err << fmt::format("error: unknown command '{}' (see '{} --help')", name, program)
        << std::endl;
    return ExitUsage;
  }

  std::vector<Flag> flags = flagTable(info);
  if (std::optional<std::string> problem = checkFlagTable(flags))
    return fail(err, *problem);
  Config config;
  for (const HyperparamInfo &hyper : info.hyperparams)
    config.hyperparams.push_back(hyper.defaultValue);
  std::vector<std::string> args(argv + 2, argv + argc);
  if (std::optional<std::string> problem = parseArgs(args, flags, command->bit, config)) {
    err << fmt::format("error: {} (see '{} {} --help')", *problem, program, command->name)
        << std::endl;
    return ExitUsage;
  }
  if (config.help) {
    printCommandUsage(out, program, info, *command, flags);
    return ExitSuccess;
  }
  return command->run(program, config, model, out, err);
}

int runMain(int argc, char **argv, CompiledModel &model) {
  return runMain(argc, argv, model, std::cout, std::cerr);
}

} // namespace kiln
