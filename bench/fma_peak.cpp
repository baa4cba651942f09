// This CPU's float32 peak: independent chains of vector fused multiply-adds
// at the widest vector the compiler targets (bench/compare.py builds this
// file with -march=native), on 1 and 2 threads. What no kernel can exceed:
// bench/compare.py reports Kiln's GFLOP/s as a share of it, beside the share
// of the BLAS's sgemm (a BLAS may not use the CPU's widest vectors).
//
//   fma_peak [THREADS...]   prints {"isa": ..., "vector_bits": ..., "gflops": {"1": ...}}
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

#if defined(__AVX512F__)
constexpr int kBytes = 64, kChains = 16; // of 32 vector registers
constexpr const char *kIsa = "avx512";
#elif defined(__AVX__)
constexpr int kBytes = 32, kChains = 10; // of 16
constexpr const char *kIsa = "avx2";
#else
constexpr int kBytes = 16, kChains = 10;
constexpr const char *kIsa = "sse";
#endif
constexpr int kLanes = kBytes / 4;
typedef float Vec __attribute__((vector_size(kBytes)));

// kChains independent chains, each `iterations` multiply-adds long: enough
// chains to cover the units' latency (4 cycles, 2 units: 8 in flight).
float chains(long iterations, float seed) {
  Vec acc[kChains], scale, offset;
  for (int l = 0; l < kLanes; ++l) {
    scale[l] = 0.9999999f;
    offset[l] = 1e-7f * seed;
  }
  for (int k = 0; k < kChains; ++k)
    for (int l = 0; l < kLanes; ++l)
      acc[k][l] = seed + static_cast<float>(k + l);
  for (long i = 0; i < iterations; ++i)
#pragma GCC unroll 16
    for (int k = 0; k < kChains; ++k)
      acc[k] = acc[k] * scale + offset;
  float sum = 0;
  for (int k = 0; k < kChains; ++k)
    sum += acc[k][0];
  return sum;
}

// GFLOP/s of `threads` threads each running `iterations` steps of every chain.
double measure(int threads, long iterations) {
  std::vector<std::thread> workers;
  std::vector<float> sinks(threads);
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] { sinks[t] = chains(iterations, 1.0f + t); });
  for (std::thread &w : workers)
    w.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  volatile float sink = sinks[0];
  (void)sink;
  return 2.0 * kLanes * kChains * iterations * threads / seconds / 1e9;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<int> threads;
  for (int a = 1; a < argc; ++a)
    threads.push_back(std::atoi(argv[a]));
  if (threads.empty())
    threads = {1, 2};
  // About 0.2 s a run at 100 GFLOP/s per thread; the best of 5 runs.
  const long iterations = 20000000000L / (2L * kLanes * kChains);
  std::printf("{\"isa\": \"%s\", \"vector_bits\": %d, \"gflops\": {", kIsa, kBytes * 8);
  for (size_t i = 0; i < threads.size(); ++i) {
    double best = 0;
    for (int run = 0; run < 5; ++run)
      best = std::max(best, measure(threads[i], iterations));
    std::printf("%s\"%d\": %.1f", i ? ", " : "", threads[i], best);
  }
  std::printf("}}\n");
  return 0;
}
