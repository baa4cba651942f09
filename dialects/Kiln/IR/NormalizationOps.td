//===- NormalizationOps.td - Batch normalization as fused ops --*- tablegen -*-===//
//
// Batch normalization's training form as one op for the forward pass and
// one for the backward pass, each one kernel: the statistics and the
// normalization of a layer in two passes over its input, rather than a
// composition of reductions and elementwise ops with a tensor stored
// between each. Included by KilnOps.td.
//
//===----------------------------------------------------------------------===//

def Kiln_BatchNormTrainOp : Kiln_Op<"batch_norm_train",
    [Pure, DeclareOpInterfaceMethods<Kiln_GradientOpInterface>]> {
  let summary = "Batch normalization with the batch's statistics";
  let description = [{
    Over an input [N, C, ...] (channels on dimension 1), per channel c:
    `mean[c]` and the biased `variance[c]` of every element of channel c (all
    N samples, all positions), and `result = (input - mean[c]) * gamma[c] /
    sqrt(variance[c] + eps) + beta[c]`. The running statistics are moved by
    kiln.update ops reading `mean` and `variance`; only `result` carries a
    gradient (kiln.batch_norm_grad).

    ```mlir
    %y, %mean, %var = kiln.batch_norm_train %x, %gamma, %beta {eps = 1.0e-5 : f64}
        : tensor<?x32x16x16xf32>, tensor<32xf32>, tensor<32xf32>
        -> tensor<?x32x16x16xf32>, tensor<32xf32>, tensor<32xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$input, Kiln_F32Tensor:$gamma, Kiln_F32Tensor:$beta,
                       F64Attr:$eps);
  let results = (outs Kiln_F32Tensor:$result, Kiln_F32Tensor:$mean, Kiln_F32Tensor:$variance);
  let assemblyFormat = [{
    $input `,` $gamma `,` $beta attr-dict `:` type($input) `,` type($gamma) `,` type($beta)
    `->` type($result) `,` type($mean) `,` type($variance)
  }];
  let hasVerifier = 1;
}

def Kiln_BatchNormGradOp : Kiln_Op<"batch_norm_grad", [Pure]> {
  let summary = "Gradients of kiln.batch_norm_train";
  let description = [{
    Given `grad` (the gradient of the result), the input, the batch's `mean`
    and `variance` and `gamma`, with `xhat = (input - mean[c]) * r[c]`,
    `r[c] = 1 / sqrt(variance[c] + eps)` and M the elements per channel:
    `beta_grad[c] = sum grad`, `gamma_grad[c] = sum grad * xhat`, and
    `input_grad = gamma[c] * r[c] * (grad - (beta_grad[c] + xhat * gamma_grad[c]) / M)`.

    ```mlir
    %dx, %dgamma, %dbeta = kiln.batch_norm_grad %dy, %x, %mean, %var, %gamma {eps = 1.0e-5 : f64}
        : tensor<?x32x16x16xf32>, tensor<?x32x16x16xf32>, tensor<32xf32>, tensor<32xf32>,
          tensor<32xf32> -> tensor<?x32x16x16xf32>, tensor<32xf32>, tensor<32xf32>
    ```
  }];
  let arguments = (ins Kiln_F32Tensor:$grad, Kiln_F32Tensor:$input, Kiln_F32Tensor:$mean,
                       Kiln_F32Tensor:$variance, Kiln_F32Tensor:$gamma, F64Attr:$eps);
  let results = (outs Kiln_F32Tensor:$input_grad, Kiln_F32Tensor:$gamma_grad,
                      Kiln_F32Tensor:$beta_grad);
  let assemblyFormat = [{
    $grad `,` $input `,` $mean `,` $variance `,` $gamma attr-dict `:` type($grad) `,`
    type($input) `,` type($mean) `,` type($variance) `,` type($gamma) `->` type($input_grad)
    `,` type($gamma_grad) `,` type($beta_grad)
  }];
  let hasVerifier = 1;
}
