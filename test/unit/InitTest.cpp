//===- InitTest.cpp - Initialisers and their specs ------------------------===//

#include "kiln/CompiledModel.h"
#include "kiln/Init.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace kiln;

namespace {

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

} // namespace
