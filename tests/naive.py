"""Slow, obviously-correct reference implementations used by the tests.

Everything here follows the defining formulas with plain Python loops. Integer and boolean
input is computed with Python ints (exact, no overflow); floating and complex input with
Python floats / complex numbers (double precision), so the references are at least as
accurate as anything under test.
"""

import math

import numpy as np


def _to_python(array):
    """``array`` as an object array of Python ints (integers, bools) or complex/float."""
    array = np.asarray(array)
    if array.dtype.kind in "biu":
        return np.array(array.astype(object).tolist(), dtype=object).reshape(array.shape)
    if array.dtype.kind == "c":
        return array.astype(np.complex128)
    return array.astype(np.float64)


def _conj(value):
    """The conjugate of one Python number: exact for ints of any size (``np.conj``
    would turn a Python int into an int64 or an object, and wrap at the limits)."""
    return value.conjugate()


def _work_dtype(in1, in2):
    kinds = {np.asarray(in1).dtype.kind, np.asarray(in2).dtype.kind}
    if kinds <= set("biu"):
        return object
    if "c" in kinds:
        return np.complex128
    return np.float64


def convolve_full_1d(in1, in2):
    """Full 1-D convolution ``y[n] = sum_k in1[k] in2[n - k]`` by the double loop."""
    a = _to_python(in1)
    b = _to_python(in2)
    out = np.zeros(a.size + b.size - 1, dtype=_work_dtype(in1, in2))
    if out.dtype == object:
        out[:] = 0
    for i in range(a.size):
        for j in range(b.size):
            out[i + j] = out[i + j] + a[i] * b[j]
    return out


def convolve_full(in1, in2, axes=None):
    """Full N-D convolution over ``axes``; the other axes broadcast (length 1 or equal).

    Loops over every pair of multi-indices with :func:`numpy.ndindex`.
    """
    a = _to_python(in1)
    b = _to_python(in2)
    ndim = a.ndim
    axes = tuple(range(ndim)) if axes is None else tuple(sorted(ax % ndim for ax in axes))
    shape = tuple(
        a.shape[d] + b.shape[d] - 1 if d in axes else max(a.shape[d], b.shape[d])
        for d in range(ndim)
    )
    out = np.zeros(shape, dtype=_work_dtype(in1, in2))
    if out.dtype == object:
        out[...] = 0
    for ia in np.ndindex(*a.shape):
        for ib in np.ndindex(*b.shape):
            target = []
            for d in range(ndim):
                if d in axes:
                    target.append(ia[d] + ib[d])
                elif a.shape[d] == 1:
                    target.append(ib[d])
                elif b.shape[d] == 1:
                    target.append(ia[d])
                elif ia[d] == ib[d]:
                    target.append(ia[d])
                else:
                    break
            else:
                target = tuple(target)
                out[target] = out[target] + a[ia] * b[ib]
    return out


def mode_window(full, shape1, shape2, mode, axes=None):
    """Cut the full convolution to ``mode`` as SciPy does (``same`` is centred on in1)."""
    ndim = len(shape1)
    axes = tuple(range(ndim)) if axes is None else tuple(sorted(ax % ndim for ax in axes))
    index = []
    for d in range(ndim):
        if d not in axes:
            index.append(slice(None))
            continue
        n, k = shape1[d], shape2[d]
        length = {"full": n + k - 1, "same": n, "valid": abs(n - k) + 1}[mode]
        start = (n + k - 1 - length) // 2
        index.append(slice(start, start + length))
    return full[tuple(index)]


def convolve(in1, in2, mode="full", axes=None):
    """N-D convolution with SciPy's modes, by :func:`convolve_full`."""
    in1, in2 = np.asarray(in1), np.asarray(in2)
    return mode_window(convolve_full(in1, in2, axes), in1.shape, in2.shape, mode, axes)


def reverse_conj(array, axes=None):
    """``array`` reversed along ``axes`` and conjugated."""
    array = np.asarray(array)
    axes = tuple(range(array.ndim)) if axes is None else axes
    return np.conj(np.flip(array, axis=axes)) if array.dtype.kind == "c" else np.flip(
        array, axis=axes)


def correlate(in1, in2, mode="full", axes=None):
    """Cross-correlation ``y[n] = sum_k in1[n + k] conj(in2[k])``, written out directly.

    Not derived from :func:`convolve`, so that the test of ``correlate == convolve with
    the reversed conjugate`` compares two independent things. 1-D only.
    """
    a = _to_python(in1)
    b = _to_python(in2)
    if a.ndim != 1:
        return convolve(in1, reverse_conj(in2, axes), mode, axes)
    n, k = a.size, b.size
    out = np.zeros(n + k - 1, dtype=_work_dtype(in1, in2))
    if out.dtype == object:
        out[:] = 0
    # full index l corresponds to lag l - (k - 1)
    for lag_index in range(n + k - 1):
        lag = lag_index - (k - 1)
        total = 0
        for j in range(k):
            if 0 <= lag + j < n:
                total = total + a[lag + j] * _conj(b[j])
        out[lag_index] = total
    return mode_window(out, (n,), (k,), mode)


def fits(values, dtype):
    """Whether every (Python int) entry of ``values`` fits integer ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return True
    info = np.iinfo(dtype)
    return all(info.min <= int(v) <= info.max for v in np.asarray(values, dtype=object).ravel())


def as_dtype(values, dtype):
    """Exact Python-int result cast to integer ``dtype`` (bool: OR of ANDs, i.e. > 0)."""
    dtype = np.dtype(dtype)
    values = np.asarray(values, dtype=object)
    if dtype == np.bool_:
        return np.array([v > 0 for v in values.ravel()], dtype=bool).reshape(values.shape)
    return np.array(values.tolist(), dtype=dtype).reshape(values.shape)


def convolution_matrix(a, n, mode="full"):
    """``A[i, j] = a[start + i - j]`` entry by entry (NumPy's modes for ``convolve``)."""
    a = np.asarray(a)
    m = a.size
    length = {"full": m + n - 1, "same": max(m, n), "valid": abs(m - n) + 1}[mode]
    start = (m + n - 1 - length) // 2
    matrix = np.zeros((length, n), dtype=a.dtype)
    for i in range(length):
        for j in range(n):
            if 0 <= start + i - j < m:
                matrix[i, j] = a[start + i - j]
    return matrix


def toeplitz(c, r=None):
    """``T[i, j] = c[i - j]`` for ``i >= j`` and ``r[j - i]`` above the diagonal."""
    c = np.asarray(c)
    r = np.conj(c) if r is None else np.asarray(r)
    matrix = np.zeros((c.size, r.size), dtype=np.result_type(c, r))
    for i in range(c.size):
        for j in range(r.size):
            matrix[i, j] = c[i - j] if i >= j else r[j - i]
    return matrix


def polymul(c1, c2):
    """Product of ascending-coefficient polynomials, exact for integers, trimmed."""
    product = convolve_full_1d(c1, c2)
    nonzero = [i for i, v in enumerate(product) if v != 0]
    return product[: nonzero[-1] + 1] if nonzero else product[:1]


def long_division(signal, divisor):
    """Quotient and remainder of ``signal / divisor`` (highest order first), in Python."""
    num = [complex(v) if np.iscomplexobj(signal) or np.iscomplexobj(divisor) else float(v)
           for v in np.asarray(signal)]
    den = [complex(v) if np.iscomplexobj(signal) or np.iscomplexobj(divisor) else float(v)
           for v in np.asarray(divisor)]
    if len(den) > len(num):
        return [], list(num)
    rem = list(num)
    quotient = []
    for i in range(len(num) - len(den) + 1):
        q = rem[i] / den[0]
        quotient.append(q)
        for j, d in enumerate(den):
            rem[i + j] -= q * d
    for i in range(len(quotient)):
        rem[i] = 0.0 * rem[i]  # cancelled exactly in exact arithmetic
    return quotient, rem


def l1(array):
    """Sum of absolute values, as a Python float."""
    return float(np.sum(np.abs(np.asarray(array, dtype=np.complex128))))


def l2(array):
    """Euclidean norm, as a Python float."""
    return float(math.sqrt(np.sum(np.abs(np.asarray(array, dtype=np.complex128)) ** 2)))


def linf(array):
    """Largest absolute value, as a Python float."""
    return float(np.max(np.abs(np.asarray(array, dtype=np.complex128))))


def _boundary_index(index, length, boundary):
    """Where position ``index`` of an axis of ``length`` samples reads from under
    ``boundary`` (``wrap``: periodic; ``symm``: mirrored with the edge repeated, period
    ``2 length``), or None for the fill value."""
    if 0 <= index < length:
        return index
    if boundary == "wrap":
        return index % length
    if boundary == "symm":
        folded = index % (2 * length)
        return folded if folded < length else 2 * length - 1 - folded
    return None


def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0, correlation=False):
    """``scipy.signal.convolve2d`` (or ``correlate2d``) by the defining double sum.

    ``S[i, j] = sum_{m, n} I(i - m, j - n) K(m, n)`` over the full index range, with the
    image ``I`` read beyond its edges by ``boundary`` sample by sample, then cut to
    ``mode`` as SciPy cuts it. ``correlation`` uses ``K = conj(in2[::-1, ::-1])`` and
    SciPy's ``correlate2d`` centring of ``same`` (the full correlation from index
    ``k // 2``, which differs from convolution for even ``k``). ``valid`` never reads the
    boundary (SciPy swaps the inputs when in2 is the larger). Python ints for integers.
    """
    a = _to_python(in1)
    b = _to_python(in2)
    if correlation:
        b = reverse_conj(b)
    if mode == "valid":
        boundary, fillvalue = "fill", 0
    windows = []
    for n, k in zip(a.shape, b.shape, strict=True):
        length = {"full": n + k - 1, "same": n, "valid": abs(n - k) + 1}[mode]
        start = k // 2 if (correlation and mode == "same") else (n + k - 1 - length) // 2
        windows.append(range(start, start + length))
    out = np.zeros((len(windows[0]), len(windows[1])), dtype=_work_dtype(in1, in2))
    if out.dtype == object:
        out[...] = 0
    for out_i, i in enumerate(windows[0]):
        for out_j, j in enumerate(windows[1]):
            total = 0
            for m in range(b.shape[0]):
                row = _boundary_index(i - m, a.shape[0], boundary)
                for n in range(b.shape[1]):
                    col = _boundary_index(j - n, a.shape[1], boundary)
                    value = fillvalue if row is None or col is None else a[row, col]
                    total = total + value * b[m, n]
            out[out_i, out_j] = total
    return out
