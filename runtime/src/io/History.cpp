//===- History.cpp - Per-epoch metrics as CSV, JSON and SVG ---------------===//
//
// The SVG is drawn by hand: two panels side by side, each with "nice" axes
// (tick steps from the 1-2-5 series, labels with as many decimals as the
// step needs; see ReportFormat.h), a polyline per series and a dot per point
// when there are few enough points to see them. Non-finite values are left
// out of the lines and of the axis ranges.
//
//===----------------------------------------------------------------------===//

#include "kiln/History.h"

#include "io/AtomicFile.h"
#include "io/Json.h"
#include "io/ReportFormat.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <utility>

namespace kiln {

bool History::higherIsBetter() const { return metric == "accuracy"; }

namespace {

using namespace report;

//===----------------------------------------------------------------------===//
// CSV and JSON
//===----------------------------------------------------------------------===//

std::string jsonNumber(double value) {
  if (!std::isfinite(value))
    return "null";
  return fmt::format("{}", value);
}

/// The names of the extra columns of any epoch, in order of appearance.
std::vector<std::string> extraNames(const History &history) {
  std::vector<std::string> names;
  for (const EpochRecord &record : history.epochs)
    for (const auto &[name, value] : record.extra)
      if (std::find(names.begin(), names.end(), name) == names.end())
        names.push_back(name);
  return names;
}

/// The column names of the CSV, also the keys of each epoch in the JSON.
std::vector<std::string> columnNames(const History &history) {
  std::vector<std::string> names = {"epoch",    "train_loss", "train_" + history.metric,
                                    "val_loss", "val_" + history.metric,
                                    "lr",       "seconds",    "samples_per_second"};
  for (std::string &extra : extraNames(history))
    names.push_back(std::move(extra));
  return names;
}

/// An epoch's values for the columns after "epoch"; NaN for an extra column
/// the epoch lacks.
std::vector<double> columnValues(const EpochRecord &record, const std::vector<std::string> &extras) {
  std::vector<double> values = {record.trainLoss,    record.trainMetric, record.valLoss,
                                record.valMetric,    record.learningRate, record.seconds,
                                record.samplesPerSecond};
  for (const std::string &name : extras) {
    double value = NAN;
    for (const auto &[key, v] : record.extra)
      if (key == name)
        value = v;
    values.push_back(value);
  }
  return values;
}

bool isValidMetricName(const std::string &name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

std::string lowercaseExtension(const std::string &path) {
  size_t dot = path.rfind('.');
  size_t slash = path.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return "";
  std::string extension = path.substr(dot);
  for (char &c : extension)
    c = char(std::tolower(static_cast<unsigned char>(c)));
  return extension;
}

//===----------------------------------------------------------------------===//
// SVG
//===----------------------------------------------------------------------===//

struct Series {
  const char *name;  // class of the polyline, e.g. "train-loss"
  const char *color; // stroke
  std::vector<std::pair<double, double>> points;
};

constexpr const char *TrainColor = "#1f77b4";
constexpr const char *ValColor = "#ff7f0e";
/// Series with at most this many points get a dot per point.
constexpr size_t MaxDottedPoints = 60;

/// One panel: frame, grid, ticks, the series and the best-epoch marker.
void drawPanel(std::string &svg, const Box &box, const std::string &title, const Axis &x,
               const Axis &y, const std::vector<Series> &series, int64_t bestEpoch,
               const char *emptyText) {
  drawFrame(svg, box, title, x, y, "epoch");

  bool empty = true;
  for (const Series &line : series) {
    if (line.points.empty())
      continue;
    empty = false;
    drawPolyline(svg, box, x, y, line.name, line.color, line.points);
    if (line.points.size() > MaxDottedPoints)
      continue;
    for (const auto &[epoch, value] : line.points)
      svg += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\"/>\n",
                         coordinate(box.x(epoch, x)), coordinate(box.y(value, y)), line.color);
  }
  if (empty)
    drawEmptyNote(svg, box, emptyText);

  if (bestEpoch <= 0)
    return;
  double at = box.x(double(bestEpoch), x);
  svg += fmt::format("<line class=\"best-epoch\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" "
                     "stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>\n",
                     coordinate(at), coordinate(box.top), coordinate(box.bottom));
  // The label goes right of the line, or left of it near the right edge, on
  // a white box where it crosses a curve.
  std::string label = fmt::format("best epoch {}", bestEpoch);
  double width = labelWidth(label);
  drawLabel(svg, at > box.right - width - 4 ? at - 2 - width : at + 2, box.top + 3, label);
}

/// The finite (epoch, value) points of one column.
Series collect(const History &history, const char *name, const char *color,
               double EpochRecord::*field, double scale) {
  Series series{name, color, {}};
  for (const EpochRecord &record : history.epochs) {
    double value = record.*field * scale;
    if (std::isfinite(value))
      series.points.emplace_back(double(record.epoch), value);
  }
  return series;
}

/// The value axis of a panel: the range of its series' points.
Axis seriesAxis(const std::vector<Series> &series, bool percent) {
  double min = INFINITY, max = -INFINITY;
  for (const Series &line : series)
    for (const auto &point : line.points) {
      min = std::min(min, point.second);
      max = std::max(max, point.second);
    }
  return valueAxis(min, max, percent);
}

} // namespace

std::string formatHistoryCsv(const History &history) {
  std::string csv = fmt::format("{}\n", fmt::join(columnNames(history), ","));
  std::vector<std::string> extras = extraNames(history);
  for (const EpochRecord &record : history.epochs) {
    csv += fmt::format("{}", record.epoch);
    for (double value : columnValues(record, extras))
      csv += "," + csvNumber(value);
    csv += '\n';
  }
  return csv;
}

std::string formatHistoryJson(const History &history) {
  std::string json = "{\n";
  json += fmt::format("  \"model\": {},\n", jsonString(history.model));
  json += fmt::format("  \"metric\": {},\n", jsonString(history.metric));
  json += fmt::format("  \"best_epoch\": {},\n", history.bestEpoch);
  json += fmt::format("  \"stop_reason\": {},\n", jsonString(history.stopReason));
  json += "  \"epochs\": [";
  std::vector<std::string> names = columnNames(history);
  std::vector<std::string> extras = extraNames(history);
  for (size_t i = 0; i < history.epochs.size(); ++i) {
    const EpochRecord &record = history.epochs[i];
    json += fmt::format("{}\n    {{{}: {}", i == 0 ? "" : ",", jsonString(names[0]), record.epoch);
    std::vector<double> values = columnValues(record, extras);
    for (size_t c = 0; c < values.size(); ++c)
      json += fmt::format(", {}: {}", jsonString(names[c + 1]), jsonNumber(values[c]));
    json += "}";
  }
  json += history.epochs.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return json;
}

std::string formatCurvesSvg(const History &history) {
  constexpr int Width = 960, Height = 430;
  bool percent = history.higherIsBetter();
  double scale = percent ? 100 : 1;
  std::vector<Series> losses = {
      collect(history, "train-loss", TrainColor, &EpochRecord::trainLoss, 1),
      collect(history, "val-loss", ValColor, &EpochRecord::valLoss, 1)};
  std::vector<Series> metrics = {
      collect(history, "train-metric", TrainColor, &EpochRecord::trainMetric, scale),
      collect(history, "val-metric", ValColor, &EpochRecord::valMetric, scale)};

  double firstEpoch = INFINITY, lastEpoch = -INFINITY;
  for (const EpochRecord &record : history.epochs) {
    firstEpoch = std::min(firstEpoch, double(record.epoch));
    lastEpoch = std::max(lastEpoch, double(record.epoch));
  }
  if (history.bestEpoch > 0) {
    firstEpoch = std::min(firstEpoch, double(history.bestEpoch));
    lastEpoch = std::max(lastEpoch, double(history.bestEpoch));
  }
  Axis epochs = countAxis(firstEpoch, lastEpoch);

  std::string title = history.model.empty()
                          ? fmt::format("loss and {} per epoch", history.metric)
                          : fmt::format("{}: loss and {} per epoch", history.model, history.metric);
  std::string svg = svgBegin(Width, Height, title);

  // The legend, under the title: train always, validation when there is any.
  bool hasValidation = !losses[1].points.empty() || !metrics[1].points.empty();
  std::vector<std::pair<const char *, const char *>> legend = {{"train", TrainColor}};
  if (hasValidation)
    legend.push_back({"validation", ValColor});
  double legendX = Width / 2.0 - (legend.size() == 1 ? 30 : 75);
  svg += "<g class=\"legend\">\n";
  for (const auto &[label, color] : legend) {
    svg += fmt::format("<line x1=\"{0}\" y1=\"48\" x2=\"{1}\" y2=\"48\" stroke=\"{2}\" "
                       "stroke-width=\"2\"/><circle cx=\"{3}\" cy=\"48\" r=\"2.5\" fill=\"{2}\"/>"
                       "<text x=\"{4}\" y=\"52\">{5}</text>\n",
                       coordinate(legendX), coordinate(legendX + 24), color,
                       coordinate(legendX + 12), coordinate(legendX + 30), label);
    legendX += 100;
  }
  svg += "</g>\n";

  std::string metricTitle = percent ? history.metric + " (%)" : history.metric;
  drawPanel(svg, Box{70, 82, 450, 350}, "loss", epochs, seriesAxis(losses, false), losses,
            history.bestEpoch, "no finite loss");
  drawPanel(svg, Box{560, 82, 940, 350}, metricTitle, epochs, seriesAxis(metrics, percent),
            metrics, history.bestEpoch, "not measured");

  if (!history.stopReason.empty())
    drawFooter(svg, Width, Height, history.stopReason);
  svg += "</svg>\n";
  return svg;
}

Status writeHistory(const std::string &path, const History &history) {
  if (!isValidMetricName(history.metric))
    return Error(fmt::format("{}: metric name '{}' cannot be a column name; use letters, digits, "
                             "'_' or '-'",
                             path, history.metric));
  std::string extension = lowercaseExtension(path);
  if (extension == ".csv")
    return writeFileAtomically(path, {formatHistoryCsv(history)});
  if (extension == ".json")
    return writeFileAtomically(path, {formatHistoryJson(history)});
  return Error(fmt::format(
      "{}: cannot tell the history format from the extension; use .csv or .json", path));
}

Status writeCurvesSvg(const std::string &path, const History &history) {
  return writeFileAtomically(path, {formatCurvesSvg(history)});
}

} // namespace kiln
