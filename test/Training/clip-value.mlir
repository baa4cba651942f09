// kiln-clip-gradients, kind value (clip value(limit)): every element of
// every gradient is clamped to [-c, c], c being the runtime value "clip",
// by an elementwise op placed at the marker, which now marks its result. Each
// marker stays where it was.
// RUN: kiln-opt %s --kiln-clip-gradients | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[DL:.*]]: tensor<?x3xf32>)
// CHECK-NEXT: %[[C:.*]] = kiln.hyperparam "clip" default 5.000000e-01 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: %[[B:.*]] = kiln.param "b"
// CHECK-NEXT: %[[DB:.*]] = kiln.reduce_sum %[[DL]]
// CHECK-NEXT: %[[CB:.*]] = kiln.elementwise(%[[DB]]) : (tensor<3xf32>) -> tensor<3xf32> {
// CHECK-NEXT: ^bb0(%[[G:.*]]: f32):
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[LOW:.*]] = arith.subf %[[ZERO]], %[[C]] : f32
// CHECK-NEXT: %[[MAX:.*]] = arith.maximumf %[[G]], %[[LOW]] : f32
// CHECK-NEXT: %[[G1:.*]] = arith.minimumf %[[MAX]], %[[C]] : f32
// CHECK-NEXT: kiln.yield %[[G1]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.param_grad %[[B]], %[[CB]] : tensor<3xf32>
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %[[X]], %[[DL]] {transpose_lhs = true}
// CHECK-NEXT: %[[CW:.*]] = kiln.elementwise(%[[DW]]) : (tensor<4x3xf32>) -> tensor<4x3xf32> {
// CHECK: kiln.param_grad %[[W]], %[[CW]] : tensor<4x3xf32>
// CHECK-NEXT: kiln.relu %[[DL]]
// CHECK-NOT: kiln.sum
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1}, kiln.clip = {name = "value", clip = 0.5}} {
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
