//===- OptimizerParityTest.cpp - Optimizers against PyTorch ---------------===//
//
// Each case is a small MLP (32-24-10) in test/parity/models/<case>.kiln,
// compiled by kilnc (kiln_add_model) with one optimizer, regularizer,
// gradient-clipping mode or frozen layer. From formula-defined weights and
// zero-or-initValue optimizer state, it trains 20 steps on a fixed batch; each
// step's loss, and after the run each parameter's sum of squares and checksum,
// must match PyTorch's (optimizer_reference.py, same formulas and the exact
// update rules Kiln follows) to 1e-4 relative.
//
// Why 1e-4: both run in float32 with different summation orders (PyTorch:
// BLAS and its optimizer loops; Kiln: tiled Halide loops). The script checks
// that every reference value lies within 1e-5 relative of a float64 run of
// the same case (in practice within 1e-6), so rounding alone stays well below
// 1e-4. A wrong update shows far above it: the script checks that each
// regularizer, clipping mode and the frozen layer moves the results by more
// than 1e-2 against the same optimizer without it, and typical slips (no bias
// correction in Adam, eps inside RMSprop's square root, Adagrad's accumulator
// starting at 0.1, dampened momentum, AdamW's decay not scaled by lr) change
// them by 5e-2 or more. Some slips show mostly in the weights (Adam's eps
// added before the second-moment bias correction: 3e-3 in the fingerprints,
// 3e-5 in the losses), and the last step's update shows only there: hence the
// per-parameter sum of squares and checksum after the run. Checksums get an
// absolute floor of 1e-6 as they can be near zero.
//
//===----------------------------------------------------------------------===//
#include "parity_adadelta.h"
#include "parity_adagrad.h"
#include "parity_adam.h"
#include "parity_adam_unfused.h"
#include "parity_adam_clip_global.h"
#include "parity_adam_elastic.h"
#include "parity_adam_elastic_unfused.h"
#include "parity_adamw.h"
#include "parity_momentum.h"
#include "parity_momentum_clip_value.h"
#include "parity_momentum_clip_value_unfused.h"
#include "parity_nesterov.h"
#include "parity_rmsprop.h"
#include "parity_sgd.h"
#include "parity_sgd_clip_norm.h"
#include "parity_sgd_frozen.h"
#include "parity_sgd_l1.h"
#include "parity_sgd_l2_unfused.h"
#include "parity_sgd_l2.h"
#include "parity_sgd_wd.h"

#include "kiln/Init.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

/// The integer hash of optimizer_reference.py, in [0, 1).
double u(uint64_t k, uint64_t s) {
  return static_cast<double>((k * 2654435761ull + s * 40503ull + 12345ull) % 4294967296ull) /
         4294967296.0;
}

/// One case of optimizer_reference.inc.
struct OptimizerReference {
  const char *name;
  std::vector<double> losses;     // before each step
  std::vector<double> sumSquares; // per parameter, after the run
  std::vector<double> checksums;  // per parameter: sum_k w_k * (u(k, 7) - 0.5)
};

const std::vector<OptimizerReference> kReferences =
#include "optimizer_reference.inc"
    ;

const OptimizerReference *findReference(const std::string &name) {
  for (const OptimizerReference &ref : kReferences)
    if (name == ref.name)
      return &ref;
  return nullptr;
}

constexpr double kRelTolerance = 1e-4;
constexpr double kChecksumFloor = 1e-6;

/// Every case has these parameters, in this order and Kiln layout ([in, out]).
const char *const kParamNames[] = {"dense0.weight", "dense0.bias", "dense1.weight",
                                   "dense1.bias"};
const std::vector<int64_t> kParamShapes[] = {{32, 24}, {24}, {24, 10}, {10}};

/// Trains the compiled case `Model` as optimizer_reference.py trains its
/// PyTorch twin and compares losses and final parameters with `caseName`'s
/// reference. With `firstLayerFrozen`, dense0.* must also come out
/// bit-identical to their initial values. Stores the final parameters in
/// `finalParams` when given.
template <typename Model>
void expectMatchesPyTorch(const std::string &caseName, bool firstLayerFrozen = false,
                          std::vector<std::vector<float>> *finalParams = nullptr) {
  const OptimizerReference *ref = findReference(caseName);
  ASSERT_NE(ref, nullptr) << "no reference for case '" << caseName
                          << "'; regenerate optimizer_reference.inc";

  Model model;
  model.setNumThreads(1);
  const kiln::ModelInfo &info = model.info();
  EXPECT_EQ(info.name.rfind("parity_" + caseName, 0), 0u) << info.name;
  ASSERT_EQ(info.inputFeatures, 32);
  ASSERT_EQ(info.numClasses, 10);
  ASSERT_EQ(info.params.size(), 4u);
  for (size_t p = 0; p < info.params.size(); ++p) {
    ASSERT_EQ(info.params[p].name, kParamNames[p]) << "parameter " << p;
    ASSERT_EQ(info.params[p].shape, kParamShapes[p]) << info.params[p].name;
  }
  ASSERT_EQ(ref->sumSquares.size(), info.params.size());
  ASSERT_EQ(ref->checksums.size(), info.params.size());

  // Parameters: element k of parameter p is 0.2 * (u(k, p) - 0.5).
  kiln::ParameterStore params(info);
  for (size_t p = 0; p < params.size(); ++p) {
    std::vector<float> &values = params.values(p);
    ASSERT_EQ(static_cast<int64_t>(values.size()), info.params[p].numElements());
    for (size_t k = 0; k < values.size(); ++k)
      values[k] = static_cast<float>(0.2 * (u(k, p) - 0.5));
  }
  std::vector<std::vector<float>> initial;
  for (size_t p = 0; p < params.size(); ++p)
    initial.push_back(params.values(p));

  // Optimizer state: one buffer per state tensor, shaped like its parameter.
  for (const kiln::StateInfo &state : info.states) {
    ASSERT_GE(state.param, 0) << state.name;
    ASSERT_LT(static_cast<size_t>(state.param), info.params.size()) << state.name;
  }
  kiln::StateStore states(info);

  std::vector<float> hyperparams;
  for (const kiln::HyperparamInfo &h : info.hyperparams)
    hyperparams.push_back(h.defaultValue);

  // The batch: x[n][f] = u(n * 32 + f, 99) - 0.5, y[n] = (7n + 3) % 10.
  const int64_t batch = 16, features = 32;
  std::vector<float> x(batch * features);
  std::vector<int32_t> y(batch);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t f = 0; f < features; ++f)
      x[n * features + f] = static_cast<float>(u(n * features + f, 99) - 0.5);
    y[n] = static_cast<int32_t>((7 * n + 3) % 10);
  }

  kiln::StepArgs args;
  args.params = params.pointers();
  args.states = states.pointers();
  args.x = x.data();
  args.labels = y.data();
  args.batch = batch;
  args.hyperparams = hyperparams.data();
  for (size_t step = 0; step < ref->losses.size(); ++step) {
    args.step = static_cast<int64_t>(step) + 1;
    float loss = model.trainStep(args);
    ASSERT_TRUE(std::isfinite(loss)) << "step " << args.step << ": loss " << loss;
    EXPECT_NEAR(loss, ref->losses[step], kRelTolerance * std::abs(ref->losses[step]))
        << "step " << args.step;
  }

  for (size_t p = 0; p < params.size(); ++p) {
    const std::vector<float> &values = params.values(p);
    double squares = 0, checksum = 0;
    for (size_t k = 0; k < values.size(); ++k) {
      squares += static_cast<double>(values[k]) * values[k];
      checksum += static_cast<double>(values[k]) * (u(k, 7) - 0.5);
    }
    EXPECT_NEAR(squares, ref->sumSquares[p], kRelTolerance * std::abs(ref->sumSquares[p]))
        << kParamNames[p] << ": sum of squares";
    EXPECT_NEAR(checksum, ref->checksums[p],
                std::max(kRelTolerance * std::abs(ref->checksums[p]), kChecksumFloor))
        << kParamNames[p] << ": checksum";
  }

  if (firstLayerFrozen) {
    for (size_t p = 0; p < 2; ++p)
      EXPECT_EQ(std::memcmp(params.values(p).data(), initial[p].data(),
                            initial[p].size() * sizeof(float)),
                0)
          << kParamNames[p] << " is frozen but changed";
  }
  if (finalParams)
    for (size_t p = 0; p < params.size(); ++p)
      finalParams->push_back(params.values(p));
}

/// The case compiled with and without update fusion (kilnc
/// --no-fuse-updates) must both match PyTorch and end with the same
/// parameters. They run the same arithmetic per element, but in different
/// kernels with different vector tails (Halide's pow and division differ by
/// an ulp between them), and Adam's m / sqrt(v) magnifies such differences on
/// elements whose gradient is near zero: they agree to 1e-4 relative (the
/// PyTorch tolerance), while a missing or doubled term shows as 1e-2.
template <typename Fused, typename Unfused> void expectFusionInvariant(const std::string &name) {
  std::vector<std::vector<float>> fused, unfused;
  expectMatchesPyTorch<Fused>(name, false, &fused);
  expectMatchesPyTorch<Unfused>(name, false, &unfused);
  ASSERT_EQ(fused.size(), unfused.size());
  for (size_t p = 0; p < fused.size(); ++p) {
    ASSERT_EQ(fused[p].size(), unfused[p].size());
    double worst = 0;
    for (size_t k = 0; k < fused[p].size(); ++k)
      worst = std::max(worst, std::abs(double(fused[p][k]) - unfused[p][k]) /
                                  std::max(1e-3, std::abs(double(fused[p][k]))));
    EXPECT_LT(worst, kRelTolerance) << kParamNames[p] << ": fused and unfused updates differ";
  }
}

TEST(OptimizerParity, Sgd) { expectMatchesPyTorch<ParitySgd>("sgd"); }
TEST(OptimizerParity, Momentum) { expectMatchesPyTorch<ParityMomentum>("momentum"); }
TEST(OptimizerParity, Nesterov) { expectMatchesPyTorch<ParityNesterov>("nesterov"); }
TEST(OptimizerParity, Adagrad) { expectMatchesPyTorch<ParityAdagrad>("adagrad"); }
TEST(OptimizerParity, Adadelta) { expectMatchesPyTorch<ParityAdadelta>("adadelta"); }
TEST(OptimizerParity, Rmsprop) { expectMatchesPyTorch<ParityRmsprop>("rmsprop"); }
TEST(OptimizerParity, Adam) { expectMatchesPyTorch<ParityAdam>("adam"); }
TEST(OptimizerParity, AdamW) { expectMatchesPyTorch<ParityAdamw>("adamw"); }
TEST(OptimizerParity, SgdL2) { expectMatchesPyTorch<ParitySgdL2>("sgd_l2"); }
TEST(OptimizerParity, SgdL1) { expectMatchesPyTorch<ParitySgdL1>("sgd_l1"); }
TEST(OptimizerParity, AdamElasticNet) {
  expectMatchesPyTorch<ParityAdamElastic>("adam_elastic");
}
TEST(OptimizerParity, SgdWeightDecay) { expectMatchesPyTorch<ParitySgdWd>("sgd_wd"); }
TEST(OptimizerParity, AdamClipGlobalNorm) {
  expectMatchesPyTorch<ParityAdamClipGlobal>("adam_clip_global");
}
TEST(OptimizerParity, MomentumClipValue) {
  expectMatchesPyTorch<ParityMomentumClipValue>("momentum_clip_value");
}
TEST(OptimizerParity, SgdClipNorm) { expectMatchesPyTorch<ParitySgdClipNorm>("sgd_clip_norm"); }
TEST(UpdateFusion, SgdL2SameWithoutFusion) {
  expectFusionInvariant<ParitySgdL2, ParitySgdL2Unfused>("sgd_l2");
}
TEST(UpdateFusion, AdamSameWithoutFusion) {
  expectFusionInvariant<ParityAdam, ParityAdamUnfused>("adam");
}
TEST(UpdateFusion, AdamElasticNetSameWithoutFusion) {
  expectFusionInvariant<ParityAdamElastic, ParityAdamElasticUnfused>("adam_elastic");
}
TEST(UpdateFusion, MomentumClipValueSameWithoutFusion) {
  expectFusionInvariant<ParityMomentumClipValue, ParityMomentumClipValueUnfused>(
      "momentum_clip_value");
}
TEST(OptimizerParity, SgdFrozenFirstLayer) {
  expectMatchesPyTorch<ParitySgdFrozen>("sgd_frozen", /*firstLayerFrozen=*/true);
}

} // namespace
