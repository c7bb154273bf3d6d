"""Benchmark: sigconv.nn against PyTorch (CPU) on the lecture's networks.

Run from the repository root: ``python bench/bench_nn.py``. PyTorch is an optional anchor,
installed only for this benchmark (``pip install torch``); without it the table shows
sigconv alone. Both run with the same number of threads, in one process, interleaved.

(a) the digits CNN: 8x8x1 -> Conv2D(10, 3x3, relu) -> MaxPool 2 -> Flatten
    -> Dense(50, relu) -> Dense(10, softmax), SGD, categorical cross-entropy, batch 100;
(b) the CIFAR-10 CNN: 32x32x3 -> Conv2D(32) -> MaxPool -> Conv2D(64) -> MaxPool
    -> Conv2D(64) -> Flatten -> Dense(64) -> Dense(10) logits, Adam, sparse categorical
    cross-entropy from logits, batch 32 and 256;
(c) one Conv2D, batch 64, 32x32, 32 -> 64 channels, 3x3, "same": GFLOP/s.

A training step is forward + loss + backward + optimizer update.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_conv import median_times  # noqa: E402

from sigconv import nn  # noqa: E402
from sigconv.nn import functional  # noqa: E402

try:
    import torch
except ImportError:  # the anchor is optional
    torch = None


# --- sigconv ------------------------------------------------------------------------------

def digits_layers():
    return [nn.Conv2D(10, (3, 3), activation="relu", input_shape=(8, 8, 1)),
            nn.MaxPooling2D((2, 2)), nn.Flatten(),
            nn.Dense(50, activation="relu"), nn.Dense(10, activation="softmax")]


def cifar_layers():
    return [nn.Conv2D(32, (3, 3), activation="relu", input_shape=(32, 32, 3)),
            nn.MaxPooling2D((2, 2)),
            nn.Conv2D(64, (3, 3), activation="relu"), nn.MaxPooling2D((2, 2)),
            nn.Conv2D(64, (3, 3), activation="relu"), nn.Flatten(),
            nn.Dense(64, activation="relu"), nn.Dense(10)]


class Trainer:
    """The training step a Sequential model runs, spelled out on a list of layers."""

    def __init__(self, layers, loss, optimizer, x):
        self.layers, self.loss, self.optimizer = layers, loss, optimizer
        h = x
        for layer in layers:
            h = layer(h)
        self.params = {f"{layer.name}/{key}": value for layer in layers
                       for key, value in layer.params.items()}
        self.grads = {f"{layer.name}/{key}": value for layer in layers
                      for key, value in layer.grads.items()}
        self.fused = (layers[-1].activation is nn.activations.softmax
                      and hasattr(loss, "gradient_from_softmax"))

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def step(self, x, y):
        h = x
        for layer in self.layers:
            h = layer.forward(h, training=True)
        value = self.loss(y, h)
        last = self.layers[-1]
        if self.fused:
            grad = last.backward_preactivation(self.loss.gradient_from_softmax(y, h))
        else:
            grad = last.backward(self.loss.gradient(y, h))
        for k in range(len(self.layers) - 2, -1, -1):
            grad = self.layers[k].backward(grad, input_grad=k > 0)
        self.optimizer.apply(self.grads, self.params)
        return value


# --- PyTorch --------------------------------------------------------------------------

def torch_digits():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 10, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(90, 50), torch.nn.ReLU(), torch.nn.Linear(50, 10))


def torch_cifar():
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(64, 64, 3), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(1024, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))


def torch_step(model, optimizer, x, y):
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return step


def torch_forward(model, x):
    def forward():
        with torch.no_grad():
            model(x)
    return forward


# --- cases ------------------------------------------------------------------------------

def network_cases(rng):
    """name -> {implementation: callable}."""
    cases = {}
    x = rng.standard_normal((100, 8, 8, 1)).astype(np.float32)
    labels = rng.integers(0, 10, 100)
    onehot = np.eye(10, dtype=np.float32)[labels]
    ours = Trainer(digits_layers(), nn.CategoricalCrossentropy(), nn.SGD(0.01), x)
    case = {"sigconv": lambda x=x: ours.step(x, onehot)}
    forward = {"sigconv": lambda x=x: ours.predict(x)}
    if torch is not None:
        model = torch_digits()
        tx, ty = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), torch.from_numpy(labels)
        case["pytorch"] = torch_step(model, torch.optim.SGD(model.parameters(), 0.01), tx, ty)
        forward["pytorch"] = torch_forward(model, tx)
    cases["(a) digits CNN, batch 100: forward"] = forward
    cases["(a) digits CNN, batch 100: train step"] = case
    for batch in (32, 256):
        x = rng.standard_normal((batch, 32, 32, 3)).astype(np.float32)
        labels = rng.integers(0, 10, batch)
        ours_cifar = Trainer(cifar_layers(), nn.SparseCategoricalCrossentropy(from_logits=True),
                             nn.Adam(), x)
        case = {"sigconv": lambda t=ours_cifar, x=x, y=labels: t.step(x, y)}
        forward = {"sigconv": lambda t=ours_cifar, x=x: t.predict(x)}
        if torch is not None:
            model = torch_cifar()
            tx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
            ty = torch.from_numpy(labels)
            case["pytorch"] = torch_step(model, torch.optim.Adam(model.parameters()), tx, ty)
            forward["pytorch"] = torch_forward(model, tx)
        cases[f"(b) CIFAR-10 CNN, batch {batch}: forward"] = forward
        cases[f"(b) CIFAR-10 CNN, batch {batch}: train step"] = case
    return cases


def conv_layer_cases(rng):
    """(c): one Conv2D layer, forward and forward + backward, with their FLOP counts."""
    x = rng.standard_normal((64, 32, 32, 32)).astype(np.float32)
    layer = nn.Conv2D(64, 3, padding="same", input_shape=(32, 32, 32))
    grad = rng.standard_normal((64, 32, 32, 64)).astype(np.float32)

    def ours_both():
        layer.forward(x, training=True)
        layer.backward(grad)

    flops = 2 * 64 * 32 * 32 * 64 * 32 * 9
    forward = {"sigconv": lambda: layer.forward(x)}
    both = {"sigconv": ours_both}
    if torch is not None:
        conv = torch.nn.Conv2d(32, 64, 3, padding=1)
        tx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).requires_grad_()
        tg = torch.from_numpy(grad.transpose(0, 3, 1, 2).copy())

        def torch_both():
            tx.grad = None
            conv.zero_grad(set_to_none=True)
            conv(tx).backward(tg)
        forward["pytorch"] = torch_forward(conv, tx)
        both["pytorch"] = torch_both
    return {"(c) Conv2D 64x32x32, 32->64, 3x3 same: forward": (forward, flops),
            "(c) Conv2D 64x32x32, 32->64, 3x3 same: forward+backward": (both, 3 * flops)}


def main():
    threads = functional.n_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    anchor = "pytorch" if torch is not None else None
    print(f"sigconv.nn vs PyTorch {torch.__version__ if torch else '(not installed)'}, "
          f"{threads} threads, float32; median seconds per call\n")
    print(f"{'case':58s} {'sigconv':>10s} {'pytorch':>10s} {'pytorch/sigconv':>16s}")
    for name, case in network_cases(rng).items():
        times = median_times(case)
        ratio = f"{times[anchor] / times['sigconv']:.2f}x" if anchor else "-"
        print(f"{name:58s} {times['sigconv'] * 1e3:8.2f}ms "
              f"{times.get(anchor, float('nan')) * 1e3:8.2f}ms {ratio:>16s}")
    print(f"\n{'case':58s} {'sigconv':>10s} {'pytorch':>10s} {'sigconv/pytorch':>16s}")
    for name, (case, flops) in conv_layer_cases(rng).items():
        times = median_times(case)
        rates = {key: flops / value / 1e9 for key, value in times.items()}
        ratio = f"{rates['sigconv'] / rates[anchor]:.2f}" if anchor else "-"
        print(f"{name:58s} {rates['sigconv']:6.1f}GF/s "
              f"{rates.get(anchor, float('nan')):6.1f}GF/s {ratio:>16s}")


if __name__ == "__main__":
    main()
