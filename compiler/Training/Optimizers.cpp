//===- Optimizers.cpp - The table of optimizer update rules ---------------===//
//
// Each update follows torch.optim's formulas (PyTorch 1.13) so that training
// matches it step for step from the same weights; test/parity checks that.
//
//===----------------------------------------------------------------------===//
#include "Training/Optimizers.h"

#include <limits>

using namespace mlir;
using namespace kiln;
using vocabulary::NumberRange;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
using Values = SmallVector<Value>;

// p -= lr * g
Values sgd(Scalar &s, const UpdateInputs &in) {
  Value lr = in.hyper[0];
  return {s.sub(in.param, s.mul(lr, in.grad))};
}

// v = mu * v + g;  p -= lr * v
Values momentum(Scalar &s, const UpdateInputs &in) {
  Value lr = in.hyper[0], mu = in.hyper[1];
  Value v = s.add(s.mul(mu, in.states[0]), in.grad);
  return {s.sub(in.param, s.mul(lr, v)), v};
}

// v = mu * v + g;  p -= lr * (g + mu * v)
Values nesterov(Scalar &s, const UpdateInputs &in) {
  Value lr = in.hyper[0], mu = in.hyper[1];
  Value v = s.add(s.mul(mu, in.states[0]), in.grad);
  Value step = s.add(in.grad, s.mul(mu, v));
  return {s.sub(in.param, s.mul(lr, step)), v};
}

// a += g^2;  p -= lr * g / (sqrt(a) + eps)
Values adagrad(Scalar &s, const UpdateInputs &in) {
  Value lr = in.hyper[0], eps = in.hyper[1];
  Value a = s.add(in.states[0], s.square(in.grad));
  Value step = s.div(in.grad, s.add(s.sqrt(a), eps));
  return {s.sub(in.param, s.mul(lr, step)), a};
}

// a = rho * a + (1 - rho) g^2;  d = sqrt(u + eps) / sqrt(a + eps) * g;
// u = rho * u + (1 - rho) d^2;  p -= lr * d
Values adadelta(Scalar &s, const UpdateInputs &in) {
  Value lr = in.hyper[0], rho = in.hyper[1], eps = in.hyper[2];
  Value a = s.add(s.mul(rho, in.states[0]), s.mul(s.oneMinus(rho), s.square(in.grad)));
  Value d = s.mul(s.div(s.sqrt(s.add(in.states[1], eps)), s.sqrt(s.add(a, eps))), in.grad);
  Value u = s.add(s.mul(rho, in.states[1]), s.mul(s.oneMinus(rho), s.square(d)));
  return {s.sub(in.param, s.mul(lr, d)), a, u};
}

// a = alpha * a + (1 - alpha) g^2;  p -= lr * g / (sqrt(a) + eps)
Values rmsprop(Scalar &s, const UpdateInputs &in) {
  Value lr = in.hyper[0], alpha = in.hyper[1], eps = in.hyper[2];
  Value a = s.add(s.mul(alpha, in.states[0]), s.mul(s.oneMinus(alpha), s.square(in.grad)));
  Value step = s.div(in.grad, s.add(s.sqrt(a), eps));
  return {s.sub(in.param, s.mul(lr, step)), a};
}

// m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
Values adam(Scalar &s, const UpdateInputs &in) {
  Value lr = in.hyper[0], b1 = in.hyper[1], b2 = in.hyper[2], eps = in.hyper[3];
  Value m = s.add(s.mul(b1, in.states[0]), s.mul(s.oneMinus(b1), in.grad));
  Value v = s.add(s.mul(b2, in.states[1]), s.mul(s.oneMinus(b2), s.square(in.grad)));
  Value stepSize = s.div(lr, s.oneMinus(s.pow(b1, in.step)));
  Value denom = s.add(s.div(s.sqrt(v), s.sqrt(s.oneMinus(s.pow(b2, in.step)))), eps);
  return {s.sub(in.param, s.mul(stepSize, s.div(m, denom))), m, v};
}

// Valid ranges: rates and epsilons above 0, decay factors in [0, 1),
// strengths from 0 up.
const NumberRange kPositive = {0.0, kInf, true, true};
const NumberRange kNonNegative = {0.0, kInf, false, true};
const NumberRange kFraction = {0.0, 1.0, false, true};

const HyperparamRule kLr = {"lr", 0.01, kPositive};
const HyperparamRule kAdamLr = {"lr", 1e-3, kPositive};
const HyperparamRule kMomentum = {"momentum", 0.9, kFraction};
const HyperparamRule kBeta1 = {"beta1", 0.9, kFraction};
const HyperparamRule kBeta2 = {"beta2", 0.999, kFraction};
const HyperparamRule kAdamEps = {"eps", 1e-8, kPositive};
const HyperparamRule kWeightDecay = {"weight_decay", 0.01, kNonNegative};

const HyperparamRule kSgdHyper[] = {kLr};
const HyperparamRule kMomentumHyper[] = {kLr, kMomentum};
const HyperparamRule kAdagradHyper[] = {kLr, {"eps", 1e-10, kPositive}};
const HyperparamRule kAdadeltaHyper[] = {
    {"lr", 1.0, kPositive}, {"rho", 0.9, kFraction}, {"eps", 1e-6, kPositive}};
const HyperparamRule kRmspropHyper[] = {kLr, {"alpha", 0.99, kFraction}, kAdamEps};
const HyperparamRule kAdamHyper[] = {kAdamLr, kBeta1, kBeta2, kAdamEps};
const HyperparamRule kAdamwHyper[] = {kAdamLr, kBeta1, kBeta2, kAdamEps, kWeightDecay};

const StringRef kVelocity[] = {"velocity"};
const StringRef kAccumulator[] = {"accumulator"};
const StringRef kAdadeltaState[] = {"square_avg", "acc_delta"};
const StringRef kSquareAvg[] = {"square_avg"};
const StringRef kMoments[] = {"m", "v"};

const OptimizerRule kOptimizers[] = {
    {"sgd", kSgdHyper, {}, sgd},
    {"momentum", kMomentumHyper, kVelocity, momentum},
    {"nesterov", kMomentumHyper, kVelocity, nesterov},
    {"adagrad", kAdagradHyper, kAccumulator, adagrad},
    {"adadelta", kAdadeltaHyper, kAdadeltaState, adadelta},
    {"rmsprop", kRmspropHyper, kSquareAvg, rmsprop},
    {"adam", kAdamHyper, kMoments, adam},
    // Adam with decoupled weight decay: ApplyOptimizer adds it to any
    // optimizer that has a `weight_decay` value (see there).
    {"adamw", kAdamwHyper, kMoments, adam},
};

const HyperparamRule kTrainingHyper[] = {
    {"l1", 0.0, kNonNegative},
    {"l2", 0.0, kNonNegative},
    {"weight_decay", 0.0, kNonNegative},
    {"clip", 1.0, kPositive},
};

} // namespace

const OptimizerRule *kiln::lookupOptimizer(llvm::StringRef name) {
  for (const OptimizerRule &rule : kOptimizers)
    if (rule.name == name)
      return &rule;
  return nullptr;
}

llvm::ArrayRef<OptimizerRule> kiln::allOptimizers() { return kOptimizers; }

const HyperparamRule *kiln::lookupTrainingHyperparam(llvm::StringRef name) {
  for (const HyperparamRule &rule : kTrainingHyper)
    if (rule.name == name)
      return &rule;
  return nullptr;
}

SmallVector<HyperparamRule> kiln::trainingHyperparams(ModuleOp module) {
  SmallVector<HyperparamRule> values;
  auto add = [&](const HyperparamRule &rule, DictionaryAttr config) {
    if (llvm::any_of(values, [&](const HyperparamRule &v) { return v.name == rule.name; }))
      return;
    HyperparamRule value = rule;
    if (auto attr = config ? config.getAs<FloatAttr>(rule.name) : FloatAttr())
      value.defaultValue = attr.getValueAsDouble();
    values.push_back(value);
  };
  MLIRContext *context = module.getContext();
  DictionaryAttr optimizer = KilnDialect::OptimizerAttrHelper(context).getAttr(module);
  auto name = optimizer ? optimizer.getAs<StringAttr>("name") : StringAttr();
  if (const OptimizerRule *rule = name ? lookupOptimizer(name.getValue()) : nullptr)
    for (const HyperparamRule &h : rule->hyperparams)
      add(h, optimizer);
  // Decoupled weight decay (ApplyOptimizer), then the regularizer's
  // strengths (Regularize), then the clip threshold (ClipGradients).
  for (DictionaryAttr config :
       {optimizer, KilnDialect::RegularizerAttrHelper(context).getAttr(module)})
    for (NamedAttribute entry : config ? config.getValue() : ArrayRef<NamedAttribute>())
      if (const HyperparamRule *rule = lookupTrainingHyperparam(entry.getName().getValue()))
        add(*rule, config);
  if (DictionaryAttr clip = KilnDialect::ClipAttrHelper(context).getAttr(module))
    add(*lookupTrainingHyperparam("clip"), clip);
  return values;
}
