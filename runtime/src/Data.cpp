//===- Data.cpp - Training data in IDX files ------------------------------===//

#include "kiln/Data.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>

namespace kiln {

void Dataset::truncate(int64_t n) {
  if (n < 0 || n >= count)
    return;
  count = n;
  x.resize(static_cast<size_t>(n * features));
  y.resize(static_cast<size_t>(n));
}

namespace {

/// Reads a whole file into memory.
Result<std::vector<uint8_t>> readFile(const std::string &path) {
  std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file)
    return Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));

  std::vector<uint8_t> bytes;
  std::error_code ignored;
  if (uintmax_t size = std::filesystem::file_size(path, ignored); !ignored)
    bytes.reserve(static_cast<size_t>(size));
  uint8_t chunk[1 << 16];
  while (true) {
    size_t got = std::fread(chunk, 1, sizeof(chunk), file.get());
    bytes.insert(bytes.end(), chunk, chunk + got);
    if (got == sizeof(chunk))
      continue;
    if (std::ferror(file.get()))
      return Error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
    return bytes;
  }
}

uint32_t readBigEndian32(const uint8_t *p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

/// The parts of an IDX file every kind shares: the bytes, the header words
/// after the magic, and where the data starts.
struct IdxFile {
  std::vector<uint8_t> bytes;
  std::vector<uint32_t> dims;
  size_t dataOffset = 0;
  size_t dataBytes() const { return bytes.size() - dataOffset; }
};

/// Reads an IDX file and checks its magic number and header size. `kind`
/// names the expected file kind in messages ("image", "label").
Result<IdxFile> readIdx(const std::string &path, uint32_t expectedMagic, const char *kind) {
  Result<std::vector<uint8_t>> bytes = readFile(path);
  if (!bytes)
    return bytes.takeError();

  IdxFile file;
  file.bytes = std::move(*bytes);
  size_t numDims = expectedMagic & 0xff;
  size_t headerBytes = 4 * (1 + numDims);
  if (file.bytes.size() < 4)
    return Error(fmt::format("{}: truncated: the file holds {} bytes, fewer than the {}-byte "
                             "header of an IDX {} file",
                             path, file.bytes.size(), headerBytes, kind));
  uint32_t magic = readBigEndian32(file.bytes.data());
  if (magic != expectedMagic)
    return Error(fmt::format("{}: bad magic number {:#010x} (expected {:#010x} for {} {} file)",
                             path, magic, expectedMagic, std::strchr("aeiou", kind[0]) ? "an" : "a",
                             kind));
  if (file.bytes.size() < headerBytes)
    return Error(fmt::format("{}: truncated: the file holds {} bytes, fewer than the {}-byte "
                             "header of an IDX {} file",
                             path, file.bytes.size(), headerBytes, kind));
  for (size_t i = 0; i < numDims; ++i)
    file.dims.push_back(readBigEndian32(file.bytes.data() + 4 * (1 + i)));
  file.dataOffset = headerBytes;
  return file;
}

/// Checks that the data after the header is exactly `expected` bytes;
/// `what` describes the header ("60000 images of 28x28") and `recordBytes`
/// is the size of one record, to name the first incomplete one.
Status checkDataSize(const std::string &path, const IdxFile &file, uint64_t expected,
                     const std::string &what, uint64_t recordBytes) {
  uint64_t actual = file.dataBytes();
  if (actual < expected)
    return Error(fmt::format("{}: truncated: header says {} ({} bytes) but the file holds {} "
                             "bytes of data; record {} is incomplete",
                             path, what, expected, actual, actual / recordBytes));
  if (actual > expected)
    return Error(fmt::format("{}: header says {} ({} bytes) but the file holds {} bytes of "
                             "data: {} trailing bytes at offset {}",
                             path, what, expected, actual, actual - expected,
                             file.dataOffset + expected));
  return {};
}

} // namespace

Result<IdxImages> readIdxImages(const std::string &path) {
  Result<IdxFile> file = readIdx(path, IdxImageMagic, "image");
  if (!file)
    return file.takeError();

  uint64_t count = file->dims[0], rows = file->dims[1], cols = file->dims[2];
  if (rows == 0 || cols == 0)
    return Error(fmt::format("{}: bad header: images of {}x{} pixels", path, rows, cols));
  // rows * cols fits in 64 bits; times count it may not, and then no file is
  // big enough anyway.
  uint64_t imageBytes = rows * cols;
  uint64_t expected = count > std::numeric_limits<uint64_t>::max() / imageBytes
                          ? std::numeric_limits<uint64_t>::max()
                          : count * imageBytes;
  std::string what = fmt::format("{} images of {}x{}", count, rows, cols);
  if (Status status = checkDataSize(path, *file, expected, what, imageBytes); !status)
    return status.takeError();

  IdxImages images;
  images.count = static_cast<int64_t>(count);
  images.rows = static_cast<int64_t>(rows);
  images.cols = static_cast<int64_t>(cols);
  images.pixels.resize(static_cast<size_t>(expected));
  const uint8_t *data = file->bytes.data() + file->dataOffset;
  for (size_t i = 0; i < images.pixels.size(); ++i)
    images.pixels[i] = static_cast<float>(data[i]) / 255.0f;
  return images;
}

Result<std::vector<int32_t>> readIdxLabels(const std::string &path, int64_t numClasses) {
  Result<IdxFile> file = readIdx(path, IdxLabelMagic, "label");
  if (!file)
    return file.takeError();

  uint64_t count = file->dims[0];
  std::string what = fmt::format("{} labels", count);
  if (Status status = checkDataSize(path, *file, count, what, 1); !status)
    return status.takeError();

  std::vector<int32_t> labels(static_cast<size_t>(count));
  const uint8_t *data = file->bytes.data() + file->dataOffset;
  for (size_t i = 0; i < labels.size(); ++i) {
    labels[i] = data[i];
    if (numClasses > 0 && labels[i] >= numClasses)
      return Error(fmt::format("{}: record {}: label {} out of range [0, {})", path, i, labels[i],
                               numClasses));
  }
  return labels;
}

Result<Dataset> loadIdxDataset(const std::string &imagesPath, const std::string &labelsPath,
                               int64_t numClasses) {
  Result<IdxImages> images = readIdxImages(imagesPath);
  if (!images)
    return images.takeError();
  Result<std::vector<int32_t>> labels = readIdxLabels(labelsPath, numClasses);
  if (!labels)
    return labels.takeError();
  if (static_cast<int64_t>(labels->size()) != images->count)
    return Error(fmt::format("{}: holds {} labels but {} holds {} images", labelsPath,
                             labels->size(), imagesPath, images->count));

  Dataset data;
  data.count = images->count;
  data.features = images->rows * images->cols;
  data.x = std::move(images->pixels);
  data.y = std::move(*labels);
  data.source = imagesPath;
  return data;
}

Status checkDataset(const Dataset &data, const ModelInfo &model) {
  if (data.features != model.inputFeatures)
    return Error(fmt::format("{}: samples have {} features but model '{}' takes {} inputs",
                             data.source, data.features, model.name, model.inputFeatures));
  if (model.numClasses <= 0)
    return {};
  for (int64_t i = 0; i < data.count; ++i) {
    int32_t label = data.y[static_cast<size_t>(i)];
    if (label < 0 || label >= model.numClasses)
      return Error(fmt::format("{}: record {}: label {} out of range [0, {}) of model '{}'",
                               data.source, i, label, model.numClasses, model.name));
  }
  return {};
}

namespace {

/// The path of MNIST file `name` in `dir`: the first spelling that exists,
/// else the canonical one (whose open then fails with a clear message).
std::string findMnistFile(const std::filesystem::path &dir, const std::string &name) {
  std::error_code ignored;
  std::string dotted = name;
  dotted[dotted.find("-idx")] = '.'; // train-images-idx3-ubyte -> train-images.idx3-ubyte
  for (const std::string &candidate : {name, dotted})
    if (std::filesystem::exists(dir / candidate, ignored))
      return (dir / candidate).string();
  return (dir / name).string();
}

/// A hint for a missing MNIST file: compressed copies are not read.
std::string missingFileHint(const std::string &path) {
  std::error_code ignored;
  if (std::filesystem::exists(path + ".gz", ignored))
    return fmt::format(" ({}.gz exists: the runtime reads uncompressed files; run "
                       "scripts/fetch-mnist.sh or gunzip it)",
                       path);
  return "";
}

Result<Dataset> loadMnistSplit(const std::filesystem::path &dir, const char *imagesName,
                               const char *labelsName, const ModelInfo &model) {
  std::string imagesPath = findMnistFile(dir, imagesName);
  std::string labelsPath = findMnistFile(dir, labelsName);
  for (const std::string &path : {imagesPath, labelsPath}) {
    std::error_code ignored;
    if (!std::filesystem::exists(path, ignored))
      return Error(
          fmt::format("{}: cannot open: {}{}", path, std::strerror(ENOENT), missingFileHint(path)));
  }
  Result<Dataset> data = loadIdxDataset(imagesPath, labelsPath, model.numClasses);
  if (!data)
    return data;
  if (Status status = checkDataset(*data, model); !status)
    return status.takeError();
  return data;
}

} // namespace

Result<MnistData> loadMnist(const std::string &dir, const ModelInfo &model) {
  std::error_code ignored;
  if (!std::filesystem::exists(dir, ignored))
    return Error(fmt::format("{}: cannot open data directory: {}", dir, std::strerror(ENOENT)));
  if (!std::filesystem::is_directory(dir, ignored))
    return Error(fmt::format("{}: not a directory", dir));

  Result<Dataset> train = loadMnistSplit(dir, MnistTrainImages, MnistTrainLabels, model);
  if (!train)
    return train.takeError();
  Result<Dataset> test = loadMnistSplit(dir, MnistTestImages, MnistTestLabels, model);
  if (!test)
    return test.takeError();
  return MnistData{std::move(*train), std::move(*test)};
}

} // namespace kiln
