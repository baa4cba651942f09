//===- FileDescriptor.cpp - POSIX files, closed and read in full ----------===//

#include "io/FileDescriptor.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <unistd.h>

namespace kiln {

FileDescriptor::~FileDescriptor() {
  if (fd >= 0)
    ::close(fd);
}

bool FileDescriptor::close() {
  int result = ::close(fd);
  fd = -1;
  return result == 0;
}

bool readAll(int fd, void *data, size_t size) {
  auto *bytes = static_cast<char *>(data);
  while (size > 0) {
    ssize_t got = ::read(fd, bytes, std::min<size_t>(size, size_t(1) << 30));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0) {
      if (got == 0)
        errno = 0;
      return false;
    }
    bytes += got;
    size -= size_t(got);
  }
  return true;
}

bool writeAll(int fd, const void *data, size_t size) {
  auto *bytes = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t put = ::write(fd, bytes, std::min<size_t>(size, size_t(1) << 30));
    if (put < 0 && errno == EINTR)
      continue;
    if (put < 0)
      return false;
    bytes += put;
    size -= size_t(put);
  }
  return true;
}

std::string readErrorText() {
  return errno ? std::strerror(errno) : "the file ended early (was it changed while being read?)";
}

} // namespace kiln
