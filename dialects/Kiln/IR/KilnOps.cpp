//===- KilnOps.cpp - Verifiers and shape inference of kiln ops ------------===//
#include "Kiln/IR/KilnOps.h"

#include "mlir/IR/OpImplementation.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace kiln;

#include "Kiln/IR/KilnInterfaces.cpp.inc"

bool kiln::isKnownInit(llvm::StringRef init) {
  return llvm::StringSwitch<bool>(init)
      .Cases({"zeros", "he_normal", "he_uniform", "xavier_normal", "xavier_uniform"}, true)
      .Default(false);
}

/// Two dimensions agree when either is dynamic or both are equal.
static bool dimsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

//===----------------------------------------------------------------------===//
// Storage ops
//===----------------------------------------------------------------------===//

LogicalResult InputOp::verify() {
  auto type = cast<RankedTensorType>(getResult().getType());
  if (type.getRank() < 1)
    return emitOpError("expects at least one dimension (the batch)");
  for (int64_t d : type.getShape().drop_front())
    if (ShapedType::isDynamic(d))
      return emitOpError("expects only the leading (batch) dimension to be dynamic");
  return success();
}

LogicalResult ParamOp::verify() {
  if (!getResult().getType().hasStaticShape())
    return emitOpError("expects a static shape, got ") << getResult().getType();
  if (!isKnownInit(getInit()))
    return emitOpError("has unknown initializer '") << getInit() << "'";
  return success();
}

LogicalResult FillOp::verify() {
  if (!getResult().getType().hasStaticShape())
    return emitOpError("expects a static shape, got ") << getResult().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rhs = cast<RankedTensorType>(adaptor.getRhs().getType());
  if (lhs.getRank() != 2 || rhs.getRank() != 2)
    return emitOptionalError(loc, "kiln.matmul expects rank-2 operands, got ", lhs, " and ",
                             rhs);
  bool ta = adaptor.getTransposeLhs(), tb = adaptor.getTransposeRhs();
  int64_t m = lhs.getDimSize(ta ? 1 : 0), kl = lhs.getDimSize(ta ? 0 : 1);
  int64_t kr = rhs.getDimSize(tb ? 1 : 0), n = rhs.getDimSize(tb ? 0 : 1);
  if (!dimsAgree(kl, kr))
    return emitOptionalError(loc, "kiln.matmul contraction sizes differ: ", lhs, " and ", rhs);
  inferred.push_back(RankedTensorType::get({m, n}, lhs.getElementType()));
  return success();
}

LogicalResult BiasAddOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto bias = cast<RankedTensorType>(adaptor.getBias().getType());
  if (input.getRank() != 2 || bias.getRank() != 1 ||
      !dimsAgree(input.getDimSize(1), bias.getDimSize(0)))
    return emitOptionalError(loc, "kiln.bias_add expects [N, M] and [M], got ", input,
                             " and ", bias);
  inferred.push_back(input);
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::inferReturnTypes(MLIRContext *context,
                                                      std::optional<Location> loc,
                                                      Adaptor adaptor,
                                                      SmallVectorImpl<Type> &inferred) {
  auto logits = cast<RankedTensorType>(adaptor.getLogits().getType());
  auto labels = cast<RankedTensorType>(adaptor.getLabels().getType());
  if (logits.getRank() != 2 || labels.getRank() != 1 ||
      !dimsAgree(logits.getDimSize(0), labels.getDimSize(0)))
    return emitOptionalError(loc,
                             "kiln.softmax_cross_entropy expects logits [N, C] and labels [N], "
                             "got ",
                             logits, " and ", labels);
  inferred.push_back(RankedTensorType::get({}, logits.getElementType()));
  return success();
}

LogicalResult ReduceSumOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= input.getRank())
    return emitOptionalError(loc, "kiln.reduce_sum axis ", axis, " is out of range for ",
                             input);
  SmallVector<int64_t> shape(input.getShape());
  shape.erase(shape.begin() + axis);
  inferred.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Training ops
//===----------------------------------------------------------------------===//

/// The parameter operand of an update must be read straight from storage, and
/// no op after the update may read the old value.
static LogicalResult verifyParamWrite(Operation *op, Value param) {
  if (!param.getDefiningOp<ParamOp>())
    return op->emitOpError("expects its first operand to be a kiln.param");
  for (Operation *user : param.getUsers()) {
    if (user == op || user->getBlock() != op->getBlock())
      continue;
    if (op->isBeforeInBlock(user))
      return op->emitOpError("writes the parameter before a later read of it");
  }
  return success();
}

LogicalResult ParamGradOp::verify() {
  if (!getParam().getDefiningOp<ParamOp>())
    return emitOpError("expects its first operand to be a kiln.param");
  return success();
}

LogicalResult SgdUpdateOp::verify() { return verifyParamWrite(*this, getParam()); }

LogicalResult KernelOp::verify() {
  auto yield = dyn_cast<YieldOp>(getBody().front().getTerminator());
  if (!yield)
    return emitOpError("expects its body to end in kiln.yield");
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("result types differ from the kiln.yield operand types");
  return success();
}

#define GET_OP_CLASSES
#include "Kiln/IR/KilnOps.cpp.inc"
