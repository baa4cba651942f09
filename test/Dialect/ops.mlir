// Every kiln op prints in a form that parses back to the same op: parse,
// print, parse the printed text again, print, and check that form.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// The generic form (properties, regions) parses back to the same ops too.
// RUN: kiln-opt %s -mlir-print-op-generic | kiln-opt | FileCheck %s

// Storage ops: input (batch-leading, f32 or i32), param, hyperparam, fill.
// CHECK-LABEL: func.func @storage
func.func @storage() -> (tensor<?x784xf32>, tensor<?xi32>, tensor<784x256xf32>, f32, tensor<f32>) {
  // CHECK: %[[X:.*]] = kiln.input "x" : tensor<?x784xf32>
  %x = kiln.input "x" : tensor<?x784xf32>
  // CHECK: %[[Y:.*]] = kiln.input "y" : tensor<?xi32>
  %y = kiln.input "y" : tensor<?xi32>
  // CHECK: %[[W:.*]] = kiln.param "dense0.weight" init "he_normal" : tensor<784x256xf32>
  %w = kiln.param "dense0.weight" init "he_normal" : tensor<784x256xf32>
  // CHECK: %[[LR:.*]] = kiln.hyperparam "lr" default 1.000000e-01 in (0.000000e+00, inf) : f32
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  // CHECK: %[[ONE:.*]] = kiln.fill 1.000000e+00 : tensor<f32>
  %one = kiln.fill 1.0 : tensor<f32>
  // CHECK: return %[[X]], %[[Y]], %[[W]], %[[LR]], %[[ONE]] :
  return %x, %y, %w, %lr, %one : tensor<?x784xf32>, tensor<?xi32>, tensor<784x256xf32>, f32, tensor<f32>
}

// A hyperparam's range: each end open or closed, unbounded ends as inf, and
// whole numbers only when marked integer.
// CHECK-LABEL: func.func @hyperparam_ranges
func.func @hyperparam_ranges() -> (f32, f32, f32) {
  // CHECK: kiln.hyperparam "dropout0.rate" default 5.000000e-01 in [0.000000e+00, 1.000000e+00) : f32
  %rate = kiln.hyperparam "dropout0.rate" default 0.5 in [0.0, 1.0) : f32
  // CHECK: kiln.hyperparam "gamma" default 1.000000e-01 in (0.000000e+00, 1.000000e+00] : f32
  %gamma = kiln.hyperparam "gamma" default 0.1 in (0.0, 1.0] : f32
  // CHECK: kiln.hyperparam "shift" default -2.000000e+00 in [-inf, inf] integer : f32
  %shift = kiln.hyperparam "shift" default -2.0 in [-inf, inf] integer : f32
  return %rate, %gamma, %shift : f32, f32, f32
}

// Every initializer name the param verifier accepts.
// CHECK-LABEL: func.func @inits
func.func @inits() -> (tensor<4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  // CHECK: kiln.param "a" init "zeros" : tensor<4xf32>
  // CHECK: kiln.param "b" init "he_normal" : tensor<4x4xf32>
  // CHECK: kiln.param "c" init "he_uniform" : tensor<4x4xf32>
  // CHECK: kiln.param "d" init "xavier_normal" : tensor<4x4xf32>
  // CHECK: kiln.param "e" init "xavier_uniform" : tensor<4x4xf32>
  %a = kiln.param "a" init "zeros" : tensor<4xf32>
  %b = kiln.param "b" init "he_normal" : tensor<4x4xf32>
  %c = kiln.param "c" init "he_uniform" : tensor<4x4xf32>
  %d = kiln.param "d" init "xavier_normal" : tensor<4x4xf32>
  %e = kiln.param "e" init "xavier_uniform" : tensor<4x4xf32>
  return %a, %b, %c, %d, %e : tensor<4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}

// Layers: matmul (plain and with each transpose flag), bias_add, relu,
// softmax_cross_entropy and add.
// CHECK-LABEL: func.func @layers
// CHECK-SAME: (%[[X:.*]]: tensor<?x784xf32>, %[[W:.*]]: tensor<784x256xf32>, %[[B:.*]]: tensor<256xf32>, %[[Y:.*]]: tensor<?xi32>, %[[V:.*]]: tensor<256x10xf32>)
func.func @layers(%x: tensor<?x784xf32>, %w: tensor<784x256xf32>, %b: tensor<256xf32>,
                  %y: tensor<?xi32>, %v: tensor<256x10xf32>) -> (tensor<f32>, tensor<784x256xf32>, tensor<?x784xf32>) {
  // CHECK: %[[H:.*]] = kiln.matmul %[[X]], %[[W]] : tensor<?x784xf32>, tensor<784x256xf32> -> tensor<?x256xf32>
  %h = kiln.matmul %x, %w : tensor<?x784xf32>, tensor<784x256xf32> -> tensor<?x256xf32>
  // CHECK: %[[Z:.*]] = kiln.bias_add %[[H]], %[[B]] : tensor<?x256xf32>, tensor<256xf32> -> tensor<?x256xf32>
  %z = kiln.bias_add %h, %b : tensor<?x256xf32>, tensor<256xf32> -> tensor<?x256xf32>
  // CHECK: %[[A:.*]] = kiln.relu %[[Z]] : tensor<?x256xf32>
  %a = kiln.relu %z : tensor<?x256xf32>
  // CHECK: %[[S:.*]] = kiln.add %[[A]], %[[Z]] : tensor<?x256xf32>
  %s = kiln.add %a, %z : tensor<?x256xf32>
  // CHECK: %[[L:.*]] = kiln.matmul %[[S]], %[[V]] : tensor<?x256xf32>, tensor<256x10xf32> -> tensor<?x10xf32>
  %l = kiln.matmul %s, %v : tensor<?x256xf32>, tensor<256x10xf32> -> tensor<?x10xf32>
  // CHECK: %[[LOSS:.*]] = kiln.softmax_cross_entropy %[[L]], %[[Y]] : tensor<?x10xf32>, tensor<?xi32> -> tensor<f32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x10xf32>, tensor<?xi32> -> tensor<f32>
  // CHECK: %[[GW:.*]] = kiln.matmul %[[X]], %[[S]] {transpose_lhs = true} : tensor<?x784xf32>, tensor<?x256xf32> -> tensor<784x256xf32>
  %gw = kiln.matmul %x, %s {transpose_lhs = true} : tensor<?x784xf32>, tensor<?x256xf32> -> tensor<784x256xf32>
  // CHECK: %[[GX:.*]] = kiln.matmul %[[S]], %[[W]] {transpose_rhs = true} : tensor<?x256xf32>, tensor<784x256xf32> -> tensor<?x784xf32>
  %gx = kiln.matmul %s, %w {transpose_rhs = true} : tensor<?x256xf32>, tensor<784x256xf32> -> tensor<?x784xf32>
  // CHECK: return %[[LOSS]], %[[GW]], %[[GX]] :
  return %loss, %gw, %gx : tensor<f32>, tensor<784x256xf32>, tensor<?x784xf32>
}

// Both transpose flags at once: (A^T)(B^T) of a 3x2 and a 4x3 is 2x4.
// CHECK-LABEL: func.func @matmul_both_transposed
// CHECK-SAME: (%[[A:.*]]: tensor<3x2xf32>, %[[B:.*]]: tensor<4x3xf32>)
func.func @matmul_both_transposed(%a: tensor<3x2xf32>, %b: tensor<4x3xf32>) -> tensor<2x4xf32> {
  // CHECK: kiln.matmul %[[A]], %[[B]] {transpose_lhs = true, transpose_rhs = true} : tensor<3x2xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  %c = kiln.matmul %a, %b {transpose_lhs = true, transpose_rhs = true} : tensor<3x2xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  return %c : tensor<2x4xf32>
}

// A transpose flag set to its default (false) is not printed.
// CHECK-LABEL: func.func @matmul_default_flag
// CHECK-SAME: (%[[A:.*]]: tensor<3x2xf32>, %[[B:.*]]: tensor<2x4xf32>)
func.func @matmul_default_flag(%a: tensor<3x2xf32>, %b: tensor<2x4xf32>) -> tensor<3x4xf32> {
  // CHECK: kiln.matmul %[[A]], %[[B]] : tensor<3x2xf32>, tensor<2x4xf32> -> tensor<3x4xf32>
  // CHECK-NOT: transpose
  %c = kiln.matmul %a, %b {transpose_lhs = false} : tensor<3x2xf32>, tensor<2x4xf32> -> tensor<3x4xf32>
  return %c : tensor<3x4xf32>
}

// Gradient helpers: relu_grad, reduce_sum, softmax_cross_entropy_grad.
// CHECK-LABEL: func.func @gradient_helpers
// CHECK-SAME: (%[[DA:.*]]: tensor<?x256xf32>, %[[A:.*]]: tensor<?x256xf32>, %[[ONE:.*]]: tensor<f32>, %[[L:.*]]: tensor<?x10xf32>, %[[Y:.*]]: tensor<?xi32>)
func.func @gradient_helpers(%da: tensor<?x256xf32>, %a: tensor<?x256xf32>, %one: tensor<f32>,
                            %l: tensor<?x10xf32>, %y: tensor<?xi32>) -> (tensor<?x256xf32>, tensor<256xf32>, tensor<?x10xf32>) {
  // CHECK: %[[DZ:.*]] = kiln.relu_grad %[[DA]], %[[A]] : tensor<?x256xf32>
  %dz = kiln.relu_grad %da, %a : tensor<?x256xf32>
  // CHECK: %[[DB:.*]] = kiln.reduce_sum %[[DZ]] {axis = 0 : i64} : tensor<?x256xf32> -> tensor<256xf32>
  %db = kiln.reduce_sum %dz {axis = 0 : i64} : tensor<?x256xf32> -> tensor<256xf32>
  // CHECK: %[[DL:.*]] = kiln.softmax_cross_entropy_grad %[[ONE]], %[[L]], %[[Y]] : tensor<f32>, tensor<?x10xf32>, tensor<?xi32> -> tensor<?x10xf32>
  %dl = kiln.softmax_cross_entropy_grad %one, %l, %y : tensor<f32>, tensor<?x10xf32>, tensor<?xi32> -> tensor<?x10xf32>
  // CHECK: return %[[DZ]], %[[DB]], %[[DL]] :
  return %dz, %db, %dl : tensor<?x256xf32>, tensor<256xf32>, tensor<?x10xf32>
}

// Training storage: a frozen param, optimizer state of a param, the step.
// CHECK-LABEL: func.func @training_storage
func.func @training_storage() -> (tensor<4x8xf32>, tensor<4x8xf32>, f32) {
  // CHECK: %[[W:.*]] = kiln.param "w" init "he_normal" {frozen} : tensor<4x8xf32>
  %w = kiln.param "w" init "he_normal" {frozen} : tensor<4x8xf32>
  // CHECK: %[[M:.*]] = kiln.state "w.m" of "w" init 0.000000e+00 : tensor<4x8xf32>
  %m = kiln.state "w.m" of "w" init 0.0 : tensor<4x8xf32>
  // CHECK: %[[T:.*]] = kiln.step : f32
  %t = kiln.step : f32
  // CHECK: return %[[W]], %[[M]], %[[T]] :
  return %w, %m, %t : tensor<4x8xf32>, tensor<4x8xf32>, f32
}

// Gradient transformations: elementwise (with a rank-0 input broadcast, an
// f32 from outside the body, math ops, several results) and sum.
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[G:.*]]: tensor<4x8xf32>, %[[S:.*]]: tensor<f32>)
func.func @elementwise(%g: tensor<4x8xf32>, %s: tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>) {
  // CHECK: %[[C:.*]] = kiln.hyperparam "clip"
  %c = kiln.hyperparam "clip" default 1.0 in (0.0, inf) : f32
  // CHECK: %[[E:.*]]:2 = kiln.elementwise(%[[G]], %[[S]]) : (tensor<4x8xf32>, tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // CHECK-NEXT: ^bb0(%[[GI:.*]]: f32, %[[SI:.*]]: f32):
  // CHECK-NEXT: %[[R:.*]] = math.sqrt %[[SI]] : f32
  // CHECK-NEXT: %[[Q:.*]] = arith.divf %[[C]], %[[R]] : f32
  // CHECK-NEXT: %[[P:.*]] = arith.mulf %[[GI]], %[[Q]] : f32
  // CHECK-NEXT: kiln.yield %[[P]], %[[GI]] : f32, f32
  // CHECK-NEXT: }
  %e:2 = kiln.elementwise (%g, %s) : (tensor<4x8xf32>, tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  ^bb0(%gi: f32, %si: f32):
    %0 = math.sqrt %si : f32
    %1 = arith.divf %c, %0 : f32
    %2 = arith.mulf %gi, %1 : f32
    kiln.yield %2, %gi : f32, f32
  }
  // CHECK: %[[SUM:.*]] = kiln.sum %[[E]]#0 : tensor<4x8xf32> -> tensor<f32>
  %sum = kiln.sum %e#0 : tensor<4x8xf32> -> tensor<f32>
  // CHECK: return %[[E]]#0, %[[E]]#1, %[[SUM]] :
  return %e#0, %e#1, %sum : tensor<4x8xf32>, tensor<4x8xf32>, tensor<f32>
}

// Training ops: param_grad, and an update of a param and its state from a
// gradient and a rank-0 scale, using the step number.
// CHECK-LABEL: func.func @training
// CHECK-SAME: (%[[G:.*]]: tensor<4x8xf32>, %[[S:.*]]: tensor<f32>)
func.func @training(%g: tensor<4x8xf32>, %s: tensor<f32>) {
  // CHECK: %[[LR:.*]] = kiln.hyperparam "lr" default 5.000000e-02 in (0.000000e+00, inf) : f32
  // CHECK: %[[T:.*]] = kiln.step : f32
  // CHECK: %[[W:.*]] = kiln.param "w" init "xavier_uniform" : tensor<4x8xf32>
  // CHECK: %[[V:.*]] = kiln.state "w.velocity" of "w" init 0.000000e+00 : tensor<4x8xf32>
  // CHECK: kiln.param_grad %[[W]], %[[G]] : tensor<4x8xf32>
  // CHECK: kiln.update(%[[W]], %[[V]]) from(%[[G]], %[[S]]) : (tensor<4x8xf32>, tensor<4x8xf32>), (tensor<4x8xf32>, tensor<f32>) {
  // CHECK-NEXT: ^bb0(%[[WI:.*]]: f32, %[[VI:.*]]: f32, %[[GI:.*]]: f32, %[[SI:.*]]: f32):
  // CHECK-NEXT: %[[GS:.*]] = arith.mulf %[[GI]], %[[SI]] : f32
  // CHECK-NEXT: %[[V1:.*]] = arith.addf %[[VI]], %[[GS]] : f32
  // CHECK-NEXT: %[[LT:.*]] = arith.divf %[[LR]], %[[T]] : f32
  // CHECK-NEXT: %[[D:.*]] = arith.mulf %[[LT]], %[[V1]] : f32
  // CHECK-NEXT: %[[W1:.*]] = arith.subf %[[WI]], %[[D]] : f32
  // CHECK-NEXT: kiln.yield %[[W1]], %[[V1]] : f32, f32
  // CHECK-NEXT: }
  %lr = kiln.hyperparam "lr" default 0.05 in (0.0, inf) : f32
  %t = kiln.step : f32
  %w = kiln.param "w" init "xavier_uniform" : tensor<4x8xf32>
  %v = kiln.state "w.velocity" of "w" init 0.0 : tensor<4x8xf32>
  kiln.param_grad %w, %g : tensor<4x8xf32>
  kiln.update (%w, %v) from (%g, %s) : (tensor<4x8xf32>, tensor<4x8xf32>), (tensor<4x8xf32>, tensor<f32>) {
  ^bb0(%wi: f32, %vi: f32, %gi: f32, %si: f32):
    %0 = arith.mulf %gi, %si : f32
    %1 = arith.addf %vi, %0 : f32
    %2 = arith.divf %lr, %t : f32
    %3 = arith.mulf %2, %1 : f32
    %4 = arith.subf %wi, %3 : f32
    kiln.yield %4, %1 : f32, f32
  }
  return
}

// Kernels: with results (yield with operands), and without (bare yield).
// CHECK-LABEL: func.func @kernels
// CHECK-SAME: (%[[X:.*]]: tensor<?x784xf32>, %[[DH:.*]]: tensor<?x256xf32>)
func.func @kernels(%x: tensor<?x784xf32>, %dh: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  // CHECK: %[[W:.*]] = kiln.param "w"
  // CHECK: %[[B:.*]] = kiln.param "b"
  %w = kiln.param "w" init "he_normal" : tensor<784x256xf32>
  %b = kiln.param "b" init "zeros" : tensor<256xf32>
  // CHECK: %[[H:.*]] = kiln.kernel "k0" -> tensor<?x256xf32> {
  // CHECK-NEXT: %[[M:.*]] = kiln.matmul %[[X]], %[[W]]
  // CHECK-NEXT: %[[Z:.*]] = kiln.bias_add %[[M]], %[[B]]
  // CHECK-NEXT: %[[A:.*]] = kiln.relu %[[Z]]
  // CHECK-NEXT: kiln.yield %[[A]] : tensor<?x256xf32>
  // CHECK-NEXT: }
  %h = kiln.kernel "k0" -> tensor<?x256xf32> {
    %0 = kiln.matmul %x, %w : tensor<?x784xf32>, tensor<784x256xf32> -> tensor<?x256xf32>
    %1 = kiln.bias_add %0, %b : tensor<?x256xf32>, tensor<256xf32> -> tensor<?x256xf32>
    %2 = kiln.relu %1 : tensor<?x256xf32>
    kiln.yield %2 : tensor<?x256xf32>
  }
  // CHECK: kiln.kernel "k1" {
  // CHECK-NEXT: %[[GW:.*]] = kiln.matmul %[[X]], %[[DH]] {transpose_lhs = true}
  // CHECK-NEXT: kiln.update(%[[W]]) from(%[[GW]]) : (tensor<784x256xf32>), (tensor<784x256xf32>) {
  // CHECK: kiln.yield %{{.*}} : f32
  // CHECK-NEXT: }
  // CHECK-NEXT: kiln.yield{{$}}
  // CHECK-NEXT: }
  kiln.kernel "k1" {
    %gw = kiln.matmul %x, %dh {transpose_lhs = true} : tensor<?x784xf32>, tensor<?x256xf32> -> tensor<784x256xf32>
    kiln.update (%w) from (%gw) : (tensor<784x256xf32>), (tensor<784x256xf32>) {
    ^bb0(%wi: f32, %gi: f32):
      %0 = arith.mulf %lr, %gi : f32
      %1 = arith.subf %wi, %0 : f32
      kiln.yield %1 : f32
    }
    kiln.yield
  }
  // CHECK: return %[[H]]
  return %h : tensor<?x256xf32>
}

// A kernel with several results, and attributes on the kernel.
// CHECK-LABEL: func.func @kernel_results
func.func @kernel_results(%a: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>) {
  // CHECK: %[[R:.*]]:2 = kiln.kernel "k" -> tensor<2x3xf32>, tensor<3xf32> attributes {note = "x"} {
  // CHECK: kiln.yield %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3xf32>
  // CHECK: return %[[R]]#0, %[[R]]#1
  %r:2 = kiln.kernel "k" -> tensor<2x3xf32>, tensor<3xf32> attributes {note = "x"} {
    %0 = kiln.relu %a : tensor<2x3xf32>
    %1 = kiln.reduce_sum %0 {axis = 0 : i64} : tensor<2x3xf32> -> tensor<3xf32>
    kiln.yield %0, %1 : tensor<2x3xf32>, tensor<3xf32>
  }
  return %r#0, %r#1 : tensor<2x3xf32>, tensor<3xf32>
}
