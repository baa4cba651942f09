//===- DataFile.h - A data file in memory, inflated if gzipped --*- C++ -*-===//
//
// What the readers of binary data formats (IDX, .npy) share: the whole file
// in memory, inflated when it is gzip-compressed, as published data sets
// often are. Internal to the runtime; not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_DATA_DATAFILE_H
#define KILN_RUNTIME_DATA_DATAFILE_H

#include "kiln/Result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// Reads a whole file into memory, inflating it when it is gzip-compressed
/// (one member or several, as `cat a.gz b.gz` makes). Messages about the
/// compressed data start "<path>: corrupt gzip data: ".
Result<std::vector<uint8_t>> readDataFile(const std::string &path);

} // namespace kiln

#endif // KILN_RUNTIME_DATA_DATAFILE_H
