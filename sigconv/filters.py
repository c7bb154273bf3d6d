"""Classic image filters, named and behaving as in :mod:`scipy.ndimage`.

Every filter here is a correlation with a small separable kernel, applied one axis at a
time (two 1-D passes for an image) by the parallel kernels of :func:`sigconv.convolve`
(with the reversed kernel).
The image continues beyond its edges by ``mode``, as in ``scipy.ndimage``:

=============  ===========================================  ======================
``mode``       extension of ``a b c d``                     ``numpy.pad`` mode
=============  ===========================================  ======================
``reflect``    ``c b a | a b c d | d c b``                  ``symmetric``
``mirror``     ``d c b | a b c d | c b a``                  ``reflect``
``nearest``    ``a a a | a b c d | d d d``                  ``edge``
``wrap``       ``b c d | a b c d | a b c``                  ``wrap``
``constant``   ``k k k | a b c d | k k k`` (``k = cval``)   ``constant``
=============  ===========================================  ======================

Integer and boolean images are filtered in float64 and returned as floats
(``scipy.ndimage`` casts back to the input's integer type); float16 is filtered and
returned in float32; float32 stays float32. Extended precision (``longdouble``) is
refused, as are images with NaN or infinite values (``scipy.ndimage`` lets a NaN spread
over its neighbourhood; here the passes may use FFTs, where it would spread over the
whole line, so a clear error is given instead). Near the largest float an intermediate
sum may overflow where the result does not (``-2 x`` in a Laplacian): the filter is then
recomputed at ``1/256`` of the scale (exact, a power of two) and scaled back; a result
that itself overflows the image's float dtype raises a ValueError rather than returning
``inf`` (``scipy.ndimage`` returns ``inf``, or ``nan``).

Every numeric parameter is checked before any work (booleans and strings are refused),
and the kernels and padded copies are sized before they are allocated: a Gaussian of
``sigma = 1e12`` is refused with a MemoryError naming ``sigma`` and ``truncate``. The
image's own working copies are sized before it is converted or even scanned for NaN, so
that a huge broadcast view (``numpy.broadcast_to``, which costs nothing) is refused at
once with a MemoryError naming ``image``.
"""

import itertools
import math
import numbers
import operator
import reprlib

import numpy as np

from . import conv
from ._validate import (
    all_finite,
    as_numeric_array,
    check_allocation,
    check_choice,
    check_native_precision,
    check_nonempty,
    check_positive_int,
    check_real,
    memory_limit,
)

__all__ = ["gaussian_kernel", "gaussian", "box", "sobel", "prewitt", "laplace", "sharpen",
           "edges"]

MODES = ("reflect", "constant", "nearest", "mirror", "wrap")
#: the most dimensions a NumPy array may have
_MAX_DIMS = 64
_PAD = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap",
        "constant": "constant"}


#: arrays of the image's size (in the working dtype) that a filter holds at its peak: the
#: working copy, the padded copy of a pass, its output and the sum or rescaled retry
_FILTER_COPIES = 4


def _as_image(image, copies=_FILTER_COPIES):
    """``image`` in the dtype the filters work in, after checking that ``copies`` arrays
    of its size fit in memory: a huge broadcast view is refused (MemoryError naming
    ``image``) before it is copied or even scanned for NaN."""
    image = as_numeric_array(image, "image")
    if image.ndim == 0:
        raise ValueError("image must have at least one dimension")
    check_nonempty(image, "image")
    check_native_precision(image.dtype, "image")
    if image.dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    elif image.dtype == np.float16:
        dtype = np.dtype(np.float32)
    else:
        dtype = image.dtype
    check_allocation("image", image.shape, dtype, copies=copies,
                     what="the filtered image")
    if not all_finite(image):
        raise ValueError("image must be finite (it has NaN or inf entries)")
    return image.astype(dtype, copy=False)


def _finite(out, what):
    """``out``, or a ValueError when a finite image's ``what`` overflowed its dtype."""
    if not all_finite(out):
        raise ValueError(f"image values are so large that {what} overflows {out.dtype}; "
                         "scale the image down")
    return out


#: the scale of the second try when an intermediate overflows (a power of two: exact)
_SHRINK = 2.0**-8


def _rescaled(compute, image, cval, what):
    """``compute(image, cval)`` for a filter homogeneous in ``(image, cval)``. Where an
    intermediate overflows (``-2 x`` of a Laplacian near the dtype's maximum), the same at
    ``1/256`` of the scale, scaled back: a ValueError only if the result itself
    overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = compute(image, cval)
        if all_finite(out):
            return out
        out = compute(image * _SHRINK, cval * _SHRINK) / _SHRINK
    return _finite(out, what)


def _real_number(value, name):
    """TypeError unless ``value`` is a real number (booleans and strings refused)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number or one per axis, got {value!r}")
    return float(value)


def _per_axis(value, ndim, name):
    """``value`` as one positive float per axis (a scalar applies to all)."""
    if isinstance(value, (str, bytes, dict, set, frozenset)):
        raise TypeError(f"{name} must be a real number or one per axis, got "
                        f"{_short(value)}")
    if isinstance(value, (numbers.Number, np.generic)) or (
            isinstance(value, np.ndarray) and value.ndim == 0):
        entries = [value] * ndim
    else:
        try:  # at most one entry too many: an endless iterator is not read to its end
            entries = list(itertools.islice(iter(value), ndim + 1))
        except TypeError:
            raise TypeError(f"{name} must be a real number or one per axis, got "
                            f"{_short(value)}") from None
        if len(entries) != ndim:
            raise ValueError(f"{name} must be a scalar or have one entry per axis ({ndim}), "
                             f"got {_short(value)}")
    values = np.array([_real_number(entry, name) for entry in entries], dtype=float)
    if not np.all(values > 0) or not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must be positive and finite, got {_short(value)}")
    return values


def _short(value):
    """A short repr of ``value`` for a message: :func:`reprlib.repr` lists a few entries
    of a sequence without forming the repr of all of them (a list of 10**8 sizes)."""
    return reprlib.repr(value)


def _truncate(truncate):
    """``truncate`` as a positive finite float."""
    if isinstance(truncate, (bool, np.bool_)) or not isinstance(truncate, numbers.Real):
        raise TypeError(f"truncate must be a real number, got {truncate!r}")
    truncate = float(truncate)
    if not (truncate > 0 and math.isfinite(truncate)):
        raise ValueError(f"truncate must be positive and finite, got {truncate!r}")
    return truncate


def _radii(sigmas, truncate):
    """Gaussian radii ``floor(truncate sigma + 1/2)``, each kernel sized before it is
    built (MemoryError naming sigma and truncate)."""
    radii = []
    limit = memory_limit()   # read once for all axes
    for s in sigmas:
        radius = truncate * float(s) + 0.5  # Python floats: inf, not a RuntimeWarning
        taps = 2 * radius + 1 if math.isfinite(radius) and radius < 2.0**62 else 2.0**63
        if int(taps) * 8 * 3 > limit:   # raises, with the message
            check_allocation("sigma, truncate", (int(taps),), np.float64, copies=3,
                             what="the Gaussian kernel")
        radii.append(int(radius))
    return radii


def _axis(axis, ndim):
    try:
        if isinstance(axis, (bool, np.bool_)):  # True is not axis 1
            raise TypeError
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"axis must be an integer, got {axis!r}") from None
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for a {ndim}-d image")
    return axis % ndim


def _cval(cval):
    return check_real(cval, "cval")


def _correlate1d(image, weights, axis, mode, cval, name="sigma, truncate"):
    """``out[i] = sum_j weights[j] image[i + j - len // 2]`` along ``axis``, extended by
    ``mode`` (``scipy.ndimage.correlate1d`` with origin 0)."""
    k = weights.size
    pads = [(0, 0)] * image.ndim
    pads[axis] = (k // 2, k - 1 - k // 2)
    padded_shape = list(image.shape)
    padded_shape[axis] += k - 1
    check_allocation(name, padded_shape, image.dtype, copies=3,
                     what="the image padded by the kernel")
    if mode == "constant":
        padded = np.pad(image, pads, mode="constant", constant_values=cval)
    else:
        padded = np.pad(image, pads, mode=_PAD[mode])
    kernel = weights.astype(image.dtype if image.dtype.kind in "fc" else np.float64,
                            copy=False)
    # one 1-D pass over the lines along ``axis``: the padded copy (C-contiguous, fresh)
    # viewed as (before, axis, after), so that any number of dimensions works
    before = math.prod(image.shape[:axis])
    after = math.prod(image.shape[axis + 1:])
    lines = padded.reshape(before, padded.shape[axis], after)
    # along an axis other than the last, a 2-D sum over (axis, after) with a (k, 1)
    # kernel: each tap sweeps whole contiguous rows, and nothing is transposed (a
    # 1-D sum along ``axis`` would copy the image with that axis last, and back)
    axes = (1, 2) if after > 1 else 1
    # real kernels: correlation is convolution with the reversed kernel, no conjugation;
    # an overflow is reported by the public filter (_finite), not as a warning
    with np.errstate(over="ignore", invalid="ignore"):
        out = conv.convolve(lines, kernel[::-1].reshape(1, k, 1), mode="valid", axes=axes)
    return out.reshape(image.shape)


def _gaussian_weights(sigma, truncate, radius):
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    with np.errstate(over="ignore"):  # (x / sigma)^2 = inf: a weight of exp(-inf) = 0
        weights = np.exp(-0.5 * (x / sigma) ** 2)
    return weights / weights.sum()


def gaussian_kernel(sigma, truncate=4.0, ndim=2):
    """A normalised, sampled Gaussian kernel.

    .. math:: K(x) \\propto \\prod_d \\exp\\left(-\\frac{x_d^2}{2 \\sigma_d^2}\\right),
              \\quad |x_d| \\le r_d = \\lfloor \\text{truncate}\\, \\sigma_d + 1/2 \\rfloor,
              \\quad \\sum K = 1

    the kernel :func:`gaussian` (and ``scipy.ndimage.gaussian_filter``) applies.

    Parameters
    ----------
    sigma : float or sequence of float
        Standard deviation in pixels, per axis or for all; must be positive.
    truncate : float, default 4.0
        Radius in standard deviations.
    ndim : int, default 2
        Number of dimensions of the kernel.

    Returns
    -------
    numpy.ndarray
        Shape ``(2 r_0 + 1, ..., 2 r_{ndim-1} + 1)``, summing to 1.

    Raises
    ------
    TypeError
        If ``sigma`` or ``truncate`` is not a real number (booleans and strings refused),
        or ``ndim`` not an integer.
    ValueError
        If ``sigma`` or ``truncate`` is not positive and finite, ``sigma`` has the wrong
        length, or ``ndim`` is not in ``[1, 64]``.
    MemoryError
        If the kernel would not fit in memory (the message names sigma and truncate).

    See Also
    --------
    gaussian

    Examples
    --------
    >>> import sigconv as sc
    >>> kernel = sc.filters.gaussian_kernel(1.0, truncate=1.0)
    >>> kernel.shape, round(float(kernel.sum()), 12)
    ((3, 3), 1.0)
    """
    ndim = check_positive_int(ndim, "ndim")
    if ndim > _MAX_DIMS:
        raise ValueError(f"ndim must be at most {_MAX_DIMS} (NumPy's limit), got {ndim}")
    sigmas = _per_axis(sigma, ndim, "sigma")
    truncate = _truncate(truncate)
    radii = _radii(sigmas, truncate)
    check_allocation("sigma, truncate, ndim", [2 * r + 1 for r in radii], np.float64,
                     copies=2, what="the Gaussian kernel")
    kernel = np.ones(())
    for s, radius in zip(sigmas, radii, strict=True):
        kernel = np.multiply.outer(kernel, _gaussian_weights(s, truncate, radius))
    return kernel


def gaussian(image, sigma, mode="reflect", cval=0.0, truncate=4.0):
    """Gaussian smoothing, as :func:`scipy.ndimage.gaussian_filter`.

    Separable: one 1-D pass per axis with the weights of :func:`gaussian_kernel`.

    Parameters
    ----------
    image : array_like
        The image (any number of dimensions).
    sigma : float or sequence of float
        Standard deviation in pixels, per axis or for all; must be positive.
    mode : {"reflect", "constant", "nearest", "mirror", "wrap"}, default "reflect"
        How the image continues beyond its edges (see the module's table).
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.
    truncate : float, default 4.0
        Kernel radius in standard deviations.

    Returns
    -------
    numpy.ndarray
        The smoothed image, same shape (float).

    Raises
    ------
    TypeError
        If ``image`` is not numeric or has extended precision, or ``sigma``,
        ``truncate`` or ``cval`` is not a real number (booleans and strings refused).
    ValueError
        If ``sigma`` or ``truncate`` is not positive and finite, ``cval`` not finite,
        ``mode`` is unknown, ``image`` is empty, 0-d or not finite, or the result
        overflows.
    MemoryError
        If the kernel or the padded image would not fit in memory (the message names
        sigma and truncate), or the working copies of the image (four arrays of its
        size; the message names image).

    See Also
    --------
    gaussian_kernel, box, scipy.ndimage.gaussian_filter

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> image = np.zeros((5, 5))
    >>> image[2, 2] = 1.0
    >>> smoothed = sc.filters.gaussian(image, 1.0)
    >>> round(float(smoothed.sum()), 12), bool(smoothed[2, 2] > smoothed[1, 2])
    (1.0, True)
    """
    image = _as_image(image)
    sigmas = _per_axis(sigma, image.ndim, "sigma")
    check_choice(mode, "mode", MODES)
    cval = _cval(cval)
    truncate = _truncate(truncate)
    radii = _radii(sigmas, truncate)
    weights = [_gaussian_weights(s, truncate, radius)
               for s, radius in zip(sigmas, radii, strict=True)]

    def compute(image, cval):
        for axis, axis_weights in enumerate(weights):
            image = _correlate1d(image, axis_weights, axis, mode, cval)
        return image

    return _rescaled(compute, image, cval, "the Gaussian")


def box(image, size, mode="reflect", cval=0.0):
    """Mean over a box of ``size`` pixels, as :func:`scipy.ndimage.uniform_filter`.

    Parameters
    ----------
    image : array_like
        The image (any number of dimensions).
    size : int or sequence of int
        Box length per axis or for all (even sizes reach one pixel further back, as in
        SciPy).
    mode : {"reflect", "constant", "nearest", "mirror", "wrap"}, default "reflect"
        How the image continues beyond its edges.
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.

    Returns
    -------
    numpy.ndarray
        The filtered image, same shape (float).

    Raises
    ------
    TypeError
        If ``image`` is not numeric or has extended precision, ``size`` is not integral
        (a float with a fraction, a string, a boolean) or ``cval`` not a real number.
    ValueError
        If ``size < 1``, ``cval`` not finite, ``mode`` is unknown, ``image`` is empty,
        0-d or not finite.
    MemoryError
        If the box or the padded image would not fit in memory (the message names size),
        or the working copies of the image (four arrays of its size; the message names
        image).

    See Also
    --------
    gaussian, scipy.ndimage.uniform_filter

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.filters.box([[0.0, 3.0, 6.0]], 3, mode="nearest")
    array([[1., 3., 5.]])
    """
    image = _as_image(image)
    sizes = _per_axis(size, image.ndim, "size")
    if not np.all(sizes == np.round(sizes)):
        raise TypeError(f"size must be integral, got {size!r}")
    check_choice(mode, "mode", MODES)
    cval = _cval(cval)
    for length in sizes:
        check_allocation("size", (int(min(length, 2.0**63)),), np.float64, copies=2,
                         what="the box")

    def compute(image, cval):
        for axis, length in enumerate(sizes.astype(np.int64)):
            if length > 1:
                image = _correlate1d(image, np.full(length, 1.0 / length), axis, mode, cval,
                                     name="size")
        return image

    return _rescaled(compute, image, cval, "the box filter")


def _derivative(image, axis, mode, cval, smoothing):
    """``[-1, 0, 1]`` along ``axis``, ``smoothing`` along every other axis."""
    image = _as_image(image)
    axis = _axis(axis, image.ndim)
    check_choice(mode, "mode", MODES)
    cval = _cval(cval)
    return _rescaled(lambda image, cval: _derivative_passes(image, axis, mode, cval,
                                                            smoothing),
                     image, cval, "the derivative")


def _derivative_passes(image, axis, mode, cval, smoothing):
    out = _correlate1d(image, np.array([-1.0, 0.0, 1.0]), axis, mode, cval, name="image")
    for other in range(image.ndim):
        if other != axis:
            out = _correlate1d(out, smoothing, other, mode, cval, name="image")
    return out


def sobel(image, axis=-1, mode="reflect", cval=0.0):
    """Sobel derivative along ``axis``, as :func:`scipy.ndimage.sobel`.

    Correlation with ``[-1, 0, 1]`` along ``axis`` and ``[1, 2, 1]`` along the others.

    Parameters
    ----------
    image : array_like
        The image (any number of dimensions).
    axis : int, default -1
        The axis of the derivative.
    mode : {"reflect", "constant", "nearest", "mirror", "wrap"}, default "reflect"
        How the image continues beyond its edges.
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.

    Returns
    -------
    numpy.ndarray
        The derivative, same shape (float).

    Raises
    ------
    TypeError
        If ``image`` is not numeric or has extended precision, ``axis`` is not an
        integer (booleans refused) or ``cval`` not a real number.
    ValueError
        If ``axis`` is out of range, ``cval`` not finite, ``mode`` unknown, ``image``
        empty, 0-d or not finite, or the result overflows.
    MemoryError
        If the working copies of the image (four arrays of its size in the working
        dtype) would not fit in memory; the message names image.

    See Also
    --------
    prewitt, edges, scipy.ndimage.sobel

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> ramp = np.tile(np.arange(4.0), (3, 1))
    >>> sc.filters.sobel(ramp, axis=1)
    array([[4., 8., 8., 4.],
           [4., 8., 8., 4.],
           [4., 8., 8., 4.]])
    """
    return _derivative(image, axis, mode, cval, np.array([1.0, 2.0, 1.0]))


def prewitt(image, axis=-1, mode="reflect", cval=0.0):
    """Prewitt derivative along ``axis``, as :func:`scipy.ndimage.prewitt`.

    Correlation with ``[-1, 0, 1]`` along ``axis`` and ``[1, 1, 1]`` along the others.

    Parameters
    ----------
    image : array_like
        The image (any number of dimensions).
    axis : int, default -1
        The axis of the derivative.
    mode : {"reflect", "constant", "nearest", "mirror", "wrap"}, default "reflect"
        How the image continues beyond its edges.
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.

    Returns
    -------
    numpy.ndarray
        The derivative, same shape (float).

    Raises
    ------
    TypeError
        If ``image`` is not numeric or has extended precision, ``axis`` is not an
        integer (booleans refused) or ``cval`` not a real number.
    ValueError
        If ``axis`` is out of range, ``cval`` not finite, ``mode`` unknown, ``image``
        empty, 0-d or not finite, or the result overflows.
    MemoryError
        If the working copies of the image (four arrays of its size in the working
        dtype) would not fit in memory; the message names image.

    See Also
    --------
    sobel, scipy.ndimage.prewitt

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> ramp = np.tile(np.arange(4.0), (3, 1))
    >>> sc.filters.prewitt(ramp, axis=1)[1]
    array([3., 6., 6., 3.])
    """
    return _derivative(image, axis, mode, cval, np.array([1.0, 1.0, 1.0]))


def laplace(image, mode="reflect", cval=0.0):
    """Discrete Laplacian, as :func:`scipy.ndimage.laplace`.

    .. math:: \\nabla^2 I \\approx \\sum_d \\left(I_{x_d + 1} - 2 I + I_{x_d - 1}\\right)

    Parameters
    ----------
    image : array_like
        The image (any number of dimensions).
    mode : {"reflect", "constant", "nearest", "mirror", "wrap"}, default "reflect"
        How the image continues beyond its edges.
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.

    Returns
    -------
    numpy.ndarray
        The Laplacian, same shape (float).

    Raises
    ------
    TypeError
        If ``image`` is not numeric or has extended precision, or ``cval`` is not a real
        number (booleans and strings refused).
    ValueError
        If ``cval`` is not finite, ``mode`` is unknown, ``image`` is empty, 0-d or not
        finite, or the result overflows.
    MemoryError
        If the working copies of the image (four arrays of its size in the working
        dtype) would not fit in memory; the message names image.

    See Also
    --------
    sharpen, scipy.ndimage.laplace

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.filters.laplace([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], mode="constant")
    array([[ 0.,  1.,  0.],
           [ 1., -4.,  1.],
           [ 0.,  1.,  0.]])
    """
    image = _as_image(image)
    check_choice(mode, "mode", MODES)
    cval = _cval(cval)
    return _rescaled(lambda image, cval: _laplace_passes(image, mode, cval), image, cval,
                     "the Laplacian")


def _laplace_passes(image, mode, cval):
    second = np.array([1.0, -2.0, 1.0])
    out = _correlate1d(image, second, 0, mode, cval, name="image")
    for axis in range(1, image.ndim):
        out += _correlate1d(image, second, axis, mode, cval, name="image")
    return out


def sharpen(image, amount=1.0, mode="reflect", cval=0.0):
    """Sharpen by subtracting the Laplacian: ``image - amount * laplace(image)``.

    For ``amount = 1`` on an image this is the classic kernel
    ``[[0, -1, 0], [-1, 5, -1], [0, -1, 0]]``.

    Parameters
    ----------
    image : array_like
        The image (any number of dimensions).
    amount : float, default 1.0
        Strength of the sharpening.
    mode : {"reflect", "constant", "nearest", "mirror", "wrap"}, default "reflect"
        How the image continues beyond its edges.
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.

    Returns
    -------
    numpy.ndarray
        The sharpened image, same shape (float).

    Raises
    ------
    TypeError
        If ``image`` is not numeric or has extended precision, or ``amount`` or ``cval``
        is not a real number (booleans and strings refused).
    ValueError
        If ``amount`` or ``cval`` is not finite, ``mode`` is unknown, ``image`` is empty, 0-d or not
        finite, or the result overflows.
    MemoryError
        If the working copies of the image (four arrays of its size in the working
        dtype) would not fit in memory; the message names image.

    See Also
    --------
    laplace

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.filters.sharpen([[1.0, 1.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 1.0]])[1, 1]
    np.float64(6.0)
    """
    image = _as_image(image)
    amount = check_real(amount, "amount")
    check_choice(mode, "mode", MODES)
    cval = _cval(cval)
    return _rescaled(lambda image, cval: image - amount * _laplace_passes(image, mode, cval),
                     image, cval, "the sharpened image")


def edges(image, mode="reflect", cval=0.0):
    """Gradient magnitude from Sobel derivatives: ``sqrt(sum_d sobel(image, d)**2)``.

    Parameters
    ----------
    image : array_like
        The image (any number of dimensions).
    mode : {"reflect", "constant", "nearest", "mirror", "wrap"}, default "reflect"
        How the image continues beyond its edges.
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.

    Returns
    -------
    numpy.ndarray
        The edge strength, same shape (float, non-negative).

    Raises
    ------
    TypeError
        If ``image`` is not numeric or has extended precision, or ``cval`` is not a real
        number (booleans and strings refused).
    ValueError
        If ``cval`` is not finite, ``mode`` is unknown, ``image`` is empty, 0-d or not
        finite, or the result overflows.
    MemoryError
        If the working copies of the image (four arrays of its size in the working
        dtype, and one derivative per axis) would not fit in memory; the message names image.

    Notes
    -----
    For a complex image the magnitude is ``sqrt(sum_d |sobel(image, d)|**2)`` (real and
    non-negative); ``scipy.ndimage.generic_gradient_magnitude`` squares the complex
    derivatives instead.

    See Also
    --------
    sobel

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> step = np.zeros((4, 6))
    >>> step[:, 3:] = 1.0
    >>> sc.filters.edges(step)[1]
    array([0., 0., 4., 4., 0., 0.])
    """
    image = _as_image(image)
    # one derivative per axis at once, their squares' sum and a pass's work
    check_allocation("image", image.shape, image.dtype, copies=image.ndim + 3,
                     what="the derivatives")
    derivatives = [sobel(image, axis, mode, cval) for axis in range(image.ndim)]
    # |d|^2 (the modulus for complex images), scaled by a power of two near the largest
    # derivative so that the squares cannot overflow where the magnitude itself fits
    largest = max(float(np.max(np.abs(d))) for d in derivatives)
    scale = math.ldexp(1.0, math.frexp(largest)[1]) if largest > 0 else 1.0
    total = sum(np.abs(d / scale) ** 2 for d in derivatives)
    with np.errstate(over="ignore"):
        out = np.sqrt(total) * scale
    return _finite(out, "the gradient magnitude")
