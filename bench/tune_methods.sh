#!/usr/bin/env bash
# The search methods of `tune` at one budget on real data: each method runs
# TRIALS trials (default 12) of 2 epochs on the first 6000 MNIST training
# samples, validated on a tenth of them, for each of SEEDS seeds (default
# 1 2 3), and the table gives the best validation accuracy per method and
# seed and the mean. Grid search gets the grid nearest the budget (2 values
# per range: 16 trials).
#
#   bench/tune_methods.sh [TRIALS [SEEDS...]]
#
# Needs a built tree (scripts/build.sh) and MNIST (scripts/fetch-mnist.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
data=${KILN_MNIST_DIR:-$HOME/.cache/kiln/mnist}
trials=${1:-12}
shift || true
seeds=("$@")
[[ ${#seeds[@]} -eq 0 ]] && seeds=(1 2 3)

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-tune-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$build/bin/kilnc" "$root/bench/models/mnist_mlp_tune.kiln" -o "$work/mlp"

printf '%-16s' method
for seed in "${seeds[@]}"; do printf '  seed %-4s' "$seed"; done
printf '  %8s  %s\n' mean seconds
for method in random coarse-to-fine bayesian genetic grid; do
  budget=(--trials "$trials")
  [[ $method == grid ]] && budget=(--space 'lr=choice(0.01,0.1)' --space 'momentum=choice(0.5,0.9)'
                               --space 'l2=choice(1e-6,1e-4)' --space 'batch=choice(64,128)')
  printf '%-16s' "$method"
  values=()
  start=$SECONDS
  for seed in "${seeds[@]}"; do
    "$work/mlp" tune --data "$data" --method "$method" "${budget[@]}" --epochs 2 \
      --limit 6000 --val-fraction 0.1 --objective val-acc --seed "$seed" --threads 2 \
      --output "$work/$method-$seed" > "$work/$method-$seed.log"
    best=$(sed -n 's/^best: .*val-acc \([0-9.]*\)%$/\1/p' "$work/$method-$seed.log")
    printf '  %8s%%' "$best"
    values+=("$best")
  done
  printf '  %7.2f%%  %d\n' "$(printf '%s\n' "${values[@]}" | awk '{ s += $1 } END { print s / NR }')" \
    $((SECONDS - start))
done
