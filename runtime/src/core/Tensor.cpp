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

#include "core/Shape.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln {

const char *elementTypeName(ElementType type) {
  return type == ElementType::F32 ? "f32" : "i32";
}

std::string TensorRef::describe() const {
  return elementTypeName(elementType) + formatShape(dims);
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

/// Extents held elsewhere (a ModelInfo's fields, a TensorRef's shape), or up
/// to two held here. A check views shapes through these rather than copying
/// them into vectors: a training step allocates nothing.
class Extents {
public:
  Extents() = default;
  Extents(const int64_t *first, size_t count) : external(first), count(count) {}
  explicit Extents(const std::vector<int64_t> &dims) : Extents(dims.data(), dims.size()) {}
  static Extents pair(int64_t first, int64_t second) {
    Extents extents;
    extents.held[0] = first;
    extents.held[1] = second;
    extents.count = 2;
    return extents;
  }

  const int64_t *begin() const { return external ? external : held; }
  const int64_t *end() const { return begin() + count; }
  size_t size() const { return count; }
  bool empty() const { return count == 0; }
  int64_t operator[](size_t i) const { return begin()[i]; }
  bool operator==(const Extents &other) const {
    return std::equal(begin(), end(), other.begin(), other.end());
  }
  int64_t product() const {
    int64_t n = 1;
    for (int64_t d : *this)
      n *= d;
    return n;
  }

private:
  const int64_t *external = nullptr;
  int64_t held[2] = {0, 0};
  size_t count = 0;
};

/// What one argument of a call must be.
struct Expected {
  const char *name; // as messages name it: "x", "labels", "targets", "out"
  ElementType type;
  Extents sample; // the shape of one sample, without the batch
};

/// Views into `model`, which must outlive the result.
Expected expectationOf(const ModelInfo &model, BufferRole role) {
  switch (role) {
  case BufferRole::Input:
    return {"x", ElementType::F32,
            model.inputShape.empty() ? Extents(&model.inputFeatures, 1)
                                     : Extents(model.inputShape)};
  case BufferRole::LabelsOrTargets:
    if (model.targetFeatures > 0)
      return {"targets", ElementType::F32, Extents(&model.targetFeatures, 1)};
    return {"labels", ElementType::I32,
            model.labelsPerSample == 1 ? Extents() : Extents(&model.labelsPerSample, 1)};
  case BufferRole::Output:
    if (model.task == "classification" && model.labelsPerSample > 1)
      return {"out", ElementType::F32, Extents::pair(model.labelsPerSample, model.numClasses)};
    return {"out", ElementType::F32, Extents(&model.outputFeatures, 1)};
  }
  return {"?", ElementType::F32, Extents()};
}

/// An argument as the checks see it: an app's TensorRef, or a raw pointer
/// viewed in the shape the model expects for its batch.
struct Argument {
  const void *data;
  ElementType type;
  bool hasRows;      // false for a shape of no dimensions
  int64_t rows;      // the first extent: the batch
  Extents rest;      // the extents after it
  int64_t available; // elements of the vector viewed; -1 for a pointer

  static Argument of(const TensorRef &t) {
    const std::vector<int64_t> &shape = t.shape();
    if (shape.empty())
      return {t.data(), t.type(), false, 0, Extents(), t.available()};
    return {t.data(), t.type(), true, shape[0], Extents(shape.data() + 1, shape.size() - 1),
            t.available()};
  }
  static Argument of(const void *data, ElementType type, int64_t batch, const Expected &expected) {
    return {data, type, true, batch, expected.sample, -1};
  }

  /// As TensorRef::describe: "f32[64, 784]".
  std::string describe() const {
    if (!hasRows)
      return fmt::format("{}[]", elementTypeName(type));
    if (rest.empty())
      return fmt::format("{}[{}]", elementTypeName(type), rows);
    return fmt::format("{}[{}, {}]", elementTypeName(type), rows, fmt::join(rest, ", "));
  }
};

/// Whether `t` is [batch, sample...], or the same flattened: [batch, n] for
/// n elements per sample, [batch] for one.
bool fitsSample(const Argument &t, const Extents &sample) {
  if (!t.hasRows)
    return false;
  int64_t n = sample.product();
  return t.rest == sample || (t.rest.size() == 1 && t.rest[0] == n) || (t.rest.empty() && n == 1);
}

/// Checks `t` against `expected`. The first argument checked fixes `batch`
/// (-1 before it); the others must agree with it.
Status checkArgument(std::string_view call, const Expected &expected, const Argument &t,
                     int64_t &batch) {
  auto fail = [&](const std::string &what) {
    return Error(fmt::format("{}: {}: {}", call, expected.name, what));
  };
  if (t.type != expected.type || !fitsSample(t, expected.sample) ||
      (batch >= 0 && t.rows != batch)) {
    std::string rows = batch >= 0 ? std::to_string(batch) : std::string("batch");
    std::string sample = expected.sample.empty()
                             ? std::string()
                             : fmt::format(", {}", fmt::join(expected.sample, ", "));
    return fail(fmt::format("expected {}[{}{}], got {}", elementTypeName(expected.type), rows,
                            sample, t.describe()));
  }
  if (t.rows < 1)
    return fail(fmt::format("expected at least 1 sample, got {}", t.describe()));
  const int64_t perSample = expected.sample.product();
  if (perSample > 0 && t.rows > std::numeric_limits<int64_t>::max() / perSample)
    return fail(fmt::format("{} has more elements than memory holds", t.describe()));
  batch = t.rows;
  if (!t.data)
    return fail(fmt::format("null data for {}", t.describe()));
  const int64_t elements = t.rows * perSample;
  if (t.available >= 0 && t.available < elements)
    return fail(fmt::format("{} needs {} elements, the vector holds {}", t.describe(), elements,
                            t.available));
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
Status checkTokens(const ModelInfo &model, std::string_view call, const float *x,
                   int64_t batch) {
  if (!model.tokenInput || model.tokenLimit <= 0)
    return {};
  const int64_t perSample = expectationOf(model, BufferRole::Input).sample.product();
  int64_t bad = firstTokenOutside(x, batch * perSample, model.tokenLimit);
  if (bad < 0)
    return {};
  float id = x[bad];
  std::string where = whereInSample(bad, perSample, "element");
  if (std::isfinite(id) && std::floor(id) == id)
    return Error(fmt::format("{}: x: {}: token id {} outside [0, {})", call, where, id,
                             model.tokenLimit));
  return Error(fmt::format("{}: x: {}: token id {} is not an integer", call, where, id));
}

/// The checks of one training step, on arguments viewed as checkArgument
/// sees them; `labelsOrTargets` holds i32 labels when its type says so.
Result<int64_t> checkTrain(const ModelInfo &model, std::string_view call, const Argument &x,
                           const Argument &labelsOrTargets) {
  int64_t batch = -1;
  if (Status s = checkArgument(call, expectationOf(model, BufferRole::Input), x, batch); !s)
    return s.takeError();
  Expected labels = expectationOf(model, BufferRole::LabelsOrTargets);
  if (Status s = checkArgument(call, labels, labelsOrTargets, batch); !s)
    return s.takeError();
  if (Status s = checkTokens(model, call, static_cast<const float *>(x.data), batch); !s)
    return s.takeError();
  if (labels.type != ElementType::I32)
    return batch;
  const int64_t perSample = labels.sample.product();
  const int32_t *classes = static_cast<const int32_t *>(labelsOrTargets.data);
  int64_t bad = firstLabelOutside(classes, batch * perSample, model.numClasses);
  if (bad >= 0)
    return Error(fmt::format("{}: labels: {}: class {} outside [0, {})", call,
                             whereInSample(bad, perSample, "step"), classes[bad],
                             model.numClasses));
  return batch;
}

/// A raw pointer's arguments, viewed in the shapes `model` expects.
Result<int64_t> checkTrainPointers(const ModelInfo &model, std::string_view call, const float *x,
                                   const void *labelsOrTargets, ElementType type, int64_t batch) {
  return checkTrain(
      model, call,
      Argument::of(x, ElementType::F32, batch, expectationOf(model, BufferRole::Input)),
      Argument::of(labelsOrTargets, type, batch,
                   expectationOf(model, BufferRole::LabelsOrTargets)));
}

} // namespace

std::vector<int64_t> expectedShape(const ModelInfo &model, BufferRole role, int64_t batch) {
  Extents sample = expectationOf(model, role).sample;
  std::vector<int64_t> shape{batch};
  shape.insert(shape.end(), sample.begin(), sample.end());
  return shape;
}

Status checkBatchSize(const ModelInfo &model, int64_t batch) {
  const std::pair<const char *, int64_t> perSample[] = {
      {"features", model.inputFeatures},
      {"labels", model.targetFeatures > 0 ? 0 : model.labelsPerSample},
      {"targets", model.targetFeatures},
      {"predictions", model.outputFeatures}};
  for (const auto &[buffer, elements] : perSample)
    if (elements > 0 && batch > MaxBufferElements / elements)
      return Error(fmt::format("a batch of {} samples needs {} elements in its {} buffer ({} x "
                               "{}), over the limit of {} (2^31 - 1) on a buffer",
                               batch, static_cast<unsigned __int128>(batch) * elements, buffer,
                               batch, elements, MaxBufferElements));
  return {};
}

Result<int64_t> checkTrainBuffers(const ModelInfo &model, std::string_view call,
                                  const TensorRef &x, const TensorRef &labelsOrTargets) {
  return checkTrain(model, call, Argument::of(x), Argument::of(labelsOrTargets));
}

Result<int64_t> checkTrainBuffers(const ModelInfo &model, std::string_view call, const float *x,
                                  const int32_t *labels, int64_t batch) {
  return checkTrainPointers(model, call, x, labels, ElementType::I32, batch);
}

Result<int64_t> checkTrainBuffers(const ModelInfo &model, std::string_view call, const float *x,
                                  const float *targets, int64_t batch) {
  return checkTrainPointers(model, call, x, targets, ElementType::F32, batch);
}

Result<int64_t> checkPredictBuffers(const ModelInfo &model, std::string_view call,
                                    const TensorRef &x, const TensorRef &out) {
  int64_t batch = -1;
  if (Status s =
          checkArgument(call, expectationOf(model, BufferRole::Input), Argument::of(x), batch);
      !s)
    return s.takeError();
  if (Status s =
          checkArgument(call, expectationOf(model, BufferRole::Output), Argument::of(out), batch);
      !s)
    return s.takeError();
  if (Status s = checkTokens(model, call, x.f32(), batch); !s)
    return s.takeError();
  return batch;
}

} // namespace kiln
