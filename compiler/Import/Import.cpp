//===- Import.cpp - Model-file AST to the kiln dialect --------------------===//
//
// Walks the AST once, resolving names and building kiln ops with the shapes
// they produce. Every call in a model file is looked up in the call tables
// (Layers.cpp, Losses.cpp); the optimizer in the table of
// Training/Optimizers.h; schedules, initializers and tune ranges in the
// vocabulary shared with the runtime (kiln/Vocabulary.h). Errors are
// reported at the offending text and name the shapes involved.
//
//===----------------------------------------------------------------------===//
#include "Import/Import.h"
#include "Import/Importer.h"

#include "kiln/Vocabulary.h"

#include "llvm/ADT/SmallPtrSet.h"

#include <cmath>
#include <sstream>

using namespace mlir;
using namespace kiln;
using namespace kiln::importer;

namespace kiln::importer {

/// An argument as written, for messages.
static std::string spellingOf(const ast::Expr &e) {
  switch (e.kind) {
  case ast::Expr::Kind::Number:
    return e.spelling;
  case ast::Expr::Kind::Call:
    return e.name + "(...)";
  default:
    return e.name;
  }
}

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

LogicalResult Importer::bindArgs(const ast::Expr &call, const CallRule &rule,
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
    case ArgKind::NonNegativeInt: {
      int64_t least = spec.kind == ArgKind::PositiveInt ? 1 : 0;
      if (e->kind != ast::Expr::Kind::Number || !e->isInteger || e->number < least ||
          e->number > 1e9)
        return error(e->loc, "argument '" + spec.name.str() + "' of '" + rule.name.str() +
                                 "' must be a " + (least ? "positive" : "non-negative") +
                                 " integer, got '" + spellingOf(*e) + "'");
      break;
    }
    case ArgKind::Number:
      if (e->kind != ast::Expr::Kind::Number || !std::isfinite(e->number))
        return error(e->loc, "argument '" + spec.name.str() + "' of '" + rule.name.str() +
                                 "' must be a number, got '" + spellingOf(*e) + "'");
      break;
    case ArgKind::Bool:
      if (e->kind != ast::Expr::Kind::Name || (e->name != "true" && e->name != "false"))
        return error(e->loc, "argument '" + spec.name.str() + "' of '" + rule.name.str() +
                                 "' must be true or false");
      break;
    case ArgKind::Init: {
      std::string message;
      if (failed(initSpec(*e, message)))
        return error(e->loc, message);
      break;
    }
    case ArgKind::Padding:
      if (!(e->kind == ast::Expr::Kind::Name && (e->name == "valid" || e->name == "same")) &&
          !(e->kind == ast::Expr::Kind::Number && e->isInteger && e->number >= 0 &&
            e->number <= 1e6))
        return error(e->loc, "argument '" + spec.name.str() + "' of '" + rule.name.str() +
                                 "' must be valid, same or a non-negative integer, got '" +
                                 spellingOf(*e) + "'");
      break;
    }
  }
  return success();
}

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
  FailureOr<Value> result = (this->*(rule->build))(args);
  if (succeeded(result))
    origins[*result] = call.name + "(...)";
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

//===----------------------------------------------------------------------===//
// Training statements: optimizer, regularizer, clip, schedule
//===----------------------------------------------------------------------===//

namespace {

/// One function a training statement may call (`l2(1e-4)`), its arguments
/// (all numbers, with ranges) and the runtime value each becomes.
struct TrainingFunction {
  llvm::StringRef name;
  llvm::ArrayRef<HyperparamRule> args;
  /// Runtime names of the arguments, in order; empty: the argument's name.
  llvm::ArrayRef<llvm::StringRef> runtimeNames = {};
};

const vocabulary::NumberRange kNonNegative = {0.0, vocabulary::Infinity, false, true};
const vocabulary::NumberRange kPositive = {0.0, vocabulary::Infinity, true, true};
const HyperparamRule kStrength = {"strength", 0.0, kNonNegative};
const HyperparamRule kL1Strength[] = {kStrength};
const HyperparamRule kElasticArgs[] = {{"l1", 0.0, kNonNegative}, {"l2", 0.0, kNonNegative}};
const llvm::StringRef kL1Name[] = {"l1"}, kL2Name[] = {"l2"}, kDecayName[] = {"weight_decay"};
const TrainingFunction kRegularizers[] = {
    {"l1", kL1Strength, kL1Name},
    {"l2", kL1Strength, kL2Name},
    {"elastic_net", kElasticArgs},
    {"weight_decay", kL1Strength, kDecayName},
};

const HyperparamRule kLimit[] = {{"limit", 1.0, kPositive}};
const HyperparamRule kMaxNorm[] = {{"max_norm", 1.0, kPositive}};
const llvm::StringRef kClipName[] = {"clip"};
const TrainingFunction kClips[] = {
    {"value", kLimit, kClipName},
    {"norm", kMaxNorm, kClipName},
    {"global_norm", kMaxNorm, kClipName},
};

/// The learning-rate schedules of the shared vocabulary, as training
/// functions: one rule per argument, its default the model file's.
llvm::ArrayRef<TrainingFunction> scheduleFunctions() {
  static std::vector<std::vector<HyperparamRule>> arguments(std::size(vocabulary::ScheduleKinds));
  static const std::vector<TrainingFunction> functions = [] {
    std::vector<TrainingFunction> all;
    for (size_t i = 0; i < arguments.size(); ++i) {
      const vocabulary::ScheduleKindRow &kind = vocabulary::ScheduleKinds[i];
      for (const vocabulary::ScheduleArgument &arg : kind.arguments)
        arguments[i].push_back({arg.name, arg.defaultValue, arg.range});
      all.push_back({kind.name, arguments[i]});
    }
    return all;
  }();
  return functions;
}

} // namespace

FailureOr<Importer::Settings>
Importer::importSettings(const ast::Expr &call, llvm::StringRef what,
                         llvm::ArrayRef<HyperparamRule> rules,
                         llvm::ArrayRef<llvm::StringRef> runtimeNames, bool positional) {
  Settings settings;
  llvm::SmallVector<bool> given(rules.size(), false);
  size_t nextPositional = 0;
  for (const ast::Arg &arg : call.args) {
    size_t index = rules.size();
    if (arg.keyword.empty()) {
      if (!positional)
        return error(arg.loc, what.str() + " settings are named, as in " + call.name + "(" +
                                  (rules.empty() ? "lr" : rules.front().name.str()) + " = " +
                                  "0.1)");
      index = nextPositional++;
      if (index >= rules.size())
        return error(arg.loc, "'" + call.name + "' takes " + std::to_string(rules.size()) +
                                  " argument" + (rules.size() == 1 ? "" : "s"));
    } else {
      for (size_t i = 0; i < rules.size(); ++i)
        if (rules[i].name == arg.keyword)
          index = i;
      if (index == rules.size()) {
        std::string known;
        for (const HyperparamRule &r : rules)
          known += (known.empty() ? "" : ", ") + r.name.str();
        return error(arg.loc, what.str() + " '" + call.name + "' has no setting '" +
                                  arg.keyword + "'" +
                                  (known.empty() ? "" : " (settings: " + known + ")"));
      }
    }
    const HyperparamRule &h = rules[index];
    if (given[index])
      return error(arg.loc, "setting '" + h.name.str() + "' given twice");
    given[index] = true;
    const ast::Expr &v = *arg.value;
    if (v.kind != ast::Expr::Kind::Number)
      return error(v.loc, "setting '" + h.name.str() + "' must be a number");
    vocabulary::NumberRange real = h.range;
    real.integer = false; // whole numbers have their own message below
    if (!real.contains(v.number) || !std::isfinite(v.number))
      return error(v.loc, "'" + h.name.str() + "' = " + v.spelling + " is out of range " +
                              vocabulary::formatRange(h.range));
    if (h.range.integer && !v.isInteger)
      return error(v.loc, "'" + h.name.str() + "' = " + v.spelling +
                              " must be a whole number (written without '.' or 'e')");
    llvm::StringRef name = index < runtimeNames.size() ? runtimeNames[index] : h.name;
    settings.push_back({name.str(), v.number, true});
  }
  // Unset arguments take their defaults, so that every runtime value exists.
  for (size_t i = 0; i < rules.size(); ++i)
    if (!given[i]) {
      llvm::StringRef name = i < runtimeNames.size() ? runtimeNames[i] : rules[i].name;
      settings.push_back({name.str(), rules[i].defaultValue, false});
    }
  return settings;
}

/// The function of `table` that `call` names, or a diagnostic listing them.
template <typename T>
static const T *findFunction(llvm::ArrayRef<T> table, const ast::Expr &call) {
  for (const T &f : table)
    if (f.name == call.name)
      return &f;
  return nullptr;
}

template <typename T> static std::string knownNames(llvm::ArrayRef<T> table) {
  std::string known;
  for (const T &f : table)
    known += (known.empty() ? "" : ", ") + f.name.str();
  return known;
}

FailureOr<DictionaryAttr> Importer::importTraining(ModuleOp module) {
  // optimizer
  const ast::Expr &call = *model.optimizer->call;
  const OptimizerRule *rule = findFunction(allOptimizers(), call);
  if (!rule)
    return error(call.loc, "unknown optimizer '" + call.name + "' (known: " +
                               knownNames(allOptimizers()) + ")");
  auto optimizer = importSettings(call, "optimizer", rule->hyperparams, {}, false);
  if (failed(optimizer))
    return failure();
  SmallVector<NamedAttribute> optimizerEntries{
      builder.getNamedAttr("name", builder.getStringAttr(call.name))};
  auto add = [&](SmallVector<NamedAttribute> &entries, const Settings &settings) {
    for (const Setting &setting : settings)
      entries.push_back(
          builder.getNamedAttr(setting.name, builder.getF64FloatAttr(setting.value)));
  };
  add(optimizerEntries, *optimizer);

  // regularizer: each runtime value given at most once over all statements
  // (the optimizer's own settings included: adamw has a weight_decay); one a
  // statement leaves out takes its default unless another statement gives it.
  llvm::StringMap<ast::SourceLoc> givenAt;
  llvm::StringMap<double> values;
  std::vector<std::string> order;
  for (const Setting &setting : *optimizer)
    givenAt[setting.name] = call.loc;
  for (const ast::DirectiveDecl &decl : model.regularizers) {
    const ast::Expr &reg = *decl.call;
    const TrainingFunction *f = findFunction(llvm::ArrayRef(kRegularizers), reg);
    if (!f)
      return error(reg.loc, "unknown regularizer '" + reg.name + "' (known: " +
                                knownNames(llvm::ArrayRef(kRegularizers)) + ")");
    auto settings = importSettings(reg, "regularizer", f->args, f->runtimeNames, true);
    if (failed(settings))
      return failure();
    for (const Setting &setting : *settings) {
      if (!setting.given) {
        if (!values.count(setting.name) && !givenAt.count(setting.name)) {
          values[setting.name] = setting.value;
          order.push_back(setting.name);
        }
        continue;
      }
      auto [it, inserted] = givenAt.try_emplace(setting.name, reg.loc);
      if (!inserted) {
        bool byOptimizer = it->second.line == call.loc.line && it->second.col == call.loc.col;
        diags.error(reg.loc, "'" + setting.name + "' is set twice" +
                                 (byOptimizer ? ": optimizer '" + call.name + "' has it" : ""));
        diags.note(it->second, byOptimizer ? "optimizer '" + call.name + "' declared here"
                                           : "'" + setting.name + "' first set here");
        return failure();
      }
      if (!values.count(setting.name))
        order.push_back(setting.name);
      values[setting.name] = setting.value;
    }
  }
  SmallVector<NamedAttribute> regularizerEntries;
  for (const std::string &name : order)
    (name == "weight_decay" ? optimizerEntries : regularizerEntries)
        .push_back(builder.getNamedAttr(name, builder.getF64FloatAttr(values[name])));
  if (!regularizerEntries.empty())
    KilnDialect::RegularizerAttrHelper(builder.getContext())
        .setAttr(module, builder.getDictionaryAttr(regularizerEntries));

  // clip and schedule: one function each.
  auto importOne = [&](const std::optional<ast::DirectiveDecl> &decl, llvm::StringRef what,
                       llvm::ArrayRef<TrainingFunction> table,
                       llvm::StringRef attrName) -> LogicalResult {
    if (!decl)
      return success();
    const ast::Expr &c = *decl->call;
    const TrainingFunction *f = findFunction(table, c);
    if (!f)
      return error(c.loc, "unknown " + what.str() + " '" + c.name + "' (known: " +
                              knownNames(table) + ")");
    auto settings = importSettings(c, what, f->args, f->runtimeNames, true);
    if (failed(settings))
      return failure();
    SmallVector<NamedAttribute> entries{
        builder.getNamedAttr("name", builder.getStringAttr(c.name))};
    add(entries, *settings);
    module->setAttr(attrName, builder.getDictionaryAttr(entries));
    return success();
  };
  if (failed(importOne(model.clip, "clip", kClips, KilnDialect::ClipAttrHelper::getNameStr())) ||
      failed(importOne(model.schedule, "schedule", scheduleFunctions(),
                       KilnDialect::ScheduleAttrHelper::getNameStr())))
    return failure();
  if (model.schedule && !llvm::any_of(rule->hyperparams, [](const HyperparamRule &h) {
        return h.name == "lr";
      }))
    return error(model.schedule->loc, "optimizer '" + call.name + "' has no learning rate to schedule");
  return builder.getDictionaryAttr(optimizerEntries);
}

//===----------------------------------------------------------------------===//
// The tune block
//===----------------------------------------------------------------------===//

namespace {

/// The kinds of range a tune entry may use, for messages.
std::string knownRangeKinds() {
  std::string known;
  for (const vocabulary::TuneRangeKindRow &kind : vocabulary::TuneRangeKinds)
    known += (known.empty() ? "" : ", ") + std::string(kind.name);
  return known;
}

} // namespace

LogicalResult Importer::importTune(ModuleOp module, func::FuncOp forward) {
  if (model.tune.empty()) {
    if (model.tuneLoc.line != 0)
      return error(model.tuneLoc, "empty tune block: give at least one range, such as "
                                  "lr = log_uniform(1e-4, 0.1)");
    return success();
  }
  // Every runtime value the compiled model will have, with its valid range,
  // as the IR declares it: the values the training passes make from the
  // module's configuration, the model's own kiln.hyperparam ops, the
  // schedule's arguments, and the trainer's run settings.
  llvm::StringMap<HyperparamRule> tunable;
  std::vector<std::string> names;
  auto offer = [&](const std::string &name, const HyperparamRule &rule) {
    if (tunable.try_emplace(name, rule).second)
      names.push_back(name);
  };
  for (const HyperparamRule &h : trainingHyperparams(module))
    offer(h.name.str(), h);
  forward.walk([&](HyperparamOp op) {
    offer(op.getName().str(),
          {op.getName(), op.getDefaultValue().convertToDouble(), op.getRange()});
  });
  if (DictionaryAttr schedule =
          KilnDialect::ScheduleAttrHelper(builder.getContext()).getAttr(module))
    if (const vocabulary::ScheduleKindRow *kind =
            vocabulary::findByName(vocabulary::ScheduleKinds,
                                   std::string_view(schedule.getAs<StringAttr>("name").getValue())))
      for (const vocabulary::ScheduleArgument &arg : kind->arguments)
        offer("schedule." + std::string(arg.name), {arg.name, arg.defaultValue, arg.range});
  for (const vocabulary::RunSettingRow &setting : vocabulary::TunableRunSettings)
    offer(std::string(setting.name), {setting.name, setting.defaultValue, setting.range});

  SmallVector<Attribute> entries;
  llvm::StringMap<ast::SourceLoc> seen;
  for (const ast::TuneEntry &entry : model.tune) {
    auto [first, inserted] = seen.try_emplace(entry.name, entry.loc);
    if (!inserted) {
      diags.error(entry.loc, "'" + entry.name + "' is tuned twice");
      diags.note(first->second, "first range for '" + entry.name + "' here");
      return failure();
    }
    auto rule = tunable.find(entry.name);
    if (rule == tunable.end()) {
      std::string known;
      for (const std::string &n : names)
        known += (known.empty() ? "" : ", ") + n;
      return error(entry.loc, "unknown hyperparameter '" + entry.name +
                                  "' in the tune block (this model has: " + known + ")");
    }
    const HyperparamRule &h = rule->second;
    const ast::Expr &range = *entry.range;
    if (!vocabulary::findByName(vocabulary::TuneRangeKinds, std::string_view(range.name)))
      return error(range.loc,
                   "unknown range '" + range.name + "' (known: " + knownRangeKinds() + ")");
    std::vector<double> values;
    for (const ast::Arg &arg : range.args) {
      if (!arg.keyword.empty())
        return error(arg.loc, "the bounds of '" + range.name + "' are positional, as in " +
                                  range.name + "(0.001, 0.1)");
      if (arg.value->kind != ast::Expr::Kind::Number)
        return error(arg.value->loc, "a range of '" + entry.name + "' takes numbers");
      if (!h.range.contains(arg.value->number))
        return error(arg.value->loc, "'" + entry.name + "' = " + arg.value->spelling +
                                         " is outside its valid range " +
                                         vocabulary::formatRange(h.range) +
                                         (h.range.integer ? " of whole numbers" : ""));
      values.push_back(arg.value->number);
    }
    bool choice = range.name == "choice";
    if (choice && values.empty())
      return error(range.loc, "empty range: choice() needs at least one value");
    if (!choice && values.size() != 2)
      return error(range.loc, "'" + range.name + "' takes two bounds, low and high, as in " +
                                  range.name + "(" +
                                  (range.name == "int" ? "1, 10" : "0.001, 0.1") + ")");
    if (!choice) {
      const ast::Expr &low = *range.args[0].value, &high = *range.args[1].value;
      if (low.number > high.number)
        return error(range.loc, "inverted range: low " + low.spelling + " is above high " +
                                    high.spelling);
      if (low.number == high.number)
        return error(range.loc, "empty range: low and high are both " + low.spelling);
      if (range.name == "log_uniform" && low.number <= 0)
        return error(low.loc, "log_uniform needs a low bound above 0, found " + low.spelling);
      if (range.name == "int" && (!low.isInteger || !high.isInteger))
        return error(range.loc, "int bounds are whole numbers, found " + low.spelling + ", " +
                                    high.spelling);
    }
    if ((h.range.integer && range.name != "int" && range.name != "choice"))
      return error(range.loc, "'" + entry.name + "' is a whole number: use int(...) or "
                                  "choice(...)");
    SmallVector<NamedAttribute> fields{
        builder.getNamedAttr("name", builder.getStringAttr(entry.name)),
        builder.getNamedAttr("kind", builder.getStringAttr(range.name))};
    if (choice) {
      SmallVector<Attribute> choices;
      for (double v : values)
        choices.push_back(builder.getF64FloatAttr(v));
      fields.push_back(builder.getNamedAttr("choices", builder.getArrayAttr(choices)));
    } else {
      fields.push_back(builder.getNamedAttr("low", builder.getF64FloatAttr(values[0])));
      fields.push_back(builder.getNamedAttr("high", builder.getF64FloatAttr(values[1])));
    }
    entries.push_back(builder.getDictionaryAttr(fields));
  }
  KilnDialect::TuneAttrHelper(builder.getContext()).setAttr(module, builder.getArrayAttr(entries));
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
                                        MLIRContext &context) {
  context.getOrLoadDialect<KilnDialect>();
  context.getOrLoadDialect<func::FuncDialect>();
  return Importer(model, diags, context).run();
}
