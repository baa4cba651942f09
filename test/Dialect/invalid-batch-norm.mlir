// The verifiers of kiln.batch_norm_train and kiln.batch_norm_grad reject an
// input without channels, per-channel values of the wrong length and results
// of another type than the input, naming the types at fault.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// A rank-1 input has no channel dimension.
func.func @rank_one(%x: tensor<?xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.batch_norm_train' op expects an input [N, C, ...] with static channels C, got 'tensor<?xf32>'}}
  %y, %m, %v = kiln.batch_norm_train %x, %g, %g {eps = 1.0e-5 : f64} : tensor<?xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<?xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

// gamma has 3 entries for 4 channels.
func.func @gamma_length(%x: tensor<?x4x2x2xf32>, %g: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.batch_norm_train' op expects per-channel values of type 'tensor<4xf32>', got 'tensor<3xf32>'}}
  %y, %m, %v = kiln.batch_norm_train %x, %g, %b {eps = 1.0e-5 : f64} : tensor<?x4x2x2xf32>, tensor<3xf32>, tensor<4xf32> -> tensor<?x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

// The result must have the input's shape.
func.func @result_type(%x: tensor<?x4x2x2xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.batch_norm_train' op result must have the input's type 'tensor<?x4x2x2xf32>'}}
  %y, %m, %v = kiln.batch_norm_train %x, %g, %g {eps = 1.0e-5 : f64} : tensor<?x4x2x2xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<?x4x4xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

// The gradient has another shape than the input.
func.func @grad_type(%dy: tensor<?x4x3x3xf32>, %x: tensor<?x4x2x2xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.batch_norm_grad' op gradient and input gradient must have the input's type 'tensor<?x4x2x2xf32>'}}
  %dx, %dg, %db = kiln.batch_norm_grad %dy, %x, %c, %c, %c {eps = 1.0e-5 : f64} : tensor<?x4x3x3xf32>, tensor<?x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<?x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>
  return
}

// -----

// The mean is per sample, not per channel.
func.func @mean_type(%dy: tensor<?x4xf32>, %m: tensor<?xf32>, %c: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.batch_norm_grad' op expects per-channel values of type 'tensor<4xf32>', got 'tensor<?xf32>'}}
  %dx, %dg, %db = kiln.batch_norm_grad %dy, %dy, %m, %c, %c {eps = 1.0e-5 : f64} : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>
  return
}
