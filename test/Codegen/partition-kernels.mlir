// kiln-partition-kernels groups the ops of each function into kiln.kernel
// fusion groups: a contraction or reduction opens a kernel, elementwise ops
// (kiln.elementwise included) join the kernel of their main operand, an
// update joins the kernel that completes its gradient unless that kernel
// reads the old parameter or state or the gradient is read elsewhere too, and storage ops (kiln.state, kiln.step
// and arith.constant included) stay outside, hoisted to the top. Values used after a kernel
// are its results; the rest never leaves it. A kernel holds at most eight
// ops: a longer chain goes on in the next kernel.
// RUN: kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-partition-kernels))' -split-input-file | FileCheck %s

// A dense layer with relu is one kernel: matmul, bias_add and relu fused,
// only the activation yielded. Kernels are named <function>_k<index>.
// CHECK-LABEL: func.func @dense_relu
// CHECK-SAME: (%[[X:.*]]: tensor<?x784xf32>)
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: %[[B:.*]] = kiln.param "b"
// CHECK-NEXT: %[[K:.*]] = kiln.kernel "dense_relu_k0" -> tensor<?x256xf32> {
// CHECK-NEXT: %[[M:.*]] = kiln.matmul %[[X]], %[[W]]
// CHECK-NEXT: %[[Z:.*]] = kiln.bias_add %[[M]], %[[B]]
// CHECK-NEXT: %[[A:.*]] = kiln.relu %[[Z]]
// CHECK-NEXT: kiln.yield %[[A]] : tensor<?x256xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[K]] : tensor<?x256xf32>
func.func @dense_relu(%x: tensor<?x784xf32>) -> tensor<?x256xf32> {
  %w = kiln.param "w" init "he_normal" : tensor<784x256xf32>
  %m = kiln.matmul %x, %w : tensor<?x784xf32>, tensor<784x256xf32> -> tensor<?x256xf32>
  %b = kiln.param "b" init "zeros" : tensor<256xf32>
  %z = kiln.bias_add %m, %b : tensor<?x256xf32>, tensor<256xf32> -> tensor<?x256xf32>
  %a = kiln.relu %z : tensor<?x256xf32>
  return %a : tensor<?x256xf32>
}

// -----

// A value of the group that is also used after it becomes one more result.
// CHECK-LABEL: func.func @two_results
// CHECK: %[[K:.*]]:2 = kiln.kernel "two_results_k0" -> tensor<?x3xf32>, tensor<?x3xf32> {
// CHECK: %[[Z:.*]] = kiln.bias_add
// CHECK-NEXT: %[[A:.*]] = kiln.relu %[[Z]]
// CHECK-NEXT: kiln.yield %[[Z]], %[[A]] : tensor<?x3xf32>, tensor<?x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[K]]#1, %[[K]]#0
func.func @two_results(%x: tensor<?x4xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %b = kiln.param "b" init "zeros" : tensor<3xf32>
  %m = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %z = kiln.bias_add %m, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %a = kiln.relu %z : tensor<?x3xf32>
  return %a, %z : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// The update joins the kernel of the matmul that computes its gradient: the
// gradient stays inside, and the kernel yields nothing.
// CHECK-LABEL: func.func @update_fused
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[D:.*]]: tensor<?x3xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr"
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: kiln.kernel "update_fused_k0" {
// CHECK-NEXT: %[[GW:.*]] = kiln.matmul %[[X]], %[[D]] {transpose_lhs = true}
// CHECK-NEXT: kiln.update(%[[W]]) from(%[[GW]]) : (tensor<4x3xf32>), (tensor<4x3xf32>) {
// CHECK-NEXT: ^bb0(%[[WI:.*]]: f32, %[[GI:.*]]: f32):
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %[[LR]], %[[GI]] : f32
// CHECK-NEXT: %[[NEW:.*]] = arith.subf %[[WI]], %[[STEP]] : f32
// CHECK-NEXT: kiln.yield %[[NEW]] : f32
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
    %u0 = arith.mulf %lr, %gi : f32
    %u1 = arith.subf %wi, %u0 : f32
    kiln.yield %u1 : f32
  }
  return
}

// -----

// A gradient that something else reads too (here a training-health norm)
// is stored anyway: the update gets a kernel of its own, so the matmul's
// kernel keeps a single output.
// CHECK-LABEL: func.func @update_gradient_read_elsewhere
// CHECK: %[[K:.*]] = kiln.kernel "update_gradient_read_elsewhere_k0" -> tensor<4x3xf32> {
// CHECK-NEXT: %[[GW:.*]] = kiln.matmul
// CHECK-NEXT: kiln.yield %[[GW]] : tensor<4x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: kiln.kernel "update_gradient_read_elsewhere_k1" {
// CHECK-NEXT: kiln.update(%{{.*}}) from(%[[K]])
// CHECK: kiln.kernel "update_gradient_read_elsewhere_k2" -> tensor<f32> {
// CHECK-NEXT: kiln.sum_of_squares %[[K]]
func.func @update_gradient_read_elsewhere(%x: tensor<?x4xf32>, %d: tensor<?x3xf32>) -> tensor<f32> {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %gw = kiln.matmul %x, %d {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
  kiln.update (%w) from (%gw) : (tensor<4x3xf32>), (tensor<4x3xf32>) {
  ^bb0(%wi: f32, %gi: f32):
    %u0 = arith.mulf %lr, %gi : f32
    %u1 = arith.subf %wi, %u0 : f32
    kiln.yield %u1 : f32
  }
  %n = kiln.sum_of_squares %gw : tensor<4x3xf32> -> tensor<f32>
  return %n : tensor<f32>
}

// -----

// The matmul that computes the gradient also reads the old parameter: the
// update must not run inside that kernel, so the gradient is yielded and the
// update gets a kernel of its own, after it.
// CHECK-LABEL: func.func @update_not_fused
// CHECK-SAME: (%[[D:.*]]: tensor<3x3xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr"
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: %[[G:.*]] = kiln.kernel "update_not_fused_k0" -> tensor<3x3xf32> {
// CHECK-NEXT: %[[M:.*]] = kiln.matmul %[[W]], %[[D]] {transpose_lhs = true}
// CHECK-NEXT: kiln.yield %[[M]] : tensor<3x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: kiln.kernel "update_not_fused_k1" {
// CHECK-NEXT: kiln.update(%[[W]]) from(%[[G]]) : (tensor<3x3xf32>), (tensor<3x3xf32>) {
// CHECK: kiln.yield %{{.*}} : f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.yield{{$}}
// CHECK-NEXT: }
func.func @update_not_fused(%d: tensor<3x3xf32>) {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %w = kiln.param "w" init "he_normal" : tensor<3x3xf32>
  %g = kiln.matmul %w, %d {transpose_lhs = true} : tensor<3x3xf32>, tensor<3x3xf32> -> tensor<3x3xf32>
  kiln.update (%w) from (%g) : (tensor<3x3xf32>), (tensor<3x3xf32>) {
  ^bb0(%wi: f32, %gi: f32):
    %u0 = arith.mulf %lr, %gi : f32
    %u1 = arith.subf %wi, %u0 : f32
    kiln.yield %u1 : f32
  }
  return
}

// -----

// One backward step of a dense layer, as the optimizer pass leaves it. The
// bias gradient's reduce_sum opens a kernel and takes the bias update; the
// input-gradient matmul reads the weight, so the weight's update waits for
// the next kernel, the weight-gradient matmul. relu_grad follows the
// input-gradient matmul into its kernel even though the weight-update kernel
// came between them in program order.
// CHECK-LABEL: func.func @backward
// CHECK-SAME: (%[[H:.*]]: tensor<?x3xf32>, %[[D:.*]]: tensor<?x2xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr"
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: %[[B:.*]] = kiln.param "b"
// CHECK-NEXT: kiln.kernel "backward_k0" {
// CHECK-NEXT: %[[GB:.*]] = kiln.reduce_sum %[[D]] {axis = 0 : i64}
// CHECK-NEXT: kiln.update(%[[B]]) from(%[[GB]]) : (tensor<2xf32>), (tensor<2xf32>) {
// CHECK: kiln.yield %{{.*}} : f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.yield{{$}}
// CHECK-NEXT: }
// CHECK-NEXT: %[[DZ:.*]] = kiln.kernel "backward_k1" -> tensor<?x3xf32> {
// CHECK-NEXT: %[[DH:.*]] = kiln.matmul %[[D]], %[[W]] {transpose_rhs = true}
// CHECK-NEXT: %[[R:.*]] = kiln.relu_grad %[[DH]], %[[H]]
// CHECK-NEXT: kiln.yield %[[R]] : tensor<?x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: kiln.kernel "backward_k2" {
// CHECK-NEXT: %[[GW:.*]] = kiln.matmul %[[H]], %[[D]] {transpose_lhs = true}
// CHECK-NEXT: kiln.update(%[[W]]) from(%[[GW]]) : (tensor<3x2xf32>), (tensor<3x2xf32>) {
// CHECK: kiln.yield %{{.*}} : f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.yield{{$}}
// CHECK-NEXT: }
// CHECK-NEXT: return %[[DZ]] : tensor<?x3xf32>
func.func @backward(%h: tensor<?x3xf32>, %d: tensor<?x2xf32>) -> tensor<?x3xf32> {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %w = kiln.param "w" init "he_normal" : tensor<3x2xf32>
  %b = kiln.param "b" init "zeros" : tensor<2xf32>
  %gb = kiln.reduce_sum %d {axis = 0 : i64} : tensor<?x2xf32> -> tensor<2xf32>
  kiln.update (%b) from (%gb) : (tensor<2xf32>), (tensor<2xf32>) {
  ^bb0(%wi: f32, %gi: f32):
    %u0 = arith.mulf %lr, %gi : f32
    %u1 = arith.subf %wi, %u0 : f32
    kiln.yield %u1 : f32
  }
  %dh = kiln.matmul %d, %w {transpose_rhs = true} : tensor<?x2xf32>, tensor<3x2xf32> -> tensor<?x3xf32>
  %gw = kiln.matmul %h, %d {transpose_lhs = true} : tensor<?x3xf32>, tensor<?x2xf32> -> tensor<3x2xf32>
  kiln.update (%w) from (%gw) : (tensor<3x2xf32>), (tensor<3x2xf32>) {
  ^bb0(%wi: f32, %gi: f32):
    %u0 = arith.mulf %lr, %gi : f32
    %u1 = arith.subf %wi, %u0 : f32
    kiln.yield %u1 : f32
  }
  %dz = kiln.relu_grad %dh, %h : tensor<?x3xf32>
  return %dz : tensor<?x3xf32>
}

// -----

// An elementwise op joins the kernel of its main (first) operand only when
// its other operands are ready there; a sum's operands are interchangeable,
// so kiln.add of a later kernel's value joins that later kernel (its first
// operand is ready by then), and the relu after it joins too.
// CHECK-LABEL: func.func @add_of_two_kernels
// CHECK: %[[A:.*]] = kiln.kernel "add_of_two_kernels_k0" -> tensor<?x3xf32> {
// CHECK-NEXT: kiln.matmul
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[R:.*]] = kiln.kernel "add_of_two_kernels_k1" -> tensor<?x3xf32> {
// CHECK-NEXT: %[[B:.*]] = kiln.matmul
// CHECK-NEXT: %[[S:.*]] = kiln.add %[[A]], %[[B]]
// CHECK-NEXT: %[[T:.*]] = kiln.relu %[[S]]
// CHECK-NEXT: kiln.yield %[[T]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[R]]
func.func @add_of_two_kernels(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %v = kiln.param "v" init "he_normal" : tensor<4x3xf32>
  %a = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %b = kiln.matmul %x, %v : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %s = kiln.add %a, %b : tensor<?x3xf32>
  %r = kiln.relu %s : tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// The same add with its operands the other way round joins the second
// matmul's kernel, reading the first kernel's result.
// CHECK-LABEL: func.func @add_joins_last
// CHECK: %[[A:.*]] = kiln.kernel "add_joins_last_k0" -> tensor<?x3xf32> {
// CHECK: %[[R:.*]] = kiln.kernel "add_joins_last_k1" -> tensor<?x3xf32> {
// CHECK-NEXT: %[[B:.*]] = kiln.matmul
// CHECK-NEXT: %[[S:.*]] = kiln.add %[[B]], %[[A]]
// CHECK-NEXT: kiln.yield %[[S]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[R]]
// CHECK-NOT: kiln.kernel
func.func @add_joins_last(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %v = kiln.param "v" init "he_normal" : tensor<4x3xf32>
  %a = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %b = kiln.matmul %x, %v : tensor<?x4xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %s = kiln.add %b, %a : tensor<?x3xf32>
  return %s : tensor<?x3xf32>
}

// -----

// The loss and its gradient: softmax_cross_entropy and its gradient each open
// a kernel; kiln.fill, like the other storage ops, stays outside.
// CHECK-LABEL: func.func @loss
// CHECK-SAME: (%[[L:.*]]: tensor<?x10xf32>)
// CHECK-NEXT: %[[Y:.*]] = kiln.input "y"
// CHECK-NEXT: %[[ONE:.*]] = kiln.fill 1.000000e+00
// CHECK-NEXT: %[[LOSS:.*]] = kiln.kernel "loss_k0" -> tensor<f32> {
// CHECK-NEXT: kiln.softmax_cross_entropy %[[L]], %[[Y]]
// CHECK: %[[DL:.*]] = kiln.kernel "loss_k1" -> tensor<?x10xf32> {
// CHECK-NEXT: kiln.softmax_cross_entropy_grad %[[ONE]], %[[L]], %[[Y]]
// CHECK: return %[[LOSS]], %[[DL]]
func.func @loss(%l: tensor<?x10xf32>) -> (tensor<f32>, tensor<?x10xf32>) {
  %y = kiln.input "y" : tensor<?xi32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x10xf32>, tensor<?xi32> -> tensor<f32>
  %one = kiln.fill 1.0 : tensor<f32>
  %dl = kiln.softmax_cross_entropy_grad %one, %l, %y : tensor<f32>, tensor<?x10xf32>, tensor<?xi32> -> tensor<?x10xf32>
  return %loss, %dl : tensor<f32>, tensor<?x10xf32>
}

// -----

// An update of a parameter and its state (momentum) joins the gradient's
// kernel like a plain one; the state, the step and the hyperparameters stay
// outside with the other storage.
// CHECK-LABEL: func.func @update_with_state
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[D:.*]]: tensor<?x3xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr"
// CHECK-NEXT: %[[MU:.*]] = kiln.hyperparam "momentum"
// CHECK-NEXT: %[[T:.*]] = kiln.step : f32
// CHECK-NEXT: %[[V:.*]] = kiln.state "w.velocity" of "w"
// CHECK-NEXT: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: kiln.kernel "update_with_state_k0" {
// CHECK-NEXT: %[[GW:.*]] = kiln.matmul %[[X]], %[[D]] {transpose_lhs = true}
// CHECK-NEXT: kiln.update(%[[W]], %[[V]]) from(%[[GW]]) : (tensor<4x3xf32>, tensor<4x3xf32>), (tensor<4x3xf32>) {
// CHECK: kiln.yield %{{.*}}, %{{.*}} : f32, f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.yield{{$}}
// CHECK-NEXT: }
// CHECK-NEXT: return{{$}}
func.func @update_with_state(%x: tensor<?x4xf32>, %d: tensor<?x3xf32>) {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %mu = kiln.hyperparam "momentum" default 0.9 in [0.0, 1.0) : f32
  %t = kiln.step : f32
  %v = kiln.state "w.velocity" of "w" init 0.0 : tensor<4x3xf32>
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %gw = kiln.matmul %x, %d {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
  kiln.update (%w, %v) from (%gw) : (tensor<4x3xf32>, tensor<4x3xf32>), (tensor<4x3xf32>) {
  ^bb0(%wi: f32, %vi: f32, %gi: f32):
    %0 = arith.mulf %mu, %vi : f32
    %1 = arith.addf %0, %gi : f32
    %2 = arith.mulf %lr, %1 : f32
    %3 = arith.subf %wi, %2 : f32
    kiln.yield %3, %1 : f32, f32
  }
  return
}

// -----

// A gradient transformation (a clip by value) joins the matmul's kernel as an
// epilogue, and the update follows it there: one kernel, nothing yielded.
// CHECK-LABEL: func.func @clip_then_update
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[D:.*]]: tensor<?x3xf32>)
// CHECK: kiln.kernel "clip_then_update_k0" {
// CHECK-NEXT: %[[GW:.*]] = kiln.matmul %[[X]], %[[D]] {transpose_lhs = true}
// CHECK-NEXT: %[[C:.*]] = kiln.elementwise(%[[GW]])
// CHECK: kiln.update(%{{.*}}) from(%[[C]])
// CHECK: kiln.yield{{$}}
// CHECK-NEXT: }
// CHECK-NEXT: return{{$}}
// CHECK-NOT: kiln.kernel
func.func @clip_then_update(%x: tensor<?x4xf32>, %d: tensor<?x3xf32>) {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %c = kiln.hyperparam "clip" default 1.0 in (0.0, inf) : f32
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
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
  return
}

// -----

// An elementwise op in the gradient's kernel reads the parameter (an L2
// term left unfolded): the kernel that reads the parameter must not also
// write it, so the update gets a kernel of its own.
// CHECK-LABEL: func.func @elementwise_reads_param
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[D:.*]]: tensor<?x3xf32>)
// CHECK: %[[W:.*]] = kiln.param "w"
// CHECK-NEXT: %[[G:.*]] = kiln.kernel "elementwise_reads_param_k0" -> tensor<4x3xf32> {
// CHECK-NEXT: %[[GW:.*]] = kiln.matmul %[[X]], %[[D]] {transpose_lhs = true}
// CHECK-NEXT: %[[R:.*]] = kiln.elementwise(%[[GW]], %[[W]])
// CHECK-NOT: kiln.update
// CHECK: kiln.yield %[[R]] : tensor<4x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: kiln.kernel "elementwise_reads_param_k1" {
// CHECK-NEXT: kiln.update(%[[W]]) from(%[[G]])
func.func @elementwise_reads_param(%x: tensor<?x4xf32>, %d: tensor<?x3xf32>) {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %l2 = kiln.hyperparam "l2" default 1.0e-4 in [0.0, inf) : f32
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %gw = kiln.matmul %x, %d {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
  %g = kiln.elementwise (%gw, %w) : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32> {
  ^bb0(%gi: f32, %wi: f32):
    %0 = arith.mulf %l2, %wi : f32
    %1 = arith.addf %gi, %0 : f32
    kiln.yield %1 : f32
  }
  kiln.update (%w) from (%g) : (tensor<4x3xf32>), (tensor<4x3xf32>) {
  ^bb0(%wi: f32, %gi: f32):
    %0 = arith.mulf %lr, %gi : f32
    %1 = arith.subf %wi, %0 : f32
    kiln.yield %1 : f32
  }
  return
}

// -----

// A global-norm clip: the update needs a scale computed by a later kernel
// (kiln.sum opens one), so it cannot join the gradient's kernel, which is no
// longer the open one; it gets a kernel of its own after the sum.
// CHECK-LABEL: func.func @update_after_sum
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[D:.*]]: tensor<?x3xf32>)
// CHECK: %[[K0:.*]]:2 = kiln.kernel "update_after_sum_k0" -> tensor<4x3xf32>, tensor<4x3xf32> {
// CHECK-NEXT: %[[GW:.*]] = kiln.matmul %[[X]], %[[D]] {transpose_lhs = true}
// CHECK-NEXT: %[[SQ:.*]] = kiln.elementwise(%[[GW]])
// CHECK: kiln.yield %[[GW]], %[[SQ]] : tensor<4x3xf32>, tensor<4x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[S:.*]] = kiln.kernel "update_after_sum_k1" -> tensor<f32> {
// CHECK-NEXT: kiln.sum %[[K0]]#1
// CHECK: kiln.kernel "update_after_sum_k2" {
// CHECK-NEXT: kiln.update(%{{.*}}) from(%[[K0]]#0, %[[S]])
func.func @update_after_sum(%x: tensor<?x4xf32>, %d: tensor<?x3xf32>) {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %w = kiln.param "w" init "he_normal" : tensor<4x3xf32>
  %gw = kiln.matmul %x, %d {transpose_lhs = true} : tensor<?x4xf32>, tensor<?x3xf32> -> tensor<4x3xf32>
  %sq = kiln.elementwise (%gw) : (tensor<4x3xf32>) -> tensor<4x3xf32> {
  ^bb0(%gi: f32):
    %0 = arith.mulf %gi, %gi : f32
    kiln.yield %0 : f32
  }
  %s = kiln.sum %sq : tensor<4x3xf32> -> tensor<f32>
  kiln.update (%w) from (%gw, %s) : (tensor<4x3xf32>), (tensor<4x3xf32>, tensor<f32>) {
  ^bb0(%wi: f32, %gi: f32, %si: f32):
    %0 = math.sqrt %si : f32
    %1 = arith.divf %gi, %0 : f32
    %2 = arith.mulf %lr, %1 : f32
    %3 = arith.subf %wi, %2 : f32
    kiln.yield %3 : f32
  }
  return
}

// -----

// A chain longer than a kernel holds: the first kernel takes the product and
// seven relus, the next the remaining three; the eighth op's result passes
// between them.
// CHECK-LABEL: func.func @long_chain
// CHECK: %[[K0:.*]] = kiln.kernel "long_chain_k0" -> tensor<?x4xf32> {
// CHECK-NEXT: kiln.matmul
// CHECK-COUNT-7: kiln.relu
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[K1:.*]] = kiln.kernel "long_chain_k1" -> tensor<?x4xf32> {
// CHECK-NEXT: kiln.relu %[[K0]]
// CHECK-NEXT: kiln.relu
// CHECK-NEXT: kiln.relu
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[K1]]
func.func @long_chain(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = kiln.param "w" init "he_normal" : tensor<4x4xf32>
  %m = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %r1 = kiln.relu %m : tensor<?x4xf32>
  %r2 = kiln.relu %r1 : tensor<?x4xf32>
  %r3 = kiln.relu %r2 : tensor<?x4xf32>
  %r4 = kiln.relu %r3 : tensor<?x4xf32>
  %r5 = kiln.relu %r4 : tensor<?x4xf32>
  %r6 = kiln.relu %r5 : tensor<?x4xf32>
  %r7 = kiln.relu %r6 : tensor<?x4xf32>
  %r8 = kiln.relu %r7 : tensor<?x4xf32>
  %r9 = kiln.relu %r8 : tensor<?x4xf32>
  %r10 = kiln.relu %r9 : tensor<?x4xf32>
  return %r10 : tensor<?x4xf32>
}
