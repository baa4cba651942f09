//===- ReadFile.cpp - A whole file in memory ------------------------------===//

#include "io/ReadFile.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

namespace kiln {

namespace {

/// The whole file at `path`, in a vector of bytes or a string.
template <typename Bytes> Result<Bytes> readWhole(const std::string &path) {
  std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file)
    return Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));

  Bytes bytes;
  std::error_code ignored;
  if (uintmax_t size = std::filesystem::file_size(path, ignored); !ignored)
    bytes.reserve(static_cast<size_t>(size));
  typename Bytes::value_type chunk[1 << 16];
  while (true) {
    size_t got = std::fread(chunk, 1, sizeof(chunk), file.get());
    bytes.insert(bytes.end(), chunk, chunk + got);
    if (got == sizeof(chunk))
      continue;
    if (std::ferror(file.get()))
      return Error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
    return bytes;
  }
}

} // namespace

Result<std::vector<uint8_t>> readFileBytes(const std::string &path) {
  return readWhole<std::vector<uint8_t>>(path);
}

Result<std::string> readFileText(const std::string &path) { return readWhole<std::string>(path); }

} // namespace kiln
