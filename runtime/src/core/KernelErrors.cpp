//===- KernelErrors.cpp - Errors the generated kernels report -------------===//
//
// One message for the whole process: Halide's error handler is a global of
// its runtime, and its calls carry no context of their own (the generated
// code passes none).
//
//===----------------------------------------------------------------------===//
#include "kiln/KernelErrors.h"

#include <cctype>
#include <mutex>

namespace kiln {
namespace {

/// What kernels reported since the last takeKernelError: the first message
/// (the cause), the last (what failed in the end) and how many there were.
struct Reports {
  std::string first, last;
  int count = 0;
};

std::mutex &reportsMutex() {
  static std::mutex mutex;
  return mutex;
}

Reports &reports() {
  static Reports kept;
  return kept;
}

} // namespace

void recordKernelError(void *, const char *message) {
  std::string text = message ? message : "";
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.pop_back();
  std::lock_guard<std::mutex> lock(reportsMutex());
  Reports &kept = reports();
  if (kept.count++ == 0)
    kept.first = text;
  kept.last = text;
}

std::string takeKernelError() {
  std::lock_guard<std::mutex> lock(reportsMutex());
  Reports kept;
  std::swap(kept, reports());
  if (kept.count <= 1)
    return kept.first;
  std::string between = kept.count > 2 ? " (and " + std::to_string(kept.count - 2) + " more)" : "";
  return kept.first + between + "; " + kept.last;
}

} // namespace kiln
