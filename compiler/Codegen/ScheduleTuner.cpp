//===- ScheduleTuner.cpp - Measured choice of kernel schedules ------------===//
//
// A round per distinct candidate: the module is lowered with that choice for
// every kernel still being tuned that lists it, and each such kernel is
// compiled by JIT and run on buffers of the batch size, filled once with
// fixed pseudo-random values (parameters and state are restored before each
// check, since updates write them in place). A candidate whose results differ
// from the default schedule's is rejected; the others are timed (the best
// mean over several runs) and the fastest is kept.
//
//===----------------------------------------------------------------------===//
#include "Codegen/ScheduleTuner.h"

#include "Codegen/JitBinding.h"
#include "Codegen/ObjectCache.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <limits>
#include <map>
#include <ostream>
#include <random>
#include <sstream>
#include <thread>

using namespace kiln;

namespace {

using Buffer = Halide::Buffer<>;
using Clock = std::chrono::steady_clock;

/// Bumped when the templates change, so that old winners are not reused.
constexpr const char *kTunerVersion = "10";

/// A kernel of the model, with the call that runs it.
struct KernelSite {
  const FunctionPlan *plan;
  const KernelCall *call;
};

std::vector<KernelSite> kernelSites(const LoweredModel &model) {
  std::vector<KernelSite> sites;
  for (const FunctionPlan &plan : model.functions)
    for (const KernelCall &call : plan.calls)
      sites.push_back({&plan, &call});
  return sites;
}

// Every buffer here is dense (allocated by this file), so elements are
// visited through data() and copied by denseCopy (see there).

/// Whether `got` matches `want` within a tolerance relative to the largest
/// magnitude in `want` (sums reassociated by another schedule differ in
/// their last bits). NaN matches NaN.
template <typename T> bool closeEnough(const Buffer &wantBuffer, const Buffer &gotBuffer) {
  const T *want = static_cast<const T *>(wantBuffer.data());
  const T *got = static_cast<const T *>(gotBuffer.data());
  size_t n = wantBuffer.number_of_elements();
  double scale = 1;
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(static_cast<double>(want[i])))
      scale = std::max(scale, std::abs(static_cast<double>(want[i])));
  for (size_t i = 0; i < n; ++i) {
    double a = static_cast<double>(want[i]), b = static_cast<double>(got[i]);
    if (std::isnan(a) || std::isnan(b)) {
      if (!(std::isnan(a) && std::isnan(b)))
        return false;
    } else if (a != b && !(std::abs(a - b) <= 1e-3 * scale)) {
      return false;
    }
  }
  return true;
}

bool sameResults(const std::vector<Buffer> &want, const std::vector<Buffer> &got) {
  for (size_t i = 0; i < want.size(); ++i) {
    const Halide::Type type = want[i].type();
    bool ok = type == Halide::Float(32)   ? closeEnough<float>(want[i], got[i])
              : type == Halide::Float(64) ? closeEnough<double>(want[i], got[i])
                                          : closeEnough<int32_t>(want[i], got[i]);
    if (!ok)
      return false;
  }
  return true;
}

/// A batch size a kernel runs at while being tuned: its input buffers and
/// the default schedule's results.
struct Case {
  int batch = 0;
  std::map<int, Buffer> initial; // slot -> contents before the call
  std::vector<Buffer> reference; // the default schedule's outputs
};

/// One kernel being tuned: the batches it is checked at (the first is the
/// one it is timed at), and the best candidate so far.
struct Tuning {
  size_t index = 0; // into LoweredModel::kernels
  KernelSite site{};
  std::vector<ScheduleChoice> candidates;
  std::vector<Case> cases;
  ScheduleChoice best;
  double bestSeconds = std::numeric_limits<double>::infinity();
  double defaultSeconds = std::numeric_limits<double>::infinity();
  int tried = 0;
  std::vector<std::string> rejected;
};

/// A rejected candidate's reason on one line: "Adams2019: Error: ...", its
/// lines joined and runs of space made one, cut to `limit` characters.
std::string oneLine(const std::string &why, size_t limit = 160) {
  std::string line;
  for (char c : why) {
    bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (!space)
      line += c;
    else if (!line.empty() && line.back() != ' ')
      line += ' ';
  }
  if (!line.empty() && line.back() == ' ')
    line.pop_back();
  if (line.size() > limit)
    line = line.substr(0, limit - 3) + "...";
  return line;
}

/// While tuning, Halide's compile-time warnings about candidates (storage
/// folding and the like, repeated for many candidates) are counted rather
/// than printed; its errors are thrown as usual, as the candidate's reason.
class CandidateWarnings : public Halide::CompileTimeErrorReporter {
public:
  CandidateWarnings() { Halide::set_custom_compile_time_error_reporter(this); }
  ~CandidateWarnings() override { Halide::set_custom_compile_time_error_reporter(nullptr); }
  CandidateWarnings(const CandidateWarnings &) = delete;
  CandidateWarnings &operator=(const CandidateWarnings &) = delete;

  void warning(const char *) override { ++count; }
  [[noreturn]] void error(const char *message) override { throw Halide::CompileError(message); }

  int count = 0;
};

/// The threads Halide's JIT runtime runs kernels with: options.threads, else
/// HL_NUM_THREADS, else one per core (as the runtime decides).
int timingThreads(const ScheduleTunerOptions &options) {
  if (options.threads > 0)
    return options.threads;
  if (const char *env = std::getenv("HL_NUM_THREADS"); env && std::atoi(env) > 0)
    return std::atoi(env);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

class ScheduleTuner {
public:
  ScheduleTuner(mlir::ModuleOp module, const CodegenOptions &codegen,
                const ScheduleTunerOptions &options)
      : module(module), codegen(codegen), options(options),
        floatType(codegen.useDouble ? Halide::Float(64) : Halide::Float(32)),
        threads(timingThreads(options)) {}

  std::string run(std::map<std::string, ScheduleChoice> &choices);

private:
  std::string cachePath(const LoweredKernel &kernel) const;
  void fillInitial(Tuning &t, Case &c);
  /// Binds the kernel's inputs to fresh copies of `c`'s buffers; returns
  /// its outputs.
  std::vector<Buffer> bind(const Tuning &t, const Case &c, LoweredKernel &kernel,
                           const LoweredModel &model);
  /// Checks and times `kernel` (lowered with one candidate) for `t`.
  void measure(Tuning &t, LoweredKernel &kernel, const LoweredModel &model,
               const ScheduleChoice &choice);
  /// The last line of the log: how many kernels were timed and how many
  /// candidates rejected.
  void logTotal(const std::vector<Tuning> &timed, int warnings) const;
  /// The module lowered with `choices`; failure when a kernel cannot be.
  mlir::FailureOr<LoweredModel> lower(const std::map<std::string, ScheduleChoice> &choices,
                                      std::string &error);

  mlir::ModuleOp module;
  const CodegenOptions &codegen;
  const ScheduleTunerOptions &options;
  Halide::Type floatType;
  /// Halide's pool size while timing: a winner is cached for it.
  int threads;
  std::mt19937 random{20261121};
};

std::string ScheduleTuner::cachePath(const LoweredKernel &kernel) const {
  std::ostringstream text;
  text << kTunerVersion << "|" << kernel.key << "|" << options.batch << "|" << threads << "|"
       << Halide::get_host_target().to_string();
  std::ostringstream name;
  name << std::hex << std::setw(16) << std::setfill('0') << llvm::xxh3_64bits(text.str());
  llvm::SmallString<256> path(options.cacheDir);
  llvm::sys::path::append(path, name.str());
  return path.str().str();
}

mlir::FailureOr<LoweredModel>
ScheduleTuner::lower(const std::map<std::string, ScheduleChoice> &choices, std::string &error) {
  CodegenOptions round = codegen;
  round.autoscheduler.clear();
  round.batchEstimate = options.batch;
  round.choices = choices;
  // A candidate that cannot be lowered is dropped, not reported.
  mlir::ScopedDiagnosticHandler quiet(module.getContext(), [&](mlir::Diagnostic &diag) {
    error = diag.str();
    return mlir::success();
  });
  try {
    return lowerToHalide(module, round);
  } catch (const Halide::Error &e) {
    error = e.what();
    return mlir::failure();
  }
}

void ScheduleTuner::fillInitial(Tuning &t, Case &c) {
  const FunctionPlan &plan = *t.site.plan;
  std::uniform_real_distribution<double> uniform(-1, 1);
  for (int id : t.site.call->inputs) {
    const Slot &slot = plan.slots[id];
    if (slot.kind == Slot::Kind::Hyperparam || slot.kind == Slot::Kind::Step ||
        slot.kind == Slot::Kind::BatchShare || slot.kind == Slot::Kind::BatchOffset ||
        c.initial.count(id))
      continue;
    Buffer buffer(slot.isInt ? Halide::Int(32) : floatType, halideExtents(slot.shape, c.batch));
    // Integers are class labels or token ids: 0 is always one. Optimizer
    // state (Adam's second moment under a square root) is kept positive.
    size_t n = buffer.number_of_elements();
    for (size_t i = 0; i < n; ++i) {
      double u = uniform(random);
      if (slot.kind == Slot::Kind::State)
        u = std::abs(u);
      if (slot.isInt)
        static_cast<int32_t *>(buffer.data())[i] = 0;
      else if (floatType == Halide::Float(32))
        static_cast<float *>(buffer.data())[i] = static_cast<float>(u);
      else
        static_cast<double *>(buffer.data())[i] = u;
    }
    c.initial[id] = buffer;
  }
}

std::vector<Buffer> ScheduleTuner::bind(const Tuning &t, const Case &c, LoweredKernel &kernel,
                                const LoweredModel &model) {
  const FunctionPlan &plan = *t.site.plan;
  std::vector<Buffer> slots(plan.slots.size());
  for (auto &[id, buffer] : c.initial)
    slots[id] = denseCopy(buffer);
  std::vector<Buffer> outputs;
  for (int id : t.site.call->outputs) {
    if (!slots[id].defined()) {
      const Slot &slot = plan.slots[id];
      slots[id] =
          Buffer(slot.isInt ? Halide::Int(32) : floatType, halideExtents(slot.shape, c.batch));
    }
    outputs.push_back(slots[id]);
  }
  bindJitInputs(kernel, *t.site.call, plan, model, slots, c.batch, 3.0f);
  return outputs;
}

void ScheduleTuner::measure(Tuning &t, LoweredKernel &kernel, const LoweredModel &model,
                    const ScheduleChoice &choice) {
  ++t.tried;
  // Checked at every case's batch: a schedule planned for one batch may
  // split the batch by more than a smaller one has (which Halide reports
  // as an access outside the buffer), or compute it wrongly.
  std::vector<Buffer> outputs;
  try {
    kernel.pipeline.compile_jit(Halide::get_host_target());
    for (size_t k = t.cases.size(); k-- > 0;) {
      Case &c = t.cases[k];
      outputs = bind(t, c, kernel, model);
      kernel.pipeline.realize(Halide::Realization(outputs));
      if (c.reference.empty()) {
        for (const Buffer &b : outputs)
          c.reference.push_back(denseCopy(b));
      } else if (!sameResults(c.reference, outputs)) {
        t.rejected.push_back(choice.str() + ": results differ from the default schedule's at batch " +
                             std::to_string(c.batch));
        return;
      }
    }
  } catch (const Halide::Error &e) {
    t.rejected.push_back(choice.str() + ": " + e.what());
    return;
  }
  // The loop ended with the first case, the batch timed.
  Halide::Realization realization(outputs);
  auto once = [&] { kernel.pipeline.realize(realization); };
  // The best mean over samples of at least a millisecond each (or one
  // call), for about a quarter of a second at most; a candidate far slower than the
  // best so far is dropped after its first sample.
  auto start = Clock::now();
  once();
  double first = std::chrono::duration<double>(Clock::now() - start).count();
  int reps = std::clamp(static_cast<int>(1e-3 / std::max(first, 1e-7)), 1, 1000);
  double best = first;
  if (first < 4 * t.bestSeconds) {
    for (int sample = 0; sample < 9; ++sample) {
      auto begin = Clock::now();
      for (int r = 0; r < reps; ++r)
        once();
      best = std::min(best,
                      std::chrono::duration<double>(Clock::now() - begin).count() / reps);
      if (std::chrono::duration<double>(Clock::now() - start).count() > 0.25 && sample >= 2)
        break;
    }
  }
  if (choice == ScheduleChoice())
    t.defaultSeconds = best;
  // Another schedule must be clearly faster than the best so far (the
  // default is timed first): timer noise does not pick between equals.
  if (best < 0.97 * t.bestSeconds) {
    t.bestSeconds = best;
    t.best = choice;
  }
}

std::string ScheduleTuner::run(std::map<std::string, ScheduleChoice> &choices) {
  if (std::error_code ec = llvm::sys::fs::create_directories(options.cacheDir))
    return "cannot create the schedule cache " + options.cacheDir + ": " + ec.message();
  std::string error;
  mlir::FailureOr<LoweredModel> base = lower({}, error);
  if (mlir::failed(base))
    return "cannot lower the model for tuning: " + error;
  CandidateWarnings warnings;
  std::vector<KernelSite> sites = kernelSites(*base);
  std::vector<Tuning> pending;
  // A kernel alike another (the same cache entry: same code but for names) is
  // timed once; the others take its winner.
  std::map<std::string, std::string> leaderOfPath; // cache path -> first kernel
  std::vector<std::pair<std::string, std::string>> followers; // kernel, its leader
  for (size_t i = 0; i < base->kernels.size(); ++i) {
    const LoweredKernel &kernel = base->kernels[i];
    std::string path = cachePath(kernel);
    auto [leader, first] = leaderOfPath.try_emplace(path, kernel.name);
    if (!first) {
      followers.emplace_back(kernel.name, leader->second);
      continue;
    }
    std::ifstream cached(path);
    std::string line;
    ScheduleChoice choice;
    if (cached && std::getline(cached, line) && parseScheduleChoice(line, choice)) {
      choices[kernel.name] = choice;
      if (options.log)
        *options.log << "autotune: " << kernel.name << ": " << choice.str() << " (cached)\n";
      continue;
    }
    Tuning t;
    t.index = i;
    t.site = sites.at(i);
    t.candidates = kernel.candidates;
    for (int batch : {options.batch, 1, 7})
      if (batch <= options.batch &&
          std::none_of(t.cases.begin(), t.cases.end(),
                       [&](const Case &c) { return c.batch == batch; })) {
        t.cases.emplace_back();
        t.cases.back().batch = batch;
        fillInitial(t, t.cases.back());
      }
    pending.push_back(std::move(t));
  }
  // Every distinct candidate, in the order kernels list them (the default
  // first, so that references exist before any other choice is checked).
  std::vector<ScheduleChoice> rounds;
  for (const Tuning &t : pending)
    for (const ScheduleChoice &c : t.candidates)
      if (std::find(rounds.begin(), rounds.end(), c) == rounds.end())
        rounds.push_back(c);
  for (const ScheduleChoice &choice : rounds) {
    std::map<std::string, ScheduleChoice> round = choices;
    std::vector<Tuning *> takers;
    for (Tuning &t : pending)
      if (std::find(t.candidates.begin(), t.candidates.end(), choice) != t.candidates.end() &&
          (choice == ScheduleChoice() || !t.cases.front().reference.empty())) {
        takers.push_back(&t);
        round[base->kernels[t.index].name] = choice;
      }
    if (takers.empty())
      continue;
    mlir::FailureOr<LoweredModel> lowered = lower(round, error);
    if (mlir::succeeded(lowered)) {
      for (Tuning *t : takers)
        measure(*t, lowered->kernels[t->index], *lowered, choice);
      continue;
    }
    // One kernel cannot take this choice: try each kernel alone.
    for (Tuning *t : takers) {
      std::map<std::string, ScheduleChoice> alone = choices;
      alone[base->kernels[t->index].name] = choice;
      mlir::FailureOr<LoweredModel> single = lower(alone, error);
      if (mlir::succeeded(single))
        measure(*t, single->kernels[t->index], *single, choice);
      else
        t->rejected.push_back(choice.str() + ": " + error);
    }
  }
  for (Tuning &t : pending) {
    const LoweredKernel &kernel = base->kernels[t.index];
    if (!std::isfinite(t.bestSeconds))
      return "no schedule of kernel " + kernel.name + " could be compiled and run" +
             (t.rejected.empty() ? std::string() : ": " + t.rejected.front());
    choices[kernel.name] = t.best;
    if (options.log) {
      *options.log << "autotune: " << kernel.name << ": " << t.best.str() << " "
                   << std::fixed << std::setprecision(1) << t.bestSeconds * 1e6
                   << " us (default " << t.defaultSeconds * 1e6 << " us; " << t.tried
                   << " tried";
      if (!t.rejected.empty())
        *options.log << ", " << t.rejected.size() << " rejected";
      *options.log << ")\n";
      options.log->unsetf(std::ios::floatfield);
      // One line for all the rejected candidates: the first one's reason.
      if (!t.rejected.empty())
        *options.log << "  rejected " << oneLine(t.rejected.front())
                     << (t.rejected.size() > 1
                             ? " (and " + std::to_string(t.rejected.size() - 1) + " more)"
                             : std::string())
                     << "\n";
    }
    // Written whole under a temporary name, then renamed: a concurrent or
    // interrupted compile never reads half a file.
    std::string path = cachePath(kernel);
    std::string temp = path + ".tmp-" + std::to_string(llvm::sys::Process::getProcessId());
    {
      std::ofstream out(temp);
      out << t.best.str() << "\n"
          << "# " << kernel.name << ": " << t.bestSeconds * 1e6 << " us at batch "
          << options.batch << " with " << threads << (threads == 1 ? " thread" : " threads")
          << "; the default schedule " << t.defaultSeconds * 1e6 << " us\n";
      if (!out)
        return "cannot write the schedule cache file " + temp;
    }
    if (std::error_code ec = llvm::sys::fs::rename(temp, path))
      return "cannot write the schedule cache file " + path + ": " + ec.message();
  }
  for (const auto &[kernel, leader] : followers) {
    choices[kernel] = choices.at(leader);
    if (options.log)
      *options.log << "autotune: " << kernel << ": " << choices[kernel].str() << " (as " << leader
                   << ")\n";
  }
  if (options.log && !pending.empty())
    logTotal(pending, warnings.count);
  return "";
}

void ScheduleTuner::logTotal(const std::vector<Tuning> &timed, int warnings) const {
  size_t rejected = 0, kernels = 0;
  for (const Tuning &t : timed) {
    rejected += t.rejected.size();
    kernels += !t.rejected.empty();
  }
  *options.log << "autotune: " << timed.size() << " kernel" << (timed.size() == 1 ? "" : "s")
               << " timed; " << rejected << " candidate" << (rejected == 1 ? "" : "s")
               << " rejected";
  if (rejected)
    *options.log << " in " << kernels << " of them (the first reason of each above)";
  if (warnings)
    *options.log << "; " << warnings << " Halide warning" << (warnings == 1 ? "" : "s")
                 << " about candidates not shown";
  *options.log << "\n";
}

} // namespace

std::string kiln::defaultScheduleCacheDir() { return kilnCacheDir("schedules"); }

std::string kiln::tuneSchedules(mlir::ModuleOp module, CodegenOptions &codegen,
                                const ScheduleTunerOptions &options) {
  if (options.batch < 1)
    return "the autotuning batch must be at least 1";
  // An autoscheduler's winner is planned for the batch it was timed at.
  codegen.batchEstimate = options.batch;
  // Adams2019 searches with a beam of 32 states unless told otherwise,
  // which takes minutes and gigabytes per convolution kernel; the tuner
  // plans greedily (a beam of 1), and so does the compile that follows in
  // this process, so that the schedule built is the one timed. A beam size
  // set by the user is kept.
  setenv("HL_BEAM_SIZE", "1", /*overwrite=*/0);
  if (options.threads > 0)
    setenv("HL_NUM_THREADS", std::to_string(options.threads).c_str(), /*overwrite=*/1);
  ScheduleTuner tuner(module, codegen, options);
  return tuner.run(codegen.choices);
}
