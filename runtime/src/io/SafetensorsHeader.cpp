//===- SafetensorsHeader.cpp - The JSON header of a checkpoint ------------===//
//
// The header is read by nlohmann-json into a tree that keeps the header's
// order (the order in which problems are reported). The parser callback adds
// what the library accepts silently but a safetensors header must not hold:
// a key given twice in one object (the tree would keep one of them) and
// nesting deeper than a header needs. The schema is checked on the tree
// afterwards, so that syntax errors carry a byte offset and schema errors a
// tensor name.
//
//===----------------------------------------------------------------------===//

#include "io/SafetensorsHeader.h"
#include "core/Shape.h"
#include "io/Json.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <iterator>
#include <limits>
#include <set>

namespace kiln {

using Json = nlohmann::ordered_json;

bool tensorBytes(const std::vector<int64_t> &shape, uint64_t &bytes) {
  bytes = ElementBytes;
  for (int64_t d : shape) {
    if (d < 0)
      return false;
    if (d != 0 && bytes > std::numeric_limits<uint64_t>::max() / uint64_t(d))
      return false;
    bytes *= uint64_t(d);
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

Result<std::string> buildSafetensorsHeader(const std::string &path,
                                           const std::vector<TensorView> &tensors,
                                           const std::map<std::string, std::string> &metadata) {
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto &[key, value] : metadata) {
      if (!isValidUtf8(key) || !isValidUtf8(value))
        return Error(fmt::format("{}: metadata {} is not valid UTF-8", path, jsonString(key)));
      if (!first)
        header += ',';
      first = false;
      appendJsonString(header, key);
      header += ':';
      appendJsonString(header, value);
    }
    header += '}';
  }

  std::set<std::string_view> names;
  uint64_t offset = 0;
  for (const TensorView &tensor : tensors) {
    std::string where = fmt::format("{}: tensor {}", path, jsonString(tensor.name));
    if (!isValidUtf8(tensor.name))
      return Error(fmt::format("{}: name is not valid UTF-8", where));
    if (tensor.name == "__metadata__")
      return Error(fmt::format("{}: the name is reserved for metadata", where));
    if (!names.insert(tensor.name).second)
      return Error(fmt::format("{}: duplicate name", where));
    uint64_t bytes;
    if (!tensorBytes(tensor.shape, bytes))
      return Error(fmt::format("{}: bad shape {}", where, formatShape(tensor.shape)));
    if (tensor.data && tensor.ints)
      return Error(fmt::format("{}: both float and int data given", where));
    if (bytes > 0 && !tensor.data && !tensor.ints)
      return Error(fmt::format("{}: no data for shape {}", where, formatShape(tensor.shape)));
    if (offset > uint64_t(std::numeric_limits<int64_t>::max()) - bytes)
      return Error(fmt::format("{}: the checkpoint is too large", where));

    if (header.size() > 1)
      header += ',';
    appendJsonString(header, tensor.name);
    header += fmt::format(R"(:{{"dtype":"{}","shape":[{}],"data_offsets":[{},{}]}})",
                          dtypeName(tensor.ints ? DType::I32 : DType::F32),
                          fmt::join(tensor.shape, ","), offset, offset + bytes);
    offset += bytes;
  }
  header += '}';
  header.append((8 - header.size() % 8) % 8, ' ');
  return header;
}

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

namespace {

// A safetensors header never nests deeper than 3 (header, tensor, shape).
constexpr int MaxJsonDepth = 8;

/// What a JSON value is, for messages: "an array", "a string", ...
const char *kindName(const Json &value) {
  switch (value.type()) {
  case Json::value_t::object:
    return "an object";
  case Json::value_t::array:
    return "an array";
  case Json::value_t::string:
    return "a string";
  case Json::value_t::number_integer:
  case Json::value_t::number_unsigned:
    return "an integer";
  case Json::value_t::number_float:
    return "a float";
  case Json::value_t::boolean:
    return "a boolean";
  case Json::value_t::null:
    return "null";
  default:
    return "a value";
  }
}

/// Hands the header text to the parser a byte at a time and counts the
/// bytes it has taken, so that a check in the parser callback can say where
/// it stopped the parse.
class CountingIterator {
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char *;
  using reference = const char &;

  CountingIterator(const char *at, size_t *taken) : at(at), taken(taken) {}
  reference operator*() const { return *at; }
  CountingIterator &operator++() {
    ++at;
    ++*taken;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const CountingIterator &other) const { return at == other.at; }
  bool operator!=(const CountingIterator &other) const { return at != other.at; }

private:
  const char *at;
  size_t *taken;
};

/// Thrown by the parser callback to stop the parse at a value nested deeper
/// than MaxJsonDepth.
struct NestedTooDeep {};

/// Watches the parse for a key given twice in one object of the header or
/// of a tensor entry (deeper objects fail the schema anyway), and describes
/// the first one found as a schema error.
class DuplicateKeyWatch {
public:
  void openObject() { keysOfOpenObjects.emplace_back(); }
  void closeObject() { keysOfOpenObjects.pop_back(); }

  /// `depth` is 1 for a key of the header object, 2 for one of its values.
  void key(int depth, const std::string &name) {
    if (depth == 1)
      headerKey = name;
    if (keysOfOpenObjects.back().insert(name).second || !firstDuplicate.empty() || depth > 2)
      return;
    if (depth == 1)
      firstDuplicate = name == "__metadata__"
                           ? std::string("duplicate \"__metadata__\"")
                           : fmt::format("duplicate tensor name {}", jsonString(name));
    else if (headerKey == "__metadata__")
      firstDuplicate = fmt::format("duplicate metadata key {}", jsonString(name));
    else
      firstDuplicate =
          fmt::format("tensor {}: duplicate field {}", jsonString(headerKey), jsonString(name));
  }

  /// The first duplicate as a message, or empty.
  const std::string &duplicate() const { return firstDuplicate; }

private:
  std::vector<std::set<std::string>> keysOfOpenObjects;
  std::string headerKey; // the latest key of the header object
  std::string firstDuplicate;
};

/// nlohmann-json's message without its prefix ("[json.exception.parse_error.101]
/// parse error at line 1, column 6: "), with every byte outside printable
/// ASCII (its "last read" context quotes the input) written as \xNN, so that
/// the message stays one line of text.
std::string syntaxMessage(const Json::parse_error &error) {
  std::string_view what = error.what();
  if (size_t column = what.find(", column "); column != std::string_view::npos)
    if (size_t colon = what.find(": ", column); colon != std::string_view::npos)
      what.remove_prefix(colon + 2);
  std::string message;
  for (char c : what) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f)
      message += c;
    else
      message += fmt::format("\\x{:02x}", byte);
  }
  return message;
}

/// Parses `text` into a tree; `watch` sees every key and records the first
/// duplicate.
Result<Json> parseJson(const std::string &path, std::string_view text, DuplicateKeyWatch &watch) {
  // The parser takes a NUL byte for the end of the input and would ignore
  // whatever follows it; JSON allows none outside a string (and inside one,
  // only escaped).
  if (size_t nul = text.find('\0'); nul != std::string_view::npos)
    return Error(fmt::format("{}: malformed header at byte {}: a NUL byte, which JSON allows "
                             "nowhere",
                             path, nul));
  size_t taken = 0;
  auto callback = [&](int depth, Json::parse_event_t event, Json &parsed) {
    switch (event) {
    case Json::parse_event_t::object_start:
    case Json::parse_event_t::array_start:
      // `depth` counts the containers around this one.
      if (depth + 1 > MaxJsonDepth)
        throw NestedTooDeep();
      if (event == Json::parse_event_t::object_start)
        watch.openObject();
      break;
    case Json::parse_event_t::object_end:
      watch.closeObject();
      break;
    case Json::parse_event_t::key:
      watch.key(depth, parsed.get_ref<const std::string &>());
      break;
    default:
      break;
    }
    return true;
  };
  try {
    return Json::parse(CountingIterator(text.data(), &taken),
                       CountingIterator(text.data() + text.size(), &taken), callback);
  } catch (const Json::parse_error &error) {
    return Error(fmt::format("{}: malformed header at byte {}: {}", path,
                             error.byte > 0 ? error.byte - 1 : 0, syntaxMessage(error)));
  } catch (const NestedTooDeep &) {
    // The parser has taken the bracket that opens the value, no more.
    return Error(fmt::format("{}: malformed header at byte {}: values nested deeper than {} "
                             "levels",
                             path, taken - 1, MaxJsonDepth));
  }
}

Result<std::map<std::string, std::string>> readMetadata(const std::string &path,
                                                        const Json &value) {
  if (!value.is_object())
    return Error(fmt::format("{}: \"__metadata__\" is {}, not an object", path, kindName(value)));
  std::map<std::string, std::string> metadata;
  for (auto item = value.begin(); item != value.end(); ++item) {
    if (!item.value().is_string())
      return Error(fmt::format("{}: metadata {} is {}, not a string", path, jsonString(item.key()),
                               kindName(item.value())));
    metadata.emplace(item.key(), item.value().get_ref<const std::string &>());
  }
  return metadata;
}

/// Reads an array of integers, e.g. a shape.
Status readIntegers(const Json &value, std::vector<int64_t> &out, const std::string &what) {
  if (!value.is_array())
    return Error(fmt::format("{} is {}, not an array", what, kindName(value)));
  for (size_t i = 0; i < value.size(); ++i) {
    const Json &element = value[i];
    if (!element.is_number_integer())
      return Error(fmt::format("{}: element {} is {}, not an integer", what, i, kindName(element)));
    if (element.is_number_unsigned() &&
        element.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
      return Error(
          fmt::format("{}: element {} is {}, out of range", what, i, element.get<uint64_t>()));
    out.push_back(element.get<int64_t>());
  }
  return {};
}

Result<TensorEntry> readTensorEntry(const std::string &name, const Json &value) {
  std::string where = fmt::format("tensor {}", jsonString(name));
  if (!value.is_object())
    return Error(fmt::format("{} is {}, not an object", where, kindName(value)));

  TensorEntry entry;
  entry.name = name;
  // No field comes twice: the parser callback saw to that.
  const Json *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
  for (auto item = value.begin(); item != value.end(); ++item) {
    const std::string &key = item.key();
    const Json **slot = key == "dtype"          ? &dtype
                        : key == "shape"        ? &shape
                        : key == "data_offsets" ? &offsets
                                                : nullptr;
    if (!slot)
      return Error(fmt::format("{}: unknown field {} (expected dtype, shape and data_offsets)",
                               where, jsonString(key)));
    *slot = &item.value();
  }
  for (auto [field, fieldName] :
       {std::pair{dtype, "dtype"}, std::pair{shape, "shape"}, std::pair{offsets, "data_offsets"}})
    if (!field)
      return Error(fmt::format("{}: missing field \"{}\"", where, fieldName));

  if (!dtype->is_string())
    return Error(fmt::format("{}: dtype is {}, not a string", where, kindName(*dtype)));
  const std::string &dtypeText = dtype->get_ref<const std::string &>();
  if (dtypeText == "F32")
    entry.dtype = DType::F32;
  else if (dtypeText == "I32")
    entry.dtype = DType::I32;
  else
    return Error(fmt::format("{}: unsupported dtype {} (expected F32 or I32)", where,
                             jsonString(dtypeText)));

  if (Status status = readIntegers(*shape, entry.shape, where + ": shape"); !status)
    return status.takeError();
  for (int64_t d : entry.shape)
    if (d < 0)
      return Error(
          fmt::format("{}: negative dimension {} in shape {}", where, d, formatShape(entry.shape)));

  std::vector<int64_t> range;
  if (Status status = readIntegers(*offsets, range, where + ": data_offsets"); !status)
    return status.takeError();
  if (range.size() != 2)
    return Error(
        fmt::format("{}: data_offsets has {} entries, not [begin, end]", where, range.size()));
  if (range[0] < 0 || range[1] < range[0])
    return Error(fmt::format("{}: data_offsets [{}, {}] are not a range of bytes", where, range[0],
                             range[1]));
  entry.begin = uint64_t(range[0]);
  entry.end = uint64_t(range[1]);

  uint64_t bytes;
  if (!tensorBytes(entry.shape, bytes))
    return Error(fmt::format("{}: shape {} is too large", where, formatShape(entry.shape)));
  if (entry.end - entry.begin != bytes)
    return Error(fmt::format("{}: data_offsets [{}, {}] hold {} bytes but shape {} of {} needs {}",
                             where, entry.begin, entry.end, entry.end - entry.begin,
                             formatShape(entry.shape), dtypeName(entry.dtype), bytes));
  return entry;
}

} // namespace

Result<SafetensorsHeader> parseSafetensorsHeader(const std::string &path, std::string_view text) {
  DuplicateKeyWatch watch;
  Result<Json> header = parseJson(path, text, watch);
  if (!header)
    return header.takeError();
  if (!watch.duplicate().empty())
    return Error(fmt::format("{}: {}", path, watch.duplicate()));
  if (!header->is_object())
    return Error(fmt::format("{}: the header is {}, not an object", path, kindName(*header)));

  SafetensorsHeader result;
  for (auto item = header->begin(); item != header->end(); ++item) {
    if (item.key() == "__metadata__") {
      Result<std::map<std::string, std::string>> metadata = readMetadata(path, item.value());
      if (!metadata)
        return metadata.takeError();
      result.metadata = std::move(*metadata);
      continue;
    }
    Result<TensorEntry> entry = readTensorEntry(item.key(), item.value());
    if (!entry)
      return Error(fmt::format("{}: {}", path, entry.error()));
    result.entries.push_back(std::move(*entry));
  }
  return result;
}

} // namespace kiln
