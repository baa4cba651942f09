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

    The training configuration travels on the module as the attributes
    below, declared here and checked by the dialect's verifier
    (KilnModuleAttributes.cpp): the model's name, its task and label input,
    the optimizer and its settings, the regularizer strengths, gradient
    clipping, the learning-rate schedule, the tune block's search space and
    the training-health results. Every runtime value among them becomes a
    `kiln.hyperparam` carrying its range.

    ```mlir
    module attributes {kiln.model = "mlp", kiln.task = "classification",
                       kiln.label = "y", kiln.optimizer = {name = "sgd", lr = 0.1},
                       kiln.clip = {name = "norm", clip = 1.0},
                       kiln.schedule = {name = "step", step_size = 100.0, gamma = 0.5,
                                        warmup = 0.0},
                       kiln.tune = [ {name = "lr", kind = "log_uniform",
                                      low = 1.0e-4, high = 0.1} ]} {...}
    ```
  }];
  let discardableAttrs = (ins
    // The model's name (`model mlp`), which names its generated files.
    "::mlir::StringAttr":$model,
    // What the loss trains for: "classification", "binary" or "regression".
    "::mlir::StringAttr":$task,
    // The input holding the labels or targets.
    "::mlir::StringAttr":$label,
    // {name = "adam", lr = ..., ...}: the optimizer and its settings (and a
    // decoupled weight_decay).
    "::mlir::DictionaryAttr":$optimizer,
    // {l1 = ..., l2 = ...}: penalty strengths added to the loss.
    "::mlir::DictionaryAttr":$regularizer,
    // {name = "value" | "norm" | "global_norm", clip = threshold}.
    "::mlir::DictionaryAttr":$clip,
    // {name = kind, argument = value, ..., units = {argument = "epochs" |
    // "run"}}: a learning-rate schedule of the shared vocabulary
    // (kiln/Vocabulary.h), evaluated by the runtime. `units`, when present,
    // names the counts (step_size, period, warmup) given in epochs or as a
    // fraction of the run (0.05 for 5%) rather than in updates.
    "::mlir::DictionaryAttr":$schedule,
    // [{name, kind, low, high} or {name, kind = "choice", choices}, ...]:
    // the tune block's ranges.
    "::mlir::ArrayAttr":$tune,
    // [{kind = "grad_sq" | "dead_units", name, units, where}, ...]: the
    // train step's extra results after the loss (kiln-training-health).
    "::mlir::ArrayAttr":$health
  );
  let hasOperationAttrVerify = 1;
  let dependentDialects = ["::mlir::func::FuncDialect", "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, traits>;

#endif // KILN_DIALECT_TD
