"""The driver of the ``scipy.ndimage``-style correlation kernels (private).

:func:`correlate_axis` is ``scipy.ndimage.correlate1d`` on validated arguments: it views
the image as ``(outer, n, inner)``, picks the kernel (contiguous rows or lines), the
blocking and the serial or parallel twin, and runs it into ``out``. The public filters
(:mod:`sigconv.filters`) validate and call it.
"""

import math

import numpy as np

#: scipy.ndimage's boundary modes for its filters, by the code of the extension they use:
#: in a filter ``grid-mirror`` is ``reflect``, ``grid-wrap`` is ``wrap`` and
#: ``grid-constant`` is ``constant`` (the grid modes differ only in interpolation)
MODE_CODES = {"nearest": 0, "wrap": 1, "grid-wrap": 1, "reflect": 2, "grid-mirror": 2,
              "mirror": 3, "constant": 4, "grid-constant": 4}

#: columns per task of the row kernel (axis not last): the accumulator block and the
#: rows that the taps read stay in L1/L2 from one output row to the next
ROWS_BLOCK = 1024
#: outputs per task of the line kernel (last axis): the extended copy of the line and
#: the accumulator stay in L1
LINES_BLOCK = 2048
#: the parallel kernels run when there are this many tasks or more at the most blocking,
#: so that both cores stay busy; runs of output rows are split to reach it
MIN_TASKS = 16
#: below this many multiply-adds the serial twin wins (a parallel launch costs ~10 us)
PARALLEL_MIN_MACS = 60_000


def _kernels():
    from .kernels import ndimage

    return ndimage


def _use_parallel(macs):
    if macs < PARALLEL_MIN_MACS:
        return False
    from ._jit import in_single_thread

    return not in_single_thread()


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
    numpy.ndarray
        ``out``.

    Notes
    -----
    With ``k = len(weights)`` and ``s = k // 2 + origin``, along ``axis``

    .. math:: out[i] = \\sum_{j=0}^{k-1} w_j \\, x[\\mathrm{ext}(i + j - s)]

    where ``ext`` maps a position outside ``[0, n)`` into the line by ``mode`` (or reads
    ``cval``). Real images accumulate in float64 (as ndimage) and round once into
    ``out``. A NaN or inf spreads over the outputs whose window holds it, as in ndimage;
    a sum that overflows gives ``inf`` (or ``nan`` for ``inf - inf``), as in ndimage.
    Complex images are filtered as ndimage does, one real correlation per part.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([2.0, 8, 0, 4, 1, 9, 9, 0])
    >>> correlate_axis(x, np.array([1.0, 3]), 0, "reflect", 0.0, 0, np.empty_like(x))
    array([ 8., 26.,  8., 12.,  7., 28., 36.,  9.])
    """
    if image.size == 0:
        return out
    if image.dtype.kind == "c" or weights.dtype.kind == "c":
        return _complex_axis(image, weights, axis, mode, cval, origin, out)
    code = MODE_CODES[mode]
    shape = image.shape
    outer = math.prod(shape[:axis])
    n = shape[axis]
    inner = math.prod(shape[axis + 1:])
    k = weights.shape[0]
    shift = k // 2 + origin
    # float64 sums for float32 too: ndimage's, and free while memory bound
    taps = np.ascontiguousarray(weights, dtype=np.float64)
    cval = float(cval)
    parallel = _use_parallel(image.size * k)
    kernels = _kernels()
    if inner > 1:
        block = ROWS_BLOCK
        n_blocks = -(-inner // block)
        rows_per_task = n
        if parallel and outer * n_blocks < MIN_TASKS:
            # split the output rows into runs (each re-reads k - 1 rows at its start)
            runs = -(-MIN_TASKS // (outer * n_blocks))
            rows_per_task = max(1, -(-n // runs))
        kernel = kernels.correlate_rows_parallel if parallel else kernels.correlate_rows_serial
        kernel(image.reshape(outer, n, inner), taps, out.reshape(outer, n, inner), code,
               cval, shift, block, rows_per_task)
    else:
        block = LINES_BLOCK
        if parallel and outer * -(-n // block) < MIN_TASKS:
            block = max(256, -(-n * outer // MIN_TASKS))
        kernel = (kernels.correlate_lines_parallel if parallel
                  else kernels.correlate_lines_serial)
        kernel(image.reshape(outer, n), taps, out.reshape(outer, n), code, cval, shift,
               block)
    return out


def _complex_axis(image, weights, axis, mode, cval, origin, out):
    """Complex image or weights: real correlations of the parts, as ndimage combines
    them (complex weights conjugated; ``cval``'s real part extends the real parts, its
    imaginary part the imaginary parts)."""
    real_dtype = np.finfo(image.dtype).dtype if image.dtype.kind == "c" else image.dtype
    cval = complex(cval)

    def part(values, w, value):
        result = np.empty(values.shape, real_dtype)
        correlate_axis(np.ascontiguousarray(values, dtype=real_dtype),
                       np.ascontiguousarray(w), axis, mode, value, origin, result)
        return result

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
    return out
