//===- AotEmitter.h - Ahead-of-time output of a lowered model ---*- C++ -*-===//
//
// Writes what a user links: one object per kernel plus the Halide runtime
// (compiled for the host CPU), a C++ class per model implementing
// kiln::CompiledModel (header and source), and, for an executable, a main()
// that hands the model to the runtime's command line.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_AOTEMITTER_H
#define KILN_CODEGEN_AOTEMITTER_H

#include "Codegen/HalideLowering.h"

#include <string>

namespace kiln {

struct AotPaths {
  std::string workDir;    // where objects and sources are written
  std::string cxx = "c++"; // compiler used for the wrapper and the final link
  /// Build the kernels with Halide's profiler: the program prints each
  /// kernel's time, and its stages', when it exits.
  bool profile = false;
};

/// What generated code is compiled and linked against: the directory holding the runtime's
/// `kiln/*.h` and the runtime's static library.
struct RuntimeLocation {
  std::string includeDir;
  std::string library;
};

/// The runtime installed beside this kilnc (`<exe dir>/../include` and `<exe dir>/../lib` in
/// the default layout) when both its headers and library are there, else the source and build
/// trees kilnc was built from (as when it runs from the build tree). Resolved once.
const RuntimeLocation &runtimeLocation();

/// The C++ class name for a model name (mnist_mlp -> MnistMlp).
std::string modelClassName(const std::string &modelName);

/// Writes kernels, runtime object, `<model>.h` and `<model>.cpp` into
/// paths.workDir. Returns an empty string on success, else an error message.
/// With `fallback` (the same module lowered with the schedule templates), a
/// kernel that fails to compile as scheduled (an autoscheduler's schedule
/// Halide cannot generate) is compiled from the fallback instead, with a
/// warning on stderr.
std::string emitModelSources(LoweredModel &model, const AotPaths &paths,
                             LoweredModel *fallback = nullptr);

/// Builds an executable at `output` from what emitModelSources wrote.
std::string linkExecutable(const LoweredModel &model, const AotPaths &paths,
                           const std::string &output);

/// Builds `<dir>/lib<model>.a` and copies `<model>.h` next to it.
std::string archiveLibrary(const LoweredModel &model, const AotPaths &paths,
                           const std::string &dir);

/// Prints each kernel's lowered Halide statement to `path`.
std::string writeHalideStmt(LoweredModel &model, const std::string &path);

} // namespace kiln

#endif // KILN_CODEGEN_AOTEMITTER_H
