#!/usr/bin/python3
"""Prints the metadata and each tensor's name, dtype, shape and sum of a Kiln checkpoint.

Kiln checkpoints are safetensors files, read here with numpy alone by
load_weights.read_safetensors (the reader of exported weights too): an 8-byte
little-endian header length N, N bytes of JSON mapping each tensor name to
{"dtype", "shape", "data_offsets": [begin, end]} (plus an optional
"__metadata__" object of strings), then the raw little-endian data, offsets
counted from its start. PyTorch's `safetensors` package reads them too.

    /usr/bin/python3 scripts/read_checkpoint.py run/model.safetensors
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_weights import read_safetensors  # noqa: E402

arrays, metadata = read_safetensors(sys.argv[1])
for key, value in metadata.items():
    print(f"metadata {key} = {value}")
for name, array in arrays.items():
    dtype = "I32" if array.dtype.kind == "i" else "F32"
    print(f"{name} {dtype} {list(array.shape)} sum={array.sum()}")
