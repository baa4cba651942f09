// Three synthetic Gaussian blobs in 4 features, the data both consumer apps
// train on.
#pragma once

#include "kiln/Data.h"

#include <random>

inline kiln::Dataset makeBlobs(int64_t count, unsigned seed) {
  static const float centers[3][4] = {
      {2, 0, 0, 1}, {0, 2, 0, -1}, {0, 0, 2, 0}};
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.5f);
  kiln::Dataset data;
  data.count = count;
  data.features = 4;
  data.source = "synthetic blobs";
  for (int64_t i = 0; i < count; ++i) {
    int32_t label = static_cast<int32_t>(i % 3);
    for (int f = 0; f < 4; ++f)
      data.x.push_back(centers[label][f] + noise(rng));
    data.y.push_back(label);
  }
  return data;
}
