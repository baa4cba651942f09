#!/usr/bin/env bash
# Installs the Debian 12 packages Kiln needs to build and test. Idempotent and
# quiet when everything is already there. Needs root (or sudo) only when
# something is missing.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ git
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libhalide14-0-dev libfmt-dev libgtest-dev libgmock-dev zlib1g-dev
  nlohmann-json3-dev # header-only JSON, private to the runtime
  npm
  clang libclang-rt-14-dev # libFuzzer and the sanitizers' runtimes, for test/fuzz
  python3-sklearn # its diabetes data, for examples/regression
  openmpi-bin libopenmpi-dev # data-parallel training (kilnc --data-parallel), test/distributed
  pocl-opencl-icd ocl-icd-opencl-dev # OpenCL on the CPU, for tests of GPU builds
)
# Reference numbers and benchmarks (never needed by the product itself).
if [[ "${KILN_WITH_TORCH:-0}" == 1 ]]; then
  packages+=(python3-torch libopenblas0-pthread)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # npm may come from another source (e.g. NodeSource's nodejs).
    if [[ "$p" == npm ]] && command -v npm >/dev/null 2>&1; then continue; fi
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
