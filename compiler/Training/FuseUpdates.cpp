//===- FuseUpdates.cpp - Updates right after their gradients --------------===//
#include "Pipeline/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace kiln {
#define GEN_PASS_DEF_FUSEUPDATES
#include "Pipeline/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Moves `op` to just after the latest op of its block in `deps`, or to the
/// top of the block when there is none.
void moveAfterLatest(Operation *op, ArrayRef<Operation *> deps) {
  Block *block = op->getBlock();
  Operation *latest = nullptr;
  for (Operation *dep : deps) {
    if (!dep || dep == op || dep->getBlock() != block)
      continue;
    if (!latest || latest->isBeforeInBlock(dep))
      latest = dep;
  }
  if (latest)
    op->moveAfter(latest);
  else
    op->moveBefore(block, block->begin());
}

/// Folds an elementwise op whose only user is `update` (a regularization
/// term, a clip) into the update's body, so that the update reads the
/// parameter only as its target. Returns the new update, or null when no
/// input can be folded.
UpdateOp foldElementwiseInput(UpdateOp update) {
  auto inputs = update.getInputs();
  for (unsigned i = 0; i < inputs.size(); ++i) {
    auto producer = inputs[i].getDefiningOp<ElementwiseOp>();
    if (!producer || producer->getNumResults() != 1 || !producer->hasOneUse())
      continue;
    // New inputs: the update's others, then the producer's that are not
    // targets (those become the target's block argument).
    SmallVector<Value> targets(update.getTargets());
    SmallVector<Value> newInputs;
    for (unsigned k = 0; k < inputs.size(); ++k)
      if (k != i)
        newInputs.push_back(inputs[k]);
    for (Value v : producer.getInputs())
      if (!llvm::is_contained(targets, v) && !llvm::is_contained(newInputs, v))
        newInputs.push_back(v);

    OpBuilder builder(update);
    auto fused = UpdateOp::create(builder, update.getLoc(), targets, newInputs);
    SmallVector<Type> types(targets.size() + newInputs.size(), builder.getF32Type());
    SmallVector<Location> locs(types.size(), update.getLoc());
    Block *block = builder.createBlock(&fused.getBody(), {}, types, locs);
    auto argFor = [&](Value v) -> Value {
      for (unsigned t = 0; t < targets.size(); ++t)
        if (targets[t] == v)
          return block->getArgument(t);
      for (unsigned k = 0; k < newInputs.size(); ++k)
        if (newInputs[k] == v)
          return block->getArgument(targets.size() + k);
      return {};
    };
    // The producer's body first, then the update's, on the new arguments.
    IRMapping map;
    Block &producerBody = producer.getBody().front();
    for (auto [arg, v] : llvm::zip(producerBody.getArguments(), producer.getInputs()))
      map.map(arg, argFor(v));
    for (Operation &op : producerBody.without_terminator())
      builder.clone(op, map);
    Value folded = map.lookup(cast<YieldOp>(producerBody.getTerminator()).getValues()[0]);
    Block &updateBody = update.getBody().front();
    for (unsigned t = 0; t < targets.size(); ++t)
      map.map(updateBody.getArgument(t), block->getArgument(t));
    for (unsigned k = 0; k < inputs.size(); ++k)
      map.map(updateBody.getArgument(targets.size() + k),
              k == i ? folded : argFor(inputs[k]));
    for (Operation &op : updateBody)
      builder.clone(op, map);
    update.erase();
    producer.erase();
    return fused;
  }
  return nullptr;
}

/// Whether `op`, or an op in its body, reads one of `values`.
bool readsAny(Operation *op, const llvm::SmallPtrSetImpl<Value> &values) {
  bool reads = false;
  op->walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      reads |= values.contains(v);
  });
  return reads;
}

/// In a data-parallel train step, moves every op that reads a gradient
/// summed over processes (kiln.all_reduce), directly or through another
/// such op, after the rest of the block, in their order: the updates wait
/// for the sums, which then run while the rest of backward computes.
void deferReadersOfSums(Block &body) {
  llvm::SmallPtrSet<Value, 16> summed;
  SmallVector<Operation *> readers;
  for (Operation &op : body.without_terminator()) {
    // Gradients summed (not a forward statistic, which the forward pass
    // waits for).
    if (auto sum = dyn_cast<AllReduceOp>(op); sum && !sum.getStatistic()) {
      summed.insert(sum.getResults().begin(), sum.getResults().end());
      continue;
    }
    if (!readsAny(&op, summed))
      continue;
    readers.push_back(&op);
    summed.insert(op.getResults().begin(), op.getResults().end());
  }
  for (Operation *op : readers)
    op->moveBefore(body.getTerminator());
}

struct FuseUpdatesPass : kiln::impl::FuseUpdatesBase<FuseUpdatesPass> {
  void runOnOperation() override {
    Block &body = getOperation().getBody().front();
    for (UpdateOp update : llvm::to_vector(body.getOps<UpdateOp>()))
      while (UpdateOp fused = foldElementwiseInput(update))
        update = fused;
    // Program order, so that producers move before their consumers do.
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      ops.push_back(&op);
    for (Operation *op : ops) {
      SmallVector<Operation *> deps;
      for (Value v : op->getOperands())
        deps.push_back(v.getDefiningOp());
      // Values an elementwise body uses from outside (hyperparameters).
      op->walk([&](Operation *inner) {
        for (Value v : inner->getOperands())
          if (Operation *def = v.getDefiningOp(); def && !op->isAncestor(def))
            deps.push_back(def);
      });
      if (isa<ElementwiseOp, SumOp>(op)) {
        moveAfterLatest(op, deps);
      } else if (auto update = dyn_cast<UpdateOp>(op)) {
        // Every other reader of the old values must run first.
        for (Value target : update.getTargets())
          for (Operation *user : target.getUsers())
            deps.push_back(body.findAncestorOpInBlock(*user));
        moveAfterLatest(op, deps);
      }
    }
    deferReadersOfSums(body);
  }
};

} // namespace
