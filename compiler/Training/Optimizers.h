//===- Optimizers.h - The table of optimizer update rules -------*- C++ -*-===//
//
// One entry per optimizer: its name in model files, its hyperparameters (all
// runtime values) with their valid ranges, and how to build its update. Import
// validates model files against this table; ApplyOptimizer builds from it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRAINING_OPTIMIZERS_H
#define KILN_TRAINING_OPTIMIZERS_H

#include "mlir/IR/Builders.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace kiln {

struct HyperparamRule {
  llvm::StringRef name;
  double defaultValue;
  double min;          // inclusive
  double max;          // exclusive
  bool minExclusive;   // true when `min` itself is not allowed
};

struct OptimizerRule {
  llvm::StringRef name;
  llvm::ArrayRef<HyperparamRule> hyperparams;
  /// Builds the in-place update of `param` from its final gradient `grad`;
  /// `hyperparams` holds one f32 value per entry of `hyperparams` above.
  void (*buildUpdate)(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value param,
                      mlir::Value grad, llvm::ArrayRef<mlir::Value> hyperparams);
};

/// Returns the rule named `name`, or nullptr.
const OptimizerRule *lookupOptimizer(llvm::StringRef name);
/// All known optimizer names, for diagnostics.
llvm::ArrayRef<OptimizerRule> allOptimizers();

} // namespace kiln

#endif // KILN_TRAINING_OPTIMIZERS_H
