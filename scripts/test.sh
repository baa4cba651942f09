#!/usr/bin/env bash
# The whole test suite: install what is missing, build, fetch the test data,
# then run every test (GoogleTest units, gradient checks, the lit suite with
# the integration tests) through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
"$root/scripts/fetch-mnist.sh"
"$root/scripts/fetch-diabetes.sh" "${KILN_DATA_DIR:-$HOME/.cache/kiln}/diabetes"
"$root/scripts/fetch-moby-dick.sh"
cd "$build"
ctest --output-on-failure --timeout 1500 ${KILN_TEST_JOBS:+-j "$KILN_TEST_JOBS"}
