//===- Csv.cpp - Numeric CSV files: features and targets ------------------===//

#include "kiln/Data.h"

#include "core/ParseNumber.h"
#include "core/Text.h"
#include "io/ReadFile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>

namespace kiln {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }

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

  Result<std::string> contents = readFileText(path);
  if (!contents)
    return contents.takeError();
  std::string_view text = *contents;

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
                      [&](std::string_view cell) { return !parseCell(cell, ignored); }))
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
      if (!parseCell(cell, value))
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

} // namespace kiln
