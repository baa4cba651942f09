// kiln-apply-optimizer replaces each kiln.param_grad with one kiln.update
// that writes the parameter in place, right where the marker was (moving it
// is kiln-fuse-updates' job), and reads each hyperparameter from a
// kiln.hyperparam and the step number from kiln.step at the top of the
// function. For sgd the body is p - lr * g.
// RUN: kiln-opt %s --kiln-apply-optimizer -split-input-file | FileCheck %s

// The marker sits after the backward ops; the update takes its place, even
// though the gradient was complete earlier. lr comes from the module
// attribute.
// CHECK-LABEL: func.func @train_step() -> tensor<f32> {
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 2.500000e-01 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[T:.*]] = kiln.step : f32
// CHECK-NEXT: %[[X:.*]] = kiln.input "x"
// CHECK: %[[W:.*]] = kiln.param "w"
// CHECK: %[[DL:.*]] = kiln.softmax_cross_entropy_grad
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DL]] {transpose_lhs = true}
// CHECK-NEXT: %[[DX:.*]] = kiln.matmul %[[DL]], %[[W]] {transpose_rhs = true}
// CHECK-NEXT: kiln.relu %[[DX]]
// CHECK-NEXT: kiln.update(%[[W]]) from(%[[DW]]) : (tensor<4x3xf32>), (tensor<4x3xf32>) {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[G:.*]]: f32):
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %[[LR]], %[[G]] : f32
// CHECK-NEXT: %[[NEW:.*]] = arith.subf %[[P]], %[[STEP]] : f32
// CHECK-NEXT: kiln.yield %[[NEW]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: return
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

// Two markers become two updates, in the markers' order, sharing the one lr;
// sgd keeps no state, so there is no kiln.state.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[GW:.*]]: tensor<4x3xf32>, %[[GB:.*]]: tensor<3xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 1.000000e-01 in (0.000000e+00, inf) : f32
// CHECK-NEXT: kiln.step
// CHECK-NEXT: %[[B:.*]] = kiln.param "b"
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: kiln.update(%[[W]]) from(%[[GW]]) : (tensor<4x3xf32>), (tensor<4x3xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf %[[LR]],
// CHECK: kiln.update(%[[B]]) from(%[[GB]]) : (tensor<3xf32>), (tensor<3xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf %[[LR]],
// CHECK-NOT: kiln.state
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1}} {
  func.func @train_step(%gw: tensor<4x3xf32>, %gb: tensor<3xf32>) {
    %b = kiln.param "b" init "zeros" : tensor<3xf32>
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    kiln.param_grad %w, %gw : tensor<4x3xf32>
    kiln.param_grad %b, %gb : tensor<3xf32>
    return
  }
}

// -----

// Without lr in the module attribute, the optimizer's default (0.01) is used.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[G:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 1.000000e-02 in (0.000000e+00, inf) : f32
// CHECK-NEXT: kiln.step : f32
// CHECK-NEXT: %[[B:.*]] = kiln.param "b" init "zeros" : tensor<4xf32>
// CHECK-NEXT: kiln.update(%[[B]]) from(%[[G]]) : (tensor<4xf32>), (tensor<4xf32>) {
module attributes {kiln.optimizer = {name = "sgd"}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    kiln.param_grad %b, %g : tensor<4xf32>
    return
  }
}

// -----

// A function without kiln.param_grad (such as @predict) is left alone: no
// hyperparameter, no step, no update.
// CHECK-LABEL: func.func @predict() -> tensor<4xf32> {
// CHECK-NEXT: %[[B:.*]] = kiln.param "b" init "zeros" : tensor<4xf32>
// CHECK-NEXT: return %[[B]] : tensor<4xf32>
module attributes {kiln.optimizer = {name = "sgd", lr = 0.5}} {
  func.func @predict() -> tensor<4xf32> {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return %b : tensor<4xf32>
  }
}
