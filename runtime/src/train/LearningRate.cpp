//===- LearningRate.cpp - Learning-rate schedules -------------------------===//
//
// One table (kiln/Vocabulary.h, shared with the compiler) says which
// arguments each kind takes and what values they allow; checking, defaults
// and messages all read it. Only the formulas in
// rateAfterWarmup are per kind.
//
//===----------------------------------------------------------------------===//

#include "train/LearningRate.h"
#include "kiln/Vocabulary.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace kiln {

namespace {

constexpr double Pi = 3.14159265358979323846;
// Integer arguments are stored as doubles; beyond 2^53 they are not exact.
constexpr double MaxInteger = 9007199254740992.0;

using ArgRule = vocabulary::ScheduleArgument;
using KindRule = vocabulary::ScheduleKindRow;

const KindRule *findKind(std::string_view kind) {
  return vocabulary::findByName(vocabulary::ScheduleKinds, kind);
}

const ArgRule *findArg(const KindRule &kind, std::string_view name) {
  return vocabulary::findByName(kind.arguments, name);
}

/// The largest value `rule` allows here: integers stop where doubles stop
/// being exact.
double maxValue(const ArgRule &rule) {
  return rule.range.integer ? std::min(rule.range.high, MaxInteger) : rule.range.high;
}

/// "a, b or c"
template <typename Range, typename Name> std::string listNames(const Range &range, Name name) {
  std::string out;
  size_t count = std::size(range), i = 0;
  for (const auto &item : range) {
    if (i > 0)
      out += i + 1 == count ? " or " : ", ";
    out += name(item);
    ++i;
  }
  return out;
}

/// The unit argument `name` is given in: "epochs", "run", or "" for updates.
std::string_view unitOf(const ScheduleInfo &schedule, std::string_view name) {
  for (const auto &[argName, unit] : schedule.units)
    if (argName == name)
      return unit;
  return {};
}

/// The value of argument `name`: as given, or its default.
double argValue(const ScheduleInfo &schedule, const KindRule &kind, std::string_view name) {
  for (const auto &[argName, value] : schedule.args)
    if (argName == name)
      return value;
  const ArgRule *rule = findArg(kind, name);
  return rule && !rule->requiredOnCommandLine ? rule->defaultValue : 0;
}

/// The rate of update t of the schedule proper, warm-up aside.
double rateAfterWarmup(const ScheduleInfo &schedule, const KindRule &kind, double lr, int64_t t) {
  using vocabulary::ScheduleKind;
  if (kind.kind == ScheduleKind::Step) {
    auto stepSize = static_cast<int64_t>(argValue(schedule, kind, "step_size"));
    return lr * std::pow(argValue(schedule, kind, "gamma"), double(t / stepSize));
  }
  if (kind.kind == ScheduleKind::Exponential)
    return lr * std::pow(argValue(schedule, kind, "gamma"), double(t));
  if (kind.kind == ScheduleKind::Cosine) {
    double period = argValue(schedule, kind, "period");
    double minLr = argValue(schedule, kind, "min_lr");
    double progress = std::min(double(t), period) / period;
    return minLr + (lr - minLr) * (1 + std::cos(Pi * progress)) / 2;
  }
  return lr;
}

} // namespace

Status checkSchedule(const ScheduleInfo &schedule) {
  const KindRule *kind = findKind(schedule.kind);
  if (!kind)
    return Error(fmt::format("unknown schedule \"{}\" (expected {})", schedule.kind,
                             listNames(vocabulary::ScheduleKinds,
                                       [](const KindRule &r) { return std::string(r.name); })));

  std::string where = fmt::format("schedule {}", kind->name);
  for (size_t i = 0; i < schedule.args.size(); ++i) {
    const auto &[name, value] = schedule.args[i];
    const ArgRule *rule = findArg(*kind, name);
    if (!rule)
      return Error(fmt::format(
          "{}: unknown argument \"{}\" (expected {})", where, name,
          listNames(kind->arguments, [](const ArgRule &r) { return std::string(r.name); })));
    for (size_t j = 0; j < i; ++j)
      if (schedule.args[j].first == name)
        return Error(fmt::format("{}: argument \"{}\" given twice", where, name));
    if (!std::isfinite(value))
      return Error(fmt::format("{}: {} = {} is not a finite number", where, name, value));
    if (std::string_view unit = unitOf(schedule, name); !unit.empty()) {
      // Epochs and fractions of the run need not be whole; a period must
      // come to at least one update, which the rounding sees to.
      bool positive = rule->range.low > 0;
      if (value < 0 || (positive && value == 0))
        return Error(fmt::format("{}: {} = {} must be {} 0", where, name,
                                 unit == vocabulary::ScheduleUnitRun
                                     ? fmt::format("{}% of the run", value * 100)
                                     : fmt::format("{} epochs", value),
                                 positive ? ">" : ">="));
      continue;
    }
    if (rule->range.integer && value != std::floor(value))
      return Error(fmt::format("{}: {} = {} is not an integer", where, name, value));
    if (value < rule->range.low || (rule->range.lowOpen && value == rule->range.low) ||
        value > maxValue(*rule))
      return Error(fmt::format("{}: {} = {} is out of range {}", where, name, value,
                               vocabulary::formatRange(rule->range)));
  }
  for (size_t i = 0; i < schedule.units.size(); ++i) {
    // Not a structured binding: C++17 lambdas cannot capture one.
    const std::string &name = schedule.units[i].first;
    const std::string &unit = schedule.units[i].second;
    const ArgRule *rule = findArg(*kind, name);
    bool given = std::any_of(schedule.args.begin(), schedule.args.end(),
                             [&](const auto &arg) { return arg.first == name; });
    if (!rule || !given || !rule->range.integer)
      return Error(fmt::format("{}: a unit for \"{}\", which is not a count argument given "
                               "(step_size, period or warmup)",
                               where, name));
    if (unit != vocabulary::ScheduleUnitEpochs && unit != vocabulary::ScheduleUnitRun)
      return Error(fmt::format("{}: unknown unit \"{}\" of {} (expected {} or {})", where, unit,
                               name, vocabulary::ScheduleUnitEpochs, vocabulary::ScheduleUnitRun));
    for (size_t j = 0; j < i; ++j)
      if (schedule.units[j].first == name)
        return Error(fmt::format("{}: two units for \"{}\"", where, name));
  }
  for (const ArgRule &rule : kind->arguments) {
    if (!rule.requiredOnCommandLine)
      continue;
    bool given = std::any_of(schedule.args.begin(), schedule.args.end(),
                             [&](const auto &arg) { return arg.first == rule.name; });
    if (!given)
      return Error(fmt::format("{}: missing argument \"{}\"", where, rule.name));
  }
  return {};
}

namespace {

/// A recursive-descent reader of `kind(name=value,...)`.
class ScheduleParser {
public:
  explicit ScheduleParser(std::string_view text) : text(text) {}

  Result<ScheduleInfo> parse() {
    ScheduleInfo schedule;
    if (!parseSchedule(schedule))
      return Error(
          fmt::format("bad schedule \"{}\" at column {}: {}", text, errorPos + 1, message));
    if (Status status = checkSchedule(schedule); !status)
      return status.takeError();
    return schedule;
  }

private:
  bool fail(std::string what) {
    message = std::move(what);
    errorPos = pos;
    return false;
  }

  bool parseSchedule(ScheduleInfo &schedule) {
    skipSpace();
    if (!parseName(schedule.kind, "a schedule kind"))
      return false;
    skipSpace();
    if (consume('(')) {
      skipSpace();
      if (!consume(')')) {
        do {
          skipSpace();
          std::string name;
          double value;
          if (!parseName(name, "an argument name"))
            return false;
          skipSpace();
          if (!consume('='))
            return fail("expected '=' after the argument name");
          skipSpace();
          if (!parseNumber(value))
            return false;
          skipSpace();
          if (consume('%')) {
            value /= 100;
            schedule.units.emplace_back(name, vocabulary::ScheduleUnitRun);
          } else if (consumeWord("epochs") || consumeWord("epoch")) {
            schedule.units.emplace_back(name, vocabulary::ScheduleUnitEpochs);
          }
          schedule.args.emplace_back(std::move(name), value);
          skipSpace();
        } while (consume(','));
        if (!consume(')'))
          return fail("expected ',' or ')' after an argument");
      }
      skipSpace();
    }
    if (pos < text.size())
      return fail("unexpected text after the schedule");
    return true;
  }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t'))
      ++pos;
  }

  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  bool consumeWord(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      return false;
    pos += word.size();
    return true;
  }

  static bool isNameStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  bool parseName(std::string &out, const char *what) {
    if (pos >= text.size() || !isNameStart(text[pos]))
      return fail(fmt::format("expected {}", what));
    size_t start = pos;
    while (pos < text.size() && (isNameStart(text[pos]) || (text[pos] >= '0' && text[pos] <= '9')))
      ++pos;
    out = std::string(text.substr(start, pos - start));
    return true;
  }

  /// A decimal number such as 100, 0.5 or 1e-4 (not the "e" of a unit).
  bool parseNumber(double &out) {
    size_t start = pos;
    while (pos < text.size() &&
           std::string_view("0123456789.eE+-").find(text[pos]) != std::string_view::npos &&
           text.substr(pos, 5) != "epoch")
      ++pos;
    const char *begin = text.data() + start, *end = text.data() + pos;
    auto [stop, code] = std::from_chars(begin, end, out);
    if (start == pos || code != std::errc() || stop != end) {
      pos = start;
      return fail("expected a number");
    }
    return true;
  }

  std::string_view text;
  size_t pos = 0;
  std::string message;
  size_t errorPos = 0;
};

} // namespace

Result<ScheduleInfo> parseSchedule(std::string_view text) { return ScheduleParser(text).parse(); }

std::string formatSchedule(const ScheduleInfo &schedule) {
  if (schedule.args.empty())
    return schedule.kind;
  std::string out = schedule.kind + "(";
  for (size_t i = 0; i < schedule.args.size(); ++i) {
    const auto &[name, value] = schedule.args[i];
    std::string_view unit = unitOf(schedule, name);
    if (unit == vocabulary::ScheduleUnitRun)
      out += fmt::format("{}{}={}%", i ? "," : "", name, value * 100);
    else
      out += fmt::format("{}{}={}{}", i ? "," : "", name, value, unit);
  }
  return out + ")";
}

Result<ScheduleInfo> resolveScheduleUnits(const ScheduleInfo &schedule, int64_t updatesPerEpoch,
                                          int64_t runUpdates) {
  ScheduleInfo resolved = schedule;
  resolved.units.clear();
  const KindRule *kind = findKind(schedule.kind);
  for (auto &[name, value] : resolved.args) {
    std::string_view unit = unitOf(schedule, name);
    if (unit.empty() || !kind)
      continue;
    double updates = unit == vocabulary::ScheduleUnitEpochs ? value * double(updatesPerEpoch)
                                                            : value * double(runUpdates);
    if (unit == vocabulary::ScheduleUnitRun && runUpdates <= 0)
      return Error(fmt::format("schedule {}: {} = {}% of the run needs the run's length, which "
                               "kiln::fit knows: train with fit, or give it in updates or epochs",
                               schedule.kind, name, value * 100));
    const ArgRule *rule = findArg(*kind, name);
    value = std::min(std::max(std::round(updates), rule ? rule->range.low : 0.0), MaxInteger);
  }
  return resolved;
}

void setScheduleArgInUpdates(ScheduleInfo &schedule, std::string_view name, double updates) {
  for (auto &[argName, value] : schedule.args)
    if (argName == name)
      value = updates;
  schedule.units.erase(std::remove_if(schedule.units.begin(), schedule.units.end(),
                                      [&](const auto &unit) { return unit.first == name; }),
                       schedule.units.end());
}

int64_t warmupUpdates(const ScheduleInfo &schedule) {
  const KindRule *kind = findKind(schedule.kind);
  return kind ? static_cast<int64_t>(argValue(schedule, *kind, "warmup")) : 0;
}

double scheduledRate(const ScheduleInfo &schedule, double baseLr, int64_t step) {
  const KindRule *kind = findKind(schedule.kind);
  if (!kind)
    return baseLr;
  int64_t t = std::max<int64_t>(step, 0);
  auto warmup = static_cast<int64_t>(argValue(schedule, *kind, "warmup"));
  if (t < warmup)
    return rateAfterWarmup(schedule, *kind, baseLr, 0) * double(t + 1) / double(warmup);
  return rateAfterWarmup(schedule, *kind, baseLr, t - warmup);
}

} // namespace kiln
