//===- KernelMemory.h - Memory of the generated kernels ---------*- C++ -*-===//
//
// Halide's generated code allocates every buffer it cannot keep on the stack
// (a kernel's compute_root intermediates, the scratch of a parallel loop's
// iterations) through halide_malloc, on every call of the kernel, and gives
// it back through halide_free. The runtime defines those two functions
// (runtime/src/core/KernelMemory.cpp) in place of the weak ones of Halide's own
// runtime: a block given back is kept, by size class, and handed to the next
// request of its class, so that after the first steps a training step takes
// nothing from the system allocator. The blocks kept are bounded (the limit
// below; beyond it the least recently released go back to the system), the
// cache is safe to use from Halide's worker threads, and it is emptied at
// exit. halide_set_custom_malloc has no effect on code linked with the
// runtime.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_KERNELMEMORY_H
#define KILN_KERNELMEMORY_H

#include <cstddef>
#include <cstdint>

namespace kiln {

/// What the kernels' allocator has done since the program started, and what
/// it holds now.
struct KernelMemoryStats {
  uint64_t requests = 0;          // halide_malloc calls
  uint64_t systemAllocations = 0; // of them, served by the system allocator
  size_t cachedBytes = 0;         // held for reuse now (headers included)
  size_t limitBytes = 0;          // the most it holds
};

KernelMemoryStats kernelMemoryStats();

/// The most the cache holds unless told otherwise. LeNet-5's training step
/// keeps about 2 MiB there at batch 32, 26 MiB at batch 512.
constexpr size_t DefaultKernelMemoryLimit = size_t(256) << 20;

/// Bounds the bytes kept for reuse, giving back at once what lies beyond;
/// 0 keeps nothing (every request reaches the system allocator).
void setKernelMemoryLimit(size_t bytes);

/// Gives every block kept for reuse back to the system; the limit stays.
void releaseKernelMemory();

} // namespace kiln

#endif // KILN_KERNELMEMORY_H
