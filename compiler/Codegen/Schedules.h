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
  enum class Anchor { Elementwise, Matmul, Reduce, Softmax, Window, Scan };
  Anchor anchor = Anchor::Elementwise;
  /// Matmul: the accumulator `prod(j, i) += a(i, r) * b(r, j)` with its pure
  /// vars (j, i); Reduce: the sum; Window: the convolution or pooling over
  /// NCHW (innermost var: the column); Softmax: unused.
  Halide::Func prod;
  Halide::RDom reduction;
  /// Matmul without transpose_lhs: the left side, lhs(k, i, ...); inlined
  /// unless a schedule stores a block of its rows.
  Halide::Func lhs;
  /// Intermediates computed in full before the outputs: softmax's per-row
  /// maximum and sum of exponentials, pooling's window winners.
  std::vector<Halide::Func> roots;
  /// Window: the inputs of the convolution or pooling over (x, y, channel,
  /// n), padded (reads outside give the padding value); and which kind of
  /// result `prod` is: per image (a convolution or its input gradient,
  /// reducing over taps and channels; pooling has no update) or per filter
  /// (the filter gradient, reducing over images and positions).
  std::vector<Halide::Func> windowInputs;
  enum class Window { PerImage, Filter };
  Window window = Window::PerImage;
  std::vector<Halide::Func> outputs;
  /// Row-major shape of each output, outermost first; -1 marks the batch.
  std::vector<std::vector<int64_t>> outputShapes;
  /// Scan: the recurrences, in the order they run. `func(j, b, t)` has one
  /// update over `domain` = (j within its block, k, block of j, step), j a
  /// hidden unit in blocks of `block`, k in [0, H]: H terms of the recurrent
  /// product, then the cell. Step t reads only step t - 1 (t + 1 when
  /// running backwards), so units of one step may be computed together.
  struct Scan {
    Halide::Func func;
    Halide::RDom domain;
    int block;
  };
  std::vector<Scan> scans;
  /// In-place Tuple outputs (by Func name) and the Func holding their new
  /// values, which must be computed per tile or row before the output
  /// stores any of it.
  std::vector<std::pair<std::string, Halide::Func>> stagedValues;
};

void scheduleKernel(KernelFuncs &kernel, int vectorWidth);

/// Schedules the kernel with Halide's autoscheduler `name` (its plugin is
/// loaded on first use) for batches of `batch`. The kernel's inputs must
/// carry estimates already. Returns an error message, or "" on success.
std::string autoscheduleKernel(KernelFuncs &kernel, const std::string &name, int batch);

} // namespace kiln

#endif // KILN_CODEGEN_SCHEDULES_H
