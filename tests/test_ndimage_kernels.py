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

from sigconv import _ndimage
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


def run_axis(image, weights, axis, mode, cval, origin):
    out = np.full_like(image, np.nan)
    result = _ndimage.correlate_axis(image, weights, axis, mode, cval, origin, out)
    assert result is out
    return out


@pytest.fixture(params=["serial", "parallel"])
def twin(request, monkeypatch):
    """Run the driver with its serial twins, or with its parallel twins on every size
    (blocks and runs of rows split to MIN_TASKS tasks)."""
    monkeypatch.setattr(_ndimage, "PARALLEL_MIN_MACS",
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
    assert _ndimage.correlate_axis(x, np.ones(3), axis, "reflect", 0.0, 0, out) is out


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


# --- the kernels called directly, with tiny blocks ----------------------------------

KERNEL_TWINS = {"serial": (kernels.correlate_rows_serial, kernels.correlate_lines_serial),
                "parallel": (kernels.correlate_rows_parallel,
                             kernels.correlate_lines_parallel)}


@pytest.mark.parametrize("which", KERNEL_TWINS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("block", [1, 2, 3, 5])
def test_kernels_tiny_blocks(which, mode, block):
    """Blocks of 1 to 5 columns or outputs and runs of 1 to 3 rows: tasks at both edges,
    inside, and straddling them; a kernel longer than the axis."""
    rows_kernel, lines_kernel = KERNEL_TWINS[which]
    rng = rng_for(which, mode, block)
    code = _ndimage.MODE_CODES[mode]
    x = rng.standard_normal((2, 7, 5))
    for k in (1, 3, 6, 16):
        w = rng.standard_normal(k)
        for origin in (-(k // 2), 0, (k - 1) // 2):
            shift = k // 2 + origin
            for rows_per_task in (1, 3, 7):
                out = np.full_like(x, np.nan)
                rows_kernel(x, w, out, code, 0.5, shift, block, rows_per_task)
                ref = ndi.correlate1d(x, w, 1, mode=mode, cval=0.5, origin=origin)
                assert_matches(out, ref, x, w)
            lines = x.reshape(14, 5)
            out = np.full_like(lines, np.nan)
            lines_kernel(lines, w, out, code, 0.5, shift, block)
            ref = ndi.correlate1d(lines, w, 1, mode=mode, cval=0.5, origin=origin)
            assert_matches(out, ref, lines, w)


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
    saved = _ndimage.PARALLEL_MIN_MACS
    _ndimage.PARALLEL_MIN_MACS = 0 if parallel else 1 << 62
    try:
        out = run_axis(x, w, axis, mode, cval, origin)
    finally:
        _ndimage.PARALLEL_MIN_MACS = saved
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
