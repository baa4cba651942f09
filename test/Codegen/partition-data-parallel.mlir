// A data-parallel train step from gradient to kernels: kiln-fuse-updates
// moves what reads a summed gradient (the update, the clip's norm) after the
// rest of backward, so that the sum runs while backward does;
// kiln-partition-kernels fuses each weighting into the kernel that finishes
// its gradient, leaves kiln.all_reduce between kernels, and no op after the
// sum joins a kernel before it.
// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-data-parallel{bucket-floats=3},kiln-apply-optimizer,func.func(kiln-fuse-updates,kiln-partition-kernels))' | FileCheck %s

// CHECK-LABEL: func.func @train_step
// CHECK: %[[S:.*]] = kiln.batch_share : f32
// The bias's gradient and its weighting: one kernel; its sum follows.
// CHECK: %[[DB:.*]] = kiln.kernel "train_step_k{{[0-9]+}}" -> tensor<3xf32> {
// CHECK-NEXT: kiln.reduce_sum
// CHECK-NEXT: kiln.elementwise
// CHECK: %[[SB:.*]] = kiln.all_reduce %[[DB]] {bucket = 0 : i64}
// The weight's gradient, in a bucket of its own.
// CHECK: %[[DW:.*]] = kiln.kernel "train_step_k{{[0-9]+}}" -> tensor<4x3xf32> {
// CHECK-NEXT: kiln.matmul
// CHECK-NEXT: kiln.elementwise
// CHECK: %[[SW:.*]] = kiln.all_reduce %[[DW]] {bucket = 1 : i64}
// The rest of backward runs while the sums do.
// CHECK: kiln.kernel "train_step_k{{[0-9]+}}" {
// CHECK-NEXT: kiln.matmul
// CHECK-NEXT: kiln.relu
// CHECK: kiln.kernel "train_step_k{{[0-9]+}}" {
// CHECK-NEXT: kiln.update(%{{.*}}) from(%[[SB]])
// CHECK: kiln.kernel "train_step_k{{[0-9]+}}" {
// CHECK-NEXT: kiln.update(%{{.*}}) from(%[[SW]])
// CHECK-NOT: kiln.all_reduce
// CHECK: return
module attributes {kiln.optimizer = {name = "sgd", lr = 0.1}} {
  func.func @train_step() -> tensor<f32> {
    %x = kiln.input "x" : tensor<?x4xf32>
    %y = kiln.input "y" : tensor<?xi32>
    %b = kiln.param "b" init "zeros" : tensor<3xf32>
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    %m = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %l = kiln.bias_add %m, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x3xf32>, tensor<?xi32> -> tensor<f32>
    %one = kiln.fill 1.0 : tensor<f32>
    %dl = kiln.softmax_cross_entropy_grad %one, %l, %y : tensor<f32>, tensor<?x3xf32>, tensor<?xi32> -> tensor<?x3xf32>
    %db = kiln.reduce_sum %dl {axis = 0 : i64} : tensor<?x3xf32> -> tensor<3xf32>
    %dw = kiln.matmul %x, %dl {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
    %dx = kiln.matmul %dl, %w {transpose_rhs = true} : tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x4xf32>
    %r = kiln.relu %dx : tensor<?x4xf32>
    kiln.param_grad %w, %dw : tensor<4x3xf32>
    kiln.param_grad %b, %db : tensor<3xf32>
    return %loss : tensor<f32>
  }
}
