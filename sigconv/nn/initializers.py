"""Weight initializers with Keras formulas (``sigconv.nn.initializers``).

Every initializer has the signature ``init(shape, dtype=np.float32, rng=None)`` and
returns a new array; ``rng`` is a :class:`numpy.random.Generator` (``None`` draws a fresh
one), so that a seeded generator reproduces the same weights exactly.

The fans follow Keras: for a kernel of shape ``(..., n_in, n_out)`` the receptive field
is the product of the leading dimensions (``kernel_height * kernel_width`` of a
``(kh, kw, in_channels, filters)`` convolution kernel) and

.. math::

    \\text{fan\\_in} = \\text{receptive} \\cdot n_\\text{in}, \\qquad
    \\text{fan\\_out} = \\text{receptive} \\cdot n_\\text{out};

a 1-d shape ``(n,)`` has ``fan_in = fan_out = n``, a scalar shape ``()`` has both 1.
"""

import math
import operator

import numpy as np

from .._docs import fill_docstrings
from .._validate import check_allocation, check_choice, check_real, lookup_name

__all__ = [
    "compute_fans",
    "variance_scaling",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "zeros",
    "ones",
    "get_initializer",
]

#: standard deviation of a standard normal truncated to [-2, 2], by which Keras divides
#: the target standard deviation so that the truncated draw has the intended spread
TRUNCATED_NORMAL_STD = 0.87962566103423978
#: the truncated normal keeps draws within this many (untruncated) standard deviations
TRUNCATION = 2.0

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


def _as_shape(shape):
    """``shape`` as a tuple of non-negative ints (an int means a 1-d shape)."""
    dims = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    try:
        if any(isinstance(dim, (bool, np.bool_)) for dim in dims):
            raise TypeError     # True is not the size 1
        dims = tuple(operator.index(dim) for dim in dims)
    except TypeError:
        raise TypeError(f"shape must be an int or a sequence of ints, got {shape!r}") from None
    if any(dim < 0 for dim in dims):
        raise ValueError(f"shape must not contain negative dimensions, got {dims}")
    return dims


def _as_float_dtype(dtype):
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a NumPy floating dtype, got {dtype!r}") from None
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a floating dtype (float32, float64), got {dtype}")
    return dtype


def _as_generator(rng):
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator or None, got {type(rng).__name__}")
    return rng


def compute_fans(shape):
    """Fan-in and fan-out of a weight array of ``shape``, as Keras computes them.

    Parameters
    ----------
    shape : int or sequence of int
        Shape of the weight array: ``(n_in, n_out)`` for a dense kernel,
        ``(kernel_height, kernel_width, in_channels, filters)`` for a 2-D convolution.

    Returns
    -------
    fan_in, fan_out : int

    Examples
    --------
    >>> compute_fans((784, 128))
    (784, 128)
    >>> compute_fans((3, 3, 16, 32))        # receptive field 3 * 3 = 9
    (144, 288)
    >>> compute_fans((10,))
    (10, 10)
    """
    shape = _as_shape(shape)
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return receptive * shape[-2], receptive * shape[-1]


def _truncated_standard_normal(rng, size):
    """Standard normal draws redrawn until every one lies within ``[-2, 2]``."""
    draws = rng.standard_normal(size)
    outside = np.flatnonzero(np.abs(draws) > TRUNCATION)
    while outside.size:
        redrawn = rng.standard_normal(outside.size)
        draws[outside] = redrawn
        outside = outside[np.abs(redrawn) > TRUNCATION]
    return draws


def variance_scaling(shape, dtype=np.float32, rng=None, *, scale=1.0, mode="fan_in",
                     distribution="truncated_normal"):
    """Random weights whose variance is ``scale / fan``: the family behind Glorot and He.

    Parameters
    ----------
    {weights_parameters}
    scale : float, default 1.0
        Target variance times the fan; positive.
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
        Which fan divides ``scale`` (``fan_avg`` is ``(fan_in + fan_out) / 2``).
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}
        Shape of the distribution.

    Returns
    -------
    numpy.ndarray
        New array of ``shape`` and ``dtype``.

    Raises
    ------
    TypeError
        If ``shape`` is not integral, ``dtype`` not floating or ``rng`` not a Generator.
    ValueError
        If ``scale`` is not positive, or ``mode``/``distribution`` is unknown.

    See Also
    --------
    glorot_uniform, glorot_normal, he_uniform, he_normal

    Notes
    -----
    With ``n = max(1, fan)`` and variance ``s = scale / n``, as in Keras:

    * ``uniform``: :math:`U(-\\ell, \\ell)` with :math:`\\ell = \\sqrt{3 s}`;
    * ``truncated_normal``: :math:`N(0, \\sigma^2)` with
      :math:`\\sigma = \\sqrt{s} / 0.8796...`, draws beyond :math:`2\\sigma` redrawn (the
      divisor is the standard deviation of a standard normal truncated at 2, so that the
      result has variance ``s``);
    * ``untruncated_normal``: :math:`N(0, s)`.

    Draws are made in float64 and then cast, so that a seeded generator gives the same
    values (up to rounding) for every dtype.

    Examples
    --------
    >>> w = variance_scaling((3, 3, 1, 8), rng=np.random.default_rng(0), scale=2.0,
    ...                      mode="fan_in", distribution="uniform")
    >>> w.shape, w.dtype
    ((3, 3, 1, 8), dtype('float32'))
    >>> bool(np.abs(w).max() <= np.sqrt(3 * 2.0 / 9))
    True
    """
    shape = _as_shape(shape)
    dtype = _as_float_dtype(dtype)
    rng = _as_generator(rng)
    scale = check_real(scale, "scale", 0.0, exclusive_minimum=True)
    check_choice(mode, "mode", _MODES)
    check_choice(distribution, "distribution", _DISTRIBUTIONS)
    fan_in, fan_out = compute_fans(shape)
    # float64 draws, then the result in ``dtype``
    check_allocation("shape", shape, dtype, copies=1 + 8 / dtype.itemsize, what="the weights")
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    variance = scale / max(1.0, fan)
    size = math.prod(shape)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * variance)
        draws = rng.uniform(-limit, limit, size)
    elif distribution == "truncated_normal":
        draws = _truncated_standard_normal(rng, size)
        draws *= math.sqrt(variance) / TRUNCATED_NORMAL_STD
    else:
        draws = rng.standard_normal(size)
        draws *= math.sqrt(variance)
    return draws.astype(dtype, copy=False).reshape(shape)


def glorot_uniform(shape, dtype=np.float32, rng=None):
    """Glorot (Xavier) uniform weights, the Keras default ``kernel_initializer``.

    :math:`U(-\\ell, \\ell)` with
    :math:`\\ell = \\sqrt{6 / (\\text{fan\\_in} + \\text{fan\\_out})}`.

    Parameters
    ----------
    {weights_parameters}

    Returns
    -------
    numpy.ndarray

    See Also
    --------
    variance_scaling : ``scale=1, mode="fan_avg", distribution="uniform"``.

    Examples
    --------
    >>> w = glorot_uniform((20, 30), rng=np.random.default_rng(1))
    >>> bool(np.abs(w).max() <= np.sqrt(6 / 50))
    True
    """
    return variance_scaling(shape, dtype, rng, scale=1.0, mode="fan_avg", distribution="uniform")


def glorot_normal(shape, dtype=np.float32, rng=None):
    """Glorot (Xavier) normal weights: truncated normal, variance 2 / (fan_in + fan_out).

    Parameters
    ----------
    {weights_parameters}

    Returns
    -------
    numpy.ndarray

    See Also
    --------
    variance_scaling : ``scale=1, mode="fan_avg", distribution="truncated_normal"``.

    Examples
    --------
    >>> w = glorot_normal((3, 3, 8, 16), dtype=np.float64, rng=np.random.default_rng(2))
    >>> stddev = np.sqrt(2 / (72 + 144)) / 0.87962566103423978
    >>> bool(np.abs(w).max() <= 2 * stddev)
    True
    """
    return variance_scaling(shape, dtype, rng, scale=1.0, mode="fan_avg",
                            distribution="truncated_normal")


def he_uniform(shape, dtype=np.float32, rng=None):
    """He uniform weights: uniform on ``[-limit, limit)``, ``limit = sqrt(6 / fan_in)``.

    Parameters
    ----------
    {weights_parameters}

    Returns
    -------
    numpy.ndarray

    See Also
    --------
    variance_scaling : ``scale=2, mode="fan_in", distribution="uniform"``.

    Examples
    --------
    >>> w = he_uniform((64, 10), rng=np.random.default_rng(3))
    >>> bool(np.abs(w).max() <= np.sqrt(6 / 64))
    True
    """
    return variance_scaling(shape, dtype, rng, scale=2.0, mode="fan_in", distribution="uniform")


def he_normal(shape, dtype=np.float32, rng=None):
    """He normal weights: truncated normal with variance ``2 / fan_in``.

    Parameters
    ----------
    {weights_parameters}

    Returns
    -------
    numpy.ndarray

    See Also
    --------
    variance_scaling : ``scale=2, mode="fan_in", distribution="truncated_normal"``.

    Examples
    --------
    >>> a = he_normal((5, 5, 3, 6), rng=np.random.default_rng(4))
    >>> b = he_normal((5, 5, 3, 6), rng=np.random.default_rng(4))
    >>> bool(np.array_equal(a, b))
    True
    """
    return variance_scaling(shape, dtype, rng, scale=2.0, mode="fan_in",
                            distribution="truncated_normal")


def zeros(shape, dtype=np.float32, rng=None):
    """All-zero weights (the Keras default ``bias_initializer``); ``rng`` is unused.

    Parameters
    ----------
    shape : int or sequence of int
        Shape of the weights.
    dtype : dtype, default float32
        Floating dtype of the result.
    rng : numpy.random.Generator, optional
        Accepted for a uniform signature and ignored.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> zeros(3)
    array([0., 0., 0.], dtype=float32)
    """
    shape, dtype = _as_shape(shape), _as_float_dtype(dtype)
    check_allocation("shape", shape, dtype, what="the weights")
    return np.zeros(shape, dtype)


def ones(shape, dtype=np.float32, rng=None):
    """All-one weights (e.g. batch-normalisation scales); ``rng`` is unused.

    Parameters
    ----------
    shape : int or sequence of int
        Shape of the weights.
    dtype : dtype, default float32
        Floating dtype of the result.
    rng : numpy.random.Generator, optional
        Accepted for a uniform signature and ignored.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> ones((2, 2), dtype=np.float64)
    array([[1., 1.],
           [1., 1.]])
    """
    shape, dtype = _as_shape(shape), _as_float_dtype(dtype)
    check_allocation("shape", shape, dtype, what="the weights")
    return np.ones(shape, dtype)


_INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "zeros": zeros,
    "ones": ones,
}


_WEIGHTS_PARAMETERS = """shape : int or sequence of int
        Shape of the weights.
    dtype : dtype, default float32
        Floating dtype of the result.
    rng : numpy.random.Generator, optional
        Source of randomness; ``None`` uses a fresh :func:`numpy.random.default_rng`."""

fill_docstrings((variance_scaling, glorot_uniform, glorot_normal, he_uniform, he_normal),
                weights_parameters=_WEIGHTS_PARAMETERS)


def get_initializer(identifier):
    """The initializer named by ``identifier``, or ``identifier`` itself if callable.

    Parameters
    ----------
    identifier : str or callable
        One of ``"glorot_uniform"``, ``"glorot_normal"``, ``"he_uniform"``,
        ``"he_normal"``, ``"zeros"``, ``"ones"`` (case and underscores are ignored, so
        the Keras class spellings ``"GlorotUniform"``, ``"HeNormal"`` work too), or a
        callable ``init(shape, dtype=np.float32, rng=None)``.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.
    TypeError
        If ``identifier`` is neither a string nor callable.

    Examples
    --------
    >>> get_initializer("he_normal") is he_normal
    True
    >>> get_initializer("GlorotUniform") is glorot_uniform
    True
    """
    if isinstance(identifier, str):
        return lookup_name(identifier, _INITIALIZERS, "initializer")
    if callable(identifier):
        return identifier
    raise TypeError(f"initializer must be a name or a callable, got {identifier!r}")
