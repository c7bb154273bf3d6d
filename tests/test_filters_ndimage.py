"""SciPy's own tests of ``scipy.ndimage``'s linear filters, run against :mod:`sigconv.filters`.

Adapted from SciPy 1.17.1, ``scipy/ndimage/tests/test_filters.py`` (BSD-3-Clause, the SciPy
developers), the NumPy backend only. Each test keeps the original's checks and values, with
the functions under test called through ``ndi = sigconv.filters`` (ndimage's names and
argument order). Hand-written expected arrays are kept as they are; where the original
checked one ndimage function against another (``prewitt`` against two ``correlate1d``,
``axes=`` against ``sigma=0`` on the other axes, ...), that check runs on sigconv's
functions, and most such tests also compare with ``scipy.ndimage`` itself as the
reference. Where the original wrote into an integer ``output=`` array, the reference is
ndimage's result in the same integer dtype.

Scope (issue 18): gaussian_filter/gaussian_filter1d (order, radius, truncate, axes),
uniform_filter/uniform_filter1d, sobel, prewitt, laplace, gaussian_laplace,
gaussian_gradient_magnitude, correlate/convolve, correlate1d/convolve1d (modes, origin,
cval, output). The rank, min/max, median, generic and vectorized filters are out of scope,
as are the parameters of shared tests that use them.

Mapping: the in-scope part of the original file collects **1811** NumPy-backend test
instances (110 test functions, or parametrized cases of them); each maps to exactly one
test instance here, **1811** in all. A test keeps its original name, or, where several
originals share one body, becomes a case of a parametrized test whose first parameter is
the original name: ``test_correlate_cases`` (correlate01-12, 17),
``test_correlate_float32_output`` (15, 16, 18, 19), ``test_correlate1d_output_array``
(20, 22-25), ``test_prewitt_sobel`` (prewitt01/03, sobel01/03),
``test_prewitt_sobel_output`` (02), ``test_prewitt_sobel_negative_axis`` (04),
``test_uniform_cases`` (uniform02-05) and ``test_extend`` (extend01-10); parametrized
originals keep their parameters (in another order). Of the shared tests the in-scope
cases are kept: the gaussian/uniform (and correlate/convolve) cases of
``test_filter_axes``, ``test_filter_axes_kwargs``, ``test_filter_invalid_axes``,
``test_filter_invalid_footprint_ndim``, ``test_filter_weights_subset_axes_origins``,
``test_filter_tuple_length_mismatch``, ``test_multiple_modes``, ``test_valid_origins2``,
``TestThreading``; the gaussian/uniform half of ``test_multiple_modes_sequentially``;
``test_generic_laplace01`` / ``test_generic_gradient_magnitude01`` with the generic
filter written out as the sum over axes of Gaussian derivatives (sigconv has no generic
filters); ``test_gh_5430`` and ``test_gaussian_kernel1d`` through public functions (the
originals call ndimage's private helpers). The dtype grids (10 x 10
input/output dtypes, the complex grids and the 240-case axes grid) run a representative
part by default and the rest under ``@pytest.mark.full`` (``--full``), so that the
default run takes seconds.

Documented differences (sigconv's docstrings and ``docs/conventions.rst``), and how the
tests treat them -- none is skipped:

* **Integer images give float64 results** unless ``output=`` asks for an integer dtype
  (ndimage returns the input's integer dtype). ``test_extend01``-``10`` (which compare
  dtypes exactly) check the same values and a float64 result instead;
  ``test_uniform_filter1d_roundoff_errors`` checks its sum with ``output=`` the integer
  dtype (ndimage's default), and the float result against ndimage's on a float copy.
  ``test_prewitt``/``test_sobel``/``test_laplace``-style tests on integer images compare
  with ndimage on the image as float64, or with ndimage's integer ``output=`` array where
  the original wrote into one.
* **float16 is filtered and returned in float32** (ndimage refuses float16 with a
  RuntimeError): ``test_gaussian_filter_float16`` checks the float32 result instead.
* **Argument errors are ValueError/TypeError** naming the argument (the project's rule),
  where ndimage raises RuntimeError for a per-axis sequence of the wrong length, a
  ``weights.ndim`` that does not match ``len(axes)`` or a mode sequence for
  correlate/convolve (``test_correlate_mode_sequence``,
  ``test_filter_invalid_footprint_ndim``, ``test_filter_tuple_length_mismatch``, and the
  real ``output=`` array for a complex result in the complex tests): the tests expect
  ValueError/TypeError, and match the argument's name rather than ndimage's wording.

* **complex64 images are summed in complex64 arithmetic** by the 1-D passes (ndimage
  sums in double and rounds once; float32 images are summed in float64 as in ndimage):
  where the original compares complex64 Gaussian-derivative results with ``decimal=6`` on
  values in the hundreds (``test_gaussian_laplace01/02``,
  ``test_gaussian_gradient_magnitude01/02``, ``test_generic_laplace01``), the tolerance
  adds 1e-6 of the largest magnitude (about 8 float32 ulps;
  ``assert_filtered_almost_equal``).

Marked ``xfail(strict=True)``: none (every in-scope test passes, as adapted above).
"""

import functools
import itertools

import numpy as np
import pytest
import scipy.ndimage as ndimage
from numpy.testing import assert_allclose, assert_array_equal

import sigconv.filters

ndi = sigconv.filters

pytestmark = pytest.mark.kernel

INTEGER_TYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]
FLOAT_TYPES = ["float32", "float64"]
COMPLEX_TYPES = ["complex64", "complex128"]
TYPES = INTEGER_TYPES + FLOAT_TYPES

#: the dtypes of a 10-dtype axis that the default run keeps (the rest run with --full)
QUICK_TYPES = ("uint8", "int32", "float32", "float64")

#: the error classes of a wrong argument (ndimage raises RuntimeError for some of them)
ARG_ERRORS = (ValueError, TypeError)

def _grid(*axes, quick):
    """``pytest.param`` for every combination of ``axes``; those for which ``quick(*combo)``
    is false are marked ``full`` (run with ``--full``)."""
    return [pytest.param(*combo, marks=() if quick(*combo) else pytest.mark.full)
            for combo in itertools.product(*axes)]


#: the (input, output) dtype pairs of a 10 x 10 grid that the default run keeps
QUICK_PAIRS = {(dtype, dtype) for dtype in QUICK_TYPES} | {("uint8", "float64"),
                                                           ("float64", "int16")}


def _quick_pair(dtype_array, dtype_output):
    return (dtype_array, dtype_output) in QUICK_PAIRS


def assert_array_almost_equal(actual, desired, decimal=6):
    """SciPy's test helper: ``|actual - desired| <= 1.5 10**-decimal``, any dtype."""
    actual = np.asarray(actual)
    desired = np.asarray(desired)
    assert actual.shape == desired.shape or desired.ndim == 0, (actual.shape, desired.shape)
    assert_allclose(actual, desired, rtol=0, atol=1.5 * 10.0**-decimal)


assert_almost_equal = functools.partial(assert_array_almost_equal, decimal=7)


def assert_close(actual, desired, rtol=None, atol=0):
    """SciPy's ``xp_assert_close``: same dtype and shape, rtol by dtype by default."""
    actual = np.asarray(actual)
    desired = np.asarray(desired)
    assert actual.dtype == desired.dtype, (actual.dtype, desired.dtype)
    assert actual.shape == desired.shape, (actual.shape, desired.shape)
    if rtol is None:
        rtol = np.finfo(actual.dtype).eps ** 0.5 * 4 if actual.dtype.kind in "fc" else 0
    assert_allclose(actual, desired, rtol=rtol, atol=atol)


def assert_equal(actual, desired):
    """SciPy's ``xp_assert_equal``: same dtype, shape and values."""
    actual = np.asarray(actual)
    desired = np.asarray(desired)
    assert actual.dtype == desired.dtype, (actual.dtype, desired.dtype)
    assert_array_equal(actual, desired, strict=True)


def assert_float_result(actual, desired):
    """The documented integer-image behaviour: ``desired``'s values, as float64."""
    assert np.asarray(actual).dtype == np.float64, np.asarray(actual).dtype
    assert_array_equal(actual, np.asarray(desired, dtype=np.float64), strict=True)


def as_float(array):
    """The image sigconv filters: integers as float64 (the documented working dtype)."""
    array = np.asarray(array)
    return array.astype(np.float64) if array.dtype.kind in "biu" else array


def sumsq(a, b):
    return np.sqrt(np.sum((a - b) ** 2))


# ---------------------------------------------------------------------------------------
# correlate / convolve / correlate1d / convolve1d on tiny hand-written cases
# ---------------------------------------------------------------------------------------

#: name -> (array, weights, expected correlation, expected convolution, keywords); the
#: original calls the four functions (or the two N-D ones where the kernel is 2-D)
CORRELATE_CASES = {
    "test_correlate01": ([1, 2], [2], [2, 4], [2, 4], {}),
    "test_correlate02": ([1, 2, 3], [1], [1, 2, 3], [1, 2, 3], {}),
    "test_correlate03": ([1], [1, 1], [2], [2], {}),
    "test_correlate04": ([1, 2], [1, 1], [2, 3], [3, 4], {}),
    "test_correlate05": ([1, 2, 3], [1, 1], [2, 3, 5], [3, 5, 6], {}),
    "test_correlate06": ([1, 2, 3], [1, 2, 3], [9, 14, 17], [7, 10, 15], {}),
    "test_correlate07": ([1, 2, 3], [1, 2, 1], [5, 8, 11], [5, 8, 11], {}),
    "test_correlate08": ([1, 2, 3], [1, 2, -1], [1, 2, 5], [3, 6, 7], {}),
    "test_correlate09": (np.zeros(0), [1, 1], np.zeros(0), np.zeros(0), {}),
    "test_correlate10": (np.zeros((1, 0)), [[1, 1]], np.zeros((1, 0)), np.zeros((1, 0)), {}),
    "test_correlate11": ([[1, 2, 3], [4, 5, 6]], [[1, 1], [1, 1]],
                         [[4, 6, 10], [10, 12, 16]], [[12, 16, 18], [18, 22, 24]], {}),
    "test_correlate12": ([[1, 2, 3], [4, 5, 6]], [[1, 0], [0, 1]],
                         [[2, 3, 5], [5, 6, 8]], [[6, 8, 9], [9, 11, 12]], {}),
    "test_correlate17": ([1, 2, 3], [1, 1], [3, 5, 6], [2, 3, 5], {"origin": -1}),
}


@pytest.mark.parametrize("name", list(CORRELATE_CASES))
def test_correlate_cases(name):
    array, weights, tcor, tcov, kwargs = CORRELATE_CASES[name]
    array, weights = np.asarray(array), np.asarray(weights)
    assert_array_almost_equal(ndi.correlate(array, weights, **kwargs), tcor)
    assert_array_almost_equal(ndi.convolve(array, weights, **kwargs), tcov)
    if weights.ndim == 1:
        assert_array_almost_equal(ndi.correlate1d(array, weights, **kwargs), tcor)
        assert_array_almost_equal(ndi.convolve1d(array, weights, **kwargs), tcov)


def test_correlate01_overlap():
    array = np.arange(256).reshape(16, 16)
    expected = 2 * array
    ndi.correlate1d(array, np.asarray([2]), output=array)
    assert_array_almost_equal(array, expected)


KERNEL_DIAG = np.asarray([[1, 0], [0, 1]])
ARRAY_23 = [[1, 2, 3], [4, 5, 6]]


@pytest.mark.parametrize("dtype_array, dtype_kernel",
                         _grid(TYPES, TYPES, quick=_quick_pair))
def test_correlate13(dtype_array, dtype_kernel):
    array = np.asarray(ARRAY_23, dtype=dtype_array)
    output = ndi.correlate(array, KERNEL_DIAG, output=getattr(np, dtype_kernel))
    assert_array_almost_equal(output, [[2, 3, 5], [5, 6, 8]])
    assert output.dtype.type == getattr(np, dtype_kernel)
    output = ndi.convolve(array, KERNEL_DIAG, output=getattr(np, dtype_kernel))
    assert_array_almost_equal(output, [[6, 8, 9], [9, 11, 12]])
    assert output.dtype.type == getattr(np, dtype_kernel)


@pytest.mark.parametrize("dtype_array, dtype_output",
                         _grid(TYPES, TYPES, quick=_quick_pair))
def test_correlate14(dtype_array, dtype_output):
    array = np.asarray(ARRAY_23, dtype=dtype_array)
    output = np.zeros(array.shape, dtype=dtype_output)
    ndi.correlate(array, KERNEL_DIAG, output=output)
    assert_array_almost_equal(output, [[2, 3, 5], [5, 6, 8]])
    assert output.dtype == dtype_output
    ndi.convolve(array, KERNEL_DIAG, output=output)
    assert_array_almost_equal(output, [[6, 8, 9], [9, 11, 12]])
    assert output.dtype == dtype_output


#: name -> (kernel, keywords, expected correlation, expected convolution), each with
#: output=float32 and one test instance per input dtype in the original
FLOAT32_OUTPUT_CASES = {
    "test_correlate15": (KERNEL_DIAG, {}, [[2, 3, 5], [5, 6, 8]], [[6, 8, 9], [9, 11, 12]]),
    "test_correlate16": (np.asarray([[0.5, 0], [0, 0.5]]), {},
                         [[1, 1.5, 2.5], [2.5, 3, 4]], [[3, 4, 4.5], [4.5, 5.5, 6]]),
    "test_correlate18": (KERNEL_DIAG, {"mode": "nearest", "origin": -1},
                         [[6, 8, 9], [9, 11, 12]], [[2, 3, 5], [5, 6, 8]]),
    "test_correlate19": (KERNEL_DIAG, {"mode": "nearest", "origin": [-1, 0]},
                         [[5, 6, 8], [8, 9, 11]], [[3, 5, 6], [6, 8, 9]]),
}


@pytest.mark.parametrize("name, dtype_array", _grid(
    list(FLOAT32_OUTPUT_CASES), TYPES, quick=lambda name, dtype: dtype in QUICK_TYPES))
def test_correlate_float32_output(name, dtype_array):
    kernel, kwargs, tcor, tcov = FLOAT32_OUTPUT_CASES[name]
    array = np.asarray(ARRAY_23, dtype=dtype_array)
    output = ndi.correlate(array, kernel, output=np.float32, **kwargs)
    assert_array_almost_equal(output, tcor)
    assert output.dtype.type == np.float32
    output = ndi.convolve(array, kernel, output=np.float32, **kwargs)
    assert_array_almost_equal(output, tcov)
    assert output.dtype.type == np.float32


def test_correlate_mode_sequence():
    # ndimage: RuntimeError; sigconv: the project's ValueError naming mode
    kernel = np.ones((2, 2))
    array = np.ones((3, 3), dtype=np.float64)
    with pytest.raises(ARG_ERRORS, match="mode"):
        ndi.correlate(array, kernel, mode=["nearest", "reflect"])
    with pytest.raises(ARG_ERRORS, match="mode"):
        ndi.convolve(array, kernel, mode=["nearest", "reflect"])


#: name -> (keywords, expected correlation, expected convolution); correlate1d and
#: convolve1d along axis 0 into an output array, one instance per (input, output) dtype
ARRAY_OUTPUT_1D_CASES = {
    "test_correlate20": ({}, [[5, 10, 15], [7, 14, 21]], [[5, 10, 15], [7, 14, 21]]),
    "test_correlate22": ({"mode": "wrap"}, [[6, 12, 18], [6, 12, 18]],
                         [[6, 12, 18], [6, 12, 18]]),
    "test_correlate23": ({"mode": "nearest"}, [[5, 10, 15], [7, 14, 21]],
                         [[5, 10, 15], [7, 14, 21]]),
    "test_correlate24": ({"mode": "nearest", "origin": -1}, [[7, 14, 21], [8, 16, 24]],
                         [[4, 8, 12], [5, 10, 15]]),
    "test_correlate25": ({"mode": "nearest", "origin": 1}, [[4, 8, 12], [5, 10, 15]],
                         [[7, 14, 21], [8, 16, 24]]),
}


@pytest.mark.parametrize("name, dtype_array, dtype_output", _grid(
    list(ARRAY_OUTPUT_1D_CASES), TYPES, TYPES,
    quick=lambda name, a, o: _quick_pair(a, o)))
def test_correlate1d_output_array(name, dtype_array, dtype_output):
    kwargs, tcor, tcov = ARRAY_OUTPUT_1D_CASES[name]
    weights = np.asarray([1, 2, 1])
    array = np.asarray([[1, 2, 3], [2, 4, 6]], dtype=dtype_array)
    output = np.zeros((2, 3), dtype=dtype_output)
    ndi.correlate1d(array, weights, axis=0, output=output, **kwargs)
    assert_array_almost_equal(output, tcor)
    ndi.convolve1d(array, weights, axis=0, output=output, **kwargs)
    assert_array_almost_equal(output, tcov)


def test_correlate21():
    array = np.asarray([[1, 2, 3], [2, 4, 6]])
    expected = [[5, 10, 15], [7, 14, 21]]
    weights = np.asarray([1, 2, 1])
    assert_array_almost_equal(ndi.correlate1d(array, weights, axis=0), expected)
    assert_array_almost_equal(ndi.convolve1d(array, weights, axis=0), expected)


def test_correlate26():
    # gh-11661: mirror extension of a length-1 signal
    assert_equal(ndi.convolve1d(np.ones(1), np.ones(5), mode="mirror"), np.asarray([5.0]))
    assert_equal(ndi.correlate1d(np.ones(1), np.ones(5), mode="mirror"), np.asarray([5.0]))


# ---------------------------------------------------------------------------------------
# complex images and kernels
# ---------------------------------------------------------------------------------------


def _complex_reference(array, kernel, real_dtype, convolve=False, mode="reflect", cval=0):
    """ndimage's complex correlation (``sum conj(w) x``) or convolution, from four real
    ones (SciPy's ``_complex_correlate``)."""
    complex_array = array.dtype.kind == "c"
    complex_kernel = kernel.dtype.kind == "c"
    if array.ndim == 1:
        func = ndimage.convolve1d if convolve else ndimage.correlate1d
    else:
        func = ndimage.convolve if convolve else ndimage.correlate
    if not convolve:
        kernel = np.conj(kernel)
    run = functools.partial(func, output=real_dtype, mode=mode)
    if complex_array and complex_kernel:
        re_cval, im_cval = np.real(cval), np.imag(cval)
        return (run(array.real, kernel.real, cval=re_cval)
                - run(array.imag, kernel.imag, cval=im_cval)
                + 1j * run(array.imag, kernel.real, cval=im_cval)
                + 1j * run(array.real, kernel.imag, cval=re_cval))
    if complex_array:
        return (run(array.real, kernel, cval=float(np.real(cval)))
                + 1j * run(array.imag, kernel, cval=float(np.imag(cval))))
    return run(array, kernel.real, cval=cval) + 1j * run(array, kernel.imag, cval=cval)


def _validate_complex(array, kernel, type2, mode="reflect", cval=0):
    real_dtype = np.real(np.asarray([], dtype=type2)).dtype
    if array.ndim == 1:
        correlate = functools.partial(ndi.correlate1d, axis=-1, mode=mode, cval=cval)
        convolve = functools.partial(ndi.convolve1d, axis=-1, mode=mode, cval=cval)
    else:
        correlate = functools.partial(ndi.correlate, mode=mode, cval=cval)
        convolve = functools.partial(ndi.convolve, mode=mode, cval=cval)

    expected = _complex_reference(array, kernel, real_dtype, mode=mode, cval=cval)
    output = correlate(array, kernel, output=type2)
    assert_array_almost_equal(output, expected)
    assert output.dtype.type == type2
    output = np.zeros_like(array, dtype=type2)
    correlate(array, kernel, output=output)
    assert_array_almost_equal(output, expected)

    expected = _complex_reference(array, kernel, real_dtype, convolve=True, mode=mode,
                                  cval=cval)
    output = convolve(array, kernel, output=type2)
    assert_array_almost_equal(output, expected)
    assert output.dtype.type == type2
    convolve(array, kernel, output=output)
    assert_array_almost_equal(output, expected)
    assert output.dtype.type == type2

    # a real output dtype for a complex result is promoted, with a warning
    with pytest.warns(UserWarning, match="complex"):
        correlate(array, kernel, output=real_dtype)
    with pytest.warns(UserWarning, match="complex"):
        convolve(array, kernel, output=real_dtype)
    # a real output array cannot hold it (ndimage: RuntimeError)
    output_real = np.zeros_like(array, dtype=real_dtype)
    with pytest.raises(ARG_ERRORS, match="output"):
        correlate(array, kernel, output=output_real)
    with pytest.raises(ARG_ERRORS, match="output"):
        convolve(array, kernel, output=output_real)


def _quick_complex(*dtypes):
    """The default run keeps the cases whose real dtypes are uint8 or float64."""
    return all(dtype in ("uint8", "float64") for dtype in dtypes if "complex" not in dtype) \
        and "complex128" in dtypes


KERNEL_2D_COMPLEX = [[1, 0], [0, 1 + 1j]]
KERNEL_1D_COMPLEX = [1, 1 + 1j]
ARRAY_2D_COMPLEX = [[1, 2j, 3], [1 + 4j, 5, 6j]]
ARRAY_1D_COMPLEX = [1, 2j, 3, 1 + 4j, 5, 6j]


@pytest.mark.parametrize("dtype_output, dtype_input, dtype_kernel", _grid(
    COMPLEX_TYPES, TYPES, COMPLEX_TYPES, quick=_quick_complex))
def test_correlate_complex_kernel(dtype_input, dtype_kernel, dtype_output):
    kernel = np.asarray(KERNEL_2D_COMPLEX, dtype=dtype_kernel)
    array = np.asarray(ARRAY_23, dtype=dtype_input)
    _validate_complex(array, kernel, getattr(np, dtype_output))


@pytest.mark.parametrize("mode, dtype_output, dtype_input, dtype_kernel", _grid(
    ["grid-constant", "constant"], COMPLEX_TYPES, TYPES, COMPLEX_TYPES,
    quick=lambda mode, *dtypes: _quick_complex(*dtypes)))
def test_correlate_complex_kernel_cval(dtype_input, dtype_kernel, dtype_output, mode):
    kernel = np.asarray(KERNEL_2D_COMPLEX, dtype=dtype_kernel)
    array = np.asarray(ARRAY_23, dtype=dtype_input)
    _validate_complex(array, kernel, getattr(np, dtype_output), mode=mode, cval=5.0)


@pytest.mark.parametrize("dtype_input, dtype_kernel", _grid(
    TYPES, COMPLEX_TYPES, quick=_quick_complex))
def test_correlate_complex_kernel_invalid_cval(dtype_input, dtype_kernel):
    # a complex cval with a real image is refused
    kernel = np.asarray(KERNEL_2D_COMPLEX, dtype=dtype_kernel)
    array = np.asarray(ARRAY_23, dtype=dtype_input)
    for func in (ndi.convolve, ndi.correlate, ndi.convolve1d, ndi.correlate1d):
        with pytest.raises((ValueError, TypeError)):
            func(array, kernel, mode="constant", cval=5.0 + 1.0j, output=np.complex64)


@pytest.mark.parametrize("dtype_output, dtype_input, dtype_kernel", _grid(
    COMPLEX_TYPES, TYPES, COMPLEX_TYPES, quick=_quick_complex))
def test_correlate1d_complex_kernel(dtype_input, dtype_kernel, dtype_output):
    kernel = np.asarray(KERNEL_1D_COMPLEX, dtype=dtype_kernel)
    array = np.asarray([1, 2, 3, 4, 5, 6], dtype=dtype_input)
    _validate_complex(array, kernel, getattr(np, dtype_output))


@pytest.mark.parametrize("dtype_output, dtype_input, dtype_kernel", _grid(
    COMPLEX_TYPES, TYPES, COMPLEX_TYPES, quick=_quick_complex))
def test_correlate1d_complex_kernel_cval(dtype_input, dtype_kernel, dtype_output):
    kernel = np.asarray(KERNEL_1D_COMPLEX, dtype=dtype_kernel)
    array = np.asarray([1, 2, 3, 4, 5, 6], dtype=dtype_input)
    _validate_complex(array, kernel, getattr(np, dtype_output), mode="constant", cval=5.0)


@pytest.mark.parametrize("dtype_output, dtype_input, dtype_kernel", _grid(
    COMPLEX_TYPES, COMPLEX_TYPES, TYPES, quick=_quick_complex))
def test_correlate_complex_input(dtype_input, dtype_kernel, dtype_output):
    kernel = np.asarray([[1, 0], [0, 1]], dtype=dtype_kernel)
    array = np.asarray(ARRAY_2D_COMPLEX, dtype=dtype_input)
    _validate_complex(array, kernel, getattr(np, dtype_output))


@pytest.mark.parametrize("dtype_output, dtype_input, dtype_kernel", _grid(
    COMPLEX_TYPES, COMPLEX_TYPES, TYPES, quick=_quick_complex))
def test_correlate1d_complex_input(dtype_input, dtype_kernel, dtype_output):
    kernel = np.asarray([1, 0, 1], dtype=dtype_kernel)
    array = np.asarray(ARRAY_1D_COMPLEX, dtype=dtype_input)
    _validate_complex(array, kernel, getattr(np, dtype_output))


@pytest.mark.parametrize("dtype_output, dtype_input, dtype_kernel", _grid(
    COMPLEX_TYPES, COMPLEX_TYPES, TYPES, quick=_quick_complex))
def test_correlate1d_complex_input_cval(dtype_input, dtype_kernel, dtype_output):
    kernel = np.asarray([1, 0, 1], dtype=dtype_kernel)
    array = np.asarray(ARRAY_1D_COMPLEX, dtype=dtype_input)
    _validate_complex(array, kernel, getattr(np, dtype_output), mode="constant",
                      cval=5 - 3j)


def _quick_complex_pair(dtype, dtype_output):
    return dtype == dtype_output


@pytest.mark.parametrize("dtype, dtype_output",
                         _grid(COMPLEX_TYPES, COMPLEX_TYPES, quick=_quick_complex_pair))
def test_correlate_complex_input_and_kernel(dtype, dtype_output):
    kernel = np.asarray(KERNEL_2D_COMPLEX, dtype=dtype)
    array = np.asarray(ARRAY_2D_COMPLEX, dtype=dtype)
    _validate_complex(array, kernel, getattr(np, dtype_output))


@pytest.mark.parametrize("dtype, dtype_output",
                         _grid(COMPLEX_TYPES, COMPLEX_TYPES, quick=_quick_complex_pair))
def test_correlate_complex_input_and_kernel_cval(dtype, dtype_output):
    kernel = np.asarray(KERNEL_2D_COMPLEX, dtype=dtype)
    array = np.asarray(ARRAY_23, dtype=dtype)
    _validate_complex(array, kernel, getattr(np, dtype_output), mode="constant",
                      cval=5.0 + 2.0j)


@pytest.mark.parametrize("dtype, dtype_output",
                         _grid(COMPLEX_TYPES, COMPLEX_TYPES, quick=_quick_complex_pair))
def test_correlate1d_complex_input_and_kernel(dtype, dtype_output):
    kernel = np.asarray(KERNEL_1D_COMPLEX, dtype=dtype)
    array = np.asarray(ARRAY_1D_COMPLEX, dtype=dtype)
    _validate_complex(array, kernel, getattr(np, dtype_output))


@pytest.mark.parametrize("dtype, dtype_output",
                         _grid(COMPLEX_TYPES, COMPLEX_TYPES, quick=_quick_complex_pair))
def test_correlate1d_complex_input_and_kernel_cval(dtype, dtype_output):
    kernel = np.asarray(KERNEL_1D_COMPLEX, dtype=dtype)
    array = np.asarray(ARRAY_1D_COMPLEX, dtype=dtype)
    _validate_complex(array, kernel, getattr(np, dtype_output), mode="constant",
                      cval=5.0 + 2.0j)


# ---------------------------------------------------------------------------------------
# Gaussian
# ---------------------------------------------------------------------------------------


def test_gauss01():
    image = np.asarray([[1, 2, 3], [2, 4, 6]], dtype=np.float32)
    assert_array_almost_equal(ndi.gaussian_filter(image, 0), image)


def test_gauss02():
    image = np.asarray([[1, 2, 3], [2, 4, 6]], dtype=np.float32)
    output = ndi.gaussian_filter(image, 1.0)
    assert image.dtype == output.dtype
    assert image.shape == output.shape
    assert_allclose(output, ndimage.gaussian_filter(image, 1.0), rtol=1e-6)


def _ramp_100():
    return np.arange(100 * 100, dtype=np.float32).reshape(100, 100)


def test_gauss03():
    image = _ramp_100()
    output = ndi.gaussian_filter(image, [1.0, 1.0])
    assert image.dtype == output.dtype
    assert image.shape == output.shape
    # the sum is 49995000: float32 holds about 8 digits
    assert_array_almost_equal(np.sum(output, dtype=np.float64),
                              np.sum(image, dtype=np.float64), decimal=0)
    assert sumsq(image, output) > 1.0


def test_gauss04():
    image = _ramp_100()
    output = ndi.gaussian_filter(image, [1.0, 1.0], output=np.float64)
    assert output.dtype.type == np.float64
    assert image.shape == output.shape
    assert sumsq(image, output) > 1.0


def test_gauss05():
    image = _ramp_100()
    output = ndi.gaussian_filter(image, [1.0, 1.0], order=1, output=np.float64)
    assert output.dtype.type == np.float64
    assert image.shape == output.shape
    assert sumsq(image, output) > 1.0
    assert_allclose(output, ndimage.gaussian_filter(image, [1.0, 1.0], order=1,
                                                    output=np.float64), atol=1e-3)


def test_gauss06():
    image = _ramp_100()
    output1 = ndi.gaussian_filter(image, [1.0, 1.0], output=np.float64)
    output2 = ndi.gaussian_filter(image, 1.0, output=np.float64)
    assert_array_almost_equal(output1, output2)


def test_gauss_memory_overlap():
    image = _ramp_100()
    output1 = ndi.gaussian_filter(image, 1.0)
    ndi.gaussian_filter(image, 1.0, output=image)
    assert_array_almost_equal(output1, image)


# ---------------------------------------------------------------------------------------
# axes
# ---------------------------------------------------------------------------------------

AXES_1_2_3 = (tuple(itertools.combinations(range(-3, 3), 1))
              + tuple(itertools.combinations(range(-3, 3), 2)) + ((0, 1, 2),))


def _volume():
    return np.arange(6 * 8 * 12, dtype=np.float64).reshape(6, 8, 12)


def _unique(axes, ndim=3):
    return len({ax % ndim for ax in axes}) == len(axes)


@pytest.mark.parametrize("filter_name, size0, size",
                         [("gaussian_filter", 0, 1.0), ("uniform_filter", 1, 3)])
@pytest.mark.parametrize("axes", AXES_1_2_3)
def test_filter_axes(filter_name, size0, size, axes):
    # `size` is `sigma` for gaussian_filter
    array = _volume()
    func = getattr(ndi, filter_name)
    if not _unique(axes):
        with pytest.raises(ValueError, match="unique"):
            func(array, size, axes=axes)
        return
    output = func(array, size, axes=axes)
    # the same as sigma=0 / size=1 along the other axes
    all_sizes = tuple(size if ax in np.asarray(axes) % 3 else size0 for ax in range(3))
    assert_close(output, func(array, all_sizes))
    assert_close(output, getattr(ndimage, filter_name)(array, size, axes=axes))


@pytest.mark.parametrize("filter_name, kwargs",
                         [("laplace", {}), ("gaussian_gradient_magnitude", {"sigma": 1.0}),
                          ("gaussian_laplace", {"sigma": 0.5})])
def test_derivative_filter_axes(filter_name, kwargs):
    array = _volume()
    func = getattr(ndi, filter_name)
    with pytest.raises(ValueError, match="unique"):
        func(array, axes=(1, 1), **kwargs)

    # the same as looping over the unfiltered axes
    output = func(array, axes=(1, 2), **kwargs)
    expected = np.stack([func(array[i], **kwargs) for i in range(array.shape[0])], axis=0)
    assert_close(output, expected)

    output = func(array, axes=(0, -1), **kwargs)
    expected = np.stack([func(array[:, i, :], **kwargs) for i in range(array.shape[1])],
                        axis=1)
    assert_close(output, expected)

    output = func(array, axes=(1), **kwargs)
    expected = np.stack([np.stack([func(array[i, :, j], **kwargs)
                                   for j in range(array.shape[2])], axis=-1)
                         for i in range(array.shape[0])], axis=0)
    assert_close(output, expected)
    assert_close(output, getattr(ndimage, filter_name)(array, axes=(1), **kwargs))


@pytest.mark.parametrize("origin", [(0, 0), (-1, 1)])
@pytest.mark.parametrize("axes", tuple(itertools.combinations(range(-3, 3), 2)))
@pytest.mark.parametrize("dtype, func_name", _grid(
    ["float32", "float64", "complex64", "complex128"], ["correlate", "convolve"],
    quick=lambda dtype, func_name: dtype == "float64"))
def test_correlate_convolve_axes(func_name, dtype, axes, origin):
    func = getattr(ndi, func_name)
    array = np.arange(6 * 8 * 12, dtype=dtype).reshape(6, 8, 12)
    weights = np.arange(3 * 5).reshape(3, 5)
    axes = tuple(ax % array.ndim for ax in axes)
    if len(set(axes)) != len(axes):
        with pytest.raises(ValueError):
            func(array, weights=weights, axes=axes, origin=origin)
        return
    output = func(array, weights=weights, axes=axes, origin=origin)

    missing_axis = tuple(set(range(3)) - set(axes))[0]
    weights_3d = np.expand_dims(weights, axis=missing_axis)
    origin_3d = [0, 0, 0]
    for i, ax in enumerate(axes):
        origin_3d[ax] = origin[i]
    assert_close(output, func(array, weights=weights_3d, origin=origin_3d))
    assert_close(output, getattr(ndimage, func_name)(array, weights=weights, axes=axes,
                                                     origin=origin))


KWARGS_GAUSS = {"radius": [4, 2, 3], "order": [0, 1, 2],
                "mode": ["reflect", "nearest", "constant"]}
KWARGS_OTHER = {"origin": (-1, 0, 1), "mode": ["reflect", "nearest", "constant"]}


@pytest.mark.parametrize("filter_name, size0, size, kwargs",
                         [("gaussian_filter", 0, 1.0, KWARGS_GAUSS),
                          ("uniform_filter", 1, 3, KWARGS_OTHER)])
@pytest.mark.parametrize("axes", list(itertools.combinations(range(-3, 3), 2)))
def test_filter_axes_kwargs(filter_name, size0, size, kwargs, axes):
    func = getattr(ndi, filter_name)
    array = _volume()
    kwargs = {key: np.array(val) for key, val in kwargs.items()}
    axes = np.array(axes)
    n_axes = axes.size
    # keywords for the axes in `axes` only
    reduced_kwargs = {key: val[axes] for key, val in kwargs.items()}
    if len(set(axes % array.ndim)) != len(axes):
        with pytest.raises(ValueError, match="unique"):
            func(array, [size] * n_axes, axes=axes, **reduced_kwargs)
        return
    output = func(array, [size] * n_axes, axes=axes, **reduced_kwargs)

    # the same as sigma=0 / size=1 along the other axes
    size_3d = np.full(array.ndim, fill_value=size0)
    size_3d[axes] = size
    size_3d = [size_3d[i] for i in range(size_3d.shape[0])]
    if "origin" in kwargs:
        origin = np.asarray([0, 0, 0])
        origin[axes] = reduced_kwargs["origin"]
        kwargs["origin"] = origin
    assert_close(output, func(array, size_3d, **kwargs))
    assert_close(output, getattr(ndimage, filter_name)(array, [size] * n_axes, axes=axes,
                                                       **reduced_kwargs))


@pytest.mark.parametrize("func_name", ["convolve", "correlate"])
def test_filter_weights_subset_axes_origins(func_name):
    func = getattr(ndi, func_name)
    axes = (-2, -1)
    origins = (0, 1)
    array = _volume()
    # weights with ndim == len(axes), not separable
    footprint = np.ones((3, 5), dtype=bool)
    footprint[0, 1] = 0
    output = func(array, origin=origins, weights=footprint, axes=axes)
    output0 = func(array, origin=0, weights=footprint, axes=axes)
    # shifted along the last axis (the other way for convolve, which flips the weights
    # and negates the origin)
    if func_name == "convolve":
        assert_equal(output[:, :, :-origins[1]], output0[:, :, origins[1]:])
    else:
        assert_equal(output[:, :, origins[1]:], output0[:, :, :-origins[1]])
    assert_close(output, getattr(ndimage, func_name)(array, origin=origins,
                                                     weights=footprint, axes=axes))


@pytest.mark.parametrize("filter_name, args", [
    ("convolve", (np.ones((3, 3, 3)),)), ("correlate", (np.ones((3, 3, 3)),)),
    ("gaussian_filter", (1.0,)), ("uniform_filter", (3,))])
@pytest.mark.parametrize("axes", [(1.5,), (0, 1, 2, 3), (3,), (-4,)])
def test_filter_invalid_axes(filter_name, args, axes):
    array = _volume()
    if any(isinstance(ax, float) for ax in axes):
        error_class = TypeError
    else:
        error_class = ValueError
    with pytest.raises(error_class, match="ax"):
        getattr(ndi, filter_name)(array, *args, axes=axes)


@pytest.mark.parametrize("separable_footprint", [False, True])
@pytest.mark.parametrize("axes", [(0,), (1, 2), (0, 1, 2)])
@pytest.mark.parametrize("func_name", ["convolve", "correlate"])
def test_filter_invalid_footprint_ndim(func_name, axes, separable_footprint):
    # ndimage: RuntimeError "weights.ndim (n) must match len(axes) (m)"
    array = _volume()
    weights = np.ones((3,) * (len(axes) + 1))
    if not separable_footprint:
        weights[(0,) * weights.ndim] = 0
    with pytest.raises(ValueError, match="weights"):
        getattr(ndi, func_name)(array, weights=weights, axes=axes)


def _cases_axes_tuple_length_mismatch():
    kwargs = {"radius": 3, "mode": "constant", "sigma": 1.0, "order": 0}
    for key, val in kwargs.items():
        yield "gaussian_filter", kwargs, key, val
    kwargs = {"size": 3, "mode": "constant", "origin": 0}
    for key, val in kwargs.items():
        yield "uniform_filter", kwargs, key, val
    kwargs = {"origin": 0}   # a mode sequence is refused by correlate/convolve anyway
    for filter_name in ("correlate", "convolve"):
        for key, val in kwargs.items():
            yield filter_name, kwargs, key, val


@pytest.mark.parametrize("filter_name, kwargs, key, val",
                         list(_cases_axes_tuple_length_mismatch()))
@pytest.mark.parametrize("n_mismatch", [1, 3])
def test_filter_tuple_length_mismatch(n_mismatch, filter_name, kwargs, key, val):
    # ndimage: RuntimeError "sequence argument must have length equal to input rank"
    array = _volume()
    kwargs = dict(**kwargs, axes=(0, 1))
    kwargs[key] = (val,) * n_mismatch
    if filter_name in ("convolve", "correlate"):
        kwargs["weights"] = np.ones((5, 5))
    with pytest.raises(ValueError, match=key):
        getattr(ndi, filter_name)(array, **kwargs)


# ---------------------------------------------------------------------------------------
# derivatives: prewitt, sobel, laplace, gaussian_laplace, gaussian_gradient_magnitude
# ---------------------------------------------------------------------------------------

ARRAY_35 = [[3, 2, 5, 1, 4], [5, 8, 3, 7, 1], [5, 6, 9, 3, 5]]
DERIVATIVE_DTYPES = ["int32", "float32", "float64", "complex64", "complex128"]


def assert_filtered_almost_equal(actual, desired, decimal=6):
    """The original's ``assert_array_almost_equal(actual, desired, decimal)``, plus, for a
    complex64 result, 1e-6 of ``desired``'s largest magnitude (about 8 float32 ulps):
    sigconv's 1-D passes sum complex64 images in complex64 arithmetic, where ndimage
    accumulates in double and rounds once (float32 images are summed in float64 as in
    ndimage, and keep the original tolerance)."""
    actual = np.asarray(actual)
    atol = 1.5 * 10.0**-decimal
    if actual.dtype == np.complex64:
        atol += 1e-6 * float(np.max(np.abs(desired), initial=0.0))
    assert actual.shape == np.shape(desired), (actual.shape, np.shape(desired))
    assert_allclose(actual, desired, rtol=0, atol=atol)


def _float32(dtype):
    return np.dtype(dtype) in (np.float32, np.complex64)


@pytest.mark.parametrize("dtype", TYPES + COMPLEX_TYPES)
@pytest.mark.parametrize("name, smoothing, axis", [
    ("test_prewitt01", [1.0, 1.0, 1.0], 0), ("test_prewitt03", [1.0, 1.0, 1.0], 1),
    ("test_sobel01", [1.0, 2.0, 1.0], 0), ("test_sobel03", [1.0, 2.0, 1.0], 1)])
def test_prewitt_sobel(name, smoothing, axis, dtype):
    func = ndi.prewitt if "prewitt" in name else ndi.sobel
    array = np.asarray(ARRAY_35, dtype=dtype)
    t = ndi.correlate1d(array, np.asarray([-1.0, 0.0, 1.0]), axis)
    t = ndi.correlate1d(t, np.asarray(smoothing), 1 - axis)
    output = func(array, axis)
    assert_array_almost_equal(output, t)
    reference = getattr(ndimage, func.__name__)(as_float(array), axis)
    assert_array_almost_equal(output, reference)


@pytest.mark.parametrize("dtype", TYPES + COMPLEX_TYPES)
@pytest.mark.parametrize("name", ["test_prewitt02", "test_sobel02"])
def test_prewitt_sobel_output(name, dtype):
    # into an output array of the image's dtype: ndimage's values (its integer
    # conversion) where the dtype is an integer one
    func_name = "prewitt" if "prewitt" in name else "sobel"
    array = np.asarray(ARRAY_35, dtype=dtype)
    output = np.zeros(array.shape, dtype=dtype)
    getattr(ndi, func_name)(array, 0, output)
    expected = np.zeros(array.shape, dtype=dtype)
    getattr(ndimage, func_name)(array, 0, expected)
    assert_array_almost_equal(output, expected)


@pytest.mark.parametrize("dtype", TYPES + COMPLEX_TYPES)
@pytest.mark.parametrize("name", ["test_prewitt04", "test_sobel04"])
def test_prewitt_sobel_negative_axis(name, dtype):
    func = ndi.prewitt if "prewitt" in name else ndi.sobel
    array = np.asarray(ARRAY_35, dtype=dtype)
    assert_array_almost_equal(func(array, -1), func(array, 1))


@pytest.mark.parametrize("dtype", DERIVATIVE_DTYPES)
def test_laplace01(dtype):
    array = np.asarray(ARRAY_35, dtype=dtype) * 100
    tmp1 = ndi.correlate1d(array, np.asarray([1, -2, 1]), 0)
    tmp2 = ndi.correlate1d(array, np.asarray([1, -2, 1]), 1)
    output = ndi.laplace(array)
    assert_array_almost_equal(output, tmp1 + tmp2)
    assert_array_almost_equal(output, ndimage.laplace(as_float(array)))


@pytest.mark.parametrize("dtype", DERIVATIVE_DTYPES)
def test_laplace02(dtype):
    array = np.asarray(ARRAY_35, dtype=dtype) * 100
    output = np.zeros(array.shape, dtype=dtype)
    ndi.laplace(array, output=output)
    expected = np.zeros(array.shape, dtype=dtype)
    ndimage.laplace(array, output=expected)
    assert_array_almost_equal(output, expected)


@pytest.mark.parametrize("dtype", DERIVATIVE_DTYPES)
def test_gaussian_laplace01(dtype):
    array = np.asarray(ARRAY_35, dtype=dtype) * 100
    tmp1 = ndi.gaussian_filter(array, 1.0, [2, 0])
    tmp2 = ndi.gaussian_filter(array, 1.0, [0, 2])
    output = ndi.gaussian_laplace(array, 1.0)
    assert_filtered_almost_equal(output, tmp1 + tmp2)
    assert_filtered_almost_equal(output, ndimage.gaussian_laplace(as_float(array), 1.0))


@pytest.mark.parametrize("dtype", DERIVATIVE_DTYPES)
def test_gaussian_laplace02(dtype):
    array = np.asarray(ARRAY_35, dtype=dtype) * 100
    output = np.zeros(array.shape, dtype=dtype)
    ndi.gaussian_laplace(array, 1.0, output)
    expected = np.zeros(array.shape, dtype=dtype)
    ndimage.gaussian_laplace(array, 1.0, expected)
    assert_filtered_almost_equal(output, expected)


def _gaussian_derivative_sum(func, array, sigma, order):
    """``sum_axis func(array, sigma, order on that axis)`` (what ndimage's
    generic_laplace and generic_gradient_magnitude compute with these derivatives)."""
    terms = []
    for axis in range(array.ndim):
        orders = [0] * array.ndim
        orders[axis] = order
        terms.append(func(array, sigma, orders))
    return terms


@pytest.mark.parametrize("dtype", TYPES + COMPLEX_TYPES)
def test_generic_laplace01(dtype):
    # generic_laplace with Gaussian second derivatives (sigma [1, 2/2]) is gaussian_laplace
    array = np.asarray(ARRAY_35, dtype=dtype)
    tmp = sum(_gaussian_derivative_sum(ndi.gaussian_filter, array, [1.0, 2.0 / 2.0], 2))
    output = np.zeros(array.shape, dtype=dtype)
    ndi.gaussian_laplace(array, 1.0, output)
    if array.dtype.kind in "iu":
        # into an integer array: ndimage's conversion of the same values
        expected = np.zeros(array.shape, dtype=dtype)
        ndimage.gaussian_laplace(array, 1.0, expected)
        assert_array_almost_equal(output, expected)
        assert_array_almost_equal(ndi.gaussian_laplace(array, 1.0), tmp)
    else:
        assert_filtered_almost_equal(output, tmp)


@pytest.mark.parametrize("dtype", DERIVATIVE_DTYPES)
def test_gaussian_gradient_magnitude01(dtype):
    array = np.asarray(ARRAY_35, dtype=dtype) * 100
    tmp1 = ndi.gaussian_filter(array, 1.0, [1, 0])
    tmp2 = ndi.gaussian_filter(array, 1.0, [0, 1])
    output = ndi.gaussian_gradient_magnitude(array, 1.0)
    expected = np.sqrt(tmp1 * tmp1 + tmp2 * tmp2)
    # an integer image gives a float64 result (documented); ndimage's is int32
    assert_close(output, expected.astype(as_float(array).dtype), rtol=1e-6, atol=1e-6)
    reference = ndimage.gaussian_gradient_magnitude(as_float(array), 1.0)
    assert_filtered_almost_equal(output, reference)


@pytest.mark.parametrize("dtype", DERIVATIVE_DTYPES)
def test_gaussian_gradient_magnitude02(dtype):
    array = np.asarray(ARRAY_35, dtype=dtype) * 100
    output = np.zeros(array.shape, dtype=dtype)
    ndi.gaussian_gradient_magnitude(array, 1.0, output)
    expected = np.zeros(array.shape, dtype=dtype)
    ndimage.gaussian_gradient_magnitude(array, 1.0, expected)
    assert output.dtype == expected.dtype
    if _float32(dtype):
        assert_filtered_almost_equal(output, expected)
    else:
        assert_close(output, expected, rtol=1e-6, atol=1e-6)


def test_generic_gradient_magnitude01():
    # generic_gradient_magnitude with first derivatives of sigma [1, 2/2]
    array = np.asarray(ARRAY_35, dtype=np.float64)
    tmp1 = ndi.gaussian_gradient_magnitude(array, 1.0)
    terms = _gaussian_derivative_sum(ndi.gaussian_filter, array, [1.0, 2.0 / 2.0], 1)
    tmp2 = np.sqrt(sum(term * term for term in terms))
    assert_array_almost_equal(tmp1, tmp2)


# ---------------------------------------------------------------------------------------
# uniform
# ---------------------------------------------------------------------------------------


def test_uniform01():
    output = ndi.uniform_filter1d(np.asarray([2, 4, 6]), 2, origin=-1)
    assert_array_almost_equal(output, [3, 5, 6])


def test_uniform01_complex():
    array = np.asarray([2 + 1j, 4 + 2j, 6 + 3j], dtype=np.complex128)
    output = ndi.uniform_filter1d(array, 2, origin=-1)
    assert_array_almost_equal(output.real, [3.0, 5, 6])
    assert_array_almost_equal(output.imag, [1.5, 2.5, 3])


@pytest.mark.parametrize("name, array, filter_shape, expected", [
    ("test_uniform02", [1, 2, 3], [0], [1, 2, 3]),
    ("test_uniform03", [1, 2, 3], [1], [1, 2, 3]),
    ("test_uniform04", [2, 4, 6], [2], [2, 3, 5]),
    ("test_uniform05", np.zeros(0), [1], np.zeros(0)),
])
def test_uniform_cases(name, array, filter_shape, expected):
    output = ndi.uniform_filter(np.asarray(array), filter_shape)
    assert_array_almost_equal(output, expected)


@pytest.mark.parametrize("dtype_array, dtype_output", _grid(TYPES, TYPES, quick=_quick_pair))
def test_uniform06(dtype_array, dtype_output):
    array = np.asarray([[4, 8, 12], [16, 20, 24]], dtype=dtype_array)
    output = ndi.uniform_filter(array, [2, 2], output=getattr(np, dtype_output))
    assert_array_almost_equal(output, [[4, 6, 10], [10, 12, 16]])
    assert output.dtype.type == getattr(np, dtype_output)


@pytest.mark.parametrize("dtype_array, dtype_output",
                         _grid(COMPLEX_TYPES, COMPLEX_TYPES, quick=_quick_complex_pair))
def test_uniform06_complex(dtype_array, dtype_output):
    array = np.asarray([[4, 8 + 5j, 12], [16, 20, 24]], dtype=dtype_array)
    output = ndi.uniform_filter(array, [2, 2], output=getattr(np, dtype_output))
    assert_array_almost_equal(output.real, [[4, 6, 10], [10, 12, 16]])
    assert output.dtype.type == getattr(np, dtype_output)


# ---------------------------------------------------------------------------------------
# boundary modes (the original compares dtypes too: integer images give float64 here)
# ---------------------------------------------------------------------------------------

EXTEND_CASES = {
    "test_extend01": ([1, 2, 3], [1, 0], {
        "nearest": [1, 1, 2], "wrap": [3, 1, 2], "reflect": [1, 1, 2], "mirror": [2, 1, 2],
        "constant": [0, 1, 2]}),
    "test_extend02": ([1, 2, 3], [1, 0, 0, 0, 0, 0, 0, 0], {
        "nearest": [1, 1, 1], "wrap": [3, 1, 2], "reflect": [3, 3, 2], "mirror": [1, 2, 3],
        "constant": [0, 0, 0]}),
    "test_extend03": ([1, 2, 3], [0, 0, 1], {
        "nearest": [2, 3, 3], "wrap": [2, 3, 1], "reflect": [2, 3, 3], "mirror": [2, 3, 2],
        "constant": [2, 3, 0]}),
    "test_extend04": ([1, 2, 3], [0, 0, 0, 0, 0, 0, 0, 0, 1], {
        "nearest": [3, 3, 3], "wrap": [2, 3, 1], "reflect": [2, 1, 1], "mirror": [1, 2, 3],
        "constant": [0, 0, 0]}),
    "test_extend05": ([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, 0]], {
        "nearest": [[1, 1, 2], [1, 1, 2], [4, 4, 5]],
        "wrap": [[9, 7, 8], [3, 1, 2], [6, 4, 5]],
        "reflect": [[1, 1, 2], [1, 1, 2], [4, 4, 5]],
        "mirror": [[5, 4, 5], [2, 1, 2], [5, 4, 5]],
        "constant": [[0, 0, 0], [0, 1, 2], [0, 4, 5]]}),
    "test_extend06": ([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[0, 0, 0], [0, 0, 0], [0, 0, 1]], {
        "nearest": [[5, 6, 6], [8, 9, 9], [8, 9, 9]],
        "wrap": [[5, 6, 4], [8, 9, 7], [2, 3, 1]],
        "reflect": [[5, 6, 6], [8, 9, 9], [8, 9, 9]],
        "mirror": [[5, 6, 5], [8, 9, 8], [5, 6, 5]],
        "constant": [[5, 6, 0], [8, 9, 0], [0, 0, 0]]}),
    "test_extend07": ([1, 2, 3], [0, 0, 0, 0, 0, 0, 0, 0, 1], {
        "nearest": [3, 3, 3], "wrap": [2, 3, 1], "reflect": [2, 1, 1], "mirror": [1, 2, 3],
        "constant": [0, 0, 0]}),
    "test_extend08": ([[1], [2], [3]], [[0], [0], [0], [0], [0], [0], [0], [0], [1]], {
        "nearest": [[3], [3], [3]], "wrap": [[2], [3], [1]], "reflect": [[2], [1], [1]],
        "mirror": [[1], [2], [3]], "constant": [[0], [0], [0]]}),
}
# the original's extend09 and extend10 repeat extend07 and extend08 with correlate
EXTEND_CASES["test_extend09"] = EXTEND_CASES["test_extend07"]
EXTEND_CASES["test_extend10"] = EXTEND_CASES["test_extend08"]
EXTEND_1D = ("test_extend01", "test_extend02", "test_extend03", "test_extend04")


@pytest.mark.parametrize("mode", ["nearest", "wrap", "reflect", "mirror", "constant"])
@pytest.mark.parametrize("name", list(EXTEND_CASES))
def test_extend(name, mode):
    array, weights, expected = EXTEND_CASES[name]
    array, weights = np.asarray(array), np.asarray(weights)
    if name in EXTEND_1D:
        output = ndi.correlate1d(array, weights, 0, mode=mode, cval=0)
    else:
        output = ndi.correlate(array, weights, mode=mode, cval=0)
    assert_float_result(output, expected[mode])


# ---------------------------------------------------------------------------------------
# module-level tests of the original
# ---------------------------------------------------------------------------------------


def test_gh_5430():
    # sigma as a NumPy integer scalar (the original checks ndimage's private
    # _normalize_sequence; here the filter that takes it)
    image = np.random.default_rng(5430).normal(size=(16, 16))
    expected = ndimage.gaussian_filter(image, 1)
    for sigma in (np.int32(1), np.int64(1), 1, [1, 1]):
        assert_allclose(ndi.gaussian_filter(image, sigma), expected, rtol=1e-12, atol=1e-14)
    # the report's example
    x = np.random.default_rng(4106).normal(size=(256, 256))
    perlin = np.zeros_like(x)
    reference = np.zeros_like(x)
    for i in 2 ** np.arange(6):
        perlin += ndi.gaussian_filter(x, i, mode="wrap") * i**2
        reference += ndimage.gaussian_filter(x, i, mode="wrap") * i**2
    assert_allclose(perlin, reference, rtol=1e-9, atol=1e-9)


def test_gaussian_kernel1d():
    # the original checks ndimage's private _gaussian_kernel1d(sigma, order, radius); the
    # public equivalent: gaussian_filter1d (a convolution with it) of a unit impulse
    radius = 10
    sigma = 2
    sigma2 = sigma * sigma
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    phi_x = np.exp(-0.5 * x * x / sigma2)
    phi_x /= phi_x.sum()
    kernels = [phi_x, -phi_x * x / sigma2, phi_x * (x * x / sigma2 - 1) / sigma2,
               phi_x * (3 - x * x / sigma2) * x / (sigma2 * sigma2)]
    impulse = np.zeros(2 * radius + 1)
    impulse[radius] = 1.0
    for order, kernel in enumerate(kernels):
        response = ndi.gaussian_filter1d(impulse, sigma, order=order, radius=radius,
                                         mode="constant")
        assert_close(response, kernel, rtol=1e-7, atol=1e-15)


def test_orders_gauss():
    arr = np.zeros((1,))
    assert_equal(ndi.gaussian_filter(arr, 1, order=0), np.asarray([0.0]))
    assert_equal(ndi.gaussian_filter(arr, 1, order=3), np.asarray([0.0]))
    with pytest.raises(ValueError):
        ndi.gaussian_filter(arr, 1, -1)
    assert_equal(ndi.gaussian_filter1d(arr, 1, axis=-1, order=0), np.asarray([0.0]))
    assert_equal(ndi.gaussian_filter1d(arr, 1, axis=-1, order=3), np.asarray([0.0]))
    with pytest.raises(ValueError):
        ndi.gaussian_filter1d(arr, 1, -1, -1)


def test_valid_origins2():
    # the uniform_filter case of the original (gh-1311)
    data = np.asarray([1, 2, 3, 4, 5], dtype=np.float64)
    for origin in (-1, 1):
        assert_allclose(ndi.uniform_filter(data, 3, origin=origin),
                        ndimage.uniform_filter(data, 3, origin=origin), rtol=1e-12)
    with pytest.raises(ValueError):
        ndi.uniform_filter(data, 3, origin=2)


def test_bad_convolve_and_correlate_origins():
    # gh-822: crashes before the fix
    with pytest.raises(ValueError):
        ndi.correlate1d([0, 1, 2, 3, 4, 5], [1, 1, 2, 0], origin=2)
    with pytest.raises(ValueError):
        ndi.correlate([0, 1, 2, 3, 4, 5], [0, 1, 2], origin=[2])
    with pytest.raises(ValueError):
        ndi.correlate(np.ones((3, 5)), np.ones((2, 2)), origin=[0, 1])
    with pytest.raises(ValueError):
        ndi.convolve1d(np.arange(10), np.ones(3), origin=-2)
    with pytest.raises(ValueError):
        ndi.convolve(np.arange(10), np.ones(3), origin=[-2])
    with pytest.raises(ValueError):
        ndi.convolve(np.ones((3, 5)), np.ones((2, 2)), origin=[0, -2])


ARR_33 = np.asarray([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("filter_name, args", [
    ("gaussian_filter", [1]), ("prewitt", []), ("sobel", []), ("laplace", []),
    ("gaussian_laplace", [1]), ("gaussian_gradient_magnitude", [1]),
    ("uniform_filter", [5])])
def test_multiple_modes(filter_name, args):
    # a mode per axis, all the same, is the single mode
    func = getattr(ndi, filter_name)
    assert_equal(func(ARR_33, *args, mode="reflect"),
                 func(ARR_33, *args, mode=["reflect", "reflect"]))


def test_multiple_modes_sequentially():
    # the gaussian and uniform parts of the original (its min/max parts are out of scope)
    modes = ["reflect", "wrap"]
    expected = ndi.gaussian_filter1d(ARR_33, 1, axis=0, mode=modes[0])
    expected = ndi.gaussian_filter1d(expected, 1, axis=1, mode=modes[1])
    assert_equal(expected, ndi.gaussian_filter(ARR_33, 1, mode=modes))
    expected = ndi.uniform_filter1d(ARR_33, 5, axis=0, mode=modes[0])
    expected = ndi.uniform_filter1d(expected, 5, axis=1, mode=modes[1])
    assert_equal(expected, ndi.uniform_filter(ARR_33, 5, mode=modes))


def test_multiple_modes_prewitt():
    expected = np.asarray([[1.0, -3.0, 2.0], [1.0, -2.0, 1.0], [1.0, -1.0, 0.0]])
    assert_equal(expected, ndi.prewitt(ARR_33, mode=["reflect", "wrap"]))


def test_multiple_modes_sobel():
    expected = np.asarray([[1.0, -4.0, 3.0], [2.0, -3.0, 1.0], [1.0, -1.0, 0.0]])
    assert_equal(expected, ndi.sobel(ARR_33, mode=["reflect", "wrap"]))


def test_multiple_modes_laplace():
    expected = np.asarray([[-2.0, 2.0, 1.0], [-2.0, -3.0, 2.0], [1.0, 1.0, 0.0]])
    assert_equal(expected, ndi.laplace(ARR_33, mode=["reflect", "wrap"]))


def test_multiple_modes_gaussian_laplace():
    expected = np.asarray([[-0.28438687, 0.01559809, 0.19773499],
                           [-0.36630503, -0.20069774, 0.07483620],
                           [0.15849176, 0.18495566, 0.21934094]])
    assert_almost_equal(ndi.gaussian_laplace(ARR_33, 1, mode=["reflect", "wrap"]), expected)


def test_multiple_modes_gaussian_gradient_magnitude():
    expected = np.asarray([[0.04928965, 0.09745625, 0.06405368],
                           [0.23056905, 0.14025305, 0.04550846],
                           [0.19894369, 0.14950060, 0.06796850]])
    calculated = ndi.gaussian_gradient_magnitude(ARR_33, 1, mode=["reflect", "wrap"])
    assert_almost_equal(calculated, expected)


def test_multiple_modes_uniform():
    expected = np.asarray([[0.32, 0.40, 0.48], [0.20, 0.28, 0.32], [0.28, 0.32, 0.40]])
    assert_almost_equal(ndi.uniform_filter(ARR_33, 5, mode=["reflect", "wrap"]), expected)


def test_gaussian_truncate():
    # the number of nonzero entries for each truncation
    arr = np.zeros((100, 100), dtype=np.float64)
    arr[50, 50] = 1
    assert np.count_nonzero(ndi.gaussian_filter(arr, 5, truncate=2) > 0) == 21**2
    assert np.count_nonzero(ndi.gaussian_filter(arr, 5, truncate=5) > 0) == 51**2

    # sigma as a sequence
    fpos = ndi.gaussian_filter(arr, [0.5, 2.5], truncate=3.5) > 0
    assert np.count_nonzero(np.any(fpos, axis=0)) == 19
    assert np.count_nonzero(np.any(fpos, axis=1)) == 5

    x = np.zeros(51)
    x[25] = 1
    assert np.count_nonzero(ndi.gaussian_filter1d(x, sigma=2, truncate=3.5) > 0) == 15
    for func in (ndi.gaussian_laplace, ndi.gaussian_gradient_magnitude):
        nonzero = np.nonzero(func(x, sigma=2, truncate=3.5) != 0)[0]
        assert nonzero.max() - nonzero.min() + 1 == 15


def test_gaussian_radius():
    # radius = int(truncate * sigma + 0.5) gives the same filter as truncate
    x = np.zeros(7)
    x[3] = 1
    assert_equal(ndi.gaussian_filter1d(x, sigma=2, truncate=1.5),
                 ndi.gaussian_filter1d(x, sigma=2, radius=3))
    a = np.zeros((9, 9))
    a[4, 4] = 1
    assert_equal(ndi.gaussian_filter(a, sigma=0.5, truncate=3.5),
                 ndi.gaussian_filter(a, sigma=0.5, radius=2))
    a = np.zeros((50, 50))
    a[25, 25] = 1
    assert_equal(ndi.gaussian_filter(a, sigma=[0.5, 2.5], truncate=3.5),
                 ndi.gaussian_filter(a, sigma=[0.5, 2.5], radius=[2, 9]))


def test_gaussian_radius_invalid():
    # radius must be a non-negative integer
    with pytest.raises(ValueError):
        ndi.gaussian_filter1d(np.zeros(8), sigma=1, radius=-1)
    with pytest.raises((ValueError, TypeError)):   # ndimage: ValueError
        ndi.gaussian_filter1d(np.zeros(8), sigma=1, radius=1.1)


class TestThreading:
    """The same results from four Python threads writing into views of one array."""

    @staticmethod
    def check_func_thread(n, fun, args, out):
        from threading import Thread
        threads = [Thread(target=fun, args=args, kwargs={"output": out[x, ...]})
                   for x in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    @staticmethod
    def check_func_serial(n, fun, args, out):
        for i in range(n):
            fun(*args, output=out[i, ...])

    def _check(self, fun, args, shape):
        serial = np.empty((4, *shape))
        threaded = np.empty_like(serial)
        self.check_func_serial(4, fun, args, serial)
        self.check_func_thread(4, fun, args, threaded)
        assert_equal(serial, threaded)
        return serial

    def test_correlate1d(self):
        d = np.random.default_rng(1).standard_normal(5000)
        k = np.arange(5)
        serial = self._check(ndi.correlate1d, (d, k), d.shape)
        assert_allclose(serial[0], ndimage.correlate1d(d, k), rtol=1e-12, atol=1e-12)

    def test_correlate(self):
        d = np.random.default_rng(2).standard_normal((500, 500))
        k = np.random.default_rng(3).standard_normal((10, 10))
        serial = self._check(ndi.correlate, (d, k), d.shape)
        assert_allclose(serial[0], ndimage.correlate(d, k), rtol=1e-10, atol=1e-10)

    def test_uniform_filter1d(self):
        d = np.random.default_rng(4).standard_normal(5000)
        serial = self._check(ndi.uniform_filter1d, (d, 5), d.shape)
        assert_allclose(serial[0], ndimage.uniform_filter1d(d, 5), rtol=1e-12, atol=1e-12)


def test_uniform_filter1d_roundoff_errors():
    # gh-6930: a running mean that lost 1 to rounding gave 0 after ndimage's cast to
    # the integer dtype. An integer image gives floats here (documented): the original's
    # check with output= the image's dtype (ndimage's default), and the float result
    in_ = np.repeat([0, 1, 0], [9, 9, 9])
    for filter_size in range(3, 10):
        out = ndi.uniform_filter1d(in_, filter_size, output=in_.dtype)
        assert out.dtype == in_.dtype
        assert out.sum() == 10 - filter_size
        assert_allclose(ndi.uniform_filter1d(in_, filter_size),
                        ndimage.uniform_filter1d(in_.astype(np.float64), filter_size),
                        rtol=0, atol=1e-14)


def test_gaussian_filter_float16():
    # gh-8207: ndimage refuses float16 (RuntimeError); sigconv filters it in float32
    # and returns float32 (documented)
    data = np.asarray([1], dtype=np.float16)
    output = ndi.gaussian_filter(data, 1.0)
    assert output.dtype == np.float32
    assert_allclose(output, ndimage.gaussian_filter(data.astype(np.float32), 1.0),
                    rtol=1e-6)
