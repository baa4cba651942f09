//===- Config.h - What a generated binary's command line says ---*- C++ -*-===//
//
// The commands and everything their flags can set; the flag table
// (cli/Flags.h) fills a Config, and each command (cli/Commands.h) reads one.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CLI_CONFIG_H
#define KILN_CLI_CONFIG_H

#include "kiln/CompiledModel.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiln {
class ProcessGroup; // kiln/Distributed.h
} // namespace kiln

namespace kiln::cli {

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
  /// The processes of a data-parallel run, null for one process (not a
  /// flag: runMainDataParallel gives it).
  ProcessGroup *group = nullptr;
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
  int64_t threads = 0; // 0: HL_NUM_THREADS if set, else one per core (runMain resolves it)
  int64_t device = -1;  // a GPU build's device (--device); -1: Halide's runtime chooses
  int64_t limit = 0;   // 0: every sample read; else the first N, before any split
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
  /// The flags as given, in order: name (without "--") and value ("" for a
  /// flag without one); what tune repeats in its "train it again" line.
  std::vector<std::pair<std::string, std::string>> givenFlags;
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
} // namespace kiln::cli

#endif // KILN_CLI_CONFIG_H
