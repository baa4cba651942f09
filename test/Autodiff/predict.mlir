// kiln-autodiff also derives @predict: @forward returning only the
// prediction, without the loss and the labels only the loss reads; and
// @evaluate: the loss and the prediction, in inference mode. @forward itself
// is removed.
// RUN: kiln-opt %s --kiln-autodiff | FileCheck %s

// CHECK-NOT: func.func @forward
// CHECK-LABEL: func.func @train_step() -> tensor<f32>
// CHECK-LABEL: func.func @predict() -> tensor<?x3xf32> {
// CHECK-NEXT: %[[X:.*]] = kiln.input "x" : tensor<?x4xf32>
// CHECK-NEXT: %[[W:.*]] = kiln.param "w" init "he_normal" : tensor<4x3xf32>
// CHECK-NEXT: %[[M:.*]] = kiln.matmul %[[X]], %[[W]] : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
// CHECK-NEXT: %[[B:.*]] = kiln.param "b" init "zeros" : tensor<3xf32>
// CHECK-NEXT: %[[L:.*]] = kiln.bias_add %[[M]], %[[B]] : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
// CHECK-NEXT: return %[[L]] : tensor<?x3xf32>
// CHECK-NEXT: }
// CHECK-NOT: kiln.input "y"
// CHECK-NOT: kiln.softmax_cross_entropy
// CHECK-LABEL: func.func @evaluate() -> (tensor<f32>, tensor<?x3xf32>) {
// CHECK: %[[EY:.*]] = kiln.input "y" : tensor<?xi32>
// CHECK: %[[EL:.*]] = kiln.bias_add
// CHECK: %[[LOSS:.*]] = kiln.softmax_cross_entropy %[[EL]], %[[EY]]
// CHECK-NEXT: return %[[LOSS]], %[[EL]] : tensor<f32>, tensor<?x3xf32>
// CHECK-NOT: kiln.param_grad
// CHECK-NOT: func.func @forward
func.func @forward() -> (tensor<f32>, tensor<?x3xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %m = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %b = kiln.param "b" init "zeros" : tensor<3xf32>
  %l = kiln.bias_add %m, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %l : tensor<f32>, tensor<?x3xf32>
}
