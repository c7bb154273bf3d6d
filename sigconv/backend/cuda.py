"""The CUDA backend of the signal functions: device arrays in and out.

Same functions, signatures and return types as :mod:`sigconv.backend.cpu` (the contract
is described in :mod:`sigconv.backend`). Arrays are Numba device arrays; CuPy arrays (any
``__cuda_array_interface__``) are taken without a copy, and :func:`like` gives CuPy back
for them. Data crosses between host and device only where a function says so: host
arrays handed to :func:`asarray` or :func:`rearrange` go up once, :func:`to_host` comes
down; allocation, casts, transposes, reversals, boundary extension and Fourier synthesis
run on the device. Shapes reach the kernels as tuples, passed by value.

Importing this module needs no GPU: numba.cuda and the kernels are imported by the
functions that use them.
"""

import math

import numpy as np

from .._jit import is_device_array, launch_config
from ..kernels.formulas import FILL, SYMM, WRAP

__all__ = ["owns", "asarray", "to_host", "like", "empty", "full", "rearrange", "permute",
           "direct_nd", "extend2d", "fourier_synthesis"]

#: the device's name, as ``device=`` gives it, and as error messages say it
DEVICE = "cuda"
NAME = "the GPU"
#: the methods of :func:`sigconv.convolve` that run here (``auto`` is ``direct``)
METHODS = ("auto", "direct")

_BOUNDARIES = {"fill": FILL, "wrap": WRAP, "symm": SYMM}


def _kernels():
    from ..kernels import cuda as kernels

    return kernels


def _is_cupy(array):
    return type(array).__module__.split(".")[0] == "cupy"


def owns(array):
    """Whether ``array`` lives on this device (``__cuda_array_interface__``, or a Numba
    device array).

    Parameters
    ----------
    array : object
        An array, or anything else.

    Returns
    -------
    bool
    """
    return is_device_array(array)


def asarray(array):
    """``array`` as a Numba device array: itself, a view of a CuPy array (no copy), or a
    host array copied to the device (one transfer).

    Parameters
    ----------
    array : array_like

    Returns
    -------
    numba.cuda.cudadrv.devicearray.DeviceNDArray
    """
    from numba import cuda

    if hasattr(array, "copy_to_host") and hasattr(array, "copy_to_device"):
        return array
    if hasattr(array, "__cuda_array_interface__"):
        return cuda.as_cuda_array(array)
    return cuda.to_device(np.ascontiguousarray(array))


def to_host(array):
    """``array`` as a NumPy array (one transfer from the device).

    Parameters
    ----------
    array : array_like

    Returns
    -------
    numpy.ndarray
    """
    if not owns(array):
        return np.asarray(array)
    return asarray(array).copy_to_host()


def like(result, *inputs):
    """``result`` in the array type of the device ``inputs``: CuPy when one of them is
    (a view, no copy), else unchanged.

    Parameters
    ----------
    result : device array
    *inputs : object
        The arrays the result was computed from.

    Returns
    -------
    device array
    """
    if owns(result) and any(_is_cupy(value) for value in inputs):
        import cupy

        return cupy.asarray(result)
    return result


def empty(shape, dtype):
    """An uninitialised device array (no transfer).

    Parameters
    ----------
    shape : tuple of int
    dtype : numpy.dtype

    Returns
    -------
    numba.cuda.cudadrv.devicearray.DeviceNDArray
    """
    from numba import cuda

    return cuda.device_array(tuple(shape), dtype=np.dtype(dtype))


def full(shape, fill_value, dtype):
    """A device array of ``fill_value``, written by a kernel (no host array, no transfer).

    Parameters
    ----------
    shape : tuple of int
    fill_value : scalar
    dtype : numpy.dtype

    Returns
    -------
    numba.cuda.cudadrv.devicearray.DeviceNDArray
    """
    dtype = np.dtype(dtype)
    out = empty(shape, dtype)
    if out.size:
        blocks, threads = launch_config(out.size)
        _kernels().fill_kernel[blocks, threads](out.reshape(out.size), dtype.type(fill_value))
    return out


def _element_strides(shape):
    """C-order strides of ``shape``, in elements."""
    strides = []
    step = 1
    for length in reversed(shape):
        strides.append(step)
        step *= length
    return strides[::-1]


def rearrange(array, order, flip, dtype, conjugate):
    """A C-contiguous device copy of ``array`` with its axes permuted and reversed, cast
    and conjugated, by one gather kernel; ``array`` itself when that changes nothing.

    A host ``array`` is rearranged on the host and copied up once. A device array that
    is not C-contiguous (a strided view) is the one case that goes through the host
    (down, rearranged, up): the kernel reads flat, contiguous memory.

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
    numba.cuda.cudadrv.devicearray.DeviceNDArray
    """
    from . import cpu

    dtype = np.dtype(dtype)
    if not owns(array) or not asarray(array).is_c_contiguous():
        return asarray(cpu.rearrange(to_host(array), order, flip, dtype, conjugate))
    source = asarray(array)
    shape = tuple(source.shape)
    order = tuple(range(len(shape))) if order is None else tuple(order)
    conjugate = bool(conjugate) and np.dtype(source.dtype).kind == "c"
    if (order == tuple(range(len(shape))) and not flip and dtype == source.dtype
            and not conjugate):
        return source
    out_shape = tuple(shape[axis] for axis in order)
    source_strides = _element_strides(shape)
    strides = [source_strides[axis] for axis in order]
    offset = 0
    for axis in flip:
        offset += (out_shape[axis] - 1) * strides[axis]
        strides[axis] = -strides[axis]
    out = empty(out_shape, dtype)
    size = math.prod(out_shape)
    if size:
        blocks, threads = launch_config(size)
        _kernels().gather_kernel[blocks, threads](
            source.reshape(source.size), out.reshape(size), (1,) + out_shape,
            (0,) + tuple(strides), offset, conjugate)
    return out


def permute(array, order):
    """The axes of ``array`` permuted: a C-contiguous device copy (Numba's device arrays
    have no strided transposes beyond 2-D); ``array`` itself for the identity.

    Parameters
    ----------
    array : device array
    order : tuple of int
        The input axis of each output axis.

    Returns
    -------
    numba.cuda.cudadrv.devicearray.DeviceNDArray
    """
    return rearrange(array, order, (), array.dtype, False)


def direct_nd(x, h, out, batch_shape, x_batch_shape, h_batch_shape, x_rows, h_rows,
              out_rows, row_start, col_start, block, parallel):
    """The direct N-D convolution into ``out``, one output per GPU thread
    (:func:`sigconv.kernels.cuda.direct_nd_kernel`); arguments as in
    :func:`sigconv.backend.cpu.direct_nd` (``block`` and ``parallel`` are unused).

    Parameters
    ----------
    x, h, out : device arrays
        ``(batch, rows, columns)``; nothing is copied between host and device.
    batch_shape, x_batch_shape, h_batch_shape, x_rows, h_rows, out_rows, row_start : tuple of int
        Shapes, passed to the kernel by value.
    col_start, block : int
    parallel : bool

    Returns
    -------
    None
        Whether the outputs are finite is not checked (it would cost a copy to the host).
    """
    def ints(values, lead):   # one leading axis of length 1: never an empty tuple
        return (lead,) + tuple(int(v) for v in values)

    x, h, out = asarray(x), asarray(h), asarray(out)
    blocks, threads = launch_config(out.size)
    _kernels().direct_nd_kernel[blocks, threads](
        x, h, out, ints(batch_shape, 1), ints(x_batch_shape, 1), ints(h_batch_shape, 1),
        ints(x_rows, 1), ints(h_rows, 1), ints(out_rows, 1), ints(row_start, 0),
        np.int64(col_start))
    return None


def extend2d(image, pads, boundary, fillvalue):
    """``image`` extended beyond its edges by ``boundary``, by a device kernel (the image
    may be a strided view; nothing crosses to the host).

    Parameters
    ----------
    image : device array
        2-D.
    pads : tuple of (int, int)
        ``(before, after)`` per axis.
    boundary : {"fill", "wrap", "symm"}
        The constant ``fillvalue``, periodic, or mirrored with the edge repeated.
    fillvalue : scalar
        Of ``image``'s dtype.

    Returns
    -------
    numba.cuda.cudadrv.devicearray.DeviceNDArray
    """
    image = asarray(image)
    dtype = np.dtype(image.dtype)
    (before0, after0), (before1, after1) = pads
    out = empty((image.shape[0] + before0 + after0, image.shape[1] + before1 + after1),
                dtype)
    blocks, threads = launch_config(out.size)
    _kernels().extend2d_kernel[blocks, threads](
        image, out, np.int64(before0), np.int64(before1), np.int64(_BOUNDARIES[boundary]),
        dtype.type(fillvalue))
    return out


def fourier_synthesis(t, f, g, omega, period, out):
    """The partial sums of a Fourier series at the times ``t``, one time per GPU thread
    (:func:`sigconv.kernels.cuda.fourier_synthesis_kernel`); arguments as in
    :func:`sigconv.backend.cpu.fourier_synthesis`.

    Parameters
    ----------
    t : device array
        1-D times of any real dtype (read as float64; a non-finite time gives NaN).
    f, g : device arrays
        float64 coefficients.
    omega, period : float
    out : device array
        1-D float64, ``t``'s length.

    Returns
    -------
    device array
        ``out``.
    """
    t, f, g, out = asarray(t), asarray(f), asarray(g), asarray(out)
    if out.size:
        blocks, threads = launch_config(out.size)
        _kernels().fourier_synthesis_kernel[blocks, threads](
            t, f, g, np.float64(omega), np.float64(period), out)
    return out
