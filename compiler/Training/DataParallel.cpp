//===- DataParallel.cpp - Gradients summed over processes, in buckets ------===//
//
// For data-parallel training (kilnc --data-parallel). Every process computes
// the gradients of its part of the global batch; before regularization,
// clipping and the update see them, each is weighted by the process's share
// of the batch (kiln.batch_share, fused into the kernel that finishes the
// gradient) and summed over all processes by kiln.all_reduce. Gradients are
// grouped into buckets in the order backward finishes them, so that the
// runtime can start summing a bucket while the rest of backward runs.
//
//===----------------------------------------------------------------------===//
#include "Pipeline/Passes.h"

#include "Kiln/IR/ScalarBody.h"

namespace kiln {
#define GEN_PASS_DEF_DATAPARALLEL
#include "Pipeline/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

int64_t elementCount(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

/// `x` times this process's share of the batch, an elementwise op at `b`.
Value weightByShare(OpBuilder &b, Location loc, Value x, Value share) {
  return buildElementwise(b, loc, ValueRange{x}, x.getType(), 1,
                          [&](Scalar &s, ArrayRef<Value> a) {
                            return SmallVector<Value>{s.mul(a[0], share)};
                          })
      .getResult(0);
}

struct DataParallelPass : kiln::impl::DataParallelBase<DataParallelPass> {
  using DataParallelBase::DataParallelBase;

  void runOnOperation() override {
    // Outside the train step a statistic is this process's own (inference
    // reads running statistics; the averages there are dead).
    for (auto other : getOperation().getOps<func::FuncOp>())
      if (other.getSymName() != "train_step")
        for (ProcessMeanOp mean : llvm::to_vector(other.getOps<ProcessMeanOp>())) {
          mean.replaceAllUsesWith(mean.getInput());
          mean.erase();
        }
    auto func = getOperation().lookupSymbol<func::FuncOp>("train_step");
    if (!func)
      return;
    Block &body = func.getBody().front();
    SmallVector<ParamGradOp> markers(func.getOps<ParamGradOp>());
    SmallVector<ProcessMeanOp> means(func.getOps<ProcessMeanOp>());
    if (markers.empty() && means.empty())
      return;
    // The order backward finishes the gradients in: that of the ops
    // computing them (a gradient computed by no op is final at the start).
    auto finishedAt = [&](ParamGradOp marker) -> Operation * {
      Operation *def = marker.getGrad().getDefiningOp();
      return def && def->getBlock() == &body ? def : nullptr;
    };
    llvm::stable_sort(markers, [&](ParamGradOp a, ParamGradOp b) {
      Operation *x = finishedAt(a), *y = finishedAt(b);
      if (!x || !y)
        return !x && y;
      return x->isBeforeInBlock(y);
    });

    OpBuilder top(&body, body.begin());
    Value share = BatchShareOp::create(top, func.getLoc(), top.getF32Type());
    // Dropout draws each sample's mask by its index in the global batch:
    // the processes draw different masks, those one process would draw.
    SmallVector<DropoutOp> dropouts(func.getOps<DropoutOp>());
    if (!dropouts.empty()) {
      Value offset = BatchOffsetOp::create(top, func.getLoc(), top.getF32Type());
      for (DropoutOp dropout : dropouts)
        dropout.getOffsetMutable().assign(offset);
    }
    // Each gradient weighted by the share, right after it is final.
    SmallVector<Value> weighted;
    for (ParamGradOp marker : markers) {
      Operation *def = finishedAt(marker);
      OpBuilder b(&body, def ? std::next(def->getIterator())
                             : std::next(share.getDefiningOp()->getIterator()));
      weighted.push_back(weightByShare(b, marker.getLoc(), marker.getGrad(), share));
    }
    // Buckets of at least bucketFloats elements (the last may be smaller),
    // each summed right after its last gradient.
    int64_t bucket = 0;
    for (size_t first = 0; first < markers.size();) {
      size_t end = first;
      int64_t floats = 0;
      while (end < markers.size() && (end == first || floats < bucketFloats))
        floats += elementCount(weighted[end++]);
      SmallVector<Value> inputs(weighted.begin() + first, weighted.begin() + end);
      OpBuilder b(&body, std::next(inputs.back().getDefiningOp()->getIterator()));
      auto sum = AllReduceOp::create(b, markers[first].getLoc(), ValueRange(inputs), bucket++);
      for (size_t k = first; k < end; ++k)
        markers[k].getGradMutable().assign(sum.getResult(k - first));
      first = end;
    }
    // Synchronized statistics: each weighted and summed where it is made.
    for (ProcessMeanOp mean : means) {
      OpBuilder b(mean);
      Value weighted = weightByShare(b, mean.getLoc(), mean.getInput(), share);
      auto sum = AllReduceOp::create(b, mean.getLoc(), ValueRange{weighted}, bucket++);
      sum.setStatistic(true);
      mean.replaceAllUsesWith(sum.getResult(0));
      mean.erase();
    }
  }
};

} // namespace
