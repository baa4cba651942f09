//===- RecurrentSchedules.cpp - Schedule templates of recurrences ---------===//
//
// The CPU templates of a recurrent layer: its scans (RecurrentCells.cpp), the
// forward scan and the backpropagation through time, and the weight gradients
// over every step of a sequence.
//
//===----------------------------------------------------------------------===//
#include "Codegen/RecurrentSchedules.h"
#include "Codegen/ScheduleHelpers.h"

using namespace Halide;
using namespace kiln::schedule_helpers;

namespace kiln {

/// Tasks a scan's batch (or a sequence weight gradient's rows) is cut into by
/// default: each task of a scan reads every recurrent weight once per step,
/// so few and long (two threads, balanced).
constexpr int kScanTasks = 2;

// A recurrence over time (see KernelFuncs::Scan): the batch cut into
// kScanTasks tasks of whole blocks of `samples` samples (4 unless chosen),
// in parallel. In a task, for each step, each block of hidden units and each
// block of samples: the recurrent product's blocks of terms, the block's
// accumulators (units in vectors, samples unrolled, every gate) in registers
// for a block's terms, then the cell. A block of units' weights is read from
// cache by all the task's samples in turn. Vectorizing a reduction variable
// needs allow_race_conditions: the units of one step read only the step
// before, never each other. Reached (AMD EPYC Zen 5, 2 threads, --profile,
// batch 64, 48 steps, 8 terms per update and 4 tasks, load 1.5): GRU 512
// forward scan 4.8 GFLOP in 18 ms (270 GFLOP/s), its backpropagation through
// time 25 ms (190); LSTM 512 forward 6.4 GFLOP in 22 ms (290), backward 40 ms
// (160; 4 terms per update took a fifth off it on a loaded machine). Before
// (weights read in place, one term per update, 4 samples per task): 90 and
// 89 ms for the GRU.
void scheduleScan(const KernelFuncs::Scan &scan, int vec, const ScheduleChoice &choice) {
  Func f = scan.func;
  RDom r = scan.domain;
  Var j = f.args()[0], b = f.args()[1];
  int vn = std::min(vec, scan.block);
  int samples = choice.rows > 0 ? choice.rows : 4;
  int tasks = choice.tasks > 0 ? choice.tasks : kScanTasks;
  // Every hidden unit, whatever the consumer reads (the forward kernel's
  // output has a dynamic extent): static strides, aligned vectors.
  f.compute_root().bound(j, 0, r[2].extent() * scan.block);
  if (vn > 1)
    f.vectorize(j, vn, TailStrategy::GuardWithIf);
  Expr blocks = (scan.batch + samples - 1) / samples;
  Expr blocksPerTask = max(1, (blocks + tasks - 1) / tasks);
  RVar jo("jo"), ji("ji");
  Var bt("bt"), bo("bo"), bm("bm"), bi("bi");
  Stage step = f.update();
  step.allow_race_conditions()
      .split(r[0], jo, ji, vn)
      .split(b, bt, bi, samples, TailStrategy::GuardWithIf)
      .split(bt, bo, bm, blocksPerTask, TailStrategy::GuardWithIf)
      .reorder(ji, jo, bi, r[1], bm, r[2], r[3], bo)
      .vectorize(ji)
      .unroll(jo)
      .unroll(bi);
  if (choice.parallel)
    step.parallel(bo);
}

bool usesSequenceWeightGradTemplate(const KernelFuncs &k) {
  if (!k.prod.has_update_definition() || k.reduction.dimensions() != 2 || k.outputs.size() < 2)
    return false;
  for (const std::vector<int64_t> &shape : k.outputShapes)
    if (shape != k.outputShapes[0])
      return false;
  const std::vector<int64_t> &shape = k.outputShapes[0];
  return shape.size() == 2 && shape[0] > 0 && shape[1] > 0 &&
         constantOr(k.reduction[0].extent(), -1) > 0;
}

/// The bytes of both sides' rows a chunk of a sequence's weight gradient
/// reads: they stay in the L2 cache while every tile of the product reads
/// them.
constexpr int64_t kWeightGradChunkBytes = 256 * 1024;

// prod(j, i) = sum over samples n and steps t of a(i, t, n) b(j, t, n): the
// samples in chunks whose rows of a and b fit kWeightGradChunkBytes (rfactor:
// a partial product per chunk, added to prod). For each chunk, each tile of
// 2 vectors of columns by 8 rows accumulates in registers over the chunk's
// rows, then is added to prod; blocks of tile rows in parallel, each going
// through every chunk. Before, prod was computed a row at a time, the whole
// reduction outside a vector of columns, its accumulators in memory.
// Reached (AMD EPYC Zen 5, 2 threads, --profile, batch 64, 48 steps): GRU 512's
// recurrent weight gradient (4.8 GFLOP) in 15 ms (320 GFLOP/s), from 213 ms;
// GRU 128's in 1.0 ms, from 5.2.
void scheduleSequenceWeightGrad(KernelFuncs &k, int vec, const ScheduleChoice &choice) {
  Func prod = k.prod;
  RDom r = k.reduction; // r[0]: steps (static), r[1]: samples
  int64_t rows = k.outputShapes[0][0], cols = k.outputShapes[0][1];
  auto [tn, tm] = matmulTile(k.outputShapes[0], vec, choice);
  int vn = std::min(vec, tn);
  int64_t sampleBytes = constantOr(r[0].extent(), 1) * (rows + cols) * k.elementType.bytes();
  int samples = static_cast<int>(std::max<int64_t>(1, kWeightGradChunkBytes / sampleBytes));

  RVar ro("ro"), ri("ri");
  Var u("u");
  Func chunk = prod.update().split(r[1], ro, ri, samples).rfactor(ro, u);
  Var j = prod.args()[0], i = prod.args()[1];
  prod.compute_root().vectorize(j, vn);
  int64_t rowTiles = rows / tm;
  int tasks = choice.tasks > 0 ? choice.tasks : kScanTasks;
  int tilesPerTask = static_cast<int>((rowTiles + tasks - 1) / tasks);
  Var jo("jo"), jt("jt"), jv("jv"), io("io"), ii("ii"), task("task");
  Stage total = prod.update();
  total.split(j, jo, jt, tn)
      .split(jt, jt, jv, vn)
      .split(i, io, ii, tm)
      .split(io, task, io, tilesPerTask, TailStrategy::GuardWithIf)
      .reorder(jv, jt, ii, jo, io, ro, task)
      .vectorize(jv)
      .unroll(jt)
      .unroll(ii);
  if (choice.parallel)
    total.parallel(task);

  Var cj = chunk.args()[0], ci = chunk.args()[1], cu = chunk.args()[2], cjv("cjv");
  chunk.compute_at(prod, jo);
  chunk.split(cj, cj, cjv, vn).vectorize(cjv).unroll(cj).unroll(ci);
  chunk.update()
      .split(cj, cj, cjv, vn)
      .reorder(cjv, cj, ci, r[0], ri, cu)
      .vectorize(cjv)
      .unroll(cj)
      .unroll(ci);
}

} // namespace kiln
