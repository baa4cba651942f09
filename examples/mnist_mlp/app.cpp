// A C++ app that trains the MNIST MLP through the generated library and then
// uses it for prediction. Built by examples/mnist_mlp/CMakeLists.txt, which
// compiles model.kiln with kiln_add_model().
//
//   mnist_mlp_app DATA_DIR [EPOCHS]
#include "mnist_mlp.h" // generated: class MnistMlp

#include "kiln/Data.h"
#include "kiln/Init.h"
#include "kiln/Trainer.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR [EPOCHS]\n", argv[0]);
    return 2;
  }
  int epochs = argc > 2 ? std::atoi(argv[2]) : 1;

  MnistMlp model;
  kiln::ParameterStore params(model.info());
  if (kiln::Status s = params.initialize(/*seed=*/7); !s) {
    std::fprintf(stderr, "error: %s\n", s.error().c_str());
    return 1;
  }
  kiln::Result<kiln::MnistData> data = kiln::loadMnist(argv[1], model.info());
  if (!data) {
    std::fprintf(stderr, "error: %s\n", data.error().c_str());
    return 1;
  }

  kiln::Trainer trainer(model, params, {/*batchSize=*/64, /*seed=*/7});
  trainer.setHyperparam("lr", 0.05f);
  for (int e = 0; e < epochs; ++e) {
    kiln::Result<kiln::EpochStats> stats = trainer.trainEpoch(data->train);
    if (!stats) {
      std::fprintf(stderr, "error: %s\n", stats.error().c_str());
      return 1;
    }
    std::printf("epoch %lld: loss %.4f\n", static_cast<long long>(stats->epoch),
                stats->meanLoss);
  }
  kiln::Result<kiln::EvalStats> eval = trainer.evaluate(data->test);
  if (!eval) {
    std::fprintf(stderr, "error: %s\n", eval.error().c_str());
    return 1;
  }
  std::printf("test accuracy: %.2f%%\n", 100.0 * eval->accuracy());

  // Predict the first test image directly.
  std::vector<float> logits(model.info().numClasses);
  if (!model.predict(params.pointers(), data->test.x.data(), 1, logits.data()))
    return 1;
  int best = 0;
  for (int c = 1; c < static_cast<int>(logits.size()); ++c)
    if (logits[c] > logits[best])
      best = c;
  std::printf("first test image: predicted %d, label %d\n", best, data->test.y[0]);
  return 0;
}
