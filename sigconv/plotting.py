"""Matplotlib helpers for the lecture's figures; each draws on an ``Axes`` and returns it.

Matplotlib is imported only when a helper is called, so ``import sigconv`` stays fast.
"""

import numpy as np

from .fourier import DrivenOscillator, FourierSeries, square_wave

__all__ = ["plot_partial_sums", "plot_gibbs", "plot_oscillator_response"]


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.figure().add_subplot()


def plot_partial_sums(period, width, amplitude=1.0, n_terms=(1, 5, 25, 125), t=None, ax=None):
    """The square wave against partial sums of its Fourier series.

    Parameters
    ----------
    period, width, amplitude : float
        The wave, as in :func:`sigconv.square_wave` (the lecture: 0.2, 0.1, 2).
    n_terms : sequence of int, default (1, 5, 25, 125)
        Numbers of harmonics of the partial sums drawn.
    t : array_like, optional
        Times; default five periods from 0 at 2000 points.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with one line for the wave and one per partial sum.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sigconv.plotting import plot_partial_sums
    >>> ax = plot_partial_sums(0.2, 0.1, 2.0, n_terms=(3, 30))
    >>> len(ax.lines)
    3
    """
    ax = _axes(ax)
    t = np.linspace(0.0, 5 * period, 2000) if t is None else np.asarray(t, dtype=float)
    ax.plot(t, square_wave(t, period, width, amplitude), color="black", lw=2, label="wave")
    full = FourierSeries.square_wave(period, width, amplitude, max(n_terms))
    for n in n_terms:
        ax.plot(t, full.truncate(n)(t), lw=1, label=f"{n} terms")
    ax.set_xlabel("t")
    ax.set_ylabel("F(t)")
    ax.legend(loc="upper right")
    return ax


def plot_gibbs(period=1.0, width=0.5, n_terms=(10, 20, 40, 80, 160, 320, 640), ax=None):
    """The Gibbs overshoot of square-wave partial sums against the number of terms.

    Parameters
    ----------
    period, width : float
        The square wave (height 1).
    n_terms : sequence of int
        Numbers of harmonics.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes
        Overshoot (fraction of the jump) against ``n_terms``, with the limit
        ``0.0895`` drawn as a dashed line.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sigconv.plotting import plot_gibbs
    >>> ax = plot_gibbs(n_terms=(10, 100))
    >>> [round(float(y), 2) for y in ax.lines[0].get_ydata()]
    [0.09, 0.09]
    """
    ax = _axes(ax)
    overshoot = [FourierSeries.square_wave(period, width, 1.0, n).gibbs_overshoot()
                 for n in n_terms]
    ax.semilogx(n_terms, overshoot, "o-", label="partial sum")
    # the limit: (1/pi) Si(pi) - 1/2 of the jump
    ax.axhline(0.0894898722, ls="--", color="gray", label="limit 8.95%")
    ax.set_xlabel("number of terms")
    ax.set_ylabel("overshoot / jump")
    ax.legend()
    return ax


def plot_oscillator_response(oscillator, forcing, t, ax=None):
    """The superposed steady state against the ODE solution from rest.

    Parameters
    ----------
    oscillator : DrivenOscillator
        The oscillator.
    forcing : FourierSeries
        The periodic force.
    t : array_like
        Increasing times.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes
        Two lines: ``solve_ivp`` from rest, and the steady state by superposition.

    Raises
    ------
    TypeError
        If ``oscillator`` is not a :class:`DrivenOscillator`.
    """
    if not isinstance(oscillator, DrivenOscillator):
        raise TypeError(f"oscillator must be a DrivenOscillator, got "
                        f"{type(oscillator).__name__}")
    ax = _axes(ax)
    t = np.asarray(t, dtype=float)
    ax.plot(t, oscillator.simulate(forcing, t), lw=2, label="ODE from rest (solve_ivp)")
    ax.plot(t, oscillator.steady_state(forcing, t), "--", label="steady state (superposition)")
    ax.set_xlabel("t")
    ax.set_ylabel("x(t)")
    ax.legend(loc="upper right")
    return ax
