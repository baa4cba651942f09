//===- TrainingHealth.cpp - Gradient norms and dead units as step results -===//
//
// On request (kilnc --health), the train step also reports how training is
// going: the squared norm of every parameter's gradient and, for every relu,
// how many of its units no sample of the batch activates. Each is a rank-0
// result appended to @train_step after the loss, described in the module
// attribute `kiln.health` (one dictionary per result, in order), which code
// generation turns into kiln::ModelInfo::health.
//
//===----------------------------------------------------------------------===//
#include "Pipeline/Passes.h"

#include "mlir/IR/Builders.h"

namespace kiln {
#define GEN_PASS_DEF_TRAININGHEALTH
#include "Pipeline/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The axis whose positions are a layer's units: channels of an NCHW image,
/// else the innermost axis (features, also per step of a sequence).
int64_t unitAxis(RankedTensorType type) { return type.getRank() == 4 ? 1 : type.getRank() - 1; }

std::string sourceText(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + Twine(file.getLine()) + ":" +
            Twine(file.getColumn()))
        .str();
  return "";
}

struct TrainingHealthPass : kiln::impl::TrainingHealthBase<TrainingHealthPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("train_step");
    if (!func)
      return;
    Block &body = func.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    MLIRContext *ctx = module.getContext();
    auto scalar = RankedTensorType::get({}, Float32Type::get(ctx));
    SmallVector<Value> results(ret.getOperands());
    SmallVector<Attribute> entries;
    auto describe = [&](StringRef kind, StringRef name, int64_t units, Location loc) {
      NamedAttribute fields[] = {
          NamedAttribute(StringAttr::get(ctx, "kind"), StringAttr::get(ctx, kind)),
          NamedAttribute(StringAttr::get(ctx, "name"), StringAttr::get(ctx, name)),
          NamedAttribute(StringAttr::get(ctx, "units"),
                         IntegerAttr::get(IntegerType::get(ctx, 64), units)),
          NamedAttribute(StringAttr::get(ctx, "where"), StringAttr::get(ctx, sourceText(loc)))};
      entries.push_back(DictionaryAttr::get(ctx, fields));
    };

    // One squared norm per trained parameter, read where its gradient is final.
    for (ParamGradOp marker : llvm::to_vector(func.getOps<ParamGradOp>())) {
      OpBuilder b(marker);
      results.push_back(SumOfSquaresOp::create(b, marker.getLoc(), scalar, marker.getGrad()));
      auto param = marker.getParam().getDefiningOp<ParamOp>();
      auto type = cast<RankedTensorType>(param.getType());
      describe("grad_sq", param.getName(), type.getNumElements(), marker.getLoc());
    }
    // One dead-unit count per relu, in program order: relu0, relu1, ...
    unsigned index = 0;
    for (ReluOp relu : llvm::to_vector(func.getOps<ReluOp>())) {
      auto type = cast<RankedTensorType>(relu.getType());
      int64_t axis = unitAxis(type);
      OpBuilder b(relu->getBlock(), std::next(relu->getIterator()));
      results.push_back(DeadUnitsOp::create(b, relu.getLoc(), scalar, relu.getResult(),
                                            b.getI64IntegerAttr(axis)));
      describe("dead_units", ("relu" + Twine(index++)).str(), type.getDimSize(axis),
               relu.getLoc());
    }
    if (entries.empty())
      return;
    ret->setOperands(results);
    func.setType(FunctionType::get(ctx, func.getArgumentTypes(), ValueRange(results).getTypes()));
    KilnDialect::HealthAttrHelper(ctx).setAttr(module, ArrayAttr::get(ctx, entries));
  }
};

} // namespace
