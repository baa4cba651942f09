//===- JitBinding.cpp - Running lowered kernels by JIT --------------------===//
#include "Codegen/JitBinding.h"

#include <cstring>

using namespace kiln;

std::vector<int> kiln::halideExtents(const std::vector<int64_t> &shape, int batch) {
  std::vector<int> extents;
  for (auto it = shape.rbegin(); it != shape.rend(); ++it)
    extents.push_back(*it < 0 ? batch : static_cast<int>(*it));
  return extents;
}

Halide::Buffer<> kiln::denseCopy(const Halide::Buffer<> &b) {
  std::vector<int> extents;
  for (int d = 0; d < b.dimensions(); ++d)
    extents.push_back(b.dim(d).extent());
  Halide::Buffer<> out(b.type(), extents);
  std::memcpy(out.data(), b.data(), b.size_in_bytes());
  return out;
}

void kiln::bindJitInputs(LoweredKernel &kernel, const KernelCall &call, const FunctionPlan &plan,
                         const LoweredModel &model,
                         const std::vector<Halide::Buffer<>> &slotBuffers, int batch,
                         float step) {
  kernel.batch.set(batch);
  size_t image = 0, scalar = 0;
  for (int id : call.inputs) {
    const Slot &slot = plan.slots[id];
    if (slot.kind == Slot::Kind::Hyperparam)
      kernel.scalars.at(scalar++).set(
          static_cast<float>(model.hyperparams.at(slot.index).defaultValue));
    else if (slot.kind == Slot::Kind::Step)
      kernel.scalars.at(scalar++).set(step);
    else if (slot.kind == Slot::Kind::BatchShare) // one process
      kernel.scalars.at(scalar++).set(1.0f);
    else if (slot.kind == Slot::Kind::BatchOffset)
      kernel.scalars.at(scalar++).set(0.0f);
    else
      kernel.images.at(image++).set(slotBuffers.at(id));
  }
}
