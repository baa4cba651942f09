//===- ExportCommand.cpp - export: a checkpoint's weights for PyTorch -----===//

#include "cli/Commands.h"
#include "io/Export.h"

#include <fmt/format.h>

#include <ostream>

namespace kiln::cli {

int runExport(const std::string &, const Config &config, CompiledModel &model, std::ostream &out,
              std::ostream &err) {
  Result<std::unique_ptr<Model>> loaded = loadCheckpointModel(model, config);
  if (!loaded)
    return fail(err, loaded.error());
  Result<ExportFormat> format = parseExportFormat(config.format);
  Result<WeightLayout> layout = parseWeightLayout(config.layout);
  if (!format || !layout)
    return fail(err, !format ? format.error() : layout.error());
  if (Status status = exportWeights(model.info(), (*loaded)->parameters().pointers(), config.output,
                                    *format, *layout);
      !status)
    return fail(err, status.error());
  out << fmt::format("exported {} parameters of '{}' to {} ({}, {} layout)",
                     model.info().params.size(), model.info().name, config.output, config.format,
                     config.layout)
      << std::endl;
  return ExitSuccess;
}

} // namespace kiln::cli
