//===- Distributed.cpp - The process group of a data-parallel run, on MPI -===//
//
// kiln::ProcessGroup over MPI_COMM_WORLD, and the main() of data-parallel
// trainers. Built into Kiln::Distributed only when CMake finds MPI; the rest
// of the runtime knows the group through kiln/Distributed.h alone.
//
//===----------------------------------------------------------------------===//

#include "kiln/Distributed.h"
#include "kiln/Cli.h"
#include "core/Launcher.h"

#include <mpi.h>

#include <fmt/format.h>

#include <chrono>
#include <climits>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace kiln {

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// The buckets of a train step, summed one after another by a thread of
/// their own while the kernels compute: Open MPI moves a non-blocking
/// collective on only inside MPI calls, which a long kernel never makes, so
/// a sum started with MPI_Iallreduce would wait for the next call between
/// kernels. The thread is the only caller of MPI while a sum is under way;
/// the main thread calls MPI only when none is (MPI_THREAD_SERIALIZED).
class BucketSummer {
public:
  BucketSummer() : worker([this] { run(); }) {}
  ~BucketSummer() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    worker.join();
  }

  void start(int64_t bucket, float *data, int count) {
    std::lock_guard<std::mutex> lock(mutex);
    if (static_cast<size_t>(bucket) >= done.size())
      done.resize(static_cast<size_t>(bucket) + 1, true);
    done[static_cast<size_t>(bucket)] = false;
    queue.push_back({bucket, data, count});
    wake.notify_all();
  }

  /// Waits for `bucket`'s sum; false for a bucket never started.
  bool finish(int64_t bucket) {
    std::unique_lock<std::mutex> lock(mutex);
    if (static_cast<size_t>(bucket) >= done.size())
      return false;
    finished.wait(lock, [&] { return done[static_cast<size_t>(bucket)]; });
    return true;
  }

  /// Waits until no sum is under way (before the main thread calls MPI).
  void drain() {
    std::unique_lock<std::mutex> lock(mutex);
    finished.wait(lock, [&] { return queue.empty() && !busy; });
  }

private:
  struct Sum {
    int64_t bucket;
    float *data;
    int count;
  };

  void run() {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty())
        return;
      Sum sum = queue.front();
      queue.pop_front();
      busy = true;
      lock.unlock();
      MPI_Allreduce(MPI_IN_PLACE, sum.data, sum.count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      lock.lock();
      busy = false;
      done[static_cast<size_t>(sum.bucket)] = true;
      finished.notify_all();
    }
  }

  std::mutex mutex;
  std::condition_variable wake, finished;
  std::deque<Sum> queue;
  std::vector<bool> done; // by bucket
  bool busy = false, stopping = false;
  std::thread worker; // last: starts once the rest is built
};

class MpiProcessGroup final : public ProcessGroup {
public:
  MpiProcessGroup() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiProcessGroup() override {
    summer.reset();
    MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void start(int64_t bucket, float *data, int64_t floats) override {
    if (bucket < 0)
      abort(fmt::format("gradient bucket {} is not a bucket", bucket), 1);
    summer->start(bucket, data, count(floats));
  }

  void abandon(const std::string &why) override {
    if (size_ > 1)
      abort(why + " in a data-parallel step", 1);
  }

  bool finish(int64_t bucket) override {
    double begin = now();
    bool known = bucket >= 0 && summer->finish(bucket);
    waited += now() - begin;
    summed += known;
    return known;
  }

  void broadcast(float *data, int64_t count) override {
    summer->drain();
    for (int64_t done = 0; done < count; done += INT_MAX)
      MPI_Bcast(data + done, static_cast<int>(std::min<int64_t>(count - done, INT_MAX)),
                MPI_FLOAT, 0, MPI_COMM_WORLD);
  }

  void sum(double *values, int64_t count) override {
    summer->drain();
    MPI_Allreduce(MPI_IN_PLACE, values, this->count(count), MPI_DOUBLE, MPI_SUM,
                  MPI_COMM_WORLD);
  }

  void broadcast(std::string &text) override {
    summer->drain();
    int64_t length = static_cast<int64_t>(text.size());
    MPI_Bcast(&length, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    text.resize(static_cast<size_t>(length));
    MPI_Bcast(text.data(), count(length), MPI_CHAR, 0, MPI_COMM_WORLD);
  }

  std::vector<std::string> gather(const std::string &text) override {
    summer->drain();
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
  std::unique_ptr<BucketSummer> summer = std::make_unique<BucketSummer>();
  double waited = 0;
  int64_t summed = 0;
};

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
  // The main thread and the bucket summer call MPI, never both at once; the
  // kernels' threads never do.
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS ||
      provided < MPI_THREAD_SERIALIZED) {
    std::cerr << "error: MPI could not start with MPI_THREAD_SERIALIZED" << std::endl;
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
