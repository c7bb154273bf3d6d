"""Fourier series and the driven damped oscillator, solved by superposition.

A force of period ``T`` is a sum of harmonics of ``w = 2 pi / T`` (the lecture's Eq. 4):

.. math:: F(t) = \\frac{f_0}{2} + \\sum_{n>0} f_n \\cos(n w t) + g_n \\sin(n w t),

with coefficients from Eq. (6), ``f_n = (2/T) int F(t) cos(n w t) dt`` over one period.
The oscillator ``m x'' + b x' + k x = F(t)`` is linear, so its steady state is the sum of
the responses to each harmonic (superposition).

Cost is kept proportional to the work asked for: the quadrature of Eq. (6) on a uniform
periodic grid is a discrete Fourier transform, computed by one real FFT; a series
evaluated on a uniform grid commensurate with its period takes one inverse FFT; other
times go through a numba kernel (:mod:`sigconv.kernels.cpu`, parallel over points), with
a ValueError instead of minutes of work beyond ``10**10`` terms x points. Every size is
checked with :func:`sigconv._validate.check_allocation` before anything is allocated, and
every number is validated (booleans and strings refused; a period whose ``2 pi / T``
overflows, or coefficients whose sums would, are refused rather than giving NaN).
"""

import math
import numbers
import reprlib
from fractions import Fraction

import numpy as np

from . import backend as _backend
from ._jit import is_device_array, resolve_device, stand_in, to_device_like, to_host
from ._lazy import LazyModule
from ._validate import (
    all_finite,
    as_numeric_array,
    check_allocation,
    check_native_precision,
    check_positive_int,
    check_real,
)

sp_fft = LazyModule("scipy.fft")  # imported on first use

__all__ = ["square_wave", "sawtooth_wave", "triangle_wave", "fourier_coefficients",
           "FourierSeries", "DrivenOscillator", "circular_convolve"]

#: float64 arrays of the times' size that evaluating a series holds at its peak
_CALL_COPIES = 5

#: the most ``terms x points`` products one direct synthesis may take (about 5 s on one
#: core); beyond it, times that are not a uniform grid commensurate with the period are
#: refused (a uniform commensurate grid goes through one inverse FFT instead)
_MAX_DIRECT_WORK = 10**10

#: the largest uniform grid (points per period) that :meth:`FourierSeries.gibbs_overshoot`
#: evaluates by default before it refines the peak locally instead
_GIBBS_GRID_CAP = 2**21

#: the most oscillation cycles (at the fastest rate of the oscillator or the force) that
#: :meth:`DrivenOscillator.simulate` integrates step by step
_MAX_CYCLES = 10_000

#: an upper estimate of the force evaluations per cycle of the fastest rate that DOP853
#: takes at its default tolerances (measured: 30 to 130), and the most ``evaluations x
#: n_terms`` that :meth:`DrivenOscillator.simulate` spends on a FourierSeries force
_EVALUATIONS_PER_CYCLE = 128
_MAX_FORCE_WORK = 10**9


class _NanStep(Exception):
    """Raised inside :meth:`DrivenOscillator.simulate`'s right-hand side when scipy's
    solver asks for it at a NaN time (it would loop forever)."""


#: the magnitudes of force or start above and below which :meth:`DrivenOscillator.simulate`,
#: when the integrator fails or overflows, retries at a power-of-two scale near 1
_SIMULATE_LARGE = 1e100
_SIMULATE_SMALL = 1e-100

#: the smallest normal float64: below it a quotient keeps fewer than 53 bits
_TINY = float(np.finfo(np.float64).tiny)


def _positive(value, name):
    """A finite float > 0 (TypeError for non-reals and booleans, ValueError otherwise)."""
    return check_real(value, name, 0.0, exclusive_minimum=True)


def _period(value, name="period"):
    """A period ``T > 0`` whose angular frequency ``2 pi / T`` is a finite float64."""
    period = _positive(value, name)
    if not math.isfinite(2 * math.pi / period):
        raise ValueError(f"{name} = {period!r} is too small: its angular frequency "
                         f"2 pi / {name} overflows float64")
    return period


def _amplitude(value, name="amplitude"):
    """A finite real whose double still fits float64 (the waves and series take ``2 F``)."""
    amplitude = check_real(value, name)
    if not math.isfinite(2 * amplitude):
        raise ValueError(f"{name} must be at most {np.finfo(np.float64).max / 2:.3g} in "
                         f"magnitude (twice it must fit float64), got {amplitude!r}")
    return amplitude


def _times(t, name="t", copies=1, what="the result"):
    """``t`` as a finite real float64 array, after checking that ``copies`` float64 arrays
    of its shape (the work the caller will do) fit in memory: a huge broadcast view is
    refused before it is copied or even scanned for NaN."""
    t = as_numeric_array(t, name)
    if t.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got dtype {t.dtype}")
    if t.dtype.kind == "b":
        raise TypeError(f"{name} must hold numbers, not booleans (dtype bool)")
    check_native_precision(t.dtype, name)
    check_allocation(name, t.shape, np.float64, copies=copies, what=what)
    t = t.astype(np.float64, copy=False)
    if not all_finite(t):
        raise ValueError(f"{name} must be finite (it has NaN or inf entries)")
    return t


#: float64 arrays of the times' size that a wave holds at its peak (the fold's temporaries,
#: its masks and the result)
_WAVE_COPIES = 4


def _phase(t, period):
    """``t`` folded into ``[-period/2, period/2)``: ``fmod`` (exact) then one shift by the
    period (exact too, Sterbenz), so that nothing overflows near the largest float."""
    phase = np.fmod(t, period)
    phase = np.where(phase >= period / 2, phase - period, phase)
    return np.where(phase < -period / 2, phase + period, phase)


def square_wave(t, period, width=None, amplitude=1.0, duty=None):
    """A pulse train: ``amplitude`` for ``width`` out of every ``period``, else 0.

    The pulses are centred on ``t = 0`` (and every multiple of the period), as in the
    lecture's example (``T = 0.2``, width 0.1, ``F = 2``).

    Parameters
    ----------
    t : array_like
        Times.
    period : float
        Period ``T > 0``.
    width : float, optional
        Pulse width, ``0 < width <= period``. Give this or ``duty``.
    amplitude : float, default 1.0
        Height of the pulses.
    duty : float, optional
        ``width / period``, in ``(0, 1]``.

    Returns
    -------
    numpy.ndarray
        The wave at ``t`` (float64).

    Raises
    ------
    TypeError
        If ``period``, ``width``, ``duty`` or ``amplitude`` is not a real number (booleans
        and strings are refused), or ``t`` is not real.
    ValueError
        If ``period`` or ``width`` is not positive, ``2 pi / period`` overflows,
        ``width > period``, both or neither of ``width`` and ``duty`` are given, or
        ``amplitude`` or ``t`` is not finite.
    MemoryError
        If the wave at ``t`` and its work arrays (four float64 arrays of the size of
        ``t``) would not fit in memory; checked before ``t`` is copied or scanned.

    See Also
    --------
    FourierSeries.square_wave : its Fourier series.

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.square_wave([0.0, 0.04, 0.06, 0.1, 0.2], period=0.2, width=0.1, amplitude=2.0)
    array([2., 2., 0., 0., 2.])
    """
    period, width = _period_width(period, width, duty)
    amplitude = check_real(amplitude, "amplitude")
    t = _times(t, copies=_WAVE_COPIES)
    if width == period:  # a pulse filling the period is the constant (no fold edge at T/2)
        return np.full(t.shape, amplitude)
    return np.where(np.abs(_phase(t, period)) < width / 2, amplitude, 0.0)


def _period_width(period, width, duty):
    period = _period(period)
    if (width is None) == (duty is None):
        raise ValueError("give exactly one of width and duty")
    if duty is not None:
        duty = check_real(duty, "duty", 0.0, 1.0, exclusive_minimum=True)
        width = duty * period
        if width == 0.0:
            raise ValueError(f"duty * period underflows to 0 (duty={duty!r}, "
                             f"period={period!r})")
    width = _positive(width, "width")
    if width > period:
        raise ValueError(f"width ({width}) must not exceed period ({period})")
    return period, width


def sawtooth_wave(t, period, amplitude=1.0):
    """A sawtooth rising from ``-amplitude`` to ``amplitude`` over each period, centred on 0.

    Parameters
    ----------
    t : array_like
        Times.
    period : float
        Period ``T > 0``.
    amplitude : float, default 1.0
        Peak value.

    Returns
    -------
    numpy.ndarray
        ``2 amplitude * phase / T`` with the phase folded into ``[-T/2, T/2)``.

    Raises
    ------
    TypeError
        If ``period`` or ``amplitude`` is not a real number (booleans and strings are
        refused), or ``t`` is not real.
    ValueError
        If ``period`` is not positive or so small that ``2 pi / period`` overflows,
        ``amplitude`` or ``t`` is not finite.
    MemoryError
        If the wave at ``t`` and its work arrays (four float64 arrays of the size of
        ``t``) would not fit in memory; checked before ``t`` is copied or scanned.

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.sawtooth_wave([-0.5, 0.0, 0.25], period=1.0)
    array([-1. ,  0. ,  0.5])
    """
    period = _period(period)
    amplitude = check_real(amplitude, "amplitude")
    # |2 phase / T| <= 1: the product cannot overflow where amplitude itself fits
    return amplitude * (2.0 * (_phase(_times(t, copies=_WAVE_COPIES), period) / period))


def triangle_wave(t, period, amplitude=1.0):
    """A triangle wave, ``amplitude`` at ``t = 0``, ``-amplitude`` at half periods.

    Parameters
    ----------
    t : array_like
        Times.
    period : float
        Period ``T > 0``.
    amplitude : float, default 1.0
        Peak value.

    Returns
    -------
    numpy.ndarray
        ``amplitude * (1 - 4 |phase| / T)``.

    Raises
    ------
    TypeError
        If ``period`` or ``amplitude`` is not a real number (booleans and strings are
        refused), or ``t`` is not real.
    ValueError
        If ``period`` is not positive or so small that ``2 pi / period`` overflows,
        ``amplitude`` or ``t`` is not finite.
    MemoryError
        If the wave at ``t`` and its work arrays (four float64 arrays of the size of
        ``t``) would not fit in memory; checked before ``t`` is copied or scanned.

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.triangle_wave([0.0, 0.25, 0.5], period=1.0)
    array([ 1.,  0., -1.])
    """
    period = _period(period)
    amplitude = check_real(amplitude, "amplitude")
    t = _times(t, copies=_WAVE_COPIES)
    return amplitude * (1.0 - 4.0 * (np.abs(_phase(t, period)) / period))


def fourier_coefficients(func, period, n_terms, n_quad=None):
    """Fourier coefficients ``f_n, g_n`` of a periodic function by quadrature (Eq. 6).

    .. math:: f_n = \\frac{2}{T} \\int_{-T/2}^{T/2} F(t) \\cos(n w t)\\, dt, \\quad
              g_n = \\frac{2}{T} \\int_{-T/2}^{T/2} F(t) \\sin(n w t)\\, dt

    by the rectangle rule on ``n_quad`` equally spaced points over one period (the
    trapezoidal rule of a periodic function). On that grid the rule is a discrete Fourier
    transform, so all the coefficients come from one real FFT, in ``O(n_quad log n_quad)``
    operations (rather than ``n_terms * n_quad``).
    For smooth functions it converges faster than any power of ``1 / n_quad``; a function
    with jumps converges only as ``1 / n_quad``, and when grid points land on the jumps,
    the value sampled there matters: give the midpoint of the jump (what the series
    converges to) for a ``1 / n_quad**2`` error.

    Parameters
    ----------
    func : callable or array_like
        ``func(t)`` evaluated on an array of times, or the samples themselves:
        ``n_quad`` values at ``-T/2 + k T / n_quad``.
    period : float
        Period ``T > 0``.
    n_terms : int
        Number of coefficients, ``n = 0 .. n_terms - 1`` (so ``f[0] = f_0``).
    n_quad : int, optional
        Quadrature points (callable ``func`` only); default ``max(4096, 8 * n_terms)``.

    Returns
    -------
    f, g : numpy.ndarray
        Cosine and sine coefficients, ``g[0] = 0``.

    Raises
    ------
    TypeError
        If ``period`` is not a real number, ``n_terms`` or ``n_quad`` not an integer
        (booleans are refused), or the samples (given, or returned by ``func``) are not
        real numbers.
    ValueError
        If ``period`` is not positive or ``2 pi / period`` overflows, ``n_terms < 1``,
        ``n_quad`` is given with samples, the samples are not 1-D or finite, there are
        fewer than ``2 * n_terms`` of them, or they are so large that a coefficient
        overflows float64.
    MemoryError
        If the quadrature grid (``n_quad``, or ``n_terms`` through the default), the
        transform of given samples (naming ``func``) or the coefficients would not fit in
        memory; nothing is allocated then, and given samples are not scanned.

    See Also
    --------
    FourierSeries.from_function

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> f, g = sc.fourier_coefficients(lambda t: 3 + np.cos(2 * np.pi * t), 1.0, 3)
    >>> np.allclose(f, [6.0, 1.0, 0.0]), np.allclose(g, 0.0, atol=1e-12)
    (True, True)
    """
    period = _period(period)
    n_terms = check_positive_int(n_terms, "n_terms")
    check_allocation("n_terms", (n_terms,), np.float64, copies=4, what="the coefficients")
    if callable(func):
        if n_quad is None:
            n_quad, quad_name = max(4096, 8 * n_terms), "n_terms"
        else:
            n_quad, quad_name = check_positive_int(n_quad, "n_quad"), "n_quad"
            if n_quad < 2 * n_terms:
                raise ValueError(f"n_quad={n_quad} quadrature points resolve fewer than "
                                 f"n_terms={n_terms} harmonics; give n_quad >= 2 * n_terms")
        # the times, the samples, their float64 copy and the half-length complex transform
        check_allocation(quad_name, (n_quad,), np.float64, copies=4,
                         what="the quadrature grid")
        t = -period / 2 + np.arange(n_quad) * (period / n_quad)
        samples = as_numeric_array(func(t), "func(t)")
        if samples.shape != t.shape:
            raise ValueError(f"func must return one value per time, got shape "
                             f"{samples.shape} for {t.shape}")
        samples = _times(samples, "func(t)")
    else:
        if n_quad is not None:
            raise ValueError("n_quad applies to a callable func only: given samples, their "
                             "number sets the quadrature grid")
        samples = as_numeric_array(func, "func")
        if samples.ndim != 1:
            raise ValueError(f"func samples must be one-dimensional, got {samples.shape}")
        samples = _times(samples, "func", copies=2, what="the transform of the samples")
    if samples.size < 2 * n_terms:
        raise ValueError(f"{samples.size} samples resolve fewer than n_terms={n_terms} "
                         "harmonics; give at least 2 * n_terms")
    return _rectangle_rule(samples, n_terms)


def _rectangle_rule(samples, n_terms):
    """``f_n, g_n`` of ``samples[k] = F(-T/2 + k T / M)`` by one real FFT.

    ``(2/M) sum_k s_k exp(-i n w t_k) = (2/M) (-1)^n X_n`` with ``X = rfft(s)`` (the grid
    starts at ``-T/2``, where ``exp(i n pi) = (-1)^n``), so ``f_n = (2/M) Re((-1)^n X_n)``
    and ``g_n = -(2/M) Im((-1)^n X_n)``, the rectangle rule's sums exactly.
    """
    size = samples.size
    spectrum = sp_fft.rfft(samples)[:n_terms]
    spectrum[1::2] *= -1.0
    scale = 2.0 / size
    f = scale * spectrum.real
    g = -scale * spectrum.imag
    g[0] = 0.0
    if not (all_finite(f) and all_finite(g)):
        raise ValueError("func's values are so large that the coefficients overflow "
                         "float64; scale the function down")
    return f, g


class FourierSeries:
    """A truncated Fourier series of period ``T``, evaluated by a parallel numba kernel.

    .. math:: F(t) = \\frac{f_0}{2} + \\sum_{n=1}^{N-1} f_n \\cos(n w t) + g_n \\sin(n w t),
              \\quad w = 2 \\pi / T

    Parameters
    ----------
    f : array_like
        Cosine coefficients, ``f[0] = f_0`` (the constant term is ``f_0 / 2``).
    g : array_like
        Sine coefficients, same length (``g[0]`` is ignored).
    period : float
        Period ``T > 0``.

    Attributes
    ----------
    f, g : numpy.ndarray
        The coefficients.
    period : float
        The period.
    omega : float
        ``2 pi / T``.

    Raises
    ------
    TypeError
        If the coefficients are not real numbers or ``period`` is not a real number.
    ValueError
        If the coefficients are not 1-D finite arrays of equal, non-zero length, so large
        that ``sum |f_n| + |g_n|`` (the bound on the series' values) overflows float64,
        or the period is not positive or so small that ``2 pi / period`` overflows.
    MemoryError
        If the float64 copies of ``f`` and ``g`` would not fit in memory (checked before
        they are copied or scanned for NaN).

    Notes
    -----
    Evaluation costs ``n_terms`` operations per time, except on a uniform grid of times
    whose step is a rational multiple ``p T / M`` of the period (``numpy.linspace`` over a
    whole number of periods, or over any interval commensurate with ``T``): there the
    series takes one inverse FFT of ``M`` points, in ``O(M log M + n_terms)``. Times off
    such a grid are refused with a ValueError when ``n_terms * t.size`` exceeds
    ``10**10`` (seconds of work) rather than left to run.

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> series = sc.FourierSeries([2.0, 1.0], [0.0, 0.5], period=2 * np.pi)
    >>> series([0.0, np.pi / 2])
    array([2. , 1.5])
    """

    def __init__(self, f, g, period):
        f = _times(f, "f", copies=2, what="the coefficients")
        g = _times(g, "g", copies=2, what="the coefficients")
        if f.ndim != 1 or f.shape != g.shape or f.size == 0:
            raise ValueError(f"f and g must be non-empty 1-D arrays of equal length, got "
                             f"shapes {f.shape} and {g.shape}")
        self.period = _period(period)
        self.omega = 2 * np.pi / self.period
        check_allocation("f, g", f.shape, np.float64, copies=2, what="the coefficients")
        self.f = f.astype(np.float64, copy=True)
        self.g = g.astype(np.float64, copy=True)
        self.g[0] = 0.0
        self._coefficients_on = {}   # per device: the coefficients there, copied once
        with np.errstate(over="ignore"):
            bound = np.sum(np.abs(self.f)) + np.sum(np.abs(self.g))
        if not np.isfinite(bound):
            raise ValueError("f and g are so large that the series' values (up to "
                             "sum |f_n| + |g_n|) overflow float64")

    @classmethod
    def from_function(cls, func, period, n_terms, n_quad=None):
        """The series of ``func`` with coefficients from :func:`fourier_coefficients`.

        Parameters
        ----------
        func : callable or array_like
            As in :func:`fourier_coefficients`.
        period : float
            Period ``T > 0``.
        n_terms : int
            Number of harmonics kept (including the constant).
        n_quad : int, optional
            Quadrature points.

        Returns
        -------
        FourierSeries
            The truncated series.
        """
        return cls(*fourier_coefficients(func, period, n_terms, n_quad), period)

    @classmethod
    def square_wave(cls, period, width, amplitude=1.0, n_terms=100):
        """The analytic series of :func:`square_wave` (pulses centred on ``t = 0``).

        ``f_0 = 2 F W / T`` (so the mean is ``a_0 = F W / T``),
        ``f_n = 2F / (n pi) sin(n pi W / T)``, ``g_n = 0``.

        Parameters
        ----------
        period : float
            Period ``T > 0``.
        width : float
            Pulse width ``W``, ``0 < W <= T``.
        amplitude : float, default 1.0
            Pulse height ``F``.
        n_terms : int, default 100
            Number of harmonics kept (including the constant).

        Returns
        -------
        FourierSeries
            The series.

        Raises
        ------
        TypeError
            If a number is not real or ``n_terms`` not an integer (booleans refused).
        ValueError
            As :func:`square_wave` for ``period``, ``width`` and ``amplitude``;
            ``n_terms < 1``; or ``amplitude`` so large that the series overflows.
        MemoryError
            If ``n_terms`` coefficients would not fit in memory.
        """
        period, width = _period_width(period, width, None)
        amplitude = _amplitude(amplitude)
        n_terms = check_positive_int(n_terms, "n_terms")
        check_allocation("n_terms", (n_terms,), np.float64, copies=6, what="the coefficients")
        n = np.arange(1, n_terms)
        f = np.empty(n_terms)
        with np.errstate(over="ignore", invalid="ignore"):
            f[0] = 2 * amplitude * width / period
            f[1:] = 2 * amplitude / (n * np.pi) * np.sin(n * np.pi * width / period)
        if not all_finite(f):  # n pi W or 2 F W beyond float64: through the duty
            duty = width / period
            f[0] = 2 * amplitude * duty
            f[1:] = (2 * amplitude) / (n * np.pi) * np.sin(n * (np.pi * duty))
        try:
            return cls(f, np.zeros(n_terms), period)
        except ValueError:
            raise ValueError(f"amplitude={amplitude!r} is so large that the sum of "
                             f"{n_terms} coefficients overflows float64") from None

    @property
    def n_terms(self):
        """Number of coefficients (harmonics ``0 .. n_terms - 1``)."""
        return self.f.size

    def __call__(self, t, device=None):
        """Evaluate the series at ``t`` (any shape), in parallel over the points.

        ``device`` as in :func:`sigconv.convolve`: None computes where ``t`` lives (a
        device array of times gives a device array), ``"cuda"`` on the GPU.

        Device times are read on the device and the result is written there: only the
        coefficients are copied up, on the first call on that device (then cached).
        They take the direct sum (the grid test and the finiteness check would need the
        times on the host): a non-finite device time gives NaN, not a ValueError.

        The times are first reduced modulo the period (exactly, by ``fmod``), so that the
        phases ``n w t`` stay below ``2 pi n`` however large ``t`` is. A uniform grid whose
        step is ``p T / M`` (rational, up to rounding) is evaluated by one inverse FFT of
        ``M`` points instead of ``n_terms`` operations per time.

        Raises
        ------
        TypeError
            If ``t`` is not real (complex, boolean, extended precision, not numeric).
        ValueError
            If host ``t`` is not finite, or is not such a grid and ``n_terms * t.size``
            exceeds ``10**10`` (``64 * 10**10`` on the GPU; the error names both); if
            ``device`` is not None, ``"cpu"`` or
            ``"cuda"``.
        sigconv.CUDAUnavailableError
            If ``device="cuda"`` (or ``t`` is a device array) and numba finds no GPU; a
            :class:`RuntimeError` and :class:`ValueError` naming ``device``, raised even
            where the FFT grid path would have run on the host.
        MemoryError
            If the result, its work arrays (about five times the size of ``t`` in float64)
            or the FFT grid would not fit in memory; checked before ``t`` is copied or
            scanned, so a huge broadcast view costs nothing to refuse.
        """
        original = t
        be = _backend.get(resolve_device(device, t))
        if is_device_array(t) and be.owns(t):
            return be.like(self._on_device(be, t), t)
        # the flattened copy, the result, the folded times and the grid test's model
        t = _times(to_host(t), copies=_CALL_COPIES)
        flat = t.ravel()
        grid = self._uniform_grid(flat)
        if grid is not None:
            start, numerator, size = grid
            # one inverse FFT on the host: cheaper than any kernel for these sizes
            indices = (np.arange(flat.size, dtype=np.int64) * numerator) % size
            out = self._grid_values(size, start, "t")[indices]
        else:
            self._check_direct_work(flat.size, be)
            out = self._direct(flat, be)
        # device times computed on the CPU (device="cpu") go back to the device
        return to_device_like(out.reshape(t.shape), original)

    def _check_direct_work(self, n_points, be):
        """ValueError when the direct sum at ``n_points`` times is beyond the work limit
        (64 times larger on a GPU, whose thousands of threads take it in stride)."""
        limit = _MAX_DIRECT_WORK * (1 if "fft" in be.METHODS else 64)
        if self.n_terms * n_points > limit:
            raise ValueError(
                f"evaluating n_terms={self.n_terms} harmonics at t.size={n_points} "
                f"times that are not a uniform grid commensurate with the period "
                f"would take {self.n_terms * n_points:.3g} operations (more than "
                f"{limit:.0e}); evaluate fewer times, truncate the series, or use "
                "evenly spaced times (numpy.linspace over whole periods)")

    def __getstate__(self):
        # the coefficients cached on devices are not pickled (copied again when needed)
        state = dict(self.__dict__)
        state.pop("_coefficients_on", None)
        return state

    def _coefficients(self, be):
        """``(f, g)`` on ``be``'s device: copied there on the first call only (the series
        is immutable: ``f`` and ``g`` are not to be changed in place)."""
        cache = self.__dict__.setdefault("_coefficients_on", {})
        if be.DEVICE not in cache:
            cache[be.DEVICE] = (be.asarray(self.f), be.asarray(self.g))
        return cache[be.DEVICE]

    def _on_device(self, be, t):
        """The series at device times ``t``, on the device: the times are read there and
        the result written there; only the coefficients are copied, once per series.
        The uniform-grid FFT and the finiteness check of host times would need the times
        on the host: here the direct sum runs, and a non-finite time gives NaN."""
        times = as_numeric_array(stand_in(t), "t")
        if times.dtype.kind == "c":
            raise TypeError(f"t must be real, got dtype {times.dtype}")
        if times.dtype.kind == "b":
            raise TypeError("t must hold numbers, not booleans (dtype bool)")
        check_native_precision(times.dtype, "t")
        self._check_direct_work(times.size, be)
        flat = be.rearrange(t, None, (), np.dtype(np.float64), False).reshape(times.size)
        f, g = self._coefficients(be)
        out = be.empty((times.size,), np.float64)
        be.fourier_synthesis(flat, f, g, self.omega, self.period, out)
        return out.reshape(times.shape)

    def _direct(self, flat, be=_backend.cpu):
        """The series at the 1-D float64 times ``flat``, ``n_terms`` operations each, by
        backend ``be`` (host times in, a host result out)."""
        if flat.size == 0:
            return np.empty(0)
        f, g = self._coefficients(be)
        # fmod (in the backend) is exact: the phases stay below 2 pi n_terms for any time
        out = be.fourier_synthesis(be.asarray(flat), f, g, self.omega, self.period,
                                   be.empty(flat.shape, np.float64))
        return be.to_host(out)

    def _uniform_grid(self, flat):
        """``(start, p, M)`` when ``flat[k] = start + k p T / M`` to rounding and one
        inverse FFT of ``M`` points is cheaper than the direct sum; else None."""
        n_points, n_terms = flat.size, self.n_terms
        work = n_points * n_terms
        if n_points < 3 or work < 2**20:
            return None
        # an FFT of M points costs about 5 M log2 M; beyond that the direct sum wins
        budget = max(16, min(work // 64, 2**27, max(4 * n_points, 2 * n_terms, 2**20)))
        start = math.fmod(float(flat[0]), self.period)
        step = (float(flat[-1]) - float(flat[0])) / (n_points - 1)
        if not math.isfinite(step / self.period):
            return None
        ratio = Fraction(step / self.period).limit_denominator(budget)
        numerator, size = ratio.numerator, ratio.denominator
        if 5 * size * max(math.log2(size), 1.0) + n_terms > work:
            return None
        # the grid the FFT evaluates, against the times given: equal to rounding
        k = np.arange(n_points, dtype=np.float64)
        model = float(flat[0]) + k * (numerator * self.period / size)
        tolerance = 16 * float(np.finfo(np.float64).eps) * (float(np.max(np.abs(flat)))
                                                            + self.period)
        with np.errstate(over="ignore", invalid="ignore"):
            deviation = float(np.max(np.abs(model - flat)))
        if not deviation <= tolerance:
            return None
        return start, numerator, size

    def _grid_values(self, size, start, name):
        """The series at ``start + k T / size`` for ``k = 0 .. size - 1``, one inverse FFT.

        ``S(t_k) = Re sum_n c_n exp(i n w start) exp(2 pi i n k / size)`` with ``c_0 =
        f_0 / 2`` and ``c_n = f_n - i g_n``; harmonics ``n >= size`` fold onto ``n mod
        size`` (they take the same values on the grid), which is exact.
        """
        length = max(size, self.n_terms)
        check_allocation(name, (length,), np.complex128, copies=4,
                         what="the inverse FFT grid")
        c = self.f - 1j * self.g
        c[0] = 0.5 * self.f[0]
        shift = math.fmod(start, self.period) / self.period  # in (-1, 1)
        if abs(shift) == 0.5:  # the grid from -T/2: exp(i n pi) = (-1)^n
            c[1::2] *= -1.0
        elif shift != 0.0:
            n = np.arange(self.n_terms, dtype=np.float64)
            c *= np.exp(2j * np.pi * np.fmod(n * shift, 1.0))
        if self.n_terms <= size:
            folded = np.zeros(size, dtype=np.complex128)
            folded[:self.n_terms] = c
        else:
            bins = np.arange(self.n_terms) % size
            folded = (np.bincount(bins, weights=c.real, minlength=size)
                      + 1j * np.bincount(bins, weights=c.imag, minlength=size))
        del c
        return sp_fft.ifft(folded, norm="forward").real

    def truncate(self, n_terms):
        """The series with only its first ``n_terms`` coefficients.

        Parameters
        ----------
        n_terms : int
            ``1 <= n_terms <= self.n_terms``.

        Returns
        -------
        FourierSeries
            The partial sum.
        """
        n_terms = check_positive_int(n_terms, "n_terms")
        if n_terms > self.n_terms:
            raise ValueError(f"n_terms must be at most {self.n_terms}, got {n_terms}")
        return FourierSeries(self.f[:n_terms], self.g[:n_terms], self.period)

    def power(self):
        """Mean square over a period by Parseval: ``(f_0/2)^2 + sum (f_n^2 + g_n^2) / 2``.

        Returns
        -------
        float
            ``(1/T) int F(t)^2 dt`` of the truncated series.
        """
        # scaled by a power of two near the largest coefficient (exact), so that the
        # squares cannot overflow before the sum does
        largest = max(float(np.max(np.abs(self.f))), float(np.max(np.abs(self.g))))
        if largest == 0.0:
            return 0.0
        scale = math.ldexp(1.0, math.frexp(largest)[1])
        f, g = self.f / scale, self.g / scale
        with np.errstate(over="ignore"):
            power = float((f[0] / 2) ** 2 + 0.5 * np.sum(f[1:] ** 2 + g[1:] ** 2))
        power = power * scale * scale  # Python floats: inf on overflow, no warning
        if not math.isfinite(power):
            raise ValueError(f"the power of the series overflows float64 (coefficients "
                             f"up to {scale:.3g} in magnitude)")
        return float(power)

    def gibbs_overshoot(self, n_points=None):
        """Overshoot of the partial sum past the top of its jump, as a fraction of the jump.

        For a square wave the partial sums overshoot the top by about 8.95% of the jump
        however many terms are kept (the Gibbs phenomenon). The levels of the wave are
        estimated from the series itself on a uniform grid over one period: ``top`` and
        ``bottom`` are the medians of the values above and below the middle of its range.
        The grid is evaluated by one inverse FFT (:meth:`__call__`), so its cost is
        ``O(n_points log n_points + n_terms)``.

        Parameters
        ----------
        n_points : int, optional
            Evaluation points over one period, ``-T/2`` to ``T/2`` included. By default 64
            per harmonic (at least 20001), so that the narrowing peak is resolved; above
            ``2**21`` points the default grid stops growing (it keeps at least one point
            per harmonic) and the maximum is refined instead, by direct evaluations on
            successively finer local grids around the jumps the grid shows (at most four,
            plus the grid's maximum; about 75 times ``n_terms`` operations each), down to
            ``T / (16384 n_terms)``. A grid given here with fewer than 8 points per
            harmonic (but at least one per 4 harmonics) is refined in the same way, so
            that it does not report the value of a grid that steps over the peak (with 1
            point per harmonic, the points of a square wave's series fall on the nodes of
            its ringing and the overshoot would read 0); a coarser grid is taken as given.

        Returns
        -------
        float
            ``(max S - top) / (top - bottom)``.

        Raises
        ------
        TypeError
            If ``n_points`` is not an integer (booleans refused).
        ValueError
            If ``n_points < 3``, or the partial sum is constant over the period (it has
            no jump).
        MemoryError
            If the grid of ``n_points`` (or, by default, of ``n_terms``) would not fit.
        """
        refine = False
        if n_points is None:
            n_points, name = max(20001, 64 * self.n_terms + 1), "n_terms"
            if n_points - 1 > _GIBBS_GRID_CAP:
                n_points, refine = max(_GIBBS_GRID_CAP, self.n_terms) + 1, True
        else:
            n_points = check_positive_int(n_points, "n_points", minimum=3)
            name = "n_points"
            refine = self.n_terms <= 4 * (n_points - 1) < 32 * self.n_terms
        # the grid -T/2 + k T / (n_points - 1): one period, its last point the first again
        values = self._grid_values(n_points - 1, -self.period / 2, name)
        values = np.append(values, values[0])
        peak = values.max()
        middle = 0.5 * (peak + values.min())
        above, below = values[values >= middle], values[values < middle]
        if below.size == 0:
            raise ValueError("the partial sum is constant over the period: no jump to "
                             "overshoot")
        top, bottom = np.median(above), np.median(below)
        if refine:
            peak = max(peak, self._refine_peak(values, middle))
        return float((peak - top) / (top - bottom))

    def _refine_peak(self, values, middle):
        """The largest value near the jumps of ``values`` (the series on the grid
        ``-T/2 + k T / (len - 1)``, coarser than the peaks): the grid locates each jump
        (a crossing of ``middle``) within one spacing, and the overshoot peak lies within
        about ``T / n_terms`` of it; a few direct evaluations on finer and finer local
        grids find it. The four crossings with the largest values nearby are refined, and
        the grid's own maximum (``O(n_terms)`` operations each)."""
        spacing = self.period / (values.size - 1)
        above = values >= middle
        crossings = np.flatnonzero(above[1:] != above[:-1])
        if crossings.size > 4:
            padded = np.pad(values, 3, mode="wrap")
            nearby = np.max([padded[crossings + shift] for shift in range(8)], axis=0)
            crossings = crossings[np.argsort(nearby)[-4:]]
        candidates = crossings.tolist()
        argmax = int(np.argmax(values))
        if not candidates or np.min(np.abs(crossings - argmax)) > 2:
            candidates.append(argmax)
        best = -math.inf
        for k in candidates:
            low = -self.period / 2 + (k - 2) * spacing
            best = max(best, self._zoom_maximum(low, low + 5 * spacing))
        return best

    def _zoom_maximum(self, low, high):
        """The largest value found in ``[low, high]`` by seven stages of direct evaluation:
        the first at a spacing of ``T / (4 n_terms)`` at most (the main lobe of a Gibbs
        peak is about ``T / n_terms`` wide; at most 81 points, for a window of five grid
        spacings of up to ``4 T / n_terms``), each next one on 9 points over the two
        spacings around the previous maximum (4 times finer)."""
        resolution = self.period / (4 * self.n_terms)
        count = min(81, max(9, int(math.ceil((high - low) / resolution)) + 1))
        best = -math.inf
        for _ in range(7):
            times = np.linspace(low, high, count)
            values = self._direct(times)
            best = max(best, float(values.max()))
            at = times[int(np.argmax(values))]
            step = (high - low) / (count - 1)
            low, high, count = at - step, at + step, 9
        return best

    def _check_compatible(self, other):
        if not isinstance(other, FourierSeries):
            return NotImplemented
        if not math.isclose(self.period, other.period, rel_tol=1e-12):
            raise ValueError(f"series of different periods ({self.period} and "
                             f"{other.period}) cannot be added")
        return None

    def __add__(self, other):
        if self._check_compatible(other) is NotImplemented:
            return NotImplemented
        n = max(self.n_terms, other.n_terms)
        f = np.zeros(n)
        g = np.zeros(n)
        f[:self.n_terms] += self.f
        g[:self.n_terms] += self.g
        with np.errstate(over="ignore"):
            f[:other.n_terms] += other.f
            g[:other.n_terms] += other.g
        return _overflow_checked(f, g, self.period, "the sum of the series")

    def __mul__(self, scalar):
        if isinstance(scalar, (bool, np.bool_)) or not isinstance(scalar, numbers.Real):
            return NotImplemented
        scalar = check_real(scalar, "scalar")
        with np.errstate(over="ignore"):
            f, g = self.f * scalar, self.g * scalar
        return _overflow_checked(f, g, self.period, f"the series times scalar={scalar!r}")

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        if not isinstance(other, FourierSeries):
            return NotImplemented
        return self + (-other)

    def __repr__(self):
        return f"FourierSeries(n_terms={self.n_terms}, period={self.period!r})"


def _overflow_checked(f, g, period, what):
    """``FourierSeries(f, g, period)`` of computed coefficients; ValueError naming
    ``what`` when they overflowed float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        bound = np.sum(np.abs(f)) + np.sum(np.abs(g))
    if not (all_finite(f) and all_finite(g) and math.isfinite(bound)):
        raise ValueError(f"{what} overflows float64")
    return FourierSeries(f, g, period)


class DrivenOscillator:
    """The damped oscillator ``m x'' + b x' + k x = F(t)``.

    Parameters
    ----------
    mass : float
        ``m > 0``.
    damping : float
        ``b >= 0``.
    stiffness : float
        ``k > 0``.

    Attributes
    ----------
    omega0 : float
        Natural frequency ``sqrt(k / m)``.
    beta : float
        ``b / (2 m)``.

    Raises
    ------
    TypeError
        If an argument is not a real number (booleans and strings are refused).
    ValueError
        If ``mass`` or ``stiffness`` is not positive, ``damping`` is negative, one is
        not finite, or ``stiffness / mass`` or ``damping / mass`` over- or underflows
        float64.

    Examples
    --------
    >>> import sigconv as sc
    >>> oscillator = sc.DrivenOscillator(mass=1.0, damping=0.0, stiffness=4.0)
    >>> oscillator.omega0
    2.0
    """

    def __init__(self, mass, damping, stiffness):
        self.mass = _positive(mass, "mass")
        self.stiffness = _positive(stiffness, "stiffness")
        self.damping = check_real(damping, "damping", 0.0)
        ratio = self.stiffness / self.mass
        if not (math.isfinite(ratio) and ratio > 0):
            raise ValueError(f"stiffness / mass = {self.stiffness!r} / {self.mass!r} "
                             "over- or underflows float64: rescale the units")
        # a subnormal k / m keeps few digits: sqrt(k) / sqrt(m) keeps all but an ulp
        self.omega0 = math.sqrt(ratio) if ratio >= _TINY else \
            math.sqrt(self.stiffness) / math.sqrt(self.mass)
        self.beta = self.damping / (2 * self.mass)
        if not math.isfinite(self.beta) or (self.damping > 0 and self.beta == 0):
            raise ValueError(f"damping / (2 mass) = {self.damping!r} / (2 * {self.mass!r}) "
                             "over- or underflows float64: rescale the units")

    def transfer(self, omega):
        """Complex frequency response ``H(w) = 1 / (k - m w^2 + i b w)``.

        Parameters
        ----------
        omega : array_like
            Angular frequencies.

        Returns
        -------
        numpy.ndarray
            ``H``: the steady response to ``exp(i w t)`` is ``H(w) exp(i w t)``. Where
            ``|k - m w^2 + i b w|`` overflows float64, ``H`` is 0 (its true magnitude is
            below the smallest float64).

        Raises
        ------
        TypeError
            If ``omega`` is not real.
        ValueError
            If ``omega`` is not finite, or at the resonance of an undamped oscillator
            (or so near it that ``H`` overflows).
        MemoryError
            If the response and its work arrays (about twelve float64 arrays of the size of
            ``omega``) would not fit in memory; checked before ``omega`` is copied or
            scanned.
        """
        # the response and the denominator (complex), its parts, scalings and masks
        omega = _times(omega, "omega", copies=12)
        return self._response(omega, "omega")

    def _response(self, omegas, name):
        """``1 / (k - m w^2 + i b w)``: 0 where the denominator overflows, ValueError
        naming ``name`` where it is zero or ``H`` overflows."""
        with np.errstate(over="ignore", invalid="ignore"):
            real = self.stiffness - self.mass * omegas**2
            imag = self.damping * omegas
            denominator = real + 1j * imag
            infinite = ~(np.isfinite(real) & np.isfinite(imag))
            if np.any((denominator == 0) & ~infinite):
                raise ValueError("the response is infinite at resonance without damping "
                                 f"({name} = {self.omega0})")
            response = np.zeros(denominator.shape, dtype=np.complex128)
            # 1 / d = 2**-e / (d 2**-e) with 2**e near |d| (exact scalings): NumPy's
            # complex division gives 0 where |1 / d| is subnormal (|d| near 1e308)
            finite = ~infinite
            re, im = real[finite], imag[finite]
            exponent = np.frexp(np.maximum(np.abs(re), np.abs(im)))[1]
            inverse = 1.0 / (np.ldexp(re, -exponent) + 1j * np.ldexp(im, -exponent))
            response[finite] = (np.ldexp(inverse.real, -exponent)
                                + 1j * np.ldexp(inverse.imag, -exponent))
        if not all_finite(response):
            raise ValueError(f"{name} is so near the undamped resonance {self.omega0} that "
                             "the response overflows float64")
        return response

    def resonance_frequency(self):
        """Angular frequency of the largest amplitude, ``sqrt(w0^2 - 2 beta^2)``.

        Returns
        -------
        float
            0.0 when damping is so strong (``2 beta^2 >= w0^2``) that the amplitude only
            decreases with frequency.
        """
        # the squares are exact enough to compare where they neither overflow nor fall
        # among the subnormals (omega0 down to 2e-162: its square keeps few digits there)
        if 1e-150 < self.omega0 and max(self.omega0, self.beta) < 1e150:
            radicand = self.omega0 * self.omega0 - 2.0 * self.beta * self.beta
            return math.sqrt(radicand) if radicand > 0.0 else 0.0
        # omega0 sqrt(1 - 2 (beta / omega0)^2): no square of a large beta to overflow
        ratio = self.beta / self.omega0
        if ratio >= math.sqrt(0.5):
            return 0.0
        return self.omega0 * math.sqrt(max(1.0 - 2.0 * ratio * ratio, 0.0))

    def steady_state(self, forcing, t):
        """The periodic steady state for a :class:`FourierSeries` force, by superposition.

        Each harmonic ``f_n cos(n w t) + g_n sin(n w t)`` gives the particular solution
        with amplitude factor ``(1/m) / sqrt((w0^2 - (n w)^2)^2 + 4 beta^2 (n w)^2)`` and
        phase lag ``delta_n = atan2(2 beta n w, w0^2 - (n w)^2)`` (the lecture's Eq. 5
        with its lost square restored); the constant ``f_0/2`` gives ``f_0 / (2k)``.

        Parameters
        ----------
        forcing : FourierSeries
            The periodic force.
        t : array_like
            Times.

        Returns
        -------
        numpy.ndarray
            ``x_p(t)``.

        Raises
        ------
        TypeError
            If ``forcing`` is not a :class:`FourierSeries`, or ``t`` is not real.
        ValueError
            Without damping, when a harmonic with a non-zero coefficient sits exactly on
            the natural frequency (no periodic particular solution exists), or when the
            response to a harmonic overflows float64; as :class:`FourierSeries` for
            ``t``.
        MemoryError
            As :meth:`FourierSeries.__call__`: the steady state at ``t`` and its work
            arrays are sized before ``t`` is copied or scanned.
        """
        if not isinstance(forcing, FourierSeries):
            raise TypeError(f"forcing must be a FourierSeries, got {type(forcing).__name__}")
        t = _times(t, copies=_CALL_COPIES)
        n = np.arange(forcing.n_terms)
        with np.errstate(over="ignore"):  # harmonics beyond float64 respond with 0
            omegas = n * forcing.omega
        response = self._harmonic_response(omegas, forcing)
        # x_n = Re[(f_n - i g_n) H(n w) e^{i n w t}] = a_n cos + b_n sin
        with np.errstate(over="ignore", invalid="ignore"):
            complex_amplitude = (forcing.f - 1j * forcing.g) * response
        f = complex_amplitude.real
        g = -complex_amplitude.imag
        return _overflow_checked(f, g, forcing.period, "the steady state of forcing "
                                 "(a harmonic's response times its coefficient)")(t)

    def _harmonic_response(self, omegas, forcing):
        with np.errstate(over="ignore", invalid="ignore"):
            denominator = (self.stiffness - self.mass * omegas**2
                           + 1j * self.damping * omegas)
            at_resonance = (denominator == 0) | np.isclose(
                np.abs(denominator), 0.0, atol=1e-12 * self.stiffness)
        excited = (forcing.f != 0) | (forcing.g != 0)
        if np.any(at_resonance & excited):
            n = int(np.flatnonzero(at_resonance & excited)[0])
            raise ValueError(
                f"harmonic {n} of the force drives the undamped oscillator exactly at its "
                f"natural frequency {self.omega0}: there is no periodic steady state"
            )
        response = np.zeros(omegas.shape, dtype=complex)
        response[~at_resonance] = self._response(omegas[~at_resonance], "forcing")
        return response

    def simulate(self, forcing, t, x0=0.0, v0=0.0, rtol=1e-10, atol=1e-12):
        """Integrate the ODE from ``t[0]`` with :func:`scipy.integrate.solve_ivp`.

        Parameters
        ----------
        forcing : callable
            ``F(t)``, called with a one-element float64 array holding the time; it must
            return one finite real number (a Python or NumPy scalar, or an array of one
            element). A :class:`FourierSeries` works (evaluated by a dot product).
        t : array_like
            Increasing times; the solution is reported there.
        x0, v0 : float, default 0.0
            Position and velocity at ``t[0]``.
        rtol, atol : float
            Tolerances of the integrator (DOP853).

        Returns
        -------
        numpy.ndarray
            ``x(t)``.

        Raises
        ------
        TypeError
            If ``forcing`` is not callable, or returns something other than a real number
            (None, a string, a boolean, a complex number, an object); ``t`` is not real;
            or ``x0``, ``v0``, ``rtol``, ``atol`` are not real numbers (booleans refused).
            The message names ``forcing``.
        ValueError
            If ``t`` is not 1-D, finite and increasing; ``x0`` or ``v0`` is not finite;
            ``rtol`` is not in ``(0, 1)`` or ``atol`` not positive; the span of ``t``
            covers more than 10000 cycles of the fastest rate among ``omega0``,
            ``2 beta`` and the force's top harmonic, or a :class:`FourierSeries` force
            has so many terms that the estimated work (about 128 evaluations per cycle
            times ``n_terms``) exceeds ``10**9`` (the step-by-step integration would run
            for minutes: use :meth:`steady_state`, or truncate the series); the force
            returns more or fewer than one value, or a NaN or infinite one (the message
            names ``forcing``); or the integration fails.
        MemoryError
            If the solution at the ``t.size`` times would not fit in memory.
        Exception
            Whatever ``forcing`` itself raises (a ZeroDivisionError, say) propagates
            unchanged, as from :func:`scipy.integrate.solve_ivp`.

        Notes
        -----
        The integrator's error norm squares the state, which overflows above about
        ``1e154``: when it fails with a force, ``x0`` or ``v0`` above ``1e100`` in
        magnitude, the problem is solved again at a power-of-two scale near 1 (exact, the
        equation being linear), with ``atol`` scaled alike, and scaled back.
        """
        from scipy.integrate import solve_ivp  # only the comparison needs it

        if not callable(forcing):
            raise TypeError(f"forcing must be callable (a FourierSeries or F(t)), got "
                            f"{type(forcing).__name__}")
        x0 = check_real(x0, "x0")
        v0 = check_real(v0, "v0")
        rtol = check_real(rtol, "rtol", 0.0, 1.0, exclusive_minimum=True,
                          exclusive_maximum=True)
        atol = check_real(atol, "atol", 0.0, exclusive_minimum=True)
        # the steps' differences, the solution (two rows) and solve_ivp's copies of t
        t = _times(t, copies=6)
        with np.errstate(over="ignore"):
            if t.ndim != 1 or t.size < 2 or np.any(np.diff(t) <= 0):
                raise ValueError("t must be a 1-D increasing array of at least two times")
        rate = max(self.omega0, 2 * self.beta)
        if isinstance(forcing, FourierSeries):
            rate = max(rate, (forcing.n_terms - 1) * forcing.omega)
        span = float(t[-1]) - float(t[0])  # Python floats: inf, not a RuntimeWarning
        cycles = span * rate / (2 * math.pi)
        if not cycles <= _MAX_CYCLES:
            raise ValueError(
                f"t spans {span:.3g} time units, {cycles:.3g} cycles of the fastest "
                f"rate {rate:.3g} (of omega0, 2 beta and the force's harmonics): more than "
                f"{_MAX_CYCLES} for the step-by-step integration; shorten t or use "
                "steady_state")
        if isinstance(forcing, FourierSeries):
            evaluations = _EVALUATIONS_PER_CYCLE * (cycles + 1)
            if evaluations * forcing.n_terms > _MAX_FORCE_WORK:
                raise ValueError(
                    f"forcing has n_terms={forcing.n_terms} harmonics and t spans "
                    f"{cycles:.3g} cycles of the fastest rate {rate:.3g}: about "
                    f"{evaluations:.3g} "
                    f"evaluations of the series, {evaluations * forcing.n_terms:.3g} "
                    f"operations (more than {_MAX_FORCE_WORK:.0e}) for the step-by-step "
                    "integration; truncate the series, shorten t or use steady_state")

        if isinstance(forcing, FourierSeries):
            # one scalar time per call: a dot product beats a kernel launch
            harmonics = np.arange(1, forcing.n_terms) * forcing.omega
            constant, f, g = forcing.f[0] / 2, forcing.f[1:], forcing.g[1:]

            def force_at(time):
                angle = harmonics * time
                return constant + f @ np.cos(angle) + g @ np.sin(angle)
        else:
            def force_at(time):
                return _force_value(forcing(np.array([time])), time)

        largest = max(abs(x0), abs(v0))  # the largest |x0|, |v0| or force seen

        def integrate(scale):
            """The ODE of ``scale`` times the force and start (exact for a power of two:
            the equation is linear), with ``atol`` scaled alike; at least 1e-100, so that
            the integrator's weights ``1 / (atol + rtol |x|)`` stay far below overflow
            where ``x`` starts at 0, and at most ``atol`` itself: a tiny problem scaled up
            is solved to the tolerance asked of a problem of size 1 (scaled alike, its
            error estimates relative to ``atol`` would underflow as before)."""
            def rhs(time, state):
                nonlocal largest
                if time != time:
                    # scipy's solver took a NaN step (its first step size from an
                    # overflowing derivative) and would never reach the end of t
                    raise _NanStep
                force = force_at(time)
                largest = max(largest, abs(force))
                x, v = state
                return [v, (force * scale - self.damping * v - self.stiffness * x)
                        / self.mass]

            # an overflow (a force or start near the largest float) ends in the errors
            # below, not in RuntimeWarnings from inside the integrator
            with np.errstate(over="ignore", invalid="ignore", under="ignore"):
                try:
                    return solve_ivp(rhs, (t[0], t[-1]), [x0 * scale, v0 * scale],
                                     method="DOP853", t_eval=t, rtol=rtol,
                                     atol=min(max(atol * scale, 1e-100), atol)
                                     if scale != 1.0 else atol)
                except _NanStep:
                    return None

        solution, scale = integrate(1.0), 1.0
        if (solution is None or not solution.success or not all_finite(solution.y[0])) and \
                (largest > _SIMULATE_LARGE or 0 < largest < _SIMULATE_SMALL):
            # the integrator's error norm squares the state's errors: above about 1e154 it
            # overflows, and for a problem of 1e-159 its error estimate underflows to
            # 0 / 0 (forces and starts of 1e-159 failed: 'Required step size is less
            # than spacing between numbers'); either way the step size collapses. The
            # problem at a power-of-two scale near 1 (exact: the equation is linear, and
            # atol is scaled alike) is solved instead, and scaled back
            scale = math.ldexp(1.0, -math.frexp(largest)[1])
            solution = integrate(scale)
        if solution is None:
            raise ValueError("integration failed: the step size became NaN (forcing, x0 or "
                             "v0 too large for the step-by-step integration)")
        if not solution.success:
            raise ValueError(f"integration failed: {solution.message} (loosen rtol or "
                             "atol, or shorten t)")
        with np.errstate(over="ignore"):
            x = solution.y[0] / scale if scale != 1.0 else solution.y[0]
        if not all_finite(x):
            raise ValueError("the solution overflows float64 (forcing, x0 or v0 too large)")
        return x


def _force_value(value, time):
    """The one finite real number a forcing returned at ``time``, else an error naming
    ``forcing`` (TypeError for a non-number, ValueError for a count other than one or a
    NaN/inf)."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # a ragged sequence and the like
        raise TypeError(f"forcing must return one real number per time, got "
                        f"{reprlib.repr(value)} at "
                        f"t = {time!r}: {exc}") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(f"forcing must return one real number per time, got "
                        f"{type(value).__name__} of dtype {array.dtype} at t = {time!r}")
    if array.size != 1:
        raise ValueError(f"forcing must return one value per time (a scalar or an array "
                         f"of one element), got shape {array.shape} at t = {time!r}")
    number = float(array.reshape(()))
    if not math.isfinite(number):
        raise ValueError(f"forcing must return a finite value, got {number!r} at "
                         f"t = {time!r}")
    return number


def circular_convolve(a, b):
    """Circular convolution of two equal-length sequences by the FFT.

    .. math:: (a \\circledast b)[n] = \\sum_{k=0}^{N-1} a[k]\\, b[(n - k) \\bmod N]
              = \\mathcal{F}^{-1}\\{\\hat a \\hat b\\}[n]

    the convolution theorem in its discrete form. Zero-padding both to ``len(a) +
    len(b) - 1`` turns it into the linear convolution (:func:`sigconv.convolve`).

    Parameters
    ----------
    a, b : array_like
        1-D sequences of equal length.

    Returns
    -------
    numpy.ndarray
        Of dtype ``numpy.result_type(a, b)``, computed in that precision (as the FFT path
        of :func:`sigconv.convolve`): float32 and complex64 (with integers of up to 16
        bits, or with each other) stay single precision, with errors of about ``1e-7``
        of ``sum |a| * max |b|``; wider integers with them, and float64, give double
        precision. Integers and booleans alone give float64 (the FFT's rounding makes an
        integer result inexact), float16 gives float32 (``scipy.fft`` has no half
        precision). Real for real input, complex otherwise.

    Raises
    ------
    TypeError
        If an input is not numeric or has extended precision.
    ValueError
        If the inputs are not 1-D, empty, of different lengths, or not finite (one NaN
        would spread over every entry through the FFT), or their values are so large that
        the result overflows its dtype.
    MemoryError
        If the transforms of the inputs would not fit in memory (checked before the
        inputs are copied or scanned).

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> np.round(sc.circular_convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.0]), 12)
    array([3., 1., 2.])
    >>> sc.circular_convolve(np.ones(4, np.float32), np.ones(4, np.int16)).dtype
    dtype('float32')
    """
    a = as_numeric_array(a, "a")
    b = as_numeric_array(b, "b")
    if a.ndim != 1 or b.ndim != 1 or a.size == 0 or a.shape != b.shape:
        raise ValueError(f"a and b must be non-empty 1-D arrays of equal length, got shapes "
                         f"{a.shape} and {b.shape}")
    for name, array in (("a", a), ("b", b)):
        check_native_precision(array.dtype, name)
    dtype = np.result_type(a.dtype, b.dtype)
    if dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    elif dtype == np.float16:
        dtype = np.dtype(np.float32)
    # both inputs in the working dtype, their transforms, the product and the result
    check_allocation("a, b", a.shape, dtype, copies=6, what="the transforms")
    for name, array in (("a", a), ("b", b)):
        if not all_finite(array):
            raise ValueError(f"{name} must be finite (it has NaN or inf entries)")
    a = a.astype(dtype, copy=False)
    b = b.astype(dtype, copy=False)
    with np.errstate(over="ignore", invalid="ignore"):
        if dtype.kind == "c":
            out = sp_fft.ifft(sp_fft.fft(a) * sp_fft.fft(b))
        else:
            out = sp_fft.irfft(sp_fft.rfft(a) * sp_fft.rfft(b), a.size)
    if not all_finite(out):
        raise ValueError(f"a and b are so large that their circular convolution overflows "
                         f"{out.dtype}")
    return out
