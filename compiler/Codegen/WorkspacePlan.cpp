//===- WorkspacePlan.cpp - Where a function's buffers lie in its workspace ===//
//
// Each slot's lifetime is the span of kernel calls from the first that
// reads or writes it to the last (to the end for what outlives the calls).
// Slots are placed in the order their lifetimes start, each at the lowest
// offset of its region that no slot alive at the same time occupies.
//
//===----------------------------------------------------------------------===//
#include "Codegen/WorkspacePlan.h"

#include "Kiln/IR/SizeLimits.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <vector>

namespace kiln {
namespace {

struct Lifetime {
  size_t first = 0, last = 0; // kernel calls, inclusive
  bool overlaps(const Lifetime &o) const { return first <= o.last && o.first <= last; }
};

struct Placed {
  Lifetime life;
  int64_t offset = 0, size = 0;
};

/// The lowest offset at which `size` floats meet no slot of `placed` alive
/// during `life`.
int64_t lowestFree(const std::vector<Placed> &placed, const Lifetime &life, int64_t size) {
  std::vector<int64_t> candidates = {0};
  for (const Placed &p : placed)
    if (p.life.overlaps(life))
      candidates.push_back(p.offset + p.size);
  std::sort(candidates.begin(), candidates.end());
  for (int64_t at : candidates) {
    bool clear = llvm::none_of(placed, [&](const Placed &p) {
      return p.life.overlaps(life) && at < p.offset + p.size && p.offset < at + size;
    });
    if (clear)
      return at;
  }
  return candidates.back(); // not reached: the last candidate ends every overlap
}

} // namespace

WorkspacePlan planWorkspace(const FunctionPlan &plan, int callerResult, bool reuse) {
  auto inWorkspace = [&](int id) {
    Slot::Kind kind = plan.slots[id].kind;
    return kind == Slot::Kind::Temp || kind == Slot::Kind::ParamGrad ||
           (kind == Slot::Kind::Result && id != callerResult);
  };
  std::vector<Lifetime> lives(plan.slots.size());
  std::vector<bool> seen(plan.slots.size(), false);
  for (size_t c = 0; c < plan.calls.size(); ++c) {
    auto touch = [&](int id) {
      Lifetime &l = lives[id];
      l.first = seen[id] ? std::min(l.first, c) : c;
      l.last = seen[id] ? std::max(l.last, c) : c;
      seen[id] = true;
    };
    llvm::for_each(plan.calls[c].inputs, touch);
    llvm::for_each(plan.calls[c].outputs, touch);
  }
  for (size_t id = 0; id < plan.slots.size(); ++id)
    if (plan.slots[id].kind != Slot::Kind::Temp || !seen[id])
      lives[id].last = plan.calls.size(); // read after the calls

  WorkspacePlan layout;
  std::vector<Placed> placedFixed, placedPerSample;
  auto place = [&](int id, bool shared) {
    const std::vector<int64_t> &shape = plan.slots[id].shape;
    bool perSample = llvm::any_of(shape, [](int64_t d) { return d < 0; });
    int64_t size = *checkedElementCount(shape);
    std::vector<Placed> &placed = perSample ? placedPerSample : placedFixed;
    int64_t &total = perSample ? layout.perSample : layout.fixed;
    int64_t offset = shared ? lowestFree(placed, lives[id], size) : total;
    layout.places[id] = {perSample, offset};
    // A slot that shares nothing stays alive for every later one.
    Lifetime life = shared ? lives[id] : Lifetime{0, plan.calls.size()};
    placed.push_back({life, offset, size});
    total = std::max(total, offset + size);
  };
  std::vector<int> bucketSlots;
  for (const GradientBucket &bucket : plan.buckets)
    bucketSlots.insert(bucketSlots.end(), bucket.slots.begin(), bucket.slots.end());
  for (int id : bucketSlots)
    place(id, false);
  std::vector<int> others;
  for (size_t id = 0; id < plan.slots.size(); ++id)
    if (inWorkspace(static_cast<int>(id)) && !llvm::is_contained(bucketSlots, id))
      others.push_back(static_cast<int>(id));
  std::stable_sort(others.begin(), others.end(),
                   [&](int a, int b) { return lives[a].first < lives[b].first; });
  for (int id : others)
    place(id, reuse);
  return layout;
}

} // namespace kiln
