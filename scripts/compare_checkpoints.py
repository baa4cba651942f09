#!/usr/bin/python3
"""Compares the tensors of two Kiln checkpoints (or exported safetensors files).

    compare_checkpoints.py A B [--rtol R] [--atol T] [--only-params]

Every tensor of A must be in B with the same shape, and every element must
satisfy |a - b| <= atol + rtol * |b|. Prints the largest difference of each
tensor and exits 1 when any tensor differs beyond the tolerance (or is
missing), 0 otherwise. Tests use it to compare training runs that sum in a
different order (data-parallel ranks, kernels of another target).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_weights import read_safetensors  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("a")
parser.add_argument("b")
parser.add_argument("--rtol", type=float, default=1e-5)
parser.add_argument("--atol", type=float, default=1e-6)
args = parser.parse_args()
a, _ = read_safetensors(args.a)
b, _ = read_safetensors(args.b)
failed = False
for name, x in a.items():
    if name not in b or b[name].shape != x.shape:
        print(f"{name}: missing or of another shape in {args.b}")
        failed = True
        continue
    y = b[name].astype(np.float64)
    x = x.astype(np.float64)
    excess = np.abs(x - y) - (args.atol + args.rtol * np.abs(y))
    worst = int(np.argmax(excess)) if x.size else 0
    ok = x.size == 0 or excess.flat[worst] <= 0
    diff = float(np.max(np.abs(x - y))) if x.size else 0.0
    print(f"{name}: max |a-b| {diff:.3g}{'' if ok else '  BEYOND TOLERANCE at element %d' % worst}")
    failed |= not ok
sys.exit(1 if failed else 0)
