//===- Random.h - Seeded, platform-independent random numbers ---*- C++ -*-===//
//
// Everything random in a training run (initial weights, the order of samples
// in each epoch) comes from here, so that one seed gives the same run on
// every platform. std::mt19937_64 is specified bit for bit by the standard;
// the <random> distributions are not, so the conversions to uniform, normal
// and bounded integers are our own. Internal to the runtime; not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_CORE_RANDOM_H
#define KILN_RUNTIME_CORE_RANDOM_H

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace kiln {

/// Mixes a seed with a stream number (splitmix64 finaliser), so that streams
/// derived from one seed are unrelated to each other.
uint64_t deriveSeed(uint64_t seed, uint64_t stream);

/// FNV-1a hash of a string, to derive a stream from a parameter's name.
uint64_t hashName(std::string_view name);

/// A 64-bit Mersenne Twister with fixed conversions to the distributions the
/// runtime needs.
class Rng {
public:
  explicit Rng(uint64_t seed) : engine(seed) {}

  /// The next raw 64-bit output of std::mt19937_64.
  uint64_t next() { return engine(); }

  /// Uniform in [0, 1): the top 53 bits of one output, times 2^-53.
  double uniform();

  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  /// Standard normal, by the Box-Muller transform; each pair of uniforms
  /// gives two values, the second of which is kept for the next call.
  double normal();

  /// Uniform integer in [0, bound), bound > 0, without modulo bias
  /// (rejection of the lowest 2^64 mod bound outputs).
  uint64_t below(uint64_t bound);

private:
  std::mt19937_64 engine;
  double spareNormal = 0;
  bool hasSpareNormal = false;
};

/// Fisher-Yates shuffle of `values` in place.
void shuffle(std::vector<int64_t> &values, Rng &rng);

/// The order in which epoch `epoch` (0-based) visits `count` samples: a
/// shuffle of 0..count-1 that depends only on (seed, epoch), so that a run
/// resumed at some epoch sees the same order as one that never stopped.
std::vector<int64_t> epochOrder(int64_t count, uint64_t seed, int64_t epoch);

} // namespace kiln

#endif // KILN_RUNTIME_CORE_RANDOM_H
