//===- Shape.cpp - Tensor shapes as messages write them -------------------===//

#include "core/Shape.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace kiln {

std::string formatShape(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

} // namespace kiln
