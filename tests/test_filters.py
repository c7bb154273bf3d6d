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


@pytest.mark.parametrize("size", [-1, -2, [3, -1], (2, -1)])
def test_box_size_must_be_non_negative(size):
    with pytest.raises(ValueError, match="size must be non-negative"):
        filters.box(np.ones((4, 4)), size)


@pytest.mark.kernel
def test_box_size_0_and_1_leave_an_axis_as_is():
    """As scipy.ndimage.uniform_filter (its 1-D form refuses size 0)."""
    image = random_array(rng_for("box 0"), (4, 5), np.float64)
    np.testing.assert_array_equal(filters.box(image, 0), image)
    np.testing.assert_array_equal(filters.uniform_filter(image, (0, 1), origin=3), image)
    np.testing.assert_allclose(filters.uniform_filter(image, (0, 3)),
                               ndi.uniform_filter(image, (0, 3)), rtol=1e-12)
    with pytest.raises(ValueError, match="size must be positive"):
        filters.uniform_filter1d(image, 0)


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


# ======================================================================================
# scipy.ndimage's API (issue 18): names, argument order, output=, axes, origin, modes
# ======================================================================================
ALL_MODES = ("reflect", "constant", "nearest", "mirror", "wrap", "grid-wrap",
             "grid-constant", "grid-mirror")
#: a 3x4 kernel that is not an outer product, and one that is
KERNEL = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.0, -0.75, 1.0], [0.3, 2.5, 1.0, -2.0]])
OUTER = np.multiply.outer([1.0, -2.0, 0.5], [0.25, 1.0, 3.0, -1.0])

#: name -> call taking (module, image, mode, cval); the same call on sigconv.filters
#: and on scipy.ndimage
NDIMAGE_CASES = {
    "correlate1d-origin": lambda m, x, mode, c: m.correlate1d(x, [1.0, -2.0, 3.0, 0.5], 0,
                                                              mode=mode, cval=c, origin=1),
    "convolve1d-origin": lambda m, x, mode, c: m.convolve1d(x, [1.0, -2.0, 3.0], -1,
                                                            mode=mode, cval=c, origin=-1),
    "correlate": lambda m, x, mode, c: m.correlate(x, KERNEL, mode=mode, cval=c,
                                                   origin=(1, -2), axes=(0, 1)),
    "convolve": lambda m, x, mode, c: m.convolve(x, KERNEL, mode=mode, cval=c, origin=(-1, 1),
                                                 axes=(0, 1)),
    "correlate-separable": lambda m, x, mode, c: m.correlate(x, OUTER, mode=mode, cval=c,
                                                             origin=(0, 1), axes=(0, 1)),
    "convolve-separable": lambda m, x, mode, c: m.convolve(x, OUTER, mode=mode, cval=c,
                                                           axes=(0, 1)),
    "gaussian_filter-order": lambda m, x, mode, c: m.gaussian_filter(
        x, (1.2, 0.8), order=(1, 2), mode=mode, cval=c, axes=(0, 1)),
    "gaussian_filter-radius": lambda m, x, mode, c: m.gaussian_filter(
        x, 1.5, mode=mode, cval=c, radius=(1, 3), axes=(0, 1)),
    "gaussian_filter1d-order3": lambda m, x, mode, c: m.gaussian_filter1d(
        x, 1.1, axis=0, order=3, mode=mode, cval=c),
    "uniform_filter-origin": lambda m, x, mode, c: m.uniform_filter(
        x, (3, 4), mode=mode, cval=c, origin=(-1, 1), axes=(0, 1)),
    "uniform_filter1d": lambda m, x, mode, c: m.uniform_filter1d(x, 4, 0, mode=mode, cval=c,
                                                                 origin=-2),
    "gaussian_laplace": lambda m, x, mode, c: m.gaussian_laplace(x, 1.3, mode=mode, cval=c),
    "gaussian_gradient_magnitude": lambda m, x, mode, c: m.gaussian_gradient_magnitude(
        x, 0.9, mode=mode, cval=c),
    "laplace-axes": lambda m, x, mode, c: m.laplace(x, mode=mode, cval=c, axes=(1, 0)),
}


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", FILTER_DTYPES)
@pytest.mark.parametrize("shape", [(6, 7), (4, 5, 3), (2, 9)], ids=str)
@pytest.mark.parametrize("mode", ALL_MODES)
@pytest.mark.parametrize("name", NDIMAGE_CASES)
def test_ndimage_names_match_ndimage(name, mode, shape, dtype):
    call = NDIMAGE_CASES[name]
    image = random_array(rng_for("ndimage names", name, mode, shape, dtype), shape, dtype)
    cval = 1.5 if "constant" in mode else 0.0
    out = call(filters, image, mode, cval)
    expected = call(ndi, image.astype(np.float64), mode, cval)
    assert out.dtype == np.dtype(dtype) and out.shape == image.shape
    np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype],
                               atol=filter_atol(image, dtype) * 8)


@pytest.mark.kernel
def test_grid_modes_are_synonyms():
    image = random_array(rng_for("grid modes"), (5, 6), np.float64)
    for grid, mode in (("grid-wrap", "wrap"), ("grid-constant", "constant"),
                       ("grid-mirror", "reflect")):
        np.testing.assert_array_equal(filters.gaussian_filter(image, 1.0, mode=grid, cval=2),
                                      filters.gaussian_filter(image, 1.0, mode=mode, cval=2))
        np.testing.assert_array_equal(filters.correlate(image, KERNEL, mode=grid, cval=2),
                                      filters.correlate(image, KERNEL, mode=mode, cval=2))


@pytest.mark.kernel
def test_per_axis_modes_sigmas_and_zero_sigma():
    image = random_array(rng_for("per axis"), (6, 7, 5), np.float64)
    modes = ("wrap", "constant", "mirror")
    for ours, theirs in [
        (filters.gaussian_filter(image, (1.0, 0.0, 2.0), mode=modes, cval=0.5),
         ndi.gaussian_filter(image, (1.0, 0.0, 2.0), mode=modes, cval=0.5)),
        (filters.uniform_filter(image, (3, 1, 2), mode=modes, cval=0.5),
         ndi.uniform_filter(image, (3, 1, 2), mode=modes, cval=0.5)),
        (filters.sobel(image, 1, mode=modes, cval=0.5),
         ndi.sobel(image, 1, mode=modes, cval=0.5)),
        (filters.prewitt(image, 2, mode=modes), ndi.prewitt(image, 2, mode=modes)),
        (filters.laplace(image, mode=modes, cval=0.5), ndi.laplace(image, mode=modes, cval=0.5)),
        (filters.gaussian_laplace(image, (0.8, 1.2, 0.0), mode=modes),
         ndi.gaussian_laplace(image, (0.8, 1.2, 0.0), mode=modes)),
    ]:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    # sigma = 0 along an axis: that axis is untouched
    np.testing.assert_array_equal(filters.gaussian(image, 0), image)
    lines = filters.gaussian(image, (0, 0, 1.5))
    np.testing.assert_allclose(lines, ndi.gaussian_filter1d(image, 1.5, axis=2), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.kernel
@pytest.mark.parametrize("axes", [(0,), (2,), (-1, 0), (2, 0), (1, 2), ()], ids=str)
def test_axes_filter_only_those_axes(axes):
    image = random_array(rng_for("axes", axes), (5, 6, 7), np.float64)
    n = len(axes)
    kernel = KERNEL[:3, :3][(slice(None),) * n + (0,) * (2 - n)] if n else None
    pairs = [
        (filters.gaussian_filter(image, (1.2, 0.7)[:n] or 1.0, axes=axes),
         ndi.gaussian_filter(image, (1.2, 0.7)[:n] or 1.0, axes=axes)),
        (filters.uniform_filter(image, (3, 2)[:n] or 3, origin=(0, -1)[:n] or 0, axes=axes),
         ndi.uniform_filter(image, (3, 2)[:n] or 3, origin=(0, -1)[:n] or 0, axes=axes)),
        (filters.laplace(image, axes=axes), ndi.laplace(image, axes=axes)),
        (filters.gaussian_laplace(image, 1.0, axes=axes),
         ndi.gaussian_laplace(image, 1.0, axes=axes)),
    ]
    if n:
        pairs.append((filters.correlate(image, kernel, axes=axes, origin=(1, 0)[:n]),
                      ndi.correlate(image, kernel, axes=axes, origin=(1, 0)[:n])))
        pairs.append((filters.convolve(image, kernel, axes=axes, mode="constant", cval=2.0),
                      ndi.convolve(image, kernel, axes=axes, mode="constant", cval=2.0)))
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    # the other axes are not filtered: a constant along them stays
    if n and 1 not in axes:
        flat = np.broadcast_to(image[:, :1, :], image.shape)
        smoothed = filters.gaussian_filter(flat, 1.0, axes=axes)
        np.testing.assert_allclose(smoothed, np.broadcast_to(smoothed[:, :1], image.shape))


@pytest.mark.kernel
def test_gaussian_gradient_magnitude_with_axes_smooths_only_those_axes():
    """Documented divergence: scipy.ndimage 1.17 also smooths the other axes."""
    image = random_array(rng_for("ggm axes"), (4, 6, 7), np.float64)
    ours = filters.gaussian_gradient_magnitude(image, (1.0, 1.5), axes=(1, 2))
    expected = np.sqrt(sum(ndi.gaussian_filter(image, (0, 1.0, 1.5), order=order) ** 2
                           for order in ((0, 1, 0), (0, 0, 1))))
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)
    # without axes both agree
    np.testing.assert_allclose(filters.gaussian_gradient_magnitude(image, 1.2),
                               ndi.gaussian_gradient_magnitude(image, 1.2), rtol=1e-12,
                               atol=1e-12)


# --------------------------------------------------------------------------------------
# output=
# --------------------------------------------------------------------------------------
OUTPUT_CASES = {
    "gaussian_filter": lambda m, x, out: m.gaussian_filter(x, 1.3, 0, out),
    "gaussian_filter-order": lambda m, x, out: m.gaussian_filter(x, 1.3, (0, 1), out),
    "uniform_filter": lambda m, x, out: m.uniform_filter(x, 3, out),
    "uniform_filter1d": lambda m, x, out: m.uniform_filter1d(x, 4, 0, out),
    "sobel": lambda m, x, out: m.sobel(x, 0, out),
    "prewitt": lambda m, x, out: m.prewitt(x, 1, out),
    "laplace": lambda m, x, out: m.laplace(x, out),
    "correlate": lambda m, x, out: m.correlate(x, KERNEL, out),
    "convolve-separable": lambda m, x, out: m.convolve(x, OUTER, out, "wrap"),
    "correlate1d": lambda m, x, out: m.correlate1d(x, [0.3, 1.1, -0.6], 0, out),
    "gaussian_laplace": lambda m, x, out: m.gaussian_laplace(x, 1.1, out),
    "gaussian_gradient_magnitude": lambda m, x, out: m.gaussian_gradient_magnitude(x, 1.1,
                                                                                   out),
}


@pytest.mark.kernel
@pytest.mark.parametrize("out_dtype", [np.int32, np.int16, np.uint8, np.int8, np.int64])
@pytest.mark.parametrize("name", OUTPUT_CASES)
def test_integer_outputs_equal_ndimage_exactly(name, out_dtype):
    """Truncation toward zero after each pass and wrap-around, bit for bit."""
    call = OUTPUT_CASES[name]
    rng = rng_for("int outputs", name, out_dtype)
    for image in (rng.integers(-200, 200, (9, 8)).astype(np.int32),
                  rng.normal(0, 50, (9, 8))):
        ours = call(filters, image, out_dtype)
        with np.errstate(invalid="ignore"):   # ndimage's sqrt of a wrapped negative sum
            theirs = call(ndi, image, out_dtype)
        assert ours.dtype == np.dtype(out_dtype)
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.kernel
@given(st.integers(0, 2**32 - 1), st.sampled_from(["gaussian_filter", "uniform_filter",
                                                   "sobel", "laplace", "correlate",
                                                   "gaussian_laplace"]),
       st.sampled_from([np.int32, np.int16, np.uint8]))
def test_integer_outputs_equal_ndimage_on_drawn_images(seed, name, out_dtype):
    rng = np.random.default_rng(seed)
    image = rng.integers(-1000, 1000, tuple(rng.integers(1, 9, 2))).astype(np.int64)
    np.testing.assert_array_equal(OUTPUT_CASES[name](filters, image, out_dtype),
                                  OUTPUT_CASES[name](ndi, image, out_dtype))


@pytest.mark.kernel
@pytest.mark.parametrize("name", OUTPUT_CASES)
def test_output_array_is_written_and_returned(name):
    call = OUTPUT_CASES[name]
    image = random_array(rng_for("out array", name), (7, 6), np.float64)
    for dtype in (np.float64, np.float32, np.int32):
        out = np.full(image.shape, -7, dtype)
        result = call(filters, image, out)
        assert result is out
        expected = call(ndi, image, np.zeros(image.shape, dtype))
        np.testing.assert_allclose(out, expected, rtol=RTOL.get(np.dtype(dtype), 0),
                                   atol=1e-5 if dtype == np.float32 else 0)


_LAYOUT_CASES = {
    "correlate1d": lambda m, x, out: m.correlate1d(x, [0.5, -1.0, 2.0, 0.25], 1, out),
    "gaussian_filter": lambda m, x, out: m.gaussian_filter(x, 1.5, output=out),
    # (ndimage's running mean carries a NaN to the end of the line; sigconv's keeps it in
    # its box: the reference is ndimage's mean as two correlations)
    "uniform_filter": lambda m, x, out: (
        m.uniform_filter(x, (3, 9), output=out) if m is filters else
        m.correlate1d(m.correlate1d(x, np.full(3, 1 / 3), 0), np.full(9, 1 / 9), 1, out)),
    "correlate 3x3": lambda m, x, out: m.correlate(x, np.arange(9.0).reshape(3, 3) - 4, out),
    "correlate rank one": lambda m, x, out: m.correlate(x, np.outer([1.0, 2, 1], [1.0, -1]),
                                                        out),
}


@pytest.mark.kernel
@pytest.mark.parametrize("layout", ["C", "F", "strided", "the image"])
@pytest.mark.parametrize("nonfinite", [False, True])
@pytest.mark.parametrize("name", _LAYOUT_CASES)
def test_output_arrays_of_any_layout(name, layout, nonfinite):
    """The last pass writes straight into a C-contiguous ``output`` of the working dtype;
    any other layout, or the image itself, is filled from a result of its own. Images
    with NaN and inf (summed again in ndimage's order) land there too."""
    call = _LAYOUT_CASES[name]
    image = random_array(rng_for("layout", name, layout), (9, 30), np.float64)
    if nonfinite:
        image[4, 11] = np.nan
        image[1, 3] = np.inf
    with np.errstate(invalid="ignore"):
        expected = call(ndi, image.copy(), np.zeros(image.shape))
    if layout == "C":
        out = np.full(image.shape, -7.0)
    elif layout == "F":
        out = np.full(image.shape, -7.0, order="F")
    elif layout == "strided":
        out = np.full((image.shape[0], 2 * image.shape[1]), -7.0)[:, ::2]
    else:
        out = image
    assert call(filters, image, out) is out
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.kernel
def test_output_dtype_forms():
    image = random_array(rng_for("out forms"), (5, 6), np.float64)
    reference = filters.sobel(image, 0)
    for output in (np.float32, np.dtype(np.float32), "float32", "f4"):
        out = filters.sobel(image, 0, output)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, reference, rtol=1e-6, atol=1e-6)
    # float32 image, float64 output: computed in float64
    image32 = image.astype(np.float32)
    np.testing.assert_allclose(filters.gaussian_filter(image32, 1.0, output=np.float64),
                               ndi.gaussian_filter(image32, 1.0, output=np.float64),
                               rtol=1e-12, atol=1e-12)
    # the output may be the image itself (in place)
    inplace = image.copy()
    filters.gaussian_filter(inplace, 1.0, output=inplace)
    np.testing.assert_allclose(inplace, ndi.gaussian_filter(image, 1.0), rtol=1e-12)


@pytest.mark.kernel
def test_integer_image_without_output_is_float64():
    """Documented divergence: scipy.ndimage keeps the integer type (truncated)."""
    image = np.arange(20, dtype=np.int16).reshape(4, 5) % 7
    out = filters.uniform_filter(image, 3)
    assert out.dtype == np.float64 and ndi.uniform_filter(image, 3).dtype == np.int16
    np.testing.assert_allclose(out, ndi.uniform_filter(image.astype(float), 3), rtol=1e-12)
    np.testing.assert_array_equal(filters.uniform_filter(image, 3, output=image.dtype),
                                  ndi.uniform_filter(image, 3))


@pytest.mark.kernel
def test_complex_images_and_kernels():
    rng = rng_for("complex")
    image = rng.normal(size=(6, 7)) + 1j * rng.normal(size=(6, 7))
    real = rng.normal(size=(6, 7))
    kernel = KERNEL + 1j * KERNEL[::-1]
    for ours, theirs in [
        (filters.correlate(image, kernel, mode="constant", cval=1 - 2j),
         ndi.correlate(image, kernel, mode="constant", cval=1 - 2j)),
        (filters.convolve(real, kernel), ndi.convolve(real, kernel)),
        (filters.correlate1d(image, kernel[0], 1, mode="wrap"),
         ndi.correlate1d(image, kernel[0], 1, mode="wrap")),
        (filters.convolve1d(real, kernel[1], 0), ndi.convolve1d(real, kernel[1], 0)),
        (filters.gaussian_filter(image, 1.1), ndi.gaussian_filter(image, 1.1)),
        (filters.uniform_filter(image, 3), ndi.uniform_filter(image, 3)),
    ]:
        assert ours.dtype == theirs.dtype == np.complex128
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------
# empty images, NaN and inf
# --------------------------------------------------------------------------------------
EMPTY_CALLS = {
    "gaussian_filter": lambda m, x: m.gaussian_filter(x, 1.0),
    "uniform_filter": lambda m, x: m.uniform_filter(x, 3),
    "sobel": lambda m, x: m.sobel(x),
    "prewitt": lambda m, x: m.prewitt(x, 0),
    "laplace": lambda m, x: m.laplace(x),
    "correlate1d": lambda m, x: m.correlate1d(x, [1.0, 2.0], 0),
    "convolve": lambda m, x: m.convolve(x, np.ones((2,) * x.ndim)),
    "gaussian_laplace": lambda m, x: m.gaussian_laplace(x, 1.0),
    "gaussian_gradient_magnitude": lambda m, x: m.gaussian_gradient_magnitude(x, 1.0),
}


@pytest.mark.kernel
@pytest.mark.parametrize("shape", [(0,), (0, 3), (4, 0, 2)], ids=str)
@pytest.mark.parametrize("name", EMPTY_CALLS)
def test_empty_images_give_empty_results(name, shape):
    image = np.ones(shape)
    out = EMPTY_CALLS[name](filters, image)
    expected = EMPTY_CALLS[name](ndi, image)
    assert out.shape == expected.shape == shape and out.dtype == expected.dtype
    assert filters.gaussian(image, 1.0).shape == shape
    assert filters.edges(image).shape == shape and filters.sharpen(image).shape == shape


NAN_CALLS = {
    "gaussian_filter": lambda m, x: m.gaussian_filter(x, 1.0),
    "sobel": lambda m, x: m.sobel(x, 0),
    "laplace": lambda m, x: m.laplace(x),
    "correlate-zeros": lambda m, x: m.correlate(x, [[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "convolve": lambda m, x: m.convolve(x, KERNEL, mode="constant"),
    "correlate1d": lambda m, x: m.correlate1d(x, [1.0, -1.0, 0.0, 2.0], 1),
    "gaussian_gradient_magnitude": lambda m, x: m.gaussian_gradient_magnitude(x, 0.7),
}


@pytest.mark.kernel
@pytest.mark.parametrize("name", NAN_CALLS)
def test_nan_and_inf_spread_as_in_ndimage(name):
    """Direct sums in ndimage's order: a NaN spreads over its neighbourhood only (and
    not through a zero weight of an N-D kernel), inf and inf - inf as in ndimage."""
    image = random_array(rng_for("nan", name), (12, 13), np.float64)
    image[3, 4] = np.nan
    image[9, 2] = np.inf
    image[8, 10] = -np.inf
    ours = NAN_CALLS[name](filters, image)
    theirs = NAN_CALLS[name](ndi, image)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_array_equal(np.isposinf(ours), np.isposinf(theirs))
    assert 0 < np.isnan(ours).sum() < ours.size  # local, not everywhere
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-12, atol=1e-12)


@pytest.mark.kernel
def test_complex_nan_and_inf_spread_as_in_ndimage():
    """Complex data with NaN or inf: real correlations of the parts, as ndimage."""
    rng = rng_for("complex nan")
    image = rng.normal(size=(7, 8)) + 1j * rng.normal(size=(7, 8))
    image[2, 3] = complex(np.inf, 0.0)
    image[5, 5] = complex(1.0, np.nan)
    kernel = KERNEL[:, :3] + 1j * KERNEL[:, 1:]
    for ours, theirs in [(filters.gaussian_filter(image, 1.0), ndi.gaussian_filter(image, 1.0)),
                         (filters.correlate(image, kernel), ndi.correlate(image, kernel)),
                         (filters.convolve(image.real, kernel), ndi.convolve(image.real, kernel)),
                         (filters.sobel(image, 0), ndi.sobel(image, 0))]:
        assert ours.dtype == theirs.dtype
        for part in (np.real, np.imag):
            np.testing.assert_array_equal(np.isnan(part(ours)), np.isnan(part(theirs)))
            np.testing.assert_array_equal(np.isinf(part(ours)), np.isinf(part(theirs)))


@pytest.mark.kernel
def test_uniform_filter_nan_stays_local():
    """Documented divergence: scipy.ndimage's running sum carries a NaN to the end of
    the line; here it spreads over the box around it only."""
    line = np.arange(10.0)
    line[3] = np.nan
    out = filters.uniform_filter1d(line, 3)
    np.testing.assert_array_equal(np.isnan(out), np.isin(np.arange(10), [2, 3, 4]))
    assert np.isnan(ndi.uniform_filter1d(line, 3)[9])


# --------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------
@pytest.mark.kernel
@given(st.integers(0, 2**32 - 1), st.sampled_from(ALL_MODES), st.integers(1, 4),
       st.integers(1, 4))
def test_convolve_is_correlate_with_the_flipped_kernel(seed, mode, kh, kw):
    rng = np.random.default_rng(seed)
    image = rng.normal(size=tuple(rng.integers(1, 8, 2)))
    kernel = rng.normal(size=(kh, kw))
    origin = (int(rng.integers(-(kh // 2), (kh - 1) // 2 + 1)),
              int(rng.integers(-(kw // 2), (kw - 1) // 2 + 1)))
    # convolve(origin o) == correlate(flipped, origin -o - 1 for even sizes, -o for odd)
    mirrored = tuple(-o - (1 - k % 2) for o, k in zip(origin, kernel.shape, strict=True))
    np.testing.assert_allclose(
        filters.convolve(image, kernel, mode=mode, cval=0.7, origin=origin),
        filters.correlate(image, kernel[::-1, ::-1], mode=mode, cval=0.7, origin=mirrored),
        rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        filters.convolve(image, kernel, mode=mode, cval=0.7, origin=origin),
        ndi.convolve(image, kernel, mode=mode, cval=0.7, origin=origin), rtol=1e-10,
        atol=1e-10)


@pytest.mark.kernel
@given(st.integers(0, 2**32 - 1), st.sampled_from(ALL_MODES), st.floats(-3, 3),
       st.floats(-3, 3))
def test_correlate_is_linear(seed, mode, a, b):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 8, 2))
    x, y = rng.normal(size=shape), rng.normal(size=shape)
    kernel = rng.normal(size=tuple(rng.integers(1, 5, 2)))
    # cval is extended linearly too: cval(a x + b y) = a cval_x + b cval_y
    lhs = filters.correlate(a * x + b * y, kernel, mode=mode, cval=a * 0.5 + b * 2.0)
    rhs = (a * filters.correlate(x, kernel, mode=mode, cval=0.5)
           + b * filters.correlate(y, kernel, mode=mode, cval=2.0))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-9 * (1 + abs(a) + abs(b)))


@pytest.mark.kernel
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 6))
def test_correlate_and_convolve_are_adjoint_with_zero_padding(seed, kh, kw):
    """<correlate(x, w), y> == <x, convolve(y, w)> for odd kernels, constant 0 mode."""
    rng = np.random.default_rng(seed)
    kh, kw = 2 * kh - 1, 2 * kw - 1
    shape = tuple(rng.integers(1, 9, 2))
    x, y = rng.normal(size=shape), rng.normal(size=shape)
    kernel = rng.normal(size=(kh, kw))
    lhs = np.vdot(filters.correlate(x, kernel, mode="constant"), y)
    rhs = np.vdot(x, filters.convolve(y, kernel, mode="constant"))
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-9)


@pytest.mark.kernel
@given(st.integers(0, 2**32 - 1), st.sampled_from(ALL_MODES), st.integers(1, 3))
def test_separable_path_equals_the_nd_path(seed, mode, ndim):
    """An outer-product kernel takes 1-D passes (with cval carried through the constant
    border); the same kernel with integer output sums the N-D way: both equal ndimage."""
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 7, ndim))
    image = rng.normal(size=shape)
    vectors = [rng.normal(size=int(rng.integers(1, 5))) for _ in range(ndim)]
    kernel = vectors[0]
    for v in vectors[1:]:
        kernel = np.multiply.outer(kernel, v)
    assert filters._rank_one_factors(kernel) is not None
    separable = filters.correlate(image, kernel, mode=mode, cval=1.25)
    expected = ndi.correlate(image, kernel, mode=mode, cval=1.25)
    np.testing.assert_allclose(separable, expected, rtol=1e-10, atol=1e-10)
    # the N-D route, forced by a NaN far away being absent: the exact (ordered) sum
    nd = filters._correlate_nd(filters._Call(image, np.float64), kernel, [mode] * ndim, 1.25,
                               [0] * ndim, "test")
    np.testing.assert_allclose(separable, nd, rtol=1e-10, atol=1e-10)


def test_rank_one_detection_is_exact():
    gaussian = filters.gaussian_kernel((1.0, 2.0))
    assert filters._rank_one_factors(gaussian) is not None
    assert filters._rank_one_factors(KERNEL) is None
    nearly = OUTER.copy()
    nearly[1, 2] *= 1 + 1e-9   # far above rounding: not separable
    assert filters._rank_one_factors(nearly) is None
    assert filters._rank_one_factors(np.zeros((3, 3))) is None


# --------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------
IMAGE = np.ones((4, 5))


@pytest.mark.parametrize("call, error, match", [
    (lambda: filters.correlate1d(IMAGE, [1, 2, 3], origin=2), ValueError,
     r"origin must satisfy .* length 3, got 2"),
    (lambda: filters.convolve1d(IMAGE, [1, 2], origin=-2), ValueError, "origin must satisfy"),
    (lambda: filters.uniform_filter(IMAGE, 3, origin=(0, 2)), ValueError,
     "origin must satisfy"),
    (lambda: filters.correlate(IMAGE, KERNEL, origin=(2, 0)), ValueError,
     "origin must satisfy"),
    (lambda: filters.correlate(IMAGE, KERNEL, origin=0.5), TypeError,
     "origin must be an integer"),
    (lambda: filters.correlate1d(IMAGE, []), ValueError, "weights cannot be empty"),
    (lambda: filters.correlate1d(IMAGE, [[1.0]]), ValueError,
     "weights must be one-dimensional"),
    (lambda: filters.correlate(IMAGE, [1.0, 2.0]), ValueError,
     "weights must have one dimension per filtered axis"),
    (lambda: filters.correlate(IMAGE, [[1.0, np.nan]]), ValueError, "weights must be finite"),
    (lambda: filters.correlate(IMAGE, ["a"]), TypeError, "weights must have a boolean"),
    (lambda: filters.correlate(IMAGE, KERNEL, mode=("wrap", "reflect")), ValueError,
     "a sequence of modes is not supported"),
    (lambda: filters.gaussian_filter(IMAGE, 1.0, mode=("wrap",)), ValueError,
     r"mode must be a scalar or have one entry per axis \(2\)"),
    (lambda: filters.gaussian_filter(IMAGE, 1.0, mode=("wrap", "fill")), ValueError,
     "mode must be one of"),
    (lambda: filters.gaussian_filter(IMAGE, 1.0, axes=(0, 0)), ValueError,
     "axes must be unique"),
    (lambda: filters.gaussian_filter(IMAGE, 1.0, axes=(2,)), ValueError,
     "axes entry 2 is out of range"),
    (lambda: filters.gaussian_filter(IMAGE, 1.0, axes=(True,)), TypeError,
     "axes must contain integers"),
    (lambda: filters.gaussian_filter(IMAGE, (1.0, 2.0), axes=(1,)), ValueError,
     r"sigma must be a scalar or have one entry per axis \(1\)"),
    (lambda: filters.gaussian_filter(IMAGE, 1.0, order=-1), ValueError, "order must be >= 0"),
    (lambda: filters.gaussian_filter(IMAGE, 1.0, order=1.5), TypeError,
     "order must be an integer"),
    (lambda: filters.gaussian_filter(IMAGE, 1.0, radius=-1), ValueError, "radius must be >= 0"),
    (lambda: filters.gaussian_filter1d(IMAGE, [1.0]), TypeError, "sigma must be a real"),
    (lambda: filters.uniform_filter1d(IMAGE, 0), ValueError, "size must be positive"),
    (lambda: filters.sobel(IMAGE, 0, "reflect"), TypeError,
     "output comes before mode, as in scipy.ndimage"),
    (lambda: filters.sobel(IMAGE, 0, np.zeros((4, 4))), ValueError,
     r"output must have the image's shape \(4, 5\)"),
    (lambda: filters.sobel(IMAGE, 0, bool), TypeError, "output must have an integer"),
    (lambda: filters.sobel(IMAGE, 0, object()), TypeError, "output must be None, a dtype"),
    (lambda: filters.sobel(IMAGE, 0, np.broadcast_to(np.zeros(5), (4, 5))), ValueError,
     "output must be a writeable array"),
    (lambda: filters.correlate(IMAGE + 1j, KERNEL, "float64"), ValueError,
     "output must have a complex dtype"),
    (lambda: filters.correlate(IMAGE + 1j, KERNEL, np.zeros((4, 5))), ValueError,
     "output must have a complex dtype"),
    (lambda: filters.gaussian_filter(IMAGE, 1.0, cval=1j), ValueError,
     "cval must be real for a real image"),
    (lambda: filters.gaussian_filter(IMAGE, 1.0, cval="0"), TypeError,
     "cval must be a real number"),
    (lambda: filters.gaussian_filter(IMAGE, 1.0, cval=np.inf), ValueError,
     "cval must be a finite number"),
])
def test_argument_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_memory_is_checked_before_any_work():
    huge = np.broadcast_to(1.0, (2**22, 2**22))
    with pytest.raises(MemoryError, match="image"):
        filters.gaussian_filter(huge, 1.0)
    with pytest.raises(MemoryError, match="radius"):
        filters.gaussian_filter(IMAGE, 1.0, radius=2**61)
    with pytest.raises(MemoryError, match="sigma, truncate"):
        filters.gaussian_filter1d(IMAGE, 1e300)
    with pytest.raises(MemoryError, match="size"):
        filters.uniform_filter(IMAGE, 2**62)


@pytest.mark.kernel
@pytest.mark.parametrize("kernel_shape", [(3, 3), (4, 4), (3, 4), (2, 5)], ids=str)
@pytest.mark.parametrize("boundary, mode", [("fill", "constant"), ("wrap", "wrap"),
                                            ("symm", "reflect")])
def test_convolve2d_same_is_filters_convolve(boundary, mode, kernel_shape):
    """The table of docs/conventions.rst: scipy.signal's boundaries as ndimage's modes,
    with origin -1 along the axes where the kernel's length is even."""
    rng = rng_for("signal or ndimage", boundary, kernel_shape)
    image = rng.normal(size=(6, 7))
    kernel = rng.normal(size=kernel_shape)
    origin = tuple(-1 if k % 2 == 0 else 0 for k in kernel_shape)
    np.testing.assert_allclose(
        sc.convolve2d(image, kernel, "same", boundary=boundary, fillvalue=1.5),
        filters.convolve(image, kernel, mode=mode, cval=1.5, origin=origin),
        rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        sc.correlate2d(image, kernel, "same", boundary=boundary, fillvalue=1.5),
        filters.correlate(image, kernel, mode=mode, cval=1.5, origin=origin),
        rtol=1e-12, atol=1e-12)


@pytest.mark.kernel
def test_c_conversion_of_integer_outputs_matches_ndimage():
    """Out-of-range values, NaN and inf convert as ndimage's C code does on x86-64."""
    values = np.array([-2.7, -1e10, -9.3e18, 2.7, 9.3e18, 1.8e19, 1.9e19, 1e30, np.nan,
                       np.inf, -np.inf, 300.0, -129.0, 70000.0, 3e9])
    for dtype in (np.uint64, np.int64, np.uint32, np.int32, np.uint16, np.int16, np.uint8,
                  np.int8):
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(filters.correlate1d(values, [1.0], output=dtype),
                                          ndi.correlate1d(values, [1.0], output=dtype))


@pytest.mark.kernel
def test_real_output_dtype_for_a_complex_result_is_promoted_with_a_warning():
    image = random_array(rng_for("promote"), (4, 5), np.complex128)
    with pytest.warns(UserWarning, match="promoting specified output dtype to complex"):
        out = filters.gaussian_filter(image, 1.0, output=np.float32)
    assert out.dtype == np.complex64


@pytest.mark.kernel
@pytest.mark.parametrize("name", ["gaussian_laplace", "gaussian_gradient_magnitude"])
@pytest.mark.parametrize("sigma", [0.0, (1.0, 0.0, 2.0), 1.3])
def test_derivative_sums_share_passes_and_leave_the_image(name, sigma):
    """The Gaussian along axis 0 is computed once for the later derivatives; results as
    ndimage's, and the image (also with sigma 0: no pass at all) is not changed."""
    image = random_array(rng_for("shared", name, sigma), (5, 6, 4), np.float64)
    before = image.copy()
    for mode, cval in (("reflect", 0.0), ("constant", 2.0)):
        np.testing.assert_allclose(getattr(filters, name)(image, sigma, mode=mode, cval=cval),
                                   getattr(ndi, name)(image, sigma, mode=mode, cval=cval),
                                   rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(image, before)


def test_arguments_are_checked_before_the_image_is_converted_or_scanned(monkeypatch):
    scanned = []
    monkeypatch.setattr(filters, "all_finite",
                        lambda array: scanned.append(array.shape) or True)
    image = np.ones((6, 7), np.int32)
    for call in (lambda: filters.gaussian_filter(image, "x"),
                 lambda: filters.gaussian_filter(image, 1.0, mode="bad"),
                 lambda: filters.uniform_filter(image, 3, origin=5),
                 lambda: filters.sobel(image, 5),
                 lambda: filters.laplace(image, cval="0"),
                 lambda: filters.gaussian_laplace(image, -1.0)):
        with pytest.raises((TypeError, ValueError)):
            call()
    assert (6, 7) not in scanned


@pytest.mark.kernel
@pytest.mark.parametrize("dtype", FILTER_DTYPES)
def test_gradient_magnitudes_near_the_largest_float(dtype):
    """The squares overflow where the magnitude fits: recomputed at a smaller scale."""
    image = random_array(rng_for("huge magnitude", dtype), (6, 7), np.float64)
    scale = float(np.finfo(dtype).max) / 64
    huge = (image * scale).astype(dtype)
    for name in ("gaussian_gradient_magnitude", "edges"):
        args = (1.0,) if name != "edges" else ()
        out = getattr(filters, name)(huge, *args)
        assert out.dtype == np.dtype(dtype) and np.isfinite(out).all()
        expected = getattr(filters, name)(huge.astype(np.float64) / scale, *args) * scale
        np.testing.assert_allclose(out, expected, rtol=RTOL[np.dtype(dtype)] * 10)


def test_gaussian_kernel_with_a_zero_sigma_is_the_identity_along_that_axis():
    kernel = filters.gaussian_kernel((0.0, 1.0))
    assert kernel.shape == (1, 9)
    np.testing.assert_allclose(kernel[0], filters.gaussian_kernel(1.0, ndim=1))
    assert filters.gaussian_kernel(0.0).shape == (1, 1)


@pytest.mark.parametrize("call", [
    lambda x: filters.gaussian_filter(x, 0.0),
    lambda x: filters.uniform_filter(x, 1),
    lambda x: filters.correlate(x, np.ones((1, 1))),
    lambda x: filters.convolve1d(x, [1.0]),
    lambda x: filters.gaussian_laplace(x, 1.0, axes=()),
])
def test_a_filter_that_changes_nothing_returns_a_copy(call):
    """Never the caller's image itself (writing into the result would change it), as
    scipy.ndimage."""
    image = np.arange(12.0).reshape(3, 4)
    out = call(image)
    np.testing.assert_array_equal(out, image)
    assert not np.may_share_memory(out, image)
    out[0, 0] = -1.0
    assert image[0, 0] == 0.0


def test_padded_copies_are_sized_before_the_first_pass(monkeypatch):
    """A pass whose padded copy would not fit is refused before any pass runs."""
    ran = []
    monkeypatch.setattr(filters, "_correlate1d", lambda *args, **kwargs: ran.append(1))
    image = np.ones((4, 5))
    monkeypatch.setattr(filters, "memory_limit", lambda: 10**6)
    import sigconv._validate as validate
    monkeypatch.setattr(validate, "memory_limit", lambda: 10**6)
    with pytest.raises(MemoryError, match="image, sigma, truncate"):
        filters.gaussian_filter(image, (1.0, 1.0), radius=(1, 20_000))
    assert not ran


@pytest.mark.parametrize("dtype", [">f8", ">f4", ">c16"])
@pytest.mark.parametrize("name", ["gaussian_filter", "uniform_filter", "sobel", "prewitt",
                                  "laplace", "gaussian_laplace",
                                  "gaussian_gradient_magnitude", "correlate", "correlate1d"])
def test_non_native_byte_order_equals_native(name, dtype):
    """A big-endian image is filtered as its native copy (the numba passes take native
    dtypes only: it used to reach them and fail to compile)."""
    rng = np.random.default_rng(7)
    image = rng.standard_normal((9, 11))
    if dtype.endswith("c16"):
        image = image + 1j * rng.standard_normal((9, 11))
    swapped = image.astype(dtype)
    args = {"gaussian_filter": (1.0,), "uniform_filter": (3,), "sobel": (), "prewitt": (),
            "laplace": (), "gaussian_laplace": (1.0,), "gaussian_gradient_magnitude": (1.0,),
            "correlate": (rng.standard_normal((3, 4)),),
            "correlate1d": (rng.standard_normal(4),)}[name]
    function = getattr(filters, name)
    got = function(swapped, *args)
    want = function(swapped.astype(swapped.dtype.newbyteorder("=")), *args)
    assert got.dtype.isnative
    np.testing.assert_array_equal(got, want)


def _passes_reference(image, steps):
    """scipy.ndimage's 1-D filters in turn: ``steps`` of (function, axis, mode, cval)."""
    out = image
    for function, axis, mode, cval in steps:
        out = function(out, axis=axis, mode=mode, cval=cval)
    return out


@pytest.mark.parametrize("axes", [None, (2, 0)])
def test_per_axis_cval_is_each_axis_pass_with_its_own_value(axes):
    """``cval`` as a sequence: one value per filtered axis (in ``axes``' order), each pass
    extended by its own (an extension of scipy.ndimage, whose filters take one cval):
    equal to scipy.ndimage's 1-D filters in turn, each with its axis's value."""
    rng = np.random.default_rng(11)
    image = rng.standard_normal((6, 7, 5))
    order = [0, 1, 2] if axes is None else list(axes)
    cvals = [1.5, -2.0, 3.0][:len(order)]
    modes = ["constant", "reflect", "constant"][:len(order)]
    by_axis = dict(zip(order, zip(modes, cvals, strict=True), strict=True))

    def steps(function):
        return [(function, a, *by_axis[a]) for a in sorted(order)]

    def gauss1d(x, axis, mode, cval):
        return ndi.gaussian_filter1d(x, 1.2, axis=axis, mode=mode, cval=cval)

    def box1d(x, axis, mode, cval):
        return ndi.uniform_filter1d(x, 4, axis=axis, mode=mode, cval=cval)

    np.testing.assert_allclose(
        filters.gaussian_filter(image, 1.2, mode=modes, cval=cvals, axes=axes),
        _passes_reference(image, steps(gauss1d)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        filters.uniform_filter(image, 4, mode=modes, cval=cvals, axes=axes),
        _passes_reference(image, steps(box1d)), rtol=1e-12, atol=1e-12)
    # the Laplacian: the sum over the axes of the second difference with that axis's value
    second = [(lambda x, axis, mode, cval: ndi.correlate1d(
        x, [1.0, -2.0, 1.0], axis=axis, mode=mode, cval=cval), a, *by_axis[a])
        for a in order]
    want = sum(_passes_reference(image, [step]) for step in second)
    np.testing.assert_allclose(filters.laplace(image, mode=modes, cval=cvals, axes=axes),
                               want, rtol=1e-12, atol=1e-12)


def test_per_axis_cval_of_derivatives_and_equal_values():
    """Sobel: the derivative pass and the smoothing passes each use their axis's value; a
    sequence of equal values is the scalar; a sequence of the wrong length or on a
    function without per-axis modes is refused naming cval."""
    rng = np.random.default_rng(12)
    image = rng.standard_normal((5, 8))
    got = filters.sobel(image, 0, mode="constant", cval=[2.0, -1.0])
    want = ndi.correlate1d(ndi.correlate1d(image, [-1.0, 0.0, 1.0], axis=0,
                                                   mode="constant", cval=2.0),
                               [1.0, 2.0, 1.0], axis=1, mode="constant", cval=-1.0)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    for function in (filters.gaussian_laplace, filters.gaussian_gradient_magnitude):
        np.testing.assert_array_equal(
            function(image, 1.0, mode="constant", cval=[0.5, 0.5]),
            function(image, 1.0, mode="constant", cval=0.5))
    with pytest.raises(ValueError, match="cval"):
        filters.gaussian_filter(image, 1.0, cval=[1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="cval"):
        filters.correlate(image, np.ones((2, 2)), cval=[1.0, 2.0])
    with pytest.raises(TypeError, match="cval"):
        filters.gaussian_filter(image, 1.0, cval=["a", 1.0])
