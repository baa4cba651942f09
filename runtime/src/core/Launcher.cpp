//===- Launcher.cpp - Whether mpirun or srun started this process ---------===//
#include "core/Launcher.h"
#include "core/ParseNumber.h"

#include <cstdlib>
#include <optional>

namespace kiln {

bool startedByLauncher() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name))
      return true;
  return false;
}

int64_t launchedProcesses() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char *text = std::getenv(name))
      if (std::optional<int64_t> size = parseNumber<int64_t>(text); size && *size > 0)
        return *size;
  return 0;
}

} // namespace kiln
