// kiln-fuse-updates moves an update up to its gradient, but never above the
// kiln.param it writes: here the gradient is complete before that kiln.param,
// and the update follows the kiln.param.
// RUN: kiln-opt %s --kiln-apply-optimizer --kiln-fuse-updates | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 5.000000e-01 in (0.000000e+00, inf) : f32
// CHECK-NEXT: kiln.step : f32
// CHECK-NEXT: %[[G:.*]] = kiln.relu %[[X]] : tensor<4xf32>
// CHECK-NEXT: %[[B:.*]] = kiln.param "b" init "zeros" : tensor<4xf32>
// CHECK-NEXT: kiln.update(%[[B]]) from(%[[G]]) : (tensor<4xf32>), (tensor<4xf32>) {
// CHECK: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[R:.*]] = kiln.relu %[[G]] : tensor<4xf32>
// CHECK-NEXT: return %[[R]]
module attributes {kiln.optimizer = {name = "sgd", lr = 0.5}} {
  func.func @train_step(%x: tensor<4xf32>) -> tensor<4xf32> {
    %g = kiln.relu %x : tensor<4xf32>
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    %r = kiln.relu %g : tensor<4xf32>
    kiln.param_grad %b, %g : tensor<4xf32>
    return %r : tensor<4xf32>
  }
}
