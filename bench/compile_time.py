#!/usr/bin/env python3
"""How long kilnc takes to compile models of growing size (issue: compile time that scales).

For each model: a cold compile (nothing cached, kernels compiled in one process per core, the
default), the same on one process (-j 1), and where the row says so, a recompile with a warm
kernel cache after one layer's width changed. Then the relu-chain pair: a chain of 200 relus
against a chain of 50, whose ratio shows whether compile time grows linearly with a model's
length (4 is linear; the target is at most 4.5).

    bench/compile_time.sh [--quick] [--json FILE] [--kilnc PATH]

--quick skips the one-process compiles. Prints a table and writes every number to
build/bench/compile_time.json. The machine's CPU model is recorded with the numbers: compare
only numbers measured in the same run.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import cpu_seconds, machine_info  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (label, model file, (text to change, changed text) for the warm recompile or None)
MODELS = [
    ("MNIST MLP (3 dense)", "examples/mnist_mlp/model.kiln",
     ("dense(x, 256)", "dense(x, 300)")),
    ("LeNet-5", "examples/lenet/model.kiln", ("dense(flatten(c2), 120)", "dense(flatten(c2), 128)")),
    ("MLP, 16 dense layers of 64, Adam", "bench/models/deep_mlp16.kiln",
     ("h8     = relu(dense(h7, 64))", "h8     = relu(dense(h7, 80))")),
    ("VGG-style CNN, 6 conv + batch norm", "bench/models/vgg_bn.kiln",
     ("dense(flatten(c6), 256)", "dense(flatten(c6), 320)")),
]


def relu_chain(n):
    body = "\n".join("h%d = relu(h%d)" % (i + 1, i) for i in range(n))
    return ("model relu_chain%d\ninput x : f32[batch, 64]\nlabel y : i32[batch]\n"
            "h0 = dense(x, 64)\n%s\nlogits = dense(h%d, 10)\n"
            "loss = softmax_cross_entropy(logits, y)\noptimizer sgd(lr = 0.1)\n" % (n, body, n))


def compile_once(kilnc, model, out, extra):
    """Wall seconds of one compile, and what --time said about its kernels."""
    start = time.monotonic()
    proc = subprocess.run([kilnc, model, "-o", out, "--time"] + extra,
                          capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("kilnc failed on %s:\n%s" % (model, proc.stderr))
    m = re.search(r"(\d+) objects: (\d+) compiled in (\d+) process(?:es)?, (\d+) from the cache",
                  proc.stderr)
    return {"seconds": round(wall, 2), "objects": int(m.group(1)), "compiled": int(m.group(2)),
            "processes": int(m.group(3)), "cached": int(m.group(4))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the one-process compiles")
    parser.add_argument("--json", default=os.path.join(ROOT, "build", "bench", "compile_time.json"))
    parser.add_argument("--kilnc", default=os.path.join(ROOT, "build", "bin", "kilnc"))
    args = parser.parse_args()

    info = machine_info()
    busy0, own0 = cpu_seconds()
    start = time.monotonic()
    rows = []
    with tempfile.TemporaryDirectory(prefix="kiln-compile-time-") as tmp:
        models = [(label, os.path.join(ROOT, path), change) for label, path, change in MODELS]
        for n in (50, 200):
            path = os.path.join(tmp, "relu_chain%d.kiln" % n)
            with open(path, "w") as f:
                f.write(relu_chain(n))
            models.append(("chain of %d relus after a dense layer" % n, path, None))
        for label, path, change in models:
            out = os.path.join(tmp, "out")
            row = {"model": label, "file": os.path.relpath(path, ROOT)}
            row["cold"] = compile_once(args.kilnc, path, out, ["--no-cache"])
            if not args.quick:
                row["cold_one_process"] = compile_once(args.kilnc, path, out, ["--no-cache", "-j", "1"])
            if change:
                cache = os.path.join(tmp, "cache-" + str(len(rows)))
                compile_once(args.kilnc, path, out, ["--kernel-cache=" + cache])
                with open(path) as f:
                    text = f.read()
                if change[0] not in text:
                    sys.exit("%s no longer contains %r" % (path, change[0]))
                changed = os.path.join(tmp, "changed.kiln")
                with open(changed, "w") as f:
                    f.write(text.replace(change[0], change[1]))
                row["warm_after_change"] = compile_once(args.kilnc, changed, out,
                                                        ["--kernel-cache=" + cache])
                row["change"] = "%s -> %s" % change
            rows.append(row)
            print("%-40s %6.1f s cold" % (label, row["cold"]["seconds"]), file=sys.stderr)
    busy1, own1 = cpu_seconds()
    wall = time.monotonic() - start
    others = max(0.0, (busy1 - busy0) - (own1 - own0)) / wall

    chain = {r["model"]: r["cold"]["seconds"] for r in rows if "relus" in r["model"]}
    ratio = chain["chain of 200 relus after a dense layer"] / chain["chain of 50 relus after a dense layer"]

    print("\nCPU: %s, %d usable cores; kilnc %s" % (info["cpu"], info["usable_cores"], info["kiln_commit"]))
    if others > 0.1:
        print("warning: other processes used %.2f cores meanwhile; the numbers are unreliable" % others)
    print("\n| model | kernels + runtime | cold, -j %d (s) | cold, -j 1 (s) | warm, after a change (s) | recompiled |"
          % info["usable_cores"])
    print("|---|---|---|---|---|---|")
    for r in rows:
        one = r.get("cold_one_process")
        warm = r.get("warm_after_change")
        print("| %s | %d | %.1f | %s | %s | %s |" % (
            r["model"], r["cold"]["objects"], r["cold"]["seconds"],
            "%.1f" % one["seconds"] if one else "-",
            "%.1f" % warm["seconds"] if warm else "-",
            "%d of %d" % (warm["compiled"], warm["objects"]) if warm else "-"))
    print("\nchain of 200 relus / chain of 50: %.2f (4 is linear)" % ratio)

    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"machine": info, "other_load_cores": round(others, 2), "rows": rows,
                   "relu_chain_ratio_200_to_50": round(ratio, 2)}, f, indent=2)
    print("all numbers: %s" % args.json)


if __name__ == "__main__":
    main()
