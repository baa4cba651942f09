#!/usr/bin/env bash
# Configures (once) and builds Kiln into ${KILN_BUILD_DIR:-build} with Ninja;
# KILN_CMAKE_ARGS adds options to that first configuration.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${KILN_CMAKE_ARGS:-} >/dev/null
fi
ninja -C "$build" --quiet ${KILN_JOBS:+-j "$KILN_JOBS"}
