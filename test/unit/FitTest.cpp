//===- FitTest.cpp - Tests of the decisions of kiln::fit ------------------===//
//
// A scripted stand-in for generated code: one parameter that counts the
// updates (a full-batch epoch is one update), and a validation loss read from
// a script by that count. So the loss after epoch e is script[e], and the
// weights of epoch e are {e}: which epoch's weights a run ended with can be
// read off the parameter.
//
//===----------------------------------------------------------------------===//

#include "kiln/Fit.h"
#include "kiln/Model.h"
#include "train/LearningRate.h"
#include "train/Progress.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

using namespace kiln;

namespace {

class ScriptedModel : public CompiledModel {
public:
  explicit ScriptedModel(std::vector<double> script) : script(std::move(script)) {
    modelInfo.name = "scripted";
    modelInfo.task = "regression";
    modelInfo.inputFeatures = 1;
    modelInfo.outputFeatures = 1;
    modelInfo.targetFeatures = 1;
    ParamInfo counter;
    counter.name = "counter.weight";
    counter.shape = {1};
    modelInfo.params = {counter};
    modelInfo.hyperparams = {{"lr", 0.1f}};
    modelInfo.optimizer = "sgd";
  }

  const ModelInfo &info() const override { return modelInfo; }
  float trainStep(const StepArgs &args) override {
    args.params[0][0] += 1;
    return 1.0f;
  }
  bool predict(const float *const *, const float *, int64_t batch, float *out) override {
    std::fill(out, out + batch, 0.0f);
    return true;
  }
  float evaluate(const EvalArgs &args) override {
    std::fill(args.predictions, args.predictions + args.batch, 0.0f);
    auto epoch = static_cast<size_t>(args.params[0][0]);
    return static_cast<float>(epoch < script.size() ? script[epoch] : script.back());
  }
  void setNumThreads(int) override {}
  void setCheckNumerics(bool) override {}
  std::string firstNonFinite() const override { return ""; }

private:
  ModelInfo modelInfo;
  std::vector<double> script; // the validation loss after epoch e is script[e]
};

Dataset samples(int64_t count) {
  Dataset data;
  data.count = count;
  data.features = 1;
  data.targetFeatures = 1;
  data.x.assign(static_cast<size_t>(count), 1.0f);
  data.targets.assign(static_cast<size_t>(count), 0.0f);
  data.source = "samples";
  return data;
}

/// A model trained by full-batch steps, one per epoch.
struct ScriptedRun {
  explicit ScriptedRun(std::vector<double> script)
      : compiled(std::move(script)), model(compiled, {/*batchSize=*/0, /*seed=*/1}) {
    options.validation = &validation;
    options.trainMetricSamples = 0;
  }
  float weight() { return *model.parameter("counter.weight"); }

  ScriptedModel compiled;
  Model model;
  Dataset train = samples(4);
  Dataset validation = samples(2);
  FitOptions options;
};

std::filesystem::path freshDirectory(const std::string &name) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("kiln-fit-test-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

} // namespace

TEST(FitTest, RunsEveryEpochWithoutEarlyStopping) {
  ScriptedRun run({9, 5, 4, 3});
  run.options.epochs = 3;
  Result<FitState> state = fit(run.model, run.train, run.options);
  ASSERT_TRUE(state) << state.error();
  EXPECT_EQ(state->history.epochs.size(), 3u);
  EXPECT_FALSE(state->stoppedEarly);
  EXPECT_EQ(state->bestEpoch, 3);
  EXPECT_DOUBLE_EQ(state->bestValue, 3);
  EXPECT_EQ(run.weight(), 3);
  EXPECT_DOUBLE_EQ(state->history.epochs[1].valLoss, 4);
  EXPECT_TRUE(std::isnan(state->history.epochs[0].trainMetric)); // not measured
}

TEST(FitTest, EarlyStoppingStopsAfterPatienceAndRestoresTheBestWeights) {
  // Best at epoch 2; epochs 3 and 4 do not improve.
  ScriptedRun run({9, 1.0, 0.5, 0.625, 0.75, 0.125});
  std::ostringstream out;
  run.options.epochs = 10;
  run.options.patience = 2;
  run.options.out = &out;
  Result<FitState> state = fit(run.model, run.train, run.options);
  ASSERT_TRUE(state) << state.error();
  EXPECT_TRUE(state->stoppedEarly);
  EXPECT_EQ(state->history.epochs.size(), 4u);
  EXPECT_EQ(state->bestEpoch, 2);
  EXPECT_EQ(state->history.bestEpoch, 2);
  EXPECT_EQ(run.weight(), 2) << "the weights of epoch 2 are put back";
  EXPECT_NE(out.str().find("epoch 2/10  loss 1.0000  val-loss 0.5000  val-mse 0.0000  val-mae "
                           "0.0000"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("early stop: val-loss did not improve by more than 0 for 2 epochs "
                           "(best epoch 2)\nrestored the weights of epoch 2 (val-loss 0.5000)\n"),
            std::string::npos)
      << out.str();
}

TEST(FitTest, MinDeltaIsTheLeastImprovement) {
  // Epoch 2 improves by 0.5, epochs 3 and 4 by 0.125 and 0.1875 on it.
  ScriptedRun run({9, 2.0, 1.5, 1.375, 1.3125, 0.1});
  run.options.epochs = 10;
  run.options.patience = 2;
  run.options.minDelta = 0.2;
  Result<FitState> state = fit(run.model, run.train, run.options);
  ASSERT_TRUE(state) << state.error();
  EXPECT_EQ(state->bestEpoch, 2);
  EXPECT_EQ(state->history.epochs.size(), 4u);
  EXPECT_EQ(run.weight(), 2);
}

TEST(FitTest, AHigherMonitoredMetricIsBetterForAccuracy) {
  // A regression has no accuracy: val-acc is 0 every epoch, so only epoch 1
  // counts as an improvement.
  ScriptedRun run({9, 3, 2, 1});
  run.options.epochs = 3;
  run.options.patience = 1;
  run.options.monitor = "val-acc";
  Result<FitState> state = fit(run.model, run.train, run.options);
  ASSERT_TRUE(state) << state.error();
  EXPECT_EQ(state->bestEpoch, 1);
  EXPECT_EQ(state->history.epochs.size(), 2u);
  EXPECT_EQ(run.weight(), 1);
}

TEST(FitTest, CallbacksSeeEveryEpochAndCanPrune) {
  ScriptedRun run({9, 3, 2, 2.5, 1});
  run.options.epochs = 4;
  run.options.restoreBest = true;
  std::vector<int64_t> seen;
  std::vector<double> bests;
  FitCallbacks callbacks;
  callbacks.onEpochEnd = [&](const FitEpoch &epoch) -> Result<FitDecision> {
    seen.push_back(epoch.record.epoch);
    bests.push_back(epoch.best);
    EXPECT_NE(epoch.validation, nullptr);
    return epoch.record.epoch == 3 ? FitDecision::Stop : FitDecision::Continue;
  };
  Result<FitState> state = fit(run.model, run.train, run.options, callbacks);
  ASSERT_TRUE(state) << state.error();
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(bests, (std::vector<double>{3, 2, 2}));
  EXPECT_TRUE(state->stoppedByCallback);
  EXPECT_FALSE(state->stoppedEarly);
  EXPECT_EQ(run.weight(), 2) << "restoreBest puts back epoch 2 without early stopping";
}

TEST(FitTest, ACallbackErrorFailsTheRun) {
  ScriptedRun run({9, 3, 2, 1});
  run.options.epochs = 3;
  FitCallbacks callbacks;
  callbacks.onEpochEnd = [](const FitEpoch &epoch) -> Result<FitDecision> {
    if (epoch.record.epoch == 2)
      return Error("val-loss is nan after epoch 2");
    return FitDecision::Continue;
  };
  Result<FitState> state = fit(run.model, run.train, run.options, callbacks);
  ASSERT_FALSE(state);
  EXPECT_EQ(state.error(), "val-loss is nan after epoch 2");
  EXPECT_EQ(run.weight(), 2);
}

TEST(FitTest, WithoutValidationTheTestSetIsShownAndNothingIsMonitored) {
  ScriptedRun run({9, 3, 2, 1});
  Dataset test = samples(3);
  std::ostringstream out;
  run.options.validation = nullptr;
  run.options.test = &test;
  run.options.epochs = 2;
  run.options.out = &out;
  Result<FitState> state = fit(run.model, run.train, run.options);
  ASSERT_TRUE(state) << state.error();
  EXPECT_EQ(state->bestEpoch, 0);
  ASSERT_TRUE(state->lastTest.has_value());
  EXPECT_EQ(state->lastTest->count, 3);
  EXPECT_NE(out.str().find("epoch 2/2  loss 1.0000  test-mse 0.0000  test-mae 0.0000"),
            std::string::npos)
      << out.str();
}

TEST(FitTest, CheckpointsHoldTheRunAndResumeContinuesIt) {
  std::filesystem::path dir = freshDirectory("resume");
  std::vector<double> script = {9, 1.0, 0.5, 0.625, 0.75, 0.875, 0.9375};
  FitState first;
  {
    ScriptedRun run(script);
    run.options.epochs = 3;
    run.options.patience = 3;
    run.options.checkpointDir = dir.string();
    Result<FitState> state = fit(run.model, run.train, run.options);
    ASSERT_TRUE(state) << state.error();
    first = *state;
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "checkpoint.safetensors"));
  EXPECT_TRUE(std::filesystem::exists(dir / "best.safetensors"));

  ScriptedRun resumed(script);
  resumed.options.epochs = 10;
  resumed.options.patience = 3;
  resumed.options.checkpointDir = dir.string();
  Result<FitState> start =
      resumeFit(resumed.model.trainer(), (dir / "checkpoint.safetensors").string(),
                resumed.options);
  ASSERT_TRUE(start) << start.error();
  EXPECT_EQ(resumed.model.trainer().epochsDone(), 3);
  EXPECT_EQ(start->bestEpoch, 2);
  ASSERT_EQ(start->history.epochs.size(), 3u);
  EXPECT_DOUBLE_EQ(start->history.epochs[2].valLoss, 0.625);
  ASSERT_EQ(start->bestWeights.size(), 1u);
  EXPECT_EQ(start->bestWeights[0][0], 2) << "read from best.safetensors";

  Result<FitState> state = fit(resumed.model.trainer(), resumed.train, resumed.options, {},
                               std::move(*start));
  ASSERT_TRUE(state) << state.error();
  EXPECT_TRUE(state->stoppedEarly);
  EXPECT_EQ(state->history.epochs.size(), 5u) << "epochs 1-3, then 4 and 5";
  EXPECT_EQ(resumed.weight(), 2);
  std::filesystem::remove_all(dir);
}

TEST(FitTest, HistoryInCheckpointsIsJson) {
  History history;
  EpochRecord record;
  record.epoch = 1;
  record.trainLoss = 0.1 + 0.2; // not a short decimal: must come back bit for bit
  record.trainMetric = 0.5;
  record.valLoss = NAN;
  record.valMetric = NAN;
  record.learningRate = 1e-3;
  history.epochs = {record};
  std::string text = encodeHistory(history);
  EXPECT_EQ(text.front(), '[');
  Result<std::vector<EpochRecord>> back = decodeHistory(text);
  ASSERT_TRUE(back) << back.error();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].epoch, 1);
  EXPECT_EQ((*back)[0].trainLoss, 0.1 + 0.2);
  EXPECT_TRUE(std::isnan((*back)[0].valLoss));
  EXPECT_EQ((*back)[0].learningRate, 1e-3);

  // The comma-separated lines of older checkpoints are refused with a reason.
  Result<std::vector<EpochRecord>> old = decodeHistory("1,0.3,0.5,nan,nan,0.001\n");
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().find("older version"), std::string::npos) << old.error();
}

// fit turns a warm-up given as a fraction of the run into updates (the
// log's lr column shows it rising), and warns when a run ends inside the
// warm-up, as short runs of large batches did.
TEST(FitTest, ScheduleUnitsResolveAndAWarmUpLongerThanTheRunIsReported) {
  ScriptedRun run({9, 5, 4, 3, 2});
  std::ostringstream err;
  run.options.err = &err;
  run.options.epochs = 4; // one full-batch update per epoch
  run.model.trainer().setSchedule(*parseSchedule("constant(warmup=50%)"));
  Result<FitState> state = fit(run.model, run.train, run.options);
  ASSERT_TRUE(state) << state.error();
  EXPECT_EQ(formatSchedule(run.model.trainer().schedule()), "constant(warmup=2)");
  EXPECT_NEAR(state->history.epochs[0].learningRate, 0.05, 1e-7);
  EXPECT_NEAR(state->history.epochs[1].learningRate, 0.1, 1e-7);
  EXPECT_EQ(err.str(), "");

  ScriptedRun shortRun({9, 5, 4});
  shortRun.options.err = &err;
  shortRun.options.epochs = 2;
  shortRun.model.trainer().setSchedule(*parseSchedule("constant(warmup=10)"));
  ASSERT_TRUE(fit(shortRun.model, shortRun.train, shortRun.options));
  EXPECT_EQ(err.str(), "warning: the run's 2 updates (2 epochs of 1) end inside the schedule's "
                       "warm-up of 10 updates: the learning rate never reaches its full value; "
                       "give the warm-up in epochs or as a fraction of the run (warmup=5%), or "
                       "train longer\n");
}
