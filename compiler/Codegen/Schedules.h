//===- Schedules.h - Schedules for lowered kiln kernels ---------*- C++ -*-===//
//
// The schedule of a kernel is chosen apart from its algorithm: lowering
// records what it built (the outputs, and the kernel's anchor: the
// contraction or reduction that dominates its cost) and a template per anchor
// kind decides loop order, tiling, vectorization and parallelism.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_SCHEDULES_H
#define KILN_CODEGEN_SCHEDULES_H

#include <Halide.h>

#include <string>
#include <utility>
#include <vector>

namespace kiln {

struct KernelFuncs {
  enum class Anchor { Elementwise, Matmul, Reduce, Softmax, Window };
  Anchor anchor = Anchor::Elementwise;
  /// Matmul: the accumulator `prod(j, i) += a(i, r) * b(r, j)` with its pure
  /// vars (j, i); Reduce: the sum; Window: the convolution or pooling over
  /// NCHW (innermost var: the column); Softmax: unused.
  Halide::Func prod;
  Halide::RDom reduction;
  /// Intermediates computed in full before the outputs: softmax's per-row
  /// maximum and sum of exponentials, pooling's window winners.
  std::vector<Halide::Func> roots;
  std::vector<Halide::Func> outputs;
  /// Row-major shape of each output, outermost first; -1 marks the batch.
  std::vector<std::vector<int64_t>> outputShapes;
  /// In-place Tuple outputs (by Func name) and the Func holding their new
  /// values, which must be computed per tile or row before the output
  /// stores any of it.
  std::vector<std::pair<std::string, Halide::Func>> stagedValues;
};

void scheduleKernel(KernelFuncs &kernel, int vectorWidth);

} // namespace kiln

#endif // KILN_CODEGEN_SCHEDULES_H
