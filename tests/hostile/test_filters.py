"""Hostile inputs for sigconv.filters: images of every numeric dtype, layout and edge value
(0-d, empty, Fortran, reversed, strided, read-only, NaN/inf, integer limits, float16,
complex) against scipy.ndimage computing the same filter in double precision, or a
documented exception naming the argument; every numeric parameter fed strings, booleans,
None, NaN and absurd sizes; kernels and padded copies that would need terabytes refused
before allocating (checked in a child process under a memory cap)."""

import harness
import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sigconv import filters

MODES = ("reflect", "constant", "nearest", "mirror", "wrap")
#: the oracle runs at 1/4096 of the scale (a power of two: exact), where neither SciPy's
#: running sums nor the tolerances (8**ndim times the largest value) overflow
SHRINK = 4096.0


def working_copy(image):
    """The image in the precision the filters compute in, and that dtype."""
    if image.dtype.kind in "biu":
        return image.astype(np.float64), np.dtype(np.float64)
    if image.dtype == np.float16:
        return image.astype(np.float32), np.dtype(np.float32)
    return image, image.dtype


def oracle(name, image, params, mode, cval, widen=True):
    """scipy.ndimage's filter on the image in float64/complex128 (or, without ``widen``,
    in the image's own dtype: each pass rounded through it, as ndimage writes a pass)."""
    wide = (image.astype(np.complex128 if image.dtype.kind == "c" else np.float64)
            if widen else image)
    with np.errstate(over="ignore", invalid="ignore"):
        if name == "gaussian":
            return ndi.gaussian_filter(wide, params["sigma"], mode=mode, cval=cval,
                                       truncate=params["truncate"])
        if name == "box":
            return ndi.uniform_filter(wide, params["size"], mode=mode, cval=cval)
        if name in ("sobel", "prewitt"):
            return getattr(ndi, name)(wide, params["axis"], mode=mode, cval=cval)
        if name == "laplace":
            return ndi.laplace(wide, mode=mode, cval=cval)
        if name == "sharpen":
            return wide - params["amount"] * ndi.laplace(wide, mode=mode, cval=cval)
        derivatives = [ndi.sobel(wide, d, mode=mode, cval=cval) for d in range(wide.ndim)]
        largest = max(float(np.abs(d).max()) for d in derivatives) or 1.0
        return largest * np.sqrt(sum(np.abs(d / largest) ** 2 for d in derivatives))


def call(name, image, params, mode, cval):
    if name == "gaussian":
        return filters.gaussian(image, params["sigma"], mode, cval, params["truncate"])
    if name == "box":
        return filters.box(image, params["size"], mode, cval)
    if name in ("sobel", "prewitt"):   # ndimage's order: output before mode (issue 18)
        return getattr(filters, name)(image, params["axis"], mode=mode, cval=cval)
    if name == "sharpen":
        return filters.sharpen(image, params["amount"], mode, cval)
    return getattr(filters, name)(image, mode=mode, cval=cval)


@settings(max_examples=60)
@given(harness.numeric_arrays(min_dims=0, max_dims=3, max_side=6),
       st.sampled_from(["gaussian", "box", "sobel", "prewitt", "laplace", "sharpen",
                        "edges"]),
       st.sampled_from(MODES), st.floats(-10.0, 10.0), st.floats(0.1, 3.0),
       st.floats(0.5, 4.0), st.integers(1, 5), st.integers(-3, 2), st.floats(-3.0, 3.0))
def test_filters_equal_ndimage_or_name_the_image(image, name, mode, cval, sigma, truncate,
                                                 size, axis, amount):
    params = {"sigma": sigma, "truncate": truncate, "size": size, "amount": amount,
              "axis": axis % max(image.ndim, 1)}
    got = harness.outcome("image", call, name, image, params, mode, cval)
    non_finite = image.dtype.kind in "fc" and not np.isfinite(image).all()
    if image.ndim == 0:
        assert got is None, "a 0-d image must be refused"
        return
    if image.size == 0:   # an empty result, as scipy.ndimage (issue 18)
        assert got is not None and got.shape == image.shape
        return
    work, dtype = working_copy(image)
    if non_finite:
        # NaN spreads over its neighbourhood as in scipy.ndimage (issue 18): never further
        # than ndimage's on the same dtype (whose passes, rounded through a float32
        # output, may overflow to inf and then meet -inf; whose uniform filter carries a
        # NaN to the end of the line; and whose edges oracle here scales by a NaN maximum)
        assert got is not None and got.shape == image.shape
        with np.errstate(invalid="ignore", over="ignore"):
            expected = oracle(name, work, params, mode, cval, widen=False)
        assert not (np.isnan(got) & ~np.isnan(expected)).any()
        if name not in ("box", "edges"):
            np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
        return
    # the filters are homogeneous in (image, cval): SciPy at 1/4096 of the scale (exact, a
    # power of two) stays finite where its running sums or weights rounding above 1 would
    # overflow near the dtype's maximum
    wide = work.astype(np.complex128 if dtype.kind == "c" else np.float64)
    half = oracle(name, wide / SHRINK, params, mode, cval / SHRINK)
    limit = float(np.finfo(dtype).max)
    if got is None:  # refused as an overflow: the exact result leaves the dtype's range
        assert not np.isfinite(half).all() or np.abs(half).max() > limit / SHRINK / 64
        return
    # edges of a complex image are real: |d| of each derivative
    result_dtype = np.finfo(dtype).dtype if name == "edges" else dtype
    assert got.dtype == result_dtype, (got.dtype, result_dtype)
    assert got.shape == image.shape
    scale = max(float(np.abs(wide / SHRINK).max()), abs(cval) / SHRINK) * 8.0 ** image.ndim
    scale *= 1 + abs(amount) if name == "sharpen" else 1
    relative = 1e-4 if dtype in (np.float32, np.complex64) else 1e-11
    np.testing.assert_allclose(got / SHRINK, half, rtol=0, atol=relative * scale + 1e-300)


@settings(max_examples=30)
@given(harness.numeric_arrays(min_dims=1, max_dims=3, max_side=5,
                              dtypes=[np.float64, np.int16, np.uint8]),
       st.sampled_from(MODES), st.floats(0.2, 2.0), st.integers(1, 3))
def test_kernel_matches_the_separable_passes(image, mode, sigma, ndim):
    """gaussian_kernel is the product of the 1-D weights the filter applies: correlating
    with it (scipy.ndimage.correlate) gives the separable filter."""
    kernel = filters.gaussian_kernel(sigma, 2.0, ndim)
    assert kernel.sum() == pytest.approx(1.0, abs=1e-14)
    assert kernel.ndim == ndim
    if image.ndim != ndim or image.size == 0 or not np.isfinite(image).all():
        return
    work = image.astype(np.float64)
    np.testing.assert_allclose(filters.gaussian(work, sigma, mode, truncate=2.0),
                               ndi.correlate(work, kernel, mode=mode), rtol=0,
                               atol=1e-11 * (1 + np.abs(work).max()))


# ----------------------------------------------------------------------- bad numbers

IMAGE = np.arange(20.0).reshape(4, 5)

NUMBER_CALLS = {
    "sigma": [lambda v: filters.gaussian(IMAGE, v), lambda v: filters.gaussian_kernel(v),
              lambda v: filters.gaussian(IMAGE, [1.0, v])],
    "truncate": [lambda v: filters.gaussian(IMAGE, 1.0, truncate=v),
                 lambda v: filters.gaussian_kernel(1.0, truncate=v)],
    "cval": [lambda v, f=f: f(IMAGE, mode="constant", cval=v)
             for f in (filters.laplace, filters.sobel, filters.prewitt, filters.sharpen,
                       filters.edges)]
    + [lambda v: filters.gaussian(IMAGE, 1.0, "constant", v),
       lambda v: filters.box(IMAGE, 3, "constant", v)],
    "amount": [lambda v: filters.sharpen(IMAGE, v)],
}


@pytest.mark.parametrize("name", NUMBER_CALLS)
@pytest.mark.parametrize("value", harness.BAD_REALS, ids=repr)
def test_bad_reals_are_refused_naming_the_argument(name, value):
    if name == "sigma" and isinstance(value, list):
        value = ["1.0"]  # [1.0] is one sigma per axis of a 1-axis image: use a string
    for function in NUMBER_CALLS[name]:
        with pytest.raises((TypeError, ValueError)) as info:
            function(value)
        harness.check_error(info.value, name)


def test_a_string_sigma_is_not_the_number():
    """It used to be taken as the number 1."""
    for sigma in ("1", b"1", ["1", "1"], np.array(["1", "1"]), True, [1.0, True]):
        with pytest.raises(TypeError, match="sigma must be a real number"):
            filters.gaussian(IMAGE, sigma)
    for size in ("3", True, [3, "3"]):
        with pytest.raises(TypeError, match="size"):
            filters.box(IMAGE, size)


@pytest.mark.parametrize("value", harness.BAD_COUNTS, ids=repr)
def test_bad_sizes_and_kernel_dimensions(value):
    if isinstance(value, int) and value == 0:   # size 0: the axis as is (ndimage, issue 18)
        np.testing.assert_array_equal(filters.box(IMAGE, value), IMAGE)
    else:
        with pytest.raises((TypeError, ValueError, MemoryError)) as info:
            filters.box(IMAGE, value)
        harness.check_error(info.value, "size")
    with pytest.raises((TypeError, ValueError, MemoryError)) as info:
        filters.gaussian_kernel(1.0, ndim=value)
    harness.check_error(info.value, ("ndim", "sigma"))


@pytest.mark.parametrize("axis", [1.5, "0", None, True, np.bool_(False), 2, -3, 2**70,
                                  [0], np.nan])
@pytest.mark.parametrize("name", ["sobel", "prewitt"])
def test_bad_axes(name, axis):
    with pytest.raises((TypeError, ValueError)) as info:
        getattr(filters, name)(IMAGE, axis)
    harness.check_error(info.value, "axis")


@pytest.mark.parametrize("mode", ["Reflect", "", None, 0, b"reflect", "grid-warp"])
def test_bad_modes(mode):
    for function in (filters.laplace, filters.edges, filters.sobel):
        with pytest.raises(ValueError) as info:
            function(IMAGE, mode=mode)
        harness.check_error(info.value, "mode")


@settings(max_examples=30)
@given(st.sampled_from([np.ones((3, 3), np.longdouble), np.ones(3, np.clongdouble),
                             np.zeros((2, 2), "M8[s]"), np.zeros(3, "m8[s]"),
                             np.full((2, 2), None, object), np.array(["a", "b"]),
                             np.zeros(2, [("a", "f8")]), [[1.0, 2.0], [3.0]], "image",
                             None, {"a": 1}]),
       st.sampled_from(["gaussian", "box", "sobel", "prewitt", "laplace", "sharpen",
                        "edges"]))
def test_awkward_images_are_refused_naming_the_image(image, name):
    params = {"sigma": 1.0, "truncate": 4.0, "size": 3, "amount": 1.0, "axis": 0}
    with pytest.raises((TypeError, ValueError)) as info:
        call(name, image, params, "reflect", 0.0)
    harness.check_error(info.value, "image")


def test_huge_values_give_an_error_not_inf():
    with pytest.raises(ValueError, match="image values are so large"):
        filters.laplace(np.array([[1e308, -1e308, 1e308]]))
    with pytest.raises(ValueError, match="overflows float32"):
        filters.sobel(np.eye(4, dtype=np.float32) * np.float32(3e38))
    # the squares of large derivatives no longer overflow before the root
    big = np.zeros((4, 6))
    big[:, 3:] = 1e200
    np.testing.assert_allclose(filters.edges(big), filters.edges(big / 1e200) * 1e200,
                               rtol=1e-15)


# ------------------------------------------------------------- sizes before allocating


@pytest.mark.full
@pytest.mark.parametrize(("code", "names"), [
    ("filters.gaussian(np.ones((4, 5)), 1e12)", ("sigma", "truncate")),
    ("filters.gaussian(np.ones((4, 5)), 1e300)", ("sigma", "truncate")),
    ("filters.gaussian(np.ones((4, 5)), 1.0, truncate=1e13)", ("truncate",)),
    ("filters.gaussian_kernel(1e12)", ("sigma",)),
    ("filters.gaussian_kernel(5.0, ndim=20)", ("ndim",)),
    ("filters.box(np.ones((4, 5)), 10**12)", ("size",)),
    ("filters.box(np.ones((4, 5)), [3, 2**70])", ("size",)),
    # the kernel fits, the padded image (804000 x 4000 float32) does not
    ("filters.gaussian(np.ones((4000, 4000), np.float32), [1e5, 1.0])", ("sigma",)),
    # a bool image whose float64 copy needs 2 GB (three such at the peak)
    ("filters.sobel(np.zeros((16000, 16000), bool))", ("image",)),
])
def test_huge_kernels_and_copies_are_refused_before_allocating(code, names):
    harness.assert_isolated_error(f"import numpy as np\nfrom sigconv import filters\n{code}\n",
                                  names, kinds=("MemoryError",), timeout=60)


@pytest.mark.full
def test_a_kernel_longer_than_the_image_finishes():
    """sigma = 1e5 on ten pixels: an 800001-tap kernel, padded copies of that length."""
    report = harness.assert_isolated_finishes("""
import numpy as np
from sigconv import filters
result = float(np.abs(filters.gaussian(np.ones(10), 1e5) - 1.0).max())
""", timeout=120)
    assert float(report["value"]) < 1e-9


@pytest.mark.full
@pytest.mark.parametrize("ndim", [33, 64])
def test_images_of_many_dimensions(ndim):
    """Beyond the 32 operands of np.broadcast: each pass sees (before, axis, after). Axes
    of length 1 under reflection are constant: the filter is the 3-D one (the Sobel
    times 4 per extra axis)."""
    small = np.random.default_rng(ndim).standard_normal((3, 4, 5))
    image = small.reshape(small.shape + (1,) * (ndim - 3))
    np.testing.assert_allclose(filters.gaussian(image, 1.0).reshape(small.shape),
                               ndi.gaussian_filter(small, 1.0), rtol=0, atol=1e-12)
    # the smoothing [1, 2, 1] on each extra axis of length 1 (reflected) multiplies by 4
    np.testing.assert_allclose(filters.sobel(image, 1).reshape(small.shape),
                               ndi.sobel(small, 1) * 4.0 ** (ndim - 3), rtol=1e-12)
    np.testing.assert_allclose(filters.laplace(image).reshape(small.shape),
                               ndi.laplace(small), rtol=0, atol=1e-12)
    assert filters.edges(image).shape == image.shape


@settings(max_examples=40)
@given(st.floats(min_value=0.0, exclude_min=True, max_value=4.0, allow_subnormal=True),
       # radii up to 4000 taps, or far beyond memory (in between: minutes of FFTs)
       st.one_of(st.floats(min_value=0.0, exclude_min=True, max_value=1e3,
                           allow_subnormal=True), st.floats(1e20, 1e300)),
       st.floats(-1e308, 1e308), st.sampled_from(MODES))
def test_gaussian_at_extreme_parameters_equals_ndimage_or_is_refused(sigma, truncate, cval,
                                                                     mode):
    """Subnormal sigmas, truncates up to 1e300 (refused by memory), huge cvals."""
    # a tiny sigma times a huge truncate can land between the two: a radius of 1e10 taps
    # is refused here by memory, but would be minutes of work where memory is larger
    assume(truncate * sigma <= 4e3 or truncate * sigma > 1e15)
    image = np.arange(12.0).reshape(3, 4)
    got = harness.outcome(("sigma", "truncate", "image"), filters.gaussian, image, sigma,
                          mode, cval, truncate)
    if got is None:  # only a kernel too large for memory, or a result beyond float64
        assert truncate * sigma > 1e12 or abs(cval) > 1e300
        return
    assert np.isfinite(got).all()
    with np.errstate(over="ignore", invalid="ignore"):
        expected = ndi.gaussian_filter(image / 256, sigma, mode=mode, cval=cval / 256,
                                       truncate=truncate) * 256
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * (12 + abs(cval)))


FILTER_NAMES = ["gaussian", "box", "sobel", "prewitt", "laplace", "sharpen", "edges"]


def test_huge_broadcast_views_are_refused_before_being_scanned():
    """``np.broadcast_to(1.0, (10**5, 10**5))`` costs nothing, but its NaN check by
    ``np.isfinite(image).all()`` built a 9.3 GiB mask (NumPy's own MemoryError, naming no
    argument); an int8 view's float64 copy likewise. Each filter is called in one capped
    child process; every call must end in a MemoryError naming the image."""
    report = harness.assert_isolated_finishes(f"""
import numpy as np
from sigconv import filters
params = {{"sigma": 1.0, "truncate": 4.0, "size": 3, "amount": 1.0, "axis": 0}}
result = []
for image in (np.broadcast_to(1.0, (10**5, 10**5)),
              np.broadcast_to(np.int8(1), (2**20, 2**20)),
              np.broadcast_to(np.float32(np.nan), (10**5, 10**5))):
    for name in {FILTER_NAMES!r}:
        try:
            if name == "gaussian":
                filters.gaussian(image, 1.0)
            elif name == "box":
                filters.box(image, 3)
            else:
                getattr(filters, name)(image)
        except Exception as exc:
            result.append((name, type(exc).__name__, str(exc)[:40]))
        else:
            result.append((name, "returned", ""))
""", timeout=120)
    outcomes = eval(report["value"])
    assert len(outcomes) == 3 * len(FILTER_NAMES)
    for name, kind, message in outcomes:
        assert kind == "MemoryError" and message.startswith("image:"), (name, kind, message)


@pytest.mark.full
@pytest.mark.parametrize("name", ["sigma", "size"])
def test_endless_or_huge_per_axis_sequences_are_refused_at_once(name):
    """A sequence per axis is read to one entry past the image's dimensions: an endless
    iterator or a broadcast view of 10**10 entries used to be listed in full first (a
    hang, or 10**10 Python floats)."""
    report = harness.assert_isolated_finishes(f"""
import itertools
import numpy as np
from sigconv import filters
result = []
for value in (itertools.count(1), np.broadcast_to(1.0, 10**10), iter([1.0] * 3),
              [1.0] * 10**7):
    try:
        if {name!r} == "sigma":
            filters.gaussian(np.ones((3, 3)), value)
        else:
            filters.box(np.ones((3, 3)), value)
    except Exception as exc:
        result.append((type(exc).__name__, str(exc)[:60], len(str(exc))))
""", timeout=60)
    outcomes = eval(report["value"])
    assert len(outcomes) == 4
    for kind, message, length in outcomes:
        assert kind == "ValueError" and message.startswith(f"{name} must be a scalar or "
                                                           "have one entry per axis (2)")
        assert length < 200  # a few entries of the sequence, not all of them


def test_a_per_axis_iterator_of_the_right_length_works():
    image = np.random.default_rng(3).standard_normal((5, 6))
    np.testing.assert_allclose(filters.gaussian(image, iter([1.0, 0.5])),
                               ndi.gaussian_filter(image, [1.0, 0.5]), rtol=0, atol=1e-13)
    np.testing.assert_allclose(filters.box(image, (n for n in (3, 2))),
                               ndi.uniform_filter(image, [3, 2]), rtol=0, atol=1e-13)


@settings(max_examples=30)
@given(harness.numeric_arrays(min_dims=1, max_dims=2, max_side=5, min_side=1,
                              dtypes=[np.float64, np.float32, np.int16, np.bool_]),
       st.sampled_from(FILTER_NAMES))
def test_broadcast_views_are_filtered_like_their_copies(row, name):
    """A read-only broadcast view (zero strides) gives the filter of its copy."""
    view = np.broadcast_to(row, (3,) + row.shape)
    params = {"sigma": 0.8, "truncate": 3.0, "size": 2, "amount": 0.5, "axis": 0}
    got = harness.outcome("image", call, name, view, params, "reflect", 0.0)
    copy = harness.outcome("image", call, name, np.array(view), params, "reflect", 0.0)
    assert (got is None) == (copy is None)
    if got is not None:
        np.testing.assert_array_equal(got, copy)


@pytest.mark.parametrize("sigma", [1e308, [1.0, 1e308], np.float64(1.7e308)], ids=repr)
def test_a_sigma_whose_radius_overflows_is_refused_without_a_warning(sigma):
    """``truncate * sigma`` in NumPy scalars warned of the overflow (an error under
    pytest's filterwarnings) before the MemoryError naming sigma."""
    for call in (lambda: filters.gaussian_kernel(sigma),
                 lambda: filters.gaussian(IMAGE, sigma)):
        with pytest.raises(MemoryError) as info:
            call()
        harness.check_error(info.value, "sigma")
