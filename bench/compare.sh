#!/usr/bin/env bash
# Kiln against PyTorch: milliseconds per training step of the MLPs, LeNet-5, the VGG- and
# ResNet-style CNNs and the recurrent models (with Adam and SGD; the language models with
# AdamW and clipping), at several batch sizes and 1 and 2 threads, with compile times,
# effective GFLOP/s against the machine's sgemm peak and peak memory (bench/compare.py;
# docs/performance.md explains the table).
#
#   bench/compare.sh [--quick] [--only mlp,lenet,vgg_bn,resnet,mlp6x1024,lstm,gru128,gru512,
#                    lstm128,lstm512] [--json FILE] [--autotune]
#
# PyTorch is Debian's python3-torch with OpenBLAS (libopenblas0-pthread),
# its fastest configuration here; without it, Debian's torch falls back to
# the reference BLAS and is much slower.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
KILN_WITH_TORCH=1 "$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
exec /usr/bin/python3 "$root/bench/compare.py" "$@"
