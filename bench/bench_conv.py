"""Benchmark: sigconv.convolve against NumPy and SciPy, in one process, side by side.

Prints, for float64 and float32 and each (n, k) of the 1-D issue, the median time of

* the anchors: ``numpy.convolve``, ``scipy.signal.convolve`` (auto), ``fftconvolve`` and
  ``oaconvolve``;
* ``sigconv.convolve(method="auto")`` and each of its methods ``direct`` / ``fft`` / ``oa``;

then the ratios that the targets are stated in: best anchor / sigconv auto (>= 1 means
sigconv is at least as fast), numpy / sigconv auto, and sigconv auto / best sigconv method
(<= 1.2 wanted), and the same for the method ``auto`` picks as timed on its own
(pick/best: the cost model's own error, free of the noise between two timings of one
path). Finally the cold ``import sigconv`` time and the first call in a fresh
process with the kernel cache warm.

Run: ``python bench/bench_conv.py [--quick]`` (a few minutes; ``--quick`` skips the sizes
whose slowest anchor takes seconds per call).
"""

import argparse
import random
import subprocess
import sys
import time

import numpy as np
import scipy.signal as ss

import sigconv as sc

SIZES = [(1_000, 3), (10_000, 3), (100_000, 3), (1_000_000, 3), (10_000, 101),
         (100_000, 101), (1_000_000, 101), (100_000, 1_000), (1_000_000, 10_000),
         (10_000, 10_000), (100_000, 100_000), (100_000, 16), (1_000_000, 16),
         (100_000, 51), (1_000_000, 51)]
#: seconds spent per measured function and row, about (a minimum of 3 calls)
BUDGET = 0.5


def median_times(functions, passes=4, seed=0, slow=1.0):
    """Seconds per call of each function: the best of ``passes`` block medians.

    Each pass times every function in a block of back-to-back calls (at least 3, about
    ``BUDGET / passes`` seconds) after one untimed call, and takes the block's median.
    Passes go round all the functions, each pass in a new random order, and the best
    pass of each function is kept: a slow spell of this shared machine, or the state
    the previous function leaves (on this VM, a multi-threaded call right after a long
    single-threaded one pays for waking the idle vCPU), cannot favour one of them.
    A function whose second call takes more than ``slow`` seconds is timed by that call
    alone (the slowest anchors take many seconds).
    """
    for function in functions.values():
        function()  # compilation, FFT plans
    medians = {name: [] for name in functions}
    for name, function in functions.items():
        start = time.perf_counter()
        function()
        elapsed = time.perf_counter() - start
        if elapsed > slow:
            medians[name].append(elapsed)
    order = [name for name in functions if not medians[name]]
    rng = random.Random(seed)
    for _ in range(passes):
        rng.shuffle(order)
        for name in order:
            function = functions[name]
            function()
            samples = []
            deadline = time.perf_counter() + BUDGET / passes
            while len(samples) < 3 or (time.perf_counter() < deadline and len(samples) < 100):
                start = time.perf_counter()
                function()
                samples.append(time.perf_counter() - start)
            medians[name].append(float(np.median(samples)))
    return {name: min(values) for name, values in medians.items()}


def row(n, k, dtype, rng, quick):
    x = rng.standard_normal(n).astype(dtype)
    h = rng.standard_normal(k).astype(dtype)
    anchors = {
        "numpy": lambda: np.convolve(x, h),
        "scipy": lambda: ss.convolve(x, h),
        "fftconv": lambda: ss.fftconvolve(x, h),
        "oaconv": lambda: ss.oaconvolve(x, h),
    }
    ours = {
        "sc.auto": lambda: sc.convolve(x, h),
        "sc.direct": lambda: sc.convolve(x, h, method="direct"),
        "sc.fft": lambda: sc.convolve(x, h, method="fft"),
        "sc.oa": lambda: sc.convolve(x, h, method="oa"),
    }
    functions = {**anchors, **ours}
    if quick and n * k >= 1e9:
        del functions["numpy"], functions["sc.direct"]
    times = dict.fromkeys({**anchors, **ours}, np.nan)
    times.update(median_times(functions))
    best_anchor = np.nanmin([times[a] for a in anchors])
    best_ours = np.nanmin([times[m] for m in ("sc.direct", "sc.fft", "sc.oa")])
    times["anchor/sc"] = best_anchor / times["sc.auto"]
    times["numpy/sc"] = times["numpy"] / times["sc.auto"]
    times["auto/best"] = times["sc.auto"] / best_ours
    times["auto picks"] = sc.choose_conv_method(x, h)
    times["pick/best"] = times[f"sc.{times['auto picks']}"] / best_ours
    return times


def startup_times():
    """Cold import and first call (kernel cache warm) in fresh interpreters."""
    code_import = "import time; t = time.perf_counter(); import sigconv; " \
                  "print(time.perf_counter() - t)"
    code_call = ("import time; t = time.perf_counter(); import numpy as np, sigconv; "
                 "sigconv.convolve(np.ones(100_000), np.ones(101)); "
                 "sigconv.convolve(np.ones(1000), np.ones(3)); "
                 "print(time.perf_counter() - t)")
    subprocess.run([sys.executable, "-c", code_call], check=True, capture_output=True)
    results = {}
    for name, code in (("import sigconv", code_import), ("import + first calls", code_call)):
        samples = [float(subprocess.run([sys.executable, "-c", code], check=True,
                                        capture_output=True, text=True).stdout)
                   for _ in range(3)]
        results[name] = float(np.median(samples))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip numpy.convolve and sc.direct where n * k >= 1e9")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    columns = ["numpy", "scipy", "fftconv", "oaconv", "sc.auto", "sc.direct", "sc.fft", "sc.oa"]
    header = (f"{'dtype':>7} {'n':>9} {'k':>7} "
              + " ".join(f"{c:>9}" for c in columns)
              + f" {'anchor/sc':>9} {'numpy/sc':>9} {'auto/best':>9} {'picks':>6}"
              + f" {'pick/best':>9}")
    print("median milliseconds per call; ratios > 1 in anchor/sc and numpy/sc mean "
          "sigconv is faster")
    print(header)
    for dtype in (np.float64, np.float32):
        for n, k in SIZES:
            t = row(n, k, dtype, rng, args.quick)
            print(f"{np.dtype(dtype).name:>7} {n:>9} {k:>7} "
                  + " ".join(f"{t[c] * 1e3:9.3f}" for c in columns)
                  + f" {t['anchor/sc']:9.2f} {t['numpy/sc']:9.2f} {t['auto/best']:9.2f}"
                  + f" {t['auto picks']:>6} {t['pick/best']:9.2f}", flush=True)
    print()
    for name, seconds in startup_times().items():
        print(f"{name:>22}: {seconds:.3f} s (fresh process, kernel cache warm)")


if __name__ == "__main__":
    main()
