"""Data stays on the device: host-device copies of the signal functions, counted.

In numba's CUDA simulator (run by tests/test_cuda.py with ``NUMBA_ENABLE_CUDASIM=1``) or
on a GPU (``SIGCONV_TEST_CUDA=1``). :func:`sigconv._transfers.count_transfers` records
every copy numba.cuda makes; each test asserts the exact count and the shapes that
moved, and that the values equal the CPU's.

The contract asserted here:

* device ``in1`` and NumPy ``in2``: ``in2`` goes up once, nothing comes down, the result
  is a device array;
* both on the device: nothing moves;
* NumPy inputs with ``device="cuda"``: both go up once, the result comes down once (the
  API returns NumPy for NumPy inputs, as documented);
* ``FourierSeries`` at device times: the coefficients go up on the first call, nothing
  after.
"""

import numpy as np
import pytest
from numba import cuda

import sigconv as sc
from sigconv import _config
from sigconv._jit import is_device_array
from sigconv._transfers import count_transfers

if not sc.cuda_available():
    raise RuntimeError("no CUDA device or simulator: run through tests/test_cuda.py "
                       "(simulator) or bench/gpu.py (GPU)")

MODES = ["full", "same", "valid"]


@pytest.fixture(autouse=True)
def small_launches(monkeypatch):
    monkeypatch.setattr(_config, "CUDA_THREADS_PER_BLOCK", 8)
    monkeypatch.setattr(_config, "CUDA_MAX_BLOCKS", 3)


def random(shape, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed + sum(shape))
    values = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


def assert_device_result(out, expected):
    assert is_device_array(out), type(out)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_allclose(out.copy_to_host(), expected, rtol=1e-12, atol=1e-12)


# 1-D, 2-D and 3-D problems for convolve / correlate (all axes convolved)
ND_CASES = [((13,), (4,)), ((4,), (6,)), ((6, 7), (3, 2)), ((3, 4, 5), (2, 2, 3))]


def covers(shape1, shape2):
    return (all(a >= b for a, b in zip(shape1, shape2, strict=True))
            or all(b >= a for a, b in zip(shape1, shape2, strict=True)))


@pytest.mark.parametrize("function", [sc.convolve, sc.correlate])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("shape1", "shape2"), ND_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_device_in1_host_in2_moves_only_in2(function, mode, shape1, shape2, dtype):
    a, b = random(shape1, dtype), random(shape2, dtype, seed=1)
    expected = function(a, b, mode, method="direct")
    device_a = cuda.to_device(a)
    with count_transfers() as log:
        out = function(device_a, b, mode)
    assert (log.to_device, log.to_host) == (1, 0), log
    assert log.shapes("to_device") == [shape2]
    assert_device_result(out, expected)


@pytest.mark.parametrize("function", [sc.convolve, sc.correlate])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("shape1", "shape2"), ND_CASES)
def test_both_on_the_device_move_nothing(function, mode, shape1, shape2):
    a, b = random(shape1, np.complex128), random(shape2, np.complex128, seed=1)
    expected = function(a, b, mode, method="direct")
    device_a, device_b = cuda.to_device(a), cuda.to_device(b)
    with count_transfers() as log:
        out = function(device_a, device_b, mode)
    assert log.count == 0, log
    assert_device_result(out, expected)


@pytest.mark.parametrize("function", [sc.convolve, sc.correlate])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("shape1", "shape2"), ND_CASES)
def test_host_inputs_on_the_gpu_go_up_once_and_come_down_once(function, mode, shape1,
                                                               shape2):
    a, b = random(shape1), random(shape2, seed=1)
    expected = function(a, b, mode, method="direct")
    with count_transfers() as log:
        out = function(a, b, mode, device="cuda")
    assert (log.to_device, log.to_host) == (2, 1), log
    # the longer input streams through the kernel: it goes up first
    assert sorted(log.shapes("to_device")) == sorted([shape1, shape2])
    assert log.shapes("to_host")[0] in (expected.shape, (1,) + expected.shape,
                                        (1, int(np.prod(expected.shape[:-1])),
                                         expected.shape[-1]))
    assert type(out) is np.ndarray   # NumPy in, NumPy out (documented)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("function", [sc.convolve, sc.correlate])
@pytest.mark.parametrize(("shape1", "shape2", "axes"), [
    ((3, 9), (1, 4), 1), ((3, 9), (3, 4), (1,)), ((9, 3), (4, 1), 0),
    ((2, 5, 4), (2, 3, 2), (1, 2)), ((5, 2, 4), (3, 2, 2), (0, 2))])
@pytest.mark.parametrize("mode", MODES)
def test_batches_and_moved_axes_stay_on_the_device(function, shape1, shape2, axes, mode):
    """Batch axes broadcast in the kernel, convolved axes that are not last are moved by
    a device kernel: still only ``in2`` goes up."""
    a, b = random(shape1, np.complex128), random(shape2, np.complex128, seed=2)
    expected = function(a, b, mode, method="direct", axes=axes)
    device_a = cuda.to_device(a)
    with count_transfers() as log:
        out = function(device_a, b, mode, axes=axes)
    assert (log.to_device, log.to_host) == (1, 0), log
    assert_device_result(out, expected)


def test_a_device_input_is_cast_on_the_device():
    """float32 data on the device with a float64 kernel: the cast to the result's
    float64 runs on the device, the data never comes down."""
    a, b = random((11,), np.float32), random((3,), np.float64, seed=3)
    expected = sc.convolve(a.astype(np.float64), b, method="direct")
    device_a = cuda.to_device(a)
    with count_transfers() as log:
        out = sc.convolve(device_a, b)
    assert (log.to_device, log.to_host) == (1, 0)
    assert_device_result(out, expected)


BOUNDARIES = ["fill", "wrap", "symm"]
SHAPES_2D = [((6, 5), (3, 2)), ((3, 4), (4, 5)), ((5, 5), (1, 1))]


@pytest.mark.parametrize("function", [sc.convolve2d, sc.correlate2d])
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("shape1", "shape2"), SHAPES_2D)
def test_2d_device_image_moves_only_the_kernel(function, boundary, mode, shape1, shape2):
    assert covers(shape1, shape2)   # every mode applies
    image, kernel = random(shape1), random(shape2, seed=4)
    expected = function(image, kernel, mode, boundary, fillvalue=0.5)
    device_image = cuda.to_device(image)
    with count_transfers() as log:
        out = function(device_image, kernel, mode, boundary, fillvalue=0.5)
    assert (log.to_device, log.to_host) == (1, 0), log
    assert log.shapes("to_device") == [shape2]
    assert_device_result(out, expected)


@pytest.mark.parametrize("function", [sc.convolve2d, sc.correlate2d])
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
def test_2d_both_on_the_device_move_nothing(function, boundary, mode):
    image, kernel = random((6, 5), np.complex128), random((3, 2), np.complex128, seed=5)
    expected = function(image, kernel, mode, boundary, fillvalue=0.25 - 1j)
    device_image, device_kernel = cuda.to_device(image), cuda.to_device(kernel)
    with count_transfers() as log:
        out = function(device_image, device_kernel, mode, boundary, fillvalue=0.25 - 1j)
    assert log.count == 0, log
    assert_device_result(out, expected)


@pytest.mark.parametrize("function", [sc.convolve2d, sc.correlate2d])
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
def test_2d_host_inputs_on_the_gpu_go_up_once_and_come_down_once(function, boundary,
                                                                  mode):
    """NumPy inputs, ``device="cuda"``: the image is prepared (extended) on the host, the
    image and the kernel go up once each, the result comes down once, as NumPy."""
    image, kernel = random((6, 5)), random((3, 2), seed=6)
    expected = function(image, kernel, mode, boundary, fillvalue=-1.5)
    with count_transfers() as log:
        out = function(image, kernel, mode, boundary, fillvalue=-1.5, device="cuda")
    assert (log.to_device, log.to_host) == (2, 1), log
    assert type(out) is np.ndarray
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_fourier_series_on_device_times_moves_the_coefficients_once():
    series = sc.FourierSeries.square_wave(0.2, 0.1, 2.0, 70)
    t = np.linspace(-0.3, 0.7, 23).reshape(23, 1)
    expected = series(t)
    device_t = cuda.to_device(t)
    with count_transfers() as first:
        out = series(device_t)
    assert (first.to_device, first.to_host) == (2, 0), first
    assert first.shapes("to_device") == [(70,), (70,)]
    assert_device_result_close(out, expected)
    with count_transfers() as second:
        again = series(device_t)
    assert second.count == 0, second
    assert_device_result_close(again, expected)


def test_fourier_series_on_device_float32_times_reads_them_as_float64():
    series = sc.FourierSeries([1.0, 0.5, -0.25], [0.0, 2.0, 1.0], period=1.5)
    t = np.linspace(-2.0, 2.0, 17).astype(np.float32)
    expected = series(t)   # the host path reads float32 times as float64 too
    out = series(cuda.to_device(t))
    assert_device_result_close(out, expected)


def test_fourier_series_on_device_nonfinite_times_give_nan():
    """The finiteness check of host times would copy device times down: a non-finite
    device time gives NaN instead of a ValueError (documented)."""
    series = sc.FourierSeries([1.0, 0.5], [0.0, 2.0], period=1.0)
    out = series(cuda.to_device(np.array([0.25, np.inf, np.nan, 0.5]))).copy_to_host()
    np.testing.assert_allclose(out[[0, 3]], series(np.array([0.25, 0.5])), rtol=1e-12)
    assert np.isnan(out[1]) and np.isnan(out[2])


def test_fourier_series_on_device_refuses_bad_times_without_moving_them():
    series = sc.FourierSeries([1.0, 0.5], [0.0, 2.0], period=1.0)
    with count_transfers() as log:
        with pytest.raises(TypeError, match="real"):
            series(cuda.to_device(np.ones(3, dtype=np.complex128)))
        with pytest.raises(TypeError, match="booleans"):
            series(cuda.to_device(np.ones(3, dtype=bool)))
    assert log.to_device == 2 and log.to_host == 0   # the test's own uploads only


def assert_device_result_close(out, expected):
    assert is_device_array(out) and out.shape == expected.shape
    np.testing.assert_allclose(out.copy_to_host(), expected, rtol=1e-10, atol=1e-10)


def test_fourier_series_host_times_on_the_gpu_reuse_the_cached_coefficients():
    """NumPy times with ``device="cuda"``: the times go up and the values come down on
    every call (NumPy in, NumPy out); the coefficients go up on the first call only."""
    series = sc.FourierSeries.square_wave(0.2, 0.1, 2.0, 9)
    t = np.array([0.013, -0.4, 0.29, 1.7, 0.05])   # not a uniform grid: the direct sum
    expected = series(t)
    with count_transfers() as first:
        out = series(t, device="cuda")
    assert (first.to_device, first.to_host) == (3, 1), first
    assert sorted(first.shapes("to_device")) == [(5,), (9,), (9,)]
    with count_transfers() as second:
        again = series(t, device="cuda")
    assert (second.to_device, second.to_host) == (1, 1), second
    for values in (out, again):
        assert type(values) is np.ndarray
        np.testing.assert_allclose(values, expected, rtol=1e-10, atol=1e-10)


def test_a_series_used_on_the_gpu_pickles_without_its_device_cache():
    import pickle

    series = sc.FourierSeries([1.0, 0.5, 0.25], [0.0, 2.0, -1.0], period=2.0)
    t = cuda.to_device(np.linspace(0.0, 1.0, 5))
    series(t)
    copy = pickle.loads(pickle.dumps(series))
    assert "_coefficients_on" not in vars(copy)
    with count_transfers() as log:
        out = copy(t)
    assert log.to_device == 2   # the copy uploads its own coefficients, once
    np.testing.assert_allclose(out.copy_to_host(), series(t).copy_to_host(), rtol=1e-12)
