// Malformed sequence matmuls and bias axes are rejected with the types named.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// Without transpose_lhs the right side is a [K, M] matrix.
func.func @rank3_rhs(%e: tensor<?x20x16xf32>, %z: tensor<?x20x64xf32>) {
  // expected-error @+2 {{kiln.matmul expects [..., K] x [K, M] (or, with transpose_lhs, leading dimensions alike on both sides), got 'tensor<?x20x16xf32>' and 'tensor<?x20x64xf32>'}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %dw = kiln.matmul %e, %z : tensor<?x20x16xf32>, tensor<?x20x64xf32> -> tensor<16x64xf32>
  return
}

// -----

// Contracted leading dimensions must agree: 20 steps against 10.
func.func @steps_differ(%e: tensor<?x20x16xf32>, %z: tensor<?x10x64xf32>) {
  // expected-error @+2 {{kiln.matmul expects [..., K] x [K, M] (or, with transpose_lhs, leading dimensions alike on both sides), got 'tensor<?x20x16xf32>' and 'tensor<?x10x64xf32>'}}
  // expected-error @+1 {{'kiln.matmul' op failed to infer returned types}}
  %dw = kiln.matmul %e, %z {transpose_lhs = true} : tensor<?x20x16xf32>, tensor<?x10x64xf32> -> tensor<16x64xf32>
  return
}

// -----

// The bias axis is never the batch.
func.func @bias_axis_zero(%h: tensor<?x64xf32>, %b: tensor<64xf32>) {
  // expected-error @+2 {{kiln.bias_add expects [N, M, ...] and [M] (M at axis 0), got 'tensor<?x64xf32>' and 'tensor<64xf32>'}}
  // expected-error @+1 {{'kiln.bias_add' op failed to infer returned types}}
  %z = kiln.bias_add %h, %b {axis = 0 : i64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return
}
