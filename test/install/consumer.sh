#!/usr/bin/env bash
# Installs a built Kiln into a fresh prefix and builds and runs consumer/, a
# project outside the tree that finds it with find_package(Kiln) and compiles
# a model with kiln_add_model(). Then moves the prefix elsewhere and checks
# that its kilnc still finds the runtime installed beside it and builds a
# trainer with it. Fails if any installed piece is missing or broken: kilnc,
# the runtime library or headers, or the CMake package.
#
#   consumer.sh KILN_BUILD_DIR [CMAKE [NINJA [CXX_COMPILER]]]
#
# It installs what KILN_BUILD_DIR holds, so build first (kilnc and KilnRuntime
# at least). Registered as the ctest `install_consumer` by test/CMakeLists.txt.
# Keeps its temporary directory when KILN_KEEP_TEMPS is set.
set -euo pipefail

build_dir=$(cd "$1" && pwd)
cmake=${2:-cmake}
ninja=${3:-}
cxx=${4:-}
src=$(cd "$(dirname "$0")/consumer" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-install-test.XXXXXX")
if [[ -z "${KILN_KEEP_TEMPS:-}" ]]; then
  trap 'rm -rf "$tmp"' EXIT
else
  echo "consumer.sh: keeping $tmp"
fi
prefix=$tmp/prefix

fail() {
  echo "consumer.sh: FAIL: $*" >&2
  exit 1
}

echo "== cmake --install $build_dir --prefix $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" >"$tmp/install.log" ||
  { cat "$tmp/install.log"; fail "cmake --install failed"; }

for f in bin/kilnc lib/libKilnRuntime.a include/kiln/CompiledModel.h include/kiln/Trainer.h \
         lib/cmake/Kiln/KilnConfig.cmake lib/cmake/Kiln/KilnConfigVersion.cmake \
         lib/cmake/Kiln/KilnTargets.cmake lib/cmake/Kiln/KilnModel.cmake; do
  [[ -e "$prefix/$f" ]] || fail "not installed: $f"
done
# Every public header of the source tree is installed.
for h in "$(dirname "$0")"/../../runtime/include/kiln/*.h; do
  [[ -e "$prefix/include/kiln/$(basename "$h")" ]] || fail "not installed: kiln/$(basename "$h")"
done
"$prefix/bin/kilnc" --help >/dev/null || fail "the installed kilnc does not run"

echo "== configure $src"
args=(-G Ninja -S "$src" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$prefix"
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON)
# The build's make program is used only when it is ninja; else ninja comes from PATH.
[[ "$(basename "$ninja")" == ninja* ]] && args+=(-DCMAKE_MAKE_PROGRAM="$ninja")
[[ -n "$cxx" ]] && args+=(-DCMAKE_CXX_COMPILER="$cxx")
"$cmake" "${args[@]}" >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log"; fail "configuring the consumer failed"; }
kiln_dir=$(sed -n 's/^Kiln_DIR:PATH=//p' "$tmp/build/CMakeCache.txt")
[[ "$kiln_dir" == "$prefix/lib/cmake/Kiln" ]] ||
  fail "find_package(Kiln) found '$kiln_dir', not the fresh install"

echo "== build"
"$cmake" --build "$tmp/build" >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; fail "building the consumer failed"; }

echo "== run"
"$tmp/build/consumer_app" | tee "$tmp/run.log" || fail "consumer_app failed"
grep -q '^epoch 5: loss [0-9.]*$' "$tmp/run.log" || fail "no loss for epoch 5"
grep -qx 'blobs: loss decreased, accuracy at least 90%' "$tmp/run.log" ||
  fail "the consumer did not train"

# Data-parallel through the C++ API, where Kiln has MPI: alone and on 2 ranks.
if [[ -e "$prefix/lib/libKilnDistributed.a" ]]; then
  [[ -x "$tmp/build/consumer_dp" ]] || fail "Kiln::Distributed is installed but consumer_dp was not built"
  "$tmp/build/consumer_dp" | tee "$tmp/dp1.log" || fail "consumer_dp failed alone"
  grep -qx 'blobs_dp on 1 process(es): loss decreased, accuracy at least 90%' "$tmp/dp1.log" ||
    fail "consumer_dp did not train alone"
  if command -v mpirun >/dev/null; then
    OMPI_MCA_btl_vader_single_copy_mechanism=none \
      mpirun --allow-run-as-root --oversubscribe -np 2 "$tmp/build/consumer_dp" | tee "$tmp/dp2.log" ||
      fail "consumer_dp failed on 2 ranks"
    grep -qx 'blobs_dp on 2 process(es): loss decreased, accuracy at least 90%' "$tmp/dp2.log" ||
      fail "consumer_dp did not train on 2 ranks"
    [[ $(grep -c '^epoch 5:' "$tmp/dp2.log") -eq 1 ]] || fail "ranks other than 0 printed"
  fi
fi

# An install is relocatable: moved, its kilnc takes the runtime headers and
# library from beside itself, not from the trees it was built in.
echo "== relocate"
mv "$prefix" "$tmp/moved"
moved=$(cd "$tmp/moved" && pwd -P) # kilnc sees its own path with symlinks resolved
"$moved/bin/kilnc" --print-runtime-dirs >"$tmp/dirs.log" || fail "the moved kilnc does not run"
cat "$tmp/dirs.log"
mapfile -t dirs <"$tmp/dirs.log"
[[ ${#dirs[@]} -eq 2 ]] || fail "--print-runtime-dirs printed ${#dirs[@]} lines, not 2"
[[ "${dirs[0]}" == "$moved/include" ]] || fail "the moved kilnc's runtime headers are '${dirs[0]}'"
[[ "${dirs[1]}" == "$moved/lib/libKilnRuntime.a" ]] ||
  fail "the moved kilnc's runtime library is '${dirs[1]}'"
[[ -n "$cxx" ]] && export CXX=$cxx
"$moved/bin/kilnc" "$src/model.kiln" --emit=exe -o "$tmp/moved_trainer" >"$tmp/exe.log" 2>&1 ||
  { cat "$tmp/exe.log"; fail "the moved kilnc cannot build a trainer"; }
"$tmp/moved_trainer" --help >/dev/null || fail "the trainer built by the moved kilnc does not run"
echo "consumer.sh: PASS"
