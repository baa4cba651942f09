#!/usr/bin/env bash
# Trains one of the examples end to end: installs what is missing, builds
# Kiln, fetches the data, compiles the example's model file and trains it.
#
#   scripts/example.sh lenet        LeNet-5 on MNIST (EPOCHS, default 4)
#   scripts/example.sh mnist_mlp    the MLP of the README (EPOCHS, default 12)
#   scripts/example.sh regression   an MLP on the diabetes data (EPOCHS,
#                                   default 60), then the linear-regression
#                                   baseline of examples/regression/linear.kiln
#   scripts/example.sh char_rnn     a byte-level LSTM on Moby-Dick (EPOCHS,
#                                   default 1), then text it writes
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
char_rnn)
  "$root/scripts/install-deps.sh"
  "$root/scripts/build.sh"
  "$root/scripts/fetch-moby-dick.sh"
  echo "compiling examples/char_rnn/model.kiln"
  "$build/bin/kilnc" "$root/examples/char_rnn/model.kiln" -o "$build/char_rnn"
  # The last 5% of the book is held out; the loss is in nats per byte.
  "$build/char_rnn" train --data "$data/moby-dick/moby-dick.txt" --test-fraction 0.05 \
    --epochs "${EPOCHS:-1}" --batch 64 --threads "${THREADS:-0}" --sample 600 --prompt "Call me "
  ;;
*)
  echo "usage: $0 lenet|mnist_mlp|regression|char_rnn" >&2
  exit 2
  ;;
esac
