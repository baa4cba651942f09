//===- TuneReport.cpp - The tuner's trials as CSV and SVG -----------------===//
//
// One plot, drawn by hand with the axes and pieces History.cpp uses (see
// ReportFormat.h): trial numbers along x, the objective up y, the best-so-far
// step line under the trials' dots, and the best trial ringed and labelled.
// Only finite objectives of finished (done or pruned) trials reach the axis
// ranges, so failures never turn into a coordinate.
//
//===----------------------------------------------------------------------===//

#include "kiln/TuneReport.h"
#include "kiln/Checkpoint.h"
#include "kiln/Search.h"

#include "io/AtomicFile.h"
#include "io/ReportFormat.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace kiln {

using namespace report;

namespace {

bool countsForBest(const TrialRecord &record) {
  return record.status == "done" && std::isfinite(record.objective);
}

bool isFinished(const TrialRecord &record) {
  return record.status != "failed" && std::isfinite(record.objective);
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

/// A header cell, quoted when it holds a separator, a quote or a line break.
std::string csvField(const std::string &text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos)
    return text;
  std::string quoted = "\"";
  for (char c : text)
    quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + '"';
}

/// A value of `range`: whole numbers of integer and choice ranges (within
/// int64) without an exponent (10000000000000000, not 1e+16).
std::string csvValue(const TuneRange &range, double value) {
  bool discrete = range.kind == TuneRange::Kind::Integer || range.kind == TuneRange::Kind::Choice;
  if (discrete && std::floor(value) == value && std::abs(value) < 0x1p63)
    return fmt::format("{:.0f}", value);
  return csvNumber(value);
}

std::string objectiveColumn(const std::string &objective) {
  std::string column = objective;
  std::replace(column.begin(), column.end(), '-', '_');
  return column;
}

//===----------------------------------------------------------------------===//
// SVG
//===----------------------------------------------------------------------===//

constexpr const char *TrialColor = "#1f77b4";
constexpr const char *BestColor = "#ff7f0e";
constexpr const char *MarkColor = "#d62728";

std::string title(const TuneHistory &history) {
  std::string method = history.method.empty() ? "" : history.method + " ";
  size_t count = history.trials.size();
  std::string text = fmt::format("{}search, {} trial{}", method, count, count == 1 ? "" : "s");
  return history.model.empty() ? text : history.model + ": " + text;
}

/// The points of the best-so-far step line: level from one trial to the
/// next, a vertical step at each trial that improved on the best, out to the
/// last trial.
std::vector<std::pair<double, double>> bestSteps(const TuneHistory &history,
                                                 const std::vector<double> &best, double scale) {
  std::vector<std::pair<double, double>> points;
  for (size_t i = 0; i < history.trials.size(); ++i) {
    if (std::isnan(best[i]))
      continue;
    double trial = double(history.trials[i].trial), value = best[i] * scale;
    if (!points.empty() && value == points.back().second)
      continue;
    if (!points.empty())
      points.emplace_back(trial, points.back().second);
    points.emplace_back(trial, value);
  }
  if (!points.empty() && double(history.trials.back().trial) > points.back().first)
    points.emplace_back(double(history.trials.back().trial), points.back().second);
  return points;
}

std::string objectiveText(const TuneHistory &history, double value, bool percent) {
  return percent ? fmt::format("{} {:.6g}%", history.objective, value * 100)
                 : fmt::format("{} {:.6g}", history.objective, value);
}

/// The fill and stroke of a trial's dot: hollow when it was pruned.
std::string dotPaint(bool pruned) {
  return pruned ? fmt::format("fill=\"white\" stroke=\"{}\" stroke-width=\"1.5\"", TrialColor)
                : fmt::format("fill=\"{}\"", TrialColor);
}

/// The legend under the title: the kinds of marks the plot holds.
void drawLegend(std::string &svg, int width, bool hasPruned) {
  std::vector<std::pair<const char *, bool>> dots = {{"done", false}};
  if (hasPruned)
    dots.push_back({"pruned", true});
  double x = width / 2.0 - 55.0 * double(dots.size() + 1);
  svg += "<g class=\"legend\">\n";
  for (const auto &[label, hollow] : dots) {
    svg += fmt::format("<circle cx=\"{}\" cy=\"48\" r=\"3.5\" {}/><text x=\"{}\" "
                       "y=\"52\">{}</text>\n",
                       coordinate(x + 12), dotPaint(hollow), coordinate(x + 22), label);
    x += 110;
  }
  svg += fmt::format("<line x1=\"{}\" y1=\"48\" x2=\"{}\" y2=\"48\" stroke=\"{}\" "
                     "stroke-width=\"2\"/><text x=\"{}\" y=\"52\">best so far</text>\n",
                     coordinate(x), coordinate(x + 24), BestColor, coordinate(x + 30));
  svg += "</g>\n";
}

} // namespace

int TuneHistory::bestIndex() const {
  int best = -1;
  for (size_t i = 0; i < trials.size(); ++i) {
    if (!countsForBest(trials[i]))
      continue;
    double value = trials[i].objective, bestValue = best < 0 ? NAN : trials[best].objective;
    if (best < 0 || (higherIsBetter ? value > bestValue : value < bestValue))
      best = int(i);
  }
  return best;
}

std::vector<double> TuneHistory::bestSoFar() const {
  std::vector<double> best;
  double value = NAN;
  for (const TrialRecord &record : trials) {
    if (countsForBest(record) && (std::isnan(value) || (higherIsBetter ? record.objective > value
                                                                       : record.objective < value)))
      value = record.objective;
    best.push_back(value);
  }
  return best;
}

std::string formatTrialsCsv(const TuneHistory &history) {
  std::vector<std::string> header = {"trial"};
  for (const TuneRange &range : history.space)
    header.push_back(csvField(range.name));
  for (const char *name : {"best_so_far", "status", "epochs_trained", "seconds"})
    header.push_back(name);
  header.insert(header.end() - 4, csvField(objectiveColumn(history.objective)));

  std::string csv = fmt::format("{}\n", fmt::join(header, ","));
  std::vector<double> best = history.bestSoFar();
  for (size_t i = 0; i < history.trials.size(); ++i) {
    const TrialRecord &record = history.trials[i];
    csv += fmt::format("{}", record.trial);
    for (size_t r = 0; r < history.space.size(); ++r)
      csv += "," + (r < record.values.size() ? csvValue(history.space[r], record.values[r]) : "");
    csv += fmt::format(",{},{},{},{},{}\n", csvNumber(record.objective), csvNumber(best[i]),
                       csvField(record.status), record.epochs, csvNumber(record.seconds));
  }
  return csv;
}

std::string formatTrialsSvg(const TuneHistory &history) {
  constexpr int Width = 800, Height = 450;
  const Box box{80, 82, 770, 370};
  bool percent = history.objective == "val-acc";
  double scale = percent ? 100 : 1;

  double firstTrial = INFINITY, lastTrial = -INFINITY;
  double low = INFINITY, high = -INFINITY;
  size_t done = 0, pruned = 0, failed = 0;
  for (const TrialRecord &record : history.trials) {
    firstTrial = std::min(firstTrial, double(record.trial));
    lastTrial = std::max(lastTrial, double(record.trial));
    if (!isFinished(record)) {
      ++failed;
      continue;
    }
    ++(record.status == "pruned" ? pruned : done);
    low = std::min(low, record.objective * scale);
    high = std::max(high, record.objective * scale);
  }
  Axis x = countAxis(firstTrial, lastTrial);
  Axis y = valueAxis(low, high, percent);

  std::string svg = svgBegin(Width, Height, title(history));
  drawLegend(svg, Width, pruned > 0);
  std::string caption = fmt::format("{}{}, {} is better", history.objective, percent ? " (%)" : "",
                                    history.higherIsBetter ? "higher" : "lower");
  drawFrame(svg, box, caption, x, y, "trial");
  if (done + pruned == 0)
    drawEmptyNote(svg, box, history.trials.empty() ? "no trials" : "no finished trial");

  std::vector<double> best = history.bestSoFar();
  std::vector<std::pair<double, double>> steps = bestSteps(history, best, scale);
  if (!steps.empty())
    drawPolyline(svg, box, x, y, "best-so-far", BestColor, steps);

  // A dot per finished trial, its configuration and value as a tooltip.
  for (const TrialRecord &record : history.trials) {
    if (!isFinished(record))
      continue;
    bool wasPruned = record.status == "pruned";
    std::string tip =
        fmt::format("trial {}{}: {}; {}", record.trial,
                    wasPruned ? fmt::format(" (pruned after {} epoch{})", record.epochs,
                                            record.epochs == 1 ? "" : "s")
                              : "",
                    formatConfig(history.space, record.values),
                    objectiveText(history, record.objective, percent));
    svg += fmt::format("<circle class=\"{}\" cx=\"{}\" cy=\"{}\" r=\"3.5\" {}><title>{}</title>"
                       "</circle>\n",
                       wasPruned ? "pruned" : "done", coordinate(box.x(double(record.trial), x)),
                       coordinate(box.y(record.objective * scale, y)), dotPaint(wasPruned),
                       xmlEscape(tip));
  }

  // The best trial: a ring, and its configuration beside it, right of the
  // dot where it fits and above it where there is room.
  if (int index = history.bestIndex(); index >= 0) {
    const TrialRecord &record = history.trials[index];
    double cx = box.x(double(record.trial), x), cy = box.y(record.objective * scale, y);
    svg += fmt::format("<circle class=\"best\" cx=\"{}\" cy=\"{}\" r=\"7\" fill=\"none\" "
                       "stroke=\"{}\" stroke-width=\"2\"/>\n",
                       coordinate(cx), coordinate(cy), MarkColor);
    std::string config = formatConfig(history.space, record.values);
    std::string label =
        fmt::format("best: trial {}{}{}", record.trial, config.empty() ? "" : ", ", config);
    double width = labelWidth(label);
    double left = cx + 9 + width <= box.right - 2 ? cx + 9 : std::max(box.left + 2, cx - 9 - width);
    double top = cy - 22 >= box.top + 2 ? cy - 22 : cy + 8;
    svg += "<g class=\"best-label\">\n";
    drawLabel(svg, left, top, label);
    svg += "</g>\n";
  }

  if (pruned + failed > 0)
    drawFooter(
        svg, Width, Height,
        fmt::format("{} done, {} pruned (hollow), {} failed (not drawn)", done, pruned, failed));
  svg += "</svg>\n";
  return svg;
}

Status writeTrialsCsv(const std::string &path, const TuneHistory &history) {
  return writeFileAtomically(path, {formatTrialsCsv(history)});
}

Status writeTrialsSvg(const std::string &path, const TuneHistory &history) {
  return writeFileAtomically(path, {formatTrialsSvg(history)});
}

} // namespace kiln
