//===- ByteOrder.h - The host's byte order and 4-byte swaps -----*- C++ -*-===//
//
// The files the runtime writes hold their numbers little-endian (safetensors
// checkpoints, .npy arrays); on a big-endian host their 4-byte elements are
// swapped on the way out and on the way in. The one probe of the host's byte
// order, for Checkpoint.cpp and Export.cpp. Internal to the runtime; not
// installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_BYTEORDER_H
#define KILN_RUNTIME_BYTEORDER_H

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

namespace kiln {

/// Whether the host stores the low byte of an integer first.
inline bool hostIsLittleEndian() {
  uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

/// Reverses the bytes of each of the `count` 4-byte elements at `data`.
inline void byteSwap32(void *data, size_t count) {
  auto *bytes = static_cast<unsigned char *>(data);
  for (size_t i = 0; i < count; ++i, bytes += 4) {
    std::swap(bytes[0], bytes[3]);
    std::swap(bytes[1], bytes[2]);
  }
}

} // namespace kiln

#endif // KILN_RUNTIME_BYTEORDER_H
