// Checks the gradients of a model compiled ahead of time (for a GPU target:
// the JIT gradient checks of test/gradcheck cannot run OpenCL kernels) against
// central finite differences, in float32, through the generated train step.
// The model is `model m` with plain SGD and no regularizer; the step at
// learning rate 1 gives each parameter's gradient as P - P', and a step at
// learning rate 0 the loss at P without changing it. For each trainable
// parameter P and a seeded random direction D (elements N(0, 1)):
//
//   numeric  = (L(P + eps D) - L(P - eps D)) / (2 eps)
//   analytic = <dL/dP, P+ - P-> / (2 eps)
//
// with P+ and P- the float32 values actually stepped to, compared relative
// to the larger of the two (and at least 0.05). eps = 3e-3: the float32 loss
// (a few 1e-7 of rounding after the batch's sums) puts ~1e-4 of noise into
// the numeric derivative, the truncation error is O(eps^2) ~ 1e-5 of it, and
// steps of 3e-3 rarely cross a kink of relu or max pooling (at eps = 1e-2
// they did: 6e-3 of error). The measured errors stay below 1e-3; the
// tolerance (the second argument, 1e-2 in the tests) leaves room for them
// while a wrong gradient rule is off by O(1). The step number is fixed
// (dropout draws the same mask every run); batch normalization's running
// statistics are restored after every step.
//
// Usage: gradcheck_app BATCH TOLERANCE; prints each parameter's result and
// exits 1 when one is beyond the tolerance.
#include "m.h"

#include "kiln/Init.h"
#include "kiln/KernelErrors.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s BATCH TOLERANCE\n", argv[0]);
    return 2;
  }
  const int64_t batch = std::atoll(argv[1]);
  const double tolerance = std::atof(argv[2]);
  const double eps = 3e-3;
  // Derivatives below this are compared absolutely: a float32 loss's
  // rounding leaves ~1e-4 of noise in any of them (a bias before batch
  // normalization, whose true derivative is 0, measures up to 8e-5).
  const double kSmallestScale = 0.05;
  M model;
  const kiln::ModelInfo &info = model.info();
  if (info.optimizer != "sgd" || !info.states.empty()) {
    std::fprintf(stderr, "the model must train with plain sgd\n");
    return 2;
  }

  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal;
  kiln::ParameterStore params(info);
  if (!params.initialize(1))
    return 2;
  for (size_t p = 0; p < params.size(); ++p)
    if (info.params[p].trainable)
      for (float &v : params.values(p))
        v = static_cast<float>(0.5 * normal(rng));

  std::vector<float> x(static_cast<size_t>(batch * info.inputFeatures)), targets;
  std::vector<int32_t> labels;
  for (float &v : x)
    v = info.tokenInput ? static_cast<float>(rng() % static_cast<uint64_t>(info.tokenLimit))
                        : static_cast<float>(normal(rng));
  if (info.targetFeatures > 0) {
    std::uniform_real_distribution<double> unit(0.05, 0.95); // valid for every loss
    targets.resize(static_cast<size_t>(batch * info.targetFeatures));
    for (float &v : targets)
      v = static_cast<float>(unit(rng));
  } else {
    labels.resize(static_cast<size_t>(batch * info.labelsPerSample));
    for (int32_t &v : labels)
      v = static_cast<int32_t>(rng() % static_cast<uint64_t>(info.numClasses));
  }

  std::vector<float> hyper;
  size_t lr = 0;
  for (size_t h = 0; h < info.hyperparams.size(); ++h) {
    hyper.push_back(info.hyperparams[h].defaultValue);
    if (info.hyperparams[h].name == "lr")
      lr = h;
  }
  kiln::StepArgs args;
  args.params = params.pointers();
  args.x = x.data();
  args.labels = labels.empty() ? nullptr : labels.data();
  args.targets = targets.empty() ? nullptr : targets.data();
  args.batch = batch;
  args.hyperparams = hyper.data();
  args.step = 1;

  std::vector<std::vector<float>> start;
  for (size_t p = 0; p < params.size(); ++p)
    start.push_back(params.values(p));
  // One step at learning rate `rate`; the parameters it leaves, in host memory.
  auto step = [&](float rate) {
    hyper[lr] = rate;
    double loss = model.trainStep(args);
    if (!model.returnToHost() || !std::isfinite(loss)) {
      std::fprintf(stderr, "the train step failed: %s\n", kiln::takeKernelError().c_str());
      std::exit(1);
    }
    return loss;
  };
  auto restore = [&] {
    for (size_t p = 0; p < params.size(); ++p)
      params.values(p) = start[p];
  };

  step(1.0f);
  std::vector<std::vector<double>> grads(params.size());
  for (size_t p = 0; p < params.size(); ++p)
    for (size_t i = 0; i < start[p].size(); ++i)
      grads[p].push_back(double(start[p][i]) - double(params.values(p)[i]));
  restore();

  int failures = 0, checked = 0;
  double worst = 0;
  for (size_t p = 0; p < params.size(); ++p) {
    if (!info.params[p].trainable)
      continue;
    std::vector<float> plus(start[p]), minus(start[p]);
    for (size_t i = 0; i < plus.size(); ++i) {
      double d = normal(rng);
      plus[i] = static_cast<float>(start[p][i] + eps * d);
      minus[i] = static_cast<float>(start[p][i] - eps * d);
    }
    params.values(p) = plus;
    double lossPlus = step(0.0f);
    restore();
    params.values(p) = minus;
    double lossMinus = step(0.0f);
    restore();
    double numeric = (lossPlus - lossMinus) / (2 * eps), analytic = 0;
    for (size_t i = 0; i < plus.size(); ++i)
      analytic += grads[p][i] * (double(plus[i]) - double(minus[i]));
    analytic /= 2 * eps;
    double scale = std::max({std::abs(numeric), std::abs(analytic), kSmallestScale});
    double error = std::abs(numeric - analytic) / scale;
    worst = std::max(worst, error);
    ++checked;
    bool ok = error <= tolerance;
    failures += !ok;
    std::printf("%s: numeric %.6g analytic %.6g relative error %.2g%s\n",
                info.params[p].name.c_str(), numeric, analytic, error, ok ? "" : "  FAILED");
  }
  std::printf("%s: %d parameters, largest relative error %.2g\n",
              failures ? "gradients disagree" : "gradients agree", checked, worst);
  return failures ? 1 : 0;
}
