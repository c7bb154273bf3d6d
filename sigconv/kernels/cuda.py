"""CUDA twins of the CPU kernels (``numba.cuda``): the kernels, and only them.

Their host drivers are :mod:`sigconv.backend.cuda` (device arrays in and out); the index
arithmetic is :mod:`sigconv.kernels.formulas`, shared with the CPU kernels. Shapes reach
the kernels as tuples of ints, passed by value: a launch copies nothing to the device
but what the driver put there. Kernels use grid-stride loops, so any launch size covers
any problem; ``_config.CUDA_THREADS_PER_BLOCK`` is patched small in the simulator tests
so that several blocks and several strides run.

This module is imported only when CUDA is asked for: ``import sigconv`` never touches
the CUDA driver.
"""

import math

from numba import cuda

from . import formulas

#: harmonics between exact re-seeds of the angle-addition recurrence (as on the CPU)
_RESEED = 64

_row_source = cuda.jit(device=True)(formulas.row_source)
_batch_source = cuda.jit(device=True)(formulas.batch_source)
_gather_source = cuda.jit(device=True)(formulas.gather_source)
_boundary_source = cuda.jit(device=True)(formulas.boundary_source)


@cuda.jit
def direct_nd_kernel(x, h, out, batch_shape, x_batch_shape, h_batch_shape, x_rows, h_rows,
                     out_rows, row_start, col_start):
    """One output per thread (grid-stride): ``out[b, row, t]`` sums, over the kernel's rows
    and columns, the products that fall inside ``x`` (edges are clipped, never read).
    The shapes are tuples (at least one entry each), batches broadcast."""
    n_out_rows = out.shape[1]
    m = out.shape[2]
    kernel_cols = h.shape[2]
    x_cols = x.shape[2]
    total = out.shape[0] * n_out_rows * m
    start = cuda.grid(1)
    stride = cuda.gridsize(1)
    for item in range(start, total, stride):
        t = item % m
        flat_row = item // m
        b = flat_row // n_out_rows
        o_row = flat_row % n_out_rows
        xb = _batch_source(b, batch_shape, x_batch_shape)
        hb = _batch_source(b, batch_shape, h_batch_shape)
        col = col_start + t
        k_lo = max(0, col - x_cols + 1)
        k_hi = min(kernel_cols, col + 1)
        acc = x[0, 0, 0] * 0
        for j_row in range(h.shape[1]):
            x_row = _row_source(o_row, j_row, out_rows, h_rows, x_rows, row_start)
            if x_row >= 0:
                for k in range(k_lo, k_hi):
                    acc += x[xb, x_row, col - k] * h[hb, j_row, k]
        out[b, o_row, t] = acc


@cuda.jit
def fill_kernel(out, value):
    """``out[:] = value`` (1-D, grid-stride)."""
    for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        out[i] = value


@cuda.jit
def gather_kernel(source, out, shape, strides, offset, conjugate):
    """``out[j] = source[gather_source(j)]``, conjugated if ``conjugate`` (complex only),
    cast to ``out``'s dtype: a transpose, a reversal and a cast in one pass (both 1-D)."""
    for j in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        value = source[_gather_source(j, shape, strides, offset)]
        if conjugate:
            value = value.conjugate()
        out[j] = value


@cuda.jit
def extend2d_kernel(image, out, pad_rows, pad_cols, boundary, fillvalue):
    """``out`` is ``image`` extended by ``pad_rows`` rows and ``pad_cols`` columns before
    its first ones, and by the rest of ``out``'s shape after, by ``boundary``
    (:func:`formulas.boundary_source`): one output per thread, grid-stride."""
    rows, cols = out.shape
    for item in range(cuda.grid(1), rows * cols, cuda.gridsize(1)):
        r = _boundary_source(item // cols - pad_rows, image.shape[0], boundary)
        c = _boundary_source(item % cols - pad_cols, image.shape[1], boundary)
        if r < 0 or c < 0:
            out[item // cols, item % cols] = fillvalue
        else:
            out[item // cols, item % cols] = image[r, c]


@cuda.jit
def fourier_synthesis_kernel(t, f, g, omega, period, out):
    """One time point per thread: the time folded by ``fmod`` (exact, as on the CPU), the
    harmonics advanced by the angle-addition recurrence, re-seeded from exact values
    every ``_RESEED`` terms (as on the CPU). A non-finite time gives NaN."""
    start = cuda.grid(1)
    stride = cuda.gridsize(1)
    n_terms = f.shape[0]
    for i in range(start, t.shape[0], stride):
        time = t[i] + 0.0
        if not math.isfinite(time):
            out[i] = math.nan
            continue
        x = omega * math.fmod(time, period)
        c1 = math.cos(x)
        s1 = math.sin(x)
        acc = 0.5 * f[0]
        c = 1.0
        s = 0.0
        for n in range(1, n_terms):
            if (n - 1) % _RESEED == 0:
                c = math.cos(n * x)
                s = math.sin(n * x)
            else:
                cn = c * c1 - s * s1
                s = s * c1 + c * s1
                c = cn
            acc += f[n] * c + g[n] * s
        out[i] = acc
