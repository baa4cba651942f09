//===- Passes.h - Declarations of every kiln pass ---------------*- C++ -*-===//
//
// Every pass is declared in one table, Passes.td, under a banner naming the
// folder that defines it (Autodiff, Training, Codegen; one pass per file).
// Pipeline.h puts them in order.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PIPELINE_PASSES_H
#define KILN_PIPELINE_PASSES_H

#include "Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace kiln {

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "Pipeline/Passes.h.inc"

} // namespace kiln

#endif // KILN_PIPELINE_PASSES_H
