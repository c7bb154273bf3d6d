"""The ``sigconv`` command.

``sigconv demo`` runs the main job: the lecture's polynomial product as a convolution,
its Toeplitz matrix, and the convolution theorem checked on a long random signal.
"""

import argparse
import sys
import time

import numpy as np

import sigconv as sc

# the lecture's example: p(t) = a0 + a1 t + a2 t^2 times s(t) = b0 + ... + b3 t^3
_ALPHA = np.array([2, -1, 3])
_BETA = np.array([1, 4, 0, -2])


def _format_poly(coefficients):
    terms = []
    for power, c in enumerate(coefficients):
        if c == 0:
            continue
        variable = "" if power == 0 else ("t" if power == 1 else f"t^{power}")
        terms.append(f"{c:g}{variable}" if variable == "" or abs(c) != 1
                     else ("-" if c < 0 else "") + variable)
    return " + ".join(terms).replace("+ -", "- ") or "0"


def _best_of_two(function, *args, **kwargs):
    """Result and best wall time of two calls (the first may load compiled kernels)."""
    times = []
    for _ in range(2):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return result, min(times)


def demo(out=None, n=1_000_000, taps=1001):
    """Print the polynomial product, its Toeplitz matrix and an FFT-vs-direct check.

    Parameters
    ----------
    out : file-like, optional
        Where to write; standard output by default.
    n : int, default 1_000_000
        Length of the random signal of the FFT-vs-direct check.
    taps : int, default 1001
        Length of its kernel.

    Returns
    -------
    float
        The largest relative difference between the FFT and the direct results.
    """
    out = sys.stdout if out is None else out

    def say(*lines):
        print(*lines, sep="\n", file=out)

    alpha, beta = _ALPHA, _BETA
    delta = sc.convolve(alpha, beta)
    say("sigconv demo: convolution as mathematics", "",
        "1. Polynomial multiplication is convolution of coefficients",
        f"   p(t) = {_format_poly(alpha)}",
        f"   s(t) = {_format_poly(beta)}",
        f"   delta = alpha * beta = {delta.tolist()}",
        f"   p(t) s(t) = {_format_poly(delta)}")
    t = 1.7
    direct_value = np.polyval(alpha[::-1], t) * np.polyval(beta[::-1], t)
    say(f"   check at t = {t}: p(t) s(t) = {direct_value:.6f}, "
        f"sum delta_j t^j = {np.polyval(delta[::-1], t):.6f}", "")

    matrix = sc.convolution_matrix(alpha, beta.size)
    say("2. The same product as a Toeplitz matrix times a vector: delta = A beta", "   A =")
    say(*("   " + line for line in np.array2string(matrix).splitlines()))
    operator = sc.ToeplitzOperator(alpha, beta.size)
    say(f"   A @ beta = {(matrix @ beta).tolist()}",
        f"   ToeplitzOperator (never forms A) @ beta = {operator.matvec(beta).round(12).tolist()}",
        "")

    rng = np.random.default_rng(2024)
    signal = rng.standard_normal(n)
    kernel = rng.standard_normal(taps)
    via_direct, t_direct = _best_of_two(sc.convolve, signal, kernel, method="direct")
    via_fft, t_fft = _best_of_two(sc.convolve, signal, kernel, method="fft")
    _, t_oa = _best_of_two(sc.convolve, signal, kernel, method="oa")
    error = float(np.max(np.abs(via_fft - via_direct)) / np.max(np.abs(via_direct)))
    auto = sc.choose_conv_method(signal, kernel)
    say("3. The convolution theorem: FFT convolution == direct convolution",
        f"   signal of {n:,} samples, kernel of {taps:,} taps",
        f"   direct: {t_direct * 1e3:.1f} ms   fft: {t_fft * 1e3:.1f} ms   "
        f"overlap-add: {t_oa * 1e3:.1f} ms   method='auto' picks {auto!r}",
        f"   max |fft - direct| / max |direct| = {error:.2e}  "
        f"({'OK' if error < 1e-10 else 'MISMATCH'})", "")
    _demo_fourier(say)
    return error


def _demo_fourier(say):
    """The lecture's square wave (T = 0.2, W = 0.1, F = 2), its series and an oscillator."""
    period, width, height = 0.2, 0.1, 2.0
    series = sc.FourierSeries.square_wave(period, width, height, 500)
    f, _ = sc.fourier_coefficients(lambda t: sc.square_wave(t, period, width, height),
                                   period, 6, n_quad=2**16)
    say("4. Fourier series of the square wave T = 0.2, width 0.1, F = 2",
        f"   analytic  f_0..f_5 = {np.round(series.f[:6], 4).tolist()}",
        f"   quadrature f_0..f_5 = {np.round(f, 4).tolist()}",
        f"   Parseval power of 500 terms = {series.power():.4f} (the wave's: "
        f"{height**2 * width / period:.4f}); Gibbs overshoot = "
        f"{100 * series.gibbs_overshoot():.2f}% of the jump")
    oscillator = sc.DrivenOscillator(mass=1.0, damping=10.0, stiffness=1000.0)
    t = np.linspace(0.0, 5.0, 1001)
    forcing = series.truncate(20)
    late = t > 4.0  # the transient from rest has decayed like exp(-5 t)
    gap = np.max(np.abs(oscillator.simulate(forcing, t)[late]
                        - oscillator.steady_state(forcing, t)[late]))
    say("5. Driven oscillator m=1, b=10, k=1000 by superposition of 20 harmonics",
        f"   resonance at w = {oscillator.resonance_frequency():.3f}; "
        f"max |ODE - superposition| for t > 4: {gap:.1e}")


def main(argv=None):
    """Entry point of the ``sigconv`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (defaults to ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(
        prog="sigconv", description="Convolution, signal processing and CNNs with numba.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="polynomial product, Toeplitz matrix and FFT-vs-direct check")
    demo_parser.add_argument("--n", type=int, default=1_000_000, help="signal length")
    demo_parser.add_argument("--taps", type=int, default=1001, help="kernel length")
    args = parser.parse_args(argv)
    if args.command == "demo":
        error = demo(n=args.n, taps=args.taps)
        return 0 if error < 1e-10 else 1
    return 2  # pragma: no cover (argparse rejects unknown commands)


if __name__ == "__main__":
    sys.exit(main())
