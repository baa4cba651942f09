//===- Progress.cpp - A progress bar for training epochs ------------------===//

#include "train/Progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <utility>

#include <unistd.h>

namespace kiln {

namespace {

double steadySeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

/// Erases the current terminal line: back to its start, clear to its end.
constexpr const char *ClearLine = "\r\033[K";

} // namespace

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return "--:--";
  auto total = int64_t(std::llround(seconds));
  int64_t hours = total / 3600, minutes = total / 60 % 60, secs = total % 60;
  if (hours > 0)
    return fmt::format("{}:{:02}:{:02}", hours, minutes, secs);
  return fmt::format("{}:{:02}", minutes, secs);
}

Progress::Progress(std::ostream &out, bool interactive)
    : Progress(out, interactive, steadySeconds) {}

Progress::Progress(std::ostream &out, bool interactive, Clock clock)
    : out(out), interactive(interactive), clock(std::move(clock)) {}

bool Progress::stdoutIsTerminal() {
  if (!::isatty(::fileno(stdout)))
    return false;
  const char *term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0)
    return false;
  const char *ci = std::getenv("CI");
  if (ci && *ci && std::strcmp(ci, "0") != 0 && std::strcmp(ci, "false") != 0)
    return false;
  return true;
}

void Progress::beginEpoch(int64_t epoch, int64_t epochs, int64_t steps) {
  this->epoch = epoch;
  this->epochs = epochs;
  this->steps = steps;
  epochStart = clock();
  if (!interactive)
    return;
  // Show the empty bar at once: the first step may be slow.
  out << '\r' << formatLine(0, NAN, 0, 0) << "\033[K" << std::flush;
  lastDraw = epochStart;
  drawn = true;
}

void Progress::step(int64_t done, double meanLoss, int64_t samples) {
  if (!interactive)
    return;
  double now = clock();
  if (drawn && now - lastDraw < RedrawInterval)
    return;
  out << '\r' << formatLine(done, meanLoss, samples, now - epochStart) << "\033[K" << std::flush;
  lastDraw = now;
  drawn = true;
}

void Progress::endEpoch(const std::string &line) {
  if (drawn)
    out << ClearLine;
  drawn = false;
  out << line << '\n' << std::flush;
}

std::string Progress::formatLine(int64_t done, double meanLoss, int64_t samples,
                                 double elapsed) const {
  std::string line = fmt::format("epoch {}/{}", epoch, epochs);
  if (steps > 0) {
    int64_t clamped = std::max<int64_t>(0, std::min(done, steps));
    int filled = int(clamped * BarWidth / steps);
    std::string bar(size_t(BarWidth), ' ');
    for (int i = 0; i < filled; ++i)
      bar[size_t(i)] = '=';
    if (filled > 0 && filled < BarWidth)
      bar[size_t(filled - 1)] = '>';
    // The count is padded to the width of the total, so the line does not jitter.
    int digits = int(std::to_string(steps).size());
    line += fmt::format(" [{}] {:>{}}/{}", bar, done, digits, steps);
  } else {
    line += fmt::format(" step {}", done);
  }
  if (done > 0)
    line += fmt::format("  loss {:.4f}", meanLoss);
  if (elapsed > 0 && samples > 0)
    line += fmt::format("  {:.0f} samples/s", double(samples) / elapsed);
  if (steps > 0 && done > 0 && done < steps && elapsed > 0)
    line += "  ETA " + formatDuration(elapsed / double(done) * double(steps - done));
  return line;
}

} // namespace kiln
