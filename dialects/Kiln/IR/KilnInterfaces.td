//===- KilnInterfaces.td - Op interfaces of the kiln dialect -*- tablegen -*-===//
#ifndef KILN_INTERFACES_TD
#define KILN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Kiln_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::kiln";
  let description = [{
    The reverse-mode gradient rule of an op. Given the gradients flowing into
    the op's results (a null Value where a result has none), build ops that
    compute the gradient of each operand and append one Value per operand to
    `operandGrads` (a null Value for an operand that takes no gradient, such
    as integer labels). The autodiff pass calls this and nothing else: every
    differentiable op carries its own rule (see GradientRules.cpp).
  }];
  let methods = [
    InterfaceMethod<
      "Builds the operand gradients from the result gradients.",
      "::llvm::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::Value>":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

#endif // KILN_INTERFACES_TD
