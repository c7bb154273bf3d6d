"""Hostile inputs for the signal API: convolve, correlate, fftconvolve, oaconvolve,
choose_conv_method, convolve2d, correlate2d, convolution_matrix2d, ConvolutionOperator2D.

Every case ends in the oracle's value (the exact Python-integer sums of ``naive.py``, or
SciPy) or in a documented exception whose message names the argument.
"""

import math
import warnings

import harness
import naive
import numpy as np
import pytest
import scipy.signal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import sigconv as sc
from sigconv import conv

METHODS = ("direct", "fft", "oa", "auto")
MODES = ("full", "same", "valid")
INT_DTYPES = [np.bool_, np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint32,
              np.uint64]
FLOAT_DTYPES = [np.float16, np.float32, np.float64, np.complex64, np.complex128]
SIGNAL_FUNCTIONS = {"convolve": sc.convolve, "correlate": sc.correlate}
FFT_FUNCTIONS = {"fftconvolve": sc.fftconvolve, "oaconvolve": sc.oaconvolve}
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def exact_oracle(function, in1, in2, mode, axes=None):
    """The exact (Python-int) result of ``function`` by the double loops of naive.py."""
    if function == "convolve":
        return naive.convolve(in1, in2, mode, axes)
    return naive.correlate(in1, in2, mode, axes)


def valid_possible(shape1, shape2):
    """Whether one shape covers the other in every axis (what mode 'valid' needs)."""
    return (all(a >= b for a, b in zip(shape1, shape2, strict=True))
            or all(b >= a for a, b in zip(shape1, shape2, strict=True)))


def assert_exact_or_overflow(call, exact, dtype):
    """``call()`` equals the exact result cast to ``dtype``, or raises the OverflowError
    that names the inputs exactly when that result does not fit."""
    dtype = np.dtype(dtype)
    fits = dtype.kind == "f" or naive.fits(exact, dtype)
    try:
        out = call()
    except OverflowError as exc:
        harness.check_error(exc, ("in1", "in2"), OverflowError)
        assert not fits, f"OverflowError although the exact result fits {dtype}: {exc}"
        return
    assert fits, f"no OverflowError although the exact result does not fit {dtype}"
    assert out.dtype == dtype
    if dtype.kind == "f":   # uint64 with a signed integer: the exact sums, rounded once
        expected = np.array([float(v) for v in np.asarray(exact).ravel()]).reshape(
            np.shape(exact))
    else:
        expected = naive.as_dtype(exact, dtype)
    np.testing.assert_array_equal(out, expected)


# --------------------------------------------------------------------------------------
# integers: exact under every method, or OverflowError (never a wrap, never INT64_MIN)
# --------------------------------------------------------------------------------------
@st.composite
def integer_pairs(draw, max_dims=2, max_side=5):
    """Two integer arrays of one dimensionality: any of the integer dtypes, mixed, with
    values at their limits, huge, or small; any layout."""
    ndim = draw(st.integers(1, max_dims))
    arrays = []
    for _ in range(2):
        dtype = np.dtype(draw(st.sampled_from(INT_DTYPES)))
        shape = draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=1,
                                      max_side=max_side))
        if dtype.kind == "b":
            elements = st.booleans()
        else:
            info = np.iinfo(dtype)
            elements = st.one_of(harness.special_values(dtype),
                                 st.integers(int(info.min), int(info.max)),
                                 st.integers(max(int(info.min), -40), min(int(info.max), 40)))
        arrays.append(draw(hnp.arrays(dtype, shape, elements=elements)))
    for i, layout in enumerate(draw(st.lists(st.sampled_from(["c", "f", "reversed",
                                                              "readonly"]),
                                             min_size=2, max_size=2))):
        if layout == "f":
            arrays[i] = np.asfortranarray(arrays[i])
        elif layout == "reversed":
            arrays[i] = arrays[i][..., ::-1]
        elif layout == "readonly":
            arrays[i].flags.writeable = False
    return arrays


@SETTINGS
@given(integer_pairs(), st.sampled_from(MODES), st.sampled_from(METHODS),
       st.sampled_from(sorted(SIGNAL_FUNCTIONS)))
def test_integers_exact_or_overflow_under_every_method(pair, mode, method, function):
    in1, in2 = pair
    if mode == "valid" and not valid_possible(in1.shape, in2.shape):
        return
    exact = exact_oracle(function, in1, in2, mode)
    assert_exact_or_overflow(lambda: SIGNAL_FUNCTIONS[function](in1, in2, mode, method),
                             exact, np.result_type(in1, in2))


@SETTINGS
@given(integer_pairs(max_dims=1), st.integers(1, 3), st.booleans(), st.booleans(),
       st.sampled_from(MODES), st.sampled_from(METHODS),
       st.sampled_from(sorted(SIGNAL_FUNCTIONS)), st.booleans())
def test_integers_exact_with_broadcast_batch_axes(pair, batch, one1, one2, mode, method,
                                                  function, batch_last):
    """A batch axis of length 1 or ``batch`` on each side, first or last: the exact
    result per batch member, or OverflowError."""
    in1, in2 = pair
    rows1 = np.stack([np.roll(in1, i) for i in range(1 if one1 else batch)])
    rows2 = np.stack([np.roll(in2, -i) for i in range(1 if one2 else batch)])
    axis = 0 if batch_last else 1
    if batch_last:
        rows1, rows2 = rows1.T, rows2.T
    exact = exact_oracle(function, rows1, rows2, mode, axes=(axis,))
    assert_exact_or_overflow(
        lambda: SIGNAL_FUNCTIONS[function](rows1, rows2, mode, method, axes=axis), exact,
        np.result_type(in1, in2))


@SETTINGS
@given(st.sampled_from(INT_DTYPES), st.integers(1, 300), st.integers(1, 60),
       st.integers(0, 2**32 - 1), st.sampled_from(["fft", "oa"]), st.sampled_from(MODES))
def test_small_integers_take_the_exact_fft(dtype, n, k, seed, method, mode):
    """Values small enough for the error bound: the FFT path itself runs, and is exact."""
    rng = np.random.default_rng(seed)
    high = 2 if dtype is np.bool_ else min(100, int(np.iinfo(dtype).max))
    low = 0 if dtype is np.bool_ or np.iinfo(dtype).min == 0 else -high
    in1 = rng.integers(low, high, n).astype(dtype)
    in2 = rng.integers(low, high, k).astype(dtype)
    p = conv._Problem(in1, in2, mode, None)
    stats = (conv._abs_stats(in1), conv._abs_stats(in2))
    assert conv._exact_integer_fft(p, stats) is not None   # the bound allows it here
    exact = naive.convolve(in1, in2, mode)
    assert_exact_or_overflow(lambda: sc.convolve(in1, in2, mode, method), exact,
                             np.result_type(in1, in2))


@SETTINGS
@given(integer_pairs(), st.sampled_from(MODES), st.sampled_from(sorted(FFT_FUNCTIONS)))
def test_fft_functions_on_integers_are_float_approximations(pair, mode, function):
    """fftconvolve/oaconvolve keep SciPy's convention for integers: a float64 result, the
    FFT's own (not rounded), within its error of the exact sums -- never a wrapped
    integer."""
    in1, in2 = pair
    if mode == "valid" and not valid_possible(in1.shape, in2.shape):
        return
    out = FFT_FUNCTIONS[function](in1, in2, mode)
    assert out.dtype == np.float64
    exact = np.asarray(naive.convolve(in1, in2, mode), dtype=object)
    norms = float(np.linalg.norm(in1.astype(float))) * float(np.linalg.norm(
        in2.astype(float)))
    error = max((abs(int(round(float(v))) - int(e)) if np.isfinite(v) else math.inf)
                for v, e in zip(out.ravel(), exact.ravel(), strict=True))
    assert error <= 1e-12 * norms * 64 + 1


@pytest.mark.parametrize("method", ["fft", "oa"])
@pytest.mark.parametrize("in1, in2", [
    ([2**40 + 1, 3, -7], [5, 2**20 + 3]),                 # low digits an FFT would lose
    ([2**52 + 1, 1], [1, -1]),                              # beyond float64's integers
    ([2**62, 2**62], [2, 2]),                               # overflow: never INT64_MIN
    ([np.iinfo(np.int64).min, 1], [1, 0]),                 # INT64_MIN itself
    ([np.iinfo(np.int64).min], [-1]),                       # -INT64_MIN does not fit
])
def test_large_integers_under_fft_methods(in1, in2, method):
    in1, in2 = np.array(in1, np.int64), np.array(in2, np.int64)
    for function in SIGNAL_FUNCTIONS:
        exact = exact_oracle(function, in1, in2, "full")
        assert_exact_or_overflow(
            lambda f=function: SIGNAL_FUNCTIONS[f](in1, in2, "full", method), exact,
            np.int64)


def test_fft_error_bound_is_conservative():
    """The bound must exceed the error actually observed (it is a proof's bound, so
    usually far above), and grow with the transform length and the norms."""
    rng = np.random.default_rng(7)
    for n in (64, 512, 4096):
        a = rng.integers(-2**16, 2**16, n).astype(np.float64)
        b = rng.integers(-2**16, 2**16, n).astype(np.float64)
        length = 1 << (2 * n - 2).bit_length()
        spectrum = np.fft.fft(a, length) * np.fft.fft(b, length)
        approx = np.fft.ifft(spectrum).real[:2 * n - 1]
        exact = np.convolve(a, b)   # sums of integers below 2**53: exact in float64
        error = float(np.max(np.abs(approx - exact)))
        assert error < conv._fft_error_bound(np.linalg.norm(a), np.linalg.norm(b), length)
    assert conv._fft_error_bound(1.0, 1.0, 2**20) > conv._fft_error_bound(1.0, 1.0, 2**10)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_scalars_follow_array_rules(dtype):
    """0-d inputs: the exact product (as SciPy's in1 * in2, a NumPy scalar) or
    OverflowError, in every function; never NumPy's wraparound."""
    info = np.iinfo(dtype) if dtype is not np.bool_ else None
    values = [True, False] if info is None else [int(info.min), int(info.max), 0, 1,
                                                 int(info.max) // 2 + 1]
    functions = {**SIGNAL_FUNCTIONS, **FFT_FUNCTIONS}
    for a in values:
        for b in values:
            x, y = np.array(a, dtype), np.array(b, dtype)
            for name, function in functions.items():
                exact = [int(a) * int(b)]
                assert_exact_or_overflow(
                    lambda f=function, x=x, y=y: np.atleast_1d(f(x, y)), exact, dtype)
                if naive.fits(exact, dtype) and name == "convolve":
                    assert np.ndim(function(x, y)) == 0


def test_scalar_examples_from_the_probe():
    with pytest.raises(OverflowError, match="in1, in2"):
        sc.convolve(2**62, 4)
    with pytest.raises(OverflowError, match="in1, in2"):
        sc.convolve(np.uint8(200), np.uint8(2))
    assert sc.convolve(np.uint8(100), np.uint8(2)) == 200
    assert sc.correlate(1 + 2j, 1j) == (1 + 2j) * np.conj(1j)
    assert sc.fftconvolve(3, 4) == 12


# --------------------------------------------------------------------------------------
# floating inputs: NaN and inf stay where they belong
# --------------------------------------------------------------------------------------
FLOAT_VALUES = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.0, -2.5, 3.0, 0.5])


@SETTINGS
@given(st.sampled_from([np.float16, np.float32, np.float64]), st.integers(1, 7),
       st.integers(1, 7), st.data(), st.sampled_from(MODES),
       st.sampled_from(sorted(SIGNAL_FUNCTIONS)))
def test_nonfinite_values_stay_local_with_direct(dtype, n, k, data, mode, function):
    """A NaN or inf input gives NaN/inf exactly where the defining sum does (SciPy's
    direct method, the naive loops); never a silent 0 or garbage. (Real dtypes: where a
    complex product meets inf, NaN parts depend on how the multiplication is written.)"""
    in1 = data.draw(hnp.arrays(dtype, n, elements=FLOAT_VALUES))
    in2 = data.draw(hnp.arrays(dtype, k, elements=FLOAT_VALUES))
    if mode == "valid" and k > n:
        in1, in2 = in2, in1
    out = SIGNAL_FUNCTIONS[function](in1, in2, mode, "direct")
    with np.errstate(all="ignore"):
        expected = np.asarray(exact_oracle(function, in1, in2, mode))
    assert out.dtype == np.result_type(in1, in2)
    wide = out.astype(np.complex128)
    np.testing.assert_array_equal(np.isnan(wide), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(wide), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(wide[finite], expected[finite], rtol=1e-2, atol=1e-2)


def test_nonfinite_under_fft_warns_as_scipy():
    x = np.array([1.0, np.nan, 0.0, 0.0])
    with pytest.warns(RuntimeWarning, match="NAN or inf"):
        out = sc.convolve(x, [1.0, 1.0], method="fft")
    assert np.isnan(out).all()   # spread, as SciPy's FFT spreads it
    np.testing.assert_array_equal(np.isnan(sc.convolve(x, [1.0, 1.0], method="direct")),
                                  np.isnan(scipy.signal.convolve(x, [1.0, 1.0],
                                                                 method="direct")))


# --------------------------------------------------------------------------------------
# magnitudes at the ends of the floating range under the FFT methods
# --------------------------------------------------------------------------------------
FFT_CALLS = {
    "fftconvolve": lambda a, b, mode: sc.fftconvolve(a, b, mode),
    "oaconvolve": lambda a, b, mode: sc.oaconvolve(a, b, mode),
    "convolve-fft": lambda a, b, mode: sc.convolve(a, b, mode, "fft"),
    "convolve-oa": lambda a, b, mode: sc.convolve(a, b, mode, "oa"),
}
#: every method, correlation as the convolution with the reversed conjugate
RANGE_CALLS = {
    **FFT_CALLS,
    "convolve-direct": lambda a, b, mode: sc.convolve(a, b, mode, "direct"),
    "convolve-auto": lambda a, b, mode: sc.convolve(a, b, mode),
    "correlate-direct": lambda a, b, mode: sc.correlate(a, np.conj(b[::-1]), mode, "direct"),
    "correlate-fft": lambda a, b, mode: sc.correlate(a, np.conj(b[::-1]), mode, "fft"),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("call", sorted(FFT_CALLS))
@pytest.mark.parametrize("zeros_first", [True, False])
def test_fft_zeros_against_the_largest_values(dtype, call, zeros_first):
    """All zeros against values whose transform overflows: zeros, without NaN or a
    warning (an all-zero input once switched the scaling off: 0 * inf gave NaN)."""
    zeros = np.zeros(1, dtype=dtype)
    big = np.full(4, np.finfo(dtype).max / 2, dtype=dtype)
    pair = (zeros, big) if zeros_first else (big, zeros)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = FFT_CALLS[call](*pair, "full")
    np.testing.assert_array_equal(out, np.zeros(4, dtype=out.dtype))


@st.composite
def extreme_vectors(draw, dtype, length):
    """A 1-D array of ``dtype`` whose values are ``m * 2**e``: ``m`` ordinary (of
    either sign, some zero) and one common ``e`` near the top or the bottom of the
    range (or ordinary); returns the array and ``e``."""
    info = np.finfo(dtype)
    exponent = draw(st.sampled_from([
        info.maxexp - 2, info.maxexp - 8, info.maxexp // 2 + 3, 0,
        info.minexp + 2, info.minexp + info.nmant // 2, info.minexp // 2 - 3]))
    mantissa = st.floats(-1.0, 1.0, allow_nan=False, width=32)
    parts = [np.array(draw(st.lists(mantissa, min_size=length, max_size=length)))
             for _ in range(2 if np.dtype(dtype).kind == "c" else 1)]
    scaled = parts[0] if len(parts) == 1 else parts[0] + 1j * parts[1]
    return scaled.astype(dtype), exponent


@SETTINGS
@given(st.sampled_from([np.float32, np.float64, np.complex64, np.complex128]),
       st.integers(1, 40), st.integers(1, 40), st.sampled_from(MODES),
       st.sampled_from(sorted(RANGE_CALLS)), st.data())
def test_every_method_near_overflow_and_underflow(dtype, n, k, mode, call, data):
    """Inputs near 1e300 / 1e-300 (float32: 1e38 / 1e-38) under every method: within
    the FFT's error bound (relative to ||in1|| ||in2||, plus a rounding at the subnormal
    grid; the direct sum's is smaller) of the exact convolution, and inf (of the right
    sign) exactly where the exact result is beyond the range: never a NaN or an inf from
    an intermediate sum. The exact result is computed on the mantissas (values near 1,
    exactly in float64/complex128) and scaled by ``2**(e1 + e2)`` afterwards: its
    intermediate sums never overflow, unlike a direct sum of the raw values."""
    if mode == "valid" and k > n:
        n, k = k, n
    m1, e1 = data.draw(extreme_vectors(dtype, n))
    m2, e2 = data.draw(extreme_vectors(dtype, k))
    real = np.dtype(dtype).kind == "f"
    part_dtype = np.finfo(dtype).dtype
    in1 = _ldexp_any(m1, e1).astype(dtype)
    in2 = _ldexp_any(m2, e2).astype(dtype)
    mantissas_exact = all(  # no input underflowed in the cast
        np.array_equal(_ldexp_any(x.astype(np.complex128), -e), m.astype(np.complex128))
        for x, m, e in ((in1, m1, e1), (in2, m2, e2)))
    out = RANGE_CALLS[call](in1, in2, mode)
    assert out.dtype == np.dtype(dtype)
    wide = np.complex128 if not real else np.float64
    start, length = conv.mode_window(n, k, mode)
    exact = np.convolve(m1.astype(wide), m2.astype(wide))[start:start + length]
    eps = float(np.finfo(dtype).eps)
    bound = 64 * eps * math.log2(2 * (n + k)) * (
        np.linalg.norm(m1.astype(wide)) * np.linalg.norm(m2.astype(wide)))
    info = np.finfo(part_dtype)
    for got, want in ((out.real, exact.real), (out.imag, exact.imag)) if not real else (
            (out, exact),):
        got = got.astype(np.float64)
        # beyond the range (by more than the error): inf with the exact result's sign
        log_max = math.log2(float(info.max))
        with np.errstate(divide="ignore"):
            magnitude = np.log2(np.abs(want) + bound) + e1 + e2
            lower = np.log2(np.maximum(np.abs(want) - bound, 0)) + e1 + e2
        over = lower > log_max + 1e-6
        assert np.all(np.isinf(got[over])), (got, want, e1, e2)
        assert np.all(np.sign(got[over]) == np.sign(want[over]))
        inside = magnitude < log_max - 1e-6
        assert np.all(np.isfinite(got[inside])), (got, want, e1, e2)
        if not mantissas_exact:   # the mantissas did not survive the cast: no value check
            continue
        # finite outputs: compared on the mantissas' scale
        difference = np.abs(_ldexp_any(got[inside], -(e1 + e2)) - want[inside])
        tiny = math.ldexp(2.0, int(info.minexp) - int(info.nmant) - (e1 + e2))
        assert np.all(difference <= bound + tiny), (difference.max(), bound, e1, e2, got)


def _ldexp_any(values, exponent):
    """``values * 2**exponent`` for real or complex arrays (exact but at the range's
    ends)."""
    values = np.asarray(values)
    with np.errstate(over="ignore", under="ignore"):
        if values.dtype.kind == "c":
            return np.ldexp(values.real, exponent) + 1j * np.ldexp(values.imag, exponent)
        return np.ldexp(values, exponent)


def test_near_overflow_examples_from_the_probe():
    """[1e308, 1e308] * [1, -1, 2] is exactly [1e308, 0, 1e308, 2e308 = inf], and
    [1e308, 1e308] * [2, -2] is [2e308 = inf, 0, -inf]. SciPy's direct method gives inf
    at index 2 of the first (its partial sum 2e308 overflows before -1e308 is added) and
    NaN in the middle of the second; a documented divergence: sigconv is right."""
    a, b = np.array([1e308, 1e308]), np.array([1.0, -1.0, 2.0])
    for call in RANGE_CALLS.values():
        out = call(a, b, "full")
        assert np.isfinite(out[:3]).all() and out[3] == np.inf, out
        np.testing.assert_allclose(out[[0, 2]], [1e308, 1e308], rtol=1e-12)
        assert abs(out[1]) <= 1e-14 * 4e308 / 2**10   # FFT rounding of a zero
        other = call(a, np.array([2.0, -2.0]), "full")
        assert other[0] == np.inf and other[2] == -np.inf and abs(other[1]) <= 1e295, other
    assert scipy.signal.convolve(a, b, method="direct")[2] == np.inf
    assert np.isnan(scipy.signal.convolve(a, [2.0, -2.0], method="direct")[1])
    # the direct method's second, scaled run replaces only the outputs that overflowed:
    # a tiny value far from the large ones keeps its exact contribution
    x = np.zeros(300)
    x[:2], x[-1] = 1e308, 1e-300
    out = sc.convolve(x, np.array([2.0, -2.0]), method="direct")
    np.testing.assert_array_equal(out[[0, 1, 2, -2, -1]],
                                  [np.inf, 0.0, -np.inf, 2e-300, -2e-300])


@pytest.mark.parametrize("mode, boundary", [("valid", "fill"), ("same", "symm"),
                                            ("full", "wrap")])
@pytest.mark.parametrize("function", ["convolve2d", "correlate2d"])
def test_2d_near_overflow_never_nan(function, mode, boundary):
    """Rows of +-1e308 under a rank-one kernel (two 1-D passes, whose first is beyond
    the range where the 2-D sum is not): the exact result, inf only where it is beyond
    the range, as the exact sums on the mantissas say."""
    image = np.full((12, 14), 1.0)
    image[::2] = -1.0
    kernel = np.outer([1.0, 1.0], np.ones(6))
    expected = scipy.signal.convolve2d(image, kernel, mode, boundary) if (
        function == "convolve2d") else scipy.signal.correlate2d(image, kernel, mode, boundary)
    with np.errstate(over="ignore"):
        expected = expected * 1e308   # exact: small integers times 1e308, or inf
    out = getattr(sc, function)(image * 1e308, kernel, mode, boundary)
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(np.isinf(out), np.isinf(expected))
    np.testing.assert_allclose(out[np.isfinite(out)], expected[np.isfinite(expected)],
                               rtol=1e-12)


def test_fft_scaling_leaves_ordinary_values_bit_identical():
    """Magnitudes far from the range's ends take the unscaled path (the same bits as
    before the scaling existed: the scan decides, nothing else changes)."""
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(300), rng.standard_normal(41)
    p = conv._Problem(a, b, "full", None)
    assert conv._fft_shifts(p) is None
    assert conv._fft_shifts(conv._Problem(a * 1e300, b, "full", None)) is not None
    assert conv._fft_shifts(conv._Problem(a * 1e-300, b, "full", None)) is not None
    # integers never scaled; an inf not scaled (the result is not finite anyway; a NaN
    # may go unseen by the one-pass bound, and scaling it is harmless)
    assert conv._fft_shifts(conv._Problem(a.astype(int), b.astype(int), "full", None)) is None
    assert conv._fft_shifts(conv._Problem(np.r_[a, np.inf] * 1e300, b, "full", None)) is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # the FFT of a NaN, as SciPy
        assert np.isnan(sc.fftconvolve(np.r_[a, np.nan] * 1e300, b)).all()


# --------------------------------------------------------------------------------------
# device="cuda" without a GPU
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("function", ["convolve", "correlate", "convolve2d", "correlate2d"])
def test_cuda_without_a_gpu_is_a_named_error(function):
    """device='cuda' where numba finds no GPU: sigconv.CUDAUnavailableError (a
    RuntimeError and a ValueError) naming ``device``; with a GPU, the CPU's result."""
    call = getattr(sc, function)
    x = np.arange(12.0).reshape(3, 4)
    h = np.array([[1.0, 2.0], [3.0, -1.0]])
    if sc.cuda_available():
        np.testing.assert_allclose(call(x, h, device="cuda"), call(x, h, device="cpu"))
        return
    with pytest.raises(sc.CUDAUnavailableError, match="device") as info:
        call(x, h, device="cuda")
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, ValueError)
    # the same before any other work: also for arguments the CPU would refuse later
    with pytest.raises(sc.CUDAUnavailableError, match="device"):
        call(x, h, "same", device="cuda")


@pytest.mark.parametrize("function", ["fftconvolve", "oaconvolve"])
def test_fft_functions_take_no_device(function):
    """The FFT functions run on the CPU only (scipy.fft): no ``device`` argument."""
    with pytest.raises(TypeError, match="device"):
        getattr(sc, function)(np.ones(3), np.ones(2), device="cuda")


# --------------------------------------------------------------------------------------
# any numeric array, any layout: the oracle's value or a named error
# --------------------------------------------------------------------------------------
@SETTINGS
@given(harness.numeric_arrays(max_dims=2, max_side=5), harness.numeric_arrays(
    max_dims=2, max_side=5), st.sampled_from(MODES), st.sampled_from(METHODS),
    st.sampled_from(sorted({**SIGNAL_FUNCTIONS, **FFT_FUNCTIONS})))
def test_any_numeric_arrays(in1, in2, mode, method, function):
    kwargs = {"method": method} if function in SIGNAL_FUNCTIONS else {}
    call = {**SIGNAL_FUNCTIONS, **FFT_FUNCTIONS}[function]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # FFT of NaN/inf, overflow
        out = harness.outcome(("in1", "in2", "mode"), call, in1, in2, mode, **kwargs)
    problems = [np.ndim(in1) != np.ndim(in2), np.size(in1) == 0, np.size(in2) == 0]
    if out is None:   # a clear error: it must be one the arguments call for
        valid_impossible = mode == "valid" and np.ndim(in1) == np.ndim(in2) and not (
            valid_possible(np.shape(in1), np.shape(in2)))
        integers = np.result_type(in1, in2).kind in "biu"   # OverflowError
        assert any(problems) or valid_impossible or integers
        return
    assert not any(problems), "accepted inputs it should refuse"
    integers = np.result_type(in1, in2).kind in "biu" and (
        function in SIGNAL_FUNCTIONS or np.ndim(in1) == 0)
    if integers:
        exact = exact_oracle(function if function in SIGNAL_FUNCTIONS else "convolve",
                             np.atleast_1d(in1), np.atleast_1d(in2), mode)
        np.testing.assert_array_equal(np.atleast_1d(out),
                                      naive.as_dtype(exact, np.result_type(in1, in2)))
    elif np.ndim(in1):
        assert out.shape == scipy.signal.convolve(
            np.ones(np.shape(in1)), np.ones(np.shape(in2)), mode).shape


@st.composite
def awkward(draw):
    """harness.awkward_arrays, whose AWKWARD_DTYPES mixes scalar types with dtypes (its
    ``np.longdouble`` has no ``.kind``): the same values, the dtypes normalized here."""
    if draw(st.booleans()):
        return draw(st.sampled_from([[[1, 2], [3]], [1, [2, 3]], ["a", 1], [None, 1.0],
                                     {"a": 1}, None, "text", b"bytes"]))
    dtype = np.dtype(draw(st.sampled_from(harness.AWKWARD_DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
    if dtype.kind in "fc":
        return np.ones(shape, dtype)
    return np.full(shape, None, dtype) if dtype.kind == "O" else np.zeros(shape, dtype)


@settings(max_examples=30, deadline=None)
@given(awkward(), st.booleans(),
       st.sampled_from(["convolve", "correlate", "fftconvolve", "oaconvolve",
                        "choose_conv_method", "convolve2d", "correlate2d"]))
def test_awkward_inputs_are_refused_by_name(awkward, first, function):
    other = np.ones((2, 2)) if "2d" in function else np.ones(2)
    args = (awkward, other) if first else (other, awkward)
    out = harness.outcome("in1" if first else "in2", getattr(sc, function), *args,
                          kinds=(TypeError, ValueError))
    assert out is None


BAD_MODES = [None, "FULL", "", "same ", 1, b"full", ["full"], True,
             np.array(["full", "same"])]
BAD_METHODS = [None, "FFT", "direct ", 0, "overlap-add", ("fft",), True,
               np.array(["auto", "fft"])]
BAD_AXES = [True, np.bool_(False), 1.5, "0", [0, 0], 5, -5, [], np.float64(0), [None],
            object()]


@pytest.mark.parametrize("function", ["convolve", "correlate", "fftconvolve",
                                      "oaconvolve"])
def test_bad_strings_and_axes_are_refused_by_name(function):
    call = getattr(sc, function)
    x = np.ones((3, 4))
    for mode in BAD_MODES:   # the 1-D fast path too
        assert harness.outcome("mode", call, np.ones(4), np.ones(2), mode,
                               kinds=(ValueError,)) is None
    if function in SIGNAL_FUNCTIONS:
        for method in BAD_METHODS:
            assert harness.outcome("method", call, np.ones(4), np.ones(2), "full", method,
                                   kinds=(ValueError,)) is None
    for mode in BAD_MODES:
        assert harness.outcome("mode", call, x, x, mode, kinds=(ValueError,)) is None
    if function in SIGNAL_FUNCTIONS:
        for method in BAD_METHODS:
            assert harness.outcome("method", call, x, x, "full", method,
                                   kinds=(ValueError,)) is None
    for axes in BAD_AXES:
        assert harness.outcome("axes", call, x, x, axes=axes,
                               kinds=(TypeError, ValueError)) is None
    assert harness.outcome(("in1", "in2"), call, x, np.ones(3),
                           kinds=(ValueError,)) is None   # wrong ndim
    assert harness.outcome(("in1", "in2"), call, x, np.ones((0, 3)),
                           kinds=(ValueError,)) is None   # empty
    assert harness.outcome(("in1", "in2"), call, x, np.ones((3, 4), np.longdouble),
                           kinds=(TypeError,)) is None


def test_choose_conv_method_and_window_arguments():
    assert harness.outcome("measure", sc.choose_conv_method, [1.0], [1.0], measure="no",
                           kinds=(TypeError,)) is None
    assert harness.outcome("mode", sc.choose_conv_method, [1.0], [1.0], mode="x",
                           kinds=(ValueError,)) is None
    for window in (3, {}, {0: 3}, {0: ("a", 1)}, {0: (True, 1)}, {True: (0, 1)},
                   {5: (0, 1)}, {0: (4, 4)}, {0: (-1, 2)}):
        assert harness.outcome("window", conv.convolve_window, np.ones(5), np.ones(3),
                               window, kinds=(TypeError, ValueError)) is None
    np.testing.assert_array_equal(conv.convolve_window(np.ones(5), np.ones(3), {0: (1, 3)}),
                                  np.convolve(np.ones(5), np.ones(3))[1:4])


def test_same_mode_keeps_the_whole_broadcast_batch():
    """The documented divergence: SciPy's ``same`` cuts the batch to in1's length."""
    signal = np.arange(8.0)[np.newaxis]          # one signal
    kernels = np.arange(15.0).reshape(5, 3)      # five kernels
    for function in ("convolve", "correlate", "fftconvolve", "oaconvolve"):
        out = getattr(sc, function)(signal, kernels, "same", axes=1)
        assert out.shape == (5, 8)
        for row in range(5):
            expected = getattr(np, "convolve" if function != "correlate" else "correlate")(
                signal[0], kernels[row], "full")
            expected = naive.mode_window(expected, (8,), (3,), "same")
            np.testing.assert_allclose(out[row], expected, atol=1e-9)
    assert scipy.signal.fftconvolve(signal, kernels, "same", axes=1).shape == (1, 8)


# --------------------------------------------------------------------------------------
# 2-D: boundaries and fill values
# --------------------------------------------------------------------------------------
BAD_FILLVALUES = [("1", TypeError), (None, TypeError), ([1], ValueError),
                  (1j, ValueError), (True, TypeError), (object(), TypeError)]


@pytest.mark.parametrize("function", ["convolve2d", "correlate2d"])
def test_2d_arguments_refused_by_name(function):
    call = getattr(sc, function)
    image, kernel = np.ones((4, 5)), np.ones((2, 2))
    for fill, kind in BAD_FILLVALUES:
        assert harness.outcome("fillvalue", call, image, kernel, fillvalue=fill,
                               kinds=(kind,)) is None
    for boundary in (None, "reflect", "FILL", 0):
        assert harness.outcome("boundary", call, image, kernel, boundary=boundary,
                               kinds=(ValueError,)) is None
    for mode in BAD_MODES:
        assert harness.outcome("mode", call, image, kernel, mode,
                               kinds=(ValueError,)) is None
    integers = np.ones((4, 5), np.int64)
    for fill in (np.nan, np.inf, 0.5, 2**70, 2**63):
        assert harness.outcome("fillvalue", call, integers, integers[:2, :2],
                               fillvalue=fill, kinds=(ValueError,)) is None
    assert harness.outcome("in1", call, np.ones(3), kernel, kinds=(ValueError,)) is None
    assert harness.outcome("in2", call, image, np.ones((2, 2, 1)),
                           kinds=(ValueError,)) is None


def bounded(array):
    """Finite values in [-1e3, 1e3], the real and imaginary parts each (NumPy's clip
    orders complex numbers lexicographically, which leaves imaginary parts of 3e38 that
    overflow complex64 products, where the complex128 reference does not)."""
    finite = np.nan_to_num(array, nan=1.0, posinf=2.0, neginf=-2.0)
    if finite.dtype.kind == "c":
        return (finite.real.clip(-1e3, 1e3) + 1j * finite.imag.clip(-1e3, 1e3)).astype(
            finite.dtype)
    return finite.clip(-1e3, 1e3)


@SETTINGS
@given(st.sampled_from(INT_DTYPES + FLOAT_DTYPES[1:]), st.sampled_from(MODES),
       st.sampled_from(["fill", "wrap", "symm"]), st.data())
def test_2d_matches_scipy_with_nan_fill_and_integer_limits(dtype, mode, boundary, data):
    dtype = np.dtype(dtype)
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5))
    kshape = data.draw(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=3))
    if mode == "valid" and (kshape[0] > shape[0] or kshape[1] > shape[1]):
        return
    elements = (harness.special_values(dtype) if dtype.kind in "iu" and data.draw(
        st.booleans()) else None)
    image = data.draw(hnp.arrays(dtype, shape, elements=elements))
    kernel = data.draw(hnp.arrays(dtype, kshape, elements=elements))
    if dtype.kind in "fc":
        image, kernel = bounded(image), bounded(kernel)
        fill = data.draw(st.sampled_from([0.0, np.nan, 2.5]))
    else:
        fill = 0 if dtype.kind == "b" else data.draw(st.sampled_from([0, 1]))
    for function in ("convolve2d", "correlate2d"):
        try:
            out = getattr(sc, function)(image, kernel, mode, boundary, fill)
        except OverflowError as exc:
            harness.check_error(exc, ("in1", "in2"), OverflowError)
            largest = max(int(np.abs(image.astype(object)).max()), abs(fill))
            assert dtype.kind in "iu" and largest * int(np.abs(
                kernel.astype(object)).sum()) > np.iinfo(dtype).max
            continue
        wide = np.complex128 if dtype.kind == "c" else (
            object if dtype.kind in "biu" else np.float64)
        expected = getattr(scipy.signal, function)(
            image.astype(np.float64 if wide is object else wide),
            kernel.astype(np.float64 if wide is object else wide), mode, boundary, fill)
        assert out.dtype == dtype and out.shape == expected.shape
        if dtype.kind in "iu" and np.abs(image.astype(float)).max() * np.abs(
                kernel.astype(float)).sum() >= 2**52:
            continue   # SciPy's float64 reference is not exact there (checked elsewhere)
        if dtype.kind == "b":
            expected = expected > 0
        if dtype.kind in "fc":   # beyond the dtype's range the result is inf (2j * 2**127j)
            with np.errstate(over="ignore"):
                expected = expected.astype(dtype).astype(wide)
        finite = np.abs(expected[np.isfinite(expected)])
        scale = max(1.0, float(finite.max())) if finite.size else 1.0
        np.testing.assert_allclose(out.astype(expected.dtype), expected, rtol=1e-4,
                                   atol=1e-3 * scale, equal_nan=True)


def test_convolution_matrix2d_arguments():
    kernel = np.ones((2, 2))
    for shape, kind in [(5, TypeError), ((True, 3), TypeError), ("ab", TypeError),
                        ((3,), ValueError), ((0, 3), ValueError), ((3.0, 3), TypeError),
                        (None, TypeError)]:
        assert harness.outcome("image_shape", sc.convolution_matrix2d, kernel, shape,
                               kinds=(kind,)) is None
        assert harness.outcome("image_shape", sc.ConvolutionOperator2D, kernel, shape,
                               kinds=(kind,)) is None
    assert harness.outcome("kernel", sc.convolution_matrix2d, np.ones((2, 2), np.longdouble),
                           (3, 3), kinds=(TypeError,)) is None
    operator = sc.ConvolutionOperator2D(kernel, (3, 4))
    assert harness.outcome("x", operator.matvec, np.ones(11), kinds=(ValueError,)) is None
    assert harness.outcome("x", operator.matvec, np.array(["a"] * 12),
                           kinds=(TypeError,)) is None
    np.testing.assert_allclose(operator @ np.arange(12.0),
                               sc.convolve2d(np.arange(12.0).reshape(3, 4), kernel).ravel())


# --------------------------------------------------------------------------------------
# sizes: refused before allocating, naming the arguments (child processes, 2 GiB cap)
# --------------------------------------------------------------------------------------
ALLOCATION_CASES = {
    # two 1e10-sample inputs (broadcast views cost no memory) under every function
    "full": "sc.convolve(big, big)",
    "same_fft": "sc.convolve(big, np.broadcast_to(1.0, 10**6), mode='same')",
    "correlate": "sc.correlate(big, big, method='direct')",
    "fftconvolve": "sc.fftconvolve(big, big)",
    "oaconvolve": "sc.oaconvolve(big, np.ones(10**3))",
    # a small result, but the direct method copies the broadcast inputs whole
    "valid_direct": "sc.convolve(big9, np.broadcast_to(1.0, 10**9 - 3), 'valid', 'direct')",
    # a small result, but the FFT's padded transforms are huge
    "valid_fft": "sc.convolve(big9, np.broadcast_to(1.0, 10**9 - 3), 'valid', 'fft')",
    "valid_oa": "sc.convolve(big9, np.ones(10**4), 'valid', 'oa')",
    "valid_auto": "sc.convolve(big9, np.ones(10**4), 'valid')",
    # integers beyond int64's reach: an output of 1e8 Python ints
    "object_ints": "sc.convolve(np.broadcast_to(np.int64(2**40), 10**8), "
                   "np.broadcast_to(np.int64(2**40), 10**8), 'same')",
    "fft_ints": "sc.convolve(np.broadcast_to(np.int8(3), 10**9), np.ones(10**4, np.int8), "
                "'valid', 'fft')",
    "batch": "sc.convolve(np.broadcast_to(1.0, (10**5, 1, 10**4)), "
             "np.broadcast_to(1.0, (1, 10**5, 3)), axes=2)",
    "convolve2d": "sc.convolve2d(np.broadcast_to(1.0, (10**5, 10**5)), np.ones((3, 3)))",
    "convolve2d_wrap": "sc.convolve2d(np.broadcast_to(1.0, (10**5, 10**5)), np.ones((3, 3)),"
                       " 'same', 'wrap')",
    "correlate2d": "sc.correlate2d(np.broadcast_to(1, (10**5, 10**5)), np.ones((3, 3), int),"
                   " 'valid')",
    # a kernel of 1e10 elements: the result is that large; checked before the kernel's
    # finiteness mask (9.3 GiB) or conjugate (149 GiB) is made
    "convolve2d_kernel": "sc.convolve2d(np.arange(12.0).reshape(3, 4), "
                         "np.broadcast_to(1.0, (10**5, 10**5)))",
    "correlate2d_kernel": "sc.correlate2d(np.arange(12.0).reshape(3, 4), "
                          "np.broadcast_to(1.0, (10**5, 10**5)))",
    "correlate2d_complex": "sc.correlate2d(np.ones((3, 4)), "
                           "np.broadcast_to(1j, (10**5, 10**5)), 'same')",
    # a 2 x 2 result of a rank-one 1e10 kernel: no SVD of it (a 75 GiB copy, a hang)
    "valid_rank_one": "sc.convolve2d(np.broadcast_to(1.0, (10**5, 10**5)), "
                      "np.broadcast_to(1.0, (10**5 - 1, 10**5 - 1)), 'valid')",
    # a small result; the complex conjugate of a broadcast in2 stays broadcast
    "correlate_complex": "sc.correlate(np.broadcast_to(1j, 10**9), "
                         "np.broadcast_to(2j, 10**9 - 3), 'valid', 'direct')",
    # near the float range: the scaled copy of the long input counts (and is refused)
    "fft_scaled": "sc.convolve(np.broadcast_to(1e300, 10**9), "
                  "np.broadcast_to(1e300, 10**9 - 3), 'valid', 'fft')",
}


def test_allocations_are_refused_by_name():
    """One child process runs every case: each must end in a MemoryError that names the
    inputs (before NumPy tries to allocate), not in NumPy's own MemoryError, a crash or a
    hang."""
    harness.assert_isolated_memory_errors(
        {name: (code, "in1, in2") for name, code in ALLOCATION_CASES.items()},
        setup="big = np.broadcast_to(1.0, 10**10)\nbig9 = np.broadcast_to(1.0, 10**9)")


@pytest.mark.full
@pytest.mark.parametrize("call", [
    "sdask.correlate(da.ones(10**10, chunks=10**8), np.broadcast_to(1j, 10**9), 'valid')",
    "sdask.convolve2d(da.ones((10**5, 10**5), chunks=10**4), "
    "np.broadcast_to(1.0, (10**5, 10**5)), 'valid')",
])
def test_dask_kernel_allocation_is_refused_by_name(call):
    """sigconv.dask holds the kernel whole in every task: a broadcast kernel of 1e9
    elements is refused by name before dask's tokenize copies it (NumPy's unnamed
    MemoryError of 14.9 GiB before)."""
    pytest.importorskip("dask.array")
    harness.assert_isolated_error(
        "import numpy as np, dask.array as da, sigconv.dask as sdask\n" + call,
        "kernel", kinds=("MemoryError",), timeout=120)


def test_convolution_matrix2d_allocation_is_refused_by_name():
    harness.assert_isolated_error(
        "import numpy as np, sigconv as sc\n"
        "sc.convolution_matrix2d(np.ones((3, 3)), (10**5, 10**5))",
        "kernel, image_shape", kinds=("MemoryError",), timeout=120)


def test_moderate_broadcast_input_still_runs():
    """The checks refuse what cannot fit, nothing more: a broadcast input whose result
    is small runs (its statistics come from its one distinct value)."""
    harness.assert_isolated_finishes(
        "import numpy as np, sigconv as sc\n"
        "x = np.broadcast_to(np.int64(3), 10**7)\n"
        "result = sc.convolve(x, np.array([1, 2]), 'valid')[:3].tolist()\n"
        "assert result == [9, 9, 9], result\n", timeout=120)


def test_huge_integer_sums_finish_exactly():
    """Values whose sums leave int64: the limbs' int64 kernels, not a Python loop over
    1e7 taps (which ran for many minutes); the exact sums do not fit: OverflowError."""
    report = harness.run_isolated(
        "import numpy as np, sigconv as sc\n"
        "x = np.broadcast_to(np.int64(2**40), 10**7)\n"
        "sc.convolve(x, np.broadcast_to(np.int64(2**40), 10**7 - 1), 'valid')\n",
        timeout=120)
    assert report["status"] == "raised" and report["type"] == "OverflowError", report
    assert "in1, in2" in report["message"] and str(2**80 * (10**7 - 1)) in report["message"]


def test_memory_checks_follow_the_configured_limit(monkeypatch):
    monkeypatch.setattr(sc._config, "MAX_MEMORY", 10**6)
    x = np.ones(10**5)
    with pytest.raises(MemoryError, match="in1, in2"):
        sc.convolve(x, x, method="fft")          # 1.6 MB result alone
    with pytest.raises(MemoryError, match="in1, in2"):
        # a 0.8 MB result and a 0.8 MB contiguous copy of the strided input
        sc.convolve(np.ones(2 * 10**5)[::2], np.ones(3), "valid", "direct")
    assert sc.convolve(x, np.ones(3), "valid", "direct").shape == (10**5 - 2,)   # no copy
    with pytest.raises(MemoryError, match="in1, in2"):
        sc.convolve(x[:40_000], np.ones(10_000), "valid", "fft")   # padded transforms
    assert sc.convolve(np.ones(100), np.ones(3), method="oa").sum() == 300.0
