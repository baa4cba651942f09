//===- ASTPrinter.cpp - The `kilnc --emit=ast` form of a model ------------===//
//
//   Model mnist_mlp @1:7
//     Input x : f32[batch, 784] @3:8
//     Binding h1 @6:1
//       Call relu @6:10
//         Call dense @6:15
//           Name x @6:21
//           Number 256 @6:24
//     Optimizer @11:1
//       Call sgd @11:11
//         Arg lr @11:15
//           Number 0.1 @11:20
//     Regularizer @12:1
//       Call l2 @12:13
//         Number 1e-4 @12:16
//
// Inputs and labels come first, then bindings, then the optimizer, the
// regularizers, the clip and the schedule, each kind in source order.
// Positional arguments print as their expression; keyword arguments as
// `Arg <keyword>` with the value one level further in. Numbers print as
// written; strings with their quotes and escapes.
//
//===----------------------------------------------------------------------===//

#include "AST.h"

#include <sstream>

namespace kiln::ast {

namespace {

void printLoc(SourceLoc loc, std::ostream &os) {
  os << " @" << loc.line << ':' << loc.col << '\n';
}

void printIndent(unsigned indent, std::ostream &os) {
  for (unsigned i = 0; i < indent; ++i)
    os << ' ';
}

void printString(const std::string &text, std::ostream &os) {
  os << '"';
  for (char c : text) {
    if (c == '"' || c == '\\')
      os << '\\';
    os << c;
  }
  os << '"';
}

void printNumber(const Expr &expr, std::ostream &os) {
  if (!expr.spelling.empty()) {
    os << expr.spelling;
    return;
  }
  // A tree built by hand rather than parsed has no spelling.
  std::ostringstream text;
  text.precision(17);
  text << expr.number;
  os << text.str();
}

void printExpr(const Expr *expr, unsigned indent, std::ostream &os) {
  printIndent(indent, os);
  if (!expr) {
    os << "<null>\n";
    return;
  }
  switch (expr->kind) {
  case Expr::Kind::Name:
    os << "Name " << expr->name;
    break;
  case Expr::Kind::Number:
    os << "Number ";
    printNumber(*expr, os);
    break;
  case Expr::Kind::String:
    os << "String ";
    printString(expr->name, os);
    break;
  case Expr::Kind::Call:
    os << "Call " << expr->name;
    break;
  }
  printLoc(expr->loc, os);
  if (expr->kind != Expr::Kind::Call)
    return;
  for (const Arg &arg : expr->args) {
    if (arg.keyword.empty()) {
      printExpr(arg.value.get(), indent + 2, os);
      continue;
    }
    printIndent(indent + 2, os);
    os << "Arg " << arg.keyword;
    printLoc(arg.loc, os);
    printExpr(arg.value.get(), indent + 4, os);
  }
}

/// `Optimizer @11:1` and the call below it; likewise Regularizer, Clip, Schedule.
void printDirective(const char *label, const DirectiveDecl &decl, std::ostream &os) {
  os << "  " << label;
  printLoc(decl.loc, os);
  printExpr(decl.call.get(), 4, os);
}

void printType(const TensorType &type, std::ostream &os) {
  os << (type.element == ElementType::F32 ? "f32" : "i32") << '[';
  for (size_t i = 0; i < type.dims.size(); ++i) {
    if (i != 0)
      os << ", ";
    const Dim &dim = type.dims[i];
    if (dim.symbol.empty())
      os << dim.size;
    else
      os << dim.symbol;
  }
  os << ']';
}

} // namespace

void printModel(const Model &model, std::ostream &os) {
  os << "Model " << model.name;
  printLoc(model.loc, os);
  for (const InputDecl &input : model.inputs) {
    os << (input.isLabel ? "  Label " : "  Input ") << input.name << " : ";
    printType(input.type, os);
    printLoc(input.loc, os);
  }
  for (const Binding &binding : model.bindings) {
    os << "  Binding " << binding.name;
    printLoc(binding.loc, os);
    printExpr(binding.value.get(), 4, os);
  }
  if (model.optimizer)
    printDirective("Optimizer", *model.optimizer, os);
  for (const DirectiveDecl &regularizer : model.regularizers)
    printDirective("Regularizer", regularizer, os);
  if (model.clip)
    printDirective("Clip", *model.clip, os);
  if (model.schedule)
    printDirective("Schedule", *model.schedule, os);
  if (model.tuneLoc.line != 0) {
    os << "  Tune";
    printLoc(model.tuneLoc, os);
    for (const TuneEntry &entry : model.tune) {
      os << "    Entry " << entry.name;
      printLoc(entry.loc, os);
      printExpr(entry.range.get(), 6, os);
    }
  }
}

} // namespace kiln::ast
