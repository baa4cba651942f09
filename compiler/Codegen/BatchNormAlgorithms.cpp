//===- BatchNormAlgorithms.cpp - Batch normalization as Halide Funcs ------===//
//
// kiln.batch_norm_train and kiln.batch_norm_grad, each one kernel: per
// channel sums over every sample and position (KernelFuncs::ChannelSums,
// which the schedules run as row sums in vector lanes, then a sum over the
// batch), small per-channel coefficients computed in full, and the result
// as one elementwise pass over the input. The forward pass reads its input
// three times (the mean, the variance about it, the result) and writes the
// result once; the backward pass reads the gradient and the input twice.
//
//===----------------------------------------------------------------------===//
#include "Codegen/FunctionLowering.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::lowering;

Halide::Func FunctionLowering::channelSums(
    const Tensor &x, const std::string &name, int values,
    const std::function<std::vector<Halide::Expr>(const std::vector<Halide::Expr> &)> &term) {
  Halide::Var c("c"), n("n");
  Halide::Tuple zeros(std::vector<Halide::Expr>(values, Halide::cast(ft, 0)));
  // The `values` components of a reference to a sum (a Tuple's, or its one value).
  auto components = [&](const Halide::FuncRef &ref) {
    std::vector<Halide::Expr> parts;
    for (int k = 0; k < values; ++k)
      parts.push_back(values == 1 ? Halide::Expr(ref) : ref[k]);
    return parts;
  };
  auto plus = [&](const Halide::FuncRef &sum, const std::vector<Halide::Expr> &terms) {
    std::vector<Halide::Expr> total = components(sum);
    for (int k = 0; k < values; ++k)
      total[k] = total[k] + terms[k];
    return Halide::Tuple(total);
  };
  KernelFuncs::ChannelSums sums;
  Halide::Func rows;
  if (x.rank() > 2) {
    // Per sample and channel, over the positions (innermost first).
    std::vector<Halide::Range> positions;
    for (int d = x.rank() - 1; d >= 2; --d)
      positions.emplace_back(0, x.extents[d]);
    Halide::RDom r(positions, uniqueName("r"));
    std::vector<Halide::Expr> idx = {n, c};
    for (int d = 2; d < x.rank(); ++d)
      idx.push_back(r[x.rank() - 1 - d]);
    rows = Halide::Func(uniqueName(name + "_rows"));
    rows(c, n) = zeros;
    rows(c, n) = plus(rows(c, n), term(idx));
    sums.rows = rows;
    sums.positions = r;
  }
  Halide::RDom samples(0, x.extents[0], uniqueName("r"));
  Halide::Func total(uniqueName(name));
  total(c) = zeros;
  total(c) = plus(total(c), rows.defined() ? components(rows(c, samples)) : term({samples, c}));
  sums.total = total;
  funcs.channelSums.push_back(sums);
  return total;
}

LogicalResult FunctionLowering::lowerBatchNormOp(Operation *op) {
  using Halide::Expr;
  Halide::Var c("c");
  auto perChannel = [&](Halide::Func f) {
    return Tensor{f, {extentsOf(op->getOperand(0).getType())[1]}};
  };
  auto channelOf = [](const std::vector<Expr> &idx) { return idx[1]; };
  // M, the elements per channel: every sample's positions.
  auto countOf = [&](const Tensor &x) {
    Expr count = Halide::cast(ft, x.extents[0]);
    for (int d = 2; d < x.rank(); ++d)
      count = count * Halide::cast(ft, x.extents[d]);
    return count;
  };
  auto elementwiseOf = [&](Value result, auto body) {
    auto type = cast<RankedTensorType>(result.getType());
    std::vector<Halide::Var> v = vars(type.getRank());
    std::vector<Expr> idx = exprs(v);
    Halide::Func f(uniqueName(op->getName().stripDialect().str()));
    define(f, v, body(idx));
    tensors[result] = Tensor{f, extentsOf(type)};
  };

  if (auto bn = dyn_cast<BatchNormTrainOp>(op)) {
    Tensor x = tensorOf(bn.getInput()), gamma = tensorOf(bn.getGamma());
    Tensor beta = tensorOf(bn.getBeta());
    Expr count = countOf(x);
    Halide::Func sum = channelSums(x, "batch_mean", 1, [&](const std::vector<Expr> &idx) {
      return std::vector<Expr>{x.at(idx)};
    });
    Halide::Func mean(uniqueName("mean"));
    mean(c) = sum(c) / count;
    Halide::Func squares = channelSums(x, "batch_variance", 1, [&](const std::vector<Expr> &idx) {
      Expr centered = x.at(idx) - mean(channelOf(idx));
      return std::vector<Expr>{centered * centered};
    });
    Halide::Func variance(uniqueName("variance"));
    variance(c) = squares(c) / count;
    // y = (x - mean) * scale + beta per channel: exactly beta where x is
    // the mean (a channel of variance 0), which x * scale + shift is not.
    Halide::Func scale(uniqueName("batch_norm_scale"));
    Expr eps = Halide::cast(ft, Expr(bn.getEps().convertToDouble()));
    scale(c) = gamma.at({c}) / Halide::sqrt(variance(c) + eps);
    funcs.roots.push_back(scale);
    elementwiseOf(bn.getResult(), [&](const std::vector<Expr> &idx) {
      Expr ch = channelOf(idx);
      return (x.at(idx) - mean(ch)) * scale(ch) + beta.at({ch});
    });
    tensors[bn.getMean()] = perChannel(mean);
    tensors[bn.getVariance()] = perChannel(variance);
    return success();
  }

  auto grad = cast<BatchNormGradOp>(op);
  Tensor dy = tensorOf(grad.getGrad()), x = tensorOf(grad.getInput());
  Tensor mean = tensorOf(grad.getMean()), variance = tensorOf(grad.getVariance());
  Tensor gamma = tensorOf(grad.getGamma());
  Expr count = countOf(x);
  Halide::Func sums = channelSums(x, "batch_norm_grad_sums", 2, [&](const std::vector<Expr> &idx) {
    Expr g = dy.at(idx);
    return std::vector<Expr>{g, g * (x.at(idx) - mean.at({channelOf(idx)}))};
  });
  // r = 1 / sqrt(variance + eps); dbeta = sum dy; dgamma = r * sum dy (x - mean);
  // dx = gamma r (dy - dbeta / M - (x - mean) r dgamma / M).
  Halide::Func coefficients(uniqueName("batch_norm_grad_coefficients"));
  Expr r =
      1 / Halide::sqrt(variance.at({c}) + Halide::cast(ft, Expr(grad.getEps().convertToDouble())));
  coefficients(c) = {gamma.at({c}) * r, sums(c)[0] / count, r * r * sums(c)[1] / count, r};
  funcs.roots.push_back(coefficients);
  elementwiseOf(grad.getInputGrad(), [&](const std::vector<Expr> &idx) {
    Expr ch = channelOf(idx);
    return coefficients(ch)[0] *
           (dy.at(idx) - coefficients(ch)[1] - (x.at(idx) - mean.at({ch})) * coefficients(ch)[2]);
  });
  Halide::Func dgamma(uniqueName("gamma_grad")), dbeta(uniqueName("beta_grad"));
  dgamma(c) = sums(c)[1] * coefficients(c)[3];
  dbeta(c) = sums(c)[0];
  tensors[grad.getGammaGrad()] = perChannel(dgamma);
  tensors[grad.getBetaGrad()] = perChannel(dbeta);
  return success();
}
