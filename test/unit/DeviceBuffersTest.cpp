//===- DeviceBuffersTest.cpp - What a GPU build keeps between calls -------===//
//
// kiln::DeviceBuffers without a device: which buffers it keeps, which it
// rebuilds, and which it marks for upload (host-dirty: the first kernel
// reading one on a GPU copies it there). The copies themselves are counted
// on OpenCL by test/gpu/resident-copies.test.
//
//===----------------------------------------------------------------------===//
#include "kiln/DeviceBuffers.h"

#include <gtest/gtest.h>

using namespace kiln;

namespace {

ModelInfo twoParamsOneState() {
  ModelInfo info;
  info.params.push_back({"dense0.weight", {3, 2}});
  info.params.push_back({"dense0.bias", {2}});
  info.states.push_back({"dense0.weight.v", 0, 0.0f});
  return info;
}

bool uploadPending(const DeviceBuffers::Floats &b) { return b.host_dirty(); }

/// As if a kernel had read the buffer on the device.
void uploaded(DeviceBuffers::Floats &b) { b.raw_buffer()->flags &= ~halide_buffer_flag_host_dirty; }

TEST(DeviceBuffers, AdoptsArraysOnceAndUploadsThemOnce) {
  ModelInfo info = twoParamsOneState();
  std::vector<float> w(6), b(2), v(6);
  float *params[] = {w.data(), b.data()}, *states[] = {v.data()};
  DeviceBuffers dev;
  dev.adopt(info, params, states);
  ASSERT_EQ(dev.params().size(), 2u);
  ASSERT_EQ(dev.states().size(), 1u);
  // Halide's extents run innermost first.
  EXPECT_EQ(dev.params()[0].dim(0).extent(), 2);
  EXPECT_EQ(dev.params()[0].dim(1).extent(), 3);
  EXPECT_EQ(dev.params()[0].data(), w.data());
  EXPECT_EQ(dev.states()[0].data(), v.data());
  EXPECT_TRUE(uploadPending(dev.params()[0]) && uploadPending(dev.states()[0]));
  for (auto *buffers : {&dev.params(), &dev.states()})
    for (DeviceBuffers::Floats &buffer : *buffers)
      uploaded(buffer);
  // The next step, on the same arrays: nothing to upload.
  dev.adopt(info, params, states);
  EXPECT_FALSE(uploadPending(dev.params()[0]) || uploadPending(dev.params()[1]) ||
               uploadPending(dev.states()[0]));
  // Other arrays replace them, to be uploaded.
  std::vector<float> w2(6);
  float *otherParams[] = {w2.data(), b.data()};
  dev.adopt(info, otherParams, states);
  EXPECT_EQ(dev.params()[0].data(), w2.data());
  EXPECT_TRUE(uploadPending(dev.params()[0]) && uploadPending(dev.states()[0]));
}

TEST(DeviceBuffers, ReturnToHostDropsTheCopies) {
  ModelInfo info = twoParamsOneState();
  std::vector<float> w(6), b(2), v(6);
  float *params[] = {w.data(), b.data()}, *states[] = {v.data()};
  DeviceBuffers dev;
  EXPECT_TRUE(dev.syncToHost()); // nothing kept yet
  dev.adopt(info, params, states);
  uploaded(dev.params()[0]);
  EXPECT_TRUE(dev.syncToHost());
  EXPECT_FALSE(uploadPending(dev.params()[0])); // still in use
  EXPECT_TRUE(dev.returnToHost());
  EXPECT_TRUE(dev.params().empty() && dev.states().empty());
  // The host arrays may have changed since: the next step uploads them.
  dev.adopt(info, params, states);
  EXPECT_TRUE(uploadPending(dev.params()[0]));
}

TEST(DeviceBuffers, InferenceKeepsReadOnlyCopiesOfOtherArrays) {
  ModelInfo info = twoParamsOneState();
  std::vector<float> w(6), b(2), v(6), w2(6);
  float *params[] = {w.data(), b.data()}, *states[] = {v.data()};
  const float *otherParams[] = {w2.data(), b.data()};
  DeviceBuffers dev;
  // Before any step: read-only copies, uploaded by the first call's kernels
  // and kept for the next calls with the same arrays.
  std::vector<DeviceBuffers::Floats> &first = dev.paramsFor(info, params);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_TRUE(uploadPending(first[0]));
  uploaded(first[0]);
  uploaded(first[1]);
  std::vector<DeviceBuffers::Floats> &again = dev.paramsFor(info, params);
  EXPECT_EQ(&again, &first);
  EXPECT_FALSE(uploadPending(again[0]));
  // trainStep adopting the same arrays drops them (training changes the
  // arrays' device copies); inference then reads trainStep's copies.
  dev.adopt(info, params, states);
  EXPECT_EQ(&dev.paramsFor(info, params), &dev.params());
  // Other arrays (a checkpoint) while training: read-only copies of those.
  std::vector<DeviceBuffers::Floats> &forOther = dev.paramsFor(info, otherParams);
  EXPECT_NE(&forOther, &dev.params());
  EXPECT_EQ(forOther[0].data(), w2.data());
  EXPECT_TRUE(uploadPending(forOther[0]));
  uploaded(forOther[0]);
  uploaded(forOther[1]);
  EXPECT_FALSE(uploadPending(dev.paramsFor(info, otherParams)[0]));
  // returnToHost (before the runtime writes parameters) drops them too.
  EXPECT_TRUE(dev.returnToHost());
  EXPECT_TRUE(uploadPending(dev.paramsFor(info, otherParams)[0]));
}

TEST(DeviceBuffers, KeepsAFunctionsBuffersWhileTheirExtentsStay) {
  DeviceBuffers dev;
  std::vector<float> first(8), second(8), larger(12);
  Halide::Runtime::Buffer<float> &a = dev.kept<float>(0, 3, first.data(), {2, 4});
  uploaded(a);
  // Another call: the same buffer (and device memory), over this call's host memory.
  Halide::Runtime::Buffer<float> &b = dev.kept<float>(0, 3, second.data(), {2, 4});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(b.data(), second.data());
  // Another batch: rebuilt with the new extents.
  Halide::Runtime::Buffer<float> &c = dev.kept<float>(0, 3, larger.data(), {2, 6});
  EXPECT_EQ(c.dim(1).extent(), 6);
  EXPECT_EQ(c.data(), larger.data());
  // Another function's slot of the same number, a scalar, an int buffer.
  EXPECT_NE(&dev.kept<float>(1, 3, first.data(), {2, 4}), &c);
  EXPECT_EQ(dev.kept<float>(0, 4, first.data(), {}).dimensions(), 0);
  std::vector<int32_t> labels(4);
  EXPECT_EQ(dev.kept<int32_t>(0, 5, labels.data(), {4}).data(), labels.data());
}

} // namespace
