//===- Progress.h - A progress bar for training epochs ----------*- C++ -*-===//
//
// On a terminal, one line redrawn in place (with \r, at most ten times a
// second) while an epoch runs:
//
//   epoch 2/10 [=========>          ] 235/469  loss 0.2874  12345 samples/s  ETA 0:03
//
// and cleared before the epoch's summary line is printed. Anywhere else (a
// pipe, a file, CI) it prints the summary lines only, so logs stay clean:
//
//   kiln::Progress progress(std::cout, kiln::Progress::stdoutIsTerminal());
//   progress.beginEpoch(epoch, epochs, steps);
//   ... progress.step(done, meanLoss, samples);           // after each step
//   progress.endEpoch("epoch 2/10  loss 0.2874  ...");
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRAIN_PROGRESS_H
#define KILN_TRAIN_PROGRESS_H

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace kiln {

class Progress {
public:
  /// A monotonic clock in seconds; tests pass a fake one.
  using Clock = std::function<double()>;

  /// Shortest time between two redraws of the bar, in seconds.
  static constexpr double RedrawInterval = 0.1;
  /// Characters between the brackets of the bar.
  static constexpr int BarWidth = 20;

  /// Writes to `out`; draws the bar only when `interactive`. Times come from
  /// std::chrono::steady_clock, or from `clock` when given.
  Progress(std::ostream &out, bool interactive);
  Progress(std::ostream &out, bool interactive, Clock clock);

  /// True when stdout is a terminal and the environment does not say
  /// otherwise: TERM=dumb, or CI set (to anything but "", "0" or "false").
  static bool stdoutIsTerminal();

  /// Starts epoch `epoch` of `epochs`, of `steps` steps (0 when unknown: no
  /// bar, only the count of steps done).
  void beginEpoch(int64_t epoch, int64_t epochs, int64_t steps);
  /// After each step: `done` steps of the epoch finished, the mean loss so
  /// far, the samples so far in this epoch. Redraws at most every
  /// RedrawInterval seconds.
  void step(int64_t done, double meanLoss, int64_t samples);
  /// Clears the bar (interactive) and prints `line` plus a newline.
  void endEpoch(const std::string &line);

  /// The bar's line for the given state, without \r: what step() draws.
  std::string formatLine(int64_t done, double meanLoss, int64_t samples, double elapsed) const;

private:
  std::ostream &out;
  bool interactive;
  Clock clock;
  int64_t epoch = 0, epochs = 0, steps = 0;
  double epochStart = 0;
  double lastDraw = 0;
  bool drawn = false; // a bar is on the current line
};

/// Formats seconds as m:ss, or h:mm:ss from an hour up ("--:--" when not finite).
std::string formatDuration(double seconds);

} // namespace kiln

#endif // KILN_TRAIN_PROGRESS_H
