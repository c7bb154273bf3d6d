"""The optimizers' CUDA twins against the CPU kernels (simulator or GPU): each update
kernel, and whole steps of every optimizer on device arrays (weight decay, clipping,
schedules, EMA with overwrite, amsgrad, Nadam's product), state and finalize included."""

import numpy as np
import pytest
from numba import cuda

from sigconv import _config
from sigconv.nn import _checks
from sigconv.nn.kernels import cpu
from sigconv.nn.kernels import cuda as kernels
from sigconv.nn.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    RMSprop,
    schedules,
)


@pytest.fixture(autouse=True)
def small_launches(monkeypatch):
    monkeypatch.setattr(_config, "CUDA_THREADS_PER_BLOCK", 16)
    monkeypatch.setattr(_config, "CUDA_MAX_BLOCKS", 3)   # grid-stride loops run


def arrays(rng, n, count, positive=()):
    return [rng.uniform(0.1, 1, n) if k in positive else rng.standard_normal(n)
            for k in range(count)]


KERNELS = [   # name, number of arrays (w, g, slots...), positive slots, scalars
    ("adam_update", 4, {3}, (0.01, 0.1, 0.001, 1e-7, 0.5, 0.8)),
    ("amsgrad_update", 5, {3, 4}, (0.01, 0.1, 0.001, 1e-7, 1.0, np.inf)),
    ("adagrad_update", 3, {2}, (0.1, 1e-7, 0.7, 0.4)),
    ("adadelta_update", 4, {2, 3}, (1.0, 0.95, 0.05, 1e-6, 1.0, np.inf)),
    ("adamax_update", 4, {3}, (0.01, 0.1, 0.999, 0.19, 1e-7, 1.0, 0.5)),
    ("nadam_update", 4, {3}, (0.01, 0.1, 0.001, 0.45, 0.8, 0.55, 0.6, 0.002, 1e-7, 0.9,
                              np.inf)),
]


@pytest.mark.parametrize(("name", "count", "positive", "scalars"), KERNELS,
                         ids=[k[0] for k in KERNELS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_update_kernel_twins(name, count, positive, scalars, dtype):
    rng = np.random.default_rng(count)
    host = [a.astype(dtype) for a in arrays(rng, 37, count, positive)]
    twin = [a.copy() for a in host]
    typed = tuple(dtype(s) for s in scalars)
    getattr(cpu, name)(*host, *typed)
    getattr(kernels, name)(*twin, *typed)
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    for k, (mine, theirs) in enumerate(zip(twin, host, strict=True)):
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=rtol, err_msg=f"array {k}")


def test_adam_twin_without_amsgrad_leaves_v_alone_once():
    """The GPU adam_update passes v for the unread v_hat: v must come back updated."""
    rng = np.random.default_rng(9)
    w, g, m = arrays(rng, 21, 3)
    v = rng.uniform(0, 1, 21)
    host = [w, g, m, v]
    twin = [a.copy() for a in host]
    cpu.adam_update(*host, 0.01, 0.1, 0.001, 1e-7, 1.0, np.inf)
    kernels.adam_update(*twin, 0.01, 0.1, 0.001, 1e-7, 1.0, np.inf)
    for mine, theirs in zip(twin, host, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-13)


@pytest.mark.parametrize("overwrite", [False, True])
def test_weight_decay_and_ema_twins(overwrite):
    rng = np.random.default_rng(2)
    w, average = arrays(rng, 29, 2)
    w2, average2 = w.copy(), average.copy()
    cpu.weight_decay_update(w, 0.1, 0.05)
    kernels.weight_decay_update(w2, 0.1, 0.05)
    np.testing.assert_allclose(w2, w, rtol=1e-15)
    cpu.ema_update(average, w, 0.9, 0.1, overwrite)
    kernels.ema_update(average2, w2, 0.9, 0.1, overwrite)
    np.testing.assert_allclose(average2, average, rtol=1e-15)
    np.testing.assert_allclose(w2, w, rtol=1e-15)
    if overwrite:
        np.testing.assert_array_equal(w, average)


CONFIGS = [
    (SGD, {"learning_rate": schedules.ExponentialDecay(0.1, 2, 0.5), "momentum": 0.9,
           "nesterov": True, "weight_decay": 0.1}),
    (Adam, {"learning_rate": 0.01, "amsgrad": True, "clipnorm": 0.5}),
    (Adam, {"learning_rate": 0.01, "use_ema": True, "ema_overwrite_frequency": 2}),
    (AdamW, {"learning_rate": schedules.CosineDecay(0.001, 4, warmup_target=0.01,
                                                    warmup_steps=2)}),
    (Nadam, {"learning_rate": 0.01, "global_clipnorm": 1.0}),
    (RMSprop, {"learning_rate": 0.01, "centered": True, "momentum": 0.5, "use_ema": True}),
    (Adagrad, {"learning_rate": 0.1, "weight_decay": 0.05, "clipvalue": 0.5}),
    (Adadelta, {"learning_rate": 1.0, "use_ema": True, "ema_momentum": 0.5,
                "ema_overwrite_frequency": 3}),
    (Adamax, {"learning_rate": 0.01, "weight_decay": 0.01}),
]


@pytest.mark.parametrize(("cls", "config"), CONFIGS,
                         ids=[f"{c.__name__}{i}" for i, (c, _) in enumerate(CONFIGS)])
def test_steps_on_the_device_equal_the_cpu(cls, config):
    rng = np.random.default_rng(5)
    shapes = {"dense/kernel": (4, 3), "dense/bias": (3,)}
    host = {k: rng.standard_normal(s) for k, s in shapes.items()}
    device = {k: cuda.to_device(w) for k, w in host.items()}
    on_cpu, on_gpu = cls(**config), cls(**config)
    for _ in range(5):
        grads = {k: rng.standard_normal(s) * 2 for k, s in shapes.items()}
        on_cpu.apply(grads, host)
        on_gpu.apply({k: cuda.to_device(g) for k, g in grads.items()}, device)
    assert on_gpu.iterations == on_cpu.iterations == 5
    for key, w in host.items():
        np.testing.assert_allclose(device[key].copy_to_host(), w, rtol=1e-12, atol=1e-13,
                                   err_msg=key)
    for state in on_gpu._states.values():        # the slots stayed on the device
        assert all(_checks.on_device(slot) for slot in state.slots)
        assert state.ema is None or _checks.on_device(state.ema)
    cpu_state, gpu_state = on_cpu.get_state(), on_gpu.get_state()
    assert cpu_state.keys() == gpu_state.keys()
    for name, value in cpu_state.items():
        assert isinstance(gpu_state[name], np.ndarray)
        np.testing.assert_allclose(gpu_state[name], value, rtol=1e-12, atol=1e-13,
                                   err_msg=name)
    on_cpu.finalize_variable_values(host)
    on_gpu.finalize_variable_values(device)
    for key, w in host.items():
        np.testing.assert_allclose(device[key].copy_to_host(), w, rtol=1e-12, atol=1e-13)


def test_state_from_the_host_continues_on_the_device():
    rng = np.random.default_rng(8)
    host = {"w": rng.standard_normal(6)}
    optimizer = Nadam(0.01, use_ema=True, weight_decay=0.01)
    for _ in range(2):
        optimizer.apply({"w": rng.standard_normal(6)}, host)
    restored = Nadam.from_config(optimizer.get_config())
    restored.set_state(optimizer.get_state())
    device = {"w": cuda.to_device(host["w"])}
    for _ in range(2):
        g = rng.standard_normal(6)
        optimizer.apply({"w": g}, host)
        restored.apply({"w": cuda.to_device(g)}, device)
    np.testing.assert_allclose(device["w"].copy_to_host(), host["w"], rtol=1e-12)
    np.testing.assert_allclose(restored.get_state()["ema/w"], optimizer.get_state()["ema/w"],
                               rtol=1e-12)
