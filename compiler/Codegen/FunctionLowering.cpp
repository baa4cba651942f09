//===- FunctionLowering.cpp - The kernel walk and buffer slots ------------===//
//
// Walks each function's kernels in order. A value from outside a kernel
// becomes a kernel argument bound to a buffer slot (an input, parameter,
// optimizer state, runtime value, or a temporary between kernels); each op
// inside is lowered by its algorithm (OpAlgorithms.cpp); the kernel's yields
// and in-place writes become its pipeline's outputs, which Schedules.cpp
// schedules.
//
//===----------------------------------------------------------------------===//
#include "Codegen/FunctionLowering.h"

#include "Codegen/GpuSchedules.h"
#include "Codegen/ModelManifest.h"

#include "llvm/Support/raw_ostream.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/xxhash.h"

#include <cctype>

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

namespace {

/// "kiln.matmul at model.kiln:7:12, kiln.relu at ..." for the ops of a kernel.
std::string describeOps(KernelOp kernel) {
  std::string text;
  llvm::raw_string_ostream os(text);
  for (Operation &op : kernel.getBody().front().without_terminator()) {
    if (!text.empty())
      os << ", ";
    os << op.getName();
    if (auto file = dyn_cast<FileLineColLoc>(op.getLoc()))
      os << " at " << file.getFilename().getValue() << ":" << file.getLine() << ":"
         << file.getColumn();
  }
  return text;
}

} // namespace

int FunctionLowering::slotFor(Value v) {
  auto it = slots.find(v);
  if (it != slots.end())
    return it->second;
  Operation *def = v.getDefiningOp();
  Slot slot;
  if (auto input = dyn_cast<InputOp>(def)) {
    int index = recordInput(model, input);
    slot = {Slot::Kind::Input, input.getName().str(), shapeOf(v.getType()),
            model.inputs[index].isInt, index};
  } else if (auto param = dyn_cast<ParamOp>(def)) {
    int index = recordParam(model, param);
    slot = {Slot::Kind::Param, param.getName().str(), shapeOf(v.getType()), false, index};
  } else if (auto state = dyn_cast<StateOp>(def)) {
    int index = recordState(model, state);
    slot = {Slot::Kind::State, state.getName().str(), shapeOf(v.getType()), false, index};
  } else if (isa<StepOp>(def)) {
    slot = {Slot::Kind::Step, "step", {}, false, 0};
  } else if (isa<BatchShareOp>(def)) {
    slot = {Slot::Kind::BatchShare, "batch_share", {}, false, 0};
  } else if (isa<BatchOffsetOp>(def)) {
    slot = {Slot::Kind::BatchOffset, "batch_offset", {}, false, 0};
  } else if (auto hyper = dyn_cast<HyperparamOp>(def)) {
    int index = recordHyperparam(model, hyper);
    slot = {Slot::Kind::Hyperparam, hyper.getName().str(), {}, false, index};
  } else {
    slot = {Slot::Kind::Temp, "t" + std::to_string(plan.slots.size()), shapeOf(v.getType()),
            false, -1};
  }
  int id = newSlot(slot);
  slots[v] = id;
  return id;
}

/// The slot's name as a C identifier, changed where Halide would see it twice
/// in the kernel: an input named `batch`, `dense0.weight` beside
/// `dense0_weight`, or `relu_3`, the form of the kernel's own Funcs.
std::string FunctionLowering::argumentName(int slot) {
  std::string name = plan.slots[slot].name;
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  auto generatedForm = [](llvm::StringRef n) {
    llvm::StringRef digits = n.substr(n.find_last_not_of("0123456789") + 1);
    return !digits.empty() && digits.size() < n.size() && n.drop_back(digits.size()).ends_with("_");
  };
  auto taken = [&](llvm::StringRef n) {
    if (n == batch.name() || generatedForm(n))
      return true;
    return llvm::any_of(arguments, [&](const Halide::Argument &a) { return a.name == n; });
  };
  std::string unique = name;
  for (int i = 0; taken(unique); ++i)
    unique = name + "_arg" + std::to_string(i) + "_";
  return unique;
}

/// A value defined outside the kernel being lowered: an input buffer, a scalar
/// parameter, or a constant.
Tensor FunctionLowering::external(Value v) {
  Operation *def = v.getDefiningOp();
  if (auto fill = dyn_cast_or_null<FillOp>(def)) {
    Halide::Func f(uniqueName("fill"));
    auto type = cast<RankedTensorType>(v.getType());
    define(f, vars(type.getRank()), Halide::cast(ft, Halide::Expr(fill.getValue().convertToDouble())));
    return {f, extentsOf(type)};
  }
  int slot = slotFor(v);
  call.inputs.push_back(slot);
  auto type = cast<RankedTensorType>(v.getType());
  Halide::Type elem = type.getElementType().isF32() ? ft : Halide::Int(32);
  Halide::ImageParam image(elem, type.getRank(), argumentName(slot));
  // Estimates of the extents, for an autoscheduler (a batch of batchEstimate).
  for (int d = 0; d < type.getRank(); ++d) {
    int64_t extent = type.getDimSize(type.getRank() - 1 - d);
    image.dim(d).set_estimate(0, static_cast<int>(ShapedType::isDynamic(extent)
                                                      ? options.batchEstimate
                                                      : extent));
  }
  arguments.push_back(image);
  kernel.images.push_back(image);
  return {image, extentsOf(type)};
}

Tensor FunctionLowering::tensorOf(Value v) {
  auto it = tensors.find(v);
  if (it != tensors.end())
    return it->second;
  Tensor t = external(v);
  tensors[v] = t;
  return t;
}

/// `text` with every SSA value name (`%12`, `%arg0`; a result index `#3`
/// stays) replaced by its order of first appearance: `%v0`, `%v1`, ...
static std::string renumberValues(const std::string &text) {
  std::string out;
  llvm::StringMap<int> number;
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '%') {
      out += text[i++];
      continue;
    }
    size_t end = i + 1;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '_' || text[end] == '$' || text[end] == '.' ||
                                 text[end] == '-'))
      ++end;
    auto [it, inserted] = number.try_emplace(text.substr(i + 1, end - i - 1), number.size());
    out += "%v" + std::to_string(it->second);
    i = end;
  }
  return out;
}

LogicalResult FunctionLowering::lowerKernel(KernelOp op) {
  tensors.clear();
  scalars.clear();
  arguments.clear();
  std::string name = model.name + "_" + op.getKernelName().str();
  call = KernelCall{name, name, {}, {}, describeOps(op)};
  funcs = KernelFuncs();
  funcs.elementType = ft;
  kernel = LoweredKernel{call.name, Halide::Pipeline(), {}, Halide::Param<int32_t>("batch"), {}, {}};
  batch = kernel.batch;
  batch.set_estimate(options.batchEstimate);
  arguments.push_back(batch);
  if (!options.autoscheduler.empty())
    kernel.choice.autoscheduler = options.autoscheduler;
  else if (auto chosen = options.choices.find(call.name); chosen != options.choices.end())
    kernel.choice = chosen->second;
  {
    // Values from outside the kernel print as placeholders; their types,
    // and the order the kernel reads them in, are part of the text.
    std::string text;
    llvm::raw_string_ostream os(text);
    op->print(os, OpPrintingFlags().useLocalScope());
    // Constants from outside the kernel print as placeholders too, but their
    // values are compiled into its code.
    op.walk([&](Operation *inner) {
      for (Value v : inner->getOperands()) {
        Operation *def = v.getDefiningOp();
        if (!def || op->isAncestor(def))
          continue;
        if (auto fill = dyn_cast<FillOp>(def))
          os << "|fill " << fill.getValue().convertToDouble();
        else if (auto constant = dyn_cast<arith::ConstantOp>(def))
          os << "|constant " << constant.getValue();
      }
    });
    os << (options.useDouble ? "|f64" : "|f32") << "|vec" << options.vectorWidth;
    // Not the kernel's own name, nor the function's numbering of values:
    // kernels that differ only in those are alike.
    std::string quotedName = "\"" + op.getKernelName().str() + "\"";
    if (size_t at = text.find(quotedName); at != std::string::npos)
      text.erase(at, quotedName.size());
    kernel.key = llvm::xxh3_64bits(renumberValues(text));
  }
  kernel.loweredWith = std::string(options.schedule ? "schedule" : "no-schedule") + " batch" +
                       std::to_string(options.batchEstimate);

  std::vector<Halide::Func> yields, writes;
  std::vector<int> yieldSlots, writeSlots;
  std::vector<std::vector<int64_t>> yieldShapes, writeShapes;
  for (Operation &inner : op.getBody().front()) {
    if (auto yield = dyn_cast<YieldOp>(inner)) {
      for (auto [value, result] : llvm::zip(yield.getValues(), op.getResults())) {
        yields.push_back(tensors[value].func);
        yieldSlots.push_back(slotFor(result));
        yieldShapes.push_back(shapeOf(value.getType()));
      }
      continue;
    }
    FailureOr<Halide::Func> written = lowerOp(&inner);
    if (failed(written))
      return failure();
    if (!written->defined())
      continue;
    writes.push_back(*written);
    if (auto update = dyn_cast<UpdateOp>(inner)) {
      for (Value target : update.getTargets())
        writeSlots.push_back(slotFor(target));
      writeShapes.push_back(shapeOf(update.getTargets()[0].getType()));
      continue;
    }
    // Without an optimizer, a gradient marker returns the gradient.
    auto pg = cast<ParamGradOp>(inner);
    // A copy: newSlot grows plan.slots, which would leave a reference dangling.
    const Slot param = plan.slots[slotFor(pg.getParam())];
    writeSlots.push_back(newSlot({Slot::Kind::ParamGrad, param.name + ".grad", param.shape,
                                  false, param.index}));
    writeShapes.push_back(param.shape);
  }
  // Yields first, then in-place writes: the order of the pipeline's outputs
  // (the yield ends the body, so the writes come first in it).
  funcs.outputs = yields;
  funcs.outputs.insert(funcs.outputs.end(), writes.begin(), writes.end());
  funcs.outputShapes = yieldShapes;
  funcs.outputShapes.insert(funcs.outputShapes.end(), writeShapes.begin(), writeShapes.end());
  call.outputs = yieldSlots;
  call.outputs.insert(call.outputs.end(), writeSlots.begin(), writeSlots.end());
  if (funcs.outputs.empty())
    return op.emitError("kernel has no outputs");

  if (options.schedule && !options.gpu)
    kernel.candidates = scheduleCandidates(funcs, options.vectorWidth);
  std::string err;
  if (!options.gpu)
    err = scheduleLoweredKernel(funcs, kernel.choice, options.schedule, options.vectorWidth,
                                options.batchEstimate);
  else if (!kernel.choice.autoscheduler.empty() && funcs.anchor != KernelFuncs::Anchor::Scan)
    err = autoscheduleGpuKernel(funcs, kernel.choice.autoscheduler, options.batchEstimate,
                                options.target, kernel.unusableSchedule);
  else
    err = scheduleGpuKernel(funcs);
  if (!err.empty())
    return op.emitError(err);
  kernel.pipeline = Halide::Pipeline(funcs.outputs);
  kernel.arguments = arguments;
  model.kernels.push_back(kernel);
  plan.calls.push_back(call);
  return success();
}

LogicalResult FunctionLowering::lowerFunction(func::FuncOp func) {
  plan.name = func.getSymName().str();
  for (Operation &op : func.getBody().front()) {
    if (auto kernelOp = dyn_cast<KernelOp>(op)) {
      if (failed(lowerKernel(kernelOp)))
        return failure();
      continue;
    }
    if (auto sum = dyn_cast<AllReduceOp>(op)) {
      // The sum is written in place: its results are its inputs' buffers,
      // which only kernels have written (kiln-data-parallel weights every
      // gradient in a kernel first).
      GradientBucket bucket{static_cast<int64_t>(sum.getBucket()), {}, plan.calls.size(),
                            sum.getStatistic()};
      for (auto [input, result] : llvm::zip(sum.getInputs(), sum.getResults())) {
        if (!input.getDefiningOp<KernelOp>())
          return sum.emitError("a summed gradient must be computed by a kernel");
        int slot = slotFor(input);
        if (llvm::any_of(plan.buckets, [&](const GradientBucket &b) {
              return llvm::is_contained(b.slots, slot);
            }) || llvm::is_contained(bucket.slots, slot))
          return sum.emitError("a gradient is summed twice");
        bucket.slots.push_back(slot);
        slots[result] = slot;
      }
      plan.buckets.push_back(std::move(bucket));
      continue;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands()) {
        if (!v.getDefiningOp<KernelOp>())
          return ret.emitError("a function result must be computed by a kernel");
        int slot = slotFor(v);
        plan.slots[slot].kind = Slot::Kind::Result;
        plan.results.push_back(slot);
      }
      continue;
    }
    if (!isa<InputOp, ParamOp, StateOp, HyperparamOp, StepOp, BatchOp, BatchShareOp,
             BatchOffsetOp, FillOp, arith::ConstantOp>(op))
      return op.emitError("expected only kernels and storage ops after partitioning, found '")
             << op.getName() << "'";
  }
  return success();
}

FailureOr<LoweredModel> kiln::lowerToHalide(ModuleOp module, const CodegenOptions &options) {
  LoweredModel model;
  readModuleAttributes(module, model);
  model.functions.reserve(3);
  for (llvm::StringRef fn : {"train_step", "predict", "evaluate"}) {
    auto func = module.lookupSymbol<func::FuncOp>(fn);
    if (!func)
      continue;
    model.functions.emplace_back();
    FunctionLowering lowering(model, options, model.functions.back());
    if (failed(lowering.lowerFunction(func)))
      return failure();
  }
  return model;
}
