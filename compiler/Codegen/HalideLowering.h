//===- HalideLowering.h - kiln kernels to Halide pipelines ------*- C++ -*-===//
//
// Lowers the kernels of @train_step, @predict and @evaluate to Halide
// pipelines and schedules them. The kernel walk and its buffer slots are in
// FunctionLowering.cpp, each op's algorithm in OpAlgorithms.cpp, elementwise
// bodies in ScalarLowering.cpp, the model manifest in ModelManifest.cpp and
// the schedules in Schedules.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_HALIDELOWERING_H
#define KILN_CODEGEN_HALIDELOWERING_H

#include "Codegen/LoweredModel.h"

#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>

namespace kiln {

struct CodegenOptions {
  /// Compute in float64 instead of float32 (finite-difference gradient checks).
  bool useDouble = false;
  /// Apply the hand-written schedules; without, everything is computed at root.
  bool schedule = true;
  /// Schedule every kernel for a GPU (GpuSchedules.cpp): the target names
  /// OpenCL or CUDA.
  bool gpu = false;
  /// Vector width in elements; 0 asks the host target.
  int vectorWidth = 0;
  /// Schedule every kernel with one of Halide's autoschedulers instead of
  /// the templates: "Adams2019", "Li2018" or "Mullapudi2016" (see
  /// autoschedulerNames()); empty: the templates.
  std::string autoscheduler;
  /// The batch size the autoscheduler plans for.
  int batchEstimate = 128;
  /// With `gpu`: the GPU target, for which an autoscheduler plans.
  Halide::Target target;
  /// Per kernel (by LoweredKernel::name), a schedule other than the
  /// templates' default, as kilnc --autotune chose it. `autoscheduler`
  /// overrides these.
  std::map<std::string, ScheduleChoice> choices;
};

/// Lowers every function of `module` made of kiln.kernel ops. Reports problems
/// as MLIR diagnostics and returns failure.
mlir::FailureOr<LoweredModel> lowerToHalide(mlir::ModuleOp module,
                                            const CodegenOptions &options);

} // namespace kiln

#endif // KILN_CODEGEN_HALIDELOWERING_H
