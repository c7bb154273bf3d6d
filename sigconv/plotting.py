"""Matplotlib helpers for the lecture's figures.

Single-panel helpers draw on an ``Axes`` (given, or on a new figure) and return it; the
multi-panel helpers (training curves, image grids, filters, feature maps) return the
``Figure``. Matplotlib is imported only when a helper is called, so ``import sigconv``
stays fast.
"""

import itertools
import math
import numbers
import operator
from collections.abc import Iterable, Mapping

import numpy as np

from ._validate import (
    all_finite,
    as_numeric_array,
    check_allocation,
    check_positive_int,
    check_real,
)
from .fourier import DrivenOscillator, FourierSeries, square_wave

__all__ = [
    "plot_partial_sums",
    "plot_gibbs",
    "plot_oscillator_response",
    "heatmap",
    "plot_history",
    "show_images",
    "show_filters",
    "show_feature_maps",
]


#: the most panels a multi-panel figure holds (each is a matplotlib Axes: thousands would
#: take minutes to lay out and draw, and be unreadable)
MAX_PANELS = 1024
#: the largest side of a figure made here, in inches; panels shrink to fit (matplotlib
#: cannot render images of 2**16 pixels or more per side)
MAX_FIGURE_INCHES = 60.0
#: the most harmonics a partial sum drawn here may have, as ``sigconv fourier --terms``
MAX_TERMS = 10**6
#: the most cells of a heatmap that are annotated with their values
MAX_ANNOTATED = 10_000
#: the most labelled ticks on an axis of a heatmap (every k-th row or column beyond: each
#: tick costs milliseconds to make and draw, and thousands could not be read)
MAX_TICKS = 100
#: the most curves (partial sums, Gibbs points) in one ``n_terms`` sequence: each costs
#: up to a second with MAX_TERMS harmonics, and more could not be told apart
MAX_CURVES = 100


def _check_ax(ax, name="ax"):
    """``ax`` if it is a matplotlib Axes or None, else a TypeError naming ``name``."""
    if ax is None:
        return None
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _axes(ax):
    if _check_ax(ax) is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.figure().add_subplot()


def _figsize(width, height):
    """``(width, height)`` scaled down, keeping its shape, to fit MAX_FIGURE_INCHES."""
    scale = min(1.0, MAX_FIGURE_INCHES / width, MAX_FIGURE_INCHES / height)
    return width * scale, height * scale


def _bounded_list(value, name, limit, what, refuse=True):
    """``value``, a sequence (a str, bytes, a dict or a 0-d array is not one), as a list of
    at most ``limit`` items: a longer one is refused (or, without ``refuse``, returned
    with ``limit + 1`` items) after reading ``limit + 1`` of them, never listed whole
    (``range(10**12)`` or an endless generator)."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable) or (
            isinstance(value, np.ndarray) and value.ndim != 1):
        raise TypeError(f"{name} must be a sequence of {what}, got "
                        f"{type(value).__name__}" + (f" of shape {value.shape}"
                                                     if isinstance(value, np.ndarray) else ""))
    values = list(itertools.islice(value, limit + 1))
    if refuse and len(values) > limit:
        raise ValueError(f"{name} must hold at most {limit} {what}, got more")
    return values


def _length(sequence):
    """``len(sequence)``, or ``"more"`` where it has none (a generator) or it does not fit
    an index (``range(10**20)``)."""
    try:
        return len(sequence)
    except (TypeError, OverflowError):
        return "more"


def _n_terms(n_terms, name="n_terms"):
    """``n_terms`` as a non-empty list of at most MAX_CURVES ints in 1..MAX_TERMS."""
    values = _bounded_list(n_terms, name, MAX_CURVES, "positive integers")
    if not values:
        raise ValueError(f"{name} must hold at least one number of terms")
    checked = []
    for value in values:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must hold integers, got {value!r}")
        value = check_positive_int(value, name)
        if value > MAX_TERMS:
            raise ValueError(f"{name} entries must be <= {MAX_TERMS}, got {value}")
        checked.append(value)
    return checked


def _times(t, name="t", copies=1, what="the curves"):
    """``t`` as a non-empty 1-D float64 array of finite times, once ``copies`` float64
    arrays of its length (the work the caller will do) are known to fit in memory."""
    times = _real_array(t, name, convert=False)
    if times.dtype.kind == "b":
        raise TypeError(f"{name} must hold numbers, not booleans (dtype bool)")
    if times.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {times.shape}")
    if times.size == 0:
        raise ValueError(f"{name} cannot be empty")
    check_allocation(name, times.shape, np.float64, copies=copies, what=what)
    times = times.astype(float)
    if not all_finite(times):
        raise ValueError(f"{name} holds NaN or infinite values")
    return times


def plot_partial_sums(period, width, amplitude=1.0, n_terms=(1, 5, 25, 125), t=None, ax=None):
    """The square wave against partial sums of its Fourier series.

    Parameters
    ----------
    period, width, amplitude : float
        The wave, as in :func:`sigconv.square_wave` (the lecture: 0.2, 0.1, 2).
    n_terms : sequence of int, default (1, 5, 25, 125)
        Numbers of harmonics of the partial sums drawn, each from 1 to :data:`MAX_TERMS`.
    t : array_like, optional
        Times, 1-D, real and finite; default five periods from 0 at 2000 points.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with one line for the wave and one per partial sum.

    Raises
    ------
    TypeError
        If ``n_terms`` is not a sequence of integers, ``t`` not real numbers or ``ax``
        not an Axes (or a wave parameter not a number).
    ValueError
        If ``n_terms`` is empty or out of range, ``t`` is not 1-D, empty or not finite
        (or a wave parameter is out of range).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sigconv.plotting import plot_partial_sums
    >>> ax = plot_partial_sums(0.2, 0.1, 2.0, n_terms=(3, 30))
    >>> len(ax.lines)
    3
    """
    n_terms = _n_terms(n_terms)
    _check_ax(ax)
    if t is None:
        period = check_real(period, "period", 0.0, exclusive_minimum=True)
        t = np.linspace(0.0, 5 * period, 2000)
    else:
        # the times, the wave and each partial sum, kept by their lines
        t = _times(t, copies=2 + len(n_terms))
    wave = square_wave(t, period, width, amplitude)
    full = FourierSeries.square_wave(period, width, amplitude, max(n_terms))
    ax = _axes(ax)
    ax.plot(t, wave, color="black", lw=2, label="wave")
    for n in n_terms:
        ax.plot(t, full.truncate(n)(t), lw=1, label=f"{n} term{'s' if n != 1 else ''}")
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
        Numbers of harmonics, each from 1 to :data:`MAX_TERMS`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes
        Overshoot (fraction of the jump) against ``n_terms``, with the limit
        ``0.0895`` drawn as a dashed line.

    Raises
    ------
    TypeError
        If ``n_terms`` is not a sequence of integers or ``ax`` not an Axes.
    ValueError
        If ``n_terms`` is empty or out of range (or ``period``, ``width`` are).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sigconv.plotting import plot_gibbs
    >>> ax = plot_gibbs(n_terms=(10, 100))
    >>> [round(float(y), 2) for y in ax.lines[0].get_ydata()]
    [0.09, 0.09]
    """
    n_terms = _n_terms(n_terms)
    _check_ax(ax)
    overshoot = [FourierSeries.square_wave(period, width, 1.0, n).gibbs_overshoot()
                 for n in n_terms]
    ax = _axes(ax)
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
        If ``oscillator`` is not a :class:`DrivenOscillator`, ``forcing`` not a
        :class:`FourierSeries`, ``t`` not real numbers or ``ax`` not an Axes.
    ValueError
        If ``t`` is not 1-D, empty, not finite or not strictly increasing.
    """
    if not isinstance(oscillator, DrivenOscillator):
        raise TypeError(f"oscillator must be a DrivenOscillator, got "
                        f"{type(oscillator).__name__}")
    if not isinstance(forcing, FourierSeries):
        raise TypeError(f"forcing must be a FourierSeries, got {type(forcing).__name__}")
    # the times, their differences, the two curves and solve_ivp's work
    t = _times(t, copies=6)
    if np.any(np.diff(t) <= 0):
        raise ValueError("t must be strictly increasing")
    _check_ax(ax)
    simulated = oscillator.simulate(forcing, t)
    steady = oscillator.steady_state(forcing, t)
    ax = _axes(ax)
    ax.plot(t, simulated, lw=2, label="ODE from rest (solve_ivp)")
    ax.plot(t, steady, "--", label="steady state (superposition)")
    ax.set_xlabel("t")
    ax.set_ylabel("x(t)")
    ax.legend(loc="upper right")
    return ax


# --- neural-network figures ---------------------------------------------------------------

def _real_array(value, name, convert=True):
    """A real array; with ``convert``, extended precision cast to float64 (plots need no
    more) once the copy is known to fit in memory."""
    array = as_numeric_array(value, name)
    if array.dtype.kind == "c":
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return _native(array, name) if convert else array


def _native(array, name):
    """``array``, extended precision cast to float64 once the copy is known to fit."""
    if array.dtype.kind == "f" and array.dtype.itemsize > 8:
        check_allocation(name, array.shape, np.float64, what="its float64 copy")
        array = array.astype(np.float64)
    return array


def _to_unit(values, low, high, constant):
    """Finite ``values`` in ``[low, high]`` mapped onto ``[0, 1]`` (``constant`` where all
    are equal), for imshow's RGB floats. Halved first: ``high - low`` of values near the
    largest float would overflow (a RuntimeWarning and NaN panels)."""
    if not high > low:
        return np.full_like(values, constant)
    return (values / 2 - low / 2) / (high / 2 - low / 2)


def _check_finite(array, name):
    """No NaN or infinity in ``array``, checked by reductions (no mask of its size)."""
    if not all_finite(array):
        raise ValueError(f"{name} holds NaN or infinite values")


def _check_text(value, name):
    """A str or None (a title or an axis label)."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, got {type(value).__name__}")


def _check_cmap(cmap):
    """A colour map name matplotlib knows, or a Colormap, before any figure is made."""
    import matplotlib
    from matplotlib.colors import Colormap

    if isinstance(cmap, Colormap):
        return
    if not isinstance(cmap, str):
        raise TypeError(f"cmap must be a colour map name (str) or a matplotlib Colormap, "
                        f"got {type(cmap).__name__}")
    if cmap not in matplotlib.colormaps:
        raise ValueError(f"cmap {cmap!r} is not a colour map matplotlib knows (such as "
                         f"'viridis', 'gray_r', 'RdBu_r')")


def _panel_grid(n_panels, n_cols, panel_size):
    """A constrained-layout figure with ``n_panels`` tick-less axes in rows of ``n_cols``.

    Cells of the last row beyond ``n_panels`` are removed, so ``fig.axes`` are the panels.
    """
    import matplotlib.pyplot as plt

    n_cols = min(n_cols, n_panels)
    n_rows = math.ceil(n_panels / n_cols)
    fig, grid = plt.subplots(n_rows, n_cols, squeeze=False, layout="constrained",
                             figsize=_figsize(panel_size[0] * n_cols,
                                              panel_size[1] * n_rows + 0.4))
    axes = list(grid.ravel())
    for ax in axes[n_panels:]:
        ax.remove()
    for ax in axes[:n_panels]:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes[:n_panels]


def _tick_label(value):
    """Integers as they are, other real numbers in the shortest ``g`` form (``1e-05``)."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return format(float(value), "g")
    return str(value)


def _labels(labels, name, length, axis_name):
    given = labels
    labels = _bounded_list(labels, name, length, "labels", refuse=False)
    if len(labels) != length:
        got = len(labels) if len(labels) <= length else _length(given)
        raise ValueError(f"{name} must have one label per {axis_name} of grid ({length}), "
                         f"got {got}")
    return [_tick_label(label) for label in labels]


def heatmap(grid, row_labels, col_labels, title=None, ax=None, fmt=".3f", cmap="viridis",
            xlabel=None, ylabel=None, vmin=None, vmax=None):
    """A 2-D grid of values as coloured cells, each annotated with its value.

    The lecture draws test accuracy over a grid of hyperparameters (learning rate against
    L2 penalty) with seaborn; this is the matplotlib-only equivalent.

    Parameters
    ----------
    grid : array_like, shape (n_rows, n_cols)
        Real values; NaN (or infinite) cells are left blank and annotated ``"nan"``
        (``"inf"``), e.g. runs that diverged or were not made.
    row_labels, col_labels : sequence
        Labels of the rows (y axis, top to bottom) and of the columns (x axis). Numbers
        are written compactly: integers as they are, others in ``g`` form (``1e-05``,
        ``0.01``).
    title : str, optional
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    fmt : str, default ".3f"
        Format spec of the annotations, as in ``format(value, fmt)``.
    cmap : str or matplotlib.colors.Colormap, default "viridis"
        Colour map.
    xlabel, ylabel : str, optional
        Axis labels (e.g. the hyperparameters' names).
    vmin, vmax : float, optional
        Colour limits; the grid's finite minimum and maximum by default.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, holding one image (``ax.images[0]``, its data the grid), one text per
        cell (for grids of at most :data:`MAX_ANNOTATED` cells: more could not be read)
        and a colorbar beside it. An axis is labelled at every row or column up to
        :data:`MAX_TICKS` of them, beyond at every k-th (k the least that keeps at most
        :data:`MAX_TICKS` labels). A new figure grows with the grid up to
        :data:`MAX_FIGURE_INCHES` per side.

    Raises
    ------
    TypeError
        If ``grid`` is not real numbers, a labels argument is not a sequence (a string
        is not one), ``fmt`` is not a string, ``vmin`` or ``vmax`` not a real number,
        ``title``, ``xlabel`` or ``ylabel`` not a str or None, ``cmap`` neither a name nor
        a Colormap, or ``ax`` not an Axes.
    ValueError
        If ``grid`` is not 2-D or is empty, a labels argument's length differs from the
        grid's matching dimension, ``fmt`` is not a valid format spec, ``cmap`` names no
        colour map, or ``vmin`` or ``vmax`` is not finite or ``vmin > vmax``.
    MemoryError
        If the grid's float64 copies (about 2.2 times ``8 * grid.size`` bytes) would not
        fit in memory.

    Notes
    -----
    Annotations are black on light cells and white on dark ones, judged by the luma
    ``0.299 R + 0.587 G + 0.114 B`` of the cell's colour (threshold 0.5).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from sigconv.plotting import heatmap
    >>> accuracy = [[0.91, 0.88], [0.95, float("nan")]]
    >>> ax = heatmap(accuracy, row_labels=[1e-3, 1e-2], col_labels=[0, 1e-5], fmt=".2f",
    ...              xlabel="L2 lambda", ylabel="learning rate")
    >>> [text.get_text() for text in ax.texts]
    ['0.91', '0.88', '0.95', 'nan']
    >>> [label.get_text() for label in ax.get_xticklabels()]
    ['0', '1e-05']
    >>> plt.close(ax.figure)
    """
    values = _real_array(grid, "grid", convert=False)
    if values.ndim != 2:
        raise ValueError(f"grid must be 2-D, got shape {values.shape}")
    if values.size == 0:
        raise ValueError(f"grid cannot be empty (shape {values.shape})")
    # the float64 copy drawn, its masked copy and the mask (all of the grid is drawn)
    check_allocation("grid", values.shape, np.float64, copies=2.2, what="the drawn cells")
    values = _native(values, "grid")
    n_rows, n_cols = values.shape
    row_ticks = _labels(row_labels, "row_labels", n_rows, "row")
    col_ticks = _labels(col_labels, "col_labels", n_cols, "column")
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format spec string, got {type(fmt).__name__}")
    integer = values.dtype.kind in "biu"
    try:
        format(0 if integer else 0.5, fmt)
    except ValueError:
        raise ValueError(f"fmt {fmt!r} is not a valid format spec for the grid's "
                         f"{'integers' if integer else 'real numbers'}") from None
    limits = [None if value is None else check_real(value, name)
              for name, value in (("vmin", vmin), ("vmax", vmax))]
    if None not in limits and limits[0] > limits[1]:
        raise ValueError(f"vmin must be <= vmax, got vmin={vmin!r} and vmax={vmax!r}")
    vmin, vmax = limits
    for name, text in (("title", title), ("xlabel", xlabel), ("ylabel", ylabel)):
        _check_text(text, name)
    _check_cmap(cmap)
    _check_ax(ax)

    if ax is None:
        import matplotlib.pyplot as plt

        figsize = _figsize(max(4.0, 0.9 * n_cols + 2.0), max(3.0, 0.55 * n_rows + 1.5))
        ax = plt.figure(figsize=figsize, layout="constrained").add_subplot()
    data = values.astype(float)
    image = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=vmin, vmax=vmax,
                      aspect="auto", interpolation="nearest")
    for (i, j), value in np.ndenumerate(data if data.size <= MAX_ANNOTATED else ()):
        if np.isfinite(value):
            text = format(int(values[i, j]) if integer else float(value), fmt)
            red, green, blue, _ = image.cmap(image.norm(value))
            color = "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"
        else:  # a blank cell on the axes background
            text, color = str(value), "black"
        ax.text(j, i, text, ha="center", va="center", color=color)
    for set_ticks, ticks in ((ax.set_xticks, col_ticks), (ax.set_yticks, row_ticks)):
        step = math.ceil(len(ticks) / MAX_TICKS)
        set_ticks(np.arange(0, len(ticks), step), labels=ticks[::step])
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    ax.figure.colorbar(image, ax=ax)
    return ax


def plot_history(history, metrics=None, axes=None):
    """Training curves: one panel per metric, training and validation together.

    Parameters
    ----------
    history : History or dict
        An object with a ``.history`` dict (Keras's ``History``, returned by ``fit``) or
        the dict itself, mapping names such as ``"loss"``, ``"accuracy"``,
        ``"val_loss"``, ``"val_accuracy"`` to one value per epoch.
    metrics : str or sequence of str, optional
        Base names of the panels, in order (``"loss"`` draws ``loss`` and ``val_loss``);
        every base name in ``history``, in order of appearance, by default.
    axes : matplotlib.axes.Axes or sequence of Axes, optional
        One axes per panel; a new figure with the panels side by side by default.

    Returns
    -------
    matplotlib.figure.Figure
        The figure of the panels. Each panel has a ``"training"`` line and/or a
        ``"validation"`` line against epochs ``1, 2, ..., n``, and a legend.

    Raises
    ------
    TypeError
        If ``history`` is neither a dict nor has a ``.history`` dict, or its values are
        not real numbers (booleans refused), ``metrics`` is neither a str nor a sequence
        of str, or ``axes`` is neither an Axes nor a sequence of them.
    ValueError
        If ``history`` is empty, a list is empty, not 1-D, or the lists' lengths differ;
        if ``metrics`` is empty, names a metric that is not recorded or twice, or more
        than :data:`MAX_PANELS`; or if the number of ``axes`` differs from the number of
        panels.
    MemoryError
        If the float64 copy of a curve would not fit in memory.

    Notes
    -----
    NaN and infinite values (a diverged fit) are drawn as gaps in their curve, as
    matplotlib draws them.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from sigconv.plotting import plot_history
    >>> history = {"loss": [0.9, 0.5, 0.4], "accuracy": [0.6, 0.8, 0.85],
    ...            "val_loss": [1.0, 0.7, 0.6], "val_accuracy": [0.55, 0.7, 0.75]}
    >>> fig = plot_history(history)
    >>> [ax.get_title() for ax in fig.axes]
    ['loss', 'accuracy']
    >>> [line.get_label() for line in fig.axes[0].lines]
    ['training', 'validation']
    >>> fig.axes[0].lines[1].get_xdata().tolist()
    [1, 2, 3]
    >>> plt.close(fig)
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping):
        raise TypeError(f"history must be a dict of per-epoch lists or an object with a "
                        f".history dict (such as a Keras History), got "
                        f"{type(history).__name__}")
    if not logs:
        raise ValueError("history is empty: no metric was recorded")
    curves, total = {}, 0
    for key, values in logs.items():
        if not isinstance(key, str):
            raise TypeError(f"history keys must be metric names (str), got {key!r}")
        name = f"history[{key!r}]"
        array = _real_array(values, name, convert=False)
        if array.dtype.kind == "b":
            raise TypeError(f"{name} must hold numbers, not booleans (dtype bool)")
        if array.ndim != 1:
            raise ValueError(f"{name} must be a list with one value per epoch, got shape "
                             f"{array.shape}")
        if array.size == 0:
            raise ValueError(f"{name} is empty: no epoch was recorded")
        curves[key], total = array, total + array.size
    # the float64 copies of all the curves, drawn together
    check_allocation("history", (total,), np.float64, what="the curves drawn")
    curves = {key: array.astype(float) for key, array in curves.items()}
    lengths = {key: len(values) for key, values in curves.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"history lists must all have one value per epoch; got lengths "
                         f"{lengths}")

    available = []
    for key in curves:
        base = key[len("val_"):] if key.startswith("val_") else key
        if base not in available:
            available.append(base)
    if metrics is None:
        selected = available
    else:
        selected = [metrics] if isinstance(metrics, str) else _bounded_list(
            metrics, "metrics", MAX_PANELS, "metric names (str)")
        if not selected:
            raise ValueError("metrics must name at least one metric")
        for index, metric in enumerate(selected):
            if not isinstance(metric, str):
                raise TypeError(f"metrics must hold metric names (str), got {metric!r}")
            if metric not in available:
                raise ValueError(f"metrics entry {metric!r} is not in history; the recorded "
                                 f"metrics are {available}")
            if metric in selected[:index]:
                raise ValueError(f"metrics names {metric!r} twice: one panel per metric")

    if len(selected) > MAX_PANELS:
        raise ValueError(f"history has {len(selected)} metrics, more than the {MAX_PANELS} "
                         f"panels a figure may hold: choose some with metrics")
    if axes is None:
        import matplotlib.pyplot as plt

        _, grid = plt.subplots(1, len(selected), squeeze=False, layout="constrained",
                               figsize=_figsize(4.5 * len(selected), 3.5))
        panels = list(grid.ravel())
    else:
        from matplotlib.axes import Axes

        if isinstance(axes, Axes):
            panels = [axes]
        elif isinstance(axes, np.ndarray) and axes.dtype == object:  # plt.subplots' grid
            if axes.size != len(selected):
                raise ValueError(f"axes must hold one Axes per metric panel "
                                 f"({len(selected)}: {selected}), got {axes.size}")
            panels = list(axes.ravel())
        else:
            panels = _bounded_list(axes, "axes", len(selected), "Axes", refuse=False)
        if len(panels) != len(selected):
            got = len(panels) if len(panels) <= len(selected) else _length(axes)
            raise ValueError(f"axes must hold one Axes per metric panel ({len(selected)}: "
                             f"{selected}), got {got}")
        for panel in panels:
            if not isinstance(panel, Axes):  # None too: there is one panel per entry
                raise TypeError(f"axes must hold matplotlib Axes, got "
                                f"{type(panel).__name__}")

    from matplotlib.ticker import MaxNLocator

    epochs = np.arange(1, len(next(iter(curves.values()))) + 1)
    for ax, metric in zip(panels, selected, strict=True):
        for key, label in ((metric, "training"), ("val_" + metric, "validation")):
            if key in curves:
                ax.plot(epochs, curves[key], marker="o", markersize=3, label=label)
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
    return panels[0].figure


def _class_indices(values, name, n_images, shown):
    """Labels or predictions of the first ``shown`` images as a 1-D array (2-D ones: argmax
    per row); the whole must have one entry per image, but only those shown are read."""
    if values is None:
        return None
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):  # ragged nested sequences
        raise TypeError(f"{name} must be one class per image (indices, names, or rows of "
                        f"scores), got a ragged sequence") from None
    if array.ndim not in (1, 2) or len(array) != n_images:
        raise ValueError(f"{name} must have one entry per image ({n_images}), got shape "
                         f"{array.shape}")
    if array.ndim == 2 and (array.dtype.kind not in "biuf" or array.shape[1] == 0):
        raise ValueError(f"{name} as rows must be one-hot labels or class scores (real "
                         f"numbers, at least one column), got {array.dtype} of shape "
                         f"{array.shape}")
    array = array[:shown]
    if array.ndim == 2:  # one-hot labels, or predicted class probabilities
        if not all_finite(array):
            raise ValueError(f"{name} holds NaN or infinite scores")
        array = array.argmax(axis=1)
    if array.dtype.kind == "f":  # float class indices such as 3.0
        if not all_finite(array):
            raise ValueError(f"{name} holds NaN or infinite class indices")
        if not np.all(array == np.round(array)):
            bad = array[array != np.round(array)][0]
            raise TypeError(f"{name} must be class indices (whole numbers), names, or rows "
                            f"of scores; got {bad!r} (a probability? pass the rows of "
                            f"scores)")
        if np.abs(array).max() >= 2**63:
            raise ValueError(f"{name} holds class indices beyond the int64 range")
        array = array.astype(np.int64)
    return array


def _class_name(value, class_names, name):
    if class_names is None:
        return str(value)
    try:
        index = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be class indices when class_names is given, got "
                        f"{value!r}") from None
    if not 0 <= index < len(class_names):
        raise ValueError(f"{name} entry {index} is out of range for {len(class_names)} "
                         f"class_names")
    return str(class_names[index])


def _check_count(value, name):
    """A positive integer (booleans refused)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return check_positive_int(value, name)


def _check_panels(value, name):
    """A count of panels, from 1 to MAX_PANELS."""
    value = _check_count(value, name)
    if value > MAX_PANELS:
        raise ValueError(f"{name} must be <= {MAX_PANELS} (panels of one figure), got "
                         f"{value}")
    return value


def _check_class_names(class_names):
    if class_names is None:
        return None
    if isinstance(class_names, (str, bytes)) or np.ndim(class_names) != 1:
        raise TypeError(f"class_names must be a sequence of names, got {class_names!r}")
    return list(class_names)


def show_images(images, labels=None, class_names=None, predictions=None, n_cols=8,
                max_images=32, cmap="gray_r"):
    """A grid of images, titled with their labels and, if given, the predictions.

    Parameters
    ----------
    images : array_like, shape (n, height, width), (n, height, width, 1) or (n, height, width, 3)
        Greyscale or RGB images, channels last. Integers are read as 0..255 (uint8
        pixels); real numbers are scaled by the minimum and maximum of the images shown,
        so that every panel shares one scale. Only the images shown are read (checked
        for NaN, converted), so a memory-mapped data set stays on disk.
    labels : array_like, optional
        True classes, one per image: indices, or one-hot rows (argmax is taken).
    class_names : sequence of str, optional
        Names of the classes, indexed by the labels and predictions.
    predictions : array_like, optional
        Predicted classes, one per image: indices, or rows of class scores such as the
        output of ``model.predict`` (argmax is taken).
    n_cols : int, default 8
        Panels per row.
    max_images : int, default 32
        Only the first ``max_images`` images are shown.
    cmap : str or matplotlib.colors.Colormap, default "gray_r"
        Colour map of greyscale images (ignored for RGB); ``"gray_r"`` draws MNIST digits
        dark on light.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per shown image (``fig.axes``). Titles are ``"label"`` or
        ``"label / predicted"`` (or ``"predicted"`` without labels), in red where the
        prediction is wrong.

    Raises
    ------
    TypeError
        If ``images`` is not real numbers, ``n_cols`` or ``max_images`` is not an
        integer, ``class_names`` is not a sequence (a string is not one), ``labels`` or
        ``predictions`` is ragged, a label is not a class index while ``class_names``
        is given or is a float that is not a whole number (a probability), or ``cmap``
        is neither a name nor a Colormap.
    ValueError
        If ``images`` has another shape, is empty, or the images shown hold NaN or
        infinity, ``labels`` or ``predictions`` does not have one entry per image (or
        holds NaN, as scores or indices, for an image shown, or rows that are not real
        scores), a class index is out of range of ``class_names``, ``n_cols`` is below
        1, ``max_images`` outside 1..:data:`MAX_PANELS`, or ``cmap`` names no colour map.
    MemoryError
        If the images shown, as float64, would not fit in memory twice.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sigconv.plotting import show_images
    >>> images = np.random.default_rng(0).random((3, 8, 8))
    >>> fig = show_images(images, labels=[0, 1, 2], predictions=[0, 1, 1],
    ...                   class_names=["zero", "one", "two"])
    >>> [ax.get_title() for ax in fig.axes]
    ['zero / zero', 'one / one', 'two / one']
    >>> fig.axes[2].title.get_color()
    'red'
    >>> plt.close(fig)
    """
    array = _real_array(images, "images", convert=False)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    rgb = array.ndim == 4 and array.shape[-1] == 3
    if not (array.ndim == 3 or rgb):
        raise ValueError(f"images must have shape (n, height, width), (n, height, width, 1) "
                         f"or (n, height, width, 3); got shape {np.shape(images)}")
    if array.size == 0:
        raise ValueError(f"images cannot be empty (shape {np.shape(images)})")
    n_cols = _check_count(n_cols, "n_cols")
    max_images = _check_panels(max_images, "max_images")
    class_names = _check_class_names(class_names)
    _check_cmap(cmap)
    n_images = len(array)
    shown = min(n_images, max_images)
    labels = _class_indices(labels, "labels", n_images, shown)
    predictions = _class_indices(predictions, "predictions", n_images, shown)

    # only the images shown are read, checked and converted (float64, and for RGB its
    # scaled copy): a memory map of a data set stays on disk, a huge view costs nothing
    array = array[:shown]
    check_allocation("images", array.shape, np.float64, copies=2, what="the images shown")
    array = _native(array, "images")
    _check_finite(array, "images")
    if array.dtype.kind in "iu":  # uint8-style pixels
        limits = (0, 255)
        if rgb:
            array = np.clip(array, 0, 255).astype(np.uint8)
    else:  # one scale for all the panels
        low, high = float(np.min(array)), float(np.max(array))
        limits = (low, high)
        array = array.astype(float)
        if rgb:  # RGB floats must lie in [0, 1] for imshow
            array = _to_unit(array, low, high, 0.0)

    fig, axes = _panel_grid(shown, n_cols, panel_size=(1.5, 1.7))
    for index, ax in enumerate(axes):
        if rgb:
            ax.imshow(array[index], interpolation="nearest")
        else:
            ax.imshow(array[index], cmap=cmap, vmin=limits[0], vmax=limits[1],
                      interpolation="nearest")
        parts, color = [], "black"
        if labels is not None:
            parts.append(_class_name(labels[index], class_names, "labels"))
        if predictions is not None:
            parts.append(_class_name(predictions[index], class_names, "predictions"))
            if labels is not None and labels[index] != predictions[index]:
                color = "red"
        if parts:
            ax.set_title(" / ".join(parts), color=color, fontsize="small")
    return fig


def show_filters(conv_layer_or_kernel, n_cols=8, cmap="RdBu_r"):
    """The learned filters of a convolution layer, one panel per filter.

    Parameters
    ----------
    conv_layer_or_kernel : layer or array_like
        A layer with ``get_weights()`` whose first array is the kernel (a built
        ``sigconv.nn.Conv2D`` or a Keras ``Conv2D``), or the kernel itself, in the
        Keras layout ``(kernel_height, kernel_width, in_channels, filters)``.
    n_cols : int, default 8
        Panels per row.
    cmap : str or matplotlib.colors.Colormap, default "RdBu_r"
        Diverging colour map of single-channel panels (ignored for RGB).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per filter (``fig.axes``), titled with its index. With
        ``in_channels == 3`` a panel is the filter's RGB composite, the whole kernel
        scaled to [0, 1] by its minimum and maximum; otherwise it is the filter's slice
        for input channel 0, with colour limits ``-m, +m``, ``m`` the largest absolute
        weight of these slices, so that 0 is the map's centre and panels compare.

    Raises
    ------
    TypeError
        If the kernel is not real numbers, ``n_cols`` is not an integer, ``cmap`` is
        neither a name nor a Colormap, or the layer's ``get_weights()`` is not a list.
    ValueError
        If the layer has no weights (not built yet), the kernel is not 4-D, is empty,
        holds NaN or infinity in the part drawn (input channel 0, or all three of an RGB
        kernel) or more than :data:`MAX_PANELS` filters, ``n_cols`` is below 1, or
        ``cmap`` names no colour map.
    MemoryError
        If the part drawn, as float64, would not fit in memory twice.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sigconv.plotting import show_filters
    >>> sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    >>> kernel = np.stack([sobel_x, sobel_x.T], axis=-1)[:, :, None, :]  # (3, 3, 1, 2)
    >>> fig = show_filters(kernel)
    >>> len(fig.axes), fig.axes[1].images[0].get_clim()
    (2, (-2.0, 2.0))
    >>> plt.close(fig)
    """
    name = None
    if hasattr(conv_layer_or_kernel, "get_weights"):
        name = getattr(conv_layer_or_kernel, "name", type(conv_layer_or_kernel).__name__)
        weights = conv_layer_or_kernel.get_weights()
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"conv_layer_or_kernel {name!r}: get_weights() must return a "
                            f"list of arrays, got {type(weights).__name__}")
        if len(weights) == 0:
            raise ValueError(f"conv_layer_or_kernel {name!r} has no weights; build it (call "
                             f"it on an input) first")
        kernel = weights[0]
    else:
        kernel = conv_layer_or_kernel
    kernel = _real_array(kernel, "conv_layer_or_kernel", convert=False)
    if kernel.ndim != 4:
        raise ValueError(f"the kernel of conv_layer_or_kernel must be 4-D, (kernel_height, "
                         f"kernel_width, in_channels, filters); got shape {kernel.shape}")
    if kernel.size == 0:
        raise ValueError(f"the kernel of conv_layer_or_kernel cannot be empty (shape "
                         f"{kernel.shape})")
    n_cols = _check_count(n_cols, "n_cols")
    _check_cmap(cmap)
    height, width, in_channels, n_filters = kernel.shape
    if n_filters > MAX_PANELS:
        raise ValueError(f"conv_layer_or_kernel has {n_filters} filters, more than the "
                         f"{MAX_PANELS} panels of one figure: pass a slice of the kernel")
    if in_channels != 3:  # only input channel 0 is drawn: nothing else is read
        kernel = kernel[:, :, :1, :]
    # the float64 copy, and the scaled copy of an RGB kernel
    check_allocation("conv_layer_or_kernel", kernel.shape, np.float64, copies=2,
                     what="the filters drawn")
    _check_finite(kernel, "conv_layer_or_kernel")
    kernel = kernel.astype(float)

    fig, axes = _panel_grid(n_filters, n_cols, panel_size=(1.2, 1.35))
    if in_channels == 3:
        panels = _to_unit(kernel, float(kernel.min()), float(kernel.max()), 0.5)
        for index, ax in enumerate(axes):
            ax.imshow(panels[:, :, :, index], interpolation="nearest")
        shows = "RGB"
    else:
        panels = kernel[:, :, 0, :]
        limit = float(np.abs(panels).max()) or 1.0
        for index, ax in enumerate(axes):
            ax.imshow(panels[:, :, index], cmap=cmap, vmin=-limit, vmax=limit,
                      interpolation="nearest")
        shows = f"input channel 0 of {in_channels}" if in_channels > 1 else None
    for index, ax in enumerate(axes):
        ax.set_title(str(index), fontsize="small")
    heading = f"{n_filters} filters {height}x{width}" + (f" ({shows})" if shows else "")
    fig.suptitle(f"{name}: {heading}" if name else heading)
    return fig


def _layer_index(layer, names):
    if layer is None:
        return None
    if isinstance(layer, str):
        if layer not in names:
            raise ValueError(f"layer {layer!r} is not a layer of model; its layers are "
                             f"{names}")
        return names.index(layer)
    if isinstance(layer, (bool, np.bool_)):
        raise TypeError(f"layer must be a layer index (int), a layer name (str) or None; "
                        f"got {layer!r}")
    try:
        index = operator.index(layer)
    except TypeError:
        raise TypeError(f"layer must be a layer index (int), a layer name (str) or None; "
                        f"got {type(layer).__name__}") from None
    if not -len(names) <= index < len(names):
        raise ValueError(f"layer index {index} is out of range for a model of {len(names)} "
                         f"layers: {names}")
    return index % len(names)


def show_feature_maps(model, x, layer=None, n_cols=8, max_maps=32, cmap="viridis"):
    """The feature maps a layer of a model computes for one input, one panel per channel.

    Parameters
    ----------
    model : object
        Anything with a ``.layers`` list (a ``Sequential`` model) whose elements have
        ``forward(x)`` and, to be picked by name, ``.name``.
    x : array_like, shape (height, width, channels) or (1, height, width, channels)
        One sample, channels last, or a batch of one.
    layer : int or str, optional
        The layer whose output is shown: an index into ``model.layers`` (negative counts
        from the end) or a layer name. By default the first layer whose output is 4-D
        (the first convolution).
    n_cols : int, default 8
        Panels per row.
    max_maps : int, default 32
        Only the first ``max_maps`` channels are shown.
    cmap : str or matplotlib.colors.Colormap, default "viridis"
        Colour map; each panel is scaled to its own minimum and maximum.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per shown channel ``c`` (``fig.axes``, titled ``"c"``), its image
        ``output[0, :, :, c]``, where ``output`` comes from running ``x[None]`` through
        ``model.layers`` in order up to and including ``layer``.

    Raises
    ------
    TypeError
        If ``model`` has no ``.layers``, a layer run has no ``forward``, ``x`` is not
        real numbers, ``layer`` is neither an int nor a str, or ``n_cols`` or
        ``max_maps`` is not an integer, or ``cmap`` is neither a name nor a Colormap.
    ValueError
        If ``model`` has no layers, ``x`` is not one sample, is empty or holds NaN or
        infinity, ``layer`` names no layer (the message lists the names) or its output is
        not 4-D, no layer outputs 4-D maps (default ``layer``), ``n_cols`` is below 1,
        ``max_maps`` outside 1..:data:`MAX_PANELS`, or ``cmap`` names no colour map.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sigconv.plotting import show_feature_maps
    >>> class Negate:
    ...     name = "negate"
    ...     def forward(self, x):
    ...         return -x
    >>> class Model:
    ...     layers = [Negate()]
    >>> x = np.arange(2 * 2 * 3.0).reshape(2, 2, 3)
    >>> fig = show_feature_maps(Model(), x)
    >>> [ax.get_title() for ax in fig.axes]
    ['0', '1', '2']
    >>> np.asarray(fig.axes[1].images[0].get_array()).tolist()
    [[-1.0, -4.0], [-7.0, -10.0]]
    >>> plt.close(fig)
    """
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(f"model must have a .layers list of layers with forward(x), got "
                        f"{type(model).__name__}")
    layers = list(layers)
    if not layers:
        raise ValueError("model has no layers")
    names = [str(getattr(current, "name", None) or type(current).__name__)
             for current in layers]
    sample = _real_array(x, "x")
    if sample.ndim == 3:
        batch = sample[None]
    elif sample.ndim == 4 and sample.shape[0] == 1:
        batch = sample
    else:
        raise ValueError(f"x must be one sample (height, width, channels) or a batch of one "
                         f"(1, height, width, channels); got shape {sample.shape}")
    if sample.size == 0:
        raise ValueError(f"x cannot be empty (shape {sample.shape})")
    _check_finite(sample, "x")
    stop = _layer_index(layer, names)
    n_cols = _check_count(n_cols, "n_cols")
    max_maps = _check_panels(max_maps, "max_maps")
    _check_cmap(cmap)

    output = batch
    for index, current in enumerate(layers):
        if not callable(getattr(current, "forward", None)):
            raise TypeError(f"model.layers[{index}] ({names[index]!r}) has no forward(x) "
                            f"method")
        output = np.asarray(current.forward(output))
        if index == stop or (stop is None and output.ndim == 4):
            break
    else:  # only reachable when layer is None
        raise ValueError(f"no layer of model outputs 4-D feature maps (batch, height, width, "
                         f"channels); its layers are {names}")
    if output.ndim != 4:
        raise ValueError(f"layer {names[index]!r} outputs shape {output.shape}, not 4-D "
                         f"feature maps (batch, height, width, channels)")

    maps = output[0]
    height, width, n_maps = maps.shape
    shown = min(n_maps, max_maps)
    fig, axes = _panel_grid(shown, n_cols, panel_size=(1.5, 1.65))
    for channel, ax in enumerate(axes):
        ax.imshow(maps[:, :, channel], cmap=cmap, interpolation="nearest")
        ax.set_title(str(channel), fontsize="small")
    heading = f"{names[index]}: {n_maps} feature maps {height}x{width}"
    fig.suptitle(heading + (f", first {shown} shown" if shown < n_maps else ""))
    return fig
