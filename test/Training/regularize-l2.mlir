// kiln-regularize with only an L2 strength (regularizer l2(s)): the penalty
// sum(l2 / 2 * p^2) over every trained parameter is added to the loss that
// @train_step returns, and each kiln.param_grad now marks g + l2 * p, an
// elementwise op over the gradient and the (old) parameter. The penalties are
// computed before the first marker; @predict is left alone.
// RUN: kiln-opt %s --kiln-regularize -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-NEXT: %[[L2:.*]] = kiln.hyperparam "l2" default 1.000000e-04 in [0.000000e+00, inf) : f32
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: %[[B:.*]] = kiln.param "b"
// CHECK-NOT: kiln.hyperparam "l1"
// CHECK: %[[LOSS:.*]] = kiln.softmax_cross_entropy
// CHECK: %[[DB:.*]] = kiln.reduce_sum
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %{{.*}}, %{{.*}} {transpose_lhs = true}

// The penalty of each parameter: l2 / 2 * p^2 per element, then summed.
// CHECK-NEXT: %[[PW:.*]] = kiln.elementwise(%[[W]]) : (tensor<4x3xf32>) -> tensor<4x3xf32> {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32):
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[P]], %[[P]] : f32
// CHECK-NEXT: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: %[[K:.*]] = arith.mulf %[[HALF]], %[[L2]] : f32
// CHECK-NEXT: %[[E:.*]] = arith.mulf %[[K]], %[[SQ]] : f32
// CHECK-NEXT: kiln.yield %[[E]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[SW:.*]] = kiln.sum %[[PW]] : tensor<4x3xf32> -> tensor<f32>
// CHECK-NEXT: %[[PB:.*]] = kiln.elementwise(%[[B]]) : (tensor<3xf32>) -> tensor<3xf32> {
// CHECK: %[[SB:.*]] = kiln.sum %[[PB]] : tensor<3xf32> -> tensor<f32>

// The loss plus both penalties.
// CHECK-NEXT: %[[TOTAL:.*]] = kiln.elementwise(%[[LOSS]], %[[SW]], %[[SB]]) : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<f32> {
// CHECK-NEXT: ^bb0(%[[A0:.*]]: f32, %[[A1:.*]]: f32, %[[A2:.*]]: f32):
// CHECK-NEXT: %[[S0:.*]] = arith.addf %[[A0]], %[[A1]] : f32
// CHECK-NEXT: %[[S1:.*]] = arith.addf %[[S0]], %[[A2]] : f32
// CHECK-NEXT: kiln.yield %[[S1]] : f32
// CHECK-NEXT: }

// Each marker now marks g + l2 * p.
// CHECK-NEXT: %[[GW:.*]] = kiln.elementwise(%[[DW]], %[[W]]) : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32> {
// CHECK-NEXT: ^bb0(%[[G:.*]]: f32, %[[P:.*]]: f32):
// CHECK-NEXT: %[[D:.*]] = arith.mulf %[[L2]], %[[P]] : f32
// CHECK-NEXT: %[[G1:.*]] = arith.addf %[[G]], %[[D]] : f32
// CHECK-NEXT: kiln.yield %[[G1]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.param_grad %[[W]], %[[GW]] : tensor<4x3xf32>
// CHECK-NEXT: %[[GB:.*]] = kiln.elementwise(%[[DB]], %[[B]])
// CHECK: kiln.param_grad %[[B]], %[[GB]] : tensor<3xf32>
// CHECK-NEXT: return %[[TOTAL]] : tensor<f32>

// CHECK-LABEL: func.func @predict
// CHECK-NEXT: kiln.param "w"
// CHECK-NEXT: kiln.matmul
// CHECK-NEXT: return
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1}, kiln.regularizer = {l2 = 1.0e-4}} {
  func.func @train_step(%x: tensor<?x4xf32>, %y: tensor<?xi32>) -> tensor<f32> {
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    %b = kiln.param "b" init "zeros" : tensor<3xf32>
    %m = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %l = kiln.bias_add %m, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    %one = kiln.fill 1.0 : tensor<f32>
    %dl = kiln.softmax_cross_entropy_grad %one, %l, %y : tensor<f32>, tensor<?x3xf32>, tensor<?xi32> -> tensor<?x3xf32>
    %db = kiln.reduce_sum %dl {axis = 0 : i64} : tensor<?x3xf32> -> tensor<3xf32>
    %dw = kiln.matmul %x, %dl {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
    kiln.param_grad %w, %dw : tensor<4x3xf32>
    kiln.param_grad %b, %db : tensor<3xf32>
    return %loss : tensor<f32>
  }
  func.func @predict(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    %m = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    return %m : tensor<?x3xf32>
  }
}

// -----

// Without a kiln.regularizer attribute nothing changes.
// CHECK-LABEL: func.func @train_step
// CHECK-NEXT: %[[B:.*]] = kiln.param "b"
// CHECK-NEXT: kiln.param_grad %[[B]], %{{.*}} : tensor<3xf32>
// CHECK-NEXT: return
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1}} {
  func.func @train_step(%g: tensor<3xf32>) {
    %b = kiln.param "b" init "zeros" : tensor<3xf32>
    kiln.param_grad %b, %g : tensor<3xf32>
    return
  }
}
