// AdamW (torch.optim.AdamW): Adam's update and state, plus decoupled weight
// decay from its own `weight_decay` setting (default 0.01), applied to the
// old parameter: p1 = adam(p) - lr * wd * p, which equals torch's
// p *= 1 - lr * wd followed by the Adam step.
// RUN: kiln-opt %s --kiln-apply-optimizer | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[G:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 1.000000e-03 in (0.000000e+00, inf) : f32
// CHECK-NEXT: kiln.hyperparam "beta1" default 9.000000e-01 in [0.000000e+00, 1.000000e+00) : f32
// CHECK-NEXT: kiln.hyperparam "beta2" default 0.99899999999999999 in [0.000000e+00, 1.000000e+00) : f32
// CHECK-NEXT: kiln.hyperparam "eps" default 1.000000e-08 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[WD:.*]] = kiln.hyperparam "weight_decay" default 1.000000e-02 in [0.000000e+00, inf) : f32
// CHECK-NEXT: kiln.step : f32
// CHECK-NEXT: %[[M:.*]] = kiln.state "w.m" of "w"
// CHECK-NEXT: %[[V:.*]] = kiln.state "w.v" of "w"
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: kiln.update(%[[W]], %[[M]], %[[V]]) from(%[[G]])
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK: %[[ADAM:.*]] = arith.subf %[[P]], %{{.*}} : f32
// CHECK-NEXT: %[[LRWD:.*]] = arith.mulf %[[LR]], %[[WD]] : f32
// CHECK-NEXT: %[[DECAY:.*]] = arith.mulf %[[LRWD]], %[[P]] : f32
// CHECK-NEXT: %[[P1:.*]] = arith.subf %[[ADAM]], %[[DECAY]] : f32
// CHECK-NEXT: kiln.yield %[[P1]], %{{.*}}, %{{.*}} : f32, f32, f32
// CHECK-NEXT: }
module attributes {kiln.optimizer = {name = "adamw"}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %w = kiln.param "w" init "zeros" : tensor<4xf32>
    kiln.param_grad %w, %g : tensor<4xf32>
    return
  }
}
