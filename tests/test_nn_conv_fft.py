"""The "fft" convolution algorithm (sigconv/nn/_conv_fft.py) against slow references.

Forward is compared with the float64 NumPy reference (tests/nn_reference.py), backward with
the adjoint identities (which need no reference) and with the im2col/GEMM algorithm.
"""

import contextlib

import nn_reference as ref
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sigconv import _config
from sigconv._jit import single_thread
from sigconv.nn import _conv_fft as fft
from sigconv.nn import functional

#: float32 error bound relative to the largest reference value: the transforms spread
#: rounding errors evenly over the output, so they are bounded against its scale, not
#: elementwise (measured ~3e-7 on 7x7 and 11x11 layers)
F32_REL = 2e-5


def assert_close32(got, want, *factors):
    """``got`` (float32) within F32_REL of ``want``'s scale; the largest single product of
    the ``factors`` is part of the scale (an output whose taps all fall on the padding is
    0 exactly in the reference, rounding noise of that size in the transforms)."""
    assert got.dtype == np.float32 and got.shape == want.shape
    scale = np.abs(want).max() + np.prod([np.abs(f).max() for f in factors])
    assert np.abs(got - want).max() <= F32_REL * scale


@st.composite
def problems(draw, dtype=np.float64):
    """A stride-1 convolution problem with small, often degenerate, sizes."""
    padding = draw(st.sampled_from(["same", "valid"]))
    kernel = tuple(draw(st.integers(1, 5)) for _ in range(2))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(2))
    spans = [(k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True)]
    low = spans if padding == "valid" else [1, 1]
    size = tuple(draw(st.integers(lo, lo + 7)) for lo in low)
    batch, channels, filters = (draw(st.integers(1, 3)) for _ in range(3))
    seed = draw(st.integers(0, 2**32 - 1))
    return make(batch, size, channels, filters, kernel, dilation, padding, dtype, seed)


def make(batch, size, channels, filters, kernel, dilation, padding, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *size, channels)).astype(dtype)
    weights = rng.standard_normal((*kernel, channels, filters)).astype(dtype)
    geometry = functional.window_geometry(size, kernel, (1, 1), dilation, padding)
    grad = rng.standard_normal((batch, *geometry.out_size, filters)).astype(dtype)
    return x, weights, geometry, grad, padding


def reference(x, weights, geometry, padding):
    return ref.conv2d(x, weights, None, (1, 1), padding, geometry.dilation)


#: the degenerate shapes named by the contract, pinned as examples
ODD = [
    make(1, (1, 1), 1, 1, (1, 1), (1, 1), "same"),                # one pixel, one tap
    make(1, (1, 9), 1, 2, (1, 4), (1, 2), "same"),                # Conv1D, even dilated kernel
    make(2, (1, 9), 3, 1, (1, 3), (1, 1), "valid"),               # Conv1D valid
    make(1, (7, 1), 2, 3, (3, 1), (1, 1), "same"),                # width 1
    make(1, (2, 3), 1, 1, (5, 5), (1, 1), "same"),                # kernel wider than the image
    make(3, (5, 7), 2, 2, (5, 7), (1, 1), "valid"),               # one output column
    make(2, (11, 13), 3, 4, (4, 2), (3, 2), "same"),              # odd sizes, even taps
]


@contextlib.contextmanager
def kernel_path(transforms):
    """The kernel spectra and kernel gradient by FFTs of the zero-filled kernel planes
    (``transforms``) or by DFT matrices over the taps (the default for small kernels)."""
    saved = fft.KERNEL_DFT_MAX_RATIO
    fft.KERNEL_DFT_MAX_RATIO = -1 if transforms else np.inf
    try:
        yield
    finally:
        fft.KERNEL_DFT_MAX_RATIO = saved


def run(problem, transforms, cached=True):
    """forward, then backward with the input gradient: ``(out, dx, dkernel)``."""
    x, weights, geometry, grad, _ = problem
    with kernel_path(transforms):
        out, cache = fft.forward(x, weights, geometry)
        dx, dkernel = fft.backward(x, grad, weights, geometry, True, cache if cached else None)
    return out, dx, dkernel


@pytest.mark.parametrize("transforms", [False, True])
@pytest.mark.parametrize("problem", ODD)
def test_odd_shapes_match_reference_and_gemm(problem, transforms):
    x, weights, geometry, grad, padding = problem
    out, dx, dkernel = run(problem, transforms)
    np.testing.assert_allclose(out, reference(x, weights, geometry, padding),
                               rtol=1e-12, atol=1e-12)
    gemm_dx, gemm_dkernel = functional._conv_backward(x, grad, weights, geometry, True)
    np.testing.assert_allclose(dx, gemm_dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dkernel, gemm_dkernel, rtol=1e-12, atol=1e-12)


@given(problems(), st.booleans())
def test_forward_matches_reference_float64(problem, transforms):
    x, weights, geometry, _, padding = problem
    with kernel_path(transforms):
        out, cache = fft.forward(x, weights, geometry)
    expected = reference(x, weights, geometry, padding)
    assert out.shape == expected.shape and out.dtype == np.float64
    assert out.flags.c_contiguous and out.flags.writeable
    assert not any(np.shares_memory(out, a) for a in (x, weights, *cache))
    np.testing.assert_allclose(out, expected, rtol=1e-11, atol=1e-11)


@given(problems(np.float32), st.booleans())
def test_forward_matches_reference_float32(problem, transforms):
    x, weights, geometry, _, padding = problem
    with kernel_path(transforms):
        out, _ = fft.forward(x, weights, geometry)
    assert_close32(out, reference(x, weights, geometry, padding), x, weights)


def _inner(a, b):
    return float(np.vdot(a.astype(np.float64), b.astype(np.float64)))


@given(problems(), st.booleans())
@example(ODD[1], False)
@example(ODD[4], True)
def test_adjoint_identities(problem, transforms):
    """<conv(x, k), y> == <x, dx(y)> == <k, dk(y)>: the backward pass is the exact adjoint
    of the forward one in x and in k (the convolution is bilinear)."""
    x, weights, geometry, grad, _ = problem
    out, dx, dkernel = run(problem, transforms)
    assert dx.shape == x.shape and dkernel.shape == weights.shape
    assert dx.dtype == x.dtype and dkernel.dtype == x.dtype
    assert dx.flags.c_contiguous and dkernel.flags.c_contiguous
    value = _inner(out, grad)
    # the sum of |x * k * y| over every product term bounds every rounding error
    scale = (np.abs(x).sum() * np.abs(weights).max() * np.abs(grad).max()
             * weights.shape[0] * weights.shape[1] * weights.shape[3])
    assert abs(_inner(x, dx) - value) <= 1e-13 * scale
    assert abs(_inner(weights, dkernel) - value) <= 1e-13 * scale


@given(problems(), st.booleans())
def test_backward_matches_gemm_float64(problem, transforms):
    x, weights, geometry, grad, _ = problem
    _, dx, dkernel = run(problem, transforms)
    gemm_dx, gemm_dkernel = functional._conv_backward(x, grad, weights, geometry, True)
    np.testing.assert_allclose(dx, gemm_dx, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(dkernel, gemm_dkernel, rtol=1e-11, atol=1e-11)


@given(problems(np.float32), st.booleans())
def test_forward_and_backward_match_gemm_float32(problem, transforms):
    x, weights, geometry, grad, _ = problem
    out, dx, dkernel = run(problem, transforms)
    x64, w64, g64 = (a.astype(np.float64) for a in (x, weights, grad))
    expected = (functional._conv_forward(x64, w64, geometry),
                *functional._conv_backward(x64, g64, w64, geometry, True))
    assert_close32(out, expected[0], x, weights)
    assert_close32(dx, expected[1], grad, weights)
    assert_close32(dkernel, expected[2], x, grad)
    gemm = functional._conv_forward(x, weights, geometry)
    assert_close32(out, gemm.astype(np.float64), x, weights)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_paths_agree_on_a_large_kernel(dtype):
    """A 1x41 kernel on a long Conv1D input (transforms by default) and a 9x9 one (DFT
    matrices by default) give the reference's values either way."""
    for size, kernel in (((1, 150), (1, 41)), ((21, 18), (9, 9))):
        problem = make(2, size, 2, 3, kernel, (1, 1), "same", dtype, seed=7)
        default = fft._kernel_by_dft(problem[2], fft.fft_shape(problem[2]))
        assert default == (kernel == (9, 9))
        x, weights, geometry, grad, padding = problem
        x64, w64, g64 = (a.astype(np.float64) for a in (x, weights, grad))
        expected = (reference(x64, w64, geometry, padding),
                    *functional._conv_backward(x64, g64, w64, geometry, True))
        for transforms in (False, True):
            for got, want in zip(run(problem, transforms), expected, strict=True):
                if dtype == np.float64:
                    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)
                else:
                    assert_close32(got, want)


def test_layer_sized_problem_on_threads_float32():
    """A 7x7 layer big enough that the per-frequency products split over the threads."""
    x, weights, geometry, grad, padding = make(4, (20, 18), 6, 8, (7, 7), (1, 1), "same",
                                               np.float32, seed=5)
    assert len(functional._split(np.prod(fft.fft_shape(geometry)), 1, 10**9, False)) \
        == functional.n_threads()
    out, cache = fft.forward(x, weights, geometry)
    dx, dkernel = fft.backward(x, grad, weights, geometry, True, cache)
    x64, w64, g64 = (a.astype(np.float64) for a in (x, weights, grad))
    expected = (reference(x64, w64, geometry, padding),
                *functional._conv_backward(x64, g64, w64, geometry, True))
    for got, want in zip((out, dx, dkernel), expected, strict=True):
        assert_close32(got, want)


def test_single_thread_gives_the_same_values():
    x, weights, geometry, grad, _ = make(3, (12, 10), 4, 5, (7, 6), (1, 1), "same", seed=2)
    out, cache = fft.forward(x, weights, geometry)
    dx, dkernel = fft.backward(x, grad, weights, geometry, True, cache)
    with single_thread():
        out1, cache1 = fft.forward(x, weights, geometry)
        dx1, dkernel1 = fft.backward(x, grad, weights, geometry, True, cache1)
    np.testing.assert_allclose(out1, out, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(dx1, dx, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(dkernel1, dkernel, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_without_cache_or_input_grad(dtype):
    x, weights, geometry, grad, _ = make(2, (9, 8), 3, 2, (3, 5), (2, 1), "same", dtype, 3)
    _, cache = fft.forward(x, weights, geometry)
    dx, dkernel = fft.backward(x, grad, weights, geometry, True, cache)
    dx_none, dkernel_none = fft.backward(x, grad, weights, geometry, True, None)
    np.testing.assert_array_equal(dx_none, dx)
    np.testing.assert_array_equal(dkernel_none, dkernel)
    no_dx, dkernel_only = fft.backward(x, grad, weights, geometry, False, cache)
    assert no_dx is None
    np.testing.assert_array_equal(dkernel_only, dkernel)


def test_backward_leaves_its_inputs_and_cache_alone():
    x, weights, geometry, grad, _ = make(2, (6, 7), 2, 3, (3, 3), (1, 1), "same", seed=4)
    _, cache = fft.forward(x, weights, geometry)
    before = [a.copy() for a in (x, weights, grad, *cache)]
    fft.backward(x, grad, weights, geometry, True, cache)
    fft.backward(x, grad, weights, geometry, True, cache)
    for a, b in zip((x, weights, grad, *cache), before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kernel, dilation", [((1, 1), (1, 1)), ((7, 7), (1, 1)),
                                              ((4, 3), (2, 3)), ((1, 11), (1, 1))])
def test_fft_shape_avoids_wrap_around(padding, kernel, dilation):
    """The transform covers the image and its padding after, and no more than a linear
    convolution would need; "valid" pads nothing before rounding up."""
    size = (17, 23)
    geometry = functional.window_geometry(size, kernel, (1, 1), dilation, padding)
    shape = fft.fft_shape(geometry)
    for axis in range(2):
        span = (kernel[axis] - 1) * dilation[axis] + 1
        after = span - 1 - geometry.pad[axis] if padding == "same" else 0
        needed = max(size[axis] + max(geometry.pad[axis], after), span)
        assert needed <= shape[axis] <= size[axis] + span - 1 + 8
        if padding == "valid":
            assert shape[axis] == fft.scipy.fft.next_fast_len(size[axis], real=axis == 1)


def test_misfit_reasons():
    geometry = functional.window_geometry((8, 8), (3, 3), (1, 1), (2, 2), "same")
    for dtype in (np.float32, np.float64):
        assert fft.misfit(geometry, 3, 4, np.dtype(dtype)) is None
    for strides in ((2, 2), (1, 2), (3, 1)):
        geometry = functional.window_geometry((8, 8), (3, 3), strides, (1, 1), "valid")
        assert fft.misfit(geometry, 3, 4, np.dtype(np.float32)) \
            == f"needs strides 1, got {strides}"


def test_spectra_refused_before_allocation(monkeypatch):
    x, weights, geometry, grad, _ = make(2, (16, 16), 3, 4, (7, 7), (1, 1), "same")
    _, cache = fft.forward(x, weights, geometry)
    monkeypatch.setattr(_config, "MAX_MEMORY", 4096)
    with pytest.raises(MemoryError, match="x, kernel: the spectra of the FFT convolution"):
        fft.forward(x, weights, geometry)
    with pytest.raises(MemoryError, match="x, kernel: the spectra of the FFT convolution"):
        fft.backward(x, grad, weights, geometry, True, cache)


@pytest.mark.parametrize("transforms", [False, True])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_memory_check_bounds_the_peak(monkeypatch, transforms, padding):
    """What forward and backward ask check_allocation for covers what they allocate."""
    tracemalloc = pytest.importorskip("tracemalloc")
    x, weights, geometry, grad, _ = make(6, (23, 20), 5, 7, (5, 4), (1, 2), padding,
                                         np.float32, seed=9)
    asked = []
    real_check = fft.check_allocation

    def spy(name, shape, dtype, copies=1, what="the result"):
        nbytes = real_check(name, shape, dtype, copies, what)
        asked.append(nbytes * copies)
        return nbytes

    monkeypatch.setattr(fft, "check_allocation", spy)
    with kernel_path(transforms):
        for step in ("forward", "backward"):
            if step == "backward":
                _, cache = fft.forward(x, weights, geometry)
            tracemalloc.start()
            try:
                if step == "forward":
                    fft.forward(x, weights, geometry)
                else:
                    fft.backward(x, grad, weights, geometry, True, cache)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            # the spectra dominate; the DFT matrices and Python objects are a few kB
            assert peak <= asked[-1] + 32 * 1024, step
