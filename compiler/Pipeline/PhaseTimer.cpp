//===- PhaseTimer.cpp - Where a compile's time goes -----------------------===//
#include "Pipeline/PhaseTimer.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <map>

using namespace kiln;

namespace {

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

/// Records each pass's run time into the timer.
class PassTimes : public mlir::PassInstrumentation {
public:
  explicit PassTimes(PhaseTimer &timer) : timer(timer) {}

  void runBeforePass(mlir::Pass *pass, mlir::Operation *) override {
    if (isAdaptor(pass))
      return;
    started[pass] = now();
  }
  void runAfterPass(mlir::Pass *pass, mlir::Operation *) override { finish(pass); }
  void runAfterPassFailed(mlir::Pass *pass, mlir::Operation *) override { finish(pass); }

private:
  /// The adaptors that run nested pipelines have no argument; the passes
  /// they run are timed themselves.
  static bool isAdaptor(mlir::Pass *pass) { return pass->getArgument().empty(); }
  void finish(mlir::Pass *pass) {
    auto it = started.find(pass);
    if (it == started.end())
      return;
    timer.accumulate(pass->getArgument().str(), now() - it->second, 1);
    started.erase(it);
  }
  PhaseTimer &timer;
  std::map<mlir::Pass *, double> started;
};

} // namespace

PhaseTimer::Scope::Scope(PhaseTimer &timer, size_t entry)
    : timer(&timer), entry(entry), start(now()) {}

PhaseTimer::Scope::Scope(Scope &&other) noexcept
    : timer(other.timer), entry(other.entry), start(other.start) {
  other.timer = nullptr;
}

void PhaseTimer::Scope::note(const std::string &text) {
  if (timer)
    timer->entries[entry].note = text;
}

void PhaseTimer::Scope::stop() {
  if (!timer)
    return;
  timer->entries[entry].seconds = now() - start;
  timer = nullptr;
}

PhaseTimer::PhaseTimer() : start(now()) {}

PhaseTimer::Scope PhaseTimer::phase(const std::string &name, int depth) {
  entries.push_back({name, depth, 0, ""});
  return Scope(*this, entries.size() - 1);
}

void PhaseTimer::record(const std::string &name, double seconds, int depth) {
  entries.push_back({name, depth, seconds, ""});
}

void PhaseTimer::accumulate(const std::string &name, double seconds, int depth) {
  for (Entry &e : entries)
    if (e.name == name && e.depth == depth) {
      e.seconds += seconds;
      return;
    }
  entries.push_back({name, depth, seconds, ""});
}

void PhaseTimer::print(llvm::raw_ostream &os) const {
  double total = now() - start;
  os << "kilnc: time (wall seconds)\n";
  for (const Entry &e : entries) {
    std::string label = std::string(2 + 2 * e.depth, ' ') + e.name;
    os << llvm::left_justify(label, 46) << llvm::format("%8.3f", e.seconds)
       << llvm::format("  %5.1f%%", total > 0 ? 100 * e.seconds / total : 0.0);
    if (!e.note.empty())
      os << "  " << e.note;
    os << "\n";
  }
  os << llvm::left_justify("  total", 46) << llvm::format("%8.3f", total) << "\n";
}

void kiln::timePasses(mlir::PassManager &pm, PhaseTimer &timer) {
  pm.addInstrumentation(std::make_unique<PassTimes>(timer));
}
