// kiln-fuse-updates moves every kiln.update up to just after the latest of
// its inputs, its targets' definitions and every other reader of its targets,
// so that an update follows the op that completes its gradient (and
// kiln-partition-kernels can fuse it there). kiln.elementwise and kiln.sum
// move up to just after their last operand, hyperparameters used in the body
// included.
// RUN: kiln-opt %s --kiln-apply-optimizer --kiln-fuse-updates -split-input-file | FileCheck %s

// One dense layer's backward pass, with both markers at the end. The bias
// update moves right after the reduce_sum that completes its gradient. The
// weight's gradient is complete at the first backward matmul, but the second
// still reads the old weight: the update goes right after that read, before
// the relu that apply-optimizer had left above it.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK: %[[X:.*]] = kiln.input "x"
// CHECK: %[[B:.*]] = kiln.param "b"
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK: %[[DL:.*]] = kiln.softmax_cross_entropy_grad
// CHECK-NEXT: %[[DB:.*]] = kiln.reduce_sum %[[DL]] {axis = 0 : i64}
// CHECK-NEXT: kiln.update(%[[B]]) from(%[[DB]])
// CHECK: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DL]] {transpose_lhs = true}
// CHECK-NEXT: %[[DX:.*]] = kiln.matmul %[[DL]], %[[W]] {transpose_rhs = true}
// CHECK-NEXT: kiln.update(%[[W]]) from(%[[DW]])
// CHECK: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: kiln.relu %[[DX]]
// CHECK-NEXT: return
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1}} {
  func.func @train_step() -> tensor<f32> {
    %x = kiln.input "x" : tensor<?x4xf32>
    %y = kiln.input "y" : tensor<?xi32>
    %b = kiln.param "b" init "zeros" : tensor<3xf32>
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    %m = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %l = kiln.bias_add %m, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    %one = kiln.fill 1.0 : tensor<f32>
    %dl = kiln.softmax_cross_entropy_grad %one, %l, %y : tensor<f32>, tensor<?x3xf32>, tensor<?xi32> -> tensor<?x3xf32>
    %db = kiln.reduce_sum %dl {axis = 0 : i64} : tensor<?x3xf32> -> tensor<3xf32>
    %dw = kiln.matmul %x, %dl {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
    %dx = kiln.matmul %dl, %w {transpose_rhs = true} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
    %r = kiln.relu %dx : tensor<?x4xf32>
    kiln.param_grad %w, %dw : tensor<4x3xf32>
    kiln.param_grad %b, %db : tensor<3xf32>
    return %loss : tensor<f32>
  }
}

// -----

// A gradient that is a function argument is complete on entry: the update
// follows the definitions of what it writes, the parameter and (momentum)
// its velocity, which apply-optimizer declared at the top.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[G:.*]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK: %[[V:.*]] = kiln.state "b.velocity" of "b"
// CHECK-NEXT: %[[B:.*]] = kiln.param "b"
// CHECK-NEXT: kiln.update(%[[B]], %[[V]]) from(%[[G]])
// CHECK: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[R:.*]] = kiln.relu %[[G]]
// CHECK-NEXT: return %[[R]]
module attributes {kiln.optimizer = {name = "momentum", lr = 0.1}} {
  func.func @train_step(%g: tensor<4xf32>) -> tensor<4xf32> {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    %r = kiln.relu %g : tensor<4xf32>
    kiln.param_grad %b, %g : tensor<4xf32>
    return %r : tensor<4xf32>
  }
}

// -----

// Gradient transformations move up too: a squared gradient and its sum
// move above the relu, right after the gradient; an elementwise op whose
// body uses a hyperparameter declared after the relu moves only up to that
// hyperparameter.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[D:.*]]: tensor<?x3xf32>)
// CHECK: %[[DW:.*]] = kiln.matmul %[[X]], %[[D]] {transpose_lhs = true}
// CHECK-NEXT: %[[SQ:.*]] = kiln.elementwise(%[[DW]])
// CHECK: %[[S:.*]] = kiln.sum %[[SQ]]
// CHECK-NEXT: %[[R:.*]] = kiln.relu %[[D]]
// CHECK-NEXT: %[[C:.*]] = kiln.hyperparam "clip"
// CHECK-NEXT: %[[N:.*]] = kiln.elementwise(%[[S]])
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf %{{.*}}, %[[C]] : f32
// CHECK: return %[[R]], %[[N]]
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1}} {
  func.func @train_step(%x: tensor<?x4xf32>, %d: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<f32>) {
    %dw = kiln.matmul %x, %d {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
    %r = kiln.relu %d : tensor<?x3xf32>
    %c = kiln.hyperparam "clip" default 1.0 in (0.0, inf) : f32
    %sq = kiln.elementwise (%dw) : (tensor<4x3xf32>) -> tensor<4x3xf32> {
    ^bb0(%gi: f32):
      %0 = arith.mulf %gi, %gi : f32
      kiln.yield %0 : f32
    }
    %s = kiln.sum %sq : tensor<4x3xf32> -> tensor<f32>
    %n = kiln.elementwise (%s) : (tensor<f32>) -> tensor<f32> {
    ^bb0(%si: f32):
      %0 = arith.mulf %si, %c : f32
      kiln.yield %0 : f32
    }
    return %r, %n : tensor<?x3xf32>, tensor<f32>
  }
}
