"""CUDA twins of the neural-network kernels of :mod:`sigconv.nn.kernels.cpu`.

The same windowing primitive (im2col, :func:`patches`, and its adjoint), a tiled
shared-memory matrix product (:func:`gemm`), the pooling reductions, the fused
bias + activation and activation-derivative kernels, and the optimizer updates. Each
host driver takes and returns NumPy arrays, or works in place on numba device arrays that
it is given; the layers reach them through :mod:`sigconv.nn.backend.cuda`, and the
simulator tests compare them with their CPU twins.

Launches use grid-stride loops; ``_config.CUDA_THREADS_PER_BLOCK`` and
``CUDA_MAX_BLOCKS`` are patched small in the simulator tests so that several blocks and strides run.
"""

import math

import numpy as np
from numba import cuda, float32, float64

from ..._jit import is_device_array, launch_config, on_device
from . import formulas

#: side of the square tiles of the matrix product (a block is TILE x TILE threads)
TILE = 16


# --- the windowing primitive -----------------------------------------------------------

@cuda.jit
def _patches_kernel(x, cols, line0, geometry, fill):
    """One element of ``cols[row, tap, channel]`` per thread (grid-stride)."""
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    height, width, channels = x.shape[1], x.shape[2], x.shape[3]
    n_taps = kh * kw
    total = cols.shape[0] * n_taps * channels
    for item in range(cuda.grid(1), total, cuda.gridsize(1)):
        ch = item % channels
        tap = (item // channels) % n_taps
        row = item // (channels * n_taps)
        line = line0 + row // out_w
        j = row % out_w
        b = line // out_h
        i = line % out_h
        h = i * sh + (tap // kw) * dh - ph
        w = j * sw + (tap % kw) * dw - pw
        if 0 <= h < height and 0 <= w < width:
            cols[row, tap, ch] = x[b, h, w, ch]
        else:
            cols[row, tap, ch] = fill


def patches(x, cols, line0, line1, geometry, fill):
    """GPU twin of ``patches_parallel``: im2col of lines ``[line0, line1)`` into ``cols``."""
    dx, _ = on_device(x)
    dcols, resident = on_device(cols)
    rows = (line1 - line0) * geometry[9]
    view = dcols[:rows]
    blocks, threads = launch_config(view.size)
    _patches_kernel[blocks, threads](dx, view, line0, geometry, fill)
    if not resident:
        dcols.copy_to_host(cols)
    return cols


@cuda.jit
def _adjoint_kernel(cols, dx, line0, line1, geometry):
    """One element of ``dx[b, h, w, channel]`` per thread: it gathers every window entry
    that read from it, so no two threads write the same place (no atomics)."""
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    height, width, channels = dx.shape[1], dx.shape[2], dx.shape[3]
    b_first = line0 // out_h
    n_images = (line1 - 1) // out_h - b_first + 1
    total = n_images * height * width * channels
    for item in range(cuda.grid(1), total, cuda.gridsize(1)):
        ch = item % channels
        w = (item // channels) % width
        h = (item // (channels * width)) % height
        b = b_first + item // (channels * width * height)
        acc = dx[b, h, w, ch]
        for a in range(kh):
            offset_h = h + ph - a * dh
            if offset_h < 0 or offset_h % sh != 0:
                continue
            i = offset_h // sh
            line = b * out_h + i
            if i >= out_h or line < line0 or line >= line1:
                continue
            for c in range(kw):
                offset_w = w + pw - c * dw
                if offset_w < 0 or offset_w % sw != 0:
                    continue
                j = offset_w // sw
                if j < out_w:
                    acc += cols[(line - line0) * out_w + j, a * kw + c, ch]
        dx[b, h, w, ch] = acc


def patches_adjoint(cols, dx, line0, line1, geometry):
    """GPU twin of ``patches_adjoint_parallel``: add the window rows onto ``dx``."""
    dcols, _ = on_device(cols)
    ddx, resident = on_device(dx)
    images = (line1 - 1) // geometry[8] - line0 // geometry[8] + 1
    blocks, threads = launch_config(images * dx.shape[1] * dx.shape[2] * dx.shape[3])
    _adjoint_kernel[blocks, threads](dcols, ddx, line0, line1, geometry)
    if not resident:
        ddx.copy_to_host(dx)
    return dx


# --- matrix product ------------------------------------------------------------------------

def _make_gemm(numba_type):
    @cuda.jit
    def kernel(a, b, out, trans_a, trans_b, accumulate):
        """``out (+)= op(a) @ op(b)``, ``op`` the transpose when its flag is set: each block
        computes a TILE x TILE tile of ``out`` from tiles of ``op(a)`` and ``op(b)`` staged
        in shared memory."""
        tile_a = cuda.shared.array((TILE, TILE), numba_type)
        tile_b = cuda.shared.array((TILE, TILE), numba_type)
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        row = cuda.blockIdx.y * TILE + ty
        col = cuda.blockIdx.x * TILE + tx
        n_rows, n_cols = out.shape[0], out.shape[1]
        n_inner = a.shape[0] if trans_a else a.shape[1]
        acc = numba_type(0)
        for start in range(0, n_inner, TILE):
            k = start + tx
            if row < n_rows and k < n_inner:
                tile_a[ty, tx] = a[k, row] if trans_a else a[row, k]
            else:
                tile_a[ty, tx] = numba_type(0)
            k = start + ty
            if col < n_cols and k < n_inner:
                tile_b[ty, tx] = b[col, k] if trans_b else b[k, col]
            else:
                tile_b[ty, tx] = numba_type(0)
            cuda.syncthreads()
            for t in range(TILE):
                acc += tile_a[ty, t] * tile_b[t, tx]
            cuda.syncthreads()
        if row < n_rows and col < n_cols:
            if accumulate:
                out[row, col] += acc
            else:
                out[row, col] = acc
    return kernel


_GEMM = {np.dtype(np.float32): _make_gemm(float32), np.dtype(np.float64): _make_gemm(float64)}


def gemm(a, b, out=None, trans_a=False, trans_b=False, accumulate=False):
    """``op(a) @ op(b)`` on the GPU (float32 or float64), the twin of ``np.dot`` in the
    layers. Host inputs give a host result; with device inputs (or a device ``out``) the
    result stays on the device."""
    da, a_on = on_device(a)
    db, b_on = on_device(b)
    shape = (a.shape[1] if trans_a else a.shape[0], b.shape[0] if trans_b else b.shape[1])
    resident = a_on or b_on or (out is not None and is_device_array(out))
    if out is not None and is_device_array(out):
        result = out
    elif accumulate and out is not None:
        result = cuda.to_device(out)
    else:
        result = cuda.device_array(shape, dtype=a.dtype)
    grid = (math.ceil(shape[1] / TILE), math.ceil(shape[0] / TILE))
    _GEMM[np.dtype(a.dtype)][grid, (TILE, TILE)](da, db, result, trans_a, trans_b, accumulate)
    if resident:
        return result
    if out is None:
        return result.copy_to_host()
    result.copy_to_host(out)
    return out


@cuda.jit
def _column_sum_kernel(a, out):
    for col in range(cuda.grid(1), a.shape[1], cuda.gridsize(1)):
        acc = a[0, col] * 0
        for row in range(a.shape[0]):
            acc += a[row, col]
        out[col] = acc


def column_sum(a, out):
    """``out = a.sum(axis=0)`` for a device matrix ``a`` (the bias gradient)."""
    blocks, threads = launch_config(a.shape[1])
    _column_sum_kernel[blocks, threads](a, out)
    return out


@cuda.jit
def _axpy_kernel(alpha, x, y):
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        y[i] += alpha * x[i]


def axpy(alpha, x, y):
    """``y += alpha * x`` on flat device arrays (the L2 penalty's gradient)."""
    blocks, threads = launch_config(y.size)
    _axpy_kernel[blocks, threads](alpha, x, y)
    return y


@cuda.jit
def _softmax_rows_kernel(z):
    for r in range(cuda.grid(1), z.shape[0], cuda.gridsize(1)):
        top = z[r, 0]
        for c in range(1, z.shape[1]):
            top = max(top, z[r, c])
        total = z[r, 0] * 0
        for c in range(z.shape[1]):
            z[r, c] = math.exp(z[r, c] - top)
            total += z[r, c]
        for c in range(z.shape[1]):
            z[r, c] /= total


def softmax_rows(z):
    """In place: softmax over the last axis of a device matrix."""
    blocks, threads = launch_config(z.shape[0])
    _softmax_rows_kernel[blocks, threads](z)
    return z


@cuda.jit
def _softmax_backward_kernel(grad, y, out):
    for r in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        dot = grad[r, 0] * y[r, 0]
        for c in range(1, y.shape[1]):
            dot += grad[r, c] * y[r, c]
        for c in range(y.shape[1]):
            out[r, c] = y[r, c] * (grad[r, c] - dot)


def softmax_backward(grad, y, out):
    """``out = y * (grad - sum(grad * y))`` row by row, on device matrices."""
    blocks, threads = launch_config(y.shape[0])
    _softmax_backward_kernel[blocks, threads](grad, y, out)
    return out


# --- pooling ----------------------------------------------------------------------------

@cuda.jit
def _max_kernel(cols, out, argmax):
    n_rows, n_taps, channels = cols.shape
    for item in range(cuda.grid(1), n_rows * channels, cuda.gridsize(1)):
        r, ch = item // channels, item % channels
        best = cols[r, 0, ch]
        where = 0
        for t in range(1, n_taps):
            if cols[r, t, ch] > best:
                best = cols[r, t, ch]
                where = t
        out[r, ch] = best
        argmax[r, ch] = where


def max_over_taps(cols, out, argmax):
    """GPU twin of ``max_over_taps_parallel``."""
    dcols, _ = on_device(cols)
    dout, out_on = on_device(out)
    dargmax, _ = on_device(argmax)
    blocks, threads = launch_config(out.size)
    _max_kernel[blocks, threads](dcols, dout, dargmax)
    if not out_on:
        dout.copy_to_host(out)
        dargmax.copy_to_host(argmax)


@cuda.jit
def _scatter_kernel(grad, argmax, cols):
    n_rows, n_taps, channels = cols.shape
    for item in range(cuda.grid(1), cols.size, cuda.gridsize(1)):
        ch = item % channels
        t = (item // channels) % n_taps
        r = item // (channels * n_taps)
        cols[r, t, ch] = grad[r, ch] if argmax[r, ch] == t else grad[r, ch] * 0


def scatter_to_taps(grad, argmax, cols):
    """GPU twin of ``scatter_to_taps_parallel``."""
    dgrad, _ = on_device(grad)
    dargmax, _ = on_device(argmax)
    dcols, resident = on_device(cols)
    blocks, threads = launch_config(cols.size)
    _scatter_kernel[blocks, threads](dgrad, dargmax, dcols)
    if not resident:
        dcols.copy_to_host(cols)


@cuda.jit
def _mean_kernel(cols, counts, out):
    n_rows, n_taps, channels = cols.shape
    for item in range(cuda.grid(1), n_rows * channels, cuda.gridsize(1)):
        r, ch = item // channels, item % channels
        acc = cols[r, 0, ch]
        for t in range(1, n_taps):
            acc += cols[r, t, ch]
        out[r, ch] = acc / counts[r % counts.shape[0]]


def mean_over_taps(cols, counts, out):
    """``out[r, c] = sum_t cols[r, t, c] / counts[r % len(counts)]`` (average pooling;
    device arrays): the counts of one image's outputs serve every image of the batch."""
    blocks, threads = launch_config(out.size)
    _mean_kernel[blocks, threads](cols, counts, out)
    return out


@cuda.jit
def _share_kernel(grad, counts, cols):
    n_rows, n_taps, channels = cols.shape
    for item in range(cuda.grid(1), cols.size, cuda.gridsize(1)):
        ch = item % channels
        r = item // (channels * n_taps)
        cols[r, (item // channels) % n_taps, ch] = grad[r, ch] / counts[r % counts.shape[0]]


def share_to_taps(grad, counts, cols):
    """Adjoint of :func:`mean_over_taps`: every tap gets ``grad / count`` (device arrays;
    ``counts`` indexed modulo its length, as there)."""
    blocks, threads = launch_config(cols.size)
    _share_kernel[blocks, threads](grad, counts, cols)
    return cols


@cuda.jit
def _multiply_kernel(x, y, out):
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = x[i] * y[i]


def multiply(x, y):
    """``x * y`` for device arrays of one shape (dropout masks), as a new device array."""
    out = cuda.device_array(x.shape, x.dtype)
    blocks, threads = launch_config(out.size)
    _multiply_kernel[blocks, threads](x.reshape(x.size), y.reshape(y.size),
                                      out.reshape(out.size))
    return out


# --- categorical cross-entropy ------------------------------------------------------------

@cuda.jit
def _crossentropy_kernel(z, targets, sparse, from_logits, epsilon, losses, grad):
    """One row per thread: the row's loss (as the host losses compute it) and the gradient
    of the batch mean with respect to the logits, ``(p * sum(t) - t) / n``."""
    n_rows, n_classes = z.shape
    for r in range(cuda.grid(1), n_rows, cuda.gridsize(1)):
        label = int(targets[r, 0]) if sparse else -1
        top = z[r, 0]
        total = z[r, 0] * 0
        for c in range(n_classes):
            top = max(top, z[r, c])
            total += z[r, c]
        log_norm = total * 0
        if from_logits:
            for c in range(n_classes):
                log_norm += math.exp(z[r, c] - top)
            log_norm = math.log(log_norm) + top
        target_sum = total * 0
        loss = total * 0
        for c in range(n_classes):
            t = (1.0 if c == label else 0.0) if sparse else targets[r, c]
            target_sum += t
            if from_logits:
                loss -= t * (z[r, c] - log_norm)
            elif t != 0:
                p = min(max(z[r, c] / total, epsilon), 1 - epsilon)
                loss -= t * math.log(p)
        losses[r] = loss
        for c in range(n_classes):
            t = (1.0 if c == label else 0.0) if sparse else targets[r, c]
            p = math.exp(z[r, c] - log_norm) if from_logits else z[r, c]
            grad[r, c] = (p * target_sum - t) / n_rows


def crossentropy(z, targets, sparse, from_logits, epsilon=1e-7):
    """Per-row categorical cross-entropy of device logits (or softmax probabilities) and
    its fused gradient with respect to the logits, both as device arrays. ``targets`` is
    one-hot (or probability) rows, or, with ``sparse``, a column of class indices."""
    dz, _ = on_device(z)
    dtargets, _ = on_device(targets)
    rows = z.shape[0]
    losses = cuda.device_array(rows, dtype=z.dtype)
    grad = cuda.device_array(z.shape, dtype=z.dtype)
    blocks, threads = launch_config(rows)
    _crossentropy_kernel[blocks, threads](dz, dtargets, sparse, from_logits, epsilon, losses,
                                          grad)
    return losses, grad


# --- activations (kind: 0 linear, 1 relu, 2 leaky relu, 3 sigmoid, 4 tanh) ------------------

@cuda.jit
def _activate_kernel(z, bias, kind, slope):
    channels = z.shape[1]
    for item in range(cuda.grid(1), z.size, cuda.gridsize(1)):
        r, ch = item // channels, item % channels
        v = z[r, ch] + bias[ch]
        if kind == 1:
            v = max(v, 0)
        elif kind == 2:
            v = v if v > 0 else v * slope
        elif kind == 3:
            v = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
        elif kind == 4:
            v = math.tanh(v)
        z[r, ch] = v


def activate(z, bias, kind, slope):
    """GPU twin of ``activate_parallel``: in place ``z = f(z + bias)``."""
    dz, resident = on_device(z)
    dbias, _ = on_device(bias)
    blocks, threads = launch_config(z.size)
    _activate_kernel[blocks, threads](dz, dbias, kind, slope)
    if not resident:
        dz.copy_to_host(z)
    return z


@cuda.jit
def _derivative_kernel(grad, y, out, kind, slope):
    channels = y.shape[1]
    for item in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        r, ch = item // channels, item % channels
        g = grad[r, ch]
        v = y[r, ch]
        if kind == 1:
            g = g if v > 0 else g * 0
        elif kind == 2:
            g = g if v > 0 else g * slope
        elif kind == 3:
            g = g * v * (1 - v)
        elif kind == 4:
            g = g * (1 - v * v)
        out[r, ch] = g


def derivative(grad, y, out, kind, slope):
    """GPU twin of ``derivative_parallel``: ``out = grad * f'`` from the output ``y``."""
    dgrad, _ = on_device(grad)
    dy, _ = on_device(y)
    dout, resident = on_device(out)
    blocks, threads = launch_config(y.size)
    _derivative_kernel[blocks, threads](dgrad, dy, dout, kind, slope)
    if not resident:
        dout.copy_to_host(out)
    return out


# --- optimizer updates (the formulas of formulas.py, shared with the CPU kernels) --------

_sgd_entry = cuda.jit(device=True)(formulas.sgd_entry)
_adam_entry = cuda.jit(device=True)(formulas.adam_entry)
_rmsprop_entry = cuda.jit(device=True)(formulas.rmsprop_entry)
_adagrad_entry = cuda.jit(device=True)(formulas.adagrad_entry)
_adadelta_entry = cuda.jit(device=True)(formulas.adadelta_entry)
_adamax_entry = cuda.jit(device=True)(formulas.adamax_entry)
_nadam_entry = cuda.jit(device=True)(formulas.nadam_entry)
_weight_decay_entry = cuda.jit(device=True)(formulas.weight_decay_entry)
_ema_entry = cuda.jit(device=True)(formulas.ema_entry)


@cuda.jit
def _sgd_kernel(w, gradient, m, learning_rate, momentum, scale, clipvalue, nesterov):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        _sgd_entry(i, w, gradient, m, learning_rate, momentum, scale, clipvalue, nesterov)


@cuda.jit
def _adam_kernel(w, gradient, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2,
                 epsilon, scale, clipvalue, amsgrad):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        _adam_entry(i, w, gradient, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2,
                    epsilon, scale, clipvalue, amsgrad)


@cuda.jit
def _rmsprop_kernel(w, gradient, v, m, average, learning_rate, rho, one_minus_rho, momentum,
                    epsilon, scale, clipvalue, centered):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        _rmsprop_entry(i, w, gradient, v, m, average, learning_rate, rho, one_minus_rho,
                       momentum, epsilon, scale, clipvalue, centered)


@cuda.jit
def _adagrad_kernel(w, gradient, accumulator, learning_rate, epsilon, scale, clipvalue):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        _adagrad_entry(i, w, gradient, accumulator, learning_rate, epsilon, scale, clipvalue)


@cuda.jit
def _adadelta_kernel(w, gradient, accumulated_grad, accumulated_delta, learning_rate, rho,
                     one_minus_rho, epsilon, scale, clipvalue):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        _adadelta_entry(i, w, gradient, accumulated_grad, accumulated_delta, learning_rate,
                        rho, one_minus_rho, epsilon, scale, clipvalue)


@cuda.jit
def _adamax_kernel(w, gradient, m, u, learning_rate, one_minus_beta_1, beta_2,
                   one_minus_beta_1_power, epsilon, scale, clipvalue):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        _adamax_entry(i, w, gradient, m, u, learning_rate, one_minus_beta_1, beta_2,
                      one_minus_beta_1_power, epsilon, scale, clipvalue)


@cuda.jit
def _nadam_kernel(w, gradient, m, v, learning_rate, one_minus_beta_1, one_minus_beta_2,
                  u_next, one_minus_product_next, one_minus_u, one_minus_product,
                  one_minus_beta_2_power, epsilon, scale, clipvalue):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        _nadam_entry(i, w, gradient, m, v, learning_rate, one_minus_beta_1, one_minus_beta_2,
                     u_next, one_minus_product_next, one_minus_u, one_minus_product,
                     one_minus_beta_2_power, epsilon, scale, clipvalue)


@cuda.jit
def _weight_decay_kernel(w, weight_decay, learning_rate):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        _weight_decay_entry(i, w, weight_decay, learning_rate)


@cuda.jit
def _ema_kernel(average, w, momentum, one_minus_momentum, overwrite):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        _ema_entry(i, average, w, momentum, one_minus_momentum, overwrite)


def _update(kernel, arrays, scalars, read_only=(1,)):
    """Launch ``kernel`` on ``arrays`` (host or device) and copy host arrays back, except
    those at the positions ``read_only`` (by default the gradient, the second)."""
    moved = [on_device(a) for a in arrays]
    blocks, threads = launch_config(arrays[0].size)
    kernel[blocks, threads](*(d for d, _ in moved), *scalars)
    for k, ((device, on), host) in enumerate(zip(moved, arrays, strict=True)):
        if not on and k not in read_only:
            device.copy_to_host(host)


def sgd_update(w, gradient, m, *scalars):
    """GPU twin of ``sgd_update`` (in place on ``w`` and ``m``)."""
    _update(_sgd_kernel, (w, gradient, m), scalars)


def adam_update(w, gradient, m, v, *scalars):
    """GPU twin of ``adam_update`` (in place on ``w``, ``m`` and ``v``)."""
    # v_hat is not read without amsgrad: v stands in for it (never copied back twice)
    _update(_adam_kernel, (w, gradient, m, v, v), (*scalars, False), read_only=(1, 4))


def amsgrad_update(w, gradient, m, v, v_hat, *scalars):
    """GPU twin of ``amsgrad_update`` (in place on ``w``, ``m``, ``v`` and ``v_hat``)."""
    _update(_adam_kernel, (w, gradient, m, v, v_hat), (*scalars, True))


def rmsprop_update(w, gradient, v, m, average, *scalars):
    """GPU twin of ``rmsprop_update`` (in place on ``w`` and the slots)."""
    _update(_rmsprop_kernel, (w, gradient, v, m, average), scalars)


def adagrad_update(w, gradient, accumulator, *scalars):
    """GPU twin of ``adagrad_update`` (in place on ``w`` and ``accumulator``)."""
    _update(_adagrad_kernel, (w, gradient, accumulator), scalars)


def adadelta_update(w, gradient, accumulated_grad, accumulated_delta, *scalars):
    """GPU twin of ``adadelta_update`` (in place on ``w`` and the accumulators)."""
    _update(_adadelta_kernel, (w, gradient, accumulated_grad, accumulated_delta), scalars)


def adamax_update(w, gradient, m, u, *scalars):
    """GPU twin of ``adamax_update`` (in place on ``w``, ``m`` and ``u``)."""
    _update(_adamax_kernel, (w, gradient, m, u), scalars)


def nadam_update(w, gradient, m, v, *scalars):
    """GPU twin of ``nadam_update`` (in place on ``w``, ``m`` and ``v``)."""
    _update(_nadam_kernel, (w, gradient, m, v), scalars)


def weight_decay_update(w, weight_decay, learning_rate):
    """GPU twin of ``weight_decay_update`` (in place on ``w``)."""
    _update(_weight_decay_kernel, (w,), (weight_decay, learning_rate), read_only=())


def ema_update(average, w, momentum, one_minus_momentum, overwrite):
    """GPU twin of ``ema_update`` (in place on ``average``, and on ``w`` when
    ``overwrite``)."""
    _update(_ema_kernel, (average, w), (momentum, one_minus_momentum, overwrite),
            read_only=() if overwrite else (1,))


# --- allocation, reductions, losses and penalties on the device ------------------------------

def fill(out, value):
    """In place: every entry of the flat device array ``out`` set to ``value`` (the
    signal kernels' fill kernel: one kernel for the idea)."""
    from ...kernels.cuda import fill_kernel

    blocks, threads = launch_config(out.size)
    fill_kernel[blocks, threads](out, value)
    return out


@cuda.jit
def _penalty_partials_kernel(w, l1, l2, partials):
    """``partials[thread] = sum over the thread's entries of l1 |w| + l2 w**2``."""
    start = cuda.grid(1)
    acc = l2 * 0                  # in the dtype of the factors (the total's)
    for i in range(start, w.size, cuda.gridsize(1)):
        # a factor of 0 leaves its term out, as on the CPU (0 * inf would give NaN)
        if l1 != 0:
            acc += l1 * abs(w[i])
        if l2 != 0:
            acc += l2 * w[i] * w[i]
    if start < partials.size:
        partials[start] = acc


#: partial sums that :func:`add_sum` adds in one thread at the end
_SUM_LANES = 1024


@cuda.jit
def _lane_sums_kernel(values, sums):
    """``sums[t] = values[t] + values[t + L] + ...`` (``L = sums.size``), in order."""
    lanes = sums.size
    for t in range(cuda.grid(1), lanes, cuda.gridsize(1)):
        acc = sums[t] * 0
        for i in range(t, values.size, lanes):
            acc += values[i]
        sums[t] = acc


@cuda.jit
def _add_sum_kernel(values, scale, total):
    """One thread: ``total[0] += scale * sum(values)`` (in order: deterministic)."""
    if cuda.grid(1) == 0:
        acc = total[0] * 0
        for i in range(values.size):
            acc += values[i]
        total[0] += scale * acc


def add_sum(values, scale, total):
    """``total[0] += scale * sum(values)`` for a flat device array ``values``: more than
    :data:`_SUM_LANES` values are first summed in that many strided lanes in parallel
    (a penalty's partials can number a million), then the lanes in one thread; the
    order is fixed, so the sum is deterministic."""
    if values.size > _SUM_LANES:
        sums = cuda.device_array(_SUM_LANES, dtype=total.dtype)
        blocks, threads = launch_config(_SUM_LANES)
        _lane_sums_kernel[blocks, threads](values, sums)
        values = sums
    _add_sum_kernel[1, 1](values, scale, total)
    return total


def add_penalty(w, l1, l2, total):
    """``total[0] += l1 * sum(|w|) + l2 * sum(w**2)`` for a flat device array ``w``: one
    partial sum per thread, then their ordered sum (no atomics), in the dtype of ``total``
    and of the factors ``l1``, ``l2`` (float64 sums of float32 weights do not overflow)."""
    blocks, threads = launch_config(w.size)
    partials = cuda.device_array(blocks * threads, dtype=total.dtype)
    _penalty_partials_kernel[blocks, threads](w, l1, l2, partials)
    return add_sum(partials, total.dtype.type(1), total)


@cuda.jit
def _penalty_gradient_kernel(w, gradient, l1, two_l2):
    for i in range(cuda.grid(1), w.size, cuda.gridsize(1)):
        v = w[i]
        # a factor of 0 leaves its term out, as on the CPU (0 * inf would give NaN)
        if l1 != 0:
            gradient[i] += l1 * (1 if v > 0 else (-1 if v < 0 else 0))
        if two_l2 != 0:
            gradient[i] += two_l2 * v


def add_penalty_gradient(w, gradient, l1, l2):
    """``gradient += l1 * sign(w) + 2 * l2 * w`` on flat device arrays (``sign(0) = 0``)."""
    blocks, threads = launch_config(w.size)
    _penalty_gradient_kernel[blocks, threads](w, gradient, l1, 2 * l2)
    return gradient


@cuda.jit
def _squared_error_kernel(p, y, losses, grad, scale):
    """One row per thread: the mean of ``(y - p)**2`` over the row, and the gradient of the
    mean over every entry, ``2 (p - y) * scale`` (``scale = 1 / entries``)."""
    n_rows, n_columns = p.shape
    for r in range(cuda.grid(1), n_rows, cuda.gridsize(1)):
        acc = p[r, 0] * 0
        for c in range(n_columns):
            difference = y[r, c] - p[r, c]
            acc += difference * difference
            grad[r, c] = (p[r, c] - y[r, c]) * 2 * scale
        losses[r] = acc / n_columns


@cuda.jit
def _binary_crossentropy_kernel(p, y, from_logits, epsilon, losses, grad, scale):
    """One row per thread: the mean over the row of the binary cross-entropy (as
    :class:`~sigconv.nn.BinaryCrossentropy` computes it) and the gradient of the mean over
    every entry with respect to ``p`` (``scale = 1 / entries``)."""
    n_rows, n_columns = p.shape
    for r in range(cuda.grid(1), n_rows, cuda.gridsize(1)):
        acc = p[r, 0] * 0
        for c in range(n_columns):
            v, t = p[r, c], y[r, c]
            if from_logits:
                acc += (v if v > 0 else v * 0) - v * t + math.log1p(math.exp(-abs(v)))
                s = 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
                grad[r, c] = (s - t) * scale
            else:
                q = epsilon if v < epsilon else (1 - epsilon if v > 1 - epsilon else v)
                acc -= t * math.log(q) + (1 - t) * math.log(1 - q)
                if v >= epsilon and v <= 1 - epsilon:
                    grad[r, c] = (v - t) / (v * (1 - v)) * scale
                else:
                    grad[r, c] = v * 0
        losses[r] = acc / n_columns


def _rowwise_loss(kernel, p, y, *scalars):
    rows = p.shape[0]
    losses = cuda.device_array(rows, dtype=p.dtype)
    grad = cuda.device_array(p.shape, dtype=p.dtype)
    blocks, threads = launch_config(rows)
    scale = p.dtype.type(1 / p.size)
    kernel[blocks, threads](p, y, *scalars, losses, grad, scale)
    return losses, grad


def squared_error(p, y):
    """Per-row mean squared error of device matrices and the gradient of the mean over
    all entries with respect to ``p``: ``(losses, grad)``, device arrays."""
    return _rowwise_loss(_squared_error_kernel, p, y)


def binary_crossentropy(p, y, from_logits, epsilon=1e-7):
    """Per-row binary cross-entropy of device matrices (probabilities, or logits with
    ``from_logits``) and the gradient of the mean over all entries: ``(losses, grad)``."""
    return _rowwise_loss(_binary_crossentropy_kernel, p, y, from_logits,
                         p.dtype.type(epsilon))


# --- batch normalization ---------------------------------------------------------------------

@cuda.jit
def _batch_statistics_kernel(x, mean, variance, moving_mean, moving_variance, momentum,
                             training, epsilon, inv_std):
    """One channel per thread: the batch mean and (biased, two-pass) variance, the moving
    statistics' update (training), and ``inv_std = 1 / sqrt(var + epsilon)`` of the
    statistics used (the batch's in training, else the moving ones)."""
    n_rows, channels = x.shape
    for ch in range(cuda.grid(1), channels, cuda.gridsize(1)):
        if training:
            acc = x[0, ch] * 0
            for r in range(n_rows):
                acc += x[r, ch]
            m = acc / n_rows
            acc = acc * 0
            for r in range(n_rows):
                d = x[r, ch] - m
                acc += d * d
            v = acc / n_rows
            moving_mean[ch] = momentum * moving_mean[ch] + (1 - momentum) * m
            moving_variance[ch] = momentum * moving_variance[ch] + (1 - momentum) * v
        else:
            m = moving_mean[ch]
            v = moving_variance[ch]
        mean[ch] = m
        variance[ch] = v
        inv_std[ch] = 1 / math.sqrt(v + epsilon)


@cuda.jit
def _normalize_kernel(x, mean, inv_std, gamma, beta, normalized, y):
    channels = x.shape[1]
    for item in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        r, ch = item // channels, item % channels
        v = (x[r, ch] - mean[ch]) * inv_std[ch]
        normalized[r, ch] = v
        y[r, ch] = v * gamma[ch] + beta[ch]


def batch_norm_forward(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon,
                       training):
    """Batch normalization of a device matrix ``x`` (rows, channels): ``(y, normalized,
    inv_std)`` as device arrays; the moving statistics are updated in place in training."""
    rows, channels = x.shape
    dtype = x.dtype
    mean = cuda.device_array(channels, dtype=dtype)
    variance = cuda.device_array(channels, dtype=dtype)
    inv_std = cuda.device_array(channels, dtype=dtype)
    blocks, threads = launch_config(channels)
    _batch_statistics_kernel[blocks, threads](x, mean, variance, moving_mean, moving_variance,
                                              dtype.type(momentum), training,
                                              dtype.type(epsilon), inv_std)
    normalized = cuda.device_array(x.shape, dtype=dtype)
    y = cuda.device_array(x.shape, dtype=dtype)
    blocks, threads = launch_config(x.size)
    _normalize_kernel[blocks, threads](x, mean, inv_std, gamma, beta, normalized, y)
    return y, normalized, inv_std


@cuda.jit
def _batch_norm_sums_kernel(grad, normalized, gamma, sum_g, sum_gx, dgamma, dbeta):
    """One channel per thread: ``dgamma = sum(dy * xhat)``, ``dbeta = sum(dy)``, and the
    sums of ``g = gamma * dy`` and ``g * xhat`` that the input gradient needs."""
    n_rows, channels = grad.shape
    for ch in range(cuda.grid(1), channels, cuda.gridsize(1)):
        total = grad[0, ch] * 0
        total_x = grad[0, ch] * 0
        for r in range(n_rows):
            total += grad[r, ch]
            total_x += grad[r, ch] * normalized[r, ch]
        dbeta[ch] = total
        dgamma[ch] = total_x
        sum_g[ch] = gamma[ch] * total
        sum_gx[ch] = gamma[ch] * total_x


@cuda.jit
def _batch_norm_input_kernel(grad, normalized, gamma, inv_std, sum_g, sum_gx, training, dx):
    n_rows, channels = grad.shape
    for item in range(cuda.grid(1), grad.size, cuda.gridsize(1)):
        r, ch = item // channels, item % channels
        g = grad[r, ch] * gamma[ch]
        if training:
            dx[r, ch] = (inv_std[ch] / n_rows) * (n_rows * g - sum_g[ch]
                                                  - normalized[r, ch] * sum_gx[ch])
        else:
            dx[r, ch] = g * inv_std[ch]


def batch_norm_backward(grad, normalized, gamma, inv_std, training, input_grad):
    """Gradients of :func:`batch_norm_forward` on device matrices: ``(dx or None, dgamma,
    dbeta)``."""
    rows, channels = grad.shape
    dtype = grad.dtype
    sums = [cuda.device_array(channels, dtype=dtype) for _ in range(4)]
    sum_g, sum_gx, dgamma, dbeta = sums
    blocks, threads = launch_config(channels)
    _batch_norm_sums_kernel[blocks, threads](grad, normalized, gamma, sum_g, sum_gx, dgamma,
                                             dbeta)
    dx = None
    if input_grad:
        dx = cuda.device_array(grad.shape, dtype=dtype)
        blocks, threads = launch_config(grad.size)
        _batch_norm_input_kernel[blocks, threads](grad, normalized, gamma, inv_std, sum_g,
                                                  sum_gx, training, dx)
    return dx, dgamma, dbeta
