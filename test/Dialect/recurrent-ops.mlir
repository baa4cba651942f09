// kiln.recurrent (every cell), kiln.recurrent_grad and a slice that leaves
// its input (the previous step of a sequence) print in a form that parses
// back to the same ops: parse, print, parse the printed text again, print,
// check. kiln.recurrent infers [N, T, H] from the weight's H, and its saved
// values [N, T, S*H]: S = 1 for rnn, 5 for lstm (4 gates and the cell state),
// 3 for gru.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// The generic form keeps the cell as a property and parses back too.
// RUN: kiln-opt %s -mlir-print-op-generic | kiln-opt | FileCheck %s
// RUN: kiln-opt %s -mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// CHECK-LABEL: func.func @cells
// CHECK-SAME: (%[[X1:.*]]: tensor<?x7x5xf32>, %[[U1:.*]]: tensor<5x5xf32>, %[[B1:.*]]: tensor<5xf32>, %[[X4:.*]]: tensor<?x7x20xf32>, %[[U4:.*]]: tensor<5x20xf32>, %[[B4:.*]]: tensor<20xf32>, %[[X3:.*]]: tensor<?x7x15xf32>, %[[U3:.*]]: tensor<5x15xf32>, %[[B3:.*]]: tensor<15xf32>)
// CHECK-NEXT: %[[R:.*]], %{{.*}} = kiln.recurrent "rnn" %[[X1]], %[[U1]], %[[B1]] : tensor<?x7x5xf32>, tensor<5x5xf32>, tensor<5xf32> -> tensor<?x7x5xf32>, tensor<?x7x5xf32>
// CHECK-NEXT: %[[L:.*]], %{{.*}} = kiln.recurrent "lstm" %[[X4]], %[[U4]], %[[B4]] : tensor<?x7x20xf32>, tensor<5x20xf32>, tensor<20xf32> -> tensor<?x7x5xf32>, tensor<?x7x25xf32>
// CHECK-NEXT: %[[G:.*]], %[[GS:.*]] = kiln.recurrent "gru" %[[X3]], %[[U3]], %[[B3]] : tensor<?x7x15xf32>, tensor<5x15xf32>, tensor<15xf32> -> tensor<?x7x5xf32>, tensor<?x7x15xf32>
// CHECK-NEXT: %[[DX:.*]], %[[DA:.*]] = kiln.recurrent_grad "gru" %[[G]], %[[X3]], %[[U3]], %[[B3]], %[[G]], %[[GS]] : tensor<?x7x5xf32>, tensor<?x7x15xf32>, tensor<5x15xf32>, tensor<15xf32>, tensor<?x7x5xf32>, tensor<?x7x15xf32> -> tensor<?x7x15xf32>, tensor<?x7x15xf32>
// CHECK-NEXT: %[[P:.*]] = kiln.slice %[[L]] {axis = 1 : i64, offset = -1 : i64} : tensor<?x7x5xf32> -> tensor<?x7x5xf32>
// CHECK-NEXT: return %[[R]], %[[P]], %[[DX]], %[[DA]] :
// GENERIC-LABEL: sym_name = "cells"
// GENERIC: "kiln.recurrent"(%{{.*}}, %{{.*}}, %{{.*}}) <{cell = "rnn"}> : (tensor<?x7x5xf32>, tensor<5x5xf32>, tensor<5xf32>) -> (tensor<?x7x5xf32>, tensor<?x7x5xf32>)
// GENERIC: "kiln.recurrent_grad"(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) <{cell = "gru"}> : (tensor<?x7x5xf32>, tensor<?x7x15xf32>, tensor<5x15xf32>, tensor<15xf32>, tensor<?x7x5xf32>, tensor<?x7x15xf32>) -> (tensor<?x7x15xf32>, tensor<?x7x15xf32>)
// GENERIC: "kiln.slice"(%{{.*}}) <{axis = 1 : i64, offset = -1 : i64}> : (tensor<?x7x5xf32>) -> tensor<?x7x5xf32>
func.func @cells(%x1: tensor<?x7x5xf32>, %u1: tensor<5x5xf32>, %b1: tensor<5xf32>,
                 %x4: tensor<?x7x20xf32>, %u4: tensor<5x20xf32>, %b4: tensor<20xf32>,
                 %x3: tensor<?x7x15xf32>, %u3: tensor<5x15xf32>, %b3: tensor<15xf32>)
    -> (tensor<?x7x5xf32>, tensor<?x7x5xf32>, tensor<?x7x15xf32>, tensor<?x7x15xf32>) {
  %r, %rs = kiln.recurrent "rnn" %x1, %u1, %b1 : tensor<?x7x5xf32>, tensor<5x5xf32>, tensor<5xf32> -> tensor<?x7x5xf32>, tensor<?x7x5xf32>
  %l, %ls = kiln.recurrent "lstm" %x4, %u4, %b4 : tensor<?x7x20xf32>, tensor<5x20xf32>, tensor<20xf32> -> tensor<?x7x5xf32>, tensor<?x7x25xf32>
  %g, %gs = kiln.recurrent "gru" %x3, %u3, %b3 : tensor<?x7x15xf32>, tensor<5x15xf32>, tensor<15xf32> -> tensor<?x7x5xf32>, tensor<?x7x15xf32>
  %dx, %da = kiln.recurrent_grad "gru" %g, %x3, %u3, %b3, %g, %gs : tensor<?x7x5xf32>, tensor<?x7x15xf32>, tensor<5x15xf32>, tensor<15xf32>, tensor<?x7x5xf32>, tensor<?x7x15xf32> -> tensor<?x7x15xf32>, tensor<?x7x15xf32>
  %p = kiln.slice %l {axis = 1 : i64, offset = -1 : i64} : tensor<?x7x5xf32> -> tensor<?x7x5xf32>
  return %r, %p, %dx, %da : tensor<?x7x5xf32>, tensor<?x7x5xf32>, tensor<?x7x15xf32>, tensor<?x7x15xf32>
}
