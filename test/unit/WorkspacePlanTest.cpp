//===- WorkspacePlanTest.cpp - Buffers sharing the workspace by lifetime ---===//
//
// planWorkspace places the slots between kernels: slots alive at the same
// call never overlap, slots whose lifetimes are apart share memory, results
// live to the end, gradient buckets keep buffers of their own, and without
// reuse each slot has its own memory.
//
//===----------------------------------------------------------------------===//
#include "Codegen/WorkspacePlan.h"

#include <gtest/gtest.h>

using namespace kiln;

namespace {

Slot slot(Slot::Kind kind, std::vector<int64_t> shape) { return {kind, "s", std::move(shape)}; }

/// in -> a -> b -> c -> loss, one kernel each, and a fixed-size d that the
/// last kernel writes beside the loss (slots: in 0, a 1, b 2, c 3, loss 4,
/// d 5).
FunctionPlan chain() {
  FunctionPlan plan;
  plan.name = "train_step";
  plan.slots = {slot(Slot::Kind::Input, {-1, 8}), slot(Slot::Kind::Temp, {-1, 8}),
                slot(Slot::Kind::Temp, {-1, 8}),  slot(Slot::Kind::Temp, {-1, 8}),
                slot(Slot::Kind::Result, {}),     slot(Slot::Kind::Temp, {4})};
  plan.calls = {{"k0", "k0", {0}, {1}, ""},
                {"k1", "k1", {1}, {2}, ""},
                {"k2", "k2", {2}, {3}, ""},
                {"k3", "k3", {3}, {4, 5}, ""}};
  plan.results = {4};
  return plan;
}

bool overlap(const WorkspacePlan &layout, int a, int b, int64_t sizeA, int64_t sizeB) {
  const WorkspacePlan::Place &pa = layout.places.at(a), &pb = layout.places.at(b);
  return pa.perSample == pb.perSample && pa.offset < pb.offset + sizeB &&
         pb.offset < pa.offset + sizeA;
}

TEST(WorkspacePlan, SlotsApartInTimeShareMemory) {
  FunctionPlan plan = chain();
  WorkspacePlan layout = planWorkspace(plan, -1, true);
  EXPECT_EQ(layout.places.count(0), 0u); // inputs are the caller's
  // a (calls 0-1) and c (calls 2-3) share; b (1-2) overlaps both in time.
  EXPECT_EQ(layout.places.at(1).offset, layout.places.at(3).offset);
  EXPECT_FALSE(overlap(layout, 1, 2, 8, 8));
  EXPECT_FALSE(overlap(layout, 2, 3, 8, 8));
  EXPECT_EQ(layout.perSample, 16);
  // The loss and d, fixed-size, written by the same call.
  EXPECT_FALSE(overlap(layout, 4, 5, 1, 4));
  EXPECT_EQ(layout.fixed, 5);
}

TEST(WorkspacePlan, ResultsLiveToTheEnd) {
  FunctionPlan plan = chain();
  // b becomes a result (read after the calls), and a fifth kernel writes
  // a per-sample d after every other kernel: nothing may take b's memory.
  plan.slots[2].kind = Slot::Kind::Result;
  plan.slots[5].shape = {-1, 8};
  plan.calls.push_back({"k4", "k4", {3}, {5}, ""});
  WorkspacePlan layout = planWorkspace(plan, -1, true);
  for (int other : {1, 3, 5})
    EXPECT_FALSE(overlap(layout, 2, other, 8, 8)) << "slot " << other;
}

TEST(WorkspacePlan, WithoutReuseEverySlotHasItsOwnMemory) {
  FunctionPlan plan = chain();
  WorkspacePlan layout = planWorkspace(plan, -1, false);
  EXPECT_EQ(layout.perSample, 24);
  EXPECT_EQ(layout.fixed, 5);
  EXPECT_FALSE(overlap(layout, 1, 3, 8, 8));
}

TEST(WorkspacePlan, BucketSlotsComeFirstAndShareNothing) {
  FunctionPlan plan = chain();
  // c is summed across processes between calls 2 and 3.
  plan.buckets.push_back({0, {3}, 3, false});
  WorkspacePlan layout = planWorkspace(plan, -1, true);
  EXPECT_EQ(layout.places.at(3).offset, 0);
  EXPECT_FALSE(overlap(layout, 1, 3, 8, 8));
  EXPECT_FALSE(overlap(layout, 2, 3, 8, 8));
  // a and b are alive together (call 1): all three apart.
  EXPECT_EQ(layout.perSample, 24);
}

TEST(WorkspacePlan, TheCallersResultIsNotInTheWorkspace) {
  FunctionPlan plan = chain();
  WorkspacePlan layout = planWorkspace(plan, 4, true);
  EXPECT_EQ(layout.places.count(4), 0u);
  EXPECT_EQ(layout.fixed, 4);
}

} // namespace
