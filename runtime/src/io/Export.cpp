//===- Export.cpp - Trained weights in formats other tools read -----------===//

#include "io/Export.h"
#include "kiln/Checkpoint.h"

#include "core/ByteOrder.h"
#include "io/AtomicFile.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>
#include <filesystem>

namespace kiln {

Result<ExportFormat> parseExportFormat(std::string_view name) {
  if (name == "safetensors")
    return ExportFormat::Safetensors;
  if (name == "npy")
    return ExportFormat::Npy;
  return Error(fmt::format("unknown format '{}' (expected safetensors or npy)", name));
}

Result<WeightLayout> parseWeightLayout(std::string_view name) {
  if (name == "kiln")
    return WeightLayout::Kiln;
  if (name == "torch")
    return WeightLayout::Torch;
  return Error(fmt::format("unknown layout '{}' (expected kiln or torch)", name));
}

namespace {

/// Parameters that torch.nn modules hold transposed: Kiln multiplies x W
/// with W [in, out]; nn.Linear, nn.RNN, nn.LSTM and nn.GRU keep [out, in]
/// and multiply by its transpose. Parameter names are "<layer kind><n>.<name>".
struct TransposedParam {
  std::string_view layerKind;
  std::string_view param;
};
constexpr TransposedParam TorchTransposed[] = {
    {"dense", "weight"},   {"rnn", "weight_ih"}, {"rnn", "weight_hh"},
    {"lstm", "weight_ih"}, {"lstm", "weight_hh"}, {"gru", "weight_ih"},
    {"gru", "weight_hh"},
};

/// Rows x cols matrix transposed.
std::vector<float> transposed(const float *data, int64_t rows, int64_t cols) {
  std::vector<float> out(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[static_cast<size_t>(c * rows + r)] = data[r * cols + c];
  return out;
}

} // namespace

bool transposedInTorch(const ParamInfo &param) {
  if (param.shape.size() != 2)
    return false;
  std::string_view name = param.name;
  size_t dot = name.find('.');
  if (dot == std::string_view::npos)
    return false;
  std::string_view layer = name.substr(0, dot);
  std::string_view field = name.substr(dot + 1);
  while (!layer.empty() && layer.back() >= '0' && layer.back() <= '9')
    layer.remove_suffix(1);
  for (const TransposedParam &rule : TorchTransposed)
    if (rule.layerKind == layer && rule.param == field)
      return true;
  return false;
}

Status writeNpy(const std::string &path, const std::vector<int64_t> &shape, const float *data) {
  // Format 1.0: magic, version, a little-endian uint16 header length, and a
  // Python dict literal padded with spaces and a newline so that the data
  // starts at a multiple of 64 bytes.
  std::string dims;
  for (int64_t d : shape)
    dims += fmt::format("{}, ", d);
  if (shape.size() > 1)
    dims.resize(dims.size() - 2);
  else if (shape.size() == 1)
    dims.pop_back(); // "(3,)"
  std::string header =
      fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", dims);
  const size_t prefix = 10;
  size_t padded = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(padded - prefix - header.size() - 1, ' ');
  header += '\n';
  char start[prefix] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0,
                        static_cast<char>(header.size() & 0xff),
                        static_cast<char>(header.size() >> 8)};
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  static_assert(sizeof(float) == 4, "float32 expected");
  // The values are written from where they are, or from a byte-swapped copy
  // on a big-endian host.
  std::string_view values(reinterpret_cast<const char *>(data),
                          static_cast<size_t>(count) * sizeof(float));
  std::vector<char> swapped;
  if (!hostIsLittleEndian()) {
    swapped.assign(values.begin(), values.end());
    byteSwap32(swapped.data(), static_cast<size_t>(count));
    values = std::string_view(swapped.data(), swapped.size());
  }
  return writeFileAtomically(path, {std::string_view(start, prefix), header, values});
}

Status exportWeights(const ModelInfo &model, const float *const *params, const std::string &path,
                     ExportFormat format, WeightLayout layout) {
  // Transposed copies live here while they are written.
  std::vector<std::vector<float>> copies(model.params.size());
  std::vector<TensorView> tensors;
  for (size_t p = 0; p < model.params.size(); ++p) {
    const ParamInfo &param = model.params[p];
    TensorView view{param.name, param.shape, params[p]};
    if (layout == WeightLayout::Torch && transposedInTorch(param)) {
      copies[p] = transposed(params[p], param.shape[0], param.shape[1]);
      view.shape = {param.shape[1], param.shape[0]};
      view.data = copies[p].data();
    }
    tensors.push_back(view);
  }
  std::string layoutName = layout == WeightLayout::Torch ? "torch" : "kiln";
  if (format == ExportFormat::Safetensors)
    return saveCheckpoint(path, tensors,
                          {{"format", "kiln-weights-1"}, {"model", model.name},
                           {"layout", layoutName}});

  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec)
    return Error(fmt::format("{}: cannot create directory: {}", path, ec.message()));
  for (const TensorView &tensor : tensors)
    if (Status status = writeNpy(path + "/" + tensor.name + ".npy", tensor.shape, tensor.data);
        !status)
      return status;
  return {};
}

} // namespace kiln
