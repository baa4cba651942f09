//===- Losses.cpp - Loss functions of the model language ------------------===//
//
// Every loss is a mean over the batch, a rank-0 tensor, and records what
// @predict returns and which task (and so which metrics) it implies.
// Pointwise losses are one table of scalar bodies (kPointwiseLosses): the
// body gives each element's term, which is summed and divided by the number
// of elements (PyTorch's reduction='mean').
//
//===----------------------------------------------------------------------===//
#include "Import/Importer.h"

#include "Kiln/IR/ScalarBody.h"
#include "Kiln/IR/SizeLimits.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::importer;

namespace {

const ArgSpec kSparseArgs[] = {{"logits", ArgKind::Tensor, true},
                               {"labels", ArgKind::Tensor, true}};
const ArgSpec kCategoricalArgs[] = {{"logits", ArgKind::Tensor, true},
                                    {"targets", ArgKind::Tensor, true}};
const ArgSpec kRegressionArgs[] = {{"prediction", ArgKind::Tensor, true},
                                   {"target", ArgKind::Tensor, true}};
const ArgSpec kHuberArgs[] = {{"prediction", ArgKind::Tensor, true},
                              {"target", ArgKind::Tensor, true},
                              {"delta", ArgKind::Number, false}};
const ArgSpec kBceArgs[] = {{"probabilities", ArgKind::Tensor, true},
                            {"target", ArgKind::Tensor, true}};
const ArgSpec kBceLogitsArgs[] = {{"logits", ArgKind::Tensor, true},
                                  {"target", ArgKind::Tensor, true}};

const CallRule kLossRules[] = {
    {"softmax_cross_entropy", kSparseArgs, &Importer::buildSparseCrossEntropy},
    {"sparse_categorical_cross_entropy", kSparseArgs, &Importer::buildSparseCrossEntropy},
    {"categorical_cross_entropy", kCategoricalArgs, &Importer::buildCategoricalCrossEntropy},
    {"mse", kRegressionArgs, &Importer::buildPointwiseLoss},
    {"mae", kRegressionArgs, &Importer::buildPointwiseLoss},
    {"huber", kHuberArgs, &Importer::buildPointwiseLoss},
    {"binary_cross_entropy", kBceArgs, &Importer::buildPointwiseLoss},
    {"binary_cross_entropy_with_logits", kBceLogitsArgs, &Importer::buildPointwiseLoss},
};

/// A loss whose term depends on one prediction and one target element.
struct PointwiseLoss {
  llvm::StringRef name;
  llvm::StringRef task;
  /// The term of element (p, t); `delta` is huber's threshold.
  Value (*term)(Scalar &s, Value p, Value t, double delta);
  /// What @predict returns, from the loss's first argument: the argument
  /// itself, or probabilities from logits.
  bool predictSigmoid = false;
};

/// max(log(x), -100): PyTorch's binary cross-entropy clamps the logarithm so
/// that a confident wrong prediction costs 100, not infinity. Written as
/// x > e^-100 ? log(x > e^-100 ? x : 1) : -100 so that its derivative is 0
/// where the clamp holds: the log's derivative 1 / x would otherwise be
/// evaluated at x = 0 and give 0 / 0 there.
Value clampedLog(Scalar &s, Value x) {
  Value above = s.greater(x, s.constant(std::exp(-100.0)));
  Value safe = s.select(above, x, s.constant(1.0));
  return s.select(above, s.log(safe), s.constant(-100.0));
}

const PointwiseLoss kPointwiseLosses[] = {
    {"mse", "regression", [](Scalar &s, Value p, Value t, double) { return s.square(s.sub(p, t)); }},
    {"mae", "regression", [](Scalar &s, Value p, Value t, double) { return s.abs(s.sub(p, t)); }},
    // |d| < delta ? d^2 / 2 : delta (|d| - delta / 2)
    {"huber", "regression",
     [](Scalar &s, Value p, Value t, double delta) {
       Value d = s.sub(p, t), a = s.abs(d);
       Value quadratic = s.mul(s.constant(0.5), s.square(d));
       Value linear = s.mul(s.constant(delta), s.sub(a, s.constant(0.5 * delta)));
       return s.select(s.less(a, s.constant(delta)), quadratic, linear);
     }},
    // -(t log p + (1 - t) log(1 - p))
    {"binary_cross_entropy", "binary",
     [](Scalar &s, Value p, Value t, double) {
       Value positive = s.mul(t, clampedLog(s, p));
       Value negative = s.mul(s.oneMinus(t), clampedLog(s, s.oneMinus(p)));
       return s.neg(s.add(positive, negative));
     }},
    // max(z, 0) - z t + log(1 + exp(-|z|)): never overflows
    {"binary_cross_entropy_with_logits", "binary",
     [](Scalar &s, Value z, Value t, double) {
       Value softplus = s.log(s.add(s.constant(1.0), s.exp(s.neg(s.abs(z)))));
       return s.add(s.sub(s.max(z, s.constant(0.0)), s.mul(z, t)), softplus);
     },
     /*predictSigmoid=*/true},
};

/// sum(terms) / (batch * perSample): the mean of per-element terms, or with
/// perSample 1 of per-sample sums, over a batch whose size is known at run
/// time.
Value meanOverBatch(OpBuilder &builder, Location l, Value terms, int64_t perSample) {
  auto scalar = RankedTensorType::get({}, builder.getF32Type());
  Value total = SumOp::create(builder, l, scalar, terms);
  Value batch = BatchOp::create(builder, l, builder.getF32Type());
  return buildElementwise(builder, l, total, scalar, 1,
                          [&](Scalar &s, ArrayRef<Value> a) {
                            Value count = s.mul(batch, s.constant(double(perSample)));
                            return SmallVector<Value>{s.div(a[0], count)};
                          })
      .getResult(0);
}

} // namespace

llvm::ArrayRef<CallRule> kiln::importer::lossRules() { return kLossRules; }

FailureOr<Value> Importer::buildSparseCrossEntropy(BoundArgs &args) {
  llvm::StringRef callee = args.call->name;
  Value logits = args.tensors[0], labels = args.tensors[1];
  auto zt = expectF32(args, 0, 0, callee,
                      "f32 logits such as f32[" + batchName + ", 10], or f32[" + batchName +
                          ", steps, 10] for a sequence");
  if (failed(zt))
    return failure();
  if (zt->getRank() < 2)
    return error(args.exprs[0]->loc, callee.str() + " expects logits with a class dimension, "
                                                    "such as f32[" + batchName + ", 10], got " +
                                         describe(logits));
  // Classes lie along the last axis; of an image's [N, C, H, W] that is W.
  if (zt->getRank() > 3)
    return error(args.exprs[0]->loc,
                 callee.str() + " expects logits f32[" + batchName + ", classes], or f32[" +
                     batchName + ", steps, classes] for a sequence, got " + describe(logits) +
                     "; flatten them and map them to the classes first, as in "
                     "dense(flatten(" +
                     expressionText(*args.exprs[0]) + "), classes)");
  auto yt = cast<RankedTensorType>(labels.getType());
  bool fits = yt.getRank() == zt->getRank() - 1 && yt.getElementType().isInteger(32);
  for (int64_t d = 1; fits && d < yt.getRank(); ++d)
    fits = yt.getDimSize(d) == zt->getDimSize(d);
  if (!fits) {
    std::string expected = "i32[" + batchName;
    for (int64_t d = 1; d + 1 < zt->getRank(); ++d)
      expected += ", " + std::to_string(zt->getDimSize(d));
    // Logits of a sequence (a dense layer applied at every step) against a
    // label per sample: the sequence was likely meant to be flattened.
    std::string perSample =
        zt->getRank() == 3 && yt.getRank() == 1
            ? "; for one label per sample the logits are f32[" + batchName +
                  ", classes]: flatten the sequence before its last dense layer"
            : "";
    return error(args.exprs[1]->loc, callee.str() + " expects integer class labels such as " +
                                         expected + "], got " + describe(labels) +
                                         " for logits " + describe(logits) + perSample);
  }
  Value loss = SoftmaxCrossEntropyOp::create(builder, loc(args.call->loc), logits, labels);
  return addLoss(loss, logits, "classification");
}

/// The mean over rows of -sum_c t[n, c] log_softmax(z)[n, c].
FailureOr<Value> Importer::buildCategoricalCrossEntropy(BoundArgs &args) {
  Value logits = args.tensors[0], targets = args.tensors[1];
  if (failed(expectF32(args, 0, 2, "categorical_cross_entropy",
                       "f32 logits of rank 2 such as f32[" + batchName + ", 10]")))
    return failure();
  if (targets.getType() != logits.getType())
    return error(args.exprs[1]->loc,
                 "categorical_cross_entropy expects one-hot (or probability) targets of the "
                 "logits' shape, got " +
                     describe(targets) + " for logits " + describe(logits));
  Location l = loc(args.call->loc);
  Value logProbs = LogSoftmaxOp::create(builder, l, logits);
  // A zero target contributes 0 even where the log-probability is -inf
  // (logits further apart than float32's range), not 0 * -inf.
  Value terms = buildElementwise(builder, l, {targets, logProbs}, logits.getType(), 1,
                                 [](Scalar &s, ArrayRef<Value> a) {
                                   Value zero = s.constant(0.0);
                                   Value term = s.neg(s.mul(a[0], a[1]));
                                   return SmallVector<Value>{
                                       s.select(s.greater(s.abs(a[0]), zero), term, zero)};
                                 })
                    .getResult(0);
  Value loss = meanOverBatch(builder, l, terms, 1);
  return addLoss(loss, logits, "classification");
}

FailureOr<Value> Importer::buildPointwiseLoss(BoundArgs &args) {
  const PointwiseLoss *rule = nullptr;
  for (const PointwiseLoss &r : kPointwiseLosses)
    if (r.name == args.call->name)
      rule = &r;
  Value p = args.tensors[0], t = args.tensors[1];
  if (failed(expectF32(args, 0, 0, rule->name, "an f32 prediction")))
    return failure();
  if (t.getType() != p.getType())
    return error(args.exprs[1]->loc, rule->name.str() +
                                         " expects an f32 target of the prediction's shape, "
                                         "got " +
                                         describe(t) + " for prediction " + describe(p));
  double delta = rule->name == "huber" ? numberArg(args, 2, 1.0) : 0.0;
  if (rule->name == "huber" && !(delta > 0))
    return error(args.exprs[2]->loc, "huber delta must be positive, got " +
                                         args.exprs[2]->spelling);
  auto type = cast<RankedTensorType>(p.getType());
  // At most the prediction's element count, itself within the limits.
  int64_t perSample = *checkedElementCount(type.getShape().drop_front());

  Location l = loc(args.call->loc);
  Value terms = buildElementwise(builder, l, {p, t}, type, 1,
                                 [&](Scalar &s, ArrayRef<Value> a) {
                                   return SmallVector<Value>{rule->term(s, a[0], a[1], delta)};
                                 })
                    .getResult(0);
  Value loss = meanOverBatch(builder, l, terms, perSample);
  Value prediction = p;
  if (rule->predictSigmoid)
    prediction = buildElementwise(builder, l, p, type, 1,
                                  [](Scalar &s, ArrayRef<Value> a) {
                                    return SmallVector<Value>{s.sigmoid(a[0])};
                                  })
                     .getResult(0);
  return addLoss(loss, prediction, rule->task);
}
