"""Data stays on the device: the host-device copies of training on the GPU, counted in the
simulator with :func:`sigconv._transfers.count_transfers`.

An epoch of ``fit`` on the device with NumPy ``x`` and ``y`` copies, per batch, exactly
``x`` and ``y`` of the batch in and one scalar out (the batch's loss, penalties included,
summed on the device). Weights, gradients, optimizer slots, penalties, pooling's window
counts (cached per geometry and dtype, uploaded once) and the zeros of the backward pass
(a fill kernel) never cross.

Metrics: with ``metrics=["accuracy"]`` the metric is computed on the host from the batch's
output, so the output comes back too, one more copy per batch
(:func:`test_metrics_download_the_output_once_per_batch` pins that); the other tests
compile without metrics.
"""

import numpy as np
import pytest

from sigconv import _config, nn
from sigconv._transfers import count_transfers
from sigconv.nn.backend import cuda as cuda_backend
from sigconv.nn.kernels import cuda as kernels


@pytest.fixture(autouse=True)
def small_launches(monkeypatch):
    monkeypatch.setattr(_config, "CUDA_THREADS_PER_BLOCK", 32)
    monkeypatch.setattr(kernels, "TILE", 4)
    monkeypatch.setattr(_config, "CUDA_MAX_BLOCKS", 4)


def conv_model(device, loss="categorical_crossentropy", metrics=None):
    nn.set_random_seed(0)
    model = nn.Sequential([
        nn.Conv2D(2, 3, activation="relu", padding="same", input_shape=(6, 6, 1),
                  kernel_regularizer=nn.L2(0.01), dtype="float64"),
        nn.AveragePooling2D(2, dtype="float64"), nn.MaxPooling2D(3, dtype="float64"),
        nn.Flatten(dtype="float64"),
        nn.Dense(3, activation="softmax", kernel_regularizer=nn.L2(0.02), dtype="float64")],
        device=device)
    model.compile(optimizer=nn.Adam(0.01), loss=loss, metrics=metrics)
    model.build()
    return model


def dense_model(device, loss, activation):
    nn.set_random_seed(1)
    model = nn.Sequential([
        nn.Dense(4, activation="tanh", input_shape=(3,), kernel_regularizer=nn.L1(0.01),
                 bias_regularizer=nn.L1L2(0.01, 0.02), dtype="float64"),
        nn.BatchNormalization(dtype="float64"),
        nn.Dense(2, activation=activation, dtype="float64")], device=device)
    model.compile(optimizer=nn.SGD(0.1, momentum=0.9), loss=loss)
    model.build()
    return model


def expected_records(x, y, batch_size):
    """Per batch: x and y in, one float64 scalar out (the records count_transfers keeps)."""
    records = []
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        records += [("to_device", xb.nbytes, xb.shape), ("to_device", yb.nbytes, yb.shape),
                    ("to_host", 8, (1,))]
    return records


def images():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 6, 6, 1))
    y = nn.utils.to_categorical(rng.integers(0, 3, 5), 3).astype(np.float64)
    return x, y


def test_an_epoch_moves_the_batches_in_and_one_loss_per_batch_out():
    x, y = images()
    model = conv_model("cuda")
    cuda_backend._window_counts.cache_clear()
    with count_transfers() as first:
        model.fit(x, y, epochs=1, batch_size=2, verbose=0, shuffle=False)
    # the first epoch also uploads the average pooling's window counts, once
    counts = ("to_device", 9 * 8, (9,))
    assert first.records.count(counts) == 1
    records = list(first.records)
    records.remove(counts)
    assert records == expected_records(x, y, 2)
    with count_transfers() as second:
        model.fit(x, y, epochs=1, batch_size=2, verbose=0, shuffle=False)
    assert second.records == expected_records(x, y, 2)
    assert (second.to_device, second.to_host) == (6, 3)


def test_the_losses_summed_on_the_device_equal_the_cpu_ones():
    x, y = images()
    on_cpu, on_gpu = conv_model("cpu"), conv_model("cuda")
    history_cpu = on_cpu.fit(x, y, epochs=2, batch_size=2, verbose=0, seed=3)
    history_gpu = on_gpu.fit(x, y, epochs=2, batch_size=2, verbose=0, seed=3)
    np.testing.assert_allclose(history_gpu.history["loss"], history_cpu.history["loss"],
                               rtol=1e-10)
    for mine, theirs in zip(on_gpu.get_weights(), on_cpu.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)
    assert on_gpu.regularization_loss() == pytest.approx(on_cpu.regularization_loss(),
                                                         rel=1e-12)


@pytest.mark.parametrize(("loss", "activation"), [
    ("mse", "linear"), ("binary_crossentropy", "sigmoid"),
    (nn.BinaryCrossentropy(from_logits=True), "linear")],
    ids=["mse", "bce", "bce-logits"])
def test_mse_and_binary_crossentropy_train_on_the_device(loss, activation):
    """MSE and binary cross-entropy (value and gradient on the device), L1 and L1L2
    penalties and BatchNormalization: only the batches in and one loss per batch out, and
    the same losses and weights as on the CPU."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((7, 3))
    y = rng.integers(0, 2, (7, 2)).astype(np.float64)
    on_cpu, on_gpu = dense_model("cpu", loss, activation), dense_model("cuda", loss,
                                                                       activation)
    with count_transfers() as log:
        history_gpu = on_gpu.fit(x, y, epochs=1, batch_size=3, verbose=0, shuffle=False)
    assert log.records == expected_records(x, y, 3)
    history_cpu = on_cpu.fit(x, y, epochs=1, batch_size=3, verbose=0, shuffle=False)
    np.testing.assert_allclose(history_gpu.history["loss"], history_cpu.history["loss"],
                               rtol=1e-10)
    for mine, theirs in zip(on_gpu.get_weights(), on_cpu.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)
    # inference (BatchNormalization's moving statistics, kept on the device)
    np.testing.assert_allclose(on_gpu.predict(x, verbose=0), on_cpu.predict(x, verbose=0),
                               rtol=1e-10, atol=1e-12)
    assert on_gpu.evaluate(x, y, verbose=0) == pytest.approx(
        on_cpu.evaluate(x, y, verbose=0), rel=1e-10)


def test_metrics_download_the_output_once_per_batch():
    x, y = images()
    model = conv_model("cuda", metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=5, verbose=0)      # window counts cached
    with count_transfers() as log:
        history = model.fit(x, y, epochs=1, batch_size=5, verbose=0, shuffle=False)
    assert log.records == [("to_device", x.nbytes, x.shape), ("to_device", y.nbytes, y.shape),
                           ("to_host", 8, (1,)), ("to_host", y.nbytes, y.shape)]
    assert 0 <= history.history["accuracy"][0] <= 1


def test_regularization_loss_brings_back_one_scalar():
    model = conv_model("cuda")
    with count_transfers() as log:
        penalty = model.layers[0].regularization_loss()
    assert log.records == [("to_host", 8, (1,))]
    kernel = model.layers[0].get_weights()[0]
    assert penalty == pytest.approx(0.01 * np.sum(kernel ** 2), rel=1e-12)


@pytest.mark.parametrize("clipping", [{"clipnorm": 0.5}, {"global_clipnorm": 0.7}])
def test_clipped_steps_bring_back_the_sums_of_squares_only(clipping):
    """Optimizer slots are made on the device; clipping copies one array of the
    gradients' sums of squares to the host (not the gradients); the steps equal the
    CPU's."""
    rng = np.random.default_rng(6)
    params = {"kernel": rng.standard_normal((4, 3)), "bias": rng.standard_normal(3)}
    grads = {key: rng.standard_normal(value.shape) for key, value in params.items()}
    on_cpu = {key: value.copy() for key, value in params.items()}
    on_gpu = {key: cuda_backend.asarray(value, np.float64) for key, value in params.items()}
    device_grads = {key: cuda_backend.asarray(value, np.float64)
                    for key, value in grads.items()}
    cpu_optimizer, gpu_optimizer = (nn.Adam(0.1, **clipping) for _ in range(2))
    for _ in range(2):
        cpu_optimizer.apply(grads, on_cpu)
        with count_transfers() as log:
            gpu_optimizer.apply(device_grads, on_gpu)
        assert log.records == [("to_host", 16, (2,))]
    for key, value in on_cpu.items():
        np.testing.assert_allclose(on_gpu[key].copy_to_host(), value, rtol=1e-12)
