//===- ModelSummary.h - The model summary table ----------------*- C++ -*-===//
//
// What `kilnc --emit=summary` prints, as Keras's model.summary() and
// torchinfo do: one row per input and per layer call of the model file, with
// its output shape and parameters (named as checkpoints name them), then the
// totals, the loss and the optimizer's state. Plain C++17 and the standard
// library, so that whoever has the data (the import, or a trainer reading
// its model's manifest) can print the same table.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_IMPORT_MODELSUMMARY_H
#define KILN_IMPORT_MODELSUMMARY_H

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace kiln {

/// A dimension of an output shape that is the batch (dynamic).
inline constexpr int64_t kSummaryBatchDim = -1;

/// One parameter tensor, as checkpoints name it ("dense0.weight").
struct SummaryParameter {
  std::string name;
  std::vector<int64_t> shape;
  /// False for frozen parameters (`trainable = false`) and running
  /// statistics, which no optimizer updates.
  bool trainable = true;
  /// False for a trainable parameter the loss does not depend on: training
  /// leaves it out of the compiled model (kilnc warns about it).
  bool affectsLoss = true;
};

/// One row of the table: an input or label, or a layer call.
struct SummaryLayer {
  /// The layer's name ("dense0", "lstm0") when it has one, else the call's
  /// name ("relu"); an input's or label's declared name.
  std::string name;
  /// The name the model file binds to this value ("h1"); empty for a call
  /// nested in another.
  std::string binding;
  /// "input" or "label" for a declaration; empty for a call.
  std::string declaration;
  unsigned line = 0;
  std::vector<int64_t> shape; // kSummaryBatchDim for the batch
  std::vector<SummaryParameter> parameters;
};

struct ModelSummary {
  std::string model;
  /// How the model file spells the batch dimension.
  std::string batchName = "batch";
  std::vector<SummaryLayer> layers;
  /// The loss as written ("softmax_cross_entropy(logits, y)") and its line.
  std::string loss;
  unsigned lossLine = 0;
  std::string optimizer;
  /// The state tensors the optimizer keeps per trainable parameter ("m", "v").
  std::vector<std::string> optimizerStates;
};

/// The element counts the totals report.
struct SummaryTotals {
  int64_t parameters = 0;
  int64_t trainable = 0;
  /// Parameters that do not affect the loss, counted in neither of the above.
  int64_t unused = 0;
  /// Optimizer state: one value per state tensor per trainable element.
  int64_t optimizerValues = 0;
};

SummaryTotals summaryTotals(const ModelSummary &summary);

/// Prints the table and the totals.
void printSummary(const ModelSummary &summary, std::ostream &os);

/// Prints the summary to the file `path`, or stdout when `path` is empty.
/// Returns an error message, or "" on success.
std::string writeSummary(const ModelSummary &summary, const std::string &path);

} // namespace kiln

#endif // KILN_IMPORT_MODELSUMMARY_H
