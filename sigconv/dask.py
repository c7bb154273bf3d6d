"""Convolution of arrays larger than memory, chunk by chunk, with Dask (``sigconv.dask``).

Needs the optional extra ``pip install "sigconv[dask]"`` (``dask[array]`` and
``distributed``); ``import sigconv`` works without it.

A convolution over a chunked axis is an overlap-save computation: the output of a chunk
needs the input of the chunk and ``k - 1`` samples before it. So::

    1. every chunk comes with its k - 1 neighbours on both sides
       (``dask.array.map_overlap``; beyond the array's ends the boundary rule: zeros, or
       wrap / symmetric for 2-D images);
    2. sigconv's in-memory ``valid`` convolution of the chunk and the k - 1 samples before
       it gives the full convolution's outputs over the chunk's span (the last chunk adds
       the k - 1 outputs past the end);
    3. ``same`` and ``valid`` are windows of the full convolution, as in
       :func:`sigconv.convolve`.

Each chunk runs sigconv's own kernels (``method`` chooses direct, FFT or overlap-add per
chunk), wherever Dask schedules it: threads, processes or a ``distributed`` cluster.
"""

import numpy as np

from . import conv, conv2d
from ._validate import check_choice

__all__ = ["convolve", "convolve2d"]


def _dask_array():
    try:
        import dask.array as da
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError("sigconv.dask needs Dask: pip install 'sigconv[dask]'") from None
    return da


def _as_dask(x, name):
    da = _dask_array()
    if isinstance(x, da.Array):
        return x
    array = np.asarray(x)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"{name} must be a numeric dask or NumPy array; got dtype "
                        f"{array.dtype}")
    return da.from_array(array)


def _full_chunks(x, kernel, axes, method, boundary):
    """The full convolution of a chunked array, chunk by chunk (overlap-save).

    Each chunk comes with ``k - 1`` samples on both sides (``map_overlap``, beyond the
    array's ends by the ``boundary`` rule). The full convolution's outputs over a chunk's
    span need the chunk and the ``k - 1`` samples before it: a ``valid`` convolution of
    the chunk with its halo, minus the trailing halo. The last chunk keeps its trailing
    halo and gives the ``k - 1`` extra outputs of the full convolution.
    """
    from dask.array.overlap import ensure_minimum_chunksize

    da = _dask_array()
    halo = {axis: kernel.shape[axis] - 1 for axis in axes}
    # every chunk must be at least as long as its halo (Dask's own rule, applied here so
    # that the output chunks below are known)
    x = x.rechunk({axis: ensure_minimum_chunksize(halo[axis], x.chunks[axis])
                   for axis in axes if halo[axis] > 0})
    out_chunks = [list(c) for c in x.chunks]
    for axis in axes:
        out_chunks[axis][-1] += halo[axis]
    dtype = np.result_type(x.dtype, kernel.dtype)

    def block(values, block_info=None):
        info = block_info[0]
        window = [slice(None)] * values.ndim
        for axis in axes:
            last = info["chunk-location"][axis] == info["num-chunks"][axis] - 1
            window[axis] = slice(None if last else values.shape[axis] - halo[axis])
        return conv.convolve(values[tuple(window)], kernel, mode="valid", method=method,
                             axes=tuple(axes))

    depth = {axis: halo.get(axis, 0) for axis in range(x.ndim)}
    return da.map_overlap(block, x, depth=depth, boundary=boundary, trim=False, dtype=dtype,
                          chunks=tuple(tuple(c) for c in out_chunks))


def convolve(x, kernel, mode="full", method="auto", axis=-1):
    """Convolve a chunked (possibly larger than memory) array with an in-memory kernel.

    Parameters
    ----------
    x : dask.array.Array or array_like
        The signal; convolved along ``axis``, the other axes are a batch.
    kernel : array_like
        1-D kernel, in memory.
    mode : {"full", "same", "valid"}
        As in :func:`sigconv.convolve`.
    method : {"auto", "direct", "fft", "oa"}
        The method of each chunk's in-memory convolution.
    axis : int
        The axis to convolve along.

    Returns
    -------
    dask.array.Array
        Lazy; equal to ``sigconv.convolve`` of the in-memory arrays (``compute()`` it, or
        store it chunk by chunk with ``dask.array.to_zarr`` and the like).

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> import sigconv.dask
    >>> x = da.arange(10.0, chunks=4)
    >>> sigconv.dask.convolve(x, [1.0, 1.0], mode="same").compute()
    array([ 0.,  1.,  3.,  5.,  7.,  9., 11., 13., 15., 17.])
    """
    x = _as_dask(x, "x")
    kernel = np.asarray(kernel)
    if kernel.ndim != 1 or kernel.size == 0:
        raise ValueError(f"kernel must be a non-empty 1-D array; got shape {kernel.shape}")
    check_choice(mode, "mode", conv.MODES)
    check_choice(method, "method", conv.METHODS)
    if x.ndim == 0 or x.size == 0:
        raise ValueError(f"x must be a non-empty array with an axis to convolve; got shape "
                         f"{x.shape}")
    axis = axis % x.ndim if -x.ndim <= axis < x.ndim else None
    if axis is None:
        raise ValueError(f"axis is out of range for x of shape {x.shape}")
    n, k = x.shape[axis], kernel.size
    if mode == "valid" and k > n:
        raise ValueError(f"mode 'valid' needs the kernel ({k} taps) no longer than x "
                         f"({n} samples along axis {axis})")
    shape = [1] * x.ndim
    shape[axis] = k
    kernel_nd = kernel.reshape(shape)
    full = _full_chunks(x, kernel_nd, (axis,), method, boundary=0)
    start, length = conv.mode_window(n, k, mode)
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, start + length)
    return full[tuple(index)]


#: convolve2d's boundaries in map_overlap's words (its "reflect" repeats the edge sample)
_DASK_BOUNDARY = {"wrap": "periodic", "symm": "reflect"}


def convolve2d(image, kernel, mode="full", boundary="fill", fillvalue=0, method="auto"):
    """2-D convolution of a large chunked image, tile by tile with halos.

    The arguments and the result are those of :func:`sigconv.convolve2d`.

    Parameters
    ----------
    image : dask.array.Array or array_like
        The (large) 2-D image, tiled in chunks.
    kernel : array_like
        The small 2-D kernel, in memory.
    mode : {"full", "same", "valid"}
    boundary : {"fill", "wrap", "symm"}
    fillvalue : scalar
        The value outside the image for ``boundary="fill"``.
    method : {"auto", "direct", "fft", "oa"}
        The method of each tile's in-memory convolution.

    Returns
    -------
    dask.array.Array
        Lazy; equal to ``sigconv.convolve2d`` of the in-memory arrays.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> import sigconv, sigconv.dask
    >>> image = np.arange(30.0).reshape(5, 6)
    >>> tiled = sigconv.dask.convolve2d(da.from_array(image, chunks=2), np.ones((2, 2)),
    ...                                 mode="same", boundary="wrap")
    >>> bool(np.allclose(tiled.compute(), sigconv.convolve2d(image, np.ones((2, 2)),
    ...                                                      mode="same", boundary="wrap")))
    True
    """
    image = _as_dask(image, "image")
    kernel = np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2 or image.size == 0 or kernel.size == 0:
        raise ValueError(f"image and kernel must be non-empty 2-D arrays; got shapes "
                         f"{image.shape} and {kernel.shape}")
    check_choice(mode, "mode", conv.MODES)
    check_choice(boundary, "boundary", conv2d.BOUNDARIES)
    check_choice(method, "method", conv.METHODS)
    (n0, n1), (k0, k1) = image.shape, kernel.shape
    if mode == "valid" and (k0 > n0 or k1 > n1) and not (k0 >= n0 and k1 >= n1):
        raise ValueError("mode 'valid' needs one input to cover the other in both axes")
    if mode == "valid" and (k0 > n0 or k1 > n1):
        raise ValueError("sigconv.dask.convolve2d: in 'valid' mode the kernel must fit in "
                         "the (large) image")
    dtype = np.result_type(image.dtype, kernel.dtype)
    image = image.astype(dtype)
    rule = (np.asarray(fillvalue).astype(dtype).item() if boundary == "fill"
            else _DASK_BOUNDARY[boundary])
    full = _full_chunks(image, kernel, (0, 1), method, rule)
    windows = tuple(slice(start, start + length) for start, length in
                    (conv.mode_window(n, k, mode) for n, k in ((n0, k0), (n1, k1))))
    return full[windows]
