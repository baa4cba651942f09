// The gradient rules of the layer set, through kiln-autodiff: elementwise
// (reverse mode over the scalar body), conv2d, pool2d, reshape, bias_add on
// NCHW, log_softmax, sum, reduce_sum, dropout, and the resolution of
// kiln.phase (training form in @train_step, inference form in @predict,
// kiln.update kept in @train_step only).
// RUN: kiln-opt %s --kiln-autodiff -split-input-file | FileCheck %s

// An elementwise tanh: its gradient is one kiln.elementwise of the incoming
// gradient and the forward input, whose body recomputes y = tanh(v) and
// yields g * (1 - y * y). (The order of the constant 1 and of y * y follows
// the C++ compiler's order of evaluating arguments: CHECK-DAG.)
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[X:.*]] = kiln.input "x"
// CHECK: %[[W:.*]] = kiln.param "w"
// CHECK: %[[Z:.*]] = kiln.matmul %[[X]], %[[W]]
// CHECK: %[[T:.*]] = kiln.elementwise(%[[Z]])
// CHECK: %[[DT:.*]] = kiln.softmax_cross_entropy_grad %{{.*}}, %[[T]], %{{.*}}
// CHECK-NEXT: %[[DZ:.*]] = kiln.elementwise(%[[DT]], %[[Z]]) : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32> {
// CHECK-NEXT: ^bb0(%[[G:.*]]: f32, %[[V:.*]]: f32):
// CHECK-NEXT: %[[Y:.*]] = math.tanh %[[V]] : f32
// CHECK-DAG: %[[YY:.*]] = arith.mulf %[[Y]], %[[Y]] : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[D:.*]] = arith.subf %[[ONE]], %[[YY]] : f32
// CHECK-NEXT: %[[GD:.*]] = arith.mulf %[[G]], %[[D]] : f32
// CHECK-NEXT: kiln.yield %[[GD]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DZ]] {transpose_lhs = true}
// CHECK-NEXT: kiln.param_grad %[[W]], %[[DW]] : tensor<4x3xf32>
// CHECK-LABEL: func.func @predict() -> tensor<?x3xf32> {
// CHECK: %[[PT:.*]] = kiln.elementwise
// CHECK: math.tanh
// CHECK: return %[[PT]]
func.func @forward() -> (tensor<f32>, tensor<?x3xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %z = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %t = kiln.elementwise (%z) : (tensor<?x3xf32>) -> tensor<?x3xf32> {
  ^bb0(%v: f32):
    %0 = math.tanh %v : f32
    kiln.yield %0 : f32
  }
  %loss = kiln.softmax_cross_entropy %t, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %t : tensor<f32>, tensor<?x3xf32>
}

// -----

// A two-input body y = a v + v with a rank-0 parameter a (as prelu's slope):
// one gradient op yields both adjoints, dv = g + g a (the two uses of v
// summed) and da = g v; a is broadcast from rank 0, so its adjoints are
// summed over every element with kiln.sum.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[X:.*]] = kiln.input "x"
// CHECK: %[[W:.*]] = kiln.param "w"
// CHECK: %[[A:.*]] = kiln.param "a" init "constant(0.25)" : tensor<f32>
// CHECK: %[[Z:.*]] = kiln.matmul %[[X]], %[[W]]
// CHECK: %[[DY:.*]] = kiln.softmax_cross_entropy_grad
// CHECK-NEXT: %[[GR:.*]]:2 = kiln.elementwise(%[[DY]], %[[Z]], %[[A]]) : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<f32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
// CHECK-NEXT: ^bb0(%[[G:.*]]: f32, %[[V:.*]]: f32, %[[S:.*]]: f32):
// CHECK: %[[DA:.*]] = arith.mulf %[[G]], %[[V]] : f32
// CHECK-NEXT: %[[GS:.*]] = arith.mulf %[[G]], %[[S]] : f32
// CHECK-NEXT: %[[DV:.*]] = arith.addf %[[G]], %[[GS]] : f32
// CHECK-NEXT: kiln.yield %[[DV]], %[[DA]] : f32, f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[SUMA:.*]] = kiln.sum %[[GR]]#1 : tensor<?x3xf32> -> tensor<f32>
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[GR]]#0 {transpose_lhs = true}
// CHECK-NEXT: kiln.param_grad %[[W]], %[[DW]] : tensor<4x3xf32>
// CHECK-NEXT: kiln.param_grad %[[A]], %[[SUMA]] : tensor<f32>
func.func @forward() -> (tensor<f32>, tensor<?x3xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %a = kiln.param "a" init "constant(0.25)" : tensor<f32>
  %z = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %t = kiln.elementwise (%z, %a) : (tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32> {
  ^bb0(%v: f32, %s: f32):
    %0 = arith.mulf %s, %v : f32
    %1 = arith.addf %0, %v : f32
    kiln.yield %1 : f32
  }
  %loss = kiln.softmax_cross_entropy %t, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %t : tensor<f32>, tensor<?x3xf32>
}

// -----

// A small convolutional network, walked backwards: reshape gives a reshape
// back to the pooling's shape; pool2d gives pool2d_grad of that and the
// pooling's input, with the pooling's attributes; conv2d gives
// conv2d_grad_input (of the filter) and conv2d_grad_filter (of the input),
// both with the convolution's stride, dilation and padding; bias_add on NCHW
// sums the gradient over W, H, then the batch for its [C] bias.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[B0:.*]] = kiln.param "shift"
// CHECK-NEXT: %[[XS:.*]] = kiln.bias_add
// CHECK-NEXT: %[[W:.*]] = kiln.param "conv.weight"
// CHECK-NEXT: %[[C:.*]] = kiln.conv2d %[[XS]], %[[W]]
// CHECK-NEXT: %[[P:.*]] = kiln.pool2d %[[C]]
// CHECK-NEXT: %[[F:.*]] = kiln.reshape %[[P]]
// CHECK-NEXT: %[[V:.*]] = kiln.param "dense.weight"
// CHECK: %[[DL:.*]] = kiln.softmax_cross_entropy_grad
// CHECK-NEXT: %[[DF:.*]] = kiln.matmul %[[DL]], %[[V]] {transpose_rhs = true} : tensor<?x3xf32>, tensor<8x3xf32> -> tensor<?x8xf32>
// CHECK-NEXT: %[[DV:.*]] = kiln.matmul %[[F]], %[[DL]] {transpose_lhs = true}
// CHECK-NEXT: %[[DP:.*]] = kiln.reshape %[[DF]] : tensor<?x8xf32> -> tensor<?x2x2x2xf32>
// CHECK-NEXT: %[[DC:.*]] = kiln.pool2d_grad %[[DP]], %[[C]] {kernel = 2 : i64, kind = "max", padding = array<i64: 0, 0, 0, 0>, stride = 2 : i64} : tensor<?x2x2x2xf32>, tensor<?x2x4x4xf32> -> tensor<?x2x4x4xf32>
// CHECK-NEXT: %[[DXS:.*]] = kiln.conv2d_grad_input %[[DC]], %[[W]] {dilation = 2 : i64, padding = array<i64: 1, 1, 2, 2>, stride = 2 : i64} : tensor<?x2x4x4xf32>, tensor<2x1x3x3xf32> -> tensor<?x1x8x8xf32>
// CHECK-NEXT: %[[DW:.*]] = kiln.conv2d_grad_filter %[[DC]], %[[XS]] {dilation = 2 : i64, padding = array<i64: 1, 1, 2, 2>, stride = 2 : i64} : tensor<?x2x4x4xf32>, tensor<?x1x8x8xf32> -> tensor<2x1x3x3xf32>
// CHECK-NEXT: %[[R3:.*]] = kiln.reduce_sum %[[DXS]] {axis = 3 : i64} : tensor<?x1x8x8xf32> -> tensor<?x1x8xf32>
// CHECK-NEXT: %[[R2:.*]] = kiln.reduce_sum %[[R3]] {axis = 2 : i64} : tensor<?x1x8xf32> -> tensor<?x1xf32>
// CHECK-NEXT: %[[DB0:.*]] = kiln.reduce_sum %[[R2]] {axis = 0 : i64} : tensor<?x1xf32> -> tensor<1xf32>
// CHECK-NEXT: kiln.param_grad %[[B0]], %[[DB0]] : tensor<1xf32>
// CHECK-NEXT: kiln.param_grad %[[W]], %[[DW]] : tensor<2x1x3x3xf32>
// CHECK-NEXT: kiln.param_grad %[[V]], %[[DV]] : tensor<8x3xf32>
// CHECK-LABEL: func.func @predict() -> tensor<?x3xf32> {
// CHECK-NOT: _grad
// CHECK: return
func.func @forward() -> (tensor<f32>, tensor<?x3xf32>) {
  %x = kiln.input "x" : tensor<?x1x8x8xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %b0 = kiln.param "shift" init "zeros" : tensor<1xf32>
  %xs = kiln.bias_add %x, %b0 : tensor<?x1x8x8xf32>, tensor<1xf32> -> tensor<?x1x8x8xf32>
  %w = kiln.param "conv.weight" init "he_normal" : tensor<2x1x3x3xf32>
  %c = kiln.conv2d %xs, %w {stride = 2 : i64, dilation = 2 : i64, padding = array<i64: 1, 1, 2, 2>}
      : tensor<?x1x8x8xf32>, tensor<2x1x3x3xf32> -> tensor<?x2x4x4xf32>
  %p = kiln.pool2d %c {kind = "max", kernel = 2 : i64, stride = 2 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x2x4x4xf32> -> tensor<?x2x2x2xf32>
  %f = kiln.reshape %p : tensor<?x2x2x2xf32> -> tensor<?x8xf32>
  %v = kiln.param "dense.weight" init "he_normal" : tensor<8x3xf32>
  %l = kiln.matmul %f, %v : tensor<?x8xf32>, tensor<8x3xf32> -> tensor<?x3xf32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %l : tensor<f32>, tensor<?x3xf32>
}

// -----

// Average pooling keeps its kind in the gradient; a convolution whose input
// is the model input gets no conv2d_grad_input (it would be dead).
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[X:.*]] = kiln.input "x"
// CHECK: %[[C:.*]] = kiln.conv2d %[[X]]
// CHECK: kiln.pool2d_grad %{{.*}}, %[[C]] {kernel = 3 : i64, kind = "avg", padding = array<i64: 1, 1, 1, 1>, stride = 1 : i64} : tensor<?x2x6x6xf32>, tensor<?x2x6x6xf32> -> tensor<?x2x6x6xf32>
// CHECK-NOT: kiln.conv2d_grad_input
// CHECK: kiln.conv2d_grad_filter %{{.*}}, %[[X]]
// CHECK-NOT: kiln.conv2d_grad_input
// CHECK-LABEL: func.func @predict()
func.func @forward() -> (tensor<f32>, tensor<?x3xf32>) {
  %x = kiln.input "x" : tensor<?x1x6x6xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w = kiln.param "conv.weight" init "he_normal" : tensor<2x1x3x3xf32>
  %c = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 1, 1, 1, 1>}
      : tensor<?x1x6x6xf32>, tensor<2x1x3x3xf32> -> tensor<?x2x6x6xf32>
  %p = kiln.pool2d %c {kind = "avg", kernel = 3 : i64, stride = 1 : i64, padding = array<i64: 1, 1, 1, 1>}
      : tensor<?x2x6x6xf32> -> tensor<?x2x6x6xf32>
  %f = kiln.reshape %p : tensor<?x2x6x6xf32> -> tensor<?x72xf32>
  %v = kiln.param "dense.weight" init "he_normal" : tensor<72x3xf32>
  %l = kiln.matmul %f, %v : tensor<?x72xf32>, tensor<72x3xf32> -> tensor<?x3xf32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %l : tensor<f32>, tensor<?x3xf32>
}

// -----

// Categorical cross-entropy as the importer builds it, backwards: the loss
// sum / n gives g / n (n = kiln.batch, read from outside the body, takes no
// gradient); kiln.sum spreads its gradient over every element with an
// elementwise op from rank 0; -(t * l) gives -g l for t and -g t for l; and
// log_softmax gives dy - exp(y) * (row sum of dy broadcast back over the
// row), with reduce_sum and broadcast along axis 1.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[X:.*]] = kiln.input "x"
// CHECK: %[[T:.*]] = kiln.input "t"
// CHECK: %[[Z:.*]] = kiln.matmul
// CHECK: %[[LP:.*]] = kiln.log_softmax %[[Z]]
// CHECK: %[[SUM:.*]] = kiln.sum
// CHECK-NEXT: %[[N:.*]] = kiln.batch : f32
// CHECK: %[[ONE:.*]] = kiln.fill 1.000000e+00 : tensor<f32>
// CHECK-NEXT: %[[DSUM:.*]] = kiln.elementwise(%[[ONE]], %[[SUM]]) : (tensor<f32>, tensor<f32>) -> tensor<f32> {
// CHECK-NEXT: ^bb0(%[[G:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[GN:.*]] = arith.divf %[[G]], %[[N]] : f32
// CHECK: kiln.yield %[[GN]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[DTERMS:.*]] = kiln.elementwise(%[[DSUM]]) : (tensor<f32>) -> tensor<?x3xf32> {
// CHECK-NEXT: ^bb0(%[[GS:.*]]: f32):
// CHECK-NEXT: kiln.yield %[[GS]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[DTL:.*]]:2 = kiln.elementwise(%[[DTERMS]], %[[T]], %[[LP]]) : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
// CHECK-NEXT: ^bb0(%[[GT:.*]]: f32, %[[TI:.*]]: f32, %[[LI:.*]]: f32):
// CHECK: %[[NG:.*]] = arith.negf %[[GT]] : f32
// CHECK: %[[DT:.*]] = arith.mulf %[[NG]], %[[LI]] : f32
// CHECK-NEXT: %[[DLI:.*]] = arith.mulf %[[NG]], %[[TI]] : f32
// CHECK-NEXT: kiln.yield %[[DT]], %[[DLI]] : f32, f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[ROW:.*]] = kiln.reduce_sum %[[DTL]]#1 {axis = 1 : i64} : tensor<?x3xf32> -> tensor<?xf32>
// CHECK-NEXT: %[[SPREAD:.*]] = kiln.broadcast %[[ROW]] {axis = 1 : i64} : tensor<?xf32> -> tensor<?x3xf32>
// CHECK-NEXT: %[[DZ:.*]] = kiln.elementwise(%[[DTL]]#1, %[[LP]], %[[SPREAD]]) : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32> {
// CHECK-NEXT: ^bb0(%[[DY:.*]]: f32, %[[Y:.*]]: f32, %[[RS:.*]]: f32):
// CHECK-NEXT: %[[E:.*]] = math.exp %[[Y]] : f32
// CHECK-NEXT: %[[ER:.*]] = arith.mulf %[[E]], %[[RS]] : f32
// CHECK-NEXT: %[[DX:.*]] = arith.subf %[[DY]], %[[ER]] : f32
// CHECK-NEXT: kiln.yield %[[DX]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DZ]] {transpose_lhs = true}
// CHECK-NEXT: kiln.param_grad %{{.*}}, %[[DW]] : tensor<4x3xf32>
// CHECK-LABEL: func.func @predict() -> tensor<?x3xf32> {
// CHECK-NOT: kiln.log_softmax
// CHECK: return
func.func @forward() -> (tensor<f32>, tensor<?x3xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %t = kiln.input "t" : tensor<?x3xf32>
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %z = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %lp = kiln.log_softmax %z : tensor<?x3xf32>
  %terms = kiln.elementwise (%t, %lp) : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32> {
  ^bb0(%ti: f32, %li: f32):
    %0 = arith.mulf %ti, %li : f32
    %1 = arith.negf %0 : f32
    kiln.yield %1 : f32
  }
  %sum = kiln.sum %terms : tensor<?x3xf32> -> tensor<f32>
  %n = kiln.batch : f32
  %loss = kiln.elementwise (%sum) : (tensor<f32>) -> tensor<f32> {
  ^bb0(%s: f32):
    %0 = arith.divf %s, %n : f32
    kiln.yield %0 : f32
  }
  return %loss, %z : tensor<f32>, tensor<?x3xf32>
}

// -----

// Dropout behind kiln.phase: @train_step takes the dropped form, and the
// gradient is the same dropout (same rate, step and seed) applied to the
// incoming gradient; reduce_sum gives a broadcast along its axis; bias_add
// on rank 3 sums over axis 2, then the batch. @predict takes the inference
// form: no dropout, rate or step.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[B:.*]] = kiln.param "w"
// CHECK-NEXT: %[[H:.*]] = kiln.bias_add
// CHECK-NEXT: %[[R:.*]] = kiln.reduce_sum %[[H]] {axis = 2 : i64}
// CHECK-NEXT: %[[RATE:.*]] = kiln.hyperparam "dropout0.rate"
// CHECK-NEXT: %[[STEP:.*]] = kiln.step : f32
// CHECK-NEXT: %[[D:.*]] = kiln.dropout %[[R]], %[[RATE]], %[[STEP]] {seed = 5 : i64} : tensor<?x3xf32>
// CHECK-NEXT: %[[LOSS:.*]] = kiln.softmax_cross_entropy %[[D]],
// CHECK-NEXT: %[[ONE:.*]] = kiln.fill
// CHECK-NEXT: %[[DD:.*]] = kiln.softmax_cross_entropy_grad %[[ONE]], %[[D]],
// CHECK-NEXT: %[[DR:.*]] = kiln.dropout %[[DD]], %[[RATE]], %[[STEP]] {seed = 5 : i64} : tensor<?x3xf32>
// CHECK-NEXT: %[[DH:.*]] = kiln.broadcast %[[DR]] {axis = 2 : i64} : tensor<?x3xf32> -> tensor<?x3x4xf32>
// CHECK-NEXT: %[[S2:.*]] = kiln.reduce_sum %[[DH]] {axis = 2 : i64} : tensor<?x3x4xf32> -> tensor<?x3xf32>
// CHECK-NEXT: %[[DB:.*]] = kiln.reduce_sum %[[S2]] {axis = 0 : i64} : tensor<?x3xf32> -> tensor<3xf32>
// CHECK-NEXT: kiln.param_grad %[[B]], %[[DB]] : tensor<3xf32>
// CHECK-NEXT: return %[[LOSS]] : tensor<f32>
// CHECK-LABEL: func.func @predict() -> tensor<?x3xf32> {
// CHECK-NEXT: %[[PX:.*]] = kiln.input "x"
// CHECK-NEXT: %[[PB:.*]] = kiln.param "w"
// CHECK-NEXT: %[[PH:.*]] = kiln.bias_add %[[PX]], %[[PB]]
// CHECK-NEXT: %[[PR:.*]] = kiln.reduce_sum %[[PH]] {axis = 2 : i64}
// CHECK-NEXT: return %[[PR]] : tensor<?x3xf32>
// CHECK-NOT: kiln.phase
func.func @forward() -> (tensor<f32>, tensor<?x3xf32>) {
  %x = kiln.input "x" : tensor<?x3x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w = kiln.param "w" init "he_normal" : tensor<3xf32>
  %h = kiln.bias_add %x, %w : tensor<?x3x4xf32>, tensor<3xf32> -> tensor<?x3x4xf32>
  %r = kiln.reduce_sum %h {axis = 2 : i64} : tensor<?x3x4xf32> -> tensor<?x3xf32>
  %rate = kiln.hyperparam "dropout0.rate" default 0.5 in [0.0, 1.0) : f32
  %step = kiln.step : f32
  %d = kiln.dropout %r, %rate, %step {seed = 5 : i64} : tensor<?x3xf32>
  %p = kiln.phase %d, %r : tensor<?x3xf32>
  %loss = kiln.softmax_cross_entropy %p, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %p : tensor<f32>, tensor<?x3xf32>
}

// -----

// A layer with running statistics (as batch normalization has): training
// uses the batch value and updates the state; inference reads the state.
// @train_step keeps the kiln.update and drops the inference form; @predict
// drops the update and the statistic it was fed, and reads the state.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[S:.*]] = kiln.state "w.running"
// CHECK-NEXT: %[[Z:.*]] = kiln.matmul
// CHECK-NEXT: %[[M:.*]] = kiln.reduce_sum %[[Z]] {axis = 0 : i64}
// CHECK-NEXT: kiln.update(%[[S]]) from(%[[M]])
// CHECK: %[[LOSS:.*]] = kiln.softmax_cross_entropy %[[Z]],
// CHECK-NOT: kiln.bias_add
// CHECK: return %[[LOSS]]
// CHECK-LABEL: func.func @predict() -> tensor<?x3xf32> {
// CHECK: %[[PS:.*]] = kiln.state "w.running"
// CHECK-NEXT: %[[PZ:.*]] = kiln.matmul
// CHECK-NEXT: %[[PI:.*]] = kiln.bias_add %[[PZ]], %[[PS]]
// CHECK-NEXT: return %[[PI]] : tensor<?x3xf32>
// CHECK-NOT: kiln.update
func.func @forward() -> (tensor<f32>, tensor<?x3xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %s = kiln.state "w.running" of "w" init 0.0 : tensor<3xf32>
  %z = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %inf = kiln.bias_add %z, %s : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %m = kiln.reduce_sum %z {axis = 0 : i64} : tensor<?x3xf32> -> tensor<3xf32>
  %p = kiln.phase %z, %inf : tensor<?x3xf32>
  kiln.update (%s) from (%m) : (tensor<3xf32>), (tensor<3xf32>) {
  ^bb0(%si: f32, %mi: f32):
    %0 = arith.addf %si, %mi : f32
    kiln.yield %0 : f32
  }
  %loss = kiln.softmax_cross_entropy %p, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %p : tensor<f32>, tensor<?x3xf32>
}
