//===- Cli.h - The command line of a generated training binary --*- C++ -*-===//
//
// The whole main() of a binary that kilnc generates:
//
//   int main(int argc, char **argv) {
//     MyModel model;
//     return kiln::runMain(argc, argv, model);
//   }
//
// Commands:
//   NAME train --data DIR|FILE.csv [--test-fraction F] [--epochs N] [--batch B|full]
//              [--seed S] [--threads T] [--limit N] [--schedule SPEC]
//              [--checkpoint-dir DIR] [--resume FILE] [--<hyperparameter> VALUE ...]
//
// `train` loads MNIST-style IDX files from DIR (see loadMnist), or a CSV
// file (see loadCsvDataset: features, then the model's targetFeatures
// targets or one class label per line) of which it holds out a seeded
// fraction F (default 0.2) to test on and standardizes the features with
// the training part's statistics. It initialises the parameters from the
// seed, and prints a summary line, one line per epoch and a final line:
//
//   training mlp: 235146 parameters, 60000 training samples, 10000 test ...
//     ... samples, batch 128 (469 steps/epoch), threads 1, optimizer sgd, lr 0.05,
//     ... schedule constant                                            (one line)
//   epoch 1/5  loss 0.2874  train-acc 91.83%  test-acc 95.12%  12345 samples/s  (4.9 s)
//   final test accuracy: 97.85%
//
// loss is the mean training loss of the epoch, train-acc the accuracy of
// predict on the first 10000 training samples after the epoch, test-acc
// the accuracy on the whole test set, samples/s the training throughput
// (steps and batch gathering only) and the time in parentheses the whole
// epoch, evaluation included. Percentages have two decimals, the loss four.
// A regression model (ModelInfo::task) reports mean squared and absolute
// errors instead, with four decimals:
//
//   epoch 1/5  loss 0.5012  train-mse 0.4987  test-mse 0.5230  test-mae 0.5871  ...
//   final test mse: 0.5230  mae: 0.5871
//
// With --checkpoint-dir, every finished epoch is saved (atomically) to
// DIR/checkpoint.safetensors: parameters, optimizer state, update count and
// epoch; --resume continues from such a file. A run that fails (bad data, a
// NaN) never touches the last saved checkpoint.
// Exit status 0 on success, 1 on a data or training error, 2 on a bad
// command line; errors are one line on stderr, "error: ...", and usage
// errors end with "(see 'NAME train --help')".
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CLI_H
#define KILN_CLI_H

#include "kiln/CompiledModel.h"

#include <iosfwd>

namespace kiln {

/// Exit statuses of runMain.
enum ExitStatus : int {
  ExitSuccess = 0,
  ExitFailure = 1, // bad data, a loss that became NaN, an error in generated code
  ExitUsage = 2,   // bad command line
};

/// Training samples that the per-epoch train-acc is measured on.
constexpr int64_t TrainAccuracySamples = 10000;

/// Parses the command line, runs the command and returns the exit status.
/// Results go to stdout, errors (one line, "error: ...") to stderr.
int runMain(int argc, char **argv, CompiledModel &model);

/// The same, writing to `out` and `err`.
int runMain(int argc, const char *const *argv, CompiledModel &model, std::ostream &out,
            std::ostream &err);

} // namespace kiln

#endif // KILN_CLI_H
