//===- FunctionLowering.h - Lowering one function's kernels -----*- C++ -*-===//
//
// Private to compiler/Codegen. FunctionLowering walks a function's kernels
// and gives each value outside a kernel its buffer slot
// (FunctionLowering.cpp); each op inside becomes Halide Funcs by its
// algorithm (OpAlgorithms.cpp), an elementwise body becomes Exprs
// (ScalarLowering.cpp). Indices are written in the tensor's row-major order;
// `Tensor::at` reverses them into Halide's innermost-first argument order.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_FUNCTIONLOWERING_H
#define KILN_CODEGEN_FUNCTIONLOWERING_H

#include "Codegen/HalideLowering.h"
#include "Codegen/RecurrentCells.h"

#include "Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Twine.h"

#include <algorithm>
#include <functional>

namespace kiln::lowering {

/// A tensor value inside a kernel: a Func and its extents, outermost first.
struct Tensor {
  Halide::Func func;
  std::vector<Halide::Expr> extents;

  /// Element at row-major indices `idx`.
  Halide::Expr at(std::vector<Halide::Expr> idx) const {
    std::reverse(idx.begin(), idx.end());
    return func(idx);
  }
  int rank() const { return static_cast<int>(extents.size()); }
};

/// Lowers one function's kernels, appending to the model's kernels and plan.
class FunctionLowering {
public:
  FunctionLowering(LoweredModel &model, const CodegenOptions &options, FunctionPlan &plan)
      : model(model), options(options), plan(plan),
        ft(options.useDouble ? Halide::Float(64) : Halide::Float(32)) {}

  mlir::LogicalResult lowerFunction(mlir::func::FuncOp func);

private:
  // The kernel walk and buffer slots (FunctionLowering.cpp).
  mlir::LogicalResult lowerKernel(KernelOp kernel);
  Tensor tensorOf(mlir::Value v);
  Tensor external(mlir::Value v);
  int slotFor(mlir::Value v);
  /// The name of slot `slot` as an argument of the kernel being lowered.
  std::string argumentName(int slot);
  int newSlot(Slot slot) {
    plan.slots.push_back(std::move(slot));
    return static_cast<int>(plan.slots.size()) - 1;
  }

  // Op algorithms (OpAlgorithms.cpp).
  /// Lowers `op` by its algorithm, binding each result's Tensor in `tensors`.
  /// An op that writes buffers in place (kiln.update; kiln.param_grad when
  /// no optimizer is applied) returns the Func of what it writes; others an
  /// undefined Func.
  mlir::FailureOr<Halide::Func> lowerOp(mlir::Operation *op);
  /// The ops of one result each.
  mlir::FailureOr<Tensor> lowerTensorOp(mlir::Operation *op);
  mlir::FailureOr<Tensor> lowerWindowOp(mlir::Operation *op);
  mlir::LogicalResult lowerElementwiseOp(ElementwiseOp op);
  mlir::FailureOr<Halide::Func> lowerUpdateOp(UpdateOp update);
  void lowerRecurrentOp(mlir::Operation *op);
  // Batch normalization (BatchNormAlgorithms.cpp).
  mlir::LogicalResult lowerBatchNormOp(mlir::Operation *op);
  /// Per-channel sums, total(c), of `values` terms at every row-major index
  /// of `x` [N, C, ...] (idx[1] the channel), recorded in
  /// KernelFuncs::channelSums; a Tuple when `values` > 1.
  Halide::Func channelSums(
      const Tensor &x, const std::string &name, int values,
      const std::function<std::vector<Halide::Expr>(const std::vector<Halide::Expr> &)> &term);
  std::pair<Halide::Func, Halide::Func> softmaxStats(const Tensor &logits);
  /// `t` seen as rows: every dimension but the last (`columns`), or every
  /// dimension, flattened into one row index; [rows, C] or [rows]. `t`
  /// itself when there is nothing to flatten.
  Tensor rowsOf(const Tensor &t, bool columns);
  /// A reduction domain over every element of `t`, innermost dimension
  /// first, and the row-major index it stands for.
  std::pair<Halide::RDom, std::vector<Halide::Expr>> everyElement(const Tensor &t);
  RecurrentOperands recurrentOperands(llvm::StringRef cell, mlir::Value input,
                                      mlir::Value weight, mlir::Value bias);

  // Elementwise bodies and scalars (ScalarLowering.cpp).
  /// The Exprs an elementwise body yields at row-major index `idx`.
  mlir::FailureOr<std::vector<Halide::Expr>> lowerBody(mlir::Block &body,
                                                       mlir::ValueRange operands,
                                                       const std::vector<Halide::Expr> &idx);
  Halide::Expr scalar(mlir::Value v);

  std::vector<Halide::Expr> extentsOf(mlir::Type type) {
    std::vector<Halide::Expr> extents;
    for (int64_t d : mlir::cast<mlir::RankedTensorType>(type).getShape())
      extents.push_back(mlir::ShapedType::isDynamic(d) ? Halide::Expr(batch)
                                                       : Halide::Expr(static_cast<int>(d)));
    return extents;
  }
  std::string uniqueName(llvm::StringRef base) {
    return (base + "_" + llvm::Twine(counter++)).str();
  }
  std::vector<Halide::Var> vars(int rank) {
    static const char *names[] = {"i", "j", "k", "l", "m", "n"};
    std::vector<Halide::Var> v;
    for (int d = 0; d < rank; ++d)
      v.emplace_back(names[d % 6]);
    return v;
  }
  std::vector<Halide::Expr> exprs(const std::vector<Halide::Var> &v) {
    return std::vector<Halide::Expr>(v.begin(), v.end());
  }
  /// Defines `f` over row-major `v` as `body`.
  void define(Halide::Func &f, const std::vector<Halide::Var> &v, Halide::Expr body) {
    std::vector<Halide::Var> rev(v.rbegin(), v.rend());
    f(rev) = body;
  }

  LoweredModel &model;
  const CodegenOptions &options;
  FunctionPlan &plan;
  Halide::Type ft;
  unsigned counter = 0;

  // Per function.
  llvm::DenseMap<mlir::Value, int> slots;

  // Per kernel.
  Halide::Param<int32_t> batch{"batch"};
  llvm::DenseMap<mlir::Value, Tensor> tensors;
  llvm::DenseMap<mlir::Value, Halide::Expr> scalars;
  std::vector<Halide::Argument> arguments;
  KernelCall call;
  KernelFuncs funcs;
  LoweredKernel kernel;
};

} // namespace kiln::lowering

#endif // KILN_CODEGEN_FUNCTIONLOWERING_H
