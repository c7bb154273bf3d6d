"""GPU twins against their CPU twins, in numba's CUDA simulator or on a real GPU.

Run by tests/test_cuda.py in a separate process with ``NUMBA_ENABLE_CUDASIM=1`` (it must
be set before numba is imported), and by bench/gpu.py on a real GPU
(``SIGCONV_TEST_CUDA=1``). The simulator runs one Python thread per CUDA thread, so sizes
stay small; threads per block and the grid are patched small so that several blocks and
the grid-stride loops run.
"""

import numpy as np
import pytest
from numba import cuda

import sigconv as sc
from sigconv import FourierSeries, _config
from sigconv.backend import cpu as cpu_backend
from sigconv.backend import cuda as cuda_backend

if not sc.cuda_available():
    raise RuntimeError("no CUDA device or simulator: run through tests/test_cuda.py "
                       "(simulator) or bench/gpu.py (GPU)")

TOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12,
       np.dtype(np.complex128): 1e-12}


@pytest.fixture(autouse=True)
def small_launches(monkeypatch):
    monkeypatch.setattr(_config, "CUDA_THREADS_PER_BLOCK", 8)
    monkeypatch.setattr(_config, "CUDA_MAX_BLOCKS", 3)


def random(rng, shape, dtype):
    values = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    if np.dtype(dtype).kind == "i":
        values = rng.integers(-50, 50, shape)
    return values.astype(dtype)


CASES = [((9,), (4,), None), ((4,), (6,), None), ((5, 6), (3, 2), None),
         ((2, 7), (1, 3), 1), ((3, 4, 5), (2, 2, 3), None), ((2, 5, 4), (2, 3, 2), (1, 2))]


@pytest.mark.parametrize("function", [sc.convolve, sc.correlate])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize(("shape1", "shape2", "axes"), CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex128, np.int64])
def test_direct_convolution_twins(function, mode, shape1, shape2, axes, dtype):
    rng = np.random.default_rng(sum(shape1) + 7 * sum(shape2))
    a, b = random(rng, shape1, dtype), random(rng, shape2, dtype)
    if mode == "valid" and axes is None and not (
            all(m >= n for m, n in zip(shape1, shape2, strict=True))
            or all(m <= n for m, n in zip(shape1, shape2, strict=True))):
        return
    cpu = function(a, b, mode, method="direct", axes=axes)
    gpu = function(a, b, mode, axes=axes, device="cuda")
    assert type(gpu) is np.ndarray and gpu.dtype == cpu.dtype and gpu.shape == cpu.shape
    if np.dtype(dtype).kind == "i":
        np.testing.assert_array_equal(gpu, cpu)   # exact integers on the GPU too
    else:
        np.testing.assert_allclose(gpu, cpu, rtol=TOL[np.dtype(dtype)], atol=TOL[np.dtype(dtype)])


def test_device_arrays_in_give_device_arrays_out():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(12), rng.standard_normal(5)
    out = sc.convolve(cuda.to_device(a), b)   # device=None: where the data is
    assert not isinstance(out, np.ndarray)
    np.testing.assert_allclose(out.copy_to_host(), np.convolve(a, b), rtol=1e-12)
    host = sc.convolve(cuda.to_device(a), b, device="cpu")
    np.testing.assert_allclose(host, np.convolve(a, b), rtol=1e-12)


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("function", [sc.convolve2d, sc.correlate2d])
def test_2d_boundaries_twins(function, mode, boundary):
    rng = np.random.default_rng(3)
    image, kernel = rng.standard_normal((6, 5)), rng.standard_normal((3, 2))
    cpu = function(image, kernel, mode, boundary, fillvalue=0.5)
    gpu = function(image, kernel, mode, boundary, fillvalue=0.5, device="cuda")
    np.testing.assert_allclose(gpu, cpu, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n_terms", [1, 3, 70, 140])   # across the recurrence re-seeds
def test_fourier_synthesis_twin(n_terms):
    series = FourierSeries.square_wave(0.2, 0.1, 2.0, n_terms)
    t = np.linspace(-0.3, 0.3, 29)
    np.testing.assert_allclose(series(t, device="cuda"), series(t), rtol=1e-10, atol=1e-10)
    on_device = series(cuda.to_device(t))
    np.testing.assert_allclose(on_device.copy_to_host(), series(t), rtol=1e-10, atol=1e-10)


def test_unsupported_methods_on_the_gpu_are_refused():
    with pytest.raises(ValueError, match="not available on the GPU"):
        sc.convolve(np.ones(4), np.ones(2), method="fft", device="cuda")
    with pytest.raises(ValueError, match="device"):
        sc.convolve(np.ones(4), np.ones(2), device="gpu")


@pytest.mark.parametrize("function", [sc.convolve, sc.correlate])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize(("shape1", "shape2"), [((11,), (4,)), ((6, 7), (3, 2)),
                                                ((3, 4, 5), (2, 2, 3))])
@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_resident_device_path(function, mode, shape1, shape2, dtype):
    """Device data in, device data out, without staging the long input through the host."""
    rng = np.random.default_rng(5)
    a, b = random(rng, shape1, dtype), random(rng, shape2, dtype)
    out = function(cuda.to_device(a), cuda.to_device(b), mode)
    assert not isinstance(out, np.ndarray) and out.shape == function(a, b, mode).shape
    np.testing.assert_allclose(out.copy_to_host(), function(a, b, mode, method="direct"),
                               rtol=TOL[np.dtype(np.float64 if dtype == np.complex128
                                                 else dtype)], atol=1e-5)


def test_fft_functions_refuse_device_data():
    with pytest.raises(ValueError, match="runs on the CPU"):
        sc.fftconvolve(cuda.to_device(np.ones(4)), np.ones(2))
    with pytest.raises(ValueError, match="runs on the CPU"):
        sc.oaconvolve(np.ones(4), cuda.to_device(np.ones(2)))


# --------------------------------------------------------------------------------------
# the backends, function by function: sigconv.backend.cuda against sigconv.backend.cpu
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("pads", [((0, 0), (0, 0)), ((1, 2), (2, 1)), ((5, 7), (6, 0)),
                                  ((0, 9), (4, 4))])   # beyond the image: several periods
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_extend2d_twin(boundary, pads, dtype):
    rng = np.random.default_rng(11)
    image = random(rng, (3, 4), dtype)
    fill = dtype(0.5 - 2j) if np.dtype(dtype).kind == "c" else dtype(0.5)
    expected = cpu_backend.extend2d(image, pads, boundary, fill)
    out = cuda_backend.extend2d(cuda.to_device(image), pads, boundary, fill)
    np.testing.assert_array_equal(out.copy_to_host(), expected)


def test_extend2d_reads_a_strided_device_view():
    rng = np.random.default_rng(12)
    image = random(rng, (6, 8), np.float64)
    view = cuda.to_device(image)[::2, 1::3]
    out = cuda_backend.extend2d(view, ((2, 1), (1, 3)), "symm", 0.0)
    np.testing.assert_array_equal(out.copy_to_host(),
                                  np.pad(image[::2, 1::3], ((2, 1), (1, 3)), "symmetric"))


@pytest.mark.parametrize(("shape", "order", "flip"), [
    ((7,), None, ()), ((7,), None, (0,)), ((3, 4), (1, 0), ()), ((3, 4), None, (0, 1)),
    ((2, 3, 4), (2, 0, 1), (1,)), ((2, 3, 4), (1, 2, 0), (0, 2))])
@pytest.mark.parametrize(("dtype", "out_dtype", "conjugate"), [
    (np.float32, np.float64, False), (np.complex128, np.complex128, True),
    (np.float64, np.float64, True)])
def test_rearrange_twin(shape, order, flip, dtype, out_dtype, conjugate):
    rng = np.random.default_rng(13)
    a = random(rng, shape, dtype)
    expected = cpu_backend.rearrange(a, order, flip, np.dtype(out_dtype), conjugate)
    out = cuda_backend.rearrange(cuda.to_device(a), order, flip, np.dtype(out_dtype),
                                 conjugate)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_array_equal(out.copy_to_host(), expected)


def test_rearrange_changing_nothing_is_no_copy():
    device = cuda.to_device(np.arange(6.0).reshape(2, 3))
    assert cuda_backend.rearrange(device, None, (), np.dtype(np.float64), False) is device
    assert cuda_backend.permute(device, (0, 1)) is device


@pytest.mark.parametrize("value", [0.0, -2.5, 3])
def test_full_twin(value):
    out = cuda_backend.full((5, 7), value, np.float64)
    np.testing.assert_array_equal(out.copy_to_host(), cpu_backend.full((5, 7), value,
                                                                       np.float64))


def test_direct_nd_twin_broadcasts_batches():
    """Batch maps computed in the kernel from the shapes (batch_source), against the CPU
    kernel's maps: a batch of 2 x 3 outputs from inputs of batch (2, 1) and (1, 3)."""
    rng = np.random.default_rng(14)
    x = random(rng, (2, 2, 9), np.float64)    # (batch, rows, columns)
    h = random(rng, (3, 2, 3), np.float64)
    args = ((2, 3), (2, 1), (1, 3), (2,), (2,), (3,), (0,), 0, 4)
    expected = np.empty((6, 3, 11))
    assert cpu_backend.direct_nd(x, h, expected, *args, False)
    out = cuda.device_array((6, 3, 11))
    assert cuda_backend.direct_nd(cuda.to_device(x), cuda.to_device(h), out, *args,
                                  False) is None
    np.testing.assert_allclose(out.copy_to_host(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n_terms", [1, 3, 70, 140])
def test_fourier_synthesis_backend_twin(n_terms):
    rng = np.random.default_rng(n_terms)
    f, g = rng.standard_normal(n_terms), rng.standard_normal(n_terms)
    t = rng.uniform(-30.0, 30.0, 41)
    expected = cpu_backend.fourier_synthesis(t, f, g, 2.0, np.pi, np.empty(41))
    out = cuda_backend.fourier_synthesis(cuda.to_device(t), cuda.to_device(f),
                                         cuda.to_device(g), 2.0, np.pi,
                                         cuda.device_array(41))
    np.testing.assert_allclose(out.copy_to_host(), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("function", [sc.convolve, sc.correlate])
def test_strided_device_views_are_convolved_right(function):
    """A strided device view (not contiguous) is the one input that goes through the
    host before the kernel runs; the result is right and stays on the device."""
    rng = np.random.default_rng(15)
    a, b = random(rng, (20,), np.float64), random(rng, (3,), np.float64)
    out = function(cuda.to_device(a)[::2], b)
    np.testing.assert_allclose(out.copy_to_host(), function(a[::2], b, method="direct"),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("function", [sc.convolve2d, sc.correlate2d])
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
def test_integer_device_images_stay_exact(function, boundary):
    """Integer device data is summed exactly (through the host) and comes back a device
    array of the result dtype."""
    rng = np.random.default_rng(16)
    image, kernel = rng.integers(-9, 9, (5, 6)), rng.integers(-9, 9, (2, 3))
    out = function(cuda.to_device(image), kernel, "same", boundary, fillvalue=3)
    assert not isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out.copy_to_host(),
                                  function(image, kernel, "same", boundary, fillvalue=3))
