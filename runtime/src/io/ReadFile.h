//===- ReadFile.h - A whole file in memory ----------------------*- C++ -*-===//
//
// The one way the runtime reads a file whole (data sets, text corpora).
// Messages name the file: "data.csv: cannot open: No such file or
// directory". Internal to the runtime; not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_IO_READFILE_H
#define KILN_RUNTIME_IO_READFILE_H

#include "kiln/Result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// The bytes of the file at `path`.
Result<std::vector<uint8_t>> readFileBytes(const std::string &path);

/// The bytes of the file at `path`, as text (no conversion of any kind).
Result<std::string> readFileText(const std::string &path);

} // namespace kiln

#endif // KILN_RUNTIME_IO_READFILE_H
