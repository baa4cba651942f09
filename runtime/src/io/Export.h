//===- Export.h - Trained weights in formats other tools read ---*- C++ -*-===//
//
// Writes a model's parameters (not its optimizer state) where PyTorch or
// numpy can load them; scripts/load_weights.py shows both loads.
//
//   safetensors  one file (see kiln/Checkpoint.h): the tensors by parameter
//                name, and metadata {"format": "kiln-weights-1", "model",
//                "layout"}. torch's safetensors package, or a few lines of
//                numpy, read it.
//   npy          a directory with one NumPy .npy file (format 1.0, "<f4")
//                per parameter, named "<parameter>.npy".
//
// The layout says how matrices are laid out:
//   kiln   as Kiln computes with them: a dense weight is [in, out] (x W)
//   torch  as torch.nn modules hold them: the weights of dense layers
//          (nn.Linear) and of rnn, lstm and gru layers (weight_ih,
//          weight_hh) transposed to [out, in]; convolution filters
//          [O, C, KH, KW], embeddings and biases are already alike
//
// Internal to the runtime (the export command); not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_IO_EXPORT_H
#define KILN_RUNTIME_IO_EXPORT_H

#include "kiln/CompiledModel.h"
#include "kiln/Result.h"

#include <string>
#include <string_view>

namespace kiln {

enum class ExportFormat { Safetensors, Npy };
enum class WeightLayout { Kiln, Torch };

/// Parses "safetensors" or "npy"; "kiln" or "torch". Errors list the names.
Result<ExportFormat> parseExportFormat(std::string_view name);
Result<WeightLayout> parseWeightLayout(std::string_view name);

/// True when `param` (e.g. "dense0.weight") is stored transposed in the torch
/// layout.
bool transposedInTorch(const ParamInfo &param);

/// Writes every parameter of `model` (values in `params`, in ModelInfo
/// order) to `path`: a file for safetensors (written atomically), a
/// directory for npy (created if missing; each file written atomically).
Status exportWeights(const ModelInfo &model, const float *const *params, const std::string &path,
                     ExportFormat format, WeightLayout layout);

/// Writes one float32 array as a .npy file (format 1.0, little-endian, C
/// order), atomically.
Status writeNpy(const std::string &path, const std::vector<int64_t> &shape, const float *data);

} // namespace kiln

#endif // KILN_RUNTIME_IO_EXPORT_H
