// The ops of concatenation and embedding (kiln.concat and its gradient
// kiln.slice, kiln.gather and its gradient kiln.scatter_add) print in a form
// that parses back to the same op: parse, print, parse the printed text
// again, print, check. concat and gather infer their result type; the
// written one must be the inferred one.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// The generic form (properties) parses back to the same ops too.
// RUN: kiln-opt %s -mlir-print-op-generic | kiln-opt | FileCheck %s
// The generic form itself keeps axis and offset as properties.
// RUN: kiln-opt %s -mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// concat of three inputs along the features (3 + 5 + 4 = 12), of two along
// axis 2 of rank-3 tensors, and of a single input (its own type); slice takes
// each range back (offsets 0, 3 and 8).
// CHECK-LABEL: func.func @concat_slice
// CHECK-SAME: (%[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<?x5xf32>, %[[C:.*]]: tensor<?x4xf32>, %[[P:.*]]: tensor<?x5x4xf32>, %[[Q:.*]]: tensor<?x5x3xf32>)
// CHECK-NEXT: %[[J:.*]] = kiln.concat %[[A]], %[[B]], %[[C]] {axis = 1 : i64} : tensor<?x3xf32>, tensor<?x5xf32>, tensor<?x4xf32> -> tensor<?x12xf32>
// CHECK-NEXT: %[[K:.*]] = kiln.concat %[[P]], %[[Q]] {axis = 2 : i64} : tensor<?x5x4xf32>, tensor<?x5x3xf32> -> tensor<?x5x7xf32>
// CHECK-NEXT: %[[ONE:.*]] = kiln.concat %[[A]] {axis = 1 : i64} : tensor<?x3xf32> -> tensor<?x3xf32>
// CHECK-NEXT: %[[SA:.*]] = kiln.slice %[[J]] {axis = 1 : i64, offset = 0 : i64} : tensor<?x12xf32> -> tensor<?x3xf32>
// CHECK-NEXT: %[[SB:.*]] = kiln.slice %[[J]] {axis = 1 : i64, offset = 3 : i64} : tensor<?x12xf32> -> tensor<?x5xf32>
// CHECK-NEXT: %[[SC:.*]] = kiln.slice %[[J]] {axis = 1 : i64, offset = 8 : i64} : tensor<?x12xf32> -> tensor<?x4xf32>
// CHECK-NEXT: %[[SQ:.*]] = kiln.slice %[[K]] {axis = 2 : i64, offset = 4 : i64} : tensor<?x5x7xf32> -> tensor<?x5x3xf32>
// CHECK-NEXT: return %[[ONE]], %[[SA]], %[[SB]], %[[SC]], %[[SQ]] :
// GENERIC-LABEL: sym_name = "concat_slice"
// GENERIC: "kiln.concat"(%{{.*}}, %{{.*}}, %{{.*}}) <{axis = 1 : i64}> : (tensor<?x3xf32>, tensor<?x5xf32>, tensor<?x4xf32>) -> tensor<?x12xf32>
// GENERIC: "kiln.concat"(%{{.*}}, %{{.*}}) <{axis = 2 : i64}> : (tensor<?x5x4xf32>, tensor<?x5x3xf32>) -> tensor<?x5x7xf32>
// GENERIC: "kiln.concat"(%{{.*}}) <{axis = 1 : i64}> : (tensor<?x3xf32>) -> tensor<?x3xf32>
// GENERIC: "kiln.slice"(%{{.*}}) <{axis = 1 : i64, offset = 0 : i64}> : (tensor<?x12xf32>) -> tensor<?x3xf32>
// GENERIC: "kiln.slice"(%{{.*}}) <{axis = 1 : i64, offset = 3 : i64}> : (tensor<?x12xf32>) -> tensor<?x5xf32>
// GENERIC: "kiln.slice"(%{{.*}}) <{axis = 1 : i64, offset = 8 : i64}> : (tensor<?x12xf32>) -> tensor<?x4xf32>
// GENERIC: "kiln.slice"(%{{.*}}) <{axis = 2 : i64, offset = 4 : i64}> : (tensor<?x5x7xf32>) -> tensor<?x5x3xf32>
func.func @concat_slice(%a: tensor<?x3xf32>, %b: tensor<?x5xf32>, %c: tensor<?x4xf32>,
                        %p: tensor<?x5x4xf32>, %q: tensor<?x5x3xf32>)
    -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x5xf32>, tensor<?x4xf32>, tensor<?x5x3xf32>) {
  %j = kiln.concat %a, %b, %c {axis = 1 : i64} : tensor<?x3xf32>, tensor<?x5xf32>, tensor<?x4xf32> -> tensor<?x12xf32>
  %k = kiln.concat %p, %q {axis = 2 : i64} : tensor<?x5x4xf32>, tensor<?x5x3xf32> -> tensor<?x5x7xf32>
  %one = kiln.concat %a {axis = 1 : i64} : tensor<?x3xf32> -> tensor<?x3xf32>
  %sa = kiln.slice %j {axis = 1 : i64, offset = 0 : i64} : tensor<?x12xf32> -> tensor<?x3xf32>
  %sb = kiln.slice %j {axis = 1 : i64, offset = 3 : i64} : tensor<?x12xf32> -> tensor<?x5xf32>
  %sc = kiln.slice %j {offset = 8 : i64, axis = 1 : i64} : tensor<?x12xf32> -> tensor<?x4xf32>
  %sq = kiln.slice %k {axis = 2 : i64, offset = 4 : i64} : tensor<?x5x7xf32> -> tensor<?x5x3xf32>
  return %one, %sa, %sb, %sc, %sq : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x5xf32>, tensor<?x4xf32>, tensor<?x5x3xf32>
}

// gather picks rows of a [65, 16] table: [N, 20] indices give [N, 20, 16],
// [N] indices give [N, 16]. scatter_add sums such rows back into the
// table's type.
// CHECK-LABEL: func.func @gather_scatter
// CHECK-SAME: (%[[IDS:.*]]: tensor<?x20xi32>, %[[LAB:.*]]: tensor<?xi32>, %[[G:.*]]: tensor<?x20x16xf32>)
// CHECK-NEXT: %[[T:.*]] = kiln.param "embedding0.weight" init "normal(0, 1)" : tensor<65x16xf32>
// CHECK-NEXT: %[[E:.*]] = kiln.gather %[[T]], %[[IDS]] : tensor<65x16xf32>, tensor<?x20xi32> -> tensor<?x20x16xf32>
// CHECK-NEXT: %[[R:.*]] = kiln.gather %[[T]], %[[LAB]] : tensor<65x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
// CHECK-NEXT: %[[DT:.*]] = kiln.scatter_add %[[G]], %[[IDS]] : tensor<?x20x16xf32>, tensor<?x20xi32> -> tensor<65x16xf32>
// CHECK-NEXT: %[[DR:.*]] = kiln.scatter_add %[[R]], %[[LAB]] : tensor<?x16xf32>, tensor<?xi32> -> tensor<65x16xf32>
// CHECK-NEXT: return %[[E]], %[[R]], %[[DT]], %[[DR]] :
// GENERIC-LABEL: sym_name = "gather_scatter"
// GENERIC: "kiln.gather"(%{{.*}}, %{{.*}}) : (tensor<65x16xf32>, tensor<?x20xi32>) -> tensor<?x20x16xf32>
// GENERIC: "kiln.gather"(%{{.*}}, %{{.*}}) : (tensor<65x16xf32>, tensor<?xi32>) -> tensor<?x16xf32>
// GENERIC: "kiln.scatter_add"(%{{.*}}, %{{.*}}) : (tensor<?x20x16xf32>, tensor<?x20xi32>) -> tensor<65x16xf32>
// GENERIC: "kiln.scatter_add"(%{{.*}}, %{{.*}}) : (tensor<?x16xf32>, tensor<?xi32>) -> tensor<65x16xf32>
func.func @gather_scatter(%ids: tensor<?x20xi32>, %lab: tensor<?xi32>, %g: tensor<?x20x16xf32>)
    -> (tensor<?x20x16xf32>, tensor<?x16xf32>, tensor<65x16xf32>, tensor<65x16xf32>) {
  %t = kiln.param "embedding0.weight" init "normal(0, 1)" : tensor<65x16xf32>
  %e = kiln.gather %t, %ids : tensor<65x16xf32>, tensor<?x20xi32> -> tensor<?x20x16xf32>
  %r = kiln.gather %t, %lab : tensor<65x16xf32>, tensor<?xi32> -> tensor<?x16xf32>
  %dt = kiln.scatter_add %g, %ids : tensor<?x20x16xf32>, tensor<?x20xi32> -> tensor<65x16xf32>
  %dr = kiln.scatter_add %r, %lab : tensor<?x16xf32>, tensor<?xi32> -> tensor<65x16xf32>
  return %e, %r, %dt, %dr : tensor<?x20x16xf32>, tensor<?x16xf32>, tensor<65x16xf32>, tensor<65x16xf32>
}
