//===- ReportFormat.cpp - Numbers, axes and SVG pieces of reports ---------===//
//
// Axes take their tick steps from the 1-2-5 series and label them with as
// many decimals as the step needs; ranges near the limits of double fall
// back to labelling their ends only, so that no report divides by zero or
// writes "nan" into a coordinate.
//
//===----------------------------------------------------------------------===//

#include "io/ReportFormat.h"

#include <fmt/format.h>

#include <algorithm>

namespace kiln::report {

std::string csvNumber(double value) {
  if (std::isnan(value))
    return "";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  return fmt::format("{}", value);
}

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

//===----------------------------------------------------------------------===//
// Axes
//===----------------------------------------------------------------------===//

std::string Axis::label(double value) const {
  std::string text =
      general ? fmt::format("{:.3g}", value) : fmt::format("{:.{}f}", value, decimals);
  return percent ? text + "%" : text;
}

namespace {

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

} // namespace

Axis makeAxis(double min, double max, bool roundOut, bool integer, double floor, double ceiling) {
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

Axis valueAxis(double min, double max, bool percent) {
  Axis axis = percent ? makeAxis(min, max, /*roundOut=*/true, /*integer=*/false, 0, 100)
                      : makeAxis(min, max, /*roundOut=*/true, /*integer=*/false);
  axis.percent = percent;
  return axis;
}

Axis countAxis(double first, double last) {
  if (first > last) {
    first = 1;
    last = 1;
  }
  Axis axis = makeAxis(first, last, /*roundOut=*/false, /*integer=*/true);
  double margin = (axis.hi - axis.lo) * 0.03;
  axis.lo -= margin;
  axis.hi += margin;
  return axis;
}

double fraction(double value, const Axis &axis) {
  // Halving first keeps a range as wide as all of double from overflowing.
  double t = (value / 2 - axis.lo / 2) / (axis.hi / 2 - axis.lo / 2);
  return std::isfinite(t) ? t : 0.5;
}

//===----------------------------------------------------------------------===//
// SVG pieces
//===----------------------------------------------------------------------===//

std::string coordinate(double value) { return fmt::format("{:.1f}", value); }

std::string svgBegin(int width, int height, const std::string &title) {
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#222\">\n",
      width, height);
  svg += fmt::format("<title>{}</title>\n", xmlEscape(title));
  svg += fmt::format("<rect width=\"{}\" height=\"{}\" fill=\"white\"/>\n", width, height);
  svg += fmt::format("<text x=\"{}\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" "
                     "font-weight=\"bold\">{}</text>\n",
                     width / 2, xmlEscape(title));
  return svg;
}

void drawFrame(std::string &svg, const Box &box, const std::string &caption, const Axis &x,
               const Axis &y, const std::string &xName) {
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" "
                     "font-weight=\"bold\">{}</text>\n",
                     coordinate((box.left + box.right) / 2), coordinate(box.top - 8),
                     xmlEscape(caption));
  // Grid and value ticks.
  for (double tick : y.ticks) {
    std::string at = coordinate(box.y(tick, y));
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e6e6e6\"/>\n",
                       coordinate(box.left), at, coordinate(box.right), at);
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" "
                       "dominant-baseline=\"middle\">{}</text>\n",
                       coordinate(box.left - 6), at, xmlEscape(y.label(tick)));
  }
  // Ticks along x.
  for (double tick : x.ticks) {
    std::string at = coordinate(box.x(tick, x));
    svg += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\n", at,
                       coordinate(box.bottom), at, coordinate(box.bottom + 4));
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", at,
                       coordinate(box.bottom + 17), xmlEscape(x.label(tick)));
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     coordinate((box.left + box.right) / 2), coordinate(box.bottom + 34),
                     xmlEscape(xName));
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" "
                     "stroke=\"#333\"/>\n",
                     coordinate(box.left), coordinate(box.top), coordinate(box.right - box.left),
                     coordinate(box.bottom - box.top));
}

void drawPolyline(std::string &svg, const Box &box, const Axis &x, const Axis &y, const char *name,
                  const char *color, const std::vector<std::pair<double, double>> &points) {
  std::string list;
  for (const auto &[at, value] : points)
    list += fmt::format("{}{},{}", list.empty() ? "" : " ", coordinate(box.x(at, x)),
                        coordinate(box.y(value, y)));
  svg += fmt::format("<polyline class=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{}\" "
                     "stroke-width=\"2\" stroke-linejoin=\"round\"/>\n",
                     name, list, color);
}

void drawEmptyNote(std::string &svg, const Box &box, const std::string &text) {
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#888\">{}</text>\n",
                     coordinate((box.left + box.right) / 2), coordinate((box.top + box.bottom) / 2),
                     xmlEscape(text));
}

void drawFooter(std::string &svg, int width, int height, const std::string &text) {
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">{}</text>\n",
                     width / 2, height - 12, xmlEscape(text));
}

double labelWidth(const std::string &text) { return 6.2 * double(text.size()) + 6; }

void drawLabel(std::string &svg, double left, double top, const std::string &text) {
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"15\" fill=\"white\" "
                     "fill-opacity=\"0.85\"/>\n",
                     coordinate(left), coordinate(top), coordinate(labelWidth(text)));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#555\">{}</text>\n",
                     coordinate(left + 3), coordinate(top + 11), xmlEscape(text));
}

} // namespace kiln::report
