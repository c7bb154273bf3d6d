"""convolve / correlate / fftconvolve / oaconvolve / choose_conv_method.

Three kinds of checks: algebraic properties drawn by Hypothesis, agreement with the slow
references of ``naive.py`` (exact for integers), and parity with SciPy/NumPy.
"""

import itertools
import warnings
import zlib

import naive
import numpy as np
import pytest
import scipy.signal
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import (
    ALL_DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
    METHODS,
    MODES,
    RTOL,
    arrays,
    assert_conv_equal,
    check_exact_or_overflow,
    conv_atol,
    int_dtype,
    lengths,
    pairs,
    random_array,
)

import sigconv as sc
from sigconv import _config

#: integer dtypes whose small random values keep an FFT's rounding far below 0.5, so that
#: a forced FFT rounds back to the exact result
FFT_EXACT_INT_DTYPES = (np.int8, np.int16, np.uint8, np.bool_)


def rng_for(*key):
    """A generator seeded from a test's parameters (stable across runs and processes)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def covers(shape1, shape2, axes=None):
    axes = range(len(shape1)) if axes is None else axes
    n1 = [shape1[a] for a in axes]
    n2 = [shape2[a] for a in axes]
    pairs_ = list(zip(n1, n2, strict=True))
    return all(a >= b for a, b in pairs_) or all(b >= a for a, b in pairs_)


def method_allowed(method, dtype):
    return method == "direct" or np.dtype(dtype).kind in "fc" or dtype in FFT_EXACT_INT_DTYPES


# --------------------------------------------------------------------------------------
# against the naive references
# --------------------------------------------------------------------------------------
@pytest.mark.kernel
@given(pairs(), st.sampled_from(METHODS))
def test_convolve_matches_naive(pair, method):
    in1, in2, mode = pair
    assume(method_allowed(method, in1.dtype))
    expected = naive.convolve(in1, in2, mode)
    if int_dtype(in1.dtype):
        check_exact_or_overflow(lambda: sc.convolve(in1, in2, mode, method), expected, in1.dtype)
    else:
        out = sc.convolve(in1, in2, mode, method)
        assert out.dtype == in1.dtype
        assert_conv_equal(out, expected, in1, in2)


@pytest.mark.kernel
@given(pairs(), st.sampled_from(METHODS))
def test_correlate_matches_naive_and_reversed_conj_convolution(pair, method):
    in1, in2, mode = pair
    assume(method_allowed(method, in1.dtype))
    expected = naive.correlate(in1, in2, mode)
    flipped = np.conj(in2[::-1]) if in2.dtype.kind == "c" else in2[::-1]
    if int_dtype(in1.dtype):
        check_exact_or_overflow(lambda: sc.correlate(in1, in2, mode, method), expected,
                                in1.dtype)
        check_exact_or_overflow(lambda: sc.convolve(in1, flipped, mode, method), expected,
                                in1.dtype)
    else:
        out = sc.correlate(in1, in2, mode, method)
        assert out.dtype == in1.dtype
        assert_conv_equal(out, expected, in1, in2)
        assert_conv_equal(out, sc.convolve(in1, flipped, mode, method), in1, in2)


@given(st.sampled_from(FLOAT_DTYPES + FFT_EXACT_INT_DTYPES), lengths(12), lengths(12),
       lengths(6), lengths(6), st.sampled_from(MODES), st.integers(0, 2**32 - 1),
       st.sampled_from(METHODS))
@pytest.mark.kernel
def test_convolve_2d_matches_naive(dtype, n1, n2, k1, k2, mode, seed, method):
    rng = np.random.default_rng(seed)
    in1 = random_array(rng, (n1, n2), dtype)
    in2 = random_array(rng, (k1, k2), dtype)
    assume(mode != "valid" or covers(in1.shape, in2.shape))
    expected = naive.convolve(in1, in2, mode)
    if int_dtype(dtype):
        check_exact_or_overflow(lambda: sc.convolve(in1, in2, mode, method), expected, dtype)
    else:
        assert_conv_equal(sc.convolve(in1, in2, mode, method), expected, in1, in2)


# --------------------------------------------------------------------------------------
# algebra
# --------------------------------------------------------------------------------------
@pytest.mark.kernel
@given(pairs(modes=("full",)), st.sampled_from(METHODS))
def test_commutative(pair, method):
    a, b, _ = pair
    assume(method_allowed(method, a.dtype))
    expected = naive.convolve_full(a, b)
    if int_dtype(a.dtype):
        check_exact_or_overflow(lambda: sc.convolve(a, b, method=method), expected, a.dtype)
        check_exact_or_overflow(lambda: sc.convolve(b, a, method=method), expected, a.dtype)
    else:
        ab = sc.convolve(a, b, method=method)
        ba = sc.convolve(b, a, method=method)
        np.testing.assert_allclose(ab, ba, rtol=RTOL[ab.dtype],
                                   atol=2 * conv_atol(a, b, ab.dtype))
        assert_conv_equal(ab, expected, a, b)


@pytest.mark.kernel
@given(st.sampled_from(ALL_DTYPES), lengths(16), lengths(16), lengths(16),
       st.integers(0, 2**32 - 1), st.sampled_from(METHODS))
def test_associative(dtype, n_a, n_b, n_c, seed, method):
    assume(method_allowed(method, dtype))
    rng = np.random.default_rng(seed)
    a, b, c = (random_array(rng, n, dtype, unit=True) for n in (n_a, n_b, n_c))
    if int_dtype(dtype):
        ab, bc = naive.convolve_full(a, b), naive.convolve_full(b, c)
        abc = naive.convolve_full(ab, c)
        assume(all(naive.fits(v, dtype) for v in (ab, bc, abc)))
        left = sc.convolve(sc.convolve(a, b, method=method), c, method=method)
        right = sc.convolve(a, sc.convolve(b, c, method=method), method=method)
        np.testing.assert_array_equal(left, naive.as_dtype(abc, dtype))
        np.testing.assert_array_equal(right, left)
    else:
        left = sc.convolve(sc.convolve(a, b, method=method), c, method=method)
        right = sc.convolve(a, sc.convolve(b, c, method=method), method=method)
        # both sides are within the bound of the exact triple product of |a|, |b|, |c|
        abs_ab = naive.convolve_full(np.abs(a), np.abs(b)).real
        atol = conv_atol(abs_ab, c, left.dtype) + conv_atol(
            a, naive.convolve_full(np.abs(b), np.abs(c)).real, left.dtype) + conv_atol(
            a, b, left.dtype) * naive.l1(c) + conv_atol(b, c, left.dtype) * naive.l1(a)
        np.testing.assert_allclose(left, right, rtol=RTOL[left.dtype], atol=atol)
        assert left.dtype == right.dtype == np.dtype(dtype)


@pytest.mark.kernel
@given(st.sampled_from(ALL_DTYPES), lengths(), lengths(), st.integers(0, 2**32 - 1),
       st.sampled_from(MODES), st.sampled_from(METHODS))
def test_distributive_over_addition(dtype, n_a, n_b, seed, mode, method):
    assume(method_allowed(method, dtype))
    rng = np.random.default_rng(seed)
    a = random_array(rng, n_a, dtype, unit=True)
    b = random_array(rng, n_b, dtype, unit=True)
    c = random_array(rng, n_b, dtype, unit=True)
    if int_dtype(dtype):
        # bool: + is OR, and OR of ANDs distributes over OR as well
        total = b + c
        expected = naive.convolve(a, total, mode)
        assume(naive.fits(expected, dtype))
        assume(naive.fits(naive.convolve(a, b, mode), dtype))
        assume(naive.fits(naive.convolve(a, c, mode), dtype))
        left = sc.convolve(a, total, mode, method)
        right = sc.convolve(a, b, mode, method) + sc.convolve(a, c, mode, method)
        np.testing.assert_array_equal(left, naive.as_dtype(expected, dtype))
        np.testing.assert_array_equal(left, right)
    else:
        left = sc.convolve(a, b + c, mode, method)
        right = sc.convolve(a, b, mode, method) + sc.convolve(a, c, mode, method)
        atol = (conv_atol(a, b, left.dtype) + conv_atol(a, c, left.dtype)
                + conv_atol(a, np.abs(b) + np.abs(c), left.dtype))
        np.testing.assert_allclose(left, right, rtol=RTOL[left.dtype], atol=atol)


@pytest.mark.kernel
@given(pairs(modes=("full",)), st.integers(0, 20), st.sampled_from(METHODS),
       st.booleans())
def test_shift_equivariant(pair, shift, method, shift_second):
    a, b, _ = pair
    assume(method_allowed(method, a.dtype))
    if shift_second:
        a, b = b, a
    shifted = np.concatenate((np.zeros(shift, a.dtype), a))
    expected_unshifted = naive.convolve_full(a, b)
    if int_dtype(a.dtype):
        assume(naive.fits(expected_unshifted, a.dtype))
        args = (b, shifted) if shift_second else (shifted, b)
        out = sc.convolve(*args, method=method)
        reference = sc.convolve(a, b, method=method)
        np.testing.assert_array_equal(out[:shift], np.zeros(shift, out.dtype))
        np.testing.assert_array_equal(out[shift:], reference)
    else:
        args = (b, shifted) if shift_second else (shifted, b)
        out = sc.convolve(*args, method=method)
        reference = sc.convolve(a, b, method=method)
        atol = conv_atol(shifted, b, out.dtype)
        np.testing.assert_allclose(out[:shift], 0, atol=atol)
        np.testing.assert_allclose(out[shift:], reference, rtol=RTOL[out.dtype], atol=2 * atol)


@pytest.mark.kernel
@given(st.sampled_from(ALL_DTYPES), lengths(), st.integers(0, 2**32 - 1),
       st.integers(0, 9), st.sampled_from(METHODS))
def test_identity_and_delayed_delta(dtype, n, seed, delay, method):
    assume(method_allowed(method, dtype))
    a = random_array(np.random.default_rng(seed), n, dtype)
    one = np.ones(1, dtype)
    delta = np.zeros(delay + 1, dtype)
    delta[delay] = 1
    centred = np.zeros(2 * delay + 1, dtype)
    centred[delay] = 1
    if method == "direct" or int_dtype(dtype):
        def check(actual, expected):
            assert actual.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(actual, expected)
    else:
        def check(actual, expected):
            assert actual.dtype == np.dtype(dtype)
            np.testing.assert_allclose(actual, expected, rtol=RTOL[actual.dtype],
                                       atol=conv_atol(a, delta, actual.dtype))
    for mode in MODES:
        check(sc.convolve(a, one, mode, method), a)
    check(sc.convolve(one, a, method=method), a)
    check(sc.convolve(a, delta, method=method), np.concatenate((np.zeros(delay, dtype), a)))
    check(sc.convolve(delta, a, method=method), np.concatenate((np.zeros(delay, dtype), a)))
    if n >= centred.size:
        check(sc.convolve(a, centred, "same", method), a)
        check(sc.convolve(a, centred, "valid", method), a[delay:n - delay])


@pytest.mark.kernel
@given(st.sampled_from(FLOAT_DTYPES), st.sampled_from([1, 2]), st.data())
def test_fft_direct_and_overlap_add_agree(dtype, ndim, data):
    max_length = 64 if ndim == 1 else 10
    shape1 = tuple(data.draw(lengths(max_length)) for _ in range(ndim))
    shape2 = tuple(data.draw(lengths(max_length)) for _ in range(ndim))
    mode = data.draw(st.sampled_from(MODES))
    assume(mode != "valid" or covers(shape1, shape2))
    in1 = data.draw(arrays(dtype, shape1))
    in2 = data.draw(arrays(dtype, shape2))
    direct = sc.convolve(in1, in2, mode, "direct")
    fft = sc.convolve(in1, in2, mode, "fft")
    oa = sc.convolve(in1, in2, mode, "oa")
    assert direct.dtype == fft.dtype == oa.dtype == np.dtype(dtype)
    assert direct.shape == fft.shape == oa.shape
    atol = 2 * conv_atol(in1, in2, dtype)
    np.testing.assert_allclose(fft, direct, rtol=RTOL[direct.dtype], atol=atol)
    np.testing.assert_allclose(oa, direct, rtol=RTOL[direct.dtype], atol=atol)
    np.testing.assert_allclose(sc.fftconvolve(in1, in2, mode), direct,
                               rtol=RTOL[direct.dtype], atol=atol)
    np.testing.assert_allclose(sc.oaconvolve(in1, in2, mode), direct,
                               rtol=RTOL[direct.dtype], atol=atol)


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_fft_direct_and_overlap_add_agree_large(dtype, mode):
    """Long signal, short kernel: many overlap-add blocks, parallel direct kernel."""
    rng = rng_for("large", dtype, mode)
    in1 = random_array(rng, 5000, dtype)
    in2 = random_array(rng, 101, dtype)
    direct = sc.convolve(in1, in2, mode, "direct")
    expected = scipy.signal.convolve(in1.astype(np.complex128 if in1.dtype.kind == "c"
                                                else np.float64),
                                     in2.astype(np.complex128 if in2.dtype.kind == "c"
                                                else np.float64), mode, method="direct")
    atol = 2 * conv_atol(in1, in2, dtype)
    for method in METHODS:
        out = sc.convolve(in1, in2, mode, method)
        assert out.dtype == np.dtype(dtype)
        np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype], atol=atol)
    np.testing.assert_allclose(direct, expected, rtol=RTOL[direct.dtype], atol=atol)


@pytest.fixture(params=[None, 1, 3], ids=["one-batch", "1-block-batches", "3-block-batches"])
def oa_batches(request, monkeypatch):
    """Overlap-add's blocks in one batch, or in batches of 1 or 3 blocks (tails cross
    every batch edge)."""
    if request.param is not None:
        monkeypatch.setattr(_config, "OA_BATCH_BYTES", 1)
        monkeypatch.setattr(_config, "OA_BATCH_MIN_BLOCKS", request.param)
    return request.param


@pytest.mark.kernel
@pytest.mark.parametrize("case", ["1d", "batch-axes", "2d", "complex"])
def test_overlap_add_in_batches_equals_direct(oa_batches, case):
    rng = rng_for("oa-batches", case)
    if case == "1d":
        in1, in2, axes = rng.standard_normal(1000), rng.standard_normal(9), None
    elif case == "batch-axes":   # the kernel's batch axis is the broadcast one
        in1, in2, axes = rng.standard_normal((3, 1000)), rng.standard_normal((1, 9)), 1
    elif case == "2d":           # blocks along axis 1, axis 0 transformed whole
        in1, in2, axes = rng.standard_normal((5, 1000)), rng.standard_normal((3, 9)), None
    else:
        in1 = rng.standard_normal(1000) + 1j * rng.standard_normal(1000)
        in2, axes = rng.standard_normal(9) - 2j, None
    for mode in MODES:
        np.testing.assert_allclose(sc.convolve(in1, in2, mode, "oa", axes=axes),
                                   sc.convolve(in1, in2, mode, "direct", axes=axes),
                                   rtol=1e-10, atol=1e-10)


# --------------------------------------------------------------------------------------
# parity with SciPy / NumPy
# --------------------------------------------------------------------------------------
SHAPE_PAIRS = [
    ((9,), (4,)),
    ((4,), (9,)),
    ((8,), (8,)),
    ((1,), (5,)),
    ((13,), (1,)),
    ((6, 7), (3, 2)),
    ((3, 2), (6, 7)),
    ((5, 5), (5, 5)),
    ((1, 8), (4, 3)),
    ((5, 4, 6), (2, 3, 2)),
    ((2, 3, 2), (5, 4, 6)),
    ((3, 1, 4), (2, 1, 5)),
]
SCIPY_CASES = [
    (shape1, shape2, mode)
    for (shape1, shape2), mode in itertools.product(SHAPE_PAIRS, MODES)
    if mode != "valid" or covers(shape1, shape2)
]


def _case_id(case):
    shape1, shape2, mode = case
    return f"{shape1}x{shape2}-{mode}".replace(" ", "")


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", FLOAT_DTYPES + INT_DTYPES)
@pytest.mark.parametrize("case", SCIPY_CASES, ids=_case_id)
@pytest.mark.parametrize("function", ["convolve", "correlate"])
def test_matches_scipy_direct(function, case, dtype):
    shape1, shape2, mode = case
    rng = rng_for(function, case, dtype)
    in1 = random_array(rng, shape1, dtype)
    in2 = random_array(rng, shape2, dtype)
    exact = getattr(naive, function)(in1, in2, mode)
    if int_dtype(dtype) and not naive.fits(exact, dtype):
        # SciPy wraps around silently here; sigconv refuses
        with pytest.raises(OverflowError, match=f"result dtype {np.dtype(dtype)}"):
            getattr(sc, function)(in1, in2, mode, method="direct")
        return
    expected = getattr(scipy.signal, function)(in1, in2, mode, method="direct")
    out = getattr(sc, function)(in1, in2, mode, method="direct")
    assert out.dtype == expected.dtype
    assert out.shape == expected.shape
    if int_dtype(dtype):
        np.testing.assert_array_equal(out, expected)
    else:
        assert_conv_equal(out, expected, in1, in2)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES + (np.int16, np.bool_))
@pytest.mark.parametrize("case", SCIPY_CASES, ids=_case_id)
@pytest.mark.parametrize("function", ["fftconvolve", "oaconvolve"])
def test_fft_functions_match_scipy(function, case, dtype):
    shape1, shape2, mode = case
    rng = rng_for(function, case, dtype)
    in1 = random_array(rng, shape1, dtype)
    in2 = random_array(rng, shape2, dtype)
    expected = getattr(scipy.signal, function)(in1, in2, mode)
    out = getattr(sc, function)(in1, in2, mode)
    if expected.dtype.kind in "biu":
        # SciPy returns in1 * in2 unconverted when an input has one element; the documented
        # result of an FFT convolution of integers is float64
        assert out.dtype == np.float64
    else:
        assert out.dtype == expected.dtype
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype],
                               atol=2 * conv_atol(in1, in2, out.dtype))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", METHODS)
def test_bool_convolution_is_or_of_ands_like_numpy(mode, method):
    rng = rng_for("bool", mode, method)
    for n, k in [(1, 1), (7, 3), (3, 7), (16, 16), (40, 5)]:
        in1 = rng.random(n) < 0.3
        in2 = rng.random(k) < 0.3
        out = sc.convolve(in1, in2, mode, method)
        assert out.dtype == np.bool_
        # numpy's boolean convolution, cut to SciPy's window (numpy's "same" is the longer)
        expected = naive.mode_window(np.convolve(in1, in2), in1.shape, in2.shape, mode)
        assert expected.dtype == np.bool_
        np.testing.assert_array_equal(out, expected)
    # an N-D check against the OR of ANDs written out
    in1 = rng.random((4, 5)) < 0.4
    in2 = rng.random((2, 3)) < 0.4
    expected = naive.as_dtype(naive.convolve(in1, in2, mode), np.bool_)
    np.testing.assert_array_equal(sc.convolve(in1, in2, mode, method), expected)


BATCH_CASES = [
    # (shape1, shape2, axes): size-1 batch axes broadcast against the other input
    ((3, 20), (1, 5), 1),
    ((1, 20), (3, 5), -1),
    ((3, 20), (3, 5), (1,)),
    ((20, 3), (4, 1), 0),
    ((4, 6, 2), (4, 3, 1), 1),
    ((2, 7, 3, 5), (1, 3, 3, 2), (1, 3)),
    ((1, 9, 2, 4), (3, 2, 1, 4), (1, 3)),
    ((5, 2, 30), (1, 2, 4), (2,)),
]


def _batch_id(case):
    return f"{case[0]}x{case[1]}-axes{case[2]}".replace(" ", "")


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", BATCH_CASES, ids=_batch_id)
def test_batched_axes_match_scipy(case, method, mode, dtype):
    shape1, shape2, axes = case
    axes_list = [axes] if np.ndim(axes) == 0 else list(axes)
    axes_list = [a % len(shape1) for a in axes_list]
    assert covers(shape1, shape2, axes_list)  # the cases are chosen so that valid exists
    rng = rng_for(case, method, mode, dtype)
    in1 = random_array(rng, shape1, dtype)
    in2 = random_array(rng, shape2, dtype)
    out = sc.convolve(in1, in2, mode, method, axes=axes)
    assert out.dtype == np.dtype(dtype)
    atol = 2 * conv_atol(in1, in2, dtype)
    expected = naive.convolve(in1, in2, mode, axes_list)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype], atol=atol)
    batch_shape = np.broadcast_shapes(
        *[tuple(1 if a in axes_list else s for a, s in enumerate(shape))
          for shape in (shape1, shape2)])
    if mode == "same" and any(shape1[a] < batch_shape[a] for a in range(len(shape1))):
        # SciPy's "same" crops *every* axis to in1's shape, so it keeps only the middle
        # entry of a broadcast batch axis; sigconv keeps the whole broadcast batch
        return
    expected_fft = scipy.signal.fftconvolve(in1, in2, mode, axes=axes)
    expected_oa = scipy.signal.oaconvolve(in1, in2, mode, axes=axes)
    np.testing.assert_allclose(out, expected_fft, rtol=RTOL[out.dtype], atol=atol)
    np.testing.assert_allclose(out, expected_oa, rtol=RTOL[out.dtype], atol=atol)
    if method == "fft":
        np.testing.assert_allclose(sc.fftconvolve(in1, in2, mode, axes), expected_fft,
                                   rtol=RTOL[out.dtype], atol=atol)
    if method == "oa":
        np.testing.assert_allclose(sc.oaconvolve(in1, in2, mode, axes), expected_oa,
                                   rtol=RTOL[out.dtype], atol=atol)


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.int16, np.int64, np.bool_])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", BATCH_CASES, ids=_batch_id)
def test_batched_axes_integers_exact(case, mode, dtype):
    shape1, shape2, axes = case
    rng = rng_for("int-batch", case, mode, dtype)
    in1 = random_array(rng, shape1, dtype)
    in2 = random_array(rng, shape2, dtype)
    axes_list = [axes] if np.ndim(axes) == 0 else list(axes)
    expected = naive.convolve(in1, in2, mode, axes_list)
    out = sc.convolve(in1, in2, mode, axes=axes)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, naive.as_dtype(expected, dtype))
    correlated = sc.correlate(in1, in2, mode, axes=axes)
    expected = naive.convolve(in1, naive.reverse_conj(in2, tuple(axes_list)), mode, axes_list)
    np.testing.assert_array_equal(correlated, naive.as_dtype(expected, dtype))


# --------------------------------------------------------------------------------------
# choose_conv_method
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shapes", [((1000,), (5,)), ((5000,), (5000,)), ((64, 64), (9, 9)),
                                    ((20000,), (300,)), ((3,), (2,))])
@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
def test_choose_conv_method_returns_a_method_that_convolve_uses(shapes, dtype):
    rng = rng_for("choose", shapes, dtype)
    in1 = random_array(rng, shapes[0], dtype)
    in2 = random_array(rng, shapes[1], dtype)
    method = sc.choose_conv_method(in1, in2)
    assert method in METHODS
    auto = sc.convolve(in1, in2, method="auto")
    np.testing.assert_array_equal(auto, sc.convolve(in1, in2, method=method))


def test_choose_conv_method_model_picks_obvious_cases():
    assert sc.choose_conv_method(np.ones(1000), np.ones(3)) == "direct"
    assert sc.choose_conv_method(np.ones(100_000), np.ones(100_000)) == "fft"
    # integers are always convolved exactly
    assert sc.choose_conv_method(np.ones(100_000, int), np.ones(100_000, int)) == "direct"


@pytest.mark.parametrize("mode", MODES)
def test_choose_conv_method_measure(mode):
    rng = rng_for("measure", mode)
    in1 = rng.standard_normal(300)
    in2 = rng.standard_normal(20)
    result = sc.choose_conv_method(in1, in2, mode=mode, measure=True)
    assert isinstance(result, tuple) and len(result) == 2
    method, times = result
    assert set(times) == {"direct", "fft", "oa"}
    assert all(isinstance(t, float) and t > 0 for t in times.values())
    assert method == min(times, key=times.get)


def test_choose_conv_method_measure_integers_direct():
    method, times = sc.choose_conv_method(np.arange(50), np.arange(7), measure=True)
    assert method == "direct"
    assert "direct" in times and times["direct"] > 0


# --------------------------------------------------------------------------------------
# integers: exact, including near the int64 limits, and overflow
# --------------------------------------------------------------------------------------
@pytest.mark.kernel
@given(st.sampled_from(INT_DTYPES + (np.uint64,)), lengths(16), lengths(16),
       st.integers(0, 2**32 - 1), st.sampled_from(MODES))
def test_full_range_integers_exact_or_overflow(dtype, n, k, seed, mode):
    rng = np.random.default_rng(seed)
    in1 = random_array(rng, n, dtype, full_range=True)
    in2 = random_array(rng, k, dtype, full_range=True)
    expected = naive.convolve(in1, in2, mode)
    check_exact_or_overflow(lambda: sc.convolve(in1, in2, mode), expected, dtype)


INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
LIMIT_CASES = [
    # (in1, in2, dtype) whose exact result fits the dtype while the bound max|a|*sum|b|
    # does not fit int64 arithmetic: the exact fallback must be taken
    ([2**62 + 1, 2**62 - 1], [1, -1], np.int64),
    ([INT64_MAX, 0, INT64_MIN + 1], [1], np.int64),
    ([INT64_MAX, 1], [1, -1], np.int64),
    ([INT64_MIN + 1, INT64_MAX], [-1, -1], np.int64),
    ([1, -1, 1], [2**61 + 7, -(2**61) + 3, 2**60], np.int64),
    ([2**63 + 5, 1], [1, 1], np.uint64),
    ([2**64 - 1], [1], np.uint64),
    ([2**62, 2**62, 2**62], [1, 0, 1], np.uint64),
]


@pytest.mark.kernel
@pytest.mark.parametrize("in1, in2, dtype", LIMIT_CASES)
@pytest.mark.parametrize("mode", MODES)
def test_integers_near_int64_limits_are_exact(in1, in2, dtype, mode):
    in1 = np.array(in1, dtype=dtype)
    in2 = np.array(in2, dtype=dtype)
    expected = naive.convolve(in1, in2, mode)
    assert naive.fits(expected, dtype)
    for method in ("auto", "direct"):
        out = sc.convolve(in1, in2, mode, method)
        assert out.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(out, naive.as_dtype(expected, dtype))
    if mode == "full":
        np.testing.assert_array_equal(sc.convolve(in2, in1), naive.as_dtype(expected, dtype))


def test_integers_near_int64_limits_batched_are_exact():
    in1 = np.array([[1, -1], [1, 1]], dtype=np.int64)
    in2 = np.array([[2**62, 1]], dtype=np.int64)
    expected = naive.convolve(in1, in2, axes=[1])
    out = sc.convolve(in1, in2, axes=1)
    np.testing.assert_array_equal(out, naive.as_dtype(expected, np.int64))


@pytest.mark.parametrize(
    "in1, in2, dtype",
    [
        ([2**62, 2**62], [1, 1], np.int64),
        ([INT64_MAX], [2], np.int64),
        ([2**63, 2**63], [1, 1], np.uint64),
        ([100, 100], [1, 1], np.int8),
        ([-100, -100], [1, 1], np.int8),
        ([200, 100], [1, 1], np.uint8),
        ([30_000], [2], np.int16),
        ([2**30, 2**30], [1, 1], np.int32),
    ],
)
@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
def test_integer_overflow_raises(in1, in2, dtype, method):
    in1 = np.array(in1, dtype=dtype)
    in2 = np.array(in2, dtype=dtype)
    if method == "fft" and dtype in (np.int64, np.uint64):
        method = "direct"  # an FFT of values near 2**63 is not exact anyway
    with pytest.raises(OverflowError, match=rf"result dtype {np.dtype(dtype)}.*wider"):
        sc.convolve(in1, in2, method=method)


@pytest.mark.kernel
def test_int8_overflow_where_numpy_wraps():
    in1 = np.array([100, 27], dtype=np.int8)
    in2 = np.array([1, 1], dtype=np.int8)
    wrapped = np.convolve(in1, in2)  # 127 fits, 100 + 27 = 127 fits, so no wrap here
    np.testing.assert_array_equal(sc.convolve(in1, in2), wrapped)
    in2 = np.array([2, 1], dtype=np.int8)  # 200 wraps to -56 in NumPy
    assert np.convolve(in1, in2)[0] == -56
    with pytest.raises(OverflowError, match="int8"):
        sc.convolve(in1, in2)


# --------------------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------------------
@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
@pytest.mark.parametrize("function", ["convolve", "correlate"])
@pytest.mark.parametrize("method", ["auto"] + list(METHODS))
@pytest.mark.parametrize("mode", MODES)
def test_single_precision_stays_single(dtype, function, method, mode):
    rng = rng_for("single", dtype, function, method, mode)
    wide = np.complex128 if np.dtype(dtype).kind == "c" else np.float64
    for shape1, shape2 in [((50,), (7,)), ((7,), (50,)), ((9, 8), (3, 3)), ((3, 40), (2, 5))]:
        in1 = random_array(rng, shape1, dtype)
        in2 = random_array(rng, shape2, dtype)
        expected = getattr(scipy.signal, function)(in1.astype(wide), in2.astype(wide), mode)
        out = getattr(sc, function)(in1, in2, mode, method)
        assert out.dtype == np.dtype(dtype)
        np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype],
                                   atol=conv_atol(in1, in2, dtype))
        if function == "convolve":
            for other in (sc.fftconvolve, sc.oaconvolve):
                out = other(in1, in2, mode)
                assert out.dtype == np.dtype(dtype)
                np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype],
                                           atol=conv_atol(in1, in2, dtype))


MIXED_PAIRS = [
    (np.float32, np.float64),
    (np.float64, np.float32),
    (np.float32, np.complex64),
    (np.float32, np.complex128),
    (np.float64, np.complex64),
    (np.complex64, np.complex128),
    (np.int8, np.float32),
    (np.int16, np.float32),
    (np.int32, np.float32),
    (np.bool_, np.float32),
    (np.uint8, np.complex64),
    (np.int64, np.float64),
    (np.uint8, np.int8),
    (np.int8, np.int64),
    (np.bool_, np.int8),
    (np.uint64, np.int64),
]


@pytest.mark.kernel
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtypes", MIXED_PAIRS, ids=lambda p: f"{p[0].__name__}-{p[1].__name__}")
def test_mixed_dtypes_give_numpy_result_type(dtypes, method):
    dtype1, dtype2 = map(np.dtype, dtypes)
    expected_dtype = np.result_type(dtype1, dtype2)
    if method != "direct" and expected_dtype.kind in "biu":
        method = "direct"
    rng = rng_for("mixed", dtypes, method)
    for n, k in [(40, 6), (6, 40)]:
        in1 = random_array(rng, n, dtype1)
        in2 = random_array(rng, k, dtype2)
        expected = naive.convolve(in1, in2)
        out = sc.convolve(in1, in2, method=method)
        if expected_dtype.kind in "biu":
            np.testing.assert_array_equal(out, naive.as_dtype(expected, expected_dtype))
        else:
            # an FFT transforms each input in its own precision (as SciPy does), so its
            # error is that of the least precise floating input
            precision = expected_dtype
            if method != "direct":
                precision = max((np.finfo(d).eps for d in (dtype1, dtype2) if d.kind in "fc"),
                                default=np.finfo(np.float64).eps)
                precision = np.float32 if precision > 1e-10 else np.float64
            np.testing.assert_allclose(out, expected.astype(np.complex128 if expected_dtype.kind
                                                            == "c" else np.float64),
                                       rtol=RTOL[np.dtype(precision)],
                                       atol=conv_atol(in1, in2, precision))
        assert out.dtype == expected_dtype, (out.dtype, expected_dtype)


# --------------------------------------------------------------------------------------
# memory layout
# --------------------------------------------------------------------------------------
def _layouts(rng, dtype):
    base1 = random_array(rng, (12, 30), dtype)
    base2 = random_array(rng, (5, 4), dtype)
    yield "reversed-strided 1-D", base1[0, ::-2], base2[1, ::-1]
    yield "strided 1-D", base1[3, 1::3], base2[:, 2]
    yield "transposed", base1.T, base2.T
    yield "fortran", np.asfortranarray(base1), np.asfortranarray(base2)
    yield "reversed 2-D", base1[::-1, ::-2], base2[::-2, :]


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.float64, np.complex64, np.int32])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("function", ["convolve", "correlate"])
def test_views_give_the_same_result_as_contiguous_copies(dtype, method, function):
    if method != "direct" and int_dtype(dtype):
        method = "direct"
    rng = rng_for("layout", dtype, method, function)
    for name, view1, view2 in _layouts(rng, dtype):
        assert not (view1.flags.c_contiguous and view2.flags.c_contiguous), name
        copy1, copy2 = np.ascontiguousarray(view1), np.ascontiguousarray(view2)
        for mode in MODES:
            out = getattr(sc, function)(view1, view2, mode, method)
            expected = getattr(sc, function)(copy1, copy2, mode, method)
            if method == "direct":
                np.testing.assert_array_equal(out, expected, err_msg=name)
            else:
                np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype],
                                           atol=conv_atol(copy1, copy2, out.dtype),
                                           err_msg=name)
            reference = getattr(scipy.signal, function)(copy1, copy2, mode, method="direct")
            if int_dtype(dtype):
                np.testing.assert_array_equal(out, reference, err_msg=name)
            else:
                np.testing.assert_allclose(out, reference, rtol=RTOL[out.dtype],
                                           atol=conv_atol(copy1, copy2, out.dtype),
                                           err_msg=name)


# --------------------------------------------------------------------------------------
# NaN and inf
# --------------------------------------------------------------------------------------
@pytest.mark.kernel
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("position", [0, 17, 39])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_stays_local_with_direct(dtype, mode, position, bad):
    rng = rng_for("nan", dtype, mode, position)
    x = random_array(rng, 40, dtype)
    h = random_array(rng, 6, dtype)
    h[2] = 0  # 0 * nan is nan: every output the NaN touches is NaN, even through a zero
    x[position] = bad
    clean = x.copy()
    clean[position] = 0
    out = sc.convolve(x, h, mode, method="direct")
    expected = naive.convolve(clean, h, mode)
    full_touched = np.zeros(x.size + h.size - 1, dtype=bool)
    full_touched[position:position + h.size] = True
    touched = naive.mode_window(full_touched, x.shape, h.shape, mode)
    if bad is np.nan:
        assert np.isnan(out[touched]).all()
    else:
        assert not np.isfinite(out[touched]).any()
    assert np.isfinite(out[~touched]).all()
    assert_conv_equal(out[~touched], expected[~touched], clean, h)
    # the same with the roles swapped: the kernel carries the NaN
    out = sc.convolve(h, x, "full", method="direct")
    assert not np.isfinite(out[full_touched]).any()
    assert np.isfinite(out[~full_touched]).all()


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("function", ["convolve", "correlate"])
def test_nan_with_fft_warns(dtype, function):
    rng = rng_for("nan-fft", dtype, function)
    x = random_array(rng, 40, dtype)
    h = random_array(rng, 6, dtype)
    x[11] = np.nan
    with pytest.warns(RuntimeWarning, match="NAN or inf"):
        out = getattr(sc, function)(x, h, method="fft")
    assert np.isnan(out).all()  # the FFT spreads it everywhere, as the warning says
    with pytest.warns(RuntimeWarning, match="NAN or inf"):
        out = getattr(sc, function)(h, x, method="oa")
    assert np.isnan(out[11:17]).all()


@pytest.mark.parametrize("position", [0, 1500, 2999])
@pytest.mark.parametrize("batched", [False, True])
def test_nan_in_any_overlap_add_block_warns(position, batched, oa_batches):
    """The warning looks at every block's spectrum, not only the first one's."""
    rng = rng_for("nan-oa-blocks", position, batched)
    x = rng.standard_normal((2, 3000) if batched else 3000)
    h = rng.standard_normal((1, 7) if batched else 7)
    x[..., position] = np.nan
    axes = -1 if batched else None
    with pytest.warns(RuntimeWarning, match="NAN or inf"):
        out = sc.convolve(x, h, method="oa", axes=axes)
    assert np.isnan(out[..., position:position + 7]).all()
    finite = x.copy()
    finite[..., position] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sc.convolve(finite, h, method="oa", axes=axes)  # finite input: no warning


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_inf_with_fft_warns(bad):
    x = np.arange(40.0)
    x[11] = bad
    # inf * 0 inside the transform also makes NumPy warn "invalid value": accept any
    # RuntimeWarning, but sigconv's own must be among them
    with pytest.warns(RuntimeWarning) as record:
        out = sc.convolve(x, np.ones(6), method="fft")
    assert any("NAN or inf" in str(w.message) for w in record)
    assert not np.isfinite(out[11:17]).any()


@pytest.mark.kernel
@pytest.mark.parametrize("method", ["auto", "direct", "fft", "oa"])
@pytest.mark.parametrize("function", ["convolve", "correlate"])
def test_half_precision_is_computed_in_single_and_returned_in_half(method, function):
    """numba has no float16 arithmetic: the work is done in float32, the result is float16
    as in SciPy."""
    rng = rng_for("float16", method, function)
    x = rng.standard_normal(30).astype(np.float16)
    h = rng.standard_normal(5).astype(np.float16)
    out = getattr(sc, function)(x, h, method=method)
    expected = getattr(scipy.signal, function)(x.astype(np.float32), h.astype(np.float32),
                                                method="direct")
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.astype(np.float32), expected, rtol=2e-3, atol=2e-2)


@pytest.mark.kernel
@pytest.mark.parametrize("method", METHODS)
@given(st.data())
def test_a_window_is_a_slice_of_the_full_convolution(method, data):
    """``convolve_window`` (what sigconv.dask sums) equals the slice of the full result."""
    n, k = data.draw(lengths(60)), data.draw(lengths(20))
    rows = data.draw(st.integers(1, 3))
    first = data.draw(st.integers(0, n + k - 1))
    length = data.draw(st.integers(0, n + k - 1 - first))
    rng = np.random.default_rng(n * 100 + k)
    x, h = rng.standard_normal((rows, n)), rng.standard_normal((1, k))
    full = sc.convolve(x, h, axes=1)
    window = sc.conv.convolve_window(x, h, {1: (first, length)}, method)
    np.testing.assert_allclose(window, full[:, first:first + length], rtol=1e-10,
                               atol=1e-10)


def test_a_window_outside_the_full_convolution_is_refused():
    with pytest.raises(ValueError, match="window"):
        sc.conv.convolve_window(np.ones(5), np.ones(3), {0: (4, 4)})
    with pytest.raises(ValueError, match="window"):
        sc.conv.convolve_window(np.ones(5), np.ones(3), {0: (-1, 2)})


# --------------------------------------------------------------------------------------
# the kernels' own finiteness report and the FFT's magnitude scan
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("bad", [None, np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("shapes", [((50,), (7,)), ((3, 40), (2, 5)), ((700,), (300,))])
def test_direct_kernels_report_nonfinite_outputs(dtype, bad, shapes):
    """The direct kernels (serial, parallel, 1-D) say whether their output is all finite,
    as np.isfinite does: the direct method needs no pass over its output."""
    from sigconv import conv
    from sigconv.kernels import cpu

    rng = rng_for(dtype, bad, shapes)
    x, h = (random_array(rng, shape, dtype) for shape in shapes)
    if bad is not None:
        x[(0,) * (x.ndim - 1) + (x.shape[-1] // 2,)] = bad
    p = conv._Problem(x, h, "full", None)
    out, finite = conv._direct_run(p, p.result_dtype)
    assert finite == bool(np.isfinite(out).all()) == (bad is None)
    if x.ndim == 1:
        out = np.empty(x.size + h.size - 1, dtype=dtype)
        assert cpu.direct_1d_serial(x, h, out, 0, 64) == (bad is None)
        assert cpu.all_finite(out) == (bad is None)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, ">f8", "<f4"])
def test_magnitude_bound_is_the_exact_maximum_of_real_data(dtype):
    """max |x| of real data by the bits without the sign: exact, NaN seen (a NaN is above
    inf there), zeros, subnormals, C and F order, either byte order."""
    from sigconv import conv

    tiny = np.finfo(np.dtype(dtype)).smallest_subnormal
    cases = [[1.0, -3.0, 2.0], [-0.0, 0.0], [tiny, -2 * tiny], [-np.inf, 1.0],
             [1.0, np.nan, -np.inf], [np.finfo(np.dtype(dtype)).max, -1.0]]
    for values in cases:
        array = np.array(values, dtype=dtype)
        with np.errstate(invalid="ignore"):
            expected = float(np.max(np.abs(array)))
        got = conv._magnitude_bound(array)
        assert type(got) is float
        assert got == expected or (np.isnan(got) and np.isnan(expected))
    matrix = np.asfortranarray(np.arange(12.0).reshape(3, 4) - 7).astype(dtype)
    assert conv._magnitude_bound(matrix) == 7.0
    assert conv._magnitude_bound(matrix[:, ::2]) == 7.0   # not contiguous: min and max


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("correlation", [False, True])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("lengths", [(5000, 20), (20, 5000), (700, 300)])
def test_1d_fast_path_beyond_small_sizes_gives_the_general_paths_bits(dtype, correlation,
                                                                      mode, lengths):
    """Contiguous 1-D inputs beyond the small sizes take the fast path when the model
    chose direct for the shapes (or the method is direct): the general path's bits."""
    from sigconv import conv

    rng = rng_for(dtype, correlation, mode, lengths)
    a, b = (random_array(rng, (n,), dtype) for n in lengths)
    p = conv._Problem(a, b, mode, None)
    if correlation:
        p.in2 = conv._reverse_conj(p.in2, p.axes)
    for method in ("direct", "auto"):
        general = conv._convolve(p.with_inputs(p.in1, p.in2), method)
        if method == "auto" and conv._choose(p) != "direct":
            assert conv._small_1d(a, b, mode, method, correlation) is None
            continue
        fast = conv._small_1d(a, b, mode, method, correlation)
        assert fast is not None
        public = (sc.correlate if correlation else sc.convolve)(a, b, mode, method)
        for out in (fast, public):
            assert out.dtype == general.dtype and out.shape == general.shape
            np.testing.assert_array_equal(out, general)


def test_1d_fast_path_hands_over_memory_refusals(monkeypatch):
    from sigconv import conv

    a, b = np.ones(10**4), np.ones(10)
    monkeypatch.setattr(_config, "MAX_MEMORY", 1000)
    assert conv._small_1d(a, b, "full", "direct", False) is None
    with pytest.raises(MemoryError, match="in1, in2"):
        sc.convolve(a, b, method="direct")


def test_non_native_byte_order_takes_the_general_paths():
    """Big-endian floats (which numba cannot read) go the general way on every fast path
    and finiteness scan, with the native result (the 1-D fast path raised numba's
    TypingError before)."""
    from sigconv import _validate, conv, filters

    native, swapped = np.arange(1.0, 6.0), np.arange(1.0, 6.0).astype(">f8")
    kernel, swapped_kernel = np.array([1.0, -2.0]), np.array([1.0, -2.0], dtype=">f8")
    expected = np.convolve(native, kernel)
    np.testing.assert_array_equal(sc.convolve(swapped, swapped_kernel), expected)
    np.testing.assert_array_equal(sc.correlate(swapped, swapped_kernel),
                                  np.correlate(native, kernel, "full"))
    long, long_kernel = np.ones(5000, dtype=">f8"), np.ones(30, dtype=">f8")
    np.testing.assert_array_equal(sc.convolve(long, long_kernel, method="direct"),
                                  np.convolve(np.ones(5000), np.ones(30)))
    np.testing.assert_array_equal(sc.convolve2d(swapped[:4].reshape(2, 2), swapped_kernel[None]),
                                  sc.convolve2d(native[:4].reshape(2, 2), kernel[None]))
    np.testing.assert_allclose(filters.gaussian(np.ones((8, 8), dtype=">f4"), 1.0), 1.0,
                               rtol=1e-6)
    for finite in (_validate.all_finite, conv._all_finite):
        assert finite(swapped) and not finite(np.array([1.0, np.inf], dtype=">f8"))
