//===- Pipeline.cpp - The kiln pass pipeline ------------------------------===//
#include "Pipeline/Pipeline.h"
#include "Pipeline/Passes.h"

#include "mlir/Transforms/Passes.h"

using namespace mlir;

void kiln::buildKilnPipeline(OpPassManager &pm, const PipelineOptions &options) {
  // Differentiate @forward into @train_step, and split off @predict.
  pm.addPass(createAutodiff());
  if (options.stopAfter == PipelineStage::Train)
    return;
  // Data-parallel: the gradient of the global batch, summed over processes,
  // is what every later pass sees.
  if (options.dataParallel) {
    DataParallelOptions dataParallel;
    dataParallel.bucketFloats = options.bucketFloats;
    pm.addPass(createDataParallel(dataParallel));
  }
  // Transform the gradients: regularization terms, then clipping (the order
  // of torch: the penalty is part of the loss whose gradient is clipped).
  pm.addPass(createRegularize());
  // Health reports read the gradients before clipping can hide a large one.
  if (options.trainingHealth)
    pm.addPass(createTrainingHealth());
  pm.addPass(createClipGradients());
  if (options.applyOptimizer) {
    // Replace gradient markers with in-place updates of parameters and state,
    pm.addPass(createApplyOptimizer());
    // and move each right after its gradient is final.
    if (options.fuseUpdates)
      pm.addNestedPass<func::FuncOp>(createFuseUpdates());
  }
  // Drop values that nothing uses any more (e.g. the loss in @predict).
  pm.addPass(createCanonicalizerPass());
  if (options.stopAfter == PipelineStage::Fused)
    return;
  // Group ops into kernels: one Halide pipeline each, fused epilogues and updates.
  PartitionKernelsOptions partition;
  partition.fuseUpdates = options.fuseUpdates;
  pm.addNestedPass<func::FuncOp>(createPartitionKernels(partition));
}
