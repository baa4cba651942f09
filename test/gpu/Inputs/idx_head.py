"""Writes the first N records of an IDX image file and of its labels beside
it (train-labels-idx1-ubyte for train-images-idx3-ubyte) to OUT_DIR, under
the same names:
  idx_head.py IMAGES N OUT_DIR"""
import os
import struct
import sys

images, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
labels = os.path.join(os.path.dirname(images),
                      os.path.basename(images).replace("images-idx3", "labels-idx1"))
os.makedirs(out, exist_ok=True)
with open(images, "rb") as f:
    magic, total, rows, cols = struct.unpack(">IIII", f.read(16))
    assert count <= total, f"{images} holds {total} records, not {count}"
    pixels = f.read(count * rows * cols)
with open(labels, "rb") as f:
    label_magic, _ = struct.unpack(">II", f.read(8))
    values = f.read(count)
with open(os.path.join(out, os.path.basename(images)), "wb") as f:
    f.write(struct.pack(">IIII", magic, count, rows, cols) + pixels)
with open(os.path.join(out, os.path.basename(labels)), "wb") as f:
    f.write(struct.pack(">II", label_magic, count) + values)
