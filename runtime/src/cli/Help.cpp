//===- Help.cpp - The help of a generated binary --------------------------===//

#include "cli/Help.h"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

namespace kiln::cli {

namespace {

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

} // namespace

void printTopUsage(std::ostream &out, const std::string &program, const ModelInfo &info,
                   const std::vector<Command> &commands) {
  out << fmt::format("usage: {} <command> [options]\n\n"
                     "Trains and runs the compiled model '{}'.\n\ncommands:\n",
                     program, info.name);
  for (const Command &command : commands)
    out << fmt::format("  {:<8} {}\n", command.name, command.summary);
  out << fmt::format("\nRun '{} <command> --help' for the options of a command.\n", program);
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
    what = info.task == "classification"
               ? "Writes the predictions of {} from a checkpoint for every sample of a\n"
                 "data set, as CSV: the predicted class and the softmax probability of every "
                 "class\n(class,p_0,p_1,...)."
               : "Writes the predictions of {} from a checkpoint for every sample of a\n"
                 "data set, as CSV: the model's outputs (output_0,output_1,...).";
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
    FlagHelp text = flag.helpOf(command.bit);
    std::string help = text.help;
    if (flag.required & command.bit)
      help += " (required)";
    else if (!text.defaultText.empty())
      help += fmt::format(" (default {})", text.defaultText);
    out << fmt::format("  --{:<{}}  {}\n", spelling, width, help);
  }
}

} // namespace kiln::cli
