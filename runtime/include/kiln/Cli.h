//===- Cli.h - The command line of a generated training binary --*- C++ -*-===//
//
// The whole main() of a binary that kilnc generates:
//
//   int main(int argc, char **argv) {
//     MyModel model;
//     return kiln::runMain(argc, argv, model);
//   }
//
// Commands (docs/cli.md describes each, with its output):
//   NAME train   --data PATH [--val-fraction F | --val-data PATH] [--epochs N]
//                [--batch B|full] [--seed S] [--threads T] [--checkpoint-dir DIR]
//                [--resume FILE | --init-from FILE] [--patience N] [--log FILE]
//                [--plot FILE.svg] [--<hyperparameter> VALUE ...] ...
//   NAME eval    --checkpoint FILE --data PATH
//   NAME predict --checkpoint FILE --data PATH [--output FILE.csv]
//   NAME export  --checkpoint FILE --output PATH [--format safetensors|npy]
//                [--layout kiln|torch]
//
// `train` prints a summary line, one line per epoch and the final test
// metric:
//
//   training mlp: 235146 parameters, 60000 training samples, 10000 test ...
//   epoch 1/5  loss 0.2874  train-acc 91.83%  test-acc 95.12%  12345 samples/s  (4.9 s)
//   final test accuracy: 97.85%
//
// With a validation set the epoch lines show val-loss and val-acc instead of
// the test metric, which is then measured once, at the end. A regression
// model reports mean squared and absolute errors. Checkpoints are written
// atomically after each finished epoch: a run that fails (bad data, a NaN)
// never touches the last saved one.
// Exit status 0 on success, 1 on a data or training error, 2 on a bad
// command line; errors are one line on stderr, "error: ...", and usage
// errors end with "(see 'NAME <command> --help')".
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

/// Parses the command line, runs the command and returns the exit status.
/// Results go to stdout, errors (one line, "error: ...") to stderr.
int runMain(int argc, char **argv, CompiledModel &model);

/// The same, writing to `out` and `err`.
int runMain(int argc, const char *const *argv, CompiledModel &model, std::ostream &out,
            std::ostream &err);

class ProcessGroup;

/// The same, as one process of a data-parallel run (kiln/Distributed.h;
/// null: a run of one process). Every process runs it; rank 0's `out` is
/// the run's.
int runMain(int argc, const char *const *argv, CompiledModel &model, std::ostream &out,
            std::ostream &err, ProcessGroup *group);

} // namespace kiln

#endif // KILN_CLI_H
