"""Checks that two training logs have the same epoch losses within 1e-3
(relative) and the same final accuracy within 0.5 points."""
import re
import sys


def read(path):
    text = open(path).read()
    losses = [float(m) for m in re.findall(r"^epoch \d+/\d+\s+loss ([0-9.]+)", text, re.M)]
    accuracy = re.search(r"^final test accuracy: ([0-9.]+)%", text, re.M)
    assert losses and accuracy, "%s: no epoch losses or final accuracy" % path
    return losses, float(accuracy.group(1))


(want, want_acc), (got, got_acc) = read(sys.argv[1]), read(sys.argv[2])
assert len(want) == len(got), (want, got)
for a, b in zip(want, got):
    assert abs(a - b) <= 1e-3 * max(abs(a), 1e-3), "losses differ: %s vs %s" % (want, got)
assert abs(want_acc - got_acc) <= 0.5, "accuracy differs: %s vs %s" % (want_acc, got_acc)
print("same losses %s, accuracy %.2f%% vs %.2f%%" % (got, want_acc, got_acc))
