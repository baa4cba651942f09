// kiln-clip-gradients, kind global_norm (clip global_norm(max_norm = c), as
// torch.nn.utils.clip_grad_norm_): the squares of every gradient are summed
// into one total, and every gradient is scaled by
// min(1, c / (sqrt(total) + 1e-6)). The scale needs all gradients, so the
// sums go at the end of the function and every kiln.param_grad moves after
// them, wherever it was.
// RUN: kiln-opt %s --kiln-clip-gradients | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[DL:.*]]: tensor<?x3xf32>)
// CHECK-NEXT: %[[C:.*]] = kiln.hyperparam "clip" default 2.000000e+00 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: %[[B:.*]] = kiln.param "b"
// CHECK-NEXT: %[[DB:.*]] = kiln.reduce_sum %[[DL]]
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DL]] {transpose_lhs = true}
// CHECK-NEXT: %[[R:.*]] = kiln.relu %[[DL]]

// The sum of squares of each gradient, in the markers' order, and the total.
// CHECK-NEXT: %[[QB:.*]] = kiln.elementwise(%[[DB]]) : (tensor<3xf32>) -> tensor<3xf32> {
// CHECK-NEXT: ^bb0(%[[GB:.*]]: f32):
// CHECK-NEXT: %[[SQB:.*]] = arith.mulf %[[GB]], %[[GB]] : f32
// CHECK-NEXT: kiln.yield %[[SQB]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[SB:.*]] = kiln.sum %[[QB]] : tensor<3xf32> -> tensor<f32>
// CHECK-NEXT: %[[QW:.*]] = kiln.elementwise(%[[DW]]) : (tensor<4x3xf32>) -> tensor<4x3xf32> {
// CHECK: %[[SW:.*]] = kiln.sum %[[QW]] : tensor<4x3xf32> -> tensor<f32>
// CHECK-NEXT: %[[TOTAL:.*]] = kiln.elementwise(%[[SB]], %[[SW]]) : (tensor<f32>, tensor<f32>) -> tensor<f32> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B2:.*]]: f32):
// CHECK-NEXT: %[[T:.*]] = arith.addf %[[A]], %[[B2]] : f32
// CHECK-NEXT: kiln.yield %[[T]] : f32
// CHECK-NEXT: }

// Then each gradient scaled by the one factor, and its marker.
// CHECK-NEXT: %[[CB:.*]] = kiln.elementwise(%[[DB]], %[[TOTAL]]) : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32> {
// CHECK-NEXT: ^bb0(%[[G:.*]]: f32, %[[S:.*]]: f32):
// CHECK-NEXT: %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CHECK-NEXT: %[[NORM:.*]] = math.sqrt %[[S]] : f32
// CHECK-NEXT: %[[DEN:.*]] = arith.addf %[[NORM]], %[[EPS]] : f32
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[C]], %[[DEN]] : f32
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[SCALE:.*]] = arith.minimumf %[[ONE]], %[[Q]] : f32
// CHECK-NEXT: %[[G1:.*]] = arith.mulf %[[G]], %[[SCALE]] : f32
// CHECK-NEXT: kiln.yield %[[G1]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.param_grad %[[B]], %[[CB]] : tensor<3xf32>
// CHECK-NEXT: %[[CW:.*]] = kiln.elementwise(%[[DW]], %[[TOTAL]])
// CHECK: kiln.param_grad %[[W]], %[[CW]] : tensor<4x3xf32>
// CHECK-NEXT: return %[[R]]
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1}, kiln.clip = {name = "global_norm", clip = 2.0}} {
  func.func @train_step(%x: tensor<?x4xf32>, %dl: tensor<?x3xf32>) -> tensor<?x3xf32> {
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    %b = kiln.param "b" init "zeros" : tensor<3xf32>
    %db = kiln.reduce_sum %dl {axis = 0 : i64} : tensor<?x3xf32> -> tensor<3xf32>
    kiln.param_grad %b, %db : tensor<3xf32>
    %dw = kiln.matmul %x, %dl {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
    kiln.param_grad %w, %dw : tensor<4x3xf32>
    %r = kiln.relu %dl : tensor<?x3xf32>
    return %r : tensor<?x3xf32>
  }
}
