#!/usr/bin/python3
"""Prints the metadata and each tensor's name, dtype, shape and sum of a Kiln checkpoint.

Kiln checkpoints are safetensors files, and this reader, numpy alone, shows the
whole format: an 8-byte little-endian header length N, N bytes of JSON mapping
each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (plus an
optional "__metadata__" object of strings), then the raw little-endian data,
offsets counted from its start. PyTorch's `safetensors` package reads them too.

    /usr/bin/python3 scripts/read_checkpoint.py run/model.safetensors
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "I32": "<i4"}

with open(sys.argv[1], "rb") as f:
    (length,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(length))
    data = f.read()
for key, value in header.pop("__metadata__", {}).items():
    print(f"metadata {key} = {value}")
for name, info in header.items():
    begin, end = info["data_offsets"]
    array = np.frombuffer(data[begin:end], DTYPES[info["dtype"]]).reshape(info["shape"])
    print(f"{name} {info['dtype']} {list(array.shape)} sum={array.sum()}")
