//===- IdxFiles.h - IDX files written by tests ------------------*- C++ -*-===//
//
// MNIST's format, big-endian header and bytes, for tests that need a data
// set on disk.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_UNIT_IDXFILES_H
#define KILN_TEST_UNIT_IDXFILES_H

#include "kiln/Data.h"

#include "TestFiles.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kiln::testing {

inline void putBigEndian(std::string &bytes, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    bytes.push_back(static_cast<char>((value >> shift) & 0xff));
}

inline std::string idxHeader(uint32_t magic, const std::vector<uint32_t> &dims) {
  std::string bytes;
  putBigEndian(bytes, magic);
  for (uint32_t dim : dims)
    putBigEndian(bytes, dim);
  return bytes;
}

/// The bytes of an IDX image file of `count` images of rows x cols `pixels`.
inline std::string idxImages(uint32_t count, uint32_t rows, uint32_t cols,
                             const std::vector<uint8_t> &pixels) {
  return idxHeader(IdxImageMagic, {count, rows, cols}) + std::string(pixels.begin(), pixels.end());
}

/// The bytes of an IDX label file of `labels`.
inline std::string idxLabels(const std::vector<uint8_t> &labels) {
  return idxHeader(IdxLabelMagic, {static_cast<uint32_t>(labels.size())}) +
         std::string(labels.begin(), labels.end());
}

inline void writeImages(const std::filesystem::path &path, uint32_t count, uint32_t rows,
                        uint32_t cols, const std::vector<uint8_t> &pixels) {
  writeBytes(path, idxImages(count, rows, cols, pixels));
}

inline void writeLabels(const std::filesystem::path &path, const std::vector<uint8_t> &labels) {
  writeBytes(path, idxLabels(labels));
}

} // namespace kiln::testing

#endif // KILN_TEST_UNIT_IDXFILES_H
