//===- TextSampling.h - Text from a byte-level language model ---*- C++ -*-===//
//
// Generation for models trained on text (loadTextDataset): a model whose
// input is token ids and which predicts a label per step, over the 256 byte
// values (or fewer classes for a narrower alphabet).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRAIN_TEXTSAMPLING_H
#define KILN_TRAIN_TEXTSAMPLING_H

#include "kiln/CompiledModel.h"
#include "kiln/Result.h"

#include <cstdint>
#include <string>

namespace kiln {

/// Continues `prompt` by `count` bytes: each byte is drawn from the softmax
/// of the last step's logits divided by `temperature` (> 0; lower is more
/// conservative), the model reading the last inputFeatures bytes of the text
/// so far (newlines before a short prompt). The draws come from `seed`.
Result<std::string> sampleText(CompiledModel &model, const float *const *params,
                               const std::string &prompt, int64_t count, double temperature,
                               uint64_t seed);

} // namespace kiln

#endif // KILN_TRAIN_TEXTSAMPLING_H
