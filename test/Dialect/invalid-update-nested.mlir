// XFAIL: *
// BUG: kiln.sgd_update's verifier (verifyParamWrite in KilnOps.cpp) only looks
// at readers of the parameter in the update's own block. An update inside a
// kiln.kernel followed by a reader after that kernel (or an update followed by
// a kernel that reads the parameter) is accepted, although the later reader
// sees the new value. The check should compare the readers' ancestors in the
// update's block, not skip readers in other blocks.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// An update in a kernel, and a read of the old value after the kernel.
func.func @update_in_kernel_then_read(%g: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %lr = kiln.hyperparam "lr" default 0.1 : f32
  %p = kiln.param "w" init "zeros" : tensor<4x4xf32>
  kiln.kernel "k0" {
    // expected-error @+1 {{'kiln.sgd_update' op writes the parameter before a later read of it}}
    kiln.sgd_update %p, %g, %lr : tensor<4x4xf32>
    kiln.yield
  }
  %r = kiln.relu %p : tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}

// -----

// An update, then a kernel that reads the old value.
func.func @update_then_kernel_reads(%g: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %lr = kiln.hyperparam "lr" default 0.1 : f32
  %p = kiln.param "w" init "zeros" : tensor<4x4xf32>
  // expected-error @+1 {{'kiln.sgd_update' op writes the parameter before a later read of it}}
  kiln.sgd_update %p, %g, %lr : tensor<4x4xf32>
  %r = kiln.kernel "k0" -> tensor<4x4xf32> {
    %0 = kiln.relu %p : tensor<4x4xf32>
    kiln.yield %0 : tensor<4x4xf32>
  }
  return %r : tensor<4x4xf32>
}
