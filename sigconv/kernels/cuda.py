"""CUDA twins of the CPU kernels (``numba.cuda``), with their host drivers.

Each driver takes the same arguments as its CPU twin in :mod:`sigconv.kernels.cpu` (host
NumPy arrays), copies them to the device, launches the kernel and returns the result on
the host; :func:`sigconv._jit.require_cuda` has checked that a GPU (or the simulator,
``NUMBA_ENABLE_CUDASIM=1``) is there. Kernels use grid-stride loops, so any launch size
covers any problem; ``_config.CUDA_THREADS_PER_BLOCK`` is patched small in the simulator
tests so that several blocks and several strides run.

This module is imported only when CUDA is asked for: ``import sigconv`` never touches
the CUDA driver.
"""

import math

import numpy as np
from numba import cuda

from .._jit import is_device_array, launch_config, on_device
from . import formulas

#: harmonics between exact re-seeds of the angle-addition recurrence (as on the CPU)
_RESEED = 64


_row_source = cuda.jit(device=True)(formulas.row_source)


@cuda.jit
def _direct_nd_kernel(x, h, out, x_batch, h_batch, x_rows, h_rows, out_rows, row_start,
                      col_start):
    """One output per thread (grid-stride): ``out[b, row, t]`` sums, over the kernel's rows
    and columns, the products that fall inside ``x`` (edges are clipped, never read)."""
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
        xb = x_batch[b]
        hb = h_batch[b]
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


def direct_nd(x, h, out, x_batch, h_batch, x_rows, h_rows, out_rows, row_start, col_start,
              block=None):
    """GPU twin of :func:`sigconv.kernels.cpu.direct_nd_parallel` (``block`` is unused).

    ``x`` and ``h`` may be host or device arrays; ``out`` is a host array to fill, or a
    device array that the kernel writes directly (then nothing crosses to the host).
    """
    device = [on_device(a)[0]
              for a in (x, h, x_batch, h_batch, x_rows, h_rows, out_rows, row_start)]
    resident = is_device_array(out)
    result = out if resident else cuda.device_array(out.shape, dtype=out.dtype)
    blocks, threads = launch_config(out.size)
    _direct_nd_kernel[blocks, threads](device[0], device[1], result, *device[2:],
                                       np.int64(col_start))
    if not resident:
        result.copy_to_host(out)
    return out


@cuda.jit
def _fourier_synthesis_kernel(t, f, g, omega, out):
    """One time point per thread: the harmonics advance by the angle-addition recurrence,
    re-seeded from exact values every ``_RESEED`` terms (as on the CPU)."""
    start = cuda.grid(1)
    stride = cuda.gridsize(1)
    n_terms = f.shape[0]
    for i in range(start, t.shape[0], stride):
        x = omega * t[i]
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


def fourier_synthesis(t, f, g, omega, out, block=None):
    """GPU twin of :func:`sigconv.kernels.cpu.fourier_synthesis` (``block`` is unused)."""
    device_t, device_f, device_g = (on_device(a)[0] for a in (t, f, g))
    result = cuda.device_array(out.shape, dtype=out.dtype)
    blocks, threads = launch_config(out.size)
    _fourier_synthesis_kernel[blocks, threads](device_t, device_f, device_g,
                                              np.float64(omega), result)
    result.copy_to_host(out)
    return out
