//===- Model.h - A compiled model with its weights, for C++ apps -*- C++ -*-===//
//
// What an app holds to train and use a model: the generated code, its
// parameters, the optimizer state and the training settings, behind one
// object. For a model file that says `model mnist_mlp`, the generated header
// mnist_mlp.h declares
//
//   class MnistMlp : public kiln::CompiledModel   the generated kernels
//   using MnistMlpModel = kiln::ModelOf<MnistMlp>  this class, holding them
//
// and an app reads
//
//   MnistMlpModel model;
//   model.initialize(/*seed=*/7);                 // check the Status
//   model.setHyperparam("lr", 0.05f);
//   float loss = model.trainStep(x, labels, 64);  // x: 64 x 784 floats
//   model.predict(x, 64, logits);                 // logits: 64 x 10 floats
//   model.save("run/weights.safetensors");        // a checkpoint, see Checkpoint.h
//   float *w = model.parameter("dense0.weight");   // [784, 256], row-major
//
// Tensors are dense, row-major float32 (labels int32); see docs/cpp-api.md.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_MODEL_H
#define KILN_MODEL_H

#include "kiln/CompiledModel.h"
#include "kiln/Data.h"
#include "kiln/Init.h"
#include "kiln/Result.h"
#include "kiln/Trainer.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

class Model {
public:
  /// `compiled` must outlive the Model. Parameters start at zero until
  /// initialize() or load().
  explicit Model(CompiledModel &compiled, TrainerOptions options = {});
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  const ModelInfo &info() const { return compiled.info(); }

  /// Draws every parameter from its initializer (see kiln/Init.h).
  Status initialize(uint64_t seed);

  /// One optimisation step on a batch of a classifier: `x` is batch x
  /// inputFeatures floats, `labels` batch x labelsPerSample class indices.
  /// Returns the batch's mean loss before the update; NaN on an error.
  float trainStep(const float *x, const int32_t *labels, int64_t batch);
  /// The same for a model trained on float targets (batch x targetFeatures).
  float trainStep(const float *x, const float *targets, int64_t batch);
  /// Trains one shuffled epoch over `data` (see Trainer::trainEpoch).
  Result<EpochStats> trainEpoch(const Dataset &data);

  /// Writes batch x outputFeatures predictions (logits for a classifier).
  bool predict(const float *x, int64_t batch, float *out);
  /// The loss and metric over `data` in inference mode (see EvalStats).
  Result<EvalStats> evaluate(const Dataset &data);

  /// A hyperparameter by name (e.g. "lr"); false if the model has none.
  bool setHyperparam(std::string_view name, float value) {
    return training.setHyperparam(name, value);
  }
  void setNumThreads(int threads) { compiled.setNumThreads(threads); }

  /// Saves parameters, optimizer state and progress (a checkpoint that
  /// `load` and the generated binary's --resume read), atomically.
  Status save(const std::string &path) const { return training.saveCheckpoint(path); }
  Status load(const std::string &path) { return training.loadCheckpoint(path); }

  /// The values of the parameter called `name`, row-major in the shape its
  /// ParamInfo gives; null if there is none.
  float *parameter(std::string_view name);
  const ParamInfo *parameterInfo(std::string_view name) const;

  ParameterStore &parameters() { return params; }
  Trainer &trainer() { return training; }
  CompiledModel &kernels() { return compiled; }

private:
  CompiledModel &compiled;
  ParameterStore params;
  Trainer training;
};

namespace detail {
/// Constructs the generated kernels before the Model that refers to them.
template <typename Compiled> struct KernelsMember {
  Compiled kernelsMember;
};
} // namespace detail

/// A Model that owns its generated kernels; the generated header names it
/// `<Model>Model`.
template <typename Compiled>
class ModelOf : private detail::KernelsMember<Compiled>, public Model {
public:
  explicit ModelOf(TrainerOptions options = {})
      : Model(this->kernelsMember, options) {}
};

} // namespace kiln

#endif // KILN_MODEL_H
