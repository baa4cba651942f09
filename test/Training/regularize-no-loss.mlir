// kiln-regularize needs the loss as the first result of a function with
// gradient markers; without one it reports an error instead of crashing.
// RUN: not kiln-opt %s --kiln-regularize 2>&1 | FileCheck %s
// CHECK: error: kiln-regularize expects a function with gradient markers to return the loss, a tensor<f32>, first
module attributes {kiln.regularizer = {l2 = 1.0e-2 : f64}} {
  func.func @train_step(%g: tensor<4xf32>) {
    %w = kiln.param "w" init "zeros" : tensor<4xf32>
    kiln.param_grad %w, %g : tensor<4xf32>
    return
  }
}
