// kiln-data-parallel weights each gradient of @train_step by this process's
// share of the global batch (kiln.batch_share, in an elementwise op right
// after the op that finishes the gradient) and sums the weighted gradients
// over processes with kiln.all_reduce, in buckets of at least bucket-floats
// elements taken in the order backward finishes them; each bucket's sum
// follows its last gradient, and the markers read the sums. @predict is left
// alone.
// RUN: kiln-opt %s --kiln-data-parallel="bucket-floats=10" -split-input-file | FileCheck %s
// RUN: kiln-opt %s --kiln-data-parallel -split-input-file | FileCheck %s --check-prefix=ONE

// The bias gradient (3 floats) is final first, then the second weight's (6):
// 9 < 10, so the first weight's (12) joins that bucket too; the last
// bucket holds the rest.
// CHECK-LABEL: func.func @train_step
// CHECK: %[[S:.*]] = kiln.batch_share : f32
// CHECK: %[[DB:.*]] = kiln.reduce_sum
// CHECK-NEXT: %[[WB:.*]] = kiln.elementwise(%[[DB]])
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32):
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[A]], %[[S]] : f32
// CHECK-NEXT: kiln.yield %[[M]]
// CHECK: %[[DV:.*]] = kiln.matmul %{{.*}}, %{{.*}} {transpose_lhs = true} : tensor<?x3xf32>, tensor<?x2xf32> -> tensor<3x2xf32>
// CHECK-NEXT: %[[WV:.*]] = kiln.elementwise(%[[DV]])
// CHECK: %[[DW:.*]] = kiln.matmul %{{.*}}, %{{.*}} {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
// CHECK-NEXT: %[[WW:.*]] = kiln.elementwise(%[[DW]])
// CHECK: %[[SUM:.*]]:3 = kiln.all_reduce %[[WB]], %[[WV]], %[[WW]] {bucket = 0 : i64}
// CHECK: %[[DC:.*]] = kiln.reduce_sum
// CHECK-NEXT: %[[WC:.*]] = kiln.elementwise(%[[DC]])
// CHECK: %[[SUM2:.*]] = kiln.all_reduce %[[WC]] {bucket = 1 : i64}
// CHECK-DAG: kiln.param_grad %{{.*}}, %[[SUM]]#2 : tensor<4x3xf32>
// CHECK-DAG: kiln.param_grad %{{.*}}, %[[SUM]]#0 : tensor<3xf32>
// CHECK-DAG: kiln.param_grad %{{.*}}, %[[SUM]]#1 : tensor<3x2xf32>
// CHECK-DAG: kiln.param_grad %{{.*}}, %[[SUM2]] : tensor<2xf32>
// CHECK-LABEL: func.func @predict
// CHECK-NOT: kiln.batch_share
// CHECK-NOT: kiln.all_reduce
// CHECK: return

// With the default bucket (2^20 floats), one bucket of all four.
// ONE: kiln.all_reduce %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {bucket = 0 : i64}
// ONE-NOT: kiln.all_reduce
// ONE: func.func @predict
module {
  func.func @train_step() -> tensor<f32> {
    %x = kiln.input "x" : tensor<?x4xf32>
    %y = kiln.input "y" : tensor<?xi32>
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    %b = kiln.param "b" init "zeros" : tensor<3xf32>
    %v = kiln.param "v" init "he_normal" : tensor<3x2xf32>
    %c = kiln.param "c" init "zeros" : tensor<2xf32>
    %m = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %h = kiln.bias_add %m, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
    %n = kiln.matmul %h, %v : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
    %l = kiln.bias_add %n, %c : tensor<?x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
    %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x2xf32>, tensor<?xi32> -> tensor<f32>
    %one = kiln.fill 1.0 : tensor<f32>
    %dl = kiln.softmax_cross_entropy_grad %one, %l, %y : tensor<f32>, tensor<?x2xf32>, tensor<?xi32> -> tensor<?x2xf32>
    %dh = kiln.matmul %dl, %v {transpose_rhs = true} : tensor<?x2xf32>, tensor<3x2xf32> -> tensor<?x3xf32>
    %db = kiln.reduce_sum %dh {axis = 0 : i64} : tensor<?x3xf32> -> tensor<3xf32>
    %dv = kiln.matmul %h, %dl {transpose_lhs = true} : tensor<?x3xf32>, tensor<?x2xf32> -> tensor<3x2xf32>
    %dw = kiln.matmul %x, %dh {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
    %dc = kiln.reduce_sum %dl {axis = 0 : i64} : tensor<?x2xf32> -> tensor<2xf32>
    kiln.param_grad %w, %dw : tensor<4x3xf32>
    kiln.param_grad %b, %db : tensor<3xf32>
    kiln.param_grad %v, %dv : tensor<3x2xf32>
    kiln.param_grad %c, %dc : tensor<2xf32>
    return %loss : tensor<f32>
  }
  func.func @predict() -> tensor<?x2xf32> {
    %x = kiln.input "x" : tensor<?x4xf32>
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    %m = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
    %v = kiln.param "v" init "he_normal" : tensor<3x2xf32>
    %n = kiln.matmul %m, %v : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
    return %n : tensor<?x2xf32>
  }
}

// -----

// Synchronized batch statistics: each kiln.process_mean of @train_step
// becomes a weighting and a sum marked `statistic`, numbered after the
// gradient buckets, where it was; outside @train_step, the identity.
// CHECK-LABEL: func.func @train_step
// CHECK: %[[S:.*]] = kiln.batch_share : f32
// CHECK: %[[M:.*]] = kiln.reduce_sum
// CHECK: %[[G:.*]] = kiln.all_reduce %{{.*}} {bucket = 0 : i64} :
// CHECK-NEXT: %[[W:.*]] = kiln.elementwise(%[[M]])
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32):
// CHECK-NEXT: arith.mulf %[[A]], %[[S]] : f32
// CHECK: %[[SUM:.*]] = kiln.all_reduce %[[W]] {bucket = 1 : i64, statistic}
// CHECK-NEXT: kiln.broadcast %[[SUM]]
// CHECK-NOT: kiln.process_mean
// CHECK-LABEL: func.func @evaluate
// CHECK-NOT: kiln.process_mean
// CHECK-NOT: kiln.all_reduce
// CHECK: return
module {
  func.func @train_step() -> tensor<f32> {
    %x = kiln.input "x" : tensor<?x3xf32>
    %w = kiln.param "w" init "ones" : tensor<3xf32>
    %m = kiln.reduce_sum %x {axis = 0 : i64} : tensor<?x3xf32> -> tensor<3xf32>
    %g = kiln.process_mean %m : tensor<3xf32>
    %b = kiln.broadcast %g {axis = 0 : i64} : tensor<3xf32> -> tensor<?x3xf32>
    %l = kiln.sum %b : tensor<?x3xf32> -> tensor<f32>
    kiln.param_grad %w, %m : tensor<3xf32>
    return %l : tensor<f32>
  }
  func.func @evaluate() -> tensor<f32> {
    %x = kiln.input "x" : tensor<?x3xf32>
    %m = kiln.reduce_sum %x {axis = 0 : i64} : tensor<?x3xf32> -> tensor<3xf32>
    %g = kiln.process_mean %m : tensor<3xf32>
    %l = kiln.sum %g : tensor<3xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
}
