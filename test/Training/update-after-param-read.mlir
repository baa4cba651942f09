// The update follows the kiln.param it writes even when the gradient is
// complete before that kiln.param.
// RUN: kiln-opt %s --kiln-apply-optimizer | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 5.000000e-01 : f32
// CHECK-NEXT: %[[G:.*]] = kiln.relu %[[X]] : tensor<4xf32>
// CHECK-NEXT: %[[B:.*]] = kiln.param "b" init "zeros" : tensor<4xf32>
// CHECK-NEXT: kiln.sgd_update %[[B]], %[[G]], %[[LR]] : tensor<4xf32>
// CHECK-NEXT: return
module attributes {kiln.optimizer = {name = "sgd", lr = 0.5}} {
  func.func @train_step(%x: tensor<4xf32>) {
    %g = kiln.relu %x : tensor<4xf32>
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    kiln.param_grad %b, %g : tensor<4xf32>
    return
  }
}
