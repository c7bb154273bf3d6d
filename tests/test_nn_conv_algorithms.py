"""The convolution algorithms of sigconv.nn (gemm, winograd2, winograd4, fft, direct): each
against the float64 NumPy reference, each backward pass as the exact adjoint of its
forward pass, float64 finite differences through the layers, all of them agreeing with
each other, their float32 error bounds, their refusals, and what "auto" picks."""

import nn_reference as ref
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sigconv import _config, nn
from sigconv.datasets import load_digits
from sigconv.nn import functional

pytestmark = pytest.mark.kernel

ALGORITHMS = functional.CONV_ALGORITHMS
# float32 error against the float64 reference, relative to the largest value (about 10x the
# measured worst cases; see test_float32_error_bounds)
REL_ERROR_32 = {"gemm": 1e-5, "direct": 2e-5, "winograd2": 1e-5, "winograd4": 5e-5,
                "fft": 1e-5}


def random(rng, shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


@st.composite
def setups(draw, rank=2, kernels=(3, 3, 1, 2, 5, 7), plain=False):
    """A convolution that Winograd applies to more often than not, with awkward sizes
    (``plain``: strides 1, no dilation)."""
    seed = draw(st.integers(0, 2**32 - 1))
    spatial = tuple(draw(st.integers(1, 11)) for _ in range(rank))
    kernel = tuple(draw(st.sampled_from(kernels)) for _ in range(rank))
    strides = tuple(draw(st.sampled_from((1,) if plain else (1, 1, 1, 2)))
                    for _ in range(rank))
    dilation = (1,) * rank if max(strides) > 1 or plain else \
        tuple(draw(st.sampled_from((1, 1, 2))) for _ in range(rank))
    padding = draw(st.sampled_from(("valid", "same")))
    if padding == "valid":
        assume(all((k - 1) * d + 1 <= n for k, d, n in zip(kernel, dilation, spatial,
                                                             strict=True)))
    shape = (draw(st.integers(1, 3)), *spatial, draw(st.integers(1, 4)))
    return dict(seed=seed, shape=shape, kernel_size=kernel, strides=strides,
                dilation_rate=dilation, padding=padding, filters=draw(st.integers(1, 4)))


def problem(setup, dtype=np.float64):
    """x, kernel, output gradient and geometry of a 2-D setup."""
    rng = np.random.default_rng(setup["seed"])
    geometry = functional.window_geometry(setup["shape"][1:3], setup["kernel_size"],
                                          setup["strides"], setup["dilation_rate"],
                                          setup["padding"])
    x = random(rng, setup["shape"], dtype)
    kernel = random(rng, (*setup["kernel_size"], setup["shape"][-1], setup["filters"]), dtype)
    grad = random(rng, (setup["shape"][0], *geometry.out_size, setup["filters"]), dtype)
    return x, kernel, grad, geometry


def applicable(geometry, in_channels, filters, dtype=np.float64):
    return [name for name in ALGORITHMS
            if functional.algorithm_misfit(name, geometry, in_channels, filters, dtype) is None]


@given(setups())
def test_every_algorithm_matches_the_reference_and_is_its_own_adjoint(setup):
    """Forward equals the float64 reference; <A x, y> == <x, A^T y> and likewise for the
    kernel, so each backward pass is the exact transpose of its own forward pass."""
    x, kernel, grad, geometry = problem(setup)
    expected = ref.conv2d(x, kernel, None, setup["strides"], setup["padding"],
                          setup["dilation_rate"])
    names = applicable(geometry, x.shape[3], kernel.shape[3])
    assert "gemm" in names
    for name in names:
        out = functional.conv_forward(x, kernel, geometry, algorithm=name)
        np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10, err_msg=name)
        dx, dkernel = functional.conv_backward(x, grad, kernel, geometry, algorithm=name)
        inner = np.vdot(out, grad)
        assert np.vdot(x, dx) == pytest.approx(inner, rel=1e-10, abs=1e-10), name
        assert np.vdot(kernel, dkernel) == pytest.approx(inner, rel=1e-10, abs=1e-10), name


@given(setups())
def test_all_algorithms_agree_in_float32(setup):
    """Every applicable algorithm gives gemm's forward and gradients, within its bound."""
    x, kernel, grad, geometry = problem(setup, np.float32)
    reference = [functional.conv_forward(x, kernel, geometry, algorithm="gemm"),
                 *functional.conv_backward(x, grad, kernel, geometry, algorithm="gemm")]
    for name in applicable(geometry, x.shape[3], kernel.shape[3], np.float32):
        mine = [functional.conv_forward(x, kernel, geometry, algorithm=name),
                *functional.conv_backward(x, grad, kernel, geometry, algorithm=name)]
        for a, b, what in zip(mine, reference, ("output", "dx", "dkernel"), strict=True):
            assert a.dtype == np.float32 and a.shape == b.shape, (name, what)
            scale = max(float(np.abs(b).max()), 1.0)
            assert float(np.abs(a - b).max()) <= 4 * REL_ERROR_32[name] * scale, (name, what)


@pytest.mark.parametrize("name", ALGORITHMS)
@pytest.mark.parametrize("rank", [1, 2])
def test_layer_gradients_by_finite_differences(name, rank):
    """float64 central differences through a Conv layer that runs ``name``."""
    rng = np.random.default_rng(7)
    kernel = 3 if name.startswith("winograd") else 4
    shape = (2, 9, 3) if rank == 1 else (2, 7, 6, 3)
    cls = nn.Conv1D if rank == 1 else nn.Conv2D
    layer = cls(4, kernel, padding="same", activation="tanh", algorithm=name,
                bias_initializer="glorot_uniform", kernel_regularizer=nn.L2(0.01),
                dtype="float64")
    errors = nn.check_gradients(layer, random(rng, shape))
    assert set(errors) == {"input", "kernel", "bias"}
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("name", ALGORITHMS)
def test_layer_runs_the_algorithm_it_names(name, monkeypatch):
    """An explicit algorithm= is the one that runs, forward and backward."""
    calls = []
    original = functional._algorithm

    def spy(algorithm):
        calls.append(algorithm)
        return original(algorithm)

    monkeypatch.setattr(functional, "_algorithm", spy)
    layer = nn.Conv2D(3, 3, padding="same", algorithm=name, input_shape=(6, 6, 2))
    y = layer.forward(random(np.random.default_rng(0), (2, 6, 6, 2), np.float32),
                      training=True)
    layer.backward(np.ones_like(y))
    assert len(calls) >= 2 and set(calls) == {name}
    assert layer.get_config()["algorithm"] == name
    assert nn.Conv2D.from_config(layer.get_config()).algorithm == name


@pytest.fixture(scope="module")
def trained_digits_layer():
    """The second 3x3 layer of a small CNN trained for 3 epochs on scikit-learn's digits,
    and the activations it sees: real weights and real inputs."""
    images, labels = load_digits()
    model = nn.Sequential([
        nn.Conv2D(16, 3, padding="same", activation="relu", input_shape=(8, 8, 1),
                  algorithm="gemm"),
        nn.Conv2D(32, 3, padding="same", activation="relu", algorithm="gemm"),
        nn.Flatten(), nn.Dense(10)])
    model.compile(optimizer=nn.Adam(1e-3),
                  loss=nn.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(images[:1000] / 16, labels[:1000], epochs=3, batch_size=50, verbose=0,
              seed=0)
    inputs = model.layers[0].forward(images[1000:1200] / 16).astype(np.float64)
    return inputs, model.layers[1].get_weights()[0].astype(np.float64)


def test_float32_error_bounds(trained_digits_layer):
    """The float32 error of each algorithm against the float64 reference, relative to the
    largest value, on random data and on a trained layer with its real inputs, is within
    the bound of REL_ERROR_32 (measured: about 5e-6 for winograd4, below 1e-6 for the
    others), for the output and both gradients."""
    rng = np.random.default_rng(11)
    inputs, weights = trained_digits_layer
    problems = {"random": (rng.standard_normal((8, 32, 32, 32)),
                           rng.standard_normal((3, 3, 32, 64))),
                "trained": (inputs, weights)}
    for x, kernel in problems.values():
        geometry = functional.window_geometry(x.shape[1:3], (3, 3), (1, 1), (1, 1), "same")
        grad = rng.standard_normal((*x.shape[:3], kernel.shape[3]))
        exact = [ref.conv2d(x, kernel, None, (1, 1), "same", (1, 1)),
                 *functional.conv_backward(x, grad, kernel, geometry, algorithm="gemm")]
        x32, kernel32, grad32 = (a.astype(np.float32) for a in (x, kernel, grad))
        for name in applicable(geometry, x.shape[3], kernel.shape[3], np.float32):
            mine = [functional.conv_forward(x32, kernel32, geometry, algorithm=name),
                    *functional.conv_backward(x32, grad32, kernel32, geometry,
                                              algorithm=name)]
            for a, b, what in zip(mine, exact, ("output", "dx", "dkernel"), strict=True):
                error = float(np.abs(a - b).max()) / float(np.abs(b).max())
                assert error <= REL_ERROR_32[name], (name, what, error)


def test_training_with_auto_stays_within_gemms_error():
    """30 float32 training steps of a small tanh CNN with each algorithm, and with "auto":
    with SGD (momentum) the weights end within 10x of gemm's own float32 distance from the
    float64 run; with Adam, whose normalised steps turn rounding
    in near-zero gradients into steps of the learning rate's size, the losses of every step
    stay within 1e-4 (relative) of the float64 run, as gemm's do. (tanh, not relu: a relu
    unit sitting on its kink flips under any rounding, gemm's included, and a flip moves
    the weights by a whole learning-rate step.)"""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 12, 12, 4))
    labels = rng.integers(0, 5, 32)
    probe = nn.Sequential([nn.Conv2D(16, 3, padding="same", input_shape=(12, 12, 4)),
                           nn.Conv2D(16, 3), nn.Flatten(), nn.Dense(5)])
    initial = [w.astype(np.float64) for w in probe.get_weights()]

    def train(algorithm, dtype, optimizer):
        model = nn.Sequential([
            nn.Conv2D(16, 3, padding="same", activation="tanh", algorithm=algorithm,
                      input_shape=(12, 12, 4), dtype=dtype),
            nn.Conv2D(16, 3, activation="tanh", algorithm=algorithm, dtype=dtype),
            nn.Flatten(dtype=dtype), nn.Dense(5, dtype=dtype)])
        model.compile(optimizer=optimizer,
                      loss=nn.SparseCategoricalCrossentropy(from_logits=True))
        model.set_weights([w.astype(dtype) for w in initial])
        losses = [float(model.train_on_batch(x.astype(dtype), labels)) for _ in range(30)]
        weights = np.concatenate([w.ravel().astype(np.float64) for w in model.get_weights()])
        return weights, np.array(losses)

    sgd = {dtype: train("gemm", dtype, nn.SGD(0.01, momentum=0.9))[0]
           for dtype in ("float64", "float32")}
    gemm_error = np.abs(sgd["float32"] - sgd["float64"]).max()
    adam = train("gemm", "float64", nn.Adam(1e-3))[1]
    assert np.abs(train("gemm", "float32", nn.Adam(1e-3))[1] / adam - 1).max() < 1e-4
    for algorithm in ("auto", *ALGORITHMS):       # whichever auto picks, each holds
        weights = train(algorithm, "float32", nn.SGD(0.01, momentum=0.9))[0]
        error = np.abs(weights - sgd["float64"]).max()
        assert error <= 10 * gemm_error, (algorithm, error, gemm_error)
        losses = train(algorithm, "float32", nn.Adam(1e-3))[1]
        assert np.abs(losses / adam - 1).max() < 1e-4, algorithm


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")   # gemm's own, on inf
@pytest.mark.parametrize("name", ["winograd2", "winograd4"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_values_act_as_in_gemm(name, bad):
    """inf and NaN reach the outputs whose windows read them, as in the direct definition:
    Winograd does not spread them over its tiles (it hands such calls to gemm)."""
    rng = np.random.default_rng(5)
    geometry = functional.window_geometry((9, 9), (3, 3), (1, 1), (1, 1), "same")
    x, kernel = random(rng, (2, 9, 9, 3)), random(rng, (3, 3, 3, 2))
    grad = random(rng, (2, 9, 9, 2))
    for where in ("x", "kernel", "grad"):
        xs, ks, gs = x.copy(), kernel.copy(), grad.copy()
        {"x": xs, "kernel": ks, "grad": gs}[where].flat[7] = bad
        for mine, gemm in zip(
                [functional.conv_forward(xs, ks, geometry, algorithm=name),
                 *functional.conv_backward(xs, gs, ks, geometry, algorithm=name)],
                [functional.conv_forward(xs, ks, geometry, algorithm="gemm"),
                 *functional.conv_backward(xs, gs, ks, geometry, algorithm="gemm")],
                strict=True):
            np.testing.assert_array_equal(np.isnan(mine), np.isnan(gemm))
            np.testing.assert_array_equal(np.isinf(mine), np.isinf(gemm))


@pytest.mark.parametrize("kwargs, message", [
    (dict(kernel_size=3, strides=2, algorithm="winograd4"), "strides 1"),
    (dict(kernel_size=5, algorithm="winograd2"), "3x3"),
    (dict(kernel_size=3, dilation_rate=2, algorithm="winograd4"), "dilation"),
    (dict(kernel_size=1, algorithm="winograd4"), "3x3"),
    (dict(kernel_size=3, algorithm="fast"), "algorithm"),
    (dict(kernel_size=3, algorithm=4), "algorithm"),
])
def test_layer_refuses_an_algorithm_that_does_not_apply(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message) as info:
        nn.Conv2D(2, **kwargs)
    assert "algorithm" in str(info.value)


def test_functional_refuses_an_algorithm_that_does_not_apply():
    geometry = functional.window_geometry((8, 8), (3, 3), (2, 2), (1, 1), "same")
    x, kernel = np.zeros((1, 8, 8, 2)), np.zeros((3, 3, 2, 2))
    with pytest.raises(ValueError, match="algorithm='winograd4'.*strides 1"):
        functional.conv_forward(x, kernel, geometry, algorithm="winograd4")
    with pytest.raises(ValueError, match="algorithm"):
        functional.conv_backward(x, np.zeros((1, 4, 4, 2)), kernel, geometry,
                                 algorithm="winograd2")
    geometry = functional.window_geometry((8, 8), (3, 3), (1, 1), (1, 1), "same")
    with pytest.raises(ValueError, match="cols"):
        functional.conv_backward(x, np.zeros((1, 8, 8, 2)), kernel, geometry,
                                 cols=np.zeros((64, 9, 2)), algorithm="winograd4")


@given(setups(), st.booleans(), st.sampled_from((1, 8, 64, 256)))
def test_auto_picks_an_algorithm_that_applies(setup, training, batch):
    geometry = problem(setup)[3]
    name = functional.choose_conv_algorithm(batch, geometry, setup["shape"][-1],
                                            setup["filters"], training=training)
    assert name in ALGORITHMS
    assert functional.algorithm_misfit(name, geometry, setup["shape"][-1], setup["filters"],
                                       np.float32) is None


def test_auto_picks_winograd_for_the_benchmark_layer_and_gemm_where_it_cannot():
    same = functional.window_geometry((32, 32), (3, 3), (1, 1), (1, 1), "same")
    strided = functional.window_geometry((32, 32), (3, 3), (2, 2), (1, 1), "same")
    assert functional.choose_conv_algorithm(64, same, 32, 64).startswith("winograd")
    assert functional.choose_conv_algorithm(64, strided, 32, 64) in ("gemm", "direct")


def test_threaded_winograd_equals_single_thread(monkeypatch):
    """Many chunks on several threads give the one-chunk, one-thread result."""
    rng = np.random.default_rng(2)
    geometry = functional.window_geometry((13, 10), (3, 3), (1, 1), (1, 1), "same")
    x, kernel = random(rng, (5, 13, 10, 3)), random(rng, (3, 3, 3, 4))
    grad = random(rng, (5, 13, 10, 4))
    for name in ("winograd2", "winograd4"):
        monkeypatch.setattr(_config, "NN_THREADED_MIN_MACS", 10**12)
        single = [functional.conv_forward(x, kernel, geometry, algorithm=name),
                  *functional.conv_backward(x, grad, kernel, geometry, algorithm=name)]
        monkeypatch.setattr(_config, "NN_THREADED_MIN_MACS", 0)
        monkeypatch.setattr(_config, "NN_WINOGRAD_CHUNK_TILES", 3)
        many = [functional.conv_forward(x, kernel, geometry, algorithm=name),
                *functional.conv_backward(x, grad, kernel, geometry, algorithm=name)]
        monkeypatch.undo()
        for a, b in zip(many, single, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("m", [2, 4])
@given(setups(kernels=(3,), plain=True))
def test_winograd_matches_its_numpy_reference(m, setup):
    """The numba Winograd equals the algorithm spelled out tile by tile in NumPy: exactly
    in float64 (to rounding), and in float32 far closer than either is to the exact
    result (the same transforms round the same way)."""
    x, kernel, _, geometry = problem(setup)
    name = f"winograd{m}"
    expected = ref.winograd_conv2d(x, kernel, m, setup["padding"])
    np.testing.assert_allclose(ref.conv2d(x, kernel, None, (1, 1), setup["padding"],
                                          (1, 1)), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(functional.conv_forward(x, kernel, geometry, algorithm=name),
                               expected, rtol=1e-12, atol=1e-12)
    x32, kernel32 = x.astype(np.float32), kernel.astype(np.float32)
    mine = functional.conv_forward(x32, kernel32, geometry, algorithm=name)
    numpy32 = ref.winograd_conv2d(x32, kernel32, m, setup["padding"])
    scale = max(float(np.abs(expected).max()), 1.0)
    assert float(np.abs(mine - numpy32).max()) <= REL_ERROR_32[name] * scale


@given(setups(plain=True))
def test_fft_matches_its_numpy_reference(setup):
    x, kernel, _, geometry = problem(setup)
    expected = ref.fft_conv2d(x, kernel, setup["padding"])
    np.testing.assert_allclose(ref.conv2d(x, kernel, None, (1, 1), setup["padding"],
                                          (1, 1)), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(functional.conv_forward(x, kernel, geometry, algorithm="fft"),
                               expected, rtol=1e-10, atol=1e-10)


GEOMETRY = functional.window_geometry((8, 8), (3, 3), (1, 1), (1, 1), "same")


@pytest.mark.parametrize("call, error, message", [
    (lambda: functional.choose_conv_algorithm(0, GEOMETRY, 2, 3), ValueError, "batch"),
    (lambda: functional.choose_conv_algorithm(1.5, GEOMETRY, 2, 3), TypeError, "batch"),
    (lambda: functional.choose_conv_algorithm(True, GEOMETRY, 2, 3), TypeError, "batch"),
    (lambda: functional.choose_conv_algorithm(4, (8, 8), 2, 3), TypeError, "geometry"),
    (lambda: functional.choose_conv_algorithm(4, GEOMETRY, -1, 3), ValueError, "in_channels"),
    (lambda: functional.choose_conv_algorithm(4, GEOMETRY, 2, "3"), TypeError, "filters"),
    (lambda: functional.choose_conv_algorithm(4, GEOMETRY, 2, 3, "int32"), TypeError,
     "dtype"),
    (lambda: functional.choose_conv_algorithm(4, GEOMETRY, 2, 3, "bogus"), TypeError,
     "dtype"),
    (lambda: functional.choose_conv_algorithm(4, GEOMETRY, 2, 3, training="yes"),
     TypeError, "training"),
    (lambda: functional.conv_work("fast", 4, GEOMETRY, 2, 3), ValueError, "algorithm"),
    (lambda: functional.conv_work("gemm", 0, GEOMETRY, 2, 3), ValueError, "batch"),
    (lambda: functional.algorithm_misfit("auto", GEOMETRY, 2, 3, "float32"), ValueError,
     "algorithm"),
    (lambda: functional.algorithm_misfit("fft", GEOMETRY, 0, 3, "float32"), ValueError,
     "in_channels"),
])
def test_the_chooser_refuses_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_conv_work_counts_what_the_algorithms_do():
    """gemm: every window's multiply-adds per pass; Winograd F(4, 3): 36 per 16 outputs."""
    geometry = functional.window_geometry((8, 8), (3, 3), (1, 1), (1, 1), "same")
    assert functional.conv_work("gemm", 2, geometry, 3, 5, training=False)[0] \
        == 2 * 64 * 9 * 3 * 5
    assert functional.conv_work("winograd4", 2, geometry, 3, 5)[0] == 3 * 2 * 4 * 36 * 3 * 5
