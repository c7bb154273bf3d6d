"""
Fourier series: coefficients, partial sums and the Gibbs phenomenon
===================================================================

A periodic signal is a sum of sines and cosines of one base frequency and its multiples.
This tutorial takes apart the lecture's example, a square wave of period
:math:`T = 0.2`, pulse width :math:`W = 0.1` and height :math:`F = 2`:

* its Fourier coefficients, worked out by hand and computed by quadrature
  (:func:`sigconv.fourier_coefficients`), and what the quadrature needs at a jump,
* the partial sums of the series (:class:`sigconv.FourierSeries`) and how they approach
  the wave,
* the Gibbs phenomenon: an overshoot of about 9% of the jump that no number of terms
  removes,
* Parseval's identity, and how fast the mean-square error goes to zero, and
* the sawtooth and triangle waves, whose coefficients decay as :math:`1/n` and
  :math:`1/n^2`, and why.

The next tutorial feeds this square wave to a driven, damped oscillator.
Every claim below is checked in code, with an ``assert`` or a printed comparison.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy import signal
from scipy.special import polygamma, sici

import sigconv as sc
from sigconv.plotting import plot_gibbs, plot_partial_sums

# %%
# The square wave
# ---------------
#
# :func:`sigconv.square_wave` is a pulse train: the value :math:`F` while
# :math:`|t| < W/2` (and at every whole period from there), and 0 for the rest of the
# period. The pulses are centred on :math:`t = 0`, which makes the wave an *even*
# function. The lecture builds the same wave from :func:`scipy.signal.square`, shifted by
# a quarter period so that the pulse is centred; away from the jumps the two agree.

period, width, amplitude = 0.2, 0.1, 2.0
omega = 2 * np.pi / period  # the base (angular) frequency

t = np.linspace(0.0, 1.0, 500, endpoint=False)  # the lecture's grid
lecture_wave = 1.0 + signal.square(2 * np.pi * 5 * t + np.pi * width / period)
our_wave = sc.square_wave(t, period, width, amplitude)

# the two conventions may differ on the samples that land on a jump
phase = (t + period / 2) % period - period / 2
off_jump = np.abs(np.abs(phase) - width / 2) > 1e-9
print("samples on a jump:", np.count_nonzero(~off_jump), "of", t.size)
assert np.array_equal(our_wave[off_jump], lecture_wave[off_jump])

# %%
# Fourier coefficients, by hand
# -----------------------------
#
# A function of period :math:`T` is expanded in harmonics of
# :math:`\omega = 2\pi/T` (the lecture's Eq. 4),
#
# .. math::
#
#    F(t) = \frac{f_0}{2} + \sum_{n>0} f_n \cos(n\omega t) + g_n \sin(n\omega t),
#
# and orthogonality of the sines and cosines over a period gives the coefficients
# (Eq. 6):
#
# .. math::
#
#    f_n = \frac{2}{T} \int_{-T/2}^{T/2} F(t) \cos(n\omega t)\, dt, \qquad
#    g_n = \frac{2}{T} \int_{-T/2}^{T/2} F(t) \sin(n\omega t)\, dt .
#
# Note the convention: the constant term of the series is :math:`f_0/2`, so with the same
# formula for every :math:`n`, :math:`f_0/2` is the mean of :math:`F`. Our wave is even,
# so every :math:`g_n` vanishes (the integrand is odd), and the integral for :math:`f_n`
# only runs over the pulse:
#
# .. math::
#
#    f_n = \frac{2F}{T} \int_{-W/2}^{W/2} \cos(n\omega t)\, dt
#        = \frac{2F}{n\pi} \sin\Bigl(\frac{n\pi W}{T}\Bigr), \qquad
#    f_0 = \frac{2FW}{T}.
#
# With :math:`W/T = 1/2`, :math:`\sin(n\pi/2)` is zero for every even :math:`n` and
# :math:`\pm 1` for odd :math:`n`: the wave holds odd harmonics only, with amplitudes
# :math:`2F/(n\pi)` of alternating sign. That is what
# :meth:`sigconv.FourierSeries.square_wave` stores.

n_terms = 12
series = sc.FourierSeries.square_wave(period, width, amplitude, n_terms)
n = np.arange(n_terms)
by_hand = np.empty(n_terms)
by_hand[0] = 2 * amplitude * width / period
by_hand[1:] = 2 * amplitude / (n[1:] * np.pi) * np.sin(n[1:] * np.pi * width / period)
assert np.allclose(series.f, by_hand, rtol=0, atol=1e-15)
assert np.all(series.g == 0)

odd = n % 2 == 1
assert np.allclose(series.f[2::2], 0.0, atol=1e-15)  # no even harmonics
# odd harmonics: 2F/(n pi) with signs +, -, +, ...
assert np.allclose(series.f[odd], 2 * amplitude / (n[odd] * np.pi) * (-1.0) ** (n[odd] // 2))

# %%
# Fourier coefficients, by quadrature
# -----------------------------------
#
# For a wave with no formula, :func:`sigconv.fourier_coefficients` evaluates the
# integrals of Eq. 6 with the rectangle rule on ``n_quad`` equally spaced points over a
# period. For a smooth periodic function this rule converges faster than any power of
# the step. A jump spoils that, and the grid of the default 4096 points lands exactly on
# both jumps of our wave, where :func:`sigconv.square_wave` returns 0 (the lecture's
# scipy version returns 2 at one of them). Each of these samples stands for a strip of
# width :math:`T/n_\text{quad}` that is half inside the pulse, so the coefficients come out
# wrong by about :math:`2F / n_\text{quad}`:

f_quad, g_quad = sc.fourier_coefficients(
    lambda t: sc.square_wave(t, period, width, amplitude), period, n_terms)
print("max |f_quad - f_exact|, function sampled as is:", np.abs(f_quad - series.f).max())
assert np.isclose(np.abs(f_quad - series.f).max(), 2 * amplitude / 4096, rtol=1e-6)
assert np.allclose(g_quad, 0.0, atol=1e-12)

# %%
# A Fourier series converges at a jump to the *average* of the values on either side
# (Dirichlet's theorem), so that is the value the quadrature should see there. Sampling
# the average of the function just left and just right of each point changes nothing
# where the function is smooth and gives :math:`F/2` on a jump. The coefficients are then
# computed from the samples themselves (``fourier_coefficients`` also takes an array
# of ``n_quad`` values at :math:`-T/2 + kT/n_\text{quad}`):


def midpoint_samples(func, period, n_quad):
    """``func`` on the quadrature grid, with the mean of the one-sided limits at jumps."""
    t = -period / 2 + np.arange(n_quad) * (period / n_quad)
    nudge = 1e-9 * period
    return 0.5 * (func(t - nudge) + func(t + nudge))


def square(t):
    return sc.square_wave(t, period, width, amplitude)


print(f"{'n_quad':>7}  {'as sampled':>10}  {'jump averaged':>13}")
errors_raw, errors_mid = [], []
for n_quad in (1024, 4096, 16384):
    raw = sc.fourier_coefficients(square, period, n_terms, n_quad=n_quad)[0]
    mid = sc.fourier_coefficients(midpoint_samples(square, period, n_quad), period,
                                  n_terms)[0]
    errors_raw.append(np.abs(raw - series.f).max())
    errors_mid.append(np.abs(mid - series.f).max())
    print(f"{n_quad:7d}  {errors_raw[-1]:10.2e}  {errors_mid[-1]:13.2e}")

# four times the points: the error drops 4x as sampled, 16x with the jumps averaged
assert np.allclose(np.array(errors_raw[:-1]) / errors_raw[1:], 4.0, rtol=0.01)
assert np.all(np.array(errors_mid[:-1]) / errors_mid[1:] > 14.0)
f_mid = sc.fourier_coefficients(midpoint_samples(square, period, 4096), period, n_terms)[0]
assert np.allclose(f_mid, series.f, atol=1e-5)

# %%
# The remaining error is aliasing: on :math:`n_\text{quad}` points the harmonics
# :math:`n` and :math:`n_\text{quad} \pm n` are the same samples, so the slowly decaying
# :math:`1/n` tail of the coefficients folds back onto the first ones.
#
# Here are the first coefficients. The last column, :math:`n\pi|f_n|/(2F)`, is 1 for
# every odd harmonic: the coefficients decay exactly as :math:`1/n`.

print(f"{'n':>2}  {'f_n exact':>10}  {'f_n quadrature':>14}  {'n pi |f_n| / 2F':>15}")
for harmonic in range(n_terms):
    scaled = harmonic * np.pi * abs(series.f[harmonic]) / (2 * amplitude)
    print(f"{harmonic:2d}  {series.f[harmonic]:10.6f}  {f_mid[harmonic]:14.6f}  "
          f"{scaled:15.6f}")
assert np.allclose(n[odd] * np.pi * np.abs(series.f[odd]) / (2 * amplitude), 1.0)

# %%

many = sc.FourierSeries.square_wave(period, width, amplitude, 200)
harmonics = np.arange(1, many.n_terms)
nonzero = np.abs(many.f[1:]) > 1e-12

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
axes[0].axhline(0, color="0.7", lw=0.8)
axes[0].stem(n, series.f, basefmt=" ", label="exact")
axes[0].plot(n, f_mid, "x", color="C3", ms=9, label="quadrature (jumps averaged)")
axes[0].set_xlabel("harmonic $n$")
axes[0].set_ylabel("$f_n$")
axes[0].set_title("First coefficients: odd harmonics, alternating signs")
axes[0].legend()
axes[1].loglog(harmonics[nonzero], np.abs(many.f[1:][nonzero]), ".", label="$|f_n|$, odd $n$")
axes[1].loglog(harmonics, 2 * amplitude / (np.pi * harmonics), "--", color="0.4",
               label=r"$2F/(n\pi)$")
axes[1].set_xlabel("harmonic $n$")
axes[1].set_ylabel("$|f_n|$")
axes[1].set_title("Slow decay: $|f_n| \\propto 1/n$")
axes[1].legend()

# %%
# Partial sums
# ------------
#
# Keeping the first :math:`N` coefficients (``n_terms``, constant included) gives the
# partial sum :math:`S_N(t)`, a smooth trigonometric polynomial.
# :meth:`~sigconv.FourierSeries.truncate` cuts a series to its first ``n_terms``
# coefficients, and calling the series evaluates it. Since the even harmonics are zero,
# ``n_terms = 2`` is the mean plus the fundamental, ``n_terms = 4`` adds the third
# harmonic, and so on. :func:`sigconv.plotting.plot_partial_sums` draws a few:

t_plot = np.linspace(-period, period, 2001)
fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
plot_partial_sums(period, width, amplitude, n_terms=(2, 4, 10, 50), t=t_plot, ax=ax)
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
ax.set_xlabel("time $t$")
ax.set_ylabel("force $F(t)$")
ax.set_title("Partial sums of the square wave's Fourier series (n_terms coefficients)")

# %%
# Two values can be worked out exactly. In the middle of a pulse,
# :math:`S_N(0) = 1 + \frac{4}{\pi}\bigl(1 - \frac13 + \frac15 - \dots\bigr)`, Leibniz's
# series for :math:`\pi/4`: it converges to :math:`F = 2`, with an error smaller than
# the first term left out. On the jump, :math:`t = W/2 = T/4`, every
# :math:`\cos(n\pi/2)` with odd :math:`n` vanishes and each partial sum is exactly the
# mean, :math:`F/2`: the average of the two sides, as Dirichlet's theorem says.

for n_keep in (2, 10, 50, 200):
    partial = many.truncate(n_keep)
    centre, on_jump = partial([0.0, width / 2])
    print(f"n_terms={n_keep:3d}: S(0) = {centre:.6f}, S(W/2) = {on_jump:.15f}")
    first_left_out = 2 * amplitude / (np.pi * (n_keep + 1 - n_keep % 2))
    assert abs(centre - amplitude) < first_left_out
    assert np.isclose(on_jump, amplitude / 2, rtol=0, atol=1e-12)

# %%
# The Gibbs phenomenon
# --------------------
#
# Next to each jump the partial sums overshoot. Adding terms squeezes the overshoot
# toward the jump, but does not lower it: the peak stays about 9% of the jump above the
# top of the wave. In the limit of many terms the height, as a fraction of the jump
# :math:`F`, is
#
# .. math::
#
#    \frac{\max S_N - F}{F} \to \frac{1}{\pi}\operatorname{Si}(\pi) - \frac12
#    \approx 0.0895, \qquad
#    \operatorname{Si}(x) = \int_0^x \frac{\sin u}{u}\, du ,
#
# and :meth:`~sigconv.FourierSeries.gibbs_overshoot` measures it on a fine grid.

gibbs_limit = sici(np.pi)[0] / np.pi - 0.5
print(f"limit (1/pi) Si(pi) - 1/2 = {gibbs_limit:.6f}")

print(f"{'n_terms':>7}  {'overshoot / jump':>16}  {'peak distance x n_terms / T':>27}")
n_gibbs = (10, 20, 40, 80, 160, 320, 640)
gibbs_series = sc.FourierSeries.square_wave(period, width, amplitude, max(n_gibbs))
overshoots = []
for n_keep in n_gibbs:
    partial = gibbs_series.truncate(n_keep)
    overshoots.append(partial.gibbs_overshoot())
    # where the peak sits: left of the jump at W/2, on a grid finer than its width
    t_near = np.linspace(0.0, width / 2, 200_001)
    peak_distance = width / 2 - t_near[np.argmax(partial(t_near))]
    print(f"{n_keep:7d}  {overshoots[-1]:16.5f}  {peak_distance * n_keep / period:27.4f}")
    assert np.isclose(peak_distance, period / (2 * n_keep), rtol=1e-3)

overshoots = np.array(overshoots)
assert np.all(np.diff(overshoots[:5]) < 0)  # it falls with the first terms ...
assert np.allclose(overshoots, gibbs_limit, atol=5e-3)  # ... but only to the limit,
assert np.allclose(overshoots[2:], gibbs_limit, atol=1e-3)  # which it then holds
assert np.isclose(overshoots[-1], 0.0895, atol=5e-5)

# %%
# The peak sits a distance :math:`T/(2N)` from the jump, so it gets narrower with every
# term, but no lower. The left panel zooms in on the jump at :math:`t = W/2`; the right
# one, drawn by :func:`sigconv.plotting.plot_gibbs`, plots the overshoot against the
# number of terms.

fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
t_zoom = np.linspace(0.0, width / 2 + 0.01, 4001)
axes[0].plot(t_zoom, sc.square_wave(t_zoom, period, width, amplitude), "k", lw=2,
             label="square wave")
for n_keep in (10, 20, 40, 80):
    axes[0].plot(t_zoom, many.truncate(n_keep)(t_zoom), lw=1, label=f"n_terms = {n_keep}")
axes[0].axhline(amplitude * (1 + gibbs_limit), ls="--", color="gray",
                label="F (1 + 0.0895)")
axes[0].set_xlim(0.02, width / 2 + 0.01)
axes[0].set_ylim(1.6, 2.3)
axes[0].set_xlabel("time $t$ (jump at $t = W/2 = 0.05$)")
axes[0].set_ylabel("$S_N(t)$")
axes[0].set_title("Near the jump: narrower, not lower")
axes[0].legend(loc="lower left", fontsize="small")
plot_gibbs(period, width, n_terms=n_gibbs, ax=axes[1])
axes[1].set_ylim(0.085, 0.095)
axes[1].set_xlabel("number of terms (n_terms)")
axes[1].set_ylabel("overshoot / jump")
axes[1].set_title("Gibbs overshoot against the number of terms")

# %%
# Parseval's identity
# -------------------
#
# Squaring the series and averaging over a period, all the cross terms vanish by
# orthogonality, and each :math:`\cos^2` and :math:`\sin^2` averages to :math:`1/2`. What
# remains is Parseval's identity in this convention:
#
# .. math::
#
#    \frac{1}{T}\int_{-T/2}^{T/2} F(t)^2\, dt
#    = \Bigl(\frac{f_0}{2}\Bigr)^2 + \frac12 \sum_{n>0} \bigl(f_n^2 + g_n^2\bigr).
#
# The left side is the mean square of the wave, :math:`F^2 W/T = 2`. On the right,
# :math:`(f_0/2)^2 = 1` and
# :math:`\frac12\sum_{n\ \text{odd}} \bigl(\frac{4}{n\pi}\bigr)^2 =
# \frac{8}{\pi^2}\sum_{n\ \text{odd}} \frac{1}{n^2} = 1`, since the sum over the odd
# squares is :math:`\pi^2/8`. :meth:`~sigconv.FourierSeries.power` evaluates the right
# side for a truncated series:

mean_square_wave = amplitude**2 * width / period
t_grid = -period / 2 + (np.arange(100_000) + 0.5) * (period / 100_000)  # no point on a jump
print("mean square of the wave, exact      :", mean_square_wave)
print("mean square of the wave, on a grid  :", np.mean(square(t_grid) ** 2))
assert np.isclose(np.mean(square(t_grid) ** 2), mean_square_wave, rtol=1e-12)

for n_keep in (2, 10, 100, 1000, 10_000):
    partial = sc.FourierSeries.square_wave(period, width, amplitude, n_keep)
    print(f"power() with n_terms={n_keep:6d}: {partial.power():.6f}")
long_series = sc.FourierSeries.square_wave(period, width, amplitude, 100_000)
assert np.isclose(long_series.power(), mean_square_wave, rtol=1e-4)

# %%
# For a truncated series both sides can be computed exactly: :math:`S_N^2` is a
# trigonometric polynomial of degree below :math:`2N`, and the mean over any :math:`2N`
# or more equally spaced points of a period is its exact mean.

partial = many.truncate(50)
t_exact = np.arange(1000) * (period / 1000)
print("mean of S_50^2 on 1000 points:", np.mean(partial(t_exact) ** 2))
print("S_50.power()                 :", partial.power())
assert np.isclose(np.mean(partial(t_exact) ** 2), partial.power(), rtol=1e-13)

# %%
# How fast the partial sums converge
# ----------------------------------
#
# The Gibbs overshoot means the *largest* error never goes to zero: just beside the jump,
# :math:`S_N` is still off by about half the jump. In the mean-square sense the partial
# sums do converge. By orthogonality the error :math:`F - S_N` holds exactly the
# coefficients left out, so Parseval gives its mean square as the tail of the sum,
#
# .. math::
#
#    E_N = \frac{1}{T}\int_{-T/2}^{T/2} \bigl(F - S_N\bigr)^2 dt
#        = \frac12 \sum_{n \ge N} f_n^2
#        \approx \frac{2F^2}{\pi^2} \sum_{n \ge N,\ \text{odd}} \frac{1}{n^2}
#        \approx \frac{F^2}{\pi^2 N},
#
# so the mean-square error decays as :math:`1/N` (and the root-mean-square error as
# :math:`1/\sqrt{N}`). We check both the tail formula and the :math:`1/N` law against
# the error measured on a fine grid, which no jump falls on:

n_conv = np.array([4, 8, 16, 32, 64, 128, 256, 512])
long_series = sc.FourierSeries.square_wave(period, width, amplitude, 20_000)
wave_on_grid = square(t_grid)
measured, from_tail, max_error = [], [], []
for n_keep in n_conv:
    partial = long_series.truncate(n_keep)
    difference = wave_on_grid - partial(t_grid)
    measured.append(np.mean(difference**2))
    from_tail.append(mean_square_wave - partial.power())
    max_error.append(np.abs(difference).max())
measured, from_tail, max_error = map(np.array, (measured, from_tail, max_error))

print(f"{'n_terms':>7}  {'E_N on grid':>11}  {'E_N by Parseval':>15}  {'N E_N':>7}  "
      f"{'max error':>9}")
for row in zip(n_conv, measured, from_tail, n_conv * measured, max_error, strict=True):
    print("{:7d}  {:11.3e}  {:15.3e}  {:7.4f}  {:9.4f}".format(*row))

assert np.allclose(measured, from_tail, rtol=2e-3)
# N E_N -> F^2 / pi^2
assert np.allclose(n_conv[3:] * measured[3:], amplitude**2 / np.pi**2, rtol=0.02)
slope = np.polyfit(np.log(n_conv), np.log(measured), 1)[0]
print(f"fitted slope of log E_N against log N: {slope:.3f}")
assert np.isclose(slope, -1.0, atol=0.03)
assert np.all(max_error > 0.9)  # the largest error, next to the jump, stays near F/2 = 1

# %%

fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
ax.loglog(n_conv, measured, "o", label="mean-square error $E_N$ (grid)")
ax.loglog(n_conv, from_tail, "-", color="C0", lw=1, label="$E_N$ by Parseval (tail sum)")
ax.loglog(n_conv, amplitude**2 / (np.pi**2 * n_conv), "--", color="0.4",
          label=r"$F^2/(\pi^2 N)$")
ax.loglog(n_conv, max_error, "s-", color="C3", label="max error $|F - S_N|$")
ax.set_xlabel("number of terms $N$ (n_terms)")
ax.set_ylabel("error")
ax.set_title("The mean-square error decays as $1/N$, the largest error does not")
ax.legend(fontsize="small")

# %%
# Sawtooth and triangle: smoothness sets the decay
# -------------------------------------------------
#
# The square wave's coefficients decay as :math:`1/n` because the wave jumps. Integrating
# Eq. 6 by parts shows why: each jump of height :math:`J` leaves a boundary term of size
# up to :math:`J/(n\pi)`. A wave without jumps has no boundary terms, and its coefficients are
# those of its derivative divided by :math:`n\omega`; if the derivative jumps (a kink in
# the wave), that is :math:`1/n^2`. Each extra continuous derivative buys one more power
# of :math:`1/n`.
#
# Two waves of peak value :math:`A` show it. :func:`sigconv.sawtooth_wave` rises linearly
# from :math:`-A` to :math:`A` and jumps back, once per period; it is odd, so only sines
# appear:
#
# .. math:: g_n = \frac{2A}{n\pi} (-1)^{n+1}.
#
# :func:`sigconv.triangle_wave` is continuous, with a kink at :math:`t = 0` and at
# :math:`T/2`; it is even and has odd cosines only:
#
# .. math:: f_n = \frac{8A}{\pi^2 n^2} \quad (n \text{ odd}).


def sawtooth(t):
    return sc.sawtooth_wave(t, period, amplitude=1.0)


def triangle(t):
    return sc.triangle_wave(t, period, amplitude=1.0)


def sawtooth_series(n_terms):
    """The sawtooth's series (A = 1) from the formula: sines only."""
    n = np.arange(n_terms)
    g = np.zeros(n_terms)
    g[1:] = 2 * (-1.0) ** (n[1:] + 1) / (n[1:] * np.pi)
    return sc.FourierSeries(np.zeros(n_terms), g, period)


def triangle_series(n_terms):
    """The triangle's series (A = 1) from the formula: odd cosines only."""
    n = np.arange(n_terms)
    f = np.zeros(n_terms)
    f[1::2] = 8 / (np.pi**2 * n[1::2] ** 2)
    return sc.FourierSeries(f, np.zeros(n_terms), period)


n_many = 64
k = np.arange(n_many)
k_odd = k % 2 == 1
g_sawtooth = sawtooth_series(n_many).g
f_triangle = triangle_series(n_many).f

f_saw, g_saw = sc.fourier_coefficients(midpoint_samples(sawtooth, period, 8192), period,
                                       n_many)
f_tri, g_tri = sc.fourier_coefficients(triangle, period, n_many, n_quad=8192)
print("sawtooth: max |g_n - formula| =", np.abs(g_saw - g_sawtooth).max(),
      " max |f_n| =", np.abs(f_saw).max())
print("triangle: max |f_n - formula| =", np.abs(f_tri - f_triangle).max(),
      " max |g_n| =", np.abs(g_tri).max())
assert np.allclose(g_saw, g_sawtooth, atol=1e-5) and np.allclose(f_saw, 0.0, atol=1e-12)
assert np.allclose(f_tri, f_triangle, atol=1e-6) and np.allclose(g_tri, 0.0, atol=1e-12)

# %%
# The triangle needs no care at its kinks: the function is continuous, so the quadrature
# grid sees no jump. The link between the two decays can be checked directly: the
# derivative of the triangle is a square wave of height :math:`\pm 4A/T` (odd, so a sine
# series), and differentiating :math:`f_n\cos(n\omega t)` gives
# :math:`-n\omega f_n \sin(n\omega t)`. So :math:`f_n = -g_n'/(n\omega)`, with
# :math:`g_n' \propto 1/n` the coefficients of the derivative:


def triangle_slope(t):
    phase = (t + period / 2) % period - period / 2
    return -4.0 / period * np.sign(phase)


g_slope = sc.fourier_coefficients(midpoint_samples(triangle_slope, period, 8192), period,
                                  n_many)[1]
assert np.allclose(-g_slope[1:] / (k[1:] * omega), f_triangle[1:], atol=1e-6)

# %%
# The same smoothing can be seen as a convolution. Averaging the product of the
# zero-mean square wave :math:`s(t) = \pm 1` with a copy of itself shifted by :math:`t`,
# the circular convolution :math:`\frac1T\int_0^T s(\tau)\, s(t - \tau)\, d\tau`, gives
# exactly the triangle wave. By the convolution theorem, convolving multiplies the
# coefficients: the triangle's are the square's squared (and halved, in this
# convention), :math:`\frac12\bigl(\frac{4}{n\pi}\bigr)^2 = \frac{8}{\pi^2n^2}`, so
# :math:`1/n` becomes :math:`1/n^2`. :func:`sigconv.circular_convolve` computes the
# discrete version on :math:`N` samples by the FFT; for a wave sampled at the centres
# :math:`(j + \frac12) T/N` the discrete result is the triangle, sampled at
# :math:`(j + 1) T/N`, to rounding error:

n_samples = 2000
step = period / n_samples
t_centres = (np.arange(n_samples) + 0.5) * step
zero_mean_square = 2 * sc.square_wave(t_centres, period, period / 2) - 1
self_convolved = sc.circular_convolve(zero_mean_square, zero_mean_square) / n_samples
triangle_samples = triangle((np.arange(n_samples) + 1) * step)
print("max |square (*) square - triangle| =", np.abs(self_convolved - triangle_samples).max())
assert np.allclose(self_convolved, triangle_samples, atol=1e-12)

# a pulse train of height 2 is s + 1: the same coefficients as s for n > 0
f_s = sc.FourierSeries.square_wave(period, period / 2, 2.0, n_many).f
assert np.allclose(f_s[k_odd] ** 2 / 2, f_triangle[k_odd])

# %%
# The three spectra side by side (at odd :math:`n` the square's and the sawtooth's
# coincide, both :math:`2/(n\pi)` for a unit height), and what the first partial sums
# look like. The triangle's partial sums are close to it already with a handful of
# terms, and they converge uniformly: there is no jump, so no Gibbs overshoot.

fig, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
shown = k >= 1
axes[0].loglog(k[shown & k_odd], np.abs(many.f[:n_many][shown & k_odd]) / amplitude, "o",
               ms=8, mfc="none", label="square, $|f_n|/F$")
axes[0].loglog(k[shown], np.abs(g_sawtooth[shown]), "s", ms=3, label="sawtooth, $|g_n|/A$")
axes[0].loglog(k[shown & k_odd], f_triangle[shown & k_odd], "^", ms=4,
               label="triangle, $|f_n|/A$")
axes[0].loglog(k[shown], 1 / k[shown], "--", color="0.5", lw=1, label="$1/n$")
axes[0].loglog(k[shown], 1 / k[shown] ** 2, ":", color="0.3", lw=1.5, label="$1/n^2$")
axes[0].set_xlabel("harmonic $n$")
axes[0].set_ylabel("coefficient magnitude")
axes[0].set_title("Jumps decay as $1/n$, kinks as $1/n^2$")
axes[0].legend(fontsize="small")

t_wave = np.linspace(-period, period, 2001)
n_keep = 8
saw_series = sawtooth_series(n_keep)
tri_series = triangle_series(n_keep)
axes[1].plot(t_wave, sawtooth(t_wave), color="C1", lw=2, alpha=0.4, label="sawtooth")
axes[1].plot(t_wave, saw_series(t_wave), color="C1", lw=1,
             label=f"sawtooth, n_terms = {n_keep}")
axes[1].plot(t_wave, triangle(t_wave), color="C2", lw=2, alpha=0.4, label="triangle")
axes[1].plot(t_wave, tri_series(t_wave), "--", color="C2", lw=1,
             label=f"triangle, n_terms = {n_keep}")
axes[1].set_xlabel("time $t$")
axes[1].set_ylabel("wave ($A = 1$)")
axes[1].set_title(f"Partial sums with {n_keep} terms")
axes[1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")

tri_error = np.abs(tri_series(t_wave) - triangle(t_wave)).max()
saw_error = np.abs(saw_series(t_wave) - sawtooth(t_wave)).max()
print(f"max error with {n_keep} terms: triangle {tri_error:.4f}, sawtooth {saw_error:.4f}")
# the sawtooth's worst error is at its jump, where the series gives the mean, 0
assert tri_error < 0.06 and np.isclose(saw_error, 1.0, atol=1e-3)

# %%
# For the triangle every cosine equals 1 at :math:`t = 0`, so the error of :math:`S_N`
# there is the whole tail :math:`\sum_{n \ge N} f_n`; no other point can do worse. The
# tail of the odd inverse squares has a closed form with the trigamma function,
# :math:`\sum_{j \ge 0} (a + 2j)^{-2} = \psi_1(a/2)/4`, and for large :math:`N` it is
# about :math:`4A/(\pi^2 N)`: the largest error falls as :math:`1/N`.

for n_keep in (8, 32, 128, 512):
    worst = np.abs(triangle_series(n_keep)(t_wave) - triangle(t_wave)).max()
    first_odd = n_keep + 1 - n_keep % 2
    tail = 8 / np.pi**2 * polygamma(1, first_odd / 2) / 4
    print(f"triangle, n_terms={n_keep:4d}: max error {worst:.7f}, tail sum {tail:.7f}, "
          f"4/(pi^2 N) = {4 / (np.pi**2 * n_keep):.7f}")
    assert np.isclose(worst, tail, rtol=1e-9)
    assert np.isclose(worst, 4 / (np.pi**2 * n_keep), rtol=0.01)
