//===- Tensor.cpp - Checks of the buffers an app hands to a model ---------===//
//
// One mechanism for every call that takes an app's buffers: each argument is
// compared with what ModelInfo says of it (an Expected: name, element type,
// shape of one sample), the first one fixes the batch, and the values the
// generated code would otherwise clamp silently (class labels, token ids)
// are scanned last.
//
//===----------------------------------------------------------------------===//

#include "kiln/Tensor.h"
#include "kiln/CompiledModel.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>

namespace kiln {

const char *elementTypeName(ElementType type) {
  return type == ElementType::F32 ? "f32" : "i32";
}

std::string TensorRef::describe() const {
  return fmt::format("{}[{}]", elementTypeName(elementType), fmt::join(dims, ", "));
}

int64_t firstLabelOutside(const int32_t *labels, int64_t count, int64_t classes) {
  for (int64_t i = 0; i < count; ++i)
    if (labels[i] < 0 || labels[i] >= classes)
      return i;
  return -1;
}

int64_t firstTokenOutside(const float *ids, int64_t count, int64_t limit) {
  for (int64_t i = 0; i < count; ++i) {
    float id = ids[i];
    // NaN fails the first comparison.
    if (!(id >= 0 && id < static_cast<float>(limit) && std::floor(id) == id))
      return i;
  }
  return -1;
}

namespace {

int64_t product(const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  return n;
}

/// What one argument of a call must be.
struct Expected {
  const char *name; // as messages name it: "x", "labels", "targets", "out"
  ElementType type;
  std::vector<int64_t> sample; // the shape of one sample, without the batch
};

Expected expectationOf(const ModelInfo &model, BufferRole role) {
  switch (role) {
  case BufferRole::Input:
    return {"x", ElementType::F32,
            model.inputShape.empty() ? std::vector<int64_t>{model.inputFeatures}
                                     : model.inputShape};
  case BufferRole::LabelsOrTargets:
    if (model.targetFeatures > 0)
      return {"targets", ElementType::F32, {model.targetFeatures}};
    return {"labels", ElementType::I32,
            model.labelsPerSample == 1 ? std::vector<int64_t>{}
                                       : std::vector<int64_t>{model.labelsPerSample}};
  case BufferRole::Output:
    if (model.task == "classification" && model.labelsPerSample > 1)
      return {"out", ElementType::F32, {model.labelsPerSample, model.numClasses}};
    return {"out", ElementType::F32, {model.outputFeatures}};
  }
  return {"?", ElementType::F32, {}};
}

/// Whether `shape` is [batch, sample...], or the same flattened: [batch, n]
/// for n elements per sample, [batch] for one.
bool fitsSample(const std::vector<int64_t> &shape, const std::vector<int64_t> &sample) {
  if (shape.empty())
    return false;
  std::vector<int64_t> rest(shape.begin() + 1, shape.end());
  int64_t n = product(sample);
  return rest == sample || (rest.size() == 1 && rest[0] == n) || (rest.empty() && n == 1);
}

/// Checks `t` against `expected`. The first argument checked fixes `batch`
/// (-1 before it); the others must agree with it.
Status checkArgument(std::string_view call, const Expected &expected, const TensorRef &t,
                     int64_t &batch) {
  auto fail = [&](const std::string &what) {
    return Error(fmt::format("{}: {}: {}", call, expected.name, what));
  };
  const std::vector<int64_t> &shape = t.shape();
  if (t.type() != expected.type || !fitsSample(shape, expected.sample) ||
      (batch >= 0 && shape[0] != batch)) {
    std::string rows = batch >= 0 ? std::to_string(batch) : std::string("batch");
    std::string sample = expected.sample.empty()
                             ? std::string()
                             : fmt::format(", {}", fmt::join(expected.sample, ", "));
    return fail(fmt::format("expected {}[{}{}], got {}", elementTypeName(expected.type), rows,
                            sample, t.describe()));
  }
  if (shape[0] < 1)
    return fail(fmt::format("expected at least 1 sample, got {}", t.describe()));
  const int64_t perSample = product(expected.sample);
  if (perSample > 0 && shape[0] > std::numeric_limits<int64_t>::max() / perSample)
    return fail(fmt::format("{} has more elements than memory holds", t.describe()));
  batch = shape[0];
  if (!t.data())
    return fail(fmt::format("null data for {}", t.describe()));
  const int64_t elements = shape[0] * perSample;
  if (t.available() >= 0 && t.available() < elements)
    return fail(fmt::format("{} needs {} elements, the vector holds {}", t.describe(), elements,
                            t.available()));
  return {};
}

/// Where value `index` of a batch is: "sample 3" when each sample has one
/// value, "sample 3, step 5" (`position` "step") when it has several.
std::string whereInSample(int64_t index, int64_t perSample, const char *position) {
  if (perSample <= 1)
    return fmt::format("sample {}", index);
  return fmt::format("sample {}, {} {}", index / perSample, position, index % perSample);
}

/// Token ids in x, when the model reads them and knows its vocabulary.
Status checkTokens(const ModelInfo &model, std::string_view call, const TensorRef &x,
                   int64_t batch) {
  if (!model.tokenInput || model.tokenLimit <= 0)
    return {};
  const int64_t perSample = product(expectationOf(model, BufferRole::Input).sample);
  int64_t bad = firstTokenOutside(x.f32(), batch * perSample, model.tokenLimit);
  if (bad < 0)
    return {};
  float id = x.f32()[bad];
  std::string where = whereInSample(bad, perSample, "element");
  if (std::isfinite(id) && std::floor(id) == id)
    return Error(fmt::format("{}: x: {}: token id {} outside [0, {})", call, where, id,
                             model.tokenLimit));
  return Error(fmt::format("{}: x: {}: token id {} is not an integer", call, where, id));
}

} // namespace

std::vector<int64_t> expectedShape(const ModelInfo &model, BufferRole role, int64_t batch) {
  std::vector<int64_t> shape = expectationOf(model, role).sample;
  shape.insert(shape.begin(), batch);
  return shape;
}

Result<int64_t> checkTrainBuffers(const ModelInfo &model, std::string_view call,
                                  const TensorRef &x, const TensorRef &labelsOrTargets) {
  int64_t batch = -1;
  if (Status s = checkArgument(call, expectationOf(model, BufferRole::Input), x, batch); !s)
    return s.takeError();
  Expected labels = expectationOf(model, BufferRole::LabelsOrTargets);
  if (Status s = checkArgument(call, labels, labelsOrTargets, batch); !s)
    return s.takeError();
  if (Status s = checkTokens(model, call, x, batch); !s)
    return s.takeError();
  if (labels.type != ElementType::I32)
    return batch;
  const int64_t perSample = product(labels.sample);
  int64_t bad = firstLabelOutside(labelsOrTargets.i32(), batch * perSample, model.numClasses);
  if (bad >= 0)
    return Error(fmt::format("{}: labels: {}: class {} outside [0, {})", call,
                             whereInSample(bad, perSample, "step"), labelsOrTargets.i32()[bad],
                             model.numClasses));
  return batch;
}

Result<int64_t> checkPredictBuffers(const ModelInfo &model, std::string_view call,
                                    const TensorRef &x, const TensorRef &out) {
  int64_t batch = -1;
  if (Status s = checkArgument(call, expectationOf(model, BufferRole::Input), x, batch); !s)
    return s.takeError();
  if (Status s = checkArgument(call, expectationOf(model, BufferRole::Output), out, batch); !s)
    return s.takeError();
  if (Status s = checkTokens(model, call, x, batch); !s)
    return s.takeError();
  return batch;
}

} // namespace kiln
