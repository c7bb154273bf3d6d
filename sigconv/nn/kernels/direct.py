"""Numba kernels of the direct convolution algorithm (``sigconv.nn._conv_direct``).

A convolution layer with few input channels (the first layer of a network: 1 or 3
channels) does too little work per im2col row for a matrix product to pay for the copy.
These kernels compute the Keras cross-correlation in place instead::

    out[b, i, j, f] = sum_{a, c, ch} x[b, i*sh + a*dh - ph, j*sw + c*dw - pw, ch]
                                     * kernel[a, c, ch, f]

The innermost loop always runs over the filters ``f``, the contiguous last axis of the
output, the kernel and the output gradient, so LLVM vectorises it without ``fastmath`` (the
lanes are independent outputs; no sum is reassociated). numba runs LLVM without its SLP
vectoriser, so accumulators cannot stay in scalar registers across the sum; they live in
memory (an L1-resident output row), and each pass of the filter loop does several
multiply-adds per load and store of it instead: nine terms of one pixel in the forward pass
(:func:`_forward_group`), two terms of four pixels in the kernel gradient
(:func:`_dkernel_pair`). The parallel kernels index only flat arrays that their loop does
not slice, so numba declares those arrays non-aliasing to LLVM and the vectorised loops run
without run-time overlap checks.

The sum over ``(a, c, ch)`` is walked as a list of *terms* per output row ``i``
(:func:`sigconv.nn._conv_direct.term_tables`): the kernel rows ``a`` whose input row lies
inside the input are a
contiguous range, so term ``r`` of row ``i`` multiplies kernel row ``first[i] + r`` (rows of
``filters`` entries of the kernel seen as ``(kh * kw * C, filters)``), and reads
``x.flat[xoff[i, r] + (b * H * W + j * sw) * C]`` for pixel ``(b, i, j)``. Pixels whose
every column lies inside the input (the *interior*, every pixel for ``"valid"``) read their
terms unchecked; the others check each term's column ``col[i, r] + j * sw``, so that no
index ever leaves its array (padding is never read). Offsets are unsigned when indexing, so
numba adds no negative-index wraparound to the loops.

The two kernels are compiled twice each (:func:`sigconv._jit.twins`): ``forward_parallel``
and ``kernel_gradient_parallel`` are parallel loops, used also for one thread on large
problems (the caller sets numba's thread count): only a parallel loop gets the
non-aliasing arrays, which makes even one thread faster than a plain loop (1.1-1.6x on the
digits net's first layer). ``forward_serial`` and ``kernel_gradient_serial`` serve small
problems, where that gain is tens of microseconds, and compile in about half the time
(numba's parallel passes dominate the first call of a small network). Every task owns
the memory it writes: an output line (forward), a kernel-gradient buffer of its own for a
range of lines, summed afterwards by the caller (kernel gradient). The input gradient is
gemm's col2im (a gather kernel here measured 1.25-3x slower).
"""

import numpy as np
from numba import prange

from ..._jit import jit, twins

_U = np.uint64


# --- forward ---------------------------------------------------------------------------

@jit(inline="always")
def _forward_group(xf, wf, of, o, x0, n_pixels, step, xoff, k, w, filters, accumulate):
    """Terms ``k .. k + 8`` of the table onto ``n_pixels`` neighbouring interior pixels
    (outputs from flat offset ``o``, inputs from ``x0``, ``step`` apart in ``x``), kernel
    rows from flat offset ``w``: one load-add-store of an output vector per nine
    multiply-adds (a plain store when ``accumulate`` is 0), summed as a tree so that the
    additions of one vector do not wait on each other in a chain."""
    nf = _U(filters)
    uk = _U(k)
    t0, t1, t2 = xoff[uk], xoff[uk + _U(1)], xoff[uk + _U(2)]
    t3, t4, t5 = xoff[uk + _U(3)], xoff[uk + _U(4)], xoff[uk + _U(5)]
    t6, t7, t8 = xoff[uk + _U(6)], xoff[uk + _U(7)], xoff[uk + _U(8)]
    w0 = _U(w)
    w1 = w0 + nf
    w2 = w1 + nf
    w3 = w2 + nf
    w4 = w3 + nf
    w5 = w4 + nf
    w6 = w5 + nf
    w7 = w6 + nf
    w8 = w7 + nf
    for p in range(n_pixels):
        s = x0 + p * step
        e0, e1, e2 = xf[_U(s + t0)], xf[_U(s + t1)], xf[_U(s + t2)]
        e3, e4, e5 = xf[_U(s + t3)], xf[_U(s + t4)], xf[_U(s + t5)]
        e6, e7, e8 = xf[_U(s + t6)], xf[_U(s + t7)], xf[_U(s + t8)]
        uo = _U(o + p * filters)
        if accumulate != 0:
            for f in range(nf):
                of[uo + f] += (((e0 * wf[w0 + f] + e1 * wf[w1 + f])
                                + (e2 * wf[w2 + f] + e3 * wf[w3 + f]))
                               + ((e4 * wf[w4 + f] + e5 * wf[w5 + f])
                                  + (e6 * wf[w6 + f] + e7 * wf[w7 + f]))) + e8 * wf[w8 + f]
        else:
            for f in range(nf):
                of[uo + f] = (((e0 * wf[w0 + f] + e1 * wf[w1 + f])
                               + (e2 * wf[w2 + f] + e3 * wf[w3 + f]))
                              + ((e4 * wf[w4 + f] + e5 * wf[w5 + f])
                                 + (e6 * wf[w6 + f] + e7 * wf[w7 + f]))) + e8 * wf[w8 + f]


@jit(inline="always")
def _forward_edge(xf, wf, of, o, x0, j, sw, width, xoff, col, k, n, w, filters):
    """All ``n`` terms of one pixel whose taps may fall on the padding, one term at a time
    with a check of its column."""
    nf = _U(filters)
    uo = _U(o)
    for f in range(nf):
        of[uo + f] = 0
    for r in range(n):
        column = col[_U(k + r)] + j * sw
        if column >= 0 and column < width:
            e = xf[_U(xoff[_U(k + r)] + x0)]
            wr = _U(w + r * filters)
            for f in range(nf):
                of[uo + f] += e * wf[wr + f]


@jit(inline="always")
def _forward_line(xf, wf, of, line, dims, geometry, count, first, xoff, col, lo, hi):
    """Output line ``line = b * out_h + i``: the interior pixels nine terms at a time, term
    group by term group (a group's table entries and kernel rows serve the whole line),
    the others one by one."""
    height, width, channels, filters = dims
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    nf = _U(filters)
    b = line // out_h
    i = line - b * out_h
    n = count[i]
    k = i * kh * kw * channels
    w = first[i] * filters
    image = b * height * width * channels
    step = sw * channels
    o = line * out_w * filters
    for j in range(out_w):
        if j < lo or j >= hi:
            _forward_edge(xf, wf, of, o + j * filters, image + j * step, j, sw, width, xoff,
                          col, k, n, w, filters)
    o_lo = o + lo * filters
    x_lo = image + lo * step
    groups = n // 9
    if groups == 0:
        for e in range(_U(o_lo), _U(o + hi * filters)):
            of[e] = 0
    for g in range(groups):
        _forward_group(xf, wf, of, o_lo, x_lo, hi - lo, step, xoff, k + 9 * g,
                       w + 9 * g * filters, filters, 0 if g == 0 else 1)
    for r in range(9 * groups, n):
        t = xoff[_U(k + r)]
        wr = _U(w + r * filters)
        for p in range(hi - lo):
            e = xf[_U(x_lo + p * step + t)]
            uo = _U(o_lo + p * filters)
            for f in range(nf):
                of[uo + f] += e * wf[wr + f]


def _forward(x, kernel, out, geometry, count, first, xoff, col, lo, hi):
    """``out`` = the cross-correlation of ``x`` (B, H, W, C) with ``kernel`` (kh, kw, C, F)
    for the geometry tuple ``(kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w)``, one output
    line ``out[b, i]`` per task; ``count, first, xoff, col`` from
    :func:`sigconv.nn._conv_direct.term_tables`, ``lo, hi`` from
    :func:`sigconv.nn._conv_direct.interior`. Compiled as ``forward_serial`` and
    ``forward_parallel``."""
    batch, height, width, channels = x.shape
    dims = (height, width, channels, kernel.shape[3])
    xf, wf, of = x.reshape(-1), kernel.reshape(-1), out.reshape(-1)
    for line in prange(batch * geometry[8]):
        _forward_line(xf, wf, of, line, dims, geometry, count, first, xoff, col, lo, hi)


forward_serial, forward_parallel = twins(_forward)


# --- gradient with respect to the kernel ------------------------------------------------

@jit(inline="always")
def _dkernel_pair(xf, gf, df, g, x0, n_blocks, step, xoff, k, d, filters):
    """Terms ``k`` and ``k + 1`` of ``4 * n_blocks`` neighbouring interior pixels onto the
    kernel-gradient rows at ``df[d:d + 2 * filters]``: ``dk[r, f] += sum_p x[term r of
    pixel p] * grad[pixel p, f]``, four pixels per pass (8 multiply-adds per load-add-store
    of a gradient vector, summed as a tree). ``g`` is the flat offset of the first pixel's
    gradient, ``x0`` its offset in ``x``, ``step`` the distance of neighbours in ``x``."""
    nf = _U(filters)
    ta = xoff[_U(k)]
    tb = xoff[_U(k + 1)]
    da = _U(d)
    db = da + nf
    for q in range(n_blocks):
        s = x0 + 4 * q * step
        a0, a1 = xf[_U(s + ta)], xf[_U(s + step + ta)]
        a2, a3 = xf[_U(s + 2 * step + ta)], xf[_U(s + 3 * step + ta)]
        b0, b1 = xf[_U(s + tb)], xf[_U(s + step + tb)]
        b2, b3 = xf[_U(s + 2 * step + tb)], xf[_U(s + 3 * step + tb)]
        g0 = _U(g + 4 * q * filters)
        g1 = g0 + nf
        g2 = g1 + nf
        g3 = g2 + nf
        for f in range(nf):
            h0, h1, h2, h3 = gf[g0 + f], gf[g1 + f], gf[g2 + f], gf[g3 + f]
            df[da + f] += (a0 * h0 + a1 * h1) + (a2 * h2 + a3 * h3)
            df[db + f] += (b0 * h0 + b1 * h1) + (b2 * h2 + b3 * h3)


@jit(inline="always")
def _dkernel_term(xf, gf, df, g, x0, n_pixels, step, xoff, k, d, filters):
    """Term ``k`` of ``n_pixels`` neighbouring interior pixels onto the kernel-gradient
    row at ``df[d:d + filters]``, one pixel per pass."""
    nf = _U(filters)
    t = xoff[_U(k)]
    ud = _U(d)
    for p in range(n_pixels):
        e = xf[_U(x0 + p * step + t)]
        ug = _U(g + p * filters)
        for f in range(nf):
            df[ud + f] += e * gf[ug + f]


@jit(inline="always")
def _dkernel_block(xf, gf, df, x0, x1, x2, x3, g0, g1, g2, g3, xoff, k, n, d, filters):
    """All ``n`` terms of four interior pixels of full rows (any four: their inputs at
    ``x0 .. x3`` relative to the table row at ``xoff[k:]``, their gradients at ``g0 .. g3``)
    onto the kernel-gradient rows at ``df[d:]``, two terms per pass (8 multiply-adds per
    load-add-store of a gradient vector, summed as a tree)."""
    nf = _U(filters)
    u0, u1, u2, u3 = _U(g0), _U(g1), _U(g2), _U(g3)
    for r in range(0, n - 1, 2):
        ta = xoff[_U(k + r)]
        tb = xoff[_U(k + r + 1)]
        a0, a1, a2, a3 = xf[_U(x0 + ta)], xf[_U(x1 + ta)], xf[_U(x2 + ta)], xf[_U(x3 + ta)]
        b0, b1, b2, b3 = xf[_U(x0 + tb)], xf[_U(x1 + tb)], xf[_U(x2 + tb)], xf[_U(x3 + tb)]
        da = _U(d + r * filters)
        db = da + nf
        for f in range(nf):
            h0, h1, h2, h3 = gf[u0 + f], gf[u1 + f], gf[u2 + f], gf[u3 + f]
            df[da + f] += (a0 * h0 + a1 * h1) + (a2 * h2 + a3 * h3)
            df[db + f] += (b0 * h0 + b1 * h1) + (b2 * h2 + b3 * h3)
    if n % 2 == 1:
        t = xoff[_U(k + n - 1)]
        a0, a1, a2, a3 = xf[_U(x0 + t)], xf[_U(x1 + t)], xf[_U(x2 + t)], xf[_U(x3 + t)]
        da = _U(d + (n - 1) * filters)
        for f in range(nf):
            df[da + f] += (a0 * gf[u0 + f] + a1 * gf[u1 + f]) \
                + (a2 * gf[u2 + f] + a3 * gf[u3 + f])


@jit(inline="always")
def _dkernel_term_run(xf, gf, df, g, x0, xoff, k, n, d, filters):
    """All ``n`` terms of one interior pixel onto the kernel-gradient rows at ``df[d:]``."""
    nf = _U(filters)
    ug = _U(g)
    for r in range(n):
        e = xf[_U(xoff[_U(k + r)] + x0)]
        ud = _U(d + r * filters)
        for f in range(nf):
            df[ud + f] += e * gf[ug + f]


@jit(inline="always")
def _dkernel_lines(xf, gf, df, base, line0, line1, dims, geometry, count, first, xoff, col,
                   lo, hi):
    """Add the kernel gradient of output lines ``[line0, line1)`` onto
    ``df[base:base + kh * kw * C * F]``.

    The interior pixels of full rows, the bulk, go four at a time across line and image
    boundaries (their terms all follow from the first full row's table); the interior of
    the other rows four at a time within the row, two terms per pass; what is left over
    one pixel at a time, with a check of each term's column outside the interior.
    """
    height, width, channels, filters = dims
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    n_terms = kh * kw * channels
    nf = _U(filters)
    step = sw * channels
    image_size = height * width * channels
    row_shift = sh * width * channels
    i_full = 0
    while i_full < out_h and count[i_full] != n_terms:
        i_full += 1
    k_full = i_full * n_terms
    d_full = base + first[min(i_full, out_h - 1)] * filters
    # the pixels of full rows gathered four by four (scalars, not an array or a tuple:
    # numba would take either for a possible alias of the arrays and vectorise worse)
    slot = 0
    x0 = x1 = x2 = x3 = 0
    g0 = g1 = g2 = g3 = 0
    for line in range(line0, line1):
        b = line // out_h
        i = line - b * out_h
        if count[i] != n_terms:
            continue
        x_line = b * image_size + (i - i_full) * row_shift
        g_line = line * out_w * filters
        for j in range(lo, hi):
            if slot == 0:
                x0, g0 = x_line + j * step, g_line + j * filters
                slot = 1
            elif slot == 1:
                x1, g1 = x_line + j * step, g_line + j * filters
                slot = 2
            elif slot == 2:
                x2, g2 = x_line + j * step, g_line + j * filters
                slot = 3
            else:
                x3, g3 = x_line + j * step, g_line + j * filters
                _dkernel_block(xf, gf, df, x0, x1, x2, x3, g0, g1, g2, g3, xoff, k_full,
                               n_terms, d_full, filters)
                slot = 0
    if slot > 0:
        _dkernel_term_run(xf, gf, df, g0, x0, xoff, k_full, n_terms, d_full, filters)
    if slot > 1:
        _dkernel_term_run(xf, gf, df, g1, x1, xoff, k_full, n_terms, d_full, filters)
    if slot > 2:
        _dkernel_term_run(xf, gf, df, g2, x2, xoff, k_full, n_terms, d_full, filters)
    n_blocks = (hi - lo) // 4
    rest = hi - lo - 4 * n_blocks
    for line in range(line0, line1):
        b = line // out_h
        i = line - b * out_h
        n = count[i]
        k = i * n_terms
        d = base + first[i] * filters
        image = b * image_size
        g = line * out_w * filters
        if n != n_terms:
            g_lo = g + lo * filters
            x_lo = image + lo * step
            for r in range(0, n - 1, 2):
                _dkernel_pair(xf, gf, df, g_lo, x_lo, n_blocks, step, xoff, k + r,
                              d + r * filters, filters)
            if n % 2 == 1:
                _dkernel_term(xf, gf, df, g_lo, x_lo, 4 * n_blocks, step, xoff, k + n - 1,
                              d + (n - 1) * filters, filters)
            for r in range(n):
                _dkernel_term(xf, gf, df, g_lo + 4 * n_blocks * filters,
                              x_lo + 4 * n_blocks * step, rest, step, xoff, k + r,
                              d + r * filters, filters)
        for j in range(out_w):
            if j >= lo and j < hi:
                continue
            ug = _U(g + j * filters)
            for r in range(n):
                column = col[_U(k + r)] + j * sw
                if column < 0 or column >= width:
                    continue
                e = xf[_U(xoff[_U(k + r)] + image + j * step)]
                ud = _U(d + r * filters)
                for f in range(nf):
                    df[ud + f] += e * gf[ug + f]


def _kernel_gradient(x, grad, partials, geometry, count, first, xoff, col, lo, hi):
    """Kernel gradient of the cross-correlation in ``partials`` (tasks, kh, kw, C, F): task
    ``t`` writes only ``partials[t]``, the sum over its share of the output lines; the
    caller adds them. The tables as for :func:`_forward`. Compiled as
    ``kernel_gradient_serial`` and ``kernel_gradient_parallel``."""
    batch, height, width, channels = x.shape
    dims = (height, width, channels, grad.shape[3])
    n_lines = batch * geometry[8]
    n_tasks = partials.shape[0]
    size = partials.size // n_tasks
    xf, gf, pf = x.reshape(-1), grad.reshape(-1), partials.reshape(-1)
    for task in prange(n_tasks):
        for e in range(_U(task * size), _U((task + 1) * size)):
            pf[e] = 0
        _dkernel_lines(xf, gf, pf, task * size, task * n_lines // n_tasks,
                       (task + 1) * n_lines // n_tasks, dims, geometry, count, first, xoff,
                       col, lo, hi)


kernel_gradient_serial, kernel_gradient_parallel = twins(_kernel_gradient)


# --- gradient with respect to the input ----------------------------------------------

@jit(inline="always")
def _dx_line(gf, kf, df, task, dims, geometry, ranges):
    """Input-gradient line ``dx[b, h]``, gathered from every (output pixel, tap) that read
    from it: ``dx[b, h, w, :] += grad[b, i, j, f] * kernel_t[a, c, f, :]``."""
    height, width, channels, filters = dims
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    nc = _U(channels)
    b = task // height
    h = task - b * height
    first = task * width * channels
    for e in range(_U(first), _U(first + width * channels)):
        df[e] = 0
    for a in range(kh):
        offset = h + ph - a * dh
        if offset < 0 or offset % sh != 0:
            continue
        i = offset // sh
        if i >= out_h:
            continue
        line = (b * out_h + i) * out_w
        for c in range(kw):
            taps = (a * kw + c) * filters
            for j in range(ranges[c, 0], ranges[c, 1]):
                d = _U(first + (j * sw + c * dw - pw) * channels)
                g = (line + j) * filters
                for f in range(filters):
                    gv = gf[_U(g + f)]
                    k0 = _U((taps + f) * channels)
                    for ch in range(nc):
                        df[d + ch] += gv * kf[k0 + ch]
