#!/usr/bin/env python3
"""Data-parallel training on this machine: 2 ranks x 1 thread against 1 process x 2 threads.

For each model, compiled with kilnc --data-parallel, the trainer's `bench` command times a
training step of the same global batch two ways, alternated in one script (timings drift
from minute to minute): one process with 2 threads, and `mpirun -np 2` with 1 thread per
rank, each rank stepping on half the batch and summing the gradients with the other. Under
mpirun, `bench` also reports how long summing every bucket of gradients takes on its own
(exchange_ms) and how long a step still waited for the sums it started while backward ran
(exchange_wait_ms): the share of a step spent in the exchange, and how much of it the
overlap hides. The machine's CPU model and its float32 sgemm peak (bench/pytorch_step.py
--sgemm, when python3-torch is installed) are recorded with the numbers.

    bench/distributed.sh [--quick] [--rounds N] [--json FILE]

Writes build/bench/distributed.json and prints a table. docs/distributed.md explains it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import machine_info  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "2"]
# (label, model file, global batch)
MODELS = [
    ("MLP 784-512-256-10, SGD", "bench/models/mlp.kiln", 512),
    ("LeNet-5, Adam", "examples/lenet/model.kiln", 128),
    ("MLP 784-2048-2048-10, Adam", "bench/models/wide_mlp_adam.kiln", 256),
    ("VGG-style CNN + batch norm, SGD", "bench/models/vgg_bn.kiln", 64),
]


def fail(message):
    print("distributed.py: error: " + message, file=sys.stderr)
    sys.exit(1)


def run_json(command):
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        fail("failed (exit %d): %s\n%s" % (done.returncode, " ".join(command), done.stderr))
    return json.loads(lines[-1])


def sgemm_peak():
    script = os.path.join(ROOT, "bench", "pytorch_step.py")
    try:
        result = run_json(["/usr/bin/python3", script, "--sgemm", "--json", "--threads", "1,2",
                           "--repeats", "3"])
    except (OSError, SystemExit):
        return None
    return result.get("sgemm_gflops")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer steps and rounds")
    parser.add_argument("--rounds", type=int, default=0, help="alternations (default 5, quick 2)")
    parser.add_argument("--json", default=os.path.join(ROOT, "build", "bench", "distributed.json"))
    parser.add_argument("--kilnc", default=os.path.join(ROOT, "build", "bin", "kilnc"))
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    steps = "20" if args.quick else "60"
    result = {"machine": machine_info(), "sgemm_gflops": sgemm_peak(), "models": []}
    with tempfile.TemporaryDirectory() as tmp:
        for label, path, batch in MODELS:
            binary = os.path.join(tmp, os.path.basename(os.path.dirname(path)) + "_" +
                                  os.path.splitext(os.path.basename(path))[0])
            subprocess.run([args.kilnc, os.path.join(ROOT, path), "--data-parallel", "-o", binary],
                           check=True, capture_output=True)
            bench = [binary, "bench", "--batch", str(batch), "--steps", steps, "--warmup", "5",
                     "--json"]
            one, two = [], []
            for _ in range(rounds):
                one.append(run_json(bench + ["--threads", "2"]))
                two.append(run_json(MPIRUN + bench + ["--threads", "1"]))
            row = {
                "model": label, "file": path, "batch": batch,
                "one_process_2_threads_ms": statistics.median(r["median_ms"] for r in one),
                "one_process_2_threads_p10_ms": min(r["p10_ms"] for r in one),
                "two_ranks_1_thread_ms": statistics.median(r["median_ms"] for r in two),
                "two_ranks_1_thread_p10_ms": min(r["p10_ms"] for r in two),
                "exchange_ms": statistics.median(r["exchange_ms"] for r in two),
                "exchange_wait_ms": statistics.median(r["exchange_wait_ms"] for r in two),
            }
            row["speedup"] = row["one_process_2_threads_ms"] / row["two_ranks_1_thread_ms"]
            row["exchange_share"] = row["exchange_ms"] / row["two_ranks_1_thread_ms"]
            row["hidden"] = (max(0.0, 1 - row["exchange_wait_ms"] / row["exchange_ms"])
                             if row["exchange_ms"] > 0 else 0.0)
            result["models"].append(row)
            print("%-34s batch %4d  1x2 threads %8.2f ms (p10 %7.2f)  2 ranks x1 %8.2f ms "
                  "(p10 %7.2f)  x%.2f  exchange %.2f ms (%.0f%% of a step), %.0f%% hidden"
                  % (label, batch, row["one_process_2_threads_ms"],
                     row["one_process_2_threads_p10_ms"], row["two_ranks_1_thread_ms"],
                     row["two_ranks_1_thread_p10_ms"], row["speedup"], row["exchange_ms"],
                     100 * row["exchange_share"], 100 * row["hidden"]), flush=True)
    print("\n| model | global batch | 1 process x 2 threads, ms/step (p10) | 2 ranks x 1 thread, "
          "ms/step (p10) | speed-up | gradient sums alone, ms/step (share of a step) | "
          "a step waited for them, ms |")
    print("|---|---|---|---|---|---|---|")
    for row in result["models"]:
        print("| %s | %d | %.2f (%.2f) | %.2f (%.2f) | %.2fx | %.2f (%.0f%%) | %.2f |"
              % (row["model"], row["batch"], row["one_process_2_threads_ms"],
                 row["one_process_2_threads_p10_ms"], row["two_ranks_1_thread_ms"],
                 row["two_ranks_1_thread_p10_ms"], row["speedup"], row["exchange_ms"],
                 100 * row["exchange_share"], row["exchange_wait_ms"]))
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
    print("cpu: %s; sgemm GFLOP/s: %s; written to %s"
          % (result["machine"].get("cpu"), result["sgemm_gflops"], args.json))


if __name__ == "__main__":
    main()
