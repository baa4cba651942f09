// kiln-clip-gradients reads its kind and threshold from the module's
// kiln.clip attribute and rejects one it cannot use, at the module.
// RUN: kiln-opt %s --kiln-clip-gradients -split-input-file -verify-diagnostics

// A kind that is not value, norm or global_norm.
// expected-error @+1 {{malformed 'kiln.clip' attribute: {clip = 1.000000e+00 : f64, name = "magnitude"}}}
module attributes {kiln.clip = {name = "magnitude", clip = 1.0}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    kiln.param_grad %b, %g : tensor<4xf32>
    return
  }
}

// -----

// No threshold.
// expected-error @+1 {{malformed 'kiln.clip' attribute: {name = "norm"}}}
module attributes {kiln.clip = {name = "norm"}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    kiln.param_grad %b, %g : tensor<4xf32>
    return
  }
}
