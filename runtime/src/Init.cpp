//===- Init.cpp - Parameter storage and initialisation --------------------===//

#include "kiln/Init.h"
#include "kiln/Random.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace kiln {

std::string_view initName(Init init) {
  switch (init) {
  case Init::Zeros:
    return "zeros";
  case Init::HeNormal:
    return "he_normal";
  case Init::HeUniform:
    return "he_uniform";
  case Init::XavierNormal:
    return "xavier_normal";
  case Init::XavierUniform:
    return "xavier_uniform";
  }
  return "unknown";
}

namespace {

/// How one initialiser draws: from a normal or a uniform distribution, and
/// the fan its scale is divided by.
struct InitRule {
  bool isNormal;
  double numerator; // std = sqrt(numerator / fan), or bound for uniform
  bool usesFanOut;  // fan = fanIn (+ fanOut)
};

InitRule ruleFor(Init init) {
  switch (init) {
  case Init::HeNormal:
    return {true, 2.0, false};
  case Init::HeUniform:
    return {false, 6.0, false};
  case Init::XavierNormal:
    return {true, 2.0, true};
  case Init::XavierUniform:
    return {false, 6.0, true};
  case Init::Zeros:
    break;
  }
  return {false, 0.0, false};
}

} // namespace

Status initParam(const ParamInfo &param, uint64_t seed, float *out) {
  int64_t count = param.numElements();
  if (param.init == Init::Zeros) {
    std::fill(out, out + count, 0.0f);
    return {};
  }
  InitRule rule = ruleFor(param.init);
  int64_t fan = param.fanIn + (rule.usesFanOut ? param.fanOut : 0);
  if (fan <= 0)
    return Error(fmt::format("parameter '{}': {} initialisation needs a positive fan, got "
                             "fanIn {} and fanOut {}",
                             param.name, initName(param.init), param.fanIn, param.fanOut));

  Rng rng(deriveSeed(seed, hashName(param.name)));
  double scale = std::sqrt(rule.numerator / static_cast<double>(fan));
  if (rule.isNormal) {
    for (int64_t i = 0; i < count; ++i)
      out[i] = static_cast<float>(scale * rng.normal());
    return {};
  }
  for (int64_t i = 0; i < count; ++i)
    out[i] = static_cast<float>(rng.uniform(-scale, scale));
  return {};
}

ParameterStore::ParameterStore(const ModelInfo &info) : params(info.params) {
  buffers.reserve(params.size());
  pointerArray.reserve(params.size());
  for (const ParamInfo &param : params) {
    buffers.emplace_back(static_cast<size_t>(std::max<int64_t>(param.numElements(), 0)), 0.0f);
    pointerArray.push_back(buffers.back().data());
  }
}

Status ParameterStore::initialize(uint64_t seed) {
  for (size_t i = 0; i < params.size(); ++i)
    if (Status status = initParam(params[i], seed, buffers[i].data()); !status)
      return status;
  return {};
}

int64_t ParameterStore::find(std::string_view name) const {
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].name == name)
      return static_cast<int64_t>(i);
  return -1;
}

int64_t ParameterStore::numElements() const {
  int64_t total = 0;
  for (const std::vector<float> &buffer : buffers)
    total += static_cast<int64_t>(buffer.size());
  return total;
}

StateStore::StateStore(const ModelInfo &info) : states(info.states) {
  for (const StateInfo &state : states)
    buffers.emplace_back(static_cast<size_t>(info.params[state.param].numElements()),
                         state.initValue);
  for (std::vector<float> &buffer : buffers)
    pointerArray.push_back(buffer.data());
}

void StateStore::reset() {
  for (size_t i = 0; i < buffers.size(); ++i)
    std::fill(buffers[i].begin(), buffers[i].end(), states[i].initValue);
}

} // namespace kiln
