"""Linear image filters, named and behaving as in :mod:`scipy.ndimage`.

Every function takes :mod:`scipy.ndimage`'s arguments in its order with its defaults
(``input, ..., output=None, mode="reflect", cval=0.0, origin=0, *, axes=None``), so that
``from sigconv import filters as ndi`` is a drop-in for ``scipy.ndimage``'s linear filters:
:func:`correlate1d`, :func:`convolve1d`, :func:`correlate`, :func:`convolve`,
:func:`gaussian_filter1d`, :func:`gaussian_filter`, :func:`uniform_filter1d`,
:func:`uniform_filter`, :func:`sobel`, :func:`prewitt`, :func:`laplace`,
:func:`gaussian_laplace` and :func:`gaussian_gradient_magnitude`. The lecture's names
stay: :func:`gaussian` (``gaussian_filter`` with the lecture's argument order
``image, sigma, mode, cval, truncate``), :func:`box` (``uniform_filter``, one
implementation), :func:`sharpen`, :func:`edges` and :func:`gaussian_kernel`.

A separable filter is a 1-D correlation per axis; :func:`correlate` and :func:`convolve`
take the same passes when the kernel is exactly an outer product of vectors (up to
rounding); a small float64 kernel (at most 64 entries) is otherwise summed by a numba
N-D kernel, and a larger one is applied to the image extended by the boundary mode by
:func:`sigconv.convolve` (``mode="valid"``), whose cost model picks direct or FFT.
The image continues beyond its edges by ``mode``, as in ``scipy.ndimage``:

==================================  ==========================================  =============
``mode``                            extension of ``a b c d``                    ``numpy.pad``
==================================  ==========================================  =============
``reflect`` (= ``grid-mirror``)     ``c b a | a b c d | d c b``                 symmetric
``mirror``                          ``d c b | a b c d | c b a``                 reflect
``nearest``                         ``a a a | a b c d | d d d``                 edge
``wrap`` (= ``grid-wrap``)          ``b c d | a b c d | a b c``                 wrap
``constant`` (= ``grid-constant``)  ``k k k | a b c d | k k k`` (``k = cval``)  constant
==================================  ==========================================  =============

(for filters :mod:`scipy.ndimage` treats the ``grid-`` modes as these synonyms too).

Differences from :mod:`scipy.ndimage`, all deliberate:

* Without ``output``, integer and boolean images are filtered in float64 and returned as
  float64 (``scipy.ndimage`` returns the input's integer type, truncated); float16 is
  filtered and returned in float32. ``output=np.int32`` (or an integer array) gives
  ``scipy.ndimage``'s integers: each pass's result is converted as C converts a double,
  truncated toward zero (``2.7 -> 2``, ``-2.7 -> -2``) and wrapped modulo ``2**bits``
  when out of range, after every pass as ``scipy.ndimage`` writes each pass into the
  output.
* Arguments are checked before any work and wrong ones raise ``TypeError`` or
  ``ValueError`` naming them (``scipy.ndimage`` raises ``RuntimeError`` for some):
  a negative ``sigma`` or ``size``, an empty or non-finite kernel, a complex ``cval``
  with a real image. Extended precision (``longdouble``) is refused.
* A finite image whose result overflows the working dtype raises ``ValueError``
  (``scipy.ndimage`` returns ``inf``); an intermediate overflow (``-2 x`` in a Laplacian
  near the largest float) is recomputed at ``1/256`` of the scale, exactly.
* NaN and infinite values spread over their neighbourhood as in ``scipy.ndimage``: such
  images (and integer outputs) are summed in ``scipy.ndimage``'s own order, so that NaN
  positions and truncated integers are its own bit for bit. :func:`uniform_filter` keeps
  a NaN in its box (``scipy.ndimage``'s running sum carries it to the end of the line).
* The 1-D passes sum float32 images in float64 and round once, as ``scipy.ndimage``; the
  N-D path of a kernel that is not an outer product sums float32 in float32.
* :func:`gaussian_gradient_magnitude` with ``axes`` smooths along those axes only (as
  :func:`gaussian_laplace`); ``scipy.ndimage`` 1.17 smooths the others too.

See :ref:`ndimage-or-signal` for when to use :func:`sigconv.convolve2d` instead and the
table of its boundaries against these modes.

Every numeric parameter is checked before any work (booleans and strings are refused),
and the kernels and padded copies are sized before they are allocated: a Gaussian of
``sigma = 1e12`` is refused with a MemoryError naming ``sigma`` and ``truncate``, and a
huge broadcast view (``numpy.broadcast_to``, which costs nothing) with one naming
``image``.
"""

import functools
import itertools
import math
import numbers
import operator
import reprlib
import warnings

import numpy as np

from . import _config, _ndimage, conv
from ._runtime import touched_empty
from ._validate import (
    all_finite,
    as_numeric_array,
    check_allocation,
    check_native_precision,
    check_positive_int,
    memory_limit,
    normalize_axes,
)

__all__ = [
    # the lecture's names
    "gaussian_kernel", "gaussian", "box", "sobel", "prewitt", "laplace", "sharpen", "edges",
    # scipy.ndimage's names
    "correlate1d", "convolve1d", "correlate", "convolve", "gaussian_filter1d",
    "gaussian_filter", "uniform_filter1d", "uniform_filter", "gaussian_laplace",
    "gaussian_gradient_magnitude",
]

MODES = ("reflect", "constant", "nearest", "mirror", "wrap", "grid-mirror", "grid-constant",
         "grid-wrap")
#: scipy.ndimage's filters treat the grid modes as these synonyms
_SYNONYM = {"grid-mirror": "reflect", "grid-constant": "constant", "grid-wrap": "wrap"}
#: the most dimensions a NumPy array may have
_MAX_DIMS = 64
_PAD = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap",
        "constant": "constant"}
#: arrays of the image's size (in the working dtype) that a filter holds at its peak: the
#: working copy, the padded copy of a pass, its output and the sum or rescaled retry
_FILTER_COPIES = 4
#: the scale of the second try when an intermediate overflows (a power of two: exact)
_SHRINK = 2.0**-8
#: a kernel is taken as an outer product of vectors when rebuilding it from its factors
#: differs by at most this many float64 epsilons times its largest weight per dimension:
#: rounding only, so that a kernel that is not exactly separable is never approximated
_SEPARABLE_EPS = 8


def _short(value):
    """A short repr of ``value`` for a message: :func:`reprlib.repr` lists a few entries
    of a sequence without forming the repr of all of them (a list of 10**8 sizes)."""
    return reprlib.repr(value)


# --------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------
def _image_array(image):
    """``image`` as a numeric array of at least one dimension and native precision."""
    image = as_numeric_array(image, "image")
    if image.ndim == 0:
        raise ValueError("image must have at least one dimension")
    check_native_precision(image.dtype, "image")
    return image


def _working_dtype(dtype):
    """The dtype a filter computes in without ``output``: float64 for integers and
    booleans, float32 for float16, the image's own otherwise (in native byte order: the
    numba passes take no other)."""
    if dtype.kind in "biu":
        return np.dtype(np.float64)
    if dtype == np.float16:
        return np.dtype(np.float32)
    return dtype.newbyteorder("=")


def _output(output, image, complex_result):
    """``(array or None, dtype)`` of the result: ``output`` checked as scipy.ndimage takes
    it (None, a dtype, a type, a dtype string, or an array of the image's shape)."""
    work = _working_dtype(image.dtype)
    if complex_result and work.kind != "c":
        work = np.promote_types(work, np.complex64)
    if output is None:
        return None, work
    if isinstance(output, np.ndarray):
        array, dtype = output, output.dtype
        if output.shape != image.shape:
            raise ValueError(f"output must have the image's shape {image.shape}, got "
                             f"{output.shape}")
        if not output.flags.writeable:
            raise ValueError("output must be a writeable array")
    else:
        array = None
        try:
            dtype = np.dtype(output)
        except (TypeError, ValueError):
            hint = (" (a mode name: output comes before mode, as in scipy.ndimage; pass "
                    "mode=...)" if isinstance(output, str) and output in MODES else "")
            raise TypeError(f"output must be None, a dtype or an array, got "
                            f"{_short(output)}{hint}") from None
    if dtype.kind not in "iufc":
        raise TypeError(f"output must have an integer, floating or complex dtype, got {dtype}")
    check_native_precision(dtype, "output")
    if complex_result and dtype.kind != "c":
        if array is not None or isinstance(output, str):
            raise ValueError(f"output must have a complex dtype for a complex result, got "
                             f"{dtype}")
        # a real dtype (not a string) for a complex result: promoted with a warning, as
        # scipy.ndimage does
        warnings.warn("promoting specified output dtype to complex", stacklevel=4)
        dtype = np.promote_types(dtype, np.complex64)
    return array, dtype


def _compute_dtype(image, out_dtype):
    """The dtype the passes run in: the working dtype, widened to a floating output's
    precision, float64 (complex128) for integer outputs as scipy.ndimage sums in double."""
    work = _working_dtype(image.dtype)
    if out_dtype.kind in "iu":
        return np.dtype(np.complex128 if work.kind == "c" else np.float64)
    if out_dtype.itemsize > work.itemsize * (2 if out_dtype.kind == "c" and
                                             work.kind != "c" else 1):
        return np.dtype(np.complex128 if work.kind == "c" else np.float64)
    return work


def _c_cast(values, dtype):
    """``values`` (real floats) converted to the integer ``dtype`` as scipy.ndimage's C
    code converts a double on x86-64: truncated toward zero, through a 32-bit signed
    integer for the types narrower than 32 bits and int32, through 64 bits otherwise,
    an out-of-range value becoming the intermediate's minimum, then wrapped to the type's
    width. (NumPy's own cast gives other values out of range, and differs between its
    scalar and vector loops.)"""
    bits = 64 if dtype.itemsize == 8 or dtype == np.uint32 else 32
    with np.errstate(invalid="ignore"):
        if dtype != np.uint64:
            limit = 2.0 ** (bits - 1)
            if values.size and -limit <= values.min() and values.max() < limit:
                # every value in range (the usual case): int64's own truncation
                return values.astype(np.int64).astype(dtype)
        whole = np.trunc(values)
        if dtype == np.uint64:
            # below 2**63 (and NaN) as int64; from 2**63 on, x - 2**63 as int64 with the
            # top bit flipped (so that 2**64 and above give 0)
            high = whole >= 2.0**63
            shifted = np.where(high, whole - 2.0**63, whole)
            inside = np.where((shifted >= -2.0**63) & (shifted < 2.0**63), shifted, -2.0**63)
            out = inside.astype(np.int64).view(np.uint64)
            out[high] ^= np.uint64(2**63)
            return out
        inside = np.where((whole >= -limit) & (whole < limit), whole, -limit)
        return inside.astype(np.int64).astype(dtype)


class _Buffers:
    """Arrays of the image's size that earlier passes of one filter call wrote and no
    longer need, handed to later passes as their output. An array above glibc's largest
    mmap threshold (32 MiB: a 64x256x256 float64 volume) is returned to the system when
    freed, and every fresh one costs a page fault per 4 KiB on first write, which can
    take longer than the pass itself; reusing one costs nothing."""

    def __init__(self, keep):
        self._keep = keep     # ids of arrays that must never be reused (the image)
        self._spare = []

    def take(self):
        """A dead buffer, or None."""
        return self._spare.pop() if self._spare else None

    def release(self, array):
        """``array`` is no longer needed (ignored for the image, a view, or twice)."""
        if (array is not None and id(array) not in self._keep and array.base is None
                and all(array is not spare for spare in self._spare)):
            self._spare.append(array)


class _Call:
    """The checked image and output of one filter call: the image in the dtype the passes
    run in (sized before it is converted), the output target, and how the passes sum
    (:attr:`exact`)."""

    def __init__(self, image, output, complex_weights=False, copies=_FILTER_COPIES):
        image = _image_array(image)
        self.complex = image.dtype.kind == "c" or complex_weights
        self.array, self.dtype = _output(output, image, self.complex)
        self.output_given = output is not None
        work = _compute_dtype(image, self.dtype)
        check_allocation("image", image.shape, work, copies=copies, what="the filtered image")
        self.shape = image.shape
        self.ndim = image.ndim
        self.empty = image.size == 0
        self.real_image = image.dtype.kind != "c"
        self._source, self._work = image, work
        #: sum in scipy.ndimage's order: for integer outputs (whose truncation turns a
        #: last-bit difference into a whole unit) from the start; for an image with NaN or
        #: inf (which then spread as in ndimage) once :meth:`run` finds one
        self.exact = self.dtype.kind in "iu"

    # the image is converted and scanned only when a pass needs it: after every other
    # argument has been checked
    @functools.cached_property
    def image(self):
        return self._source.astype(self._work, copy=False)

    @functools.cached_property
    def finite(self):
        return all_finite(self.image)

    def rounded(self, result):
        """``result`` rounded through the output dtype (scipy.ndimage writes each pass
        into the output): a no-op unless the output is narrower or integral."""
        if result.dtype == self.dtype or (result.dtype.kind == "c" and self.dtype.kind != "c"):
            # (the derivatives of a complex image whose magnitude is real stay complex)
            return result
        if self.dtype.kind in "iu":
            return _c_cast(result, self.dtype).astype(result.dtype)
        if self.dtype.itemsize < result.dtype.itemsize:
            with np.errstate(invalid="ignore", over="ignore"):
                return result.astype(self.dtype).astype(result.dtype)
        return result

    def target(self, dtype):
        """The output array, where the last pass may write into it directly (of
        ``dtype``, C-contiguous, not overlapping the image): no copy at the end, as
        scipy.ndimage's passes write into ``output``. Else None."""
        array = self.array
        if (array is not None and array.dtype == dtype and array.flags.c_contiguous
                and array.flags.writeable and not np.may_share_memory(array, self._source)):
            return array
        return None

    def store(self, result):
        """``result`` written into the output array or converted to the output dtype, as
        C converts (truncation toward zero for integers); never the caller's image itself
        (a filter that changes nothing, ``sigma=0``, returns a copy, as ndimage)."""
        if result is self.array and result is not None:   # written there by the last pass
            return result
        result = np.asarray(result)
        if self.dtype.kind in "iu" and result.dtype.kind == "f":
            result = _c_cast(result, self.dtype)
        with np.errstate(invalid="ignore", over="ignore"):
            if self.array is None:
                return result.astype(self.dtype,
                                     copy=np.may_share_memory(result, self._source))
            np.copyto(self.array, result, casting="unsafe")
            return self.array

    def copy(self):
        """The image itself in the output (a filter along no axis)."""
        return self.store(self.image)

    def zeros(self):
        return self.store(np.zeros(self.shape, self.dtype))

    def run(self, compute, cval, what, squares=False):
        """``compute(image, cval) -> (result, finite)`` for a filter homogeneous in
        ``(image, cval)``; ``finite``: whether every value of ``result`` is finite, as
        the kernels counted while writing it, or None (not known: ``result`` is scanned).

        A finite result is stored as it is: every filter spreads a NaN or inf of the
        image to some output, so the image was finite and nothing overflowed (one count
        during the passes instead of a scan of the image before them). Otherwise, for a
        floating output: an image with NaN or inf is computed again in scipy.ndimage's
        order (:attr:`exact`), so that they spread as there; for a finite image an
        intermediate overflowed (``-2 x`` of a Laplacian near the dtype's maximum) and
        the same is computed at ``1/256`` of the scale and scaled back, a ValueError only
        if the result itself overflows. ``squares``: the filter squares values (a
        gradient magnitude), so the retry scales the image to at most 1 in magnitude."""
        with np.errstate(over="ignore", invalid="ignore"):
            out, finite = compute(self.image, cval)
            if self.exact or finite or (finite is None and all_finite(out)):
                return self.store(out)
            if not self.finite:
                self.exact = True
                return self.store(compute(self.image, cval)[0])
            shrink = _SHRINK
            if squares:   # a power of two: exact
                largest = max(float(np.max(np.abs(self.image))),
                              float(np.max(np.abs(cval))))
                shrink = math.ldexp(1.0, -math.frexp(largest)[1]) if largest > 0 else 1.0
            out = compute(self.image * shrink, cval * shrink)[0] / shrink
        if not all_finite(out):
            raise ValueError(f"image values are so large that {what} overflows "
                             f"{out.dtype}; scale the image down")
        return self.store(out)


def _real_number(value, name):
    """TypeError unless ``value`` is a real number (booleans and strings refused)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number or one per axis, got {value!r}")
    return float(value)


def _entries(value, count, name, kind="a real number"):
    """``value`` as a list of ``count`` entries: a scalar (or a string, for modes) applies
    to all; a sequence must have one entry per axis."""
    if isinstance(value, (str, bytes, numbers.Number, np.generic)) or (
            isinstance(value, np.ndarray) and value.ndim == 0) or value is None:
        return [value] * count
    if isinstance(value, (dict, set, frozenset)):
        raise TypeError(f"{name} must be {kind} or one per axis, got {_short(value)}")
    try:  # at most one entry too many: an endless iterator is not read to its end
        entries = list(itertools.islice(iter(value), count + 1))
    except TypeError:
        raise TypeError(f"{name} must be {kind} or one per axis, got "
                        f"{_short(value)}") from None
    if len(entries) != count:
        raise ValueError(f"{name} must be a scalar or have one entry per axis ({count}), "
                         f"got {_short(value)}")
    return entries


def _per_axis(value, ndim, name, allow_zero=False):
    """``value`` as one positive (or non-negative) finite float per axis."""
    values = np.array([_real_number(entry, name) for entry in _entries(value, ndim, name)],
                      dtype=float)
    ok = (values >= 0) if allow_zero else (values > 0)
    if not np.all(ok) or not np.all(np.isfinite(values)):
        sign = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {sign} and finite, got {_short(value)}")
    return values


def _integers(value, count, name, minimum=None):
    """``value`` as ``count`` Python ints (a scalar applies to all), each >= minimum."""
    out = []
    for entry in _entries(value, count, name, "an integer"):
        try:
            if isinstance(entry, (bool, np.bool_)):
                raise TypeError
            entry = operator.index(entry)
        except TypeError:
            raise TypeError(f"{name} must be an integer or one per axis, got "
                            f"{_short(value)}") from None
        if minimum is not None and entry < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {_short(value)}")
        out.append(entry)
    return out


def _modes(mode, count):
    """``mode`` as ``count`` canonical mode names (a sequence gives one per axis)."""
    entries = ([mode] * count if isinstance(mode, (str, bytes)) or not np.iterable(mode)
               else _entries(mode, count, "mode", "a mode name"))
    for entry in entries:
        if not isinstance(entry, str) or entry not in MODES:
            expected = ", ".join(repr(m) for m in MODES)
            raise ValueError(f"mode must be one of {expected}; got {entry!r}")
    return [_SYNONYM.get(entry, entry) for entry in entries]


def _single_mode(mode):
    if not isinstance(mode, str):
        raise ValueError(f"mode must be one mode name for an N-D kernel (a sequence of "
                         f"modes is not supported, as in scipy.ndimage), got {_short(mode)}")
    return _modes(mode, 1)[0]


def _cval(cval, call, axes=None):
    """``cval`` as a finite number; complex only for a complex image (as scipy.ndimage).

    With ``axes`` (the filters whose ``mode`` may be given per axis), a sequence gives one
    value per axis of ``axes``, in their order: returned as an array over the image's
    axes (0 on the others), which :func:`_axis_cval` reads pass by pass."""
    if axes is not None and not isinstance(cval, (str, bytes)) and np.ndim(cval) > 0:
        values = [_cval(entry, call) for entry in
                  _entries(cval, len(axes), "cval", "a number")]
        per_axis = np.zeros(call.ndim, dtype=np.result_type(float, *values))
        per_axis[list(axes)] = values
        return per_axis
    if isinstance(cval, np.ndarray) and cval.ndim == 0:
        cval = cval[()]
    if isinstance(cval, (bool, np.bool_)) or not isinstance(cval, numbers.Number):
        raise TypeError(f"cval must be a real number, got {_short(cval)}")
    if isinstance(cval, numbers.Real) or complex(cval).imag == 0 and call.real_image:
        value = float(cval.real) if not isinstance(cval, numbers.Real) else float(cval)
    elif call.real_image:
        raise ValueError(f"cval must be real for a real image, got {cval!r}")
    else:
        value = complex(cval)
    if not np.isfinite(value):
        raise ValueError(f"cval must be a finite number, got {cval!r}")
    return value


def _axis_cval(cval, axis):
    """The ``cval`` of a pass along ``axis``: one value, or its entry of a per-axis
    array (:func:`_cval`)."""
    return cval[axis] if isinstance(cval, np.ndarray) else cval


def _axes(axes, ndim):
    """``axes`` as a tuple of distinct non-negative ints in the order given (per-axis
    arguments pair with them in that order); None is every axis, () none."""
    if axes is not None and not (np.ndim(axes) == 0 and not isinstance(axes, (list, tuple))):
        try:  # at most one entry too many: an endless iterator is not read to its end
            axes = tuple(itertools.islice(iter(axes), ndim + 1))
        except TypeError:
            raise TypeError(f"axes must be an integer or a sequence of integers, got "
                            f"{_short(axes)}") from None
    return normalize_axes(axes, ndim, keep_order=True, allow_empty=True)


def _axis(axis, ndim):
    try:
        if isinstance(axis, (bool, np.bool_)):  # True is not axis 1
            raise TypeError
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"axis must be an integer, got {axis!r}") from None
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for a {ndim}-d image")
    return axis % ndim


def _truncate(truncate):
    """``truncate`` as a positive finite float."""
    if isinstance(truncate, (bool, np.bool_)) or not isinstance(truncate, numbers.Real):
        raise TypeError(f"truncate must be a real number, got {truncate!r}")
    truncate = float(truncate)
    if not (truncate > 0 and math.isfinite(truncate)):
        raise ValueError(f"truncate must be positive and finite, got {truncate!r}")
    return truncate


def _check_origin(origin, length, name="origin"):
    if not -(length // 2) <= origin <= (length - 1) // 2:
        raise ValueError(f"{name} must satisfy -(length // 2) <= origin <= (length - 1) // 2 "
                         f"for a kernel of length {length}, got {origin}")


def _weights(weights, ndim=None):
    """``weights`` as a non-empty finite float64 or complex128 array."""
    weights = as_numeric_array(weights, "weights")
    check_native_precision(weights.dtype, "weights")
    if ndim == 1 and weights.ndim != 1:
        raise ValueError(f"weights must be one-dimensional, got shape {weights.shape}")
    if weights.size == 0:
        raise ValueError(f"weights cannot be empty (shape {weights.shape})")
    check_allocation("weights", weights.shape, np.complex128, copies=2, what="the kernel")
    weights = weights.astype(np.complex128 if weights.dtype.kind == "c" else np.float64)
    if not all_finite(weights):
        raise ValueError("weights must be finite (they have NaN or inf entries)")
    return weights


# --------------------------------------------------------------------------------------
# the 1-D pass and the N-D correlation
# --------------------------------------------------------------------------------------
def _pad(image, widths, modes, cval):
    """``image`` extended by ``widths[d] = (before, after)`` along each axis by its mode."""
    if len(set(modes)) == 1:   # one allocation for every axis
        if modes[0] == "constant":
            return np.pad(image, widths, mode="constant", constant_values=cval)
        return np.pad(image, widths, mode=_PAD[modes[0]])
    padded = image
    for axis, ((before, after), mode) in enumerate(zip(widths, modes, strict=True)):
        if before == after == 0:
            continue
        pads = [(0, 0)] * image.ndim
        pads[axis] = (before, after)
        if mode == "constant":
            padded = np.pad(padded, pads, mode="constant", constant_values=cval)
        else:
            padded = np.pad(padded, pads, mode=_PAD[mode])
    return padded


def _kernel_dtype(image, weights):
    if weights.dtype.kind == "c":
        return np.promote_types(image.dtype, np.complex64)
    return image.dtype


def _correlate1d(image, weights, axis, mode, cval, origin=0, exact=False,
                 name="weights", out=None):
    """``out[i] = sum_j weights[j] image[i + j - len // 2 - origin]`` along ``axis``,
    extended by ``mode`` (``scipy.ndimage.correlate1d`` without conjugation).

    ``exact`` sums in scipy.ndimage's order (:func:`_ordered_correlate1d`): for integer
    outputs, whose truncation turns a last-bit difference into a whole unit, and for
    images with NaN or inf, which then spread exactly as in scipy.ndimage.

    ``out``: an array of the image's shape and dtype, not overlapping it, that the numba
    pass may write into (a dead buffer of an earlier pass: see :class:`_Buffers`).

    Returns ``(result, finite)``: ``finite`` says whether every value of ``result`` is
    finite where the numba pass counted it, else None."""
    k = weights.size
    if not exact and image.dtype.char in "fd" and weights.dtype.kind == "f":
        # the numba pass reads the boundary by index (no padded copy) and sums in float64;
        # it is 1.2-10x faster than padding + sigconv.convolve (bench/bench_filters.py)
        check_allocation(name, image.shape, image.dtype, copies=2,
                         what="the filtered image")
        return _ndimage.correlate_axis(np.ascontiguousarray(image),
                                       np.ascontiguousarray(weights, dtype=np.float64),
                                       axis, mode, float(cval), origin,
                                       touched_empty(image.shape, image.dtype)
                                       if out is None or out.dtype != image.dtype else out)
    before = k // 2 + origin
    padded_shape = list(image.shape)
    padded_shape[axis] += k - 1
    check_allocation(name, padded_shape, image.dtype, copies=3,
                     what="the image padded by the kernel")
    widths = [(0, 0)] * image.ndim
    widths[axis] = (before, k - 1 - before)
    modes = ["constant"] * image.ndim
    modes[axis] = mode
    padded = _pad(np.ascontiguousarray(image), widths, modes, cval)
    if exact:
        return _by_parts(_ordered_correlate1d, padded, weights, axis, image.shape[axis]), None
    kernel = weights.astype(_kernel_dtype(image, weights), copy=False)
    # one 1-D pass over the lines along ``axis``: the padded copy (C-contiguous, fresh)
    # viewed as (before, axis, after), so that any number of dimensions works
    outer = math.prod(image.shape[:axis])
    inner = math.prod(image.shape[axis + 1:])
    lines = np.ascontiguousarray(padded).reshape(outer, padded.shape[axis], inner)
    # along an axis other than the last, a 2-D sum over (axis, inner) with a (k, 1)
    # kernel: each tap sweeps whole contiguous rows, and nothing is transposed
    axes = (1, 2) if inner > 1 else 1
    # an overflow is reported by the public filter (_Call.run), not as a warning
    with np.errstate(over="ignore", invalid="ignore"):
        out = conv.convolve(lines, kernel[::-1].reshape(1, k, 1), mode="valid", axes=axes)
    return out.reshape(image.shape), None


def _taps(padded, axis, start, length):
    """The window ``start .. start + length`` of ``padded`` along ``axis`` (a view)."""
    index = [slice(None)] * padded.ndim
    index[axis] = slice(start, start + length)
    return padded[tuple(index)]


def _symmetry(weights):
    """1 for a symmetric odd kernel, -1 for an antisymmetric one, 0 otherwise, with
    scipy.ndimage's test (``|w[c + i] -+ w[c - i]| <= DBL_EPSILON``)."""
    k = weights.size
    if k % 2 == 0 or weights.dtype.kind == "c":
        return 0
    centre = k // 2
    right, left = weights[centre + 1:], weights[:centre][::-1]
    eps = np.finfo(np.float64).eps
    if np.all(np.abs(right - left) <= eps):
        return 1
    if np.all(np.abs(right + left) <= eps):
        return -1
    return 0


def _by_parts(correlate, padded, weights, *args):
    """``correlate(padded, weights, *args)`` for complex data as scipy.ndimage computes
    it: real correlations of the real and imaginary parts, combined (so that an inf in
    one part does not meet a zero of the other: no ``inf * 0`` NaN that ndimage lacks)."""
    if padded.dtype.kind != "c" and weights.dtype.kind != "c":
        return correlate(padded, weights, *args)
    parts = [(padded.real, 1.0)] + ([(padded.imag, 1j)] if padded.dtype.kind == "c" else [])
    kernels = [(weights.real, 1.0)] + ([(weights.imag, 1j)] if weights.dtype.kind == "c"
                                       else [])
    out_real = out_imag = None
    for values, a in parts:
        for kernel, b in kernels:
            # the ordered sums take each part to float64 themselves, as ndimage sums
            term = correlate(values, kernel, *args)
            factor = a * b   # 1, 1j or -1
            if factor == 1j:
                out_imag = term if out_imag is None else out_imag + term
            else:
                term = term if factor == 1 else -term
                out_real = term if out_real is None else out_real + term
    out = np.empty(out_real.shape, np.complex128)
    out.real = out_real
    out.imag = 0 if out_imag is None else out_imag
    return out


def _ordered_correlate1d(padded, weights, axis, length):
    """The 1-D correlation of an extended image summed in scipy.ndimage's order: for an
    odd symmetric (antisymmetric) kernel ``w_c x_c + sum_{j=-c}^{-1} w_j (x_j +- x_-j)``,
    otherwise the last tap first, then the others in order. Each tap is one vectorised
    sweep over the image (no FMA, as scipy.ndimage's C loop on x86-64)."""
    k = weights.size
    # in double, as scipy.ndimage sums every line (a float32 -2 x may overflow where the
    # sum does not)
    padded = padded.astype(np.float64, copy=False)
    weights = weights.astype(np.float64, copy=False)
    symmetry = _symmetry(weights)
    # one scratch array for every tap: no allocation (and no page faults) per tap
    if symmetry:
        centre = k // 2
        out = _taps(padded, axis, centre, length) * weights[centre]
        scratch = np.empty_like(out)
        combine = np.add if symmetry > 0 else np.subtract
        for j in range(-centre, 0):
            combine(_taps(padded, axis, centre + j, length),
                    _taps(padded, axis, centre - j, length), out=scratch)
            np.multiply(scratch, weights[centre + j], out=scratch)
            out += scratch
        return out
    out = _taps(padded, axis, k - 1, length) * weights[k - 1]
    scratch = np.empty_like(out)
    for j in range(k - 1):
        np.multiply(_taps(padded, axis, j, length), weights[j], out=scratch)
        out += scratch
    return out


def _ordered_correlate(padded, weights, shape):
    """The N-D correlation of an extended image as scipy.ndimage sums it: over the
    kernel's entries in C order, skipping those with ``|w| <= DBL_EPSILON`` (so that a
    NaN does not spread through a zero weight)."""
    eps = np.finfo(np.float64).eps
    # in double, as scipy.ndimage sums
    padded = padded.astype(np.float64, copy=False)
    weights = weights.astype(np.float64, copy=False)
    out = np.zeros(shape, np.float64)
    scratch = np.empty_like(out)
    for offset in zip(*np.nonzero(np.abs(weights) > eps), strict=True):
        window = tuple(slice(o, o + n) for o, n in zip(offset, shape, strict=True))
        np.multiply(padded[window], weights[offset], out=scratch)
        out += scratch
    return out


def _rank_one_factors(weights):
    """The vectors whose outer product is ``weights``, or None unless it is one exactly
    (up to rounding): the lines through its largest entry, scaled."""
    if weights.ndim == 1:
        return [weights]
    if weights.dtype.kind == "c":
        return None
    pivot = np.unravel_index(int(np.argmax(np.abs(weights))), weights.shape)
    peak = weights[pivot]
    if peak == 0:
        return None
    factors = []
    for d in range(weights.ndim):
        line = weights[pivot[:d] + (slice(None),) + pivot[d + 1:]].copy()
        factors.append(line if d == 0 else line / peak)
    rebuilt = factors[0]
    for factor in factors[1:]:
        rebuilt = np.multiply.outer(rebuilt, factor)
    tolerance = _SEPARABLE_EPS * weights.ndim * np.finfo(np.float64).eps * abs(peak)
    if np.max(np.abs(rebuilt - weights)) > tolerance:
        return None
    return factors


def _correlate_nd(call, weights, modes, cval, origins, what):
    """N-D correlation of ``call.image`` with ``weights`` (no conjugation), extended by
    one mode, as ``scipy.ndimage.correlate``: 1-D passes for an outer product, the numba
    kernel for a small float64 one, padding and :func:`sigconv.convolve` otherwise (and
    scipy.ndimage's order for an exact sum)."""
    image = call.image
    factors = _rank_one_factors(weights)
    widths = [(k // 2 + o, k - 1 - k // 2 - o) for k, o in zip(weights.shape, origins,
                                                               strict=True)]
    padded_shape = [n + k - 1 for n, k in zip(image.shape, weights.shape, strict=True)]
    check_allocation("weights", padded_shape, image.dtype, copies=3,
                     what="the image padded by the kernel")
    kernel = weights.astype(_kernel_dtype(image, weights), copy=False)
    flipped = kernel[(slice(None, None, -1),) * kernel.ndim]
    direct = (image.dtype == np.float64 and weights.dtype.kind == "f"
              and weights.size <= _config.FILTER_ND_DIRECT_MAX_TAPS)

    def compute(image, cval):
        if call.exact:
            padded = _pad(image, widths, modes, cval)
            return _by_parts(_ordered_correlate, padded, weights, image.shape), None
        if factors is not None:
            # constant mode: the passes after the first see the border of the previous
            # passes' output, cval times the sums of their factors
            scale, finite = 1.0, None
            applied = [axis for axis, factor in enumerate(factors)
                       if factor.size > 1 or factor[0] != 1]
            for axis in applied:
                out = call.target(image.dtype) if axis == applied[-1] else None
                image, finite = _correlate1d(image, factors[axis], axis, modes[axis],
                                             cval * scale, origins[axis], out=out)
                scale *= factors[axis].sum()
            return image, finite
        if direct:
            out = call.target(image.dtype)
            return _ndimage.correlate_nd(np.ascontiguousarray(image), weights, modes[0],
                                         cval, origins,
                                         touched_empty(image.shape, image.dtype)
                                         if out is None else out)
        padded = _pad(image, widths, modes, cval)
        with np.errstate(over="ignore", invalid="ignore"):
            return conv.convolve(padded, flipped, mode="valid"), None
    return call.run(compute, cval, what)


def _check_passes(call, passes, name="image, kernel"):
    """MemoryError (naming ``name``: the image and the argument that sizes the kernel)
    before any pass runs if the padded copy of the longest pass (along its axis) would
    not fit, with the working copies (the numba passes need none, the ndimage-order and
    complex ones do)."""
    for axis, weights, *_ in passes:
        padded_shape = list(call.shape)
        padded_shape[axis] += weights.size - 1
        check_allocation(name, padded_shape, call._work, copies=3,
                         what="the image padded by the kernel")


def _run_passes(call, passes, cval, what, name="image, kernel"):
    """One 1-D correlation per ``(axis, weights, mode, origin[, divisor])`` in turn, each
    rounded through the output dtype as scipy.ndimage writes each into the output."""
    _check_passes(call, passes, name)
    if call.empty:
        return call.zeros()
    if not passes:
        return call.copy()

    def compute(image, cval):
        buffers = _Buffers({id(image)})
        finite = None
        for index, (axis, weights, mode, origin, *divisor) in enumerate(passes):
            if index:   # the previous pass as the output holds it
                rounded = call.rounded(image)
                if rounded is not image:
                    buffers.release(image)
                image = rounded
            previous = image
            out = buffers.take()
            if index == len(passes) - 1 and call.target(image.dtype) is not None:
                buffers.release(out)
                out = call.target(image.dtype)
            if divisor and not call.exact and image.dtype.char in "fd":
                # a mean: running sums along the last axis (two additions per output,
                # whatever the size), the mean's weights along the others
                check_allocation("size", image.shape, image.dtype, copies=2,
                                 what="the filtered image")
                image, finite = _ndimage.uniform_axis(
                    np.ascontiguousarray(image), divisor[0], axis, mode,
                    float(_axis_cval(cval, axis)), origin,
                    out if out is not None and out.dtype == image.dtype
                    else touched_empty(image.shape, image.dtype))
            else:
                if divisor and not call.exact:   # one sweep: the mean's weights
                    weights, divisor = weights / divisor[0], None
                image, finite = _correlate1d(image, weights, axis, mode,
                                             _axis_cval(cval, axis), origin, call.exact,
                                             out=out)
                if divisor:
                    image /= divisor[0]   # (at least 1: a finite value stays finite)
            buffers.release(previous)
        return image, finite
    return call.run(compute, cval, what)


_OUTPUT_DOC = """output : numpy.ndarray or dtype, optional
        Where to write the result (an array of the image's shape) or its dtype. Without
        it the result is the image's floating dtype (float64 for integer images). An
        integer output receives each pass truncated toward zero, as scipy.ndimage."""


def _doc(function):
    """Fill the shared ``{output}`` paragraph into ``function``'s docstring."""
    function.__doc__ = function.__doc__.replace("{output}", _OUTPUT_DOC)
    return function


# --------------------------------------------------------------------------------------
# 1-D and N-D correlation and convolution
# --------------------------------------------------------------------------------------
def _correlate1d_public(input, weights, axis, output, mode, cval, origin, convolution):
    weights = _weights(weights, ndim=1)
    call = _Call(input, output, complex_weights=weights.dtype.kind == "c")
    axis = _axis(axis, call.ndim)
    mode = _modes(mode, 1)[0]
    cval = _cval(cval, call)
    origin = _integers(origin, 1, "origin")[0]
    if convolution:
        weights, origin = weights[::-1], -origin - (1 - weights.size % 2)
    else:
        weights = weights.conj()
    _check_origin(origin, weights.size)
    return _run_passes(call, [(axis, weights, mode, origin)], cval, "the correlation",
                       "input, weights")


@_doc
def correlate1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    """1-D correlation along ``axis``, as :func:`scipy.ndimage.correlate1d`.

    .. math:: out[i] = \\sum_{j=0}^{k-1} \\overline{w[j]}\\, in[i + j - \\lfloor k/2
              \\rfloor - origin]

    with ``in`` extended beyond its edges by ``mode``.

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions, at least one).
    weights : array_like
        The 1-D kernel (real or complex, finite, non-empty).
    axis : int, default -1
        The axis to filter along.
    {output}
    mode : str, default "reflect"
        One of the module's modes (``"reflect"``, ``"constant"``, ``"nearest"``,
        ``"mirror"``, ``"wrap"`` and the ``grid-`` synonyms).
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.
    origin : int, default 0
        Shift of the kernel: ``-(k // 2) <= origin <= (k - 1) // 2``.

    Returns
    -------
    numpy.ndarray
        The filtered image (``output`` itself when it is an array).

    Raises
    ------
    TypeError
        If ``input``, ``weights`` or ``output`` has a wrong type, ``axis`` or ``origin``
        is not an integer, or ``cval`` not a number.
    ValueError
        If ``axis`` or ``origin`` is out of range, ``mode`` unknown, ``weights`` empty,
        not 1-D or not finite, ``output`` has another shape, or the result overflows.
    MemoryError
        If the working or padded copies would not fit in memory.

    See Also
    --------
    convolve1d, correlate, scipy.ndimage.correlate1d

    Examples
    --------
    >>> from sigconv import filters
    >>> filters.correlate1d([2, 8, 0, 4, 1, 9, 9, 0], weights=[1, 3])
    array([ 8., 26.,  8., 12.,  7., 28., 36.,  9.])
    >>> filters.correlate1d([2, 8, 0, 4, 1, 9, 9, 0], [1, 3], output=int)
    array([ 8, 26,  8, 12,  7, 28, 36,  9])
    """
    return _correlate1d_public(input, weights, axis, output, mode, cval, origin, False)


@_doc
def convolve1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    """1-D convolution along ``axis``, as :func:`scipy.ndimage.convolve1d`.

    .. math:: out[i] = \\sum_{j=0}^{k-1} w[j]\\, in[i - j + \\lfloor k/2 \\rfloor - origin]

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions, at least one).
    weights : array_like
        The 1-D kernel (real or complex, finite, non-empty).
    axis : int, default -1
        The axis to filter along.
    {output}
    mode : str, default "reflect"
        How the image continues beyond its edges (see the module's table).
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.
    origin : int, default 0
        Shift of the kernel: ``-(k // 2) <= origin <= (k - 1) // 2``.

    Returns
    -------
    numpy.ndarray
        The filtered image (``output`` itself when it is an array).

    Raises
    ------
    TypeError
        If an argument has a wrong type (see :func:`correlate1d`).
    ValueError
        If an argument is out of range (see :func:`correlate1d`).
    MemoryError
        If the working or padded copies would not fit in memory.

    See Also
    --------
    correlate1d, convolve, scipy.ndimage.convolve1d

    Examples
    --------
    >>> from sigconv import filters
    >>> filters.convolve1d([2, 8, 0, 4, 1, 9, 9, 0], weights=[1, 3])
    array([14., 24.,  4., 13., 12., 36., 27.,  0.])
    """
    return _correlate1d_public(input, weights, axis, output, mode, cval, origin, True)


def _correlate_public(input, weights, output, mode, cval, origin, axes, convolution):
    weights = _weights(weights)
    call = _Call(input, output, complex_weights=weights.dtype.kind == "c")
    axes = _axes(axes, call.ndim)
    if weights.ndim != len(axes):
        raise ValueError(f"weights must have one dimension per filtered axis "
                         f"({len(axes)}), got shape {weights.shape}")
    mode = _single_mode(mode)
    cval = _cval(cval, call)
    # as scipy.ndimage: the kernel's dimensions are the filtered axes in increasing
    # order (length 1, the identity, on the others); the origins pair with ``axes`` in
    # the order given
    weights = np.expand_dims(weights, tuple(d for d in range(call.ndim) if d not in axes))
    origins = [0] * call.ndim
    for o, axis in zip(_integers(origin, len(axes), "origin"), axes, strict=True):
        origins[axis] = o
    if convolution:
        weights = weights[(slice(None, None, -1),) * weights.ndim]
        origins = [-o - (1 - k % 2) for o, k in zip(origins, weights.shape, strict=True)]
    else:
        weights = weights.conj()
    for o, k in zip(origins, weights.shape, strict=True):
        _check_origin(o, k)
    weights = np.ascontiguousarray(weights)
    if call.empty:
        return call.zeros()
    return _correlate_nd(call, weights, [mode] * call.ndim, cval, origins,
                         "the correlation")


@_doc
def correlate(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *,
              axes=None):
    """N-D correlation, as :func:`scipy.ndimage.correlate`.

    .. math:: out[i] = \\sum_j \\overline{w[j]}\\, in[i + j - \\lfloor k/2 \\rfloor -
              origin]

    (``i``, ``j``, ``k`` and ``origin`` vectors over the filtered axes). A kernel that
    is exactly an outer product of vectors (up to rounding: checked against its
    rebuilt outer product to a few float64 epsilons) is applied as 1-D passes; a
    float64 kernel of at most 64 entries by a numba N-D kernel; any other kernel is
    applied to the image extended by ``mode`` with :func:`sigconv.convolve`
    (``mode="valid"``), direct or FFT by its cost model. Integer outputs and images with
    NaN or inf are summed in scipy.ndimage's order (entries with ``|w| <= DBL_EPSILON``
    left out), so that they match it exactly.

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions, at least one).
    weights : array_like
        The kernel: one dimension per axis of ``input`` (or of ``axes``); real or
        complex, finite, non-empty.
    {output}
    mode : str, default "reflect"
        How the image continues beyond its edges (one mode for all axes, as
        scipy.ndimage).
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.
    origin : int or sequence of int, default 0
        Shift of the kernel, per axis or for all.
    axes : int or sequence of int, optional
        The axes to filter along (the kernel's dimensions, in that order); default all.

    Returns
    -------
    numpy.ndarray
        The filtered image (``output`` itself when it is an array).

    Raises
    ------
    TypeError
        If an argument has a wrong type.
    ValueError
        If ``weights`` does not have one dimension per filtered axis, ``origin`` is out
        of range, ``mode`` is unknown or a sequence, or the result overflows.
    MemoryError
        If the working or padded copies would not fit in memory.

    See Also
    --------
    convolve, correlate1d, sigconv.correlate2d, scipy.ndimage.correlate

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import filters
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> filters.correlate(image, [[0, 1, 0], [1, 1, 1], [0, 1, 0]], mode="nearest")[1]
    array([21., 25., 30., 34.])
    """
    return _correlate_public(input, weights, output, mode, cval, origin, axes, False)


@_doc
def convolve(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *,
             axes=None):
    """N-D convolution, as :func:`scipy.ndimage.convolve`.

    .. math:: out[i] = \\sum_j w[j]\\, in[i - j + \\lfloor k/2 \\rfloor - origin]

    the correlation with the kernel reversed along every axis (and ``origin``
    mirrored), computed as :func:`correlate`.

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions, at least one).
    weights : array_like
        The kernel: one dimension per axis of ``input`` (or of ``axes``).
    {output}
    mode : str, default "reflect"
        How the image continues beyond its edges (one mode for all axes).
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.
    origin : int or sequence of int, default 0
        Shift of the kernel, per axis or for all.
    axes : int or sequence of int, optional
        The axes to filter along; default all.

    Returns
    -------
    numpy.ndarray
        The filtered image (``output`` itself when it is an array).

    Raises
    ------
    TypeError
        If an argument has a wrong type.
    ValueError
        If an argument is out of range (see :func:`correlate`).
    MemoryError
        If the working or padded copies would not fit in memory.

    See Also
    --------
    correlate, convolve1d, sigconv.convolve2d, scipy.ndimage.convolve

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import filters
    >>> a = np.array([[1, 2, 0, 0], [5, 3, 0, 4], [0, 0, 0, 7], [9, 3, 0, 0]])
    >>> filters.convolve(a, [[1, 1, 1], [1, 1, 0], [1, 0, 0]], mode="constant", output=int)
    array([[11, 10,  7,  4],
           [10,  3, 11, 11],
           [15, 12, 14,  7],
           [12,  3,  7,  0]])
    """
    return _correlate_public(input, weights, output, mode, cval, origin, axes, True)


# --------------------------------------------------------------------------------------
# Gaussian
# --------------------------------------------------------------------------------------
def _radii(sigmas, truncate, radius):
    """Gaussian radii ``floor(truncate sigma + 1/2)`` (or ``radius``), each kernel sized
    before it is built (MemoryError naming sigma and truncate, or radius)."""
    radii = []
    limit = memory_limit()   # read once for all axes
    for s, r in zip(sigmas, radius, strict=True):
        if r is not None:
            name, taps = "radius", 2.0 * r + 1
        else:
            name = "sigma, truncate"
            r = truncate * float(s) + 0.5  # Python floats: inf, not a RuntimeWarning
            taps = 2 * r + 1 if math.isfinite(r) and r < 2.0**62 else 2.0**63
        if taps * 8 * 3 > limit:   # raises, with the message
            check_allocation(name, (int(min(taps, 2.0**63)),), np.float64, copies=3,
                             what="the Gaussian kernel")
        radii.append(int(r))
    return radii


def _gaussian_weights(sigma, radius, order=0):
    """The sampled, normalised Gaussian of ``sigma`` on ``-radius..radius`` and its
    ``order``-th derivative, as scipy.ndimage builds it: ``q(x) phi(x)`` with the
    polynomial ``q`` from ``q' + q p'``, ``p'(x) = -x / sigma^2``."""
    x = np.arange(-radius, radius + 1)
    sigma2 = sigma * sigma
    if 0 < sigma2 < math.inf and radius < 2**26:
        # scipy.ndimage's expression, to its last bit (x^2 exact in integers)
        phi = np.exp(-0.5 / sigma2 * x**2)
    else:
        with np.errstate(over="ignore"):  # (x / sigma)^2 = inf: a weight of exp(-inf) = 0
            phi = np.exp(-0.5 * (x / sigma) ** 2)
    phi /= phi.sum()
    if order == 0:
        return phi
    exponents = np.arange(order + 1)
    q = np.zeros(order + 1)
    q[0] = 1.0
    derivative = np.diag(exponents[1:].astype(float), 1) + np.diag(
        np.full(order, -1.0 / (sigma * sigma)), -1)
    for _ in range(order):
        q = derivative @ q
    with np.errstate(over="ignore", invalid="ignore"):
        return (x[:, None] ** exponents) @ q * phi


def _gaussian_passes(ndim, sigma, order, mode, truncate, radius, axes):
    """The 1-D passes ``(axis, weights, mode, 0)`` of a Gaussian (derivative) along
    ``axes``: axes with ``sigma = 0`` are skipped (as scipy.ndimage)."""
    count = len(axes)
    sigmas = _per_axis(sigma, count, "sigma", allow_zero=True)
    orders = _integers(order, count, "order", minimum=0)
    modes = _modes(mode, count)
    truncate = _truncate(truncate)
    radius = [None] * count if radius is None else _integers(radius, count, "radius",
                                                             minimum=0)
    radii = _radii(sigmas, truncate, radius)
    passes = []
    for axis, s, o, m, r in zip(axes, sigmas, orders, modes, radii, strict=True):
        if s > 1e-15:   # scipy.ndimage's threshold for "no filtering along this axis"
            # scipy.ndimage correlates with the reversed kernel: a convolution
            passes.append((axis, _gaussian_weights(s, r, o)[::-1].copy(), m, 0))
    return passes


def gaussian_kernel(sigma, truncate=4.0, ndim=2):
    """A normalised, sampled Gaussian kernel.

    .. math:: K(x) \\propto \\prod_d \\exp\\left(-\\frac{x_d^2}{2 \\sigma_d^2}\\right),
              \\quad |x_d| \\le r_d = \\lfloor \\text{truncate}\\, \\sigma_d + 1/2 \\rfloor,
              \\quad \\sum K = 1

    the kernel :func:`gaussian` (and ``scipy.ndimage.gaussian_filter``) applies.

    Parameters
    ----------
    sigma : float or sequence of float
        Standard deviation in pixels, per axis or for all; non-negative (``0`` gives a
        kernel of length 1 along that axis).
    truncate : float, default 4.0
        Radius in standard deviations.
    ndim : int, default 2
        Number of dimensions of the kernel.

    Returns
    -------
    numpy.ndarray
        Shape ``(2 r_0 + 1, ..., 2 r_{ndim-1} + 1)``, summing to 1.

    Raises
    ------
    TypeError
        If ``sigma`` or ``truncate`` is not a real number (booleans and strings refused),
        or ``ndim`` not an integer.
    ValueError
        If ``sigma`` is negative or not finite, ``truncate`` not positive and finite,
        ``sigma`` has the wrong length, or ``ndim`` is not in ``[1, 64]``.
    MemoryError
        If the kernel would not fit in memory (the message names sigma and truncate).

    See Also
    --------
    gaussian

    Examples
    --------
    >>> import sigconv as sc
    >>> kernel = sc.filters.gaussian_kernel(1.0, truncate=1.0)
    >>> kernel.shape, round(float(kernel.sum()), 12)
    ((3, 3), 1.0)
    """
    ndim = check_positive_int(ndim, "ndim")
    if ndim > _MAX_DIMS:
        raise ValueError(f"ndim must be at most {_MAX_DIMS} (NumPy's limit), got {ndim}")
    sigmas = _per_axis(sigma, ndim, "sigma", allow_zero=True)
    truncate = _truncate(truncate)
    radii = _radii(sigmas, truncate, [None] * ndim)
    check_allocation("sigma, truncate, ndim", [2 * r + 1 for r in radii], np.float64,
                     copies=2, what="the Gaussian kernel")
    kernel = np.ones(())
    for s, radius in zip(sigmas, radii, strict=True):
        line = _gaussian_weights(s, radius) if s > 0 else np.ones(1)
        kernel = np.multiply.outer(kernel, line)
    return kernel


@_doc
def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0,
                    truncate=4.0, *, radius=None, axes=None):
    """Gaussian smoothing or derivatives, as :func:`scipy.ndimage.gaussian_filter`.

    One 1-D correlation per filtered axis with the sampled Gaussian (or its
    ``order``-th derivative):

    .. math:: w_d[x] = \\frac{d^{o_d}}{dx^{o_d}}\\,
              \\frac{e^{-x^2 / 2 \\sigma_d^2}}{\\sum_{|x| \\le r_d} e^{-x^2 / 2
              \\sigma_d^2}}, \\quad |x| \\le r_d = \\lfloor \\text{truncate}\\,\\sigma_d +
              1/2 \\rfloor

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions, at least one).
    sigma : float or sequence of float
        Standard deviation in pixels, per filtered axis or for all; ``0`` leaves that
        axis unfiltered. Must be non-negative (scipy.ndimage treats a negative sigma as
        0; here it is a ValueError).
    order : int or sequence of int, default 0
        Derivative order per axis (0 smooths).
    {output}
    mode : str or sequence of str, default "reflect"
        How the image continues beyond its edges, per axis or for all.
    cval : scalar or sequence of scalars, default 0.0
        The value outside the image for ``mode="constant"``; a sequence gives one
        per filtered axis (in the order of ``axes``), an extension of
        scipy.ndimage, which takes one value.
    truncate : float, default 4.0
        Kernel radius in standard deviations.
    radius : int or sequence of int, optional
        Kernel radius per axis; overrides ``truncate``.
    axes : int or sequence of int, optional
        The axes to filter; default all. Per-axis arguments pair with them in order.

    Returns
    -------
    numpy.ndarray
        The filtered image (``output`` itself when it is an array).

    Raises
    ------
    TypeError
        If an argument has a wrong type (booleans and strings refused for numbers).
    ValueError
        If ``sigma`` is negative or not finite, ``truncate`` not positive, ``order`` or
        ``radius`` negative, a sequence has the wrong length, ``mode`` is unknown, an
        axis out of range, or the result overflows.
    MemoryError
        If the kernel (the message names sigma and truncate, or radius) or the working
        copies (naming image) would not fit in memory.

    See Also
    --------
    gaussian, gaussian_filter1d, gaussian_kernel, scipy.ndimage.gaussian_filter

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import filters
    >>> a = np.arange(50, step=2).reshape((5, 5))
    >>> filters.gaussian_filter(a, sigma=1, output=a.dtype)
    array([[ 4,  6,  8,  9, 11],
           [10, 12, 14, 15, 17],
           [20, 22, 24, 25, 27],
           [29, 31, 33, 34, 36],
           [35, 37, 39, 40, 42]])
    >>> filters.gaussian_filter(a, sigma=(0, 1))[0]  # along the last axis only
    array([0.8540819 , 2.13564407, 4.        , 5.86435593, 7.1459181 ])
    """
    call = _Call(input, output)
    axes = _axes(axes, call.ndim)
    passes = _gaussian_passes(call.ndim, sigma, order, mode, truncate, radius, axes)
    cval = _cval(cval, call, axes)
    return _run_passes(call, passes, cval, "the Gaussian", "image, sigma, truncate")


@_doc
def gaussian_filter1d(input, sigma, axis=-1, order=0, output=None, mode="reflect",
                      cval=0.0, truncate=4.0, *, radius=None):
    """1-D Gaussian smoothing or derivative, as :func:`scipy.ndimage.gaussian_filter1d`.

    :func:`gaussian_filter` along the single axis ``axis``.

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions, at least one).
    sigma : float
        Standard deviation in pixels (non-negative; 0 returns the image).
    axis : int, default -1
        The axis to filter along.
    order : int, default 0
        Derivative order.
    {output}
    mode : str, default "reflect"
        How the image continues beyond its edges.
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.
    truncate : float, default 4.0
        Kernel radius in standard deviations.
    radius : int, optional
        Kernel radius; overrides ``truncate``.

    Returns
    -------
    numpy.ndarray
        The filtered image (``output`` itself when it is an array).

    Raises
    ------
    TypeError
        If an argument has a wrong type.
    ValueError
        If an argument is out of range (see :func:`gaussian_filter`).
    MemoryError
        If the kernel or the working copies would not fit in memory.

    See Also
    --------
    gaussian_filter, scipy.ndimage.gaussian_filter1d

    Examples
    --------
    >>> from sigconv import filters
    >>> filters.gaussian_filter1d([1.0, 2.0, 3.0, 4.0, 5.0], 1)
    array([1.42704095, 2.06782203, 3.        , 3.93217797, 4.57295905])
    """
    call = _Call(input, output)
    axis = _axis(axis, call.ndim)
    if np.ndim(sigma) != 0:
        raise TypeError(f"sigma must be a real number, got {_short(sigma)}")
    passes = _gaussian_passes(call.ndim, sigma, order, mode, truncate, radius, (axis,))
    cval = _cval(cval, call)
    return _run_passes(call, passes, cval, "the Gaussian", "image, sigma, truncate")


def gaussian(image, sigma, mode="reflect", cval=0.0, truncate=4.0, *, order=0, output=None,
             radius=None, axes=None):
    """Gaussian smoothing: :func:`gaussian_filter` with the lecture's argument order.

    ``gaussian(image, sigma, mode, cval, truncate)`` is
    ``gaussian_filter(image, sigma, mode=mode, cval=cval, truncate=truncate)``; ``order``,
    ``output``, ``radius`` and ``axes`` are keyword-only here (see
    :func:`gaussian_filter`).

    Parameters
    ----------
    image : array_like
        The image (any number of dimensions).
    sigma : float or sequence of float
        Standard deviation in pixels, per axis or for all; ``0`` leaves an axis as is.
    mode : str or sequence of str, default "reflect"
        How the image continues beyond its edges (see the module's table).
    cval : scalar or sequence of scalars, default 0.0
        The value outside the image for ``mode="constant"``; a sequence gives one
        per filtered axis (in the order of ``axes``), an extension of
        scipy.ndimage, which takes one value.
    truncate : float, default 4.0
        Kernel radius in standard deviations.
    order, output, radius, axes
        As in :func:`gaussian_filter`.

    Returns
    -------
    numpy.ndarray
        The smoothed image, same shape (float unless ``output`` says otherwise).

    Raises
    ------
    TypeError
        If ``image`` is not numeric or has extended precision, or ``sigma``,
        ``truncate`` or ``cval`` is not a real number (booleans and strings refused).
    ValueError
        If ``sigma`` is negative or not finite, ``truncate`` not positive and finite,
        ``cval`` not finite, ``mode`` is unknown, ``image`` is 0-d, or the result
        overflows.
    MemoryError
        If the kernel or the padded image would not fit in memory (the message names
        sigma and truncate), or the working copies of the image (four arrays of its
        size; the message names image).

    See Also
    --------
    gaussian_filter, gaussian_kernel, box, scipy.ndimage.gaussian_filter

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> image = np.zeros((5, 5))
    >>> image[2, 2] = 1.0
    >>> smoothed = sc.filters.gaussian(image, 1.0)
    >>> round(float(smoothed.sum()), 12), bool(smoothed[2, 2] > smoothed[1, 2])
    (1.0, True)
    """
    return gaussian_filter(image, sigma, order, output, mode, cval, truncate, radius=radius,
                           axes=axes)


# --------------------------------------------------------------------------------------
# uniform (box)
# --------------------------------------------------------------------------------------
def _uniform_passes(size, origin, mode, axes, allow_zero=True):
    """The passes of a box along ``axes``: sizes 0 and 1 leave an axis as is (and its
    origin unchecked), as scipy.ndimage's uniform_filter; its 1-D form needs size >= 1."""
    count = len(axes)
    sizes = _integers_sizes(size, count, allow_zero)
    origins = _integers(origin, count, "origin")
    modes = _modes(mode, count)
    passes = []
    for axis, length, o, m in zip(axes, sizes, origins, modes, strict=True):
        if length > 1 or not allow_zero:
            _check_origin(o, length)
        if length > 1:
            check_allocation("size", (length,), np.float64, copies=2, what="the box")
            # the sum, then divided by the size (as scipy.ndimage): 12 / 3 is exactly 4
            # where 1/3 + 1/3 + ... is not, which an integer output would truncate to 3
            passes.append((axis, np.ones(length), m, o, length))
    return passes


def _integers_sizes(size, count, allow_zero):
    """``size`` as ``count`` non-negative (or positive) ints; an integral float (3.0) is
    accepted, as scipy.ndimage does, a fraction is a TypeError."""
    values = _per_axis(size, count, "size", allow_zero=allow_zero)
    if not np.all(values == np.round(values)):
        raise TypeError(f"size must be integral, got {_short(size)}")
    if np.any(values >= 2.0**62):
        check_allocation("size", (2**62,), np.float64, what="the box")
    return [int(v) for v in values]


@_doc
def uniform_filter(input, size=3, output=None, mode="reflect", cval=0.0, origin=0, *,
                   axes=None):
    """Mean over a box, as :func:`scipy.ndimage.uniform_filter`.

    One 1-D correlation per filtered axis with ``size_d`` weights ``1 / size_d``:

    .. math:: out[i] = \\prod_d \\frac{1}{s_d} \\sum_{j \\in box} in[i + j -
              \\lfloor s/2 \\rfloor - origin]

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions, at least one).
    size : int or sequence of int, default 3
        Box length per filtered axis or for all (even sizes reach one pixel further
        back, as in SciPy); 0 or 1 leaves an axis as is.
    {output}
    mode : str or sequence of str, default "reflect"
        How the image continues beyond its edges, per axis or for all.
    cval : scalar or sequence of scalars, default 0.0
        The value outside the image for ``mode="constant"``; a sequence gives one
        per filtered axis (in the order of ``axes``), an extension of
        scipy.ndimage, which takes one value.
    origin : int or sequence of int, default 0
        Shift of the box per axis: ``-(s // 2) <= origin <= (s - 1) // 2``.
    axes : int or sequence of int, optional
        The axes to filter; default all.

    Returns
    -------
    numpy.ndarray
        The filtered image (``output`` itself when it is an array).

    Raises
    ------
    TypeError
        If ``size`` is not integral, or another argument has a wrong type.
    ValueError
        If ``size < 0``, ``origin`` out of range, ``mode`` unknown, a sequence has the
        wrong length, or the result overflows.
    MemoryError
        If the box or the working copies would not fit in memory.

    See Also
    --------
    box, uniform_filter1d, scipy.ndimage.uniform_filter

    Examples
    --------
    >>> from sigconv import filters
    >>> filters.uniform_filter([[0.0, 3.0, 6.0]], 3, mode="nearest")
    array([[1., 3., 5.]])
    """
    call = _Call(input, output)
    axes = _axes(axes, call.ndim)
    passes = _uniform_passes(size, origin, mode, axes)
    cval = _cval(cval, call, axes)
    return _run_passes(call, passes, cval, "the box filter", "image, size")


@_doc
def uniform_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0,
                     origin=0):
    """Mean over ``size`` samples along ``axis``, as
    :func:`scipy.ndimage.uniform_filter1d`.

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions, at least one).
    size : int
        Box length (at least 1).
    axis : int, default -1
        The axis to filter along.
    {output}
    mode : str, default "reflect"
        How the image continues beyond its edges.
    cval : scalar, default 0.0
        The value outside the image for ``mode="constant"``.
    origin : int, default 0
        Shift of the box.

    Returns
    -------
    numpy.ndarray
        The filtered image (``output`` itself when it is an array).

    Raises
    ------
    TypeError
        If an argument has a wrong type.
    ValueError
        If an argument is out of range (see :func:`uniform_filter`).
    MemoryError
        If the box or the working copies would not fit in memory.

    See Also
    --------
    uniform_filter, scipy.ndimage.uniform_filter1d

    Examples
    --------
    >>> from sigconv import filters
    >>> filters.uniform_filter1d([2, 8, 0, 4, 1, 9, 9, 0], size=3, output=int)
    array([4, 3, 4, 1, 4, 6, 6, 3])
    """
    call = _Call(input, output)
    axis = _axis(axis, call.ndim)
    if np.ndim(size) != 0:
        raise TypeError(f"size must be an integer, got {_short(size)}")
    passes = _uniform_passes(size, origin, mode, (axis,), allow_zero=False)
    cval = _cval(cval, call)
    return _run_passes(call, passes, cval, "the box filter", "image, size")


def box(image, size, mode="reflect", cval=0.0, *, output=None, origin=0, axes=None):
    """Mean over a box of ``size`` pixels: :func:`uniform_filter` with the lecture's
    argument order.

    ``box(image, size, mode, cval)`` is ``uniform_filter(image, size, mode=mode,
    cval=cval)``; ``output``, ``origin`` and ``axes`` are keyword-only here.

    Parameters
    ----------
    image : array_like
        The image (any number of dimensions).
    size : int or sequence of int
        Box length per axis or for all (even sizes reach one pixel further back, as in
        SciPy).
    mode : str or sequence of str, default "reflect"
        How the image continues beyond its edges.
    cval : scalar or sequence of scalars, default 0.0
        The value outside the image for ``mode="constant"``; a sequence gives one
        per filtered axis (in the order of ``axes``), an extension of
        scipy.ndimage, which takes one value.
    output, origin, axes
        As in :func:`uniform_filter`.

    Returns
    -------
    numpy.ndarray
        The filtered image, same shape (float unless ``output`` says otherwise).

    Raises
    ------
    TypeError
        If ``image`` is not numeric or has extended precision, ``size`` is not integral
        (a float with a fraction, a string, a boolean) or ``cval`` not a real number.
    ValueError
        If ``size < 0``, ``cval`` not finite, ``mode`` is unknown or ``image`` 0-d.
    MemoryError
        If the box or the padded image would not fit in memory (the message names size),
        or the working copies of the image (four arrays of its size; the message names
        image).

    See Also
    --------
    uniform_filter, gaussian, scipy.ndimage.uniform_filter

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.filters.box([[0.0, 3.0, 6.0]], 3, mode="nearest")
    array([[1., 3., 5.]])
    """
    return uniform_filter(image, size, output, mode, cval, origin, axes=axes)


# --------------------------------------------------------------------------------------
# derivatives: Sobel, Prewitt, Laplace and their Gaussian forms
# --------------------------------------------------------------------------------------
def _derivative(input, axis, output, mode, cval, smoothing, what):
    """``[-1, 0, 1]`` along ``axis``, ``smoothing`` along every other axis, each pass
    with its axis's mode (scipy.ndimage's sobel and prewitt)."""
    call = _Call(input, output)
    axis = _axis(axis, call.ndim)
    modes = _modes(mode, call.ndim)
    cval = _cval(cval, call, range(call.ndim))
    passes = [(axis, np.array([-1.0, 0.0, 1.0]), modes[axis], 0)]
    passes += [(other, smoothing, modes[other], 0) for other in range(call.ndim)
               if other != axis]
    return _run_passes(call, passes, cval, what)


@_doc
def sobel(input, axis=-1, output=None, mode="reflect", cval=0.0):
    """Sobel derivative along ``axis``, as :func:`scipy.ndimage.sobel`.

    Correlation with ``[-1, 0, 1]`` along ``axis`` and ``[1, 2, 1]`` along the others.

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions).
    axis : int, default -1
        The axis of the derivative.
    {output}
    mode : str or sequence of str, default "reflect"
        How the image continues beyond its edges, per axis or for all.
    cval : scalar or sequence of scalars, default 0.0
        The value outside the image for ``mode="constant"``; a sequence gives one
        per filtered axis (in the order of ``axes``), an extension of
        scipy.ndimage, which takes one value.

    Returns
    -------
    numpy.ndarray
        The derivative, same shape (float unless ``output`` says otherwise).

    Raises
    ------
    TypeError
        If ``input`` is not numeric or has extended precision, ``axis`` is not an
        integer (booleans refused) or ``cval`` not a real number.
    ValueError
        If ``axis`` is out of range, ``cval`` not finite, ``mode`` unknown, ``input``
        0-d, or the result overflows.
    MemoryError
        If the working copies of the image (four arrays of its size in the working
        dtype) would not fit in memory; the message names image.

    See Also
    --------
    prewitt, edges, scipy.ndimage.sobel

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> ramp = np.tile(np.arange(4.0), (3, 1))
    >>> sc.filters.sobel(ramp, axis=1)
    array([[4., 8., 8., 4.],
           [4., 8., 8., 4.],
           [4., 8., 8., 4.]])
    """
    return _derivative(input, axis, output, mode, cval, np.array([1.0, 2.0, 1.0]),
                       "the Sobel derivative")


@_doc
def prewitt(input, axis=-1, output=None, mode="reflect", cval=0.0):
    """Prewitt derivative along ``axis``, as :func:`scipy.ndimage.prewitt`.

    Correlation with ``[-1, 0, 1]`` along ``axis`` and ``[1, 1, 1]`` along the others.

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions).
    axis : int, default -1
        The axis of the derivative.
    {output}
    mode : str or sequence of str, default "reflect"
        How the image continues beyond its edges, per axis or for all.
    cval : scalar or sequence of scalars, default 0.0
        The value outside the image for ``mode="constant"``; a sequence gives one
        per filtered axis (in the order of ``axes``), an extension of
        scipy.ndimage, which takes one value.

    Returns
    -------
    numpy.ndarray
        The derivative, same shape (float unless ``output`` says otherwise).

    Raises
    ------
    TypeError
        If ``input`` is not numeric or has extended precision, ``axis`` is not an
        integer (booleans refused) or ``cval`` not a real number.
    ValueError
        If ``axis`` is out of range, ``cval`` not finite, ``mode`` unknown, ``input``
        0-d, or the result overflows.
    MemoryError
        If the working copies of the image would not fit in memory; the message names
        image.

    See Also
    --------
    sobel, scipy.ndimage.prewitt

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> ramp = np.tile(np.arange(4.0), (3, 1))
    >>> sc.filters.prewitt(ramp, axis=1)[1]
    array([3., 6., 6., 3.])
    """
    return _derivative(input, axis, output, mode, cval, np.array([1.0, 1.0, 1.0]),
                       "the Prewitt derivative")


def _evaluate_terms(call, image, terms, cval, buffers=None):
    """Each term's passes applied to ``image`` (each pass rounded through the output
    dtype), in turn; a prefix of passes that later terms share is computed once (the
    Gaussian along axis 0 serves every derivative but the first).

    Every term yielded is an array of its own (never the image nor a shared prefix), so
    the caller may change it and then hand it to ``buffers`` (a :class:`_Buffers`) for
    later passes to write into; the intermediate passes' arrays are handed there too."""
    keys = [[(axis, weights.tobytes(), mode, origin)
             for axis, weights, mode, origin in passes] for passes in terms]
    cache = {}
    if buffers is None:
        buffers = _Buffers({id(image)})

    def dead(array):
        if array is not image and all(array is not kept for kept in cache.values()):
            buffers.release(array)

    for index, passes in enumerate(terms):
        # the longest cached prefix of this term
        start, term = 0, image
        for length in range(len(passes), 0, -1):
            key = tuple(keys[index][:length])
            if key in cache:
                start, term = length, cache[key]
                break
        for step in range(start, len(passes)):
            axis, weights, mode, origin = passes[step]
            result = _correlate1d(term, weights, axis, mode, _axis_cval(cval, axis), origin,
                                  call.exact, out=buffers.take())[0]
            rounded = call.rounded(result)
            if rounded is not result:
                dead(result)
            dead(term)
            term = rounded
            prefix = tuple(keys[index][:step + 1])
            if step + 1 < len(passes) and any(tuple(later[:step + 1]) == prefix
                                              for later in keys[index + 1:]):
                cache[prefix] = term
        if term is image or any(term is kept for kept in cache.values()):
            # no pass (sigma 0 everywhere), or a prefix later terms share: a copy the
            # caller may change
            term = term.copy()
        # drop the prefixes that no later term needs
        for key in [key for key in cache
                    if not any(tuple(later[:len(key)]) == key for later in keys[index + 1:])]:
            dropped = cache.pop(key)
            dead(dropped)
        yield term


def _sum_of_terms(call, terms, cval, what, name="image, kernel"):
    """``sum_t term_t`` where each term is a list of 1-D passes (scipy.ndimage's
    generic_laplace: each term rounded through the output dtype, then summed)."""
    for passes in terms:
        _check_passes(call, passes, name)
    if call.empty:
        return call.zeros()
    if not terms:
        return call.copy()

    def compute(image, cval):
        buffers = _Buffers({id(image)})
        total = None
        for term in _evaluate_terms(call, image, terms, cval, buffers):
            # every term is a fresh array (never a cached prefix nor the image)
            if total is None:
                total = term
            else:
                np.add(total, term, out=total)
                buffers.release(term)
        return total, None
    return call.run(compute, cval, what)


_SECOND = np.array([1.0, -2.0, 1.0])


def _laplace_terms(call, mode, axes):
    axes = _axes(axes, call.ndim)
    modes = _modes(mode, len(axes))
    return [[(axis, _SECOND, m, 0)] for axis, m in zip(axes, modes, strict=True)]


@_doc
def laplace(input, output=None, mode="reflect", cval=0.0, *, axes=None):
    """Discrete Laplacian, as :func:`scipy.ndimage.laplace`.

    .. math:: \\nabla^2 I \\approx \\sum_{d \\in axes} \\left(I_{x_d + 1} - 2 I +
              I_{x_d - 1}\\right)

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions).
    {output}
    mode : str or sequence of str, default "reflect"
        How the image continues beyond its edges, per filtered axis or for all.
    cval : scalar or sequence of scalars, default 0.0
        The value outside the image for ``mode="constant"``; a sequence gives one
        per filtered axis (in the order of ``axes``), an extension of
        scipy.ndimage, which takes one value.
    axes : int or sequence of int, optional
        The axes to sum second differences over; default all.

    Returns
    -------
    numpy.ndarray
        The Laplacian, same shape (float unless ``output`` says otherwise).

    Raises
    ------
    TypeError
        If ``input`` is not numeric or has extended precision, or ``cval`` is not a real
        number (booleans and strings refused).
    ValueError
        If ``cval`` is not finite, ``mode`` is unknown, ``input`` is 0-d, or the result
        overflows.
    MemoryError
        If the working copies of the image would not fit in memory; the message names
        image.

    See Also
    --------
    sharpen, gaussian_laplace, scipy.ndimage.laplace

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.filters.laplace([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], mode="constant")
    array([[ 0.,  1.,  0.],
           [ 1., -4.,  1.],
           [ 0.,  1.,  0.]])
    """
    call = _Call(input, output)
    terms = _laplace_terms(call, mode, axes)
    cval = _cval(cval, call, _axes(axes, call.ndim))
    return _sum_of_terms(call, terms, cval, "the Laplacian")


def _gaussian_terms(call, sigma, mode, axes, truncate, radius, order):
    """One term per filtered axis: the ``order``-th Gaussian derivative along it, the
    Gaussian along the other filtered axes, all with that axis's mode (as
    scipy.ndimage's generic_laplace passes one mode per term)."""
    axes = _axes(axes, call.ndim)
    count = len(axes)
    sigmas = _per_axis(sigma, count, "sigma", allow_zero=True)
    modes = _modes(mode, count)
    terms = []
    for i, m in enumerate(modes):
        orders = [0] * count
        orders[i] = order
        terms.append(_gaussian_passes(call.ndim, sigmas, orders, m, truncate, radius, axes))
    return terms


@_doc
def gaussian_laplace(input, sigma, output=None, mode="reflect", cval=0.0, *, axes=None,
                     truncate=4.0, radius=None):
    """Laplacian of Gaussian, as :func:`scipy.ndimage.gaussian_laplace`.

    .. math:: \\sum_{d \\in axes} \\partial_d^2 (G_\\sigma * I)

    each term a :func:`gaussian_filter` with ``order=2`` along ``d``.

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions).
    sigma : float or sequence of float
        Standard deviation per filtered axis or for all (non-negative).
    {output}
    mode : str or sequence of str, default "reflect"
        How the image continues beyond its edges, per filtered axis or for all (the
        term of axis ``d`` uses ``mode[d]`` along every axis, as scipy.ndimage).
    cval : scalar or sequence of scalars, default 0.0
        The value outside the image for ``mode="constant"``; a sequence gives one
        per filtered axis (in the order of ``axes``), an extension of
        scipy.ndimage, which takes one value.
    axes : int or sequence of int, optional
        The axes to filter; default all.
    truncate : float, default 4.0
        Kernel radius in standard deviations (scipy.ndimage's ``**kwargs``).
    radius : int or sequence of int, optional
        Kernel radius per axis; overrides ``truncate``.

    Returns
    -------
    numpy.ndarray
        The filtered image (``output`` itself when it is an array).

    Raises
    ------
    TypeError
        If an argument has a wrong type.
    ValueError
        If an argument is out of range (see :func:`gaussian_filter`).
    MemoryError
        If the kernels or the working copies would not fit in memory.

    See Also
    --------
    laplace, gaussian_filter, scipy.ndimage.gaussian_laplace

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import filters
    >>> spot = np.zeros((9, 9))
    >>> spot[4, 4] = 1.0
    >>> log = filters.gaussian_laplace(spot, 1.0)
    >>> round(float(log[4, 4]), 6), bool(log[4, 3] > log[4, 4])
    (-0.318312, True)
    """
    call = _Call(input, output)
    terms = _gaussian_terms(call, sigma, mode, axes, truncate, radius, 2)
    cval = _cval(cval, call, _axes(axes, call.ndim))
    return _sum_of_terms(call, terms, cval, "the Laplacian of Gaussian",
                         name="image, sigma, truncate")


def _magnitude(call, terms, cval, what, real=False, name="image, kernel"):
    """``sqrt(sum_t |term_t|^2)``: for an integer output each term, square and sum in the
    output dtype as scipy.ndimage (``np.sqrt`` into it); otherwise in the working dtype,
    retried at a smaller scale where a square overflows but the magnitude fits. With
    ``real``, a complex image's magnitude is real without ``output`` (:func:`edges`);
    :func:`gaussian_gradient_magnitude` keeps scipy.ndimage's complex dtype."""
    if real and call.array is None and not call.output_given and call.dtype.kind == "c":
        call.dtype = np.finfo(call.dtype).dtype
    for passes in terms:
        _check_passes(call, passes, name)
    if call.empty:
        return call.zeros()
    if not terms:
        return call.copy()
    if call.dtype.kind in "iu":
        with np.errstate(over="ignore", invalid="ignore"):
            derivatives = list(_evaluate_terms(call, call.image, terms, cval))
            total = np.zeros(call.shape, call.dtype)
            for d in derivatives:
                d = _c_cast(d, call.dtype)
                total += d * d
            out = np.empty(call.shape, call.dtype)
            np.sqrt(total, out=out, casting="unsafe")
        return call.store(out)

    def compute(image, cval):
        # each derivative squared into the running sum as soon as it is computed: one
        # derivative held at a time (an overflow of a square is retried by call.run)
        buffers = _Buffers({id(image)})
        total = None
        for term in _evaluate_terms(call, image, terms, cval, buffers):
            square = (np.add(term.real * term.real, term.imag * term.imag)
                      if term.dtype.kind == "c" else np.multiply(term, term, out=term))
            if total is None:
                total = square
            else:
                np.add(total, square, out=total)
                buffers.release(square)
        return np.sqrt(total, out=total), None
    return call.run(compute, cval, what, squares=True)


@_doc
def gaussian_gradient_magnitude(input, sigma, output=None, mode="reflect", cval=0.0, *,
                                axes=None, truncate=4.0, radius=None):
    """Gradient magnitude from Gaussian derivatives, as
    :func:`scipy.ndimage.gaussian_gradient_magnitude`.

    .. math:: \\sqrt{\\sum_{d \\in axes} \\left|\\partial_d (G_\\sigma * I)\\right|^2}

    Parameters
    ----------
    input : array_like
        The image (any number of dimensions).
    sigma : float or sequence of float
        Standard deviation per filtered axis or for all (non-negative).
    {output}
    mode : str or sequence of str, default "reflect"
        How the image continues beyond its edges, per filtered axis or for all (the
        derivative along axis ``d`` uses ``mode[d]`` along every axis, as scipy.ndimage).
    cval : scalar or sequence of scalars, default 0.0
        The value outside the image for ``mode="constant"``; a sequence gives one
        per filtered axis (in the order of ``axes``), an extension of
        scipy.ndimage, which takes one value.
    axes : int or sequence of int, optional
        The axes to differentiate and smooth along; default all.
    truncate : float, default 4.0
        Kernel radius in standard deviations (scipy.ndimage's ``**kwargs``).
    radius : int or sequence of int, optional
        Kernel radius per axis; overrides ``truncate``.

    Returns
    -------
    numpy.ndarray
        The magnitude (``output`` itself when it is an array).

    Raises
    ------
    TypeError
        If an argument has a wrong type.
    ValueError
        If an argument is out of range (see :func:`gaussian_filter`) or the magnitude
        overflows.
    MemoryError
        If the kernels or the working copies would not fit in memory.

    Notes
    -----
    With ``axes``, the axes not filtered are not smoothed either (as
    :func:`gaussian_laplace` does); scipy.ndimage 1.17's ``gaussian_gradient_magnitude``
    smooths them with ``sigma`` too and refuses a ``sigma`` per filtered axis. For a
    complex image the magnitude is real: ``sqrt(sum |d|^2)`` (scipy.ndimage squares the
    complex derivatives).

    See Also
    --------
    edges, gaussian_filter, scipy.ndimage.gaussian_gradient_magnitude

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import filters
    >>> ramp = np.tile(np.arange(8.0), (8, 1))
    >>> filters.gaussian_gradient_magnitude(ramp, 1.0, mode="nearest")[4, 3:5]
    array([0.99939268, 0.99939268])
    """
    call = _Call(input, output, copies=_FILTER_COPIES + _image_array(input).ndim)
    terms = _gaussian_terms(call, sigma, mode, axes, truncate, radius, 1)
    cval = _cval(cval, call, _axes(axes, call.ndim))
    return _magnitude(call, terms, cval, "the gradient magnitude",
                      name="image, sigma, truncate")


# --------------------------------------------------------------------------------------
# the lecture's own filters
# --------------------------------------------------------------------------------------
def sharpen(image, amount=1.0, mode="reflect", cval=0.0, *, output=None, axes=None):
    """Sharpen by subtracting the Laplacian: ``image - amount * laplace(image)``.

    For ``amount = 1`` on an image this is the classic kernel
    ``[[0, -1, 0], [-1, 5, -1], [0, -1, 0]]``.

    Parameters
    ----------
    image : array_like
        The image (any number of dimensions).
    amount : float, default 1.0
        Strength of the sharpening.
    mode : str or sequence of str, default "reflect"
        How the image continues beyond its edges.
    cval : scalar or sequence of scalars, default 0.0
        The value outside the image for ``mode="constant"``; a sequence gives one
        per filtered axis (in the order of ``axes``), an extension of
        scipy.ndimage, which takes one value.
    output : numpy.ndarray or dtype, optional
        Where to write the result or its dtype (integers truncated toward zero).
    axes : int or sequence of int, optional
        The axes of the Laplacian; default all.

    Returns
    -------
    numpy.ndarray
        The sharpened image, same shape (float unless ``output`` says otherwise).

    Raises
    ------
    TypeError
        If ``image`` is not numeric or has extended precision, or ``amount`` or ``cval``
        is not a real number (booleans and strings refused).
    ValueError
        If ``amount`` or ``cval`` is not finite, ``mode`` is unknown, ``image`` is 0-d,
        or the result overflows.
    MemoryError
        If the working copies of the image would not fit in memory; the message names
        image.

    See Also
    --------
    laplace

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.filters.sharpen([[1.0, 1.0, 1.0], [1.0, 2.0, 1.0], [1.0, 1.0, 1.0]])[1, 1]
    np.float64(6.0)
    """
    if isinstance(amount, (bool, np.bool_)) or not isinstance(amount, numbers.Real):
        raise TypeError(f"amount must be a real number, got {amount!r}")
    if not math.isfinite(amount):
        raise ValueError(f"amount must be a finite number, got {amount!r}")
    amount = float(amount)
    call = _Call(image, output)
    terms = _laplace_terms(call, mode, axes)
    cval = _cval(cval, call, _axes(axes, call.ndim))
    if call.empty:
        return call.zeros()

    def compute(image, cval):
        laplacian = None
        for passes in terms:
            for axis, weights, mode, origin in passes:
                term = _correlate1d(image, weights, axis, mode, _axis_cval(cval, axis),
                                    origin, call.exact)[0]
                laplacian = term if laplacian is None else laplacian + term
        return (image if laplacian is None else image - amount * laplacian), None
    return call.run(compute, cval, "the sharpened image")


def edges(image, mode="reflect", cval=0.0, *, output=None, axes=None):
    """Gradient magnitude from Sobel derivatives: ``sqrt(sum_d sobel(image, d)**2)``.

    Parameters
    ----------
    image : array_like
        The image (any number of dimensions).
    mode : str or sequence of str, default "reflect"
        How the image continues beyond its edges, per axis or for all.
    cval : scalar or sequence of scalars, default 0.0
        The value outside the image for ``mode="constant"``; a sequence gives one
        per filtered axis (in the order of ``axes``), an extension of
        scipy.ndimage, which takes one value.
    output : numpy.ndarray or dtype, optional
        Where to write the result or its dtype.
    axes : int or sequence of int, optional
        The axes whose derivatives enter the sum (each still smoothed along all the
        others, as :func:`sobel`); default all.

    Returns
    -------
    numpy.ndarray
        The edge strength, same shape (float, non-negative).

    Raises
    ------
    TypeError
        If ``image`` is not numeric or has extended precision, or ``cval`` is not a real
        number (booleans and strings refused).
    ValueError
        If ``cval`` is not finite, ``mode`` is unknown, ``image`` is 0-d, or the result
        overflows.
    MemoryError
        If the working copies of the image (four arrays of its size in the working
        dtype, and one derivative per axis) would not fit in memory; the message names
        image.

    Notes
    -----
    For a complex image the magnitude is ``sqrt(sum_d |sobel(image, d)|**2)`` (real and
    non-negative); ``scipy.ndimage.generic_gradient_magnitude`` squares the complex
    derivatives instead.

    See Also
    --------
    sobel, gaussian_gradient_magnitude

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> step = np.zeros((4, 6))
    >>> step[:, 3:] = 1.0
    >>> sc.filters.edges(step)[1]
    array([0., 0., 4., 4., 0., 0.])
    """
    call = _Call(image, output, copies=_FILTER_COPIES + _image_array(image).ndim)
    modes = _modes(mode, call.ndim)
    axes = _axes(axes, call.ndim)
    cval = _cval(cval, call, range(call.ndim))
    smooth = np.array([1.0, 2.0, 1.0])
    terms = [[(axis, np.array([-1.0, 0.0, 1.0]), modes[axis], 0)]
             + [(other, smooth, modes[other], 0) for other in range(call.ndim)
                if other != axis] for axis in axes]
    return _magnitude(call, terms, cval, "the gradient magnitude", real=True)


