//===- AtomicFile.cpp - Files replaced whole or not at all ----------------===//

#include "io/AtomicFile.h"
#include "io/FileDescriptor.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kiln {

namespace {

/// The directory part of `path`: "." for a bare name, "/" for a file in the
/// root.
std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

/// The pid in a temporary file's name suffix (the digits after ".tmp-"), or
/// 0 if `digits` is not a positive decimal number that fits a pid_t.
pid_t parsePid(std::string_view digits) {
  if (digits.empty() || digits.size() > 10 || digits[0] == '0')
    return 0;
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9')
      return 0;
    value = value * 10 + (c - '0');
  }
  return value <= std::numeric_limits<pid_t>::max() ? pid_t(value) : 0;
}

/// Removes the temporary files that writers of `path` killed mid-write left
/// behind: regular files named `path`.tmp-<pid> whose process no longer
/// exists (kill(pid, 0) fails with ESRCH). A temporary of a live process,
/// or of a pid this process may not signal (EPERM: alive, another user's),
/// is left alone, and so is this process's own. Best effort: a directory
/// that cannot be read is skipped, since the save itself reports what
/// matters.
void removeStaleTemporaries(const std::string &path) {
  size_t slash = path.rfind('/');
  std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp-";
  std::string directory = directoryOf(path);
  DIR *dir = ::opendir(directory.c_str());
  if (!dir)
    return;
  std::vector<std::string> stale;
  while (const dirent *entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0)
      continue;
    pid_t pid = parsePid(name.substr(prefix.size()));
    if (pid <= 0 || pid == ::getpid())
      continue;
    struct stat info;
    if (::fstatat(::dirfd(dir), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(info.st_mode))
      continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH)
      stale.emplace_back(name);
  }
  for (const std::string &name : stale)
    ::unlinkat(::dirfd(dir), name.c_str(), 0);
  ::closedir(dir);
}

} // namespace

Status writeFileAtomically(const std::string &path, const std::vector<std::string_view> &pieces) {
  // Messages name `path`, the file the caller asked for; the temporary file
  // is an implementation detail, gone again after a failure.
  std::string temp = fmt::format("{}.tmp-{}", path, ::getpid());
  // A writer killed mid-write (SIGKILL, power loss) leaves its temporary
  // file behind; the first save after it removes it, before writing, so
  // that the space is free again. The directory sync below makes that
  // durable too.
  removeStaleTemporaries(path);
  FileDescriptor file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (file.get() < 0)
    return Error(fmt::format("{}: cannot create file: {}", path, std::strerror(errno)));

  // From here on, a failure removes the temporary file.
  auto failWith = [&](const char *what) {
    int error = errno;
    ::unlink(temp.c_str());
    return Error(fmt::format("{}: cannot {}: {}", path, what, std::strerror(error)));
  };
  for (std::string_view piece : pieces)
    if (!writeAll(file.get(), piece.data(), piece.size()))
      return failWith("write");
  if (::fsync(file.get()) != 0)
    return failWith("sync");
  if (!file.close())
    return failWith("close");
  if (::rename(temp.c_str(), path.c_str()) != 0)
    return failWith("replace it");

  // The rename is durable only once the directory that records it is.
  std::string directory = directoryOf(path);
  FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0)
    return Error(fmt::format("{}: written, but cannot sync directory {}: {}", path, directory,
                             std::strerror(errno)));
  return {};
}

} // namespace kiln
