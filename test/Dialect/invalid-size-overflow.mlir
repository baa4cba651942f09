// Shape inference and the verifiers compute sizes with checked arithmetic:
// extents whose sum or product passes 64 bits are an error at the op, never
// a wrapped size. (Import refuses far smaller sizes, past 2^31 - 1; these
// are for IR written by hand.)
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// concat: 2^62 + 2^62 + 2^62 along axis 1 passes 2^63 - 1.
func.func @concat_sum_overflow(%a: tensor<?x4611686018427387904xf32>) {
  // expected-error @+2 {{kiln.concat extents along axis 1 overflow 64-bit sizes}}
  // expected-error @+1 {{'kiln.concat' op failed to infer returned types}}
  %c = kiln.concat %a, %a, %a {axis = 1 : i64} : tensor<?x4611686018427387904xf32>, tensor<?x4611686018427387904xf32>, tensor<?x4611686018427387904xf32> -> tensor<?x4xf32>
  return
}

// -----

// conv2d: a window of dilation 2^62 over a kernel of 5 passes 2^63 - 1.
func.func @conv2d_window_overflow(%x: tensor<?x1x8x8xf32>, %w: tensor<1x1x5x5xf32>) {
  // expected-error @+2 {{kiln.conv2d window 5x5 (dilation 4611686018427387904) over the padded input 'tensor<?x1x8x8xf32>' overflows 64-bit sizes}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %y = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 4611686018427387904 : i64, padding = array<i64: 0, 0, 0, 0>} : tensor<?x1x8x8xf32>, tensor<1x1x5x5xf32> -> tensor<?x1x4x4xf32>
  return
}

// -----

// reshape: [2^32, 2^32] has 2^64 elements, which wrap to 0 in 64 bits; it is
// not the same count as [1].
func.func @reshape_count_overflow(%x: tensor<?x4294967296x4294967296xf32>) {
  // expected-error @+1 {{cannot reshape}}
  %y = kiln.reshape %x : tensor<?x4294967296x4294967296xf32> -> tensor<?x0xf32>
  return
}
