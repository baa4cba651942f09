//===- DatasetTest.cpp - Checks, truncation, standardization, splits ------===//

#include "kiln/CompiledModel.h"
#include "kiln/Data.h"

#include "StandIns.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

using namespace kiln::testing;
using namespace kiln;

namespace {

//===----------------------------------------------------------------------===//
// Datasets: checks, truncation, standardization, splits
//===----------------------------------------------------------------------===//

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

} // namespace
