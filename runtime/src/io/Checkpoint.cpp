//===- Checkpoint.cpp - Tensors and metadata in safetensors files ---------===//
//
// The header is JSON, read by the small strict parser below: objects, arrays,
// strings and integers, which is all a safetensors header holds. It builds a
// tree first and checks the safetensors schema on the tree second, so that
// syntax errors carry a byte offset and schema errors a tensor name.
//
//===----------------------------------------------------------------------===//

#include "kiln/Checkpoint.h"

#include "ByteOrder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kiln {

std::string_view dtypeName(DType dtype) { return dtype == DType::I32 ? "I32" : "F32"; }

int64_t LoadedTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

const LoadedTensor *Checkpoint::find(std::string_view name) const {
  for (const LoadedTensor &tensor : tensors)
    if (tensor.name == name)
      return &tensor;
  return nullptr;
}

namespace {

// Both dtypes are 4 bytes wide.
constexpr uint64_t ElementBytes = 4;
// A safetensors header never nests deeper than 3 (header, tensor, shape).
constexpr int MaxJsonDepth = 8;

//===----------------------------------------------------------------------===//
// Strings: UTF-8 and JSON escapes
//===----------------------------------------------------------------------===//

/// Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates,
/// nothing above U+10FFFF), which is what JSON and safetensors require.
bool isValidUtf8(std::string_view text) {
  size_t i = 0, n = text.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t code, min;
    if ((c & 0xe0) == 0xc0) {
      length = 2, code = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3, code = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4, code = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < length)
      return false;
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80)
        return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return false;
    i += length;
  }
  return true;
}

void appendUtf8(std::string &out, uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

/// Appends `text` as a JSON string literal: quotes, backslashes and control
/// characters escaped, everything else (UTF-8 included) as is.
void appendJsonString(std::string &out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
      else
        out += c;
    }
  }
  out += '"';
}

/// A name as messages show it: quoted and escaped, so a message stays on one
/// line whatever the name holds.
std::string quoted(std::string_view text) {
  std::string out;
  appendJsonString(out, text);
  return out;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

/// Bytes of a tensor of `shape`, or false if a dimension is negative or the
/// size does not fit in 64 bits.
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
// A strict JSON parser for safetensors headers
//===----------------------------------------------------------------------===//

/// A parsed JSON value: an object (keys and items), an array (items), a
/// string or an integer.
struct JsonValue {
  enum class Kind { Object, Array, String, Integer };
  Kind kind = Kind::Object;
  std::string string;
  int64_t integer = 0;
  std::vector<std::string> keys; // of an object, parallel to items
  std::vector<JsonValue> items;  // of an array, or an object's values

  const char *kindName() const {
    switch (kind) {
    case Kind::Object:
      return "an object";
    case Kind::Array:
      return "an array";
    case Kind::String:
      return "a string";
    case Kind::Integer:
      return "an integer";
    }
    return "a value";
  }
};

/// Parses one JSON value that fills the whole text (whitespace around it
/// allowed). No true, false, null or non-integer numbers: safetensors
/// headers have none. Duplicate keys are kept; the schema check reports them.
class JsonParser {
public:
  explicit JsonParser(std::string_view text) : text(text) {}

  bool parse(JsonValue &out) {
    skipSpace();
    if (!parseValue(out, 1))
      return false;
    skipSpace();
    if (pos < text.size())
      return fail(fmt::format("unexpected {} after the end of the header object", found()));
    return true;
  }

  const std::string &error() const { return message; }
  size_t errorOffset() const { return errorPos; }

private:
  bool fail(std::string what) { return failAt(pos, std::move(what)); }
  bool failAt(size_t offset, std::string what) {
    message = std::move(what);
    errorPos = offset;
    return false;
  }

  /// The character at the current position, for messages.
  std::string found() const {
    if (pos >= text.size())
      return "end of header";
    auto c = static_cast<unsigned char>(text[pos]);
    if (c >= 0x20 && c < 0x7f)
      return fmt::format("'{}'", char(c));
    return fmt::format("byte 0x{:02x}", c);
  }

  void skipSpace() {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool expect(char c, const char *context) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return fail(fmt::format("expected '{}' {}, found {}", c, context, found()));
  }

  bool parseValue(JsonValue &out, int depth) {
    if (depth > MaxJsonDepth)
      return fail(fmt::format("values nested deeper than {} levels", MaxJsonDepth));
    if (pos >= text.size())
      return fail("expected a value, found end of header");
    char c = text[pos];
    if (c == '{')
      return parseObject(out, depth);
    if (c == '[')
      return parseArray(out, depth);
    if (c == '"') {
      out.kind = JsonValue::Kind::String;
      return parseString(out.string);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      out.kind = JsonValue::Kind::Integer;
      return parseInteger(out.integer);
    }
    return fail(fmt::format("expected an object, array, string or integer, found {}", found()));
  }

  bool parseObject(JsonValue &out, int depth) {
    out.kind = JsonValue::Kind::Object;
    ++pos; // '{'
    skipSpace();
    if (pos < text.size() && text[pos] == '}') {
      ++pos;
      return true;
    }
    while (true) {
      if (pos >= text.size() || text[pos] != '"')
        return fail(fmt::format("expected a string key, found {}", found()));
      out.keys.emplace_back();
      if (!parseString(out.keys.back()))
        return false;
      skipSpace();
      if (!expect(':', "after an object key"))
        return false;
      skipSpace();
      out.items.emplace_back();
      if (!parseValue(out.items.back(), depth + 1))
        return false;
      skipSpace();
      if (pos < text.size() && text[pos] == '}') {
        ++pos;
        return true;
      }
      if (!expect(',', "or '}' after an object member"))
        return false;
      skipSpace();
    }
  }

  bool parseArray(JsonValue &out, int depth) {
    out.kind = JsonValue::Kind::Array;
    ++pos; // '['
    skipSpace();
    if (pos < text.size() && text[pos] == ']') {
      ++pos;
      return true;
    }
    while (true) {
      out.items.emplace_back();
      if (!parseValue(out.items.back(), depth + 1))
        return false;
      skipSpace();
      if (pos < text.size() && text[pos] == ']') {
        ++pos;
        return true;
      }
      if (!expect(',', "or ']' after an array element"))
        return false;
      skipSpace();
    }
  }

  bool parseHex4(uint32_t &code) {
    if (text.size() - pos < 4)
      return fail("truncated \\u escape");
    code = 0;
    for (int i = 0; i < 4; ++i, ++pos) {
      char c = text[pos];
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0)
        return fail(fmt::format("expected a hex digit in a \\u escape, found {}", found()));
      code = code * 16 + uint32_t(digit);
    }
    return true;
  }

  bool parseString(std::string &out) {
    size_t start = pos++;
    while (true) {
      if (pos >= text.size())
        return failAt(start, "unterminated string");
      auto c = static_cast<unsigned char>(text[pos]);
      if (c == '"') {
        ++pos;
        break;
      }
      if (c < 0x20)
        return fail(fmt::format("control character 0x{:02x} in a string", c));
      if (c != '\\') {
        out += char(c);
        ++pos;
        continue;
      }
      size_t escape = pos++;
      if (pos >= text.size())
        return failAt(start, "unterminated string");
      char kind = text[pos++];
      switch (kind) {
      case '"':
      case '\\':
      case '/':
        out += kind;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t code;
        if (!parseHex4(code))
          return false;
        if (code >= 0xdc00 && code <= 0xdfff)
          return failAt(escape, "unpaired low surrogate in a \\u escape");
        if (code >= 0xd800 && code <= 0xdbff) {
          uint32_t low;
          if (text.substr(pos, 2) != "\\u")
            return failAt(escape, "high surrogate not followed by a low surrogate");
          pos += 2;
          if (!parseHex4(low))
            return false;
          if (low < 0xdc00 || low > 0xdfff)
            return failAt(escape, "high surrogate not followed by a low surrogate");
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        }
        appendUtf8(out, code);
        break;
      }
      default:
        return failAt(escape, fmt::format("unknown escape '\\{}'", kind));
      }
    }
    if (!isValidUtf8(out))
      return failAt(start, "string is not valid UTF-8");
    return true;
  }

  bool parseInteger(int64_t &out) {
    size_t start = pos;
    bool negative = text[pos] == '-';
    if (negative)
      ++pos;
    if (pos >= text.size() || text[pos] < '0' || text[pos] > '9')
      return fail(fmt::format("expected a digit, found {}", found()));
    if (text[pos] == '0' && pos + 1 < text.size() && text[pos + 1] >= '0' && text[pos + 1] <= '9')
      return failAt(start, "integer with a leading zero");
    // Accumulate negatively: the range of int64_t reaches one further down.
    int64_t value = 0;
    const int64_t min = std::numeric_limits<int64_t>::min();
    for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      int digit = text[pos] - '0';
      if (value < (min + digit) / 10)
        return failAt(start, "integer out of range");
      value = value * 10 - digit;
    }
    if (pos < text.size() && (text[pos] == '.' || text[pos] == 'e' || text[pos] == 'E'))
      return failAt(start, "number is not an integer");
    if (!negative && value == min)
      return failAt(start, "integer out of range");
    out = negative ? value : -value;
    return true;
  }

  std::string_view text;
  size_t pos = 0;
  std::string message;
  size_t errorPos = 0;
};

//===----------------------------------------------------------------------===//
// The safetensors schema
//===----------------------------------------------------------------------===//

/// One tensor's header entry, checked against itself but not yet against
/// the other tensors or the size of the data section.
struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

Result<std::map<std::string, std::string>> readMetadata(const std::string &path,
                                                        const JsonValue &value) {
  if (value.kind != JsonValue::Kind::Object)
    return Error(fmt::format("{}: \"__metadata__\" is {}, not an object", path, value.kindName()));
  std::map<std::string, std::string> metadata;
  for (size_t i = 0; i < value.keys.size(); ++i) {
    const std::string &key = value.keys[i];
    if (value.items[i].kind != JsonValue::Kind::String)
      return Error(fmt::format("{}: metadata {} is {}, not a string", path, quoted(key),
                               value.items[i].kindName()));
    if (!metadata.emplace(key, value.items[i].string).second)
      return Error(fmt::format("{}: duplicate metadata key {}", path, quoted(key)));
  }
  return metadata;
}

/// Reads an array of integers, e.g. a shape.
Status readIntegers(const JsonValue &value, std::vector<int64_t> &out, const std::string &what) {
  if (value.kind != JsonValue::Kind::Array)
    return Error(fmt::format("{} is {}, not an array", what, value.kindName()));
  for (size_t i = 0; i < value.items.size(); ++i) {
    if (value.items[i].kind != JsonValue::Kind::Integer)
      return Error(
          fmt::format("{}: element {} is {}, not an integer", what, i, value.items[i].kindName()));
    out.push_back(value.items[i].integer);
  }
  return {};
}

Result<TensorEntry> readTensorEntry(const std::string &name, const JsonValue &value) {
  std::string where = fmt::format("tensor {}", quoted(name));
  if (value.kind != JsonValue::Kind::Object)
    return Error(fmt::format("{} is {}, not an object", where, value.kindName()));

  TensorEntry entry;
  entry.name = name;
  const JsonValue *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
  for (size_t i = 0; i < value.keys.size(); ++i) {
    const std::string &key = value.keys[i];
    const JsonValue **slot = key == "dtype"          ? &dtype
                             : key == "shape"        ? &shape
                             : key == "data_offsets" ? &offsets
                                                     : nullptr;
    if (!slot)
      return Error(fmt::format("{}: unknown field {} (expected dtype, shape and data_offsets)",
                               where, quoted(key)));
    if (*slot)
      return Error(fmt::format("{}: duplicate field {}", where, quoted(key)));
    *slot = &value.items[i];
  }
  for (auto [field, fieldName] :
       {std::pair{dtype, "dtype"}, std::pair{shape, "shape"}, std::pair{offsets, "data_offsets"}})
    if (!field)
      return Error(fmt::format("{}: missing field \"{}\"", where, fieldName));

  if (dtype->kind != JsonValue::Kind::String)
    return Error(fmt::format("{}: dtype is {}, not a string", where, dtype->kindName()));
  if (dtype->string == "F32")
    entry.dtype = DType::F32;
  else if (dtype->string == "I32")
    entry.dtype = DType::I32;
  else
    return Error(fmt::format("{}: unsupported dtype {} (expected F32 or I32)", where,
                             quoted(dtype->string)));

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

/// Checks that the tensors, sorted by offset, tile the data section exactly:
/// none past its end, none overlapping, no gap, nothing after the last. As in
/// the safetensors library, an empty tensor too must sit between two others,
/// not inside one.
Status checkLayout(const std::string &path, const std::vector<TensorEntry> &entries,
                   uint64_t dataBytes) {
  uint64_t covered = 0;
  const TensorEntry *last = nullptr;
  for (const TensorEntry &entry : entries) {
    if (entry.end > dataBytes)
      return Error(fmt::format("{}: tensor {}: data_offsets [{}, {}] run past the end of the "
                               "{}-byte data section",
                               path, quoted(entry.name), entry.begin, entry.end, dataBytes));
    if (entry.begin < covered)
      return Error(fmt::format("{}: tensors {} and {} overlap: data_offsets [{}, {}] and [{}, {}]",
                               path, quoted(last->name), quoted(entry.name), last->begin, last->end,
                               entry.begin, entry.end));
    if (entry.begin > covered)
      return Error(
          fmt::format("{}: data bytes [{}, {}) belong to no tensor", path, covered, entry.begin));
    covered = entry.end;
    last = &entry;
  }
  if (covered < dataBytes)
    return Error(
        fmt::format("{}: data bytes [{}, {}) belong to no tensor", path, covered, dataBytes));
  return {};
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// Closes a file descriptor when it goes out of scope, unless already closed.
class FileDescriptor {
public:
  explicit FileDescriptor(int fd) : fd(fd) {}
  FileDescriptor(const FileDescriptor &) = delete;
  FileDescriptor &operator=(const FileDescriptor &) = delete;
  ~FileDescriptor() {
    if (fd >= 0)
      ::close(fd);
  }
  int get() const { return fd; }
  /// Closes now and reports whether that succeeded (errno set if not).
  bool close() {
    int result = ::close(fd);
    fd = -1;
    return result == 0;
  }

private:
  int fd;
};

/// Reads exactly `size` bytes. False with errno set on an error, with errno
/// 0 if the file ended first.
bool readAll(int fd, void *data, size_t size) {
  auto *bytes = static_cast<char *>(data);
  while (size > 0) {
    ssize_t got = ::read(fd, bytes, std::min<size_t>(size, size_t(1) << 30));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0) {
      if (got == 0)
        errno = 0;
      return false;
    }
    bytes += got;
    size -= size_t(got);
  }
  return true;
}

bool writeAll(int fd, const void *data, size_t size) {
  auto *bytes = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t put = ::write(fd, bytes, std::min<size_t>(size, size_t(1) << 30));
    if (put < 0 && errno == EINTR)
      continue;
    if (put < 0)
      return false;
    bytes += put;
    size -= size_t(put);
  }
  return true;
}

std::string readErrorText() {
  return errno ? std::strerror(errno) : "the file ended early (was it changed while being read?)";
}

/// The header of a checkpoint of `tensors`, padded with spaces to a multiple
/// of 8 bytes, after checking every name, shape and data pointer.
Result<std::string> buildHeader(const std::string &path, const std::vector<TensorView> &tensors,
                                const std::map<std::string, std::string> &metadata) {
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto &[key, value] : metadata) {
      if (!isValidUtf8(key) || !isValidUtf8(value))
        return Error(fmt::format("{}: metadata {} is not valid UTF-8", path, quoted(key)));
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
    std::string where = fmt::format("{}: tensor {}", path, quoted(tensor.name));
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

/// The directory part of `path`: "." for a bare name, "/" for a file in the
/// root.
std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

/// The pid in a temporary file's name suffix (the digits after ".tmp-"), or
/// 0 if `digits` is not a positive decimal number that fits a pid_t.
pid_t parsePid(std::string_view digits) {
  if (digits.empty() || digits.size() > 10 || digits[0] == '0')
    return 0;
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return 0;
    value = value * 10 + (c - '0');
  }
  return value <= std::numeric_limits<pid_t>::max() ? pid_t(value) : 0;
}

/// Removes the temporary files that writers of `path` killed mid-write left
/// behind: regular files named `path`.tmp-<pid> whose process no longer
/// exists (kill(pid, 0) fails with ESRCH). A temporary of a live process,
/// or of a pid this process may not signal (EPERM: alive, another user's),
/// is left alone, and so is this process's own. Best effort: a directory
/// that cannot be read is skipped, since the save itself reports what
/// matters.
void removeStaleTemporaries(const std::string &path) {
  size_t slash = path.rfind('/');
  std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp-";
  std::string directory = directoryOf(path);
  DIR *dir = ::opendir(directory.c_str());
  if (!dir)
    return;
  std::vector<std::string> stale;
  while (const dirent *entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0)
      continue;
    pid_t pid = parsePid(name.substr(prefix.size()));
    if (pid <= 0 || pid == ::getpid())
      continue;
    struct stat info;
    if (::fstatat(::dirfd(dir), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(info.st_mode))
      continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH)
      stale.emplace_back(name);
  }
  for (const std::string &name : stale)
    ::unlinkat(::dirfd(dir), name.c_str(), 0);
  ::closedir(dir);
}

} // namespace

Status writeFileAtomically(const std::string &path, const std::vector<std::string_view> &pieces) {
  // Messages name `path`, the file the caller asked for; the temporary file
  // is an implementation detail, gone again after a failure.
  std::string temp = fmt::format("{}.tmp-{}", path, ::getpid());
  // A writer killed mid-write (SIGKILL, power loss) leaves its temporary
  // file behind; the first save after it removes it, before writing, so
  // that the space is free again. The directory sync below makes that
  // durable too.
  removeStaleTemporaries(path);
  FileDescriptor file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (file.get() < 0)
    return Error(fmt::format("{}: cannot create file: {}", path, std::strerror(errno)));

  // From here on, a failure removes the temporary file.
  auto failWith = [&](const char *what) {
    int error = errno;
    ::unlink(temp.c_str());
    return Error(fmt::format("{}: cannot {}: {}", path, what, std::strerror(error)));
  };
  for (std::string_view piece : pieces)
    if (!writeAll(file.get(), piece.data(), piece.size()))
      return failWith("write");
  if (::fsync(file.get()) != 0)
    return failWith("sync");
  if (!file.close())
    return failWith("close");
  if (::rename(temp.c_str(), path.c_str()) != 0)
    return failWith("replace it");

  // The rename is durable only once the directory that records it is.
  std::string directory = directoryOf(path);
  FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0)
    return Error(fmt::format("{}: written, but cannot sync directory {}: {}", path, directory,
                             std::strerror(errno)));
  return {};
}

Status saveCheckpoint(const std::string &path, const std::vector<TensorView> &tensors,
                      const std::map<std::string, std::string> &metadata) {
  Result<std::string> header = buildHeader(path, tensors, metadata);
  if (!header)
    return header.takeError();

  char length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<char>(uint64_t(header->size()) >> (8 * i));
  std::vector<std::string_view> pieces = {std::string_view(length, 8), *header};
  // Tensor bytes are written from where they are, or from a byte-swapped
  // copy on a big-endian host.
  std::vector<std::vector<char>> swapped;
  swapped.reserve(tensors.size());
  for (const TensorView &tensor : tensors) {
    uint64_t bytes;
    tensorBytes(tensor.shape, bytes);
    const char *data =
        static_cast<const char *>(tensor.ints ? static_cast<const void *>(tensor.ints)
                                              : static_cast<const void *>(tensor.data));
    if (bytes == 0)
      continue;
    if (!hostIsLittleEndian()) {
      swapped.emplace_back(data, data + bytes);
      byteSwap32(swapped.back().data(), size_t(bytes / ElementBytes));
      data = swapped.back().data();
    }
    pieces.emplace_back(data, size_t(bytes));
  }
  return writeFileAtomically(path, pieces);
}

Result<Checkpoint> loadCheckpoint(const std::string &path) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0)
    return Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  struct stat info;
  if (::fstat(file.get(), &info) != 0)
    return Error(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  if (S_ISDIR(info.st_mode))
    return Error(fmt::format("{}: is a directory, not a checkpoint file", path));
  uint64_t fileBytes = uint64_t(info.st_size);
  if (fileBytes < 8)
    return Error(fmt::format("{}: truncated: the file holds {} bytes, fewer than the 8 of the "
                             "header length",
                             path, fileBytes));

  unsigned char length[8];
  if (!readAll(file.get(), length, 8))
    return Error(fmt::format("{}: cannot read: {}", path, readErrorText()));
  uint64_t headerBytes = 0;
  for (int i = 0; i < 8; ++i)
    headerBytes |= uint64_t(length[i]) << (8 * i);
  if (headerBytes > fileBytes - 8)
    return Error(fmt::format("{}: header length {} is larger than the rest of the file ({} bytes)",
                             path, headerBytes, fileBytes - 8));
  std::string text(size_t(headerBytes), '\0');
  if (!readAll(file.get(), text.data(), text.size()))
    return Error(fmt::format("{}: cannot read: {}", path, readErrorText()));

  JsonValue header;
  JsonParser parser(text);
  if (!parser.parse(header))
    return Error(fmt::format("{}: malformed header at byte {}: {}", path, parser.errorOffset(),
                             parser.error()));
  if (header.kind != JsonValue::Kind::Object)
    return Error(fmt::format("{}: the header is {}, not an object", path, header.kindName()));

  Checkpoint checkpoint;
  std::vector<TensorEntry> entries;
  std::set<std::string_view> names;
  bool sawMetadata = false;
  for (size_t i = 0; i < header.keys.size(); ++i) {
    const std::string &key = header.keys[i];
    if (key == "__metadata__") {
      if (sawMetadata)
        return Error(fmt::format("{}: duplicate \"__metadata__\"", path));
      sawMetadata = true;
      Result<std::map<std::string, std::string>> metadata = readMetadata(path, header.items[i]);
      if (!metadata)
        return metadata.takeError();
      checkpoint.metadata = std::move(*metadata);
      continue;
    }
    if (!names.insert(key).second)
      return Error(fmt::format("{}: duplicate tensor name {}", path, quoted(key)));
    Result<TensorEntry> entry = readTensorEntry(key, header.items[i]);
    if (!entry)
      return Error(fmt::format("{}: {}", path, entry.error()));
    entries.push_back(std::move(*entry));
  }

  std::stable_sort(entries.begin(), entries.end(), [](const TensorEntry &a, const TensorEntry &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  if (Status layout = checkLayout(path, entries, fileBytes - 8 - headerBytes); !layout)
    return layout.takeError();

  // The tensors tile the data section, which starts where the header ended:
  // read them in order.
  for (TensorEntry &entry : entries) {
    LoadedTensor tensor;
    tensor.name = std::move(entry.name);
    tensor.shape = std::move(entry.shape);
    tensor.dtype = entry.dtype;
    size_t count = size_t((entry.end - entry.begin) / ElementBytes);
    void *data;
    if (entry.dtype == DType::I32) {
      tensor.ints.resize(count);
      data = tensor.ints.data();
    } else {
      tensor.values.resize(count);
      data = tensor.values.data();
    }
    if (count > 0 && !readAll(file.get(), data, count * ElementBytes))
      return Error(fmt::format("{}: cannot read: {}", path, readErrorText()));
    if (!hostIsLittleEndian())
      byteSwap32(data, count);
    checkpoint.tensors.push_back(std::move(tensor));
  }
  return checkpoint;
}

} // namespace kiln
