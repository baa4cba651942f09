//===- Autodiff.cpp - Reverse-mode differentiation of @forward ------------===//
//
// A reverse walk over the ops of @train_step (a clone of @forward): each op
// with a gradient flowing into a result asks its GradientOpInterface rule for
// its operands' gradients. All rules live in dialects/Kiln/IR/GradientRules.cpp.
//
//===----------------------------------------------------------------------===//
#include "Pipeline/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/DenseMap.h"

namespace kiln {
#define GEN_PASS_DEF_AUTODIFF
#include "Pipeline/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Erases pure ops whose results nobody uses, last first: gradients of values
/// that need none (such as the model input) die here.
void eraseDeadOps(Block &body) {
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (op->use_empty() && isPure(op))
      op->erase();
}

/// Resolves every kiln.phase in `body` to its training or inference form.
void resolvePhases(Block &body, bool training) {
  for (PhaseOp phase : llvm::make_early_inc_range(body.getOps<PhaseOp>())) {
    phase.replaceAllUsesWith(training ? phase.getTraining() : phase.getInference());
    phase.erase();
  }
}

/// Gradients accumulated per value while walking backwards.
class GradientMap {
public:
  explicit GradientMap(OpBuilder &builder) : builder(builder) {}

  Value lookup(Value v) const { return grads.lookup(v); }

  /// Adds `g` to the gradient of `v`, summing with kiln.add when `v` already
  /// has one (a value with several users).
  void accumulate(Value v, Value g, Location loc) {
    Value &slot = grads[v];
    slot = slot ? AddOp::create(builder, loc, slot, g).getResult() : g;
  }

private:
  OpBuilder &builder;
  llvm::DenseMap<Value, Value> grads;
};

struct AutodiffPass : kiln::impl::AutodiffBase<AutodiffPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    auto forward = symbols.lookup<func::FuncOp>("forward");
    if (!forward) {
      module.emitError("kiln-autodiff expects a function named @forward");
      return signalPassFailure();
    }
    if (forward.getNumResults() != 2) {
      forward.emitError("@forward must return (loss, prediction)");
      return signalPassFailure();
    }
    if (failed(buildTrainStep(forward, symbols)))
      return signalPassFailure();
    buildInference(forward, symbols, "predict", /*withLoss=*/false);
    buildInference(forward, symbols, "evaluate", /*withLoss=*/true);
    forward.erase();
  }

  LogicalResult buildTrainStep(func::FuncOp forward, SymbolTable &symbols) {
    auto train = cast<func::FuncOp>(forward->clone());
    train.setSymName("train_step");
    symbols.insert(train);
    Block &body = train.getBody().front();
    resolvePhases(body, /*training=*/true);
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    Value loss = ret.getOperand(0);

    OpBuilder builder(ret);
    GradientMap grads(builder);
    auto lossType = cast<RankedTensorType>(loss.getType());
    grads.accumulate(loss, FillOp::create(builder, loss.getLoc(), lossType,
                                          builder.getF64FloatAttr(1.0)),
                     loss.getLoc());

    // Snapshot the forward ops: the walk appends backward ops to the block.
    SmallVector<Operation *> forwardOps;
    for (Operation &op : body.without_terminator())
      forwardOps.push_back(&op);

    for (Operation *op : llvm::reverse(forwardOps)) {
      SmallVector<Value> resultGrads;
      bool anyGrad = false;
      for (Value r : op->getResults()) {
        resultGrads.push_back(grads.lookup(r));
        anyGrad |= static_cast<bool>(resultGrads.back());
      }
      // Leaves (parameters, inputs) keep their gradient; nothing flows further.
      if (!anyGrad || op->getNumOperands() == 0)
        continue;
      auto rule = dyn_cast<GradientOpInterface>(op);
      if (!rule)
        return op->emitError("no gradient rule for '") << op->getName()
               << "' on the path to the loss";
      SmallVector<Value> operandGrads;
      if (failed(rule.buildGradients(builder, resultGrads, operandGrads)))
        return failure();
      if (operandGrads.size() != op->getNumOperands())
        return op->emitError("gradient rule returned ")
               << operandGrads.size() << " gradients for " << op->getNumOperands()
               << " operands";
      for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads))
        if (g)
          grads.accumulate(operand, g, op->getLoc());
    }

    // Mark each parameter's complete gradient; parameters that do not reach
    // the loss get none and are left untouched by training. Frozen ones get
    // no marker either, so that the gradient computations that only served
    // them are erased below (sparse backpropagation).
    for (Operation *op : forwardOps) {
      auto param = dyn_cast<ParamOp>(op);
      if (!param || param.getFrozen())
        continue;
      if (Value g = grads.lookup(param.getResult()))
        ParamGradOp::create(builder, param.getLoc(), param.getResult(), g);
      else
        param.emitWarning("parameter '") << param.getName() << "' does not affect the loss";
    }

    // The train step returns the loss only.
    builder.setInsertionPoint(ret);
    func::ReturnOp::create(builder, ret.getLoc(), ValueRange{loss});
    ret.erase();
    train.setFunctionType(builder.getFunctionType({}, {loss.getType()}));
    eraseDeadOps(body);
    return success();
  }

  /// Clones @forward into an inference function called `name`: phases in
  /// their inference form, no updates of running statistics. @predict
  /// returns the prediction; @evaluate the loss (without regularization
  /// terms, which belong to training) and the prediction.
  void buildInference(func::FuncOp forward, SymbolTable &symbols, StringRef name,
                      bool withLoss) {
    auto inference = cast<func::FuncOp>(forward->clone());
    inference.setSymName(name);
    symbols.insert(inference);
    Block &body = inference.getBody().front();
    resolvePhases(body, /*training=*/false);
    for (UpdateOp update : llvm::make_early_inc_range(body.getOps<UpdateOp>()))
      update.erase();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    if (!withLoss) {
      OpBuilder builder(ret);
      Value prediction = ret.getOperand(1);
      func::ReturnOp::create(builder, ret.getLoc(), ValueRange{prediction});
      ret.erase();
      inference.setFunctionType(builder.getFunctionType({}, {prediction.getType()}));
    }
    // Ops feeding only the loss are now dead in @predict.
    eraseDeadOps(body);
  }
};

} // namespace
