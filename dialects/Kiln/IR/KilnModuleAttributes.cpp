//===- KilnModuleAttributes.cpp - The module's training configuration -----===//
//
// The verifier of the `kiln.*` attributes declared in KilnDialect.td: each
// sits on a module and has the shape the passes and code generation read.
// Names of schedule kinds, tune ranges and tasks come from the vocabulary
// shared with the runtime. The optimizer's name is checked by
// kiln-apply-optimizer, which holds the optimizer table.
//
//===----------------------------------------------------------------------===//
#include "Kiln/IR/KilnDialect.h"

#include "kiln/Vocabulary.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace kiln;

namespace {

/// Checks one attribute; `fail()` starts a diagnostic naming it.
class AttributeChecker {
public:
  AttributeChecker(Operation *op, NamedAttribute attr) : op(op), attr(attr) {}

  InFlightDiagnostic fail() { return op->emitError() << "'" << attr.getName().getValue() << "' "; }

  LogicalResult checkText(ArrayRef<std::string_view> allowed = {}) {
    auto text = dyn_cast<StringAttr>(attr.getValue());
    if (!text)
      return fail() << "expects a string";
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(),
                                      std::string_view(text.getValue())) == allowed.end())
      return fail() << "has unknown value \"" << text.getValue() << "\"";
    return success();
  }

  /// {name = "...", key = number, ...} with the number keys `known` allows.
  /// `skip`: an entry of another kind, checked by the caller.
  LogicalResult checkSettings(bool named, function_ref<LogicalResult(StringRef)> known,
                              StringRef skip = {}) {
    auto dict = dyn_cast<DictionaryAttr>(attr.getValue());
    if (!dict)
      return fail() << "expects a dictionary";
    if (named && !dict.getAs<StringAttr>("name"))
      return fail() << "expects a string 'name' entry";
    for (NamedAttribute entry : dict) {
      if ((named && entry.getName() == "name") || (!skip.empty() && entry.getName() == skip))
        continue;
      if (!isa<FloatAttr>(entry.getValue()))
        return fail() << "expects entry '" << entry.getName().getValue() << "' to be a number";
      if (failed(known(entry.getName().getValue())))
        return failure();
    }
    return success();
  }

  LogicalResult checkRegularizer() {
    return checkSettings(false, [&](StringRef key) -> LogicalResult {
      if (key != "l1" && key != "l2")
        return fail() << "has unknown entry '" << key << "' (expected l1, l2)";
      if (number(key) < 0)
        return fail() << "expects " << key << " >= 0";
      return success();
    });
  }

  LogicalResult checkClip() {
    if (failed(checkSettings(true, [&](StringRef key) -> LogicalResult {
          if (key != "clip")
            return fail() << "has unknown entry '" << key << "' (expected clip)";
          return success();
        })))
      return failure();
    StringRef kind = dict().getAs<StringAttr>("name").getValue();
    if (kind != "value" && kind != "norm" && kind != "global_norm")
      return fail() << "has unknown kind \"" << kind << "\" (expected value, norm, global_norm)";
    if (!dict().get("clip"))
      return fail() << "expects a 'clip' threshold";
    if (!(number("clip") > 0))
      return fail() << "expects a positive 'clip' threshold";
    return success();
  }

  LogicalResult checkSchedule() {
    if (failed(checkSettings(
            true, [](StringRef) { return success(); }, "units")))
      return failure();
    StringRef name = dict().getAs<StringAttr>("name").getValue();
    const vocabulary::ScheduleKindRow *kind =
        vocabulary::findByName(vocabulary::ScheduleKinds, std::string_view(name));
    if (!kind)
      return fail() << "has unknown schedule \"" << name << "\"";
    DictionaryAttr units = dict().getAs<DictionaryAttr>("units");
    if (dict().get("units") && !units)
      return fail() << "expects 'units' to be a dictionary";
    for (NamedAttribute entry : dict()) {
      StringRef key = entry.getName().getValue();
      if (key == "name" || key == "units")
        continue;
      const vocabulary::ScheduleArgument *arg =
          vocabulary::findByName(kind->arguments, std::string_view(key));
      if (!arg)
        return fail() << "has unknown argument '" << key << "' for schedule " << name;
      if (units && units.get(key)) {
        // In epochs or a fraction of the run: rounded to updates at run time.
        bool positive = arg->range.low > 0;
        if (!(number(key) >= 0) || (positive && number(key) == 0) || !std::isfinite(number(key)))
          return fail() << "has " << key << " = " << vocabulary::formatNumber(number(key))
                        << " (in " << units.get(key) << "), not " << (positive ? "> 0" : ">= 0");
        continue;
      }
      if (arg->range.integer && number(key) != std::floor(number(key)))
        return fail() << "has " << key << " = " << vocabulary::formatNumber(number(key))
                      << ", not a whole number";
      if (!arg->range.contains(number(key)))
        return fail() << "has " << key << " = " << vocabulary::formatNumber(number(key))
                      << " outside " << vocabulary::formatRange(arg->range);
    }
    return units ? checkScheduleUnits(*kind, units) : success();
  }

  /// {argument = "epochs" | "run", ...}: the count arguments given in another
  /// unit than updates.
  LogicalResult checkScheduleUnits(const vocabulary::ScheduleKindRow &kind, DictionaryAttr units) {
    for (NamedAttribute entry : units) {
      StringRef key = entry.getName().getValue();
      const vocabulary::ScheduleArgument *arg =
          vocabulary::findByName(kind.arguments, std::string_view(key));
      if (!arg || !arg->range.integer || !dict().get(key))
        return fail() << "has a unit for '" << key
                      << "', which is not a count argument given (step_size, period or warmup)";
      auto unit = dyn_cast<StringAttr>(entry.getValue());
      std::string_view text = unit ? std::string_view(unit.getValue()) : "";
      if (text != vocabulary::ScheduleUnitEpochs && text != vocabulary::ScheduleUnitRun)
        return fail() << "has unit " << entry.getValue() << " for '" << key << "' (expected \""
                      << vocabulary::ScheduleUnitEpochs << "\" or \"" << vocabulary::ScheduleUnitRun
                      << "\")";
    }
    return success();
  }

  /// An array of dictionaries, each checked by `check`.
  LogicalResult checkEntries(function_ref<LogicalResult(DictionaryAttr)> check) {
    auto array = dyn_cast<ArrayAttr>(attr.getValue());
    if (!array)
      return fail() << "expects an array";
    for (Attribute element : array) {
      auto entry = dyn_cast<DictionaryAttr>(element);
      if (!entry)
        return fail() << "expects an array of dictionaries";
      if (!entry.getAs<StringAttr>("name") || !entry.getAs<StringAttr>("kind"))
        return fail() << "expects string 'name' and 'kind' entries in " << entry;
      if (failed(check(entry)))
        return failure();
    }
    return success();
  }

  LogicalResult checkTuneRange(DictionaryAttr entry) {
    StringRef kind = entry.getAs<StringAttr>("kind").getValue();
    if (!vocabulary::findByName(vocabulary::TuneRangeKinds, std::string_view(kind)))
      return fail() << "has unknown range kind \"" << kind << "\"";
    if (kind == "choice") {
      auto choices = entry.getAs<ArrayAttr>("choices");
      if (!choices || choices.empty() ||
          !llvm::all_of(choices, [](Attribute a) { return isa<FloatAttr>(a); }))
        return fail() << "expects a non-empty list of numbers as 'choices' in " << entry;
      return success();
    }
    auto low = entry.getAs<FloatAttr>("low"), high = entry.getAs<FloatAttr>("high");
    if (!low || !high || !(low.getValueAsDouble() < high.getValueAsDouble()))
      return fail() << "expects numbers 'low' below 'high' in " << entry;
    return success();
  }

  LogicalResult checkHealthResult(DictionaryAttr entry) {
    StringRef kind = entry.getAs<StringAttr>("kind").getValue();
    if (kind != "grad_sq" && kind != "dead_units")
      return fail() << "has unknown result kind \"" << kind << "\"";
    if (!entry.getAs<IntegerAttr>("units") || !entry.getAs<StringAttr>("where"))
      return fail() << "expects an integer 'units' and a string 'where' in " << entry;
    return success();
  }

private:
  DictionaryAttr dict() { return cast<DictionaryAttr>(attr.getValue()); }
  double number(StringRef key) { return dict().getAs<FloatAttr>(key).getValueAsDouble(); }

  Operation *op;
  NamedAttribute attr;
};

} // namespace

LogicalResult KilnDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  AttributeChecker checker(op, attr);
  StringRef name = attr.getName().getValue();
  if (!isa<ModuleOp>(op))
    return checker.fail() << "is a module attribute";
  if (name == ModelAttrHelper::getNameStr() || name == LabelAttrHelper::getNameStr())
    return checker.checkText();
  if (name == TaskAttrHelper::getNameStr())
    return checker.checkText(vocabulary::ModelTasks);
  if (name == OptimizerAttrHelper::getNameStr())
    return checker.checkSettings(true, [](StringRef) { return success(); });
  if (name == RegularizerAttrHelper::getNameStr())
    return checker.checkRegularizer();
  if (name == ClipAttrHelper::getNameStr())
    return checker.checkClip();
  if (name == ScheduleAttrHelper::getNameStr())
    return checker.checkSchedule();
  if (name == TuneAttrHelper::getNameStr())
    return checker.checkEntries(
        [&](DictionaryAttr entry) { return checker.checkTuneRange(entry); });
  if (name == HealthAttrHelper::getNameStr())
    return checker.checkEntries(
        [&](DictionaryAttr entry) { return checker.checkHealthResult(entry); });
  return checker.fail() << "is not an attribute of the kiln dialect";
}
