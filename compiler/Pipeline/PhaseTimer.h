//===- PhaseTimer.h - Where a compile's time goes (kilnc --time) -*- C++ -*-===//
//
// Wall time of each phase of a compile, in the order the phases began, with
// nesting (the passes within the pass pipeline), printed as one table.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_PIPELINE_PHASETIMER_H
#define KILN_PIPELINE_PHASETIMER_H

#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir {
class PassManager;
} // namespace mlir

namespace kiln {

class PhaseTimer {
public:
  /// A phase that lasts until the object is destroyed or stop() is called.
  class Scope {
  public:
    Scope(PhaseTimer &timer, size_t entry);
    Scope(Scope &&other) noexcept;
    Scope(const Scope &) = delete;
    ~Scope() { stop(); }
    void stop();
    /// What follows the phase's time in the table.
    void note(const std::string &text);

  private:
    PhaseTimer *timer;
    size_t entry;
    double start;
  };

  PhaseTimer();

  /// Starts timing a phase named `name`, nested `depth` levels deep.
  Scope phase(const std::string &name, int depth = 0);
  /// Records a phase measured elsewhere.
  void record(const std::string &name, double seconds, int depth = 0);
  /// Adds `seconds` to the entry of that name at that depth (created, in
  /// order, on first use): a phase that happens many times, like a pass.
  void accumulate(const std::string &name, double seconds, int depth);
  /// The table: each phase's seconds and share of the time since the timer
  /// was made, then that time.
  void print(llvm::raw_ostream &os) const;

private:
  struct Entry {
    std::string name;
    int depth;
    double seconds;
    std::string note;
  };
  std::vector<Entry> entries;
  double start;
};

/// Times every pass that `pm` runs, each as a phase nested under the current
/// one (depth 1), its runs summed.
void timePasses(mlir::PassManager &pm, PhaseTimer &timer);

} // namespace kiln

#endif // KILN_PIPELINE_PHASETIMER_H
