//===- WindowAlgorithms.cpp - Convolutions and pooling as Halide Funcs ----===//
//
// The window ops' algorithms (kiln.conv2d, kiln.pool2d and their gradients),
// a case of OpAlgorithms.cpp's lowerTensorOp each. An input read through
// windows is a Func of its own (padded, or read in place), recorded in
// KernelFuncs::windowInputs for the per-image schedules.
//
//===----------------------------------------------------------------------===//
#include "Codegen/FunctionLowering.h"

#include <functional>
#include <limits>

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

namespace {
/// Winograd's F(2 x 2, 3 x 3) (Lavin and Gray, "Fast Algorithms for
/// Convolutional Neural Networks", 2016), as rows of coefficients: the
/// input tile's transform B^T, the filter's G and the output's A^T.
constexpr double kInputTransform[4][4] = {
    {1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
constexpr double kFilterTransform[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
constexpr double kOutputTransform[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
/// The filter gradient's transforms are the transposes (the transposition
/// principle): a 2 x 2 tile of output gradients by A, the summed products
/// back to the 3 x 3 filter by G^T.
constexpr double kGradientTransform[4][2] = {{1, 0}, {1, 1}, {1, -1}, {0, -1}};
constexpr double kFilterGradientTransform[3][4] = {
    {1, 0.5, 0.5, 0}, {0, 0.5, -0.5, 0}, {0, 0.5, 0.5, 1}};

/// sum over k of row[k] * values[k], without the zero terms and the
/// multiplications by 1 and -1.
template <size_t N>
Halide::Expr combine(const double (&row)[N], const std::vector<Halide::Expr> &values) {
  Halide::Expr sum;
  for (size_t k = 0; k < N; ++k) {
    if (row[k] == 0)
      continue;
    Halide::Expr value = values[k];
    if (row[k] == -1) {
      sum = sum.defined() ? sum - value : -value;
      continue;
    }
    if (row[k] != 1)
      value = value * Halide::cast(value.type(), Halide::Expr(row[k]));
    sum = sum.defined() ? sum + value : value;
  }
  return sum;
}

/// M d M^T of a K x K tile d(i, j) (i along x) by the R x K matrix `m`,
/// entry a + R b: rows first, then columns.
template <size_t R, size_t K>
std::vector<Halide::Expr> transformTile(const double (&m)[R][K],
                                        const std::function<Halide::Expr(int, int)> &d) {
  std::vector<std::vector<Halide::Expr>> rows(R, std::vector<Halide::Expr>(K));
  for (size_t j = 0; j < K; ++j) {
    std::vector<Halide::Expr> column(K);
    for (size_t i = 0; i < K; ++i)
      column[i] = d(static_cast<int>(i), static_cast<int>(j));
    for (size_t a = 0; a < R; ++a)
      rows[a][j] = combine(m[a], column);
  }
  std::vector<Halide::Expr> values(R * R);
  for (size_t b = 0; b < R; ++b)
    for (size_t a = 0; a < R; ++a)
      values[a + R * b] = combine(m[b], rows[a]);
  return values;
}
} // namespace

/// The most taps of a pooling window whose winner is found by an unrolled
/// chain of comparisons rather than Halide's argmax.
constexpr int kMaxUnrolledPoolTaps = 16;

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
  // A 1 x 1 filter of stride s > 1 reads every s-th position of every s-th
  // row of `image`: a copy of those alone (a quarter of the input at stride
  // 2), a window input in place of `image` (stored as the templates store a
  // padded input).
  auto isOneByOne = [](Value filter) {
    auto type = cast<RankedTensorType>(filter.getType());
    return type.getDimSize(2) == 1 && type.getDimSize(3) == 1;
  };
  auto sampledCopy = [&](Halide::Func image) {
    Halide::Func sampled(uniqueName("sampled"));
    sampled(x, y, c, n) = image(x * stride - left, y * stride - top, c, n);
    if (!funcs.windowInputs.empty() && funcs.windowInputs.back().name() == image.name())
      funcs.windowInputs.back() = sampled;
    else
      funcs.windowInputs.push_back(sampled);
    return sampled;
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

  // Where a convolution reads its windows: window(x, y, kx, ky, k), the
  // element of channel k under tap (kx, ky) of the window at (x, y); and its
  // filter: weight(c, ky, kx, k), the tap's weight from channel k to c.
  using WindowRead = std::function<Expr(Expr, Expr, Expr, Expr, Expr)>;
  using WeightRead = std::function<Expr(Expr, Expr, Expr, Expr)>;
  // A sum over an image's positions flattened into one index p = y * width
  // + x, so that a vector spans several rows where rows are short: the
  // windows are copied into taps(p, kx, ky, k, n) (im2col, per tile of
  // positions), which the sum over r = (kx, ky, k) reads densely along p.
  auto flatSum = [&](const WindowRead &window, const WeightRead &weight, Halide::RDom r, int width,
                     llvm::StringRef name) {
    Halide::Var p("p"), kx("kx"), ky("ky");
    Halide::Func taps(uniqueName("taps"));
    taps(p, kx, ky, c, n) = window(p % width, p / width, kx, ky, c);
    Halide::Func sum(uniqueName(name));
    sum(p, c, n) = zero;
    sum(p, c, n) += taps(p, r.x, r.y, r.z, n) * weight(c, r.y, r.x, r.z);
    return KernelFuncs::FlatSum{sum, taps, r};
  };
  // The output f(x, y, c, n) of a Winograd form: A^T M A of the 2 x 2 tile
  // under (x, y), M's entry e read by `entry(e)`, the tile's output (p, q)
  // at p + 2 q.
  auto outputOfTiles = [&](const std::function<Expr(int)> &entry, llvm::StringRef name) {
    std::vector<Expr> outputs =
        transformTile(kOutputTransform, [&](int a, int b) { return entry(a + 4 * b); });
    Expr value = outputs[0];
    for (int q = 0; q < 2; ++q)
      for (int p = 0; p < 2; ++p)
        if (p + q > 0)
          value = Halide::select(x % 2 == p && y % 2 == q, outputs[p + 2 * q], value);
    Halide::Func f(uniqueName(name.str() + "_image"));
    f(x, y, c, n) = value;
    return f;
  };
  // Records a Winograd form's Funcs: `product` is the kernel's anchor,
  // reducing over `r`.
  auto recordWinograd = [&](KernelFuncs::Window window, Halide::Func input, Halide::Func product,
                            Halide::RDom r, int tilesWide) {
    funcs.anchor = KernelFuncs::Anchor::Window;
    funcs.window = window;
    funcs.prod = product;
    funcs.reduction = r;
    funcs.winograd.input = input;
    funcs.winograd.product = product;
    funcs.winograd.tilesWide = tilesWide;
  };
  // A 3 x 3 convolution of stride 1 (or its input gradient) by Winograd's
  // F(2 x 2, 3 x 3): 16 multiply-adds per tile of 2 x 2 outputs and channel
  // pair instead of 36. The tile of 4 x 4 inputs under output tile (tx, ty)
  // is d(i, j) = window(2 tx, 2 ty, i, j); `flipped` where the window runs
  // backwards over its taps (an input gradient: tap k reads position - k),
  // whose tile is then window(2 tx, 2 ty, 2 - i, 2 - j), with the filter
  // turned around.
  auto winograd = [&](Value resultValue, const WindowRead &window, const WeightRead &weight,
                      bool flipped, Expr inChannels, llvm::StringRef name) {
    auto type = cast<RankedTensorType>(resultValue.getType());
    int tilesWide = static_cast<int>(type.getDimSize(3) / 2);
    Halide::Var t("t"), e("e"), ci("ci"), co("co");
    auto tap = [&](int k) { return flipped ? 2 - k : k; };
    Halide::Func filter(uniqueName("winograd_filter"));
    filter(e, ci, co) = Halide::mux(e, transformTile(kFilterTransform, [&](int kx, int ky) {
                                      return weight(co, tap(ky), tap(kx), ci);
                                    }));
    // The input tiles by row of tiles, so that their transform reads rows
    // (tx in the lanes) and the product reads them densely along t.
    Halide::Var tx("tx"), ty("ty");
    Halide::Func input(uniqueName("winograd_input"));
    input(tx, ty, ci, e, n) = Halide::mux(e, transformTile(kInputTransform, [&](int i, int j) {
                                            return window(2 * tx, 2 * ty, tap(i), tap(j), ci);
                                          }));
    Halide::RDom r(0, inChannels, uniqueName("r"));
    Halide::Func product(uniqueName(name));
    product(t, co, e, n) = zero;
    product(t, co, e, n) += filter(e, r, co) * input(t % tilesWide, t / tilesWide, r, e, n);
    Expr tile = y / 2 * tilesWide + x / 2;
    Halide::Func f = outputOfTiles([&](int entry) { return product(tile, c, entry, n); }, name);
    recordWinograd(KernelFuncs::Window::Winograd, input, product, r, tilesWide);
    funcs.winograd.filter = filter;
    return Tensor{f, extentsOf(type)};
  };
  // Whether the Winograd form serves a convolution of stride 1 with this
  // result and filter: a 3 x 3 filter of at least 16 input channels, on
  // images whose tiles fill whole vectors (the product's lanes run along the
  // tiles), a vector spanning at most two rows of tiles. Only the CPU
  // templates schedule it.
  // Measured (AMD EPYC Zen 5, AVX-512, 1 thread, batch 64, VGG-style CNN),
  // against the flattened direct form: 32 x 32 images, 32 -> 32 channels,
  // 5.96 -> 3.51 ms, its input gradient 6.08 -> 3.97; 16 x 16, 64 -> 64,
  // 4.97 -> 3.16, input gradient 4.93 -> 3.26 (with the input tiles by rows
  // of tiles; transformed along t, gathered, 4.44 and 4.26); 8 x 8 (four
  // rows of tiles per vector) 4 times slower than winogradByChannels.
  auto winogradApplies = [&](Value resultValue, Value filterValue, int64_t inChannels) {
    auto type = cast<RankedTensorType>(resultValue.getType());
    auto filterType = cast<RankedTensorType>(filterValue.getType());
    int vec = templateVectorWidth(options.vectorWidth);
    int64_t height = type.getDimSize(2), width = type.getDimSize(3);
    return options.schedule && !options.gpu && options.autoscheduler.empty() && stride == 1 &&
           dilation == 1 && filterType.getDimSize(2) == 3 && filterType.getDimSize(3) == 3 &&
           inChannels >= 16 && height % 2 == 0 && width % 2 == 0 &&
           (height / 2) * (width / 2) % vec == 0 && width >= vec;
  };
  // The filter gradient of a 3 x 3 convolution of stride 1 by F(2 x 2, 3 x
  // 3) transposed: per tile of 2 x 2 output gradients g and its 4 x 4 input
  // tile d, the 16 products of A g A^T and B^T d B; summed over tiles and
  // images per channel pair in product(ci, co, e), and G^T P G is the 3 x 3
  // filter: 16 multiply-adds per tile and channel pair instead of 36. Its
  // lanes run along input channels (the input copied channels innermost).
  // The transformed 4 x 4 tiles B^T d B of `src` (an NCHW tensor) with
  // input channels in the lanes: input(ci, tx, ty, e, n), tile (tx, ty)
  // reading d(i, j) = src(2 tx + i + shiftX, 2 ty + j + shiftY), zero
  // outside it, from a copy of `src` that the schedule stores channels
  // innermost, transposing blocks of its rows (`inputRows`).
  auto channelTiles = [&](const Tensor &src, int shiftX, int shiftY) {
    Halide::Var tx("tx"), ty("ty"), e("e"), ci("ci");
    Expr h = src.extents[2], w = src.extents[3];
    Halide::Func rows(uniqueName("input_rows"));
    rows(x, y, c, n) = src.at({n, c, y, x});
    Halide::Func copy(uniqueName("input_copy"));
    copy(x, y, c, n) = rows(x, y, c, n);
    funcs.winograd.inputCopy = copy;
    funcs.winograd.inputRows = rows;
    const int64_t *width = Halide::Internal::as_const_int(w);
    funcs.winograd.inputWidth = width ? static_cast<int>(*width) : 1;
    auto image = [&](Expr ix, Expr iy) {
      return Halide::select(iy >= 0 && iy < h && ix >= 0 && ix < w,
                            copy(Halide::clamp(ix, 0, w - 1), Halide::clamp(iy, 0, h - 1), ci, n),
                            zero);
    };
    Halide::Func input(uniqueName("winograd_input"));
    input(ci, tx, ty, e, n) = Halide::mux(e, transformTile(kInputTransform, [&](int i, int j) {
                                            return image(2 * tx + i + shiftX, 2 * ty + j + shiftY);
                                          }));
    return input;
  };
  // The same convolution (or input gradient) with output channels in the
  // lanes rather than tiles: for images whose rows of tiles are shorter
  // than a vector. The filter's transform filter(co, ci, e), the product
  // product(co, tx, ty, e, n) over input channels, read by the output
  // transform as vectors of channels. The input tile of a convolution is
  // its input at shift -padding; of an input gradient, the gradient at
  // shift padding - 2 with the filter turned around (`flipped`).
  auto winogradByChannels = [&](Value resultValue, const Tensor &src, int shiftX, int shiftY,
                                const WeightRead &weight, bool flipped, Expr inChannels,
                                llvm::StringRef name) {
    auto type = cast<RankedTensorType>(resultValue.getType());
    int tilesWide = static_cast<int>(type.getDimSize(3) / 2);
    Halide::Var tx("tx"), ty("ty"), e("e"), ci("ci"), co("co");
    auto tap = [&](int k) { return flipped ? 2 - k : k; };
    Halide::Func filter(uniqueName("winograd_filter"));
    filter(co, ci, e) = Halide::mux(e, transformTile(kFilterTransform, [&](int kx, int ky) {
                                      return weight(co, tap(ky), tap(kx), ci);
                                    }));
    Halide::Func input = channelTiles(src, shiftX, shiftY);
    Halide::RDom r(0, inChannels, uniqueName("r"));
    Halide::Func product(uniqueName(name));
    product(co, tx, ty, e, n) = zero;
    product(co, tx, ty, e, n) += filter(co, r, e) * input(r, tx, ty, e, n);
    Halide::Func f =
        outputOfTiles([&](int entry) { return product(c, x / 2, y / 2, entry, n); }, name);
    recordWinograd(KernelFuncs::Window::WinogradByChannels, input, product, r, tilesWide);
    funcs.winograd.filter = filter;
    return Tensor{f, extentsOf(type)};
  };
  auto winogradFilterGrad = [&](Value resultValue, Value gradValue, const Tensor &dy,
                                const Tensor &in) {
    auto gradType = cast<RankedTensorType>(gradValue.getType());
    int tilesWide = static_cast<int>(gradType.getDimSize(3) / 2);
    int tilesHigh = static_cast<int>(gradType.getDimSize(2) / 2);
    Halide::Var tx("tx"), ty("ty"), e("e"), ci("ci"), co("co");
    Halide::Func input = channelTiles(in, -left, -top);
    Halide::Func gradient(uniqueName("winograd_gradient"));
    gradient(tx, ty, co, e, n) =
        Halide::mux(e, transformTile(kGradientTransform, [&](int p, int q) {
                      return dy.at({n, co, 2 * ty + q, 2 * tx + p});
                    }));
    Halide::RDom r(0, tilesWide, 0, tilesHigh, 0, dy.extents[0], uniqueName("r"));
    Halide::Func product(uniqueName("conv2d_grad_filter_products"));
    product(ci, co, e) = zero;
    product(ci, co, e) += input(ci, r.x, r.y, e, r.z) * gradient(r.x, r.y, co, e, r.z);
    Halide::Func f(uniqueName("conv2d_grad_filter"));
    f(x, y, c, n) =
        Halide::mux(x + 3 * y, transformTile(kFilterGradientTransform, [&](int a, int b) {
                      return product(c, n, a + 4 * b);
                    }));
    recordWinograd(KernelFuncs::Window::WinogradFilter, input, product, r, tilesWide);
    funcs.winograd.gradient = gradient;
    funcs.winograd.filterGradient = f;
    return Tensor{f, extentsOf(resultValue.getType())};
  };
  // Whether the Winograd form serves a filter gradient: a 3 x 3 filter of
  // stride 1, gradients of even height and width, input channels that fill
  // whole vectors and output channels in blocks of 4. CPU templates only.
  auto winogradFilterGradApplies = [&](Value filterGrad, Value gradValue) {
    auto filterType = cast<RankedTensorType>(filterGrad.getType());
    auto gradType = cast<RankedTensorType>(gradValue.getType());
    int vec = templateVectorWidth(options.vectorWidth);
    return options.schedule && !options.gpu && options.autoscheduler.empty() && stride == 1 &&
           dilation == 1 && filterType.getDimSize(2) == 3 && filterType.getDimSize(3) == 3 &&
           filterType.getDimSize(1) % vec == 0 && filterType.getDimSize(0) % 4 == 0 &&
           gradType.getDimSize(2) % 2 == 0 && gradType.getDimSize(3) % 2 == 0;
  };
  // Whether the form with output channels in the lanes serves a 3 x 3
  // convolution of stride 1 (or its input gradient) with this result: at
  // least 16 input channels, output channels that fill whole vectors, even
  // images. Used where the form with tiles in the lanes is not.
  // Measured (AMD EPYC Zen 5, AVX-512, 1 thread, batch 64, VGG-style CNN),
  // against the flattened direct form: 8 x 8 images, 128 -> 128 channels,
  // 4.43 -> 3.19 ms, its input gradient 4.79 -> 3.08; 64 -> 128 2.43 ->
  // 1.75, input gradient 2.29 -> 1.33. On 16 x 16 and 32 x 32 images as fast
  // as the form with tiles in the lanes (within 5%).
  auto winogradByChannelsApplies = [&](Value resultValue, Value filterValue, int64_t inChannels) {
    auto type = cast<RankedTensorType>(resultValue.getType());
    auto filterType = cast<RankedTensorType>(filterValue.getType());
    int vec = templateVectorWidth(options.vectorWidth);
    return options.schedule && !options.gpu && options.autoscheduler.empty() && stride == 1 &&
           dilation == 1 && filterType.getDimSize(2) == 3 && filterType.getDimSize(3) == 3 &&
           inChannels >= 16 && type.getDimSize(1) % vec == 0 && type.getDimSize(2) % 2 == 0 &&
           type.getDimSize(3) % 2 == 0;
  };
  // A convolution or its input gradient: out(x, y, c, n) = sum over taps
  // (kx, ky) and channels k of window(x, y, kx, ky, k) * weight(c, ky, kx,
  // k), r = (kx, ky, k). Flattened where an image's positions fill whole
  // vectors (a multiple of kFlatImagePositions); otherwise the sum runs per
  // image over rows.
  auto convolution = [&](Value resultValue, const WindowRead &window, const WeightRead &weight,
                         Halide::RDom r, llvm::StringRef name) {
    auto type = cast<RankedTensorType>(resultValue.getType());
    int64_t height = type.getDimSize(2), width = type.getDimSize(3);
    funcs.reduction = r;
    if ((height * width) % kFlatImagePositions != 0) {
      Halide::Func f(uniqueName(name));
      f(x, y, c, n) = zero;
      f(x, y, c, n) += window(x, y, r.x, r.y, r.z) * weight(c, r.y, r.x, r.z);
      funcs.window = KernelFuncs::Window::PerImage;
      return result(f, resultValue);
    }
    int w = static_cast<int>(width);
    KernelFuncs::FlatSum sum = flatSum(window, weight, r, w, name);
    Halide::Func f(uniqueName(name.str() + "_image"));
    f(x, y, c, n) = sum.sum(x + y * w, c, n);
    funcs.anchor = KernelFuncs::Anchor::Window;
    funcs.window = KernelFuncs::Window::FlatImage;
    funcs.prod = sum.sum;
    funcs.flatSums = {sum};
    return Tensor{f, extentsOf(type)};
  };

  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    Tensor in = get(conv.getInput()), w = get(conv.getFilter());
    Halide::RDom r(0, w.extents[3], 0, w.extents[2], 0, w.extents[1], uniqueName("r"));
    WeightRead weight = [&](Expr co, Expr ky, Expr kx, Expr ci) { return w.at({co, ci, ky, kx}); };
    int64_t inChannels = cast<RankedTensorType>(conv.getFilter().getType()).getDimSize(1);
    bool tiles = winogradApplies(conv.getResult(), conv.getFilter(), inChannels);
    // The form with channels in the lanes copies the input itself.
    if (!tiles && winogradByChannelsApplies(conv.getResult(), conv.getFilter(), inChannels))
      return winogradByChannels(conv.getResult(), in, -left, -top, weight, false, w.extents[1],
                                "conv2d");
    // Without padding every window lies inside the input: read in place
    // (stride 1), or from a copy of the positions a 1 x 1 filter reads.
    Halide::Func image = unpadded && stride == 1 ? inPlace(in) : padded(in, zero);
    WindowRead window = [&](Expr ox, Expr oy, Expr kx, Expr ky, Expr ch) {
      return image(ox * stride + kx * dilation - left, oy * stride + ky * dilation - top, ch, n);
    };
    if (isOneByOne(conv.getFilter()) && stride > 1) {
      Halide::Func sampled = sampledCopy(image);
      window = [&, sampled](Expr ox, Expr oy, Expr kx, Expr ky, Expr ch) {
        return sampled(ox + kx, oy + ky, ch, n);
      };
    }
    if (tiles)
      return winograd(conv.getResult(), window, weight, false, w.extents[1], "conv2d");
    return convolution(conv.getResult(), window, weight, r, "conv2d");
  }
  if (auto grad = dyn_cast<Conv2DGradInputOp>(op)) {
    Tensor dy = get(grad.getGrad()), w = get(grad.getFilter());
    WeightRead weight = [&](Expr ci, Expr ky, Expr kx, Expr co) { return w.at({co, ci, ky, kx}); };
    int64_t outChannels = cast<RankedTensorType>(grad.getFilter().getType()).getDimSize(0);
    bool tiles = winogradApplies(grad.getResult(), grad.getFilter(), outChannels);
    // The form with channels in the lanes copies the gradient itself.
    if (!tiles && winogradByChannelsApplies(grad.getResult(), grad.getFilter(), outChannels))
      return winogradByChannels(grad.getResult(), dy, left - 2, top - 2, weight, true, w.extents[0],
                                "conv2d_grad_input");
    Halide::Func grads = padded(dy, zero);
    auto inType = cast<RankedTensorType>(grad.getResult().getType());
    auto dyType = cast<RankedTensorType>(grad.getGrad().getType());
    int64_t dyHeight = dyType.getDimSize(2), dyWidth = dyType.getDimSize(3);
    if (stride > 1 && dilation == 1 && inType.getDimSize(2) == stride * dyHeight &&
        inType.getDimSize(3) == stride * dyWidth &&
        (dyHeight * dyWidth) % kFlatImagePositions == 0) {
      // By phases: input position t = stride q + phase takes the taps k =
      // k0 + stride j, k0 = (phase + padding) % stride, from the gradient at
      // q + (phase + padding) / stride - j. Each phase's positions are a
      // grid the size of the gradient's, so each phase is a flattened sum of
      // its own taps (a quarter of the zero-stuffed form's multiply-adds at
      // stride 2), and the result picks a phase per position.
      auto filterType = cast<RankedTensorType>(grad.getFilter().getType());
      int s = stride, width = static_cast<int>(dyWidth);
      int kernelH = static_cast<int>(filterType.getDimSize(2));
      int kernelW = static_cast<int>(filterType.getDimSize(3));
      Expr value = zero;
      for (int py = 0; py < s; ++py) {
        for (int px = 0; px < s; ++px) {
          int kx0 = (px + left) % s, ky0 = (py + top) % s;
          int tapsX = (kernelW - kx0 + s - 1) / s, tapsY = (kernelH - ky0 + s - 1) / s;
          if (tapsX <= 0 || tapsY <= 0)
            continue; // no tap reaches this phase: its gradient is zero
          int shiftX = (px + left) / s, shiftY = (py + top) / s;
          Halide::RDom r(0, tapsX, 0, tapsY, 0, w.extents[0], uniqueName("r"));
          auto window = [&](Expr qx, Expr qy, Expr jx, Expr jy, Expr ch) {
            return grads(qx + shiftX - jx, qy + shiftY - jy, ch, n);
          };
          auto phaseWeight = [&](Expr ci, Expr jy, Expr jx, Expr co) {
            return w.at({co, ci, ky0 + s * jy, kx0 + s * jx});
          };
          KernelFuncs::FlatSum sum = flatSum(window, phaseWeight, r, width, "conv2d_grad_input");
          funcs.flatSums.push_back(sum);
          value = Halide::select(x % s == px && y % s == py, sum.sum(x / s + y / s * width, c, n),
                                 value);
        }
      }
      Halide::Func f(uniqueName("conv2d_grad_input_phases"));
      f(x, y, c, n) = value;
      funcs.anchor = KernelFuncs::Anchor::Window;
      funcs.window = KernelFuncs::Window::FlatImage;
      funcs.phaseStride = s;
      funcs.prod = funcs.flatSums.front().sum;
      funcs.reduction = funcs.flatSums.front().reduction;
      return Tensor{f, extentsOf(inType)};
    }
    Halide::RDom r(0, w.extents[3], 0, w.extents[2], 0, w.extents[0], uniqueName("r"));
    // Input position t takes tap k from the output position (t + padding -
    // k) / stride, when stride divides it: from the gradient spread out by
    // the stride with zeros between (stuffed(u) = grads(u / stride) where
    // stride divides u), computed once per image, so that every position
    // reads each tap's term densely. The padded gradient is zero where no
    // output position lies.
    Halide::Func stuffed = grads;
    if (stride > 1) {
      stuffed = Halide::Func(uniqueName("stuffed"));
      stuffed(x, y, c, n) = Halide::select(x % stride == 0 && y % stride == 0,
                                           grads(x / stride, y / stride, c, n), zero);
      funcs.windowInputs.push_back(stuffed);
    }
    WindowRead window = [&](Expr ix, Expr iy, Expr kx, Expr ky, Expr ch) {
      return stuffed(ix + left - kx * dilation, iy + top - ky * dilation, ch, n);
    };
    if (tiles)
      return winograd(grad.getResult(), window, weight, true, w.extents[0], "conv2d_grad_input");
    return convolution(grad.getResult(), window, weight, r, "conv2d_grad_input");
  }
  if (auto grad = dyn_cast<Conv2DGradFilterOp>(op)) {
    // Indices of the filter gradient: (tap column, tap row, in channel, out channel).
    Tensor dy = get(grad.getGrad()), in = get(grad.getInput());
    if (winogradFilterGradApplies(grad.getResult(), grad.getGrad()))
      return winogradFilterGrad(grad.getResult(), grad.getGrad(), dy, in);
    Halide::RDom r(0, dy.extents[3], 0, dy.extents[2], 0, dy.extents[0], uniqueName("r"));
    Halide::Func f(uniqueName("conv2d_grad_filter"));
    f(x, y, c, n) = zero;
    // Every position the reduction visits, with every tap, lies inside an
    // unpadded input: it is read in place.
    Halide::Func image = unpadded ? inPlace(in) : padded(in, zero);
    Expr window =
        image(r.x * stride + x * dilation - left, r.y * stride + y * dilation - top, c, r.z);
    int64_t gradWidth = cast<RankedTensorType>(grad.getGrad().getType()).getDimSize(3);
    if (isOneByOne(grad.getResult()) && stride > 1) {
      window = sampledCopy(image)(r.x + x, r.y + y, c, r.z);
    } else if (stride > 1 && dilation == 1 && !unpadded && gradWidth % kFlatImagePositions == 0) {
      // The padded image with its columns by phase: row s * i + p of
      // `phases` holds image row i's columns s q + p, so that tap kx reads
      // the columns of its row (s (r.x + kx / s) + kx % s) as whole vectors
      // rather than every s-th. Gradient rows narrower than a vector gained
      // nothing (the ResNet's 8 x 8 one, 64 -> 128 channels), and the copy
      // costs more than the padded one.
      Halide::Func phases(uniqueName("phases"));
      phases(x, y, c, n) = image(x * stride + y % stride - left, y / stride, c, n);
      funcs.windowInputs.back() = phases;
      window = phases(r.x + x / stride, (r.y * stride + y - top) * stride + x % stride, c, r.z);
    }
    f(x, y, c, n) += dy.at({r.z, n, r.y, r.x}) * window;
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
  // The winner of each window: its first extreme element in row-major
  // order, as the tap's index wy * k + wx. Small windows compare their taps
  // in a chain of selects, which vectorizes along the row; larger ones take
  // Halide's argmax.
  Halide::Func winner(uniqueName("pool2d_winner"));
  if (kind != "avg") {
    Halide::Func source = pooled(in);
    auto tap = [&](Expr wx, Expr wy) {
      return source(x * stride + wx - left, y * stride + wy - top, c, n);
    };
    if (k * k <= kMaxUnrolledPoolTaps) {
      Expr best = tap(0, 0), index = 0;
      for (int t = 1; t < k * k; ++t) {
        Expr value = tap(t % k, t / k);
        Expr better = kind == "max" ? value > best : value < best;
        index = Halide::select(better, t, index);
        best = Halide::select(better, value, best);
      }
      winner(x, y, c, n) = index;
    } else {
      Halide::RDom wr(0, k, 0, k, uniqueName("w"));
      Expr value = tap(wr.x, wr.y);
      Halide::Tuple found = kind == "max" ? Halide::argmax(wr, value) : Halide::argmin(wr, value);
      winner(x, y, c, n) = found[1] * k + found[0];
    }
    funcs.roots.push_back({winner, cast<RankedTensorType>(grad.getGrad().getType()).getDimSize(3)});
  }
  Halide::Func f(uniqueName("pool2d_grad"));
  if (stride == k) {
    // Windows that do not overlap: an input position lies in at most one,
    // at tap (t % k, within it), t = position + padding. Where the windows
    // tile the input exactly, every position has one, read densely.
    auto inType = cast<RankedTensorType>(grad.getInput().getType());
    auto dyType = cast<RankedTensorType>(grad.getGrad().getType());
    bool tiled = left == 0 && top == 0 && inType.getDimSize(2) == k * dyType.getDimSize(2) &&
                 inType.getDimSize(3) == k * dyType.getDimSize(3);
    Expr tx = x + left, ty = y + top;
    Expr ox = tx / k, oy = ty / k;
    Expr wins = Halide::Internal::const_true();
    if (!tiled) {
      wins = ox < dy.extents[3] && oy < dy.extents[2];
      ox = Halide::clamp(ox, 0, dy.extents[3] - 1);
      oy = Halide::clamp(oy, 0, dy.extents[2] - 1);
    }
    Expr share = dy.at({n, c, oy, ox});
    if (kind == "avg")
      share = share / Halide::cast(ft, k * k);
    else
      wins = wins && winner(ox, oy, c, n) == (ty % k) * k + tx % k;
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
    wins = wins && winner(ox, oy, c, n) == r.y * k + r.x;
  f(x, y, c, n) = Halide::sum(Halide::select(wins, share, zero));
  return result(f, grad.getResult());
}
