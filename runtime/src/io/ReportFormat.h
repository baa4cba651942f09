//===- ReportFormat.h - Numbers, axes and SVG pieces of reports -*- C++ -*-===//
//
// What the runtime's report files share (the training history of History.cpp,
// the tuner's trials of TuneReport.cpp): CSV numbers that read back exactly,
// XML escaping, and the hand-drawn SVG's "nice" axes, frame, heading and
// labels. Internal to the runtime; not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_REPORTFORMAT_H
#define KILN_RUNTIME_REPORTFORMAT_H

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace kiln::report {

/// The shortest text that reads back as `value` (fmt's default for double);
/// NaN is empty, infinities are "inf" and "-inf" (as pandas and numpy read
/// them).
std::string csvNumber(double value);

/// `text` as XML character data or an attribute value: &, <, > and " as
/// entities, control characters (but tab and newlines) dropped.
std::string xmlEscape(const std::string &text);

/// An axis: the range it shows, where its ticks are and how they read.
struct Axis {
  double lo = 0, hi = 1;
  std::vector<double> ticks;
  int decimals = 0;
  bool percent = false;
  bool general = false; // "%g"-like labels, for ranges too wide or narrow for fixed decimals

  std::string label(double value) const;
};

/// An axis over [min, max] (min > max: no data). `roundOut` widens the range
/// to whole ticks (value axes); otherwise it stays as given. `integer` keeps
/// the ticks on whole numbers; [floor, ceiling] bounds a rounded-out range
/// when the data lies within them.
Axis makeAxis(double min, double max, bool roundOut, bool integer, double floor = -INFINITY,
              double ceiling = INFINITY);

/// A value axis over the data in [min, max], rounded out to whole ticks; in
/// percent within [0, 100] when `percent` (the values already scaled).
Axis valueAxis(double min, double max, bool percent);

/// An axis of whole numbers from `first` to `last` (epochs, trials; [1, 1]
/// when first > last), with a margin so that the end points do not sit on
/// the frame.
Axis countAxis(double first, double last);

/// Where `value` lies on the axis, 0 at lo and 1 at hi (0.5 when that is not
/// finite).
double fraction(double value, const Axis &axis);

/// A plot area in SVG pixels (y grows downwards).
struct Box {
  double left, top, right, bottom;

  double x(double value, const Axis &axis) const {
    return left + fraction(value, axis) * (right - left);
  }
  double y(double value, const Axis &axis) const {
    return bottom - fraction(value, axis) * (bottom - top);
  }
};

/// A pixel coordinate as written in the SVG: one decimal.
std::string coordinate(double value);

/// The start of a report SVG of `width` x `height`: the <svg> element, a
/// <title>, a white background and `title` as a bold heading.
std::string svgBegin(int width, int height, const std::string &title);

/// A plot's frame: `caption` above it, the value ticks with grid lines and
/// labels on the left, the ticks of `x` with labels below and `xName` under
/// them.
void drawFrame(std::string &svg, const Box &box, const std::string &caption, const Axis &x,
               const Axis &y, const std::string &xName);

/// A line of class `name` through `points` (data coordinates) in `color`.
void drawPolyline(std::string &svg, const Box &box, const Axis &x, const Axis &y, const char *name,
                  const char *color, const std::vector<std::pair<double, double>> &points);

/// `text` in grey in the middle of the box, for a plot with nothing to draw.
void drawEmptyNote(std::string &svg, const Box &box, const std::string &text);

/// `text` in grey, centred under the plots of an SVG of `width` x `height`.
void drawFooter(std::string &svg, int width, int height, const std::string &text);

/// The width of a label drawn by drawLabel: about 6.2 pixels a character.
double labelWidth(const std::string &text);

/// `text` in small grey type on a white box of labelWidth(text) x 15 whose
/// top left corner is (left, top), so that it stays legible over lines.
void drawLabel(std::string &svg, double left, double top, const std::string &text);

} // namespace kiln::report

#endif // KILN_RUNTIME_REPORTFORMAT_H
