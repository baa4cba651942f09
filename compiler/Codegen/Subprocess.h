//===- Subprocess.h - Commands kilnc runs: the C++ compiler, ar -*- C++ -*-===//
//
// Starts a command without a shell and waits for it, so that kilnc can
// compile the generated wrapper while its kernels compile.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CODEGEN_SUBPROCESS_H
#define KILN_CODEGEN_SUBPROCESS_H

#include <string>
#include <sys/types.h>
#include <vector>

namespace kiln {

/// A command started by start() and finished by wait().
class Subprocess {
public:
  Subprocess() = default;
  Subprocess(const Subprocess &) = delete;
  Subprocess &operator=(const Subprocess &) = delete;
  /// Waits for a command still running.
  ~Subprocess();

  /// Starts `argv` (argv[0] looked up on PATH). Returns an error message, or "".
  std::string start(const std::vector<std::string> &argv);
  /// Waits for the command; returns an error message naming it when it could
  /// not run or did not exit with status 0, else "".
  std::string wait();
  /// The CPU seconds the command took, user and system (after wait()).
  double cpuSeconds() const { return cpu; }

private:
  pid_t pid = -1;
  std::string command; // argv, quoted as a shell would need, for messages
  double cpu = 0;
};

/// Runs `argv` to completion: start() then wait().
std::string runCommand(const std::vector<std::string> &argv);

} // namespace kiln

#endif // KILN_CODEGEN_SUBPROCESS_H
