"""Layers and models on the GPU against the same layers on the CPU (simulator or GPU)."""

import numpy as np
import pytest
from numba import cuda

from sigconv import _config, nn
from sigconv.nn.kernels import cuda as kernels


@pytest.fixture(autouse=True)
def small_launches(monkeypatch):
    monkeypatch.setattr(_config, "CUDA_THREADS_PER_BLOCK", 32)
    monkeypatch.setattr(kernels, "TILE", 4)   # several tiles per matrix, few threads
    monkeypatch.setattr(_config, "CUDA_MAX_BLOCKS", 4)


def twin_models(optimizer):
    def build():
        nn.set_random_seed(0)
        model = nn.Sequential([
            nn.Conv2D(2, 2, activation="relu", padding="same", input_shape=(4, 4, 1),
                      kernel_regularizer=nn.L2(0.01), dtype="float64"),
            nn.MaxPooling2D(2, dtype="float64"), nn.Flatten(dtype="float64"),
            nn.Dense(3, activation="tanh", dtype="float64"),
            nn.Dense(3, activation="softmax", dtype="float64")])
        model.compile(optimizer=optimizer(), loss="categorical_crossentropy",
                      metrics=["accuracy"])
        return model
    on_cpu, on_gpu = build(), build().to("cuda")
    on_cpu.build()
    on_gpu.build()
    on_gpu.set_weights(on_cpu.get_weights())
    return on_cpu, on_gpu


@pytest.mark.parametrize("optimizer", [lambda: nn.SGD(0.1, momentum=0.9), nn.Adam],
                         ids=["sgd", "adam"])
def test_training_on_the_gpu_equals_the_cpu(optimizer):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 4, 1))
    y = nn.utils.to_categorical(rng.integers(0, 3, 3), 3)
    on_cpu, on_gpu = twin_models(optimizer)
    np.testing.assert_allclose(on_gpu.predict(x), on_cpu.predict(x), rtol=1e-12, atol=1e-12)
    history_cpu = on_cpu.fit(x, y, epochs=2, batch_size=3, verbose=0, seed=2)
    history_gpu = on_gpu.fit(x, y, epochs=2, batch_size=3, verbose=0, seed=2)
    np.testing.assert_allclose(history_gpu.history["loss"], history_cpu.history["loss"],
                               rtol=1e-10)
    for mine, theirs in zip(on_gpu.get_weights(), on_cpu.get_weights(), strict=True):
        assert isinstance(mine, np.ndarray)
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)
    assert not isinstance(on_gpu.layers[0].params["kernel"], np.ndarray)   # on the device


def test_layers_take_device_arrays_and_conv1d_runs():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 7, 2))
    layer = nn.Conv1D(2, 3, strides=2, activation="sigmoid", dtype="float64")
    expected = layer(x)
    layer.to("cuda")
    out = layer(cuda.to_device(x))
    assert not isinstance(out, np.ndarray)
    np.testing.assert_allclose(out.copy_to_host(), expected, rtol=1e-12)
    grad = rng.standard_normal(expected.shape)
    layer.to("cpu")
    layer(x)
    dx_cpu = layer.backward(grad)
    grads_cpu = {k: v.copy() for k, v in layer.grads.items()}
    layer.to("cuda")
    layer(x)
    dx_gpu = layer.backward(grad).copy_to_host()
    np.testing.assert_allclose(dx_gpu, dx_cpu, rtol=1e-12, atol=1e-12)
    for key, value in grads_cpu.items():
        np.testing.assert_allclose(layer.grads[key].copy_to_host(), value, rtol=1e-12)


def test_layers_without_a_gpu_path_say_so():
    with pytest.raises(NotImplementedError, match="GPU"):
        nn.Softmax().to("cuda")
    with pytest.raises(ValueError, match="device"):
        nn.Dense(3).to("tpu")
    layer = nn.Dense(3, dtype="float64")
    with pytest.raises(ValueError, match="to\\('cuda'\\)"):
        layer(cuda.to_device(np.ones((2, 4))))


@pytest.mark.parametrize("layer_class", [nn.MaxPooling2D, nn.AveragePooling2D])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling_on_the_gpu_equals_the_cpu(layer_class, padding):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 4, 2))
    grad_shape = layer_class(2, padding=padding, dtype="float64").compute_output_shape(
        x.shape)
    grad = rng.standard_normal(grad_shape)
    layer = layer_class(2, padding=padding, dtype="float64")
    expected, expected_dx = layer(x), layer.backward(grad)
    layer.to("cuda")
    np.testing.assert_allclose(layer(x).copy_to_host(), expected, rtol=1e-13)
    np.testing.assert_allclose(layer.backward(grad).copy_to_host(), expected_dx, rtol=1e-13)


@pytest.mark.parametrize("layer_class", [nn.GlobalAveragePooling2D, nn.GlobalMaxPooling2D,
                                         nn.GlobalAveragePooling1D, nn.GlobalMaxPooling1D])
def test_global_pooling_on_the_gpu(layer_class):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, 4, 2) if layer_class.rank == 2 else (2, 5, 2))
    cpu_pool, gpu_pool = (layer_class(dtype="float64") for _ in range(2))
    gpu_pool.to("cuda")
    np.testing.assert_allclose(gpu_pool(x).copy_to_host(), cpu_pool(x), rtol=1e-13)
    grad = rng.standard_normal((2, 2))
    np.testing.assert_allclose(gpu_pool.backward(grad).copy_to_host(), cpu_pool.backward(grad),
                               rtol=1e-13)


def test_dropout_on_the_gpu():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, 4, 2))
    cpu_drop = nn.Dropout(0.4, seed=5, dtype="float64")
    gpu_drop = nn.Dropout(0.4, seed=5, dtype="float64").to("cuda")
    np.testing.assert_allclose(gpu_drop(x, training=True).copy_to_host(),
                               cpu_drop(x, training=True), rtol=1e-15)   # same mask
    grad = rng.standard_normal(x.shape)
    np.testing.assert_allclose(gpu_drop.backward(grad).copy_to_host(), cpu_drop.backward(grad),
                               rtol=1e-15)
