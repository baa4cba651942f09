//===- LayerParityTest.cpp - Layers, activations and losses against PyTorch ===//
//
// Each case of layer_reference.inc is a model file with its PyTorch mirror's
// loss and gradient fingerprints, computed in float64 from formula-defined
// weights and inputs (see layer_reference.py for the formulas). Here the model
// file is compiled through the real pipeline, run by JIT in float64 with the
// same values, and its loss and every parameter's gradient must match to
// 1e-6 relative. Both sides compute in double precision, but the constants of
// Kiln's scalar bodies are float32 (alpha = 0.2 is 0.2 + 3e-9, gelu's
// 1/sqrt(2) is off by 1e-8 relative), which moves results by up to ~1e-7;
// a wrong rule is off by O(1).
//
//===----------------------------------------------------------------------===//
#include "support/JitModel.h"

#include <cmath>
#include <cstdint>

using namespace kiln;
using namespace kiln::jit;

namespace {

struct ParamReference {
  const char *name;
  double squares;  // sum of g^2
  double checksum; // sum of g * (u(k, 7) - 0.5)
};

struct LayerReference {
  const char *name;
  const char *source;
  double loss;
  /// Gradient fingerprints; for a parameter that takes no gradient (a
  /// running statistic), fingerprints of its value after the step.
  std::vector<ParamReference> params;
  /// {sum of p^2, checksum} of the prediction after the step, or empty.
  std::vector<double> prediction;
};

/// Names a case in test listings (instead of its bytes).
void PrintTo(const LayerReference &ref, std::ostream *os) { *os << ref.name; }

const LayerReference kReferences[] = {
#include "layer_reference.inc"
};

constexpr int kBatch = 5;
constexpr double kTolerance = 1e-6;

double u(uint64_t k, uint64_t s) {
  return static_cast<double>((k * 2654435761ull + s * 40503ull + 12345ull) % (1ull << 32)) /
         4294967296.0;
}

uint64_t seedOf(const std::string &name) {
  uint64_t sum = 0;
  for (size_t i = 0; i < name.size(); ++i)
    sum += (i + 1) * static_cast<unsigned char>(name[i]);
  return sum % 1000;
}

/// Fills a float64 buffer laid out row-major: element k gets fn(k).
template <typename Fn> void fill(Halide::Buffer<> &buffer, Fn fn) {
  Halide::Buffer<double> b = buffer;
  for (size_t k = 0; k < b.number_of_elements(); ++k)
    b.data()[k] = fn(k);
}

/// {sum of g^2, sum of g * (u(k, 7) - 0.5)} over a float64 buffer.
std::pair<double, double> fingerprint(Halide::Buffer<double> g) {
  double squares = 0, checksum = 0;
  for (size_t k = 0; k < g.number_of_elements(); ++k) {
    squares += g.data()[k] * g.data()[k];
    checksum += g.data()[k] * (u(k, 7) - 0.5);
  }
  return {squares, checksum};
}

void expectNear(double actual, double expected, const std::string &what) {
  double scale = std::max({std::abs(expected), std::abs(actual), 1e-6});
  EXPECT_LT(std::abs(actual - expected) / scale, kTolerance)
      << what << ": Kiln " << actual << ", PyTorch " << expected;
}

class LayerParity : public ::testing::TestWithParam<LayerReference> {};

TEST_P(LayerParity, LossAndGradientsMatchPyTorch) {
  const LayerReference &ref = GetParam();
  JitModel model(ref.source);
  ASSERT_TRUE(model.ok);
  const LoweredModel &lowered = model.lowered;

  std::vector<Halide::Buffer<>> params, inputs, grads;
  for (const ParamDesc &p : lowered.params) {
    params.push_back(makeBuffer({Slot::Kind::Param, p.name, p.shape, false, 0}, kBatch));
    uint64_t s = seedOf(p.name);
    double offset = llvm::StringRef(p.name).ends_with(".running_var") ? 1.0 : 0.0;
    fill(params.back(), [&](size_t k) { return offset + 0.6 * (u(k, s) - 0.5); });
  }
  int classes = 0;
  for (const FunctionPlan &plan : lowered.functions)
    if (plan.name == "predict")
      classes = static_cast<int>(plan.slots[plan.results[0]].shape.back());
  for (const InputDesc &in : lowered.inputs) {
    inputs.push_back(makeBuffer({Slot::Kind::Input, in.name, in.shape, in.isInt, 0}, kBatch));
    if (in.isInt && !in.isLabel) {
      Halide::Buffer<int32_t> tokens = inputs.back();
      for (size_t k = 0; k < tokens.number_of_elements(); ++k)
        tokens.data()[k] = static_cast<int32_t>((5 * k + 2) % 7);
    } else if (in.isInt) {
      Halide::Buffer<int32_t> labels = inputs.back();
      for (size_t k = 0; k < labels.number_of_elements(); ++k)
        labels.data()[k] = static_cast<int32_t>((7 * k + 3) % classes);
    } else if (in.isLabel) {
      fill(inputs.back(), [](size_t k) { return u(k, 55); });
    } else {
      fill(inputs.back(), [](size_t k) { return 2 * (u(k, 99) - 0.5); });
    }
  }

  double loss = model.trainStep(params, inputs, kBatch, &grads);
  expectNear(loss, ref.loss, "loss");
  ASSERT_EQ(ref.params.size(), lowered.params.size());
  for (const ParamReference &expected : ref.params) {
    SCOPED_TRACE(expected.name);
    auto it = std::find_if(lowered.params.begin(), lowered.params.end(),
                           [&](const ParamDesc &p) { return p.name == expected.name; });
    ASSERT_NE(it, lowered.params.end());
    size_t index = it - lowered.params.begin();
    bool trainable = it->trainable;
    auto [squares, checksum] = fingerprint(trainable ? grads.at(index) : params.at(index));
    expectNear(squares, expected.squares, trainable ? "sum of squared gradients"
                                                    : "sum of squares after the step");
    expectNear(checksum, expected.checksum, trainable ? "gradient checksum"
                                                      : "checksum after the step");
  }
  if (ref.prediction.empty())
    return;
  auto [squares, checksum] = fingerprint(model.predict(params, inputs, kBatch));
  expectNear(squares, ref.prediction[0], "prediction sum of squares");
  expectNear(checksum, ref.prediction[1], "prediction checksum");
}

INSTANTIATE_TEST_SUITE_P(PyTorch, LayerParity, ::testing::ValuesIn(kReferences),
                         [](const ::testing::TestParamInfo<LayerReference> &info) {
                           return std::string(info.param.name);
                         });

} // namespace
