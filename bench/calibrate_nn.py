"""Fit the cost model of ``algorithm="auto"`` in the convolution layers, and check its picks.

Run from the repository root on a machine with nothing else running::

    python bench/calibrate_nn.py [--quick]

For a set of convolution layers (the lecture's networks, the benchmark layer, larger kernels,
strides, Conv1D, few and many channels) it times every algorithm that applies, forward alone
and forward + both gradients, and fits for each algorithm family the constants of
``sigconv._config.NN_CONV_COST``::

    seconds = per_call + (per_mac * multiply-adds + per_element * elements moved) / threads

(work counts from ``sigconv.nn.functional.conv_work``) by non-negative least squares on the
relative error. It prints the constants to paste into ``sigconv/_config.py``, then, for
every case, the measured time of each algorithm, the pick of the fitted constants (of the
current ones with ``--current``) and how much slower the pick is than the fastest (the
house rule: within 1.2x).
"""

import argparse
import time

import numpy as np
from scipy.optimize import nnls

from sigconv import _config
from sigconv.nn import functional

# (batch, height, width, in_channels, filters, kernel, strides, padding)
CASES = [
    (100, 8, 8, 1, 10, (3, 3), (1, 1), "valid"),      # digits net
    (32, 32, 32, 3, 32, (3, 3), (1, 1), "valid"),     # CIFAR net, batch 32
    (32, 15, 15, 32, 64, (3, 3), (1, 1), "valid"),
    (32, 6, 6, 64, 64, (3, 3), (1, 1), "valid"),
    (256, 32, 32, 3, 32, (3, 3), (1, 1), "valid"),    # CIFAR net, batch 256
    (256, 15, 15, 32, 64, (3, 3), (1, 1), "valid"),
    (256, 6, 6, 64, 64, (3, 3), (1, 1), "valid"),
    (64, 32, 32, 32, 64, (3, 3), (1, 1), "same"),     # the benchmark layer
    (8, 64, 64, 16, 16, (3, 3), (1, 1), "same"),
    (16, 28, 28, 8, 16, (3, 3), (2, 2), "same"),
    (16, 32, 32, 16, 32, (5, 5), (1, 1), "same"),
    (8, 64, 64, 8, 16, (7, 7), (1, 1), "same"),
    (4, 64, 64, 16, 16, (11, 11), (1, 1), "same"),
    (32, 1, 256, 16, 32, (1, 3), (1, 1), "same"),     # Conv1D
    (32, 1, 512, 8, 8, (1, 9), (1, 1), "same"),
    (64, 16, 16, 128, 128, (3, 3), (1, 1), "same"),
    (128, 16, 16, 4, 8, (3, 3), (1, 1), "same"),
]


def seconds(call, budget, repeats):
    """Median of up to ``repeats`` timed calls within about ``budget`` seconds, warm."""
    call()
    times = []
    start = time.perf_counter()
    while len(times) < repeats and (len(times) < 3 or time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def measure(case, name, training, budget, repeats):
    batch, height, width, channels, filters, kernel, strides, padding = case
    rng = np.random.default_rng(0)
    geometry = functional.window_geometry((height, width), kernel, strides, (1, 1), padding)
    x = rng.standard_normal((batch, height, width, channels)).astype(np.float32)
    weights = rng.standard_normal((*kernel, channels, filters)).astype(np.float32)
    grad = rng.standard_normal((batch, *geometry.out_size, filters)).astype(np.float32)
    algorithm = functional._algorithm(name)

    def call():
        out, cache = algorithm.forward(x, weights, geometry)
        if training:
            algorithm.backward(x, grad, weights, geometry, True, cache)
    return geometry, seconds(call, budget, repeats)


def family(name):
    return "winograd" if name.startswith("winograd") else name


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke test)")
    parser.add_argument("--current", action="store_true",
                        help="show the picks of the constants in sigconv._config, not the "
                             "fitted ones")
    args = parser.parse_args()
    budget, repeats = (0.05, 3) if args.quick else (0.5, 9)
    threads = functional.n_threads()
    rows = []           # (case, name, training, geometry, seconds)
    for case in CASES:
        geometry = functional.window_geometry(case[1:3], case[5], case[6], (1, 1), case[7])
        for name in functional.CONV_ALGORITHMS:
            if functional.algorithm_misfit(name, geometry, case[3], case[4],
                                           np.float32) is not None:
                continue
            for training in (False, True):
                rows.append((case, name, training,
                             *measure(case, name, training, budget, repeats)))
    print(f"# fitted on {threads} threads; paste into sigconv/_config.py")
    print("NN_CONV_COST = {")
    fitted = {}
    for fam in dict.fromkeys(family(n) for n in functional.CONV_ALGORITHMS):
        mine = [r for r in rows if family(r[1]) == fam]
        if not mine:
            continue
        design, target = [], []
        for case, name, training, geometry, t in mine:
            macs, moved = functional.conv_work(name, case[0], geometry, case[3], case[4],
                                               training)
            workers = threads if macs >= _config.NN_THREADED_MIN_MACS else 1
            design.append(np.array([1.0, macs / workers, moved / workers]) / t)
            target.append(1.0)
        constants, _ = nnls(np.array(design), np.array(target))
        fitted[fam] = tuple(float(f"{c:.3e}") for c in constants)
        print(f'    "{fam}": ({constants[0]:.3e}, {constants[1]:.3e}, {constants[2]:.3e}),')
    print("}\n")
    if args.current:
        print("the picks of the current constants (sigconv._config.NN_CONV_COST):")
    else:
        _config.NN_CONV_COST = fitted
        print("the picks of the fitted constants:")
    header = "".join(f"{n:>11s}" for n in functional.CONV_ALGORITHMS)
    print(f"{'case':46s} {'pass':5s}{header}  {'pick':>10s} {'pick/best':>9s}")
    worst = 1.0
    for case in CASES:
        for training in (False, True):
            times = {r[1]: r[4] for r in rows if r[0] == case and r[2] == training}
            geometry = next(r[3] for r in rows if r[0] == case)
            pick = functional.choose_conv_algorithm(case[0], geometry, case[3], case[4],
                                                    training=training)
            ratio = times[pick] / min(times.values())
            worst = max(worst, ratio)
            label = (f"{case[0]}x{case[1]}x{case[2]} {case[3]}->{case[4]} "
                     f"{case[5][0]}x{case[5][1]} s{case[6][0]} {case[7]}")
            cells = "".join(f"{times[n] * 1e3:9.2f}ms" if n in times else f"{'-':>11s}"
                            for n in functional.CONV_ALGORITHMS)
            print(f"{label:46s} {'train' if training else 'fwd':5s}{cells}  {pick:>10s} "
                  f"{ratio:8.2f}x")
    print(f"\nworst pick: {worst:.2f}x the fastest")


if __name__ == "__main__":
    main()
