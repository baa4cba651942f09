//===- Shape.h - Tensor shapes as messages write them -----------*- C++ -*-===//
//
// Internal to the runtime; not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CORE_SHAPE_H
#define KILN_RUNTIME_CORE_SHAPE_H

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// "[60000, 28, 28]"; "[]" for a scalar.
std::string formatShape(const std::vector<int64_t> &shape);

} // namespace kiln

#endif // KILN_RUNTIME_CORE_SHAPE_H
