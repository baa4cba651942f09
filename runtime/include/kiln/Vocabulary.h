//===- Vocabulary.h - Words the compiler and the runtime share --*- C++ -*-===//
//
// What a model file, the compiled model's ModelInfo and the trainer's command
// line have in common, spelled once: model tasks, the learning-rate schedule
// kinds with their arguments and valid ranges, the initializer names, the
// kinds of range a tune block searches, and the run settings a search may
// vary. The compiler
// checks model files against these tables and the runtime reads them back, so
// a name or a bound is never written in two places.
//
// Plain C++17, header only, constexpr tables: no MLIR, no LLVM, no runtime
// library needed to include it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_VOCABULARY_H
#define KILN_VOCABULARY_H

#include <cmath>
#include <cstddef>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>

namespace kiln::vocabulary {

inline constexpr double Infinity = std::numeric_limits<double>::infinity();

/// The values a number may take: from `low` to `high`, each end open
/// (excluded) or closed (included); only whole numbers when `integer`.
struct NumberRange {
  double low = -Infinity;
  double high = Infinity;
  bool lowOpen = false;
  bool highOpen = false;
  bool integer = false;

  bool contains(double v) const {
    bool aboveLow = lowOpen ? v > low : v >= low;
    bool belowHigh = highOpen ? v < high : v <= high;
    return aboveLow && belowHigh && (!integer || v == std::floor(v));
  }
};

/// A number as messages write it: "0.5", "1e-08", "inf".
inline std::string formatNumber(double v) {
  if (std::isinf(v))
    return v < 0 ? "-inf" : "inf";
  std::ostringstream os;
  os << v;
  return os.str();
}

/// The range as messages write it: "[0, inf)", "(0, 1]".
inline std::string formatRange(const NumberRange &range) {
  return (range.lowOpen ? "(" : "[") + formatNumber(range.low) + ", " + formatNumber(range.high) +
         (range.highOpen ? ")" : "]");
}

/// A table slice: the rows of one constexpr array, iterable.
template <typename T> struct Rows {
  const T *first = nullptr;
  size_t count = 0;

  template <size_t N> constexpr Rows(const T (&rows)[N]) : first(rows), count(N) {}
  constexpr const T *begin() const { return first; }
  constexpr const T *end() const { return first + count; }
  constexpr size_t size() const { return count; }
};

/// The row of `rows` whose `name` is `name`, or nullptr.
template <typename Table>
constexpr auto findByName(const Table &rows, std::string_view name)
    -> decltype(&*std::begin(rows)) {
  for (const auto &row : rows)
    if (row.name == name)
      return &row;
  return nullptr;
}

/// The names of `rows`, comma-separated, as messages list what is known.
template <typename Table> std::string joinNames(const Table &rows) {
  std::string names;
  for (const auto &row : rows)
    names += (names.empty() ? "" : ", ") + std::string(row.name);
  return names;
}

/// What a model trains for (ModelInfo::task); its loss decides.
inline constexpr std::string_view ModelTasks[] = {"classification", "binary", "regression"};

//===----------------------------------------------------------------------===//
// Learning-rate schedules (their formulas are the runtime's)
//===----------------------------------------------------------------------===//

/// One argument of a learning-rate schedule kind.
struct ScheduleArgument {
  std::string_view name;
  NumberRange range;
  /// The value a model file's `schedule` statement gives an argument it
  /// leaves out.
  double defaultValue;
  /// True when the trainer's --schedule flag must give it (no default there).
  bool requiredOnCommandLine;
};

enum class ScheduleKind { Constant, Step, Exponential, Cosine };

struct ScheduleKindRow {
  ScheduleKind kind;
  std::string_view name;
  Rows<ScheduleArgument> arguments;
};

/// Counts of updates: whole numbers from `least` up.
constexpr NumberRange countFrom(double least) { return {least, Infinity, false, true, true}; }

inline constexpr ScheduleArgument WarmupArgument = {"warmup", countFrom(0), 0.0, false};
inline constexpr ScheduleArgument GammaArgument = {"gamma", {0, 1, true, false}, 0.1, true};
inline constexpr ScheduleArgument ConstantScheduleArguments[] = {WarmupArgument};
inline constexpr ScheduleArgument StepScheduleArguments[] = {
    {"step_size", countFrom(1), 1000.0, true}, GammaArgument, WarmupArgument};
inline constexpr ScheduleArgument ExponentialScheduleArguments[] = {GammaArgument, WarmupArgument};
inline constexpr ScheduleArgument CosineScheduleArguments[] = {
    {"period", countFrom(1), 1000.0, true},
    {"min_lr", {0, Infinity, false, true}, 0.0, false},
    WarmupArgument};

/// The units a count argument (step_size, period, warmup) may be given in,
/// besides updates: epochs ("period=2epochs") and a fraction of the run's
/// updates ("warmup=5%", stored as 0.05). Whole numbers of updates or not,
/// they are rounded to updates when the run's length is known.
inline constexpr std::string_view ScheduleUnitEpochs = "epochs";
inline constexpr std::string_view ScheduleUnitRun = "run";

/// Every learning-rate schedule kind, in the order messages list them.
inline constexpr ScheduleKindRow ScheduleKinds[] = {
    {ScheduleKind::Constant, "constant", ConstantScheduleArguments},
    {ScheduleKind::Step, "step", StepScheduleArguments},
    {ScheduleKind::Exponential, "exponential", ExponentialScheduleArguments},
    {ScheduleKind::Cosine, "cosine", CosineScheduleArguments},
};

//===----------------------------------------------------------------------===//
// Initializers
//===----------------------------------------------------------------------===//

enum class InitializerKind {
  Constant,
  Uniform,
  Normal,
  HeNormal,
  HeUniform,
  XavierNormal,
  XavierUniform
};

/// An initializer as the compiler writes it into kiln.param and ModelInfo:
/// a bare name (`he_normal`) or a name with numbers (`uniform(low, high)`).
struct InitializerRow {
  std::string_view name;
  InitializerKind kind;
  size_t numNumbers; // 0: a bare name
  double value;      // zeros and ones: the constant they fill with
};

inline constexpr InitializerRow Initializers[] = {
    {"zeros", InitializerKind::Constant, 0, 0.0},
    {"ones", InitializerKind::Constant, 0, 1.0},
    {"constant", InitializerKind::Constant, 1, 0.0},
    {"uniform", InitializerKind::Uniform, 2, 0.0},
    {"normal", InitializerKind::Normal, 2, 0.0},
    {"he_normal", InitializerKind::HeNormal, 0, 0.0},
    {"he_uniform", InitializerKind::HeUniform, 0, 0.0},
    {"xavier_normal", InitializerKind::XavierNormal, 0, 0.0},
    {"xavier_uniform", InitializerKind::XavierUniform, 0, 0.0},
};

/// Other spellings a model file may use (PyTorch's and Keras's), and the
/// initializer each names.
struct InitializerAlias {
  std::string_view name;
  std::string_view initializer;
};

inline constexpr InitializerAlias InitializerAliases[] = {
    {"kaiming_normal", "he_normal"},
    {"kaiming_uniform", "he_uniform"},
    {"glorot_normal", "xavier_normal"},
    {"glorot_uniform", "xavier_uniform"},
};

/// The initializers as a message lists them.
inline constexpr std::string_view KnownInitializers =
    "zeros, ones, constant(v), uniform(low, high), normal(mean, std), he_normal, he_uniform, "
    "xavier_normal, xavier_uniform";

//===----------------------------------------------------------------------===//
// Hyperparameter search
//===----------------------------------------------------------------------===//

enum class TuneRangeKind {
  Uniform,    // a real value in [low, high]
  LogUniform, // a real value in [low, high], 0 < low, uniform in log space
  Integer,    // an integer in [low, high]
  Choice,     // one of a list of values
};

struct TuneRangeKindRow {
  TuneRangeKind kind;
  std::string_view name;
};

/// The ranges a tune block (or the trainer's --space) may give a value.
inline constexpr TuneRangeKindRow TuneRangeKinds[] = {
    {TuneRangeKind::Uniform, "uniform"},
    {TuneRangeKind::LogUniform, "log_uniform"},
    {TuneRangeKind::Integer, "int"},
    {TuneRangeKind::Choice, "choice"},
};

/// A setting of the trainer a search may vary besides the model's runtime
/// values, with its default and valid range.
struct RunSettingRow {
  std::string_view name;
  double defaultValue;
  NumberRange range;
};

inline constexpr RunSettingRow TunableRunSettings[] = {
    {"batch", 128.0, countFrom(1)},
    {"epochs", 10.0, countFrom(1)},
};

} // namespace kiln::vocabulary

#endif // KILN_VOCABULARY_H
