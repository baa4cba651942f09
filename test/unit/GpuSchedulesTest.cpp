//===- GpuSchedulesTest.cpp - GPU schedules leave nothing on the host -----===//
//
// The GPU templates put every stage a kernel computes on the device (a
// matrix product with its register tile, a softmax's row sums, a column sum
// in two stages, an in-place update and its staged values), and findHostFunc
// names a Func left on the host. Nothing here runs a kernel: the schedules are inspected, and
// lowered for OpenCL, which needs no device.
//
//===----------------------------------------------------------------------===//
#include "Codegen/GpuSchedules.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

using namespace kiln;
using namespace Halide;

namespace {

/// How many times `text` occurs in `stmt`.
size_t count(const std::string &stmt, const std::string &text) {
  size_t n = 0;
  for (size_t at = stmt.find(text); at != std::string::npos; at = stmt.find(text, at + 1))
    ++n;
  return n;
}

/// The lowered statement of `outputs` for OpenCL.
std::string openclStmt(const std::vector<Func> &outputs, const std::vector<Argument> &args) {
  std::string path = testing::TempDir() + "gpu-schedules.stmt";
  Pipeline(outputs).compile_to_lowered_stmt(path, args, Text,
                                            Target("x86-64-linux-opencl"));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path.c_str());
  return text.str();
}

TEST(GpuSchedulesTest, FindsAFuncComputedOnTheHost) {
  ImageParam in(Float(32), 1, "in");
  Var x("x");
  Func square("square"), out("out");
  square(x) = in(x) * in(x);
  out(x) = square(x) + 1;
  out.gpu_tile(x, Var("bx"), Var("tx"), 64);
  EXPECT_EQ(findHostFunc({out}), "");
  square.compute_root();
  EXPECT_NE(findHostFunc({out}).find("'square' (stage 0) is computed in full outside any GPU loop"),
            std::string::npos);
  // Computed per block, outside the threads but inside the GPU: on the device.
  square.compute_at(out, Var("bx"));
  EXPECT_EQ(findHostFunc({out}), "");
}

// A bias gradient over the batch, sum over rows n of dy(j, n): threads sum
// parts of 64 rows of each column (rfactor), then a thread per column sums
// the parts, not one thread per column over every row.
TEST(GpuSchedulesTest, ColumnSumsInTwoStages) {
  ImageParam dy(Float(32), 2, "dy");
  Param<int> batch("batch");
  Var j("j");
  RDom r(0, batch, "r");
  KernelFuncs k;
  k.anchor = KernelFuncs::Anchor::Reduce;
  k.prod = Func("column_sum");
  k.prod(j) = 0.0f;
  k.prod(j) += dy(j, r);
  k.reduction = r;
  k.outputs = {k.prod};
  k.outputShapes = {{10}};
  ASSERT_EQ(scheduleGpuKernel(k), "");
  std::string stmt = openclStmt(k.outputs, {dy, batch});
  // Both stages (each its zeros and its sum), then the output's copy.
  EXPECT_EQ(count(stmt, "halide_opencl_run("), 5u) << stmt;
  EXPECT_NE(stmt.find("produce column_sum_intm"), std::string::npos) << stmt;
  EXPECT_EQ(findHostFunc(k.outputs), "");
}

TEST(GpuSchedulesTest, MatmulWithBiasAndRelu) {
  ImageParam a(Float(32), 2, "a"), b(Float(32), 2, "b"), bias(Float(32), 1, "bias");
  Var j("j"), i("i");
  RDom r(0, 12, "r");
  KernelFuncs k;
  k.anchor = KernelFuncs::Anchor::Matmul;
  k.prod = Func("prod");
  k.prod(j, i) = 0.0f;
  k.prod(j, i) += a(r, i) * b(j, r);
  k.reduction = r;
  Func out("out");
  out(j, i) = max(k.prod(j, i) + bias(j), 0.0f);
  k.outputs = {out};
  k.outputShapes = {{-1, 10}};
  ASSERT_EQ(scheduleGpuKernel(k), "");
  // One launch: the product accumulates inside the output's threads.
  std::string stmt = openclStmt(k.outputs, {a, b, bias});
  EXPECT_EQ(count(stmt, "halide_opencl_run("), 1u) << stmt;
  EXPECT_EQ(count(stmt, "__kernel void _kernel_"), 1u);
}

TEST(GpuSchedulesTest, SoftmaxRowsAndAStagedUpdate) {
  ImageParam logits(Float(32), 2, "logits"), w(Float(32), 1, "w");
  Var c("c"), n("n");
  RDom r(0, 10, "r");
  KernelFuncs k;
  k.anchor = KernelFuncs::Anchor::Softmax;
  Func sum("sum");
  sum(n) = 0.0f;
  sum(n) += exp(logits(r, n));
  k.roots = {sum};
  Func probs("probs");
  probs(c, n) = exp(logits(c, n)) / sum(n);
  // An in-place Tuple output and its new values, computed before any store.
  Func values("values"), update("update");
  values(c) = Tuple(w(c) - 0.1f, w(c) * 0.5f);
  update(c) = Tuple(values(c)[0], values(c)[1]);
  k.stagedValues = {{"update", values}};
  k.outputs = {probs, update};
  k.outputShapes = {{-1, 10}, {10}};
  ASSERT_EQ(scheduleGpuKernel(k), "");
  EXPECT_EQ(findHostFunc(k.outputs), "");
  // The row sums' two stages, the probabilities and the update: each a
  // launch; the staged values are computed inside the update's threads.
  std::string stmt = openclStmt(k.outputs, {logits, w});
  EXPECT_EQ(count(stmt, "halide_opencl_run("), 4u) << stmt;
  EXPECT_EQ(count(stmt, "__kernel void _kernel_values"), 0u);
}

TEST(GpuSchedulesTest, SumToOneValueInTwoStages) {
  ImageParam losses(Float(32), 2, "losses");
  RDom r(0, 10, 0, losses.dim(1).extent(), "r");
  KernelFuncs k;
  k.anchor = KernelFuncs::Anchor::Reduce;
  k.prod = Func("total");
  k.prod() = 0.0f;
  k.prod() += losses(r.x, r.y);
  k.reduction = r;
  k.outputs = {k.prod};
  k.outputShapes = {{}};
  ASSERT_EQ(scheduleGpuKernel(k), "");
  // The parts (rfactor's intermediate, a thread per row) and the total of
  // the copy stage: on the device.
  std::string stmt = openclStmt(k.outputs, {losses});
  EXPECT_NE(stmt.find("total_intm"), std::string::npos) << stmt;
  EXPECT_EQ(findHostFunc(k.outputs), "");
}

TEST(GpuSchedulesTest, RefusesAKernelThatLeavesWorkOnTheHost) {
  ImageParam in(Float(32), 1, "in");
  Var x("x");
  KernelFuncs k;
  Func half("half"), out("out");
  half(x) = in(x) / 2;
  half.compute_root(); // a stage no template knows of
  out(x) = half(x) + 1;
  k.outputs = {out};
  k.outputShapes = {{16}};
  std::string error = scheduleGpuKernel(k);
  EXPECT_NE(error.find("a GPU schedule leaves work on the host: 'half'"), std::string::npos)
      << error;
}

} // namespace
