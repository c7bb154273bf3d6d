"""Benchmark: sigconv.filters against scipy.ndimage, same process, side by side.

For a 1024x1024 image and a 64x256x256 volume, float64 and float32, times every linear
filter of issue 18 -- Gaussian (sigma 2 and 4, and sigma 2 with order=1), uniform (size
5), Sobel, Prewitt, Laplace, Gaussian gradient magnitude and Laplacian (sigma 2),
correlate1d / convolve1d (a random 9-tap kernel) and the N-D convolve with random,
non-separable 5x5 and 15x15 kernels (on the volume, the same 2-D kernel over each
slice: weights of shape ``(1, k, k)``) -- and prints, per row, the median milliseconds of
``scipy.ndimage`` and of ``sigconv.filters``, their ratio (ndimage / sigconv: above 1
means sigconv is faster; the median over the alternating pairs of calls of each pair's
ratio, so that a slow spell of this shared machine, which lasts several calls and slows
both libraries, weighs on both sides of a ratio alike), the issue's target (2x for the
filters, 3x for the N-D convolve), whether it is met, and the largest difference from
ndimage's result relative to the largest magnitude of ndimage's result.

Each function is called once untimed (compilation, caches), then ndimage and sigconv are
timed alternately, ``--repeats`` calls each, and the medians are kept. sigconv runs on
numba's thread count (``NUMBA_NUM_THREADS``), ndimage on one thread (it has no other).
The header gives the load average (``uptime``): this machine is shared, so compare
ratios from one run, not times across runs.

Functions are looked up by ndimage's name on ``sigconv.filters`` first, then by the
lecture's names (``gaussian``, ``box``) where the call needs nothing they lack; a row
whose function does not exist says ``missing``, one whose call raises says ``error``.

Run: ``python bench/bench_filters.py [--quick] [--repeats N] [--only NAME ...]``
(``--quick``: 3 repeats and half-size data, about a minute).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import scipy
import scipy.ndimage as ndimage

# the checkout's sigconv (this file's repository), not another copy installed in the
# environment: the benchmark times the code next to it (the header prints the path)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sigconv  # noqa: E402
import sigconv.filters as filters  # noqa: E402

#: the speed-up over scipy.ndimage the issue asks for, by kind of row
TARGET_FILTER = 2.0
TARGET_CONVOLVE = 3.0


class Missing(Exception):
    """The sigconv function (or the argument the row needs) does not exist."""


def _sigconv(name, fallback=None):
    """``sigconv.filters.<name>``, else ``fallback(filters)`` (a lecture-name adapter),
    else Missing."""
    func = getattr(filters, name, None)
    if func is not None:
        return func
    if fallback is not None:
        adapted = fallback(filters)
        if adapted is not None:
            return adapted
    raise Missing(name)


def _gaussian_lecture(module):
    gaussian = getattr(module, "gaussian", None)
    if gaussian is None:
        return None

    def call(image, sigma, order=0, **kwargs):
        if np.any(np.asarray(order) != 0):
            raise Missing("gaussian order")
        return gaussian(image, sigma, **kwargs)
    return call


def _box_lecture(module):
    box = getattr(module, "box", None)
    return None if box is None else (lambda image, size, **kwargs: box(image, size, **kwargs))


def cases(ndim, rng, dtype):
    """(row name, target, ndimage call, sigconv call) for an image of ``ndim``
    dimensions; each call takes the image."""
    kernel_1d = rng.standard_normal(9).astype(dtype)
    kernels = {k: rng.standard_normal((k, k)).astype(dtype) for k in (5, 15)}
    if ndim == 3:   # the 2-D kernel over each slice
        kernels = {k: w[np.newaxis] for k, w in kernels.items()}

    def both(ndimage_name, sigconv_name=None, fallback=None, *args, **kwargs):
        def sigconv_call(image):
            return _sigconv(sigconv_name or ndimage_name, fallback)(image, *args, **kwargs)
        return (lambda image: getattr(ndimage, ndimage_name)(image, *args, **kwargs),
                sigconv_call)

    rows = [
        ("gaussian sigma=2", TARGET_FILTER,
         *both("gaussian_filter", None, _gaussian_lecture, 2.0)),
        ("gaussian sigma=4", TARGET_FILTER,
         *both("gaussian_filter", None, _gaussian_lecture, 4.0)),
        ("gaussian sigma=2 order=1", TARGET_FILTER,
         *both("gaussian_filter", None, _gaussian_lecture, 2.0, order=1)),
        ("uniform size=5", TARGET_FILTER, *both("uniform_filter", None, _box_lecture, 5)),
        ("sobel", TARGET_FILTER, *both("sobel")),
        ("prewitt", TARGET_FILTER, *both("prewitt")),
        ("laplace", TARGET_FILTER, *both("laplace")),
        ("gaussian_gradient_magnitude s=2", TARGET_FILTER,
         *both("gaussian_gradient_magnitude", None, None, 2.0)),
        ("gaussian_laplace s=2", TARGET_FILTER, *both("gaussian_laplace", None, None, 2.0)),
        ("correlate1d 9 taps axis=-1", TARGET_FILTER,
         *both("correlate1d", None, None, kernel_1d, axis=-1)),
        ("convolve1d 9 taps axis=0", TARGET_FILTER,
         *both("convolve1d", None, None, kernel_1d, axis=0)),
        ("convolve 5x5", TARGET_CONVOLVE, *both("convolve", None, None, kernels[5])),
        ("convolve 15x15", TARGET_CONVOLVE, *both("convolve", None, None, kernels[15])),
    ]
    return rows


def max_relative_error(result, reference):
    """``max |result - reference| / max |reference|`` (in float64)."""
    result = np.asarray(result, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if result.shape != reference.shape:
        raise ValueError(f"shape {result.shape}, ndimage's {reference.shape}")
    scale = float(np.max(np.abs(reference)))
    return float(np.max(np.abs(result - reference))) / (scale if scale > 0 else 1.0)


def time_pair(ndimage_call, sigconv_call, image, repeats):
    """Median seconds of each, timed alternately after one untimed call each, the median
    of the pairs' ratios (ndimage / sigconv), and the two results of the untimed calls."""
    reference = ndimage_call(image)
    result = sigconv_call(image)
    samples = ([], [])
    for _ in range(repeats):
        for call, bucket in ((ndimage_call, samples[0]), (sigconv_call, samples[1])):
            start = time.perf_counter()
            call(image)
            bucket.append(time.perf_counter() - start)
    ratio = statistics.median(a / b for a, b in zip(*samples, strict=True))
    return (statistics.median(samples[0]), statistics.median(samples[1]), ratio, reference,
            result)


def uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 repeats on a 512x512 image and a 32x128x128 volume")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed calls of each function per row (default 5, quick 3)")
    parser.add_argument("--only", nargs="*", default=None,
                        help="rows whose name starts with one of these")
    parser.add_argument("--dtypes", nargs="*", default=["float64", "float32"])
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 5)
    shapes = [(512, 512), (32, 128, 128)] if args.quick else [(1024, 1024), (64, 256, 256)]

    import numba
    threads = numba.get_num_threads()
    print(f"# sigconv.filters vs scipy.ndimage -- sigconv {sigconv.__version__} "
          f"({os.path.dirname(sigconv.__file__)}), scipy {scipy.__version__}, "
          f"numpy {np.__version__}, numba {numba.__version__}")
    print(f"# sigconv threads (numba): {threads}; ndimage: 1 thread; "
          f"median of {repeats} alternating calls after a warm-up call")
    print(f"# uptime at start: {uptime()}")
    print(f"| {'data':<14} | {'dtype':<7} | {'filter':<31} | {'ndimage ms':>10} | "
          f"{'sigconv ms':>10} | {'ratio':>6} | {'target':>6} | {'met?':<4} | "
          f"{'max rel err':>11} |")
    print(f"|{'-' * 16}|{'-' * 9}|{'-' * 33}|{'-' * 12}|{'-' * 12}|{'-' * 8}|"
          f"{'-' * 8}|{'-' * 6}|{'-' * 13}|")
    met = total = 0
    for shape in shapes:
        for dtype in args.dtypes:
            rng = np.random.default_rng(18)
            image = rng.standard_normal(shape).astype(dtype)
            data = "x".join(map(str, shape))
            for name, target, ndimage_call, sigconv_call in cases(len(shape), rng, dtype):
                if args.only and not any(name.startswith(o) for o in args.only):
                    continue
                prefix = f"| {data:<14} | {dtype:<7} | {name:<31} |"
                try:
                    t_ndi, t_sc, ratio, reference, result = time_pair(
                        ndimage_call, sigconv_call, image, repeats)
                except Missing as exc:
                    print(f"{prefix} {'':>10} | {'':>10} | {'':>6} | {target:>5.0f}x | "
                          f"missing: {exc}", flush=True)
                    total += 1
                    continue
                except Exception as exc:   # a benchmark reports, it does not stop
                    message = f"{type(exc).__name__}: {exc}".splitlines()[0][:90]
                    print(f"{prefix} {'':>10} | {'':>10} | {'':>6} | {target:>5.0f}x | "
                          f"error: {message}", flush=True)
                    total += 1
                    continue
                ok = ratio >= target
                met += ok
                total += 1
                try:
                    error = f"{max_relative_error(result, reference):11.1e}"
                except ValueError as exc:
                    error = f"{str(exc):>11}"
                dtype_note = "" if np.asarray(result).dtype == np.asarray(reference).dtype \
                    else f" (sigconv {np.asarray(result).dtype})"
                print(f"{prefix} {t_ndi * 1e3:10.2f} | {t_sc * 1e3:10.2f} | {ratio:6.2f} | "
                      f"{target:>5.0f}x | {'yes' if ok else 'no':<4} | {error} |{dtype_note}",
                      flush=True)
    print(f"# targets met: {met} of {total} rows; uptime at end: {uptime()}")


if __name__ == "__main__":
    main()
