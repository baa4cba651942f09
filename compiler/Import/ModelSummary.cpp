//===- ModelSummary.cpp - The model summary table -------------------------===//
//
// Lays out the rows of a ModelSummary in columns as wide as their widest
// cell, numbers right-aligned with thousands separators, each layer's
// parameters indented below it.
//
//===----------------------------------------------------------------------===//
#include "Import/ModelSummary.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

namespace kiln {
namespace {

/// The bytes one value takes: parameters and optimizer state are float32.
constexpr int64_t kBytesPerValue = 4;

int64_t elementCount(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  return count;
}

/// 235146 -> "235,146".
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

/// 940584 -> "918.5 KiB".
std::string byteSize(int64_t bytes) {
  const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0)
    return std::to_string(bytes) + " bytes";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

std::string shapeText(const std::vector<int64_t> &shape, const std::string &batchName) {
  if (shape.empty())
    return "scalar";
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + (shape[i] == kSummaryBatchDim ? batchName : std::to_string(shape[i]));
  return text + "]";
}

std::string trainableText(const SummaryParameter &p) {
  return !p.affectsLoss ? "unused" : p.trainable ? "yes" : "no";
}

/// A layer is trainable when all its parameters are, not when none is, and
/// partly otherwise (batch_norm: its scale and shift, not its statistics);
/// unused when the loss depends on none of them.
std::string trainableText(const SummaryLayer &layer) {
  if (layer.parameters.empty())
    return "";
  std::string first = trainableText(layer.parameters.front());
  for (const SummaryParameter &p : layer.parameters)
    if (trainableText(p) != first)
      return "partly";
  return first;
}

enum Column { Line, Layer, Binding, Shape, Parameters, Trainable, NumColumns };
using Row = std::vector<std::string>;

std::vector<Row> tableRows(const ModelSummary &summary) {
  std::vector<Row> rows{{"line", "layer", "binding", "output shape", "parameters", "trainable"}};
  for (const SummaryLayer &layer : summary.layers) {
    int64_t count = 0;
    for (const SummaryParameter &p : layer.parameters)
      count += elementCount(p.shape);
    std::string name =
        layer.declaration.empty() ? layer.name : layer.name + " (" + layer.declaration + ")";
    rows.push_back({std::to_string(layer.line), name, layer.binding,
                    shapeText(layer.shape, summary.batchName), grouped(count),
                    trainableText(layer)});
    for (const SummaryParameter &p : layer.parameters)
      rows.push_back({"", "  " + p.name, "", shapeText(p.shape, summary.batchName),
                      grouped(elementCount(p.shape)), trainableText(p)});
  }
  return rows;
}

} // namespace

SummaryTotals summaryTotals(const ModelSummary &summary) {
  SummaryTotals totals;
  for (const SummaryLayer &layer : summary.layers)
    for (const SummaryParameter &p : layer.parameters) {
      int64_t count = elementCount(p.shape);
      if (!p.affectsLoss) {
        totals.unused += count;
        continue;
      }
      totals.parameters += count;
      if (p.trainable)
        totals.trainable += count;
    }
  totals.optimizerValues = totals.trainable * static_cast<int64_t>(summary.optimizerStates.size());
  return totals;
}

void printSummary(const ModelSummary &summary, std::ostream &os) {
  std::vector<Row> rows = tableRows(summary);
  size_t widths[NumColumns] = {};
  for (const Row &row : rows)
    for (size_t c = 0; c < NumColumns; ++c)
      widths[c] = std::max(widths[c], row[c].size());
  size_t total = 0;
  for (size_t width : widths)
    total += width + 2;
  std::string rule(total - 2, '-');

  os << "Model " << summary.model << "\n" << rule << "\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    std::string line;
    for (size_t c = 0; c < NumColumns; ++c) {
      const std::string &cell = rows[r][c];
      std::string pad(widths[c] - cell.size(), ' ');
      bool right = c == Line || c == Parameters;
      line += (c ? "  " : "") + (right ? pad + cell : cell + pad);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    os << line << "\n";
    if (r == 0)
      os << rule << "\n";
  }
  os << rule << "\n";

  SummaryTotals totals = summaryTotals(summary);
  os << "Parameters: " << grouped(totals.parameters) << " ("
     << byteSize(totals.parameters * kBytesPerValue) << " in float32)\n"
     << "  trainable: " << grouped(totals.trainable) << "\n"
     << "  not trainable: " << grouped(totals.parameters - totals.trainable) << "\n";
  if (totals.unused)
    os << "Unused: " << grouped(totals.unused)
       << " parameters do not affect the loss; the compiled model leaves them out\n";
  os << "Loss: " << summary.loss << " (line " << summary.lossLine << ")\n"
     << "Optimizer: " << summary.optimizer;
  if (summary.optimizerStates.empty()) {
    os << ", no state\n";
    return;
  }
  std::string names;
  for (const std::string &state : summary.optimizerStates)
    names += (names.empty() ? "" : ", ") + state;
  os << ", " << summary.optimizerStates.size() << " state value"
     << (summary.optimizerStates.size() == 1 ? "" : "s") << " per trainable parameter (" << names
     << "): " << grouped(totals.optimizerValues) << " values ("
     << byteSize(totals.optimizerValues * kBytesPerValue) << " in float32)\n";
}

std::string writeSummary(const ModelSummary &summary, const std::string &path) {
  if (path.empty()) {
    printSummary(summary, std::cout);
    std::cout.flush();
    return std::cout ? "" : "cannot write the summary to stdout";
  }
  std::ofstream file(path);
  if (!file)
    return "cannot write '" + path + "': " + std::strerror(errno);
  printSummary(summary, file);
  file.close();
  return file ? "" : "cannot write '" + path + "': " + std::strerror(errno);
}

} // namespace kiln
