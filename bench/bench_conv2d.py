"""Benchmark: 2-D convolution against SciPy, in one process, side by side.

For images of 256x256, 1024x1024 and 2048x2048 pixels, float64 and float32, and random
(not separable) kernels of 3x3, 5x5, 15x15 and 31x31, prints the median milliseconds of
the anchors -- ``scipy.signal.convolve2d``, ``scipy.ndimage.convolve`` (zero boundary),
``scipy.signal.fftconvolve`` and ``oaconvolve`` -- and of ``sigconv.convolve2d`` and
``sigconv.convolve(method="auto")``, all in ``same`` mode with a zero boundary (the same
numbers out of every function), then the ratios the targets are stated in:
``convolve2d`` against SciPy's (>= 10 wanted up to 15x15) and against ndimage (>= 1.5),
and ``auto`` against the best anchor (>= 1 / 1.2). A last block times a separable
(Gaussian) kernel, which ``convolve2d`` runs as two 1-D passes.

Run: ``python bench/bench_conv2d.py [--quick]`` (several minutes: SciPy's convolve2d
takes seconds per call on the large cases; ``--quick`` skips the 2048x2048 images).
"""

import argparse

import numpy as np
import scipy.ndimage as ndi
import scipy.signal as ss
from bench_conv import median_times

import sigconv as sc

IMAGES = (256, 1024, 2048)
KERNELS = (3, 5, 15, 31)


def row(image, kernel):
    functions = {
        "convolve2d": lambda: ss.convolve2d(image, kernel, "same"),
        "ndimage": lambda: ndi.convolve(image, kernel, mode="constant"),
        "fftconv": lambda: ss.fftconvolve(image, kernel, "same"),
        "oaconv": lambda: ss.oaconvolve(image, kernel, "same"),
        "sc.conv2d": lambda: sc.convolve2d(image, kernel, "same"),
        "sc.auto": lambda: sc.convolve(image, kernel, "same"),
    }
    reference = functions["fftconv"]()
    for name in ("ndimage", "sc.conv2d", "sc.auto"):
        scale = np.abs(reference).max()
        assert np.allclose(functions[name](), reference, atol=1e-3 * scale), name
    return median_times(functions, passes=3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip 2048x2048 images")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    columns = ["convolve2d", "ndimage", "fftconv", "oaconv", "sc.conv2d", "sc.auto"]
    print("median milliseconds per call, mode='same', zero boundary; ratios > 1 mean "
          "sigconv is faster")
    print(f"{'dtype':>7} {'image':>6} {'kernel':>6} "
          + " ".join(f"{c:>10}" for c in columns)
          + f" {'c2d/sc':>8} {'ndi/sc':>8} {'anchor/auto':>11} {'picks':>6}")
    for dtype in (np.float64, np.float32):
        for n in IMAGES:
            if args.quick and n > 1024:
                continue
            image = rng.standard_normal((n, n)).astype(dtype)
            for k in KERNELS:
                kernel = rng.standard_normal((k, k)).astype(dtype)
                t = row(image, kernel)
                best_anchor = min(t[c] for c in ("convolve2d", "ndimage", "fftconv", "oaconv"))
                print(f"{np.dtype(dtype).name:>7} {n:>6} {k:>6} "
                      + " ".join(f"{t[c] * 1e3:10.2f}" for c in columns)
                      + f" {t['convolve2d'] / t['sc.conv2d']:8.1f}"
                      + f" {t['ndimage'] / t['sc.conv2d']:8.2f}"
                      + f" {best_anchor / t['sc.auto']:11.2f}"
                      + f" {sc.choose_conv_method(image, kernel, 'same'):>6}", flush=True)
    print()
    print("separable kernel (Gaussian, sigma = k / 6), float64, 1024x1024")
    image = rng.standard_normal((1024, 1024))
    for k in KERNELS:
        kernel = sc.filters.gaussian_kernel(k / 6.0, truncate=3.0)[:k, :k]
        t = median_times({
            "ndimage": lambda kernel=kernel: ndi.convolve(image, kernel, mode="constant"),
            "fftconv": lambda kernel=kernel: ss.fftconvolve(image, kernel, "same"),
            "sc.conv2d": lambda kernel=kernel: sc.convolve2d(image, kernel, "same"),
        }, passes=3)
        print(f"  {kernel.shape[0]:>2}x{kernel.shape[1]:<2} ndimage {t['ndimage'] * 1e3:8.2f}"
              f"  fftconvolve {t['fftconv'] * 1e3:8.2f}  sc.convolve2d "
              f"{t['sc.conv2d'] * 1e3:8.2f}  ndimage/sc {t['ndimage'] / t['sc.conv2d']:6.2f}")


if __name__ == "__main__":
    main()
