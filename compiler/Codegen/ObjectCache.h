//===- ObjectCache.h - Compiled kernels kept between compiles ---*- C++ -*-===//
//
// An on-disk cache of object files under a key that names everything the
// object depends on (KernelObjects.cpp computes the keys). Each entry is one
// file, written under a temporary name and renamed into place, with its size
// and a checksum in a header line: an entry is whole or absent, and a damaged
// one is found, removed and rebuilt. Entries least recently used go first
// when the cache grows past its bound.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_OBJECTCACHE_H
#define KILN_CODEGEN_OBJECTCACHE_H

#include <cstdint>
#include <string>

namespace kiln {

/// `<base>/<subdir>`, where base is $KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln,
/// else ~/.cache/kiln.
std::string kilnCacheDir(const std::string &subdir);

class ObjectCache {
public:
  /// The bound trim() keeps a cache under unless told otherwise.
  static constexpr uint64_t kDefaultMaxBytes = uint64_t(1) << 30;

  /// A cache in `dir` (created on first store); an empty `dir` caches nothing.
  explicit ObjectCache(std::string dir) : dir(std::move(dir)) {}

  bool enabled() const { return !dir.empty(); }
  const std::string &directory() const { return dir; }

  /// Writes the object stored under `key` to `path`. False when there is
  /// none, or it is damaged (then it is removed).
  bool fetch(const std::string &key, const std::string &path) const;
  /// Stores the file at `path` under `key`. Returns an error message, or "".
  std::string store(const std::string &key, const std::string &path) const;
  /// Removes the entries used least recently until at most `maxBytes` remain.
  void trim(uint64_t maxBytes = kDefaultMaxBytes) const;
  /// Removes every entry. Returns an error message, or "".
  std::string clear() const;

private:
  std::string entryPath(const std::string &key) const;
  std::string dir;
};

} // namespace kiln

#endif // KILN_CODEGEN_OBJECTCACHE_H
