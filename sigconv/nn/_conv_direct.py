"""Direct convolution: algorithm ``"direct"`` of the convolution layers.

The cross-correlation is summed in place, without im2col::

    out[b, i, j, f] = sum_{a, c, ch} x[b, i*sh + a*dh - ph, j*sw + c*dw - pw, ch]
                                     * kernel[a, c, ch, f]

    dkernel[a, c, ch, f] = sum_{b, i, j} x[b, i*sh + a*dh - ph, j*sw + c*dw - pw, ch]
                                         * grad[b, i, j, f]

by the kernels of :mod:`sigconv.nn.kernels.direct`, vectorised over the filters; the input
gradient is gemm's (``dout @ kernel.T`` and col2im), which measured faster than gathering
it directly. It wins
where an im2col row is short, ``taps * in_channels`` up to about 60 (the first layer of a
network: 1 or 3 input channels), because the matrix product then runs far below its peak
while the copy of the windows costs as much as the arithmetic. Measured (float32, 2-core
VM, 3x3 kernels, 32 filters): the forward pass plus the kernel gradient 1.5-1.8x faster
than ``"gemm"`` with 1-4 input channels, about as fast with 6-8, 0.85x with 16, 0.7x
with 32. Any strides, dilation, padding and kernel size; float32 and float64.

Threads: a convolution of fewer than :data:`PARALLEL_MIN_MACS` multiply-adds runs the
serial twins of the kernels (they compile in half the time of the parallel ones, which
matters for the first call of a small network); larger ones run the parallel twins, one
inside :func:`sigconv._jit.single_thread` on one thread, the others on
``functional.n_threads()`` (at most numba's thread count). The forward pass splits its
output lines over the threads; the kernel gradient gives each of its
``functional.n_threads()`` tasks a buffer of its own, added serially at the end.
"""

import functools

import numba
import numpy as np

from . import functional
from .kernels import direct as kernels

#: below this many multiply-adds one thread is as fast: starting numba's (OpenMP) workers
#: costs a few hundred microseconds on the 2-core VM (measured: 6 M multiply-adds, ~350 us
#: of work, took as long on two threads as on one; 12 M 1.2x, 25 M 1.35x, 200 M 2x faster)
PARALLEL_MIN_MACS = 8_000_000


def misfit(geometry, in_channels, filters, dtype):
    """None: the direct algorithm computes every convolution (any strides, dilation,
    padding and kernel size; float32 and float64). Where it is slow (many input channels)
    it is still right, and ``algorithm="direct"`` should do what it says; whether it is the
    fastest is the cost model's question (:func:`functional.choose_conv_algorithm`)."""
    return None


def _threads(geometry, batch, in_channels, filters):
    """Threads worth using for a pass of this size; 0 for the serial twins."""
    macs = batch * geometry.out_size[0] * geometry.out_size[1] * geometry.taps \
        * in_channels * filters
    return functional.n_threads() if macs >= PARALLEL_MIN_MACS else 0


def _launch(name, threads, *args):
    """The kernel ``name`` of :mod:`sigconv.nn.kernels.direct` on ``args``: its serial twin
    when ``threads`` is 0, else its parallel twin with numba's thread count (of the calling
    thread) at most ``threads`` for the call. The parallel twin serves large passes even on
    one thread: only parallel loops get arrays that numba marks non-aliasing, and vectorise
    without run-time overlap checks (measured 1.2-1.8x faster than the same loop compiled
    serially)."""
    if threads == 0:
        getattr(kernels, name + "_serial")(*args)
        return
    kernel = getattr(kernels, name + "_parallel")
    before = numba.get_num_threads()
    threads = min(threads, before)
    if threads == before:
        kernel(*args)
        return
    numba.set_num_threads(threads)
    try:
        kernel(*args)
    finally:
        numba.set_num_threads(before)


def term_tables(count, first, xoff, col, height, width, channels, geometry):
    """Fill the terms of every output row into ``count, first`` (out_h,) and ``xoff, col``
    (out_h * kh * kw * channels,), all int64.

    ``count[i]`` terms, ``first[i]`` the kernel row (of the kernel seen as
    ``(kh * kw * channels, filters)``) of term 0; term ``r`` reads
    ``x.flat[xoff[i * T + r] + (b * H * W + j * sw) * channels]`` for pixel ``(b, i, j)``
    (``T = kh * kw * channels``) and input column ``col[i * T + r] + j * sw``. (Four
    arrays rather than a returned tuple: numba proves a parallel loop's arrays
    non-aliasing only when no tuple holds them.) Plain Python: it runs once per image
    shape, and compiling it cost more than it ever ran.
    """
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    n_terms = kh * kw * channels
    term_channels = np.arange(channels)
    for i in range(out_h):
        n = 0
        first[i] = -1
        for a in range(kh):
            h = i * sh + a * dh - ph
            if h < 0 or h >= height:
                continue
            if first[i] < 0:
                first[i] = a * kw * channels
            for c in range(kw):
                start = c * dw - pw
                at = i * n_terms + n
                xoff[at:at + channels] = (h * width + start) * channels + term_channels
                col[at:at + channels] = start
                n += channels
        count[i] = n
        first[i] = max(first[i], 0)


def interior(width, geometry):
    """``(lo, hi)``: the output columns ``j`` all of whose taps read inside the input
    (input column ``j * sw + c * dw - pw`` in ``[0, width)`` for every tap column ``c``)."""
    kh, kw, sh, sw, dh, dw, ph, pw, out_h, out_w = geometry
    lo, hi = 0, out_w
    for c in range(kw):
        start = c * dw - pw
        c_lo = (sw - 1 - start) // sw if start < 0 else 0
        c_hi = min(out_w, (width - 1 - start) // sw + 1) if start < width else 0
        lo = max(lo, min(c_lo, c_hi))
        hi = min(hi, c_hi)
    return lo, max(lo, hi)


@functools.lru_cache(maxsize=64)
def _tables(image_shape, geometry):
    """The term tables and interior columns of :mod:`sigconv.nn.kernels.direct` for images
    of ``(height, width, channels)`` and a geometry tuple, built once per shape (read-only
    after) and handed to the kernels as arrays of their own: a tuple of arrays inside a
    parallel loop would lose numba's non-aliasing marks."""
    height, width, channels = image_shape
    count = np.empty(geometry[8], np.int64)
    first = np.empty(geometry[8], np.int64)
    xoff = np.empty(geometry[8] * geometry[0] * geometry[1] * channels, np.int64)
    col = np.empty(xoff.size, np.int64)
    term_tables(count, first, xoff, col, height, width, channels, geometry)
    return (count, first, xoff, col, *interior(width, geometry))


def forward(x, kernel, geometry):
    """The cross-correlation of ``x`` (batch, height, width, in_channels) with ``kernel``
    (kh, kw, in_channels, filters), summed directly.

    Returns
    -------
    (ndarray, None)
        The output, C-contiguous (batch, out_height, out_width, filters) of ``x``'s dtype,
        and no cache (backward reads ``x`` itself).
    """
    filters = kernel.shape[3]
    out = np.empty((x.shape[0], *geometry.out_size, filters), x.dtype)
    threads = _threads(geometry, x.shape[0], x.shape[3], filters)
    _launch("forward", threads, x, kernel, out, geometry.kernel_tuple,
            *_tables(x.shape[1:], geometry.kernel_tuple))
    return out, None


def backward(x, grad, kernel, geometry, input_grad, cache):
    """Gradients of :func:`forward` with respect to its input (if ``input_grad``) and its
    kernel.

    Returns
    -------
    (ndarray or None, ndarray)
        ``dx`` of ``x``'s shape (None unless ``input_grad``) and ``dkernel`` of the
        kernel's shape.
    """
    threads = _threads(geometry, x.shape[0], x.shape[3], kernel.shape[3])
    partials = np.empty((min(max(threads, 1), x.shape[0] * geometry.out_size[0]),
                         *kernel.shape),
                        x.dtype)
    _launch("kernel_gradient", threads, x, grad, partials, geometry.kernel_tuple,
            *_tables(x.shape[1:], geometry.kernel_tuple))
    dkernel = partials[0]
    for task in range(1, partials.shape[0]):
        dkernel += partials[task]
    dx = None
    if input_grad:
        # gemm's transposed convolution (a product and col2im): direct gather kernels
        # measured 1.25-3x slower (CIFAR's first layer, batch 32: 6.8 ms against 2.2 ms)
        dx, _ = functional._conv_backward(x, grad, kernel, geometry, True, kernel_grad=False)
    return dx, dkernel
