//===- NumericsTest.cpp - Losses, activations and batch norm at extremes --===//
//
// Each case is a small model file run at inputs where a naive formula
// overflows, underflows or cancels: logits of magnitude 1e4, 1e30 and near
// float32's largest value (3.4e38), probabilities of exactly 0 and 1,
// saturated activations, batches whose samples are all the same (zero
// variance for batch norm). Every loss, gradient, updated parameter, running
// statistic and prediction must be finite and equal a reference computed
// here in double precision by the stable closed form.
//
// Most models read their input through `add(x, dense(x, C))` with the dense
// layer at zero: the loss or activation sees the input as given, and the
// dense layer's gradients expose dL/dz (the bias's is its sum over the batch,
// the weight's x^T dL/dz).
//
// Each case runs twice through the real pipeline and Halide code:
//  - in float64 by JitModel, which returns every parameter's gradient;
//  - in float32, as a generated trainer runs, with the SGD update fused and
//    applied in place: each parameter must become p - lr * gradient.
// Inputs are float32 values (rounded when a case is built) so that both runs
// and the reference see the same numbers; constants that the compiler stores
// as float32 (batch norm's eps and momentum, gelu's 1/sqrt(2)) enter the
// references rounded the same way. Predictions are taken before the step.
//
// Tolerances: 1e-12 in float64 and 1e-5 in float32, relative to the largest
// reference element of a tensor (gradients and the loss: their errors come
// from sums over the tensor's terms), to each element with a floor of 1
// (predictions, computed element by element), or to a stated scale where a
// reference is zero by cancellation or saturation (batch norm without
// variance, saturated activations). The generated code and the references
// evaluate the same closed forms and differ only by summation order and
// libm's last bits: a few ulp (1.1e-16 in float64, 6e-8 in float32) over sums
// of a few dozen terms at most. An unstable formula is off by O(1) relative,
// or is not finite.
//
//===----------------------------------------------------------------------===//
#include "support/JitModel.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

using namespace kiln;
using namespace kiln::jit;

namespace {

using Values = std::vector<double>;

constexpr double kTolerance64 = 1e-12;
constexpr double kTolerance32 = 1e-5;

/// `v` rounded to float32, as both runs read it.
double f32(double v) { return static_cast<double>(static_cast<float>(v)); }

Values f32(std::initializer_list<double> list) {
  Values values;
  for (double v : list)
    values.push_back(f32(v));
  return values;
}

/// A buffer of `type` for a tensor of row-major `shape` (-1: the batch).
Buffer tensorBuffer(const std::vector<int64_t> &shape, Halide::Type type, int batch) {
  return Buffer(type, halideExtents(shape, batch));
}

/// The elements of a dense buffer in the tensor's row-major order (Halide's
/// innermost dimension is the tensor's last).
Values valuesOf(const Buffer &buffer) {
  Values values(buffer.number_of_elements());
  if (buffer.type() == Halide::Float(64)) {
    Halide::Buffer<double> b = buffer;
    std::copy(b.data(), b.data() + values.size(), values.begin());
  } else {
    Halide::Buffer<float> b = buffer;
    std::copy(b.data(), b.data() + values.size(), values.begin());
  }
  return values;
}

void fill(Buffer &buffer, const Values &values) {
  ASSERT_EQ(static_cast<size_t>(buffer.number_of_elements()), values.size());
  if (buffer.type() == Halide::Int(32)) {
    Halide::Buffer<int32_t> b = buffer;
    for (size_t i = 0; i < values.size(); ++i)
      b.data()[i] = static_cast<int32_t>(values[i]);
  } else if (buffer.type() == Halide::Float(64)) {
    Halide::Buffer<double> b = buffer;
    std::copy(values.begin(), values.end(), b.data());
  } else {
    Halide::Buffer<float> b = buffer;
    for (size_t i = 0; i < values.size(); ++i)
      b.data()[i] = static_cast<float>(values[i]);
  }
}

/// Expects every element of `actual` finite and within tolerance * scale of
/// `reference`, where scale is `floor` when given (>= 0) and at least each
/// element's magnitude, or else the largest magnitude of `reference`.
/// Reports the first element that is not.
void expectNear(const std::string &what, const Values &actual, const Values &reference,
                double tolerance, double floor = -1) {
  ASSERT_EQ(actual.size(), reference.size()) << what;
  double largest = 0;
  for (double r : reference) {
    ASSERT_TRUE(std::isfinite(r)) << "reference of " << what << " is not finite";
    largest = std::max(largest, std::abs(r));
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    double scale = floor >= 0 ? std::max(floor, std::abs(reference[i])) : largest;
    if (std::isfinite(actual[i]) && std::abs(actual[i] - reference[i]) <= tolerance * scale)
      continue;
    ADD_FAILURE() << what << "[" << i << "] is " << actual[i] << ", expected " << reference[i]
                  << " within " << tolerance * scale;
    return;
  }
}

/// A model file and the batch it is run on.
struct Case {
  std::string source;
  int batch = 1;
  std::map<std::string, Values> inputs; // by input name, row-major
  /// Initial values by parameter name; the others start from their init
  /// when it is `ones`, else at zero.
  std::map<std::string, Values> params;
};

/// What one training step of a Case must give.
struct Expected {
  double loss = 0;
  std::map<std::string, Values> grads; // every trainable parameter's gradient
  std::map<std::string, Values> stats; // every other parameter after the step
  /// Scale of the terms that cancel in a gradient, by parameter; without
  /// one, the gradient's largest element.
  std::map<std::string, double> gradFloors;
  Values prediction; // @predict before the step; empty: not checked
};

std::vector<Buffer> makeParams(const LoweredModel &model, const Case &c, Halide::Type type) {
  std::vector<Buffer> params;
  for (const ParamDesc &p : model.params) {
    params.push_back(tensorBuffer(p.shape, type, c.batch));
    Values values(params.back().number_of_elements(), p.init == "ones" ? 1.0 : 0.0);
    if (auto it = c.params.find(p.name); it != c.params.end())
      values = it->second;
    fill(params.back(), values);
  }
  return params;
}

std::vector<Buffer> makeInputs(const LoweredModel &model, const Case &c, Halide::Type type) {
  std::vector<Buffer> inputs;
  for (const InputDesc &in : model.inputs) {
    inputs.push_back(tensorBuffer(in.shape, in.isInt ? Halide::Int(32) : type, c.batch));
    auto it = c.inputs.find(in.name);
    EXPECT_NE(it, c.inputs.end()) << "no values for input " << in.name;
    if (it != c.inputs.end())
      fill(inputs.back(), it->second);
  }
  return inputs;
}

double gradFloor(const Expected &want, const std::string &name) {
  auto it = want.gradFloors.find(name);
  return it == want.gradFloors.end() ? -1 : it->second;
}

/// The step in float64 by JitModel: loss, gradients, running statistics.
void checkFloat64(const Case &c, const Expected &want) {
  SCOPED_TRACE("float64, gradients returned");
  JitModel model(c.source);
  ASSERT_TRUE(model.ok);
  std::vector<Buffer> params = makeParams(model.lowered, c, Halide::Float(64));
  std::vector<Buffer> inputs = makeInputs(model.lowered, c, Halide::Float(64));
  if (!want.prediction.empty())
    expectNear("prediction", valuesOf(model.predict(params, inputs, c.batch)), want.prediction,
               kTolerance64, 1.0);
  std::vector<Buffer> grads;
  double loss = model.trainStep(params, inputs, c.batch, &grads);
  expectNear("loss", {loss}, {want.loss}, kTolerance64);
  for (size_t p = 0; p < params.size(); ++p) {
    const std::string &name = model.lowered.params[p].name;
    if (!model.lowered.params[p].trainable) {
      ASSERT_TRUE(want.stats.count(name)) << "no reference for " << name;
      expectNear(name, valuesOf(params[p]), want.stats.at(name), kTolerance64);
      continue;
    }
    ASSERT_TRUE(want.grads.count(name)) << "no reference gradient for " << name;
    ASSERT_TRUE(grads[p].defined()) << name;
    expectNear(name + " gradient", valuesOf(grads[p]), want.grads.at(name), kTolerance64,
               gradFloor(want, name));
  }
}

/// The step in float32 with the SGD update applied: loss, each parameter
/// p - lr * gradient, running statistics.
void checkFloat32(const Case &c, const Expected &want) {
  SCOPED_TRACE("float32, SGD update applied");
  // As a generated trainer computes: float32, the update applied in place.
  JitModel model(c.source, JitOptions{/*schedule=*/true, /*float64=*/false,
                                      /*applyOptimizer=*/true});
  ASSERT_TRUE(model.ok);
  double lr = -1;
  for (const HyperparamDesc &h : model.lowered.hyperparams)
    if (h.name == "lr")
      lr = f32(h.defaultValue);
  ASSERT_GT(lr, 0);
  std::vector<Buffer> params = makeParams(model.lowered, c, Halide::Float(32));
  std::vector<Buffer> inputs = makeInputs(model.lowered, c, Halide::Float(32));
  if (!want.prediction.empty())
    expectNear("prediction", valuesOf(model.predict(params, inputs, c.batch)), want.prediction,
               kTolerance32, 1.0);
  std::vector<Values> initial;
  for (const Buffer &p : params)
    initial.push_back(valuesOf(p));
  double loss = model.trainStep(params, inputs, c.batch, nullptr);
  expectNear("loss", {loss}, {want.loss}, kTolerance32);
  for (size_t p = 0; p < params.size(); ++p) {
    const std::string &name = model.lowered.params[p].name;
    if (!model.lowered.params[p].trainable) {
      ASSERT_TRUE(want.stats.count(name)) << "no reference for " << name;
      expectNear(name, valuesOf(params[p]), want.stats.at(name), kTolerance32);
      continue;
    }
    ASSERT_TRUE(want.grads.count(name)) << "no reference gradient for " << name;
    Values updated = initial[p];
    const Values &grad = want.grads.at(name);
    ASSERT_EQ(updated.size(), grad.size()) << name;
    double largest = 0;
    for (size_t i = 0; i < updated.size(); ++i) {
      updated[i] -= lr * grad[i];
      largest = std::max({largest, std::abs(lr * grad[i]), std::abs(updated[i])});
    }
    double floor = gradFloor(want, name);
    expectNear(name + " after the update", valuesOf(params[p]), updated, kTolerance32,
               floor >= 0 ? lr * floor : largest);
  }
}

void checkStep(const Case &c, const Expected &want) {
  checkFloat64(c, want);
  checkFloat32(c, want);
}

//===----------------------------------------------------------------------===//
// References
//===----------------------------------------------------------------------===//

/// sigmoid without overflow for any z.
double sigmoid(double z) {
  return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
}

/// log(1 + exp(z)) without overflow for any z.
double softplus(double z) { return std::max(z, 0.0) + std::log1p(std::exp(-std::abs(z))); }

/// The gradients of `dense0` in `add(x, dense(x, C))` at zero, given G =
/// dL/dz for [batch, C] x and G: dL/dW = x^T G ([in, units]), dL/db = the
/// column sums of G.
void addDenseGrads(Expected &want, const Values &x, const Values &g, int columns) {
  size_t batch = x.size() / columns;
  Values w(columns * columns, 0.0), b(columns, 0.0);
  for (size_t n = 0; n < batch; ++n)
    for (int j = 0; j < columns; ++j) {
      b[j] += g[n * columns + j];
      for (int k = 0; k < columns; ++k)
        w[k * columns + j] += x[n * columns + k] * g[n * columns + j];
    }
  want.grads["dense0.weight"] = w;
  want.grads["dense0.bias"] = b;
}

/// Row n's softmax of [batch, C] logits, by subtracting the row's maximum.
Values softmaxRow(const Values &z, size_t n, int classes, double *logSum = nullptr,
                  double *rowMax = nullptr) {
  const double *row = &z[n * classes];
  double m = *std::max_element(row, row + classes), sum = 0;
  for (int c = 0; c < classes; ++c)
    sum += std::exp(row[c] - m);
  Values p(classes);
  for (int c = 0; c < classes; ++c)
    p[c] = std::exp(row[c] - m) / sum;
  if (logSum)
    *logSum = std::log(sum);
  if (rowMax)
    *rowMax = m;
  return p;
}

//===----------------------------------------------------------------------===//
// Softmax cross-entropy
//===----------------------------------------------------------------------===//

constexpr int kClasses = 4;

const char *kSoftmaxCrossEntropy = R"(model m
input x : f32[batch, 4]
label y : i32[batch]
logits = add(x, dense(x, 4))
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.5)
)";

/// Loss (max - z[y]) + log(sum(exp(z - max))) per row, gradient
/// (softmax - onehot) / batch.
void checkSoftmaxCrossEntropy(const Values &logits, const std::vector<int> &labels) {
  size_t batch = labels.size();
  ASSERT_EQ(logits.size(), batch * kClasses);
  Expected want;
  Values g(logits.size());
  for (size_t n = 0; n < batch; ++n) {
    double logSum, rowMax;
    Values p = softmaxRow(logits, n, kClasses, &logSum, &rowMax);
    want.loss += (rowMax - logits[n * kClasses + labels[n]]) + logSum;
    for (int c = 0; c < kClasses; ++c)
      g[n * kClasses + c] = (p[c] - (c == labels[n] ? 1.0 : 0.0)) / batch;
  }
  want.loss /= batch;
  addDenseGrads(want, logits, g, kClasses);
  checkStep({kSoftmaxCrossEntropy,
             static_cast<int>(batch),
             {{"x", logits}, {"y", Values(labels.begin(), labels.end())}},
             {}},
            want);
}

// Logits 1e4 apart: exp would overflow without the row maximum; a loss of
// order 1 next to logits of 1e4 must not lose its digits in (max + log sum)
// - z[y] (in float32, 1e4 + 1.4 keeps three decimals of the 1.4).
TEST(SoftmaxCrossEntropy, ExactForLogitsOfMagnitude1e4) {
  checkSoftmaxCrossEntropy(f32({1e4, 1e4 - 1, 1e4 - 2.5, -1e4,    //
                                -1e4, -1e4 + 0.5, -1e4 + 2, -1e4, //
                                1e4, -1e4, 0, 5e3}),
                           {1, 2, 0});
}

// Logits of magnitude 1e30 whose losses are log 2, log 4 and log 3: the
// log-sum must survive next to a maximum of 1e30.
TEST(SoftmaxCrossEntropy, ExactForLogitsOfMagnitude1e30) {
  checkSoftmaxCrossEntropy(f32({1e30, 1e30, -1e30, 0,       //
                                -1e30, -1e30, -1e30, -1e30, //
                                0, 1e30, 1e30, 1e30}),
                           {1, 3, 2});
}

// Logits of +-1.5e38 and 3e38, near float32's largest value 3.4e38, whose
// differences stay finite (3e38): a loss of 3e38 for a wrong label, log 2 and
// log 4 for the others, and gradients of (softmax - onehot) / batch exactly.
TEST(SoftmaxCrossEntropy, FiniteForLogitsNearFloatMax) {
  checkSoftmaxCrossEntropy(f32({1.5e38, -1.5e38, 0, 1.5e38,        //
                                -1.5e38, 1.5e38, -1.5e38, -1.5e38, //
                                3e38, 3e38, 3e38, 3e38,            //
                                -3e38, -3e38, -3e38, -3e38}),
                           {0, 0, 2, 3});
}

// Every row's logits equal (0, 7, 1e4, -1e30, 3e38): loss log 4 per row and
// gradient (1/4 - onehot) / batch, whatever the magnitude.
TEST(SoftmaxCrossEntropy, AllEqualLogitsGiveLogOfClassCount) {
  checkSoftmaxCrossEntropy(f32({0,     0,     0,     0,     //
                                7,     7,     7,     7,     //
                                1e4,   1e4,   1e4,   1e4,   //
                                -1e30, -1e30, -1e30, -1e30, //
                                3e38,  3e38,  3e38,  3e38}),
                           {0, 1, 2, 3, 1});
}

// One logit of 1e30 and the rest within 1e-30 of zero: probability 1 for the
// huge one (loss 0 when it is the label, 1e30 when it is not), exactly 0 for
// the tiny ones.
TEST(SoftmaxCrossEntropy, OneHugeLogitAmongTinyOnes) {
  checkSoftmaxCrossEntropy(f32({1e30, 1e-30, -1e-30, 0, //
                                1e-30, 0, 1e30, -1e-30, //
                                -1e-30, 1e30, 0, 1e-30}),
                           {0, 1, 1});
}

//===----------------------------------------------------------------------===//
// log_softmax, softmax and categorical cross-entropy
//===----------------------------------------------------------------------===//

// log_softmax as an activation, its output compared with mae against 1:
// predictions are the log-probabilities z - max - log(sum(exp(z - max))),
// finite for huge scores; every |out - 1| has slope -1, so dL/dz =
// (C softmax(z) - 1) / (batch C).
TEST(LogSoftmax, FiniteLogProbabilitiesForHugeScores) {
  const char *source = R"(model m
input x : f32[batch, 4]
label t : f32[batch, 4]
out = log_softmax(add(x, dense(x, 4)))
loss = mae(out, t)
optimizer sgd(lr = 0.5)
)";
  Values x = f32({1e30, -1e30, 0, 1e30, //
                  1e4, 1e4, -1e4, 3,    //
                  1e37, -1e37, 0, 5e36, //
                  -1e30, -1e30, -1e30, -1e30});
  const int batch = 4;
  Expected want;
  Values g(x.size());
  for (int n = 0; n < batch; ++n) {
    double logSum, rowMax;
    Values p = softmaxRow(x, n, kClasses, &logSum, &rowMax);
    for (int c = 0; c < kClasses; ++c) {
      double logProb = (x[n * kClasses + c] - rowMax) - logSum;
      want.prediction.push_back(logProb);
      want.loss += std::abs(logProb - 1);
      g[n * kClasses + c] = (kClasses * p[c] - 1) / (batch * kClasses);
    }
  }
  want.loss /= batch * kClasses;
  addDenseGrads(want, x, g, kClasses);
  checkStep({source, batch, {{"x", x}, {"t", Values(x.size(), 1.0)}}, {}}, want);
}

// softmax as an activation (exp of log_softmax) at huge scores: probabilities
// exactly 0, 1/2 or 1 where the scores are that far apart, finite gradients.
// Targets 2 and -1 fix the sign of each mae slope s: dL/dz = p (s - sum p s)
// / (batch C).
TEST(Softmax, SaturatesWithoutNaNForHugeScores) {
  const char *source = R"(model m
input x : f32[batch, 4]
label t : f32[batch, 4]
out = softmax(add(x, dense(x, 4)))
loss = mae(out, t)
optimizer sgd(lr = 0.5)
)";
  Values x = f32({1e30, -1e30, 0, 1e30,  //
                  1e4, 1e4 - 1, 0, -1e4, //
                  1.5e38, 0, -1.5e38, 1.5e38});
  Values t = {2, -1, 2, -1, 2, -1, 2, -1, 2, -1, 2, -1};
  const int batch = 3;
  Expected want;
  Values g(x.size());
  for (int n = 0; n < batch; ++n) {
    Values p = softmaxRow(x, n, kClasses);
    double weighted = 0;
    for (int c = 0; c < kClasses; ++c) {
      double slope = p[c] < t[n * kClasses + c] ? -1.0 : 1.0;
      want.prediction.push_back(p[c]);
      want.loss += std::abs(p[c] - t[n * kClasses + c]);
      weighted += p[c] * slope;
    }
    for (int c = 0; c < kClasses; ++c) {
      double slope = p[c] < t[n * kClasses + c] ? -1.0 : 1.0;
      g[n * kClasses + c] = p[c] * (slope - weighted) / (batch * kClasses);
    }
  }
  want.loss /= batch * kClasses;
  addDenseGrads(want, x, g, kClasses);
  checkStep({source, batch, {{"x", x}, {"t", t}}, {}}, want);
}

// categorical_cross_entropy with probability targets: -sum t log_softmax(z)
// per row, gradient (softmax(z) sum(t) - t) / batch. The last row's logits
// are 6e38 apart, beyond float32's range: float32 gives that log-probability
// as -inf, and a target of 0 there must still contribute 0, not 0 * -inf.
TEST(CategoricalCrossEntropy, ExactForHugeLogitsAndZeroTargets) {
  const char *source = R"(model m
input x : f32[batch, 4]
label t : f32[batch, 4]
logits = add(x, dense(x, 4))
loss = categorical_cross_entropy(logits, t)
optimizer sgd(lr = 0.5)
)";
  Values x = f32({1e30, -1e30, 0, 1e30,  //
                  1e4, 1e4 - 2, -1e4, 0, //
                  1.5e38, -1.5e38, 0, 0, //
                  3e38, -3e38, 0, 0});
  Values t = {0.5, 0, 0, 0.5, 0.25, 0.75, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
  const int batch = 4;
  Expected want;
  Values g(x.size());
  for (int n = 0; n < batch; ++n) {
    double logSum, rowMax, targetSum = 0;
    Values p = softmaxRow(x, n, kClasses, &logSum, &rowMax);
    for (int c = 0; c < kClasses; ++c) {
      double target = t[n * kClasses + c];
      if (target != 0)
        want.loss -= target * ((x[n * kClasses + c] - rowMax) - logSum);
      targetSum += target;
    }
    for (int c = 0; c < kClasses; ++c)
      g[n * kClasses + c] = (p[c] * targetSum - t[n * kClasses + c]) / batch;
  }
  want.loss /= batch;
  addDenseGrads(want, x, g, kClasses);
  checkStep({source, batch, {{"x", x}, {"t", t}}, {}}, want);
}

//===----------------------------------------------------------------------===//
// Binary cross-entropy
//===----------------------------------------------------------------------===//

class BceWithLogits : public testing::TestWithParam<double> {};

// Logits +-m with targets 0 and 1 (losses m and softplus(-m)), next to a
// moderate logit: the loss softplus(z) - z t, gradient (sigmoid(z) - t) /
// elements, prediction sigmoid(z).
TEST_P(BceWithLogits, MatchesSoftplusAtHugeLogits) {
  const char *source = R"(model m
input x : f32[batch, 3]
label t : f32[batch, 3]
z = add(x, dense(x, 3))
loss = binary_cross_entropy_with_logits(z, t)
optimizer sgd(lr = 0.5)
)";
  double m = f32(GetParam());
  Values x = {m, -m, 1.5, m, -m, -1.5};
  Values t = {0, 1, 0.25, 1, 0, 1};
  Expected want;
  Values g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    want.loss += softplus(x[i]) - x[i] * t[i];
    g[i] = (sigmoid(x[i]) - t[i]) / x.size();
    want.prediction.push_back(sigmoid(x[i]));
  }
  want.loss /= x.size();
  addDenseGrads(want, x, g, 3);
  checkStep({source, 2, {{"x", x}, {"t", t}}, {}}, want);
}

INSTANTIATE_TEST_SUITE_P(Numerics, BceWithLogits, testing::Values(100.0, 1e4, 1e30),
                         [](const testing::TestParamInfo<double> &info) {
                           return info.index == 0   ? std::string("Logit100")
                                  : info.index == 1 ? std::string("Logit1e4")
                                                    : std::string("Logit1e30");
                         });

/// -(t max(log p, -100) + (1 - t) max(log(1 - p), -100)) and its derivative
/// in p, which is 0 where a log is clamped.
double bceTerm(double p, double t) {
  return -(t * std::max(std::log(p), -100.0) + (1 - t) * std::max(std::log1p(-p), -100.0));
}
double bceSlope(double p, double t) {
  double positive = std::log(p) > -100 ? -t / p : 0.0;
  double negative = std::log1p(-p) > -100 ? (1 - t) / (1 - p) : 0.0;
  return positive + negative;
}

// Probabilities of exactly 0 and 1: each log is clamped at -100, so a
// certain wrong prediction costs 100 (PyTorch's value) and a certain right
// one 0; the gradient is the clamped form's, 0 where the log is clamped,
// finite everywhere.
TEST(BinaryCrossEntropy, ClampsLogAtMinus100ForCertainProbabilities) {
  const char *source = R"(model m
input x : f32[batch, 4]
label t : f32[batch, 4]
p = add(x, dense(x, 4))
loss = binary_cross_entropy(p, t)
optimizer sgd(lr = 0.5)
)";
  Values p = {0, 1, 0, 1, 0, 1, 0.5, 0.25};
  Values t = {0, 1, 1, 0, 0.5, 0.5, 1, 0};
  Expected want;
  Values g(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    want.loss += bceTerm(p[i], t[i]);
    g[i] = bceSlope(p[i], t[i]) / p.size();
  }
  want.loss /= p.size();
  addDenseGrads(want, p, g, 4);
  checkStep({source, 2, {{"x", p}, {"t", t}}, {}}, want);
}

// sigmoid of logits +-1e4 is exactly 0 or 1 in either precision: each wrong
// element costs 100, each right one 0, and the gradient through the
// saturated sigmoid is 0.
TEST(BinaryCrossEntropy, SaturatedSigmoidCostsHundredPerWrongElement) {
  const char *source = R"(model m
input x : f32[batch, 4]
label t : f32[batch, 4]
p = sigmoid(add(x, dense(x, 4)))
loss = binary_cross_entropy(p, t)
optimizer sgd(lr = 0.5)
)";
  Values x = {1e4, -1e4, 1e4, -1e4};
  Values t = {1, 0, 0, 1};
  Expected want;
  want.loss = 200.0 / 4;
  want.prediction = {1, 0, 1, 0};
  addDenseGrads(want, x, Values(4, 0.0), 4);
  checkStep({source, 1, {{"x", x}, {"t", t}}, {}}, want);
}

//===----------------------------------------------------------------------===//
// Batch normalization on batches without variance
//===----------------------------------------------------------------------===//

/// One training step of batch_norm(add(x, layer(x))) with the layer at zero
/// and loss mse(h, t), on [N, C, S] values (S = 1 for features), by the
/// textbook formulas: xhat = (x - mean) / sqrt(var + eps), h = gamma xhat +
/// beta; dz = gamma / sqrt(var + eps) (dh - mean(dh) - xhat mean(dh xhat)).
/// `layer` is dense0 ([in, units] weight) or a 1x1 conv2d0 ([out, in]).
Expected batchNormStep(const Values &x, const Values &t, int n, int c, int s, const Values &gamma,
                       const Values &beta, bool conv) {
  // eps = 1e-5, momentum = 0.1 and 1 - momentum (folded from the two
  // constants) reach the generated code as float32.
  const double eps = f32(1e-5), momentum = f32(0.1), keep = f32(1 - momentum);
  const double count = static_cast<double>(n) * s, elements = count * c;
  auto at = [&](int i, int ch, int k) { return (static_cast<size_t>(i) * c + ch) * s + k; };
  Expected want;
  Values dz(x.size()), dgamma(c, 0.0), dbeta(c, 0.0), runningMean(c), runningVar(c);
  double largestDh = 0, largestX = 0, largestScale = 0;
  for (int ch = 0; ch < c; ++ch) {
    double mean = 0, var = 0;
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < s; ++k)
        mean += x[at(i, ch, k)];
    mean /= count;
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < s; ++k)
        var += (x[at(i, ch, k)] - mean) * (x[at(i, ch, k)] - mean);
    var /= count;
    double inv = 1 / std::sqrt(var + eps);
    Values xhat(x.size()), dh(x.size());
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < s; ++k) {
        size_t e = at(i, ch, k);
        xhat[e] = (x[e] - mean) * inv;
        double h = gamma[ch] * xhat[e] + beta[ch];
        want.loss += (h - t[e]) * (h - t[e]) / elements;
        dh[e] = 2 * (h - t[e]) / elements;
        dbeta[ch] += dh[e];
        dgamma[ch] += dh[e] * xhat[e];
        largestDh = std::max(largestDh, std::abs(dh[e]));
        largestX = std::max(largestX, std::abs(x[e]));
      }
    largestScale = std::max(largestScale, std::abs(gamma[ch]) * inv);
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < s; ++k) {
        size_t e = at(i, ch, k);
        dz[e] = gamma[ch] * inv * (dh[e] - dbeta[ch] / count - xhat[e] * dgamma[ch] / count);
      }
    double unbiased = count > 1 ? var * count / (count - 1) : var;
    runningMean[ch] = momentum * mean;
    runningVar[ch] = keep * 1.0 + momentum * unbiased;
  }
  std::string layer = conv ? "conv2d0" : "dense0";
  Values w(c * c, 0.0), b(c, 0.0);
  for (int i = 0; i < n; ++i)
    for (int out = 0; out < c; ++out)
      for (int k = 0; k < s; ++k) {
        b[out] += dz[at(i, out, k)];
        for (int in = 0; in < c; ++in)
          w[conv ? out * c + in : in * c + out] += dz[at(i, out, k)] * x[at(i, in, k)];
      }
  want.grads[layer + ".weight"] = w;
  want.grads[layer + ".bias"] = b;
  want.grads["batch_norm0.weight"] = dgamma;
  want.grads["batch_norm0.bias"] = dbeta;
  // Without variance, the layer's gradients are sums of dz that cancel to
  // zero: their errors scale with the terms summed.
  double terms = largestScale * largestDh * count;
  want.gradFloors[layer + ".weight"] = terms * std::max(largestX, 1.0);
  want.gradFloors[layer + ".bias"] = terms;
  // gamma's gradient sums dh xhat over xhat = 0 up to rounding of the mean.
  want.gradFloors["batch_norm0.weight"] = largestDh * count;
  want.stats["batch_norm0.running_mean"] = runningMean;
  want.stats["batch_norm0.running_var"] = runningVar;
  return want;
}

/// `batch` copies of one sample of four features.
Values repeatRows(const Values &row, int batch) {
  Values values;
  for (int i = 0; i < batch; ++i)
    values.insert(values.end(), row.begin(), row.end());
  return values;
}

const char *kBatchNormDense = R"(model m
input x : f32[batch, 4]
label t : f32[batch, 4]
h = batch_norm(add(x, dense(x, 4)))
loss = mse(h, t)
optimizer sgd(lr = 0.5)
)";

// Every sample the same: variance 0, so xhat = 0 and the output is the shift
// beta; scale gamma / sqrt(eps) stays finite, and so do the gradients, the
// running mean (momentum * x) and the running variance (0.9 + 0.1 * 0).
TEST(BatchNorm, ZeroVarianceFeaturesGiveShift) {
  const int batch = 3;
  Values x = repeatRows(f32({0.75, -2.5, 48, 0.1}), batch);
  Values t = {1, 0.5, -2, 0.25, 1.5, 0, -1, 0.125, -0.5, 2, 3, 0};
  Values gamma = {1.5, 0.5, 2, 1}, beta = {0.25, -1, 0, 0.5};
  checkStep({kBatchNormDense,
             batch,
             {{"x", x}, {"t", t}},
             {{"batch_norm0.weight", gamma}, {"batch_norm0.bias", beta}}},
            batchNormStep(x, t, batch, 4, 1, gamma, beta, false));
}

// A batch of one sample trains (PyTorch refuses it): variance 0 and the
// running variance's unbiased correction n / (n - 1) skipped for n = 1.
TEST(BatchNorm, SingleSampleBatchTrains) {
  Values x = f32({0.75, -2.5, 48, 0.1});
  Values t = {1, 0.5, -2, 0.25};
  Values gamma = {1.5, 0.5, 2, 1}, beta = {0.25, -1, 0, 0.5};
  checkStep({kBatchNormDense,
             1,
             {{"x", x}, {"t", t}},
             {{"batch_norm0.weight", gamma}, {"batch_norm0.bias", beta}}},
            batchNormStep(x, t, 1, 4, 1, gamma, beta, false));
}

class BatchNormConv : public testing::TestWithParam<int> {};

// Channels constant over the batch and every pixel, on 2 samples and on 1:
// statistics per channel over batch and pixels, all of variance 0.
TEST_P(BatchNormConv, ZeroVarianceChannelsGiveShift) {
  const char *source = R"(model m
input x : f32[batch, 2, 3, 3]
label t : f32[batch, 2, 3, 3]
h = batch_norm(add(x, conv2d(x, 2, 1)))
loss = mse(h, t)
optimizer sgd(lr = 0.5)
)";
  const int batch = GetParam(), pixels = 9;
  Values x, t;
  for (int i = 0; i < batch; ++i)
    for (double value : {0.75, -2.5})
      for (int k = 0; k < pixels; ++k) {
        x.push_back(value);
        t.push_back(0.125 * ((i * 7 + k * 3 + (value > 0 ? 1 : 5)) % 11) - 0.5);
      }
  Values gamma = {1.5, 0.5}, beta = {0.25, -1};
  checkStep({source,
             batch,
             {{"x", x}, {"t", t}},
             {{"batch_norm0.weight", gamma}, {"batch_norm0.bias", beta}}},
            batchNormStep(x, t, batch, 2, pixels, gamma, beta, true));
}

INSTANTIATE_TEST_SUITE_P(Numerics, BatchNormConv, testing::Values(2, 1),
                         [](const testing::TestParamInfo<int> &info) {
                           return "Batch" + std::to_string(info.param);
                         });

//===----------------------------------------------------------------------===//
// Saturating activations
//===----------------------------------------------------------------------===//

struct ActivationCase {
  const char *name;
  double (*value)(double);
  double (*slope)(double);
};

void PrintTo(const ActivationCase &c, std::ostream *os) { *os << c.name; }

// gelu's 1/sqrt(2) and 2/sqrt(pi) are float32 constants in the generated code.
const double kGeluScale = f32(M_SQRT1_2), kErfSlope = f32(2 / std::sqrt(M_PI));

const ActivationCase kActivations[] = {
    {"sigmoid", sigmoid, [](double x) { return sigmoid(x) * (1 - sigmoid(x)); }},
    {"tanh", [](double x) { return std::tanh(x); },
     [](double x) { return 1 - std::tanh(x) * std::tanh(x); }},
    {"swish", [](double x) { return x * sigmoid(x); },
     [](double x) { return sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x)); }},
    {"elu", [](double x) { return x > 0 ? x : std::expm1(x); },
     [](double x) { return x > 0 ? 1.0 : std::exp(x); }},
    {"gelu", [](double x) { return 0.5 * x * (1 + std::erf(x * kGeluScale)); },
     [](double x) {
       double u = x * kGeluScale;
       return 0.5 * (1 + std::erf(u)) + 0.5 * x * kErfSlope * kGeluScale * std::exp(-u * u);
     }},
};

class Activation : public testing::TestWithParam<ActivationCase> {};

// Inputs +-100, +-1e4 and +-1e30 (exp of any of them overflows float32):
// outputs finite and saturated, gradients finite, with no inf * 0 or inf /
// inf on the way. mae against 0.5 makes every slope +-1.
TEST_P(Activation, SaturatesWithFiniteGradients) {
  const ActivationCase &act = GetParam();
  std::string source = std::string(R"(model m
input x : f32[batch, 6]
label t : f32[batch, 6]
h = )") + act.name + R"((add(x, dense(x, 6)))
loss = mae(h, t)
optimizer sgd(lr = 0.5)
)";
  Values x = f32({100, -100, 1e4, -1e4, 1e30, -1e30});
  Values t(x.size(), 0.5);
  Expected want;
  Values g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    double h = act.value(x[i]);
    want.prediction.push_back(h);
    want.loss += std::abs(h - t[i]) / x.size();
    g[i] = (h > t[i] ? 1.0 : -1.0) * act.slope(x[i]) / x.size();
  }
  // A saturated slope is 0 up to terms like sigmoid'(100) = 4e-44, which
  // both sides may round away: errors count against the slopes' scale 1 (the
  // bias's gradient) and |x| <= 1e30 times it (the weight's).
  want.gradFloors["dense0.bias"] = 1.0 / x.size();
  want.gradFloors["dense0.weight"] = f32(1e30) / x.size();
  addDenseGrads(want, x, g, 6);
  checkStep({source, 1, {{"x", x}, {"t", t}}, {}}, want);
}

INSTANTIATE_TEST_SUITE_P(Numerics, Activation, testing::ValuesIn(kActivations),
                         [](const testing::TestParamInfo<ActivationCase> &info) {
                           return std::string(info.param.name);
                         });

//===----------------------------------------------------------------------===//
// Regression losses with huge differences
//===----------------------------------------------------------------------===//

// Differences of 2e18: squares of 4e36 stay below float32's 3.4e38; the
// gradient is 2 (p - t) / elements.
TEST(Regression, MseOfHugeDifferences) {
  const char *source = R"(model m
input x : f32[batch, 3]
label t : f32[batch, 3]
p = add(x, dense(x, 3))
loss = mse(p, t)
optimizer sgd(lr = 0.5)
)";
  Values x = f32({1e18, -1e18, 3}), t = f32({-1e18, 1e18, 1});
  Expected want;
  Values g(3);
  for (size_t i = 0; i < 3; ++i) {
    want.loss += (x[i] - t[i]) * (x[i] - t[i]) / 3;
    g[i] = 2 * (x[i] - t[i]) / 3;
    want.prediction.push_back(x[i]);
  }
  addDenseGrads(want, x, g, 3);
  checkStep({source, 1, {{"x", x}, {"t", t}}, {}}, want);
}

// Differences of 2e30 take huber's linear branch, delta (|d| - delta / 2),
// gradient delta sign(d) / elements; the quadratic branch's d^2 / 2
// overflows float32 but is not taken, and must not leak inf * 0 into the
// gradient.
TEST(Regression, HuberOfHugeDifferences) {
  const char *source = R"(model m
input x : f32[batch, 3]
label t : f32[batch, 3]
p = add(x, dense(x, 3))
loss = huber(p, t, delta = 0.5)
optimizer sgd(lr = 0.5)
)";
  const double delta = 0.5;
  Values x = f32({1e30, -1e30, 0.25}), t = f32({-1e30, 1e30, 0});
  Expected want;
  Values g(3);
  for (size_t i = 0; i < 3; ++i) {
    double d = x[i] - t[i];
    bool quadratic = std::abs(d) < delta;
    want.loss += (quadratic ? d * d / 2 : delta * (std::abs(d) - delta / 2)) / 3;
    g[i] = (quadratic ? d : delta * (d > 0 ? 1 : -1)) / 3;
  }
  addDenseGrads(want, x, g, 3);
  checkStep({source, 1, {{"x", x}, {"t", t}}, {}}, want);
}

} // namespace
