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
