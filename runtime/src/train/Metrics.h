//===- Metrics.h - A run's measurements as the user reads them --*- C++ -*-===//
//
// The metric of a model's task (accuracy, or mean squared error for a
// regression) as logs, plots and epoch lines show it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRAIN_METRICS_H
#define KILN_TRAIN_METRICS_H

#include "kiln/CompiledModel.h"
#include "kiln/Data.h"
#include "kiln/Trainer.h"

#include <string>

namespace kiln {

/// "train-acc 91.83%", "val-mse 0.5012  val-mae 0.5871" for a set called
/// `prefix`; with `loss`, the loss first; `brief` leaves out the mae.
std::string formatMetrics(const ModelInfo &info, const char *prefix, const EvalStats &stats,
                          bool loss, bool brief);

/// The value of the task's metric that logs and plots show: accuracy, or the
/// mean squared error of a regression.
double metricValue(const ModelInfo &info, const EvalStats &stats);

/// The variance of every target value of `data` (the MSE of predicting
/// their mean), for a regression's R^2.
double targetVariance(const Dataset &data);

} // namespace kiln

#endif // KILN_TRAIN_METRICS_H
