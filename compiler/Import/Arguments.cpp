//===- Arguments.cpp - Matching a call's arguments to what it takes -------===//
//
// A call's arguments are matched to its rule's ArgSpecs: positional ones in
// order (a variadic spec takes all that remain, and what follows it is given
// by keyword), keyword ones by name. Each is then checked against its
// ArgKind at the argument. A positional argument that lands on an optional
// spec it does not fit is reported with the spec it landed on and, where
// another spec would take it, the keyword to write.
//
//===----------------------------------------------------------------------===//
#include "Import/Importer.h"

#include "kiln/Vocabulary.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::importer;

namespace kiln::importer {

std::string spellingOf(const ast::Expr &e) {
  switch (e.kind) {
  case ast::Expr::Kind::Number:
    return e.spelling;
  case ast::Expr::Kind::Call:
    return e.name + "(...)";
  default:
    return e.name;
  }
}

std::string expressionText(const ast::Expr &e) {
  constexpr size_t kMaxLength = 60;
  if (e.kind == ast::Expr::Kind::String)
    return "\"" + e.name + "\"";
  if (e.kind != ast::Expr::Kind::Call)
    return spellingOf(e);
  std::string text = e.name + "(";
  for (const ast::Arg &arg : e.args) {
    text += (text.back() == '(' ? "" : ", ") +
            (arg.keyword.empty() ? "" : arg.keyword + " = ") + expressionText(*arg.value);
    if (text.size() > kMaxLength)
      return spellingOf(e);
  }
  return text + ")";
}

} // namespace kiln::importer

namespace {

std::string argumentOf(const CallRule &rule, const ArgSpec &spec) {
  return "argument '" + spec.name.str() + "' of '" + rule.name.str() + "'";
}

std::string overLimit(const CallRule &rule, const ArgSpec &spec, const ast::Expr &e) {
  return argumentOf(rule, spec) + " is " + e.spelling + ", over the limit of " +
         std::to_string(kMaxIntegerArgument) + " (10^9) on an integer argument";
}

/// What is wrong with `e` as a value of `spec` (any kind but Tensor), or
/// nullopt when it fits.
std::optional<std::string> argProblem(const CallRule &rule, const ArgSpec &spec,
                                      const ast::Expr &e) {
  bool isInteger = e.kind == ast::Expr::Kind::Number && e.isInteger;
  switch (spec.kind) {
  case ArgKind::Tensor:
    return std::nullopt;
  case ArgKind::PositiveInt:
  case ArgKind::NonNegativeInt: {
    int64_t least = spec.kind == ArgKind::PositiveInt ? 1 : 0;
    if (!isInteger || e.number < least)
      return argumentOf(rule, spec) + " must be a " + (least ? "positive" : "non-negative") +
             " integer, got '" + spellingOf(e) + "'";
    if (e.number > kMaxIntegerArgument)
      return overLimit(rule, spec, e);
    return std::nullopt;
  }
  case ArgKind::Number:
    if (e.kind != ast::Expr::Kind::Number || !std::isfinite(e.number))
      return argumentOf(rule, spec) + " must be a number, got '" + spellingOf(e) + "'";
    return std::nullopt;
  case ArgKind::Bool:
    if (e.kind != ast::Expr::Kind::Name || (e.name != "true" && e.name != "false"))
      return argumentOf(rule, spec) + " must be true or false";
    return std::nullopt;
  case ArgKind::Init: {
    std::string message;
    if (failed(initSpec(e, message)))
      return message;
    return std::nullopt;
  }
  case ArgKind::Padding:
    if (e.kind == ast::Expr::Kind::Name && (e.name == "valid" || e.name == "same"))
      return std::nullopt;
    if (!isInteger || e.number < 0)
      return argumentOf(rule, spec) + " must be valid, same or a non-negative integer, got '" +
             spellingOf(e) + "'";
    if (e.number > kMaxIntegerArgument)
      return overLimit(rule, spec, e);
    return std::nullopt;
  }
  return std::nullopt;
}

/// "; by position, argument 3 of 'dense' is 'bias': to give 'init', write
/// init = he_normal", completing the message about positional argument
/// `position` that landed on `rule.args[slot]` but does not fit it, when an
/// argument not given yet would take it; empty otherwise.
std::string positionalHint(const CallRule &rule, size_t slot, size_t position, const ast::Expr &e,
                           llvm::ArrayRef<const ast::Expr *> given) {
  const ArgSpec &spec = rule.args[slot];
  for (size_t j = 0; j < rule.args.size(); ++j) {
    const ArgSpec &other = rule.args[j];
    if (j == slot || given[j] || other.kind == ArgKind::Tensor || argProblem(rule, other, e))
      continue;
    std::string landedOn =
        spec.variadic ? "one of its " + spec.name.str() : "'" + spec.name.str() + "'";
    return "; by position, argument " + std::to_string(position) + " of '" + rule.name.str() +
           "' is " + landedOn + ": to give '" + other.name.str() + "', write " + other.name.str() +
           " = " + expressionText(e);
  }
  return "";
}

} // namespace

LogicalResult Importer::checkArg(const CallRule &rule, const ArgSpec &spec, const ast::Expr &e,
                                 Value &tensor, const std::string &hint) {
  if (spec.kind != ArgKind::Tensor) {
    if (std::optional<std::string> problem = argProblem(rule, spec, e))
      return error(e.loc, *problem + hint);
    return success();
  }
  if (!hint.empty() && e.kind == ast::Expr::Kind::Number) // hint names a number's keyword
    return error(e.loc, "expected a tensor, found the number " + e.spelling + hint);
  FailureOr<Value> v = importExpr(e);
  if (failed(v))
    return failure();
  tensor = *v;
  return success();
}

LogicalResult Importer::bindArgs(const ast::Expr &call, const CallRule &rule, BoundArgs &out) {
  size_t count = rule.args.size();
  out.call = &call;
  out.exprs.assign(count, nullptr);
  out.tensors.assign(count, Value());
  // The 1-based position each spec was given at; 0 for a keyword.
  SmallVector<size_t, 8> positions(count, 0);
  size_t variadic = count;
  for (size_t i = 0; i < count; ++i)
    if (rule.args[i].variadic)
      variadic = i;
  size_t positionalCount =
      llvm::count_if(call.args, [](const ast::Arg &a) { return a.keyword.empty(); });

  size_t position = 0;
  bool seenKeyword = false;
  for (const ast::Arg &arg : call.args) {
    size_t slot = count;
    if (arg.keyword.empty()) {
      if (seenKeyword)
        return error(arg.loc, "positional argument after a keyword argument in call to '" +
                                  rule.name.str() + "'");
      slot = std::min(position++, variadic);
      if (slot >= count)
        return error(arg.loc, "too many arguments to '" + rule.name.str() + "': it takes " +
                                  std::to_string(count) + " (" + vocabulary::joinNames(rule.args) +
                                  "), got " + std::to_string(positionalCount));
      if (slot == variadic) {
        out.variadicExprs.push_back(arg.value.get());
        if (out.exprs[slot])
          continue;
      }
      positions[slot] = position;
    } else {
      seenKeyword = true;
      for (size_t i = 0; i < count; ++i)
        if (rule.args[i].name == arg.keyword)
          slot = i;
      if (slot == count)
        return error(arg.loc, "'" + rule.name.str() + "' has no argument named '" + arg.keyword +
                                  "' (it takes " + vocabulary::joinNames(rule.args) + ")");
      if (slot == variadic)
        return error(arg.loc, "the " + arg.keyword + " of '" + rule.name.str() +
                                  "' are given by position, not by keyword");
    }
    if (out.exprs[slot]) {
      std::string how = positions[slot] ? ": by position (argument " +
                                              std::to_string(positions[slot]) + ") and by keyword"
                                        : "";
      return error(arg.loc, argumentOf(rule, rule.args[slot]) + " given twice" + how);
    }
    out.exprs[slot] = arg.value.get();
  }

  for (size_t i = 0; i < count; ++i) {
    const ArgSpec &spec = rule.args[i];
    const ast::Expr *e = out.exprs[i];
    if (!e) {
      if (spec.required)
        return error(call.loc, "missing argument '" + spec.name.str() + "' in call to '" +
                                   rule.name.str() + "'");
      continue;
    }
    if (i == variadic) {
      for (size_t k = 0; k < out.variadicExprs.size(); ++k) {
        const ast::Expr &value = *out.variadicExprs[k];
        // A number among the tensors was likely meant for an argument
        // after them, which is given by keyword (concat's axis).
        std::string hint = positionalHint(rule, i, i + k + 1, value, out.exprs);
        Value tensor;
        if (failed(checkArg(rule, spec, value, tensor, hint)))
          return failure();
        out.variadicTensors.push_back(tensor);
      }
      out.tensors[i] = out.variadicTensors.front();
      continue;
    }
    // Only an optional argument can be one the writer meant for another.
    std::string hint = positions[i] && !spec.required
                           ? positionalHint(rule, i, positions[i], *e, out.exprs)
                           : std::string();
    if (failed(checkArg(rule, spec, *e, out.tensors[i], hint)))
      return failure();
  }
  return success();
}
