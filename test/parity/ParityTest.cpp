//===- ParityTest.cpp - Kiln against PyTorch from the same weights --------===//
//
// The example MLP, compiled by kilnc (kiln_add_model), trains 20 SGD steps
// from formula-defined weights on a fixed batch; each step's loss must match
// PyTorch's (mlp_sgd_reference.py, same formulas) to 1e-4 relative. Both run
// in float32 with different summation orders (PyTorch: BLAS; Kiln: tiled
// Halide loops), whose rounding differences grow over steps to ~1e-6
// relative; 1e-4 keeps a margin while any wrong gradient or update shows at
// the first steps as an O(1e-2) difference.
//
//===----------------------------------------------------------------------===//
#include "mnist_mlp.h"

#include "kiln/Init.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

/// The integer hash of mlp_sgd_reference.py, in [0, 1).
double u(uint64_t k, uint64_t s) {
  return static_cast<double>((k * 2654435761ull + s * 40503ull + 12345ull) % 4294967296ull) /
         4294967296.0;
}

const std::vector<double> kReferenceLosses =
#include "mlp_sgd_reference.inc"
    ;

TEST(Parity, MlpSgdMatchesPyTorch) {
  MnistMlp model;
  model.setNumThreads(1);
  const kiln::ModelInfo &info = model.info();
  kiln::ParameterStore params(info);
  ASSERT_TRUE(params.initialize(1));
  ASSERT_EQ(params.size(), 6u);
  for (size_t p = 0; p < params.size(); ++p) {
    std::vector<float> &values = params.values(p);
    for (int64_t k = 0; k < info.params[p].numElements(); ++k)
      values[k] = static_cast<float>(0.2 * (u(k, p) - 0.5));
  }

  const int batch = 32;
  std::vector<float> x(batch * 784);
  std::vector<int32_t> y(batch);
  for (int n = 0; n < batch; ++n) {
    for (int f = 0; f < 784; ++f)
      x[n * 784 + f] = static_cast<float>(u(n * 784 + f, 99) - 0.5);
    y[n] = (7 * n + 3) % 10;
  }
  const float lr = 0.1f;
  for (size_t step = 0; step < kReferenceLosses.size(); ++step) {
    kiln::StepArgs args;
    args.params = params.pointers();
    args.x = x.data();
    args.labels = y.data();
    args.batch = batch;
    args.hyperparams = &lr;
    args.step = static_cast<int64_t>(step) + 1;
    float loss = model.trainStep(args);
    EXPECT_NEAR(loss, kReferenceLosses[step], 1e-4 * kReferenceLosses[step]) << "step " << step;
  }
  // The run must move the loss far more than the tolerance, or the
  // comparison would not test the updates.
  EXPECT_GT(kReferenceLosses.front() - kReferenceLosses.back(), 0.05);
}

} // namespace
