"""Shared Hypothesis strategies, random inputs and tolerances for the sigconv tests.

Array *values* come from a NumPy generator seeded by Hypothesis: that keeps example
generation cheap for arrays of up to ~64 entries and deterministic under the CI profile,
while Hypothesis still chooses (and shrinks) the lengths, dtypes, modes and seeds.
"""

import math
import zlib

import naive
import numpy as np
import pytest
from hypothesis import strategies as st

FLOAT_DTYPES = (np.float32, np.float64, np.complex64, np.complex128)
INT_DTYPES = (np.int8, np.int16, np.int32, np.int64, np.uint8)
ALL_DTYPES = FLOAT_DTYPES + INT_DTYPES + (np.bool_,)
MODES = ("full", "same", "valid")
METHODS = ("direct", "fft", "oa")

#: 1, even, odd, primes and powers of two (and their neighbours) up to 64
SPECIAL_LENGTHS = (1, 2, 3, 4, 5, 7, 8, 9, 11, 13, 16, 17, 31, 32, 33, 61, 64)

#: default value ranges of random integer inputs: small enough that most short
#: convolutions fit the dtype, large enough that every bit pattern path is exercised
INT_RANGES = {
    np.dtype(np.int8): (-3, 3),
    np.dtype(np.int16): (-100, 100),
    np.dtype(np.int32): (-10_000, 10_000),
    np.dtype(np.int64): (-1_000_000, 1_000_000),
    np.dtype(np.uint8): (0, 3),
    np.dtype(np.uint64): (0, 1_000_000),
}

#: relative tolerance per result dtype (the absolute part is derived from the inputs)
RTOL = {
    np.dtype(np.float32): 1e-4,
    np.dtype(np.complex64): 1e-4,
    np.dtype(np.float64): 1e-10,
    np.dtype(np.complex128): 1e-10,
}


def rng_for(*key):
    """A generator seeded from a test's parameters (stable across runs and processes)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def lengths(max_length=64):
    """Lengths from 1 to ``max_length``, favouring 1, primes, powers of two."""
    special = [n for n in SPECIAL_LENGTHS if n <= max_length]
    return st.one_of(st.sampled_from(special), st.integers(1, max_length))


def random_array(rng, shape, dtype, full_range=False, unit=False):
    """Random array of ``dtype``: normal floats, complex with both parts, small integers.

    With ``full_range`` integers span the whole range of their dtype; with ``unit`` they
    are in {-1, 0, 1} ({0, 1} if unsigned), for products of several convolutions.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if unit:
        low, high = (0 if dtype.kind == "u" else -1), 1
    elif full_range:
        info = np.iinfo(dtype)
        low, high = int(info.min), int(info.max)
    else:
        low, high = INT_RANGES[dtype]
    return rng.integers(low, high, size=shape, dtype=dtype, endpoint=True)


@st.composite
def arrays(draw, dtype, shape, full_range=False, unit=False):
    """A random array of ``dtype`` and ``shape`` from a Hypothesis-drawn seed."""
    seed = draw(st.integers(0, 2**32 - 1))
    return random_array(np.random.default_rng(seed), shape, dtype, full_range, unit)


@st.composite
def pairs(draw, dtypes=ALL_DTYPES, max_length=64, modes=MODES):
    """``(in1, in2, mode)``: two 1-D arrays of one drawn dtype and a mode."""
    dtype = draw(st.sampled_from(dtypes))
    n = draw(lengths(max_length))
    k = draw(lengths(max_length))
    mode = draw(st.sampled_from(modes))
    return draw(arrays(dtype, n)), draw(arrays(dtype, k)), mode


def int_dtype(dtype):
    return np.dtype(dtype).kind in "biu"


def conv_atol(in1, in2, dtype):
    """Absolute error bound of any of the three methods, derived from the inputs.

    * direct: each output sums at most ``K = min(size)`` products, so its rounding error is
      at most ``K eps max|a| sum|b|`` (and symmetrically), with ``eps`` of ``dtype``;
    * FFT / overlap-add: the computed transform of length ``L`` has a 2-norm error of
      ``O(log2 L eps)`` relative to the exact one, which makes the error of every output at
      most ``O(log2 L eps) ||a||_1 ||b||_2`` (``||Fa||_inf <= ||a||_1``, Parseval for b).

    The constants (4 and 8) are safety margins on those bounds, not fitted slack.
    """
    dtype = np.dtype(dtype)
    eps = float(np.finfo(dtype if dtype.kind in "fc" else np.float64).eps)
    in1, in2 = np.asarray(in1), np.asarray(in2)
    k = min(in1.size, in2.size)
    direct = 4 * k * eps * min(naive.linf(in1) * naive.l1(in2), naive.linf(in2) * naive.l1(in1))
    full_len = in1.size + in2.size
    fft = 8 * (math.log2(full_len) + 1) * eps * min(
        naive.l1(in1) * naive.l2(in2), naive.l2(in1) * naive.l1(in2))
    return direct + fft + float(np.finfo(np.float64).tiny)


def assert_conv_equal(actual, expected, in1, in2):
    """Exact for integer/bool results, else within :data:`RTOL` and :func:`conv_atol`."""
    actual = np.asarray(actual)
    if actual.dtype.kind in "biu":
        np.testing.assert_array_equal(actual, naive.as_dtype(expected, actual.dtype)
                                      if np.asarray(expected).dtype == object else expected)
        return
    np.testing.assert_allclose(
        actual, np.asarray(expected, dtype=np.complex128 if actual.dtype.kind == "c"
                           else np.float64),
        rtol=RTOL[actual.dtype], atol=conv_atol(in1, in2, actual.dtype))


def check_exact_or_overflow(call, expected, dtype):
    """``call()`` equals the exact ``expected`` cast to ``dtype``, or raises OverflowError
    exactly when ``expected`` does not fit ``dtype``."""
    if naive.fits(expected, dtype):
        result = call()
        assert result.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(result, naive.as_dtype(expected, dtype))
    else:
        with pytest.raises(OverflowError, match=f"result dtype {np.dtype(dtype)}"):
            call()
