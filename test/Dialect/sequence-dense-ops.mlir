// A dense layer over a sequence: kiln.matmul with a rank-3 left side (rows
// are every (sample, step)), bias_add along axis 2, and the weight gradient
// that contracts over batch and steps (transpose_lhs with two rank-3 sides).
// The default axis 1 of bias_add is not printed; axis 2 is.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @sequence_dense
// CHECK-NEXT: %[[H:.*]] = kiln.matmul %{{.*}}, %{{.*}} : tensor<?x20x16xf32>, tensor<16x64xf32> -> tensor<?x20x64xf32>
// CHECK-NEXT: %[[Z:.*]] = kiln.bias_add %[[H]], %{{.*}} {axis = 2 : i64} : tensor<?x20x64xf32>, tensor<64xf32> -> tensor<?x20x64xf32>
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul %{{.*}}, %[[Z]] {transpose_lhs = true} : tensor<?x20x16xf32>, tensor<?x20x64xf32> -> tensor<16x64xf32>
// CHECK-NEXT: %[[DX:.*]] = kiln.matmul %[[Z]], %{{.*}} {transpose_rhs = true} : tensor<?x20x64xf32>, tensor<16x64xf32> -> tensor<?x20x16xf32>
// CHECK-NEXT: %[[C:.*]] = kiln.bias_add %{{.*}}, %{{.*}} : tensor<?x3x4x4xf32>, tensor<3xf32> -> tensor<?x3x4x4xf32>
func.func @sequence_dense(%e: tensor<?x20x16xf32>, %w: tensor<16x64xf32>, %b: tensor<64xf32>,
                          %x: tensor<?x3x4x4xf32>, %c: tensor<3xf32>)
    -> (tensor<?x20x64xf32>, tensor<16x64xf32>, tensor<?x20x16xf32>, tensor<?x3x4x4xf32>) {
  %h = kiln.matmul %e, %w : tensor<?x20x16xf32>, tensor<16x64xf32> -> tensor<?x20x64xf32>
  %z = kiln.bias_add %h, %b {axis = 2 : i64} : tensor<?x20x64xf32>, tensor<64xf32> -> tensor<?x20x64xf32>
  %dw = kiln.matmul %e, %z {transpose_lhs = true} : tensor<?x20x16xf32>, tensor<?x20x64xf32> -> tensor<16x64xf32>
  %dx = kiln.matmul %z, %w {transpose_rhs = true} : tensor<?x20x64xf32>, tensor<16x64xf32> -> tensor<?x20x16xf32>
  %y = kiln.bias_add %x, %c {axis = 1 : i64} : tensor<?x3x4x4xf32>, tensor<3xf32> -> tensor<?x3x4x4xf32>
  return %z, %dw, %dx, %y : tensor<?x20x64xf32>, tensor<16x64xf32>, tensor<?x20x16xf32>, tensor<?x3x4x4xf32>
}

