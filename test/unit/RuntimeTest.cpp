//===- RuntimeTest.cpp - Tests of the Kiln runtime ------------------------===//
//
// Random streams and initialisers, the IDX reader and its messages, the
// trainer, the checks of an app's buffers and the command line of generated
// binaries. The training tests drive a softmax regression written by hand
// below: a test-only stand-in for generated code, which the product path
// never uses.
//
//===----------------------------------------------------------------------===//

#include "kiln/Cli.h"
#include "kiln/CompiledModel.h"
#include "kiln/Data.h"
#include "kiln/Init.h"
#include "kiln/Model.h"
#include "core/Random.h"
#include "kiln/Tensor.h"
#include "kiln/Trainer.h"
#include "TestFiles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using kiln::testing::readBytes;
using kiln::testing::writeBytes;
using namespace kiln;

namespace {

//===----------------------------------------------------------------------===//
// Random streams
//===----------------------------------------------------------------------===//

TEST(RandomTest, UniformIsTopBitsOfMersenneTwister) {
  // std::mt19937_64 is specified bit for bit, so this pins the conversion.
  std::mt19937_64 engine(42);
  Rng rng(42);
  for (int i = 0; i < 100; ++i) {
    double expected = static_cast<double>(engine() >> 11) / 9007199254740992.0;
    EXPECT_EQ(rng.uniform(), expected);
  }
}

TEST(RandomTest, GoldenValues) {
  // Pinned outputs: a change here changes every seeded run (initial weights,
  // sample order), on every platform. The normals go through libm's log, sqrt
  // and cos/sin, which may differ in the last bit across libms, hence the
  // tolerance; the integer streams must match exactly.
  Rng rng(2024);
  const double normals[] = {0.38190196815831567, -1.3233225100704378, -0.39703874527460181,
                            0.6781730834342744};
  for (double expected : normals)
    EXPECT_NEAR(rng.normal(), expected, 1e-14);
  EXPECT_EQ(epochOrder(10, 1, 0), (std::vector<int64_t>{9, 8, 1, 2, 6, 7, 5, 0, 4, 3}));

  ParamInfo param;
  param.name = "dense0.weight";
  param.shape = {4};
  param.init = "he_normal";
  param.fanIn = 2;
  float values[4];
  ASSERT_TRUE(initParam(param, 1, values));
  const float expectedValues[] = {-0.662074924f, 0.42036882f, -1.29290962f, 0.253429443f};
  for (int i = 0; i < 4; ++i)
    EXPECT_FLOAT_EQ(values[i], expectedValues[i]);
}

TEST(RandomTest, NormalHasUnitMomentsAndIsDeterministic) {
  Rng rng(7), again(7);
  const int n = 200000;
  double sum = 0, sumSquares = 0;
  for (int i = 0; i < n; ++i) {
    double value = rng.normal();
    ASSERT_EQ(value, again.normal());
    sum += value;
    sumSquares += value * value;
  }
  double mean = sum / n;
  double variance = sumSquares / n - mean * mean;
  // Standard error of the mean is 1/sqrt(n) ~ 0.0022, of the variance
  // sqrt(2/n) ~ 0.0032: five of them each.
  EXPECT_NEAR(mean, 0.0, 0.011);
  EXPECT_NEAR(variance, 1.0, 0.016);
}

TEST(RandomTest, BelowStaysInRangeAndCoversIt) {
  Rng rng(3);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 60000; ++i) {
    uint64_t value = rng.below(6);
    ASSERT_LT(value, 6u);
    ++counts[value];
  }
  // Each count is ~10000 with standard deviation ~91.
  for (int count : counts)
    EXPECT_NEAR(count, 10000, 500);
}

TEST(RandomTest, EpochOrderIsADeterministicPermutation) {
  std::vector<int64_t> order = epochOrder(1000, 5, 0);
  EXPECT_EQ(order, epochOrder(1000, 5, 0));
  EXPECT_NE(order, epochOrder(1000, 5, 1));
  EXPECT_NE(order, epochOrder(1000, 6, 0));

  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), int64_t(0));
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(order, identity);
}

TEST(RandomTest, ShuffleOfSmallVectors) {
  Rng rng(1);
  std::vector<int64_t> empty, one = {9};
  shuffle(empty, rng);
  shuffle(one, rng);
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(one, std::vector<int64_t>{9});

  // Every permutation of three elements shows up, about equally often.
  std::map<std::vector<int64_t>, int> seen;
  for (int i = 0; i < 6000; ++i) {
    std::vector<int64_t> values = {0, 1, 2};
    shuffle(values, rng);
    ++seen[values];
  }
  EXPECT_EQ(seen.size(), 6u);
  for (const auto &[permutation, count] : seen)
    EXPECT_NEAR(count, 1000, 150);
}

//===----------------------------------------------------------------------===//
// Initialisers
//===----------------------------------------------------------------------===//

ParamInfo makeParam(std::string name, std::string init, int64_t fanIn, int64_t fanOut) {
  ParamInfo param;
  param.name = std::move(name);
  param.shape = {fanIn, fanOut};
  param.init = std::move(init);
  param.fanIn = fanIn;
  param.fanOut = fanOut;
  return param;
}

struct Moments {
  double mean, stddev, minValue, maxValue;
};

Moments momentsOf(const std::vector<float> &values) {
  double sum = 0, sumSquares = 0;
  for (float v : values) {
    sum += v;
    sumSquares += double(v) * v;
  }
  double mean = sum / values.size();
  return {mean, std::sqrt(sumSquares / values.size() - mean * mean),
          *std::min_element(values.begin(), values.end()),
          *std::max_element(values.begin(), values.end())};
}

struct InitCase {
  const char *init;
  double expectedStd; // for fanIn 400, fanOut 200
  double bound;       // uniform bound, 0 for normal
};

class InitTest : public ::testing::TestWithParam<InitCase> {};

TEST_P(InitTest, StatisticsMatchTheRule) {
  const InitCase &c = GetParam();
  ParamInfo param = makeParam("w", c.init, 400, 200);
  std::vector<float> values(param.numElements());
  ASSERT_TRUE(initParam(param, 11, values.data()));

  Moments m = momentsOf(values);
  // 80000 samples: the mean's standard error is std/283, the std's ~std/400;
  // allow about five of each.
  EXPECT_NEAR(m.mean, 0.0, c.expectedStd * 0.02);
  EXPECT_NEAR(m.stddev, c.expectedStd, c.expectedStd * 0.015);
  if (c.bound > 0) {
    EXPECT_GE(m.minValue, -c.bound);
    EXPECT_LE(m.maxValue, c.bound);
    EXPECT_GT(m.maxValue, 0.99 * c.bound);
    EXPECT_LT(m.minValue, -0.99 * c.bound);
  } else {
    // A normal sample of 80000 reaches beyond 3.5 standard deviations.
    EXPECT_GT(m.maxValue, 3.5 * c.expectedStd);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllRules, InitTest,
    ::testing::Values(InitCase{"he_normal", std::sqrt(2.0 / 400), 0},
                      InitCase{"he_uniform", std::sqrt(2.0 / 400), std::sqrt(6.0 / 400)},
                      InitCase{"xavier_normal", std::sqrt(2.0 / 600), 0},
                      InitCase{"xavier_uniform", std::sqrt(2.0 / 600), std::sqrt(6.0 / 600)}));

TEST(InitTest, ZerosAreZero) {
  ParamInfo param = makeParam("b", "zeros", 0, 0);
  param.shape = {17};
  std::vector<float> values(17, 5.0f);
  ASSERT_TRUE(initParam(param, 1, values.data()));
  EXPECT_EQ(values, std::vector<float>(17, 0.0f));
}

TEST(InitTest, DeterministicPerSeedAndIndependentOfOtherParameters) {
  ModelInfo one, two;
  one.params = {makeParam("dense1.weight", "he_normal", 30, 20)};
  two.params = {makeParam("dense0.weight", "xavier_uniform", 10, 30), one.params[0]};

  ParameterStore a(one), b(one), c(one), d(two);
  ASSERT_TRUE(a.initialize(5));
  ASSERT_TRUE(b.initialize(5));
  ASSERT_TRUE(c.initialize(6));
  ASSERT_TRUE(d.initialize(5));
  EXPECT_EQ(a.values(0), b.values(0));
  EXPECT_NE(a.values(0), c.values(0));
  EXPECT_EQ(a.values(0), d.values(d.find("dense1.weight")));
  EXPECT_EQ(d.numElements(), 300 + 600);
  EXPECT_EQ(d.pointers()[1], d.values(1).data());
}

TEST(InitTest, MissingFanIsAnError) {
  ModelInfo info;
  info.params = {makeParam("dense0.weight", "he_normal", 0, 10)};
  info.params[0].shape = {4, 10};
  ParameterStore store(info);
  Status status = store.initialize(1);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), "parameter 'dense0.weight': he_normal initialisation needs a "
                            "positive fan, got fanIn 0 and fanOut 10");
}

TEST(InitTest, UnknownSchemeIsAnErrorAndWritesNothing) {
  ParamInfo param = makeParam("dense0.weight", "bogus", 3, 4);
  std::vector<float> values(12, 5.0f);
  Status status = initParam(param, 1, values.data());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), "parameter 'dense0.weight': unknown initializer 'bogus' (known: zeros, "
                            "ones, constant(v), uniform(low, high), normal(mean, std), he_normal, "
                            "he_uniform, xavier_normal, xavier_uniform)");
  EXPECT_EQ(values, std::vector<float>(12, 5.0f));
}

//===----------------------------------------------------------------------===//
// Initialiser specs
//===----------------------------------------------------------------------===//

TEST(ParseInitTest, Names) {
  using Kind = InitSpec::Kind;
  struct Case {
    const char *text;
    Kind kind;
    double a;
  };
  const Case cases[] = {{"zeros", Kind::Constant, 0},
                        {"ones", Kind::Constant, 1},
                        {"he_normal", Kind::HeNormal, 0},
                        {"he_uniform", Kind::HeUniform, 0},
                        {"xavier_normal", Kind::XavierNormal, 0},
                        {"xavier_uniform", Kind::XavierUniform, 0}};
  for (const Case &c : cases) {
    Result<InitSpec> spec = parseInit(c.text);
    ASSERT_TRUE(spec) << c.text << ": " << spec.error();
    EXPECT_EQ(spec->kind, c.kind) << c.text;
    EXPECT_EQ(spec->a, c.a) << c.text;
  }
}

TEST(ParseInitTest, SchemesWithNumbers) {
  using Kind = InitSpec::Kind;
  struct Case {
    const char *text;
    Kind kind;
    double a, b;
  };
  const Case cases[] = {
      {"constant(0.25)", Kind::Constant, 0.25, 0},
      {"constant(-3)", Kind::Constant, -3, 0},
      {"constant(+2)", Kind::Constant, 2, 0},
      {"uniform(-0.1, 0.1)", Kind::Uniform, -0.1, 0.1},
      {"uniform(-1e-3,2E-3)", Kind::Uniform, -1e-3, 2e-3},
      {"normal(0, 0.01)", Kind::Normal, 0, 0.01},
      {"normal( 1.5 ,\t2 )", Kind::Normal, 1.5, 2},
  };
  for (const Case &c : cases) {
    Result<InitSpec> spec = parseInit(c.text);
    ASSERT_TRUE(spec) << c.text << ": " << spec.error();
    EXPECT_EQ(spec->kind, c.kind) << c.text;
    EXPECT_EQ(spec->a, c.a) << c.text;
    EXPECT_EQ(spec->b, c.b) << c.text;
  }
}

TEST(ParseInitTest, Errors) {
  const std::string known = " (known: zeros, ones, constant(v), uniform(low, high), "
                            "normal(mean, std), he_normal, he_uniform, xavier_normal, "
                            "xavier_uniform)";
  const std::pair<const char *, std::string> cases[] = {
      // Names the compiler maps to canonical ones never reach the runtime.
      {"", "unknown initializer ''" + known},
      {"kaiming_normal", "unknown initializer 'kaiming_normal'" + known},
      {"He_Normal", "unknown initializer 'He_Normal'" + known},
      {"zeros()", "unknown initializer 'zeros()'" + known},
      {"laplace(0, 1)", "unknown initializer 'laplace(0, 1)'" + known},
      {"uniform", "unknown initializer 'uniform'" + known},
      {"constant (1)", "unknown initializer 'constant (1)'" + known},
      {"constant(1", "initializer 'constant(1': expected ')' at the end"},
      {"constant()", "initializer 'constant()' takes 1 number, got 0"},
      {"constant( )", "initializer 'constant( )' takes 1 number, got 0"},
      {"constant(1, 2)", "initializer 'constant(1, 2)' takes 1 number, got 2"},
      {"uniform(1)", "initializer 'uniform(1)' takes 2 numbers, got 1"},
      {"normal(0, 1, 2)", "initializer 'normal(0, 1, 2)' takes 2 numbers, got 3"},
      {"constant(abc)", "initializer 'constant(abc)': expected a finite number, got 'abc'"},
      {"constant(1x)", "initializer 'constant(1x)': expected a finite number, got '1x'"},
      {"constant(1 2)", "initializer 'constant(1 2)': expected a finite number, got '1 2'"},
      {"constant(nan)", "initializer 'constant(nan)': expected a finite number, got 'nan'"},
      {"uniform(-inf, 0)", "initializer 'uniform(-inf, 0)': expected a finite number, got '-inf'"},
      {"uniform(0,)", "initializer 'uniform(0,)': expected a finite number, got ''"},
      {"uniform(,1)", "initializer 'uniform(,1)': expected a finite number, got ''"},
      {"constant(+)", "initializer 'constant(+)': expected a finite number, got '+'"},
      {"uniform(1, -1)", "initializer 'uniform(1, -1)' needs low < high"},
      {"uniform(2, 2)", "initializer 'uniform(2, 2)' needs low < high"},
      {"normal(0, 0)", "initializer 'normal(0, 0)' needs a positive standard deviation"},
      {"normal(0, -1)", "initializer 'normal(0, -1)' needs a positive standard deviation"},
  };
  for (const auto &[text, message] : cases) {
    Result<InitSpec> spec = parseInit(text);
    ASSERT_FALSE(spec) << "'" << text << "' parsed";
    EXPECT_EQ(spec.error(), message);
  }
}

TEST(InitTest, ConstantsAreExact) {
  const std::pair<const char *, float> cases[] = {
      {"zeros", 0.0f}, {"ones", 1.0f}, {"constant(0.25)", 0.25f}, {"constant(-1e-3)", -1e-3f}};
  for (const auto &[init, value] : cases) {
    ParamInfo param = makeParam("b", init, 0, 0);
    param.shape = {3, 5};
    std::vector<float> values(15, 7.0f);
    ASSERT_TRUE(initParam(param, 1, values.data())) << init;
    EXPECT_EQ(values, std::vector<float>(15, value)) << init;
  }
}

TEST(InitTest, ScalarParameterHasOneElement) {
  // A PReLU slope: rank 0, one value.
  ModelInfo info;
  info.params = {makeParam("prelu0.slope", "constant(0.25)", 1, 1)};
  info.params[0].shape = {};
  ParameterStore store(info);
  ASSERT_TRUE(store.initialize(3));
  EXPECT_EQ(store.values(0), std::vector<float>{0.25f});
}

TEST(InitTest, UniformStaysInRangeWithMeanInTheMiddle) {
  ParamInfo param = makeParam("w", "uniform(-0.3, 0.7)", 100, 200);
  std::vector<float> values(param.numElements());
  ASSERT_TRUE(initParam(param, 4, values.data()));
  Moments m = momentsOf(values);
  // 20000 draws of U(-0.3, 0.7): std 1/sqrt(12) = 0.2887; the mean's standard
  // error is 0.0020 and the std's 0.0009 (kurtosis 1.8); five of each.
  EXPECT_GE(m.minValue, -0.3f);
  EXPECT_LT(m.maxValue, 0.7f);
  EXPECT_NEAR(m.mean, 0.2, 0.0102);
  EXPECT_NEAR(m.stddev, 1 / std::sqrt(12.0), 0.0046);
  // The whole interval is covered: gaps at the ends are ~1/20000 wide.
  EXPECT_LT(m.minValue, -0.299);
  EXPECT_GT(m.maxValue, 0.699);
}

TEST(InitTest, NormalMatchesMeanAndStd) {
  ParamInfo param = makeParam("w", "normal(2, 0.5)", 100, 200);
  std::vector<float> values(param.numElements());
  ASSERT_TRUE(initParam(param, 4, values.data()));
  Moments m = momentsOf(values);
  // 20000 draws: the mean's standard error is 0.5/141 = 0.0035, the std's
  // 0.5/200 = 0.0025; five of each.
  EXPECT_NEAR(m.mean, 2.0, 0.0177);
  EXPECT_NEAR(m.stddev, 0.5, 0.0125);
  // 68.27% lie within one std; the fraction's standard error is 0.0033.
  int64_t within = std::count_if(values.begin(), values.end(),
                                 [](float v) { return std::abs(v - 2.0f) < 0.5f; });
  EXPECT_NEAR(double(within) / values.size(), 0.6827, 0.0165);
}

TEST(InitTest, RandomSchemesAreSeededPerName) {
  for (const char *init : {"uniform(-1, 1)", "normal(0, 1)"}) {
    ParamInfo a = makeParam("a", init, 10, 10), b = makeParam("b", init, 10, 10);
    std::vector<float> first(100), again(100), other(100), otherSeed(100);
    ASSERT_TRUE(initParam(a, 8, first.data()));
    ASSERT_TRUE(initParam(a, 8, again.data()));
    ASSERT_TRUE(initParam(b, 8, other.data()));
    ASSERT_TRUE(initParam(a, 9, otherSeed.data()));
    EXPECT_EQ(first, again) << init;
    EXPECT_NE(first, other) << init;
    EXPECT_NE(first, otherSeed) << init;
  }
}

TEST(InitTest, ConvolutionFiltersUseTheirReceptiveField) {
  // A filter [O=32, C=16, KH=5, KW=5]: fanIn C*KH*KW = 400, fanOut
  // O*KH*KW = 800, as the compiler fills them in. Were the shape's first two
  // dimensions taken as the fans, the scales below would be off by 2x to 4x.
  struct Case {
    const char *init;
    double expectedStd;
    double bound; // 0 for normal
  };
  const Case cases[] = {{"he_normal", std::sqrt(2.0 / 400), 0},
                        {"he_uniform", std::sqrt(2.0 / 400), std::sqrt(6.0 / 400)},
                        {"xavier_normal", std::sqrt(2.0 / 1200), 0},
                        {"xavier_uniform", std::sqrt(2.0 / 1200), std::sqrt(6.0 / 1200)}};
  for (const Case &c : cases) {
    ParamInfo param = makeParam("conv0.weight", c.init, 400, 800);
    param.shape = {32, 16, 5, 5};
    std::vector<float> values(param.numElements());
    ASSERT_EQ(values.size(), 12800u);
    ASSERT_TRUE(initParam(param, 2, values.data())) << c.init;
    Moments m = momentsOf(values);
    // 12800 draws: the std's standard error is under std/160 (normal) and
    // std/250 (uniform), the mean's std/113; five of each.
    EXPECT_NEAR(m.stddev, c.expectedStd, c.expectedStd * 0.032) << c.init;
    EXPECT_NEAR(m.mean, 0.0, c.expectedStd * 0.045) << c.init;
    if (c.bound > 0) {
      EXPECT_GE(m.minValue, -c.bound) << c.init;
      EXPECT_LT(m.maxValue, c.bound) << c.init;
    }
  }
}

TEST(InitTest, VectorParameterUsesItsLengthAsFan) {
  // Rank 1: the compiler sets fanIn = fanOut = n.
  ParamInfo param = makeParam("norm0.weight", "he_uniform", 7, 7);
  param.shape = {7};
  std::vector<float> values(7);
  ASSERT_TRUE(initParam(param, 5, values.data()));
  double bound = std::sqrt(6.0 / 7);
  for (float v : values) {
    EXPECT_GE(v, -bound);
    EXPECT_LT(v, bound);
  }
  EXPECT_NE(values, std::vector<float>(7, values[0]));
}

//===----------------------------------------------------------------------===//
// IDX files
//===----------------------------------------------------------------------===//

void putBigEndian(std::string &bytes, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    bytes.push_back(static_cast<char>((value >> shift) & 0xff));
}

std::string idxHeader(uint32_t magic, const std::vector<uint32_t> &dims) {
  std::string bytes;
  putBigEndian(bytes, magic);
  for (uint32_t dim : dims)
    putBigEndian(bytes, dim);
  return bytes;
}

void writeImages(const fs::path &path, uint32_t count, uint32_t rows, uint32_t cols,
                 const std::vector<uint8_t> &pixels) {
  writeBytes(path, idxHeader(IdxImageMagic, {count, rows, cols}) +
                       std::string(pixels.begin(), pixels.end()));
}

void writeLabels(const fs::path &path, const std::vector<uint8_t> &labels) {
  writeBytes(path, idxHeader(IdxLabelMagic, {static_cast<uint32_t>(labels.size())}) +
                       std::string(labels.begin(), labels.end()));
}

using kiln::testing::TempDirTest;

using IdxTest = TempDirTest;

TEST_F(IdxTest, ReadsImagesAsFractions) {
  writeImages(path("images"), 2, 1, 3, {0, 51, 255, 1, 2, 3});
  Result<IdxImages> images = readIdxImages(path("images"));
  ASSERT_TRUE(images) << images.error();
  EXPECT_EQ(images->count, 2);
  EXPECT_EQ(images->rows, 1);
  EXPECT_EQ(images->cols, 3);
  ASSERT_EQ(images->pixels.size(), 6u);
  EXPECT_EQ(images->pixels[0], 0.0f);
  EXPECT_FLOAT_EQ(images->pixels[1], 0.2f);
  EXPECT_EQ(images->pixels[2], 1.0f);
  EXPECT_FLOAT_EQ(images->pixels[5], 3.0f / 255.0f);
}

TEST_F(IdxTest, ReadsLabels) {
  writeLabels(path("labels"), {3, 0, 9});
  Result<std::vector<int32_t>> labels = readIdxLabels(path("labels"), 10);
  ASSERT_TRUE(labels) << labels.error();
  EXPECT_EQ(*labels, (std::vector<int32_t>{3, 0, 9}));
}

TEST_F(IdxTest, BadMagic) {
  writeBytes(path("train-images-idx3-ubyte"), idxHeader(0x00000802, {1, 1, 1}) + "x");
  Result<IdxImages> images = readIdxImages(path("train-images-idx3-ubyte"));
  ASSERT_FALSE(images);
  EXPECT_EQ(images.error(), path("train-images-idx3-ubyte") +
                                ": bad magic number 0x00000802 (expected 0x00000803 for an "
                                "image file)");

  // A label file where images are expected, and the other way round.
  writeLabels(path("labels"), {1});
  EXPECT_EQ(readIdxImages(path("labels")).error(),
            path("labels") + ": bad magic number 0x00000801 (expected 0x00000803 for an image "
                             "file)");
  writeImages(path("images"), 1, 1, 1, {0});
  EXPECT_EQ(readIdxLabels(path("images"), 10).error(),
            path("images") + ": bad magic number 0x00000803 (expected 0x00000801 for a label "
                             "file)");
}

TEST_F(IdxTest, TruncatedData) {
  writeImages(path("images"), 3, 2, 2, std::vector<uint8_t>(10, 7));
  Result<IdxImages> images = readIdxImages(path("images"));
  ASSERT_FALSE(images);
  EXPECT_EQ(images.error(), path("images") + ": truncated: header says 3 images of 2x2 (12 "
                                             "bytes) but the file holds 10 bytes of data; "
                                             "record 2 is incomplete");

  writeBytes(path("labels"), idxHeader(IdxLabelMagic, {5}) + "abc");
  EXPECT_EQ(readIdxLabels(path("labels"), 0).error(),
            path("labels") + ": truncated: header says 5 labels (5 bytes) but the file holds 3 "
                             "bytes of data; record 3 is incomplete");
}

TEST_F(IdxTest, TruncatedHeader) {
  writeBytes(path("images"), idxHeader(IdxImageMagic, {60000}));
  EXPECT_EQ(readIdxImages(path("images")).error(),
            path("images") + ": truncated: the file holds 8 bytes, fewer than the 16-byte "
                             "header of an IDX image file");
  writeBytes(path("empty"), "");
  EXPECT_EQ(readIdxLabels(path("empty"), 10).error(),
            path("empty") + ": truncated: the file holds 0 bytes, fewer than the 8-byte header "
                            "of an IDX label file");
}

TEST_F(IdxTest, TrailingData) {
  writeLabels(path("labels"), {1, 2});
  std::ofstream(path("labels"), std::ios::binary | std::ios::app) << "zz";
  EXPECT_EQ(readIdxLabels(path("labels"), 10).error(),
            path("labels") + ": header says 2 labels (2 bytes) but the file holds 4 bytes of "
                             "data: 2 trailing bytes at offset 10");
}

TEST_F(IdxTest, HugeHeaderDoesNotOverflow) {
  writeBytes(path("images"), idxHeader(IdxImageMagic, {0xffffffff, 0xffffffff, 0xffffffff}));
  Result<IdxImages> images = readIdxImages(path("images"));
  ASSERT_FALSE(images);
  EXPECT_NE(images.error().find("truncated: header says 4294967295 images of "
                                "4294967295x4294967295"),
            std::string::npos)
      << images.error();
}

TEST_F(IdxTest, LabelOutOfRange) {
  std::vector<uint8_t> labels(20, 1);
  labels[17] = 12;
  writeLabels(path("train-labels-idx1-ubyte"), labels);
  Result<std::vector<int32_t>> result = readIdxLabels(path("train-labels-idx1-ubyte"), 10);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(),
            path("train-labels-idx1-ubyte") + ": record 17: label 12 out of range [0, 10)");
  // Without a class count any byte is a label.
  EXPECT_TRUE(readIdxLabels(path("train-labels-idx1-ubyte"), 0));
}

TEST_F(IdxTest, CountMismatch) {
  writeImages(path("images"), 3, 1, 1, {1, 2, 3});
  writeLabels(path("labels"), {0, 1});
  Result<Dataset> data = loadIdxDataset(path("images"), path("labels"), 10);
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error(),
            path("labels") + ": holds 2 labels but " + path("images") + " holds 3 images");
}

TEST_F(IdxTest, CannotOpen) {
  Result<IdxImages> images = readIdxImages(path("missing"));
  ASSERT_FALSE(images);
  EXPECT_EQ(images.error(), path("missing") + ": cannot open: No such file or directory");
}

TEST_F(IdxTest, DatasetTruncate) {
  writeImages(path("images"), 3, 1, 2, {1, 2, 3, 4, 5, 6});
  writeLabels(path("labels"), {0, 1, 2});
  Result<Dataset> data = loadIdxDataset(path("images"), path("labels"), 10);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->features, 2);
  EXPECT_EQ(data->source, path("images"));
  data->truncate(2);
  EXPECT_EQ(data->count, 2);
  EXPECT_EQ(data->x.size(), 4u);
  EXPECT_EQ(data->y, (std::vector<int32_t>{0, 1}));
  data->truncate(5);
  EXPECT_EQ(data->count, 2);
}

//===----------------------------------------------------------------------===//
// CSV files
//===----------------------------------------------------------------------===//

using CsvTest = TempDirTest;

TEST_F(CsvTest, FloatTargetsFromTheEndOfEachRow) {
  writeBytes(path("data.csv"), "1,2,3\n4,5.5,-6e-1\n");
  Result<Dataset> data = loadCsvDataset(path("data.csv"));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->count, 2);
  EXPECT_EQ(data->features, 2);
  EXPECT_EQ(data->targetFeatures, 1);
  EXPECT_EQ(data->x, (std::vector<float>{1, 2, 4, 5.5f}));
  EXPECT_EQ(data->targets, (std::vector<float>{3, -0.6f}));
  EXPECT_TRUE(data->y.empty());
  EXPECT_EQ(data->source, path("data.csv"));

  CsvOptions two;
  two.targetColumns = 2;
  data = loadCsvDataset(path("data.csv"), two);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->features, 1);
  EXPECT_EQ(data->targetFeatures, 2);
  EXPECT_EQ(data->x, (std::vector<float>{1, 4}));
  EXPECT_EQ(data->targets, (std::vector<float>{2, 3, 5.5f, -0.6f}));
}

TEST_F(CsvTest, ClassLabelsInAnyColumn) {
  // iris.csv of scikit-learn: a header of counts and class names, the
  // label last.
  writeBytes(path("iris.csv"), "150,4,setosa,versicolor,virginica\n"
                               "5.1,3.5,1.4,0.2,0\n"
                               "7.0,3.2,4.7,1.4,1\n"
                               "6.3,3.3,6.0,2.5,2.0\n");
  CsvOptions labels;
  labels.intLabels = true;
  Result<Dataset> data = loadCsvDataset(path("iris.csv"), labels);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->count, 3);
  EXPECT_EQ(data->features, 4);
  EXPECT_EQ(data->targetFeatures, 0);
  EXPECT_EQ(data->y, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_TRUE(data->targets.empty());
  EXPECT_EQ(data->x[4], 7.0f);

  // The label first, features around it kept in order.
  writeBytes(path("first.csv"), "2,10,20\n0,30,40\n");
  labels.labelColumn = 0;
  data = loadCsvDataset(path("first.csv"), labels);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->y, (std::vector<int32_t>{2, 0}));
  EXPECT_EQ(data->x, (std::vector<float>{10, 20, 30, 40}));

  // A float target in the middle.
  CsvOptions middle;
  middle.labelColumn = 1;
  data = loadCsvDataset(path("first.csv"), middle);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->targetFeatures, 1);
  EXPECT_EQ(data->targets, (std::vector<float>{10, 30}));
  EXPECT_EQ(data->x, (std::vector<float>{2, 20, 0, 40}));
}

TEST_F(CsvTest, WhitespaceSeparatedWithBlankLinesAndCrlf) {
  // diabetes_data_raw.csv of scikit-learn separates by single spaces; runs of
  // blanks and tabs, CRLF line ends and blank lines are read alike.
  writeBytes(path("raw.csv"), "59 2 32.1 101.0\r\n\r\n  48\t1  21.6 +8.7e1  \r\n\n");
  Result<Dataset> data = loadCsvDataset(path("raw.csv"));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->count, 2);
  EXPECT_EQ(data->features, 3);
  EXPECT_EQ(data->x, (std::vector<float>{59, 2, 32.1f, 48, 1, 21.6f}));
  EXPECT_EQ(data->targets, (std::vector<float>{101, 87}));
}

TEST_F(CsvTest, HeaderAndExplicitDelimiter) {
  writeBytes(path("semi.csv"), "age;bmi;target\n1;2;3\n4 ; 5 ; 6\n");
  CsvOptions options;
  options.delimiter = ';';
  Result<Dataset> data = loadCsvDataset(path("semi.csv"), options);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->count, 2);
  EXPECT_EQ(data->x, (std::vector<float>{1, 2, 4, 5}));
  EXPECT_EQ(data->targets, (std::vector<float>{3, 6}));

  // Comma-separated with spaces around cells; the header quoted.
  writeBytes(path("spaced.csv"), "\"a\", \"b\"\n 1 , 2 \n");
  data = loadCsvDataset(path("spaced.csv"));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->x, std::vector<float>{1});
  EXPECT_EQ(data->targets, std::vector<float>{2});
}

TEST_F(CsvTest, WrongNumberOfColumns) {
  // A header, 15 good rows, and a short row on line 17.
  std::string text = "a,b,c,d,e,f,g,h,i,j,target\n";
  for (int row = 0; row < 15; ++row)
    text += "1,2,3,4,5,6,7,8,9,10,11\n";
  text += "1,2,3,4,5,6,7,8,9,10\n";
  writeBytes(path("data.csv"), text);
  Result<Dataset> data = loadCsvDataset(path("data.csv"));
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error(), path("data.csv") + ":17: expected 11 columns, got 10");

  // Blank lines count; a long row is wrong too.
  writeBytes(path("long.csv"), "1 2\n\n3 4 5\n");
  EXPECT_EQ(loadCsvDataset(path("long.csv")).error(),
            path("long.csv") + ":3: expected 2 columns, got 3");
}

TEST_F(CsvTest, BadCells) {
  writeBytes(path("data.csv"), "x,y,t\n1,2,3\n4,abc,6\n");
  EXPECT_EQ(loadCsvDataset(path("data.csv")).error(),
            path("data.csv") + ":3: column 2: expected a number, got 'abc'");
  // A header is only ever the first line.
  writeBytes(path("data.csv"), "1,2,3\nx,y,t\n");
  EXPECT_EQ(loadCsvDataset(path("data.csv")).error(),
            path("data.csv") + ":2: column 1: expected a number, got 'x'");
  writeBytes(path("data.csv"), "1,2,3\n1,2,\n");
  EXPECT_EQ(loadCsvDataset(path("data.csv")).error(),
            path("data.csv") + ":2: column 3: expected a number, got ''");
  writeBytes(path("data.csv"), "1,2,3\n4,nan,6\n");
  EXPECT_EQ(loadCsvDataset(path("data.csv")).error(),
            path("data.csv") + ":2: column 2: expected a finite number, got 'nan'");
  writeBytes(path("data.csv"), "1,2,3\n4,1e999,6\n");
  EXPECT_EQ(loadCsvDataset(path("data.csv")).error(),
            path("data.csv") + ":2: column 2: expected a number, got '1e999'");
}

TEST_F(CsvTest, BadClassLabels) {
  CsvOptions labels;
  labels.intLabels = true;
  for (const char *label : {"2.5", "-1", "3e10"}) {
    writeBytes(path("data.csv"), std::string("1,2,0\n3,4,") + label + "\n");
    EXPECT_EQ(loadCsvDataset(path("data.csv"), labels).error(),
              path("data.csv") +
                  ":2: column 3: a class label must be a non-negative integer, "
                  "got '" +
                  label + "'");
  }
}

TEST_F(CsvTest, EmptyFilesAndBadOptions) {
  writeBytes(path("empty.csv"), "");
  EXPECT_EQ(loadCsvDataset(path("empty.csv")).error(), path("empty.csv") + ": empty file");
  writeBytes(path("blank.csv"), "\n  \r\n\t\n");
  EXPECT_EQ(loadCsvDataset(path("blank.csv")).error(), path("blank.csv") + ": empty file");
  writeBytes(path("header.csv"), "age,bmi,target\n\n");
  EXPECT_EQ(loadCsvDataset(path("header.csv")).error(),
            path("header.csv") + ": no samples after the header line");
  EXPECT_EQ(loadCsvDataset(path("missing.csv")).error(),
            path("missing.csv") + ": cannot open: No such file or directory");

  writeBytes(path("data.csv"), "h1,h2,h3\n1,2,3\n");
  CsvOptions options;
  options.targetColumns = 3;
  EXPECT_EQ(loadCsvDataset(path("data.csv"), options).error(),
            path("data.csv") + ":2: rows of 3 columns leave no features after 3 target columns");
  options.targetColumns = -1;
  EXPECT_EQ(loadCsvDataset(path("data.csv"), options).error(),
            path("data.csv") + ": target columns must be at least 0, got -1");
  // No target columns: features only, as predict reads them.
  options.targetColumns = 0;
  Result<Dataset> features = loadCsvDataset(path("data.csv"), options);
  ASSERT_TRUE(features) << features.error();
  EXPECT_EQ(features->features, 3);
  EXPECT_EQ(features->targetFeatures, 0);
  EXPECT_EQ(features->x, (std::vector<float>{1, 2, 3}));
  options.targetColumns = 2;
  options.intLabels = true;
  EXPECT_EQ(loadCsvDataset(path("data.csv"), options).error(),
            path("data.csv") + ": class labels need exactly one target column, got 2");
  options = {};
  options.labelColumn = 3;
  EXPECT_EQ(loadCsvDataset(path("data.csv"), options).error(),
            path("data.csv") + ":2: label column 3 (counted from 0) does not exist in rows of 3 "
                               "columns");
}

TEST_F(CsvTest, ReadsTheDiabetesFileOfTheFetchScript) {
  // What scripts/fetch-diabetes.sh writes: ten features, the target last,
  // in scikit-learn's spelling of numbers.
  writeBytes(path("diabetes.csv"),
             "59,2,32.1,101.0,157,93.2,38.0,4.0,4.8598,87,1.510000000000000000e+02\n"
             "48,1,21.6,87.0,183,103.2,70.0,3.0,3.8918,69,7.500000000000000000e+01\n");
  Result<Dataset> data = loadCsvDataset(path("diabetes.csv"));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->features, 10);
  EXPECT_EQ(data->targets, (std::vector<float>{151, 75}));
  EXPECT_FLOAT_EQ(data->x[18], 3.8918f);
}

//===----------------------------------------------------------------------===//
// Datasets: checks, truncation, standardization, splits
//===----------------------------------------------------------------------===//

/// `count` samples of `features` features and `targetFeatures` float targets
/// (class labels when 0): feature j of sample i is 100 i + j, target k is
/// 1000 i + k, the label i % 3.
Dataset makeDataset(int64_t count, int64_t features, int64_t targetFeatures) {
  Dataset data;
  data.count = count;
  data.features = features;
  data.targetFeatures = targetFeatures;
  data.source = "made.csv";
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t j = 0; j < features; ++j)
      data.x.push_back(static_cast<float>(100 * i + j));
    for (int64_t k = 0; k < targetFeatures; ++k)
      data.targets.push_back(static_cast<float>(1000 * i + k));
    if (targetFeatures == 0)
      data.y.push_back(static_cast<int32_t>(i % 3));
  }
  return data;
}

ModelInfo regressionInfo(int64_t features, int64_t outputs) {
  ModelInfo info;
  info.name = "reg";
  info.task = "regression";
  info.inputFeatures = features;
  info.outputFeatures = outputs;
  info.targetFeatures = outputs;
  return info;
}

TEST(DatasetTest, TruncateKeepsTargetsInStep) {
  Dataset data = makeDataset(5, 2, 3);
  data.truncate(2);
  EXPECT_EQ(data.count, 2);
  EXPECT_EQ(data.x.size(), 4u);
  EXPECT_EQ(data.targets, (std::vector<float>{0, 1, 2, 1000, 1001, 1002}));
}

TEST(DatasetTest, CheckMatchesTargetsToTheModel) {
  ModelInfo reg = regressionInfo(2, 1);
  EXPECT_TRUE(checkDataset(makeDataset(4, 2, 1), reg));
  EXPECT_EQ(checkDataset(makeDataset(4, 2, 0), reg).error(),
            "made.csv: samples have class labels (0 float targets) but model 'reg' takes 1 "
            "float target");
  EXPECT_EQ(checkDataset(makeDataset(4, 2, 2), reg).error(),
            "made.csv: samples have 2 float targets but model 'reg' takes 1 float target");

  ModelInfo classifier;
  classifier.name = "cls";
  classifier.inputFeatures = 2;
  classifier.numClasses = 3;
  classifier.outputFeatures = 3;
  EXPECT_TRUE(checkDataset(makeDataset(4, 2, 0), classifier));
  EXPECT_EQ(checkDataset(makeDataset(4, 2, 1), classifier).error(),
            "made.csv: samples have 1 float target but model 'cls' takes class labels (0 float "
            "targets)");
  // One-hot rows for a categorical cross-entropy.
  classifier.targetFeatures = 3;
  EXPECT_TRUE(checkDataset(makeDataset(4, 2, 3), classifier));

  Dataset broken = makeDataset(4, 2, 1);
  broken.targets.pop_back();
  EXPECT_EQ(checkDataset(broken, reg).error(),
            "made.csv: inconsistent dataset: 4 samples but 8 feature values, 0 labels and 3 "
            "target values");
}

TEST(DatasetTest, CheckRejectsModelsItCannotMeasure) {
  ModelInfo info = regressionInfo(2, 1);
  info.task = "ranking";
  EXPECT_EQ(checkDataset(makeDataset(4, 2, 1), info).error(),
            "model 'reg' has unknown task 'ranking' (known: classification, binary, regression)");
  info.task = "binary";
  info.outputFeatures = 2;
  EXPECT_EQ(checkDataset(makeDataset(4, 2, 1), info).error(),
            "model 'reg': task binary needs one float target per output, got 2 outputs and 1 "
            "float targets");
  ModelInfo classifier;
  classifier.name = "cls";
  classifier.inputFeatures = 2;
  classifier.numClasses = 3;
  classifier.outputFeatures = 4;
  EXPECT_EQ(checkDataset(makeDataset(4, 2, 0), classifier).error(),
            "model 'cls': a classifier needs as many outputs as classes per label, got 4 "
            "outputs, 3 classes and 1 labels per sample");
  classifier.outputFeatures = 3;
  classifier.targetFeatures = 2;
  EXPECT_EQ(checkDataset(makeDataset(4, 2, 2), classifier).error(),
            "model 'cls': a classifier takes class labels or one-hot rows of 3 floats, not 2 "
            "float targets");
}

TEST(StandardizeTest, TrainGetsZeroMeanUnitStdAndOthersTheSameShift) {
  Dataset train;
  train.source = "train.csv";
  train.count = 4;
  train.features = 4;
  train.targetFeatures = 1;
  // Columns: a ramp, a constant, one outlier, a large offset.
  train.x = {1, 7, 0, 1e6f,     //
             2, 7, 0, 1e6f + 1, //
             3, 7, 0, 1e6f + 2, //
             4, 7, 4, 1e6f + 3};
  train.targets = {10, 20, 30, 40};
  Dataset test = train;
  test.source = "test.csv";
  test.count = 1;
  test.x = {5, 8, 1, 1e6f};
  test.targets = {50};

  Result<Standardization> stats = standardize(train, {&test});
  ASSERT_TRUE(stats) << stats.error();
  EXPECT_EQ(stats->mean, (std::vector<float>{2.5f, 7, 1, 1e6f + 1.5f}));
  ASSERT_EQ(stats->stddev.size(), 4u);
  EXPECT_FLOAT_EQ(stats->stddev[0], std::sqrt(1.25f));
  EXPECT_EQ(stats->stddev[1], 0.0f);
  EXPECT_FLOAT_EQ(stats->stddev[2], std::sqrt(3.0f));
  EXPECT_FLOAT_EQ(stats->stddev[3], std::sqrt(1.25f));

  for (int j = 0; j < 4; ++j) {
    double sum = 0, squares = 0;
    for (int i = 0; i < 4; ++i) {
      sum += train.x[i * 4 + j];
      squares += double(train.x[i * 4 + j]) * train.x[i * 4 + j];
    }
    EXPECT_NEAR(sum / 4, 0.0, 1e-6) << "feature " << j;
    // Population std 1; the constant feature is only centered.
    EXPECT_NEAR(std::sqrt(squares / 4), j == 1 ? 0.0 : 1.0, 1e-6) << "feature " << j;
  }
  EXPECT_FLOAT_EQ(test.x[0], 2.5f / std::sqrt(1.25f));
  EXPECT_EQ(test.x[1], 1.0f); // constant feature: centered, not scaled
  EXPECT_FLOAT_EQ(test.x[2], 0.0f);
  EXPECT_FLOAT_EQ(test.x[3], -1.5f / std::sqrt(1.25f));
  // Targets are left alone.
  EXPECT_EQ(train.targets, (std::vector<float>{10, 20, 30, 40}));
  EXPECT_EQ(test.targets, std::vector<float>{50});

  // Stored statistics standardize new samples the same way.
  Dataset later = makeDataset(1, 4, 1);
  later.x = {5, 8, 1, 1e6f};
  ASSERT_TRUE(applyStandardization(later, *stats));
  EXPECT_EQ(later.x, test.x);
}

TEST(StandardizeTest, Errors) {
  Dataset train = makeDataset(3, 2, 1);
  train.source = "train.csv";
  Dataset other = makeDataset(2, 3, 1);
  Dataset before = train;
  Result<Standardization> stats = standardize(train, {&other});
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error(), "made.csv: samples have 3 features but train.csv has 2");
  EXPECT_EQ(train.x, before.x); // nothing changed

  Dataset empty = makeDataset(0, 2, 1);
  EXPECT_EQ(standardize(empty).error(), "made.csv: no samples to standardize");

  Standardization narrow{{0, 0, 0}, {1, 1, 1}};
  EXPECT_EQ(applyStandardization(train, narrow).error(),
            "train.csv: samples have 2 features but the standardization has 3");
}

TEST(SplitTest, SeededDisjointAndInOrder) {
  Dataset data = makeDataset(100, 2, 2);
  Result<DatasetSplit> split = splitDataset(data, 0.25, 7);
  ASSERT_TRUE(split) << split.error();
  EXPECT_EQ(split->train.count, 75);
  EXPECT_EQ(split->heldOut.count, 25);
  EXPECT_EQ(split->train.source, "made.csv (training part)");
  EXPECT_EQ(split->heldOut.source, "made.csv (held-out part)");
  EXPECT_TRUE(checkDataset(split->train, regressionInfo(2, 2)));
  EXPECT_TRUE(checkDataset(split->heldOut, regressionInfo(2, 2)));

  // Sample i is recognisable by its first feature, 100 i; its targets and
  // second feature travel with it.
  auto samplesOf = [](const Dataset &part) {
    std::vector<int64_t> samples;
    for (int64_t r = 0; r < part.count; ++r) {
      int64_t i = static_cast<int64_t>(part.x[r * 2]) / 100;
      EXPECT_EQ(part.x[r * 2 + 1], 100 * i + 1);
      EXPECT_EQ(part.targets[r * 2], 1000 * i);
      EXPECT_EQ(part.targets[r * 2 + 1], 1000 * i + 1);
      samples.push_back(i);
    }
    return samples;
  };
  std::vector<int64_t> train = samplesOf(split->train), heldOut = samplesOf(split->heldOut);
  EXPECT_TRUE(std::is_sorted(train.begin(), train.end()));
  EXPECT_TRUE(std::is_sorted(heldOut.begin(), heldOut.end()));
  std::vector<int64_t> all = train;
  all.insert(all.end(), heldOut.begin(), heldOut.end());
  std::sort(all.begin(), all.end());
  std::vector<int64_t> identity(100);
  std::iota(identity.begin(), identity.end(), int64_t(0));
  EXPECT_EQ(all, identity);
  // Drawn at random, not the first or last quarter.
  EXPECT_NE(heldOut.back() - heldOut.front(), 24);

  Result<DatasetSplit> again = splitDataset(data, 0.25, 7);
  Result<DatasetSplit> other = splitDataset(data, 0.25, 8);
  EXPECT_EQ(again->heldOut.x, split->heldOut.x);
  EXPECT_NE(other->heldOut.x, split->heldOut.x);
}

TEST(SplitTest, ClassLabelsTravelWithTheirSamples) {
  Dataset data = makeDataset(10, 1, 0);
  Result<DatasetSplit> split = splitDataset(data, 0.3, 1);
  ASSERT_TRUE(split) << split.error();
  EXPECT_EQ(split->heldOut.count, 3);
  for (const Dataset *part : {&split->train, &split->heldOut}) {
    ASSERT_EQ(part->y.size(), static_cast<size_t>(part->count));
    EXPECT_TRUE(part->targets.empty());
    for (int64_t r = 0; r < part->count; ++r)
      EXPECT_EQ(part->y[r], static_cast<int32_t>(part->x[r] / 100) % 3);
  }
}

TEST(SplitTest, Errors) {
  Dataset data = makeDataset(10, 1, 1);
  const std::pair<double, const char *> bad[] = {
      {0.0, "0"}, {1.0, "1"}, {-0.5, "-0.5"}, {std::nan(""), "nan"}};
  for (const auto &[fraction, spelling] : bad)
    EXPECT_EQ(splitDataset(data, fraction, 1).error(),
              std::string("made.csv: the held-out fraction must lie in (0, 1), got ") + spelling);
  EXPECT_EQ(splitDataset(data, 0.01, 1).error(),
            "made.csv: holding out 0.01 of 10 samples leaves 0 held out and 10 for training; "
            "each part needs at least one");
  EXPECT_EQ(splitDataset(data, 0.99, 1).error(),
            "made.csv: holding out 0.99 of 10 samples leaves 10 held out and 0 for training; "
            "each part needs at least one");
}

//===----------------------------------------------------------------------===//
// A hand-written softmax regression: the test's stand-in for generated code
//===----------------------------------------------------------------------===//

class SoftmaxModel : public CompiledModel {
public:
  SoftmaxModel(int64_t features, int64_t classes) {
    modelInfo.name = "toy";
    modelInfo.inputFeatures = features;
    modelInfo.numClasses = classes;
    modelInfo.outputFeatures = classes;
    ParamInfo weight;
    weight.name = "dense.weight";
    weight.shape = {features, classes};
    weight.init = "xavier_uniform";
    weight.fanIn = features;
    weight.fanOut = classes;
    ParamInfo bias;
    bias.name = "dense.bias";
    bias.shape = {classes};
    modelInfo.params = {weight, bias};
    modelInfo.hyperparams = {{"lr", 0.1f}};
    modelInfo.optimizer = "sgd";
  }

  const ModelInfo &info() const override { return modelInfo; }

  float trainStep(const StepArgs &args) override {
    float *const *params = args.params;
    const float *x = args.x;
    const int32_t *labels = args.labels;
    const int64_t batch = args.batch;
    const float *hyperparams = args.hyperparams;
    batchSizes.push_back(batch);
    lastLr = hyperparams[0];
    lastStep = args.step;
    if (args.step == nanAtStep)
      return std::nanf("");
    const int64_t f = modelInfo.inputFeatures, c = modelInfo.numClasses;
    sawLabels = sawLabels || labels;
    sawTargets = sawTargets || args.targets;
    std::vector<float> gradW(f * c, 0.0f), gradB(c, 0.0f), probs(c);
    double loss = 0;
    for (int64_t i = 0; i < batch; ++i) {
      // One-hot rows (categorical cross-entropy) mark the class with a 1.
      const float *row = args.targets + i * c;
      int64_t label = labels ? labels[i] : std::max_element(row, row + c) - row;
      forward(params, x + i * f, probs.data());
      loss -= std::log(std::max(probs[label], 1e-30f));
      probs[label] -= 1.0f;
      for (int64_t k = 0; k < c; ++k) {
        gradB[k] += probs[k] / batch;
        for (int64_t j = 0; j < f; ++j)
          gradW[j * c + k] += x[i * f + j] * probs[k] / batch;
      }
    }
    for (int64_t i = 0; i < f * c; ++i)
      params[0][i] -= hyperparams[0] * gradW[i];
    for (int64_t k = 0; k < c; ++k)
      params[1][k] -= hyperparams[0] * gradB[k];
    return static_cast<float>(loss / batch);
  }

  bool predict(const float *const *params, const float *x, int64_t batch, float *logits) override {
    const int64_t f = modelInfo.inputFeatures, c = modelInfo.numClasses;
    for (int64_t i = 0; i < batch; ++i)
      computeLogits(params, x + i * f, logits + i * c);
    return true;
  }

  float evaluate(const EvalArgs &args) override {
    const int64_t f = modelInfo.inputFeatures, c = modelInfo.numClasses;
    std::vector<float> probs(c);
    double loss = 0;
    for (int64_t i = 0; i < args.batch; ++i) {
      computeLogits(args.params, args.x + i * f, args.predictions + i * c);
      forward(args.params, args.x + i * f, probs.data());
      const float *row = args.targets + i * c;
      int64_t label = args.labels ? args.labels[i] : std::max_element(row, row + c) - row;
      loss -= std::log(std::max(probs[label], 1e-30f));
    }
    return static_cast<float>(loss / args.batch);
  }

  void setNumThreads(int threads) override { numThreads = threads; }
  void setCheckNumerics(bool on) override { checkNumerics = on; }
  std::string firstNonFinite() const override {
    return checkNumerics && lastStep == nanAtStep ? "kernel fake_k0 (fake.op at fake.kiln:1:1)"
                                                  : "";
  }

  bool checkNumerics = false;
  bool sawLabels = false, sawTargets = false; // non-null in some step
  ModelInfo modelInfo;
  std::vector<int64_t> batchSizes;
  int64_t nanAtStep = -1; // the update number (StepArgs::step) that returns NaN
  int64_t lastStep = 0;
  float lastLr = 0;
  int numThreads = -1;

private:
  void computeLogits(const float *const *params, const float *x, float *logits) const {
    const int64_t f = modelInfo.inputFeatures, c = modelInfo.numClasses;
    for (int64_t k = 0; k < c; ++k) {
      logits[k] = params[1][k];
      for (int64_t j = 0; j < f; ++j)
        logits[k] += x[j] * params[0][j * c + k];
    }
  }
  void forward(const float *const *params, const float *x, float *probs) const {
    const int64_t c = modelInfo.numClasses;
    computeLogits(params, x, probs);
    float maxLogit = *std::max_element(probs, probs + c);
    float sum = 0;
    for (int64_t k = 0; k < c; ++k)
      sum += probs[k] = std::exp(probs[k] - maxLogit);
    for (int64_t k = 0; k < c; ++k)
      probs[k] /= sum;
  }
};

/// Four classes of 4x4 images: class c is bright in quadrant c and dim
/// elsewhere, with noise. Linearly separable with a wide margin.
void writeSyntheticSplit(const fs::path &images, const fs::path &labels, uint32_t count,
                         uint64_t seed) {
  Rng rng(seed);
  std::vector<uint8_t> pixels, classes;
  for (uint32_t i = 0; i < count; ++i) {
    int label = static_cast<int>(rng.below(4));
    classes.push_back(static_cast<uint8_t>(label));
    for (int row = 0; row < 4; ++row)
      for (int col = 0; col < 4; ++col) {
        int quadrant = (row / 2) * 2 + col / 2;
        int base = quadrant == label ? 180 : 0;
        pixels.push_back(static_cast<uint8_t>(base + rng.below(76)));
      }
  }
  writeImages(images, count, 4, 4, pixels);
  writeLabels(labels, classes);
}

class TrainingTest : public TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    writeSyntheticSplit(dir / MnistTrainImages, dir / MnistTrainLabels, 400, 1);
    writeSyntheticSplit(dir / MnistTestImages, dir / MnistTestLabels, 100, 2);
  }

  /// Runs the CLI of the toy model with `args` after the program name.
  int run(std::vector<std::string> args) {
    args.insert(args.begin(), "/some/where/toy");
    std::vector<const char *> argv;
    for (const std::string &arg : args)
      argv.push_back(arg.c_str());
    out.str("");
    err.str("");
    return runMain(static_cast<int>(argv.size()), argv.data(), model, out, err);
  }

  SoftmaxModel model{16, 4};
  std::ostringstream out, err;
};

double finalAccuracy(const std::string &output) {
  std::smatch match;
  std::regex pattern("final test accuracy: ([0-9.]+)%\ndiagnosis: [^\n]+\n$");
  if (!std::regex_search(output, match, pattern))
    return -1;
  return std::stod(match[1]);
}

TEST_F(TrainingTest, CliTrainsFarAboveChance) {
  ASSERT_EQ(run({"train", "--data", dir.string(), "--epochs", "3", "--batch", "16", "--lr", "0.5",
                 "--threads", "3"}),
            ExitSuccess)
      << err.str();
  EXPECT_EQ(err.str(), "");
  std::string output = out.str();
  EXPECT_EQ(output.find("training toy: 68 parameters, 400 training samples, 100 test "
                        "samples, batch 16 (25 steps/epoch), threads 3, optimizer sgd, lr 0.5, "
                        "schedule constant\n"),
            0u)
      << output;
  std::regex epochLine("epoch 3/3  loss [0-9]+\\.[0-9]{4}  train-acc [0-9]+\\.[0-9]{2}%  "
                       "test-acc [0-9]+\\.[0-9]{2}%  [0-9]+ samples/s  \\([0-9]+\\.[0-9] s\\)\n");
  EXPECT_TRUE(std::regex_search(output, epochLine)) << output;
  // Chance is 25%; the classes are separable with a wide margin.
  EXPECT_GE(finalAccuracy(output), 95.0) << output;
  EXPECT_EQ(model.numThreads, 3);
  EXPECT_EQ(model.lastLr, 0.5f);
  EXPECT_EQ(model.batchSizes.size(), 75u);
}

TEST_F(TrainingTest, LastPartialBatchIsTrained) {
  ASSERT_EQ(run({"train", "--data", dir.string(), "--batch=64"}), ExitSuccess) << err.str();
  std::vector<int64_t> expected = {64, 64, 64, 64, 64, 64, 16};
  EXPECT_EQ(model.batchSizes, expected);
}

TEST_F(TrainingTest, LimitUsesTheFirstSamples) {
  ASSERT_EQ(
      run({"train", "--data", dir.string(), "--limit", "50", "--batch", "20", "--epochs", "2"}),
      ExitSuccess)
      << err.str();
  std::vector<int64_t> expected = {20, 20, 10, 20, 20, 10};
  EXPECT_EQ(model.batchSizes, expected);
  EXPECT_NE(out.str().find(" 50 training samples, "), std::string::npos) << out.str();
}

TEST_F(TrainingTest, NanLossStops) {
  model.nanAtStep = 3;
  EXPECT_EQ(run({"train", "--data", dir.string()}), ExitFailure);
  // The epoch is replayed with numerics checks on to name the kernel, and the
  // parameters are put back as they were before it.
  EXPECT_EQ(err.str(), "error: loss became nan at epoch 1 step 3; first non-finite value at "
                       "step 3 in kernel fake_k0 (fake.op at fake.kiln:1:1); parameters "
                       "restored to the start of epoch 1\n");
  EXPECT_EQ(out.str().find("final test accuracy"), std::string::npos);
  std::vector<int64_t> expected = {128, 128, 128, 128, 128, 128};
  EXPECT_EQ(model.batchSizes, expected);
  EXPECT_FALSE(model.checkNumerics);
}

TEST_F(TrainingTest, UsageErrors) {
  EXPECT_EQ(run({"train", "--data", dir.string(), "--foo"}), ExitUsage);
  EXPECT_EQ(err.str(), "error: unknown flag '--foo' (see 'toy train --help')\n");

  EXPECT_EQ(run({"train", "--data", dir.string(), "--epochs", "zero"}), ExitUsage);
  EXPECT_EQ(err.str(), "error: invalid value 'zero' for '--epochs': expected an integer >= 1 "
                       "(see 'toy train --help')\n");

  EXPECT_EQ(run({"train", "--data", dir.string(), "--lr", "fast"}), ExitUsage);
  EXPECT_EQ(err.str(), "error: invalid value 'fast' for '--lr': expected a finite number "
                       "(see 'toy train --help')\n");

  EXPECT_EQ(run({"train", "--data", dir.string(), "--batch"}), ExitUsage);
  EXPECT_EQ(err.str(), "error: flag '--batch' needs a value B (see 'toy train --help')\n");

  EXPECT_EQ(run({"train", "--epochs", "2"}), ExitUsage);
  EXPECT_EQ(err.str(), "error: missing required flag '--data PATH' (see 'toy train --help')\n");

  EXPECT_EQ(run({"train", "extra", "--data", dir.string()}), ExitUsage);
  EXPECT_EQ(err.str(), "error: unexpected argument 'extra' (see 'toy train --help')\n");

  EXPECT_EQ(run({"fly"}), ExitUsage);
  EXPECT_EQ(err.str(), "error: unknown command 'fly' (see 'toy --help')\n");

  EXPECT_EQ(run({}), ExitUsage);
  EXPECT_EQ(err.str(), "error: missing command (see 'toy --help')\n");
  EXPECT_TRUE(model.batchSizes.empty());
}

TEST_F(TrainingTest, Help) {
  EXPECT_EQ(run({"train", "--help"}), ExitSuccess);
  EXPECT_NE(out.str().find("usage: toy train --data PATH [options]"), std::string::npos);
  EXPECT_NE(out.str().find("--lr VALUE"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("(default 0.1)"), std::string::npos) << out.str();
  EXPECT_EQ(run({"--help"}), ExitSuccess);
  EXPECT_NE(out.str().find("usage: toy <command> [options]"), std::string::npos);
}

TEST_F(TrainingTest, DataErrors) {
  EXPECT_EQ(run({"train", "--data", path("nowhere")}), ExitFailure);
  EXPECT_EQ(err.str(), "error: " + path("nowhere") +
                           ": cannot open data directory: No such file or "
                           "directory\n");

  fs::rename(dir / MnistTestLabels, dir / (std::string(MnistTestLabels) + ".gz"));
  EXPECT_EQ(run({"train", "--data", dir.string()}), ExitFailure);
  EXPECT_NE(err.str().find(path(MnistTestLabels) + ": cannot open: No such file or directory"),
            std::string::npos)
      << err.str();
  EXPECT_NE(err.str().find(".gz exists"), std::string::npos) << err.str();

  // The LeCun spelling of the file names is accepted.
  fs::rename(dir / (std::string(MnistTestLabels) + ".gz"), dir / "t10k-labels.idx1-ubyte");
  EXPECT_EQ(run({"train", "--data", dir.string()}), ExitSuccess) << err.str();

  SoftmaxModel wide(25, 4);
  std::vector<const char *> argv = {"toy", "train", "--data", dir.c_str()};
  EXPECT_EQ(runMain(4, argv.data(), wide, out, err), ExitFailure);
  EXPECT_NE(err.str().find(path(MnistTrainImages) +
                           ": samples have 16 features but model 'toy' takes 25 inputs"),
            std::string::npos)
      << err.str();

  SoftmaxModel narrow(16, 2);
  err.str("");
  EXPECT_EQ(runMain(4, argv.data(), narrow, out, err), ExitFailure);
  EXPECT_NE(err.str().find(path(MnistTrainLabels) + ": record "), std::string::npos) << err.str();
  EXPECT_NE(err.str().find(" out of range [0, 2)"), std::string::npos) << err.str();
}

//===----------------------------------------------------------------------===//
// Float targets: a hand-written linear and logistic regression
//===----------------------------------------------------------------------===//

/// Task "regression": predict = x W + b, loss the mean squared error over
/// samples and outputs. Task "binary": predict = sigmoid(x W + b), loss the
/// mean binary cross-entropy. Plain SGD. A test-only stand-in for generated
/// code, like SoftmaxModel.
class LinearModel : public CompiledModel {
public:
  LinearModel(int64_t features, int64_t outputs, std::string task) {
    modelInfo.name = "lin";
    modelInfo.task = std::move(task);
    modelInfo.inputFeatures = features;
    modelInfo.outputFeatures = outputs;
    modelInfo.targetFeatures = outputs;
    ParamInfo weight;
    weight.name = "dense.weight";
    weight.shape = {features, outputs};
    weight.init = "normal(0, 0.01)";
    ParamInfo bias;
    bias.name = "dense.bias";
    bias.shape = {outputs};
    modelInfo.params = {weight, bias};
    modelInfo.hyperparams = {{"lr", 0.1f}};
    modelInfo.optimizer = "sgd";
  }

  const ModelInfo &info() const override { return modelInfo; }

  float trainStep(const StepArgs &args) override {
    const int64_t f = modelInfo.inputFeatures, o = modelInfo.outputFeatures;
    sawLabels = sawLabels || args.labels;
    if (!args.targets)
      return std::nanf("");
    std::vector<float> gradW(f * o, 0.0f), gradB(o, 0.0f), out(o);
    double loss = 0;
    const double scale = 1.0 / double(args.batch * o);
    for (int64_t i = 0; i < args.batch; ++i) {
      const float *x = args.x + i * f, *t = args.targets + i * o;
      if (expectedTarget && std::abs(expectedTarget(x) - t[0]) > 1e-4f)
        ++misplacedTargets;
      compute(args.params, x, out.data());
      for (int64_t k = 0; k < o; ++k) {
        // d loss / d logit: 2 (y - t) for squared error, p - t for
        // cross-entropy after a sigmoid.
        double delta = binary() ? out[k] - t[k] : 2.0 * (out[k] - t[k]);
        loss += binary() ? -(t[k] * std::log(std::max(out[k], 1e-7f)) +
                             (1 - t[k]) * std::log(std::max(1 - out[k], 1e-7f)))
                         : double(out[k] - t[k]) * (out[k] - t[k]);
        gradB[k] += static_cast<float>(delta * scale);
        for (int64_t j = 0; j < f; ++j)
          gradW[j * o + k] += static_cast<float>(x[j] * delta * scale);
      }
    }
    for (int64_t i = 0; i < f * o; ++i)
      args.params[0][i] -= args.hyperparams[0] * gradW[i];
    for (int64_t k = 0; k < o; ++k)
      args.params[1][k] -= args.hyperparams[0] * gradB[k];
    return static_cast<float>(loss * scale);
  }

  bool predict(const float *const *params, const float *x, int64_t batch, float *out) override {
    const int64_t f = modelInfo.inputFeatures, o = modelInfo.outputFeatures;
    for (int64_t i = 0; i < batch; ++i)
      compute(params, x + i * f, out + i * o);
    return true;
  }

  float evaluate(const EvalArgs &args) override {
    const int64_t f = modelInfo.inputFeatures, o = modelInfo.outputFeatures;
    double loss = 0;
    for (int64_t i = 0; i < args.batch; ++i) {
      float *out = args.predictions + i * o;
      compute(args.params, args.x + i * f, out);
      for (int64_t k = 0; k < o; ++k) {
        float t = args.targets[i * o + k];
        loss += binary() ? -(t * std::log(std::max(out[k], 1e-7f)) +
                             (1 - t) * std::log(std::max(1 - out[k], 1e-7f)))
                         : double(out[k] - t) * (out[k] - t);
      }
    }
    return static_cast<float>(loss / double(args.batch * o));
  }

  void setNumThreads(int) override {}
  void setCheckNumerics(bool) override {}
  std::string firstNonFinite() const override { return ""; }

  ModelInfo modelInfo;
  bool sawLabels = false;
  /// When set: the first target a sample must come with, from its features.
  std::function<float(const float *)> expectedTarget;
  int64_t misplacedTargets = 0;

private:
  bool binary() const { return modelInfo.task == "binary"; }
  void compute(const float *const *params, const float *x, float *out) const {
    const int64_t f = modelInfo.inputFeatures, o = modelInfo.outputFeatures;
    for (int64_t k = 0; k < o; ++k) {
      float z = params[1][k];
      for (int64_t j = 0; j < f; ++j)
        z += x[j] * params[0][j * o + k];
      out[k] = binary() ? 1.0f / (1.0f + std::exp(-z)) : z;
    }
  }
};

/// `count` samples of `features` uniform features in [-1, 1] and one target
/// per entry of `target`, computed from the features.
Dataset makeTargetDataset(int64_t count, int64_t features,
                          const std::vector<std::function<float(const float *)>> &target,
                          uint64_t seed) {
  Rng rng(seed);
  Dataset data;
  data.source = "made";
  data.count = count;
  data.features = features;
  data.targetFeatures = static_cast<int64_t>(target.size());
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t j = 0; j < features; ++j)
      data.x.push_back(static_cast<float>(rng.uniform(-1, 1)));
    for (const auto &t : target)
      data.targets.push_back(t(data.x.data() + i * features));
  }
  return data;
}

TEST(FloatTargetTest, RegressionGetsItsTargetsRowByRowAndLearns) {
  auto first = [](const float *x) { return 2 * x[0] - x[1] + 0.5f; };
  auto second = [](const float *x) { return x[2] - 3 * x[0]; };
  Dataset train = makeTargetDataset(300, 3, {first, second}, 1);
  Dataset test = makeTargetDataset(100, 3, {first, second}, 2);
  LinearModel model(3, 2, "regression");
  model.expectedTarget = first;
  ParameterStore params(model.info());
  ASSERT_TRUE(params.initialize(1));
  Trainer trainer(model, params, {32, 1});

  Result<EvalStats> before = trainer.evaluate(test);
  ASSERT_TRUE(before) << before.error();
  std::vector<double> losses;
  for (int epoch = 0; epoch < 40; ++epoch) {
    Result<EpochStats> stats = trainer.trainEpoch(train);
    ASSERT_TRUE(stats) << stats.error();
    losses.push_back(stats->meanLoss);
  }
  Result<EvalStats> after = trainer.evaluate(test);
  ASSERT_TRUE(after) << after.error();
  EXPECT_FALSE(model.sawLabels);
  // Every sample of every (shuffled) batch came with its own targets.
  EXPECT_EQ(model.misplacedTargets, 0);
  EXPECT_EQ(after->count, 100);
  EXPECT_EQ(after->elements, 200);
  EXPECT_EQ(after->decisions, 0);
  // The targets have variance ~5; a linear model fits them exactly.
  EXPECT_GT(before->mse(), 1.0);
  EXPECT_LT(after->mse(), 1e-3);
  EXPECT_LT(after->mae(), 0.03);
  EXPECT_LT(losses.back(), losses.front() / 100);
}

TEST(FloatTargetTest, RegressionErrorsAreExact) {
  LinearModel model(1, 1, "regression");
  ParameterStore params(model.info());
  params.values(0) = {2}; // predict = 2 x
  params.values(1) = {0};
  Trainer trainer(model, params, {2, 1}); // batches of 2: the sums cross batches
  Dataset data;
  data.source = "made";
  data.count = 3;
  data.features = 1;
  data.targetFeatures = 1;
  data.x = {1, 2, 3};
  data.targets = {2, 5, 3}; // errors 0, -1, 3
  Result<EvalStats> stats = trainer.evaluate(data);
  ASSERT_TRUE(stats) << stats.error();
  EXPECT_DOUBLE_EQ(stats->mse(), 10.0 / 3);
  EXPECT_DOUBLE_EQ(stats->mae(), 4.0 / 3);
  EXPECT_EQ(stats->count, 3);
  EXPECT_EQ(stats->accuracy(), 0.0);
  Result<EvalStats> firstTwo = trainer.evaluate(data, 2);
  EXPECT_DOUBLE_EQ(firstTwo->mse(), 0.5);
  EXPECT_DOUBLE_EQ(firstTwo->mae(), 0.5);

  // Two outputs: the means run over all four target values.
  LinearModel wide(1, 2, "regression");
  ParameterStore wideParams(wide.info());
  wideParams.values(0) = {1, -1};
  wideParams.values(1) = {0, 1};
  Trainer wideTrainer(wide, wideParams);
  Dataset two;
  two.source = "made";
  two.count = 2;
  two.features = 1;
  two.targetFeatures = 2;
  two.x = {1, 2};             // predictions {1, 0}, {2, -1}
  two.targets = {0, 0, 2, 1}; // errors 1, 0, 0, -2
  stats = wideTrainer.evaluate(two);
  ASSERT_TRUE(stats) << stats.error();
  EXPECT_EQ(stats->elements, 4);
  EXPECT_DOUBLE_EQ(stats->mse(), 5.0 / 4);
  EXPECT_DOUBLE_EQ(stats->mae(), 3.0 / 4);
}

TEST(FloatTargetTest, BinaryAccuracyThresholdsAtOneHalf) {
  LinearModel model(1, 1, "binary");
  ParameterStore params(model.info());
  params.values(0) = {1}; // predict = sigmoid(x)
  params.values(1) = {0};
  Trainer trainer(model, params);
  Dataset data;
  data.source = "made";
  data.count = 5;
  data.features = 1;
  data.targetFeatures = 1;
  data.x = {-2, -1, 0, 1, 2};        // predictions 0.12 0.27 0.5 0.73 0.88
  data.targets = {0, 1, 0.5f, 1, 0}; // right, wrong, right (0.5 counts as 1), right, wrong
  Result<EvalStats> stats = trainer.evaluate(data);
  ASSERT_TRUE(stats) << stats.error();
  EXPECT_EQ(stats->decisions, 5);
  EXPECT_EQ(stats->correct, 3);
  EXPECT_DOUBLE_EQ(stats->accuracy(), 0.6);
  EXPECT_EQ(stats->elements, 0);

  // Several outputs: one decision each.
  LinearModel wide(1, 2, "binary");
  ParameterStore wideParams(wide.info());
  wideParams.values(0) = {1, -1};
  wideParams.values(1) = {0, 0};
  Trainer wideTrainer(wide, wideParams);
  data.count = 2;
  data.targetFeatures = 2;
  data.x = {1, -1};            // predictions {0.73, 0.27}, {0.27, 0.73}
  data.targets = {1, 0, 1, 1}; // right, right, wrong, right
  stats = wideTrainer.evaluate(data);
  ASSERT_TRUE(stats) << stats.error();
  EXPECT_EQ(stats->decisions, 4);
  EXPECT_EQ(stats->correct, 3);
}

TEST(FloatTargetTest, BinaryLearnsASeparableSet) {
  auto label = [](const float *x) { return x[0] + 2 * x[1] > 0.2f ? 1.0f : 0.0f; };
  Dataset train = makeTargetDataset(400, 2, {label}, 3);
  Dataset test = makeTargetDataset(200, 2, {label}, 4);
  LinearModel model(2, 1, "binary");
  ParameterStore params(model.info());
  ASSERT_TRUE(params.initialize(2));
  Trainer trainer(model, params, {16, 2});
  ASSERT_TRUE(trainer.setHyperparam("lr", 2.0f));
  for (int epoch = 0; epoch < 30; ++epoch)
    ASSERT_TRUE(trainer.trainEpoch(train));
  Result<EvalStats> stats = trainer.evaluate(test);
  ASSERT_TRUE(stats) << stats.error();
  // Chance is ~50%; only samples near the boundary can be wrong.
  EXPECT_GE(stats->accuracy(), 0.95);
}

TEST(FloatTargetTest, TrainerRejectsTargetsTheModelDoesNotTake) {
  LinearModel model(2, 1, "regression");
  ParameterStore params(model.info());
  Trainer trainer(model, params);
  Dataset labels = makeDataset(4, 2, 0);
  EXPECT_EQ(trainer.trainEpoch(labels).error(),
            "made.csv: samples have class labels (0 float targets) but model 'lin' takes 1 "
            "float target");
  EXPECT_EQ(trainer.evaluate(makeDataset(4, 2, 3)).error(),
            "made.csv: samples have 3 float targets but model 'lin' takes 1 float target");
  EXPECT_EQ(trainer.updates(), 0);
}

TEST_F(TrainingTest, TrainerApiIsDeterministicAndLearns) {
  Result<MnistData> data = loadMnist(dir.string(), model.info());
  ASSERT_TRUE(data) << data.error();

  auto trainTwoEpochs = [&](uint64_t seed, std::vector<double> &losses) {
    ParameterStore params(model.info());
    EXPECT_TRUE(params.initialize(seed));
    Trainer trainer(model, params, {32, seed});
    EXPECT_TRUE(trainer.setHyperparam("lr", 0.3f));
    EXPECT_FALSE(trainer.setHyperparam("momentum", 0.9f));
    for (int epoch = 0; epoch < 2; ++epoch) {
      Result<EpochStats> stats = trainer.trainEpoch(data->train);
      EXPECT_TRUE(stats) << stats.error();
      EXPECT_EQ(stats->epoch, epoch + 1);
      EXPECT_EQ(stats->samples, 400);
      EXPECT_EQ(stats->steps, 13);
      losses.push_back(stats->meanLoss);
    }
    Result<EvalStats> test = trainer.evaluate(data->test);
    EXPECT_TRUE(test) << test.error();
    EXPECT_EQ(test->count, 100);
    EXPECT_GE(test->accuracy(), 0.95);
    Result<EvalStats> subset = trainer.evaluate(data->train, 30);
    EXPECT_EQ(subset->count, 30);
    return params.values(0);
  };
  std::vector<double> lossesA, lossesB, lossesC;
  std::vector<float> weightsA = trainTwoEpochs(9, lossesA);
  std::vector<float> weightsB = trainTwoEpochs(9, lossesB);
  std::vector<float> weightsC = trainTwoEpochs(10, lossesC);
  EXPECT_EQ(weightsA, weightsB);
  EXPECT_EQ(lossesA, lossesB);
  EXPECT_NE(weightsA, weightsC);
  EXPECT_LT(lossesA[1], lossesA[0]);
}

} // namespace

namespace {

TEST_F(TrainingTest, HyperparametersOutOfRangeAreUsageErrors) {
  model.modelInfo.hyperparams[0].lower = 0;
  model.modelInfo.hyperparams[0].lowerOpen = true;
  EXPECT_EQ(run({"train", "--data", dir.string(), "--lr", "-0.5"}), ExitUsage);
  EXPECT_EQ(err.str(), "error: invalid value '-0.5' for '--lr': expected a number in "
                       "(0, inf) (see 'toy train --help')\n");
  EXPECT_EQ(run({"train", "--data", dir.string(), "--schedule", "cosine(period=0)"}), ExitUsage);
  EXPECT_NE(err.str().find("for '--schedule': expected schedule cosine: period"),
            std::string::npos)
      << err.str();
  EXPECT_TRUE(model.batchSizes.empty());
}

TEST_F(TrainingTest, FullBatchTakesOneStepPerEpoch) {
  ASSERT_EQ(run({"train", "--data", dir.string(), "--batch", "full", "--epochs", "3"}),
            ExitSuccess)
      << err.str();
  std::vector<int64_t> expected = {400, 400, 400};
  EXPECT_EQ(model.batchSizes, expected);
}

TEST_F(TrainingTest, ScheduleScalesTheLearningRate) {
  ASSERT_EQ(run({"train", "--data", dir.string(), "--batch", "100", "--lr", "0.5", "--schedule",
                 "step(step_size=2,gamma=0.5)"}),
            ExitSuccess)
      << err.str();
  // Four updates: 0.5, 0.5, 0.25, 0.25.
  EXPECT_FLOAT_EQ(model.lastLr, 0.25f);
}

TEST_F(TrainingTest, ResumeContinuesFromTheCheckpoint) {
  std::filesystem::path ckpt = dir / "ckpt";
  std::filesystem::create_directory(ckpt);
  ASSERT_EQ(run({"train", "--data", dir.string(), "--epochs", "2", "--checkpoint-dir",
                 ckpt.string()}),
            ExitSuccess)
      << err.str();
  std::string twoEpochs = out.str();
  std::string saved = readBytes(ckpt / "checkpoint.safetensors");
  ASSERT_FALSE(saved.empty());

  // One epoch, saved; then resumed for the second: the same final result.
  std::filesystem::path other = dir / "other";
  std::filesystem::create_directory(other);
  ASSERT_EQ(run({"train", "--data", dir.string(), "--epochs", "1", "--checkpoint-dir",
                 other.string()}),
            ExitSuccess);
  ASSERT_EQ(run({"train", "--data", dir.string(), "--epochs", "2", "--resume",
                 (other / "checkpoint.safetensors").string(), "--checkpoint-dir",
                 other.string()}),
            ExitSuccess)
      << err.str();
  EXPECT_EQ(out.str().find("epoch 1/2"), std::string::npos) << out.str();
  EXPECT_EQ(readBytes(other / "checkpoint.safetensors"), saved);
  EXPECT_EQ(finalAccuracy(out.str()), finalAccuracy(twoEpochs));
}

TEST_F(TrainingTest, AFailedRunKeepsTheLastCheckpoint) {
  std::filesystem::path ckpt = dir / "ckpt";
  std::filesystem::create_directory(ckpt);
  model.nanAtStep = 6; // the second step of the third epoch at batch 200
  EXPECT_EQ(run({"train", "--data", dir.string(), "--epochs", "3", "--batch", "200",
                 "--checkpoint-dir", ckpt.string()}),
            ExitFailure);
  EXPECT_NE(err.str().find("loss became nan at epoch 3 step 2"), std::string::npos) << err.str();
  // The file holds epoch 2's state, complete.
  SoftmaxModel fresh{16, 4};
  ParameterStore params(fresh.info());
  Trainer trainer(fresh, params);
  ASSERT_TRUE(trainer.loadCheckpoint((ckpt / "checkpoint.safetensors").string()));
  EXPECT_EQ(trainer.epochsDone(), 2);
  EXPECT_EQ(trainer.updates(), 4);
}

TEST_F(TrainingTest, OneHotTargetsTrainAndScoreLikeLabels) {
  Result<MnistData> data = loadMnist(dir.string(), model.info());
  ASSERT_TRUE(data) << data.error();
  auto oneHot = [](const Dataset &labelled) {
    Dataset rows = labelled;
    rows.y.clear();
    rows.targetFeatures = 4;
    rows.targets.assign(static_cast<size_t>(rows.count * 4), 0.0f);
    for (int64_t i = 0; i < rows.count; ++i)
      rows.targets[i * 4 + labelled.y[i]] = 1.0f;
    return rows;
  };
  Dataset train = oneHot(data->train), test = oneHot(data->test);

  model.modelInfo.targetFeatures = 4; // as for categorical_cross_entropy
  ParameterStore params(model.info());
  ASSERT_TRUE(params.initialize(3));
  Trainer trainer(model, params, {32, 3});
  ASSERT_TRUE(trainer.setHyperparam("lr", 0.3f));
  for (int epoch = 0; epoch < 2; ++epoch)
    ASSERT_TRUE(trainer.trainEpoch(train));
  EXPECT_TRUE(model.sawTargets);
  EXPECT_FALSE(model.sawLabels);
  Result<EvalStats> rows = trainer.evaluate(test);
  ASSERT_TRUE(rows) << rows.error();
  EXPECT_GE(rows->accuracy(), 0.95);

  // The same parameters scored against the labels the rows encode.
  model.modelInfo.targetFeatures = 0;
  Result<EvalStats> labels = trainer.evaluate(data->test);
  ASSERT_TRUE(labels) << labels.error();
  EXPECT_EQ(rows->correct, labels->correct);
  EXPECT_EQ(rows->decisions, labels->decisions);
}

/// Runs the command line of `model` with `args` after the program name.
int runCli(CompiledModel &model, std::vector<std::string> args, std::ostringstream &out,
           std::ostringstream &err) {
  args.insert(args.begin(), "/some/where/lin");
  std::vector<const char *> argv;
  for (const std::string &arg : args)
    argv.push_back(arg.c_str());
  out.str("");
  err.str("");
  return runMain(static_cast<int>(argv.size()), argv.data(), model, out, err);
}

/// Writes `count` CSV rows: three features in unrelated units (years, a
/// fraction, a value near 1500) and the target `target` computes from them.
void writeTabular(const fs::path &path, int count,
                  const std::function<double(double, double, double)> &target, uint64_t seed) {
  Rng rng(seed);
  std::ofstream file(path);
  file << "age,fraction,level,target\n";
  for (int i = 0; i < count; ++i) {
    double age = rng.uniform(0, 100), fraction = rng.uniform(0, 1), level = rng.uniform(1000, 2000);
    file << age << "," << fraction << "," << level << "," << target(age, fraction, level) << "\n";
  }
}

using CsvTrainingTest = TempDirTest;

TEST_F(CsvTrainingTest, CliReportsRegressionErrors) {
  writeTabular(
      dir / "data.csv", 250,
      [](double age, double fraction, double level) {
        return 0.05 * age + 3 * fraction - 0.002 * level + 1;
      },
      1);
  LinearModel model(3, 1, "regression");
  std::ostringstream out, err;
  ASSERT_EQ(runCli(model,
                   {"train", "--data", path("data.csv"), "--epochs", "30", "--batch", "16", "--lr",
                    "0.05"},
                   out, err),
            ExitSuccess)
      << err.str();
  EXPECT_EQ(err.str(), "");
  std::string output = out.str();
  // 20% of 250 held out for testing.
  EXPECT_EQ(output.find("training lin: 4 parameters, 200 training samples, 50 test samples, "
                        "batch 16 (13 steps/epoch)"),
            0u)
      << output;
  std::regex epochLine("epoch 30/30  loss [0-9]+\\.[0-9]{4}  train-mse [0-9]+\\.[0-9]{4}  "
                       "test-mse [0-9]+\\.[0-9]{4}  test-mae [0-9]+\\.[0-9]{4}  [0-9]+ "
                       "samples/s  \\([0-9]+\\.[0-9] s\\)\n");
  EXPECT_TRUE(std::regex_search(output, epochLine)) << output;
  EXPECT_EQ(output.find("acc"), std::string::npos) << output;
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(output, match, std::regex("final test mse: ([0-9.]+)  mae: ([0-9.]+)\ndiagnosis: [^\n]+\n$")))
      << output;
  // The target has variance ~3 and is linear in the features: standardized
  // features let one learning rate fit all three within 30 epochs.
  EXPECT_LT(std::stod(match[1]), 0.01) << output;
  EXPECT_LT(std::stod(match[2]), 0.1) << output;
  EXPECT_FALSE(model.sawLabels);

  ASSERT_EQ(
      runCli(model, {"train", "--data", path("data.csv"), "--test-fraction", "0.5"}, out, err),
      ExitSuccess)
      << err.str();
  EXPECT_NE(out.str().find(" 125 training samples, 125 test samples, "), std::string::npos)
      << out.str();
}

TEST_F(CsvTrainingTest, CliReportsAccuracyForBinaryAndClassLabels) {
  writeTabular(
      dir / "binary.csv", 300,
      [](double age, double fraction, double) { return age / 100 + fraction > 1 ? 1 : 0; }, 2);
  LinearModel binary(3, 1, "binary");
  std::ostringstream out, err;
  ASSERT_EQ(
      runCli(binary,
             {"train", "--data", path("binary.csv"), "--epochs", "20", "--batch", "8", "--lr", "1"},
             out, err),
      ExitSuccess)
      << err.str();
  std::regex epochLine("epoch 20/20  loss [0-9]+\\.[0-9]{4}  train-acc [0-9]+\\.[0-9]{2}%  "
                       "test-acc [0-9]+\\.[0-9]{2}%  [0-9]+ samples/s");
  EXPECT_TRUE(std::regex_search(out.str(), epochLine)) << out.str();
  EXPECT_GE(finalAccuracy(out.str()), 90.0) << out.str();

  // Class labels in the last column: quadrant of the first two features.
  {
    Rng rng(5);
    std::ofstream file(dir / "classes.csv");
    for (int i = 0; i < 200; ++i) {
      int label = static_cast<int>(rng.below(4));
      double a = rng.uniform(0.5, 2), b = rng.uniform(0.5, 2);
      file << (label == 0 || label == 3 ? a : -a) << " " << (label < 2 ? b : -b) << " " << label
           << "\n";
    }
  }
  SoftmaxModel classifier(2, 4);
  ASSERT_EQ(runCli(classifier,
                   {"train", "--data", path("classes.csv"), "--epochs", "5", "--batch", "10",
                    "--lr", "0.5"},
                   out, err),
            ExitSuccess)
      << err.str();
  EXPECT_NE(out.str().find(" 160 training samples, 40 test samples, "), std::string::npos)
      << out.str();
  EXPECT_GE(finalAccuracy(out.str()), 95.0) << out.str();
  EXPECT_TRUE(classifier.sawLabels);
}

TEST_F(CsvTrainingTest, CliCsvErrors) {
  LinearModel model(3, 1, "regression");
  std::ostringstream out, err;
  writeBytes(path("bad.csv"), "1,2,3,4\n5,abc,7,8\n");
  EXPECT_EQ(runCli(model, {"train", "--data", path("bad.csv")}, out, err), ExitFailure);
  EXPECT_EQ(err.str(),
            "error: " + path("bad.csv") + ":2: column 2: expected a number, got 'abc'\n");

  writeBytes(path("wide.csv"), "1,2,3,4,5\n");
  EXPECT_EQ(runCli(model, {"train", "--data", path("wide.csv")}, out, err), ExitFailure);
  EXPECT_EQ(err.str(), "error: " + path("wide.csv") +
                           ": samples have 4 features but model 'lin' takes 3 "
                           "inputs\n");

  writeBytes(path("tiny.csv"), "1,2,3,4\n5,6,7,8\n");
  EXPECT_EQ(runCli(model, {"train", "--data", path("tiny.csv")}, out, err), ExitFailure);
  EXPECT_EQ(err.str(), "error: " + path("tiny.csv") +
                           ": holding out 0.2 of 2 samples leaves 0 held out and 2 for "
                           "training; each part needs at least one\n");

  EXPECT_EQ(
      runCli(model, {"train", "--data", path("tiny.csv"), "--test-fraction", "1.5"}, out, err),
      ExitUsage);
  EXPECT_EQ(err.str(), "error: invalid value '1.5' for '--test-fraction': expected a number in "
                       "(0, 1) (see 'lin train --help')\n");
  EXPECT_EQ(model.modelInfo.params.size(), 2u);
}

TEST_F(CsvTrainingTest, HelpNamesTheTask) {
  LinearModel model(3, 1, "regression");
  std::ostringstream out, err;
  EXPECT_EQ(runCli(model, {"train", "--help"}, out, err), ExitSuccess);
  EXPECT_NE(out.str().find("Trains model 'lin' (3 inputs, 1 outputs, task regression) and prints "
                           "one line per epoch\nand the final test mean squared and absolute "
                           "error."),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("--test-fraction F"), std::string::npos) << out.str();
}

//===----------------------------------------------------------------------===//
// The checks of the buffers an app hands to a model (kiln/Tensor.h)
//===----------------------------------------------------------------------===//

/// A Model over the softmax regression (4 features, 3 classes) with a batch
/// of 8 samples that fits it; every rejected call must leave the model as it
/// was and never reach the kernels.
class BufferCheckTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(model.initialize(5));
    Rng rng(3);
    for (int64_t i = 0; i < 8; ++i) {
      labels.push_back(static_cast<int32_t>(i % 3));
      for (int64_t j = 0; j < 4; ++j)
        x.push_back(static_cast<float>(rng.uniform(-1, 1)) + (j == i % 3 ? 2.0f : 0.0f));
    }
    before = weights();
  }

  std::vector<std::vector<float>> weights() {
    return {model.parameters().values(0), model.parameters().values(1)};
  }
  /// Nothing reached the kernels and nothing changed.
  void expectUntouched() {
    EXPECT_TRUE(kernels.batchSizes.empty());
    EXPECT_EQ(model.trainer().updates(), 0);
    EXPECT_EQ(weights(), before);
  }

  SoftmaxModel kernels{4, 3};
  Model model{kernels, {/*batchSize=*/8, /*seed=*/1}};
  std::vector<float> x;
  std::vector<int32_t> labels;
  std::vector<std::vector<float>> before;
};

TEST_F(BufferCheckTest, WrongElementType) {
  std::vector<float> floatLabels(labels.begin(), labels.end());
  EXPECT_EQ(model.trainStep({x, {8, 4}}, {floatLabels, {8}}).error(),
            "trainStep: labels: expected i32[8], got f32[8]");
  std::vector<int32_t> intX(x.begin(), x.end());
  EXPECT_EQ(model.trainStep({intX, {8, 4}}, {labels, {8}}).error(),
            "trainStep: x: expected f32[batch, 4], got i32[8, 4]");
  EXPECT_EQ(model.trainer().trainBatch({x, {8, 4}}, {floatLabels, {8}}).error(),
            "trainBatch: labels: expected i32[8], got f32[8]");
  expectUntouched();
}

TEST_F(BufferCheckTest, WrongRank) {
  EXPECT_EQ(model.trainStep({x, {32}}, {labels, {8}}).error(),
            "trainStep: x: expected f32[batch, 4], got f32[32]");
  EXPECT_EQ(model.trainStep({x, {8, 2, 2}}, {labels, {8}}).error(),
            "trainStep: x: expected f32[batch, 4], got f32[8, 2, 2]");
  EXPECT_EQ(model.trainStep({x, {8, 4}}, {labels, {2, 4}}).error(),
            "trainStep: labels: expected i32[8], got i32[2, 4]");
  EXPECT_EQ(model.trainStep({x, {}}, {labels, {8}}).error(),
            "trainStep: x: expected f32[batch, 4], got f32[]");
  std::vector<float> out(24);
  EXPECT_EQ(model.predict({x, {8, 4}}, {out, {24}}).error(),
            "predict: out: expected f32[8, 3], got f32[24]");
  expectUntouched();
}

TEST_F(BufferCheckTest, WrongExtent) {
  EXPECT_EQ(model.trainStep({x, {8, 3}}, {labels, {8}}).error(),
            "trainStep: x: expected f32[batch, 4], got f32[8, 3]");
  std::vector<float> out(24, -1.0f);
  EXPECT_EQ(model.predict({x, {8, 4}}, {out, {8, 2}}).error(),
            "predict: out: expected f32[8, 3], got f32[8, 2]");
  EXPECT_EQ(out, std::vector<float>(24, -1.0f));
  expectUntouched();
}

TEST_F(BufferCheckTest, InconsistentBatch) {
  EXPECT_EQ(model.trainStep({x, {8, 4}}, {labels, {4}}).error(),
            "trainStep: labels: expected i32[8], got i32[4]");
  EXPECT_EQ(model.trainStep({x, {4, 4}}, {labels, {8}}).error(),
            "trainStep: labels: expected i32[4], got i32[8]");
  std::vector<float> out(24);
  EXPECT_EQ(model.predict({x, {2, 4}}, {out, {8, 3}}).error(),
            "predict: out: expected f32[2, 3], got f32[8, 3]");
  expectUntouched();
}

TEST_F(BufferCheckTest, NullData) {
  const float *noX = nullptr;
  const int32_t *noLabels = nullptr;
  EXPECT_EQ(model.trainStep({noX, {8, 4}}, {labels, {8}}).error(),
            "trainStep: x: null data for f32[8, 4]");
  EXPECT_EQ(model.trainStep({x, {8, 4}}, {noLabels, {8}}).error(),
            "trainStep: labels: null data for i32[8]");
  float *noOut = nullptr;
  EXPECT_EQ(model.predict({x, {8, 4}}, {noOut, {8, 3}}).error(),
            "predict: out: null data for f32[8, 3]");

  // The raw-pointer calls: NaN or false, and lastError() says why.
  EXPECT_TRUE(std::isnan(model.trainStep(noX, labels.data(), 8)));
  EXPECT_EQ(model.lastError(), "trainStep: x: null data for f32[8, 4]");
  EXPECT_TRUE(std::isnan(model.trainStep(x.data(), noLabels, 8)));
  EXPECT_EQ(model.lastError(), "trainStep: labels: null data for i32[8]");
  EXPECT_FALSE(model.predict(x.data(), 8, noOut));
  EXPECT_EQ(model.lastError(), "predict: out: null data for f32[8, 3]");
  EXPECT_TRUE(std::isnan(model.trainer().trainBatch(x.data(), nullptr, nullptr, 8)));
  expectUntouched();
}

TEST_F(BufferCheckTest, EmptyOrNegativeBatch) {
  EXPECT_EQ(model.trainStep({x, {0, 4}}, {labels, {0}}).error(),
            "trainStep: x: expected at least 1 sample, got f32[0, 4]");
  EXPECT_TRUE(std::isnan(model.trainStep(x.data(), labels.data(), 0)));
  EXPECT_EQ(model.lastError(), "trainStep: x: expected at least 1 sample, got f32[0, 4]");
  EXPECT_TRUE(std::isnan(model.trainStep(x.data(), labels.data(), -2)));
  EXPECT_EQ(model.lastError(), "trainStep: x: expected at least 1 sample, got f32[-2, 4]");
  std::vector<float> out(24);
  EXPECT_FALSE(model.predict(x.data(), 0, out.data()));
  EXPECT_EQ(model.lastError(), "predict: x: expected at least 1 sample, got f32[0, 4]");
  EXPECT_TRUE(std::isnan(model.trainer().trainBatch(x.data(), labels.data(), nullptr, 0)));
  expectUntouched();
}

TEST_F(BufferCheckTest, LabelOutOfRange) {
  labels[3] = 12;
  EXPECT_EQ(model.trainStep({x, {8, 4}}, {labels, {8}}).error(),
            "trainStep: labels: sample 3: class 12 outside [0, 3)");
  EXPECT_TRUE(std::isnan(model.trainStep(x.data(), labels.data(), 8)));
  EXPECT_EQ(model.lastError(), "trainStep: labels: sample 3: class 12 outside [0, 3)");
  EXPECT_EQ(model.trainer().trainBatch({x, {8, 4}}, {labels, {8}}).error(),
            "trainBatch: labels: sample 3: class 12 outside [0, 3)");
  EXPECT_TRUE(std::isnan(model.trainer().trainBatch(x.data(), labels.data(), nullptr, 8)));
  labels[3] = 0;
  labels[6] = -1;
  EXPECT_EQ(model.trainStep({x, {8, 4}}, {labels, {8}}).error(),
            "trainStep: labels: sample 6: class -1 outside [0, 3)");
  // Only the batch is read: a bad label beyond it is no concern of this step.
  EXPECT_TRUE(model.trainStep({x, {6, 4}}, {labels, {6}}));
  EXPECT_EQ(kernels.batchSizes, (std::vector<int64_t>{6}));
}

TEST_F(BufferCheckTest, VectorShorterThanItsShape) {
  std::vector<float> shortX(x.begin(), x.end() - 1);
  EXPECT_EQ(model.trainStep({shortX, {8, 4}}, {labels, {8}}).error(),
            "trainStep: x: f32[8, 4] needs 32 elements, the vector holds 31");
  std::vector<float> out(23);
  EXPECT_EQ(model.predict({x, {8, 4}}, {out, {8, 3}}).error(),
            "predict: out: f32[8, 3] needs 24 elements, the vector holds 23");
  expectUntouched();
}

TEST_F(BufferCheckTest, InconsistentDatasetIsRejectedBeforeTheFirstStep) {
  Dataset data;
  data.source = "by hand";
  data.count = 8;
  data.features = 4;
  data.x = x;
  data.y = labels;
  data.x.pop_back();
  EXPECT_EQ(model.trainEpoch(data).error(),
            "by hand: inconsistent dataset: 8 samples but 31 feature values, 8 labels and 0 "
            "target values");
  EXPECT_EQ(model.evaluate(data).error(),
            "by hand: inconsistent dataset: 8 samples but 31 feature values, 8 labels and 0 "
            "target values");
  data.x = x;
  data.y.push_back(0);
  EXPECT_EQ(model.trainEpoch(data).error(),
            "by hand: inconsistent dataset: 8 samples but 32 feature values, 9 labels and 0 "
            "target values");
  data.y = labels;
  data.features = 3;
  EXPECT_EQ(model.trainEpoch(data).error(),
            "by hand: samples have 3 features but model 'toy' takes 4 inputs");
  data.features = 4;
  data.y[7] = 3;
  EXPECT_EQ(model.trainEpoch(data).error(),
            "by hand: record 7: label 3 out of range [0, 3) of model 'toy'");
  expectUntouched();
  EXPECT_EQ(model.trainer().epochsDone(), 0);
}

TEST_F(BufferCheckTest, CorrectCallsTrainAndPredictAsTheRawOnes) {
  // A twin model, trained through the raw pointers, must match step by step.
  SoftmaxModel twinKernels{4, 3};
  Model twin{twinKernels, {8, 1}};
  ASSERT_TRUE(twin.initialize(5));
  std::vector<float> losses;
  for (int step = 0; step < 20; ++step) {
    Result<float> loss = model.trainStep({x, {8, 4}}, {labels, {8}});
    ASSERT_TRUE(loss) << loss.error();
    EXPECT_EQ(*loss, twin.trainStep(x.data(), labels.data(), 8));
    EXPECT_EQ(twin.lastError(), "");
    losses.push_back(*loss);
  }
  EXPECT_LT(losses.back(), 0.5f * losses.front());
  EXPECT_EQ(model.trainer().updates(), 20);
  EXPECT_NE(weights(), before);

  // The first rows of a longer vector are a batch too.
  Result<float> prefix = model.trainStep({x, {2, 4}}, {labels, {2}});
  ASSERT_TRUE(prefix) << prefix.error();
  EXPECT_EQ(kernels.batchSizes.back(), 2);

  std::vector<float> out(24), raw(24);
  ASSERT_TRUE(twin.predict(x.data(), 8, raw.data())) << twin.lastError();
  Status predicted = twin.predict({x, {8, 4}}, {out, {8, 3}});
  ASSERT_TRUE(predicted) << predicted.error();
  EXPECT_EQ(out, raw);
  for (int64_t i = 0; i < 8; ++i)
    EXPECT_EQ(std::max_element(&out[i * 3], &out[i * 3 + 3]) - &out[i * 3], labels[i]);

  // A rejected raw call is forgotten by the next good one.
  EXPECT_FALSE(twin.predict(x.data(), 0, raw.data()));
  EXPECT_NE(twin.lastError(), "");
  EXPECT_TRUE(twin.predict(x.data(), 8, raw.data()));
  EXPECT_EQ(twin.lastError(), "");
}

TEST(BufferCheckTargetsTest, FloatTargetsAndTheirShapes) {
  LinearModel kernels(2, 1, "regression");
  Model model(kernels);
  std::vector<float> x = {0.5f, -1, 1, 2, 0, 0.25f};
  std::vector<float> targets = {1, 2, 3};
  std::vector<int32_t> labels = {1, 2, 3};
  // One target per sample: [batch] and [batch, 1] are the same buffer.
  EXPECT_TRUE(model.trainStep({x, {3, 2}}, {targets, {3}}));
  EXPECT_TRUE(model.trainStep({x, {3, 2}}, {targets, {3, 1}}));
  EXPECT_EQ(model.trainStep({x, {3, 2}}, {labels, {3}}).error(),
            "trainStep: targets: expected f32[3, 1], got i32[3]");
  EXPECT_TRUE(std::isnan(model.trainStep(x.data(), labels.data(), 3)));
  // The raw pointer is viewed in the shape of the targets.
  EXPECT_EQ(model.lastError(), "trainStep: targets: expected f32[3, 1], got i32[3, 1]");
  EXPECT_FALSE(kernels.sawLabels);
  EXPECT_EQ(model.trainer().updates(), 2);
  EXPECT_FALSE(std::isnan(model.trainStep(x.data(), targets.data(), 3)));
  EXPECT_EQ(model.trainer().updates(), 3);
}

/// A model that reads 5 token ids per sample from a vocabulary of 10 and
/// predicts one of 7 classes at each of them.
ModelInfo tokenModel() {
  ModelInfo info;
  info.name = "lm";
  info.inputFeatures = 5;
  info.tokenInput = true;
  info.tokenLimit = 10;
  info.labelsPerSample = 5;
  info.numClasses = 7;
  info.outputFeatures = 35;
  return info;
}

TEST(BufferCheckTokensTest, TokenIdsAndLabelsPerStep) {
  ModelInfo info = tokenModel();
  std::vector<float> ids = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<int32_t> next = {1, 2, 3, 4, 5, 6, 0, 1, 2, 3};
  Result<int64_t> batch = checkTrainBuffers(info, "t", {ids, {2, 5}}, {next, {2, 5}});
  ASSERT_TRUE(batch) << batch.error();
  EXPECT_EQ(*batch, 2);
  EXPECT_EQ(checkTrainBuffers(info, "t", {ids, {2, 5}}, {next, {2}}).error(),
            "t: labels: expected i32[2, 5], got i32[2]");
  next[7] = 7;
  EXPECT_EQ(checkTrainBuffers(info, "t", {ids, {2, 5}}, {next, {2, 5}}).error(),
            "t: labels: sample 1, step 2: class 7 outside [0, 7)");
  next[7] = 1;
  ids[8] = 10;
  EXPECT_EQ(checkTrainBuffers(info, "t", {ids, {2, 5}}, {next, {2, 5}}).error(),
            "t: x: sample 1, element 3: token id 10 outside [0, 10)");
  ids[8] = -1;
  EXPECT_EQ(checkTrainBuffers(info, "t", {ids, {2, 5}}, {next, {2, 5}}).error(),
            "t: x: sample 1, element 3: token id -1 outside [0, 10)");
  ids[8] = 2.5f;
  std::vector<float> out(70);
  EXPECT_EQ(checkPredictBuffers(info, "p", {ids, {2, 5}}, {out, {2, 35}}).error(),
            "p: x: sample 1, element 3: token id 2.5 is not an integer");
  ids[8] = std::nanf("");
  EXPECT_EQ(checkPredictBuffers(info, "p", {ids, {2, 5}}, {out, {2, 35}}).error(),
            "p: x: sample 1, element 3: token id nan is not an integer");
  ids[8] = 8;
  // Logits per step: [batch, steps, classes], or flattened.
  EXPECT_TRUE(checkPredictBuffers(info, "p", {ids, {2, 5}}, {out, {2, 5, 7}}));
  EXPECT_TRUE(checkPredictBuffers(info, "p", {ids, {2, 5}}, {out, {2, 35}}));
  EXPECT_EQ(checkPredictBuffers(info, "p", {ids, {2, 5}}, {out, {2, 7, 5}}).error(),
            "p: out: expected f32[2, 5, 7], got f32[2, 7, 5]");
  // Without a known vocabulary, ids are not checked.
  info.tokenLimit = 0;
  ids[8] = 2.5f;
  EXPECT_TRUE(checkPredictBuffers(info, "p", {ids, {2, 5}}, {out, {2, 35}}));
}

TEST(BufferCheckTokensTest, DatasetsOfTokenIds) {
  ModelInfo info = tokenModel();
  Dataset data;
  data.source = "text.txt";
  data.count = 2;
  data.features = 5;
  data.labelsPerSample = 5;
  data.x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  data.y = {1, 2, 3, 4, 5, 6, 0, 1, 2, 3};
  EXPECT_TRUE(checkDataset(data, info));
  data.x[6] = 300;
  EXPECT_EQ(checkDataset(data, info).error(),
            "text.txt: record 1: token id 300 out of range [0, 10) of model 'lm'");
  data.x[6] = 0.5f;
  EXPECT_EQ(checkDataset(data, info).error(), "text.txt: record 1: token id 0.5 is not an integer");
  data.x[6] = 6;
  data.y[9] = 9;
  EXPECT_EQ(checkDataset(data, info).error(),
            "text.txt: record 1: label 9 out of range [0, 7) of model 'lm'");
}

TEST(BufferCheckShapeTest, InputsOfSeveralDimensions) {
  ModelInfo info;
  info.name = "conv";
  info.inputFeatures = 4;
  info.inputShape = {1, 2, 2};
  info.numClasses = 2;
  info.outputFeatures = 2;
  std::vector<float> x(12);
  std::vector<int32_t> y = {0, 1, 1};
  EXPECT_TRUE(checkTrainBuffers(info, "t", {x, {3, 1, 2, 2}}, {y, {3}}));
  EXPECT_TRUE(checkTrainBuffers(info, "t", {x, {3, 4}}, {y, {3}}));
  EXPECT_EQ(checkTrainBuffers(info, "t", {x, {3, 2, 2}}, {y, {3}}).error(),
            "t: x: expected f32[batch, 1, 2, 2], got f32[3, 2, 2]");
  EXPECT_EQ(expectedShape(info, BufferRole::Input, 3), (std::vector<int64_t>{3, 1, 2, 2}));
  EXPECT_EQ(expectedShape(info, BufferRole::LabelsOrTargets, 3), (std::vector<int64_t>{3}));
  EXPECT_EQ(expectedShape(info, BufferRole::Output, 3), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(expectedShape(tokenModel(), BufferRole::Output, 3),
            (std::vector<int64_t>{3, 5, 7}));
  EXPECT_EQ(expectedShape(tokenModel(), BufferRole::LabelsOrTargets, 3),
            (std::vector<int64_t>{3, 5}));
  // An absurd batch is refused before anything is multiplied out.
  const float *unknown = x.data();
  EXPECT_EQ(checkTrainBuffers(info, "t", {unknown, {int64_t(1) << 62, 4}}, {y, {3}}).error(),
            "t: x: f32[4611686018427387904, 4] has more elements than memory holds");
}

} // namespace
