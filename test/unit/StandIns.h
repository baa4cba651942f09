//===- StandIns.h - Hand-written models for runtime tests -------*- C++ -*-===//
//
// Test-only stand-ins for generated code, which the product path never
// uses: a softmax regression, and a linear and logistic regression. Also a
// made-up set in the shape of any model's data.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_UNIT_STANDINS_H
#define KILN_TEST_UNIT_STANDINS_H

#include "kiln/CompiledModel.h"
#include "kiln/Data.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kiln::testing {

/// `count` samples of `features` features and `targetFeatures` float targets
/// (class labels when 0): feature j of sample i is 100 i + j, target k is
/// 1000 i + k, the label i % 3.
inline Dataset makeDataset(int64_t count, int64_t features, int64_t targetFeatures) {
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

} // namespace kiln::testing

#endif // KILN_TEST_UNIT_STANDINS_H
