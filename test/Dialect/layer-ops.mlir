// The ops of the layer set (convolution, pooling, reshaping, dropout and the
// phase switch, and their gradient helpers) print in a form that parses back
// to the same op: parse, print, parse the printed text again, print, check.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// The generic form (properties, regions) parses back to the same ops too.
// RUN: kiln-opt %s -mlir-print-op-generic | kiln-opt | FileCheck %s
// The generic form itself keeps every attribute as a property.
// RUN: kiln-opt %s -mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// batch: the number of samples in the batch, an f32 with no operands.
// CHECK-LABEL: func.func @batch
// CHECK-NEXT: %[[N:.*]] = kiln.batch : f32
// CHECK-NEXT: return %[[N]] : f32
// GENERIC-LABEL: sym_name = "batch"
// GENERIC: "kiln.batch"() : () -> f32
func.func @batch() -> f32 {
  %n = kiln.batch : f32
  return %n : f32
}

// log_softmax keeps its rank-2 type; broadcast inserts an axis (the result
// type gives its size), reduce_sum removes it again.
// CHECK-LABEL: func.func @rows
// CHECK-SAME: (%[[Z:.*]]: tensor<?x10xf32>, %[[S:.*]]: tensor<?xf32>)
// CHECK-NEXT: %[[L:.*]] = kiln.log_softmax %[[Z]] : tensor<?x10xf32>
// CHECK-NEXT: %[[B:.*]] = kiln.broadcast %[[S]] {axis = 1 : i64} : tensor<?xf32> -> tensor<?x10xf32>
// CHECK-NEXT: %[[C:.*]] = kiln.broadcast %[[S]] {axis = 0 : i64} : tensor<?xf32> -> tensor<3x?xf32>
// CHECK-NEXT: return %[[L]], %[[B]], %[[C]] :
// GENERIC-LABEL: sym_name = "rows"
// GENERIC: "kiln.log_softmax"(%{{.*}}) : (tensor<?x10xf32>) -> tensor<?x10xf32>
// GENERIC: "kiln.broadcast"(%{{.*}}) <{axis = 1 : i64}> : (tensor<?xf32>) -> tensor<?x10xf32>
// GENERIC: "kiln.broadcast"(%{{.*}}) <{axis = 0 : i64}> : (tensor<?xf32>) -> tensor<3x?xf32>
func.func @rows(%z: tensor<?x10xf32>, %s: tensor<?xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>, tensor<3x?xf32>) {
  %l = kiln.log_softmax %z : tensor<?x10xf32>
  %b = kiln.broadcast %s {axis = 1 : i64} : tensor<?xf32> -> tensor<?x10xf32>
  %c = kiln.broadcast %s {axis = 0 : i64} : tensor<?xf32> -> tensor<3x?xf32>
  return %l, %b, %c : tensor<?x10xf32>, tensor<?x10xf32>, tensor<3x?xf32>
}

// reshape: flatten to rank 2, and regroup to rank 3, keeping the batch.
// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:.*]]: tensor<?x16x5x5xf32>)
// CHECK-NEXT: %[[F:.*]] = kiln.reshape %[[X]] : tensor<?x16x5x5xf32> -> tensor<?x400xf32>
// CHECK-NEXT: %[[R:.*]] = kiln.reshape %[[F]] : tensor<?x400xf32> -> tensor<?x16x25xf32>
// CHECK-NEXT: return %[[F]], %[[R]] :
// GENERIC-LABEL: sym_name = "reshape"
// GENERIC: "kiln.reshape"(%{{.*}}) : (tensor<?x16x5x5xf32>) -> tensor<?x400xf32>
func.func @reshape(%x: tensor<?x16x5x5xf32>) -> (tensor<?x400xf32>, tensor<?x16x25xf32>) {
  %f = kiln.reshape %x : tensor<?x16x5x5xf32> -> tensor<?x400xf32>
  %r = kiln.reshape %f : tensor<?x400xf32> -> tensor<?x16x25xf32>
  return %f, %r : tensor<?x400xf32>, tensor<?x16x25xf32>
}

// conv2d with every attribute away from its plain value (stride 2, dilation
// 2, padding on top and bottom only), its two gradients with the same
// attributes, and bias_add on the NCHW result (bias on dimension 1).
// Attributes print sorted by name.
// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[X:.*]]: tensor<?x3x9x9xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[B:.*]]: tensor<4xf32>, %[[DY:.*]]: tensor<?x4x4x3xf32>)
// CHECK-NEXT: %[[Y:.*]] = kiln.conv2d %[[X]], %[[W]] {dilation = 2 : i64, padding = array<i64: 1, 0, 1, 0>, stride = 2 : i64} : tensor<?x3x9x9xf32>, tensor<4x3x3x3xf32> -> tensor<?x4x4x3xf32>
// CHECK-NEXT: %[[Z:.*]] = kiln.bias_add %[[Y]], %[[B]] : tensor<?x4x4x3xf32>, tensor<4xf32> -> tensor<?x4x4x3xf32>
// CHECK-NEXT: %[[DX:.*]] = kiln.conv2d_grad_input %[[DY]], %[[W]] {dilation = 2 : i64, padding = array<i64: 1, 0, 1, 0>, stride = 2 : i64} : tensor<?x4x4x3xf32>, tensor<4x3x3x3xf32> -> tensor<?x3x9x9xf32>
// CHECK-NEXT: %[[DW:.*]] = kiln.conv2d_grad_filter %[[DY]], %[[X]] {dilation = 2 : i64, padding = array<i64: 1, 0, 1, 0>, stride = 2 : i64} : tensor<?x4x4x3xf32>, tensor<?x3x9x9xf32> -> tensor<4x3x3x3xf32>
// CHECK-NEXT: return %[[Z]], %[[DX]], %[[DW]] :
// GENERIC-LABEL: sym_name = "conv"
// GENERIC: "kiln.conv2d"(%{{.*}}, %{{.*}}) <{dilation = 2 : i64, padding = array<i64: 1, 0, 1, 0>, stride = 2 : i64}> : (tensor<?x3x9x9xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x4x3xf32>
// GENERIC: "kiln.bias_add"(%{{.*}}, %{{.*}}) <{axis = 1 : i64}> : (tensor<?x4x4x3xf32>, tensor<4xf32>) -> tensor<?x4x4x3xf32>
// GENERIC: "kiln.conv2d_grad_input"(%{{.*}}, %{{.*}}) <{dilation = 2 : i64, padding = array<i64: 1, 0, 1, 0>, stride = 2 : i64}> : (tensor<?x4x4x3xf32>, tensor<4x3x3x3xf32>) -> tensor<?x3x9x9xf32>
// GENERIC: "kiln.conv2d_grad_filter"(%{{.*}}, %{{.*}}) <{dilation = 2 : i64, padding = array<i64: 1, 0, 1, 0>, stride = 2 : i64}> : (tensor<?x4x4x3xf32>, tensor<?x3x9x9xf32>) -> tensor<4x3x3x3xf32>
func.func @conv(%x: tensor<?x3x9x9xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>,
                %dy: tensor<?x4x4x3xf32>) -> (tensor<?x4x4x3xf32>, tensor<?x3x9x9xf32>, tensor<4x3x3x3xf32>) {
  %y = kiln.conv2d %x, %w {stride = 2 : i64, dilation = 2 : i64, padding = array<i64: 1, 0, 1, 0>}
      : tensor<?x3x9x9xf32>, tensor<4x3x3x3xf32> -> tensor<?x4x4x3xf32>
  %z = kiln.bias_add %y, %b : tensor<?x4x4x3xf32>, tensor<4xf32> -> tensor<?x4x4x3xf32>
  %dx = kiln.conv2d_grad_input %dy, %w {stride = 2 : i64, dilation = 2 : i64, padding = array<i64: 1, 0, 1, 0>}
      : tensor<?x4x4x3xf32>, tensor<4x3x3x3xf32> -> tensor<?x3x9x9xf32>
  %dw = kiln.conv2d_grad_filter %dy, %x {stride = 2 : i64, dilation = 2 : i64, padding = array<i64: 1, 0, 1, 0>}
      : tensor<?x4x4x3xf32>, tensor<?x3x9x9xf32> -> tensor<4x3x3x3xf32>
  return %z, %dx, %dw : tensor<?x4x4x3xf32>, tensor<?x3x9x9xf32>, tensor<4x3x3x3xf32>
}

// pool2d of each kind (max 2x2 stride 2; min 3x3 stride 1 padded 1; avg 3x3
// stride 2 padded 1), and pool2d_grad with the pooling's attributes.
// CHECK-LABEL: func.func @pool
// CHECK-SAME: (%[[X:.*]]: tensor<?x6x28x28xf32>, %[[DY:.*]]: tensor<?x6x14x14xf32>)
// CHECK-NEXT: %[[MAX:.*]] = kiln.pool2d %[[X]] {kernel = 2 : i64, kind = "max", padding = array<i64: 0, 0, 0, 0>, stride = 2 : i64} : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
// CHECK-NEXT: %[[MIN:.*]] = kiln.pool2d %[[X]] {kernel = 3 : i64, kind = "min", padding = array<i64: 1, 1, 1, 1>, stride = 1 : i64} : tensor<?x6x28x28xf32> -> tensor<?x6x28x28xf32>
// CHECK-NEXT: %[[AVG:.*]] = kiln.pool2d %[[X]] {kernel = 3 : i64, kind = "avg", padding = array<i64: 1, 1, 1, 1>, stride = 2 : i64} : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
// CHECK-NEXT: %[[DX:.*]] = kiln.pool2d_grad %[[DY]], %[[X]] {kernel = 2 : i64, kind = "max", padding = array<i64: 0, 0, 0, 0>, stride = 2 : i64} : tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32> -> tensor<?x6x28x28xf32>
// CHECK-NEXT: return %[[MAX]], %[[MIN]], %[[AVG]], %[[DX]] :
// GENERIC-LABEL: sym_name = "pool"
// GENERIC: "kiln.pool2d"(%{{.*}}) <{kernel = 2 : i64, kind = "max", padding = array<i64: 0, 0, 0, 0>, stride = 2 : i64}> : (tensor<?x6x28x28xf32>) -> tensor<?x6x14x14xf32>
// GENERIC: "kiln.pool2d"(%{{.*}}) <{kernel = 3 : i64, kind = "min", padding = array<i64: 1, 1, 1, 1>, stride = 1 : i64}>
// GENERIC: "kiln.pool2d"(%{{.*}}) <{kernel = 3 : i64, kind = "avg", padding = array<i64: 1, 1, 1, 1>, stride = 2 : i64}>
// GENERIC: "kiln.pool2d_grad"(%{{.*}}, %{{.*}}) <{kernel = 2 : i64, kind = "max", padding = array<i64: 0, 0, 0, 0>, stride = 2 : i64}> : (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>) -> tensor<?x6x28x28xf32>
func.func @pool(%x: tensor<?x6x28x28xf32>, %dy: tensor<?x6x14x14xf32>)
    -> (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>, tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>) {
  %max = kiln.pool2d %x {kind = "max", kernel = 2 : i64, stride = 2 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  %min = kiln.pool2d %x {kind = "min", kernel = 3 : i64, stride = 1 : i64, padding = array<i64: 1, 1, 1, 1>}
      : tensor<?x6x28x28xf32> -> tensor<?x6x28x28xf32>
  %avg = kiln.pool2d %x {kind = "avg", kernel = 3 : i64, stride = 2 : i64, padding = array<i64: 1, 1, 1, 1>}
      : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  %dx = kiln.pool2d_grad %dy, %x {kind = "max", kernel = 2 : i64, stride = 2 : i64, padding = array<i64: 0, 0, 0, 0>}
      : tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32> -> tensor<?x6x28x28xf32>
  return %max, %min, %avg, %dx : tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>, tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>
}

// dropout reads its rate and the step as f32 scalars and keeps its seed;
// phase chooses between the dropped (training) and plain (inference) value.
// CHECK-LABEL: func.func @dropout
// CHECK-SAME: (%[[H:.*]]: tensor<?x256xf32>)
// CHECK-NEXT: %[[RATE:.*]] = kiln.hyperparam "dropout0.rate" default 5.000000e-01 in [0.000000e+00, 1.000000e+00) : f32
// CHECK-NEXT: %[[T:.*]] = kiln.step : f32
// CHECK-NEXT: %[[D:.*]] = kiln.dropout %[[H]], %[[RATE]], %[[T]] {seed = 3 : i64} : tensor<?x256xf32>
// CHECK-NEXT: %[[P:.*]] = kiln.phase %[[D]], %[[H]] : tensor<?x256xf32>
// CHECK-NEXT: return %[[P]] : tensor<?x256xf32>
// GENERIC-LABEL: sym_name = "dropout"
// GENERIC: "kiln.dropout"(%{{.*}}, %{{.*}}, %{{.*}}) <{seed = 3 : i64}> : (tensor<?x256xf32>, f32, f32) -> tensor<?x256xf32>
// GENERIC: "kiln.phase"(%{{.*}}, %{{.*}}) : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
func.func @dropout(%h: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %rate = kiln.hyperparam "dropout0.rate" default 0.5 in [0.0, 1.0) : f32
  %t = kiln.step : f32
  %d = kiln.dropout %h, %rate, %t {seed = 3 : i64} : tensor<?x256xf32>
  %p = kiln.phase %d, %h : tensor<?x256xf32>
  return %p : tensor<?x256xf32>
}
