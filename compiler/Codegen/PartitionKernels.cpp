//===- PartitionKernels.cpp - Fusion groups as kiln.kernel regions --------===//
//
// One greedy walk in program order with a small table of fusion rules:
//
//   anchor ops (contractions, reductions)  open a new kernel
//   epilogue ops (elementwise)             join the open kernel when their main
//                                          operand is produced in it (a sum's:
//                                          the later-produced operand)
//   updates                                join the kernel that completes the
//                                          gradient, unless another op there
//                                          reads the old parameter at other
//                                          indices (that would race), or the
//                                          gradient has readers outside it
//   a kernel of kMaxKernelOps ops          takes no more: a longer chain goes on
//                                          in a new kernel
//   views (broadcast, reshape)             join no kernel: each kernel that reads
//                                          one computes it itself, from the
//                                          view's input (a copy of the op), so a
//                                          view never costs a kernel or a buffer
//                                          of its own; an op reading a view of a
//                                          value of the open kernel starts a new
//                                          one; a view whose result the function
//                                          returns, or that reads parameters or
//                                          state, stays an op
//
// Storage ops (kiln.input, kiln.param, kiln.state, kiln.hyperparam,
// kiln.step, kiln.batch, kiln.batch_share, kiln.batch_offset, kiln.fill, arith.constant) stay
// outside kernels: code
// generation binds them as buffers, scalars or constants. A kiln.all_reduce
// stays outside kernels too, where it is: the runtime sums its buffers
// between kernel calls, and no kernel before it reads what it sums.
//
//===----------------------------------------------------------------------===//
#include "Pipeline/Passes.h"

#include "mlir/IR/Builders.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <functional>
#include <optional>

namespace kiln {
#define GEN_PASS_DEF_PARTITIONKERNELS
#include "Pipeline/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The most ops one kernel holds. Layers fuse two to four (a product, its
/// bias and activation, the update); only long elementwise chains reach the
/// bound. Halide inlines an epilogue into one expression, and its compile
/// time grows faster than that expression's length (a kernel of 25 chained
/// relu gradients took 2.5 s, of 50 6.5 s): bounded kernels keep a model's
/// compile time linear in its length.
constexpr size_t kMaxKernelOps = 8;

bool isStorageOp(Operation *op) {
  return isa<InputOp, ParamOp, StateOp, HyperparamOp, StepOp, BatchOp, BatchShareOp,
             BatchOffsetOp, FillOp, arith::ConstantOp>(op);
}

/// An op whose result is its input's elements under other indices: cheap to
/// compute wherever it is read.
bool isViewOp(Operation *op) { return isa<BroadcastOp, ReshapeOp>(op); }

/// The operand whose producer an epilogue op fuses with, or -1 when the op is
/// an anchor that always opens a new kernel.
int fusedOperandIndex(Operation *op, bool fuseUpdates) {
  if (isa<BiasAddOp, ReluOp, ReluGradOp, AddOp, ElementwiseOp, DropoutOp>(op))
    return 0;
  if (isa<ParamGradOp>(op))
    return 1; // the gradient
  if (auto update = dyn_cast<UpdateOp>(op))
    return fuseUpdates && !update.getInputs().empty()
               ? static_cast<int>(update.getTargets().size()) // the gradient
               : -1;
  return -1;
}

/// The storage an op writes in place (parameter and optimizer state).
ValueRange writtenTargets(Operation *op) {
  if (auto update = dyn_cast<UpdateOp>(op))
    return update.getTargets();
  return {};
}

struct PartitionKernelsPass : kiln::impl::PartitionKernelsBase<PartitionKernelsPass> {
  using PartitionKernelsBase::PartitionKernelsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    Block &body = func.getBody().front();

    // Storage ops have no operands: hoist them to the top so that they
    // dominate every kernel that reads them.
    SmallVector<Operation *> storage;
    for (Operation &op : body.without_terminator())
      if (isStorageOp(&op))
        storage.push_back(&op);
    for (Operation *op : llvm::reverse(storage))
      op->moveBefore(&body, body.begin());

    // Views that every reader computes itself (in reverse, so that a view's
    // readers are decided before it): not returned, not reading storage that
    // an update may overwrite, read only by ops or by such views.
    llvm::SmallPtrSet<Operation *, 16> views;
    SmallVector<Operation *> viewsReadersFirst;
    for (Operation &op : llvm::reverse(body.without_terminator())) {
      if (!isViewOp(&op) || isa_and_nonnull<ParamOp, StateOp>(op.getOperand(0).getDefiningOp()))
        continue;
      if (llvm::all_of(op.getUsers(), [&](Operation *user) {
            return !user->hasTrait<OpTrait::IsTerminator>() &&
                   (!isViewOp(user) || views.contains(user));
          })) {
        views.insert(&op);
        viewsReadersFirst.push_back(&op);
      }
    }

    // Form groups. A view's "group" is the latest of its input's producers'
    // (groupOf maps it there), for the rules' ordering checks.
    SmallVector<SmallVector<Operation *>> groups;
    llvm::DenseMap<Operation *, unsigned> groupOf;
    // Groups that hold one kiln.all_reduce: no op joins them, and no kernel
    // is made of them.
    llvm::SmallDenseSet<unsigned> sums;
    for (Operation &op : body.without_terminator()) {
      if (isStorageOp(&op))
        continue;
      if (isa<AllReduceOp>(op)) {
        sums.insert(groups.size());
        groupOf[&op] = groups.size();
        groups.push_back({&op});
        continue;
      }
      if (views.contains(&op)) {
        if (auto producer = groupOf.find(op.getOperand(0).getDefiningOp());
            producer != groupOf.end())
          groupOf[&op] = producer->second;
        continue;
      }
      std::optional<unsigned> target =
          joinableGroup(&op, groups, groupOf, views, sums, fuseUpdates);
      if (!target) {
        target = groups.size();
        groups.emplace_back();
      }
      groups[*target].push_back(&op);
      groupOf[&op] = *target;
    }

    for (unsigned g = 0; g < groups.size(); ++g)
      if (!sums.contains(g))
        copyViewsInto(groups[g], views);
    for (Operation *view : viewsReadersFirst)
      if (view->use_empty())
        view->erase();

    unsigned index = 0;
    for (unsigned g = 0; g < groups.size(); ++g)
      if (!sums.contains(g))
        outline(groups[g], (func.getSymName() + "_k" + llvm::Twine(index++)).str());
  }

  /// Gives `group` its own copy of each view its ops read (and of the views
  /// those read), each placed just before its first reader.
  static void copyViewsInto(SmallVector<Operation *> &group,
                            const llvm::SmallPtrSetImpl<Operation *> &views) {
    llvm::DenseMap<Operation *, Operation *> copies;
    SmallVector<Operation *> members;
    OpBuilder builder(group.front());
    std::function<Value(Value)> local = [&](Value v) -> Value {
      Operation *def = v.getDefiningOp();
      if (!def || !views.contains(def))
        return v;
      auto [it, inserted] = copies.try_emplace(def, nullptr);
      if (inserted) {
        Value input = local(def->getOperand(0));
        it->second = builder.clone(*def);
        it->second->setOperand(0, input);
        members.push_back(it->second);
      }
      return it->second->getResult(0);
    };
    for (Operation *op : group) {
      builder.setInsertionPoint(op);
      for (OpOperand &operand : op->getOpOperands())
        if (Value copy = local(operand.get()); copy != operand.get())
          operand.set(copy);
      members.push_back(op);
    }
    group = std::move(members);
  }

  /// The group `op` can join as an epilogue, if any. A pure epilogue may join
  /// an earlier group than the last (moving it up is safe when its other
  /// operands are ready by then); an update joins only the last group, and
  /// only if no other op there reads what it overwrites (kiln-fuse-updates
  /// folds elementwise readers into the update's body beforehand).
  static std::optional<unsigned>
  joinableGroup(Operation *op, ArrayRef<SmallVector<Operation *>> groups,
                const llvm::DenseMap<Operation *, unsigned> &groupOf,
                const llvm::SmallPtrSetImpl<Operation *> &views,
                const llvm::SmallDenseSet<unsigned> &sums, bool fuseUpdates) {
    int operand = fusedOperandIndex(op, fuseUpdates);
    if (operand < 0)
      return std::nullopt;
    // A sum's operands are interchangeable: it joins the later of their
    // producers' groups, where the other operand is ready (a residual
    // block's two gradients, summed and passed through the relu's gradient
    // in the epilogue of the second rather than a kernel of their own).
    if (isa<AddOp>(op)) {
      auto groupIndex = [&](Value v) {
        auto it = groupOf.find(v.getDefiningOp());
        return it == groupOf.end() ? -1 : static_cast<int>(it->second);
      };
      if (groupIndex(op->getOperand(1)) > groupIndex(op->getOperand(0)))
        operand = 1;
    }
    auto producer = groupOf.find(op->getOperand(operand).getDefiningOp());
    if (producer == groupOf.end() || sums.contains(producer->second))
      return std::nullopt;
    unsigned target = producer->second;
    if (groups[target].size() >= kMaxKernelOps)
      return std::nullopt;
    ValueRange written = writtenTargets(op);
    if (!written.empty()) {
      if (target + 1 != groups.size())
        return std::nullopt;
      // A gradient that is also read elsewhere (a health reduction) is
      // stored anyway; a kernel of its own keeps the update from making the
      // gradient's kernel one of several outputs, which schedules worse.
      for (Operation *user : op->getOperand(operand).getUsers())
        if (user != op && !llvm::is_contained(groups[target], user))
          return std::nullopt;
      for (Value storage : written)
        for (Operation *user : storage.getUsers()) {
          auto it = groupOf.find(user);
          if (user != op && it != groupOf.end() && it->second == target)
            return std::nullopt;
        }
      return target;
    }
    for (Value v : op->getOperands()) {
      auto it = groupOf.find(v.getDefiningOp());
      if (it != groupOf.end() && it->second > target)
        return std::nullopt;
      // A view only ever starts a kernel, of a value computed before it: one
      // after the kernel's anchor would change the shape the anchor's schedule
      // tiles.
      if (it != groupOf.end() && it->second == target && views.contains(it->first))
        return std::nullopt;
    }
    return target;
  }

  /// Moves `ops` into a new kiln.kernel placed where the first op was; values
  /// used after the group become the kernel's results.
  static void outline(ArrayRef<Operation *> ops, StringRef name) {
    llvm::SmallPtrSet<Operation *, 16> members(ops.begin(), ops.end());
    llvm::SetVector<Value> escaping;
    for (Operation *op : ops)
      for (Value result : op->getResults())
        for (Operation *user : result.getUsers())
          if (!members.contains(user))
            escaping.insert(result);

    OpBuilder builder(ops.front());
    SmallVector<Type> types;
    for (Value v : escaping)
      types.push_back(v.getType());
    auto kernel = KernelOp::create(builder, ops.front()->getLoc(), types,
                                   builder.getStringAttr(name));
    Block *block = builder.createBlock(&kernel.getBody());
    for (Operation *op : ops)
      op->moveBefore(block, block->end());
    builder.setInsertionPointToEnd(block);
    YieldOp::create(builder, kernel.getLoc(), escaping.getArrayRef());
    for (auto [escaped, result] : llvm::zip(escaping, kernel.getResults()))
      Value(escaped).replaceUsesWithIf(result, [&](OpOperand &use) {
        return !kernel->isProperAncestor(use.getOwner());
      });
  }
};

} // namespace
