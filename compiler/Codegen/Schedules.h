//===- Schedules.h - Schedules for lowered kiln kernels ---------*- C++ -*-===//
//
// The schedule of a kernel is chosen apart from its algorithm: lowering
// records what it built (the outputs, and the kernel's anchor: the
// contraction or reduction that dominates its cost) and a template per anchor
// kind decides loop order, tiling, vectorization and parallelism.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_SCHEDULES_H
#define KILN_CODEGEN_SCHEDULES_H

#include <Halide.h>

#include <string>
#include <utility>
#include <vector>

namespace kiln {

struct KernelFuncs {
  enum class Anchor { Elementwise, Matmul, Reduce, Softmax, Window, Scan };
  Anchor anchor = Anchor::Elementwise;
  /// Matmul: the accumulator `prod(j, i) += a(i, r) * b(r, j)` with its pure
  /// vars (j, i); Reduce: the sum; Window: the convolution or pooling over
  /// NCHW (innermost var: the column); Softmax: unused.
  Halide::Func prod;
  Halide::RDom reduction;
  /// Reduce: the sum runs along the input's innermost dimension, whose
  /// elements lie next to each other.
  bool reducesRows = false;
  /// Matmul without transpose_lhs: the left side, lhs(k, i, ...); inlined
  /// unless a schedule stores a block of its rows.
  Halide::Func lhs;
  /// Matmul: an operand copied in panels of the register tile's extent,
  /// panels(c, k, panel) = operand(panel * width + c, k), so that a tile
  /// reads its `width` values of each k as one run of memory; the product
  /// reads it as panels(c % width, k, c / width). Rows of an operand whose
  /// length is a power of two otherwise put a tile's reads down a column in
  /// a few cache sets. `rhs`: the right side's columns; `lhs`: a weight
  /// gradient's (transpose_lhs) left side, its columns being the product's
  /// rows. Undefined where the product reads the operand in place; inlined
  /// (read in place) by any schedule but the matmul template.
  struct Panels {
    Halide::Func func;
    int width = 0;
    /// The panels are a transposed copy (recorded in `transposes` too).
    bool transposed = false;
  };
  Panels rhsPanels, lhsPanels;
  /// Intermediates computed in full before the outputs: softmax's per-row
  /// maximum and sum of exponentials, pooling's window winners; with the
  /// extent of their innermost dimension where it is static (else -1).
  struct Root {
    Root(Halide::Func func, int64_t rowExtent = -1) : func(func), rowExtent(rowExtent) {}
    Halide::Func func;
    int64_t rowExtent;
  };
  std::vector<Root> roots;
  /// Copies of a matrix transposed, `out(c, k) = block(k, c)`, `block` a
  /// plain read of the source: scheduled in square blocks that are loaded
  /// and stored as whole vectors. `extents` are out's static ones, (c, k),
  /// -1 where dynamic. Matmul panels of a transposed right side are one too,
  /// out(c, k, panel) = block(k, panel * width + c).
  struct Transpose {
    Halide::Func out, block;
    std::pair<int64_t, int64_t> extents;
  };
  std::vector<Transpose> transposes;
  /// A Func out(c, k) = block(k, c), recorded in `transposes`; `block` reads
  /// the source along its innermost dimension k.
  Halide::Func transposeOf(Halide::Func block, const std::string &name,
                           std::pair<int64_t, int64_t> extents);
  /// Window: the inputs of the convolution or pooling over (x, y, channel,
  /// n), padded (reads outside give the padding value); and which kind of
  /// result `prod` is: per image (a convolution or its input gradient,
  /// reducing over taps and channels; pooling has no update) or per filter
  /// (the filter gradient, reducing over images and positions).
  std::vector<Halide::Func> windowInputs;
  /// FlatImage: sums `sum(p, c, n)` over an image's positions flattened (p =
  /// y * width + x, see kFlatImagePositions), each reading its windows
  /// copied into `taps(p, kx, ky, channel, n)` and reducing over
  /// `reduction`. Usually one, `prod`, which the output reads. An input
  /// gradient of stride s > 1 has one per phase of the input (the positions
  /// (s qx + px, s qy + py) of one (px, py)) with only the taps that reach
  /// it, over the (qx, qy) grid of the gradient; the output interleaves
  /// them (`phaseStride` s), and is zero at a phase no tap reaches.
  enum class Window { PerImage, FlatImage, Filter, Winograd, WinogradByChannels, WinogradFilter };
  struct FlatSum {
    Halide::Func sum, taps;
    Halide::RDom reduction;
  };
  std::vector<FlatSum> flatSums;
  /// Winograd: a 3 x 3 convolution of stride 1 (or its input gradient) as
  /// F(2 x 2, 3 x 3). Tiles of 2 x 2 outputs, t = ty * tilesWide + tx; per
  /// tile, 16 products e = a + 4 b of the transformed filter, filter(e, ci,
  /// co), and the transformed 4 x 4 input tile, input(tx, ty, ci, e, n)
  /// (read densely along t), summed over input channels in product(t, co,
  /// e, n) (`prod`, reducing over `reduction`), from which the output
  /// transform reads its 2 x 2 values.
  /// WinogradByChannels: the same with output channels in the lanes:
  /// filter(co, ci, e), input(ci, tx, ty, e, n) (transformed from
  /// `inputCopy`, a copy of the input that the schedule stores channels
  /// innermost, read from its rows `inputRows`), product(co, tx, ty, e, n).
  /// WinogradFilter: the filter gradient by the same tiles, transposed:
  /// input(ci, tx, ty, e, n) as above, the output gradient's tiles by A,
  /// gradient(tx, ty, co, e, n), their products summed over tiles and
  /// images in product(ci, co, e) (`prod`, reducing over `reduction` = (tx,
  /// ty, n)), and the filter gradient G^T P G, filterGradient(kx, ky, ci,
  /// co).
  struct Winograd {
    Halide::Func filter, input, product;
    int tilesWide = 0;
    Halide::Func inputCopy, inputRows, gradient, filterGradient;
    /// The width of the input that `inputCopy` copies (1 where unknown).
    int inputWidth = 1;
  };
  Winograd winograd;
  int phaseStride = 1;
  Window window = Window::PerImage;
  std::vector<Halide::Func> outputs;
  /// Row-major shape of each output, outermost first; -1 marks the batch.
  std::vector<std::vector<int64_t>> outputShapes;
  /// Scan: the recurrences, in the order they run. `func(j, b, t)` has one
  /// update over `domain` = (j within its block, kb, block of j, step), j a
  /// hidden unit in blocks of `block`, kb in [0, H / K]: blocks of K terms of
  /// the recurrent product, then the cell. Step t reads only step t - 1
  /// (t + 1 when running backwards), so units of one step may be computed
  /// together. `batch` is the extent of b.
  struct Scan {
    Halide::Func func;
    Halide::RDom domain;
    int block;
    Halide::Expr batch;
  };
  std::vector<Scan> scans;
  /// In-place Tuple outputs (by Func name) and the Func holding their new
  /// values, which must be computed per tile or row before the output
  /// stores any of it.
  std::vector<std::pair<std::string, Halide::Func>> stagedValues;
  /// Training health's partial results per column (or per unit) ahead of
  /// their total, computed in full; vectorized across `column` when it is
  /// the data's innermost dimension (`vectorize`).
  struct ColumnStage {
    Halide::Func func;
    Halide::Var column;
    bool vectorize;
  };
  std::vector<ColumnStage> columnStages;
  /// Sums per channel of a tensor [N, C, ...] (batch normalization's
  /// statistics): `rows(c, n)`, over the `positions` of each sample (absent
  /// for a [N, C] tensor), then `total(c)` over the samples. Both computed
  /// in full; either may be a Tuple of several sums.
  struct ChannelSums {
    Halide::Func rows, total;
    Halide::RDom positions;
  };
  std::vector<ChannelSums> channelSums;
  /// What the kernel computes in: Float(32), or Float(64) for gradient checks.
  Halide::Type elementType = Halide::Float(32);

  /// Gives each output that is the anchor itself a copy stage, so that the
  /// anchor can be computed per tile of the output.
  void copyAnchorOutputs();
  /// Whether the matmul template plans the kernel (one output, its rows
  /// static when it has leading dims), and the per-image convolution one.
  bool usesMatmulTemplate() const;
  /// Whether several outputs of the product's shape (no in-place one) read
  /// the product, which the matmul template then computes in full for them.
  bool usesSharedMatmulTemplate() const;
  bool usesPerImageTemplate() const;
  bool usesFlatImageTemplate() const;
  bool usesWinogradTemplate() const;
  bool usesWinogradByChannelsTemplate() const;
};

/// Convolutions (and stride-1 input gradients) whose images have a multiple
/// of this many positions flatten them into one index
/// (KernelFuncs::Window::FlatImage): whole vectors of positions, spanning
/// rows where rows are short.
constexpr int kFlatImagePositions = 16;

/// The Halide autoschedulers (plugins shipped with Halide) that
/// ScheduleChoice::autoscheduler and `kilnc --autoschedule` accept.
const std::vector<std::string> &autoschedulerNames();

/// The knobs of the schedule templates that `kilnc --autotune` searches per
/// kernel (ScheduleTuner.cpp). The default value is the templates' own plan; a
/// knob a kernel's template has no use for, or a value its extents do not
/// allow (a tile that does not divide a static extent), is ignored, so any
/// choice gives a correct schedule of any kernel.
struct ScheduleChoice {
  /// Non-empty: plan the kernel with this Halide autoscheduler instead.
  std::string autoscheduler;
  /// Matmul: register tile rows. Convolution per image: channels per
  /// register block. Scan: samples per block. 0: the template's choice.
  int rows = 0;
  /// Matmul: register tile columns, in vectors. 0: the template's choice.
  int vectors = 0;
  /// Matmul: copy the left side's rows per block of rows.
  bool packLhs = true;
  /// Run the outermost loop on Halide's thread pool.
  bool parallel = true;
  /// The most tasks a parallel loop is cut into, each a run of consecutive
  /// iterations (Halide's pool hands out one task at a time, under a lock).
  /// 0: the templates' kParallelTasks.
  int tasks = 0;

  bool operator==(const ScheduleChoice &other) const;
  /// A one-line spelling, e.g. "templates", "templates rows=4 vectors=1
  /// serial", "Adams2019"; parseScheduleChoice reads it back.
  std::string str() const;
};

/// How many tasks the templates cut a parallel loop into, at most: enough to
/// keep a few cores busy and balanced, few enough that handing them out costs
/// little next to the work (one task per tile of a weight gradient, 1,568 of
/// them for a 784 x 512 weight, made two threads slower than one).
constexpr int kParallelTasks = 32;

/// Reads ScheduleChoice::str()'s spelling; false when `text` is not one.
bool parseScheduleChoice(const std::string &text, ScheduleChoice &choice);

/// The vector width of the templates: `vectorWidth`, or where that is 0 the
/// host's for float32.
int templateVectorWidth(int vectorWidth);

/// The register tile of a matmul output of `shape`: {columns, rows}.
std::pair<int, int> matmulTile(const std::vector<int64_t> &shape, int vec,
                               const ScheduleChoice &choice);

/// The choices worth timing for `kernel` (lowered with the default choice),
/// the default first: the templates' variants for its anchor kind, then
/// each autoscheduler.
std::vector<ScheduleChoice> scheduleCandidates(const KernelFuncs &kernel, int vectorWidth);

void scheduleKernel(KernelFuncs &kernel, int vectorWidth, const ScheduleChoice &choice = {});

/// Schedules a kernel just lowered. Health columns are computed in full, and
/// vectorized unless `templates` is off (kilnc --no-schedule); then the
/// kernel is planned by `choice`'s autoscheduler if it names one (for
/// batches of `batch`), else by the templates when `templates` is on, else
/// everything is inlined but what must be computed in full (staged values,
/// scans). Returns an error message, or "" on success.
std::string scheduleLoweredKernel(KernelFuncs &kernel, const ScheduleChoice &choice,
                                  bool templates, int vectorWidth, int batch);

/// Schedules the kernel with Halide's autoscheduler `name` (its plugin is
/// loaded on first use) for batches of `batch` on `target`. The kernel's
/// inputs must carry estimates already. For a GPU target, in-place outputs
/// are left for the caller (autoscheduleGpuKernel). Returns an error
/// message, or "" on success.
std::string autoscheduleKernel(KernelFuncs &kernel, const std::string &name, int batch,
                               const Halide::Target &target);

} // namespace kiln

#endif // KILN_CODEGEN_SCHEDULES_H
