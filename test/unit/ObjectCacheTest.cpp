//===- ObjectCacheTest.cpp - The kernel cache's entries -------------------===//
//
// Entries round-trip, a damaged one is refused and removed, trim() keeps the
// most recently used within the bound, clear() removes only entries.
//
//===----------------------------------------------------------------------===//
#include "Codegen/ObjectCache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/time.h>

using namespace kiln;
namespace fs = std::filesystem;

namespace {

class ObjectCacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    root = fs::temp_directory_path() /
           ("kiln-object-cache-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    fs::create_directories(root / "work");
  }
  void TearDown() override { fs::remove_all(root); }

  std::string write(const std::string &name, const std::string &bytes) {
    std::string path = (root / "work" / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  static std::string read(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  std::string cacheDir() const { return (root / "cache").string(); }
  /// The entry files in the cache, in no order.
  size_t entries() const {
    size_t n = 0;
    for (const auto &e : fs::directory_iterator(root / "cache"))
      n += e.path().extension() == ".obj";
    return n;
  }
  /// Marks the entry for `key` as used `secondsAgo` seconds ago.
  void age(const std::string &key, int secondsAgo) {
    struct timeval now;
    gettimeofday(&now, nullptr);
    struct timeval times[2] = {{now.tv_sec - secondsAgo, 0}, {now.tv_sec - secondsAgo, 0}};
    ASSERT_EQ(utimes((root / "cache" / (key + ".obj")).c_str(), times), 0);
  }

  fs::path root;
};

TEST_F(ObjectCacheTest, StoredBytesComeBackWhole) {
  ObjectCache cache(cacheDir());
  std::string bytes("\x7f" "ELF\0\1\2 with a newline\nand more", 30);
  ASSERT_EQ(cache.store("k1", write("a.o", bytes)), "");
  std::string out = (root / "work" / "out.o").string();
  ASSERT_TRUE(cache.fetch("k1", out));
  EXPECT_EQ(read(out), bytes);
  EXPECT_FALSE(cache.fetch("k2", out));
}

TEST_F(ObjectCacheTest, ADamagedEntryIsRefusedAndRemoved) {
  ObjectCache cache(cacheDir());
  ASSERT_EQ(cache.store("grown", write("a.o", std::string(100, 'a'))), "");
  ASSERT_EQ(cache.store("cut", write("b.o", std::string(100, 'b'))), "");
  ASSERT_EQ(cache.store("flipped", write("c.o", std::string(100, 'c'))), "");
  std::ofstream(root / "cache" / "grown.obj", std::ios::app) << "x";
  fs::resize_file(root / "cache" / "cut.obj", fs::file_size(root / "cache" / "cut.obj") - 1);
  {
    std::fstream f(root / "cache" / "flipped.obj", std::ios::in | std::ios::out);
    f.seekp(-5, std::ios::end);
    f.put('C');
  }
  std::string out = (root / "work" / "out.o").string();
  EXPECT_FALSE(cache.fetch("grown", out));
  EXPECT_FALSE(cache.fetch("cut", out));
  EXPECT_FALSE(cache.fetch("flipped", out));
  EXPECT_EQ(entries(), 0u);
}

TEST_F(ObjectCacheTest, TrimKeepsTheMostRecentlyUsedWithinTheBound) {
  ObjectCache cache(cacheDir());
  for (const char *key : {"old", "middle", "new"})
    ASSERT_EQ(cache.store(key, write(std::string(key) + ".o", std::string(1000, 'x'))), "");
  age("old", 300);
  age("middle", 200);
  age("new", 100);
  // Fetching "old" makes it the most recently used.
  ASSERT_TRUE(cache.fetch("old", (root / "work" / "out.o").string()));
  uint64_t entryBytes = fs::file_size(root / "cache" / "new.obj");
  cache.trim(2 * entryBytes);
  EXPECT_EQ(entries(), 2u);
  EXPECT_TRUE(fs::exists(root / "cache" / "old.obj"));
  EXPECT_TRUE(fs::exists(root / "cache" / "new.obj"));
  EXPECT_FALSE(fs::exists(root / "cache" / "middle.obj"));
  cache.trim(3 * entryBytes); // within the bound: nothing goes
  EXPECT_EQ(entries(), 2u);
}

TEST_F(ObjectCacheTest, ClearRemovesOnlyEntries) {
  ObjectCache cache(cacheDir());
  ASSERT_EQ(cache.store("k", write("a.o", "bytes")), "");
  std::ofstream(root / "cache" / "notes.txt") << "not an entry";
  EXPECT_EQ(cache.clear(), "");
  EXPECT_EQ(entries(), 0u);
  EXPECT_TRUE(fs::exists(root / "cache" / "notes.txt"));
}

TEST_F(ObjectCacheTest, WithoutADirectoryNothingIsCached) {
  ObjectCache cache("");
  EXPECT_FALSE(cache.enabled());
  EXPECT_EQ(cache.store("k", write("a.o", "bytes")), "");
  EXPECT_FALSE(cache.fetch("k", (root / "work" / "out.o").string()));
  EXPECT_FALSE(fs::exists(root / "cache"));
}

TEST_F(ObjectCacheTest, AnUnreadableObjectIsAnError) {
  ObjectCache cache(cacheDir());
  EXPECT_NE(cache.store("k", (root / "work" / "missing.o").string()), "");
}

} // namespace
