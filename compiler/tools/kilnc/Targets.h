//===- Targets.h - What kilnc --target accepts ------------------*- C++ -*-===//
//
// `host`, Halide targets of this machine's kind that choose CPU features
// (several, for run-time dispatch), or one GPU target: opencl, cuda,
// cuda-smNN, or a Halide target naming OpenCL or CUDA (docs/gpu.md).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_TOOLS_KILNC_TARGETS_H
#define KILN_TOOLS_KILNC_TARGETS_H

#include <Halide.h>

#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// Checks the value of `--target` (a comma-separated list). On success sets
/// `expanded` to its Halide spelling ("" for host; "opencl" becomes
/// "host-opencl") and returns nothing; otherwise returns why it is refused.
std::optional<std::string> checkTargetList(const std::string &value, std::string &expanded);

/// The targets of an expanded list; this machine's when `expanded` is "".
std::vector<Halide::Target> parseTargets(const std::string &expanded);

} // namespace kiln

#endif // KILN_TOOLS_KILNC_TARGETS_H
