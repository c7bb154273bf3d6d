"""sigconv.nn layers: forward against the NumPy references, gradients against finite
differences, the adjoint identity of the windowing primitive, and bad input."""

import nn_reference as ref
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sigconv import _config, nn
from sigconv.nn import functional
from sigconv.nn.kernels import cpu

pytestmark = pytest.mark.kernel

DTYPES = (np.float32, np.float64)
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}
GRAD_TOL = 1e-6


def random(rng, shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


@st.composite
def conv_setups(draw, rank=2):
    """A batch, a kernel and window arguments, some of them awkward."""
    seed = draw(st.integers(0, 2**32 - 1))
    spatial = tuple(draw(st.integers(1, 8)) for _ in range(rank))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    if max(strides) == 1:
        dilation = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    else:
        dilation = (1,) * rank
    padding = draw(st.sampled_from(("valid", "same")))
    if padding == "valid":
        assume(all((k - 1) * d + 1 <= n for k, d, n in zip(kernel, dilation, spatial,
                                                             strict=True)))
    batch = draw(st.integers(1, 3))
    channels = draw(st.integers(1, 3))
    filters = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from(DTYPES))
    return dict(seed=seed, shape=(batch, *spatial, channels), kernel_size=kernel,
                strides=strides, dilation_rate=dilation, padding=padding, filters=filters,
                dtype=dtype)


def as_2d(value, rank):
    return value if rank == 2 else (1, *value)


# --- the windowing primitive -----------------------------------------------------------

@given(conv_setups())
def test_patches_adjoint_identity(setup):
    """<patches(x), c> == <x, patches_adjoint(c)> for every geometry, edges included."""
    rng = np.random.default_rng(setup["seed"])
    x = random(rng, setup["shape"])
    geometry = functional.window_geometry(setup["shape"][1:3], setup["kernel_size"],
                                          setup["strides"], setup["dilation_rate"],
                                          setup["padding"])
    cols = functional.patches(x, geometry)
    other = random(rng, cols.shape)
    back = functional.patches_adjoint(other, geometry, np.zeros_like(x))
    assert np.vdot(cols, other) == pytest.approx(np.vdot(x, back), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("parallel", [False, True])
def test_patches_serial_equals_parallel_and_chunks(parallel):
    rng = np.random.default_rng(0)
    x = random(rng, (3, 9, 7, 2))
    geometry = functional.window_geometry((9, 7), (3, 2), (2, 1), (1, 1), "same")
    whole = functional.patches(x, geometry, parallel=parallel)
    lines = 3 * geometry.out_size[0]
    parts = [functional.patches(x, geometry, 0.0, a, b, parallel=not parallel)
             for a, b in ((0, 4), (4, 11), (11, lines))]
    np.testing.assert_array_equal(whole, np.concatenate(parts))
    grad = random(rng, whole.shape)
    dx = functional.patches_adjoint(grad, geometry, np.zeros_like(x), parallel=parallel)
    pieces = np.zeros_like(x)
    ow = geometry.out_size[1]
    for a, b in ((0, 4), (4, 11), (11, lines)):
        functional.patches_adjoint(grad[a * ow:b * ow], geometry, pieces, a, b,
                                   parallel=not parallel)
    np.testing.assert_allclose(dx, pieces, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize(("size", "kernel", "stride", "dilation", "expected"), [
    (5, 2, 2, 1, (3, 0)),   # TensorFlow: the odd padding row goes after
    (6, 2, 2, 1, (3, 0)),
    (6, 3, 2, 1, (3, 0)),
    (7, 4, 1, 1, (7, 1)),   # even kernel, stride 1: 3 rows of padding, 1 before
    (7, 3, 1, 2, (7, 2)),
    (1, 3, 3, 1, (1, 1)),
])
def test_same_padding_centring_is_tensorflows(size, kernel, stride, dilation, expected):
    assert functional.output_length(size, kernel, stride, dilation, "same") == expected
    assert expected[0] == ref.pads(size, kernel, stride, dilation, "same")[0]
    assert expected[1] == ref.pads(size, kernel, stride, dilation, "same")[1]


# --- convolution layers ----------------------------------------------------------------

def make_conv(setup, rank, activation=None, **kwargs):
    cls = nn.Conv2D if rank == 2 else nn.Conv1D
    return cls(setup["filters"], setup["kernel_size"], strides=setup["strides"],
               padding=setup["padding"], dilation_rate=setup["dilation_rate"],
               activation=activation, dtype=setup["dtype"], **kwargs)


@pytest.mark.parametrize("rank", [1, 2])
@given(data=st.data())
def test_conv_forward_matches_reference(rank, data):
    setup = data.draw(conv_setups(rank))
    activation = data.draw(st.sampled_from(["linear", "relu", "sigmoid", "tanh", "softmax"]))
    rng = np.random.default_rng(setup["seed"])
    x = random(rng, setup["shape"], setup["dtype"])
    layer = make_conv(setup, rank, activation, bias_initializer="glorot_uniform")
    y = layer(x)
    kernel, bias = layer.get_weights()
    x4 = x.reshape(x.shape[0], 1, *x.shape[1:]) if rank == 1 else x
    expected = ref.conv2d(x4, kernel[None] if rank == 1 else kernel, bias,
                          as_2d(setup["strides"], rank), setup["padding"],
                          as_2d(setup["dilation_rate"], rank))
    expected = ref.ACTIVATIONS[activation](expected).reshape(y.shape)
    assert y.dtype == setup["dtype"]
    assert y.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, **TOL[setup["dtype"]])


@pytest.mark.parametrize("rank", [1, 2])
@given(data=st.data())
def test_conv_gradients(rank, data):
    setup = data.draw(conv_setups(rank))
    activation = data.draw(st.sampled_from(["linear", "tanh", "sigmoid", "softmax"]))
    x = random(np.random.default_rng(setup["seed"]), setup["shape"])
    layer = make_conv(setup, rank, activation, bias_initializer="glorot_uniform",
                      kernel_regularizer=nn.L2(0.05), bias_regularizer=nn.L1(0.01))
    errors = nn.check_gradients(layer, x, seed=setup["seed"] % 1000)
    assert set(errors) == {"input", "kernel", "bias"}
    assert max(errors.values()) < GRAD_TOL, errors


@given(conv_setups())
def test_conv_adjoint_identity(setup):
    """<conv(x), y> == <x, conv_backward_input(y)> and likewise for the kernel."""
    rng = np.random.default_rng(setup["seed"])
    x = random(rng, setup["shape"])
    kernel = random(rng, (*setup["kernel_size"], setup["shape"][-1], setup["filters"]))
    geometry = functional.window_geometry(setup["shape"][1:3], setup["kernel_size"],
                                          setup["strides"], setup["dilation_rate"],
                                          setup["padding"])
    y = functional.conv_forward(x, kernel, geometry)
    other = random(rng, y.shape)
    dx, dkernel = functional.conv_backward(x, other, kernel, geometry)
    inner = np.vdot(y, other)
    assert np.vdot(x, dx) == pytest.approx(inner, rel=1e-11, abs=1e-11)
    assert np.vdot(kernel, dkernel) == pytest.approx(inner, rel=1e-11, abs=1e-11)


def test_relu_conv_gradient_away_from_the_kink():
    rng = np.random.default_rng(3)
    x = random(rng, (2, 6, 5, 2))
    layer = nn.Conv2D(3, 2, padding="same", activation="relu", dtype="float64")
    errors = nn.check_gradients(layer, x)
    assert max(errors.values()) < GRAD_TOL


@pytest.mark.parametrize("dtype", DTYPES)
def test_threaded_conv_equals_single_thread(monkeypatch, dtype):
    """The pool's split over images and chunks gives the single-thread result."""
    rng = np.random.default_rng(5)
    x = random(rng, (5, 12, 11, 3), dtype)
    kernel = random(rng, (3, 3, 3, 4), dtype)
    grad = random(rng, (5, 12, 11, 4), dtype)
    geometry = functional.window_geometry((12, 11), (3, 3), (1, 1), (1, 1), "same")
    monkeypatch.setattr(_config, "NN_THREADED_MIN_MACS", 10**12)
    single = functional.conv_forward(x, kernel, geometry)
    single_back = functional.conv_backward(x, grad, kernel, geometry)
    monkeypatch.setattr(_config, "NN_THREADED_MIN_MACS", 0)
    monkeypatch.setattr(_config, "NN_CHUNK_BYTES", 256)   # many chunks per thread
    np.testing.assert_allclose(functional.conv_forward(x, kernel, geometry), single,
                               **TOL[dtype])
    for mine, theirs in zip(functional.conv_backward(x, grad, kernel, geometry), single_back,
                            strict=True):
        np.testing.assert_allclose(mine, theirs, **TOL[dtype])


# --- pooling ---------------------------------------------------------------------------

@st.composite
def pool_setups(draw, rank=2):
    seed = draw(st.integers(0, 2**32 - 1))
    spatial = tuple(draw(st.integers(1, 9)) for _ in range(rank))
    pool = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    strides = draw(st.none() | st.tuples(*(st.integers(1, 3) for _ in range(rank))))
    padding = draw(st.sampled_from(("valid", "same")))
    if padding == "valid":
        assume(all(p <= n for p, n in zip(pool, spatial, strict=True)))
    shape = (draw(st.integers(1, 3)), *spatial, draw(st.integers(1, 3)))
    return dict(seed=seed, shape=shape, pool_size=pool, strides=strides, padding=padding,
                dtype=draw(st.sampled_from(DTYPES)))


POOLS = {(2, "max"): nn.MaxPooling2D, (2, "average"): nn.AveragePooling2D,
         (1, "max"): nn.MaxPooling1D, (1, "average"): nn.AveragePooling1D}


@pytest.mark.parametrize(("rank", "kind"), list(POOLS))
@given(data=st.data())
def test_pooling_forward_and_gradient(rank, kind, data):
    setup = data.draw(pool_setups(rank))
    rng = np.random.default_rng(setup["seed"])
    x = random(rng, setup["shape"], setup["dtype"])
    layer = POOLS[rank, kind](setup["pool_size"], setup["strides"], setup["padding"],
                              dtype=setup["dtype"])
    y = layer(x)
    strides = setup["strides"] or setup["pool_size"]
    x4 = x.reshape(x.shape[0], 1, *x.shape[1:]) if rank == 1 else x
    expected = ref.pool2d(x4, as_2d(setup["pool_size"], rank), as_2d(strides, rank),
                          setup["padding"], kind)
    np.testing.assert_allclose(y, expected.reshape(y.shape), **TOL[setup["dtype"]])
    # the gradient, padding and windows that do not divide the input included; the values
    # are distinct by far more than the finite-difference step, so that no perturbation
    # moves a window's maximum (a max has no derivative at a tie)
    spaced = rng.permutation(x.size).reshape(x.shape) * 0.01 - x.size * 0.005
    errors = nn.check_gradients(layer, spaced)
    assert errors["input"] < GRAD_TOL, errors


@pytest.mark.parametrize("parallel", [False, True])
@given(setup=conv_setups(), kind=st.sampled_from(("max", "average")),
       few_channels=st.booleans())
def test_pooling_passes_equal_their_patches(parallel, setup, kind, few_channels):
    """The pooling kernels read the windows in place; the obvious pooling reduces their
    patches (first maximal tap, or the sum over the taps inside divided by their count)
    and sends the gradient back through the patches' adjoint. Max pooling and every
    gradient agree exactly, on both the one-thread and the parallel kernels (and both
    max kernels of windows inside the input), for windows that overlap, leave gaps, have
    holes (dilation) or hang over the padding."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_config, "NN_PARALLEL_MIN", 0 if parallel else 2**62)
        patch.setattr(_config, "NN_POOL_FEW_CHANNELS", 2**31 if few_channels else 0)
        check_pooling_against_patches(setup, kind)


def check_pooling_against_patches(setup, kind):
    rng = np.random.default_rng(setup["seed"])
    x = np.round(random(rng, setup["shape"]))    # many ties: the first maximum wins
    geometry = functional.window_geometry(setup["shape"][1:3], setup["kernel_size"],
                                          setup["strides"], setup["dilation_rate"],
                                          setup["padding"])
    if kind == "average":   # a window wholly in the padding has no mean (no layer makes one)
        assume(functional.window_counts(geometry, x.dtype).all())
    out, cache = functional.pool_forward(x, geometry, kind)
    fill = -np.inf if kind == "max" else 0.0
    cols = functional.patches(x, geometry, fill=fill)
    grad = random(rng, out.shape)
    grad[grad < -1] = -0.0     # col2im adds onto zeros: 0 + -0.0 is +0.0
    if kind == "max":
        argmax = cols.argmax(axis=1)
        np.testing.assert_array_equal(cache, argmax)
        np.testing.assert_array_equal(out.reshape(cols.shape[0], -1), cols.max(axis=1))
        back = np.zeros_like(cols)
        np.put_along_axis(back, argmax[:, None, :], grad.reshape(cols.shape[0], 1, -1),
                          axis=1)
    else:
        counts = functional.window_counts(geometry, x.dtype)
        np.testing.assert_array_equal(cache, counts)
        sums = cols.sum(axis=1).reshape(out.shape)
        np.testing.assert_allclose(out * counts[:, :, None], sums, rtol=1e-13, atol=1e-13)
        share = (grad / counts[:, :, None]).reshape(cols.shape[0], 1, -1)
        back = np.ascontiguousarray(np.broadcast_to(share, cols.shape))
    expected = functional.patches_adjoint(back, geometry, np.zeros_like(x))
    dx = functional.pool_backward(grad, geometry, kind, cache, x.shape)
    np.testing.assert_array_equal(dx, expected)
    np.testing.assert_array_equal(np.signbit(dx), np.signbit(expected))


@given(rows=st.integers(1, 300), columns=st.integers(1, 70),
       dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**32 - 1))
def test_column_sum_adds_the_rows_in_order(rows, columns, dtype, seed):
    """The bias gradient's column sums: the rows added one after the other, as NumPy's
    reduction over the first axis does (equal bit for bit)."""
    a = random(np.random.default_rng(seed), (rows, columns), dtype) * 1e3
    out = np.full(columns, np.nan, dtype)
    cpu.column_sum(a, out)
    expected = np.zeros(columns, dtype)
    for row in a:
        expected += row
    np.testing.assert_array_equal(out, expected)


def test_bias_gradient_of_a_strided_gradient():
    """A Dense layer's bias gradient from a gradient that is not C-contiguous."""
    rng = np.random.default_rng(4)
    layer = nn.Dense(3, input_shape=(5,), dtype="float64")
    layer(random(rng, (7, 5)))
    grad = random(rng, (3, 7)).T
    layer.backward(grad)
    np.testing.assert_allclose(layer.grads["bias"], grad.sum(axis=0), rtol=1e-14)


def test_max_pool_gradient_goes_to_the_argmax_only():
    x = np.array([[1.0, 5.0, 2.0], [4.0, 3.0, 0.0], [7.0, 6.0, 8.0]]).reshape(1, 3, 3, 1)
    layer = nn.MaxPooling2D(2, strides=1, padding="same", dtype="float64")
    y = layer(x)
    np.testing.assert_array_equal(y[0, :, :, 0], [[5, 5, 2], [7, 8, 8], [7, 8, 8]])
    dx = layer.backward(np.ones_like(y))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0, 2, 1], [0, 0, 0], [2, 0, 4]])


GLOBAL_POOLING = [(nn.GlobalAveragePooling2D, np.mean, (2, 3, 4, 5)),
                  (nn.GlobalMaxPooling2D, np.max, (2, 3, 4, 5)),
                  (nn.GlobalAveragePooling1D, np.mean, (2, 7, 5)),
                  (nn.GlobalMaxPooling1D, np.max, (2, 7, 5))]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("layer_class, reduce, shape", GLOBAL_POOLING,
                         ids=[case[0].__name__ for case in GLOBAL_POOLING])
def test_global_pooling(layer_class, reduce, shape, keepdims):
    x = random(np.random.default_rng(1), shape)
    layer = layer_class(keepdims=keepdims, dtype="float64")
    axes = tuple(range(1, len(shape) - 1))
    np.testing.assert_allclose(layer(x), reduce(x, axis=axes, keepdims=keepdims), rtol=1e-14)
    assert layer.compute_output_shape((None, *shape[1:])) == (None, *layer(x).shape[1:])
    assert max(nn.check_gradients(layer, x).values()) < GRAD_TOL
    other = random(np.random.default_rng(2), (3, *shape[1:-2], 2, shape[-1]))
    assert layer(other).shape[0] == 3     # the window follows the input's size


def test_global_max_pooling_gradient_goes_to_the_first_maximum():
    x = np.array([[1.0, 4.0], [4.0, 0.0]]).reshape(1, 2, 2, 1)
    layer = nn.GlobalMaxPooling2D(dtype="float64")
    assert layer(x).tolist() == [[4.0]]
    np.testing.assert_array_equal(layer.backward(np.array([[2.0]]))[0, :, :, 0],
                                  [[0.0, 2.0], [0.0, 0.0]])


# --- dense, activations, normalization, dropout -------------------------------------

@pytest.mark.parametrize("activation", ["linear", "relu", "sigmoid", "tanh", "softmax"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_forward_and_gradients(activation, dtype):
    rng = np.random.default_rng(7)
    x = random(rng, (6, 5), dtype)
    layer = nn.Dense(4, activation=activation, bias_initializer="he_normal",
                     kernel_regularizer=nn.L1L2(0.01, 0.02), dtype=dtype)
    y = layer(x)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(y, ref.ACTIVATIONS[activation](ref.dense(x, kernel, bias)),
                               **TOL[dtype])
    assert max(nn.check_gradients(layer, x.astype(np.float64)).values()) < GRAD_TOL


def test_dense_on_higher_rank_input_acts_on_the_last_axis():
    x = random(np.random.default_rng(2), (2, 3, 4))
    layer = nn.Dense(5, dtype="float64")
    kernel, bias = layer.get_weights() if layer.built else (None, None)
    y = layer(x)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(y, x @ kernel + bias, rtol=1e-13)
    assert max(nn.check_gradients(layer, x).values()) < GRAD_TOL


@pytest.mark.parametrize("layer", [nn.ReLU(), nn.LeakyReLU(0.2), nn.Softmax(),
                                   nn.Softmax(axis=1), nn.Activation("tanh"),
                                   nn.Activation("sigmoid"), nn.Flatten()],
                         ids=lambda layer: layer.name)
def test_parameter_free_layers(layer):
    x = random(np.random.default_rng(4), (3, 4, 5))
    y = layer(x)
    expected = {
        "ReLU": np.maximum(x, 0),
        "LeakyReLU": np.where(x > 0, x, 0.2 * x),
        "Softmax": ref.softmax(x, getattr(layer, "axis", -1)),
        "Flatten": x.reshape(3, -1),
    }.get(type(layer).__name__)
    if expected is None:
        expected = ref.ACTIVATIONS[layer.activation.name](x)
    np.testing.assert_allclose(y, expected, rtol=2e-6, atol=1e-7)
    assert nn.check_gradients(layer, x)["input"] < GRAD_TOL


def test_batch_normalization_training_and_inference():
    rng = np.random.default_rng(8)
    x = random(rng, (6, 3, 2, 4)) * 3 + 1
    layer = nn.BatchNormalization(momentum=0.9, dtype="float64")
    layer.build((None, 3, 2, 4))
    layer.set_weights([rng.uniform(0.5, 2, 4), rng.standard_normal(4), np.zeros(4),
                       np.ones(4)])
    gamma, beta = layer.params["gamma"], layer.params["beta"]
    np.testing.assert_allclose(layer(x, training=True), ref.batch_norm(x, gamma, beta, 1e-3),
                               rtol=1e-12, atol=1e-12)
    mean, variance = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(layer.moving_mean, 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance, 0.9 + 0.1 * variance, rtol=1e-12)
    inference = (x - layer.moving_mean) / np.sqrt(layer.moving_variance + 1e-3) * gamma + beta
    np.testing.assert_allclose(layer(x), inference, rtol=1e-12)
    for training in (True, False):
        errors = nn.check_gradients(layer, x, training=training)
        assert max(errors.values()) < GRAD_TOL, (training, errors)


def test_dropout_is_inverted_and_only_in_training():
    x = random(np.random.default_rng(9), (200, 50)) + 3
    layer = nn.Dropout(0.3, seed=1, dtype="float64")
    np.testing.assert_array_equal(layer(x), x)
    y = layer(x, training=True)
    kept = y != 0
    assert 0.65 < kept.mean() < 0.75
    np.testing.assert_allclose(y[kept], x[kept] / 0.7, rtol=1e-14)
    grad = random(np.random.default_rng(10), x.shape)
    np.testing.assert_allclose(layer.backward(grad), np.where(kept, grad / 0.7, 0), rtol=1e-14)
    again = nn.Dropout(0.3, seed=1, dtype="float64")
    np.testing.assert_array_equal(again(x, training=True), y)   # seeded: reproducible


# --- the layer API -------------------------------------------------------------------------

def all_layers():
    return [nn.Conv2D(3, 2, kernel_regularizer=nn.L2(0.01)), nn.Conv1D(2, 3, padding="same"),
            nn.MaxPooling2D(), nn.AveragePooling2D(padding="same"), nn.Dense(4),
            nn.BatchNormalization(), nn.Dropout(0.5, seed=3), nn.LeakyReLU(0.1),
            nn.Softmax(axis=1), nn.Flatten(), nn.GlobalAveragePooling2D(),
            nn.GlobalMaxPooling2D(keepdims=True), nn.GlobalAveragePooling1D(),
            nn.Activation("tanh")]


@pytest.mark.parametrize("layer", all_layers(), ids=lambda layer: type(layer).__name__)
def test_config_round_trip_and_weights(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    shape = {1: (2, 6, 3)}.get(getattr(layer, "rank", 2), (2, 6, 4, 3))
    if isinstance(layer, nn.Dense):
        shape = (2, 3)
    x = random(np.random.default_rng(0), shape)
    y = layer(x)
    clone.build((None, *shape[1:]))
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x), y)
    assert layer.count_params() == sum(w.size for w in layer.get_weights())
    assert layer.compute_output_shape((None, *shape[1:]))[1:] == y.shape[1:]
    for key, grad in layer.grads.items():
        assert grad.shape == layer.params[key].shape


def test_keras_weight_order_and_counts():
    conv = nn.Conv2D(10, (3, 3), input_shape=(8, 8, 1))
    assert [w.shape for w in conv.get_weights()] == [(3, 3, 1, 10), (10,)]
    assert conv.count_params() == 100
    bn = nn.BatchNormalization(input_shape=(5,))
    assert [w.shape for w in bn.get_weights()] == [(5,)] * 4
    assert bn.count_params() == 20 and list(bn.params) == ["gamma", "beta"]
    assert nn.Dense(50, input_shape=(90,)).count_params() == 4550


def test_initialization_is_reproducible():
    nn.set_random_seed(11)
    first = nn.Conv2D(3, 3, input_shape=(5, 5, 2)).get_weights()[0]
    nn.set_random_seed(11)
    second = nn.Conv2D(3, 3, input_shape=(5, 5, 2)).get_weights()[0]
    np.testing.assert_array_equal(first, second)
    limit = np.sqrt(6 / (9 * 2 + 9 * 3))
    assert np.abs(first).max() <= limit and first.std() > limit / 3


def test_check_gradients_catches_a_wrong_gradient():
    """The checker can fail: a layer whose backward is off by a factor is reported."""
    class Doubled(nn.Dense):
        def _backward(self, grad, input_grad):
            return 2 * super()._backward(grad, input_grad)

    layer, broken = nn.Dense(3, dtype="float64"), Doubled(3, dtype="float64")
    x = random(np.random.default_rng(0), (4, 5))
    assert nn.check_gradients(layer, x)["input"] < GRAD_TOL
    assert nn.check_gradients(broken, x)["input"] > 0.1


# --- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize(("factory", "match"), [
    (lambda: nn.Conv2D(0, 3), "filters"),
    (lambda: nn.Conv2D(2, 0), "kernel_size"),
    (lambda: nn.Conv2D(2, (3, 3, 3)), "kernel_size"),
    (lambda: nn.Conv2D(2, 3, padding="full"), "padding"),
    (lambda: nn.Conv2D(2, 3, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: nn.Conv1D(2, 3, strides=-1), "strides"),
    (lambda: nn.MaxPooling2D(0), "pool_size"),
    (lambda: nn.AveragePooling2D(2, padding="causal"), "padding"),
    (lambda: nn.Dense(0), "units"),
    (lambda: nn.Dropout(1.0), "rate"),
    (lambda: nn.Dense(3, activation="swishy"), "activation"),
    (lambda: nn.BatchNormalization(epsilon=0), "epsilon"),
    (lambda: nn.LeakyReLU(-1), "negative_slope"),
])
def test_bad_arguments(factory, match):
    with pytest.raises((ValueError, TypeError), match=match):
        factory()


def test_plain_callable_activation_needs_a_derivative():
    with pytest.raises(TypeError, match="derivative"):
        nn.Dense(3, activation=np.sin)


def test_bad_inputs_name_the_layer():
    conv = nn.Conv2D(2, 3, name="first", input_shape=(8, 8, 3))
    with pytest.raises(ValueError, match="first.*4 axes"):
        conv(np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match="first.*declared"):
        conv(np.zeros((1, 8, 8, 2)))
    conv(np.zeros((1, 8, 8, 3)))
    with pytest.raises(ValueError, match="first.*3 channels"):
        conv(np.zeros((1, 8, 8, 2)))
    with pytest.raises(ValueError, match="first.*NaN"):
        conv(np.full((1, 8, 8, 3), np.nan))
    with pytest.raises(ValueError, match="does not fit"):
        conv(np.zeros((1, 2, 8, 3)))
    with pytest.raises(ValueError, match="pool_size"):
        nn.MaxPooling2D(3)(np.zeros((1, 2, 2, 1)))
    with pytest.raises(ValueError, match="grad_output"):
        conv(np.zeros((1, 8, 8, 3)))
        conv.backward(np.zeros((1, 5, 5, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        nn.Dense(2, input_shape=(3,)).backward(np.zeros((1, 2)))
    with pytest.raises(TypeError, match="dtype"):
        nn.Dense(2, dtype="int32")
    with pytest.raises(ValueError, match="set_weights"):
        nn.Dense(2, input_shape=(3,)).set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match="shape"):
        nn.Dense(2, input_shape=(3,)).set_weights([np.zeros((2, 2)), np.zeros(2)])
