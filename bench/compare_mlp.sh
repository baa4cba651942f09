#!/usr/bin/env bash
# Kiln against PyTorch, side by side in one invocation: milliseconds per
# training step of the 784-256-128-10 MLP with SGD, at each batch size and
# thread setting, alternating the two so that both see the same machine state.
#
#   bench/compare_mlp.sh [BATCH...]      (default: 128)
#
# PyTorch is Debian's python3-torch with OpenBLAS (libopenblas0-pthread),
# its fastest configuration here; without it, Debian's torch falls back to
# the reference BLAS and is much slower.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
KILN_WITH_TORCH=1 "$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
ninja -C "$build" --quiet bench_train_step

batches=("$@")
[[ ${#batches[@]} -eq 0 ]] && batches=(128)
for batch in "${batches[@]}"; do
  for threads in 1 2; do
    for round in 1 2; do
      "$build/bin/bench_train_step" --batch "$batch" --threads "$threads" --steps 300
      /usr/bin/python3 "$root/bench/pytorch_mlp.py" --batch "$batch" --threads "$threads" --steps 300 \
        | grep -E "ms|blas" | head -2
    done
  done
done
