// Nesterov momentum (torch.optim.SGD with nesterov=True): the velocity as
// for momentum, and a step along g + mu * v:
//   v = mu * v + g;  p -= lr * (g + mu * v).
// RUN: kiln-opt %s --kiln-apply-optimizer | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[G:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 1.000000e-02 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[MU:.*]] = kiln.hyperparam "momentum" default 8.000000e-01 in [0.000000e+00, 1.000000e+00) : f32
// CHECK-NEXT: kiln.step : f32
// CHECK-NEXT: %[[V:.*]] = kiln.state "w.velocity" of "w" init 0.000000e+00 : tensor<4xf32>
// CHECK-NEXT: %[[W:.*]] = kiln.param "w" init "zeros" : tensor<4xf32>
// CHECK-NEXT: kiln.update(%[[W]], %[[V]]) from(%[[G]]) : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[VI:.*]]: f32, %[[GI:.*]]: f32):
// CHECK-NEXT: %[[MV:.*]] = arith.mulf %[[MU]], %[[VI]] : f32
// CHECK-NEXT: %[[V1:.*]] = arith.addf %[[MV]], %[[GI]] : f32
// CHECK-NEXT: %[[MV1:.*]] = arith.mulf %[[MU]], %[[V1]] : f32
// CHECK-NEXT: %[[D:.*]] = arith.addf %[[GI]], %[[MV1]] : f32
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %[[LR]], %[[D]] : f32
// CHECK-NEXT: %[[P1:.*]] = arith.subf %[[P]], %[[STEP]] : f32
// CHECK-NEXT: kiln.yield %[[P1]], %[[V1]] : f32, f32
// CHECK-NEXT: }
module attributes {kiln.optimizer = {name = "nesterov", momentum = 0.8}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %w = kiln.param "w" init "zeros" : tensor<4xf32>
    kiln.param_grad %w, %g : tensor<4xf32>
    return
  }
}
