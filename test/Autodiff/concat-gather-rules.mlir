// The gradient rules of concatenation and embedding, through kiln-autodiff:
// kiln.concat's gradient is one kiln.slice of the incoming gradient per
// input, along the concat's axis, at offsets 0, the size of the first, the
// sum of the first two, ... (an input that takes no gradient gets no slice);
// kiln.gather's gradient is kiln.scatter_add of the incoming gradient at the
// same indices, into the table's type, which becomes the table's
// kiln.param_grad (a frozen table gets none). @predict keeps the forward ops
// and has no gradient ops.
// RUN: kiln-opt %s --kiln-autodiff -split-input-file | FileCheck %s

// Three matmul results [N, 3], [N, 5], [N, 4] joined into [N, 12]: the
// gradient of the join is cut back into [0, 3), [3, 8) and [8, 12), and each
// slice feeds its weight's gradient.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[X:.*]] = kiln.input "x"
// CHECK: %[[W1:.*]] = kiln.param "w1"
// CHECK-NEXT: %[[W2:.*]] = kiln.param "w2"
// CHECK-NEXT: %[[W3:.*]] = kiln.param "w3"
// CHECK: %[[J:.*]] = kiln.concat
// CHECK-NEXT: %[[V:.*]] = kiln.param "v"
// CHECK: %[[DL:.*]] = kiln.softmax_cross_entropy_grad
// CHECK-NEXT: %[[DJ:.*]] = kiln.matmul %[[DL]], %[[V]] {transpose_rhs = true} : tensor<?x2xf32>, tensor<12x2xf32> -> tensor<?x12xf32>
// CHECK-NEXT: %[[DV:.*]] = kiln.matmul %[[J]], %[[DL]] {transpose_lhs = true}
// CHECK-NEXT: %[[DA:.*]] = kiln.slice %[[DJ]] {axis = 1 : i64, offset = 0 : i64} : tensor<?x12xf32> -> tensor<?x3xf32>
// CHECK-NEXT: %[[DB:.*]] = kiln.slice %[[DJ]] {axis = 1 : i64, offset = 3 : i64} : tensor<?x12xf32> -> tensor<?x5xf32>
// CHECK-NEXT: %[[DC:.*]] = kiln.slice %[[DJ]] {axis = 1 : i64, offset = 8 : i64} : tensor<?x12xf32> -> tensor<?x4xf32>
// CHECK-NEXT: %[[DW3:.*]] = kiln.matmul %[[X]], %[[DC]] {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x4xf32> -> tensor<4x4xf32>
// CHECK-NEXT: %[[DW2:.*]] = kiln.matmul %[[X]], %[[DB]] {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x5xf32> -> tensor<4x5xf32>
// CHECK-NEXT: %[[DW1:.*]] = kiln.matmul %[[X]], %[[DA]] {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
// CHECK-NEXT: kiln.param_grad %[[W1]], %[[DW1]] : tensor<4x3xf32>
// CHECK-NEXT: kiln.param_grad %[[W2]], %[[DW2]] : tensor<4x5xf32>
// CHECK-NEXT: kiln.param_grad %[[W3]], %[[DW3]] : tensor<4x4xf32>
// CHECK-NEXT: kiln.param_grad %[[V]], %[[DV]] : tensor<12x2xf32>
// CHECK-LABEL: func.func @predict() -> tensor<?x2xf32> {
// CHECK-NOT: kiln.slice
// CHECK: %[[PJ:.*]] = kiln.concat %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : tensor<?x3xf32>, tensor<?x5xf32>, tensor<?x4xf32> -> tensor<?x12xf32>
// CHECK-NOT: kiln.slice
// CHECK: return
func.func @forward() -> (tensor<f32>, tensor<?x2xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w1 = kiln.param "w1" init "he_normal" : tensor<4x3xf32>
  %w2 = kiln.param "w2" init "he_normal" : tensor<4x5xf32>
  %w3 = kiln.param "w3" init "he_normal" : tensor<4x4xf32>
  %a = kiln.matmul %x, %w1 : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %b = kiln.matmul %x, %w2 : tensor<?x4xf32>, tensor<4x5xf32> -> tensor<?x5xf32>
  %c = kiln.matmul %x, %w3 : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %j = kiln.concat %a, %b, %c {axis = 1 : i64} : tensor<?x3xf32>, tensor<?x5xf32>, tensor<?x4xf32> -> tensor<?x12xf32>
  %v = kiln.param "v" init "he_normal" : tensor<12x2xf32>
  %l = kiln.matmul %j, %v : tensor<?x12xf32>, tensor<12x2xf32> -> tensor<?x2xf32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x2xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %l : tensor<f32>, tensor<?x2xf32>
}

// -----

// The model input first, then a matmul result: the input takes no gradient,
// so only the second range, [4, 7), is sliced out.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[X:.*]] = kiln.input "x"
// CHECK: %[[W1:.*]] = kiln.param "w1"
// CHECK: %[[DJ:.*]] = kiln.matmul %{{.*}}, %{{.*}} {transpose_rhs = true} : tensor<?x2xf32>, tensor<7x2xf32> -> tensor<?x7xf32>
// CHECK-NOT: kiln.slice
// CHECK: %[[DA:.*]] = kiln.slice %[[DJ]] {axis = 1 : i64, offset = 4 : i64} : tensor<?x7xf32> -> tensor<?x3xf32>
// CHECK-NEXT: %[[DW1:.*]] = kiln.matmul %[[X]], %[[DA]] {transpose_lhs = true}
// CHECK-NEXT: kiln.param_grad %[[W1]], %[[DW1]] : tensor<4x3xf32>
// CHECK-NOT: kiln.slice
// CHECK-LABEL: func.func @predict()
func.func @forward() -> (tensor<f32>, tensor<?x2xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w1 = kiln.param "w1" init "he_normal" : tensor<4x3xf32>
  %a = kiln.matmul %x, %w1 : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %j = kiln.concat %x, %a {axis = 1 : i64} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<?x7xf32>
  %v = kiln.param "v" init "he_normal" : tensor<7x2xf32>
  %l = kiln.matmul %j, %v : tensor<?x7xf32>, tensor<7x2xf32> -> tensor<?x2xf32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x2xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %l : tensor<f32>, tensor<?x2xf32>
}

// -----

// Two embedding lookups with the same [N, 5] indices, joined along axis 2
// (the table's rows, 4 + 3 + 4 wide) and flattened. The trainable table is
// read twice, so its two slices ([0, 4) and [7, 11)) are summed before
// kiln.scatter_add puts the rows back at their indices, into [20, 4]. The
// frozen table's range [4, 7) is not sliced and it gets no scatter_add.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[IDS:.*]] = kiln.input "ids" : tensor<?x5xi32>
// CHECK: %[[T:.*]] = kiln.param "table" init "normal(0, 1)" : tensor<20x4xf32>
// CHECK-NEXT: %[[F:.*]] = kiln.param "frozen_table" init "normal(0, 1)" {frozen} : tensor<7x3xf32>
// CHECK-NEXT: kiln.gather %[[T]], %[[IDS]] : tensor<20x4xf32>, tensor<?x5xi32> -> tensor<?x5x4xf32>
// CHECK-NEXT: kiln.gather %[[F]], %[[IDS]] : tensor<7x3xf32>, tensor<?x5xi32> -> tensor<?x5x3xf32>
// CHECK: %[[DR:.*]] = kiln.matmul %{{.*}}, %{{.*}} {transpose_rhs = true} : tensor<?x2xf32>, tensor<55x2xf32> -> tensor<?x55xf32>
// CHECK-NEXT: %[[DV:.*]] = kiln.matmul
// CHECK-NEXT: %[[DJ:.*]] = kiln.reshape %[[DR]] : tensor<?x55xf32> -> tensor<?x5x11xf32>
// CHECK-NEXT: %[[DE0:.*]] = kiln.slice %[[DJ]] {axis = 2 : i64, offset = 0 : i64} : tensor<?x5x11xf32> -> tensor<?x5x4xf32>
// CHECK-NEXT: %[[DE2:.*]] = kiln.slice %[[DJ]] {axis = 2 : i64, offset = 7 : i64} : tensor<?x5x11xf32> -> tensor<?x5x4xf32>
// CHECK-NEXT: %[[DE:.*]] = kiln.add %[[DE0]], %[[DE2]] : tensor<?x5x4xf32>
// CHECK-NEXT: %[[DT:.*]] = kiln.scatter_add %[[DE]], %[[IDS]] : tensor<?x5x4xf32>, tensor<?x5xi32> -> tensor<20x4xf32>
// CHECK-NEXT: kiln.param_grad %[[T]], %[[DT]] : tensor<20x4xf32>
// CHECK-NEXT: kiln.param_grad %{{.*}}, %[[DV]] : tensor<55x2xf32>
// CHECK-NEXT: return
// CHECK-LABEL: func.func @predict() -> tensor<?x2xf32> {
// CHECK-NOT: kiln.scatter_add
// CHECK: kiln.gather
// CHECK-NEXT: kiln.gather
// CHECK-NEXT: kiln.concat
// CHECK-NOT: kiln.scatter_add
// CHECK: return
func.func @forward() -> (tensor<f32>, tensor<?x2xf32>) {
  %ids = kiln.input "ids" : tensor<?x5xi32>
  %y = kiln.input "y" : tensor<?xi32>
  %t = kiln.param "table" init "normal(0, 1)" : tensor<20x4xf32>
  %f = kiln.param "frozen_table" init "normal(0, 1)" {frozen} : tensor<7x3xf32>
  %e = kiln.gather %t, %ids : tensor<20x4xf32>, tensor<?x5xi32> -> tensor<?x5x4xf32>
  %g = kiln.gather %f, %ids : tensor<7x3xf32>, tensor<?x5xi32> -> tensor<?x5x3xf32>
  %j = kiln.concat %e, %g, %e {axis = 2 : i64} : tensor<?x5x4xf32>, tensor<?x5x3xf32>, tensor<?x5x4xf32> -> tensor<?x5x11xf32>
  %r = kiln.reshape %j : tensor<?x5x11xf32> -> tensor<?x55xf32>
  %v = kiln.param "v" init "he_normal" : tensor<55x2xf32>
  %l = kiln.matmul %r, %v : tensor<?x55xf32>, tensor<55x2xf32> -> tensor<?x2xf32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x2xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %l : tensor<f32>, tensor<?x2xf32>
}

// -----

// Rank-1 indices (one row per sample) used directly as logits: the loss's
// gradient [N, 2] goes straight into scatter_add, with the same indices.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[TOK:.*]] = kiln.input "tok" : tensor<?xi32>
// CHECK: %[[T:.*]] = kiln.param "table" init "normal(0, 1)" : tensor<10x2xf32>
// CHECK: %[[DL:.*]] = kiln.softmax_cross_entropy_grad
// CHECK-NEXT: %[[DT:.*]] = kiln.scatter_add %[[DL]], %[[TOK]] : tensor<?x2xf32>, tensor<?xi32> -> tensor<10x2xf32>
// CHECK-NEXT: kiln.param_grad %[[T]], %[[DT]] : tensor<10x2xf32>
func.func @forward() -> (tensor<f32>, tensor<?x2xf32>) {
  %lab = kiln.input "tok" : tensor<?xi32>
  %y = kiln.input "y" : tensor<?xi32>
  %t = kiln.param "table" init "normal(0, 1)" : tensor<10x2xf32>
  %e = kiln.gather %t, %lab : tensor<10x2xf32>, tensor<?xi32> -> tensor<?x2xf32>
  %loss = kiln.softmax_cross_entropy %e, %y : tensor<?x2xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %e : tensor<f32>, tensor<?x2xf32>
}
