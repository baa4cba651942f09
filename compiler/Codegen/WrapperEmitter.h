//===- WrapperEmitter.h - A lowered model's generated sources ---*- C++ -*-===//
//
// Writes the C++ a user links beside the kernels' objects (KernelObjects.h):
// a class per model implementing kiln::CompiledModel (header and source) that
// calls the kernels, and, for an executable, a main() that hands the model to
// the runtime's command line. The toolchain driver (ToolchainDriver.h)
// compiles and links them.
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
};

/// The C++ class name for a model name (mnist_mlp -> MnistMlp).
std::string modelClassName(const std::string &modelName);

/// Writes `<model>.h` and `<model>.cpp` into paths.workDir, and with `withMain`
/// a trainer's main() into mainSourcePath() (one translation unit with the
/// wrapper). Returns an empty string on success, else an error message.
std::string emitWrapperSources(const LoweredModel &model, const AotPaths &paths,
                               bool withMain);
std::string mainSourcePath(const LoweredModel &model, const AotPaths &paths);

/// Prints each kernel's lowered Halide statement to `path`.
std::string writeHalideStmt(LoweredModel &model, const std::string &path,
                            const Halide::Target &target);

} // namespace kiln

#endif // KILN_CODEGEN_WRAPPEREMITTER_H
