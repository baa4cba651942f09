//===- Importer.h - Model-file AST to the kiln dialect (internal) -*- C++ -*-===//
//
// The state of one import and the tables it is driven by. Every call in a
// model file is looked up by name in the call table: the layers and
// activations (Layers.cpp) and the losses (Losses.cpp). A rule lists the
// call's arguments, which bindArgs (Arguments.cpp) matches and checks, and
// names the builder that makes the kiln ops. Import.cpp walks the file,
// TrainingStatements.cpp reads its training statements and tune block; this
// header is private to compiler/Import.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IMPORT_IMPORTER_H
#define KILN_IMPORT_IMPORTER_H

#include "Frontend/AST.h"
#include "Frontend/Diagnostics.h"
#include "Import/Import.h"
#include "Kiln/IR/KilnOps.h"
#include "Training/Optimizers.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln::importer {

using mlir::FailureOr;
using mlir::LogicalResult;
using mlir::Value;

/// What an argument must be.
enum class ArgKind {
  Tensor,         // a name or a call giving a tensor
  PositiveInt,    // 1, 2, ...
  NonNegativeInt, // 0, 1, ...
  Number,         // any finite number
  Bool,           // true or false
  Init,           // an initializer: he_normal, uniform(-0.1, 0.1), ...
  Padding,        // valid, same, or a whole number
};

/// The largest integer argument of a call (units, kernel, stride, padding,
/// seed, a reshape size, ...): 10^9. Every such argument is a size, a count
/// or a seed; sizes are further held to the limits of SizeLimits.h.
inline constexpr int64_t kMaxIntegerArgument = 1000000000;

struct ArgSpec {
  llvm::StringRef name;
  ArgKind kind;
  bool required;
  /// Takes every positional argument from its position on (concat's
  /// tensors); the arguments after it are given by keyword only.
  bool variadic = false;
};

class Importer;

/// The arguments of one call, matched to a rule's ArgSpecs by position or
/// keyword. `exprs[i]` is null when argument i was not given; for a variadic
/// ArgSpec it is the first of its values, and `variadicExprs` (with
/// `variadicTensors`) holds them all.
struct BoundArgs {
  llvm::SmallVector<const ast::Expr *, 8> exprs;
  llvm::SmallVector<Value, 8> tensors;
  llvm::SmallVector<const ast::Expr *, 8> variadicExprs;
  llvm::SmallVector<Value, 8> variadicTensors;
  const ast::Expr *call = nullptr;
};

/// One callable name of the model language.
struct CallRule {
  llvm::StringRef name;
  llvm::ArrayRef<ArgSpec> args;
  FailureOr<Value> (Importer::*build)(BoundArgs &);
};

/// The layers and activations (Layers.cpp), then the losses (Losses.cpp).
llvm::ArrayRef<CallRule> layerRules();
llvm::ArrayRef<CallRule> lossRules();

/// A number as an init spec spells it: the shortest text that reads back as
/// the same float32.
std::string specNumber(double v);

struct Symbol {
  Value value;
  ast::SourceLoc loc;
  bool used = false;
  bool isInput = false;
};

/// What a loss call produced besides its value: the tensor @predict returns
/// and the task that decides the runtime's metrics (kiln::ModelInfo::task).
struct LossInfo {
  Value prediction;
  llvm::StringRef task;
};

/// One call of the model file as imported, for the model summary: the
/// layer's name ("dense0", or the call's name when the layer has none), its
/// value and the parameters it made.
struct ImportedCall {
  const ast::Expr *call;
  std::string layer;
  Value result;
  llvm::SmallVector<ParamOp, 4> params = {};
  bool isLoss = false;
};

class Importer {
public:
  Importer(const ast::Model &model, kiln::DiagnosticEngine &diags, mlir::MLIRContext &context)
      : model(model), diags(diags), builder(&context) {}

  mlir::OwningOpRef<mlir::ModuleOp> run();

  /// When set, every call imported is recorded here, inner calls first.
  std::vector<ImportedCall> *importedCalls = nullptr;
  ImportOptions options;

  // Layers (Layers.cpp).
  FailureOr<Value> buildDense(BoundArgs &args);
  FailureOr<Value> buildConv2D(BoundArgs &args);
  FailureOr<Value> buildPool2D(BoundArgs &args);
  FailureOr<Value> buildGlobalAvgPool2D(BoundArgs &args);
  FailureOr<Value> buildFlatten(BoundArgs &args);
  FailureOr<Value> buildReshape(BoundArgs &args);
  FailureOr<Value> buildDropout(BoundArgs &args);
  FailureOr<Value> buildBatchNorm(BoundArgs &args);
  FailureOr<Value> buildEmbedding(BoundArgs &args);
  FailureOr<Value> buildConcat(BoundArgs &args);
  FailureOr<Value> buildRecurrent(BoundArgs &args);
  FailureOr<Value> buildAdd(BoundArgs &args);
  FailureOr<Value> buildRelu(BoundArgs &args);
  FailureOr<Value> buildActivation(BoundArgs &args);
  FailureOr<Value> buildPRelu(BoundArgs &args);
  FailureOr<Value> buildLogSoftmax(BoundArgs &args);
  FailureOr<Value> buildSoftmax(BoundArgs &args);
  // Losses (Losses.cpp).
  FailureOr<Value> buildSparseCrossEntropy(BoundArgs &args);
  FailureOr<Value> buildCategoricalCrossEntropy(BoundArgs &args);
  FailureOr<Value> buildPointwiseLoss(BoundArgs &args);

private:
  mlir::Location loc(ast::SourceLoc l) {
    return mlir::FileLineColLoc::get(builder.getContext(), diags.file().path(), l.line, l.col);
  }
  LogicalResult error(ast::SourceLoc l, const std::string &message) {
    diags.error(l, message);
    return mlir::failure();
  }

  LogicalResult importInput(const ast::InputDecl &decl);
  FailureOr<Value> importExpr(const ast::Expr &expr);
  FailureOr<Value> importCall(const ast::Expr &call);
  /// Matches the arguments of `call` to `rule` (Arguments.cpp) and checks
  /// each against its ArgKind, importing the tensors.
  LogicalResult bindArgs(const ast::Expr &call, const CallRule &rule, BoundArgs &out);
  /// Checks one argument value against its spec; a tensor is imported into
  /// `tensor`. `hint` completes the message of a mismatch.
  LogicalResult checkArg(const CallRule &rule, const ArgSpec &spec, const ast::Expr &e,
                         Value &tensor, const std::string &hint);
  // Training statements and the tune block (TrainingStatements.cpp).
  /// Checks the optimizer, regularizer, clip and schedule statements and
  /// records them as module attributes; returns the kiln.optimizer one.
  FailureOr<mlir::DictionaryAttr> importTraining(mlir::ModuleOp module);
  /// Checks the tune block against the runtime values the model has and
  /// records it as the module attribute kiln.tune.
  LogicalResult importTune(mlir::ModuleOp module, mlir::func::FuncOp forward);
  /// One argument of a training function: its runtime name, its value, and
  /// whether the model file gave it (or it took its default).
  struct Setting {
    std::string name;
    double value;
    bool given;
    std::string unit = {}; // a schedule count's: "epochs", "run" (a fraction) or "" (updates)
  };
  using Settings = std::vector<Setting>;
  /// Checks a schedule setting written with a unit (`3 epochs`, `5%`).
  mlir::LogicalResult checkUnitSetting(const HyperparamRule &h, const ast::Expr &v);
  FailureOr<Settings> importSettings(const ast::Expr &call, llvm::StringRef what,
                                     llvm::ArrayRef<HyperparamRule> rules,
                                     llvm::ArrayRef<llvm::StringRef> runtimeNames,
                                     bool positional);

  // Helpers for the builders.
  Value newParam(llvm::StringRef name, llvm::ArrayRef<int64_t> shape, llvm::StringRef init,
                 ast::SourceLoc l, bool trainable = true);
  /// The next name of a layer kind: "dense0", "dense1", ...
  std::string layerName(llvm::StringRef kind) {
    namedLayer = (kind + llvm::Twine(layerCounts[kind]++)).str();
    return namedLayer;
  }
  /// The value of argument i, or `otherwise` when it was not given.
  int64_t intArg(const BoundArgs &args, size_t i, int64_t otherwise) const;
  double numberArg(const BoundArgs &args, size_t i, double otherwise) const;
  bool boolArg(const BoundArgs &args, size_t i, bool otherwise) const;
  std::string initArg(const BoundArgs &args, size_t i, llvm::StringRef otherwise) const;
  /// An f32 tensor of the given rank (0: any rank), or a diagnostic at the
  /// argument that says what `what` expects.
  FailureOr<mlir::RankedTensorType> expectF32(const BoundArgs &args, size_t i, int64_t rank,
                                              llvm::StringRef what, llvm::StringRef example);
  LogicalResult unknownName(const ast::Expr &expr);
  std::string describe(Value v) const;
  std::string typeText(mlir::Type t) const;
  /// Records a loss value with its prediction and task.
  Value addLoss(Value loss, Value prediction, llvm::StringRef task) {
    losses[loss] = LossInfo{prediction, task};
    return loss;
  }

  const ast::Model &model;
  kiln::DiagnosticEngine &diags;
  mlir::OpBuilder builder;
  llvm::StringMap<Symbol> symbols;
  /// The binding being imported, so that a name it reads can be told apart
  /// from one bound later (or by itself) for a precise message.
  const ast::Binding *currentBinding = nullptr;
  llvm::StringMap<unsigned> layerCounts;
  /// The name layerName last gave, for ImportedCall.
  std::string namedLayer;
  std::string batchName = "batch";
  /// The expression text a value came from, for diagnostics.
  llvm::DenseMap<Value, std::string> origins;
  llvm::DenseMap<Value, LossInfo> losses;
};

/// An argument as written, for messages: a number's spelling, a name, or
/// `f(...)` for a call.
std::string spellingOf(const ast::Expr &e);
/// An expression as it could be written again (`relu(conv2d(x, 4, 3))`), for
/// advice in messages; spellingOf's `f(...)` when that is long.
std::string expressionText(const ast::Expr &e);

/// The initializer spec of an Init argument (`he_normal`,
/// `uniform(-0.1, 0.1)`), as kiln.param and the runtime spell it, or a
/// message saying what is wrong.
FailureOr<std::string> initSpec(const ast::Expr &e, std::string &message);

} // namespace kiln::importer

#endif // KILN_IMPORT_IMPORTER_H
