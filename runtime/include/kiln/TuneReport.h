//===- TuneReport.h - The tuner's trials as CSV and SVG ---------*- C++ -*-===//
//
// What a hyperparameter search tried and how each trial did, and the files
// it leaves: a CSV of all trials (one row per trial, with the best value so
// far) and an SVG of the objective per trial with the best-so-far curve. The
// `tune` command fills a TuneHistory as trials end and rewrites both files
// after every wave:
//
//   kiln::TuneHistory history;
//   history.model = "mlp";
//   history.space = space;
//   history.objective = "val-acc";
//   history.higherIsBetter = true;
//   history.method = "bayesian";
//   history.trials.push_back(record);                 // after each trial
//   if (auto status = kiln::writeTrialsCsv("tune/trials.csv", history); !status)
//     ...                                             // status.error()
//   kiln::writeTrialsSvg("tune/trials.svg", history);
//
// Both writes are atomic (writeFileAtomically), so a search killed mid-write
// leaves the previous file, never half of one.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNEREPORT_H
#define KILN_TUNEREPORT_H

#include "kiln/CompiledModel.h" // kiln::TuneRange
#include "kiln/Result.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// One trial of a search, as it ended.
struct TrialRecord {
  int64_t trial = 0;           // 1-based, in the order trials were started
  std::vector<double> values;  // the configuration, one per TuneSpace range, in order
  double objective = NAN;      // the trial's validation metric; NaN when it failed
  std::string status = "done"; // "done", "pruned" (stopped early by the pruner), "failed"
  int64_t epochs = 0;          // epochs it trained
  double seconds = 0;          // its wall time
};

struct TuneHistory {
  std::string model; // for titles
  std::vector<TuneRange> space;
  std::string objective = "val-loss"; // val-loss, val-acc, val-mse, val-mae
  bool higherIsBetter = false;        // true for val-acc
  std::string method;                 // "random", "bayesian", ...
  std::vector<TrialRecord> trials;    // in trial order

  /// The index in `trials` of the best trial with status "done" and a finite
  /// objective (the earliest of equals), or -1 when there is none. Pruned
  /// trials stopped before their end and never count as the best.
  int bestIndex() const;

  /// Per trial, the objective of the best trial as bestIndex() counts it
  /// among this one and those before it; NaN until the first such trial.
  std::vector<double> bestSoFar() const;
};

/// The CSV form of a history: the header
///   trial,<range names...>,<objective>,best_so_far,status,epochs_trained,seconds
/// where <objective> is the objective with '-' as '_' (val_acc), then one
/// line per trial. Values of integer and choice ranges that are whole
/// numbers are written as integers; other numbers in the shortest form that
/// reads back to the same double; NaN is an empty cell (a failed trial's
/// objective, best_so_far before the first finished trial). Objectives are
/// as measured (val-acc as a fraction, not percent). Names holding a comma,
/// quote or line break are quoted.
std::string formatTrialsCsv(const TuneHistory &history);

/// Writes formatTrialsCsv(history) to `path`, atomically. Errors name the
/// path.
Status writeTrialsCsv(const std::string &path, const TuneHistory &history);

/// A self-contained SVG of the objective (percent for val-acc) per trial
/// number: a filled dot per finished trial, a hollow one per pruned trial,
/// none for failed trials; a step line of the best value so far; the best
/// trial ringed and labelled "best: trial 7, lr=0.0123 batch=64"; the title
/// "<model>: <method> search, <n> trials"; axes with tick labels. Draws
/// with no trials, one trial, equal values or only failures.
std::string formatTrialsSvg(const TuneHistory &history);

/// Writes formatTrialsSvg(history) to `path`, atomically. Errors name the
/// path.
Status writeTrialsSvg(const std::string &path, const TuneHistory &history);

} // namespace kiln

#endif // KILN_TUNEREPORT_H
