//===- BenchStep.h - What the training benchmarks share ---------*- C++ -*-===//
//
// Flags (--batch, --steps, --threads) and one fixed random batch with every
// buffer a train step needs: parameters, optimizer state, hyperparameters.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_BENCH_BENCHSTEP_H
#define KILN_BENCH_BENCHSTEP_H

#include "kiln/CompiledModel.h"
#include "kiln/Init.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

struct BenchFlags {
  int64_t batch = 128;
  int steps = 200;
  int threads = 1;

  /// Reads `--batch N --steps N --threads N`; false (after a message) on others.
  bool parse(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
      if (!std::strcmp(argv[i], "--batch"))
        batch = std::atoll(argv[i + 1]);
      else if (!std::strcmp(argv[i], "--steps"))
        steps = std::atoi(argv[i + 1]);
      else if (!std::strcmp(argv[i], "--threads"))
        threads = std::atoi(argv[i + 1]);
      else {
        std::fprintf(stderr, "unknown flag %s\n", argv[i]);
        return false;
      }
    }
    return true;
  }
};

/// Seeded parameters, zero state, pixels in [0, 1) and random labels, and the
/// StepArgs that point at them. `lr` replaces the model's default, if given.
class BenchStep {
public:
  BenchStep(const kiln::ModelInfo &info, int64_t batch, float lr = 0)
      : params(info), states(info), x(static_cast<size_t>(batch * info.inputFeatures)),
        y(static_cast<size_t>(batch)) {
    ok = static_cast<bool>(params.initialize(1));
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> pixel(0.f, 1.f);
    for (float &v : x)
      v = pixel(rng);
    for (int32_t &v : y)
      v = static_cast<int32_t>(rng() % info.numClasses);
    for (const kiln::HyperparamInfo &h : info.hyperparams)
      hyper.push_back(h.name == "lr" && lr > 0 ? lr : h.defaultValue);
    args.params = params.pointers();
    args.states = states.pointers();
    args.x = x.data();
    args.labels = y.data();
    args.batch = batch;
    args.hyperparams = hyper.data();
  }

  bool ok = false;
  kiln::ParameterStore params;
  kiln::StateStore states;
  std::vector<float> x;
  std::vector<int32_t> y;
  std::vector<float> hyper;
  kiln::StepArgs args;
};

#endif // KILN_BENCH_BENCHSTEP_H
