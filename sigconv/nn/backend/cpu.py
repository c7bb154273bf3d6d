"""The CPU backend: NumPy arrays in, NumPy arrays out.

The same functions, signatures and return types as :mod:`sigconv.nn.backend.cuda`. Each
wraps the CPU code path the layers used before there were backends (the functions of
:mod:`sigconv.nn.functional` and :mod:`sigconv.nn.kernels.cpu`), so nothing here costs
more than calling those directly. Arguments are the layers' own (checked arrays of the
layer's dtype, C-contiguous): nothing is validated again.
"""

import numpy as np

from .. import _checks, functional
from .. import activations as _activations
from .. import losses as _losses
from ..kernels import cpu as _kernels

#: the device of the arrays this backend takes and returns
DEVICE = "cpu"


# --- allocation and moving data ---------------------------------------------------------------

def zeros(shape, dtype):
    """A zero-filled array of ``shape`` and ``dtype``."""
    return np.zeros(shape, dtype)


def full(shape, value, dtype):
    """An array of ``shape`` and ``dtype`` filled with ``value``."""
    return np.full(shape, value, dtype)


def empty(shape, dtype):
    """An uninitialised array of ``shape`` and ``dtype``."""
    return np.empty(shape, dtype)


def asarray(x, dtype):
    """``x`` as a C-contiguous array of ``dtype`` on the host (a device array is copied
    to the host; no copy when ``x`` already is one)."""
    if _checks.on_device(x):
        x = x.copy_to_host()
    return np.ascontiguousarray(x, dtype=dtype)


def to_host(x):
    """``x`` as a NumPy array (itself: it already is one)."""
    return x


def copy(x):
    """A C-contiguous copy of ``x``."""
    return np.array(x, order="C", copy=True)


def multiply(x, y):
    """``x * y`` elementwise (arrays of one shape), a new array."""
    return x * y


# --- convolution and pooling ------------------------------------------------------------------

def resolve_conv_algorithm(requested, batch, geometry, channels, filters, dtype, training,
                           name="algorithm"):
    """The convolution algorithm of a call: ``requested``, or ``"auto"``'s pick by the cost
    model of :func:`sigconv.nn.functional.choose_conv_algorithm`.

    Raises
    ------
    ValueError
        If ``requested`` does not apply to this convolution (the message names ``name``).
    """
    return functional._resolve_algorithm(requested, batch, geometry, channels, filters, dtype,
                                         training, name=name)


def conv_forward(x, kernel, geometry, algorithm="gemm"):
    """Convolution of the batch ``x`` (``(batch, h, w, channels)``) with ``kernel``
    (``(kh, kw, channels, filters)``): ``(out, cache)``, ``cache`` what
    :func:`conv_backward` needs (the patches, for GEMM)."""
    return functional._algorithm(algorithm).forward(x, kernel, geometry)


def conv_backward(x, grad, kernel, geometry, input_grad, cache, algorithm="gemm"):
    """Gradients of :func:`conv_forward`: ``(dx or None, dkernel)``."""
    return functional._algorithm(algorithm).backward(x, np.ascontiguousarray(grad), kernel,
                                                     geometry, input_grad, cache)


def pool_forward(x, geometry, kind):
    """Max or average pooling: ``(out, cache)``, ``cache`` the argmax taps (max) or the
    window counts (average)."""
    return functional._pool_forward(x, geometry, kind)


def pool_backward(grad, geometry, kind, cache, input_shape):
    """Gradient of :func:`pool_forward` with respect to its input, of ``input_shape``."""
    return functional._pool_backward(grad, geometry, kind, cache, input_shape)


# --- dense layers, activations ------------------------------------------------------------------

def matmul(a, b, out=None, trans_a=False, trans_b=False):
    """``op(a) @ op(b)`` of matrices (``op`` transposes where asked), into ``out`` if
    given."""
    return functional._dot(a.T if trans_a else a, b.T if trans_b else b, out=out)


def bias_activate(z, bias, activation):
    """``activation(z + bias)`` (``bias`` None: no bias), in place on ``z`` where a fused
    kernel exists (the result is returned either way)."""
    if bias is None:
        bias = np.zeros(z.shape[-1], z.dtype)
    if activation.kind is not None:
        return functional.bias_activate(z, bias, activation.kind, activation.slope)
    functional.bias_activate(z, bias, 0)
    if activation is _activations.softmax:
        return _activations._softmax(z)      # z: the layer's own float array
    return np.asarray(activation.function(z), dtype=z.dtype)


def activation_backward(grad, y, activation):
    """``grad * activation'`` from the activation's output ``y``."""
    if activation.kind is not None and activation._builtin:
        # the layer's own output y and a gradient of its shape (the checks of the
        # public derivative, memory included, are the forward pass's)
        return functional.activation_derivative(grad, y, activation.kind, activation.slope)
    return activation.derivative(grad, y)


def bias_gradient(dz, out):
    """``out = dz`` summed over every axis but the last (``out``: one entry per channel)."""
    units = out.shape[0]
    matrix = dz.reshape(dz.size // units, units)
    if matrix.flags.c_contiguous and matrix.dtype == out.dtype and out.flags.c_contiguous:
        _kernels.column_sum(matrix, out)
    else:
        np.add.reduce(matrix, axis=0, out=out)
    return out


def dropout_mask(shape, dtype, rate, generator):
    """Inverted dropout's mask: ``1 / (1 - rate)`` where ``generator.random() >= rate``,
    else 0 (drawn on the host, so that both backends draw the same masks)."""
    dtype = np.dtype(dtype)
    keep = generator.random(tuple(shape), dtype=dtype) >= rate
    return keep * dtype.type(1 / (1 - rate))


# --- batch normalization ---------------------------------------------------------------------

def batch_norm_forward(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon,
                       training):
    """``gamma * (x - mean) / sqrt(var + epsilon) + beta`` per channel (last axis), with the
    batch statistics in training (the moving ones updated in place) and the moving ones
    otherwise; ``gamma``/``beta`` None mean 1 and 0. Returns ``(y, cache)``."""
    axes = tuple(range(x.ndim - 1))
    if training:
        mean = x.mean(axis=axes)
        variance = x.var(axis=axes)
        moving_mean *= momentum
        moving_mean += (1 - momentum) * mean
        moving_variance *= momentum
        moving_variance += (1 - momentum) * variance
    else:
        mean, variance = moving_mean, moving_variance
    inv_std = 1 / np.sqrt(variance + epsilon)
    normalized = (x - mean) * inv_std
    y = normalized * gamma if gamma is not None else normalized.copy()
    if beta is not None:
        y += beta
    return y.astype(x.dtype, copy=False), (normalized, inv_std, training)


def batch_norm_backward(grad, gamma, cache, input_grad):
    """Gradients of :func:`batch_norm_forward`: ``(dx or None, dgamma or None (without
    gamma), dbeta)``."""
    normalized, inv_std, training = cache
    axes = tuple(range(grad.ndim - 1))
    dgamma = None if gamma is None else (grad * normalized).sum(axis=axes)
    dbeta = grad.sum(axis=axes)
    if not input_grad:
        return None, dgamma, dbeta
    dnormalized = grad * gamma if gamma is not None else grad
    if not training:
        return dnormalized * inv_std, dgamma, dbeta
    count = grad.size // grad.shape[-1]
    dx = (inv_std / count) * (count * dnormalized - dnormalized.sum(axis=axes)
                              - normalized * (dnormalized * normalized).sum(axis=axes))
    return dx, dgamma, dbeta


# --- losses and penalties -------------------------------------------------------------------

def crossentropy(output, targets, sparse, from_logits):
    """Per-sample categorical cross-entropy of ``output`` (logits, or softmax
    probabilities) and the gradient of their mean with respect to the logits:
    ``(losses, grad)``; ``targets`` one-hot rows, or class indices with ``sparse``."""
    kind = (_losses.SparseCategoricalCrossentropy if sparse
            else _losses.CategoricalCrossentropy)
    targets = targets.reshape(-1) if sparse else targets
    losses = kind(from_logits=from_logits, reduction="none")(targets, output)
    mean = kind(from_logits=from_logits)
    grad = (mean.gradient(targets, output) if from_logits
            else mean.gradient_from_softmax(targets, output))
    return np.asarray(losses, output.dtype), np.asarray(grad, output.dtype)


def squared_error(output, targets):
    """Per-sample mean squared error (mean over the last axis) and the gradient of the mean
    over every entry: ``(losses, grad)``."""
    losses = _losses.MeanSquaredError(reduction="none")(targets, output)
    grad = _losses.MeanSquaredError().gradient(targets, output)
    return np.asarray(losses, output.dtype), np.asarray(grad, output.dtype)


def binary_crossentropy(output, targets, from_logits):
    """Per-sample binary cross-entropy (mean over the last axis) of probabilities (or
    logits) and the gradient of the mean over every entry: ``(losses, grad)``."""
    losses = _losses.BinaryCrossentropy(from_logits=from_logits, reduction="none")(
        targets, output)
    grad = _losses.BinaryCrossentropy(from_logits=from_logits).gradient(targets, output)
    return np.asarray(losses, output.dtype), np.asarray(grad, output.dtype)


def add_mean(values, total):
    """``total[0] += mean(values)`` (``total``: a one-entry array, the batch's loss)."""
    total[0] += values.mean()
    return total


def add_penalty(w, regularizer, total):
    """``total[0] += regularizer(w)``."""
    total[0] += regularizer(w)
    return total


def add_penalty_gradient(w, grad, regularizer):
    """``grad += regularizer.gradient(w)``, in place."""
    grad += regularizer.gradient(w)
    return grad


def sum_of_squares(arrays):
    """``sum(a**2)`` of each flat array, as a NumPy float64 array on the host (the norms
    that gradient clipping needs; float32 arrays are summed by their own dtype's product)."""
    with np.errstate(over="ignore"):
        return np.array([float(np.dot(a, a)) for a in arrays], np.float64)
