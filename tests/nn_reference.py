"""Plain NumPy references of the sigconv.nn layers: slow, obvious, independent.

Written from the Keras/TensorFlow definitions with explicit padding and one loop over
output positions; they share no code with sigconv's windowing kernels.
"""

import math

import numpy as np


def pads(size, kernel, stride, dilation, padding):
    """(output length, padding before, padding after) of one axis, TensorFlow's rule."""
    span = (kernel - 1) * dilation + 1
    if padding == "valid":
        return math.ceil((size - span + 1) / stride), 0, 0
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + span - size, 0)
    return out, total // 2, total - total // 2


def _padded(x, kernel, strides, dilation, padding, value):
    geometry = [pads(x.shape[1 + k], kernel[k], strides[k], dilation[k], padding)
                for k in range(2)]
    widths = ((0, 0), *((before, after) for _, before, after in geometry), (0, 0))
    return np.pad(x, widths, constant_values=value), [g[0] for g in geometry]


def windows(x, kernel, strides, dilation, padding, value):
    """Yield ``(i, j, window)`` with window of shape (batch, kh, kw, channels)."""
    xp, (out_h, out_w) = _padded(x, kernel, strides, dilation, padding, value)
    for i in range(out_h):
        for j in range(out_w):
            h0, w0 = i * strides[0], j * strides[1]
            yield i, j, xp[:, h0:h0 + (kernel[0] - 1) * dilation[0] + 1:dilation[0],
                           w0:w0 + (kernel[1] - 1) * dilation[1] + 1:dilation[1], :]


def conv2d(x, kernel, bias, strides, padding, dilation):
    """Keras Conv2D (cross-correlation), float64, no activation."""
    kh, kw, _, filters = kernel.shape
    (out_h, _, _), (out_w, _, _) = (pads(x.shape[1 + k], kernel.shape[k], strides[k],
                                         dilation[k], padding) for k in range(2))
    out = np.zeros((x.shape[0], out_h, out_w, filters))
    for i, j, window in windows(x.astype(np.float64), (kh, kw), strides, dilation, padding, 0):
        out[:, i, j, :] = np.tensordot(window, kernel.astype(np.float64), axes=3)
    return out + (0 if bias is None else bias)


def pool2d(x, pool_size, strides, padding, kind):
    """Keras MaxPooling2D / AveragePooling2D: padding never wins and is not counted."""
    (out_h, _, _), (out_w, _, _) = (pads(x.shape[1 + k], pool_size[k], strides[k], 1, padding)
                                    for k in range(2))
    out = np.zeros((x.shape[0], out_h, out_w, x.shape[3]))
    reduce = np.nanmax if kind == "max" else np.nanmean
    for i, j, window in windows(x.astype(np.float64), pool_size, strides, (1, 1), padding,
                                np.nan):
        out[:, i, j, :] = reduce(window, axis=(1, 2))
    return out


def dense(x, kernel, bias):
    return x.astype(np.float64) @ kernel + (0 if bias is None else bias)


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "softmax": softmax,
}


def batch_norm(x, gamma, beta, epsilon):
    axes = tuple(range(x.ndim - 1))
    mean, variance = x.mean(axis=axes), x.var(axis=axes)
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


# --- the fast algorithms, spelled out in NumPy -------------------------------------------

WINOGRAD = {   # F(m, 3): B^T, G, A^T (Lavin & Gray 2016), points 0, +-1, (+-2), infinity
    2: ([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        [[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]],
        [[1, 1, 1, 0], [0, 1, -1, -1]]),
    4: ([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
         [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
        [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
         [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
        [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]),
}


def winograd_conv2d(x, kernel, m, padding):
    """Keras Conv2D with a 3x3 kernel by Winograd F(m x m, 3 x 3), tile by tile:
    ``Y = A^T [(G g G^T) * (B^T d B)] A`` per tile and channel pair, summed over channels.
    Computed in ``x``'s dtype (the transforms' coefficients are exact in float32 except
    G's thirds and sixths, applied to the kernel in float64)."""
    bt, g, at = (np.asarray(a, np.float64) for a in WINOGRAD[m])
    alpha = m + 2
    (out_h, ph, _), (out_w, pw, _) = (pads(x.shape[1 + k], 3, 1, 1, padding) for k in range(2))
    tiles_h, tiles_w = -(-out_h // m), -(-out_w // m)
    xp = np.zeros((x.shape[0], tiles_h * m + 2, tiles_w * m + 2, x.shape[3]), x.dtype)
    rows, cols = min(x.shape[1], xp.shape[1] - ph), min(x.shape[2], xp.shape[2] - pw)
    xp[:, ph:ph + rows, pw:pw + cols] = x[:, :rows, :cols]
    u = np.einsum("ka,acxf,lc->klxf", g, kernel.astype(np.float64), g).astype(x.dtype)
    bt, at = bt.astype(x.dtype), at.astype(x.dtype)
    out = np.zeros((x.shape[0], tiles_h * m, tiles_w * m, kernel.shape[3]), x.dtype)
    for th in range(tiles_h):
        for tw in range(tiles_w):
            d = xp[:, th * m:th * m + alpha, tw * m:tw * m + alpha]        # (b, a, a, ch)
            v = np.einsum("ka,bacx,lc->bklx", bt, d, bt)
            y = np.einsum("bklx,klxf->bklf", v, u)
            out[:, th * m:(th + 1) * m, tw * m:(tw + 1) * m] = \
                np.einsum("ik,bklf,jl->bijf", at, y, at)
    return out[:, :out_h, :out_w]


def fft_conv2d(x, kernel, padding):
    """Keras Conv2D (strides 1, no dilation) by the convolution theorem with NumPy's FFT:
    each output channel is the sum over input channels of full 2-D FFT convolutions with
    the flipped kernel, cropped to Keras's window."""
    kh, kw, _, filters = kernel.shape
    (out_h, ph, _), (out_w, pw, _) = (pads(x.shape[1 + k], kernel.shape[k], 1, 1, padding)
                                      for k in range(2))
    shape = (x.shape[1] + kh - 1, x.shape[2] + kw - 1)
    spectra = np.fft.rfft2(x.astype(np.float64), shape, axes=(1, 2))
    flipped = np.fft.rfft2(kernel[::-1, ::-1].astype(np.float64), shape, axes=(0, 1))
    full = np.fft.irfft2(np.einsum("buvx,uvxf->buvf", spectra, flipped), shape, axes=(1, 2))
    # full[i] = sum_a x[i - (kh - 1) + a] k[a]: output i starts at input i - ph
    return full[:, kh - 1 - ph:kh - 1 - ph + out_h, kw - 1 - pw:kw - 1 - pw + out_w]
