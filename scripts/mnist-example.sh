#!/usr/bin/env bash
# The main job: install what is missing, build Kiln, fetch MNIST, compile the
# example model to a native trainer and train it, printing progress and the
# final test accuracy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
epochs=${EPOCHS:-12}

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
"$root/scripts/fetch-mnist.sh"
data=${KILN_DATA_DIR:-$HOME/.cache/kiln}/mnist

echo "compiling examples/mnist_mlp/model.kiln"
"$build/bin/kilnc" "$root/examples/mnist_mlp/model.kiln" -o "$build/mnist_mlp"
# A tenth of the training images validates each epoch; the log and the
# curves land beside the binary, the best epoch's weights in mnist_mlp.run/.
run="$build/mnist_mlp.run"
"$build/mnist_mlp" train --data "$data" --epochs "$epochs" --batch 128 --val-fraction 0.1 \
  --patience 3 --checkpoint-dir "$run" --log "$run/log.csv" --plot "$run/curves.svg"
echo "log: $run/log.csv, curves: $run/curves.svg"
