//===- Metrics.cpp - A run's measurements as the user reads them ----------===//

#include "train/Metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace kiln {

std::string formatMetrics(const ModelInfo &info, const char *prefix, const EvalStats &stats,
                          bool loss, bool brief) {
  std::string text = loss ? fmt::format("{}-loss {:.4f}  ", prefix, stats.meanLoss()) : "";
  if (info.task == "regression" && brief)
    return text + fmt::format("{}-mse {:.4f}", prefix, stats.mse());
  if (info.task == "regression")
    return text + fmt::format("{}-mse {:.4f}  {}-mae {:.4f}", prefix, stats.mse(), prefix,
                              stats.mae());
  return text + fmt::format("{}-acc {:.2f}%", prefix, 100 * stats.accuracy());
}

double metricValue(const ModelInfo &info, const EvalStats &stats) {
  return info.task == "regression" ? stats.mse() : stats.accuracy();
}

double targetVariance(const Dataset &data) {
  if (data.targets.empty())
    return 0;
  double sum = 0, squares = 0;
  for (float t : data.targets) {
    sum += t;
    squares += double(t) * t;
  }
  double n = double(data.targets.size());
  double mean = sum / n;
  return std::max(0.0, squares / n - mean * mean);
}

} // namespace kiln
