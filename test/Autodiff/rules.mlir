// kiln-autodiff turns @forward into @train_step: the forward ops, then the
// backward ops that each op's gradient rule produces (walking back from the
// loss, seeded with d loss = 1), then one kiln.param_grad per parameter, and
// a return of the loss alone.
// RUN: kiln-opt %s --kiln-autodiff -split-input-file | FileCheck %s

// Every rule of a two-layer network: the loss gives softmax_cross_entropy_grad
// seeded by kiln.fill 1.0; the second matmul gives two matmuls (the gradient
// of its input, W^T-transposed, and of its weight, input^T-transposed); relu
// gives relu_grad on the relu's output; bias_add gives reduce_sum over the
// batch for the bias and passes the gradient through; the first matmul gives
// only the weight gradient (the model input needs none).
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK-NEXT: %[[X:.*]] = kiln.input "x" : tensor<?x4xf32>
// CHECK-NEXT: %[[Y:.*]] = kiln.input "y" : tensor<?xi32>
// CHECK-NEXT: %[[W1:.*]] = kiln.param "w1"
// CHECK-NEXT: %[[M1:.*]] = kiln.matmul %[[X]], %[[W1]] :
// CHECK-NEXT: %[[B1:.*]] = kiln.param "b1"
// CHECK-NEXT: %[[Z1:.*]] = kiln.bias_add %[[M1]], %[[B1]] :
// CHECK-NEXT: %[[H:.*]] = kiln.relu %[[Z1]] :
// CHECK-NEXT: %[[W2:.*]] = kiln.param "w2"
// CHECK-NEXT: %[[L:.*]] = kiln.matmul %[[H]], %[[W2]] :
// CHECK-NEXT: %[[LOSS:.*]] = kiln.softmax_cross_entropy %[[L]], %[[Y]] :
// CHECK-NEXT: %[[ONE:.*]] = kiln.fill 1.000000e+00 : tensor<f32>
// CHECK-NEXT: %[[DL:.*]] = kiln.softmax_cross_entropy_grad %[[ONE]], %[[L]], %[[Y]] : tensor<f32>, tensor<?x3xf32>, tensor<?xi32> -> tensor<?x3xf32>
// CHECK-NEXT: %[[DH:.*]] = kiln.matmul %[[DL]], %[[W2]] {transpose_rhs = true} : tensor<?x3xf32>, tensor<8x3xf32> -> tensor<?x8xf32>
// CHECK-NEXT: %[[DW2:.*]] = kiln.matmul %[[H]], %[[DL]] {transpose_lhs = true} : tensor<?x8xf32>, tensor<?x3xf32> -> tensor<8x3xf32>
// CHECK-NEXT: %[[DZ1:.*]] = kiln.relu_grad %[[DH]], %[[H]] : tensor<?x8xf32>
// CHECK-NEXT: %[[DB1:.*]] = kiln.reduce_sum %[[DZ1]] {axis = 0 : i64} : tensor<?x8xf32> -> tensor<8xf32>
// CHECK-NEXT: %[[DW1:.*]] = kiln.matmul %[[X]], %[[DZ1]] {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x8xf32> -> tensor<4x8xf32>
// CHECK-NEXT: kiln.param_grad %[[W1]], %[[DW1]] : tensor<4x8xf32>
// CHECK-NEXT: kiln.param_grad %[[B1]], %[[DB1]] : tensor<8xf32>
// CHECK-NEXT: kiln.param_grad %[[W2]], %[[DW2]] : tensor<8x3xf32>
// CHECK-NEXT: return %[[LOSS]] : tensor<f32>
// CHECK-NOT: func.func @forward
func.func @forward() -> (tensor<f32>, tensor<?x3xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w1 = kiln.param "w1" init "he_normal" : tensor<4x8xf32>
  %m1 = kiln.matmul %x, %w1 : tensor<?x4xf32>, tensor<4x8xf32> -> tensor<?x8xf32>
  %b1 = kiln.param "b1" init "zeros" : tensor<8xf32>
  %z1 = kiln.bias_add %m1, %b1 : tensor<?x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
  %h = kiln.relu %z1 : tensor<?x8xf32>
  %w2 = kiln.param "w2" init "he_normal" : tensor<8x3xf32>
  %l = kiln.matmul %h, %w2 : tensor<?x8xf32>, tensor<8x3xf32> -> tensor<?x3xf32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %l : tensor<f32>, tensor<?x3xf32>
}

// -----

// A weight stored transposed (x * w^T, w of shape 3x4): its gradient is
// dl^T * x, in w's own layout, with no transpose op.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[X:.*]] = kiln.input "x"
// CHECK: %[[W:.*]] = kiln.param "w_t"
// CHECK: %[[DL:.*]] = kiln.softmax_cross_entropy_grad
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[DL]], %[[X]] {transpose_lhs = true} : tensor<?x3xf32>, tensor<?x4xf32> -> tensor<3x4xf32>
// CHECK-NEXT: kiln.param_grad %[[W]], %[[DW]] : tensor<3x4xf32>
func.func @forward() -> (tensor<f32>, tensor<?x3xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w = kiln.param "w_t" init "he_normal" : tensor<3x4xf32>
  %l = kiln.matmul %x, %w {transpose_rhs = true} : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %l : tensor<f32>, tensor<?x3xf32>
}

// -----

// A transposed left operand (l = w^T * v, w of shape 4x2): the gradient of w
// is v * dl^T, again in w's layout, and that of v is w * dl.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[V:.*]] = kiln.param "v"
// CHECK: %[[W:.*]] = kiln.param "w"
// CHECK: %[[DL:.*]] = kiln.softmax_cross_entropy_grad
// CHECK-DAG: %[[DW:.*]] = kiln.matmul %[[V]], %[[DL]] {transpose_rhs = true} : tensor<4x3xf32>, tensor<2x3xf32> -> tensor<4x2xf32>
// CHECK-DAG: %[[DV:.*]] = kiln.matmul %[[W]], %[[DL]] : tensor<4x2xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
// CHECK-DAG: kiln.param_grad %[[W]], %[[DW]] : tensor<4x2xf32>
// CHECK-DAG: kiln.param_grad %[[V]], %[[DV]] : tensor<4x3xf32>
func.func @forward() -> (tensor<f32>, tensor<2x3xf32>) {
  %y = kiln.input "y" : tensor<?xi32>
  %v = kiln.param "v" init "he_normal" : tensor<4x3xf32>
  %w = kiln.param "w" init "he_normal" : tensor<4x2xf32>
  %l = kiln.matmul %w, %v {transpose_lhs = true} : tensor<4x2xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<2x3xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %l : tensor<f32>, tensor<2x3xf32>
}

// -----

// A value with two users (a residual connection through kiln.add): the
// gradients reaching it along both paths are summed with kiln.add.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[X:.*]] = kiln.input "x"
// CHECK: %[[W:.*]] = kiln.param "w"
// CHECK: %[[R:.*]] = kiln.relu
// CHECK: %[[DS:.*]] = kiln.softmax_cross_entropy_grad
// CHECK-NEXT: %[[DR:.*]] = kiln.relu_grad %[[DS]], %[[R]] : tensor<?x4xf32>
// CHECK-NEXT: %[[DM:.*]] = kiln.add %[[DS]], %[[DR]] : tensor<?x4xf32>
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DM]] {transpose_lhs = true}
// CHECK-NEXT: kiln.param_grad %[[W]], %[[DW]] : tensor<4x4xf32>
func.func @forward() -> (tensor<f32>, tensor<?x4xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w = kiln.param "w" init "he_normal" : tensor<4x4xf32>
  %m = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %r = kiln.relu %m : tensor<?x4xf32>
  %s = kiln.add %m, %r : tensor<?x4xf32>
  %loss = kiln.softmax_cross_entropy %s, %y : tensor<?x4xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %s : tensor<f32>, tensor<?x4xf32>
}

// -----

// A parameter used by two layers (shared weights): one param_grad, of the sum
// of both layers' contributions.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[X:.*]] = kiln.input "x"
// CHECK: %[[W:.*]] = kiln.param "shared"
// CHECK: %[[H:.*]] = kiln.matmul %[[X]], %[[W]] :
// CHECK: %[[DL:.*]] = kiln.softmax_cross_entropy_grad
// CHECK-NEXT: %[[DH:.*]] = kiln.matmul %[[DL]], %[[W]] {transpose_rhs = true}
// CHECK-NEXT: %[[DW2:.*]] = kiln.matmul %[[H]], %[[DL]] {transpose_lhs = true}
// CHECK-NEXT: %[[DW1:.*]] = kiln.matmul %[[X]], %[[DH]] {transpose_lhs = true}
// CHECK-NEXT: %[[DW:.*]] = kiln.add %[[DW2]], %[[DW1]] : tensor<4x4xf32>
// CHECK-NEXT: kiln.param_grad %[[W]], %[[DW]] : tensor<4x4xf32>
// CHECK-NOT: kiln.param_grad
func.func @forward() -> (tensor<f32>, tensor<?x4xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w = kiln.param "shared" init "he_normal" : tensor<4x4xf32>
  %h = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %l = kiln.matmul %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x4xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %l : tensor<f32>, tensor<?x4xf32>
}
