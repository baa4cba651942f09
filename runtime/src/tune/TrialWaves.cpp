//===- TrialWaves.cpp - Running a wave of tuning trials at once -----------===//
//
// A wave runs in this process (one trial), in one child process per trial
// (--jobs: forked, each handing its outcome back in a file), or one trial
// per rank of an MPI run (the configurations and the earlier curves
// broadcast from rank 0, the outcomes gathered back to it).
//
//===----------------------------------------------------------------------===//
#include "tune/TrialWaves.h"
#include "io/AtomicFile.h"
#include "io/ReadFile.h"
#include "kiln/Distributed.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

namespace kiln {

namespace {

/// A trial's outcome as a file, for a child process to hand it back.
std::string encodeOutcome(const TrialOutcome &o) {
  std::ostringstream os;
  os.precision(17);
  os << o.record.status << '\n'
     << o.record.objective << '\n'
     << o.record.epochs << '\n'
     << o.record.seconds << '\n';
  for (double v : o.curve)
    os << v << ' ';
  os << '\n' << o.message << '\n';
  return os.str();
}

bool decodeOutcome(const std::string &text, TrialOutcome &o) {
  std::istringstream is(text);
  std::string objective, curve;
  if (!std::getline(is, o.record.status) || !std::getline(is, objective) ||
      !(is >> o.record.epochs >> o.record.seconds))
    return false;
  is.ignore(1);
  o.record.objective = objective == "nan" ? NAN : std::strtod(objective.c_str(), nullptr);
  std::getline(is, curve);
  std::istringstream values(curve);
  for (std::string v; values >> v;)
    o.curve.push_back(std::strtod(v.c_str(), nullptr));
  std::getline(is, o.message);
  return true;
}

/// Rows of numbers, one per line, after a line with their count.
void writeRows(std::ostream &os, const std::vector<std::vector<double>> &rows) {
  os << rows.size() << '\n';
  for (const std::vector<double> &row : rows) {
    for (double v : row)
      os << v << ' ';
    os << '\n';
  }
}

bool readRows(std::istream &is, std::vector<std::vector<double>> &rows) {
  size_t count = 0;
  if (!(is >> count))
    return false;
  std::string line;
  std::getline(is, line);
  rows.assign(count, {});
  for (std::vector<double> &row : rows) {
    if (!std::getline(is, line))
      return false;
    std::istringstream values(line);
    for (std::string v; values >> v;)
      row.push_back(std::strtod(v.c_str(), nullptr));
  }
  return true;
}

/// A wave for the serving ranks: its first trial's number, the
/// configurations and the earlier trials' curves (for pruning). An empty
/// text ends the search.
std::string encodeWave(int64_t firstTrial, const std::vector<TuneConfig> &wave,
                       const TrialCurves &earlier) {
  std::ostringstream os;
  os.precision(17);
  os << firstTrial << '\n';
  writeRows(os, wave);
  writeRows(os, earlier);
  return os.str();
}

bool decodeWave(const std::string &text, int64_t &firstTrial, std::vector<TuneConfig> &wave,
                TrialCurves &earlier) {
  std::istringstream is(text);
  return static_cast<bool>(is >> firstTrial) && readRows(is, wave) && readRows(is, earlier);
}

/// A trial whose outcome never came back.
TrialOutcome failedTrial(std::string message) {
  TrialOutcome o;
  o.record.status = "failed";
  o.record.objective = NAN;
  o.message = std::move(message);
  return o;
}

/// One child process per trial; the parent runs no kernels while children
/// may still be forked (a fork copies no thread pool).
std::vector<TrialOutcome> runInChildren(CompiledModel &model, const TuneSettings &settings,
                                        const std::vector<TuneConfig> &wave, int64_t firstTrial,
                                        const Dataset &train, const Dataset &validation,
                                        const TrialCurves &earlier) {
  std::fflush(nullptr);
  std::vector<pid_t> children;
  for (size_t j = 0; j < wave.size(); ++j) {
    int64_t n = firstTrial + int64_t(j);
    pid_t pid = fork();
    if (pid == 0) {
      TrialOutcome o = runTrial(model, settings, wave[j], n, train, validation, earlier,
                                trialPath(settings, n, "safetensors"));
      Status status = writeFileAtomically(trialPath(settings, n, "result"), {encodeOutcome(o)});
      _exit(status ? 0 : 1);
    }
    children.push_back(pid);
  }
  std::vector<TrialOutcome> outcomes(wave.size());
  for (size_t j = 0; j < wave.size(); ++j) {
    std::string resultPath = trialPath(settings, firstTrial + int64_t(j), "result");
    int status = 0;
    Result<std::string> result = Error("the trial wrote no result");
    if (children[j] >= 0 && waitpid(children[j], &status, 0) >= 0)
      result = readFileText(resultPath, 1 << 20, "a trial's result");
    if (!result || !decodeOutcome(*result, outcomes[j]))
      outcomes[j] = failedTrial(children[j] < 0 ? "cannot start a process"
                                                : fmt::format("the trial's process ended with "
                                                              "status {}",
                                                              status));
    std::error_code ec;
    std::filesystem::remove(resultPath, ec);
  }
  return outcomes;
}

/// This rank's trial of a wave (rank r runs its r-th configuration), its
/// outcome as text; empty for a rank beyond the wave.
std::string runRankTrial(CompiledModel &model, const TuneSettings &settings,
                         const std::vector<TuneConfig> &wave, int64_t firstTrial,
                         const Dataset &train, const Dataset &validation,
                         const TrialCurves &earlier) {
  size_t j = static_cast<size_t>(settings.group->rank());
  if (j >= wave.size())
    return "";
  int64_t n = firstTrial + int64_t(j);
  return encodeOutcome(runTrial(model, settings, wave[j], n, train, validation, earlier,
                                trialPath(settings, n, "safetensors")));
}

std::vector<TrialOutcome> runOnRanks(CompiledModel &model, const TuneSettings &settings,
                                     const std::vector<TuneConfig> &wave, int64_t firstTrial,
                                     const Dataset &train, const Dataset &validation,
                                     const TrialCurves &earlier) {
  std::string text = encodeWave(firstTrial, wave, earlier);
  settings.group->broadcast(text);
  std::vector<std::string> results = settings.group->gather(
      runRankTrial(model, settings, wave, firstTrial, train, validation, earlier));
  std::vector<TrialOutcome> outcomes(wave.size());
  for (size_t j = 0; j < wave.size(); ++j)
    if (j >= results.size() || !decodeOutcome(results[j], outcomes[j]))
      outcomes[j] = failedTrial(fmt::format("rank {} returned no result", j));
  return outcomes;
}

} // namespace

int64_t waveSize(const TuneSettings &settings) {
  if (settings.group && settings.group->size() > 1)
    return settings.group->size();
  return std::max<int64_t>(settings.jobs, 1);
}

std::string trialPath(const TuneSettings &settings, int64_t trial, const char *suffix) {
  return fmt::format("{}/.trial-{}.{}", settings.outputDir, trial, suffix);
}

std::vector<TrialOutcome> runTrialWave(CompiledModel &model, const TuneSettings &settings,
                                       const std::vector<TuneConfig> &wave, int64_t firstTrial,
                                       const Dataset &train, const Dataset &validation,
                                       const TrialCurves &earlier) {
  std::vector<TrialOutcome> outcomes;
  if (settings.group && settings.group->size() > 1)
    outcomes = runOnRanks(model, settings, wave, firstTrial, train, validation, earlier);
  else if (wave.size() > 1)
    outcomes = runInChildren(model, settings, wave, firstTrial, train, validation, earlier);
  else
    for (size_t j = 0; j < wave.size(); ++j)
      outcomes.push_back(runTrial(model, settings, wave[j], firstTrial + int64_t(j), train,
                                  validation, earlier,
                                  trialPath(settings, firstTrial + int64_t(j), "safetensors")));
  for (size_t j = 0; j < wave.size(); ++j) {
    outcomes[j].record.trial = firstTrial + int64_t(j);
    outcomes[j].record.values = wave[j];
  }
  return outcomes;
}

void serveTrialWaves(CompiledModel &model, const TuneSettings &settings, const Dataset &train,
                     const Dataset &validation) {
  for (;;) {
    std::string text;
    settings.group->broadcast(text);
    int64_t firstTrial = 0;
    std::vector<TuneConfig> wave;
    TrialCurves earlier;
    if (text.empty() || !decodeWave(text, firstTrial, wave, earlier))
      return;
    settings.group->gather(
        runRankTrial(model, settings, wave, firstTrial, train, validation, earlier));
  }
}

void endTrialWaves(const TuneSettings &settings) {
  if (!settings.group || settings.group->size() <= 1)
    return;
  std::string none;
  settings.group->broadcast(none);
}

} // namespace kiln
