//===- Health.cpp - Gradient norms, dead units and a fit diagnosis --------===//
#include "kiln/Health.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace kiln {

namespace {

/// The layer a parameter belongs to: its name up to the last '.'.
std::string layerOfParam(const std::string &param) {
  size_t dot = param.rfind('.');
  return dot == std::string::npos ? param : param.substr(0, dot);
}

} // namespace

HealthMonitor::HealthMonitor(const ModelInfo &info, HealthThresholds thresholds)
    : entries(info.health), limits(thresholds), values(info.health.size(), 0.0f),
      deadSum(info.health.size(), 0.0) {
  for (const HealthInfo &e : entries) {
    if (e.kind != "grad_sq") {
      layerOf.push_back(-1);
      continue;
    }
    std::string layer = layerOfParam(e.name);
    auto it = std::find(layerNames.begin(), layerNames.end(), layer);
    layerOf.push_back(static_cast<int>(it - layerNames.begin()));
    if (it == layerNames.end())
      layerNames.push_back(layer);
  }
  normSum.assign(layerNames.size(), 0.0);
  stepSquares.assign(layerNames.size(), 0.0);
  normMax.assign(layerNames.size(), 0.0);
  nonFinite.assign(layerNames.size(), false);
}

void HealthMonitor::recordStep() {
  if (!enabled())
    return;
  std::vector<double> &squares = stepSquares;
  std::fill(squares.begin(), squares.end(), 0.0);
  for (size_t e = 0; e < entries.size(); ++e) {
    if (layerOf[e] >= 0)
      squares[static_cast<size_t>(layerOf[e])] += values[e];
    else if (entries[e].units > 0)
      deadSum[e] += double(values[e]) / double(entries[e].units);
  }
  for (size_t l = 0; l < layerNames.size(); ++l) {
    double norm = std::sqrt(squares[l]);
    if (!std::isfinite(norm)) {
      nonFinite[l] = true;
      continue;
    }
    normSum[l] += norm;
    normMax[l] = std::max(normMax[l], norm);
  }
  ++steps;
}

void HealthMonitor::discardEpoch() {
  std::fill(normSum.begin(), normSum.end(), 0.0);
  std::fill(normMax.begin(), normMax.end(), 0.0);
  std::fill(deadSum.begin(), deadSum.end(), 0.0);
  std::fill(nonFinite.begin(), nonFinite.end(), false);
  steps = 0;
}

HealthReport HealthMonitor::endEpoch() {
  HealthReport report;
  if (!enabled() || steps == 0) {
    discardEpoch();
    return report;
  }
  double largest = 0;
  for (size_t l = 0; l < layerNames.size(); ++l) {
    LayerGradient g{layerNames[l], normSum[l] / double(steps), normMax[l], !nonFinite[l]};
    largest = std::max(largest, g.meanNorm);
    report.layers.push_back(g);
  }
  for (size_t e = 0; e < entries.size(); ++e)
    if (layerOf[e] < 0)
      report.relus.push_back({entries[e].name, entries[e].where, entries[e].units,
                              deadSum[e] / double(steps)});

  // A warning is raised when its problem appears, and again only after it
  // went away and came back.
  std::set<std::string> now;
  auto raise = [&](const std::string &key, std::string message) {
    now.insert(key);
    if (!active.count(key))
      report.warnings.push_back(std::move(message));
  };
  const std::string *largestLayer = nullptr;
  for (const LayerGradient &g : report.layers)
    if (g.meanNorm == largest)
      largestLayer = &g.layer;
  for (const LayerGradient &g : report.layers) {
    if (!g.finite || g.maxNorm > limits.exploding)
      raise("explode:" + g.layer,
            fmt::format("gradients of {} are exploding: norm {} (a lower learning rate, "
                        "gradient clipping or normalized inputs may help)",
                        g.layer, g.finite ? fmt::format("up to {:.2e}", g.maxNorm)
                                          : std::string("became NaN or infinite")));
    else if (largest > 0 && (g.meanNorm < limits.vanishingRelative * largest ||
                             g.meanNorm < limits.vanishingAbsolute))
      raise("vanish:" + g.layer,
            fmt::format("gradients of {} are vanishing: mean norm {:.2e} against {:.2e} in "
                        "{} (dead relu units, saturating activations such as sigmoid or tanh, or "
                        "a poor initialization cause this)",
                        g.layer, g.meanNorm, largest, largestLayer ? *largestLayer : ""));
  }
  for (const DeadUnits &d : report.relus)
    if (d.meanFraction >= limits.deadFraction)
      raise("dead:" + d.name,
            fmt::format("{:.0f}% of the {} units of {} ({}) never activated in the average "
                        "batch (a lower learning rate, leaky_relu or an initialization that does "
                        "not start units at zero may help)",
                        100 * d.meanFraction, d.units, d.name, d.where));
  active = std::move(now);
  discardEpoch();
  return report;
}

std::vector<std::pair<std::string, double>> HealthReport::columns() const {
  std::vector<std::pair<std::string, double>> out;
  for (const LayerGradient &g : layers)
    out.emplace_back("grad_norm_" + g.layer, g.finite ? g.meanNorm : NAN);
  for (const DeadUnits &d : relus)
    out.emplace_back("dead_" + d.name, d.meanFraction);
  return out;
}

std::string HealthReport::summary() const {
  std::string text;
  if (!layers.empty()) {
    text = "grad-norm";
    for (const LayerGradient &g : layers)
      text += fmt::format(" {} {:.1e}", g.layer, g.finite ? g.meanNorm : NAN);
  }
  if (!relus.empty()) {
    text += text.empty() ? "dead" : " | dead";
    for (const DeadUnits &d : relus)
      text += fmt::format(" {} {:.1f}%", d.name, 100 * d.meanFraction);
  }
  return text;
}

FitDiagnosis diagnoseFit(const History &history, double targetVariance,
                         const HealthThresholds &t) {
  FitDiagnosis out;
  if (history.epochs.empty())
    return out;
  const EpochRecord *kept = &history.epochs.back();
  for (const EpochRecord &r : history.epochs)
    if (r.epoch == history.bestEpoch)
      kept = &r;
  const bool accuracy = history.metric == "accuracy";
  const bool rSquared = history.metric == "mse" && targetVariance > 0;
  // Errors on a common scale: 1 - accuracy, 1 - R^2, or the metric itself.
  auto error = [&](double metric) {
    return accuracy ? 1 - metric : rSquared ? metric / targetVariance : metric;
  };
  auto show = [&](double metric) {
    return accuracy ? fmt::format("accuracy {:.2f}%", 100 * metric)
           : rSquared ? fmt::format("R^2 {:.3f}", 1 - metric / targetVariance)
                      : fmt::format("{} {:.4g}", history.metric, metric);
  };
  if (!std::isfinite(kept->trainMetric))
    return out;
  double trainError = error(kept->trainMetric);
  bool judgeBias = accuracy || rSquared;
  bool underFit = judgeBias && trainError > t.underfitError;
  std::string where = history.bestEpoch > 0 ? fmt::format(" at the kept epoch {}", kept->epoch)
                                            : fmt::format(" after epoch {}", kept->epoch);
  if (!std::isfinite(kept->valMetric)) {
    out.text = "no validation data, so over-fitting cannot be judged (use --val-fraction)";
    if (underFit) {
      out.verdict = FitDiagnosis::Verdict::UnderFit;
      out.text = fmt::format("looks under-fit (high bias): training {}{}; ",
                             show(kept->trainMetric), where) +
                 out.text;
    }
    return out;
  }
  double valError = error(kept->valMetric);
  double gap = valError - trainError;
  bool overFit = accuracy ? gap > t.overfitGap
                          : valError > t.overfitRatio * std::max(trainError, 1e-12);
  std::string numbers = fmt::format("training {}, validation {}{}", show(kept->trainMetric),
                                    show(kept->valMetric), where);
  const char *biasAdvice = "a larger model, more epochs or a higher learning rate may help";
  const char *varianceAdvice =
      "more data, regularization (l2, dropout) or early stopping may help";
  if (overFit && underFit) {
    out.verdict = gap > trainError ? FitDiagnosis::Verdict::OverFit
                                   : FitDiagnosis::Verdict::UnderFit;
    out.text = fmt::format("looks both under-fit (high bias) and over-fit (high variance): {}",
                           numbers);
  } else if (overFit) {
    out.verdict = FitDiagnosis::Verdict::OverFit;
    out.text = fmt::format("looks over-fit (high variance): {}; {}", numbers, varianceAdvice);
  } else if (underFit) {
    out.verdict = FitDiagnosis::Verdict::UnderFit;
    out.text = fmt::format("looks under-fit (high bias): {}; {}", numbers, biasAdvice);
  } else {
    out.verdict = FitDiagnosis::Verdict::GoodFit;
    out.text = fmt::format("looks well fit: {}", numbers);
  }
  // The curve's own evidence: validation loss rising while training loss falls.
  const EpochRecord *lowest = nullptr;
  for (const EpochRecord &r : history.epochs)
    if (std::isfinite(r.valLoss) && (!lowest || r.valLoss < lowest->valLoss))
      lowest = &r;
  const EpochRecord &last = history.epochs.back();
  if (lowest && lowest != &last && last.valLoss > 1.1 * lowest->valLoss &&
      last.trainLoss < lowest->trainLoss)
    out.text += fmt::format("; validation loss rose from {:.4f} (epoch {}) to {:.4f} (epoch {}) "
                            "while training loss fell",
                            lowest->valLoss, lowest->epoch, last.valLoss, last.epoch);
  return out;
}

} // namespace kiln
