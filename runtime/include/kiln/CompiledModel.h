//===- CompiledModel.h - What generated code gives the runtime --*- C++ -*-===//
//
// kilnc generates, for each model, a class derived from kiln::CompiledModel
// (see the generated `<model>.h`). The runtime drives training through this
// interface only: it owns parameter storage and calls the generated train
// step and inference function. Nothing here depends on MLIR, LLVM or libHalide.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_COMPILEDMODEL_H
#define KILN_COMPILEDMODEL_H

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// How a parameter tensor is initialised before training.
enum class Init { Zeros, HeNormal, HeUniform, XavierNormal, XavierUniform };

/// One trainable parameter, as the compiler laid it out: row-major, `shape`
/// outermost first. fanIn/fanOut feed the He and Xavier initialisers.
struct ParamInfo {
  std::string name; // e.g. "dense0.weight"
  std::vector<int64_t> shape;
  Init init = Init::Zeros;
  int64_t fanIn = 0;
  int64_t fanOut = 0;
  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

/// A value the compiled code reads at run time (e.g. the learning rate);
/// changing one never needs a recompile.
struct HyperparamInfo {
  std::string name; // e.g. "lr"
  float defaultValue = 0;
};

struct ModelInfo {
  std::string name;
  int64_t inputFeatures = 0; // per-sample elements of the input `x` (row-major)
  int64_t numClasses = 0;    // width of the logits; labels lie in [0, numClasses)
  std::vector<ParamInfo> params;
  std::vector<HyperparamInfo> hyperparams;
};

/// Implemented by generated code. All tensors are dense, row-major float32
/// (labels int32). `params[i]` points at storage of params[i].numElements()
/// floats, which trainStep updates in place.
class CompiledModel {
public:
  virtual ~CompiledModel() = default;
  virtual const ModelInfo &info() const = 0;

  /// One optimisation step on a batch of `batch` samples: forward, backward
  /// and the fused parameter update. `hyperparams` holds one value per
  /// info().hyperparams entry, in order. Returns the mean loss of the batch
  /// (before the update). Returns NaN if the generated code reports an error.
  virtual float trainStep(float *const *params, const float *x, const int32_t *labels,
                          int64_t batch, const float *hyperparams) = 0;

  /// Inference: writes batch x numClasses logits. Returns false on error.
  virtual bool predict(const float *const *params, const float *x, int64_t batch,
                       float *logits) = 0;

  /// Worker threads the generated kernels may use (0: one per core).
  virtual void setNumThreads(int threads) = 0;
};

} // namespace kiln

#endif // KILN_COMPILEDMODEL_H
