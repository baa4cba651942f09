//===- Pipeline.cpp - The kiln pass pipeline ------------------------------===//
#include "Pipeline/Passes.h"

#include "mlir/Transforms/Passes.h"

using namespace mlir;

void kiln::buildKilnPipeline(OpPassManager &pm, const PipelineOptions &options) {
  // Differentiate @forward into @train_step, and split off @predict.
  pm.addPass(createAutodiff());
  if (options.stopAfter == PipelineStage::Train)
    return;
  // Replace gradient markers with in-place updates right where gradients are final.
  if (options.applyOptimizer)
    pm.addPass(createApplyOptimizer());
  // Drop values that nothing uses any more (e.g. the loss in @predict).
  pm.addPass(createCanonicalizerPass());
  if (options.stopAfter == PipelineStage::Fused)
    return;
  // Group ops into kernels: one Halide pipeline each, fused epilogues and updates.
  pm.addNestedPass<func::FuncOp>(createPartitionKernels());
}
