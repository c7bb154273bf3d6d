"""The CPU backend of the signal functions: NumPy arrays in and out.

Same functions, signatures and return types as :mod:`sigconv.backend.cuda` (the contract
is described in :mod:`sigconv.backend`); the work is done by the numba kernels of
:mod:`sigconv.kernels.cpu`, imported on first use.
"""

import math

import numpy as np

from .._jit import is_device_array, readonly
from .._jit import to_host as _download
from .._lazy import LazyModule

kernels = LazyModule("sigconv.kernels.cpu")

__all__ = ["owns", "asarray", "to_host", "like", "empty", "full", "rearrange", "permute",
           "direct_nd", "extend2d", "fourier_synthesis"]

#: the device's name, as ``device=`` gives it, and as error messages say it
DEVICE = "cpu"
NAME = "the CPU"
#: the methods of :func:`sigconv.convolve` that run here
METHODS = ("auto", "direct", "fft", "oa")

#: time points per task of :func:`fourier_synthesis`
SYNTHESIS_BLOCK = 512

_PAD_MODES = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}


def owns(array):
    """Whether ``array`` lives on this device (host memory: anything but a device array).

    Parameters
    ----------
    array : object
        An array, or anything else.

    Returns
    -------
    bool
    """
    return not is_device_array(array)


def asarray(array):
    """``array`` as a NumPy array (a device array is copied to the host; no copy else).

    Parameters
    ----------
    array : array_like

    Returns
    -------
    numpy.ndarray
    """
    return np.asarray(_download(array))


def to_host(array):
    """``array`` as a NumPy array (no copy of a NumPy array).

    Parameters
    ----------
    array : array_like

    Returns
    -------
    numpy.ndarray
    """
    return asarray(array)


def like(result, *inputs):
    """``result`` in the array type of ``inputs`` on this device: NumPy, unchanged.

    Parameters
    ----------
    result : numpy.ndarray
    *inputs : object
        The arrays the result was computed from.

    Returns
    -------
    numpy.ndarray
    """
    return result


def empty(shape, dtype):
    """An uninitialised array.

    Parameters
    ----------
    shape : tuple of int
    dtype : numpy.dtype

    Returns
    -------
    numpy.ndarray
    """
    return np.empty(shape, dtype=dtype)


def full(shape, fill_value, dtype):
    """An array of ``fill_value``.

    Parameters
    ----------
    shape : tuple of int
    fill_value : scalar
    dtype : numpy.dtype

    Returns
    -------
    numpy.ndarray
    """
    return np.full(shape, fill_value, dtype=dtype)


def rearrange(array, order, flip, dtype, conjugate):
    """A C-contiguous copy of ``array`` with its axes permuted and reversed, cast and
    conjugated; ``array`` itself when that changes nothing.

    Parameters
    ----------
    array : array_like
    order : tuple of int or None
        The input axis of each output axis (``numpy.transpose``); None keeps them.
    flip : tuple of int
        Output axes to reverse.
    dtype : numpy.dtype
        The output's dtype.
    conjugate : bool
        Conjugate the values (complex input).

    Returns
    -------
    numpy.ndarray
    """
    result = asarray(array)
    if order is not None:
        result = result.transpose(order)
    if flip:
        result = result[tuple(slice(None, None, -1) if axis in flip else slice(None)
                              for axis in range(result.ndim))]
    if conjugate:
        return np.ascontiguousarray(np.conjugate(result), dtype=dtype)
    return np.ascontiguousarray(result, dtype=dtype)


def permute(array, order):
    """The axes of ``array`` permuted (a view).

    Parameters
    ----------
    array : numpy.ndarray
    order : tuple of int
        The input axis of each output axis.

    Returns
    -------
    numpy.ndarray
    """
    return array.transpose(order)


def _batch_map(input_batch_shape, batch_shape):
    """Flat input batch index of every flat output batch index (broadcasting)."""
    if math.prod(input_batch_shape) == 1:
        return np.zeros(math.prod(batch_shape), dtype=np.int64)
    if tuple(input_batch_shape) == tuple(batch_shape):
        return np.arange(math.prod(batch_shape), dtype=np.int64)
    index = np.arange(math.prod(input_batch_shape), dtype=np.int64).reshape(input_batch_shape)
    return np.ascontiguousarray(np.broadcast_to(index, batch_shape)).ravel()


def direct_nd(x, h, out, batch_shape, x_batch_shape, h_batch_shape, x_rows, h_rows,
              out_rows, row_start, col_start, block, parallel):
    """The direct N-D convolution into ``out`` (:func:`sigconv.kernels.cpu.direct_nd_serial`).

    Parameters
    ----------
    x, h : numpy.ndarray
        C-contiguous ``(batch, rows, columns)`` inputs of ``out``'s dtype; ``x`` the longer.
    out : numpy.ndarray
        ``(batch, rows, columns)``, filled with the outputs of the full convolution from
        row ``row_start`` and column ``col_start`` on.
    batch_shape, x_batch_shape, h_batch_shape : tuple of int
        The batch axes of the output and of each input (lengths equal or 1: broadcast).
    x_rows, h_rows, out_rows, row_start : tuple of int
        Lengths and first outputs of the convolved axes before the last.
    col_start : int
        First output of the last axis.
    block : int
        Outputs per task (the blocks decide the order of the additions).
    parallel : bool
        On numba's threads, or on the calling thread.

    Returns
    -------
    bool or None
        Whether every output is finite (None where the backend does not check).
    """
    kernel = kernels.direct_nd_parallel if parallel else kernels.direct_nd_serial
    return bool(kernel(
        readonly(x), readonly(h), out, _batch_map(x_batch_shape, batch_shape),
        _batch_map(h_batch_shape, batch_shape), np.array(x_rows, dtype=np.int64),
        np.array(h_rows, dtype=np.int64), np.array(out_rows, dtype=np.int64),
        np.array(row_start, dtype=np.int64), col_start, block))


def extend2d(image, pads, boundary, fillvalue):
    """``image`` extended beyond its edges by ``boundary``.

    Parameters
    ----------
    image : numpy.ndarray
        2-D.
    pads : tuple of (int, int)
        ``(before, after)`` per axis.
    boundary : {"fill", "wrap", "symm"}
        The constant ``fillvalue``, periodic, or mirrored with the edge repeated.
    fillvalue : scalar
        Of ``image``'s dtype.

    Returns
    -------
    numpy.ndarray
    """
    if boundary == "fill":
        return np.pad(image, pads, mode="constant", constant_values=fillvalue)
    return np.pad(image, pads, mode=_PAD_MODES[boundary])


def fourier_synthesis(t, f, g, omega, period, out):
    """``out[i] = f[0]/2 + sum_n f[n] cos(n w t_i) + g[n] sin(n w t_i)``, ``w = omega``,
    with each time first reduced by ``fmod(t_i, period)`` (exact).

    Parameters
    ----------
    t : numpy.ndarray
        1-D float64 times.
    f, g : numpy.ndarray
        float64 coefficients.
    omega, period : float
    out : numpy.ndarray
        1-D float64, ``t``'s length.

    Returns
    -------
    numpy.ndarray
        ``out``.
    """
    kernels.fourier_synthesis(np.ascontiguousarray(np.fmod(t, period)), f, g, omega, out,
                              SYNTHESIS_BLOCK)
    return out
