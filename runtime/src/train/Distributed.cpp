//===- Distributed.cpp - The process group of a data-parallel run, on MPI -===//
//
// kiln::ProcessGroup over MPI_COMM_WORLD, and the main() of data-parallel
// trainers. Built into Kiln::Distributed only when CMake finds MPI; the rest
// of the runtime knows the group through kiln/Distributed.h alone.
//
//===----------------------------------------------------------------------===//

#include "kiln/Distributed.h"
#include "kiln/Cli.h"

#include <mpi.h>

#include <fmt/format.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace kiln {

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class MpiProcessGroup final : public ProcessGroup {
public:
  MpiProcessGroup() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiProcessGroup() override { MPI_Finalize(); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void start(int64_t bucket, float *data, int64_t floats) override {
    if (bucket < 0)
      abort(fmt::format("gradient bucket {} is not a bucket", bucket), 1);
    if (static_cast<size_t>(bucket) >= pending.size())
      pending.resize(static_cast<size_t>(bucket) + 1, MPI_REQUEST_NULL);
    MPI_Iallreduce(MPI_IN_PLACE, data, count(floats), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                   &pending[static_cast<size_t>(bucket)]);
  }

  void progress() override {
    // Open MPI moves a non-blocking collective on only inside MPI calls.
    for (MPI_Request &request : pending)
      if (request != MPI_REQUEST_NULL) {
        int done = 0;
        MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      }
  }

  bool finish(int64_t bucket) override {
    if (bucket < 0 || static_cast<size_t>(bucket) >= pending.size())
      return false;
    double begin = now();
    MPI_Wait(&pending[static_cast<size_t>(bucket)], MPI_STATUS_IGNORE);
    waited += now() - begin;
    ++summed;
    return true;
  }

  void broadcast(float *data, int64_t count) override {
    for (int64_t done = 0; done < count; done += INT_MAX)
      MPI_Bcast(data + done, static_cast<int>(std::min<int64_t>(count - done, INT_MAX)),
                MPI_FLOAT, 0, MPI_COMM_WORLD);
  }

  void sum(double *values, int64_t count) override {
    MPI_Allreduce(MPI_IN_PLACE, values, this->count(count), MPI_DOUBLE, MPI_SUM,
                  MPI_COMM_WORLD);
  }

  void broadcast(std::string &text) override {
    int64_t length = static_cast<int64_t>(text.size());
    MPI_Bcast(&length, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    text.resize(static_cast<size_t>(length));
    MPI_Bcast(text.data(), count(length), MPI_CHAR, 0, MPI_COMM_WORLD);
  }

  std::vector<std::string> gather(const std::string &text) override {
    int length = count(static_cast<int64_t>(text.size()));
    std::vector<int> lengths(rank_ == 0 ? static_cast<size_t>(size_) : 0);
    MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::vector<int> offsets(lengths.size());
    int64_t total = 0;
    for (size_t r = 0; r < lengths.size(); ++r) {
      offsets[r] = count(total);
      total += lengths[r];
    }
    std::string all(static_cast<size_t>(total), '\0');
    MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(),
                MPI_CHAR, 0, MPI_COMM_WORLD);
    std::vector<std::string> texts;
    for (size_t r = 0; r < lengths.size(); ++r)
      texts.push_back(all.substr(static_cast<size_t>(offsets[r]), static_cast<size_t>(lengths[r])));
    return texts;
  }

  [[noreturn]] void abort(const std::string &message, int code) override {
    std::cerr << fmt::format("error: rank {} of {}: {}; ending the run on every rank", rank_,
                             size_, message)
              << std::endl;
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }

  double waitSeconds() const override { return waited; }
  int64_t bucketsSummed() const override { return summed; }
  void resetWaitTime() override {
    waited = 0;
    summed = 0;
  }

private:
  /// A count MPI takes (an int); the model's sizes are far below the limit.
  int count(int64_t n) {
    if (n < 0 || n > INT_MAX)
      abort(fmt::format("{} elements in one message: more than MPI takes at once", n), 1);
    return static_cast<int>(n);
  }

  int rank_ = 0, size_ = 1;
  std::vector<MPI_Request> pending; // by bucket
  double waited = 0;
  int64_t summed = 0;
};

/// Whether a launcher (mpirun, mpiexec, srun) started this process as one
/// of a group; a program started by hand runs alone without MPI.
bool startedByLauncher() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name))
      return true;
  return false;
}

/// Each line of `text`, prefixed.
std::string prefixLines(const std::string &text, const std::string &prefix) {
  std::istringstream in(text);
  std::string out, line;
  while (std::getline(in, line))
    out += prefix + line + "\n";
  return out;
}

} // namespace

std::unique_ptr<ProcessGroup> joinProcessGroup(int &argc, char **&argv) {
  if (!startedByLauncher())
    return nullptr;
  int provided = 0;
  // Only the main thread calls MPI; the kernels' threads never do.
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    std::cerr << "error: MPI could not start" << std::endl;
    return nullptr;
  }
  return std::make_unique<MpiProcessGroup>();
}

int runMainDataParallel(int argc, char **argv, CompiledModel &model) {
  if (!startedByLauncher())
    return runMain(argc, argv, model, std::cout, std::cerr, nullptr);
  std::unique_ptr<ProcessGroup> group = joinProcessGroup(argc, argv);
  if (!group)
    return ExitFailure;
  // Rank 0 speaks for the run; the others keep their errors until they
  // know whether the run failed.
  std::ostream quiet(nullptr); // writes nothing
  std::ostringstream errors;
  std::ostream &out = group->rank() == 0 ? std::cout : quiet;
  std::ostream &err = group->rank() == 0 ? std::cerr : errors;
  int status = runMain(argc, argv, model, out, err, group.get());
  // A bad command line fails the same way on every rank, before any rank
  // waits for another: each ends on its own. Any other failure may leave
  // the others waiting for this process: it ends them.
  if (status != ExitSuccess && status != ExitUsage) {
    std::cerr << prefixLines(errors.str(), fmt::format("rank {}: ", group->rank()));
    group->abort(fmt::format("the command failed (exit status {})", status), status);
  }
  return status;
}

} // namespace kiln
