//===- Checkpoint.cpp - Tensors and metadata in safetensors files ---------===//
//
// The file around the header: its length, the data section, and how the
// tensors the header names tile that section. The header itself is
// SafetensorsHeader.cpp's. Also the data checksum: written into the
// metadata by whoever asks for it, verified on load when present.
//
//===----------------------------------------------------------------------===//

#include "kiln/Checkpoint.h"

#include "core/ByteOrder.h"
#include "io/AtomicFile.h"
#include "io/FileDescriptor.h"
#include "io/Json.h"
#include "io/SafetensorsHeader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include <fcntl.h>
#include <sys/stat.h>
#include <zlib.h>

namespace kiln {

std::string_view dtypeName(DType dtype) { return dtype == DType::I32 ? "I32" : "F32"; }

int64_t LoadedTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

const LoadedTensor *Checkpoint::find(std::string_view name) const {
  for (const LoadedTensor &tensor : tensors)
    if (tensor.name == name)
      return &tensor;
  return nullptr;
}

namespace {

/// Checks that the tensors, sorted by offset, tile the data section exactly:
/// none past its end, none overlapping, no gap, nothing after the last. As in
/// the safetensors library, an empty tensor too must sit between two others,
/// not inside one.
Status checkLayout(const std::string &path, const std::vector<TensorEntry> &entries,
                   uint64_t dataBytes) {
  uint64_t covered = 0;
  const TensorEntry *last = nullptr;
  for (const TensorEntry &entry : entries) {
    if (entry.end > dataBytes)
      return Error(fmt::format("{}: tensor {}: data_offsets [{}, {}] run past the end of the "
                               "{}-byte data section",
                               path, jsonString(entry.name), entry.begin, entry.end, dataBytes));
    if (entry.begin < covered)
      return Error(fmt::format("{}: tensors {} and {} overlap: data_offsets [{}, {}] and [{}, {}]",
                               path, jsonString(last->name), jsonString(entry.name), last->begin,
                               last->end, entry.begin, entry.end));
    if (entry.begin > covered)
      return Error(
          fmt::format("{}: data bytes [{}, {}) belong to no tensor", path, covered, entry.begin));
    covered = entry.end;
    last = &entry;
  }
  if (covered < dataBytes)
    return Error(
        fmt::format("{}: data bytes [{}, {}) belong to no tensor", path, covered, dataBytes));
  return {};
}

/// The tensors' data bytes, little-endian, in order: views of the tensors
/// themselves, or of byte-swapped copies kept in `swapped` on a big-endian
/// host.
std::vector<std::string_view> dataPieces(const std::vector<TensorView> &tensors,
                                         std::vector<std::vector<char>> &swapped) {
  std::vector<std::string_view> pieces;
  swapped.reserve(tensors.size());
  for (const TensorView &tensor : tensors) {
    uint64_t bytes;
    if (!tensorBytes(tensor.shape, bytes) || bytes == 0)
      continue;
    const char *data =
        static_cast<const char *>(tensor.ints ? static_cast<const void *>(tensor.ints)
                                              : static_cast<const void *>(tensor.data));
    if (!data)
      continue;
    if (!hostIsLittleEndian()) {
      swapped.emplace_back(data, data + bytes);
      byteSwap32(swapped.back().data(), size_t(bytes / ElementBytes));
      data = swapped.back().data();
    }
    pieces.emplace_back(data, size_t(bytes));
  }
  return pieces;
}

/// zlib's CRC-32 of `crc`'s bytes so far extended by `size` more.
uint32_t extendCrc32(uint32_t crc, const void *bytes, size_t size) {
  const Bytef *at = static_cast<const Bytef *>(bytes);
  while (size > 0) {
    uInt chunk = uInt(std::min<size_t>(size, 1u << 30));
    crc = uint32_t(::crc32(crc, at, chunk));
    at += chunk;
    size -= chunk;
  }
  return crc;
}

std::string formatCrc32(uint32_t crc) { return fmt::format("{:08x}", crc); }

/// Eight hex digits as a number, or nothing.
std::optional<uint32_t> parseHex32(const std::string &text) {
  uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

/// What a file that is not a regular one is, for messages.
const char *irregularFileKind(mode_t mode) {
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISSOCK(mode))
    return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode))
    return "a device";
  return "another kind";
}

/// Refuses anything but a regular file.
Status checkRegularFile(const std::string &path, const struct stat &info) {
  if (S_ISDIR(info.st_mode))
    return Error(fmt::format("{}: is a directory, not a checkpoint file", path));
  if (!S_ISREG(info.st_mode))
    return Error(fmt::format("{}: is not a regular file ({}), not a checkpoint file", path,
                             irregularFileKind(info.st_mode)));
  return {};
}

} // namespace

std::string dataChecksum(const std::vector<TensorView> &tensors) {
  std::vector<std::vector<char>> swapped;
  uint32_t crc = uint32_t(::crc32(0, nullptr, 0));
  for (std::string_view piece : dataPieces(tensors, swapped))
    crc = extendCrc32(crc, piece.data(), piece.size());
  return formatCrc32(crc);
}

Status saveCheckpoint(const std::string &path, const std::vector<TensorView> &tensors,
                      const std::map<std::string, std::string> &metadata) {
  Result<std::string> header = buildSafetensorsHeader(path, tensors, metadata);
  if (!header)
    return header.takeError();

  char length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<char>(uint64_t(header->size()) >> (8 * i));
  std::vector<std::string_view> pieces = {std::string_view(length, 8), *header};
  std::vector<std::vector<char>> swapped;
  for (std::string_view piece : dataPieces(tensors, swapped))
    pieces.push_back(piece);
  return writeFileAtomically(path, pieces);
}

Result<Checkpoint> loadCheckpoint(const std::string &path) {
  // Look before opening: opening a FIFO for reading waits for a writer.
  struct stat info;
  if (::stat(path.c_str(), &info) != 0)
    return Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  if (Status regular = checkRegularFile(path, info); !regular)
    return regular.takeError();
  // O_NONBLOCK too, in case the path changed in between; a regular file
  // ignores it.
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (file.get() < 0)
    return Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  if (::fstat(file.get(), &info) != 0)
    return Error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  if (Status regular = checkRegularFile(path, info); !regular)
    return regular.takeError();
  uint64_t fileBytes = uint64_t(info.st_size);
  if (fileBytes < 8)
    return Error(fmt::format("{}: truncated: the file holds {} bytes, fewer than the 8 of the "
                             "header length",
                             path, fileBytes));

  unsigned char length[8];
  if (!readAll(file.get(), length, 8))
    return Error(fmt::format("{}: cannot read: {}", path, readErrorText()));
  uint64_t headerBytes = 0;
  for (int i = 0; i < 8; ++i)
    headerBytes |= uint64_t(length[i]) << (8 * i);
  if (headerBytes > fileBytes - 8)
    return Error(fmt::format("{}: header length {} is larger than the rest of the file ({} bytes)",
                             path, headerBytes, fileBytes - 8));
  std::string text(size_t(headerBytes), '\0');
  if (!readAll(file.get(), text.data(), text.size()))
    return Error(fmt::format("{}: cannot read: {}", path, readErrorText()));

  Result<SafetensorsHeader> header = parseSafetensorsHeader(path, text);
  if (!header)
    return header.takeError();
  Checkpoint checkpoint;
  checkpoint.metadata = std::move(header->metadata);
  std::vector<TensorEntry> &entries = header->entries;

  std::stable_sort(entries.begin(), entries.end(), [](const TensorEntry &a, const TensorEntry &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  if (Status layout = checkLayout(path, entries, fileBytes - 8 - headerBytes); !layout)
    return layout.takeError();

  std::optional<uint32_t> expectedCrc;
  if (auto it = checkpoint.metadata.find(DataChecksumKey); it != checkpoint.metadata.end()) {
    std::optional<uint32_t> parsed;
    if (it->second.size() == 8)
      parsed = parseHex32(it->second);
    if (!parsed)
      return Error(fmt::format("{}: metadata \"{}\" is {}, not 8 hex digits", path, DataChecksumKey,
                               jsonString(it->second)));
    expectedCrc = parsed;
  }
  uint32_t crc = uint32_t(::crc32(0, nullptr, 0));

  // The tensors tile the data section, which starts where the header ended:
  // read them in order.
  for (TensorEntry &entry : entries) {
    LoadedTensor tensor;
    tensor.name = std::move(entry.name);
    tensor.shape = std::move(entry.shape);
    tensor.dtype = entry.dtype;
    size_t count = size_t((entry.end - entry.begin) / ElementBytes);
    void *data;
    if (entry.dtype == DType::I32) {
      tensor.ints.resize(count);
      data = tensor.ints.data();
    } else {
      tensor.values.resize(count);
      data = tensor.values.data();
    }
    if (count > 0 && !readAll(file.get(), data, count * ElementBytes))
      return Error(fmt::format("{}: cannot read: {}", path, readErrorText()));
    crc = extendCrc32(crc, data, count * ElementBytes);
    if (!hostIsLittleEndian())
      byteSwap32(data, count);
    checkpoint.tensors.push_back(std::move(tensor));
  }
  if (expectedCrc && crc != *expectedCrc)
    return Error(fmt::format("{}: the data does not match its checksum ({} {}, the data's {}): "
                             "the file is corrupt",
                             path, DataChecksumKey, formatCrc32(*expectedCrc), formatCrc32(crc)));
  return checkpoint;
}

} // namespace kiln
