//===- KilnDialect.td - The kiln dialect -------------------*- tablegen -*-===//
#ifndef KILN_DIALECT_TD
#define KILN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Kiln_Dialect : Dialect {
  let name = "kiln";
  let cppNamespace = "::kiln";
  let summary = "Training graphs on tensor values: layers, losses, gradients, updates";
  let description = [{
    The kiln dialect holds a model's forward graph as imported from a model
    file, the backward graph that the autodiff pass derives from it, the
    optimizer updates that training passes fuse into it, and the kernel
    partition that code generation lowers to Halide. Values are ranked tensors
    of f32 (i32 for labels); the batch dimension is dynamic (`?`).

    Parameters, inputs and hyperparameters are read from storage the runtime
    owns (`kiln.param`, `kiln.state`, `kiln.input`, `kiln.hyperparam`,
    `kiln.step`); `kiln.update` writes a parameter and its optimizer state in
    place. Element-by-element bodies (`kiln.elementwise`, `kiln.update`) are
    written with `arith` and `math` ops on f32.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, traits>;

#endif // KILN_DIALECT_TD
