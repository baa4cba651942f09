//===- WrapperEmitter.cpp - A lowered model's generated sources -----------===//
//
// Writes the kernels' objects and headers (Halide's ahead-of-time output),
// then the C++ wrapper class (WrapperWriter: the buffer plan of each function
// as calls of the kernels) and the main() of a trainer. Compiling and linking
// them is the toolchain driver's (ToolchainDriver.cpp).
//
//===----------------------------------------------------------------------===//
#include "Codegen/WrapperEmitter.h"
#include "Codegen/WorkspacePlan.h"

#include "Kiln/IR/SizeLimits.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

using namespace kiln;

namespace {

std::string join(const std::string &dir, const std::string &file) { return dir + "/" + file; }

std::string writeFile(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out)
    return "cannot write '" + path + "'";
  return "";
}

/// (fanIn, fanOut) of a parameter for the He and Xavier initialisers, as
/// PyTorch computes them: a dense weight is [in, out]; a convolution filter
/// [O, C, KH, KW] has fanIn C*KH*KW and fanOut O*KH*KW. (Every product of
/// extents in this file is at most a tensor's element count, which
/// checkSizes has held to the limits.)
std::pair<int64_t, int64_t> fans(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return {1, 1};
  if (shape.size() == 1)
    return {shape[0], shape[0]};
  int64_t receptive = *checkedElementCount(llvm::ArrayRef(shape).drop_front(2));
  if (shape.size() == 2)
    return {shape[0], shape[1]};
  return {shape[1] * receptive, shape[0] * receptive};
}

/// Elements of one sample of a shape whose first dimension is the batch.
int64_t perSampleElements(const std::vector<int64_t> &shape) {
  return *checkedElementCount(shape);
}

/// Elements of a shape with -1 for the batch: `fixed`, times the batch when
/// `perSample`.
struct ElementCount {
  int64_t fixed = 1;
  bool perSample = false;
};

ElementCount countElements(const std::vector<int64_t> &shape) {
  return {perSampleElements(shape), llvm::any_of(shape, [](int64_t d) { return d < 0; })};
}

/// Halide buffer extents, innermost first: "784, n".
std::string halideExtents(const std::vector<int64_t> &shape) {
  std::string out;
  for (auto it = shape.rbegin(); it != shape.rend(); ++it)
    out += (out.empty() ? "" : ", ") + (*it < 0 ? std::string("n") : std::to_string(*it));
  return out;
}

/// `s` as a C++ string literal.
std::string cppString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

/// `value` as a C++ literal with `digits` significant digits and `suffix`.
std::string numberLiteral(double value, int digits, const char *suffix) {
  std::ostringstream os;
  os.precision(digits);
  os << value;
  std::string text = os.str();
  if (text.find_first_of(".eEn") == std::string::npos)
    text += ".0";
  return text + suffix;
}

/// A float literal that keeps every digit a float holds.
std::string floatLiteral(double value) { return numberLiteral(value, 9, "f"); }

/// A double literal that reads back to the same value.
std::string doubleLiteral(double value) { return numberLiteral(value, 17, ""); }

/// Generated helpers: the kernels' errors recorded for the runtime (see
/// kiln/KernelErrors.h) rather than aborting the process, and the moves
/// between host memory and a GPU around a function's kernels.
constexpr const char *kDeviceHelpers = R"(// Halide's runtime reports errors to kiln::recordKernelError, not its
// default handler (which aborts); the kernel then returns an error code.
[[maybe_unused]] const bool kernelErrorsRecorded =
    (halide_set_error_handler(kiln::recordKernelError), true);

// Host memory holds these buffers' data: a kernel on a GPU copies it in.
[[maybe_unused]] void markHostData(std::initializer_list<halide_buffer_t *> buffers) {
  for (halide_buffer_t *b : buffers)
    b->flags |= halide_buffer_flag_host_dirty;
}

// Results a kernel on a GPU left there, copied back to host memory; false
// if a copy fails.
[[maybe_unused]] bool copyToHost(std::initializer_list<halide_buffer_t *> buffers) {
  for (halide_buffer_t *b : buffers)
    if (halide_copy_to_host(nullptr, b) != 0)
      return false;
  return true;
}

)";

/// The floats of a bucket of gradients (its slots have no batch extent).
int64_t bucketFloats(const FunctionPlan &plan, const GradientBucket &bucket) {
  int64_t floats = 0;
  for (int id : bucket.slots)
    floats += countElements(plan.slots[id].shape).fixed;
  return floats;
}

/// Writes a data-parallel train step's calls of the gradient exchange
/// (kiln::GradientExchange, StepArgs::exchange) between its kernel calls:
/// each bucket's sum starts once the kernels writing it have run, and a
/// bucket is waited for before the first kernel that reads it.
class GradientSums {
public:
  /// `failed`: what the function returns when a sum fails.
  GradientSums(std::ostream &os, const FunctionPlan &plan, const char *failed)
      : os(os), plan(plan), failed(failed), started(plan.buckets.size(), false), finished(plan.buckets.size(), false) {}

  /// Before call `c`: starts the buckets complete by then.
  void startBefore(size_t c) {
    for (size_t b = 0; b < plan.buckets.size(); ++b) {
      const GradientBucket &bucket = plan.buckets[b];
      if (started[b] || bucket.startAfter > c)
        continue;
      os << "  if (args.exchange)\n    args.exchange->start(" << bucket.index << ", s"
         << bucket.slots.front() << ".data(), " << bucketFloats(plan, bucket) << ");\n";
      started[b] = true;
    }
  }

  /// Before call `c`: waits for the buckets it reads.
  void finishBefore(size_t c) {
    const KernelCall &call = plan.calls[c];
    for (size_t b = 0; b < plan.buckets.size(); ++b)
      if (started[b] && !finished[b] &&
          llvm::any_of(plan.buckets[b].slots,
                       [&](int id) { return llvm::is_contained(call.inputs, id); }))
        finish(b);
  }

  void finishAll() {
    for (size_t b = 0; b < plan.buckets.size(); ++b)
      if (!finished[b])
        finish(b);
  }

private:
  void finish(size_t b) {
    os << "  if (args.exchange && !args.exchange->finish(" << plan.buckets[b].index << "))\n"
       << "    return " << failed << ";\n";
    finished[b] = true;
  }

  std::ostream &os;
  const FunctionPlan &plan;
  const char *failed;
  std::vector<bool> started, finished;
};

class WrapperWriter {
public:
  WrapperWriter(const LoweredModel &model)
      : model(model), cls(modelClassName(model.name)), gpu(model.device != "cpu") {}

  std::string header() const;
  std::string source() const;

private:
  void emitFunction(std::ostream &os, const FunctionPlan &plan) const;
  void emitHostData(std::ostream &os, const FunctionPlan &plan) const;
  void emitCopiesToHost(std::ostream &os, const FunctionPlan &plan, const char *failed) const;
  void writeKernelDeclarations(std::ostream &os) const;
  const LoweredModel &model;
  std::string cls;
  /// Kernels built for a GPU: buffers kept in kiln::DeviceBuffers, copies
  /// between host and device.
  bool gpu;
};

std::string WrapperWriter::header() const {
  std::ostringstream os;
  os << "// Generated by kilnc from model '" << model.name << "'. Do not edit.\n"
     << "#pragma once\n\n#include \"kiln/CompiledModel.h\"\n#include \"kiln/Model.h\"\n\n"
     << (gpu ? "#include <memory>\n" : "") << "#include <string>\n#include <vector>\n\n"
     << (gpu ? "namespace kiln {\nclass DeviceBuffers; // kiln/DeviceBuffers.h\n}\n\n" : "")
     << "/// The compiled model: train steps and inference for '" << model.name << "'.\n"
     << "/// Parameters are owned by the caller (see kiln::ParameterStore).\n"
     << "class " << cls << " final : public kiln::CompiledModel {\n"
     << "public:\n"
     << "  const kiln::ModelInfo &info() const override;\n"
     << "  float trainStep(const kiln::StepArgs &args) override;\n"
     << "  bool predict(const float *const *params, const float *x, int64_t batch,\n"
     << "               float *logits) override;\n"
     << "  float evaluate(const kiln::EvalArgs &args) override;\n"
     << "  void setNumThreads(int threads) override;\n"
     << "  void setCheckNumerics(bool on) override { checkNumerics_ = on; }\n"
     << "  std::string firstNonFinite() const override { return firstNonFinite_; }\n\n"
     << (gpu ? "  // Made and destroyed where kiln::DeviceBuffers is complete.\n  " + cls +
                   "();\n  ~" + cls + "() override;\n" +
                   "  bool syncToHost() override;\n  bool returnToHost() override;\n\n"
             : std::string())
     << "private:\n"
     << (gpu ? "  kiln::DeviceBuffers &device();\n"
               "  std::unique_ptr<kiln::DeviceBuffers> device_; // made by the first call\n"
             : "")
     << "  float *reserve(int64_t floats);\n"
     << "  std::vector<float> workspace_;\n"
     << "  std::vector<int32_t> tokens_;\n"
     << "  bool checkNumerics_ = false;\n"
     << "  std::string firstNonFinite_;\n"
     << "};\n\n"
     << "/// The model with its parameters, optimizer state and training loop: train_step,\n"
     << "/// predict, evaluate, save, load and parameter access (see kiln/Model.h).\n"
     << "using " << cls << "Model = kiln::ModelOf<" << cls << ">;\n";
  return os.str();
}

void WrapperWriter::emitFunction(std::ostream &os, const FunctionPlan &plan) const {
  // @train_step and @evaluate take their buffers from an argument struct and
  // return the loss (NaN on an error); @predict returns whether it ran.
  bool train = plan.name == "train_step";
  bool returnsLoss = train || plan.name == "evaluate";
  const char *failed = returnsLoss ? "std::numeric_limits<float>::quiet_NaN()" : "false";
  // The result written to the caller's buffer: predict's only result,
  // evaluate's second; a loss lives in the workspace.
  int callerResult = -1;
  if (plan.name == "predict" && !plan.results.empty())
    callerResult = plan.results[0];
  if (plan.name == "evaluate" && plan.results.size() == 2)
    callerResult = plan.results[1];
  const char *callerBuffer = train ? "" : plan.name == "predict" ? "logits" : "args.predictions";
  // Buffers share the workspace where their lifetimes allow; a GPU build's
  // each keep device memory of their own (DeviceBuffers::kept), so their
  // host memory is not shared either.
  WorkspacePlan layout = planWorkspace(plan, callerResult, /*reuse=*/!gpu);
  if (returnsLoss)
    os << "  const int64_t batch = args.batch;\n"
       << "  const float *const *params = args.params;\n"
       << "  const float *x = args.x;\n"
       << "  const int32_t *labels = args.labels;\n"
       << "  const float *targets = args.targets;\n";
  if (train)
    os << "  const float step = static_cast<float>(args.step);\n"
       << "  if (checkNumerics_)\n    firstNonFinite_.clear();\n";
  os << "  const int n = static_cast<int>(batch);\n"
     << "  float *ws = reserve(" << layout.fixed << " + " << layout.perSample << " * batch);\n";
  // The slots of gradient buckets first, each bucket one flat buffer.
  std::vector<size_t> order;
  for (const GradientBucket &bucket : plan.buckets)
    order.insert(order.end(), bucket.slots.begin(), bucket.slots.end());
  for (size_t id = 0; id < plan.slots.size(); ++id)
    if (!llvm::is_contained(order, id))
      order.push_back(id);
  // A GPU build keeps its buffers in the model's DeviceBuffers: the
  // parameters and state of trainStep, the others by (function, slot).
  const std::string function = std::to_string(&plan - model.functions.data());
  if (gpu) {
    os << "  kiln::DeviceBuffers &dev = device();\n";
    if (train)
      os << "  dev.adopt(info(), args.params, args.states);\n"
         << "  std::vector<kiln::DeviceBuffers::Floats> &deviceParams = dev.params();\n"
         << "  std::vector<kiln::DeviceBuffers::Floats> &deviceStates = dev.states();\n";
    else
      os << "  std::vector<kiln::DeviceBuffers::Floats> &deviceParams = dev.paramsFor(info(), "
            "params);\n";
  }
  for (size_t id : order) {
    const Slot &s = plan.slots[id];
    std::string var = "s" + std::to_string(id);
    std::string type = s.isInt ? "int32_t" : "float";
    std::string buffer = "Halide::Runtime::Buffer<" + type + "> ";
    // `var` over `host`: a buffer of the call on a CPU, a kept one on a GPU.
    auto declare = [&](const std::string &host, const std::string &after) {
      if (gpu)
        os << "  " << buffer << "&" << var << " = dev.kept<" << type << ">(" << function << ", "
           << id << ", " << host << ", {" << halideExtents(s.shape) << "});" << after;
      else if (s.shape.empty())
        os << "  auto " << var << " = " << buffer << "::make_scalar(" << host << ");" << after;
      else
        os << "  " << buffer << var << "(" << host << ", " << halideExtents(s.shape) << ");"
           << after;
    };
    // A parameter or optimizer state over `host`: on a GPU, the copy in
    // `deviceArray` that the model keeps.
    auto declareArray = [&](const char *deviceArray, const std::string &host) {
      if (gpu)
        os << "  " << buffer << "&" << var << " = " << deviceArray << "[" << s.index << "]; // "
           << s.name << "\n";
      else
        os << "  " << buffer << var << "(" << host << ", " << halideExtents(s.shape) << "); // "
           << s.name << "\n";
    };
    switch (s.kind) {
    case Slot::Kind::Hyperparam:
    case Slot::Kind::Step:
    case Slot::Kind::BatchShare:
    case Slot::Kind::BatchOffset:
      break;
    case Slot::Kind::State:
      declareArray("deviceStates", "args.states[" + std::to_string(s.index) + "]");
      break;
    case Slot::Kind::Input: {
      const InputDesc &in = model.inputs[s.index];
      if (in.isInt && !in.isLabel) {
        // Token ids arrive as floats in x (exact below 2^24).
        os << "  tokens_.resize(static_cast<size_t>(batch) * " << perSampleElements(s.shape)
           << ");\n"
           << "  for (size_t i = 0; i < tokens_.size(); ++i)\n"
           << "    tokens_[i] = static_cast<int32_t>(x[i]);\n";
        declare("tokens_.data()", " // " + s.name + "\n");
        break;
      }
      std::string ptr = !in.isLabel ? "x" : in.isInt ? "labels" : "targets";
      declare("const_cast<" + type + " *>(" + ptr + ")", " // " + s.name + "\n");
      break;
    }
    case Slot::Kind::Param:
      declareArray("deviceParams", "const_cast<float *>(params[" + std::to_string(s.index) + "])");
      break;
    case Slot::Kind::Result:
      if (static_cast<int>(id) == callerResult) {
        declare(callerBuffer, "\n");
        break;
      }
      [[fallthrough]];
    case Slot::Kind::Temp:
    case Slot::Kind::ParamGrad: {
      const WorkspacePlan::Place &at = layout.places.at(id);
      std::string offset = at.perSample ? std::to_string(layout.fixed) + " + " +
                                              std::to_string(at.offset) + " * batch"
                                        : std::to_string(at.offset);
      declare("ws + " + offset, " // " + s.name + "\n");
      break;
    }
    }
  }
  if (gpu)
    emitHostData(os, plan);
  GradientSums sums(os, plan, failed);
  sums.startBefore(0);
  for (size_t c = 0; c < plan.calls.size(); ++c) {
    const KernelCall &call = plan.calls[c];
    sums.finishBefore(c);
    os << "  if (" << call.symbol << "(n";
    for (int id : call.inputs) {
      const Slot &s = plan.slots[id];
      if (s.kind == Slot::Kind::Hyperparam)
        os << ", args.hyperparams[" << s.index << "]";
      else if (s.kind == Slot::Kind::Step)
        os << ", step";
      else if (s.kind == Slot::Kind::BatchShare)
        os << ", args.batchShare";
      else if (s.kind == Slot::Kind::BatchOffset)
        os << ", args.batchOffset";
      else
        os << ", s" << id;
    }
    for (int id : call.outputs)
      os << ", s" << id;
    os << ") != 0)";
    // A data-parallel step that stops early never starts its later sums,
    // which the other processes would wait for.
    if (!plan.buckets.empty())
      os << " {\n    if (args.exchange)\n      args.exchange->abandon("
         << cppString("kernel " + call.name + " (" + call.description + ") failed") << ");\n"
         << "    return " << failed << ";\n  }\n";
    else
      os << "\n    return " << failed << ";\n";
    sums.startBefore(c + 1);
    if (!train)
      continue;
    os << "  if (checkNumerics_ && firstNonFinite_.empty() && !(true";
    for (int id : call.outputs)
      os << " && allFinite(s" << id << ")";
    os << "))\n    firstNonFinite_ = " << cppString("kernel " + call.name + " (" + call.description + ")")
       << ";\n";
  }
  sums.finishAll();
  if (gpu)
    emitCopiesToHost(os, plan, failed);
  // A scalar result's value. A kept buffer is read through a const
  // reference: Halide's non-const access marks the host copy as changed,
  // which the next call would upload.
  auto value = [&](int id) {
    std::string var = "s" + std::to_string(id);
    return gpu ? "std::as_const(" + var + ")()" : var + "()";
  };
  if (train && plan.results.size() > 1) {
    // Training health: the results after the loss (ModelInfo::health).
    os << "  if (args.health) {\n";
    for (size_t k = 1; k < plan.results.size(); ++k)
      os << "    args.health[" << k - 1 << "] = " << value(plan.results[k]) << ";\n";
    os << "  }\n";
  }
  if (returnsLoss)
    os << "  return " << value(plan.results.at(0)) << ";\n";
  else
    os << "  return true;\n";
}

/// A GPU build's inputs (the batch) are marked as holding new data in host
/// memory: the first kernel that reads one copies it to the device. The
/// parameters and optimizer state are uploaded once (DeviceBuffers::adopt).
void WrapperWriter::emitHostData(std::ostream &os, const FunctionPlan &plan) const {
  std::string list;
  for (size_t id = 0; id < plan.slots.size(); ++id)
    if (plan.slots[id].kind == Slot::Kind::Input)
      list += (list.empty() ? "" : ", ") + ("s" + std::to_string(id) + ".raw_buffer()");
  os << "  markHostData({" << list << "});\n";
}

/// What the caller reads of a GPU build's call, its results (the loss, the
/// training-health values, the predictions), copied back from the device
/// before the function returns; `failed` is returned when a copy fails.
/// Parameters and optimizer state stay on the device (syncToHost copies
/// them). After kernels on the CPU everything is in host memory already.
void WrapperWriter::emitCopiesToHost(std::ostream &os, const FunctionPlan &plan,
                                     const char *failed) const {
  std::string list;
  for (int id : plan.results)
    list += (list.empty() ? "" : ", ") + ("s" + std::to_string(id) + ".raw_buffer()");
  os << "  if (!copyToHost({" << list << "}))\n    return " << failed << ";\n";
}

/// Each kernel's C signature, as Halide compiles it: the wrapper needs no
/// header from the kernels and compiles while they do.
void WrapperWriter::writeKernelDeclarations(std::ostream &os) const {
  os << "extern \"C\" {\n";
  for (const LoweredKernel &k : model.kernels) {
    os << "int " << k.name << "(";
    for (size_t i = 0; i < k.arguments.size(); ++i) {
      const Halide::Argument &a = k.arguments[i];
      os << (i ? ", " : "");
      if (a.is_buffer())
        os << "struct halide_buffer_t *";
      else if (a.type == Halide::Int(32))
        os << "int32_t";
      else if (a.type == Halide::Float(32))
        os << "float";
      else if (a.type == Halide::Float(64))
        os << "double";
      else
        os << "/* unsupported argument type */ void";
    }
    // The pipeline's outputs follow its inputs, a buffer per tuple element.
    for (Halide::Func output : k.pipeline.outputs())
      for (int i = 0; i < output.outputs(); ++i)
        os << ", struct halide_buffer_t *";
    os << ");\n";
  }
  os << "}\n\n";
}

std::string WrapperWriter::source() const {
  std::ostringstream os;
  os << "// Generated by kilnc from model '" << model.name << "'. Do not edit.\n"
     << "#include \"" << model.name << ".h\"\n\n";
  os << "\n#include \"kiln/KernelErrors.h\"\n"
     << (gpu ? "#include \"kiln/DeviceBuffers.h\"\n" : "")
     << "\n#include \"HalideBuffer.h\"\n#include \"HalideRuntime.h\"\n\n"
     << "#include <cmath>\n#include <initializer_list>\n#include <limits>\n"
     << (gpu ? "#include <utility>\n" : "") << "\n"
     << "namespace {\n"
     << kDeviceHelpers
     << "template <typename T> bool allFinite(Halide::Runtime::Buffer<T> &b) {\n"
     << "  if (b.copy_to_host() != 0)\n    return false;\n"
     << "  const T *p = b.data();\n"
     << "  for (size_t i = 0, e = b.number_of_elements(); i < e; ++i)\n"
     << "    if (!std::isfinite(static_cast<double>(p[i])))\n      return false;\n"
     << "  return true;\n}\n} // namespace\n\n";
  writeKernelDeclarations(os);

  // Model description.
  const InputDesc *features = nullptr;
  for (const InputDesc &in : model.inputs)
    if (!in.isLabel)
      features = &in;
  int64_t inputFeatures = features ? perSampleElements(features->shape) : 1;
  int64_t outputs = 0, targets = 0;
  for (const FunctionPlan &plan : model.functions)
    if (plan.name == "predict" && !plan.results.empty())
      outputs = perSampleElements(plan.slots[plan.results[0]].shape);
  for (const InputDesc &in : model.inputs)
    if (in.isLabel && !in.isInt)
      targets = perSampleElements(in.shape);
  bool classifier = model.task == "classification";
  int64_t labelsPerSample = 1;
  for (const InputDesc &in : model.inputs)
    if (in.isLabel && in.isInt)
      labelsPerSample = perSampleElements(in.shape);

  // Token ids: the smallest table an embedding reads them from, which the
  // runtime checks ids against (the gather clamps them). Embedding tables are
  // the parameters "embedding<N>.weight", [vocab, dim] (see
  // Importer::buildEmbedding); their ids are the model's one i32 feature
  // input (checkRuntimeInputs), unless a model file embeds its labels too,
  // which would make the limit stricter than the features need.
  int64_t tokenLimit = 0;
  for (const ParamDesc &p : model.params) {
    llvm::StringRef name(p.name);
    if (!features || !features->isInt || !name.consume_front("embedding") ||
        !name.consume_back(".weight") || name.empty() ||
        !llvm::all_of(name, [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
        p.shape.size() != 2)
      continue;
    tokenLimit = tokenLimit == 0 ? p.shape[0] : std::min(tokenLimit, p.shape[0]);
  }
  std::string inputShape;
  if (features)
    for (int64_t d : features->shape)
      if (d >= 0)
        inputShape += (inputShape.empty() ? "" : ", ") + std::to_string(d);

  os << "const kiln::ModelInfo &" << cls << "::info() const {\n"
     << "  static const kiln::ModelInfo info = [] {\n"
     << "    kiln::ModelInfo m;\n"
     << "    m.name = \"" << model.name << "\";\n"
     << "    m.inputFeatures = " << inputFeatures << ";\n"
     << "    m.tokenInput = " << (features && features->isInt ? "true" : "false") << ";\n"
     << "    m.inputShape = {" << inputShape << "};\n"
     << "    m.tokenLimit = " << tokenLimit << ";\n"
     << "    m.labelsPerSample = " << labelsPerSample << ";\n"
     << "    m.task = " << cppString(model.task) << ";\n"
     << "    m.numClasses = " << (classifier ? outputs / labelsPerSample : 0) << ";\n"
     << "    m.outputFeatures = " << outputs << ";\n"
     << "    m.targetFeatures = " << targets << ";\n";
  for (const ParamDesc &p : model.params) {
    auto [fanIn, fanOut] = fans(p.shape);
    os << "    m.params.push_back({\"" << p.name << "\", {";
    for (size_t i = 0; i < p.shape.size(); ++i)
      os << (i ? ", " : "") << p.shape[i];
    os << "}, " << cppString(p.init) << ", " << fanIn << ", " << fanOut << ", "
       << (p.trainable ? "true" : "false") << "});\n";
  }
  for (const StateDesc &st : model.states)
    os << "    m.states.push_back({" << cppString(st.name) << ", " << st.param << ", "
       << floatLiteral(st.init) << "});\n";
  for (const HyperparamDesc &h : model.hyperparams)
    os << "    m.hyperparams.push_back({" << cppString(h.name) << ", "
       << floatLiteral(h.defaultValue) << ", " << h.lower << ", " << h.upper << ", "
       << (h.lowerOpen ? "true" : "false") << ", " << (h.upperOpen ? "true" : "false")
       << "});\n";
  for (const TuneDesc &t : model.tuneSpace) {
    const char *kind = t.kind == "log_uniform" ? "LogUniform"
                       : t.kind == "int"       ? "Integer"
                       : t.kind == "choice"    ? "Choice"
                                               : "Uniform";
    os << "    m.tuneSpace.push_back({" << cppString(t.name) << ", kiln::TuneRange::Kind::" << kind
       << ", " << doubleLiteral(t.low) << ", " << doubleLiteral(t.high) << ", {";
    for (size_t i = 0; i < t.choices.size(); ++i)
      os << (i ? ", " : "") << doubleLiteral(t.choices[i]);
    os << "}});\n";
  }
  for (const FunctionPlan &plan : model.functions)
    for (const GradientBucket &bucket : plan.buckets) {
      if (!bucket.statistic)
        os << "    m.gradientBuckets.push_back(" << bucketFloats(plan, bucket) << ");\n";
    }
  for (const HealthDesc &h : model.health)
    os << "    m.health.push_back({" << cppString(h.kind) << ", " << cppString(h.name) << ", "
       << h.units << ", " << cppString(h.where) << "});\n";
  if (gpu)
    os << "    m.device = " << cppString(model.device) << ";\n";
  os << "    m.optimizer = " << cppString(model.optimizer) << ";\n"
     << "    m.schedule.kind = " << cppString(model.scheduleKind) << ";\n";
  for (const auto &[argName, value] : model.scheduleArgs)
    os << "    m.schedule.args.emplace_back(" << cppString(argName) << ", " << value << ");\n";
  for (const auto &[argName, unit] : model.scheduleUnits)
    os << "    m.schedule.units.emplace_back(" << cppString(argName) << ", " << cppString(unit)
       << ");\n";
  os << "    return m;\n  }();\n  return info;\n}\n\n";

  os << "float *" << cls << "::reserve(int64_t floats) {\n"
     << "  if (static_cast<int64_t>(workspace_.size()) < floats)\n"
     << "    workspace_.resize(static_cast<size_t>(floats));\n"
     << "  return workspace_.data();\n}\n\n"
     << "void " << cls << "::setNumThreads(int threads) { halide_set_num_threads(threads); }\n\n";
  if (gpu)
    os << cls << "::" << cls << "() = default;\n\n"
       << cls << "::~" << cls << "() = default;\n\n"
       << "kiln::DeviceBuffers &" << cls << "::device() {\n"
       << "  if (!device_)\n    device_ = std::make_unique<kiln::DeviceBuffers>();\n"
       << "  return *device_;\n}\n\n"
       << "bool " << cls << "::syncToHost() { return !device_ || device_->syncToHost(); }\n\n"
       << "bool " << cls << "::returnToHost() { return !device_ || device_->returnToHost(); }\n\n";

  for (const FunctionPlan &plan : model.functions) {
    if (plan.name == "train_step")
      os << "float " << cls << "::trainStep(const kiln::StepArgs &args) {\n";
    else if (plan.name == "evaluate")
      os << "float " << cls << "::evaluate(const kiln::EvalArgs &args) {\n";
    else
      os << "bool " << cls << "::predict(const float *const *params, const float *x,\n"
         << "    int64_t batch, float *logits) {\n";
    emitFunction(os, plan);
    os << "}\n\n";
  }
  return os.str();
}


} // namespace

std::string kiln::modelClassName(const std::string &modelName) {
  std::string out;
  bool upper = true;
  for (char c : modelName) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  // C++ names start with a letter: `_9lives` becomes `Model9lives`.
  if (out.empty() || !std::isalpha(static_cast<unsigned char>(out[0])))
    out = "Model" + out;
  return out;
}

/// The runtime's step arguments carry one feature input (StepArgs::x: floats,
/// or token ids as floats) besides the label; a model that needs more cannot
/// be driven by it yet.
static std::string checkRuntimeInputs(const LoweredModel &model) {
  const InputDesc *features = nullptr;
  for (const InputDesc &in : model.inputs) {
    if (in.isLabel)
      continue;
    if (features)
      return "inputs '" + features->name + "' and '" + in.name +
             "' are both features: generated trainers take one feature input";
    features = &in;
  }
  return "";
}

/// Every buffer of the model within the size limits (kMaxDimension,
/// kMaxElements), as the front end has made them: the products of extents
/// the writer computes stay far from overflowing.
static std::string checkSizes(const LoweredModel &model) {
  auto check = [](const std::string &name,
                  const std::vector<int64_t> &shape) -> std::string {
    if (std::optional<std::string> problem = sizeLimitViolation(shape))
      return "tensor '" + name + "' is too large: " + *problem;
    return "";
  };
  for (const InputDesc &in : model.inputs)
    if (std::string err = check(in.name, in.shape); !err.empty())
      return err;
  for (const ParamDesc &p : model.params)
    if (std::string err = check(p.name, p.shape); !err.empty())
      return err;
  for (const FunctionPlan &plan : model.functions)
    for (const Slot &s : plan.slots)
      if (std::string err = check(s.name, s.shape); !err.empty())
        return err;
  return "";
}

std::string kiln::emitWrapperSources(const LoweredModel &model, const AotPaths &paths,
                                     bool withMain) {
  if (std::string err = checkRuntimeInputs(model); !err.empty())
    return err;
  if (std::string err = checkSizes(model); !err.empty())
    return err;
  WrapperWriter writer(model);
  if (std::string err = writeFile(join(paths.workDir, model.name + ".h"), writer.header());
      !err.empty())
    return err;
  if (std::string err = writeFile(join(paths.workDir, model.name + ".cpp"), writer.source());
      !err.empty())
    return err;
  if (!withMain)
    return "";
  // One translation unit with the wrapper: one compile of its headers.
  return writeFile(mainSourcePath(model, paths),
                   "// Generated by kilnc. Do not edit.\n#include \"" + model.name +
                       ".cpp\"\n#include \"kiln/" +
                       (model.dataParallel ? "Distributed" : "Cli") + ".h\"\n\n" +
                       "int main(int argc, char **argv) {\n  " + modelClassName(model.name) +
                       " model;\n  return kiln::" +
                       (model.dataParallel ? "runMainDataParallel" : "runMain") +
                       "(argc, argv, model);\n}\n");
}

std::string kiln::mainSourcePath(const LoweredModel &model, const AotPaths &paths) {
  return join(paths.workDir, model.name + "_main.cpp");
}

std::string kiln::writeHalideStmt(LoweredModel &model, const std::string &path,
                                  const Halide::Target &target) {
  std::ofstream out(path);
  for (LoweredKernel &k : model.kernels) {
    std::string tmp = path + "." + k.name + ".stmt";
    k.pipeline.compile_to_lowered_stmt(tmp, k.arguments, Halide::Text, target);
    std::ifstream in(tmp);
    out << "// kernel " << k.name << "\n" << in.rdbuf() << "\n";
    std::remove(tmp.c_str());
  }
  return out ? "" : "cannot write '" + path + "'";
}
