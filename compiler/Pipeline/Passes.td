//===- Passes.td - Kiln compiler passes --------------------*- tablegen -*-===//
#ifndef KILN_PASSES_TD
#define KILN_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Autodiff
//===----------------------------------------------------------------------===//

def Autodiff : Pass<"kiln-autodiff", "::mlir::ModuleOp"> {
  let summary = "Derive @train_step (forward and backward) and @predict from @forward";
  let description = [{
    `@forward` returns `(loss, prediction)`. This pass clones it into
    `@train_step`, walks the clone in reverse order from the loss, seeded with
    `d loss = 1`, and asks each op's GradientOpInterface rule for the gradients
    of its operands; gradients reaching one value from several users are
    summed with `kiln.add`. Each parameter's complete gradient is marked with
    `kiln.param_grad`; `@train_step` returns the loss. `@predict` is
    `@forward` without the loss. An op on the path to the loss without a
    gradient rule is an error.

        loss = f(g(p))  =>  dp = g'(p)^T f'(g(p))^T 1
  }];
  let dependentDialects = ["::kiln::KilnDialect"];
}

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

def ApplyOptimizer : Pass<"kiln-apply-optimizer", "::mlir::ModuleOp"> {
  let summary = "Replace each kiln.param_grad with the optimizer's in-place update";
  let description = [{
    Reads the module's `kiln.optimizer` attribute (for example
    `{name = "sgd", lr = 0.1}`), turns each hyperparameter into a
    `kiln.hyperparam` (a runtime value) and replaces every
    `kiln.param_grad %p, %g` with the update, placed immediately after the
    later of: the op that completes `%g`, and the last reader of `%p`. The
    update therefore runs as soon as the gradient is final, and code
    generation can fuse it into the gradient's producer so that the gradient
    is never stored.

        kiln.param_grad %p, %g  =>  kiln.sgd_update %p, %g, %lr
  }];
  let dependentDialects = ["::kiln::KilnDialect"];
}

//===----------------------------------------------------------------------===//
// Codegen
//===----------------------------------------------------------------------===//

def PartitionKernels : Pass<"kiln-partition-kernels", "::mlir::func::FuncOp"> {
  let summary = "Group ops into kiln.kernel fusion groups, one Halide pipeline each";
  let description = [{
    Walks each function in order. A contraction or reduction (matmul,
    reduce_sum, softmax_cross_entropy, ...) opens a new kernel; an elementwise
    op joins the open kernel when its main operand is produced there (bias,
    activation and their gradients become epilogues of the matmul), and an
    update joins the kernel that completes its gradient unless that kernel
    also reads the old parameter. Values used after a kernel become its
    results; everything else stays inside and is never stored.

        %g = matmul(..); sgd_update %w, %g  =>  kernel { matmul; sgd_update }
  }];
  let dependentDialects = ["::kiln::KilnDialect"];
}

#endif // KILN_PASSES_TD
