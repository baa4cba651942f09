#!/usr/bin/env bash
# How long kilnc takes to compile models of growing size, cold and with a warm kernel cache
# (bench/compile_time.py; docs/performance.md reports the numbers).
#
#   bench/compile_time.sh [--quick] [--json FILE] [--kilnc PATH]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh"
exec /usr/bin/python3 "$root/bench/compile_time.py" "$@"
