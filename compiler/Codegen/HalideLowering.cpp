//===- HalideLowering.cpp - kiln kernels to Halide Func graphs ------------===//
//
// The algorithm half of code generation: each kiln op in a kernel becomes a
// Halide Func, by one rule per op (lowerOp). Indices are written in the
// tensor's row-major order; `Tensor::at` reverses them into Halide's
// innermost-first argument order. Schedules.cpp decides how it runs.
//
//===----------------------------------------------------------------------===//
#include "Codegen/HalideLowering.h"
#include "Codegen/RecurrentScan.h"
#include "Codegen/Schedules.h"

#include "Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace kiln;

namespace {

/// A tensor value inside a kernel: a Func and its extents, outermost first.
struct Tensor {
  Halide::Func func;
  std::vector<Halide::Expr> extents;

  /// Element at row-major indices `idx`.
  Halide::Expr at(std::vector<Halide::Expr> idx) const {
    std::reverse(idx.begin(), idx.end());
    return func(idx);
  }
  int rank() const { return static_cast<int>(extents.size()); }
};

std::vector<int64_t> shapeOf(Type type) {
  std::vector<int64_t> shape;
  for (int64_t d : cast<RankedTensorType>(type).getShape())
    shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
  return shape;
}

/// Lowers one function's kernels, appending to the model's kernels and plan.
class FunctionLowering {
public:
  FunctionLowering(LoweredModel &model, const CodegenOptions &options, FunctionPlan &plan)
      : model(model), options(options), plan(plan),
        ft(options.useDouble ? Halide::Float(64) : Halide::Float(32)) {}

  LogicalResult lowerFunction(func::FuncOp func);

private:
  LogicalResult lowerKernel(KernelOp kernel);
  FailureOr<Tensor> lowerOp(Operation *op);
  Tensor tensorOf(Value v);
  /// The Exprs an elementwise body yields at row-major index `idx`.
  FailureOr<std::vector<Halide::Expr>> lowerBody(Block &body, ValueRange operands,
                                                 const std::vector<Halide::Expr> &idx);
  std::pair<Halide::Func, Halide::Func> softmaxStats(const Tensor &logits);
  /// `t` seen as rows: every dimension but the last (`columns`), or every
  /// dimension, flattened into one row index; [rows, C] or [rows]. `t`
  /// itself when there is nothing to flatten.
  Tensor rowsOf(const Tensor &t, bool columns) {
    int leading = t.rank() - (columns ? 1 : 0);
    if (leading <= 1)
      return t;
    Halide::Expr rows = t.extents[0];
    for (int d = 1; d < leading; ++d)
      rows = rows * t.extents[d];
    Halide::Var row("row"), column("column");
    std::vector<Halide::Expr> idx(leading);
    Halide::Expr rest = row;
    for (int d = leading - 1; d >= 1; --d) {
      idx[d] = rest % t.extents[d];
      rest = rest / t.extents[d];
    }
    idx[0] = rest;
    Halide::Func view(uniqueName("rows"));
    if (!columns) {
      view(row) = t.at(idx);
      return Tensor{view, {rows}};
    }
    idx.push_back(column);
    view(column, row) = t.at(idx);
    return Tensor{view, {rows, t.extents.back()}};
  }
  /// A reduction domain over every element of `t`, innermost dimension
  /// first, and the row-major index it stands for.
  std::pair<Halide::RDom, std::vector<Halide::Expr>> everyElement(const Tensor &t) {
    std::vector<Halide::Range> ranges;
    for (int d = t.rank() - 1; d >= 0; --d)
      ranges.emplace_back(0, t.extents[d]);
    Halide::RDom r(ranges, uniqueName("r"));
    std::vector<Halide::Expr> idx(t.rank());
    for (int d = 0; d < t.rank(); ++d)
      idx[d] = r[t.rank() - 1 - d];
    return {r, idx};
  }
  /// Vectorizes a health reduction's per-column stage (both definitions)
  /// across `v`, when schedules are on.
  void vectorizeHealth(Halide::Func f, Halide::Var v) {
    if (!options.schedule)
      return;
    int vec = options.vectorWidth > 0 ? options.vectorWidth
                                      : Halide::get_host_target().natural_vector_size(ft);
    f.vectorize(v, vec, Halide::TailStrategy::GuardWithIf);
    f.update().vectorize(v, vec, Halide::TailStrategy::GuardWithIf);
  }
  FailureOr<Tensor> lowerWindowOp(Operation *op);
  RecurrentOperands recurrentOperands(llvm::StringRef cell, Value input, Value weight,
                                      Value bias) {
    auto type = cast<RankedTensorType>(input.getType());
    auto units = static_cast<int>(cast<RankedTensorType>(weight.getType()).getDimSize(0));
    return RecurrentOperands{cell.str(),
                             tensorOf(input).func,
                             tensorOf(weight).func,
                             tensorOf(bias).func,
                             batch,
                             static_cast<int>(type.getDimSize(1)),
                             units,
                             ft,
                             uniqueName(cell)};
  }
  Halide::Expr scalar(Value v);
  Tensor external(Value v);
  int slotFor(Value v);
  int newSlot(Slot slot) {
    plan.slots.push_back(std::move(slot));
    return static_cast<int>(plan.slots.size()) - 1;
  }
  std::vector<Halide::Expr> extentsOf(Type type) {
    std::vector<Halide::Expr> extents;
    for (int64_t d : cast<RankedTensorType>(type).getShape())
      extents.push_back(ShapedType::isDynamic(d) ? Halide::Expr(batch)
                                                 : Halide::Expr(static_cast<int>(d)));
    return extents;
  }
  std::string uniqueName(llvm::StringRef base) {
    return (base + "_" + llvm::Twine(counter++)).str();
  }
  std::vector<Halide::Var> vars(int rank) {
    static const char *names[] = {"i", "j", "k", "l", "m", "n"};
    std::vector<Halide::Var> v;
    for (int d = 0; d < rank; ++d)
      v.emplace_back(names[d % 6]);
    return v;
  }
  std::vector<Halide::Expr> exprs(const std::vector<Halide::Var> &v) {
    return std::vector<Halide::Expr>(v.begin(), v.end());
  }
  /// Defines `f` over row-major `v` as `body`.
  void define(Halide::Func &f, const std::vector<Halide::Var> &v, Halide::Expr body) {
    std::vector<Halide::Var> rev(v.rbegin(), v.rend());
    f(rev) = body;
  }

  LoweredModel &model;
  const CodegenOptions &options;
  FunctionPlan &plan;
  Halide::Type ft;
  unsigned counter = 0;

  // Per function.
  llvm::DenseMap<Value, int> slots;

  // Per kernel.
  Halide::Param<int32_t> batch{"batch"};
  llvm::DenseMap<Value, Tensor> tensors;
  llvm::DenseMap<Value, Halide::Expr> scalars;
  std::vector<Halide::Argument> arguments;
  KernelCall call;
  KernelFuncs funcs;
  LoweredKernel kernel;
};

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

int FunctionLowering::slotFor(Value v) {
  auto it = slots.find(v);
  if (it != slots.end())
    return it->second;
  Operation *def = v.getDefiningOp();
  Slot slot;
  if (auto input = dyn_cast<InputOp>(def)) {
    int index = indexByName(input.getName(), model.inputs);
    if (index < 0) {
      model.inputs.push_back({input.getName().str(), shapeOf(v.getType()),
                              !cast<RankedTensorType>(v.getType()).getElementType().isF32(),
                              input.getName() == model.labelName});
      index = static_cast<int>(model.inputs.size()) - 1;
    }
    slot = {Slot::Kind::Input, input.getName().str(), shapeOf(v.getType()),
            model.inputs[index].isInt, index};
  } else if (auto param = dyn_cast<ParamOp>(def)) {
    int index = indexByName(param.getName(), model.params);
    if (index < 0) {
      model.params.push_back({param.getName().str(), shapeOf(v.getType()), param.getInit().str(),
                              !param.getFrozen()});
      index = static_cast<int>(model.params.size()) - 1;
    }
    slot = {Slot::Kind::Param, param.getName().str(), shapeOf(v.getType()), false, index};
  } else if (auto state = dyn_cast<StateOp>(def)) {
    int index = indexByName(state.getName(), model.states);
    if (index < 0) {
      model.states.push_back({state.getName().str(), indexByName(state.getParam(), model.params),
                              state.getInit().convertToDouble()});
      index = static_cast<int>(model.states.size()) - 1;
    }
    slot = {Slot::Kind::State, state.getName().str(), shapeOf(v.getType()), false, index};
  } else if (isa<StepOp>(def)) {
    slot = {Slot::Kind::Step, "step", {}, false, 0};
  } else if (auto hyper = dyn_cast<HyperparamOp>(def)) {
    int index = indexByName(hyper.getName(), model.hyperparams);
    if (index < 0) {
      model.hyperparams.push_back(hyperparamDesc(hyper));
      index = static_cast<int>(model.hyperparams.size()) - 1;
    }
    slot = {Slot::Kind::Hyperparam, hyper.getName().str(), {}, false, index};
  } else {
    slot = {Slot::Kind::Temp, "t" + std::to_string(plan.slots.size()), shapeOf(v.getType()),
            false, -1};
  }
  int id = newSlot(slot);
  slots[v] = id;
  return id;
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
  std::string name = plan.slots[slot].name;
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  Halide::ImageParam image(elem, type.getRank(), name);
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

/// One op of an elementwise body on scalar Exprs, by a rule per op.
static FailureOr<Halide::Expr> lowerScalarOp(Operation &op, ArrayRef<Halide::Expr> a,
                                             Halide::Type ft) {
  using E = FailureOr<Halide::Expr>;
  return llvm::TypeSwitch<Operation *, E>(&op)
      .Case([&](arith::ConstantOp c) -> E {
        return Halide::cast(ft, Halide::Expr(cast<FloatAttr>(c.getValue()).getValueAsDouble()));
      })
      .Case([&](arith::AddFOp) -> E { return a[0] + a[1]; })
      .Case([&](arith::SubFOp) -> E { return a[0] - a[1]; })
      .Case([&](arith::MulFOp) -> E { return a[0] * a[1]; })
      .Case([&](arith::DivFOp) -> E { return a[0] / a[1]; })
      .Case([&](arith::NegFOp) -> E { return -a[0]; })
      .Case([&](arith::MaximumFOp) -> E { return Halide::max(a[0], a[1]); })
      .Case([&](arith::MinimumFOp) -> E { return Halide::min(a[0], a[1]); })
      .Case([&](arith::SelectOp) -> E { return Halide::select(a[0], a[1], a[2]); })
      .Case([&](arith::CmpFOp cmp) -> E {
        using P = arith::CmpFPredicate;
        switch (cmp.getPredicate()) {
        case P::OGT: case P::UGT: return a[0] > a[1];
        case P::OGE: case P::UGE: return a[0] >= a[1];
        case P::OLT: case P::ULT: return a[0] < a[1];
        case P::OLE: case P::ULE: return a[0] <= a[1];
        case P::OEQ: case P::UEQ: return a[0] == a[1];
        case P::ONE: case P::UNE: return a[0] != a[1];
        default: return cmp.emitError("no Halide lowering for this arith.cmpf predicate");
        }
      })
      .Case([&](math::SqrtOp) -> E { return Halide::sqrt(a[0]); })
      .Case([&](math::PowFOp) -> E { return Halide::pow(a[0], a[1]); })
      .Case([&](math::AbsFOp) -> E { return Halide::abs(a[0]); })
      .Case([&](math::ExpOp) -> E { return Halide::exp(a[0]); })
      .Case([&](math::LogOp) -> E { return Halide::log(a[0]); })
      .Case([&](math::TanhOp) -> E { return Halide::tanh(a[0]); })
      .Case([&](math::ErfOp) -> E {
        // Halide's erf is float32 only; float64 (gradient checks) calls libm.
        if (a[0].type().is_float() && a[0].type().bits() == 64)
          return Halide::Internal::Call::make(a[0].type(), "erf", {a[0]},
                                              Halide::Internal::Call::PureExtern);
        // Halide's float32 erf raises a polynomial in |x| to the power -16,
        // which overflows into NaN for |x| above about 1e7. erf(x) rounds to
        // +-1 in float32 from |x| = 4 on, so clamping at 16 changes nothing
        // else.
        return Halide::erf(Halide::clamp(a[0], -16.0f, 16.0f));
      })
      .Default([&](Operation *other) -> E {
        return other->emitError("no Halide lowering for '") << other->getName()
               << "' in an elementwise body";
      });
}

namespace {
/// True when component k of an update's new values depends on no target
/// before k: storing the components in order then never changes a value a
/// later component reads.
bool readsOnlyUnwrittenTargets(UpdateOp update) {
  Block &body = update.getBody().front();
  unsigned numTargets = update.getTargets().size();
  auto values = cast<YieldOp>(body.getTerminator()).getValues();
  for (auto [k, value] : llvm::enumerate(values)) {
    SmallVector<Value> work{value};
    llvm::DenseSet<Value> seen;
    while (!work.empty()) {
      Value v = work.pop_back_val();
      if (!seen.insert(v).second)
        continue;
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        if (arg.getOwner() == &body && arg.getArgNumber() < std::min<unsigned>(k, numTargets))
          return false;
        continue;
      }
      if (Operation *def = v.getDefiningOp())
        work.append(def->operand_begin(), def->operand_end());
    }
  }
  return true;
}
} // namespace

FailureOr<std::vector<Halide::Expr>>
FunctionLowering::lowerBody(Block &body, ValueRange operands,
                            const std::vector<Halide::Expr> &idx) {
  llvm::DenseMap<Value, Halide::Expr> values;
  for (auto [arg, operand] : llvm::zip(body.getArguments(), operands)) {
    Tensor t = tensorOf(operand);
    values[arg] = t.rank() == 0 ? t.at({}) : t.at(idx);
  }
  auto lookup = [&](Value v) {
    auto it = values.find(v);
    return it != values.end() ? it->second : Halide::cast(ft, scalar(v));
  };
  for (Operation &op : body.without_terminator()) {
    std::vector<Halide::Expr> args;
    for (Value v : op.getOperands())
      args.push_back(lookup(v));
    FailureOr<Halide::Expr> e = lowerScalarOp(op, args, ft);
    if (failed(e))
      return failure();
    values[op.getResult(0)] = *e;
  }
  std::vector<Halide::Expr> results;
  for (Value v : cast<YieldOp>(body.getTerminator()).getValues())
    results.push_back(lookup(v));
  return results;
}

FailureOr<Tensor> FunctionLowering::lowerOp(Operation *op) {
  auto get = [&](Value v) { return tensorOf(v); };
  auto elementwise = [&](Value like, auto body) -> Tensor {
    auto type = cast<RankedTensorType>(like.getType());
    std::vector<Halide::Var> v = vars(type.getRank());
    Halide::Func f(uniqueName(op->getName().stripDialect()));
    define(f, v, body(exprs(v)));
    return {f, extentsOf(type)};
  };

  return llvm::TypeSwitch<Operation *, FailureOr<Tensor>>(op)
      .Case([&](MatmulOp m) -> FailureOr<Tensor> {
        // Leading dimensions of the left side (rank > 2) stay dimensions of
        // the product, prod(j, ..., n): its rows are every leading index.
        // With transpose_lhs they are the contraction instead, which then
        // runs over both sides' leading dimensions (an RDom of that rank), so
        // that every read is affine in the loop variables.
        Tensor a = get(m.getLhs()), b = get(m.getRhs());
        bool ta = m.getTransposeLhs(), tb = m.getTransposeRhs();
        int last = a.rank() - 1;
        auto type = cast<RankedTensorType>(m.getType());
        funcs.anchor = KernelFuncs::Anchor::Matmul;
        Halide::Var j("j");
        Halide::Func prod(uniqueName("matmul"));
        if (ta) {
          // Result [K, M]: sum over leading indices p of a[p, i] b[p, j].
          Halide::Region extents;
          for (int d = last; d-- > 0;)
            extents.push_back({0, a.extents[d]});
          Halide::RDom r(extents, uniqueName("r"));
          std::vector<Halide::Expr> p;
          for (int d = last; d-- > 0;)
            p.push_back(r[d]);
          auto at = [&](const Tensor &t, Halide::Expr col) {
            std::vector<Halide::Expr> idx = p;
            idx.push_back(col);
            return t.at(idx);
          };
          if (tb && last > 1)
            return m.emitError("no Halide lowering for transpose_lhs and transpose_rhs with a "
                               "left side of rank ")
                   << a.rank();
          Halide::Var i("i");
          Halide::Expr bv = tb ? b.at({j, r[0]}) : at(b, j);
          prod(j, i) = Halide::cast(ft, 0);
          prod(j, i) += at(a, i) * bv;
          funcs.prod = prod;
          funcs.reduction = r;
          return Tensor{prod, extentsOf(type)};
        }
        // Contract with Schedules.cpp: a schedule may compute past the end
        // of a dynamic (batch) row extent, never past a static one. Such rows
        // read the last real row and are never stored.
        std::vector<Halide::Var> v = vars(type.getRank());
        std::vector<Halide::Expr> row(v.begin(), v.end() - 1);
        for (size_t d = 0; d < row.size(); ++d)
          if (type.isDynamicDim(d))
            row[d] = Halide::clamp(v[d], 0, a.extents[d] - 1);
        Halide::RDom r(0, a.extents[last], uniqueName("r"));
        // The left side's rows as a Func of their own, lhs(k, i...), so that
        // a schedule can copy a block of rows next to each other.
        Halide::Func lhs(uniqueName("lhs"));
        std::vector<Halide::Var> lv(v.begin(), v.end() - 1);
        std::vector<Halide::Expr> ai(row);
        Halide::Var kv("kk");
        ai.push_back(kv);
        lv.push_back(kv);
        std::vector<Halide::Var> lrev(lv.rbegin(), lv.rend());
        lhs(lrev) = a.at(ai);
        funcs.lhs = lhs;
        std::vector<Halide::Expr> lat(v.begin(), v.end() - 1);
        lat.push_back(r);
        std::reverse(lat.begin(), lat.end());
        Halide::Expr av = lhs(lat);
        Halide::Expr bv = b.at({r, v.back()});
        if (tb) {
          // Read B^T from a copy in that order: a vector of the product's
          // columns is then one load, not a gather across B's rows.
          Halide::Func block(uniqueName("transpose_block"));
          Halide::Var c("c"), k("k");
          block(k, c) = b.at({c, k});
          std::vector<int64_t> bShape = shapeOf(m.getRhs().getType());
          Halide::Func bt =
              funcs.transposeOf(block, uniqueName("transposed"), {bShape[0], bShape[1]});
          bv = bt(v.back(), r);
        }
        std::vector<Halide::Var> rev(v.rbegin(), v.rend());
        prod(rev) = Halide::cast(ft, 0);
        prod(rev) += av * bv;
        funcs.prod = prod;
        funcs.reduction = r;
        return Tensor{prod, extentsOf(type)};
      })
      .Case([&](BiasAddOp b) {
        Tensor x = get(b.getInput()), bias = get(b.getBias());
        int axis = static_cast<int>(b.getAxis());
        return elementwise(b.getResult(), [&](std::vector<Halide::Expr> v) {
          return x.at(v) + bias.at({v[axis]});
        });
      })
      .Case([&](AddOp a) {
        Tensor x = get(a.getLhs()), y = get(a.getRhs());
        return elementwise(a.getResult(), [&](std::vector<Halide::Expr> v) {
          return x.at(v) + y.at(v);
        });
      })
      .Case([&](ReluOp r) {
        Tensor x = get(r.getInput());
        return elementwise(r.getResult(), [&](std::vector<Halide::Expr> v) {
          return Halide::max(x.at(v), Halide::cast(ft, 0));
        });
      })
      .Case([&](ReluGradOp r) {
        Tensor dy = get(r.getGrad()), y = get(r.getOutput());
        return elementwise(r.getResult(), [&](std::vector<Halide::Expr> v) {
          return Halide::select(y.at(v) > 0, dy.at(v), Halide::cast(ft, 0));
        });
      })
      .Case([&](ReduceSumOp s) -> FailureOr<Tensor> {
        Tensor x = get(s.getInput());
        int axis = static_cast<int>(s.getAxis());
        Halide::RDom r(0, x.extents[axis], uniqueName("r"));
        auto type = cast<RankedTensorType>(s.getType());
        std::vector<Halide::Var> v = vars(type.getRank());
        std::vector<Halide::Expr> idx = exprs(v);
        idx.insert(idx.begin() + axis, r);
        Halide::Func sum(uniqueName("reduce_sum"));
        define(sum, v, Halide::cast(ft, 0));
        std::vector<Halide::Expr> lhs(v.rbegin(), v.rend());
        sum(lhs) += x.at(idx);
        funcs.anchor = KernelFuncs::Anchor::Reduce;
        funcs.prod = sum;
        funcs.reduction = r;
        return Tensor{sum, extentsOf(type)};
      })
      .Case([&](SoftmaxCrossEntropyOp s) -> FailureOr<Tensor> {
        Tensor z = rowsOf(get(s.getLogits()), true), y = rowsOf(get(s.getLabels()), false);
        auto [rowMax, rowSum] = softmaxStats(z);
        Halide::Expr n = z.extents[0], classes = z.extents[1];
        Halide::RDom r(0, n, uniqueName("r"));
        Halide::Expr label = Halide::clamp(y.at({r}), 0, classes - 1);
        Halide::Func loss(uniqueName("softmax_cross_entropy"));
        // (max - z[y]) + log(sum), in that order: next to a large maximum,
        // max + log(sum) would lose the log (1e30 + log 2 - 1e30 = 0), and
        // strict_float keeps Halide from reassociating it that way.
        loss() = Halide::sum(Halide::strict_float((rowMax(r) - z.at({r, label})) +
                                                  Halide::log(rowSum(r)))) /
                 Halide::cast(ft, n);
        return Tensor{loss, {}};
      })
      .Case([&](SoftmaxCrossEntropyGradOp s) -> FailureOr<Tensor> {
        Tensor g = get(s.getGrad()), z = rowsOf(get(s.getLogits()), true);
        Tensor y = rowsOf(get(s.getLabels()), false);
        auto [rowMax, rowSum] = softmaxStats(z);
        Halide::Expr n = z.extents[0];
        std::vector<Halide::Expr> leading = get(s.getLabels()).extents;
        return elementwise(s.getResult(), [&](std::vector<Halide::Expr> v) {
          Halide::Expr row = v[0];
          for (size_t d = 1; d < leading.size(); ++d)
            row = row * leading[d] + v[d];
          Halide::Expr p = Halide::exp(z.at({row, v.back()}) - rowMax(row)) / rowSum(row);
          Halide::Expr onehot = Halide::select(v.back() == y.at({row}), Halide::cast(ft, 1),
                                               Halide::cast(ft, 0));
          return g.at({}) * (p - onehot) / Halide::cast(ft, n);
        });
      })
      .Case([&](SumOp sum) -> FailureOr<Tensor> {
        Tensor x = get(sum.getInput());
        auto [r, idx] = everyElement(x);
        Halide::Func total(uniqueName("sum"));
        total() = Halide::cast(ft, 0);
        total() += x.at(idx);
        funcs.anchor = KernelFuncs::Anchor::Reduce;
        funcs.prod = total;
        funcs.reduction = r;
        return Tensor{total, {}};
      })
      .Case([&](SumOfSquaresOp sum) -> FailureOr<Tensor> {
        // Column sums first (vectorizable across the innermost axis), then
        // their total: no long chain of dependent additions.
        Tensor x = get(sum.getInput());
        if (x.rank() == 0)
          return Tensor{x.func, {}};
        int inner = x.rank() - 1;
        Halide::Var j(uniqueName("j"));
        Halide::Func columns(uniqueName("column_squares"));
        columns(j) = Halide::cast(ft, 0);
        if (x.rank() > 1) {
          std::vector<Halide::Range> outer;
          for (int k = inner - 1; k >= 0; --k)
            outer.emplace_back(0, x.extents[k]);
          Halide::RDom r(outer, uniqueName("r"));
          std::vector<Halide::Expr> idx(x.rank());
          for (int k = 0; k < inner; ++k)
            idx[k] = r[inner - 1 - k];
          idx[inner] = j;
          Halide::Expr value = x.at(idx);
          columns(j) += value * value;
        } else {
          Halide::Expr value = x.at({j});
          columns(j) += value * value;
        }
        columns.compute_root();
        vectorizeHealth(columns, j);
        Halide::RDom r(0, x.extents[inner], uniqueName("r"));
        Halide::Func total(uniqueName("sum_of_squares"));
        total() = Halide::cast(ft, 0);
        total() += columns(r);
        funcs.anchor = KernelFuncs::Anchor::Reduce;
        funcs.prod = total;
        funcs.reduction = r;
        return Tensor{total, {}};
      })
      .Case([&](DeadUnitsOp d) -> FailureOr<Tensor> {
        // active(u): whether any element of unit u is above zero; the
        // result counts the units that are not.
        Tensor x = get(d.getInput());
        int axis = static_cast<int>(d.getUnitAxis());
        std::vector<Halide::Range> others;
        for (int k = x.rank() - 1; k >= 0; --k)
          if (k != axis)
            others.emplace_back(0, x.extents[k]);
        Halide::RDom r(others, uniqueName("r"));
        Halide::Var u(uniqueName("u"));
        std::vector<Halide::Expr> idx(x.rank());
        for (int k = 0, slot = static_cast<int>(others.size()) - 1; k < x.rank(); ++k)
          idx[k] = k == axis ? Halide::Expr(u) : Halide::Expr(r[slot--]);
        Halide::Func active(uniqueName("active"));
        active(u) = 0;
        active(u) = Halide::max(active(u), Halide::select(x.at(idx) > 0, 1, 0));
        active.compute_root();
        if (axis == x.rank() - 1)
          vectorizeHealth(active, u);
        Halide::RDom units(0, x.extents[axis], uniqueName("r"));
        Halide::Func dead(uniqueName("dead_units"));
        dead() = Halide::cast(ft, 0);
        dead() += Halide::cast(ft, 1 - active(units));
        funcs.anchor = KernelFuncs::Anchor::Reduce;
        funcs.prod = dead;
        funcs.reduction = units;
        return Tensor{dead, {}};
      })
      .Case([&](LogSoftmaxOp l) -> FailureOr<Tensor> {
        Tensor z = get(l.getInput());
        auto [rowMax, rowSum] = softmaxStats(z);
        // (z - max) - log(sum): strict_float keeps Halide from reassociating
        // it into z - (max + log(sum)), which loses the log next to a large
        // maximum.
        return elementwise(l.getResult(), [&](std::vector<Halide::Expr> v) {
          return Halide::strict_float((z.at(v) - rowMax(v[0])) - Halide::log(rowSum(v[0])));
        });
      })
      .Case([&](BroadcastOp b) {
        Tensor x = get(b.getInput());
        return elementwise(b.getResult(), [&](std::vector<Halide::Expr> v) {
          v.erase(v.begin() + b.getAxis());
          return x.at(v);
        });
      })
      .Case([&](ReshapeOp r) {
        // Row-major position within a sample, then the input's indices of it.
        Tensor x = get(r.getInput());
        auto outShape = cast<RankedTensorType>(r.getType()).getShape();
        auto inShape = cast<RankedTensorType>(r.getInput().getType()).getShape();
        return elementwise(r.getResult(), [&](std::vector<Halide::Expr> v) {
          Halide::Expr flat = 0;
          for (size_t d = 1; d < outShape.size(); ++d)
            flat = flat * static_cast<int>(outShape[d]) + v[d];
          std::vector<Halide::Expr> idx(inShape.size());
          idx[0] = v[0];
          for (size_t d = inShape.size() - 1; d >= 1; --d) {
            idx[d] = flat % static_cast<int>(inShape[d]);
            flat = flat / static_cast<int>(inShape[d]);
          }
          return x.at(idx);
        });
      })
      .Case([&](DropoutOp d) {
        // A counter-based generator: a 32-bit integer hash of (seed, step,
        // row-major element index), its top 24 bits as u in [0, 1).
        Tensor x = get(d.getInput());
        Halide::Expr rate = scalar(d.getRate()), step = scalar(d.getStep());
        uint32_t seed = static_cast<uint32_t>(d.getSeed()) * 0x85ebca6bu + 0x27d4eb2fu;
        return elementwise(d.getResult(), [&](std::vector<Halide::Expr> v) {
          Halide::Expr flat = Halide::cast<uint32_t>(v[0]);
          for (int k = 1; k < x.rank(); ++k)
            flat = flat * Halide::cast<uint32_t>(x.extents[k]) + Halide::cast<uint32_t>(v[k]);
          Halide::Expr h = flat * Halide::Expr(0x9e3779b9u) +
                           Halide::cast<uint32_t>(step) * Halide::Expr(0xc2b2ae35u) +
                           Halide::Expr(seed);
          h = h ^ (h >> 16);
          h = h * Halide::Expr(0x7feb352du);
          h = h ^ (h >> 15);
          h = h * Halide::Expr(0x846ca68bu);
          h = h ^ (h >> 16);
          Halide::Expr u = Halide::cast(ft, h >> 8) * Halide::cast(ft, Halide::Expr(1.0 / 16777216.0));
          return Halide::select(u >= rate, x.at(v) / (Halide::cast(ft, 1) - rate),
                                Halide::cast(ft, 0));
        });
      })
      .Case([&](ConcatOp c) {
        // A chain of selects on the position along the axis, the last input
        // innermost; each input's index is clamped into it, so that every
        // read is in bounds.
        int axis = static_cast<int>(c.getAxis());
        std::vector<Tensor> inputs;
        std::vector<int> starts;
        int start = 0;
        for (Value v : c.getInputs()) {
          inputs.push_back(get(v));
          starts.push_back(start);
          start += static_cast<int>(cast<RankedTensorType>(v.getType()).getDimSize(axis));
        }
        return elementwise(c.getResult(), [&](std::vector<Halide::Expr> v) {
          auto read = [&](size_t k) {
            std::vector<Halide::Expr> idx = v;
            idx[axis] = Halide::clamp(v[axis] - starts[k], 0, inputs[k].extents[axis] - 1);
            return inputs[k].at(idx);
          };
          Halide::Expr value = read(inputs.size() - 1);
          for (size_t k = inputs.size() - 1; k-- > 0;)
            value = Halide::select(v[axis] < starts[k + 1], read(k), value);
          return value;
        });
      })
      .Case([&](SliceOp sl) {
        // Where the window leaves the input, a clamped read and a zero.
        Tensor x = get(sl.getInput());
        int axis = static_cast<int>(sl.getAxis()), offset = static_cast<int>(sl.getOffset());
        int size = static_cast<int>(cast<RankedTensorType>(sl.getType()).getDimSize(axis));
        int extent = static_cast<int>(
            cast<RankedTensorType>(sl.getInput().getType()).getDimSize(axis));
        bool inside = offset >= 0 && offset + size <= extent;
        return elementwise(sl.getResult(), [&](std::vector<Halide::Expr> v) {
          Halide::Expr position = v[axis] + offset;
          if (inside) {
            v[axis] = position;
            return x.at(v);
          }
          v[axis] = Halide::clamp(position, 0, extent - 1);
          return Halide::select(position >= 0 && position < extent, x.at(v),
                                Halide::cast(ft, 0));
        });
      })
      .Case([&](GatherOp g) {
        Tensor table = get(g.getTable()), ids = get(g.getIndices());
        Halide::Expr rows = table.extents[0];
        return elementwise(g.getResult(), [&](std::vector<Halide::Expr> v) {
          Halide::Expr column = v.back();
          v.pop_back();
          return table.at({Halide::clamp(ids.at(v), 0, rows - 1), column});
        });
      })
      .Case([&](ScatterAddOp sc) -> FailureOr<Tensor> {
        // result(d, row) += grad(p..., d) over every position p, the row
        // being the index at p: a reduction whose destination is data.
        Tensor dy = get(sc.getGrad()), ids = get(sc.getIndices());
        auto type = cast<RankedTensorType>(sc.getType());
        auto [r, position] = everyElement(ids);
        Halide::Var column("j"), row("i");
        Halide::Func sum(uniqueName("scatter_add"));
        sum(column, row) = Halide::cast(ft, 0);
        Halide::Expr target = Halide::clamp(ids.at(position), 0, static_cast<int>(type.getDimSize(0)) - 1);
        std::vector<Halide::Expr> at = position;
        at.push_back(column);
        sum(column, target) += dy.at(at);
        funcs.anchor = KernelFuncs::Anchor::Reduce;
        funcs.prod = sum;
        funcs.reduction = r;
        return Tensor{sum, extentsOf(type)};
      })
      .Case([&](RecurrentOp rec) -> FailureOr<Tensor> {
        Halide::Func hs = lowerRecurrent(
            recurrentOperands(rec.getCell(), rec.getInput(), rec.getWeight(), rec.getBias()),
            funcs);
        return Tensor{hs, extentsOf(rec.getType())};
      })
      .Case<Conv2DOp, Conv2DGradInputOp, Conv2DGradFilterOp, Pool2DOp, Pool2DGradOp>(
          [&](Operation *w) { return lowerWindowOp(w); })
      .Case([&](ParamGradOp pg) -> FailureOr<Tensor> {
        Tensor g = get(pg.getGrad());
        return elementwise(pg.getGrad(),
                           [&](std::vector<Halide::Expr> v) { return g.at(v); });
      })
      .Default([&](Operation *other) -> FailureOr<Tensor> {
        return other->emitError("no Halide lowering for '") << other->getName() << "'";
      });
}

/// Convolutions, pooling and their gradients over NCHW tensors. Halide
/// indices run (x, y, channel, n); reads outside the input give `fill`
/// (zero, or minus/plus infinity for max/min pooling).
FailureOr<Tensor> FunctionLowering::lowerWindowOp(Operation *op) {
  using Halide::Expr;
  auto get = [&](Value v) { return tensorOf(v); };
  Halide::Var x("x"), y("y"), c("c"), n("n");
  auto attr = [&](llvm::StringRef name) {
    return static_cast<int>(cast<IntegerAttr>(op->getAttr(name)).getInt());
  };
  ArrayRef<int64_t> pad = cast<DenseI64ArrayAttr>(op->getAttr("padding")).asArrayRef();
  int stride = attr("stride");
  int dilation = op->hasAttr("dilation") ? attr("dilation") : 1;
  int top = static_cast<int>(pad[0]), left = static_cast<int>(pad[1]);
  Expr zero = Halide::cast(ft, 0);
  // input[n, ch, row, col] as a Func over (col, row, ch, n) that is `fill`
  // (zero, or an infinity for pooling) outside the image, so that reads of
  // a window need no test and a schedule can compute it once per image.
  auto padded = [&](const Tensor &in, Expr fill) {
    Expr h = in.extents[2], w = in.extents[3];
    Halide::Func p(uniqueName("padded"));
    p(x, y, c, n) = Halide::select(
        y >= 0 && y < h && x >= 0 && x < w,
        in.at({n, c, Halide::clamp(y, 0, h - 1), Halide::clamp(x, 0, w - 1)}), fill);
    funcs.windowInputs.push_back(p);
    return p;
  };
  // Reads of `in` where every window lies inside it (no padding): no copy.
  bool unpadded = llvm::all_of(pad, [](int64_t p) { return p == 0; });
  auto inPlace = [&](const Tensor &in) {
    Halide::Func p(uniqueName("window"));
    p(x, y, c, n) = in.at({n, c, y, x});
    return p;
  };
  // The output position whose window puts tap `k` on input position `pos`
  // along one axis, and whether there is one.
  auto source = [&](Expr pos, Expr k, int before, Expr outExtent) {
    Expr t = pos + before - k * dilation;
    Expr o = t / stride;
    Expr valid = t >= 0 && t % stride == 0 && o < outExtent;
    return std::make_pair(Halide::clamp(o, 0, outExtent - 1), valid);
  };
  auto result = [&](Halide::Func f, Value v) {
    funcs.anchor = KernelFuncs::Anchor::Window;
    funcs.prod = f;
    return Tensor{f, extentsOf(v.getType())};
  };

  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    Tensor in = get(conv.getInput()), w = get(conv.getFilter());
    Halide::RDom r(0, w.extents[3], 0, w.extents[2], 0, w.extents[1], uniqueName("r"));
    Halide::Func f(uniqueName("conv2d"));
    f(x, y, c, n) = zero;
    Halide::Func image = padded(in, zero);
    f(x, y, c, n) += image(x * stride + r.x * dilation - left, y * stride + r.y * dilation - top,
                           r.z, n) *
                     w.at({c, r.z, r.y, r.x});
    funcs.reduction = r;
    funcs.window = KernelFuncs::Window::PerImage;
    return result(f, conv.getResult());
  }
  if (auto grad = dyn_cast<Conv2DGradInputOp>(op)) {
    Tensor dy = get(grad.getGrad()), w = get(grad.getFilter());
    Halide::RDom r(0, w.extents[3], 0, w.extents[2], 0, w.extents[0], uniqueName("r"));
    // Input position (x, y) takes tap (r.x, r.y) from the output position
    // t / stride, t = position + padding - tap, when stride divides t; the
    // padded gradient is zero where no output position lies.
    Halide::Func grads = padded(dy, zero);
    Expr tx = x + left - r.x * dilation, ty = y + top - r.y * dilation;
    Expr term = grads(tx / stride, ty / stride, r.z, n) * w.at({r.z, c, r.y, r.x});
    if (stride > 1)
      term = Halide::select(tx % stride == 0 && ty % stride == 0, term, zero);
    Halide::Func f(uniqueName("conv2d_grad_input"));
    f(x, y, c, n) = zero;
    f(x, y, c, n) += term;
    funcs.reduction = r;
    funcs.window = KernelFuncs::Window::PerImage;
    return result(f, grad.getResult());
  }
  if (auto grad = dyn_cast<Conv2DGradFilterOp>(op)) {
    // Indices of the filter gradient: (tap column, tap row, in channel, out channel).
    Tensor dy = get(grad.getGrad()), in = get(grad.getInput());
    Halide::RDom r(0, dy.extents[3], 0, dy.extents[2], 0, dy.extents[0], uniqueName("r"));
    Halide::Func f(uniqueName("conv2d_grad_filter"));
    f(x, y, c, n) = zero;
    // Every position the reduction visits, with every tap, lies inside an
    // unpadded input: it is read in place.
    Halide::Func image = unpadded ? inPlace(in) : padded(in, zero);
    f(x, y, c, n) += dy.at({r.z, n, r.y, r.x}) *
                     image(r.x * stride + x * dilation - left, r.y * stride + y * dilation - top,
                           c, r.z);
    funcs.reduction = r;
    funcs.window = KernelFuncs::Window::Filter;
    return result(f, grad.getResult());
  }

  llvm::StringRef kind = cast<StringAttr>(op->getAttr("kind")).getValue();
  int k = attr("kernel");
  Halide::RDom r(0, k, 0, k, uniqueName("r"));
  Expr infinity = Halide::cast(ft, std::numeric_limits<float>::infinity());
  Expr fill = kind == "max" ? -infinity : kind == "min" ? infinity : zero;
  // Without padding every window lies inside the input (the output extent
  // is the number of whole windows): pooling reads it in place, a few reads
  // per element, rather than from a padded copy.
  auto pooled = [&](const Tensor &in) { return unpadded ? inPlace(in) : padded(in, fill); };
  if (auto pool = dyn_cast<Pool2DOp>(op)) {
    Tensor in = get(pool.getInput());
    Expr value = pooled(in)(x * stride + r.x - left, y * stride + r.y - top, c, n);
    Halide::Func f(uniqueName("pool2d"));
    if (kind == "max")
      f(x, y, c, n) = Halide::maximum(value);
    else if (kind == "min")
      f(x, y, c, n) = Halide::minimum(value);
    else
      f(x, y, c, n) = Halide::sum(value) / Halide::cast(ft, k * k);
    return result(f, pool.getResult());
  }
  auto grad = cast<Pool2DGradOp>(op);
  Tensor dy = get(grad.getGrad()), in = get(grad.getInput());
  // The winner of each window: its first extreme element in row-major order.
  Halide::Func winner(uniqueName("pool2d_winner"));
  if (kind != "avg") {
    Halide::RDom wr(0, k, 0, k, uniqueName("w"));
    Expr value = pooled(in)(x * stride + wr.x - left, y * stride + wr.y - top, c, n);
    winner(x, y, c, n) = kind == "max" ? Halide::argmax(wr, value) : Halide::argmin(wr, value);
    funcs.roots.push_back(winner);
  }
  Halide::Func f(uniqueName("pool2d_grad"));
  if (stride == k) {
    // Windows that do not overlap: an input position lies in at most one,
    // at tap (t % k, within it), t = position + padding.
    Expr tx = x + left, ty = y + top;
    Expr ox = Halide::clamp(tx / k, 0, dy.extents[3] - 1);
    Expr oy = Halide::clamp(ty / k, 0, dy.extents[2] - 1);
    Expr share = dy.at({n, c, oy, ox});
    Expr wins = tx / k < dy.extents[3] && ty / k < dy.extents[2];
    if (kind == "avg")
      share = share / Halide::cast(ft, k * k);
    else
      wins = wins && winner(ox, oy, c, n)[0] == tx % k && winner(ox, oy, c, n)[1] == ty % k;
    f(x, y, c, n) = Halide::select(wins, share, zero);
    return result(f, grad.getResult());
  }
  auto [oy, validY] = source(y, r.y, top, dy.extents[2]);
  auto [ox, validX] = source(x, r.x, left, dy.extents[3]);
  Expr share = dy.at({n, c, oy, ox});
  Expr wins = validY && validX;
  if (kind == "avg")
    share = share / Halide::cast(ft, k * k);
  else
    wins = wins && winner(ox, oy, c, n)[0] == r.x && winner(ox, oy, c, n)[1] == r.y;
  f(x, y, c, n) = Halide::sum(Halide::select(wins, share, zero));
  return result(f, grad.getResult());
}

std::pair<Halide::Func, Halide::Func> FunctionLowering::softmaxStats(const Tensor &z) {
  Halide::RDom c(0, z.extents[1], uniqueName("c"));
  Halide::Var i("i");
  Halide::Func rowMax(uniqueName("row_max")), rowSum(uniqueName("row_sum"));
  rowMax(i) = Halide::maximum(z.at({i, c}));
  rowSum(i) = Halide::sum(Halide::exp(z.at({i, c}) - rowMax(i)));
  funcs.anchor = KernelFuncs::Anchor::Softmax;
  funcs.roots.push_back(rowMax);
  funcs.roots.push_back(rowSum);
  return {rowMax, rowSum};
}

Halide::Expr FunctionLowering::scalar(Value v) {
  auto it = scalars.find(v);
  if (it != scalars.end())
    return it->second;
  if (auto constant = v.getDefiningOp<arith::ConstantOp>()) {
    Halide::Expr value = Halide::cast(
        ft, Halide::Expr(cast<FloatAttr>(constant.getValue()).getValueAsDouble()));
    scalars[v] = value;
    return value;
  }
  if (v.getDefiningOp<BatchOp>())
    return scalars[v] = Halide::cast(ft, batch);
  int slot = slotFor(v);
  call.inputs.push_back(slot);
  Halide::Param<float> param(plan.slots[slot].name);
  param.set_estimate(0.5f);
  arguments.push_back(param);
  kernel.scalars.push_back(param);
  scalars[v] = param;
  return param;
}

LogicalResult FunctionLowering::lowerKernel(KernelOp op) {
  tensors.clear();
  scalars.clear();
  arguments.clear();
  call = KernelCall{model.name + "_" + op.getKernelName().str(), {}, {}, describeOps(op)};
  funcs = KernelFuncs();
  kernel = LoweredKernel{call.name, Halide::Pipeline(), {}, Halide::Param<int32_t>("batch"), {}, {}};
  batch = kernel.batch;
  batch.set_estimate(options.batchEstimate);
  arguments.push_back(batch);
  if (!options.autoscheduler.empty())
    kernel.choice.autoscheduler = options.autoscheduler;
  else if (auto chosen = options.choices.find(call.name); chosen != options.choices.end())
    kernel.choice = chosen->second;
  const bool autoscheduled = !kernel.choice.autoscheduler.empty();
  {
    // Values from outside the kernel print as placeholders; their types,
    // and the order the kernel reads them in, are part of the text.
    std::string text;
    llvm::raw_string_ostream os(text);
    op->print(os, OpPrintingFlags().useLocalScope());
    os << (options.useDouble ? "|f64" : "|f32") << "|vec" << options.vectorWidth;
    kernel.key = llvm::xxh3_64bits(text);
  }

  std::vector<Halide::Func> yields, writes;
  std::vector<int> yieldSlots, writeSlots;
  for (Operation &inner : op.getBody().front()) {
    if (auto yield = dyn_cast<YieldOp>(inner)) {
      for (auto [value, result] : llvm::zip(yield.getValues(), op.getResults())) {
        yields.push_back(tensors[value].func);
        yieldSlots.push_back(slotFor(result));
        funcs.outputShapes.push_back(shapeOf(value.getType()));
      }
      continue;
    }
    if (auto ew = dyn_cast<ElementwiseOp>(inner)) {
      auto type = cast<RankedTensorType>(ew.getResult(0).getType());
      std::vector<Halide::Var> v = vars(type.getRank());
      auto values = lowerBody(ew.getBody().front(), ew.getInputs(), exprs(v));
      if (failed(values))
        return failure();
      for (auto [result, value] : llvm::zip(ew.getResults(), *values)) {
        Halide::Func f(uniqueName("elementwise"));
        define(f, v, value);
        tensors[result] = Tensor{f, extentsOf(type)};
      }
      continue;
    }
    if (auto update = dyn_cast<UpdateOp>(inner)) {
      // The new values of all targets are computed together, so that an
      // optimizer step is one pass over its tensors. The old values are
      // read from the same buffers the outputs are written to, and Halide
      // evaluates and stores the components of a Tuple output one after the
      // other. Where a component reads only its own target and later ones
      // (Adam: p from p, m, v; m from m; v from v), nothing it reads has
      // been written yet and the Tuple is the output. Otherwise (Adadelta's
      // new u reads the new a) a Tuple Func `values` holds every new value
      // of a tile or row before any output of it is stored.
      Type type = update.getTargets()[0].getType();
      std::vector<Halide::Var> v = vars(cast<RankedTensorType>(type).getRank());
      std::vector<Halide::Var> rev(v.rbegin(), v.rend());
      SmallVector<Value> operands(update.getTargets());
      operands.append(update.getInputs().begin(), update.getInputs().end());
      auto values = lowerBody(update.getBody().front(), operands, exprs(v));
      if (failed(values))
        return failure();
      Halide::Func f(uniqueName("update"));
      // An autoscheduler may recompute points of an output (ShiftInwards
      // tails), which must not apply an update twice: it plans the staged
      // new values instead (see autoscheduleKernel), so stage them always.
      if (!autoscheduled && readsOnlyUnwrittenTargets(update)) {
        if (values->size() == 1)
          f(rev) = values->front();
        else
          f(rev) = Halide::Tuple(*values);
      } else {
        Halide::Func staged(uniqueName("update_values"));
        if (values->size() == 1) {
          staged(rev) = values->front();
          f(rev) = staged(rev);
        } else {
          staged(rev) = Halide::Tuple(*values);
          std::vector<Halide::Expr> components;
          for (size_t k = 0; k < values->size(); ++k)
            components.push_back(staged(rev)[k]);
          f(rev) = Halide::Tuple(components);
        }
        funcs.stagedValues.emplace_back(f.name(), staged);
      }
      writes.push_back(f);
      for (Value target : update.getTargets())
        writeSlots.push_back(slotFor(target));
      funcs.outputShapes.push_back(shapeOf(type));
      continue;
    }
    if (auto bptt = dyn_cast<RecurrentGradOp>(inner)) {
      auto [dinput, drecurrent] = lowerRecurrentGrad(
          recurrentOperands(bptt.getCell(), bptt.getInput(), bptt.getWeight(), bptt.getBias()),
          tensorOf(bptt.getGrad()).func, funcs);
      std::vector<Halide::Expr> extents = extentsOf(bptt.getInput().getType());
      tensors[bptt.getInputGrad()] = Tensor{dinput, extents};
      tensors[bptt.getRecurrentGrad()] = Tensor{drecurrent, extents};
      continue;
    }
    FailureOr<Tensor> t = lowerOp(&inner);
    if (failed(t))
      return failure();
    if (inner.getNumResults() == 1) {
      tensors[inner.getResult(0)] = *t;
      continue;
    }
    // Without an optimizer, a gradient marker returns the gradient.
    writes.push_back(t->func);
    auto pg = cast<ParamGradOp>(inner);
    // A copy: newSlot grows plan.slots, which would leave a reference dangling.
    const Slot param = plan.slots[slotFor(pg.getParam())];
    writeSlots.push_back(newSlot({Slot::Kind::ParamGrad, param.name + ".grad", param.shape,
                                  false, param.index}));
    funcs.outputShapes.push_back(param.shape);
  }
  // Yields first, then in-place writes: the order of the pipeline's outputs.
  funcs.outputs = yields;
  funcs.outputs.insert(funcs.outputs.end(), writes.begin(), writes.end());
  call.outputs = yieldSlots;
  call.outputs.insert(call.outputs.end(), writeSlots.begin(), writeSlots.end());
  if (funcs.outputs.empty())
    return op.emitError("kernel has no outputs");

  if (options.schedule)
    kernel.candidates = scheduleCandidates(funcs, options.vectorWidth);
  if (autoscheduled) {
    if (std::string err =
            autoscheduleKernel(funcs, kernel.choice.autoscheduler, options.batchEstimate);
        !err.empty())
      return op.emitError(err);
  } else if (options.schedule) {
    scheduleKernel(funcs, options.vectorWidth, kernel.choice);
  } else {
    // Unscheduled Funcs are inlined; staged values must still be complete
    // before their output stores anything.
    for (auto &[name, staged] : funcs.stagedValues)
      staged.compute_root();
    for (KernelFuncs::Scan &scan : funcs.scans)
      scan.func.compute_root();
  }
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
    if (!isa<InputOp, ParamOp, StateOp, HyperparamOp, StepOp, BatchOp, FillOp,
             arith::ConstantOp>(op))
      return op.emitError("expected only kernels and storage ops after partitioning, found '")
             << op.getName() << "'";
  }
  return success();
}

} // namespace

std::vector<int> kiln::halideExtents(const std::vector<int64_t> &shape, int batch) {
  std::vector<int> extents;
  for (auto it = shape.rbegin(); it != shape.rend(); ++it)
    extents.push_back(*it < 0 ? batch : static_cast<int>(*it));
  return extents;
}

Halide::Buffer<> kiln::denseCopy(const Halide::Buffer<> &b) {
  std::vector<int> extents;
  for (int d = 0; d < b.dimensions(); ++d)
    extents.push_back(b.dim(d).extent());
  Halide::Buffer<> out(b.type(), extents);
  std::memcpy(out.data(), b.data(), b.size_in_bytes());
  return out;
}

void kiln::bindJitInputs(LoweredKernel &kernel, const KernelCall &call, const FunctionPlan &plan,
                         const LoweredModel &model,
                         const std::vector<Halide::Buffer<>> &slotBuffers, int batch,
                         float step) {
  kernel.batch.set(batch);
  size_t image = 0, scalar = 0;
  for (int id : call.inputs) {
    const Slot &slot = plan.slots[id];
    if (slot.kind == Slot::Kind::Hyperparam)
      kernel.scalars.at(scalar++).set(
          static_cast<float>(model.hyperparams.at(slot.index).defaultValue));
    else if (slot.kind == Slot::Kind::Step)
      kernel.scalars.at(scalar++).set(step);
    else
      kernel.images.at(image++).set(slotBuffers.at(id));
  }
}

FailureOr<LoweredModel> kiln::lowerToHalide(ModuleOp module, const CodegenOptions &options) {
  LoweredModel model;
  auto name = module->getAttrOfType<StringAttr>("kiln.model");
  model.name = name ? name.getValue().str() : "model";
  // Training settings the runtime needs: the optimizer's name and the
  // learning-rate schedule, both dictionaries with a `name` entry.
  if (auto task = module->getAttrOfType<StringAttr>("kiln.task"))
    model.task = task.getValue().str();
  if (auto label = module->getAttrOfType<StringAttr>("kiln.label"))
    model.labelName = label.getValue().str();
  if (auto optimizer = module->getAttrOfType<DictionaryAttr>("kiln.optimizer"))
    if (auto optimizerName = optimizer.getAs<StringAttr>("name"))
      model.optimizer = optimizerName.getValue().str();
  if (auto schedule = module->getAttrOfType<DictionaryAttr>("kiln.schedule")) {
    for (NamedAttribute entry : schedule) {
      if (auto kind = dyn_cast<StringAttr>(entry.getValue()))
        model.scheduleKind = kind.getValue().str();
      else if (auto value = dyn_cast<FloatAttr>(entry.getValue()))
        model.scheduleArgs.emplace_back(entry.getName().str(), value.getValueAsDouble());
    }
  }
  if (auto health = module->getAttrOfType<ArrayAttr>("kiln.health"))
    for (auto entry : health.getAsRange<DictionaryAttr>()) {
      auto text = [&](StringRef key) {
        auto attr = entry.getAs<StringAttr>(key);
        return attr ? attr.getValue().str() : std::string();
      };
      auto units = entry.getAs<IntegerAttr>("units");
      model.health.push_back({text("kind"), text("name"), units ? units.getInt() : 0,
                              text("where")});
    }
  if (auto tune = module->getAttrOfType<ArrayAttr>("kiln.tune"))
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
