//===- Text.cpp - Text as a byte-level language-modelling set -------------===//

#include "kiln/Data.h"

#include "data/DataFile.h"

#include <fmt/format.h>

namespace kiln {

Result<DatasetSplit> loadTextDataset(const std::string &path, int64_t steps, int64_t classes,
                                     double heldOutFraction) {
  Result<std::vector<uint8_t>> contents = readDataFile(path);
  if (!contents)
    return contents.takeError();
  std::string_view text(reinterpret_cast<const char *>(contents->data()), contents->size());
  for (size_t i = 0; i < text.size(); ++i)
    if (static_cast<unsigned char>(text[i]) >= classes)
      return Error(fmt::format("{}: byte {}: value {} is not below the model's {} classes", path,
                               i, static_cast<unsigned char>(text[i]), classes));
  if (!(heldOutFraction > 0 && heldOutFraction < 1))
    return Error(fmt::format("{}: the held-out fraction must lie in (0, 1), got {}", path,
                             heldOutFraction));
  // Windows of steps + 1 bytes, `steps` apart: inputs the first `steps`,
  // labels the last.
  auto windows = [&](size_t begin, size_t end, const char *part) {
    Dataset data;
    data.source = path + part;
    data.features = steps;
    data.labelsPerSample = steps;
    size_t step = static_cast<size_t>(steps);
    for (size_t at = begin; at + step + 1 <= end; at += step) {
      for (size_t t = 0; t < step; ++t) {
        data.x.push_back(static_cast<float>(static_cast<unsigned char>(text[at + t])));
        data.y.push_back(static_cast<unsigned char>(text[at + t + 1]));
      }
      ++data.count;
    }
    return data;
  };
  size_t cut = text.size() - static_cast<size_t>(heldOutFraction * double(text.size()));
  DatasetSplit split{windows(0, cut, " (training part)"),
                     windows(cut, text.size(), " (held-out part)")};
  if (split.train.count < 1 || split.heldOut.count < 1)
    return Error(fmt::format("{}: {} bytes make {} training and {} held-out windows of {} steps; "
                             "each part needs at least one",
                             path, text.size(), split.train.count, split.heldOut.count, steps));
  return split;
}

} // namespace kiln
