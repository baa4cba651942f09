//===- ToolchainDriver.cpp - Compile, archive and link generated code -----===//
//
// Runs the C++ compiler on what WrapperEmitter.cpp wrote, against the
// runtime found by runtimeLocation(), and links a trainer executable or
// archives a library with the kernels' objects.
//
//===----------------------------------------------------------------------===//
#include "Codegen/ToolchainDriver.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "Codegen/Subprocess.h"

#include <cstdio>
#include <cstdlib>

using namespace kiln;

namespace {

std::string join(const std::string &dir, const std::string &file) { return dir + "/" + file; }

std::string wrapperObject(const LoweredModel &model, const AotPaths &paths) {
  return join(paths.workDir, model.name + "_wrapper.o");
}

/// The kernels' objects and Halide's runtime, as compileKernelObjects wrote
/// them, and the wrapper's.
std::vector<std::string> objectFiles(const LoweredModel &model, const AotPaths &paths) {
  std::vector<std::string> objects;
  for (const LoweredKernel &k : model.kernels)
    objects.push_back(join(paths.workDir, k.name + ".o"));
  objects.push_back(join(paths.workDir, "halide_runtime.o"));
  objects.push_back(wrapperObject(model, paths));
  return objects;
}

/// The C++ compiler and the flags every compile and link of generated code
/// takes: a build with sanitizers (KILN_SANITIZE) has an instrumented runtime
/// library, which the generated code must be compiled and linked to match.
std::vector<std::string> linkFlags(const AotPaths &paths) {
  std::vector<std::string> flags{paths.cxx};
  if (std::string sanitize = KILN_SANITIZE_FLAGS; !sanitize.empty())
    flags.push_back(sanitize);
  return flags;
}

/// The flags every generated source is compiled with.
/// -O1: the wrapper is glue around the kernels (buffer descriptions and calls);
/// -O2 took 2.6 times as long to compile the VGG-style CNN's (3.0 s against
/// 1.15 s) and made no step faster (the MNIST MLP at batch 16: 0.095-0.100 ms
/// either way).
std::vector<std::string> compileFlags(const AotPaths &paths) {
  std::vector<std::string> flags = linkFlags(paths);
  flags.insert(flags.end(), {"-std=c++17", "-O1", "-I" + paths.workDir,
                             "-I" + runtimeLocation().includeDir, "-I" KILN_HALIDE_INCLUDE_DIR});
  return flags;
}

} // namespace

const RuntimeLocation &kiln::runtimeLocation() {
  static const RuntimeLocation location = [] {
    namespace fs = llvm::sys::fs;
    namespace path = llvm::sys::path;
    // getMainExecutable reads /proc/self/exe (symlinks resolved); the address of any function
    // in the program serves where it must look the executable up another way.
    std::string exe =
        fs::getMainExecutable("kilnc", reinterpret_cast<void *>(&kiln::runtimeLocation));
    llvm::SmallString<256> includeDir(path::parent_path(exe));
    llvm::SmallString<256> library(includeDir);
    path::append(includeDir, KILN_INSTALL_INCLUDEDIR_FROM_BINDIR);
    path::append(library, KILN_INSTALL_LIBDIR_FROM_BINDIR, path::filename(KILN_RUNTIME_LIBRARY));
    path::remove_dots(includeDir, /*remove_dot_dot=*/true);
    path::remove_dots(library, /*remove_dot_dot=*/true);
    llvm::SmallString<256> header(includeDir);
    path::append(header, "kiln", "CompiledModel.h");
    // Kiln::Distributed sits beside the runtime library, when Kiln has MPI.
    auto besides = [](llvm::StringRef runtime) -> std::string {
      if (llvm::StringRef(KILN_DISTRIBUTED_LIBRARY).empty())
        return "";
      llvm::SmallString<256> path(path::parent_path(runtime));
      path::append(path, path::filename(KILN_DISTRIBUTED_LIBRARY));
      return path.str().str();
    };
    if (!exe.empty() && fs::exists(header) && fs::exists(library))
      return RuntimeLocation{includeDir.str().str(), library.str().str(), besides(library)};
    return RuntimeLocation{KILN_RUNTIME_INCLUDE_DIR, KILN_RUNTIME_LIBRARY,
                           besides(KILN_RUNTIME_LIBRARY)};
  }();
  return location;
}

std::string kiln::startWrapperCompile(const LoweredModel &model, const AotPaths &paths,
                                      bool executable, Subprocess &compile) {
  std::vector<std::string> argv = compileFlags(paths);
  if (!executable)
    argv.push_back("-fPIC");
  argv.insert(argv.end(), {"-c",
                           executable ? mainSourcePath(model, paths)
                                      : join(paths.workDir, model.name + ".cpp"),
                           "-o", wrapperObject(model, paths)});
  return compile.start(argv);
}

std::string kiln::linkExecutable(const LoweredModel &model, const AotPaths &paths,
                                 const std::string &output) {
  std::vector<std::string> argv = linkFlags(paths);
  for (const std::string &o : objectFiles(model, paths))
    argv.push_back(o);
  if (model.dataParallel) {
    if (runtimeLocation().distributedLibrary.empty())
      return "this Kiln was built without MPI: data-parallel trainers cannot be linked "
             "(install openmpi-bin libopenmpi-dev and rebuild Kiln)";
    argv.push_back(runtimeLocation().distributedLibrary);
  }
  argv.push_back(runtimeLocation().library);
  if (model.dataParallel)
    for (llvm::StringRef lib : llvm::split(KILN_MPI_LINK_LIBRARIES, ','))
      if (!lib.empty())
        argv.push_back(lib.str());
  argv.insert(argv.end(), {"-lz", "-lpthread", "-ldl", "-o", output});
  return runCommand(argv);
}

std::string kiln::archiveLibrary(const LoweredModel &model, const AotPaths &paths,
                                 const std::string &dir) {
  std::string archive = join(dir, "lib" + model.name + ".a");
  std::remove(archive.c_str());
  std::vector<std::string> ar{"ar", "rcs", archive};
  for (const std::string &o : objectFiles(model, paths))
    ar.push_back(o);
  if (std::string err = runCommand(ar); !err.empty())
    return err;
  return runCommand({"cp", join(paths.workDir, model.name + ".h"), join(dir, model.name + ".h")});
}
