"""Compares the per-epoch training losses of two --log JSON files (a CPU build
and a GPU build of one model, same seed and data): each loss within `--rtol`
relative of the other's, the training accuracies (of a classifier) within
`--acc-points` percentage points. Prints the largest relative difference."""
import argparse
import json
import sys

parser = argparse.ArgumentParser()
parser.add_argument("reference")
parser.add_argument("candidate")
parser.add_argument("--rtol", type=float, default=1e-4)
parser.add_argument("--acc-points", type=float, default=0.3)
parser.add_argument("--epochs", type=int, required=True)
args = parser.parse_args()

reference = json.load(open(args.reference))["epochs"]
candidate = json.load(open(args.candidate))["epochs"]
if len(reference) != args.epochs or len(candidate) != args.epochs:
    sys.exit(f"expected {args.epochs} epochs, got {len(reference)} and {len(candidate)}")
worst = 0.0
for r, c in zip(reference, candidate):
    a, b = r["train_loss"], c["train_loss"]
    rel = abs(a - b) / max(abs(a), 1e-30)
    worst = max(worst, rel)
    if not rel <= args.rtol:
        sys.exit(f"epoch {r['epoch']}: loss {b} against {a}, relative difference {rel:.3g}")
    if "train_accuracy" not in r:  # a regression reports errors, not accuracy
        continue
    points = 100 * abs(r["train_accuracy"] - c["train_accuracy"])
    if not points <= args.acc_points:
        sys.exit(f"epoch {r['epoch']}: training accuracy differs by {points:.2f} points")
print(f"{len(reference)} losses agree, largest relative difference {worst:.3g}")
