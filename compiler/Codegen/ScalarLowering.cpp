//===- ScalarLowering.cpp - Elementwise bodies to Halide Exprs ------------===//
//
// The body of a kiln.elementwise or kiln.update (arith and math ops on
// scalars) becomes one Halide Expr per yielded value, by a rule per op
// (lowerScalarOp); operands from outside the body are the kernel's tensors
// at the element's index, or scalars: constants, the batch size, and runtime
// values (Halide Params).
//
//===----------------------------------------------------------------------===//
#include "Codegen/FunctionLowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

/// One op of an elementwise body on scalar Exprs, by a rule per op.
static FailureOr<Halide::Expr> lowerScalarOp(Operation &op, ArrayRef<Halide::Expr> a,
                                             Halide::Type ft) {
  using E = FailureOr<Halide::Expr>;
  return llvm::TypeSwitch<Operation *, E>(&op)
      .Case([&](arith::ConstantOp c) -> E {
        return Halide::cast(ft, Halide::Expr(cast<FloatAttr>(c.getValue()).getValueAsDouble()));
      })
      .Case([&](arith::AddFOp) -> E { return a[0] + a[1]; })
      .Case([&](arith::SubFOp) -> E { return a[0] - a[1]; })
      .Case([&](arith::MulFOp) -> E { return a[0] * a[1]; })
      .Case([&](arith::DivFOp) -> E { return a[0] / a[1]; })
      .Case([&](arith::NegFOp) -> E { return -a[0]; })
      .Case([&](arith::MaximumFOp) -> E { return Halide::max(a[0], a[1]); })
      .Case([&](arith::MinimumFOp) -> E { return Halide::min(a[0], a[1]); })
      .Case([&](arith::SelectOp) -> E { return Halide::select(a[0], a[1], a[2]); })
      .Case([&](arith::CmpFOp cmp) -> E {
        using P = arith::CmpFPredicate;
        switch (cmp.getPredicate()) {
        case P::OGT: case P::UGT: return a[0] > a[1];
        case P::OGE: case P::UGE: return a[0] >= a[1];
        case P::OLT: case P::ULT: return a[0] < a[1];
        case P::OLE: case P::ULE: return a[0] <= a[1];
        case P::OEQ: case P::UEQ: return a[0] == a[1];
        case P::ONE: case P::UNE: return a[0] != a[1];
        default: return cmp.emitError("no Halide lowering for this arith.cmpf predicate");
        }
      })
      .Case([&](math::SqrtOp) -> E { return Halide::sqrt(a[0]); })
      .Case([&](math::PowFOp) -> E { return Halide::pow(a[0], a[1]); })
      .Case([&](math::AbsFOp) -> E { return Halide::abs(a[0]); })
      .Case([&](math::ExpOp) -> E { return Halide::exp(a[0]); })
      .Case([&](math::LogOp) -> E { return Halide::log(a[0]); })
      .Case([&](math::TanhOp) -> E { return Halide::tanh(a[0]); })
      .Case([&](math::ErfOp) -> E {
        // Halide's erf is float32 only; float64 (gradient checks) calls libm.
        if (a[0].type().is_float() && a[0].type().bits() == 64)
          return Halide::Internal::Call::make(a[0].type(), "erf", {a[0]},
                                              Halide::Internal::Call::PureExtern);
        // Halide's float32 erf raises a polynomial in |x| to the power -16,
        // which overflows into NaN for |x| above about 1e7. erf(x) rounds to
        // +-1 in float32 from |x| = 4 on, so clamping at 16 changes nothing
        // else.
        return Halide::erf(Halide::clamp(a[0], -16.0f, 16.0f));
      })
      .Default([&](Operation *other) -> E {
        return other->emitError("no Halide lowering for '") << other->getName()
               << "' in an elementwise body";
      });
}

FailureOr<std::vector<Halide::Expr>>
FunctionLowering::lowerBody(Block &body, ValueRange operands,
                            const std::vector<Halide::Expr> &idx) {
  llvm::DenseMap<Value, Halide::Expr> values;
  for (auto [arg, operand] : llvm::zip(body.getArguments(), operands)) {
    Tensor t = tensorOf(operand);
    values[arg] = t.rank() == 0 ? t.at({}) : t.at(idx);
  }
  auto lookup = [&](Value v) {
    auto it = values.find(v);
    return it != values.end() ? it->second : Halide::cast(ft, scalar(v));
  };
  for (Operation &op : body.without_terminator()) {
    std::vector<Halide::Expr> args;
    for (Value v : op.getOperands())
      args.push_back(lookup(v));
    FailureOr<Halide::Expr> e = lowerScalarOp(op, args, ft);
    if (failed(e))
      return failure();
    values[op.getResult(0)] = *e;
  }
  std::vector<Halide::Expr> results;
  for (Value v : cast<YieldOp>(body.getTerminator()).getValues())
    results.push_back(lookup(v));
  return results;
}

Halide::Expr FunctionLowering::scalar(Value v) {
  auto it = scalars.find(v);
  if (it != scalars.end())
    return it->second;
  if (auto constant = v.getDefiningOp<arith::ConstantOp>()) {
    Halide::Expr value = Halide::cast(
        ft, Halide::Expr(cast<FloatAttr>(constant.getValue()).getValueAsDouble()));
    scalars[v] = value;
    return value;
  }
  if (v.getDefiningOp<BatchOp>())
    return scalars[v] = Halide::cast(ft, batch);
  int slot = slotFor(v);
  call.inputs.push_back(slot);
  Halide::Param<float> param(argumentName(slot));
  param.set_estimate(0.5f);
  arguments.push_back(param);
  kernel.scalars.push_back(param);
  scalars[v] = param;
  return param;
}
