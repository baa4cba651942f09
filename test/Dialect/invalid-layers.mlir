// The verifiers and shape inference of the layer-set ops (convolution,
// pooling, log_softmax, broadcast, reshape, bias_add on NCHW) reject
// malformed IR with a message at the offending op that names the types.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// conv2d: the filter's input channels (dimension 1 of OIHW) must be the
// input's channels (dimension 1 of NCHW): 1 against 3.
func.func @conv2d_channel_mismatch(%x: tensor<?x3x28x28xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+2 {{kiln.conv2d input channels differ: 'tensor<?x3x28x28xf32>' and 'tensor<6x1x5x5xf32>'}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %y = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x3x28x28xf32>, tensor<6x1x5x5xf32> -> tensor<?x6x24x24xf32>
  return
}

// -----

// conv2d: the filter is OIHW, rank 4; a flattened [6, 25] filter is not.
func.func @conv2d_filter_rank(%x: tensor<?x1x28x28xf32>, %w: tensor<6x25xf32>) {
  // expected-error @+2 {{kiln.conv2d expects an OIHW filter of rank 4, got 'tensor<6x25xf32>'}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %y = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x1x28x28xf32>, tensor<6x25xf32> -> tensor<?x6x24x24xf32>
  return
}

// -----

// conv2d: the input is NCHW, rank 4; an [N, C, L] signal is not.
func.func @conv2d_input_rank(%x: tensor<?x1x28xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+2 {{kiln.conv2d expects an NCHW input of rank 4, got 'tensor<?x1x28xf32>'}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %y = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x1x28xf32>, tensor<6x1x5x5xf32> -> tensor<?x6x24x24xf32>
  return
}

// -----

// conv2d: a 5x5 window does not fit a 4x4 input without padding.
func.func @conv2d_window_too_large(%x: tensor<?x1x4x4xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+2 {{kiln.conv2d window 5x5 does not fit the padded input 'tensor<?x1x4x4xf32>'}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %y = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x1x4x4xf32>, tensor<6x1x5x5xf32> -> tensor<?x6x1x1xf32>
  return
}

// -----

// conv2d: dilation spreads a 3x3 window over 5x5 pixels, which no longer
// fits a 4x4 input (it would without the dilation, the first op); one pixel
// of padding on every side makes it fit again (6x6, two positions).
func.func @conv2d_dilated_window(%x: tensor<?x1x4x4xf32>, %w: tensor<2x1x3x3xf32>) {
  %ok = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x1x4x4xf32>, tensor<2x1x3x3xf32> -> tensor<?x2x2x2xf32>
  %padded = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 2 : i64, padding = array<i64: 1, 1, 1, 1>}
      : tensor<?x1x4x4xf32>, tensor<2x1x3x3xf32> -> tensor<?x2x2x2xf32>
  // expected-error @+2 {{kiln.conv2d window 3x3 does not fit the padded input 'tensor<?x1x4x4xf32>'}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %bad = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 2 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x1x4x4xf32>, tensor<2x1x3x3xf32> -> tensor<?x2x1x1xf32>
  return
}

// -----

// conv2d: the output size follows stride, dilation and asymmetric padding:
// (9 + 1 + 1 - 5) / 2 + 1 = 4 high, (9 - 5) / 2 + 1 = 3 wide, not 4x4.
func.func @conv2d_result_type(%x: tensor<?x3x9x9xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'kiln.conv2d' op inferred type(s) 'tensor<?x4x4x3xf32>' are incompatible with return type(s) of operation 'tensor<?x4x4x4xf32>'}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %y = kiln.conv2d %x, %w {stride = 2 : i64, dilation = 2 : i64, padding = array<i64: 1, 0, 1, 0>}
      : tensor<?x3x9x9xf32>, tensor<4x3x3x3xf32> -> tensor<?x4x4x4xf32>
  return
}

// -----

// conv2d: padding may not be negative.
func.func @conv2d_negative_padding(%x: tensor<?x1x8x8xf32>, %w: tensor<6x1x3x3xf32>) {
  // expected-error @+2 {{kiln.conv2d expects padding [top, left, bottom, right], none negative}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %y = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 1 : i64, padding = array<i64: 1, -1, 1, 1>}
      : tensor<?x1x8x8xf32>, tensor<6x1x3x3xf32> -> tensor<?x6x8x6xf32>
  return
}

// -----

// conv2d: dilation 0 would collapse the window.
func.func @conv2d_zero_dilation(%x: tensor<?x3x8x8xf32>, %w: tensor<6x3x3x3xf32>) {
  // expected-error @+2 {{kiln.conv2d expects positive kernel, stride and dilation}}
  // expected-error @+1 {{'kiln.conv2d' op failed to infer returned types}}
  %y = kiln.conv2d %x, %w {stride = 1 : i64, dilation = 0 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x3x8x8xf32>, tensor<6x3x3x3xf32> -> tensor<?x6x6x6xf32>
  return
}

// -----

// pool2d: stride 0 would never move the window.
func.func @pool2d_zero_stride(%x: tensor<?x1x8x8xf32>) {
  // expected-error @+2 {{kiln.pool2d expects positive kernel, stride and dilation}}
  // expected-error @+1 {{'kiln.pool2d' op failed to infer returned types}}
  %y = kiln.pool2d %x {kind = "max", kernel = 2 : i64, stride = 0 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x1x8x8xf32> -> tensor<?x1x4x4xf32>
  return
}

// -----

// pool2d: padding has four entries, one per side; three is not enough.
func.func @pool2d_padding_length(%x: tensor<?x6x4x4xf32>) {
  // expected-error @+2 {{kiln.pool2d expects padding [top, left, bottom, right], none negative}}
  // expected-error @+1 {{'kiln.pool2d' op failed to infer returned types}}
  %y = kiln.pool2d %x {kind = "max", kernel = 2 : i64, stride = 2 : i64, padding = array<i64: 0, 0, 0>}
      : tensor<?x6x4x4xf32> -> tensor<?x6x2x2xf32>
  return
}

// -----

// pool2d: a 3x3 window does not fit a 2x2 input.
func.func @pool2d_window_too_large(%x: tensor<?x6x2x2xf32>) {
  // expected-error @+2 {{kiln.pool2d window 3x3 does not fit the padded input 'tensor<?x6x2x2xf32>'}}
  // expected-error @+1 {{'kiln.pool2d' op failed to infer returned types}}
  %y = kiln.pool2d %x {kind = "avg", kernel = 3 : i64, stride = 1 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x6x2x2xf32> -> tensor<?x6x1x1xf32>
  return
}

// -----

// pool2d: the input is NCHW, rank 4.
func.func @pool2d_input_rank(%x: tensor<?x6x16xf32>) {
  // expected-error @+2 {{kiln.pool2d expects an NCHW input of rank 4, got 'tensor<?x6x16xf32>'}}
  // expected-error @+1 {{'kiln.pool2d' op failed to infer returned types}}
  %y = kiln.pool2d %x {kind = "max", kernel = 2 : i64, stride = 2 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x6x16xf32> -> tensor<?x6x8xf32>
  return
}

// -----

// pool2d: a written result type that differs from the inferred one (2x2
// windows 2 apart over 4x4 give 2x2).
func.func @pool2d_result_type(%x: tensor<?x6x4x4xf32>) {
  // expected-error @+2 {{'kiln.pool2d' op inferred type(s) 'tensor<?x6x2x2xf32>' are incompatible with return type(s) of operation 'tensor<?x6x3x3xf32>'}}
  // expected-error @+1 {{'kiln.pool2d' op failed to infer returned types}}
  %y = kiln.pool2d %x {kind = "max", kernel = 2 : i64, stride = 2 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x6x4x4xf32> -> tensor<?x6x3x3xf32>
  return
}

// -----

// pool2d: the kind is max, min or avg.
func.func @pool2d_unknown_kind(%x: tensor<?x1x8x8xf32>) {
  // expected-error @+1 {{'kiln.pool2d' op kind must be max, min or avg, got 'sum'}}
  %y = kiln.pool2d %x {kind = "sum", kernel = 2 : i64, stride = 2 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x1x8x8xf32> -> tensor<?x1x4x4xf32>
  return
}

// -----

// log_softmax: normalises the rows of a rank-2 tensor; rank 1 is rejected.
func.func @log_softmax_rank1(%x: tensor<?xf32>) {
  // expected-error @+1 {{'kiln.log_softmax' op expects a rank-2 input, got 'tensor<?xf32>'}}
  %y = kiln.log_softmax %x : tensor<?xf32>
  return
}

// -----

// log_softmax: rank 3 is rejected too.
func.func @log_softmax_rank3(%x: tensor<?x4x10xf32>) {
  // expected-error @+1 {{'kiln.log_softmax' op expects a rank-2 input, got 'tensor<?x4x10xf32>'}}
  %y = kiln.log_softmax %x : tensor<?x4x10xf32>
  return
}

// -----

// broadcast: removing axis 1 from the result must give the input; a static
// 3 where the input has its dynamic batch does not.
func.func @broadcast_wrong_result(%x: tensor<?xf32>) {
  // expected-error @+1 {{'kiln.broadcast' op result 'tensor<3x10xf32>' is not 'tensor<?xf32>' with axis 1 inserted}}
  %y = kiln.broadcast %x {axis = 1 : i64} : tensor<?xf32> -> tensor<3x10xf32>
  return
}

// -----

// broadcast: the result has exactly one more dimension than the input.
func.func @broadcast_rank(%x: tensor<4xf32>) {
  // expected-error @+1 {{'kiln.broadcast' op cannot insert axis 1 into 'tensor<4xf32>' to get 'tensor<4x2x3xf32>'}}
  %y = kiln.broadcast %x {axis = 1 : i64} : tensor<4xf32> -> tensor<4x2x3xf32>
  return
}

// -----

// broadcast: the axis must be a dimension of the result.
func.func @broadcast_axis(%x: tensor<?xf32>) {
  // expected-error @+1 {{'kiln.broadcast' op cannot insert axis 2 into 'tensor<?xf32>' to get 'tensor<?x10xf32>'}}
  %y = kiln.broadcast %x {axis = 2 : i64} : tensor<?xf32> -> tensor<?x10xf32>
  return
}

// -----

// reshape: the element count per sample must be kept (400, not 300).
func.func @reshape_element_count(%x: tensor<?x16x5x5xf32>) {
  // expected-error @+1 {{'kiln.reshape' op cannot reshape 'tensor<?x16x5x5xf32>' to 'tensor<?x300xf32>' (same leading dimension and element count)}}
  %y = kiln.reshape %x : tensor<?x16x5x5xf32> -> tensor<?x300xf32>
  return
}

// -----

// reshape: the leading (batch) dimension must be kept, even when the total
// element count (1600) is.
func.func @reshape_batch_dim(%x: tensor<4x16x5x5xf32>) {
  // expected-error @+1 {{'kiln.reshape' op cannot reshape 'tensor<4x16x5x5xf32>' to 'tensor<8x200xf32>' (same leading dimension and element count)}}
  %y = kiln.reshape %x : tensor<4x16x5x5xf32> -> tensor<8x200xf32>
  return
}

// -----

// reshape: a dynamic batch may not become a static one.
func.func @reshape_dynamic_batch(%x: tensor<?x400xf32>) {
  // expected-error @+1 {{'kiln.reshape' op cannot reshape 'tensor<?x400xf32>' to 'tensor<4x400xf32>' (same leading dimension and element count)}}
  %y = kiln.reshape %x : tensor<?x400xf32> -> tensor<4x400xf32>
  return
}

// -----

// bias_add on NCHW: the bias is per channel (dimension 1, here 6); a bias
// of the width (4) is rejected, one of the channels is accepted.
func.func @bias_add_nchw(%x: tensor<?x6x4x4xf32>, %c: tensor<6xf32>, %b: tensor<4xf32>) {
  %ok = kiln.bias_add %x, %c : tensor<?x6x4x4xf32>, tensor<6xf32> -> tensor<?x6x4x4xf32>
  // expected-error @+2 {{kiln.bias_add expects [N, M, ...] and [M] (M at axis 1), got 'tensor<?x6x4x4xf32>' and 'tensor<4xf32>'}}
  // expected-error @+1 {{'kiln.bias_add' op failed to infer returned types}}
  %y = kiln.bias_add %x, %b : tensor<?x6x4x4xf32>, tensor<4xf32> -> tensor<?x6x4x4xf32>
  return
}

// -----

// bias_add: the input has a batch and a feature dimension at least.
func.func @bias_add_rank1(%b: tensor<2xf32>) {
  // expected-error @+2 {{kiln.bias_add expects [N, M, ...] and [M] (M at axis 1), got 'tensor<2xf32>' and 'tensor<2xf32>'}}
  // expected-error @+1 {{'kiln.bias_add' op failed to infer returned types}}
  %y = kiln.bias_add %b, %b : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  return
}

// -----

// dropout: the result has the input's type (checked in the generic form,
// which the custom form cannot express).
func.func @dropout_result_type(%x: tensor<?x3xf32>, %s: f32) {
  // expected-error @+1 {{'kiln.dropout' op failed to verify that all of {input, result} have same type}}
  %y = "kiln.dropout"(%x, %s, %s) <{seed = 1 : i64}> : (tensor<?x3xf32>, f32, f32) -> tensor<?x4xf32>
  return
}

// -----

// phase: both forms and the result have one type.
func.func @phase_types(%x: tensor<?x3xf32>, %y: tensor<?x4xf32>) {
  // expected-error @+1 {{'kiln.phase' op failed to verify that all of {training, inference, result} have same type}}
  %z = "kiln.phase"(%x, %y) : (tensor<?x3xf32>, tensor<?x4xf32>) -> tensor<?x3xf32>
  return
}
