//===- ScheduleTuner.h - Measured choice of kernel schedules ----*- C++ -*-===//
//
// `kilnc --autotune`: every kernel of a model is compiled by JIT with each of
// its schedule candidates (scheduleCandidates: variants of its template and
// Halide's autoschedulers), checked against the default schedule's results
// and timed on this machine at a batch size; the fastest wins. Winners are
// cached by the kernel's key, the target and the batch, one small text file
// per kernel, so that a later compile of the same kernels times nothing.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_SCHEDULETUNER_H
#define KILN_CODEGEN_SCHEDULETUNER_H

#include "Codegen/HalideLowering.h"

#include <iosfwd>
#include <string>

namespace kiln {

/// How the schedule tuner times kernels, and where it keeps its winners.
struct ScheduleTunerOptions {
  /// Where winners are kept (created if missing); see defaultScheduleCacheDir.
  std::string cacheDir;
  /// The batch size kernels are timed at.
  int batch = 128;
  /// The threads of Halide's pool while timing (HL_NUM_THREADS for the JIT
  /// runtime, read when it first runs a kernel); 0: Halide's default
  /// (HL_NUM_THREADS, else one per core). Part of a winner's cache key.
  int threads = 0;
  /// One line per kernel: its winner and the times measured; nullptr: quiet.
  std::ostream *log = nullptr;
};

/// $KILN_CACHE_DIR/schedules, else $XDG_CACHE_HOME/kiln/schedules, else
/// $HOME/.cache/kiln/schedules.
std::string defaultScheduleCacheDir();

/// Fills `codegen.choices` with the measured (or cached) fastest schedule of
/// every kernel of `module` (after partitioning). Returns an error message,
/// or "" on success.
std::string tuneSchedules(mlir::ModuleOp module, CodegenOptions &codegen,
                          const ScheduleTunerOptions &options);

} // namespace kiln

#endif // KILN_CODEGEN_SCHEDULETUNER_H
