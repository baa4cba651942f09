#!/usr/bin/env bash
# Data-parallel training on this machine: 2 ranks x 1 thread against 1 process x 2 threads,
# and the share of a step spent summing gradients (bench/distributed.py; docs/distributed.md).
#
#   bench/distributed.sh [--quick] [--rounds N] [--json FILE]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
KILN_WITH_TORCH=1 "$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
exec python3 "$root/bench/distributed.py" "$@"
