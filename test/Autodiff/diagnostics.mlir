// What kiln-autodiff reports: a warning for a parameter that does not reach
// the loss, and errors for input it cannot differentiate.
// RUN: kiln-opt %s --kiln-autodiff -split-input-file -verify-diagnostics

// A parameter that only the prediction reads gets no gradient, and a warning.
func.func @forward() -> (tensor<f32>, tensor<?x4xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w = kiln.param "w" init "he_normal" : tensor<4x4xf32>
  %l = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %loss = kiln.softmax_cross_entropy %l, %y : tensor<?x4xf32>, tensor<?xi32> -> tensor<f32>
  // expected-warning @+1 {{parameter 'calibration' does not affect the loss}}
  %b = kiln.param "calibration" init "zeros" : tensor<4xf32>
  %p = kiln.bias_add %l, %b : tensor<?x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %loss, %p : tensor<f32>, tensor<?x4xf32>
}

// -----

// An op on the path to the loss without a gradient rule (relu_grad is only a
// helper of the backward pass) is an error at that op.
func.func @forward() -> (tensor<f32>, tensor<?x4xf32>) {
  %x = kiln.input "x" : tensor<?x4xf32>
  %y = kiln.input "y" : tensor<?xi32>
  %w = kiln.param "w" init "he_normal" : tensor<4x4xf32>
  %l = kiln.matmul %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  // expected-error @+1 {{no gradient rule for 'kiln.relu_grad' on the path to the loss}}
  %g = kiln.relu_grad %l, %l : tensor<?x4xf32>
  %loss = kiln.softmax_cross_entropy %g, %y : tensor<?x4xf32>, tensor<?xi32> -> tensor<f32>
  return %loss, %l : tensor<f32>, tensor<?x4xf32>
}

// -----

// A module without @forward has nothing to differentiate.
// expected-error @+1 {{kiln-autodiff expects a function named @forward}}
module {
  func.func @predict() {
    return
  }
}

// -----

// @forward must return (loss, prediction).
// expected-error @+1 {{@forward must return (loss, prediction)}}
func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}
