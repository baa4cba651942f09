// RMSprop (torch.optim.RMSprop, not centered, no momentum): a running
// average of squared gradients, "<param>.square_avg":
//   a = alpha * a + (1 - alpha) g^2;  p -= lr * g / (sqrt(a) + eps).
// RUN: kiln-opt %s --kiln-apply-optimizer | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[G:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 1.000000e-02 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[ALPHA:.*]] = kiln.hyperparam "alpha" default 0.98999999999999999 in [0.000000e+00, 1.000000e+00) : f32
// CHECK-NEXT: %[[EPS:.*]] = kiln.hyperparam "eps" default 1.000000e-08 in (0.000000e+00, inf) : f32
// CHECK-NEXT: kiln.step : f32
// CHECK-NEXT: %[[S:.*]] = kiln.state "w.square_avg" of "w" init 0.000000e+00 : tensor<4xf32>
// CHECK-NEXT: %[[W:.*]] = kiln.param "w" init "zeros" : tensor<4xf32>
// CHECK-NEXT: kiln.update(%[[W]], %[[S]]) from(%[[G]]) : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[SI:.*]]: f32, %[[GI:.*]]: f32):
// CHECK-NEXT: %[[G2:.*]] = arith.mulf %[[GI]], %[[GI]] : f32
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[OMA:.*]] = arith.subf %[[ONE]], %[[ALPHA]] : f32
// CHECK-NEXT: %[[T1:.*]] = arith.mulf %[[OMA]], %[[G2]] : f32
// CHECK-NEXT: %[[T0:.*]] = arith.mulf %[[ALPHA]], %[[SI]] : f32
// CHECK-NEXT: %[[S1:.*]] = arith.addf %[[T0]], %[[T1]] : f32
// CHECK-NEXT: %[[R:.*]] = math.sqrt %[[S1]] : f32
// CHECK-NEXT: %[[DEN:.*]] = arith.addf %[[R]], %[[EPS]] : f32
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[GI]], %[[DEN]] : f32
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %[[LR]], %[[Q]] : f32
// CHECK-NEXT: %[[P1:.*]] = arith.subf %[[P]], %[[STEP]] : f32
// CHECK-NEXT: kiln.yield %[[P1]], %[[S1]] : f32, f32
// CHECK-NEXT: }
module attributes {kiln.optimizer = {name = "rmsprop"}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %w = kiln.param "w" init "zeros" : tensor<4xf32>
    kiln.param_grad %w, %g : tensor<4xf32>
    return
  }
}
