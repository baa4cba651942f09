// Momentum (torch.optim.SGD with momentum, no dampening): one state tensor
// per parameter, "<param>.velocity", zero at the start; the update writes
// both:  v = mu * v + g;  p -= lr * v.
// RUN: kiln-opt %s --kiln-apply-optimizer | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[G:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 5.000000e-02 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[MU:.*]] = kiln.hyperparam "momentum" default 9.000000e-01 in [0.000000e+00, 1.000000e+00) : f32
// CHECK-NEXT: kiln.step : f32
// CHECK-NEXT: %[[V:.*]] = kiln.state "w.velocity" of "w" init 0.000000e+00 : tensor<4xf32>
// CHECK-NEXT: %[[W:.*]] = kiln.param "w" init "zeros" : tensor<4xf32>
// CHECK-NEXT: kiln.update(%[[W]], %[[V]]) from(%[[G]]) : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[VI:.*]]: f32, %[[GI:.*]]: f32):
// CHECK-NEXT: %[[MV:.*]] = arith.mulf %[[MU]], %[[VI]] : f32
// CHECK-NEXT: %[[V1:.*]] = arith.addf %[[MV]], %[[GI]] : f32
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %[[LR]], %[[V1]] : f32
// CHECK-NEXT: %[[P1:.*]] = arith.subf %[[P]], %[[STEP]] : f32
// CHECK-NEXT: kiln.yield %[[P1]], %[[V1]] : f32, f32
// CHECK-NEXT: }
// CHECK-NEXT: return
module attributes {kiln.optimizer = {name = "momentum", lr = 0.05}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %w = kiln.param "w" init "zeros" : tensor<4xf32>
    kiln.param_grad %w, %g : tensor<4xf32>
    return
  }
}
