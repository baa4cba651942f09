#!/usr/bin/env bash
# Writes scikit-learn's diabetes regression set as one CSV file, the form the
# Kiln runtime reads (kiln::loadCsvDataset, or `NAME train --data FILE.csv`).
#
#   scripts/fetch-diabetes.sh [DEST]
#
# DEST defaults to ${KILN_DATA_DIR:-$HOME/.cache/kiln}/diabetes. The data comes
# from Debian's python3-sklearn package, which ships it as two gzipped files:
# diabetes_data_raw.csv.gz (442 rows of 10 space-separated features: age, sex,
# bmi, bp, s1..s6, in their original units) and diabetes_target.csv.gz (442
# targets: disease progression one year later). DEST/diabetes.csv gets one
# line per patient: the 10 features, then the target, comma-separated, no
# header. The file is written beside its final name and moved into place only
# once it checks out, so an interrupted run never leaves a bad file behind.
# On success it prints one line saying where the data is.
set -euo pipefail

dest="${1:-${KILN_DATA_DIR:-$HOME/.cache/kiln}/diabetes}"
rows=442
columns=11

script=fetch-diabetes.sh
source "$(dirname "$0")/lib/fetch.sh"

# Where scikit-learn keeps its bundled data sets: Debian's path, else the
# sklearn that python3 imports (a pip install).
find_data_dir() {
  local debian=/usr/lib/python3/dist-packages/sklearn/datasets/data
  if [[ -f $debian/diabetes_data_raw.csv.gz ]]; then
    echo "$debian"
    return
  fi
  command -v python3 >/dev/null || return 0
  python3 - 2>/dev/null <<'EOF' || true
import os, sklearn
print(os.path.join(os.path.dirname(sklearn.__file__), "datasets", "data"))
EOF
}

# Prints what is wrong with CSV file $1; prints nothing when it is good.
check_csv() {
  local path=$1
  if [[ ! -f $path ]]; then
    echo "missing"
    return
  fi
  local count
  count=$(wc -l <"$path" | tr -d ' ')
  if [[ $count != "$rows" ]]; then
    echo "has $count lines, expected $rows"
    return
  fi
  awk -F, -v want="$columns" \
    'NF != want { printf "line %d has %d columns, expected %d\n", NR, NF, want; exit }
     { for (i = 1; i <= NF; ++i) if ($i !~ /^[-+0-9.eE]+$/) {
         printf "line %d column %d is not a number: %s\n", NR, i, $i; exit } }' "$path"
}

if [[ -z $(check_csv "$dest/diabetes.csv") ]]; then
  echo "diabetes is in $dest/diabetes.csv"
  exit 0
fi

data_dir=$(find_data_dir)
features="$data_dir/diabetes_data_raw.csv.gz"
targets="$data_dir/diabetes_target.csv.gz"
if [[ -z $data_dir || ! -f $features || ! -f $targets ]]; then
  die "scikit-learn's diabetes data (diabetes_data_raw.csv.gz, diabetes_target.csv.gz) not" \
    "found; install it with: sudo apt-get install python3-sklearn"
fi
command -v zcat >/dev/null || die "zcat not found (package gzip)"
command -v paste >/dev/null || die "paste not found (package coreutils)"

mkdir -p "$dest" || die "cannot create $dest"
staged="$dest/.diabetes.csv.partial"
trap 'rm -f "$staged"' EXIT

# Features: runs of blanks become one comma; then the target pasted after them.
if ! paste -d, \
  <(zcat "$features" | sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//; s/[[:space:]]+/,/g') \
  <(zcat "$targets" | sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//') >"$staged"; then
  die "cannot write $staged from $features and $targets"
fi
problem=$(check_csv "$staged")
[[ -z $problem ]] || die "$staged (from $features and $targets): $problem"
mv -f "$staged" "$dest/diabetes.csv" || die "cannot move $staged to $dest/diabetes.csv"
echo "diabetes is in $dest/diabetes.csv"
