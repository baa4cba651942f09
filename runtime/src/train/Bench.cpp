//===- Bench.cpp - Timing a compiled model's training step ----------------===//
#include "kiln/Bench.h"

#include "kiln/Distributed.h"
#include "kiln/Init.h"
#include "kiln/KernelErrors.h"
#include "kiln/Tensor.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <sys/resource.h>

namespace kiln {
namespace {

/// The value at fraction `p` of sorted `values` (nearest rank).
double quantile(const std::vector<double> &sorted, double p) {
  return sorted[static_cast<size_t>(std::lround(p * static_cast<double>(sorted.size() - 1)))];
}

/// Milliseconds per step that summing every bucket of gradients takes when
/// nothing overlaps it: each bucket started and waited for in turn, over
/// `steps` rounds (of scratch buffers of the buckets' sizes).
double timeBucketSums(ProcessGroup &group, const ModelInfo &info, int64_t steps) {
  std::vector<std::vector<float>> buckets;
  for (int64_t floats : info.gradientBuckets)
    buckets.emplace_back(static_cast<size_t>(floats), 1.0f);
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < steps; ++i)
    for (size_t b = 0; b < buckets.size(); ++b) {
      group.start(static_cast<int64_t>(b), buckets[b].data(),
                  static_cast<int64_t>(buckets[b].size()));
      group.finish(static_cast<int64_t>(b));
    }
  auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::milli>(end - start).count() / double(steps);
}

} // namespace

Result<BenchResult> benchmarkTrainStep(CompiledModel &model, const BenchOptions &options) {
  const ModelInfo &info = model.info();
  if (options.batch < 1 || options.steps < 1 || options.warmup < 0)
    return Error("bench: batch and steps must be at least 1, warmup at least 0");
  if (Status status = checkBatchSize(info, options.batch); !status)
    return Error(fmt::format("bench: {}", status.error()));
  ParameterStore params(info);
  if (Status status = params.initialize(options.seed); !status)
    return Error(status.error());
  StateStore states(info);
  // A GPU build keeps device copies of these arrays between steps: they go
  // with the arrays (see CompiledModel::returnToHost).
  struct ReturnToHost {
    CompiledModel &model;
    ~ReturnToHost() { (void)model.returnToHost(); }
  } returnAtEnd{model};

  // One batch: pixels in [0, 1), token ids and class labels in range, float
  // targets from a standard normal.
  std::mt19937_64 rng(options.seed);
  size_t n = static_cast<size_t>(options.batch);
  std::vector<float> x(n * static_cast<size_t>(info.inputFeatures));
  if (info.tokenInput) {
    int64_t vocab = std::max<int64_t>(info.numClasses, 2);
    for (float &v : x)
      v = static_cast<float>(rng() % static_cast<uint64_t>(vocab));
  } else {
    std::uniform_real_distribution<float> pixel(0.f, 1.f);
    for (float &v : x)
      v = pixel(rng);
  }
  std::vector<int32_t> labels;
  std::vector<float> targets;
  if (info.task == "classification") {
    labels.resize(n * static_cast<size_t>(info.labelsPerSample));
    for (int32_t &v : labels)
      v = static_cast<int32_t>(rng() % static_cast<uint64_t>(std::max<int64_t>(info.numClasses, 1)));
  } else {
    targets.resize(n * static_cast<size_t>(info.targetFeatures));
    std::normal_distribution<float> normal;
    for (float &v : targets)
      v = info.task == "binary" ? static_cast<float>(rng() % 2) : normal(rng);
  }
  std::vector<float> hyper = options.hyperparams;
  if (hyper.empty())
    for (const HyperparamInfo &h : info.hyperparams)
      hyper.push_back(h.defaultValue);
  if (hyper.size() != info.hyperparams.size())
    return Error(fmt::format("bench: {} hyperparameter values for a model with {}",
                             hyper.size(), info.hyperparams.size()));

  StepArgs args;
  args.params = params.pointers();
  args.states = states.pointers();
  args.x = x.data();
  args.labels = labels.empty() ? nullptr : labels.data();
  args.targets = targets.empty() ? nullptr : targets.data();
  args.batch = options.batch;
  args.hyperparams = hyper.data();
  std::vector<float> health(info.health.size());
  args.health = health.empty() ? nullptr : health.data();
  if (options.group) {
    BatchPart part = batchPart(options.batch, options.group->rank(), options.group->size());
    args.batch = std::max<int64_t>(part.count(), 1);
    args.batchShare = static_cast<float>(double(part.count()) / double(options.batch));
    args.batchOffset = static_cast<float>(part.begin);
    args.exchange = options.group;
  }

  auto step = [&]() -> Status {
    float loss = model.trainStep(args);
    ++args.step;
    if (!std::isfinite(loss)) {
      if (std::string failure = takeKernelError(); !failure.empty())
        return Error(fmt::format("bench: the kernels failed at step {}: {}", args.step - 1,
                                 failure));
      return Error(fmt::format("bench: the loss of step {} is {} (lower the learning rate "
                               "with --lr)",
                               args.step - 1, loss));
    }
    return Status();
  };
  for (int64_t i = 0; i < options.warmup; ++i)
    if (Status status = step(); !status)
      return Error(status.error());
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(options.steps));
  if (options.group)
    options.group->resetWaitTime();
  for (int64_t i = 0; i < options.steps; ++i) {
    auto start = std::chrono::steady_clock::now();
    Status status = step();
    auto end = std::chrono::steady_clock::now();
    if (!status)
      return Error(status.error());
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(ms.begin(), ms.end());
  BenchResult result;
  if (options.group) {
    // The mean over the ranks: the one that finishes backward last waits
    // least, the others wait for it too.
    double waited = options.group->waitSeconds();
    options.group->sum(&waited, 1);
    result.exchangeWaitMs =
        1000 * waited / double(options.group->size()) / double(options.steps);
    result.exchangeMs = timeBucketSums(*options.group, info, options.steps);
  }
  result.steps = options.steps;
  result.medianMs = quantile(ms, 0.5);
  result.p10Ms = quantile(ms, 0.1);
  result.p90Ms = quantile(ms, 0.9);
  struct rusage usage {};
  if (getrusage(RUSAGE_SELF, &usage) == 0)
    result.peakRssMiB = static_cast<double>(usage.ru_maxrss) / 1024.0; // KiB on Linux
  return result;
}

} // namespace kiln
