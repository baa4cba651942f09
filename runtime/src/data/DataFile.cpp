//===- DataFile.cpp - A data file in memory, inflated if gzipped ----------===//

#include "data/DataFile.h"
#include "io/ReadFile.h"

#include "kiln/Data.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <memory>

namespace kiln {

namespace {

bool isGzip(const std::vector<uint8_t> &bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

/// Inflates gzip data (one member or several, as `cat a.gz b.gz` makes), to
/// at most `maxBytes` bytes: a small file may inflate to gigabytes.
Result<std::vector<uint8_t>> gunzip(const std::string &path, const std::vector<uint8_t> &gz,
                                    uint64_t maxBytes) {
  z_stream stream{};
  // 15 + 16: the largest window, and a gzip header and trailer.
  if (inflateInit2(&stream, 15 + 16) != Z_OK)
    return Error(fmt::format("{}: cannot inflate: out of memory", path));
  std::unique_ptr<z_stream, int (*)(z_stream *)> guard(&stream, &inflateEnd);

  std::vector<uint8_t> bytes;
  size_t offset = 0;
  while (true) {
    // avail_in is 32 bits wide; feed a large file in slices.
    size_t slice = std::min<size_t>(gz.size() - offset, 1u << 30);
    stream.next_in = const_cast<Bytef *>(gz.data() + offset);
    stream.avail_in = static_cast<uInt>(slice);
    uint8_t chunk[1 << 16];
    stream.next_out = chunk;
    stream.avail_out = sizeof(chunk);
    int status = inflate(&stream, Z_NO_FLUSH);
    offset += slice - stream.avail_in;
    if (bytes.size() + (sizeof(chunk) - stream.avail_out) > maxBytes)
      return Error(fmt::format("{}: inflates to more than {} (the compressed file has {} bytes)",
                               path, describeByteLimit(maxBytes, "a data file"), gz.size()));
    bytes.insert(bytes.end(), chunk, chunk + (sizeof(chunk) - stream.avail_out));
    if (status == Z_STREAM_END) {
      // Another member may follow; anything else after a member is damage.
      if (offset == gz.size())
        return bytes;
      if (gz.size() - offset < 2 || gz[offset] != 0x1f || gz[offset + 1] != 0x8b)
        return Error(fmt::format("{}: corrupt gzip data: {} bytes after the end of the "
                                 "compressed stream",
                                 path, gz.size() - offset));
      inflateReset(&stream);
      continue;
    }
    if (status == Z_BUF_ERROR && offset == gz.size())
      return Error(fmt::format("{}: corrupt gzip data: the compressed stream ends early "
                               "(truncated after {} bytes)",
                               path, gz.size()));
    if (status != Z_OK && status != Z_BUF_ERROR)
      return Error(
          fmt::format("{}: corrupt gzip data: {}", path, stream.msg ? stream.msg : zError(status)));
  }
}

} // namespace

Result<std::vector<uint8_t>> readDataFile(const std::string &path, uint64_t maxBytes) {
  Result<std::vector<uint8_t>> bytes = readFileBytes(path, maxBytes, "a data file");
  if (!bytes || !isGzip(*bytes))
    return bytes;
  return gunzip(path, *bytes, maxBytes);
}

} // namespace kiln
