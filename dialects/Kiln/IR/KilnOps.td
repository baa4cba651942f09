//===- KilnOps.td - Operations of the kiln dialect ---------*- tablegen -*-===//
#ifndef KILN_OPS_TD
#define KILN_OPS_TD

include "Kiln/IR/KilnDialect.td"
include "Kiln/IR/KilnInterfaces.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Kiln_F32Tensor : RankedTensorOf<[F32]>;
def Kiln_I32Tensor : RankedTensorOf<[I32]>;
def Kiln_Scalar : 0DTensorOf<[F32]>;

//===----------------------------------------------------------------------===//
// Storage the runtime owns: inputs, parameters, hyperparameters
//===----------------------------------------------------------------------===//

def Kiln_InputOp : Kiln_Op<"input", [Pure]> {
  let summary = "A batch of data fed by the runtime";
  let description = [{
    Reads the model input or label named `name`. Its leading dimension is the
    batch and is dynamic; the runtime binds a new batch on every step.

    ```mlir
    %x = kiln.input "x" : tensor<?x784xf32>
    %y = kiln.input "y" : tensor<?xi32>
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs AnyTypeOf<[Kiln_F32Tensor, Kiln_I32Tensor]>:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kiln_ParamOp : Kiln_Op<"param", [Pure]> {
  let summary = "Reads a trainable parameter";
  let description = [{
    Reads the current value of the trainable parameter `name`, a static-shaped
    f32 tensor held by the runtime and initialised by the named scheme (`zeros`,
    `ones`, `constant(v)`, `uniform(low, high)`, `normal(mean, std)`,
    `he_normal`, `he_uniform`, `xavier_normal`, `xavier_uniform`). An update op
    later in the same function writes the same storage in place, so every
    reader of the value must come before it. A `frozen` parameter is not
    trained: autodiff computes no gradient for it.

    ```mlir
    %w = kiln.param "dense0.weight" init "he_normal" : tensor<784x256xf32>
    %v = kiln.param "dense1.weight" init "he_normal" {frozen} : tensor<256x10xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, StrAttr:$init, UnitAttr:$frozen);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$name `init` $init attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kiln_HyperparamOp : Kiln_Op<"hyperparam", [Pure]> {
  let summary = "A scalar set by the runtime on every step, with its valid range";
  let description = [{
    A training constant that the runtime may change between steps without a
    recompile (a Halide `Param` after code generation): its default, and the
    values it may take, which the runtime checks (--set, tuning) and the tune
    block is checked against. The range is `low, high` between brackets, `(`
    or `)` for an open end and `[` or `]` for a closed one, `inf` for no
    bound; `integer` when only whole numbers are allowed. Whoever creates the
    op fills the range from its table (the optimizer table, the training
    statements, the layer that owns the value).

    ```mlir
    %lr = kiln.hyperparam "lr" default 1.000000e-01 in (0.000000e+00, inf) : f32
    %rate = kiln.hyperparam "dropout0.rate" default 5.000000e-01 in [0.000000e+00, 1.000000e+00) : f32
    ```
  }];
  let arguments = (ins StrAttr:$name, F64Attr:$defaultValue, F64Attr:$low, F64Attr:$high,
                       UnitAttr:$lowOpen, UnitAttr:$highOpen, UnitAttr:$integer);
  let results = (outs F32:$result);
  let assemblyFormat = [{
    $name `default` $defaultValue `in` custom<Range>($low, $high, $lowOpen, $highOpen)
    (`integer` $integer^)? attr-dict `:` type($result)
  }];
  let extraClassDeclaration = [{
    /// The values the runtime may give it.
    ::kiln::vocabulary::NumberRange getRange();
  }];
  let hasVerifier = 1;
}

def Kiln_FillOp : Kiln_Op<"fill", [Pure]> {
  let summary = "A static-shaped tensor with every element equal to `value`";
  let description = [{
    ```mlir
    %one = kiln.fill 1.000000e+00 : tensor<f32>
    ```
  }];
  let arguments = (ins F64Attr:$value);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$value attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

def Kiln_MatmulOp : Kiln_Op<"matmul",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Matrix product, either side optionally transposed; leading dimensions of the left side are rows";
  let description = [{
    `result = op(lhs) x op(rhs)`, where `op` transposes when the matching flag
    is set. A dense layer is a matmul followed by `kiln.bias_add`.

    A left side of rank 3 or more is a stack of rows: [N, T, K] x [K, M]
    gives [N, T, M] (a dense layer applied at every position of a
    sequence). With `transpose_lhs`, both sides may have such leading
    dimensions, which are then all contracted: [N, T, K]^T x [N, T, M] gives
    [K, M] (that layer's weight gradient).

    ```mlir
    %h = kiln.matmul %x, %w : tensor<?x784xf32>, tensor<784x256xf32> -> tensor<?x256xf32>
    %gw = kiln.matmul %x, %dh {transpose_lhs = true}
        : tensor<?x784xf32>, tensor<?x256xf32> -> tensor<784x256xf32>
    %s = kiln.matmul %e, %u : tensor<?x20x16xf32>, tensor<16x64xf32> -> tensor<?x20x64xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$lhs, Kiln_F32Tensor:$rhs,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_lhs,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose_rhs);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Kiln_BiasAddOp : Kiln_Op<"bias_add",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Adds a per-feature (per-channel) vector along one dimension (by default 1)";
  let description = [{
    `result[n, j, ...] = input[n, j, ...] + bias[j]` with `j` at `axis`: the
    bias of a dense layer ([N, M]) or of a convolution (NCHW), or with axis 2
    of a dense layer over a sequence ([N, T, M]).

    ```mlir
    %z = kiln.bias_add %h, %b : tensor<?x256xf32>, tensor<256xf32> -> tensor<?x256xf32>
    %s = kiln.bias_add %q, %c {axis = 2 : i64} : tensor<?x20x64xf32>, tensor<64xf32> -> tensor<?x20x64xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$bias,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $bias attr-dict `:` type($input) `,` type($bias) `->` type($result)
  }];
}

def Kiln_ReluOp : Kiln_Op<"relu",
    [Pure, SameOperandsAndResultType, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Rectified linear unit, max(x, 0) element by element";
  let description = [{
    ```mlir
    %a = kiln.relu %z : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Kiln_SoftmaxCrossEntropyOp : Kiln_Op<"softmax_cross_entropy",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Mean softmax cross-entropy of logits against integer class labels";
  let description = [{
    `result = mean_n(logsumexp(logits[n, :]) - logits[n, labels[n]])`, computed
    in the numerically stable form (the row maximum is subtracted first).
    Classes lie along the last dimension; logits [N, T, C] with labels [N, T]
    (a label per step of a sequence) average over all N*T rows.

    ```mlir
    %loss = kiln.softmax_cross_entropy %logits, %y : tensor<?x10xf32>, tensor<?xi32> -> tensor<f32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$logits, Kiln_I32Tensor:$labels);
  let results = (outs Kiln_Scalar:$result);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels) `->` type($result)
  }];
}

def Kiln_AddOp : Kiln_Op<"add",
    [Pure, SameOperandsAndResultType, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Element-by-element sum of two tensors of one type";
  let description = [{
    Also used by autodiff to sum the gradients that reach one value from
    several users.

    ```mlir
    %s = kiln.add %a, %b : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$lhs, Kiln_F32Tensor:$rhs);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Kiln_BatchOp : Kiln_Op<"batch", [Pure]> {
  let summary = "The number of samples in the current batch, as an f32";
  let description = [{
    The size of the dynamic leading dimension of every input in this call,
    for means over the batch.

    ```mlir
    %n = kiln.batch : f32
    ```
  }];
  let results = (outs F32:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def Kiln_LogSoftmaxOp : Kiln_Op<"log_softmax",
    [Pure, SameOperandsAndResultType, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Logarithm of the softmax over the last dimension of a rank-2 tensor";
  let description = [{
    `result[n, c] = x[n, c] - max_k x[n, k] - log(sum_k exp(x[n, k] - max_k x[n, k]))`,
    the numerically stable form. `softmax` is `exp` of it.

    ```mlir
    %l = kiln.log_softmax %z : tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kiln_BroadcastOp : Kiln_Op<"broadcast",
    [Pure, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Repeats a tensor along a new dimension `axis`";
  let description = [{
    The inverse of `kiln.reduce_sum` over `axis`: `result[..., i, ...] =
    input[..., ...]` for every `i` along `axis`, whose size the result type
    gives.

    ```mlir
    %b = kiln.broadcast %s {axis = 1 : i64} : tensor<?xf32> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, I64Attr:$axis);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_ReshapeOp : Kiln_Op<"reshape",
    [Pure, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "The same elements in row-major order under another shape";
  let description = [{
    The leading (batch) dimension is kept; the others are regrouped. Flatten is
    a reshape to rank 2.

    ```mlir
    %f = kiln.reshape %x : tensor<?x16x5x5xf32> -> tensor<?x400xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_Conv2DOp : Kiln_Op<"conv2d",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "2-d convolution (cross-correlation) of NCHW input with OIHW filters";
  let description = [{
    `result[n, o, y, x] = sum_{c, i, j} input[n, c, y*s + i*d - top, x*s + j*d - left]
    * filter[o, c, i, j]`, reading zeros outside the input, where `s` is
    `stride`, `d` is `dilation` and `padding` is [top, left, bottom, right].
    The output is `(H + top + bottom - d (KH - 1) - 1) / s + 1` high, and
    likewise wide.

    ```mlir
    %y = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 2, 2, 2, 2>}
        : tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32> -> tensor<?x6x28x28xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$filter, I64Attr:$stride,
                       I64Attr:$dilation, DenseI64ArrayAttr:$padding);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $filter attr-dict `:` type($input) `,` type($filter) `->` type($result)
  }];
}

def Kiln_Conv2DGradInputOp : Kiln_Op<"conv2d_grad_input", [Pure]> {
  let summary = "Gradient of kiln.conv2d with respect to its input";
  let description = [{
    `result[n, c, y, x] = sum over (o, i, j) with y = oy*s + i*d - top and
    x = ox*s + j*d - left inside the output of grad[n, o, oy, ox] * filter[o, c, i, j]`;
    the result type is the convolution's input type.

    ```mlir
    %dx = kiln.conv2d_grad_input %dy, %w {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 2, 2, 2, 2>}
        : tensor<?x6x28x28xf32>, tensor<6x1x5x5xf32> -> tensor<?x1x28x28xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$filter, I64Attr:$stride,
                       I64Attr:$dilation, DenseI64ArrayAttr:$padding);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = [{
    $grad `,` $filter attr-dict `:` type($grad) `,` type($filter) `->` type($result)
  }];
}

def Kiln_Conv2DGradFilterOp : Kiln_Op<"conv2d_grad_filter", [Pure]> {
  let summary = "Gradient of kiln.conv2d with respect to its filter";
  let description = [{
    `result[o, c, i, j] = sum_{n, oy, ox} grad[n, o, oy, ox] * input[n, c, oy*s + i*d - top,
    ox*s + j*d - left]` (zeros outside the input); the result type is the filter type.

    ```mlir
    %dw = kiln.conv2d_grad_filter %dy, %x {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 2, 2, 2, 2>}
        : tensor<?x6x28x28xf32>, tensor<?x1x28x28xf32> -> tensor<6x1x5x5xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$input, I64Attr:$stride,
                       I64Attr:$dilation, DenseI64ArrayAttr:$padding);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = [{
    $grad `,` $input attr-dict `:` type($grad) `,` type($input) `->` type($result)
  }];
}

def Kiln_Pool2DOp : Kiln_Op<"pool2d",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Max, min or average pooling over windows of an NCHW tensor";
  let description = [{
    Each output element is the maximum, minimum or mean of a `kernel` x
    `kernel` window, windows `stride` apart, over the input padded by
    `padding` ([top, left, bottom, right]). Padding never wins a max or min;
    an average divides by the whole window, padding included (PyTorch's
    count_include_pad).

    ```mlir
    %p = kiln.pool2d %x {kind = "max", kernel = 2 : i64, stride = 2 : i64, padding = array<i64: 0, 0, 0, 0>}
        : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, StrAttr:$kind, I64Attr:$kernel, I64Attr:$stride,
                       DenseI64ArrayAttr:$padding);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_Pool2DGradOp : Kiln_Op<"pool2d_grad", [Pure]> {
  let summary = "Gradient of kiln.pool2d with respect to its input";
  let description = [{
    Sends each output's gradient to the element that won its window (max,
    min: the first in row-major order) or spreads it evenly over the window
    (avg). `input` is the pooling's input; attributes are the pooling's.

    ```mlir
    %dx = kiln.pool2d_grad %dy, %x {kind = "max", kernel = 2 : i64, stride = 2 : i64, padding = array<i64: 0, 0, 0, 0>}
        : tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32> -> tensor<?x6x28x28xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$input, StrAttr:$kind,
                       I64Attr:$kernel, I64Attr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = [{
    $grad `,` $input attr-dict `:` type($grad) `,` type($input) `->` type($result)
  }];
}

def Kiln_DropoutOp : Kiln_Op<"dropout",
    [Pure, AllTypesMatch<["input", "result"]>, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Zeroes elements at random with probability `rate`, scales the rest";
  let description = [{
    `result = keep ? input / (1 - rate) : 0`, where `keep` is decided per
    element by a counter-based generator from (`seed`, `step`, the element's
    row-major index): the same step gives the same mask, so the gradient is
    the same op applied to the incoming gradient. At inference the layer is
    the identity (`kiln.phase`). In a data-parallel step the batch index is
    counted from `offset`, the index of this process's first sample in the
    global batch (kiln.batch_offset, set by kiln-data-parallel): every
    sample gets the mask it would get in one process.

    ```mlir
    %d = kiln.dropout %h, %rate, %step {seed = 3 : i64} : tensor<?x256xf32>
    %e = kiln.dropout %h, %rate, %step offset %o {seed = 3 : i64} : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, F32:$rate, F32:$step, Optional<F32>:$offset,
                   I64Attr:$seed);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat =
      "$input `,` $rate `,` $step (`offset` $offset^)? attr-dict `:` type($result)";
}

def Kiln_ConcatOp : Kiln_Op<"concat",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Joins tensors along one (non-batch) axis";
  let description = [{
    The inputs agree in every dimension but `axis`, which is at least 1 (the
    batch is never joined); the result's `axis` is the sum of theirs, the
    first input first.

    ```mlir
    %c = kiln.concat %a, %b {axis = 1 : i64} : tensor<?x3xf32>, tensor<?x5xf32> -> tensor<?x8xf32>
    ```
  }];
  let arguments = (ins Variadic<Kiln_F32Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs) `->` type($result)";
}

def Kiln_GatherOp : Kiln_Op<"gather",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Rows of a table picked by integer indices (an embedding lookup)";
  let description = [{
    `result[n, ..., d] = table[indices[n, ...], d]`: each index selects a row
    of the [V, D] table. An index outside [0, V) reads the nearest row.

    ```mlir
    %e = kiln.gather %table, %ids : tensor<65x16xf32>, tensor<?x20xi32> -> tensor<?x20x16xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$table, Kiln_I32Tensor:$indices);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = [{
    $table `,` $indices attr-dict `:` type($table) `,` type($indices) `->` type($result)
  }];
}

def Kiln_RecurrentOp : Kiln_Op<"recurrent",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "A recurrent cell (rnn, lstm or gru) run over the steps of a sequence";
  let description = [{
    `input` is [N, T, G*H]: the input's contribution to the cell's G gate
    pre-activations at every step (a dense layer over the sequence, its bias
    included). `weight` is [H, G*H] and `bias` [G*H]: the recurrent
    pre-activations at step t are `a_t = h_{t-1} weight + bias`, with h_0 = 0
    (and c_0 = 0). `result` is every step's hidden state, [N, T, H]. `saved`
    is what backpropagation through time reads besides the hidden states, so
    that it need not run the scan again: for every step, the G recurrent
    products `h_{t-1} weight` (without the bias), then for lstm the cell
    state c_t; [N, T, S*H] with S = G (G + 1 for lstm). A form that trains
    nothing (@predict) leaves it unused, and it is never computed.
    Gates are laid out along the last dimension in PyTorch's order:

    - `rnn` (G = 1): h = tanh(x + a)
    - `lstm` (G = 4: i, f, g, o): c = f c_prev + i g, h = o tanh(c), where
      i, f, o are sigmoid(x + a) and g = tanh(x + a)
    - `gru` (G = 3: r, z, n): r, z = sigmoid(x + a),
      n = tanh(x_n + r a_n), h = (1 - z) n + z h_prev

    ```mlir
    %hs, %saved = kiln.recurrent "lstm" %xp, %u, %b
        : tensor<?x20x64xf32>, tensor<16x64xf32>, tensor<64xf32>
        -> tensor<?x20x16xf32>, tensor<?x20x80xf32>
    ```
  }];
  let arguments = (ins StrAttr:$cell, Kiln_F32Tensor:$input, Kiln_F32Tensor:$weight,
                       Kiln_F32Tensor:$bias);
  let results = (outs Kiln_F32Tensor:$result, Kiln_F32Tensor:$saved);
  let assemblyFormat = [{
    $cell $input `,` $weight `,` $bias attr-dict `:` type($input) `,` type($weight) `,`
    type($bias) `->` type($result) `,` type($saved)
  }];
}

def Kiln_PhaseOp : Kiln_Op<"phase", [Pure, AllTypesMatch<["training", "inference", "result"]>]> {
  let summary = "Chooses a value by phase: `training` in the train step, `inference` in predict";
  let description = [{
    Layers that behave differently when training (dropout, batch
    normalization) build both forms in @forward; autodiff resolves each
    `kiln.phase` when it derives @train_step and @predict, and the form that
    is not used is erased.

    ```mlir
    %y = kiln.phase %dropped, %h : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$training, Kiln_F32Tensor:$inference);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$training `,` $inference attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Gradient helpers (produced by autodiff rules)
//===----------------------------------------------------------------------===//

def Kiln_ReluGradOp : Kiln_Op<"relu_grad", [Pure, AllTypesMatch<["grad", "output", "result"]>]> {
  let summary = "Gradient of relu: passes `grad` where the relu output is positive";
  let description = [{
    `result = output > 0 ? grad : 0`, where `output` is the relu's result.

    ```mlir
    %dz = kiln.relu_grad %da, %a : tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$output);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$grad `,` $output attr-dict `:` type($result)";
}

def Kiln_ReduceSumOp : Kiln_Op<"reduce_sum",
    [Pure, InferTypeOpAdaptor, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Sums a tensor over one axis, which is removed";
  let description = [{
    ```mlir
    %db = kiln.reduce_sum %dz {axis = 0 : i64} : tensor<?x256xf32> -> tensor<256xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, I64Attr:$axis);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Kiln_SliceOp : Kiln_Op<"slice", [Pure, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "A window along one axis, zero where it leaves the input";
  let description = [{
    `result[..., i, ...] = input[..., offset + i, ...]` along `axis`, as many
    elements as the result type has there; positions outside the input read
    zero, so a negative offset shifts the input along the axis (the previous
    step of a sequence). It is the gradient of kiln.concat, and its own
    gradient is the slice of the result gradient at `-offset`.

    ```mlir
    %b = kiln.slice %c {axis = 1 : i64, offset = 3 : i64} : tensor<?x8xf32> -> tensor<?x5xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, I64Attr:$axis, I64Attr:$offset);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Kiln_ScatterAddOp : Kiln_Op<"scatter_add", [Pure]> {
  let summary = "Sums rows into a table at integer indices (the gradient of kiln.gather)";
  let description = [{
    `result[v, d] = sum over positions p with indices[p] = v of grad[p, d]`;
    the result type is the gathered table's. Indices are clamped into the
    table as kiln.gather clamps them.

    ```mlir
    %dt = kiln.scatter_add %de, %ids : tensor<?x20x16xf32>, tensor<?x20xi32> -> tensor<65x16xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_I32Tensor:$indices);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = [{
    $grad `,` $indices attr-dict `:` type($grad) `,` type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Kiln_RecurrentGradOp : Kiln_Op<"recurrent_grad", [Pure]> {
  let summary = "Backpropagation through time of kiln.recurrent";
  let description = [{
    Given `grad`, the gradient of every hidden state [N, T, H], and the
    operands and both results (`hidden`, `saved`) of the kiln.recurrent it
    differentiates, gives the gradients of the input pre-activations
    (`input_grad`, [N, T, G*H]) and of the recurrent pre-activations a_t
    (`recurrent_grad`, the same shape). They differ only for gru, whose
    candidate gate scales a_n by r. The forward scan's values are read from
    `hidden` and `saved`, not computed again.

    ```mlir
    %dx, %da = kiln.recurrent_grad "lstm" %dhs, %xp, %u, %b, %hs, %saved
        : tensor<?x20x16xf32>, tensor<?x20x64xf32>, tensor<16x64xf32>, tensor<64xf32>,
          tensor<?x20x16xf32>, tensor<?x20x80xf32>
        -> tensor<?x20x64xf32>, tensor<?x20x64xf32>
    ```
  }];
  let arguments = (ins StrAttr:$cell, Kiln_F32Tensor:$grad, Kiln_F32Tensor:$input,
                       Kiln_F32Tensor:$weight, Kiln_F32Tensor:$bias, Kiln_F32Tensor:$hidden,
                       Kiln_F32Tensor:$saved);
  let results = (outs Kiln_F32Tensor:$input_grad, Kiln_F32Tensor:$recurrent_grad);
  let assemblyFormat = [{
    $cell $grad `,` $input `,` $weight `,` $bias `,` $hidden `,` $saved attr-dict `:`
    type($grad) `,` type($input) `,` type($weight) `,` type($bias) `,` type($hidden) `,`
    type($saved) `->` type($input_grad) `,` type($recurrent_grad)
  }];
  let hasVerifier = 1;
}

def Kiln_SoftmaxCrossEntropyGradOp : Kiln_Op<"softmax_cross_entropy_grad",
    [Pure, AllTypesMatch<["logits", "result"]>]> {
  let summary = "Gradient of the mean softmax cross-entropy with respect to the logits";
  let description = [{
    `result[n, c] = grad * (softmax(logits[n, :])[c] - (c == labels[n])) / N`,
    over the N rows of every leading index (as kiln.softmax_cross_entropy).

    ```mlir
    %dl = kiln.softmax_cross_entropy_grad %one, %logits, %y
        : tensor<f32>, tensor<?x10xf32>, tensor<?xi32> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Kiln_Scalar:$grad, Kiln_F32Tensor:$logits, Kiln_I32Tensor:$labels);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = [{
    $grad `,` $logits `,` $labels attr-dict `:` type($grad) `,` type($logits) `,`
    type($labels) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

def Kiln_ParamGradOp : Kiln_Op<"param_grad", [MemoryEffects<[MemWrite]>, AllTypesMatch<["param", "grad"]>]> {
  let summary = "Marks `grad` as the complete gradient of the parameter `param`";
  let description = [{
    Produced by the autodiff pass, one per trainable parameter; consumed by the
    optimizer pass, which replaces it with the parameter's update. Without an
    optimizer pass, code generation returns the gradient to the caller.

    ```mlir
    kiln.param_grad %w, %gw : tensor<784x256xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$param, Kiln_F32Tensor:$grad);
  let assemblyFormat = "$param `,` $grad attr-dict `:` type($param)";
  let hasVerifier = 1;
}

def Kiln_StateOp : Kiln_Op<"state", [Pure]> {
  let summary = "Reads a tensor of optimizer state";
  let description = [{
    Reads the current value of the optimizer state `name` (a velocity, a
    moment, an accumulator) that belongs to the parameter `param` and has its
    shape. The runtime allocates it from the model description, fills it with
    `init` before the first step, updates it in place through `kiln.update`
    and saves it in checkpoints.

    ```mlir
    %m = kiln.state "dense0.weight.m" of "dense0.weight" init 0.0 : tensor<784x256xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, StrAttr:$param, F64Attr:$init);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$name `of` $param `init` $init attr-dict `:` type($result)";
}

def Kiln_StepOp : Kiln_Op<"step", [Pure]> {
  let summary = "The 1-based number of the current update, set by the runtime";
  let description = [{
    ```mlir
    %t = kiln.step : f32
    ```
  }];
  let results = (outs F32:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def Kiln_BatchShareOp : Kiln_Op<"batch_share", [Pure]> {
  let summary = "This process's share of the global batch, set by the runtime";
  let description = [{
    In a data-parallel run (kiln-data-parallel), the samples of the current
    batch this process trains on divided by the samples of the global batch,
    in [0, 1]: the weight of its gradients in their sum over all processes.
    1 in a run of one process.

    ```mlir
    %s = kiln.batch_share : f32
    ```
  }];
  let results = (outs F32:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def Kiln_BatchOffsetOp : Kiln_Op<"batch_offset", [Pure]> {
  let summary = "The index of this process's first sample in the global batch";
  let description = [{
    In a data-parallel run (kiln-data-parallel), where this process's part
    of the current global batch begins, as an f32 (exact below 2^24); 0 in a
    run of one process. Dropout counts its samples from it.

    ```mlir
    %o = kiln.batch_offset : f32
    ```
  }];
  let results = (outs F32:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}

def Kiln_ProcessMeanOp : Kiln_Op<"process_mean",
    [Pure, AllTypesMatch<["input", "result"]>, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "A statistic of the batch averaged over the processes of a data-parallel run";
  let description = [{
    `result = sum over processes q of share_q * input_q`, where share_q is
    process q's part of the global batch (kiln.batch_share): from each
    process's statistic of its samples (a per-channel mean), the statistic
    of the global batch. Batch normalization with synchronized statistics
    (kilnc --sync-batch-norm) averages its mean and variance with it. The op
    is its own adjoint: the gradient of the input is the same average of
    the result's gradient. kiln-data-parallel rewrites it as a weighting and
    a kiln.all_reduce; in one process it is the identity.

    ```mlir
    %m = kiln.process_mean %local : tensor<64xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_F32Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Kiln_AllReduceOp : Kiln_Op<"all_reduce", [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "Sums each tensor over all processes of a data-parallel run";
  let description = [{
    The gradients of one bucket, each already weighted by its process's
    share of the batch (kiln.batch_share): every result is the sum of its
    input over all processes, that is the gradient of the global batch. The
    runtime averages a bucket as one flat buffer (MPI_Iallreduce), started as
    soon as the last kernel writing it has run and waited for just before the
    first kernel reading a result; the results take the inputs' buffers. In a
    run of one process the results are the inputs. Partitioning leaves it
    outside kernels. `statistic` marks the sum of a forward statistic
    (kiln.process_mean), which the forward pass waits for, rather than of
    gradients.

    ```mlir
    %a:2 = kiln.all_reduce %gw, %gb {bucket = 0 : i64}
        : tensor<784x256xf32>, tensor<256xf32> -> tensor<784x256xf32>, tensor<256xf32>
    ```
  }];
  let arguments = (ins Variadic<Kiln_F32Tensor>:$inputs, I64Attr:$bucket,
                   UnitAttr:$statistic);
  let results = (outs Variadic<Kiln_F32Tensor>:$results);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs) `->` type($results)";
  let builders = [
    OpBuilder<(ins "::mlir::ValueRange":$inputs, "int64_t":$bucket), [{
      build($_builder, $_state, inputs.getTypes(), inputs, bucket, false);
    }]>
  ];
  let hasVerifier = 1;
}

def Kiln_ElementwiseOp : Kiln_Op<"elementwise",
    [Pure, SingleBlock, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Applies a scalar body to every element of its inputs";
  let description = [{
    The body receives one f32 per input, at the same index, and yields one f32
    per result. Inputs have the results' shape, or are rank 0 and broadcast.
    The body holds `arith` and `math` ops and may use f32 values defined
    outside it (hyperparameters, the step number, the batch size). Activations
    and the pointwise part of losses are built from it, and so are the
    training passes' gradient transformations (regularization terms,
    clipping). Its gradient differentiates the body (ScalarDerivatives.cpp).

    ```mlir
    %g2 = kiln.elementwise (%g, %w) : (tensor<784x256xf32>, tensor<784x256xf32>)
        -> tensor<784x256xf32> {
    ^bb0(%gi: f32, %wi: f32):
      %0 = arith.mulf %l2, %wi : f32
      %1 = arith.addf %gi, %0 : f32
      kiln.yield %1 : f32
    }
    ```
  }];
  let arguments = (ins Variadic<Kiln_F32Tensor>:$inputs);
  let results = (outs Variadic<Kiln_F32Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
}

def Kiln_UpdateOp : Kiln_Op<"update",
    [MemoryEffects<[MemWrite]>, SingleBlock, AttrSizedOperandSegments]> {
  let summary = "Writes parameters and optimizer state in place, element by element";
  let description = [{
    `targets` are a parameter and its optimizer state (`kiln.param`,
    `kiln.state`), all of one shape; `inputs` are read (the gradient; rank-0
    inputs broadcast). The body receives the old value of every target, then
    every input, at one index, and yields the new value of every target, which
    is stored in place. No op after the update may read a target.

    ```mlir
    kiln.update (%w, %v) from (%g) : (tensor<10xf32>, tensor<10xf32>), (tensor<10xf32>) {
    ^bb0(%wi: f32, %vi: f32, %gi: f32):
      %0 = arith.mulf %mu, %vi : f32
      %v1 = arith.addf %0, %gi : f32
      %1 = arith.mulf %lr, %v1 : f32
      %w1 = arith.subf %wi, %1 : f32
      kiln.yield %w1, %v1 : f32, f32
    }
    ```
  }];
  let arguments = (ins Variadic<Kiln_F32Tensor>:$targets, Variadic<Kiln_F32Tensor>:$inputs);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $targets `)` (`from` `(` $inputs^ `)`)? attr-dict `:` `(` type($targets) `)`
    (`,` `(` type($inputs)^ `)`)? $body
  }];
  let hasVerifier = 1;
}

def Kiln_SumOp : Kiln_Op<"sum", [Pure, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Sum of all elements of a tensor";
  let description = [{
    ```mlir
    %s = kiln.sum %sq : tensor<784x256xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_Scalar:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

//===----------------------------------------------------------------------===//
// Training health (kiln-training-health; no gradient rules: they run after
// autodiff and only report)
//===----------------------------------------------------------------------===//

def Kiln_SumOfSquaresOp : Kiln_Op<"sum_of_squares", [Pure]> {
  let summary = "Sum of the squares of all elements (a squared L2 norm)";
  let description = [{
    ```mlir
    %n = kiln.sum_of_squares %gw : tensor<784x256xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input);
  let results = (outs Kiln_Scalar:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Kiln_DeadUnitsOp : Kiln_Op<"dead_units", [Pure]> {
  let summary = "How many units never activate: positions along `unit_axis` "
                "where the input is <= 0 at every other index";
  let description = [{
    For a relu output of shape [batch, features], a unit is a feature that no
    sample of the batch activates; for [batch, channels, h, w] (unit_axis 1)
    it is a channel that is zero everywhere. The result is the count, as f32.

    ```mlir
    %d = kiln.dead_units %h {unit_axis = 1 : i64} : tensor<?x256xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, I64Attr:$unit_axis);
  let results = (outs Kiln_Scalar:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

def Kiln_KernelOp : Kiln_Op<"kernel", [SingleBlock]> {
  let summary = "A fusion group that code generation lowers to one Halide pipeline";
  let description = [{
    The ops in the body run as one compiled kernel. Values defined outside and
    used inside are the kernel's inputs; the operands of the terminating
    `kiln.yield` are its outputs; update ops in the body write parameters in
    place. Kernels run in the order they appear.

    ```mlir
    %h = kiln.kernel "train_k0" -> tensor<?x256xf32> {
      %0 = kiln.matmul %x, %w : tensor<?x784xf32>, tensor<784x256xf32> -> tensor<?x256xf32>
      %1 = kiln.bias_add %0, %b : tensor<?x256xf32>, tensor<256xf32> -> tensor<?x256xf32>
      %2 = kiln.relu %1 : tensor<?x256xf32>
      kiln.yield %2 : tensor<?x256xf32>
    }
    ```
  }];
  let arguments = (ins StrAttr:$kernel_name);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$kernel_name (`->` type($results)^)? attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Kiln_YieldOp : Kiln_Op<"yield",
    [Pure, Terminator, ParentOneOf<["KernelOp", "ElementwiseOp", "UpdateOp"]>]> {
  let summary = "The outputs of a kernel, or the new element values of an elementwise body";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

include "Kiln/IR/NormalizationOps.td"

#endif // KILN_OPS_TD
