//===- ApplyOptimizer.cpp - Replace gradient markers with updates ---------===//
#include "Pipeline/Passes.h"
#include "Training/Optimizers.h"

#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_APPLYOPTIMIZER
#include "Pipeline/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The op after which `param`'s update may run: the latest of the op that
/// completes `grad`, the kiln.param that reads `param`, and every other reader
/// of `param` (but `marker`).
static Operation *updatePoint(Value param, Value grad, Operation *marker) {
  Block *block = marker->getBlock();
  Operation *point = nullptr;
  auto consider = [&](Operation *op) {
    if (op && op != marker && op->getBlock() == block &&
        (!point || point->isBeforeInBlock(op)))
      point = op;
  };
  consider(grad.getDefiningOp());
  consider(param.getDefiningOp());
  for (Operation *user : param.getUsers())
    consider(user);
  return point;
}

struct ApplyOptimizerPass : kiln::impl::ApplyOptimizerBase<ApplyOptimizerPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto config = module->getAttrOfType<DictionaryAttr>("kiln.optimizer");
    if (!config) {
      module.emitError("kiln-apply-optimizer expects a 'kiln.optimizer' module attribute");
      return signalPassFailure();
    }
    auto name = config.getAs<StringAttr>("name");
    const OptimizerRule *rule = name ? lookupOptimizer(name.getValue()) : nullptr;
    if (!rule) {
      module.emitError("unknown optimizer in 'kiln.optimizer': ") << config;
      return signalPassFailure();
    }
    for (auto func : module.getOps<func::FuncOp>())
      apply(func, *rule, config);
  }

  void apply(func::FuncOp func, const OptimizerRule &rule, DictionaryAttr config) {
    SmallVector<ParamGradOp> markers(func.getOps<ParamGradOp>());
    if (markers.empty())
      return;
    // One runtime value per hyperparameter, at the top of the function.
    OpBuilder builder(&func.getBody().front(), func.getBody().front().begin());
    SmallVector<Value> hyper;
    for (const HyperparamRule &h : rule.hyperparams) {
      double value = h.defaultValue;
      if (auto attr = config.getAs<FloatAttr>(h.name))
        value = attr.getValueAsDouble();
      hyper.push_back(HyperparamOp::create(builder, func.getLoc(), builder.getF32Type(),
                                           builder.getStringAttr(h.name),
                                           builder.getF64FloatAttr(value)));
    }
    for (ParamGradOp marker : markers) {
      if (Operation *point = updatePoint(marker.getParam(), marker.getGrad(), marker))
        builder.setInsertionPointAfter(point);
      else
        builder.setInsertionPoint(marker);
      rule.buildUpdate(builder, marker.getLoc(), marker.getParam(), marker.getGrad(), hyper);
      marker.erase();
    }
  }
};

} // namespace
