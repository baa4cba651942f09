// kiln-fuse-updates first folds each kiln.elementwise whose only user is an
// update (a regularization term, a clip) into the update's body, so that the
// update reads its parameter only as a target; a parameter read by the
// folded body becomes the target's block argument. Then it moves the update.
// RUN: kiln-opt %s --kiln-apply-optimizer --kiln-fuse-updates -split-input-file | FileCheck %s

// An L2 term (g + l2 * w) and a clip of its result, each used once: both
// fold, in order, ahead of the sgd step, and the update reads only the
// matmul's gradient. The update then moves up to just after that matmul,
// above the relu.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[D:.*]]: tensor<?x3xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr"
// CHECK-NEXT: kiln.step
// CHECK-NEXT: %[[L2:.*]] = kiln.hyperparam "l2"
// CHECK-NEXT: %[[C:.*]] = kiln.hyperparam "clip"
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: %[[DX:.*]] = kiln.matmul %[[D]], %[[W]] {transpose_rhs = true}
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[D]] {transpose_lhs = true}
// CHECK-NEXT: kiln.update(%[[W]]) from(%[[DW]]) : (tensor<4x3xf32>), (tensor<4x3xf32>) {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[G:.*]]: f32):
// CHECK-NEXT: %[[T:.*]] = arith.mulf %[[L2]], %[[P]] : f32
// CHECK-NEXT: %[[G1:.*]] = arith.addf %[[G]], %[[T]] : f32
// CHECK-NEXT: %[[G2:.*]] = arith.minimumf %[[G1]], %[[C]] : f32
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %[[LR]], %[[G2]] : f32
// CHECK-NEXT: %[[P1:.*]] = arith.subf %[[P]], %[[STEP]] : f32
// CHECK-NEXT: kiln.yield %[[P1]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.relu %[[DX]]
// CHECK-NEXT: return
// CHECK-NOT: kiln.elementwise
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1}} {
  func.func @train_step(%x: tensor<?x4xf32>, %d: tensor<?x3xf32>) {
    %l2 = kiln.hyperparam "l2" default 1.0e-4 in [0.0, inf) : f32
    %c = kiln.hyperparam "clip" default 0.5 in (0.0, inf) : f32
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    %dx = kiln.matmul %d, %w {transpose_rhs = true} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
    %dw = kiln.matmul %x, %d {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
    %r = kiln.relu %dx : tensor<?x4xf32>
    %g1 = kiln.elementwise (%dw, %w) : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32> {
    ^bb0(%gi: f32, %wi: f32):
      %0 = arith.mulf %l2, %wi : f32
      %1 = arith.addf %gi, %0 : f32
      kiln.yield %1 : f32
    }
    %g2 = kiln.elementwise (%g1) : (tensor<4x3xf32>) -> tensor<4x3xf32> {
    ^bb0(%gi: f32):
      %0 = arith.minimumf %gi, %c : f32
      kiln.yield %0 : f32
    }
    kiln.param_grad %w, %g2 : tensor<4x3xf32>
    return
  }
}

// -----

// The L2 term is also returned, so it has two users and stays: the update
// reads it (and through it the parameter), and follows it.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[D:.*]]: tensor<?x3xf32>)
// CHECK: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[D]] {transpose_lhs = true}
// CHECK-NEXT: %[[G:.*]] = kiln.elementwise(%[[DW]], %[[W]])
// CHECK: kiln.update(%[[W]]) from(%[[G]]) : (tensor<4x3xf32>), (tensor<4x3xf32>) {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[GI:.*]]: f32):
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %{{.*}}, %[[GI]] : f32
// CHECK-NEXT: %[[P1:.*]] = arith.subf %[[P]], %[[STEP]] : f32
// CHECK-NEXT: kiln.yield %[[P1]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.relu %[[D]]
// CHECK-NEXT: return %[[G]]
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1}} {
  func.func @train_step(%x: tensor<?x4xf32>, %d: tensor<?x3xf32>) -> tensor<4x3xf32> {
    %l2 = kiln.hyperparam "l2" default 1.0e-4 in [0.0, inf) : f32
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    %dw = kiln.matmul %x, %d {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
    %r = kiln.relu %d : tensor<?x3xf32>
    %g = kiln.elementwise (%dw, %w) : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32> {
    ^bb0(%gi: f32, %wi: f32):
      %0 = arith.mulf %l2, %wi : f32
      %1 = arith.addf %gi, %0 : f32
      kiln.yield %1 : f32
    }
    kiln.param_grad %w, %g : tensor<4x3xf32>
    return %g : tensor<4x3xf32>
  }
}
