//===- ReadFile.h - A whole file in memory ----------------------*- C++ -*-===//
//
// The one way the runtime reads a file whole (data sets, text corpora).
// Messages name the file: "data.csv: cannot open: No such file or
// directory". A read takes at most the bytes its caller allows, checked
// before memory is taken where the file's size is known: a device such as
// /dev/zero, which never ends, or a directory is refused at once, and a pipe
// is read up to the limit. Internal to the runtime; not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_IO_READFILE_H
#define KILN_RUNTIME_IO_READFILE_H

#include "kiln/Result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// The bytes of the file at `path`; fails on a file of more than `maxBytes`
/// bytes ("<path>: 5368709120 bytes, more than the limit of 4294967296 bytes
/// (4 GiB) on a data file", where `what` says what the limit bounds).
Result<std::vector<uint8_t>> readFileBytes(const std::string &path, uint64_t maxBytes,
                                           const char *what);

/// The bytes of the file at `path`, as text (no conversion of any kind),
/// with the same limit.
Result<std::string> readFileText(const std::string &path, uint64_t maxBytes, const char *what);

/// "the limit of <limit> bytes (<limit in GiB or MiB>) on <what>", for
/// messages about a limit on bytes.
std::string describeByteLimit(uint64_t limit, const char *what);

} // namespace kiln

#endif // KILN_RUNTIME_IO_READFILE_H
