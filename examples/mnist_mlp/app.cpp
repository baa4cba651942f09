// A C++ app that trains the MNIST MLP through the generated library, saves
// and reloads it, and uses it for prediction. Built by
// examples/mnist_mlp/CMakeLists.txt, which compiles model.kiln with
// kiln_add_model(); the API is described in docs/cpp-api.md.
//
//   mnist_mlp_app DATA_DIR [EPOCHS] [CHECKPOINT]
#include "mnist_mlp.h" // generated: MnistMlp (kernels) and MnistMlpModel

#include "kiln/Data.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static int fail(const std::string &message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR [EPOCHS] [CHECKPOINT]\n", argv[0]);
    return 2;
  }
  int epochs = argc > 2 ? std::atoi(argv[2]) : 1;
  std::string checkpoint = argc > 3 ? argv[3] : "mnist_mlp_app.safetensors";

  MnistMlpModel model({/*batchSize=*/64, /*seed=*/7});
  if (kiln::Status s = model.initialize(/*seed=*/7); !s)
    return fail(s.error());
  kiln::Result<kiln::MnistData> data = kiln::loadMnist(argv[1], model.info());
  if (!data)
    return fail(data.error());

  model.setHyperparam("lr", 0.05f);
  // One step by hand on the first 64 samples, then whole epochs. Buffers go
  // in as views with their shapes, which the model checks against what it
  // takes before the generated code reads them.
  const int64_t features = model.info().inputFeatures; // 784
  const int64_t classes = model.info().numClasses;     // 10
  kiln::Result<float> first =
      model.trainStep({data->train.x, {64, features}}, {data->train.y, {64}});
  if (!first)
    return fail(first.error());
  std::printf("first step: loss %.4f\n", *first);
  // A mistake is refused with a message, and nothing changes: here labels
  // for 32 samples beside 64 images.
  kiln::Result<float> refused =
      model.trainStep({data->train.x, {64, features}}, {data->train.y, {32}});
  std::printf("refused: %s\n", refused ? "nothing" : refused.error().c_str());
  for (int e = 0; e < epochs; ++e) {
    kiln::Result<kiln::EpochStats> stats = model.trainEpoch(data->train);
    if (!stats)
      return fail(stats.error());
    std::printf("epoch %lld: loss %.4f\n", static_cast<long long>(stats->epoch), stats->meanLoss);
  }

  // Save, then load into a second model: it measures the same.
  if (kiln::Status s = model.save(checkpoint); !s)
    return fail(s.error());
  MnistMlpModel reloaded;
  if (kiln::Status s = reloaded.load(checkpoint); !s)
    return fail(s.error());
  kiln::Result<kiln::EvalStats> eval = reloaded.evaluate(data->test);
  if (!eval)
    return fail(eval.error());
  std::printf("test loss %.4f, test accuracy: %.2f%%\n", eval->meanLoss(),
              100.0 * eval->accuracy());

  // Parameter access: the first layer's weight, [784, 256].
  const kiln::ParamInfo *info = reloaded.parameterInfo("dense0.weight");
  float *weight = reloaded.parameter("dense0.weight");
  if (!info || !weight)
    return fail("no parameter dense0.weight");
  std::printf("dense0.weight: [%lld, %lld], first value %.6f\n",
              static_cast<long long>(info->shape[0]), static_cast<long long>(info->shape[1]),
              weight[0]);

  // Predict the first test image.
  std::vector<float> logits(classes);
  if (kiln::Status s = reloaded.predict({data->test.x, {1, features}}, {logits, {1, classes}}); !s)
    return fail(s.error());
  int best = 0;
  for (int c = 1; c < static_cast<int>(logits.size()); ++c)
    if (logits[c] > logits[best])
      best = c;
  std::printf("first test image: predicted %d, label %d\n", best, data->test.y[0]);
  return 0;
}
