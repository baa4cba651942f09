//===- KilnOps.cpp - Verifiers and shape inference of kiln ops ------------===//
#include "Kiln/IR/KilnOps.h"
#include "Kiln/IR/SizeLimits.h"

#include "mlir/IR/OpImplementation.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace kiln;

#include "Kiln/IR/KilnInterfaces.cpp.inc"

bool kiln::isKnownInit(llvm::StringRef init) {
  size_t open = init.find('(');
  const vocabulary::InitializerRow *row =
      vocabulary::findByName(vocabulary::Initializers, std::string_view(init.substr(0, open)));
  if (!row)
    return false;
  if (open == llvm::StringRef::npos)
    return row->numNumbers == 0;
  return row->numNumbers > 0 && init.ends_with(")");
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

/// One end of a kiln.hyperparam range: a number, `inf` or `-inf`.
static ParseResult parseBound(OpAsmParser &parser, FloatAttr &bound) {
  bool negative = succeeded(parser.parseOptionalMinus());
  double value = vocabulary::Infinity;
  if (failed(parser.parseOptionalKeyword("inf")) && failed(parser.parseFloat(value)))
    return failure();
  bound = parser.getBuilder().getF64FloatAttr(negative ? -value : value);
  return success();
}

static void printBound(OpAsmPrinter &printer, FloatAttr bound) {
  double value = bound.getValueAsDouble();
  if (std::isinf(value))
    printer << (value < 0 ? "-inf" : "inf");
  else
    printer.printAttributeWithoutType(bound);
}

/// `(low, high]`: `(` and `)` for an open end, `[` and `]` for a closed one.
static ParseResult parseRange(OpAsmParser &parser, FloatAttr &low, FloatAttr &high,
                              UnitAttr &lowOpen, UnitAttr &highOpen) {
  if (succeeded(parser.parseOptionalLParen()))
    lowOpen = parser.getBuilder().getUnitAttr();
  else if (failed(parser.parseLSquare()))
    return failure();
  if (parseBound(parser, low) || parser.parseComma() || parseBound(parser, high))
    return failure();
  if (succeeded(parser.parseOptionalRParen())) {
    highOpen = parser.getBuilder().getUnitAttr();
    return success();
  }
  return parser.parseRSquare();
}

static void printRange(OpAsmPrinter &printer, HyperparamOp, FloatAttr low, FloatAttr high,
                       UnitAttr lowOpen, UnitAttr highOpen) {
  printer << (lowOpen ? "(" : "[");
  printBound(printer, low);
  printer << ", ";
  printBound(printer, high);
  printer << (highOpen ? ")" : "]");
}

vocabulary::NumberRange HyperparamOp::getRange() {
  return {getLow().convertToDouble(), getHigh().convertToDouble(), getLowOpen(), getHighOpen(),
          getInteger()};
}

LogicalResult HyperparamOp::verify() {
  vocabulary::NumberRange range = getRange();
  if (!(range.low < range.high))
    return emitOpError("expects a range with low below high, got ")
           << vocabulary::formatNumber(range.low) << " and "
           << vocabulary::formatNumber(range.high);
  double value = getDefaultValue().convertToDouble();
  if (range.integer && value != std::floor(value))
    return emitOpError("is a whole number but its default is ") << vocabulary::formatNumber(value);
  if (!range.contains(value))
    return emitOpError("has its default ")
           << vocabulary::formatNumber(value) << " outside its range "
           << vocabulary::formatRange(range);
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
  bool ta = adaptor.getTransposeLhs(), tb = adaptor.getTransposeRhs();
  // Leading dimensions: rows of the left side, or (transposed) contracted
  // on both sides alike.
  bool leadingOk = lhs.getRank() >= 2 &&
                   (ta ? rhs.getRank() == lhs.getRank() && (rhs.getRank() == 2 || !tb)
                       : rhs.getRank() == 2);
  for (int64_t d = 0; leadingOk && ta && lhs.getRank() > 2 && d + 1 < lhs.getRank(); ++d)
    leadingOk = dimsAgree(lhs.getDimSize(d), rhs.getDimSize(d));
  if (!leadingOk)
    return emitOptionalError(loc, "kiln.matmul expects [..., K] x [K, M] (or, with "
                                  "transpose_lhs, leading dimensions alike on both sides), got ",
                             lhs, " and ", rhs);
  int64_t last = lhs.getRank() - 1;
  int64_t kl = ta ? (lhs.getRank() == 2 ? lhs.getDimSize(0) : ShapedType::kDynamic)
                  : lhs.getDimSize(last);
  int64_t kr = ta && rhs.getRank() > 2 ? kl : rhs.getDimSize(tb ? 1 : 0);
  int64_t n = rhs.getDimSize(tb ? 0 : rhs.getRank() - 1);
  if (!dimsAgree(kl, kr))
    return emitOptionalError(loc, "kiln.matmul contraction sizes differ: ", lhs, " and ", rhs);
  SmallVector<int64_t> shape;
  if (ta)
    shape.push_back(lhs.getDimSize(last));
  else
    shape.append(lhs.getShape().begin(), lhs.getShape().end() - 1);
  shape.push_back(n);
  inferred.push_back(RankedTensorType::get(shape, lhs.getElementType()));
  return success();
}

LogicalResult BiasAddOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto bias = cast<RankedTensorType>(adaptor.getBias().getType());
  int64_t axis = adaptor.getAxis();
  if (input.getRank() < 2 || bias.getRank() != 1 || axis < 1 || axis >= input.getRank() ||
      !dimsAgree(input.getDimSize(axis), bias.getDimSize(0)))
    return emitOptionalError(loc, "kiln.bias_add expects [N, M, ...] and [M] (M at axis ", axis,
                             "), got ", input, " and ", bias);
  inferred.push_back(input);
  return success();
}

/// Output extent of a window of `kernel` elements `dilation` apart, moved
/// `stride` at a time over `size` elements padded by `before` and `after`;
/// 0 when no window fits, nullopt when the arithmetic overflows.
static std::optional<int64_t> windowCount(int64_t size, int64_t kernel, int64_t stride,
                                          int64_t dilation, int64_t before, int64_t after) {
  if (ShapedType::isDynamic(size))
    return ShapedType::kDynamic;
  std::optional<int64_t> span = llvm::checkedMulAdd<int64_t>(dilation, kernel - 1, 1);
  std::optional<int64_t> padded = llvm::checkedAdd<int64_t>(size, before);
  if (padded)
    padded = llvm::checkedAdd<int64_t>(*padded, after);
  if (!span || !padded)
    return std::nullopt;
  int64_t room = *padded - *span;
  return room < 0 ? 0 : room / stride + 1;
}

/// Checks window attributes and infers an NCHW output [N, channels, OH, OW].
static LogicalResult inferWindowed(std::optional<Location> loc, llvm::StringRef opName,
                                   RankedTensorType input, int64_t channels, int64_t kh,
                                   int64_t kw, int64_t stride, int64_t dilation,
                                   ArrayRef<int64_t> padding, SmallVectorImpl<Type> &inferred) {
  if (input.getRank() != 4)
    return emitOptionalError(loc, opName, " expects an NCHW input of rank 4, got ", input);
  if (stride < 1 || dilation < 1 || kh < 1 || kw < 1)
    return emitOptionalError(loc, opName, " expects positive kernel, stride and dilation");
  if (padding.size() != 4 || llvm::any_of(padding, [](int64_t p) { return p < 0; }))
    return emitOptionalError(loc, opName,
                             " expects padding [top, left, bottom, right], none negative");
  std::optional<int64_t> oh =
      windowCount(input.getDimSize(2), kh, stride, dilation, padding[0], padding[2]);
  std::optional<int64_t> ow =
      windowCount(input.getDimSize(3), kw, stride, dilation, padding[1], padding[3]);
  if (!oh || !ow)
    return emitOptionalError(loc, opName, " window ", kh, "x", kw, " (dilation ", dilation,
                             ") over the padded input ", input, " overflows 64-bit sizes");
  if (*oh == 0 || *ow == 0)
    return emitOptionalError(loc, opName, " window ", kh, "x", kw,
                             " does not fit the padded input ", input);
  inferred.push_back(RankedTensorType::get({input.getDimSize(0), channels, *oh, *ow},
                                           input.getElementType()));
  return success();
}

LogicalResult Conv2DOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto filter = cast<RankedTensorType>(adaptor.getFilter().getType());
  if (filter.getRank() != 4)
    return emitOptionalError(loc, "kiln.conv2d expects an OIHW filter of rank 4, got ", filter);
  if (input.getRank() == 4 && !dimsAgree(input.getDimSize(1), filter.getDimSize(1)))
    return emitOptionalError(loc, "kiln.conv2d input channels differ: ", input, " and ",
                             filter);
  return inferWindowed(loc, "kiln.conv2d", input, filter.getDimSize(0), filter.getDimSize(2),
                       filter.getDimSize(3), adaptor.getStride(), adaptor.getDilation(),
                       adaptor.getPadding(), inferred);
}

LogicalResult Pool2DOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t k = adaptor.getKernel();
  return inferWindowed(loc, "kiln.pool2d", input, input.getRank() == 4 ? input.getDimSize(1) : 0,
                       k, k, adaptor.getStride(), 1, adaptor.getPadding(), inferred);
}

LogicalResult Pool2DOp::verify() {
  if (getKind() != "max" && getKind() != "min" && getKind() != "avg")
    return emitOpError("kind must be max, min or avg, got '") << getKind() << "'";
  return success();
}

LogicalResult LogSoftmaxOp::verify() {
  if (cast<RankedTensorType>(getInput().getType()).getRank() != 2)
    return emitOpError("expects a rank-2 input, got ") << getInput().getType();
  return success();
}

LogicalResult BroadcastOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  int64_t axis = getAxis();
  if (result.getRank() != input.getRank() + 1 || axis < 0 || axis >= result.getRank())
    return emitOpError("cannot insert axis ") << axis << " into " << input << " to get " << result;
  SmallVector<int64_t> kept(result.getShape());
  kept.erase(kept.begin() + axis);
  if (ArrayRef<int64_t>(kept) != input.getShape())
    return emitOpError("result ") << result << " is not " << input << " with axis " << axis
                                  << " inserted";
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  // The elements of one sample; nullopt when dynamic or past 64 bits.
  auto rest = [](RankedTensorType t) -> std::optional<int64_t> {
    if (llvm::any_of(t.getShape().drop_front(), ShapedType::isDynamic))
      return std::nullopt;
    return checkedElementCount(t.getShape().drop_front());
  };
  if (input.getRank() < 1 || result.getRank() < 1 ||
      input.getDimSize(0) != result.getDimSize(0) || !rest(input) || !rest(result) ||
      *rest(input) != *rest(result))
    return emitOpError("cannot reshape ") << input << " to " << result
                                          << " (same leading dimension and element count)";
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc, "kiln.concat expects at least one input");
  auto first = cast<RankedTensorType>(inputs[0].getType());
  int64_t axis = adaptor.getAxis();
  if (axis < 1 || axis >= first.getRank())
    return emitOptionalError(loc, "kiln.concat axis ", axis, " must be a non-batch axis of ",
                             first);
  SmallVector<int64_t> shape(first.getShape());
  for (Value v : inputs.drop_front()) {
    auto type = cast<RankedTensorType>(v.getType());
    bool agree = type.getRank() == first.getRank();
    for (int64_t d = 0; agree && d < type.getRank(); ++d)
      agree = d == axis || dimsAgree(type.getDimSize(d), first.getDimSize(d));
    if (!agree)
      return emitOptionalError(loc, "kiln.concat inputs ", first, " and ", type,
                               " differ outside axis ", axis);
    if (ShapedType::isDynamic(shape[axis]) || type.isDynamicDim(axis)) {
      shape[axis] = ShapedType::kDynamic;
      continue;
    }
    std::optional<int64_t> sum = llvm::checkedAdd<int64_t>(shape[axis], type.getDimSize(axis));
    if (!sum)
      return emitOptionalError(loc, "kiln.concat extents along axis ", axis,
                               " overflow 64-bit sizes");
    shape[axis] = *sum;
  }
  inferred.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult SliceOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  int64_t axis = getAxis(), offset = getOffset();
  if (axis < 1 || axis >= input.getRank() || result.getRank() != input.getRank())
    return emitOpError("cannot take ") << result << " from " << input << " along axis " << axis;
  for (int64_t d = 0; d < input.getRank(); ++d)
    if (d != axis && input.getDimSize(d) != result.getDimSize(d))
      return emitOpError("result ") << result << " differs from " << input
                                    << " outside axis " << axis;
  if (input.isDynamicDim(axis) || result.isDynamicDim(axis))
    return emitOpError("expects a static axis ") << axis << ", got " << input << " -> " << result;
  return success();
}

int64_t kiln::recurrentGates(llvm::StringRef cell) {
  return llvm::StringSwitch<int64_t>(cell).Case("rnn", 1).Case("lstm", 4).Case("gru", 3).Default(0);
}

int64_t kiln::recurrentSavedValues(llvm::StringRef cell) {
  return recurrentGates(cell) + (cell == "lstm" ? 1 : 0);
}

/// The shape of a kiln.recurrent's `saved` result given its hidden states'.
static SmallVector<int64_t> savedShape(llvm::StringRef cell, ArrayRef<int64_t> hidden) {
  return {hidden[0], hidden[1], recurrentSavedValues(cell) * hidden[2]};
}

/// Checks the operands of kiln.recurrent (and of its gradient) and returns the
/// shape of the hidden states, [N, T, H].
static FailureOr<SmallVector<int64_t>>
recurrentStates(std::optional<Location> loc, llvm::StringRef cell, Type inputType,
                Type weightType, Type biasType) {
  int64_t gates = recurrentGates(cell);
  if (gates == 0)
    return emitOptionalError(loc, "cell must be rnn, lstm or gru, got '", cell, "'");
  auto input = cast<RankedTensorType>(inputType);
  auto weight = cast<RankedTensorType>(weightType);
  auto bias = cast<RankedTensorType>(biasType);
  if (weight.getRank() != 2 || !weight.hasStaticShape() ||
      llvm::checkedMul<int64_t>(gates, weight.getDimSize(0)) != weight.getDimSize(1))
    return emitOptionalError(loc, cell, " expects a recurrent weight [H, ", gates, "*H], got ",
                             weight);
  int64_t width = weight.getDimSize(1);
  if (input.getRank() != 3 || input.isDynamicDim(1) || input.getDimSize(2) != width)
    return emitOptionalError(loc, cell, " expects input pre-activations [N, T, ", width,
                             "] with a static T, got ", input);
  if (bias.getRank() != 1 || bias.getDimSize(0) != width)
    return emitOptionalError(loc, cell, " expects a recurrent bias [", width, "], got ", bias);
  return SmallVector<int64_t>{input.getDimSize(0), input.getDimSize(1), weight.getDimSize(0)};
}

LogicalResult RecurrentOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                            Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto states = recurrentStates(loc, adaptor.getCell(), adaptor.getInput().getType(),
                                adaptor.getWeight().getType(), adaptor.getBias().getType());
  if (failed(states))
    return failure();
  inferred.push_back(RankedTensorType::get(*states, Float32Type::get(context)));
  inferred.push_back(
      RankedTensorType::get(savedShape(adaptor.getCell(), *states), Float32Type::get(context)));
  return success();
}

LogicalResult RecurrentGradOp::verify() {
  auto states = recurrentStates(getLoc(), getCell(), getInput().getType(),
                                getWeight().getType(), getBias().getType());
  if (failed(states))
    return failure();
  auto grad = cast<RankedTensorType>(getGrad().getType());
  if (grad.getRank() != 3 || !dimsAgree(grad.getDimSize(0), (*states)[0]) ||
      grad.getShape().drop_front() != ArrayRef<int64_t>(*states).drop_front())
    return emitOpError("gradient ") << grad << " does not match the hidden states ["
                                    << (*states)[1] << " steps, " << (*states)[2] << " units]";
  auto hidden = cast<RankedTensorType>(getHidden().getType());
  if (hidden.getShape() != ArrayRef<int64_t>(*states))
    return emitOpError("hidden states ") << hidden << " are not the forward's "
                                         << RankedTensorType::get(*states, hidden.getElementType());
  auto saved = cast<RankedTensorType>(getSaved().getType());
  SmallVector<int64_t> expected = savedShape(getCell(), *states);
  if (saved.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError("saved values ") << saved << " are not the forward's "
                                        << RankedTensorType::get(expected, saved.getElementType());
  if (getInputGrad().getType() != getInput().getType() ||
      getRecurrentGrad().getType() != getInput().getType())
    return emitOpError("results must have the input's type ") << getInput().getType();
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *context, std::optional<Location> loc,
                                         Adaptor adaptor, SmallVectorImpl<Type> &inferred) {
  auto table = cast<RankedTensorType>(adaptor.getTable().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  if (table.getRank() != 2 || !table.hasStaticShape())
    return emitOptionalError(loc, "kiln.gather expects a static [V, D] table, got ", table);
  if (indices.getRank() < 1)
    return emitOptionalError(loc, "kiln.gather expects indices with a batch dimension, got ",
                             indices);
  SmallVector<int64_t> shape(indices.getShape());
  shape.push_back(table.getDimSize(1));
  inferred.push_back(RankedTensorType::get(shape, table.getElementType()));
  return success();
}

LogicalResult ScatterAddOp::verify() {
  auto grad = cast<RankedTensorType>(getGrad().getType());
  auto indices = cast<RankedTensorType>(getIndices().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (result.getRank() != 2 || !result.hasStaticShape())
    return emitOpError("expects a static [V, D] result, got ") << result;
  if (indices.getRank() < 1)
    return emitOpError("expects indices with a batch dimension, got ") << indices;
  bool agree = grad.getRank() == indices.getRank() + 1 &&
               grad.getDimSize(grad.getRank() - 1) == result.getDimSize(1);
  for (int64_t d = 0; agree && d < indices.getRank(); ++d)
    agree = dimsAgree(grad.getDimSize(d), indices.getDimSize(d));
  if (!agree)
    return emitOpError("gradient ") << grad << " does not match indices " << indices
                                    << " and rows of " << result;
  return success();
}

LogicalResult SoftmaxCrossEntropyOp::inferReturnTypes(MLIRContext *context,
                                                      std::optional<Location> loc,
                                                      Adaptor adaptor,
                                                      SmallVectorImpl<Type> &inferred) {
  auto logits = cast<RankedTensorType>(adaptor.getLogits().getType());
  auto labels = cast<RankedTensorType>(adaptor.getLabels().getType());
  bool agree = logits.getRank() >= 2 && labels.getRank() == logits.getRank() - 1 &&
               dimsAgree(logits.getDimSize(0), labels.getDimSize(0));
  for (int64_t d = 1; agree && d < labels.getRank(); ++d)
    agree = labels.getDimSize(d) == logits.getDimSize(d);
  if (!agree)
    return emitOptionalError(loc,
                             "kiln.softmax_cross_entropy expects logits [N, ..., C] and labels "
                             "[N, ...], got ",
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

LogicalResult AllReduceOp::verify() {
  if (getInputs().empty())
    return emitOpError("expects at least one tensor");
  if (getInputs().getTypes() != getResults().getTypes())
    return emitOpError("expects its results to have the types of its inputs");
  for (Type type : getInputs().getTypes())
    if (!cast<RankedTensorType>(type).hasStaticShape())
      return emitOpError("expects tensors of static shape (gradients of parameters), found ")
             << type;
  if (getBucket() < 0)
    return emitOpError("bucket ") << getBucket() << " must not be negative";
  return success();
}

LogicalResult DeadUnitsOp::verify() {
  auto type = cast<RankedTensorType>(getInput().getType());
  int64_t axis = getUnitAxis();
  if (axis < 1 || axis >= type.getRank())
    return emitOpError("unit_axis ") << axis << " must name a non-batch axis of a rank-"
                                     << type.getRank() << " input";
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

/// Batch normalization's operands: an input [N, C, ...] with C static, and
/// every per-channel value a [C] vector.
static LogicalResult verifyBatchNorm(Operation *op, Type input, ArrayRef<Value> perChannel) {
  auto type = cast<RankedTensorType>(input);
  if (type.getRank() < 2 || ShapedType::isDynamic(type.getDimSize(1)))
    return op->emitOpError("expects an input [N, C, ...] with static channels C, got ") << type;
  auto channels = RankedTensorType::get({type.getDimSize(1)}, type.getElementType());
  for (Value v : perChannel)
    if (v.getType() != channels)
      return op->emitOpError("expects per-channel values of type ")
             << channels << ", got " << v.getType();
  return success();
}

LogicalResult BatchNormTrainOp::verify() {
  if (getResult().getType() != getInput().getType())
    return emitOpError("result must have the input's type ") << getInput().getType();
  return verifyBatchNorm(*this, getInput().getType(),
                         {getGamma(), getBeta(), getMean(), getVariance()});
}

LogicalResult BatchNormGradOp::verify() {
  if (getGrad().getType() != getInput().getType() ||
      getInputGrad().getType() != getInput().getType())
    return emitOpError("gradient and input gradient must have the input's type ")
           << getInput().getType();
  return verifyBatchNorm(*this, getInput().getType(),
                         {getMean(), getVariance(), getGamma(), getGammaGrad(), getBetaGrad()});
}
