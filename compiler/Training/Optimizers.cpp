//===- Optimizers.cpp - The table of optimizer update rules ---------------===//
#include "Training/Optimizers.h"

#include "Kiln/IR/KilnOps.h"

#include <limits>

using namespace mlir;
using namespace kiln;

static constexpr double kInf = std::numeric_limits<double>::infinity();

// p <- p - lr * g
static void buildSgd(OpBuilder &b, Location loc, Value param, Value grad,
                     ArrayRef<Value> hyper) {
  SgdUpdateOp::create(b, loc, param, grad, hyper[0]);
}

static const HyperparamRule kSgdHyperparams[] = {
    {"lr", 0.01, 0.0, kInf, /*minExclusive=*/true},
};

static const OptimizerRule kOptimizers[] = {
    {"sgd", kSgdHyperparams, buildSgd},
};

const OptimizerRule *kiln::lookupOptimizer(llvm::StringRef name) {
  for (const OptimizerRule &rule : kOptimizers)
    if (rule.name == name)
      return &rule;
  return nullptr;
}

llvm::ArrayRef<OptimizerRule> kiln::allOptimizers() { return kOptimizers; }
