//===- Import.cpp - Model-file AST to the kiln dialect --------------------===//
//
// Walks the AST once, resolving names and building kiln ops with the shapes
// they produce. Every call in a model file is looked up in one table of layer
// rules (name, argument list, builder); the optimizer in the table of
// Training/Optimizers.h. Errors are reported at the offending text and name
// the shapes involved.
//
//===----------------------------------------------------------------------===//
#include "Import/Import.h"

#include "Kiln/IR/KilnOps.h"
#include "Training/Optimizers.h"

#include "mlir/IR/Builders.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>
#include <sstream>

using namespace mlir;
using namespace kiln;

namespace {

enum class ArgKind { Tensor, PositiveInt, Bool, Init };

struct ArgSpec {
  llvm::StringRef name;
  ArgKind kind;
  bool required;
};

class Importer;

/// The arguments of one call, matched to a rule's ArgSpecs by position or
/// keyword. `exprs[i]` is null when argument i was not given.
struct BoundArgs {
  llvm::SmallVector<const ast::Expr *, 4> exprs;
  llvm::SmallVector<Value, 4> tensors;
  const ast::Expr *call = nullptr;
};

struct LayerRule {
  llvm::StringRef name;
  llvm::ArrayRef<ArgSpec> args;
  FailureOr<Value> (Importer::*build)(BoundArgs &);
};

struct Symbol {
  Value value;
  ast::SourceLoc loc;
  bool used = false;
  bool isInput = false;
};

class Importer {
public:
  Importer(const ast::Model &model, kiln::DiagnosticEngine &diags, MLIRContext &context)
      : model(model), diags(diags), builder(&context) {}

  OwningOpRef<ModuleOp> run();

  // Layer builders (see kLayerRules).
  FailureOr<Value> buildDense(BoundArgs &args);
  FailureOr<Value> buildRelu(BoundArgs &args);
  FailureOr<Value> buildSoftmaxCrossEntropy(BoundArgs &args);

private:
  Location loc(ast::SourceLoc l) {
    return FileLineColLoc::get(builder.getContext(), diags.file().path(), l.line, l.col);
  }
  LogicalResult error(ast::SourceLoc l, const std::string &message) {
    diags.error(l, message);
    return failure();
  }

  LogicalResult importInput(const ast::InputDecl &decl);
  FailureOr<Value> importExpr(const ast::Expr &expr);
  FailureOr<Value> importCall(const ast::Expr &call);
  LogicalResult bindArgs(const ast::Expr &call, const LayerRule &rule, BoundArgs &out);
  FailureOr<DictionaryAttr> importOptimizer(const ast::DirectiveDecl &decl);
  Value newParam(llvm::StringRef name, ArrayRef<int64_t> shape, llvm::StringRef init,
                 ast::SourceLoc l);
  std::string describe(Value v) const;
  std::string typeText(Type t) const;

  const ast::Model &model;
  kiln::DiagnosticEngine &diags;
  OpBuilder builder;
  llvm::StringMap<Symbol> symbols;
  llvm::StringMap<unsigned> layerCounts;
  std::string batchName = "batch";
  /// The expression text a value came from, for diagnostics.
  llvm::DenseMap<Value, std::string> origins;
};

const ArgSpec kDenseArgs[] = {{"input", ArgKind::Tensor, true},
                              {"units", ArgKind::PositiveInt, true},
                              {"bias", ArgKind::Bool, false},
                              {"init", ArgKind::Init, false}};
const ArgSpec kUnaryArgs[] = {{"input", ArgKind::Tensor, true}};
const ArgSpec kLossArgs[] = {{"logits", ArgKind::Tensor, true},
                             {"labels", ArgKind::Tensor, true}};

const LayerRule kLayerRules[] = {
    {"dense", kDenseArgs, &Importer::buildDense},
    {"relu", kUnaryArgs, &Importer::buildRelu},
    {"softmax_cross_entropy", kLossArgs, &Importer::buildSoftmaxCrossEntropy},
};

const LayerRule *lookupLayer(llvm::StringRef name) {
  for (const LayerRule &rule : kLayerRules)
    if (rule.name == name)
      return &rule;
  return nullptr;
}

std::string Importer::typeText(Type t) const {
  auto tensor = dyn_cast<RankedTensorType>(t);
  if (!tensor)
    return "scalar";
  std::ostringstream os;
  os << (tensor.getElementType().isF32() ? "f32" : "i32");
  if (tensor.getRank() == 0)
    return os.str() + " scalar";
  os << "[";
  for (int64_t i = 0; i < tensor.getRank(); ++i) {
    if (i)
      os << ", ";
    if (tensor.isDynamicDim(i))
      os << batchName;
    else
      os << tensor.getDimSize(i);
  }
  os << "]";
  return os.str();
}

std::string Importer::describe(Value v) const {
  std::string origin = origins.lookup(v);
  return "'" + origin + "' of type " + typeText(v.getType());
}

Value Importer::newParam(llvm::StringRef name, ArrayRef<int64_t> shape, llvm::StringRef init,
                         ast::SourceLoc l) {
  auto type = RankedTensorType::get(shape, builder.getF32Type());
  return ParamOp::create(builder, loc(l), type, builder.getStringAttr(name),
                         builder.getStringAttr(init));
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

FailureOr<Value> Importer::buildDense(BoundArgs &args) {
  Value input = args.tensors[0];
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getRank() != 2 || !type.getElementType().isF32())
    return error(args.exprs[0]->loc, "dense expects an f32 input of rank 2 such as f32[" +
                                         batchName + ", 784], got " + describe(input));
  int64_t units = static_cast<int64_t>(args.exprs[1]->number);
  bool bias = !args.exprs[2] || args.exprs[2]->name == "true";
  std::string init = args.exprs[3] ? args.exprs[3]->name : "he_normal";
  std::string layer = "dense" + std::to_string(layerCounts["dense"]++);
  ast::SourceLoc l = args.call->loc;

  Value weight = newParam(layer + ".weight", {type.getDimSize(1), units}, init, l);
  Value result = MatmulOp::create(builder, loc(l), input, weight);
  if (bias)
    result = BiasAddOp::create(builder, loc(l), result,
                               newParam(layer + ".bias", {units}, "zeros", l));
  return result;
}

FailureOr<Value> Importer::buildRelu(BoundArgs &args) {
  Value input = args.tensors[0];
  if (!cast<RankedTensorType>(input.getType()).getElementType().isF32())
    return error(args.exprs[0]->loc, "relu expects an f32 input, got " + describe(input));
  return Value(ReluOp::create(builder, loc(args.call->loc), input));
}

FailureOr<Value> Importer::buildSoftmaxCrossEntropy(BoundArgs &args) {
  Value logits = args.tensors[0], labels = args.tensors[1];
  auto lt = cast<RankedTensorType>(logits.getType());
  auto yt = cast<RankedTensorType>(labels.getType());
  if (lt.getRank() != 2 || !lt.getElementType().isF32())
    return error(args.exprs[0]->loc,
                 "softmax_cross_entropy expects f32 logits of rank 2 such as f32[" + batchName +
                     ", 10], got " + describe(logits));
  if (yt.getRank() != 1 || !yt.getElementType().isInteger(32))
    return error(args.exprs[1]->loc,
                 "softmax_cross_entropy expects integer class labels such as i32[" + batchName +
                     "], got " + describe(labels) + " for logits " + describe(logits));
  return Value(SoftmaxCrossEntropyOp::create(builder, loc(args.call->loc), logits, labels));
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

LogicalResult Importer::bindArgs(const ast::Expr &call, const LayerRule &rule,
                                 BoundArgs &out) {
  out.call = &call;
  out.exprs.assign(rule.args.size(), nullptr);
  out.tensors.assign(rule.args.size(), Value());
  size_t positional = 0;
  bool seenKeyword = false;
  for (const ast::Arg &arg : call.args) {
    size_t slot = rule.args.size();
    if (arg.keyword.empty()) {
      if (seenKeyword)
        return error(arg.loc, "positional argument after a keyword argument in call to '" +
                                  rule.name.str() + "'");
      if (positional >= rule.args.size())
        return error(arg.loc, "too many arguments to '" + rule.name.str() + "': it takes " +
                                  std::to_string(rule.args.size()));
      slot = positional++;
    } else {
      seenKeyword = true;
      for (size_t i = 0; i < rule.args.size(); ++i)
        if (rule.args[i].name == arg.keyword)
          slot = i;
      if (slot == rule.args.size()) {
        std::string known;
        for (const ArgSpec &spec : rule.args)
          known += (known.empty() ? "" : ", ") + spec.name.str();
        return error(arg.loc, "'" + rule.name.str() + "' has no argument named '" +
                                  arg.keyword + "' (it takes " + known + ")");
      }
    }
    if (out.exprs[slot])
      return error(arg.loc, "argument '" + rule.args[slot].name.str() + "' of '" +
                                rule.name.str() + "' given twice");
    out.exprs[slot] = arg.value.get();
  }

  for (size_t i = 0; i < rule.args.size(); ++i) {
    const ArgSpec &spec = rule.args[i];
    const ast::Expr *e = out.exprs[i];
    if (!e) {
      if (spec.required)
        return error(call.loc, "missing argument '" + spec.name.str() + "' in call to '" +
                                   rule.name.str() + "'");
      continue;
    }
    switch (spec.kind) {
    case ArgKind::Tensor: {
      FailureOr<Value> v = importExpr(*e);
      if (failed(v))
        return failure();
      out.tensors[i] = *v;
      break;
    }
    case ArgKind::PositiveInt:
      if (e->kind != ast::Expr::Kind::Number || !e->isInteger || e->number < 1 ||
          e->number > 1e9)
        return error(e->loc, "argument '" + spec.name.str() + "' of '" + rule.name.str() +
                                 "' must be a positive integer, got '" +
                                 (e->kind == ast::Expr::Kind::Number ? e->spelling : e->name) +
                                 "'");
      break;
    case ArgKind::Bool:
      if (e->kind != ast::Expr::Kind::Name || (e->name != "true" && e->name != "false"))
        return error(e->loc, "argument '" + spec.name.str() + "' of '" + rule.name.str() +
                                 "' must be true or false");
      break;
    case ArgKind::Init:
      if (e->kind != ast::Expr::Kind::Name || !isKnownInit(e->name))
        return error(e->loc, "unknown initializer '" +
                                 (e->kind == ast::Expr::Kind::Number ? e->spelling : e->name) +
                                 "' (known: zeros, he_normal, he_uniform, xavier_normal, "
                                 "xavier_uniform)");
      break;
    }
  }
  return success();
}

FailureOr<Value> Importer::importCall(const ast::Expr &call) {
  const LayerRule *rule = lookupLayer(call.name);
  if (!rule) {
    std::string known;
    for (const LayerRule &r : kLayerRules)
      known += (known.empty() ? "" : ", ") + r.name.str();
    return error(call.loc, "unknown layer or function '" + call.name + "' (known: " + known +
                               ")");
  }
  BoundArgs args;
  if (failed(bindArgs(call, *rule, args)))
    return failure();
  FailureOr<Value> result = (this->*(rule->build))(args);
  if (succeeded(result))
    origins[*result] = call.name + "(...)";
  return result;
}

FailureOr<Value> Importer::importExpr(const ast::Expr &expr) {
  switch (expr.kind) {
  case ast::Expr::Kind::Call:
    return importCall(expr);
  case ast::Expr::Kind::Name: {
    auto it = symbols.find(expr.name);
    if (it == symbols.end())
      return error(expr.loc, "unknown name '" + expr.name + "'");
    it->second.used = true;
    return it->second.value;
  }
  case ast::Expr::Kind::Number:
    return error(expr.loc, "expected a tensor, found the number " + expr.spelling);
  case ast::Expr::Kind::String:
    return error(expr.loc, "expected a tensor, found the string \"" + expr.name + "\"");
  }
  return failure();
}

LogicalResult Importer::importInput(const ast::InputDecl &decl) {
  if (auto it = symbols.find(decl.name); it != symbols.end()) {
    diags.error(decl.loc, "redefinition of '" + decl.name + "'");
    diags.note(it->second.loc, "'" + decl.name + "' was first defined here");
    return failure();
  }
  const ast::TensorType &t = decl.type;
  if (t.dims.empty() || t.dims[0].symbol.empty())
    return error(t.loc, "the first dimension of '" + decl.name +
                            "' must be the batch symbol, as in f32[batch, 784]");
  batchName = t.dims[0].symbol;
  SmallVector<int64_t> shape{ShapedType::kDynamic};
  for (const ast::Dim &d : llvm::ArrayRef(t.dims).drop_front()) {
    if (!d.symbol.empty())
      return error(d.loc, "only the first dimension may be symbolic; '" + d.symbol +
                              "' needs a fixed size");
    shape.push_back(d.size);
  }
  if (decl.isLabel && t.element != ast::ElementType::I32 && shape.size() == 1)
    return error(t.loc, "label '" + decl.name + "' holds class indices and must be i32");
  Type element = t.element == ast::ElementType::F32 ? Type(builder.getF32Type())
                                                    : Type(builder.getI32Type());
  auto type = RankedTensorType::get(shape, element);
  Value v = InputOp::create(builder, loc(decl.loc), type, builder.getStringAttr(decl.name));
  symbols[decl.name] = Symbol{v, decl.loc, false, true};
  origins[v] = decl.name;
  return success();
}

FailureOr<DictionaryAttr> Importer::importOptimizer(const ast::DirectiveDecl &decl) {
  const ast::Expr &call = *decl.call;
  const OptimizerRule *rule = lookupOptimizer(call.name);
  if (!rule) {
    std::string known;
    for (const OptimizerRule &r : allOptimizers())
      known += (known.empty() ? "" : ", ") + r.name.str();
    return error(call.loc, "unknown optimizer '" + call.name + "' (known: " + known + ")");
  }
  SmallVector<NamedAttribute> entries{builder.getNamedAttr("name",
                                                           builder.getStringAttr(call.name))};
  llvm::StringMap<bool> seen;
  for (const ast::Arg &arg : call.args) {
    if (arg.keyword.empty())
      return error(arg.loc, "optimizer settings are named, as in " + call.name + "(lr = 0.1)");
    const HyperparamRule *h = nullptr;
    for (const HyperparamRule &candidate : rule->hyperparams)
      if (candidate.name == arg.keyword)
        h = &candidate;
    if (!h)
      return error(arg.loc, "optimizer '" + call.name + "' has no setting '" + arg.keyword +
                                "'");
    if (seen[arg.keyword])
      return error(arg.loc, "setting '" + arg.keyword + "' given twice");
    seen[arg.keyword] = true;
    const ast::Expr &v = *arg.value;
    if (v.kind != ast::Expr::Kind::Number)
      return error(v.loc, "setting '" + arg.keyword + "' must be a number");
    bool belowMin = h->minExclusive ? v.number <= h->min : v.number < h->min;
    if (belowMin || v.number >= h->max || !std::isfinite(v.number)) {
      std::ostringstream range;
      range << (h->minExclusive ? "(" : "[") << h->min << ", "
            << (std::isinf(h->max) ? "inf" : std::to_string(h->max)) << ")";
      return error(v.loc, "'" + arg.keyword + "' = " + v.spelling + " is out of range " +
                              range.str());
    }
    entries.push_back(builder.getNamedAttr(arg.keyword, builder.getF64FloatAttr(v.number)));
  }
  return builder.getDictionaryAttr(entries);
}

/// True when some kiln.param feeds `op`, directly or through other ops.
static bool dependsOnParam(Operation *op) {
  SmallVector<Operation *> work{op};
  llvm::SmallPtrSet<Operation *, 32> seen;
  while (!work.empty()) {
    Operation *current = work.pop_back_val();
    if (!seen.insert(current).second)
      continue;
    if (isa<ParamOp>(current))
      return true;
    for (Value operand : current->getOperands())
      if (Operation *def = operand.getDefiningOp())
        work.push_back(def);
  }
  return false;
}

OwningOpRef<ModuleOp> Importer::run() {
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc(model.loc));
  (*module)->setAttr("kiln.model", builder.getStringAttr(model.name));
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, loc(model.loc), "forward",
                                   builder.getFunctionType({}, {}));
  builder.setInsertionPointToEnd(func.addEntryBlock());

  for (const ast::InputDecl &decl : model.inputs)
    if (failed(importInput(decl)))
      return nullptr;

  for (const ast::Binding &binding : model.bindings) {
    auto it = symbols.find(binding.name);
    if (it != symbols.end()) {
      diags.error(binding.loc, "redefinition of '" + binding.name + "'");
      diags.note(it->second.loc, "'" + binding.name + "' was first defined here");
      return nullptr;
    }
    FailureOr<Value> v = importExpr(*binding.value);
    if (failed(v))
      return nullptr;
    symbols[binding.name] = Symbol{*v, binding.loc};
    origins[*v] = binding.name;
  }

  auto lossIt = symbols.find("loss");
  if (lossIt == symbols.end()) {
    diags.error(model.loc, "model '" + model.name + "' has no 'loss' binding to train against");
    return nullptr;
  }
  auto lossOp = lossIt->second.value.getDefiningOp<SoftmaxCrossEntropyOp>();
  if (!lossOp) {
    diags.error(lossIt->second.loc, "'loss' must be a loss function such as "
                              "softmax_cross_entropy(logits, y), got " +
                                  describe(lossIt->second.value));
    return nullptr;
  }
  for (const ast::InputDecl &decl : model.inputs)
    if (!symbols[decl.name].used) {
      diags.error(decl.loc, std::string(decl.isLabel ? "label" : "input") + " '" + decl.name +
                          "' is never used");
      return nullptr;
    }
  if (!model.optimizer) {
    diags.error(model.loc, "model '" + model.name + "' has no optimizer declaration, such as "
                     "'optimizer sgd(lr = 0.1)'");
    return nullptr;
  }
  FailureOr<DictionaryAttr> optimizer = importOptimizer(*model.optimizer);
  if (failed(optimizer))
    return nullptr;
  (*module)->setAttr("kiln.optimizer", *optimizer);

  if (!dependsOnParam(lossOp)) {
    diags.error(lossIt->second.loc, "the loss does not depend on any trainable parameter");
    return nullptr;
  }
  Value prediction = lossOp.getLogits();
  func::ReturnOp::create(builder, loc(model.loc), ValueRange{lossOp.getResult(), prediction});
  func.setFunctionType(builder.getFunctionType({}, {lossOp.getType(), prediction.getType()}));
  return module;
}

} // namespace

OwningOpRef<ModuleOp> kiln::importModel(const ast::Model &model, kiln::DiagnosticEngine &diags,
                                        MLIRContext &context) {
  context.getOrLoadDialect<KilnDialect>();
  context.getOrLoadDialect<func::FuncDialect>();
  return Importer(model, diags, context).run();
}
