//===- RecurrentSchedules.h - Schedule templates of recurrences -*- C++ -*-===//
//
// Private to compiler/Codegen: the CPU templates of recurrent layers
// (RecurrentSchedules.cpp), which scheduleKernel (Schedules.cpp) chooses: the
// Scan anchor's, applied to each scan of a recurrent kernel, and the weight
// gradients over a sequence that several outputs read.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_RECURRENTSCHEDULES_H
#define KILN_CODEGEN_RECURRENTSCHEDULES_H

#include "Codegen/Schedules.h"

namespace kiln {

/// A recurrence over time (a forward scan or backpropagation through time).
void scheduleScan(const KernelFuncs::Scan &scan, int vec, const ScheduleChoice &choice);

/// Whether `k`'s product is a weight gradient over a sequence (a matmul with
/// transpose_lhs whose sides are [N, T, ...]: the reduction runs over samples
/// and steps) that several outputs read: the gradient and its square for
/// global-norm clipping, or a fused update writing a parameter and its
/// optimizer state in place. The matmul template serves one output only.
bool usesSequenceWeightGradTemplate(const KernelFuncs &k);
/// That product, computed in full.
void scheduleSequenceWeightGrad(KernelFuncs &k, int vec, const ScheduleChoice &choice);

} // namespace kiln

#endif // KILN_CODEGEN_RECURRENTSCHEDULES_H
