"""Input checks shared by every public function.

Each helper raises a :class:`ValueError` or :class:`TypeError` whose message names the
argument and says what was expected, so that a user never sees a traceback from inside
numba or a silently wrong result.
"""

import operator

import numpy as np

MODES = ("full", "same", "valid")
METHODS = ("auto", "direct", "fft", "oa")


def as_numeric_array(value, name):
    """Return ``value`` as a NumPy array of a numeric dtype.

    Parameters
    ----------
    value : array_like
        Anything :func:`numpy.asarray` accepts.
    name : str
        Argument name used in error messages.

    Returns
    -------
    numpy.ndarray
        Boolean, integer, floating or complex array (no copy when possible).

    Raises
    ------
    TypeError
        If the array's dtype is not boolean, integer, floating or complex.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested sequences and the like
        raise TypeError(f"{name} must be array_like with a numeric dtype: {exc}") from None
    if array.dtype.kind not in "biufc":
        raise TypeError(
            f"{name} must have a boolean, integer, floating or complex dtype, "
            f"got dtype {array.dtype}"
        )
    return array


_DIMENSIONS = {1: "one-dimensional", 2: "two-dimensional"}


def as_nonempty_array(value, name, ndim):
    """A numeric, non-empty array of exactly ``ndim`` dimensions, else a clear error.

    Raises
    ------
    TypeError
        If the dtype is not numeric.
    ValueError
        If the array has another number of dimensions or no elements.
    """
    array = as_numeric_array(value, name)
    if array.ndim != ndim:
        raise ValueError(f"{name} must be {_DIMENSIONS.get(ndim, f'{ndim}-d')}, got shape "
                         f"{array.shape}")
    check_nonempty(array, name)
    return array


def check_choice(value, name, choices):
    """Return ``value`` if it is one of ``choices``, else raise a ValueError naming it."""
    if not isinstance(value, str) or value not in choices:
        expected = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {expected}; got {value!r}")
    return value


def check_nonempty(array, name):
    """Raise a ValueError if ``array`` has no elements."""
    if array.size == 0:
        raise ValueError(f"{name} cannot be empty (shape {array.shape})")


def normalize_axes(axes, ndim, name="axes"):
    """Return ``axes`` as a sorted tuple of distinct non-negative ints.

    ``None`` means every axis. A single int is accepted.

    Raises
    ------
    TypeError
        If an entry is not an integer.
    ValueError
        If an entry is out of range for ``ndim`` dimensions or repeated, or no axis is given.
    """
    if axes is None:
        return tuple(range(ndim))
    if np.ndim(axes) == 0:
        axes = (axes,)
    normalized = []
    for axis in axes:
        try:
            axis = operator.index(axis)
        except TypeError:
            raise TypeError(f"{name} must contain integers, got {axis!r}") from None
        if not -ndim <= axis < ndim:
            raise ValueError(f"{name} entry {axis} is out of range for {ndim}-d inputs")
        normalized.append(axis % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{name} must not repeat an axis, got {tuple(axes)!r}")
    if not normalized:
        raise ValueError(f"{name} must name at least one axis")
    return tuple(sorted(normalized))


def check_positive_int(value, name, minimum=1):
    """Return ``value`` as an int >= ``minimum``, else raise TypeError/ValueError."""
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value
