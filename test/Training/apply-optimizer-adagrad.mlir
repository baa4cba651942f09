// Adagrad (torch.optim.Adagrad, no lr decay): a running sum of squared
// gradients, "<param>.accumulator":
//   a += g^2;  p -= lr * g / (sqrt(a) + eps).
// RUN: kiln-opt %s --kiln-apply-optimizer | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[G:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 1.000000e-02 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[EPS:.*]] = kiln.hyperparam "eps" default 1.000000e-10 in (0.000000e+00, inf) : f32
// CHECK-NEXT: kiln.step : f32
// CHECK-NEXT: %[[A:.*]] = kiln.state "w.accumulator" of "w" init 0.000000e+00 : tensor<4xf32>
// CHECK-NEXT: %[[W:.*]] = kiln.param "w" init "zeros" : tensor<4xf32>
// CHECK-NEXT: kiln.update(%[[W]], %[[A]]) from(%[[G]]) : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[AI:.*]]: f32, %[[GI:.*]]: f32):
// CHECK-NEXT: %[[G2:.*]] = arith.mulf %[[GI]], %[[GI]] : f32
// CHECK-NEXT: %[[A1:.*]] = arith.addf %[[AI]], %[[G2]] : f32
// CHECK-NEXT: %[[R:.*]] = math.sqrt %[[A1]] : f32
// CHECK-NEXT: %[[DEN:.*]] = arith.addf %[[R]], %[[EPS]] : f32
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[GI]], %[[DEN]] : f32
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %[[LR]], %[[Q]] : f32
// CHECK-NEXT: %[[P1:.*]] = arith.subf %[[P]], %[[STEP]] : f32
// CHECK-NEXT: kiln.yield %[[P1]], %[[A1]] : f32, f32
// CHECK-NEXT: }
module attributes {kiln.optimizer = {name = "adagrad"}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %w = kiln.param "w" init "zeros" : tensor<4xf32>
    kiln.param_grad %w, %g : tensor<4xf32>
    return
  }
}
