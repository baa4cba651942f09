//===- Csv.cpp - Numeric CSV files (maybe gzipped): features and targets --===//

#include "kiln/Data.h"

#include "core/ParseNumber.h"
#include "core/Text.h"
#include "data/DataFile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>

namespace kiln {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/// Reads the records of CSV text, one at a time: cells split at a delimiter
/// (or at runs of spaces and tabs when the delimiter is ' '), blanks around
/// a cell dropped, and quoted cells as RFC 4180 has them: "a, b" holds a
/// comma, "say ""hi""" a doubled quote, and a quoted cell may span lines.
class CsvRecords {
public:
  explicit CsvRecords(std::string_view text) : text(text) {}

  /// Fills `cells` with the next record that is not blank and sets `line` to
  /// the line it starts on; false at the end of the text. A quoted cell that
  /// is never closed, or text after a closing quote, is an error.
  Result<bool> next(char delimiter, std::vector<std::string> &cells, int64_t &line) {
    while (at < text.size()) {
      line = ++lineNumber;
      size_t end = text.find('\n', at);
      std::string_view rest = text.substr(at, end == std::string_view::npos ? end : end - at);
      if (trimBlanks(rest).empty()) {
        at = end == std::string_view::npos ? text.size() : end + 1;
        continue;
      }
      Status status = readCells(delimiter, cells, line);
      if (!status)
        return status.takeError();
      return true;
    }
    return false;
  }

private:
  /// The cells of the record at `at`, which is not blank; leaves `at` after
  /// the record's line end.
  Status readCells(char delimiter, std::vector<std::string> &cells, int64_t line) {
    cells.clear();
    bool byBlanks = delimiter == ' ';
    while (true) {
      while (at < text.size() && isBlank(text[at]))
        ++at;
      if (byBlanks && (at == text.size() || text[at] == '\n'))
        break;
      std::string &cell = cells.emplace_back();
      if (at < text.size() && text[at] == '"') {
        if (Status status = readQuoted(cell, line); !status)
          return status;
        while (at < text.size() && isBlank(text[at]))
          ++at;
        if (at < text.size() && text[at] != '\n' && text[at] != delimiter && !byBlanks)
          return Error(fmt::format("text after the closing quote of column {}: '{}'", cells.size(),
                                   printableText(restOfLine())));
      } else {
        size_t begin = at;
        while (at < text.size() && text[at] != '\n' && text[at] != delimiter &&
               !(byBlanks && isBlank(text[at])))
          ++at;
        cell = std::string(trimBlanks(text.substr(begin, at - begin)));
      }
      if (at < text.size() && text[at] == delimiter && !byBlanks) {
        ++at;
        continue;
      }
      if (at == text.size() || text[at] == '\n')
        break;
    }
    if (at < text.size())
      ++at; // the line end
    return Status();
  }

  /// A quoted cell at `at`: its text with doubled quotes made single.
  Status readQuoted(std::string &cell, int64_t line) {
    for (++at; at < text.size(); ++at) {
      if (text[at] == '\n')
        ++lineNumber;
      if (text[at] != '"') {
        cell += text[at];
        continue;
      }
      if (at + 1 < text.size() && text[at + 1] == '"') {
        cell += '"';
        ++at;
        continue;
      }
      ++at;
      return Status();
    }
    return Error(fmt::format("a quoted cell opened on line {} is never closed", line));
  }

  std::string_view restOfLine() const {
    std::string_view rest = text.substr(at);
    return rest.substr(0, rest.find('\n'));
  }

  std::string_view text;
  size_t at = 0;
  int64_t lineNumber = 0;
};

/// ',' when the first record has a comma (quoted cells may span lines), else
/// ' ' (runs of spaces and tabs).
char detectDelimiter(std::string_view text) {
  bool quoted = false, seen = false;
  for (char c : text) {
    if (c == ',')
      return ',';
    if (c == '"')
      quoted = !quoted;
    else if (c == '\n' && !quoted && seen)
      break;
    seen = seen || !isBlank(c);
  }
  return ' ';
}

/// Parses a whole cell as a number ("1.5", "-2", "+3e-4", "nan").
bool parseCell(std::string_view cell, double &value) {
  std::optional<double> number = parseNumber<double>(cell, /*allowPlus=*/true);
  if (number)
    value = *number;
  return number.has_value();
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

  Result<std::vector<uint8_t>> contents = readDataFile(path);
  if (!contents)
    return contents.takeError();
  std::string_view text(reinterpret_cast<const char *>(contents->data()), contents->size());

  Dataset data;
  data.source = path;
  data.targetFeatures = options.intLabels ? 0 : targetCount;
  char delimiter = options.delimiter == '\t' ? ' ' : options.delimiter;
  if (delimiter == 0)
    delimiter = detectDelimiter(text);
  int64_t columns = 0;     // set by the first sample
  int64_t firstTarget = 0; // the first target column
  bool sawHeaderOrData = false;
  CsvRecords records(text);
  std::vector<std::string> cells;
  int64_t line = 0;
  // "data.csv: record 3 (line 5): " or, for the header, "data.csv: line 1: ".
  auto where = [&](bool header = false) {
    return header ? fmt::format("{}: line {}", path, line)
                  : fmt::format("{}: record {} (line {})", path, data.count, line);
  };
  while (true) {
    Result<bool> more = records.next(delimiter, cells, line);
    if (!more)
      return Error(fmt::format("{}: {}", where(!sawHeaderOrData), more.error()));
    if (!*more)
      break;

    // The first record is a header when any of its cells is not a number.
    if (!sawHeaderOrData) {
      sawHeaderOrData = true;
      double ignored = 0;
      if (std::any_of(cells.begin(), cells.end(),
                      [&](const std::string &cell) { return !parseCell(cell, ignored); }))
        continue;
    }
    if (columns == 0) {
      columns = static_cast<int64_t>(cells.size());
      if (byLabelColumn && options.labelColumn >= columns)
        return Error(fmt::format("{}: label column {} (counted from 0) does not exist in rows "
                                 "of {} columns",
                                 where(), options.labelColumn, columns));
      if (targetCount >= columns)
        return Error(fmt::format("{}: rows of {} columns leave no features after {} target "
                                 "column{}",
                                 where(), columns, targetCount, targetCount == 1 ? "" : "s"));
      firstTarget = byLabelColumn ? options.labelColumn : columns - targetCount;
      data.features = columns - targetCount;
    }
    if (static_cast<int64_t>(cells.size()) != columns)
      return Error(fmt::format("{}: expected {} columns, got {}", where(), columns, cells.size()));

    for (int64_t column = 0; column < columns; ++column) {
      const std::string &cell = cells[static_cast<size_t>(column)];
      double value = 0;
      if (!parseCell(cell, value))
        return Error(fmt::format("{}: column {}: expected a number, got '{}'", where(), column + 1,
                                 printableText(cell)));
      if (!std::isfinite(value))
        return Error(fmt::format("{}: column {}: expected a finite number, got '{}'", where(),
                                 column + 1, printableText(cell)));
      bool isTarget = column >= firstTarget && column < firstTarget + targetCount;
      if (!isTarget) {
        data.x.push_back(static_cast<float>(value));
      } else if (!options.intLabels) {
        data.targets.push_back(static_cast<float>(value));
      } else {
        if (value < 0 || value > std::numeric_limits<int32_t>::max() || value != std::floor(value))
          return Error(fmt::format("{}: column {}: a class label must be a non-negative "
                                   "integer, got '{}'",
                                   where(), column + 1, printableText(cell)));
        data.y.push_back(static_cast<int32_t>(value));
      }
    }
    data.recordLines.push_back(line);
    ++data.count;
  }
  if (!sawHeaderOrData)
    return Error(fmt::format("{}: empty file", path));
  if (data.count == 0)
    return Error(fmt::format("{}: no samples after the header line", path));
  return data;
}

} // namespace kiln
