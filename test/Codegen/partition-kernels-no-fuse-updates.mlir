// kiln-partition-kernels{fuse-updates=false} (kilnc --no-fuse-updates) never
// lets an update join another kernel: the gradient leaves its kernel as a
// result and every update runs in a kernel of its own. Epilogues still fuse.
// RUN: kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-partition-kernels{fuse-updates=false}))' -split-input-file | FileCheck %s

// The update that the default option fuses into the matmul's kernel
// (partition-kernels.mlir, @update_fused) gets a kernel of its own.
// CHECK-LABEL: func.func @update_fused
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[D:.*]]: tensor<?x3xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr"
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: %[[G:.*]] = kiln.kernel "update_fused_k0" -> tensor<4x3xf32> {
// CHECK-NEXT: %[[GW:.*]] = kiln.matmul %[[X]], %[[D]] {transpose_lhs = true}
// CHECK-NEXT: kiln.yield %[[GW]] : tensor<4x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: kiln.kernel "update_fused_k1" {
// CHECK-NEXT: kiln.update(%[[W]]) from(%[[G]]) : (tensor<4x3xf32>), (tensor<4x3xf32>) {
// CHECK: kiln.yield %{{.*}} : f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.yield{{$}}
// CHECK-NEXT: }
// CHECK-NEXT: return{{$}}
func.func @update_fused(%x: tensor<?x4xf32>, %d: tensor<?x3xf32>) {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %gw = kiln.matmul %x, %d {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
  kiln.update (%w) from (%gw) : (tensor<4x3xf32>), (tensor<4x3xf32>) {
  ^bb0(%wi: f32, %gi: f32):
    %0 = arith.mulf %lr, %gi : f32
    %1 = arith.subf %wi, %0 : f32
    kiln.yield %1 : f32
  }
  return
}

// -----

// Two updates in a row get a kernel each; a clip before the update still
// joins the matmul's kernel as an epilogue, and the clipped gradient is that
// kernel's result.
// CHECK-LABEL: func.func @two_updates
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[D:.*]]: tensor<?x3xf32>)
// CHECK: %[[GB:.*]] = kiln.kernel "two_updates_k0" -> tensor<3xf32> {
// CHECK-NEXT: kiln.reduce_sum %[[D]]
// CHECK: %[[GW:.*]] = kiln.kernel "two_updates_k1" -> tensor<4x3xf32> {
// CHECK-NEXT: kiln.matmul %[[X]], %[[D]] {transpose_lhs = true}
// CHECK-NEXT: %[[C:.*]] = kiln.elementwise
// CHECK: kiln.yield %[[C]] : tensor<4x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: kiln.kernel "two_updates_k2" {
// CHECK-NEXT: kiln.update(%{{.*}}) from(%[[GW]])
// CHECK: kiln.kernel "two_updates_k3" {
// CHECK-NEXT: kiln.update(%{{.*}}) from(%[[GB]])
// CHECK-NOT: kiln.kernel
func.func @two_updates(%x: tensor<?x4xf32>, %d: tensor<?x3xf32>) {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %c = kiln.hyperparam "clip" default 1.0 in (0.0, inf) : f32
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %b = kiln.param "b" init "zeros" : tensor<3xf32>
  %gb = kiln.reduce_sum %d {axis = 0 : i64} : tensor<?x3xf32> -> tensor<3xf32>
  %gw = kiln.matmul %x, %d {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
  %g = kiln.elementwise (%gw) : (tensor<4x3xf32>) -> tensor<4x3xf32> {
  ^bb0(%gi: f32):
    %0 = arith.minimumf %gi, %c : f32
    kiln.yield %0 : f32
  }
  kiln.update (%w) from (%g) : (tensor<4x3xf32>), (tensor<4x3xf32>) {
  ^bb0(%wi: f32, %gi: f32):
    %0 = arith.mulf %lr, %gi : f32
    %1 = arith.subf %wi, %0 : f32
    kiln.yield %1 : f32
  }
  kiln.update (%b) from (%gb) : (tensor<3xf32>), (tensor<3xf32>) {
  ^bb0(%bi: f32, %gi: f32):
    %0 = arith.mulf %lr, %gi : f32
    %1 = arith.subf %bi, %0 : f32
    kiln.yield %1 : f32
  }
  return
}
