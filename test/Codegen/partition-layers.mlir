// kiln-partition-kernels on the layer set: conv2d, pool2d, log_softmax and
// the gradient helpers (pool2d_grad, conv2d_grad_input, conv2d_grad_filter)
// open kernels, like matmul; bias_add on NCHW, relu, relu_grad, dropout and
// kiln.elementwise join the kernel of their main operand; reduce_sum opens its
// own; the views, reshape and broadcast, join no kernel: each kernel that reads
// one computes its own copy at its start, and an op that reads a view opens a
// kernel; kiln.batch stays outside kernels, hoisted to the top with the other
// storage ops (the dropout's rate and step too).
// RUN: kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-partition-kernels))' -split-input-file | FileCheck %s

// A convolutional block: conv2d + bias_add + relu in one kernel; pool2d
// opens the next, and the dropout and the tanh after it join it; the division
// by the batch size, reading the reshape, opens a third, which computes the
// reshape first. Only
// each kernel's last value leaves it.
// CHECK-LABEL: func.func @convnet
// CHECK-SAME: (%[[X:.*]]: tensor<?x1x8x8xf32>)
// CHECK-NEXT: %[[W:.*]] = kiln.param "conv.weight"
// CHECK-NEXT: %[[B:.*]] = kiln.param "conv.bias"
// CHECK-NEXT: %[[RATE:.*]] = kiln.hyperparam "dropout0.rate"
// CHECK-NEXT: %[[T:.*]] = kiln.step : f32
// CHECK-NEXT: %[[N:.*]] = kiln.batch : f32
// CHECK-NEXT: %[[K0:.*]] = kiln.kernel "convnet_k0" -> tensor<?x2x8x8xf32> {
// CHECK-NEXT: %[[C:.*]] = kiln.conv2d %[[X]], %[[W]]
// CHECK-NEXT: %[[Z:.*]] = kiln.bias_add %[[C]], %[[B]] : tensor<?x2x8x8xf32>, tensor<2xf32> -> tensor<?x2x8x8xf32>
// CHECK-NEXT: %[[R:.*]] = kiln.relu %[[Z]]
// CHECK-NEXT: kiln.yield %[[R]] : tensor<?x2x8x8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[K1:.*]] = kiln.kernel "convnet_k1" -> tensor<?x2x4x4xf32> {
// CHECK-NEXT: %[[P:.*]] = kiln.pool2d %[[K0]]
// CHECK-NEXT: %[[D:.*]] = kiln.dropout %[[P]], %[[RATE]], %[[T]] {seed = 0 : i64}
// CHECK-NEXT: %[[E:.*]] = kiln.elementwise(%[[D]])
// CHECK: kiln.yield %[[E]] : tensor<?x2x4x4xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[K2:.*]] = kiln.kernel "convnet_k2" -> tensor<?x32xf32> {
// CHECK-NEXT: %[[F:.*]] = kiln.reshape %[[K1]] : tensor<?x2x4x4xf32> -> tensor<?x32xf32>
// CHECK-NEXT: %[[G:.*]] = kiln.elementwise(%[[F]])
// CHECK-NEXT: ^bb0(%[[V:.*]]: f32):
// CHECK-NEXT: arith.divf %[[V]], %[[N]] : f32
// CHECK: kiln.yield %[[G]] : tensor<?x32xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[K2]] : tensor<?x32xf32>
func.func @convnet(%x: tensor<?x1x8x8xf32>) -> tensor<?x32xf32> {
  %w = kiln.param "conv.weight" init "he_normal" : tensor<2x1x3x3xf32>
  %c = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 1, 1, 1, 1>} : tensor<?x1x8x8xf32>, tensor<2x1x3x3xf32> -> tensor<?x2x8x8xf32>
  %b = kiln.param "conv.bias" init "zeros" : tensor<2xf32>
  %z = kiln.bias_add %c, %b : tensor<?x2x8x8xf32>, tensor<2xf32> -> tensor<?x2x8x8xf32>
  %r = kiln.relu %z : tensor<?x2x8x8xf32>
  %p = kiln.pool2d %r {kind = "max", kernel = 2 : i64, stride = 2 : i64, padding = array<i64: 0, 0, 0, 0>} : tensor<?x2x8x8xf32> -> tensor<?x2x4x4xf32>
  %rate = kiln.hyperparam "dropout0.rate" default 0.5 in [0.0, 1.0) : f32
  %t = kiln.step : f32
  %d = kiln.dropout %p, %rate, %t {seed = 0 : i64} : tensor<?x2x4x4xf32>
  %e = kiln.elementwise (%d) : (tensor<?x2x4x4xf32>) -> tensor<?x2x4x4xf32> {
  ^bb0(%v: f32):
    %0 = math.tanh %v : f32
    kiln.yield %0 : f32
  }
  %f = kiln.reshape %e : tensor<?x2x4x4xf32> -> tensor<?x32xf32>
  %n = kiln.batch : f32
  %g = kiln.elementwise (%f) : (tensor<?x32xf32>) -> tensor<?x32xf32> {
  ^bb0(%v: f32):
    %0 = arith.divf %v, %n : f32
    kiln.yield %0 : f32
  }
  return %g : tensor<?x32xf32>
}

// -----

// A softmax written out: log_softmax opens a kernel and exp joins it;
// reduce_sum opens one; the division, reading the sum's broadcast and the
// first kernel's result, opens one, which computes the broadcast first.
// CHECK-LABEL: func.func @rows
// CHECK-SAME: (%[[Z:.*]]: tensor<?x10xf32>)
// CHECK-NEXT: %[[K0:.*]] = kiln.kernel "rows_k0" -> tensor<?x10xf32> {
// CHECK-NEXT: %[[L:.*]] = kiln.log_softmax %[[Z]]
// CHECK-NEXT: %[[E:.*]] = kiln.elementwise(%[[L]])
// CHECK: kiln.yield %[[E]] : tensor<?x10xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[K1:.*]] = kiln.kernel "rows_k1" -> tensor<?xf32> {
// CHECK-NEXT: %[[S:.*]] = kiln.reduce_sum %[[K0]] {axis = 1 : i64}
// CHECK-NEXT: kiln.yield %[[S]] : tensor<?xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[K2:.*]] = kiln.kernel "rows_k2" -> tensor<?x10xf32> {
// CHECK-NEXT: %[[B:.*]] = kiln.broadcast %[[K1]] {axis = 1 : i64}
// CHECK-NEXT: %[[Q:.*]] = kiln.elementwise(%[[B]], %[[K0]])
// CHECK: kiln.yield %[[Q]] : tensor<?x10xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[K2]]
func.func @rows(%z: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %l = kiln.log_softmax %z : tensor<?x10xf32>
  %e = kiln.elementwise (%l) : (tensor<?x10xf32>) -> tensor<?x10xf32> {
  ^bb0(%v: f32):
    %0 = math.exp %v : f32
    kiln.yield %0 : f32
  }
  %s = kiln.reduce_sum %e {axis = 1 : i64} : tensor<?x10xf32> -> tensor<?xf32>
  %b = kiln.broadcast %s {axis = 1 : i64} : tensor<?xf32> -> tensor<?x10xf32>
  %q = kiln.elementwise (%b, %e) : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<?x10xf32> {
  ^bb0(%u: f32, %v: f32):
    %0 = arith.divf %v, %u : f32
    kiln.yield %0 : f32
  }
  return %q : tensor<?x10xf32>
}

// -----

// The backward of that block: pool2d_grad opens a kernel and relu_grad joins
// it; conv2d_grad_input and conv2d_grad_filter each open their own, both
// reading the first kernel's result.
// CHECK-LABEL: func.func @conv_backward
// CHECK-SAME: (%[[X:.*]]: tensor<?x1x8x8xf32>, %[[C:.*]]: tensor<?x2x8x8xf32>, %[[DP:.*]]: tensor<?x2x4x4xf32>)
// CHECK-NEXT: %[[W:.*]] = kiln.param "conv.weight"
// CHECK-NEXT: %[[K0:.*]] = kiln.kernel "conv_backward_k0" -> tensor<?x2x8x8xf32> {
// CHECK-NEXT: %[[DC:.*]] = kiln.pool2d_grad %[[DP]], %[[C]]
// CHECK-NEXT: %[[DZ:.*]] = kiln.relu_grad %[[DC]], %[[C]]
// CHECK-NEXT: kiln.yield %[[DZ]] : tensor<?x2x8x8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[K1:.*]] = kiln.kernel "conv_backward_k1" -> tensor<?x1x8x8xf32> {
// CHECK-NEXT: %[[DX:.*]] = kiln.conv2d_grad_input %[[K0]], %[[W]]
// CHECK-NEXT: kiln.yield %[[DX]] : tensor<?x1x8x8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[K2:.*]] = kiln.kernel "conv_backward_k2" -> tensor<2x1x3x3xf32> {
// CHECK-NEXT: %[[DW:.*]] = kiln.conv2d_grad_filter %[[K0]], %[[X]]
// CHECK-NEXT: kiln.yield %[[DW]] : tensor<2x1x3x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[K1]], %[[K2]]
func.func @conv_backward(%x: tensor<?x1x8x8xf32>, %c: tensor<?x2x8x8xf32>, %dp: tensor<?x2x4x4xf32>) -> (tensor<?x1x8x8xf32>, tensor<2x1x3x3xf32>) {
  %w = kiln.param "conv.weight" init "he_normal" : tensor<2x1x3x3xf32>
  %dc = kiln.pool2d_grad %dp, %c {kind = "max", kernel = 2 : i64, stride = 2 : i64, padding = array<i64: 0, 0, 0, 0>} : tensor<?x2x4x4xf32>, tensor<?x2x8x8xf32> -> tensor<?x2x8x8xf32>
  %dz = kiln.relu_grad %dc, %c : tensor<?x2x8x8xf32>
  %dx = kiln.conv2d_grad_input %dz, %w {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 1, 1, 1, 1>} : tensor<?x2x8x8xf32>, tensor<2x1x3x3xf32> -> tensor<?x1x8x8xf32>
  %dw = kiln.conv2d_grad_filter %dz, %x {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 1, 1, 1, 1>} : tensor<?x2x8x8xf32>, tensor<?x1x8x8xf32> -> tensor<2x1x3x3xf32>
  return %dx, %dw : tensor<?x1x8x8xf32>, tensor<2x1x3x3xf32>
}

// -----

// A view read by two kernels: each computes its own copy. A view the function returns is computed by a
// kernel of its own, and so is a view of a parameter (an update may overwrite
// the parameter while a kernel reads a copy).
// CHECK-LABEL: func.func @views
// CHECK: %[[K0:.*]] = kiln.kernel "views_k0" -> tensor<?xf32> {
// CHECK-NEXT: kiln.reduce_sum
// CHECK: kiln.kernel "views_k1" -> tensor<?x10xf32> {
// CHECK-NEXT: %[[B1:.*]] = kiln.broadcast %[[K0]]
// CHECK-NEXT: kiln.matmul %[[B1]]
// CHECK: %[[K2:.*]] = kiln.kernel "views_k2" -> tensor<?x10xf32> {
// CHECK-NEXT: kiln.log_softmax
// CHECK-NEXT: kiln.yield
// CHECK: kiln.kernel "views_k3" -> tensor<?x10xf32> {
// CHECK-NEXT: %[[B2:.*]] = kiln.broadcast %[[K0]]
// CHECK-NEXT: kiln.elementwise(%[[B2]], %[[K2]])
// CHECK: kiln.kernel "views_k4" -> tensor<?x10xf32> {
// CHECK-NEXT: kiln.broadcast %[[K0]]
// CHECK-NEXT: kiln.yield
// CHECK: kiln.kernel "views_k5" -> tensor<10x2x5xf32> {
// CHECK-NEXT: kiln.reshape %{{.*}} : tensor<10x10xf32> -> tensor<10x2x5xf32>
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @views(%z: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<10x2x5xf32>) {
  %w = kiln.param "w" init "he_normal" : tensor<10x10xf32>
  %s = kiln.reduce_sum %z {axis = 1 : i64} : tensor<?x10xf32> -> tensor<?xf32>
  %b = kiln.broadcast %s {axis = 1 : i64} : tensor<?xf32> -> tensor<?x10xf32>
  %m = kiln.matmul %b, %w : tensor<?x10xf32>, tensor<10x10xf32> -> tensor<?x10xf32>
  %l = kiln.log_softmax %z : tensor<?x10xf32>
  %q = kiln.elementwise (%b, %l) : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<?x10xf32> {
  ^bb0(%u: f32, %v: f32):
    %0 = arith.mulf %u, %v : f32
    kiln.yield %0 : f32
  }
  %r = kiln.broadcast %s {axis = 1 : i64} : tensor<?xf32> -> tensor<?x10xf32>
  %f = kiln.reshape %w : tensor<10x10xf32> -> tensor<10x2x5xf32>
  return %m, %q, %r, %f : tensor<?x10xf32>, tensor<?x10xf32>, tensor<?x10xf32>, tensor<10x2x5xf32>
}
