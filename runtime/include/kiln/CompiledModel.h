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

#include "kiln/Vocabulary.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

/// One parameter, as the compiler laid it out: row-major, `shape` outermost
/// first. `init` says how it starts, as written in the model file (see
/// kiln/Init.h): "zeros", "ones", "constant(0.25)", "uniform(-0.1, 0.1)",
/// "normal(0, 0.01)", "he_normal", "he_uniform", "xavier_normal" or
/// "xavier_uniform". fanIn/fanOut feed the He and Xavier initialisers: for a
/// dense weight [in, out] they are in and out; for a convolution filter
/// [O, C, KH, KW] they are C*KH*KW and O*KH*KW, as in PyTorch.
struct ParamInfo {
  std::string name; // e.g. "dense0.weight"
  std::vector<int64_t> shape;
  std::string init = "zeros";
  int64_t fanIn = 0;
  int64_t fanOut = 0;
  /// False for frozen parameters and for statistics a layer keeps (batch
  /// normalization's running mean and variance): the optimizer never moves
  /// them, and the checkpoint saves them like any parameter.
  bool trainable = true;
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
  /// Valid values: between lower and upper, each bound included unless open.
  double lower = -1e300;
  double upper = 1e300;
  bool lowerOpen = false;
  bool upperOpen = false;
  bool accepts(double value) const {
    return (lowerOpen ? value > lower : value >= lower) &&
           (upperOpen ? value < upper : value <= upper);
  }
};

/// One tensor of optimizer state (a velocity, a moment, an accumulator). It
/// has the shape of its parameter, starts at `initValue` everywhere, is owned
/// by the runtime like a parameter, updated in place by trainStep, and saved
/// in checkpoints.
struct StateInfo {
  std::string name; // e.g. "dense0.weight.m"
  int param = 0;    // index into ModelInfo::params
  float initValue = 0;
};

/// A learning-rate schedule declared in the model file (`schedule cosine(...)`),
/// evaluated by the runtime before every step (see runtime/src/train/LearningRate.h).
struct ScheduleInfo {
  std::string kind = "constant"; // constant, step, exponential, cosine
  std::vector<std::pair<std::string, double>> args; // e.g. {"period", 1000}
  /// The count arguments (step_size, period, warmup) given in another unit
  /// than updates, by name: "epochs" ({"period", "epochs"} with period 2:
  /// two epochs' updates) or "run" (a fraction of the run's updates: 0.05
  /// for "5%"). kiln::fit turns them into updates when the run starts.
  std::vector<std::pair<std::string, std::string>> units;
};

/// One value a model compiled with training health (`kilnc --health`)
/// reports after every step, through StepArgs::health (see kiln/Health.h).
struct HealthInfo {
  /// "grad_sq": the squared L2 norm of the gradient of parameter `name`, after
  ///            regularization, before clipping; `units` is its element count.
  /// "dead_units": how many of the `units` units of relu `name` ("relu0", ...)
  ///            no sample of the batch activated (features, or channels of an
  ///            NCHW image).
  std::string kind;
  std::string name;
  int64_t units = 0;
  std::string where; // model-file location, "model.kiln:7:10"
};

/// One dimension of the hyperparameter search space, declared in the model
/// file's `tune` block or on the command line (see kiln/Search.h). `name` is
/// a hyperparameter (a HyperparamInfo name such as "lr" or "dropout0.rate")
/// or one of the runtime's own settings, "batch" and "epochs".
struct TuneRange {
  /// Uniform, LogUniform, Integer or Choice (one of `choices`).
  using Kind = vocabulary::TuneRangeKind;
  std::string name;
  Kind kind = Kind::Uniform;
  double low = 0;
  double high = 0;
  std::vector<double> choices;
};

struct ModelInfo {
  std::string name;
  int64_t inputFeatures = 0; // per-sample elements of the input `x` (row-major)
  /// The input is token ids (an i32 input in the model file, read by an
  /// embedding): StepArgs::x and predict's x carry them as floats (exact
  /// below 2^24).
  bool tokenInput = false;
  /// The shape of one sample of `x` as the model file declares it, without
  /// the batch ({1, 28, 28} for an f32[batch, 1, 28, 28] input); its elements
  /// number inputFeatures. Empty when not known: then {inputFeatures}.
  std::vector<int64_t> inputShape;
  /// For tokenInput: token ids lie in [0, tokenLimit), the smallest
  /// vocabulary of the embeddings that read them (the generated code would
  /// clamp an id outside); 0 when not known.
  int64_t tokenLimit = 0;
  /// Class labels per sample: 1, or one per step of a sequence (a label of
  /// shape [batch, T]); predict then gives numClasses logits per step.
  int64_t labelsPerSample = 1;
  /// What the loss makes of the model, and so how it is measured:
  ///   "classification"  predict gives numClasses logits per sample; labels
  ///                     are int32 class indices; metric: top-1 accuracy
  ///   "binary"          predict gives outputFeatures probabilities; targets
  ///                     are floats 0 or 1; metric: accuracy at 0.5
  ///   "regression"      predict gives outputFeatures values; targets are
  ///                     floats; metrics: mean squared and absolute error
  std::string task = "classification";
  int64_t numClasses = 0;     // classification: labels lie in [0, numClasses)
  int64_t outputFeatures = 0; // per-sample floats predict writes
  int64_t targetFeatures = 0; // per-sample floats of a float target; 0 for class labels
  std::string optimizer;     // e.g. "adam"
  std::vector<ParamInfo> params;
  std::vector<StateInfo> states;
  std::vector<HyperparamInfo> hyperparams;
  ScheduleInfo schedule;
  /// What trainStep reports besides the loss; empty unless compiled with
  /// `kilnc --health`.
  std::vector<HealthInfo> health;
  /// The search space of the model file's `tune` block; empty without one.
  std::vector<TuneRange> tuneSpace;
  /// Where the kernels run: "cpu", or the GPU API they were built for
  /// ("opencl", "cuda"; see docs/gpu.md).
  std::string device = "cpu";
  /// Compiled with `kilnc --data-parallel`: the floats of each bucket of
  /// gradients that trainStep sums over processes (StepArgs::exchange), in
  /// the order it starts them (buckets 0, 1, ...; the sums of synchronized
  /// batch statistics follow, with higher numbers). Empty otherwise.
  std::vector<int64_t> gradientBuckets;
  bool dataParallel() const { return !gradientBuckets.empty(); }

  /// A language model: it reads token ids and predicts a label at every
  /// step (the next token), so it trains on a text file.
  bool isLanguageModel() const {
    return tokenInput && labelsPerSample > 1 && labelsPerSample == inputFeatures;
  }
};

/// Sums buckets of gradients over the processes of a data-parallel run
/// (kiln/Distributed.h implements it with MPI). A model compiled with
/// `kilnc --data-parallel` calls it from trainStep: start() when a bucket's
/// gradients are final (the sum then proceeds while later kernels run),
/// finish() before the first kernel that reads a bucket, which then holds
/// the sum over all processes of every process's values.
class GradientExchange {
public:
  virtual ~GradientExchange() = default;
  virtual void start(int64_t bucket, float *data, int64_t floats) = 0;
  /// False when the sum failed (the step then returns NaN).
  virtual bool finish(int64_t bucket) = 0;
  /// A kernel failed in the middle of the step, which ends without starting
  /// its later sums: the other processes would wait for them forever, so
  /// this ends the whole run (with `why`), or returns where there are none.
  virtual void abandon(const std::string &why) = 0;
};

/// The buffers and values of one training step. Pointer arrays follow the
/// order of ModelInfo::params, ::states and ::hyperparams.
struct StepArgs {
  float *const *params = nullptr; // updated in place
  float *const *states = nullptr; // updated in place
  const float *x = nullptr;       // batch x inputFeatures
  const int32_t *labels = nullptr; // batch x labelsPerSample class labels (task "classification")
  const float *targets = nullptr;  // batch x targetFeatures (other tasks)
  int64_t batch = 0;
  const float *hyperparams = nullptr;
  /// 1-based count of updates including this one (Adam's bias correction).
  int64_t step = 1;
  /// When not null, receives ModelInfo::health.size() values, in that order.
  float *health = nullptr;
  /// Data-parallel models only: this process's samples over the global
  /// batch's (each gradient's weight in the sum), and what sums the buckets.
  /// Without an exchange (one process) the gradients are this batch's own.
  float batchShare = 1;
  /// Data-parallel models only: the index of this batch's first sample in
  /// the global batch (dropout draws each sample's mask by that index).
  float batchOffset = 0;
  GradientExchange *exchange = nullptr;
};

/// The buffers of one evaluation: the loss and the prediction of a batch in
/// inference mode (dropout off, batch normalization on its running
/// statistics), nothing updated.
struct EvalArgs {
  const float *const *params = nullptr;
  const float *x = nullptr;        // batch x inputFeatures
  const int32_t *labels = nullptr; // batch x labelsPerSample (task "classification")
  const float *targets = nullptr;  // batch x targetFeatures (other tasks)
  int64_t batch = 0;
  float *predictions = nullptr; // written: batch x outputFeatures, as predict writes them
};

/// Implemented by generated code. All tensors are dense, row-major float32
/// (labels int32). `params[i]` points at storage of params[i].numElements()
/// floats, which trainStep updates in place. The generated code trusts its
/// arguments: kiln::Model and kiln::Trainer check an app's buffers against
/// info() before calling it (see kiln/Tensor.h).
class CompiledModel {
public:
  /// Defined in the runtime library, beside the allocator of the generated
  /// kernels (halide_malloc and halide_free, see kiln/KernelMemory.h): the
  /// reference from every generated class links them in.
  virtual ~CompiledModel();
  virtual const ModelInfo &info() const = 0;

  /// One optimisation step on a batch: forward, backward and the fused
  /// parameter and optimizer-state update. Returns the mean loss of the batch
  /// (before the update), regularization terms included. Returns NaN if the
  /// generated code reports an error.
  virtual float trainStep(const StepArgs &args) = 0;

  /// Inference: writes batch x outputFeatures predictions (logits for a
  /// classifier). Returns false on error.
  virtual bool predict(const float *const *params, const float *x, int64_t batch,
                       float *logits) = 0;

  /// The mean loss of a batch without regularization terms (the data loss, as
  /// a validation loss is reported), and its predictions; NaN on error.
  virtual float evaluate(const EvalArgs &args) = 0;

  /// Worker threads the generated kernels may use (0: one per core).
  virtual void setNumThreads(int threads) = 0;

  /// When on, trainStep checks the outputs of every kernel for NaN and Inf
  /// (slow: one extra pass over every intermediate) and remembers the first
  /// kernel that produced one; see firstNonFinite().
  virtual void setCheckNumerics(bool on) = 0;
  /// After a checked step: the first kernel whose output held a NaN or Inf,
  /// described by its ops and their model-file locations; empty if none.
  virtual std::string firstNonFinite() const = 0;

  /// A GPU build (ModelInfo::device other than "cpu") keeps the parameters
  /// and optimizer state of trainStep in device memory from one step to the
  /// next (docs/gpu.md, "Memory"): the host arrays StepArgs points at are
  /// stale until this copies back what the kernels changed. Call it before
  /// reading them; the device copies stay in use. evaluate and predict given
  /// those same parameter arrays read the device copies. False if a copy
  /// failed (takeKernelError() says why). A CPU build has nothing to copy.
  virtual bool syncToHost() { return true; }
  /// syncToHost, then frees the device copies: the next trainStep uploads
  /// the host arrays again. Call it before writing the arrays or freeing
  /// them (kiln::Trainer does, and when it is destroyed).
  virtual bool returnToHost() { return true; }
};

} // namespace kiln

#endif // KILN_COMPILEDMODEL_H
