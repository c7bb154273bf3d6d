"""sigconv.filters against scipy.ndimage: every filter, every mode, 2-D and 3-D images.

The filters call the direct kernels of :func:`sigconv.convolve` one axis at a time, so
nearly everything here is marked ``kernel``.
"""

import itertools

import naive
import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st
from strategies import RTOL, random_array, rng_for

import sigconv as sc
from sigconv import filters

#: (mode, cval): every mode, constant with a zero and a nonzero value
MODE_CASES = [("reflect", 0.0), ("constant", 0.0), ("constant", 1.5), ("nearest", 0.0),
              ("mirror", 0.0), ("wrap", 0.0)]
FILTER_MODES = ("reflect", "constant", "nearest", "mirror", "wrap")
IMAGE_SHAPES = [(6, 7), (2, 9), (4, 5, 3)]
FILTER_DTYPES = (np.float64, np.float32)


def per_axis(values, ndim):
    return tuple(values[:ndim])


#: name -> (sigconv call, scipy.ndimage call), each taking (image, mode, cval)
FILTER_CASES = {
    "gaussian-0.8": (lambda im, m, c: filters.gaussian(im, 0.8, m, c),
                     lambda im, m, c: ndi.gaussian_filter(im, 0.8, mode=m, cval=c)),
    "gaussian-1.7": (lambda im, m, c: filters.gaussian(im, 1.7, m, c),
                     lambda im, m, c: ndi.gaussian_filter(im, 1.7, mode=m, cval=c)),
    # a radius of 0: the identity
    "gaussian-0.1": (lambda im, m, c: filters.gaussian(im, 0.1, m, c),
                     lambda im, m, c: ndi.gaussian_filter(im, 0.1, mode=m, cval=c)),
    "gaussian-2.5-truncate-1.5": (
        lambda im, m, c: filters.gaussian(im, 2.5, m, c, truncate=1.5),
        lambda im, m, c: ndi.gaussian_filter(im, 2.5, mode=m, cval=c, truncate=1.5)),
    "gaussian-per-axis": (
        lambda im, m, c: filters.gaussian(im, per_axis((0.7, 1.9, 1.1), im.ndim), m, c),
        lambda im, m, c: ndi.gaussian_filter(im, per_axis((0.7, 1.9, 1.1), im.ndim), mode=m,
                                             cval=c)),
    "gaussian-per-axis-truncate-2": (
        lambda im, m, c: filters.gaussian(im, per_axis((1.3, 0.6, 2.0), im.ndim), m, c,
                                          truncate=2.0),
        lambda im, m, c: ndi.gaussian_filter(im, per_axis((1.3, 0.6, 2.0), im.ndim), mode=m,
                                             cval=c, truncate=2.0)),
    **{f"box-{size}": (lambda im, m, c, size=size: filters.box(im, size, m, c),
                       lambda im, m, c, size=size: ndi.uniform_filter(im, size, mode=m, cval=c))
       for size in (1, 2, 3, 4, 5)},
    "box-per-axis": (
        lambda im, m, c: filters.box(im, per_axis((2, 3, 4), im.ndim), m, c),
        lambda im, m, c: ndi.uniform_filter(im, per_axis((2, 3, 4), im.ndim), mode=m, cval=c)),
    **{f"{name}-axis{axis}": (
        lambda im, m, c, name=name, axis=axis: getattr(filters, name)(im, axis, mode=m, cval=c),
        lambda im, m, c, name=name, axis=axis: getattr(ndi, name)(im, axis, mode=m, cval=c))
       for name, axis in itertools.product(("sobel", "prewitt"), (0, 1, -1))},
    "laplace": (lambda im, m, c: filters.laplace(im, mode=m, cval=c),
                lambda im, m, c: ndi.laplace(im, mode=m, cval=c)),
}


def filter_atol(image, dtype):
    """Every filter here has weights summing (in absolute value) to at most 4 per axis,
    applied in at most one pass per axis of at most 19 taps: its rounding error is far
    below ``RTOL max|image| 4^ndim``."""
    return RTOL[np.dtype(dtype)] * naive.linf(image) * 4.0**image.ndim


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", FILTER_DTYPES)
@pytest.mark.parametrize("shape", IMAGE_SHAPES, ids=str)
@pytest.mark.parametrize("mode, cval", MODE_CASES)
@pytest.mark.parametrize("name", FILTER_CASES)
def test_filters_match_ndimage(name, mode, cval, shape, dtype):
    ours, theirs = FILTER_CASES[name]
    image = random_array(rng_for("filters", name, mode, cval, shape, dtype), shape, dtype)
    out = ours(image, mode, cval)
    assert out.dtype == np.dtype(dtype)  # float32 stays float32
    assert theirs(image, mode, cval).dtype == out.dtype
    assert out.shape == image.shape
    expected = theirs(image.astype(np.float64), mode, cval)
    np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype],
                               atol=filter_atol(image, dtype))


@pytest.mark.kernel
@given(st.sampled_from(FILTER_DTYPES), st.lists(st.integers(1, 10), min_size=1, max_size=3),
       st.sampled_from(MODE_CASES), st.floats(0.3, 3.0), st.integers(1, 6),
       st.integers(0, 2), st.integers(0, 2**32 - 1))
def test_filters_match_ndimage_on_drawn_shapes(dtype, shape, mode_case, sigma, size, axis,
                                               seed):
    """Any shape (length-1 axes, kernels longer than the image), sigma, size and axis."""
    mode, cval = mode_case
    image = random_array(np.random.default_rng(seed), tuple(shape), dtype)
    axis = axis % image.ndim
    wide_image = image.astype(np.float64)
    atol = filter_atol(image, dtype)
    pairs = [
        (filters.gaussian(image, sigma, mode, cval),
         ndi.gaussian_filter(wide_image, sigma, mode=mode, cval=cval)),
        (filters.box(image, size, mode, cval),
         ndi.uniform_filter(wide_image, size, mode=mode, cval=cval)),
        (filters.sobel(image, axis, mode=mode, cval=cval),
         ndi.sobel(wide_image, axis, mode=mode, cval=cval)),
        (filters.prewitt(image, axis, mode=mode, cval=cval),
         ndi.prewitt(wide_image, axis, mode=mode, cval=cval)),
        (filters.laplace(image, mode=mode, cval=cval),
         ndi.laplace(wide_image, mode=mode, cval=cval)),
    ]
    for out, expected in pairs:
        assert out.dtype == np.dtype(dtype)
        np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype], atol=atol)


# --------------------------------------------------------------------------------------
# gaussian_kernel
# --------------------------------------------------------------------------------------
def ndimage_gaussian_weights(sigma, truncate):
    """scipy.ndimage's 1-D Gaussian weights: its filter applied to a delta (the weights
    are symmetric, so correlation and convolution agree)."""
    radius = int(truncate * sigma + 0.5)
    delta = np.zeros(2 * radius + 1)
    delta[radius] = 1.0
    return ndi.gaussian_filter1d(delta, sigma, mode="constant", truncate=truncate)


@pytest.mark.parametrize("sigma, truncate, ndim", [
    (1.0, 4.0, 2), (0.5, 4.0, 2), (2.3, 3.0, 2), (0.1, 4.0, 2), ((0.8, 1.6), 4.0, 2),
    ((2.0, 0.7), 1.5, 2), (1.2, 4.0, 1), ((0.6, 1.0, 1.4), 2.0, 3),
])
def test_gaussian_kernel_is_the_outer_product_of_ndimage_weights(sigma, truncate, ndim):
    kernel = filters.gaussian_kernel(sigma, truncate, ndim)
    sigmas = np.broadcast_to(np.asarray(sigma, dtype=float), (ndim,))
    radii = [int(truncate * s + 0.5) for s in sigmas]
    assert kernel.shape == tuple(2 * r + 1 for r in radii)
    assert kernel.dtype == np.float64
    np.testing.assert_allclose(kernel.sum(), 1.0, rtol=0, atol=1e-14)
    expected = np.ones(())
    for s in sigmas:
        expected = np.multiply.outer(expected, ndimage_gaussian_weights(s, truncate))
    np.testing.assert_allclose(kernel, expected, rtol=1e-13, atol=1e-16)
    # symmetric about the centre, largest there
    np.testing.assert_array_equal(kernel, np.flip(kernel))
    assert kernel[tuple(radii)] == kernel.max()


@pytest.mark.kernel
@pytest.mark.parametrize("mode", FILTER_MODES)
@pytest.mark.parametrize("sigma", [1.0, (0.7, 1.5)])
def test_gaussian_is_correlation_with_gaussian_kernel(mode, sigma):
    image = random_array(rng_for("gaussian kernel", mode, sigma), (9, 8), np.float64)
    kernel = filters.gaussian_kernel(sigma, truncate=3.0)
    expected = ndi.correlate(image, kernel, mode=mode)
    np.testing.assert_allclose(filters.gaussian(image, sigma, mode, truncate=3.0), expected,
                               rtol=1e-12, atol=1e-12 * naive.linf(image))


# --------------------------------------------------------------------------------------
# sharpen, edges
# --------------------------------------------------------------------------------------
@pytest.mark.kernel
@pytest.mark.parametrize("dtype", FILTER_DTYPES)
@pytest.mark.parametrize("shape", IMAGE_SHAPES, ids=str)
@pytest.mark.parametrize("mode, cval", MODE_CASES)
def test_sharpen_is_image_minus_laplace(mode, cval, shape, dtype):
    image = random_array(rng_for("sharpen", mode, cval, shape, dtype), shape, dtype)
    out = filters.sharpen(image, mode=mode, cval=cval)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, image - filters.laplace(image, mode=mode, cval=cval))
    expected = image.astype(np.float64) - ndi.laplace(image.astype(np.float64), mode=mode,
                                                      cval=cval)
    atol = filter_atol(image, dtype)
    np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype], atol=atol)
    stronger = filters.sharpen(image, 2.5, mode, cval)
    np.testing.assert_allclose(stronger, image.astype(np.float64) - 2.5 * ndi.laplace(
        image.astype(np.float64), mode=mode, cval=cval), rtol=RTOL[out.dtype], atol=3 * atol)
    if image.ndim == 2:
        # the classic kernel
        classic = np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])
        np.testing.assert_allclose(out, ndi.correlate(image.astype(np.float64), classic,
                                                      mode=mode, cval=cval),
                                   rtol=RTOL[out.dtype], atol=atol)


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", FILTER_DTYPES)
@pytest.mark.parametrize("shape", IMAGE_SHAPES, ids=str)
@pytest.mark.parametrize("mode, cval", MODE_CASES)
def test_edges_is_the_sobel_gradient_magnitude(mode, cval, shape, dtype):
    image = random_array(rng_for("edges", mode, cval, shape, dtype), shape, dtype)
    out = filters.edges(image, mode, cval)
    assert out.dtype == np.dtype(dtype)
    assert np.all(out >= 0)
    wide_image = image.astype(np.float64)
    sobels = [ndi.sobel(wide_image, axis, mode=mode, cval=cval) for axis in range(image.ndim)]
    atol = filter_atol(image, dtype)
    if image.ndim == 2:
        np.testing.assert_allclose(out, np.hypot(*sobels), rtol=RTOL[out.dtype], atol=atol)
        np.testing.assert_allclose(out, np.hypot(filters.sobel(image, 0, mode=mode, cval=cval),
                                                 filters.sobel(image, 1, mode=mode, cval=cval)),
                                   rtol=RTOL[out.dtype], atol=atol)
    np.testing.assert_allclose(out, np.sqrt(sum(s**2 for s in sobels)), rtol=RTOL[out.dtype],
                               atol=atol)


@pytest.mark.kernel
def test_edges_of_a_step():
    step = np.zeros((4, 6))
    step[:, 3:] = 1.0
    # the Sobel derivative across the step: [-1, 0, 1] times 1 + 2 + 1
    np.testing.assert_array_equal(filters.edges(step), np.tile([0.0, 0, 4, 4, 0, 0], (4, 1)))
    np.testing.assert_array_equal(filters.sobel(step, 0), np.zeros((4, 6)))


# --------------------------------------------------------------------------------------
# integer images
# --------------------------------------------------------------------------------------
INT_FILTERS = {
    "gaussian": lambda im: filters.gaussian(im, 1.3),
    "gaussian-constant": lambda im: filters.gaussian(im, 0.9, "constant", cval=2.0),
    "box": lambda im: filters.box(im, (2, 3), "wrap"),
    "sobel": lambda im: filters.sobel(im, 0, mode="mirror"),
    "prewitt": lambda im: filters.prewitt(im, -1, mode="nearest"),
    "laplace": lambda im: filters.laplace(im),
    "sharpen": lambda im: filters.sharpen(im, 1.5),
    "edges": lambda im: filters.edges(im, "constant", 1.0),
}


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", [np.int16, np.int64, np.uint8, np.bool_])
@pytest.mark.parametrize("name", INT_FILTERS)
def test_integer_images_give_the_float64_result(name, dtype):
    """Integer images are filtered as float64 (scipy.ndimage would cast back)."""
    image = random_array(rng_for("int filter", name, dtype), (7, 6), dtype)
    out = INT_FILTERS[name](image)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, INT_FILTERS[name](image.astype(np.float64)))


@pytest.mark.kernel
@pytest.mark.parametrize("mode", FILTER_MODES)
def test_integer_image_against_ndimage_on_float64(mode):
    image = np.arange(30, dtype=np.int32).reshape(5, 6) ** 2 % 17
    wide_image = image.astype(np.float64)
    np.testing.assert_allclose(filters.gaussian(image, 1.0, mode),
                               ndi.gaussian_filter(wide_image, 1.0, mode=mode), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(filters.sobel(image, 1, mode=mode),
                               ndi.sobel(wide_image, 1, mode=mode),
                               rtol=1e-12, atol=1e-12)
    # scipy.ndimage keeps the integer type: truncated values, not what sigconv returns
    assert ndi.sobel(image, 1, mode=mode).dtype == np.int32


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------
ALL_FILTERS = {
    "gaussian": lambda im, **kw: filters.gaussian(im, 1.0, **kw),
    "box": lambda im, **kw: filters.box(im, 3, **kw),
    "sobel": lambda im, **kw: filters.sobel(im, **kw),
    "prewitt": lambda im, **kw: filters.prewitt(im, **kw),
    "laplace": lambda im, **kw: filters.laplace(im, **kw),
    "sharpen": lambda im, **kw: filters.sharpen(im, **kw),
    "edges": lambda im, **kw: filters.edges(im, **kw),
}


@pytest.mark.parametrize("name", ALL_FILTERS)
@pytest.mark.parametrize("mode", ["symm", "fill", "reflect101", "REFLECT", "", None, 0])
def test_unknown_filter_mode(name, mode):
    with pytest.raises(ValueError, match=r"mode must be one of 'reflect', 'constant', "
                                         r"'nearest', 'mirror', 'wrap'"):
        ALL_FILTERS[name](np.ones((4, 4)), mode=mode)


@pytest.mark.parametrize("name", ALL_FILTERS)
@pytest.mark.parametrize("image, match, error", [
    (np.array(1.0), "image must have at least one dimension", ValueError),
    (np.array([["a", "b"]]), "image must have a boolean, integer, floating or complex dtype",
     TypeError),
    (np.ones((2, 2), dtype=object), "image must have a boolean, integer, floating",
     TypeError),
])
def test_bad_image(name, image, match, error):
    with pytest.raises(error, match=match):
        ALL_FILTERS[name](image)


@pytest.mark.parametrize("sigma", [-1.0, np.nan, np.inf, [1.0, -0.0001], (-0.5, 1.0)])
def test_sigma_must_be_non_negative(sigma):
    with pytest.raises(ValueError, match="sigma must be non-negative and finite"):
        filters.gaussian(np.ones((4, 4)), sigma)
    with pytest.raises(ValueError, match="sigma must be non-negative and finite"):
        filters.gaussian_kernel(sigma)


@pytest.mark.parametrize("sigma, ndim", [([1.0, 2.0, 3.0], 2), ([1.0], 2), ([1.0, 2.0], 3)])
def test_sigma_needs_one_entry_per_axis(sigma, ndim):
    with pytest.raises(ValueError, match=fr"sigma must be a scalar or have one entry per axis "
                                         fr"\({ndim}\)"):
        filters.gaussian(np.ones((3,) * ndim), sigma)
    with pytest.raises(ValueError, match=fr"one entry per axis \({ndim}\)"):
        filters.gaussian_kernel(sigma, ndim=ndim)


@pytest.mark.parametrize("truncate", [0, -1.0, np.nan])
def test_truncate_must_be_positive(truncate):
    with pytest.raises(ValueError, match="truncate must be positive"):
        filters.gaussian(np.ones((4, 4)), 1.0, truncate=truncate)
    with pytest.raises(ValueError, match="truncate must be positive"):
        filters.gaussian_kernel(1.0, truncate=truncate)


@pytest.mark.parametrize("size", [0, -2, [3, 0], (2, -1)])
def test_box_size_must_be_positive(size):
    with pytest.raises(ValueError, match="size must be positive"):
        filters.box(np.ones((4, 4)), size)


@pytest.mark.parametrize("size", [2.5, [3, 1.5]])
def test_box_size_must_be_integral(size):
    with pytest.raises(TypeError, match="size must be integral"):
        filters.box(np.ones((4, 4)), size)


def test_box_size_needs_one_entry_per_axis():
    with pytest.raises(ValueError, match=r"size must be a scalar or have one entry per axis"):
        filters.box(np.ones((4, 4)), [3, 3, 3])


@pytest.mark.parametrize("name", ["sobel", "prewitt"])
@pytest.mark.parametrize("shape, axis", [((4, 4), 2), ((4, 4), -3), ((4, 4, 4), 3), ((5,), 1)])
def test_axis_out_of_range(name, shape, axis):
    with pytest.raises(ValueError, match=fr"axis {axis} is out of range for a "
                                         fr"{len(shape)}-d image"):
        getattr(filters, name)(np.ones(shape), axis)


@pytest.mark.parametrize("name", ["sobel", "prewitt"])
@pytest.mark.parametrize("axis", [1.0, "0", None, (0,)])
def test_axis_must_be_an_integer(name, axis):
    with pytest.raises(TypeError, match="axis must be an integer"):
        getattr(filters, name)(np.ones((4, 4)), axis)


def test_filters_are_reachable_from_the_package():
    assert sc.filters is filters
    assert {"gaussian_kernel", "gaussian", "box", "sobel", "prewitt", "laplace", "sharpen",
            "edges"} <= set(filters.__all__)
    # scipy.ndimage's linear filters under their own names
    for name in ("correlate1d", "convolve1d", "correlate", "convolve", "gaussian_filter1d",
                 "gaussian_filter", "uniform_filter1d", "uniform_filter", "sobel", "prewitt",
                 "laplace", "gaussian_laplace", "gaussian_gradient_magnitude"):
        assert name in filters.__all__
        assert callable(getattr(filters, name))
