//===- GpuSchedules.h - Schedules for kernels on a GPU ----------*- C++ -*-===//
//
// The GPU counterpart of the CPU templates in Schedules.h: the same anchors,
// planned as GPU blocks and threads (OpenCL or CUDA, whichever the target
// names). Every Func a kernel computes runs on the device.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_GPUSCHEDULES_H
#define KILN_CODEGEN_GPUSCHEDULES_H

#include "Codegen/Schedules.h"

#include <string>

namespace kiln {

/// Schedules a kernel just lowered for a GPU, then checks that no Func of
/// it is left to run on the host. Returns an error message, or "".
std::string scheduleGpuKernel(KernelFuncs &kernel);

/// Schedules a kernel with Halide's autoscheduler `name` for GPU `target`
/// (Li2018 is the one of Halide 14 that plans GPU loops); in-place outputs
/// are written by threads over their elements. Where the plan leaves work
/// on the host, `unusable` says what, and the kernel is to be built with
/// the templates instead. Returns an error message, or "" on success.
std::string autoscheduleGpuKernel(KernelFuncs &kernel, const std::string &name, int batch,
                                  const Halide::Target &target, std::string &unusable);

/// Why some Func of the pipeline computing `outputs` would run on the host
/// (computed in full, or inside a loop of its consumer, outside any GPU
/// block), or "" when every one runs on the device or is inlined.
std::string findHostFunc(const std::vector<Halide::Func> &outputs);

} // namespace kiln

#endif // KILN_CODEGEN_GPUSCHEDULES_H
