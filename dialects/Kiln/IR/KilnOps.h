//===- KilnOps.h - Operations of the kiln dialect ---------------*- C++ -*-===//
#ifndef KILN_IR_KILNOPS_H
#define KILN_IR_KILNOPS_H

#include "Kiln/IR/KilnDialect.h"

#include "kiln/Vocabulary.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "Kiln/IR/KilnInterfaces.h.inc"

#define GET_OP_CLASSES
#include "Kiln/IR/KilnOps.h.inc"

namespace kiln {
/// Initialisation schemes a `kiln.param` may name (the shared vocabulary's
/// initializers): zeros, ones, he_normal, he_uniform, xavier_normal,
/// xavier_uniform, constant(v), uniform(low, high), normal(mean, std).
bool isKnownInit(llvm::StringRef init);
/// The number of gates G of a kiln.recurrent cell: rnn 1, lstm 4, gru 3; 0
/// for an unknown cell.
int64_t recurrentGates(llvm::StringRef cell);
/// The number S of values per hidden unit and step in a kiln.recurrent's
/// `saved` result: its G recurrent products, and lstm's cell state.
int64_t recurrentSavedValues(llvm::StringRef cell);
} // namespace kiln

#endif // KILN_IR_KILNOPS_H
