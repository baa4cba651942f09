//===- GpuSchedules.cpp - Schedule templates for a GPU --------------------===//
//
// Every stage computed in full (outputs, roots, transposes, scans, health
// columns) runs as GPU blocks of threads over its pure dimensions; a
// reduction runs inside its thread, except a sum to one value and a sum of
// each column over many rows, which threads sum in parts first (rfactor). A matrix product's thread accumulates a
// register tile of the output (up to 4 x 4) over the whole reduction, each
// value it reads from one side serving the tile's other dimension. Tails are
// guarded (GuardWithIf): no thread computes past a static extent, and
// in-place outputs are never recomputed, as Schedules.cpp's contract asks.
// Or Halide's Li2018 autoscheduler plans the kernel (autoscheduleGpuKernel),
// and Kiln finishes its plan: in-place outputs, single values on one thread,
// guarded tails.
//
//===----------------------------------------------------------------------===//
#include "Codegen/GpuSchedules.h"
#include "Codegen/ScheduleHelpers.h"

#include <algorithm>
#include <map>
#include <optional>

using namespace Halide;
using namespace kiln::schedule_helpers;

namespace kiln {
namespace {

/// Threads per block, and along the innermost dimension of a block at most.
constexpr int kBlockThreads = 256;
constexpr int kBlockWidth = 32;

/// The smallest power of two not below `extent`, at most `limit`; `limit`
/// for an extent not known (-1).
int threadsFor(int64_t extent, int limit) {
  int threads = 1;
  while (threads < limit && (extent <= 0 || threads < extent))
    threads *= 2;
  return threads;
}

/// The static extent of dimension `d` (0 innermost) of a row-major `shape`,
/// or -1.
int64_t extentOf(const std::vector<int64_t> &shape, size_t d) {
  return d < shape.size() ? shape[shape.size() - 1 - d] : -1;
}

/// The register tile along a dimension of static `extent` (-1: dynamic,
/// where rows past the end read clamped indices): 4, or the most that
/// divides the extent.
int registerTile(int64_t extent) {
  if (extent <= 0)
    return 4;
  return extent % 4 == 0 ? 4 : extent % 2 == 0 ? 2 : 1;
}

/// Runs `stage`'s loops over `vars` (pure, innermost first, of static
/// extents `extents`, -1 unknown) on the GPU: the innermost two as a block
/// of threads, the others fused into the blocks' third dimension; no
/// dimension: one thread. Returns the innermost thread loop, at which one
/// thread's intermediates are computed.
std::optional<Var> gpuTile(Stage stage, std::vector<Var> vars,
                           const std::vector<int64_t> &extents) {
  if (vars.empty()) {
    stage.gpu_single_thread();
    return std::nullopt;
  }
  std::string prefix = vars[0].name();
  Var tx(prefix + "_tx"), ty(prefix + "_ty"), bx(prefix + "_bx"), by(prefix + "_by");
  if (vars.size() == 1) {
    stage.gpu_tile(vars[0], bx, tx, threadsFor(extents[0], kBlockThreads),
                   TailStrategy::GuardWithIf);
    return tx;
  }
  Var rest = vars.size() > 2 ? vars[2] : Var();
  for (size_t d = 3; d < vars.size(); ++d) {
    Var fused(prefix + "_blocks" + std::to_string(d));
    stage.fuse(rest, vars[d], fused);
    rest = fused;
  }
  int width = threadsFor(extents[0], kBlockWidth);
  int height = threadsFor(extents[1], kBlockThreads / width);
  stage.gpu_tile(vars[0], vars[1], bx, by, tx, ty, width, height, TailStrategy::GuardWithIf);
  if (vars.size() > 2)
    stage.gpu_blocks(rest);
  return tx;
}

/// The pure variables of stage `s` of `f` (0: its definition), innermost
/// first, with their static extents taken from `shape` (row-major, or empty
/// when unknown): every argument of the definition; those of an update that
/// it writes at its own coordinate.
std::pair<std::vector<Var>, std::vector<int64_t>> pureLoops(Func f, int s,
                                                            const std::vector<int64_t> &shape) {
  std::vector<Var> args = f.args();
  std::vector<Var> vars;
  std::vector<int64_t> extents;
  for (size_t d = 0; d < args.size(); ++d) {
    if (!writesInPlace(f, s, d))
      continue;
    vars.push_back(args[d]);
    extents.push_back(shape.size() == args.size() ? extentOf(shape, d) : -1);
  }
  return {vars, extents};
}

/// Computes `f` in full on the GPU: each stage over its pure dimensions, a
/// reduction inside its thread.
void gpuComputeRoot(Func f, const std::vector<int64_t> &shape) {
  f.compute_root();
  for (int s = 0; s <= f.num_update_definitions(); ++s) {
    auto [vars, extents] = pureLoops(f, s, shape);
    gpuTile(s == 0 ? Stage(f) : f.update(s - 1), vars, extents);
  }
}

/// Rows a thread of a column sum's first stage adds.
constexpr int kRowsPerPart = 64;

/// A sum in two stages: threads sum parts, then a thread per value sums its
/// parts (Halide's rfactor). For a sum to one value (the loss, a global
/// norm): each index of the outermost reduction dimension, or chunks of
/// kBlockThreads of a one-dimensional one, then one thread. For a sum of
/// each column over many rows, out(j) = sum over r of in(j, r) (a bias
/// gradient over the batch): parts of kRowsPerPart rows of each column, then
/// a thread per column (before, a thread per column summed every row: a bias
/// of 10 outputs over a batch of 512 ran on 10 threads). False, nothing
/// scheduled, for sums of more dimensions (their other dimensions give the
/// threads), a column sum of fewer rows than two parts or over several
/// dimensions, or a reduction Halide cannot split (rfactor proves it
/// associative first).
bool gpuTwoStageSum(Func total, const RDom &r, const std::vector<int64_t> &shape) {
  if (total.dimensions() > 1 || r.dimensions() == 0)
    return false;
  bool columns = total.dimensions() == 1;
  int64_t rows = constantOr(r[0].extent(), -1); // -1: the batch
  if (columns && (r.dimensions() != 1 || (rows >= 0 && rows < 2 * kRowsPerPart)))
    return false;
  Var part("part");
  Func parts;
  try {
    if (r.dimensions() == 1) {
      RVar outer("outer"), inner("inner");
      parts = total.update()
                  .split(r[0], outer, inner, columns ? kRowsPerPart : kBlockThreads)
                  .rfactor(outer, part);
    } else {
      parts = total.update().rfactor(r[r.dimensions() - 1], part);
    }
  } catch (const Halide::Error &) {
    return false;
  }
  gpuComputeRoot(parts, {});
  gpuComputeRoot(total, shape);
  return true;
}

/// An output on the GPU, with the new values of an in-place Tuple output
/// computed by the thread that stores them.
void gpuOutput(Func out, const std::vector<int64_t> &shape, Func *staged) {
  auto [vars, extents] = pureLoops(out, 0, shape);
  std::optional<Var> thread = gpuTile(out, vars, extents);
  if (!staged)
    return;
  if (thread)
    staged->compute_at(out, *thread);
  else
    gpuComputeRoot(*staged, {});
}

// C(j, i) = sum_r A(i, r) B(r, j): each thread a tile of rj x ri outputs,
// accumulated in registers over the whole reduction (a leading dimension of
// a rank-3 output in the blocks).
void gpuMatmul(Func out, Func prod, const RDom &r, const std::vector<int64_t> &shape,
               Func *staged) {
  int rj = registerTile(extentOf(shape, 0)), ri = registerTile(extentOf(shape, 1));
  Var j = out.args()[0], i = out.args()[1];
  Var jo("jo"), io("io"), ji("ji"), ii("ii"), jb("jb"), ib("ib"), jt("jt"), it("it");
  int64_t cols = extentOf(shape, 0), rows = extentOf(shape, 1);
  int width = threadsFor(cols > 0 ? (cols + rj - 1) / rj : -1, kBlockWidth / 2);
  int height = threadsFor(rows > 0 ? (rows + ri - 1) / ri : -1, kBlockThreads / width);
  out.tile(j, i, jo, io, ji, ii, rj, ri, TailStrategy::GuardWithIf)
      .gpu_tile(jo, io, jb, ib, jt, it, width, height, TailStrategy::GuardWithIf)
      .unroll(ji)
      .unroll(ii);
  if (shape.size() == 3)
    out.gpu_blocks(out.args()[2]);
  Var pj = prod.args()[0], pi = prod.args()[1];
  prod.compute_at(out, jt).bound_extent(pj, rj).bound_extent(pi, ri).unroll(pj).unroll(pi);
  std::vector<VarOrRVar> order = {pj, pi};
  for (int d = 0; d < r.dimensions(); ++d)
    order.push_back(r[d]);
  prod.update().reorder(order).unroll(pj).unroll(pi);
  if (staged) {
    Var sj = staged->args()[0], si = staged->args()[1];
    staged->compute_at(out, jt).bound_extent(sj, rj).bound_extent(si, ri).unroll(sj).unroll(si);
  }
}

/// The Func holding the new values of in-place output `out`, if any.
Func *stagedOf(KernelFuncs &k, const Func &out) {
  for (auto &[name, values] : k.stagedValues)
    if (name == out.name())
      return &values;
  return nullptr;
}

bool isGpuLoop(const Internal::Dim &d) {
  return d.for_type == Internal::ForType::GPUBlock || d.for_type == Internal::ForType::GPUThread ||
         d.for_type == Internal::ForType::GPULane;
}

const std::vector<Internal::Dim> &stageDims(const Internal::Function &f, int stage) {
  return stage == 0 ? f.definition().schedule().dims() : f.updates()[stage - 1].schedule().dims();
}

/// Whether loop `var` of stage `stage` of `f` is a GPU loop or inside one.
bool insideGpuLoop(const Internal::Function &f, int stage, const std::string &var) {
  const std::vector<Internal::Dim> &dims = stageDims(f, stage);
  for (size_t d = 0; d < dims.size(); ++d) {
    const std::string &name = dims[d].var;
    bool same = name == var || (name.size() > var.size() &&
                                name.compare(name.size() - var.size(), var.size(), var) == 0 &&
                                name[name.size() - var.size() - 1] == '.');
    if (!same)
      continue;
    for (size_t outer = d; outer < dims.size(); ++outer)
      if (isGpuLoop(dims[outer]))
        return true;
    return false;
  }
  return false;
}

/// Every Func the outputs call, directly or not, and the outputs, by name.
std::map<std::string, Internal::Function> functionsOf(const std::vector<Func> &outputs) {
  std::map<std::string, Internal::Function> env;
  for (const Func &out : outputs) {
    env.emplace(out.name(), out.function());
    for (const auto &[name, f] : Internal::find_transitive_calls(out.function()))
      env.emplace(name, f);
  }
  return env;
}

/// Whether `f` is computed in full: an output, or computed at root.
bool computedInFull(const Internal::Function &f, const std::vector<Func> &outputs) {
  LoopLevel level = f.schedule().compute_level();
  level.lock();
  return level.is_root() || std::any_of(outputs.begin(), outputs.end(),
                                        [&](const Func &out) { return out.name() == f.name(); });
}

/// Makes every split of `f`'s pure dimensions guard its tail. Li2018 shifts
/// a dimension's last tile inwards (the default tail), so that a batch
/// smaller than a tile would be computed from before its start.
void guardTails(Internal::Function f) {
  for (int s = 0; s <= static_cast<int>(f.updates().size()); ++s)
    for (Internal::Split &split : (s == 0 ? f.definition() : f.update(s - 1)).schedule().splits())
      if (split.is_split() &&
          (split.tail == TailStrategy::Auto || split.tail == TailStrategy::ShiftInwards))
        split.tail = TailStrategy::GuardWithIf;
}

} // namespace

std::string findHostFunc(const std::vector<Func> &outputs) {
  std::map<std::string, Internal::Function> env = functionsOf(outputs);
  for (const auto &[name, f] : env) {
    int stages = static_cast<int>(f.updates().size()) + 1;
    if (computedInFull(f, outputs)) {
      for (int s = 0; s < stages; ++s) {
        const std::vector<Internal::Dim> &dims = stageDims(f, s);
        if (std::none_of(dims.begin(), dims.end(), isGpuLoop))
          return "'" + name + "' (stage " + std::to_string(s) +
                 ") is computed in full outside any GPU loop";
      }
      continue;
    }
    // Inlined: computed where it is read (a Func with updates, in its
    // reader's innermost loop).
    LoopLevel level = f.schedule().compute_level();
    level.lock();
    if (level.is_inlined())
      continue;
    // (Halide keeps the stage of a level made by compute_at(Func, Var)
    // unresolved until lowering: any stage of the consumer will do.)
    auto consumer = env.find(level.func());
    bool onDevice = false;
    int consumerStages =
        consumer == env.end() ? 0 : static_cast<int>(consumer->second.updates().size()) + 1;
    for (int s = 0; s < consumerStages; ++s)
      onDevice = onDevice || insideGpuLoop(consumer->second, s, level.var().name());
    if (!onDevice)
      return "'" + name + "' is computed at " + level.to_string() + ", outside any GPU loop";
  }
  return "";
}

std::string autoscheduleGpuKernel(KernelFuncs &k, const std::string &name, int batch,
                                  const Target &target, std::string &unusable) {
  if (std::string err = autoscheduleKernel(k, name, batch, target); !err.empty())
    return err;
  // The autoscheduler planned each in-place output's new values (a root of
  // its plan) in its place; the output copies them.
  for (size_t o = 0; o < k.outputs.size(); ++o)
    if (stagedOf(k, k.outputs[o]))
      gpuOutput(k.outputs[o], k.outputShapes[o], nullptr);
  for (auto &[callee, f] : functionsOf(k.outputs)) {
    guardTails(f);
    // A single value (a loss, a norm) left serial runs on one GPU thread,
    // as the templates run the last stage of a sum.
    if (f.dimensions() == 0 && computedInFull(f, k.outputs))
      for (int s = 0; s <= static_cast<int>(f.updates().size()); ++s) {
        const std::vector<Internal::Dim> &dims = stageDims(f, s);
        if (std::none_of(dims.begin(), dims.end(), isGpuLoop))
          (s == 0 ? Stage(Func(f)) : Func(f).update(s - 1)).gpu_single_thread();
      }
  }
  if (std::string where = findHostFunc(k.outputs); !where.empty())
    unusable = name + " leaves work on the host: " + where;
  return "";
}

std::string scheduleGpuKernel(KernelFuncs &k) {
  k.copyAnchorOutputs();
  for (const KernelFuncs::Root &root : k.roots)
    gpuComputeRoot(root.func, {});
  for (KernelFuncs::Transpose &t : k.transposes)
    gpuComputeRoot(t.out, {t.extents.second, t.extents.first});
  for (KernelFuncs::ColumnStage &stage : k.columnStages)
    gpuComputeRoot(stage.func, {});
  for (const KernelFuncs::Scan &scan : k.scans)
    gpuComputeRoot(scan.func, {});
  for (KernelFuncs::ChannelSums &sums : k.channelSums) {
    if (sums.rows.defined())
      gpuComputeRoot(sums.rows, {});
    gpuComputeRoot(sums.total, {});
  }
  // Outputs the anchor's template has scheduled already.
  size_t first = 0;
  switch (k.anchor) {
  case KernelFuncs::Anchor::Matmul:
    if (k.usesMatmulTemplate()) {
      gpuMatmul(k.outputs[0], k.prod, k.reduction, k.outputShapes[0], stagedOf(k, k.outputs[0]));
      first = 1;
      break;
    }
    gpuComputeRoot(k.prod, {});
    break;
  case KernelFuncs::Anchor::Reduce:
    // (A sum along rows has a thread per row already.)
    if ((k.reducesRows && k.prod.dimensions() > 0) ||
        !gpuTwoStageSum(k.prod, k.reduction, k.outputShapes[0]))
      gpuComputeRoot(k.prod, k.outputShapes[0]);
    break;
  case KernelFuncs::Anchor::Window:
    if (k.usesPerImageTemplate()) {
      // A thread per output point, the taps and channels inside it.
      auto [vars, extents] = pureLoops(k.outputs[0], 0, k.outputShapes[0]);
      std::optional<Var> thread = gpuTile(k.outputs[0], vars, extents);
      k.prod.compute_at(k.outputs[0], *thread);
      first = 1;
      break;
    }
    // The filter gradient, or a window several outputs read, in full;
    // pooling without an update is inlined into its output. The padded
    // inputs are read in place (inlined).
    if (k.prod.has_update_definition())
      gpuComputeRoot(k.prod, k.outputs.size() == 1 ? k.outputShapes[0] : std::vector<int64_t>{});
    // An input gradient's other phases.
    for (const KernelFuncs::FlatSum &sum : k.flatSums)
      if (sum.sum.name() != k.prod.name())
        gpuComputeRoot(sum.sum, {});
    break;
  case KernelFuncs::Anchor::Scan:
  case KernelFuncs::Anchor::Softmax:
  case KernelFuncs::Anchor::Elementwise:
    break;
  }
  for (size_t o = first; o < k.outputs.size(); ++o)
    gpuOutput(k.outputs[o], k.outputShapes[o], stagedOf(k, k.outputs[o]));
  if (std::string where = findHostFunc(k.outputs); !where.empty())
    return "a GPU schedule leaves work on the host: " + where;
  return "";
}

} // namespace kiln
