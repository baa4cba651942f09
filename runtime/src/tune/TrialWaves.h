//===- TrialWaves.h - Running a wave of tuning trials at once ---*- C++ -*-===//
//
// A tuning search proposes trials in waves of --jobs (or, under mpirun, one
// per rank) and runs each wave: in this process, in one child process per
// trial, or one trial per rank of a data-parallel run's process group, whose
// rank 0 runs the search and the others serve it (serveTrialWaves). Every
// way runs the same trials with the same earlier curves, so the results
// agree.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TUNE_TRIALWAVES_H
#define KILN_TUNE_TRIALWAVES_H

#include "kiln/Tune.h"

#include <string>
#include <vector>

namespace kiln {

/// Trials a wave holds: one per rank under mpirun, else --jobs.
int64_t waveSize(const TuneSettings &settings);

/// Where trial `trial` keeps its best weights ("safetensors") or hands its
/// outcome back ("result"), in the search's output directory.
std::string trialPath(const TuneSettings &settings, int64_t trial, const char *suffix);

/// Runs trials firstTrial, firstTrial + 1, ... with the configurations of
/// `wave`, each saving its best weights at trialPath(.., "safetensors");
/// returns their outcomes in order (a trial whose process failed is
/// "failed", with why).
std::vector<TrialOutcome> runTrialWave(CompiledModel &model, const TuneSettings &settings,
                                       const std::vector<TuneConfig> &wave, int64_t firstTrial,
                                       const Dataset &train, const Dataset &validation,
                                       const TrialCurves &earlier);

/// Ranks 1 and up of a search over ranks: runs this rank's trial of each
/// wave rank 0 sends, until rank 0 ends the search (endTrialWaves).
void serveTrialWaves(CompiledModel &model, const TuneSettings &settings, const Dataset &train,
                     const Dataset &validation);

/// Rank 0: tells the serving ranks that no wave follows.
void endTrialWaves(const TuneSettings &settings);

} // namespace kiln

#endif // KILN_TUNE_TRIALWAVES_H
