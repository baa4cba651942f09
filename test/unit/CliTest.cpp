//===- CliTest.cpp - The command line of generated binaries ---------------===//
//
// Training, evaluation and their errors through runMain, the entry point of
// a generated binary, over the hand-written models of StandIns.h and data
// sets written to a temporary directory.
//
//===----------------------------------------------------------------------===//

#include "kiln/Cli.h"
#include "kiln/Data.h"
#include "kiln/Model.h"
#include "kiln/Trainer.h"

#include "core/Random.h"

#include "IdxFiles.h"
#include "StandIns.h"
#include "TestFiles.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using namespace kiln::testing;
using namespace kiln;

namespace {

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

/// Runs the command line of `model`, as the binary `program`, with `args`
/// after the program name; `out` and `err` receive what it prints.
int runProgram(const std::string &program, CompiledModel &model, std::vector<std::string> args,
               std::ostringstream &out, std::ostringstream &err) {
  args.insert(args.begin(), program);
  std::vector<const char *> argv;
  for (const std::string &arg : args)
    argv.push_back(arg.c_str());
  out.str("");
  err.str("");
  return runMain(static_cast<int>(argv.size()), argv.data(), model, out, err);
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
    return runProgram("/some/where/toy", model, std::move(args), out, err);
  }

  SoftmaxModel model{16, 4};
  std::ostringstream out, err;
};

double finalAccuracy(const std::string &output) {
  std::smatch match;
  std::regex pattern("final test accuracy: ([0-9.]+)%\ndiagnosis: [^\n]+\n$");
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
  EXPECT_EQ(err.str(), "error: missing required flag '--data PATH' (see 'toy train --help')\n");

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
  EXPECT_NE(out.str().find("usage: toy train --data PATH [options]"), std::string::npos);
  EXPECT_NE(out.str().find("--lr VALUE"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("(default 0.1)"), std::string::npos) << out.str();
  EXPECT_EQ(run({"--help"}), ExitSuccess);
  EXPECT_NE(out.str().find("usage: toy <command> [options]"), std::string::npos);
}

// Each command's help speaks of that command only: predict's of predictions,
// not of epochs, trials or exported files.
TEST_F(TrainingTest, EachCommandHasItsOwnHelp) {
  auto help = [&](const std::string &command) {
    out.str("");
    EXPECT_EQ(run({command, "--help"}), ExitSuccess);
    return out.str();
  };
  std::string predict = help("predict");
  for (const char *other : {"epoch", "tune", "trial", "export", "safetensors) or", "training"})
    EXPECT_EQ(predict.find(other), std::string::npos) << other << " in:\n" << predict;
  EXPECT_NE(predict.find("--output PATH      the CSV file to write (default standard output)"),
            std::string::npos)
      << predict;
  EXPECT_NE(predict.find("class,p_0,p_1"), std::string::npos) << predict;
  EXPECT_NE(predict.find("--batch B          samples per call of the kernels"), std::string::npos)
      << predict;
  std::string tune = help("tune");
  EXPECT_NE(tune.find("the directory for trials.csv"), std::string::npos) << tune;
  EXPECT_NE(tune.find("(default 0.2)"), std::string::npos) << tune;
  std::string train = help("train");
  EXPECT_EQ(train.find("(tune"), std::string::npos) << train;
  EXPECT_EQ(train.find("; tune"), std::string::npos) << train;
  EXPECT_EQ(help("export").find("epoch"), std::string::npos);
  EXPECT_EQ(help("bench").find("epoch"), std::string::npos);
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

TEST_F(TrainingTest, HyperparametersOutOfRangeAreUsageErrors) {
  model.modelInfo.hyperparams[0].lower = 0;
  model.modelInfo.hyperparams[0].lowerOpen = true;
  EXPECT_EQ(run({"train", "--data", dir.string(), "--lr", "-0.5"}), ExitUsage);
  EXPECT_EQ(err.str(), "error: invalid value '-0.5' for '--lr': expected a number in "
                       "(0, inf) (see 'toy train --help')\n");
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

TEST_F(TrainingTest, OneHotTargetsTrainAndScoreLikeLabels) {
  Result<MnistData> data = loadMnist(dir.string(), model.info());
  ASSERT_TRUE(data) << data.error();
  auto oneHot = [](const Dataset &labelled) {
    Dataset rows = labelled;
    rows.y.clear();
    rows.targetFeatures = 4;
    rows.targets.assign(static_cast<size_t>(rows.count * 4), 0.0f);
    for (int64_t i = 0; i < rows.count; ++i)
      rows.targets[i * 4 + labelled.y[i]] = 1.0f;
    return rows;
  };
  Dataset train = oneHot(data->train), test = oneHot(data->test);

  model.modelInfo.targetFeatures = 4; // as for categorical_cross_entropy
  ParameterStore params(model.info());
  ASSERT_TRUE(params.initialize(3));
  Trainer trainer(model, params, {32, 3});
  ASSERT_TRUE(trainer.setHyperparam("lr", 0.3f));
  for (int epoch = 0; epoch < 2; ++epoch)
    ASSERT_TRUE(trainer.trainEpoch(train));
  EXPECT_TRUE(model.sawTargets);
  EXPECT_FALSE(model.sawLabels);
  Result<EvalStats> rows = trainer.evaluate(test);
  ASSERT_TRUE(rows) << rows.error();
  EXPECT_GE(rows->accuracy(), 0.95);

  // The same parameters scored against the labels the rows encode.
  model.modelInfo.targetFeatures = 0;
  Result<EvalStats> labels = trainer.evaluate(data->test);
  ASSERT_TRUE(labels) << labels.error();
  EXPECT_EQ(rows->correct, labels->correct);
  EXPECT_EQ(rows->decisions, labels->decisions);
}

/// Runs the command line of `model` with `args` after the program name.
int runCli(CompiledModel &model, std::vector<std::string> args, std::ostringstream &out,
           std::ostringstream &err) {
  return runProgram("/some/where/lin", model, std::move(args), out, err);
}

/// Writes `count` CSV rows: three features in unrelated units (years, a
/// fraction, a value near 1500) and the target `target` computes from them.
void writeTabular(const fs::path &path, int count,
                  const std::function<double(double, double, double)> &target, uint64_t seed) {
  Rng rng(seed);
  std::ofstream file(path);
  file << "age,fraction,level,target\n";
  for (int i = 0; i < count; ++i) {
    double age = rng.uniform(0, 100), fraction = rng.uniform(0, 1), level = rng.uniform(1000, 2000);
    file << age << "," << fraction << "," << level << "," << target(age, fraction, level) << "\n";
  }
}

using CsvTrainingTest = TempDirTest;

TEST_F(CsvTrainingTest, CliReportsRegressionErrors) {
  writeTabular(
      dir / "data.csv", 250,
      [](double age, double fraction, double level) {
        return 0.05 * age + 3 * fraction - 0.002 * level + 1;
      },
      1);
  LinearModel model(3, 1, "regression");
  std::ostringstream out, err;
  ASSERT_EQ(runCli(model,
                   {"train", "--data", path("data.csv"), "--epochs", "30", "--batch", "16", "--lr",
                    "0.05"},
                   out, err),
            ExitSuccess)
      << err.str();
  EXPECT_EQ(err.str(), "");
  std::string output = out.str();
  // 20% of 250 held out for testing.
  EXPECT_EQ(output.find("training lin: 4 parameters, 200 training samples, 50 test samples, "
                        "batch 16 (13 steps/epoch)"),
            0u)
      << output;
  std::regex epochLine("epoch 30/30  loss [0-9]+\\.[0-9]{4}  train-mse [0-9]+\\.[0-9]{4}  "
                       "test-mse [0-9]+\\.[0-9]{4}  test-mae [0-9]+\\.[0-9]{4}  [0-9]+ "
                       "samples/s  \\([0-9]+\\.[0-9] s\\)\n");
  EXPECT_TRUE(std::regex_search(output, epochLine)) << output;
  EXPECT_EQ(output.find("acc"), std::string::npos) << output;
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(output, match, std::regex("final test mse: ([0-9.]+)  mae: ([0-9.]+)\ndiagnosis: [^\n]+\n$")))
      << output;
  // The target has variance ~3 and is linear in the features: standardized
  // features let one learning rate fit all three within 30 epochs.
  EXPECT_LT(std::stod(match[1]), 0.01) << output;
  EXPECT_LT(std::stod(match[2]), 0.1) << output;
  EXPECT_FALSE(model.sawLabels);

  ASSERT_EQ(
      runCli(model, {"train", "--data", path("data.csv"), "--test-fraction", "0.5"}, out, err),
      ExitSuccess)
      << err.str();
  EXPECT_NE(out.str().find(" 125 training samples, 125 test samples, "), std::string::npos)
      << out.str();
}

TEST_F(CsvTrainingTest, CliReportsAccuracyForBinaryAndClassLabels) {
  writeTabular(
      dir / "binary.csv", 300,
      [](double age, double fraction, double) { return age / 100 + fraction > 1 ? 1 : 0; }, 2);
  LinearModel binary(3, 1, "binary");
  std::ostringstream out, err;
  ASSERT_EQ(
      runCli(binary,
             {"train", "--data", path("binary.csv"), "--epochs", "20", "--batch", "8", "--lr", "1"},
             out, err),
      ExitSuccess)
      << err.str();
  std::regex epochLine("epoch 20/20  loss [0-9]+\\.[0-9]{4}  train-acc [0-9]+\\.[0-9]{2}%  "
                       "test-acc [0-9]+\\.[0-9]{2}%  [0-9]+ samples/s");
  EXPECT_TRUE(std::regex_search(out.str(), epochLine)) << out.str();
  EXPECT_GE(finalAccuracy(out.str()), 90.0) << out.str();

  // Class labels in the last column: quadrant of the first two features.
  {
    Rng rng(5);
    std::ofstream file(dir / "classes.csv");
    for (int i = 0; i < 200; ++i) {
      int label = static_cast<int>(rng.below(4));
      double a = rng.uniform(0.5, 2), b = rng.uniform(0.5, 2);
      file << (label == 0 || label == 3 ? a : -a) << " " << (label < 2 ? b : -b) << " " << label
           << "\n";
    }
  }
  SoftmaxModel classifier(2, 4);
  ASSERT_EQ(runCli(classifier,
                   {"train", "--data", path("classes.csv"), "--epochs", "5", "--batch", "10",
                    "--lr", "0.5"},
                   out, err),
            ExitSuccess)
      << err.str();
  EXPECT_NE(out.str().find(" 160 training samples, 40 test samples, "), std::string::npos)
      << out.str();
  EXPECT_GE(finalAccuracy(out.str()), 95.0) << out.str();
  EXPECT_TRUE(classifier.sawLabels);
}

TEST_F(CsvTrainingTest, CliCsvErrors) {
  LinearModel model(3, 1, "regression");
  std::ostringstream out, err;
  writeBytes(path("bad.csv"), "1,2,3,4\n5,abc,7,8\n");
  EXPECT_EQ(runCli(model, {"train", "--data", path("bad.csv")}, out, err), ExitFailure);
  EXPECT_EQ(err.str(), "error: " + path("bad.csv") +
                           ": record 1 (line 2): column 2: expected a number, got 'abc'\n");

  writeBytes(path("wide.csv"), "1,2,3,4,5\n");
  EXPECT_EQ(runCli(model, {"train", "--data", path("wide.csv")}, out, err), ExitFailure);
  EXPECT_EQ(err.str(), "error: " + path("wide.csv") +
                           ": samples have 4 features but model 'lin' takes 3 "
                           "inputs\n");

  writeBytes(path("tiny.csv"), "1,2,3,4\n5,6,7,8\n");
  EXPECT_EQ(runCli(model, {"train", "--data", path("tiny.csv")}, out, err), ExitFailure);
  EXPECT_EQ(err.str(), "error: " + path("tiny.csv") +
                           ": holding out 0.2 of 2 samples leaves 0 held out and 2 for "
                           "training; each part needs at least one\n");

  EXPECT_EQ(
      runCli(model, {"train", "--data", path("tiny.csv"), "--test-fraction", "1.5"}, out, err),
      ExitUsage);
  EXPECT_EQ(err.str(), "error: invalid value '1.5' for '--test-fraction': expected a number in "
                       "(0, 1) (see 'lin train --help')\n");
  EXPECT_EQ(model.modelInfo.params.size(), 2u);
}

TEST_F(CsvTrainingTest, HelpNamesTheTask) {
  LinearModel model(3, 1, "regression");
  std::ostringstream out, err;
  EXPECT_EQ(runCli(model, {"train", "--help"}, out, err), ExitSuccess);
  EXPECT_NE(out.str().find("Trains model 'lin' (3 inputs, 1 outputs, task regression) and prints "
                           "one line per epoch\nand the final test mean squared and absolute "
                           "error."),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("--test-fraction F"), std::string::npos) << out.str();
}

} // namespace
