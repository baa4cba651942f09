//===- GradientRules.cpp - One reverse-mode rule per differentiable op ----===//
//
// Every differentiable kiln op states its gradient here, one short function
// each, through GradientOpInterface. The autodiff pass only walks the graph
// backwards and calls these; adding an op means adding its rule here.
//
// Notation: for result y with incoming gradient dy, each rule appends one
// gradient per operand (a null Value where the operand takes none).
//
//===----------------------------------------------------------------------===//
#include "Kiln/IR/KilnOps.h"

using namespace mlir;
using namespace kiln;

// c = op(a) x op(b)  =>  da = dc x op(b)^T, db = op(a)^T x dc, stored back in
// the operands' own layouts by choosing transposes instead of moving data.
LogicalResult MatmulOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  Value dc = resultGrads[0];
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  Location loc = getLoc();
  Value da = ta ? MatmulOp::create(b, loc, getRhs(), dc, /*transpose_lhs=*/tb,
                                   /*transpose_rhs=*/true)
                : MatmulOp::create(b, loc, dc, getRhs(), /*transpose_lhs=*/false,
                                   /*transpose_rhs=*/!tb);
  Value db = tb ? MatmulOp::create(b, loc, dc, getLhs(), /*transpose_lhs=*/true,
                                   /*transpose_rhs=*/ta)
                : MatmulOp::create(b, loc, getLhs(), dc, /*transpose_lhs=*/!ta,
                                   /*transpose_rhs=*/false);
  operandGrads.append({da, db});
  return success();
}

// y = x + bias (broadcast over rows)  =>  dx = dy, dbias = sum over rows of dy.
LogicalResult BiasAddOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  Value dbias = ReduceSumOp::create(b, getLoc(), dy, b.getI64IntegerAttr(0));
  operandGrads.append({dy, dbias});
  return success();
}

// y = max(x, 0)  =>  dx = y > 0 ? dy : 0.
LogicalResult ReluOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  operandGrads.push_back(ReluGradOp::create(b, getLoc(), dy.getType(), dy, getResult()));
  return success();
}

// l = mean xent(softmax(z), labels)  =>  dz = dl * (softmax(z) - onehot) / N;
// integer labels take no gradient.
LogicalResult SoftmaxCrossEntropyOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                                    SmallVectorImpl<Value> &operandGrads) {
  Value dl = resultGrads[0];
  Value dz = SoftmaxCrossEntropyGradOp::create(b, getLoc(), getLogits().getType(), dl,
                                               getLogits(), getLabels());
  operandGrads.append({dz, Value()});
  return success();
}

// y = a + b  =>  da = dy, db = dy.
LogicalResult AddOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.append({resultGrads[0], resultGrads[0]});
  return success();
}
