//===- CheckpointTest.cpp - Tests of safetensors checkpoints --------------===//
//
// Round trips, the exact bytes of the format, headers written by other tools,
// one test per error the loader diagnoses (on files corrupted by hand), and
// the atomicity of saving: a save that fails at any point leaves the previous
// file byte for byte and no temporary file behind, and a save removes the
// temporary files that killed writers left.
//
//===----------------------------------------------------------------------===//

#include "kiln/Checkpoint.h"

#include "io/AtomicFile.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <csignal>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace kiln;

namespace {

std::string readBytes(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeBytes(const fs::path &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

/// A checkpoint file by hand: the 8-byte little-endian length, `header`
/// (unpadded) and `data`.
std::string fileBytes(const std::string &header, const std::string &data = "") {
  std::string bytes;
  for (int i = 0; i < 8; ++i)
    bytes += char((uint64_t(header.size()) >> (8 * i)) & 0xff);
  return bytes + header + data;
}

/// `count` floats' worth of bytes.
std::string zeros(size_t count) { return std::string(4 * count, '\0'); }

/// The names in a directory.
std::set<std::string> listDirectory(const fs::path &dir) {
  std::set<std::string> names;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir))
    names.insert(entry.path().filename().string());
  return names;
}

bool sameBits(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }

class CheckpointTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("kiln-checkpoint-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  /// Writes `bytes` to a file and returns the loader's message about it,
  /// with the path in front replaced by "FILE".
  std::string loadError(const std::string &bytes) {
    std::string path = (dir / "bad.safetensors").string();
    writeBytes(path, bytes);
    Result<Checkpoint> checkpoint = loadCheckpoint(path);
    if (checkpoint)
      return "(loaded)";
    const std::string &message = checkpoint.error();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    if (message.compare(0, path.size() + 2, path + ": ") != 0)
      return "(no path) " + message;
    return "FILE" + message.substr(path.size());
  }

  fs::path dir;
};

//===----------------------------------------------------------------------===//
// Round trips and the format
//===----------------------------------------------------------------------===//

TEST_F(CheckpointTest, RoundTripsTensorsAndMetadata) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> weight = {1.5f, -2.25f, 0.0f, -0.0f, inf, 1e-40f}; // 1e-40: subnormal
  weight.push_back(std::numeric_limits<float>::quiet_NaN());
  weight.push_back(-inf);
  std::vector<float> bias = {0.1f, 0.2f, 0.3f};
  float scale = 3.0f;
  int32_t step = 16777217; // 2^24 + 1: not a float, so it must not pass through one
  std::vector<int32_t> counts = {-1, 0, std::numeric_limits<int32_t>::max(),
                                 std::numeric_limits<int32_t>::min()};
  const std::string oddName = "quote\" back\\slash \n\t\x01 caf\xc3\xa9 \xf0\x9f\x98\x80 {}:,[]";

  std::vector<TensorView> tensors = {
      {"dense0.weight", {2, 4}, weight.data()},
      {"dense0.bias", {3}, bias.data()},
      {"scale", {}, &scale},
      {"step", {}, nullptr, &step},
      {"empty", {0, 5}, nullptr},
      {"counts", {2, 1, 2}, nullptr, counts.data()},
      {oddName, {1}, &scale},
  };
  std::map<std::string, std::string> metadata = {
      {"epoch", "3"},
      {"schedule", "cosine(period=1000,min_lr=0.0001)"},
      {"empty", ""},
      {oddName, oddName + "\\\"\\u0041"},
  };
  std::string path = (dir / "model.safetensors").string();
  Status saved = saveCheckpoint(path, tensors, metadata);
  ASSERT_TRUE(saved) << saved.error();

  Result<Checkpoint> loaded = loadCheckpoint(path);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(loaded->metadata, metadata);
  ASSERT_EQ(loaded->tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const LoadedTensor &tensor = loaded->tensors[i];
    SCOPED_TRACE(tensor.name);
    EXPECT_EQ(tensor.name, tensors[i].name); // in the order given
    EXPECT_EQ(tensor.shape, tensors[i].shape);
    EXPECT_EQ(tensor.dtype, tensors[i].ints ? DType::I32 : DType::F32);
    if (tensor.dtype == DType::I32) {
      EXPECT_TRUE(tensor.values.empty());
      ASSERT_EQ(int64_t(tensor.ints.size()), tensor.numElements());
      for (size_t k = 0; k < tensor.ints.size(); ++k)
        EXPECT_EQ(tensor.ints[k], tensors[i].ints[k]);
    } else {
      EXPECT_TRUE(tensor.ints.empty());
      ASSERT_EQ(int64_t(tensor.values.size()), tensor.numElements());
      for (size_t k = 0; k < tensor.values.size(); ++k)
        EXPECT_TRUE(sameBits(tensor.values[k], tensors[i].data[k])) << "element " << k;
    }
  }
  ASSERT_NE(loaded->find("step"), nullptr);
  EXPECT_EQ(loaded->find("step")->ints, std::vector<int32_t>{16777217});
  EXPECT_EQ(loaded->find("empty")->numElements(), 0);
  EXPECT_EQ(loaded->find(oddName), &loaded->tensors.back());
  EXPECT_EQ(loaded->find("missing"), nullptr);
  EXPECT_EQ(listDirectory(dir), std::set<std::string>{"model.safetensors"});
}

TEST_F(CheckpointTest, WritesTheSafetensorsLayout) {
  // The bytes the safetensors package writes for the same tensors: length,
  // header with __metadata__ first, spaces up to a multiple of 8, then the
  // data, little-endian.
  float a[2] = {1.0f, 2.0f};
  int32_t n = 258;
  std::string path = (dir / "small.safetensors").string();
  ASSERT_TRUE(saveCheckpoint(path, {{"a", {2}, a}, {"n", {}, nullptr, &n}}, {{"k", "v"}}));

  std::string header = R"({"__metadata__":{"k":"v"},)"
                       R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("n":{"dtype":"I32","shape":[],"data_offsets":[8,12]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string data("\x00\x00\x80\x3f"
                   "\x00\x00\x00\x40"
                   "\x02\x01\x00\x00",
                   12);
  std::string bytes = readBytes(path);
  EXPECT_EQ(bytes, fileBytes(header, data));
  EXPECT_EQ((8 + header.size()) % 8, 0u);

  // No metadata: no __metadata__ key. No tensors: an empty object.
  ASSERT_TRUE(saveCheckpoint(path, {}, {}));
  EXPECT_EQ(readBytes(path), fileBytes("{}      "));
  Result<Checkpoint> empty = loadCheckpoint(path);
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_TRUE(empty->tensors.empty());
  EXPECT_TRUE(empty->metadata.empty());
}

TEST_F(CheckpointTest, ReadsHeadersWrittenByOtherTools) {
  // Whitespace and newlines, fields in another order, tensors listed in
  // another order than their data, every JSON escape, no padding.
  std::string header = "\n{ \"b\" : { \"data_offsets\" : [ 4 , 8 ], \"shape\" : [ 1 ],"
                       " \"dtype\" : \"F32\" },\r\n"
                       "\t\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\": "
                       "{\"dtype\":\"I32\",\"shape\":[1,1],\"data_offsets\":[0,4]},"
                       "\"__metadata__\":{\"format\":\"pt\", \"\\u0041\":\"\\u00DF\"} } ";
  std::string data("\x07\x00\x00\x00"
                   "\x00\x00\x40\xc0",
                   8);
  std::string path = (dir / "other.safetensors").string();
  writeBytes(path, fileBytes(header, data));
  Result<Checkpoint> loaded = loadCheckpoint(path);
  ASSERT_TRUE(loaded) << loaded.error();
  ASSERT_EQ(loaded->tensors.size(), 2u);
  EXPECT_EQ(loaded->tensors[0].name, "\xc3\xa9\xf0\x9f\x98\x80/\b\f\n\r\t\"\\");
  EXPECT_EQ(loaded->tensors[0].shape, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(loaded->tensors[0].ints, std::vector<int32_t>{7});
  EXPECT_EQ(loaded->tensors[1].name, "b");
  EXPECT_EQ(loaded->tensors[1].values, std::vector<float>{-3.0f});
  EXPECT_EQ(loaded->metadata,
            (std::map<std::string, std::string>{{"format", "pt"}, {"A", "\xc3\x9f"}}));
}

//===----------------------------------------------------------------------===//
// What the loader rejects
//===----------------------------------------------------------------------===//

TEST_F(CheckpointTest, DiagnosesUnreadableFiles) {
  std::string missing = (dir / "missing.safetensors").string();
  Result<Checkpoint> result = loadCheckpoint(missing);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), missing + ": cannot open: No such file or directory");

  result = loadCheckpoint(dir.string());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), dir.string() + ": is a directory, not a checkpoint file");

  EXPECT_EQ(loadError(""),
            "FILE: truncated: the file holds 0 bytes, fewer than the 8 of the header length");
  EXPECT_EQ(loadError(std::string("\x02\x00\x00\x00\x00", 5)),
            "FILE: truncated: the file holds 5 bytes, fewer than the 8 of the header length");
  EXPECT_EQ(loadError(fileBytes("{}").substr(0, 7)),
            "FILE: truncated: the file holds 7 bytes, fewer than the 8 of the header length");
}

TEST_F(CheckpointTest, DiagnosesAHeaderLongerThanTheFile) {
  std::string bytes = fileBytes(std::string(20, ' '));
  bytes[0] = char(0xe8), bytes[1] = char(0x03); // 1000
  EXPECT_EQ(loadError(bytes),
            "FILE: header length 1000 is larger than the rest of the file (20 bytes)");
  bytes = fileBytes("{}");
  for (int i = 0; i < 8; ++i)
    bytes[i] = char(0xff);
  EXPECT_EQ(loadError(bytes), "FILE: header length 18446744073709551615 is larger than the rest "
                              "of the file (2 bytes)");
}

TEST_F(CheckpointTest, DiagnosesMalformedJsonAtItsByteOffset) {
  struct Case {
    std::string header;
    std::string message;
  };
  // The messages after the byte offset are nlohmann-json's, with bytes
  // outside printable ASCII written as \xNN.
  const std::string value = "expected '[', '{', or a literal";
  const std::string key = "syntax error while parsing object key - ";
  const Case cases[] = {
      {"", "malformed header at byte 0: syntax error while parsing value - unexpected end of "
           "input; " + value},
      {"        ", "malformed header at byte 8: syntax error while parsing value - unexpected end "
                   "of input; " + value},
      {R"({"a":{"dtype":"F32" "shape":[]}})",
       "malformed header at byte 26: syntax error while parsing object - unexpected string "
       "literal; expected '}'"},
      {R"({"a" 1})", "malformed header at byte 5: syntax error while parsing object separator - "
                     "unexpected number literal; expected ':'"},
      {R"({"a":[1 2]})", "malformed header at byte 8: syntax error while parsing array - "
                         "unexpected number literal; expected ']'"},
      {R"({"a":tru})", "malformed header at byte 8: syntax error while parsing value - invalid "
                       "literal; last read: '\"a\":tru}'"},
      {R"({a:1})", "malformed header at byte 1: " + key +
                       "invalid literal; last read: '{a'; expected string literal"},
      {R"({"a":1,})",
       "malformed header at byte 7: " + key + "unexpected '}'; expected string literal"},
      {R"({"a":[1,]})",
       "malformed header at byte 8: syntax error while parsing value - unexpected ']'; " + value},
      {R"({"a":{"shape":[012]}})", "malformed header at byte 17: syntax error while parsing "
                                   "array - unexpected number literal; expected ']'"},
      {R"({"a":-})", "malformed header at byte 6: syntax error while parsing value - invalid "
                     "number; expected digit after '-'; last read: '-}'"},
      {R"({"a)", "malformed header at byte 3: " + key +
                     "invalid string: missing closing quote; last read: '\"a'; expected string "
                     "literal"},
      {R"({"a\q":1})", "malformed header at byte 4: " + key +
                           "invalid string: forbidden character after backslash; last read: "
                           "'\"a\\q'; expected string literal"},
      {R"({"a\u12G4":1})", "malformed header at byte 7: " + key +
                               "invalid string: '\\u' must be followed by 4 hex digits; last "
                               "read: '\"a\\u12G'; expected string literal"},
      {R"({"\ud83d":1})", "malformed header at byte 8: " + key +
                              "invalid string: surrogate U+D800..U+DBFF must be followed by "
                              "U+DC00..U+DFFF; last read: '\"\\ud83d\"'; expected string literal"},
      {R"({"\ude00":1})", "malformed header at byte 7: " + key +
                              "invalid string: surrogate U+DC00..U+DFFF must follow "
                              "U+D800..U+DBFF; last read: '\"\\ude00'; expected string literal"},
      {"{\"a\nb\":1}", "malformed header at byte 3: " + key +
                           "invalid string: control character U+000A (LF) must be escaped to "
                           "\\u000A or \\n; last read: '\"a<U+000A>'; expected string literal"},
      {"{\"\xff\":1}", "malformed header at byte 2: " + key +
                           "invalid string: ill-formed UTF-8 byte; last read: '\"\\xff'; "
                           "expected string literal"},
      {"{\"\xc0\xaf\":1}", "malformed header at byte 2: " + key + // overlong '/'
                               "invalid string: ill-formed UTF-8 byte; last read: '\"\\xc0'; "
                               "expected string literal"},
      {"{\"\xed\xa0\x80\":1}", "malformed header at byte 3: " + key + // surrogate
                                   "invalid string: ill-formed UTF-8 byte; last read: "
                                   "'\"\\xed\\xa0'; expected string literal"},
      {R"({} x)", "malformed header at byte 3: syntax error while parsing value - invalid "
                  "literal; last read: '{} x'; expected end of input"},
      {std::string("{}\0", 3), "malformed header at byte 2: a NUL byte, which JSON allows nowhere"},
      {std::string("{\"a\0\":1}", 7),
       "malformed header at byte 3: a NUL byte, which JSON allows nowhere"},
      {R"({"a":[[[[[[[[[]]]]]]]]]})",
       "malformed header at byte 12: values nested deeper than 8 levels"},
  };
  for (const Case &c : cases)
    EXPECT_EQ(loadError(fileBytes(c.header)), std::string("FILE: ") + c.message) << c.header;
}

TEST_F(CheckpointTest, DiagnosesHeadersThatAreNotSafetensors) {
  struct Case {
    std::string header;
    std::string data;
    const char *message;
  };
  const std::string w2 = R"("dtype":"F32","shape":[2],"data_offsets":)";
  const Case cases[] = {
      {"[]", "", "the header is an array, not an object"},
      {R"({"w":[]})", "", "tensor \"w\" is an array, not an object"},
      {R"({"w":{"dtype":"F32","shape":[2]}})", "", "tensor \"w\": missing field \"data_offsets\""},
      {R"({"w":{"shape":[2],"data_offsets":[0,8]}})", "", "tensor \"w\": missing field \"dtype\""},
      {R"({"w":{"dtype":"F32","data_offsets":[0,8]}})", "",
       "tensor \"w\": missing field \"shape\""},
      {"{\"w\":{" + w2 + "[0,8],\"offset\":0}}", zeros(2),
       "tensor \"w\": unknown field \"offset\" (expected dtype, shape and data_offsets)"},
      {"{\"w\":{" + w2 + "[0,8],\"dtype\":\"F32\"}}", zeros(2),
       "tensor \"w\": duplicate field \"dtype\""},
      {R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", zeros(1),
       "tensor \"w\": unsupported dtype \"F16\" (expected F32 or I32)"},
      {R"({"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})", zeros(2),
       "tensor \"w\": unsupported dtype \"f32\" (expected F32 or I32)"},
      {R"({"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}})", zeros(2),
       "tensor \"w\": dtype is an integer, not a string"},
      {R"({"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", zeros(2),
       "tensor \"w\": shape is an integer, not an array"},
      {R"({"w":{"dtype":"F32","shape":[2,"3"],"data_offsets":[0,8]}})", zeros(2),
       "tensor \"w\": shape: element 1 is a string, not an integer"},
      {R"({"w":null})", "", "tensor \"w\" is null, not an object"},
      {R"({"w":{"dtype":true,"shape":[2],"data_offsets":[0,8]}})", zeros(2),
       "tensor \"w\": dtype is a boolean, not a string"},
      {R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}})", zeros(2),
       "tensor \"w\": shape: element 0 is a float, not an integer"},
      {R"({"w":{"dtype":"F32","shape":[1e3],"data_offsets":[0,8]}})", zeros(2),
       "tensor \"w\": shape: element 0 is a float, not an integer"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999999999]}})", zeros(2),
       "tensor \"w\": data_offsets: element 1 is a float, not an integer"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,9223372036854775808]}})", zeros(2),
       "tensor \"w\": data_offsets: element 1 is 9223372036854775808, out of range"},
      {R"({"w":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,8]}})", zeros(2),
       "tensor \"w\": negative dimension -3 in shape [2, -3]"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}})", zeros(2),
       "tensor \"w\": data_offsets has 3 entries, not [begin, end]"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", zeros(2),
       "tensor \"w\": data_offsets [8, 0] are not a range of bytes"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", zeros(2),
       "tensor \"w\": data_offsets [-8, 0] are not a range of bytes"},
      {R"({"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}})", zeros(5),
       "tensor \"w\": data_offsets [0, 20] hold 20 bytes but shape [2, 3] of F32 needs 24"},
      {R"({"w":{"dtype":"I32","shape":[],"data_offsets":[0,8]}})", zeros(2),
       "tensor \"w\": data_offsets [0, 8] hold 8 bytes but shape [] of I32 needs 4"},
      {R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", zeros(2),
       "tensor \"w\": shape [4294967296, 4294967296] is too large"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", zeros(1),
       "tensor \"w\": data_offsets [0, 8] run past the end of the 4-byte data section"},
      {R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}})", zeros(1),
       "tensor \"w\": data_offsets [8, 8] run past the end of the 4-byte data section"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
       R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
       zeros(3), "tensors \"a\" and \"b\" overlap: data_offsets [0, 8] and [4, 12]"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
       R"("e":{"dtype":"I32","shape":[0],"data_offsets":[4,4]}})",
       zeros(2), "tensors \"a\" and \"e\" overlap: data_offsets [0, 8] and [4, 4]"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
       R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
       zeros(2), "duplicate tensor name \"a\""},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
       R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
       zeros(3), "data bytes [4, 8) belong to no tensor"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", zeros(2),
       "data bytes [4, 8) belong to no tensor"},
      {R"({"__metadata__":{"epoch":3}})", "", "metadata \"epoch\" is an integer, not a string"},
      {R"({"__metadata__":["epoch"]})", "", "\"__metadata__\" is an array, not an object"},
      {R"({"__metadata__":{"a":"1","a":"2"}})", "", "duplicate metadata key \"a\""},
      {R"({"__metadata__":{},"__metadata__":{}})", "", "duplicate \"__metadata__\""},
      // Names in messages are escaped, so a message stays on one line.
      {R"({"a\nb":{"dtype":"F64","shape":[],"data_offsets":[0,8]}})", zeros(2),
       "tensor \"a\\nb\": unsupported dtype \"F64\" (expected F32 or I32)"},
  };
  for (const Case &c : cases)
    EXPECT_EQ(loadError(fileBytes(c.header, c.data)), std::string("FILE: ") + c.message)
        << c.header;
}

//===----------------------------------------------------------------------===//
// Saving: validation and atomicity
//===----------------------------------------------------------------------===//

TEST_F(CheckpointTest, SaveRejectsBadTensorsBeforeTouchingTheFile) {
  std::string path = (dir / "model.safetensors").string();
  float one = 1;
  ASSERT_TRUE(saveCheckpoint(path, {{"old", {}, &one}}, {{"epoch", "1"}}));
  const std::string before = readBytes(path);

  float values[4] = {1, 2, 3, 4};
  int32_t ints[1] = {5};
  struct Case {
    std::vector<TensorView> tensors;
    std::map<std::string, std::string> metadata;
    std::string message;
  };
  const Case cases[] = {
      {{{"w", {2}, values}, {"w", {2}, values}}, {}, "tensor \"w\": duplicate name"},
      {{{"__metadata__", {2}, values}},
       {},
       "tensor \"__metadata__\": the name is reserved for metadata"},
      {{{"w", {2, -2}, values}}, {}, "tensor \"w\": bad shape [2, -2]"},
      {{{"w", {2}, nullptr}}, {}, "tensor \"w\": no data for shape [2]"},
      {{{"w", {1}, values, ints}}, {}, "tensor \"w\": both float and int data given"},
      {{{"bad\xff", {1}, values}}, {}, "tensor \"bad\xff\": name is not valid UTF-8"},
      {{{"w", {1}, values}}, {{"key", "\xc3"}}, "metadata \"key\" is not valid UTF-8"},
  };
  for (const Case &c : cases) {
    Status status = saveCheckpoint(path, c.tensors, c.metadata);
    ASSERT_FALSE(status) << c.message;
    EXPECT_EQ(status.error(), path + ": " + c.message);
  }
  EXPECT_EQ(readBytes(path), before);
  EXPECT_EQ(listDirectory(dir), std::set<std::string>{"model.safetensors"});
}

TEST_F(CheckpointTest, SaveReplacesTheWholeFile) {
  std::string path = (dir / "model.safetensors").string();
  std::vector<float> big(1000, 1.0f), small = {2.0f};
  ASSERT_TRUE(saveCheckpoint(path, {{"w", {1000}, big.data()}}, {{"epoch", "1"}}));
  ASSERT_TRUE(saveCheckpoint(path, {{"w", {1}, small.data()}}, {}));
  Result<Checkpoint> loaded = loadCheckpoint(path);
  ASSERT_TRUE(loaded) << loaded.error();
  ASSERT_EQ(loaded->tensors.size(), 1u);
  EXPECT_EQ(loaded->tensors[0].values, small);
  EXPECT_TRUE(loaded->metadata.empty());
  EXPECT_EQ(listDirectory(dir), std::set<std::string>{"model.safetensors"});

  // A path without a directory part syncs ".".
  fs::path cwd = fs::current_path();
  fs::current_path(dir);
  Status relative = saveCheckpoint("relative.safetensors", {{"w", {1}, small.data()}}, {});
  fs::current_path(cwd);
  ASSERT_TRUE(relative) << relative.error();
  EXPECT_TRUE(loadCheckpoint((dir / "relative.safetensors").string()));
}

TEST_F(CheckpointTest, SaveIntoAMissingDirectoryCreatesNothing) {
  std::string path = (dir / "no" / "such" / "model.safetensors").string();
  float one = 1;
  Status status = saveCheckpoint(path, {{"w", {}, &one}}, {});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), path + ": cannot create file: No such file or directory");
  EXPECT_TRUE(listDirectory(dir).empty());
}

// Every failure names the file asked for (a --log path, say), never the
// temporary file written first, which is gone again by then.
TEST_F(CheckpointTest, AtomicWriteErrorsNameTheTarget) {
  std::string missing = (dir / "missing" / "log.csv").string();
  Status status = writeFileAtomically(missing, {"epoch,loss\n"});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), missing + ": cannot create file: No such file or directory");

  writeBytes(dir / "plain", "a file, not a directory");
  std::string underFile = (dir / "plain" / "log.csv").string();
  status = writeFileAtomically(underFile, {"epoch,loss\n"});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), underFile + ": cannot create file: Not a directory");

  // A read-only directory, where permissions apply (not to root).
  fs::path readOnly = dir / "read-only";
  fs::create_directory(readOnly);
  fs::permissions(readOnly, fs::perms::owner_read | fs::perms::owner_exec);
  if (::access(readOnly.c_str(), W_OK) != 0) {
    std::string target = (readOnly / "log.csv").string();
    status = writeFileAtomically(target, {"epoch,loss\n"});
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error(), target + ": cannot create file: Permission denied");
  }
  fs::permissions(readOnly, fs::perms::owner_all);
  EXPECT_TRUE(listDirectory(readOnly).empty());
  EXPECT_EQ(listDirectory(dir), (std::set<std::string>{"plain", "read-only"}));
}

TEST_F(CheckpointTest, SaveOverADirectoryLeavesItAndRemovesTheTemporaryFile) {
  fs::path target = dir / "model.safetensors";
  fs::create_directory(target);
  writeBytes(target / "inside", "keep");
  float one = 1;
  Status status = saveCheckpoint(target.string(), {{"w", {}, &one}}, {});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), target.string() + ": cannot replace it: Is a directory");
  EXPECT_TRUE(fs::is_directory(target));
  EXPECT_EQ(readBytes(target / "inside"), "keep");
  EXPECT_EQ(listDirectory(dir), std::set<std::string>{"model.safetensors"});
}

TEST_F(CheckpointTest, WriteFailureMidwayLeavesThePreviousFile) {
  // A file-size limit makes write() fail with EFBIG part of the way through
  // the data, the nearest thing to a full disk a test can arrange. It runs
  // in a child process so the limit cannot touch the test's own output.
  std::string path = (dir / "model.safetensors").string();
  float one = 1;
  ASSERT_TRUE(saveCheckpoint(path, {{"old", {}, &one}}, {{"epoch", "1"}}));
  const std::string before = readBytes(path);

  int pipeFds[2];
  ASSERT_EQ(::pipe(pipeFds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipeFds[0]);
    std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit;
    ::getrlimit(RLIMIT_FSIZE, &limit);
    limit.rlim_cur = 64 * 1024;
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::vector<float> big(1 << 20, 2.0f); // 4 MiB
    Status status = saveCheckpoint(path, {{"w", {1 << 20}, big.data()}}, {});
    std::string message = status ? "(saved)" : status.error();
    ssize_t ignored = ::write(pipeFds[1], message.data(), message.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(pipeFds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t got; (got = ::read(pipeFds[0], buffer, sizeof(buffer))) > 0;)
    message.append(buffer, size_t(got));
  ::close(pipeFds[0]);
  int waitStatus = 0;
  ASSERT_EQ(::waitpid(child, &waitStatus, 0), child);
  EXPECT_TRUE(WIFEXITED(waitStatus) && WEXITSTATUS(waitStatus) == 0);

  EXPECT_EQ(message, path + ": cannot write: File too large");
  EXPECT_EQ(readBytes(path), before);
  EXPECT_EQ(listDirectory(dir), std::set<std::string>{"model.safetensors"});
}

/// A pid that belonged to a process that has exited and been reaped, so
/// that kill(pid, 0) fails with ESRCH (until the kernel hands it out again,
/// which takes a full turn of the pid space).
pid_t deadPid() {
  pid_t child = ::fork();
  if (child == 0)
    ::_exit(0);
  int waitStatus = 0;
  if (child < 0 || ::waitpid(child, &waitStatus, 0) != child)
    return -1;
  return child;
}

// A writer killed mid-write leaves <path>.tmp-<pid> behind. The next save of
// the same path removes it once that pid is gone, and leaves alone the
// temporaries of live processes, other targets' temporaries and names that
// only look like one.
TEST_F(CheckpointTest, SaveRemovesStaleTemporariesOfDeadWriters) {
  std::string path = (dir / "model.safetensors").string();
  pid_t dead = deadPid();
  ASSERT_GT(dead, 0);
  ASSERT_EQ(::kill(dead, 0), -1);
  ASSERT_EQ(errno, ESRCH);
  std::string staleName = "model.safetensors.tmp-" + std::to_string(dead);
  writeBytes(dir / staleName, "half a checkpoint");

  // A live writer of the same path: a child that waits until the pipe closes.
  int pipeFds[2];
  ASSERT_EQ(::pipe(pipeFds), 0);
  pid_t live = ::fork();
  ASSERT_GE(live, 0);
  if (live == 0) {
    ::close(pipeFds[1]);
    char byte;
    while (::read(pipeFds[0], &byte, 1) > 0) {
    }
    ::_exit(0);
  }
  ::close(pipeFds[0]);
  std::string liveName = "model.safetensors.tmp-" + std::to_string(live);
  writeBytes(dir / liveName, "being written");
  // Not temporaries of this target, or not a pid: left as they are.
  std::string otherTarget = "best.safetensors.tmp-" + std::to_string(dead);
  writeBytes(dir / otherTarget, "another file's");
  for (const char *name : {"model.safetensors.tmp-", "model.safetensors.tmp-0",
                           "model.safetensors.tmp-12x", "model.safetensors.tmp--1",
                           "model.safetensors.tmp-99999999999999999999"})
    writeBytes(dir / name, "not a pid");
  // A directory with a dead writer's name is not a file it left.
  pid_t deadToo = deadPid();
  ASSERT_GT(deadToo, 0);
  std::string deadDirectory = "model.safetensors.tmp-" + std::to_string(deadToo);
  fs::create_directory(dir / deadDirectory);
  std::set<std::string> kept = {"model.safetensors",
                                liveName,
                                deadDirectory,
                                otherTarget,
                                "model.safetensors.tmp-",
                                "model.safetensors.tmp-0",
                                "model.safetensors.tmp-12x",
                                "model.safetensors.tmp--1",
                                "model.safetensors.tmp-99999999999999999999"};

  float one = 1;
  Status status = saveCheckpoint(path, {{"w", {}, &one}}, {});
  ::close(pipeFds[1]);
  int waitStatus = 0;
  EXPECT_EQ(::waitpid(live, &waitStatus, 0), live);
  ASSERT_TRUE(status) << status.error();

  EXPECT_EQ(listDirectory(dir), kept);
  EXPECT_EQ(readBytes(dir / liveName), "being written");
  EXPECT_EQ(readBytes(dir / otherTarget), "another file's");
  Result<Checkpoint> loaded = loadCheckpoint(path);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(loaded->tensors[0].values, std::vector<float>{1.0f});

  // Now that the live writer has exited too, the next save removes its file.
  ASSERT_TRUE(saveCheckpoint(path, {{"w", {}, &one}}, {}));
  kept.erase(liveName);
  EXPECT_EQ(listDirectory(dir), kept);
}

} // namespace
