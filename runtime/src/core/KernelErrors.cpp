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

std::mutex &messageMutex() {
  static std::mutex mutex;
  return mutex;
}

std::string &latestMessage() {
  static std::string message;
  return message;
}

} // namespace

void recordKernelError(void *, const char *message) {
  std::lock_guard<std::mutex> lock(messageMutex());
  latestMessage() = message ? message : "";
}

std::string takeKernelError() {
  std::lock_guard<std::mutex> lock(messageMutex());
  std::string message;
  message.swap(latestMessage());
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back())))
    message.pop_back();
  return message;
}

} // namespace kiln
