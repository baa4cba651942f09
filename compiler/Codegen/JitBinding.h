//===- JitBinding.h - Running lowered kernels by JIT ------------*- C++ -*-===//
//
// What running a lowered kernel in this process needs (the schedule tuner,
// gradient checks and numerics tests do): buffers of a slot's shape, dense
// copies, and the kernel's parameters bound to them.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_JITBINDING_H
#define KILN_CODEGEN_JITBINDING_H

#include "Codegen/LoweredModel.h"

#include <Halide.h>

#include <vector>

namespace kiln {

/// The extents of a buffer of row-major `shape` in Halide's order
/// (innermost first), the batch (-1) given as `batch`.
std::vector<int> halideExtents(const std::vector<int64_t> &shape, int batch);

/// A copy of `b`, whose elements must be dense (as Halide::Buffer allocates
/// them). Buffer::copy and copy_from advance pointers past the ends of
/// their buffers, which UndefinedBehaviorSanitizer reports
/// (pointer-overflow in Halide.h).
Halide::Buffer<> denseCopy(const Halide::Buffer<> &b);

/// Binds `kernel`'s parameters for one run by JIT of `call` (a call of
/// `plan`): the batch, each buffer input to `slotBuffers[slot]`, each
/// hyperparameter to its default and the update number to `step`.
void bindJitInputs(LoweredKernel &kernel, const KernelCall &call, const FunctionPlan &plan,
                   const LoweredModel &model, const std::vector<Halide::Buffer<>> &slotBuffers,
                   int batch, float step);

} // namespace kiln

#endif // KILN_CODEGEN_JITBINDING_H
