//===- kilnc.cpp - The Kiln model compiler driver -------------------------===//
//
//   kilnc model.kiln [-o OUT] [--emit=KIND]
//
// KIND is one of the stages, each printable for tests:
//   ast           the parsed syntax tree
//   mlir          the imported kiln dialect (@forward)
//   mlir-train    after autodiff (@train_step with kiln.param_grad, @predict)
//   mlir-fused    after the optimizer pass (in-place updates placed)
//   mlir-kernels  after partitioning into kiln.kernel fusion groups
//   halide-stmt   each kernel's lowered Halide statement
//   lib           OUT/lib<model>.a and OUT/<model>.h for a C++ app
//   exe           (default) a standalone trainer binary at OUT
//
//   kilnc --print-runtime-dirs
//
// prints the runtime headers' directory and library that lib and exe outputs are built with.
//
//===----------------------------------------------------------------------===//
#include "Codegen/AotEmitter.h"
#include "Codegen/Autotune.h"
#include "Codegen/HalideLowering.h"
#include "Frontend/Parser.h"
#include "Import/Import.h"
#include "Pipeline/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <cctype>
#include <iostream>
#include <map>

using namespace kiln;

namespace {

enum class Emit { Ast, Mlir, MlirTrain, MlirFused, MlirKernels, HalideStmt, Lib, Exe };

const std::map<std::string, Emit> kEmitKinds = {
    {"ast", Emit::Ast},           {"mlir", Emit::Mlir},
    {"mlir-train", Emit::MlirTrain}, {"mlir-fused", Emit::MlirFused},
    {"mlir-kernels", Emit::MlirKernels}, {"halide-stmt", Emit::HalideStmt},
    {"lib", Emit::Lib},           {"exe", Emit::Exe},
};

struct Options {
  std::string input;
  std::string output;
  Emit emit = Emit::Exe;
  bool keepTemps = false;
  bool noSchedule = false;
  bool noFuseUpdates = false;
  bool health = false;
  bool profile = false;
  std::string autoscheduler; // empty: the schedule templates
  bool autotune = false;
  int autotuneBatch = 128;
  int autotuneThreads = 0; // 0: Halide's default
  std::string scheduleCache; // empty: defaultScheduleCacheDir()
  std::string modelName; // overrides the file's `model` name when set
};

void usage(std::ostream &os) {
  os << "usage: kilnc MODEL.kiln [-o OUT] [--emit=KIND] [--keep-temps] [--no-schedule]\n"
        "             [--no-fuse-updates] [--health] [--profile] [--autoschedule=NAME]\n"
        "             [--autotune] [--autotune-batch=N] [--autotune-threads=T]\n"
        "             [--schedule-cache=DIR] [--model-name NAME]\n"
        "  KIND: ast, mlir, mlir-train, mlir-fused, mlir-kernels, halide-stmt, lib, exe\n"
        "  --no-fuse-updates: run optimizer updates after the whole backward pass, in\n"
        "    kernels of their own (every gradient is stored; for comparisons)\n"
        "  --health: the train step also reports per-parameter gradient norms and each\n"
        "    relu's dead units; the trainer logs them and warns (docs/cli.md)\n"
        "  --profile: build the kernels with Halide's profiler; the program prints the\n"
        "    time spent in each kernel and its stages when it exits\n"
        "  --autoschedule=NAME: schedule the kernels with one of Halide's autoschedulers,\n"
        "    Adams2019, Li2018 or Mullapudi2016, instead of Kiln's schedule templates\n"
        "  --autotune: time each kernel's candidate schedules (variants of its template\n"
        "    and the autoschedulers) on this machine and build the fastest; winners are\n"
        "    cached, so a later --autotune compile of the same kernels times nothing\n"
        "  --autotune-batch=N: the batch size kernels are timed at (default 128)\n"
        "  --autotune-threads=T: the threads kernels are timed with, as the trainer's\n"
        "    --threads (default: HL_NUM_THREADS, else one per core)\n"
        "  --schedule-cache=DIR: where --autotune keeps winners (default\n"
        "    $KILN_CACHE_DIR/schedules, else $XDG_CACHE_HOME/kiln/schedules, else\n"
        "    ~/.cache/kiln/schedules)\n"
        "  --model-name NAME: name the generated code NAME instead of the file's model name\n"
        "  exe (default): writes a trainer binary at OUT (default: the model name)\n"
        "  lib: writes OUT/lib<model>.a and OUT/<model>.h (OUT: a directory)\n"
        "  --print-runtime-dirs: print the runtime include directory and library that lib\n"
        "    and exe outputs are compiled and linked with, one per line: those installed\n"
        "    beside kilnc (../include, ../lib) when present, else the build tree's\n";
}

/// A C identifier: letters, digits and '_', not starting with a digit.
bool isIdentifier(const std::string &text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0])))
    return false;
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

/// Reads `value` of `flag` as a whole number from 1 to `most` into `out`;
/// prints an error and returns false otherwise.
bool parseCount(const char *flag, const std::string &value, long most, int &out) {
  char *end = nullptr;
  long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n < 1 || n > most) {
    std::cerr << "kilnc: error: '" << flag << "' needs a whole number from 1 to " << most
              << ", not '" << value << "'\n";
    return false;
  }
  out = static_cast<int>(n);
  return true;
}

/// Parses the command line; prints an error and returns false on bad flags.
bool parseArgs(int argc, char **argv, Options &opts) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      usage(std::cout);
      std::exit(0);
    }
    if (arg == "--print-runtime-dirs") {
      const RuntimeLocation &runtime = runtimeLocation();
      std::cout << runtime.includeDir << "\n" << runtime.library << "\n";
      std::exit(0);
    }
    if (arg == "-o") {
      if (i + 1 >= argc) {
        std::cerr << "kilnc: error: '-o' needs a path\n";
        return false;
      }
      opts.output = argv[++i];
    } else if (arg.rfind("--emit=", 0) == 0) {
      auto it = kEmitKinds.find(arg.substr(7));
      if (it == kEmitKinds.end()) {
        std::cerr << "kilnc: error: unknown --emit kind '" << arg.substr(7)
                << "' (expected ast, mlir, mlir-train, mlir-fused, mlir-kernels, halide-stmt, "
                   "lib or exe)\n";
        return false;
      }
      opts.emit = it->second;
    } else if (arg == "--keep-temps") {
      opts.keepTemps = true;
    } else if (arg == "--no-schedule") {
      opts.noSchedule = true;
    } else if (arg == "--no-fuse-updates") {
      opts.noFuseUpdates = true;
    } else if (arg == "--health") {
      opts.health = true;
    } else if (arg == "--profile") {
      opts.profile = true;
    } else if (arg.rfind("--autoschedule=", 0) == 0) {
      std::string name = arg.substr(15);
      const std::vector<std::string> &names = autoschedulerNames();
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        std::cerr << "kilnc: error: unknown autoscheduler '" << name
                  << "' (expected Adams2019, Li2018 or Mullapudi2016)\n";
        return false;
      }
      opts.autoscheduler = name;
    } else if (arg == "--autotune") {
      opts.autotune = true;
    } else if (arg.rfind("--autotune-batch=", 0) == 0) {
      if (!parseCount("--autotune-batch", arg.substr(17), 65536, opts.autotuneBatch))
        return false;
    } else if (arg.rfind("--autotune-threads=", 0) == 0) {
      if (!parseCount("--autotune-threads", arg.substr(19), 256, opts.autotuneThreads))
        return false;
    } else if (arg.rfind("--schedule-cache=", 0) == 0) {
      opts.scheduleCache = arg.substr(17);
      if (opts.scheduleCache.empty()) {
        std::cerr << "kilnc: error: '--schedule-cache' needs a directory\n";
        return false;
      }
    } else if (arg == "--model-name") {
      if (i + 1 >= argc || !isIdentifier(argv[i + 1])) {
        std::cerr << "kilnc: error: '--model-name' needs a name made of letters, digits and "
                     "'_', not starting with a digit\n";
        return false;
      }
      opts.modelName = argv[++i];
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << "kilnc: error: unknown option '" << arg << "'\n";
      return false;
    } else if (opts.input.empty()) {
      opts.input = arg;
    } else {
      std::cerr << "kilnc: error: more than one input file ('" << opts.input << "' and '"
                << arg << "')\n";
      return false;
    }
  }
  if (opts.autotune && (!opts.autoscheduler.empty() || opts.noSchedule)) {
    std::cerr << "kilnc: error: '--autotune' chooses schedules itself; it cannot be combined "
                 "with '"
              << (opts.noSchedule ? "--no-schedule" : "--autoschedule") << "'\n";
    return false;
  }
  if (opts.input.empty()) {
    std::cerr << "kilnc: error: no model file given\n";
    usage(std::cerr);
    return false;
  }
  return true;
}

int compile(const Options &opts) {
  SourceFile file("", "");
  std::string readError;
  if (!SourceFile::read(opts.input, file, readError)) {
    std::cerr << "kilnc: error: " << readError << "\n";
    return 1;
  }
  DiagnosticEngine diags(file, std::cerr);
  std::optional<ast::Model> model = parseModel(file, diags);
  if (!model)
    return 1;
  if (opts.emit == Emit::Ast) {
    ast::printModel(*model, std::cout);
    return 0;
  }

  mlir::MLIRContext context;
  // Users wrote a model file, not IR: never append the op to a diagnostic.
  context.printOpOnDiagnostic(false);
  // MLIR diagnostics point into the model file, with its line and a caret.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(file.text(), file.path()),
                               llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context, llvm::errs());
  mlir::OwningOpRef<mlir::ModuleOp> module = importModel(*model, diags, context);
  if (!module)
    return 1;
  if (!opts.modelName.empty())
    (*module)->setAttr("kiln.model", mlir::StringAttr::get(&context, opts.modelName));
  if (opts.emit == Emit::Mlir) {
    module->print(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }

  PipelineOptions pipelineOptions;
  pipelineOptions.stopAfter = opts.emit == Emit::MlirTrain   ? PipelineStage::Train
                              : opts.emit == Emit::MlirFused ? PipelineStage::Fused
                                                             : PipelineStage::Kernels;
  pipelineOptions.fuseUpdates = !opts.noFuseUpdates;
  pipelineOptions.trainingHealth = opts.health;
  mlir::PassManager pm(&context);
  buildKilnPipeline(pm, pipelineOptions);
  if (mlir::failed(pm.run(*module)))
    return 1;
  if (opts.emit == Emit::MlirTrain || opts.emit == Emit::MlirFused ||
      opts.emit == Emit::MlirKernels) {
    module->print(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }

  CodegenOptions codegen;
  codegen.schedule = !opts.noSchedule;
  codegen.autoscheduler = opts.autoscheduler;
  if (opts.autotune) {
    AutotuneOptions tune;
    tune.cacheDir = opts.scheduleCache.empty() ? defaultScheduleCacheDir() : opts.scheduleCache;
    tune.batch = opts.autotuneBatch;
    tune.threads = opts.autotuneThreads;
    tune.log = &std::cerr;
    if (std::string err = autotuneSchedules(*module, codegen, tune); !err.empty()) {
      std::cerr << "kilnc: error: " << err << "\n";
      return 1;
    }
  }
  mlir::FailureOr<LoweredModel> lowered = lowerToHalide(*module, codegen);
  if (mlir::failed(lowered))
    return 1;
  if (opts.emit == Emit::HalideStmt) {
    std::string path = opts.output.empty() ? "/dev/stdout" : opts.output;
    std::string err = writeHalideStmt(*lowered, path);
    if (!err.empty()) {
      std::cerr << "kilnc: error: " << err << "\n";
      return 1;
    }
    return 0;
  }

  llvm::SmallString<128> workDir;
  if (llvm::sys::fs::createUniqueDirectory("kilnc-" + lowered->name, workDir)) {
    std::cerr << "kilnc: error: cannot create a temporary directory\n";
    return 1;
  }
  AotPaths paths;
  paths.workDir = workDir.str().str();
  paths.profile = opts.profile;
  if (const char *cxx = std::getenv("CXX"))
    paths.cxx = cxx;
  // An autoscheduled kernel that Halide cannot generate falls back to the
  // templates' schedule: the same module lowered again with them.
  mlir::FailureOr<LoweredModel> templates = mlir::failure();
  if (!opts.autoscheduler.empty()) {
    CodegenOptions plain = codegen;
    plain.autoscheduler.clear();
    templates = lowerToHalide(*module, plain);
    if (mlir::failed(templates))
      return 1;
  }
  std::string err = emitModelSources(*lowered, paths,
                                     mlir::succeeded(templates) ? &*templates : nullptr);
  if (err.empty()) {
    if (opts.emit == Emit::Lib) {
      std::string dir = opts.output.empty() ? "." : opts.output;
      llvm::sys::fs::create_directories(dir);
      err = archiveLibrary(*lowered, paths, dir);
    } else {
      err = linkExecutable(*lowered, paths, opts.output.empty() ? lowered->name : opts.output);
    }
  }
  if (!opts.keepTemps)
    llvm::sys::fs::remove_directories(paths.workDir);
  else
    std::cerr << "kilnc: kept intermediate files in " << paths.workDir << "\n";
  if (!err.empty()) {
    std::cerr << "kilnc: error: " << err << "\n";
    return 1;
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options opts;
  if (!parseArgs(argc, argv, opts))
    return 1;
  try {
    return compile(opts);
  } catch (const Halide::Error &e) {
    std::cerr << "kilnc: error: code generation failed: " << e.what() << "\n";
    return 1;
  }
}
