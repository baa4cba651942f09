//===- Schedules.cpp - Schedule templates by anchor kind ------------------===//
//
// Contract with the algorithm (OpAlgorithms.cpp): a schedule may compute
// rows past the end of a dynamic (batch) extent, which read clamped indices
// and are never stored; it never computes past a static extent, so every
// static split below uses a factor that divides the extent. Outputs that
// write a parameter in place are never recomputed (GuardWithIf, no shifting).
//
//===----------------------------------------------------------------------===//
#include "Codegen/Schedules.h"
#include "Codegen/RecurrentSchedules.h"
#include "Codegen/ScheduleHelpers.h"
#include "Codegen/WindowSchedules.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fcntl.h>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace Halide;
using namespace kiln::schedule_helpers;

namespace kiln {
namespace {

/// Sends what is written to stderr (the file descriptor) to /dev/null while
/// it lives.
class StderrSilenced {
public:
  StderrSilenced() {
    std::cerr.flush();
    std::fflush(stderr);
    saved = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    if (saved >= 0 && null >= 0)
      dup2(null, STDERR_FILENO);
    if (null >= 0)
      close(null);
  }
  ~StderrSilenced() {
    std::cerr.flush();
    std::fflush(stderr);
    if (saved >= 0) {
      dup2(saved, STDERR_FILENO);
      close(saved);
    }
  }
  StderrSilenced(const StderrSilenced &) = delete;
  StderrSilenced &operator=(const StderrSilenced &) = delete;

private:
  int saved = -1;
};

/// The Func that holds the new values of in-place Tuple output `out`, if any.
Func *stagedValuesOf(KernelFuncs &k, const Func &out) {
  for (auto &[name, values] : k.stagedValues)
    if (name == out.name())
      return &values;
  return nullptr;
}

/// Runs loop `v` of `stage` in parallel, in at most `tasks` tasks of
/// consecutive iterations (`iterations` of them: a constant, or an
/// expression of the output's extents). `v` then names the loop within a
/// task, which is where per-iteration intermediates are computed.
void parallelInTasks(Stage stage, Var v, const Expr &iterations, int tasks) {
  Var task(v.name() + "_task");
  Expr perTask;
  if (const int64_t *n = Internal::as_const_int(iterations))
    perTask = static_cast<int>(std::max<int64_t>(1, (*n + tasks - 1) / tasks));
  else
    perTask = max(1, (iterations + (tasks - 1)) / tasks);
  stage.split(v, task, v, perTask, TailStrategy::GuardWithIf).parallel(task);
}

/// Iterations of `f`'s loop over dimension `d` (0 innermost): the static
/// extent from `shape` (row-major, outermost first; -1 dynamic), else the
/// output buffer's.
Expr dimExtent(const Func &f, const std::vector<int64_t> &shape, int d) {
  int64_t e = shape[shape.size() - 1 - d];
  if (e > 0)
    return static_cast<int>(e);
  return f.output_buffers()[0].dim(d).extent();
}

/// Ceiling division of loop extents.
Expr ceilDiv(const Expr &a, int b) {
  if (const int64_t *n = Internal::as_const_int(a))
    return static_cast<int>((*n + b - 1) / b);
  return (a + (b - 1)) / b;
}

int tasksOf(const ScheduleChoice &choice) {
  return choice.tasks > 0 ? choice.tasks : kParallelTasks;
}

/// Vectorize the innermost dimension (a short row in one vector of its
/// length) and run the outermost in parallel (the batch, or rows of a
/// matrix). Staged
/// values are computed a row at a time (an element vector of a rank-1
/// output), in bounds: static extents are exact.
void scheduleElementwise(Func f, const std::vector<int64_t> &shape, int vec, Func *staged,
                         const ScheduleChoice &choice) {
  std::vector<Var> args = f.args();
  if (args.empty())
    return;
  int64_t inner = shape.back();
  int vn = evenRowVector(inner, vec);
  if (vn > 1)
    f.vectorize(args[0], vn, TailStrategy::GuardWithIf);
  if (args.size() >= 2 && choice.parallel)
    parallelInTasks(f, args.back(), dimExtent(f, shape, static_cast<int>(args.size()) - 1),
                    tasksOf(choice));
  if (!staged)
    return;
  if (args.size() >= 2)
    staged->compute_at(f, args[1]);
  else
    staged->compute_root();
  if (vn > 1)
    staged->vectorize(staged->args()[0], vn, TailStrategy::GuardWithIf);
}

} // namespace

int templateVectorWidth(int vectorWidth) {
  return vectorWidth > 0 ? vectorWidth : get_host_target().natural_vector_size(Float(32));
}

/// The register tile of a matmul output of `shape`: {columns, rows}. The
/// template's is 2 vectors by 8 rows, or the largest that divides the
/// static extents; `choice` may ask for another that divides them.
std::pair<int, int> matmulTile(const std::vector<int64_t> &shape, int vec,
                               const ScheduleChoice &choice) {
  size_t rank = shape.size();
  int64_t rows = shape[rank - 2], cols = shape[rank - 1];
  int tn = largestDivisor(cols, {2 * vec, vec, 8, 4, 2, 1});
  int tm = rows > 0 ? largestDivisor(rows, {8, 4, 2, 1}) : 8;
  if (choice.vectors > 0 && cols % (choice.vectors * vec) == 0)
    tn = choice.vectors * vec;
  if (choice.rows > 0 && (rows < 0 || rows % choice.rows == 0))
    tm = choice.rows;
  return {tn, tm};
}

namespace {

// C(j, i) = sum_r A(i, r) B(r, j), with an epilogue (bias, activation, update)
// inlined into the output; a rank-3 output C(j, i, n) is a product per
// leading index n, its rows i static. Register tile of tn x tm: tn columns
// in vectors of vn, tm rows unrolled; the reduction (of any rank) runs
// outside the tile so that the tile's accumulators stay in registers (16 zmm
// registers for 32 x 8 on AVX-512). Tiles (and leading indices) in parallel.
// Operands read through panels (KernelFuncs::Panels) are copied first, so
// that a tile's reads of each k are one aligned run of memory.
// Reached (AMD EPYC Zen 5, AVX-512, 2 threads): a 6 x 1024 MLP's training
// step at batch 512, 397-411 GFLOP/s over all its products; before the
// panels, 204-212 (its 1024-float rows put a tile's reads in a few cache
// sets).
void scheduleMatmul(const KernelFuncs &k, Func out, const std::vector<int64_t> &shape, int vec,
                    Func *staged, const ScheduleChoice &choice) {
  Func prod = k.prod, lhs = k.lhs;
  RDom r = k.reduction;
  size_t rank = shape.size();
  auto [tn, tm] = matmulTile(shape, vec, choice);
  int vn = std::min(vec, tn);
  if (!choice.packLhs)
    lhs = Func();
  Var j = out.args()[0], i = out.args()[1];
  // The product computed in full for several outputs has their extents.
  Func sized = std::any_of(k.outputs.begin(), k.outputs.end(),
                           [&](const Func &o) { return o.name() == out.name(); })
                   ? out
                   : k.outputs[0];
  // The operands' panels, copied in full; the output's columns (rows) from
  // 0, so that each tile's reads of a panel are known to be one.
  auto copyPanels = [&](const KernelFuncs::Panels &panels, int width, Var along, int64_t extent) {
    if (!panels.func.defined() || panels.width != width)
      return;
    out.bound(along, 0, static_cast<int>(extent));
    if (panels.transposed)
      return; // scheduled with the transposes
    Func copy = panels.func;
    Var c = copy.args()[0], panel = copy.args()[2];
    copy.compute_root();
    if (width % vn == 0)
      copy.vectorize(c, vn).unroll(c);
    else
      copy.vectorize(c, width);
    if (choice.parallel)
      parallelInTasks(copy, panel, static_cast<int>(extent / width), tasksOf(choice));
  };
  copyPanels(k.rhsPanels, tn, j, shape.back());
  copyPanels(k.lhsPanels, tm, i, shape[rank - 2]);
  Var jo("jo"), io("io"), ji("ji"), ii("ii"), tile("tile");
  out.tile(j, i, jo, io, ji, ii, tn, tm, TailStrategy::GuardWithIf)
      .vectorize(ji, vn)
      .unroll(ii);
  Var at = jo;
  Expr rowTiles = ceilDiv(dimExtent(sized, shape, 1), tm);
  Expr tiles = ceilDiv(dimExtent(sized, shape, 0), tn) * rowTiles;
  if (rank == 3) {
    out.fuse(jo, io, tile).fuse(tile, out.args()[2], tile);
    if (choice.parallel)
      parallelInTasks(out, tile, tiles * dimExtent(sized, shape, 2), tasksOf(choice));
    at = tile;
  } else if (lhs.defined()) {
    // Rows of the left side copied per block, interleaved (row innermost):
    // the tile's broadcasts then read consecutive floats through one
    // pointer, and the copy serves every column tile of the block.
    Var lk = lhs.args()[0], li = lhs.args()[1];
    if (choice.parallel)
      parallelInTasks(out, io, rowTiles, tasksOf(choice));
    lhs.compute_at(out, io).bound_extent(li, tm).reorder_storage(li, lk);
    lhs.reorder(li, lk).unroll(li);
  } else {
    // A weight gradient (transpose_lhs), or rows read in place: tiles in
    // parallel.
    out.fuse(jo, io, tile);
    if (choice.parallel)
      parallelInTasks(out, tile, tiles, tasksOf(choice));
    at = tile;
  }

  std::vector<VarOrRVar> order;
  Var pj = prod.args()[0], pi = prod.args()[1], pjv("pjv");
  order.push_back(pjv);
  order.push_back(pj);
  order.push_back(pi);
  for (int d = 0; d < r.dimensions(); ++d)
    order.push_back(r[d]);
  prod.compute_at(out, at).bound_extent(pj, tn).bound_extent(pi, tm);
  prod.split(pj, pj, pjv, vn).vectorize(pjv).unroll(pj).unroll(pi);
  prod.update().split(pj, pj, pjv, vn).reorder(order).vectorize(pjv).unroll(pj).unroll(pi);
  // The new values of an in-place Tuple output, per tile like the product.
  if (staged) {
    Var sj = staged->args()[0], si = staged->args()[1], sjv("sjv");
    staged->compute_at(out, at).bound_extent(sj, tn).bound_extent(si, tm);
    staged->split(sj, sj, sjv, vn).vectorize(sjv).unroll(sj).unroll(si);
  }
}

// A sum along rows, sum(i...) = sum over r of in(r, ...), r.x running along
// the input's contiguous rows: the row in vector lanes (rfactor), summed
// across the lanes once per element of the sum; its outermost dimension in
// parallel. Reached (AMD EPYC Zen 5, 2 threads): [64, 32, 1024] in 0.3 ms,
// from 0.7 ms on one thread with the channels in vector lanes.
void scheduleRowSums(Func sum, RDom r, int vec, bool parallel) {
  int vx = rowVector(constantOr(r.x.extent(), vec), vec);
  RVar ro("ro"), ri("ri");
  Var u("u");
  Func lanes = sum.update().split(r.x, ro, ri, vx, TailStrategy::GuardWithIf).rfactor(ri, u);
  std::vector<Var> args = sum.args();
  sum.compute_root();
  if (parallel) {
    sum.parallel(args.back());
    sum.update().parallel(args.back());
  }
  lanes.compute_at(sum, args[0]).vectorize(u);
  lanes.update().vectorize(u);
}

// Sums per channel (see KernelFuncs::ChannelSums): each sample's rows as row
// sums, samples in parallel, then the samples' sums in vectors of channels.
// Reached (AMD EPYC Zen 5, 2 threads): batch norm's forward kernel on [64,
// 32, 32, 32] (three reads, one write of 8 MiB) 1.1 ms.
void scheduleChannelSums(KernelFuncs::ChannelSums &sums, int vec, const ScheduleChoice &choice) {
  if (sums.rows.defined())
    scheduleRowSums(sums.rows, sums.positions, vec, choice.parallel);
  Func total = sums.total;
  Var c = total.args()[0];
  total.compute_root().vectorize(c, vec, TailStrategy::GuardWithIf);
  total.update().vectorize(c, vec, TailStrategy::GuardWithIf);
}

// A sum across rows, out(j, i...) = sum over r of in(j, r, i...): vectors
// of j; for each i, the summed rows streamed through in order (r outside
// j), the output row's accumulators staying in cache; the outermost i in
// parallel. Reached (AMD EPYC Zen 5, 2 threads): an LSTM 512's bias
// gradient over the batch, [64, 48, 2048] -> [48, 2048], 0.7-0.9 ms; with the sum
// inside each vector of j (rows 393 KiB apart, one vector each), 3.2-3.3;
// over the steps, [64, 48, 2048] -> [64, 2048], 0.4-0.5 ms, from 1.8.
void scheduleColumnSums(KernelFuncs &k, int vec, bool parallel) {
  Func prod = k.prod;
  prod.compute_root();
  std::vector<Var> args = prod.args();
  if (args.empty())
    return; // a single value
  Stage sum = prod.update();
  // The update's loops over its pure dimensions (a scatter writes some at
  // computed places: those stay where Halide puts them).
  std::vector<Var> pure;
  for (size_t a = 0; a < args.size(); ++a)
    if (writesInPlace(prod, 1, a))
      pure.push_back(args[a]);
  if (pure.empty() || pure[0].name() != args[0].name())
    return;
  std::vector<VarOrRVar> order = {args[0]};
  for (int d = 0; d < k.reduction.dimensions(); ++d)
    order.push_back(k.reduction[d]);
  for (size_t a = 1; a < pure.size(); ++a)
    order.push_back(pure[a]);
  sum.reorder(order);
  const std::vector<int64_t> &shape = k.outputShapes[0];
  if (!shape.empty() && shape.back() > 0) {
    int vn = largestDivisor(shape.back(), {vec, 8, 4, 2, 1});
    prod.vectorize(args[0], vn);
    sum.vectorize(args[0], vn);
  }
  if (parallel && pure.size() > 1 && pure.back().name() == args.back().name()) {
    prod.parallel(args.back());
    sum.parallel(args.back());
  }
}

/// A transposed copy, computed in full before the product that reads it.
/// Where both extents are multiples of the vector width: blocks of vec x vec,
/// each read from the source as vec whole vectors and written as vec whole
/// vectors (the transpose happens in registers), rows of blocks in parallel.
/// Otherwise a vector of the copy gathers across the source's rows.
void scheduleTranspose(KernelFuncs::Transpose &t, int vec, bool parallel) {
  Var c = t.out.args()[0], k = t.out.args()[1];
  t.out.compute_root();
  auto [cols, rows] = t.extents;
  if (cols <= 0 || rows <= 0 || cols % vec != 0 || rows % vec != 0) {
    t.out.vectorize(c, vec, TailStrategy::GuardWithIf);
    return;
  }
  Var co("co"), ko("ko"), ci("ci"), ki("ki");
  t.out.tile(c, k, co, ko, ci, ki, vec, vec).vectorize(ci).unroll(ki);
  // Panels (a third dimension) in parallel, else rows of blocks.
  if (parallel)
    t.out.parallel(t.out.dimensions() == 3 ? t.out.args()[2] : ko);
  Var bk = t.block.args()[0], bc = t.block.args()[1];
  t.block.compute_at(t.out, co).vectorize(bk).unroll(bc);
}

} // namespace

bool KernelFuncs::usesMatmulTemplate() const {
  return anchor == Anchor::Matmul && outputs.size() == 1 &&
         (outputShapes[0].size() == 2 ||
          (outputShapes[0].size() == 3 && outputShapes[0][1] > 0));
}

bool KernelFuncs::usesSharedMatmulTemplate() const {
  if (anchor != Anchor::Matmul || outputs.size() < 2 || !stagedValues.empty())
    return false;
  const std::vector<int64_t> &shape = outputShapes[0];
  for (const std::vector<int64_t> &other : outputShapes)
    if (other != shape)
      return false;
  return prod.dimensions() == static_cast<int>(shape.size()) &&
         (shape.size() == 2 || (shape.size() == 3 && shape[1] > 0));
}

bool KernelFuncs::usesFlatImageTemplate() const {
  return anchor == Anchor::Window && window == Window::FlatImage && outputs.size() == 1 &&
         outputShapes[0].size() == 4;
}

bool KernelFuncs::usesWinogradTemplate() const {
  return anchor == Anchor::Window && window == Window::Winograd && outputs.size() == 1 &&
         outputShapes[0].size() == 4;
}

bool KernelFuncs::usesWinogradByChannelsTemplate() const {
  return anchor == Anchor::Window && window == Window::WinogradByChannels && outputs.size() == 1 &&
         outputShapes[0].size() == 4;
}

bool KernelFuncs::usesPerImageTemplate() const {
  return anchor == Anchor::Window && prod.has_update_definition() &&
         window == Window::PerImage && outputs.size() == 1 && outputShapes[0].size() == 4;
}

void KernelFuncs::copyAnchorOutputs() {
  for (Func &out : outputs) {
    if (out.name() != prod.name())
      continue;
    Func copy(out.name() + "_out");
    copy(out.args()) = out(out.args());
    out = copy;
  }
}

Func KernelFuncs::transposeOf(Func block, const std::string &name,
                              std::pair<int64_t, int64_t> extents) {
  Var c("c"), k("k");
  Func out(name);
  out(c, k) = block(k, c);
  transposes.push_back({out, block, extents});
  return out;
}

void scheduleKernel(KernelFuncs &k, int vectorWidth, const ScheduleChoice &choice) {
  int vec = templateVectorWidth(vectorWidth);
  k.copyAnchorOutputs();
  for (const KernelFuncs::Root &root : k.roots) {
    Func f = root.func;
    f.compute_root();
    if (!f.args().empty() && f.outputs() == 1)
      f.vectorize(f.args()[0], evenRowVector(root.rowExtent, vec), TailStrategy::GuardWithIf);
    // Pooling's window winners, one per output element (x, y, c, n): images
    // in parallel.
    if (f.args().size() == 4 && choice.parallel)
      f.parallel(f.args()[3]);
  }
  for (KernelFuncs::Transpose &t : k.transposes)
    scheduleTranspose(t, vec, choice.parallel);
  for (KernelFuncs::ChannelSums &sums : k.channelSums)
    scheduleChannelSums(sums, vec, choice);
  switch (k.anchor) {
  case KernelFuncs::Anchor::Matmul:
    if (k.usesMatmulTemplate()) {
      scheduleMatmul(k, k.outputs[0], k.outputShapes[0], vec, stagedValuesOf(k, k.outputs[0]),
                     choice);
      return;
    }
    if (usesSequenceWeightGradTemplate(k)) {
      scheduleSequenceWeightGrad(k, vec, choice);
      break;
    }
    // Several outputs share the product (an activation and the dropout
    // after it; a gradient and its square): the template computes it in
    // full, tile by tile, and the outputs read it.
    if (k.usesSharedMatmulTemplate()) {
      Func whole = k.prod.in();
      whole.compute_root();
      scheduleMatmul(k, whole, k.outputShapes[0], vec, nullptr, choice);
      break;
    }
    // Else compute it once, in full, a row at a time in parallel, the
    // reduction outside a vector of columns.
    {
      Var pj = k.prod.args()[0], pi = k.prod.args()[1];
      k.prod.compute_root().vectorize(pj, vec, TailStrategy::GuardWithIf);
      std::vector<VarOrRVar> order = {pj};
      for (int d = 0; d < k.reduction.dimensions(); ++d)
        order.push_back(k.reduction[d]);
      order.push_back(pi);
      k.prod.update().reorder(order).vectorize(pj, vec, TailStrategy::GuardWithIf);
      if (choice.parallel) {
        k.prod.parallel(pi);
        k.prod.update().parallel(pi);
      }
    }
    break;
  case KernelFuncs::Anchor::Reduce:
    if (k.reducesRows)
      scheduleRowSums(k.prod, k.reduction, vec, choice.parallel);
    else
      scheduleColumnSums(k, vec, choice.parallel);
    break;
  case KernelFuncs::Anchor::Window:
    if (k.window == KernelFuncs::Window::WinogradFilter) {
      scheduleWinogradFilterGrad(k, vec, choice);
      break;
    }
    if (k.prod.has_update_definition() && k.window == KernelFuncs::Window::Filter) {
      scheduleFilterGrad(k, vec, choice);
      break;
    }
    if (k.usesPerImageTemplate()) {
      schedulePerImage(k, k.outputs[0], k.outputShapes[0], vec, choice);
      return;
    }
    if (k.usesWinogradTemplate()) {
      scheduleWinograd(k, k.outputs[0], k.outputShapes[0], vec, choice);
      return;
    }
    if (k.usesWinogradByChannelsTemplate()) {
      scheduleWinogradByChannels(k, k.outputs[0], k.outputShapes[0], vec, choice);
      return;
    }
    if (k.usesFlatImageTemplate()) {
      scheduleFlatImage(k, k.outputs[0], k.outputShapes[0], vec, choice);
      return;
    }
    scheduleWindow(k, vec, choice.parallel);
    break;
  case KernelFuncs::Anchor::Scan:
    for (const KernelFuncs::Scan &scan : k.scans)
      scheduleScan(scan, vec, choice);
    break;
  case KernelFuncs::Anchor::Softmax:
  case KernelFuncs::Anchor::Elementwise:
    break;
  }
  for (size_t o = 0; o < k.outputs.size(); ++o)
    scheduleElementwise(k.outputs[o], k.outputShapes[o], vec, stagedValuesOf(k, k.outputs[o]),
                        choice);
}

std::string scheduleLoweredKernel(KernelFuncs &k, const ScheduleChoice &choice, bool templates,
                                  int vectorWidth, int batch) {
  for (KernelFuncs::ColumnStage &stage : k.columnStages) {
    stage.func.compute_root();
    if (!templates || !stage.vectorize)
      continue;
    int vec = vectorWidth > 0 ? vectorWidth
                              : get_host_target().natural_vector_size(k.elementType);
    stage.func.vectorize(stage.column, vec, TailStrategy::GuardWithIf);
    stage.func.update().vectorize(stage.column, vec, TailStrategy::GuardWithIf);
  }
  if (!choice.autoscheduler.empty())
    return autoscheduleKernel(k, choice.autoscheduler, batch, get_host_target());
  if (templates) {
    scheduleKernel(k, vectorWidth, choice);
    return "";
  }
  // Unscheduled Funcs are inlined; staged values must still be complete
  // before their output stores anything.
  for (auto &[name, staged] : k.stagedValues)
    staged.compute_root();
  for (KernelFuncs::Scan &scan : k.scans)
    scan.func.compute_root();
  for (KernelFuncs::ChannelSums &sums : k.channelSums) {
    if (sums.rows.defined())
      sums.rows.compute_root();
    sums.total.compute_root();
  }
  return "";
}

const std::vector<std::string> &autoschedulerNames() {
  static const std::vector<std::string> names = {"Adams2019", "Li2018", "Mullapudi2016"};
  return names;
}

bool ScheduleChoice::operator==(const ScheduleChoice &other) const {
  return autoscheduler == other.autoscheduler && rows == other.rows &&
         vectors == other.vectors && packLhs == other.packLhs && parallel == other.parallel &&
         tasks == other.tasks;
}

std::string ScheduleChoice::str() const {
  if (!autoscheduler.empty())
    return autoscheduler;
  std::ostringstream text;
  text << "templates";
  if (rows > 0)
    text << " rows=" << rows;
  if (vectors > 0)
    text << " vectors=" << vectors;
  if (!packLhs)
    text << " unpacked";
  if (!parallel)
    text << " serial";
  else if (tasks > 0)
    text << " tasks=" << tasks;
  return text.str();
}

bool parseScheduleChoice(const std::string &text, ScheduleChoice &choice) {
  std::istringstream words(text);
  std::string word;
  if (!(words >> word))
    return false;
  choice = ScheduleChoice();
  const std::vector<std::string> &names = autoschedulerNames();
  if (std::find(names.begin(), names.end(), word) != names.end()) {
    choice.autoscheduler = word;
    return !(words >> word);
  }
  if (word != "templates")
    return false;
  auto number = [](const std::string &digits, int &value) {
    if (digits.empty() || digits.size() > 3 ||
        !std::all_of(digits.begin(), digits.end(), ::isdigit))
      return false;
    value = std::stoi(digits);
    return value > 0;
  };
  while (words >> word) {
    if (word == "unpacked")
      choice.packLhs = false;
    else if (word == "serial")
      choice.parallel = false;
    else if (word.rfind("rows=", 0) == 0) {
      if (!number(word.substr(5), choice.rows))
        return false;
    } else if (word.rfind("vectors=", 0) == 0) {
      if (!number(word.substr(8), choice.vectors))
        return false;
    } else if (word.rfind("tasks=", 0) == 0) {
      if (!number(word.substr(6), choice.tasks))
        return false;
    } else {
      return false;
    }
  }
  return true;
}

std::vector<ScheduleChoice> scheduleCandidates(const KernelFuncs &k, int vectorWidth) {
  int vec = templateVectorWidth(vectorWidth);
  std::vector<ScheduleChoice> candidates = {ScheduleChoice()};
  auto add = [&](const ScheduleChoice &c) {
    if (std::find(candidates.begin(), candidates.end(), c) == candidates.end())
      candidates.push_back(c);
  };
  if (k.usesMatmulTemplate()) {
    // Other register tiles (those the extents allow and that differ from
    // the template's), and the left side read in place.
    const std::vector<int64_t> &shape = k.outputShapes[0];
    std::pair<int, int> usual = matmulTile(shape, vec, ScheduleChoice());
    for (auto [rows, vectors] : {std::pair{4, 2}, {8, 1}, {4, 1}, {2, 2}, {2, 4}}) {
      ScheduleChoice c;
      c.rows = rows;
      c.vectors = vectors;
      if (matmulTile(shape, vec, c) == std::pair{vectors * vec, rows} &&
          std::pair{vectors * vec, rows} != usual)
        add(c);
    }
    if (k.lhs.defined() && shape.size() == 2) {
      ScheduleChoice c;
      c.packLhs = false;
      add(c);
    }
  } else if (k.usesPerImageTemplate()) {
    const std::vector<int64_t> &shape = k.outputShapes[0];
    int vx = rowVector(shape[3], vec);
    int vectors = static_cast<int>((shape[3] + vx - 1) / vx);
    int usual = channelBlock(shape[1], vectors, 0);
    for (int limit : {8, 4, 2}) {
      int block = channelBlock(shape[1], vectors, limit);
      if (block != usual && block == limit) {
        ScheduleChoice c;
        c.rows = limit;
        add(c);
      }
    }
  } else if (k.anchor == KernelFuncs::Anchor::Scan) {
    for (int samples : {8, 2}) {
      ScheduleChoice c;
      c.rows = samples;
      add(c);
    }
  }
  // Fewer, longer parallel tasks and more, shorter ones than the templates'.
  for (int tasks : {8, 4 * kParallelTasks}) {
    ScheduleChoice c;
    c.tasks = tasks;
    add(c);
  }
  ScheduleChoice serial;
  serial.parallel = false;
  add(serial);
  // The autoschedulers plan everything themselves; a recurrence's scan is
  // beyond them (its update runs over the time steps in order).
  if (k.anchor != KernelFuncs::Anchor::Scan)
    for (const std::string &name : autoschedulerNames()) {
      ScheduleChoice c;
      c.autoscheduler = name;
      add(c);
    }
  return candidates;
}

std::string autoscheduleKernel(KernelFuncs &k, const std::string &name, int batch,
                               const Target &target) {
  // Plugins register themselves with Halide when loaded; load each once.
  static std::mutex mutex;
  static std::set<std::string> loaded;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!loaded.count(name)) {
      std::string file = name;
      std::transform(file.begin(), file.end(), file.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string path = std::string(KILN_HALIDE_PLUGIN_DIR) + "/libautoschedule_" + file + ".so";
      try {
        load_plugin(path);
      } catch (const Error &e) {
        return "cannot load the autoscheduler plugin " + path + ": " + e.what();
      }
      loaded.insert(name);
    }
  }
  // The autoscheduler plans the pipeline as if in-place outputs wrote
  // their new values (the staged Funcs) elsewhere; those are then computed
  // in full before the outputs copy them, so that no output stores before
  // all its new values exist.
  std::vector<Func> planned;
  for (size_t o = 0; o < k.outputs.size(); ++o) {
    const std::vector<int64_t> &shape = k.outputShapes[o];
    Region region;
    for (auto it = shape.rbegin(); it != shape.rend(); ++it)
      region.push_back({0, static_cast<int>(*it < 0 ? batch : *it)});
    Func *staged = stagedValuesOf(k, k.outputs[o]);
    Func f = staged ? *staged : k.outputs[o];
    f.set_estimates(region);
    planned.push_back(f);
  }
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  MachineParams machine(static_cast<int>(cores), 32u << 20, 40);
  {
    // The plugins narrate their search and warn about parallelism on
    // stderr; failures are exceptions, which pass through.
    StderrSilenced quiet;
    Pipeline(planned).auto_schedule(name, target, machine);
  }
  if (target.has_gpu_feature())
    return "";
  int vec = target.natural_vector_size(Float(32));
  for (size_t o = 0; o < k.outputs.size(); ++o) {
    Func *staged = stagedValuesOf(k, k.outputs[o]);
    if (!staged)
      continue;
    staged->compute_root();
    scheduleElementwise(k.outputs[o], k.outputShapes[o], vec, nullptr, ScheduleChoice());
  }
  return "";
}

} // namespace kiln
