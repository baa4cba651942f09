//===- RecurrentCells.h - Recurrent cells as Halide scans -------*- C++ -*-===//
//
// A kiln.recurrent layer, and its backpropagation through time, each lowered
// to one Halide pipeline whose time loop runs inside: a Func over
// (unit, sample, step) with one update whose reduction domain walks the
// steps in order (backwards for the gradient). Each step first accumulates
// the recurrent matrix-vector product, then applies the cell. The cells are
// one table of rules (RecurrentCells.cpp); RecurrentSchedules.cpp schedules
// the scans.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_RECURRENTCELLS_H
#define KILN_CODEGEN_RECURRENTCELLS_H

#include "Codegen/Schedules.h"

#include <string>
#include <utility>

namespace kiln {

/// The operands of a recurrent layer as Funcs in Halide's innermost-first
/// argument order: input(m, t, n) and bias(m) over the G*H gate columns m,
/// weight(m, k) for hidden unit k.
struct RecurrentOperands {
  std::string cell; // rnn, lstm or gru
  Halide::Func input, weight, bias;
  Halide::Expr batch; // N
  int steps = 0;      // T
  int units = 0;      // H
  Halide::Type type;  // Float(32), or Float(64) for gradient checks
  std::string name;   // a unique prefix for the Funcs
};

/// Every step's hidden state, hs(j, t, n), and the values backpropagation
/// reads besides them, saved(m, t, n) (kiln.recurrent's two results).
/// Records its scan in `funcs`.
std::pair<Halide::Func, Halide::Func> lowerRecurrent(const RecurrentOperands &op,
                                                     KernelFuncs &funcs);

/// The gradients of the input and of the recurrent pre-activations,
/// d(m, t, n) each, given the gradient of every hidden state grad(j, t, n)
/// and the forward's two results. Records its scan in `funcs`.
std::pair<Halide::Func, Halide::Func> lowerRecurrentGrad(const RecurrentOperands &op,
                                                         Halide::Func grad, Halide::Func hidden,
                                                         Halide::Func saved, KernelFuncs &funcs);

} // namespace kiln

#endif // KILN_CODEGEN_RECURRENTCELLS_H
