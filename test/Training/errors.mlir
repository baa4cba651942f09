// kiln-apply-optimizer needs to know the optimizer, from the module's
// kiln.optimizer attribute.
// RUN: kiln-opt %s --kiln-apply-optimizer -split-input-file -verify-diagnostics

// No kiln.optimizer attribute on the module.
// expected-error @+1 {{kiln-apply-optimizer expects a 'kiln.optimizer' module attribute}}
module {
  func.func @train_step(%g: tensor<4xf32>) {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    kiln.param_grad %b, %g : tensor<4xf32>
    return
  }
}

// -----

// An optimizer name without an update rule.
// expected-error @+1 {{unknown optimizer in 'kiln.optimizer': {name = "lamb"}}}
module attributes {kiln.optimizer = {name = "lamb"}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    kiln.param_grad %b, %g : tensor<4xf32>
    return
  }
}
