//===- LoweredModel.h - A model lowered to Halide pipelines -----*- C++ -*-===//
//
// What lowering produces and the wrapper emitter, the schedule tuner and the
// tests read: the model manifest (inputs, parameters, optimizer state,
// hyperparameters with their ranges, health results, tune ranges: what the
// generated wrapper tells the runtime), one Halide pipeline per kernel, and
// each function's buffer plan: which buffer ("slot") each kernel argument
// binds to, in which order.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_LOWEREDMODEL_H
#define KILN_CODEGEN_LOWEREDMODEL_H

#include "Codegen/Schedules.h"

#include <Halide.h>

#include <string>
#include <utility>
#include <vector>

namespace kiln {

/// A buffer or scalar that kernels of one function read and write.
struct Slot {
  enum class Kind {
    Input,      // a model input or label, fed per batch (index: input number)
    Param,      // a trainable parameter, owned by the runtime (index: param number)
    State,      // optimizer state, owned by the runtime (index: state number)
    ParamGrad,  // a parameter's gradient, when no optimizer is applied (index: param)
    Hyperparam, // a scalar runtime value (index: hyperparam number)
    Step,       // the 1-based update number, a scalar
    BatchShare, // this process's share of the global batch, a scalar (data-parallel)
    BatchOffset, // where this process's part of the global batch begins, a scalar
    Temp,       // an intermediate between two kernels, planned by the wrapper
    Result,     // a function result: the loss, or the prediction
  };
  Kind kind;
  std::string name;
  /// Row-major shape, outermost first; -1 marks the (dynamic) batch.
  std::vector<int64_t> shape;
  bool isInt = false;
  int index = -1;
};

/// One kernel call: `kernel(batch, inputs..., outputs...)`.
struct KernelCall {
  std::string name;
  /// The compiled function the call runs: its own kernel's name, or that of
  /// an identical kernel whose object it shares (shareIdenticalKernels).
  std::string symbol;
  std::vector<int> inputs;  // slot numbers, in Halide argument order after `batch`
  std::vector<int> outputs; // slot numbers, in pipeline output order
  /// The kiln ops the kernel computes, with their model-file locations, for
  /// messages about it (e.g. the first kernel that produced a NaN).
  std::string description;
};

/// Gradients summed over the processes of a data-parallel run as one flat
/// buffer (a kiln.all_reduce): the wrapper lays its slots out one after the
/// other, starts the sum after call `startAfter - 1` (the last one writing
/// them) and waits for it before the first later call that reads them.
struct GradientBucket {
  int64_t index = 0;
  std::vector<int> slots; // in the order they lie in the buffer
  size_t startAfter = 0;  // calls that run before the sum starts
  /// The sum of a forward statistic (synchronized batch normalization), not
  /// of gradients.
  bool statistic = false;
};

struct FunctionPlan {
  std::string name; // "train_step" or "predict"
  std::vector<Slot> slots;
  std::vector<KernelCall> calls;
  std::vector<int> results; // slots of the function's results, in order
  std::vector<GradientBucket> buckets; // in the order they start
};

struct ParamDesc {
  std::string name;
  std::vector<int64_t> shape;
  std::string init;
  /// False for frozen parameters and running statistics: no gradient.
  bool trainable = true;
};

struct InputDesc {
  std::string name;
  std::vector<int64_t> shape; // -1 for the batch
  bool isInt = false;
  bool isLabel = false; // the labels or targets the loss compares against
};

struct StateDesc {
  std::string name;
  int param = -1; // index into LoweredModel::params
  double init = 0;
};

struct HyperparamDesc {
  std::string name;
  double defaultValue = 0;
  /// The valid range, from the kiln.hyperparam op.
  double lower = -1e300, upper = 1e300;
  bool lowerOpen = false, upperOpen = false;
};

struct LoweredKernel {
  std::string name;
  Halide::Pipeline pipeline;
  std::vector<Halide::Argument> arguments; // batch first, then inputs
  /// The same parameters as objects, for binding them when run by JIT: the
  /// call's buffer inputs in order, and its scalar inputs in order.
  Halide::Param<int32_t> batch;
  std::vector<Halide::ImageParam> images;
  std::vector<Halide::Param<float>> scalars;
  /// What the kernel computes, hashed (the kernel op's text and the element
  /// type): kernels with equal keys take the same schedules.
  uint64_t key = 0;
  /// The lowering options that shape the kernel's code beyond `key` and
  /// `choice` (schedules on or off, the autoscheduler's batch estimate), for
  /// the object cache's key.
  std::string loweredWith;
  /// How it was scheduled, and the choices kilnc --autotune times for it
  /// (empty when schedules are off).
  ScheduleChoice choice;
  std::vector<ScheduleChoice> candidates;
  /// Why `choice` (an autoscheduler's) cannot be used, where the lowering
  /// found out (for a GPU: it leaves work on the host); the kernel is then
  /// built with the templates' schedule instead.
  std::string unusableSchedule;
};

/// One extra result of the train step with training health on (module
/// attribute kiln.health, see kiln-training-health).
struct HealthDesc {
  std::string kind; // "grad_sq" or "dead_units"
  std::string name; // parameter name, or relu<k>
  int64_t units = 0; // parameter elements, or the relu's units
  std::string where; // model-file location
};

/// One range of the model file's tune block (module attribute kiln.tune).
struct TuneDesc {
  std::string name;
  std::string kind; // uniform, log_uniform, int, choice
  double low = 0, high = 0;
  std::vector<double> choices;
};

struct LoweredModel {
  std::string name;
  /// Compiled for data-parallel training (kilnc --data-parallel): the
  /// trainer's main() runs the processes of an MPI run, and links
  /// Kiln::Distributed.
  bool dataParallel = false;
  std::string optimizer; // from the module's kiln.optimizer, e.g. "adam"
  /// From the module's kiln.task: "classification", "binary" or "regression"
  /// (see kiln::ModelInfo::task), and the name of the label input.
  std::string task = "classification";
  std::string labelName;
  /// The learning-rate schedule (module attribute kiln.schedule), evaluated by
  /// the runtime: its kind and arguments, and the unit of each count argument
  /// not given in updates ({"period", "epochs"}, {"warmup", "run"}: see
  /// kiln::ScheduleInfo::units).
  std::string scheduleKind = "constant";
  std::vector<std::pair<std::string, double>> scheduleArgs;
  std::vector<std::pair<std::string, std::string>> scheduleUnits;
  std::vector<InputDesc> inputs;
  std::vector<ParamDesc> params;
  std::vector<StateDesc> states;
  std::vector<HyperparamDesc> hyperparams;
  std::vector<HealthDesc> health; // the train step's results after the loss
  std::vector<TuneDesc> tuneSpace;
  std::vector<FunctionPlan> functions;
  std::vector<LoweredKernel> kernels;
  /// Where the kernels run (kiln::ModelInfo::device): "cpu", "opencl" or "cuda".
  std::string device = "cpu";
};

} // namespace kiln

#endif // KILN_CODEGEN_LOWEREDMODEL_H
