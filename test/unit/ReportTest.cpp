//===- ReportTest.cpp - Tests of the progress bar and history files -------===//
//
// The exact CSV and JSON of a small history (NaN cells included), the
// errors of writeHistory, the structure of the curves SVG in the cases that
// could divide by zero (one epoch, no validation, non-finite values, values
// near the limits of double), and the progress bar under a fake clock.
//
//===----------------------------------------------------------------------===//

#include "kiln/History.h"
#include "train/Progress.h"

#include "TestFiles.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <regex>
#include <sstream>
#include <string>

#include <unistd.h>

namespace fs = std::filesystem;
using namespace kiln;
using kiln::testing::countOf;
using kiln::testing::polylinePoints;

namespace {

std::string readText(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// A fresh directory under the system's temporary one, removed at the end.
class TempDir {
public:
  TempDir() {
    path = fs::temp_directory_path() /
           ("kiln-report-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;

private:
  static inline int counter = 0;
};

/// Two epochs, the second with its training metric, validation loss and
/// learning rate unmeasured.
History twoEpochs() {
  History history;
  history.model = "mlp";
  EpochRecord first;
  first.epoch = 1;
  first.trainLoss = 0.5;
  first.trainMetric = 0.9;
  first.valLoss = 0.45;
  first.valMetric = 0.91;
  first.learningRate = 0.05;
  first.seconds = 2.5;
  first.samplesPerSecond = 24000;
  EpochRecord second;
  second.epoch = 2;
  second.trainLoss = 0.25;
  second.valMetric = 0.93;
  second.seconds = 2;
  second.samplesPerSecond = 30000;
  history.epochs = {first, second};
  history.bestEpoch = 1;
  history.stopReason = "early stop: val-loss did not improve by 0.001 for 1 epoch";
  return history;
}

History epochsOf(std::vector<double> losses, std::vector<double> accuracies, bool validation) {
  History history;
  history.model = "mlp";
  for (size_t i = 0; i < losses.size(); ++i) {
    EpochRecord record;
    record.epoch = int64_t(i) + 1;
    record.trainLoss = losses[i];
    record.trainMetric = accuracies[i];
    if (validation) {
      record.valLoss = losses[i] * 1.1;
      record.valMetric = accuracies[i] * 0.99;
    }
    history.epochs.push_back(record);
  }
  return history;
}

//===----------------------------------------------------------------------===//
// CSV and JSON
//===----------------------------------------------------------------------===//

TEST(History, CsvHasOneLinePerEpochAndEmptyCellsForNaN) {
  EXPECT_EQ(formatHistoryCsv(twoEpochs()),
            "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds,samples_per_second\n"
            "1,0.5,0.9,0.45,0.91,0.05,2.5,24000\n"
            "2,0.25,,,0.93,,2,30000\n");
}

TEST(History, CsvNamesTheMetricAndWritesInfinities) {
  History history;
  history.metric = "mse";
  EpochRecord record;
  record.epoch = 3;
  record.trainLoss = std::numeric_limits<double>::infinity();
  record.trainMetric = 1e-7;
  record.valLoss = -std::numeric_limits<double>::infinity();
  history.epochs = {record};
  EXPECT_EQ(formatHistoryCsv(history),
            "epoch,train_loss,train_mse,val_loss,val_mse,lr,seconds,samples_per_second\n"
            "3,inf,1e-07,-inf,,,0,0\n");
  EXPECT_FALSE(history.higherIsBetter());
  EXPECT_TRUE(History().higherIsBetter());
}

TEST(History, JsonHasTheRunAndOneObjectPerEpochWithNullForNaN) {
  EXPECT_EQ(formatHistoryJson(twoEpochs()),
            R"({
  "model": "mlp",
  "metric": "accuracy",
  "best_epoch": 1,
  "stop_reason": "early stop: val-loss did not improve by 0.001 for 1 epoch",
  "epochs": [
    {"epoch": 1, "train_loss": 0.5, "train_accuracy": 0.9, "val_loss": 0.45, "val_accuracy": 0.91, "lr": 0.05, "seconds": 2.5, "samples_per_second": 24000},
    {"epoch": 2, "train_loss": 0.25, "train_accuracy": null, "val_loss": null, "val_accuracy": 0.93, "lr": null, "seconds": 2, "samples_per_second": 30000}
  ]
}
)");
}

TEST(History, JsonOfAnEmptyHistoryEscapesStrings) {
  History history;
  history.model = "a \"quoted\"\\name\n\x01";
  EXPECT_EQ(formatHistoryJson(history), R"({
  "model": "a \"quoted\"\\name\n\u0001",
  "metric": "accuracy",
  "best_epoch": 0,
  "stop_reason": "",
  "epochs": []
}
)");
}

TEST(History, WriteChoosesTheFormatByExtensionAndLeavesNoTemporaryFile) {
  TempDir dir;
  History history = twoEpochs();
  ASSERT_TRUE(writeHistory((dir.path / "history.csv").string(), history));
  ASSERT_TRUE(writeHistory((dir.path / "history.JSON").string(), history));
  EXPECT_EQ(readText(dir.path / "history.csv"), formatHistoryCsv(history));
  EXPECT_EQ(readText(dir.path / "history.JSON"), formatHistoryJson(history));

  // Rewriting replaces the file whole.
  history.epochs.pop_back();
  ASSERT_TRUE(writeHistory((dir.path / "history.csv").string(), history));
  EXPECT_EQ(readText(dir.path / "history.csv"), formatHistoryCsv(history));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 2);
}

TEST(History, WriteRefusesAnUnknownExtensionNamingThePath) {
  TempDir dir;
  for (const char *name : {"history.txt", "history", "run.csv/history"}) {
    std::string path = (dir.path / name).string();
    Status status = writeHistory(path, twoEpochs());
    ASSERT_FALSE(status) << name;
    EXPECT_EQ(status.error(),
              path + ": cannot tell the history format from the extension; use .csv or .json");
  }
  EXPECT_TRUE(fs::is_empty(dir.path));
}

TEST(History, WriteRefusesAMetricThatCannotBeAColumnName) {
  TempDir dir;
  History history = twoEpochs();
  history.metric = "top,5";
  std::string path = (dir.path / "history.csv").string();
  Status status = writeHistory(path, history);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), path + ": metric name 'top,5' cannot be a column name; use letters, "
                                   "digits, '_' or '-'");
}

TEST(History, WriteIntoAMissingDirectoryNamesThePath) {
  TempDir dir;
  std::string path = (dir.path / "missing" / "history.json").string();
  Status status = writeHistory(path, twoEpochs());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().rfind(path + ": cannot create ", 0), 0u) << status.error();
  EXPECT_NE(status.error().find("No such file or directory"), std::string::npos);

  status = writeCurvesSvg((dir.path / "missing" / "curves.svg").string(), twoEpochs());
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().find("curves.svg: cannot create"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// SVG
//===----------------------------------------------------------------------===//

/// Checks what every curves SVG must be: one <svg> element, and no
/// coordinate or label that came from a NaN or an infinity.
void expectWellFormed(const std::string &svg) {
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(countOf(svg, "<svg"), 1u);
  // "nan" or "inf" as a word of its own, not inside "dominant-baseline".
  EXPECT_FALSE(std::regex_search(svg, std::regex("(^|[^a-z])(nan|inf)", std::regex::icase)))
      << svg;
  // Every opened text element is closed.
  EXPECT_EQ(countOf(svg, "<text"), countOf(svg, "</text>"));
}

TEST(Curves, DrawsBothPanelsWithLegendTitleAndBestEpoch) {
  History history =
      epochsOf({1.0, 0.6, 0.4, 0.3, 0.0}, {0.90, 0.93, 0.95, 0.97, 0.98}, /*validation=*/true);
  history.bestEpoch = 4;
  std::string svg = formatCurvesSvg(history);
  expectWellFormed(svg);
  for (const char *line : {"train-loss", "val-loss", "train-metric", "val-metric"})
    EXPECT_EQ(countOf(polylinePoints(svg, line), ","), 5u) << line;
  EXPECT_NE(svg.find("<title>mlp: loss and accuracy per epoch</title>"), std::string::npos);
  EXPECT_NE(svg.find(">train</text>"), std::string::npos);
  EXPECT_NE(svg.find(">validation</text>"), std::string::npos);
  // The marker and its label, once per panel.
  EXPECT_EQ(countOf(svg, "class=\"best-epoch\""), 2u);
  EXPECT_EQ(countOf(svg, ">best epoch 4</text>"), 2u);
  // Nice ticks: the loss from 0 to 1.1 by 0.2, the accuracy in whole percent.
  for (const char *label : {">0.0</text>", ">0.2</text>", ">1.0</text>", ">1.2</text>"})
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  for (const char *label : {">88%</text>", ">90%</text>", ">98%</text>"})
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  EXPECT_EQ(svg.find(">100%</text>"), std::string::npos);
  // Epoch ticks are whole numbers.
  for (const char *label : {">1</text>", ">2</text>", ">5</text>"})
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  EXPECT_EQ(svg.find(">1.5</text>"), std::string::npos);
}

TEST(Curves, NoBestEpochMarkerWithoutABestEpoch) {
  std::string svg = formatCurvesSvg(epochsOf({1.0, 0.5}, {0.5, 0.6}, true));
  expectWellFormed(svg);
  EXPECT_EQ(svg.find("best-epoch"), std::string::npos);
  EXPECT_EQ(svg.find("best epoch"), std::string::npos);
}

TEST(Curves, OneEpochDrawsADotAndOneTick) {
  History history = epochsOf({0.5}, {1.0}, /*validation=*/false);
  history.bestEpoch = 1;
  std::string svg = formatCurvesSvg(history);
  expectWellFormed(svg);
  EXPECT_EQ(countOf(polylinePoints(svg, "train-loss"), ","), 1u);
  EXPECT_EQ(countOf(polylinePoints(svg, "train-metric"), ","), 1u);
  EXPECT_GE(countOf(svg, "<circle"), 2u);
  EXPECT_EQ(countOf(svg, "class=\"best-epoch\""), 2u);
  // 100% exactly: the axis stops there rather than showing 110%.
  EXPECT_NE(svg.find(">100%</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">110%</text>"), std::string::npos);
}

TEST(Curves, NoValidationMeansNoValidationLinesNorLegend) {
  std::string svg = formatCurvesSvg(epochsOf({0.9, 0.7, 0.6}, {0.7, 0.8, 0.85}, false));
  expectWellFormed(svg);
  EXPECT_NE(svg.find("class=\"train-loss\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"train-metric\""), std::string::npos);
  EXPECT_EQ(svg.find("class=\"val-loss\""), std::string::npos);
  EXPECT_EQ(svg.find("class=\"val-metric\""), std::string::npos);
  EXPECT_EQ(svg.find(">validation</text>"), std::string::npos);
}

TEST(Curves, NonFiniteValuesAreSkipped) {
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  History history = epochsOf({1.0, inf, nan, 0.5}, {nan, nan, nan, nan}, false);
  history.metric = "mse";
  std::string svg = formatCurvesSvg(history);
  expectWellFormed(svg);
  EXPECT_EQ(countOf(polylinePoints(svg, "train-loss"), ","), 2u);
  EXPECT_EQ(svg.find("class=\"train-metric\""), std::string::npos);
  EXPECT_NE(svg.find(">not measured</text>"), std::string::npos);
  EXPECT_NE(svg.find(">mse</text>"), std::string::npos);
  EXPECT_EQ(svg.find("%"), std::string::npos);
}

TEST(Curves, EmptyHistoryAndExtremeValuesStillDraw) {
  expectWellFormed(formatCurvesSvg(History()));
  expectWellFormed(formatCurvesSvg(epochsOf({1e308, -1e308}, {1e-300, 2e-300}, true)));
  expectWellFormed(formatCurvesSvg(epochsOf({3e-12, 3.0000000001e-12}, {0.5, 0.5}, false)));
  expectWellFormed(formatCurvesSvg(epochsOf({0, 0, 0}, {0, 0, 0}, false)));
}

TEST(Curves, EscapesTheTitleAndShowsTheStopReason) {
  History history = twoEpochs();
  history.model = "a<b & \"c\"";
  std::string svg = formatCurvesSvg(history);
  expectWellFormed(svg);
  EXPECT_NE(svg.find("a&lt;b &amp; &quot;c&quot;: loss and accuracy per epoch"), std::string::npos);
  EXPECT_NE(svg.find(">early stop: val-loss did not improve by 0.001 for 1 epoch</text>"),
            std::string::npos);
}

TEST(Curves, WriteIsTheFormattedSvg) {
  TempDir dir;
  fs::path path = dir.path / "curves.svg";
  ASSERT_TRUE(writeCurvesSvg(path.string(), twoEpochs()));
  EXPECT_EQ(readText(path), formatCurvesSvg(twoEpochs()));
}

// The files parse with the standard parsers of another language.
TEST(Curves, PythonParsesTheSvgAndTheJson) {
  if (std::system("python3 -c '' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "no python3";
  TempDir dir;
  History history = twoEpochs();
  history.model = "a<b & \"c\"";
  std::string svg = (dir.path / "curves.svg").string();
  std::string json = (dir.path / "history.json").string();
  ASSERT_TRUE(writeCurvesSvg(svg, history));
  ASSERT_TRUE(writeHistory(json, history));
  std::string command =
      "python3 -c 'import json, sys, xml.etree.ElementTree as E; "
      "root = E.parse(sys.argv[1]).getroot(); "
      "assert root.tag.endswith(\"svg\"), root.tag; "
      "assert len(root.findall(\".//{http://www.w3.org/2000/svg}polyline\")) == 4; "
      "data = json.load(open(sys.argv[2])); "
      "assert data[\"epochs\"][1][\"val_loss\"] is None' " +
      svg + " " + json;
  EXPECT_EQ(std::system(command.c_str()), 0);
}

//===----------------------------------------------------------------------===//
// Progress
//===----------------------------------------------------------------------===//

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(formatDuration(0), "0:00");
  EXPECT_EQ(formatDuration(3.4), "0:03");
  EXPECT_EQ(formatDuration(65), "1:05");
  EXPECT_EQ(formatDuration(3725), "1:02:05");
  EXPECT_EQ(formatDuration(std::nan("")), "--:--");
}

TEST(Progress, InteractiveDrawsTheBarWithLossThroughputAndEta) {
  std::ostringstream out;
  double now = 100;
  Progress progress(out, /*interactive=*/true, [&] { return now; });
  progress.beginEpoch(2, 10, 469);
  EXPECT_EQ(out.str(), "\repoch 2/10 [                    ]   0/469\033[K");
  out.str("");
  now += 2;
  progress.step(235, 0.2874, 235 * 128);
  EXPECT_EQ(out.str(), "\repoch 2/10 [=========>          ] 235/469  loss 0.2874  15040 "
                       "samples/s  ETA 0:02\033[K");
  out.str("");
  now += 2;
  progress.step(469, 0.25, 469 * 128);
  EXPECT_EQ(out.str(), "\repoch 2/10 [====================] 469/469  loss 0.2500  15008 "
                       "samples/s\033[K");
  out.str("");
  progress.endEpoch("epoch 2/10  loss 0.2500");
  EXPECT_EQ(out.str(), "\r\033[Kepoch 2/10  loss 0.2500\n");
}

TEST(Progress, InteractiveRedrawsAtMostTenTimesASecond) {
  std::ostringstream out;
  double now = 0;
  Progress progress(out, /*interactive=*/true, [&] { return now; });
  progress.beginEpoch(1, 1, 100);
  // 100 steps of 1/64 s (exact in binary): a redraw every 7 steps (0.109 s)
  // after the one at the start of the epoch.
  for (int done = 1; done <= 100; ++done) {
    now += 1.0 / 64;
    progress.step(done, 1.0, done * 32);
  }
  EXPECT_EQ(countOf(out.str(), "\r"), 1u + 100 / 7);
  EXPECT_NE(out.str().find("ETA 0:0"), std::string::npos);
  progress.endEpoch("done");
  EXPECT_EQ(out.str().substr(out.str().size() - 9), "\r\033[Kdone\n");
}

TEST(Progress, UnknownStepCountShowsNoBar) {
  std::ostringstream out;
  double now = 0;
  Progress progress(out, /*interactive=*/true, [&] { return now; });
  progress.beginEpoch(1, 3, 0);
  now = 1;
  progress.step(12, 0.5, 1200);
  EXPECT_EQ(out.str(), "\repoch 1/3 step 0\033[K\repoch 1/3 step 12  loss 0.5000  1200 "
                       "samples/s\033[K");
}

TEST(Progress, NotInteractivePrintsOnlyTheSummaryLines) {
  std::ostringstream out;
  double now = 0;
  Progress progress(out, /*interactive=*/false, [&] { return now; });
  for (int epoch = 1; epoch <= 2; ++epoch) {
    progress.beginEpoch(epoch, 2, 50);
    for (int done = 1; done <= 50; ++done) {
      now += 1;
      progress.step(done, 0.5, done * 10);
    }
    progress.endEpoch("epoch " + std::to_string(epoch) + "/2  loss 0.5000");
  }
  EXPECT_EQ(out.str(), "epoch 1/2  loss 0.5000\nepoch 2/2  loss 0.5000\n");
}

TEST(Progress, CiIsNotATerminal) {
  const char *old = std::getenv("CI");
  std::string saved = old ? old : "";
  ::setenv("CI", "true", 1);
  EXPECT_FALSE(Progress::stdoutIsTerminal());
  if (old)
    ::setenv("CI", saved.c_str(), 1);
  else
    ::unsetenv("CI");
}

} // namespace
