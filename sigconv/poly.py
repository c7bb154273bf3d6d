"""Polynomials and Toeplitz matrices: convolution as algebra.

Multiplying polynomials convolves their coefficients, and convolving with a fixed
sequence ``a`` is multiplying by the Toeplitz matrix ``A[i, j] = a[i - j]``. This module
offers both views with NumPy/SciPy's names -- :func:`polymul`, :func:`deconvolve`,
:func:`toeplitz`, :func:`convolution_matrix` -- and :class:`ToeplitzOperator`, which
applies that matrix by convolution without ever forming it.
"""

import numpy as np
from scipy.sparse.linalg import LinearOperator

from . import conv
from ._jit import jit
from ._validate import (
    as_nonempty_array,
    as_numeric_array,
    check_allocation,
    check_choice,
    check_native_precision,
    check_positive_int,
)
from .conv import convolve, correlate

__all__ = ["polymul", "deconvolve", "toeplitz", "convolution_matrix", "ToeplitzOperator"]

_MATRIX_MODES = ("full", "same", "valid")


def _trim_trailing_zeros(coefficients):
    """Drop trailing zero coefficients, keeping at least one (``numpy.polynomial``)."""
    nonzero = coefficients[::-1] != 0   # one byte per coefficient (no index array)
    last = coefficients.size - int(np.argmax(nonzero))
    return coefficients[:last] if nonzero.any() else coefficients[:1]


def polymul(c1, c2):
    """Multiply two polynomials given by ascending coefficients.

    Same result as :func:`numpy.polynomial.polynomial.polymul`: if
    ``p(t) = sum_i c1[i] t**i`` and ``s(t) = sum_j c2[j] t**j``, the product has the
    coefficients

    .. math:: \\delta_l = \\sum_{i + j = l} c_1[i]\\, c_2[j] = (c_1 * c_2)_l,

    the discrete convolution of the coefficient sequences.

    Parameters
    ----------
    c1, c2 : array_like
        1-D arrays of coefficients, lowest order first.

    Returns
    -------
    numpy.ndarray
        Coefficients of the product, lowest order first, trailing zeros trimmed. As in
        NumPy, integer coefficients give a float64 result (computed exactly in integers,
        then rounded once).

    Raises
    ------
    TypeError
        If a coefficient array is not numeric, boolean (NumPy refuses it too) or of
        extended precision.
    ValueError
        If a coefficient array is empty or not one-dimensional.
    MemoryError
        If the product would not fit (checked before allocating).

    See Also
    --------
    convolve, deconvolve, numpy.polynomial.polynomial.polymul

    Examples
    --------
    :math:`(1 + 2t + 3t^2)(4 + 5t + 6t^2 + 7t^3)`:

    >>> import sigconv as sc
    >>> sc.polymul([1, 2, 3], [4, 5, 6, 7])
    array([ 4., 13., 28., 34., 32., 21.])
    """
    c1 = _coefficients(c1, "c1")
    c2 = _coefficients(c2, "c2")
    # as NumPy: the coefficients are first brought to their common floating type
    dtype = np.dtype(np.common_type(c1, c2))
    # the product, with room for the masks that trim the zeros
    check_allocation("c1, c2", (c1.size + c2.size - 1,), dtype, copies=2)
    c1 = _trim_trailing_zeros(c1)
    c2 = _trim_trailing_zeros(c2)
    if c1.dtype.kind in "iu" and c2.dtype.kind in "iu":
        # the exact integer product (int64, or Python ints beyond), rounded once
        exact = conv._exact_integers(conv._Problem(c1, c2, "full", None))
        return _trim_trailing_zeros(exact.astype(dtype))
    product = convolve(c1.astype(dtype, copy=False), c2.astype(dtype, copy=False),
                       method="direct")
    return _trim_trailing_zeros(product)


def _coefficients(value, name):
    """A non-empty 1-D numeric array of NumPy's polynomial dtypes (not boolean, not
    extended precision), else a TypeError/ValueError naming ``name``."""
    array = as_nonempty_array(value, name, 1)
    if array.dtype.kind == "b":
        raise TypeError(f"{name} has dtype bool: coefficients must be integer, floating or "
                        "complex (as in numpy.polynomial)")
    check_native_precision(array.dtype, name)
    return array


@jit
def _long_division(num, den, quotient):
    """Quotient of polynomial long division, highest order first (a recursive filter)."""
    for i in range(quotient.shape[0]):
        value = num[i]
        for j in range(1, min(i, den.shape[0] - 1) + 1):
            value -= den[j] * quotient[i - j]
        quotient[i] = value / den[0]


def deconvolve(signal, divisor):
    """Deconvolve ``divisor`` out of ``signal``: polynomial long division.

    Same result as :func:`scipy.signal.deconvolve`: the quotient and remainder with
    ``signal = convolve(divisor, quotient) + remainder``.

    Parameters
    ----------
    signal : array_like
        1-D dividend (highest order first, as in NumPy's ``polydiv``).
    divisor : array_like
        1-D divisor; its first entry must be nonzero.

    Returns
    -------
    quotient : numpy.ndarray
        Length ``len(signal) - len(divisor) + 1`` (empty if the divisor is longer).
        Of the inputs' floating or complex type (integers and booleans give float64;
        float16 is divided in float32 and rounded once; SciPy always gives float64 or
        complex128).
    remainder : numpy.ndarray
        Same length as ``signal``, same dtype as ``quotient``.

    Raises
    ------
    TypeError
        If an input is not numeric, or of extended precision.
    ValueError
        If an input is empty or not 1-D, or ``divisor[0] == 0``.
    MemoryError
        If the quotient and remainder would not fit (checked before allocating).

    See Also
    --------
    convolve, ToeplitzOperator : deconvolution as a least-squares problem.

    Examples
    --------
    >>> import sigconv as sc
    >>> quotient, remainder = sc.deconvolve([3.0, 7.0, 3.0, 2.0], [1.0, 2.0])
    >>> quotient
    array([3., 1., 1.])
    >>> remainder
    array([0., 0., 0., 0.])
    """
    num = as_nonempty_array(signal, "signal", 1)
    den = as_nonempty_array(divisor, "divisor", 1)
    check_native_precision(num.dtype, "signal")
    check_native_precision(den.dtype, "divisor")
    if den[0] == 0:
        raise ValueError("divisor[0] must be nonzero (the leading coefficient divides)")
    dtype = np.result_type(num, den)
    if dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    half = dtype == np.float16   # numba has no half precision: divide in float32
    if half:
        dtype = np.dtype(np.float32)
    # contiguous copies of both, the quotient, the product and the remainder
    check_allocation("signal, divisor", (num.size,), dtype, copies=4,
                     what="the quotient and remainder")
    num = num.astype(dtype, copy=False)
    den = den.astype(dtype, copy=False)
    if den.size > num.size:
        quotient, remainder = np.array([], dtype=dtype), num.copy()
    else:
        quotient = np.empty(num.size - den.size + 1, dtype=dtype)
        _long_division(np.ascontiguousarray(num), np.ascontiguousarray(den), quotient)
        remainder = num - convolve(den, quotient)
    if half:
        return quotient.astype(np.float16), remainder.astype(np.float16)
    return quotient, remainder


def toeplitz(c, r=None):
    """Toeplitz matrix with first column ``c`` and first row ``r``.

    Same result as :func:`scipy.linalg.toeplitz`: ``T[i, j] = c[i - j]`` below the
    diagonal and ``r[j - i]`` above it; ``r[0]`` is ignored.

    Parameters
    ----------
    c : array_like
        1-D first column.
    r : array_like, optional
        1-D first row. Defaults to ``conj(c)`` (a Hermitian matrix for real ``c[0]``).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(c), len(r))``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If an input is empty or not one-dimensional.
    MemoryError
        If the matrix would not fit (checked before allocating).

    See Also
    --------
    convolution_matrix, ToeplitzOperator

    Examples
    --------
    >>> import sigconv as sc
    >>> sc.toeplitz([1, 2, 3], [1, 4, 5, 6])
    array([[1, 4, 5, 6],
           [2, 1, 4, 5],
           [3, 2, 1, 4]])
    """
    c = as_nonempty_array(c, "c", 1)
    r = c if r is None else as_nonempty_array(r, "r", 1)
    # the matrix (with room for the diagonals' values) before any copy of the inputs
    check_allocation("c, r", (c.size, r.size), np.result_type(c, r))
    if r is c:
        r = conv.conjugate(c, "c")
    # every diagonal reads one entry of [c reversed, r[1:]]: a strided view, then a copy
    values = np.concatenate((c[::-1], r[1:]))
    stride = values.strides[0]
    view = np.lib.stride_tricks.as_strided(
        values[c.size - 1:], shape=(c.size, r.size), strides=(-stride, stride), writeable=False
    )
    return view.copy()


def _matrix_window(m, n, mode):
    """Rows of the full convolution matrix that ``mode`` keeps: ``(start, length)``.

    ``same`` keeps ``max(m, n)`` rows, centred, as :func:`numpy.convolve` and
    :func:`scipy.linalg.convolution_matrix` do.
    """
    full = m + n - 1
    length = {"full": full, "same": max(m, n), "valid": abs(m - n) + 1}[mode]
    return (full - length) // 2, length


def _check_matrix_args(a, n, mode):
    a = as_nonempty_array(a, "a", 1)
    n = check_positive_int(n, "n")
    check_choice(mode, "mode", _MATRIX_MODES)
    return a, n, mode


def convolution_matrix(a, n, mode="full"):
    """The Toeplitz matrix ``A`` with ``A @ v == numpy.convolve(a, v, mode)``.

    Same result as :func:`scipy.linalg.convolution_matrix`. Forming it costs
    ``O(len(a) * n)`` memory; :class:`ToeplitzOperator` applies it without doing so.

    Parameters
    ----------
    a : array_like
        1-D sequence to convolve with.
    n : int
        Length of the vectors the matrix multiplies (its number of columns).
    mode : {"full", "same", "valid"}, default "full"
        Rows kept, as in :func:`numpy.convolve`: ``len(a) + n - 1``, ``max(len(a), n)``
        or ``max(len(a), n) - min(len(a), n) + 1``.

    Returns
    -------
    numpy.ndarray
        Shape ``(rows, n)`` with ``A[i, j] = a[start + i - j]`` (zero outside ``a``).

    Raises
    ------
    TypeError
        If ``a`` is not numeric or ``n`` not an integer (booleans included).
    ValueError
        If ``a`` is empty or not 1-D, ``n < 1``, or ``mode`` is unknown.
    MemoryError
        If the matrix would not fit (checked before allocating): use
        :class:`ToeplitzOperator`.

    See Also
    --------
    ToeplitzOperator, toeplitz

    Examples
    --------
    The lecture's matrix for :math:`p(t) = 1 + 2t + 3t^2` times a cubic:

    >>> import sigconv as sc
    >>> sc.convolution_matrix([1, 2, 3], 4)
    array([[1, 0, 0, 0],
           [2, 1, 0, 0],
           [3, 2, 1, 0],
           [0, 3, 2, 1],
           [0, 0, 3, 2],
           [0, 0, 0, 3]])
    """
    a, n, mode = _check_matrix_args(a, n, mode)
    start, length = _matrix_window(a.size, n, mode)
    check_allocation("a, n", (length, n), a.dtype, what="the convolution matrix")
    padded = np.concatenate((np.zeros(n - 1, a.dtype), a, np.zeros(length + n, a.dtype)))
    # A[i, j] = a[start + i - j] = padded[n - 1 + start + i - j]
    column = padded[n - 1 + start:n - 1 + start + length]
    row = padded[n - 1 + start - np.arange(n)]
    return toeplitz(column, row)


class _CheckedProducts(LinearOperator):
    """The products of a :class:`~scipy.sparse.linalg.LinearOperator`, their operand
    checked first: numeric, native precision, the right length (SciPy's own message is
    "dimension mismatch"), and cast to the operator's floating dtype (integer vectors
    are not convolved as exact integers that could overflow)."""

    def _operand(self, value, name, rows, matrix):
        array = as_numeric_array(value, name)
        check_native_precision(array.dtype, name)
        shape = f"({rows}, k)" if matrix else f"({rows},) or ({rows}, 1)"
        if (array.ndim != 2 if matrix else array.shape not in ((rows,), (rows, 1))) or (
                array.shape[0] != rows):
            raise ValueError(f"{name} must have shape {shape} for this operator of shape "
                             f"{self.shape}, got {array.shape}")
        dtype = np.result_type(array.dtype, self.dtype)
        if array.dtype != dtype:   # a broadcast view of 1e10 elements costs no memory
            check_allocation(name, array.shape, dtype, what=f"{name} cast to {dtype}")
        return array.astype(dtype, copy=False)

    def matvec(self, x):
        return super().matvec(self._operand(x, "x", self.shape[1], False))

    def rmatvec(self, x):
        return super().rmatvec(self._operand(x, "y", self.shape[0], False))

    def matmat(self, X):
        X = self._operand(X, "X", self.shape[1], True)
        if X.shape[1] == 0:
            return np.zeros((self.shape[0], 0), X.dtype)
        return super().matmat(X)

    def rmatmat(self, X):
        X = self._operand(X, "Y", self.shape[0], True)
        if X.shape[1] == 0:
            return np.zeros((self.shape[1], 0), X.dtype)
        return super().rmatmat(X)


class _ConvolutionOperator(_CheckedProducts):
    """A matrix-free operator given by ``_apply(X)`` and ``_apply_adjoint(Y)``.

    Subclasses implement both for blocks of column vectors (shape ``(rows, k)``); the
    vector, block and adjoint products of :class:`~scipy.sparse.linalg.LinearOperator`
    all come from those two.
    """

    def _matvec(self, x):
        return self._apply(np.reshape(x, (-1, 1)))[:, 0]

    def _rmatvec(self, y):
        return self._apply_adjoint(np.reshape(y, (-1, 1)))[:, 0]

    def _matmat(self, x):
        return self._apply(x)

    def _rmatmat(self, y):
        return self._apply_adjoint(y)

    def _adjoint(self):
        return _AdjointOperator(self)


class ToeplitzOperator(_ConvolutionOperator):
    """The convolution matrix of ``a`` as a :class:`scipy.sparse.linalg.LinearOperator`.

    ``A @ x`` is ``numpy.convolve(a, x, mode)`` computed by :func:`sigconv.convolve`, and
    ``A.H @ y`` is the matching correlation, so the matrix of :func:`convolution_matrix`
    is never formed: memory ``O(len(a) + n)`` and time ``O((len(a) + n) log)`` or better
    per product. It works with SciPy's iterative solvers (deconvolution by
    :func:`scipy.sparse.linalg.lsqr`).

    Parameters
    ----------
    a : array_like
        1-D sequence to convolve with.
    n : int
        Length of the vectors the operator multiplies.
    mode : {"full", "same", "valid"}, default "full"
        Rows kept, as in :func:`convolution_matrix`.

    Attributes
    ----------
    a : numpy.ndarray
        The sequence.
    mode : str
        The mode.
    shape : tuple of int
        ``(rows, n)``.
    dtype : numpy.dtype
        Floating or complex dtype of the products.

    Raises
    ------
    TypeError
        If ``a`` is not numeric or of extended precision, or ``n`` not an integer.
    ValueError
        If ``a`` is empty or not 1-D, ``n < 1``, or ``mode`` is unknown.

    See Also
    --------
    convolution_matrix, scipy.sparse.linalg.lsqr

    Notes
    -----
    With ``A[i, j] = a[s + i - j]`` (``s`` the first row the mode keeps), the adjoint is
    ``(A^H y)[j] = sum_i conj(a[s + i - j]) y[i]``, a cross-correlation of ``y`` with
    ``a``.

    The products check their operand first (a TypeError for a non-numeric one, a
    ValueError naming ``x``, ``y``, ``X`` or ``Y`` for a wrong length, where SciPy says
    "dimension mismatch") and compute in ``numpy.result_type(x, self.dtype)``.

    Examples
    --------
    >>> import numpy as np
    >>> import sigconv as sc
    >>> A = sc.ToeplitzOperator([1.0, 2.0, 3.0], 4)
    >>> A.shape
    (6, 4)
    >>> A @ np.array([1.0, 0.0, 0.0, 1.0])
    array([1., 2., 3., 1., 2., 3.])
    >>> np.array_equal(A.todense(), sc.convolution_matrix([1.0, 2.0, 3.0], 4))
    True
    """

    def __init__(self, a, n, mode="full"):
        a, n, mode = _check_matrix_args(a, n, mode)
        check_native_precision(a.dtype, "a")
        if a.size + n > np.iinfo(np.intp).max:
            raise ValueError(f"n = {n} with len(a) = {a.size} is beyond NumPy's largest "
                             f"array length ({np.iinfo(np.intp).max})")
        dtype = np.result_type(a.dtype, np.float16 if a.dtype.kind in "fc" else np.float64)
        self.a = a
        self.mode = mode
        self._start, length = _matrix_window(a.size, n, mode)
        super().__init__(dtype=dtype, shape=(length, n))

    def _apply(self, x):
        """``A @ x`` for ``x`` of shape ``(n, k)``: convolve along axis 0."""
        full = convolve(self.a.reshape(-1, 1), x, axes=0)
        return full[self._start:self._start + self.shape[0]]

    def _apply_adjoint(self, y):
        """``A^H @ y`` for ``y`` of shape ``(rows, k)``: correlate along axis 0."""
        offset = self.a.size - 1 - self._start
        full = correlate(y, self.a.reshape(-1, 1), axes=0)
        return full[offset:offset + self.shape[1]]

    def todense(self):
        """The matrix itself, as :func:`convolution_matrix` forms it.

        Returns
        -------
        numpy.ndarray
            Shape ``self.shape``, dtype ``self.dtype``.
        """
        check_allocation("a, n", self.shape, self.dtype, copies=2,
                         what="the dense matrix")
        return convolution_matrix(self.a, self.shape[1], self.mode).astype(self.dtype)


class _AdjointOperator(_CheckedProducts):
    """``A^H`` of a :class:`_ConvolutionOperator`, applied by its adjoint (correlation)."""

    def __init__(self, operator):
        self._operator = operator
        super().__init__(dtype=operator.dtype, shape=operator.shape[::-1])

    def _matvec(self, y):
        return self._operator._rmatvec(y)

    def _rmatvec(self, x):
        return self._operator._matvec(x)

    def _matmat(self, y):
        return self._operator._rmatmat(y)

    def _rmatmat(self, x):
        return self._operator._matmat(x)

    def _adjoint(self):
        return self._operator
