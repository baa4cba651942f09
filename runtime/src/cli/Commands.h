//===- Commands.h - The commands of a generated binary ----------*- C++ -*-===//
//
// One function per command, over a parsed Config, each in its own file
// (TrainCommand.cpp, ...), and what several commands share.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CLI_COMMANDS_H
#define KILN_CLI_COMMANDS_H

#include "cli/Config.h"
#include "kiln/Cli.h"
#include "kiln/CompiledModel.h"
#include "kiln/Model.h"
#include "kiln/Result.h"

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace kiln::cli {

/// What a command does: `program` is the binary's name, for messages.
using CommandFunction = int (*)(const std::string &program, const Config &config,
                                CompiledModel &model, std::ostream &out, std::ostream &err);

/// A command: its name, bit, one line of help, and what it does.
struct Command {
  const char *name;
  CommandBit bit;
  const char *summary;
  CommandFunction run;
};

/// The commands, in the order the help lists them.
const std::vector<Command> &commands();

int runTrain(const std::string &program, const Config &config, CompiledModel &model,
             std::ostream &out, std::ostream &err);
int runEval(const std::string &program, const Config &config, CompiledModel &model,
            std::ostream &out, std::ostream &err);
int runPredict(const std::string &program, const Config &config, CompiledModel &model,
               std::ostream &out, std::ostream &err);
int runExport(const std::string &program, const Config &config, CompiledModel &model,
              std::ostream &out, std::ostream &err);
int runTune(const std::string &program, const Config &config, CompiledModel &model,
            std::ostream &out, std::ostream &err);
int runBench(const std::string &program, const Config &config, CompiledModel &model,
             std::ostream &out, std::ostream &err);

/// Prints "error: <message>" to `err`; returns ExitFailure.
int fail(std::ostream &err, const std::string &message);

/// The model with the weights of `config.checkpoint`, its kernels using
/// `config.threads` threads (eval, predict, export).
Result<std::unique_ptr<Model>> loadCheckpointModel(CompiledModel &model, const Config &config);

} // namespace kiln::cli

#endif // KILN_CLI_COMMANDS_H
