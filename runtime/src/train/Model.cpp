//===- Model.cpp - A compiled model with its weights, for C++ apps --------===//

#include "kiln/Model.h"

#include <fmt/format.h>

#include <limits>

namespace kiln {

Model::Model(CompiledModel &compiled, TrainerOptions options)
    : compiled(compiled), params(compiled.info()), training(compiled, params, options) {
  // Never zero weights, which train to nothing (a classifier's loss stays at
  // log(classes)): drawn from the options' seed until initialize() or load()
  // says otherwise. The compiler checks every initializer, so this cannot
  // fail on a generated model; if it did, initialize() reports why.
  (void)params.initialize(options.seed);
}

Status Model::initialize(uint64_t seed) {
  if (Status status = training.returnToHost(); !status)
    return status;
  return params.initialize(seed);
}

Result<float> Model::trainStep(const TensorRef &x, const TensorRef &labelsOrTargets) {
  Result<int64_t> batch = checkTrainBuffers(info(), "trainStep", x, labelsOrTargets);
  if (!batch)
    return batch.takeError();
  return training.runStep(x.f32(), labelsOrTargets.i32(), labelsOrTargets.f32(), *batch);
}

// The raw-pointer calls get the checks of views of their pointers in the
// shapes the model expects (checkTrainBuffers on pointers), without building
// the views: a step allocates nothing.

float Model::trainStep(const float *x, const int32_t *labels, int64_t batch) {
  Result<int64_t> checked = checkTrainBuffers(info(), "trainStep", x, labels, batch);
  if (!checked) {
    rejection = checked.error();
    return std::numeric_limits<float>::quiet_NaN();
  }
  rejection.clear();
  return training.runStep(x, labels, nullptr, *checked);
}

float Model::trainStep(const float *x, const float *targets, int64_t batch) {
  Result<int64_t> checked = checkTrainBuffers(info(), "trainStep", x, targets, batch);
  if (!checked) {
    rejection = checked.error();
    return std::numeric_limits<float>::quiet_NaN();
  }
  rejection.clear();
  return training.runStep(x, nullptr, targets, *checked);
}

Result<EpochStats> Model::trainEpoch(const Dataset &data) { return training.trainEpoch(data); }

Status Model::predict(const TensorRef &x, const MutableTensorRef &out) {
  Result<int64_t> batch = checkPredictBuffers(info(), "predict", x, out);
  if (!batch)
    return batch.takeError();
  if (!compiled.predict(params.pointers(), x.f32(), *batch, out.mutableF32()))
    return Error(fmt::format("predict: the generated code failed on a batch of {}", *batch));
  return {};
}

bool Model::predict(const float *x, int64_t batch, float *out) {
  Status status = predict(TensorRef(x, expectedShape(info(), BufferRole::Input, batch)),
                          MutableTensorRef(out, expectedShape(info(), BufferRole::Output, batch)));
  rejection = status ? std::string() : status.error();
  return bool(status);
}

Result<EvalStats> Model::evaluate(const Dataset &data) { return training.evaluate(data); }

const ParamInfo *Model::parameterInfo(std::string_view name) const {
  for (const ParamInfo &p : info().params)
    if (p.name == name)
      return &p;
  return nullptr;
}

float *Model::parameter(std::string_view name) {
  const ParamInfo *p = parameterInfo(name);
  // The caller may read or write it: the host holds the values from now on.
  if (!p || !training.returnToHost())
    return nullptr;
  return params.values(static_cast<size_t>(p - info().params.data())).data();
}

} // namespace kiln
