//===- DataSets.h - Which data sets a command reads -------------*- C++ -*-===//
//
// The data-set policy of the generated binaries: what --data names (an MNIST
// directory, an IDX, CSV or .npy file, a text), where the test and validation
// sets come from (files, or fractions drawn from the seed), and which
// normalization a run fits.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CLI_DATASETS_H
#define KILN_CLI_DATASETS_H

#include "cli/Config.h"
#include "kiln/Data.h"
#include "kiln/Result.h"

#include <optional>

namespace kiln::cli {

/// The sets a training run uses.
struct TrainData {
  Dataset train;
  std::optional<Dataset> validation;
  Dataset test;
  /// The normalization a run fits: what --normalize says, where auto scales
  /// tabular features and leaves images and tokens alone.
  Normalization normalization = Normalization::None;
};

/// train and tune: the training set and the held-out sets that --data,
/// --test-data, --test-fraction, --val-data and --val-fraction name, and the
/// normalization --normalize asks for. --limit N keeps the first N samples
/// read from --data (of a text: the first N windows of its training part),
/// before the test and validation parts are split off; sets read from files
/// of their own keep all their samples.
Result<TrainData> loadTrainData(const Config &config, const ModelInfo &info);

/// Fits data.normalization on the training part and applies it to the held-out parts, as
/// new samples will get it; returns the statistics (empty for none).
Result<Standardization> normalizeSets(TrainData &data);

/// eval: a labelled set, all of a text, or an MNIST directory's test set.
Result<Dataset> loadEvalData(const Config &config, const ModelInfo &info);

/// Features only, for predict: an MNIST directory's test images, an IDX
/// image file, a .npy features file, or a CSV file whose rows hold the
/// features (and the targets, which are dropped).
Result<Dataset> loadFeatures(const Config &config, const ModelInfo &info);

} // namespace kiln::cli

#endif // KILN_CLI_DATASETS_H
