//===- DeviceBuffers.h - What a GPU build keeps in device memory -*- C++ -*-===//
//
// Included by the wrapper kilnc generates for a GPU target, never by the
// runtime library (it needs Halide's runtime headers). The generated model
// owns one DeviceBuffers, made on its first call (docs/gpu.md, "Memory"):
//
// - parameters and optimizer state stay in device memory from one trainStep
//   to the next, mirroring the host arrays the step was given: the host
//   arrays are stale until syncToHost() or returnToHost();
// - other parameter arrays given to evaluate or predict (a loaded
//   checkpoint) are uploaded once and read from device memory until other
//   arrays come or returnToHost() (which the runtime calls before it writes
//   parameters);
// - every other buffer of a generated function (the batch, the workspace,
//   the results) keeps its device memory from call to call and points at
//   this call's host memory; it is rebuilt when its extents change (another
//   batch size).
//
// The buffers' destructors free their device memory with the model.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DEVICEBUFFERS_H
#define KILN_DEVICEBUFFERS_H

#include "kiln/CompiledModel.h"

#include "HalideBuffer.h"
#include "HalideRuntime.h"

#include <map>
#include <type_traits>
#include <utility>
#include <vector>

namespace kiln {

class DeviceBuffers {
public:
  using Floats = Halide::Runtime::Buffer<float>;

  /// For trainStep: the device copies of `params` and `states`. Copies of
  /// other host arrays are dropped first, without copying back (those
  /// arrays may be gone: the runtime returns them to the host before it
  /// frees them); new copies are uploaded by the first kernel reading them.
  void adopt(const ModelInfo &info, float *const *params, float *const *states) {
    if (holding && holds(params, paramHosts) && holds(states, stateHosts))
      return;
    releaseWithoutCopy();
    // Read-only copies of these arrays would go stale as the steps train.
    if (!readOnlyHosts.empty() && holds(params, readOnlyHosts))
      releaseReadOnly();
    holding = true;
    for (size_t p = 0; p < info.params.size(); ++p) {
      paramHosts.push_back(params[p]);
      paramBuffers.push_back(wrap(params[p], info.params[p].shape));
    }
    for (size_t s = 0; s < info.states.size(); ++s) {
      stateHosts.push_back(states[s]);
      stateBuffers.push_back(wrap(states[s], info.params[info.states[s].param].shape));
    }
  }
  std::vector<Floats> &params() { return paramBuffers; }
  std::vector<Floats> &states() { return stateBuffers; }

  /// For evaluate and predict: the device copies when `params` are the
  /// arrays trainStep keeps there; else read-only copies of `params`,
  /// uploaded by the first kernel that reads them and kept while the same
  /// arrays come (a checkpoint evaluated batch after batch), replacing the
  /// copies of other arrays.
  std::vector<Floats> &paramsFor(const ModelInfo &info, const float *const *params) {
    if (holding && holds(params, paramHosts))
      return paramBuffers;
    if (!readOnlyHosts.empty() && holds(params, readOnlyHosts))
      return readOnlyBuffers;
    releaseReadOnly();
    for (size_t p = 0; p < info.params.size(); ++p) {
      readOnlyHosts.push_back(params[p]);
      readOnlyBuffers.push_back(wrap(params[p], info.params[p].shape));
    }
    return readOnlyBuffers;
  }

  /// Copies what kernels changed in device memory back to the host arrays;
  /// the device copies stay in use. False if a copy fails.
  bool syncToHost() {
    for (std::vector<Floats> *buffers : {&paramBuffers, &stateBuffers})
      for (Floats &b : *buffers)
        if (b.copy_to_host() != 0)
          return false;
    return true;
  }

  /// syncToHost, then frees the device copies, read-only ones too: the
  /// next call uploads the host arrays again.
  bool returnToHost() {
    bool copied = syncToHost();
    releaseWithoutCopy();
    releaseReadOnly();
    return copied;
  }

  /// Function `function`'s buffer of slot `slot`, over `host` with Halide's
  /// `extents` (innermost first), kept with its device memory while the
  /// extents stay the same.
  template <typename T>
  Halide::Runtime::Buffer<T> &kept(int function, int slot, const T *host,
                                   const std::vector<int> &extents) {
    auto [it, made] = keptOf<T>().try_emplace({function, slot}, const_cast<T *>(host), extents);
    Halide::Runtime::Buffer<T> &b = it->second;
    if (!made && !hasExtents(b, extents))
      b = Halide::Runtime::Buffer<T>(const_cast<T *>(host), extents);
    b.raw_buffer()->host = reinterpret_cast<uint8_t *>(const_cast<T *>(host));
    return b;
  }

private:
  static bool holds(const float *const *arrays, const std::vector<const float *> &hosts) {
    for (size_t i = 0; i < hosts.size(); ++i)
      if (arrays[i] != hosts[i])
        return false;
    return true;
  }

  /// A buffer over a host array whose data the device lacks: the first
  /// kernel that reads it copies it in.
  static Floats wrap(const float *host, const std::vector<int64_t> &shape) {
    std::vector<int> extents(shape.rbegin(), shape.rend());
    Floats b(const_cast<float *>(host), extents);
    b.raw_buffer()->flags |= halide_buffer_flag_host_dirty;
    return b;
  }

  template <typename T>
  static bool hasExtents(const Halide::Runtime::Buffer<T> &b, const std::vector<int> &extents) {
    if (b.dimensions() != static_cast<int>(extents.size()))
      return false;
    for (size_t d = 0; d < extents.size(); ++d)
      if (b.dim(static_cast<int>(d)).extent() != extents[d])
        return false;
    return true;
  }

  template <typename T> std::map<std::pair<int, int>, Halide::Runtime::Buffer<T>> &keptOf() {
    if constexpr (std::is_same_v<T, float>)
      return keptFloats;
    else
      return keptInts;
  }

  void releaseWithoutCopy() {
    holding = false;
    paramHosts.clear();
    stateHosts.clear();
    paramBuffers.clear();
    stateBuffers.clear();
  }

  void releaseReadOnly() {
    readOnlyHosts.clear();
    readOnlyBuffers.clear();
  }

  bool holding = false; // of the host arrays of paramHosts and stateHosts
  std::vector<const float *> paramHosts, stateHosts;
  std::vector<Floats> paramBuffers, stateBuffers;
  std::vector<const float *> readOnlyHosts; // evaluate's and predict's other arrays
  std::vector<Floats> readOnlyBuffers;
  std::map<std::pair<int, int>, Floats> keptFloats;
  std::map<std::pair<int, int>, Halide::Runtime::Buffer<int32_t>> keptInts;
};

} // namespace kiln

#endif // KILN_DEVICEBUFFERS_H
