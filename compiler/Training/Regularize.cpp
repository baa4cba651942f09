//===- Regularize.cpp - L1 and L2 penalties on every parameter ------------===//
#include "Pipeline/Passes.h"
#include "Training/Optimizers.h"

namespace kiln {
#define GEN_PASS_DEF_REGULARIZE
#include "Pipeline/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct RegularizePass : kiln::impl::RegularizeBase<RegularizePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    DictionaryAttr config = KilnDialect::RegularizerAttrHelper(module.getContext()).getAttr(module);
    if (!config)
      return;
    for (auto func : module.getOps<func::FuncOp>())
      if (failed(apply(func, config)))
        return signalPassFailure();
  }

  LogicalResult apply(func::FuncOp func, DictionaryAttr config) {
    SmallVector<ParamGradOp> markers(func.getOps<ParamGradOp>());
    if (markers.empty())
      return success();
    // The penalty joins the loss: the train step's first result, a scalar.
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    auto scalarType = RankedTensorType::get({}, Float32Type::get(func.getContext()));
    if (ret.getNumOperands() == 0 || ret.getOperand(0).getType() != scalarType)
      return func.emitError("kiln-regularize expects a function with gradient markers to "
                            "return the loss, a tensor<f32>, first");
    Block &body = func.getBody().front();
    OpBuilder top(&body, body.begin());
    auto strength = [&](StringRef name) -> Value {
      auto attr = config.getAs<FloatAttr>(name);
      if (!attr)
        return {};
      return buildHyperparam(top, func.getLoc(), name, attr.getValueAsDouble(),
                             lookupTrainingHyperparam(name)->range);
    };
    Value l1 = strength("l1"), l2 = strength("l2");
    if (!l1 && !l2)
      return success();

    // d/dp of the penalty: l2 * p + l1 * sign(p).
    auto penaltyGrad = [&](Scalar &s, Value p) {
      Value d;
      if (l2)
        d = s.mul(l2, p);
      if (l1) {
        Value t = s.mul(l1, s.sign(p));
        d = d ? s.add(d, t) : t;
      }
      return d;
    };
    // The penalty of one element: l2 / 2 * p^2 + l1 * |p|.
    auto penalty = [&](Scalar &s, Value p) {
      Value v;
      if (l2)
        v = s.mul(s.mul(s.constant(0.5), l2), s.square(p));
      if (l1) {
        Value t = s.mul(l1, s.abs(p));
        v = v ? s.add(v, t) : t;
      }
      return v;
    };

    // The penalties are computed before the first marker, where every
    // parameter still holds its old value whatever the later passes do.
    OpBuilder builder(markers.front());
    Location loc = func.getLoc();
    SmallVector<Value> terms;
    terms.push_back(ret.getOperand(0));
    for (ParamGradOp marker : markers) {
      Value p = marker.getParam();
      Value elements = buildElementwise(builder, marker.getLoc(), ValueRange{p}, p.getType(), 1,
                                        [&](Scalar &s, ArrayRef<Value> a) {
                                          return SmallVector<Value>{penalty(s, a[0])};
                                        })
                           .getResult(0);
      terms.push_back(SumOp::create(builder, marker.getLoc(), scalarType, elements));
    }
    Value loss = buildElementwise(builder, loc, terms, scalarType, 1,
                                  [&](Scalar &s, ArrayRef<Value> a) {
                                    Value total = a[0];
                                    for (Value t : a.drop_front())
                                      total = s.add(total, t);
                                    return SmallVector<Value>{total};
                                  })
                     .getResult(0);
    ret.setOperand(0, loss);

    for (ParamGradOp marker : markers) {
      OpBuilder at(marker);
      Value g = buildElementwise(at, marker.getLoc(), ValueRange{marker.getGrad(), marker.getParam()},
                                 marker.getGrad().getType(), 1,
                                 [&](Scalar &s, ArrayRef<Value> a) {
                                   return SmallVector<Value>{s.add(a[0], penaltyGrad(s, a[1]))};
                                 })
                    .getResult(0);
      marker.getGradMutable().assign(g);
    }
    return success();
  }
};

} // namespace
