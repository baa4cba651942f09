//===- Checkpoint.h - Tensors and metadata in safetensors files -*- C++ -*-===//
//
// A checkpoint is a safetensors file, so that PyTorch's `safetensors` package
// or a few lines of numpy (scripts/read_checkpoint.py) can read it:
//
//   8 bytes    N, the header length, little-endian uint64
//   N bytes    a UTF-8 JSON object, padded with spaces so the data starts at
//              a multiple of 8:
//                {"__metadata__":{"epoch":"3"},
//                 "dense0.weight":{"dtype":"F32","shape":[784,128],
//                                  "data_offsets":[0,401408]}, ...}
//   the rest   the tensors' bytes, little-endian, row-major, packed without
//              gaps; data_offsets are [begin, end) relative to this section
//
// Only the F32 and I32 dtypes are read and written. Saving is atomic: a
// reader sees the old file or the new one, never a partial one.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_CHECKPOINT_H
#define KILN_CHECKPOINT_H

#include "kiln/Result.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

enum class DType { F32, I32 };

/// The safetensors name of a dtype: "F32" or "I32".
std::string_view dtypeName(DType dtype);

/// A tensor to save, borrowed from its owner. Set `data` for an F32 tensor or
/// `ints` for an I32 one (a step counter, say), not both; either may be null
/// when the shape has no elements. A scalar has an empty shape.
struct TensorView {
  std::string name;
  std::vector<int64_t> shape;
  const float *data = nullptr;
  const int32_t *ints = nullptr;
};

/// A tensor read from a checkpoint: `values` holds an F32 tensor's elements,
/// `ints` an I32 tensor's; the other is empty.
struct LoadedTensor {
  std::string name;
  std::vector<int64_t> shape;
  DType dtype = DType::F32;
  std::vector<float> values;
  std::vector<int32_t> ints;
  int64_t numElements() const;
};

struct Checkpoint {
  std::map<std::string, std::string> metadata;
  /// In the order of their data in the file (for files saveCheckpoint wrote,
  /// the order they were given in).
  std::vector<LoadedTensor> tensors;

  /// The tensor called `name`, or null.
  const LoadedTensor *find(std::string_view name) const;
};

/// Writes `tensors`, in order, and `metadata` to `path`, atomically: into a
/// temporary file beside it (path + ".tmp-<pid>"), fully written and
/// fsync'ed, then rename()d over `path`, then the directory fsync'ed. On any
/// failure the temporary file is removed and an existing file at `path` is
/// untouched. Creates no directories. Fails before writing anything on a
/// duplicate or reserved ("__metadata__") name, a name or metadata
/// string that is not UTF-8, a negative dimension, or missing data.
Status saveCheckpoint(const std::string &path, const std::vector<TensorView> &tensors,
                      const std::map<std::string, std::string> &metadata = {});

/// The metadata key of the data checksum: the CRC-32 (zlib's) of the data
/// section's bytes, as 8 lowercase hex digits. Written by whoever saves
/// (Trainer::saveCheckpoint does), verified by loadCheckpoint when present;
/// files without it load unchecked.
inline constexpr const char *DataChecksumKey = "data_crc32";

/// The value of DataChecksumKey for a file holding `tensors`, in order.
std::string dataChecksum(const std::vector<TensorView> &tensors);

/// Reads and validates a whole checkpoint. Refuses, before opening it for
/// reading, a path that is not a regular file (a FIFO, a directory, a
/// device), so that it never blocks. Verifies the data checksum when the
/// metadata holds one. Messages start with the path,
/// e.g. "run/ckpt.safetensors: tensor \"w\": data_offsets [0, 20] hold 20
/// bytes but shape [2, 3] of F32 needs 24".
Result<Checkpoint> loadCheckpoint(const std::string &path);

} // namespace kiln

#endif // KILN_CHECKPOINT_H
