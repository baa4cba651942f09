// kiln-apply-optimizer replaces each kiln.param_grad with the optimizer's
// in-place update, placed right after the later of the op that completes the
// gradient and the last reader of the parameter, and reads each
// hyperparameter from a kiln.hyperparam at the top of the function.
// RUN: kiln-opt %s --kiln-apply-optimizer -split-input-file | FileCheck %s

// The parameter is read again (by the backward matmul that computes the input
// gradient) after its gradient is complete: the update waits for that read,
// and comes before the ops after it. lr comes from the module attribute.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 2.500000e-01 : f32
// CHECK-NEXT: %[[X:.*]] = kiln.input "x"
// CHECK: %[[W:.*]] = kiln.param "w"
// CHECK: %[[DL:.*]] = kiln.softmax_cross_entropy_grad
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DL]] {transpose_lhs = true}
// CHECK-NEXT: %[[DX:.*]] = kiln.matmul %[[DL]], %[[W]] {transpose_rhs = true}
// CHECK-NEXT: kiln.sgd_update %[[W]], %[[DW]], %[[LR]] : tensor<4x3xf32>
// CHECK-NEXT: kiln.relu %[[DX]]
// CHECK-NOT: kiln.param_grad
module attributes {kiln.optimizer = {name = "sgd", lr = 0.25}} {
  func.func @train_step() -> tensor<f32> {
    %x = kiln.input "x" : tensor<?x4xf32>
    %y = kiln.input "y" : tensor<?xi32>
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    %l = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    %one = kiln.fill 1.0 : tensor<f32>
    %dl = kiln.softmax_cross_entropy_grad %one, %l, %y : tensor<f32>, tensor<?x3xf32>, tensor<?xi32> -> tensor<?x3xf32>
    %dw = kiln.matmul %x, %dl {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
    %dx = kiln.matmul %dl, %w {transpose_rhs = true} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
    %r = kiln.relu %dx : tensor<?x4xf32>
    kiln.param_grad %w, %dw : tensor<4x3xf32>
    return %loss : tensor<f32>
  }
}

// -----

// The gradient completes after the last read of the parameter: the update
// goes right after the gradient's producer, not at the marker's place at the
// end, so that code generation can fuse it there.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 1.000000e-01 : f32
// CHECK-NEXT: %[[X:.*]] = kiln.input "x"
// CHECK: %[[B:.*]] = kiln.param "b"
// CHECK: %[[W:.*]] = kiln.param "w"
// CHECK: %[[DL:.*]] = kiln.softmax_cross_entropy_grad
// CHECK-NEXT: %[[DB:.*]] = kiln.reduce_sum %[[DL]] {axis = 0 : i64}
// CHECK-NEXT: kiln.sgd_update %[[B]], %[[DB]], %[[LR]] : tensor<3xf32>
// CHECK-NEXT: %[[DX:.*]] = kiln.matmul %[[DL]], %[[W]] {transpose_rhs = true}
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DL]] {transpose_lhs = true}
// CHECK-NEXT: kiln.sgd_update %[[W]], %[[DW]], %[[LR]] : tensor<4x3xf32>
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
    %dx = kiln.matmul %dl, %w {transpose_rhs = true} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
    %dw = kiln.matmul %x, %dl {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
    %r = kiln.relu %dx : tensor<?x4xf32>
    kiln.param_grad %w, %dw : tensor<4x3xf32>
    kiln.param_grad %b, %db : tensor<3xf32>
    return %loss : tensor<f32>
  }
}

// -----

// Without lr in the module attribute, the optimizer's default (0.01) is used.
// A gradient that is a function argument is complete on entry: the update
// follows the parameter's read from storage.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[G:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 1.000000e-02 : f32
// CHECK-NEXT: %[[B:.*]] = kiln.param "b" init "zeros" : tensor<4xf32>
// CHECK-NEXT: kiln.sgd_update %[[B]], %[[G]], %[[LR]] : tensor<4xf32>
// CHECK-NEXT: return
module attributes {kiln.optimizer = {name = "sgd"}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    kiln.param_grad %b, %g : tensor<4xf32>
    return
  }
}

// -----

// A function without kiln.param_grad (such as @predict) is left alone: no
// hyperparameter, no update.
// CHECK-LABEL: func.func @predict() -> tensor<4xf32> {
// CHECK-NEXT: %[[B:.*]] = kiln.param "b" init "zeros" : tensor<4xf32>
// CHECK-NEXT: return %[[B]] : tensor<4xf32>
module attributes {kiln.optimizer = {name = "sgd", lr = 0.5}} {
  func.func @predict() -> tensor<4xf32> {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return %b : tensor<4xf32>
  }
}
