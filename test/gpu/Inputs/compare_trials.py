"""Compares the objective of every trial of two `tune` runs (trials.csv of a
CPU build and a GPU build, same seed and data): the same trials, each
objective within `--rtol` relative of the other's."""
import argparse
import csv
import sys

parser = argparse.ArgumentParser()
parser.add_argument("reference")
parser.add_argument("candidate")
parser.add_argument("--objective", required=True, help="the column, e.g. val_loss")
parser.add_argument("--rtol", type=float, default=1e-4)
args = parser.parse_args()

reference = list(csv.DictReader(open(args.reference)))
candidate = list(csv.DictReader(open(args.candidate)))
if len(reference) != len(candidate) or not reference:
    sys.exit(f"{len(reference)} trials against {len(candidate)}")
worst = 0.0
for r, c in zip(reference, candidate):
    a, b = float(r[args.objective]), float(c[args.objective])
    rel = abs(a - b) / max(abs(a), 1e-30)
    worst = max(worst, rel)
    if not rel <= args.rtol:
        sys.exit(f"trial {r['trial']}: {args.objective} {b} against {a}, relative difference {rel:.3g}")
print(f"{len(reference)} trials agree, largest relative difference {worst:.3g}")
