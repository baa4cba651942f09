//===- HealthTest.cpp - Tests of training health and the fit diagnosis ----===//
//
// HealthMonitor folds per-step values (as a --health model writes them) into
// per-layer norms and dead fractions and raises each warning once; the extra
// log columns reach the CSV and JSON; diagnoseFit tells under-fit, over-fit
// and well-fit runs apart on made-up histories.
//
//===----------------------------------------------------------------------===//

#include "kiln/Health.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace kiln;

namespace {

/// Two dense layers and one relu, as kilnc --health describes them.
ModelInfo twoLayers() {
  ModelInfo info;
  info.health = {{"grad_sq", "dense0.weight", 6, "m.kiln:3:5"},
                 {"grad_sq", "dense0.bias", 3, "m.kiln:3:5"},
                 {"grad_sq", "dense1.weight", 6, "m.kiln:4:5"},
                 {"dead_units", "relu0", 4, "m.kiln:3:1"}};
  return info;
}

void step(HealthMonitor &monitor, std::vector<float> values) {
  float *buffer = monitor.buffer();
  for (size_t i = 0; i < values.size(); ++i)
    buffer[i] = values[i];
  monitor.recordStep();
}

bool mentions(const std::vector<std::string> &lines, const std::string &needle) {
  for (const std::string &line : lines)
    if (line.find(needle) != std::string::npos)
      return true;
  return false;
}

} // namespace

TEST(HealthMonitor, DisabledWithoutHealthResults) {
  HealthMonitor monitor{ModelInfo()};
  EXPECT_FALSE(monitor.enabled());
  EXPECT_EQ(monitor.buffer(), nullptr);
  monitor.recordStep();
  HealthReport report = monitor.endEpoch();
  EXPECT_TRUE(report.layers.empty());
  EXPECT_TRUE(report.summary().empty());
}

TEST(HealthMonitor, LayerNormsJoinParametersAndAverageOverSteps) {
  HealthMonitor monitor(twoLayers());
  ASSERT_TRUE(monitor.enabled());
  // dense0: 9 + 16 -> norm 5, then 36 + 64 -> norm 10; dense1: 4 -> 2, 1 -> 1.
  step(monitor, {9, 16, 4, 1});
  step(monitor, {36, 64, 1, 1});
  HealthReport report = monitor.endEpoch();
  ASSERT_EQ(report.layers.size(), 2u);
  EXPECT_EQ(report.layers[0].layer, "dense0");
  EXPECT_DOUBLE_EQ(report.layers[0].meanNorm, 7.5);
  EXPECT_DOUBLE_EQ(report.layers[0].maxNorm, 10);
  EXPECT_EQ(report.layers[1].layer, "dense1");
  EXPECT_DOUBLE_EQ(report.layers[1].meanNorm, 1.5);
  ASSERT_EQ(report.relus.size(), 1u);
  EXPECT_EQ(report.relus[0].where, "m.kiln:3:1");
  EXPECT_DOUBLE_EQ(report.relus[0].meanFraction, 0.25);
  EXPECT_TRUE(report.warnings.empty());
  EXPECT_EQ(report.summary(), "grad-norm dense0 7.5e+00 dense1 1.5e+00 | dead relu0 25.0%");
  std::vector<std::pair<std::string, double>> columns = report.columns();
  ASSERT_EQ(columns.size(), 3u);
  EXPECT_EQ(columns[0].first, "grad_norm_dense0");
  EXPECT_EQ(columns[2].first, "dead_relu0");
  EXPECT_DOUBLE_EQ(columns[2].second, 0.25);
  // The next epoch starts from zero.
  step(monitor, {0, 1, 4, 0});
  EXPECT_DOUBLE_EQ(monitor.endEpoch().layers[0].meanNorm, 1);
}

TEST(HealthMonitor, WarnsOnceWhenAProblemAppearsAndAgainWhenItReturns) {
  HealthMonitor monitor(twoLayers());
  step(monitor, {0, 0, 4, 4}); // dense0 vanishes, relu0 all dead
  HealthReport first = monitor.endEpoch();
  ASSERT_EQ(first.warnings.size(), 2u);
  EXPECT_TRUE(mentions(first.warnings, "gradients of dense0 are vanishing"));
  EXPECT_TRUE(mentions(first.warnings, "100% of the 4 units of relu0 (m.kiln:3:1)"));
  step(monitor, {0, 0, 4, 4});
  EXPECT_TRUE(monitor.endEpoch().warnings.empty()); // still true: not repeated
  step(monitor, {1, 0, 4, 0});
  EXPECT_TRUE(monitor.endEpoch().warnings.empty()); // gone
  step(monitor, {0, 0, 4, 0});
  HealthReport back = monitor.endEpoch();
  ASSERT_EQ(back.warnings.size(), 1u);
  EXPECT_TRUE(mentions(back.warnings, "dense0 are vanishing"));
}

TEST(HealthMonitor, ExplodingAndNonFiniteGradients) {
  HealthMonitor monitor(twoLayers());
  step(monitor, {4e6f, 0, 1, 0}); // dense0 norm 2000 > 1000
  HealthReport big = monitor.endEpoch();
  ASSERT_EQ(big.warnings.size(), 1u);
  EXPECT_TRUE(mentions(big.warnings, "gradients of dense0 are exploding: norm up to 2.00e+03"));
  HealthMonitor nan(twoLayers());
  step(nan, {1, 0, NAN, 0});
  HealthReport report = nan.endEpoch();
  EXPECT_FALSE(report.layers[1].finite);
  EXPECT_TRUE(mentions(report.warnings, "dense1 are exploding: norm became NaN or infinite"));
  EXPECT_TRUE(std::isnan(report.columns()[1].second));
}

TEST(HealthMonitor, DiscardEpochForgetsSteps) {
  HealthMonitor monitor(twoLayers());
  step(monitor, {100, 0, 1, 4});
  monitor.discardEpoch();
  step(monitor, {1, 0, 1, 0});
  HealthReport report = monitor.endEpoch();
  EXPECT_DOUBLE_EQ(report.layers[0].meanNorm, 1);
  EXPECT_DOUBLE_EQ(report.relus[0].meanFraction, 0);
}

TEST(History, ExtraColumnsFollowTheFixedOnesAndStayEmptyWhereMissing) {
  History history;
  EpochRecord first;
  first.epoch = 1;
  first.extra = {{"grad_norm_dense0", 0.5}};
  EpochRecord second;
  second.epoch = 2;
  second.extra = {{"dead_relu0", 0.25}};
  history.epochs = {first, second};
  EXPECT_EQ(formatHistoryCsv(history),
            "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds,samples_per_second,"
            "grad_norm_dense0,dead_relu0\n"
            "1,0,,,,,0,0,0.5,\n"
            "2,0,,,,,0,0,,0.25\n");
  std::string json = formatHistoryJson(history);
  EXPECT_NE(json.find("\"grad_norm_dense0\": 0.5, \"dead_relu0\": null"), std::string::npos)
      << json;
}

namespace {

EpochRecord epoch(int64_t n, double trainLoss, double trainMetric, double valLoss,
                  double valMetric) {
  EpochRecord r;
  r.epoch = n;
  r.trainLoss = trainLoss;
  r.trainMetric = trainMetric;
  r.valLoss = valLoss;
  r.valMetric = valMetric;
  return r;
}

} // namespace

TEST(DiagnoseFit, ClassifierVerdicts) {
  History good;
  good.epochs = {epoch(1, 0.3, 0.95, 0.3, 0.94), epoch(2, 0.1, 0.99, 0.1, 0.98)};
  FitDiagnosis fit = diagnoseFit(good);
  EXPECT_EQ(fit.verdict, FitDiagnosis::Verdict::GoodFit) << fit.text;
  EXPECT_NE(fit.text.find("training accuracy 99.00%, validation accuracy 98.00% after epoch 2"),
            std::string::npos)
      << fit.text;

  History over;
  over.epochs = {epoch(1, 0.3, 0.95, 0.3, 0.93), epoch(2, 0.01, 1.0, 0.5, 0.90)};
  fit = diagnoseFit(over);
  EXPECT_EQ(fit.verdict, FitDiagnosis::Verdict::OverFit) << fit.text;
  EXPECT_NE(fit.text.find("validation loss rose from 0.3000 (epoch 1) to 0.5000 (epoch 2)"),
            std::string::npos)
      << fit.text;

  History under;
  under.epochs = {epoch(1, 1.0, 0.70, 1.0, 0.69)};
  fit = diagnoseFit(under);
  EXPECT_EQ(fit.verdict, FitDiagnosis::Verdict::UnderFit) << fit.text;
  EXPECT_NE(fit.text.find("high bias"), std::string::npos);
}

TEST(DiagnoseFit, JudgesTheKeptEpoch) {
  // Early stopping kept epoch 1, which was well fit; epoch 3 was over-fit.
  History history;
  history.epochs = {epoch(1, 0.1, 0.99, 0.1, 0.985), epoch(2, 0.05, 1.0, 0.2, 0.95),
                    epoch(3, 0.01, 1.0, 0.3, 0.93)};
  history.bestEpoch = 1;
  FitDiagnosis fit = diagnoseFit(history);
  EXPECT_EQ(fit.verdict, FitDiagnosis::Verdict::GoodFit) << fit.text;
  EXPECT_NE(fit.text.find("at the kept epoch 1"), std::string::npos) << fit.text;
}

TEST(DiagnoseFit, RegressionUsesRSquaredAndLossRatio) {
  History history;
  history.metric = "mse";
  history.epochs = {epoch(1, 0.5, 0.5, 0.55, 0.55)};
  // Variance 1: R^2 0.5 in training, under-fit.
  FitDiagnosis fit = diagnoseFit(history, 1.0);
  EXPECT_EQ(fit.verdict, FitDiagnosis::Verdict::UnderFit) << fit.text;
  EXPECT_NE(fit.text.find("R^2 0.500"), std::string::npos) << fit.text;
  // Variance 100: R^2 0.995, and validation error within 1.5x: well fit.
  EXPECT_EQ(diagnoseFit(history, 100.0).verdict, FitDiagnosis::Verdict::GoodFit);
  history.epochs = {epoch(1, 0.5, 0.5, 2.0, 2.0)};
  EXPECT_EQ(diagnoseFit(history, 100.0).verdict, FitDiagnosis::Verdict::OverFit);
}

TEST(DiagnoseFit, WithoutValidationOnlyBiasIsJudged) {
  History history;
  history.epochs = {epoch(1, 0.1, 0.99, NAN, NAN)};
  FitDiagnosis fit = diagnoseFit(history);
  EXPECT_EQ(fit.verdict, FitDiagnosis::Verdict::Unknown);
  EXPECT_NE(fit.text.find("use --val-fraction"), std::string::npos);
  history.epochs = {epoch(1, 1.0, 0.6, NAN, NAN)};
  EXPECT_EQ(diagnoseFit(history).verdict, FitDiagnosis::Verdict::UnderFit);
  EXPECT_EQ(diagnoseFit(History()).verdict, FitDiagnosis::Verdict::Unknown);
}
