//===- KernelErrorsTest.cpp - Errors the generated kernels report ---------===//
//
// recordKernelError keeps what Halide's runtime reports; takeKernelError
// gives the cause (the first message) and the end (the last), and forgets.
//
//===----------------------------------------------------------------------===//
#include "kiln/KernelErrors.h"

#include <gtest/gtest.h>

using namespace kiln;

TEST(KernelErrorsTest, FirstAndLastMessages) {
  EXPECT_EQ(takeKernelError(), "");
  recordKernelError(nullptr, "CL: clGetPlatformIDs failed\n");
  EXPECT_EQ(takeKernelError(), "CL: clGetPlatformIDs failed");
  EXPECT_EQ(takeKernelError(), "");
  recordKernelError(nullptr, "CUDA API not found: cuInit");
  recordKernelError(nullptr, "CUDA API not found: cuDeviceGet");
  recordKernelError(nullptr, "CUDA API not found: cuCtxCreate_v2");
  recordKernelError(nullptr, "Could not find cuda system libraries");
  EXPECT_EQ(takeKernelError(), "CUDA API not found: cuInit (and 2 more); Could not find cuda "
                               "system libraries");
  recordKernelError(nullptr, "a");
  recordKernelError(nullptr, "b");
  EXPECT_EQ(takeKernelError(), "a; b");
  recordKernelError(nullptr, nullptr);
  EXPECT_EQ(takeKernelError(), "");
}
