//===- Npy.cpp - NumPy .npy files: arrays and sets of two -----------------===//
//
// Format versions 1.0, 2.0 and 3.0: a magic string, a header length, a
// Python dict literal saying dtype, order and shape, then the elements.
// Plain or gzip-compressed.
//
//===----------------------------------------------------------------------===//

#include "kiln/Data.h"

#include "core/Shape.h"
#include "core/Text.h"
#include "data/DataFile.h"
#include "data/DatasetCheck.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <string_view>

namespace kiln {

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
      return expected(fmt::format("':' after '{}'", printableText(key)).c_str());
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
                         printableText(key));
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
                             path, printableText(header.descr)));
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

} // namespace kiln
