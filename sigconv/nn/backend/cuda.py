"""The CUDA backend: numba device arrays in, device arrays out.

The same functions, signatures and return types as :mod:`sigconv.nn.backend.cpu`; data
stays on the device. The only host-device copies are :func:`asarray` of a host array
(in) and :func:`to_host` (out); everything else allocates on the device
(``cuda.device_array`` and a fill kernel, never zeros built on the host and uploaded),
and what is reused across calls (average pooling's window counts) is cached on the device.
The kernels are in :mod:`sigconv.nn.kernels.cuda`. numba.cuda is imported inside the
functions, so this module imports on machines without a GPU.
"""

import functools

import numpy as np

from .. import functional

#: the device of the arrays this backend takes and returns
DEVICE = "cuda"


def _cuda():
    from numba import cuda

    from ..kernels import cuda as kernels
    return cuda, kernels


def _flat2d(array, columns):
    return array.reshape(array.size // columns, columns)


def _flat(array):
    return array.reshape(array.size)


# --- allocation and moving data ---------------------------------------------------------------

def zeros(shape, dtype):
    """A zero-filled device array of ``shape`` and ``dtype``: allocated on the device and
    filled by a kernel (nothing is copied from the host)."""
    return full(shape, 0, dtype)


def full(shape, value, dtype):
    """A device array of ``shape`` and ``dtype`` filled with ``value`` by a kernel."""
    cuda, kernels = _cuda()
    dtype = np.dtype(dtype)
    out = cuda.device_array(shape, dtype)
    if out.size:
        kernels.fill(_flat(out), dtype.type(value))
    return out


def empty(shape, dtype):
    """An uninitialised device array of ``shape`` and ``dtype``."""
    cuda, _ = _cuda()
    return cuda.device_array(shape, np.dtype(dtype))


def asarray(x, dtype):
    """``x`` as a device array of ``dtype``: a host array is copied to the device once;
    a device array is returned as it is.

    Raises
    ------
    TypeError
        If ``x`` is a device array of another dtype (casting it would need a kernel per
        dtype pair; the layers refuse it with their own message first).
    """
    cuda, _ = _cuda()
    dtype = np.dtype(dtype)
    if _is_device(x):
        if np.dtype(x.dtype) != dtype:
            raise TypeError(f"a device array must have dtype {dtype}; got {x.dtype}")
        return x
    return cuda.to_device(np.ascontiguousarray(x, dtype=dtype))


def to_host(x):
    """``x`` copied to the host, as a NumPy array (one copy; any array with
    ``__cuda_array_interface__``, a NumPy array as it is)."""
    from ..._jit import to_host as copied

    return copied(x) if _is_device(x) else np.asarray(x)


def copy(x):
    """A copy of the device array ``x`` on the device."""
    cuda, _ = _cuda()
    out = cuda.device_array(x.shape, x.dtype)
    out.copy_to_device(x)
    return out


def multiply(x, y):
    """``x * y`` elementwise (device arrays of one shape), a new device array."""
    _, kernels = _cuda()
    return kernels.multiply(x, y)


def _is_device(x):
    from .._checks import on_device

    return on_device(x)


# --- convolution and pooling ------------------------------------------------------------------

def resolve_conv_algorithm(requested, batch, geometry, channels, filters, dtype, training,
                           name="algorithm"):
    """``"gemm"``: on the GPU every convolution is an im2col and one tiled matrix product.

    Raises
    ------
    ValueError
        If ``requested`` is another algorithm than ``"auto"`` or ``"gemm"``.
    """
    if requested not in ("auto", "gemm"):
        raise ValueError(f"{name}={requested!r} runs on the CPU only; on the GPU every "
                         "convolution is 'gemm' (use 'auto')")
    return "gemm"


def conv_forward(x, kernel, geometry, algorithm="gemm"):
    """Convolution on device arrays: the whole batch's patches, then one tiled GEMM;
    ``(out, cache)`` with the patches as ``cache`` (for the backward pass)."""
    resolve_conv_algorithm(algorithm, 0, geometry, 0, 0, None, True)
    cuda, kernels = _cuda()
    batch, channels = x.shape[0], x.shape[3]
    out_h, out_w = geometry.out_size
    filters = tuple(kernel.shape)[-1]
    dtype = np.dtype(x.dtype)
    cols = cuda.device_array((batch * out_h * out_w, geometry.taps, channels), dtype)
    kernels.patches(x, cols, 0, batch * out_h, geometry.kernel_tuple, dtype.type(0))
    out = cuda.device_array((batch, out_h, out_w, filters), dtype)
    kernels.gemm(_flat2d(cols, geometry.taps * channels), _flat2d(kernel, filters),
                 out=_flat2d(out, filters))
    return out, cols


def conv_backward(x, grad, kernel, geometry, input_grad, cache, algorithm="gemm"):
    """Gradients of :func:`conv_forward` on device arrays, from the patches it kept:
    ``(dx or None, dkernel)``."""
    cuda, kernels = _cuda()
    filters = tuple(kernel.shape)[-1]
    dtype = np.dtype(x.dtype)
    width = geometry.taps * x.shape[3]
    grad2d = _flat2d(grad, filters)
    weights = _flat2d(kernel, filters)
    dweights = cuda.device_array(weights.shape, dtype)
    kernels.gemm(_flat2d(cache, width), grad2d, out=dweights, trans_a=True)
    dx = None
    if input_grad:
        dcols = cuda.device_array(cache.shape, dtype)
        kernels.gemm(grad2d, weights, out=_flat2d(dcols, width), trans_b=True)
        dx = zeros(x.shape, dtype)
        kernels.patches_adjoint(dcols, dx, 0, x.shape[0] * geometry.out_size[0],
                                geometry.kernel_tuple)
    return dx, dweights.reshape(kernel.shape)


@functools.lru_cache(maxsize=64)
def _window_counts(geometry, dtype):
    """Average pooling's window counts ``(out_h * out_w,)`` on the device, uploaded once
    per geometry and dtype (the kernel reads them per output row modulo the image)."""
    cuda, _ = _cuda()
    return cuda.to_device(np.ascontiguousarray(
        functional.window_counts(geometry, dtype)).reshape(-1))


def pool_forward(x, geometry, kind):
    """Max or average pooling on device arrays: ``(out, cache)``, ``cache`` the argmax
    taps (max) or the window counts (average), on the device."""
    cuda, kernels = _cuda()
    batch, channels = x.shape[0], x.shape[3]
    out_h, out_w = geometry.out_size
    dtype = np.dtype(x.dtype)
    rows = batch * out_h * out_w
    cols = cuda.device_array((rows, geometry.taps, channels), dtype)
    fill = -np.inf if kind == "max" else 0.0
    kernels.patches(x, cols, 0, batch * out_h, geometry.kernel_tuple, dtype.type(fill))
    out = cuda.device_array((rows, channels), dtype)
    if kind == "max":
        cache = cuda.device_array((rows, channels), np.int32)
        kernels.max_over_taps(cols, out, cache)
    else:
        cache = _window_counts(geometry, dtype)
        kernels.mean_over_taps(cols, cache, out)
    return out.reshape(batch, out_h, out_w, channels), cache


def pool_backward(grad, geometry, kind, cache, input_shape):
    """Gradient of :func:`pool_forward` on device arrays: scatter to the argmax (max) or
    share among the taps (average), then col2im; of ``input_shape``."""
    cuda, kernels = _cuda()
    channels = input_shape[3]
    dtype = np.dtype(grad.dtype)
    grad2d = _flat2d(grad, channels)
    cols = cuda.device_array((grad2d.shape[0], geometry.taps, channels), dtype)
    if kind == "max":
        kernels.scatter_to_taps(grad2d, cache, cols)
    else:
        kernels.share_to_taps(grad2d, cache, cols)
    dx = zeros(input_shape, dtype)
    return kernels.patches_adjoint(cols, dx, 0, input_shape[0] * geometry.out_size[0],
                                   geometry.kernel_tuple)


# --- dense layers, activations ------------------------------------------------------------------

def matmul(a, b, out=None, trans_a=False, trans_b=False):
    """``op(a) @ op(b)`` of device matrices (tiled GEMM), into ``out`` if given."""
    _, kernels = _cuda()
    return kernels.gemm(a, b, out=out, trans_a=trans_a, trans_b=trans_b)


def bias_activate(z, bias, activation):
    """``activation(z + bias)`` in place on the device array ``z`` (``bias`` None: no
    bias); returns ``z``.

    Raises
    ------
    NotImplementedError
        For an activation without a GPU kernel (the built-in elementwise ones and softmax
        have one).
    """
    from .. import activations as _activations

    _, kernels = _cuda()
    channels = tuple(z.shape)[-1]
    dtype = np.dtype(z.dtype)
    if bias is None:
        bias = zeros(channels, dtype)
    if activation.kind is not None:
        kernels.activate(_flat2d(z, channels), bias, activation.kind,
                         dtype.type(activation.slope))
        return z
    if activation is not _activations.softmax:
        raise NotImplementedError(f"activation {activation.name!r} does not run on the "
                                  "GPU yet")
    kernels.activate(_flat2d(z, channels), bias, 0, dtype.type(0))
    kernels.softmax_rows(_flat2d(z, channels))
    return z


def activation_backward(grad, y, activation):
    """``grad * activation'`` from the output ``y`` (device arrays), a new device array."""
    cuda, kernels = _cuda()
    channels = tuple(y.shape)[-1]
    out = cuda.device_array(y.shape, y.dtype)
    if activation.kind is not None:
        kernels.derivative(_flat2d(grad, channels), _flat2d(y, channels),
                           _flat2d(out, channels), activation.kind,
                           np.dtype(y.dtype).type(activation.slope))
    else:
        kernels.softmax_backward(_flat2d(grad, channels), _flat2d(y, channels),
                                 _flat2d(out, channels))
    return out


def bias_gradient(dz, out):
    """``out = dz`` summed over every axis but the last (device arrays)."""
    _, kernels = _cuda()
    kernels.column_sum(_flat2d(dz, out.shape[0]), out)
    return out


def dropout_mask(shape, dtype, rate, generator):
    """Inverted dropout's mask on the device, drawn on the host from ``generator`` as the
    CPU backend draws it (the same masks on both devices) and copied once."""
    from . import cpu

    return asarray(cpu.dropout_mask(shape, dtype, rate, generator), dtype)


# --- batch normalization ---------------------------------------------------------------------

def batch_norm_forward(x, gamma, beta, moving_mean, moving_variance, momentum, epsilon,
                       training):
    """Batch normalization on device arrays, channels last: ``(y, cache)``; the moving
    statistics (device arrays) are updated in place in training. ``gamma``/``beta`` None
    mean 1 and 0."""
    _, kernels = _cuda()
    shape = tuple(x.shape)
    channels = shape[-1]
    dtype = np.dtype(x.dtype)
    gamma = full(channels, 1, dtype) if gamma is None else gamma
    beta = zeros(channels, dtype) if beta is None else beta
    y, normalized, inv_std = kernels.batch_norm_forward(
        _flat2d(x, channels), gamma, beta, moving_mean, moving_variance, momentum, epsilon,
        bool(training))
    return y.reshape(shape), (normalized, inv_std, bool(training))


def batch_norm_backward(grad, gamma, cache, input_grad):
    """Gradients of :func:`batch_norm_forward` on device arrays: ``(dx or None, dgamma or
    None (without gamma), dbeta)``."""
    _, kernels = _cuda()
    normalized, inv_std, training = cache
    shape = tuple(grad.shape)
    channels = shape[-1]
    dtype = np.dtype(grad.dtype)
    scale = full(channels, 1, dtype) if gamma is None else gamma
    dx, dgamma, dbeta = kernels.batch_norm_backward(_flat2d(grad, channels), normalized,
                                                    scale, inv_std, training, input_grad)
    return (None if dx is None else dx.reshape(shape),
            None if gamma is None else dgamma, dbeta)


# --- losses and penalties -------------------------------------------------------------------

def crossentropy(output, targets, sparse, from_logits):
    """Per-sample categorical cross-entropy of device ``output`` (logits, or softmax
    probabilities) and the gradient of their mean with respect to the logits:
    ``(losses, grad)``, device arrays; ``targets`` one-hot rows, or class indices with
    ``sparse`` (a device array of ``output``'s dtype)."""
    _, kernels = _cuda()
    classes = tuple(output.shape)[-1]
    rows = output.size // classes
    labels = targets.reshape(rows, 1) if sparse else _flat2d(targets, classes)
    losses, grad = kernels.crossentropy(_flat2d(output, classes), labels, sparse,
                                        from_logits)
    return losses, grad.reshape(output.shape)


def squared_error(output, targets):
    """Per-sample mean squared error (mean over the last axis) of device arrays and the
    gradient of the mean over every entry: ``(losses, grad)``, device arrays."""
    _, kernels = _cuda()
    columns = tuple(output.shape)[-1]
    losses, grad = kernels.squared_error(_flat2d(output, columns), _flat2d(targets, columns))
    return losses, grad.reshape(output.shape)


def binary_crossentropy(output, targets, from_logits):
    """Per-sample binary cross-entropy (mean over the last axis) of device probabilities
    (or logits) and the gradient of the mean over every entry: ``(losses, grad)``."""
    from .. import losses as _losses

    _, kernels = _cuda()
    columns = tuple(output.shape)[-1]
    losses, grad = kernels.binary_crossentropy(_flat2d(output, columns),
                                               _flat2d(targets, columns), from_logits,
                                               _losses.EPSILON)
    return losses, grad.reshape(output.shape)


def add_mean(values, total):
    """``total[0] += mean(values)`` on the device (``total``: a one-entry device array)."""
    _, kernels = _cuda()
    return kernels.add_sum(_flat(values), total.dtype.type(1 / values.size), total)


def _factors(regularizer):
    """``(l1, l2)`` of a regularizer that computes sigconv's formula (an
    :class:`~sigconv.nn.Regularizer` whose value and gradient are not overridden), else
    None."""
    from ..regularizers import Regularizer

    kind = type(regularizer)
    if isinstance(regularizer, Regularizer) and kind.__call__ is Regularizer.__call__ \
            and kind.gradient is Regularizer.gradient:
        return regularizer.l1, regularizer.l2
    return None


def add_penalty(w, regularizer, total):
    """``total[0] += regularizer(w)``: for sigconv's penalties ``l1 * sum(|w|) + l2 *
    sum(w**2)`` on the device (the weights are not copied to the host); a regularizer
    of the user's own is called on a host copy of ``w`` (its formula is Python)."""
    _, kernels = _cuda()
    t = total.dtype.type
    factors = _factors(regularizer)
    if factors is None:
        value = asarray(np.array([regularizer(to_host(w))]), total.dtype)
        return kernels.add_sum(value, t(1), total)
    return kernels.add_penalty(_flat(w), t(factors[0]), t(factors[1]), total)


def add_penalty_gradient(w, grad, regularizer):
    """``grad += regularizer.gradient(w)`` in place: ``l1 * sign(w) + 2 * l2 * w`` on the
    device for sigconv's penalties; a regularizer of the user's own runs on a host copy
    of ``w``, its gradient copied back."""
    _, kernels = _cuda()
    t = np.dtype(w.dtype).type
    factors = _factors(regularizer)
    if factors is None:
        gradient = asarray(np.asarray(regularizer.gradient(to_host(w))), w.dtype)
        kernels.axpy(t(1), _flat(gradient), _flat(grad))
        return grad
    kernels.add_penalty_gradient(_flat(w), _flat(grad), t(factors[0]), t(factors[1]))
    return grad


def sum_of_squares(arrays):
    """``sum(a**2)`` of each flat device array, summed on the device in float64 and
    copied to the host together: a NumPy float64 array (one copy for all of them)."""
    _, kernels = _cuda()
    totals = zeros((len(arrays),), np.float64)
    one, zero = np.float64(1), np.float64(0)
    for k, array in enumerate(arrays):
        kernels.add_penalty(_flat(array), zero, one, totals[k:k + 1])
    return to_host(totals)
