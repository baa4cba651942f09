// kiln-training-health: @train_step also returns, after the loss, the squared
// norm of each marked gradient (read where the marker reads it) and the
// number of dead units of each relu (features of a [batch, features] output,
// channels of an NCHW one). The module attribute kiln.health describes the
// results in order. Other functions are left alone.
// RUN: kiln-opt %s --kiln-training-health | FileCheck %s

// CHECK-LABEL: module attributes {kiln.health = [
// CHECK-SAME: {kind = "grad_sq", name = "b", units = 3 : i64, where = "{{[^"]*}}training-health.mlir:{{[0-9]+}}:{{[0-9]+}}"},
// CHECK-SAME: {kind = "grad_sq", name = "w", units = 12 : i64, where = "{{[^"]*}}"},
// CHECK-SAME: {kind = "dead_units", name = "relu0", units = 3 : i64, where = "{{[^"]*}}"},
// CHECK-SAME: {kind = "dead_units", name = "relu1", units = 5 : i64, where = "{{[^"]*}}"}]

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: -> (tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>)
// CHECK: %[[H:.*]] = kiln.relu %{{.*}} : tensor<?x3xf32>
// CHECK-NEXT: %[[D0:.*]] = kiln.dead_units %[[H]] {unit_axis = 1 : i64} : tensor<?x3xf32> -> tensor<f32>
// CHECK: %[[C:.*]] = kiln.relu %{{.*}} : tensor<?x5x2x2xf32>
// CHECK-NEXT: %[[D1:.*]] = kiln.dead_units %[[C]] {unit_axis = 1 : i64} : tensor<?x5x2x2xf32> -> tensor<f32>
// CHECK: %[[DB:.*]] = kiln.reduce_sum
// CHECK-NEXT: %[[NB:.*]] = kiln.sum_of_squares %[[DB]] : tensor<3xf32> -> tensor<f32>
// CHECK-NEXT: kiln.param_grad %{{.*}}, %[[DB]] : tensor<3xf32>
// CHECK-NEXT: %[[DW:.*]] = kiln.matmul
// CHECK-NEXT: %[[NW:.*]] = kiln.sum_of_squares %[[DW]] : tensor<4x3xf32> -> tensor<f32>
// CHECK-NEXT: kiln.param_grad %{{.*}}, %[[DW]] : tensor<4x3xf32>
// CHECK-NEXT: return %[[L:.*]], %[[NB]], %[[NW]], %[[D0]], %[[D1]] : tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>

// CHECK-LABEL: func.func @predict
// CHECK-NOT: kiln.dead_units
// CHECK: return %{{.*}} : tensor<?x3xf32>
module {
  func.func @train_step(%x: tensor<?x4xf32>, %dl: tensor<?x3xf32>, %img: tensor<?x5x2x2xf32>) -> tensor<f32> {
    %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
    %b = kiln.param "b" init "zeros" : tensor<3xf32>
    %h = kiln.relu %dl : tensor<?x3xf32>
    %c = kiln.relu %img : tensor<?x5x2x2xf32>
    %loss = kiln.sum %h : tensor<?x3xf32> -> tensor<f32>
    %db = kiln.reduce_sum %dl {axis = 0 : i64} : tensor<?x3xf32> -> tensor<3xf32>
    kiln.param_grad %b, %db : tensor<3xf32>
    %dw = kiln.matmul %x, %dl {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
    kiln.param_grad %w, %dw : tensor<4x3xf32>
    return %loss : tensor<f32>
  }
  func.func @predict(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
    %h = kiln.relu %x : tensor<?x3xf32>
    return %h : tensor<?x3xf32>
  }
}
