//===- Cli.cpp - The command line of a generated training binary ----------===//
//
// runMain: the command's name, its flags parsed by the flag table
// (cli/Flags.h) into a Config, then the command (cli/Commands.h).
//
//===----------------------------------------------------------------------===//

#include "kiln/Cli.h"
#include "kiln/Distributed.h"
#include "cli/Commands.h"
#include "cli/Flags.h"
#include "cli/Help.h"
#include "core/Launcher.h"
#include "core/ParseNumber.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <new>
#include <stdexcept>
#include <thread>

namespace kiln {

namespace cli {

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

int fail(std::ostream &err, const std::string &message) {
  err << "error: " << message << std::endl;
  return ExitFailure;
}

Result<std::unique_ptr<Model>> loadCheckpointModel(CompiledModel &model, const Config &config) {
  auto loaded = std::make_unique<Model>(model, TrainerOptions{config.batch, config.seed});
  if (Status status = loaded->load(config.checkpoint); !status)
    return status.takeError();
  // eval under mpirun: each process measures its part of the data.
  loaded->trainer().setProcessGroup(config.group);
  model.setNumThreads(static_cast<int>(config.threads));
  return loaded;
}

} // namespace cli

namespace {

/// The kernels' threads when --threads is not given (or 0): HL_NUM_THREADS
/// where it holds a positive integer, as Halide's own runtime reads it, else
/// one per core.
int64_t defaultThreads() {
  if (const char *text = std::getenv("HL_NUM_THREADS"))
    if (std::optional<int64_t> threads = parseNumber<int64_t>(text); threads && *threads > 0)
      return *threads;
  return std::max<int64_t>(1, std::thread::hardware_concurrency());
}

/// "mlp" for "./build/mlp".
std::string programName(int argc, const char *const *argv, const ModelInfo &info) {
  if (argc < 1 || !argv[0] || !*argv[0])
    return info.name;
  std::string path = argv[0];
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

int runMain(int argc, const char *const *argv, CompiledModel &model, std::ostream &out,
            std::ostream &err) {
  return runMain(argc, argv, model, out, err, nullptr);
}

int runMain(int argc, const char *const *argv, CompiledModel &model, std::ostream &out,
            std::ostream &err, ProcessGroup *group) {
  using namespace cli;
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
  config.group = group;
  for (const HyperparamInfo &hyper : info.hyperparams)
    config.hyperparams.push_back(hyper.defaultValue);
  std::vector<std::string> args(argv + 2, argv + argc);
  if (std::optional<std::string> problem = parseArgs(args, flags, command->bit, config)) {
    err << fmt::format("error: {} (see '{} {} --help')", *problem, program, command->name)
        << std::endl;
    return ExitUsage;
  }
  if (config.threads == 0)
    config.threads = defaultThreads();
  // Halide's runtime reads the GPU's number from the environment when the
  // first kernel runs.
  if (config.device >= 0)
    setenv("HL_GPU_DEVICE", std::to_string(config.device).c_str(), 1);
  if (config.help) {
    printCommandUsage(out, program, info, *command, flags);
    return ExitSuccess;
  }
  // Under mpirun, predict and export are rank 0's alone: one output file.
  if (group && group->rank() != 0 && (command->bit & (PredictCommand | ExportCommand)))
    return ExitSuccess;
  // Sizes are checked before memory is taken where they are known; what is
  // left (a data set larger than the memory, a kernel's buffers) ends here
  // with a message, not in an abort.
  auto outOfMemory = [&] {
    return fail(err, fmt::format("out of memory in '{} {}': use less data (--limit N) or a "
                                 "smaller batch (--batch B)",
                                 program, command->name));
  };
  try {
    return command->run(program, config, model, out, err);
  } catch (const std::bad_alloc &) {
    return outOfMemory();
  } catch (const std::length_error &) { // a vector longer than the address space
    return outOfMemory();
  }
}

int runMain(int argc, char **argv, CompiledModel &model) {
  // Started by mpirun as one of several processes, each would train alone
  // and write the same files.
  if (int64_t size = launchedProcesses(); size > 1) {
    std::cerr << fmt::format("error: '{}' was compiled without --data-parallel: started as one "
                             "of {} processes, each would train alone; compile the model with "
                             "'kilnc --data-parallel' to train it over them",
                             programName(argc, argv, model.info()), size)
              << std::endl;
    return ExitUsage;
  }
  return runMain(argc, argv, model, std::cout, std::cerr);
}

} // namespace kiln