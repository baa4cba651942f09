//===- KernelObjects.h - Kernels compiled to objects, in parallel -*- C++ -*-===//
//
// Compiles each lowered kernel, and Halide's runtime, to an object file in a
// work directory: the objects an ObjectCache holds are copied from it, the
// rest are compiled by worker processes forked from kilnc (each a copy of the
// lowered pipelines; a worker that crashes takes down only itself), and what
// was compiled is stored back in the cache.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_KERNELOBJECTS_H
#define KILN_CODEGEN_KERNELOBJECTS_H

#include "Codegen/LoweredModel.h"

#include <functional>
#include <string>
#include <vector>

namespace kiln {

struct KernelObjectOptions {
  /// The targets the kernels are built for, the preferred first: with
  /// several, each kernel's object holds a variant per target and picks the
  /// first this CPU can run, when first called. Halide's runtime is built
  /// once, as halide_runtime.o, for the last (the one every CPU of the list
  /// runs).
  std::vector<Halide::Target> targets;
  /// Worker processes; 1 compiles in kilnc's own process.
  int jobs = 1;
  /// Where compiled objects are kept between compiles (ObjectCache); empty:
  /// no cache.
  std::string cacheDir;
  /// Called now and then while workers compile: objects finished, of all.
  std::function<void(int done, int total)> progress;
};

/// How one object came about.
struct ObjectTime {
  std::string name;    // the kernel's name, or "halide_runtime"
  double seconds = 0;  // compiling it (0 when it came from the cache)
  bool cached = false; // copied from the cache
};

struct KernelObjectReport {
  std::vector<ObjectTime> objects; // the kernels in model order, then the runtime
  int workers = 0;                 // processes that compiled (0: all were cached)
};

/// The number of cores this process may run on.
int availableCores();

/// Worker processes when not told: one per core, but no more than one per
/// GiB of memory (a worker compiling a large convolution takes a few hundred
/// MiB).
int defaultCompileJobs();

/// Writes `<workDir>/<kernel name>.o` for every kernel of `model` and
/// `<workDir>/halide_runtime.o`. With `fallback` (the same module lowered with
/// the schedule templates), a kernel whose schedule Halide cannot generate is
/// compiled from the fallback instead, with a warning on stderr. Returns an
/// error message, or "".
std::string compileKernelObjects(LoweredModel &model, LoweredModel *fallback,
                                 const std::string &workDir,
                                 const KernelObjectOptions &options, KernelObjectReport &report);

/// Keeps one kernel of each set that would compile to the same code but for
/// names (the same ops on buffers of the same shapes, scheduled alike: the
/// forward kernels of predict and evaluate, the layers of a uniform stack),
/// and points the other calls at its symbol (KernelCall::symbol). Kernels
/// are removed from `fallback` (index for index) as from `model`. Returns how
/// many kernels were removed.
int shareIdenticalKernels(LoweredModel &model, LoweredModel *fallback);

/// What a kernel's object is stored under in the cache: a hash of everything
/// the object depends on (see KernelObjects.cpp).
std::string kernelObjectKey(const LoweredKernel &kernel,
                            const std::vector<Halide::Target> &targets);

} // namespace kiln

#endif // KILN_CODEGEN_KERNELOBJECTS_H
