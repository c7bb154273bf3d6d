"""Convolution of arrays larger than memory, chunk by chunk, with Dask (``sigconv.dask``).

Needs the optional extra ``pip install "sigconv[dask]"`` (``dask[array]`` and
``distributed``); ``import sigconv`` works without it.

Convolution is linear: the input is the sum of its chunks, each zero elsewhere, so the
convolution is the sum of the chunks' convolutions. An output chunk needs the input over
its own span and ``k - 1`` samples around it, so each output chunk is:

    1. the bulk: the window of its own input chunk's full convolution over the output
       chunk's span (:func:`sigconv.conv.convolve_window`; the direct method computes
       only that window, straight into the output array: no halo is concatenated,
       nothing copied), computed where that chunk lives;
    2. plus, on its first and last ``k - 1`` outputs, the neighbours' shares: the
       windowed convolutions of the neighbouring chunks' samples within reach, computed
       where those chunks live, so only ``k - 1`` values per edge travel.

The task graph is written out explicitly (bulk, share and assembly tasks; see
``_windowed``); ``mode`` selects the window, as in :func:`sigconv.convolve`. The 2-D
boundaries ``wrap``, ``symm`` and a fill value pad the image with :func:`dask.array.pad`
first. Each task runs sigconv's own kernels on one thread (``method`` chooses direct, FFT
or overlap-add per chunk), wherever Dask schedules it: threads, processes or a
``distributed`` cluster, whose tasks are the parallelism.

Chunks of about 100 MB (Dask's suggested size) keep the scheduler's share small: on a
2-core machine a 1e8-sample convolution ran within 1.05-1.2x of the in-memory one with
25-million-sample chunks (``bench/bench_dask.py``), 1.35x with 10-million-sample ones,
where each task waits a few milliseconds for the scheduler.
"""

import itertools
import math

import numpy as np

from . import conv, conv2d
from ._docs import fill_docstrings
from ._jit import single_thread
from ._validate import (
    as_numeric_array,
    check_allocation,
    check_choice,
    check_native_precision,
    normalize_axes,
)

__all__ = ["convolve", "convolve2d", "correlate", "correlate2d"]


def _dask_array():
    try:
        import dask.array as da
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError("sigconv.dask needs Dask: pip install 'sigconv[dask]'") from None
    return da


def _as_dask(x, name):
    da = _dask_array()
    if not isinstance(x, da.Array):
        array = as_numeric_array(x, name)
        check_native_precision(array.dtype, name)
        return da.from_array(array)
    array = x
    if array.dtype.kind not in "biufc":
        raise TypeError(f"{name} must be a numeric dask or NumPy array; got dtype "
                        f"{array.dtype}")
    check_native_precision(array.dtype, name)
    if any(math.isnan(size) for size in array.shape):
        raise ValueError(f"{name} has chunks of unknown size (after boolean indexing, "
                         f"say): call {name}.compute_chunk_sizes() first")
    return array


def _as_kernel(kernel):
    kernel = as_numeric_array(kernel, "kernel")
    check_native_precision(kernel.dtype, "kernel")
    return kernel


def _result_dtype(x, kernel):
    dtype = np.result_type(x.dtype, kernel.dtype)
    if dtype == np.uint64:
        raise TypeError("sigconv.dask sums chunks' exact integer convolutions in int64: "
                        "cast uint64 inputs to int64 or float64 first")
    return dtype


def _edges(chunks):
    """Chunk edges along one axis: ``(0, c0, c0 + c1, ..., n)``."""
    return np.concatenate(([0], np.cumsum(chunks))).astype(int).tolist()


def _output_edges(chunks, length):
    """Output chunk edges along a convolved axis: the input's edges cut to ``length``.

    Output chunk ``i`` then lies within the full convolution of input chunk ``i`` for
    every mode, so that chunk's window is the bulk of the output chunk.
    """
    return [0] + [e for e in _edges(chunks)[1:-1] if e < length] + [length]


def _axis_plan(in_edges, out_edges, start, k, n):
    """For each output chunk along one convolved axis, the input pieces it needs.

    ``start`` is the output's offset in the full convolution. A piece is
    ``(input chunk, slice within it, (window start, length), slice of the output chunk,
    covers)``: that slice's full convolution, windowed, adds to that part of the output
    chunk; ``covers`` says it spans the whole output chunk.
    """
    plan = []
    for o0, o1 in zip(out_edges[:-1], out_edges[1:], strict=True):
        f0, f1 = o0 + start, o1 + start          # full-convolution outputs of the chunk
        lo, hi = max(f0 - k + 1, 0), min(f1, n)  # the input samples they need
        pieces = []
        for j, (c0, c1) in enumerate(zip(in_edges[:-1], in_edges[1:], strict=True)):
            p0, p1 = max(lo, c0), min(hi, c1)
            if p0 >= p1:
                continue
            g0, g1 = max(f0, p0), min(f1, p1 + k - 1)  # the piece's outputs in the chunk
            cut = slice(None) if (p0, p1) == (c0, c1) else slice(p0 - c0, p1 - c0)
            pieces.append((j, cut, (g0 - p0, g1 - g0), slice(g0 - f0, g1 - f0),
                           (g0, g1) == (f0, f1)))
        # the piece that covers the chunk first: its window becomes the output array
        pieces.sort(key=lambda piece: not piece[4])
        plan.append(pieces)
    return plan


def _work_dtype(dtype):
    """The dtype the chunks' shares are summed in: int64 for exact integers (their range
    checked at the end), float32 for float16 (rounded once at the end, as in memory)."""
    return {"b": np.int64, "i": np.int64, "u": np.int64}.get(
        dtype.kind, np.float32 if dtype == np.float16 else dtype)


def _part(chunk, cut, kernel, window, method, work):
    """The windowed full convolution of ``chunk[cut]``, in ``work``: one chunk's share of
    an output chunk."""
    piece = chunk[cut].astype(work, copy=False)
    with single_thread():   # Dask runs the tasks in parallel
        try:
            return conv.convolve_window(piece, kernel.astype(work, copy=False), window,
                                        method)
        except OverflowError as exc:   # it names convolve_window's in1, in2
            raise OverflowError(f"the input and kernel, in one chunk: {exc}") from None


def _assemble(bulk, shares, places, shape, dtype, names="x, kernel"):
    """An output chunk: its bulk plus the neighbours' shares on its edges.

    ``bulk`` (None if no piece spans the chunk) is the private result of this graph's
    bulk task, read by no other task, so it is completed in place rather than copied
    when nothing after the first addition can fail. Exact integers may still overflow,
    so they are summed in a copy, and a rerun finds the bulk intact.
    """
    work = _work_dtype(dtype)
    exact = dtype.kind in "biu"
    if bulk is None:
        out = np.zeros(shape, work)
    else:
        out = bulk.copy() if exact else bulk
    for share, place in zip(shares, places, strict=True):
        if exact:
            _check_no_wrap(out[place], share, names)
        out[place] += share
    if exact:
        return conv.cast_integer_result(out, dtype, names)
    return out.astype(dtype, copy=False)


def _check_no_wrap(a, b, names="x, kernel"):
    """OverflowError where ``a + b`` (int64) wraps around: the sum's sign then differs
    from both terms' signs."""
    total = a + b
    if np.any(((a ^ total) & (b ^ total)) < 0):
        raise OverflowError(f"{names}: the exact convolution exceeds the int64 range; "
                            "convolve in float64, or in memory (which falls back to Python "
                            "integers)")


def _windowed(x, kernel, window, out_edges, method, names="x, kernel"):
    """A window of the zero-filled full convolution of ``x`` with ``kernel``, chunked.

    ``window`` maps each convolved axis to ``(start, length)`` in the full convolution,
    ``out_edges`` to the output's chunk edges; the other axes keep ``x``'s chunks (the
    kernel has length 1 along them). Per output chunk, three kinds of task:

    * ``bulk``: the window of the spanning input chunk, where that chunk is (the long
      one; it needs nothing from elsewhere, so it starts at once);
    * ``share``: a neighbour's share, computed where the neighbour is, from its ``k - 1``
      samples in reach (small; first in priority, so they are ready when needed, and
      only ``k - 1`` outputs travel);
    * the output chunk: the bulk plus the shares (:func:`_assemble`).
    """
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph, MaterializedLayer

    da = _dask_array()
    dtype = _result_dtype(x, kernel)
    work = _work_dtype(dtype)
    # the tasks hold the kernel whole (and copy it in their work dtype): a broadcast view
    # is made whole here, its memory checked first, rather than by tokenize's ravel
    check_allocation("kernel", kernel.shape, np.result_type(kernel.dtype, work), copies=2,
                     what="the kernel held whole by the tasks, with one working copy")
    kernel = np.ascontiguousarray(kernel)
    token = tokenize(x, kernel, window, out_edges, method)
    name, share_name, bulk_name, kernel_key = (
        f"sigconv-{part}-{token}" for part in ("convolve", "share", "bulk", "kernel"))
    axis_plans = []
    for axis in range(x.ndim):
        if axis in window:
            axis_plans.append(_axis_plan(_edges(x.chunks[axis]), out_edges[axis],
                                         window[axis][0], kernel.shape[axis], x.shape[axis]))
        else:
            axis_plans.append([[(j, slice(None), None, slice(None), True)]
                               for j in range(x.numblocks[axis])])
    layer, share_layer = {}, {kernel_key: kernel}
    for index in itertools.product(*(range(len(p)) for p in axis_plans)):
        bulk, shares, places = None, [], []
        pieces = itertools.product(*(p[i] for p, i in zip(axis_plans, index, strict=True)))
        for number, combo in enumerate(pieces):
            task = (_part, (x.name, *(piece[0] for piece in combo)),
                    tuple(piece[1] for piece in combo), kernel_key,
                    {axis: combo[axis][2] for axis in window}, method, work)
            if number == 0 and all(piece[4] for piece in combo):
                bulk = (bulk_name, *index)
                layer[bulk] = task
            else:
                shares.append((share_name, *index, number))
                share_layer[shares[-1]] = task
                places.append(tuple(piece[3] for piece in combo))
        shape = tuple(out_edges[axis][i + 1] - out_edges[axis][i] if axis in window
                      else x.chunks[axis][i] for axis, i in enumerate(index))
        layer[(name, *index)] = (_assemble, bulk, shares, places, shape, dtype, names)
    chunks = tuple(tuple(np.diff(out_edges[axis]).tolist()) if axis in window
                   else x.chunks[axis] for axis in range(x.ndim))
    graph = HighLevelGraph.from_collections(
        share_name, MaterializedLayer(share_layer, annotations={"priority": 1}),
        dependencies=[x])
    graph = HighLevelGraph.merge(graph, HighLevelGraph.from_collections(
        name, layer, dependencies=[x]))
    graph.dependencies[name] = graph.dependencies[name] | {share_name}
    return da.Array(graph, name, chunks, dtype=dtype)


def convolve(x, kernel, mode="full", method="auto", axis=-1):
    """Convolve a chunked (possibly larger than memory) array with an in-memory kernel.

    Parameters
    ----------
    {parameters_1d}

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
    return _convolve1d(x, kernel, mode, method, axis, correlation=False)


def _convolve1d(x, kernel, mode, method, axis, correlation):
    x = _as_dask(x, "x")
    kernel = _as_kernel(kernel)
    if kernel.ndim != 1 or kernel.size == 0:
        raise ValueError(f"kernel must be a non-empty 1-D array; got shape {kernel.shape}")
    check_choice(mode, "mode", conv.MODES)
    check_choice(method, "method", conv.METHODS)
    if x.ndim == 0 or x.size == 0:
        raise ValueError(f"x must be a non-empty array with an axis to convolve; got shape "
                         f"{x.shape}")
    if axis is None:
        raise TypeError("axis must be an integer; got None")
    (axis,) = normalize_axes(axis, x.ndim, "axis")
    n, k = x.shape[axis], kernel.size
    if mode == "valid" and k > n:
        raise ValueError(f"mode 'valid' needs the kernel ({k} taps) no longer than x "
                         f"({n} samples along axis {axis})")
    if correlation:   # correlation is convolution with the reversed, conjugated kernel
        kernel = conv.conjugate(kernel[::-1], "kernel")
    shape = [1] * x.ndim
    shape[axis] = k
    start, length = conv.mode_window(n, k, mode)
    return _windowed(x, kernel.reshape(shape), {axis: (start, length)},
                     {axis: _output_edges(x.chunks[axis], length)}, method)


def correlate(x, kernel, mode="full", method="auto", axis=-1):
    """Cross-correlate a chunked (possibly larger than memory) array with a kernel.

    As :func:`convolve`, with the kernel reversed and conjugated: equal to
    :func:`sigconv.correlate` of the in-memory arrays.

    Parameters
    ----------
    {parameters_1d}

    Returns
    -------
    dask.array.Array
        Lazy; equal to ``sigconv.correlate`` of the in-memory arrays.

    Examples
    --------
    >>> import dask.array as da
    >>> import sigconv.dask
    >>> x = da.from_array([0.0, 0.0, 1.0, 0.0, 0.0], chunks=2)
    >>> sigconv.dask.correlate(x, [1.0, 2.0, 3.0], mode="same").compute()
    array([0., 3., 2., 1., 0.])
    """
    return _convolve1d(x, kernel, mode, method, axis, correlation=True)


#: convolve2d's boundaries as :func:`dask.array.pad` arguments
_DASK_PAD = {"fill": lambda fill: {"mode": "constant", "constant_values": fill},
             "wrap": lambda fill: {"mode": "wrap"},
             "symm": lambda fill: {"mode": "symmetric"}}


def _pad(image, pads, boundary, fill):
    """``image`` padded by ``pads`` per axis on both sides by the boundary rule.

    :func:`dask.array.pad` pads ``wrap`` and ``symmetric`` by at most the array's own
    length per call; both extensions are periodic (period ``n``, ``2n``), so padding the
    padded array again continues them, as :func:`numpy.pad` does.
    """
    da = _dask_array()
    left = list(pads)
    while any(left):
        most = left if boundary == "fill" else image.shape   # a constant has no period
        step = [min(w, m) for w, m in zip(left, most, strict=True)]
        image = da.pad(image, [(w, w) for w in step], **_DASK_PAD[boundary](fill))
        left = [w - s for w, s in zip(left, step, strict=True)]
    return image


def convolve2d(image, kernel, mode="full", boundary="fill", fillvalue=0, method="auto"):
    """2-D convolution of a large chunked image, tile by tile with halos.

    The arguments and the result are those of :func:`sigconv.convolve2d`.

    Parameters
    ----------
    {parameters_2d}

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
    return _convolve2d(image, kernel, mode, boundary, fillvalue, method, correlation=False)


def correlate2d(image, kernel, mode="full", boundary="fill", fillvalue=0, method="auto"):
    """2-D cross-correlation of a large chunked image, tile by tile with halos.

    The arguments and the result are those of :func:`sigconv.correlate2d` (``same`` is
    centred as :func:`scipy.signal.correlate2d` centres it for even kernels).

    Parameters
    ----------
    {parameters_2d}

    Returns
    -------
    dask.array.Array
        Lazy; equal to ``sigconv.correlate2d`` of the in-memory arrays.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> import sigconv, sigconv.dask
    >>> image = np.arange(30.0).reshape(5, 6)
    >>> edges = np.array([[1.0, -1.0]])
    >>> tiled = sigconv.dask.correlate2d(da.from_array(image, chunks=2), edges, mode="same")
    >>> bool(np.array_equal(tiled.compute(), sigconv.correlate2d(image, edges, mode="same")))
    True
    """
    return _convolve2d(image, kernel, mode, boundary, fillvalue, method, correlation=True)


def _convolve2d(image, kernel, mode, boundary, fillvalue, method, correlation):
    image = _as_dask(image, "image")
    kernel = _as_kernel(kernel)
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
        raise ValueError("mode 'valid' needs the kernel to fit in the (large, chunked) "
                         "image; the in-memory functions also take it the other way round")
    dtype = _result_dtype(image, kernel)
    image = image.astype(dtype)
    fill = conv2d.check_fillvalue(fillvalue, dtype).item() if boundary == "fill" else 0
    starts = conv2d.window_starts(image.shape, kernel.shape, mode, correlation)
    if correlation:   # correlation is convolution with the flipped, conjugated kernel
        kernel = conv.conjugate(kernel[::-1, ::-1], "kernel")
    pads = (k0 - 1, k1 - 1) if mode != "valid" and (boundary != "fill" or fill != 0) else (0, 0)
    padded = _pad(image, pads, boundary, fill)
    window, edges = {}, {}
    for axis, (n, k, pad) in enumerate(((n0, k0, pads[0]), (n1, k1, pads[1]))):
        length = conv.mode_window(n, k, mode)[1]
        window[axis] = (starts[axis] + pad, length)   # the padding shifts the full convolution
        edges[axis] = _output_edges(image.chunks[axis], length)
    return _windowed(padded, kernel, window, edges, method, "image, kernel")


fill_docstrings((convolve, correlate), parameters_1d="""x : dask.array.Array or array_like
        The signal, along ``axis``; the other axes are a batch.
    kernel : array_like
        1-D kernel, in memory.
    mode : {"full", "same", "valid"}
        As in :func:`sigconv.convolve`; ``valid`` needs the kernel no longer than ``x``.
    method : {"auto", "direct", "fft", "oa"}
        The method of each chunk's in-memory convolution.
    axis : int
        The axis of the signal.""")
fill_docstrings((convolve2d, correlate2d), parameters_2d="""image : dask.array.Array or array_like
        The (large) 2-D image, tiled in chunks.
    kernel : array_like
        The small 2-D kernel, in memory.
    mode : {"full", "same", "valid"}
        ``valid`` needs the kernel to fit in the image.
    boundary : {"fill", "wrap", "symm"}
    fillvalue : scalar
        The value outside the image for ``boundary="fill"``.
    method : {"auto", "direct", "fft", "oa"}
        The method of each tile's in-memory convolution.""")
