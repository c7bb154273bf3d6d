"""
The convolution theorem: convolution by FFT
===========================================

The discrete Fourier transform turns a convolution into a pointwise product. That one
identity is why a convolution with a long kernel costs hardly more than one with a short
kernel, and it is the second way (after the direct sum) that sigconv computes
:func:`sigconv.convolve`. This tutorial

* states the theorem for the discrete Fourier transform and checks it numerically,
* shows why the DFT gives a *circular* convolution and how zero padding to
  :math:`n + k - 1` samples makes it the linear one,
* checks that :func:`sigconv.fftconvolve`, :func:`sigconv.oaconvolve` and
  ``sigconv.convolve(method="fft")`` agree with the direct sum,
* counts the operations of each method, then *measures* them, in 1-D and in 2-D, next to
  the choice of :func:`sigconv.choose_conv_method`, and
* shows why integers always go to the direct sum: it is exact, an FFT is not.

Every claim below is checked in code, with an ``assert`` or a printed comparison.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.fft

import sigconv as sc

rng = np.random.default_rng(seed=2024)

# %%
# The discrete Fourier transform
# ------------------------------
#
# The DFT of :math:`N` samples :math:`x_0, \dots, x_{N-1}` is the sequence
#
# .. math:: \hat x_m = \sum_{j=0}^{N-1} x_j\, e^{-2\pi i\, jm/N}, \qquad m = 0, \dots, N-1,
#
# the coefficients of :math:`x` in the basis of the :math:`N` sampled complex waves
# :math:`e^{2\pi i\, jm/N}`. Written as a matrix product it costs :math:`N^2`
# multiply-adds; the fast Fourier transform (FFT) computes the same numbers in
# :math:`O(N \log N)`. :func:`numpy.fft.fft` and :func:`scipy.fft.fft` agree with the
# matrix:

n_points = 16
j = np.arange(n_points)
dft_matrix = np.exp(-2j * np.pi * np.outer(j, j) / n_points)
x_small = rng.standard_normal(n_points)
print("max |numpy.fft.fft - DFT matrix|:", np.abs(np.fft.fft(x_small) - dft_matrix @ x_small).max())
assert np.allclose(np.fft.fft(x_small), dft_matrix @ x_small)
assert np.allclose(scipy.fft.fft(x_small), dft_matrix @ x_small)

# %%
# The theorem: circular convolution becomes a product
# ---------------------------------------------------
#
# The waves :math:`e^{-2\pi i\, jm/N}` repeat with period :math:`N` in :math:`j`, so the
# DFT sees its input as one period of a periodic sequence. The convolution that matches
# that view is the *circular* convolution, whose indices wrap around modulo :math:`N`:
#
# .. math:: (a \circledast b)_j = \sum_{q=0}^{N-1} a_q\, b_{(j - q) \bmod N}.
#
# Its DFT is a double sum. Writing :math:`e^{-2\pi i\, jm/N} = e^{-2\pi i\, qm/N}\,
# e^{-2\pi i\, (j-q)m/N}` and substituting :math:`p = (j - q) \bmod N` (which, for each
# fixed :math:`q`, runs over all of :math:`0, \dots, N-1` once, and leaves the periodic
# wave unchanged) splits it in two:
#
# .. math::
#
#    \widehat{(a \circledast b)}_m
#    = \sum_{q} a_q\, e^{-2\pi i\, qm/N} \sum_{p} b_p\, e^{-2\pi i\, pm/N}
#    = \hat a_m\, \hat b_m .
#
# This is the **convolution theorem**: the DFT of a circular convolution is the pointwise
# product of the DFTs. Transforming back gives the convolution,
# :math:`a \circledast b = \mathcal{F}^{-1}\{\hat a\, \hat b\}`. A check against the
# definition, and against :func:`sigconv.circular_convolve`, which does exactly this:


def circular_convolve_by_definition(a, b):
    """The defining sum with wrapped indices; slow, but obviously right."""
    size = len(a)
    return np.array([sum(a[q] * b[(j - q) % size] for q in range(size)) for j in range(size)])


a = rng.standard_normal(n_points)
b = rng.standard_normal(n_points)
by_definition = circular_convolve_by_definition(a, b)
by_theorem = np.fft.ifft(np.fft.fft(a) * np.fft.fft(b))
print("max |ifft(fft(a) fft(b)) - definition| :", np.abs(by_theorem - by_definition).max())
print("largest imaginary part (rounding only)  :", np.abs(by_theorem.imag).max())
assert np.allclose(by_theorem, by_definition)
assert np.allclose(sc.circular_convolve(a, b), by_definition)

# the same identity read forwards: the DFT of the convolution is the product of the DFTs
assert np.allclose(np.fft.fft(by_definition), np.fft.fft(a) * np.fft.fft(b))

# %%
# From circular to linear convolution: zero padding
# -------------------------------------------------
#
# The linear convolution of a signal of :math:`n` samples with a kernel of :math:`k`
# taps has :math:`n + k - 1` samples. A circular convolution of length :math:`N = n` has
# no room for the last :math:`k - 1` of them: they wrap around and are added onto the
# first :math:`k - 1`. In formulas, the circular result is the linear one *folded*,
# :math:`(a \circledast b)_j = (a * b)_j + (a * b)_{j + N}`.
#
# A signal that switches on and off and a decaying kernel show the effect: the tail of the
# last pulse reappears at the start.

n_signal, n_taps = 120, 40
signal = np.zeros(n_signal)
signal[20:45] = 1.0
signal[95:] = 1.0  # a pulse that reaches the end of the signal
kernel = 0.15 * np.exp(-np.arange(n_taps) / 10.0)

linear = sc.convolve(signal, kernel, method="direct")
kernel_padded_to_n = np.concatenate((kernel, np.zeros(n_signal - n_taps)))
wrapped = sc.circular_convolve(signal, kernel_padded_to_n)

folded = linear[:n_signal].copy()
folded[: n_taps - 1] += linear[n_signal:]
print("max |circular of length n - folded linear|:", np.abs(wrapped - folded).max())
assert np.allclose(wrapped, folded)
assert not np.allclose(wrapped, linear[:n_signal])

# %%
# Padding both inputs with zeros to :math:`N \ge n + k - 1` samples leaves room for the
# whole result: nothing wraps, and the circular convolution *is* the linear one (its
# first :math:`n + k - 1` samples; the rest are zero).

n_full = n_signal + n_taps - 1
padded = np.fft.irfft(np.fft.rfft(signal, n_full) * np.fft.rfft(kernel, n_full), n_full)
print("max |padded FFT convolution - direct|:", np.abs(padded - linear).max())
assert np.allclose(padded, linear)

fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
samples = np.arange(n_full)
ax.plot(np.arange(n_signal), signal, color="0.6", lw=1, label="signal")
ax.plot(samples, linear, "k", lw=2.5, label="linear: direct sum")
ax.plot(samples, padded, "--", color="C1", lw=1.5,
        label=f"circular, zero-padded to n + k - 1 = {n_full}")
ax.plot(np.arange(n_signal), wrapped, color="C3", lw=1.5,
        label=f"circular, no padding (N = n = {n_signal})")
ax.axvline(n_signal - 0.5, color="0.8", ls=":")
ax.annotate("the tail past sample n - 1\nwraps back onto the start", xy=(6, wrapped[6]),
            xytext=(52, 1.75), arrowprops={"arrowstyle": "->", "color": "C3"}, color="C3")
ax.set_xlabel("sample")
ax.set_ylabel("value")
ax.set_ylim(-0.1, 2.2)
fig.legend(loc="outside lower center", fontsize="small", ncols=2)
ax.set_title("Without zero padding the DFT convolves circularly")

# %%
# Any :math:`N \ge n + k - 1` works, so an implementation pads a little further, to a
# length whose FFT is fast: a product of small primes.
# :func:`scipy.fft.next_fast_len` finds the next such length (``True``: for a real FFT).
# The result is the same:

n_fast = scipy.fft.next_fast_len(n_full, True)
print(f"n + k - 1 = {n_full}, next fast length = {n_fast}")
padded_fast = scipy.fft.irfft(scipy.fft.rfft(signal, n_fast) * scipy.fft.rfft(kernel, n_fast),
                              n_fast)
assert np.allclose(padded_fast[:n_full], linear)
assert np.allclose(padded_fast[n_full:], 0.0)

# %%
# sigconv's FFT methods agree with the direct sum
# -----------------------------------------------
#
# :func:`sigconv.fftconvolve` (and ``sigconv.convolve(method="fft")``) does exactly the
# above: one zero-padded real FFT of each input, a product, one inverse FFT, and the
# window that ``mode`` selects. :func:`sigconv.oaconvolve` (``method="oa"``,
# *overlap-add*) cuts the longer input into blocks, convolves every block with the kernel
# by FFT (short transforms, all in one batch) and adds the overlapping tails of
# neighbouring blocks: by linearity, the convolution of a sum of blocks is the sum of
# their convolutions. On a long random signal all of them match the direct sum to
# rounding error, in every mode:

x = rng.standard_normal(100_000)
h = rng.standard_normal(1_001)

for mode in ("full", "same", "valid"):
    reference = sc.convolve(x, h, mode=mode, method="direct")
    scale = np.abs(reference).max()
    candidates = {
        "fftconvolve": sc.fftconvolve(x, h, mode=mode),
        "convolve(method='fft')": sc.convolve(x, h, mode=mode, method="fft"),
        "oaconvolve": sc.oaconvolve(x, h, mode=mode),
        "convolve(method='oa')": sc.convolve(x, h, mode=mode, method="oa"),
    }
    for name, result in candidates.items():
        error = np.abs(result - reference).max() / scale
        print(f"mode={mode!r:8} {name:24} max relative difference to direct: {error:.1e}")
        assert result.shape == reference.shape
        assert np.allclose(result, reference, rtol=1e-10, atol=1e-10 * scale)

# %%
# The theorem holds in any number of dimensions (the :math:`d`-dimensional DFT factors
# into 1-D DFTs along each axis), so the same is true of images:

image = rng.standard_normal((256, 256))
blob = rng.standard_normal((15, 15))
direct_2d = sc.convolve(image, blob, method="direct")
by_fft_2d = sc.fftconvolve(image, blob)
print("2-D: max |fftconvolve - direct|     :", np.abs(by_fft_2d - direct_2d).max())
print("2-D: max |fftconvolve - convolve2d| :",
      np.abs(by_fft_2d - sc.convolve2d(image, blob)).max())
assert np.allclose(by_fft_2d, direct_2d)
assert np.allclose(sc.convolve(image, blob, method="fft"), direct_2d)
assert np.allclose(sc.convolve2d(image, blob), direct_2d)

# %%
# Counting operations
# -------------------
#
# For a signal of :math:`n` samples and a kernel of :math:`k` taps,
#
# * the **direct** sum needs about :math:`n k` multiply-adds: it grows linearly with the
#   kernel;
# * the **FFT** needs three transforms of length :math:`N \approx n + k - 1` (two
#   forward, one inverse) and :math:`N` products, a few times :math:`N \log_2 N`
#   operations: for :math:`k \ll n` it hardly depends on the kernel at all;
# * **overlap-add** transforms blocks of a length :math:`L` of a few :math:`k` each,
#   about :math:`n / (L - k + 1)` of them, so its cost per output grows only like
#   :math:`\log_2 L`: it beats one huge FFT when the kernel is much shorter than the
#   signal.
#
# The direct sum therefore wins for short kernels and the transforms for long ones.
# Counting :math:`3 N \log_2 N` for the FFT, the two break even near
# :math:`k \approx 3 \log_2 N`, about 50 taps for :math:`n = 10^5`:

n_long = 100_000
print(f"{'k':>6} {'direct: n k':>14} {'FFT: 3 N log2 N':>16} {'ratio':>8}")
for taps in (3, 10, 50, 300, 3000):
    direct_ops = n_long * taps
    size = n_long + taps - 1
    fft_ops = 3 * size * np.log2(size)
    print(f"{taps:>6} {direct_ops:>14.2e} {fft_ops:>16.2e} {direct_ops / fft_ops:>8.2f}")
break_even = 3 * np.log2(n_long)
print(f"break-even kernel length by this count: 3 log2 n = {break_even:.0f} taps")
assert 40 < break_even < 60

# %%
# Counting is only a first guess, though. A step of the direct sum is a multiply and an
# add on real numbers, which the compiler packs into SIMD instructions and which runs on
# every core; an FFT butterfly works on complex numbers and jumps around in memory. The
# real break-even point lies at a longer kernel, and the only way to know where is to
# measure. That is what ``bench/calibrate.py`` did to fit the cost model behind
# ``method="auto"``: a formula per method, with a handful of constants in seconds per
# multiply-add, per :math:`N \log_2 N` unit, per block and per call.
#
# Measuring the three methods
# ---------------------------
#
# We time each method on a signal of :math:`n = 10^5` samples, for kernels from 3 to
# 3000 taps (medians of a few runs: this page is built on a shared machine whose timings
# jump around), and mark which method :func:`sigconv.choose_conv_method` -- the cost
# model that ``method="auto"`` follows -- picks for each size, without running anything.


def median_seconds(function, repeats=5):
    """Median wall-clock seconds of ``function()``, after one warm-up call."""
    function()  # the first call may load compiled kernels or plan transforms
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


METHODS = ("direct", "fft", "oa")


def time_methods(signal_, kernels, methods=METHODS, repeats=5):
    """Median seconds of each method for each kernel, and the model's choice for each."""
    seconds = {method: [] for method in methods}
    chosen = []
    for kernel_ in kernels:
        for method in methods:
            seconds[method].append(median_seconds(
                lambda k_=kernel_, m=method: sc.convolve(signal_, k_, method=m), repeats))
        chosen.append(sc.choose_conv_method(signal_, kernel_))
    return {method: np.array(values) for method, values in seconds.items()}, chosen


signal_1d = rng.standard_normal(n_long)
kernel_lengths = np.unique(np.geomspace(3, 3000, 8).round().astype(int))
kernels_1d = [rng.standard_normal(taps) for taps in kernel_lengths]
seconds_1d, chosen_1d = time_methods(signal_1d, kernels_1d, repeats=7)

# %%
# The same for images of :math:`256 \times 256` pixels and square kernels of 3 to 63
# pixels a side. Here the direct sum costs :math:`n^2 k^2`, and its cost climbs steeply
# with the kernel's side.

kernel_sides = np.array([3, 5, 9, 15, 31, 63])
image_2d = rng.standard_normal((256, 256))
kernels_2d = [rng.standard_normal((side, side)) for side in kernel_sides]
seconds_2d, chosen_2d = time_methods(image_2d, kernels_2d, repeats=5)

# %%
# The model's choices, the measured times (in milliseconds) and how far the chosen method
# is from the fastest one measured:


def report(sizes, seconds, chosen, label):
    print(f"{label:>8} " + " ".join(f"{m:>8}" for m in METHODS) + f" {'chosen':>8} "
          f"{'chosen / fastest':>17}")
    for i, size in enumerate(sizes):
        times = {method: seconds[method][i] for method in METHODS}
        fastest = min(times.values())
        print(f"{size:>8} " + " ".join(f"{1e3 * t:>8.2f}" for t in times.values())
              + f" {chosen[i]:>8} {times[chosen[i]] / fastest:>17.2f}")


report(kernel_lengths, seconds_1d, chosen_1d, "k")
print()
report([f"{s}x{s}" for s in kernel_sides], seconds_2d, chosen_2d, "kernel")

# %%
# The model's choices do not depend on the noise of this run: short kernels go direct,
# long ones to a transform. Over several axes ``auto`` never picks overlap-add: it blocks
# one axis and transforms the others whole, and calibration found it slower than the
# plain FFT at every image size tried, as the right panel below shows too.

assert chosen_1d[0] == "direct" and chosen_1d[-1] in ("fft", "oa")
assert chosen_2d[0] == "direct" and chosen_2d[-1] == "fft"
assert "oa" not in chosen_2d

# %%
# On the plot the chosen method is circled. Away from the crossovers the model picks a
# method that is faster by a large factor. Near a crossover, where two curves meet, it
# may pick the slower of two close methods (and on a busy machine the measured curves
# themselves wobble by tens of percent); the last column of the tables above shows what
# a pick cost in this run, at worst:


def worst_pick(seconds, chosen):
    """Largest ratio of the chosen method's time to the fastest method's time."""
    return max(seconds[method][i] / min(seconds[m][i] for m in METHODS)
               for i, method in enumerate(chosen))


print(f"worst pick: 1-D {worst_pick(seconds_1d, chosen_1d):.2f}x, "
      f"2-D {worst_pick(seconds_2d, chosen_2d):.2f}x the fastest method's time")

fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
styles = {"direct": ("C0", "o"), "fft": ("C1", "s"), "oa": ("C2", "^")}
for ax, sizes, seconds, chosen in (
    (axes[0], kernel_lengths, seconds_1d, chosen_1d),
    (axes[1], kernel_sides, seconds_2d, chosen_2d),
):
    for method, (color, marker) in styles.items():
        ax.plot(sizes, 1e3 * seconds[method], marker=marker, color=color,
                label=f'method="{method}"')
    chosen_times = [seconds[method][i] for i, method in enumerate(chosen)]
    ax.plot(sizes, 1e3 * np.array(chosen_times), "o", ms=15, mfc="none", mec="k", mew=1.5,
            label="choose_conv_method's pick")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="major", color="0.9")
    ax.legend(fontsize="small")
axes[0].set_xlabel("kernel length $k$ (taps)")
axes[0].set_ylabel("median time [ms]")
axes[0].set_title(f"1-D: signal of $n = {n_long:,}$ samples")
axes[1].set_xlabel("kernel side (kernel is side x side pixels)")
axes[1].set_ylabel("median time [ms]")
axes[1].set_xticks(kernel_sides, [str(side) for side in kernel_sides])
axes[1].minorticks_off()
axes[1].set_title("2-D: image of 256 x 256 pixels")
fig.suptitle("Direct sum against FFT: measured on the machine that built this page")

# %%
# The shapes of the curves follow the operation counts. The direct sum's time climbs with
# the kernel, steeply in 2-D where the work grows like the kernel's side squared (for the
# smallest kernels the fixed costs of a call and of each output weigh more than the
# multiply-adds, so the climb starts slowly). The full-length FFT barely moves: its length
# is :math:`n + k - 1 \approx n`. Overlap-add stays low in 1-D as long as the kernel is
# short against the signal. Between the shortest and the longest kernel:

direct_growth = seconds_1d["direct"][-1] / seconds_1d["direct"][0]
fft_growth = seconds_1d["fft"][-1] / seconds_1d["fft"][0]
print(f"1-D, k from {kernel_lengths[0]} to {kernel_lengths[-1]} "
      f"({kernel_lengths[-1] / kernel_lengths[0]:.0f}x more taps):")
print(f"  direct takes {direct_growth:6.1f}x longer, fft {fft_growth:4.1f}x")

# %%
# Asking ``choose_conv_method(..., measure=True)`` runs every method on the actual inputs
# and returns the fastest with the measured times: the right tool when one shape is
# convolved many times and the first call may be slow.

method, measured = sc.choose_conv_method(signal_1d, kernels_1d[-1], measure=True)
print("measured:", {name: f"{1e3 * t:.2f} ms" for name, t in measured.items()}, "->", method)
assert method == min(measured, key=measured.get)

# %%
# Integers: only the direct sum is exact
# --------------------------------------
#
# The FFT works in floating point, and a float64 has a 53-bit significand: it holds every
# integer up to :math:`2^{53} \approx 9 \times 10^{15}` exactly, and no more. The
# convolution of integers is an integer, but when its values pass :math:`2^{53}` the
# FFT rounds them. The direct sum adds the products in 64-bit integers and is exact
# (:func:`sigconv.convolve` checks the bound first, and falls back to Python's unbounded
# integers if int64 could overflow). Multiplying two polynomials with coefficients near
# :math:`2^{30}`:

big_a = np.array([2**30 + 1, 2**30 - 3, 2**29 + 7, 12345], dtype=np.int64)
big_b = np.array([2**30 - 1, 2**30 + 5, 2**28 + 3], dtype=np.int64)

# the exact product in Python integers, which never round
exact = [0] * (len(big_a) + len(big_b) - 1)
for i, alpha_i in enumerate(big_a.tolist()):
    for m, beta_m in enumerate(big_b.tolist()):
        exact[i + m] += alpha_i * beta_m

by_direct = sc.convolve(big_a, big_b)
by_fft = sc.fftconvolve(big_a, big_b)  # floats, as scipy.signal.fftconvolve gives them
by_fft_forced = sc.convolve(big_a, big_b, method="fft")

print("choose_conv_method for int64:", sc.choose_conv_method(big_a, big_b))
print("largest value       :", max(exact), f"> 2**53 = {2**53}")
print("exact (Python ints) :", exact)
print("sc.convolve (direct):", by_direct.tolist(), by_direct.dtype)
print("fftconvolve, rounded:", np.round(by_fft).astype(np.int64).tolist())
print("fftconvolve error   :", [int(v) - e for v, e in
                                zip(np.round(by_fft).astype(np.int64), exact, strict=True)])
print("convolve(method='fft'):", by_fft_forced.tolist(), by_fft_forced.dtype)
assert sc.choose_conv_method(big_a, big_b) == "direct"
assert by_direct.dtype == np.int64
assert by_direct.tolist() == exact
assert by_fft.dtype == np.float64  # fftconvolve returns floats for integers, as SciPy
assert np.round(by_fft).astype(np.int64).tolist() != exact
assert by_fft_forced.tolist() == exact and by_fft_forced.dtype == np.int64

# %%
# The FFT's results are off by up to a few hundred units in their last three digits: a
# relative error near :math:`10^{-16}`, as good as a float64 can be, but not exact.
# :func:`sigconv.fftconvolve` returns those floats, as SciPy does. :func:`sigconv.convolve`
# promises exact integers under every method: with ``method="fft"`` forced, it takes the
# FFT only where a proven bound on the rounding error (below one half) guarantees that
# rounding gives the exact integers (small values: pixel values, counts), and computes
# the sum directly otherwise, as here. ``method="auto"`` always takes the direct sum for
# integers.
