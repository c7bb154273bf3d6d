"""Benchmark: Fourier-series synthesis against NumPy, in one process, side by side.

Synthesis of 500 harmonics of the lecture's square wave (T = 0.2, W = 0.1, F = 2) at
1e4, 1e5 and 1e6 points, three ways:

* the lecture's loop: one NumPy ``cos`` of the whole time grid per harmonic;
* vectorised NumPy: ``f @ cos(outer(n, w t))``, a ``harmonics x points`` temporary
  (done in chunks of points so that 1e6 points fit in memory);
* ``sigconv.FourierSeries``: the parallel numba kernel with the angle-addition recurrence.

Prints median seconds, throughput in terms (points x harmonics) per second and the ratios
against both NumPy versions (the target: >= 20x the vectorised one).

Run: ``python bench/bench_fourier.py``.
"""

import numpy as np
from bench_conv import median_times

import sigconv as sc

PERIOD, WIDTH, HEIGHT = 0.2, 0.1, 2.0
N_TERMS = 500
CHUNK = 20_000


def lecture_loop(series, t):
    out = np.full(t.shape, series.f[0] / 2)
    for n in range(1, series.n_terms):
        out += series.f[n] * np.cos(n * series.omega * t)
    return out


def numpy_outer(series, t):
    n = np.arange(1, series.n_terms)
    out = np.empty(t.shape)
    for start in range(0, t.size, CHUNK):
        chunk = t[start:start + CHUNK]
        out[start:start + CHUNK] = series.f[0] / 2 + series.f[1:] @ np.cos(
            np.outer(n, series.omega * chunk))
    return out


def main():
    series = sc.FourierSeries.square_wave(PERIOD, WIDTH, HEIGHT, N_TERMS)
    print(f"{N_TERMS} harmonics; median seconds; throughput in terms/s")
    print(f"{'points':>9} {'lecture':>10} {'outer':>10} {'sigconv':>10} "
          f"{'sigconv terms/s':>16} {'vs lecture':>11} {'vs outer':>9}")
    for n_points in (10_000, 100_000, 1_000_000):
        t = np.linspace(0.0, 1.0, n_points, endpoint=False)
        expected = numpy_outer(series, t)
        assert np.allclose(series(t), expected, atol=1e-9)
        times = median_times({
            "lecture": lambda t=t: lecture_loop(series, t),
            "outer": lambda t=t: numpy_outer(series, t),
            "sigconv": lambda t=t: series(t),
        }, passes=3)
        terms = n_points * (N_TERMS - 1)
        print(f"{n_points:>9} {times['lecture']:10.4f} {times['outer']:10.4f} "
              f"{times['sigconv']:10.5f} {terms / times['sigconv']:16.3e} "
              f"{times['lecture'] / times['sigconv']:11.1f} "
              f"{times['outer'] / times['sigconv']:9.1f}", flush=True)
    big = sc.FourierSeries.square_wave(PERIOD, WIDTH, HEIGHT, 1000)
    t = np.linspace(0.0, 1.0, 1_000_000)
    seconds = median_times({"big": lambda: big(t)}, passes=3)["big"]
    print(f"\n1e6 points x 1e3 harmonics: {seconds:.3f} s")


if __name__ == "__main__":
    main()
