"""Checks a `kilnc --autotune` log against its schedule cache: one line per
kernel, `autotune: NAME: CHOICE TIME us (default TIME us; N tried...)` when
timed or `autotune: NAME: CHOICE (cached)` when read back; `--cached K` says
how many lines must be cached: a number, `all` or `all-1`; a line
`autotune: N kernels timed; ...` counts the timed ones, if any. Every cache
file's first line is a choice the log names, and there is one file per
kernel."""
import os
import re
import sys

log, cache, cached_arg = sys.argv[1], sys.argv[2], sys.argv[4]
assert sys.argv[3] == "--cached"
choice = r"(templates(?: rows=\d+)?(?: vectors=\d+)?(?: unpacked)?(?: serial| tasks=\d+)?|Adams2019|Li2018|Mullapudi2016)"
timed = re.compile(r"^autotune: (\w+): %s \d+\.\d us \(default \d+\.\d us; \d+ tried(, \d+ rejected)?\)$" % choice)
cached = re.compile(r"^autotune: (\w+): %s \(cached\)$" % choice)
total = re.compile(r"^autotune: (\d+) kernels? timed; (\d+) candidates? rejected")
chosen = {}
n_cached = 0
totals = []
for line in open(log).read().splitlines():
    if not line.startswith("autotune: "):
        continue
    if total.match(line):
        totals.append(int(total.match(line).group(1)))
        continue
    m = timed.match(line) or cached.match(line)
    assert m, "unexpected log line: %r" % line
    assert m.group(1) not in chosen, "kernel listed twice: %r" % line
    chosen[m.group(1)] = m.group(2)
    n_cached += line.endswith("(cached)")
assert len(chosen) >= 6, "too few kernels in the log: %s" % chosen
cached_wanted = {"all": len(chosen), "all-1": len(chosen) - 1}.get(cached_arg)
if cached_wanted is None:
    cached_wanted = int(cached_arg)
assert n_cached == cached_wanted, "%d cached lines, wanted %d" % (n_cached, cached_wanted)
# The last line totals the kernels timed, when any were.
n_timed = len(chosen) - n_cached
assert totals == ([n_timed] if n_timed else []), "totals %s for %d timed" % (totals, n_timed)
files = [f for f in os.listdir(cache) if ".tmp-" not in f]
assert len(files) == len(chosen), "%d cache files for %d kernels" % (len(files), len(chosen))
first_lines = sorted(open(os.path.join(cache, f)).readline().strip() for f in files)
assert first_lines == sorted(chosen.values()), (first_lines, sorted(chosen.values()))
print("%d kernels, %d cached" % (len(chosen), n_cached))
