// kiln-regularize with both strengths (regularizer elastic_net(l1 = a,
// l2 = b), or an l1 and an l2 statement): one penalty per element,
// l2 / 2 * p^2 + l1 * |p|, and one gradient term, l2 * p + l1 * sign(p).
// RUN: kiln-opt %s --kiln-regularize | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[LOSS:.*]]: tensor<f32>, %[[G:.*]]: tensor<3xf32>) -> tensor<f32>
// CHECK-NEXT: %[[L1:.*]] = kiln.hyperparam "l1" default 1.000000e-05 in [0.000000e+00, inf) : f32
// CHECK-NEXT: %[[L2:.*]] = kiln.hyperparam "l2" default 1.000000e-04 in [0.000000e+00, inf) : f32
// CHECK-NEXT: %[[B:.*]] = kiln.param "b"
// CHECK-NEXT: %[[PB:.*]] = kiln.elementwise(%[[B]]) : (tensor<3xf32>) -> tensor<3xf32> {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32):
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[P]], %[[P]] : f32
// CHECK-NEXT: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: %[[K:.*]] = arith.mulf %[[HALF]], %[[L2]] : f32
// CHECK-NEXT: %[[E2:.*]] = arith.mulf %[[K]], %[[SQ]] : f32
// CHECK-NEXT: %[[ABS:.*]] = math.absf %[[P]] : f32
// CHECK-NEXT: %[[E1:.*]] = arith.mulf %[[L1]], %[[ABS]] : f32
// CHECK-NEXT: %[[E:.*]] = arith.addf %[[E2]], %[[E1]] : f32
// CHECK-NEXT: kiln.yield %[[E]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[SB:.*]] = kiln.sum %[[PB]] : tensor<3xf32> -> tensor<f32>
// CHECK-NEXT: %[[TOTAL:.*]] = kiln.elementwise(%[[LOSS]], %[[SB]])
// CHECK: %[[GB:.*]] = kiln.elementwise(%[[G]], %[[B]]) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32> {
// CHECK-NEXT: ^bb0(%[[GI:.*]]: f32, %[[P:.*]]: f32):
// CHECK-NEXT: %[[D2:.*]] = arith.mulf %[[L2]], %[[P]] : f32
// CHECK: %[[NZ:.*]] = arith.select
// CHECK-NEXT: arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[SIGN:.*]] = arith.select %{{.*}}, %{{.*}}, %[[NZ]] : f32
// CHECK-NEXT: %[[D1:.*]] = arith.mulf %[[L1]], %[[SIGN]] : f32
// CHECK-NEXT: %[[D:.*]] = arith.addf %[[D2]], %[[D1]] : f32
// CHECK-NEXT: %[[G1:.*]] = arith.addf %[[GI]], %[[D]] : f32
// CHECK-NEXT: kiln.yield %[[G1]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.param_grad %[[B]], %[[GB]] : tensor<3xf32>
// CHECK-NEXT: return %[[TOTAL]] : tensor<f32>
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1}, kiln.regularizer = {l1 = 1.0e-5, l2 = 1.0e-4}} {
  func.func @train_step(%loss: tensor<f32>, %g: tensor<3xf32>) -> tensor<f32> {
    %b = kiln.param "b" init "zeros" : tensor<3xf32>
    kiln.param_grad %b, %g : tensor<3xf32>
    return %loss : tensor<f32>
  }
}
