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
#include "Kiln/IR/ScalarBody.h"

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

// y = x + bias along `axis`  =>  dx = dy, dbias = dy summed over every
// other dimension (the last ones first, the batch last).
LogicalResult BiasAddOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  Value dbias = dy;
  for (int64_t axis = cast<RankedTensorType>(dy.getType()).getRank() - 1; axis >= 0; --axis)
    if (axis != static_cast<int64_t>(getAxis()))
      dbias = ReduceSumOp::create(b, getLoc(), dbias, b.getI64IntegerAttr(axis));
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

// y = reduce_sum(x, axis)  =>  dx = dy repeated along axis.
LogicalResult ReduceSumOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                          SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(BroadcastOp::create(b, getLoc(), getInput().getType(), resultGrads[0],
                                             getAxisAttr()));
  return success();
}

// y = broadcast(x, axis)  =>  dx = dy summed over axis.
LogicalResult BroadcastOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                          SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(ReduceSumOp::create(b, getLoc(), resultGrads[0], getAxisAttr()));
  return success();
}

// s = sum of all x  =>  dx = ds everywhere.
LogicalResult SumOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(buildElementwise(b, getLoc(), resultGrads[0], getInput().getType(), 1,
                                          [](Scalar &, ArrayRef<Value> a) {
                                            return SmallVector<Value>{a[0]};
                                          })
                             .getResult(0));
  return success();
}

// y = reshape(x)  =>  dx = reshape(dy) back to x's shape.
LogicalResult ReshapeOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(
      ReshapeOp::create(b, getLoc(), getInput().getType(), resultGrads[0]));
  return success();
}

// y = log_softmax(x) over rows  =>  dx = dy - exp(y) * (row sum of dy).
LogicalResult LogSoftmaxOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                           SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  Location loc = getLoc();
  IntegerAttr rows = b.getI64IntegerAttr(1);
  Value rowSum = ReduceSumOp::create(b, loc, dy, rows);
  Value spread = BroadcastOp::create(b, loc, dy.getType(), rowSum, rows);
  Value dx = buildElementwise(b, loc, {dy, getResult(), spread}, dy.getType(), 1,
                              [](Scalar &s, ArrayRef<Value> a) {
                                return SmallVector<Value>{s.sub(a[0], s.mul(s.exp(a[1]), a[2]))};
                              })
                 .getResult(0);
  operandGrads.push_back(dx);
  return success();
}

// y = conv2d(x, w)  =>  dx = the transposed convolution of dy with w,
// dw = the correlation of dy with x; both take the convolution's attributes.
LogicalResult Conv2DOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  Value dx = Conv2DGradInputOp::create(b, getLoc(), getInput().getType(), dy, getFilter(),
                                       getStrideAttr(), getDilationAttr(), getPaddingAttr());
  Value dw = Conv2DGradFilterOp::create(b, getLoc(), getFilter().getType(), dy, getInput(),
                                        getStrideAttr(), getDilationAttr(), getPaddingAttr());
  operandGrads.append({dx, dw});
  return success();
}

// y = pool(x)  =>  dx: dy routed to each window's winner (max, min) or spread
// over the window (avg).
LogicalResult Pool2DOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(Pool2DGradOp::create(b, getLoc(), getInput().getType(), resultGrads[0],
                                              getInput(), getKindAttr(), getKernelAttr(),
                                              getStrideAttr(), getPaddingAttr()));
  return success();
}

// y = sum_q s_q x_q over processes  =>  in each process's gradient (which
// the gradients' sum weights by s_r): dx = sum_q s_q dy_q, the same op.
LogicalResult ProcessMeanOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                            SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(ProcessMeanOp::create(b, getLoc(), resultGrads[0]));
  return success();
}

// y = mask * x / (1 - rate)  =>  dx = the same mask applied to dy (same seed
// and step); the rate and the step take no gradient.
LogicalResult DropoutOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  Value dx = DropoutOp::create(b, getLoc(), resultGrads[0].getType(), resultGrads[0], getRate(),
                               getStep(), getOffset(), getSeedAttr());
  operandGrads.append({dx, Value(), Value()});
  if (getOffset())
    operandGrads.push_back(Value());
  return success();
}

// y = concat(a, b, ... along axis)  =>  each input's gradient is its own
// range of dy along the axis.
LogicalResult ConcatOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  int64_t offset = 0;
  for (Value input : getInputs()) {
    operandGrads.push_back(SliceOp::create(b, getLoc(), input.getType(), resultGrads[0],
                                           getAxisAttr(), b.getI64IntegerAttr(offset)));
    offset += cast<RankedTensorType>(input.getType()).getDimSize(getAxis());
  }
  return success();
}

// y[p] = table[indices[p]]  =>  dtable = dy's rows summed at their indices;
// the indices take no gradient.
LogicalResult GatherOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(ScatterAddOp::create(b, getLoc(), getTable().getType(), resultGrads[0],
                                              getIndices()));
  operandGrads.push_back(Value());
  return success();
}

// y = input[offset + i] along axis (zero outside)  =>  dx = dy[i - offset]
// along the axis, zero outside: the slice of dy at -offset.
LogicalResult SliceOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                      SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(SliceOp::create(b, getLoc(), getInput().getType(), resultGrads[0],
                                         getAxisAttr(), b.getI64IntegerAttr(-getOffset())));
  return success();
}

// hs, saved = recurrent(x, U, bias), a_t = h_{t-1} U + bias  =>
// backpropagation through time (reading hs and saved) gives dx and da (equal
// but for gru); then dU = sum over samples and steps of h_{t-1}^T da_t
// (h_{t-1}: hs shifted one step later, zero at the first) and dbias = da
// summed over samples and steps. `saved` takes no gradient.
LogicalResult RecurrentOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                          SmallVectorImpl<Value> &operandGrads) {
  if (resultGrads[1])
    return emitOpError("the saved values of kiln.recurrent take no gradient");
  if (!resultGrads[0]) {
    operandGrads.append({Value(), Value(), Value()});
    return success();
  }
  Location loc = getLoc();
  Type gatesType = getInput().getType();
  auto bptt = RecurrentGradOp::create(b, loc, gatesType, gatesType, getCellAttr(), resultGrads[0],
                                      getInput(), getWeight(), getBias(), getResult(), getSaved());
  Value dx = bptt.getInputGrad();
  Value da = getCell() == "gru" ? bptt.getRecurrentGrad() : dx;
  IntegerAttr steps = b.getI64IntegerAttr(1);
  Value previous =
      SliceOp::create(b, loc, getResult().getType(), getResult(), steps, b.getI64IntegerAttr(-1));
  Value dweight = MatmulOp::create(b, loc, previous, da, /*transpose_lhs=*/true,
                                   /*transpose_rhs=*/false);
  Value perStep = ReduceSumOp::create(b, loc, da, b.getI64IntegerAttr(0));
  Value dbias = ReduceSumOp::create(b, loc, perStep, b.getI64IntegerAttr(0));
  operandGrads.append({dx, dweight, dbias});
  return success();
}

// y = batch_norm_train(x, gamma, beta)  =>  dx, dgamma, dbeta from one
// kiln.batch_norm_grad (which reads the batch's mean and variance); the
// statistics' own results carry no gradient (they only move the running
// statistics).
LogicalResult BatchNormTrainOp::buildGradients(OpBuilder &b, ArrayRef<Value> resultGrads,
                                               SmallVectorImpl<Value> &operandGrads) {
  if (resultGrads[1] || resultGrads[2])
    return emitOpError("the batch statistics of kiln.batch_norm_train take no gradient");
  if (!resultGrads[0]) {
    operandGrads.append({Value(), Value(), Value()});
    return success();
  }
  auto grads = BatchNormGradOp::create(b, getLoc(), getInput().getType(), getGamma().getType(),
                                       getGamma().getType(), resultGrads[0], getInput(), getMean(),
                                       getVariance(), getGamma(), getEpsAttr());
  operandGrads.append({grads.getInputGrad(), grads.getGammaGrad(), grads.getBetaGrad()});
  return success();
}
