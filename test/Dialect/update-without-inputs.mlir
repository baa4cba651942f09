// An update without inputs prints without `from (...)` and input types, and
// parses back.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// An update with targets only: decay a parameter by a constant factor.
// CHECK-LABEL: func.func @decay
// CHECK: %[[W:.*]] = kiln.param "w"
// CHECK: kiln.update(%[[W]]) : (tensor<4xf32>) {
func.func @decay() {
  %w = kiln.param "w" init "zeros" : tensor<4xf32>
  "kiln.update"(%w) <{operandSegmentSizes = array<i32: 1, 0>}> ({
  ^bb0(%wi: f32):
    %c = arith.constant 0.5 : f32
    %0 = arith.mulf %wi, %c : f32
    kiln.yield %0 : f32
  }) : (tensor<4xf32>) -> ()
  return
}
