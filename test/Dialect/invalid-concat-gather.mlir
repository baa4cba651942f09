// The verifiers and shape inference of kiln.concat, kiln.slice, kiln.gather
// and kiln.scatter_add reject malformed IR with a message at the offending
// op that names the types (and the axis or range at fault).
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// concat: axis 0 is the batch, which is never joined.
func.func @concat_batch_axis(%a: tensor<?x3xf32>, %b: tensor<?x5xf32>) {
  // expected-error @+2 {{kiln.concat axis 0 must be a non-batch axis of 'tensor<?x3xf32>'}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %c = kiln.concat %a, %b {axis = 0 : i64} : tensor<?x3xf32>, tensor<?x5xf32> -> tensor<?x3xf32>
  return
}

// -----

// concat: the axis must be a dimension of the inputs (rank 2: axis 1 only).
func.func @concat_axis_past_rank(%a: tensor<?x3xf32>, %b: tensor<?x5xf32>) {
  // expected-error @+2 {{kiln.concat axis 2 must be a non-batch axis of 'tensor<?x3xf32>'}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %c = kiln.concat %a, %b {axis = 2 : i64} : tensor<?x3xf32>, tensor<?x5xf32> -> tensor<?x8xf32>
  return
}

// -----

// concat: the inputs agree in every dimension but the axis. The first op
// joins [N, 3, 4] and [N, 3, 2] along 2, where they may differ; the second
// joins [N, 3, 4] and [N, 5, 2] along 1, and dimension 2 differs (4, 2).
func.func @concat_other_dim(%a: tensor<?x3x4xf32>, %b: tensor<?x5x2xf32>, %c: tensor<?x3x2xf32>) {
  %ok = kiln.concat %a, %c {axis = 2 : i64} : tensor<?x3x4xf32>, tensor<?x3x2xf32> -> tensor<?x3x6xf32>
  // expected-error @+2 {{kiln.concat inputs 'tensor<?x3x4xf32>' and 'tensor<?x5x2xf32>' differ outside axis 1}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %bad = kiln.concat %a, %b {axis = 1 : i64} : tensor<?x3x4xf32>, tensor<?x5x2xf32> -> tensor<?x8x4xf32>
  return
}

// -----

// concat: inputs of different ranks differ outside the axis too; the message
// names the first input and the one that differs from it (the third).
func.func @concat_rank(%a: tensor<?x3xf32>, %b: tensor<?x3x1xf32>) {
  // expected-error @+2 {{kiln.concat inputs 'tensor<?x3xf32>' and 'tensor<?x3x1xf32>' differ outside axis 1}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %c = kiln.concat %a, %a, %b {axis = 1 : i64} : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3x1xf32> -> tensor<?x7xf32>
  return
}

// -----

// concat: the result's axis is the sum of the inputs' (3 + 5 = 8, not 9).
func.func @concat_result_type(%a: tensor<?x3xf32>, %b: tensor<?x5xf32>) {
  // expected-error @+2 {{'kiln.concat' op inferred type(s) 'tensor<?x8xf32>' are incompatible with return type(s) of operation 'tensor<?x9xf32>'}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %c = kiln.concat %a, %b {axis = 1 : i64} : tensor<?x3xf32>, tensor<?x5xf32> -> tensor<?x9xf32>
  return
}

// -----

// concat: at least one input (the generic form can write none).
func.func @concat_no_inputs() {
  // expected-error @+2 {{kiln.concat expects at least one input}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %c = "kiln.concat"() <{axis = 1 : i64}> : () -> tensor<?x3xf32>
  return
}

// -----

// concat: the inputs are f32 tensors; an i32 one is rejected by the operand
// constraint.
func.func @concat_i32(%a: tensor<?x3xf32>, %b: tensor<?x5xi32>) {
  // expected-error @+1 {{'kiln.concat' op operand #1 must be variadic of ranked tensor of 32-bit float values, but got 'tensor<?x5xi32>'}}
  %c = kiln.concat %a, %b {axis = 1 : i64} : tensor<?x3xf32>, tensor<?x5xi32> -> tensor<?x8xf32>
  return
}

// -----

// slice: axis 0 (the batch) is never sliced, even for the whole range.
func.func @slice_batch_axis(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'kiln.slice' op cannot take 'tensor<?x8xf32>' from 'tensor<?x8xf32>' along axis 0}}
  %s = kiln.slice %x {axis = 0 : i64, offset = 0 : i64} : tensor<?x8xf32> -> tensor<?x8xf32>
  return
}

// -----

// slice: the axis must be a dimension of the input.
func.func @slice_axis_past_rank(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'kiln.slice' op cannot take 'tensor<?x4xf32>' from 'tensor<?x8xf32>' along axis 2}}
  %s = kiln.slice %x {axis = 2 : i64, offset = 0 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>
  return
}

// -----

// slice: the result keeps the input's rank.
func.func @slice_rank(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{'kiln.slice' op cannot take 'tensor<?x2x4xf32>' from 'tensor<?x8xf32>' along axis 1}}
  %s = kiln.slice %x {axis = 1 : i64, offset = 0 : i64} : tensor<?x8xf32> -> tensor<?x2x4xf32>
  return
}

// -----

// slice: the result agrees with the input outside the axis (3, not 4).
func.func @slice_other_dim(%x: tensor<?x8x3xf32>) {
  // expected-error @+1 {{'kiln.slice' op result 'tensor<?x2x4xf32>' differs from 'tensor<?x8x3xf32>' outside axis 1}}
  %s = kiln.slice %x {axis = 1 : i64, offset = 0 : i64} : tensor<?x8x3xf32> -> tensor<?x2x4xf32>
  return
}

// -----

// slice: the window may leave the input (it reads zero there), but the axis
// must be static on both sides.
func.func @slice_dynamic_axis(%x: tensor<?x8xf32>, %y: tensor<?x?xf32>) {
  %ok = kiln.slice %x {axis = 1 : i64, offset = 5 : i64} : tensor<?x8xf32> -> tensor<?x4xf32>
  // expected-error @+1 {{'kiln.slice' op expects a static axis 1, got 'tensor<?x?xf32>' -> 'tensor<?x4xf32>'}}
  %bad = kiln.slice %y {axis = 1 : i64, offset = 0 : i64} : tensor<?x?xf32> -> tensor<?x4xf32>
  return
}

// -----

// gather: the table is a static [V, D]; a dynamic vocabulary is rejected.
func.func @gather_dynamic_table(%t: tensor<?x4xf32>, %i: tensor<?x5xi32>) {
  // expected-error @+2 {{kiln.gather expects a static [V, D] table, got 'tensor<?x4xf32>'}}
  // expected-error @+1 {{'kiln.gather' op failed to infer returned types}}
  %e = kiln.gather %t, %i : tensor<?x4xf32>, tensor<?x5xi32> -> tensor<?x5x4xf32>
  return
}

// -----

// gather: a rank-3 table is not a [V, D] one.
func.func @gather_table_rank(%t: tensor<3x4x2xf32>, %i: tensor<?x5xi32>) {
  // expected-error @+2 {{kiln.gather expects a static [V, D] table, got 'tensor<3x4x2xf32>'}}
  // expected-error @+1 {{'kiln.gather' op failed to infer returned types}}
  %e = kiln.gather %t, %i : tensor<3x4x2xf32>, tensor<?x5xi32> -> tensor<?x5x4xf32>
  return
}

// -----

// gather: rank-0 indices have no batch dimension.
func.func @gather_scalar_index(%t: tensor<3x4xf32>, %i: tensor<i32>) {
  // expected-error @+2 {{kiln.gather expects indices with a batch dimension, got 'tensor<i32>'}}
  // expected-error @+1 {{'kiln.gather' op failed to infer returned types}}
  %e = kiln.gather %t, %i : tensor<3x4xf32>, tensor<i32> -> tensor<4xf32>
  return
}

// -----

// gather: the indices are i32; f32 ones are rejected by the operand
// constraint.
func.func @gather_f32_indices(%t: tensor<3x4xf32>, %i: tensor<?x5xf32>) {
  // expected-error @+1 {{'kiln.gather' op operand #1 must be ranked tensor of 32-bit signless integer values, but got 'tensor<?x5xf32>'}}
  %e = kiln.gather %t, %i : tensor<3x4xf32>, tensor<?x5xf32> -> tensor<?x5x4xf32>
  return
}

// -----

// gather: the result is the indices' shape with D appended ([N, 5, 4]), not
// [N, D].
func.func @gather_result_type(%t: tensor<3x4xf32>, %i: tensor<?x5xi32>) {
  // expected-error @+2 {{'kiln.gather' op inferred type(s) 'tensor<?x5x4xf32>' are incompatible with return type(s) of operation 'tensor<?x4xf32>'}}
  // expected-error @+1 {{'kiln.gather' op failed to infer returned types}}
  %e = kiln.gather %t, %i : tensor<3x4xf32>, tensor<?x5xi32> -> tensor<?x4xf32>
  return
}

// -----

// scatter_add: the result is a static [V, D] table; a dynamic one is
// rejected.
func.func @scatter_add_dynamic_result(%g: tensor<?x5x4xf32>, %i: tensor<?x5xi32>) {
  // expected-error @+1 {{'kiln.scatter_add' op expects a static [V, D] result, got 'tensor<?x4xf32>'}}
  %t = kiln.scatter_add %g, %i : tensor<?x5x4xf32>, tensor<?x5xi32> -> tensor<?x4xf32>
  return
}

// -----

// scatter_add: a rank-3 result is not a table, even a static one.
func.func @scatter_add_result_rank(%g: tensor<?x5x4xf32>, %i: tensor<?x5xi32>) {
  // expected-error @+1 {{'kiln.scatter_add' op expects a static [V, D] result, got 'tensor<3x5x4xf32>'}}
  %t = kiln.scatter_add %g, %i : tensor<?x5x4xf32>, tensor<?x5xi32> -> tensor<3x5x4xf32>
  return
}

// -----

// scatter_add: the gradient's rows have the table's width D (4, not 3).
func.func @scatter_add_row_width(%g: tensor<?x5x4xf32>, %i: tensor<?x5xi32>) {
  // expected-error @+1 {{'kiln.scatter_add' op gradient 'tensor<?x5x4xf32>' does not match indices 'tensor<?x5xi32>' and rows of 'tensor<10x3xf32>'}}
  %t = kiln.scatter_add %g, %i : tensor<?x5x4xf32>, tensor<?x5xi32> -> tensor<10x3xf32>
  return
}

// -----

// scatter_add: the gradient has one row per index ([N, 5, D] for [N, 5]
// indices); [N, D] is missing the indices' second dimension.
func.func @scatter_add_index_shape(%g: tensor<?x4xf32>, %i: tensor<?x5xi32>) {
  // expected-error @+1 {{'kiln.scatter_add' op gradient 'tensor<?x4xf32>' does not match indices 'tensor<?x5xi32>' and rows of 'tensor<10x4xf32>'}}
  %t = kiln.scatter_add %g, %i : tensor<?x4xf32>, tensor<?x5xi32> -> tensor<10x4xf32>
  return
}
