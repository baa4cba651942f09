//===- Data.cpp - Training data: IDX, NumPy and CSV files -----------------===//

#include "kiln/Data.h"
#include "kiln/Random.h"
#include "kiln/Tensor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <string_view>

namespace kiln {

void Dataset::truncate(int64_t n) {
  if (n < 0 || n >= count)
    return;
  count = n;
  x.resize(static_cast<size_t>(n * features));
  if (targetFeatures > 0)
    targets.resize(static_cast<size_t>(n * targetFeatures));
  else
    y.resize(static_cast<size_t>(n * labelsPerSample));
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

bool isGzip(const std::vector<uint8_t> &bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

/// Inflates gzip data (one member or several, as `cat a.gz b.gz` makes).
Result<std::vector<uint8_t>> gunzip(const std::string &path, const std::vector<uint8_t> &gz) {
  z_stream stream{};
  // 15 + 16: the largest window, and a gzip header and trailer.
  if (inflateInit2(&stream, 15 + 16) != Z_OK)
    return Error(fmt::format("{}: cannot inflate: out of memory", path));
  std::unique_ptr<z_stream, int (*)(z_stream *)> guard(&stream, &inflateEnd);

  std::vector<uint8_t> bytes;
  size_t offset = 0;
  while (true) {
    // avail_in is 32 bits wide; feed a large file in slices.
    size_t slice = std::min<size_t>(gz.size() - offset, 1u << 30);
    stream.next_in = const_cast<Bytef *>(gz.data() + offset);
    stream.avail_in = static_cast<uInt>(slice);
    uint8_t chunk[1 << 16];
    stream.next_out = chunk;
    stream.avail_out = sizeof(chunk);
    int status = inflate(&stream, Z_NO_FLUSH);
    offset += slice - stream.avail_in;
    bytes.insert(bytes.end(), chunk, chunk + (sizeof(chunk) - stream.avail_out));
    if (status == Z_STREAM_END) {
      // Another member may follow; anything else after a member is damage.
      if (offset == gz.size())
        return bytes;
      if (gz.size() - offset < 2 || gz[offset] != 0x1f || gz[offset + 1] != 0x8b)
        return Error(fmt::format("{}: corrupt gzip data: {} bytes after the end of the "
                                 "compressed stream",
                                 path, gz.size() - offset));
      inflateReset(&stream);
      continue;
    }
    if (status == Z_BUF_ERROR && offset == gz.size())
      return Error(fmt::format("{}: corrupt gzip data: the compressed stream ends early "
                               "(truncated after {} bytes)",
                               path, gz.size()));
    if (status != Z_OK && status != Z_BUF_ERROR)
      return Error(
          fmt::format("{}: corrupt gzip data: {}", path, stream.msg ? stream.msg : zError(status)));
  }
}

/// Reads a whole file into memory, inflating it when it is gzip-compressed.
Result<std::vector<uint8_t>> readDataFile(const std::string &path) {
  Result<std::vector<uint8_t>> bytes = readFile(path);
  if (!bytes || !isGzip(*bytes))
    return bytes;
  return gunzip(path, *bytes);
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

/// "3 float targets", or "class labels (0 float targets)".
std::string describeTargets(int64_t targetFeatures) {
  if (targetFeatures == 0)
    return "class labels (0 float targets)";
  return fmt::format("{} float target{}", targetFeatures, targetFeatures == 1 ? "" : "s");
}

/// Checks what the runtime reads from a model's task: a known task, and
/// predictions as wide as the targets they are measured against.
Status checkTask(const ModelInfo &model) {
  if (model.task == "classification") {
    if (model.numClasses <= 0 || model.labelsPerSample < 1 ||
        model.outputFeatures != model.numClasses * model.labelsPerSample)
      return Error(fmt::format("model '{}': a classifier needs as many outputs as classes "
                               "per label, got {} outputs, {} classes and {} labels per sample",
                               model.name, model.outputFeatures, model.numClasses,
                               model.labelsPerSample));
    // Float targets of a classifier are one-hot rows, one value per class.
    if (model.targetFeatures != 0 && model.targetFeatures != model.numClasses)
      return Error(fmt::format("model '{}': a classifier takes class labels or one-hot rows of "
                               "{} floats, not {} float targets",
                               model.name, model.numClasses, model.targetFeatures));
    return {};
  }
  if (model.task == "binary" || model.task == "regression") {
    if (model.outputFeatures <= 0 || model.targetFeatures != model.outputFeatures)
      return Error(fmt::format("model '{}': task {} needs one float target per output, got {} "
                               "outputs and {} float targets",
                               model.name, model.task, model.outputFeatures, model.targetFeatures));
    return {};
  }
  return Error(fmt::format("model '{}' has unknown task '{}' (known: classification, binary, "
                           "regression)",
                           model.name, model.task));
}

} // namespace

Status checkTokenIds(const Dataset &data, const ModelInfo &model) {
  if (!model.tokenInput || model.tokenLimit <= 0)
    return {};
  int64_t bad = firstTokenOutside(data.x.data(), static_cast<int64_t>(data.x.size()),
                                  model.tokenLimit);
  if (bad >= 0) {
    float id = data.x[static_cast<size_t>(bad)];
    int64_t record = bad / std::max<int64_t>(data.features, 1);
    if (std::isfinite(id) && std::floor(id) == id)
      return Error(fmt::format("{}: record {}: token id {} out of range [0, {}) of model '{}'",
                               data.source, record, id, model.tokenLimit, model.name));
    return Error(fmt::format("{}: record {}: token id {} is not an integer", data.source,
                             record, id));
  }
  return {};
}

Status checkDataset(const Dataset &data, const ModelInfo &model) {
  if (Status status = checkTask(model); !status)
    return status;
  if (data.features != model.inputFeatures)
    return Error(fmt::format("{}: samples have {} features but model '{}' takes {} inputs",
                             data.source, data.features, model.name, model.inputFeatures));
  if (data.targetFeatures == 0 && data.labelsPerSample != model.labelsPerSample)
    return Error(fmt::format("{}: samples have {} labels each but model '{}' takes {}",
                             data.source, data.labelsPerSample, model.name,
                             model.labelsPerSample));
  if (data.targetFeatures != model.targetFeatures)
    return Error(fmt::format("{}: samples have {} but model '{}' takes {}", data.source,
                             describeTargets(data.targetFeatures), model.name,
                             describeTargets(model.targetFeatures)));
  // A Dataset assembled by hand may disagree with itself; the trainer would
  // read past its buffers.
  size_t count = static_cast<size_t>(std::max<int64_t>(data.count, 0));
  if (data.x.size() != count * static_cast<size_t>(data.features) ||
      (data.targetFeatures > 0
           ? data.targets.size() != count * static_cast<size_t>(data.targetFeatures)
           : data.y.size() != count * static_cast<size_t>(data.labelsPerSample)))
    return Error(fmt::format("{}: inconsistent dataset: {} samples but {} feature values, {} "
                             "labels and {} target values",
                             data.source, data.count, data.x.size(), data.y.size(),
                             data.targets.size()));
  if (Status status = checkTokenIds(data, model); !status)
    return status;
  if (data.targetFeatures > 0)
    return {};
  int64_t bad = firstLabelOutside(data.y.data(), static_cast<int64_t>(data.y.size()),
                                  model.numClasses);
  if (bad >= 0)
    return Error(fmt::format("{}: record {}: label {} out of range [0, {}) of model '{}'",
                             data.source, bad / data.labelsPerSample,
                             data.y[static_cast<size_t>(bad)], model.numClasses, model.name));
  return {};
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

//===----------------------------------------------------------------------===//
// NumPy .npy files
//===----------------------------------------------------------------------===//

int64_t NpyArray::size() const {
  int64_t n = 1;
  for (int64_t dim : shape)
    n *= dim;
  return n;
}

double NpyArray::value(int64_t i) const {
  // Little-endian whatever the host, so assemble the bits by hand.
  const uint8_t *p = data.data() + i * itemBytes;
  uint64_t bits = 0;
  for (int64_t b = itemBytes - 1; b >= 0; --b)
    bits = (bits << 8) | p[b];
  switch (kind) {
  case 'b':
    return bits != 0 ? 1.0 : 0.0;
  case 'u':
    return static_cast<double>(bits);
  case 'i': {
    int64_t width = 8 * itemBytes;
    if (width < 64 && ((bits >> (width - 1)) & 1))
      bits |= ~uint64_t(0) << width; // sign-extend
    return static_cast<double>(static_cast<int64_t>(bits));
  }
  default:
    if (itemBytes == 4) {
      uint32_t bits32 = static_cast<uint32_t>(bits);
      float f;
      std::memcpy(&f, &bits32, sizeof(f));
      return f;
    }
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    return d;
  }
}

namespace {

/// What the header of a .npy file says.
struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// Parses the header of a .npy file, a Python dict literal such as
///   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
/// into `header`; on failure returns what it expected and where.
std::string parseNpyHeader(std::string_view text, NpyHeader &header) {
  size_t at = 0;
  auto skipSpaces = [&] {
    while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at])))
      ++at;
  };
  auto accept = [&](char c) {
    skipSpaces();
    if (at < text.size() && text[at] == c) {
      ++at;
      return true;
    }
    return false;
  };
  auto expected = [&](const char *what) {
    return fmt::format("expected {} at offset {}", what, at);
  };
  auto parseString = [&](std::string &out) {
    skipSpaces();
    if (at >= text.size() || (text[at] != '\'' && text[at] != '"'))
      return false;
    size_t end = text.find(text[at], at + 1);
    if (end == std::string_view::npos)
      return false;
    out = std::string(text.substr(at + 1, end - at - 1));
    at = end + 1;
    return true;
  };
  auto acceptWord = [&](std::string_view word) {
    skipSpaces();
    if (text.substr(at, word.size()) != word)
      return false;
    at += word.size();
    return true;
  };

  bool sawDescr = false, sawOrder = false, sawShape = false;
  if (!accept('{'))
    return expected("'{'");
  while (!accept('}')) {
    std::string key;
    if (!parseString(key))
      return expected("a quoted key or '}'");
    if (!accept(':'))
      return expected(fmt::format("':' after '{}'", key).c_str());
    if (key == "descr") {
      sawDescr = true;
      skipSpaces();
      if (at < text.size() && text[at] == '[') {
        // A structured dtype: a list of fields, kept whole for the message.
        size_t end = text.find(']', at);
        if (end == std::string_view::npos)
          return expected("']' closing the 'descr' list");
        header.descr = std::string(text.substr(at, end + 1 - at));
        at = end + 1;
      } else if (!parseString(header.descr)) {
        return expected("a quoted dtype after 'descr'");
      }
    } else if (key == "fortran_order") {
      sawOrder = true;
      if (acceptWord("True"))
        header.fortranOrder = true;
      else if (acceptWord("False"))
        header.fortranOrder = false;
      else
        return expected("True or False after 'fortran_order'");
    } else if (key == "shape") {
      sawShape = true;
      header.shape.clear();
      if (!accept('('))
        return expected("'(' after 'shape'");
      while (!accept(')')) {
        skipSpaces();
        int64_t dim = 0;
        auto [end, ec] = std::from_chars(text.data() + at, text.data() + text.size(), dim);
        if (ec != std::errc() || dim < 0)
          return expected("a dimension or ')'");
        at = static_cast<size_t>(end - text.data());
        accept('L'); // Python 2 wrote long integers as 3L
        header.shape.push_back(dim);
        if (!accept(',') && !(skipSpaces(), at < text.size() && text[at] == ')'))
          return expected("',' or ')' in 'shape'");
      }
    } else {
      return fmt::format("unknown key '{}' (a .npy header has 'descr', 'fortran_order' and "
                         "'shape')",
                         key);
    }
    if (!accept(',') && !(skipSpaces(), at < text.size() && text[at] == '}'))
      return expected("',' or '}'");
  }
  skipSpaces();
  if (at != text.size())
    return expected("the end of the header");
  if (!sawDescr)
    return "no 'descr' key";
  if (!sawOrder)
    return "no 'fortran_order' key";
  if (!sawShape)
    return "no 'shape' key";
  return "";
}

/// "[60000, 28, 28]".
std::string formatShape(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

/// a * b, or the largest uint64_t when that overflows.
uint64_t saturatingMultiply(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a)
    return std::numeric_limits<uint64_t>::max();
  return a * b;
}

std::string npyMagicError(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::vector<std::string> hex;
  for (size_t i = 0; i < std::min<size_t>(bytes.size(), 6); ++i)
    hex.push_back(fmt::format("{:02x}", bytes[i]));
  std::string message = fmt::format("{}: bad magic {} (expected \\x93NUMPY for a .npy file)", path,
                                    fmt::join(hex, " "));
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "PK\x03\x04", 4) == 0)
    message += ": a zip archive, as .npz files are; extract its .npy members";
  return message;
}

} // namespace

Result<NpyArray> readNpy(const std::string &path) {
  Result<std::vector<uint8_t>> read = readDataFile(path);
  if (!read)
    return read.takeError();
  const std::vector<uint8_t> &bytes = *read;

  static const char Magic[] = "\x93NUMPY";
  const size_t magicBytes = sizeof(Magic) - 1;
  if (!bytes.empty() && std::memcmp(bytes.data(), Magic, std::min(bytes.size(), magicBytes)) != 0)
    return Error(npyMagicError(path, bytes));
  auto truncatedHeader = [&](uint64_t headerBytes) {
    return Error(fmt::format("{}: truncated: the file holds {} bytes, fewer than the {}-byte "
                             "header of a .npy file",
                             path, bytes.size(), headerBytes));
  };
  if (bytes.size() < magicBytes + 4)
    return truncatedHeader(magicBytes + 4);
  unsigned major = bytes[magicBytes], minor = bytes[magicBytes + 1];
  if (major < 1 || major > 3 || minor != 0)
    return Error(fmt::format("{}: unsupported .npy format version {}.{} (reads 1.0, 2.0 and 3.0)",
                             path, major, minor));
  // Version 1.0 gives the header length in 2 bytes, later ones in 4.
  size_t lengthBytes = major == 1 ? 2 : 4;
  size_t headerStart = magicBytes + 2 + lengthBytes;
  if (bytes.size() < headerStart)
    return truncatedHeader(headerStart);
  uint64_t headerLength = 0;
  for (size_t b = lengthBytes; b-- > 0;)
    headerLength = (headerLength << 8) | bytes[magicBytes + 2 + b];
  uint64_t dataOffset = headerStart + headerLength;
  if (bytes.size() < dataOffset)
    return truncatedHeader(dataOffset);

  std::string_view text(reinterpret_cast<const char *>(bytes.data()) + headerStart,
                        static_cast<size_t>(headerLength));
  NpyHeader header;
  if (std::string problem = parseNpyHeader(text, header); !problem.empty()) {
    std::string_view shown = text.substr(0, text.find_last_not_of(" \n") + 1);
    return Error(fmt::format("{}: bad .npy header: {} in {}", path, problem,
                             shown.size() > 200 ? std::string(shown.substr(0, 200)) + "..."
                                                : std::string(shown)));
  }

  NpyArray array;
  array.dtype = header.descr;
  array.shape = header.shape;
  std::string_view type = header.descr;
  char order = !type.empty() && std::strchr("<>|", type[0]) ? type[0] : 0;
  if (order)
    type.remove_prefix(1);
  static const char *const Supported[] = {"f4", "f8", "i1", "i2", "i4", "i8",
                                          "u1", "u2", "u4", "u8", "b1"};
  if (std::find(std::begin(Supported), std::end(Supported), type) == std::end(Supported))
    return Error(fmt::format("{}: unsupported dtype '{}' (reads f4, f8, i1, i2, i4, i8, u1, u2, "
                             "u4, u8 and b1)",
                             path, header.descr));
  array.kind = type[0];
  array.itemBytes = type[1] - '0';
  if (order == '>' && array.itemBytes > 1)
    return Error(fmt::format("{}: big-endian dtype '{}' is not supported; save the array "
                             "little-endian, as a.astype('<{}')",
                             path, header.descr, type));
  if (header.fortranOrder)
    return Error(fmt::format("{}: the array is in Fortran order (fortran_order: True); only C "
                             "order is read: save np.ascontiguousarray(a)",
                             path));

  uint64_t elements = 1;
  for (int64_t dim : array.shape)
    elements = saturatingMultiply(elements, static_cast<uint64_t>(dim));
  uint64_t expected = saturatingMultiply(elements, static_cast<uint64_t>(array.itemBytes));
  uint64_t actual = bytes.size() - dataOffset;
  std::string what = fmt::format("shape {} of {}", formatShape(array.shape), header.descr);
  if (actual < expected) {
    std::string message = fmt::format("{}: truncated: holds {} bytes of data, {} needs {}", path,
                                      actual, what, expected);
    // Name the first incomplete record, a row along the first axis.
    uint64_t recordBytes = array.shape.empty() || array.shape[0] == 0
                               ? 0
                               : expected / static_cast<uint64_t>(array.shape[0]);
    if (recordBytes > 0 && expected != std::numeric_limits<uint64_t>::max())
      message += fmt::format("; record {} is incomplete", actual / recordBytes);
    return Error(message);
  }
  if (actual > expected)
    return Error(fmt::format("{}: holds {} bytes of data, {} needs {}: {} trailing bytes at "
                             "offset {}",
                             path, actual, what, expected, actual - expected,
                             dataOffset + expected));
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(dataOffset), bytes.end());
  return array;
}

Result<Dataset> loadNpyDataset(const std::string &featuresPath, const std::string &labelsPath,
                               const ModelInfo &model) {
  if (Status status = checkTask(model); !status)
    return status.takeError();
  Result<NpyArray> features = readNpy(featuresPath);
  if (!features)
    return features.takeError();
  Result<NpyArray> labels = readNpy(labelsPath);
  if (!labels)
    return labels.takeError();

  bool classLabels = model.targetFeatures == 0;
  if (features->shape.empty())
    return Error(fmt::format("{}: features need shape [N, ...], got a scalar", featuresPath));
  if (labels->shape.empty() || labels->shape.size() > 2)
    return Error(fmt::format("{}: {} need shape [N] or [N, k], got {}", labelsPath,
                             classLabels ? "class labels" : "targets", formatShape(labels->shape)));
  int64_t count = features->shape[0];
  if (labels->shape[0] != count)
    return Error(fmt::format("{}: holds {} records but {} holds {}", labelsPath, labels->shape[0],
                             featuresPath, count));
  if (count == 0)
    return Error(fmt::format("{}: holds no records", featuresPath));

  Dataset data;
  data.source = featuresPath;
  data.count = count;
  data.features = features->size() / count;
  data.x.resize(static_cast<size_t>(features->size()));
  for (int64_t i = 0; i < features->size(); ++i) {
    double value = features->value(i);
    if (!std::isfinite(value))
      return Error(fmt::format("{}: record {}: feature {} is not finite ({})", featuresPath,
                               i / data.features, i % data.features, value));
    data.x[static_cast<size_t>(i)] = static_cast<float>(value);
  }

  int64_t perRecord = labels->shape.size() == 2 ? labels->shape[1] : 1;
  for (int64_t i = 0; i < labels->size(); ++i) {
    double value = labels->value(i);
    int64_t record = i / perRecord;
    if (!classLabels) {
      if (!std::isfinite(value))
        return Error(fmt::format("{}: record {}: target {} is not finite ({})", labelsPath, record,
                                 i % perRecord, value));
      data.targets.push_back(static_cast<float>(value));
      continue;
    }
    if (!std::isfinite(value) || value != std::floor(value))
      return Error(fmt::format("{}: record {}: label {} is not an integer class index", labelsPath,
                               record, value));
    if (value < 0 || value >= static_cast<double>(model.numClasses))
      return Error(fmt::format("{}: record {}: label {} out of range [0, {})", labelsPath, record,
                               value, model.numClasses));
    data.y.push_back(static_cast<int32_t>(value));
  }
  if (classLabels)
    data.labelsPerSample = perRecord;
  else
    data.targetFeatures = perRecord;

  if (Status status = checkDataset(data, model); !status)
    return status.takeError();
  return data;
}

//===----------------------------------------------------------------------===//
// CSV files
//===----------------------------------------------------------------------===//

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view trimBlanks(std::string_view text) {
  while (!text.empty() && isBlank(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && isBlank(text.back()))
    text.remove_suffix(1);
  return text;
}

/// Splits `line` into `cells`: at every `delimiter`, or at runs of spaces and
/// tabs when `delimiter` is ' '. Blanks around a cell are dropped.
void splitCells(std::string_view line, char delimiter, std::vector<std::string_view> &cells) {
  cells.clear();
  line = trimBlanks(line);
  if (delimiter == ' ') {
    while (!line.empty()) {
      size_t end = 0;
      while (end < line.size() && !isBlank(line[end]))
        ++end;
      cells.push_back(line.substr(0, end));
      line = trimBlanks(line.substr(end));
    }
    return;
  }
  while (true) {
    size_t end = line.find(delimiter);
    cells.push_back(trimBlanks(line.substr(0, end)));
    if (end == std::string_view::npos)
      return;
    line.remove_prefix(end + 1);
  }
}

/// Parses a whole cell as a number ("1.5", "-2", "+3e-4", "nan").
bool parseNumber(std::string_view cell, double &value) {
  // from_chars takes no leading '+'; data files often carry one.
  if (cell.size() > 1 && cell.front() == '+')
    cell.remove_prefix(1);
  auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  return !cell.empty() && ec == std::errc() && end == cell.data() + cell.size();
}

} // namespace

Result<Dataset> loadCsvDataset(const std::string &path, const CsvOptions &options) {
  bool byLabelColumn = options.labelColumn >= 0;
  if (!byLabelColumn && options.targetColumns < 0)
    return Error(fmt::format("{}: target columns must be at least 0, got {}", path,
                             options.targetColumns));
  int64_t targetCount = byLabelColumn ? 1 : options.targetColumns;
  if (options.intLabels && targetCount != 1)
    return Error(
        fmt::format("{}: class labels need exactly one target column, got {}", path, targetCount));

  Result<std::vector<uint8_t>> bytes = readFile(path);
  if (!bytes)
    return bytes.takeError();
  std::string_view text(reinterpret_cast<const char *>(bytes->data()), bytes->size());

  Dataset data;
  data.source = path;
  data.targetFeatures = options.intLabels ? 0 : targetCount;
  char delimiter = options.delimiter == '\t' ? ' ' : options.delimiter;
  int64_t columns = 0;     // set by the first sample
  int64_t firstTarget = 0; // the first target column
  bool sawHeaderOrData = false;
  std::vector<std::string_view> cells;
  int64_t lineNumber = 0;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++lineNumber;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (trimBlanks(line).empty())
      continue;
    if (delimiter == 0)
      delimiter = line.find(',') != std::string_view::npos ? ',' : ' ';
    splitCells(line, delimiter, cells);

    // The first line is a header when any of its cells is not a number.
    if (!sawHeaderOrData) {
      sawHeaderOrData = true;
      double ignored = 0;
      if (std::any_of(cells.begin(), cells.end(),
                      [&](std::string_view cell) { return !parseNumber(cell, ignored); }))
        continue;
    }
    if (columns == 0) {
      columns = static_cast<int64_t>(cells.size());
      if (byLabelColumn && options.labelColumn >= columns)
        return Error(fmt::format("{}:{}: label column {} (counted from 0) does not exist in "
                                 "rows of {} columns",
                                 path, lineNumber, options.labelColumn, columns));
      if (targetCount >= columns)
        return Error(fmt::format("{}:{}: rows of {} columns leave no features after {} target "
                                 "column{}",
                                 path, lineNumber, columns, targetCount,
                                 targetCount == 1 ? "" : "s"));
      firstTarget = byLabelColumn ? options.labelColumn : columns - targetCount;
      data.features = columns - targetCount;
    }
    if (static_cast<int64_t>(cells.size()) != columns)
      return Error(fmt::format("{}:{}: expected {} columns, got {}", path, lineNumber, columns,
                               cells.size()));

    for (int64_t column = 0; column < columns; ++column) {
      std::string_view cell = cells[static_cast<size_t>(column)];
      double value = 0;
      if (!parseNumber(cell, value))
        return Error(fmt::format("{}:{}: column {}: expected a number, got '{}'", path, lineNumber,
                                 column + 1, cell));
      if (!std::isfinite(value))
        return Error(fmt::format("{}:{}: column {}: expected a finite number, got '{}'", path,
                                 lineNumber, column + 1, cell));
      bool isTarget = column >= firstTarget && column < firstTarget + targetCount;
      if (!isTarget) {
        data.x.push_back(static_cast<float>(value));
      } else if (!options.intLabels) {
        data.targets.push_back(static_cast<float>(value));
      } else {
        if (value < 0 || value > std::numeric_limits<int32_t>::max() || value != std::floor(value))
          return Error(fmt::format("{}:{}: column {}: a class label must be a non-negative "
                                   "integer, got '{}'",
                                   path, lineNumber, column + 1, cell));
        data.y.push_back(static_cast<int32_t>(value));
      }
    }
    ++data.count;
  }
  if (!sawHeaderOrData)
    return Error(fmt::format("{}: empty file", path));
  if (data.count == 0)
    return Error(fmt::format("{}: no samples after the header line", path));
  return data;
}

//===----------------------------------------------------------------------===//
// Standardization and splits
//===----------------------------------------------------------------------===//

Status applyStandardization(Dataset &data, const Standardization &stats) {
  if (static_cast<int64_t>(stats.mean.size()) != data.features ||
      stats.stddev.size() != stats.mean.size())
    return Error(fmt::format("{}: samples have {} features but the standardization has {}",
                             data.source, data.features, stats.mean.size()));
  const size_t features = stats.mean.size();
  for (size_t i = 0; i < data.x.size(); ++i) {
    size_t j = i % features;
    // A constant feature carries no information to scale; centering it
    // leaves it 0 instead of dividing by 0.
    double scale = stats.stddev[j] > 0 ? stats.stddev[j] : 1.0;
    data.x[i] = static_cast<float>((double(data.x[i]) - stats.mean[j]) / scale);
  }
  return {};
}

namespace {

/// Checks that `train` has samples and `others` as many features; `verb`
/// ("standardize") names the operation in the message.
Status checkNormalizable(const Dataset &train, const std::vector<Dataset *> &others,
                         const char *verb) {
  if (train.count <= 0 || train.features <= 0)
    return Error(fmt::format("{}: no samples to {}", train.source, verb));
  for (const Dataset *other : others)
    if (other->features != train.features)
      return Error(fmt::format("{}: samples have {} features but {} has {}", other->source,
                               other->features, train.source, train.features));
  return {};
}

} // namespace

namespace {

/// Applies `stats` to the training set and every other set; returns them.
Result<Standardization> applyToAll(Dataset &train, const std::vector<Dataset *> &others,
                                   Standardization stats) {
  if (Status status = applyStandardization(train, stats); !status)
    return status.takeError();
  for (Dataset *other : others)
    if (Status status = applyStandardization(*other, stats); !status)
      return status.takeError();
  return stats;
}

} // namespace

Result<Standardization> standardize(Dataset &train, const std::vector<Dataset *> &others) {
  // Check everything before changing anything.
  if (Status status = checkNormalizable(train, others, "standardize"); !status)
    return status.takeError();

  const size_t features = static_cast<size_t>(train.features);
  const size_t count = static_cast<size_t>(train.count);
  std::vector<double> sum(features, 0.0), squares(features, 0.0);
  std::vector<float> low(train.x.begin(), train.x.begin() + features), high = low;
  for (size_t i = 0; i < count * features; ++i) {
    size_t j = i % features;
    sum[j] += train.x[i];
    low[j] = std::min(low[j], train.x[i]);
    high[j] = std::max(high[j], train.x[i]);
  }
  Standardization stats;
  stats.mean.resize(features);
  stats.stddev.resize(features);
  for (size_t j = 0; j < features; ++j)
    stats.mean[j] = static_cast<float>(sum[j] / double(count));
  // Two passes: deviations from the mean lose less precision than
  // E[x^2] - E[x]^2.
  for (size_t i = 0; i < count * features; ++i) {
    double deviation = double(train.x[i]) - stats.mean[i % features];
    squares[i % features] += deviation * deviation;
  }
  for (size_t j = 0; j < features; ++j)
    // A constant column would otherwise get a rounding-noise deviation.
    stats.stddev[j] =
        low[j] == high[j] ? 0.0f : static_cast<float>(std::sqrt(squares[j] / double(count)));

  return applyToAll(train, others, std::move(stats));
}

Result<Normalization> parseNormalization(std::string_view name) {
  if (name == "none")
    return Normalization::None;
  if (name == "standard")
    return Normalization::Standard;
  if (name == "minmax")
    return Normalization::MinMax;
  return Error(fmt::format("unknown normalization '{}' (known: none, standard, minmax)", name));
}

Result<Standardization> normalize(Dataset &train, const std::vector<Dataset *> &others,
                                  Normalization kind) {
  if (kind == Normalization::Standard)
    return standardize(train, others);
  if (Status status = checkNormalizable(train, others, "normalize"); !status)
    return status.takeError();

  const size_t features = static_cast<size_t>(train.features);
  Standardization stats;
  if (kind == Normalization::None) {
    // (x - 0) / 1 is x: nothing to apply.
    stats.mean.assign(features, 0.0f);
    stats.stddev.assign(features, 1.0f);
    return stats;
  }

  // Min-max: x' = (x - min) / (max - min).
  const size_t count = static_cast<size_t>(train.count);
  std::vector<float> low(train.x.begin(), train.x.begin() + features), high = low;
  for (size_t i = 0; i < count * features; ++i) {
    size_t j = i % features;
    low[j] = std::min(low[j], train.x[i]);
    high[j] = std::max(high[j], train.x[i]);
  }
  stats.mean = low;
  stats.stddev.resize(features);
  for (size_t j = 0; j < features; ++j) {
    // applyStandardization divides x - min, in double, by this float: round
    // the range up, never down, so that the maximum maps to at most 1.
    double range =
        std::min(double(high[j]) - double(low[j]), double(std::numeric_limits<float>::max()));
    float scale = static_cast<float>(range);
    if (double(scale) < range)
      scale = std::nextafter(scale, std::numeric_limits<float>::infinity());
    stats.stddev[j] = scale; // 0 for a constant feature, which is only centered
  }

  return applyToAll(train, others, std::move(stats));
}

namespace {

/// The samples of `data` at `indices`, in that order.
Dataset gatherSamples(const Dataset &data, const std::vector<int64_t> &indices,
                      std::string source) {
  Dataset part;
  part.features = data.features;
  part.targetFeatures = data.targetFeatures;
  part.labelsPerSample = data.labelsPerSample;
  part.count = static_cast<int64_t>(indices.size());
  part.source = std::move(source);
  auto appendRow = [](std::vector<float> &to, const std::vector<float> &from, int64_t index,
                      int64_t width) {
    to.insert(to.end(), from.begin() + index * width, from.begin() + (index + 1) * width);
  };
  for (int64_t index : indices) {
    appendRow(part.x, data.x, index, data.features);
    if (data.targetFeatures > 0)
      appendRow(part.targets, data.targets, index, data.targetFeatures);
    else
      part.y.insert(part.y.end(), data.y.begin() + index * data.labelsPerSample,
                    data.y.begin() + (index + 1) * data.labelsPerSample);
  }
  return part;
}

} // namespace

Result<DatasetSplit> splitDataset(const Dataset &data, double heldOutFraction, uint64_t seed) {
  if (!(heldOutFraction > 0 && heldOutFraction < 1))
    return Error(fmt::format("{}: the held-out fraction must lie in (0, 1), got {}", data.source,
                             heldOutFraction));
  int64_t heldOut = std::llround(heldOutFraction * double(data.count));
  if (heldOut < 1 || heldOut >= data.count)
    return Error(fmt::format("{}: holding out {} of {} samples leaves {} held out and {} for "
                             "training; each part needs at least one",
                             data.source, heldOutFraction, data.count, heldOut,
                             data.count - heldOut));
  std::vector<int64_t> order(static_cast<size_t>(data.count));
  std::iota(order.begin(), order.end(), int64_t(0));
  // A stream of its own: the same seed also draws initial weights and the
  // order of each epoch.
  Rng rng(deriveSeed(seed, hashName("split")));
  shuffle(order, rng);
  std::vector<int64_t> heldOutIndices(order.begin(), order.begin() + heldOut);
  std::vector<int64_t> trainIndices(order.begin() + heldOut, order.end());
  std::sort(heldOutIndices.begin(), heldOutIndices.end());
  std::sort(trainIndices.begin(), trainIndices.end());
  return DatasetSplit{gatherSamples(data, trainIndices, data.source + " (training part)"),
                      gatherSamples(data, heldOutIndices, data.source + " (held-out part)")};
}

Result<DatasetSplit> loadTextDataset(const std::string &path, int64_t steps, int64_t classes,
                                     double heldOutFraction) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error(fmt::format("{}: cannot open text: {}", path, std::strerror(errno)));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t i = 0; i < text.size(); ++i)
    if (static_cast<unsigned char>(text[i]) >= classes)
      return Error(fmt::format("{}: byte {}: value {} is not below the model's {} classes", path,
                               i, static_cast<unsigned char>(text[i]), classes));
  if (!(heldOutFraction > 0 && heldOutFraction < 1))
    return Error(fmt::format("{}: the held-out fraction must lie in (0, 1), got {}", path,
                             heldOutFraction));
  // Windows of steps + 1 bytes, `steps` apart: inputs the first `steps`,
  // labels the last.
  auto windows = [&](size_t begin, size_t end, const std::string &part) {
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
