// Adadelta (torch.optim.Adadelta): two state tensors, "<param>.square_avg"
// (a) and "<param>.acc_delta" (u), yielded in that order after the parameter:
//   a = rho * a + (1 - rho) g^2;  d = sqrt(u + eps) / sqrt(a + eps) * g;
//   u = rho * u + (1 - rho) d^2;  p -= lr * d.
// RUN: kiln-opt %s --kiln-apply-optimizer | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[G:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 1.000000e+00 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[RHO:.*]] = kiln.hyperparam "rho" default 9.000000e-01 in [0.000000e+00, 1.000000e+00) : f32
// CHECK-NEXT: %[[EPS:.*]] = kiln.hyperparam "eps" default 9.9999999999999995E-7 in (0.000000e+00, inf) : f32
// CHECK-NEXT: kiln.step : f32
// CHECK-NEXT: %[[SA:.*]] = kiln.state "w.square_avg" of "w" init 0.000000e+00 : tensor<4xf32>
// CHECK-NEXT: %[[AD:.*]] = kiln.state "w.acc_delta" of "w" init 0.000000e+00 : tensor<4xf32>
// CHECK-NEXT: %[[W:.*]] = kiln.param "w" init "zeros" : tensor<4xf32>
// CHECK-NEXT: kiln.update(%[[W]], %[[SA]], %[[AD]]) from(%[[G]]) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[A:.*]]: f32, %[[U:.*]]: f32, %[[GI:.*]]: f32):
// a1 = rho * a + (1 - rho) * g^2
// CHECK-NEXT: %[[G2:.*]] = arith.mulf %[[GI]], %[[GI]] : f32
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[OMR:.*]] = arith.subf %[[ONE]], %[[RHO]] : f32
// CHECK-NEXT: %[[T1:.*]] = arith.mulf %[[OMR]], %[[G2]] : f32
// CHECK-NEXT: %[[T0:.*]] = arith.mulf %[[RHO]], %[[A]] : f32
// CHECK-NEXT: %[[A1:.*]] = arith.addf %[[T0]], %[[T1]] : f32
// d = sqrt(u + eps) / sqrt(a1 + eps) * g
// CHECK-NEXT: %[[AE:.*]] = arith.addf %[[A1]], %[[EPS]] : f32
// CHECK-NEXT: %[[RA:.*]] = math.sqrt %[[AE]] : f32
// CHECK-NEXT: %[[UE:.*]] = arith.addf %[[U]], %[[EPS]] : f32
// CHECK-NEXT: %[[RU:.*]] = math.sqrt %[[UE]] : f32
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[RU]], %[[RA]] : f32
// CHECK-NEXT: %[[D:.*]] = arith.mulf %[[Q]], %[[GI]] : f32
// u1 = rho * u + (1 - rho) * d^2
// CHECK-NEXT: %[[D2:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK-NEXT: %[[ONE2:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[OMR2:.*]] = arith.subf %[[ONE2]], %[[RHO]] : f32
// CHECK-NEXT: %[[T3:.*]] = arith.mulf %[[OMR2]], %[[D2]] : f32
// CHECK-NEXT: %[[T2:.*]] = arith.mulf %[[RHO]], %[[U]] : f32
// CHECK-NEXT: %[[U1:.*]] = arith.addf %[[T2]], %[[T3]] : f32
// p1 = p - lr * d
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %[[LR]], %[[D]] : f32
// CHECK-NEXT: %[[P1:.*]] = arith.subf %[[P]], %[[STEP]] : f32
// CHECK-NEXT: kiln.yield %[[P1]], %[[A1]], %[[U1]] : f32, f32, f32
// CHECK-NEXT: }
module attributes {kiln.optimizer = {name = "adadelta"}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %w = kiln.param "w" init "zeros" : tensor<4xf32>
    kiln.param_grad %w, %g : tensor<4xf32>
    return
  }
}
