//===- ToolchainDriver.h - Compile, archive and link a model ----*- C++ -*-===//
//
// Turns what the wrapper emitter wrote (WrapperEmitter.h) and the kernels'
// objects (KernelObjects.h) into a trainer executable or a library and header
// for a C++ app, with the system's C++ compiler and archiver, against Kiln's
// runtime.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_TOOLCHAINDRIVER_H
#define KILN_CODEGEN_TOOLCHAINDRIVER_H

#include "Codegen/WrapperEmitter.h"

#include <string>

namespace kiln {

/// What generated code is compiled and linked against: the directory holding the runtime's
/// `kiln/*.h` and the runtime's static library.
struct RuntimeLocation {
  std::string includeDir;
  std::string library;
  /// Kiln::Distributed (data-parallel trainers); empty when Kiln was built
  /// without MPI.
  std::string distributedLibrary;
};

/// The runtime installed beside this kilnc (`<exe dir>/../include` and `<exe dir>/../lib` in
/// the default layout) when both its headers and library are there, else the source and build
/// trees kilnc was built from (as when it runs from the build tree). Resolved once.
const RuntimeLocation &runtimeLocation();

class Subprocess;

/// Starts compiling what emitWrapperSources wrote (for an executable: the
/// wrapper and main() together; for a library: position-independent) to the
/// wrapper's object. Returns an error message, or "". `compile.wait()` tells
/// how it ended.
std::string startWrapperCompile(const LoweredModel &model, const AotPaths &paths,
                                bool executable, Subprocess &compile);

/// Links the wrapper's object, the kernels' objects and the runtime into an
/// executable at `output`.
std::string linkExecutable(const LoweredModel &model, const AotPaths &paths,
                           const std::string &output);

/// Archives the same objects as `<dir>/lib<model>.a` and copies `<model>.h`
/// next to it.
std::string archiveLibrary(const LoweredModel &model, const AotPaths &paths,
                           const std::string &dir);

} // namespace kiln

#endif // KILN_CODEGEN_TOOLCHAINDRIVER_H
