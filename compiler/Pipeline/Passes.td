//===- Passes.td - Kiln compiler passes --------------------*- tablegen -*-===//
#ifndef KILN_PASSES_TD
#define KILN_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Autodiff
//===----------------------------------------------------------------------===//

def Autodiff : Pass<"kiln-autodiff", "::mlir::ModuleOp"> {
  let summary = "Derive @train_step (forward and backward), @predict and @evaluate from @forward";
  let description = [{
    `@forward` returns `(loss, prediction)`. This pass clones it into
    `@train_step`, walks the clone in reverse order from the loss, seeded with
    `d loss = 1`, and asks each op's GradientOpInterface rule for the gradients
    of its operands; gradients reaching one value from several users are
    summed with `kiln.add`. Each parameter's complete gradient is marked with
    `kiln.param_grad`; `@train_step` returns the loss. `@predict` is
    `@forward` without the loss, and `@evaluate` returns both the loss and the
    prediction; both use the inference form of every phase (dropout off, batch
    normalization on running statistics) and update nothing. An op on the path to the loss without a
    gradient rule is an error.

        loss = f(g(p))  =>  dp = g'(p)^T f'(g(p))^T 1
  }];
  let dependentDialects = ["::kiln::KilnDialect"];
}

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

def Regularize : Pass<"kiln-regularize", "::mlir::ModuleOp"> {
  let summary = "Add L1 and L2 penalties to the loss and to every parameter's gradient";
  let description = [{
    Reads the module's `kiln.regularizer` attribute (`{l1 = a, l2 = b}`, either
    entry optional), makes each strength a runtime `kiln.hyperparam`, and in
    `@train_step` rewrites every `kiln.param_grad %p, %g` to mark
    `g + l2 * p + l1 * sign(p)` instead, and adds
    `sum(l2 / 2 * p^2 + l1 * |p|)` over all trained parameters to the loss the
    step returns. Runs between autodiff and the optimizer; without the
    attribute it changes nothing.

        kiln.param_grad %p, %g  =>  %g2 = kiln.elementwise (%g, %p) {g + l2 p + l1 sign(p)}
                                    kiln.param_grad %p, %g2
  }];
  let dependentDialects = ["::kiln::KilnDialect", "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def TrainingHealth : Pass<"kiln-training-health", "::mlir::ModuleOp"> {
  let summary = "Make @train_step also return gradient norms and dead-unit counts";
  let description = [{
    Appends rank-0 results to `@train_step`, after the loss: for every
    `kiln.param_grad`, the squared norm of the gradient it marks
    (`kiln.sum_of_squares`), read after regularization and before clipping, so
    that clipping does not hide an exploding gradient; for every `kiln.relu`,
    the number of units that no sample of the batch activates
    (`kiln.dead_units`: features of a [batch, features] output, channels of an
    NCHW one). The module attribute `kiln.health` describes each result in
    order: `{kind = "grad_sq" | "dead_units", name, units, where}`, where
    `name` is the parameter or `relu<k>` and `where` its model-file location.
    The runtime turns them into per-layer gradient norms and dead fractions.
    Runs only on request (`kilnc --health`).

        kiln.param_grad %w, %g  =>  %n = kiln.sum_of_squares %g
                                    kiln.param_grad %w, %g
                                    ...
                                    return %loss, %n, ...
  }];
  let dependentDialects = ["::kiln::KilnDialect"];
}

def ClipGradients : Pass<"kiln-clip-gradients", "::mlir::ModuleOp"> {
  let summary = "Clip every parameter's gradient by value, by its norm, or by the global norm";
  let description = [{
    Reads the module's `kiln.clip` attribute (`{name = "value" | "norm" |
    "global_norm", clip = c}`); the threshold is the runtime value `clip`.
    `value` clamps each element to [-c, c]; `norm` scales each gradient by
    `min(1, c / (|g| + 1e-6))`; `global_norm` scales all of them by
    `min(1, c / (sqrt(sum_i |g_i|^2) + 1e-6))` (torch.nn.utils.clip_grad_norm_).
    Global-norm clipping needs every gradient before any update: its scale is
    a reduction over all of them, so each gradient is stored in full and the
    updates run after the last one. Without the attribute it changes nothing.

        kiln.param_grad %p, %g  =>  %g2 = kiln.elementwise (%g) {clamp(g, -c, c)}
                                    kiln.param_grad %p, %g2
  }];
  let dependentDialects = ["::kiln::KilnDialect", "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def ApplyOptimizer : Pass<"kiln-apply-optimizer", "::mlir::ModuleOp"> {
  let summary = "Replace each kiln.param_grad with the optimizer's in-place update";
  let description = [{
    Reads the module's `kiln.optimizer` attribute (for example
    `{name = "adam", lr = 1.0e-3}`), turns each hyperparameter into a
    `kiln.hyperparam` (a runtime value), declares the optimizer's state per
    parameter (`kiln.state`), and replaces every `kiln.param_grad %p, %g` with
    one `kiln.update` that writes the parameter and its state in place, built
    from the optimizer's row in Training/Optimizers.cpp. A `weight_decay`
    value (AdamW's, or `regularizer weight_decay(d)`) adds decoupled decay,
    `p -= lr * d * p`, to the update. The update stays where the marker was;
    kiln-fuse-updates moves it.

        kiln.param_grad %p, %g  =>  kiln.update (%p, %m, %v) from (%g) {...}
  }];
  let dependentDialects = ["::kiln::KilnDialect", "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def DataParallel : Pass<"kiln-data-parallel", "::mlir::ModuleOp"> {
  let summary = "Sum the gradients of @train_step over the processes of a data-parallel run";
  let description = [{
    Runs right after autodiff, so that regularization, clipping and the
    optimizer see the gradient of the global batch. Each `kiln.param_grad`'s
    gradient is multiplied by `kiln.batch_share` (this process's share of
    the global batch) and passed through a `kiln.all_reduce`, which sums it
    over all processes. Gradients are grouped into buckets of at least
    `bucket-floats` elements, in the order backward finishes them; a
    bucket's all_reduce follows its last gradient, so that the runtime starts
    summing it while the rest of backward runs.

        %g = ...; kiln.param_grad %w, %g
          =>  %s = kiln.batch_share; %g = ...; %gs = elementwise(%g * %s)
              %a = kiln.all_reduce %gs {bucket = 0}; kiln.param_grad %w, %a

    A `kiln.process_mean` (synchronized batch statistics) becomes the same
    weighting and an all_reduce marked `statistic`, where it is; outside
    @train_step, the identity. Dropout ops count their samples from
    `kiln.batch_offset`.
  }];
  let options = [
    Option<"bucketFloats", "bucket-floats", "int64_t", /*default=*/"1048576",
           "Elements a bucket gathers before it is closed (4 MiB of floats)">,
  ];
  let dependentDialects = ["::kiln::KilnDialect"];
}

def FuseUpdates : Pass<"kiln-fuse-updates", "::mlir::func::FuncOp"> {
  let summary = "Move each update to just after its gradient is final";
  let description = [{
    First folds each `kiln.elementwise` whose only user is an update (a
    regularization term, a clip) into the update's body, so that the update
    reads its parameter only as a target. Then moves every
    `kiln.elementwise` and `kiln.sum` up to just after its last
    operand, and then every `kiln.update` to just after the latest of: its
    inputs, its targets' definitions, and every other reader of its targets.
    An update then follows the op that completes its gradient, and
    kiln-partition-kernels can fuse it into that op's kernel so that the
    gradient is never stored in full. Without this pass (kilnc
    --no-fuse-updates) updates run after the whole backward pass.

        %g = matmul(..); ...backward...; update(%w) from (%g)
          =>  %g = matmul(..); update(%w) from (%g); ...backward...
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
    activation and their gradients become epilogues of the matmul; a sum's
    main operand is the later-produced of the two), and an
    update joins the kernel that completes its gradient unless that kernel
    also reads the old parameter (or state). Values used after a kernel become its
    results; everything else stays inside and is never stored.

        %g = matmul(..); update(%w) from (%g)  =>  kernel { matmul; update }
  }];
  let options = [
    Option<"fuseUpdates", "fuse-updates", "bool", /*default=*/"true",
           "Let updates join the kernel that computes their gradient">,
  ];
  let dependentDialects = ["::kiln::KilnDialect"];
}

#endif // KILN_PASSES_TD
