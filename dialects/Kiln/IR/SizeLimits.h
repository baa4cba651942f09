//===- SizeLimits.h - The largest tensors Kiln compiles ---------*- C++ -*-===//
//
// The limits of the model language on sizes, and the checked arithmetic that
// every shape computation uses so that a huge size is an error, never a
// wrapped number. Halide 14 indexes a buffer with 32-bit ints: without the
// large_buffers target feature (Kiln does not set it) each extent and stride
// of a halide_buffer_t is an int32 and the extents of a buffer must multiply
// to at most 2^31 - 1 (halide_error_buffer_extents_too_large). So a
// dimension, and the element count of a tensor, are at most 2^31 - 1. A
// batched tensor's count is checked per sample at compile time (the batch is
// a runtime value).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IR_SIZELIMITS_H
#define KILN_IR_SIZELIMITS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CheckedArithmetic.h"

#include <cstdint>
#include <optional>
#include <string>

namespace kiln {

/// The largest extent of one dimension: 2^31 - 1.
inline constexpr int64_t kMaxDimension = INT32_MAX;
/// The most elements of one tensor (of one sample, for a batched one):
/// 2^31 - 1.
inline constexpr int64_t kMaxElements = INT32_MAX;

/// The product of the static extents of `shape` (dynamic ones, negative,
/// count as 1), or nullopt when it overflows int64_t.
inline std::optional<int64_t> checkedElementCount(llvm::ArrayRef<int64_t> shape) {
  std::optional<int64_t> n = 1;
  for (int64_t d : shape)
    if (d >= 0 && !(n = llvm::checkedMul<int64_t>(*n, d)))
      return std::nullopt;
  return n;
}

/// What is wrong with `shape` against the limits, as a phrase ("dimension 1
/// is 4294967296, over the limit of 2147483647 (2^31 - 1) on a dimension"),
/// or nullopt when it is within them.
inline std::optional<std::string> sizeLimitViolation(llvm::ArrayRef<int64_t> shape) {
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] > kMaxDimension)
      return "dimension " + std::to_string(i) + " is " + std::to_string(shape[i]) +
             ", over the limit of 2147483647 (2^31 - 1) on a dimension";
  std::optional<int64_t> count = checkedElementCount(shape);
  if (!count || *count > kMaxElements)
    return (count ? "it has " + std::to_string(*count) : std::string("it has more than 2^63 - 1"))
           + " elements" + (llvm::any_of(shape, [](int64_t d) { return d < 0; })
                                ? " per sample" : "") +
           ", over the limit of 2147483647 (2^31 - 1) on a tensor's element count";
  return std::nullopt;
}

} // namespace kiln

#endif // KILN_IR_SIZELIMITS_H
