#!/usr/bin/python3
"""Kiln against PyTorch: milliseconds per training step of the benchmark models on this CPU.

  /usr/bin/python3 bench/compare.py [--quick] [--only mlp,lenet,vgg_bn,resnet,mlp6x1024,lstm,
                                    gru128,gru512,lstm128,lstm512] [--json FILE]
                                    [--kilnc build/bin/kilnc] [--autotune]

(bench/compare.sh installs PyTorch and builds Kiln first, then runs this.)

What it does, in order:
 1. Compiles every Kiln model variant with `kilnc --emit=exe`: the MLP (bench/models/mlp.kiln),
    LeNet-5 (examples/lenet/model.kiln), the LSTM (bench/models/lstm.kiln) and the others of
    MODELS, each with its optimizer line replaced by Adam (lr 1e-3) and by SGD (lr 0.01), as
    bench/pytorch_step.py trains them; the byte language models of issue 22 (GRU and LSTM,
    128 and 512 hidden units) by AdamW (lr 1e-3, weight decay 0.01) only, their files' own
    optimizer, with the files' global-norm clipping (which pytorch_step.py does too). The
    wall time of each kilnc run is the compile time. With --autotune, kilnc times each
    kernel's candidate schedules at batch 128 (`kilnc --autotune`) and keeps the winners in
    build/bench/schedules, so that a second run compiles at the usual speed.
 2. Measures the machine's float32 matrix-product peak (bench/pytorch_step.py --sgemm, the
    BLAS PyTorch uses, at 1 and 2 threads), and the CPU's own float32 peak (bench/fma_peak.cpp,
    built here with -march=native: chains of fused multiply-adds at the widest vector), again
    after each model, and keeps the highest measurement of each at each thread count.
 3. For each model, optimizer, batch size (MLP 32, 128, 512; LeNet-5 32, 128; LSTM 32; the
    byte language models 64; the others as MODELS says) and thread count (1, 2) runs the
    Kiln trainer's `bench` command and bench/pytorch_step.py alternately, Kiln, PyTorch,
    Kiln, PyTorch, each run a process of its own so that the two
    see the same machine state and peak memory is per run. Each run's median step time is
    kept, and of each side's two rounds the lower median (the round less disturbed by the
    rest of the machine); its percentiles and peak RSS come with it.
 4. Counts the floating-point work of one training step from the layer shapes (see FLOPS)
    and reports the rate each side reaches at its best thread count, and that rate as a
    share of the machine's sgemm peak (the best over 1 and 2 threads) and, for Kiln, of the
    CPU's multiply-add peak at the same thread count.

Prints a table (each column is described in docs/performance.md) and writes every number,
all rounds and thread counts, with the machine's description, to --json.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"  # Debian's, with python3-torch
PYTORCH_STEP = os.path.join(ROOT, "bench", "pytorch_step.py")

# One line replaces the model file's optimizer line; pytorch_step.py has the same table.
OPTIMIZERS = {
    "adam": "optimizer adam(lr = 1e-3)",
    "sgd": "optimizer sgd(lr = 0.01)",
    "adamw": "optimizer adamw(lr = 1e-3, weight_decay = 0.01)",
}
# The optimizers a model is trained with unless its MODELS entry names others.
DEFAULT_OPTIMIZERS = ("adam", "sgd")
THREADS = (1, 2)
ROUNDS = 2
RUN_TIMEOUT_S = 600


def dense(fan_in, fan_out):
    """Multiply-adds per sample of a dense layer."""
    return fan_in * fan_out


def conv2d(in_channels, out_channels, kernel, out_height, out_width):
    """Multiply-adds per sample of a convolution with an output of out_height x out_width."""
    return out_channels * out_height * out_width * in_channels * kernel * kernel


def vgg_products():
    """bench/models/vgg_bn.kiln: six 3x3 'same' convolutions in pairs of 32, 64 and 128
    channels on 32x32, 16x16 and 8x8 images, then dense 2048-256-10."""
    products, channels, size = [], 3, 32
    for out in (32, 32, 64, 64, 128, 128):
        products.append((conv2d(channels, out, 3, size, size), channels != 3))
        if out == channels:
            size //= 2  # max pooling after every second convolution
        channels = out
    return products + [(dense(2048, 256), True), (dense(256, 10), True)]


def resnet_products():
    """bench/models/resnet.kiln: the stem, then per block two 3x3 convolutions (the first of
    stride 2 from the second block on) and, where the shape changes, a 1x1 stride-2 shortcut;
    dense 128-10."""
    products = [(conv2d(3, 32, 3, 32, 32), False)]
    channels = 32
    for out, size in ((32, 32), (64, 16), (128, 8)):
        products += [(conv2d(channels, out, 3, size, size), True),
                     (conv2d(out, out, 3, size, size), True)]
        if out != channels:
            products.append((conv2d(channels, out, 1, size, size), True))
        channels = out
    return products + [(dense(128, 10), True)]


def byte_language_model(gates, units, steps, embedding):
    """A byte language model over `steps` steps: at every step the input projection
    (embedding -> gates x units; its input gradient carries the embedding's), the recurrent
    product (units -> gates x units, counted at every step though the first multiplies the
    zero state) and the output dense (units -> 256)."""
    return [(steps * dense(embedding, gates * units), True),
            (steps * dense(units, gates * units), True), (steps * dense(units, 256), True)]


# Per model: the file, the batch sizes, timed steps per run (--quick: a fifth), the
# optimizers it is trained with where not DEFAULT_OPTIMIZERS, and its matrix products as (multiply-adds per sample, whether the product's input needs a
# gradient). Elementwise work (activations, pooling, softmax, the optimizer update, the LSTM
# gates) is not counted.
MODELS = {
    "mlp": {
        "file": "bench/models/mlp.kiln", "batches": (32, 128, 512), "steps": 300,
        "products": [(dense(784, 512), False), (dense(512, 256), True), (dense(256, 10), True)],
    },
    "lenet": {
        "file": "examples/lenet/model.kiln", "batches": (32, 128), "steps": 150,
        "products": [(conv2d(1, 6, 5, 28, 28), False), (conv2d(6, 16, 5, 10, 10), True),
                     (dense(400, 120), True), (dense(120, 84), True), (dense(84, 10), True)],
    },
    # The convolutional network with batch norm (batch norm, pooling, dropout and
    # the update are not counted); PyTorch runs it in channels_last, its faster layout here.
    "vgg_bn": {
        "file": "bench/models/vgg_bn.kiln", "batches": (64, 128), "steps": 20,
        "products": vgg_products(),
    },
    "resnet": {
        "file": "bench/models/resnet.kiln", "batches": (64,), "steps": 20,
        "products": resnet_products(),
    },
    "mlp6x1024": {
        "file": "bench/models/mlp6x1024.kiln", "batches": (128, 512), "steps": 50,
        "products": [(dense(784, 1024), False)] + [(dense(1024, 1024), True)] * 5 +
                    [(dense(1024, 10), True)],
    },
    # 4 gates, 256 units, 32 steps, embedding 64.
    "lstm": {
        "file": "bench/models/lstm.kiln", "batches": (32,), "steps": 50,
        "products": byte_language_model(4, 256, 32, 64),
    },
}
# Issue 22's language models, gru128 ... lstm512: 48 steps, embedding 32, a GRU (3 gates) or an
# LSTM (4 gates) of 128 or 512 units, trained with AdamW only (their files clip the gradients).
MODELS.update({
    "%s%d" % (cell, units): {
        "file": "bench/models/%s%d.kiln" % (cell, units), "batches": (64,),
        "steps": 50 if units == 128 else 20, "optimizers": ("adamw",),
        "products": byte_language_model(gates, units, 48, 32),
    } for cell, gates in (("gru", 3), ("lstm", 4)) for units in (128, 512)})


def optimizers_of(model):
    return MODELS[model].get("optimizers", DEFAULT_OPTIMIZERS)


def training_flops(model, batch):
    """FLOPs of one training step: 2 per multiply-add of each product forward, the same again
    for its weight gradient, and again for its input gradient where the input needs one."""
    per_sample = sum(macs * (3 if input_grad else 2) for macs, input_grad in
                     MODELS[model]["products"])
    return 2 * batch * per_sample


def fail(message):
    sys.exit("compare.py: error: " + message)


def progress(message):
    print(message, file=sys.stderr, flush=True)


def run_json(command, what):
    """Runs `command` and returns the JSON object on the last line of its output."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        fail("%s took over %d s: %s" % (what, RUN_TIMEOUT_S, " ".join(command)))
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        fail("%s failed (exit %d): %s\n%s" % (what, done.returncode, " ".join(command),
                                              (done.stderr or done.stdout).strip()))
    try:
        return json.loads(lines[-1])
    except json.JSONDecodeError:
        fail("%s printed no JSON line: %s\n%s" % (what, " ".join(command), done.stdout.strip()))


def variant_source(model, optimizer):
    """The model file's text with its optimizer line replaced."""
    with open(os.path.join(ROOT, MODELS[model]["file"])) as f:
        text = f.read()
    text, count = re.subn(r"^optimizer\b.*$", OPTIMIZERS[optimizer], text, flags=re.M)
    if count != 1:
        fail("%s has %d optimizer lines, expected 1" % (MODELS[model]["file"], count))
    return text


def compile_variant(kilnc, model, optimizer, directory, flags):
    """Compiles one variant into `directory`; returns the trainer's path and the seconds kilnc
    took."""
    name = "bench_%s_%s" % (model, optimizer)
    source = os.path.join(directory, name + ".kiln")
    with open(source, "w") as f:
        f.write(variant_source(model, optimizer))
    trainer = os.path.join(directory, name)
    start = time.perf_counter()
    done = subprocess.run([kilnc, source, "--emit=exe", "--model-name", name, "-o", trainer] +
                          flags,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        fail("kilnc failed on %s (%s):\n%s" % (MODELS[model]["file"], optimizer,
                                               (done.stderr or done.stdout).strip()))
    check = subprocess.run([trainer, "bench", "--help"], capture_output=True, text=True)
    if check.returncode != 0 or "--warmup" not in check.stdout + check.stderr:
        fail("the trainer %s has no `bench` command (kilnc %s predates it: rebuild with "
             "scripts/build.sh)" % (trainer, kilnc))
    return trainer, seconds


def kiln_command(trainer, batch, threads, steps, warmup):
    return [trainer, "bench", "--batch", str(batch), "--threads", str(threads),
            "--steps", str(steps), "--warmup", str(warmup), "--json"]


def torch_command(model, optimizer, batch, threads, steps, warmup):
    return [PYTHON, PYTORCH_STEP, "--model", model, "--optimizer", optimizer,
            "--batch", str(batch), "--threads", str(threads), "--steps", str(steps),
            "--warmup", str(warmup), "--json"]


def measure_config(trainer, model, optimizer, batch, steps, warmup):
    """Both sides at each thread count, alternately, ROUNDS times each."""
    config = {"model": model, "optimizer": optimizer, "batch": batch, "steps": steps,
              "warmup": warmup, "kiln": {}, "pytorch": {}}
    for threads in THREADS:
        progress("%s %s batch %d, %d thread%s" % (model, optimizer, batch, threads,
                                                  "" if threads == 1 else "s"))
        kiln_rounds, torch_rounds = [], []
        for _ in range(ROUNDS):
            kiln_rounds.append(run_json(kiln_command(trainer, batch, threads, steps, warmup),
                                        "the Kiln trainer"))
            torch_rounds.append(run_json(torch_command(model, optimizer, batch, threads,
                                                       steps, warmup), "bench/pytorch_step.py"))
        config["kiln"][str(threads)] = {"rounds": kiln_rounds}
        config["pytorch"][str(threads)] = {"rounds": torch_rounds}
    return config


def measure_sgemm(quick):
    command = [PYTHON, PYTORCH_STEP, "--sgemm", "--json", "--threads",
               ",".join(map(str, THREADS)), "--repeats", "3" if quick else "5"]
    return run_json(command, "the sgemm measurement")


def build_fma_peak(work):
    binary = os.path.join(work, "fma_peak")
    command = ["c++", "-O2", "-march=native", "-pthread", "-o", binary,
               os.path.join(ROOT, "bench", "fma_peak.cpp")]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        fail("cannot build bench/fma_peak.cpp:\n" + result.stderr)
    return binary


def measure_fma_peak(binary):
    return run_json([binary] + [str(t) for t in THREADS], "the multiply-add peak measurement")


def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "kiln_commit": commit or "unknown",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def cpu_seconds():
    """(CPU seconds the whole machine has been busy, stolen time included; CPU seconds of this
    process and its finished children)."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is inside user)
    busy = sum(fields[i] for i in (0, 1, 2, 5, 6, 7)) / os.sysconf("SC_CLK_TCK")
    own = sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))
    return busy, own


def best_round(rounds):
    return min(rounds, key=lambda r: r["median_ms"])


def summarize(config, sgemm_peak, fma_peak, compile_s):
    """Adds each side's best thread count and the derived rates to one configuration."""
    flops = training_flops(config["model"], config["batch"])
    config["flops_per_step"] = flops
    for side in ("kiln", "pytorch"):
        by_threads = config[side]
        kept = {t: best_round(by_threads[t]["rounds"]) for t in by_threads}
        for t, result in kept.items():
            by_threads[t]["median_ms"] = result["median_ms"]
        threads = min(kept, key=lambda t: kept[t]["median_ms"])
        best = kept[threads]
        gflops = flops / best["median_ms"] / 1e6
        config[side + "_best"] = {
            "threads": int(threads), "median_ms": best["median_ms"],
            "p10_ms": best["p10_ms"], "p90_ms": best["p90_ms"],
            "peak_rss_mib": best["peak_rss_mib"], "gflops": round(gflops, 2),
            "fraction_of_sgemm_peak": round(gflops / sgemm_peak, 4),
            "fraction_of_fma_peak": round(gflops / fma_peak[threads], 4),
        }
    config["compile_s"] = compile_s
    config["pytorch_over_kiln"] = round(
        config["pytorch_best"]["median_ms"] / config["kiln_best"]["median_ms"], 3)


# The table: (group, heading, cell), the cell a function of one summarized configuration.
def _ms(side, threads):
    return lambda c: "%.2f" % c[side][str(threads)]["median_ms"]


def _percent_of_peak(side):
    return lambda c: "%.0f%%" % (100 * c[side + "_best"]["fraction_of_sgemm_peak"])


TABLE = [
    ("", "model", lambda c: c["model"]),
    ("", "opt", lambda c: c["optimizer"]),
    ("", "batch", lambda c: str(c["batch"])),
    ("Kiln ms/step", "best T", lambda c: str(c["kiln_best"]["threads"])),
    ("Kiln ms/step", "T=1", _ms("kiln", 1)),
    ("Kiln ms/step", "T=2", _ms("kiln", 2)),
    ("PyTorch ms/step", "best T", lambda c: str(c["pytorch_best"]["threads"])),
    ("PyTorch ms/step", "T=1", _ms("pytorch", 1)),
    ("PyTorch ms/step", "T=2", _ms("pytorch", 2)),
    ("", "PT/Kiln", lambda c: "%.2fx" % c["pytorch_over_kiln"]),
    ("GFLOP/s, % sgemm", "Kiln", lambda c: "%.1f" % c["kiln_best"]["gflops"]),
    ("GFLOP/s, % sgemm", "%", _percent_of_peak("kiln")),
    ("GFLOP/s, % sgemm", "PyTorch", lambda c: "%.1f" % c["pytorch_best"]["gflops"]),
    ("GFLOP/s, % sgemm", "%", _percent_of_peak("pytorch")),
    ("Kiln", "% FMA", lambda c: "%.0f%%" % (100 * c["kiln_best"]["fraction_of_fma_peak"])),
    ("peak RSS MiB", "Kiln", lambda c: "%.0f" % c["kiln_best"]["peak_rss_mib"]),
    ("peak RSS MiB", "PyTorch", lambda c: "%.0f" % c["pytorch_best"]["peak_rss_mib"]),
    ("", "compile s", lambda c: "%.1f" % c["compile_s"]),
]


def format_table(configs):
    rows = [[cell(c) for _, _, cell in TABLE] for c in configs]
    widths = [max([len(heading)] + [len(r[i]) for r in rows])
              for i, (_, heading, _) in enumerate(TABLE)]
    # Runs of columns under one group heading, as [first, last]; a heading wider than its
    # columns widens the last of them.
    spans = []
    for i, (group, _, _) in enumerate(TABLE):
        if spans and TABLE[spans[-1][0]][0] == group:
            spans[-1][1] = i
        else:
            spans.append([i, i])

    def span_width(first, last):
        return sum(widths[first:last + 1]) + 2 * (last - first)

    for first, last in spans:
        widths[last] += max(0, len(TABLE[first][0]) - span_width(first, last))
    groups = "  ".join(TABLE[first][0].center(span_width(first, last))
                       for first, last in spans)
    def line(cells):  # model and optimizer names to the left, numbers to the right
        return "  ".join(v.ljust(w) if i < 2 else v.rjust(w)
                         for i, (v, w) in enumerate(zip(cells, widths)))

    headings = line([h for _, h, _ in TABLE])
    lines = [groups.rstrip(), headings, "-" * len(headings)] + [line(r) for r in rows]
    return "\n".join(lines)


def parse_models(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown or not names:
        raise argparse.ArgumentTypeError("expected a comma-separated subset of %s, got %r" %
                                         (",".join(MODELS), text))
    return names


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="The table's columns are described in docs/performance.md.")
    parser.add_argument("--quick", action="store_true",
                        help="a fifth of the timed steps (a smoke test, not numbers to quote)")
    parser.add_argument("--only", type=parse_models, default=list(MODELS),
                        help="comma-separated models to run (default all: %s)" %
                             ",".join(MODELS))
    parser.add_argument("--json", default=os.path.join(ROOT, "build", "bench", "compare.json"),
                        help="where to write all results (default build/bench/compare.json)")
    parser.add_argument("--kilnc", default=os.path.join(ROOT, "build", "bin", "kilnc"),
                        help="the compiler (default build/bin/kilnc)")
    parser.add_argument("--autotune", action="store_true",
                        help="compile with kilnc --autotune (winners cached in "
                             "build/bench/schedules)")
    args = parser.parse_args()
    # Compile times are cold: every kernel compiled, none read from the kernel cache.
    flags = ["--no-cache"]
    if args.autotune:
        flags += ["--autotune",
                  "--schedule-cache=" + os.path.join(ROOT, "build", "bench", "schedules")]

    kilnc = os.path.abspath(args.kilnc)
    if not os.access(kilnc, os.X_OK):
        fail("no kilnc at %s (build it with scripts/build.sh, or pass --kilnc)" % kilnc)
    if not os.access(PYTHON, os.X_OK):
        fail("%s is missing (bench/compare.sh installs python3-torch)" % PYTHON)
    load_start = os.getloadavg()[0]
    if load_start > 0.5:
        progress("warning: load average %.2f: other processes will disturb the timings" %
                 load_start)

    configs = []
    compile_s = {}
    work = tempfile.mkdtemp(prefix="kiln-compare-")
    try:
        trainers = {}
        for model in args.only:
            for optimizer in optimizers_of(model):
                key = "%s_%s" % (model, optimizer)
                progress("compiling %s (%s)" % (MODELS[model]["file"], optimizer))
                trainers[key], seconds = compile_variant(kilnc, model, optimizer, work, flags)
                compile_s[key] = round(seconds, 2)

        # The sgemm peak is measured at the start and after each model, and the highest
        # measurement at each thread count kept: a busy machine can only lower it.
        progress("measuring sgemm and the multiply-add peak")
        fma_binary = build_fma_peak(work)
        sgemm_runs = [measure_sgemm(args.quick)]
        fma_runs = [measure_fma_peak(fma_binary)]
        cpu_start, wall_start = cpu_seconds(), time.perf_counter()
        for model in args.only:
            spec = MODELS[model]
            steps = max(spec["steps"] // 5, 5) if args.quick else spec["steps"]
            warmup = max(steps // 10, 3)
            for optimizer in optimizers_of(model):
                trainer = trainers["%s_%s" % (model, optimizer)]
                configs += [measure_config(trainer, model, optimizer, batch, steps, warmup)
                            for batch in spec["batches"]]
            progress("measuring sgemm and the multiply-add peak again")
            sgemm_runs.append(measure_sgemm(args.quick))
            fma_runs.append(measure_fma_peak(fma_binary))
        cpu_end, wall = cpu_seconds(), time.perf_counter() - wall_start
    finally:
        shutil.rmtree(work, ignore_errors=True)

    sgemm = {str(t): max(run["sgemm_gflops"][str(t)] for run in sgemm_runs) for t in THREADS}
    sgemm_peak = max(sgemm.values())
    fma = {str(t): max(run["gflops"][str(t)] for run in fma_runs) for t in THREADS}
    for config in configs:
        key = "%s_%s" % (config["model"], config["optimizer"])
        summarize(config, sgemm_peak, fma, compile_s[key])

    # Cores' worth of CPU that other processes (and the hypervisor) took while this ran.
    others = max(0.0, ((cpu_end[0] - cpu_start[0]) - (cpu_end[1] - cpu_start[1])) / wall)
    warnings = []
    if others > 0.1:
        warnings.append("other processes used %.2f cores on average during the run: the "
                        "timings are disturbed" % others)
    if len(THREADS) > 1 and sgemm[str(THREADS[-1])] < 1.5 * sgemm[str(THREADS[0])]:
        warnings.append("sgemm at %d threads is under 1.5 times sgemm at %d: the machine was "
                        "busy whenever it was measured, and the %% of peak columns are too "
                        "high" % (THREADS[-1], THREADS[0]))

    machine = machine_info()
    machine.update({"torch": sgemm_runs[0]["torch"], "blas": sgemm_runs[0]["blas"],
                    "load_average_start": round(load_start, 2),
                    "load_average_end": round(os.getloadavg()[0], 2),
                    "other_processes_cores": round(others, 3)})
    report = {
        "machine": machine,
        "kilnc": kilnc,
        "kilnc_flags": flags,
        "quick": args.quick,
        "rounds": ROUNDS,
        "sgemm": {"size": sgemm_runs[0]["size"], "gflops": sgemm, "peak_gflops": sgemm_peak,
                  "runs": [run["sgemm_gflops"] for run in sgemm_runs]},
        "fma_peak": {"isa": fma_runs[0]["isa"], "vector_bits": fma_runs[0]["vector_bits"],
                     "gflops": fma, "runs": [run["gflops"] for run in fma_runs]},
        "compile_s": compile_s,
        "configs": configs,
        "warnings": warnings,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")

    print("%s, %d cores; PyTorch %s, %s" % (machine["cpu"], machine["cores"], machine["torch"],
                                             machine["blas"]))
    if flags:
        print("Kiln compiled with kilnc %s" % " ".join(flags))
    print("sgemm %dx%d: %s GFLOP/s (peak %.1f)" % (
        report["sgemm"]["size"], report["sgemm"]["size"],
        ", ".join("%s at %s thread%s" % (g, t, "" if t == "1" else "s") for t, g in sgemm.items()),
        sgemm_peak))
    print("multiply-add peak (%s, %d-bit vectors): %s GFLOP/s" % (
        fma_runs[0]["isa"], fma_runs[0]["vector_bits"],
        ", ".join("%s at %s thread%s" % (g, t, "" if t == "1" else "s") for t, g in fma.items())))
    print("ms per training step, median (lower of %d rounds)%s" %
          (ROUNDS, "; --quick: few steps" if args.quick else ""))
    print()
    print(format_table(configs))
    print()
    for warning in warnings:
        print("warning: " + warning)
    print("all numbers: %s" % args.json)


if __name__ == "__main__":
    main()
