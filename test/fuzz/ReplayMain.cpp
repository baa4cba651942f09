//===- ReplayMain.cpp - Runs a fuzz target on saved inputs ------------------===//
//
//   kiln-fuzz-NAME PATH...
//
// For builds without libFuzzer: feeds every file named, and every file under
// every directory named, to LLVMFuzzerTestOneInput once, in sorted order.
// The seed corpus and the regression inputs of earlier crashes run this way in
// every build, the sanitizer build included. Prints how many inputs it ran;
// an input that crashes the target takes the process down with it.
//
// An input `NAME` may come with `NAME.expected` (not an input itself): when
// the target reports its messages (kilnFuzzMessages, defined by the model
// target), each non-empty line of that file must appear in them, and a file
// without one means the input must compile without a message. A regression
// so keeps its error where its cause is, not only away from a crash.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern "C" const char *kilnFuzzMessages() __attribute__((weak));

namespace {

constexpr const char *kExpectedSuffix = ".expected";

bool readBytes(const std::filesystem::path &path, std::string &bytes) {
  std::ifstream in(path, std::ios::binary);
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return in.good() || in.eof();
}

/// Whether the target's messages for `input` are what `input.expected`
/// says, when there is such a file; prints what differs.
bool meetsExpectation(const char *program, const std::filesystem::path &input) {
  std::filesystem::path expectedPath = input.string() + kExpectedSuffix;
  std::error_code ec;
  if (!kilnFuzzMessages || !std::filesystem::is_regular_file(expectedPath, ec))
    return true;
  std::string expected, messages = kilnFuzzMessages();
  if (!readBytes(expectedPath, expected)) {
    std::fprintf(stderr, "%s: error: cannot read '%s'\n", program, expectedPath.c_str());
    return false;
  }
  bool met = true, anyLine = false;
  std::istringstream lines(expected);
  for (std::string line; std::getline(lines, line);) {
    anyLine = anyLine || !line.empty();
    if (!line.empty() && messages.find(line) == std::string::npos)
      met = false;
  }
  if (!anyLine && !messages.empty())
    met = false;
  if (!met)
    std::fprintf(stderr, "%s: error: '%s' printed\n%s\nnot what '%s' expects:\n%s\n", program,
                 input.c_str(), messages.c_str(), expectedPath.c_str(), expected.c_str());
  return met;
}

bool isExpectation(const std::filesystem::path &path) {
  std::string name = path.filename().string();
  size_t suffix = std::char_traits<char>::length(kExpectedSuffix);
  return name.size() > suffix && name.compare(name.size() - suffix, suffix, kExpectedSuffix) == 0;
}

} // namespace

int main(int argc, char **argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    if (fs::is_directory(argv[i], ec)) {
      for (const fs::directory_entry &e : fs::recursive_directory_iterator(argv[i]))
        if (e.is_regular_file() && !isExpectation(e.path()))
          inputs.push_back(e.path());
    } else if (fs::is_regular_file(argv[i], ec)) {
      inputs.emplace_back(argv[i]);
    } else {
      std::fprintf(stderr, "%s: error: no such file or directory '%s'\n", argv[0], argv[i]);
      return 1;
    }
  }
  std::sort(inputs.begin(), inputs.end());
  size_t unmet = 0;
  for (const fs::path &path : inputs) {
    std::string bytes;
    if (!readBytes(path, bytes)) {
      std::fprintf(stderr, "%s: error: cannot read '%s'\n", argv[0], path.c_str());
      return 1;
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
    if (!meetsExpectation(argv[0], path))
      ++unmet;
  }
  std::printf("ran %zu inputs\n", inputs.size());
  if (unmet)
    std::fprintf(stderr, "%s: error: %zu inputs printed other messages than expected\n", argv[0],
                 unmet);
  return inputs.empty() || unmet ? 1 : 0;
}
