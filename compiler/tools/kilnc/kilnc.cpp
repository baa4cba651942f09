//===- kilnc.cpp - The Kiln model compiler driver -------------------------===//
//
//   kilnc model.kiln [-o OUT] [--emit=KIND] [flags]
//
// KIND is one of the stages (kEmitKinds), each printable for tests: the syntax
// tree, the kiln dialect after import, autodiff, the optimizer and
// partitioning, each kernel's Halide statement, a library or (the default) a
// trainer binary. The flags are one table (flagTable): name, value, help and
// what each sets; `kilnc --help` is generated from it.
//
//===----------------------------------------------------------------------===//
#include "Targets.h"

#include "Codegen/HalideLowering.h"
#include "Codegen/KernelObjects.h"
#include "Codegen/ObjectCache.h"
#include "Codegen/ScheduleTuner.h"
#include "Codegen/Subprocess.h"
#include "Codegen/ToolchainDriver.h"
#include "Codegen/WrapperEmitter.h"
#include "Frontend/Parser.h"
#include "Import/Import.h"
#include "Kiln/IR/KilnDialect.h"
#include "Pipeline/PhaseTimer.h"
#include "Pipeline/Pipeline.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <new>
#include <optional>
#include <sstream>
#include <unistd.h>

using namespace kiln;

namespace {

enum class Emit { Ast, Mlir, Summary, MlirTrain, MlirFused, MlirKernels, HalideStmt, Lib, Exe };

/// The stages --emit writes, in pipeline order.
struct EmitKind {
  const char *name;
  Emit emit;
  const char *help;
};
const EmitKind kEmitKinds[] = {
    {"ast", Emit::Ast, "the parsed syntax tree"},
    {"mlir", Emit::Mlir, "the imported kiln dialect (@forward)"},
    {"summary", Emit::Summary, "a table of layers, output shapes, parameters (OUT, else stdout)"},
    {"mlir-train", Emit::MlirTrain, "after autodiff (@train_step with kiln.param_grad)"},
    {"mlir-fused", Emit::MlirFused, "after the optimizer pass (in-place updates placed)"},
    {"mlir-kernels", Emit::MlirKernels, "after partitioning into kiln.kernel fusion groups"},
    {"halide-stmt", Emit::HalideStmt, "each kernel's lowered Halide statement (OUT, else stdout)"},
    {"lib", Emit::Lib, "OUT/lib<model>.a and OUT/<model>.h (OUT: a directory)"},
    {"exe", Emit::Exe, "(default) a trainer binary at OUT (default: the model name)"},
};

struct Options {
  std::string input;
  std::string output;
  Emit emit = Emit::Exe;
  bool keepTemps = false;
  bool noSchedule = false;
  bool noFuseUpdates = false;
  bool noKernelSharing = false;
  bool health = false;
  bool dataParallel = false;
  bool syncBatchNorm = false;
  double bucketMiB = 4;
  bool profile = false;
  std::string autoscheduler; // empty: the schedule templates
  bool autotune = false;
  int autotuneBatch = 128;
  int autotuneThreads = 0; // 0: Halide's default
  std::string scheduleCache; // empty: defaultScheduleCacheDir()
  std::string modelName; // overrides the file's `model` name when set
  std::string target;     // a Halide CPU target string; empty: this machine ("host")
  int jobs = 0;           // processes compiling kernels; 0: one per core
  bool noCache = false;
  std::string kernelCache; // empty: kilnCacheDir("kernels")
  bool time = false;
  bool help = false;
  bool printRuntimeDirs = false;
  bool clearCache = false;
};

/// Reads a flag's value into the options; returns an error message.
using FlagSetter = std::function<std::optional<std::string>(Options &, const std::string &)>;

/// One flag of kilnc. Its value, when it takes one, is joined (`--emit=KIND`)
/// or the next argument (`-o OUT`).
struct Flag {
  std::string name;      // "--emit"
  std::string valueName; // "KIND"; empty for a flag that takes no value
  bool joined;           // --flag=VALUE rather than --flag VALUE
  std::string help;
  FlagSetter set;
  /// What a value given as the next argument must be, for the message when
  /// there is none ("'-o' needs a path").
  std::string needs = "";
  /// Not a compile option but what kilnc does instead (--help): left out of
  /// the usage line.
  bool mode = false;
};

FlagSetter setTrue(bool Options::*field) {
  return [field](Options &opts, const std::string &) -> std::optional<std::string> {
    opts.*field = true;
    return std::nullopt;
  };
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

/// Reads a whole number from 1 to `most` into `field`.
FlagSetter setCount(const char *flag, long most, int Options::*field) {
  return [flag, most, field](Options &opts,
                             const std::string &value) -> std::optional<std::string> {
    char *end = nullptr;
    long n = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || n < 1 || n > most)
      return "'" + std::string(flag) + "' needs a whole number from 1 to " +
             std::to_string(most) + ", not '" + value + "'";
    opts.*field = static_cast<int>(n);
    return std::nullopt;
  };
}

/// Reads a directory (any non-empty path) into `field`.
FlagSetter setDirectory(const char *flag, std::string Options::*field) {
  return [flag, field](Options &opts, const std::string &value) -> std::optional<std::string> {
    if (value.empty())
      return "'" + std::string(flag) + "' needs a directory";
    opts.*field = value;
    return std::nullopt;
  };
}

const char *const kIdentifier = "a name made of letters, digits and '_', not starting with a digit";

/// "a, b or c".
std::string listOf(const std::vector<std::string> &words) {
  std::string list;
  for (size_t i = 0; i < words.size(); ++i)
    list += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
  return list;
}

/// Every flag, in the order the usage lists them.
std::vector<Flag> flagTable() {
  std::vector<std::string> kinds;
  for (const EmitKind &kind : kEmitKinds)
    kinds.push_back(kind.name);
  std::string kindList = listOf(kinds), names = listOf(autoschedulerNames());
  return {
      {"-o", "OUT", false, "where the output goes (see --emit)",
       [](Options &opts, const std::string &value) -> std::optional<std::string> {
         opts.output = value;
         return std::nullopt;
       },
       "a path"},
      {"--emit", "KIND", true, "the stage to write, one of the KINDs above (default exe)",
       [kindList](Options &opts, const std::string &value) -> std::optional<std::string> {
         for (const EmitKind &kind : kEmitKinds)
           if (value == kind.name) {
             opts.emit = kind.emit;
             return std::nullopt;
           }
         return "unknown --emit kind '" + value + "' (expected " + kindList + ")";
       }},
      {"--keep-temps", "", false,
       "keep the kernels' objects and the generated sources, and print where they are",
       setTrue(&Options::keepTemps)},
      {"--no-schedule", "", false,
       "apply no schedules, Halide's defaults instead (for comparisons)",
       setTrue(&Options::noSchedule)},
      {"--no-fuse-updates", "", false,
       "run optimizer updates after the whole backward pass, in kernels of their own (every "
       "gradient is stored; for comparisons)",
       setTrue(&Options::noFuseUpdates)},
      {"--no-kernel-sharing", "", false,
       "compile every kernel on its own, also those that differ from another only in names "
       "(the layers of a uniform stack; predict's and evaluate's forward passes), which "
       "otherwise share one object (for comparisons)",
       setTrue(&Options::noKernelSharing)},
      {"--health", "", false,
       "the train step also reports per-parameter gradient norms and each relu's dead units; "
       "the trainer logs them and warns (docs/cli.md)",
       setTrue(&Options::health)},
      {"--data-parallel", "", false,
       "train over the processes of an MPI run (mpirun -np N ./model train ...): each trains "
       "on its part of every batch and the gradients are summed over all of them, bucket by "
       "bucket while backward runs, before the update (docs/distributed.md); the trainer also "
       "runs as one process without mpirun",
       [](Options &opts, const std::string &) -> std::optional<std::string> {
         if (runtimeLocation().distributedLibrary.empty())
           return std::string("'--data-parallel' needs MPI, which this Kiln was built without: "
                              "install openmpi-bin and libopenmpi-dev and rebuild Kiln");
         opts.dataParallel = true;
         return std::nullopt;
       }},
      {"--sync-batch-norm", "", false,
       "with --data-parallel: batch normalization averages its batch statistics over the "
       "processes, as one process training on the global batch would compute them (default: "
       "each process normalizes by its own part's statistics, as PyTorch DDP does)",
       setTrue(&Options::syncBatchNorm)},
      {"--bucket-mib", "N", true,
       "with --data-parallel: gradients are summed in buckets of at least N MiB (a decimal "
       "number, e.g. 0.5), in the order backward finishes them (default 4)",
       [](Options &opts, const std::string &value) -> std::optional<std::string> {
         char *end = nullptr;
         double mib = std::strtod(value.c_str(), &end);
         if (value.empty() || *end != '\0' || !(mib >= 1.0 / 256 && mib <= 1024))
           return "'--bucket-mib' needs a number of MiB from 0.004 to 1024, not '" + value + "'";
         opts.bucketMiB = mib;
         return std::nullopt;
       }},
      {"--profile", "", false,
       "build the kernels with Halide's profiler; the program prints the time spent in each "
       "kernel and its stages when it exits",
       setTrue(&Options::profile)},
      {"--autoschedule", "NAME", true,
       "schedule the kernels with one of Halide's autoschedulers, " + names +
           ", instead of Kiln's schedule templates",
       [names](Options &opts, const std::string &value) -> std::optional<std::string> {
         const std::vector<std::string> &known = autoschedulerNames();
         if (std::find(known.begin(), known.end(), value) == known.end())
           return "unknown autoscheduler '" + value + "' (expected " + names + ")";
         opts.autoscheduler = value;
         return std::nullopt;
       }},
      {"--autotune", "", false,
       "time each kernel's candidate schedules (variants of its template and the "
       "autoschedulers) on this machine and build the fastest; winners are cached, so a later "
       "--autotune compile of the same kernels times nothing",
       setTrue(&Options::autotune)},
      {"--autotune-batch", "N", true, "the batch size kernels are timed at (default 128)",
       setCount("--autotune-batch", 65536, &Options::autotuneBatch)},
      {"--autotune-threads", "T", true,
       "the threads kernels are timed with, as the trainer's --threads (default: "
       "HL_NUM_THREADS, else one per core)",
       setCount("--autotune-threads", 256, &Options::autotuneThreads)},
      {"--schedule-cache", "DIR", true,
       "where --autotune keeps winners (default $KILN_CACHE_DIR/schedules, else "
       "$XDG_CACHE_HOME/kiln/schedules, else ~/.cache/kiln/schedules)",
       setDirectory("--schedule-cache", &Options::scheduleCache)},
      {"--target", "T", true,
       "the machine the kernels are built for: host (default: this machine's CPU and its "
       "features) "
       "or a Halide target of this machine's architecture and system naming the features to "
       "use, e.g. x86-64-linux-avx2 for a library that must also run on CPUs without AVX-512, "
       "x86-64-linux for any x86-64; several, separated by commas, the preferred first and one "
       "every CPU runs last, build each kernel for each and pick the first the CPU can run; "
       "or a GPU, alone: opencl, cuda, cuda-smNN (compute capability N.N, up to sm86), or a "
       "Halide target naming opencl or cuda (kernels on the GPU, the rest on this CPU)",
       [](Options &opts, const std::string &value) -> std::optional<std::string> {
         std::string expanded;
         if (std::optional<std::string> problem = checkTargetList(value, expanded))
           return problem;
         opts.target = expanded;
         return std::nullopt;
       }},
      {"-j", "N", false,
       "compile kernels in N processes at once (default: one per core this process may use, "
       "at most one per GiB of memory)",
       setCount("-j", 1024, &Options::jobs), "a number of processes"},
      {"--no-cache", "", false,
       "compile every kernel, neither reading nor writing the kernel cache",
       setTrue(&Options::noCache)},
      {"--kernel-cache", "DIR", true,
       "where compiled kernels are kept between compiles, so that a recompile builds only the "
       "kernels that changed (default $KILN_CACHE_DIR/kernels, else "
       "$XDG_CACHE_HOME/kiln/kernels, else ~/.cache/kiln/kernels; at most 1 GiB, the least "
       "recently used removed first)",
       setDirectory("--kernel-cache", &Options::kernelCache)},
      {"--time", "", false,
       "print where the compile's time went: front end, each pass, lowering, kernel "
       "compilation (the slowest kernels named), the C++ wrapper, the link",
       setTrue(&Options::time)},
      {"--model-name", "NAME", false,
       "name the generated code NAME instead of the file's model name",
       [](Options &opts, const std::string &value) -> std::optional<std::string> {
         if (!isIdentifier(value))
           return "'--model-name' needs " + std::string(kIdentifier);
         opts.modelName = value;
         return std::nullopt;
       },
       kIdentifier},
      {"--print-runtime-dirs", "", false,
       "print the runtime include directory and library that lib and exe outputs are compiled "
       "and linked with, one per line: those installed beside kilnc (../include, ../lib) when "
       "present, else the build tree's",
       setTrue(&Options::printRuntimeDirs), "", /*mode=*/true},
      {"--clear-cache", "", false,
       "remove every compiled kernel from the kernel cache (see --kernel-cache) and exit",
       setTrue(&Options::clearCache), "", /*mode=*/true},
      {"--help", "", false, "print this help (also -h)", setTrue(&Options::help), "",
       /*mode=*/true},
  };
}

/// How a flag is written: "--emit=KIND", "-o OUT", "--health".
std::string spelling(const Flag &flag) {
  if (flag.valueName.empty())
    return flag.name;
  return flag.name + (flag.joined ? "=" : " ") + flag.valueName;
}

/// Appends `words` to `out`, a word at a time, starting new lines indented
/// by `indent` spaces where a line would pass `width` characters.
void wrap(std::string &out, size_t &column, const std::string &words, size_t indent,
          size_t width) {
  std::istringstream in(words);
  std::string word;
  while (in >> word) {
    if (column + 1 + word.size() > width) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
    } else if (column > 0 && out.back() != ' ') {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
  }
}

/// The usage line, the --emit kinds, then each flag and its help.
void usage(std::ostream &os) {
  constexpr size_t kWidth = 80;
  std::vector<Flag> flags = flagTable();
  std::string text = "usage: kilnc MODEL.kiln";
  size_t column = text.size();
  for (const Flag &flag : flags)
    if (!flag.mode)
      wrap(text, column, "[" + spelling(flag) + "]", 13, kWidth);
  std::string kinds;
  for (const EmitKind &kind : kEmitKinds)
    kinds += std::string(kinds.empty() ? "" : ", ") + kind.name;
  text += "\n  KIND: " + kinds + "\n";
  for (const EmitKind &kind : kEmitKinds) {
    std::string line = "    " + std::string(kind.name);
    text += line + std::string(18 - std::min<size_t>(line.size(), 17), ' ') + kind.help + "\n";
  }
  for (const Flag &flag : flags) {
    std::string line = "  " + spelling(flag) + ":";
    column = line.size();
    wrap(line, column, flag.help, 4, kWidth);
    text += line + "\n";
  }
  os << text;
}

/// Parses the command line; prints an error and returns false on bad flags.
bool parseArgs(int argc, char **argv, Options &opts) {
  std::vector<Flag> flags = flagTable();
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h")
      arg = "--help";
    const Flag *flag = nullptr;
    std::string value;
    bool attached = false; // a short flag's value in the same argument: -j4, -oOUT
    for (const Flag &f : flags) {
      if (f.joined ? arg.rfind(f.name + "=", 0) == 0 : arg == f.name) {
        flag = &f;
        break;
      }
      if (!f.joined && !f.valueName.empty() && f.name.size() == 2 && arg.size() > 2 &&
          arg.rfind(f.name, 0) == 0) {
        flag = &f;
        attached = true;
        break;
      }
    }
    if (!flag) {
      if (!arg.empty() && arg[0] == '-') {
        std::cerr << "kilnc: error: unknown option '" << arg << "'\n";
        return false;
      }
      if (!opts.input.empty()) {
        std::cerr << "kilnc: error: more than one input file ('" << opts.input << "' and '"
                  << arg << "')\n";
        return false;
      }
      opts.input = arg;
      continue;
    }
    if (attached) {
      value = arg.substr(flag->name.size());
    } else if (flag->joined) {
      value = arg.substr(flag->name.size() + 1);
    } else if (!flag->valueName.empty()) {
      if (i + 1 >= argc) {
        std::cerr << "kilnc: error: '" << flag->name << "' needs " << flag->needs << "\n";
        return false;
      }
      value = argv[++i];
    }
    if (std::optional<std::string> problem = flag->set(opts, value)) {
      std::cerr << "kilnc: error: " << *problem << "\n";
      return false;
    }
    // What kilnc does instead of compiling, at once (as before later flags
    // are read).
    if (opts.help) {
      usage(std::cout);
      std::exit(0);
    }
    if (opts.printRuntimeDirs) {
      const RuntimeLocation &runtime = runtimeLocation();
      std::cout << runtime.includeDir << "\n" << runtime.library << "\n";
      std::exit(0);
    }
  }
  if (opts.clearCache) {
    // After every flag: --kernel-cache may come later.
    ObjectCache cache(opts.kernelCache.empty() ? kilnCacheDir("kernels") : opts.kernelCache);
    if (std::string err = cache.clear(); !err.empty()) {
      std::cerr << "kilnc: error: " << err << "\n";
      std::exit(1);
    }
    std::cout << "kilnc: cleared the kernel cache in " << cache.directory() << "\n";
    std::exit(0);
  }
  // Li2018 plans GPU loops for a GPU target; the other autoschedulers, and
  // the autotuner's timings, are for this machine's CPU.
  bool gpuTarget = parseTargets(opts.target).front().has_gpu_feature();
  if (!opts.target.empty() && (opts.autotune || !opts.autoscheduler.empty()) &&
      !(gpuTarget && opts.autoscheduler == "Li2018")) {
    std::cerr << "kilnc: error: '--target' cannot be combined with '"
              << (opts.autotune ? "--autotune" : "--autoschedule=" + opts.autoscheduler)
              << "', which plan" << (opts.autotune ? " and time" : "")
              << " kernels for this machine's CPU"
              << (gpuTarget && !opts.autotune ? " (for a GPU target, use --autoschedule=Li2018)"
                                              : "")
              << "\n";
    return false;
  }
  // A GPU target is the only one of its list.
  if (gpuTarget && (opts.noSchedule || opts.dataParallel)) {
    std::cerr << "kilnc: error: '" << (opts.noSchedule ? "--no-schedule" : "--data-parallel")
              << "' cannot be combined with the GPU target '" << opts.target << "': "
              << (opts.noSchedule ? "kernels without a schedule would run on the host"
                                  : "gradients are summed in host memory")
              << "\n";
    return false;
  }
  if (opts.autotune && (!opts.autoscheduler.empty() || opts.noSchedule)) {
    std::cerr << "kilnc: error: '--autotune' chooses schedules itself; it cannot be combined "
                 "with '"
              << (opts.noSchedule ? "--no-schedule" : "--autoschedule") << "'\n";
    return false;
  }
  if ((opts.syncBatchNorm || opts.bucketMiB != 4) && !opts.dataParallel) {
    std::cerr << "kilnc: error: '"
              << (opts.syncBatchNorm ? "--sync-batch-norm" : "--bucket-mib")
              << "' goes with '--data-parallel'\n";
    return false;
  }
  if (opts.input.empty()) {
    std::cerr << "kilnc: error: no model file given\n";
    usage(std::cerr);
    return false;
  }
  return true;
}

/// Where the output goes, checked before the compile spends time on it: the
/// directory an executable is written into must exist.
std::optional<std::string> checkOutputPath(const Options &opts) {
  if (opts.emit != Emit::Exe || opts.output.empty())
    return std::nullopt;
  llvm::StringRef dir = llvm::sys::path::parent_path(opts.output);
  if (llvm::sys::fs::is_directory(opts.output))
    return "'" + opts.output + "' is a directory; -o names the executable to write";
  if (!dir.empty() && !llvm::sys::fs::is_directory(dir))
    return "cannot write '" + opts.output + "': directory '" + dir.str() + "' does not exist";
  return std::nullopt;
}

/// The kernels' compile times for --time, under the phase `compilation`: how
/// many were compiled and how many came from the cache, and the slowest few
/// by name.
void recordKernelTimes(PhaseTimer &timer, PhaseTimer::Scope &compilation,
                       const KernelObjectReport &report) {
  std::vector<ObjectTime> compiled;
  for (const ObjectTime &o : report.objects)
    if (!o.cached)
      compiled.push_back(o);
  std::sort(compiled.begin(), compiled.end(),
            [](const ObjectTime &a, const ObjectTime &b) { return a.seconds > b.seconds; });
  compilation.note(std::to_string(report.objects.size()) + " objects: " +
                   std::to_string(compiled.size()) + " compiled in " +
                   std::to_string(report.workers) +
                   (report.workers == 1 ? " process, " : " processes, ") +
                   std::to_string(report.objects.size() - compiled.size()) + " from the cache");
  compilation.stop();
  for (size_t i = 0; i < compiled.size() && i < 5; ++i)
    timer.record(compiled[i].name, compiled[i].seconds, 1);
}

/// Progress of a long compile, on a terminal only: one line, rewritten.
void showProgress(int done, int total) {
  static int shown = -1;
  if (done == shown)
    return;
  shown = done;
  std::cerr << "\rkilnc: compiling kernels " << done << "/" << total
            << (done == total ? "\n" : "") << std::flush;
}

int compile(const Options &opts, PhaseTimer &timer) {
  if (std::optional<std::string> problem = checkOutputPath(opts)) {
    std::cerr << "kilnc: error: " << *problem << "\n";
    return 1;
  }
  PhaseTimer::Scope frontEnd = timer.phase("front end (parse, import)");
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
  // One thread: the passes take little of a compile, and kernel compilation
  // forks processes, which must not copy a thread pool in the middle of work.
  context.disableMultithreading();
  // Users wrote a model file, not IR: never append the op to a diagnostic.
  context.printOpOnDiagnostic(false);
  // MLIR diagnostics point into the model file, with its line and a caret.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(file.text(), file.path()),
                               llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context, llvm::errs());
  if (opts.emit == Emit::Summary) {
    std::optional<ModelSummary> summary = summarizeModel(*model, diags, context);
    std::string err = summary ? writeSummary(*summary, opts.output) : "";
    if (!err.empty())
      std::cerr << "kilnc: error: " << err << "\n";
    return summary && err.empty() ? 0 : 1;
  }
  ImportOptions importOptions;
  importOptions.syncBatchNorm = opts.syncBatchNorm;
  mlir::OwningOpRef<mlir::ModuleOp> module = importModel(*model, diags, context, importOptions);
  if (!module)
    return 1;
  if (!opts.modelName.empty())
    kiln::KilnDialect::ModelAttrHelper(&context).setAttr(
        *module, mlir::StringAttr::get(&context, opts.modelName));
  if (opts.emit == Emit::Mlir) {
    module->print(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }
  frontEnd.stop();

  PipelineOptions pipelineOptions;
  pipelineOptions.stopAfter = opts.emit == Emit::MlirTrain   ? PipelineStage::Train
                              : opts.emit == Emit::MlirFused ? PipelineStage::Fused
                                                             : PipelineStage::Kernels;
  pipelineOptions.fuseUpdates = !opts.noFuseUpdates;
  pipelineOptions.trainingHealth = opts.health;
  pipelineOptions.dataParallel = opts.dataParallel;
  pipelineOptions.bucketFloats = static_cast<int64_t>(opts.bucketMiB * (1 << 18)); // floats
  PhaseTimer::Scope passes = timer.phase("passes");
  mlir::PassManager pm(&context);
  buildKilnPipeline(pm, pipelineOptions);
  if (opts.time)
    timePasses(pm, timer);
  if (mlir::failed(pm.run(*module)))
    return 1;
  passes.stop();
  if (opts.emit == Emit::MlirTrain || opts.emit == Emit::MlirFused ||
      opts.emit == Emit::MlirKernels) {
    module->print(llvm::outs());
    llvm::outs() << "\n";
    return 0;
  }

  std::vector<Halide::Target> targets = parseTargets(opts.target);
  const Halide::Target &target = targets.front();
  CodegenOptions codegen;
  codegen.schedule = !opts.noSchedule;
  // Schedules vectorize at the target's width (host: found by the schedules).
  if (!opts.target.empty())
    codegen.vectorWidth = target.natural_vector_size(Halide::Float(32));
  codegen.gpu = target.has_gpu_feature();
  codegen.target = target;
  codegen.autoscheduler = opts.autoscheduler;
  if (opts.autotune) {
    PhaseTimer::Scope tuning = timer.phase("autotuning schedules");
    ScheduleTunerOptions tune;
    tune.cacheDir = opts.scheduleCache.empty() ? defaultScheduleCacheDir() : opts.scheduleCache;
    tune.batch = opts.autotuneBatch;
    tune.threads = opts.autotuneThreads;
    tune.log = &std::cerr;
    if (std::string err = tuneSchedules(*module, codegen, tune); !err.empty()) {
      std::cerr << "kilnc: error: " << err << "\n";
      return 1;
    }
  }
  PhaseTimer::Scope lowering = timer.phase("lowering to Halide");
  mlir::FailureOr<LoweredModel> lowered = lowerToHalide(*module, codegen);
  if (mlir::failed(lowered))
    return 1;
  if (target.has_feature(Halide::Target::OpenCL))
    lowered->device = "opencl";
  else if (target.has_feature(Halide::Target::CUDA))
    lowered->device = "cuda";
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
  // One object for kernels that differ only in names (not for --emit=halide-stmt, which
  // prints each kernel).
  int shared = 0;
  if (opts.emit != Emit::HalideStmt && !opts.noKernelSharing)
    shared = shareIdenticalKernels(*lowered, mlir::succeeded(templates) ? &*templates : nullptr);
  lowering.note(std::to_string(lowered->kernels.size()) + " distinct kernels, " +
                std::to_string(shared) + " calls share another's code");
  lowering.stop();
  if (opts.emit == Emit::HalideStmt) {
    std::string path = opts.output.empty() ? "/dev/stdout" : opts.output;
    std::string err = writeHalideStmt(*lowered, path, target);
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
  if (const char *cxx = std::getenv("CXX"))
    paths.cxx = cxx;
  bool executable = opts.emit == Emit::Exe;
  lowered->dataParallel = opts.dataParallel;

  // The wrapper compiles in the background while the kernels do.
  Subprocess wrapperCompile;
  PhaseTimer::Scope compilation = timer.phase("kernel compilation");
  std::string err = emitWrapperSources(*lowered, paths, executable);
  if (err.empty())
    err = startWrapperCompile(*lowered, paths, executable, wrapperCompile);
  if (err.empty()) {
    KernelObjectOptions kernels;
    kernels.targets = targets;
    if (opts.profile)
      for (Halide::Target &t : kernels.targets)
        t = t.with_feature(Halide::Target::Profile);
    kernels.jobs = opts.jobs > 0 ? opts.jobs : defaultCompileJobs();
    if (!opts.noCache)
      kernels.cacheDir = opts.kernelCache.empty() ? kilnCacheDir("kernels") : opts.kernelCache;
    if (isatty(STDERR_FILENO))
      kernels.progress = showProgress;
    KernelObjectReport report;
    err = compileKernelObjects(*lowered, mlir::succeeded(templates) ? &*templates : nullptr,
                               paths.workDir, kernels, report);
    recordKernelTimes(timer, compilation, report);
  }
  compilation.stop();
  PhaseTimer::Scope waiting = timer.phase("C++ wrapper compile, waited for");
  std::string wrapperErr = wrapperCompile.wait();
  if (err.empty())
    err = wrapperErr;
  waiting.note("it ran beside kernel compilation, " +
               std::to_string(static_cast<int>(wrapperCompile.cpuSeconds() * 1000)) +
               " ms of CPU");
  waiting.stop();
  if (err.empty()) {
    PhaseTimer::Scope link = timer.phase(executable ? "link" : "archive");
    if (!executable) {
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
  PhaseTimer timer;
  int status;
  try {
    status = compile(opts, timer);
  } catch (const Halide::Error &e) {
    std::cerr << "kilnc: error: code generation failed: " << e.what() << "\n";
    status = 1;
  } catch (const std::bad_alloc &) {
    std::cerr << "kilnc: error: out of memory compiling '" << opts.input << "'\n";
    status = 1;
  }
  if (opts.time)
    timer.print(llvm::errs());
  return status;
}
