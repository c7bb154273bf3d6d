"""The "fft" algorithm of the convolution layers: the convolution theorem over the image axes.

A stride-1 Keras convolution (a cross-correlation) of a channels-last batch is computed as

    X[b, u, v, ch]  = rfft2(x[b, :, :, ch]), zero-padded at the end to (Nh, Nw)
    K[u, v, ch, f]  = rfft2(g[:, :, ch, f]),  g[(ph - a*dh) mod Nh, (pw - c*dw) mod Nw] = k[a, c]
    OUT[b, u, v, f] = sum_ch X[b, u, v, ch] K[u, v, ch, f]     (one complex GEMM per frequency)
    out             = irfft2(OUT)[:, :oh, :ow]

``g`` is the kernel flipped (a correlation is a convolution with the reversed kernel), dilated
(tap ``a`` sits ``a * dh`` rows from the first: any dilation works, as the kernel with zeros
between its taps) and rolled by the padding before, so that output ``(i, j)`` lands at index
``(i, j)`` of the circular convolution and no padded copy of ``x`` is ever made. Output ``i``
reads input rows ``i + a*dh - ph``, from ``-ph`` to ``oh + span - 2 - ph``; the circular
convolution of length ``N`` gives the same sums when the rows before the image (which wrap to
``N - ph``...) and the rows after it both land on zeros, and the taps of ``g`` do not wrap onto
one another::

    N >= max(H + ph, oh + span - 1 - ph, span)

``"valid"`` needs ``N = H`` (no padding at all), ``"same"`` ``N = H + pad after`` (half the
padding of a linear convolution); ``scipy.fft.next_fast_len`` rounds it up.

``g`` has ``kh*kw`` non-zero rows and columns only, so ``K`` is two small DFT-matrix products
over the taps, ``K = E_h k E_w^T`` per channel pair (``E[u, a] = exp(-2j pi u (ph - a*dh) / N)``),
unless transforming the zero-filled planes is less work (:data:`KERNEL_DFT_MAX_RATIO`; long
1-D kernels).

Backward is the adjoint of each step: the circular convolution's adjoint is the circular
correlation (the conjugate spectrum), cropping's is zero-padding::

    GR     = rfft2(grad), zero-padded at the end to (Nh, Nw)
    DX     = GR conj(K)^T per frequency,   dx = irfft2(DX)[:, :H, :W]
    DG     = conj(X)^T GR per frequency,   dk[a, c] = irfft2(DG)[(ph - a*dh) mod Nh, ...]

Both products are taken conjugated, ``conj(DX) = conj(GR) K^T`` and
``conj(DG) = X^T conj(GR)``, so that only arrays backward owns are conjugated, in place:
``GR`` before the products, ``conj(DX)`` after; ``dk`` reads ``irfft2`` at ``kh*kw`` points
only, again as DFT-matrix products (or a transform and a gather of the negated indices).

The per-frequency products run as ``np.matmul`` over stacks of strided views (no transposed
copies), split over the layer's threads by frequency; the transforms use scipy.fft with
:func:`sigconv._jit.fft_workers` threads. Forward keeps ``X`` and ``K`` for backward.

Cost, with ``U = Nh*Nw*log2(Nh*Nw)`` and ``P = Nh*(Nw//2 + 1)`` frequencies (seconds fitted
on a 2-core EPYC, float32, batch 32, 8x8 to 64x64 images, 3 to 64 channels, 3x3 to 11x11
kernels; within ~1.5x of the measured times on that shared, noisy machine)::

    forward   ~ 0.5 ms + 5e-10 * (B*C + B*F) * U     + 1.2e-10 * B*C*F * P
    backward  ~ 0.5 ms + 5e-10 * (B*C + B*F) * U     + 1.2e-10 * 2 * B*C*F * P

against im2col + GEMM's ``B*oh*ow*kh*kw*C*F`` multiply-adds at ``R`` = 20 to 55 GMAC/s
(forward; backward ~2.3 times forward). Per multiply-add of the GEMM, the FFT's forward
costs ``T = R * 5e-10 * (1/C + 1/F) * U / (oh*ow)`` (transforms) plus
``M = R * 1.2e-10 * P / (oh*ow)`` (products) over ``kh*kw``, so it wins from ``kh*kw > T + M``
taps, and forward + backward from ``kh*kw > (2*T + 3*M) / 3.3``: 5x5 for 16->32 channels,
3x3 for 64->64 on 8x8 images (same padding). Its limit is memory: the spectra hold
``P*(B*C + C*F + B*F)`` complex numbers (the kernel's alone ``Nh*Nw/2`` times its size).
"""

import numpy as np
import scipy.fft

from .._jit import fft_workers
from .._validate import check_allocation
from . import functional


def misfit(geometry, in_channels, filters, dtype):
    """None when the FFT algorithm computes this convolution, else the reason it does not.

    Parameters
    ----------
    geometry : WindowGeometry
    in_channels, filters : int
    dtype : data-type
        float32 or float64.

    Returns
    -------
    str or None
        ``"needs strides 1, got (sh, sw)"`` for strided convolutions (the transform would
        compute every output only to drop most of them), else None.
    """
    if tuple(geometry.strides) != (1, 1):
        return f"needs strides 1, got {tuple(geometry.strides)}"
    return None


def fft_shape(geometry):
    """The transform sizes ``(Nh, Nw)`` of a stride-1 geometry (see the module's notes).

    Returns
    -------
    (int, int)
        ``next_fast_len(max(size + pad, out + span - 1 - pad, span))`` per axis; the
        width, transformed real-to-complex, rounded with ``real=True``.
    """
    sizes = []
    for axis in range(2):
        size, kernel = geometry.in_size[axis], geometry.kernel[axis]
        dilation, pad, out = geometry.dilation[axis], geometry.pad[axis], geometry.out_size[axis]
        span = (kernel - 1) * dilation + 1
        needed = max(size + pad, out + span - 1 - pad, span)
        sizes.append(scipy.fft.next_fast_len(needed, real=axis == 1))
    return tuple(sizes)


def _tap_indices(geometry, shape, sign):
    """Row and column indices ``sign * (pad - tap * dilation) mod N`` of the kernel's taps."""
    return tuple((sign * (geometry.pad[axis] - np.arange(geometry.kernel[axis])
                          * geometry.dilation[axis])) % shape[axis] for axis in range(2))


def _complex(dtype):
    return np.result_type(dtype, np.complex64)


def _check_spectra(x_shape, filters, geometry, shape, dtype, backward):
    """MemoryError (naming x and kernel) unless the peak of forward's or backward's arrays
    fits: the largest, phase by phase, of what is alive together (scipy.fft's padded copy
    of its input, and irfft2's complex intermediate, included)."""
    batch, height, width, channels = x_shape
    out_h, out_w = geometry.out_size
    kh, kw = geometry.kernel
    freqs = shape[0] * (shape[1] // 2 + 1)
    points = shape[0] * shape[1]
    pairs = channels * filters
    # in real entries; a complex one counts 2
    x_spectra, k_spectra = 2 * freqs * batch * channels, 2 * freqs * pairs
    out_spectra = 2 * freqs * batch * filters
    if _kernel_by_dft(geometry, shape):
        kernel_work = 2 * pairs * (kh * kw + kh * (shape[1] // 2 + 1))
    else:
        kernel_work = points * pairs + 2 * freqs * pairs
    if not backward:
        phases = (points * batch * channels + x_spectra,
                  x_spectra + k_spectra + kernel_work,
                  x_spectra + k_spectra + 2 * out_spectra + points * batch * filters,
                  x_spectra + k_spectra + points * batch * filters
                  + batch * out_h * out_w * filters)
    else:
        cached = x_spectra + k_spectra
        dx_spectra = 2 * freqs * batch * channels
        dx_size = batch * height * width * channels
        phases = (points * batch * channels + cached + x_spectra,   # recomputed cache
                  cached + points * batch * filters + out_spectra,
                  cached + out_spectra + 2 * dx_spectra + points * batch * channels,
                  cached + out_spectra + points * batch * channels + dx_size,
                  cached + out_spectra + dx_size + k_spectra + kernel_work)
    unit = freqs * batch * channels
    check_allocation("x, kernel", (batch, freqs, channels), _complex(dtype),
                     copies=max(phases) / (2 * unit),
                     what="the spectra of the FFT convolution")


def _products(a, b, out):
    """``out[p] = a[p] @ b[p]`` for every frequency ``p``, split over the layer's threads.

    ``a``, ``b`` and ``out`` are stacks of matrices, possibly strided views: each matrix
    has one unit stride, which is all BLAS needs, so np.matmul copies nothing.
    """
    n_freqs = out.shape[0]
    macs = 4 * n_freqs * a.shape[1] * a.shape[2] * b.shape[2]
    parts = functional._split(n_freqs, 1, macs, by_image=False)

    def task(first, last):
        np.matmul(a[first:last], b[first:last], out=out[first:last])

    if len(parts) == 1:
        with functional._one_blas_thread():
            task(*parts[0])
    else:
        functional._run(parts, task)
    return out


def _input_spectra(x, shape):
    """``X`` as ``(batch, freqs, channels)``."""
    spectra = scipy.fft.rfft2(x, s=shape, axes=(1, 2), workers=fft_workers())
    return spectra.reshape(x.shape[0], -1, x.shape[3])


#: the kernel's spectra, and the kernel gradient from its spectra, are small DFT-matrix
#: products over the taps (``kh*kw*(Nw//2+1) + kh*Nh*(Nw//2+1)`` complex multiply-adds per
#: channel pair) unless that is more than this many times ``Nh*Nw*log2(Nh*Nw)``, the
#: work of transforming the zero-filled ``(Nh, Nw)`` kernel planes instead; measured (2-core
#: EPYC, float32, 7x7 to 31x31 kernels on 32x32 to 128x128 images): ~2e-10 s per unit and
#: channel pair for the products, ~4e-10 s for the transforms
KERNEL_DFT_MAX_RATIO = 1.5


def _kernel_by_dft(geometry, shape):
    """Whether the kernel's spectra go through DFT matrices (else transforms)."""
    kh, kw = geometry.kernel
    half = shape[1] // 2 + 1
    products = kh * kw * half + kh * shape[0] * half
    transforms = shape[0] * shape[1] * max(1.0, np.log2(shape[0] * shape[1]))
    return products <= KERNEL_DFT_MAX_RATIO * transforms


def _dft_matrix(frequencies, taps, n, sign, dtype):
    """``exp(sign * 2j * pi * f * t / n)`` for ``f`` in ``range(frequencies)`` (rows) and
    ``t`` in ``taps`` (columns); the phases reduced mod ``n`` as exact integers first."""
    phases = (np.arange(frequencies)[:, None] * taps[None, :]) % n
    return np.exp(sign * 2j * np.pi * phases / n).astype(dtype)


def _kernel_spectra(kernel, geometry, shape):
    """``K`` as ``(freqs, in_channels, filters)``: the flipped, dilated, rolled kernel's."""
    kh, kw, channels, filters = kernel.shape
    rows, cols = _tap_indices(geometry, shape, 1)
    if not _kernel_by_dft(geometry, shape):
        placed = np.zeros((*shape, channels, filters), kernel.dtype)
        placed[np.ix_(rows, cols)] = kernel
        spectra = scipy.fft.rfft2(placed, axes=(0, 1), workers=fft_workers())
        return spectra.reshape(-1, channels, filters)
    dtype = _complex(kernel.dtype)
    across = _dft_matrix(shape[1] // 2 + 1, cols, shape[1], -1, dtype)
    down = _dft_matrix(shape[0], rows, shape[0], -1, dtype)
    # K[u, v] = sum_a down[u, a] sum_c across[v, c] k[a, c]
    with functional._one_blas_thread():
        partial = np.matmul(across, kernel.reshape(kh, kw, -1).astype(dtype))
        spectra = down @ partial.reshape(kh, -1)
    return spectra.reshape(-1, channels, filters)


def _kernel_gradient(conj_spectra, geometry, shape, dtype):
    """``dk[a, c] = irfft2(DG)[(ph - a*dh) mod Nh, (pw - c*dw) mod Nw]`` from
    ``conj(DG)``, shape ``(freqs, in_channels, filters)``.

    irfft2 over the half spectrum ``v < Nw//2 + 1`` is an inverse DFT over ``u`` followed
    by ``Re(sum_v w_v exp(2j pi v n / Nw) Y_v) / Nw`` with ``w_v = 2`` for the bins that
    stand for a conjugate pair too, 1 for ``v = 0`` and ``v = Nw/2``; ``Re(z) = Re(conj z)``
    lets it read ``conj(DG)`` with conjugated factors.
    """
    kh, kw = geometry.kernel
    channels, filters = conj_spectra.shape[1:]
    if not _kernel_by_dft(geometry, shape):
        reversed_dk = scipy.fft.irfft2(conj_spectra.reshape(shape[0], -1, channels, filters),
                                       s=shape, axes=(0, 1), workers=fft_workers())
        rows, cols = _tap_indices(geometry, shape, -1)
        return np.ascontiguousarray(reversed_dk[np.ix_(rows, cols)], dtype)
    rows, cols = _tap_indices(geometry, shape, 1)
    half = shape[1] // 2 + 1
    weights = np.full(half, 2.0)
    weights[0] = 1.0
    if shape[1] % 2 == 0:
        weights[-1] = 1.0
    cdtype = conj_spectra.dtype
    down = _dft_matrix(shape[0], rows, shape[0], -1, cdtype).T / shape[0]
    across = (_dft_matrix(half, cols, shape[1], -1, np.complex128).T
              * (weights / shape[1])).astype(cdtype)
    with functional._one_blas_thread():
        partial = down @ conj_spectra.reshape(shape[0], -1)
        gradient = np.matmul(across, partial.reshape(kh, half, -1))
    return np.ascontiguousarray(gradient.real.reshape(kh, kw, channels, filters), dtype)


def forward(x, kernel, geometry):
    """Stride-1 cross-correlation by the convolution theorem.

    Parameters
    ----------
    x : ndarray, shape (batch, height, width, in_channels)
        C-contiguous float32 or float64, ``(height, width) == geometry.in_size``.
    kernel : ndarray, shape (kh, kw, in_channels, filters)
        Of ``x``'s dtype.
    geometry : WindowGeometry
        Strides 1 (see :func:`misfit`).

    Returns
    -------
    (ndarray, tuple)
        The output ``(batch, out_height, out_width, filters)``, a new C-contiguous array of
        ``x``'s dtype, and the spectra ``(X, K)`` for :func:`backward`.

    Raises
    ------
    MemoryError
        If the spectra could not fit in memory.
    """
    batch, filters = x.shape[0], kernel.shape[3]
    out_h, out_w = geometry.out_size
    shape = fft_shape(geometry)
    _check_spectra(x.shape, filters, geometry, shape, x.dtype, backward=False)
    spectra_x = _input_spectra(x, shape)
    spectra_k = _kernel_spectra(kernel, geometry, shape)
    spectra_out = np.empty((batch, spectra_x.shape[1], filters), spectra_x.dtype)
    _products(spectra_x.transpose(1, 0, 2), spectra_k, spectra_out.transpose(1, 0, 2))
    full = scipy.fft.irfft2(spectra_out.reshape(batch, shape[0], -1, filters), s=shape,
                            axes=(1, 2), workers=fft_workers())
    del spectra_out
    out = np.ascontiguousarray(full[:, :out_h, :out_w], x.dtype)
    return out, (spectra_x, spectra_k)


def backward(x, grad, kernel, geometry, input_grad, cache):
    """Gradients of :func:`forward` with respect to its input and its kernel.

    Parameters
    ----------
    x : ndarray, shape (batch, height, width, in_channels)
        The forward input.
    grad : ndarray, shape (batch, out_height, out_width, filters)
        C-contiguous gradient of the loss with respect to the output, of ``x``'s dtype.
    kernel : ndarray, shape (kh, kw, in_channels, filters)
    geometry : WindowGeometry
    input_grad : bool
        Also compute the gradient with respect to ``x``.
    cache : tuple or None
        What :func:`forward` returned for this ``x`` and ``kernel`` (recomputed when None).

    Returns
    -------
    (ndarray or None, ndarray)
        ``dx`` of ``x``'s shape (None unless ``input_grad``) and ``dkernel`` of the kernel's.

    Raises
    ------
    MemoryError
        If the spectra could not fit in memory.
    """
    batch, height, width, channels = x.shape
    filters = kernel.shape[3]
    shape = fft_shape(geometry)
    _check_spectra(x.shape, filters, geometry, shape, x.dtype, backward=True)
    if cache is None:
        cache = (_input_spectra(x, shape), _kernel_spectra(kernel, geometry, shape))
    spectra_x, spectra_k = cache
    n_freqs = spectra_x.shape[1]
    # conj(GR), in place: both adjoint products then need no other conjugate (module notes)
    spectra_grad = scipy.fft.rfft2(grad, s=shape, axes=(1, 2), workers=fft_workers())
    spectra_grad = np.conjugate(spectra_grad, out=spectra_grad).reshape(batch, -1, filters)
    grad_stack = spectra_grad.transpose(1, 0, 2)
    dx = None
    if input_grad:
        spectra_dx = np.empty((batch, n_freqs, channels), spectra_x.dtype)
        _products(grad_stack, spectra_k.transpose(0, 2, 1), spectra_dx.transpose(1, 0, 2))
        # conjugated back in place: a streaming pass, cheaper than gathering the
        # reversed image of irfft2(conj(DX)) with two fancy indices
        np.conjugate(spectra_dx, out=spectra_dx)
        full = scipy.fft.irfft2(spectra_dx.reshape(batch, shape[0], -1, channels),
                                s=shape, axes=(1, 2), workers=fft_workers())
        del spectra_dx
        dx = np.ascontiguousarray(full[:, :height, :width], x.dtype)
        del full
    spectra_dk = np.empty((n_freqs, channels, filters), spectra_x.dtype)
    _products(spectra_x.transpose(1, 2, 0), grad_stack, spectra_dk)
    dkernel = _kernel_gradient(spectra_dk, geometry, shape, x.dtype)
    return dx, dkernel
