//===- TrainingStatements.cpp - Training statements and the tune block ----===//
//
// The model file's training statements (optimizer, regularizer, clip,
// schedule) and its tune block, each checked against its table of functions
// and valid ranges and recorded as a module attribute (kiln.optimizer,
// kiln.regularizer, kiln.clip, kiln.schedule, kiln.tune).
//
//===----------------------------------------------------------------------===//
#include "Import/Importer.h"

#include "kiln/Vocabulary.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::importer;

namespace kiln::importer {
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
    if (!v.unit.empty()) {
      if (failed(checkUnitSetting(h, v)))
        return failure();
      settings.push_back({h.name.str(), v.number, true, v.unit});
      continue;
    }
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

LogicalResult Importer::checkUnitSetting(const HyperparamRule &h, const ast::Expr &v) {
  // Epochs and fractions of the run need not be whole: the runtime rounds
  // them to updates once it knows the run's length.
  if (!h.range.integer)
    return error(v.loc, "'" + h.name.str() + "' = " + v.spelling +
                            ": only step_size, period and warmup, counts of updates, may be "
                            "given in epochs or %");
  bool positive = h.range.low > 0;
  if (!std::isfinite(v.number) || v.number < 0 || (positive && v.number == 0))
    return error(v.loc, "'" + h.name.str() + "' = " + v.spelling + " must be " +
                            (positive ? "> 0" : ">= 0"));
  return success();
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
    SmallVector<NamedAttribute> units;
    for (const Setting &setting : *settings)
      if (!setting.unit.empty())
        units.push_back(builder.getNamedAttr(setting.name, builder.getStringAttr(setting.unit)));
    if (!units.empty())
      entries.push_back(builder.getNamedAttr("units", builder.getDictionaryAttr(units)));
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
                   "unknown range '" + range.name + "' (known: " + vocabulary::joinNames(vocabulary::TuneRangeKinds) + ")");
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

} // namespace kiln::importer
