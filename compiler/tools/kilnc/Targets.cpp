//===- Targets.cpp - What kilnc --target accepts --------------------------===//
//
// A CPU target may only choose features: the wrapper is compiled and linked
// for this machine. A GPU target is this machine's CPU (which runs the
// wrapper and launches the kernels) with a GPU API, and stands alone.
//
//===----------------------------------------------------------------------===//
#include "Targets.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"

namespace kiln {
namespace {

/// "a,b,c" -> {a, b, c}; one empty element for an empty list.
std::vector<std::string> splitTargets(const std::string &list) {
  std::vector<std::string> targets(1);
  for (char c : list)
    if (c == ',')
      targets.emplace_back();
    else
      targets.back().push_back(c);
  return targets;
}

/// The CUDA compute capabilities Halide 14 generates code for, as `cuda-smNN`
/// names them.
constexpr const char *kCudaCapabilities[] = {"30", "32", "35", "50", "61", "70", "75", "80", "86"};

/// A GPU target's Halide spelling: "opencl" and "cuda" are this machine's
/// CPU with that GPU API; "cuda-smNN" also asks for compute capability N.N.
/// Other values unchanged.
std::string expandGpuTarget(const std::string &value) {
  if (value == "opencl" || value == "cuda")
    return "host-" + value;
  llvm::StringRef capability(value);
  if (capability.consume_front("cuda-sm"))
    return "host-cuda-cuda_capability_" + capability.str();
  return value;
}

/// Why `value` is not a target kilnc builds for, or nothing: "host", a GPU
/// (opencl, cuda, cuda-smNN, or a Halide target naming one of those APIs),
/// or a Halide target string for this machine's architecture, bit width and
/// system.
std::optional<std::string> checkTarget(const std::string &value) {
  if (value == "host")
    return std::nullopt;
  llvm::StringRef capability(value);
  if (capability.consume_front("cuda-sm") && !llvm::is_contained(kCudaCapabilities, capability))
    return "unknown CUDA compute capability in '" + value +
           "' (Halide generates cuda-sm30, -sm32, -sm35, -sm50, -sm61, -sm70, -sm75, -sm80 "
           "and -sm86)";
  std::string expanded = expandGpuTarget(value);
  if (!Halide::Target::validate_target_string(expanded))
    return "unknown target '" + value +
           "' (expected host, opencl, cuda, cuda-smNN or a Halide target such as "
           "x86-64-linux-avx2)";
  Halide::Target target(expanded), host = Halide::get_host_target();
  if (target.has_gpu_feature() && !target.has_feature(Halide::Target::OpenCL) &&
      !target.has_feature(Halide::Target::CUDA))
    return "'" + value + "' names a GPU API kilnc does not build for (opencl or cuda)";
  if (target.has_feature(Halide::Target::OpenCL) && target.has_feature(Halide::Target::CUDA))
    return "'" + value + "' names two GPU APIs; choose opencl or cuda";
  std::string machine = Halide::Target(host.os, host.arch, host.bits).to_string();
  if (target.arch != host.arch || target.bits != host.bits || target.os != host.os)
    return "'" + value + "' is another kind of machine than this one (" + machine +
           "): a target may only choose CPU features and a GPU, e.g. " + machine + "-avx2";
  return std::nullopt;
}

} // namespace

std::optional<std::string> checkTargetList(const std::string &value, std::string &expanded) {
  std::vector<std::string> targets = splitTargets(value);
  for (const std::string &target : targets)
    if (std::optional<std::string> problem = checkTarget(target))
      return problem;
  if (targets.size() > 1 && llvm::is_contained(targets, "host"))
    return std::string("'host' cannot be one of several targets: name each");
  expanded.clear();
  if (value == "host")
    return std::nullopt;
  for (const std::string &target : targets) {
    std::string halide = expandGpuTarget(target);
    if (targets.size() > 1 && Halide::Target(halide).has_gpu_feature())
      return "the GPU target '" + target + "' cannot be one of several targets";
    expanded += (expanded.empty() ? "" : ",") + halide;
  }
  return std::nullopt;
}

std::vector<Halide::Target> parseTargets(const std::string &expanded) {
  if (expanded.empty())
    return {Halide::get_host_target()};
  std::vector<Halide::Target> targets;
  for (const std::string &t : splitTargets(expanded))
    targets.emplace_back(t);
  return targets;
}

} // namespace kiln
