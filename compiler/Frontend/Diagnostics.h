//===- Diagnostics.h - Located error reporting ------------------*- C++ -*-===//
//
// Messages in the form
//
//   model.kiln:3:14: error: unknown name 'h3'
//   h2 = relu(dense(h3, 128))
//                   ^
//
// Every stage that reads a model file reports through one DiagnosticEngine.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_FRONTEND_DIAGNOSTICS_H
#define KILN_FRONTEND_DIAGNOSTICS_H

#include "AST.h"

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace kiln {

/// The largest model file read: 16 MiB. A model of thousands of layers
/// takes a few hundred KiB; the limit keeps a huge or endless file (a wrong
/// path, /dev/zero) from taking the memory of the whole machine.
inline constexpr size_t kMaxSourceBytes = size_t(16) << 20;

/// A model file's name and contents; owns the text that the lexer reads.
/// A UTF-8 byte-order mark at the start of the text is dropped: columns
/// count from the first byte after it.
class SourceFile {
public:
  SourceFile(std::string path, std::string text);
  /// Reads `path`; returns false (and leaves the object empty) when it cannot
  /// or when it holds more than kMaxSourceBytes, which are never read.
  static bool read(const std::string &path, SourceFile &out, std::string &error);

  const std::string &path() const { return path_; }
  const std::string &text() const { return text_; }
  /// The text of 1-based line `line`, without its newline; empty when out of range.
  std::string_view line(uint32_t line) const;
  /// The number of lines; text ending in a newline has an empty last line.
  uint32_t lineCount() const;

private:
  std::string path_;
  std::string text_;
};

/// The length of the well-formed UTF-8 sequence at `text[i]` (1 for ASCII),
/// with its code point in `codePoint`; 0 when the bytes there are not one
/// (a stray continuation byte, an overlong form, a surrogate, the end).
size_t decodeUtf8(std::string_view text, size_t i, uint32_t &codePoint);

enum class Severity { Error, Warning, Note };

class DiagnosticEngine {
public:
  DiagnosticEngine(const SourceFile &file, std::ostream &os) : file_(file), os_(os) {}

  /// Prints `path:line:col: <severity>: message`, then the source line and a
  /// caret under `loc.col`. A loc with line 0 prints `path: error: message`.
  void report(Severity severity, ast::SourceLoc loc, std::string_view message);
  void error(ast::SourceLoc loc, std::string_view message) {
    report(Severity::Error, loc, message);
  }
  void note(ast::SourceLoc loc, std::string_view message) {
    report(Severity::Note, loc, message);
  }

  unsigned errorCount() const { return errors_; }
  const SourceFile &file() const { return file_; }

private:
  const SourceFile &file_;
  std::ostream &os_;
  unsigned errors_ = 0;
};

} // namespace kiln

#endif // KILN_FRONTEND_DIAGNOSTICS_H
