//===- memory.cpp - Peak resident memory of training steps ----------------===//
//
// Trains the model this binary was built with (KILN_MODEL_HEADER, class
// KILN_MODEL_CLASS) for a few steps on random data (kiln::benchmarkTrainStep)
// and prints the peak resident set size of the process. Built once with
// update fusion and once without (kilnc --no-fuse-updates); run by
// bench/memory.sh.
//
//   bench_memory_<model> [--batch 128] [--steps 5] [--threads 1]
//
//===----------------------------------------------------------------------===//
#include KILN_MODEL_HEADER

#include "kiln/Bench.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char **argv) {
  kiln::BenchOptions options;
  options.steps = 5;
  options.warmup = 0;
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch"))
      options.batch = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--steps"))
      options.steps = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads"))
      threads = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  KILN_MODEL_CLASS model;
  model.setNumThreads(threads);
  const kiln::ModelInfo &info = model.info();
  kiln::Result<kiln::BenchResult> result = kiln::benchmarkTrainStep(model, options);
  if (!result) {
    std::fprintf(stderr, "error: %s\n", result.error().c_str());
    return 1;
  }
  int64_t paramFloats = 0, stateFloats = 0;
  for (const kiln::ParamInfo &p : info.params)
    paramFloats += p.numElements();
  for (const kiln::StateInfo &s : info.states)
    stateFloats += info.params[static_cast<size_t>(s.param)].numElements();
  std::printf("kiln %s batch %lld: peak RSS %.1f MiB (parameters %.1f MiB, optimizer state "
              "%.1f MiB)\n",
              info.name.c_str(), static_cast<long long>(options.batch), result->peakRssMiB,
              paramFloats * 4 / 1048576.0, stateFloats * 4 / 1048576.0);
  return 0;
}
