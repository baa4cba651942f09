// kiln.dead_units counts units along a non-batch axis of its input.
// RUN: kiln-opt %s --split-input-file --verify-diagnostics

func.func @batch_axis(%h: tensor<?x8xf32>) -> tensor<f32> {
  // expected-error @+1 {{unit_axis 0 must name a non-batch axis of a rank-2 input}}
  %d = kiln.dead_units %h {unit_axis = 0 : i64} : tensor<?x8xf32> -> tensor<f32>
  return %d : tensor<f32>
}

// -----

func.func @past_the_end(%h: tensor<?x8xf32>) -> tensor<f32> {
  // expected-error @+1 {{unit_axis 2 must name a non-batch axis of a rank-2 input}}
  %d = kiln.dead_units %h {unit_axis = 2 : i64} : tensor<?x8xf32> -> tensor<f32>
  return %d : tensor<f32>
}
