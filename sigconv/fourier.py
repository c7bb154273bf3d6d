"""Fourier series and the driven damped oscillator, solved by superposition.

A force of period ``T`` is a sum of harmonics of ``w = 2 pi / T`` (the lecture's Eq. 4):

.. math:: F(t) = \\frac{f_0}{2} + \\sum_{n>0} f_n \\cos(n w t) + g_n \\sin(n w t),

with coefficients from Eq. (6), ``f_n = (2/T) int F(t) cos(n w t) dt`` over one period.
The oscillator ``m x'' + b x' + k x = F(t)`` is linear, so its steady state is the sum of
the responses to each harmonic (superposition). Synthesis and quadrature are numba
kernels (:mod:`sigconv.kernels.cpu`), parallel over points and over harmonics.
"""

import math
import numbers

import numpy as np
import scipy.fft as sp_fft

from ._jit import require_cuda, resolve_device, to_device_like, to_host
from ._validate import as_numeric_array, check_positive_int
from .kernels import cpu

__all__ = ["square_wave", "sawtooth_wave", "triangle_wave", "fourier_coefficients",
           "FourierSeries", "DrivenOscillator", "circular_convolve"]

_SYNTHESIS_BLOCK = 512


def _positive(value, name):
    if not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _times(t, name="t"):
    t = as_numeric_array(t, name)
    if t.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got dtype {t.dtype}")
    t = t.astype(np.float64, copy=False)
    if not np.isfinite(t).all():
        raise ValueError(f"{name} must be finite (it has NaN or inf entries)")
    return t


def _phase(t, period):
    """``t`` folded into ``[-period/2, period/2)``."""
    return (t + period / 2) % period - period / 2


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
    ValueError
        If ``period`` or ``width`` is not positive, ``width > period``, both or neither
        of ``width`` and ``duty`` are given, or ``t`` is not finite.

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
    t = _times(t)
    if width == period:  # a pulse filling the period is the constant (no fold edge at T/2)
        return np.full(t.shape, float(amplitude))
    return np.where(np.abs(_phase(t, period)) < width / 2, float(amplitude), 0.0)


def _period_width(period, width, duty):
    period = _positive(period, "period")
    if (width is None) == (duty is None):
        raise ValueError("give exactly one of width and duty")
    if duty is not None:
        duty = _positive(duty, "duty")
        if duty > 1:
            raise ValueError(f"duty must be at most 1, got {duty!r}")
        width = duty * period
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
    ValueError
        If ``period`` is not positive or ``t`` is not finite.

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.sawtooth_wave([-0.5, 0.0, 0.25], period=1.0)
    array([-1. ,  0. ,  0.5])
    """
    period = _positive(period, "period")
    return 2.0 * float(amplitude) * _phase(_times(t), period) / period


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
    ValueError
        If ``period`` is not positive or ``t`` is not finite.

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.triangle_wave([0.0, 0.25, 0.5], period=1.0)
    array([ 1.,  0., -1.])
    """
    period = _positive(period, "period")
    return float(amplitude) * (1.0 - 4.0 * np.abs(_phase(_times(t), period)) / period)


def fourier_coefficients(func, period, n_terms, n_quad=None):
    """Fourier coefficients ``f_n, g_n`` of a periodic function by quadrature (Eq. 6).

    .. math:: f_n = \\frac{2}{T} \\int_{-T/2}^{T/2} F(t) \\cos(n w t)\\, dt, \\quad
              g_n = \\frac{2}{T} \\int_{-T/2}^{T/2} F(t) \\sin(n w t)\\, dt

    by the rectangle rule on ``n_quad`` equally spaced points over one period (the
    trapezoidal rule of a periodic function), in a numba kernel parallel over harmonics.
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
    ValueError
        If ``period`` is not positive, ``n_terms < 1``, the samples are not 1-D or
        finite, or there are fewer than ``2 * n_terms`` of them.

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
    period = _positive(period, "period")
    n_terms = check_positive_int(n_terms, "n_terms")
    if callable(func):
        n_quad = max(4096, 8 * n_terms) if n_quad is None else check_positive_int(
            n_quad, "n_quad")
        t = -period / 2 + np.arange(n_quad) * (period / n_quad)
        samples = np.asarray(func(t), dtype=np.float64)
        if samples.shape != t.shape:
            raise ValueError(f"func must return one value per time, got shape "
                             f"{samples.shape} for {t.shape}")
    else:
        samples = _times(func, "func")
        if samples.ndim != 1:
            raise ValueError(f"func samples must be one-dimensional, got {samples.shape}")
    if not np.isfinite(samples).all():
        raise ValueError("func has NaN or inf values over the period")
    if samples.size < 2 * n_terms:
        raise ValueError(f"{samples.size} samples resolve fewer than n_terms={n_terms} "
                         "harmonics; give at least 2 * n_terms")
    f = np.empty(n_terms)
    g = np.empty(n_terms)
    step = period / samples.size
    cpu.fourier_projection(np.ascontiguousarray(samples), -period / 2, step,
                           2 * np.pi / period, f, g)
    g[0] = 0.0
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
    ValueError
        If the coefficients are not 1-D finite arrays of equal, non-zero length or the
        period is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> series = sc.FourierSeries([2.0, 1.0], [0.0, 0.5], period=2 * np.pi)
    >>> series([0.0, np.pi / 2])
    array([2. , 1.5])
    """

    def __init__(self, f, g, period):
        f = _times(f, "f")
        g = _times(g, "g")
        if f.ndim != 1 or f.shape != g.shape or f.size == 0:
            raise ValueError(f"f and g must be non-empty 1-D arrays of equal length, got "
                             f"shapes {f.shape} and {g.shape}")
        self.f = f.copy()
        self.g = g.copy()
        self.g[0] = 0.0
        self.period = _positive(period, "period")
        self.omega = 2 * np.pi / self.period

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
        """
        period, width = _period_width(period, width, None)
        n_terms = check_positive_int(n_terms, "n_terms")
        n = np.arange(1, n_terms)
        f = np.empty(n_terms)
        f[0] = 2 * amplitude * width / period
        f[1:] = 2 * amplitude / (n * np.pi) * np.sin(n * np.pi * width / period)
        return cls(f, np.zeros(n_terms), period)

    @property
    def n_terms(self):
        """Number of coefficients (harmonics ``0 .. n_terms - 1``)."""
        return self.f.size

    def __call__(self, t, device=None):
        """Evaluate the series at ``t`` (any shape), in parallel over the points.

        ``device`` as in :func:`sigconv.convolve`: None computes where ``t`` lives (a
        device array of times gives a device array), ``"cuda"`` on the GPU.
        """
        original = t
        device = resolve_device(device, t)
        t = _times(to_host(t))
        out = np.empty(t.size)
        synthesis = require_cuda().fourier_synthesis if device == "cuda" \
            else cpu.fourier_synthesis
        synthesis(np.ascontiguousarray(t.ravel()), self.f, self.g, self.omega, out,
                  _SYNTHESIS_BLOCK)
        return to_device_like(out.reshape(t.shape), original)

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
        return float((self.f[0] / 2) ** 2 + 0.5 * np.sum(self.f[1:] ** 2 + self.g[1:] ** 2))

    def gibbs_overshoot(self, n_points=None):
        """Overshoot of the partial sum past the top of its jump, as a fraction of the jump.

        For a square wave the partial sums overshoot the top by about 8.95% of the jump
        however many terms are kept (the Gibbs phenomenon). The levels of the wave are
        estimated from the series itself on a grid over one period: ``top`` and
        ``bottom`` are the medians of the values above and below the middle of its range.

        Parameters
        ----------
        n_points : int, optional
            Evaluation points over one period; by default 64 per harmonic (at least
            20001, at most 1000001), so that the narrowing peak is resolved.

        Returns
        -------
        float
            ``(max S - top) / (top - bottom)``.

        Raises
        ------
        ValueError
            If the partial sum is constant over the period (it has no jump).
        """
        if n_points is None:
            n_points = min(max(20001, 64 * self.n_terms + 1), 1_000_001)
        n_points = check_positive_int(n_points, "n_points", minimum=3)
        t = np.linspace(-self.period / 2, self.period / 2, n_points)
        values = self(t)
        middle = 0.5 * (values.max() + values.min())
        above, below = values[values >= middle], values[values < middle]
        if below.size == 0:
            raise ValueError("the partial sum is constant over the period: no jump to "
                             "overshoot")
        top, bottom = np.median(above), np.median(below)
        return float((values.max() - top) / (top - bottom))

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
        f[:other.n_terms] += other.f
        g[:other.n_terms] += other.g
        return FourierSeries(f, g, self.period)

    def __mul__(self, scalar):
        if not isinstance(scalar, numbers.Real):
            return NotImplemented
        return FourierSeries(self.f * scalar, self.g * scalar, self.period)

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        if not isinstance(other, FourierSeries):
            return NotImplemented
        return self + (-other)

    def __repr__(self):
        return f"FourierSeries(n_terms={self.n_terms}, period={self.period!r})"


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
    ValueError
        If ``mass`` or ``stiffness`` is not positive or ``damping`` is negative.

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
        if not isinstance(damping, numbers.Real) or not math.isfinite(damping) or damping < 0:
            raise ValueError(f"damping must be a non-negative finite number, got {damping!r}")
        self.damping = float(damping)
        self.omega0 = math.sqrt(self.stiffness / self.mass)
        self.beta = self.damping / (2 * self.mass)

    def transfer(self, omega):
        """Complex frequency response ``H(w) = 1 / (k - m w^2 + i b w)``.

        Parameters
        ----------
        omega : array_like
            Angular frequencies.

        Returns
        -------
        numpy.ndarray
            ``H``: the steady response to ``exp(i w t)`` is ``H(w) exp(i w t)``.
        """
        omega = _times(omega, "omega")
        denominator = self.stiffness - self.mass * omega**2 + 1j * self.damping * omega
        if np.any(denominator == 0):
            raise ValueError("the response is infinite at resonance without damping "
                             f"(omega = {self.omega0})")
        return 1.0 / denominator

    def resonance_frequency(self):
        """Angular frequency of the largest amplitude, ``sqrt(w0^2 - 2 beta^2)``.

        Returns
        -------
        float
            0.0 when damping is so strong (``2 beta^2 >= w0^2``) that the amplitude only
            decreases with frequency.
        """
        return math.sqrt(max(self.omega0**2 - 2 * self.beta**2, 0.0))

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
            If ``forcing`` is not a :class:`FourierSeries`.
        ValueError
            Without damping, when a harmonic with a non-zero coefficient sits exactly on
            the natural frequency (no periodic particular solution exists).
        """
        if not isinstance(forcing, FourierSeries):
            raise TypeError(f"forcing must be a FourierSeries, got {type(forcing).__name__}")
        n = np.arange(forcing.n_terms)
        response = self._harmonic_response(n * forcing.omega, forcing)
        # x_n = Re[(f_n - i g_n) H(n w) e^{i n w t}] = a_n cos + b_n sin
        complex_amplitude = (forcing.f - 1j * forcing.g) * response
        f = complex_amplitude.real
        g = -complex_amplitude.imag
        return FourierSeries(f, g, forcing.period)(t)

    def _harmonic_response(self, omegas, forcing):
        denominator = self.stiffness - self.mass * omegas**2 + 1j * self.damping * omegas
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
        response[~at_resonance] = 1.0 / denominator[~at_resonance]
        return response

    def simulate(self, forcing, t, x0=0.0, v0=0.0, rtol=1e-10, atol=1e-12):
        """Integrate the ODE from ``t[0]`` with :func:`scipy.integrate.solve_ivp`.

        Parameters
        ----------
        forcing : callable
            ``F(t)`` for scalar ``t`` (a :class:`FourierSeries` works).
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
        ValueError
            If ``t`` is not 1-D, finite and increasing, or the integration fails.
        """
        from scipy.integrate import solve_ivp  # only the comparison needs it

        t = _times(t)
        if t.ndim != 1 or t.size < 2 or np.any(np.diff(t) <= 0):
            raise ValueError("t must be a 1-D increasing array of at least two times")

        if isinstance(forcing, FourierSeries):
            # one scalar time per call: a dot product beats a kernel launch
            harmonics = np.arange(1, forcing.n_terms) * forcing.omega
            constant, f, g = forcing.f[0] / 2, forcing.f[1:], forcing.g[1:]

            def force_at(time):
                angle = harmonics * time
                return constant + f @ np.cos(angle) + g @ np.sin(angle)
        else:
            def force_at(time):
                return float(np.asarray(forcing(np.array([time]))).ravel()[0])

        def rhs(time, state):
            x, v = state
            return [v, (force_at(time) - self.damping * v - self.stiffness * x) / self.mass]

        solution = solve_ivp(rhs, (t[0], t[-1]), [x0, v0], method="DOP853", t_eval=t,
                             rtol=rtol, atol=atol)
        if not solution.success:
            raise ValueError(f"integration failed: {solution.message}")
        return solution.y[0]


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
        Real for real input, complex otherwise.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the inputs are not 1-D, empty, or of different lengths.

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> np.round(sc.circular_convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.0]), 12)
    array([3., 1., 2.])
    """
    a = as_numeric_array(a, "a")
    b = as_numeric_array(b, "b")
    if a.ndim != 1 or b.ndim != 1 or a.size == 0 or a.shape != b.shape:
        raise ValueError(f"a and b must be non-empty 1-D arrays of equal length, got shapes "
                         f"{a.shape} and {b.shape}")
    if a.dtype.kind == "c" or b.dtype.kind == "c":
        return sp_fft.ifft(sp_fft.fft(a) * sp_fft.fft(b))
    dtype = np.result_type(a, b, np.float32) if a.dtype.kind == "f" or b.dtype.kind == "f" \
        else np.float64
    return sp_fft.irfft(sp_fft.rfft(a.astype(dtype)) * sp_fft.rfft(b.astype(dtype)), a.size)
