//===- History.h - Per-epoch metrics as CSV, JSON and SVG -------*- C++ -*-===//
//
// What a training run measured, epoch by epoch, and the files it leaves for
// later: a CSV or JSON log to load into pandas or a spreadsheet, and an SVG
// of the loss and metric curves that any browser shows. A trainer fills a
// History as it goes and rewrites the files after every epoch:
//
//   kiln::History history;
//   history.model = "mlp";
//   history.epochs.push_back(record);                    // after each epoch
//   if (auto status = kiln::writeHistory("run/history.csv", history); !status)
//     ...                                                // status.error()
//   kiln::writeCurvesSvg("run/curves.svg", history);
//
// Both writes are atomic (a temporary file beside the target, then a
// rename), so a run killed mid-write leaves the previous file, never half of
// one.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_HISTORY_H
#define KILN_HISTORY_H

#include "kiln/Result.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

/// One finished epoch, as the trainer measured it.
struct EpochRecord {
  int64_t epoch = 0;        // 1-based
  double trainLoss = 0;     // mean training loss of the epoch
  double trainMetric = NAN; // accuracy in [0,1] or mse; NaN when not measured
  double valLoss = NAN;     // NaN when there is no validation set
  double valMetric = NAN;
  double learningRate = NAN;
  double seconds = 0; // wall time of the epoch
  double samplesPerSecond = 0;
  /// More named values, written as extra columns after the fixed ones (e.g.
  /// training health's grad_norm_<layer> and dead_<relu>); a column that an
  /// epoch lacks is empty there.
  std::vector<std::pair<std::string, double>> extra;
};

struct History {
  std::string model;               // model name, for titles
  std::string metric = "accuracy"; // "accuracy" (higher is better, shown as %) or
                                   // "mse"/"mae" (lower is better)
  std::vector<EpochRecord> epochs;
  int64_t bestEpoch = 0;  // the early-stopping point whose weights were kept; 0 = none
  std::string stopReason; // e.g. "early stop: val-loss did not improve by 0.001 for
                          // 3 epochs"; empty if all epochs ran
  /// True for "accuracy", false for error metrics ("mse", "mae", ...).
  bool higherIsBetter() const;
};

/// The CSV form of a history: the header
///   epoch,train_loss,train_<metric>,val_loss,val_<metric>,lr,seconds,samples_per_second
/// and the names of the epochs' extra values, then one line per epoch. Numbers are written in the shortest form that
/// reads back to the same double; NaN is an empty cell, infinities are
/// "inf" and "-inf" (as pandas and numpy read them).
std::string formatHistoryCsv(const History &history);

/// The JSON form of a history:
///   {"model": .., "metric": .., "best_epoch": .., "stop_reason": .., "epochs": [{..}, ..]}
/// with one object per epoch whose keys are the CSV's columns. best_epoch is
/// 0 and stop_reason "" when there are none; NaN and infinities are null.
std::string formatHistoryJson(const History &history);

/// The SVG that writeCurvesSvg writes.
std::string formatCurvesSvg(const History &history);

/// Writes the history as CSV or JSON (see formatHistoryCsv and
/// formatHistoryJson), chosen by the extension of `path`: .csv or .json; any
/// other extension is an error. The metric name must be letters, digits, '_'
/// or '-', since it becomes a column name. Atomic: a temporary file beside
/// `path`, then a rename. Errors name the path.
Status writeHistory(const std::string &path, const History &history);

/// Draws the training and validation loss (left panel) and metric (right
/// panel) per epoch as a self-contained SVG: axes with tick labels, a legend,
/// the title, and a vertical dashed line labelled at bestEpoch when it is
/// > 0. Accuracy is shown in percent. Works with one epoch, with no
/// validation values, and with NaN or infinite values (skipped). Atomic write
/// like writeHistory.
Status writeCurvesSvg(const std::string &path, const History &history);

} // namespace kiln

#endif // KILN_HISTORY_H
