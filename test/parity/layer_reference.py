#!/usr/bin/python3
"""Reference values for LayerParityTest: each case is a small Kiln model file and the same
network written with torch.nn.functional. Both run one forward and backward pass in float64
from the same formula-defined weights and batch; the script prints, per case, the model file,
the loss and two fingerprints of every parameter's gradient, as a C++ initializer list.

  /usr/bin/python3 test/parity/layer_reference.py > test/parity/layer_reference.inc

Values come from an integer hash, exact in both languages: u(k, s) =
((k * 2654435761 + s * 40503 + 12345) mod 2^32) / 2^32, in [0, 1).
  parameter P, element k of Kiln's row-major layout:  0.6 * (u(k, seed(P)) - 0.5)
      seed(P) = sum over the characters c_i of P's name of (i + 1) * ord(c_i), mod 1000
      (a dense weight is [in, out] in Kiln, the transpose of torch's Linear.weight;
       a convolution filter is [out, in, kh, kw] in both)
  input x, element k:      2 * (u(k, 99) - 0.5)
  a running variance (batch_norm) starts at 1 + 0.6 * (u(k, seed(P)) - 0.5), so positive
  class labels, elem k:    (7 * k + 3) % classes (one per sample, or per step of a sequence)
  token indices, elem k:   (5 * k + 2) % 7 (embedding vocabularies here have 7 rows or more)
  float targets t, elem k: u(k, 55)
The batch has 5 samples. Per case the .inc holds
  { "case", "model file", loss,
    { {"parameter", sum_k g_k^2, sum_k g_k * (u(k, 7) - 0.5)}, ... },
    {sum_k p_k^2, sum_k p_k * (u(k, 7) - 0.5)} }
with g the loss gradient in Kiln's layout, sums in float64. For a parameter that takes no
gradient (batch normalization's running statistics) g is instead its value after the
step. The last pair fingerprints the prediction p (the inference form, after the step) and
is given only for cases whose layers differ between training and inference.
"""
import math

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
BATCH = 5


def u(k, s):
    return ((k * 2654435761 + s * 40503 + 12345) % 2**32) / 2**32


def seed(name):
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) % 1000


def values(n, fn):
    return torch.tensor([fn(k) for k in range(n)])


class Params:
    """Parameters created on first use, in Kiln's layout, with gradients."""

    def __init__(self):
        self.tensors = {}

    def get(self, name, shape, trainable=True):
        if name not in self.tensors:
            n = math.prod(shape)
            offset = 1.0 if name.endswith(".running_var") else 0.0
            t = values(n, lambda k: offset + 0.6 * (u(k, seed(name)) - 0.5)).reshape(shape)
            self.tensors[name] = t.requires_grad_() if trainable else t
        return self.tensors[name]

    def batch_norm(self, x, name, training, **kw):
        c = x.shape[1]
        return F.batch_norm(x, self.get(name + ".running_mean", (c,), False),
                            self.get(name + ".running_var", (c,), False),
                            self.get(name + ".weight", (c,)), self.get(name + ".bias", (c,)),
                            training=training, **kw)

    def embedding(self, ids, vocab, dim, name):
        return F.embedding(ids, self.get(name + ".weight", (vocab, dim)))

    def dense(self, x, units, name, bias=True):
        w = self.get(name + ".weight", (x.shape[-1], units))
        y = x @ w
        return y + self.get(name + ".bias", (units,)) if bias else y

    def recurrent(self, cell, x, units, name, last=False):
        """PyTorch's RNN / LSTM / GRU kernel (what nn.RNN, nn.LSTM and nn.GRU call) with
        Kiln's parameters, the weights transposed to torch's layout; zero initial state."""
        width = {"rnn": 1, "lstm": 4, "gru": 3}[cell] * units
        weights = [self.get(name + ".weight_ih", (x.shape[-1], width)).t(),
                   self.get(name + ".weight_hh", (units, width)).t(),
                   self.get(name + ".bias_ih", (width,)),
                   self.get(name + ".bias_hh", (width,))]
        h0 = torch.zeros(1, x.shape[0], units)
        run = {"rnn": torch._VF.rnn_tanh, "lstm": torch._VF.lstm, "gru": torch._VF.gru}[cell]
        states = run(x, (h0, h0) if cell == "lstm" else h0, weights, True, 1, 0.0, True, False,
                     True)[0]
        return states[:, -1] if last else states

    def conv(self, x, filters, kernel, name, bias=True, **kw):
        w = self.get(name + ".weight", (filters, x.shape[1], kernel, kernel))
        b = self.get(name + ".bias", (filters,)) if bias else None
        return F.conv2d(x, w, b, **kw)


def features(shape):
    return values(math.prod(shape), lambda k: 2 * (u(k, 99) - 0.5)).reshape(shape)


def tokens(shape):
    return torch.tensor([(5 * k + 2) % 7 for k in range(math.prod(shape))]).reshape(shape)


def labels(classes, shape=(BATCH,)):
    return torch.tensor([(7 * k + 3) % classes for k in range(math.prod(shape))]).reshape(shape)


def targets(shape):
    return values(math.prod(shape), lambda k: u(k, 55)).reshape(shape)


# Activations: x[5, 6] -> dense 7 -> activation -> dense 4 -> softmax cross-entropy.
ACTIVATIONS = {
    "linear": ("linear(h)", lambda h, p: h),
    "sigmoid": ("sigmoid(h)", lambda h, p: torch.sigmoid(h)),
    "tanh": ("tanh(h)", lambda h, p: torch.tanh(h)),
    "relu": ("relu(h)", lambda h, p: F.relu(h)),
    "leaky_relu": ("leaky_relu(h, alpha = 0.2)", lambda h, p: F.leaky_relu(h, 0.2)),
    "elu": ("elu(h, alpha = 0.7)", lambda h, p: F.elu(h, 0.7)),
    "gelu": ("gelu(h)", lambda h, p: F.gelu(h)),
    "swish": ("swish(h)", lambda h, p: F.silu(h)),
    "prelu": ("prelu(h)", lambda h, p: F.prelu(h, p.get("prelu0.slope", ()).reshape(1))),
    "softmax": ("softmax(h)", lambda h, p: F.softmax(h, dim=1)),
    "log_softmax": ("log_softmax(h)", lambda h, p: F.log_softmax(h, dim=1)),
}

# Losses: x[5, 5] -> dense 8 -> tanh -> dense 3 -> loss against t[5, 3] (or labels y).
LOSSES = {
    "mse": ("mse(out, t)", lambda o, t: F.mse_loss(o, t)),
    "mae": ("mae(out, t)", lambda o, t: F.l1_loss(o, t)),
    "huber": ("huber(out, t, delta = 0.3)", lambda o, t: F.huber_loss(o, t, delta=0.3)),
    "bce": ("binary_cross_entropy(sigmoid(out), t)",
            lambda o, t: F.binary_cross_entropy(torch.sigmoid(o), t)),
    "bce_logits": ("binary_cross_entropy_with_logits(out, t)",
                   lambda o, t: F.binary_cross_entropy_with_logits(o, t)),
    "categorical": ("categorical_cross_entropy(out, t)", lambda o, t: F.cross_entropy(o, t)),
}

# Convolution and pooling: x[5, 2, 9, 8] -> layers -> flatten -> dense 3 -> cross-entropy.
CONVS = {
    "conv_valid": ("features = conv2d(x, 3, 3)",
                   lambda x, p: p.conv(x, 3, 3, "conv2d0")),
    "conv_same": ("features = tanh(conv2d(x, 3, 3, padding = same))",
                  lambda x, p: torch.tanh(p.conv(x, 3, 3, "conv2d0", padding="same"))),
    "conv_same_even": ("features = conv2d(x, 2, 4, padding = same)",
                       lambda x, p: p.conv(x, 2, 4, "conv2d0", padding="same")),
    "conv_stride": ("features = conv2d(x, 3, 3, stride = 2, padding = 1)",
                    lambda x, p: p.conv(x, 3, 3, "conv2d0", stride=2, padding=1)),
    "conv_dilation": ("features = conv2d(x, 2, 3, dilation = 2, bias = false)",
                      lambda x, p: p.conv(x, 2, 3, "conv2d0", bias=False, dilation=2)),
    "max_pool": ("features = max_pool2d(conv2d(x, 3, 3, padding = same), 2)",
                 lambda x, p: F.max_pool2d(p.conv(x, 3, 3, "conv2d0", padding="same"), 2)),
    "min_pool": ("features = min_pool2d(conv2d(x, 3, 3), 3, stride = 2, padding = 1)",
                 lambda x, p: -F.max_pool2d(-p.conv(x, 3, 3, "conv2d0"), 3, 2, 1)),
    "avg_pool": ("features = avg_pool2d(conv2d(x, 3, 2), 2, stride = 1, padding = 1)",
                 lambda x, p: F.avg_pool2d(p.conv(x, 3, 2, "conv2d0"), 2, 1, 1)),
    "global_avg_pool": ("features = global_avg_pool2d(conv2d(x, 4, 3))",
                        lambda x, p: p.conv(x, 4, 3, "conv2d0").mean(dim=(2, 3))),
    "residual": ("c = conv2d(x, 2, 3, padding = same)\nfeatures = add(x, relu(c))",
                 lambda x, p: x + F.relu(p.conv(x, 2, 3, "conv2d0", padding="same"))),
    "lenet": ("c1 = max_pool2d(relu(conv2d(x, 4, 3, padding = same)), 2)\n"
              "features = max_pool2d(relu(conv2d(c1, 6, 2)), 2, stride = 1)",
              lambda x, p: F.max_pool2d(F.relu(p.conv(
                  F.max_pool2d(F.relu(p.conv(x, 4, 3, "conv2d0", padding="same")), 2),
                  6, 2, "conv2d1")), 2, 1)),
}


def cases():
    for name, (text, fn) in ACTIVATIONS.items():
        source = ("model m\ninput x : f32[batch, 6]\nlabel y : i32[batch]\n"
                  f"h = dense(x, 7)\nlogits = dense({text}, 4)\n"
                  "loss = softmax_cross_entropy(logits, y)\noptimizer sgd(lr = 0.1)\n")

        def run(p, fn=fn):
            h = fn(p.dense(features((BATCH, 6)), 7, "dense0"), p)
            return F.cross_entropy(p.dense(h, 4, "dense1"), labels(4))
        yield "act_" + name, source, run
    for name, (text, fn) in LOSSES.items():
        source = ("model m\ninput x : f32[batch, 5]\nlabel t : f32[batch, 3]\n"
                  f"out = dense(tanh(dense(x, 8)), 3)\nloss = {text}\noptimizer sgd(lr = 0.1)\n")

        def run(p, fn=fn):
            out = p.dense(torch.tanh(p.dense(features((BATCH, 5)), 8, "dense0")), 3, "dense1")
            return fn(out, targets((BATCH, 3)))
        yield "loss_" + name, source, run
    source = ("model m\ninput x : f32[batch, 5]\nlabel y : i32[batch]\n"
              "out = dense(tanh(dense(x, 8)), 3)\n"
              "loss = sparse_categorical_cross_entropy(out, y)\noptimizer sgd(lr = 0.1)\n")

    def sparse(p):
        out = p.dense(torch.tanh(p.dense(features((BATCH, 5)), 8, "dense0")), 3, "dense1")
        return F.cross_entropy(out, labels(3))
    yield "loss_sparse", source, sparse
    for name, (text, fn) in CONVS.items():
        source = ("model m\ninput x : f32[batch, 2, 9, 8]\nlabel y : i32[batch]\n"
                  f"{text}\nlogits = dense(flatten(features), 3)\n"
                  "loss = softmax_cross_entropy(logits, y)\noptimizer sgd(lr = 0.1)\n")

        def run(p, fn=fn):
            f = fn(features((BATCH, 2, 9, 8)), p)
            return F.cross_entropy(p.dense(f.flatten(1), 3, "dense0"), labels(3))
        yield name, source, run
    for name, (text, fn) in MODELS.items():
        source = "model m\n" + text + "optimizer sgd(lr = 0.1)\n"
        yield name, source, fn


# Layers with state or integer inputs, each a whole model: (model file, torch mirror). A
# mirror takes (params, training) and returns the loss (training) or the prediction.
MODELS = {
    "batch_norm_dense": (
        "input x : f32[batch, 6]\nlabel y : i32[batch]\n"
        "h = tanh(batch_norm(dense(x, 7)))\nlogits = dense(h, 3)\n"
        "loss = softmax_cross_entropy(logits, y)\n",
        lambda p, training: head(torch.tanh(p.batch_norm(
            p.dense(features((BATCH, 6)), 7, "dense0"), "batch_norm0", training)), p, training)),
    "batch_norm_conv": (
        "input x : f32[batch, 2, 5, 4]\nlabel y : i32[batch]\n"
        "c = relu(batch_norm(conv2d(x, 3, 3, padding = same), momentum = 0.2, eps = 0.001))\n"
        "logits = dense(flatten(c), 3)\nloss = softmax_cross_entropy(logits, y)\n",
        lambda p, training: head(F.relu(p.batch_norm(
            p.conv(features((BATCH, 2, 5, 4)), 3, 3, "conv2d0", padding="same"),
            "batch_norm0", training, momentum=0.2, eps=0.001)).flatten(1), p, training,
            "dense0")),
    "embedding": (
        "input ids : i32[batch, 6]\nlabel y : i32[batch]\n"
        "e = embedding(ids, 9, 3)\nlogits = dense(tanh(flatten(e)), 3)\n"
        "loss = softmax_cross_entropy(logits, y)\n",
        lambda p, training: head(torch.tanh(
            p.embedding(tokens((BATCH, 6)), 9, 3, "embedding0").flatten(1)), p, training,
            "dense0")),
    "dense_over_sequence": (
        "input ids : i32[batch, 6]\nlabel y : i32[batch]\n"
        "h = tanh(dense(embedding(ids, 7, 4), 5))\nlogits = dense(flatten(h), 3)\n"
        "loss = softmax_cross_entropy(logits, y)\n",
        lambda p, training: head(torch.tanh(p.dense(
            p.embedding(tokens((BATCH, 6)), 7, 4, "embedding0"), 5, "dense0")).flatten(1),
            p, training)),
    "rnn_sequence": (
        "input x : f32[batch, 4, 3]\nlabel y : i32[batch]\n"
        "h = rnn(x, 5)\nlogits = dense(flatten(h), 3)\nloss = softmax_cross_entropy(logits, y)\n",
        lambda p, training: head(
            p.recurrent("rnn", features((BATCH, 4, 3)), 5, "rnn0").flatten(1), p, training,
            "dense0")),
    "lstm_sequence": (
        "input x : f32[batch, 4, 3]\nlabel y : i32[batch]\n"
        "h = lstm(x, 5)\nlogits = dense(flatten(h), 3)\nloss = softmax_cross_entropy(logits, y)\n",
        lambda p, training: head(
            p.recurrent("lstm", features((BATCH, 4, 3)), 5, "lstm0").flatten(1), p, training,
            "dense0")),
    "lstm_last": (
        "input x : f32[batch, 6, 3]\nlabel y : i32[batch]\n"
        "h = lstm(x, 8, return_sequences = false)\nlogits = dense(h, 3)\n"
        "loss = softmax_cross_entropy(logits, y)\n",
        lambda p, training: head(
            p.recurrent("lstm", features((BATCH, 6, 3)), 8, "lstm0", last=True), p, training,
            "dense0")),
    "gru_last": (
        "input x : f32[batch, 6, 3]\nlabel y : i32[batch]\n"
        "h = gru(x, 8, return_sequences = false)\nlogits = dense(h, 3)\n"
        "loss = softmax_cross_entropy(logits, y)\n",
        lambda p, training: head(
            p.recurrent("gru", features((BATCH, 6, 3)), 8, "gru0", last=True), p, training,
            "dense0")),
    "embedding_gru_sequence": (
        "input ids : i32[batch, 5]\nlabel y : i32[batch]\n"
        "h = gru(embedding(ids, 7, 4), 3)\nlogits = dense(flatten(h), 3)\n"
        "loss = softmax_cross_entropy(logits, y)\n",
        lambda p, training: head(p.recurrent(
            "gru", p.embedding(tokens((BATCH, 5)), 7, 4, "embedding0"), 3, "gru0").flatten(1),
            p, training, "dense0")),
    "sequence_cross_entropy": (
        "input ids : i32[batch, 6]\nlabel y : i32[batch, 6]\n"
        "h = lstm(embedding(ids, 7, 4), 5)\nlogits = dense(h, 7)\n"
        "loss = softmax_cross_entropy(logits, y)\n",
        lambda p, training: (lambda logits: F.cross_entropy(
            logits.reshape(-1, 7), labels(7, (BATCH, 6)).reshape(-1)) if training else logits)(
            p.dense(p.recurrent("lstm", p.embedding(tokens((BATCH, 6)), 7, 4, "embedding0"), 5,
                                "lstm0"), 7, "dense0"))),
    "concat": (
        "input x : f32[batch, 5]\nlabel y : i32[batch]\n"
        "h = concat(tanh(dense(x, 4)), x, relu(dense(x, 3)), axis = 1)\n"
        "logits = dense(h, 3)\nloss = softmax_cross_entropy(logits, y)\n",
        lambda p, training: head(torch.cat(
            [torch.tanh(p.dense(features((BATCH, 5)), 4, "dense0")), features((BATCH, 5)),
             F.relu(p.dense(features((BATCH, 5)), 3, "dense1"))], dim=1), p, training,
            "dense2")),
}


def head(h, p, training, name="dense1"):
    logits = p.dense(h, 3, name)
    return F.cross_entropy(logits, labels(3)) if training else logits


def cpp_string(text):
    return "R\"(" + text + ")\""


def main():
    print("// Generated by layer_reference.py (PyTorch %s, float64); do not edit." %
          torch.__version__)
    def fingerprint(g):
        g = g.detach().reshape(-1)
        weights = values(g.numel(), lambda k: u(k, 7) - 0.5)
        return "%.17g, %.17g" % (float((g * g).sum()), float((g * weights).sum()))

    for name, source, run in cases():
        p = Params()
        stateful = name in MODELS
        loss = run(p, True) if stateful else run(p)
        loss.backward()
        print("{\"%s\", %s, %.17g, {" % (name, cpp_string(source), loss.item()))
        for pname, t in sorted(p.tensors.items()):
            print("  {\"%s\", %s}," % (pname, fingerprint(t.grad if t.requires_grad else t)))
        print("}, {%s}}," % (fingerprint(run(p, False)) if stateful else ""))


if __name__ == "__main__":
    main()
