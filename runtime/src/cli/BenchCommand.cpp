//===- BenchCommand.cpp - bench: time a training step ---------------------===//

#include "cli/Commands.h"
#include "io/Json.h"
#include "kiln/Bench.h"
#include "kiln/Distributed.h"
#include "kiln/Tensor.h"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

namespace kiln::cli {

int runBench(const std::string &, const Config &config, CompiledModel &model, std::ostream &out,
             std::ostream &err) {
  const ModelInfo &info = model.info();
  if (config.batch < 1)
    return fail(err, "bench needs a batch size (--batch B), not 'full'");
  if (Status status = checkBatchSize(info, config.batch); !status)
    return fail(err, fmt::format("--batch {}: {}: lower --batch", config.batch, status.error()));
  model.setNumThreads(static_cast<int>(config.threads));
  BenchOptions options;
  options.batch = config.batch;
  options.steps = config.benchSteps;
  options.warmup = config.warmup;
  options.seed = config.seed;
  options.hyperparams = config.hyperparams;
  options.group = config.group;
  Result<BenchResult> result = benchmarkTrainStep(model, options);
  if (!result)
    return fail(err, result.error());
  const int ranks = config.group ? config.group->size() : 1;
  if (config.json) {
    out << fmt::format("{{\"model\": {}, \"optimizer\": {}, \"batch\": {}, "
                       "\"threads\": {}, \"ranks\": {}, \"steps\": {}, \"median_ms\": {:.4f}, "
                       "\"p10_ms\": {:.4f}, \"p90_ms\": {:.4f}, \"peak_rss_mib\": {:.1f}, "
                       "\"exchange_ms\": {:.4f}, \"exchange_wait_ms\": {:.4f}}}",
                       jsonString(info.name), jsonString(info.optimizer), config.batch,
                       config.threads, ranks, result->steps, result->medianMs, result->p10Ms,
                       result->p90Ms, result->peakRssMiB, result->exchangeMs,
                       result->exchangeWaitMs)
        << std::endl;
    return ExitSuccess;
  }
  out << fmt::format("{} batch {} threads {}: median {:.3f} ms/step (p10 {:.3f}, p90 {:.3f}) "
                     "over {} steps, {:.0f} samples/s, peak memory {:.1f} MiB",
                     info.name, config.batch, config.threads, result->medianMs, result->p10Ms,
                     result->p90Ms, result->steps,
                     1000.0 * static_cast<double>(config.batch) / result->medianMs,
                     result->peakRssMiB)
      << std::endl;
  if (config.group)
    out << fmt::format("data-parallel over {} processes: summing the gradients takes {:.3f} "
                       "ms/step on its own; a step waited {:.3f} ms for it ({:.0f}% hidden "
                       "behind backward)",
                       ranks, result->exchangeMs, result->exchangeWaitMs,
                       result->exchangeMs > 0
                           ? 100 * std::max(0.0, 1 - result->exchangeWaitMs / result->exchangeMs)
                           : 0.0)
        << std::endl;
  return ExitSuccess;
}

} // namespace kiln::cli
