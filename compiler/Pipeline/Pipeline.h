//===- Pipeline.h - The kiln pass pipeline and its options ------*- C++ -*-===//
#ifndef KILN_PIPELINE_PIPELINE_H
#define KILN_PIPELINE_PIPELINE_H

#include "mlir/Pass/PassManager.h"

namespace kiln {

/// How far the pipeline goes; each stage can be printed by kilnc --emit.
enum class PipelineStage {
  Train,   // @train_step with kiln.param_grad (autodiff only)
  Fused,   // optimizer updates applied and placed
  Kernels, // kiln.kernel fusion groups
};

struct PipelineOptions {
  PipelineStage stopAfter = PipelineStage::Kernels;
  /// Without it, gradients are returned by the train step instead of applied
  /// (used by gradient checks).
  bool applyOptimizer = true;
  /// Move updates next to their gradients and fuse them into the gradient's
  /// kernel (off: updates run after the whole backward pass, in kernels of
  /// their own, and every gradient is stored).
  bool fuseUpdates = true;
  /// Also return gradient norms and dead-unit counts from the train step
  /// (kiln-training-health; kilnc --health).
  bool trainingHealth = false;
  /// Sum the gradients over the processes of a data-parallel run before
  /// they are used (kiln-data-parallel; kilnc --data-parallel), in buckets
  /// of at least `bucketFloats` elements.
  bool dataParallel = false;
  int64_t bucketFloats = 1 << 20;
};

/// Builds the pass pipeline from imported kiln IR to kernels.
void buildKilnPipeline(mlir::OpPassManager &pm, const PipelineOptions &options);

} // namespace kiln

#endif // KILN_PIPELINE_PIPELINE_H
