#!/usr/bin/env bash
# The long fuzzing campaign (the test suite runs a short one):
#
#   scripts/fuzz.sh [model|data] [SECONDS] [extra libFuzzer flags...]
#
# Builds the libFuzzer targets (clang, AddressSanitizer, UndefinedBehaviorSanitizer) in
# ${KILN_BUILD_DIR:-build}/fuzz, then fuzzes one target (default: model, 3600 s) from the seed
# corpus and the regression inputs, keeping what it finds in ${KILN_BUILD_DIR}/fuzz-corpus/NAME.
# A crash, leak, timeout or out-of-memory input is written to ${KILN_BUILD_DIR}/fuzz-crashes/
# and the script fails; copy the input to test/fuzz/regressions/NAME/ (a name saying what it
# broke) and fix the bug: every build then replays it (the fuzz_NAME_replay test).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${KILN_BUILD_DIR:-$root/build}
target=${1:-model}
seconds=${2:-3600}
shift $(( $# > 2 ? 2 : $# ))
case "$target" in
  model) extra=(-dict="$root/test/fuzz/model.dict" -max_len=4096) ;;
  data) extra=(-max_len=4096) ;;
  *) echo "fuzz.sh: unknown target '$target' (model or data)" >&2; exit 2 ;;
esac

"$root/scripts/build.sh"
fuzzer="$build/fuzz/bin/kiln-fuzz-$target"
if [[ ! -x "$fuzzer" ]]; then
  echo "fuzz.sh: $fuzzer was not built; is clang (with libFuzzer) installed? (KILN_FUZZ=OFF?)" >&2
  exit 1
fi
seeds=("$build/test/fuzz/seeds/$target" "$root/test/fuzz/seeds/$target")
corpus="$build/fuzz-corpus/$target"
crashes="$build/fuzz-crashes"
mkdir -p "$corpus" "$crashes"
dirs=("$corpus")
for d in "${seeds[@]}" "$root/test/fuzz/regressions/$target"; do
  [[ -d "$d" ]] && dirs+=("$d")
done
exec "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 -print_final_stats=1 \
  -artifact_prefix="$crashes/$target-" "${extra[@]}" "$@" "${dirs[@]}"
