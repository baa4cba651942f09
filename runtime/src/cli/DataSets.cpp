//===- DataSets.cpp - Which data sets a command reads ---------------------===//

#include "cli/DataSets.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <string_view>

namespace kiln::cli {

namespace {

/// A directory names an MNIST set. So does a path that does not exist and
/// has no extension, so that the MNIST loader says what is missing;
/// "data.csv" that does not exist is a missing file.
bool isDirectory(const std::string &path) {
  std::error_code ignored;
  if (std::filesystem::exists(path, ignored))
    return std::filesystem::is_directory(path, ignored);
  return !std::filesystem::path(path).has_extension();
}

bool isNpy(const std::string &path) {
  auto endsWith = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return endsWith(".npy") || endsWith(".npy.gz");
}

CsvOptions csvOptions(const Config &config, const ModelInfo &info) {
  CsvOptions options;
  options.targetColumns = std::max<int64_t>(info.targetFeatures, 1);
  options.labelColumn = config.labelColumn;
  options.intLabels = info.targetFeatures == 0;
  return options;
}

/// One labelled set from a file: a CSV file, or an IDX image file or a .npy
/// file of features with its labels file.
Result<Dataset> loadLabelledFile(const std::string &path, const std::string &labelsPath,
                                 const Config &config, const ModelInfo &info) {
  if (isIdxFile(path))
    return loadIdxFile(path, labelsPath, info);
  if (!isNpy(path) && !labelsPath.empty())
    return Error(fmt::format("{}: a labels file ({}) goes with a .npy features file; a CSV file "
                             "holds its labels",
                             path, labelsPath));
  if (isNpy(path)) {
    if (labelsPath.empty())
      return Error(fmt::format("{}: a .npy features file needs its labels file (--labels for "
                               "--data, --val-labels, --test-labels)",
                               path));
    return loadNpyDataset(path, labelsPath, info);
  }
  Result<Dataset> data = loadCsvDataset(path, csvOptions(config, info));
  if (!data)
    return data;
  if (Status status = checkDataset(*data, info); !status)
    return status.takeError();
  return data;
}

/// The normalization a run fits: what --normalize says, where auto scales
/// tabular features and leaves images and tokens alone.
Result<Normalization> chooseNormalization(const Config &config, const ModelInfo &info,
                                          bool images) {
  if (config.normalize == "auto")
    return images || info.tokenInput ? Normalization::None : Normalization::Standard;
  Result<Normalization> kind = parseNormalization(config.normalize);
  if (kind && info.tokenInput && *kind != Normalization::None)
    return Error(fmt::format("model '{}' reads token ids, which are names, not quantities: "
                             "they cannot be normalized (--normalize {})",
                             info.name, config.normalize));
  return kind;
}

} // namespace

Result<TrainData> loadTrainData(const Config &config, const ModelInfo &info) {
  TrainData data;
  // --limit: the samples read, before any part is split off.
  int64_t limit = config.limit > 0 ? config.limit : std::numeric_limits<int64_t>::max();
  bool images = false; // where the features came from, for the normalization
  if (info.isLanguageModel()) {
    Result<DatasetSplit> split = loadTextDataset(config.dataPath, info.inputFeatures,
                                                 info.numClasses, config.testFraction);
    if (!split)
      return split.takeError();
    data.train = std::move(split->train);
    data.train.truncate(limit);
    data.test = std::move(split->heldOut);
  } else if (isDirectory(config.dataPath)) {
    Result<MnistData> mnist = loadMnist(config.dataPath, info);
    if (!mnist)
      return mnist.takeError();
    data.train = std::move(mnist->train);
    data.train.truncate(limit);
    data.test = std::move(mnist->test);
    images = true;
  } else {
    images = isIdxFile(config.dataPath);
    Result<Dataset> all = loadLabelledFile(config.dataPath, config.labelsPath, config, info);
    if (!all)
      return all.takeError();
    all->truncate(limit);
    if (!config.testDataPath.empty()) {
      Result<Dataset> test =
          loadLabelledFile(config.testDataPath, config.testLabelsPath, config, info);
      if (!test)
        return test.takeError();
      data.train = std::move(*all);
      data.test = std::move(*test);
    } else {
      Result<DatasetSplit> split = splitDataset(*all, config.testFraction, config.seed);
      if (!split)
        return split.takeError();
      data.train = std::move(split->train);
      data.test = std::move(split->heldOut);
    }
  }
  if (!config.valDataPath.empty()) {
    Result<Dataset> validation =
        loadLabelledFile(config.valDataPath, config.valLabelsPath, config, info);
    if (!validation)
      return validation.takeError();
    data.validation = std::move(*validation);
  } else if (config.valFraction > 0) {
    // Another stream than the test split's, so the two draws are unrelated.
    Result<DatasetSplit> split = splitDataset(data.train, config.valFraction, config.seed + 1);
    if (!split)
      return split.takeError();
    data.train = std::move(split->train);
    data.validation = std::move(split->heldOut);
  }
  Result<Normalization> normalization = chooseNormalization(config, info, images);
  if (!normalization)
    return normalization.takeError();
  data.normalization = *normalization;
  return data;
}

Result<Standardization> normalizeSets(TrainData &data) {
  std::vector<Dataset *> heldOut = {&data.test};
  if (data.validation)
    heldOut.push_back(&*data.validation);
  return normalize(data.train, heldOut, data.normalization);
}

Result<Dataset> loadEvalData(const Config &config, const ModelInfo &info) {
  if (info.isLanguageModel()) {
    Result<DatasetSplit> split = loadTextDataset(config.dataPath, info.inputFeatures,
                                                 info.numClasses, /*heldOutFraction=*/0);
    if (!split)
      return split.takeError();
    return std::move(split->train);
  }
  if (isDirectory(config.dataPath)) {
    Result<MnistData> mnist = loadMnist(config.dataPath, info);
    if (!mnist)
      return mnist.takeError();
    return std::move(mnist->test);
  }
  return loadLabelledFile(config.dataPath, config.labelsPath, config, info);
}

Result<Dataset> loadFeatures(const Config &config, const ModelInfo &info) {
  const std::string &path = config.dataPath;
  if (isDirectory(path)) {
    Result<MnistData> mnist = loadMnist(path, info);
    if (!mnist)
      return mnist.takeError();
    return std::move(mnist->test);
  }
  Dataset data;
  data.source = path;
  if (isNpy(path)) {
    Result<NpyArray> array = readNpy(path);
    if (!array)
      return array.takeError();
    if (array->shape.empty())
      return Error(fmt::format("{}: a scalar, not an array of samples", path));
    data.count = array->shape[0];
    data.features = data.count > 0 ? array->size() / data.count : 0;
    data.x.resize(static_cast<size_t>(array->size()));
    for (int64_t i = 0; i < array->size(); ++i)
      data.x[static_cast<size_t>(i)] = static_cast<float>(array->value(i));
  } else if (isIdxFile(path)) {
    Result<IdxImages> images = readIdxImages(path);
    if (!images)
      return images.takeError();
    data.count = images->count;
    data.features = images->rows * images->cols;
    data.x = std::move(images->pixels);
  } else {
    CsvOptions options = csvOptions(config, info);
    options.targetColumns = 0;
    options.labelColumn = -1;
    options.intLabels = false;
    Result<Dataset> rows = loadCsvDataset(path, options);
    if (!rows)
      return rows.takeError();
    data = std::move(*rows);
    // Rows with the targets too: keep the features.
    int64_t extra = data.features - info.inputFeatures;
    int64_t targets = std::max<int64_t>(info.targetFeatures, 1);
    if (extra == targets && (config.labelColumn < 0 || targets == 1)) {
      int64_t first = config.labelColumn >= 0 ? config.labelColumn : info.inputFeatures;
      std::vector<float> x;
      x.reserve(static_cast<size_t>(data.count * info.inputFeatures));
      for (int64_t r = 0; r < data.count; ++r)
        for (int64_t c = 0; c < data.features; ++c)
          if (c < first || c >= first + targets)
            x.push_back(data.x[static_cast<size_t>(r * data.features + c)]);
      data.x = std::move(x);
      data.features = info.inputFeatures;
    }
  }
  if (data.features != info.inputFeatures)
    return Error(fmt::format("{}: {} features per sample, model '{}' reads {}", path,
                             data.features, info.name, info.inputFeatures));
  return data;
}

} // namespace kiln::cli
