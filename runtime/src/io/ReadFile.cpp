//===- ReadFile.cpp - A whole file in memory ------------------------------===//

#include "io/ReadFile.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <sys/stat.h>

namespace kiln {

namespace {

/// The whole file at `path`, in a vector of bytes or a string.
template <typename Bytes>
Result<Bytes> readWhole(const std::string &path, uint64_t maxBytes, const char *what) {
  std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file)
    return Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  struct stat status {};
  if (fstat(fileno(file.get()), &status) != 0)
    return Error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  if (S_ISDIR(status.st_mode))
    return Error(fmt::format("{}: is a directory, not a file", path));
  if (S_ISCHR(status.st_mode) || S_ISBLK(status.st_mode) || S_ISSOCK(status.st_mode))
    return Error(fmt::format("{}: is a device or socket, not a file", path));

  Bytes bytes;
  if (S_ISREG(status.st_mode)) {
    uint64_t size = static_cast<uint64_t>(status.st_size);
    if (size > maxBytes)
      return Error(
          fmt::format("{}: {} bytes, more than {}", path, size, describeByteLimit(maxBytes, what)));
    bytes.reserve(static_cast<size_t>(size));
  }
  typename Bytes::value_type chunk[1 << 16];
  while (true) {
    size_t got = std::fread(chunk, 1, sizeof(chunk), file.get());
    // A pipe, or a file that grows while it is read: stop at the limit.
    if (bytes.size() + got > maxBytes)
      return Error(fmt::format("{}: more than {}", path, describeByteLimit(maxBytes, what)));
    bytes.insert(bytes.end(), chunk, chunk + got);
    if (got == sizeof(chunk))
      continue;
    if (std::ferror(file.get()))
      return Error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
    return bytes;
  }
}

} // namespace

std::string describeByteLimit(uint64_t limit, const char *what) {
  constexpr uint64_t gib = uint64_t(1) << 30, mib = uint64_t(1) << 20;
  if (limit % gib == 0)
    return fmt::format("the limit of {} bytes ({} GiB) on {}", limit, limit / gib, what);
  if (limit % mib == 0)
    return fmt::format("the limit of {} bytes ({} MiB) on {}", limit, limit / mib, what);
  return fmt::format("the limit of {} bytes on {}", limit, what);
}

Result<std::vector<uint8_t>> readFileBytes(const std::string &path, uint64_t maxBytes,
                                           const char *what) {
  return readWhole<std::vector<uint8_t>>(path, maxBytes, what);
}

Result<std::string> readFileText(const std::string &path, uint64_t maxBytes, const char *what) {
  return readWhole<std::string>(path, maxBytes, what);
}

} // namespace kiln
