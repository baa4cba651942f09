//===- Checkpoint.cpp - Tensors and metadata in safetensors files ---------===//
//
// The file around the header: its length, the data section, and how the
// tensors the header names tile that section. The header itself is
// SafetensorsHeader.cpp's.
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
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>

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

} // namespace

Status saveCheckpoint(const std::string &path, const std::vector<TensorView> &tensors,
                      const std::map<std::string, std::string> &metadata) {
  Result<std::string> header = buildSafetensorsHeader(path, tensors, metadata);
  if (!header)
    return header.takeError();

  char length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<char>(uint64_t(header->size()) >> (8 * i));
  std::vector<std::string_view> pieces = {std::string_view(length, 8), *header};
  // Tensor bytes are written from where they are, or from a byte-swapped
  // copy on a big-endian host.
  std::vector<std::vector<char>> swapped;
  swapped.reserve(tensors.size());
  for (const TensorView &tensor : tensors) {
    uint64_t bytes;
    tensorBytes(tensor.shape, bytes);
    const char *data =
        static_cast<const char *>(tensor.ints ? static_cast<const void *>(tensor.ints)
                                              : static_cast<const void *>(tensor.data));
    if (bytes == 0)
      continue;
    if (!hostIsLittleEndian()) {
      swapped.emplace_back(data, data + bytes);
      byteSwap32(swapped.back().data(), size_t(bytes / ElementBytes));
      data = swapped.back().data();
    }
    pieces.emplace_back(data, size_t(bytes));
  }
  return writeFileAtomically(path, pieces);
}

Result<Checkpoint> loadCheckpoint(const std::string &path) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0)
    return Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  struct stat info;
  if (::fstat(file.get(), &info) != 0)
    return Error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  if (S_ISDIR(info.st_mode))
    return Error(fmt::format("{}: is a directory, not a checkpoint file", path));
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
    if (!hostIsLittleEndian())
      byteSwap32(data, count);
    checkpoint.tensors.push_back(std::move(tensor));
  }
  return checkpoint;
}

} // namespace kiln
