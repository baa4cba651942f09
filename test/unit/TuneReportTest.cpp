//===- TuneReportTest.cpp - Tests of the tuner's trials CSV and SVG -------===//
//
// The exact CSV of a small search (a failed and a pruned trial, integer and
// choice ranges), the best so far in both directions, the structure of the
// trials SVG (dots, the best trial's ring and label, title, escaping) and
// the cases that could divide by zero or draw NaN: no trials, one trial,
// equal values, only failures, values near the limits of double.
//
//===----------------------------------------------------------------------===//

#include "kiln/TuneReport.h"

#include "TestFiles.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <limits>
#include <regex>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace kiln;
using kiln::testing::countOf;
using kiln::testing::polylinePoints;
using kiln::testing::readBytes;
using kiln::testing::TempDirTest;

namespace {

using Kind = TuneRange::Kind;

TuneRange range(const std::string &name, Kind kind, double low, double high,
                std::vector<double> choices = {}) {
  TuneRange r;
  r.name = name;
  r.kind = kind;
  r.low = low;
  r.high = high;
  r.choices = std::move(choices);
  return r;
}

TrialRecord trial(int64_t number, std::vector<double> values, double objective,
                  const std::string &status, int64_t epochs, double seconds) {
  TrialRecord record;
  record.trial = number;
  record.values = std::move(values);
  record.objective = objective;
  record.status = status;
  record.epochs = epochs;
  record.seconds = seconds;
  return record;
}

/// Five trials of a random search for accuracy over a log-uniform, a choice
/// and an integer range: trial 2 failed, trial 3 was pruned with the highest
/// value (which must not count), trial 4 is the best.
TuneHistory accuracySearch() {
  TuneHistory history;
  history.model = "mlp";
  history.space = {range("lr", Kind::LogUniform, 1e-4, 0.1),
                   range("batch", Kind::Choice, 0, 0, {32, 64, 128}),
                   range("layers", Kind::Integer, 1, 4)};
  history.objective = "val-acc";
  history.higherIsBetter = true;
  history.method = "random";
  history.trials = {trial(1, {0.01, 64, 2}, 0.9, "done", 3, 1.5),
                    trial(2, {0.0031622776601683794, 32, 1}, NAN, "failed", 0, 0.25),
                    trial(3, {0.05, 128, 3}, 0.95, "pruned", 1, 0.5),
                    trial(4, {0.001, 64, 4}, 0.93, "done", 3, 2),
                    trial(5, {0.02, 32, 2}, 0.92, "done", 3, 1.75)};
  return history;
}

/// A search of one uniform range with the given objectives, all done.
TuneHistory lossSearch(const std::vector<double> &objectives) {
  TuneHistory history;
  history.model = "mlp";
  history.space = {range("momentum", Kind::Uniform, 0.5, 0.99)};
  history.method = "bayesian";
  for (size_t i = 0; i < objectives.size(); ++i)
    history.trials.push_back(trial(int64_t(i) + 1, {0.5 + 0.1 * double(i)}, objectives[i],
                                   std::isnan(objectives[i]) ? "failed" : "done", 2, 1));
  return history;
}

/// Checks what every trials SVG must be: one <svg> element, closed text
/// elements, and no coordinate or label that came from a NaN or an infinity.
void expectWellFormed(const std::string &svg) {
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(countOf(svg, "<svg"), 1u);
  EXPECT_FALSE(std::regex_search(svg, std::regex("(^|[^a-z])(nan|inf)", std::regex::icase))) << svg;
  EXPECT_EQ(countOf(svg, "<text"), countOf(svg, "</text>"));
  EXPECT_EQ(countOf(svg, "<title>"), countOf(svg, "</title>"));
}

//===----------------------------------------------------------------------===//
// Best trial
//===----------------------------------------------------------------------===//

TEST(TuneHistory, BestIsTheBestDoneTrialInEitherDirection) {
  TuneHistory history = accuracySearch();
  EXPECT_EQ(history.bestIndex(), 3); // trial 4; the pruned trial 3 is higher
  std::vector<double> best = history.bestSoFar();
  ASSERT_EQ(best.size(), 5u);
  EXPECT_EQ(best, (std::vector<double>{0.9, 0.9, 0.9, 0.93, 0.93}));

  // The same values with lower as better: trial 1 stays the best.
  history.higherIsBetter = false;
  EXPECT_EQ(history.bestIndex(), 0);
  EXPECT_EQ(history.bestSoFar(), (std::vector<double>{0.9, 0.9, 0.9, 0.9, 0.9}));

  TuneHistory losses = lossSearch({0.5, NAN, 0.4, 0.45, 0.4, 0.2});
  EXPECT_EQ(losses.bestIndex(), 5);
  EXPECT_EQ(losses.bestSoFar(), (std::vector<double>{0.5, 0.5, 0.4, 0.4, 0.4, 0.2}));
  losses.trials.pop_back();
  EXPECT_EQ(losses.bestIndex(), 2); // the earliest of equals
}

TEST(TuneHistory, NoBestWithoutADoneTrialWithAFiniteObjective) {
  EXPECT_EQ(TuneHistory().bestIndex(), -1);
  EXPECT_TRUE(TuneHistory().bestSoFar().empty());
  TuneHistory history = lossSearch({NAN, NAN});
  EXPECT_EQ(history.bestIndex(), -1);
  history.trials[0].status = "pruned";
  history.trials[0].objective = 0.3;
  history.trials[1].status = "done"; // but NaN
  EXPECT_EQ(history.bestIndex(), -1);
  std::vector<double> best = history.bestSoFar();
  ASSERT_EQ(best.size(), 2u);
  EXPECT_TRUE(std::isnan(best[0]) && std::isnan(best[1]));
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

TEST(TrialsCsv, HasOneLinePerTrialWithBestSoFarAndEmptyCellsForNaN) {
  EXPECT_EQ(formatTrialsCsv(accuracySearch()),
            "trial,lr,batch,layers,val_acc,best_so_far,status,epochs_trained,seconds\n"
            "1,0.01,64,2,0.9,0.9,done,3,1.5\n"
            "2,0.0031622776601683794,32,1,,0.9,failed,0,0.25\n"
            "3,0.05,128,3,0.95,0.9,pruned,1,0.5\n"
            "4,0.001,64,4,0.93,0.93,done,3,2\n"
            "5,0.02,32,2,0.92,0.93,done,3,1.75\n");
}

TEST(TrialsCsv, LowerIsBetterAndBestSoFarEmptyBeforeTheFirstResult) {
  EXPECT_EQ(formatTrialsCsv(lossSearch({NAN, 0.5, 0.25, 0.3})),
            "trial,momentum,val_loss,best_so_far,status,epochs_trained,seconds\n"
            "1,0.5,,,failed,2,1\n"
            "2,0.6,0.5,0.5,done,2,1\n"
            "3,0.7,0.25,0.25,done,2,1\n"
            "4,0.8,0.3,0.25,done,2,1\n");
}

TEST(TrialsCsv, DiscreteValuesAreWholeNumbersAndOddNamesAreQuoted) {
  TuneHistory history;
  history.objective = "val-mse";
  history.space = {range("steps", Kind::Integer, 1, 1e17),
                   range("p", Kind::Choice, 0, 0, {0.25, 1e6}),
                   range("a,\"b\"", Kind::Uniform, 0, 1e17)};
  history.trials = {trial(1, {1e16, 0.25, 1e16}, 1e-7, "done", 1, 0.125),
                    trial(2, {3, 1e6}, std::numeric_limits<double>::infinity(), "failed", 0, 0)};
  EXPECT_EQ(formatTrialsCsv(history),
            "trial,steps,p,\"a,\"\"b\"\"\",val_mse,best_so_far,status,epochs_trained,seconds\n"
            "1,10000000000000000,0.25,1e+16,1e-07,1e-07,done,1,0.125\n"
            "2,3,1000000,,inf,1e-07,failed,0,0\n");
}

TEST(TrialsCsv, EmptyHistoryIsTheHeader) {
  TuneHistory history;
  EXPECT_EQ(formatTrialsCsv(history), "trial,val_loss,best_so_far,status,epochs_trained,seconds\n");
}

//===----------------------------------------------------------------------===//
// SVG
//===----------------------------------------------------------------------===//

TEST(TrialsSvg, DrawsDotsBestSoFarAndTheLabelledBestTrial) {
  std::string svg = formatTrialsSvg(accuracySearch());
  expectWellFormed(svg);
  EXPECT_NE(svg.find("<title>mlp: random search, 5 trials</title>"), std::string::npos);
  // Three done dots, one hollow pruned dot, none for the failed trial.
  EXPECT_EQ(countOf(svg, "<circle class=\"done\""), 3u);
  EXPECT_EQ(countOf(svg, "<circle class=\"pruned\""), 1u);
  EXPECT_NE(svg.find("<title>trial 3 (pruned after 1 epoch): lr=0.05 batch=128 layers=3; val-acc "
                     "95%</title>"),
            std::string::npos);
  EXPECT_EQ(svg.find("trial 2"), std::string::npos);
  // The best so far: 90% from trial 1, a step to 93% at trial 4, on to 5.
  EXPECT_EQ(countOf(polylinePoints(svg, "best-so-far"), ","), 4u);
  // The best trial, ringed once and labelled with its configuration.
  EXPECT_EQ(countOf(svg, "class=\"best\""), 1u);
  EXPECT_EQ(countOf(svg, "class=\"best-label\""), 1u);
  EXPECT_NE(svg.find(">best: trial 4, lr=0.001 batch=64 layers=4</text>"), std::string::npos);
  // Axes: the objective in percent, whole trial numbers.
  EXPECT_NE(svg.find(">val-acc (%), higher is better</text>"), std::string::npos);
  for (const char *label :
       {">90%</text>", ">95%</text>", ">1</text>", ">5</text>", ">trial</text>"})
    EXPECT_NE(svg.find(label), std::string::npos) << label;
  EXPECT_EQ(svg.find(">1.5</text>"), std::string::npos);
  EXPECT_NE(svg.find(">3 done, 1 pruned (hollow), 1 failed (not drawn)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">pruned</text>"), std::string::npos);
}

TEST(TrialsSvg, LossesAreNotPercentAndNeedNoPrunedLegend) {
  std::string svg = formatTrialsSvg(lossSearch({0.5, 0.4, 0.45}));
  expectWellFormed(svg);
  EXPECT_EQ(svg.find('%'), std::string::npos);
  EXPECT_NE(svg.find(">val-loss, lower is better</text>"), std::string::npos);
  EXPECT_NE(svg.find("<title>mlp: bayesian search, 3 trials</title>"), std::string::npos);
  EXPECT_NE(svg.find(">best: trial 2, momentum=0.6</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">pruned</text>"), std::string::npos);
  EXPECT_EQ(svg.find("failed (not drawn)"), std::string::npos);
  EXPECT_EQ(countOf(polylinePoints(svg, "best-so-far"), ","), 4u);
}

TEST(TrialsSvg, EscapesTheTitleAndTheLabel) {
  TuneHistory history = lossSearch({0.5});
  history.model = "a<b & \"c\"";
  history.method = "";
  history.space[0].name = "x<y>";
  std::string svg = formatTrialsSvg(history);
  expectWellFormed(svg);
  EXPECT_NE(svg.find("<title>a&lt;b &amp; &quot;c&quot;: search, 1 trial</title>"),
            std::string::npos);
  EXPECT_NE(svg.find(">best: trial 1, x&lt;y&gt;=0.5</text>"), std::string::npos);
  EXPECT_EQ(svg.find("x<y"), std::string::npos);
}

TEST(TrialsSvg, NoTrials) {
  TuneHistory history;
  history.model = "mlp";
  history.method = "grid";
  std::string svg = formatTrialsSvg(history);
  expectWellFormed(svg);
  EXPECT_NE(svg.find("<title>mlp: grid search, 0 trials</title>"), std::string::npos);
  EXPECT_NE(svg.find(">no trials</text>"), std::string::npos);
  EXPECT_EQ(svg.find("<circle class="), std::string::npos);
  EXPECT_EQ(svg.find("<polyline"), std::string::npos);
  EXPECT_EQ(svg.find("best:"), std::string::npos);
}

TEST(TrialsSvg, OneTrial) {
  std::string svg = formatTrialsSvg(lossSearch({0.25}));
  expectWellFormed(svg);
  EXPECT_NE(svg.find("<title>mlp: bayesian search, 1 trial</title>"), std::string::npos);
  EXPECT_EQ(countOf(svg, "<circle class=\"done\""), 1u);
  EXPECT_EQ(countOf(svg, "class=\"best\""), 1u);
  EXPECT_EQ(countOf(polylinePoints(svg, "best-so-far"), ","), 1u);
  EXPECT_NE(svg.find(">1</text>"), std::string::npos);
}

TEST(TrialsSvg, AllFailed) {
  TuneHistory history = accuracySearch();
  for (TrialRecord &record : history.trials) {
    record.status = "failed";
    record.objective = NAN;
  }
  std::string svg = formatTrialsSvg(history);
  expectWellFormed(svg);
  EXPECT_NE(svg.find(">no finished trial</text>"), std::string::npos);
  EXPECT_EQ(svg.find("<circle class="), std::string::npos);
  EXPECT_EQ(svg.find("<polyline"), std::string::npos);
  EXPECT_EQ(svg.find("class=\"best"), std::string::npos);
  EXPECT_NE(svg.find(">0 done, 0 pruned (hollow), 5 failed (not drawn)</text>"), std::string::npos);
}

TEST(TrialsSvg, OnlyPrunedTrialsHaveDotsButNoBest) {
  TuneHistory history = lossSearch({0.5, 0.4});
  for (TrialRecord &record : history.trials)
    record.status = "pruned";
  std::string svg = formatTrialsSvg(history);
  expectWellFormed(svg);
  EXPECT_EQ(countOf(svg, "<circle class=\"pruned\""), 2u);
  EXPECT_EQ(svg.find("<polyline"), std::string::npos);
  EXPECT_EQ(svg.find("class=\"best"), std::string::npos);
}

TEST(TrialsSvg, EqualAndExtremeValuesStillDraw) {
  std::string svg = formatTrialsSvg(lossSearch({0.3, 0.3, 0.3}));
  expectWellFormed(svg);
  EXPECT_EQ(countOf(polylinePoints(svg, "best-so-far"), ","), 2u);
  expectWellFormed(formatTrialsSvg(lossSearch({0, 0})));
  expectWellFormed(formatTrialsSvg(lossSearch({1e308, -1e308, NAN})));
  expectWellFormed(formatTrialsSvg(lossSearch({3e-12, 3.0000000001e-12})));
  TuneHistory accuracy = accuracySearch();
  for (TrialRecord &record : accuracy.trials)
    record.objective = 1;
  expectWellFormed(formatTrialsSvg(accuracy));
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

class TrialsFiles : public TempDirTest {};

TEST_F(TrialsFiles, WritesAreTheFormattedText) {
  TuneHistory history = accuracySearch();
  ASSERT_TRUE(writeTrialsCsv(path("trials.csv"), history));
  ASSERT_TRUE(writeTrialsSvg(path("trials.svg"), history));
  EXPECT_EQ(readBytes(path("trials.csv")), formatTrialsCsv(history));
  EXPECT_EQ(readBytes(path("trials.svg")), formatTrialsSvg(history));
  // Rewriting replaces the file whole and leaves no temporary file.
  history.trials.pop_back();
  ASSERT_TRUE(writeTrialsCsv(path("trials.csv"), history));
  EXPECT_EQ(readBytes(path("trials.csv")), formatTrialsCsv(history));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 2);
}

TEST_F(TrialsFiles, ErrorsNameThePath) {
  std::string csv = path("missing/trials.csv"), svg = path("missing/trials.svg");
  Status status = writeTrialsCsv(csv, accuracySearch());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().rfind(csv + ": cannot create ", 0), 0u) << status.error();
  status = writeTrialsSvg(svg, accuracySearch());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().rfind(svg + ": cannot create ", 0), 0u) << status.error();
}

// The SVG parses with another language's XML parser, and its marks are
// where the tests above found them.
TEST_F(TrialsFiles, PythonParsesTheSvg) {
  if (std::system("test -x /usr/bin/python3") != 0)
    GTEST_SKIP() << "no /usr/bin/python3";
  TuneHistory history = accuracySearch();
  history.model = "a<b & \"c\"";
  ASSERT_TRUE(writeTrialsSvg(path("trials.svg"), history));
  std::string command =
      "/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; "
      "ns = \"{http://www.w3.org/2000/svg}\"; "
      "root = E.parse(sys.argv[1]).getroot(); "
      "assert root.tag == ns + \"svg\", root.tag; "
      "assert root.find(ns + \"title\").text == \"a<b & \\\"c\\\": random search, 5 trials\"; "
      "dots = [c.get(\"class\") for c in root.iter(ns + \"circle\") if c.get(\"class\")]; "
      "assert sorted(dots) == [\"best\", \"done\", \"done\", \"done\", \"pruned\"], dots; "
      "label = root.find(ns + \"g[@class=\\\"best-label\\\"]\"); "
      "assert label.find(ns + \"text\").text == \"best: trial 4, lr=0.001 batch=64 layers=4\"; "
      "assert len(root.findall(ns + \"polyline\")) == 1' " +
      path("trials.svg");
  EXPECT_EQ(std::system(command.c_str()), 0);
}

} // namespace
