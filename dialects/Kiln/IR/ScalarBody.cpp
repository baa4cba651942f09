//===- ScalarBody.cpp - Building element-by-element bodies ----------------===//
#include "Kiln/IR/ScalarBody.h"

using namespace mlir;
using namespace kiln;

Value Scalar::constant(double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(static_cast<float>(value)));
}
Value Scalar::add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
Value Scalar::sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
Value Scalar::mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
Value Scalar::div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
Value Scalar::min(Value x, Value y) { return arith::MinimumFOp::create(b, loc, x, y); }
Value Scalar::max(Value x, Value y) { return arith::MaximumFOp::create(b, loc, x, y); }
Value Scalar::sqrt(Value x) { return math::SqrtOp::create(b, loc, x); }
Value Scalar::pow(Value x, Value y) { return math::PowFOp::create(b, loc, x, y); }
Value Scalar::abs(Value x) { return math::AbsFOp::create(b, loc, x); }
Value Scalar::neg(Value x) { return arith::NegFOp::create(b, loc, x); }
Value Scalar::exp(Value x) { return math::ExpOp::create(b, loc, x); }
Value Scalar::log(Value x) { return math::LogOp::create(b, loc, x); }
Value Scalar::tanh(Value x) { return math::TanhOp::create(b, loc, x); }
Value Scalar::erf(Value x) { return math::ErfOp::create(b, loc, x); }
Value Scalar::sigmoid(Value x) {
  Value half = constant(0.5);
  return add(mul(half, tanh(mul(half, x))), half);
}
Value Scalar::select(Value cond, Value x, Value y) {
  return arith::SelectOp::create(b, loc, cond, x, y);
}
Value Scalar::greater(Value x, Value y) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y);
}
Value Scalar::less(Value x, Value y) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, y);
}
Value Scalar::greaterEqual(Value x, Value y) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, x, y);
}
Value Scalar::sign(Value x) {
  // One op per statement: the order of the body is the order written.
  Value zero = constant(0.0);
  Value positive = greater(x, zero);
  Value negative = less(x, zero);
  Value minusOrZero = select(negative, constant(-1.0), zero);
  return select(positive, constant(1.0), minusOrZero);
}

Value kiln::buildHyperparam(OpBuilder &builder, Location loc, StringRef name, double value,
                            const vocabulary::NumberRange &range) {
  auto flag = [&](bool set) { return set ? builder.getUnitAttr() : UnitAttr(); };
  return HyperparamOp::create(builder, loc, builder.getF32Type(), builder.getStringAttr(name),
                              builder.getF64FloatAttr(value), builder.getF64FloatAttr(range.low),
                              builder.getF64FloatAttr(range.high), flag(range.lowOpen),
                              flag(range.highOpen), flag(range.integer));
}

/// Fills the single block of `region` with one f32 argument per entry of
/// `count` and the body that `fn` builds.
static void fillBody(OpBuilder &builder, Location loc, Region &region, size_t numArgs,
                     ScalarBodyFn fn) {
  OpBuilder::InsertionGuard guard(builder);
  SmallVector<Type> types(numArgs, builder.getF32Type());
  SmallVector<Location> locs(numArgs, loc);
  Block *block = builder.createBlock(&region, {}, types, locs);
  Scalar scalar(builder, loc);
  SmallVector<Value> args(block->getArguments().begin(), block->getArguments().end());
  SmallVector<Value> yields = fn(scalar, args);
  YieldOp::create(builder, loc, yields);
}

ElementwiseOp kiln::buildElementwise(OpBuilder &builder, Location loc, ValueRange inputs,
                                     Type resultType, unsigned numResults, ScalarBodyFn fn) {
  SmallVector<Type> results(numResults, resultType);
  auto op = ElementwiseOp::create(builder, loc, results, inputs);
  fillBody(builder, loc, op.getBody(), inputs.size(), fn);
  return op;
}

UpdateOp kiln::buildUpdate(OpBuilder &builder, Location loc, ValueRange targets,
                           ValueRange inputs, ScalarBodyFn fn) {
  auto op = UpdateOp::create(builder, loc, targets, inputs);
  fillBody(builder, loc, op.getBody(), targets.size() + inputs.size(), fn);
  return op;
}
