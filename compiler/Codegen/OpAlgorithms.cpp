//===- OpAlgorithms.cpp - Each kiln op's Halide algorithm -----------------===//
//
// The algorithm half of code generation: each kiln op in a kernel becomes
// Halide Funcs, by one rule per op (lowerTensorOp's cases; elementwise
// bodies, optimizer updates and the recurrent layers' backward pass have
// functions of their own below). An algorithm makes no schedule calls: it
// records in KernelFuncs what Schedules.cpp needs to schedule the kernel
// (its anchor, reduction, staged values, transposed copies, scans).
//
//===----------------------------------------------------------------------===//
#include "Codegen/FunctionLowering.h"
#include "Codegen/ModelManifest.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

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

FailureOr<Halide::Func> FunctionLowering::lowerOp(Operation *op) {
  if (auto ew = dyn_cast<ElementwiseOp>(op)) {
    if (failed(lowerElementwiseOp(ew)))
      return failure();
    return Halide::Func();
  }
  if (auto update = dyn_cast<UpdateOp>(op))
    return lowerUpdateOp(update);
  if (isa<BatchNormTrainOp, BatchNormGradOp>(op)) {
    if (failed(lowerBatchNormOp(op)))
      return failure();
    return Halide::Func();
  }
  if (isa<RecurrentOp, RecurrentGradOp>(op)) {
    lowerRecurrentOp(op);
    return Halide::Func();
  }
  FailureOr<Tensor> t = lowerTensorOp(op);
  if (failed(t))
    return failure();
  if (op->getNumResults() == 1) {
    tensors[op->getResult(0)] = *t;
    return Halide::Func();
  }
  // A gradient marker (no optimizer applied) writes the gradient.
  return t->func;
}

LogicalResult FunctionLowering::lowerElementwiseOp(ElementwiseOp op) {
  auto type = cast<RankedTensorType>(op.getResult(0).getType());
  std::vector<Halide::Var> v = vars(type.getRank());
  auto values = lowerBody(op.getBody().front(), op.getInputs(), exprs(v));
  if (failed(values))
    return failure();
  for (auto [result, value] : llvm::zip(op.getResults(), *values)) {
    Halide::Func f(uniqueName("elementwise"));
    define(f, v, value);
    tensors[result] = Tensor{f, extentsOf(type)};
  }
  return success();
}

FailureOr<Halide::Func> FunctionLowering::lowerUpdateOp(UpdateOp update) {
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
  if (kernel.choice.autoscheduler.empty() && readsOnlyUnwrittenTargets(update)) {
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
  return f;
}

void FunctionLowering::lowerRecurrentOp(Operation *op) {
  if (auto rec = dyn_cast<RecurrentOp>(op)) {
    auto [hidden, saved] = lowerRecurrent(
        recurrentOperands(rec.getCell(), rec.getInput(), rec.getWeight(), rec.getBias()), funcs);
    tensors[rec.getResult()] = Tensor{hidden, extentsOf(rec.getResult().getType())};
    tensors[rec.getSaved()] = Tensor{saved, extentsOf(rec.getSaved().getType())};
    return;
  }
  auto bptt = cast<RecurrentGradOp>(op);
  auto [dinput, drecurrent] = lowerRecurrentGrad(
      recurrentOperands(bptt.getCell(), bptt.getInput(), bptt.getWeight(), bptt.getBias()),
      tensorOf(bptt.getGrad()).func, tensorOf(bptt.getHidden()).func,
      tensorOf(bptt.getSaved()).func, funcs);
  std::vector<Halide::Expr> extents = extentsOf(bptt.getInput().getType());
  tensors[bptt.getInputGrad()] = Tensor{dinput, extents};
  tensors[bptt.getRecurrentGrad()] = Tensor{drecurrent, extents};
}

FailureOr<Tensor> FunctionLowering::lowerTensorOp(Operation *op) {
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
        // The product's read of an operand at (column, k), `read`: through
        // a copy in panels (KernelFuncs::Panels) of the register tile's
        // columns (rhs) or rows (lhs), where the matmul template will tile
        // the output in those and they divide its static extent.
        auto readPanels = [&](KernelFuncs::Panels &panels,
                              const std::function<Halide::Expr(Halide::Expr, Halide::Expr)> &read,
                              Halide::Expr col, Halide::Expr k, bool rows) -> Halide::Expr {
          std::vector<int64_t> shape = shapeOf(type);
          int vec = templateVectorWidth(options.vectorWidth);
          auto [tn, tm] = matmulTile(shape, vec, kernel.choice);
          int width = rows ? tm : tn;
          int64_t extent = rows ? shape[shape.size() - 2] : shape.back();
          if (!options.schedule || options.gpu || !kernel.choice.autoscheduler.empty() ||
              extent <= 0 || extent % width != 0 || (!rows && width % vec != 0) ||
              panels.func.defined())
            return read(col, k);
          Halide::Var c("c"), kv("k"), panel("panel");
          panels.func = Halide::Func(uniqueName(rows ? "lhs_panels" : "rhs_panels"));
          panels.func(c, kv, panel) = read(panel * width + c, kv);
          panels.width = width;
          return panels.func(col % width, k, col / width);
        };
        auto readRhs = [&](const std::function<Halide::Expr(Halide::Expr, Halide::Expr)> &read,
                           Halide::Expr col, Halide::Expr k) {
          return readPanels(funcs.rhsPanels, read, col, k, false);
        };
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
          Halide::Expr av = at(a, i), bv = tb ? b.at({j, r[0]}) : at(b, j);
          if (last == 1) {
            // Rank 2: both sides through panels where the template tiles them.
            av = readPanels(
                funcs.lhsPanels,
                [&](Halide::Expr col, Halide::Expr k) {
                  return a.at({k, col});
                },
                i, r[0], true);
            if (!tb)
              bv = readRhs(
                  [&](Halide::Expr col, Halide::Expr k) {
                    return b.at({k, col});
                  },
                  j, r[0]);
          }
          prod(j, i) = Halide::cast(ft, 0);
          prod(j, i) += av * bv;
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
        Halide::Expr bv;
        if (!tb) {
          bv = readRhs(
              [&](Halide::Expr col, Halide::Expr k) {
                return b.at({k, col});
              },
              v.back(), r);
        } else {
          // Read B^T from a copy in that order: a vector of the product's
          // columns is then one load, not a gather across B's rows.
          Halide::Func block(uniqueName("transpose_block"));
          Halide::Var c("c"), k("k");
          block(k, c) = b.at({c, k});
          // Where the product reads panels, they are that copy: B^T in
          // panels, transposed in square blocks like any transposed copy.
          std::vector<int64_t> bShape = shapeOf(m.getRhs().getType());
          KernelFuncs::Panels &panels = funcs.rhsPanels;
          bool earlierPanels = panels.func.defined(); // another product's, in this kernel
          bv =
              readRhs([&](Halide::Expr col, Halide::Expr k) { return block(k, col); }, v.back(), r);
          if (!earlierPanels && panels.func.defined()) {
            funcs.transposes.push_back({panels.func, block, {panels.width, bShape[1]}});
            panels.transposed = true;
          } else {
            Halide::Func bt =
                funcs.transposeOf(block, uniqueName("transposed"), {bShape[0], bShape[1]});
            bv = bt(v.back(), r);
          }
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
        funcs.reducesRows = axis == x.rank() - 1 && type.getRank() > 0;
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
        funcs.columnStages.push_back({columns, j, /*vectorize=*/true});
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
        funcs.columnStages.push_back({active, u, /*vectorize=*/axis == x.rank() - 1});
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
        // Row-major position within a sample, then the input's indices of
        // it. Leading dimensions both shapes share keep their index, so
        // that only the dimensions that change are flattened (a [N, C, H *
        // W] broadcast seen as [N, C, H, W] reads one value per channel,
        // with no division of a vector of positions).
        Tensor x = get(r.getInput());
        auto outShape = cast<RankedTensorType>(r.getType()).getShape();
        auto inShape = cast<RankedTensorType>(r.getInput().getType()).getShape();
        size_t shared = 1;
        while (shared < inShape.size() && shared < outShape.size() &&
               inShape[shared] == outShape[shared])
          ++shared;
        return elementwise(r.getResult(), [&](std::vector<Halide::Expr> v) {
          Halide::Expr flat = 0;
          for (size_t d = shared; d < outShape.size(); ++d)
            flat = flat * static_cast<int>(outShape[d]) + v[d];
          std::vector<Halide::Expr> idx(inShape.size());
          for (size_t d = 0; d < shared; ++d)
            idx[d] = v[d];
          for (size_t d = inShape.size() - 1; d >= shared; --d) {
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
        // Data-parallel: the sample's index in the global batch.
        Halide::Expr offset = d.getOffset() ? Halide::cast<int32_t>(scalar(d.getOffset()))
                                            : Halide::Expr(0);
        uint32_t seed = static_cast<uint32_t>(d.getSeed()) * 0x85ebca6bu + 0x27d4eb2fu;
        return elementwise(d.getResult(), [&](std::vector<Halide::Expr> v) {
          Halide::Expr flat = Halide::cast<uint32_t>(v[0] + offset);
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

Tensor FunctionLowering::rowsOf(const Tensor &t, bool columns) {
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

std::pair<Halide::RDom, std::vector<Halide::Expr>>
FunctionLowering::everyElement(const Tensor &t) {
  std::vector<Halide::Range> ranges;
  for (int d = t.rank() - 1; d >= 0; --d)
    ranges.emplace_back(0, t.extents[d]);
  Halide::RDom r(ranges, uniqueName("r"));
  std::vector<Halide::Expr> idx(t.rank());
  for (int d = 0; d < t.rank(); ++d)
    idx[d] = r[t.rank() - 1 - d];
  return {r, idx};
}

RecurrentOperands FunctionLowering::recurrentOperands(llvm::StringRef cell, Value input,
                                                      Value weight, Value bias) {
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
