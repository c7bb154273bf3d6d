"""Direct convolution: algorithm ``"direct"`` of the convolution layers.

The cross-correlation is summed in place, without im2col::

    out[b, i, j, f] = sum_{a, c, ch} x[b, i*sh + a*dh - ph, j*sw + c*dw - pw, ch]
                                     * kernel[a, c, ch, f]

    dkernel[a, c, ch, f] = sum_{b, i, j} x[b, i*sh + a*dh - ph, j*sw + c*dw - pw, ch]
                                         * grad[b, i, j, f]

    dx[b, h, w, ch] = sum over the (i, j, a, c) that read (h, w) of
                      grad[b, i, j, f] * kernel[a, c, ch, f]

by the kernels of :mod:`sigconv.nn.kernels.direct`, vectorised over the filters. It wins
where an im2col row is short, ``taps * in_channels`` a few dozen (the first layer of a
network: 1 or 3 input channels), because the matrix product then runs far below its peak
while the copy of the windows costs as much as the arithmetic; with tens of input
channels the matrix product wins (measured by ``bench`` numbers in the commit that added
this module). Any strides, dilation, padding and kernel size; float32 and float64.

Threads: a convolution of fewer than :data:`PARALLEL_MIN_MACS` multiply-adds, or one
inside :func:`sigconv._jit.single_thread`, runs on the calling thread. Otherwise the
forward pass and the input gradient split their output lines over numba's threads, and the
kernel gradient gives each of ``functional.n_threads()`` tasks a buffer of its own, added
serially at the end.
"""

import numpy as np

from . import functional
from .kernels import direct as kernels

#: below this many multiply-adds one thread is faster (waking numba's sleeping workers
#: costs ~50-100 us on a 2-core VM; the digits network's first layer, 0.3 M multiply-adds
#: at batch 100, runs in about that time on one thread)
PARALLEL_MIN_MACS = 1_000_000


def misfit(geometry, in_channels, filters, dtype):
    """None: the direct algorithm computes every convolution (any strides, dilation,
    padding and kernel size; float32 and float64). Whether it is the fastest is the cost
    model's question, not this one's."""
    return None


def _threads(geometry, batch, in_channels, filters):
    """Threads worth using for a pass of this size (1: the serial kernels)."""
    macs = batch * geometry.out_size[0] * geometry.out_size[1] * geometry.taps \
        * in_channels * filters
    return functional.n_threads() if macs >= PARALLEL_MIN_MACS else 1


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
    run = kernels.forward_parallel if threads > 1 else kernels.forward_serial
    run(x, kernel, out, geometry.kernel_tuple)
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
    n_tasks = min(threads, x.shape[0] * geometry.out_size[0])
    if n_tasks > 1:
        partials = np.empty((n_tasks, *kernel.shape), x.dtype)
        kernels.dkernel_parallel(x, grad, partials, geometry.kernel_tuple)
        dkernel = partials[0]
        for task in range(1, n_tasks):
            dkernel += partials[task]
    else:
        dkernel = np.empty(kernel.shape, x.dtype)
        kernels.dkernel_serial(x, grad, dkernel, geometry.kernel_tuple)
    dx = None
    if input_grad:
        kernel_t = np.ascontiguousarray(kernel.transpose(0, 1, 3, 2))
        dx = np.empty(x.shape, x.dtype)
        run = kernels.dx_parallel if threads > 1 else kernels.dx_serial
        run(grad, kernel_t, dx, geometry.kernel_tuple)
    return dx, dkernel
