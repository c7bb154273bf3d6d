"""Argument checks shared by ``sigconv.nn`` (on top of :mod:`sigconv._validate`).

Keras accepts ``True`` as the number 1 and any truthy object as a flag; sigconv.nn does
not: a count refuses booleans and strings, a flag refuses anything but a bool, so that a
typo never trains a different model silently.
"""

import inspect
import math
import numbers
from collections.abc import Mapping

import numpy as np

from .._jit import is_device_array
from .._validate import all_finite, check_allocation, check_positive_int, memory_limit
from .._validate import distinct_data as _distinct

#: the largest window size, stride or dilation a layer accepts (the kernels index in int64
#: and multiply these together; nothing useful is this large)
MAX_WINDOW = 2**31 - 1


def check_count(value, name, minimum=1, maximum=None):
    """``value`` as an int in ``[minimum, maximum]``; booleans and strings refused.

    Raises
    ------
    TypeError
        If ``value`` is not an integer (``True``, ``"3"``, ``3.0`` included).
    ValueError
        If it is out of range.
    """
    value = check_positive_int(value, name, minimum)
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer in [{minimum}, {maximum}], got {value}")
    return value


def check_flag(value, name):
    """``value`` as a bool; anything but ``True``/``False`` (NumPy's too) is refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_seed(value, name="seed"):
    """None, or an integer >= 0 for :func:`numpy.random.default_rng`."""
    return None if value is None else check_count(value, name, minimum=0)


def check_name(value, name="name"):
    """None or a non-empty string."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty string or None, got {value!r}")
    return value


def check_shape(value, name, allow_none=False):
    """A sample shape: a tuple (or list) of positive ints, ``None`` entries where allowed.

    Raises
    ------
    TypeError
        If ``value`` is not a sequence of integers (a string, a bare int, floats, bools).
    ValueError
        If it is empty or an entry is below 1.
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of ints, got {value!r}")
    if not value:
        raise ValueError(f"{name} must have at least one axis, got {value!r}")
    shape = []
    for entry in value:
        if entry is None and allow_none:
            shape.append(None)
            continue
        if isinstance(entry, (bool, np.bool_)) or not isinstance(entry, numbers.Integral):
            raise TypeError(f"{name} must be a tuple of ints, got {value!r}")
        if entry < 1:
            raise ValueError(f"{name} must hold positive sizes, got {tuple(value)!r}")
        shape.append(int(entry))
    return tuple(shape)


def check_real_array(value, name):
    """``value`` as a NumPy array of a real dtype (bool, int, float), else TypeError."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested sequences and the like
        raise TypeError(f"{name} must be array_like with a real numeric dtype: {exc}") \
            from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must have a real numeric dtype (bool, int, float), got "
                        f"dtype {array.dtype}")
    return array


def check_finite(array, name, dtype=None, owner=None):
    """ValueError naming ``name`` (after ``owner: `` if given; the message is made only
    to raise) if the array holds NaN or an infinity (see :func:`all_finite`); with
    ``dtype`` (a :class:`numpy.dtype`), also if a value lies beyond the range of that
    narrower floating dtype, where a cast would make it infinite.

    A real array's extremes give both answers: two reductions over its distinct data
    (they never warn, as a sum may), no temporary of its size.
    """
    array = np.asarray(array)
    if array.dtype.kind != "f" or array.size == 0:
        if not all_finite(array):       # complex: the extremes of both parts
            _refuse_non_finite(array, name, owner)
        return array
    distinct = _distinct(array) if 0 in array.strides else array
    high = np.maximum.reduce(distinct, axis=None)
    low = np.minimum.reduce(distinct, axis=None)
    if not (math.isfinite(high) and math.isfinite(low)):
        _refuse_non_finite(array, name, owner)
    if dtype is not None and dtype.itemsize < array.dtype.itemsize:
        with np.errstate(over="ignore"):   # rounding is monotonic: the extremes decide
            inside = math.isfinite(dtype.type(high)) and math.isfinite(dtype.type(low))
        if not inside:
            name = name if owner is None else f"{owner}: {name}"
            raise ValueError(f"{name} holds values beyond the range of the layer's dtype "
                             f"{dtype}")
    return array


def _refuse_non_finite(array, name, owner=None):
    name = name if owner is None else f"{owner}: {name}"
    kind = "NaN" if np.isnan(_distinct(array).max()) else "inf"
    raise ValueError(f"{name} contains {kind}: sigconv.nn refuses non-finite inputs "
                     "(Keras would compute NaN losses and outputs with them)")


def on_device(value):
    """:func:`sigconv._jit.is_device_array`, answered at once for a NumPy array (the
    passes ask it of every array they touch)."""
    return type(value) is not np.ndarray and is_device_array(value)


def fits_in_memory(nbytes):
    """Whether ``nbytes`` fit in :func:`sigconv._validate.memory_limit`: the comparison of
    :func:`~sigconv._validate.check_allocation` without its message, for the checks of
    every call (which call ``check_allocation`` only to raise)."""
    return nbytes <= memory_limit()


def check_weight_allocation(layer, argument, key, shape, dtype, random=True):
    """MemoryError before a layer draws a weight of ``shape`` that could not fit.

    The peak holds the weight, its gradient and (random initializers) the float64 draws.
    """
    dtype = np.dtype(dtype)
    copies = 2 + (8 / dtype.itemsize if random else 0)
    check_allocation(f"{layer}: {argument}", shape, dtype, copies=copies,
                     what=f"the weight {key!r}")


def elements(shape, batch):
    """Number of entries of ``shape`` with its ``None`` (batch) axis set to ``batch``."""
    return math.prod(batch if n is None else int(n) for n in shape)


def check_config(config, cls):
    """``config`` as the keyword arguments of ``cls(**config)`` (a ``from_config``).

    Raises
    ------
    TypeError
        If ``config`` is not a dict (mapping) with string keys, or lacks a required
        argument of the constructor (the message names it).
    ValueError
        If it holds a key the constructor does not take (the message names the key).
    """
    label = f"{cls.__name__}.from_config"
    if not isinstance(config, Mapping):
        raise TypeError(f"{label}: config must be a dict as get_config returns it; got "
                        f"{type(config).__name__}")
    if not all(isinstance(key, str) for key in config):
        raise TypeError(f"{label}: the keys of config must be strings; got "
                        f"{sorted(map(repr, config))}")
    parameters = dict(inspect.signature(cls).parameters)
    if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        accepted = [key for key, p in parameters.items()
                    if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        unknown = [key for key in config if key not in accepted]
        if unknown:
            raise ValueError(f"{label}: config has unknown key(s) {unknown}; "
                             f"{cls.__name__} takes {accepted}")
        missing = [key for key in accepted if key not in config
                   and parameters[key].default is inspect.Parameter.empty]
        if missing:
            raise TypeError(f"{label}: config lacks the required key(s) {missing}")
    return dict(config)


class FromConfig:
    """``from_config``, the inverse of ``get_config``, shared by layers, losses, optimizers
    and regularizers (an optimizer comes back without its state)."""

    @classmethod
    def from_config(cls, config):
        """A new instance from :meth:`get_config`'s dictionary.

        Raises
        ------
        TypeError
            If ``config`` is not a dict, lacks a required argument, or holds a value of
            the wrong type (the message names the key).
        ValueError
            If ``config`` holds an unknown key or a value out of range (the message names
            it).
        """
        return cls(**check_config(config, cls))
