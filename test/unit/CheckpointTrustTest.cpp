//===- CheckpointTrustTest.cpp - What a checkpoint must prove on load -----===//
//
// A checkpoint is not trusted: flipped data bytes fail its checksum, NaN or
// Inf weights are refused by name, every metadata field the trainer reads is
// validated, and a path that is no regular file (a FIFO, a directory, a
// device) is refused without blocking. A refused load changes nothing.
//
//===----------------------------------------------------------------------===//

#include "kiln/Checkpoint.h"
#include "kiln/Fit.h"
#include "kiln/Trainer.h"

#include "StandIns.h"
#include "TestFiles.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <future>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace kiln;
using namespace kiln::testing;

namespace {

class CheckpointTrustTest : public TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    file = path("checkpoint.safetensors");
    ASSERT_TRUE(params.initialize(1));
    for (std::vector<float> *values : {&params.values(0), &params.values(1)})
      for (size_t i = 0; i < values->size(); ++i)
        (*values)[i] = 0.25f * float(i + 1);
  }
  /// Saves the trainer's checkpoint to `file`.
  void save() {
    Trainer trainer(model, params, {4, 1});
    Status saved = trainer.saveCheckpoint(file);
    ASSERT_TRUE(saved) << saved.error();
  }

  /// Rewrites the checkpoint at `file` with metadata `key` set to `value`,
  /// or removed when `value` is nothing. The data, and so its checksum, stay.
  void rewriteMetadata(const std::string &key, std::optional<std::string> value) {
    Result<Checkpoint> loaded = loadCheckpoint(file);
    ASSERT_TRUE(loaded) << loaded.error();
    std::vector<TensorView> views;
    for (const LoadedTensor &tensor : loaded->tensors)
      views.push_back({tensor.name, tensor.shape, tensor.values.data()});
    if (value)
      loaded->metadata[key] = *value;
    else
      loaded->metadata.erase(key);
    Status saved = saveCheckpoint(file, views, loaded->metadata);
    ASSERT_TRUE(saved) << saved.error();
  }

  /// The error of loading `file` into a fresh trainer, with `file` replaced
  /// by "FILE", or "(loaded)"; also checks that a failed load changed
  /// nothing.
  std::string trainerLoadError() {
    LinearModel fresh(3, 2, "regression");
    ParameterStore freshParams(fresh.info());
    Trainer trainer(fresh, freshParams, {4, 7});
    Status status = trainer.loadCheckpoint(file);
    if (status) {
      EXPECT_EQ(freshParams.values(0), params.values(0));
      return "(loaded)";
    }
    EXPECT_EQ(trainer.epochsDone(), 0);
    EXPECT_EQ(trainer.updates(), 0);
    EXPECT_EQ(freshParams.values(0), std::vector<float>(6, 0.0f));
    std::string message = status.error();
    if (message.compare(0, file.size() + 2, file + ": ") != 0)
      return "(no path) " + message;
    return "FILE" + message.substr(file.size());
  }

  std::string file;
  LinearModel model{3, 2, "regression"};
  ParameterStore params{model.info()};
};

TEST_F(CheckpointTrustTest, TrainerCheckpointsCarryAChecksumAndLoad) {
  save();
  Result<Checkpoint> loaded = loadCheckpoint(file);
  ASSERT_TRUE(loaded) << loaded.error();
  ASSERT_EQ(loaded->metadata.count(DataChecksumKey), 1u);
  EXPECT_EQ(loaded->metadata.at(DataChecksumKey).size(), 8u);
  EXPECT_EQ(trainerLoadError(), "(loaded)");
}

TEST_F(CheckpointTrustTest, AFlippedDataByteFailsTheChecksum) {
  save();
  std::string bytes = readBytes(file);
  bytes[bytes.size() - 3] ^= 0x10; // inside the last tensor's data
  writeBytes(file, bytes);
  Result<Checkpoint> loaded = loadCheckpoint(file);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().rfind(file + ": the data does not match its checksum (data_crc32 ", 0),
            0u)
      << loaded.error();
  EXPECT_NE(loaded.error().find("the file is corrupt"), std::string::npos);
  EXPECT_NE(trainerLoadError().find("does not match its checksum"), std::string::npos);
}

TEST_F(CheckpointTrustTest, FilesWithoutAChecksumStillLoad) {
  save();
  rewriteMetadata(DataChecksumKey, std::nullopt);
  EXPECT_EQ(trainerLoadError(), "(loaded)");
}

TEST_F(CheckpointTrustTest, AMalformedChecksumIsAnError) {
  save();
  rewriteMetadata(DataChecksumKey, "12345xyz");
  EXPECT_EQ(trainerLoadError(), "FILE: metadata \"data_crc32\" is \"12345xyz\", not 8 hex digits");
  save();
  rewriteMetadata(DataChecksumKey, "123");
  EXPECT_EQ(trainerLoadError(), "FILE: metadata \"data_crc32\" is \"123\", not 8 hex digits");
}

TEST_F(CheckpointTrustTest, NonFiniteWeightsAreRefusedByName) {
  params.values(0)[4] = std::numeric_limits<float>::quiet_NaN();
  save();
  EXPECT_EQ(trainerLoadError(), "FILE: tensor 'dense.weight' holds nan at element 4: the "
                                "checkpoint is corrupt or was saved after training diverged");
  params.values(0)[4] = 0;
  params.values(1)[1] = -std::numeric_limits<float>::infinity();
  save();
  EXPECT_EQ(trainerLoadError(), "FILE: tensor 'dense.bias' holds -inf at element 1: the "
                                "checkpoint is corrupt or was saved after training diverged");
}

TEST_F(CheckpointTrustTest, MetadataIsValidated) {
  struct Case {
    std::string key;
    std::optional<std::string> value;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"epochs", "abc", "FILE: metadata 'epochs' is \"abc\", not a non-negative integer"},
      {"epochs", "3x", "FILE: metadata 'epochs' is \"3x\", not a non-negative integer"},
      {"epochs", "99999999999999999999",
       "FILE: metadata 'epochs' is \"99999999999999999999\", not a "
       "non-negative integer"},
      {"epochs", std::nullopt, "FILE: metadata 'epochs' is missing, not a non-negative integer"},
      {"updates", "-1", "FILE: metadata 'updates' is \"-1\", not a non-negative integer"},
      {"updates", "", "FILE: metadata 'updates' is \"\", not a non-negative integer"},
      {"seed", "-3", "FILE: metadata 'seed' is \"-3\", not a non-negative integer"},
      {"optimizer", "adam",
       "FILE: checkpoint trained with optimizer \"adam\", but model 'lin' uses "
       "'sgd'; its "
       "optimizer state would not carry over"},
      {"optimizer", std::nullopt,
       "FILE: checkpoint trained with optimizer missing, but model 'lin' uses "
       "'sgd'; its "
       "optimizer state would not carry over"},
      {"model", "mlp", "FILE: checkpoint of model \"mlp\", not 'lin'"},
      {"format", "kiln-checkpoint-2",
       "FILE: metadata 'format' is \"kiln-checkpoint-2\"; this version reads "
       "\"kiln-checkpoint-1\""},
      {"format", std::nullopt,
       "FILE: metadata 'format' is missing; this version reads "
       "\"kiln-checkpoint-1\""},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.key + " = " + c.value.value_or("(none)"));
    save();
    rewriteMetadata(c.key, c.value);
    EXPECT_EQ(trainerLoadError(), c.error);
  }
}

TEST_F(CheckpointTrustTest, ResumeValidatesTheBestEpoch) {
  for (auto [epoch, value, error] :
       {std::tuple{"abc", "0.5", "metadata 'best_epoch' is \"abc\", not an epoch from 1 to 0"},
        std::tuple{"1", "0.5", "metadata 'best_epoch' is \"1\", not an epoch from 1 to 0"},
        std::tuple{"-1", "0.5", "metadata 'best_epoch' is \"-1\", not an epoch from 1 to 0"}}) {
    save();
    rewriteMetadata("best_epoch", epoch);
    rewriteMetadata("best_value", value);
    LinearModel fresh(3, 2, "regression");
    ParameterStore freshParams(fresh.info());
    Trainer trainer(fresh, freshParams, {4, 1});
    Result<FitState> state = resumeFit(trainer, file, FitOptions{});
    ASSERT_FALSE(state);
    EXPECT_EQ(state.error(), file + ": " + error);
  }
  save();
  rewriteMetadata("epochs", "2");
  rewriteMetadata("best_epoch", "2");
  rewriteMetadata("best_value", "low");
  LinearModel fresh(3, 2, "regression");
  ParameterStore freshParams(fresh.info());
  Trainer trainer(fresh, freshParams, {4, 1});
  Result<FitState> state = resumeFit(trainer, file, FitOptions{});
  ASSERT_FALSE(state);
  EXPECT_EQ(state.error(), file + ": metadata 'best_value' is \"low\", not a number");
}

/// Loads `target` on another thread; fails instead of hanging when the load
/// blocks, and then opens the FIFO for writing to release it.
std::string loadErrorWithin(const std::string &target, const std::string &fifoToRelease = "") {
  std::future<Result<Checkpoint>> loading =
      std::async(std::launch::async, [&] { return loadCheckpoint(target); });
  if (loading.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << target << ": the load blocks";
    if (!fifoToRelease.empty())
      ::close(::open(fifoToRelease.c_str(), O_WRONLY | O_NONBLOCK));
  }
  Result<Checkpoint> loaded = loading.get();
  return loaded ? "(loaded)" : loaded.error();
}

TEST_F(CheckpointTrustTest, PathsThatAreNotRegularFilesAreRefusedWithoutBlocking) {
  std::string fifo = path("fifo.safetensors");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(loadErrorWithin(fifo, fifo),
            fifo + ": is not a regular file (a FIFO), not a checkpoint file");
  EXPECT_EQ(loadErrorWithin(dir.string()),
            dir.string() + ": is a directory, not a checkpoint file");
  if (fs::exists("/dev/null"))
    EXPECT_EQ(loadErrorWithin("/dev/null"),
              "/dev/null: is not a regular file (a device), not a checkpoint file");

  // Through the trainer too, changing nothing.
  file = fifo;
  EXPECT_EQ(trainerLoadError(), "FILE: is not a regular file (a FIFO), not a checkpoint file");
}

} // namespace
