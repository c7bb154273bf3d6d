"""The driver of the ``scipy.ndimage``-style correlation kernels (private).

:func:`correlate_axis` is ``scipy.ndimage.correlate1d`` and :func:`correlate_nd` is
``scipy.ndimage.correlate``, on validated arguments: each states its sum as the taps of
:mod:`sigconv.kernels.ndimage` (a 2-D view of the image, tap rows of non-zero weights),
picks the blocking and the serial or parallel twin, and runs the kernel into ``out``.
The public filters (:mod:`sigconv.filters`) validate and call them.
"""

import math

import numpy as np

from . import _config
from ._runtime import touched_empty

#: scipy.ndimage's boundary modes for its filters, by the code of the extension they use:
#: in a filter ``grid-mirror`` is ``reflect``, ``grid-wrap`` is ``wrap`` and
#: ``grid-constant`` is ``constant`` (the grid modes differ only in interpolation)
MODE_CODES = {"nearest": 0, "wrap": 1, "grid-wrap": 1, "reflect": 2, "grid-mirror": 2,
              "mirror": 3, "constant": 4, "grid-constant": 4}

#: the image dtypes the kernels take (complex ones by their real and imaginary parts)
_DTYPES = (np.float32, np.float64, np.complex64, np.complex128)


def _use_parallel(macs):
    if macs < _config.PARALLEL_MIN_MACS:
        return False
    from ._jit import in_single_thread

    return not in_single_thread()


def _runs(n_rows, n_blocks):
    """How many runs to split the rows into for the parallel twin: at least
    ``_config.FILTER_MIN_TASKS_PER_THREAD`` tasks per thread of numba's."""
    import numba

    min_tasks = _config.FILTER_MIN_TASKS_PER_THREAD * numba.get_num_threads()
    return max(1, min(n_rows, -(-min_tasks // n_blocks)))


def _run(image, out, rows_shape, row_offsets, row_ptr, cols, taps, mode, cval, shift,
         k_last):
    """The kernel on ``image`` and ``out`` viewed as ``(prod(rows_shape), n)``; True if
    every output is finite."""
    from .kernels import ndimage as kernels

    n_rows = math.prod(rows_shape)
    image = np.ascontiguousarray(image).reshape(n_rows, -1)
    # the kernel writes a C-contiguous array that does not overlap the image (a reshape
    # of any other would be a copy, and the results would be lost)
    direct = out.flags.c_contiguous and not np.may_share_memory(image, out)
    target = out if direct else touched_empty(out.shape, out.dtype)
    n = image.shape[1]
    parallel = _use_parallel(image.size * max(1, taps.size))
    block = min(_config.FILTER_BLOCK, n)
    n_blocks = -(-n // block)
    n_runs = _runs(n_rows, n_blocks) if parallel else 1
    rows_per_task = -(-n_rows // n_runs)
    kernel = kernels.correlate_parallel if parallel else kernels.correlate_serial
    non_finite = kernel(
        image, target.reshape(n_rows, -1), np.ascontiguousarray(rows_shape, dtype=np.int64),
        np.ascontiguousarray(row_offsets, dtype=np.int64).reshape(len(row_ptr) - 1,
                                                                  len(rows_shape)),
        np.ascontiguousarray(row_ptr, dtype=np.int64), np.ascontiguousarray(cols, dtype=np.int64),
        np.ascontiguousarray(taps, dtype=np.float64), MODE_CODES[mode], float(cval),
        int(shift), int(k_last), block, rows_per_task,
        bool(image.dtype != np.float64 and k_last > 1))
    if not direct:
        out[...] = target
    return non_finite == 0


def _check_arrays(image, weights, out):
    """The dtypes and shapes the kernels take (the public layer converts to them):
    a TypeError or ValueError rather than a cast that would truncate or overflow. ``out``
    has the image's dtype, complex for complex weights (as ndimage's output)."""
    if image.dtype.type not in _DTYPES:
        raise TypeError(f"image must be float32, float64, complex64 or complex128; got "
                        f"{image.dtype}")
    dtype = image.dtype
    if weights.dtype.kind == "c":
        dtype = np.result_type(dtype, np.complex64)
    if out.dtype != dtype or out.shape != image.shape:
        raise ValueError(f"out must be of dtype {dtype} and shape {image.shape}; got "
                         f"{out.dtype} {out.shape}")


def correlate_axis(image, weights, axis, mode, cval, origin, out):
    """1-D correlation of ``image`` along ``axis``, extended beyond its edges by ``mode``.

    ``scipy.ndimage.correlate1d(image, weights, axis, out, mode, cval, origin)`` on
    arguments that the caller has validated.

    Parameters
    ----------
    image : numpy.ndarray
        C-contiguous, float32, float64, complex64 or complex128.
    weights : numpy.ndarray
        1-D, length at least 1; real, or complex (conjugated, as ndimage does).
    axis : int
        In ``[0, image.ndim)``.
    mode : str
        ``'reflect'``, ``'constant'``, ``'nearest'``, ``'mirror'``, ``'wrap'``,
        ``'grid-wrap'``, ``'grid-constant'`` or ``'grid-mirror'``.
    cval : float or complex
        The value beyond the edges in ``'constant'`` mode.
    origin : int
        With ``0 <= len(weights) // 2 + origin < len(weights)``.
    out : numpy.ndarray
        C-contiguous, the shape and dtype of ``image``, not overlapping it.

    Returns
    -------
    out : numpy.ndarray
        ``out``.
    finite : bool or None
        True if every output is finite, False if not (both counted by the kernel as it
        writes them), None if not known (complex data).

    Notes
    -----
    With ``k = len(weights)`` and ``s = k // 2 + origin``, along ``axis``

    .. math:: out[i] = \\sum_{j=0}^{k-1} w_j \\, x[\\mathrm{ext}(i + j - s)]

    where ``ext`` maps a position outside ``[0, n)`` into the line by ``mode`` (or reads
    ``cval``). Real images are summed in float64 (as in ndimage) and rounded once into
    ``out``. A NaN or inf spreads over the outputs whose window holds it, as in ndimage,
    zero weights included (``0 * nan`` is ``nan``); a sum that overflows gives ``inf``
    (or ``nan`` for ``inf - inf``), as in ndimage. Complex images are filtered as ndimage
    does, one real correlation per part.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([2.0, 8, 0, 4, 1, 9, 9, 0])
    >>> correlate_axis(x, np.array([1.0, 3]), 0, "reflect", 0.0, 0, np.empty_like(x))
    (array([ 8., 26.,  8., 12.,  7., 28., 36.,  9.]), True)
    """
    _check_arrays(image, weights, out)
    if image.size == 0:
        return out, True
    if image.dtype.kind == "c" or weights.dtype.kind == "c":
        return _complex_parts(correlate_axis, image, weights, cval, out, axis=axis,
                              mode=mode, origin=origin)
    shape = image.shape
    outer = math.prod(shape[:axis])
    n = shape[axis]
    inner = math.prod(shape[axis + 1:])
    k = weights.shape[0]
    shift = k // 2 + origin
    if inner > 1:
        # k tap rows of one tap: each tap sweeps a contiguous block of `inner`
        offsets = np.zeros((k, 2), dtype=np.int64)
        offsets[:, 1] = np.arange(k) - shift
        finite = _run(image, out, (outer, n), offsets, np.arange(k + 1), np.zeros(k), weights,
                      mode, cval, 0, 1)
    else:
        # one tap row of k taps along the lines
        finite = _run(image, out, (outer,), np.zeros((1, 1)), (0, k), np.arange(k), weights,
                      mode, cval, shift, k)
    return out, finite




def uniform_axis(image, size, axis, mode, cval, origin, out):
    """The mean over ``size`` samples along ``axis``, extended beyond the edges by ``mode``:
    ``scipy.ndimage.uniform_filter1d(image, size, axis, out, mode, cval, origin)`` on
    validated arguments.

    Parameters
    ----------
    image : numpy.ndarray
        C-contiguous, float32, float64, complex64 or complex128.
    size : int
        The window, at least 1.
    axis : int
        In ``[0, image.ndim)``.
    mode : str
        As :func:`correlate_axis`.
    cval : float or complex
        The value beyond the edges in ``'constant'`` mode.
    origin : int
        With ``0 <= size // 2 + origin < size``.
    out : numpy.ndarray
        C-contiguous, the shape and dtype of ``image``, not overlapping it.

    Returns
    -------
    out : numpy.ndarray
        ``out``.
    finite : bool or None
        As :func:`correlate_axis`'s (False also where a running sum met a non-finite
        value that the direct sum then confined).

    Notes
    -----
    .. math:: out[i] = \\frac{1}{size} \\sum_{j=0}^{size-1} x[\\mathrm{ext}(i + j - s)],
              \\quad s = size // 2 + origin

    Along the last axis, windows of ``_config.FILTER_RUNNING_MIN`` samples or more are summed
    by running sums (two additions per output, as ndimage), restarted every block of a
    line; a block whose means are not all finite is summed directly, so that a NaN or inf
    reaches only the outputs whose window holds it (in ndimage it reaches the rest of
    the line). As with any running sum (ndimage's too), a huge value leaving the window
    takes the precision of the smaller ones with it until the next restart. Other axes
    and shorter windows: :func:`correlate_axis` with weights ``1 / size``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([2.0, 8, 0, 4, 1, 9, 9, 0])
    >>> uniform_axis(x, 3, 0, "reflect", 0.0, 0, np.empty_like(x))[0]
    array([4.        , 3.33333333, 4.        , 1.66666667, 4.66666667, 6.33333333,
           6.        , 3.        ])
    """
    _check_arrays(image, image, out)
    if image.size == 0:
        return out, True
    last = axis == image.ndim - 1
    if (image.dtype.kind == "c" or size < _config.FILTER_RUNNING_MIN or not last
            or image.shape[axis] < 2):
        weights = np.full(size, 1.0 / size)
        return correlate_axis(image, weights, axis, mode, cval, origin, out)
    from .kernels import ndimage as kernels

    n = image.shape[-1]
    image2d = np.ascontiguousarray(image).reshape(-1, n)
    direct = out.flags.c_contiguous and not np.may_share_memory(image, out)
    target = out if direct else touched_empty(out.shape, out.dtype)
    parallel = _use_parallel(image.size * 4)
    block = min(_config.FILTER_BLOCK, n)
    n_lines = image2d.shape[0]
    n_runs = _runs(n_lines, -(-n // block)) if parallel else 1
    kernel = kernels.box_lines_parallel if parallel else kernels.box_lines_serial
    non_finite = kernel(image2d, target.reshape(image2d.shape), int(size), MODE_CODES[mode],
                        float(cval), int(size // 2 + origin), block, -(-n_lines // n_runs))
    if not direct:
        out[...] = target
    return out, non_finite == 0


def correlate_nd(image, weights, mode, cval, origins, out):
    """N-D correlation of ``image`` with ``weights``, extended beyond its edges by
    ``mode``: ``scipy.ndimage.correlate(image, weights, out, mode, cval, origins)`` on
    arguments that the caller has validated.

    Parameters
    ----------
    image : numpy.ndarray
        C-contiguous, float32, float64, complex64 or complex128, at least 1-D.
    weights : numpy.ndarray
        ``image.ndim`` dimensions, each of length at least 1; real, or complex
        (conjugated, as ndimage does).
    mode : str
        ``'reflect'``, ``'constant'``, ``'nearest'``, ``'mirror'``, ``'wrap'``,
        ``'grid-wrap'``, ``'grid-constant'`` or ``'grid-mirror'``.
    cval : float or complex
        The value beyond the edges in ``'constant'`` mode.
    origins : sequence of int
        One per axis, with ``0 <= weights.shape[d] // 2 + origins[d] < weights.shape[d]``.
    out : numpy.ndarray
        C-contiguous, the shape and dtype of ``image``, not overlapping it.

    Returns
    -------
    out : numpy.ndarray
        ``out``.
    finite : bool or None
        As :func:`correlate_axis`'s.

    Notes
    -----
    With ``s_d = weights.shape[d] // 2 + origins[d]``

    .. math:: out[i] = \\sum_{j} w_j \\, x[\\mathrm{ext}(i + j - s)]

    over the multi-indices ``j`` of ``weights``, ``ext`` applied per axis (``constant``:
    ``cval`` wherever any coordinate leaves the image). As in ndimage, weights with
    ``|w| <= 2.2e-16`` (float64's epsilon) are left out of the sum, so a NaN or inf in
    the image does not spread through the kernel's zeros; real images are summed in
    float64 and rounded once into ``out``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(12.0).reshape(3, 4)
    >>> cross = np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]])
    >>> correlate_nd(x, cross, "nearest", 0.0, (0, 0), np.empty_like(x))[0]
    array([[ 5.,  4.,  4.,  3.],
           [ 1.,  0.,  0., -1.],
           [-3., -4., -4., -5.]])
    """
    _check_arrays(image, weights, out)
    if image.size == 0:
        return out, True
    if image.dtype.kind == "c" or weights.dtype.kind == "c":
        return _complex_parts(correlate_nd, image, weights, cval, out, mode=mode,
                              origins=origins)
    weights = np.asarray(weights, dtype=np.float64)
    kept = np.abs(weights) > np.finfo(np.float64).eps
    if not kept.any():
        out[...] = 0   # ndimage's sum over no weights
        return out, True
    shape = weights.shape
    shifts = np.array([size // 2 + origin for size, origin in zip(shape, origins,
                                                                  strict=True)])
    # the tap rows (multi-indices over the leading axes) holding a kept weight
    kept_rows = kept.reshape(-1, shape[-1])
    rows = np.flatnonzero(kept_rows.any(axis=1))
    offsets = np.zeros((rows.size, image.ndim - 1), dtype=np.int64)
    if image.ndim > 1:
        for d, index in enumerate(np.unravel_index(rows, shape[:-1])):
            offsets[:, d] = index - shifts[d]
    row_ptr = np.concatenate(([0], np.cumsum(kept_rows[rows].sum(axis=1))))
    cols = np.nonzero(kept_rows[rows])[1]
    taps = weights.reshape(-1, shape[-1])[rows][kept_rows[rows]]
    finite = _run(image, out, image.shape[:-1], offsets, row_ptr, cols, taps, mode, cval,
                  shifts[-1], shape[-1])
    return out, finite


def _complex_parts(func, image, weights, cval, out, **kwargs):
    """Complex image or weights: real ``func`` on the parts, combined as ndimage does
    (complex weights conjugated; ``cval``'s real part extends the real parts, its
    imaginary part the imaginary parts). Returns ``(out, None)``: whether the combined
    parts are finite is not known."""
    real_dtype = np.finfo(image.dtype).dtype if image.dtype.kind == "c" else image.dtype
    cval = complex(cval)

    def part(values, w, value):
        result = np.empty(values.shape, real_dtype)
        return func(np.ascontiguousarray(values, dtype=real_dtype), np.ascontiguousarray(w),
                    cval=value, out=result, **kwargs)[0]

    if weights.dtype.kind == "c":
        weights = weights.conj()
        if image.dtype.kind == "c":
            out.real = part(image.real, weights.real, cval.real)
            out.real -= part(image.imag, weights.imag, cval.imag)
            out.imag = part(image.real, weights.imag, cval.real)
            out.imag += part(image.imag, weights.real, cval.imag)
        else:
            out.real = part(image, weights.real, cval.real)
            out.imag = part(image, weights.imag, cval.real)
    else:
        out.real = part(image.real, weights, cval.real)
        out.imag = part(image.imag, weights, cval.imag)
    return out, None
