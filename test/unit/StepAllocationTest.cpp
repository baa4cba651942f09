//===- StepAllocationTest.cpp - No heap allocation in a training step -----===//
//
// Once warmed up, a training step of a generated model reaches no allocator:
// the Halide kernels' halide_malloc and halide_free are served by the
// runtime's block cache (kiln/KernelMemory.h, tested first on its own), and
// neither the generated wrapper nor kiln::Model or kiln::Trainer allocate
// per step. Checked for the example MLP and LeNet-5 (compiled by kilnc
// through kiln_add_model), on every path an app trains through: the
// generated trainStep, Model::trainStep on tensor views and on raw pointers,
// and Trainer::trainEpoch; on one thread and on Halide's thread pool. Each
// run must reach 10 steps in a row without allocation, from its third step
// on (see kSteadySteps).
//
// Counted while a step runs, on every thread:
//  - calls of the malloc family (malloc, calloc, realloc and the aligned
//    allocations), which this program replaces by counting wrappers around
//    glibc's own functions: whatever reaches the system allocator passes
//    there (operator new, Halide's default halide_malloc, the block cache on
//    a miss). Left out under sanitizers that intercept malloc themselves;
//  - calls of global operator new, replaced here too;
//  - halide_malloc calls, and those the cache served from the system (its
//    statistics).
//
//===----------------------------------------------------------------------===//

#include "lenet.h"     // generated: Lenet, LenetModel
#include "mnist_mlp.h" // generated: MnistMlp, MnistMlpModel

#include "kiln/Data.h"
#include "kiln/Init.h"
#include "kiln/KernelMemory.h"
#include "kiln/Model.h"
#include "kiln/Tensor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

// Halide 14's allocator entry points (HalideRuntime.h): in this program, the
// runtime's.
extern "C" void *halide_malloc(void *userContext, size_t size);
extern "C" void halide_free(void *userContext, void *ptr);

//===----------------------------------------------------------------------===//
// Counting allocations
//===----------------------------------------------------------------------===//

namespace {

std::atomic<bool> counting{false};
std::atomic<int64_t> systemCalls{0};
std::atomic<int64_t> newCalls{0};

void countSystem() {
  if (counting.load(std::memory_order_relaxed))
    systemCalls.fetch_add(1, std::memory_order_relaxed);
}

void countNew() {
  if (counting.load(std::memory_order_relaxed))
    newCalls.fetch_add(1, std::memory_order_relaxed);
}

} // namespace

// AddressSanitizer, ThreadSanitizer and MemorySanitizer define malloc
// themselves; a second definition here would bypass them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KILN_SANITIZER_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define KILN_SANITIZER_MALLOC 1
#endif
#endif

#ifndef KILN_SANITIZER_MALLOC
// glibc's allocator under the names it exports for programs that wrap it.
extern "C" {
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *ptr, size_t size);
void *__libc_memalign(size_t alignment, size_t size);
void __libc_free(void *ptr);

void *malloc(size_t size) {
  countSystem();
  return __libc_malloc(size);
}
void *calloc(size_t count, size_t size) {
  countSystem();
  return __libc_calloc(count, size);
}
void *realloc(void *ptr, size_t size) {
  countSystem();
  return __libc_realloc(ptr, size);
}
void *memalign(size_t alignment, size_t size) {
  countSystem();
  return __libc_memalign(alignment, size);
}
void *aligned_alloc(size_t alignment, size_t size) {
  countSystem();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void **out, size_t alignment, size_t size) {
  countSystem();
  if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0)
    return EINVAL;
  void *ptr = __libc_memalign(alignment, size);
  if (!ptr)
    return ENOMEM;
  *out = ptr;
  return 0;
}
void free(void *ptr) { __libc_free(ptr); }
}
constexpr bool kCountsSystemAllocator = true;
#else
constexpr bool kCountsSystemAllocator = false;
#endif

// Global operator new and delete, every form (a sanitizer's runtime defines
// them all, and a form left to it would not pair with these).
namespace {
void *countedNew(size_t size, size_t alignment) {
  countNew();
  if (size == 0)
    size = 1;
  if (alignment <= alignof(std::max_align_t))
    return std::malloc(size);
  return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}
void *newOrThrow(size_t size, size_t alignment) {
  if (void *ptr = countedNew(size, alignment))
    return ptr;
  throw std::bad_alloc();
}
} // namespace

void *operator new(size_t size) { return newOrThrow(size, 0); }
void *operator new[](size_t size) { return newOrThrow(size, 0); }
void *operator new(size_t size, std::align_val_t align) {
  return newOrThrow(size, static_cast<size_t>(align));
}
void *operator new[](size_t size, std::align_val_t align) {
  return newOrThrow(size, static_cast<size_t>(align));
}
void *operator new(size_t size, const std::nothrow_t &) noexcept { return countedNew(size, 0); }
void *operator new[](size_t size, const std::nothrow_t &) noexcept { return countedNew(size, 0); }
void *operator new(size_t size, std::align_val_t align, const std::nothrow_t &) noexcept {
  return countedNew(size, static_cast<size_t>(align));
}
void *operator new[](size_t size, std::align_val_t align, const std::nothrow_t &) noexcept {
  return countedNew(size, static_cast<size_t>(align));
}
void operator delete(void *ptr) noexcept { std::free(ptr); }
void operator delete[](void *ptr) noexcept { std::free(ptr); }
void operator delete(void *ptr, size_t) noexcept { std::free(ptr); }
void operator delete[](void *ptr, size_t) noexcept { std::free(ptr); }
void operator delete(void *ptr, std::align_val_t) noexcept { std::free(ptr); }
void operator delete[](void *ptr, std::align_val_t) noexcept { std::free(ptr); }
void operator delete(void *ptr, size_t, std::align_val_t) noexcept { std::free(ptr); }
void operator delete[](void *ptr, size_t, std::align_val_t) noexcept { std::free(ptr); }
void operator delete(void *ptr, const std::nothrow_t &) noexcept { std::free(ptr); }
void operator delete[](void *ptr, const std::nothrow_t &) noexcept { std::free(ptr); }
void operator delete(void *ptr, std::align_val_t, const std::nothrow_t &) noexcept {
  std::free(ptr);
}
void operator delete[](void *ptr, std::align_val_t, const std::nothrow_t &) noexcept {
  std::free(ptr);
}

namespace {

/// A step is steady when it reaches no allocator; the runs below must reach
/// kSteadySteps steady steps in a row, starting at step kWarmupSteps or
/// later, within kMaxSteps steps. In a process that has only run on one
/// thread the third step is steady already. Once Halide's thread pool has
/// started (the cases below share it, and its workers take part even after
/// the count goes back to 1), how many blocks of a class the kernels hold at
/// once depends on how the workers' iterations overlap, so the cache may
/// still grow by a block after the first steps, a few times on a loaded
/// machine.
constexpr int kWarmupSteps = 2;
constexpr int kSteadySteps = 10;
constexpr int kMaxSteps = 100;
constexpr int64_t kBatch = 32;

/// What one step did.
struct Counts {
  int64_t system = 0;         // calls of the malloc family (operator new included)
  int64_t cxxNew = 0;         // calls of operator new
  int64_t kernelRequests = 0; // halide_malloc calls
  int64_t kernelSystem = 0;   // of them, served by the system allocator

  bool steady() const {
    return kernelSystem == 0 && cxxNew == 0 && (!kCountsSystemAllocator || system == 0);
  }
};

/// The counts of every step of a run.
class StepLog {
public:
  StepLog() { steps.reserve(kMaxSteps + 1); }

  void begin() {
    before = kiln::kernelMemoryStats();
    systemCalls = 0;
    newCalls = 0;
    counting = true;
  }
  void end() {
    counting = false;
    kiln::KernelMemoryStats after = kiln::kernelMemoryStats();
    steps.push_back({systemCalls.load(), newCalls.load(),
                     static_cast<int64_t>(after.requests - before.requests),
                     static_cast<int64_t>(after.systemAllocations - before.systemAllocations)});
  }
  size_t size() const { return steps.size(); }

  /// The first step of kSteadySteps steady ones in a row, from kWarmupSteps
  /// on; -1 if there is none.
  int steadyFrom() const {
    int run = 0;
    for (int i = kWarmupSteps; i < static_cast<int>(steps.size()); ++i) {
      run = steps[static_cast<size_t>(i)].steady() ? run + 1 : 0;
      if (run == kSteadySteps)
        return i + 1 - kSteadySteps;
    }
    return -1;
  }

  /// Prints the counts for the record (per step, averaged over the steps
  /// after the warm-up ones) and checks them.
  void check(const std::string &what) const {
    Counts sum;
    int64_t warmupSystem = 0;
    const int from = steadyFrom();
    for (size_t i = 0; i < steps.size(); ++i) {
      const Counts &c = steps[i];
      if (static_cast<int>(i) < from)
        warmupSystem += c.system;
      if (static_cast<int>(i) < kWarmupSteps)
        continue;
      sum.system += c.system;
      sum.cxxNew += c.cxxNew;
      sum.kernelRequests += c.kernelRequests;
      sum.kernelSystem += c.kernelSystem;
    }
    const double n = static_cast<double>(steps.size()) - kWarmupSteps;
    std::printf("[ counts   ] %s: per step after %d: %.1f malloc-family calls, %.1f operator "
                "new, %.1f halide_malloc (%.1f from the system); %d steady steps from step %d "
                "(malloc-family calls before: %lld)\n",
                what.c_str(), kWarmupSteps, sum.system / n, sum.cxxNew / n, sum.kernelRequests / n,
                sum.kernelSystem / n, kSteadySteps, from, static_cast<long long>(warmupSystem));
    // The kernels allocate (else this would test nothing of them).
    EXPECT_GT(sum.kernelRequests, 0) << what;
    EXPECT_GE(from, 0) << what << ": no " << kSteadySteps
                       << " steps in a row without allocation within " << steps.size()
                       << " steps; the last one made " << steps.back().system
                       << " malloc-family calls (" << steps.back().cxxNew << " operator new, "
                       << steps.back().kernelSystem << " halide_malloc from the system)"
                       << (kCountsSystemAllocator ? "" : " (malloc not counted: sanitizer)");
  }

private:
  kiln::KernelMemoryStats before;
  std::vector<Counts> steps;
};

/// One batch of MNIST-shaped random data: pixels in [0, 1), labels 0..9.
struct Batch {
  explicit Batch(int64_t samples)
      : x(static_cast<size_t>(samples * 784)), y(static_cast<size_t>(samples)) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> pixel(0.f, 1.f);
    for (float &v : x)
      v = pixel(rng);
    for (int32_t &label : y)
      label = static_cast<int32_t>(rng() % 10);
  }
  std::vector<float> x;
  std::vector<int32_t> y;
};

/// Runs `step` (which returns the loss) until the steady steps are reached
/// or kMaxSteps, and checks the counts.
template <typename Step> void checkSteps(const std::string &what, Step step) {
  StepLog log;
  bool finite = true;
  while (log.size() < static_cast<size_t>(kMaxSteps) && log.steadyFrom() < 0) {
    log.begin();
    float loss = step();
    log.end();
    finite = finite && std::isfinite(loss);
  }
  EXPECT_TRUE(finite) << what;
  log.check(what);
}

std::string describe(const std::string &name, const char *path, int threads) {
  return name + " " + path + ", " + std::to_string(threads) + " thread(s)";
}

/// The generated trainStep, called as the runtime calls it.
template <typename Compiled> void checkGeneratedStep(const std::string &name, int threads) {
  Compiled model;
  model.setNumThreads(threads);
  const kiln::ModelInfo &info = model.info();
  kiln::ParameterStore params(info);
  ASSERT_TRUE(params.initialize(3));
  kiln::StateStore states(info);
  std::vector<float> hyper;
  for (const kiln::HyperparamInfo &h : info.hyperparams)
    hyper.push_back(h.defaultValue);
  Batch batch(kBatch);
  kiln::StepArgs args;
  args.params = params.pointers();
  args.states = states.pointers();
  args.x = batch.x.data();
  args.labels = batch.y.data();
  args.batch = kBatch;
  args.hyperparams = hyper.data();
  checkSteps(describe(name, "generated trainStep", threads), [&] {
    float loss = model.trainStep(args);
    ++args.step;
    return loss;
  });
}

/// kiln::Model::trainStep on tensor views and on raw pointers.
template <typename Compiled>
void checkModelStep(const std::string &name, std::vector<int64_t> xShape, int threads) {
  kiln::ModelOf<Compiled> model;
  model.setNumThreads(threads);
  ASSERT_TRUE(model.initialize(3));
  Batch batch(kBatch);
  // The views are the app's: made once, outside the steps.
  kiln::TensorRef x(batch.x, std::move(xShape));
  kiln::TensorRef y(batch.y, {kBatch});
  checkSteps(describe(name, "Model::trainStep(TensorRef)", threads), [&] {
    kiln::Result<float> loss = model.trainStep(x, y);
    return loss ? *loss : std::nanf("");
  });
  checkSteps(describe(name, "Model::trainStep(pointers)", threads),
             [&] { return model.trainStep(batch.x.data(), batch.y.data(), kBatch); });
}

/// kiln::Trainer::trainEpoch over kMaxSteps batches, each step counted from
/// the step callback.
template <typename Compiled> void checkEpoch(const std::string &name, int threads) {
  kiln::ModelOf<Compiled> model(kiln::TrainerOptions{/*batchSize=*/kBatch, /*seed=*/9});
  model.setNumThreads(threads);
  ASSERT_TRUE(model.initialize(3));
  const int64_t samples = kBatch * kMaxSteps;
  Batch batch(samples);
  kiln::Dataset data;
  data.x = batch.x;
  data.y = batch.y;
  data.count = samples;
  data.features = 784;
  data.source = "random";
  StepLog log;
  model.trainer().setStepCallback([&](int64_t done, int64_t steps, double, int64_t) {
    log.end();
    if (done < steps)
      log.begin();
  });
  log.begin(); // the first step's counts include the start of the epoch
  kiln::Result<kiln::EpochStats> stats = model.trainEpoch(data);
  counting = false;
  ASSERT_TRUE(stats) << stats.error();
  EXPECT_EQ(stats->steps, kMaxSteps);
  log.check(describe(name, "Trainer::trainEpoch", threads));
}

//===----------------------------------------------------------------------===//
// The block cache behind halide_malloc
//===----------------------------------------------------------------------===//

/// Restores the cache's limit after each test and starts it empty.
class KernelMemory : public ::testing::Test {
protected:
  void SetUp() override { kiln::releaseKernelMemory(); }
  void TearDown() override { kiln::setKernelMemoryLimit(kiln::DefaultKernelMemoryLimit); }
};

TEST_F(KernelMemory, HalideMallocIsTheRuntimes) {
  kiln::KernelMemoryStats before = kiln::kernelMemoryStats();
  EXPECT_EQ(before.limitBytes, kiln::DefaultKernelMemoryLimit);
  void *ptr = halide_malloc(nullptr, 100);
  ASSERT_NE(ptr, nullptr);
  EXPECT_EQ(kiln::kernelMemoryStats().requests, before.requests + 1);
  halide_free(nullptr, ptr);
  halide_free(nullptr, nullptr); // nothing to do
}

TEST_F(KernelMemory, AlignedWithRoomAroundTheBlock) {
  // HalideRuntime.h: aligned for the widest vectors (64 bytes, as Halide's
  // own runtime gives), and 8 bytes before and after readable.
  for (size_t size :
       {size_t(0), size_t(1), size_t(63), size_t(64), size_t(1000), size_t(1) << 20}) {
    auto *bytes = static_cast<unsigned char *>(halide_malloc(nullptr, size));
    ASSERT_NE(bytes, nullptr) << size;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(bytes) % 64, 0u) << size;
    volatile unsigned char sum = 0;
    for (size_t i = 0; i < 8; ++i)
      sum = sum + bytes[size + i] + *(bytes - 1 - i);
    std::fill(bytes, bytes + size, 0xab);
    halide_free(nullptr, bytes);
  }
}

TEST_F(KernelMemory, ReusesAReleasedBlockOfItsClass) {
  void *first = halide_malloc(nullptr, 5000);
  halide_free(nullptr, first);
  kiln::KernelMemoryStats before = kiln::kernelMemoryStats();
  EXPECT_GT(before.cachedBytes, 5000u);
  // 5000 and 5100 bytes fall in one class (blocks of 5120 bytes).
  void *again = halide_malloc(nullptr, 5100);
  EXPECT_EQ(again, first);
  kiln::KernelMemoryStats after = kiln::kernelMemoryStats();
  EXPECT_EQ(after.systemAllocations, before.systemAllocations);
  EXPECT_EQ(after.cachedBytes, 0u);
  halide_free(nullptr, again);
}

TEST_F(KernelMemory, KeepsNoMoreThanItsLimit) {
  const size_t limit = 64 << 10;
  kiln::setKernelMemoryLimit(limit);
  std::vector<void *> blocks;
  for (int i = 0; i < 10; ++i)
    blocks.push_back(halide_malloc(nullptr, 16 << 10));
  for (void *block : blocks)
    halide_free(nullptr, block);
  kiln::KernelMemoryStats stats = kiln::kernelMemoryStats();
  EXPECT_LE(stats.cachedBytes, limit);
  EXPECT_GT(stats.cachedBytes, limit / 2);
  // The least recently released went back: the last one released is kept.
  void *reused = halide_malloc(nullptr, 16 << 10);
  EXPECT_EQ(reused, blocks.back());
  halide_free(nullptr, reused);
  // A block larger than the limit is never kept.
  size_t cached = kiln::kernelMemoryStats().cachedBytes;
  halide_free(nullptr, halide_malloc(nullptr, 1 << 20));
  EXPECT_EQ(kiln::kernelMemoryStats().cachedBytes, cached);
  // A lower limit gives back at once; release gives back everything.
  kiln::setKernelMemoryLimit(limit / 4);
  EXPECT_LE(kiln::kernelMemoryStats().cachedBytes, limit / 4);
  kiln::releaseKernelMemory();
  EXPECT_EQ(kiln::kernelMemoryStats().cachedBytes, 0u);
  EXPECT_EQ(kiln::kernelMemoryStats().limitBytes, limit / 4);
}

TEST_F(KernelMemory, RefusesWhatNoMachineHolds) {
  EXPECT_EQ(halide_malloc(nullptr, SIZE_MAX), nullptr);
  EXPECT_EQ(halide_malloc(nullptr, SIZE_MAX / 2), nullptr);
}

TEST_F(KernelMemory, ThreadsShareTheCache) {
  // Threads allocate, fill, check and release blocks of mixed sizes under a
  // small limit, so that blocks also move to other threads and back to the
  // system; every block must still hold what its thread wrote.
  kiln::setKernelMemoryLimit(256 << 10);
  std::atomic<int> corrupted{0};
  auto work = [&](unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::pair<unsigned char *, size_t>> held;
    for (int i = 0; i < 20000; ++i) {
      if (held.size() < 8 && rng() % 2 == 0) {
        size_t size = rng() % 4000;
        auto *bytes = static_cast<unsigned char *>(halide_malloc(nullptr, size));
        if (!bytes) {
          ++corrupted;
          continue;
        }
        std::fill(bytes, bytes + size, static_cast<unsigned char>(seed));
        held.emplace_back(bytes, size);
      } else if (!held.empty()) {
        auto [bytes, size] = held.back();
        held.pop_back();
        if (std::count(bytes, bytes + size, static_cast<unsigned char>(seed)) !=
            static_cast<std::ptrdiff_t>(size))
          ++corrupted;
        halide_free(nullptr, bytes);
      }
    }
    for (auto [bytes, size] : held)
      halide_free(nullptr, bytes);
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t <= 4; ++t)
    threads.emplace_back(work, t);
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(corrupted.load(), 0);
  EXPECT_LE(kiln::kernelMemoryStats().cachedBytes, size_t(256) << 10);
}

//===----------------------------------------------------------------------===//
// Training steps
//===----------------------------------------------------------------------===//

TEST(StepAllocation, MlpGeneratedStep) {
  checkGeneratedStep<MnistMlp>("mnist_mlp", 1);
  checkGeneratedStep<MnistMlp>("mnist_mlp", 2);
}

TEST(StepAllocation, LenetGeneratedStep) {
  checkGeneratedStep<Lenet>("lenet", 1);
  checkGeneratedStep<Lenet>("lenet", 2);
}

TEST(StepAllocation, MlpModelStep) { checkModelStep<MnistMlp>("mnist_mlp", {kBatch, 784}, 1); }

TEST(StepAllocation, LenetModelStep) {
  checkModelStep<Lenet>("lenet", {kBatch, 1, 28, 28}, 1);
  checkModelStep<Lenet>("lenet", {kBatch, 1, 28, 28}, 2);
}

TEST(StepAllocation, MlpTrainerEpoch) { checkEpoch<MnistMlp>("mnist_mlp", 1); }

TEST(StepAllocation, LenetTrainerEpoch) {
  checkEpoch<Lenet>("lenet", 1);
  checkEpoch<Lenet>("lenet", 2);
}

} // namespace
