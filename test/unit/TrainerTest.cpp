//===- TrainerTest.cpp - The trainer on float targets ---------------------===//
//
// The trainer driving the hand-written linear and logistic regression of
// StandIns.h on float targets.
//
//===----------------------------------------------------------------------===//

#include "kiln/Data.h"
#include "kiln/Model.h"
#include "kiln/Trainer.h"

#include "core/Random.h"

#include "StandIns.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

using namespace kiln::testing;
using namespace kiln;

namespace {

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

// An app that never calls initialize() trains from the initializers drawn
// with its options' seed, not from zero weights (which left a classifier's
// loss at log(classes)); initialize() and load() replace them.
TEST(ModelInitializationTest, ConstructedModelsHoldInitialWeights) {
  SoftmaxModel kernels(4, 3);
  Model model(kernels, {/*batchSize=*/8, /*seed=*/3});
  const std::vector<float> &weight = model.parameters().values(0);
  EXPECT_TRUE(std::any_of(weight.begin(), weight.end(), [](float v) { return v != 0; }));

  ParameterStore drawn(kernels.info());
  ASSERT_TRUE(drawn.initialize(3));
  EXPECT_EQ(weight, drawn.values(0));
  ASSERT_TRUE(model.initialize(4));
  EXPECT_NE(weight, drawn.values(0));
}

} // namespace
