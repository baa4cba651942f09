#!/usr/bin/python3
"""PyTorch baseline: milliseconds per training step of a 784-256-128-10 ReLU MLP.

One step is what a Kiln train step does: forward, softmax cross-entropy, backward and a
plain SGD update (torch.optim.SGD, zero_grad included). The data is random and fixed, so
only the arithmetic is measured. Each thread setting runs warm-up steps first, then times
every step separately and reports the median (and the 10th and 90th percentiles).

Debian's python3-torch does its matrix products in whatever libblas.so.3 the system's
alternatives select. With only libblas3 installed that is the unoptimised reference BLAS,
and PyTorch is several times slower than with OpenBLAS (libopenblas0-pthread); the BLAS
actually loaded is printed with the results, so that a comparison says what it compares
against.

  /usr/bin/python3 bench/pytorch_mlp.py [--batch 128] [--threads 1,2] [--steps 200] [--json]
"""

import argparse
import ctypes
import json
import os
import platform
import statistics
import sys
import time

import torch

LAYERS = [784, 256, 128, 10]


def make_model():
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(LAYERS, LAYERS[1:])):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if i + 2 < len(LAYERS):
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def set_blas_threads(threads):
    """torch.set_num_threads does not reach OpenBLAS, which starts one thread per core:
    tell it directly, so that a setting means the same for the matrix products."""
    for path in loaded_blas():
        if "openblas" not in os.path.basename(path):
            continue
        library = ctypes.CDLL(path)
        if hasattr(library, "openblas_set_num_threads"):
            library.openblas_set_num_threads(threads)


def measure(batch, threads, steps, warmup, lr, seed):
    torch.set_num_threads(threads)
    set_blas_threads(threads)
    torch.manual_seed(seed)
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.rand(batch, LAYERS[0])
    y = torch.randint(0, LAYERS[-1], (batch,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = step()
        times.append((time.perf_counter() - start) * 1e3)
    if not torch.isfinite(loss):
        sys.exit("error: loss became %s" % loss.item())
    median = statistics.median(times)
    quantiles = statistics.quantiles(times, n=10) if len(times) > 1 else [median]
    return {
        "framework": "pytorch",
        "torch": torch.__version__,
        "model": "-".join(map(str, LAYERS)),
        "batch": batch,
        "threads": threads,
        "steps": steps,
        "median_ms": round(median, 4),
        "p10_ms": round(quantiles[0], 4),
        "p90_ms": round(quantiles[-1], 4),
        "samples_per_s": round(batch / median * 1e3, 1),
    }


def loaded_blas():
    """Real paths of the BLAS libraries mapped into this process."""
    found = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                name = os.path.basename(path)
                if path.startswith("/") and ("blas" in name or "mkl_rt" in name):
                    found.add(os.path.realpath(path))
    except OSError:
        return ["unknown"]
    return sorted(found) or ["none"]


def thread_list(text):
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            "expected a comma-separated list of integers, got %r" % text)
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("thread counts must be >= 1, got %r" % text)
    return values


def integer_at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(
                "expected an integer >= %d, got %r" % (minimum, text))
        return value
    return parse


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=integer_at_least(1), default=128,
                        help="samples per step (default 128)")
    parser.add_argument("--threads", type=thread_list, default=[1, 2],
                        help="comma-separated thread counts (default 1,2)")
    parser.add_argument("--steps", type=integer_at_least(1), default=200,
                        help="timed steps per setting (default 200)")
    parser.add_argument("--warmup", type=integer_at_least(0), default=20,
                        help="untimed steps first (default 20)")
    parser.add_argument("--lr", type=float, default=0.01, help="SGD learning rate (default 0.01)")
    parser.add_argument("--seed", type=int, default=1, help="seed of weights and data (default 1)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of lines")
    args = parser.parse_args()

    results = [measure(args.batch, threads, args.steps, args.warmup, args.lr, args.seed)
               for threads in args.threads]
    blas = loaded_blas()
    if args.json:
        print(json.dumps({"machine": platform.machine(), "cpus": os.cpu_count(), "blas": blas,
                          "results": results}, indent=2))
        return
    print("blas: %s" % ", ".join(blas))
    for r in results:
        print("pytorch %s  batch %d  threads %d: %.3f ms/step median (p10 %.3f, p90 %.3f)  "
              "%.0f samples/s" % (r["model"], r["batch"], r["threads"], r["median_ms"],
                                  r["p10_ms"], r["p90_ms"], r["samples_per_s"]))


if __name__ == "__main__":
    main()
