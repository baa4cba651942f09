//===- Distributed.h - Data-parallel training over processes ----*- C++ -*-===//
//
// The processes of a data-parallel run (a model compiled with
// `kilnc --data-parallel`, started with `mpirun -np N`): every process holds
// the whole model and trains on its part of each global batch; trainStep sums
// the gradients over all of them (kiln::GradientExchange) before the update.
// kiln::Trainer splits the batches, weights each process's gradients by its
// share and starts every process from rank 0's weights when given a group
// (Trainer::setProcessGroup); rank 0 alone reports and saves.
//
// The implementation (MPI, Open MPI) lives in the library Kiln::Distributed,
// linked only into data-parallel programs: nothing here names an MPI type.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DISTRIBUTED_H
#define KILN_DISTRIBUTED_H

#include "kiln/CompiledModel.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln {

/// The processes of one run, numbered 0 (the one that reports) to size() - 1.
class ProcessGroup : public GradientExchange {
public:
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Copies rank 0's `count` floats into every other process's `data`.
  virtual void broadcast(float *data, int64_t count) = 0;
  /// Replaces `values` on every process by their sum over all processes.
  virtual void sum(double *values, int64_t count) = 0;
  /// Copies rank 0's text to every other process.
  virtual void broadcast(std::string &text) = 0;
  /// Every process's text, in rank order, on rank 0 (empty elsewhere).
  virtual std::vector<std::string> gather(const std::string &text) = 0;
  /// Ends every process of the run with `code`, after `message` (on stderr,
  /// naming this rank): for a failure that the others cannot learn of.
  [[noreturn]] virtual void abort(const std::string &message, int code) = 0;

  /// Seconds trainStep spent waiting in finish() for sums still under way
  /// (the part of the gradient exchange that backward did not hide), and
  /// the buckets summed, since the last call of resetWaitTime().
  virtual double waitSeconds() const = 0;
  virtual int64_t bucketsSummed() const = 0;
  virtual void resetWaitTime() = 0;
};

/// The process's part [begin, end) of a batch of `batch` samples in a group
/// of `size` processes: rank r trains on samples batch*r/size to
/// batch*(r+1)/size (the first ranks one fewer where they do not divide).
struct BatchPart {
  int64_t begin = 0, end = 0;
  int64_t count() const { return end - begin; }
};
inline BatchPart batchPart(int64_t batch, int rank, int size) {
  return {batch * rank / size, batch * (rank + 1) / size};
}

/// The processes of this run: starts MPI when a launcher (mpirun, mpiexec,
/// srun) started this process as one of a group, and returns the group;
/// null for a process started on its own (or when MPI fails to start, after
/// a message on stderr). MPI ends when the group is destroyed. For an app
/// that drives kiln::Trainer itself (Trainer::setProcessGroup).
std::unique_ptr<ProcessGroup> joinProcessGroup(int &argc, char **&argv);

/// main() of a data-parallel trainer (Kiln::Distributed): starts MPI when
/// the program was started by mpirun or srun, and runs one process without
/// it otherwise; runs kiln::runMain with the group (rank 0 prints, the
/// others are quiet); a process that fails ends the others (MPI_Abort).
int runMainDataParallel(int argc, char **argv, CompiledModel &model);

} // namespace kiln

#endif // KILN_DISTRIBUTED_H
