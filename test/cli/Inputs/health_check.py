"""Checks the gradient norms a --health run logged against the weights.

    health_check.py BEFORE.safetensors AFTER.safetensors LOG.csv LR

One full-batch SGD step took BEFORE to AFTER, so each parameter's gradient
is (before - after) / lr; a layer's norm is that of all its parameters
together. Compares with the log's last row (relative tolerance 1e-3).
"""
import csv
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts"))
from load_weights import read_safetensors  # noqa: E402

before, _ = read_safetensors(sys.argv[1])
after, _ = read_safetensors(sys.argv[2])
rows = list(csv.DictReader(open(sys.argv[3])))
lr = float(sys.argv[4])
print("columns", *[c for c in rows[-1] if c.startswith(("grad_norm_", "dead_"))])
for layer in ("dense0", "dense1"):
    squares = sum(float(np.sum(((before[n] - after[n]) / lr) ** 2))
                  for n in before if n.startswith(layer + "."))
    expected = np.sqrt(squares)
    logged = float(rows[-1]["grad_norm_" + layer])
    ok = abs(logged - expected) <= 1e-3 * max(expected, 1e-12)
    print(layer, "matches" if ok else f"differs: logged {logged}, weights give {expected}")
