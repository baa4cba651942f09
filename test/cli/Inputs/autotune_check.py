"""Checks a `kilnc --autotune` log against its schedule cache: one line per
kernel, `autotune: NAME: CHOICE TIME us (default TIME us; N tried...)` when
timed, `autotune: NAME: CHOICE (cached)` when read back, or `autotune: NAME:
CHOICE (as OTHER)` when it takes the choice of an earlier kernel alike it
(one cache entry for both); `--cached K` says
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
alike = re.compile(r"^autotune: (\w+): %s \(as (\w+)\)$" % choice)
total = re.compile(r"^autotune: (\d+) kernels? timed; (\d+) candidates? rejected")
chosen = {}
followers = set()
n_cached = 0
totals = []
for line in open(log).read().splitlines():
    if not line.startswith("autotune: "):
        continue
    if total.match(line):
        totals.append(int(total.match(line).group(1)))
        continue
    m = alike.match(line)
    if m:
        assert chosen.get(m.group(3)) == m.group(2), "%r differs from its leader" % line
        followers.add(m.group(1))
        chosen[m.group(1)] = m.group(2)
        continue
    m = timed.match(line) or cached.match(line)
    assert m, "unexpected log line: %r" % line
    assert m.group(1) not in chosen, "kernel listed twice: %r" % line
    chosen[m.group(1)] = m.group(2)
    n_cached += line.endswith("(cached)")
assert len(chosen) >= 6, "too few kernels in the log: %s" % chosen
leaders = len(chosen) - len(followers)
cached_wanted = {"all": leaders, "all-1": leaders - 1}.get(cached_arg)
if cached_wanted is None:
    cached_wanted = int(cached_arg)
assert n_cached == cached_wanted, "%d cached lines, wanted %d" % (n_cached, cached_wanted)
# The last line totals the kernels timed, when any were.
n_timed = leaders - n_cached
assert totals == ([n_timed] if n_timed else []), "totals %s for %d timed" % (totals, n_timed)
files = [f for f in os.listdir(cache) if ".tmp-" not in f]
assert len(files) == leaders, "%d cache files for %d kernels timed or read" % (len(files), leaders)
first_lines = sorted(open(os.path.join(cache, f)).readline().strip() for f in files)
assert first_lines == sorted(v for k, v in chosen.items() if k not in followers), \
    (first_lines, sorted(chosen.values()))
print("%d kernels, %d cached" % (len(chosen), n_cached))
