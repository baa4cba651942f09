//===- Tensor.h - Typed views of an app's buffers ---------------*- C++ -*-===//
//
// What an app hands to a model: a pointer (or a vector) together with its
// element type and shape, so that the runtime can check it against the
// model's ModelInfo before the generated code reads it:
//
//   std::vector<float> x(64 * 784);
//   std::vector<int32_t> labels(64);
//   kiln::Result<float> loss = model.trainStep({x, {64, 784}}, {labels, {64}});
//   std::vector<float> logits(64 * 10);
//   kiln::Status s = model.predict({x, {64, 784}}, {logits, {64, 10}});
//
// A rejected call changes nothing and says which argument, what the model
// expects and what it was given:
//
//   trainStep: labels: expected i32[64], got f32[64]
//   trainStep: x: expected f32[batch, 784], got f32[64, 783]
//   trainStep: labels: sample 3: class 12 outside [0, 10)
//
// A view does not own its data; the buffer must outlive the call.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TENSOR_H
#define KILN_TENSOR_H

#include "kiln/Result.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln {

struct ModelInfo;

/// The element types an app's buffers hold: features, targets and outputs
/// are f32, class labels i32.
enum class ElementType { F32, I32 };

/// "f32" or "i32".
const char *elementTypeName(ElementType type);

/// A dense, row-major buffer the caller owns, with its element type and
/// shape (outermost first; a sample's rows are the first dimension).
class TensorRef {
public:
  TensorRef(const float *data, std::vector<int64_t> shape)
      : ptr(data), elementType(ElementType::F32), dims(std::move(shape)) {}
  TensorRef(const int32_t *data, std::vector<int64_t> shape)
      : ptr(data), elementType(ElementType::I32), dims(std::move(shape)) {}
  /// A view of a vector: the vector must hold at least the shape's elements
  /// (the first rows of a larger set are fine).
  TensorRef(const std::vector<float> &values, std::vector<int64_t> shape)
      : ptr(values.data()), elementType(ElementType::F32), dims(std::move(shape)),
        held(static_cast<int64_t>(values.size())) {}
  TensorRef(const std::vector<int32_t> &values, std::vector<int64_t> shape)
      : ptr(values.data()), elementType(ElementType::I32), dims(std::move(shape)),
        held(static_cast<int64_t>(values.size())) {}
  // A view of a temporary would dangle.
  TensorRef(std::vector<float> &&, std::vector<int64_t>) = delete;
  TensorRef(std::vector<int32_t> &&, std::vector<int64_t>) = delete;

  ElementType type() const { return elementType; }
  const std::vector<int64_t> &shape() const { return dims; }
  const void *data() const { return ptr; }
  /// The data as floats or ints; null when the view holds the other type.
  const float *f32() const {
    return elementType == ElementType::F32 ? static_cast<const float *>(ptr) : nullptr;
  }
  const int32_t *i32() const {
    return elementType == ElementType::I32 ? static_cast<const int32_t *>(ptr) : nullptr;
  }
  /// The elements of the vector the view was made from; -1 for a pointer,
  /// whose extent the runtime cannot know.
  int64_t available() const { return held; }
  /// The type and shape as messages write them: "f32[64, 784]".
  std::string describe() const;

private:
  const void *ptr;
  ElementType elementType;
  std::vector<int64_t> dims;
  int64_t held = -1;
};

/// A buffer the model writes (predictions): f32 only.
class MutableTensorRef : public TensorRef {
public:
  MutableTensorRef(float *data, std::vector<int64_t> shape) : TensorRef(data, std::move(shape)) {}
  /// The vector must hold at least the shape's elements.
  MutableTensorRef(std::vector<float> &values, std::vector<int64_t> shape)
      : TensorRef(values, std::move(shape)) {}

  float *mutableF32() const { return const_cast<float *>(f32()); }
};

/// The buffers of a call, as the model sees them.
enum class BufferRole {
  Input,           // x: the features (token ids as floats for a model that reads them)
  LabelsOrTargets, // class labels (i32) or float targets, as ModelInfo::targetFeatures says
  Output,          // what predict writes
};

/// The shape `model` expects of buffer `role` for `batch` samples, in the
/// form messages show: [batch, inputShape...] for the input ([batch,
/// inputFeatures] when ModelInfo::inputShape is empty), [batch] for one
/// class label per sample, [batch, labelsPerSample] for a label per step,
/// [batch, targetFeatures] for targets, [batch, outputFeatures] (or [batch,
/// labelsPerSample, numClasses]) for the output. What a raw pointer is
/// viewed as.
std::vector<int64_t> expectedShape(const ModelInfo &model, BufferRole role, int64_t batch);

/// The most elements one buffer of a step may hold: 2^31 - 1, what the
/// kernels' 32-bit indexing allows (the model language's limit on a
/// tensor's element count).
constexpr int64_t MaxBufferElements = 2147483647;

/// Checks, before any memory is taken, that a step of `batch` samples keeps
/// each of its buffers (features, labels or targets, predictions) within
/// MaxBufferElements: "a batch of 100000000 samples needs 78400000000
/// elements in its features buffer (100000000 x 784), over the limit of
/// 2147483647 (2^31 - 1) on a buffer".
Status checkBatchSize(const ModelInfo &model, int64_t batch);

/// Checks the buffers of one training step against `model`, and returns the
/// batch. `x` holds the features, f32[batch, inputShape...] (or, flattened,
/// f32[batch, inputFeatures]); `labelsOrTargets` holds, for a model trained
/// on class labels (targetFeatures 0), i32[batch] (i32[batch,
/// labelsPerSample] for a label per step), else f32[batch, targetFeatures]
/// (f32[batch] for one target). Every extent must match, the batch be the
/// same in both and at least 1, no data null, a view of a vector within the
/// vector, every label in [0, numClasses) and, for a model that reads token
/// ids, every id an integer in [0, tokenLimit). Messages start with `call`
/// and the argument: "trainStep: x: expected f32[batch, 784], got f32[64]".
Result<int64_t> checkTrainBuffers(const ModelInfo &model, std::string_view call,
                                  const TensorRef &x, const TensorRef &labelsOrTargets);

/// The same checks for raw pointers, viewed in the shapes the model expects
/// for `batch` samples (expectedShape): `x` the features, `labels` class
/// labels or `targets` float targets. The messages are those of views made
/// from the pointers ("trainStep: x: null data for f32[64, 784]"). Allocates
/// nothing unless a check fails.
Result<int64_t> checkTrainBuffers(const ModelInfo &model, std::string_view call, const float *x,
                                  const int32_t *labels, int64_t batch);
Result<int64_t> checkTrainBuffers(const ModelInfo &model, std::string_view call, const float *x,
                                  const float *targets, int64_t batch);

/// Checks the buffers of inference, as checkTrainBuffers does, and returns
/// the batch: `x` as there, `out` f32[batch, outputFeatures] (f32[batch,
/// labelsPerSample, numClasses] for a label per step, also accepted
/// flattened); the output is named "out" in messages.
Result<int64_t> checkPredictBuffers(const ModelInfo &model, std::string_view call,
                                    const TensorRef &x, const TensorRef &out);

/// The index of the first of `count` class labels outside [0, classes), or
/// -1 when all lie inside.
int64_t firstLabelOutside(const int32_t *labels, int64_t count, int64_t classes);

/// The index of the first of `count` token ids (floats, as StepArgs::x
/// carries them) that is not an integer in [0, limit), or -1 when there is
/// none.
int64_t firstTokenOutside(const float *ids, int64_t count, int64_t limit);

} // namespace kiln

#endif // KILN_TENSOR_H
