"""The ndimage-style correlation kernels (sigconv.kernels.ndimage) and their driver
(sigconv._ndimage), checked against scipy.ndimage on every boundary mode, origin, axis
and dtype, with lines of one sample, kernels longer than the line, and tiny blocks so
that every task straddles an edge.

``out`` is pre-filled with NaN, so that an output no task writes is caught. CI reruns
this module with ``NUMBA_BOUNDSCHECK=1``: an index outside any array raises.
"""

import zlib

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st

from sigconv import _config, _ndimage
from sigconv.kernels import ndimage as kernels

pytestmark = pytest.mark.kernel

MODES = tuple(_ndimage.MODE_CODES)
REAL = (np.float64, np.float32)
COMPLEX = (np.complex128, np.complex64)


def rng_for(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def random_image(rng, shape, dtype):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def origins(k):
    """Every origin ndimage accepts for ``k`` taps."""
    return range(-(k // 2), (k - 1) // 2 + 1)


def assert_matches(out, ref, image, weights):
    """Equal to ndimage up to the rounding of the working precision: float64 sums
    (ndimage's) rounded once into ``out``, or the float64 parts of a complex result."""
    single = out.dtype in (np.float32, np.complex64)
    scale = np.abs(weights).sum() * max(1.0, float(np.abs(image).max(initial=0)))
    atol = (4e-7 if single else 1e-14) * scale
    rtol = 4e-7 if single else 1e-14
    np.testing.assert_allclose(out, ref, rtol=rtol, atol=atol)


def check_report(result, out):
    """The driver returns ``out`` and whether it is all finite, as the kernel counted it
    (None, not known, only for complex data)."""
    returned, finite = result
    assert returned is out
    if finite is None:
        assert out.dtype.kind == "c"
    else:
        assert finite == bool(np.isfinite(out).all())
    return out


def run_axis(image, weights, axis, mode, cval, origin):
    out = np.full_like(image, np.nan)
    return check_report(_ndimage.correlate_axis(image, weights, axis, mode, cval, origin, out),
                        out)


def run_nd(image, weights, mode, cval, origins):
    out = np.full_like(image, np.nan)
    return check_report(_ndimage.correlate_nd(image, weights, mode, cval, origins, out), out)


@pytest.fixture(params=["serial", "parallel"])
def twin(request, monkeypatch):
    """Run the driver with its serial twin, or with its parallel twin on every size
    (blocks and runs of rows split to FILTER_MIN_TASKS_PER_THREAD tasks per thread)."""
    monkeypatch.setattr(_config, "PARALLEL_MIN_MACS",
                        0 if request.param == "parallel" else 1 << 62)
    return request.param


# --- correlate_axis against scipy.ndimage.correlate1d --------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", [1, 2, 3, 6])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 8, 13])
def test_axis_1d_every_origin(mode, n, k, twin):
    """Lines of 1 to 6 samples, kernels up to twice longer than the line, even and odd
    lengths, every origin: the extension of several periods of reflect/mirror/wrap."""
    rng = rng_for(mode, n, k)
    x = random_image(rng, n, np.float64)
    w = rng.standard_normal(k)
    for origin in origins(k):
        ref = ndi.correlate1d(x, w, 0, mode=mode, cval=-1.5, origin=origin)
        assert_matches(run_axis(x, w, 0, mode, -1.5, origin), ref, x, w)


@pytest.mark.parametrize("dtype", REAL + COMPLEX)
@pytest.mark.parametrize("shape", [(5, 4), (1, 7), (3, 1, 4), (2, 3, 1, 5), (4, 2, 3, 2)])
@pytest.mark.parametrize("mode", ["reflect", "mirror", "wrap", "constant", "nearest"])
def test_axis_every_axis_and_dtype(dtype, shape, mode, twin):
    """1-D to 4-D, every axis (the row kernel for leading axes, the line kernel for the
    last), real and complex images, odd and even kernels at their extreme origins."""
    rng = rng_for(np.dtype(dtype).name, shape, mode)
    x = random_image(rng, shape, dtype)
    for axis in range(len(shape)):
        for k in (1, 4, 7):
            w = rng.standard_normal(k).astype(x.real.dtype)
            for origin in (-(k // 2), (k - 1) // 2):
                ref = ndi.correlate1d(x, w, axis, mode=mode, cval=0.75, origin=origin)
                assert_matches(run_axis(x, w, axis, mode, 0.75, origin), ref, x, w)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_axis_complex_weights_and_cval(dtype):
    """Complex weights are conjugated (ndimage's correlate1d); a complex cval extends the
    real parts by its real part and the imaginary parts by its imaginary part."""
    rng = rng_for("complex", np.dtype(dtype).name)
    x = random_image(rng, (6, 5), dtype)
    w = random_image(rng, 4, dtype)
    for axis in (0, 1):
        for mode in ("constant", "reflect"):
            ref = ndi.correlate1d(x, w, axis, mode=mode, cval=2 - 3j, origin=1)
            assert_matches(run_axis(x, w, axis, mode, 2 - 3j, 1), ref, x, w)


@pytest.mark.parametrize("dtype", REAL)
@pytest.mark.parametrize("shape,axis", [((300, 40), 0), ((7, 900), 1), ((3, 50, 60), 1),
                                        ((1, 5000), 1), ((2000, 3), 0)])
def test_axis_larger_images(dtype, shape, axis, twin):
    """Images of several blocks and runs of rows: the task split of the parallel twin
    (long lines split into blocks, few column blocks split into runs of rows)."""
    rng = rng_for(np.dtype(dtype).name, shape, axis)
    x = random_image(rng, shape, dtype)
    for k, mode in ((3, "reflect"), (25, "mirror"), (10, "constant"), (9, "wrap")):
        w = rng.standard_normal(k)
        ref = ndi.correlate1d(x, w, axis, mode=mode, cval=0.5, origin=-(k // 2))
        out = run_axis(x, w.astype(dtype), axis, mode, 0.5, -(k // 2))
        assert_matches(out, ref, x, w)


def test_axis_float32_sums_in_double():
    """float32 images are summed in float64 and rounded once, as ndimage does: 1 + 1e-8
    - 1 keeps its 1e-8 (a float32 sum would give 0)."""
    x = np.array([1.0, 1e-8, -1.0], dtype=np.float32)
    w = np.ones(3, dtype=np.float32)
    out = run_axis(x, w, 0, "constant", 0.0, 0)
    ref = ndi.correlate1d(x, w, 0, mode="constant")
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_allclose(out[1], 1e-8, rtol=1e-6)


@pytest.mark.parametrize("shape,axis", [((0,), 0), ((3, 0), 0), ((0, 4), 1), ((2, 0, 3), 2)])
def test_axis_empty(shape, axis):
    x = np.zeros(shape)
    out = np.zeros(shape)
    check_report(_ndimage.correlate_axis(x, np.ones(3), axis, "reflect", 0.0, 0, out), out)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("mode", ["reflect", "constant", "wrap"])
def test_axis_nonfinite_stays_local(axis, mode, twin):
    """A NaN or inf spreads over the outputs whose window holds it and no further, as in
    ndimage (same NaN and inf positions, equal finite values); a NaN cval reaches the
    outputs whose window leaves the image."""
    rng = rng_for("nonfinite", axis, mode)
    x = rng.standard_normal((9, 11))
    x[4, 5] = np.nan
    x[1, 2] = np.inf
    x[7, 9] = -np.inf
    w = rng.standard_normal(3)
    for cval in (0.0, np.nan):
        ref = ndi.correlate1d(x, w, axis, mode=mode, cval=cval)
        out = run_axis(x, w, axis, mode, cval, 0)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
        np.testing.assert_array_equal(np.isposinf(out), np.isposinf(ref))
        np.testing.assert_array_equal(np.isneginf(out), np.isneginf(ref))
        finite = np.isfinite(ref)
        assert finite.sum() > x.size // 3
        np.testing.assert_allclose(out[finite], ref[finite], rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("dtype", REAL)
def test_axis_overflow_gives_inf_as_ndimage(dtype):
    """A sum beyond the dtype's range is inf, as in ndimage (float32: the float64 sum
    rounds to inf; float64: the sum itself overflows)."""
    big = np.finfo(dtype).max
    x = np.array([big, big, -big, 1.0], dtype=dtype)
    w = np.ones(2, dtype=dtype)
    out = run_axis(x, w, 0, "nearest", 0.0, 0)
    with np.errstate(over="ignore"):
        ref = ndi.correlate1d(x, w, 0, mode="nearest")
    np.testing.assert_array_equal(out, ref)
    assert np.isposinf(out[1])


# --- tiny blocks and runs: every task straddles an edge ---------------------------------

@pytest.fixture(params=[(1, 1), (2, 3), (3, 1000), (5, 7)],
                ids=lambda p: f"block{p[0]}-tasks{p[1]}")
def tiny_tasks(request, monkeypatch):
    """Blocks of 1 to 5 outputs along the last axis, and runs of rows split towards 1 to
    1000 tasks per thread, on the parallel twin."""
    block, min_tasks = request.param
    monkeypatch.setattr(_config, "FILTER_BLOCK", block)
    monkeypatch.setattr(_config, "FILTER_MIN_TASKS_PER_THREAD", min_tasks)
    monkeypatch.setattr(_config, "PARALLEL_MIN_MACS", 0)
    return request.param


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", REAL)
def test_tiny_blocks(mode, dtype, tiny_tasks):
    """Tasks at both edges, inside, and straddling them, for kernels shorter and longer
    than the axes (float32 lines go through the converted copies)."""
    rng = rng_for(mode, np.dtype(dtype).name, tiny_tasks)
    x = random_image(rng, (3, 7, 5), dtype)
    for k in (1, 3, 6, 16):
        w = rng.standard_normal(k)
        for origin in (-(k // 2), 0, (k - 1) // 2):
            for axis in (1, 2):
                ref = ndi.correlate1d(x, w, axis, mode=mode, cval=0.5, origin=origin)
                assert_matches(run_axis(x, w.astype(dtype), axis, mode, 0.5, origin), ref,
                               x, w)
    w = rng.standard_normal((3, 2, 4)) * (rng.random((3, 2, 4)) > 0.3)
    ref = ndi.correlate(x, w, mode=mode, cval=0.5, origin=(1, -1, 0))
    assert_matches(run_nd(x, w, mode, 0.5, (1, -1, 0)), ref, x, w)


def test_source_index_periods():
    """The extension of every mode over several periods, against numpy.pad (whose
    symmetric/reflect/edge/wrap are ndimage's reflect/mirror/nearest/wrap)."""
    pads = {"reflect": "symmetric", "mirror": "reflect", "nearest": "edge", "wrap": "wrap"}
    for n in (1, 2, 3, 5):
        line = np.arange(n)
        for mode, pad in pads.items():
            if n == 1 and pad == "reflect":
                pad = "edge"  # numpy.pad refuses to mirror one sample; ndimage repeats it
            expected = np.pad(line, (4 * n, 4 * n), mode=pad)
            code = _ndimage.MODE_CODES[mode]
            got = [kernels.source_index.py_func(p, n, code) for p in range(-4 * n, 5 * n)]
            np.testing.assert_array_equal(got, expected)
        assert kernels.source_index.py_func(-1, n, kernels.CONSTANT) == -1
        assert kernels.source_index.py_func(n, n, kernels.CONSTANT) == -1


# --- properties on small shapes --------------------------------------------------------

@st.composite
def axis_problems(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim)))
    axis = draw(st.integers(0, ndim - 1))
    k = draw(st.integers(1, 9))
    origin = draw(st.integers(-(k // 2), (k - 1) // 2))
    mode = draw(st.sampled_from(MODES))
    cval = draw(st.floats(-3, 3))
    dtype = draw(st.sampled_from(REAL))
    seed = draw(st.integers(0, 2**32 - 1))
    return shape, axis, k, origin, mode, cval, dtype, seed


@given(axis_problems(), st.booleans())
def test_axis_property_matches_ndimage(problem, parallel):
    shape, axis, k, origin, mode, cval, dtype, seed = problem
    rng = np.random.default_rng(seed)
    x = random_image(rng, shape, dtype)
    w = rng.standard_normal(k).astype(dtype)
    saved = _config.PARALLEL_MIN_MACS
    _config.PARALLEL_MIN_MACS = 0 if parallel else 1 << 62
    try:
        out = run_axis(x, w, axis, mode, cval, origin)
    finally:
        _config.PARALLEL_MIN_MACS = saved
    ref = ndi.correlate1d(x, w, axis, mode=mode, cval=cval, origin=origin)
    assert_matches(out, ref, x, w)


@given(axis_problems())
def test_axis_property_wrap_adjoint(problem):
    """With ``wrap`` the correlation is a circulant operator; its adjoint is the
    correlation with the reversed weights at the mirrored origin (``convolve1d``):
    ``<C x, y> == <x, C^T y>``."""
    shape, axis, k, origin, _, _, _, seed = problem
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    y = rng.standard_normal(shape)
    w = rng.standard_normal(k)
    # adjoint origin: the reversed kernel's centre, k // 2 + o', is k - 1 - (k // 2 + o)
    adjoint_origin = k - 1 - (k // 2 + origin) - k // 2
    cx = run_axis(x, w, axis, "wrap", 0.0, origin)
    cty = run_axis(y, w[::-1].copy(), axis, "wrap", 0.0, adjoint_origin)
    np.testing.assert_allclose(np.vdot(cx, y), np.vdot(x, cty), rtol=1e-10, atol=1e-10)


@given(axis_problems())
def test_axis_property_linear(problem):
    """``C(a x + b y) == a C x + b C y`` with cval 0 (constant mode is affine in cval)."""
    shape, axis, k, origin, mode, _, _, seed = problem
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    y = rng.standard_normal(shape)
    w = rng.standard_normal(k)
    left = run_axis(2.5 * x - 0.5 * y, w, axis, mode, 0.0, origin)
    right = (2.5 * run_axis(x, w, axis, mode, 0.0, origin)
             - 0.5 * run_axis(y, w, axis, mode, 0.0, origin))
    np.testing.assert_allclose(left, right, rtol=1e-10, atol=1e-10)


# --- correlate_nd against scipy.ndimage.correlate -------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape,wshape", [((7,), (3,)), ((1,), (4,)), ((5, 6), (3, 3)),
                                          ((1, 4), (5, 2)), ((3, 2), (7, 6)),
                                          ((4, 3, 5), (3, 1, 2)), ((2, 3, 2, 3), (2, 2, 3, 1))])
def test_nd_every_mode_and_origin(mode, shape, wshape, twin):
    """1-D to 4-D, kernels longer than the image on some axes, even and odd sizes, the
    extreme and central origins, a sparse kernel (ndimage skips its zero weights)."""
    rng = rng_for(mode, shape, wshape)
    x = random_image(rng, shape, np.float64)
    w = rng.standard_normal(wshape) * (rng.random(wshape) > 0.25)
    for origins in ([-(s // 2) for s in wshape], [0] * len(shape),
                    [(s - 1) // 2 for s in wshape]):
        ref = ndi.correlate(x, w, mode=mode, cval=-2.0, origin=origins)
        assert_matches(run_nd(x, w, mode, -2.0, origins), ref, x, w)


@pytest.mark.parametrize("dtype", REAL + COMPLEX)
@pytest.mark.parametrize("wdtype", [np.float64, np.complex128])
def test_nd_dtypes(dtype, wdtype, twin):
    """float32 summed in double; complex images and weights by parts, the weights
    conjugated (ndimage's correlate)."""
    rng = rng_for(np.dtype(dtype).name, np.dtype(wdtype).name)
    x = random_image(rng, (9, 8), dtype)
    w = random_image(rng, (3, 4), wdtype)
    for mode in ("reflect", "constant"):
        cval = 1 - 2j if x.dtype.kind == "c" else 1.25
        ref = ndi.correlate(x, w, mode=mode, cval=cval, origin=(0, -1))
        # a real image with complex weights: a complex output, as ndimage's
        out = np.full(x.shape, np.nan, dtype=ref.dtype)
        check_report(_ndimage.correlate_nd(x, w, mode, cval, (0, -1), out), out)
        assert_matches(out, ref, x, w)


@pytest.mark.parametrize("dtype", REAL)
@pytest.mark.parametrize("shape,wshape", [((300, 40), (5, 5)), ((30, 600), (15, 15)),
                                          ((6, 70, 80), (3, 5, 7)), ((1, 3000), (1, 25))])
def test_nd_larger_images(dtype, shape, wshape, twin):
    """Images of several blocks along the last axis, and runs of rows."""
    rng = rng_for(np.dtype(dtype).name, shape, wshape)
    x = random_image(rng, shape, dtype)
    w = rng.standard_normal(wshape)
    for mode in ("mirror", "constant", "wrap"):
        ref = ndi.correlate(x, w, mode=mode, cval=0.5)
        assert_matches(run_nd(x, w, mode, 0.5, [0] * len(shape)), ref, x, w)


def test_nd_zero_and_tiny_weights_skipped():
    """ndimage leaves weights with |w| <= float64's epsilon out of the sum: a NaN does not
    spread through a cross-shaped kernel's zero corners, nor through a 1e-17 weight; an
    all-zero kernel gives zeros."""
    x = np.zeros((5, 6))
    x[2, 3] = np.nan
    cross = np.array([[0.0, 1, 0], [1, -4, 1], [0, 1e-17, 0]])
    ref = ndi.correlate(x, cross)
    out = run_nd(x, cross, "reflect", 0.0, (0, 0))
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    assert np.isnan(out).sum() == 4
    np.testing.assert_array_equal(run_nd(x, np.zeros((2, 3)), "reflect", 0.0, (0, 0)),
                                  ndi.correlate(x, np.zeros((2, 3))))
    eps = np.finfo(np.float64).eps
    line = np.array([1.0, np.nan, 3, 4, 5])
    for w in ([eps, 1, 0], [np.nextafter(eps, 1), 1, 0], [-eps, 1, 0]):
        np.testing.assert_array_equal(np.isnan(run_nd(line, np.array(w), "reflect", 0.0,
                                                      (0,))),
                                      np.isnan(ndi.correlate(line, w)))


@pytest.mark.parametrize("mode", ["reflect", "constant", "wrap"])
def test_nd_nonfinite_stays_local(mode, twin):
    rng = rng_for("nd-nonfinite", mode)
    x = rng.standard_normal((8, 9, 7))
    x[3, 4, 2] = np.nan
    x[0, 0, 6] = np.inf
    w = rng.standard_normal((3, 2, 3))
    for cval in (0.0, np.inf):
        ref = ndi.correlate(x, w, mode=mode, cval=cval)
        out = run_nd(x, w, mode, cval, (0, 0, 0))
        np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
        np.testing.assert_array_equal(np.isinf(out), np.isinf(ref))
        finite = np.isfinite(ref)
        assert finite.sum() > x.size // 4
        np.testing.assert_allclose(out[finite], ref[finite], rtol=1e-13, atol=1e-13)


def test_arrays_refused_or_handled():
    """Dtypes the kernels do not take are refused (no truncating cast); an ``out`` that
    is not C-contiguous, or overlaps the image, is written through a temporary."""
    x = np.arange(12.0).reshape(3, 4)
    with pytest.raises(TypeError, match="image must be"):
        _ndimage.correlate_axis(x.astype(np.int64), np.ones(3), 0, "reflect", 0.0, 0,
                                np.empty((3, 4), np.int64))
    with pytest.raises(ValueError, match="out must be of dtype float64"):
        _ndimage.correlate_nd(x, np.ones((2, 2)), "reflect", 0.0, (0, 0),
                              np.empty((3, 4), np.float32))
    w = np.array([1.0, -2.0, 0.5])
    ref = ndi.correlate1d(x, w, 1)
    strided = np.full((3, 8), np.nan)[:, ::2]
    check_report(_ndimage.correlate_axis(x, w, 1, "reflect", 0.0, 0, strided), strided)
    np.testing.assert_allclose(strided, ref)
    same = x.copy()
    _ndimage.correlate_axis(same, w, 1, "reflect", 0.0, 0, same)
    np.testing.assert_allclose(same, ref)


def test_nd_empty():
    out = np.zeros((0, 4))
    check_report(_ndimage.correlate_nd(np.zeros((0, 4)), np.ones((2, 2)), "reflect", 0.0,
                                       (0, 0), out), out)


@st.composite
def nd_problems(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim)))
    wshape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    origins = tuple(draw(st.integers(-(s // 2), (s - 1) // 2)) for s in wshape)
    mode = draw(st.sampled_from(MODES))
    cval = draw(st.floats(-3, 3))
    dtype = draw(st.sampled_from(REAL))
    seed = draw(st.integers(0, 2**32 - 1))
    return shape, wshape, origins, mode, cval, dtype, seed


@given(nd_problems(), st.booleans())
def test_nd_property_matches_ndimage(problem, parallel):
    shape, wshape, origins, mode, cval, dtype, seed = problem
    rng = np.random.default_rng(seed)
    x = random_image(rng, shape, dtype)
    w = rng.standard_normal(wshape) * (rng.random(wshape) > 0.2)
    saved = _config.PARALLEL_MIN_MACS
    _config.PARALLEL_MIN_MACS = 0 if parallel else 1 << 62
    try:
        out = run_nd(x, w, mode, cval, origins)
    finally:
        _config.PARALLEL_MIN_MACS = saved
    ref = ndi.correlate(x, w, mode=mode, cval=cval, origin=origins)
    assert_matches(out, ref, x, w)


@given(nd_problems())
def test_nd_property_separable(problem):
    """A rank-one kernel ``a[:, None] * b`` equals two 1-D passes for every mode but
    constant (where the second pass extends the first pass's sums by cval, not cval
    itself times the first kernel)."""
    shape, _, _, mode, _, _, seed = problem
    if mode in ("constant", "grid-constant"):
        mode = "reflect"
    shape = (shape + (4, 4))[:2]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    a = rng.standard_normal(3) + 0.5
    b = rng.standard_normal(2) + 0.5
    two_pass = run_axis(run_axis(x, a, 0, mode, 0.0, 0), b, 1, mode, 0.0, -1)
    np.testing.assert_allclose(run_nd(x, np.outer(a, b), mode, 0.0, (0, -1)), two_pass,
                               rtol=1e-12, atol=1e-12)


# --- uniform_axis against scipy.ndimage.uniform_filter1d ---------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", REAL + COMPLEX)
@pytest.mark.parametrize("shape", [(1,), (2,), (7,), (3, 9), (2, 3, 40), (4, 2500)])
def test_uniform_every_mode_origin_size(mode, dtype, shape, twin):
    """Windows from 1 to 41 (running sums from FILTER_RUNNING_MIN on, along the last
    axis), longer than the line, every origin's extremes, blocks of several segments."""
    rng = rng_for("uniform", mode, np.dtype(dtype).name, shape)
    x = random_image(rng, shape, dtype)
    for axis in range(len(shape)):
        for size in (1, 2, 3, 8, 9, 16, 41):
            for origin in (-(size // 2), 0, (size - 1) // 2):
                ref = ndi.uniform_filter1d(x, size, axis, mode=mode, cval=0.3, origin=origin)
                out = np.full_like(x, np.nan)
                check_report(_ndimage.uniform_axis(x, size, axis, mode, 0.3, origin, out),
                             out)
                # a running sum's rounding grows with the segment: a little looser
                assert_matches(out, ref, x, np.full(size, 4.0 / size))


@pytest.mark.parametrize("size", [8, 25])
def test_uniform_nonfinite_stays_local(size, twin):
    """A NaN or inf reaches the outputs whose window holds it, as in correlate1d (ndimage's
    own running mean carries a NaN to the end of the line); the segments around it are
    summed directly, the others keep their running sums."""
    rng = rng_for("uniform-nonfinite", size)
    x = rng.standard_normal((3, 700))
    x[0, 300] = np.nan
    x[1, 5] = np.inf
    x[2, 650] = -np.inf
    x[2, 100] = 1e308
    x[2, 101] = 1e308   # their running sum overflows; the window's mean does not
    out = np.full_like(x, np.nan)
    check_report(_ndimage.uniform_axis(x, size, 1, "reflect", 0.0, 0, out), out)
    with np.errstate(over="ignore", invalid="ignore"):
        ref = ndi.correlate1d(x, np.full(size, 1.0 / size), 1)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    np.testing.assert_array_equal(np.isposinf(out), np.isposinf(ref))
    np.testing.assert_array_equal(np.isneginf(out), np.isneginf(ref))
    finite = np.isfinite(ref)
    assert np.isnan(out[0]).sum() == size
    np.testing.assert_allclose(out[finite], ref[finite], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["reflect", "mirror", "constant", "wrap"])
def test_uniform_tiny_blocks(mode, tiny_tasks):
    """Blocks of 1 to 5 outputs (fewer than two per running sum: summed directly) and
    runs of lines split towards many tasks."""
    rng = rng_for("uniform-tiny", mode, tiny_tasks)
    x = rng.standard_normal((5, 13))
    for size in (8, 11, 30):
        ref = ndi.uniform_filter1d(x, size, 1, mode=mode, cval=-1.0, origin=1)
        out = np.full_like(x, np.nan)
        _ndimage.uniform_axis(x, size, 1, mode, -1.0, 1, out)
        assert_matches(out, ref, x, np.full(size, 4.0 / size))
