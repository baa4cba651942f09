//===- Layers.cpp - Layers and activations of the model language ----------===//
//
// The call table of layers and activations: each entry names a call, its
// arguments, and the builder that checks shapes (with a diagnostic at the
// call naming the shapes involved) and emits kiln ops. Pointwise activations
// are one table of scalar bodies (kActivations) built as kiln.elementwise;
// their gradients come from differentiating the body.
//
//===----------------------------------------------------------------------===//
#include "Import/Importer.h"

#include "Kiln/IR/ScalarBody.h"
#include "Kiln/IR/SizeLimits.h"
#include "kiln/Vocabulary.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::importer;

namespace {

const ArgSpec kDenseArgs[] = {{"input", ArgKind::Tensor, true},
                              {"units", ArgKind::PositiveInt, true},
                              {"bias", ArgKind::Bool, false},
                              {"init", ArgKind::Init, false},
                              {"trainable", ArgKind::Bool, false}};
const ArgSpec kConvArgs[] = {{"input", ArgKind::Tensor, true},
                             {"filters", ArgKind::PositiveInt, true},
                             {"kernel", ArgKind::PositiveInt, true},
                             {"stride", ArgKind::PositiveInt, false},
                             {"padding", ArgKind::Padding, false},
                             {"dilation", ArgKind::PositiveInt, false},
                             {"bias", ArgKind::Bool, false},
                             {"init", ArgKind::Init, false},
                             {"trainable", ArgKind::Bool, false}};
const ArgSpec kPoolArgs[] = {{"input", ArgKind::Tensor, true},
                             {"kernel", ArgKind::PositiveInt, true},
                             {"stride", ArgKind::PositiveInt, false},
                             {"padding", ArgKind::NonNegativeInt, false}};
const ArgSpec kReshapeArgs[] = {{"input", ArgKind::Tensor, true},
                                {"d1", ArgKind::PositiveInt, true},
                                {"d2", ArgKind::PositiveInt, false},
                                {"d3", ArgKind::PositiveInt, false},
                                {"d4", ArgKind::PositiveInt, false}};
const ArgSpec kDropoutArgs[] = {{"input", ArgKind::Tensor, true},
                                {"rate", ArgKind::Number, false},
                                {"seed", ArgKind::NonNegativeInt, false}};
const ArgSpec kBatchNormArgs[] = {{"input", ArgKind::Tensor, true},
                                  {"momentum", ArgKind::Number, false},
                                  {"eps", ArgKind::Number, false}};
const ArgSpec kEmbeddingArgs[] = {{"indices", ArgKind::Tensor, true},
                                  {"vocab", ArgKind::PositiveInt, true},
                                  {"dim", ArgKind::PositiveInt, true},
                                  {"init", ArgKind::Init, false},
                                  {"trainable", ArgKind::Bool, false}};
const ArgSpec kConcatArgs[] = {{"inputs", ArgKind::Tensor, true, /*variadic=*/true},
                               {"axis", ArgKind::PositiveInt, false}};
const ArgSpec kRecurrentArgs[] = {{"input", ArgKind::Tensor, true},
                                  {"units", ArgKind::PositiveInt, true},
                                  {"return_sequences", ArgKind::Bool, false},
                                  {"init", ArgKind::Init, false},
                                  {"trainable", ArgKind::Bool, false}};
const ArgSpec kBinaryArgs[] = {{"lhs", ArgKind::Tensor, true}, {"rhs", ArgKind::Tensor, true}};
const ArgSpec kUnaryArgs[] = {{"input", ArgKind::Tensor, true}};
const ArgSpec kAlphaArgs[] = {{"input", ArgKind::Tensor, true},
                              {"alpha", ArgKind::Number, false}};
const ArgSpec kPReluArgs[] = {{"input", ArgKind::Tensor, true},
                              {"init", ArgKind::Init, false}};

const CallRule kLayerRules[] = {
    {"dense", kDenseArgs, &Importer::buildDense},
    {"conv2d", kConvArgs, &Importer::buildConv2D},
    {"max_pool2d", kPoolArgs, &Importer::buildPool2D},
    {"min_pool2d", kPoolArgs, &Importer::buildPool2D},
    {"avg_pool2d", kPoolArgs, &Importer::buildPool2D},
    {"global_avg_pool2d", kUnaryArgs, &Importer::buildGlobalAvgPool2D},
    {"flatten", kUnaryArgs, &Importer::buildFlatten},
    {"reshape", kReshapeArgs, &Importer::buildReshape},
    {"dropout", kDropoutArgs, &Importer::buildDropout},
    {"batch_norm", kBatchNormArgs, &Importer::buildBatchNorm},
    {"embedding", kEmbeddingArgs, &Importer::buildEmbedding},
    {"concat", kConcatArgs, &Importer::buildConcat},
    {"rnn", kRecurrentArgs, &Importer::buildRecurrent},
    {"lstm", kRecurrentArgs, &Importer::buildRecurrent},
    {"gru", kRecurrentArgs, &Importer::buildRecurrent},
    {"add", kBinaryArgs, &Importer::buildAdd},
    {"relu", kUnaryArgs, &Importer::buildRelu},
    {"linear", kUnaryArgs, &Importer::buildActivation},
    {"sigmoid", kUnaryArgs, &Importer::buildActivation},
    {"tanh", kUnaryArgs, &Importer::buildActivation},
    {"leaky_relu", kAlphaArgs, &Importer::buildActivation},
    {"elu", kAlphaArgs, &Importer::buildActivation},
    {"gelu", kUnaryArgs, &Importer::buildActivation},
    {"swish", kUnaryArgs, &Importer::buildActivation},
    {"prelu", kPReluArgs, &Importer::buildPRelu},
    {"softmax", kUnaryArgs, &Importer::buildSoftmax},
    {"log_softmax", kUnaryArgs, &Importer::buildLogSoftmax},
};

/// A pointwise activation: its scalar body, and its `alpha` default (NaN
/// when it takes none).
struct ActivationRule {
  llvm::StringRef name;
  double alpha;
  Value (*body)(Scalar &s, Value x, double alpha);
};

const ActivationRule kActivations[] = {
    {"linear", NAN, [](Scalar &, Value x, double) { return x; }},
    {"sigmoid", NAN, [](Scalar &s, Value x, double) { return s.sigmoid(x); }},
    {"tanh", NAN, [](Scalar &s, Value x, double) { return s.tanh(x); }},
    // x > 0 ? x : alpha x
    {"leaky_relu", 0.01,
     [](Scalar &s, Value x, double alpha) {
       return s.select(s.greater(x, s.constant(0.0)), x, s.mul(s.constant(alpha), x));
     }},
    // x > 0 ? x : alpha (exp(x) - 1). The branch not taken is computed too:
    // exp(min(0, x)) keeps it finite for large x, where exp(x) would be inf
    // and its derivative inf * 0 = NaN. (min passes the gradient to its
    // second operand on a tie, so x = 0 keeps the slope alpha.)
    {"elu", 1.0,
     [](Scalar &s, Value x, double alpha) {
       Value expNegative = s.exp(s.min(s.constant(0.0), x));
       Value negative = s.mul(s.constant(alpha), s.sub(expNegative, s.constant(1.0)));
       return s.select(s.greater(x, s.constant(0.0)), x, negative);
     }},
    // x Phi(x) = x (1 + erf(x / sqrt 2)) / 2, the exact form (PyTorch's default)
    {"gelu", NAN,
     [](Scalar &s, Value x, double) {
       Value phi = s.add(s.constant(1.0), s.erf(s.mul(x, s.constant(M_SQRT1_2))));
       return s.mul(s.mul(s.constant(0.5), x), phi);
     }},
    // x sigmoid(x) (PyTorch's SiLU)
    {"swish", NAN, [](Scalar &s, Value x, double) { return s.mul(x, s.sigmoid(x)); }},
};

} // namespace

llvm::ArrayRef<CallRule> kiln::importer::layerRules() { return kLayerRules; }

FailureOr<Value> Importer::buildDense(BoundArgs &args) {
  Value input = args.tensors[0];
  auto type = expectF32(args, 0, 0, "dense", "an f32 input such as f32[" + batchName + ", 784]");
  if (failed(type))
    return failure();
  std::string expects = "dense expects samples of features, [" + batchName + ", features] or [" +
                        batchName + ", steps, features], got " + describe(input);
  if (type->getRank() < 2)
    return error(args.exprs[0]->loc, expects);
  // An image or any other sample of rank 2 or more would be multiplied along
  // its last axis only; the loss would then meet a tensor it cannot take.
  if (type->getRank() > 3)
    return error(args.exprs[0]->loc, expects + "; flatten it first: dense(flatten(" +
                                         expressionText(*args.exprs[0]) + "), " +
                                         args.exprs[1]->spelling + ")");
  int64_t last = type->getRank() - 1;
  int64_t units = intArg(args, 1, 0);
  bool trainable = boolArg(args, 4, true);
  std::string layer = layerName("dense");
  ast::SourceLoc l = args.call->loc;
  Value weight = newParam(layer + ".weight", {type->getDimSize(last), units},
                          initArg(args, 3, "he_normal"), l, trainable);
  Value result = MatmulOp::create(builder, loc(l), input, weight);
  if (boolArg(args, 2, true))
    result = BiasAddOp::create(builder, loc(l), result,
                               newParam(layer + ".bias", {units}, "zeros", l, trainable), last);
  return result;
}

/// [top, left, bottom, right] for a window of `span` elements: `same` pads
/// span - 1 in all, the smaller half first (as PyTorch does).
static SmallVector<int64_t> paddingOf(const ast::Expr *e, int64_t span) {
  if (!e || (e->kind == ast::Expr::Kind::Name && e->name == "valid"))
    return {0, 0, 0, 0};
  if (e->kind == ast::Expr::Kind::Name) {
    int64_t before = (span - 1) / 2, after = span - 1 - before;
    return {before, before, after, after};
  }
  int64_t p = static_cast<int64_t>(e->number);
  return {p, p, p, p};
}

/// What is wrong when the input of [N, C, h, w] padded by [top, left, bottom,
/// right] is over the limit on a dimension (a window's reads index it as
/// one), or nullopt.
static std::optional<std::string> paddedExtentViolation(llvm::StringRef callee, int64_t h,
                                                        int64_t w, ArrayRef<int64_t> pads) {
  int64_t extent = std::max(h + pads[0] + pads[2], w + pads[1] + pads[3]);
  if (extent <= kMaxDimension)
    return std::nullopt;
  return callee.str() + " padding makes its input " + std::to_string(extent) +
         " wide, over the limit of 2147483647 (2^31 - 1) on a dimension";
}

FailureOr<Value> Importer::buildConv2D(BoundArgs &args) {
  Value input = args.tensors[0];
  auto type = expectF32(args, 0, 4, "conv2d", "an NCHW f32 input of rank 4 such as f32[" +
                                                  batchName + ", 1, 28, 28]");
  if (failed(type))
    return failure();
  int64_t filters = intArg(args, 1, 0), kernel = intArg(args, 2, 0);
  int64_t stride = intArg(args, 3, 1), dilation = intArg(args, 5, 1);
  // dilation * (kernel - 1) + 1, the window's extent, indexed as one dimension.
  std::optional<int64_t> window = llvm::checkedMulAdd<int64_t>(dilation, kernel - 1, 1);
  if (!window || *window > kMaxDimension)
    return error(args.call->loc, "conv2d window of kernel " + std::to_string(kernel) +
                                     " and dilation " + std::to_string(dilation) +
                                     " spans more than 2147483647 (2^31 - 1) elements, the "
                                     "limit on a dimension");
  int64_t span = *window;
  const ast::Expr *padding = args.exprs[4];
  if (padding && padding->kind == ast::Expr::Kind::Name && padding->name == "same" && stride != 1)
    return error(padding->loc, "padding 'same' needs stride 1 (as in PyTorch), got stride " +
                                   std::to_string(stride));
  SmallVector<int64_t> pads = paddingOf(padding, span);
  int64_t h = type->getDimSize(2), w = type->getDimSize(3);
  if (std::optional<std::string> problem = paddedExtentViolation("conv2d", h, w, pads))
    return error(padding->loc, *problem);
  if (h + pads[0] + pads[2] < span || w + pads[1] + pads[3] < span)
    return error(args.call->loc, "conv2d window of " + std::to_string(span) + "x" +
                                     std::to_string(span) + " (kernel " +
                                     std::to_string(kernel) + ", dilation " +
                                     std::to_string(dilation) + ") does not fit input " +
                                     describe(input));
  std::string layer = layerName("conv2d");
  ast::SourceLoc l = args.call->loc;
  bool trainable = boolArg(args, 8, true);
  Value filter = newParam(layer + ".weight", {filters, type->getDimSize(1), kernel, kernel},
                          initArg(args, 7, "he_normal"), l, trainable);
  Value result = Conv2DOp::create(builder, loc(l), input, filter,
                                  builder.getI64IntegerAttr(stride),
                                  builder.getI64IntegerAttr(dilation),
                                  builder.getDenseI64ArrayAttr(pads));
  if (boolArg(args, 6, true))
    result = BiasAddOp::create(builder, loc(l), result,
                               newParam(layer + ".bias", {filters}, "zeros", l, trainable));
  return result;
}

FailureOr<Value> Importer::buildPool2D(BoundArgs &args) {
  llvm::StringRef callee = args.call->name;
  Value input = args.tensors[0];
  auto type = expectF32(args, 0, 4, callee, "an NCHW f32 input of rank 4 such as f32[" +
                                                batchName + ", 6, 28, 28]");
  if (failed(type))
    return failure();
  int64_t kernel = intArg(args, 1, 0), stride = intArg(args, 2, kernel);
  int64_t pad = intArg(args, 3, 0);
  if (2 * pad > kernel)
    return error(args.exprs[3]->loc, "padding " + std::to_string(pad) +
                                         " is more than half the pooling window " +
                                         std::to_string(kernel));
  int64_t h = type->getDimSize(2), w = type->getDimSize(3);
  if (std::optional<std::string> problem =
          paddedExtentViolation(callee, h, w, {pad, pad, pad, pad}))
    return error(args.exprs[3]->loc, *problem);
  if (h + 2 * pad < kernel || w + 2 * pad < kernel)
    return error(args.call->loc, callee.str() + " window " + std::to_string(kernel) + "x" +
                                     std::to_string(kernel) + " is larger than input " +
                                     describe(input));
  llvm::StringRef kind = callee.take_front(3); // max, min, avg
  return Value(Pool2DOp::create(builder, loc(args.call->loc), input, builder.getStringAttr(kind),
                                builder.getI64IntegerAttr(kernel),
                                builder.getI64IntegerAttr(stride),
                                builder.getDenseI64ArrayAttr({pad, pad, pad, pad})));
}

/// The mean over H and W of [N, C, H, W]: a reshape to [N, C, H*W], a sum
/// over the last axis, and a division.
FailureOr<Value> Importer::buildGlobalAvgPool2D(BoundArgs &args) {
  auto type = expectF32(args, 0, 4, "global_avg_pool2d",
                        "an NCHW f32 input of rank 4 such as f32[" + batchName + ", 16, 5, 5]");
  if (failed(type))
    return failure();
  Location l = loc(args.call->loc);
  // H * W is at most the input's element count, itself within the limits.
  int64_t area = *checkedElementCount(type->getShape().drop_front(2));
  auto rows = RankedTensorType::get({type->getDimSize(0), type->getDimSize(1), area},
                                    builder.getF32Type());
  Value flat = ReshapeOp::create(builder, l, rows, args.tensors[0]);
  Value sum = ReduceSumOp::create(builder, l, flat, builder.getI64IntegerAttr(2));
  return buildElementwise(builder, l, sum, sum.getType(), 1,
                          [&](Scalar &s, ArrayRef<Value> a) {
                            return SmallVector<Value>{
                                s.div(a[0], s.constant(static_cast<double>(area)))};
                          })
      .getResult(0);
}

FailureOr<Value> Importer::buildFlatten(BoundArgs &args) {
  auto type = expectF32(args, 0, 0, "flatten", "an f32 input");
  if (failed(type))
    return failure();
  if (type->getRank() < 2)
    return error(args.exprs[0]->loc, "flatten expects a batch of samples of rank 2 or more, got " +
                                         describe(args.tensors[0]));
  // At most the input's element count, itself within the limits.
  int64_t features = *checkedElementCount(type->getShape().drop_front());
  auto result = RankedTensorType::get({type->getDimSize(0), features}, builder.getF32Type());
  return Value(ReshapeOp::create(builder, loc(args.call->loc), result, args.tensors[0]));
}

FailureOr<Value> Importer::buildReshape(BoundArgs &args) {
  auto type = expectF32(args, 0, 0, "reshape", "an f32 input");
  if (failed(type))
    return failure();
  SmallVector<int64_t> shape{type->getDimSize(0)};
  for (size_t i = 1; i < args.exprs.size(); ++i) {
    if (!args.exprs[i])
      continue;
    if (!args.exprs[i - 1])
      return error(args.exprs[i]->loc, "reshape sizes are given in order: d" +
                                           std::to_string(i) + " without d" +
                                           std::to_string(i - 1));
    shape.push_back(intArg(args, i, 1));
  }
  auto result = RankedTensorType::get(shape, builder.getF32Type());
  if (std::optional<std::string> problem = sizeLimitViolation(shape))
    return error(args.call->loc, "reshape to " + typeText(result) + " is too large: " + *problem);
  int64_t wanted = *checkedElementCount(ArrayRef(shape).drop_front());
  int64_t have = *checkedElementCount(type->getShape().drop_front());
  if (wanted != have)
    return error(args.call->loc, "reshape to " + typeText(result) + " needs " +
                                     std::to_string(wanted) + " elements per sample, but " +
                                     describe(args.tensors[0]) + " has " +
                                     std::to_string(have));
  return Value(ReshapeOp::create(builder, loc(args.call->loc), result, args.tensors[0]));
}

FailureOr<Value> Importer::buildDropout(BoundArgs &args) {
  if (failed(expectF32(args, 0, 0, "dropout", "an f32 input")))
    return failure();
  // A probability below 1: the runtime value `dropout<k>.rate` takes it.
  const vocabulary::NumberRange rateRange = {0.0, 1.0, false, true};
  double rate = numberArg(args, 1, 0.5);
  if (!rateRange.contains(rate))
    return error(args.exprs[1]->loc, "dropout rate " + args.exprs[1]->spelling +
                                         " is out of range " + vocabulary::formatRange(rateRange));
  unsigned index = layerCounts["dropout"];
  std::string layer = layerName("dropout");
  Location l = loc(args.call->loc);
  Value x = args.tensors[0];
  Value rateValue = buildHyperparam(builder, l, layer + ".rate", rate, rateRange);
  Value step = StepOp::create(builder, l, builder.getF32Type());
  Value dropped = DropoutOp::create(builder, l, x.getType(), x, rateValue, step, Value(),
                                    builder.getI64IntegerAttr(intArg(args, 2, index)));
  return Value(PhaseOp::create(builder, l, dropped, x));
}

/// Batch normalization over dimension 1 (the features of [N, C], the
/// channels of [N, C, H, W]), composed of reductions, broadcasts and
/// elementwise ops so that autodiff derives its gradient. Training uses the
/// batch's mean and biased variance and moves the running statistics
/// (PyTorch's rule: the running variance takes the unbiased estimate);
/// inference uses the running statistics. Statistics are per channel over
/// all other dimensions, computed on an [N, C, S] view.
FailureOr<Value> Importer::buildBatchNorm(BoundArgs &args) {
  auto type = expectF32(args, 0, 0, "batch_norm", "an f32 input");
  if (failed(type))
    return failure();
  if (type->getRank() < 2)
    return error(args.exprs[0]->loc, "batch_norm expects [batch, features] or [batch, "
                                     "channels, ...], got " + describe(args.tensors[0]));
  double momentum = numberArg(args, 1, 0.1), eps = numberArg(args, 2, 1e-5);
  if (momentum < 0 || momentum > 1)
    return error(args.exprs[1]->loc, "batch_norm momentum " + args.exprs[1]->spelling +
                                         " is out of range [0, 1]");
  if (eps <= 0)
    return error(args.exprs[2]->loc, "batch_norm eps " + args.exprs[2]->spelling +
                                         " must be positive");
  int64_t channels = type->getDimSize(1);
  int64_t spatial = *checkedElementCount(type->getShape().drop_front(2));
  bool hasSpatial = type->getRank() > 2;
  std::string layer = layerName("batch_norm");
  ast::SourceLoc at = args.call->loc;
  Location l = loc(at);
  Value gamma = newParam(layer + ".weight", {channels}, "ones", at);
  Value beta = newParam(layer + ".bias", {channels}, "zeros", at);
  Value runningMean = newParam(layer + ".running_mean", {channels}, "zeros", at, false);
  Value runningVar = newParam(layer + ".running_var", {channels}, "ones", at, false);

  auto f32 = builder.getF32Type();
  auto rows = RankedTensorType::get({ShapedType::kDynamic, channels}, f32);
  auto view = hasSpatial
                  ? RankedTensorType::get({ShapedType::kDynamic, channels, spatial}, f32)
                  : rows;
  auto perChannel = RankedTensorType::get({channels}, f32);
  Value x = args.tensors[0];
  if (hasSpatial)
    x = ReshapeOp::create(builder, l, view, x);
  auto sumPerChannel = [&](Value t) -> Value {
    if (hasSpatial)
      t = ReduceSumOp::create(builder, l, t, builder.getI64IntegerAttr(2));
    return ReduceSumOp::create(builder, l, t, builder.getI64IntegerAttr(0));
  };
  auto spread = [&](Value c) -> Value {
    Value t = BroadcastOp::create(builder, l, rows, c, builder.getI64IntegerAttr(0));
    return hasSpatial ? BroadcastOp::create(builder, l, view, t, builder.getI64IntegerAttr(2))
                      : t;
  };
  auto pointwise = [&](ValueRange inputs, Type result, unsigned count, ScalarBodyFn fn) {
    return buildElementwise(builder, l, inputs, result, count, fn).getResults();
  };
  // y = x * scale + shift per channel, back in the input's shape.
  auto affine = [&](Value input, Value scale, Value shift) -> Value {
    Value scaled = pointwise({input, spread(scale)}, view, 1, [](Scalar &s, ArrayRef<Value> a) {
      return SmallVector<Value>{s.mul(a[0], a[1])};
    })[0];
    Value y = BiasAddOp::create(builder, l, scaled, shift);
    return hasSpatial ? Value(ReshapeOp::create(builder, l, *type, y)) : y;
  };

  // gamma / sqrt(variance + eps): the per-channel scale of both forms.
  auto normScale = [&](Scalar &s, Value g, Value variance) {
    return s.div(g, s.sqrt(s.add(variance, s.constant(eps))));
  };

  // Inference first: no op may read the running statistics after the
  // updates below write them.
  ValueRange inferenceStats =
      pointwise({gamma, beta, runningMean, runningVar}, perChannel, 2,
                [&](Scalar &s, ArrayRef<Value> a) {
                  Value scale = normScale(s, a[0], a[3]);
                  return SmallVector<Value>{scale, s.sub(a[1], s.mul(a[2], scale))};
                });
  Value inference = affine(x, inferenceStats[0], inferenceStats[1]);

  // Training: the batch's mean and biased variance per channel; with
  // synchronized statistics, the global batch's (each process's averaged
  // by its share of the batch).
  Value batch = BatchOp::create(builder, l, f32);
  auto count = [&](Scalar &s) { return s.mul(batch, s.constant(double(spatial))); };
  auto meanPerChannel = [&](Value t) {
    Value mean = pointwise(sumPerChannel(t), perChannel, 1, [&](Scalar &s, ArrayRef<Value> a) {
      return SmallVector<Value>{s.div(a[0], count(s))};
    })[0];
    return options.syncBatchNorm ? Value(ProcessMeanOp::create(builder, l, mean)) : mean;
  };
  // The samples the statistics are over, for the unbiased variance: the
  // global batch's when synchronized (this process's over its share; a
  // process with no share of a small batch counts its own).
  Value share = options.syncBatchNorm ? Value(BatchShareOp::create(builder, l, f32)) : Value();
  auto statisticCount = [&](Scalar &s) {
    if (!share)
      return count(s);
    return s.select(s.greater(share, s.constant(0.0)), s.div(count(s), share), count(s));
  };
  // One fused op (a kernel for the statistics and the normalization, one
  // for its gradient); synchronized statistics are averaged over the
  // processes between the two passes, so they keep the composition.
  Value mean, variance, training;
  if (!options.syncBatchNorm) {
    auto fused =
        BatchNormTrainOp::create(builder, l, *type, perChannel, perChannel, args.tensors[0], gamma,
                                 beta, builder.getF64FloatAttr(eps));
    training = fused.getResult();
    mean = fused.getMean();
    variance = fused.getVariance();
  } else {
    mean = meanPerChannel(x);
    Value centered = pointwise({x, spread(mean)}, view, 1, [](Scalar &s, ArrayRef<Value> a) {
      return SmallVector<Value>{s.sub(a[0], a[1])};
    })[0];
    variance = meanPerChannel(pointwise(centered, view, 1, [](Scalar &s, ArrayRef<Value> a) {
      return SmallVector<Value>{s.square(a[0])};
    })[0]);
    Value scale = pointwise({gamma, variance}, perChannel, 1, [&](Scalar &s, ArrayRef<Value> a) {
      return SmallVector<Value>{normScale(s, a[0], a[1])};
    })[0];
    training = affine(centered, scale, beta);
  }

  // running = (1 - momentum) running + momentum batch statistic; the
  // variance's statistic is unbiased, n / (n - 1) times the batch's.
  buildUpdate(builder, l, runningMean, mean, [&](Scalar &s, ArrayRef<Value> a) {
    Value m = s.constant(momentum);
    return SmallVector<Value>{s.add(s.mul(s.oneMinus(m), a[0]), s.mul(m, a[1]))};
  });
  buildUpdate(builder, l, runningVar, variance, [&](Scalar &s, ArrayRef<Value> a) {
    Value m = s.constant(momentum), n = statisticCount(s);
    Value correction = s.select(s.greater(n, s.constant(1.0)), s.div(n, s.sub(n, s.constant(1.0))),
                                s.constant(1.0));
    return SmallVector<Value>{
        s.add(s.mul(s.oneMinus(m), a[0]), s.mul(m, s.mul(a[1], correction)))};
  });
  return Value(PhaseOp::create(builder, l, training, inference));
}

/// Rows of a [vocab, dim] table picked by i32 indices; the table starts
/// from N(0, 1), as PyTorch's nn.Embedding does.
FailureOr<Value> Importer::buildEmbedding(BoundArgs &args) {
  Value ids = args.tensors[0];
  auto type = cast<RankedTensorType>(ids.getType());
  if (!type.getElementType().isInteger(32))
    return error(args.exprs[0]->loc,
                 "embedding expects i32 indices such as i32[" + batchName + ", 20], got " +
                     describe(ids));
  int64_t vocab = intArg(args, 1, 0), dim = intArg(args, 2, 0);
  std::string layer = layerName("embedding");
  Value table = newParam(layer + ".weight", {vocab, dim}, initArg(args, 3, "normal(0, 1)"),
                         args.call->loc, boolArg(args, 4, true));
  return Value(GatherOp::create(builder, loc(args.call->loc), table, ids));
}

FailureOr<Value> Importer::buildConcat(BoundArgs &args) {
  const size_t axisArg = 1;
  int64_t axis = intArg(args, axisArg, 1);
  ArrayRef<Value> inputs = args.variadicTensors;
  if (inputs.size() < 2)
    return error(args.call->loc,
                 "concat joins two or more tensors, got one: " + describe(inputs[0]));
  auto first = cast<RankedTensorType>(inputs[0].getType());
  std::string shapes;
  bool agree = true;
  for (Value v : inputs) {
    auto t = cast<RankedTensorType>(v.getType());
    shapes += (shapes.empty() ? "" : ", ") + describe(v);
    agree = agree && t.getElementType().isF32() && t.getRank() == first.getRank();
    for (int64_t d = 0; agree && d < t.getRank(); ++d)
      agree = d == axis || t.getDimSize(d) == first.getDimSize(d);
  }
  if (axis >= first.getRank())
    return error(args.exprs[axisArg] ? args.exprs[axisArg]->loc : args.call->loc,
                 "concat axis " + std::to_string(axis) + " is not a non-batch axis of " +
                     describe(inputs[0]));
  if (!agree)
    return error(args.call->loc, "concat expects f32 tensors that agree in every dimension "
                                 "but axis " + std::to_string(axis) + ", got " + shapes);
  return Value(ConcatOp::create(builder, loc(args.call->loc), inputs,
                                builder.getI64IntegerAttr(axis)));
}

/// rnn, lstm and gru over [batch, T, features]: a dense layer over the
/// sequence gives every step's input pre-activations, kiln.recurrent runs
/// the cell over the steps. Parameters follow PyTorch's (weights
/// transposed): weight_ih [features, G*units], bias_ih, weight_hh
/// [units, G*units] and bias_hh, all from uniform(-1/sqrt(units),
/// 1/sqrt(units)) unless `init` names the weights' scheme. The result is
/// every step's hidden state [batch, T, units], or with
/// return_sequences = false the last one, [batch, units].
FailureOr<Value> Importer::buildRecurrent(BoundArgs &args) {
  llvm::StringRef cell = args.call->name;
  Value input = args.tensors[0];
  if (cast<RankedTensorType>(input.getType()).getElementType().isInteger(32))
    return error(args.exprs[0]->loc, cell.str() + " expects f32 features, got " +
                                         describe(input) + "; embed the tokens first, as in " +
                                         cell.str() + "(embedding(ids, vocab, dim), units)");
  auto type = expectF32(args, 0, 3, cell,
                        "a sequence f32[" + batchName + ", steps, features] such as the "
                        "result of embedding");
  if (failed(type))
    return failure();
  int64_t units = intArg(args, 1, 0), steps = type->getDimSize(1);
  int64_t width = recurrentGates(cell) * units;
  bool trainable = boolArg(args, 4, true);
  std::string layer = layerName(cell);
  ast::SourceLoc l = args.call->loc;
  Location at = loc(l);
  double bound = 1.0 / std::sqrt(static_cast<double>(units));
  std::string uniform = "uniform(" + specNumber(-bound) + ", " + specNumber(bound) + ")";
  std::string weightInit = initArg(args, 3, uniform);
  Value weightIh = newParam(layer + ".weight_ih", {type->getDimSize(2), width}, weightInit, l,
                            trainable);
  Value biasIh = newParam(layer + ".bias_ih", {width}, uniform, l, trainable);
  Value weightHh = newParam(layer + ".weight_hh", {units, width}, weightInit, l, trainable);
  Value biasHh = newParam(layer + ".bias_hh", {width}, uniform, l, trainable);
  Value gates = BiasAddOp::create(builder, at, MatmulOp::create(builder, at, input, weightIh),
                                  biasIh, 2);
  Value states =
      RecurrentOp::create(builder, at, builder.getStringAttr(cell), gates, weightHh, biasHh)
          .getResult();
  if (boolArg(args, 2, true))
    return states;
  auto lastType = RankedTensorType::get({type->getDimSize(0), 1, units}, builder.getF32Type());
  Value last = SliceOp::create(builder, at, lastType, states, builder.getI64IntegerAttr(1),
                               builder.getI64IntegerAttr(steps - 1));
  return Value(ReshapeOp::create(
      builder, at, RankedTensorType::get({type->getDimSize(0), units}, builder.getF32Type()),
      last));
}

FailureOr<Value> Importer::buildAdd(BoundArgs &args) {
  Value a = args.tensors[0], b = args.tensors[1];
  if (a.getType() != b.getType() ||
      !cast<RankedTensorType>(a.getType()).getElementType().isF32())
    return error(args.call->loc, "add expects two f32 tensors of one shape, got " + describe(a) +
                                     " and " + describe(b));
  return Value(AddOp::create(builder, loc(args.call->loc), a, b));
}

FailureOr<Value> Importer::buildRelu(BoundArgs &args) {
  if (failed(expectF32(args, 0, 0, "relu", "an f32 input")))
    return failure();
  return Value(ReluOp::create(builder, loc(args.call->loc), args.tensors[0]));
}

FailureOr<Value> Importer::buildActivation(BoundArgs &args) {
  const ActivationRule *rule = nullptr;
  for (const ActivationRule &r : kActivations)
    if (r.name == args.call->name)
      rule = &r;
  if (failed(expectF32(args, 0, 0, rule->name, "an f32 input")))
    return failure();
  double alpha = std::isnan(rule->alpha) ? rule->alpha : numberArg(args, 1, rule->alpha);
  Value x = args.tensors[0];
  return buildElementwise(builder, loc(args.call->loc), x, x.getType(), 1,
                          [&](Scalar &s, ArrayRef<Value> a) {
                            return SmallVector<Value>{rule->body(s, a[0], alpha)};
                          })
      .getResult(0);
}

/// x > 0 ? x : a x with one learnable slope `a` for the whole tensor
/// (PyTorch's PReLU() default, initialised to 0.25).
FailureOr<Value> Importer::buildPRelu(BoundArgs &args) {
  if (failed(expectF32(args, 0, 0, "prelu", "an f32 input")))
    return failure();
  std::string layer = layerName("prelu");
  Value x = args.tensors[0];
  Value slope = newParam(layer + ".slope", {}, initArg(args, 1, "constant(0.25)"),
                         args.call->loc);
  return buildElementwise(builder, loc(args.call->loc), {x, slope}, x.getType(), 1,
                          [](Scalar &s, ArrayRef<Value> a) {
                            Value positive = s.greater(a[0], s.constant(0.0));
                            return SmallVector<Value>{
                                s.select(positive, a[0], s.mul(a[1], a[0]))};
                          })
      .getResult(0);
}

FailureOr<Value> Importer::buildLogSoftmax(BoundArgs &args) {
  if (failed(expectF32(args, 0, 2, args.call->name,
                       "f32 scores of rank 2 such as f32[" + batchName + ", 10]")))
    return failure();
  return Value(LogSoftmaxOp::create(builder, loc(args.call->loc), args.tensors[0]));
}

/// exp(log_softmax(x)): the stable form, normalised over the last axis.
FailureOr<Value> Importer::buildSoftmax(BoundArgs &args) {
  FailureOr<Value> logProbs = buildLogSoftmax(args);
  if (failed(logProbs))
    return failure();
  return buildElementwise(builder, loc(args.call->loc), *logProbs, logProbs->getType(), 1,
                          [](Scalar &s, ArrayRef<Value> a) {
                            return SmallVector<Value>{s.exp(a[0])};
                          })
      .getResult(0);
}
