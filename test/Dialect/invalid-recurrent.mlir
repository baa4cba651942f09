// The verifier and shape inference of kiln.recurrent and kiln.recurrent_grad
// reject malformed IR with a message at the op that names the cell and the
// types at fault.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// An unknown cell.
func.func @unknown_cell(%x: tensor<?x7x8xf32>, %u: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+2 {{cell must be rnn, lstm or gru, got 'elman'}}
  // expected-error @+1 {{'kiln.recurrent' op failed to infer returned types}}
  %h, %s = kiln.recurrent "elman" %x, %u, %b : tensor<?x7x8xf32>, tensor<4x8xf32>, tensor<8xf32> -> tensor<?x7x4xf32>, tensor<?x7x4xf32>
  return
}

// -----

// lstm has 4 gates: a [4, 12] weight is a gru's (3 gates), not an lstm's.
func.func @gate_count(%x: tensor<?x7x12xf32>, %u: tensor<4x12xf32>, %b: tensor<12xf32>) {
  // expected-error @+2 {{lstm expects a recurrent weight [H, 4*H], got 'tensor<4x12xf32>'}}
  // expected-error @+1 {{'kiln.recurrent' op failed to infer returned types}}
  %h, %s = kiln.recurrent "lstm" %x, %u, %b : tensor<?x7x12xf32>, tensor<4x12xf32>, tensor<12xf32> -> tensor<?x7x4xf32>, tensor<?x7x4xf32>
  return
}

// -----

// The input's last dimension is the weight's G*H columns (12, not 10).
func.func @input_width(%x: tensor<?x7x10xf32>, %u: tensor<4x12xf32>, %b: tensor<12xf32>) {
  // expected-error @+2 {{gru expects input pre-activations [N, T, 12] with a static T, got 'tensor<?x7x10xf32>'}}
  // expected-error @+1 {{'kiln.recurrent' op failed to infer returned types}}
  %h, %s = kiln.recurrent "gru" %x, %u, %b : tensor<?x7x10xf32>, tensor<4x12xf32>, tensor<12xf32> -> tensor<?x7x4xf32>, tensor<?x7x4xf32>
  return
}

// -----

// The number of steps is static: the scan's loop is built for it.
func.func @dynamic_steps(%x: tensor<?x?x4xf32>, %u: tensor<4x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{rnn expects input pre-activations [N, T, 4] with a static T, got 'tensor<?x?x4xf32>'}}
  // expected-error @+1 {{'kiln.recurrent' op failed to infer returned types}}
  %h, %s = kiln.recurrent "rnn" %x, %u, %b : tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32> -> tensor<?x?x4xf32>, tensor<?x?x4xf32>
  return
}

// -----

// The recurrent bias has the weight's G*H columns.
func.func @bias_width(%x: tensor<?x7x4xf32>, %u: tensor<4x4xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{rnn expects a recurrent bias [4], got 'tensor<3xf32>'}}
  // expected-error @+1 {{'kiln.recurrent' op failed to infer returned types}}
  %h, %s = kiln.recurrent "rnn" %x, %u, %b : tensor<?x7x4xf32>, tensor<4x4xf32>, tensor<3xf32> -> tensor<?x7x4xf32>, tensor<?x7x4xf32>
  return
}

// -----

// recurrent_grad: the gradient has the hidden states' shape (7 steps, not 6).
func.func @grad_steps(%d: tensor<?x6x4xf32>, %x: tensor<?x7x16xf32>, %u: tensor<4x16xf32>, %b: tensor<16xf32>,
    %hs: tensor<?x7x4xf32>, %sv: tensor<?x7x20xf32>) {
  // expected-error @+1 {{'kiln.recurrent_grad' op gradient 'tensor<?x6x4xf32>' does not match the hidden states [7 steps, 4 units]}}
  %dx, %da = kiln.recurrent_grad "lstm" %d, %x, %u, %b, %hs, %sv : tensor<?x6x4xf32>, tensor<?x7x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<?x7x4xf32>, tensor<?x7x20xf32> -> tensor<?x7x16xf32>, tensor<?x7x16xf32>
  return
}

// -----

// recurrent_grad: both results have the input's type.
func.func @grad_result(%d: tensor<?x7x4xf32>, %x: tensor<?x7x16xf32>, %u: tensor<4x16xf32>, %b: tensor<16xf32>,
    %hs: tensor<?x7x4xf32>, %sv: tensor<?x7x20xf32>) {
  // expected-error @+1 {{'kiln.recurrent_grad' op results must have the input's type 'tensor<?x7x16xf32>'}}
  %dx, %da = kiln.recurrent_grad "lstm" %d, %x, %u, %b, %hs, %sv : tensor<?x7x4xf32>, tensor<?x7x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<?x7x4xf32>, tensor<?x7x20xf32> -> tensor<?x7x16xf32>, tensor<?x7x4xf32>
  return
}

// -----

// recurrent_grad checks the cell and operands as kiln.recurrent does.
func.func @grad_cell(%d: tensor<?x7x4xf32>, %x: tensor<?x7x16xf32>, %u: tensor<4x16xf32>, %b: tensor<16xf32>,
    %hs: tensor<?x7x4xf32>, %sv: tensor<?x7x20xf32>) {
  // expected-error @+1 {{cell must be rnn, lstm or gru, got 'LSTM'}}
  %dx, %da = kiln.recurrent_grad "LSTM" %d, %x, %u, %b, %hs, %sv : tensor<?x7x4xf32>, tensor<?x7x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<?x7x4xf32>, tensor<?x7x20xf32> -> tensor<?x7x16xf32>, tensor<?x7x16xf32>
  return
}

// -----

// recurrent_grad reads the forward's hidden states: 7 steps, not 6.
func.func @grad_hidden(%d: tensor<?x7x4xf32>, %x: tensor<?x7x16xf32>, %u: tensor<4x16xf32>, %b: tensor<16xf32>,
    %hs: tensor<?x6x4xf32>, %sv: tensor<?x7x20xf32>) {
  // expected-error @+1 {{'kiln.recurrent_grad' op hidden states 'tensor<?x6x4xf32>' are not the forward's 'tensor<?x7x4xf32>'}}
  %dx, %da = kiln.recurrent_grad "lstm" %d, %x, %u, %b, %hs, %sv : tensor<?x7x4xf32>, tensor<?x7x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<?x6x4xf32>, tensor<?x7x20xf32> -> tensor<?x7x16xf32>, tensor<?x7x16xf32>
  return
}

// -----

// lstm saves 5 values per unit (4 gates' products and the cell state): 20
// columns for 4 units, not a gru's 12.
func.func @grad_saved(%d: tensor<?x7x4xf32>, %x: tensor<?x7x16xf32>, %u: tensor<4x16xf32>, %b: tensor<16xf32>,
    %hs: tensor<?x7x4xf32>, %sv: tensor<?x7x12xf32>) {
  // expected-error @+1 {{'kiln.recurrent_grad' op saved values 'tensor<?x7x12xf32>' are not the forward's 'tensor<?x7x20xf32>'}}
  %dx, %da = kiln.recurrent_grad "lstm" %d, %x, %u, %b, %hs, %sv : tensor<?x7x4xf32>, tensor<?x7x16xf32>, tensor<4x16xf32>, tensor<16xf32>, tensor<?x7x4xf32>, tensor<?x7x12xf32> -> tensor<?x7x16xf32>, tensor<?x7x16xf32>
  return
}
