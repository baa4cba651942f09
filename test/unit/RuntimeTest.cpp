//===- RuntimeTest.cpp - Tests of the Kiln runtime ------------------------===//
//
// Random streams and initialisers, the IDX reader and its messages, the
// trainer and the command line of generated binaries. The training tests
// drive a softmax regression written by hand below: a test-only stand-in for
// generated code, which the product path never uses.
//
//===----------------------------------------------------------------------===//

#include "kiln/Cli.h"
#include "kiln/CompiledModel.h"
#include "kiln/Data.h"
#include "kiln/Init.h"
#include "kiln/Random.h"
#include "kiln/Trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <regex>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
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
  param.init = Init::HeNormal;
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

ParamInfo makeParam(std::string name, Init init, int64_t fanIn, int64_t fanOut) {
  ParamInfo param;
  param.name = std::move(name);
  param.shape = {fanIn, fanOut};
  param.init = init;
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
  Init init;
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
    ::testing::Values(InitCase{Init::HeNormal, std::sqrt(2.0 / 400), 0},
                      InitCase{Init::HeUniform, std::sqrt(2.0 / 400), std::sqrt(6.0 / 400)},
                      InitCase{Init::XavierNormal, std::sqrt(2.0 / 600), 0},
                      InitCase{Init::XavierUniform, std::sqrt(2.0 / 600), std::sqrt(6.0 / 600)}));

TEST(InitTest, ZerosAreZero) {
  ParamInfo param = makeParam("b", Init::Zeros, 0, 0);
  param.shape = {17};
  std::vector<float> values(17, 5.0f);
  ASSERT_TRUE(initParam(param, 1, values.data()));
  EXPECT_EQ(values, std::vector<float>(17, 0.0f));
}

TEST(InitTest, DeterministicPerSeedAndIndependentOfOtherParameters) {
  ModelInfo one, two;
  one.params = {makeParam("dense1.weight", Init::HeNormal, 30, 20)};
  two.params = {makeParam("dense0.weight", Init::XavierUniform, 10, 30), one.params[0]};

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
  info.params = {makeParam("dense0.weight", Init::HeNormal, 0, 10)};
  info.params[0].shape = {4, 10};
  ParameterStore store(info);
  Status status = store.initialize(1);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), "parameter 'dense0.weight': he_normal initialisation needs a "
                            "positive fan, got fanIn 0 and fanOut 10");
}

//===----------------------------------------------------------------------===//
// IDX files
//===----------------------------------------------------------------------===//

void putBigEndian(std::string &bytes, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    bytes.push_back(static_cast<char>((value >> shift) & 0xff));
}

void writeBytes(const fs::path &path, const std::string &bytes) {
  std::ofstream file(path, std::ios::binary);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
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

/// A fresh directory per test, removed afterwards.
class TempDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    const ::testing::TestInfo *test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() / ("kiln-runtime-" + std::to_string(getpid()) + "-" +
                                       test->test_suite_name() + "-" + test->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string &name) const { return (dir / name).string(); }

  fs::path dir;
};

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
// A hand-written softmax regression: the test's stand-in for generated code
//===----------------------------------------------------------------------===//

class SoftmaxModel : public CompiledModel {
public:
  SoftmaxModel(int64_t features, int64_t classes) {
    modelInfo.name = "toy";
    modelInfo.inputFeatures = features;
    modelInfo.numClasses = classes;
    ParamInfo weight;
    weight.name = "dense.weight";
    weight.shape = {features, classes};
    weight.init = Init::XavierUniform;
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
    std::vector<float> gradW(f * c, 0.0f), gradB(c, 0.0f), probs(c);
    double loss = 0;
    for (int64_t i = 0; i < batch; ++i) {
      forward(params, x + i * f, probs.data());
      loss -= std::log(std::max(probs[labels[i]], 1e-30f));
      probs[labels[i]] -= 1.0f;
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

  void setNumThreads(int threads) override { numThreads = threads; }
  void setCheckNumerics(bool on) override { checkNumerics = on; }
  std::string firstNonFinite() const override {
    return checkNumerics && lastStep == nanAtStep ? "kernel fake_k0 (fake.op at fake.kiln:1:1)"
                                                  : "";
  }

  bool checkNumerics = false;
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
  std::regex pattern("final test accuracy: ([0-9.]+)%\n$");
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
  EXPECT_EQ(err.str(), "error: missing required flag '--data DIR' (see 'toy train --help')\n");

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
  EXPECT_NE(out.str().find("usage: toy train --data DIR [options]"), std::string::npos);
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

std::string readBytes(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_F(TrainingTest, HyperparametersOutOfRangeAreUsageErrors) {
  model.modelInfo.hyperparams[0].lower = 0;
  model.modelInfo.hyperparams[0].lowerOpen = true;
  EXPECT_EQ(run({"train", "--data", dir.string(), "--lr", "-0.5"}), ExitUsage);
  EXPECT_EQ(err.str(), "error: invalid value '-0.5' for '--lr': expected a number in "
                       "(0, inf] (see 'toy train --help')\n");
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

} // namespace
