"""Benchmark: the lecture's digits training, sigconv against a hand-written PyTorch loop.

Run from the repository root: ``python bench/bench_training.py [--grid]``.

(1) One 100-epoch fit of the lecture's digits CNN (Conv2D(10, 3x3, relu) -> MaxPool 2 ->
    Flatten -> Dense(50, relu) -> Dense(10, softmax), SGD eta=0.01 with L2 1e-3 on every
    kernel, batch 100, the 80/20 split of scikit-learn's digits): ``Sequential.fit`` against
    the same network and loop written by hand in PyTorch (the issue's anchor, ~1.9 s), both
    in this process, alternating, median of several fits; then the test accuracy of each.
(2) With ``--grid``: the lecture's full 7x7 grid (eta, lambda in logspace(-5, 1, 7)) with
    ``grid_search(n_jobs=2)``; Keras on the PyTorch backend took 398 s for it on this machine
    (measured for the issue; Keras is not installed here).
"""

import argparse
import os
import sys
import time

import numpy as np
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sigconv import datasets, nn  # noqa: E402

try:
    import torch
except ImportError:  # the anchor is optional
    torch = None

EPOCHS, BATCH, ETA, LAMBDA = 100, 100, 0.01, 1e-3


def digits_split(seed=0):
    x, labels = datasets.load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        x, nn.utils.to_categorical(labels), train_size=0.8, test_size=0.2, random_state=seed)
    return x_train, y_train, x_test, y_test


def fit_sigconv(x_train, y_train, x_test, y_test, seed):
    model = nn.lecture_digits_cnn(learning_rate=ETA, l2=LAMBDA)
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH, verbose=0, seed=seed)
    elapsed = time.perf_counter() - start
    return elapsed, model.evaluate(x_test, y_test)[1]


def fit_pytorch(x_train, y_train, x_test, y_test, seed):
    """The same network and loop by hand: Keras's L2 (lambda * sum w^2) added to the loss."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 10, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(90, 50), torch.nn.ReLU(), torch.nn.Linear(50, 10))
    kernels = [model[0].weight, model[4].weight, model[6].weight]
    optimizer = torch.optim.SGD(model.parameters(), lr=ETA)
    loss_fn = torch.nn.CrossEntropyLoss()
    tx = torch.from_numpy(x_train.transpose(0, 3, 1, 2).copy())
    ty = torch.from_numpy(y_train.argmax(axis=1))
    generator = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.randperm(len(tx), generator=generator)
        for first in range(0, len(tx), BATCH):
            index = order[first:first + BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(tx[index]), ty[index])
            loss = loss + LAMBDA * sum((w * w).sum() for w in kernels)
            loss.backward()
            optimizer.step()
    elapsed = time.perf_counter() - start
    with torch.no_grad():
        predicted = model(torch.from_numpy(x_test.transpose(0, 3, 1, 2).copy())).argmax(1)
    return elapsed, float((predicted.numpy() == y_test.argmax(axis=1)).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--grid", action="store_true", help="also time the 7x7 grid")
    args = parser.parse_args()
    threads = nn.functional.n_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    data = digits_split()
    runners = {"sigconv": fit_sigconv}
    if torch is not None:
        runners["pytorch"] = fit_pytorch
    for runner in runners.values():   # compilation, warm caches
        runner(*data, seed=0)
    results = {name: [] for name in runners}
    for repeat in range(args.repeats):
        for name, runner in runners.items():
            results[name].append(runner(*data, seed=repeat))
    print(f"digits CNN, {EPOCHS} epochs, batch {BATCH}, {len(data[0])} training samples, "
          f"{threads} threads; PyTorch {torch.__version__ if torch else '(not installed)'}")
    print(f"{'':10s} {'fit (median)':>14s} {'test accuracy (median)':>24s}")
    for name, values in results.items():
        seconds, accuracy = (np.median([v[i] for v in values]) for i in (0, 1))
        print(f"{name:10s} {seconds:12.2f} s {accuracy:24.3f}")
    if torch is not None:
        ratio = np.median([v[0] for v in results["pytorch"]]) / np.median(
            [v[0] for v in results["sigconv"]])
        print(f"pytorch / sigconv fit time: {ratio:.2f}x")
    if args.grid:
        etas = lambdas = list(np.logspace(-5, 1, 7))
        start = time.perf_counter()
        result = nn.grid_search(nn.lecture_digits_cnn, {"learning_rate": etas, "l2": lambdas},
                                *data, epochs=EPOCHS, batch_size=BATCH, n_jobs=2, seed=0)
        elapsed = time.perf_counter() - start
        best = result.best()
        print(f"\n7x7 grid, n_jobs=2: {elapsed:.1f} s (Keras on PyTorch: 398 s, "
              f"{398 / elapsed:.1f}x); best test accuracy {best['test_accuracy']:.3f} at "
              f"eta={best['learning_rate']:.0e}, lambda={best['l2']:.0e}")
        grid, _, _ = result.pivot("test_accuracy")
        print("test accuracy (rows eta, columns lambda, both logspace(-5, 1, 7)):")
        print(np.array2string(grid, precision=3, suppress_small=True))


if __name__ == "__main__":
    main()
