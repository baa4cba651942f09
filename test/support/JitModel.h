//===- JitModel.h - A model file compiled and run by Halide's JIT -*- C++ -*-===//
//
// For tests that check the generated code's numbers (gradient checks, parity
// with PyTorch): a model file goes through the real pipeline (import,
// autodiff, partition) and the real Halide lowering and schedules, in
// float64 by default, and its train step runs by JIT. Without the optimizer
// pass the train step returns every parameter's gradient.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TEST_SUPPORT_JITMODEL_H
#define KILN_TEST_SUPPORT_JITMODEL_H

#include "Codegen/HalideLowering.h"
#include "Codegen/JitBinding.h"
#include "Frontend/Parser.h"
#include "Import/Import.h"
#include "Pipeline/Pipeline.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace kiln::jit {

using Buffer = Halide::Buffer<>;

/// A float64 (or int32) buffer for `slot`, as gradient checks feed them.
Buffer makeBuffer(const Slot &slot, int batch) {
  Halide::Type type = slot.isInt ? Halide::Int(32) : Halide::Float(64);
  return Buffer(type, halideExtents(slot.shape, batch));
}

/// How a JitModel is compiled.
struct JitOptions {
  bool schedule = true;
  /// float64 for gradient checks; float32 as generated trainers compute.
  bool float64 = true;
  /// Without the optimizer pass, @train_step returns every parameter's
  /// gradient; with it, the update is applied to the parameters in place
  /// (plain sgd only: optimizer state is not provided).
  bool applyOptimizer = false;
};

/// A model compiled for checking: parameters, data, and a JIT runner.
class JitModel {
public:
  explicit JitModel(const std::string &source, bool schedule = true)
      : JitModel(source, JitOptions{schedule}) {}
  JitModel(const std::string &source, const JitOptions &jit)
      : floatType(jit.float64 ? Halide::Float(64) : Halide::Float(32)) {
    SourceFile file("gradcheck.kiln", source);
    std::ostringstream errors;
    DiagnosticEngine diags(file, errors);
    std::optional<ast::Model> ast = parseModel(file, diags);
    EXPECT_TRUE(ast) << errors.str();
    if (!ast)
      return;
    module = importModel(*ast, diags, context);
    EXPECT_TRUE(module) << errors.str();
    if (!module)
      return;
    PipelineOptions options;
    options.applyOptimizer = jit.applyOptimizer;
    mlir::PassManager pm(&context);
    buildKilnPipeline(pm, options);
    EXPECT_TRUE(mlir::succeeded(pm.run(*module)));
    CodegenOptions codegen;
    codegen.useDouble = jit.float64;
    codegen.schedule = jit.schedule;
    mlir::FailureOr<LoweredModel> result = lowerToHalide(*module, codegen);
    EXPECT_TRUE(mlir::succeeded(result));
    if (mlir::succeeded(result))
      lowered = std::move(*result);
    ok = mlir::succeeded(result);
  }

  bool ok = false;
  LoweredModel lowered;

  /// Runs @train_step: returns the loss and fills `grads` (one per param;
  /// undefined for parameters that take none). Running statistics are
  /// updated in `params` in place.
  double trainStep(const std::vector<Buffer> &params, const std::vector<Buffer> &inputs,
                   int batch, std::vector<Buffer> *grads) {
    const FunctionPlan &plan = lowered.functions.at(0);
    std::vector<Buffer> slots = run(plan, params, inputs, batch);
    if (grads) {
      grads->assign(lowered.params.size(), Buffer());
      for (size_t i = 0; i < plan.slots.size(); ++i)
        if (plan.slots[i].kind == Slot::Kind::ParamGrad)
          (*grads)[plan.slots[i].index] = slots[i];
    }
    const Buffer &loss = slots.at(plan.results.at(0));
    if (loss.type() == Halide::Float(64))
      return Halide::Buffer<double>(loss)();
    return Halide::Buffer<float>(loss)();
  }

  /// Runs @predict: the model's output for the batch.
  Buffer predict(const std::vector<Buffer> &params, const std::vector<Buffer> &inputs,
                 int batch) {
    const FunctionPlan &plan = lowered.functions.at(1);
    return run(plan, params, inputs, batch).at(plan.results.at(0));
  }

private:
  /// Runs every kernel of `plan` in order; returns the buffer of every slot.
  std::vector<Buffer> run(const FunctionPlan &plan, const std::vector<Buffer> &params,
                          const std::vector<Buffer> &inputs, int batch) {
    std::vector<Buffer> slots(plan.slots.size());
    for (size_t i = 0; i < plan.slots.size(); ++i) {
      const Slot &s = plan.slots[i];
      switch (s.kind) {
      case Slot::Kind::Input:
        slots[i] = inputs.at(s.index);
        break;
      case Slot::Kind::Param:
        slots[i] = params.at(s.index);
        break;
      case Slot::Kind::Hyperparam:
        break;
      case Slot::Kind::State:
        ADD_FAILURE() << "optimizer state " << s.name << " (only plain sgd runs here)";
        break;
      default:
        slots[i] = Buffer(s.isInt ? Halide::Int(32) : floatType, halideExtents(s.shape, batch));
      }
    }
    size_t kernelIndex = 0;
    for (const FunctionPlan &other : lowered.functions) {
      if (&other == &plan)
        break;
      kernelIndex += other.calls.size();
    }
    for (const KernelCall &call : plan.calls) {
      LoweredKernel &kernel = lowered.kernels.at(kernelIndex++);
      // Hyperparameters at their defaults (a dropout rate), and a fixed
      // step number (which seeds dropout masks).
      bindJitInputs(kernel, call, plan, lowered, slots, batch, 3.0f);
      std::vector<Buffer> outputs;
      for (int id : call.outputs)
        outputs.push_back(slots[id]);
      Halide::Realization realization(outputs);
      kernel.pipeline.realize(realization);
    }
    return slots;
  }

  Halide::Type floatType;
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

} // namespace kiln::jit

#endif // KILN_TEST_SUPPORT_JITMODEL_H
