//===- IdxTest.cpp - The IDX reader and its messages ----------------------===//

#include "kiln/Data.h"

#include "IdxFiles.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace kiln::testing;
using namespace kiln;

namespace {

using IdxTest = TempDirTest;

TEST_F(IdxTest, ReadsImagesAsFractions) {
  writeImages(path("images"), 2, 1, 3, {0, 51, 255, 1, 2, 3});
  Result<IdxImages> images = readIdxImages(path("images"));
  ASSERT_TRUE(images) << images.error();
  EXPECT_EQ(images->count, 2);
  EXPECT_EQ(images->rows, 1);
  EXPECT_EQ(images->cols, 3);
  ASSERT_EQ(images->pixels.size(), 6u);
  EXPECT_EQ(images->pixels[0], 0.0f);
  EXPECT_FLOAT_EQ(images->pixels[1], 0.2f);
  EXPECT_EQ(images->pixels[2], 1.0f);
  EXPECT_FLOAT_EQ(images->pixels[5], 3.0f / 255.0f);
}

TEST_F(IdxTest, ReadsLabels) {
  writeLabels(path("labels"), {3, 0, 9});
  Result<std::vector<int32_t>> labels = readIdxLabels(path("labels"), 10);
  ASSERT_TRUE(labels) << labels.error();
  EXPECT_EQ(*labels, (std::vector<int32_t>{3, 0, 9}));
}

TEST_F(IdxTest, BadMagic) {
  writeBytes(path("train-images-idx3-ubyte"), idxHeader(0x00000802, {1, 1, 1}) + "x");
  Result<IdxImages> images = readIdxImages(path("train-images-idx3-ubyte"));
  ASSERT_FALSE(images);
  EXPECT_EQ(images.error(), path("train-images-idx3-ubyte") +
                                ": bad magic number 0x00000802 (expected 0x00000803 for an "
                                "image file)");

  // A label file where images are expected, and the other way round.
  writeLabels(path("labels"), {1});
  EXPECT_EQ(readIdxImages(path("labels")).error(),
            path("labels") + ": bad magic number 0x00000801 (expected 0x00000803 for an image "
                             "file)");
  writeImages(path("images"), 1, 1, 1, {0});
  EXPECT_EQ(readIdxLabels(path("images"), 10).error(),
            path("images") + ": bad magic number 0x00000803 (expected 0x00000801 for a label "
                             "file)");
}

TEST_F(IdxTest, TruncatedData) {
  writeImages(path("images"), 3, 2, 2, std::vector<uint8_t>(10, 7));
  Result<IdxImages> images = readIdxImages(path("images"));
  ASSERT_FALSE(images);
  EXPECT_EQ(images.error(), path("images") + ": truncated: header says 3 images of 2x2 (12 "
                                             "bytes) but the file holds 10 bytes of data; "
                                             "record 2 is incomplete");

  writeBytes(path("labels"), idxHeader(IdxLabelMagic, {5}) + "abc");
  EXPECT_EQ(readIdxLabels(path("labels"), 0).error(),
            path("labels") + ": truncated: header says 5 labels (5 bytes) but the file holds 3 "
                             "bytes of data; record 3 is incomplete");
}

TEST_F(IdxTest, TruncatedHeader) {
  writeBytes(path("images"), idxHeader(IdxImageMagic, {60000}));
  EXPECT_EQ(readIdxImages(path("images")).error(),
            path("images") + ": truncated: the file holds 8 bytes, fewer than the 16-byte "
                             "header of an IDX image file");
  writeBytes(path("empty"), "");
  EXPECT_EQ(readIdxLabels(path("empty"), 10).error(),
            path("empty") + ": truncated: the file holds 0 bytes, fewer than the 8-byte header "
                            "of an IDX label file");
}

TEST_F(IdxTest, TrailingData) {
  writeLabels(path("labels"), {1, 2});
  std::ofstream(path("labels"), std::ios::binary | std::ios::app) << "zz";
  EXPECT_EQ(readIdxLabels(path("labels"), 10).error(),
            path("labels") + ": header says 2 labels (2 bytes) but the file holds 4 bytes of "
                             "data: 2 trailing bytes at offset 10");
}

TEST_F(IdxTest, HugeHeaderDoesNotOverflow) {
  writeBytes(path("images"), idxHeader(IdxImageMagic, {0xffffffff, 0xffffffff, 0xffffffff}));
  Result<IdxImages> images = readIdxImages(path("images"));
  ASSERT_FALSE(images);
  EXPECT_NE(images.error().find("truncated: header says 4294967295 images of "
                                "4294967295x4294967295"),
            std::string::npos)
      << images.error();
}

TEST_F(IdxTest, LabelOutOfRange) {
  std::vector<uint8_t> labels(20, 1);
  labels[17] = 12;
  writeLabels(path("train-labels-idx1-ubyte"), labels);
  Result<std::vector<int32_t>> result = readIdxLabels(path("train-labels-idx1-ubyte"), 10);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(),
            path("train-labels-idx1-ubyte") + ": record 17: label 12 out of range [0, 10)");
  // Without a class count any byte is a label.
  EXPECT_TRUE(readIdxLabels(path("train-labels-idx1-ubyte"), 0));
}

TEST_F(IdxTest, CountMismatch) {
  writeImages(path("images"), 3, 1, 1, {1, 2, 3});
  writeLabels(path("labels"), {0, 1});
  Result<Dataset> data = loadIdxDataset(path("images"), path("labels"), 10);
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error(),
            path("labels") + ": holds 2 labels but " + path("images") + " holds 3 images");
}

TEST_F(IdxTest, CannotOpen) {
  Result<IdxImages> images = readIdxImages(path("missing"));
  ASSERT_FALSE(images);
  EXPECT_EQ(images.error(), path("missing") + ": cannot open: No such file or directory");
}

TEST_F(IdxTest, DatasetTruncate) {
  writeImages(path("images"), 3, 1, 2, {1, 2, 3, 4, 5, 6});
  writeLabels(path("labels"), {0, 1, 2});
  Result<Dataset> data = loadIdxDataset(path("images"), path("labels"), 10);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->features, 2);
  EXPECT_EQ(data->source, path("images"));
  data->truncate(2);
  EXPECT_EQ(data->count, 2);
  EXPECT_EQ(data->x.size(), 4u);
  EXPECT_EQ(data->y, (std::vector<int32_t>{0, 1}));
  data->truncate(5);
  EXPECT_EQ(data->count, 2);
}

} // namespace
