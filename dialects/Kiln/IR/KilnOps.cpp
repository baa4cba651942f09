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

/// Whether `read` runs after `write`: both are lifted to the innermost block
/// that holds an ancestor of each (so that a read in a later kernel, or after
/// the kernel that holds the write, counts) and compared there.
static bool runsAfter(Operation *write, Operation *read) {
  for (Operation *r = read; r; r = r->getParentOp()) {
    if (Operation *w = r->getBlock() ? r->getBlock()->findAncestorOpInBlock(*write) : nullptr)
      return w != r && w->isBeforeInBlock(r);
  }
  return false;
}

/// A written target must be read straight from storage (a parameter or
/// optimizer state), and no op after the write may read the old value.
static LogicalResult verifyStorageWrite(Operation *op, Value target) {
  if (!target.getDefiningOp<ParamOp>() && !target.getDefiningOp<StateOp>())
    return op->emitOpError("writes a value that is not a kiln.param or kiln.state");
  for (Operation *user : target.getUsers())
    if (user != op && runsAfter(op, user))
      return op->emitOpError("writes the parameter before a later read of it");
  return success();
}

/// The scalar body of an elementwise or update op: one f32 argument per
/// operand, one f32 yielded per written value, arith and math ops only.
static LogicalResult verifyScalarBody(Operation *op, Region &body, size_t numArgs,
                                      size_t numYields) {
  Block &block = body.front();
  if (block.getNumArguments() != numArgs)
    return op->emitOpError("body has ") << block.getNumArguments()
                                        << " arguments, expected " << numArgs;
  for (BlockArgument arg : block.getArguments())
    if (!arg.getType().isF32())
      return op->emitOpError("body arguments must be f32");
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return op->emitOpError("body must end in kiln.yield");
  if (yield.getValues().size() != numYields)
    return op->emitOpError("body yields ") << yield.getValues().size()
                                           << " values, expected " << numYields;
  for (Value v : yield.getValues())
    if (!v.getType().isF32())
      return op->emitOpError("body must yield f32 values");
  for (Operation &inner : block.without_terminator()) {
    llvm::StringRef dialect = inner.getName().getDialectNamespace();
    if (dialect != "arith" && dialect != "math")
      return inner.emitOpError("is not allowed in an elementwise body (arith and math only)");
  }
  return success();
}

/// Each operand has `shape`, or is rank 0 (broadcast).
static LogicalResult verifyBroadcastOperands(Operation *op, ValueRange operands,
                                             RankedTensorType shape) {
  for (Value v : operands) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() != 0 && type != shape)
      return op->emitOpError("operand of type ")
             << type << " is neither rank 0 nor of the result type " << shape;
  }
  return success();
}

LogicalResult ParamGradOp::verify() {
  if (!getParam().getDefiningOp<ParamOp>())
    return emitOpError("expects its first operand to be a kiln.param");
  return success();
}

LogicalResult ElementwiseOp::verify() {
  if (getResults().empty())
    return emitOpError("expects at least one result");
  auto type = cast<RankedTensorType>(getResult(0).getType());
  for (Value r : getResults())
    if (r.getType() != type)
      return emitOpError("expects all results to have one type");
  if (failed(verifyBroadcastOperands(*this, getInputs(), type)))
    return failure();
  return verifyScalarBody(*this, getBody(), getInputs().size(), getResults().size());
}

LogicalResult UpdateOp::verify() {
  if (getTargets().empty())
    return emitOpError("expects at least one target");
  auto type = cast<RankedTensorType>(getTargets()[0].getType());
  for (Value t : getTargets()) {
    if (t.getType() != type)
      return emitOpError("expects all targets to have one type");
    if (failed(verifyStorageWrite(*this, t)))
      return failure();
  }
  if (failed(verifyBroadcastOperands(*this, getInputs(), type)))
    return failure();
  return verifyScalarBody(*this, getBody(), getTargets().size() + getInputs().size(),
                          getTargets().size());
}

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
