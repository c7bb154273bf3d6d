"""convolve2d / correlate2d / convolution_matrix2d / ConvolutionOperator2D.

Hypothesis properties (commutativity, FFT == direct, separable == two 1-D passes,
correlation == convolution with the flipped conjugate kernel, matrix == convolution,
adjoint identity), agreement with the boundary-extended double sum of ``naive.py``
(exact for integers), parity with :mod:`scipy.signal` for every mode and boundary, and
bad input.
"""

import itertools
import warnings

import naive
import numpy as np
import pytest
import scipy.signal
import scipy.sparse
import scipy.sparse.linalg
from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    FLOAT_DTYPES,
    MODES,
    RTOL,
    assert_conv_equal,
    check_exact_or_overflow,
    conv_atol,
    int_dtype,
    lengths,
    random_array,
    rng_for,
)

import sigconv as sc

CONV2D_DTYPES = FLOAT_DTYPES + (np.int16, np.int32, np.int64)
BOUNDARIES = ("fill", "wrap", "symm")
FUNCTIONS = ("convolve2d", "correlate2d")
#: a nonzero fill value per dtype kind, exactly representable in every dtype of that kind
NONZERO_FILL = {"f": 1.5, "c": 1.5 - 0.5j, "i": -3}
_PAD_MODES = {"wrap": "wrap", "symm": "symmetric"}


def covers(shape1, shape2):
    """Whether one shape is at least the other in every axis ('valid' mode exists)."""
    pairs = list(zip(shape1, shape2, strict=True))
    return all(a >= b for a, b in pairs) or all(b >= a for a, b in pairs)


def wide(dtype):
    """float64 or complex128: the dtype the references compute in."""
    return np.complex128 if np.dtype(dtype).kind == "c" else np.float64


def flip_conj(kernel):
    return kernel[::-1, ::-1].conj() if kernel.dtype.kind == "c" else kernel[::-1, ::-1]


def boundary_extended(image, kernel_shape, boundary, fillvalue=0):
    """The image with ``k - 1`` samples of boundary on each side: every value a 2-D
    convolution can read. Only for the scale of the tolerances."""
    pads = [(k - 1, k - 1) for k in kernel_shape]
    if boundary == "fill":
        return np.pad(image, pads, constant_values=fillvalue)
    return np.pad(image, pads, mode=_PAD_MODES[boundary])


def fill_for(dtype, nonzero):
    return NONZERO_FILL[np.dtype(dtype).kind] if nonzero else 0


@st.composite
def shapes(draw, modes=MODES, max_image=12, max_kernel=7):
    """``(image_shape, kernel_shape, mode)``: 1xN, Nx1, even kernels and kernels larger
    than the image all come up; ``valid`` only where one shape covers the other."""
    mode = draw(st.sampled_from(modes))
    image_shape = (draw(lengths(max_image)), draw(lengths(max_image)))
    kernel_shape = (draw(lengths(max_kernel)), draw(lengths(max_kernel)))
    if mode == "valid" and not covers(image_shape, kernel_shape):
        # the kernel shrinks to fit inside the image, or grows to cover it
        pick = min if draw(st.booleans()) else max
        kernel_shape = tuple(pick(k, n) for k, n in zip(kernel_shape, image_shape,
                                                           strict=True))
    return image_shape, kernel_shape, mode


@st.composite
def images(draw, dtypes=CONV2D_DTYPES, modes=MODES):
    """``(image, kernel, mode)`` of one drawn dtype, shapes from :func:`shapes`."""
    dtype = draw(st.sampled_from(dtypes))
    image_shape, kernel_shape, mode = draw(shapes(modes))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return random_array(rng, image_shape, dtype), random_array(rng, kernel_shape, dtype), mode


def assert_matches_exact(call, exact, image, kernel, boundary="fill", fillvalue=0):
    """``call()`` keeps the input dtype and equals ``exact``: bit for bit (or raises
    OverflowError) for integers, within the tolerances of :mod:`strategies` else."""
    dtype = image.dtype
    if int_dtype(dtype):
        check_exact_or_overflow(call, exact, dtype)
        return
    out = call()
    assert out.dtype == dtype
    assert out.shape == exact.shape
    assert_conv_equal(out, exact, boundary_extended(image, kernel.shape, boundary, fillvalue),
                      kernel)


# --------------------------------------------------------------------------------------
# against the boundary-extended double sum of naive.py
# --------------------------------------------------------------------------------------
@pytest.mark.kernel
@given(images(), st.sampled_from(BOUNDARIES), st.booleans(), st.sampled_from(FUNCTIONS))
def test_matches_naive_with_boundaries(case, boundary, nonzero_fill, function):
    image, kernel, mode = case
    fillvalue = fill_for(image.dtype, nonzero_fill)
    exact = naive.convolve2d(image, kernel, mode, boundary, fillvalue,
                             correlation=function == "correlate2d")
    assert_matches_exact(
        lambda: getattr(sc, function)(image, kernel, mode, boundary, fillvalue),
        exact, image, kernel, boundary, fillvalue)


# --------------------------------------------------------------------------------------
# algebra
# --------------------------------------------------------------------------------------
@pytest.mark.kernel
@given(images(modes=("full",)))
def test_convolve2d_commutative_in_full_mode(case):
    a, b, _ = case
    exact = naive.convolve2d(a, b)
    if int_dtype(a.dtype):
        check_exact_or_overflow(lambda: sc.convolve2d(a, b), exact, a.dtype)
        check_exact_or_overflow(lambda: sc.convolve2d(b, a), exact, a.dtype)
    else:
        ab = sc.convolve2d(a, b)
        ba = sc.convolve2d(b, a)
        assert ab.dtype == ba.dtype == a.dtype
        np.testing.assert_allclose(ab, ba, rtol=RTOL[ab.dtype],
                                   atol=2 * conv_atol(a, b, ab.dtype))
        assert_conv_equal(ab, exact, a, b)


def _small_ints_or_random(rng, shape, dtype):
    """Random values; integers within +-100, so that an FFT forced on them (error far
    below 0.5) rounds back to the exact result."""
    if int_dtype(dtype):
        return rng.integers(-100, 100, size=shape, endpoint=True).astype(dtype)
    return random_array(rng, shape, dtype)


@pytest.mark.kernel
@given(st.sampled_from(CONV2D_DTYPES), lengths(12), lengths(12), lengths(7), lengths(7),
       st.sampled_from(MODES), st.integers(0, 2**32 - 1))
def test_fft_equals_direct_2d(dtype, h, w, kh, kw, mode, seed):
    if mode == "valid" and not covers((h, w), (kh, kw)):
        mode = "same"
    rng = np.random.default_rng(seed)
    image = _small_ints_or_random(rng, (h, w), dtype)
    kernel = _small_ints_or_random(rng, (kh, kw), dtype)
    exact = naive.convolve2d(image, kernel, mode)
    for method in ("direct", "fft"):
        assert_matches_exact(lambda method=method: sc.convolve(image, kernel, mode, method),
                             exact, image, kernel)
    if not int_dtype(dtype):
        direct = sc.convolve(image, kernel, mode, "direct")
        fft = sc.convolve(image, kernel, mode, "fft")
        np.testing.assert_allclose(fft, direct, rtol=RTOL[direct.dtype],
                                   atol=2 * conv_atol(image, kernel, dtype))
        np.testing.assert_allclose(sc.convolve2d(image, kernel, mode), direct,
                                   rtol=RTOL[direct.dtype],
                                   atol=2 * conv_atol(image, kernel, dtype))


@pytest.mark.kernel
@given(st.sampled_from(CONV2D_DTYPES), st.integers(1, 4), lengths(12), lengths(12),
       lengths(7), lengths(7), st.sampled_from(MODES), st.booleans(),
       st.integers(0, 2**32 - 1))
def test_fft_equals_direct_on_a_stack_of_images(dtype, n, h, w, kh, kw, mode,
                                                one_kernel, seed):
    """``(n, h, w)`` images with ``axes=(-2, -1)``: one kernel ``(1, kh, kw)`` broadcast
    over the stack, or one kernel per image; every slice is its own convolve2d."""
    if mode == "valid" and not covers((h, w), (kh, kw)):
        mode = "full"
    rng = np.random.default_rng(seed)
    stack = _small_ints_or_random(rng, (n, h, w), dtype)
    kernels = _small_ints_or_random(rng, (1 if one_kernel else n, kh, kw), dtype)
    exact = [naive.convolve2d(stack[i], kernels[0 if one_kernel else i], mode)
             for i in range(n)]
    exact = np.stack(exact)
    results = {}
    for method in ("direct", "fft"):
        call = lambda method=method: sc.convolve(stack, kernels, mode, method,  # noqa: E731
                                                 axes=(-2, -1))
        if int_dtype(dtype):
            check_exact_or_overflow(call, exact, dtype)
            continue
        out = call()
        assert out.dtype == np.dtype(dtype)
        assert out.shape == exact.shape
        np.testing.assert_allclose(out, exact, rtol=RTOL[out.dtype],
                                   atol=conv_atol(stack, kernels, dtype))
        results[method] = out
    if results:
        np.testing.assert_allclose(results["fft"], results["direct"],
                                   rtol=RTOL[results["fft"].dtype],
                                   atol=2 * conv_atol(stack, kernels, dtype))
        for i in range(n):
            np.testing.assert_allclose(
                sc.convolve2d(stack[i], kernels[0 if one_kernel else i], mode),
                results["direct"][i], rtol=RTOL[results["fft"].dtype],
                atol=2 * conv_atol(stack[i], kernels, dtype))




def separable_atol(image, column, row, dtype):
    """Error bound of ``convolve2d`` with ``outer(column, row)`` by any path.

    * two 1-D passes: each output sums ``kw`` products in the first pass and ``kh`` in the
      second, so it is off by at most ``(kh + kw) eps max|I| sum|c| sum|r|``;
    * the SVD factors reproduce the kernel to a few float64 ulps of its largest singular
      value ``||c|| ||r||``: at most ``kh kw eps64 max|I| ||c|| ||r||`` more per output;
    * the direct 2-D sum: :func:`strategies.conv_atol`.

    The factors 4 are safety margins.
    """
    eps = float(np.finfo(dtype).eps)
    eps64 = float(np.finfo(np.float64).eps)
    size = column.size * row.size
    linf = naive.linf(image)
    return (4 * (column.size + row.size) * eps * linf * naive.l1(column) * naive.l1(row)
            + 4 * size * eps64 * linf * naive.l2(column) * naive.l2(row)
            + conv_atol(image, np.outer(column, row), dtype))


@pytest.mark.kernel
@given(st.sampled_from((np.float32, np.float64)), shapes(), st.sampled_from(BOUNDARIES),
       st.booleans(), st.integers(0, 2**32 - 1))
def test_separable_kernel_equals_two_1d_passes(dtype, case, boundary, nonzero_fill, seed):
    """A rank-one kernel ``outer(column, row)``: convolving the rows with ``row``, then
    the columns with ``column`` (each pass cut to the mode along its axis) is the 2-D
    convolution, and both are SciPy's."""
    image_shape, (kh, kw), mode = case
    rng = np.random.default_rng(seed)
    image = random_array(rng, image_shape, dtype)
    column = random_array(rng, kh, dtype)
    row = random_array(rng, kw, dtype)
    kernel = np.outer(column, row)
    assert kernel.dtype == np.dtype(dtype)
    out = sc.convolve2d(image, kernel, mode)
    assert out.dtype == np.dtype(dtype)
    rows = sc.convolve(image, row[np.newaxis, :], mode, axes=1)
    both = sc.convolve(rows, column[:, np.newaxis], mode, axes=0)
    assert both.dtype == np.dtype(dtype)
    atol = separable_atol(image, column, row, dtype)
    np.testing.assert_allclose(out, both, rtol=RTOL[out.dtype], atol=2 * atol)
    expected = scipy.signal.convolve2d(image.astype(np.float64), kernel.astype(np.float64),
                                       mode)
    np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype], atol=atol)
    # with a boundary rule too
    fillvalue = fill_for(dtype, nonzero_fill)
    out = sc.convolve2d(image, kernel, mode, boundary, fillvalue)
    expected = scipy.signal.convolve2d(image.astype(np.float64), kernel.astype(np.float64),
                                       mode, boundary, fillvalue)
    extended = boundary_extended(image, kernel.shape, boundary, fillvalue)
    np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype],
                               atol=separable_atol(extended, column, row, dtype))


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_rank_one_kernel_runs_as_two_1d_passes(dtype, monkeypatch):
    """The Notes of convolve2d: a rank-one floating kernel runs as two 1-D passes. A
    sampled Gaussian is rank one in every floating dtype (to that dtype's precision)."""
    calls = []
    # the spy goes into the namespace that sc.convolve2d runs in: with
    # --import-mode=importlib, pytest's doctest collection of sigconv/conv2d.py, when it
    # comes first, executes the file a second time as a new module object that replaces
    # sys.modules["sigconv.conv2d"] (and sigconv.conv2d), while sc.convolve2d keeps the
    # globals of the first (pytest-dev/pytest#10811)
    namespace = sc.convolve2d.__globals__
    original = namespace["_separable"]

    def spy(problem, column, row):
        calls.append((column, row))
        return original(problem, column, row)

    monkeypatch.setitem(namespace, "_separable", spy)
    kernel = sc.filters.gaussian_kernel(1.0, truncate=2.0).astype(dtype)
    assert kernel.shape == (5, 5)
    image = random_array(rng_for("two passes", dtype), (12, 12), dtype)
    out = sc.convolve2d(image, kernel, "same", "symm")
    assert out.dtype == np.dtype(dtype)
    expected = scipy.signal.convolve2d(image.astype(wide(dtype)), kernel.astype(wide(dtype)),
                                       "same", "symm")
    extended = boundary_extended(image, kernel.shape, "symm")
    np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype],
                               atol=4 * conv_atol(extended, kernel, dtype))
    assert len(calls) == 1, f"a rank-one {np.dtype(dtype)} kernel did not run in two passes"
    column, row = calls[0]
    np.testing.assert_allclose(np.outer(column, row), kernel, rtol=RTOL[out.dtype],
                               atol=RTOL[out.dtype] * float(kernel.real.max()))


@pytest.mark.kernel
@given(images(), st.sampled_from(BOUNDARIES), st.booleans())
def test_correlate2d_is_convolution_with_flipped_conjugate_kernel(case, boundary,
                                                                   nonzero_fill):
    """``correlate2d(I, K) == convolve2d(I, conj(K[::-1, ::-1]))`` in full and valid
    mode, and in same mode for odd kernels. For an even kernel length SciPy's
    correlate2d keeps the full correlation from ``k // 2`` on, one sample later than
    convolve2d's ``(k - 1) // 2``: that case is checked against SciPy itself."""
    image, kernel, mode = case
    fillvalue = fill_for(image.dtype, nonzero_fill)

    def correlate():
        return sc.correlate2d(image, kernel, mode, boundary, fillvalue)

    if mode != "same" or all(k % 2 == 1 for k in kernel.shape):
        flipped = flip_conj(kernel)
        exact = naive.convolve2d(image, flipped, mode, boundary, fillvalue)
        assert_matches_exact(correlate, exact, image, kernel, boundary, fillvalue)
        assert_matches_exact(lambda: sc.convolve2d(image, flipped, mode, boundary, fillvalue),
                             exact, image, kernel, boundary, fillvalue)
        return
    exact = naive.convolve2d(image, kernel, mode, boundary, fillvalue, correlation=True)
    if int_dtype(image.dtype):
        check_exact_or_overflow(correlate, exact, image.dtype)
        if naive.fits(exact, image.dtype):
            np.testing.assert_array_equal(
                correlate(), scipy.signal.correlate2d(image, kernel, mode, boundary,
                                                      fillvalue))
        return
    expected = scipy.signal.correlate2d(image.astype(wide(image.dtype)),
                                        kernel.astype(wide(image.dtype)), mode, boundary,
                                        fillvalue)
    assert_matches_exact(correlate, expected, image, kernel, boundary, fillvalue)


@pytest.mark.kernel
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_correlate2d_same_mode_centring_of_even_kernels(boundary):
    """Worked out by hand: correlating a row with ``[1, 10]`` in same mode gives
    ``I[j] + 10 I[j + 1]``; convolving with the flipped ``[10, 1]`` gives
    ``I[j - 1] + 10 I[j]``, the same sums one sample later."""
    image = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
    after = {"fill": [0.0, 0.0], "wrap": [1.0, 5.0], "symm": [4.0, 8.0]}[boundary]
    before = {"fill": [0.0, 0.0], "wrap": [4.0, 8.0], "symm": [1.0, 5.0]}[boundary]
    following = np.column_stack((image[:, 1:], after))
    preceding = np.column_stack((before, image[:, :-1]))
    kernel = np.array([[1.0, 10.0]])
    correlated = sc.correlate2d(image, kernel, "same", boundary)
    np.testing.assert_array_equal(correlated, image + 10 * following)
    np.testing.assert_array_equal(correlated,
                                  scipy.signal.correlate2d(image, kernel, "same", boundary))
    convolved = sc.convolve2d(image, kernel[:, ::-1], "same", boundary)
    np.testing.assert_array_equal(convolved, preceding + 10 * image)
    np.testing.assert_array_equal(convolved[:, 1:], correlated[:, :-1])
    # the same along the columns, with a 2 x 1 kernel
    np.testing.assert_array_equal(sc.correlate2d(image.T, kernel.T, "same", boundary),
                                  (image + 10 * following).T)


# --------------------------------------------------------------------------------------
# convolution_matrix2d and ConvolutionOperator2D
# --------------------------------------------------------------------------------------
@pytest.mark.kernel
@given(images())
def test_convolution_matrix2d_times_image_is_convolve2d(case):
    image, kernel, mode = case
    matrix = sc.convolution_matrix2d(kernel, image.shape, mode)
    exact = naive.convolve2d(image, kernel, mode)
    assert scipy.sparse.issparse(matrix)
    assert matrix.shape == (exact.size, image.size)
    assert matrix.dtype == kernel.dtype
    assert np.diff(matrix.tocsc().indptr).max() <= kernel.size
    if int_dtype(image.dtype):
        # in Python ints: no overflow in the product
        product = matrix.toarray().astype(object) @ image.ravel().astype(object)
        np.testing.assert_array_equal(product, exact.ravel())
        check_exact_or_overflow(lambda: sc.convolve2d(image, kernel, mode).ravel(),
                                exact.ravel(), image.dtype)
        return
    product = matrix @ image.ravel()
    assert_conv_equal(product, exact.ravel(), image, kernel)
    np.testing.assert_allclose(product, sc.convolve2d(image, kernel, mode).ravel(),
                               rtol=RTOL[product.dtype],
                               atol=2 * conv_atol(image, kernel, product.dtype))


def operator_atol(kernel, *vectors):
    """Each output of ``A v`` or ``A^H v`` sums at most ``kernel.size`` products: its
    rounding error is at most ``kernel.size eps sum|K| max|v|`` (4 for safety)."""
    eps = float(np.finfo(kernel.dtype).eps)
    return 4 * kernel.size * eps * naive.l1(kernel) * max(naive.linf(v) for v in vectors)


@pytest.mark.kernel
@given(images(dtypes=FLOAT_DTYPES), st.integers(0, 2**32 - 1))
def test_operator_adjoint_identity(case, seed):
    """``<A x, y> == <x, A^H y>`` for random real or complex kernels, x and y."""
    image, kernel, mode = case
    operator = sc.ConvolutionOperator2D(kernel, image.shape, mode)
    assert operator.dtype == kernel.dtype
    rng = np.random.default_rng(seed)
    x = image.ravel()
    y = random_array(rng, operator.shape[0], kernel.dtype)
    work = wide(kernel.dtype)
    left = np.vdot(y.astype(work), operator.matvec(x).astype(work))
    right = np.vdot(operator.rmatvec(y).astype(work), x.astype(work))
    eps = float(np.finfo(kernel.dtype).eps)
    scale = (naive.l1(kernel) * naive.l1(x) * naive.linf(y)
             + naive.l1(kernel) * naive.l1(y) * naive.linf(x))
    atol = 8 * kernel.size * eps * scale
    np.testing.assert_allclose(left, right, rtol=0, atol=atol)
    np.testing.assert_allclose(np.vdot((operator.H @ y).astype(work), x.astype(work)), left,
                               rtol=0, atol=atol)


@pytest.mark.kernel
@given(images(dtypes=FLOAT_DTYPES), st.integers(0, 2**32 - 1))
def test_operator_matches_convolution_matrix2d(case, seed):
    image, kernel, mode = case
    operator = sc.ConvolutionOperator2D(kernel, image.shape, mode)
    dense = sc.convolution_matrix2d(kernel, image.shape, mode).toarray()
    expected_image = sc.convolve2d(image, kernel, mode)
    assert operator.shape == dense.shape
    assert operator.image_shape == image.shape
    assert operator.output_shape == expected_image.shape
    np.testing.assert_array_equal(operator.todense(), dense)
    rng = np.random.default_rng(seed)
    dtype = kernel.dtype
    x = image.ravel()
    y = random_array(rng, operator.shape[0], dtype)
    xs = random_array(rng, (operator.shape[1], 3), dtype)
    ys = random_array(rng, (operator.shape[0], 2), dtype)
    tol = {"rtol": RTOL[np.dtype(dtype)], "atol": operator_atol(kernel, x, y, xs, ys)}
    adjoint = dense.conj().T
    np.testing.assert_allclose(operator @ x, dense @ x, **tol)
    np.testing.assert_allclose(operator.matvec(x), expected_image.ravel(), **tol)
    np.testing.assert_allclose(operator.rmatvec(y), adjoint @ y, **tol)
    np.testing.assert_allclose(operator.matmat(xs), dense @ xs, **tol)
    np.testing.assert_allclose(operator @ xs, dense @ xs, **tol)
    np.testing.assert_allclose(operator.rmatmat(ys), adjoint @ ys, **tol)
    np.testing.assert_allclose(operator.H @ y, adjoint @ y, **tol)
    np.testing.assert_allclose(operator.H.matmat(ys), adjoint @ ys, **tol)
    np.testing.assert_allclose(operator.T @ y, dense.T @ y, **tol)
    np.testing.assert_allclose(operator.adjoint() @ y, adjoint @ y, **tol)


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.int16, np.int64])
@pytest.mark.parametrize("mode", MODES)
def test_operator_with_integer_kernel_works_in_float64(dtype, mode):
    rng = rng_for("int operator", dtype, mode)
    kernel = random_array(rng, (3, 2), dtype)
    operator = sc.ConvolutionOperator2D(kernel, (5, 4), mode)
    assert operator.dtype == np.float64
    image = rng.standard_normal((5, 4))
    expected = scipy.signal.convolve2d(image, kernel.astype(np.float64), mode)
    out = operator @ image.ravel()
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, expected.ravel(), rtol=1e-12,
                               atol=1e-12 * naive.l1(kernel) * naive.linf(image))
    np.testing.assert_array_equal(operator.todense(),
                                  sc.convolution_matrix2d(kernel, (5, 4), mode).toarray())


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("mode", ["full", "same"])
def test_lsqr_deconvolution_with_the_operator_recovers_the_image(dtype, mode):
    """Blur a 12 x 12 image and undo it with lsqr on the operator.

    The kernel ``outer(a, a)`` with ``a = [0.2, 0.6, 0.2]`` has the frequency response
    ``(0.6 + 0.4 cos w1)(0.6 + 0.4 cos w2) >= 0.04``: in full mode every singular value
    of the matrix, and in same mode (a symmetric block Toeplitz matrix of that symbol)
    every eigenvalue, lies in ``[0.04, 1]``, so the condition number is at most 25.
    """
    rng = rng_for("deconvolution", dtype, mode)
    a = np.array([0.2, 0.6, 0.2])
    kernel = np.outer(a, a).astype(dtype)
    if np.dtype(dtype).kind == "c":
        kernel = kernel * np.exp(0.3j)  # a phase leaves the singular values as they were
    x_true = random_array(rng, (12, 12), dtype)
    operator = sc.ConvolutionOperator2D(kernel, x_true.shape, mode)
    blurred = operator @ x_true.ravel()
    np.testing.assert_allclose(blurred, scipy.signal.convolve2d(x_true, kernel, mode).ravel(),
                               rtol=1e-12, atol=1e-12)
    if mode == "same":
        # the blur itself is a large error
        assert np.linalg.norm(blurred - x_true.ravel()) > 0.3 * np.linalg.norm(x_true)
    x_est = scipy.sparse.linalg.lsqr(operator, blurred, atol=1e-14, btol=1e-14,
                                     iter_lim=1000)[0]
    relative_error = np.linalg.norm(x_est - x_true.ravel()) / np.linalg.norm(x_true)
    assert relative_error < 1e-8, relative_error
    # with noise the error stays within the condition number times the noise
    noise = 1e-3 * random_array(rng, blurred.size, dtype)
    x_noisy = scipy.sparse.linalg.lsqr(operator, blurred + noise, atol=1e-12, btol=1e-12,
                                       iter_lim=1000)[0]
    assert np.linalg.norm(x_noisy - x_true.ravel()) <= 25 * np.linalg.norm(noise)


# --------------------------------------------------------------------------------------
# parity with scipy.signal.convolve2d / correlate2d
# --------------------------------------------------------------------------------------
SHAPE_CASES = [
    # (image shape, kernel shape, rank-one kernel)
    ((6, 7), (3, 3), False),  # odd kernel
    ((6, 7), (2, 4), False),  # even kernel
    ((5, 8), (4, 3), False),  # one even, one odd length
    ((1, 9), (1, 4), False),  # 1 x N
    ((9, 1), (3, 1), False),  # N x 1
    ((1, 6), (3, 2), False),  # 1 x N image, taller kernel: no valid mode
    ((3, 4), (5, 6), False),  # kernel larger than the image
    ((2, 2), (7, 7), False),  # the boundary repeats the image several times
    ((10, 11), (5, 4), True),  # rank one: two 1-D passes for floats
]
PARITY_CASES = [
    (case, mode) for case, mode in itertools.product(SHAPE_CASES, MODES)
    if mode != "valid" or covers(case[0], case[1])
]
#: (boundary, nonzero fill value)
BOUNDARY_CASES = [("fill", False), ("fill", True), ("wrap", False), ("symm", False)]


def _parity_id(value):
    case, mode = value
    shape1, shape2, rank_one = case
    return f"{shape1}x{shape2}{'-rank1' if rank_one else ''}-{mode}".replace(" ", "")


def _boundary_id(value):
    boundary, nonzero = value
    return f"{boundary}{'-nonzero' if nonzero else ''}"


def _complex_valid_correlation_with_larger_kernel(function, mode, image, kernel):
    return (function == "correlate2d" and mode == "valid" and kernel.dtype.kind == "c"
            and any(k > n for k, n in zip(kernel.shape, image.shape, strict=True)))


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", CONV2D_DTYPES)
@pytest.mark.parametrize("boundary_case", BOUNDARY_CASES, ids=_boundary_id)
@pytest.mark.parametrize("parity_case", PARITY_CASES, ids=_parity_id)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_matches_scipy(function, parity_case, boundary_case, dtype):
    (image_shape, kernel_shape, rank_one), mode = parity_case
    boundary, nonzero = boundary_case
    rng = rng_for(function, parity_case, boundary_case, dtype)
    image = random_array(rng, image_shape, dtype)
    if rank_one:
        kernel = np.outer(random_array(rng, kernel_shape[0], dtype),
                          random_array(rng, kernel_shape[1], dtype))
    else:
        kernel = random_array(rng, kernel_shape, dtype)
    fillvalue = fill_for(dtype, nonzero)
    ours = getattr(sc, function)
    theirs = getattr(scipy.signal, function)
    if int_dtype(dtype):
        exact = naive.convolve2d(image, kernel, mode, boundary, fillvalue,
                                 correlation=function == "correlate2d")
        if not naive.fits(exact, dtype):
            # SciPy wraps around silently here; sigconv refuses
            with pytest.raises(OverflowError, match=f"result dtype {np.dtype(dtype)}"):
                ours(image, kernel, mode, boundary, fillvalue)
            return
        out = ours(image, kernel, mode, boundary, fillvalue)
        expected = theirs(image, kernel, mode, boundary, fillvalue)
        assert out.dtype == expected.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(out, naive.as_dtype(exact, dtype))
        return
    out = ours(image, kernel, mode, boundary, fillvalue)
    assert out.dtype == theirs(image, kernel, mode, boundary, fillvalue).dtype
    assert out.dtype == np.dtype(dtype)
    if _complex_valid_correlation_with_larger_kernel(function, mode, image, kernel):
        # see test_complex_correlate2d_valid_with_larger_kernel_follows_the_definition
        expected = naive.convolve2d(image, kernel, mode, boundary, fillvalue,
                                    correlation=True)
    else:
        expected = theirs(image.astype(wide(dtype)), kernel.astype(wide(dtype)), mode,
                          boundary, fillvalue)
    assert out.shape == expected.shape
    assert_conv_equal(out, expected, boundary_extended(image, kernel.shape, boundary, fillvalue),
                      kernel)


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("shapes_", [((1, 1), (1, 3)), ((2, 2), (3, 3)), ((3, 4), (5, 6)),
                                     ((2, 3), (2, 7))])
def test_complex_correlate2d_valid_with_larger_kernel_follows_the_definition(dtype, shapes_):
    """``S[i, j] = sum I[i + m, j + n] conj(K[m, n])`` also when the kernel covers the
    image, as sigconv.correlate (and scipy.signal.correlate) compute it.

    scipy.signal.correlate2d (1.17) returns the complex conjugate of this in that case:
    it swaps the inputs without conjugating the result back. sigconv keeps the
    definition, so these shapes are checked against it, not against correlate2d.
    """
    image_shape, kernel_shape = shapes_
    rng = rng_for("complex valid", dtype, shapes_)
    image = random_array(rng, image_shape, dtype)
    kernel = random_array(rng, kernel_shape, dtype)
    out = sc.correlate2d(image, kernel, "valid")
    assert out.dtype == np.dtype(dtype)
    exact = naive.convolve2d(image, kernel, "valid", correlation=True)
    assert_conv_equal(out, exact, image, kernel)
    assert_conv_equal(out, scipy.signal.correlate(image.astype(np.complex128),
                                                  kernel.astype(np.complex128), "valid"),
                      image, kernel)
    np.testing.assert_allclose(out, sc.correlate(image, kernel, "valid"),
                               rtol=RTOL[out.dtype], atol=2 * conv_atol(image, kernel, dtype))


@pytest.mark.kernel
def test_complex_correlate2d_valid_worked_example():
    image = np.array([[1 + 1j]])
    kernel = np.array([[1, 2j, 3]])
    # (1 + 1j) * conj([3, 2j, 1]) read backwards along the lags
    np.testing.assert_array_equal(sc.correlate2d(image, kernel, "valid"),
                                  [[3 + 3j, 2 - 2j, 1 + 1j]])
    np.testing.assert_array_equal(sc.correlate2d(image, kernel, "full"),
                                  scipy.signal.correlate2d(image, kernel, "full"))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_large_kernel_fft_path_matches_scipy(function):
    """A 31 x 31 kernel on a 64 x 64 image: the cost model picks the FFT."""
    rng = rng_for("large", function)
    image = rng.standard_normal((64, 64))
    kernel = rng.standard_normal((31, 31))
    assert sc.choose_conv_method(image, kernel) == "fft"
    for mode, (boundary, nonzero) in itertools.product(MODES, BOUNDARY_CASES):
        fillvalue = fill_for(np.float64, nonzero)
        out = getattr(sc, function)(image, kernel, mode, boundary, fillvalue)
        expected = getattr(scipy.signal, function)(image, kernel, mode, boundary, fillvalue)
        assert out.shape == expected.shape
        assert_conv_equal(out, expected,
                          boundary_extended(image, kernel.shape, boundary, fillvalue), kernel)


@pytest.mark.kernel
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
def test_int8_overflow_raises_where_scipy_wraps(function, boundary, mode):
    image = np.array([[100, -100, 50], [20, 30, -40], [90, 10, 70]], dtype=np.int8)
    kernel = np.array([[3, 2], [1, 4]], dtype=np.int8)
    exact = naive.convolve2d(image, kernel, mode, boundary,
                             correlation=function == "correlate2d")
    assert not naive.fits(exact, np.int8)
    wrapped = getattr(scipy.signal, function)(image, kernel, mode, boundary)
    assert wrapped.dtype == np.int8
    exact64 = np.array(exact.tolist(), dtype=np.int64)
    np.testing.assert_array_equal(wrapped, ((exact64 + 128) % 256 - 128).astype(np.int8))
    with pytest.raises(OverflowError, match="result dtype int8"):
        getattr(sc, function)(image, kernel, mode, boundary)
    # the same inputs, small enough: exact and equal to SciPy
    small_image = (image // 50).astype(np.int8)
    out = getattr(sc, function)(small_image, kernel, mode, boundary)
    assert out.dtype == np.int8
    np.testing.assert_array_equal(out, getattr(scipy.signal, function)(small_image, kernel,
                                                                       mode, boundary))


# --------------------------------------------------------------------------------------
# the fill value and non-finite kernels
# --------------------------------------------------------------------------------------
@pytest.mark.kernel
@pytest.mark.parametrize("function", FUNCTIONS)
def test_fillvalue_takes_the_result_dtype_like_scipy(function):
    """SciPy converts both inputs and the fill value to the common dtype: an int16 image
    with a float32 kernel is extended by 1.5, not by int16(1.5) == 1."""
    image = np.ones((2, 2), dtype=np.int16)
    kernel = np.ones((2, 2), dtype=np.float32)
    # a corner window holds 3 fill values and one pixel, an edge window 2 and 2
    expected = np.array([[5.5, 5.0, 5.5], [5.0, 4.0, 5.0], [5.5, 5.0, 5.5]], dtype=np.float32)
    np.testing.assert_array_equal(
        getattr(scipy.signal, function)(image, kernel, "full", "fill", 1.5), expected)
    out = getattr(sc, function)(image, kernel, "full", "fill", 1.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)


@pytest.mark.kernel
@pytest.mark.parametrize("function", FUNCTIONS)
def test_complex_fillvalue_with_a_complex_kernel(function):
    """A real image with a complex kernel has a complex result: SciPy accepts a complex
    fill value there."""
    image = np.ones((2, 2))
    kernel = np.ones((2, 2), dtype=np.complex128)
    expected = np.array([[1 + 3j, 2 + 2j, 1 + 3j], [2 + 2j, 4, 2 + 2j], [1 + 3j, 2 + 2j, 1 + 3j]])
    np.testing.assert_array_equal(
        getattr(scipy.signal, function)(image, kernel, "full", "fill", 1j), expected)
    np.testing.assert_array_equal(getattr(sc, function)(image, kernel, "full", "fill", 1j),
                                  expected)


@pytest.mark.parametrize("fillvalue", [2**40, 40000, -40000, np.nan, np.inf])
def test_fillvalue_the_integer_dtype_cannot_hold_is_refused(fillvalue):
    """SciPy: ValueError "could not cast `fillvalue` directly to the output type"."""
    image = np.ones((2, 2), dtype=np.int16)
    with warnings.catch_warnings(), pytest.raises(ValueError):
        warnings.simplefilter("ignore")  # SciPy's ComplexWarning on the way to its error
        scipy.signal.convolve2d(image, image, fillvalue=fillvalue)
    with pytest.raises(ValueError, match="fillvalue"):
        sc.convolve2d(image, image, fillvalue=fillvalue)


@pytest.mark.kernel
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("kernel_shape", [(3, 3), (4, 4), (5, 6)])
def test_non_finite_kernel_tap_reaches_every_valid_output(kernel_shape, function, bad):
    """In valid mode every output reads every tap: NaN or inf everywhere, as in SciPy."""
    image = np.ones((8, 8))
    kernel = np.ones(kernel_shape)
    kernel[1, 1] = bad
    out = getattr(sc, function)(image, kernel, "valid")
    expected = np.full((9 - kernel_shape[0], 9 - kernel_shape[1]), bad)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(getattr(scipy.signal, function)(image, kernel, "valid"),
                                  expected)


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------
CONV2D_FUNCTIONS = [sc.convolve2d, sc.correlate2d]


@pytest.mark.parametrize("function", CONV2D_FUNCTIONS, ids=FUNCTIONS)
@pytest.mark.parametrize("shapes_, name", [
    (((3,), (2, 2)), "in1"),
    (((2, 3, 3), (2, 2)), "in1"),
    (((3, 3), (2,)), "in2"),
    (((3, 3), (1, 2, 2)), "in2"),
])
def test_wrong_ndim(function, shapes_, name):
    shape1, shape2 = shapes_
    with pytest.raises(ValueError, match=fr"{name} must be two-dimensional, got shape"):
        function(np.ones(shape1), np.ones(shape2))


@pytest.mark.parametrize("function", CONV2D_FUNCTIONS, ids=FUNCTIONS)
@pytest.mark.parametrize("mode", ["fill", "FULL", "", None, 1])
def test_unknown_mode(function, mode):
    with pytest.raises(ValueError, match=r"mode must be one of 'full', 'same', 'valid'"):
        function(np.ones((3, 3)), np.ones((2, 2)), mode=mode)


@pytest.mark.parametrize("function", CONV2D_FUNCTIONS, ids=FUNCTIONS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", ["circular", "symmetric", "reflect", "FILL", "", None, 0])
def test_unknown_boundary(function, mode, boundary):
    with pytest.raises(ValueError, match=r"boundary must be one of 'fill', 'wrap', 'symm'"):
        function(np.ones((3, 3)), np.ones((2, 2)), mode=mode, boundary=boundary)


@pytest.mark.parametrize("function", CONV2D_FUNCTIONS, ids=FUNCTIONS)
@pytest.mark.parametrize("in1, in2, name", [
    (np.array([["a", "b"], ["c", "d"]]), np.ones((2, 2)), "in1"),
    (np.ones((2, 2), dtype=object), np.ones((2, 2)), "in1"),
    (np.ones((2, 2)), np.array([["a"]]), "in2"),
    (np.ones((2, 2)), np.ones((1, 1), dtype="datetime64[s]"), "in2"),
])
def test_non_numeric_dtype(function, in1, in2, name):
    with pytest.raises(TypeError, match=fr"{name} must have a boolean, integer, floating or "
                                        "complex dtype"):
        function(in1, in2)


@pytest.mark.parametrize("function", CONV2D_FUNCTIONS, ids=FUNCTIONS)
@pytest.mark.parametrize("shape1, shape2", [((3, 5), (5, 3)), ((5, 3), (3, 5))])
def test_valid_mode_needs_one_input_covering_the_other(function, shape1, shape2):
    rng = rng_for("covering", function.__name__, shape1)
    in1 = rng.standard_normal(shape1)
    in2 = rng.standard_normal(shape2)
    with pytest.raises(ValueError, match=fr"'valid' mode.*in1 shape \({shape1[0]}, "
                                         fr"{shape1[1]}\) and in2 shape"):
        function(in1, in2, mode="valid")
    # the other modes are fine with these shapes
    for mode in ("full", "same"):
        expected = getattr(scipy.signal, function.__name__)(in1, in2, mode)
        np.testing.assert_allclose(function(in1, in2, mode), expected, rtol=1e-12,
                                   atol=1e-12 * naive.l1(in1) * naive.l1(in2))


@pytest.mark.parametrize("function", CONV2D_FUNCTIONS, ids=FUNCTIONS)
@pytest.mark.parametrize("fillvalue", [[1, 2], np.array([1.0]), [[0]], (0, 0)])
def test_non_scalar_fillvalue(function, fillvalue):
    with pytest.raises(ValueError, match="fillvalue must be a scalar"):
        function(np.ones((3, 3)), np.ones((2, 2)), fillvalue=fillvalue)


@pytest.mark.parametrize("function", CONV2D_FUNCTIONS, ids=FUNCTIONS)
def test_non_numeric_fillvalue_is_named(function):
    with pytest.raises((TypeError, ValueError), match="fillvalue"):
        function(np.ones((3, 3)), np.ones((2, 2)), fillvalue="a")


@pytest.mark.parametrize("function", CONV2D_FUNCTIONS, ids=FUNCTIONS)
def test_complex_fillvalue_with_real_inputs(function):
    with pytest.raises(ValueError, match="fillvalue .*complex"):
        function(np.ones((3, 3)), np.ones((2, 2)), fillvalue=1j)


@pytest.mark.parametrize("function", CONV2D_FUNCTIONS, ids=FUNCTIONS)
@pytest.mark.parametrize("shape1, shape2, name", [
    ((0, 3), (2, 2), "in1"), ((3, 0), (2, 2), "in1"), ((0, 0), (2, 2), "in1"),
    ((3, 3), (0, 2), "in2"), ((3, 3), (2, 0), "in2"),
])
def test_empty_inputs(function, shape1, shape2, name):
    with pytest.raises(ValueError, match=fr"{name} cannot be empty \(shape"):
        function(np.ones(shape1), np.ones(shape2))


OPERATOR_FACTORIES = [sc.convolution_matrix2d, sc.ConvolutionOperator2D]
OPERATOR_IDS = ["convolution_matrix2d", "ConvolutionOperator2D"]


@pytest.mark.parametrize("factory", OPERATOR_FACTORIES, ids=OPERATOR_IDS)
@pytest.mark.parametrize("image_shape", [(3,), (3, 3, 3), (0, 3), (3, 0), (-1, 3), ()])
def test_bad_image_shape_values(factory, image_shape):
    with pytest.raises(ValueError, match="image_shape must be two positive ints"):
        factory(np.ones((2, 2)), image_shape)


@pytest.mark.parametrize("factory", OPERATOR_FACTORIES, ids=OPERATOR_IDS)
@pytest.mark.parametrize("image_shape", [3, None, (3, None), (2.5, 3), ("a", 3)])
def test_image_shape_must_be_a_pair_of_ints(factory, image_shape):
    with pytest.raises(TypeError, match="image_shape must be a pair of ints"):
        factory(np.ones((2, 2)), image_shape)


@pytest.mark.parametrize("factory", OPERATOR_FACTORIES, ids=OPERATOR_IDS)
def test_bad_operator_kernel_and_mode(factory):
    with pytest.raises(ValueError, match="kernel must be two-dimensional"):
        factory(np.ones(3), (4, 4))
    with pytest.raises(ValueError, match=r"kernel cannot be empty \(shape \(0, 2\)\)"):
        factory(np.ones((0, 2)), (4, 4))
    with pytest.raises(TypeError, match="kernel must have a boolean, integer, floating"):
        factory([["x"]], (4, 4))
    with pytest.raises(ValueError, match=r"mode must be one of 'full', 'same', 'valid'"):
        factory(np.ones((2, 2)), (4, 4), mode="circular")
    with pytest.raises(ValueError, match=r"'valid' mode.*image_shape \(5, 3\) and kernel "
                                         r"shape \(3, 5\)"):
        factory(np.ones((3, 5)), (5, 3), mode="valid")


# --------------------------------------------------------------------------------------
# the small-image fast path
# --------------------------------------------------------------------------------------
SMALL_SHAPES = [((8, 9), (3, 3)), ((3, 3), (4, 3)), ((5, 1), (2, 3)), ((1, 1), (1, 1)),
                ((7, 4), (3, 2)), ((2, 6), (3, 4)), ((3, 3), (8, 9))]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shapes", SMALL_SHAPES)
def test_small_fast_path_gives_the_general_paths_bits(dtype, mode, shapes):
    """convolve2d of small contiguous float images with zero fill and a kernel too small
    for the separable passes takes the fast path (once the model has chosen direct for
    the shapes), with the very bits of the general path; valid mode where neither input
    covers the other stays an error."""
    from sigconv import conv2d

    rng = rng_for(dtype, mode, shapes)
    image, kernel = (random_array(rng, shape, dtype) for shape in shapes)
    try:
        general = conv2d._convolve2d(image, kernel, mode, "fill", 0, correlation=False)
    except ValueError:
        assert conv2d._small_2d(image, kernel, mode, "fill", 0) is None
        with pytest.raises(ValueError, match="valid"):
            sc.convolve2d(image, kernel, mode)
        return
    fast = conv2d._small_2d(image, kernel, mode, "fill", 0)
    kh, kw = kernel.shape
    if kh * kw >= 2 * (kh + kw):   # the separable passes are considered: the general path
        assert fast is None
        fast = general
    assert fast is not None
    for out in (fast, sc.convolve2d(image, kernel, mode), sc.convolve2d(image, kernel, mode,
                                                                         fillvalue=0.0)):
        assert out.dtype == general.dtype and out.shape == general.shape
        np.testing.assert_array_equal(out, general)


def test_small_fast_path_hands_over_overflow_nan_and_memory():
    """An overflowed partial sum, a NaN input and a result beyond the memory limit go the
    general way: rescaled sums, NaN kept local, MemoryError naming in1, in2."""
    from sigconv import conv2d

    big = np.array([[1e308, 1e308]])
    kernel = np.array([[2.0, -2.0]])
    sc.convolve2d(big, kernel)   # the model's choice for these shapes, cached
    assert conv2d._small_2d(big, kernel, "full", "fill", 0) is None
    np.testing.assert_array_equal(sc.convolve2d(big, kernel), [[np.inf, 0.0, -np.inf]])
    out = sc.convolve2d(np.array([[np.nan, 1.0]]), kernel)
    assert np.isnan(out[0, :2]).all() and out[0, 2] == -2.0
    image = np.ones((8, 8))
    sc.convolve2d(image, np.ones((3, 3)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sc._config, "MAX_MEMORY", 100)
        assert conv2d._small_2d(image, np.ones((3, 3)), "full", "fill", 0) is None
        with pytest.raises(MemoryError, match="in1, in2"):
            sc.convolve2d(image, np.ones((3, 3)))
