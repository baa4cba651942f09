//===- TensorTest.cpp - Checks of the buffers an app hands to a model -----===//

#include "kiln/CompiledModel.h"
#include "kiln/Data.h"
#include "kiln/Model.h"
#include "kiln/Tensor.h"

#include "core/Random.h"

#include "StandIns.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace kiln::testing;
using namespace kiln;

namespace {

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

// A batch is checked against the kernels' limit on a buffer before any
// memory is taken: the largest buffer per sample counts (the features here).
TEST_F(BufferCheckTest, BatchBeyondTheBufferLimit) {
  EXPECT_TRUE(checkBatchSize(kernels.info(), MaxBufferElements / 4));
  EXPECT_EQ(checkBatchSize(kernels.info(), MaxBufferElements / 4 + 1).error(),
            "a batch of 536870912 samples needs 2147483648 elements in its features buffer "
            "(536870912 x 4), over the limit of 2147483647 (2^31 - 1) on a buffer");
  EXPECT_FALSE(checkBatchSize(kernels.info(), int64_t(1) << 62));
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
