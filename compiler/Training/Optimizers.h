//===- Optimizers.h - The table of optimizer update rules -------*- C++ -*-===//
//
// One entry per optimizer: its name in model files, its hyperparameters (all
// runtime values) with their valid ranges, the optimizer state it keeps per
// parameter, and its update written element by element. Import validates
// model files against this table; ApplyOptimizer builds kiln.update ops from
// it. Adding an optimizer is adding a row and a scalar update function.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRAINING_OPTIMIZERS_H
#define KILN_TRAINING_OPTIMIZERS_H

#include "Kiln/IR/ScalarBody.h"

#include "kiln/Vocabulary.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace kiln {

/// A runtime value's name, default and valid range, as checked in model files
/// and carried by the kiln.hyperparam op made from it.
struct HyperparamRule {
  llvm::StringRef name;
  double defaultValue;
  vocabulary::NumberRange range;
};

/// The values one element of an update sees: the parameter and each state
/// tensor (old values), the final gradient, every hyperparameter in table
/// order, and the 1-based step number.
struct UpdateInputs {
  mlir::Value param;
  llvm::ArrayRef<mlir::Value> states;
  mlir::Value grad;
  llvm::ArrayRef<mlir::Value> hyper;
  mlir::Value step;
};

struct OptimizerRule {
  llvm::StringRef name;
  llvm::ArrayRef<HyperparamRule> hyperparams;
  /// Suffixes of the state tensors kept per parameter (e.g. "m", "v"); each
  /// starts at zero.
  llvm::ArrayRef<llvm::StringRef> states;
  /// Returns the new parameter value, then the new value of each state.
  llvm::SmallVector<mlir::Value> (*update)(Scalar &s, const UpdateInputs &in);
};

/// Returns the rule named `name`, or nullptr.
const OptimizerRule *lookupOptimizer(llvm::StringRef name);
/// All known optimizers, for diagnostics.
llvm::ArrayRef<OptimizerRule> allOptimizers();

/// Runtime values that other training statements add (regularizer strengths,
/// decoupled weight decay, clip thresholds), with their ranges.
const HyperparamRule *lookupTrainingHyperparam(llvm::StringRef name);

/// Every runtime value the training passes make from `module`'s training
/// configuration (kiln.optimizer, kiln.regularizer, kiln.clip), in the order
/// a message lists them, with its range and its default as configured: what
/// a tune block may vary besides the model's own kiln.hyperparam ops.
llvm::SmallVector<HyperparamRule> trainingHyperparams(mlir::ModuleOp module);

} // namespace kiln

#endif // KILN_TRAINING_OPTIMIZERS_H
