//===- Cli.cpp - The command line of a generated training binary ----------===//

#include "kiln/Cli.h"
#include "kiln/Data.h"
#include "kiln/Sample.h"
#include "kiln/Init.h"
#include "kiln/Schedule.h"
#include "kiln/Trainer.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

namespace {

/// What `train` was asked to do.
struct TrainConfig {
  std::string dataPath;      // an MNIST directory or a CSV file
  double testFraction = 0.2; // of a CSV file
  int64_t epochs = 1;
  int64_t batch = 128;
  uint64_t seed = 1;
  int64_t threads = 1;
  int64_t limit = 0; // 0: all training samples
  std::vector<float> hyperparams;
  std::optional<ScheduleInfo> schedule; // overrides the model file's
  std::string checkpointDir;
  std::string resume;
  bool help = false;
  // Language models: text generated after training.
  int64_t sample = 400;
  double temperature = 0.8;
  std::string prompt = "The ";
};

/// Stores a flag's value into the config; on a bad value returns what was
/// expected instead ("an integer >= 1").
using FlagSetter = std::function<std::optional<std::string>(TrainConfig &, const std::string &)>;

/// One row of the flag table.
struct Flag {
  std::string name;      // "epochs" for --epochs
  std::string valueName; // "N"; empty for a flag that takes no value
  std::string help;
  std::string defaultText; // shown as "(default ...)" when not empty
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

FlagSetter setString(std::string TrainConfig::*field) {
  return [field](TrainConfig &config, const std::string &text) -> std::optional<std::string> {
    if (text.empty())
      return std::string("a non-empty path");
    config.*field = text;
    return std::nullopt;
  };
}

FlagSetter setInteger(int64_t TrainConfig::*field, int64_t min) {
  return [field, min](TrainConfig &config, const std::string &text) -> std::optional<std::string> {
    std::optional<int64_t> value = parseNumber<int64_t>(text);
    if (!value || *value < min)
      return fmt::format("an integer >= {}", min);
    config.*field = *value;
    return std::nullopt;
  };
}

std::optional<std::string> setTestFraction(TrainConfig &config, const std::string &text) {
  std::optional<double> value = parseNumber<double>(text);
  if (!value || !(*value > 0 && *value < 1))
    return std::string("a number in (0, 1)");
  config.testFraction = *value;
  return std::nullopt;
}

std::optional<std::string> setTemperature(TrainConfig &config, const std::string &text) {
  std::optional<double> value = parseNumber<double>(text);
  if (!value || !(*value > 0) || !std::isfinite(*value))
    return std::string("a positive number");
  config.temperature = *value;
  return std::nullopt;
}

std::optional<std::string> setSeed(TrainConfig &config, const std::string &text) {
  std::optional<uint64_t> value = parseNumber<uint64_t>(text);
  if (!value)
    return std::string("an integer in [0, 2^64)");
  config.seed = *value;
  return std::nullopt;
}

std::optional<std::string> setHelp(TrainConfig &config, const std::string &) {
  config.help = true;
  return std::nullopt;
}

/// "(0, inf)", "[0, 1)".
std::string rangeText(const HyperparamInfo &h) {
  auto bound = [](double v) {
    return std::abs(v) >= 1e300 ? std::string(v < 0 ? "-inf" : "inf") : fmt::format("{}", v);
  };
  return fmt::format("{}{}, {}{}", h.lowerOpen ? "(" : "[", bound(h.lower), bound(h.upper),
                     h.upperOpen ? ")" : "]");
}

FlagSetter setHyperparam(const HyperparamInfo &info, size_t index) {
  return [info, index](TrainConfig &config,
                       const std::string &text) -> std::optional<std::string> {
    std::optional<float> value = parseNumber<float>(text);
    if (!value || !std::isfinite(*value) || !info.accepts(*value))
      return info.lower <= -1e300 && info.upper >= 1e300
                 ? std::string("a finite number")
                 : fmt::format("a number in {}", rangeText(info));
    config.hyperparams[index] = *value;
    return std::nullopt;
  };
}

std::optional<std::string> setBatch(TrainConfig &config, const std::string &text) {
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

std::optional<std::string> setSchedule(TrainConfig &config, const std::string &text) {
  Result<ScheduleInfo> schedule = parseSchedule(text);
  if (!schedule)
    return schedule.error();
  config.schedule = *schedule;
  return std::nullopt;
}

/// The flags of `train`: the fixed ones, then one per hyperparameter.
std::vector<Flag> trainFlags(const ModelInfo &info) {
  std::vector<Flag> flags = {
      {"data", "DIR",
       fmt::format("directory with {} and the other MNIST IDX files, or a CSV file (features "
                   "then targets on each line)",
                   MnistTrainImages),
       "", setString(&TrainConfig::dataPath)},
      {"test-fraction", "F",
       "with a CSV file: the fraction of samples held out (drawn from the seed) to test on; "
       "features are standardized with the statistics of the rest",
       "0.2", setTestFraction},
      {"epochs", "N", "passes over the training set", "1", setInteger(&TrainConfig::epochs, 1)},
      {"batch", "B",
       "samples per step (the last step of an epoch may have fewer); 'full' for full-batch "
       "gradient descent, 1 for stochastic",
       "128", setBatch},
      {"seed", "S", "seed of the initial weights and of the sample order", "1", setSeed},
      {"threads", "T", "threads of the generated kernels (0: one per core)", "1",
       setInteger(&TrainConfig::threads, 0)},
      {"limit", "N", "train on the first N training samples only", "all",
       setInteger(&TrainConfig::limit, 1)},
      {"schedule", "SPEC",
       "learning-rate schedule, e.g. 'cosine(period=1000,warmup=100)' or 'constant'",
       formatSchedule(info.schedule), setSchedule},
      {"checkpoint-dir", "DIR",
       "after every epoch, save parameters and optimizer state to DIR/checkpoint.safetensors",
       "", setString(&TrainConfig::checkpointDir)},
      {"resume", "FILE", "start from a checkpoint: weights, optimizer state, step and epoch", "",
       setString(&TrainConfig::resume)},
      {"help", "", "print this help and exit", "", setHelp},
  };
  if (info.isLanguageModel()) {
    flags[0].help = "a text file: byte-level windows of the model's steps, the last "
                    "test-fraction of the text held out";
    flags[0].valueName = "FILE";
    flags[1].help = "the fraction of the text, at its end, held out to test on";
    flags.insert(flags.end() - 1,
                 {{"sample", "N", "after training, generate N bytes of text (0: none)", "400",
                   setInteger(&TrainConfig::sample, 0)},
                  {"temperature", "T", "sampling temperature (lower: more conservative)", "0.8",
                   setTemperature},
                  {"prompt", "TEXT", "the text that generation continues", "The ",
                   setString(&TrainConfig::prompt)}});
  }
  for (size_t i = 0; i < info.hyperparams.size(); ++i)
    flags.push_back({info.hyperparams[i].name, "VALUE",
                     fmt::format("hyperparameter of the model, in {}",
                                 rangeText(info.hyperparams[i])),
                     fmt::format("{}", info.hyperparams[i].defaultValue),
                     setHyperparam(info.hyperparams[i], i)});
  return flags;
}

const Flag *findFlag(const std::vector<Flag> &flags, const std::string &name) {
  for (const Flag &flag : flags)
    if (flag.name == name)
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

void printTopUsage(std::ostream &out, const std::string &program, const ModelInfo &info) {
  out << fmt::format("usage: {} <command> [options]\n\n"
                     "Trains the compiled model '{}'.\n\n"
                     "commands:\n"
                     "  train    train on IDX data and report test accuracy\n\n"
                     "Run '{} <command> --help' for the options of a command.\n",
                     program, info.name, program);
}

void printTrainUsage(std::ostream &out, const std::string &program, const ModelInfo &info,
                     const std::vector<Flag> &flags) {
  const std::string data = flags.front().valueName; // DIR, or FILE for a text
  if (info.isLanguageModel())
    out << fmt::format("usage: {} train --data {} [options]\n\n"
                       "Trains language model '{}' ({} steps, {} classes) on a text and prints "
                       "one line per\nepoch, the final next-byte test accuracy and a "
                       "sample of text.\n\noptions:\n",
                       program, data, info.name, info.inputFeatures, info.numClasses);
  else if (info.task == "classification")
    out << fmt::format("usage: {} train --data {} [options]\n\n"
                       "Trains model '{}' ({} inputs, {} classes) and prints one line per "
                       "epoch\nand the final test accuracy.\n\noptions:\n",
                       program, data, info.name, info.inputFeatures, info.numClasses);
  else
    out << fmt::format("usage: {} train --data {} [options]\n\n"
                       "Trains model '{}' ({} inputs, {} outputs, task {}) and prints one line "
                       "per epoch\nand the final {}.\n\noptions:\n",
                       program, data, info.name, info.inputFeatures, info.outputFeatures, info.task,
                       info.task == "regression" ? "test mean squared and absolute error"
                                                 : "test accuracy");
  size_t width = 0;
  for (const Flag &flag : flags)
    width = std::max(width, flag.name.size() + flag.valueName.size() + 1);
  for (const Flag &flag : flags) {
    std::string spelling = flag.valueName.empty() ? flag.name : flag.name + " " + flag.valueName;
    std::string help = flag.help;
    if (flag.name == "data")
      help += " (required)";
    else if (!flag.defaultText.empty())
      help += fmt::format(" (default {})", flag.defaultText);
    out << fmt::format("  --{:<{}}  {}\n", spelling, width, help);
  }
}

/// Parses the arguments of `train` (after the command name) into `config`;
/// returns a one-line problem on failure.
std::optional<std::string> parseTrainArgs(const std::vector<std::string> &args,
                                          const std::vector<Flag> &flags, TrainConfig &config) {
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
    const Flag *flag = findFlag(flags, name);
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
  }
  if (!config.help && config.dataPath.empty())
    return std::string("missing required flag '--data DIR'");
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

/// The training and test sets: MNIST's from a directory, or a CSV file cut
/// into a training part and a held-out test part.
Result<DatasetSplit> loadTrainData(const TrainConfig &config, const ModelInfo &info) {
  if (info.isLanguageModel())
    return loadTextDataset(config.dataPath, info.inputFeatures, info.numClasses,
                           config.testFraction);
  std::error_code ignored;
  if (!std::filesystem::is_regular_file(config.dataPath, ignored)) {
    Result<MnistData> mnist = loadMnist(config.dataPath, info);
    if (!mnist)
      return mnist.takeError();
    return DatasetSplit{std::move(mnist->train), std::move(mnist->test)};
  }
  CsvOptions options;
  options.targetColumns = std::max<int64_t>(info.targetFeatures, 1);
  options.intLabels = info.targetFeatures == 0;
  Result<Dataset> all = loadCsvDataset(config.dataPath, options);
  if (!all)
    return all.takeError();
  if (Status status = checkDataset(*all, info); !status)
    return status.takeError();
  Result<DatasetSplit> split = splitDataset(*all, config.testFraction, config.seed);
  if (!split)
    return split;
  // Tabular features come in unrelated units (years, mmHg, mg/dL): scaled
  // alike, one learning rate suits them all. The test part is scaled with
  // the training part's statistics, as new samples would be. Token ids are
  // names, not quantities: they stay as they are.
  if (info.tokenInput)
    return split;
  if (Result<Standardization> stats = standardize(split->train, {&split->heldOut}); !stats)
    return stats.takeError();
  return split;
}

int runTrain(const std::string &program, const std::vector<std::string> &args, CompiledModel &model,
             std::ostream &out, std::ostream &err) {
  const ModelInfo &info = model.info();
  std::vector<Flag> flags = trainFlags(info);
  if (std::optional<std::string> problem = checkFlagTable(flags)) {
    err << "error: " << *problem << std::endl;
    return ExitFailure;
  }

  TrainConfig config;
  for (const HyperparamInfo &hyper : info.hyperparams)
    config.hyperparams.push_back(hyper.defaultValue);
  if (std::optional<std::string> problem = parseTrainArgs(args, flags, config)) {
    err << fmt::format("error: {} (see '{} train --help')", *problem, program) << std::endl;
    return ExitUsage;
  }
  if (config.help) {
    printTrainUsage(out, program, info, flags);
    return ExitSuccess;
  }

  auto fail = [&](const std::string &message) {
    err << "error: " << message << std::endl;
    return ExitFailure;
  };

  Result<DatasetSplit> data = loadTrainData(config, info);
  if (!data)
    return fail(data.error());
  data->train.truncate(config.limit > 0 ? config.limit : data->train.count);

  ParameterStore params(info);
  if (Status status = params.initialize(config.seed); !status)
    return fail(status.error());
  model.setNumThreads(static_cast<int>(config.threads));

  Trainer trainer(model, params, {config.batch, config.seed});
  for (size_t i = 0; i < info.hyperparams.size(); ++i)
    trainer.setHyperparam(info.hyperparams[i].name, config.hyperparams[i]);
  if (config.schedule)
    trainer.setSchedule(*config.schedule);
  if (!config.resume.empty())
    if (Status status = trainer.loadCheckpoint(config.resume); !status)
      return fail(status.error());
  std::string checkpointPath;
  if (!config.checkpointDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config.checkpointDir, ec);
    if (ec)
      return fail("cannot create checkpoint directory " + config.checkpointDir + ": " +
                  ec.message());
    checkpointPath = config.checkpointDir + "/checkpoint.safetensors";
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

  int64_t batch =
      config.batch > 0 ? std::min(config.batch, data->train.count) : data->train.count;
  int64_t stepsPerEpoch = (data->train.count + batch - 1) / batch;
  out << fmt::format("training {}: {}, {} training samples, {} test samples, "
                     "batch {} ({} steps/epoch), threads {}, optimizer {}{}, schedule {}",
                     info.name, paramCount, data->train.count, data->heldOut.count, batch,
                     stepsPerEpoch, config.threads, info.optimizer,
                     hyperparamSummary(info, trainer.hyperparams()),
                     formatSchedule(trainer.schedule()))
      << std::endl;

  // The task's metric: accuracy, or for a regression the mean squared and
  // absolute errors.
  const bool regression = info.task == "regression";
  EvalStats lastTest;
  for (int64_t epoch = trainer.epochsDone() + 1; epoch <= config.epochs; ++epoch) {
    auto start = std::chrono::steady_clock::now();
    Result<EpochStats> stats = trainer.trainEpoch(data->train);
    if (!stats)
      return fail(stats.error());
    Result<EvalStats> trainEval = trainer.evaluate(data->train, TrainAccuracySamples);
    if (!trainEval)
      return fail(trainEval.error());
    Result<EvalStats> testEval = trainer.evaluate(data->heldOut);
    if (!testEval)
      return fail(testEval.error());
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    lastTest = *testEval;
    std::string metrics =
        regression ? fmt::format("train-mse {:.4f}  test-mse {:.4f}  test-mae {:.4f}",
                                 trainEval->mse(), testEval->mse(), testEval->mae())
                   : fmt::format("train-acc {:.2f}%  test-acc {:.2f}%", 100 * trainEval->accuracy(),
                                 100 * testEval->accuracy());
    out << fmt::format("epoch {}/{}  loss {:.4f}  {}  {:.0f} samples/s  ({:.1f} s)", epoch,
                       config.epochs, stats->meanLoss, metrics, stats->samplesPerSecond(), seconds)
        << std::endl;
    // Only a finished epoch is saved: a run that fails leaves the last one.
    if (!checkpointPath.empty())
      if (Status status = trainer.saveCheckpoint(checkpointPath); !status)
        return fail(status.error());
  }
  if (regression)
    out << fmt::format("final test mse: {:.4f}  mae: {:.4f}", lastTest.mse(), lastTest.mae())
        << std::endl;
  else
    out << fmt::format("final test accuracy: {:.2f}%", 100 * lastTest.accuracy()) << std::endl;
  if (info.isLanguageModel() && config.sample > 0) {
    Result<std::string> text = sampleText(model, params.pointers(), config.prompt, config.sample,
                                          config.temperature, config.seed);
    if (!text)
      return fail(text.error());
    out << fmt::format("sample (temperature {}):\n{}", config.temperature, *text) << std::endl;
  }
  return ExitSuccess;
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
  std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    printTopUsage(out, program, info);
    return ExitSuccess;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "train")
    return runTrain(program, args, model, out, err);
  err << fmt::format("error: unknown command '{}' (see '{} --help')", command, program)
      << std::endl;
  return ExitUsage;
}

int runMain(int argc, char **argv, CompiledModel &model) {
  return runMain(argc, argv, model, std::cout, std::cerr);
}

} // namespace kiln
