//===- Help.h - The help of a generated binary ------------------*- C++ -*-===//
#ifndef KILN_CLI_HELP_H
#define KILN_CLI_HELP_H

#include "cli/Commands.h"
#include "cli/Flags.h"

#include <iosfwd>
#include <string>
#include <vector>

namespace kiln::cli {

/// "usage: NAME <command> [options]" and one line per command.
void printTopUsage(std::ostream &out, const std::string &program, const ModelInfo &info,
                   const std::vector<Command> &commands);

/// A command's synopsis, what it does and its flags with their defaults.
void printCommandUsage(std::ostream &out, const std::string &program, const ModelInfo &info,
                       const Command &command, const std::vector<Flag> &flags);

} // namespace kiln::cli

#endif // KILN_CLI_HELP_H
