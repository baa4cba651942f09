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

/// The op after which `param`'s update may run: the later of the op that
/// completes `grad` and the last reader of `param` (other than `marker`).
static Operation *updatePoint(Value param, Value grad, Operation *marker) {
  Operation *point = grad.getDefiningOp();
  if (!point || point->getBlock() != marker->getBlock())
    point = param.getDefiningOp();
  for (Operation *user : param.getUsers())
    if (user != marker && user->getBlock() == point->getBlock() &&
        point->isBeforeInBlock(user))
      point = user;
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
      builder.setInsertionPointAfter(updatePoint(marker.getParam(), marker.getGrad(), marker));
      rule.buildUpdate(builder, marker.getLoc(), marker.getParam(), marker.getGrad(), hyper);
      marker.erase();
    }
  }
};

} // namespace
