//===- TestFiles.h - Files and temporary directories for unit tests -------===//
#ifndef KILN_TEST_UNIT_TESTFILES_H
#define KILN_TEST_UNIT_TESTFILES_H

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <unistd.h>

namespace kiln::testing {

namespace fs = std::filesystem;

inline void writeBytes(const fs::path &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

inline std::string readBytes(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// How many times `needle` occurs in `text` (overlaps counted).
inline size_t countOf(const std::string &text, const std::string &needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

/// The value of the points attribute of an SVG's polyline of class `name`.
inline std::string polylinePoints(const std::string &svg, const std::string &name) {
  size_t at = svg.find("<polyline class=\"" + name + "\"");
  if (at == std::string::npos)
    return "";
  size_t begin = svg.find("points=\"", at) + 8;
  return svg.substr(begin, svg.find('"', begin) - begin);
}

/// A fresh directory per test, named after the process and the test, removed
/// afterwards.
class TempDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    const ::testing::TestInfo *test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() / ("kiln-test-" + std::to_string(getpid()) + "-" +
                                       test->test_suite_name() + "-" + test->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string path(const std::string &name) const { return (dir / name).string(); }

  fs::path dir;
};

} // namespace kiln::testing

#endif // KILN_TEST_UNIT_TESTFILES_H
