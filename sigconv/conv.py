"""N-dimensional convolution and correlation with SciPy's names and semantics.

Public functions validate their input, choose a backend once (:mod:`sigconv.backend`:
the CPU, or the GPU, from ``device=`` or from where the data lives), pick a method
(``direct``, ``fft`` or ``oa``; the GPU has ``direct`` only) and hand the work to one
private implementation per method:

* ``_direct``: the direct kernel of the backend, :mod:`sigconv.kernels.cpu` or
  :mod:`sigconv.kernels.cuda` (exact for integers: in int64, or in int64 limbs
  assembled in Python integers when the sums could leave int64); device data in gives
  a device result, computed without leaving the device;
* ``_fft``: one zero-padded transform of each input with :mod:`scipy.fft`;
* ``_overlap_add``: blocks of the longer input transformed as one batch.

Integers under ``fft``/``oa`` in :func:`convolve`/:func:`correlate` take
``_exact_integer_fft`` (a power-of-two complex FFT rounded to integers, where a proven
error bound guarantees the rounding) or the direct sum. Every path checks the memory it
will need before allocating (:func:`sigconv._validate.check_allocation`).

Floating inputs near the ends of the range never give an inf or NaN from an intermediate
sum: the FFT methods scale them by exact powers of two before the transforms when their
magnitudes call for it (:func:`_fft_shifts`); the direct method, where its output holds
an inf or NaN from finite inputs, sums those outputs again on scaled inputs
(:func:`_direct_in_range`).

Every method computes the *full* convolution window that the mode selects (``same`` is
centred as in :func:`scipy.signal.convolve`) over the convolved ``axes``; the other axes
broadcast as a batch, as in :func:`scipy.signal.fftconvolve`.
"""

import functools
import math
import operator
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba.np.ufunc import parallel as _numba_parallel

from . import _calibrate, _config, _jit
from . import backend as _backend
from ._jit import (
    fft_workers,
    is_device_array,
    readonly,
    resolve_device,
    stand_in,
)
from ._lazy import LazyModule
from ._validate import (
    METHODS,
    MODES,
    as_numeric_array,
    check_allocation,
    check_choice,
    check_native_precision,
    check_nonempty,
    memory_limit,
    normalize_axes,
)

# imported on first use: scipy.fft (a third of a second), BLAS, and the numba kernels
sp_fft = LazyModule("scipy.fft")
sp_blas = LazyModule("scipy.linalg.blas")
cpu = LazyModule("sigconv.kernels.cpu")

__all__ = ["convolve", "correlate", "fftconvolve", "oaconvolve", "choose_conv_method"]


# --------------------------------------------------------------------------------------
# the problem, validated
# --------------------------------------------------------------------------------------
def mode_window(n, k, mode):
    """``(start, length)``: the outputs of the full convolution of lengths ``n`` and ``k``
    that ``mode`` keeps, centred as :func:`scipy.signal.convolve` does (``same`` has the
    length of the first input)."""
    full = n + k - 1
    length = {"full": full, "same": n, "valid": abs(n - k) + 1}[mode]
    return (full - length) // 2, length


class _Problem:
    """Validated inputs of one convolution and the shapes that follow from them."""

    __slots__ = ("in1", "in2", "mode", "axes", "out_shape", "start", "full_shape",
                 "warn_nonfinite", "backend", "resident", "limit")

    def __init__(self, in1, in2, mode, axes):
        # where the kernels run (a module of sigconv.backend), and whether the result
        # stays there (device data in, device data out) or comes back to the host
        self.backend = _backend.cpu
        self.resident = False
        in1 = as_numeric_array(in1, "in1")
        in2 = as_numeric_array(in2, "in2")
        check_choice(mode, "mode", MODES)
        if in1.ndim != in2.ndim:
            raise ValueError(
                f"in1 and in2 should have the same dimensionality, got in1.ndim={in1.ndim} "
                f"and in2.ndim={in2.ndim}"
            )
        check_nonempty(in1, "in1")
        check_nonempty(in2, "in2")
        check_native_precision(in1.dtype, "in1")
        check_native_precision(in2.dtype, "in2")
        axes = normalize_axes(axes, in1.ndim)
        for axis in range(in1.ndim):
            if axis not in axes and in1.shape[axis] != in2.shape[axis] and 1 not in (
                in1.shape[axis],
                in2.shape[axis],
            ):
                raise ValueError(
                    f"axes: in1 and in2 must have equal lengths (or 1) along the axes that "
                    f"are not convolved; axis {axis} has {in1.shape[axis]} and "
                    f"{in2.shape[axis]}"
                )
        if mode == "valid":
            n1 = [in1.shape[a] for a in axes]
            n2 = [in2.shape[a] for a in axes]
            if not (all(a >= b for a, b in zip(n1, n2, strict=True)) or all(
                    b >= a for a, b in zip(n1, n2, strict=True))):
                raise ValueError(
                    "For 'valid' mode, one must be at least as large as the other in every "
                    f"convolved dimension; got in1 shape {in1.shape} and in2 shape {in2.shape}"
                )
        out_shape, start, full_shape = [], [], []
        for axis in range(in1.ndim):
            n, k = in1.shape[axis], in2.shape[axis]
            if axis not in axes:
                out_shape.append(max(n, k))
                start.append(0)
                full_shape.append(max(n, k))
                continue
            first, length = mode_window(n, k, mode)
            out_shape.append(length)
            start.append(first)
            full_shape.append(n + k - 1)
        self.in1, self.in2, self.mode, self.axes = in1, in2, mode, axes
        self.out_shape = tuple(out_shape)
        self.start = tuple(start)
        self.full_shape = tuple(full_shape)
        self.warn_nonfinite = False  # set by convolve/correlate, as in SciPy
        self.limit = None   # memory_limit(), read once per problem by _memory_limit

    @property
    def is_integer(self):
        return self.in1.dtype.kind in "biu" and self.in2.dtype.kind in "biu"

    @property
    def result_dtype(self):
        # np.result_type of the arrays (NumPy 2: no value-based casting), cheaper
        return np.promote_types(self.in1.dtype, self.in2.dtype)

    @property
    def batch_size(self):
        return math.prod(s for a, s in enumerate(self.out_shape) if a not in self.axes)

    def window(self):
        """Slices of the full result that the mode keeps (on the convolved axes)."""
        return tuple(
            slice(self.start[a], self.start[a] + self.out_shape[a]) if a in self.axes
            else slice(None)
            for a in range(self.in1.ndim)
        )

    def with_inputs(self, in1, in2):
        """The same problem (shapes, mode, window) with other inputs of the same shapes."""
        other = object.__new__(_Problem)
        for name in self.__slots__:
            setattr(other, name, getattr(self, name))
        other.in1, other.in2 = in1, in2
        return other

    def _memory_limit(self):
        """:func:`memory_limit`, read once for the checks of one call."""
        if self.limit is None:
            self.limit = memory_limit()
        return self.limit

    def check_result_memory(self):
        """MemoryError naming ``in1, in2`` if the result alone would not fit."""
        dtype = self.result_dtype
        if math.prod(self.out_shape) * dtype.itemsize > self._memory_limit():
            check_allocation("in1, in2", self.out_shape, dtype)   # raises, with the message

    def check_work_memory(self, method, nbytes, what):
        """MemoryError naming ``in1, in2`` if the result plus ``nbytes`` of ``method``'s
        work arrays would not fit (checked before they are allocated)."""
        itemsize = self.result_dtype.itemsize
        elements = math.prod(self.out_shape) + -(-int(nbytes) // itemsize)
        if elements * itemsize > self._memory_limit():   # the message only to be raised
            check_allocation("in1, in2", (elements,), self.result_dtype,
                             what=f"the result and the {method} method's {what}, together")

    def direct_macs(self):
        """Multiply-adds of the direct method (exact up to edge effects)."""
        macs = self.batch_size
        for a in self.axes:
            macs *= self.out_shape[a] * min(self.in1.shape[a], self.in2.shape[a])
        return macs


def _reverse_conj(array, axes, name="in2"):
    """``array`` reversed along ``axes`` and conjugated (a view for real input)."""
    index = tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(array.ndim))
    return conjugate(array[index], name)


def conjugate(array, name):
    """The complex conjugate of ``array`` (itself when real); a broadcast view stays
    broadcast (its distinct data conjugated), and the copy's memory is checked first
    (MemoryError naming ``name``)."""
    if array.dtype.kind != "c":
        return array
    data, repeats = _distinct(array)
    check_allocation(name, data.shape, data.dtype, what="its complex conjugate")
    return np.broadcast_to(data.conj(), array.shape) if repeats > 1 else data.conj()


# --------------------------------------------------------------------------------------
# direct method
# --------------------------------------------------------------------------------------
_INT64_SAFE = 2.0**62  # leaves headroom for the float rounding of the bound below
#: unit roundoff of float64
_EPS = 2.0**-53
#: elements per chunk when the statistics of a large input are gathered (no whole copy)
_STATS_CHUNK = 1 << 16


def _distinct(array):
    """The data of a broadcast view without its zero-stride repeats, and the repeat count.

    ``np.broadcast_to(1, 10**10)`` holds one number; its statistics need only that one.
    """
    index, repeats = [], 1
    for length, stride in zip(array.shape, array.strides, strict=True):
        if stride == 0 and length > 1:
            index.append(slice(0, 1))
            repeats *= length
        else:
            index.append(slice(None))
    return array[tuple(index)], repeats


def _abs_stats(array):
    """``(max |a|, sum |a|, sum a**2)`` of an integer array, as upper bounds in float64.

    Computed chunk by chunk, so that a large (or broadcast) input is never copied whole.
    Each float64 sum of ``N`` non-negative terms, the terms themselves rounded, is within
    a relative ``(N + 2) * eps`` of the exact sum (Higham, *Accuracy and Stability of
    Numerical Algorithms*, 2nd ed., eq. 4.4); the sums are inflated by that much.
    """
    data, repeats = _distinct(array)
    if data.size <= 16 * _STATS_CHUNK:
        chunks = (np.abs(data.astype(np.float64)).ravel(),)
    else:
        chunks = (np.abs(chunk) for chunk in np.nditer(
            data, flags=["external_loop", "buffered", "zerosize_ok"],
            op_dtypes=[np.float64], casting="unsafe", buffersize=_STATS_CHUNK))
    biggest = total = squares = 0.0
    for chunk in chunks:
        if chunk.size:
            biggest = max(biggest, float(chunk.max()))
            total += float(chunk.sum())
            squares += float(chunk @ chunk)
    inflate = 1.0 + 2 * (data.size + 2) * _EPS
    return biggest, total * repeats * inflate, squares * repeats * inflate


def _direct(p):
    """Direct convolution of a validated problem; integers are exact or raise."""
    result_dtype = p.result_dtype
    if p.is_integer:
        return cast_integer_result(_exact_integers(p), result_dtype)
    if result_dtype == np.float16:  # numba has no half-precision arithmetic on the CPU
        return _direct_numba(p, np.dtype(np.float32)).astype(np.float16)
    return _direct_in_range(p, result_dtype)


def _direct_in_range(p, work_dtype):
    """:func:`_direct_numba` of a floating problem, and where its output holds an inf or
    NaN although the inputs are finite -- a partial sum beyond the range:
    ``[1e308, 1e308] * [2, -2]`` would give ``[inf, nan, -inf]``, the exact result is
    ``[2e308, 0, -2e308]`` -- those outputs again, from the inputs scaled by the exact
    powers of two that bring their maxima into ``[0.5, 1)`` (partial sums then stay
    below ``k``) and scaled back once: only outputs beyond the range stay infinite. The
    outputs that were finite keep their bits (in the scaled run, values far below an
    input's maximum could underflow). On the common path the CPU kernels report
    finiteness themselves (each block checked while in cache): no pass over the output.
    """
    out, finite = _direct_run(p, work_dtype)
    if finite is None:   # a GPU result, finiteness unchecked (checking would download)
        if p.resident:
            return out   # device data in, device data out: no second run
        out = p.backend.to_host(out)
    if finite or (finite is None and _all_finite(out)):
        return out
    shifts = _overflow_shifts(p)
    if shifts is None:   # a NaN or inf input: the output is what the sum says
        return out
    # the scaled inputs, a second output and the mask of the outputs to replace
    p.check_work_memory("direct", _cast_bytes(p, np.dtype(work_dtype), shifts)
                        + out.nbytes + out.size, "second run, on inputs scaled into range")
    dtypes = [np.result_type(a.dtype, work_dtype) for a in (p.in1, p.in2)]
    scaled = p.with_inputs(*(_ldexp(a.astype(d, copy=False), s) if s else a
                             for a, d, s in zip((p.in1, p.in2), dtypes, shifts, strict=True)))
    again = _unscale(_direct_numba(scaled, work_dtype), shifts)
    np.copyto(out, again, where=~np.isfinite(out))
    return out


def _all_finite(array):
    """Whether a floating or complex array holds no inf or NaN, without a temporary of
    its size: one vectorised numba pass over a contiguous one (:func:`cpu.all_finite`;
    no BLAS, whose threads would contend with numba's), else the extreme values."""
    if array.size == 0:
        return True
    if array.dtype.char in "fdFD" and array.dtype.isnative and (array.flags.c_contiguous
                                                                or array.flags.f_contiguous):
        return cpu.all_finite(readonly(array.reshape(
            -1, order="C" if array.flags.c_contiguous else "F")))
    biggest = _max_abs(array)
    return biggest is None or math.isfinite(biggest)


def _overflow_shifts(p):
    """Powers of two that bring each finite floating input's maximum into
    ``[0.5, 1)`` (0 for integers and zeros), or None if an input is not finite."""
    shifts = []
    for a in (p.in1, p.in2):
        biggest = _max_abs(a)
        if biggest is not None and not math.isfinite(biggest):
            return None
        shifts.append(-math.frexp(biggest)[1] if biggest else 0)
    return tuple(shifts)


def _exact_integers(p, stats=None):
    """The exact convolution of an integer problem: int64, or Python ints (object, from
    int64 limbs) when int64 arithmetic could overflow. ``stats``: the inputs' :func:`_abs_stats`."""
    stats1, stats2 = stats or (_abs_stats(p.in1), _abs_stats(p.in2))
    bound = _integer_bound(stats1, stats2)
    if bound >= _INT64_SAFE:
        return _direct_limbs(p, (stats1, stats2), bound)
    return _direct_numba(p, np.dtype(np.int64))


def _integer_bound(stats1, stats2):
    """An upper bound of ``|in1 * in2|`` anywhere (as float), from the inputs' stats.

    Any output sums products of each tap with one sample: it is at most
    ``max|in1| * sum|in2|``, and, by commutativity, ``max|in2| * sum|in1|``.
    """
    return min(stats1[0] * stats2[1], stats2[0] * stats1[1])


def cast_integer_result(out, dtype, name="in1, in2"):
    """Cast an exact int64/object result to ``dtype``; OverflowError naming the inputs
    ``name`` if it does not fit."""
    if dtype == np.bool_:
        return out > 0  # NumPy/SciPy convolve booleans as OR of ANDs
    if dtype.kind == "f":  # uint64 with a signed integer: NumPy's result type is float64
        return out.astype(dtype)
    info = np.iinfo(dtype)
    if out.size and (out.min() < info.min or out.max() > info.max):
        raise OverflowError(
            f"{name}: the exact convolution has values in [{out.min()}, {out.max()}], which do not "
            f"fit the result dtype {dtype} (range [{info.min}, {info.max}]); cast the inputs "
            "to a wider integer type first (NumPy and SciPy would silently wrap around here)"
        )
    return out.astype(dtype, copy=False)


def _direct_limbs(p, stats, bound):
    """Exact convolution of integers whose sums could overflow int64, by int64 limbs.

    Each input is cut into limbs of ``L`` bits, ``a = sum_i a_i 2**(L i)`` with every
    ``|a_i| <= 2**L``; each output sums at most ``terms`` products, so with
    ``2 L + ceil(log2(terms)) <= 62`` every convolution of a pair of limbs is exact in
    int64 (the numba kernel, window only). The output alone is assembled in Python
    integers: ``sum_ij (a_i * b_j) 2**(L (i + j))``. ``stats``: the inputs'
    :func:`_abs_stats`; ``bound`` bounds the outputs' magnitude.
    """
    terms = min(math.prod(p.in1.shape[a] for a in p.axes),
                math.prod(p.in2.shape[a] for a in p.axes))
    bits = max(1, (62 - (terms - 1).bit_length()) // 2)
    counts = [max(1, math.ceil((int(s[0]).bit_length() + 2) / bits)) for s in stats]
    # the limbs (of the distinct data of broadcast views), and the output as Python ints
    # (an 8-byte pointer and an int of 28 + 4 per 30 bits) with one temporary
    distinct = [_distinct(a)[0].size for a in (p.in1, p.in2)]
    per_element = 2 * (8 + 28 + 4 * math.ceil((math.log2(bound + 1) + 1) / 30))
    outputs = math.prod(p.out_shape)
    nbytes = 8 * sum(c * d for c, d in zip(counts, distinct, strict=True)) + 8 * outputs
    check_allocation("in1, in2", p.out_shape, object,
                     copies=(outputs * per_element + nbytes) / (8 * max(outputs, 1)),
                     what="the exact convolution in Python integers")
    limbs1 = _limbs(p.in1, bits, counts[0])
    limbs2 = _limbs(p.in2, bits, counts[1])
    out = np.zeros(p.out_shape, dtype=object)
    for i, x in enumerate(limbs1):
        for j, y in enumerate(limbs2):
            part = _direct_numba(p.with_inputs(x, y), np.dtype(np.int64))
            if part.any():
                out += part.astype(object) * (1 << (bits * (i + j)))
    return out


def _limbs(array, bits, count):
    """``array`` (integers) as ``count`` int64 limbs ``a_i`` with
    ``array == sum_i a_i 2**(bits i)``: the lower ones in ``[0, 2**bits)``, the last
    signed, of magnitude at most ``2**bits`` when ``count * bits`` exceeds the values'
    bit length by two. Broadcast views stay broadcast."""
    data, _ = _distinct(array)
    rest = data.astype(np.uint64 if data.dtype == np.uint64 else np.int64)
    mask = (1 << bits) - 1
    limbs = []
    for _ in range(count - 1):
        limbs.append((rest & mask).astype(np.int64))
        rest = rest >> bits   # arithmetic for int64 (floor), logical for uint64
    limbs.append(rest.astype(np.int64))
    return [np.broadcast_to(limb, array.shape) for limb in limbs]


def _direct_numba(p, work_dtype):
    """Run the direct kernel of ``p.backend`` on ``p`` with inputs cast to
    ``work_dtype``; the result on the host."""
    return p.backend.to_host(_direct_run(p, work_dtype)[0])


def _direct_run(p, work_dtype):
    """The direct sum of ``p`` by ``p.backend``: its result on the backend's device, and
    whether it is all finite as the kernels report it (None from the GPU: unknown).

    One piece of code for every device: the inputs (host or device arrays) are moved,
    transposed and cast by the backend (:func:`sigconv.backend.cpu.rearrange`: on the
    host a view where it can; on the GPU a kernel, and a host input goes up once)."""
    be = p.backend
    in1, in2 = p.in1, p.in2
    d = len(p.axes)
    size1 = math.prod(in1.shape[a] for a in p.axes)
    size2 = math.prod(in2.shape[a] for a in p.axes)
    if size2 > size1:  # convolution commutes; the longer input streams through the kernel
        in1, in2 = in2, in1
    ndim = len(in1.shape)
    last = tuple(range(ndim - d, ndim))
    moved = p.axes != last
    # the convolved axes last, the others in order (np.moveaxis, cheaper)
    order = [a for a in range(ndim) if a not in p.axes] + list(p.axes) if moved else None
    x_shape = tuple(in1.shape[a] for a in order) if moved else tuple(in1.shape)
    h_shape = tuple(in2.shape[a] for a in order) if moved else tuple(in2.shape)
    x_batch_shape, h_batch_shape = x_shape[:-d], h_shape[:-d]
    # the batch lengths are equal or 1 (checked by _Problem): broadcasting is the maximum
    batch_shape = tuple(map(max, x_batch_shape, h_batch_shape))
    conv_out = tuple(p.out_shape[a] for a in p.axes)
    conv_start = tuple(p.start[a] for a in p.axes)
    # beyond the result: contiguous copies of the inputs (a broadcast view becomes
    # whole), the work array when it is not the result's dtype, the batch maps
    work = np.dtype(work_dtype)
    nbytes = sum(math.prod(a.shape) * work.itemsize for a in (in1, in2)
                 if _copied(a, order, work))
    if work != p.result_dtype:
        nbytes += math.prod(p.out_shape) * work.itemsize
    nbytes += 16 * math.prod(batch_shape)
    p.check_work_memory("direct", nbytes, "contiguous copies of the inputs")

    x3 = be.rearrange(in1, order, (), work, False).reshape(
        math.prod(x_batch_shape), math.prod(x_shape[-d:-1]), x_shape[-1])
    h3 = be.rearrange(in2, order, (), work, False).reshape(
        math.prod(h_batch_shape), math.prod(h_shape[-d:-1]), h_shape[-1])
    n_batch = math.prod(batch_shape)
    out = be.empty((n_batch, math.prod(conv_out[:-1]), conv_out[-1]), work)
    finite = be.direct_nd(
        x3, h3, out, batch_shape, x_batch_shape, h_batch_shape, x_shape[-d:-1],
        h_shape[-d:-1], conv_out[:-1], conv_start[:-1], conv_start[-1],
        _direct_block(n_batch * math.prod(conv_out[:-1]), conv_out[-1]),
        p.direct_macs() >= _config.PARALLEL_MIN_MACS)
    result = out.reshape(batch_shape + conv_out)
    if moved:   # back where they were
        back = [0] * ndim
        for i, a in enumerate(order):
            back[a] = i
        result = be.permute(result, tuple(back))
    return result, finite


def _copied(array, order, dtype):
    """Whether ``rearrange(array, order, (), dtype, False)`` copies ``array``."""
    if isinstance(array, np.ndarray):
        view = array if order is None else array.transpose(order)
        return not (view.flags.c_contiguous and view.dtype == dtype)
    return order is not None or array.dtype != dtype or not array.is_c_contiguous()


# --------------------------------------------------------------------------------------
# FFT methods
# --------------------------------------------------------------------------------------
#: forward and inverse N-D transforms, for real (False) and complex (True) input
_TRANSFORMS = {False: ("rfftn", "irfftn"), True: ("fftn", "ifftn")}


def _fft_dtype(p):
    """The dtype the FFT works in: the result type, so float32 (with integers too) stays
    single precision; integers alone go to float64, float16 to float32 (``scipy.fft``
    has no half precision)."""
    dtype = p.result_dtype
    if dtype.kind in "biu":
        return np.dtype(np.float64)
    if dtype == np.float16:
        return np.dtype(np.float32)
    return dtype


def _fft_inputs(p, shifts=None):
    """Both inputs cast to :func:`_fft_dtype` and scaled by ``2**shift`` (``shifts``
    from :func:`_fft_shifts`; None: unscaled), and whether the dtype is complex."""
    dtype = _fft_dtype(p)
    inputs = [p.in1.astype(dtype, copy=False), p.in2.astype(dtype, copy=False)]
    for i, (original, shift) in enumerate(zip((p.in1, p.in2), shifts or (0, 0),
                                              strict=True)):
        if shift:
            inputs[i] = _ldexp(inputs[i], shift, in_place=inputs[i] is not original)
    return inputs[0], inputs[1], dtype.kind == "c"


def _cast_bytes(p, dtype, shifts=None):
    """Bytes of the copies that casting the inputs to ``dtype`` (and scaling them by
    ``shifts``: a broadcast view is scaled in its distinct data) makes."""
    nbytes = 0
    for a, shift in zip((p.in1, p.in2), shifts or (0, 0), strict=True):
        if a.dtype != dtype:
            nbytes += a.size * dtype.itemsize
        elif shift:
            nbytes += _distinct(a)[0].size * dtype.itemsize
    return nbytes


def _ldexp(array, shift, in_place=False):
    """``array * 2**shift`` (floating or complex), exact but where it under/overflows.

    In place, or a new array; a broadcast view stays broadcast (its distinct data scaled).
    """
    if in_place:
        out = array
    else:
        data, repeats = _distinct(array)
        out = np.empty_like(data)
    parts = (array.real, array.imag) if array.dtype.kind == "c" else (array,)
    targets = (out.real, out.imag) if out.dtype.kind == "c" else (out,)
    for part, target in zip(parts, targets, strict=True):
        source = part if in_place else _distinct(part)[0]
        with np.errstate(over="ignore"):   # inf where the true result is beyond the range
            np.ldexp(source, shift, out=target)
    return out if in_place else np.broadcast_to(out, array.shape)


def _max_abs(array):
    """``max |real part|, |imaginary part|`` of a floating or complex array, without a
    temporary of its size (NaN if it holds a NaN); None for integers and booleans."""
    if array.dtype.kind not in "fc":
        return None
    data, _ = _distinct(array)
    parts = (data.real, data.imag) if data.dtype.kind == "c" else (data,)
    ends = [float(end) for part in parts for end in (part.min(), part.max())]
    return math.nan if any(map(math.isnan, ends)) else max(map(abs, ends))


def _magnitude_bound(array):
    """An upper bound of the magnitudes of a floating or complex array, within a factor
    of two (None for integers and booleans), in one pass over a contiguous one: for real
    data the exact ``max |x|`` by the largest bit pattern without the sign
    (:func:`cpu.max_abs_bits`: a vectorised integer maximum, in which a NaN is larger
    than inf, so it is seen); for complex, BLAS's ``i?amax`` (``max |re| + |im|``; a
    NaN may go unseen); else :func:`_max_abs`. No BLAS threads for real data: they
    would spin beside the FFT's workers."""
    if array.dtype.kind not in "fc":
        return None
    data, _ = _distinct(array)
    if not 0 < data.size or not (data.flags.c_contiguous or data.flags.f_contiguous):
        return _max_abs(array)
    flat = data.reshape(-1, order="C" if data.flags.c_contiguous else "F")
    bits = _SIGN_MASKS.get(data.dtype.char) if data.dtype.isnative else None
    if bits is not None:
        integer, mask = bits
        return float(integer(cpu.max_abs_bits(readonly(flat.view(integer)), mask)).view(data.dtype))
    amax = _AMAX.get(data.dtype.char)
    if amax is None or data.size >= 2**31:
        return _max_abs(array)
    value = flat[getattr(sp_blas, amax)(flat)]
    return float(abs(value.real) + abs(value.imag))


#: the integer type of a real float's bits, and the mask that clears its sign
_SIGN_MASKS = {"f": (np.int32, np.int32(0x7FFF_FFFF)),
               "d": (np.int64, np.int64(0x7FFF_FFFF_FFFF_FFFF))}
#: index of the largest ``|re| + |im|`` of a complex vector, by dtype character
_AMAX = {"F": "icamax", "D": "izamax"}


def _fft_shifts(p):
    """Powers of two ``(s1, s2)`` that scale floating inputs of an FFT convolution
    whose magnitudes come near the edges of the dtype's range, or None.

    The transforms sum ``n`` inputs, multiply spectra and sum again, so intermediate
    values grow up to ``max|in1| max|in2| n1 n2 N`` (``N`` the transform length) although
    the result can be finite: ``[1e308, 1e308] * [1, -1, 2]`` is ``[1e308, 0, inf,
    inf]``. At the other end, products below the smallest normal number lose their
    precision. Each floating input whose maximum is ``m 2**e`` (``0.5 <= m < 1``) is then
    scaled by ``2**-e``, exactly (up to values that underflow, far below the FFT's own
    rounding error), and the result scaled back once by ``2**(e1 + e2)``: overflow to
    inf then happens only where the convolution itself is beyond the range. Integer
    inputs are never scaled (their magnitudes are bounded by their bit widths).
    One pass over each floating input (:func:`_magnitude_bound`, no temporary).
    """
    info = np.finfo(_fft_dtype(p))
    high, low = [], []
    for a in (p.in1, p.in2):
        biggest = _magnitude_bound(a)
        if biggest is None:   # integers: at most 2**bits; nonzero ones at least 1
            high.append(8 * a.dtype.itemsize)
            low.append(1)
        elif not math.isfinite(biggest):
            return None    # NaN or inf: the result is not finite anyway (and warned)
        else:
            # all zeros (frexp gives exponent 0): the result is zeros, but only if the
            # other input's transform stays finite too (0 * inf is NaN), so it still
            # counts and may be scaled; zeros stay unscaled (shift 0)
            exponent = math.frexp(biggest)[1]
            high.append(exponent)
            low.append(exponent)
    sizes = [math.prod(a.shape[axis] for axis in p.axes) for a in (p.in1, p.in2)]
    growth = (sizes[0] * sizes[1] * 2 * math.prod(p.full_shape[a] for a in p.axes)
              ).bit_length()
    margin = 4
    overflow = max(high[0], high[1], high[0] + high[1]) + growth > info.maxexp - margin
    underflow = min(low[0], low[1], low[0] + low[1] - growth) < (
        info.minexp + info.nmant + margin)
    if not (overflow or underflow):
        return None
    return tuple(-e if a.dtype.kind in "fc" else 0
                 for a, e in zip((p.in1, p.in2), low, strict=True))


def _unscale(full, shifts):
    """Undo :func:`_fft_shifts` on a result (in place, one rounding)."""
    if shifts is not None and (shifts[0] or shifts[1]):
        _ldexp(full, -(shifts[0] + shifts[1]), in_place=True)
    return full


def _batch(array, axes):
    """How many independent transforms ``array`` holds: the product of its other axes."""
    return math.prod(s for a, s in enumerate(array.shape) if a not in axes)


def _check_fft_memory(p, fshape, shifts=None):
    """MemoryError naming ``in1, in2`` if the FFT's padded copies, spectra, their product
    and the inverse transform, with the result, would not fit (before allocating).
    ``shifts``: the inputs' scaling (:func:`_fft_shifts`), whose copies count too."""
    dtype = _fft_dtype(p)
    spectrum = math.prod(fshape[:-1]) * (
        fshape[-1] if dtype.kind == "c" else fshape[-1] // 2 + 1)
    padded = math.prod(fshape)
    complex_size = np.result_type(dtype, np.complex64).itemsize
    per_batch = padded * dtype.itemsize + spectrum * complex_size
    nbytes = (_cast_bytes(p, dtype, shifts)
              + (_batch(p.in1, p.axes) + _batch(p.in2, p.axes) + p.batch_size) * per_batch)
    p.check_work_memory("fft", nbytes, "padded transforms")


_POOL = []


def _forward_pair(forward, in1, in2, fshape, axes, batch_size):
    """The spectra of both inputs, the two transforms side by side when they are large.

    ``scipy.fft`` spreads a *batch* of transforms over its workers but runs a single
    transform on one thread; it releases the GIL, so two large single transforms run
    concurrently from two threads.
    """
    workers = fft_workers()
    if batch_size > 1 or math.prod(fshape) < _config.FFT_CONCURRENT_MIN or workers == 1:
        return (forward(in1, s=fshape, axes=axes, workers=workers),
                forward(in2, s=fshape, axes=axes, workers=workers))
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="sigconv-fft"))
    future = _POOL[0].submit(forward, in2, s=fshape, axes=axes)
    first = forward(in1, s=fshape, axes=axes)
    return first, future.result()


def _fft(p):
    """Full FFT convolution over ``p.axes``, cut to the mode's window."""
    complex_input = _fft_dtype(p).kind == "c"
    fshape = [sp_fft.next_fast_len(p.full_shape[a], not complex_input) for a in p.axes]
    shifts = _fft_shifts(p)
    _check_fft_memory(p, fshape, shifts)
    in1, in2, complex_input = _fft_inputs(p, shifts)
    forward, inverse = (getattr(sp_fft, name) for name in _TRANSFORMS[complex_input])
    workers = fft_workers()
    product, other = _forward_pair(forward, in1, in2, fshape, p.axes, p.batch_size)
    _warn_if_nonfinite(p, all(np.isfinite(_zero_frequency(spectrum, p.axes)).all()
                              for spectrum in (product, other)))
    if product.shape == other.shape:
        product *= other
    else:  # batch axes broadcast
        product = product * other
    if complex_input:
        full = inverse(product, axes=p.axes, workers=workers, overwrite_x=True)
    else:
        full = inverse(product, s=fshape, axes=p.axes, workers=workers, overwrite_x=True)
    return _unscale(full[p.window()], shifts)


@functools.lru_cache(maxsize=256)
def _oa_block_length(n_long, n_short):
    """FFT length of one overlap-add block: the fast length with least work per output."""
    best, best_cost = None, math.inf
    length = sp_fft.next_fast_len(2 * n_short - 1, True)
    limit = sp_fft.next_fast_len(n_long + n_short - 1, True)
    while True:
        useful = length - n_short + 1
        blocks = math.ceil(n_long / useful)
        cost = blocks * length * math.log2(length)
        if cost < best_cost:
            best, best_cost = length, cost
        if length >= limit:
            break
        length = sp_fft.next_fast_len(length * 5 // 4 + 1, True)
    return best


def _overlap_add(p):
    """Overlap-add convolution: the longer input cut into blocks along one axis.

    The blocked axis is the convolved axis with the most unequal lengths; the other
    convolved axes are transformed whole. The blocks go through ``scipy.fft`` in batches
    of about ``_config.OA_BATCH_BYTES`` of spectra (each batch spread over the worker
    threads), so that the temporaries stay in cache and the memory beyond the output is
    small however long the signal.
    """
    axis = _oa_axis(p)
    n, k = p.in1.shape[axis], p.in2.shape[axis]
    if k > n:
        n, k = k, n
    if k == 1 or n <= k:
        return _fft(p)
    block_fft = _oa_block_length(n, k)
    useful = block_fft - k + 1
    n_blocks = math.ceil(n / useful)
    # beyond the result: the input casts, the full output with its last block's tail, and
    # per batch of blocks (at most max(OA_BATCH_BYTES, OA_BATCH_MIN_BLOCKS blocks) of
    # spectra) the padded segment, its spectrum, the product and the inverse transform
    dtype = _fft_dtype(p)
    complex_size = np.result_type(dtype, np.complex64).itemsize
    rest = math.prod(p.full_shape) // p.full_shape[axis]
    whole_block = rest * block_fft * complex_size
    batch_bytes = min(n_blocks * whole_block,
                      max(_config.OA_BATCH_BYTES, _config.OA_BATCH_MIN_BLOCKS * whole_block))
    shifts = _fft_shifts(p)
    p.check_work_memory(
        "oa", _cast_bytes(p, dtype, shifts) + rest * (n_blocks + 1) * useful * dtype.itemsize
        + 4 * batch_bytes + _batch(p.in2, p.axes) * whole_block, "blocks")
    in1, in2, complex_input = _fft_inputs(p, shifts)
    if in2.shape[axis] > in1.shape[axis]:
        in1, in2 = in2, in1  # convolution commutes; block the longer one

    # put the blocked axis last; a batch of blocks is a (..., blocks, useful) view of it
    x = np.moveaxis(in1, axis, -1)
    h = np.moveaxis(in2, axis, -1)[..., np.newaxis, :]
    others = [a if a < axis else a - 1 for a in p.axes if a != axis]  # in the moved layout
    fft_axes = tuple(others) + (x.ndim,)
    fshape = [sp_fft.next_fast_len(p.full_shape[a], not complex_input)
              for a in p.axes if a != axis] + [block_fft]
    forward, inverse = (getattr(sp_fft, name) for name in _TRANSFORMS[complex_input])
    workers = fft_workers()
    kernel_spectrum = forward(h, s=fshape, axes=fft_axes, workers=workers)
    finite = bool(np.isfinite(_zero_frequency(kernel_spectrum, fft_axes)).all())
    whole = dict(zip(others, fshape, strict=False))   # the other axes, transformed whole
    lead = [whole.get(a, max(x.shape[a], h.shape[a])) for a in range(x.ndim - 1)]
    spectrum_bytes = math.prod(lead) * block_fft * kernel_spectrum.itemsize
    per_batch = max(_config.OA_BATCH_MIN_BLOCKS, _config.OA_BATCH_BYTES // spectrum_bytes)

    full, carry = None, None
    for first in range(0, n_blocks, per_batch):
        count = min(per_batch, n_blocks - first)
        segment = x[..., first * useful:(first + count) * useful]
        if segment.shape[-1] < count * useful:  # the last block, padded with zeros
            pad = [(0, 0)] * (x.ndim - 1) + [(0, count * useful - segment.shape[-1])]
            segment = np.pad(segment, pad)
        spectrum = forward(segment.reshape(segment.shape[:-1] + (count, useful)), s=fshape,
                           axes=fft_axes, workers=workers)
        finite = finite and bool(np.isfinite(_zero_frequency(spectrum, fft_axes)).all())
        # not in place: the kernel's batch axes may be the longer ones (broadcasting)
        spectrum = spectrum * kernel_spectrum
        if complex_input:
            blocks = inverse(spectrum, axes=fft_axes, workers=workers, overwrite_x=True)
        else:
            blocks = inverse(spectrum, s=fshape, axes=fft_axes, workers=workers,
                             overwrite_x=True)
        if full is None:   # block b covers [b*useful, b*useful + block_fft)
            full = np.empty(blocks.shape[:-2] + ((n_blocks + 1) * useful,), blocks.dtype)
        span = full[..., first * useful:(first + count) * useful]
        span.reshape(span.shape[:-1] + (count, useful))[...] = blocks[..., :useful]
        # each tail (k - 1 <= useful samples) reaches into the next block only
        if carry is not None:
            span[..., :k - 1] += carry
        later = span[..., useful:].reshape(span.shape[:-1] + (count - 1, useful))
        later[..., :k - 1] += blocks[..., :-1, useful:useful + k - 1]
        carry = blocks[..., -1, useful:useful + k - 1].copy()
    end = full[..., n_blocks * useful:]
    end[..., :k - 1] = carry
    end[..., k - 1:] = 0
    _warn_if_nonfinite(p, finite)
    full = np.moveaxis(full[..., :n + k - 1], -1, axis)
    return _unscale(full[p.window()], shifts)


def _zero_frequency(spectrum, axes):
    """The zero-frequency bins of ``spectrum`` transformed over ``axes`` (a view)."""
    return spectrum[tuple(0 if a in axes else slice(None) for a in range(spectrum.ndim))]


def _warn_if_nonfinite(p, finite_bins):
    """Warn, as SciPy does, that an FFT spreads NaN/inf over the whole output.

    A NaN or inf in a transformed signal makes its zero-frequency bin (its sum)
    non-finite, so looking at those bins (``finite_bins``: were they all finite?) costs
    nothing; only then are the inputs themselves checked (a sum can also overflow).
    """
    if not p.warn_nonfinite or finite_bins:
        return
    # a NaN/inf makes the maximum magnitude NaN/inf: no finiteness mask of the inputs' size
    if not all(math.isfinite(_max_abs(a) or 0.0) for a in (p.in1, p.in2)):
        warnings.warn(
            "Use of fft convolution on input with NAN or inf results in NAN or inf "
            "output. Consider using method='direct' instead.",
            RuntimeWarning,
            stacklevel=5,
        )


_IMPLEMENTATIONS = {"direct": _direct, "fft": _fft, "oa": _overlap_add}


# --------------------------------------------------------------------------------------
# integers by FFT, exactly
# --------------------------------------------------------------------------------------
#: error of one of pocketfft's twiddle factors (computed in higher precision and rounded
#: once: under ``eps`` per component); taken four times larger, to be safe
_TWIDDLE_ERROR = 4 * _EPS
#: a factor on the bound for what its model of the FFT leaves out (pocketfft's radix-4
#: passes order the same operations differently from radix-2 butterflies)
_FFT_BOUND_SLACK = 2.0


def _fft_error_bound(norm1, norm2, length):
    """A bound on ``max |z' - z|``, the error of an FFT convolution ``z'`` of real
    vectors with Euclidean norms ``norm1``, ``norm2`` padded to ``length = 2**n``.

    C. Percival, "Rapid multiplication modulo the sum and difference of highly composite
    numbers", Math. Comp. 72 (2003), 387-395, Theorem 5.1: for the cyclic convolution of
    length ``N = 2**n`` by radix-2 complex FFTs (forward, forward, pointwise product,
    inverse) in floating point of unit roundoff ``eps`` with twiddle factors of error at
    most ``beta``,

        ||z' - z||_inf < ||x||_2 ||y||_2 ((1 + eps)**(3n) (1 + eps*sqrt(5))**(3n + 1)
                                          (1 + beta)**(3n) - 1).

    A linear convolution is the cyclic one of the zero-padded inputs (padding is exact);
    an N-D transform over axes of lengths ``2**n_i`` is ``n = sum(n_i)`` radix-2 stages
    of the same kind; ``1/N`` is exact for a power of two. A batch of transforms is
    bounded by the norms of the whole inputs, which bound each member's. The bound is
    multiplied by ``_FFT_BOUND_SLACK``.
    """
    n = int(length).bit_length() - 1
    growth = math.expm1(3 * n * math.log1p(_EPS)
                        + (3 * n + 1) * math.log1p(_EPS * math.sqrt(5))
                        + 3 * n * math.log1p(_TWIDDLE_ERROR))
    return _FFT_BOUND_SLACK * norm1 * norm2 * growth


def _exact_integer_fft(p, stats):
    """The exact convolution of an integer problem by complex power-of-two FFTs rounded
    to the nearest integers (int64), or None where :func:`_fft_error_bound` does not
    prove every rounding exact (error < 0.5), or the transforms would not fit in memory:
    the caller then computes it directly, exactly too. ``stats``: the inputs'
    :func:`_abs_stats`."""
    (max1, _, squares1), (max2, _, squares2) = stats
    if max(max1, max2) > 2.0**53:   # not every input is exact in float64
        return None
    fshape = [1 << (p.full_shape[a] - 1).bit_length() for a in p.axes]
    if not _fft_error_bound(math.sqrt(squares1), math.sqrt(squares2),
                            math.prod(fshape)) < 0.5:
        return None
    # complex copies of the inputs, both spectra, their product and the inverse transform
    nbytes = 16 * (p.in1.size + p.in2.size + math.prod(fshape) * (
        _batch(p.in1, p.axes) + _batch(p.in2, p.axes) + 2 * p.batch_size))
    if nbytes + math.prod(p.out_shape) * 8 > memory_limit():
        return None
    # complex input: scipy.fft would run a real input through a real transform
    workers = fft_workers()
    spectrum = sp_fft.fftn(p.in1.astype(np.complex128), s=fshape, axes=p.axes,
                           workers=workers)
    other = sp_fft.fftn(p.in2.astype(np.complex128), s=fshape, axes=p.axes,
                        workers=workers)
    spectrum = spectrum * other
    del other
    full = sp_fft.ifftn(spectrum, axes=p.axes, workers=workers, overwrite_x=True)
    # |exact| <= ||x|| ||y|| < 2**53 once the bound is below 0.5: rint is exact
    return np.rint(full[p.window()].real).astype(np.int64)


# --------------------------------------------------------------------------------------
# method choice
# --------------------------------------------------------------------------------------
def _fft_units(length):
    return length * math.log2(max(length, 2))


def _oa_axis(p):
    """The convolved axis overlap-add blocks: the one with the most unequal lengths."""
    ratios = [max(p.in1.shape[a], p.in2.shape[a]) / min(p.in1.shape[a], p.in2.shape[a])
              for a in p.axes]
    return p.axes[int(np.argmax(ratios))]


def _model_threads():
    """``(numba threads, FFT workers)`` that a call made now would use: 1 and 1 inside
    :func:`sigconv._jit.single_thread`; else numba's thread count for the calling thread
    (:func:`numba.set_num_threads`; its default, ``NUMBA_NUM_THREADS``, while numba's
    pool has not started -- asking would start it) and :func:`sigconv._jit.fft_workers`'s
    count. Read on every choice, so it is kept cheap (well under a microsecond): the
    thread-local flag read from its ``__dict__`` (``getattr`` with a default costs an
    exception when it is unset) and the threading layer's own getter
    (``numba.get_num_threads()`` costs ~2 us more).
    """
    if _jit._THREAD.__dict__.get("single", False):
        return 1, 1
    threads = numba.config.NUMBA_NUM_THREADS
    if _numba_parallel._is_initialized:
        threads = _numba_parallel._get_num_threads() or threads
    return max(1, threads), max(1, _config.FFT_WORKERS or numba.config.NUMBA_NUM_THREADS)


def _single(p):
    """Whether the transforms and sums run in single precision (float32, complex64, and
    float16, computed in float32)."""
    return _fft_dtype(p).char in "fF"


def _work(count, threads=1):
    """One column of the work counts: ``count`` units shared by ``threads`` threads."""
    return ((float(count), threads),)


def _direct_features(p, threads=None):
    """Columns ``(1, MACs in 1-D double, 1-D single, N-D double, N-D single precision,
    outputs, row sweeps)``, each but the first shared by the kernel's threads.

    A complex multiply-add counts as four real ones. ``threads``: numba's thread count
    (default :func:`_model_threads`'s), bounded by the kernel's tasks; problems below
    ``PARALLEL_MIN_MACS`` run serially. N-D sums run along short rows (measured about
    twice the seconds per multiply-add of 1-D ones), hence terms of their own. A row
    sweep is one output row meeting one kernel row (one call of the 1-D block routine).
    """
    macs = p.direct_macs()
    if macs >= _config.PARALLEL_MIN_MACS:
        if threads is None:
            threads = _model_threads()[0]
        row = p.out_shape[p.axes[-1]]
        rows = math.prod(p.out_shape) // max(row, 1)
        tasks = rows * -(-row // _direct_block(rows, row))
        threads = max(1, min(threads, tasks))
    else:
        threads = 1
    row_axes = p.axes[:-1]
    sweeps = p.batch_size * math.prod(
        p.out_shape[a] * min(p.in1.shape[a], p.in2.shape[a]) for a in row_axes)
    real_macs = macs * (4 if _fft_dtype(p).kind == "c" else 1)
    split = [0.0] * 4
    split[2 * (len(p.axes) > 1) + _single(p)] = real_macs
    return (_work(1.0), *(_work(m, threads) for m in split),
            _work(math.prod(p.out_shape), threads), _work(sweeps, threads))


def _fft_features(p, workers, fast):
    """Columns ``(1, N log2 N`` units of small transforms in double, in single precision,
    of large transforms in double, in single precision``)`` of an FFT convolution.

    The units of the padded shape ``N`` (``fast``: its fast lengths by axis), a complex
    transform counting twice a real one, per transform: both forward ones and the
    inverse, per batch member. A transform of more than ``_config.COST_FFT_LARGE``
    points leaves the cache (measured up to three times the seconds per unit of small
    ones, 1-D and 2-D alike), hence terms of their own. ``scipy.fft`` spreads the lines
    of an N-D transform and the members of a batch over its ``workers``; a single large
    pair of transforms runs side by side on two threads (:func:`_forward_pair`), each on
    one worker.
    """
    size = math.prod(fast.values())
    units = _fft_units(size) * (2 if _fft_dtype(p).kind == "c" else 1)
    batch = p.batch_size
    spread = max(1, min(workers, size // fast[p.axes[-1]] * batch))
    if batch == 1 and workers > 1 and size >= _config.FFT_CONCURRENT_MIN:
        column = ((2 * units, 2), (units, spread))
    else:
        column = ((3 * units * batch, spread),)
    columns = [((0.0, 1),)] * 4
    columns[2 * (size > _config.COST_FFT_LARGE) + _single(p)] = column
    return (_work(1.0), *columns)


def _cost_features(p, threads=None, workers=None):
    """Work counts that each method's run time is (modelled as) linear in, on
    ``threads`` numba threads and ``workers`` FFT workers (default
    :func:`_model_threads`).

    Each method's counts are columns, each column a tuple of ``(units, threads)``
    parts: ``units`` shared by ``threads`` threads, which run ``1 + e (threads - 1)``
    times as fast as one, ``e`` the method's fitted parallel efficiency. ``direct``: see
    :func:`_direct_features`; ``fft``: see :func:`_fft_features`; ``oa``: ``(1, N log2
    N`` units of all blocks in double, in single precision (shared by the workers),
    outputs, blocks``)``. The coefficients are the active cost constants
    (:func:`cost_model_source`): shipped in ``_config.COST_DIRECT``, ``COST_FFT`` and
    ``COST_OA`` or fitted on this machine by ``sigconv calibrate``. A method that cannot
    apply gets None.
    """
    if threads is None or workers is None:
        now = _model_threads()
        threads = now[0] if threads is None else threads
        workers = now[1] if workers is None else workers
    features = {"direct": _direct_features(p, threads)}
    outputs = math.prod(p.out_shape)
    fast = {a: sp_fft.next_fast_len(p.full_shape[a], True) for a in p.axes}
    batch = p.batch_size
    features["fft"] = _fft_features(p, workers, fast)
    axis = _oa_axis(p)
    n = max(p.in1.shape[axis], p.in2.shape[axis])
    k = min(p.in1.shape[axis], p.in2.shape[axis])
    # over several axes overlap-add transforms the others whole and measured slower than
    # the plain FFT at every image size tried (bench/calibrate.py): auto leaves it out
    if k > 1 and n > k and len(p.axes) == 1:
        block = _oa_block_length(n, k)
        n_blocks = math.ceil(n / (block - k + 1))
        other = math.prod(fast.values()) // fast[axis]
        spread = max(1, min(workers, n_blocks * batch))
        units = _fft_units(block * other) * n_blocks * batch * (
            2 if _fft_dtype(p).kind == "c" else 1)
        split = (_work(0.0), _work(units, spread))
        features["oa"] = (_work(1.0), *(split[::-1] if _single(p) else split),
                          _work(outputs), _work(n_blocks * batch))
    else:
        features["oa"] = None
    return features


_COSTS = {"direct": "COST_DIRECT", "fft": "COST_FFT", "oa": "COST_OA"}


def _feature_values(features, efficiency):
    """The columns of ``features`` as numbers: each part's units divided by its threads'
    speed-up ``1 + efficiency * (threads - 1)``."""
    return [sum(units / (1.0 + efficiency * (threads - 1)) for units, threads in column)
            for column in features]


def _modelled(method, features, constants=None):
    """Modelled seconds of ``method`` from its work counts. ``constants``: a mapping of
    method to coefficients, one per column and the parallel efficiency last (default
    the active ones)."""
    if constants is None:
        constants = _calibrate.active()[0]
    coefficients = constants[method]
    values = _feature_values(features, coefficients[-1])
    return sum(c * v for c, v in zip(coefficients[:-1], values, strict=True))


def _estimated_times(p, threads=None, workers=None, constants=None):
    """Modelled seconds of each method for problem ``p`` (inf where it cannot apply), on
    ``threads`` numba threads and ``workers`` FFT workers (default: the calling thread's
    settings), with ``constants`` (default: the active ones)."""
    if threads is None or workers is None:
        now = _model_threads()
        threads = now[0] if threads is None else threads
        workers = now[1] if workers is None else workers
    if constants is None:
        constants = _calibrate.active()[0]
    direct = _modelled("direct", _direct_features(p, threads), constants)
    # cheap lower bounds of the transforms' cost (the workers at most ``workers`` times
    # as fast as one): when direct beats them, stop here
    full = math.prod(p.full_shape[a] for a in p.axes)
    fft = constants["fft"]
    fft_floor = fft[0] + min(fft[1:5]) * _fft_units(full) * 1.5 / max(workers, 1)
    oa_floor = constants["oa"][0] + constants["oa"][3] * math.prod(p.out_shape)
    if direct <= min(fft_floor, oa_floor):
        return {"direct": direct, "fft": math.inf, "oa": math.inf}
    return {method: math.inf if feature is None else _modelled(method, feature, constants)
            for method, feature in _cost_features(p, threads, workers).items()}


#: the model's choices by thread setting (``_model_threads()``), then by shapes, axes and
#: window, for the constants in ``_CHOICES_FOR``: repeated calls skip the model. Keyed by
#: the setting, so that threads with different counts (``single_thread`` in Dask tasks
#: beside a full-count caller) keep their own.
_CHOICES = {}
_CHOICES_FOR = [None]


def _choices():
    """The cache of choices for the calling thread's setting (emptied when the constants
    changed)."""
    active = _calibrate.active()
    if _CHOICES_FOR[0] is not active:
        _CHOICES.clear()
        _CHOICES_FOR[0] = active
    setting = _model_threads()
    choices = _CHOICES.get(setting)
    if choices is None:
        if len(_CHOICES) >= 16:
            _CHOICES.clear()
        choices = _CHOICES.setdefault(setting, {})
    return choices


def _choose(p):
    if p.is_integer:
        return "direct"  # exact; FFT rounding cannot promise that
    key = (p.in1.shape, p.in2.shape, p.axes, p.out_shape, p.start)
    choices = _choices()
    method = choices.get(key)
    if method is None:
        times = _estimated_times(p)
        method = min(times, key=times.get)
        if len(choices) >= 4096:
            choices.clear()
        choices[key] = method
    return method


def cost_model_source():
    """Where the constants of ``method="auto"``'s cost model come from.

    Returns
    -------
    source : str
        ``"calibrated <path> <date>"`` when a calibration stored by ``sigconv calibrate``
        (:func:`sigconv._calibrate.calibrate`) for this version of the model is in use,
        else ``"shipped defaults"`` (no calibration, a stale or damaged one, or the
        environment variable ``SIGCONV_CALIBRATION=0``).

    See Also
    --------
    choose_conv_method : the method that the model picks.

    Examples
    --------
    >>> import sigconv.conv
    >>> sigconv.conv.cost_model_source().startswith(("calibrated", "shipped"))
    True
    """
    return _calibrate.active()[1]


def choose_conv_method(in1, in2, mode="full", measure=False):
    """Find the fastest convolution method for these inputs.

    Parameters
    ----------
    in1, in2 : array_like
        The inputs, as they would be passed to :func:`convolve`.
    mode : {"full", "same", "valid"}, default "full"
        Output size, as in :func:`convolve`.
    measure : bool, default False
        If True, time every method on these inputs and return the fastest with the
        measured times; otherwise use the calibrated cost model.

    Returns
    -------
    method : {"direct", "fft", "oa"}
        The method :func:`convolve` with ``method="auto"`` would use (or, with
        ``measure=True``, the one measured fastest).
    times : dict
        Only with ``measure=True``: median seconds of each method, keyed by name.

    See Also
    --------
    sigconv.conv.cost_model_source : which constants the model uses.

    Notes
    -----
    The model estimates the seconds of each method as linear in its work counts: direct
    ``a + (b * MACs + c * outputs + d * row sweeps) / s(threads)``, FFT
    ``a + b * N log2 N`` per transform, overlap-add the same per block plus terms per
    output and per block, where ``s(t) = 1 + e (t - 1)`` is the speed-up of ``t``
    threads: numba's thread count (:func:`numba.set_num_threads`) for the direct sum,
    ``scipy.fft``'s workers for the transforms. Single precision and N-D problems have
    coefficients of their own. The constants are those fitted on this machine by
    ``sigconv calibrate`` where it has been run (stored in the user's cache folder; the
    environment variable ``SIGCONV_CALIBRATION=0`` ignores them), else the shipped
    defaults: :func:`sigconv.conv.cost_model_source` says which. Integer inputs always
    get ``"direct"``: it is exact, an FFT is not.

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> sc.choose_conv_method(np.ones(1000), np.ones(5))
    'direct'
    >>> sc.choose_conv_method(np.ones(100_000), np.ones(100_000))
    'fft'
    """
    if not isinstance(measure, (bool, np.bool_)):
        raise TypeError(f"measure must be True or False, got {measure!r}")
    p = _Problem(in1, in2, mode, None)
    if p.in1.ndim == 0:
        return ("direct", {"direct": 0.0}) if measure else "direct"
    if not measure:
        return _choose(p)
    methods = ["direct"] if p.is_integer else ["direct", "fft", "oa"]
    times = {}
    for method in methods:
        samples = []
        for _ in range(3):
            start = time.perf_counter()
            _IMPLEMENTATIONS[method](p)
            samples.append(time.perf_counter() - start)
        times[method] = float(np.median(samples))
    return min(times, key=times.get), times


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------
def _convolve(p, method, scipy_fft_conventions=False):
    """Run ``method`` on problem ``p`` and give the result the public dtype.

    ``scipy_fft_conventions`` is for :func:`fftconvolve` / :func:`oaconvolve`: integers
    give float64 results and no warning about non-finite input, as in SciPy.
    """
    if p.in1.ndim == 0:
        # two scalars: their product, as scipy.signal.convolve gives it (also for the FFT
        # functions), but by the rules of arrays: integers exact, or OverflowError
        scalars = _Problem(p.in1.reshape(1), p.in2.reshape(1), "full", None)
        return _convolve(scalars, "direct")[0]
    p.check_result_memory()
    if method == "auto":   # a backend without the FFT methods has one choice
        method = _choose(p) if "fft" in p.backend.METHODS else "direct"
    p.warn_nonfinite = not scipy_fft_conventions
    result_dtype = p.result_dtype
    if method != "direct" and p.is_integer and not scipy_fft_conventions:
        # an FFT forced on integers: exact when the error bound proves the rounding
        # right, else the direct sum; either way exact or OverflowError, as direct
        stats = (_abs_stats(p.in1), _abs_stats(p.in2))
        out = _exact_integer_fft(p, stats)
        if out is None:
            out = _exact_integers(p, stats)
        return cast_integer_result(out, result_dtype)
    out = _IMPLEMENTATIONS[method](p)
    if result_dtype == np.float16 and not scipy_fft_conventions:
        return out.astype(np.float16)  # computed in single precision
    return out


def _direct_block(n_rows, row_length):
    """Outputs per task: ``DIRECT_BLOCK``, smaller when there would be few tasks.

    Few tasks leave threads idle. The choice depends on the shapes only, never on the
    thread count or on serial versus parallel, so that results are reproducible to the
    last bit (the block edges decide the order of the additions).
    """
    blocks_per_row = max(1, -(-_config.DIRECT_MIN_TASKS // n_rows))
    smallest = min(256, _config.DIRECT_BLOCK)
    return max(smallest, min(_config.DIRECT_BLOCK, -(-row_length // blocks_per_row)))


_SMALL_METHODS = ("auto", "direct")


def _small_1d(in1, in2, mode, method, correlation):
    """Direct convolution of contiguous 1-D float inputs of one dtype with the least
    overhead: small ones always (the direct method is then the right one), larger ones
    when the method is ``direct`` or the cost model already chose it for these shapes.

    Returns None when the call is not of that kind; the general path then handles it
    (validation included). Everything checked here is also checked there, and the same
    kernels on the same blocks give the same bits. Beyond the small sizes, the memory of
    the result (and of a reversed kernel's copy) is checked as there: a refusal goes the
    general way, which names it.
    """
    if not (type(in1) is np.ndarray and type(in2) is np.ndarray and in1.ndim == 1
            and in2.ndim == 1 and in1.dtype == in2.dtype and in1.dtype.char in "fdFD"
            and in1.dtype.isnative
            and in1.flags.c_contiguous and in2.flags.c_contiguous
            and isinstance(method, str) and isinstance(mode, str)
            and method in _SMALL_METHODS):
        return None
    n, k = in1.shape[0], in2.shape[0]
    if n == 0 or k == 0:
        return None
    full = n + k - 1
    if mode == "full":
        length = full
    elif mode == "same":
        length = n
    elif mode == "valid":
        length = n - k + 1 if n >= k else k - n + 1
    else:
        return None
    start = (full - length) // 2
    small = n * k < _config.PARALLEL_MIN_MACS
    if not small:
        if method == "auto" and _choices().get(((n,), (k,), (0,), (length,), (start,))) != (
                "direct"):
            return None   # not chosen yet (the general path asks the model once), or not direct
        itemsize = in1.dtype.itemsize
        copies = length + (k if correlation else 0) - (-16 // itemsize)
        if copies * itemsize > memory_limit():
            return None
    if correlation:
        in2 = in2[::-1].copy()
        if in2.dtype.kind == "c":
            np.conjugate(in2, out=in2)
    if k > n:
        in1, in2 = in2, in1
    # the kernels report an inf or NaN in the output: the general path then tells an
    # overflowed partial sum from a non-finite input
    if small:
        out = np.empty(length, dtype=in1.dtype)
        finite = cpu.direct_1d_serial(readonly(in1), readonly(in2), out, start,
                                      _direct_block(1, length))
    else:   # the general path's call of the N-D kernels, without its bookkeeping
        out = np.empty((1, 1, length), dtype=in1.dtype)
        kernel = (cpu.direct_nd_parallel if length * min(n, k) >= _config.PARALLEL_MIN_MACS
                  else cpu.direct_nd_serial)
        zero, rows = np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64)
        finite = kernel(readonly(in1.reshape(1, 1, -1)), readonly(in2.reshape(1, 1, -1)),
                        out, zero, zero,
                        rows, rows, rows, rows, start, _direct_block(1, length))
        out = out.reshape(length)
    return out if finite else None


def _on_backend(be, in1, in2, mode, method, axes, correlation):
    """:func:`convolve` (or :func:`correlate`) by backend ``be``, once chosen.

    Device data in (an input that lives on ``be``'s device, a GPU): the problem is
    validated on zero-stride stand-ins of the device inputs' shapes, the data never
    leaves the device, a host ``in2`` goes up once, and the result is a device array.
    Host data in: the host problem, run by ``be``'s kernels (a GPU backend copies the
    inputs up and the result down); the result is a NumPy array.
    """
    if method not in be.METHODS:
        raise ValueError(f"method={method!r} is not available on {be.NAME}; use "
                         f"{' or '.join(map(repr, reversed(be.METHODS)))} ({be.NAME} runs "
                         "the direct kernel)")
    if any(is_device_array(a) and be.owns(a) for a in (in1, in2)):
        p = _device_problem(be, in1, in2, mode, axes, correlation)
        if p is not None:
            return be.like(_convolve(p, "direct"), in1, in2)
        # integers, booleans and float16 (exact sums, half precision) are computed from
        # host data, by the same backend: down, and the result up again
        out = _on_backend(be, be.to_host(in1), be.to_host(in2), mode, method, axes,
                          correlation)
        return be.like(be.asarray(out), in1, in2)
    p = _Problem(in1, in2, mode, axes)
    p.backend = be
    if correlation:
        p.check_result_memory()   # before the conjugate's copy
        p.in2 = _reverse_conj(p.in2, p.axes)
    return _convolve(p, method)


#: dtypes whose direct sum runs on device data as it is (the others go through the host)
_RESIDENT_DTYPES = {np.dtype(c) for c in "fdFD"}


def _device_problem(be, in1, in2, mode, axes, correlation):
    """The validated problem with the data left on ``be``'s device, or None for the
    dtypes whose sum is not run on device data (:data:`_RESIDENT_DTYPES`)."""
    p = _Problem(stand_in(in1), stand_in(in2), mode, axes)
    if p.result_dtype not in _RESIDENT_DTYPES:
        return None
    p.check_result_memory()
    # a host input was validated (and converted) by _Problem: that array is the one
    in1 = in1 if is_device_array(in1) else p.in1
    in2 = in2 if is_device_array(in2) else p.in2
    if correlation:   # reversed and conjugated by a kernel (a host in2 goes up as such)
        in2 = be.rearrange(in2, None, p.axes, np.dtype(in2.dtype), True)
    p.in1, p.in2 = in1, in2
    p.backend, p.resident = be, True
    return p


def convolve(in1, in2, mode="full", method="auto", axes=None, device=None):
    """Convolve two N-dimensional arrays.

    A drop-in replacement of :func:`scipy.signal.convolve` that also takes ``axes``:

    .. math:: (in_1 * in_2)[n] = \\sum_k in_1[k]\\, in_2[n - k]

    Parameters
    ----------
    in1 : array_like
        First input.
    in2 : array_like
        Second input, with the same number of dimensions as ``in1``.
    mode : {"full", "same", "valid"}, default "full"
        ``"full"``: the whole linear convolution. ``"same"``: the size of ``in1`` along
        the convolved axes, centred on the full output as SciPy does; along the other
        (batch) axes every mode keeps the broadcast length ``max(len1, len2)``, so a
        batch of kernels against one signal gives the whole batch (SciPy's ``same``
        would cut those axes to ``in1``'s length too). ``"valid"``: only the outputs
        that do not rely on zero-padding (one input must cover the other in every
        convolved axis).
    method : {"auto", "direct", "fft", "oa"}, default "auto"
        ``"direct"``: the defining sum, by parallel numba kernels (exact for integers).
        ``"fft"``: the convolution theorem with :mod:`scipy.fft`. ``"oa"``: overlap-add,
        the FFT in blocks, best for very unequal sizes. ``"auto"``: the fastest by a
        calibrated cost model (:func:`choose_conv_method`); integers always go direct.
        Integers stay exact under ``"fft"`` and ``"oa"`` too: a power-of-two complex FFT
        rounded to integers where a proven error bound guarantees every rounding (small
        values), else the direct sum.
    axes : int or sequence of int, optional
        Axes to convolve over; by default all of them. The other axes are a batch: their
        lengths must be equal or 1 (broadcast).
    device : {None, "cpu", "cuda"}, optional
        Where to compute. None: where the data is (an input with
        ``__cuda_array_interface__``, a Numba or CuPy device array, means the GPU, and the
        result is then a device array). ``"cuda"`` runs NumPy inputs on the GPU and
        returns NumPy. The GPU runs the direct method. Device data stays on the device:
        with ``in1`` there, only a NumPy ``in2`` is copied up (nothing when both are
        there), and float and complex results are device arrays computed from device
        data alone (integer, boolean and float16 device data are summed from a host
        copy, to stay exact); a strided device view is made contiguous through the host.

    Returns
    -------
    numpy.ndarray
        The convolution, of dtype ``numpy.result_type(in1, in2)``: float32 and complex64
        stay single precision, integers are exact. Two scalars (0-d) give their product
        as a NumPy scalar, as in SciPy, by the same rules.

    Raises
    ------
    TypeError
        If an input is not numeric or of extended precision, or ``axes`` holds a
        non-integer (booleans included).
    ValueError
        If ``mode``, ``method`` or ``axes`` is invalid, the inputs' dimensionality differ,
        an input is empty, or ``mode="valid"`` and neither input covers the other.
    OverflowError
        If an exact integer result does not fit the result dtype (SciPy wraps around),
        scalars included.
    MemoryError
        If the result, or the chosen method's work arrays with it, would need more memory
        than the process may use (checked before allocating; names ``in1, in2``).
    sigconv.CUDAUnavailableError
        If ``device="cuda"`` and numba finds no GPU (checked first; a
        :class:`RuntimeError` and a :class:`ValueError` naming ``device``).

    See Also
    --------
    correlate : Cross-correlation.
    fftconvolve : Always by FFT.
    oaconvolve : Always by overlap-add.
    scipy.signal.convolve : The SciPy function this one mirrors.

    Notes
    -----
    A NaN or inf input stays local to the outputs it touches with the direct method; an
    FFT spreads it over the whole output, and a :class:`RuntimeWarning` says so.

    Magnitudes near the ends of the floating range: an output is inf only where the
    convolution itself is beyond the range, never NaN from an overflow, under every
    method. ``"fft"`` and ``"oa"`` scale each input whose values could make the
    transforms' intermediate sums overflow (or sink into subnormals) by an exact power of
    two, and the result back once; ``"direct"`` sums again with the inputs so scaled
    where a partial sum overflowed (its output then holds an inf or NaN although the
    inputs are finite), with the same bits elsewhere. ``[1e308, 1e308] * [1, -1, 2]`` is
    ``[1e308, 0, 1e308, inf]``; SciPy gives ``[1e308, 0, inf, inf]`` directly and
    ``[inf, nan, inf, inf]`` by FFT, and ``[inf, nan, -inf]`` for
    ``[1e308, 1e308] * [2, -2]`` (exactly ``[2e308, 0, -2e308]``).

    Examples
    --------
    Multiplying :math:`(1 + 2t)(3 + t + t^2)` is convolving their coefficients:

    >>> import sigconv as sc
    >>> sc.convolve([1, 2], [3, 1, 1])
    array([3, 7, 3, 2])
    >>> sc.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5], mode="same")
    array([1. , 2.5, 4. ])
    """
    if device is None and axes is None:
        out = _small_1d(in1, in2, mode, method, False)
        if out is not None:
            return out
    check_choice(method, "method", METHODS)
    be = _backend.get(resolve_device(device, in1, in2))
    return _on_backend(be, in1, in2, mode, method, axes, correlation=False)


def convolve_window(in1, in2, window, method="auto"):
    """A window of the full convolution, computed alone: the modes are windows too.

    ``window`` maps each convolved axis (non-negative) to ``(start, length)``, a range of
    the full convolution's outputs along it (within ``0 .. n + k - 1``); the other axes
    broadcast as a batch. The direct method computes only the window; FFTs cut it from
    the full result. :mod:`sigconv.dask` sums such windows of neighbouring chunks.
    """
    if not isinstance(window, dict) or not window:
        raise TypeError(f"window must be a non-empty dict {{axis: (start, length)}}, got "
                        f"{window!r}")
    in1 = as_numeric_array(in1, "in1")
    normalize_axes(tuple(window), in1.ndim, "window")
    p = _Problem(in1, in2, "full", tuple(window))
    out_shape, start = list(p.out_shape), list(p.start)
    for axis, pair in window.items():
        try:
            first, length = (_exact_int(v) for v in pair)
        except (TypeError, ValueError):
            raise TypeError(f"window[{axis!r}] must be a pair of ints (start, length), "
                            f"got {pair!r}") from None
        axis = normalize_axes(axis, p.in1.ndim, "window")[0]
        if not (first >= 0 and length >= 0 and first + length <= p.full_shape[axis]):
            raise ValueError(f"window ({first}, {length}) is outside the full convolution's "
                             f"{p.full_shape[axis]} outputs along axis {axis}")
        out_shape[axis], start[axis] = length, first
    p.out_shape, p.start = tuple(out_shape), tuple(start)
    check_choice(method, "method", METHODS)
    return _convolve(p, method)


def _exact_int(value):
    """``value`` as an int; TypeError for booleans and non-integers."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError
    return operator.index(value)


def correlate(in1, in2, mode="full", method="auto", axes=None, device=None):
    """Cross-correlate two N-dimensional arrays.

    .. math:: (in_1 \\star in_2)[n] = \\sum_k in_1[n + k]\\, \\overline{in_2[k]}

    computed as ``convolve(in1, conj(in2[::-1]))`` along ``axes``, as
    :func:`scipy.signal.correlate` defines it.

    Parameters
    ----------
    in1 : array_like
        First input.
    in2 : array_like
        Second input, with the same number of dimensions as ``in1``.
    mode : {"full", "same", "valid"}, default "full"
        Output size, as in :func:`convolve`: ``"same"`` has ``in1``'s length along the
        correlated axes and keeps the whole broadcast batch along the others (SciPy would
        cut those to ``in1``'s length).
    method : {"auto", "direct", "fft", "oa"}, default "auto"
        As in :func:`convolve` (integers exact under every method).
    axes : int or sequence of int, optional
        Axes to correlate over; by default all of them.
    device : {None, "cpu", "cuda"}, optional
        Where to compute, as in :func:`convolve`.

    Returns
    -------
    numpy.ndarray
        The cross-correlation, of dtype ``numpy.result_type(in1, in2)``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        For the invalid arguments listed in :func:`convolve`.
    OverflowError
        If an exact integer result does not fit the result dtype.
    MemoryError
        If the result or the method's work arrays would not fit, as in :func:`convolve`.
    sigconv.CUDAUnavailableError
        If ``device="cuda"`` and numba finds no GPU (checked first; a
        :class:`RuntimeError` and a :class:`ValueError` naming ``device``).

    See Also
    --------
    convolve : Convolution.
    scipy.signal.correlate : The SciPy function this one mirrors.

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.correlate([1, 2, 3], [0, 1, 0.5])
    array([0.5, 2. , 3.5, 3. , 0. ])
    """
    if device is None and axes is None:
        out = _small_1d(in1, in2, mode, method, True)
        if out is not None:
            return out
    check_choice(method, "method", METHODS)
    be = _backend.get(resolve_device(device, in1, in2))
    return _on_backend(be, in1, in2, mode, method, axes, correlation=True)


def fftconvolve(in1, in2, mode="full", axes=None):
    """Convolve two N-dimensional arrays with the FFT.

    Mirrors :func:`scipy.signal.fftconvolve`, with both forward transforms run on
    worker threads at once.

    Parameters
    ----------
    in1 : array_like
        First input.
    in2 : array_like
        Second input, with the same number of dimensions as ``in1``.
    mode : {"full", "same", "valid"}, default "full"
        Output size, as in :func:`convolve`: ``"same"`` has ``in1``'s length along the
        convolved axes and keeps the whole broadcast batch along the others (SciPy would
        cut those to ``in1``'s length).
    axes : int or sequence of int, optional
        Axes to convolve over; by default all of them.

    Returns
    -------
    numpy.ndarray
        Floating or complex result. Integers give float64, as in SciPy: the floating
        FFT result, not rounded (:func:`convolve` gives exact integers). Two scalars
        (0-d) give their exact product, as a NumPy scalar of their type.

    Raises
    ------
    TypeError, ValueError
        For the invalid arguments listed in :func:`convolve`.
    OverflowError
        If the exact product of two integer scalars does not fit their dtype.
    MemoryError
        If the result or the padded transforms would not fit (checked before allocating).

    See Also
    --------
    convolve, oaconvolve

    Notes
    -----
    Inputs near the ends of the floating range are scaled by exact powers of two before
    the transforms (and the result back), so that no intermediate sum overflows where
    the convolution is finite; SciPy gives inf and NaN there (see :func:`convolve`).

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> np.round(sc.fftconvolve([1, 2], [3, 1, 1]), 12)
    array([3., 7., 3., 2.])
    """
    _host_only("fftconvolve", in1, in2)
    return _convolve(_Problem(in1, in2, mode, axes), "fft", scipy_fft_conventions=True)


def oaconvolve(in1, in2, mode="full", axes=None):
    """Convolve two N-dimensional arrays by overlap-add.

    Mirrors :func:`scipy.signal.oaconvolve`: the longer input is cut into blocks along
    the convolved axis with the most unequal lengths, every block is convolved by FFT (all
    blocks in one batched transform) and the overlapping tails are added.

    Parameters
    ----------
    in1 : array_like
        First input.
    in2 : array_like
        Second input, with the same number of dimensions as ``in1``.
    mode : {"full", "same", "valid"}, default "full"
        Output size, as in :func:`convolve`: ``"same"`` has ``in1``'s length along the
        convolved axes and keeps the whole broadcast batch along the others (SciPy would
        cut those to ``in1``'s length).
    axes : int or sequence of int, optional
        Axes to convolve over; by default all of them.

    Returns
    -------
    numpy.ndarray
        Floating or complex result. Integers give float64, as in SciPy: the floating
        FFT result, not rounded (:func:`convolve` gives exact integers). Two scalars
        (0-d) give their exact product, as a NumPy scalar of their type.

    Raises
    ------
    TypeError, ValueError
        For the invalid arguments listed in :func:`convolve`.
    OverflowError
        If the exact product of two integer scalars does not fit their dtype.
    MemoryError
        If the result or the padded transforms would not fit (checked before allocating).

    See Also
    --------
    convolve, fftconvolve

    Notes
    -----
    Inputs near the ends of the floating range are scaled as in :func:`fftconvolve`.

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> x = np.arange(10.0)
    >>> np.allclose(sc.oaconvolve(x, [1.0, -1.0]), np.convolve(x, [1.0, -1.0]))
    True
    """
    _host_only("oaconvolve", in1, in2)
    return _convolve(_Problem(in1, in2, mode, axes), "oa", scipy_fft_conventions=True)


def _host_only(name, *arrays):
    if any(is_device_array(a) for a in arrays):
        raise ValueError(f"{name} runs on the CPU (scipy.fft); for data on the GPU use "
                         "convolve(..., method='direct'), or copy the data to the host")
