"""Benchmark: where a training step of the lecture's networks spends its time, layer by layer.

Run from the repository root: ``python bench/bench_step.py [--steps N] [--threads 1]``.

The honest user path: ``Sequential.compile`` then ``train_on_batch`` on a fixed batch, for
(a) the digits CNN (SGD, categorical cross-entropy, batch 100) and (b) the CIFAR-10 CNN
(Adam, sparse categorical cross-entropy from logits, batch 32 and 256), the networks of
``bench_nn.py``. Each layer's forward and backward pass and the optimizer update are timed
by wrappers around them (``time.perf_counter``, so a pass's threads count by wall time);
the table gives the median of each over ``N`` steps, and the step's median. What is left
("model and loss") is the model's own work: the checks of ``train_on_batch``, the loss,
its gradient and the calls between the layers.

This machine may be shared: medians of many steps, and compare numbers of one run only.
"""

import argparse
import contextlib
import os
import sys
import time
from collections import defaultdict

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_nn import cifar_layers, digits_layers  # noqa: E402

from sigconv import _jit, nn  # noqa: E402


def digits_case(rng):
    model = nn.Sequential(digits_layers())
    model.compile(nn.SGD(0.01), "categorical_crossentropy")
    x = rng.standard_normal((100, 8, 8, 1)).astype(np.float32)
    return model, x, np.eye(10, dtype=np.float32)[rng.integers(0, 10, 100)]


def cifar_case(rng, batch):
    model = nn.Sequential(cifar_layers())
    model.compile(nn.Adam(), nn.SparseCategoricalCrossentropy(from_logits=True))
    x = rng.standard_normal((batch, 32, 32, 3)).astype(np.float32)
    return model, x, rng.integers(0, 10, batch)


def timed(owner, method, label, times):
    """Replace ``owner.method`` by a wrapper that appends its duration to ``times[label]``."""
    function = getattr(owner, method)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        times[label].append(time.perf_counter() - start)
        return result

    setattr(owner, method, wrapper)


def profile(model, x, y, steps):
    """Median seconds of the step and of each part of it."""
    for _ in range(3):     # compilation, buffers
        model.train_on_batch(x, y)
    times = defaultdict(list)
    for layer in model.layers:
        timed(layer, "_forward", f"{layer.name} forward", times)
    for layer in reversed(model.layers):
        timed(layer, "_backward_unchecked", f"{layer.name} backward", times)
    timed(model.optimizer, "apply", "optimizer update", times)
    steps_taken = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        steps_taken.append(time.perf_counter() - start)
    parts = {label: float(np.median(values)) for label, values in times.items()}
    return float(np.median(steps_taken)), parts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--threads", type=int, default=None,
                        help="1: numba, BLAS and sigconv's pool on one thread")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    cases = {"(a) digits CNN, batch 100": (digits_case(rng), 10 * args.steps),
             "(b) CIFAR-10 CNN, batch 32": (cifar_case(rng, 32), args.steps),
             "(b) CIFAR-10 CNN, batch 256": (cifar_case(rng, 256), max(5, args.steps // 5))}
    with contextlib.ExitStack() as stack:
        if args.threads == 1:
            stack.enter_context(threadpool_limits(1))
            stack.enter_context(_jit.single_thread())
        print(f"sigconv.nn training steps, {nn.functional.n_threads()} threads, float32; "
              "median milliseconds")
        for name, ((model, x, y), steps) in cases.items():
            step, parts = profile(model, x, y, steps)
            print(f"\n{name}: {step * 1e3:.3f} ms per step ({steps} steps)")
            for label, seconds in parts.items():
                print(f"  {label:32s} {seconds * 1e3:8.3f} ms {seconds / step:6.1%}")
            rest = step - sum(parts.values())
            print(f"  {'model and loss':32s} {rest * 1e3:8.3f} ms {rest / step:6.1%}")


if __name__ == "__main__":
    main()
