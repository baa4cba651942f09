#!/usr/bin/env bash
# Peak resident memory of training the 784-2048-2048-10 MLP with Adam
# (bench/models/wide_mlp_adam.kiln): Kiln with update fusion (each update
# inside the kernel that computes its gradient, so that no gradient is
# stored), Kiln without (kilnc --no-fuse-updates: every gradient stored in
# full), and PyTorch on the same model and batch.
#
#   bench/memory.sh [BATCH...]      (default: 128)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
KILN_WITH_TORCH=1 "$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
ninja -C "$build" --quiet bench_memory_wide_mlp_adam bench_memory_wide_mlp_adam_unfused

batches=("$@")
[[ ${#batches[@]} -eq 0 ]] && batches=(128)
for batch in "${batches[@]}"; do
  "$build/bin/bench_memory_wide_mlp_adam" --batch "$batch"
  "$build/bin/bench_memory_wide_mlp_adam_unfused" --batch "$batch"
  /usr/bin/python3 "$root/bench/pytorch_memory.py" --batch "$batch"
done
