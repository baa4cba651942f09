// Decoupled weight decay on any optimizer: a `weight_decay` entry in the
// kiln.optimizer attribute (what `regularizer weight_decay(d)` imports to)
// becomes a runtime value, and the update subtracts lr * d * p, with p the
// old parameter, after the optimizer's own step. State updates are unchanged.
// RUN: kiln-opt %s --kiln-apply-optimizer -split-input-file | FileCheck %s

// sgd: p1 = (p - lr * g) - lr * d * p.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[G:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 1.000000e-01 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[WD:.*]] = kiln.hyperparam "weight_decay" default 1.000000e-02 in [0.000000e+00, inf) : f32
// CHECK-NEXT: kiln.step : f32
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: kiln.update(%[[W]]) from(%[[G]]) : (tensor<4xf32>), (tensor<4xf32>) {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[GI:.*]]: f32):
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %[[LR]], %[[GI]] : f32
// CHECK-NEXT: %[[SGD:.*]] = arith.subf %[[P]], %[[STEP]] : f32
// CHECK-NEXT: %[[LRWD:.*]] = arith.mulf %[[LR]], %[[WD]] : f32
// CHECK-NEXT: %[[DECAY:.*]] = arith.mulf %[[LRWD]], %[[P]] : f32
// CHECK-NEXT: %[[P1:.*]] = arith.subf %[[SGD]], %[[DECAY]] : f32
// CHECK-NEXT: kiln.yield %[[P1]] : f32
// CHECK-NEXT: }
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1, weight_decay = 0.01}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %w = kiln.param "w" init "zeros" : tensor<4xf32>
    kiln.param_grad %w, %g : tensor<4xf32>
    return
  }
}

// -----

// momentum: the decay applies to the parameter only; the velocity is
// yielded as without decay.
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[G:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 1.000000e-01 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[MU:.*]] = kiln.hyperparam "momentum" default 9.000000e-01 in [0.000000e+00, 1.000000e+00) : f32
// CHECK-NEXT: %[[WD:.*]] = kiln.hyperparam "weight_decay" default 5.000000e-02 in [0.000000e+00, inf) : f32
// CHECK-NEXT: kiln.step : f32
// CHECK-NEXT: %[[V:.*]] = kiln.state "w.velocity" of "w"
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: kiln.update(%[[W]], %[[V]]) from(%[[G]])
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[VI:.*]]: f32, %[[GI:.*]]: f32):
// CHECK-NEXT: %[[MV:.*]] = arith.mulf %[[MU]], %[[VI]] : f32
// CHECK-NEXT: %[[V1:.*]] = arith.addf %[[MV]], %[[GI]] : f32
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %[[LR]], %[[V1]] : f32
// CHECK-NEXT: %[[MOM:.*]] = arith.subf %[[P]], %[[STEP]] : f32
// CHECK-NEXT: %[[LRWD:.*]] = arith.mulf %[[LR]], %[[WD]] : f32
// CHECK-NEXT: %[[DECAY:.*]] = arith.mulf %[[LRWD]], %[[P]] : f32
// CHECK-NEXT: %[[P1:.*]] = arith.subf %[[MOM]], %[[DECAY]] : f32
// CHECK-NEXT: kiln.yield %[[P1]], %[[V1]] : f32, f32
// CHECK-NEXT: }
module attributes {kiln.optimizer = {name = "momentum", lr = 0.1, weight_decay = 0.05}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %w = kiln.param "w" init "zeros" : tensor<4xf32>
    kiln.param_grad %w, %g : tensor<4xf32>
    return
  }
}
