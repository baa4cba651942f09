// The kiln verifiers and shape inference reject malformed IR with a message
// at the offending op.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// matmul: the contraction sizes of the two operands must agree.
func.func @matmul_contraction_mismatch(%a: tensor<?x784xf32>, %b: tensor<256x10xf32>) {
  // expected-error @+2 {{kiln.matmul contraction sizes differ: 'tensor<?x784xf32>' and 'tensor<256x10xf32>'}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %c = kiln.matmul %a, %b : tensor<?x784xf32>, tensor<256x10xf32> -> tensor<?x10xf32>
  return
}

// -----

// matmul: transpose_lhs decides which dimension is contracted: a 2x3 tensor
// times itself contracts 2 with 2 when the left side is transposed (valid)
// and 3 with 2 when it is not (invalid).
func.func @matmul_transpose_contraction(%a: tensor<2x3xf32>) {
  %ok = kiln.matmul %a, %a {transpose_lhs = true} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<3x3xf32>
  // expected-error @+2 {{kiln.matmul contraction sizes differ: 'tensor<2x3xf32>' and 'tensor<2x3xf32>'}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %bad = kiln.matmul %a, %a : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

// matmul: operands of rank 1 are rejected.
func.func @matmul_rank(%a: tensor<3xf32>) {
  // expected-error @+2 {{kiln.matmul expects [..., K] x [K, M] (or, with transpose_lhs, leading dimensions alike on both sides), got 'tensor<3xf32>' and 'tensor<3xf32>'}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %c = kiln.matmul %a, %a : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

// matmul: a written result type that differs from the inferred one.
func.func @matmul_result_type(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>) {
  // expected-error @+2 {{'kiln.matmul' op inferred type(s) 'tensor<4x5xf32>' are incompatible with return type(s) of operation 'tensor<4x6xf32>'}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %c = kiln.matmul %a, %b : tensor<4x3xf32>, tensor<3x5xf32> -> tensor<4x6xf32>
  return
}

// -----

// bias_add: the bias length must equal the row length.
func.func @bias_add_shape_mismatch(%h: tensor<?x256xf32>, %b: tensor<128xf32>) {
  // expected-error @+2 {{kiln.bias_add expects [N, M, ...] and [M] (M at axis 1), got 'tensor<?x256xf32>' and 'tensor<128xf32>'}}
  // expected-error @+1 {{'kiln.bias_add' op failed to infer returned types}}
  %z = kiln.bias_add %h, %b : tensor<?x256xf32>, tensor<128xf32> -> tensor<?x256xf32>
  return
}

// -----

// softmax_cross_entropy: logits and labels must have the same batch size.
func.func @loss_batch_mismatch(%l: tensor<4x10xf32>, %y: tensor<5xi32>) {
  // expected-error @+2 {{kiln.softmax_cross_entropy expects logits [N, ..., C] and labels [N, ...], got 'tensor<4x10xf32>' and 'tensor<5xi32>'}}
  // expected-error @+1 {{'kiln.softmax_cross_entropy' op failed to infer returned types}}
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<4x10xf32>, tensor<5xi32> -> tensor<f32>
  return
}

// -----

// reduce_sum: the axis must exist.
func.func @reduce_sum_axis(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{kiln.reduce_sum axis 2 is out of range for 'tensor<2x3xf32>'}}
  // expected-error @+1 {{'kiln.reduce_sum' op failed to infer returned types}}
  %r = kiln.reduce_sum %a {axis = 2 : i64} : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

// relu: only f32 tensors.
func.func @relu_i32(%a: tensor<2x3xi32>) {
  // expected-error @+1 {{'kiln.relu' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<2x3xi32>'}}
  %r = kiln.relu %a : tensor<2x3xi32>
  return
}

// -----

// param: the shape must be static.
func.func @param_dynamic_shape() {
  // expected-error @+1 {{'kiln.param' op expects a static shape, got 'tensor<?x10xf32>'}}
  %w = kiln.param "w" init "zeros" : tensor<?x10xf32>
  return
}

// -----

// param: the initializer must be one of the known schemes.
func.func @param_unknown_init() {
  // expected-error @+1 {{'kiln.param' op has unknown initializer 'glorot'}}
  %w = kiln.param "w" init "glorot" : tensor<4x10xf32>
  return
}

// -----

// fill: the shape must be static.
func.func @fill_dynamic_shape() {
  // expected-error @+1 {{'kiln.fill' op expects a static shape, got 'tensor<?xf32>'}}
  %f = kiln.fill 0.0 : tensor<?xf32>
  return
}

// -----

// input: only the leading (batch) dimension may be dynamic.
func.func @input_dynamic_inner_dim() {
  // expected-error @+1 {{'kiln.input' op expects only the leading (batch) dimension to be dynamic}}
  %x = kiln.input "x" : tensor<?x?xf32>
  return
}

// -----

// input: a scalar has no batch dimension.
func.func @input_scalar() {
  // expected-error @+1 {{'kiln.input' op expects at least one dimension (the batch)}}
  %x = kiln.input "x" : tensor<f32>
  return
}

// -----

// update: every target must be read from a kiln.param or a kiln.state.
func.func @update_not_param(%p: tensor<4xf32>, %g: tensor<4xf32>) {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  // expected-error @+1 {{'kiln.update' op writes a value that is not a kiln.param or kiln.state}}
  kiln.update (%p) from (%g) : (tensor<4xf32>), (tensor<4xf32>) {
  ^bb0(%pi: f32, %gi: f32):
    %0 = arith.mulf %lr, %gi : f32
    %1 = arith.subf %pi, %0 : f32
    kiln.yield %1 : f32
  }
  return
}

// -----

// update: a state target is checked like the parameter: here the second
// target is an elementwise result, not storage.
func.func @update_state_not_storage(%g: tensor<4xf32>) {
  %p = kiln.param "b" init "zeros" : tensor<4xf32>
  %v = kiln.elementwise (%g) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%gi: f32):
    kiln.yield %gi : f32
  }
  // expected-error @+1 {{'kiln.update' op writes a value that is not a kiln.param or kiln.state}}
  kiln.update (%p, %v) from (%g) : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) {
  ^bb0(%pi: f32, %vi: f32, %gi: f32):
    kiln.yield %pi, %vi : f32, f32
  }
  return
}

// -----

// update: writes in place, so no op after it may read the old value.
func.func @update_before_read(%g: tensor<4xf32>) -> tensor<4xf32> {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %p = kiln.param "b" init "zeros" : tensor<4xf32>
  // expected-error @+1 {{'kiln.update' op writes the parameter before a later read of it}}
  kiln.update (%p) from (%g) : (tensor<4xf32>), (tensor<4xf32>) {
  ^bb0(%pi: f32, %gi: f32):
    %0 = arith.mulf %lr, %gi : f32
    %1 = arith.subf %pi, %0 : f32
    kiln.yield %1 : f32
  }
  %r = kiln.relu %p : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// update: the same holds for optimizer state it writes.
func.func @update_before_state_read(%g: tensor<4xf32>) -> tensor<4xf32> {
  %p = kiln.param "b" init "zeros" : tensor<4xf32>
  %v = kiln.state "b.velocity" of "b" init 0.0 : tensor<4xf32>
  // expected-error @+1 {{'kiln.update' op writes the parameter before a later read of it}}
  kiln.update (%p, %v) from (%g) : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) {
  ^bb0(%pi: f32, %vi: f32, %gi: f32):
    %0 = arith.addf %vi, %gi : f32
    %1 = arith.subf %pi, %0 : f32
    kiln.yield %1, %0 : f32, f32
  }
  %r = kiln.elementwise (%v) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%vi: f32):
    kiln.yield %vi : f32
  }
  return %r : tensor<4xf32>
}

// -----

// update: the body takes one argument per target and per input (here 2,
// one too few).
func.func @update_body_arguments(%g: tensor<4xf32>) {
  %p = kiln.param "b" init "zeros" : tensor<4xf32>
  // expected-error @+1 {{'kiln.update' op body has 1 arguments, expected 2}}
  kiln.update (%p) from (%g) : (tensor<4xf32>), (tensor<4xf32>) {
  ^bb0(%pi: f32):
    kiln.yield %pi : f32
  }
  return
}

// -----

// update: the body yields one value per target, not per input.
func.func @update_body_yields(%g: tensor<4xf32>) {
  %p = kiln.param "b" init "zeros" : tensor<4xf32>
  // expected-error @+1 {{'kiln.update' op body yields 2 values, expected 1}}
  kiln.update (%p) from (%g) : (tensor<4xf32>), (tensor<4xf32>) {
  ^bb0(%pi: f32, %gi: f32):
    kiln.yield %pi, %gi : f32, f32
  }
  return
}

// -----

// update: targets share one type.
func.func @update_target_types(%g: tensor<4xf32>) {
  %p = kiln.param "b" init "zeros" : tensor<4xf32>
  %v = kiln.state "c.velocity" of "c" init 0.0 : tensor<3xf32>
  // expected-error @+1 {{'kiln.update' op expects all targets to have one type}}
  kiln.update (%p, %v) from (%g) : (tensor<4xf32>, tensor<3xf32>), (tensor<4xf32>) {
  ^bb0(%pi: f32, %vi: f32, %gi: f32):
    kiln.yield %pi, %vi : f32, f32
  }
  return
}

// -----

// update: an input has the targets' shape or is rank 0; a rank-1 input of
// another length is neither.
func.func @update_input_shape(%g: tensor<3xf32>) {
  %p = kiln.param "b" init "zeros" : tensor<4xf32>
  // expected-error @+1 {{'kiln.update' op operand of type 'tensor<3xf32>' is neither rank 0 nor of the result type 'tensor<4xf32>'}}
  kiln.update (%p) from (%g) : (tensor<4xf32>), (tensor<3xf32>) {
  ^bb0(%pi: f32, %gi: f32):
    %0 = arith.subf %pi, %gi : f32
    kiln.yield %0 : f32
  }
  return
}

// -----

// update: only arith and math ops in the body; kiln.step is read outside it.
func.func @update_body_kiln_op(%g: tensor<4xf32>) {
  %p = kiln.param "b" init "zeros" : tensor<4xf32>
  kiln.update (%p) from (%g) : (tensor<4xf32>), (tensor<4xf32>) {
  ^bb0(%pi: f32, %gi: f32):
    // expected-error @+1 {{'kiln.step' op is not allowed in an elementwise body (arith and math only)}}
    %t = kiln.step : f32
    %0 = arith.divf %gi, %t : f32
    %1 = arith.subf %pi, %0 : f32
    kiln.yield %1 : f32
  }
  return
}

// -----

// elementwise: an input has the result shape or is rank 0 (broadcast);
// the same element count in another shape is not enough.
func.func @elementwise_input_shape(%a: tensor<4xf32>, %b: tensor<2x2xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.elementwise' op operand of type 'tensor<2x2xf32>' is neither rank 0 nor of the result type 'tensor<4xf32>'}}
  %r = kiln.elementwise (%a, %b) : (tensor<4xf32>, tensor<2x2xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32, %y: f32):
    %0 = arith.addf %x, %y : f32
    kiln.yield %0 : f32
  }
  return %r : tensor<4xf32>
}

// -----

// elementwise: results share one type.
func.func @elementwise_result_types(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<3xf32>) {
  // expected-error @+1 {{'kiln.elementwise' op expects all results to have one type}}
  %r:2 = kiln.elementwise (%a) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<3xf32>) {
  ^bb0(%x: f32):
    kiln.yield %x, %x : f32, f32
  }
  return %r#0, %r#1 : tensor<4xf32>, tensor<3xf32>
}

// -----

// elementwise: one body argument per input.
func.func @elementwise_body_arguments(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.elementwise' op body has 2 arguments, expected 1}}
  %r = kiln.elementwise (%a) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32, %y: f32):
    kiln.yield %x : f32
  }
  return %r : tensor<4xf32>
}

// -----

// elementwise: one yielded value per result.
func.func @elementwise_body_yields(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.elementwise' op body yields 2 values, expected 1}}
  %r = kiln.elementwise (%a) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    kiln.yield %x, %x : f32, f32
  }
  return %r : tensor<4xf32>
}

// -----

// elementwise: body arguments are f32 elements, not f64.
func.func @elementwise_body_f64(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.elementwise' op body arguments must be f32}}
  %r = kiln.elementwise (%a) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: f64):
    %0 = arith.truncf %x : f64 to f32
    kiln.yield %0 : f32
  }
  return %r : tensor<4xf32>
}

// -----

// elementwise: the body yields f32 values.
func.func @elementwise_yield_i32(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.elementwise' op body must yield f32 values}}
  %r = kiln.elementwise (%a) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    %0 = arith.fptosi %x : f32 to i32
    kiln.yield %0 : i32
  }
  return %r : tensor<4xf32>
}

// -----

// elementwise: only arith and math ops in the body, so a call is rejected.
func.func private @scale(f32) -> f32
func.func @elementwise_body_call(%a: tensor<4xf32>) -> tensor<4xf32> {
  %r = kiln.elementwise (%a) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    // expected-error @+1 {{'func.call' op is not allowed in an elementwise body (arith and math only)}}
    %0 = func.call @scale(%x) : (f32) -> f32
    kiln.yield %0 : f32
  }
  return %r : tensor<4xf32>
}

// -----

// elementwise: the body ends in kiln.yield.
func.func @elementwise_without_yield(%a: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.elementwise' op body must end in kiln.yield}}
  %r = kiln.elementwise (%a) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: f32):
    %0 = arith.addf %x, %x : f32
  }
  return
}

// -----

// sum: the result is a rank-0 f32 tensor.
func.func @sum_result_rank(%a: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.sum' op result #0 must be 0D tensor of 32-bit float values, but got 'tensor<2xf32>'}}
  %r = kiln.sum %a : tensor<4xf32> -> tensor<2xf32>
  return
}

// -----

// param_grad: the parameter operand must be read from a kiln.param.
func.func @param_grad_not_param(%p: tensor<4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.param_grad' op expects its first operand to be a kiln.param}}
  kiln.param_grad %p, %g : tensor<4xf32>
  return
}

// -----

// kernel: the result types must be the types that kiln.yield returns.
func.func @kernel_yield_types(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.kernel' op result types differ from the kiln.yield operand types}}
  %r = kiln.kernel "k" -> tensor<3xf32> {
    %0 = kiln.relu %a : tensor<2x3xf32>
    kiln.yield %0 : tensor<2x3xf32>
  }
  return
}

// -----

// kernel: the body must end in kiln.yield.
func.func @kernel_without_yield(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.kernel' op expects its body to end in kiln.yield}}
  kiln.kernel "k" {
    %0 = kiln.relu %a : tensor<2x3xf32>
  }
  return
}

// -----

// yield: only inside a kernel or an elementwise or update body.
func.func @yield_outside_kernel(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.yield' op expects parent op to be one of 'kiln.kernel, kiln.elementwise, kiln.update'}}
  kiln.yield %a : tensor<2x3xf32>
}
