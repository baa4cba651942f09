//===- TextSampling.cpp - Text from a byte-level language model -----------===//

#include "train/TextSampling.h"
#include "core/Random.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace kiln {

Result<std::string> sampleText(CompiledModel &model, const float *const *params,
                               const std::string &prompt, int64_t count, double temperature,
                               uint64_t seed) {
  const ModelInfo &info = model.info();
  const int64_t steps = info.inputFeatures, classes = info.numClasses;
  if (!info.isLanguageModel() || classes <= 0)
    return Error(fmt::format("model '{}' is not a language model (token input, a label per "
                             "step)", info.name));
  if (!(temperature > 0))
    return Error(fmt::format("temperature must be positive, got {}", temperature));
  std::string text(static_cast<size_t>(steps), '\n');
  text += prompt;
  const size_t padding = text.size() - prompt.size();
  std::vector<float> window(static_cast<size_t>(steps));
  std::vector<float> logits(static_cast<size_t>(steps * classes));
  std::vector<double> weights(static_cast<size_t>(classes));
  Rng rng(deriveSeed(seed, hashName("sample")));
  for (int64_t n = 0; n < count; ++n) {
    size_t first = text.size() - static_cast<size_t>(steps);
    for (int64_t t = 0; t < steps; ++t)
      window[static_cast<size_t>(t)] =
          static_cast<float>(std::min<int64_t>(static_cast<unsigned char>(text[first + t]),
                                               classes - 1));
    if (!model.predict(params, window.data(), 1, logits.data()))
      return Error(fmt::format("model '{}': predict failed while sampling", info.name));
    const float *last = logits.data() + (steps - 1) * classes;
    float top = *std::max_element(last, last + classes);
    double total = 0;
    for (int64_t c = 0; c < classes; ++c)
      total += weights[static_cast<size_t>(c)] = std::exp((last[c] - top) / temperature);
    double u = rng.uniform() * total;
    int64_t chosen = classes - 1;
    for (int64_t c = 0; c < classes; ++c) {
      u -= weights[static_cast<size_t>(c)];
      if (u < 0) {
        chosen = c;
        break;
      }
    }
    text += static_cast<char>(chosen);
  }
  return text.substr(padding);
}

} // namespace kiln
