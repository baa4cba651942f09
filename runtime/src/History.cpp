//===- History.cpp - Per-epoch metrics as CSV, JSON and SVG ---------------===//
//
// The SVG is drawn by hand: two panels side by side, each with "nice" axes
// (tick steps from the 1-2-5 series, labels with as many decimals as the
// step needs), a polyline per series and a dot per point when there are few
// enough points to see them. Non-finite values are left out of the lines
// and of the axis ranges.
//
//===----------------------------------------------------------------------===//

#include "kiln/History.h"
#include "kiln/Checkpoint.h"

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

//===----------------------------------------------------------------------===//
// CSV and JSON
//===----------------------------------------------------------------------===//

/// The shortest text that reads back as `value` (fmt's default for double).
std::string csvNumber(double value) {
  if (std::isnan(value))
    return "";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  return fmt::format("{}", value);
}

std::string jsonNumber(double value) {
  if (!std::isfinite(value))
    return "null";
  return fmt::format("{}", value);
}

std::string jsonString(const std::string &text) {
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
    case '"':
      quoted += "\\\"";
      break;
    case '\\':
      quoted += "\\\\";
      break;
    case '\n':
      quoted += "\\n";
      break;
    case '\t':
      quoted += "\\t";
      break;
    case '\r':
      quoted += "\\r";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20)
        quoted += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
      else
        quoted += c;
    }
  }
  return quoted + '"';
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

std::string xmlEscape(const std::string &text) {
  std::string escaped;
  for (char c : text) {
    switch (c) {
    case '&':
      escaped += "&amp;";
      break;
    case '<':
      escaped += "&lt;";
      break;
    case '>':
      escaped += "&gt;";
      break;
    case '"':
      escaped += "&quot;";
      break;
    default:
      // XML 1.0 allows no control characters but tab and newlines.
      if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r')
        escaped += c;
    }
  }
  return escaped;
}

/// An axis: the range it shows, where its ticks are and how they read.
struct Axis {
  double lo = 0, hi = 1;
  std::vector<double> ticks;
  int decimals = 0;
  bool percent = false;
  bool general = false; // "%g"-like labels, for ranges too wide or narrow for fixed decimals

  std::string label(double value) const {
    std::string text =
        general ? fmt::format("{:.3g}", value) : fmt::format("{:.{}f}", value, decimals);
    return percent ? text + "%" : text;
  }
};

/// The step of the 1-2-5 series (times a power of ten) nearest `raw`.
double niceStep(double raw) {
  if (!(raw > 0) || !std::isfinite(raw))
    return 1;
  double base = std::pow(10.0, std::floor(std::log10(raw)));
  double mantissa = raw / base;
  double nice = mantissa < 1.5 ? 1 : mantissa < 3 ? 2 : mantissa < 7 ? 5 : 10;
  return nice * base;
}

constexpr int TargetTicks = 5;
constexpr int MaxTicks = 50;

/// Ticks at the multiples of `step` in [lo, hi]; false when there would be
/// too many (a step lost to rounding).
bool placeTicks(Axis &axis, double step) {
  double first = std::ceil(axis.lo / step - 1e-9);
  double last = std::floor(axis.hi / step + 1e-9);
  if (!std::isfinite(first) || !std::isfinite(last) || last - first > MaxTicks)
    return false;
  for (double i = first; i <= last; ++i) {
    double tick = i * step;
    axis.ticks.push_back(std::abs(tick) < step * 1e-9 ? 0.0 : tick);
  }
  axis.decimals = std::max(0, int(-std::floor(std::log10(step) + 1e-9)));
  axis.general = axis.decimals > 6 || std::max(std::abs(axis.lo), std::abs(axis.hi)) >= 1e7;
  return true;
}

/// An axis over [min, max] (min > max: no data). `roundOut` widens the range
/// to whole ticks (value axes); otherwise it stays as given (epochs).
/// `integer` keeps the ticks on whole numbers; [floor, ceiling] bounds a
/// rounded-out range when the data lies within them.
Axis makeAxis(double min, double max, bool roundOut, bool integer, double floor = -INFINITY,
              double ceiling = INFINITY) {
  if (min > max) {
    min = 0;
    max = 1;
  }
  bool withinBounds = min >= floor && max <= ceiling;
  if (min == max) {
    double pad = integer ? 0.5 : (min == 0 ? 1 : std::abs(min) * 0.1);
    min -= pad;
    max += pad;
  }
  Axis axis;
  double step = niceStep((max - min) / TargetTicks);
  if (integer)
    step = std::max(step, 1.0);
  axis.lo = min;
  axis.hi = max;
  if (roundOut && std::isfinite(max - min)) {
    axis.lo = std::floor(min / step) * step;
    axis.hi = std::ceil(max / step) * step;
    if (withinBounds) {
      axis.lo = std::max(axis.lo, floor);
      axis.hi = std::min(axis.hi, ceiling);
    }
  }
  if (!std::isfinite(axis.hi - axis.lo) || !placeTicks(axis, step)) {
    // Values near the limits of double: label the ends only.
    axis.lo = min;
    axis.hi = max;
    axis.ticks = {min, max};
    axis.general = true;
  }
  return axis;
}

/// Where `value` lies on the axis, 0 at lo and 1 at hi. Halving first keeps
/// a range as wide as all of double from overflowing.
double fraction(double value, const Axis &axis) {
  double t = (value / 2 - axis.lo / 2) / (axis.hi / 2 - axis.lo / 2);
  return std::isfinite(t) ? t : 0.5;
}

struct Series {
  const char *name;  // class of the polyline, e.g. "train-loss"
  const char *color; // stroke
  std::vector<std::pair<double, double>> points;
};

struct Box {
  double left, top, right, bottom;
};

std::string coordinate(double value) { return fmt::format("{:.1f}", value); }

constexpr const char *TrainColor = "#1f77b4";
constexpr const char *ValColor = "#ff7f0e";
/// Series with at most this many points get a dot per point.
constexpr size_t MaxDottedPoints = 60;

/// One panel: frame, grid, ticks, the series and the best-epoch marker.
void drawPanel(std::string &svg, const Box &box, const std::string &title, const Axis &x,
               const Axis &y, const std::vector<Series> &series, int64_t bestEpoch,
               const char *emptyText) {
  auto px = [&](double v) { return box.left + fraction(v, x) * (box.right - box.left); };
  auto py = [&](double v) { return box.bottom - fraction(v, y) * (box.bottom - box.top); };

  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" "
                     "font-weight=\"bold\">{}</text>\n",
                     coordinate((box.left + box.right) / 2), coordinate(box.top - 8),
                     xmlEscape(title));
  // Grid and value ticks.
  for (double tick : y.ticks) {
    std::string at = coordinate(py(tick));
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e6e6e6\"/>\n",
                       coordinate(box.left), at, coordinate(box.right), at);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" "
                       "dominant-baseline=\"middle\">{}</text>\n",
                       coordinate(box.left - 6), at, xmlEscape(y.label(tick)));
  }
  // Epoch ticks.
  for (double tick : x.ticks) {
    std::string at = coordinate(px(tick));
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n", at,
                       coordinate(box.bottom), at, coordinate(box.bottom + 4));
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", at,
                       coordinate(box.bottom + 17), xmlEscape(x.label(tick)));
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">epoch</text>\n",
                     coordinate((box.left + box.right) / 2), coordinate(box.bottom + 34));
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" "
                     "stroke=\"#333\"/>\n",
                     coordinate(box.left), coordinate(box.top), coordinate(box.right - box.left),
                     coordinate(box.bottom - box.top));

  bool empty = true;
  for (const Series &line : series) {
    if (line.points.empty())
      continue;
    empty = false;
    std::string points;
    for (const auto &[epoch, value] : line.points)
      points += fmt::format("{}{},{}", points.empty() ? "" : " ", coordinate(px(epoch)),
                            coordinate(py(value)));
    svg += fmt::format("<polyline class=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{}\" "
                       "stroke-width=\"2\" stroke-linejoin=\"round\"/>\n",
                       line.name, points, line.color);
    if (line.points.size() > MaxDottedPoints)
      continue;
    for (const auto &[epoch, value] : line.points)
      svg += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\"/>\n",
                         coordinate(px(epoch)), coordinate(py(value)), line.color);
  }
  if (empty)
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#888\">{}</text>\n",
                       coordinate((box.left + box.right) / 2),
                       coordinate((box.top + box.bottom) / 2), emptyText);

  if (bestEpoch <= 0)
    return;
  double at = px(double(bestEpoch));
  svg += fmt::format("<line class=\"best-epoch\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" "
                     "stroke=\"#555\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>\n",
                     coordinate(at), coordinate(box.top), coordinate(box.bottom));
  // The label goes right of the line, or left of it near the right edge, on
  // a white box (its width estimated at 6.2 pixels a character) where it
  // crosses a curve.
  std::string label = fmt::format("best epoch {}", bestEpoch);
  double width = 6.2 * double(label.size()) + 6;
  double boxLeft = at > box.right - width - 4 ? at - 2 - width : at + 2;
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"15\" fill=\"white\" "
                     "fill-opacity=\"0.85\"/>\n",
                     coordinate(boxLeft), coordinate(box.top + 3), coordinate(width));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#555\">{}</text>\n",
                     coordinate(boxLeft + 3), coordinate(box.top + 14), label);
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

Axis valueAxis(const std::vector<Series> &series, bool percent) {
  double min = INFINITY, max = -INFINITY;
  for (const Series &line : series)
    for (const auto &point : line.points) {
      min = std::min(min, point.second);
      max = std::max(max, point.second);
    }
  Axis axis = percent ? makeAxis(min, max, /*roundOut=*/true, /*integer=*/false, 0, 100)
                      : makeAxis(min, max, /*roundOut=*/true, /*integer=*/false);
  axis.percent = percent;
  return axis;
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
  if (firstEpoch > lastEpoch) {
    firstEpoch = 1;
    lastEpoch = 1;
  }
  Axis epochs = makeAxis(firstEpoch, lastEpoch, /*roundOut=*/false, /*integer=*/true);
  // A margin, so that the first and last points do not sit on the frame.
  double margin = (epochs.hi - epochs.lo) * 0.03;
  epochs.lo -= margin;
  epochs.hi += margin;

  std::string title = history.model.empty()
                          ? fmt::format("loss and {} per epoch", history.metric)
                          : fmt::format("{}: loss and {} per epoch", history.model, history.metric);
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#222\">\n",
      Width, Height);
  svg += fmt::format("<title>{}</title>\n", xmlEscape(title));
  svg += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"white\"/>\n", Width, Height);
  svg += fmt::format("<text x=\"{}\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" "
                     "font-weight=\"bold\">{}</text>\n",
                     Width / 2, xmlEscape(title));

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
  drawPanel(svg, Box{70, 82, 450, 350}, "loss", epochs, valueAxis(losses, false), losses,
            history.bestEpoch, "no finite loss");
  drawPanel(svg, Box{560, 82, 940, 350}, metricTitle, epochs, valueAxis(metrics, percent), metrics,
            history.bestEpoch, "not measured");

  if (!history.stopReason.empty())
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{}</text>\n",
                       Width / 2, Height - 12, xmlEscape(history.stopReason));
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
