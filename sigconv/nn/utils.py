"""Small helpers for preparing data (``sigconv.nn.utils``)."""

import numpy as np

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

    Examples
    --------
    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    y = np.asarray(y)
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError("y must hold integer class indices")
        y = y.astype(np.int64)
    if y.dtype.kind not in "iub":
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
    return np.eye(num_classes, dtype=dtype)[y]
