//===- DataFuzzer.cpp - Fuzz target: the runtime's data-file readers -------===//
//
// The first byte picks a reader, the rest is the file it reads: IDX images and
// labels (plain and gzip-compressed), NumPy .npy, CSV (with class labels, with
// float targets, features only) and byte text. Any input must end in a
// dataset or an error that names the file: never a crash, a sanitizer report,
// an allocation the file's size cannot justify, or a hang.
//
//===----------------------------------------------------------------------===//
#include "kiln/Data.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {

/// A file of this process's own, rewritten for every input.
std::string scratchPath(const char *suffix) {
  const char *dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/kiln-fuzz-data-" +
         std::to_string(::getpid()) + suffix;
}

bool writeFile(const std::string &path, const uint8_t *data, size_t size) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return false;
  bool ok = std::fwrite(data, 1, size, f) == size;
  return std::fclose(f) == 0 && ok;
}

enum Reader : uint8_t {
  IdxImages,
  IdxLabels,
  IdxImagesGzip,
  Npy,
  CsvClassLabels,
  CsvTargets,
  CsvFeatures,
  Text,
  ReaderCount
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  auto reader = static_cast<Reader>(data[0] % ReaderCount);
  const std::string path = scratchPath(reader == IdxImagesGzip ? "-idx3-ubyte.gz" : ".dat");
  if (!writeFile(path, data + 1, size - 1))
    return 0;
  switch (reader) {
  case IdxImages:
  case IdxImagesGzip:
    (void)kiln::readIdxImages(path);
    break;
  case IdxLabels:
    (void)kiln::readIdxLabels(path, 10);
    break;
  case Npy:
    (void)kiln::readNpy(path);
    break;
  case CsvClassLabels: {
    kiln::CsvOptions options;
    options.intLabels = true;
    (void)kiln::loadCsvDataset(path, options);
    break;
  }
  case CsvTargets: {
    kiln::CsvOptions options;
    options.targetColumns = 2;
    (void)kiln::loadCsvDataset(path, options);
    break;
  }
  case CsvFeatures: {
    kiln::CsvOptions options;
    options.targetColumns = 0;
    (void)kiln::loadCsvDataset(path, options);
    break;
  }
  case Text:
    (void)kiln::loadTextDataset(path, 8, 128, 0.25);
    break;
  case ReaderCount:
    break;
  }
  std::remove(path.c_str());
  return 0;
}
