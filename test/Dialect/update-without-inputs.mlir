// XFAIL: *
// BUG: kiln.update's assembly format prints an update without inputs as
// `from() : (tensor<4xf32>), ()`, but the generated parser reads the input
// types with parseTypeList, which needs at least one type, so the printed
// form does not parse back ("expected non-function type" at the `)`). The
// verifier accepts such an update (only targets must be non-empty), and
// kiln-partition-kernels handles one (an update without inputs opens its own
// kernel). The input types should be an optional group in the format.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// An update with targets only: decay a parameter by a constant factor.
// CHECK-LABEL: func.func @decay
// CHECK: %[[W:.*]] = kiln.param "w"
// CHECK: kiln.update(%[[W]]) from() : (tensor<4xf32>), () {
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
