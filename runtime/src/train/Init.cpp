//===- Init.cpp - Parameter storage and initialisation --------------------===//

#include "kiln/Init.h"
#include "core/ParseNumber.h"
#include "core/Random.h"
#include "core/Text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <utility>

namespace kiln {

namespace {

/// The comma-separated numbers of "a, b" (none for blank text); on a cell
/// that is not a finite number, that cell.
Result<std::vector<double>> parseNumbers(std::string_view text, const std::string &init) {
  std::vector<double> numbers;
  if (trimBlanks(text).empty())
    return numbers;
  for (std::string_view cell : splitCommas(text)) {
    // A model file may write a leading '+'.
    std::optional<double> value = parseNumber<double>(cell, /*allowPlus=*/true);
    if (!value || !std::isfinite(*value))
      return Error(
          fmt::format("initializer '{}': expected a finite number, got '{}'", init, cell));
    numbers.push_back(*value);
  }
  return numbers;
}

} // namespace

Result<InitSpec> parseInit(const std::string &init) {
  using Kind = InitSpec::Kind;
  // The canonical spellings the compiler writes (it maps PyTorch's and
  // Keras's synonyms, kaiming_* and glorot_*, onto these): kiln/Vocabulary.h.
  size_t open = init.find('(');
  bool bare = open == std::string::npos;
  const vocabulary::InitializerRow *rule =
      vocabulary::findByName(vocabulary::Initializers, std::string_view(init).substr(0, open));
  if (!rule || (rule->numNumbers == 0) != bare)
    return Error(
        fmt::format("unknown initializer '{}' (known: {})", init, vocabulary::KnownInitializers));
  if (bare)
    return InitSpec{rule->kind, rule->value, 0};
  if (init.back() != ')')
    return Error(fmt::format("initializer '{}': expected ')' at the end", init));

  Result<std::vector<double>> numbers =
      parseNumbers(std::string_view(init).substr(open + 1, init.size() - open - 2), init);
  if (!numbers)
    return numbers.takeError();
  size_t count = rule->numNumbers;
  if (numbers->size() != count)
    return Error(fmt::format("initializer '{}' takes {} number{}, got {}", init, count,
                             count > 1 ? "s" : "", numbers->size()));
  InitSpec spec{rule->kind, (*numbers)[0], count > 1 ? (*numbers)[1] : 0.0};
  // The same rules as the compiler's, for a ModelInfo written by hand.
  if (spec.kind == Kind::Uniform && !(spec.a < spec.b))
    return Error(fmt::format("initializer '{}' needs low < high", init));
  if (spec.kind == Kind::Normal && !(spec.b > 0))
    return Error(fmt::format("initializer '{}' needs a positive standard deviation", init));
  return spec;
}

Status initParam(const ParamInfo &param, uint64_t seed, float *out) {
  using Kind = InitSpec::Kind;
  Result<InitSpec> spec = parseInit(param.init);
  if (!spec)
    return Error(fmt::format("parameter '{}': {}", param.name, spec.error()));
  int64_t count = param.numElements();
  Rng rng(deriveSeed(seed, hashName(param.name)));
  auto fillNormal = [&](double mean, double stddev) {
    for (int64_t i = 0; i < count; ++i)
      out[i] = static_cast<float>(mean + stddev * rng.normal());
  };
  // Draws in double, then rounds to float; the rounding can reach `high`
  // itself, which the interval excludes.
  auto fillUniform = [&](double low, double high) {
    const float bottom = static_cast<float>(low);
    const float top = std::max(bottom, std::nextafter(static_cast<float>(high),
                                                      -std::numeric_limits<float>::infinity()));
    for (int64_t i = 0; i < count; ++i)
      out[i] = std::clamp(static_cast<float>(rng.uniform(low, high)), bottom, top);
  };
  switch (spec->kind) {
  case Kind::Constant:
    std::fill(out, out + count, static_cast<float>(spec->a));
    return {};
  case Kind::Uniform:
    fillUniform(spec->a, spec->b);
    return {};
  case Kind::Normal:
    fillNormal(spec->a, spec->b);
    return {};
  case Kind::HeNormal:
  case Kind::HeUniform:
  case Kind::XavierNormal:
  case Kind::XavierUniform:
    break;
  }
  bool normal = spec->kind == Kind::HeNormal || spec->kind == Kind::XavierNormal;
  bool usesFanOut = spec->kind == Kind::XavierNormal || spec->kind == Kind::XavierUniform;
  int64_t fan = param.fanIn + (usesFanOut ? param.fanOut : 0);
  if (fan <= 0)
    return Error(fmt::format("parameter '{}': {} initialisation needs a positive fan, got "
                             "fanIn {} and fanOut {}",
                             param.name, param.init, param.fanIn, param.fanOut));
  // std = sqrt(2 / fan); a uniform bound of sqrt(6 / fan) has that same std.
  double scale = std::sqrt((normal ? 2.0 : 6.0) / static_cast<double>(fan));
  if (normal)
    fillNormal(0.0, scale);
  else
    fillUniform(-scale, scale);
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
