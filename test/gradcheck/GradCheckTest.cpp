//===- GradCheckTest.cpp - Gradients against central finite differences ---===//
//
// Each case is a small model file that routes one op's gradient rule into the
// gradients of the parameters. It is compiled through the real pipeline
// (import, autodiff, partition) and lowered by the real Halide code
// generation, with the real schedules, in float64 and run by JIT. Without the
// optimizer pass the train step returns every parameter's gradient.
//
// For each parameter P and a seeded random direction D, the directional
// derivative <dL/dP, D> must match (L(P + eps D) - L(P - eps D)) / (2 eps).
// Tolerance: 1e-6 relative. In float64 with eps = 1e-6 the truncation error is
// O(eps^2) ~ 1e-12 and rounding ~ 1e-16 / eps = 1e-10, so 1e-6 leaves room for
// the sums' rounding while catching any wrong rule (errors there are O(1)).
// Batch sizes are odd so that partial tiles of the schedules are exercised.
//
//===----------------------------------------------------------------------===//
#include "support/JitModel.h"

#include <cmath>
#include <random>
#include <sstream>

using namespace kiln;

namespace {

using namespace kiln::jit;
using Buffer = Halide::Buffer<>;

double dot(const Buffer &a, const Buffer &b) {
  Halide::Buffer<double> x = a, y = b;
  double sum = 0;
  for (size_t i = 0; i < x.number_of_elements(); ++i)
    sum += x.data()[i] * y.data()[i];
  return sum;
}

/// Fills a float64 buffer with N(0, scale) values.
void fillNormal(Buffer &buffer, std::mt19937_64 &rng, double scale) {
  std::normal_distribution<double> normal(0.0, scale);
  Halide::Buffer<double> b = buffer;
  for (size_t i = 0; i < b.number_of_elements(); ++i)
    b.data()[i] = normal(rng);
}

/// Random parameters N(0, paramScale), inputs N(0, 1) and labels in [0, classes).
struct RandomData {
  std::vector<Buffer> params, inputs;
};

RandomData randomData(const LoweredModel &model, int batch, int classes, double paramScale,
                      std::mt19937_64 &rng) {
  RandomData data;
  for (const ParamDesc &p : model.params) {
    data.params.push_back(makeBuffer({Slot::Kind::Param, p.name, p.shape, false, 0}, batch));
    fillNormal(data.params.back(), rng, paramScale);
  }
  for (const InputDesc &in : model.inputs) {
    data.inputs.push_back(makeBuffer({Slot::Kind::Input, in.name, in.shape, in.isInt, 0}, batch));
    if (!in.isInt) {
      // Features N(0, 1); float targets in (0, 1), valid for every loss
      // (binary cross-entropy needs them there).
      Halide::Buffer<double> values = data.inputs.back();
      std::uniform_real_distribution<double> unit(0.05, 0.95);
      for (size_t i = 0; i < values.number_of_elements(); ++i)
        values.data()[i] = in.isLabel ? unit(rng) : std::normal_distribution<double>(0, 1)(rng);
      continue;
    }
    Halide::Buffer<int32_t> labels = data.inputs.back();
    for (size_t i = 0; i < labels.number_of_elements(); ++i)
      labels.data()[i] = static_cast<int32_t>(rng() % classes);
  }
  return data;
}

/// Checks every parameter's gradient of `source` by central differences.
void checkGradients(const std::string &source, int batch, int classes,
                    double tolerance = 1e-6) {
  JitModel model(source);
  ASSERT_TRUE(model.ok);
  std::mt19937_64 rng(42);

  RandomData data = randomData(model.lowered, batch, classes, 0.5, rng);
  std::vector<Buffer> &params = data.params, &inputs = data.inputs;

  std::vector<Buffer> grads;
  model.trainStep(params, inputs, batch, &grads);
  ASSERT_EQ(grads.size(), params.size());

  const double eps = 1e-6;
  for (size_t p = 0; p < params.size(); ++p) {
    SCOPED_TRACE("parameter " + model.lowered.params[p].name);
    // Running statistics take no gradient; everything else must have one.
    ASSERT_EQ(grads[p].defined(), model.lowered.params[p].trainable);
    if (!grads[p].defined())
      continue;
    Buffer direction = denseCopy(params[p]);
    fillNormal(direction, rng, 1.0);
    Halide::Buffer<double> original = denseCopy(params[p]);
    Halide::Buffer<double> value = params[p], dir = direction;
    auto shifted = [&](double sign) {
      for (size_t i = 0; i < value.number_of_elements(); ++i)
        value.data()[i] = original.data()[i] + sign * eps * dir.data()[i];
      double loss = model.trainStep(params, inputs, batch, nullptr);
      // Element by element, as above (see denseCopy).
      for (size_t i = 0; i < value.number_of_elements(); ++i)
        value.data()[i] = original.data()[i];
      return loss;
    };
    double numeric = (shifted(+1) - shifted(-1)) / (2 * eps);
    double analytic = dot(grads[p], direction);
    double scale = std::max({std::abs(numeric), std::abs(analytic), 1e-3});
    EXPECT_LT(std::abs(numeric - analytic) / scale, tolerance)
        << "numeric " << numeric << " vs analytic " << analytic;
  }
}

// dense (matmul, bias_add) into softmax cross-entropy.
TEST(GradCheck, DenseSoftmaxCrossEntropy) {
  checkGradients(R"(model m
input x : f32[batch, 9]
label y : i32[batch]
logits = dense(x, 4)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 7, 4);
}

// relu between two dense layers: relu's rule, and the matmul rule's gradient
// with respect to its left operand (the hidden activations).
TEST(GradCheck, DenseReluDense) {
  checkGradients(R"(model m
input x : f32[batch, 11]
label y : i32[batch]
h = relu(dense(x, 20))
logits = dense(h, 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 13, 3);
}

// Dense layer without bias, three layers deep, batch 1 and sizes that are not
// multiples of any vector width.
TEST(GradCheck, DeepNoBias) {
  checkGradients(R"(model m
input x : f32[batch, 5]
label y : i32[batch]
h1 = relu(dense(x, 17, bias = false))
h2 = relu(dense(h1, 33))
logits = dense(h2, 6, bias = false)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 1, 6);
}

// Every pointwise activation between two dense layers: the derivative of
// each scalar body (ScalarDerivatives.cpp).
class Activation : public testing::TestWithParam<const char *> {};

TEST_P(Activation, DenseActivationDense) {
  checkGradients(std::string(R"(model m
input x : f32[batch, 7]
label y : i32[batch]
h = )") + GetParam() + R"((dense(x, 9))
logits = dense(h, 4)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 5, 4);
}

INSTANTIATE_TEST_SUITE_P(GradCheck, Activation,
                         testing::Values("linear", "sigmoid", "tanh", "relu", "leaky_relu",
                                         "elu", "gelu", "swish", "prelu", "softmax",
                                         "log_softmax"),
                         [](const testing::TestParamInfo<const char *> &info) {
                           return std::string(info.param);
                         });

// Activations with a non-default alpha.
TEST(GradCheck, ActivationAlpha) {
  checkGradients(R"(model m
input x : f32[batch, 6]
label y : i32[batch]
h = elu(leaky_relu(dense(x, 8), alpha = 0.2), alpha = 0.5)
logits = dense(h, 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 4, 3);
}

// Each loss on a two-layer network with float targets in (0, 1).
struct LossCase {
  const char *name;
  const char *head; // the line defining `loss` from `out`
};

void PrintTo(const LossCase &c, std::ostream *os) { *os << c.name; }

class Loss : public testing::TestWithParam<LossCase> {};

TEST_P(Loss, Gradients) {
  checkGradients(std::string(R"(model m
input x : f32[batch, 5]
label t : f32[batch, 3]
out = dense(tanh(dense(x, 8)), 3)
)") + GetParam().head + "\noptimizer sgd(lr = 0.1)\n",
                 6, 3);
}

INSTANTIATE_TEST_SUITE_P(
    GradCheck, Loss,
    testing::Values(LossCase{"mse", "loss = mse(out, t)"}, LossCase{"mae", "loss = mae(out, t)"},
                    LossCase{"huber", "loss = huber(out, t, delta = 0.3)"},
                    LossCase{"bce", "loss = binary_cross_entropy(sigmoid(out), t)"},
                    LossCase{"bce_logits", "loss = binary_cross_entropy_with_logits(out, t)"},
                    LossCase{"categorical", "loss = categorical_cross_entropy(out, t)"}),
    [](const testing::TestParamInfo<LossCase> &info) { return std::string(info.param.name); });

// Convolutions with each padding mode, stride and dilation, then pooling of
// each kind, flattened into a dense classifier.
struct ConvCase {
  const char *name;
  const char *layers; // from x : f32[batch, 2, 9, 8] to `features`
};

void PrintTo(const ConvCase &c, std::ostream *os) { *os << c.name; }

class Conv : public testing::TestWithParam<ConvCase> {};

TEST_P(Conv, Gradients) {
  checkGradients(std::string(R"(model m
input x : f32[batch, 2, 9, 8]
label y : i32[batch]
)") + GetParam().layers + R"(
logits = dense(flatten(features), 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 3, 3);
}

INSTANTIATE_TEST_SUITE_P(
    GradCheck, Conv,
    testing::Values(
        ConvCase{"valid", "features = conv2d(x, 3, 3)"},
        ConvCase{"same", "features = tanh(conv2d(x, 3, 3, padding = same))"},
        ConvCase{"same_even_kernel", "features = conv2d(x, 2, 4, padding = same)"},
        ConvCase{"stride", "features = conv2d(x, 3, 3, stride = 2, padding = 1)"},
        ConvCase{"dilation", "features = conv2d(x, 2, 3, dilation = 2, bias = false)"},
        ConvCase{"max_pool", "features = max_pool2d(conv2d(x, 3, 3, padding = same), 2)"},
        ConvCase{"min_pool", "features = min_pool2d(conv2d(x, 3, 3), 3, stride = 2, padding = 1)"},
        ConvCase{"avg_pool", "features = avg_pool2d(conv2d(x, 3, 2), 2, stride = 1, padding = 1)"},
        // Unpadded pooling reads its input in place; overlapping windows
        // that leave the last row and column unread.
        ConvCase{"max_pool_overlap", "features = max_pool2d(relu(conv2d(x, 3, 3)), 3, stride = 2)"},
        ConvCase{"avg_pool_unpadded", "features = avg_pool2d(x, 2, stride = 3)"},
        // Windows that tile the image exactly (read without bounds tests),
        // with ties among relu's zeros; windows of more than 16 taps, whose
        // winner Halide's argmax finds.
        ConvCase{"max_pool_tiled",
                 "features = max_pool2d(relu(conv2d(reshape(x, 2, 6, 12), 3, 3, padding = same)), "
                 "2)"},
        ConvCase{"max_pool_large_window",
                 "features = max_pool2d(tanh(conv2d(x, 3, 3, padding = same)), 5, stride = 2)"},
        ConvCase{"global_avg_pool", "features = global_avg_pool2d(conv2d(x, 4, 3))"},
        ConvCase{"reshape", "features = reshape(conv2d(x, 2, 3), 7, 6, 2)"},
        ConvCase{"residual", "c = conv2d(x, 2, 3, padding = same)\n"
                             "features = add(x, relu(c))"}),
    [](const testing::TestParamInfo<ConvCase> &info) { return std::string(info.param.name); });

// Images of 8 x 8 (64 positions): the convolutions and input gradients take
// the flattened template (taps per tile of positions); the stride-2 input
// gradients are computed by phases of the input (all four reached by the
// 3 x 3 filter, one by the 1 x 1), summed as in a residual block.
TEST(GradCheck, StridedConvolutionsOnFlatImages) {
  checkGradients(R"(model m
input x : f32[batch, 2, 8, 8]
label y : i32[batch]
h = relu(conv2d(x, 2, 3, padding = same))
c = conv2d(h, 3, 3, stride = 2, padding = 1)
s = conv2d(h, 3, 1, stride = 2, bias = false)
features = tanh(add(c, s))
logits = dense(flatten(features), 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 3, 3);
}

// A stride-2 convolution of 32 x 32 images: its filter gradient reads the
// padded input from a copy with the columns ordered by phase.
TEST(GradCheck, StridedFilterGradientByPhases) {
  checkGradients(R"(model m
input x : f32[batch, 2, 32, 32]
label y : i32[batch]
c = tanh(conv2d(x, 3, 3, stride = 2, padding = 1))
logits = dense(global_avg_pool2d(c), 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 2, 3);
}

// Sixteen input channels: the filter gradients take the template with input
// channels in vector lanes (the padded input stored channels innermost),
// with blocks of 8 and of 4 output channels. Odd images: even ones take
// Winograd's form (below).
TEST(GradCheck, FilterGradientByChannels) {
  checkGradients(R"(model m
input x : f32[batch, 16, 7, 7]
label y : i32[batch]
c = tanh(conv2d(x, 16, 3, padding = same))
d = conv2d(c, 4, 3, padding = same)
logits = dense(global_avg_pool2d(d), 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 2, 3);
}

// 1 x 1 filters of stride 2, unpadded and padded: the convolutions and the
// filter gradients read copies of the positions the filter visits; the
// first filter gradient has its output channels in two groups (one block of
// input channels and one tap leave a single part otherwise).
TEST(GradCheck, StridedOneByOneFiltersReadSampledCopies) {
  checkGradients(R"(model m
input x : f32[batch, 16, 8, 8]
label y : i32[batch]
c = tanh(conv2d(x, 16, 1, stride = 2))
d = tanh(conv2d(c, 8, 1, stride = 2, padding = 1))
logits = dense(global_avg_pool2d(d), 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 2, 3);
}

// 3 x 3 convolutions of stride 1 on 32 x 32 and 16 x 16 images with 16
// channels take Winograd's F(2 x 2, 3 x 3) on CPUs whose vectors hold at
// most 16 floats: every convolution, and the input gradients of the second
// and third (a vector of tiles spans one row of tiles on 32 x 32 images,
// two on 16 x 16 ones with 16-float vectors).
const char *kWinogradModel = R"(model m
input x : f32[batch, 16, 32, 32]
label y : i32[batch]
c = tanh(conv2d(x, 16, 3, padding = same))
d = conv2d(c, 16, 3, padding = same)
e = conv2d(max_pool2d(d, 2), 16, 3, padding = same)
logits = dense(global_avg_pool2d(e), 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)";

TEST(GradCheck, WinogradConvolutions) { checkGradients(kWinogradModel, 2, 3); }

void expectSchedulesKeepTheStep(const char *source, int batch, int classes, uint64_t seed);

// The same step with the plain convolutions (no schedule) leaves the same
// parameters, to float64 rounding.
TEST(GradCheck, WinogradKeepsTheStep) { expectSchedulesKeepTheStep(kWinogradModel, 3, 3, 7); }

// Small images take Winograd's form with output channels in the lanes: the
// convolutions of 16 output channels, unpadded (8 x 8 and 6 x 6) and
// padded, and their input gradients (the gradient's tile shifted by
// padding - 2). The filter gradients by Winograd's form on gradients of 8
// x 8 and 6 x 6 (several images per chunk), one of 12 output channels
// (blocks of 4). Five images: slices of two, the last one short.
const char *kWinogradFilterModel = R"(model m
input x : f32[batch, 16, 10, 10]
label y : i32[batch]
c = tanh(conv2d(x, 16, 3))
d = tanh(conv2d(c, 16, 3, padding = same))
e = conv2d(d, 16, 3)
f = conv2d(e, 12, 3, padding = same)
logits = dense(global_avg_pool2d(f), 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)";

TEST(GradCheck, WinogradFilterGradients) { checkGradients(kWinogradFilterModel, 5, 3); }

TEST(GradCheck, WinogradFilterGradientsKeepTheStep) {
  expectSchedulesKeepTheStep(kWinogradFilterModel, 5, 3, 11);
}

// Both at once: a stride-2 filter gradient with sixteen input channels reads
// the copy with columns by phase, stored channels innermost.
TEST(GradCheck, StridedFilterGradientByChannelsAndPhases) {
  checkGradients(R"(model m
input x : f32[batch, 16, 32, 32]
label y : i32[batch]
c = tanh(conv2d(x, 4, 3, stride = 2, padding = 1))
logits = dense(global_avg_pool2d(c), 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 2, 3);
}

// Dropout with rate 0.5 at a fixed step: the mask is the same in every run,
// so the loss is a smooth function of the parameters.
TEST(GradCheck, Dropout) {
  checkGradients(R"(model m
input x : f32[batch, 10]
label y : i32[batch]
h = dropout(relu(dense(x, 16)), rate = 0.5)
logits = dense(h, 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 5, 3);
}

// Batch normalization in training mode, on features and on convolution
// channels: the gradient flows through the batch statistics.
TEST(GradCheck, BatchNormDense) {
  checkGradients(R"(model m
input x : f32[batch, 6]
label y : i32[batch]
h = tanh(batch_norm(dense(x, 8)))
logits = dense(h, 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 5, 3);
}

TEST(GradCheck, BatchNormConv) {
  checkGradients(R"(model m
input x : f32[batch, 2, 5, 4]
label y : i32[batch]
c = relu(batch_norm(conv2d(x, 3, 3, padding = same), momentum = 0.2, eps = 0.001))
logits = dense(flatten(c), 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 3, 3);
}

// Embedding: repeated indices (18 draws from 5 rows) sum their gradients.
TEST(GradCheck, Embedding) {
  checkGradients(R"(model m
input ids : i32[batch, 6]
label y : i32[batch]
e = embedding(ids, 5, 3)
logits = dense(tanh(flatten(e)), 5)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 3, 5);
}

// A dense layer over every step of a sequence ([N, T, K] x [K, M]): the
// weight gradient contracts over both the batch and the steps.
TEST(GradCheck, DenseOverSequence) {
  checkGradients(R"(model m
input ids : i32[batch, 4]
label y : i32[batch]
h = tanh(dense(embedding(ids, 7, 3), 5))
logits = dense(flatten(h), 7)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 3, 7);
}

// Concatenation of features and of channels, an input among the parts.
TEST(GradCheck, ConcatFeatures) {
  checkGradients(R"(model m
input x : f32[batch, 5]
label y : i32[batch]
h = concat(tanh(dense(x, 4)), x, relu(dense(x, 3)), axis = 1)
logits = dense(h, 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 5, 3);
}

TEST(GradCheck, ConcatChannels) {
  checkGradients(R"(model m
input x : f32[batch, 2, 4, 4]
label y : i32[batch]
c = concat(conv2d(x, 2, 3, padding = same), tanh(conv2d(x, 1, 1)))
logits = dense(flatten(c), 3)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)",
                 3, 3);
}

// The schedules must not change the numbers: the same train step with and
// without them gives the same loss and gradients (to float64 rounding of a
// different summation order).
TEST(GradCheck, SchedulesDoNotChangeResults) {
  const char *source = R"(model m
input x : f32[batch, 40]
label y : i32[batch]
h = relu(dense(x, 48))
logits = dense(h, 10)
loss = softmax_cross_entropy(logits, y)
optimizer sgd(lr = 0.1)
)";
  JitModel scheduled(source, true), plain(source, false);
  ASSERT_TRUE(scheduled.ok && plain.ok);
  const int batch = 21;
  std::mt19937_64 rng(3);
  RandomData data = randomData(scheduled.lowered, batch, 10, 0.3, rng);
  std::vector<Buffer> g1, g2;
  double l1 = scheduled.trainStep(data.params, data.inputs, batch, &g1);
  double l2 = plain.trainStep(data.params, data.inputs, batch, &g2);
  EXPECT_NEAR(l1, l2, 1e-12);
  for (size_t p = 0; p < g1.size(); ++p) {
    Halide::Buffer<double> a = g1[p], b = g2[p];
    for (size_t i = 0; i < a.number_of_elements(); ++i)
      ASSERT_NEAR(a.data()[i], b.data()[i], 1e-12) << "param " << p << " element " << i;
  }
}

// One SGD step (the update applied) with and without the schedules leaves the
// same parameters (to float64 rounding of a different summation order), and
// moves every one of them.
void expectSchedulesKeepTheStep(const char *source, int batch, int classes, uint64_t seed) {
  JitOptions options;
  options.applyOptimizer = true;
  JitModel scheduled(source, options);
  options.schedule = false;
  JitModel plain(source, options);
  ASSERT_TRUE(scheduled.ok && plain.ok);
  std::mt19937_64 rng(seed);
  RandomData data = randomData(scheduled.lowered, batch, classes, 0.3, rng);
  std::vector<Buffer> before, second;
  for (const Buffer &p : data.params) {
    before.push_back(denseCopy(p));
    second.push_back(denseCopy(p));
  }
  double l1 = scheduled.trainStep(data.params, data.inputs, batch, nullptr);
  double l2 = plain.trainStep(second, data.inputs, batch, nullptr);
  EXPECT_NEAR(l1, l2, 1e-12);
  for (size_t p = 0; p < data.params.size(); ++p) {
    Halide::Buffer<double> a = data.params[p], b = second[p], old = before[p];
    double moved = 0;
    for (size_t i = 0; i < a.number_of_elements(); ++i) {
      ASSERT_NEAR(a.data()[i], b.data()[i], 1e-12) << "param " << p << " element " << i;
      moved = std::max(moved, std::abs(a.data()[i] - old.data()[i]));
    }
    EXPECT_GT(moved, 0) << "param " << p << " was not updated";
  }
}

// A language model whose gradients are clipped to a global norm: each weight
// gradient over the sequence (samples and steps) is a kernel with two outputs,
// the gradient and its square, which computes the product in chunks of
// samples (19 samples here: chunks of 8, 8 and 3).
TEST(GradCheck, ClippedSequenceSchedulesDoNotChangeResults) {
  expectSchedulesKeepTheStep(R"(model m
input ids : i32[batch, 20]
label y : i32[batch, 20]
h = gru(embedding(ids, 11, 5), 48)
loss = softmax_cross_entropy(dense(h, 11), y)
optimizer sgd(lr = 0.5)
clip global_norm(max_norm = 0.01)
)",
                             19, 11, 5);
}

// Products that several outputs read, computed in full by the matmul
// template (usesSharedMatmulTemplate): the first dense layer's kernel yields
// the relu (its gradient reads it) and the dropout after it; with clipping,
// each weight gradient over the batch yields the gradient and its square.
// 19 rows and 48 columns leave both tiles (8 rows, 32 columns) partly empty.
TEST(GradCheck, SharedProductSchedulesDoNotChangeResults) {
  expectSchedulesKeepTheStep(R"(model m
input x : f32[batch, 37]
label y : i32[batch]
h = dropout(relu(dense(x, 48)), rate = 0.3)
loss = softmax_cross_entropy(dense(h, 10), y)
optimizer sgd(lr = 0.5)
clip global_norm(max_norm = 0.01)
)",
                             19, 10, 7);
}

} // namespace

// Recurrent layers with backpropagation through time: every cell, over a
// float sequence and over embeddings, the full sequence (flattened) or the
// last state; 5 units (scan blocks of 1) and 8 (blocks of 8); a batch of 3
// leaves the scan's block of 4 samples partly empty.
struct RecurrentCase {
  const char *name;
  const char *layers;
};

void PrintTo(const RecurrentCase &c, std::ostream *os) { *os << c.name; }

class Recurrent : public ::testing::TestWithParam<RecurrentCase> {};

TEST_P(Recurrent, Gradients) {
  checkGradients(std::string(R"(model m
input x : f32[batch, 4, 3]
label y : i32[batch]
)") + GetParam().layers + R"(
loss = softmax_cross_entropy(dense(h, 3), y)
optimizer sgd(lr = 0.1)
)",
                 3, 3);
}

INSTANTIATE_TEST_SUITE_P(
    GradCheck, Recurrent,
    ::testing::Values(
        RecurrentCase{"RnnSequence", "h = flatten(rnn(x, 5))"},
        RecurrentCase{"RnnLast", "h = rnn(x, 8, return_sequences = false)"},
        RecurrentCase{"LstmSequence", "h = flatten(lstm(x, 5))"},
        RecurrentCase{"LstmLast", "h = lstm(x, 8, return_sequences = false)"},
        RecurrentCase{"GruSequence", "h = flatten(gru(x, 5))"},
        RecurrentCase{"GruLast", "h = gru(x, 8, return_sequences = false)"},
        RecurrentCase{"StackedLstmGru",
                      "h = gru(tanh(lstm(x, 4)), 6, return_sequences = false)"}),
    [](const ::testing::TestParamInfo<RecurrentCase> &info) { return info.param.name; });

// Tokens through an embedding into an LSTM.
TEST(GradCheck, EmbeddingLstm) {
  checkGradients(R"(model m
input ids : i32[batch, 6]
label y : i32[batch]
h = lstm(embedding(ids, 7, 3), 4, return_sequences = false)
loss = softmax_cross_entropy(dense(h, 7), y)
optimizer sgd(lr = 0.1)
)",
                 3, 7);
}

// A label per step: softmax cross-entropy over [N, T, C] logits with [N, T]
// labels (a character model), averaged over every step of every sample.
TEST(GradCheck, SequenceCrossEntropy) {
  checkGradients(R"(model m
input ids : i32[batch, 5]
label y : i32[batch, 5]
h = gru(embedding(ids, 6, 3), 4)
loss = softmax_cross_entropy(dense(h, 6), y)
optimizer sgd(lr = 0.1)
)",
                 3, 6);
}
