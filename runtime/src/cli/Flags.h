//===- Flags.h - The flag table of a generated binary -----------*- C++ -*-===//
//
// One table of flags serves every command: each row says which commands
// take it and which require it, and parses its value into a Config.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CLI_FLAGS_H
#define KILN_CLI_FLAGS_H

#include "cli/Config.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kiln::cli {

/// Stores a flag's value into the config; on a bad value returns what was
/// expected instead ("an integer >= 1").
using FlagSetter = std::function<std::optional<std::string>(Config &, const std::string &)>;

/// What a flag means to some of its commands, in their terms, in place of
/// the row's help and default ("--output" is a CSV file to predict, a
/// directory to tune).
struct FlagHelp {
  unsigned commands; // CommandBits this text is for
  std::string help;
  std::string defaultText;
};

/// One row of the flag table.
struct Flag {
  std::string name;      // "epochs" for --epochs
  std::string valueName; // "N"; empty for a flag that takes no value
  std::string help;
  std::string defaultText; // shown as "(default ...)" when not empty
  unsigned commands;       // CommandBits that take the flag
  unsigned required;       // CommandBits that require it
  FlagSetter set;
  std::vector<FlagHelp> helpFor = {}; // the texts of some commands, if they differ

  /// The help and default `command` shows: its own text, else the row's.
  FlagHelp helpOf(CommandBit command) const;
};

/// The flag table: the fixed flags, then one per hyperparameter.
std::vector<Flag> flagTable(const ModelInfo &info);

/// Checks that no hyperparameter hides a fixed flag: that would be a bug in
/// the compiler, which must not generate such names.
std::optional<std::string> checkFlagTable(const std::vector<Flag> &flags);

/// Parses the arguments of a command (after its name) into `config`;
/// returns a one-line problem on failure.
std::optional<std::string> parseArgs(const std::vector<std::string> &args,
                                     const std::vector<Flag> &flags, unsigned command,
                                     Config &config);

} // namespace kiln::cli

#endif // KILN_CLI_FLAGS_H
