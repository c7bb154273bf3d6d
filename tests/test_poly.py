"""polymul, deconvolve, toeplitz, convolution_matrix and ToeplitzOperator."""

import zlib

import naive
import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import scipy.sparse.linalg
from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    FLOAT_DTYPES,
    INT_DTYPES,
    MODES,
    RTOL,
    arrays,
    conv_atol,
    lengths,
    random_array,
)

import sigconv as sc

npoly = np.polynomial.polynomial


def rng_for(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def wide(dtype):
    """float64 or complex128: the dtype the references compute in."""
    return np.complex128 if np.dtype(dtype).kind == "c" else np.float64


# --------------------------------------------------------------------------------------
# polymul
# --------------------------------------------------------------------------------------
POLY_CASES = [
    ([1, 2, 3], [4, 5, 6, 7]),
    ([1], [5]),
    ([0], [1, 2]),
    ([1, 2, 0, 0], [3, 0]),  # trailing zeros are trimmed before and after
    ([0, 0, 0], [0, 0]),  # the zero polynomial stays one coefficient long
    ([0, 1], [0, 0, 1]),
    ([2, -1, 0, 3, 0], [1, 1, 1, 0]),
]


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", FLOAT_DTYPES + INT_DTYPES)
@pytest.mark.parametrize("c1, c2", POLY_CASES)
def test_polymul_matches_numpy(c1, c2, dtype):
    if np.dtype(dtype).kind == "u":
        c1, c2 = np.abs(c1), np.abs(c2)
    c1 = np.array(c1, dtype=dtype)
    c2 = np.array(c2, dtype=dtype)
    expected = npoly.polymul(c1, c2)
    out = sc.polymul(c1, c2)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)  # small integers: exact either way


@pytest.mark.kernel
@given(st.sampled_from(FLOAT_DTYPES + INT_DTYPES), lengths(32), lengths(32), st.data(),
       st.integers(0, 4), st.integers(0, 4))
def test_polymul_property(dtype, n1, n2, data, zeros1, zeros2):
    c1 = np.concatenate((data.draw(arrays(dtype, n1)), np.zeros(zeros1, dtype)))
    c2 = np.concatenate((data.draw(arrays(dtype, n2)), np.zeros(zeros2, dtype)))
    expected = npoly.polymul(c1, c2)
    out = sc.polymul(c1, c2)
    assert out.dtype == expected.dtype
    assert out.shape == expected.shape
    exact = naive.polymul(c1, c2)
    assert out.size == exact.size
    if np.dtype(dtype).kind in "iu":
        # the exact integer product, rounded once to float64
        np.testing.assert_array_equal(out, np.array([float(v) for v in exact]))
    else:
        np.testing.assert_allclose(out, exact, rtol=RTOL[out.dtype],
                                   atol=conv_atol(c1, c2, out.dtype))
        np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype],
                                   atol=2 * conv_atol(c1, c2, out.dtype))


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16])
def test_polymul_integer_coefficients_do_not_overflow(dtype):
    """As in NumPy, integer coefficients give float64, so a product beyond the input's
    integer range is no overflow: (100 + 100 t)^2 = 10000 + 20000 t + 10000 t^2."""
    c = np.array([100, 100], dtype=dtype)
    expected = npoly.polymul(c, c)
    np.testing.assert_array_equal(expected, [10000.0, 20000.0, 10000.0])
    out = sc.polymul(c, c)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, expected)


@pytest.mark.kernel
def test_polymul_large_integers_exact():
    c1 = np.array([2**31 - 1, 0, -(2**31)], dtype=np.int64)
    c2 = np.array([2**31 - 1, 1], dtype=np.int64)
    exact = naive.polymul(c1, c2)
    out = sc.polymul(c1, c2)
    np.testing.assert_array_equal(out, np.array([float(v) for v in exact]))


# --------------------------------------------------------------------------------------
# deconvolve
# --------------------------------------------------------------------------------------
def _stable_divisor(rng, size, dtype):
    """A divisor whose leading coefficient dominates (a stable recursive filter)."""
    divisor = random_array(rng, size, dtype)
    divisor[0] = 1 + np.abs(divisor[1:]).sum() if size > 1 else 2
    return divisor.astype(dtype)


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.int64, np.float32])
@pytest.mark.parametrize("n, d", [(10, 3), (8, 8), (5, 1), (1, 1), (40, 7), (3, 6), (1, 4)])
def test_deconvolve_matches_scipy(n, d, dtype):
    rng = rng_for("deconvolve", n, d, dtype)
    signal = random_array(rng, n, dtype)
    divisor = _stable_divisor(rng, d, dtype) if np.dtype(dtype).kind != "i" else np.array(
        [3] + list(rng.integers(-1, 2, d - 1)), dtype=dtype)
    quotient, remainder = sc.deconvolve(signal, divisor)
    expected_q, expected_r = scipy.signal.deconvolve(signal, divisor)
    assert quotient.shape == (max(n - d + 1, 0),)
    assert remainder.shape == (n,)
    tol = 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10
    np.testing.assert_allclose(quotient, np.asarray(expected_q, dtype=wide(dtype)),
                               rtol=tol, atol=tol * naive.l1(signal))
    np.testing.assert_allclose(remainder, expected_r, rtol=tol, atol=tol * naive.l1(signal))
    ref_q, ref_r = naive.long_division(signal, divisor)
    np.testing.assert_allclose(quotient, np.array(ref_q, dtype=wide(dtype)), rtol=tol,
                               atol=tol * naive.l1(signal))
    np.testing.assert_allclose(remainder, np.array(ref_r, dtype=wide(dtype)), rtol=tol,
                               atol=tol * naive.l1(signal))


def test_deconvolve_divisor_longer_than_signal():
    signal = np.array([1.0, 2.0])
    quotient, remainder = sc.deconvolve(signal, [1.0, 2.0, 3.0])
    assert quotient.size == 0
    np.testing.assert_array_equal(remainder, signal)
    remainder[0] = 99.0  # a copy, not the caller's array
    assert signal[0] == 1.0


def test_deconvolve_exact_example():
    # (1 + 2t)(3 + t + t^2) written highest order first: [2, 7, 3, 3] / [1, 2]...
    quotient, remainder = sc.deconvolve([3.0, 7.0, 3.0, 2.0], [1.0, 2.0])
    np.testing.assert_allclose(quotient, [3.0, 1.0, 1.0], atol=1e-14)
    np.testing.assert_allclose(remainder, [0.0, 0.0, 0.0, 0.0], atol=1e-14)
    quotient, remainder = sc.deconvolve([1.0, 0.0, 0.0, 5.0], [1.0, 1.0])
    # 1 0 0 5 / 1 1 -> quotient 1 -1 1, remainder 0 0 0 4
    np.testing.assert_allclose(quotient, [1.0, -1.0, 1.0], atol=1e-14)
    np.testing.assert_allclose(remainder, [0.0, 0.0, 0.0, 4.0], atol=1e-14)


@pytest.mark.kernel
@given(st.sampled_from([np.float64, np.complex128, np.float32, np.complex64]), lengths(48),
       lengths(12), st.integers(0, 2**32 - 1))
def test_deconvolve_reconstructs_the_signal(dtype, n, d, seed):
    rng = np.random.default_rng(seed)
    signal = random_array(rng, n, dtype)
    divisor = _stable_divisor(rng, d, dtype)
    quotient, remainder = sc.deconvolve(signal, divisor)
    assert quotient.dtype == remainder.dtype == np.dtype(dtype)
    eps = float(np.finfo(dtype).eps)
    # |quotient| <= sum|signal| / (|d0| - sum|d1:|) = sum|signal| for this divisor
    scale = naive.l1(signal) * naive.l1(divisor)
    if n >= d:
        rebuilt = sc.convolve(divisor, quotient) + remainder
        np.testing.assert_allclose(rebuilt, signal, rtol=0, atol=8 * n * d * eps * scale)
        # the remainder has lower degree than the divisor: its leading entries vanish
        np.testing.assert_allclose(remainder[: n - d + 1], 0, atol=8 * n * d * eps * scale)
    else:
        assert quotient.size == 0
        np.testing.assert_array_equal(remainder, signal)


# --------------------------------------------------------------------------------------
# toeplitz
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOAT_DTYPES + INT_DTYPES + (np.bool_,))
@pytest.mark.parametrize("m, n", [(1, 1), (3, 4), (4, 3), (5, 5), (1, 6), (6, 1)])
@pytest.mark.parametrize("with_row", [True, False])
def test_toeplitz_matches_scipy(m, n, with_row, dtype):
    rng = rng_for("toeplitz", m, n, dtype)
    c = random_array(rng, m, dtype)
    r = random_array(rng, n, dtype) if with_row else None
    out = sc.toeplitz(c, r)
    expected = scipy.linalg.toeplitz(c, r)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(out, naive.toeplitz(c, r))
    out[0, 0] = out[-1, -1]  # a writeable copy, not a strided view
    assert out.flags.writeable and out.flags.owndata


def test_toeplitz_hermitian_default_row():
    c = np.array([2.0, 1 + 1j, -3j])
    out = sc.toeplitz(c)
    np.testing.assert_array_equal(out, out.conj().T)
    np.testing.assert_array_equal(out[0], np.conj(c))


def test_toeplitz_mixed_dtypes():
    out = sc.toeplitz(np.array([1, 2, 3]), np.array([1.5, 4j]))
    expected = scipy.linalg.toeplitz(np.array([1, 2, 3]), np.array([1.5, 4j]))
    assert out.dtype == expected.dtype == np.complex128
    np.testing.assert_array_equal(out, expected)


# --------------------------------------------------------------------------------------
# convolution_matrix
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.complex64, np.int32, np.float32])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("m, n", [(1, 1), (3, 5), (5, 3), (4, 4), (1, 7), (7, 1), (2, 9)])
def test_convolution_matrix_matches_scipy(m, n, mode, dtype):
    rng = rng_for("convmat", m, n, mode, dtype)
    a = random_array(rng, m, dtype)
    out = sc.convolution_matrix(a, n, mode)
    expected = scipy.linalg.convolution_matrix(a, n, mode)
    assert out.dtype == expected.dtype
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(out, naive.convolution_matrix(a, n, mode))


@pytest.mark.kernel
@given(st.sampled_from(FLOAT_DTYPES + (np.int64,)), lengths(24), lengths(24),
       st.sampled_from(MODES), st.integers(0, 2**32 - 1))
def test_convolution_matrix_times_vector_is_convolution(dtype, m, n, mode, seed):
    rng = np.random.default_rng(seed)
    a = random_array(rng, m, dtype)
    x = random_array(rng, n, dtype)
    matrix = sc.convolution_matrix(a, n, mode)
    # NumPy's modes ("same" is as long as the longer input)
    np.testing.assert_allclose(matrix @ x, np.convolve(a, x, mode),
                               rtol=RTOL.get(np.dtype(dtype), 0),
                               atol=conv_atol(a, x, dtype))
    # SciPy's modes in sigconv: "same" centres on the first input, so take the longer first
    longer, shorter = (a, x) if m >= n else (x, a)
    expected = sc.convolve(a, x) if mode == "full" else sc.convolve(longer, shorter, mode)
    if np.dtype(dtype).kind in "iu":
        np.testing.assert_array_equal(matrix @ x, expected)
    else:
        np.testing.assert_allclose(matrix @ x, expected, rtol=RTOL[np.dtype(dtype)],
                                   atol=conv_atol(a, x, dtype))


# --------------------------------------------------------------------------------------
# ToeplitzOperator
# --------------------------------------------------------------------------------------
@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32, np.complex64,
                                   np.int64])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("m, n", [(1, 1), (3, 8), (8, 3), (5, 5), (1, 6), (6, 1), (31, 200)])
def test_toeplitz_operator_matches_dense(m, n, mode, dtype):
    rng = rng_for("operator", m, n, mode, dtype)
    a = random_array(rng, m, dtype)
    operator = sc.ToeplitzOperator(a, n, mode)
    dense = scipy.linalg.convolution_matrix(a, n, mode).astype(operator.dtype)
    expected_dtype = np.dtype(dtype) if np.dtype(dtype).kind in "fc" else np.dtype(np.float64)
    assert operator.dtype == expected_dtype
    assert operator.shape == dense.shape
    rows = dense.shape[0]
    np.testing.assert_array_equal(operator.todense(), dense)
    assert operator.todense().dtype == expected_dtype

    work = wide(expected_dtype)
    tol = dict(rtol=RTOL[np.dtype(expected_dtype)],
               atol=4 * conv_atol(a, np.ones(max(m, n)), expected_dtype) * 3)
    x = random_array(rng, n, expected_dtype)
    y = random_array(rng, rows, expected_dtype)
    xs = random_array(rng, (n, 3), expected_dtype)
    ys = random_array(rng, (rows, 3), expected_dtype)
    dense_w = dense.astype(work)
    np.testing.assert_allclose(operator.matvec(x), dense_w @ x, **tol)
    np.testing.assert_allclose(operator @ x, dense_w @ x, **tol)
    np.testing.assert_allclose(operator.matvec(x.reshape(-1, 1)), (dense_w @ x).reshape(-1, 1),
                               **tol)
    np.testing.assert_allclose(operator.rmatvec(y), dense_w.conj().T @ y, **tol)
    np.testing.assert_allclose(operator.matmat(xs), dense_w @ xs, **tol)
    np.testing.assert_allclose(operator @ xs, dense_w @ xs, **tol)
    np.testing.assert_allclose(operator.rmatmat(ys), dense_w.conj().T @ ys, **tol)
    adjoint = operator.H
    assert adjoint.shape == (n, rows)
    np.testing.assert_allclose(adjoint @ y, dense_w.conj().T @ y, **tol)
    np.testing.assert_allclose(adjoint.matmat(ys), dense_w.conj().T @ ys, **tol)
    np.testing.assert_allclose(adjoint.rmatvec(x), dense_w @ x, **tol)
    np.testing.assert_allclose(adjoint.rmatmat(xs), dense_w @ xs, **tol)
    assert adjoint.H is operator
    np.testing.assert_allclose(operator.T @ y, dense_w.T @ y, **tol)
    np.testing.assert_allclose(operator.adjoint() @ y, dense_w.conj().T @ y, **tol)


@pytest.mark.kernel
@given(st.sampled_from([np.float64, np.complex128, np.complex64, np.float32]), lengths(32),
       lengths(32), st.sampled_from(MODES), st.integers(0, 2**32 - 1))
def test_toeplitz_operator_adjoint_identity(dtype, m, n, mode, seed):
    """<A x, y> == <x, A^H y> for random complex (or real) a, x, y."""
    rng = np.random.default_rng(seed)
    a = random_array(rng, m, dtype)
    operator = sc.ToeplitzOperator(a, n, mode)
    x = random_array(rng, n, dtype)
    y = random_array(rng, operator.shape[0], dtype)
    left = np.vdot(y.astype(wide(dtype)), operator.matvec(x))
    right = np.vdot(operator.rmatvec(y).astype(wide(dtype)), x)
    eps = float(np.finfo(dtype).eps)
    scale = naive.l1(a) * naive.l1(x) * naive.linf(y) + naive.l1(a) * naive.l1(y) * naive.linf(x)
    np.testing.assert_allclose(left, right, rtol=0, atol=8 * (m + n) * eps * scale)
    np.testing.assert_allclose(np.vdot(operator.H.matvec(y).astype(wide(dtype)), x), left,
                               rtol=0, atol=8 * (m + n) * eps * scale)


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_toeplitz_operator_lsqr_deconvolution_recovers_the_signal(dtype):
    rng = rng_for("lsqr", dtype)
    # 1 + 0.5 z + 0.25 z^2 has no zero on the unit circle: |A(w)| >= 0.25, so the full
    # convolution matrix has condition number <= 1.75 / 0.25 = 7
    kernel = np.array([1.0, 0.5, 0.25], dtype=dtype)
    if np.dtype(dtype).kind == "c":
        kernel = kernel * np.exp(0.3j)
    x_true = random_array(rng, 400, dtype)
    operator = sc.ToeplitzOperator(kernel, x_true.size)
    observed = operator @ x_true
    np.testing.assert_allclose(observed, np.convolve(kernel, x_true), atol=1e-12)
    result = scipy.sparse.linalg.lsqr(operator, observed, atol=1e-14, btol=1e-14,
                                      iter_lim=500)
    x_est = result[0]
    relative_error = np.linalg.norm(x_est - x_true) / np.linalg.norm(x_true)
    assert relative_error < 1e-9, relative_error
    # with noise the error stays within the condition number times the noise
    noise = 1e-3 * random_array(rng, observed.size, dtype)
    x_noisy = scipy.sparse.linalg.lsqr(operator, observed + noise, atol=1e-12, btol=1e-12,
                                       iter_lim=500)[0]
    assert np.linalg.norm(x_noisy - x_true) <= 7 * np.linalg.norm(noise)
