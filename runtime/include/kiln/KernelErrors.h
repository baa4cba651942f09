//===- KernelErrors.h - Errors the generated kernels report -----*- C++ -*-===//
//
// Halide's runtime reports what goes wrong inside a kernel call (no GPU
// driver or device, a failed device allocation or copy, a bounds error)
// through halide_error, whose default handler prints the message and aborts
// the process. Generated code installs recordKernelError instead: the
// message is kept, the kernel returns its error code, the generated function
// reports failure (NaN, false), and the runtime turns the kept message into
// an error a caller sees (kiln::Trainer, the trainer's commands).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_KERNELERRORS_H
#define KILN_KERNELERRORS_H

#include <string>

namespace kiln {

/// A Halide error handler (halide_set_error_handler): keeps `message` for
/// takeKernelError.
void recordKernelError(void *userContext, const char *message);

/// What kernels reported since the last call, and forgets it: the first
/// message (the cause) and the last (what failed in the end), with how many
/// came between; "" if none.
std::string takeKernelError();

} // namespace kiln

#endif // KILN_KERNELERRORS_H
