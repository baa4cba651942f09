// kiln-partition-kernels on the ops of concatenation and embedding:
// kiln.gather, kiln.scatter_add, kiln.concat and kiln.slice each open a
// kernel of their own (they read their operands at other indices than the
// one they write, so they cannot be an epilogue of the kernel that produces
// those operands), and an elementwise op reading their result joins their
// kernel. An update of the table joins the scatter_add that computes its
// gradient (scatter_add does not read the table).
// RUN: kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-partition-kernels))' -split-input-file | FileCheck %s

// A forward with each op: the relu before the concat keeps its own kernel
// (the concat does not join it, though it reads its result); gather,
// scatter_add, concat and slice open kernels 1 to 4 in program order, and
// the elementwise op after each joins it. Only each kernel's last value
// leaves it.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[IDS:.*]]: tensor<?x5xi32>, %[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<?x5x4xf32>)
// CHECK-NEXT: %[[T:.*]] = kiln.param "embedding0.weight"
// CHECK-NEXT: %[[K0:.*]] = kiln.kernel "forward_k0" -> tensor<?x3xf32> {
// CHECK-NEXT: %[[R:.*]] = kiln.relu %[[A]] : tensor<?x3xf32>
// CHECK-NEXT: kiln.yield %[[R]] : tensor<?x3xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[K1:.*]] = kiln.kernel "forward_k1" -> tensor<?x5x4xf32> {
// CHECK-NEXT: %[[E:.*]] = kiln.gather %[[T]], %[[IDS]] : tensor<20x4xf32>, tensor<?x5xi32> -> tensor<?x5x4xf32>
// CHECK-NEXT: %[[S:.*]] = kiln.elementwise(%[[E]], %[[B]])
// CHECK: kiln.yield %[[S]] : tensor<?x5x4xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[K2:.*]] = kiln.kernel "forward_k2" -> tensor<20x4xf32> {
// CHECK-NEXT: %[[G:.*]] = kiln.scatter_add %[[K1]], %[[IDS]] : tensor<?x5x4xf32>, tensor<?x5xi32> -> tensor<20x4xf32>
// CHECK-NEXT: %[[H:.*]] = kiln.elementwise(%[[G]])
// CHECK: kiln.yield %[[H]] : tensor<20x4xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[K3:.*]] = kiln.kernel "forward_k3" -> tensor<?x6xf32> {
// CHECK-NEXT: %[[C:.*]] = kiln.concat %[[K0]], %[[A]] {axis = 1 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x6xf32>
// CHECK-NEXT: %[[N:.*]] = kiln.relu %[[C]] : tensor<?x6xf32>
// CHECK-NEXT: kiln.yield %[[N]] : tensor<?x6xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[K4:.*]] = kiln.kernel "forward_k4" -> tensor<?x2xf32> {
// CHECK-NEXT: %[[SL:.*]] = kiln.slice %[[K3]] {axis = 1 : i64, offset = 4 : i64} : tensor<?x6xf32> -> tensor<?x2xf32>
// CHECK-NEXT: %[[M:.*]] = kiln.relu %[[SL]] : tensor<?x2xf32>
// CHECK-NEXT: kiln.yield %[[M]] : tensor<?x2xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[K1]], %[[K2]], %[[K4]] :
func.func @forward(%ids: tensor<?x5xi32>, %a: tensor<?x3xf32>, %b: tensor<?x5x4xf32>) -> (tensor<?x5x4xf32>, tensor<20x4xf32>, tensor<?x2xf32>) {
  %t = kiln.param "embedding0.weight" init "normal(0, 1)" : tensor<20x4xf32>
  %r = kiln.relu %a : tensor<?x3xf32>
  %e = kiln.gather %t, %ids : tensor<20x4xf32>, tensor<?x5xi32> -> tensor<?x5x4xf32>
  %s = kiln.elementwise (%e, %b) : (tensor<?x5x4xf32>, tensor<?x5x4xf32>) -> tensor<?x5x4xf32> {
  ^bb0(%u: f32, %v: f32):
    %0 = arith.addf %u, %v : f32
    kiln.yield %0 : f32
  }
  %g = kiln.scatter_add %s, %ids : tensor<?x5x4xf32>, tensor<?x5xi32> -> tensor<20x4xf32>
  %h = kiln.elementwise (%g) : (tensor<20x4xf32>) -> tensor<20x4xf32> {
  ^bb0(%u: f32):
    %0 = arith.mulf %u, %u : f32
    kiln.yield %0 : f32
  }
  %c = kiln.concat %r, %a {axis = 1 : i64} : tensor<?x3xf32>, tensor<?x3xf32> -> tensor<?x6xf32>
  %n = kiln.relu %c : tensor<?x6xf32>
  %sl = kiln.slice %n {axis = 1 : i64, offset = 4 : i64} : tensor<?x6xf32> -> tensor<?x2xf32>
  %m = kiln.relu %sl : tensor<?x2xf32>
  return %s, %h, %m : tensor<?x5x4xf32>, tensor<20x4xf32>, tensor<?x2xf32>
}

// -----

// The backward of a lookup whose rows were concatenated twice: each slice of
// the incoming gradient opens a kernel; their sum reads both, the second
// from a later kernel than its main operand's, so it opens one too;
// scatter_add opens the last, and the table's SGD update joins it, so the
// table's gradient never leaves the kernel (which yields nothing).
// CHECK-LABEL: func.func @backward
// CHECK-SAME: (%[[IDS:.*]]: tensor<?x5xi32>, %[[DJ:.*]]: tensor<?x5x11xf32>)
// CHECK-NEXT: %[[LR:.*]] = kiln.hyperparam "lr"
// CHECK-NEXT: %[[T:.*]] = kiln.param "embedding0.weight"
// CHECK-NEXT: %[[K0:.*]] = kiln.kernel "backward_k0" -> tensor<?x5x4xf32> {
// CHECK-NEXT: %[[D0:.*]] = kiln.slice %[[DJ]] {axis = 2 : i64, offset = 0 : i64}
// CHECK-NEXT: kiln.yield %[[D0]] : tensor<?x5x4xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[K2:.*]] = kiln.kernel "backward_k1" -> tensor<?x5x4xf32> {
// CHECK-NEXT: %[[D2:.*]] = kiln.slice %[[DJ]] {axis = 2 : i64, offset = 7 : i64}
// CHECK-NEXT: %[[DE:.*]] = kiln.add %[[K0]], %[[D2]] : tensor<?x5x4xf32>
// CHECK-NEXT: kiln.yield %[[DE]] : tensor<?x5x4xf32>
// CHECK-NEXT: }
// CHECK-NEXT: kiln.kernel "backward_k2" {
// CHECK-NEXT: %[[DT:.*]] = kiln.scatter_add %[[K2]], %[[IDS]] : tensor<?x5x4xf32>, tensor<?x5xi32> -> tensor<20x4xf32>
// CHECK-NEXT: kiln.update(%[[T]]) from(%[[DT]]) : (tensor<20x4xf32>), (tensor<20x4xf32>) {
// CHECK-NEXT: ^bb0(%[[TI:.*]]: f32, %[[GI:.*]]: f32):
// CHECK-NEXT: %[[STEP:.*]] = arith.mulf %[[LR]], %[[GI]] : f32
// CHECK-NEXT: %[[NEW:.*]] = arith.subf %[[TI]], %[[STEP]] : f32
// CHECK-NEXT: kiln.yield %[[NEW]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: kiln.yield{{$}}
// CHECK-NEXT: }
// CHECK-NEXT: return{{$}}
func.func @backward(%ids: tensor<?x5xi32>, %dj: tensor<?x5x11xf32>) {
  %lr = kiln.hyperparam "lr" default 0.1 in (0.0, inf) : f32
  %t = kiln.param "embedding0.weight" init "normal(0, 1)" : tensor<20x4xf32>
  %d0 = kiln.slice %dj {axis = 2 : i64, offset = 0 : i64} : tensor<?x5x11xf32> -> tensor<?x5x4xf32>
  %d2 = kiln.slice %dj {axis = 2 : i64, offset = 7 : i64} : tensor<?x5x11xf32> -> tensor<?x5x4xf32>
  %de = kiln.add %d0, %d2 : tensor<?x5x4xf32>
  %dt = kiln.scatter_add %de, %ids : tensor<?x5x4xf32>, tensor<?x5xi32> -> tensor<20x4xf32>
  kiln.update (%t) from (%dt) : (tensor<20x4xf32>), (tensor<20x4xf32>) {
  ^bb0(%ti: f32, %gi: f32):
    %u0 = arith.mulf %lr, %gi : f32
    %u1 = arith.subf %ti, %u0 : f32
    kiln.yield %u1 : f32
  }
  return
}
