//===- ScalarDerivatives.cpp - The gradient of a kiln.elementwise ---------===//
//
// An elementwise op's body is scalar arith/math code, so its gradient is the
// body differentiated in reverse mode, one rule per scalar op (the table in
// scalarAdjoints). The gradient is one new kiln.elementwise whose body
// recomputes the forward values it needs and yields the adjoint of every
// input; an input broadcast from rank 0 gets the sum of its adjoints.
//
//===----------------------------------------------------------------------===//
#include "Kiln/IR/KilnOps.h"
#include "Kiln/IR/ScalarBody.h"

#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace kiln;

namespace {

/// Adjoints of `op`'s operands given `g`, the adjoint of its result; a null
/// Value for an operand that takes none (conditions, constants). `op` is in
/// the gradient body, so its operands and result are usable there.
FailureOr<SmallVector<Value, 2>> scalarAdjoints(Operation &op, Value g, Scalar &s) {
  using R = FailureOr<SmallVector<Value, 2>>;
  auto x = [&](unsigned i) { return op.getOperand(i); };
  Value y = op.getNumResults() ? op.getResult(0) : Value();
  // Only the rules that route a gradient by a condition need a zero.
  auto zero = [&] { return s.constant(0.0); };
  return llvm::TypeSwitch<Operation *, R>(&op)
      .Case([&](arith::AddFOp) -> R { return SmallVector<Value, 2>{g, g}; })
      .Case([&](arith::SubFOp) -> R { return SmallVector<Value, 2>{g, s.neg(g)}; })
      .Case([&](arith::MulFOp) -> R {
        return SmallVector<Value, 2>{s.mul(g, x(1)), s.mul(g, x(0))};
      })
      .Case([&](arith::DivFOp) -> R {
        Value da = s.div(g, x(1));
        return SmallVector<Value, 2>{da, s.neg(s.mul(da, y))};
      })
      .Case([&](arith::NegFOp) -> R { return SmallVector<Value, 2>{s.neg(g)}; })
      // The larger operand takes the gradient; on a tie the second does
      // (so that max(x, 0) has gradient 0 at 0, like PyTorch's relu).
      .Case([&](arith::MaximumFOp) -> R {
        Value first = s.greater(x(0), x(1)), z = zero();
        return SmallVector<Value, 2>{s.select(first, g, z), s.select(first, z, g)};
      })
      .Case([&](arith::MinimumFOp) -> R {
        Value first = s.less(x(0), x(1)), z = zero();
        return SmallVector<Value, 2>{s.select(first, g, z), s.select(first, z, g)};
      })
      .Case([&](arith::SelectOp) -> R {
        Value z = zero();
        return SmallVector<Value, 2>{Value(), s.select(x(0), g, z), s.select(x(0), z, g)};
      })
      .Case([&](arith::CmpFOp) -> R { return SmallVector<Value, 2>{Value(), Value()}; })
      .Case([&](arith::ConstantOp) -> R { return SmallVector<Value, 2>{}; })
      .Case([&](math::ExpOp) -> R { return SmallVector<Value, 2>{s.mul(g, y)}; })
      .Case([&](math::LogOp) -> R { return SmallVector<Value, 2>{s.div(g, x(0))}; })
      .Case([&](math::TanhOp) -> R {
        return SmallVector<Value, 2>{s.mul(g, s.oneMinus(s.square(y)))};
      })
      .Case([&](math::SqrtOp) -> R {
        return SmallVector<Value, 2>{s.div(g, s.mul(s.constant(2.0), y))};
      })
      .Case([&](math::PowFOp) -> R {
        Value da = s.mul(s.mul(g, x(1)), s.pow(x(0), s.sub(x(1), s.constant(1.0))));
        Value db = s.mul(s.mul(g, y), s.log(x(0)));
        return SmallVector<Value, 2>{da, db};
      })
      .Case([&](math::AbsFOp) -> R { return SmallVector<Value, 2>{s.mul(g, s.sign(x(0)))}; })
      .Case([&](math::ErfOp) -> R {
        Value scale = s.constant(2.0 / std::sqrt(M_PI));
        return SmallVector<Value, 2>{
            s.mul(s.mul(g, scale), s.exp(s.neg(s.square(x(0)))))};
      })
      .Default([&](Operation *other) -> R {
        return other->emitOpError("has no derivative rule in an elementwise body");
      });
}

} // namespace

// y_k = f_k(x_1, ..., x_n) element by element  =>
// dx_i = sum_k dy_k * df_k/dx_i, by reverse mode over the body.
LogicalResult ElementwiseOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                            SmallVectorImpl<Value> &operandGrads) {
  Location loc = getLoc();
  Type resultType = getResult(0).getType();
  SmallVector<Value> seeds;
  for (Value g : resultGrads)
    if (g)
      seeds.push_back(g);
  SmallVector<Value> inputs(seeds);
  inputs.append(getInputs().begin(), getInputs().end());

  Block &forward = getBody().front();
  LogicalResult status = success();
  ElementwiseOp gradient = buildElementwise(
      b, loc, inputs, resultType, getInputs().size(),
      [&](Scalar &s, ArrayRef<Value> args) -> SmallVector<Value> {
        // Recompute the forward body on the new arguments, noting which
        // values depend on an input (only those need adjoints).
        IRMapping map;
        llvm::DenseSet<Value> active;
        ArrayRef<Value> xs = args.drop_front(seeds.size());
        for (auto [arg, x] : llvm::zip(forward.getArguments(), xs)) {
          map.map(arg, x);
          active.insert(x);
        }
        OpBuilder &inner = s.builder();
        SmallVector<Operation *> ops;
        for (Operation &op : forward.without_terminator()) {
          Operation *copy = inner.clone(op, map);
          ops.push_back(copy);
          if (llvm::any_of(copy->getOperands(), [&](Value v) { return active.contains(v); }))
            active.insert(copy->getResult(0));
        }
        // Seed with the result gradients and walk the body backwards.
        llvm::DenseMap<Value, Value> adjoint;
        auto accumulate = [&](Value v, Value g) {
          if (!active.contains(v))
            return;
          Value &slot = adjoint[v];
          slot = slot ? s.add(slot, g) : g;
        };
        auto yields = cast<YieldOp>(forward.getTerminator()).getValues();
        unsigned seed = 0;
        for (auto [value, g] : llvm::zip(yields, resultGrads))
          if (g)
            accumulate(map.lookupOrDefault(value), args[seed++]);
        for (Operation *op : llvm::reverse(ops)) {
          Value g = op->getNumResults() ? adjoint.lookup(op->getResult(0)) : Value();
          if (!g)
            continue;
          FailureOr<SmallVector<Value, 2>> grads = scalarAdjoints(*op, g, s);
          if (failed(grads)) {
            status = failure();
            break;
          }
          for (auto [operand, operandGrad] : llvm::zip(op->getOperands(), *grads))
            if (operandGrad)
              accumulate(operand, operandGrad);
        }
        SmallVector<Value> results;
        for (Value x : xs) {
          Value g = adjoint.lookup(x);
          results.push_back(g ? g : s.constant(0.0));
        }
        return results;
      });
  if (failed(status))
    return failure();
  // Inputs broadcast from rank 0 sum their adjoints over every element.
  for (auto [input, g] : llvm::zip(getInputs(), gradient.getResults())) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getRank() == 0 && type != resultType)
      operandGrads.push_back(SumOp::create(b, loc, type, g));
    else
      operandGrads.push_back(g);
  }
  return success();
}
