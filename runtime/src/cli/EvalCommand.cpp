//===- EvalCommand.cpp - eval: measure a checkpoint on a data set ---------===//

#include "cli/Commands.h"
#include "cli/DataSets.h"

#include <fmt/format.h>

#include <ostream>

namespace kiln::cli {

int runEval(const std::string &, const Config &config, CompiledModel &model, std::ostream &out,
            std::ostream &err) {
  const ModelInfo &info = model.info();
  Result<std::unique_ptr<Model>> loaded = loadCheckpointModel(model, config);
  if (!loaded)
    return fail(err, loaded.error());
  Trainer &trainer = (*loaded)->trainer();
  Result<Dataset> data = loadEvalData(config, info);
  if (!data)
    return fail(err, data.error());
  if (!trainer.normalization().mean.empty())
    if (Status status = applyStandardization(*data, trainer.normalization()); !status)
      return fail(err, status.error());
  Result<EvalStats> stats = trainer.evaluate(*data);
  if (!stats)
    return fail(err, stats.error());
  std::string metrics =
      info.task == "regression"
          ? fmt::format("mse {:.4f}  mae {:.4f}", stats->mse(), stats->mae())
          : fmt::format("accuracy {:.2f}%", 100 * stats->accuracy());
  out << fmt::format("{}: {} samples  loss {:.4f}  {}", data->source, stats->count,
                     stats->meanLoss(), metrics)
      << std::endl;
  return ExitSuccess;
}

} // namespace kiln::cli
