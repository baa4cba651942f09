//===- AST.h - Kiln model-file syntax tree ----------------------*- C++ -*-===//
//
// The abstract syntax tree of a model file. It records what was written and
// where; it knows nothing of MLIR. Meaning (shapes, op semantics) is assigned
// later by Import.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_AST_H
#define KILN_FRONTEND_AST_H

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace kiln::ast {

/// A 1-based line and column in the model file. line == 0 means "unknown".
struct SourceLoc {
  uint32_t line = 0;
  uint32_t col = 0;
};

struct Expr;

/// One argument of a call: positional (`keyword` empty) or `keyword = value`.
struct Arg {
  std::string keyword;
  SourceLoc loc; // of the keyword, or of the value when positional
  std::unique_ptr<Expr> value;
};

/// An expression: a name (`h1`, `he_normal`), a number (`256`, `0.1`, `-1e-3`),
/// a string literal (`"text"`), or a call (`dense(x, 256, bias = false)`).
struct Expr {
  enum class Kind { Name, Number, String, Call };
  Kind kind = Kind::Name;
  SourceLoc loc;
  std::string name;     // Name: the identifier; Call: the callee; String: the contents
  double number = 0;    // Number: its value
  bool isInteger = false; // Number: written without '.', 'e' or 'E'
  std::string spelling;   // Number: the text as written, its unit included
  /// Number: the unit written after it in a schedule argument, as the runtime
  /// names it: "epochs" (`3 epochs`), "run" (`5%`, a fraction of the run's
  /// updates; `number` is then 0.05), or empty for updates.
  std::string unit;
  std::vector<Arg> args; // Call: arguments in order
};

enum class ElementType { F32, I32 };

/// One dimension of a declared tensor type: a size (`784`) or a symbol (`batch`).
struct Dim {
  std::string symbol; // empty for a fixed size
  int64_t size = -1;  // -1 for a symbol
  SourceLoc loc;
};

struct TensorType {
  ElementType element = ElementType::F32;
  std::vector<Dim> dims;
  SourceLoc loc;
};

/// `input x : f32[batch, 784]` or `label y : i32[batch]`.
struct InputDecl {
  std::string name;
  bool isLabel = false;
  TensorType type;
  SourceLoc loc; // of the name
};

/// `name = expr`.
struct Binding {
  std::string name;
  SourceLoc loc; // of the name
  std::unique_ptr<Expr> value;
};

/// A statement `KEYWORD call` that says how the model is trained rather than
/// what it computes: `optimizer sgd(lr = 0.1)`, `regularizer l2(1e-4)`,
/// `clip global_norm(max_norm = 1.0)`, `schedule cosine(period = 1000)`.
/// `call` is always an Expr of Kind::Call; which callees and arguments are
/// valid is decided by Import.
struct DirectiveDecl {
  SourceLoc loc; // of the keyword
  std::unique_ptr<Expr> call;
};

/// One entry of a `tune` block: `lr = log_uniform(1e-4, 0.1)`. `name` is a
/// hyperparameter, possibly dotted (`dropout0.rate`); `range` is a call to
/// uniform, log_uniform, int or choice, checked by Import.
struct TuneEntry {
  std::string name;
  SourceLoc loc; // of the name
  std::unique_ptr<Expr> range;
};

/// A whole model file, statements kept in source order per kind.
struct Model {
  std::string name;
  SourceLoc loc; // of the model name
  std::vector<InputDecl> inputs;
  std::vector<Binding> bindings;
  std::optional<DirectiveDecl> optimizer;  // at most one
  std::vector<DirectiveDecl> regularizers; // any number, in source order
  std::optional<DirectiveDecl> clip;       // at most one
  std::optional<DirectiveDecl> schedule;   // at most one
  /// `tune { name = range ... }`: the hyperparameter search space; at most
  /// one block. tuneLoc is the keyword's location (line 0 without a block).
  std::vector<TuneEntry> tune;
  SourceLoc tuneLoc;
};

/// Prints the tree in the indented form shown by `kilnc --emit=ast`.
void printModel(const Model &model, std::ostream &os);

} // namespace kiln::ast

#endif // KILN_FRONTEND_AST_H
