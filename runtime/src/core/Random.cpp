//===- Random.cpp - Seeded, platform-independent random numbers -----------===//

#include "core/Random.h"

#include <cmath>
#include <numeric>
#include <utility>

namespace kiln {

uint64_t deriveSeed(uint64_t seed, uint64_t stream) {
  // splitmix64 over the pair: one round per input word.
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  return mix(mix(seed) ^ stream);
}

uint64_t hashName(std::string_view name) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  if (hasSpareNormal) {
    hasSpareNormal = false;
    return spareNormal;
  }
  // u1 in (0, 1] so that log(u1) is finite.
  double u1 = 1.0 - uniform();
  double u2 = uniform();
  double radius = std::sqrt(-2.0 * std::log(u1));
  constexpr double TwoPi = 6.283185307179586476925286766559;
  double angle = TwoPi * u2;
  spareNormal = radius * std::sin(angle);
  hasSpareNormal = true;
  return radius * std::cos(angle);
}

uint64_t Rng::below(uint64_t bound) {
  // 2^64 mod bound, computed in 64 bits: the outputs below it are rejected so
  // that every residue is equally likely.
  uint64_t threshold = (0 - bound) % bound;
  while (true) {
    uint64_t r = next();
    if (r >= threshold)
      return r % bound;
  }
}

void shuffle(std::vector<int64_t> &values, Rng &rng) {
  for (size_t i = values.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(rng.below(i));
    std::swap(values[i - 1], values[j]);
  }
}

std::vector<int64_t> epochOrder(int64_t count, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(count));
  std::iota(order.begin(), order.end(), int64_t(0));
  // Epoch streams hang off their own tag; parameter streams are derived from
  // parameter names (see Init.cpp).
  Rng rng(deriveSeed(deriveSeed(seed, 0x5eed0fe90c4ULL), static_cast<uint64_t>(epoch)));
  shuffle(order, rng);
  return order;
}

} // namespace kiln
