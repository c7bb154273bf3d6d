"""Numba kernels of the layers: the windowing primitive, pooling, activations, optimizers.

One windowing primitive serves convolution and pooling alike:

* :func:`patches_serial` / :func:`patches_parallel` copy every window of a channels-last
  batch ``x[b, h, w, c]`` into a row of ``cols[row, tap, c]`` (im2col). A convolution is then
  one matrix product per chunk of rows. (On the CPU a pooling layer reads its windows in
  place instead, with :func:`pool_serial` / :func:`pool_parallel`: its patches would be
  ``taps`` copies of its output, written and read once each.)
* :func:`patches_adjoint_serial` / :func:`patches_adjoint_parallel` are its exact adjoint
  (col2im): every window row is added back onto the pixels it was read from. They *gather*:
  each task owns one input line ``dx[b, h]`` and pulls in every ``(row, tap)`` that read from
  it, so parallel tasks never write to the same memory.

Both walk the same geometry with :func:`_valid_range`: output ``o`` of a window dimension
reads input ``o * stride + tap * dilation - pad_before``, and only outputs whose source lies
inside the input are touched, so no index is ever out of bounds (padding is written as
``fill``, never read).

Work is split into *lines*, ``line = b * out_height + i``: a chunk ``[line0, line1)`` of
lines fills rows ``(line - line0) * out_width + j`` of ``cols``. The geometry travels as
one tuple ``(kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w)``.
"""

import math

import numpy as np
from numba import prange

from ..._jit import jit, twins
from . import formulas


@jit(inline="always")
def _valid_range(n_out, size, start, step):
    """Outputs ``o`` in ``[0, n_out)`` whose source ``o * step + start`` is in ``[0, size)``."""
    lo = 0
    if start < 0:
        lo = (step - 1 - start) // step
    hi = 0
    if start < size:
        hi = (size - 1 - start) // step + 1
    if hi > n_out:
        hi = n_out
    if lo > hi:
        lo = hi
    return lo, hi


@jit(inline="always")
def _column_ranges(n_out, width, geometry):
    """For each tap column ``c``: the outputs ``j`` whose source column is in the input.

    They do not depend on the line, so they are computed once per call (integer divisions
    dominated the copy of thin images when done per window).
    """
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    ranges = np.empty((kw, 2), np.int64)
    for c in range(kw):
        ranges[c, 0], ranges[c, 1] = _valid_range(n_out, width, c * dw - pw, sw)
    return ranges


@jit(inline="always")
def _patch_line(xf, cf, shape, line, line0, geometry, fill, ranges):
    """Copy the windows of one output line. Offsets into the flat arrays are unsigned, so
    numba adds no negative-index wraparound to the inner loops."""
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    height, width, channels = shape
    n_channels = np.uint64(channels)
    row_stride = np.uint64(kh * kw * channels)
    src_step = np.uint64(sw * channels)
    b = line // out_h
    i = line - b * out_h
    row0 = np.uint64((line - line0) * out_w)
    for a in range(kh):
        h = i * sh + a * dh - ph
        inside = 0 <= h < height
        for c in range(kw):
            lo, hi = (ranges[c, 0], ranges[c, 1]) if inside else (0, 0)
            base = row0 * row_stride + np.uint64(a * kw + c) * n_channels
            for j in range(lo):
                d = base + np.uint64(j) * row_stride
                for ch in range(n_channels):
                    cf[d + ch] = fill
            if hi > lo:
                d = base + np.uint64(lo) * row_stride
                s = np.uint64(((b * height + h) * width + lo * sw + c * dw - pw) * channels)
                if channels == 1:
                    for _ in range(hi - lo):
                        cf[d] = xf[s]
                        d += row_stride
                        s += src_step
                else:
                    for _ in range(hi - lo):
                        for ch in range(n_channels):
                            cf[d + ch] = xf[s + ch]
                        d += row_stride
                        s += src_step
            for j in range(hi, out_w):
                d = base + np.uint64(j) * row_stride
                for ch in range(n_channels):
                    cf[d + ch] = fill


def _patches(x, cols, line0, line1, geometry, fill):
    """im2col of lines ``[line0, line1)`` of ``x`` into ``cols``, one line per
    task.

    Compiled twice (:func:`sigconv._jit.twins`): ``patches_serial`` on the calling
    thread, ``patches_parallel`` over numba's threads.
    """
    ranges = _column_ranges(geometry[9], x.shape[2], geometry)
    xf, cf = x.reshape(-1), cols.reshape(-1)
    for line in prange(line0, line1):
        _patch_line(xf, cf, x.shape[1:], line, line0, geometry, fill, ranges)


patches_serial, patches_parallel = twins(_patches)


@jit(inline="always")
def _adjoint_task(cols, dx, task, line0, line1, geometry, ranges):
    """Add onto input line ``dx[b, h]`` every window row of the chunk that read from it."""
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    height = dx.shape[1]
    channels = dx.shape[3]
    b_first = line0 // out_h
    b = b_first + task // height
    h = task - (b - b_first) * height
    for a in range(kh):
        offset = h + ph - a * dh
        if offset < 0 or offset % sh != 0:
            continue
        i = offset // sh
        line = b * out_h + i
        if i >= out_h or line < line0 or line >= line1:
            continue
        row0 = (line - line0) * out_w
        for c in range(kw):
            tap = a * kw + c
            start = c * dw - pw
            for j in range(ranges[c, 0], ranges[c, 1]):
                w = j * sw + start
                for ch in range(channels):
                    dx[b, h, w, ch] += cols[row0 + j, tap, ch]


def _patches_adjoint(cols, dx, line0, line1, geometry):
    """col2im: add the window rows of lines ``[line0, line1)`` onto ``dx``; a task per
    input line, each the only writer of its line.

    Compiled twice (:func:`sigconv._jit.twins`): ``patches_adjoint_serial`` on the calling
    thread, ``patches_adjoint_parallel`` over numba's threads.
    """
    out_h = geometry[8]
    height = dx.shape[1]
    ranges = _column_ranges(geometry[9], dx.shape[2], geometry)
    n_tasks = ((line1 - 1) // out_h - line0 // out_h + 1) * height
    for task in prange(n_tasks):
        _adjoint_task(cols, dx, task, line0, line1, geometry, ranges)


patches_adjoint_serial, patches_adjoint_parallel = twins(_patches_adjoint)


# --- pooling reductions over the taps of ``cols[row, tap, channel]`` -------------------

@jit(inline="always")
def _max_row(window, best, where):
    n_taps, channels = window.shape
    for ch in range(channels):
        best[ch] = window[0, ch]
        where[ch] = 0
    for t in range(1, n_taps):
        for ch in range(channels):
            value = window[t, ch]
            if value > best[ch]:
                best[ch] = value
                where[ch] = t


@jit(inline="always")
def _scatter_row(g, where, window):
    n_taps, channels = window.shape
    for t in range(n_taps):
        for ch in range(channels):
            window[t, ch] = 0
    for ch in range(channels):
        window[where[ch], ch] = g[ch]


@jit
def max_over_taps_serial(cols, out, argmax):
    """``out[r, c] = max_t cols[r, t, c]`` and the first tap reaching it in ``argmax`` (the
    CPU twin of the CUDA kernel; the CPU layers pool with :func:`pool_serial`)."""
    for r in range(cols.shape[0]):
        _max_row(cols[r], out[r], argmax[r])


def _scatter_to_taps(grad, argmax, cols):
    """Adjoint of max_over_taps: ``cols[r, argmax[r, c], c] = grad[r, c]``, else 0.

    Compiled twice (:func:`sigconv._jit.twins`): ``scatter_to_taps_serial`` on the calling
    thread, ``scatter_to_taps_parallel`` over numba's threads.
    """
    for r in prange(cols.shape[0]):
        _scatter_row(grad[r], argmax[r], cols[r])


scatter_to_taps_serial, scatter_to_taps_parallel = twins(_scatter_to_taps)


# --- pooling straight from the images (no copy of the windows) -----------------------
# The patches of a pooling layer are ``taps`` copies of its output: the kernels below read
# the windows where they lie instead. They walk the taps in the same order as the patches
# (padding taps read as ``fill``), so they give the same maxima, argmax taps and sums.
# kind: 0 max, 1 average (the window counts divide the sums).

@jit(inline="always")
def _pool_line(xf, of, af, counts, shape, line, geometry, fill, kind):
    """Pool the windows of output line ``line = b * out_h + i`` into rows
    ``line * out_w + j`` of the flat ``of`` (and, max, ``af``). Offsets into the flat
    arrays are unsigned, so numba adds no negative-index wraparound to the inner loops."""
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    height, width, channels = shape
    n_channels = np.uint64(channels)
    b = line // out_h
    i = line - b * out_h
    for j in range(out_w):
        o = np.uint64(line * out_w + j) * n_channels
        for a in range(kh):
            h = i * sh + a * dh - ph
            for c in range(kw):
                t = a * kw + c
                w = j * sw + c * dw - pw
                inside = 0 <= h < height and 0 <= w < width
                s = np.uint64(((b * height + h) * width + w) * channels) if inside \
                    else np.uint64(0)
                if t == 0:
                    if inside:
                        for ch in range(n_channels):
                            of[o + ch] = xf[s + ch]
                    else:
                        for ch in range(n_channels):
                            of[o + ch] = fill
                    if kind == 0:
                        for ch in range(n_channels):
                            af[o + ch] = 0
                elif kind == 0:
                    # padding (fill = -inf) never wins; selects, not branches: which tap
                    # wins is data, and mispredicted branches cost 3x (measured)
                    if inside:
                        tap = np.int32(t)
                        for ch in range(n_channels):
                            value = xf[s + ch]
                            better = value > of[o + ch]
                            of[o + ch] = value if better else of[o + ch]
                            af[o + ch] = tap if better else af[o + ch]
                elif inside:
                    for ch in range(n_channels):
                        of[o + ch] += xf[s + ch]
                else:
                    for ch in range(n_channels):
                        of[o + ch] += fill
        if kind == 1:
            count = counts[i, j]
            for ch in range(n_channels):
                of[o + ch] /= count


def _pool(x, out, argmax, counts, geometry, fill, kind):
    """Max (``kind`` 0; first maximal tap in ``argmax``) or average (1; sums divided by
    ``counts[i, j]``) pooling of ``x`` into ``out[row, channel]``, one output line
    per task.

    Compiled twice (:func:`sigconv._jit.twins`): ``pool_serial`` on the calling
    thread, ``pool_parallel`` over numba's threads.
    """
    xf, of, af = x.reshape(-1), out.reshape(-1), argmax.reshape(-1)
    for line in prange(x.shape[0] * geometry[8]):
        _pool_line(xf, of, af, counts, x.shape[1:], line, geometry, fill, kind)


pool_serial, pool_parallel = twins(_pool)


@jit
def _max_pool_inside_line(xf, of, af, shape, line, geometry, relative):
    """:func:`_pool_line` (max) for windows that all lie inside the input (no padding):
    per window and channel a running maximum over the taps at fixed offsets ``relative``
    from its first, in registers. :func:`_pool_line`'s loops over the channels, one per
    tap, spend their time starting loops when the channels are few (1.6x slower for 10
    channels, measured)."""
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    height, width, channels = shape
    n_channels = np.uint64(channels)
    n_taps = kh * kw
    b = line // out_h
    i = line - b * out_h
    row = np.uint64((b * height + i * sh) * width)
    for j in range(out_w):
        o = np.uint64(line * out_w + j) * n_channels
        origin = (row + np.uint64(j * sw)) * n_channels
        for ch in range(n_channels):
            best = xf[origin + ch]
            winner = 0
            for t in range(1, n_taps):
                value = xf[origin + relative[t] + ch]
                better = value > best
                best = value if better else best
                winner = t if better else winner
            of[o + ch] = best
            af[o + ch] = winner


@jit
def _tap_offsets(geometry, width, channels):
    """Offsets of a window's taps from its first tap in a flat channels-last image."""
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    relative = np.empty(kh * kw, np.uint64)
    for a in range(kh):
        for c in range(kw):
            relative[a * kw + c] = (a * dh * width + c * dw) * channels
    return relative


def _max_pool_inside(x, out, argmax, geometry):
    """Max pooling of ``x`` into ``out[row, channel]`` and the first maximal tap into
    ``argmax``, for windows that all lie inside the input (``pad == (0, 0)`` and the
    windows fit), one output line per task; the same results as :func:`pool_serial`.

    Compiled twice (:func:`sigconv._jit.twins`): ``max_pool_inside_serial`` on the calling
    thread, ``max_pool_inside_parallel`` over numba's threads.
    """
    xf, of, af = x.reshape(-1), out.reshape(-1), argmax.reshape(-1)
    relative = _tap_offsets(geometry, x.shape[2], x.shape[3])
    for line in prange(x.shape[0] * geometry[8]):
        _max_pool_inside_line(xf, of, af, x.shape[1:], line, geometry, relative)


max_pool_inside_serial, max_pool_inside_parallel = twins(_max_pool_inside)


@jit(inline="always")
def _pool_adjoint_line(gf, af, counts, df, shape, line, geometry, kind):
    """The input pixels read by output line ``line = b * out_h + i`` of a pooling whose
    windows do not overlap: each written once, with the gradient of its window where it
    was the argmax (max) or the window's share (average), else 0 (as ``0 + share``, the
    value col2im adds onto zeros)."""
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    height, width, channels = shape
    n_channels = np.uint64(channels)
    b = line // out_h
    i = line - b * out_h
    for a in range(kh):
        h = i * sh + a * dh - ph
        if h < 0 or h >= height:
            continue
        row = np.uint64((b * height + h) * width) * n_channels
        for j in range(out_w):
            o = np.uint64(line * out_w + j) * n_channels
            for c in range(kw):
                w = j * sw + c * dw - pw
                if w < 0 or w >= width:
                    continue
                d = row + np.uint64(w) * n_channels
                if kind == 0:
                    # a select, not a branch: which tap won is data (5x faster, measured)
                    tap = np.int32(a * kw + c)
                    for ch in range(n_channels):
                        df[d + ch] = (gf[o + ch] if af[o + ch] == tap else 0) + 0
                else:
                    count = counts[i, j]
                    for ch in range(n_channels):
                        df[d + ch] = gf[o + ch] / count + 0


def _pool_adjoint(grad, argmax, counts, dx, geometry, kind):
    """Gradient of :func:`pool_serial` with respect to its input for windows that do not
    overlap, written into the pixels they cover (the others are left as they are), one
    output line per task (windows that do not overlap never share a pixel, so each task is
    the only writer of its pixels).

    Compiled twice (:func:`sigconv._jit.twins`): ``pool_adjoint_serial`` on the calling
    thread, ``pool_adjoint_parallel`` over numba's threads.
    """
    gf, af, df = grad.reshape(-1), argmax.reshape(-1), dx.reshape(-1)
    for line in prange(dx.shape[0] * geometry[8]):
        _pool_adjoint_line(gf, af, counts, df, dx.shape[1:], line, geometry, kind)


pool_adjoint_serial, pool_adjoint_parallel = twins(_pool_adjoint)


# --- elementwise activations on (rows, channels) arrays -------------------------------
# kind: 0 linear, 1 relu, 2 leaky relu (slope), 3 sigmoid, 4 tanh

@jit(inline="always")
def _activate_row(z, bias, kind, slope):
    for ch in range(z.shape[0]):
        v = z[ch] + bias[ch]
        if kind == 1:
            v = max(v, 0)
        elif kind == 2:
            v = v if v > 0 else v * slope
        elif kind == 3:
            v = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
        elif kind == 4:
            v = math.tanh(v)
        z[ch] = v


@jit(inline="always")
def _derivative_row(grad, y, out, kind, slope):
    for ch in range(y.shape[0]):
        g = grad[ch]
        v = y[ch]
        if kind == 1:
            g = g if v > 0 else 0
        elif kind == 2:
            g = g if v > 0 else g * slope
        elif kind == 3:
            g = g * v * (1 - v)
        elif kind == 4:
            g = g * (1 - v * v)
        out[ch] = g


def _activate(z, bias, kind, slope):
    """In place: ``z = f(z + bias)`` row by row, ``f`` chosen by ``kind``.

    Compiled twice (:func:`sigconv._jit.twins`): ``activate_serial`` on the calling
    thread, ``activate_parallel`` over numba's threads.
    """
    for r in prange(z.shape[0]):
        _activate_row(z[r], bias, kind, slope)


activate_serial, activate_parallel = twins(_activate)


def _derivative(grad, y, out, kind, slope):
    """``out = grad * f'`` where ``f'`` is written in terms of the output ``y = f(z)``.

    Compiled twice (:func:`sigconv._jit.twins`): ``derivative_serial`` on the calling
    thread, ``derivative_parallel`` over numba's threads.
    """
    for r in prange(y.shape[0]):
        _derivative_row(grad[r], y[r], out[r], kind, slope)


derivative_serial, derivative_parallel = twins(_derivative)


# --- reductions ---------------------------------------------------------------------

@jit
def column_sum(a, out):
    """``out = a.sum(axis=0)`` for a C-contiguous matrix, rows added in order (NumPy's
    result bit for bit; its strided reduction over the first axis is 3-5x slower on the
    bias gradients' tall, narrow matrices, measured). The CPU twin of the CUDA kernel."""
    n_columns = np.uint64(a.shape[1])
    af = a.reshape(-1)
    for c in range(n_columns):
        out[c] = 0
    for r in range(a.shape[0]):
        base = np.uint64(r) * n_columns
        for c in range(n_columns):
            out[c] += af[base + c]


# --- optimizer updates: one pass over flat, C-contiguous arrays of one dtype ------------
# Every scalar argument has the arrays' dtype, so that float32 steps compute in float32;
# the formulas are shared with the CUDA twins (formulas.py).

# Plain calls, which LLVM inlines and vectorizes; numba's own IR inlining
# (inline="always") left the loops scalar, 6x slower (measured).
_sgd_entry = jit(formulas.sgd_entry)
_adam_entry = jit(formulas.adam_entry)
_rmsprop_entry = jit(formulas.rmsprop_entry)
_adagrad_entry = jit(formulas.adagrad_entry)
_adadelta_entry = jit(formulas.adadelta_entry)
_adamax_entry = jit(formulas.adamax_entry)
_nadam_entry = jit(formulas.nadam_entry)
_weight_decay_entry = jit(formulas.weight_decay_entry)
_ema_entry = jit(formulas.ema_entry)


@jit
def sgd_update(w, gradient, m, learning_rate, momentum, scale, clipvalue, nesterov):
    for i in range(w.size):
        _sgd_entry(i, w, gradient, m, learning_rate, momentum, scale, clipvalue, nesterov)


@jit
def adam_update(w, gradient, m, v, alpha, one_minus_beta_1, one_minus_beta_2, epsilon,
                scale, clipvalue):
    for i in range(w.size):   # v_hat is not read without amsgrad
        _adam_entry(i, w, gradient, m, v, v, alpha, one_minus_beta_1, one_minus_beta_2,
                    epsilon, scale, clipvalue, False)


@jit
def amsgrad_update(w, gradient, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2,
                   epsilon, scale, clipvalue):
    for i in range(w.size):
        _adam_entry(i, w, gradient, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2,
                    epsilon, scale, clipvalue, True)


@jit
def rmsprop_update(w, gradient, v, m, average, learning_rate, rho, one_minus_rho, momentum,
                   epsilon, scale, clipvalue, centered):
    for i in range(w.size):
        _rmsprop_entry(i, w, gradient, v, m, average, learning_rate, rho, one_minus_rho,
                       momentum, epsilon, scale, clipvalue, centered)


@jit
def adagrad_update(w, gradient, accumulator, learning_rate, epsilon, scale, clipvalue):
    for i in range(w.size):
        _adagrad_entry(i, w, gradient, accumulator, learning_rate, epsilon, scale, clipvalue)


@jit
def adadelta_update(w, gradient, accumulated_grad, accumulated_delta, learning_rate, rho,
                    one_minus_rho, epsilon, scale, clipvalue):
    for i in range(w.size):
        _adadelta_entry(i, w, gradient, accumulated_grad, accumulated_delta, learning_rate,
                        rho, one_minus_rho, epsilon, scale, clipvalue)


@jit
def adamax_update(w, gradient, m, u, learning_rate, one_minus_beta_1, beta_2,
                  one_minus_beta_1_power, epsilon, scale, clipvalue):
    for i in range(w.size):
        _adamax_entry(i, w, gradient, m, u, learning_rate, one_minus_beta_1, beta_2,
                      one_minus_beta_1_power, epsilon, scale, clipvalue)


@jit
def nadam_update(w, gradient, m, v, learning_rate, one_minus_beta_1, one_minus_beta_2,
                 u_next, one_minus_product_next, one_minus_u, one_minus_product,
                 one_minus_beta_2_power, epsilon, scale, clipvalue):
    for i in range(w.size):
        _nadam_entry(i, w, gradient, m, v, learning_rate, one_minus_beta_1, one_minus_beta_2,
                     u_next, one_minus_product_next, one_minus_u, one_minus_product,
                     one_minus_beta_2_power, epsilon, scale, clipvalue)


@jit
def weight_decay_update(w, weight_decay, learning_rate):
    for i in range(w.size):
        _weight_decay_entry(i, w, weight_decay, learning_rate)


@jit
def ema_update(average, w, momentum, one_minus_momentum, overwrite):
    for i in range(w.size):
        _ema_entry(i, average, w, momentum, one_minus_momentum, overwrite)
