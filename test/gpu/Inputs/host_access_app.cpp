// Trains examples/mnist_mlp through the C++ API (kiln::Model) on one random
// batch and checks that what the host reads and writes agrees with what the
// kernels use, which on a GPU build live in device memory between steps:
// a parameter read after training has moved; parameters written through
// parameter() are what predict uses; load() and initialize() replace what
// the device holds (the steps after them repeat earlier steps exactly).
#include "mnist_mlp.h"

#include <cstdio>
#include <random>
#include <vector>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CHECKPOINT\n", argv[0]);
    return 2;
  }
  const int64_t batch = 64;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> pixel(0.f, 1.f);
  std::vector<float> x(batch * 784), logits(batch * 10);
  std::vector<int32_t> labels(batch);
  for (float &v : x)
    v = pixel(rng);
  for (int32_t &v : labels)
    v = static_cast<int32_t>(rng() % 10);

  MnistMlpModel model;
  model.setHyperparam("lr", 0.05f);
  auto steps = [&](int count) {
    std::vector<float> losses;
    for (int i = 0; i < count; ++i)
      losses.push_back(model.trainStep(x.data(), labels.data(), batch));
    return losses;
  };
  std::vector<float> first = steps(3);

  const float *bias = model.parameter("dense2.bias"); // starts at zero
  bool moved = false;
  for (int i = 0; i < 10; ++i)
    moved |= bias[i] != 0.f;
  std::printf("trained bias read on the host: %s\n", moved ? "moved" : "still zero");

  if (!model.save(argv[1]))
    return 1;
  std::vector<float> afterSave = steps(2);
  if (!model.load(argv[1]))
    return 1;
  std::vector<float> afterLoad = steps(2);
  std::printf("steps after load repeat the steps after save: %s\n",
              afterSave == afterLoad ? "yes" : "no");

  for (const char *name : {"dense2.weight", "dense2.bias"}) {
    float *p = model.parameter(name);
    for (int64_t i = 0, e = model.parameterInfo(name)->numElements(); i < e; ++i)
      p[i] = 0.f;
  }
  bool zero = model.predict(x.data(), batch, logits.data());
  for (float v : logits)
    zero &= v == 0.f;
  std::printf("predict after zeroing the last layer: %s\n", zero ? "zero logits" : "other logits");

  if (!model.initialize(1))
    return 1;
  std::printf("steps after initialize repeat the first steps: %s\n",
              steps(3) == first ? "yes" : "no");
  return 0;
}
