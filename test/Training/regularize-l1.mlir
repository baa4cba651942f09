// kiln-regularize with only an L1 strength (regularizer l1(s)): the loss
// gains sum(l1 * |p|) and the gradient l1 * sign(p), where sign is -1, 0 or
// +1 (0 at 0, as torch.sign).
// RUN: kiln-opt %s --kiln-regularize | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[LOSS:.*]]: tensor<f32>, %[[G:.*]]: tensor<3xf32>) -> tensor<f32>
// CHECK-NEXT: %[[L1:.*]] = kiln.hyperparam "l1" default 9.9999999999999995E-7 in [0.000000e+00, inf) : f32
// CHECK-NOT: kiln.hyperparam "l2"
// CHECK-NEXT: %[[B:.*]] = kiln.param "b"
// CHECK-NEXT: %[[PB:.*]] = kiln.elementwise(%[[B]]) : (tensor<3xf32>) -> tensor<3xf32> {
// CHECK-NEXT: ^bb0(%[[P:.*]]: f32):
// CHECK-NEXT: %[[ABS:.*]] = math.absf %[[P]] : f32
// CHECK-NEXT: %[[E:.*]] = arith.mulf %[[L1]], %[[ABS]] : f32
// CHECK-NEXT: kiln.yield %[[E]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[SB:.*]] = kiln.sum %[[PB]] : tensor<3xf32> -> tensor<f32>
// CHECK-NEXT: %[[TOTAL:.*]] = kiln.elementwise(%[[LOSS]], %[[SB]])
// CHECK-NEXT: ^bb0(%[[A0:.*]]: f32, %[[A1:.*]]: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[A0]], %[[A1]] : f32
// CHECK-NEXT: kiln.yield %[[S]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: %[[GB:.*]] = kiln.elementwise(%[[G]], %[[B]]) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32> {
// CHECK-NEXT: ^bb0(%[[GI:.*]]: f32, %[[P:.*]]: f32):
// CHECK-NEXT: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[POS:.*]] = arith.cmpf ogt, %[[P]], %[[ZERO]] : f32
// CHECK-NEXT: %[[NEG:.*]] = arith.cmpf olt, %[[P]], %[[ZERO]] : f32
// CHECK-NEXT: %[[M1:.*]] = arith.constant -1.000000e+00 : f32
// CHECK-NEXT: %[[NZ:.*]] = arith.select %[[NEG]], %[[M1]], %[[ZERO]] : f32
// CHECK-NEXT: %[[P1:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[SIGN:.*]] = arith.select %[[POS]], %[[P1]], %[[NZ]] : f32
// CHECK-NEXT: %[[D:.*]] = arith.mulf %[[L1]], %[[SIGN]] : f32
// CHECK-NEXT: %[[G1:.*]] = arith.addf %[[GI]], %[[D]] : f32
// CHECK-NEXT: kiln.yield %[[G1]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.param_grad %[[B]], %[[GB]] : tensor<3xf32>
// CHECK-NEXT: return %[[TOTAL]] : tensor<f32>
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1}, kiln.regularizer = {l1 = 1.0e-6}} {
  func.func @train_step(%loss: tensor<f32>, %g: tensor<3xf32>) -> tensor<f32> {
    %b = kiln.param "b" init "zeros" : tensor<3xf32>
    kiln.param_grad %b, %g : tensor<3xf32>
    return %loss : tensor<f32>
  }
}
