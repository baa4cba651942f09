//===- ObjectCache.cpp - Compiled kernels kept between compiles -----------===//
#include "Codegen/ObjectCache.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <cstdlib>
#include <sys/time.h>
#include <vector>

using namespace kiln;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

namespace {

/// An entry's first line: "kiln-object 1 <bytes> <xxh3 of the bytes, hex>\n".
constexpr llvm::StringLiteral kMagic = "kiln-object 1 ";
constexpr llvm::StringLiteral kSuffix = ".obj";

std::string hex(uint64_t v) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format_hex_no_prefix(v, 16);
  return s;
}

std::string headerLine(llvm::StringRef bytes) {
  return kMagic.str() + std::to_string(bytes.size()) + " " + hex(llvm::xxh3_64bits(bytes)) +
         "\n";
}

} // namespace

std::string kiln::kilnCacheDir(const std::string &subdir) {
  llvm::SmallString<256> dir;
  if (const char *kiln = std::getenv("KILN_CACHE_DIR"); kiln && *kiln) {
    dir = kiln;
  } else if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    dir = xdg;
    path::append(dir, "kiln");
  } else {
    const char *home = std::getenv("HOME");
    dir = home && *home ? home : ".";
    path::append(dir, ".cache", "kiln");
  }
  path::append(dir, subdir);
  return dir.str().str();
}

std::string ObjectCache::entryPath(const std::string &key) const {
  llvm::SmallString<256> p(dir);
  path::append(p, key + kSuffix.str());
  return p.str().str();
}

bool ObjectCache::fetch(const std::string &key, const std::string &outPath) const {
  if (!enabled())
    return false;
  std::string entry = entryPath(key);
  auto buffer = llvm::MemoryBuffer::getFile(entry, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return false;
  llvm::StringRef text = (*buffer)->getBuffer();
  size_t eol = text.find('\n');
  llvm::StringRef bytes = eol == llvm::StringRef::npos ? "" : text.substr(eol + 1);
  if (eol == llvm::StringRef::npos || text.take_front(eol + 1) != headerLine(bytes)) {
    fs::remove(entry); // damaged: rebuilt and stored again
    return false;
  }
  std::error_code ec;
  llvm::raw_fd_ostream out(outPath, ec, fs::OF_None);
  if (ec)
    return false;
  out << bytes;
  out.close();
  if (out.has_error()) {
    out.clear_error();
    return false;
  }
  // The entry was used: trim() keeps it longer.
  ::utimes(entry.c_str(), nullptr);
  return true;
}

std::string ObjectCache::store(const std::string &key, const std::string &objectPath) const {
  if (!enabled())
    return "";
  auto buffer = llvm::MemoryBuffer::getFile(objectPath, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return "cannot read '" + objectPath + "'";
  if (std::error_code ec = fs::create_directories(dir))
    return "cannot create '" + dir + "': " + ec.message();
  llvm::StringRef bytes = (*buffer)->getBuffer();
  int fd = -1;
  llvm::SmallString<256> temp;
  if (std::error_code ec =
          fs::createUniqueFile(entryPath(key) + ".tmp-%%%%%%%%", fd, temp))
    return "cannot write in '" + dir + "': " + ec.message();
  {
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    out << headerLine(bytes) << bytes;
    out.close();
    if (out.has_error()) {
      out.clear_error();
      fs::remove(temp);
      return "cannot write '" + temp.str().str() + "'";
    }
  }
  // Whole or absent: a reader never sees a half-written entry.
  if (std::error_code ec = fs::rename(temp, entryPath(key))) {
    fs::remove(temp);
    return "cannot store '" + entryPath(key) + "': " + ec.message();
  }
  return "";
}

void ObjectCache::trim(uint64_t maxBytes) const {
  if (!enabled())
    return;
  struct Entry {
    std::string path;
    uint64_t size;
    llvm::sys::TimePoint<> used;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec)) {
    if (!llvm::StringRef(it->path()).ends_with(kSuffix))
      continue;
    fs::file_status status;
    if (fs::status(it->path(), status))
      continue;
    entries.push_back({it->path(), status.getSize(), status.getLastModificationTime()});
    total += status.getSize();
  }
  if (total <= maxBytes)
    return;
  std::sort(entries.begin(), entries.end(),
            [](const Entry &a, const Entry &b) { return a.used < b.used; });
  for (const Entry &e : entries) {
    if (total <= maxBytes)
      break;
    if (!fs::remove(e.path))
      total -= e.size;
  }
}

std::string ObjectCache::clear() const {
  if (!enabled() || !fs::exists(dir))
    return "";
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec)) {
    llvm::StringRef name = path::filename(it->path());
    if (name.ends_with(kSuffix) || name.contains(kSuffix.str() + ".tmp-"))
      if (std::error_code rm = fs::remove(it->path()))
        return "cannot remove '" + it->path() + "': " + rm.message();
  }
  return ec ? "cannot read '" + dir + "': " + ec.message() : "";
}
