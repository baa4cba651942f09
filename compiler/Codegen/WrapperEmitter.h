//===- WrapperEmitter.h - A lowered model's generated sources ---*- C++ -*-===//
//
// Writes what a user links: one object per kernel plus the Halide runtime
// (compiled for the host CPU), a C++ class per model implementing
// kiln::CompiledModel (header and source), and, for an executable, a main()
// that hands the model to the runtime's command line. The toolchain driver
// (ToolchainDriver.h) compiles and links them.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_WRAPPEREMITTER_H
#define KILN_CODEGEN_WRAPPEREMITTER_H

#include "Codegen/LoweredModel.h"

#include <string>

namespace kiln {

struct AotPaths {
  std::string workDir;    // where objects and sources are written
  std::string cxx = "c++"; // compiler used for the wrapper and the final link
  /// Build the kernels with Halide's profiler: the program prints each
  /// kernel's time, and its stages', when it exits.
  bool profile = false;
};

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

/// Writes a trainer's main() into mainSourcePath(): the model handed to the
/// runtime's command line. Returns an error message, or "".
std::string emitMainSource(const LoweredModel &model, const AotPaths &paths);
std::string mainSourcePath(const LoweredModel &model, const AotPaths &paths);

/// Prints each kernel's lowered Halide statement to `path`.
std::string writeHalideStmt(LoweredModel &model, const std::string &path);

} // namespace kiln

#endif // KILN_CODEGEN_WRAPPEREMITTER_H
