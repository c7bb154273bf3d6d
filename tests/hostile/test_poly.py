"""Hostile inputs for sigconv.poly: polymul, deconvolve, toeplitz, convolution_matrix and
ToeplitzOperator (its products included).

Every case ends in the oracle's value (NumPy, SciPy, or the exact loops of naive.py) or in
a documented exception whose message names the argument.
"""


import harness
import naive
import numpy as np
import pytest
import scipy.linalg
import scipy.signal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import sigconv as sc

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
NUMERIC = [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.uint64, np.float16,
           np.float32, np.float64, np.complex64, np.complex128]
EXTENDED = [np.longdouble, np.clongdouble]


def small_arrays(dtype, min_side=1, max_side=6):
    """1-D arrays of ``dtype`` with small values (limits tested separately)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        elements = st.booleans()
    elif dtype.kind in "iu":
        elements = st.integers(0 if dtype.kind == "u" else -9, 9)
    else:
        elements = st.sampled_from([0.0, 1.0, -2.0, 0.5, 3.0])
    return hnp.arrays(dtype, st.integers(min_side, max_side), elements=elements)


# --------------------------------------------------------------------------------------
# polymul
# --------------------------------------------------------------------------------------
@SETTINGS
@given(st.sampled_from(NUMERIC), st.sampled_from(NUMERIC), st.data())
def test_polymul_every_dtype(dtype1, dtype2, data):
    c1 = data.draw(small_arrays(dtype1))
    c2 = data.draw(small_arrays(dtype2))
    out = harness.outcome(("c1", "c2"), sc.polymul, c1, c2)
    if np.dtype(dtype1) == np.bool_ or np.dtype(dtype2) == np.bool_:
        assert out is None   # NumPy refuses booleans too (without naming them)
        with pytest.raises((TypeError, ValueError)):
            np.polynomial.polynomial.polymul(c1, c2)
        return
    expected = np.polynomial.polynomial.polymul(c1, c2)
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=1e-3)


@pytest.mark.parametrize("c1, c2", [
    ([2**60 + 1, 1], [2**60 - 1, -1]),
    ([np.iinfo(np.int64).max, np.iinfo(np.int64).min], [np.iinfo(np.int64).max, 1]),
    ([2**63 + 7, 3], [2**63 - 1, 1]),
])
def test_polymul_integers_exact_then_rounded_once(c1, c2):
    dtype = np.uint64 if max(c1 + c2) >= 2**63 else np.int64
    out = sc.polymul(np.array(c1, dtype), np.array(c2, dtype))
    exact = naive.convolve_full_1d(np.array(c1, dtype), np.array(c2, dtype))
    np.testing.assert_array_equal(out, [float(v) for v in exact])


@pytest.mark.parametrize("dtype", EXTENDED + [object, "U3", "M8[s]"])
def test_polymul_refuses_other_dtypes_by_name(dtype):
    bad = np.ones(3, dtype) if np.dtype(dtype).kind in "fc" else np.zeros(3, dtype)
    assert harness.outcome("c1", sc.polymul, bad, [1.0], kinds=(TypeError,)) is None
    assert harness.outcome("c2", sc.polymul, [1.0], bad, kinds=(TypeError,)) is None
    for shape in ((0,), (2, 2)):
        assert harness.outcome("c1", sc.polymul, np.ones(shape), [1.0],
                               kinds=(ValueError,)) is None


def test_polymul_keeps_nan():
    out = sc.polymul([1.0, np.nan], [1.0, 1.0])
    np.testing.assert_array_equal(np.isnan(out), [False, True, True])


def test_polymul_near_overflow_is_exact_not_nan():
    """(1e308 + 1e308 t)(2 - 2 t) = 2e308 - 2e308 t**2: inf, 0, -inf (NumPy's polymul
    sums 2e308 - 2e308 in the middle: NaN)."""
    np.testing.assert_array_equal(sc.polymul([1e308, 1e308], [2.0, -2.0]),
                                  [np.inf, 0.0, -np.inf])
    quotient, remainder = sc.deconvolve([1e308, 0.0, -1e308], [1.0, 1.0])
    np.testing.assert_array_equal(quotient, [1e308, -1e308])
    np.testing.assert_array_equal(remainder, [0.0, 0.0, 0.0])


# --------------------------------------------------------------------------------------
# deconvolve
# --------------------------------------------------------------------------------------
@SETTINGS
@given(st.sampled_from(NUMERIC), st.sampled_from(NUMERIC), st.data())
def test_deconvolve_every_dtype(dtype1, dtype2, data):
    """Every numeric dtype: SciPy's quotient and remainder (SciPy computes in float64;
    float32/complex64 keep their precision here, float16 is divided in float32)."""
    signal = data.draw(small_arrays(dtype1))
    divisor = data.draw(small_arrays(dtype2))
    if divisor[0] == 0:
        assert harness.outcome("divisor", sc.deconvolve, signal, divisor,
                               kinds=(ValueError,)) is None
        return
    quotient, remainder = sc.deconvolve(signal, divisor)
    dtype = np.result_type(signal, divisor)
    expected_dtype = np.float64 if dtype.kind in "biu" else dtype
    assert quotient.dtype == remainder.dtype == expected_dtype
    expected_q, expected_r = (np.asarray(v) for v in scipy.signal.deconvolve(
        signal.astype(np.complex128), divisor.astype(np.complex128)))
    if quotient.size == 0:
        assert signal.size < divisor.size
    np.testing.assert_array_equal(remainder.shape, signal.shape)
    tolerance = {np.dtype(np.float16): 5e-2, np.dtype(np.float32): 1e-3,
                 np.dtype(np.complex64): 1e-3}.get(np.dtype(expected_dtype), 1e-9)
    scale = max([1.0] + [float(np.abs(v).max()) for v in (expected_q, signal) if v.size])
    if expected_dtype == np.float16 and scale > 1e4:
        return   # beyond half precision's range: inf is the right answer there
    np.testing.assert_allclose(quotient, expected_q, rtol=tolerance, atol=tolerance * scale)
    np.testing.assert_allclose(remainder, expected_r, rtol=tolerance,
                               atol=tolerance * scale * 10 * divisor.size)


@pytest.mark.parametrize("dtype", EXTENDED + [object, "U3", "m8[s]"])
def test_deconvolve_refuses_other_dtypes_by_name(dtype):
    bad = np.ones(3, dtype) if np.dtype(dtype).kind in "fc" else np.zeros(3, dtype)
    if np.dtype(dtype).kind == "O":
        bad[:] = 1
    assert harness.outcome("signal", sc.deconvolve, bad, [1.0], kinds=(TypeError,)) is None
    assert harness.outcome("divisor", sc.deconvolve, [1.0, 2.0], bad,
                           kinds=(TypeError,)) is None


def test_deconvolve_shapes_and_zero_leading_coefficient():
    for signal, divisor, name in [([], [1.0], "signal"), ([1.0], [], "divisor"),
                                  ([[1.0]], [1.0], "signal"), ([1.0], [[1.0]], "divisor"),
                                  ([1.0, 2.0], [0.0, 1.0], "divisor"),
                                  (1.0, [1.0], "signal")]:
        assert harness.outcome(name, sc.deconvolve, signal, divisor,
                               kinds=(ValueError,)) is None


def test_deconvolve_nan_divisor_gives_nan_as_scipy():
    quotient, _ = sc.deconvolve([1.0, 2.0, 3.0], [np.nan, 1.0])
    expected, _ = scipy.signal.deconvolve([1.0, 2.0, 3.0], [np.nan, 1.0])
    np.testing.assert_array_equal(np.isnan(quotient), np.isnan(expected))


# --------------------------------------------------------------------------------------
# toeplitz and convolution_matrix
# --------------------------------------------------------------------------------------
@SETTINGS
@given(st.sampled_from(NUMERIC + [np.longdouble]), st.sampled_from(NUMERIC), st.data(),
       st.booleans())
def test_toeplitz_every_dtype(dtype1, dtype2, data, with_row):
    c = data.draw(small_arrays(dtype1))
    r = data.draw(small_arrays(dtype2)) if with_row else None
    out = sc.toeplitz(c, r)
    expected = scipy.linalg.toeplitz(c, r)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


@SETTINGS
@given(st.sampled_from(NUMERIC), st.data(), st.integers(1, 8),
       st.sampled_from(["full", "same", "valid"]))
def test_convolution_matrix_every_dtype(dtype, data, n, mode):
    a = data.draw(small_arrays(dtype))
    out = sc.convolution_matrix(a, n, mode)
    expected = scipy.linalg.convolution_matrix(a, n, mode)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("n", harness.BAD_COUNTS)
def test_convolution_matrix_bad_counts_are_refused_by_name(n):
    kinds = (TypeError, ValueError, MemoryError)
    assert harness.outcome("n", sc.convolution_matrix, [1.0, 2.0], n, kinds=kinds) is None
    assert harness.outcome("n", sc.ToeplitzOperator, [1.0, 2.0], n, kinds=kinds) is None


def test_toeplitz_and_matrix_argument_errors():
    for c, r, name in [([], None, "c"), ([[1.0]], None, "c"), ([1.0], [], "r"),
                       ([1.0], [[1.0]], "r")]:
        assert harness.outcome(name, sc.toeplitz, c, r, kinds=(ValueError,)) is None
    for bad in (None, "text", [[1, 2], [3]], np.zeros(2, "M8[s]")):
        assert harness.outcome("c", sc.toeplitz, bad, kinds=(TypeError,)) is None
        assert harness.outcome("a", sc.convolution_matrix, bad, 3,
                               kinds=(TypeError,)) is None
    for mode in (None, "FULL", 1, ""):
        assert harness.outcome("mode", sc.convolution_matrix, [1.0], 3, mode,
                               kinds=(ValueError,)) is None
        assert harness.outcome("mode", sc.ToeplitzOperator, [1.0], 3, mode,
                               kinds=(ValueError,)) is None


# --------------------------------------------------------------------------------------
# ToeplitzOperator products
# --------------------------------------------------------------------------------------
@SETTINGS
@given(st.sampled_from(NUMERIC), st.sampled_from(NUMERIC), st.data(), st.integers(1, 6),
       st.sampled_from(["full", "same", "valid"]))
def test_operator_products_every_dtype(dtype_a, dtype_x, data, n, mode):
    a = data.draw(small_arrays(dtype_a))
    A = sc.ToeplitzOperator(a, n, mode)
    x = data.draw(small_arrays(dtype_x, n, n))
    y = data.draw(small_arrays(dtype_x, A.shape[0], A.shape[0]))
    matrix = scipy.linalg.convolution_matrix(a, n, mode).astype(np.complex128)
    np.testing.assert_allclose(A @ x, matrix @ x.astype(np.complex128), rtol=1e-2,
                               atol=1e-2)
    np.testing.assert_allclose(A.H @ y, matrix.conj().T @ y.astype(np.complex128),
                               rtol=1e-2, atol=1e-2)
    # the adjoint identity <A x, y> == <x, A^H y>
    left = np.vdot(y.astype(np.complex128), (A @ x).astype(np.complex128))
    right = np.vdot((A.H @ y).astype(np.complex128), x.astype(np.complex128))
    assert abs(left - right) <= 1e-2 * max(1.0, abs(left))
    assert (A @ x).dtype == np.result_type(x, A.dtype)


def test_operator_products_check_their_operand():
    A = sc.ToeplitzOperator([1.0, 2.0], 3)      # shape (4, 3)
    cases = [
        (A.matvec, np.ones(4), "x", ValueError), (A.matvec, np.ones((3, 2)), "x", ValueError),
        (A.matvec, np.array(["a", "b", "c"]), "x", TypeError),
        (A.matvec, np.ones(3, np.longdouble), "x", TypeError),
        (A.matvec, None, "x", TypeError), (A.matvec, [[1, 2], [3]], "x", TypeError),
        (A.rmatvec, np.ones(3), "y", ValueError), (A.matmat, np.ones(3), "X", ValueError),
        (A.matmat, np.ones((3, 2, 2)), "X", ValueError),
        (A.rmatmat, np.ones((3, 2)), "Y", ValueError),
        (A.H.matvec, np.ones(3), "x", ValueError), (A.__matmul__, np.ones(5), "x", ValueError),
    ]
    for method, operand, name, kind in cases:
        assert harness.outcome(name, method, operand, kinds=(kind,)) is None, (method, name)
    assert (A @ np.ones((3, 0))).shape == (4, 0)
    # integer vectors: computed in the operator's floating dtype, no overflow
    big = np.array([2**62, 2**62, 2**62])
    np.testing.assert_allclose(A @ big, np.convolve([1.0, 2.0], big.astype(float)))
    A16 = sc.ToeplitzOperator(np.ones(2, np.float16), 3)
    assert (A16 @ np.ones(3, np.float16)).dtype == np.float16


# --------------------------------------------------------------------------------------
# sizes: refused before allocating, naming the arguments (a child process, 2 GiB cap)
# --------------------------------------------------------------------------------------
ALLOCATION_CASES = {
    "convolution_matrix": ("sc.convolution_matrix(np.ones(10**5), 10**5)", "a, n"),
    "convolution_matrix_2**70": ("sc.convolution_matrix(np.ones(10), 2**70)", "a, n"),
    "toeplitz": ("sc.toeplitz(np.broadcast_to(1.0, 10**6))", "c, r"),
    "toeplitz_row": ("sc.toeplitz([1.0], np.broadcast_to(1.0, 10**10))", "c, r"),
    # the default row conj(c): the matrix is checked before the conjugate's copy
    "toeplitz_complex": ("sc.toeplitz(np.broadcast_to(1j, 10**10))", "c, r"),
    "todense": ("sc.ToeplitzOperator(np.ones(10), 10**6).todense()", "a, n"),
    "deconvolve": ("sc.deconvolve(np.broadcast_to(1.0, 10**10), [1.0])",
                   "signal, divisor"),
    "polymul": ("sc.polymul(np.broadcast_to(1.0, 10**10), np.broadcast_to(1.0, 10**10))",
                "c1, c2"),
    "polymul_ints": ("sc.polymul(np.broadcast_to(2**40, 10**8), "
                     "np.broadcast_to(2**40, 10**8))", "c1, c2"),
    "operator_matvec": ("sc.ToeplitzOperator(np.ones(3), 10**10) @ "
                        "np.broadcast_to(1.0, 10**10)", "in1, in2"),
    # a 3-sample result, but the operand's cast to the operator's complex dtype is whole
    "operator_rmatvec_cast": ("sc.ToeplitzOperator(np.broadcast_to(1j, 10**10), 3)"
                              ".rmatvec(np.broadcast_to(1.0, 10**10 + 2))", "y"),
}


def test_allocations_are_refused_by_name():
    harness.assert_isolated_memory_errors(ALLOCATION_CASES)
