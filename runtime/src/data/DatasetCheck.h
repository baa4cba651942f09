//===- DatasetCheck.h - What a model's task asks of its data ----*- C++ -*-===//
//
// checkDataset and checkTokenIds are public (kiln/Data.h); the readers also
// check the model's task before they read a file. Internal to the runtime;
// not installed.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_DATA_DATASETCHECK_H
#define KILN_RUNTIME_DATA_DATASETCHECK_H

#include "kiln/CompiledModel.h"
#include "kiln/Result.h"

namespace kiln {

/// Checks what the runtime reads from a model's task: a known task, and
/// predictions as wide as the targets they are measured against.
Status checkTask(const ModelInfo &model);

} // namespace kiln

#endif // KILN_RUNTIME_DATA_DATASETCHECK_H
