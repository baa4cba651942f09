//===- SafetensorsHeader.h - The JSON header of a checkpoint ----*- C++ -*-===//
//
// The header of a safetensors file (see kiln/Checkpoint.h), written from the
// tensors to save and read back into entries checked one by one. What the
// entries say together (their layout in the data section) is
// Checkpoint.cpp's to check. Internal to the runtime; not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_IO_SAFETENSORSHEADER_H
#define KILN_RUNTIME_IO_SAFETENSORSHEADER_H

#include "kiln/Checkpoint.h"
#include "kiln/Result.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

/// Both dtypes are 4 bytes wide.
constexpr uint64_t ElementBytes = 4;

/// Bytes of a tensor of `shape`, or false if a dimension is negative or the
/// size does not fit in 64 bits.
bool tensorBytes(const std::vector<int64_t> &shape, uint64_t &bytes);

/// One tensor's header entry, checked against itself but not yet against
/// the other tensors or the size of the data section.
struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

/// What a header holds: metadata and the tensors' entries, in header order.
struct SafetensorsHeader {
  std::map<std::string, std::string> metadata;
  std::vector<TensorEntry> entries;
};

/// The header of a checkpoint of `tensors`, padded with spaces to a multiple
/// of 8 bytes, after checking every name, shape and data pointer. Messages
/// start with `path`.
Result<std::string> buildSafetensorsHeader(const std::string &path,
                                           const std::vector<TensorView> &tensors,
                                           const std::map<std::string, std::string> &metadata);

/// Parses and checks header `text` of the file at `path`: JSON syntax
/// (errors carry a byte offset), no key twice in an object, and the
/// safetensors schema (errors name the tensor). Messages start with `path`.
Result<SafetensorsHeader> parseSafetensorsHeader(const std::string &path, std::string_view text);

} // namespace kiln

#endif // KILN_RUNTIME_IO_SAFETENSORSHEADER_H
