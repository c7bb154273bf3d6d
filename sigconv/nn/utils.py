"""Small helpers for preparing data (``sigconv.nn.utils``)."""

import numpy as np

from .._validate import all_finite, check_allocation
from ._checks import check_count

__all__ = ["to_categorical"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encode class indices, as Keras's ``to_categorical``.

    Parameters
    ----------
    y : array_like of int
        Class indices, shape ``(n,)`` (or ``(n, 1)``, or any shape: a class axis is added).
    num_classes : int, optional
        Number of classes; ``max(y) + 1`` by default.
    dtype : str

    Returns
    -------
    ndarray, shape ``y.shape + (num_classes,)`` (a trailing axis of 1 is dropped first)

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
