//===- ModelFuzzer.cpp - Fuzz target: a model file through the whole compiler ===//
//
// Feeds arbitrary bytes to kilnc as a model file and drives the compiler from
// the front to the kernels: lexer, parser, import into the kiln dialect (with
// the dialect's shape inference and verification), then the whole pass
// pipeline up to kernel partitioning (autodiff, regularization, training
// health, clipping, the optimizer, update fusion, partitioning); only Halide
// is left out. Any input must end in either partitioned kernels or located
// diagnostics, and besides never crashing, asserting, tripping a sanitizer or
// hanging, the compiler must keep these promises (a broken one aborts, which
// libFuzzer reports as a crash):
//
// - a stage that refuses the model has said why (an error was reported);
// - what the front end accepts, the pipeline compiles: a model refused by a
//   pass or a verifier after import has its error far from its cause, which
//   belongs where the model is written;
// - no message holds a byte a terminal acts on (C0 or C1 controls, DEL),
//   whatever bytes the model file holds.
//
// Limits: an input over kMaxSourceBytes (16 MiB) is refused before it is
// read, as kilnc refuses it; libFuzzer runs take -max_len=4096 (a chain of
// 300 dense layers, 8.6 KB, goes through the pipeline in 0.2 s), -timeout=10
// and -rss_limit_mb=3072.
//
// Built with libFuzzer when the compiler supports it (scripts/fuzz.sh, the
// fuzz_*_short tests); otherwise linked with ReplayMain.cpp, which runs the
// seed and regression inputs (the fuzz_*_replay tests) and checks each
// regression's messages against its `.expected` file through kilnFuzzMessages.
//
//===----------------------------------------------------------------------===//
#include "Frontend/Parser.h"
#include "Import/Import.h"
#include "Pipeline/Pipeline.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

namespace {

/// The diagnostics of the last input, for kilnFuzzMessages.
std::string lastMessages;

/// Ends the run: the compiler broke a promise on this input.
[[noreturn]] void broken(const char *promise, const std::string &messages) {
  std::fprintf(stderr, "kiln-fuzz-model: broken: %s\n%s\n", promise, messages.c_str());
  std::abort();
}

/// True when `text` holds a byte a terminal would act on: a C0 control other
/// than newline and tab, DEL, or a C1 control (U+0080 to U+009F in UTF-8).
bool hasControlBytes(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if ((byte < 0x20 && byte != '\n' && byte != '\t') || byte == 0x7f)
      return true;
    if (byte == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9f)
      return true;
  }
  return false;
}

/// Runs the input through the compiler, leaving its messages in `messages`
/// and the MLIR diagnostics of the pipeline in `mlirMessages`.
void compile(const uint8_t *data, size_t size, std::ostringstream &messages,
             std::string &mlirMessages) {
  kiln::SourceFile file("fuzz.kiln", std::string(reinterpret_cast<const char *>(data), size));
  kiln::DiagnosticEngine diags(file, messages);
  std::optional<kiln::ast::Model> model = kiln::parseModel(file, diags);
  if (!model) {
    if (diags.errorCount() == 0)
      broken("the parser refused the model without an error", messages.str());
    return;
  }

  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  mlir::ScopedDiagnosticHandler collect(&context, [&](mlir::Diagnostic &d) {
    mlirMessages += d.str() + "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module = kiln::importModel(*model, diags, context);
  if (!module) {
    if (diags.errorCount() == 0)
      broken("import refused the model without an error", messages.str() + mlirMessages);
    return;
  }

  // The longest pipeline kilnc runs: every pass, training health included.
  kiln::PipelineOptions options;
  options.trainingHealth = true;
  mlir::PassManager pm(&context);
  pm.enableVerifier(true);
  kiln::buildKilnPipeline(pm, options);
  if (mlir::failed(pm.run(*module)))
    broken("the pipeline refused a model the front end accepted", mlirMessages);
}

} // namespace

/// The messages the last input printed (empty when it compiled): ReplayMain
/// checks a regression input's against its `.expected` file.
extern "C" const char *kilnFuzzMessages() { return lastMessages.c_str(); }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lastMessages.clear();
  if (size > kiln::kMaxSourceBytes)
    return 0; // kilnc refuses such a file before reading it
  std::ostringstream messages;
  std::string mlirMessages;
  compile(data, size, messages, mlirMessages);
  lastMessages = messages.str();
  if (hasControlBytes(lastMessages))
    broken("a message holds a terminal control byte", lastMessages);
  return 0;
}
