//===- WindowSchedules.cpp - Schedule templates of convolutions and pooling -===//
//
// The CPU templates of the Window anchor (see Schedules.cpp's contract):
// convolutions and their input gradients per image (rows in vectors, or
// flattened positions for images whose positions fill whole vectors), the
// filter gradient, and pooling.
//
//===----------------------------------------------------------------------===//
#include "Codegen/WindowSchedules.h"
#include "Codegen/ScheduleHelpers.h"

#include <algorithm>

using namespace Halide;
using namespace kiln::schedule_helpers;

namespace kiln {

int channelBlock(int64_t channels, int vectors, int limit) {
  for (int candidate : {16, 8, 6, 4, 3, 2})
    if ((limit <= 0 || candidate <= limit) && channels % candidate == 0 &&
        candidate * vectors <= 16)
      return candidate;
  return 1;
}

// A window kernel's inputs (KernelFuncs::windowInputs), each in vectors
// along its rows: computed per image of `out` where `out` is given, else in
// full with images in parallel.
static void scheduleWindowInputs(const KernelFuncs &k, int vec, bool parallel, Func out = {}) {
  for (Func in : k.windowInputs) {
    if (out.defined())
      in.compute_at(out, out.args()[3]);
    else
      in.compute_root();
    in.vectorize(in.args()[0], vec, TailStrategy::GuardWithIf);
    if (!out.defined() && parallel)
      in.parallel(in.args()[3]);
  }
}

// A convolution or its input gradient, out(x, y, c, n) = sum over taps and
// channels, with an epilogue inlined into `out`. Images in parallel; each
// image's padded input computed once; per output row, a block of channels
// is accumulated in registers: the row in vectors, the channels unrolled, the
// taps and input channels outside, so that each vector of input read serves
// every channel of the block.
void schedulePerImage(KernelFuncs &k, Func out, const std::vector<int64_t> &shape, int vec,
                      const ScheduleChoice &choice) {
  int64_t channels = shape[1], width = shape[3];
  int vx = rowVector(width, vec);
  int vectors = static_cast<int>((width + vx - 1) / vx);
  int block = channelBlock(channels, vectors, choice.rows);
  Var x = out.args()[0], y = out.args()[1], c = out.args()[2], n = out.args()[3];
  Var co("co"), ci("ci");
  out.split(c, co, ci, block).reorder(x, ci, y, co, n);
  if (choice.parallel)
    out.parallel(n);
  out.vectorize(x, vx, TailStrategy::GuardWithIf);

  Func prod = k.prod;
  RDom r = k.reduction;
  Var px = prod.args()[0], pc = prod.args()[2], pxo("pxo"), pxi("pxi");
  prod.compute_at(out, y).bound_extent(px, vectors * vx).bound_extent(pc, block);
  prod.split(px, pxo, pxi, vx).vectorize(pxi).unroll(pxo).unroll(pc);
  prod.update()
      .split(px, pxo, pxi, vx)
      .reorder(pxi, pxo, pc, r.x, r.y, r.z)
      .vectorize(pxi)
      .unroll(pxo)
      .unroll(pc);
  scheduleWindowInputs(k, vec, choice.parallel, out);
}

// One flattened sum of a FlatImage kernel, computed per image of `out`: in
// tiles of a few vectors of positions (several rows each where rows are
// short), the tile's windows copied into taps, then the sum as a product of
// the filter and the taps: the tile's vectors and a block of channels in
// registers, the taps and input channels outside, so that each vector of
// taps serves every channel of the block and each filter weight every
// vector of the tile.
/// The most bytes of taps a tile keeps on its thread's stack.
constexpr int64_t kMaxStackTapBytes = 256 * 1024;

static void scheduleFlatSum(KernelFuncs::FlatSum s, Func out, int64_t positions, int64_t channels,
                            int64_t width, int vec, int rows) {
  int vp = rowVector(positions, vec);
  int vectors = static_cast<int>(std::min<int64_t>(4, (positions + vp - 1) / vp));
  int block = channelBlock(channels, vectors, rows);
  RDom r = s.reduction;
  Var p = s.sum.args()[0], pc = s.sum.args()[1];
  Var tile("tile"), pt("pt"), po("po"), pi("pi"), co("co"), ci("ci");
  s.sum.compute_at(out, out.args()[3])
      .bound(p, 0, static_cast<int>(positions))
      .bound(pc, 0, static_cast<int>(channels))
      .vectorize(p, vp, TailStrategy::GuardWithIf);
  s.sum.update()
      .split(p, tile, pt, vectors * vp, TailStrategy::GuardWithIf)
      .split(pt, po, pi, vp, TailStrategy::GuardWithIf)
      .split(pc, co, ci, block, TailStrategy::GuardWithIf)
      .reorder(pi, po, ci, r.x, r.y, r.z, co, tile)
      .vectorize(pi)
      .unroll(po)
      .unroll(ci);
  Var tp = s.taps.args()[0], ty("ty"), tx("tx");
  int vx = rowVector(std::min<int64_t>(width, vec), vec);
  s.taps.compute_at(s.sum, tile).split(tp, ty, tx, static_cast<int>(std::min<int64_t>(width, vec)));
  // A tile's taps on the stack where they are small (one heap allocation per
  // tile was 4% of a 32 x 32 convolution; with it on the stack, the kernel
  // took 7-8% less).
  int64_t tapBytes = vectors * vp * s.sum.output_types()[0].bytes();
  for (int d = 0; d < r.dimensions(); ++d)
    tapBytes *= constantOr(r[d].extent(), kMaxStackTapBytes);
  if (tapBytes <= kMaxStackTapBytes)
    s.taps.store_in(MemoryType::Stack);
  s.taps.vectorize(tx, vx, TailStrategy::GuardWithIf);
}

// A convolution or its input gradient over flattened positions (FlatImage),
// images in parallel, each image's sums (see scheduleFlatSum) computed
// before its output. An output that interleaves phases is split by the
// stride along both axes, the phases unrolled, so that each reads its sum
// as whole vectors and the phases' stores merge into dense ones.
// Reached (AMD EPYC Zen 5, AVX-512, 2 threads, batch 64, VGG-style CNN):
// 8 x 8 images, 128 -> 128 channels, 450 GFLOP/s (the row template: 165);
// 16 x 16, 64 -> 64: 430 (row template: 300).
void scheduleFlatImage(KernelFuncs &k, Func out, const std::vector<int64_t> &shape, int vec,
                       const ScheduleChoice &choice) {
  int s = k.phaseStride;
  int64_t channels = shape[1], width = shape[3] / s, positions = shape[2] * shape[3] / (s * s);
  Var x = out.args()[0], y = out.args()[1], n = out.args()[3];
  if (choice.parallel)
    out.parallel(n);
  if (s > 1) {
    // The image's whole extent, from 0, so that each position's phase is
    // known where the phases are unrolled.
    Var xo("xo"), xi("xi"), yo("yo"), yi("yi");
    out.bound(x, 0, static_cast<int>(shape[3])).bound(y, 0, static_cast<int>(shape[2]));
    out.split(x, xo, xi, s).split(y, yo, yi, s).unroll(xi).unroll(yi);
    out.vectorize(xo, rowVector(width, vec), TailStrategy::GuardWithIf);
  } else {
    out.vectorize(x, rowVector(width, vec), TailStrategy::GuardWithIf);
  }
  for (const KernelFuncs::FlatSum &sum : k.flatSums)
    scheduleFlatSum(sum, out, positions, channels, width, vec, choice.rows);
  scheduleWindowInputs(k, vec, choice.parallel, out);
}

// A 3 x 3 convolution or input gradient by F(2 x 2, 3 x 3), images in
// parallel. Per image, the 16 products of every tile (a matrix product per
// product index e: tiles by input channels times input channels by output
// channels) in blocks of a few vectors of tiles: the block's input tiles
// transformed into a copy (on the stack where small) a row of tiles at a
// time, tiles in the lanes (gathered along t instead, on 16 x 16 images the
// transform took 22% of the kernel; by rows, 5%), then the block's
// vectors and a block of output channels accumulated in registers over the
// input channels, each vector of transformed input serving every channel of
// the block. The output reads a tile row's products as whole vectors, its
// two columns and rows of each tile unrolled so that their stores merge.
// The transformed tiles and the products are stored with their channel
// extent padded by one: unpadded, their 16 planes lay a multiple of 4 KiB
// apart, in one set of the L1 cache (1 thread, 32 x 32 images: the input
// transform 1.04 -> 0.29 ms, the output's 0.46 -> 0.21).
// Reached (AMD EPYC Zen 5, AVX-512, 1 thread, batch 64, VGG-style CNN): 32 x
// 32 images, 32 -> 32 channels, 3.51 ms, 344 GFLOP/s of the direct form's
// work (120% of the CPU's multiply-add peak; the direct form: 203); the
// products alone at 70% of the peak. 16 x 16, 64 -> 64: 3.16 ms (383).
void scheduleWinograd(KernelFuncs &k, Func out, const std::vector<int64_t> &shape, int vec,
                      const ScheduleChoice &choice) {
  const KernelFuncs::Winograd &w = k.winograd;
  int64_t channels = shape[1], height = shape[2], width = shape[3];
  int64_t tiles = w.tilesWide * (height / 2);
  Var x = out.args()[0], y = out.args()[1], n = out.args()[3];
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi");
  if (choice.parallel)
    out.parallel(n);
  out.bound(x, 0, static_cast<int>(width)).bound(y, 0, static_cast<int>(height));
  out.split(x, xo, xi, 2).split(y, yo, yi, 2).unroll(xi).unroll(yi);
  out.vectorize(xo, rowVector(w.tilesWide, vec), TailStrategy::GuardWithIf);

  Func product = w.product;
  RDom r = k.reduction;
  Var t = product.args()[0], co = product.args()[1], e = product.args()[2];
  int vectors = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(4, tiles / vec)));
  int block = channelBlock(channels, vectors, choice.rows);
  product.compute_at(out, n)
      .bound(t, 0, static_cast<int>(tiles))
      .bound(co, 0, static_cast<int>(channels))
      .bound(e, 0, 16)
      .align_storage(t, static_cast<int>(tiles + vec))
      .align_storage(co, static_cast<int>(channels + 1))
      .vectorize(t, vec, TailStrategy::GuardWithIf);
  Var tile("tile"), pt("pt"), po("po"), pi("pi"), coo("coo"), coi("coi");
  product.update()
      .split(t, tile, pt, vectors * vec, TailStrategy::GuardWithIf)
      .split(pt, po, pi, vec, TailStrategy::GuardWithIf)
      .split(co, coo, coi, block, TailStrategy::GuardWithIf)
      .reorder(pi, po, coi, r.x, coo, e, tile)
      .vectorize(pi)
      .unroll(po)
      .unroll(coi);

  Func input = w.input;
  Var itx = input.args()[0], ity = input.args()[1], ic = input.args()[2], ie = input.args()[3];
  int64_t inChannels = constantOr(r.x.extent(), 0);
  input.compute_at(product, tile)
      .reorder(itx, ie, ity, ic)
      .vectorize(itx, rowVector(w.tilesWide, vec), TailStrategy::GuardWithIf)
      .unroll(ie);
  if (inChannels > 0) {
    input.align_storage(ic, static_cast<int>(inChannels + 1));
    int64_t inputBytes = vectors * vec * 16 * (inChannels + 1) * input.output_types()[0].bytes();
    if (inputBytes <= kMaxStackTapBytes)
      input.store_in(MemoryType::Stack);
  }

  // The filter's 16 values per pair of channels, once per call: the 16
  // unrolled innermost, so that they share the pair's 9 weight reads, output
  // channels in parallel. (The 16 outermost, one parallel loop each, took
  // 13-23% of each kernel.)
  Func filter = w.filter;
  Var fe = filter.args()[0], fc = filter.args()[1], fo = filter.args()[2];
  filter.compute_root().reorder(fe, fc, fo).unroll(fe);
  if (choice.parallel)
    filter.parallel(fo);
  scheduleWindowInputs(k, vec, choice.parallel, out);
}

// A Winograd form's copy of its input stored channels innermost, computed
// at `at`, in blocks of a vector of channels by a vector of columns (or the
// row): the block's rows loaded as whole vectors, then stored transposed.
// (Gathering each vector of channels from planes 4 KiB apart, one L1 set,
// took 38% of a 32 x 32 filter gradient.)
static void scheduleChannelsInnermostCopy(const KernelFuncs::Winograd &w, LoopLevel at, int vec) {
  Func in = w.inputCopy;
  Var x = in.args()[0], y = in.args()[1], c = in.args()[2], n = in.args()[3];
  Var xo("xo"), xi("xi"), co("co"), ci("ci");
  int columns = std::min(vec, w.inputWidth);
  in.compute_at(at)
      .reorder_storage(c, x, y, n)
      .tile(c, x, co, xo, ci, xi, vec, columns)
      .reorder(ci, xi, co, xo, y, n)
      .vectorize(ci)
      .unroll(xi);
  Func rows = w.inputRows;
  rows.compute_at(in, co).vectorize(rows.args()[0]).unroll(rows.args()[2]);
}

// A Winograd form's input tiles with input channels in the lanes
// (input(ci, tx, ty, e, n)), computed at `at`, each e's plane padded out of
// one L1 set.
static void scheduleChannelTiles(const KernelFuncs::Winograd &w, LoopLevel at, int vec) {
  Func input = w.input;
  Var ic = input.args()[0], itx = input.args()[1], ity = input.args()[2], ie = input.args()[3],
      in_ = input.args()[4];
  input.compute_at(at)
      .align_storage(itx, w.tilesWide + 1)
      .reorder(ic, ie, itx, ity, in_)
      .vectorize(ic, vec)
      .unroll(ie);
  scheduleChannelsInnermostCopy(w, at, vec);
}

// A 3 x 3 convolution or input gradient by F(2 x 2, 3 x 3) with output
// channels in the lanes (KernelFuncs::Window::WinogradByChannels), images in
// parallel. Per image: the input copied channels innermost and its tiles
// transformed; the 16 products of every tile in register blocks of one or
// two vectors of output channels by a few tiles, over the input channels:
// each vector of the transformed filter serves the block's tiles, each
// tile's value broadcast. The output transform reads vectors of channels
// and stores each lane to its channel's plane.
// Reached (AMD EPYC Zen 5, AVX-512, 1 thread, batch 64, VGG-style CNN): 8 x
// 8 images, 128 -> 128 channels, 3.19 ms (the direct form 4.43), the
// products at 250 GFLOP/s (87% of the CPU's multiply-add peak).
void scheduleWinogradByChannels(KernelFuncs &k, Func out, const std::vector<int64_t> &shape,
                                int vec, const ScheduleChoice &choice) {
  const KernelFuncs::Winograd &w = k.winograd;
  int64_t channels = shape[1], height = shape[2], width = shape[3];
  int tilesWide = w.tilesWide, tilesHigh = static_cast<int>(height / 2);
  Var x = out.args()[0], y = out.args()[1], c = out.args()[2], n = out.args()[3];
  Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), cco("cco"), cci("cci");
  out.bound(x, 0, static_cast<int>(width)).bound(y, 0, static_cast<int>(height));
  out.split(x, xo, xi, 2)
      .split(y, yo, yi, 2)
      .split(c, cco, cci, vec)
      .reorder(cci, xi, yi, xo, yo, cco, n)
      .vectorize(cci)
      .unroll(xi)
      .unroll(yi);
  if (choice.parallel)
    out.parallel(n);

  Func product = w.product;
  RDom r = k.reduction;
  Var co = product.args()[0], tx = product.args()[1], ty = product.args()[2], e = product.args()[3];
  int lanes = channels % (2 * vec) == 0 ? 2 * vec : vec;
  int blockX = std::min(tilesWide, 4);
  while (tilesWide % blockX != 0)
    --blockX;
  int blockY = 1;
  for (int candidate : {4, 2})
    if (tilesHigh % candidate == 0 && (lanes / vec) * blockX * candidate <= 16) {
      blockY = candidate;
      break;
    }
  product.compute_at(out, n)
      .bound(co, 0, static_cast<int>(channels))
      .bound(tx, 0, tilesWide)
      .bound(ty, 0, tilesHigh)
      .bound(e, 0, 16)
      .align_storage(tx, tilesWide + 1)
      .vectorize(co, vec);
  Var coo("coo"), coi("coi"), pco("pco"), pci("pci"), txo("txo"), txi("txi"), tyo("tyo"),
      tyi("tyi");
  product.update()
      .split(co, coo, coi, lanes)
      .split(coi, pco, pci, vec)
      .split(tx, txo, txi, blockX)
      .split(ty, tyo, tyi, blockY)
      .reorder(pci, pco, txi, tyi, r.x, txo, tyo, coo, e)
      .vectorize(pci)
      .unroll(pco)
      .unroll(txi)
      .unroll(tyi);
  scheduleChannelTiles(w, LoopLevel(out, n), vec);

  // The filter's 16 values per pair of channels, once per call.
  Func filter = w.filter;
  Var fo = filter.args()[0], fc = filter.args()[1], fe = filter.args()[2];
  filter.compute_root().reorder(fo, fe, fc).vectorize(fo, vec).unroll(fe);
  if (choice.parallel)
    filter.parallel(fc);
}

// A 3 x 3 filter gradient by F(2 x 2, 3 x 3) (KernelFuncs::Window::
// WinogradFilter): the images in a few slices summed apart, in parallel
// (rfactor), each slice in chunks of images (or of tile rows, for large
// images) whose transformed tiles stay in the thread's L2 cache. Per chunk:
// the input copied channels innermost, its tiles transformed (input
// channels in the lanes), the gradient's tiles transformed (lanes along a
// row of tiles); then, for each product index e, block of input channels
// and block of output channels, the chunk's tiles summed in registers: a
// vector of input channels times each of the block's output channels,
// broadcast. Then the slices summed, and G^T P G per filter element.
// Reached (AMD EPYC Zen 5, AVX-512, 1 thread, batch 64): the products at
// 86-92% of the CPU's multiply-add peak on 32 x 32, 16 x 16 and 8 x 8
// images; whole kernels (VGG-style CNN) 32 x 32, 32 -> 32 channels 5.69 ->
// 3.36-3.65 ms (the copy and the two transforms, memory-bound, 1.3 ms of
// it); 16 x 16, 64 -> 64 4.90 -> 2.87; 8 x 8, 128 -> 128 5.19 -> 3.07.
/// Slices of the images whose products are summed apart (in parallel).
constexpr int kWinogradFilterSlices = 4;
/// The most bytes of transformed tiles (input and gradient) per chunk.
constexpr int64_t kWinogradFilterChunkBytes = 512 << 10;

void scheduleWinogradFilterGrad(KernelFuncs &k, int vec, const ScheduleChoice &choice) {
  const KernelFuncs::Winograd &w = k.winograd;
  const std::vector<int64_t> &shape = k.outputShapes[0];
  int64_t outChannels = shape[0], inChannels = shape[1];
  RDom r = k.reduction;
  int64_t tilesHigh = constantOr(r.y.extent(), 1);
  int lanes = inChannels % (2 * vec) == 0 ? 2 * vec : vec;
  int block = outChannels % 8 == 0 ? 8 : 4;
  Func product = w.product;
  Var ci = product.args()[0], co = product.args()[1], e = product.args()[2];
  RVar so("so"), si("si");
  Var slice("slice");
  Expr batch = r.z.extent();
  Func slices = product.update()
                    .split(r.z, so, si, (batch + kWinogradFilterSlices - 1) / kWinogradFilterSlices)
                    .rfactor(so, slice);
  slices.compute_root()
      .bound(ci, 0, static_cast<int>(inChannels))
      .bound(co, 0, static_cast<int>(outChannels))
      .bound(e, 0, 16)
      .vectorize(ci, vec);
  Stage sums = slices.update();
  Var cio("cio"), cii("cii"), pco("pco"), pci("pci"), poo("poo"), poi("poi");
  sums.split(ci, cio, cii, lanes).split(cii, pco, pci, vec).split(co, poo, poi, block);
  int64_t tileBytes = (inChannels + outChannels) * 16 * 4;
  int64_t rowBytes = tileBytes * w.tilesWide, imageBytes = rowBytes * tilesHigh;
  RVar chunks("chunks");
  if (imageBytes > kWinogradFilterChunkBytes) {
    // Bands of tile rows: the most rows within the chunk's bytes that
    // divide the image's.
    int rows = 1;
    for (int candidate = 1; candidate <= tilesHigh; ++candidate)
      if (tilesHigh % candidate == 0 && candidate * rowBytes <= kWinogradFilterChunkBytes)
        rows = candidate;
    RVar rows_("rows");
    sums.split(r.y, chunks, rows_, rows)
        .reorder(pci, pco, poi, r.x, rows_, poo, cio, e, chunks, si, slice);
  } else {
    int images = static_cast<int>(std::max<int64_t>(1, kWinogradFilterChunkBytes / imageBytes));
    RVar images_("images");
    sums.split(si, chunks, images_, images, TailStrategy::GuardWithIf)
        .reorder(pci, pco, poi, r.x, r.y, images_, poo, cio, e, chunks, slice);
  }
  sums.vectorize(pci).unroll(pco).unroll(poi);
  if (choice.parallel)
    sums.parallel(slice);

  // The chunk's transformed tiles.
  scheduleChannelTiles(w, LoopLevel(slices, chunks), vec);
  Func gradient = w.gradient;
  Var gtx = gradient.args()[0], gty = gradient.args()[1], gco = gradient.args()[2],
      ge = gradient.args()[3], gn = gradient.args()[4];
  gradient.compute_at(slices, chunks)
      .align_storage(gco, static_cast<int>(outChannels + 1))
      .reorder(gtx, ge, gty, gco, gn)
      .vectorize(gtx, rowVector(w.tilesWide, vec), TailStrategy::GuardWithIf)
      .unroll(ge);
  // The slices' zeros and their sum, output channels in parallel (serial,
  // they held 8 x 8, 128 -> 128 channels at 1.5 threads of 2).
  product.compute_root().vectorize(ci, vec);
  product.update().vectorize(ci, vec);
  if (choice.parallel) {
    slices.reorder(ci, e, co, slice).parallel(slice);
    product.reorder(ci, e, co).parallel(co);
    product.update().reorder(ci, so, e, co).parallel(co);
  }
  Func filter = w.filterGradient;
  Var kx = filter.args()[0], ky = filter.args()[1], fc = filter.args()[2], fo = filter.args()[3];
  filter.compute_root()
      .bound(kx, 0, 3)
      .bound(ky, 0, 3)
      .reorder(fc, kx, ky, fo)
      .vectorize(fc, vec)
      .unroll(kx)
      .unroll(ky);
  if (choice.parallel)
    filter.parallel(fo);
}

// The filter gradient of images whose rows are narrower than a vector (its
// lanes along a row would be half empty), with input channels in the lanes
// instead: prod(kx, ky, ci, co) per tap, for a block of input channels (one
// or two vectors) and a block of output channels in registers, summed over
// every image and position: each position reads the block's input channels
// as whole vectors from the padded input stored with channels innermost,
// and broadcasts the output channels' gradients, so that each vector serves
// the block's output channels. Images in chunks (below); parts (a tap, a
// block of input channels, a block of output channels) in parallel. False,
// nothing scheduled, where it does not apply.
// Reached (AMD EPYC Zen 5, AVX-512, 2 threads, batch 64, VGG-style CNN,
// profiled): 8 x 8 images, 128 -> 128 channels, 400 GFLOP/s; 16 x 16, 64 ->
// 64: 427-444; 32 x 32, 32 -> 32: 317-403. The template with lanes along a
// row: 210-290. A 1 x 1 filter of stride 2 (ResNet's shortcuts, from a copy
// of the positions it reads): 64 -> 128 channels on 8 x 8 gradients 0.89 ->
// 0.14 ms, 32 -> 64 on 16 x 16 0.76 -> 0.44 ms (0.3 of it the copy).
/// Images whose padded input (every channel) and gradient take at least
/// this many bytes have their filter gradient by channels in chunks of
/// images, each chunk's input copied inside the loop over chunks.
/// Measured (AMD EPYC Zen 5, 2 threads): chunked, VGG's 32 x 32 (279 KiB per
/// image) and 16 x 16, 64 -> 64 (148 KiB) kernels 10-15% faster at batch
/// 64 and up to 40% at batch 128 in the host's fast state, equal in its
/// slow one; 8 x 8, 128 -> 128 (84 KiB) 16% slower.
constexpr int64_t kChunkedFilterGradImageBytes = 128 << 10;

static bool scheduleFilterGradByChannels(KernelFuncs &k, int vec, const ScheduleChoice &choice) {
  const std::vector<int64_t> &shape = k.outputShapes[0];
  int64_t outChannels = shape[0], inChannels = shape[1];
  RDom r = k.reduction;
  int64_t width = constantOr(r.x.extent(), vec);
  if (inChannels % vec != 0 || outChannels % 4 != 0 || k.windowInputs.size() != 1)
    return false;
  int lanes = inChannels % (2 * vec) == 0 ? 2 * vec : vec;
  int block = outChannels % 8 == 0 ? 8 : 4;
  Func prod = k.prod;
  Var kx = prod.args()[0], ky = prod.args()[1], c = prod.args()[2], o = prod.args()[3];
  // The gradient (`prod`, or its copy) over the filter's whole extent.
  auto wholeFilter = [&](Func &f) -> Func & {
    return f.compute_root()
        .bound(kx, 0, static_cast<int>(shape[3]))
        .bound(ky, 0, static_cast<int>(shape[2]))
        .bound(c, 0, static_cast<int>(inChannels))
        .bound(o, 0, static_cast<int>(outChannels));
  };
  int64_t height = constantOr(r.y.extent(), 1);
  int64_t perImage = (inChannels * (width + shape[3] - 1) * (height + shape[2] - 1) +
                      outChannels * width * height) *
                     4;
  if (perImage >= kChunkedFilterGradImageBytes) {
    // Images in chunks whose copied input (every channel) and gradients stay
    // in the caches, an even number for two threads. Per chunk: the input
    // copied with channels innermost, images in parallel; then every part
    // sums over the chunk, its accumulators in registers. Before, the copy of
    // every image first, then the parts over all of it: the 32 x 32, 32 -> 32
    // kernel 3.47 -> 3.00 ms at batch 64, 9.82 -> 5.85 ms at batch 128 (its
    // 19 MB copy left the caches), 2 threads.
    int chunk = static_cast<int>(std::max<int64_t>(2, (1 << 20) / perImage / 2 * 2));
    wholeFilter(prod).reorder_storage(c, kx, ky, o).reorder(c, kx, ky, o).vectorize(c, vec);
    Var cio("cio"), cii("cii"), pco("pco"), pci("pci"), poo("poo"), poi("poi"), t1("t1"), t2("t2"),
        part("part");
    RVar rzo("rzo"), rzi("rzi");
    Stage sums = prod.update();
    sums.split(r.z, rzo, rzi, chunk, TailStrategy::GuardWithIf)
        .split(c, cio, cii, lanes)
        .split(cii, pco, pci, vec)
        .split(o, poo, poi, block)
        .reorder(pci, pco, poi, r.x, r.y, rzi, poo, kx, ky, cio, rzo)
        .vectorize(pci)
        .unroll(pco)
        .unroll(poi)
        .fuse(poo, kx, t1)
        .fuse(t1, ky, t2)
        .fuse(t2, cio, part);
    if (choice.parallel)
      sums.parallel(part);
    Func in = k.windowInputs[0];
    Var ix = in.args()[0], iy = in.args()[1], ic = in.args()[2], in_ = in.args()[3];
    in.compute_at(prod, rzo)
        .reorder_storage(ic, ix, iy, in_)
        .reorder(ic, ix, iy, in_)
        .vectorize(ic, vec);
    if (choice.parallel)
      in.parallel(in_);
    return true;
  }
  // A part per tap and block of input channels; where those are too few
  // to share among threads (a 1 x 1 filter's one or two), output channels
  // in groups too.
  int64_t parts = shape[2] * shape[3] * (inChannels / lanes);
  int groups = 1;
  while (parts * groups < 4 && outChannels % (2 * groups * block) == 0)
    groups *= 2;
  int groupChannels = static_cast<int>(outChannels / groups);
  // Every reader of the gradient reads this copy, tile by tile.
  Func tiles = prod.in();
  Var cio("cio"), cii("cii"), og("og"), ow("ow"), coo("coo"), coi("coi"), tap("tap"), part("part");
  wholeFilter(tiles)
      .split(c, cio, cii, lanes)
      .split(o, og, ow, groupChannels)
      .split(ow, coo, coi, block)
      .reorder(cii, coi, coo, kx, ky, cio, og)
      .vectorize(cii, vec)
      .unroll(coi)
      .fuse(kx, ky, tap)
      .fuse(tap, cio, part)
      .fuse(part, og, part);
  if (choice.parallel)
    tiles.parallel(part);
  // Per part, the sums of all output channels for the part's input
  // channels and tap: images in chunks whose input rows and gradients stay
  // in the caches while every block of output channels reads them, each
  // block's accumulators in registers over the chunk.
  int64_t perPart =
      (lanes * (width + shape[3] - 1) * (height + shape[2] - 1) + groupChannels * width * height) *
      4;
  int chunk = static_cast<int>(std::max<int64_t>(1, (256 << 10) / perPart));
  Var pco("pco"), pci("pci"), poo("poo"), poi("poi");
  RVar rzo("rzo"), rzi("rzi");
  prod.compute_at(tiles, part)
      .bound_extent(kx, 1)
      .bound_extent(ky, 1)
      .bound_extent(c, lanes)
      .bound_extent(o, groupChannels);
  prod.split(c, pco, pci, vec).vectorize(pci).unroll(pco);
  prod.update()
      .split(r.z, rzo, rzi, chunk, TailStrategy::GuardWithIf)
      .split(o, poo, poi, block)
      .split(c, pco, pci, vec)
      .reorder(pci, pco, poi, kx, ky, r.x, r.y, rzi, poo, rzo)
      .vectorize(pci)
      .unroll(pco)
      .unroll(poi);
  Func in = k.windowInputs[0];
  Var ix = in.args()[0], iy = in.args()[1], ic = in.args()[2], in_ = in.args()[3];
  in.compute_root().reorder_storage(ic, ix, iy, in_).reorder(ic, ix, iy, in_).vectorize(ic, vec);
  if (choice.parallel)
    in.parallel(in_);
  return true;
}

// The filter gradient, prod(kx, ky, ci, co) = sum over images and output
// positions of grad(ox, oy, co, n) * image(ox + kx, oy + ky, ci, n). The sum
// over a row of positions is split into vector lanes (rfactor), the images
// into chunks whose gradient and input fit in L2. Per chunk, input channel
// and filter row, a block of output channels' taps is accumulated in
// registers (the block's gradient vectors and the row's shifted input
// vectors, each load serving several FMAs), then summed across lanes into
// the filter. Blocks of output channels in parallel. Where the input
// channels fill vectors and the input is padded, the template with input
// channels in the lanes (scheduleFilterGradByChannels) is used instead; this
// one serves the rest (a first layer's 3 channels, 1 x 1 filters read in
// place).
// Reached (AMD EPYC Zen 5, AVX-512, 2 threads, batch 64, VGG-style CNN):
// 270-290 GFLOP/s on 32 x 32 and 16 x 16 images, 210 on 8 x 8 (half-width
// lanes); before chunks and channel blocks: 90-110.
void scheduleFilterGrad(KernelFuncs &k, int vec, const ScheduleChoice &choice) {
  if (scheduleFilterGradByChannels(k, vec, choice))
    return;
  Func prod = k.prod;
  RDom r = k.reduction;
  const std::vector<int64_t> &shape = k.outputShapes[0];
  int64_t outChannels = shape[0], inChannels = shape[1], taps = shape[3];
  int64_t width = constantOr(r.x.extent(), vec), height = constantOr(r.y.extent(), 1);
  int vx = rowVector(width, vec);
  // Accumulators: a block of channels times the row's taps, with registers
  // left for the taps' input vectors and a gradient vector (32 vector
  // registers with AVX-512, 16 otherwise).
  int registers = vec >= 16 ? 32 : 16;
  int rowTaps = taps > 0 && taps <= 8 ? static_cast<int>(taps) : 1;
  int block = 1;
  for (int candidate : {8, 4, 2})
    if (outChannels % candidate == 0 && candidate * rowTaps + rowTaps + 2 <= registers) {
      block = candidate;
      break;
    }
  if (choice.rows > 0 && outChannels % choice.rows == 0)
    block = choice.rows;
  // Images per chunk: the chunk's gradient and input within 256 KiB.
  int64_t perImage = (outChannels + inChannels) * (width + taps) * (height + taps);
  int chunk = static_cast<int>(std::max<int64_t>(1, (64 << 10) / std::max<int64_t>(1, perImage)));
  RVar rxo("rxo"), rxi("rxi"), rzo("rzo"), rzi("rzi");
  Var u("u"), m("m");
  Func lanes = prod.update()
                   .split(r.x, rxo, rxi, vx)
                   .split(r.z, rzo, rzi, chunk)
                   .rfactor({{rxi, u}, {rzo, m}});
  // The chunks' lanes summed as vectors, per block of output channels; then
  // across the lanes, once per filter element.
  Var v("v");
  Func vectors = prod.update().rfactor(rxi, v);
  Var kx = prod.args()[0], ky = prod.args()[1], ci = prod.args()[2], co = prod.args()[3];
  Var coo("coo"), coi("coi");
  // rfactor appends the lanes' var; store the lanes innermost.
  lanes.reorder_storage(u, kx, co, ky, ci, m);
  vectors.reorder_storage(v, kx, ky, ci, co);
  prod.compute_root();
  Stage across = prod.update();
  across.split(co, coo, coi, block).reorder(rxi, kx, ky, ci, coi, coo);
  if (choice.parallel)
    across.parallel(coo);
  vectors.compute_at(prod, coo).vectorize(v);
  vectors.update().reorder(v, kx, co, ky, ci, rzo).vectorize(v);
  lanes.compute_at(vectors, ky).vectorize(u);
  lanes.bound_extent(co, block).unroll(co);
  Stage acc = lanes.update();
  acc.reorder(u, kx, co, rxo, r.y, rzi).vectorize(u).unroll(co);
  // A constant extent of the row's taps also keeps each chunk's lanes on
  // the stack (a 1 x 1 filter's lanes were otherwise a heap allocation per
  // chunk, channel and block).
  lanes.bound_extent(kx, rowTaps).unroll(kx);
  acc.unroll(kx);
  vectors.bound_extent(kx, rowTaps).update().unroll(kx);
  scheduleWindowInputs(k, vec, choice.parallel);
}

// Pooling, its gradient, or a convolution whose result several outputs
// read: computed in full, vectors along the row, images (or filters) in
// parallel, the window's reduction inside.
void scheduleWindow(KernelFuncs &k, int vec, bool parallel) {
  Func prod = k.prod;
  // Pooling and a gradient of windows that do not overlap are a few reads
  // per element: inlined into the output.
  if (!prod.has_update_definition()) {
    scheduleWindowInputs(k, vec, parallel);
    return;
  }
  // Pooling and its gradient have the shape of their one output.
  int vx = vec;
  if (k.outputs.size() == 1 && k.outputShapes[0].size() == 4)
    vx = evenRowVector(k.outputShapes[0][3], vec);
  // A flattened convolution's sums (an input gradient's phases), or the
  // window.
  std::vector<Func> sums = {prod};
  if (!k.flatSums.empty()) {
    sums.clear();
    for (const KernelFuncs::FlatSum &s : k.flatSums)
      sums.push_back(s.sum);
  }
  for (Func sum : sums) {
    Var first = sum.args()[0], last = sum.args().back();
    sum.compute_root().vectorize(first, vx, TailStrategy::GuardWithIf);
    sum.update().vectorize(first, vx, TailStrategy::GuardWithIf);
    if (parallel) {
      sum.parallel(last);
      sum.update().parallel(last);
    }
  }
  scheduleWindowInputs(k, vec, parallel);
}

} // namespace kiln
