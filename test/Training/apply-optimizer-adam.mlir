// Adam (torch.optim.Adam): two state tensors per parameter, "<param>.m" and
// "<param>.v", and bias correction from the 1-based step number t
// (kiln.step, set by the runtime):
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// The settings in the module attribute replace the defaults.
// RUN: kiln-opt %s --kiln-apply-optimizer | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[GW:.*]]: tensor<4x3xf32>, %[[GB:.*]]: tensor<3xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr" default 2.000000e-03 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[B1:.*]] = kiln.hyperparam "beta1" default 8.000000e-01 in [0.000000e+00, 1.000000e+00) : f32
// CHECK-NEXT: %[[B2:.*]] = kiln.hyperparam "beta2" default 0.98999999999999999 in [0.000000e+00, 1.000000e+00) : f32
// CHECK-NEXT: %[[EPS:.*]] = kiln.hyperparam "eps" default 9.9999999999999995E-8 in (0.000000e+00, inf) : f32
// CHECK-NEXT: %[[T:.*]] = kiln.step : f32
// CHECK-NEXT: %[[WM:.*]] = kiln.state "w.m" of "w" init 0.000000e+00 : tensor<4x3xf32>
// CHECK-NEXT: %[[WV:.*]] = kiln.state "w.v" of "w" init 0.000000e+00 : tensor<4x3xf32>
// CHECK-NEXT: %[[BM:.*]] = kiln.state "b.m" of "b" init 0.000000e+00 : tensor<3xf32>
// CHECK-NEXT: %[[BV:.*]] = kiln.state "b.v" of "b" init 0.000000e+00 : tensor<3xf32>
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: %[[B:.*]] = kiln.param "b"

// The weight's update writes the weight and its two moments.
// CHECK-NEXT: kiln.update(%[[W]], %[[WM]], %[[WV]]) from(%[[GW]]) : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>), (tensor<4x3xf32>) {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32, %[[M:.*]]: f32, %[[V:.*]]: f32, %[[G:.*]]: f32):
// m1 = b1 * m + (1 - b1) * g
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[OMB1:.*]] = arith.subf %[[ONE]], %[[B1]] : f32
// CHECK-NEXT: %[[MG:.*]] = arith.mulf %[[OMB1]], %[[G]] : f32
// CHECK-NEXT: %[[MM:.*]] = arith.mulf %[[B1]], %[[M]] : f32
// CHECK-NEXT: %[[M1:.*]] = arith.addf %[[MM]], %[[MG]] : f32
// v1 = b2 * v + (1 - b2) * g^2
// CHECK-NEXT: %[[G2:.*]] = arith.mulf %[[G]], %[[G]] : f32
// CHECK-NEXT: %[[ONE1:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[OMB2:.*]] = arith.subf %[[ONE1]], %[[B2]] : f32
// CHECK-NEXT: %[[VG:.*]] = arith.mulf %[[OMB2]], %[[G2]] : f32
// CHECK-NEXT: %[[VV:.*]] = arith.mulf %[[B2]], %[[V]] : f32
// CHECK-NEXT: %[[V1:.*]] = arith.addf %[[VV]], %[[VG]] : f32
// step size = lr / (1 - b1^t)
// CHECK-NEXT: %[[B1T:.*]] = math.powf %[[B1]], %[[T]] : f32
// CHECK-NEXT: %[[ONE2:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[C1:.*]] = arith.subf %[[ONE2]], %[[B1T]] : f32
// CHECK-NEXT: %[[SS:.*]] = arith.divf %[[LR]], %[[C1]] : f32
// denominator = sqrt(v1) / sqrt(1 - b2^t) + eps
// CHECK-NEXT: %[[B2T:.*]] = math.powf %[[B2]], %[[T]] : f32
// CHECK-NEXT: %[[ONE3:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[C2:.*]] = arith.subf %[[ONE3]], %[[B2T]] : f32
// CHECK-NEXT: %[[RC2:.*]] = math.sqrt %[[C2]] : f32
// CHECK-NEXT: %[[RV:.*]] = math.sqrt %[[V1]] : f32
// CHECK-NEXT: %[[VH:.*]] = arith.divf %[[RV]], %[[RC2]] : f32
// CHECK-NEXT: %[[DEN:.*]] = arith.addf %[[VH]], %[[EPS]] : f32
// p1 = p - step size * m1 / denominator
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[M1]], %[[DEN]] : f32
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %[[SS]], %[[Q]] : f32
// CHECK-NEXT: %[[P1:.*]] = arith.subf %[[P]], %[[STEP]] : f32
// CHECK-NEXT: kiln.yield %[[P1]], %[[M1]], %[[V1]] : f32, f32, f32
// CHECK-NEXT: }

// The bias's update has the same body over the bias's own moments.
// CHECK-NEXT: kiln.update(%[[B]], %[[BM]], %[[BV]]) from(%[[GB]]) : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>), (tensor<3xf32>) {
// CHECK: kiln.yield %{{.*}}, %{{.*}}, %{{.*}} : f32, f32, f32
// CHECK-NEXT: }
// CHECK-NEXT: return
module attributes {kiln.optimizer = {name = "adam", lr = 2.0e-3, beta1 = 0.8, beta2 = 0.99, eps = 1.0e-7}} {
  func.func @train_step(%gw: tensor<4x3xf32>, %gb: tensor<3xf32>) {
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    %b = kiln.param "b" init "zeros" : tensor<3xf32>
    kiln.param_grad %w, %gw : tensor<4x3xf32>
    kiln.param_grad %b, %gb : tensor<3xf32>
    return
  }
}
