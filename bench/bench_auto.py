"""How close ``method="auto"`` comes to the fastest method, at 1 thread and at all threads.

For a grid of 1-D problems (1e3..1e7 samples, 3..1e4 taps, ``full`` mode) and 2-D
problems (64^2..2048^2 images, 3x3..31x31 kernels, ``same`` mode), in float64 and
float32, times ``direct``, ``fft`` and ``oa`` (where they apply) in this process, at 1
thread and at numba's full thread count (numba threads and FFT workers alike), and prints
the cost model's pick with the shipped constants and with the calibration stored by
``sigconv calibrate``, and the pick's time over the fastest method's (target: <= 1.2 in
every row). The timings do not depend on the constants, so one run gives both columns.

Run: ``python bench/bench_auto.py [--constants shipped|calibrated|both] [--quick]``
(about 5-10 minutes on 2 cores; ``--quick`` for a few problems). Medians of up to 25
repeats within a time budget; one or two runs for the largest problems. The direct
method is not timed beyond ``--direct-max`` multiply-adds (its modelled time is then
shown, marked ``~``, and never the fastest).
"""

import argparse
import math
import os
import time

import numba
import numpy as np

from sigconv import _calibrate, conv

GRID_1D = [(n, k) for n, k in (
    (1_000, 3), (1_000, 31), (1_000, 301), (10_000, 3), (10_000, 31), (10_000, 301),
    (10_000, 3_001), (100_000, 3), (100_000, 31), (100_000, 101), (100_000, 301),
    (100_000, 1_001), (100_000, 10_000), (1_000_000, 3), (1_000_000, 31),
    (1_000_000, 301), (1_000_000, 3_001), (10_000_000, 3), (10_000_000, 101),
    (10_000_000, 10_000))]
GRID_1D_32 = [(10_000, 31), (100_000, 101), (100_000, 301), (1_000_000, 31),
              (1_000_000, 1_001), (10_000_000, 31)]
GRID_2D = [(n, k) for n, k in (
    (64, 3), (64, 15), (256, 3), (256, 7), (256, 15), (256, 31), (512, 5), (512, 11),
    (512, 31), (1024, 3), (1024, 7), (1024, 15), (2048, 3), (2048, 11), (2048, 31))]
GRID_2D_32 = [(256, 15), (512, 7), (1024, 11), (2048, 5)]
QUICK = [((100_000,), (301,), "float64"), ((256, 256), (15, 15), "float64"),
         ((100_000,), (101,), "float32")]


def grid():
    problems = [((n,), (k,), "float64") for n, k in GRID_1D]
    problems += [((n,), (k,), "float32") for n, k in GRID_1D_32]
    problems += [((n, n), (k, k), "float64") for n, k in GRID_2D]
    problems += [((n, n), (k, k), "float32") for n, k in GRID_2D_32]
    return problems


def timed(function, budget):
    """Median seconds: up to 25 runs within ``budget`` after an untimed one; for calls
    slower than a second, the second of two runs (the first plans the transforms)."""
    start = time.perf_counter()
    function()
    first = time.perf_counter() - start
    if first > 1.0:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start
    samples, deadline = [], time.perf_counter() + budget
    while len(samples) < 3 or (time.perf_counter() < deadline and len(samples) < 25):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples))


def warm_up(threads):
    """Compile every kernel that the grid calls, at this thread count."""
    rng = np.random.default_rng(1)
    for shape1, shape2, dtype in [((1000,), (31,), "float64"), ((1000,), (31,), "float32"),
                                  ((300,), (299,), "float64"), ((300,), (299,), "float32"),
                                  ((64, 64), (7, 7), "float64"),
                                  ((64, 64), (7, 7), "float32")]:
        p = _calibrate.make_problem(shape1, shape2, dtype, rng)
        for method, implementation in conv._IMPLEMENTATIONS.items():
            if conv._cost_features(p, threads, threads)[method] is not None:
                implementation(p)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--constants", choices=("shipped", "calibrated", "both"),
                        default=None, help="the constants whose picks are shown (default: "
                        "both when a calibration is stored, else shipped)")
    parser.add_argument("--quick", action="store_true", help="three problems only")
    parser.add_argument("--budget", type=float, default=0.3,
                        help="seconds of repeats per method and problem")
    parser.add_argument("--direct-max", type=float, default=2e10,
                        help="time the direct method up to this many multiply-adds")
    args = parser.parse_args(argv)

    os.environ.pop(_calibrate.ENV_VARIABLE, None)
    stored, stored_date, why_not = _calibrate._read(_calibrate.calibration_path())
    wanted = args.constants or ("both" if stored else "shipped")
    if wanted in ("calibrated", "both") and stored is None:
        parser.error(f"no calibration to use ({why_not}); run `sigconv calibrate` or "
                     "`python bench/calibrate.py --save` first")
    sets = {}
    if wanted in ("shipped", "both"):
        sets["shipped"] = _calibrate.shipped()
    if wanted in ("calibrated", "both"):
        sets["calibrated"] = stored
    full = numba.config.NUMBA_NUM_THREADS
    counts = sorted({1, full})
    numba.get_num_threads()   # starts numba's pool: its threading layer is known
    print(f"threads: {counts} (numba {numba.__version__}, threading layer "
          f"{numba.threading_layer()}); load average {os.getloadavg()[0]:.2f}; constants: "
          + ", ".join(f"{name}" + (f" ({stored_date})" if name == "calibrated" else "")
                      for name in sets), flush=True)

    rng = np.random.default_rng(0)
    problems = QUICK if args.quick else grid()
    header = (f"{'in1':>12} {'in2':>9} {'dtype':>7} {'thr':>3} {'direct ms':>10} "
              f"{'fft ms':>9} {'oa ms':>9} {'best':>6}"
              + "".join(f" {name[:5] + ' pick':>10} {'ratio':>6}" for name in sets))
    worst = {(name, count): 1.0 for name in sets for count in counts}
    begin = time.perf_counter()
    rows = []
    for count in counts:
        with _calibrate.thread_setting(count):
            warm_up(count)
            print(f"\n{count} thread(s)\n{header}", flush=True)
            for shape1, shape2, dtype in problems:
                p = _calibrate.make_problem(shape1, shape2, dtype, rng)
                features = conv._cost_features(p, count, count)
                times, modelled = {}, {}
                for method, implementation in conv._IMPLEMENTATIONS.items():
                    if features[method] is None:
                        continue
                    if method == "direct" and p.direct_macs() > args.direct_max:
                        modelled[method] = conv._estimated_times(
                            p, count, count, sets.get("calibrated", sets.get("shipped"))
                        )["direct"]
                        continue
                    times[method] = timed(lambda f=implementation, p=p: f(p), args.budget)
                best = min(times, key=times.get)
                cells = []
                for method in ("direct", "fft", "oa"):
                    if method in times:
                        cells.append(f"{times[method] * 1e3:.3f}")
                    elif method in modelled:
                        cells.append(f"~{modelled[method] * 1e3:.0f}")
                    else:
                        cells.append("-")
                line = (f"{'x'.join(map(str, shape1)):>12} {'x'.join(map(str, shape2)):>9} "
                        f"{dtype:>7} {count:3d} {cells[0]:>10} {cells[1]:>9} {cells[2]:>9} "
                        f"{best:>6}")
                for name, constants in sets.items():
                    estimated = conv._estimated_times(p, count, count, constants)
                    pick = min(estimated, key=estimated.get)
                    ratio = times.get(pick, math.inf) / times[best]
                    worst[name, count] = max(worst[name, count], ratio)
                    flag = " *" if ratio > 1.2 else "  "
                    line += f" {pick:>10} {ratio:6.2f}{flag}"
                rows.append(line)
                print(line, flush=True)
    print(f"\nworst pick/best ({time.perf_counter() - begin:.0f} s, load average "
          f"{os.getloadavg()[0]:.2f}; * marks a ratio above 1.2):")
    for (name, count), ratio in worst.items():
        print(f"  {name:>10} constants, {count} thread(s): {ratio:.2f}")


if __name__ == "__main__":
    main()
