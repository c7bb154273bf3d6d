"""Input checks shared by every public function.

Each helper raises a :class:`ValueError` or :class:`TypeError` whose message names the
argument and says what was expected, so that a user never sees a traceback from inside
numba or a silently wrong result.
"""

import math
import numbers
import operator
import os

import numpy as np

from . import _config

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


def check_native_precision(dtype, name):
    """TypeError if ``dtype`` is wider than float64/complex128 (numba has no long double)."""
    if dtype.itemsize > {"f": 8, "c": 16}.get(dtype.kind, 8):
        raise TypeError(f"{name} has dtype {dtype}: extended precision is not supported by "
                        "the numba kernels; cast it to float64 or complex128")


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


def all_finite(array):
    """True if no entry of ``array`` is NaN or infinite, without a temporary of its size.

    ``np.isfinite(array).all()`` builds a boolean mask as large as the array (9 GiB for a
    broadcast view of 1e10 samples that itself costs nothing); the extremes of the real and
    imaginary parts are NaN or infinite exactly when some entry is, and a reduction allocates
    nothing. A contiguous array is read once by a vectorised numba loop instead.

    Examples
    --------
    >>> all_finite(np.broadcast_to(1.0, 10**6)), all_finite([1.0, np.nan]), all_finite([2])
    (True, False, True)
    """
    array = np.asarray(array)
    if array.dtype.kind not in "fc" or array.size == 0:
        return True
    if 0 in array.strides:
        array = distinct_data(array)
    if array.dtype.char in "fdFD" and array.dtype.isnative and (array.flags.c_contiguous
                                                                or array.flags.f_contiguous):
        # contiguous, native byte order: one vectorised numba pass (half max and min's time)
        from ._jit import readonly
        from .kernels import cpu

        return cpu.all_finite(readonly(array.reshape(
            -1, order="C" if array.flags.c_contiguous else "F")))
    parts = (array.real, array.imag) if array.dtype.kind == "c" else (array,)
    return all(math.isfinite(part.max()) and math.isfinite(part.min()) for part in parts)


def distinct_data(array):
    """A broadcast view (zero strides) cut to its distinct data: what a scan needs to read.

    Examples
    --------
    >>> distinct_data(np.broadcast_to(np.arange(3.0), (10**6, 3))).shape
    (1, 3)
    """
    return array[tuple(slice(0, 1) if stride == 0 else slice(None)
                       for stride in array.strides)]


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


def normalize_axes(axes, ndim, name="axes", *, keep_order=False, allow_empty=False):
    """Return ``axes`` as a sorted tuple of distinct non-negative ints.

    ``None`` means every axis. A single int is accepted. ``keep_order``: in the order
    given (where per-axis arguments pair with the axes, as scipy.ndimage's); with
    ``allow_empty`` no axis at all is accepted (a filter along no axis).

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
            if isinstance(axis, (bool, np.bool_)):  # True is not axis 1
                raise TypeError
            axis = operator.index(axis)
        except TypeError:
            raise TypeError(f"{name} must contain integers, got {axis!r}") from None
        if not -ndim <= axis < ndim:
            raise ValueError(f"{name} entry {axis} is out of range for {ndim}-d inputs")
        normalized.append(axis % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{name} must be unique (an axis at most once), got "
                         f"{tuple(axes)!r}")
    if not normalized and not allow_empty:
        raise ValueError(f"{name} must name at least one axis")
    return tuple(normalized) if keep_order else tuple(sorted(normalized))


def check_positive_int(value, name, minimum=1):
    """Return ``value`` as an int >= ``minimum``, else raise TypeError/ValueError."""
    try:
        if isinstance(value, (bool, np.bool_)):  # True is not the count 1
            raise TypeError
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {value!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_real(value, name, minimum=None, maximum=None, *, exclusive_minimum=False,
               exclusive_maximum=False):
    """Return ``value`` as a finite float within the given bounds, else a clear error.

    Parameters
    ----------
    value : float
        The number to check (Python or NumPy real; booleans are refused).
    name : str
        Argument name used in error messages.
    minimum, maximum : float, optional
        Bounds of the accepted interval; ``None`` leaves that side open to infinity.
    exclusive_minimum, exclusive_maximum : bool, default False
        Whether the bound itself is refused.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``value`` is NaN, infinite or out of bounds.

    Examples
    --------
    >>> check_real(0.9, "momentum", 0.0, 1.0, exclusive_maximum=True)
    0.9
    >>> check_real(1.0, "momentum", 0.0, 1.0, exclusive_maximum=True)
    Traceback (most recent call last):
    ...
    ValueError: momentum must be a finite number in [0.0, 1.0), got 1.0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    above = minimum is None or (value > minimum if exclusive_minimum else value >= minimum)
    below = maximum is None or (value < maximum if exclusive_maximum else value <= maximum)
    if math.isfinite(value) and above and below:
        return value
    if minimum is not None and maximum is not None:
        interval = (f" in {'(' if exclusive_minimum else '['}{minimum}, {maximum}"
                    f"{')' if exclusive_maximum else ']'}")
    elif minimum is not None:
        interval = f" {'>' if exclusive_minimum else '>='} {minimum}"
    elif maximum is not None:
        interval = f" {'<' if exclusive_maximum else '<='} {maximum}"
    else:
        interval = ""
    raise ValueError(f"{name} must be a finite number{interval}, got {value!r}")


def lookup_name(identifier, table, name):
    """Return the entry of ``table`` named by ``identifier``, ignoring case and underscores.

    ``"glorot_uniform"``, ``"GlorotUniform"`` and ``"glorotuniform"`` all name the same
    entry, as in Keras where both the function and the class spelling are accepted.

    Parameters
    ----------
    identifier : str
        The name given by the user.
    table : dict
        Canonical lower-case names (``snake_case``) to entries.
    name : str
        Argument name used in error messages.

    Raises
    ------
    ValueError
        If no entry matches; the message lists the canonical names.

    Examples
    --------
    >>> lookup_name("HeNormal", {"he_normal": 1, "he_uniform": 2}, "initializer")
    1
    """
    if isinstance(identifier, str):
        wanted = identifier.lower().replace("_", "")
        for key, entry in table.items():
            if key.replace("_", "") == wanted:
                return entry
    expected = ", ".join(repr(key) for key in table)
    raise ValueError(f"{name} must be one of {expected}; got {identifier!r}")


def memory_limit():
    """The most bytes one call may allocate: :data:`sigconv._config.MAX_MEMORY` if set,
    else the physical memory, or the process's address-space limit where that is lower."""
    if _config.MAX_MEMORY is not None:
        return check_positive_int(_config.MAX_MEMORY, "sigconv._config.MAX_MEMORY")
    setting = os.environ.get("SIGCONV_MAX_MEMORY", "").strip()
    if setting:
        try:
            return check_positive_int(int(setting), "SIGCONV_MAX_MEMORY")
        except ValueError:
            raise ValueError("the environment variable SIGCONV_MAX_MEMORY must be a positive "
                             f"number of bytes, got {setting!r}") from None
    limit = _physical_memory()
    if _resource is not None:
        try:   # read every time: a process may lower its limit at any moment
            soft = _resource.getrlimit(_resource.RLIMIT_AS)[0]
            if soft != _resource.RLIM_INFINITY:
                limit = min(limit, soft)
        except (ValueError, OSError):
            pass
    return limit


try:
    import resource as _resource
except ImportError:   # not POSIX
    _resource = None

_PHYSICAL = []   # the physical memory in bytes, read once (it does not change)


def _physical_memory():
    """The machine's physical memory in bytes (inf where unknown: no refusal)."""
    if not _PHYSICAL:
        try:
            _PHYSICAL.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
        except (ValueError, OSError, AttributeError):  # not POSIX: no estimate
            _PHYSICAL.append(math.inf)
    return _PHYSICAL[0]


def format_bytes(nbytes):
    """``nbytes`` in GiB (or MiB below one GiB), for error messages."""
    if nbytes >= 1 << 30:
        return f"{nbytes / (1 << 30):.3g} GiB"
    return f"{nbytes / (1 << 20):.3g} MiB"


def check_allocation(name, shape, dtype, copies=1, what="the result"):
    """MemoryError, before anything is allocated, if ``copies`` arrays of ``shape`` and
    ``dtype`` would not fit in :func:`memory_limit`.

    Parameters
    ----------
    name : str
        The argument(s) that set the size, named in the message.
    shape : tuple of int
        Shape of the array to allocate (Python ints: the product cannot overflow).
    dtype : data-type
        Its dtype.
    copies : float, default 1
        How many arrays of that size the call holds at its peak.
    what : str
        What the array is, for the message.

    Returns
    -------
    int
        The number of bytes of one array.

    Raises
    ------
    MemoryError
        If ``copies * nbytes`` exceeds :func:`memory_limit`; the message names ``name``,
        the shape and the size in GiB.

    Examples
    --------
    >>> check_allocation("in1, in2", (10**12,), np.float64)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    MemoryError: in1, in2: the result of shape (1000000000000,) and dtype float64 needs 7.45e+03...
    """
    shape = tuple(map(int, shape))
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    needed = nbytes * copies
    limit = memory_limit()
    if needed > limit:
        total = "" if copies == 1 else f" ({copies:g} such arrays at the peak)"
        raise MemoryError(
            f"{name}: {what} of shape {shape} and dtype {np.dtype(dtype)} needs "
            f"{format_bytes(needed)}{total}, more than the {format_bytes(limit)} this "
            "process may use (sigconv._config.MAX_MEMORY or SIGCONV_MAX_MEMORY sets the limit)"
        )
    return nbytes
