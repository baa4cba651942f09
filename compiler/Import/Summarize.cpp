//===- Summarize.cpp - A model's summary from its import ------------------===//
//
// Imports a model file while recording each call (Importer::importedCalls)
// and turns the record into a ModelSummary: a row per input and per layer
// call, in the order the file computes them, with the output shape and the
// parameters each call made; the loss as written; the optimizer's state
// tensors from the optimizer table.
//
//===----------------------------------------------------------------------===//
#include "Import/Import.h"
#include "Import/Importer.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::importer;

/// The parameters `loss` depends on: those training updates (Autodiff warns
/// about the others and leaves them out).
static llvm::SmallPtrSet<Operation *, 16> paramsOfLoss(Value loss) {
  llvm::SmallPtrSet<Operation *, 16> params, seen;
  SmallVector<Operation *> work{loss.getDefiningOp()};
  while (!work.empty()) {
    Operation *op = work.pop_back_val();
    if (!op || !seen.insert(op).second)
      continue;
    if (isa<ParamOp>(op))
      params.insert(op);
    for (Value operand : op->getOperands())
      work.push_back(operand.getDefiningOp());
  }
  return params;
}

static std::vector<int64_t> summaryShape(Type type) {
  std::vector<int64_t> shape;
  for (int64_t d : cast<RankedTensorType>(type).getShape())
    shape.push_back(ShapedType::isDynamic(d) ? kSummaryBatchDim : d);
  return shape;
}

std::optional<ModelSummary> kiln::summarizeModel(const ast::Model &model, DiagnosticEngine &diags,
                                                 MLIRContext &context) {
  context.getOrLoadDialect<KilnDialect>();
  context.getOrLoadDialect<func::FuncDialect>();
  std::vector<ImportedCall> calls;
  Importer importer(model, diags, context);
  importer.importedCalls = &calls;
  OwningOpRef<ModuleOp> module = importer.run();
  if (!module)
    return std::nullopt;

  ModelSummary summary;
  summary.model = model.name;
  if (!model.inputs.empty())
    summary.batchName = model.inputs.front().type.dims.front().symbol;
  for (const ast::InputDecl &decl : model.inputs) {
    SummaryLayer row;
    row.name = decl.name;
    row.declaration = decl.isLabel ? "label" : "input";
    row.line = decl.loc.line;
    for (const ast::Dim &d : decl.type.dims)
      row.shape.push_back(d.symbol.empty() ? d.size : kSummaryBatchDim);
    summary.layers.push_back(std::move(row));
  }

  llvm::DenseMap<const ast::Expr *, const ast::Binding *> bindingOf;
  for (const ast::Binding &binding : model.bindings)
    bindingOf[binding.value.get()] = &binding;
  // @forward returns the loss, then the prediction.
  auto forward = *module->getOps<func::FuncOp>().begin();
  Value loss = forward.front().getTerminator()->getOperand(0);
  llvm::SmallPtrSet<Operation *, 16> trained = paramsOfLoss(loss);
  for (const ImportedCall &call : calls) {
    if (call.isLoss) {
      if (call.result == loss) {
        summary.loss = expressionText(*call.call);
        summary.lossLine = call.call->loc.line;
      }
      continue;
    }
    SummaryLayer row;
    row.name = call.layer;
    if (const ast::Binding *binding = bindingOf.lookup(call.call))
      row.binding = binding->name;
    row.line = call.call->loc.line;
    row.shape = summaryShape(call.result.getType());
    for (ParamOp param : call.params)
      row.parameters.push_back({param.getName().str(), summaryShape(param.getType()),
                                !param.getFrozen(), param.getFrozen() || trained.contains(param)});
    summary.layers.push_back(std::move(row));
  }

  DictionaryAttr optimizer = KilnDialect::OptimizerAttrHelper(&context).getAttr(*module);
  summary.optimizer = cast<StringAttr>(optimizer.get("name")).getValue().str();
  if (const OptimizerRule *rule = lookupOptimizer(summary.optimizer))
    for (StringRef state : rule->states)
      summary.optimizerStates.push_back(state.str());
  return summary;
}
