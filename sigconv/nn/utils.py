"""Small helpers for preparing data and runs (``sigconv.nn.utils``, Keras's
``keras.utils``): :func:`to_categorical`, :func:`normalize`, :func:`set_random_seed`."""

import numbers
import random

import numpy as np

from .._validate import all_finite, check_allocation
from . import layers as _layers
from ._checks import check_count, check_real_array

__all__ = ["normalize", "set_random_seed", "to_categorical"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode class indices, as Keras's ``to_categorical``.

    Parameters
    ----------
    y : array_like of int
        Class indices, shape ``(n,)`` (or ``(n, 1)``, or any shape: a class axis is added).
    num_classes : int, optional
        Number of classes; ``max(y) + 1`` by default.
    dtype : str, default "float32"
        The result's dtype (TensorFlow 2's Keras argument and default; Keras 3 has
        no such argument and returns float64 for NumPy input).

    Returns
    -------
    ndarray
        The one-hot rows, of shape ``y.shape + (num_classes,)`` (a trailing axis of 1 is
        dropped first).

    Raises
    ------
    TypeError
        If ``y`` is not integers (or floats with integer values; booleans count as 0 and
        1), ``num_classes`` is not an integer (``True``, ``"3"``, ``3.0`` refused) or
        ``dtype`` is not a NumPy dtype.
    ValueError
        If a label is negative, NaN, not an integer, or not below ``num_classes``.
    MemoryError
        If the result could not fit in memory (a huge label or ``num_classes``), before
        allocating.

    Examples
    --------
    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    if num_classes is not None:
        num_classes = check_count(num_classes, "num_classes")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a NumPy dtype; got {dtype!r}") from None
    if dtype.hasobject or dtype.kind not in "biufc":
        raise TypeError(f"dtype must be a numeric dtype; got {dtype}")
    y = np.asarray(y) if isinstance(y, np.ndarray) else _as_labels(y)
    if y.dtype.kind in "biuf":
        # labels as int64, their row indices, and (floats) the rounded copy: a broadcast
        # view of labels costs nothing, these do
        check_allocation("y", y.shape, np.int64, copies=3, what="the labels' temporaries")
    if y.dtype.kind == "b":      # a boolean array would index as a mask
        y = y.astype(np.int64)
    if y.dtype.kind == "f":
        if not all_finite(y) or np.any(y != np.round(y)):
            raise ValueError("y must hold integer class indices")
        if y.size and np.abs(y).max() >= 2.0**63:
            raise ValueError(f"y holds class {np.abs(y).max()}, beyond any num_classes")
        y = y.astype(np.int64)
    if y.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class indices; got dtype {y.dtype}")
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.size and y.min() < 0:
        raise ValueError(f"y must be >= 0; got {y.min()}")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise ValueError(f"y holds class {y.max()}, out of range for num_classes="
                         f"{num_classes}")
    check_allocation("y, num_classes", (*y.shape, num_classes), dtype,
                     what="the one-hot encoding")
    out = np.zeros((y.size, num_classes), dtype)
    out[np.arange(y.size), y.reshape(-1)] = 1
    return out.reshape(*y.shape, num_classes)


def _as_labels(y):
    try:
        return np.asarray(y)
    except (TypeError, ValueError) as exc:   # ragged lists
        raise TypeError(f"y must be array_like of class indices: {exc}") from None


def normalize(x, axis=-1, order=2):
    """Divide ``x`` by its norm along ``axis``, as Keras's ``normalize``.

    Parameters
    ----------
    x : array_like of real numbers
        The vectors to normalize, at least one axis.
    axis : int, default -1
        The axis whose vectors are normalized.
    order : {positive or negative real, 0, inf, -inf}, default 2
        The order of the norm, as ``ord`` of :func:`numpy.linalg.norm` for vectors.

    Returns
    -------
    ndarray
        A new array ``x / norm`` of ``x``'s shape, in NumPy's dtype for that division
        (float64 for integer ``x``, ``x``'s for float ``x``).

    Raises
    ------
    TypeError
        If ``x`` is not array_like of real numbers (booleans count as 0 and 1), ``axis``
        not an integer or ``order`` not a real number.
    ValueError
        If ``x`` is a scalar, ``axis`` is out of range or ``order`` is NaN.

    Notes
    -----
    .. math:: y = x / \\lVert x \\rVert_{\\mathrm{order}}

    along ``axis``, where a zero norm is taken as 1 (a zero vector stays zero). The result
    has ``x``'s shape; Keras returns a 1-D ``x`` of ``n`` values with shape ``(1, n)``.
    Keras also takes ``axis=None``, for which NumPy computes a matrix norm on 2-D input and
    fails on more axes; sigconv asks for an integer.

    Examples
    --------
    >>> normalize([[3.0, 4.0], [0.0, 0.0]])
    array([[0.6, 0.8],
           [0. , 0. ]])
    >>> normalize([[3.0, 4.0]], axis=0, order=1)
    array([[1., 1.]])
    """
    x = check_real_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one axis; got a scalar")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an integer; got {axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} is out of range for x of {x.ndim} axes")
    if isinstance(order, (bool, np.bool_)) or not isinstance(order, numbers.Real):
        raise TypeError(f"order must be a real number (inf allowed); got {order!r}")
    if np.isnan(order):
        raise ValueError("order must not be NaN")
    norm = np.linalg.norm(x, order, int(axis), keepdims=True)
    norm[norm == 0] = 1
    return x / norm


def set_random_seed(seed):
    """Seed every generator a training run draws from, as Keras's ``set_random_seed``.

    Seeds Python's :mod:`random`, NumPy's global generator (``numpy.random.seed``, which
    scikit-learn's ``train_test_split`` and ``numpy.random.choice`` use) and sigconv's
    generator of initial weights and dropout masks (:func:`sigconv.nn.set_random_seed`),
    so that a script that calls it first gives the same numbers in every run.

    Parameters
    ----------
    seed : int
        In ``[0, 2**32 - 1]`` (NumPy's global generator takes no other).

    Raises
    ------
    TypeError
        If ``seed`` is not an integer (``None``, booleans, floats and strings included).
    ValueError
        If ``seed`` is negative or above ``2**32 - 1``; no generator is seeded.

    See Also
    --------
    sigconv.nn.set_random_seed : Seeds sigconv's generator only (and takes None).

    Examples
    --------
    >>> set_random_seed(0)
    >>> first = np.random.rand(), random.random()
    >>> set_random_seed(0)
    >>> (np.random.rand(), random.random()) == first
    True
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer; got {seed!r}")
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32 - 1]; got {seed}")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (the legacy global generator is what it seeds)
    _layers.set_random_seed(seed)
