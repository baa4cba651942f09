//===- ScheduleHelpers.h - Extents and lane counts for the templates -*- C++ -*-===//
//
// Private to compiler/Codegen: the small calculations the CPU schedule
// templates (Schedules.cpp, WindowSchedules.cpp) share.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_SCHEDULEHELPERS_H
#define KILN_CODEGEN_SCHEDULEHELPERS_H

#include <Halide.h>

#include <cstdint>
#include <initializer_list>

namespace kiln::schedule_helpers {

/// The largest of `candidates` that divides `extent` (candidates descend; 1 last).
inline int largestDivisor(int64_t extent, std::initializer_list<int> candidates) {
  for (int c : candidates)
    if (extent % c == 0)
      return c;
  return 1;
}

/// Lanes for a row of `extent` elements: the row in as few vectors of at
/// most `vec` lanes as will hold it, equal ones when they divide it (28 as
/// two of 14, 10 as one of 10); otherwise `vec`.
inline int rowVector(int64_t extent, int vec) {
  if (extent <= 0)
    return vec;
  int64_t pieces = (extent + vec - 1) / vec;
  return extent % pieces == 0 ? static_cast<int>(extent / pieces) : vec;
}

/// Lanes for the innermost dimension of an elementwise output: rowVector's
/// when even, else the largest of vec, 8, 4, 2 that divides `extent` (or
/// none). Halide 14 stores the tail of a guarded vector with masked stores
/// split into powers of two, and its LLVM code generation fails on a
/// one-lane piece ("Intrinsic has incorrect argument type"), as an odd
/// width gives.
inline int evenRowVector(int64_t extent, int vec) {
  if (extent <= 0)
    return vec;
  int lanes = rowVector(extent, vec);
  return lanes % 2 == 0 ? lanes : largestDivisor(extent, {vec, 8, 4, 2, 1});
}

/// Whether stage `s` of `f` (0: its definition) writes dimension `d` at its
/// own coordinate: every definition does; an update whose argument `d` is
/// f's Var itself (a scatter writes some at computed places).
inline bool writesInPlace(const Halide::Func &f, int s, size_t d) {
  if (s == 0)
    return true;
  const auto *v = f.update_args(s - 1)[d].as<Halide::Internal::Variable>();
  return v && v->name == f.args()[d].name();
}

/// The constant value of `e`, or `fallback`.
inline int64_t constantOr(const Halide::Expr &e, int64_t fallback) {
  const int64_t *value = Halide::Internal::as_const_int(e);
  return value ? *value : fallback;
}

} // namespace kiln::schedule_helpers

#endif // KILN_CODEGEN_SCHEDULEHELPERS_H
