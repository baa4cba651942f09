//===- AtomicFile.h - Files replaced whole or not at all --------*- C++ -*-===//
//
// Every file the runtime writes (checkpoints, logs, plots, exported weights,
// trial results) goes through writeFileAtomically, so that a reader, or a
// run killed mid-write, sees the old file or the new one, never a partial
// one. Internal to the runtime; not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_IO_ATOMICFILE_H
#define KILN_RUNTIME_IO_ATOMICFILE_H

#include "kiln/Result.h"

#include <string>
#include <string_view>
#include <vector>

namespace kiln {

/// Writes `pieces`, one after the other, to `path`: into a temporary file
/// beside it (path + ".tmp-<pid>"), fsync'ed, renamed over `path`, the
/// directory fsync'ed. On a failure the temporary file is removed and an
/// existing file at `path` is untouched; the message names `path`, not the
/// temporary file ("run/log.csv: cannot create file: No such file or
/// directory"). Creates no directories. Before writing, it removes the
/// temporaries `path.tmp-<pid>` that writers killed mid-write left behind
/// (only those whose process no longer exists).
Status writeFileAtomically(const std::string &path, const std::vector<std::string_view> &pieces);

} // namespace kiln

#endif // KILN_RUNTIME_IO_ATOMICFILE_H
