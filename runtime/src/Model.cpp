//===- Model.cpp - A compiled model with its weights, for C++ apps --------===//

#include "kiln/Model.h"

namespace kiln {

Model::Model(CompiledModel &compiled, TrainerOptions options)
    : compiled(compiled), params(compiled.info()), training(compiled, params, options) {}

Status Model::initialize(uint64_t seed) { return params.initialize(seed); }

float Model::trainStep(const float *x, const int32_t *labels, int64_t batch) {
  return training.trainBatch(x, labels, nullptr, batch);
}

float Model::trainStep(const float *x, const float *targets, int64_t batch) {
  return training.trainBatch(x, nullptr, targets, batch);
}

Result<EpochStats> Model::trainEpoch(const Dataset &data) { return training.trainEpoch(data); }

bool Model::predict(const float *x, int64_t batch, float *out) {
  return compiled.predict(params.pointers(), x, batch, out);
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
  return p ? params.values(static_cast<size_t>(p - info().params.data())).data() : nullptr;
}

} // namespace kiln
