//===- WorkspacePlan.h - Where a function's buffers lie in its workspace -*- C++ -*-===//
//
// A generated function takes the buffers between its kernels (and the
// results it keeps) from one workspace: a region of fixed size, then one
// that grows with the batch. Buffers whose lifetimes (the kernel calls from
// the first that touches one to the last) do not overlap share memory.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_WORKSPACEPLAN_H
#define KILN_CODEGEN_WORKSPACEPLAN_H

#include "Codegen/LoweredModel.h"

#include <cstdint>
#include <map>

namespace kiln {

struct WorkspacePlan {
  /// Where one slot lies: `offset` floats into the fixed region, or, when
  /// `perSample`, `offset` floats per sample into the batch's region (which
  /// starts after the fixed one).
  struct Place {
    bool perSample = false;
    int64_t offset = 0;
  };
  std::map<int, Place> places; // by slot number
  int64_t fixed = 0;           // floats
  int64_t perSample = 0;       // floats per sample
};

/// Places every workspace slot of `plan`: temporaries, parameter gradients
/// and results but `callerResult` (written to the caller's buffer). Slots
/// of gradient buckets come first, in bucket order, one flat buffer each,
/// and never share memory (the sums read them between kernels). With
/// `reuse`, the others share memory where their lifetimes allow (results
/// and parameter gradients live to the end); without, each has its own.
WorkspacePlan planWorkspace(const FunctionPlan &plan, int callerResult, bool reuse);

} // namespace kiln

#endif // KILN_CODEGEN_WORKSPACEPLAN_H
