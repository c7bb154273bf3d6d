"""Fit the cost model behind ``method="auto"`` on this machine.

Times the three methods (``direct``, ``fft``, ``oa``) on a grid of 1-D and 2-D problems,
fits each method's time as a non-negative combination of the work counts of
``sigconv.conv._cost_features`` and prints the constants to paste into
``sigconv/_config.py``. Then it reports how often ``auto`` lands within 1.2x of the best.

Run: ``python bench/calibrate.py`` (about two minutes on 2 cores).
"""

import time

import numpy as np
from scipy.optimize import nnls

from sigconv import _config, conv

SIZES_1D = [(n, k) for n in (1_000, 10_000, 100_000, 1_000_000)
            for k in (3, 16, 64, 101, 300, 1_000, 3_000, 10_000, 100_000) if k <= n]
SIZES_2D = [((64, 64), (3, 3)), ((256, 256), (3, 3)), ((256, 256), (5, 5)),
            ((256, 256), (15, 15)), ((256, 256), (31, 31)), ((512, 512), (31, 31)),
            ((128, 128), (64, 64)), ((1024, 1024), (3, 3)), ((1024, 1024), (5, 5)),
            ((1024, 1024), (15, 15)), ((1024, 1024), (31, 31)), ((2048, 2048), (5, 5)),
            ((2048, 2048), (15, 15))]


def median_time(function, budget=0.3):
    function()  # compile / plan
    samples = []
    deadline = time.perf_counter() + budget
    while len(samples) < 3 or (time.perf_counter() < deadline and len(samples) < 25):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples))


def problems(rng):
    for n, k in SIZES_1D:
        yield conv._Problem(rng.standard_normal(n), rng.standard_normal(k), "full", None)
    for shape1, shape2 in SIZES_2D:
        yield conv._Problem(rng.standard_normal(shape1), rng.standard_normal(shape2), "same", None)


def main():
    rng = np.random.default_rng(0)
    rows = []
    for p in problems(rng):
        features = conv._cost_features(p)
        times = {}
        for method, impl in conv._IMPLEMENTATIONS.items():
            if features[method] is None:
                continue
            if method == "direct" and p.direct_macs() > 3e9:
                continue  # seconds per call; the fit does not need it
            times[method] = median_time(lambda impl=impl, p=p: impl(p))
        rows.append((p, features, times))
        print(p.in1.shape, p.in2.shape, {m: f"{t * 1e3:.3f} ms" for m, t in times.items()},
              flush=True)

    fitted = {}
    for method in conv._IMPLEMENTATIONS:
        data = [(f[method], t[method]) for _, f, t in rows if method in t]
        features = np.array([d[0] for d in data])
        seconds = np.array([d[1] for d in data])
        # relative error matters, not absolute: weight each row by 1 / time
        coefficients, _ = nnls(features / seconds[:, None], np.ones_like(seconds))
        fitted[method] = tuple(float(c) for c in coefficients)
    print()
    print("# paste into sigconv/_config.py")
    for method, name in conv._COSTS.items():
        print(f"{name} = ({', '.join(f'{c:.3e}' for c in fitted[method])})")
    for method, name in conv._COSTS.items():
        setattr(_config, name, fitted[method])
    conv._CHOICES.clear()  # choices made with the old constants

    print()
    print(f"{'in1':>14} {'in2':>12} {'auto':>7} {'best':>7} {'auto/best':>9}")
    worst = 1.0
    for p, _, times in rows:
        choice = conv._choose(p)
        best = min(times, key=times.get)
        ratio = times.get(choice, np.inf) / times[best]
        worst = max(worst, ratio)
        print(f"{str(p.in1.shape):>14} {str(p.in2.shape):>12} {choice:>7} {best:>7} "
              f"{ratio:9.2f}")
    print(f"worst auto/best with the fitted constants: {worst:.2f}")


if __name__ == "__main__":
    main()
