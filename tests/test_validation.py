"""Bad input: every public function raises the right exception, naming the argument."""

import numpy as np
import pytest

import sigconv as sc

CONV_FUNCTIONS = [sc.convolve, sc.correlate, sc.fftconvolve, sc.oaconvolve]
CONV_IDS = [f.__name__ for f in CONV_FUNCTIONS]
#: lists go through full validation; small contiguous float arrays first meet the 1-D fast
#: path of convolve/correlate, which must hand every bad call on to the same checks
INPUT_KINDS = {
    "lists": ([1.0, 2.0], [1.0]),
    "arrays": (np.array([1.0, 2.0]), np.array([1.0])),
    "complex-arrays": (np.array([1.0, 2.0j]), np.array([1.0j])),
}


@pytest.mark.parametrize("function", CONV_FUNCTIONS, ids=CONV_IDS)
@pytest.mark.parametrize("mode", ["fill", "FULL", "", None, 1])
@pytest.mark.parametrize("inputs", INPUT_KINDS)
def test_unknown_mode(function, mode, inputs):
    with pytest.raises(ValueError, match=r"mode must be one of 'full', 'same', 'valid'"):
        function(*INPUT_KINDS[inputs], mode=mode)


@pytest.mark.parametrize("mode", ["fill", None])
def test_unknown_mode_choose_conv_method(mode):
    with pytest.raises(ValueError, match="mode must be one of"):
        sc.choose_conv_method([1.0, 2.0], [1.0], mode=mode)


@pytest.mark.parametrize("function", [sc.convolve, sc.correlate], ids=["convolve", "correlate"])
@pytest.mark.parametrize("method", ["fast", "Direct", "overlap-add", "", None, 0])
@pytest.mark.parametrize("inputs", INPUT_KINDS)
def test_unknown_method(function, method, inputs):
    with pytest.raises(ValueError, match=r"method must be one of 'auto', 'direct', 'fft', 'oa'"):
        function(*INPUT_KINDS[inputs], method=method)


@pytest.mark.parametrize("function", CONV_FUNCTIONS, ids=CONV_IDS)
@pytest.mark.parametrize("shapes", [((3,), (2, 2)), ((2, 3), (3,)), ((2, 2, 2), (2, 2))])
def test_mismatched_ndim(function, shapes):
    in1, in2 = np.ones(shapes[0]), np.ones(shapes[1])
    with pytest.raises(ValueError, match=r"in1 and in2 should have the same dimensionality"):
        function(in1, in2)


@pytest.mark.parametrize("function", CONV_FUNCTIONS, ids=CONV_IDS)
@pytest.mark.parametrize("shapes", [((3, 5), (5, 3)), ((5, 3), (3, 5)), ((2, 4, 4), (4, 2, 4))])
def test_valid_mode_needs_one_input_covering_the_other(function, shapes):
    in1, in2 = np.ones(shapes[0]), np.ones(shapes[1])
    with pytest.raises(ValueError, match=r"'valid' mode.*in1 shape.*in2 shape"):
        function(in1, in2, mode="valid")
    # the other modes are fine with these shapes (and give full / in1-sized outputs)
    full = function(in1, in2, mode="full")
    assert full.shape == tuple(a + b - 1 for a, b in zip(shapes[0], shapes[1], strict=True))
    np.testing.assert_allclose(full.sum(), in1.sum() * in2.sum())
    assert function(in1, in2, mode="same").shape == shapes[0]


@pytest.mark.parametrize("function", CONV_FUNCTIONS, ids=CONV_IDS)
@pytest.mark.parametrize("which", ["in1", "in2"])
@pytest.mark.parametrize(
    "bad",
    [
        np.array(["a", "b"]),
        np.array([1, "b"], dtype=object),
        np.array([1.0, 2.0], dtype=object),
        ["x", "y"],
        np.array([b"a", b"b"]),
        np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]"),
    ],
    ids=["str", "object-mixed", "object-floats", "list-of-str", "bytes", "datetime"],
)
def test_non_numeric_dtype_is_a_type_error(function, which, bad):
    good = np.ones(2)
    args = (bad, good) if which == "in1" else (good, bad)
    with pytest.raises(TypeError, match=rf"{which} must have a boolean, integer, floating or "
                                        r"complex dtype"):
        function(*args)


@pytest.mark.parametrize("function", [sc.convolve, sc.correlate], ids=["convolve", "correlate"])
def test_ragged_input_is_a_type_error(function):
    with pytest.raises(TypeError, match=r"in1 must be array_like with a numeric dtype"):
        function([[1.0, 2.0], [3.0]], [[1.0]])


@pytest.mark.parametrize("function", CONV_FUNCTIONS, ids=CONV_IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex64, np.int32])
@pytest.mark.parametrize("which", ["in1", "in2"])
def test_empty_1d_input(function, dtype, which):
    empty, good = np.ones(0, dtype), np.ones(3, dtype)
    args = (empty, good) if which == "in1" else (good, empty)
    for method in ("auto", "direct", "fft"):
        kwargs = {"method": method} if function in (sc.convolve, sc.correlate) else {}
        with pytest.raises(ValueError, match=rf"{which} cannot be empty"):
            function(*args, **kwargs)


@pytest.mark.parametrize("function", CONV_FUNCTIONS, ids=CONV_IDS)
@pytest.mark.parametrize("which", ["in1", "in2"])
@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 0)])
def test_empty_input(function, which, shape):
    empty = np.ones(shape)
    good = np.ones((2,) * len(shape))
    args = (empty, good) if which == "in1" else (good, empty)
    with pytest.raises(ValueError, match=rf"{which} cannot be empty"):
        function(*args)


@pytest.mark.parametrize("function", CONV_FUNCTIONS, ids=CONV_IDS)
@pytest.mark.parametrize("axes", [2, -3, (0, 2), [5]])
def test_axes_out_of_range(function, axes):
    with pytest.raises(ValueError, match=r"axes entry -?\d+ is out of range for 2-d inputs"):
        function(np.ones((3, 4)), np.ones((3, 2)), axes=axes)


@pytest.mark.parametrize("function", CONV_FUNCTIONS, ids=CONV_IDS)
@pytest.mark.parametrize("axes", [(1, 1), (0, -2), [1, 0, 1]])
def test_axes_repeated(function, axes):
    with pytest.raises(ValueError, match=r"axes must be unique"):
        function(np.ones((3, 4)), np.ones((3, 2)), axes=axes)


@pytest.mark.parametrize("function", CONV_FUNCTIONS, ids=CONV_IDS)
@pytest.mark.parametrize("axes", [1.0, (0, 1.5), ("a",), (None,)])
def test_axes_not_integers(function, axes):
    with pytest.raises(TypeError, match=r"axes must contain integers"):
        function(np.ones((3, 4)), np.ones((3, 2)), axes=axes)


@pytest.mark.parametrize("function", CONV_FUNCTIONS, ids=CONV_IDS)
def test_axes_empty(function):
    with pytest.raises(ValueError, match=r"axes must name at least one axis"):
        function(np.ones((3, 4)), np.ones((3, 2)), axes=())


@pytest.mark.parametrize("function", CONV_FUNCTIONS, ids=CONV_IDS)
@pytest.mark.parametrize(
    "shapes, axes",
    [
        (((3, 5), (4, 5)), 1),
        (((3, 5), (2, 5)), (1,)),
        (((2, 3, 5), (2, 4, 5)), (0, 2)),
        (((6, 5), (2, 5)), -1),
    ],
)
def test_mismatched_batch_axes(function, shapes, axes):
    in1, in2 = np.ones(shapes[0]), np.ones(shapes[1])
    with pytest.raises(ValueError, match=r"axes: in1 and in2 must have equal lengths \(or 1\) "
                                         r"along the axes that are not convolved; axis \d"):
        function(in1, in2, axes=axes)


@pytest.mark.parametrize("function", CONV_FUNCTIONS, ids=CONV_IDS)
def test_batch_axes_that_broadcast_are_accepted(function):
    in1 = np.arange(15.0).reshape(3, 5)
    in2 = np.array([[1.0, -1.0]])
    out = function(in1, in2, axes=1)
    kernel = [-1.0, 1.0] if function is sc.correlate else [1.0, -1.0]
    expected = np.stack([np.convolve(row, kernel) for row in in1])
    np.testing.assert_allclose(out, expected, atol=1e-12)


# --------------------------------------------------------------------------------------
# poly.py
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("divisor", [[0.0, 1.0], [0, 2, 3], np.array([0j, 1.0])])
def test_deconvolve_leading_zero_divisor(divisor):
    with pytest.raises(ValueError, match=r"divisor\[0\] must be nonzero"):
        sc.deconvolve([1.0, 2.0, 3.0], divisor)


@pytest.mark.parametrize("which", ["signal", "divisor"])
@pytest.mark.parametrize("bad, error, message", [
    (np.ones((2, 2)), ValueError, "must be one-dimensional"),
    (np.ones(0), ValueError, "cannot be empty"),
    (np.array(["a"]), TypeError, "must have a boolean, integer, floating or complex dtype"),
])
def test_deconvolve_bad_inputs(which, bad, error, message):
    args = {"signal": [1.0, 2.0, 3.0], "divisor": [1.0, 1.0]}
    args[which] = bad
    with pytest.raises(error, match=f"{which} {message}"):
        sc.deconvolve(**args)


@pytest.mark.parametrize("which", ["c1", "c2"])
@pytest.mark.parametrize("bad, error, message", [
    (np.ones((2, 2)), ValueError, "must be one-dimensional"),
    (np.ones(0), ValueError, "cannot be empty"),
    (np.array([None, 1]), TypeError, "must have a boolean, integer, floating or complex dtype"),
])
def test_polymul_bad_inputs(which, bad, error, message):
    args = {"c1": [1.0, 2.0], "c2": [3.0]}
    args[which] = bad
    with pytest.raises(error, match=f"{which} {message}"):
        sc.polymul(**args)


@pytest.mark.parametrize("which", ["c", "r"])
@pytest.mark.parametrize("bad, error, message", [
    (np.ones((2, 2)), ValueError, "must be one-dimensional"),
    (np.ones(0), ValueError, "cannot be empty"),
    (np.array(["a", "b"]), TypeError, "must have a boolean, integer, floating or complex dtype"),
])
def test_toeplitz_bad_inputs(which, bad, error, message):
    args = {"c": [1.0, 2.0], "r": [1.0, 3.0]}
    args[which] = bad
    with pytest.raises(error, match=f"{which} {message}"):
        sc.toeplitz(**args)


@pytest.mark.parametrize("factory", [sc.convolution_matrix, sc.ToeplitzOperator],
                         ids=["convolution_matrix", "ToeplitzOperator"])
@pytest.mark.parametrize("n", [0, -1, -100])
def test_matrix_n_not_positive(factory, n):
    with pytest.raises(ValueError, match=rf"n must be >= 1, got {n}"):
        factory([1.0, 2.0], n)


@pytest.mark.parametrize("factory", [sc.convolution_matrix, sc.ToeplitzOperator],
                         ids=["convolution_matrix", "ToeplitzOperator"])
@pytest.mark.parametrize("n", [2.0, "3", None])
def test_matrix_n_not_an_integer(factory, n):
    with pytest.raises(TypeError, match=r"n must be an integer"):
        factory([1.0, 2.0], n)


@pytest.mark.parametrize("factory", [sc.convolution_matrix, sc.ToeplitzOperator],
                         ids=["convolution_matrix", "ToeplitzOperator"])
def test_matrix_bad_mode_and_a(factory):
    with pytest.raises(ValueError, match=r"mode must be one of 'full', 'same', 'valid'"):
        factory([1.0, 2.0], 3, mode="circular")
    with pytest.raises(ValueError, match=r"a must be one-dimensional"):
        factory(np.ones((2, 2)), 3)
    with pytest.raises(ValueError, match=r"a cannot be empty"):
        factory([], 3)
    with pytest.raises(TypeError, match=r"a must have a boolean, integer, floating or complex"):
        factory(["x"], 3)


def test_matrix_n_accepts_numpy_integers():
    np.testing.assert_array_equal(sc.convolution_matrix([1, 2], np.int64(2)),
                                  [[1, 0], [2, 1], [0, 2]])


@pytest.mark.skipif(np.dtype(np.longdouble).itemsize <= 8,
                    reason="long double is plain double on this platform")
@pytest.mark.parametrize("dtype", [np.longdouble, np.clongdouble])
def test_extended_precision_is_a_clear_type_error(dtype):
    with pytest.raises(TypeError, match="in2 has dtype .*extended precision"):
        sc.convolve(np.ones(4), np.ones(3, dtype))
