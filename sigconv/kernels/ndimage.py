"""CPU kernels for ``scipy.ndimage``-style correlations (numba, serial and ``prange``).

The image is extended beyond its edges by one of ndimage's boundary modes, given as its
code (``scipy.ndimage``'s own numbering): ``0`` nearest, ``1`` wrap, ``2`` reflect,
``3`` mirror, ``4`` constant (``cval``). Position ``p`` of an axis of length ``n`` reads
index :func:`source_index` ``(p, n, mode)``.

One kernel, :func:`correlate_serial` / :func:`correlate_parallel`, serves the 1-D
correlation along any axis and the N-D correlation with a small kernel. The image is a
2-D view ``(R, n)``: its last axis, and its other axes flattened into rows (their shape
``rows_shape``). The weights are given as their non-zero *taps*, grouped by *tap row*
(a multi-index over the weights' axes but the last):

* ``row_offsets[r]``: the offset of tap row ``r`` along each row axis (``J - shift``);
* ``row_ptr[r]:row_ptr[r + 1]``: its taps, ``cols`` (index along the weights' last axis)
  and ``taps`` (the weights);

and, with ``shift`` the offset along the last axis,

    out[I, t] = sum_r sum_q taps[q] x[ext(I + row_offsets[r]), ext(t + cols[q] - shift)].

A 1-D correlation along a leading axis is ``k`` tap rows of one tap each (the last
axis of the view is the contiguous ``inner`` block after the axis); along the last axis
it is one tap row of ``k`` taps.

Work is split into tasks: a run of consecutive output rows times a block of outputs along
the last axis (consecutive rows share most of their source rows, which stay in cache).
For each output row the taps whose source row leaves the image in ``constant`` mode add
``cval * w``; the others are swept over the block four at a time, each sweep one
contiguous loop that LLVM vectorises, reading the image rows in place. The few outputs
within ``k - 1`` of the last axis's edges are summed tap by tap, each tap's column
extended by the mode; where those would cost more than a pass over the block (long
kernels on short lines), and for float32 lines (one conversion per sample instead of one
per tap), the source rows are first copied, extended by the mode, into float64 buffers
and the whole block is swept from them. The sums are in float64 (``taps``' dtype, as
ndimage's) and rounded once into ``out``. A task owns its block of ``out``; no index
leaves the arrays.
"""

import numpy as np
from numba import prange

from .._jit import jit, twins

#: boundary mode codes (scipy.ndimage's)
NEAREST, WRAP, REFLECT, MIRROR, CONSTANT = 0, 1, 2, 3, 4


@jit(inline="always")
def source_index(p, n, mode):
    """The index in ``[0, n)`` that position ``p`` of the extended axis reads, or -1
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


@jit
def _sweep(dest, acc, src, src_rows, cols, taps, m, base, constant):
    """``dest[t] = constant + sum_{q < m} taps[q] src[src_rows[q], base + cols[q] + t]``.

    The taps go four at a time over the float64 scratch ``acc`` (in L1: a quarter of the
    loads and stores of one tap per pass), the first ``m % 4`` (or 4) in the first pass
    and the last four straight into ``dest`` (rounded once into its dtype). Not inlined:
    it is compiled once per source dtype (the image's rows, or the float64 copies of
    rows extended by the mode) and called once per output row and block.
    """
    length = dest.shape[0]
    if m == 0:
        for t in range(length):
            dest[t] = constant
        return
    # views indexed from 0 let LLVM drop numba's negative-index wraparound, which is what
    # allows the loops to vectorise
    count = m - 4 * ((m - 1) // 4)   # 1 to 4 taps in the first pass
    last = count == m
    w0 = taps[0]
    x0 = src[src_rows[0], base + cols[0]:base + cols[0] + length]
    if count == 1:
        if last:
            for t in range(length):
                dest[t] = constant + w0 * x0[t]
        else:
            for t in range(length):
                acc[t] = w0 * x0[t]
    else:
        w1 = taps[1]
        x1 = src[src_rows[1], base + cols[1]:base + cols[1] + length]
        if count == 2:
            if last:
                for t in range(length):
                    dest[t] = constant + w0 * x0[t] + w1 * x1[t]
            else:
                for t in range(length):
                    acc[t] = w0 * x0[t] + w1 * x1[t]
        else:
            w2 = taps[2]
            x2 = src[src_rows[2], base + cols[2]:base + cols[2] + length]
            if count == 3:
                if last:
                    for t in range(length):
                        dest[t] = constant + w0 * x0[t] + w1 * x1[t] + w2 * x2[t]
                else:
                    for t in range(length):
                        acc[t] = w0 * x0[t] + w1 * x1[t] + w2 * x2[t]
            else:
                w3 = taps[3]
                x3 = src[src_rows[3], base + cols[3]:base + cols[3] + length]
                if last:
                    for t in range(length):
                        dest[t] = (constant + w0 * x0[t] + w1 * x1[t] + w2 * x2[t]
                                   + w3 * x3[t])
                else:
                    for t in range(length):
                        acc[t] = w0 * x0[t] + w1 * x1[t] + w2 * x2[t] + w3 * x3[t]
    q = count
    while q < m:
        w0 = taps[q]
        w1 = taps[q + 1]
        w2 = taps[q + 2]
        w3 = taps[q + 3]
        x0 = src[src_rows[q], base + cols[q]:base + cols[q] + length]
        x1 = src[src_rows[q + 1], base + cols[q + 1]:base + cols[q + 1] + length]
        x2 = src[src_rows[q + 2], base + cols[q + 2]:base + cols[q + 2] + length]
        x3 = src[src_rows[q + 3], base + cols[q + 3]:base + cols[q + 3] + length]
        q += 4
        if q < m:
            for t in range(length):
                acc[t] += w0 * x0[t] + w1 * x1[t] + w2 * x2[t] + w3 * x3[t]
        else:
            for t in range(length):
                dest[t] = (constant + acc[t] + w0 * x0[t] + w1 * x1[t] + w2 * x2[t]
                           + w3 * x3[t])


@jit(inline="always")
def _non_finite(values):
    """How many of ``values`` are NaN or infinite (``v - v`` is 0 only for finite ``v``):
    one vectorised pass."""
    count = 0
    for t in range(values.shape[0]):
        value = values[t]
        count += value - value != 0
    return count


@jit(inline="always")
def _copy_rows(buf, image, n_rows_used, row_source, start, mode, cval):
    """``buf[b, u]``: position ``start + u`` of source row ``row_source[b]``, extended by
    the mode along the last axis (a float64 copy: one conversion per sample)."""
    n = image.shape[1]
    size = buf.shape[1]
    # [u_lo, u_hi) lies inside the row
    u_lo = min(size, max(0, -start))
    u_hi = max(u_lo, min(size, n - start))
    for b in range(n_rows_used):
        line = image[row_source[b]]
        dest = buf[b]
        for u in range(u_lo):
            r = source_index(start + u, n, mode)
            dest[u] = cval if r < 0 else line[r]
        inside = line[start + u_lo:start + u_hi]
        part = dest[u_lo:u_hi]
        for u in range(u_hi - u_lo):
            part[u] = inside[u]
        for u in range(u_hi, size):
            r = source_index(start + u, n, mode)
            dest[u] = cval if r < 0 else line[r]


@jit(inline="always")
def _edge_outputs(dest, image, t_lo, t_hi, tap_rows, tap_cols, tap_w, m, mode, cval,
                  shift, constant):
    """``dest`` = outputs ``[t_lo, t_hi)`` of a row, each tap's column extended by the
    mode one at a time (the few outputs within ``k - 1`` of an edge)."""
    n = image.shape[1]
    for t in range(t_lo, t_hi):
        total = constant
        for q in range(m):
            r = source_index(t + tap_cols[q] - shift, n, mode)
            total += tap_w[q] * (cval if r < 0 else image[tap_rows[q], r])
        dest[t - t_lo] = total


@jit
def _correlate_task(task, image, out, rows_shape, row_offsets, row_ptr, cols, taps, mode,
                    cval, shift, k_last, block, rows_per_task, copy_rows):
    """Rows ``[r0, r1)``, outputs ``[t0, t1)`` along the last axis; returns how many of
    the outputs written are NaN or infinite (each block counted while it is in cache).

    Not inlined into the loops over tasks: the serial and the parallel twin call the one
    compiled body (numba's parallel lowering of a large inlined body took most of the
    compile time, and a call per task costs nothing next to its work).
    """
    n_rows, n = image.shape
    n_tap_rows = row_ptr.shape[0] - 1
    n_taps = cols.shape[0]
    n_dims = rows_shape.shape[0]
    n_runs = (n_rows + rows_per_task - 1) // rows_per_task
    t0 = (task // n_runs) * block
    t1 = min(n, t0 + block)
    r0 = (task % n_runs) * rows_per_task
    r1 = min(n_rows, r0 + rows_per_task)
    # outputs in [lo, hi) read inside the image along the last axis: read in place
    lo = min(t1, max(t0, shift))
    hi = max(lo, min(t1, n - (k_last - 1 - shift)))
    # the whole block from float64 copies of the source rows extended by the mode: for
    # float32 lines (copy_rows: one conversion per sample, not one per tap), and where
    # the edges' scalar sums (about 2 (k - 1) k multiply-adds per tap row) would cost
    # more than copying the rows (a vectorised pass over the block)
    copied = copy_rows or ((lo > t0 or hi < t1) and 4 * k_last * (k_last - 1) > t1 - t0)
    acc = np.empty(t1 - t0, taps.dtype)
    tap_rows = np.empty(n_taps, np.intp)      # the source row of each tap
    tap_buf_rows = np.empty(n_taps, np.intp)  # its row in the copies
    tap_cols = np.empty(n_taps, np.intp)
    tap_w = np.empty(n_taps, taps.dtype)
    row_source = np.empty(n_tap_rows, np.intp)
    buf = np.empty((n_tap_rows if copied else 0, t1 - t0 + k_last - 1), taps.dtype)
    # the multi-index of the row (over rows_shape), advanced row by row
    coords = np.empty(n_dims, np.intp)
    strides = np.empty(n_dims, np.intp)
    rest = r0
    stride = 1
    for d in range(n_dims - 1, -1, -1):
        coords[d] = rest % rows_shape[d]
        rest //= rows_shape[d]
        strides[d] = stride
        stride *= rows_shape[d]
    non_finite = 0
    for row in range(r0, r1):
        constant = 0.0
        # counts of the taps and source rows in use (started from a non-literal 0: a
        # literal one would compile _sweep once more, for a row with no tap)
        m = row - row
        used = row - row
        for tr in range(n_tap_rows):
            # the source row: the row's multi-index + the tap row's offsets, extended
            source = 0
            for d in range(n_dims):
                index = source_index(coords[d] + row_offsets[tr, d], rows_shape[d], mode)
                if index < 0:
                    source = -1
                    break
                source += index * strides[d]
            if source < 0:
                for q in range(row_ptr[tr], row_ptr[tr + 1]):
                    constant += taps[q] * cval
                continue
            row_source[used] = source
            for q in range(row_ptr[tr], row_ptr[tr + 1]):
                tap_rows[m] = source
                tap_buf_rows[m] = used
                tap_cols[m] = cols[q]
                tap_w[m] = taps[q]
                m += 1
            used += 1
        dest = out[row, t0:t1]
        if copied:
            _copy_rows(buf, image, used, row_source, t0 - shift, mode, cval)
            _sweep(dest, acc, buf, tap_buf_rows, tap_cols, tap_w, m, t0 - t0, constant)
        else:
            _edge_outputs(dest[:lo - t0], image, t0, lo, tap_rows, tap_cols, tap_w, m, mode,
                          cval, shift, constant)
            if hi > lo:
                _sweep(dest[lo - t0:hi - t0], acc, image, tap_rows, tap_cols, tap_w, m,
                       lo - shift, constant)
            _edge_outputs(dest[hi - t0:], image, hi, t1, tap_rows, tap_cols, tap_w, m, mode,
                          cval, shift, constant)
        non_finite += _non_finite(dest)
        # next row's multi-index
        d = n_dims - 1
        while d >= 0:
            coords[d] += 1
            if coords[d] < rows_shape[d]:
                break
            coords[d] = 0
            d -= 1
    return non_finite


def _correlate(image, out, rows_shape, row_offsets, row_ptr, cols, taps, mode, cval,
               shift, k_last, block, rows_per_task, copy_rows):
    """``out[I, t] = sum_r sum_q taps[q] image[ext(I + row_offsets[r]),
    ext(t + cols[q] - shift)]`` (``q`` over tap row ``r``'s taps ``row_ptr[r]:row_ptr[r +
    1]``), ``image`` and ``out`` 2-D C-contiguous ``(prod(rows_shape), n)``, ``ext`` the
    boundary ``mode``, ``k_last`` the weights' length along the last axis.

    Tasks: blocks of ``block`` outputs along the last axis times runs of
    ``rows_per_task`` rows; ``copy_rows``: sweep float64 copies of the source rows (for
    float32 lines) rather than the rows in place. Compiled twice (:func:`sigconv._jit.twins`):
    ``correlate_serial`` on the calling thread, ``correlate_parallel`` over numba's
    threads. Returns the number of outputs that are NaN or infinite.
    """
    n_rows, n = image.shape
    n_tasks = ((n_rows + rows_per_task - 1) // rows_per_task) * ((n + block - 1) // block)
    non_finite = 0
    for task in prange(n_tasks):
        # a signed task index: prange's is unsigned, which would compile the task twice
        non_finite += _correlate_task(np.intp(task), image, out, rows_shape, row_offsets,
                                      row_ptr, cols, taps, mode, cval, shift, k_last, block,
                                      rows_per_task, copy_rows)
    return non_finite


correlate_serial, correlate_parallel = twins(_correlate)


@jit(inline="always")
def _box_segment_direct(dest, ext, lo, hi, size, inv):
    """``dest[u] = sum(inv * ext[u:u + size])`` for ``u`` in ``[lo, hi)`` (the terms
    scaled first, as correlate_axis's: two values near the largest float do not
    overflow)."""
    for u in range(lo, hi):
        total = 0.0
        for j in range(size):
            total += inv * ext[u + j]
        dest[u] = total


@jit
def _box_task(task, image, out, size, mode, cval, shift, block, lines_per_task):
    """Outputs ``[t0, t1)`` of lines ``[l0, l1)``: per line, four running sums over four
    consecutive segments, advanced in lockstep (independent additions, which the core
    overlaps); a segment whose means are not all finite is summed directly instead, so
    that a NaN or inf reaches only the outputs whose window holds it. Returns how many
    outputs are NaN or infinite. Not inlined: one compiled body for the serial and the
    parallel twin (as :func:`_correlate_task`)."""
    n_lines, n = image.shape
    n_runs = (n_lines + lines_per_task - 1) // lines_per_task
    t0 = (task // n_runs) * block
    t1 = min(n, t0 + block)
    l0 = (task % n_runs) * lines_per_task
    l1 = min(n_lines, l0 + lines_per_task)
    length = t1 - t0
    inv = 1.0 / size
    seg = length // 4
    buf = np.empty((1, length + size - 1), np.float64)
    ext = buf[0]
    source = np.empty(1, np.intp)
    # step[u] = ext[u + size] - ext[u]: what the window gains and loses moving to u + 1
    step = np.empty(length, np.float64)
    gained = ext[size:size + length - 1]
    lost = ext[:length - 1]
    starts = np.empty(4, np.float64)
    non_finite = 0
    for line in range(l0, l1):
        source[0] = line
        _copy_rows(buf, image, 1, source, t0 - shift, mode, cval)
        dest = out[line, t0:t1]
        if seg < 2:
            _box_segment_direct(dest, ext, 0, length, size, inv)
            non_finite += _non_finite(dest)
            continue
        for u in range(length - 1):
            step[u] = gained[u] - lost[u]
        for c in range(4):
            total = 0.0
            for j in range(size):
                total += ext[c * seg + j]
            starts[c] = total
        s0 = starts[0]
        s1 = starts[1]
        s2 = starts[2]
        s3 = starts[3]
        d0 = dest[0:seg]
        d1 = dest[seg:2 * seg]
        d2 = dest[2 * seg:3 * seg]
        d3 = dest[3 * seg:length]
        st0 = step[0:seg]
        st1 = step[seg:2 * seg]
        st2 = step[2 * seg:3 * seg]
        st3 = step[3 * seg:length]
        d0[0] = s0 * inv
        d1[0] = s1 * inv
        d2[0] = s2 * inv
        d3[0] = s3 * inv
        for t in range(1, seg):
            s0 += st0[t - 1]
            s1 += st1[t - 1]
            s2 += st2[t - 1]
            s3 += st3[t - 1]
            d0[t] = s0 * inv
            d1[t] = s1 * inv
            d2[t] = s2 * inv
            d3[t] = s3 * inv
        for t in range(seg, length - 3 * seg):   # the last segment's remainder
            s3 += st3[t - 1]
            d3[t] = s3 * inv
        for c in range(4):
            lo = c * seg
            hi = length if c == 3 else lo + seg
            if _non_finite(dest[lo:hi]):
                _box_segment_direct(dest, ext, lo, hi, size, inv)
                non_finite += _non_finite(dest[lo:hi])
    return non_finite


def _box_lines(image, out, size, mode, cval, shift, block, lines_per_task):
    """``out[o, t] = mean_{j < size} image[o, ext(t + j - shift)]`` for 2-D C-contiguous
    ``image`` and ``out`` of one shape (``scipy.ndimage.uniform_filter1d`` along the last
    axis): running sums, two additions per output whatever ``size``.

    Tasks: blocks of ``block`` outputs times runs of ``lines_per_task`` lines. Compiled
    twice (:func:`sigconv._jit.twins`): ``box_lines_serial`` on the calling thread,
    ``box_lines_parallel`` over numba's threads. Returns the number of outputs that are
    NaN or infinite.
    """
    n_lines, n = image.shape
    n_tasks = ((n_lines + lines_per_task - 1) // lines_per_task) * ((n + block - 1) // block)
    non_finite = 0
    for task in prange(n_tasks):
        # a signed task index: prange's is unsigned, which would compile the task twice
        non_finite += _box_task(np.intp(task), image, out, size, mode, cval, shift, block,
                                lines_per_task)
    return non_finite


box_lines_serial, box_lines_parallel = twins(_box_lines)
