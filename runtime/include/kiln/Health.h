//===- Health.h - Gradient norms, dead units and a fit diagnosis -*- C++ -*-===//
//
// Is training going well? A model compiled with `kilnc --health` reports,
// after every step, the squared norm of each parameter's gradient and how
// many units of each relu no sample of the batch activated (see
// kiln::HealthInfo). HealthMonitor folds those into per-layer figures for an
// epoch and warns about vanishing or exploding gradients and dead units:
//
//   kiln::HealthMonitor health(model.info());
//   args.health = health.buffer();         // in every StepArgs
//   model.trainStep(args);
//   health.recordStep();
//   kiln::HealthReport report = health.endEpoch();   // after the epoch
//   for (const std::string &w : report.warnings) ...
//
// diagnoseFit compares training and validation metrics at the end of a run
// and says whether the model looks under-fit (high bias) or over-fit (high
// variance). Its rules of thumb are in HealthThresholds.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_HEALTH_H
#define KILN_HEALTH_H

#include "kiln/CompiledModel.h"
#include "kiln/History.h"

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

/// The rules of thumb behind warnings and the fit diagnosis.
struct HealthThresholds {
  /// A layer's gradient vanishes when its mean norm over the epoch is below
  /// `vanishingRelative` times the largest layer's, or below
  /// `vanishingAbsolute`.
  double vanishingRelative = 1e-4;
  double vanishingAbsolute = 1e-8;
  /// It explodes when a step's norm exceeds this, or is not finite.
  double exploding = 1e3;
  /// A relu warns when on average this fraction of its units or more was
  /// dead in a batch.
  double deadFraction = 0.5;
  /// Fit: the model is over-fit when the validation error exceeds the
  /// training error by more than `overfitGap` (absolute, for accuracy) or by
  /// the factor `overfitRatio` (for losses and error metrics), and under-fit
  /// when its training error is above `underfitError` (1 - accuracy; for a
  /// regression 1 - R^2, the training MSE over the targets' variance).
  double overfitGap = 0.02;
  double overfitRatio = 1.5;
  double underfitError = 0.05;
};

/// One layer's gradient over an epoch: the L2 norm of all its parameters'
/// gradients together (dense0.weight and dense0.bias make "dense0").
struct LayerGradient {
  std::string layer;
  double meanNorm = 0; // mean over the epoch's steps
  double maxNorm = 0;
  bool finite = true; // false if any step's norm was NaN or infinite
};

/// One relu over an epoch: the mean over steps of the fraction of its units
/// that no sample of the batch activated.
struct DeadUnits {
  std::string name;  // relu0, relu1, ...
  std::string where; // model-file location
  int64_t units = 0;
  double meanFraction = 0;
};

struct HealthReport {
  std::vector<LayerGradient> layers;
  std::vector<DeadUnits> relus;
  /// New problems this epoch, one line each; a problem that continues from
  /// the previous epoch is not repeated.
  std::vector<std::string> warnings;
  /// The report as log columns: grad_norm_<layer> and dead_<relu>.
  std::vector<std::pair<std::string, double>> columns() const;
  /// One line for a terminal: "grad-norm dense0 4.1e-01 ... | dead relu0 0.0% ...".
  std::string summary() const;
};

class HealthMonitor {
public:
  explicit HealthMonitor(const ModelInfo &info, HealthThresholds thresholds = {});
  /// False for a model compiled without --health: nothing to record.
  bool enabled() const { return !entries.empty(); }
  /// Where a step writes its values (StepArgs::health); null when disabled.
  float *buffer() { return enabled() ? values.data() : nullptr; }
  /// Adds the values the last step wrote to the epoch's sums.
  void recordStep();
  /// The epoch's report; starts the next epoch.
  HealthReport endEpoch();
  /// Forgets the current epoch's steps (an epoch replayed after a failure).
  void discardEpoch();

private:
  std::vector<HealthInfo> entries;
  HealthThresholds limits;
  std::vector<std::string> layerNames;
  std::vector<int> layerOf; // per entry: index into layerNames, -1 for relus
  std::vector<float> values;
  std::vector<double> normSum, normMax, deadSum;
  std::vector<double> stepSquares; // per layer, the last step's; reused, no allocation per step
  std::vector<bool> nonFinite;
  int64_t steps = 0;
  std::set<std::string> active; // warnings raised and still true
};

/// What diagnoseFit concluded.
struct FitDiagnosis {
  enum class Verdict { Unknown, UnderFit, OverFit, GoodFit };
  Verdict verdict = Verdict::Unknown;
  std::string text; // a sentence or two for the user, with the numbers
};

/// Judges the epoch whose weights the run kept (history.bestEpoch, else the
/// last). `targetVariance` is the variance of the training targets, for a
/// regression's R^2 (0 when unknown or not a regression). Unknown without
/// a validation metric.
FitDiagnosis diagnoseFit(const History &history, double targetVariance = 0,
                         const HealthThresholds &thresholds = {});

} // namespace kiln

#endif // KILN_HEALTH_H
