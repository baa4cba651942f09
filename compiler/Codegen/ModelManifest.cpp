//===- ModelManifest.cpp - What the wrapper tells the runtime -------------===//
//
// The model manifest: module attributes read into the LoweredModel, and the
// inputs, parameters, optimizer state and hyperparameters (with their valid
// ranges) recorded as the kernel walk first meets them.
//
//===----------------------------------------------------------------------===//
#include "Codegen/ModelManifest.h"

#include <cmath>

using namespace mlir;
using namespace kiln;

namespace {

/// The manifest's description of a runtime value: its default and the range
/// its op carries (an unbounded end as +-1e300, closed).
HyperparamDesc hyperparamDesc(HyperparamOp op) {
  vocabulary::NumberRange range = op.getRange();
  HyperparamDesc desc{op.getName().str(), op.getDefaultValue().convertToDouble()};
  desc.lower = std::isinf(range.low) ? -1e300 : range.low;
  desc.lowerOpen = range.lowOpen && !std::isinf(range.low);
  desc.upper = std::isinf(range.high) ? 1e300 : range.high;
  desc.upperOpen = range.highOpen && !std::isinf(range.high);
  return desc;
}

template <typename List> int indexByName(llvm::StringRef name, const List &list) {
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].name == name)
      return static_cast<int>(i);
  return -1;
}

} // namespace

std::vector<int64_t> kiln::shapeOf(Type type) {
  std::vector<int64_t> shape;
  for (int64_t d : cast<RankedTensorType>(type).getShape())
    shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return shape;
}

void kiln::readModuleAttributes(ModuleOp module, LoweredModel &model) {
  MLIRContext *ctx = module.getContext();
  StringAttr name = KilnDialect::ModelAttrHelper(ctx).getAttr(module);
  model.name = name ? name.getValue().str() : "model";
  // Training settings the runtime needs: the optimizer's name and the
  // learning-rate schedule, both dictionaries with a `name` entry.
  if (StringAttr task = KilnDialect::TaskAttrHelper(ctx).getAttr(module))
    model.task = task.getValue().str();
  if (StringAttr label = KilnDialect::LabelAttrHelper(ctx).getAttr(module))
    model.labelName = label.getValue().str();
  if (DictionaryAttr optimizer = KilnDialect::OptimizerAttrHelper(ctx).getAttr(module))
    if (auto optimizerName = optimizer.getAs<StringAttr>("name"))
      model.optimizer = optimizerName.getValue().str();
  if (DictionaryAttr schedule = KilnDialect::ScheduleAttrHelper(ctx).getAttr(module)) {
    for (NamedAttribute entry : schedule) {
      if (auto kind = dyn_cast<StringAttr>(entry.getValue()))
        model.scheduleKind = kind.getValue().str();
      else if (auto value = dyn_cast<FloatAttr>(entry.getValue()))
        model.scheduleArgs.emplace_back(entry.getName().str(), value.getValueAsDouble());
      else if (auto units = dyn_cast<DictionaryAttr>(entry.getValue()))
        for (NamedAttribute unit : units)
          model.scheduleUnits.emplace_back(unit.getName().str(),
                                           cast<StringAttr>(unit.getValue()).getValue().str());
    }
  }
  if (ArrayAttr health = KilnDialect::HealthAttrHelper(ctx).getAttr(module))
    for (auto entry : health.getAsRange<DictionaryAttr>()) {
      auto text = [&](StringRef key) {
        auto attr = entry.getAs<StringAttr>(key);
        return attr ? attr.getValue().str() : std::string();
      };
      auto units = entry.getAs<IntegerAttr>("units");
      model.health.push_back({text("kind"), text("name"), units ? units.getInt() : 0,
                              text("where")});
    }
  if (ArrayAttr tune = KilnDialect::TuneAttrHelper(ctx).getAttr(module))
    for (auto entry : tune.getAsRange<DictionaryAttr>()) {
      TuneDesc desc;
      desc.name = entry.getAs<StringAttr>("name").getValue().str();
      desc.kind = entry.getAs<StringAttr>("kind").getValue().str();
      if (auto low = entry.getAs<FloatAttr>("low"))
        desc.low = low.getValueAsDouble();
      if (auto high = entry.getAs<FloatAttr>("high"))
        desc.high = high.getValueAsDouble();
      if (auto choices = entry.getAs<ArrayAttr>("choices"))
        for (auto choice : choices.getAsRange<FloatAttr>())
          desc.choices.push_back(choice.getValueAsDouble());
      model.tuneSpace.push_back(desc);
    }
}

int kiln::recordInput(LoweredModel &model, InputOp input) {
  Value v = input->getResult(0);
  int index = indexByName(input.getName(), model.inputs);
  if (index < 0) {
    model.inputs.push_back({input.getName().str(), shapeOf(v.getType()),
                            !cast<RankedTensorType>(v.getType()).getElementType().isF32(),
                            input.getName() == model.labelName});
    index = static_cast<int>(model.inputs.size()) - 1;
  }
  return index;
}

int kiln::recordParam(LoweredModel &model, ParamOp param) {
  Value v = param->getResult(0);
  int index = indexByName(param.getName(), model.params);
  if (index < 0) {
    model.params.push_back({param.getName().str(), shapeOf(v.getType()), param.getInit().str(),
                            !param.getFrozen()});
    index = static_cast<int>(model.params.size()) - 1;
  }
  return index;
}

int kiln::recordState(LoweredModel &model, StateOp state) {
  int index = indexByName(state.getName(), model.states);
  if (index < 0) {
    model.states.push_back({state.getName().str(), indexByName(state.getParam(), model.params),
                            state.getInit().convertToDouble()});
    index = static_cast<int>(model.states.size()) - 1;
  }
  return index;
}

int kiln::recordHyperparam(LoweredModel &model, HyperparamOp hyper) {
  int index = indexByName(hyper.getName(), model.hyperparams);
  if (index < 0) {
    model.hyperparams.push_back(hyperparamDesc(hyper));
    index = static_cast<int>(model.hyperparams.size()) - 1;
  }
  return index;
}
