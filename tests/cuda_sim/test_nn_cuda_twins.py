"""GPU twins of the neural-network kernels against their CPU twins (simulator or GPU)."""

import numpy as np
import pytest

from sigconv import _config, nn
from sigconv.nn import functional
from sigconv.nn.kernels import cpu
from sigconv.nn.kernels import cuda as kernels


@pytest.fixture(autouse=True)
def small_launches(monkeypatch):
    monkeypatch.setattr(_config, "CUDA_THREADS_PER_BLOCK", 16)
    monkeypatch.setattr(kernels, "TILE", 4)   # several tiles per matrix, few threads
    monkeypatch.setattr(_config, "CUDA_MAX_BLOCKS", 3)


GEOMETRIES = [((5, 4), (3, 2), (1, 1), (1, 1), "same"), ((6, 5), (2, 2), (2, 2), (1, 1), "same"),
              ((7, 6), (2, 3), (1, 1), (2, 1), "valid"), ((5, 5), (3, 3), (2, 1), (1, 1), "valid")]


@pytest.mark.parametrize("args", GEOMETRIES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_patches_and_adjoint_twins(args, dtype):
    rng = np.random.default_rng(0)
    geometry = functional.window_geometry(*args)
    x = rng.standard_normal((2, *args[0], 3)).astype(dtype)
    lines = 2 * geometry.out_size[0]
    cols_cpu = np.empty((lines * geometry.out_size[1], geometry.taps, 3), dtype)
    cols_gpu = np.empty_like(cols_cpu)
    cpu.patches_serial(x, cols_cpu, 0, lines, geometry.kernel_tuple, dtype(-1))
    kernels.patches(x, cols_gpu, 0, lines, geometry.kernel_tuple, dtype(-1))
    np.testing.assert_array_equal(cols_gpu, cols_cpu)
    grad = rng.standard_normal(cols_cpu.shape).astype(dtype)
    dx_cpu, dx_gpu = np.zeros_like(x), np.zeros_like(x)
    first = geometry.out_size[0] + 1   # a chunk that starts inside the second image
    cpu.patches_adjoint_serial(grad[first * geometry.out_size[1]:], dx_cpu, first, lines,
                               geometry.kernel_tuple)
    kernels.patches_adjoint(grad[first * geometry.out_size[1]:], dx_gpu, first, lines,
                            geometry.kernel_tuple)
    np.testing.assert_allclose(dx_gpu, dx_cpu, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", [(5, 7, 3), (17, 20, 9), (16, 16, 16)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gemm_twin(shape, dtype):
    rng = np.random.default_rng(1)
    m, k, n = shape
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    np.testing.assert_allclose(kernels.gemm(a, b), a @ b, rtol=1e-5, atol=1e-5)


def test_pooling_twins():
    rng = np.random.default_rng(2)
    cols = rng.standard_normal((11, 4, 3))
    out_cpu, out_gpu = np.empty((11, 3)), np.empty((11, 3))
    arg_cpu, arg_gpu = np.empty((11, 3), np.int32), np.empty((11, 3), np.int32)
    cpu.max_over_taps_serial(cols, out_cpu, arg_cpu)
    kernels.max_over_taps(cols, out_gpu, arg_gpu)
    np.testing.assert_array_equal(out_gpu, out_cpu)
    np.testing.assert_array_equal(arg_gpu, arg_cpu)
    grad = rng.standard_normal((11, 3))
    back_cpu, back_gpu = np.empty_like(cols), np.empty_like(cols)
    cpu.scatter_to_taps_serial(grad, arg_cpu, back_cpu)
    kernels.scatter_to_taps(grad, arg_cpu, back_gpu)
    np.testing.assert_array_equal(back_gpu, back_cpu)


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
def test_activation_twins(kind):
    rng = np.random.default_rng(3)
    z = rng.standard_normal((9, 4)) * 3
    bias = rng.standard_normal(4)
    on_cpu, on_gpu = z.copy(), z.copy()
    cpu.activate_serial(on_cpu, bias, kind, 0.2)
    kernels.activate(on_gpu, bias, kind, 0.2)
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=1e-13, atol=1e-13)
    grad = rng.standard_normal(z.shape)
    out_cpu, out_gpu = np.empty_like(z), np.empty_like(z)
    cpu.derivative_serial(grad, on_cpu, out_cpu, kind, 0.2)
    kernels.derivative(grad, on_cpu, out_gpu, kind, 0.2)
    np.testing.assert_allclose(out_gpu, out_cpu, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_twin(momentum, nesterov):
    rng = np.random.default_rng(4)
    w, g, m = (rng.standard_normal(37) for _ in range(3))
    w2, m2 = w.copy(), m.copy()
    cpu.sgd_update(w, g, m, 0.1, momentum, 0.5, 0.3, nesterov)
    kernels.sgd_update(w2, g, m2, 0.1, momentum, 0.5, 0.3, nesterov)
    np.testing.assert_allclose(w2, w, rtol=1e-14)
    np.testing.assert_allclose(m2, m, rtol=1e-14)


def test_adam_twin():
    rng = np.random.default_rng(5)
    w, g, m = (rng.standard_normal(29) for _ in range(3))
    v = rng.uniform(0, 1, 29)
    w2, m2, v2 = w.copy(), m.copy(), v.copy()
    args = (0.01, 0.1, 0.001, 1e-7, 1.0, np.inf)
    cpu.adam_update(w, g, m, v, *args)
    kernels.adam_update(w2, g, m2, v2, *args)
    for mine, theirs in ((w2, w), (m2, m), (v2, v)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-14)


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_rmsprop_twin(centered, momentum):
    rng = np.random.default_rng(6)
    w, g, m = (rng.standard_normal(23) for _ in range(3))
    v = rng.uniform(0.5, 1, 23)
    average = rng.uniform(-0.1, 0.1, 23)   # a centred variance v - average**2 stays > 0
    copies = [a.copy() for a in (w, v, m, average)]
    args = (0.01, 0.9, 0.1, momentum, 1e-7, 1.0, np.inf, centered)
    cpu.rmsprop_update(w, g, v, m, average, *args)
    kernels.rmsprop_update(copies[0], g, copies[1], copies[2], copies[3], *args)
    for mine, theirs in zip(copies, (w, v, m, average), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-13)


def test_gemm_with_transposes_and_accumulation():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((6, 5)), rng.standard_normal((7, 6))
    np.testing.assert_allclose(kernels.gemm(a, b, trans_a=True, trans_b=True), a.T @ b.T,
                               rtol=1e-12)
    out = rng.standard_normal((5, 5))
    expected = out + a.T @ a
    kernels.gemm(a, a, out=out, trans_a=True, accumulate=True)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


@pytest.mark.parametrize("loss", [nn.CategoricalCrossentropy(),
                                  nn.CategoricalCrossentropy(from_logits=True),
                                  nn.SparseCategoricalCrossentropy(),
                                  nn.SparseCategoricalCrossentropy(from_logits=True)],
                         ids=["probabilities", "logits", "sparse", "sparse-logits"])
def test_crossentropy_twin(loss):
    rng = np.random.default_rng(9)
    logits = rng.standard_normal((6, 4)) * 2
    labels = rng.integers(0, 4, 6)
    sparse = isinstance(loss, nn.SparseCategoricalCrossentropy)
    targets = labels if sparse else nn.utils.to_categorical(labels, 4).astype(np.float64)
    z = logits if loss.from_logits else np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    losses, grad = kernels.crossentropy(z, targets.reshape(6, 1).astype(np.float64) if sparse
                                        else targets, sparse, loss.from_logits)
    assert losses.copy_to_host().mean() == pytest.approx(loss(targets, z), rel=1e-12)
    expected = (loss.gradient(targets, z) if loss.from_logits
                else loss.gradient_from_softmax(targets, z))
    np.testing.assert_allclose(grad.copy_to_host(), expected, rtol=1e-12, atol=1e-15)
