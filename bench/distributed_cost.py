#!/usr/bin/env python3
"""A cost model of data-parallel training on 8 to 64 machines, from numbers measured here.

For each example model: its trainable parameters (kilnc --emit=summary) and the time one
process takes per training sample on this machine (the trainer's `bench` at one thread). The
gradient sum is modelled as a ring allreduce, the algorithm Open MPI uses for large messages:
summing S bytes over p machines moves 2 (p-1)/p S bytes through each machine's link and takes
2 (p-1) steps, each paying the network's latency, once per bucket of at most 4 MiB (kilnc's
default):

    T_sum = buckets * 2 (p-1) * latency + 2 (p-1)/p * S / bandwidth

With no overlap counted (conservative: bench/distributed.py measures how much backward hides),
a step of global batch G takes (G/p) t_sample + T_sum, and scaling efficiency is the share of
it spent computing. Efficiency 80% or more needs (G/p) t_sample >= 4 T_sum, that is

    G >= 4 p T_sum / t_sample

    bench/distributed_cost.py [--json FILE]

Prints the table docs/distributed.md shows; every number comes from this run and this
machine's CPU (recorded): a faster CPU per machine needs a larger batch.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import machine_info  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# (label, model file, batch the per-sample time is measured at)
MODELS = [
    ("MNIST MLP", "examples/mnist_mlp/model.kiln", 128),
    ("LeNet-5", "examples/lenet/model.kiln", 128),
    ("char LSTM language model", "examples/char_rnn/model.kiln", 64),
    ("diabetes regression", "examples/regression/model.kiln", 128),
    ("VGG-style CNN + batch norm", "bench/models/vgg_bn.kiln", 64),
]
NETWORKS = [("10 Gb/s Ethernet (TCP)", 10e9 / 8, 30e-6), ("100 Gb/s (RDMA)", 100e9 / 8, 5e-6)]
MACHINES = [8, 16, 32, 64]
BUCKET_BYTES = 4 << 20


def ring_seconds(size_bytes, machines, bandwidth, latency):
    buckets = max(1, math.ceil(size_bytes / BUCKET_BYTES))
    return (buckets * 2 * (machines - 1) * latency +
            2 * (machines - 1) / machines * size_bytes / bandwidth)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", default=os.path.join(ROOT, "build", "bench",
                                                       "distributed_cost.json"))
    parser.add_argument("--kilnc", default=os.path.join(ROOT, "build", "bin", "kilnc"))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, path, batch in MODELS:
            model = os.path.join(ROOT, path)
            summary = subprocess.run([args.kilnc, model, "--emit=summary"], check=True,
                                     capture_output=True, text=True).stdout
            params = int(re.search(r"trainable: ([0-9,]+)", summary).group(1).replace(",", ""))
            binary = os.path.join(tmp, "model")
            subprocess.run([args.kilnc, model, "-o", binary], check=True, capture_output=True)
            bench = json.loads(subprocess.run(
                [binary, "bench", "--batch", str(batch), "--threads", "1", "--steps", "50",
                 "--json"], check=True, capture_output=True, text=True).stdout.splitlines()[-1])
            t_sample = bench["median_ms"] / 1000 / batch
            row = {"model": label, "parameters": params, "gradient_mib": params * 4 / 2**20,
                   "ms_per_sample": 1000 * t_sample, "batch_for_80_percent": {}}
            for net, bandwidth, latency in NETWORKS:
                for p in MACHINES:
                    t_sum = ring_seconds(params * 4, p, bandwidth, latency)
                    row["batch_for_80_percent"]["%s, %d machines" % (net, p)] = {
                        "sum_ms": 1000 * t_sum,
                        "global_batch": math.ceil(4 * p * t_sum / t_sample)}
            rows.append(row)
    print("| model | parameters | gradient (MiB) | ms/sample here | " +
          " | ".join("%s: %d" % (net.split(" (")[0], p) for net, _, _ in NETWORKS
                     for p in MACHINES) + " |")
    print("|---|---|---|---|" + "---|" * (len(NETWORKS) * len(MACHINES)))
    for row in rows:
        cells = []
        for net, _, _ in NETWORKS:
            for p in MACHINES:
                cell = row["batch_for_80_percent"]["%s, %d machines" % (net, p)]
                cells.append("%d (%.2f ms)" % (cell["global_batch"], cell["sum_ms"]))
        print("| %s | %d | %.2f | %.4f | %s |" % (row["model"], row["parameters"],
                                                 row["gradient_mib"], row["ms_per_sample"],
                                                 " | ".join(cells)))
    result = {"machine": machine_info(), "networks": NETWORKS, "rows": rows}
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
    print("cpu: %s; written to %s" % (result["machine"]["cpu"], args.json))


if __name__ == "__main__":
    main()
