//===- Subprocess.cpp - Start a command and wait for it -------------------===//
#include "Codegen/Subprocess.h"

#include <cerrno>
#include <cstring>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

using namespace kiln;

namespace {

std::string quote(const std::string &s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

} // namespace

Subprocess::~Subprocess() {
  if (pid > 0)
    wait();
}

std::string Subprocess::start(const std::vector<std::string> &argv) {
  command.clear();
  for (const std::string &a : argv)
    command += (command.empty() ? "" : " ") + quote(a);
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  if (int err = posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ)) {
    pid = -1;
    return "cannot run '" + argv[0] + "': " + std::strerror(err);
  }
  return "";
}

std::string Subprocess::wait() {
  if (pid <= 0)
    return "";
  int status = 0;
  struct rusage usage {};
  pid_t done;
  do
    done = wait4(pid, &status, 0, &usage);
  while (done < 0 && errno == EINTR);
  pid = -1;
  auto seconds = [](const timeval &t) { return t.tv_sec + t.tv_usec * 1e-6; };
  cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  if (done < 0)
    return "lost track of a command: " + command;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return "";
  std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                        : "status " + std::to_string(WEXITSTATUS(status));
  return "command failed (" + how + "): " + command;
}

std::string kiln::runCommand(const std::vector<std::string> &argv) {
  Subprocess process;
  if (std::string err = process.start(argv); !err.empty())
    return err;
  return process.wait();
}
