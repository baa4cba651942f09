//===- Launcher.h - Whether mpirun or srun started this process -*- C++ -*-===//
//
// Read from the environment a launcher sets for each process it starts
// (Open MPI's mpirun, a PMI or PMIx launcher such as Slurm's srun): the
// runtime needs no MPI to know it, and both the data-parallel main()
// (Kiln::Distributed) and a plain trainer's (which refuses to run as one of
// several) ask.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CORE_LAUNCHER_H
#define KILN_CORE_LAUNCHER_H

#include <cstdint>

namespace kiln {

/// Whether a launcher started this process as one of a group.
bool startedByLauncher();

/// The processes the launcher started, where it says (0 where it does not).
int64_t launchedProcesses();

} // namespace kiln

#endif // KILN_CORE_LAUNCHER_H
