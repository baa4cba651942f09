#!/usr/bin/python3
"""Loads the weights that a Kiln training binary's `export` command writes.

`BIN export` writes a model's parameters either as one safetensors file or as
a directory of NumPy .npy files, one per parameter ("dense0.weight.npy").
This script reads both with numpy alone, converts them to torch tensors when
torch is installed, and, for examples/mnist_mlp, rebuilds the network in
numpy and torch from the exported weights and measures it on the MNIST test
set:

    kilnc examples/mnist_mlp/model.kiln -o mlp
    ./mlp train --data ~/.cache/kiln/mnist --checkpoint-dir run
    ./mlp export --checkpoint run/checkpoint.safetensors --layout torch \\
        --output mlp.safetensors
    ./mlp export --checkpoint run/checkpoint.safetensors --format npy --output mlp-npy

    /usr/bin/python3 scripts/load_weights.py mlp.safetensors
    /usr/bin/python3 scripts/load_weights.py mlp-npy
    /usr/bin/python3 scripts/load_weights.py mlp.safetensors --mnist-mlp ~/.cache/kiln/mnist

With `--layout torch`, dense layers' weights are [out, in] as nn.Linear holds
them, so `to_torch(arrays)` goes straight into `module.load_state_dict` once
the names match the module's. The default kiln layout keeps them [in, out].
"""
import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np

# safetensors dtype names -> little-endian numpy dtypes.
SAFETENSORS_DTYPES = {"F32": "<f4", "I32": "<i4"}


def read_safetensors(path):
    """Returns ({name: array}, {metadata key: value}) of a safetensors file.

    The format: an 8-byte little-endian header length N, N bytes of JSON that
    map each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
    (plus an optional "__metadata__" object of strings), then the raw
    little-endian data, offsets counted from its start.
    """
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    arrays = {}
    for name, info in header.items():
        if info["dtype"] not in SAFETENSORS_DTYPES:
            raise ValueError(f"{path}: tensor {name}: unsupported dtype {info['dtype']}")
        begin, end = info["data_offsets"]
        dtype = np.dtype(SAFETENSORS_DTYPES[info["dtype"]])
        if end - begin != dtype.itemsize * int(np.prod(info["shape"], dtype=np.int64)):
            raise ValueError(f"{path}: tensor {name}: {end - begin} bytes for shape {info['shape']}")
        # A copy: frombuffer's arrays are read-only views of `data`.
        arrays[name] = np.frombuffer(data[begin:end], dtype).reshape(info["shape"]).copy()
    return arrays, metadata


def read_npy_dir(path):
    """Returns {name: array} of a directory of <name>.npy files."""
    return {entry[: -len(".npy")]: np.load(os.path.join(path, entry))
            for entry in sorted(os.listdir(path)) if entry.endswith(".npy")}


def load(path):
    """Returns (arrays, metadata) of a safetensors file or an npy directory
    (whose metadata is empty)."""
    if os.path.isdir(path):
        return read_npy_dir(path), {}
    return read_safetensors(path)


def to_torch(arrays):
    """Returns {name: torch.Tensor} for `module.load_state_dict`; needs torch."""
    import torch

    return {name: torch.from_numpy(np.ascontiguousarray(a)) for name, a in arrays.items()}


def read_idx(path):
    """Returns an IDX file's array (uint8 images [n, rows, cols] or labels
    [n]); reads path + ".gz" when only the gzipped copy exists."""
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">ii", data[:8])
    dims = {2049: 1, 2051: 3}.get(magic)
    if dims is None:
        raise ValueError(f"{path}: not an IDX label or image file (magic {magic})")
    shape = struct.unpack(f">{dims}i", data[4 : 4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist_mlp_weights(arrays, metadata):
    """The (W, b) pairs of examples/mnist_mlp's dense0..dense2, W as [out, in].

    Exports in the kiln layout (metadata "layout", or for an npy directory
    the shape of dense0.weight, [784, 256]) are transposed.
    """
    kiln = metadata.get("layout") == "kiln" or (
        not metadata and arrays["dense0.weight"].shape == (784, 256))
    layers = []
    for i in range(3):
        w, b = arrays[f"dense{i}.weight"], arrays[f"dense{i}.bias"]
        layers.append((w.T if kiln else w, b))
    return layers


def mnist_mlp_numpy(layers, x):
    """The MLP's logits in numpy: y = x @ W.T + b, relu between layers."""
    for i, (w, b) in enumerate(layers):
        x = x @ w.T + b
        if i + 1 < len(layers):
            x = np.maximum(x, 0)
    return x


def mnist_mlp_torch(layers):
    """The MLP as torch.nn.Sequential, loaded with load_state_dict."""
    import torch

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    # Sequential names its modules by position: dense{i} is module 2 * i
    # (the ReLUs sit between).
    state = {}
    for i, (w, b) in enumerate(layers):
        state[f"{2 * i}.weight"], state[f"{2 * i}.bias"] = w, b
    model.load_state_dict(to_torch(state))
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", metavar="FILE_OR_DIR",
                        help="a .safetensors file or a directory of .npy files from BIN export")
    parser.add_argument("--mnist-mlp", metavar="DATA_DIR",
                        help="rebuild examples/mnist_mlp from the weights and print its "
                             "accuracy on DATA_DIR's t10k test files")
    args = parser.parse_args()

    arrays, metadata = load(args.path)
    for name, array in arrays.items():
        print(f"{name} {list(array.shape)} {array.dtype}")
    for key, value in metadata.items():
        print(f"metadata {key} = {value}")
    if not args.mnist_mlp:
        return 0

    images = read_idx(os.path.join(args.mnist_mlp, "t10k-images-idx3-ubyte"))
    labels = read_idx(os.path.join(args.mnist_mlp, "t10k-labels-idx1-ubyte"))
    x = images.reshape(len(images), -1).astype(np.float32) / 255
    layers = mnist_mlp_weights(arrays, metadata)
    predicted = mnist_mlp_numpy(layers, x).argmax(axis=1)
    print(f"numpy test accuracy: {100 * np.mean(predicted == labels):.2f}%")
    try:
        import torch
    except ImportError:
        return 0
    with torch.no_grad():
        logits = mnist_mlp_torch(layers)(torch.from_numpy(x))
    predicted = logits.argmax(dim=1).numpy()
    print(f"torch test accuracy: {100 * np.mean(predicted == labels):.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
