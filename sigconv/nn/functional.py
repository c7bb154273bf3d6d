"""The array-level passes behind the layers: window geometry, convolution and pooling.

Layers validate, own their parameters and cache what backward needs; the functions here
take plain channels-last arrays and pick the kernel (one thread or many, chunk sizes).
Everything is 2-D: a 1-D layer is a 2-D one over images of height 1.

A convolution is computed as im2col + matrix product, in chunks of output lines that
keep the im2col buffer in cache (:data:`sigconv._config.NN_CHUNK_BYTES`)::

    cols[row, (a, c, ch)] = x[b, i*sh + a*dh - ph, j*sw + c*dw - pw, ch]
    out[row, f]           = cols[row, :] @ kernel[(a, c, ch), f]

Backward uses the same chunks: ``dkernel += cols.T @ dout`` and
``dx += col2im(dout @ kernel.T)``.
"""

import ctypes
import functools
import numbers
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numba
import numpy as np

from .. import _config
from .._jit import in_single_thread
from .._validate import check_allocation, check_choice
from . import _checks
from .kernels import cpu


class WindowGeometry(NamedTuple):
    """Where the windows of a convolution or pooling layer lie on a 2-D input.

    Output ``(i, j)``, tap ``(a, c)`` reads input
    ``(i * strides[0] + a * dilation[0] - pad[0], j * strides[1] + c * dilation[1] - pad[1])``.
    """

    in_size: tuple
    kernel: tuple
    strides: tuple
    dilation: tuple
    pad: tuple
    out_size: tuple

    @property
    def taps(self):
        """Number of taps of one window."""
        return self.kernel[0] * self.kernel[1]

    @property
    def kernel_tuple(self):
        """The geometry as the integer tuple the kernels take."""
        return (*self.kernel, *self.strides, *self.dilation, *self.pad, *self.out_size)


def output_length(size, kernel, stride, dilation, padding):
    """Output length and leading padding of one window dimension, as Keras computes them.

    ``"valid"`` keeps the windows that fit, ``ceil((size - span + 1) / stride)`` with
    ``span = (kernel - 1) * dilation + 1``; ``"same"`` gives ``ceil(size / stride)`` outputs
    and pads ``max((out - 1) * stride + span - size, 0)`` in total, the smaller half before
    (so an even kernel gets its extra row of padding after, as in TensorFlow).

    Returns
    -------
    (int, int)
        The output length (0 when the window does not fit a ``"valid"`` input) and the
        padding before the first input element.
    """
    span = (kernel - 1) * dilation + 1
    if padding == "valid":
        return max(size - span, -1) // stride + 1, 0
    out = -(-size // stride)
    return out, max((out - 1) * stride + span - size, 0) // 2


def window_geometry(in_size, kernel, strides, dilation, padding):
    """The :class:`WindowGeometry` of a 2-D window layer on inputs of ``in_size``.

    Parameters
    ----------
    in_size, kernel, strides, dilation : (int, int)
        Input height and width, window size, steps and dilation, each in
        ``[1, 2**31 - 1]``.
    padding : {"valid", "same"}

    Raises
    ------
    TypeError
        If a size is not a pair of integers.
    ValueError
        If a size is out of range or ``padding`` is unknown.
    """
    in_size = _check_pair(in_size, "in_size")
    kernel = _check_pair(kernel, "kernel")
    strides = _check_pair(strides, "strides")
    dilation = _check_pair(dilation, "dilation")
    check_choice(padding, "padding", ("valid", "same"))
    outs, pads = zip(*(output_length(*args, padding)
                       for args in zip(in_size, kernel, strides, dilation, strict=True)),
                     strict=True)
    return WindowGeometry(tuple(in_size), tuple(kernel), tuple(strides), tuple(dilation),
                          pads, outs)


def _check_pair(value, name, minimum=1):
    """``value`` as a pair of ints in ``[minimum, MAX_WINDOW]``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)) \
            or len(value) != 2:
        raise TypeError(f"{name} must be a pair of ints; got {value!r}")
    return tuple(_checks.check_count(v, name, minimum, _checks.MAX_WINDOW) for v in value)


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _check_geometry(geometry):
    if not isinstance(geometry, WindowGeometry):
        raise TypeError(f"geometry must be a WindowGeometry (from window_geometry); got "
                        f"{type(geometry).__name__}")
    for field in ("in_size", "kernel", "strides", "dilation", "pad", "out_size"):
        _check_pair(getattr(geometry, field), f"geometry.{field}",
                    minimum=0 if field == "pad" else 1)
    return geometry


def _check_images(x, name, geometry, writeable=False):
    """A C-contiguous float32/float64 batch ``(batch, height, width, channels)`` whose
    height and width are ``geometry.in_size`` (the kernels index it without checks)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array; got {type(x).__name__}")
    if x.dtype not in _FLOATS:
        raise TypeError(f"{name} must be float32 or float64; got dtype {x.dtype}")
    if x.ndim != 4 or tuple(x.shape[1:3]) != tuple(geometry.in_size) or x.size == 0:
        raise ValueError(f"{name} must have shape (batch, {geometry.in_size[0]}, "
                         f"{geometry.in_size[1]}, channels), non-empty, for this geometry; "
                         f"got {x.shape}")
    if not x.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (np.ascontiguousarray)")
    if writeable and not x.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    return x


def _check_array(value, name, shape, dtype):
    """An ndarray of exactly ``shape`` and ``dtype``, C-contiguous."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array; got {type(value).__name__}")
    if value.dtype != dtype:
        raise TypeError(f"{name} must have dtype {dtype}; got {value.dtype}")
    if value.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}; got {value.shape}")
    if not value.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (np.ascontiguousarray)")
    return value


def _check_lines(line0, line1, batch, geometry):
    total = batch * geometry.out_size[0]
    line1 = total if line1 is None else _checks.check_count(line1, "line1", 0, total)
    line0 = _checks.check_count(line0, "line0", 0, line1)
    return line0, line1


def _check_parallel(parallel):
    return None if parallel is None else _checks.check_flag(parallel, "parallel")


def _lines_per_chunk(geometry, row_bytes):
    """Output lines per chunk, so that one chunk of im2col rows is ~NN_CHUNK_BYTES."""
    return max(1, _config.NN_CHUNK_BYTES // max(1, row_bytes * geometry.out_size[1]))


def _chunks(line0, line1, per_chunk):
    return ((start, min(line1, start + per_chunk)) for start in range(line0, line1, per_chunk))


def _serial_or_parallel(size, serial, parallel):
    """The parallel twin of a kernel from NN_PARALLEL_MIN elements on."""
    return parallel if size >= _config.NN_PARALLEL_MIN else serial


def _pool_size():
    return _config.NN_THREADS or numba.config.NUMBA_NUM_THREADS


def n_threads():
    """Threads for the calling thread's work: the pool's size (``NN_THREADS``, else
    numba's thread count), or 1 inside :func:`sigconv._jit.single_thread`."""
    return 1 if in_single_thread() else _pool_size()


@functools.cache
def _executor():
    return ThreadPoolExecutor(_pool_size(), thread_name_prefix="sigconv-nn")


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController  # only BLAS thread limits need it

    return ThreadpoolController()


def _split(batch, out_h, macs, by_image):
    """Line ranges for the worker threads: one range when the work is small.

    Ranges follow image boundaries when ``by_image`` (each thread then owns the input
    gradient of its images), else they split the lines evenly.
    """
    workers = n_threads() if macs >= _config.NN_THREADED_MIN_MACS else 1
    if by_image:
        workers = min(workers, batch)
        bounds = [round(k * batch / workers) * out_h for k in range(workers + 1)]
    else:
        n_lines = batch * out_h
        workers = min(workers, n_lines)
        bounds = [round(k * n_lines / workers) for k in range(workers + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


@functools.cache
def _blas_thread_setters():
    """``(get, set)`` of the number of threads of each BLAS library loaded: OpenBLAS's own
    C functions (a call costs well under a microsecond; threadpoolctl's wrappers ~5 us and
    its ``limit`` context ~75 us), else threadpoolctl's controller for other libraries."""
    setters = []
    for library in _blas_controller().select(user_api="blas").lib_controllers:
        found = None
        if library.internal_api == "openblas":
            for prefix, suffix in (("scipy_", "64_"), ("scipy_", ""), ("", "64_"), ("", "")):
                get = getattr(library.dynlib, f"{prefix}openblas_get_num_threads{suffix}",
                              None)
                put = getattr(library.dynlib, f"{prefix}openblas_set_num_threads{suffix}",
                              None)
                if get is not None and put is not None:
                    put.argtypes = [ctypes.c_int]
                    found = (get, put)
                    break
        if found is None:
            found = (lambda library=library: library.num_threads, library.set_num_threads)
        setters.append(found)
    return setters


class _one_blas_thread:  # noqa: N801 - used as a function: ``with _one_blas_thread():``
    """BLAS on the calling thread alone inside the block: for several of our threads
    calling BLAS at once, and for products OpenBLAS would otherwise spread over its own
    threads (see :func:`_dot`). A class, not a generator: entered around every small
    product, it costs about a microsecond."""

    __slots__ = ("before",)

    def __enter__(self):
        setters = _blas_thread_setters()
        self.before = [get() for get, _ in setters]
        for (_, put), threads in zip(setters, self.before, strict=True):
            if threads != 1:
                put(1)

    def __exit__(self, *exc_info):
        for (_, put), threads in zip(_blas_thread_setters(), self.before, strict=True):
            if threads != 1:
                put(threads)


def _dot(a, b, out=None):
    """``np.dot(a, b, out=out)`` of 2-D arrays, its rows split over the pool's threads with
    one BLAS thread each, or on the calling thread alone when the product is small (fewer
    than :data:`sigconv._config.NN_THREADED_MIN_MACS` multiply-adds).

    OpenBLAS's own threads are never woken: after a product they spin (yielding) for up to
    2**28 cycles, and beside our threads on 2 cores that halved the speed of the layers
    that ran next (a CIFAR training step at batch 256: 140 ms instead of 92); woken for a
    small product while the other core is busy, one costs a scheduler slice (a Dense
    layer's 2 M multiply-adds took 20-40 ms instead of 0.1 ms beside another process).
    """
    macs = a.shape[0] * a.shape[1] * b.shape[1]
    if macs < _config.NN_THREADED_MIN_MACS or in_single_thread():
        with _one_blas_thread():
            return np.dot(a, b, out=out)
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), np.result_type(a, b))

    def task(first, last):
        np.dot(a[first:last], b, out=out[first:last])

    _run(_split(1, a.shape[0], macs, by_image=False), task, macs)
    return out


def _run(parts, task, macs=None):
    """``task(line0, line1)`` for every part; several parts run on the pool's threads, each
    with a one-thread BLAS (threads of ours and of OpenBLAS would fight for the cores), as
    does one part of fewer than ``NN_THREADED_MIN_MACS`` multiply-adds (see :func:`_dot`)."""
    if len(parts) == 1:
        if macs is not None and macs < _config.NN_THREADED_MIN_MACS:
            with _one_blas_thread():
                return [task(*parts[0])]
        return [task(*parts[0])]
    with _one_blas_thread():
        return list(_executor().map(lambda part: task(*part), parts))


def patches(x, geometry, fill=0.0, line0=0, line1=None, out=None, parallel=None):
    """im2col: the windows of output lines ``[line0, line1)`` of ``x`` as rows.

    Parameters
    ----------
    x : ndarray, shape (batch, height, width, channels)
        C-contiguous float32 or float64 input, ``(height, width) == geometry.in_size``.
    geometry : WindowGeometry
    fill : float
        Value of taps that fall on the padding (may be infinite, not NaN).
    line0, line1 : int
        Range of output lines ``b * out_height + i``, ``0 <= line0 <= line1 <=
        batch * out_height``; all lines by default.
    out : ndarray, optional
        C-contiguous, writeable buffer of ``x``'s dtype with at least
        ``(line1 - line0) * out_width * taps * channels`` entries.
    parallel : bool, optional
        Spread the lines over numba's threads; by default when the copy is large.

    Returns
    -------
    ndarray, shape (rows, taps, channels)

    Raises
    ------
    TypeError, ValueError
        If an argument does not fit the others (the kernels index without checks, so
        everything is checked first); the message names it.
    MemoryError
        If the result could not fit in memory.
    """
    geometry = _check_geometry(geometry)
    x = _check_images(x, "x", geometry)
    if isinstance(fill, (bool, np.bool_)) or not isinstance(fill, numbers.Real) \
            or np.isnan(fill):
        raise TypeError(f"fill must be a real number (not NaN); got {fill!r}")
    line0, line1 = _check_lines(line0, line1, x.shape[0], geometry)
    parallel = _check_parallel(parallel)
    entries = (line1 - line0) * geometry.out_size[1] * geometry.taps * x.shape[3]
    if out is None:
        check_allocation("x, geometry", ((line1 - line0) * geometry.out_size[1],
                                         geometry.taps, x.shape[3]), x.dtype,
                         what="the patches")
    else:
        if not isinstance(out, np.ndarray) or out.dtype != x.dtype \
                or not out.flags.c_contiguous or not out.flags.writeable:
            raise TypeError(f"out must be a writeable, C-contiguous array of dtype {x.dtype}")
        if out.size < entries:
            raise ValueError(f"out holds {out.size} entries; the patches need {entries}")
    return _patches(x, geometry, fill, line0, line1, out, parallel)


def _patches(x, geometry, fill=0.0, line0=0, line1=None, out=None, parallel=None):
    """im2col: the windows of output lines ``[line0, line1)`` of ``x`` as rows.

    Parameters
    ----------
    x : ndarray, shape (batch, height, width, channels)
        C-contiguous input.
    geometry : WindowGeometry
    fill : float
        Value of taps that fall on the padding.
    line0, line1 : int
        Range of output lines ``b * out_height + i``; all lines by default.
    out : ndarray, optional
        Buffer of at least ``(line1 - line0) * out_width`` rows of ``taps * channels``.
    parallel : bool, optional
        Spread the lines over numba's threads; by default when the copy is large.

    Returns
    -------
    ndarray, shape (rows, taps, channels)
    """
    if line1 is None:
        line1 = x.shape[0] * geometry.out_size[0]
    rows = (line1 - line0) * geometry.out_size[1]
    shape = (rows, geometry.taps, x.shape[3])
    cols = (np.empty(shape, x.dtype) if out is None
            else out.reshape(-1)[:rows * shape[1] * shape[2]].reshape(shape))
    if parallel is None:
        parallel = cols.size >= _config.NN_PARALLEL_MIN
    kernel = cpu.patches_parallel if parallel else cpu.patches_serial
    kernel(x, cols, line0, line1, geometry.kernel_tuple, x.dtype.type(fill))
    return cols


def patches_adjoint(cols, geometry, dx, line0=0, line1=None, parallel=None):
    """col2im, the adjoint of :func:`patches`: add ``cols`` onto ``dx`` in place.

    Parameters
    ----------
    cols : ndarray, shape ((line1 - line0) * out_width, taps, channels)
        C-contiguous, of ``dx``'s dtype.
    geometry : WindowGeometry
    dx : ndarray, shape (batch, height, width, channels)
        C-contiguous, writeable float32 or float64 array, added to in place.
    line0, line1 : int
        As for :func:`patches`.
    parallel : bool, optional

    Returns
    -------
    ndarray
        ``dx``.

    Raises
    ------
    TypeError, ValueError
        If an argument does not fit the others; the message names it.
    """
    geometry = _check_geometry(geometry)
    dx = _check_images(dx, "dx", geometry, writeable=True)
    line0, line1 = _check_lines(line0, line1, dx.shape[0], geometry)
    _check_array(cols, "cols", ((line1 - line0) * geometry.out_size[1], geometry.taps,
                                dx.shape[3]), dx.dtype)
    return _patches_adjoint(cols, geometry, dx, line0, line1, _check_parallel(parallel))


def _patches_adjoint(cols, geometry, dx, line0=0, line1=None, parallel=None):
    if line1 is None:
        line1 = dx.shape[0] * geometry.out_size[0]
    if parallel is None:
        parallel = cols.size >= _config.NN_PARALLEL_MIN
    kernel = cpu.patches_adjoint_parallel if parallel else cpu.patches_adjoint_serial
    kernel(cols, dx, line0, line1, geometry.kernel_tuple)
    return dx


def _check_kernel(kernel, x, geometry):
    if not isinstance(kernel, np.ndarray):
        raise TypeError(f"kernel must be a NumPy array; got {type(kernel).__name__}")
    if kernel.ndim != 4 or tuple(kernel.shape[:3]) != (*geometry.kernel, x.shape[3]) \
            or kernel.shape[3] < 1:
        raise ValueError(f"kernel must have shape ({geometry.kernel[0]}, {geometry.kernel[1]}"
                         f", {x.shape[3]}, filters) for this geometry and x; got "
                         f"{kernel.shape}")
    if kernel.dtype != x.dtype:
        raise TypeError(f"kernel must have x's dtype {x.dtype}; got {kernel.dtype}")
    return kernel


#: the convolution algorithms, as ``algorithm=`` names them (``"auto"`` picks one of them)
CONV_ALGORITHMS = ("gemm", "winograd2", "winograd4", "fft", "direct")


class _Algorithm(NamedTuple):
    """One convolution algorithm: ``misfit(geometry, in_channels, filters, dtype)`` says why
    it does not apply (None if it does), ``forward(x, kernel, geometry) -> (out, cache)``,
    ``backward(x, grad, kernel, geometry, input_grad, cache) -> (dx, dkernel)``."""

    misfit: object
    forward: object
    backward: object


def _gemm_misfit(geometry, in_channels, filters, dtype):
    return None


def _gemm_forward(x, kernel, geometry):
    return _conv_forward(x, kernel, geometry, keep_patches=True)


def _gemm_backward(x, grad, kernel, geometry, input_grad, cache):
    return _conv_backward(x, grad, kernel, geometry, input_grad, cache)


@functools.cache
def _algorithm(name):
    """The :class:`_Algorithm` called ``name`` (its module is imported on first use)."""
    if name == "gemm":
        return _Algorithm(_gemm_misfit, _gemm_forward, _gemm_backward)
    if name.startswith("winograd"):
        from . import _conv_winograd as module

        m = int(name[len("winograd"):])
        return _Algorithm(module.misfit, functools.partial(module.forward, m=m),
                          functools.partial(module.backward, m=m))
    if name == "fft":
        from . import _conv_fft as module
    else:
        from . import _conv_direct as module
    return _Algorithm(module.misfit, module.forward, module.backward)


def _check_convolution(batch, geometry, in_channels, filters, dtype, training):
    """The arguments of :func:`choose_conv_algorithm` and :func:`conv_work`, checked."""
    batch = _checks.check_count(batch, "batch")
    geometry = _check_geometry(geometry)
    in_channels = _checks.check_count(in_channels, "in_channels")
    filters = _checks.check_count(filters, "filters")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32 or float64; got {dtype!r}") from None
    if dtype not in _FLOATS:
        raise TypeError(f"dtype must be float32 or float64; got {dtype}")
    return batch, geometry, in_channels, filters, dtype, _checks.check_flag(training,
                                                                            "training")


def algorithm_misfit(algorithm, geometry, in_channels, filters, dtype):
    """Why ``algorithm`` (one of :data:`CONV_ALGORITHMS`) cannot compute this convolution,
    or None when it can.

    Raises
    ------
    TypeError, ValueError
        If an argument is not of its kind or range; the message names it.
    """
    algorithm = check_choice(algorithm, "algorithm", CONV_ALGORITHMS)
    _, geometry, in_channels, filters, dtype, _ = _check_convolution(
        1, geometry, in_channels, filters, dtype, True)
    return _misfit(algorithm, geometry, in_channels, filters, dtype)


def _misfit(algorithm, geometry, in_channels, filters, dtype):
    return _algorithm(algorithm).misfit(geometry, in_channels, filters, dtype)


def _resolve_algorithm(algorithm, batch, geometry, in_channels, filters, dtype,
                       training=True, name="algorithm"):
    """``algorithm`` checked against :data:`CONV_ALGORITHMS` and this convolution; "auto"
    replaced by :func:`choose_conv_algorithm`'s pick."""
    algorithm = check_choice(algorithm, name, ("auto", *CONV_ALGORITHMS))
    if algorithm == "auto":
        return _choose_conv_algorithm(batch, geometry, in_channels, filters, np.dtype(dtype),
                                      training)
    reason = _misfit(algorithm, geometry, in_channels, filters, np.dtype(dtype))
    if reason is not None:
        raise ValueError(f"{name}={algorithm!r} does not apply to this convolution: {reason}"
                         f" (use 'gemm' or 'auto')")
    return algorithm


def conv_work(algorithm, batch, geometry, in_channels, filters, training=True):
    """The work counts of one convolution by ``algorithm``: ``(multiply-adds, elements
    moved)``, over the forward pass and, when ``training``, both gradients.

    Multiply-adds are those of the algorithm's matrix products (Winograd: of the
    transformed tiles; FFT: complex ones per frequency, as 4 real); the elements moved are
    those its copies and transforms write (im2col and col2im; tile transforms; spectra).

    Raises
    ------
    TypeError, ValueError
        If an argument is not of its kind or range; the message names it.
    """
    algorithm = check_choice(algorithm, "algorithm", CONV_ALGORITHMS)
    batch, geometry, in_channels, filters, _, training = _check_convolution(
        batch, geometry, in_channels, filters, "float32", training)
    return _conv_work(algorithm, batch, geometry, in_channels, filters, training)


def _conv_work(algorithm, batch, geometry, in_channels, filters, training):
    passes = 3 if training else 1
    out_h, out_w = geometry.out_size
    if algorithm in ("gemm", "direct"):
        windows = batch * out_h * out_w * geometry.taps
        if algorithm == "gemm":
            # im2col, again, col2im; and the product's output, which short rows (a first
            # layer's few channels) leave to dominate the product's own time
            moved = (windows * in_channels + batch * out_h * out_w * filters) * passes
        else:               # the outputs, the kernel gradient's reads, gemm's col2im
            moved = batch * out_h * out_w * filters * (1 + training) \
                + windows * in_channels * training
        return windows * in_channels * filters * passes, moved
    if algorithm.startswith("winograd"):
        m = int(algorithm[len("winograd"):])
        ms = [m if k == 3 else 1 for k in geometry.kernel]
        tiles = batch * -(-out_h // ms[0]) * -(-out_w // ms[1])
        elements = tiles * (ms[0] + geometry.kernel[0] - 1) * (ms[1] + geometry.kernel[1] - 1)
        moved = elements * ((in_channels + filters) + (2 * in_channels + filters
                                                       if training else 0))
        return elements * in_channels * filters * passes, moved
    # fft: complex products per frequency, N log2 N transforms
    from . import _conv_fft

    n_h, n_w = _conv_fft.fft_shape(geometry)
    frequencies = n_h * (n_w // 2 + 1)
    transforms = (batch * (in_channels + filters) + in_channels * filters) * n_h * n_w \
        * max(np.log2(n_h * n_w), 1) / 2
    return 4 * batch * in_channels * filters * frequencies * passes, transforms * passes


def choose_conv_algorithm(batch, geometry, in_channels, filters, dtype="float32",
                          training=True):
    """The convolution algorithm that ``algorithm="auto"`` runs: the one of least
    predicted time among those that apply.

    The prediction is a cost model in the spirit of :func:`sigconv.choose_conv_method`:
    seconds per call, per multiply-add and per element moved (:func:`conv_work`), one
    triple per algorithm in :data:`sigconv._config.NN_CONV_COST`, fitted by
    ``bench/calibrate_nn.py`` on the machine the library is tuned for; the work is shared
    by :func:`n_threads` threads (one below ``NN_THREADED_MIN_MACS`` multiply-adds).
    Nothing is timed at run time, so the choice is the same on every call and costs
    microseconds.

    Parameters
    ----------
    batch : int
    geometry : WindowGeometry
    in_channels, filters : int
    dtype : {"float32", "float64"}
    training : bool
        Predict the forward pass and both gradients (a training step) rather than the
        forward pass alone.

    Returns
    -------
    str
        One of :data:`CONV_ALGORITHMS`.

    Raises
    ------
    TypeError, ValueError
        If an argument is not of its kind or range (counts positive integers, dtype
        float32 or float64); the message names it.

    Examples
    --------
    >>> from sigconv.nn import functional
    >>> g = functional.window_geometry((32, 32), (3, 3), (1, 1), (1, 1), "same")
    >>> functional.choose_conv_algorithm(64, g, 32, 64)
    'winograd4'
    >>> g = functional.window_geometry((32, 32), (3, 3), (2, 2), (1, 1), "same")
    >>> functional.choose_conv_algorithm(64, g, 32, 64)
    'gemm'
    """
    return _choose_conv_algorithm(*_check_convolution(batch, geometry, in_channels, filters,
                                                      dtype, training))


def _choose_conv_algorithm(batch, geometry, in_channels, filters, dtype, training):
    threads = n_threads()
    best, best_time = "gemm", np.inf
    for name in CONV_ALGORITHMS:
        family = "winograd" if name.startswith("winograd") else name
        constants = _config.NN_CONV_COST.get(family)
        if constants is None or _misfit(name, geometry, in_channels, filters,
                                        dtype) is not None:
            continue
        macs, moved = _conv_work(name, batch, geometry, in_channels, filters, training)
        per_call, per_mac, per_element = constants
        # small convolutions run on the calling thread alone
        workers = threads if macs >= _config.NN_THREADED_MIN_MACS else 1
        seconds = per_call + (per_mac * macs + per_element * moved) / workers
        if dtype == np.float64:
            seconds *= 2
        if seconds < best_time:
            best, best_time = name, seconds
    return best


def conv_forward(x, kernel, geometry, keep_patches=False, algorithm="auto"):
    """Cross-correlation of a channels-last batch with a Keras-layout kernel.

    Parameters
    ----------
    x : ndarray, shape (batch, height, width, in_channels), C-contiguous
        float32 or float64, ``(height, width) == geometry.in_size``.
    kernel : ndarray, shape (kh, kw, in_channels, filters)
        Of ``x``'s dtype, ``(kh, kw) == geometry.kernel``.
    geometry : WindowGeometry
    keep_patches : bool
        Also return the im2col matrix when the algorithm is ``"gemm"`` and the whole batch
        fit in one chunk (else None), for :func:`conv_backward` to reuse instead of copying
        the windows again.
    algorithm : {"auto", "gemm", "winograd2", "winograd4", "fft", "direct"}
        How to compute it (see :func:`choose_conv_algorithm`); all give the same result up
        to rounding.

    Returns
    -------
    ndarray, shape (batch, out_height, out_width, filters)
        And the patches or None, with ``keep_patches``.

    Raises
    ------
    TypeError, ValueError
        If an argument does not fit the others, or ``algorithm`` does not apply to this
        convolution (Winograd needs a 3-tap kernel, strides 1 and no dilation); the
        message names it.
    MemoryError
        If the output could not fit in memory.
    """
    geometry = _check_geometry(geometry)
    x = _check_images(x, "x", geometry)
    kernel = _check_kernel(kernel, x, geometry)
    keep_patches = _checks.check_flag(keep_patches, "keep_patches")
    algorithm = _resolve_algorithm(algorithm, x.shape[0], geometry, x.shape[3],
                                   kernel.shape[3], x.dtype)
    check_allocation("x, kernel", (x.shape[0], *geometry.out_size, kernel.shape[3]), x.dtype,
                     what="the output")
    out, cache = _algorithm(algorithm).forward(x, kernel, geometry)
    if not keep_patches:
        return out
    return out, (cache if algorithm == "gemm" else None)


def _conv_forward(x, kernel, geometry, keep_patches=False):
    """:func:`conv_forward` on checked arguments."""
    batch = x.shape[0]
    out_h, out_w = geometry.out_size
    filters = tuple(kernel.shape)[-1]
    weights = np.ascontiguousarray(kernel.reshape(-1, filters))
    out = np.empty((batch, out_h, out_w, filters), x.dtype)
    flat = out.reshape(-1, filters)
    per_chunk = _lines_per_chunk(geometry, weights.shape[0] * x.itemsize)

    def task(first, last):
        buffer = None
        for line0, line1 in _chunks(first, last, per_chunk):
            cols = _patches(x, geometry, 0.0, line0, line1, buffer, parallel=False)
            buffer = cols if buffer is None else buffer
            np.dot(cols.reshape(cols.shape[0], -1), weights,
                   out=flat[line0 * out_w:line1 * out_w])
        return buffer

    n_lines = batch * out_h
    macs = flat.size * weights.shape[0]
    parts = _split(batch, out_h, macs, by_image=False)
    buffers = _run(parts, task, macs)
    if not keep_patches:
        return out
    return out, (buffers[0] if len(parts) == 1 and per_chunk >= n_lines else None)


def conv_backward(x, grad, kernel, geometry, input_grad=True, cols=None, algorithm="auto"):
    """Gradients of :func:`conv_forward` with respect to its kernel and its input.

    Parameters
    ----------
    x : ndarray, shape (batch, height, width, in_channels)
        The forward input (as for :func:`conv_forward`).
    grad : ndarray, shape (batch, out_height, out_width, filters)
        Gradient of the loss with respect to the forward output (real numbers).
    kernel : ndarray, shape (kh, kw, in_channels, filters)
    geometry : WindowGeometry
    input_grad : bool
        Also compute the gradient with respect to ``x`` (the transposed convolution);
        a network's first layer does not need it.
    cols : ndarray, optional
        The patches of the whole batch that :func:`conv_forward` kept (``"gemm"`` only).
    algorithm : {"auto", "gemm", "winograd2", "winograd4", "fft", "direct"}
        As for :func:`conv_forward`; each algorithm's gradients are those of its own
        forward pass.

    Returns
    -------
    (ndarray or None, ndarray)
        ``dx`` (None unless ``input_grad``) and ``dkernel`` of the kernel's shape.

    Raises
    ------
    TypeError, ValueError
        If an argument does not fit the others; the message names it.
    """
    geometry = _check_geometry(geometry)
    x = _check_images(x, "x", geometry)
    kernel = _check_kernel(kernel, x, geometry)
    grad = _checks.check_real_array(grad, "grad")
    expected = (x.shape[0], *geometry.out_size, kernel.shape[3])
    if grad.shape != expected:
        raise ValueError(f"grad must have the output's shape {expected}; got {grad.shape}")
    input_grad = _checks.check_flag(input_grad, "input_grad")
    algorithm = _resolve_algorithm(algorithm, x.shape[0], geometry, x.shape[3],
                                   kernel.shape[3], x.dtype)
    if cols is not None and algorithm != "gemm":
        raise ValueError(f"cols are the patches of algorithm 'gemm'; got algorithm="
                         f"{algorithm!r}")
    if cols is not None:
        _check_array(cols, "cols", (x.shape[0] * geometry.out_size[0] * geometry.out_size[1],
                                    geometry.taps, x.shape[3]), x.dtype)
    grad = np.ascontiguousarray(grad, x.dtype)
    return _algorithm(algorithm).backward(x, grad, kernel, geometry, input_grad, cols)


def _conv_backward(x, grad, kernel, geometry, input_grad=True, cols=None, kernel_grad=True):
    """:func:`conv_backward` on checked arguments (``kernel_grad=False``: the input gradient
    alone, the kernel gradient returned as None).

    Each thread sums the kernel gradient of its lines in a buffer of its own; the buffers
    are added at the end, so no two threads ever add into the same memory.
    """
    batch = x.shape[0]
    out_h, out_w = geometry.out_size
    filters = tuple(kernel.shape)[-1]
    weights = np.ascontiguousarray(kernel.reshape(-1, filters))
    grad_flat = np.ascontiguousarray(grad, x.dtype).reshape(-1, filters)
    dx = np.zeros(x.shape, x.dtype) if input_grad else None
    per_chunk = _lines_per_chunk(geometry, weights.shape[0] * x.itemsize)
    kept = cols

    def task(first, last):
        dweights = np.zeros(weights.shape, x.dtype)
        partial = np.empty_like(dweights)
        buffer = dcols = None
        for line0, line1 in _chunks(first, last, per_chunk):
            rows = grad_flat[line0 * out_w:line1 * out_w]
            if kernel_grad:
                if kept is not None and (line0, line1) == (0, batch * out_h):
                    cols = kept
                else:
                    cols = _patches(x, geometry, 0.0, line0, line1, buffer, parallel=False)
                    buffer = cols if buffer is None else buffer
                np.dot(cols.reshape(cols.shape[0], -1).T, rows, out=partial)
                dweights += partial
            if input_grad:
                if dcols is None:
                    dcols = np.empty((per_chunk * out_w, geometry.taps, x.shape[3]),
                                     x.dtype)
                window = dcols[:rows.shape[0]]
                np.dot(rows, weights.T, out=window.reshape(rows.shape[0], -1))
                _patches_adjoint(window, geometry, dx, line0, line1, parallel=False)
        return dweights

    macs = (int(input_grad) + int(kernel_grad)) * grad_flat.size * weights.shape[0]
    parts = _split(batch, out_h, macs, by_image=True)
    dweights = functools.reduce(np.add, _run(parts, task, macs))
    return dx, (dweights.reshape(kernel.shape) if kernel_grad else None)


def window_counts(geometry, dtype):
    """Number of taps of each output window that fall inside the input, shape (oh, ow)."""
    counts = []
    for size, kernel, stride, dilation, pad, out in zip(*geometry, strict=True):
        sources = (np.arange(out)[:, None] * stride + np.arange(kernel) * dilation - pad)
        counts.append(((sources >= 0) & (sources < size)).sum(axis=1))
    return np.outer(*counts).astype(dtype)


def pool_forward(x, geometry, kind):
    """Max or average pooling of a channels-last batch.

    Average pooling divides by the taps inside the input (padding is not counted), max
    pooling never picks padding; both as in Keras.

    Parameters
    ----------
    x : ndarray, shape (batch, height, width, channels)
        C-contiguous float32 or float64, ``(height, width) == geometry.in_size``.
    geometry : WindowGeometry
    kind : {"max", "average"}

    Returns
    -------
    (ndarray, ndarray)
        The pooled batch, and what :func:`pool_backward` needs: the argmax tap of every
        output (max) or the window counts (average).

    Raises
    ------
    TypeError, ValueError
        If an argument does not fit the others; the message names it.
    MemoryError
        If the windows (``taps`` copies of the output) could not fit in memory.
    """
    geometry = _check_geometry(geometry)
    x = _check_images(x, "x", geometry)
    check_choice(kind, "kind", ("max", "average"))
    check_allocation("x, geometry", (x.shape[0] * geometry.out_size[0] * geometry.out_size[1],
                                     geometry.taps, x.shape[3]), x.dtype,
                     what="the windows")
    return _pool_forward(x, geometry, kind)


def _pool_forward(x, geometry, kind):
    """:func:`pool_forward` on checked arguments, straight from the images (the windows
    are not copied out first)."""
    batch, channels = x.shape[0], x.shape[3]
    out_h, out_w = geometry.out_size
    rows = batch * out_h * out_w
    out = np.empty((rows, channels), x.dtype)
    if kind == "max":
        cache = argmax = np.empty((rows, channels), np.int32)
        counts = np.ones((1, 1), x.dtype)     # not read
        fill, code = -np.inf, 0
    else:
        argmax = np.empty((1, 1), np.int32)   # not read
        cache = counts = window_counts(geometry, x.dtype)
        fill, code = 0.0, 1
    spans = [(k - 1) * d + 1 for k, d in zip(geometry.kernel, geometry.dilation, strict=True)]
    inside = geometry.pad == (0, 0) and all(
        (n - 1) * s + span <= size for n, s, span, size in
        zip(geometry.out_size, geometry.strides, spans, geometry.in_size, strict=True))
    if kind == "max" and inside and channels <= _config.NN_POOL_FEW_CHANNELS:
        kernel = _serial_or_parallel(x.size, cpu.max_pool_inside_serial,
                                     cpu.max_pool_inside_parallel)
        kernel(x, out, argmax, geometry.kernel_tuple)
    else:
        kernel = _serial_or_parallel(x.size, cpu.pool_serial, cpu.pool_parallel)
        kernel(x, out, argmax, counts, geometry.kernel_tuple, x.dtype.type(fill), code)
    return out.reshape(batch, out_h, out_w, channels), cache


def pool_backward(grad, geometry, kind, cache, input_shape):
    """Gradient of :func:`pool_forward` with respect to its input.

    Parameters
    ----------
    grad : ndarray
        Gradient with respect to the pooled output, float32 or float64, of its size
        (``batch * out_height * out_width * channels`` entries, channels last).
    geometry : WindowGeometry
    kind : {"max", "average"}
    cache : ndarray
        What :func:`pool_forward` returned with the output: the argmax taps (int32,
        shape ``(rows, channels)``, each in ``[0, taps)``) or the window counts.
    input_shape : tuple of int
        ``(batch, height, width, channels)`` of the forward input.

    Returns
    -------
    ndarray of ``input_shape``

    Raises
    ------
    TypeError, ValueError
        If an argument does not fit the others (an argmax outside its window would
        write outside the result, so it is checked); the message names it.
    """
    geometry = _check_geometry(geometry)
    check_choice(kind, "kind", ("max", "average"))
    input_shape = _checks.check_shape(input_shape, "input_shape")
    if len(input_shape) != 4 or input_shape[1:3] != tuple(geometry.in_size):
        raise ValueError(f"input_shape must be (batch, {geometry.in_size[0]}, "
                         f"{geometry.in_size[1]}, channels); got {input_shape}")
    check_allocation("input_shape", input_shape, np.float64, copies=2, what="the gradient")
    if not isinstance(grad, np.ndarray) or grad.dtype not in _FLOATS:
        raise TypeError(f"grad must be a float32 or float64 array; got "
                        f"{getattr(grad, 'dtype', type(grad).__name__)}")
    batch, channels = input_shape[0], input_shape[3]
    rows = batch * geometry.out_size[0] * geometry.out_size[1]
    if grad.size != rows * channels or grad.ndim < 2 or grad.shape[-1] != channels:
        raise ValueError(f"grad must hold the pooled output's {rows * channels} entries with "
                         f"{channels} channels last; got shape {grad.shape}")
    if kind == "max":
        _check_array(cache, "cache", (rows, channels), np.dtype(np.int32))
        if cache.size and (cache.min() < 0 or cache.max() >= geometry.taps):
            raise ValueError(f"cache must hold argmax taps in [0, {geometry.taps})")
    else:
        _check_array(cache, "cache", geometry.out_size, grad.dtype)
        if not (cache > 0).all():
            raise ValueError("cache must hold the positive window counts")
    return _pool_backward(grad, geometry, kind, cache, input_shape)


def _pool_backward(grad, geometry, kind, cache, input_shape):
    """:func:`pool_backward` on checked arguments.

    Windows that do not overlap (the usual ``strides == pool_size``) write their pixels
    directly; overlapping ones go through their patches and col2im, which adds where
    windows share a pixel.
    """
    channels = input_shape[3]
    grad = np.ascontiguousarray(grad).reshape(-1, channels)
    spans = [(k - 1) * d + 1 for k, d in zip(geometry.kernel, geometry.dilation, strict=True)]
    if all(span <= stride for span, stride in zip(spans, geometry.strides, strict=True)):
        return _pool_backward_disjoint(grad, geometry, kind, cache, input_shape)
    if kind == "max":
        cols = np.empty((grad.shape[0], geometry.taps, channels), grad.dtype)
        _serial_or_parallel(cols.size, cpu.scatter_to_taps_serial,
                            cpu.scatter_to_taps_parallel)(grad, cache, cols)
    else:
        share = grad.reshape(-1, *geometry.out_size, channels) / cache[:, :, None]
        cols = np.broadcast_to(share.reshape(-1, 1, channels),
                               (grad.shape[0], geometry.taps, channels))
        cols = np.ascontiguousarray(cols)
    return _patches_adjoint(cols, geometry, np.zeros(input_shape, grad.dtype))


def _pool_backward_disjoint(grad, geometry, kind, cache, input_shape):
    """The pooling gradient for windows that do not overlap: each covered pixel written
    once; only pixels no window covers are zeroed (none when the windows tile the input,
    else the strips after the last window, or everything when there are gaps)."""
    (out_h, out_w), (ph, pw) = geometry.out_size, geometry.pad
    tiles = geometry.kernel == geometry.strides and geometry.dilation == (1, 1)
    dx = (np.empty if tiles else np.zeros)(input_shape, grad.dtype)
    if tiles:
        dx[:, out_h * geometry.strides[0] - ph:] = 0
        dx[:, :, out_w * geometry.strides[1] - pw:] = 0
    if kind == "max":
        argmax, counts, code = cache, np.ones((1, 1), grad.dtype), 0
    else:
        argmax, counts, code = np.empty((1, 1), np.int32), cache, 1
    kernel = _serial_or_parallel(dx.size, cpu.pool_adjoint_serial, cpu.pool_adjoint_parallel)
    kernel(grad, argmax, counts, dx, geometry.kernel_tuple, code)
    return dx


#: activation kinds understood by the elementwise kernels
ACTIVATION_KINDS = {"linear": 0, "relu": 1, "leaky_relu": 2, "sigmoid": 3, "tanh": 4}


def bias_activate(z, bias, kind, slope=0.0):
    """In place on ``z`` (C-contiguous, last axis = channels): ``z = f(z + bias)`` (NumPy
    arrays; the GPU twin is :func:`sigconv.nn.backend.cuda.bias_activate`)."""
    rows = z.reshape(-1, z.shape[-1])
    kernel = cpu.activate_parallel if z.size >= _config.NN_PARALLEL_MIN else cpu.activate_serial
    kernel(rows, bias, kind, z.dtype.type(slope))
    return z


def activation_derivative(grad, y, kind, slope=0.0, out=None):
    """``grad * f'(z)`` from the activation's output ``y = f(z)`` (NumPy arrays; the GPU
    twin is :func:`sigconv.nn.backend.cuda.activation_backward`)."""
    if out is None:
        out = np.empty(y.shape, y.dtype)
    channels = tuple(y.shape)[-1]
    kernel = _serial_or_parallel(y.size, cpu.derivative_serial, cpu.derivative_parallel)
    kernel(np.ascontiguousarray(grad, y.dtype).reshape(-1, channels), y.reshape(-1, channels),
           out.reshape(-1, channels), kind, y.dtype.type(slope))
    return out
