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

struct ApplyOptimizerPass : kiln::impl::ApplyOptimizerBase<ApplyOptimizerPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    DictionaryAttr config = KilnDialect::OptimizerAttrHelper(module.getContext()).getAttr(module);
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
    // Runtime values at the top of the function: the optimizer's
    // hyperparameters, decoupled weight decay if asked for, the step number.
    Block &body = func.getBody().front();
    OpBuilder top(&body, body.begin());
    auto hyperparam = [&](const HyperparamRule &h) -> Value {
      double value = h.defaultValue;
      if (auto attr = config.getAs<FloatAttr>(h.name))
        value = attr.getValueAsDouble();
      return buildHyperparam(top, func.getLoc(), h.name, value, h.range);
    };
    SmallVector<Value> hyper;
    Value lr, weightDecay;
    for (const HyperparamRule &h : rule.hyperparams) {
      hyper.push_back(hyperparam(h));
      if (h.name == "lr")
        lr = hyper.back();
      if (h.name == "weight_decay")
        weightDecay = hyper.back();
    }
    if (!weightDecay && config.get("weight_decay"))
      weightDecay = hyperparam(*lookupTrainingHyperparam("weight_decay"));
    Value step = StepOp::create(top, func.getLoc(), top.getF32Type());

    for (ParamGradOp marker : markers) {
      auto param = marker.getParam().getDefiningOp<ParamOp>();
      SmallVector<Value> targets{marker.getParam()};
      for (StringRef suffix : rule.states)
        targets.push_back(StateOp::create(top, param.getLoc(), param.getType(),
                                          top.getStringAttr(param.getName() + "." + suffix),
                                          param.getNameAttr(), top.getF64FloatAttr(0.0)));
      OpBuilder builder(marker);
      buildUpdate(builder, marker.getLoc(), targets, ValueRange{marker.getGrad()},
                  [&](Scalar &s, ArrayRef<Value> args) {
                    UpdateInputs in{args.front(), args.slice(1, rule.states.size()), args.back(),
                                    hyper, step};
                    SmallVector<Value> next = rule.update(s, in);
                    // Decoupled weight decay: p -= lr * d * p (old p).
                    if (weightDecay && lr)
                      next[0] = s.sub(next[0], s.mul(s.mul(lr, weightDecay), in.param));
                    return next;
                  });
      marker.erase();
    }
  }
};

} // namespace
