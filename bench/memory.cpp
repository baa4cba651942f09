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

#include "kiln/Init.h"

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

int main(int argc, char **argv) {
  int64_t batch = 128;
  int steps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch"))
      batch = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--steps"))
      steps = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  KILN_MODEL_CLASS model;
  model.setNumThreads(1);
  const kiln::ModelInfo &info = model.info();
  kiln::ParameterStore params(info);
  if (!params.initialize(1))
    return 1;
  kiln::StateStore states(info);
  std::vector<float> hyper;
  for (const kiln::HyperparamInfo &h : info.hyperparams)
    hyper.push_back(h.defaultValue);

  std::mt19937 rng(1);
  std::uniform_real_distribution<float> pixel(0.f, 1.f);
  std::vector<float> x(static_cast<size_t>(batch * info.inputFeatures));
  std::vector<int32_t> y(static_cast<size_t>(batch));
  for (float &v : x)
    v = pixel(rng);
  for (int32_t &v : y)
    v = static_cast<int32_t>(rng() % info.numClasses);

  kiln::StepArgs args;
  args.params = params.pointers();
  args.states = states.pointers();
  args.x = x.data();
  args.labels = y.data();
  args.batch = batch;
  args.hyperparams = hyper.data();
  float loss = 0;
  for (args.step = 1; args.step <= steps; ++args.step)
    loss = model.trainStep(args);

  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  int64_t stateFloats = 0;
  for (size_t i = 0; i < states.size(); ++i)
    stateFloats += static_cast<int64_t>(states.values(i).size());
  std::printf("kiln %s batch %lld: peak RSS %.1f MiB (parameters %.1f MiB, optimizer state "
              "%.1f MiB), last loss %.4f\n",
              info.name.c_str(), static_cast<long long>(batch), usage.ru_maxrss / 1024.0,
              params.numElements() * 4 / 1048576.0, stateFloats * 4 / 1048576.0, loss);
  return 0;
}
