//===- ManualConfigs.cpp - The configurations of a manual search ----------===//

#include "kiln/Search.h"
#include "core/Text.h"
#include "core/ParseNumber.h"
#include "tune/SearchSpace.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <string_view>

namespace kiln {

namespace {

using search::Kind;

/// Empty if `value` is a legal value of `range`, else why not.
std::string checkValue(const TuneRange &range, double value) {
  if (!std::isfinite(value))
    return fmt::format("{} = {} is not a finite number", range.name, value);
  if (range.kind == Kind::Choice) {
    if (std::find(range.choices.begin(), range.choices.end(), value) != range.choices.end())
      return "";
    return fmt::format("{} = {} is not one of {}", range.name, value,
                       fmt::join(range.choices, ", "));
  }
  if (range.kind == Kind::Integer && std::floor(value) != value)
    return fmt::format("{} = {} is not an integer", range.name, value);
  if (value < range.low || value > range.high)
    return fmt::format("{} = {} is outside [{}, {}]", range.name, value, range.low, range.high);
  return "";
}

} // namespace

Result<std::vector<TuneConfig>> readManualConfigs(const std::string &path,
                                                  const std::vector<TuneRange> &space) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));

  std::vector<TuneConfig> configs;
  std::vector<size_t> columnRange; // range index of each column
  std::string text;
  int64_t lineNumber = 0, headerLine = 0;
  while (std::getline(in, text)) {
    ++lineNumber;
    std::string_view line = text;
    line = trimBlanks(line.substr(0, line.find('#')));
    if (line.empty())
      continue;
    std::vector<std::string_view> cells = splitCommas(line);

    if (headerLine == 0) {
      headerLine = lineNumber;
      for (std::string_view cell : cells) {
        auto it = std::find_if(space.begin(), space.end(),
                               [&](const TuneRange &range) { return range.name == cell; });
        if (it == space.end()) {
          std::vector<std::string_view> known;
          for (const TuneRange &range : space)
            known.push_back(range.name);
          return Error(fmt::format("{}:{}: unknown hyperparameter '{}' (the search space has {})",
                                   path, lineNumber, printableText(cell), fmt::join(known, ", ")));
        }
        size_t index = static_cast<size_t>(it - space.begin());
        if (std::find(columnRange.begin(), columnRange.end(), index) != columnRange.end())
          return Error(fmt::format("{}:{}: column '{}' appears twice", path, lineNumber,
                                   printableText(cell)));
        columnRange.push_back(index);
      }
      for (size_t r = 0; r < space.size(); ++r)
        if (std::find(columnRange.begin(), columnRange.end(), r) == columnRange.end())
          return Error(
              fmt::format("{}:{}: missing column '{}'", path, lineNumber, space[r].name));
      continue;
    }

    if (cells.size() != columnRange.size())
      return Error(fmt::format("{}:{}: expected {} values, got {}", path, lineNumber,
                               columnRange.size(), cells.size()));
    TuneConfig config(space.size());
    for (size_t c = 0; c < cells.size(); ++c) {
      const TuneRange &range = space[columnRange[c]];
      std::optional<double> parsed = parseNumber<double>(cells[c], /*allowPlus=*/true);
      if (!parsed)
        return Error(fmt::format("{}:{}: {}: '{}' is not a number", path, lineNumber, range.name,
                                 printableText(cells[c])));
      double value = *parsed;
      std::string problem = checkValue(range, value);
      if (!problem.empty())
        return Error(fmt::format("{}:{}: {}", path, lineNumber, problem));
      config[columnRange[c]] = value;
    }
    configs.push_back(std::move(config));
  }
  if (in.bad())
    return Error(fmt::format("{}: read error", path));
  if (headerLine == 0)
    return Error(fmt::format("{}: no header row", path));
  if (configs.empty())
    return Error(fmt::format("{}:{}: no configurations after the header", path, headerLine));
  return Result<std::vector<TuneConfig>>(std::move(configs));
}

} // namespace kiln
