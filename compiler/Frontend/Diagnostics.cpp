//===- Diagnostics.cpp - Located error reporting --------------------------===//

#include "Diagnostics.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

namespace kiln {

SourceFile::SourceFile(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (std::string_view(text_).substr(0, kByteOrderMark.size()) == kByteOrderMark)
    text_.erase(0, kByteOrderMark.size());
}

/// "'path' holds more than 16777216 bytes (16 MiB), the limit on a model file".
static std::string tooLarge(const std::string &path) {
  return "'" + path + "' holds more than " + std::to_string(kMaxSourceBytes) + " bytes (" +
         std::to_string(kMaxSourceBytes >> 20) + " MiB), the limit on a model file";
}

bool SourceFile::read(const std::string &path, SourceFile &out, std::string &error) {
  out = SourceFile("", "");
  // Opened without blocking: a FIFO that nobody writes to would otherwise
  // block the open forever; it reads as empty instead. Reads block again, so
  // that a pipe with a writer (kilnc <(...)) is read whole.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  int flags = fd < 0 ? -1 : ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    if (fd >= 0)
      ::close(fd);
    return false;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE *)> stream(::fdopen(fd, "rb"), &std::fclose);
  if (!stream) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  // A regular file's size is known before any of it is read; a device or a
  // pipe is read until it passes the limit.
  struct stat info;
  if (fstat(fileno(stream.get()), &info) == 0 && S_ISREG(info.st_mode) &&
      static_cast<uintmax_t>(info.st_size) > kMaxSourceBytes) {
    error = tooLarge(path);
    return false;
  }
  std::string text;
  char buffer[1 << 16];
  while (true) {
    size_t count = std::fread(buffer, 1, sizeof(buffer), stream.get());
    text.append(buffer, count);
    if (text.size() > kMaxSourceBytes) {
      error = tooLarge(path);
      return false;
    }
    if (count == sizeof(buffer))
      continue;
    if (std::ferror(stream.get())) {
      // Reading a directory opens fine and fails here with EISDIR.
      error = "cannot read '" + path + "': " + std::strerror(errno);
      return false;
    }
    break;
  }
  out = SourceFile(path, std::move(text));
  return true;
}

std::string_view SourceFile::line(uint32_t line) const {
  if (line == 0)
    return {};
  std::string_view text = text_;
  size_t start = 0;
  for (uint32_t current = 1; current < line; ++current) {
    size_t newline = text.find('\n', start);
    if (newline == std::string_view::npos)
      return {};
    start = newline + 1;
  }
  size_t end = text.find('\n', start);
  if (end == std::string_view::npos)
    end = text.size();
  std::string_view result = text.substr(start, end - start);
  if (!result.empty() && result.back() == '\r')
    result.remove_suffix(1);
  return result;
}

uint32_t SourceFile::lineCount() const {
  uint32_t count = 1;
  for (char c : text_)
    if (c == '\n')
      ++count;
  return count;
}

size_t decodeUtf8(std::string_view text, size_t i, uint32_t &codePoint) {
  auto at = [&](size_t k) -> unsigned {
    return k < text.size() ? static_cast<unsigned char>(text[k]) : 0;
  };
  auto isCont = [](unsigned byte) { return byte >= 0x80 && byte <= 0xbf; };
  unsigned lead = at(i);
  size_t length = 0;
  if (i >= text.size())
    return 0;
  if (lead < 0x80) {
    codePoint = lead;
    return 1;
  }
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    codePoint = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    codePoint = lead & 0x0f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    codePoint = lead & 0x07;
  } else {
    return 0;
  }
  for (size_t k = 1; k < length; ++k) {
    if (!isCont(at(i + k)))
      return 0;
    codePoint = (codePoint << 6) | (at(i + k) & 0x3f);
  }
  bool overlong = (length == 3 && codePoint < 0x800) || (length == 4 && codePoint < 0x10000);
  bool surrogate = codePoint >= 0xd800 && codePoint <= 0xdfff;
  if (overlong || surrogate || codePoint > 0x10ffff)
    return 0;
  return length;
}

namespace {

const char *severityName(Severity severity) {
  switch (severity) {
  case Severity::Error:
    return "error";
  case Severity::Warning:
    return "warning";
  case Severity::Note:
    return "note";
  }
  return "error";
}

/// The length of the well-formed UTF-8 sequence at `text[i]` that encodes a
/// character safe to show in a terminal, or 0 when there is none there.
size_t printableUtf8Length(std::string_view text, size_t i) {
  uint32_t codePoint = 0;
  size_t length = decodeUtf8(text, i, codePoint);
  bool c1Control = codePoint >= 0x80 && codePoint <= 0x9f;
  // Bidirectional overrides could make the shown line lie about its
  // contents; zero-width characters and the byte-order mark would not show.
  bool bidi = (codePoint >= 0x202a && codePoint <= 0x202e) ||
              (codePoint >= 0x2066 && codePoint <= 0x2069);
  bool invisible = (codePoint >= 0x200b && codePoint <= 0x200f) || codePoint == 0xfeff;
  if (length < 2 || c1Control || bidi || invisible)
    return 0;
  return length;
}

/// Renders `line` for a terminal and builds the caret line under byte column
/// `col`: tabs are kept in both so the caret lines up, printable UTF-8 counts
/// as one column, and any other byte is shown as '?'.
void renderLine(std::string_view line, uint32_t col, std::string &shown, std::string &caret) {
  size_t caretOffset = col == 0 ? 0 : col - 1;
  if (caretOffset > line.size())
    caretOffset = line.size();
  for (size_t i = 0; i < line.size();) {
    char c = line[i];
    size_t length = 1;
    auto byte = static_cast<unsigned char>(c);
    if (c == '\t' || (byte >= 0x20 && byte < 0x7f)) {
      shown += c;
    } else if (size_t utf8 = printableUtf8Length(line, i)) {
      shown.append(line.substr(i, utf8));
      length = utf8;
    } else {
      shown += '?';
    }
    if (i < caretOffset)
      caret += c == '\t' ? '\t' : ' ';
    i += length;
  }
  // A location just past the end of the line (where a ')' is missing, say)
  // gets its caret right after the last character.
  caret += '^';
}

} // namespace

void DiagnosticEngine::report(Severity severity, ast::SourceLoc loc, std::string_view message) {
  if (severity == Severity::Error)
    ++errors_;
  os_ << file_.path();
  if (loc.line != 0)
    os_ << ':' << loc.line << ':' << loc.col;
  os_ << ": " << severityName(severity) << ": " << message << '\n';
  if (loc.line == 0 || loc.line > file_.lineCount())
    return;
  std::string_view line = file_.line(loc.line);
  uint32_t col = loc.col;
  // A long line (generated or minified text) is shown as a window around the
  // column, its cut ends marked "...", so that a message stays readable.
  constexpr size_t kWindow = 120, kBefore = 60;
  std::string shown, caret;
  size_t start = 0;
  if (line.size() > kWindow) {
    size_t offset = col == 0 ? 0 : std::min<size_t>(col - 1, line.size());
    start = offset > kBefore ? offset - kBefore : 0;
    size_t end = std::min(line.size(), start + kWindow);
    auto isContinuation = [&](size_t i) {
      return i < line.size() && (static_cast<unsigned char>(line[i]) & 0xc0) == 0x80;
    };
    while (start > 0 && isContinuation(start)) // never cut a UTF-8 character in two
      --start;
    while (end < line.size() && isContinuation(end))
      ++end;
    if (start > 0) {
      shown = "...";
      caret = "   ";
    }
    col = static_cast<uint32_t>(offset - start + 1);
    bool cutEnd = end < line.size();
    line = line.substr(start, end - start);
    renderLine(line, col, shown, caret);
    if (cutEnd) // after the caret line is built, so the caret stays put
      shown += "...";
  } else {
    renderLine(line, col, shown, caret);
  }
  os_ << shown << '\n' << caret << '\n';
}

} // namespace kiln
