//===- PredictCommand.cpp - predict: a checkpoint's outputs as CSV --------===//

#include "cli/Commands.h"
#include "cli/DataSets.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <ostream>

namespace kiln::cli {

int runPredict(const std::string &, const Config &config, CompiledModel &model, std::ostream &out,
               std::ostream &err) {
  const ModelInfo &info = model.info();
  if (info.isLanguageModel())
    return fail(err, fmt::format("model '{}' is a language model: generate text with "
                                 "'train --sample N'",
                                 info.name));
  Result<std::unique_ptr<Model>> loaded = loadCheckpointModel(model, config);
  if (!loaded)
    return fail(err, loaded.error());
  Result<Dataset> data = loadFeatures(config, info);
  if (!data)
    return fail(err, data.error());
  if (Status status = checkTokenIds(*data, info); !status)
    return fail(err, status.error());
  const Standardization &stats = (*loaded)->trainer().normalization();
  if (!stats.mean.empty())
    if (Status status = applyStandardization(*data, stats); !status)
      return fail(err, status.error());

  std::ofstream file;
  if (!config.output.empty()) {
    file.open(config.output);
    if (!file)
      return fail(err, fmt::format("{}: cannot create: {}", config.output, std::strerror(errno)));
  }
  std::ostream &csv = config.output.empty() ? out : file;
  // A classifier writes its decision and the softmax of its logits; other
  // models their outputs.
  const bool classifier = info.task == "classification";
  const int64_t outputs = info.outputFeatures;
  std::string header = classifier ? "class" : "";
  for (int64_t k = 0; k < outputs; ++k)
    header += fmt::format("{}{}_{}", header.empty() ? "" : ",", classifier ? "p" : "output", k);
  csv << header << '\n';
  // A batch larger than the set would only take memory.
  const int64_t batchSize =
      std::max<int64_t>(1, std::min(config.batch > 0 ? config.batch : 1024, data->count));
  std::vector<float> predictions(static_cast<size_t>(batchSize * outputs));
  for (int64_t first = 0; first < data->count; first += batchSize) {
    int64_t batch = std::min(batchSize, data->count - first);
    if (!model.predict((*loaded)->parameters().pointers(), data->x.data() + first * data->features,
                       batch, predictions.data()))
      return fail(err, fmt::format("{}: predict failed on records [{}, {})", data->source, first,
                                   first + batch));
    for (int64_t i = 0; i < batch; ++i) {
      float *row = predictions.data() + i * outputs;
      std::string line;
      if (classifier) {
        float top = *std::max_element(row, row + outputs);
        double sum = 0;
        for (int64_t k = 0; k < outputs; ++k)
          sum += std::exp(double(row[k]) - top);
        line = std::to_string(std::max_element(row, row + outputs) - row);
        for (int64_t k = 0; k < outputs; ++k)
          line += fmt::format(",{:.6g}", std::exp(double(row[k]) - top) / sum);
      } else {
        for (int64_t k = 0; k < outputs; ++k)
          line += fmt::format("{}{:.7g}", k ? "," : "", row[k]);
      }
      csv << line << '\n';
    }
  }
  csv.flush();
  if (!csv)
    return fail(err, fmt::format("{}: write failed", config.output.empty() ? "stdout"
                                                                           : config.output));
  if (!config.output.empty())
    out << fmt::format("wrote {} predictions to {}", data->count, config.output) << std::endl;
  return ExitSuccess;
}

} // namespace kiln::cli
