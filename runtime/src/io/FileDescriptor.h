//===- FileDescriptor.h - POSIX files, closed and read in full --*- C++ -*-===//
//
// What checkpoint loading and atomic writing share: a descriptor closed on
// every path, and reads and writes that finish what they start (short
// counts and EINTR retried). Internal to the runtime; not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_IO_FILEDESCRIPTOR_H
#define KILN_RUNTIME_IO_FILEDESCRIPTOR_H

#include <cstddef>
#include <string>

namespace kiln {

/// Closes a file descriptor when it goes out of scope, unless already closed.
class FileDescriptor {
public:
  explicit FileDescriptor(int fd) : fd(fd) {}
  FileDescriptor(const FileDescriptor &) = delete;
  FileDescriptor &operator=(const FileDescriptor &) = delete;
  ~FileDescriptor();
  int get() const { return fd; }
  /// Closes now and reports whether that succeeded (errno set if not).
  bool close();

private:
  int fd;
};

/// Reads exactly `size` bytes. False with errno set on an error, with errno
/// 0 if the file ended first.
bool readAll(int fd, void *data, size_t size);

/// Writes all `size` bytes. False with errno set on an error.
bool writeAll(int fd, const void *data, size_t size);

/// Why readAll failed: errno's text, or that the file ended early.
std::string readErrorText();

} // namespace kiln

#endif // KILN_RUNTIME_IO_FILEDESCRIPTOR_H
