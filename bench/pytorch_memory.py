#!/usr/bin/python3
"""PyTorch baseline for bench/memory.sh: peak resident memory of training the 784-2048-2048-10
ReLU MLP with torch.optim.Adam on random data, batch 128 (by default), 5 steps.

Prints the peak RSS of the whole process (getrusage) and, apart, the RSS right after
`import torch` and building the model, so that the interpreter and library cost can be told
from what training adds.

  /usr/bin/python3 bench/pytorch_memory.py [--batch 128] [--steps 5]
"""
import argparse
import resource

import torch


def rss_mib():
    # The current resident set, from /proc (getrusage only gives the peak).
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 1048576.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 2048), torch.nn.ReLU(),
        torch.nn.Linear(2048, 2048), torch.nn.ReLU(),
        torch.nn.Linear(2048, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(args.batch, 784)
    y = torch.randint(0, 10, (args.batch,))
    before = rss_mib()
    for _ in range(args.steps):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"pytorch wide_mlp_adam batch {args.batch}: peak RSS {peak:.1f} MiB "
          f"(after import and model: {before:.1f} MiB), last loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
