#!/usr/bin/env bash
# Trains one of the examples end to end: installs what is missing, builds
# Kiln, fetches the data, compiles the example's model file and trains it.
#
#   scripts/example.sh lenet        LeNet-5 on MNIST (EPOCHS, default 4)
#   scripts/example.sh mnist_mlp    the MLP of the README (EPOCHS, default 12)
#   scripts/example.sh regression   an MLP on the diabetes data (EPOCHS,
#                                   default 60), then the linear-regression
#                                   baseline of examples/regression/linear.kiln
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
data=${KILN_DATA_DIR:-$HOME/.cache/kiln}
example=${1:-}

case "$example" in
lenet | mnist_mlp)
  "$root/scripts/install-deps.sh"
  "$root/scripts/build.sh"
  "$root/scripts/fetch-mnist.sh"
  default_epochs=12
  [ "$example" = lenet ] && default_epochs=4
  echo "compiling examples/$example/model.kiln"
  "$build/bin/kilnc" "$root/examples/$example/model.kiln" -o "$build/$example"
  "$build/$example" train --data "$data/mnist" --epochs "${EPOCHS:-$default_epochs}" \
    --batch 64 --threads "${THREADS:-0}"
  ;;
regression)
  "$root/scripts/install-deps.sh"
  "$root/scripts/build.sh"
  "$root/scripts/fetch-diabetes.sh" "$data/diabetes"
  csv="$data/diabetes/diabetes.csv"
  for model in model linear; do
    echo "compiling examples/regression/$model.kiln"
    "$build/bin/kilnc" "$root/examples/regression/$model.kiln" -o "$build/regression_$model"
  done
  # 20% of the patients (drawn from the seed) are held out as the test set.
  "$build/regression_model" train --data "$csv" --epochs "${EPOCHS:-60}" --batch 32 | tee "$build/regression_model.log"
  "$build/regression_linear" train --data "$csv" --epochs 300 --batch 32 > "$build/regression_linear.log"
  echo "linear regression baseline: $(grep '^final' "$build/regression_linear.log" | sed 's/^final //')"
  ;;
  ;;
*)
  echo "usage: $0 lenet|mnist_mlp|regression" >&2
  exit 2
  ;;
esac
