//===- LearningRate.h - Learning-rate schedules -----------------*- C++ -*-===//
//
// The learning rate of optimizer update t (0-based) under a ScheduleInfo,
// given the base rate lr. The closed forms are those of PyTorch's schedulers
// stepped once per update:
//
//   constant                       lr
//   step(step_size, gamma)         lr * gamma^floor(t / step_size)     StepLR
//   exponential(gamma)             lr * gamma^t                        ExponentialLR
//   cosine(period, min_lr = 0)     min_lr + (lr - min_lr)              CosineAnnealingLR,
//                                    * (1 + cos(pi * min(t, period) / period)) / 2
//                                                                      held at min_lr
//                                                                      after period
//
// Every kind also takes `warmup` (default 0): for t < warmup the rate rises
// linearly, rate(0) * (t + 1) / warmup, and from then on the schedule above
// runs on t - warmup.
//
// The count arguments (step_size, period, warmup) count updates, or epochs
// ("period=2epochs") or a fraction of the run ("warmup=5%") where a unit
// says so (ScheduleInfo::units); resolveScheduleUnits turns those into
// updates once the run's length is known, as kiln::fit does.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TRAIN_LEARNINGRATE_H
#define KILN_TRAIN_LEARNINGRATE_H

#include "kiln/CompiledModel.h"
#include "kiln/Result.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

/// Checks a schedule: a known kind, each argument known to that kind and
/// given once, required ones present, values in range (step_size, period and
/// warmup integers; step_size and period >= 1, warmup >= 0; gamma in (0, 1];
/// min_lr >= 0). The message names the bad part, e.g.
/// "schedule step: gamma = 1.5 is out of range (0, 1]".
Status checkSchedule(const ScheduleInfo &schedule);

/// Parses the command-line form: a kind with optional arguments, e.g.
/// "cosine(period=1000,min_lr=0.0001,warmup=100)" or "constant", and checks
/// it with checkSchedule. A count argument may carry a unit:
/// "cosine(period=3epochs,warmup=5%)". Spaces between the parts are allowed.
Result<ScheduleInfo> parseSchedule(std::string_view text);

/// The command-line form of a schedule, which parseSchedule reads back:
/// "constant", or e.g. "step(step_size=10,gamma=0.5)".
std::string formatSchedule(const ScheduleInfo &schedule);

/// `schedule` with every argument given in epochs or as a fraction of the run
/// turned into updates (rounded; a period or step size at least 1), for a
/// run of `updatesPerEpoch` updates per epoch and `runUpdates` in all. Fails
/// on a fraction of the run when runUpdates is 0 (unknown).
Result<ScheduleInfo> resolveScheduleUnits(const ScheduleInfo &schedule, int64_t updatesPerEpoch,
                                          int64_t runUpdates);

/// Sets argument `name` of `schedule`, if given, to `updates`, a count in
/// updates (as a tune range's value is): any unit it had is dropped.
void setScheduleArgInUpdates(ScheduleInfo &schedule, std::string_view name, double updates);

/// The updates of warm-up of a schedule in updates (0 for none).
int64_t warmupUpdates(const ScheduleInfo &schedule);

/// The learning rate for the 0-based update number `step` given the base
/// learning rate. `schedule` must pass checkSchedule, its units resolved;
/// arguments not given take their defaults.
double scheduledRate(const ScheduleInfo &schedule, double baseLr, int64_t step);

} // namespace kiln

#endif // KILN_TRAIN_LEARNINGRATE_H
