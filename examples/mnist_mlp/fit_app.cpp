// Trains the MNIST MLP through kiln::fit, with early stopping and checkpoints.
//   mnist_fit_app DATA_DIR RUN_DIR [TRAINING_SAMPLES]
#include "mnist_mlp.h" // generated: MnistMlpModel
#include "kiln/Data.h"
#include "kiln/Fit.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

int main(int argc, char **argv) {
  if (argc < 3)
    return std::fprintf(stderr, "usage: %s DATA_DIR RUN_DIR [TRAINING_SAMPLES]\n", argv[0]), 2;
  MnistMlpModel model({/*batchSize=*/64, /*seed=*/7});
  kiln::Result<kiln::MnistData> mnist = kiln::loadMnist(argv[1], model.info());
  if (!mnist)
    return std::fprintf(stderr, "error: %s\n", mnist.error().c_str()), 1;
  mnist->train.truncate(argc > 3 ? std::atoll(argv[3]) : mnist->train.count);
  // A fifth of the training samples, drawn from the seed, to validate on.
  kiln::Result<kiln::DatasetSplit> sets = kiln::splitDataset(mnist->train, 0.2, /*seed=*/7);
  if (!sets || !model.initialize(/*seed=*/7))
    return std::fprintf(stderr, "error: cannot prepare the run\n"), 1;

  kiln::FitOptions options;
  options.epochs = 30;
  options.validation = &sets->heldOut;
  options.patience = 2;            // stop when val-loss has not improved for 2 epochs
  options.checkpointDir = argv[2]; // checkpoint.safetensors and best.safetensors
  options.out = &std::cout;        // a line per epoch
  kiln::Result<kiln::FitState> run = kiln::fit(model, sets->train, options);
  if (!run)
    return std::fprintf(stderr, "error: %s\n", run.error().c_str()), 1;
  kiln::Result<kiln::EvalStats> test = model.evaluate(mnist->test); // the best epoch's weights
  if (!test)
    return std::fprintf(stderr, "error: %s\n", test.error().c_str()), 1;
  std::printf("kept epoch %lld of %zu, test accuracy %.2f%%\n", (long long)run->bestEpoch,
              run->history.epochs.size(), 100 * test->accuracy());
}
