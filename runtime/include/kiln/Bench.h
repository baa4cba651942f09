//===- Bench.h - Timing a compiled model's training step --------*- C++ -*-===//
//
// How fast one training step of a compiled model runs on this machine:
// seeded parameters, zero optimizer state and one fixed batch of random
// inputs and labels, a few untimed steps, then each step timed alone. The
// `bench` command of a generated trainer prints the result; bench/compare.sh
// puts it beside PyTorch.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_BENCH_H
#define KILN_BENCH_H

#include "kiln/CompiledModel.h"
#include "kiln/Result.h"

#include <cstdint>
#include <vector>

namespace kiln {

class ProcessGroup; // kiln/Distributed.h

struct BenchOptions {
  int64_t batch = 128;
  int64_t steps = 200;  // timed steps
  int64_t warmup = 20;  // untimed steps before them
  uint64_t seed = 1;    // of the weights and the random batch
  /// In ModelInfo::hyperparams order; empty: the model's defaults.
  std::vector<float> hyperparams;
  /// Under mpirun (kiln/Distributed.h): each process steps on its part of
  /// the batch, and the gradient sums are timed too.
  ProcessGroup *group = nullptr;
};

struct BenchResult {
  int64_t steps = 0;
  double medianMs = 0, p10Ms = 0, p90Ms = 0; // per training step
  double peakRssMiB = 0; // of the whole process, at the end
  /// Data-parallel runs: per step, the time summing every bucket takes on
  /// its own (one after the other, nothing else running), and the time a
  /// step still waited for the sums it started while backward ran (the
  /// mean over the ranks, which includes waiting for a slower rank).
  double exchangeMs = 0, exchangeWaitMs = 0;
};

/// Times `options.steps` training steps of `model` (with the threads it was
/// set to). Fails if a step's loss is not finite.
Result<BenchResult> benchmarkTrainStep(CompiledModel &model, const BenchOptions &options);

} // namespace kiln

#endif // KILN_BENCH_H
