// kiln.batch_norm_train and kiln.batch_norm_grad print in a form that parses
// back to the same ops, on NCHW and on [N, C] inputs.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @batch_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x3x3xf32>, %[[G:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>, %[[DY:.*]]: tensor<?x4x3x3xf32>, %[[Z:.*]]: tensor<?x4xf32>)
// CHECK-NEXT: %[[Y:.*]], %[[M:.*]], %[[V:.*]] = kiln.batch_norm_train %[[X]], %[[G]], %[[B]] {eps = 1.000000e-05 : f64} : tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>
// CHECK-NEXT: %[[DX:.*]], %[[DG:.*]], %[[DB:.*]] = kiln.batch_norm_grad %[[DY]], %[[X]], %[[M]], %[[V]], %[[G]] {eps = 1.000000e-05 : f64} : tensor<?x4x3x3xf32>, tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>
// CHECK-NEXT: %{{.*}}, %{{.*}}, %{{.*}} = kiln.batch_norm_train %[[Z]], %[[G]], %[[B]] {eps = 1.000000e-03 : f64} : tensor<?x4xf32>
// CHECK-NEXT: return %[[Y]], %[[DX]], %[[DG]], %[[DB]]
func.func @batch_norm(%x: tensor<?x4x3x3xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>,
                      %dy: tensor<?x4x3x3xf32>, %z: tensor<?x4xf32>)
    -> (tensor<?x4x3x3xf32>, tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) {
  %y, %m, %v = kiln.batch_norm_train %x, %g, %b {eps = 1.0e-5 : f64}
      : tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>
      -> tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>
  %dx, %dg, %db = kiln.batch_norm_grad %dy, %x, %m, %v, %g {eps = 1.0e-5 : f64}
      : tensor<?x4x3x3xf32>, tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
      -> tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>
  %y2, %m2, %v2 = kiln.batch_norm_train %z, %g, %b {eps = 1.0e-3 : f64}
      : tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>
  return %y, %dx, %dg, %db : tensor<?x4x3x3xf32>, tensor<?x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>
}
