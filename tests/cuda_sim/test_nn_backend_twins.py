"""Every function of the CUDA backend of sigconv.nn against its CPU twin (float64, small
sizes, launches patched small so that several blocks and grid strides run), and the data
it keeps on the device."""

import numpy as np
import pytest
from numba import cuda

from sigconv import _config, nn
from sigconv._transfers import count_transfers
from sigconv.nn import activations, functional, regularizers
from sigconv.nn.backend import cpu
from sigconv.nn.backend import cuda as gpu
from sigconv.nn.kernels import cuda as kernels


@pytest.fixture(autouse=True)
def small_launches(monkeypatch):
    monkeypatch.setattr(_config, "CUDA_THREADS_PER_BLOCK", 8)
    monkeypatch.setattr(kernels, "TILE", 4)
    monkeypatch.setattr(_config, "CUDA_MAX_BLOCKS", 2)


def on_host(value):
    if isinstance(value, tuple):
        return tuple(on_host(v) for v in value)
    return value.copy_to_host() if hasattr(value, "copy_to_host") else value


def assert_twins(mine, theirs, rtol=1e-12, atol=1e-14):
    mine, theirs = on_host(mine), on_host(theirs)
    if isinstance(theirs, tuple):
        assert isinstance(mine, tuple) and len(mine) == len(theirs)
        for a, b in zip(mine, theirs, strict=True):
            assert_twins(a, b, rtol, atol)
    elif theirs is None:
        assert mine is None
    else:
        assert isinstance(mine, np.ndarray) and mine.dtype == np.asarray(theirs).dtype
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=atol)


rng = np.random.default_rng(19)


def test_allocation_fills_on_the_device():
    with count_transfers() as log:
        zeros = gpu.zeros((3, 37), np.float64)
        sevens = gpu.full(29, 7.5, np.float32)
        empty = gpu.zeros((0, 4), np.float64)
    assert log.count == 0
    assert_twins(zeros, cpu.zeros((3, 37), np.float64))
    assert_twins(sevens, cpu.full(29, 7.5, np.float32))
    assert empty.shape == (0, 4)


def test_asarray_and_to_host_copy_once():
    x = rng.standard_normal((4, 3))
    with count_transfers() as log:
        device = gpu.asarray(x, np.float64)
        same = gpu.asarray(device, np.float64)
        back = gpu.to_host(same)
    assert same is device and (log.to_device, log.to_host) == (1, 1)
    np.testing.assert_array_equal(back, x)
    with pytest.raises(TypeError, match="dtype"):
        gpu.asarray(device, np.float32)
    np.testing.assert_array_equal(cpu.asarray(device, np.float64), x)


@pytest.mark.parametrize("with_logits", [True, False])
def test_binary_crossentropy(with_logits):
    targets = rng.integers(0, 2, (7, 3)).astype(np.float64)
    output = rng.standard_normal((7, 3)) if with_logits else rng.uniform(0, 1, (7, 3))
    if not with_logits:
        output[0, :2] = [0.0, 1.0]          # clipped: no gradient there
    mine = gpu.binary_crossentropy(cuda.to_device(output), cuda.to_device(targets),
                                   with_logits)
    assert_twins(mine, cpu.binary_crossentropy(output, targets, with_logits))


def test_squared_error():
    targets, output = rng.standard_normal((2, 9, 3)), rng.standard_normal((2, 9, 3))
    mine = gpu.squared_error(cuda.to_device(output), cuda.to_device(targets))
    theirs = cpu.squared_error(output, targets)
    assert_twins(mine[1], theirs[1])
    assert_twins(mine[0], theirs[0].reshape(-1))     # one value per row of the last axis


@pytest.mark.parametrize(("sparse", "from_logits"), [(False, True), (True, True),
                                                     (False, False), (True, False)])
def test_crossentropy(sparse, from_logits):
    labels = rng.integers(0, 4, 9)
    targets = labels.astype(np.float64)[:, None] if sparse else np.eye(4)[labels]
    logits = rng.standard_normal((9, 4))
    output = logits if from_logits else np.exp(logits) / np.exp(logits).sum(
        axis=1, keepdims=True)
    mine = gpu.crossentropy(cuda.to_device(output), cuda.to_device(targets), sparse,
                            from_logits)
    assert_twins(mine, cpu.crossentropy(output, targets, sparse, from_logits))


@pytest.mark.parametrize("regularizer", [nn.L1(0.3), nn.L2(0.2), nn.L1L2(0.1, 0.05)],
                         ids=["l1", "l2", "l1l2"])
def test_penalties_and_their_gradients(regularizer):
    w = rng.standard_normal((5, 13))
    w[0, :3] = 0.0                        # sign(0) = 0
    grad = rng.standard_normal(w.shape)
    device_w, device_grad = cuda.to_device(w), cuda.to_device(grad)
    total = gpu.zeros((1,), np.float64)
    with count_transfers() as log:
        gpu.add_penalty(device_w, regularizer, total)
        gpu.add_penalty(device_w, regularizer, total)
        gpu.add_penalty_gradient(device_w, device_grad, regularizer)
    assert log.count == 0
    expected = cpu.add_penalty(w, regularizer, cpu.zeros((1,), np.float64))
    assert_twins(total, cpu.add_penalty(w, regularizer, expected))
    assert_twins(device_grad, cpu.add_penalty_gradient(w, grad.copy(), regularizer))


@pytest.mark.parametrize("regularizer", [nn.L1(0.3), nn.L2(0.2)], ids=["l1", "l2"])
def test_a_penalty_of_infinite_weights_is_infinite_as_on_the_cpu(regularizer):
    """The factor that is 0 (l2 of L1, l1 of L2) leaves its term out, as on the CPU:
    ``0 * inf`` gave NaN losses and gradients on the device."""
    w = np.array([np.inf, 1.0, -np.inf, 0.0])
    grad = np.zeros_like(w)
    device_grad = cuda.to_device(grad)
    total = gpu.add_penalty(cuda.to_device(w), regularizer, gpu.zeros((1,), np.float64))
    gpu.add_penalty_gradient(cuda.to_device(w), device_grad, regularizer)
    expected = cpu.add_penalty(w, regularizer, cpu.zeros((1,), np.float64))
    assert np.isposinf(expected[0]) and np.isposinf(total.copy_to_host()[0])
    np.testing.assert_array_equal(device_grad.copy_to_host(),
                                  cpu.add_penalty_gradient(w, grad.copy(), regularizer))


def test_a_long_sum_goes_through_lanes_in_a_fixed_order(monkeypatch):
    """More values than lanes: summed in strided lanes in parallel, then the lanes;
    equal to the sum, and the same on every call."""
    monkeypatch.setattr(kernels, "_SUM_LANES", 16)
    values = rng.standard_normal(1000)
    device_values = cuda.to_device(values)
    sums = [kernels.add_sum(device_values, np.float64(0.5), gpu.zeros((1,), np.float64))
            .copy_to_host()[0] for _ in range(2)]
    assert sums[0] == sums[1]
    np.testing.assert_allclose(sums[0], 0.5 * values.sum(), rtol=1e-13)


def test_add_mean():
    values = rng.standard_normal(23)
    total = gpu.full((1,), 0.5, np.float64)
    assert_twins(gpu.add_mean(cuda.to_device(values), total),
                 cpu.add_mean(values, cpu.full((1,), 0.5, np.float64)))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(("scale", "center"), [(True, True), (False, False)])
def test_batch_normalization(training, scale, center):
    x = rng.standard_normal((3, 4, 5)) * 2 + 1
    grad = rng.standard_normal(x.shape)
    gamma = rng.uniform(0.5, 2, 5) if scale else None
    beta = rng.standard_normal(5) if center else None
    moving = (rng.standard_normal(5), rng.uniform(0.5, 2, 5))
    device_moving = tuple(cuda.to_device(m) for m in moving)
    host_moving = tuple(m.copy() for m in moving)
    device = [None if v is None else cuda.to_device(v) for v in (gamma, beta)]
    y, cache = gpu.batch_norm_forward(cuda.to_device(x), *device, *device_moving, 0.9, 1e-3,
                                      training)
    y_cpu, cache_cpu = cpu.batch_norm_forward(x, gamma, beta, *host_moving, 0.9, 1e-3,
                                              training)
    assert_twins(y, y_cpu)
    assert_twins(device_moving, host_moving)
    for input_grad in (True, False):
        assert_twins(gpu.batch_norm_backward(cuda.to_device(grad), device[0], cache,
                                             input_grad),
                     cpu.batch_norm_backward(grad, gamma, cache_cpu, input_grad))


def test_batch_normalization_layer_on_the_gpu_equals_the_cpu():
    x = rng.standard_normal((6, 3))
    grad = rng.standard_normal(x.shape)
    layers = [nn.BatchNormalization(momentum=0.8, dtype="float64") for _ in range(2)]
    layers[1].to("cuda")
    outputs = [layer(x, training=True) for layer in layers]
    assert_twins(outputs[1], outputs[0])
    assert_twins(layers[1].backward(grad), layers[0].backward(grad))
    for key in layers[0].grads:
        assert_twins(layers[1].grads[key], layers[0].grads[key])
    for mine, theirs in zip(layers[1].get_weights(), layers[0].get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    assert_twins(layers[1](x), layers[0](x))          # inference: the moving statistics


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_window_counts_are_cached_on_the_device(padding):
    geometry = functional.window_geometry((5, 4), (2, 3), (2, 1), (1, 1), padding)
    x = rng.standard_normal((3, 5, 4, 2))
    gpu._window_counts.cache_clear()
    device_x = cuda.to_device(x)
    with count_transfers() as log:
        out, counts = gpu.pool_forward(device_x, geometry, "average")
        again, counts_again = gpu.pool_forward(device_x, geometry, "average")
    assert counts_again is counts and log.records == [
        ("to_device", 8 * np.prod(geometry.out_size), (np.prod(geometry.out_size),))]
    out_cpu, counts_cpu = cpu.pool_forward(x, geometry, "average")
    assert_twins(out, out_cpu)
    assert_twins(counts, counts_cpu.reshape(-1))
    grad = rng.standard_normal(out_cpu.shape)
    assert_twins(gpu.pool_backward(cuda.to_device(grad), geometry, "average", counts,
                                   x.shape),
                 cpu.pool_backward(grad, geometry, "average", counts_cpu, x.shape))


def test_convolution_moves_nothing():
    geometry = functional.window_geometry((5, 6), (3, 2), (1, 2), (1, 1), "same")
    x, kernel = rng.standard_normal((2, 5, 6, 3)), rng.standard_normal((3, 2, 3, 4))
    dx, dk = cuda.to_device(x), cuda.to_device(kernel)
    with count_transfers() as log:
        out, cache = gpu.conv_forward(dx, dk, geometry)
        grad = gpu.full(tuple(out.shape), 0.25, np.float64)
        gradients = gpu.conv_backward(dx, grad, dk, geometry, True, cache)
    assert log.count == 0
    out_cpu, cache_cpu = cpu.conv_forward(x, kernel, geometry)
    assert_twins(out, out_cpu)
    assert_twins(gradients, cpu.conv_backward(x, np.full(out_cpu.shape, 0.25), kernel,
                                              geometry, True, cache_cpu))
    with pytest.raises(ValueError, match="CPU only"):
        gpu.conv_forward(dx, dk, geometry, "winograd2")


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "linear",
                                  "softmax"])
def test_activations_and_their_derivatives(name):
    activation = (activations.leaky_relu(0.2) if name == "leaky_relu"
                  else activations.get_activation(name))
    z, bias = rng.standard_normal((7, 5)), rng.standard_normal(5)
    grad = rng.standard_normal(z.shape)
    y = gpu.bias_activate(cuda.to_device(z), cuda.to_device(bias), activation)
    y_cpu = cpu.bias_activate(z.copy(), bias, activation)
    assert_twins(y, y_cpu)
    assert_twins(gpu.activation_backward(cuda.to_device(grad), y, activation),
                 cpu.activation_backward(grad, y_cpu, activation))
    assert_twins(gpu.bias_activate(cuda.to_device(z), None, activation),
                 cpu.bias_activate(z.copy(), None, activation))


def test_dense_pieces():
    a, b = rng.standard_normal((6, 5)), rng.standard_normal((6, 3))
    da, db = cuda.to_device(a), cuda.to_device(b)
    for trans_a, trans_b, left, right in ((True, False, a, b), (False, True, b, b)):
        assert_twins(gpu.matmul(cuda.to_device(left), cuda.to_device(right),
                                trans_a=trans_a, trans_b=trans_b),
                     cpu.matmul(left, right, trans_a=trans_a, trans_b=trans_b))
    out = gpu.empty((5, 3), np.float64)
    assert gpu.matmul(da, db, out=out, trans_a=True) is out
    assert_twins(out, cpu.matmul(a, b, trans_a=True))
    assert_twins(gpu.bias_gradient(db, gpu.empty(3, np.float64)),
                 cpu.bias_gradient(b, cpu.empty(3, np.float64)))
    assert_twins(gpu.multiply(da, da), cpu.multiply(a, a))
    copy = gpu.copy(da)
    assert copy is not da
    assert_twins(copy, cpu.copy(a))
    masks = [backend.dropout_mask((4, 6), np.float64, 0.3, np.random.default_rng(5))
             for backend in (gpu, cpu)]
    assert_twins(*masks)


class _Cubic(regularizers.Regularizer):
    """A user's penalty ``sum(|w|**3)``: its own formula, run on a host copy."""

    def __call__(self, w):
        return float(np.sum(np.abs(w) ** 3))

    def gradient(self, w):
        return 3 * w * np.abs(w)


def test_a_regularizer_of_the_users_own_runs_on_a_host_copy():
    w, grad = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    device_grad, total = cuda.to_device(grad), gpu.zeros((1,), np.float64)
    gpu.add_penalty(cuda.to_device(w), _Cubic(), total)
    gpu.add_penalty_gradient(cuda.to_device(w), device_grad, _Cubic())
    assert_twins(total, cpu.add_penalty(w, _Cubic(), cpu.zeros((1,), np.float64)))
    assert_twins(device_grad, cpu.add_penalty_gradient(w, grad.copy(), _Cubic()))
