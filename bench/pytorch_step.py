#!/usr/bin/python3
"""PyTorch side of bench/compare.py: milliseconds per training step of the speed benchmark's
models, measured the way a Kiln trainer's `bench` command measures them.

The models are the Kiln files' models layer for layer:
  mlp    bench/models/mlp.kiln: 784-512-256-10 ReLU MLP
  lenet  examples/lenet/model.kiln: LeNet-5 (5x5 convolutions, the first padded to 28x28,
         2x2 max pooling, dense 400-120-84-10)
  lstm   bench/models/lstm.kiln: embedding(256, 64), LSTM with 256 hidden units returning
         every one of 32 steps, dense(256) on each step, cross-entropy over all of them
  gru128, gru512, lstm128, lstm512
         bench/models/<name>.kiln: byte language models of issue 22, embedding(256, 32), a
         GRU or LSTM with 128 or 512 hidden units returning every one of 48 steps,
         dense(256) on each step, cross-entropy over all of them; their gradients clipped to
         a global norm of 1 (torch.nn.utils.clip_grad_norm_, as the files' `clip
         global_norm(max_norm = 1.0)`) before the update
trained with Adam (lr 1e-3), SGD (lr 0.01) or AdamW (lr 1e-3, weight decay 0.01, the byte
language models' optimizer) on one fixed batch of seeded random data.

One step is what a Kiln train step does: zero_grad(set_to_none=True), forward, softmax
cross-entropy, backward, clipping where the model file clips, optimizer.step(). After the warm-up steps every step is timed alone
with perf_counter; the median and the 10th and 90th percentiles are nearest-rank, as in
runtime/src/Bench.cpp. peak_rss_mib is getrusage's peak for the whole process (interpreter and
libraries included), so each measurement wants a process of its own.

--sgemm measures the machine instead: the best of several float32 torch.mm products of two
square matrices at each thread count, in GFLOP/s, and the BLAS library doing them.

torch.set_num_threads does not reach OpenBLAS (Debian's torch does its matrix products in
the system's libblas.so.3, OpenBLAS with libopenblas0-pthread installed; the unoptimised
reference BLAS otherwise), which starts one thread per core: the thread count is given to
both. The two are separate thread pools, and with more than one thread each keeps a worker
that spins while it waits for work: PyTorch's OpenMP (libgomp) workers and OpenBLAS's
pthreads then take the cores from each other, and on a 2-core machine a step at 2 threads
takes from 1.2 to 30 times as long as it should, varying from run to run (the MLP at batch
128 with Adam: 5 to 200 ms). OMP_WAIT_POLICY=passive, which makes the OpenMP workers sleep
at once, avoids that; this script sets it unless the environment already does (it must be
set before torch is imported).

  /usr/bin/python3 bench/pytorch_step.py --model mlp --optimizer adam --batch 128 \\
      --threads 1 --steps 200 --warmup 20 --json
  /usr/bin/python3 bench/pytorch_step.py --sgemm [--threads 1,2] [--size 2048]
"""

import argparse
import ctypes
import json
import math
import os
import resource
import sys
import time

if "OMP_WAIT_POLICY" not in os.environ:
    os.environ["OMP_WAIT_POLICY"] = "passive"  # see above; read when libgomp loads

import torch  # noqa: E402
from torch import nn  # noqa: E402

OPTIMIZERS = {
    "adam": lambda params: torch.optim.Adam(params, lr=1e-3),
    "sgd": lambda params: torch.optim.SGD(params, lr=0.01),
    "adamw": lambda params: torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01),
}

LSTM_STEPS, LSTM_VOCAB = 32, 256
LM_STEPS, LM_VOCAB = 48, 256


class ByteLstm(nn.Module):
    """bench/models/lstm.kiln: next-byte logits at every step."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(LSTM_VOCAB, 64)
        self.lstm = nn.LSTM(64, 256, batch_first=True)
        self.out = nn.Linear(256, LSTM_VOCAB)

    def forward(self, text):
        hidden, _ = self.lstm(self.embed(text))
        return self.out(hidden).reshape(-1, LSTM_VOCAB)


class ByteLanguageModel(nn.Module):
    """bench/models/{gru,lstm}{128,512}.kiln: embedding(256, 32), the recurrent layer over
    48 steps returning every step, next-byte logits at every step."""

    def __init__(self, recurrent, units):
        super().__init__()
        self.embed = nn.Embedding(LM_VOCAB, 32)
        self.recurrent = recurrent(32, units, batch_first=True)
        self.out = nn.Linear(units, LM_VOCAB)

    def forward(self, text):
        hidden, _ = self.recurrent(self.embed(text))
        return self.out(hidden).reshape(-1, LM_VOCAB)


def byte_language_model(recurrent, units):
    """A MODELS entry for one of the byte language models."""
    return (lambda: ByteLanguageModel(recurrent, units),
            lambda b: torch.randint(0, LM_VOCAB, (b, LM_STEPS)),
            lambda b: torch.randint(0, LM_VOCAB, (b * LM_STEPS,)))


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2),  # 6 x 14 x 14
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),                  # 16 x 5 x 5
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def vgg_bn():
    """bench/models/vgg_bn.kiln: conv 3x3 + batch norm + relu in pairs of 32, 64 and 128
    channels, max pooling after each pair, dense 2048-256 with dropout 0.5, dense 256-10."""
    layers, channels = [], 3
    for out in (32, 32, 64, 64, 128, 128):
        layers += [nn.Conv2d(channels, out, 3, padding="same"), nn.BatchNorm2d(out), nn.ReLU()]
        if out == channels:
            layers.append(nn.MaxPool2d(2))
        channels = out
    layers += [nn.Flatten(), nn.Linear(2048, 256), nn.ReLU(), nn.Dropout(0.5),
               nn.Linear(256, 10)]
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """conv 3x3 (stride) + BN + relu, conv 3x3 + BN, plus the shortcut (a 1x1 stride
    convolution + BN where the shape changes), then relu."""

    def __init__(self, channels, out, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, out, 3, stride=stride, padding=1), nn.BatchNorm2d(out), nn.ReLU(),
            nn.Conv2d(out, out, 3, padding=1), nn.BatchNorm2d(out))
        self.shortcut = (nn.Identity() if stride == 1 and channels == out else
                         nn.Sequential(nn.Conv2d(channels, out, 1, stride=stride),
                                       nn.BatchNorm2d(out)))

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def resnet():
    """bench/models/resnet.kiln: a 3x3 stem of 32, residual blocks of 32 (32x32), 64
    (16x16) and 128 (8x8) channels, global average pooling, dense 128-10."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        ResidualBlock(32, 32, 1), ResidualBlock(32, 64, 2), ResidualBlock(64, 128, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))


def mlp6x1024():
    """bench/models/mlp6x1024.kiln: 784 -> six hidden layers of 1024 (relu) -> 10."""
    layers, width = [], 784
    for _ in range(6):
        layers += [nn.Linear(width, 1024), nn.ReLU()]
        width = 1024
    return nn.Sequential(*layers, nn.Linear(1024, 10))


# name: (module, batch of inputs, batch of labels), both as functions of the batch size.
MODELS = {
    "mlp": (mlp, lambda b: torch.rand(b, 784), lambda b: torch.randint(0, 10, (b,))),
    "lenet": (lenet, lambda b: torch.rand(b, 1, 28, 28), lambda b: torch.randint(0, 10, (b,))),
    "vgg_bn": (vgg_bn, lambda b: torch.rand(b, 3, 32, 32), lambda b: torch.randint(0, 10, (b,))),
    "resnet": (resnet, lambda b: torch.rand(b, 3, 32, 32), lambda b: torch.randint(0, 10, (b,))),
    "mlp6x1024": (mlp6x1024, lambda b: torch.rand(b, 784), lambda b: torch.randint(0, 10, (b,))),
    "lstm": (ByteLstm, lambda b: torch.randint(0, LSTM_VOCAB, (b, LSTM_STEPS)),
             lambda b: torch.randint(0, LSTM_VOCAB, (b * LSTM_STEPS,))),
    "gru128": byte_language_model(nn.GRU, 128),
    "gru512": byte_language_model(nn.GRU, 512),
    "lstm128": byte_language_model(nn.LSTM, 128),
    "lstm512": byte_language_model(nn.LSTM, 512),
}

# Models whose file clips the gradients to a global norm (`clip global_norm(max_norm)`).
CLIP_GLOBAL_NORM = {"gru128": 1.0, "gru512": 1.0, "lstm128": 1.0, "lstm512": 1.0}


# Convolutional nets PyTorch runs in channels_last (NHWC), faster with oneDNN than NCHW here.
CHANNELS_LAST = {"vgg_bn", "resnet"}


def loaded_blas():
    """Real paths of the BLAS libraries mapped into this process."""
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            name = os.path.basename(path)
            if path.startswith("/") and ("blas" in name or "mkl_rt" in name):
                found.add(os.path.realpath(path))
    return sorted(found)


def openblas_libraries():
    libraries = []
    for path in loaded_blas():
        library = ctypes.CDLL(path)
        if hasattr(library, "openblas_set_num_threads"):
            libraries.append(library)
    return libraries


def set_threads(threads):
    torch.set_num_threads(threads)
    for library in openblas_libraries():
        library.openblas_set_num_threads(threads)


def blas_description():
    """OpenBLAS's own configuration string (version, kernel chosen for this CPU) when it is
    the BLAS in use, else the library paths."""
    for library in openblas_libraries():
        if hasattr(library, "openblas_get_config"):
            library.openblas_get_config.restype = ctypes.c_char_p
            config = library.openblas_get_config().decode().strip()
            if hasattr(library, "openblas_get_corename"):
                library.openblas_get_corename.restype = ctypes.c_char_p
                config += " (core %s)" % library.openblas_get_corename().decode()
            return config
    return ", ".join(loaded_blas()) or "none found"


def nearest_rank(sorted_values, p):
    # runtime/src/Bench.cpp: sorted[lround(p * (n - 1))].
    return sorted_values[int(math.floor(p * (len(sorted_values) - 1) + 0.5))]


def measure_step(model_name, optimizer_name, batch, threads, steps, warmup, seed):
    set_threads(threads)
    torch.manual_seed(seed)
    make_model, make_x, make_y = MODELS[model_name]
    model = make_model()
    optimizer = OPTIMIZERS[optimizer_name](model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    x, y = make_x(batch), make_y(batch)
    if model_name in CHANNELS_LAST:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        if model_name in CLIP_GLOBAL_NORM:
            nn.utils.clip_grad_norm_(model.parameters(), CLIP_GLOBAL_NORM[model_name])
        optimizer.step()
        return loss

    for _ in range(warmup):
        step()
    ms = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = step()
        ms.append((time.perf_counter() - start) * 1e3)
    if not torch.isfinite(loss):
        sys.exit("error: the loss of the last step is %s" % loss.item())
    ms.sort()
    return {
        "model": "pytorch_" + model_name,
        "optimizer": optimizer_name,
        "batch": batch,
        "threads": threads,
        "steps": steps,
        "median_ms": round(nearest_rank(ms, 0.5), 4),
        "p10_ms": round(nearest_rank(ms, 0.1), 4),
        "p90_ms": round(nearest_rank(ms, 0.9), 4),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
    }


def measure_sgemm(thread_counts, size, repeats):
    a, b = torch.rand(size, size), torch.rand(size, size)
    c = torch.empty(size, size)
    gflops = {}
    for threads in thread_counts:
        set_threads(threads)
        torch.mm(a, b, out=c)  # warm-up: threads started, pages touched
        best = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            torch.mm(a, b, out=c)
            best = min(best, time.perf_counter() - start)
        gflops[str(threads)] = round(2.0 * size ** 3 / best / 1e9, 2)
    return {"sgemm_gflops": gflops, "size": size, "repeats": repeats,
            "blas": blas_description(), "torch": torch.__version__}


def integer_at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError("expected an integer >= %d, got %r" % (minimum, text))
        return value
    return parse


def thread_list(text):
    parse = integer_at_least(1)
    return [parse(part) for part in text.split(",")]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="models: %s (see the top of this file)" % ", ".join(MODELS))
    parser.add_argument("--model", choices=sorted(MODELS), default="mlp")
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    parser.add_argument("--batch", type=integer_at_least(1), default=128,
                        help="samples per step (default 128)")
    parser.add_argument("--threads", default=None,
                        help="threads (default 1); with --sgemm a comma-separated list "
                             "(default 1,2)")
    parser.add_argument("--steps", type=integer_at_least(1), default=200,
                        help="timed steps (default 200)")
    parser.add_argument("--warmup", type=integer_at_least(0), default=20,
                        help="untimed steps first (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="seed of weights and data (default 1)")
    parser.add_argument("--json", action="store_true", help="print one line of JSON")
    parser.add_argument("--sgemm", action="store_true",
                        help="measure float32 matrix product GFLOP/s instead of a model")
    parser.add_argument("--size", type=integer_at_least(1), default=2048,
                        help="--sgemm: rows and columns of the matrices (default 2048)")
    parser.add_argument("--repeats", type=integer_at_least(1), default=5,
                        help="--sgemm: products timed per thread count, best kept (default 5)")
    args = parser.parse_args()

    if args.sgemm:
        threads = thread_list(args.threads or "1,2")
        result = measure_sgemm(threads, args.size, args.repeats)
        if args.json:
            print(json.dumps(result))
        else:
            print("blas: %s" % result["blas"])
            for t, g in result["sgemm_gflops"].items():
                print("sgemm %dx%d, %s threads: %.1f GFLOP/s" % (args.size, args.size, t, g))
        return

    threads = integer_at_least(1)(args.threads or "1")
    r = measure_step(args.model, args.optimizer, args.batch, threads, args.steps, args.warmup,
                     args.seed)
    if args.json:
        print(json.dumps(r))
        return
    print("%s %s batch %d threads %d: %.3f ms/step median (p10 %.3f, p90 %.3f), peak RSS %.1f MiB"
          % (r["model"], r["optimizer"], r["batch"], r["threads"], r["median_ms"], r["p10_ms"],
             r["p90_ms"], r["peak_rss_mib"]))


if __name__ == "__main__":
    main()
