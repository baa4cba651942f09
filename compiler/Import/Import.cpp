//===- Import.cpp - Model-file AST to the kiln dialect --------------------===//
//
// Walks the AST once, resolving names and building kiln ops with the shapes
// they produce. Every call in a model file is looked up in the call tables
// (Layers.cpp, Losses.cpp); the training statements and the tune block in
// TrainingStatements.cpp; initializers in the vocabulary shared with the
// runtime (kiln/Vocabulary.h). Errors are reported at the offending text and
// name the shapes involved.
//
//===----------------------------------------------------------------------===//
#include "Import/Import.h"
#include "Import/Importer.h"

#include "Kiln/IR/SizeLimits.h"

#include "kiln/Vocabulary.h"

#include "llvm/ADT/SmallPtrSet.h"

#include <cmath>
#include <sstream>

using namespace mlir;
using namespace kiln;
using namespace kiln::importer;

/// The longest model name: with the suffixes of the generated file names
/// (`lib`, `.a`, `_train_step_k12.o`) it stays within a file name's 255 bytes.
static constexpr size_t kMaxModelNameLength = 128;

namespace kiln::importer {

std::string specNumber(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

FailureOr<std::string> initSpec(const ast::Expr &e, std::string &message) {
  // Names, with PyTorch's and Keras's spellings of the same schemes.
  if (e.kind == ast::Expr::Kind::Name) {
    std::string_view name = e.name;
    if (const auto *alias = vocabulary::findByName(vocabulary::InitializerAliases, name))
      name = alias->initializer;
    const vocabulary::InitializerRow *row = vocabulary::findByName(vocabulary::Initializers, name);
    if (row && row->numNumbers == 0)
      return std::string(name);
  }
  if (e.kind == ast::Expr::Kind::String) {
    message = "an initializer is written without quotes, as in init = he_normal or "
              "init = uniform(-0.1, 0.1); got the string \"" + e.name + "\"";
    return failure();
  }
  const vocabulary::InitializerRow *call =
      e.kind == ast::Expr::Kind::Call
          ? vocabulary::findByName(vocabulary::Initializers, std::string_view(e.name))
          : nullptr;
  if (!call || call->numNumbers == 0) {
    message = "unknown initializer '" + spellingOf(e) +
              "' (known: " + std::string(vocabulary::KnownInitializers) + ")";
    return failure();
  }
  size_t count = call->numNumbers;
  std::vector<double> values;
  for (const ast::Arg &arg : e.args) {
    if (!arg.keyword.empty() || arg.value->kind != ast::Expr::Kind::Number ||
        !std::isfinite(arg.value->number)) {
      message = "initializer '" + e.name + "' takes " + std::to_string(count) +
                " plain number" + (count > 1 ? "s" : "");
      return failure();
    }
    values.push_back(arg.value->number);
  }
  if (values.size() != count) {
    message = "initializer '" + e.name + "' takes " + std::to_string(count) + " number" +
              (count > 1 ? "s" : "") + ", got " + std::to_string(values.size());
    return failure();
  }
  if (call->kind == vocabulary::InitializerKind::Uniform && !(values[0] < values[1])) {
    message = "initializer 'uniform' needs low < high, got uniform(" + e.args[0].value->spelling +
              ", " + e.args[1].value->spelling + ")";
    return failure();
  }
  if (call->kind == vocabulary::InitializerKind::Normal && !(values[1] > 0)) {
    message = "initializer 'normal' needs a positive standard deviation, got " +
              e.args[1].value->spelling;
    return failure();
  }
  std::string spec = e.name + "(" + specNumber(values[0]);
  if (count > 1)
    spec += ", " + specNumber(values[1]);
  return spec + ")";
}

int64_t Importer::intArg(const BoundArgs &args, size_t i, int64_t otherwise) const {
  return args.exprs[i] ? static_cast<int64_t>(args.exprs[i]->number) : otherwise;
}

double Importer::numberArg(const BoundArgs &args, size_t i, double otherwise) const {
  return args.exprs[i] ? args.exprs[i]->number : otherwise;
}

bool Importer::boolArg(const BoundArgs &args, size_t i, bool otherwise) const {
  return args.exprs[i] ? args.exprs[i]->name == "true" : otherwise;
}

std::string Importer::initArg(const BoundArgs &args, size_t i, llvm::StringRef otherwise) const {
  std::string message;
  return args.exprs[i] ? *initSpec(*args.exprs[i], message) : otherwise.str();
}

FailureOr<RankedTensorType> Importer::expectF32(const BoundArgs &args, size_t i, int64_t rank,
                                                llvm::StringRef what, llvm::StringRef example) {
  Value v = args.tensors[i];
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.getElementType().isF32() || (rank > 0 && type.getRank() != rank))
    return error(args.exprs[i]->loc, what.str() + " expects " + example.str() + ", got " +
                                         describe(v));
  return type;
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
                         ast::SourceLoc l, bool trainable) {
  auto type = RankedTensorType::get(shape, builder.getF32Type());
  return ParamOp::create(builder, loc(l), type, builder.getStringAttr(name),
                         builder.getStringAttr(init),
                         trainable ? UnitAttr() : builder.getUnitAttr());
}

//===----------------------------------------------------------------------===//
// Calls
//===----------------------------------------------------------------------===//

FailureOr<Value> Importer::importCall(const ast::Expr &call) {
  const CallRule *rule = nullptr;
  std::string known;
  for (llvm::ArrayRef<CallRule> table : {layerRules(), lossRules()})
    for (const CallRule &r : table) {
      if (r.name == call.name)
        rule = &r;
      known += (known.empty() ? "" : ", ") + r.name.str();
    }
  if (!rule)
    return error(call.loc, "unknown layer or function '" + call.name + "' (known: " + known +
                               ")");
  BoundArgs args;
  if (failed(bindArgs(call, *rule, args)))
    return failure();
  Block *block = builder.getInsertionBlock();
  Operation *before = block->empty() ? nullptr : &block->back();
  namedLayer.clear();
  FailureOr<Value> result = (this->*(rule->build))(args);
  if (failed(result))
    return failure();
  // Every tensor the call made, its parameters included, within the limits.
  auto made = llvm::make_range(before ? std::next(before->getIterator()) : block->begin(),
                               block->end());
  for (Operation &op : made)
    for (Value v : op.getResults())
      if (auto type = dyn_cast<RankedTensorType>(v.getType()))
        if (std::optional<std::string> problem = sizeLimitViolation(type.getShape())) {
          auto param = dyn_cast<ParamOp>(op);
          std::string what = param ? "parameter '" + param.getName().str() + "'" : "a tensor";
          return error(call.loc, call.name + " makes " + what + " of type " + typeText(type) +
                                     ", too large: " + *problem);
        }
  origins[*result] = call.name + "(...)";
  if (importedCalls) {
    ImportedCall record{&call, namedLayer.empty() ? call.name : namedLayer, *result};
    record.isLoss = losses.count(*result) != 0;
    for (Operation &op : made)
      if (auto param = dyn_cast<ParamOp>(op))
        record.params.push_back(param);
    importedCalls->push_back(std::move(record));
  }
  return result;
}

/// A name with no value yet: one the binding reading it defines (a cycle),
/// one bound further down (bindings are read in order), or no binding at all.
LogicalResult Importer::unknownName(const ast::Expr &expr) {
  if (currentBinding && currentBinding->name == expr.name)
    return error(expr.loc, "'" + expr.name + "' is used in its own definition; a model is a "
                           "graph without cycles");
  for (const ast::Binding &later : model.bindings)
    if (later.name == expr.name) {
      diags.error(expr.loc, "'" + expr.name + "' is used before its definition");
      diags.note(later.loc, "'" + expr.name + "' is defined here; bindings are read in order");
      return failure();
    }
  return error(expr.loc, "unknown name '" + expr.name + "'");
}

FailureOr<Value> Importer::importExpr(const ast::Expr &expr) {
  switch (expr.kind) {
  case ast::Expr::Kind::Call:
    return importCall(expr);
  case ast::Expr::Kind::Name: {
    auto it = symbols.find(expr.name);
    if (it == symbols.end())
      return unknownName(expr);
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
    if (d.size > kMaxDimension)
      return error(d.loc, "dimension " + std::to_string(d.size) + " of '" + decl.name +
                              "' is over the limit of 2147483647 (2^31 - 1) on a dimension");
    shape.push_back(d.size);
  }
  if (std::optional<std::string> problem = sizeLimitViolation(shape))
    return error(t.loc, "'" + decl.name + "' is too large: " + *problem);
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
  MLIRContext &context = *builder.getContext();
  // The model name names the generated files (lib<name>.a, <name>.h, each
  // kernel's object) and the temporary directory; a file name has at most
  // 255 bytes.
  if (model.name.size() > kMaxModelNameLength) {
    diags.error(model.loc, "model name is " + std::to_string(model.name.size()) +
                               " characters long, over the limit of " +
                               std::to_string(kMaxModelNameLength) +
                               ": it names the generated files");
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc(model.loc));
  KilnDialect::ModelAttrHelper(&context).setAttr(*module, builder.getStringAttr(model.name));
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
    currentBinding = &binding;
    FailureOr<Value> v = importExpr(*binding.value);
    currentBinding = nullptr;
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
  Value loss = lossIt->second.value;
  auto lossInfo = losses.find(loss);
  if (lossInfo == losses.end()) {
    diags.error(lossIt->second.loc, "'loss' must be a loss function such as "
                              "softmax_cross_entropy(logits, y), got " +
                                  describe(loss));
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
  FailureOr<DictionaryAttr> optimizer = importTraining(*module);
  if (failed(optimizer))
    return nullptr;
  KilnDialect::OptimizerAttrHelper(&context).setAttr(*module, *optimizer);
  if (failed(importTune(*module, func)))
    return nullptr;

  if (!dependsOnParam(loss.getDefiningOp())) {
    diags.error(lossIt->second.loc, "the loss does not depend on any trainable parameter");
    return nullptr;
  }
  Value prediction = lossInfo->second.prediction;
  KilnDialect::TaskAttrHelper(&context).setAttr(*module,
                                                builder.getStringAttr(lossInfo->second.task));
  for (const ast::InputDecl &decl : model.inputs)
    if (decl.isLabel) {
      KilnDialect::LabelAttrHelper(&context).setAttr(*module, builder.getStringAttr(decl.name));
      break;
    }
  func::ReturnOp::create(builder, loc(model.loc), ValueRange{loss, prediction});
  func.setFunctionType(builder.getFunctionType({}, {loss.getType(), prediction.getType()}));
  return module;
}

} // namespace

OwningOpRef<ModuleOp> kiln::importModel(const ast::Model &model, kiln::DiagnosticEngine &diags,
                                        MLIRContext &context, const ImportOptions &options) {
  context.getOrLoadDialect<KilnDialect>();
  context.getOrLoadDialect<func::FuncDialect>();
  Importer importer(model, diags, context);
  importer.options = options;
  return importer.run();
}
