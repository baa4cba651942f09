//===- TrainCommand.cpp - train: fit a model and test it ------------------===//
//
// The data (cli/DataSets.h), a trainer started fresh, from a checkpoint
// (--resume) or from weights (--init-from), the run (kiln::fit), then the
// final test, a diagnosis and, for a language model, a sample of text.
//
//===----------------------------------------------------------------------===//

#include "cli/Commands.h"
#include "cli/DataSets.h"
#include "kiln/Distributed.h"
#include "kiln/Fit.h"
#include "kiln/Health.h"
#include "kiln/Trainer.h"
#include "train/LearningRate.h"
#include "train/Metrics.h"
#include "train/Progress.h"
#include "train/TextSampling.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace kiln::cli {

namespace {

std::string hyperparamSummary(const ModelInfo &info, const std::vector<float> &values) {
  std::string summary;
  for (size_t i = 0; i < values.size(); ++i)
    summary += fmt::format(", {} {}", info.hyperparams[i].name, values[i]);
  return summary;
}

/// --init-from: the weights a checkpoint or safetensors file has for this
/// model, and a line saying which parameters kept their initial values.
Status initializeFrom(Trainer &trainer, const Config &config, std::ostream &out) {
  const ModelInfo &info = trainer.compiledModel().info();
  Result<std::vector<std::string>> loaded = trainer.loadWeights(config.initFrom, config.initSkip);
  if (!loaded)
    return loaded.takeError();
  std::string kept;
  for (const ParamInfo &p : info.params)
    if (std::find(loaded->begin(), loaded->end(), p.name) == loaded->end())
      kept += (kept.empty() ? "" : ", ") + p.name;
  out << fmt::format("initialized {} of {} parameters from {}{}", loaded->size(),
                     info.params.size(), config.initFrom,
                     kept.empty() ? "" : "; initial values kept for " + kept)
      << std::endl;
  return {};
}

/// Scales the features: a resumed run goes on with the statistics it started
/// with, a new one fits them on its training set.
Status normalizeData(Trainer &trainer, TrainData &data) {
  if (trainer.normalization().mean.empty()) {
    Result<Standardization> stats = normalizeSets(data);
    if (!stats)
      return stats.takeError();
    if (data.normalization != Normalization::None)
      trainer.setNormalization(std::move(*stats));
    return {};
  }
  std::vector<Dataset *> sets = {&data.test};
  if (data.validation)
    sets.push_back(&*data.validation);
  sets.push_back(&data.train);
  for (Dataset *set : sets)
    if (Status status = applyStandardization(*set, trainer.normalization()); !status)
      return status;
  return {};
}

/// "training mlp: 235146 parameters, 60000 training samples, ...".
/// Where the kernels run, for a GPU build (docs/gpu.md); "" on the CPU.
std::string deviceSummary(const ModelInfo &info) {
  if (info.device == "cpu")
    return "";
  const char *api = info.device == "cuda" ? "CUDA" : "OpenCL";
  const char *chosen = std::getenv("HL_GPU_DEVICE");
  return chosen ? fmt::format(", kernels on GPU {} ({})", chosen, api)
                : fmt::format(", kernels on the GPU ({})", api);
}

std::string summaryLine(const Trainer &trainer, const ParameterStore &params,
                        const TrainData &data, const Config &config, const ModelInfo &info) {
  // Running statistics (batch normalization) are stored like parameters but
  // not trained; the count names them apart.
  int64_t frozen = 0;
  for (const ParamInfo &p : info.params)
    if (!p.trainable)
      frozen += p.numElements();
  std::string paramCount = std::to_string(params.numElements() - frozen) + " parameters";
  if (frozen > 0)
    paramCount += " (+" + std::to_string(frozen) + " not trained)";
  const Dataset &train = data.train;
  int64_t batch = config.batch > 0 ? std::min(config.batch, train.count) : train.count;
  std::string heldOut = fmt::format("{} test samples", data.test.count);
  if (data.validation)
    heldOut = fmt::format("{} validation samples, {}", data.validation->count, heldOut);
  return fmt::format("training {}: {}, {} training samples, {}, "
                     "batch {} ({} steps/epoch), threads {}, optimizer {}{}, schedule {}",
                     info.name, paramCount, train.count, heldOut, batch,
                     trainer.stepsPerEpoch(train.count), config.threads, info.optimizer,
                     hyperparamSummary(info, trainer.hyperparams()),
                     formatSchedule(trainer.schedule())) +
         deviceSummary(info);
}

/// "data-parallel: 2 processes, each training on its half of every batch;
/// gradients summed in 1 bucket of 0.9 MiB".
std::string dataParallelLine(const ProcessGroup &group, const ModelInfo &info, int64_t batch) {
  int64_t floats = 0;
  for (int64_t bucket : info.gradientBuckets)
    floats += bucket;
  size_t buckets = info.gradientBuckets.size();
  return fmt::format("data-parallel: {} process{}, each training on its part of every batch of "
                     "{} (about {}); gradients summed in {} bucket{} of {:.1f} MiB in all",
                     group.size(), group.size() == 1 ? "" : "es", batch,
                     (batch + group.size() - 1) / group.size(), buckets, buckets == 1 ? "" : "s",
                     double(floats) * 4 / (1 << 20));
}

FitOptions fitOptions(const Config &config, const TrainData &data, std::ostream &out,
                      std::ostream &err) {
  FitOptions options;
  options.epochs = config.epochs;
  options.validation = data.validation ? &*data.validation : nullptr;
  options.test = &data.test;
  options.patience = config.patience;
  options.minDelta = config.minDelta;
  options.monitor = config.monitor;
  options.checkpointDir = config.checkpointDir;
  options.logPath = config.logPath;
  options.plotPath = config.plotPath;
  options.out = &out;
  options.err = &err;
  // In a data-parallel run rank 0 alone reports and writes files.
  if (config.group && config.group->rank() != 0) {
    options.checkpointDir.clear();
    options.logPath.clear();
    options.plotPath.clear();
    options.out = nullptr;
  }
  // Under mpirun stdout is forwarded, often through a terminal of its own:
  // a bar only when asked for.
  options.progressBar = config.progress == "bar" ||
                        (config.progress == "auto" && &out == &std::cout &&
                         Progress::stdoutIsTerminal() && !config.group);
  return options;
}

} // namespace

int runTrain(const std::string &, const Config &config, CompiledModel &model, std::ostream &out,
             std::ostream &err) {
  const ModelInfo &info = model.info();
  Result<TrainData> data = loadTrainData(config, info);
  if (!data)
    return fail(err, data.error());

  ParameterStore params(info);
  if (Status status = params.initialize(config.seed); !status)
    return fail(err, status.error());
  model.setNumThreads(static_cast<int>(config.threads));
  Trainer trainer(model, params, {config.batch, config.seed});
  if (config.group) {
    out << dataParallelLine(*config.group, info, config.batch) << std::endl;
    trainer.setProcessGroup(config.group);
  }
  for (size_t i = 0; i < info.hyperparams.size(); ++i)
    trainer.setHyperparam(info.hyperparams[i].name, config.hyperparams[i]);
  if (config.schedule)
    trainer.setSchedule(*config.schedule);

  const FitOptions options = fitOptions(config, *data, out, err);
  FitState start;
  if (!config.initFrom.empty())
    if (Status status = initializeFrom(trainer, config, out); !status)
      return fail(err, status.error());
  if (!config.resume.empty()) {
    Result<FitState> resumed = resumeFit(trainer, config.resume, options);
    if (!resumed)
      return fail(err, resumed.error());
    start = std::move(*resumed);
  }
  if (Status status = normalizeData(trainer, *data); !status)
    return fail(err, status.error());
  out << summaryLine(trainer, params, *data, config, info) << std::endl;

  Result<FitState> run = fit(trainer, data->train, options, {}, std::move(start));
  if (!run)
    return fail(err, run.error());
  EvalStats test;
  if (run->lastTest) {
    test = *run->lastTest;
  } else {
    Result<EvalStats> measured = trainer.evaluate(data->test);
    if (!measured)
      return fail(err, measured.error());
    test = *measured;
  }
  if (info.task == "regression")
    out << fmt::format("final test mse: {:.4f}  mae: {:.4f}", test.mse(), test.mae())
        << std::endl;
  else
    out << fmt::format("final test accuracy: {:.2f}%", 100 * test.accuracy()) << std::endl;
  FitDiagnosis diagnosis =
      diagnoseFit(run->history, info.task == "regression" ? targetVariance(data->train) : 0);
  if (!diagnosis.text.empty())
    out << "diagnosis: " << diagnosis.text << std::endl;
  if (info.isLanguageModel() && config.sample > 0) {
    Result<std::string> text = sampleText(model, params.pointers(), config.prompt, config.sample,
                                          config.temperature, config.seed);
    if (!text)
      return fail(err, text.error());
    out << fmt::format("sample (temperature {}):\n{}", config.temperature, *text) << std::endl;
  }
  return ExitSuccess;
}

} // namespace kiln::cli
