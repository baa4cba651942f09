#!/usr/bin/env bash
# The whole test suite under AddressSanitizer (with LeakSanitizer) and
# UndefinedBehaviorSanitizer, in its own build folder:
#
#   scripts/sanitize.sh            # ${KILN_SANITIZE_BUILD_DIR:-build-sanitize}
#
# Every object of the tree and every trainer kilnc builds there is instrumented
# (KILN_SANITIZE=address,undefined); any report aborts the program that made
# it, so its test fails. The libFuzzer targets are left out here (they have
# sanitizers of their own, see scripts/fuzz.sh); their replay tests run.
# Takes about an hour on 2 cores from a cold compiler cache.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export KILN_BUILD_DIR=${KILN_SANITIZE_BUILD_DIR:-$root/build-sanitize}
export KILN_CMAKE_ARGS="-DKILN_SANITIZE=address,undefined -DKILN_FUZZ=OFF ${KILN_CMAKE_ARGS:-}"
# Reports stop the program with a non-zero status; LeakSanitizer reads
# scripts/lsan.supp for leaks in libraries outside this tree.
export ASAN_OPTIONS="abort_on_error=0:halt_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
exec "$root/scripts/test.sh"
