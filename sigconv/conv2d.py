"""2-D convolution and cross-correlation with boundaries, as in :mod:`scipy.signal`.

:func:`convolve2d` and :func:`correlate2d` extend the image by its ``boundary`` rule
(``fill`` with ``fillvalue``, ``wrap``, ``symm``) just as far as the mode needs, then run
the same machinery as :func:`sigconv.convolve` in ``valid`` mode: the parallel numba
kernels (exact for integers), two 1-D passes when the kernel has rank one, or the FFT
when the kernel is large -- chosen by the calibrated cost model.

:func:`convolution_matrix2d` and :class:`ConvolutionOperator2D` carry the lecture's
"convolution is a matrix" over to images.
"""

import operator

import numpy as np

from . import backend as _backend
from . import conv
from ._jit import is_device_array, readonly, resolve_device, stand_in, to_host
from ._lazy import LazyModule
from ._validate import (
    as_nonempty_array,
    check_allocation,
    check_choice,
    check_native_precision,
    memory_limit,
)
from .poly import _ConvolutionOperator

cpu = LazyModule("sigconv.kernels.cpu")

__all__ = ["convolve2d", "correlate2d", "convolution_matrix2d", "ConvolutionOperator2D"]

BOUNDARIES = ("fill", "wrap", "symm")


#: the largest kernel whose rank is looked for (an SVD of 1024 x 1024 takes about a second
#: and a few 8 MiB temporaries; beyond, the FFT is the better method anyway)
_SVD_MAX_SIZE = 1 << 20


def _separable_factors(kernel):
    """``(column, row)`` with ``kernel == outer(column, row)``, or None.

    Rank one is detected by the (thin) SVD; floating kernels only (an integer kernel
    stays exact on the direct path). The factors reproduce the kernel to a few ulps.
    The caller checks that the SVD's cost and the kernel-sized temporaries are small
    beside the convolution (:func:`_run`).
    """
    if kernel.dtype.kind not in "fc" or min(kernel.shape) < 2 or not np.isfinite(kernel).all():
        return None
    u, s, vh = np.linalg.svd(kernel.astype(np.result_type(kernel, np.float64)),
                             full_matrices=False)
    # rank one up to the rounding of the kernel's own precision
    tolerance = 100 * np.finfo(kernel.dtype).eps * max(kernel.shape)
    if s[0] == 0 or s[1] > s[0] * tolerance:
        return None
    column = (u[:, 0] * s[0]).astype(kernel.dtype)
    row = vh[0].astype(kernel.dtype)
    if np.abs(np.outer(column, row) - kernel).max() > tolerance * np.abs(kernel).max():
        return None
    return column, row


def window_starts(image_shape, kernel_shape, mode, correlation):
    """Index in the full convolution of the first output the mode keeps, per axis.

    ``(full - length) // 2`` as :func:`sigconv.convolve` centres it, except that
    ``scipy.signal.correlate2d`` centres ``same`` on the other side for even kernels:
    ``k // 2`` into the full correlation (= convolution with the flipped kernel).
    """
    return [k // 2 if (correlation and mode == "same") else conv.mode_window(n, k, mode)[0]
            for n, k in zip(image_shape, kernel_shape, strict=True)]


def _pads(image_shape, kernel_shape, mode, starts):
    """``(before, after)`` per axis: how far to extend the image so that a ``valid``
    convolution gives ``mode``.

    The full convolution of an ``n``-long axis with a ``k``-long kernel has ``n + k - 1``
    outputs; the mode keeps ``length`` of them from ``start`` on. A valid convolution of
    the image padded by ``k - 1 - start`` before and ``length - n + start`` after gives
    exactly those.
    """
    return tuple((k - 1 - start, conv.mode_window(n, k, mode)[1] - n + start)
                 for n, k, start in zip(image_shape, kernel_shape, starts, strict=True))


def check_fillvalue(fillvalue, dtype):
    """``fillvalue`` as a scalar of ``dtype``; a ValueError if it cannot be one exactly."""
    if isinstance(fillvalue, int) and not isinstance(fillvalue, bool) and not (
            -2**63 <= fillvalue < 2**64):   # NumPy would make it an object array
        if dtype.kind in "biu":
            raise ValueError(f"fillvalue {fillvalue!r} cannot be represented in the result "
                             f"dtype {dtype}")
        fillvalue = float(fillvalue)
    fill = np.asarray(fillvalue)
    if fill.ndim != 0:
        raise ValueError(f"fillvalue must be a scalar, got {fillvalue!r}")
    if fill.dtype.kind not in "biufc":
        raise TypeError(f"fillvalue must be a number, got {fillvalue!r}")
    if fill.dtype.kind == "b" and dtype.kind != "b":
        raise TypeError(f"fillvalue must be a number, got the boolean {fillvalue!r}")
    if fill.dtype.kind == "c" and dtype.kind != "c":
        raise ValueError(f"fillvalue {fillvalue!r} is complex but the inputs are real")
    if dtype.kind in "biu":
        value = complex(fill.item())
        info = np.iinfo(dtype) if dtype.kind != "b" else None
        exact = (value.imag == 0 and np.isfinite(value.real) and value.real == int(value.real)
                 and (info is None or info.min <= value.real <= info.max))
        if not exact:
            raise ValueError(f"fillvalue {fillvalue!r} cannot be represented in the result "
                             f"dtype {dtype}")
    return fill.astype(dtype) if dtype.kind != "b" else fill


def _convolve2d(in1, in2, mode, boundary, fillvalue, correlation, device=None):
    """:func:`convolve2d` / :func:`correlate2d` on the backend chosen once here.

    Device data in (an input on the GPU, with ``device`` None or ``"cuda"``): validated on
    zero-stride stand-ins, the boundary extended and the kernel reversed by device
    kernels, a host ``in2`` copied up once; the result is a device array. Host data in:
    prepared on the host and summed by the backend's kernels (on the CPU the cost model
    may pick the separable passes or the FFT); the result is a NumPy array.
    """
    originals = (in1, in2)
    be = _backend.get(resolve_device(device, in1, in2))
    resident = any(is_device_array(a) and be.owns(a) for a in originals)
    # host data is prepared on the host (then summed by be, whichever it is)
    prepare = be if resident else _backend.cpu
    in1 = as_nonempty_array(stand_in(in1) if resident else to_host(in1), "in1", 2)
    in2 = as_nonempty_array(stand_in(in2) if resident else to_host(in2), "in2", 2)
    check_choice(mode, "mode", conv.MODES)
    check_choice(boundary, "boundary", BOUNDARIES)
    dtype = np.result_type(in1, in2)
    fillvalue = check_fillvalue(fillvalue, dtype)
    if resident and dtype not in conv._RESIDENT_DTYPES:
        # integers, booleans and float16 are summed from host data (exact, or in single
        # precision), by the same backend: down, and the result up again
        out = _convolve2d(be.to_host(originals[0]), be.to_host(originals[1]), mode,
                          boundary, fillvalue, correlation, be.DEVICE)
        return be.like(be.asarray(out), *originals)
    starts = window_starts(in1.shape, in2.shape, mode, correlation)
    p = conv._Problem(in1, in2, mode, None)
    # before anything of the inputs' size is allocated or scanned (a broadcast view of
    # 10**10 elements costs no memory, its conjugate or finiteness mask would)
    p.check_result_memory()
    # the data: the device inputs themselves, or the validated host arrays
    image, kernel = (value if resident and is_device_array(value) else checked
                     for value, checked in zip(originals, (in1, in2), strict=True))
    if correlation:
        kernel = prepare.rearrange(kernel, None, (0, 1), np.dtype(kernel.dtype), True) \
            if resident else conv.conjugate(kernel[::-1, ::-1], "in2")
    if mode != "valid" and (boundary != "fill" or fillvalue != 0 or list(p.start) != starts):
        # valid mode never reads the boundary; zero fill centred as convolve is convolve
        # extended in the result dtype, so that the fill value keeps its value
        extended = [n + k - 1 for n, k in zip(in1.shape, in2.shape, strict=True)]
        check_allocation("in1, in2", extended, dtype, copies=2,
                         what="the image extended by its boundary")
        image = prepare.extend2d(prepare.rearrange(image, None, (), dtype, False),
                                 _pads(in1.shape, in2.shape, mode, starts), boundary,
                                 fillvalue)
        p = conv._Problem(stand_in(image), stand_in(kernel), "valid", None)
    p.in1, p.in2 = image, kernel
    p.backend, p.resident = be, resident
    return be.like(_run(p, kernel), *originals)


def _small_2d(in1, in2, mode, boundary, fillvalue):
    """:func:`convolve2d` of small, contiguous float images with zero fill, by the serial
    kernel with the least overhead; None when the call is not of that kind, and the
    general path then handles it (validation included).

    Exactly what the general path computes for such a call: zero fill centred as
    :func:`sigconv.convolve` is that convolution; a kernel too small for the separable
    passes; the method the cost model already chose for these shapes (direct; a shape
    not chosen for yet goes the general way once); the same kernel and blocks, so the
    same bits. An inf or NaN in the output (the kernel reports it), or a result beyond
    the memory limit, goes the general way too, which tells an overflowed partial sum
    from a non-finite input and names the refusal.
    """
    if not (type(in1) is np.ndarray and type(in2) is np.ndarray and in1.ndim == 2
            and in2.ndim == 2 and in1.dtype == in2.dtype and in1.dtype.char in "fdFD"
            and in1.dtype.isnative
            and in1.flags.c_contiguous and in2.flags.c_contiguous
            and type(mode) is str and type(boundary) is str and boundary == "fill"
            and type(fillvalue) in (int, float) and fillvalue == 0
            and in1.size and in2.size):
        return None
    (n0, n1), (k0, k1) = in1.shape, in2.shape
    if k0 * k1 >= 2 * (k0 + k1) or mode not in conv.MODES:
        return None   # separable passes considered, or a bad mode: the general path
    if mode == "valid" and not (n0 >= k0 and n1 >= k1 or k0 >= n0 and k1 >= n1):
        return None
    start0, m0 = conv.mode_window(n0, k0, mode)
    start1, m1 = conv.mode_window(n1, k1, mode)
    if m0 * min(n0, k0) * m1 * min(n1, k1) >= conv._config.PARALLEL_MIN_MACS:
        return None
    shape = (m0, m1)
    if conv._choices().get((in1.shape, in2.shape, (0, 1), shape, (start0, start1))) != "direct":
        return None
    itemsize = in1.dtype.itemsize   # the result and the batch maps' 16 bytes, as there
    if (m0 * m1 - (-16 // itemsize)) * itemsize > memory_limit():
        return None   # the general path refuses it, naming in1, in2
    if k0 * k1 > n0 * n1:   # as the general path: the longer input streams through
        in1, in2 = in2, in1
    out = np.empty((1, m0, m1), dtype=in1.dtype)
    zero = np.zeros(1, dtype=np.int64)
    finite = cpu.direct_nd_serial(
        readonly(in1.reshape(1, *in1.shape)), readonly(in2.reshape(1, *in2.shape)), out,
        zero, zero,
        np.array(in1.shape[:1], dtype=np.int64), np.array(in2.shape[:1], dtype=np.int64),
        np.array((m0,), dtype=np.int64), np.array((start0,), dtype=np.int64), start1,
        conv._direct_block(m0, m1))
    return out.reshape(shape) if finite else None


def _run(p, kernel):
    """Convolve problem ``p`` (``p.in2`` is ``kernel``): separably when it pays.

    A rank-one kernel costs ``kh + kw`` multiply-adds per output in two 1-D passes
    instead of ``kh * kw``; below about twice that ratio (3x3) the second pass over memory
    eats the gain. The separable estimate is set against the model's FFT estimates.
    """
    if "fft" not in p.backend.METHODS:   # a backend with the direct sum only
        return conv._convolve(p, "direct")
    kh, kw = kernel.shape
    fits = p.mode != "valid" or (kh <= p.in1.shape[0] and kw <= p.in1.shape[1])
    # the SVD (about kh * kw * min(kh, kw) flops, and a few kernel-sized temporaries)
    # must stay small beside the direct sum it would shorten, and in absolute terms
    cheap_svd = 8 * kh * kw * min(kh, kw) <= p.direct_macs() and kh * kw <= _SVD_MAX_SIZE
    if not p.is_integer and fits and kh * kw >= 2 * (kh + kw) and cheap_svd:
        # the (cheap) SVD first: most kernels are not rank one, and the model is then moot
        factors = _separable_factors(kernel)
        if factors is not None:
            times = conv._estimated_times(p)
            separable = conv._modelled("direct", conv._direct_features(p)) * (kh + kw) / (
                kh * kw)
            if separable <= min(times.values()):
                return _separable(p, *factors)
    return conv._convolve(p, conv._choose(p))


def _separable(p, column, row):
    """Two 1-D passes: ``kernel = outer(column, row)``, rows then columns."""
    dtype = p.result_dtype
    column = column.astype(dtype, copy=False)
    row = row.astype(dtype, copy=False)
    # each 1-D pass keeps exactly the part of its axis that the 2-D mode keeps
    first = conv._Problem(p.in1, row[np.newaxis, :], p.mode, None)
    if first.in1.dtype != dtype:
        check_allocation("in1, in2", first.in1.shape, dtype, what="the image cast to the "
                         "result dtype")
    first.in1 = first.in1.astype(dtype, copy=False)
    partial = conv._convolve(first, "direct")
    second = conv._Problem(partial, column[:, np.newaxis], p.mode, None)
    out = conv._convolve(second, "direct")
    if not conv._all_finite(out) and conv._overflow_shifts(p) is not None:
        # finite inputs, yet an inf or NaN: the first pass went beyond the range where the
        # 2-D sum need not; the 2-D direct sum scales its inputs into range instead
        return conv._convolve(p, "direct")
    return out


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, device=None):
    """Convolve two 2-D arrays, with a boundary rule.

    Same arguments and results as :func:`scipy.signal.convolve2d`:

    .. math:: S(i, j) = \\sum_m \\sum_n I(i - m, j - n)\\, K(m, n)

    with the image ``I = in1`` extended beyond its edges by ``boundary``.

    Parameters
    ----------
    in1 : array_like
        2-D image.
    in2 : array_like
        2-D kernel.
    mode : {"full", "same", "valid"}, default "full"
        Output size, as in :func:`sigconv.convolve`.
    boundary : {"fill", "wrap", "symm"}, default "fill"
        How the image continues beyond its edges: the constant ``fillvalue``, periodically,
        or mirrored with the edge repeated (``numpy.pad(..., "symmetric")``).
    fillvalue : scalar, default 0
        The value outside the image for ``boundary="fill"``: a real or complex number
        (not a boolean, unless the inputs are), NaN allowed for floating inputs (the
        outputs that read it are NaN, as in SciPy).
    device : {None, "cpu", "cuda"}, optional
        Where to compute, as in :func:`sigconv.convolve` (the GPU runs the direct sum).
        With device data the boundary is extended on the device and only a NumPy
        ``in2`` is copied up; the result is then a device array.

    Returns
    -------
    numpy.ndarray
        2-D result of dtype ``numpy.result_type(in1, in2)`` (integers exact).

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If an input is not 2-D or empty, ``mode`` or ``boundary`` is unknown, ``valid``
        mode has neither input covering the other, or ``fillvalue`` is not a scalar, or
        not exactly representable in an integer result dtype (NaN, inf, a fraction, out
        of range), or complex with real inputs.
    OverflowError
        If an exact integer result does not fit the result dtype.
    MemoryError
        If the result or the extended image would not fit (checked before allocating).
    sigconv.CUDAUnavailableError
        If ``device="cuda"`` and numba finds no GPU (checked first; a
        :class:`RuntimeError` and a :class:`ValueError` naming ``device``).

    See Also
    --------
    correlate2d, sigconv.convolve, scipy.signal.convolve2d

    Notes
    -----
    A rank-one floating kernel (``K = c r^T``, found by the SVD) runs as two 1-D passes:
    ``(kh + kw)`` instead of ``kh * kw`` multiply-adds per pixel. Large kernels go
    through the FFT when the cost model says so.

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> image = np.arange(12.0).reshape(3, 4)
    >>> sc.convolve2d(image, [[0.0, 1.0], [1.0, 0.0]], mode="valid")
    array([[ 5.,  7.,  9.],
           [13., 15., 17.]])
    >>> sc.convolve2d(image, np.ones((3, 3)), mode="same", boundary="wrap")[0]
    array([48., 45., 54., 51.])
    """
    if device is None:
        out = _small_2d(in1, in2, mode, boundary, fillvalue)
        if out is not None:
            return out
    return _convolve2d(in1, in2, mode, boundary, fillvalue, correlation=False, device=device)


def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0, device=None):
    """Cross-correlate two 2-D arrays, with a boundary rule.

    Same arguments and results as :func:`scipy.signal.correlate2d`:

    .. math:: S(i, j) = \\sum_m \\sum_n I(i + m, j + n)\\, \\overline{K(m, n)}

    which is what deep-learning libraries call "convolution". Computed as
    ``convolve2d(in1, conj(in2[::-1, ::-1]))``.

    Parameters
    ----------
    in1 : array_like
        2-D image.
    in2 : array_like
        2-D kernel.
    mode : {"full", "same", "valid"}, default "full"
        Output size, as in :func:`sigconv.correlate`.
    boundary : {"fill", "wrap", "symm"}, default "fill"
        How the image continues beyond its edges, as in :func:`convolve2d`.
    fillvalue : scalar, default 0
        The value outside the image for ``boundary="fill"``.
    device : {None, "cpu", "cuda"}, optional
        Where to compute, as in :func:`sigconv.convolve` (the GPU runs the direct sum).

    Returns
    -------
    numpy.ndarray
        2-D result of dtype ``numpy.result_type(in1, in2)``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        For the invalid arguments listed in :func:`convolve2d`.
    OverflowError
        If an exact integer result does not fit the result dtype.
    MemoryError
        If the result or the extended image would not fit (checked before allocating).
    sigconv.CUDAUnavailableError
        If ``device="cuda"`` and numba finds no GPU, as in :func:`convolve2d`.

    See Also
    --------
    convolve2d, scipy.signal.correlate2d

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> image = np.arange(12.0).reshape(3, 4)
    >>> sc.correlate2d(image, [[0.0, 1.0], [1.0, 0.0]], mode="valid")
    array([[ 5.,  7.,  9.],
           [13., 15., 17.]])
    """
    return _convolve2d(in1, in2, mode, boundary, fillvalue, correlation=True, device=device)


def _operator_window(kernel_shape, image_shape, mode):
    """Per axis ``(start, length)`` of the full convolution that ``mode`` keeps (SciPy)."""
    return [conv.mode_window(n, k, mode)
            for k, n in zip(kernel_shape, image_shape, strict=True)]


def _check_operator_args(kernel, image_shape, mode):
    kernel = as_nonempty_array(kernel, "kernel", 2)
    check_native_precision(kernel.dtype, "kernel")
    try:
        if isinstance(image_shape, (str, bytes)) or any(
                isinstance(s, (bool, np.bool_)) for s in image_shape):
            raise TypeError
        image_shape = tuple(operator.index(s) for s in image_shape)
    except TypeError:
        raise TypeError(f"image_shape must be a pair of ints, got {image_shape!r}") from None
    if len(image_shape) != 2 or min(image_shape) < 1:
        raise ValueError(f"image_shape must be two positive ints, got {image_shape!r}")
    if (image_shape[0] + kernel.shape[0]) * (image_shape[1] + kernel.shape[1]) > np.iinfo(
            np.intp).max:
        raise ValueError(f"image_shape {image_shape!r} is beyond NumPy's largest array "
                         f"length ({np.iinfo(np.intp).max} pixels)")
    check_choice(mode, "mode", conv.MODES)
    if mode == "valid" and not (
        all(n >= k for n, k in zip(image_shape, kernel.shape, strict=True))
        or all(k >= n for n, k in zip(image_shape, kernel.shape, strict=True))
    ):
        raise ValueError("For 'valid' mode, one must be at least as large as the other in "
                         f"every dimension; got image_shape {image_shape} and kernel shape "
                         f"{kernel.shape}")
    return kernel, image_shape, mode


def convolution_matrix2d(kernel, image_shape, mode="full"):
    """The doubly block Toeplitz matrix of 2-D convolution, as a sparse matrix.

    ``convolution_matrix2d(K, I.shape, mode) @ I.ravel()`` equals
    ``convolve2d(I, K, mode).ravel()`` (zero ``fill`` boundary): row ``(i, j)`` of the
    output holds ``K[i + s0 - a, j + s1 - b]`` in the column of pixel ``(a, b)``.

    Parameters
    ----------
    kernel : array_like
        2-D kernel.
    image_shape : tuple of int
        ``(height, width)`` of the images the matrix multiplies (raveled, C order).
    mode : {"full", "same", "valid"}, default "full"
        Output size, as in :func:`convolve2d`.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape ``(output pixels, height * width)``, at most ``kernel.size`` entries per
        column.

    Raises
    ------
    TypeError
        If ``kernel`` is not numeric or ``image_shape`` not a pair of ints.
    ValueError
        If ``kernel`` is not 2-D or empty, ``image_shape`` not positive, ``mode`` unknown
        or ``valid`` impossible.
    MemoryError
        If the matrix's index arrays would not fit (checked before allocating): use
        :class:`ConvolutionOperator2D`.

    See Also
    --------
    ConvolutionOperator2D, sigconv.convolution_matrix

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> kernel = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> image = np.arange(6.0).reshape(2, 3)
    >>> matrix = sc.convolution_matrix2d(kernel, image.shape)
    >>> matrix.shape
    (12, 6)
    >>> np.allclose(matrix @ image.ravel(), sc.convolve2d(image, kernel).ravel())
    True
    """
    kernel, image_shape, mode = _check_operator_args(kernel, image_shape, mode)
    (s0, m0), (s1, m1) = _operator_window(kernel.shape, image_shape, mode)
    kh, kw = kernel.shape
    h, w = image_shape
    # per (pixel, tap) pair: an int64 output index and a mask byte; per entry kept (at
    # most one per pair) its row, column and value, which the CSR conversion copies once
    pairs = h * w * kh * kw
    check_allocation("kernel, image_shape", (pairs,), np.int64,
                     copies=(9 + 2 * (16 + kernel.dtype.itemsize)) / 8,
                     what="the (pixel, tap) index arrays of the sparse matrix")
    # every (pixel, tap) pair lands on output (a + p - s0, b + q - s1) if inside the window
    a, b, p, q = np.meshgrid(np.arange(h), np.arange(w), np.arange(kh), np.arange(kw),
                             indexing="ij", sparse=True)
    out_row = a + p - s0
    out_col = b + q - s1
    inside = (out_row >= 0) & (out_row < m0) & (out_col >= 0) & (out_col < m1)
    shape = (h, w, kh, kw)
    rows = np.broadcast_to(out_row * m1 + out_col, shape)[inside]
    cols = np.broadcast_to(a * w + b, shape)[inside]
    values = np.broadcast_to(kernel[p, q], shape)[inside]
    import scipy.sparse

    return scipy.sparse.csr_matrix((values, (rows, cols)), shape=(m0 * m1, h * w))


class ConvolutionOperator2D(_ConvolutionOperator):
    """2-D convolution with a fixed kernel as a :class:`~scipy.sparse.linalg.LinearOperator`.

    The matrix of :func:`convolution_matrix2d`, applied by :func:`sigconv.convolve`
    (``A @ x``) and :func:`sigconv.correlate` (``A.H @ y``) without forming it, for
    deconvolving images with SciPy's iterative solvers (``lsqr``, ``cg`` on the normal
    equations).

    Parameters
    ----------
    kernel : array_like
        2-D kernel.
    image_shape : tuple of int
        ``(height, width)`` of the images (raveled in C order as vectors).
    mode : {"full", "same", "valid"}, default "full"
        Output size, as in :func:`convolve2d` (zero boundary).

    Attributes
    ----------
    kernel : numpy.ndarray
        The kernel.
    image_shape : tuple of int
        Shape of the input images.
    output_shape : tuple of int
        Shape of the output images.

    Raises
    ------
    TypeError, ValueError
        For the invalid arguments listed in :func:`convolution_matrix2d`.

    See Also
    --------
    convolution_matrix2d, sigconv.ToeplitzOperator

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> A = sc.ConvolutionOperator2D(np.ones((3, 3)) / 9, (16, 16), mode="same")
    >>> image = np.zeros((16, 16))
    >>> image[8, 8] = 9.0
    >>> (A @ image.ravel()).reshape(16, 16)[7:10, 7:10]
    array([[1., 1., 1.],
           [1., 1., 1.],
           [1., 1., 1.]])
    """

    def __init__(self, kernel, image_shape, mode="full"):
        kernel, image_shape, mode = _check_operator_args(kernel, image_shape, mode)
        self.kernel = kernel
        self.image_shape = image_shape
        self.mode = mode
        self._window = _operator_window(kernel.shape, image_shape, mode)
        self.output_shape = tuple(length for _, length in self._window)
        dtype = np.result_type(kernel.dtype, np.float64 if kernel.dtype.kind in "biu"
                               else kernel.dtype)
        super().__init__(dtype=dtype, shape=(int(np.prod(self.output_shape)),
                                             int(np.prod(image_shape))))

    def _apply(self, x):
        """``A @ x`` for ``x`` of shape ``(pixels, k)``: a batch of ``k`` images."""
        images = np.moveaxis(np.reshape(x, self.image_shape + (-1,)), -1, 0)
        full = conv.convolve(images, self.kernel[np.newaxis], axes=(1, 2))
        (s0, m0), (s1, m1) = self._window
        return np.moveaxis(full[:, s0:s0 + m0, s1:s1 + m1], 0, -1).reshape(self.shape[0], -1)

    def _apply_adjoint(self, y):
        """``A^H @ y``: correlate the output images with the kernel (see Notes of
        :class:`sigconv.ToeplitzOperator`)."""
        images = np.moveaxis(np.reshape(y, self.output_shape + (-1,)), -1, 0)
        full = conv.correlate(images, self.kernel[np.newaxis], axes=(1, 2))
        (s0, _), (s1, _) = self._window
        o0 = self.kernel.shape[0] - 1 - s0
        o1 = self.kernel.shape[1] - 1 - s1
        h, w = self.image_shape
        return np.moveaxis(full[:, o0:o0 + h, o1:o1 + w], 0, -1).reshape(self.shape[1], -1)

    def todense(self):
        """The matrix itself, as :func:`convolution_matrix2d` forms it (dense).

        Returns
        -------
        numpy.ndarray
            Shape ``self.shape``.
        """
        return convolution_matrix2d(self.kernel, self.image_shape, self.mode).toarray()
