//===- memory.cpp - Peak resident memory of training steps ----------------===//
//
// Trains the model this binary was built with (KILN_MODEL_HEADER, class
// KILN_MODEL_CLASS) for a few steps on random data and prints the peak
// resident set size of the process, as reported by getrusage. Built once
// with update fusion and once without (kilnc --no-fuse-updates); run by
// bench/memory.sh.
//
//===----------------------------------------------------------------------===//
#include KILN_MODEL_HEADER

#include "BenchStep.h"

#include <sys/resource.h>

#include <cstdio>

int main(int argc, char **argv) {
  BenchFlags flags;
  flags.steps = 5;
  if (!flags.parse(argc, argv))
    return 2;
  KILN_MODEL_CLASS model;
  model.setNumThreads(flags.threads);
  const kiln::ModelInfo &info = model.info();
  BenchStep bench(info, flags.batch);
  if (!bench.ok)
    return 1;
  float loss = 0;
  for (bench.args.step = 1; bench.args.step <= flags.steps; ++bench.args.step)
    loss = model.trainStep(bench.args);

  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  int64_t stateFloats = 0;
  for (size_t i = 0; i < bench.states.size(); ++i)
    stateFloats += static_cast<int64_t>(bench.states.values(i).size());
  std::printf("kiln %s batch %lld: peak RSS %.1f MiB (parameters %.1f MiB, optimizer state "
              "%.1f MiB), last loss %.4f\n",
              info.name.c_str(), static_cast<long long>(flags.batch), usage.ru_maxrss / 1024.0,
              bench.params.numElements() * 4 / 1048576.0, stateFloats * 4 / 1048576.0, loss);
  return 0;
}
