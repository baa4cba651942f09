//===- ModelFuzzer.cpp - Fuzz target: a model file through the front end ---===//
//
// Feeds arbitrary bytes to kilnc's front half as a model file: lexer, parser,
// import into the kiln dialect with verification, then the training pipeline
// up to kernel partitioning (autodiff, regularization, training health,
// clipping, the optimizer, update fusion). Any input must end in either a
// module or located diagnostics: never a crash, an assertion, a sanitizer
// report or a hang.
//
// Built with libFuzzer when the compiler supports it (scripts/fuzz.sh, the
// fuzz_*_short tests); otherwise linked with ReplayMain.cpp, which runs the
// seed and regression inputs (the fuzz_*_replay tests).
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
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kiln::SourceFile file("fuzz.kiln", std::string(reinterpret_cast<const char *>(data), size));
  std::ostringstream messages; // diagnostics are expected; only crashes matter
  kiln::DiagnosticEngine diags(file, messages);
  std::optional<kiln::ast::Model> model = kiln::parseModel(file, diags);
  if (!model)
    return 0;

  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  mlir::ScopedDiagnosticHandler discard(&context, [](mlir::Diagnostic &) { return mlir::success(); });
  mlir::OwningOpRef<mlir::ModuleOp> module = kiln::importModel(*model, diags, context);
  if (!module)
    return 0;

  // The longest pipeline kilnc runs: every pass, training health included.
  kiln::PipelineOptions options;
  options.trainingHealth = true;
  mlir::PassManager pm(&context);
  pm.enableVerifier(true);
  kiln::buildKilnPipeline(pm, options);
  (void)pm.run(*module);
  return 0;
}
