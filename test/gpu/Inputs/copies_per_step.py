"""Reads the counts Inputs/count_cl_copies.c wrote for two runs of one
program that differ only in their number of steps, and prints what one step
adds: calls and bytes of each kind of copy (what the runs share, such as the
first upload of the parameters, cancels out). Then checks the later run:
every device buffer it made was released by its end."""
import argparse
import sys

parser = argparse.ArgumentParser()
parser.add_argument("fewer")
parser.add_argument("more")
parser.add_argument("--steps", type=int, required=True, help="steps the second run adds")
args = parser.parse_args()


def counts(path):
    out = {}
    for line in open(path):
        name, calls, size = line.split()
        out[name] = (int(calls), int(size))
    return out


fewer, more = counts(args.fewer), counts(args.more)
parts = []
for name in ("uploads", "downloads", "device-copies", "maps"):
    calls = more[name][0] - fewer[name][0]
    size = more[name][1] - fewer[name][1]
    if calls % args.steps or size % args.steps:
        sys.exit(f"{name}: {calls} calls, {size} bytes over {args.steps} steps: not the same every step")
    parts.append(f"{name} {calls // args.steps} ({size // args.steps} bytes)")
print("per step: " + ", ".join(parts))
made, released = more["created"][0], more["released"][0]
print("buffers made and released: " + ("equal" if made == released else f"{made} made, {released} released"))
