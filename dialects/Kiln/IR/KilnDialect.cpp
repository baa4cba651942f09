//===- KilnDialect.cpp - The kiln dialect ---------------------------------===//
#include "Kiln/IR/KilnDialect.h"
#include "Kiln/IR/KilnOps.h"

using namespace mlir;
using namespace kiln;

#include "Kiln/IR/KilnDialect.cpp.inc"

void KilnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "Kiln/IR/KilnOps.cpp.inc"
      >();
}
