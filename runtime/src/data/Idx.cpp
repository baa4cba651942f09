//===- Idx.cpp - MNIST's IDX files: images, labels, and their names -------===//
//
// An IDX file is a big-endian header (a magic number, then a count per
// dimension) and unsigned bytes. Plain or gzip-compressed; found by MNIST's
// names, in both spellings, when a directory or an image file is given.
//
//===----------------------------------------------------------------------===//

#include "kiln/Data.h"

#include "data/DataFile.h"

#include <fmt/format.h>
#include <zlib.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string_view>

namespace kiln {

namespace {

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
  Result<std::vector<uint8_t>> bytes = readDataFile(path);
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

namespace {

/// Whether the file at `path` starts with the gzip magic bytes.
bool startsWithGzipMagic(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  char magic[2] = {0, 0};
  return in.read(magic, 2) && magic[0] == '\x1f' && magic[1] == '\x8b';
}

/// The path of MNIST file `name` in `dir`: the first spelling that exists,
/// else a gzip-compressed copy of one, else the canonical one (whose open
/// then fails with a clear message).
std::string findMnistFile(const std::filesystem::path &dir, const std::string &name) {
  std::error_code ignored;
  std::string dotted = name;
  dotted[dotted.rfind("-idx")] = '.'; // train-images-idx3-ubyte -> train-images.idx3-ubyte
  for (const std::string &candidate : {name, dotted})
    if (std::filesystem::exists(dir / candidate, ignored))
      return (dir / candidate).string();
  // A .gz without the gzip magic is no copy (a failed download saves an
  // error page under that name); missingFileHint reports it.
  for (const std::string &candidate : {name + ".gz", dotted + ".gz"})
    if (startsWithGzipMagic(dir / candidate))
      return (dir / candidate).string();
  return (dir / name).string();
}

/// A hint for a missing MNIST file whose .gz copy findMnistFile passed over.
std::string missingFileHint(const std::string &path) {
  std::error_code ignored;
  if (std::filesystem::exists(path + ".gz", ignored))
    return fmt::format(" ({}.gz exists but is not gzip-compressed)", path);
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

namespace {

/// The first four bytes of the file at `path` (inflated, when it is
/// gzip-compressed) as a big-endian word, or nothing when the file cannot be
/// read or is shorter. zlib's gzread reads a plain file as it is.
std::optional<uint32_t> readLeadingWord(const std::string &path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file)
    return std::nullopt;
  uint8_t bytes[4];
  int got = gzread(file, bytes, sizeof(bytes));
  gzclose(file);
  if (got != static_cast<int>(sizeof(bytes)))
    return std::nullopt;
  return readBigEndian32(bytes);
}

/// Whether `magic` is an IDX magic number: two zero bytes, a type code
/// (unsigned or signed byte, short, int, float, double) and at least one
/// dimension.
bool isIdxMagic(uint32_t magic) {
  uint32_t type = (magic >> 8) & 0xff;
  bool knownType = type == 0x08 || type == 0x09 || (type >= 0x0b && type <= 0x0e);
  return (magic >> 16) == 0 && knownType && (magic & 0xff) != 0;
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The file name of `path` without a trailing ".gz".
std::string fileNameWithoutGz(const std::string &path) {
  std::string name = std::filesystem::path(path).filename().string();
  if (endsWith(name, ".gz"))
    name.resize(name.size() - 3);
  return name;
}

/// Whether `name` ends as MNIST's IDX file names do: "-idx3-ubyte",
/// ".idx1-ubyte" and so on.
bool hasIdxName(const std::string &name) {
  const size_t length = std::string_view("-idx3-ubyte").size();
  if (name.size() < length)
    return false;
  std::string_view tail = std::string_view(name).substr(name.size() - length);
  return (tail[0] == '-' || tail[0] == '.') && tail.substr(1, 3) == "idx" &&
         std::isdigit(static_cast<unsigned char>(tail[4])) && tail.substr(5) == "-ubyte";
}

} // namespace

bool isIdxFile(const std::string &path) {
  std::error_code ignored;
  if (!std::filesystem::is_regular_file(path, ignored))
    return false;
  if (std::optional<uint32_t> magic = readLeadingWord(path); magic && isIdxMagic(*magic))
    return true;
  return hasIdxName(fileNameWithoutGz(path));
}

std::string idxLabelsPathFor(const std::string &imagesPath) {
  std::string name = fileNameWithoutGz(imagesPath);
  for (std::string_view suffix : {"images-idx3-ubyte", "images.idx3-ubyte"})
    if (endsWith(name, suffix))
      return findMnistFile(std::filesystem::path(imagesPath).parent_path(),
                           name.substr(0, name.size() - suffix.size()) + "labels-idx1-ubyte");
  return "";
}

Result<Dataset> loadIdxFile(const std::string &imagesPath, const std::string &labelsPath,
                            const ModelInfo &model) {
  std::error_code ignored;
  if (!std::filesystem::exists(imagesPath, ignored))
    return Error(fmt::format("{}: cannot open: {}", imagesPath, std::strerror(ENOENT)));
  std::optional<uint32_t> magic = readLeadingWord(imagesPath);
  if (magic == IdxLabelMagic)
    return Error(fmt::format("{}: an IDX label file, not an image file: give it as the labels "
                             "(--labels) of its image file",
                             imagesPath));
  // What is wrong with a file that is no image file (a bad magic number, too
  // short, corrupt gzip data) comes before any question about its labels.
  if (magic != IdxImageMagic)
    if (Result<IdxImages> images = readIdxImages(imagesPath); !images)
      return images.takeError();
  std::string labels = labelsPath.empty() ? idxLabelsPathFor(imagesPath) : labelsPath;
  if (labels.empty())
    return Error(fmt::format("{}: cannot tell the labels file of these IDX images from their "
                             "name (PREFIX-images-idx3-ubyte goes with "
                             "PREFIX-labels-idx1-ubyte); name it with --labels",
                             imagesPath));
  if (labelsPath.empty() && !std::filesystem::exists(labels, ignored))
    return Error(fmt::format("{}: no labels file beside it ({}, plain or gzipped){}; name one "
                             "with --labels",
                             imagesPath, labels, missingFileHint(labels)));
  Result<Dataset> data = loadIdxDataset(imagesPath, labels, model.numClasses);
  if (!data)
    return data;
  if (Status status = checkDataset(*data, model); !status)
    return status.takeError();
  return data;
}

} // namespace kiln
