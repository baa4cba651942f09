//===- ModelManifest.h - What the wrapper tells the runtime -----*- C++ -*-===//
//
// Private to compiler/Codegen. The model manifest of a LoweredModel (its
// name, task, optimizer, learning-rate schedule, health results and tune
// ranges from the module's attributes; its inputs, parameters, optimizer
// state and hyperparameters with their valid ranges from the storage ops the
// kernels read), which the generated wrapper hands to the runtime.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_MODELMANIFEST_H
#define KILN_CODEGEN_MODELMANIFEST_H

#include "Codegen/LoweredModel.h"

#include "Kiln/IR/KilnOps.h"

#include "mlir/IR/BuiltinOps.h"

namespace kiln {

/// Row-major shape of a ranked tensor type, outermost first; -1 marks the
/// (dynamic) batch.
std::vector<int64_t> shapeOf(mlir::Type type);

/// Reads the module's attributes into `model`: its name (kiln.model), task,
/// label, optimizer, learning-rate schedule, health results and tune ranges.
void readModuleAttributes(mlir::ModuleOp module, LoweredModel &model);

/// Each records its op in the manifest the first time it is seen and returns
/// its index there (model.inputs, params, states, hyperparams).
int recordInput(LoweredModel &model, InputOp input);
int recordParam(LoweredModel &model, ParamOp param);
int recordState(LoweredModel &model, StateOp state);
int recordHyperparam(LoweredModel &model, HyperparamOp hyper);

} // namespace kiln

#endif // KILN_CODEGEN_MODELMANIFEST_H
