//===- ScalarBody.h - Building element-by-element bodies --------*- C++ -*-===//
//
// Activations, losses, gradient rules and training passes express what they
// do to every element (an activation, its derivative, an optimizer step, a
// regularization term, a clip) as the scalar body of a kiln.elementwise or
// kiln.update op. `Scalar` is the small vocabulary they write it in; the
// builders create the op and its body in one call.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IR_SCALARBODY_H
#define KILN_IR_SCALARBODY_H

#include "Kiln/IR/KilnOps.h"

#include "kiln/Vocabulary.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace kiln {

/// f32 arithmetic at the current insertion point (arith and math ops).
class Scalar {
public:
  Scalar(mlir::OpBuilder &builder, mlir::Location loc) : b(builder), loc(loc) {}

  /// The builder, positioned in the body being written.
  mlir::OpBuilder &builder() { return b; }

  mlir::Value constant(double value);
  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value sub(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);
  mlir::Value div(mlir::Value x, mlir::Value y);
  mlir::Value min(mlir::Value x, mlir::Value y);
  mlir::Value max(mlir::Value x, mlir::Value y);
  mlir::Value sqrt(mlir::Value x);
  mlir::Value pow(mlir::Value x, mlir::Value y);
  mlir::Value abs(mlir::Value x);
  mlir::Value neg(mlir::Value x);
  mlir::Value exp(mlir::Value x);
  mlir::Value log(mlir::Value x);
  mlir::Value tanh(mlir::Value x);
  mlir::Value erf(mlir::Value x);
  /// 1 / (1 + exp(-x)), computed as (1 + tanh(x / 2)) / 2: no overflow for
  /// any x, and a derivative that stays finite.
  mlir::Value sigmoid(mlir::Value x);
  /// cond ? x : y, where cond is an i1 from a comparison.
  mlir::Value select(mlir::Value cond, mlir::Value x, mlir::Value y);
  /// x > y, x < y, x >= y (ordered comparisons, i1).
  mlir::Value greater(mlir::Value x, mlir::Value y);
  mlir::Value less(mlir::Value x, mlir::Value y);
  mlir::Value greaterEqual(mlir::Value x, mlir::Value y);
  /// -1, 0 or +1.
  mlir::Value sign(mlir::Value x);
  /// x * x
  mlir::Value square(mlir::Value x) { return mul(x, x); }
  /// 1 - x
  mlir::Value oneMinus(mlir::Value x) { return sub(constant(1.0), x); }

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
};

/// Yields the new value of each element from the values of the arguments.
using ScalarBodyFn =
    llvm::function_ref<llvm::SmallVector<mlir::Value>(Scalar &, llvm::ArrayRef<mlir::Value>)>;

/// A runtime value `name` (default `value`, valid values `range`), an f32
/// `kiln.hyperparam` at the builder's insertion point (the top of the
/// function, for every kernel to read).
mlir::Value buildHyperparam(mlir::OpBuilder &builder, mlir::Location loc, llvm::StringRef name,
                            double value, const vocabulary::NumberRange &range);

/// `kiln.elementwise (inputs) -> numResults x resultType` with body `fn`.
ElementwiseOp buildElementwise(mlir::OpBuilder &builder, mlir::Location loc,
                               mlir::ValueRange inputs, mlir::Type resultType,
                               unsigned numResults, ScalarBodyFn fn);

/// `kiln.update (targets) from (inputs)` with body `fn`, which receives the
/// targets' old values, then the inputs, and yields the targets' new values.
UpdateOp buildUpdate(mlir::OpBuilder &builder, mlir::Location loc, mlir::ValueRange targets,
                     mlir::ValueRange inputs, ScalarBodyFn fn);

} // namespace kiln

#endif // KILN_IR_SCALARBODY_H
