//===- Import.h - Model-file AST to the kiln dialect ------------*- C++ -*-===//
#ifndef KILN_IMPORT_IMPORT_H
#define KILN_IMPORT_IMPORT_H

#include "Frontend/AST.h"
#include "Frontend/Diagnostics.h"
#include "Import/ModelSummary.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace kiln {

/// Choices of the import that no model file makes.
struct ImportOptions {
  /// Batch normalization averages its batch statistics over the processes
  /// of a data-parallel run (kiln.process_mean; kilnc --sync-batch-norm)
  /// instead of keeping each process's own.
  bool syncBatchNorm = false;
};

/// Builds a module holding `func.func @forward() -> (loss, prediction)` and the
/// module attributes `kiln.model` and `kiln.optimizer`. Checks names, arities,
/// shapes and hyperparameters, reporting each problem at its place in the file
/// through `diags`; returns null after any error.
mlir::OwningOpRef<mlir::ModuleOp> importModel(const ast::Model &model, DiagnosticEngine &diags,
                                              mlir::MLIRContext &context,
                                              const ImportOptions &options = {});

/// Imports `model` as importModel does and returns its summary table: each
/// input and layer call with its output shape and parameters, the loss and
/// the optimizer's state (Summarize.cpp); nullopt after any error, reported
/// through `diags` as importModel reports it.
std::optional<ModelSummary> summarizeModel(const ast::Model &model, DiagnosticEngine &diags,
                                           mlir::MLIRContext &context);

} // namespace kiln

#endif // KILN_IMPORT_IMPORT_H
