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
//   MnistMlpModel model;                          // weights drawn from seed 1
//   model.initialize(/*seed=*/7);                 // another seed; check the Status
//   model.setHyperparam("lr", 0.05f);
//   kiln::Result<float> loss = model.trainStep({x, {64, 784}}, {labels, {64}});
//   kiln::Status s = model.predict({x, {64, 784}}, {logits, {64, 10}});
//   model.save("run/weights.safetensors");        // a checkpoint, see Checkpoint.h
//   float *w = model.parameter("dense0.weight");   // [784, 256], row-major
//
// Tensors are dense, row-major float32 (labels int32), handed over as
// kiln::TensorRef views that are checked against info() before the
// generated code reads them (kiln/Tensor.h); see docs/cpp-api.md.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_MODEL_H
#define KILN_MODEL_H

#include "kiln/CompiledModel.h"
#include "kiln/Data.h"
#include "kiln/Init.h"
#include "kiln/Result.h"
#include "kiln/Tensor.h"
#include "kiln/Trainer.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

class Model {
public:
  /// `compiled` must outlive the Model. Parameters start drawn from their
  /// initializers with options.seed (1 by default), as initialize() draws
  /// them, never at zero: a model trains as constructed. initialize() draws
  /// them again from another seed, load() replaces them.
  explicit Model(CompiledModel &compiled, TrainerOptions options = {});
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  const ModelInfo &info() const { return compiled.info(); }

  /// Draws every parameter from its initializer (see kiln/Init.h) with
  /// `seed`, replacing the values drawn at construction.
  Status initialize(uint64_t seed);

  /// One optimisation step on a batch: `x` the features, f32[batch,
  /// inputFeatures] (or [batch, inputShape...]), and `labelsOrTargets` the
  /// class labels, i32[batch] (i32[batch, labelsPerSample] for a label per
  /// step), or for a model trained on float targets f32[batch,
  /// targetFeatures]. Returns the batch's mean loss before the update (NaN
  /// when the generated code reports an error or the model diverged). Fails,
  /// changing nothing, on a buffer that does not fit the model (see
  /// checkTrainBuffers in kiln/Tensor.h), with a message such as
  ///   trainStep: labels: sample 3: class 12 outside [0, 10)
  Result<float> trainStep(const TensorRef &x, const TensorRef &labelsOrTargets);
  /// The same on raw pointers, for a model trained on class labels: `x` is
  /// batch x inputFeatures floats, `labels` batch x labelsPerSample class
  /// indices. Returns NaN when the checks a pointer allows fail (null, batch
  /// < 1, a label or token id out of range, a model trained on float
  /// targets), changing nothing; lastError() then says why.
  float trainStep(const float *x, const int32_t *labels, int64_t batch);
  /// The same for a model trained on float targets (batch x targetFeatures).
  float trainStep(const float *x, const float *targets, int64_t batch);
  /// Trains one shuffled epoch over `data` (see Trainer::trainEpoch); fails
  /// before the first step if `data` does not fit the model (checkDataset).
  Result<EpochStats> trainEpoch(const Dataset &data);

  /// Inference: writes `out`, f32[batch, outputFeatures] (logits for a
  /// classifier; [batch, labelsPerSample, numClasses] also for a label per
  /// step), for the features `x` as trainStep takes them. Fails, writing
  /// nothing, on a buffer that does not fit the model (checkPredictBuffers):
  ///   predict: out: expected f32[64, 10], got f32[64, 9]
  Status predict(const TensorRef &x, const MutableTensorRef &out);
  /// The same on raw pointers: `x` batch x inputFeatures floats, `out`
  /// batch x outputFeatures. Returns false on an error; lastError() says why.
  bool predict(const float *x, int64_t batch, float *out);
  /// The loss and metric over `data` in inference mode (see EvalStats).
  Result<EvalStats> evaluate(const Dataset &data);

  /// Why the last raw-pointer trainStep was rejected (it returned NaN,
  /// changing nothing) or predict failed (it returned false); empty after
  /// one that was not.
  const std::string &lastError() const { return rejection; }

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
  /// ParamInfo gives; null if there is none (or, on a GPU build, if they
  /// cannot be copied from the device). They may be read and written until
  /// the next step: a GPU build takes them from the device first
  /// (Trainer::returnToHost) and uploads them again at the next step.
  float *parameter(std::string_view name);
  const ParamInfo *parameterInfo(std::string_view name) const;

  /// Every parameter's host array; on a GPU build, call
  /// trainer().syncToHost() before reading them and
  /// trainer().returnToHost() before writing them.
  ParameterStore &parameters() { return params; }
  Trainer &trainer() { return training; }
  CompiledModel &kernels() { return compiled; }

private:
  CompiledModel &compiled;
  ParameterStore params;
  Trainer training;
  std::string rejection; // see lastError()
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
