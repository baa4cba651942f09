//===- DataFile.h - A data file in memory, inflated if gzipped --*- C++ -*-===//
//
// What the readers of data files (IDX, .npy, CSV, text) share: the whole
// file in memory, inflated when it is gzip-compressed, as published data
// sets often are, within the limit on a data file's bytes (MaxDataFileBytes
// in kiln/Data.h) before and after inflation. Internal to the runtime; not
// installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_DATA_DATAFILE_H
#define KILN_RUNTIME_DATA_DATAFILE_H

#include "kiln/Data.h"
#include "kiln/Result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

/// Reads a whole file into memory, inflating it when it is gzip-compressed
/// (one member or several, as `cat a.gz b.gz` makes). Messages about the
/// compressed data start "<path>: corrupt gzip data: ". Fails, before it
/// takes the memory where it can, on a file of more than `maxBytes` bytes,
/// or one that inflates to more (tests pass less than the stated limit);
/// refuses a device or directory at once.
Result<std::vector<uint8_t>> readDataFile(const std::string &path,
                                          uint64_t maxBytes = MaxDataFileBytes);

} // namespace kiln

#endif // KILN_RUNTIME_DATA_DATAFILE_H
