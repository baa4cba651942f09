//===- KernelObjects.cpp - Kernels compiled to objects, in parallel -------===//
//
// The work is a list of tasks (kernels not found in the cache, and Halide's
// runtime), handed out through a counter in memory shared with the workers:
// each worker takes the next task until none is left, so that a slow kernel
// does not hold up the others. A worker writes its object, or a file with
// the error, into the work directory, and marks the task done in the shared
// table; a task still marked running after the workers exited crashed one.
//
//===----------------------------------------------------------------------===//
#include "Codegen/KernelObjects.h"

#include "Codegen/ObjectCache.h"
#include "Codegen/Subprocess.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <atomic>
#include <map>
#include <cctype>
#include <chrono>
#include <cerrno>
#include <fstream>
#include <new>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace kiln;
namespace fs = llvm::sys::fs;

namespace {

constexpr const char *kRuntimeName = "halide_runtime";

std::string join(const std::string &dir, const std::string &file) { return dir + "/" + file; }

double nowSeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

/// Size and modification time of a file: what changes when it is rebuilt or
/// upgraded.
std::string fileIdentity(const std::string &path) {
  fs::file_status status;
  if (path.empty() || fs::status(path, status))
    return "unknown";
  return std::to_string(status.getSize()) + "@" +
         std::to_string(status.getLastModificationTime().time_since_epoch().count());
}

/// The compiler that builds the objects: this kilnc (its lowering and
/// schedules) and the Halide library it runs.
const std::string &compilerIdentity() {
  static const std::string identity =
      "kilnc " + fileIdentity(fs::getMainExecutable(
                     "kilnc", reinterpret_cast<void *>(&kiln::availableCores))) +
      " halide " + fileIdentity(KILN_HALIDE_LIBRARY);
  return identity;
}

std::string hashKey(const std::string &text) {
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(llvm::arrayRefFromStringRef(text));
  std::string key;
  llvm::raw_string_ostream os(key);
  os << llvm::format_hex_no_prefix(h.high64, 16) << llvm::format_hex_no_prefix(h.low64, 16);
  return key;
}

/// One object to compile: a kernel (index into the model's kernels) or the
/// runtime (-1).
struct Task {
  int kernel;
  std::string name;
  std::string key; // its cache key
};

enum TaskState : int { Pending = 0, Running = 1, Done = 2, Failed = 3 };

/// What workers report about a task, in shared memory.
struct TaskStatus {
  std::atomic<int> state;
  double seconds;
  bool fellBack;
};

/// The table shared with the workers: the next task to take, then one
/// status per task.
struct SharedTable {
  std::atomic<int> next;
  TaskStatus tasks[1];

  static size_t bytesFor(size_t n) { return sizeof(SharedTable) + n * sizeof(TaskStatus); }
};

/// Compiles the kernels and runtime of one model; the same code runs in
/// kilnc's process (one job) and in each worker.
class ObjectCompiler {
public:
  ObjectCompiler(LoweredModel &model, LoweredModel *fallback, const std::string &workDir,
                 const std::vector<Halide::Target> &targets, const std::vector<Task> &tasks,
                 SharedTable *table)
      : model(model), fallback(fallback), workDir(workDir), targets(targets), tasks(tasks),
        table(table) {}

  /// Takes tasks until none is left.
  void work() {
    for (int i = table->next.fetch_add(1); i < static_cast<int>(tasks.size());
         i = table->next.fetch_add(1))
      run(i);
  }

private:
  void run(int i) {
    const Task &task = tasks[i];
    TaskStatus &status = table->tasks[i];
    status.state.store(Running);
    double start = nowSeconds();
    std::string error = compile(task, status.fellBack);
    status.seconds = nowSeconds() - start;
    if (!error.empty()) {
      std::ofstream(join(workDir, task.name + ".error")) << error;
      status.state.store(Failed);
      return;
    }
    status.state.store(Done);
  }

  std::string compile(const Task &task, bool &fellBack) {
    std::string object = join(workDir, task.name + ".o");
    try {
      if (task.kernel < 0) {
        Halide::compile_standalone_runtime(object, targets.back());
        return "";
      }
      std::string linkError;
      auto build = [&](LoweredKernel &kernel) {
        if (targets.size() == 1) {
          kernel.pipeline.compile_to({{Halide::OutputFileType::object, object}},
                                     kernel.arguments, kernel.name,
                                     targets[0].with_feature(Halide::Target::NoRuntime));
          return;
        }
        // A variant per target and the function that picks one, under the
        // kernel's name, linked into the kernel's one object.
        // Halide names the files <base>-t0.o, ... and <base>_wrapper.o.
        std::string base = join(workDir, kernel.name + "_variant");
        std::vector<std::string> suffixes;
        for (size_t t = 0; t < targets.size(); ++t)
          suffixes.push_back("t" + std::to_string(t));
        std::vector<Halide::Target> variants;
        for (const Halide::Target &t : targets)
          variants.push_back(t.with_feature(Halide::Target::NoRuntime));
        Halide::compile_multitarget(
            kernel.name, {{Halide::OutputFileType::object, base + ".o"}}, variants, suffixes,
            [&](const std::string &name, const Halide::Target &target) {
              return kernel.pipeline.compile_to_module(kernel.arguments, name, target);
            });
        std::vector<std::string> link{"ld", "-r", "-o", object};
        for (const std::string &suffix : suffixes)
          link.push_back(base + "-" + suffix + ".o");
        link.push_back(base + "_wrapper.o");
        linkError = runCommand(link);
      };
      auto fallBack = [&](std::string reason) {
        while (!reason.empty() && std::isspace(static_cast<unsigned char>(reason.back())))
          reason.pop_back();
        std::ofstream(join(workDir, task.name + ".warning"))
            << "kernel " << task.name << " cannot be generated with its autoscheduled schedule ("
            << reason << "); it uses the schedule templates";
        fellBack = true;
        build(fallback->kernels[task.kernel]);
      };
      const std::string &unusable = model.kernels[task.kernel].unusableSchedule;
      if (!unusable.empty()) {
        if (!fallback)
          return "kernel " + task.name + ": " + unusable;
        fallBack(unusable);
      } else {
        try {
          build(model.kernels[task.kernel]);
        } catch (const Halide::Error &e) {
          if (!fallback)
            throw;
          fallBack(e.what());
        }
      }
      if (!linkError.empty())
        return "cannot join the target variants of kernel " + task.name + ": " + linkError;
    } catch (const Halide::Error &e) {
      return "code generation failed for kernel " + task.name + ": " + e.what();
    } catch (const std::bad_alloc &) {
      return "out of memory compiling kernel " + task.name;
    }
    return "";
  }

  LoweredModel &model;
  LoweredModel *fallback;
  const std::string &workDir;
  const std::vector<Halide::Target> &targets;
  const std::vector<Task> &tasks;
  SharedTable *table;
};

/// The file a worker left for a task (an error or a warning), or "".
std::string readNote(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  return buffer ? (*buffer)->getBuffer().str() : "";
}

/// Forks `workers` processes that take tasks from `table`, and reports
/// progress while they run. Returns how the first worker that did not exit
/// normally ended ("killed by signal 6"), or "".
std::string runWorkers(ObjectCompiler &compiler, SharedTable *table, size_t taskCount,
                       int workers, const KernelObjectOptions &options) {
  std::vector<pid_t> pids;
  std::string crash;
  // Streams are flushed so that a worker's copy of an unwritten buffer is
  // never written twice.
  llvm::outs().flush();
  llvm::errs().flush();
  std::fflush(nullptr);
  for (int w = 0; w < workers; ++w) {
    pid_t pid = fork();
    if (pid == 0) {
      compiler.work();
      _exit(0); // no destructors or exit handlers of kilnc's state in a worker
    }
    if (pid < 0)
      break; // as many as could start
    pids.push_back(pid);
  }
  if (pids.empty())
    compiler.work(); // no process could start: compile here
  size_t running = pids.size();
  while (running > 0) {
    for (pid_t &pid : pids) {
      if (pid <= 0)
        continue;
      int status = 0;
      pid_t done = waitpid(pid, &status, WNOHANG);
      if (done == pid || (done < 0 && errno != EINTR)) {
        if (done == pid && crash.empty() && WIFSIGNALED(status))
          crash = "killed by signal " + std::to_string(WTERMSIG(status));
        else if (done == pid && crash.empty() && WEXITSTATUS(status) != 0)
          crash = "exit status " + std::to_string(WEXITSTATUS(status));
        pid = -1;
        --running;
      }
    }
    if (options.progress) {
      int finished = 0;
      for (size_t i = 0; i < taskCount; ++i)
        finished += table->tasks[i].state.load() >= Done;
      options.progress(finished, static_cast<int>(taskCount));
    }
    if (running > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return crash;
}

} // namespace

int kiln::availableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

/// What a kernel computes, apart from names: its text (kiln ops, types,
/// constants, element type, vector width), its schedule, the lowering
/// options, and its arguments' kinds, types and ranks (the object's
/// signature).
static std::string kernelCode(const LoweredKernel &kernel) {
  std::string text = std::to_string(kernel.key) + " " + kernel.choice.str() + " " +
                     kernel.loweredWith;
  for (const Halide::Argument &a : kernel.arguments)
    text += std::string(" ") + (a.is_buffer() ? "buffer" : "scalar") + ":" +
            std::to_string(static_cast<int>(a.type.code())) + "." +
            std::to_string(a.type.bits()) + "x" + std::to_string(a.type.lanes()) + ":" +
            std::to_string(a.dimensions);
  return text;
}

int kiln::shareIdenticalKernels(LoweredModel &model, LoweredModel *fallback) {
  std::map<std::string, std::string> symbolOfCode, symbolOf;
  std::vector<LoweredKernel> kept, keptFallback;
  for (size_t i = 0; i < model.kernels.size(); ++i) {
    LoweredKernel &kernel = model.kernels[i];
    auto [first, inserted] = symbolOfCode.try_emplace(kernelCode(kernel), kernel.name);
    symbolOf[kernel.name] = first->second;
    if (!inserted)
      continue;
    kept.push_back(std::move(kernel));
    if (fallback)
      keptFallback.push_back(std::move(fallback->kernels[i]));
  }
  int removed = static_cast<int>(model.kernels.size() - kept.size());
  model.kernels = std::move(kept);
  if (fallback)
    fallback->kernels = std::move(keptFallback);
  for (FunctionPlan &plan : model.functions)
    for (KernelCall &call : plan.calls)
      call.symbol = symbolOf.at(call.name);
  return removed;
}

int kiln::defaultCompileJobs() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  int byMemory = pages > 0 && pageSize > 0
                     ? static_cast<int>(std::max<long long>(
                           1, static_cast<long long>(pages) * pageSize >> 30))
                     : availableCores();
  return std::max(1, std::min(availableCores(), byMemory));
}

/// The targets, as kilnc --target lists them.
static std::string targetList(const std::vector<Halide::Target> &targets) {
  std::string list;
  for (const Halide::Target &t : targets)
    list += (list.empty() ? "" : ",") + t.to_string();
  return list;
}

std::string kiln::kernelObjectKey(const LoweredKernel &kernel,
                                  const std::vector<Halide::Target> &targets) {
  // What the kernel computes, its name (the object's symbol) and argument
  // names (in the object's metadata), the targets, and the compiler.
  std::string text = "kernel " + kernel.name + " " + kernelCode(kernel) + " " +
                     targetList(targets);
  for (const Halide::Argument &a : kernel.arguments)
    text += " " + a.name;
  return hashKey(text + " " + compilerIdentity());
}

std::string kiln::compileKernelObjects(LoweredModel &model, LoweredModel *fallback,
                                       const std::string &workDir,
                                       const KernelObjectOptions &options,
                                       KernelObjectReport &report) {
  ObjectCache cache(options.cacheDir);
  report = KernelObjectReport();
  std::vector<Task> all;
  for (size_t i = 0; i < model.kernels.size(); ++i)
    all.push_back({static_cast<int>(i), model.kernels[i].name,
                   kernelObjectKey(model.kernels[i], options.targets)});
  all.push_back({-1, kRuntimeName,
                 hashKey(std::string(kRuntimeName) + " " + options.targets.back().to_string() + " " +
                         compilerIdentity())});

  // What the cache has is copied; the rest is compiled.
  std::vector<Task> tasks;
  std::vector<int> taskOf(all.size(), -1);
  for (size_t i = 0; i < all.size(); ++i) {
    report.objects.push_back({all[i].name, 0, false});
    if (cache.fetch(all[i].key, join(workDir, all[i].name + ".o"))) {
      report.objects[i].cached = true;
      continue;
    }
    taskOf[i] = static_cast<int>(tasks.size());
    tasks.push_back(all[i]);
  }
  if (tasks.empty())
    return "";

  size_t bytes = SharedTable::bytesFor(tasks.size());
  void *memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED)
    return std::string("cannot map memory for the compiler processes: ") + std::strerror(errno);
  auto *table = new (memory) SharedTable;
  table->next.store(0);
  for (size_t i = 0; i < tasks.size(); ++i) {
    new (&table->tasks[i].state) std::atomic<int>(Pending);
    table->tasks[i].seconds = 0;
    table->tasks[i].fellBack = false;
  }

  ObjectCompiler compiler(model, fallback, workDir, options.targets, tasks, table);
  // Always in processes of their own, even one: a kernel that crashes Halide
  // ends its worker, not kilnc.
  int workers = std::max(1, std::min<int>(options.jobs, static_cast<int>(tasks.size())));
  std::string crash = runWorkers(compiler, table, tasks.size(), workers, options);
  report.workers = workers;
  std::string error;

  // Warnings, then the first failure; what compiled is stored in the cache.
  for (size_t i = 0; i < all.size(); ++i) {
    if (taskOf[i] < 0)
      continue;
    const Task &task = tasks[taskOf[i]];
    TaskStatus &status = table->tasks[taskOf[i]];
    report.objects[i].seconds = status.seconds;
    if (status.fellBack)
      llvm::errs() << "kilnc: warning: " << readNote(join(workDir, task.name + ".warning"))
                   << "\n";
    int state = status.state.load();
    if (state == Done) {
      if (!status.fellBack)
        if (std::string err = cache.store(task.key, join(workDir, task.name + ".o"));
            !err.empty())
          llvm::errs() << "kilnc: warning: kernel cache: " << err << "\n";
      continue;
    }
    if (!error.empty())
      continue;
    if (state == Failed)
      error = readNote(join(workDir, task.name + ".error"));
    else if (state == Running)
      error = "the process compiling " + task.name + " crashed (" +
              (crash.empty() ? "unknown cause" : crash) + ")";
    else
      error = task.name + " was not compiled: every compiler process ended early";
  }
  munmap(memory, bytes);
  cache.trim();
  return error;
}
