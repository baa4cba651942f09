//===- DataTest.cpp - Tests of the runtime's data readers -----------------===//
//
// Gzip-compressed IDX files, NumPy .npy files and the sets made from them,
// and the kinds of feature normalization. Test files are written by hand
// (gzip with zlib, .npy headers byte by byte) into a fresh directory per test,
// so each case says exactly which bytes it feeds the reader; error cases
// match the whole message, which names the file and, where one applies, the
// record.
//
//===----------------------------------------------------------------------===//

#include "kiln/Data.h"
#include "kiln/CompiledModel.h"
#include "data/DataFile.h"
#include "IdxFiles.h"
#include "TestFiles.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using kiln::testing::readBytes;
using kiln::testing::idxImages;
using kiln::testing::idxLabels;
using kiln::testing::writeBytes;
using namespace kiln;

namespace {

//===----------------------------------------------------------------------===//
// Writing test files
//===----------------------------------------------------------------------===//

/// `bytes` as one gzip member (deflate with windowBits 15 + 16).
std::string gzip(const std::string &bytes) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&stream, bytes.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef *>(&out[0]);
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

/// A .npy file: magic, version, header length (2 bytes in 1.0, 4 after),
/// then `dict` padded with spaces and a newline to a multiple of 64 bytes,
/// as numpy.save writes it, then `data`.
std::string npyFile(const std::string &dict, const std::string &data, int major = 1) {
  size_t lengthBytes = major == 1 ? 2 : 4;
  size_t prefix = 6 + 2 + lengthBytes;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0)
    header.push_back(' ');
  header.push_back('\n');
  std::string bytes = "\x93NUMPY";
  bytes.push_back(static_cast<char>(major));
  bytes.push_back(0);
  for (size_t b = 0; b < lengthBytes; ++b)
    bytes.push_back(static_cast<char>((header.size() >> (8 * b)) & 0xff));
  return bytes + header + data;
}

std::string npyDict(const std::string &descr, const std::string &shape,
                    const char *fortranOrder = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortranOrder + ", 'shape': " + shape +
         ", }";
}

/// The elements as stored in memory: little-endian on every host these
/// tests run on (x86-64, AArch64), as .npy's '<' wants.
template <typename T> std::string rawBytes(const std::vector<T> &values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  std::memcpy(&bytes[0], values.data(), bytes.size());
  return bytes;
}

using DataTest = kiln::testing::TempDirTest;

/// A classifier over `inputs` features with `classes` classes per label.
ModelInfo classifier(int64_t inputs, int64_t classes, int64_t labelsPerSample = 1) {
  ModelInfo model;
  model.name = "toy";
  model.task = "classification";
  model.inputFeatures = inputs;
  model.numClasses = classes;
  model.labelsPerSample = labelsPerSample;
  model.outputFeatures = classes * labelsPerSample;
  return model;
}

ModelInfo regressor(int64_t inputs, int64_t outputs) {
  ModelInfo model;
  model.name = "toy";
  model.task = "regression";
  model.inputFeatures = inputs;
  model.outputFeatures = outputs;
  model.targetFeatures = outputs;
  return model;
}

//===----------------------------------------------------------------------===//
// Gzip-compressed IDX files
//===----------------------------------------------------------------------===//

using GzipTest = DataTest;

TEST_F(GzipTest, IdxPairReadsLikeThePlainPair) {
  std::string images = idxImages(3, 2, 2, {0, 51, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  std::string labels = idxLabels({3, 0, 9});
  writeBytes(path("images"), images);
  writeBytes(path("labels"), labels);
  writeBytes(path("images.gz"), gzip(images));
  writeBytes(path("labels.gz"), gzip(labels));
  ASSERT_NE(readBytes(path("images.gz")), images); // really compressed

  Result<Dataset> plain = loadIdxDataset(path("images"), path("labels"), 10);
  Result<Dataset> packed = loadIdxDataset(path("images.gz"), path("labels.gz"), 10);
  ASSERT_TRUE(plain) << plain.error();
  ASSERT_TRUE(packed) << packed.error();
  EXPECT_EQ(packed->count, 3);
  EXPECT_EQ(packed->features, 4);
  EXPECT_EQ(packed->x, plain->x);
  EXPECT_EQ(packed->y, plain->y);
  EXPECT_EQ(packed->source, path("images.gz"));
}

TEST_F(GzipTest, ConcatenatedMembersReadAsOneFile) {
  // `cat a.gz b.gz` is a valid gzip file, as gunzip reads it.
  std::string labels = idxLabels({1, 2, 3, 4});
  writeBytes(path("labels.gz"), gzip(labels.substr(0, 7)) + gzip(labels.substr(7)));
  Result<std::vector<int32_t>> read = readIdxLabels(path("labels.gz"), 10);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(*read, (std::vector<int32_t>{1, 2, 3, 4}));
}

TEST_F(GzipTest, MnistFindsCompressedFiles) {
  // As published: only the .gz files in the directory.
  writeBytes(dir / (std::string(MnistTrainImages) + ".gz"), gzip(idxImages(2, 1, 2, {1, 2, 3, 4})));
  writeBytes(dir / (std::string(MnistTrainLabels) + ".gz"), gzip(idxLabels({0, 1})));
  writeBytes(dir / (std::string(MnistTestImages) + ".gz"), gzip(idxImages(1, 1, 2, {5, 6})));
  writeBytes(dir / (std::string(MnistTestLabels) + ".gz"), gzip(idxLabels({1})));
  Result<MnistData> data = loadMnist(dir.string(), classifier(2, 2));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->train.count, 2);
  EXPECT_EQ(data->test.count, 1);
  EXPECT_EQ(data->test.y, (std::vector<int32_t>{1}));
  EXPECT_EQ(data->train.source, path(MnistTrainImages) + ".gz");

  // The plain file wins where both exist.
  writeBytes(dir / MnistTestImages, idxImages(1, 1, 2, {7, 8}));
  data = loadMnist(dir.string(), classifier(2, 2));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->test.source, path(MnistTestImages));
  EXPECT_FLOAT_EQ(data->test.x[0], 7.0f / 255.0f);
}

TEST_F(GzipTest, MnistSkipsGzFileWithoutGzipData) {
  // A failed download leaves an error page under the .gz name.
  writeBytes(dir / MnistTrainImages, idxImages(1, 1, 1, {0}));
  writeBytes(dir / MnistTrainLabels, idxLabels({0}));
  writeBytes(dir / (std::string(MnistTestImages) + ".gz"), "<html>not found</html>");
  Result<MnistData> data = loadMnist(dir.string(), classifier(1, 2));
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error(), path(MnistTestImages) + ": cannot open: No such file or directory (" +
                              path(MnistTestImages) + ".gz exists but is not gzip-compressed)");
}

TEST_F(GzipTest, TruncatedStream) {
  std::string packed = gzip(idxImages(4, 8, 8, std::vector<uint8_t>(256, 9)));
  writeBytes(path("images.gz"), packed.substr(0, 20));
  Result<IdxImages> images = readIdxImages(path("images.gz"));
  ASSERT_FALSE(images);
  EXPECT_EQ(images.error(), path("images.gz") + ": corrupt gzip data: the compressed stream "
                                                "ends early (truncated after 20 bytes)");

  // Only the magic.
  writeBytes(path("labels.gz"), "\x1f\x8b");
  EXPECT_EQ(readIdxLabels(path("labels.gz"), 10).error(),
            path("labels.gz") + ": corrupt gzip data: the compressed stream ends early "
                                "(truncated after 2 bytes)");
}

TEST_F(GzipTest, CorruptStream) {
  std::string packed = gzip(idxLabels({1, 2, 3}));
  // The trailer's CRC-32 sits 8 bytes from the end.
  packed[packed.size() - 8] ^= 0x55;
  writeBytes(path("labels.gz"), packed);
  EXPECT_EQ(readIdxLabels(path("labels.gz"), 10).error(),
            path("labels.gz") + ": corrupt gzip data: incorrect data check");

  // Bytes after the stream that do not start another member.
  writeBytes(path("trailing.gz"), gzip(idxLabels({1})) + "junk");
  EXPECT_EQ(readIdxLabels(path("trailing.gz"), 10).error(),
            path("trailing.gz") + ": corrupt gzip data: 4 bytes after the end of the compressed "
                                  "stream");
}

// A data file, and what a gzipped one inflates to, is bounded; the bound is
// a parameter so that a test need not write gigabytes (the stated limit is
// MaxDataFileBytes).
TEST_F(GzipTest, SizeLimitsBeforeAndAfterInflating) {
  writeBytes(path("big.csv"), std::string(2000, '1'));
  EXPECT_EQ(readDataFile(path("big.csv"), 1999).error(),
            path("big.csv") + ": 2000 bytes, more than the limit of 1999 bytes on a data file");
  EXPECT_TRUE(readDataFile(path("big.csv"), 2000));

  // A bomb: a few hundred bytes that inflate to 1 MiB.
  std::string bomb = gzip(std::string(1 << 20, '\0'));
  ASSERT_LT(bomb.size(), 2000u);
  writeBytes(path("bomb.gz"), bomb);
  EXPECT_EQ(readDataFile(path("bomb.gz"), 1 << 19).error(),
            path("bomb.gz") +
                ": inflates to more than the limit of 524288 bytes on a data file "
                "(the compressed file has " +
                std::to_string(bomb.size()) + " bytes)");
  Result<std::vector<uint8_t>> whole = readDataFile(path("bomb.gz"), 1 << 20);
  ASSERT_TRUE(whole) << whole.error();
  EXPECT_EQ(whole->size(), size_t(1) << 20);
  EXPECT_EQ(MaxDataFileBytes, uint64_t(4) << 30);
}

// A device never ends, and is refused before a byte is read; so is a
// directory. A pipe is read up to the limit.
TEST_F(GzipTest, DevicesDirectoriesAndPipes) {
  EXPECT_EQ(readDataFile("/dev/zero").error(), "/dev/zero: is a device or socket, not a file");
  EXPECT_EQ(readDataFile(dir.string()).error(), dir.string() + ": is a directory, not a file");
  ASSERT_EQ(mkfifo(path("pipe").c_str(), 0600), 0);
  pid_t writer = fork();
  ASSERT_GE(writer, 0);
  if (writer == 0) {
    std::ofstream(path("pipe"), std::ios::binary) << std::string(5000, 'x');
    _exit(0);
  }
  EXPECT_EQ(readDataFile(path("pipe"), 4096).error(),
            path("pipe") + ": more than the limit of 4096 bytes on a data file");
  waitpid(writer, nullptr, 0);
}

TEST_F(GzipTest, IdxErrorsApplyToTheInflatedBytes) {
  writeBytes(path("labels.gz"), gzip(idxLabels({1})));
  EXPECT_EQ(readIdxImages(path("labels.gz")).error(),
            path("labels.gz") + ": bad magic number 0x00000801 (expected 0x00000803 for an "
                                "image file)");

  writeBytes(path("images.gz"), gzip(idxImages(3, 2, 2, std::vector<uint8_t>(10, 7))));
  EXPECT_EQ(readIdxImages(path("images.gz")).error(),
            path("images.gz") + ": truncated: header says 3 images of 2x2 (12 bytes) but the "
                                "file holds 10 bytes of data; record 2 is incomplete");

  std::vector<uint8_t> labels(20, 1);
  labels[17] = 12;
  writeBytes(path("out.gz"), gzip(idxLabels(labels)));
  EXPECT_EQ(readIdxLabels(path("out.gz"), 10).error(),
            path("out.gz") + ": record 17: label 12 out of range [0, 10)");
}

//===----------------------------------------------------------------------===//
// NumPy .npy files
//===----------------------------------------------------------------------===//

using NpyTest = DataTest;

TEST_F(NpyTest, FloatRoundTrips) {
  std::vector<float> f4 = {1.5f, -2.25f, 3e-8f, 1e30f, 0.0f, -0.0f};
  writeBytes(path("f4.npy"), npyFile(npyDict("<f4", "(2, 3)"), rawBytes(f4)));
  Result<NpyArray> array = readNpy(path("f4.npy"));
  ASSERT_TRUE(array) << array.error();
  EXPECT_EQ(array->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(array->dtype, "<f4");
  ASSERT_EQ(array->size(), 6);
  for (int64_t i = 0; i < 6; ++i)
    EXPECT_EQ(array->value(i), f4[static_cast<size_t>(i)]) << i;

  std::vector<double> f8 = {0.1, -1e300, 12345.678901234567};
  writeBytes(path("f8.npy"), npyFile(npyDict("<f8", "(3,)"), rawBytes(f8)));
  array = readNpy(path("f8.npy"));
  ASSERT_TRUE(array) << array.error();
  EXPECT_EQ(array->shape, (std::vector<int64_t>{3}));
  for (int64_t i = 0; i < 3; ++i)
    EXPECT_EQ(array->value(i), f8[static_cast<size_t>(i)]) << i;
}

TEST_F(NpyTest, IntegerRoundTrips) {
  std::vector<int64_t> i8 = {-1, 0, (int64_t(1) << 53), -(int64_t(1) << 40)};
  writeBytes(path("i8.npy"), npyFile(npyDict("<i8", "(2, 2)"), rawBytes(i8)));
  Result<NpyArray> array = readNpy(path("i8.npy"));
  ASSERT_TRUE(array) << array.error();
  for (int64_t i = 0; i < 4; ++i)
    EXPECT_EQ(array->value(i), static_cast<double>(i8[static_cast<size_t>(i)])) << i;

  std::vector<uint8_t> u1 = {0, 1, 128, 255};
  writeBytes(path("u1.npy"), npyFile(npyDict("|u1", "(4,)"), rawBytes(u1)));
  array = readNpy(path("u1.npy"));
  ASSERT_TRUE(array) << array.error();
  EXPECT_EQ(array->itemBytes, 1);
  for (int64_t i = 0; i < 4; ++i)
    EXPECT_EQ(array->value(i), u1[static_cast<size_t>(i)]) << i;

  std::vector<int32_t> i4 = {-2147483647 - 1, -7, 7, 2147483647};
  writeBytes(path("i4.npy"), npyFile(npyDict("<i4", "(1, 4)"), rawBytes(i4)));
  array = readNpy(path("i4.npy"));
  ASSERT_TRUE(array) << array.error();
  for (int64_t i = 0; i < 4; ++i)
    EXPECT_EQ(array->value(i), i4[static_cast<size_t>(i)]) << i;

  // Sign extension of the narrow types, and unsigned values above the signed range.
  writeBytes(path("i2.npy"), npyFile(npyDict("<i2", "(2,)"), rawBytes<int16_t>({-300, 300})));
  writeBytes(path("i1.npy"), npyFile(npyDict("|i1", "(2,)"), rawBytes<int8_t>({-128, 127})));
  writeBytes(path("u4.npy"), npyFile(npyDict("<u4", "(1,)"), rawBytes<uint32_t>({4000000000u})));
  writeBytes(path("b1.npy"), npyFile(npyDict("|b1", "(2,)"), rawBytes<uint8_t>({1, 0})));
  EXPECT_EQ(readNpy(path("i2.npy"))->value(0), -300);
  EXPECT_EQ(readNpy(path("i1.npy"))->value(0), -128);
  EXPECT_EQ(readNpy(path("u4.npy"))->value(0), 4000000000.0);
  EXPECT_EQ(readNpy(path("b1.npy"))->value(0), 1);
  EXPECT_EQ(readNpy(path("b1.npy"))->value(1), 0);
}

TEST_F(NpyTest, HeaderVariants) {
  std::vector<float> values = {1, 2};
  // Version 2.0 and 3.0: a 4-byte header length.
  writeBytes(path("v2.npy"), npyFile(npyDict("<f4", "(2,)"), rawBytes(values), 2));
  writeBytes(path("v3.npy"), npyFile(npyDict("<f4", "(2,)"), rawBytes(values), 3));
  // No byte-order character, keys in another order, double quotes, no
  // trailing comma, a Python 2 long.
  writeBytes(path("loose.npy"),
             npyFile("{\"shape\": (1L, 2L), \"descr\": \"f4\", \"fortran_order\": False}",
                     rawBytes(values)));
  // A scalar: shape ().
  writeBytes(path("scalar.npy"), npyFile(npyDict("<f4", "()"), rawBytes<float>({7})));
  for (const char *name : {"v2.npy", "v3.npy", "loose.npy"}) {
    Result<NpyArray> array = readNpy(path(name));
    ASSERT_TRUE(array) << array.error();
    EXPECT_EQ(array->size(), 2) << name;
    EXPECT_EQ(array->value(1), 2.0) << name;
  }
  Result<NpyArray> scalar = readNpy(path("scalar.npy"));
  ASSERT_TRUE(scalar) << scalar.error();
  EXPECT_TRUE(scalar->shape.empty());
  EXPECT_EQ(scalar->value(0), 7.0);

  // Gzip-compressed, too.
  writeBytes(path("v1.npy.gz"), gzip(npyFile(npyDict("<f4", "(2,)"), rawBytes(values))));
  Result<NpyArray> packed = readNpy(path("v1.npy.gz"));
  ASSERT_TRUE(packed) << packed.error();
  EXPECT_EQ(packed->value(0), 1.0);
}

TEST_F(NpyTest, BadMagic) {
  writeBytes(path("x.npy"), "\x93NUMPZ\x01\x00");
  EXPECT_EQ(readNpy(path("x.npy")).error(),
            path("x.npy") + ": bad magic 93 4e 55 4d 50 5a (expected \\x93NUMPY for a .npy file)");
  writeBytes(path("x.npz"), std::string("PK\x03\x04\x14\x00", 6) + "rest");
  EXPECT_EQ(readNpy(path("x.npz")).error(),
            path("x.npz") + ": bad magic 50 4b 03 04 14 00 (expected \\x93NUMPY for a .npy "
                            "file): a zip archive, as .npz files are; extract its .npy members");
  writeBytes(path("empty.npy"), "");
  EXPECT_EQ(readNpy(path("empty.npy")).error(),
            path("empty.npy") + ": truncated: the file holds 0 bytes, fewer than the 10-byte "
                                "header of a .npy file");
}

TEST_F(NpyTest, UnsupportedDtypesAndLayouts) {
  writeBytes(path("be.npy"), npyFile(npyDict(">f4", "(1,)"), std::string(4, '\0')));
  EXPECT_EQ(readNpy(path("be.npy")).error(),
            path("be.npy") + ": big-endian dtype '>f4' is not supported; save the array "
                             "little-endian, as a.astype('<f4')");

  writeBytes(path("c8.npy"), npyFile(npyDict("<c8", "(1,)"), std::string(8, '\0')));
  EXPECT_EQ(readNpy(path("c8.npy")).error(),
            path("c8.npy") + ": unsupported dtype '<c8' (reads f4, f8, i1, i2, i4, i8, u1, u2, "
                             "u4, u8 and b1)");

  writeBytes(path("fields.npy"),
             npyFile("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
                     std::string(4, '\0')));
  EXPECT_EQ(readNpy(path("fields.npy")).error(),
            path("fields.npy") + ": unsupported dtype '[('a', '<f4')]' (reads f4, f8, i1, i2, "
                                 "i4, i8, u1, u2, u4, u8 and b1)");

  writeBytes(path("f.npy"), npyFile(npyDict("<f4", "(2, 2)", "True"), std::string(16, '\0')));
  EXPECT_EQ(readNpy(path("f.npy")).error(),
            path("f.npy") + ": the array is in Fortran order (fortran_order: True); only C "
                            "order is read: save np.ascontiguousarray(a)");

  std::string v4 = npyFile(npyDict("<f4", "(1,)"), std::string(4, '\0'), 2);
  v4[6] = 4;
  writeBytes(path("v4.npy"), v4);
  EXPECT_EQ(readNpy(path("v4.npy")).error(),
            path("v4.npy") + ": unsupported .npy format version 4.0 (reads 1.0, 2.0 and 3.0)");
}

TEST_F(NpyTest, BadHeader) {
  writeBytes(path("h.npy"), npyFile("{'descr': '<f4', 'shape': (2, 3), }", ""));
  EXPECT_EQ(readNpy(path("h.npy")).error(),
            path("h.npy") + ": bad .npy header: no 'fortran_order' key in {'descr': '<f4', "
                            "'shape': (2, 3), }");
  writeBytes(path("g.npy"), npyFile(npyDict("<f4", "(2; 3)"), ""));
  EXPECT_EQ(readNpy(path("g.npy")).error(),
            path("g.npy") + ": bad .npy header: expected ',' or ')' in 'shape' at offset 52 in "
                            "{'descr': '<f4', 'fortran_order': False, 'shape': (2; 3), }");
  // The header length (128 bytes with the prefix) points past the end of the file.
  std::string cut = npyFile(npyDict("<f4", "(1,)"), "");
  writeBytes(path("cut.npy"), cut.substr(0, 30));
  EXPECT_EQ(readNpy(path("cut.npy")).error(),
            path("cut.npy") + ": truncated: the file holds 30 bytes, fewer than the 128-byte "
                              "header of a .npy file");
}

TEST_F(NpyTest, TruncatedAndTrailingData) {
  // 3 records of 2x2 floats need 48 bytes; 40 leave record 2 incomplete.
  writeBytes(path("x.npy"), npyFile(npyDict("<f4", "(3, 2, 2)"), std::string(40, '\0')));
  EXPECT_EQ(readNpy(path("x.npy")).error(),
            path("x.npy") + ": truncated: holds 40 bytes of data, shape [3, 2, 2] of <f4 needs "
                            "48; record 2 is incomplete");

  writeBytes(path("y.npy"), npyFile(npyDict("<i8", "(2,)"), std::string(20, '\0')));
  EXPECT_EQ(readNpy(path("y.npy")).error(),
            path("y.npy") + ": holds 20 bytes of data, shape [2] of <i8 needs 16: 4 trailing "
                            "bytes at offset 144");

  // A shape whose size overflows 64 bits is truncated, not a crash.
  writeBytes(path("huge.npy"), npyFile(npyDict("<f8", "(4294967296, 4294967296, 4294967296)"), ""));
  Result<NpyArray> huge = readNpy(path("huge.npy"));
  ASSERT_FALSE(huge);
  EXPECT_NE(huge.error().find(": truncated: holds 0 bytes of data, shape [4294967296, "
                              "4294967296, 4294967296] of <f8 needs"),
            std::string::npos)
      << huge.error();
}

//===----------------------------------------------------------------------===//
// Sets from .npy files
//===----------------------------------------------------------------------===//

using NpyDatasetTest = DataTest;

TEST_F(NpyDatasetTest, ImagesAndClassLabels) {
  // 3 images of 2x2 bytes, as an MNIST array saved with np.save.
  std::vector<uint8_t> pixels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  writeBytes(path("x.npy"), npyFile(npyDict("|u1", "(3, 2, 2)"), rawBytes(pixels)));
  writeBytes(path("y.npy"), npyFile(npyDict("<i8", "(3,)"), rawBytes<int64_t>({2, 0, 9})));
  Result<Dataset> data = loadNpyDataset(path("x.npy"), path("y.npy"), classifier(4, 10));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->count, 3);
  EXPECT_EQ(data->features, 4);
  EXPECT_EQ(data->targetFeatures, 0);
  EXPECT_EQ(data->labelsPerSample, 1);
  EXPECT_EQ(data->source, path("x.npy"));
  // Values as stored: no scaling by 255, unlike IDX images.
  EXPECT_EQ(data->x, (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(data->y, (std::vector<int32_t>{2, 0, 9}));

  // Float labels with integral values, and a label per step: [N, 2].
  writeBytes(path("steps.npy"),
             npyFile(npyDict("<f4", "(3, 2)"), rawBytes<float>({1, 2, 3, 4, 0, 1})));
  data = loadNpyDataset(path("x.npy"), path("steps.npy"), classifier(4, 5, 2));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->labelsPerSample, 2);
  EXPECT_EQ(data->y, (std::vector<int32_t>{1, 2, 3, 4, 0, 1}));
}

TEST_F(NpyDatasetTest, FloatTargets) {
  writeBytes(path("x.npy"),
             npyFile(npyDict("<f8", "(2, 3)"), rawBytes<double>({1, 2, 3, 4, 5, 6})));
  writeBytes(path("t.npy"), npyFile(npyDict("<f4", "(2,)"), rawBytes<float>({0.5f, -1.5f})));
  Result<Dataset> data = loadNpyDataset(path("x.npy"), path("t.npy"), regressor(3, 1));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->targetFeatures, 1);
  EXPECT_EQ(data->targets, (std::vector<float>{0.5f, -1.5f}));
  EXPECT_TRUE(data->y.empty());

  writeBytes(path("t2.npy"), npyFile(npyDict("<f8", "(2, 2)"), rawBytes<double>({1, 2, 3, 4})));
  data = loadNpyDataset(path("x.npy"), path("t2.npy"), regressor(3, 2));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->targetFeatures, 2);
  EXPECT_EQ(data->targets, (std::vector<float>{1, 2, 3, 4}));

  // Targets the model does not take: checkDataset's message.
  data = loadNpyDataset(path("x.npy"), path("t2.npy"), regressor(3, 1));
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error(),
            path("x.npy") + ": samples have 2 float targets but model 'toy' takes 1 float target");
}

TEST_F(NpyDatasetTest, LabelErrorsNameTheRecord) {
  writeBytes(path("x.npy"), npyFile(npyDict("<f4", "(4, 1)"), rawBytes<float>({1, 2, 3, 4})));
  writeBytes(path("y.npy"), npyFile(npyDict("<i4", "(4,)"), rawBytes<int32_t>({0, 1, 12, 3})));
  Result<Dataset> data = loadNpyDataset(path("x.npy"), path("y.npy"), classifier(1, 10));
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error(), path("y.npy") + ": record 2: label 12 out of range [0, 10)");

  writeBytes(path("neg.npy"), npyFile(npyDict("<i8", "(4,)"), rawBytes<int64_t>({0, 0, 0, -1})));
  EXPECT_EQ(loadNpyDataset(path("x.npy"), path("neg.npy"), classifier(1, 10)).error(),
            path("neg.npy") + ": record 3: label -1 out of range [0, 10)");

  // With two labels per record, element 3 is in record 1.
  writeBytes(path("half.npy"),
             npyFile(npyDict("<f8", "(4, 2)"), rawBytes<double>({0, 1, 1, 2.5, 0, 0, 0, 0})));
  EXPECT_EQ(loadNpyDataset(path("x.npy"), path("half.npy"), classifier(1, 10, 2)).error(),
            path("half.npy") + ": record 1: label 2.5 is not an integer class index");
}

TEST_F(NpyDatasetTest, ShapeAndValueErrors) {
  writeBytes(path("x.npy"), npyFile(npyDict("<f4", "(3, 1)"), rawBytes<float>({1, 2, 3})));
  writeBytes(path("y2.npy"), npyFile(npyDict("|u1", "(2,)"), rawBytes<uint8_t>({0, 1})));
  EXPECT_EQ(loadNpyDataset(path("x.npy"), path("y2.npy"), classifier(1, 2)).error(),
            path("y2.npy") + ": holds 2 records but " + path("x.npy") + " holds 3");

  writeBytes(path("y3.npy"), npyFile(npyDict("|u1", "(3, 1, 1)"), rawBytes<uint8_t>({0, 1, 0})));
  EXPECT_EQ(loadNpyDataset(path("x.npy"), path("y3.npy"), classifier(1, 2)).error(),
            path("y3.npy") + ": class labels need shape [N] or [N, k], got [3, 1, 1]");

  writeBytes(path("s.npy"), npyFile(npyDict("<f4", "()"), rawBytes<float>({1})));
  EXPECT_EQ(loadNpyDataset(path("s.npy"), path("y2.npy"), classifier(1, 2)).error(),
            path("s.npy") + ": features need shape [N, ...], got a scalar");

  writeBytes(path("nan.npy"), npyFile(npyDict("<f4", "(3, 1)"), rawBytes<float>({1, NAN, 3})));
  writeBytes(path("y.npy"), npyFile(npyDict("|u1", "(3,)"), rawBytes<uint8_t>({0, 1, 0})));
  EXPECT_EQ(loadNpyDataset(path("nan.npy"), path("y.npy"), classifier(1, 2)).error(),
            path("nan.npy") + ": record 1: feature 0 is not finite (nan)");

  // A file error comes through as it is.
  EXPECT_EQ(loadNpyDataset(path("x.npy"), path("missing.npy"), classifier(1, 2)).error(),
            path("missing.npy") + ": cannot open: No such file or directory");
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

/// Rows of two features.
Dataset twoFeatures(std::vector<float> x, const std::string &source) {
  Dataset data;
  data.features = 2;
  data.count = static_cast<int64_t>(x.size() / 2);
  data.x = std::move(x);
  data.y.assign(static_cast<size_t>(data.count), 0);
  data.source = source;
  return data;
}

TEST(NormalizationTest, ParsesNames) {
  EXPECT_EQ(*parseNormalization("none"), Normalization::None);
  EXPECT_EQ(*parseNormalization("standard"), Normalization::Standard);
  EXPECT_EQ(*parseNormalization("minmax"), Normalization::MinMax);
  Result<Normalization> bad = parseNormalization("zscore");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "unknown normalization 'zscore' (known: none, standard, minmax)");
}

TEST(NormalizationTest, MinMaxMapsTrainingRangeToUnitInterval) {
  // Feature 0 spans [-3, 5]; feature 1 is constant.
  Dataset train = twoFeatures({-3, 7, 1, 7, 5, 7}, "train");
  Dataset test = twoFeatures({9, 8, -3, 7}, "test");
  Result<Standardization> stats = normalize(train, {&test}, Normalization::MinMax);
  ASSERT_TRUE(stats) << stats.error();
  EXPECT_EQ(stats->mean, (std::vector<float>{-3, 7}));
  EXPECT_EQ(stats->stddev, (std::vector<float>{8, 0}));
  EXPECT_EQ(train.x, (std::vector<float>{0, 0, 0.5f, 0, 1, 0}));
  // Held-out samples use the training range, and may leave [0, 1].
  EXPECT_EQ(test.x, (std::vector<float>{1.5f, 1, 0, 0}));

  // Stored statistics map new samples the same way.
  Dataset again = twoFeatures({1, 7}, "again");
  ASSERT_TRUE(applyStandardization(again, *stats));
  EXPECT_EQ(again.x, (std::vector<float>{0.5f, 0}));
}

TEST(NormalizationTest, MinMaxMaximumNeverExceedsOne) {
  // Ranges that do not round to a float exactly: max - min is rounded up
  // when stored, so the maximum lands at 1 or just below, never above.
  std::vector<float> x;
  for (int i = 0; i < 200; ++i)
    x.push_back(static_cast<float>(std::sin(i * 0.7) * 1e3 + i * 1e-3));
  Dataset train;
  train.features = 1;
  train.count = 200;
  train.x = x;
  train.y.assign(200, 0);
  Result<Standardization> stats = normalize(train, {}, Normalization::MinMax);
  ASSERT_TRUE(stats) << stats.error();
  float low = *std::min_element(train.x.begin(), train.x.end());
  float high = *std::max_element(train.x.begin(), train.x.end());
  EXPECT_EQ(low, 0.0f);
  EXPECT_LE(high, 1.0f);
  EXPECT_FLOAT_EQ(high, 1.0f);
}

TEST(NormalizationTest, NoneLeavesValuesAndReturnsIdentity) {
  Dataset train = twoFeatures({-3, 7, 1, 7}, "train");
  Dataset test = twoFeatures({9, 8}, "test");
  Result<Standardization> stats = normalize(train, {&test}, Normalization::None);
  ASSERT_TRUE(stats) << stats.error();
  EXPECT_EQ(stats->mean, (std::vector<float>{0, 0}));
  EXPECT_EQ(stats->stddev, (std::vector<float>{1, 1}));
  EXPECT_EQ(train.x, (std::vector<float>{-3, 7, 1, 7}));
  EXPECT_EQ(test.x, (std::vector<float>{9, 8}));
  // applyStandardization takes the identity and changes nothing.
  ASSERT_TRUE(applyStandardization(test, *stats));
  EXPECT_EQ(test.x, (std::vector<float>{9, 8}));
}

TEST(NormalizationTest, StandardIsStandardize) {
  Dataset a = twoFeatures({1, 10, 2, 20, 6, 30}, "a");
  Dataset b = a;
  Result<Standardization> viaNormalize = normalize(a, {}, Normalization::Standard);
  Result<Standardization> viaStandardize = standardize(b);
  ASSERT_TRUE(viaNormalize) << viaNormalize.error();
  ASSERT_TRUE(viaStandardize) << viaStandardize.error();
  EXPECT_EQ(viaNormalize->mean, viaStandardize->mean);
  EXPECT_EQ(viaNormalize->stddev, viaStandardize->stddev);
  EXPECT_EQ(a.x, b.x);
  EXPECT_FLOAT_EQ(viaNormalize->mean[0], 3.0f);
}

TEST(NormalizationTest, Errors) {
  Dataset empty;
  empty.source = "empty.npy";
  EXPECT_EQ(normalize(empty, {}, Normalization::MinMax).error(),
            "empty.npy: no samples to normalize");
  Dataset train = twoFeatures({1, 2}, "train");
  Dataset narrow;
  narrow.features = 1;
  narrow.count = 1;
  narrow.x = {5};
  narrow.source = "narrow";
  EXPECT_EQ(normalize(train, {&narrow}, Normalization::None).error(),
            "narrow: samples have 1 features but train has 2");
  // Nothing changed before the error.
  EXPECT_EQ(narrow.x, (std::vector<float>{5}));
}

} // namespace
