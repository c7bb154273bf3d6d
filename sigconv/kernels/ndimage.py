"""CPU kernels for ``scipy.ndimage``-style correlations (numba, serial and ``prange``).

The image is extended beyond its edges by one of ndimage's boundary modes, given as its
code (``scipy.ndimage``'s own numbering, :data:`MODE_CODES` in :mod:`sigconv._ndimage`):
``0`` nearest, ``1`` wrap, ``2`` reflect, ``3`` mirror, ``4`` constant (``cval``). Index
``p`` of a line of length ``n`` reads :func:`source_index` ``(p, n, mode)``.

1-D correlation along an axis
-----------------------------
The image is viewed as ``(outer, n, inner)`` (the axis in the middle) and

    out[o, i, c] = sum_j w[j] x[o, ext(i + j - shift), c],   shift = len(w) // 2 + origin.

* :func:`correlate_rows_serial` / ``_parallel`` (``inner > 1``): every tap of one output
  row is a whole contiguous row segment of the input, so the sum runs over the contiguous
  ``c`` with one scalar weight and one source row per tap (the boundary mapping is a
  scalar per tap; ``constant`` taps outside the image add ``cval w[j]``). A task is one
  block of ``c`` over a run of consecutive output rows: the ``len(w)`` source rows it
  reads stay in cache from one output row to the next.
* :func:`correlate_lines_serial` / ``_parallel`` (``inner == 1``): a task copies the part
  of one line that a block of outputs reads, extended by the mode, into a small buffer
  and sweeps it with the weights, four taps per sweep.

Both accumulate in the dtype of ``weights`` (the driver passes float64 weights for a
float32 image: the sums are those of ndimage, which works in double precision) and round
once into ``out``. A task owns its block of ``out``; no index leaves the arrays.
"""

import numpy as np
from numba import prange

from .._jit import jit, twins

#: boundary mode codes (scipy.ndimage's)
NEAREST, WRAP, REFLECT, MIRROR, CONSTANT = 0, 1, 2, 3, 4


@jit(inline="always")
def source_index(p, n, mode):
    """The index in ``[0, n)`` that position ``p`` of the extended line reads, or -1
    where it reads ``cval`` (``constant``). ``n >= 1``."""
    if p >= 0 and p < n:
        return p
    if mode == NEAREST:
        return 0 if p < 0 else n - 1
    if mode == WRAP:
        return p % n   # Python's modulo: non-negative for a positive n
    if mode == REFLECT:   # d c b a | a b c d | d c b a: period 2n
        r = p % (2 * n)
        return r if r < n else 2 * n - 1 - r
    if mode == MIRROR:    # c b | a b c d | c b: period 2n - 2 (a single sample repeats)
        if n == 1:
            return 0
        r = p % (2 * n - 2)
        return r if r < n else 2 * n - 2 - r
    return -1


@jit(inline="always")
def _rows_task(task, image, weights, out, mode, cval, shift, block, rows_per_task):
    """Output rows ``[i0, i1)`` of one outer index, columns ``[c0, c1)``."""
    outer, n, inner = image.shape
    k = weights.shape[0]
    n_blocks = (inner + block - 1) // block
    n_chunks = (n + rows_per_task - 1) // rows_per_task
    c0 = (task % n_blocks) * block
    c1 = min(inner, c0 + block)
    rest = task // n_blocks
    i0 = (rest % n_chunks) * rows_per_task
    i1 = min(n, i0 + rows_per_task)
    o = rest // n_chunks
    length = c1 - c0
    acc = np.empty(length, weights.dtype)
    rows = np.empty(k, np.intp)
    taps = np.empty(k, weights.dtype)
    for i in range(i0, i1):
        # the taps that read the image (rows, taps) and the constant from the others
        m = 0
        constant = weights[0] * 0
        for j in range(k):
            r = source_index(i + j - shift, n, mode)
            if r < 0:
                constant += weights[j] * cval
            else:
                rows[m] = r
                taps[m] = weights[j]
                m += 1
        j = 0
        # the first sweep writes acc, the others add to it: four taps per sweep
        first = True
        while j < m or first:
            count = min(4, m - j)
            if count == 4:
                w0 = taps[j]
                w1 = taps[j + 1]
                w2 = taps[j + 2]
                w3 = taps[j + 3]
                x0 = image[o, rows[j], c0:c1]
                x1 = image[o, rows[j + 1], c0:c1]
                x2 = image[o, rows[j + 2], c0:c1]
                x3 = image[o, rows[j + 3], c0:c1]
                if first:
                    for t in range(length):
                        acc[t] = constant + w0 * x0[t] + w1 * x1[t] + w2 * x2[t] + w3 * x3[t]
                else:
                    for t in range(length):
                        acc[t] += w0 * x0[t] + w1 * x1[t] + w2 * x2[t] + w3 * x3[t]
            elif count == 3:
                w0 = taps[j]
                w1 = taps[j + 1]
                w2 = taps[j + 2]
                x0 = image[o, rows[j], c0:c1]
                x1 = image[o, rows[j + 1], c0:c1]
                x2 = image[o, rows[j + 2], c0:c1]
                if first:
                    for t in range(length):
                        acc[t] = constant + w0 * x0[t] + w1 * x1[t] + w2 * x2[t]
                else:
                    for t in range(length):
                        acc[t] += w0 * x0[t] + w1 * x1[t] + w2 * x2[t]
            elif count == 2:
                w0 = taps[j]
                w1 = taps[j + 1]
                x0 = image[o, rows[j], c0:c1]
                x1 = image[o, rows[j + 1], c0:c1]
                if first:
                    for t in range(length):
                        acc[t] = constant + w0 * x0[t] + w1 * x1[t]
                else:
                    for t in range(length):
                        acc[t] += w0 * x0[t] + w1 * x1[t]
            elif count == 1:
                w0 = taps[j]
                x0 = image[o, rows[j], c0:c1]
                if first:
                    for t in range(length):
                        acc[t] = constant + w0 * x0[t]
                else:
                    for t in range(length):
                        acc[t] += w0 * x0[t]
            else:   # every tap reads cval
                for t in range(length):
                    acc[t] = constant
            first = False
            j += 4
        dest = out[o, i, c0:c1]
        for t in range(length):
            dest[t] = acc[t]


def _correlate_rows(image, weights, out, mode, cval, shift, block, rows_per_task):
    """``out[o, i, c] = sum_j weights[j] image[o, ext(i + j - shift), c]`` for 3-D
    C-contiguous ``image`` and ``out`` of one shape, ``ext`` the boundary ``mode``.

    Tasks: blocks of ``block`` columns times runs of ``rows_per_task`` output rows, per
    outer index. Compiled twice (:func:`sigconv._jit.twins`): ``correlate_rows_serial`` on
    the calling thread, ``correlate_rows_parallel`` over numba's threads.
    """
    outer, n, inner = image.shape
    n_tasks = (outer * ((n + rows_per_task - 1) // rows_per_task)
               * ((inner + block - 1) // block))
    for task in prange(n_tasks):
        _rows_task(task, image, weights, out, mode, cval, shift, block, rows_per_task)


correlate_rows_serial, correlate_rows_parallel = twins(_correlate_rows)


@jit(inline="always")
def _lines_task(task, image, weights, out, mode, cval, shift, block):
    """Outputs ``[t0, t1)`` of line ``task // n_blocks``."""
    outer, n = image.shape
    k = weights.shape[0]
    n_blocks = (n + block - 1) // block
    line = image[task // n_blocks]
    dest = out[task // n_blocks]
    t0 = (task % n_blocks) * block
    t1 = min(n, t0 + block)
    length = t1 - t0
    # buf[u] = extended line at t0 - shift + u, for every position the block reads
    size = length + k - 1
    buf = np.empty(size, weights.dtype)
    start = t0 - shift
    u_lo = min(size, max(0, -start))
    u_hi = max(u_lo, min(size, n - start))
    for u in range(u_lo):
        r = source_index(start + u, n, mode)
        buf[u] = cval if r < 0 else line[r]
    inside = line[start + u_lo:start + u_hi]
    for u in range(u_hi - u_lo):
        buf[u_lo + u] = inside[u]
    for u in range(u_hi, size):
        r = source_index(start + u, n, mode)
        buf[u] = cval if r < 0 else line[r]
    acc = np.empty(length, weights.dtype)
    j = 0
    first = True
    while j < k:
        count = min(4, k - j)
        # indexing views from 0 lets LLVM drop the negative-index wraparound and vectorise
        if count == 4:
            w0 = weights[j]
            w1 = weights[j + 1]
            w2 = weights[j + 2]
            w3 = weights[j + 3]
            xs = buf[j:j + length + 3]
            if first:
                for t in range(length):
                    acc[t] = w0 * xs[t] + w1 * xs[t + 1] + w2 * xs[t + 2] + w3 * xs[t + 3]
            else:
                for t in range(length):
                    acc[t] += w0 * xs[t] + w1 * xs[t + 1] + w2 * xs[t + 2] + w3 * xs[t + 3]
        elif count == 3:
            w0 = weights[j]
            w1 = weights[j + 1]
            w2 = weights[j + 2]
            xs = buf[j:j + length + 2]
            if first:
                for t in range(length):
                    acc[t] = w0 * xs[t] + w1 * xs[t + 1] + w2 * xs[t + 2]
            else:
                for t in range(length):
                    acc[t] += w0 * xs[t] + w1 * xs[t + 1] + w2 * xs[t + 2]
        elif count == 2:
            w0 = weights[j]
            w1 = weights[j + 1]
            xs = buf[j:j + length + 1]
            if first:
                for t in range(length):
                    acc[t] = w0 * xs[t] + w1 * xs[t + 1]
            else:
                for t in range(length):
                    acc[t] += w0 * xs[t] + w1 * xs[t + 1]
        else:
            w0 = weights[j]
            xs = buf[j:j + length]
            if first:
                for t in range(length):
                    acc[t] = w0 * xs[t]
            else:
                for t in range(length):
                    acc[t] += w0 * xs[t]
        first = False
        j += 4
    part = dest[t0:t1]
    for t in range(length):
        part[t] = acc[t]


def _correlate_lines(image, weights, out, mode, cval, shift, block):
    """``out[o, t] = sum_j weights[j] image[o, ext(t + j - shift)]`` for 2-D C-contiguous
    ``image`` and ``out`` of one shape, ``ext`` the boundary ``mode``.

    Tasks: blocks of ``block`` outputs of one line. Compiled twice
    (:func:`sigconv._jit.twins`): ``correlate_lines_serial`` on the calling thread,
    ``correlate_lines_parallel`` over numba's threads.
    """
    outer, n = image.shape
    n_tasks = outer * ((n + block - 1) // block)
    for task in prange(n_tasks):
        _lines_task(task, image, weights, out, mode, cval, shift, block)


correlate_lines_serial, correlate_lines_parallel = twins(_correlate_lines)
