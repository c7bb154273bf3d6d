"""The "direct" convolution algorithm (sigconv/nn/_conv_direct.py) against slow references.

Forward is compared with the float64 NumPy reference (tests/nn_reference.py), both
gradients with the adjoint identities (which need no reference) and with the im2col/GEMM
algorithm. The problems draw strides, dilation, padding and sizes that are not multiples
of the kernels' blocks (nine terms per forward pass, four pixels per kernel-gradient pass)
so that every remainder path runs; on one thread and on several.
"""

import contextlib

import nn_reference as ref
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sigconv._jit import single_thread
from sigconv.nn import _conv_direct as direct
from sigconv.nn import functional


def make(batch, size, channels, filters, kernel, strides=(1, 1), dilation=(1, 1),
         padding="same", dtype=np.float64, seed=0):
    """``(x, kernel, geometry, grad, padding)`` of one random problem."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *size, channels)).astype(dtype)
    weights = rng.standard_normal((*kernel, channels, filters)).astype(dtype)
    geometry = functional.window_geometry(size, kernel, strides, dilation, padding)
    grad = rng.standard_normal((batch, *geometry.out_size, filters)).astype(dtype)
    return x, weights, geometry, grad, padding


@st.composite
def problems(draw, dtype=np.float64):
    """A convolution problem with small, often degenerate, sizes and any geometry."""
    padding = draw(st.sampled_from(["same", "valid"]))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(2))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(2))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(2))
    spans = [(k - 1) * d + 1 for k, d in zip(kernel, dilation, strict=True)]
    low = spans if padding == "valid" else [1, 1]
    size = tuple(draw(st.integers(lo, lo + 9)) for lo in low)
    batch = draw(st.integers(1, 3))
    channels = draw(st.integers(1, 5))
    filters = draw(st.integers(1, 11))
    seed = draw(st.integers(0, 2**32 - 1))
    return make(batch, size, channels, filters, kernel, strides, dilation, padding, dtype,
                seed)


#: the degenerate shapes named by the contract, and the networks' first layers, pinned
ODD = [
    make(1, (1, 1), 1, 1, (1, 1)),                                 # one pixel, one tap
    make(1, (1, 9), 1, 2, (1, 4), dilation=(1, 2)),                # Conv1D, even dilated kernel
    make(2, (1, 11), 3, 5, (1, 3), padding="valid"),               # Conv1D valid
    make(1, (7, 1), 2, 3, (3, 1)),                                 # width 1
    make(1, (2, 3), 1, 1, (5, 5)),                                 # kernel wider than the image
    make(3, (5, 7), 2, 2, (5, 7), padding="valid"),                # one output column
    make(2, (11, 13), 3, 4, (4, 2), (2, 3), (3, 2)),               # odd sizes, even taps
    make(2, (8, 8), 1, 10, (3, 3), padding="valid"),               # digits layer 1
    make(1, (12, 15), 3, 9, (3, 3), padding="valid"),              # CIFAR-like layer 1
    make(2, (9, 17), 4, 8, (3, 3), (1, 2)),                        # 36 terms, strided
    make(1, (6, 19), 7, 3, (2, 3), (2, 1), (2, 1)),                # 42 terms, 9-groups + rest
    make(2, (6, 7), 8, 5, (2, 2), (2, 1), (1, 2), "valid"),        # dx vectorised over channels
]


def backward(x, weights, geometry, grad, input_grad=True):
    return direct.backward(x, grad, weights, geometry, input_grad, None)


@contextlib.contextmanager
def threads(kind, monkeypatch):
    """Run the kernels on one thread (``"serial"``, inside single_thread), or on several
    (``"parallel"``) for every problem, however small, with three kernel-gradient buffers
    (more tasks than threads: the serial reduce of the partial buffers runs)."""
    if kind == "serial":
        with single_thread():
            yield
        return
    monkeypatch.setattr(direct, "PARALLEL_MIN_MACS", 0)
    monkeypatch.setattr(functional, "n_threads", lambda: 3)
    yield


def check_problem(problem, kind, monkeypatch):
    """Forward vs the reference, both gradients by the adjoint identities (float64)."""
    x, weights, geometry, grad, padding = problem
    with threads(kind, monkeypatch):
        out, cache = direct.forward(x, weights, geometry)
        dx, dkernel = backward(x, weights, geometry, grad)
        none, dkernel_only = backward(x, weights, geometry, grad, input_grad=False)
    want = ref.conv2d(x, weights, None, geometry.strides, padding, geometry.dilation)
    assert out.shape == want.shape and out.dtype == x.dtype and out.flags.c_contiguous
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    assert dx.shape == x.shape and dkernel.shape == weights.shape and none is None
    np.testing.assert_array_equal(dkernel_only, dkernel)
    inner = np.vdot(out, grad)
    scale = np.abs(out).sum() * np.abs(grad).max() + 1e-300
    assert abs(inner - np.vdot(x, dx)) <= 1e-12 * scale
    assert abs(inner - np.vdot(weights, dkernel)) <= 1e-12 * scale


@pytest.mark.kernel
@pytest.mark.parametrize("kind", ["serial", "parallel"])
@pytest.mark.parametrize("index", range(len(ODD)))
def test_odd_shapes_match_the_reference_and_adjoints(kind, index, monkeypatch):
    check_problem(ODD[index], kind, monkeypatch)


@pytest.mark.kernel
@given(problems())
@example(ODD[6])
def test_forward_matches_the_reference_and_backward_is_its_adjoint(problem):
    with pytest.MonkeyPatch.context() as monkeypatch:
        check_problem(problem, "parallel", monkeypatch)
    check_problem(problem, "serial", None)


@pytest.mark.kernel
@given(problems())
def test_agrees_with_gemm(problem):
    """Both gradients and the output equal gemm's up to rounding (float64)."""
    x, weights, geometry, grad, _ = problem
    out, _ = direct.forward(x, weights, geometry)
    dx, dkernel = backward(x, weights, geometry, grad)
    want_dx, want_dkernel = functional._conv_backward(x, grad, weights, geometry, True)
    np.testing.assert_allclose(out, functional._conv_forward(x, weights, geometry),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dkernel, want_dkernel, rtol=1e-12, atol=1e-11)


def bound32(n_terms, magnitude):
    """A float32 error bound on a sum of ``n_terms`` products whose absolute values sum to
    ``magnitude``: ``gamma(n + 1) = (n + 1) u / (1 - (n + 1) u)`` times it (each product
    rounds once, each addition once, in any order), u = 2**-24."""
    u = 2.0 ** -24
    return (n_terms + 1) * u / (1 - (n_terms + 1) * u) * magnitude


@pytest.mark.kernel
@pytest.mark.parametrize("kind", ["serial", "parallel"])
@pytest.mark.parametrize("index", range(len(ODD)))
def test_float32_within_the_rounding_bound(kind, index, monkeypatch):
    """float32 results within the worst-case rounding bound of their own sums, elementwise:
    forward against the float64 reference, the gradients against float64 gemm on the same
    float32 data (each sum's size and magnitude computed from absolute values)."""
    x64, w64, geometry, g64, _ = ODD[index]
    x, weights, grad = (a.astype(np.float32) for a in (x64, w64, g64))
    with threads(kind, monkeypatch):
        out, _ = direct.forward(x, weights, geometry)
        dx, dkernel = backward(x, weights, geometry, grad)
    assert out.dtype == dx.dtype == dkernel.dtype == np.float32
    xs, ws, gs = (a.astype(np.float64) for a in (x, weights, grad))
    n_out = geometry.taps * x.shape[3]
    want = functional._conv_forward(xs, ws, geometry)
    magnitude = functional._conv_forward(np.abs(xs), np.abs(ws), geometry)
    assert (np.abs(out - want) <= bound32(n_out, magnitude)).all()
    want_dx, want_dk = functional._conv_backward(xs, gs, ws, geometry, True)
    mag_dx, mag_dk = functional._conv_backward(np.abs(xs), np.abs(gs), np.abs(ws),
                                               geometry, True)
    pixels = x.shape[0] * geometry.out_size[0] * geometry.out_size[1]
    assert (np.abs(dkernel - want_dk) <= bound32(pixels, mag_dk)).all()
    assert (np.abs(dx - want_dx) <= bound32(geometry.taps * grad.shape[3], mag_dx)).all()


@pytest.mark.kernel
def test_first_layers_of_the_lecture_nets_agree_with_gemm_in_float32():
    """The layers direct is for, at their real sizes: within the rounding bound of gemm's
    float64 result (the kernel gradient sums batch * 900 products per entry)."""
    for problem in [make(100, (8, 8), 1, 10, (3, 3), padding="valid", dtype=np.float32),
                    make(32, (32, 32), 3, 32, (3, 3), padding="valid", dtype=np.float32)]:
        x, weights, geometry, grad, _ = problem
        out, _ = direct.forward(x, weights, geometry)
        _, dkernel = backward(x, weights, geometry, grad, input_grad=False)
        xs, ws, gs = (a.astype(np.float64) for a in (x, weights, grad))
        magnitude = functional._conv_forward(np.abs(xs), np.abs(ws), geometry)
        want = functional._conv_forward(xs, ws, geometry)
        assert (np.abs(out - want) <= bound32(geometry.taps * x.shape[3], magnitude)).all()
        _, want_dk = functional._conv_backward(xs, gs, ws, geometry, False)
        _, mag_dk = functional._conv_backward(np.abs(xs), np.abs(gs), np.abs(ws), geometry,
                                              False)
        pixels = x.shape[0] * geometry.out_size[0] * geometry.out_size[1]
        assert (np.abs(dkernel - want_dk) <= bound32(pixels, mag_dk)).all()


@pytest.mark.kernel
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_values_stay_in_the_windows_that_read_them(bad):
    """A non-finite input reaches exactly the outputs whose windows read it, as in gemm."""
    x, weights, geometry, _, _ = make(2, (9, 10), 3, 5, (3, 3), (1, 2), (2, 1))
    x[1, 4, 5, 2] = bad
    out, _ = direct.forward(x, weights, geometry)
    want = functional._conv_forward(x, weights, geometry)
    np.testing.assert_array_equal(np.isfinite(out), np.isfinite(want))
    np.testing.assert_array_equal(np.isnan(out), np.isnan(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(out[finite], want[finite], rtol=1e-12, atol=1e-12)


def test_misfit_accepts_every_convolution():
    """Any strides, dilation, padding, kernel size, channel count and float dtype."""
    for args in [((8, 8), (3, 3), (1, 1), (1, 1), "valid"),
                 ((1, 50), (1, 7), (1, 3), (1, 2), "same"),
                 ((32, 32), (5, 5), (2, 2), (3, 3), "same")]:
        geometry = functional.window_geometry(*args)
        for channels, filters in [(1, 1), (3, 32), (512, 7)]:
            for dtype in (np.float32, np.float64):
                assert direct.misfit(geometry, channels, filters, np.dtype(dtype)) is None


def test_forward_returns_a_new_array_and_no_cache():
    x, weights, geometry, _, _ = make(1, (5, 6), 2, 3, (3, 3))
    out, cache = direct.forward(x, weights, geometry)
    again, _ = direct.forward(x, weights, geometry)
    assert cache is None and not np.shares_memory(out, again)
    assert not np.shares_memory(out, x) and not np.shares_memory(out, weights)
