//===- Init.h - Parameter storage and initialisation ------------*- C++ -*-===//
//
// The runtime owns the parameters of a compiled model: one float buffer per
// ModelInfo::params entry, filled by that parameter's initialiser, and handed
// to CompiledModel::trainStep as a pointer array that it updates in place.
//
//   kiln::ParameterStore params(model.info());
//   if (auto status = params.initialize(seed); !status) ...
//   model.trainStep({.params = params.pointers(), .x = x, .labels = y, ...});
//
//===----------------------------------------------------------------------===//
#ifndef KILN_INIT_H
#define KILN_INIT_H

#include "kiln/CompiledModel.h"
#include "kiln/Result.h"
#include "kiln/Vocabulary.h"

#include <cstdint>
#include <string_view>
#include <vector>

namespace kiln {

/// A parsed ParamInfo::init: the scheme and up to two numbers.
struct InitSpec {
  using Kind = vocabulary::InitializerKind;
  Kind kind = Kind::Constant;
  double a = 0; // Constant: the value; Uniform: low; Normal: mean
  double b = 0; // Uniform: high; Normal: standard deviation
};

/// Parses "zeros", "ones", "constant(v)", "uniform(low, high)",
/// "normal(mean, std)", "he_normal", "he_uniform", "xavier_normal" or
/// "xavier_uniform" (spaces allowed around the numbers). Fails on any other
/// name, a wrong count of numbers, a number that is not finite, low >= high
/// or std <= 0, with a one-line message quoting the spec.
Result<InitSpec> parseInit(const std::string &init);

/// Fills `out` (param.numElements() floats) with the initial values of
/// `param`:
///   zeros, ones, constant(v)  0, 1, v
///   uniform(low, high)        U(low, high)
///   normal(mean, std)         N(mean, std)
///   he_normal                 N(0, sqrt(2 / fanIn))
///   he_uniform                U(-sqrt(6 / fanIn), +sqrt(6 / fanIn))
///   xavier_normal             N(0, sqrt(2 / (fanIn + fanOut)))
///   xavier_uniform            U(-sqrt(6 / (fanIn + fanOut)), +sqrt(6 / (fanIn + fanOut)))
/// The random stream depends only on `seed` and the parameter's name, so
/// adding or reordering other parameters does not change this one's values.
/// Fails (and writes nothing) on an unknown scheme, or when a He or Xavier
/// initialiser has no fan.
Status initParam(const ParamInfo &param, uint64_t seed, float *out);

/// One buffer per parameter of a model, in ModelInfo::params order.
class ParameterStore {
public:
  /// Allocates zero-filled storage for every parameter of `info`.
  explicit ParameterStore(const ModelInfo &info);

  // The pointer array points into the buffers: a copy would alias the
  // original, so copying is disabled. Moving keeps the buffers in place.
  ParameterStore(const ParameterStore &) = delete;
  ParameterStore &operator=(const ParameterStore &) = delete;
  ParameterStore(ParameterStore &&) = default;
  ParameterStore &operator=(ParameterStore &&) = default;

  /// Re-initialises every parameter with initParam(param, seed, ...); stops
  /// at the first parameter that cannot be initialised.
  Status initialize(uint64_t seed);

  /// Pointer arrays for CompiledModel::trainStep and ::predict; they stay
  /// valid for the lifetime of the store.
  float *const *pointers() { return pointerArray.data(); }
  const float *const *pointers() const { return pointerArray.data(); }

  size_t size() const { return buffers.size(); }
  const ParamInfo &info(size_t index) const { return params[index]; }
  std::vector<float> &values(size_t index) { return buffers[index]; }
  const std::vector<float> &values(size_t index) const { return buffers[index]; }

  /// Index of the parameter called `name`, or -1.
  int64_t find(std::string_view name) const;

  /// Total number of floats over all parameters.
  int64_t numElements() const;

private:
  std::vector<ParamInfo> params;
  std::vector<std::vector<float>> buffers;
  std::vector<float *> pointerArray;
};

/// One buffer per optimizer state tensor of a model (ModelInfo::states), each
/// shaped like its parameter and filled with the state's initValue, handed to
/// CompiledModel::trainStep (StepArgs::states) which updates it in place.
class StateStore {
public:
  explicit StateStore(const ModelInfo &info);

  // Like ParameterStore: copying would alias the pointer array.
  StateStore(const StateStore &) = delete;
  StateStore &operator=(const StateStore &) = delete;
  StateStore(StateStore &&) = default;
  StateStore &operator=(StateStore &&) = default;

  /// Fills every buffer with its initValue again.
  void reset();

  float *const *pointers() { return pointerArray.data(); }
  size_t size() const { return buffers.size(); }
  std::vector<float> &values(size_t index) { return buffers[index]; }
  const std::vector<float> &values(size_t index) const { return buffers[index]; }

private:
  std::vector<StateInfo> states;
  std::vector<std::vector<float>> buffers;
  std::vector<float *> pointerArray;
};

} // namespace kiln

#endif // KILN_INIT_H
