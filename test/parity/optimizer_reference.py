#!/usr/bin/python3
"""Reference values for OptimizerParityTest: PyTorch trains a small MLP (32-24-10, ReLU,
softmax cross-entropy) with each optimizer, regularizer and gradient-clipping mode of the
parity cases, from the same formula-defined weights and batch as the test, and prints, per
case, the loss of every step and two fingerprints of every parameter after the run, as a
C++ initializer list.

  /usr/bin/python3 test/parity/optimizer_reference.py > test/parity/optimizer_reference.inc

Each case is a model file test/parity/models/<case>.kiln declaring `model parity_<case>`.

Values come from an integer hash, exact in both languages: u(k, s) =
((k * 2654435761 + s * 40503 + 12345) mod 2^32) / 2^32, in [0, 1).

Model: h = relu(dense(x, 24)); logits = dense(h, 10); loss = softmax_cross_entropy(logits, y).
Its parameters, in Kiln's order p = 0..3: dense0.weight [32, 24], dense0.bias [24],
dense1.weight [24, 10], dense1.bias [10]. Kiln lays a weight out as [in, out], the transpose
of PyTorch's Linear.weight [out, in].
Initial values: element k (row-major, Kiln layout) of parameter p is 0.2 * (u(k, p) - 0.5).
Batch (the same at every step): 16 samples, x[n][f] = u(n * 32 + f, 99) - 0.5,
y[n] = (7 * n + 3) % 10. 20 steps, float32, one thread.

Per case the .inc holds
  { "case", {loss of steps 1..20, each computed before that step's update},
            {per parameter after step 20: sum_k w_k^2},
            {per parameter after step 20: sum_k w_k * (u(k, 7) - 0.5)} }
with k running over the Kiln (row-major [in, out]) layout; both sums in float64 over the
float32 weights.

Cases (PyTorch 1.13 single-tensor optimizer code; state starts at zero everywhere):
  sgd                 SGD(lr=0.1)
  momentum            SGD(lr=0.05, momentum=0.9): v = 0.9 v + g; w -= lr v
  nesterov            SGD(lr=0.05, momentum=0.9, nesterov=True): v = 0.9 v + g;
                      w -= lr (g + 0.9 v)
  adagrad             Adagrad(lr=0.05, eps=1e-10): s += g^2; w -= lr g / (sqrt(s) + eps)
  adadelta            Adadelta(lr=1.0, rho=0.9, eps=1e-6): a = rho a + (1 - rho) g^2;
                      d = sqrt(D + eps) / sqrt(a + eps) * g; D = rho D + (1 - rho) d^2;
                      w -= lr d
  rmsprop             RMSprop(lr=0.005, alpha=0.99, eps=1e-8): a = alpha a + (1 - alpha) g^2;
                      w -= lr g / (sqrt(a) + eps)
  adam                Adam(lr=0.005, betas=(0.9, 0.999), eps=1e-8), t = 1, 2, ...:
                      m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
                      w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
  adamw               AdamW(same, weight_decay=0.1): w *= 1 - lr * 0.1, then the Adam update
  sgd_l2              sgd + regularizer l2(0.01): loss = data loss + 0.01 / 2 * sum w^2
  sgd_l1              sgd + regularizer l1(0.001): loss = data loss + 0.001 * sum |w|
                      (gradient 0.001 * sign(w), sign(0) = 0)
  adam_elastic        adam + regularizer elastic_net(l1=0.001, l2=0.01):
                      loss = data loss + 0.001 * sum |w| + 0.01 / 2 * sum w^2
  sgd_wd              sgd + regularizer weight_decay(0.05), decoupled from the loss:
                      w = w - lr * 0.05 * w - lr * g (g from the loss at the old w); the
                      reported loss is the data loss only
  adam_clip_global    adam + clip global_norm(max_norm=0.2): clip_grad_norm_(all, 0.2), i.e.
                      g *= min(1, 0.2 / (||all g||_2 + 1e-6)) before the update
  momentum_clip_value momentum + clip value(0.01): g = clamp(g, -0.01, 0.01)
  sgd_clip_norm       sgd + clip norm(max_norm=0.05): per parameter,
                      g *= min(1, 0.05 / (||g||_2 + 1e-6))
  sgd_frozen          sgd with the first dense layer declared trainable = false: dense0.*
                      get no update and keep their initial values
The l1, l2 and elastic-net sums run over all parameters, biases included; their terms are
part of the reported loss (at the weights before the step) and of the gradient that the
optimizer (and any clipping) sees.

Checks before printing: every case moves the loss by more than 0.01 over the run; every
regularizer, clipping mode and the frozen layer changes the results by far more than the
test's tolerance (1e-4 relative) compared with the same optimizer without it; every clipping
mode actually clips; and the float32 run agrees with a float64 run of the same case to well
within that tolerance, so the values are not sensitive to rounding order.
"""
import math
import sys

import torch

torch.set_num_threads(1)
SIZES = [32, 24, 10]
BATCH, STEPS = 16, 20
PARAM_NAMES = ["dense0.weight", "dense0.bias", "dense1.weight", "dense1.bias"]
TOLERANCE = 1e-4  # the test's relative tolerance


def u(k, s):
    return ((k * 2654435761 + s * 40503 + 12345) % 4294967296) / 4294967296.0


def formula(count, p):
    return [0.2 * (u(k, p) - 0.5) for k in range(count)]


def sgd(lr):
    return lambda ps: torch.optim.SGD(ps, lr=lr)


def momentum(lr, nesterov=False):
    return lambda ps: torch.optim.SGD(ps, lr=lr, momentum=0.9, nesterov=nesterov)


def adam(lr):
    return lambda ps: torch.optim.Adam(ps, lr=lr, betas=(0.9, 0.999), eps=1e-8)


# name: (optimizer factory, lr, regularizer, clipping, first layer frozen, base case)
# regularizer: ("l1", l1) | ("l2", l2) | ("elastic", l1, l2) | ("wd", decay)
# clipping: ("global", max_norm) | ("value", limit) | ("norm", max_norm)
CASES = {
    "sgd": (sgd(0.1), 0.1, None, None, False, None),
    "momentum": (momentum(0.05), 0.05, None, None, False, None),
    "nesterov": (momentum(0.05, nesterov=True), 0.05, None, None, False, None),
    "adagrad": (lambda ps: torch.optim.Adagrad(ps, lr=0.05, eps=1e-10), 0.05, None, None, False,
                None),
    "adadelta": (lambda ps: torch.optim.Adadelta(ps, lr=1.0, rho=0.9, eps=1e-6), 1.0, None, None,
                 False, None),
    "rmsprop": (lambda ps: torch.optim.RMSprop(ps, lr=0.005, alpha=0.99, eps=1e-8), 0.005, None,
                None, False, None),
    "adam": (adam(0.005), 0.005, None, None, False, None),
    "adamw": (lambda ps: torch.optim.AdamW(ps, lr=0.005, betas=(0.9, 0.999), eps=1e-8,
                                           weight_decay=0.1), 0.005, None, None, False, "adam"),
    "sgd_l2": (sgd(0.1), 0.1, ("l2", 0.01), None, False, "sgd"),
    "sgd_l1": (sgd(0.1), 0.1, ("l1", 0.001), None, False, "sgd"),
    "adam_elastic": (adam(0.005), 0.005, ("elastic", 0.001, 0.01), None, False, "adam"),
    "sgd_wd": (sgd(0.1), 0.1, ("wd", 0.05), None, False, "sgd"),
    "adam_clip_global": (adam(0.005), 0.005, None, ("global", 0.2), False, "adam"),
    "momentum_clip_value": (momentum(0.05), 0.05, None, ("value", 0.01), False, "momentum"),
    "sgd_clip_norm": (sgd(0.1), 0.1, None, ("norm", 0.05), False, "sgd"),
    "sgd_frozen": (sgd(0.1), 0.1, None, None, True, "sgd"),
}


def kiln_layout(t, p):
    """Parameter p as a flat list in Kiln's row-major layout (weights transposed)."""
    return (t.t() if p % 2 == 0 else t).detach().to(torch.float64).reshape(-1).tolist()


def fingerprints(params):
    squares, checksums = [], []
    for p, t in enumerate(params):
        values = kiln_layout(t, p)
        squares.append(math.fsum(w * w for w in values))
        checksums.append(math.fsum(w * (u(k, 7) - 0.5) for k, w in enumerate(values)))
    return squares, checksums


def run(name, dtype):
    make_opt, lr, reg, clip, frozen, _ = CASES[name]
    params = []
    for layer, (fan_in, fan_out) in enumerate(zip(SIZES, SIZES[1:])):
        w = torch.tensor(formula(fan_in * fan_out, 2 * layer), dtype=dtype)
        b = torch.tensor(formula(fan_out, 2 * layer + 1), dtype=dtype)
        params += [w.reshape(fan_in, fan_out).t().contiguous(), b]
    trainable = params[2:] if frozen else params
    for t in trainable:
        t.requires_grad_(True)
    initial = [t.detach().clone() for t in params]
    x = torch.tensor([[u(n * SIZES[0] + f, 99) - 0.5 for f in range(SIZES[0])]
                      for n in range(BATCH)], dtype=dtype)
    y = torch.tensor([(7 * n + 3) % 10 for n in range(BATCH)], dtype=torch.long)
    opt = make_opt(trainable)
    losses, clipped_steps = [], 0
    for _ in range(STEPS):
        opt.zero_grad()
        h = torch.relu(torch.nn.functional.linear(x, params[0], params[1]))
        logits = torch.nn.functional.linear(h, params[2], params[3])
        loss = torch.nn.functional.cross_entropy(logits, y)
        if reg is not None and reg[0] in ("l1", "elastic"):
            loss = loss + reg[1] * sum(t.abs().sum() for t in trainable)
        if reg is not None and reg[0] in ("l2", "elastic"):
            loss = loss + reg[-1] / 2 * sum((t * t).sum() for t in trainable)
        loss.backward()
        if clip is not None:
            grads = [t.grad.detach().clone() for t in trainable]
            if clip[0] == "global":
                torch.nn.utils.clip_grad_norm_(trainable, clip[1])
            elif clip[0] == "value":
                torch.nn.utils.clip_grad_value_(trainable, clip[1])
            else:
                for t in trainable:
                    torch.nn.utils.clip_grad_norm_([t], clip[1])
            clipped_steps += any(not torch.equal(g, t.grad) for g, t in zip(grads, trainable))
        if reg is not None and reg[0] == "wd":
            with torch.no_grad():
                for t in trainable:
                    t.mul_(1 - lr * reg[1])
        opt.step()
        losses.append(loss.item())
    if frozen:
        assert all(torch.equal(a, b) for a, b in zip(initial[:2], params[:2])), name
    if clip is not None:
        assert clipped_steps > 0, "%s: the clipping never changed a gradient" % name
    squares, checksums = fingerprints(params)
    return losses, squares, checksums, clipped_steps


def rel_diff(a, b, floor=0.0):
    return abs(a - b) / max(abs(b), floor)


def flat(result):
    return result[0] + result[1] + result[2]


results = {name: run(name, torch.float32) for name in CASES}

for name, result in results.items():
    losses = result[0]
    # Every case trains both layers or (sgd_frozen) the last one, at step sizes that move the
    # loss clearly within 20 steps, so none is exempt.
    assert losses[0] - losses[-1] > 0.01, "%s: loss moved only %g" % (name, losses[0] - losses[-1])
    # Rounding: float64 must agree with float32 far inside the test's tolerance. Checksums can
    # be near zero, so they are compared with an absolute floor of 1e-6 as in the test.
    exact = run(name, torch.float64)
    worst = max([rel_diff(a, b) for a, b in zip(result[0] + result[1], exact[0] + exact[1])] +
                [rel_diff(a, b, 1e-6) for a, b in zip(result[2], exact[2])])
    assert worst < TOLERANCE / 10, "%s: float32 and float64 differ by %g" % (name, worst)
    base, note = CASES[name][5], ""
    if base is not None:
        effect = max(rel_diff(a, b, 1e-6) for a, b in zip(flat(result), flat(results[base])))
        assert effect > 100 * TOLERANCE, "%s: differs from %s by only %g" % (name, base, effect)
        note += "  vs %s %.1e" % (base, effect)
    if CASES[name][3] is not None:
        note += "  clipped in %d of %d steps" % (result[3], STEPS)
    print("%-20s loss %.6f -> %.6f  float64 diff %.1e%s" %
          (name, losses[0], losses[-1], worst, note), file=sys.stderr)


def values(vs):
    return "{" + ", ".join("%.17g" % v for v in vs) + "}"


print("// Generated by test/parity/optimizer_reference.py (PyTorch %s). Do not edit." %
      torch.__version__)
print("// Per case: name; loss before each of the 20 steps; per parameter after the run")
print("// (%s): sum of squares; checksum sum_k w_k * (u(k, 7) - 0.5)." % ", ".join(PARAM_NAMES))
print("{")
for i, (name, (losses, squares, checksums, _)) in enumerate(results.items()):
    print("    {\"%s\",\n     %s,\n     %s,\n     %s}%s" %
          (name, values(losses), values(squares), values(checksums),
           "," if i + 1 < len(results) else ""))
print("}")
