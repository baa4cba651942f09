//===- KernelMemory.cpp - halide_malloc and halide_free, with reuse -------===//
//
// The allocator of the generated kernels (see kiln/KernelMemory.h). Every
// block starts with a header of one alignment unit; what halide_malloc
// returns follows it. Sizes are rounded up to classes (multiples of 64 bytes
// up to 1 KiB, then eight classes per doubling, so at most 1/8 is wasted),
// and each class keeps a list of its idle blocks, most recently released
// first, for the next request. One list through all idle blocks, in the order
// they were released, says which to give back first when the cache holds more
// than its limit. One mutex guards both: the kernels allocate from Halide's
// worker threads too.
//
//===----------------------------------------------------------------------===//

#include "kiln/KernelMemory.h"

#include "kiln/CompiledModel.h"

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>

// Every generated model's class derives from kiln::CompiledModel, so every
// program with generated code references the destructor defined here, and
// the linker takes this file from the runtime library, and with it the
// halide_malloc and halide_free below. Halide's runtime object, linked with
// every generated model, defines both as weak symbols: a linker takes an
// archive member only for a symbol still undefined, so nothing else would
// bring these in; once they are in, they win over the weak ones.
kiln::CompiledModel::~CompiledModel() = default;

namespace {

/// Halide 14's header asks halide_malloc for 32-byte alignment; its own
/// runtime gives 64 (halide_malloc_alignment), which AVX-512 vectors want.
constexpr size_t Alignment = 64;
/// Halide may read 8 bytes past the end of a buffer (and before its start,
/// which the header covers).
constexpr size_t TailSlack = 8;
/// Classes of 1..16 units of 64 bytes, then eight per doubling.
constexpr size_t SmallClasses = 16;
constexpr size_t ClassesPerDoubling = 8;
/// Requests above 2^48 bytes fail; the classes reach beyond that.
constexpr size_t MaxRequest = size_t(1) << 48;
constexpr size_t NumClasses = SmallClasses + ClassesPerDoubling * 40;

/// The header before every block.
struct Block {
  Block *classPrev; // idle blocks of one class, most recently released first
  Block *classNext;
  Block *newer; // all idle blocks, in the order they were released
  Block *older;
  size_t bytes;     // the allocation, header included
  size_t sizeClass; // index into BlockCache::idle
};
static_assert(sizeof(Block) <= Alignment, "the header must fit one alignment unit");

/// The class holding `units` units of Alignment bytes, and the units of a
/// class. Beyond SmallClasses, units in (2^p, 2^(p+1)] fall in steps of
/// 2^(p-3): classes 9, 10, ..., 16 times the step.
size_t classOf(size_t units) {
  if (units <= SmallClasses)
    return units - 1;
  size_t p = 0;
  while ((units - 1) >> (p + 1))
    ++p;
  size_t step = size_t(1) << (p - 3);
  size_t multiple = (units + step - 1) / step; // 9..16
  return SmallClasses + (p - 4) * ClassesPerDoubling + (multiple - 9);
}

size_t unitsOf(size_t sizeClass) {
  if (sizeClass < SmallClasses)
    return sizeClass + 1;
  size_t q = sizeClass - SmallClasses;
  size_t p = 4 + q / ClassesPerDoubling;
  return (9 + q % ClassesPerDoubling) << (p - 3);
}

void *payloadOf(Block *block) { return reinterpret_cast<char *>(block) + Alignment; }
Block *blockOf(void *payload) {
  return reinterpret_cast<Block *>(static_cast<char *>(payload) - Alignment);
}

class BlockCache {
public:
  constexpr BlockCache() = default;
  BlockCache(const BlockCache &) = delete;
  BlockCache &operator=(const BlockCache &) = delete;
  /// At exit: give everything back, and keep nothing from now on (a kernel
  /// that still runs then allocates from the system).
  ~BlockCache() { setLimit(0); }

  void *allocate(size_t size) {
    if (size > MaxRequest)
      return nullptr;
    size_t sizeClass = classOf((size + TailSlack + Alignment - 1) / Alignment);
    if (sizeClass >= NumClasses)
      return nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex);
      ++requests;
      if (Block *block = idle[sizeClass]) {
        unlink(block);
        return payloadOf(block);
      }
      ++systemAllocations;
    }
    size_t bytes = Alignment + unitsOf(sizeClass) * Alignment;
    void *memory = std::aligned_alloc(Alignment, bytes);
    if (!memory)
      return nullptr;
    Block *block = new (memory) Block{nullptr, nullptr, nullptr, nullptr, bytes, sizeClass};
    return payloadOf(block);
  }

  void release(void *payload) {
    if (!payload)
      return;
    Block *block = blockOf(payload);
    Block *evicted = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (block->bytes <= limit) {
        push(block);
        evicted = trim();
        block = nullptr;
      }
    }
    if (block)
      std::free(block);
    freeChain(evicted);
  }

  void setLimit(size_t bytes) {
    Block *evicted = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex);
      limit = bytes;
      evicted = trim();
    }
    freeChain(evicted);
  }

  void releaseAll() {
    Block *evicted = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex);
      size_t kept = limit;
      limit = 0;
      evicted = trim();
      limit = kept;
    }
    freeChain(evicted);
  }

  kiln::KernelMemoryStats snapshot() {
    std::lock_guard<std::mutex> lock(mutex);
    kiln::KernelMemoryStats stats;
    stats.requests = requests;
    stats.systemAllocations = systemAllocations;
    stats.cachedBytes = cachedBytes;
    stats.limitBytes = limit;
    return stats;
  }

private:
  /// Makes `block` the most recently released idle block of its class and
  /// of all. Called with the mutex held.
  void push(Block *block) {
    Block *&head = idle[block->sizeClass];
    block->classPrev = nullptr;
    block->classNext = head;
    if (head)
      head->classPrev = block;
    head = block;
    block->newer = nullptr;
    block->older = newest;
    if (newest)
      newest->newer = block;
    else
      oldest = block;
    newest = block;
    cachedBytes += block->bytes;
  }

  /// Takes `block` out of both lists. Called with the mutex held.
  void unlink(Block *block) {
    if (block->classPrev)
      block->classPrev->classNext = block->classNext;
    else
      idle[block->sizeClass] = block->classNext;
    if (block->classNext)
      block->classNext->classPrev = block->classPrev;
    if (block->newer)
      block->newer->older = block->older;
    else
      newest = block->older;
    if (block->older)
      block->older->newer = block->newer;
    else
      oldest = block->newer;
    cachedBytes -= block->bytes;
  }

  /// Unlinks the least recently released blocks until the cache holds at
  /// most `limit` bytes, and returns them chained through classNext, to be
  /// freed once the mutex is released. Called with the mutex held.
  Block *trim() {
    Block *chain = nullptr;
    while (cachedBytes > limit) {
      Block *block = oldest;
      unlink(block);
      block->classNext = chain;
      chain = block;
    }
    return chain;
  }

  static void freeChain(Block *chain) {
    while (chain) {
      Block *next = chain->classNext;
      std::free(chain);
      chain = next;
    }
  }

  std::mutex mutex;
  Block *idle[NumClasses] = {};
  Block *newest = nullptr;
  Block *oldest = nullptr;
  size_t cachedBytes = 0;
  size_t limit = kiln::DefaultKernelMemoryLimit;
  uint64_t requests = 0;
  uint64_t systemAllocations = 0;
};

// Constant-initialized, so that it is ready before any constructor runs.
BlockCache cache;

} // namespace

namespace kiln {

KernelMemoryStats kernelMemoryStats() { return cache.snapshot(); }

void setKernelMemoryLimit(size_t bytes) { cache.setLimit(bytes); }

void releaseKernelMemory() { cache.releaseAll(); }

} // namespace kiln

// The signatures of Halide 14's HalideRuntime.h (the runtime library does not
// include Halide's headers).
extern "C" void *halide_malloc(void *userContext, size_t size) {
  (void)userContext;
  return cache.allocate(size);
}

extern "C" void halide_free(void *userContext, void *ptr) {
  (void)userContext;
  cache.release(ptr);
}
