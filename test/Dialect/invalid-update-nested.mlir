// kiln.update writes its targets in place, so no op that runs after it may
// read them, wherever the two sit: the verifier compares the update with
// every reader in the innermost block holding both (a read after the kernel
// that holds the update, a kernel after the update, a later kernel).
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// An update in a kernel, and a read of the old value after the kernel.
func.func @update_in_kernel_then_read(%g: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %p = kiln.param "w" init "zeros" : tensor<4x4xf32>
  kiln.kernel "k0" {
    // expected-error @+1 {{'kiln.update' op writes the parameter before a later read of it}}
    kiln.update (%p) from (%g) : (tensor<4x4xf32>), (tensor<4x4xf32>) {
    ^bb0(%pi: f32, %gi: f32):
      %0 = arith.mulf %lr, %gi : f32
      %1 = arith.subf %pi, %0 : f32
      kiln.yield %1 : f32
    }
    kiln.yield
  }
  %r = kiln.relu %p : tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}

// -----

// An update, then a kernel that reads the old value.
func.func @update_then_kernel_reads(%g: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %p = kiln.param "w" init "zeros" : tensor<4x4xf32>
  // expected-error @+1 {{'kiln.update' op writes the parameter before a later read of it}}
  kiln.update (%p) from (%g) : (tensor<4x4xf32>), (tensor<4x4xf32>) {
  ^bb0(%pi: f32, %gi: f32):
    %0 = arith.mulf %lr, %gi : f32
    %1 = arith.subf %pi, %0 : f32
    kiln.yield %1 : f32
  }
  %r = kiln.kernel "k0" -> tensor<4x4xf32> {
    %0 = kiln.relu %p : tensor<4x4xf32>
    kiln.yield %0 : tensor<4x4xf32>
  }
  return %r : tensor<4x4xf32>
}

// -----

// An update in one kernel, and a read in a later kernel.
func.func @update_in_kernel_then_kernel_reads(%g: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %p = kiln.param "w" init "zeros" : tensor<4x4xf32>
  kiln.kernel "k0" {
    // expected-error @+1 {{'kiln.update' op writes the parameter before a later read of it}}
    kiln.update (%p) from (%g) : (tensor<4x4xf32>), (tensor<4x4xf32>) {
    ^bb0(%pi: f32, %gi: f32):
      %0 = arith.mulf %lr, %gi : f32
      %1 = arith.subf %pi, %0 : f32
      kiln.yield %1 : f32
    }
    kiln.yield
  }
  %r = kiln.kernel "k1" -> tensor<4x4xf32> {
    %0 = kiln.relu %p : tensor<4x4xf32>
    kiln.yield %0 : tensor<4x4xf32>
  }
  return %r : tensor<4x4xf32>
}

// -----

// A read in an earlier kernel, then the update in a later one: valid, no
// error.
func.func @kernel_reads_then_update(%g: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %p = kiln.param "w" init "zeros" : tensor<4x4xf32>
  %r = kiln.kernel "k0" -> tensor<4x4xf32> {
    %0 = kiln.relu %p : tensor<4x4xf32>
    kiln.yield %0 : tensor<4x4xf32>
  }
  kiln.kernel "k1" {
    kiln.update (%p) from (%g) : (tensor<4x4xf32>), (tensor<4x4xf32>) {
    ^bb0(%pi: f32, %gi: f32):
      %0 = arith.mulf %lr, %gi : f32
      %1 = arith.subf %pi, %0 : f32
      kiln.yield %1 : f32
    }
    kiln.yield
  }
  return %r : tensor<4x4xf32>
}

// -----

// A state read after the kernel whose update writes it.
func.func @state_read_after_update(%g: tensor<4xf32>) -> tensor<4xf32> {
  %p = kiln.param "w" init "zeros" : tensor<4xf32>
  %v = kiln.state "w.velocity" of "w" init 0.0 : tensor<4xf32>
  kiln.kernel "k0" {
    // expected-error @+1 {{'kiln.update' op writes the parameter before a later read of it}}
    kiln.update (%p, %v) from (%g) : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) {
    ^bb0(%pi: f32, %vi: f32, %gi: f32):
      %0 = arith.addf %vi, %gi : f32
      %1 = arith.subf %pi, %0 : f32
      kiln.yield %1, %0 : f32, f32
    }
    kiln.yield
  }
  %r = kiln.relu %v : tensor<4xf32>
  return %r : tensor<4xf32>
}
