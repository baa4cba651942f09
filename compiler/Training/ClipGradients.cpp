//===- ClipGradients.cpp - Gradient clipping by value, norm, global norm --===//
#include "Pipeline/Passes.h"
#include "Training/Optimizers.h"

namespace kiln {
#define GEN_PASS_DEF_CLIPGRADIENTS
#include "Pipeline/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// torch.nn.utils.clip_grad_norm_'s guard against a zero norm.
constexpr double kNormEpsilon = 1e-6;

struct ClipGradientsPass : kiln::impl::ClipGradientsBase<ClipGradientsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The dialect's verifier has checked the kind and the threshold.
    DictionaryAttr config = KilnDialect::ClipAttrHelper(module.getContext()).getAttr(module);
    if (!config)
      return;
    auto kind = config.getAs<StringAttr>("name");
    auto threshold = config.getAs<FloatAttr>("clip");
    for (auto func : module.getOps<func::FuncOp>())
      apply(func, kind.getValue(), threshold.getValueAsDouble());
  }

  /// sum(g * g), a rank-0 tensor.
  static Value sumOfSquares(OpBuilder &b, Location loc, Value g) {
    Value squares = buildElementwise(b, loc, ValueRange{g}, g.getType(), 1,
                                     [](Scalar &s, ArrayRef<Value> a) {
                                       return SmallVector<Value>{s.square(a[0])};
                                     })
                        .getResult(0);
    return SumOp::create(b, loc, RankedTensorType::get({}, b.getF32Type()), squares);
  }

  void apply(func::FuncOp func, StringRef kind, double defaultThreshold) {
    SmallVector<ParamGradOp> markers(func.getOps<ParamGradOp>());
    if (markers.empty())
      return;
    Block &body = func.getBody().front();
    OpBuilder top(&body, body.begin());
    Value clip = buildHyperparam(top, func.getLoc(), "clip", defaultThreshold,
                                 lookupTrainingHyperparam("clip")->range);
    // min(1, c / (norm + eps)) from a sum of squares.
    auto scaleFor = [&](Scalar &s, Value sumSq) {
      Value norm = s.add(s.sqrt(sumSq), s.constant(kNormEpsilon));
      return s.min(s.constant(1.0), s.div(clip, norm));
    };
    auto scaled = [&](OpBuilder &b, Location loc, Value g, Value sumSq) {
      return buildElementwise(b, loc, ValueRange{g, sumSq}, g.getType(), 1,
                              [&](Scalar &s, ArrayRef<Value> a) {
                                return SmallVector<Value>{s.mul(a[0], scaleFor(s, a[1]))};
                              })
          .getResult(0);
    };

    if (kind == "global_norm") {
      // Every gradient first: the scale depends on all of them. The markers
      // move after it, so every update follows the last gradient.
      OpBuilder b(body.getTerminator());
      SmallVector<Value> sums;
      for (ParamGradOp marker : markers)
        sums.push_back(sumOfSquares(b, marker.getLoc(), marker.getGrad()));
      Value total = buildElementwise(b, func.getLoc(), sums,
                                     RankedTensorType::get({}, b.getF32Type()), 1,
                                     [](Scalar &s, ArrayRef<Value> a) {
                                       Value t = a[0];
                                       for (Value v : a.drop_front())
                                         t = s.add(t, v);
                                       return SmallVector<Value>{t};
                                     })
                        .getResult(0);
      for (ParamGradOp marker : markers) {
        marker->moveBefore(body.getTerminator());
        OpBuilder at(marker);
        marker.getGradMutable().assign(scaled(at, marker.getLoc(), marker.getGrad(), total));
      }
      return;
    }
    for (ParamGradOp marker : markers) {
      OpBuilder at(marker);
      Value g = marker.getGrad();
      Value clipped;
      if (kind == "norm") {
        clipped = scaled(at, marker.getLoc(), g, sumOfSquares(at, marker.getLoc(), g));
      } else {
        clipped = buildElementwise(at, marker.getLoc(), ValueRange{g}, g.getType(), 1,
                                   [&](Scalar &s, ArrayRef<Value> a) {
                                     Value low = s.sub(s.constant(0.0), clip);
                                     return SmallVector<Value>{s.min(s.max(a[0], low), clip)};
                                   })
                      .getResult(0);
      }
      marker.getGradMutable().assign(clipped);
    }
  }
};

} // namespace
