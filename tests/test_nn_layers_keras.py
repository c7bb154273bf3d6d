"""Keras 3 semantics of sigconv.nn layers, replayed step by step in NumPy (no Keras here):
BatchNormalization's ``center`` and ``scale``, ``activity_regularizer`` (the output's
penalty over the batch size), ``model.summary()``'s table and totals, AveragePooling's
``padding="same"`` (TensorFlow's rule) and softmax + categorical cross-entropy at a
saturated probability (TensorFlow's gradient through the logits)."""

import math

import numpy as np
import pytest

from sigconv import nn
from sigconv.nn import _summary
from sigconv.nn.layers import Layer

GRAD_TOL = 1e-7
EPSILON = 1e-7      # Keras's clipping of probabilities


def rng_normal(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


# --- BatchNormalization: center and scale -------------------------------------------------

CENTER_SCALE = [(True, True), (True, False), (False, True), (False, False)]


@pytest.mark.parametrize(("center", "scale"), CENTER_SCALE)
def test_batch_normalization_weights_follow_keras(center, scale):
    """Keras builds gamma (if scale), beta (if center), moving_mean, moving_variance, in
    that order; only gamma and beta are trained."""
    layer = nn.BatchNormalization(center=center, scale=scale, input_shape=(5,))
    names = ["gamma"] * scale + ["beta"] * center + ["moving_mean", "moving_variance"]
    assert [w.shape for w in layer.get_weights()] == [(5,)] * len(names)   # builds it
    assert layer._weight_names() == names
    assert list(layer.params) == names[:-2]
    assert layer.count_params() == 5 * len(names)
    initial = {"gamma": np.ones(5), "beta": np.zeros(5), "moving_mean": np.zeros(5),
               "moving_variance": np.ones(5)}
    for name, value in zip(names, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(value, initial[name])
    new = [np.arange(5.0) + k for k in range(len(names))]
    layer.set_weights(new)
    for got, want in zip(layer.get_weights(), new, strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match=f"expects {len(names)} arrays"):
        layer.set_weights(new + [np.zeros(5)])
    config = layer.get_config()
    assert (config["center"], config["scale"]) == (center, scale)
    clone = nn.BatchNormalization.from_config(config)
    assert (clone.center, clone.scale) == (center, scale)


@pytest.mark.parametrize(("center", "scale"), CENTER_SCALE)
@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_forward_replays_keras(center, scale, training):
    """y = gamma * (x - mean) / sqrt(var + epsilon) + beta with gamma = 1 without scale and
    beta = 0 without center; batch statistics (biased variance) in training, moving ones
    at inference; the moving statistics move by momentum."""
    x = rng_normal(0, (6, 3, 4)) * 2 + 1
    layer = nn.BatchNormalization(momentum=0.8, epsilon=1e-2, center=center, scale=scale,
                                  dtype="float64")
    layer.build((None, 3, 4))
    gamma, beta = rng_normal(1, 4), rng_normal(2, 4)
    moving_mean, moving_variance = rng_normal(3, 4), rng_normal(4, 4) ** 2 + 0.5
    layer.set_weights([gamma] * scale + [beta] * center + [moving_mean, moving_variance])
    y = layer(x, training=training)
    if training:
        mean, var = x.reshape(-1, 4).mean(0), x.reshape(-1, 4).var(0)
    else:
        mean, var = moving_mean, moving_variance
    expected = (x - mean) / np.sqrt(var + 1e-2)
    expected = expected * (gamma if scale else 1.0) + (beta if center else 0.0)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    if training:
        np.testing.assert_allclose(layer.moving_mean, 0.8 * moving_mean + 0.2 * mean,
                                   rtol=1e-12)
        np.testing.assert_allclose(layer.moving_variance, 0.8 * moving_variance + 0.2 * var,
                                   rtol=1e-12)


@pytest.mark.parametrize(("center", "scale"), CENTER_SCALE)
@pytest.mark.parametrize("training", [True, False])
def test_batch_normalization_gradients(center, scale, training):
    layer = nn.BatchNormalization(center=center, scale=scale)
    layer.build((None, 4, 3))
    if scale:   # gamma away from 1 so that a missing factor shows
        layer.params["gamma"][:] = [0.5, -1.5, 2.0]
    if center:
        layer.params["beta"][:] = [0.3, -0.2, 0.1]
    x = rng_normal(5, (5, 4, 3))
    errors = nn.check_gradients(layer, x, training=training)
    assert sorted(errors) == sorted(["input", *["gamma"] * scale, *["beta"] * center])
    assert max(errors.values()) < GRAD_TOL, errors


def test_batch_normalization_center_scale_checked():
    with pytest.raises(TypeError, match="center"):
        nn.BatchNormalization(center="yes")
    with pytest.raises(TypeError, match="scale"):
        nn.BatchNormalization(scale=1)


def test_batch_normalization_without_scale_trains_and_saves(tmp_path):
    """A model with BatchNormalization(scale=False, center=False) trains (the loss falls),
    and a saved copy predicts the same."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)) * 3 + 2
    y = nn.utils.to_categorical((x[:, 0] + x[:, 1] > 4).astype(int), 2)
    model = nn.Sequential([nn.Dense(8, activation="relu", input_shape=(4,)),
                           nn.BatchNormalization(center=False, scale=False),
                           nn.Dense(2, activation="softmax")])
    model.build(seed=0)
    model.compile(nn.SGD(0.1), "categorical_crossentropy")
    before = model.evaluate(x, y)
    model.fit(x, y, epochs=20, batch_size=16, verbose=0, seed=0)
    assert model.evaluate(x, y) < 0.7 * before
    assert [w.shape for w in model.layers[1].get_weights()] == [(8,), (8,)]
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = nn.load_model(path)
    assert (loaded.layers[1].center, loaded.layers[1].scale) == (False, False)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


# --- activity_regularizer -----------------------------------------------------------------

def penalty(regularizer, y):
    """Keras's penalty of a regularizer, replayed: l1 * sum|y| + l2 * sum(y**2)."""
    return regularizer.l1 * np.abs(y).sum() + regularizer.l2 * (y ** 2).sum()


ACTIVITY_LAYERS = {
    "dense": (lambda reg: nn.Dense(3, activation="tanh", activity_regularizer=reg,
                                   dtype="float64"), (4, 5)),
    "conv2d": (lambda reg: nn.Conv2D(2, 3, padding="same", activation="sigmoid",
                                     activity_regularizer=reg, dtype="float64"),
               (3, 5, 4, 2)),
    "conv1d": (lambda reg: nn.Conv1D(2, 2, strides=2, activity_regularizer=reg,
                                     dtype="float64"), (2, 7, 3)),
}
REGULARIZERS = [nn.L2(0.3), nn.L1(0.2), nn.L1L2(l1=0.1, l2=0.05)]


@pytest.mark.parametrize("kind", sorted(ACTIVITY_LAYERS))
@pytest.mark.parametrize("regularizer", REGULARIZERS, ids=repr)
def test_activity_penalty_is_keras_3s(kind, regularizer):
    """Keras 3: after a call, the layer's losses hold R(output) / batch_size (the output
    after the activation), next to the weights' penalties."""
    make, shape = ACTIVITY_LAYERS[kind]
    layer = make(regularizer)
    layer.kernel_regularizer = None
    x = rng_normal(6, shape)
    layer.build((None, *shape[1:]))
    assert layer.regularization_loss() == 0.0          # no output yet
    y = layer(x)
    np.testing.assert_allclose(layer.regularization_loss(),
                               penalty(regularizer, y) / shape[0], rtol=1e-12)
    y2 = layer(x[:1])                                  # the latest pass counts
    np.testing.assert_allclose(layer.regularization_loss(), penalty(regularizer, y2),
                               rtol=1e-12)


def test_activity_penalty_adds_to_the_weights_penalty():
    layer = nn.Dense(2, kernel_regularizer=nn.L2(0.5), activity_regularizer=nn.L1(0.25),
                     input_shape=(3,), dtype="float64")
    kernel = rng_normal(7, (3, 2))
    layer.set_weights([kernel, np.array([0.1, -0.2])])
    x = rng_normal(8, (4, 3))
    y = x @ kernel + [0.1, -0.2]
    layer(x)
    np.testing.assert_allclose(layer.regularization_loss(),
                               0.5 * (kernel ** 2).sum() + 0.25 * np.abs(y).sum() / 4,
                               rtol=1e-12)


@pytest.mark.parametrize("kind", sorted(ACTIVITY_LAYERS))
@pytest.mark.parametrize("regularizer", [nn.L2(0.3), nn.L1L2(l1=0.1, l2=0.05)], ids=repr)
def test_activity_penalty_gradients(kind, regularizer):
    """backward adds R'(y) / batch to the gradient of the output (float64 central
    differences of sum(y * R) + regularization_loss())."""
    make, shape = ACTIVITY_LAYERS[kind]
    errors = nn.check_gradients(make(regularizer), rng_normal(9, shape))
    assert max(errors.values()) < GRAD_TOL, errors


def test_activity_gradient_is_replayed():
    """The gradient that backward adds, replayed: 2 * l2 * y / batch before the
    activation's derivative."""
    layer = nn.Dense(3, activation="tanh", activity_regularizer=nn.L2(0.3),
                     input_shape=(2,), dtype="float64")
    kernel, bias = rng_normal(10, (2, 3)), rng_normal(11, 3)
    layer.set_weights([kernel, bias])
    x, grad = rng_normal(12, (4, 2)), rng_normal(13, (4, 3))
    y = np.tanh(x @ kernel + bias)
    layer(x)
    dx = layer.backward(grad)
    dz = (grad + 2 * 0.3 * y / 4) * (1 - y ** 2)
    np.testing.assert_allclose(layer.grads["kernel"], x.T @ dz, rtol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], dz.sum(0), rtol=1e-12)
    np.testing.assert_allclose(dx, dz @ kernel.T, rtol=1e-12)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def model_gradients(model, x, y):
    """The gradient of every parameter from one step of SGD(learning_rate=1), i.e. what
    the model's backward pass gave the optimizer."""
    before = [w.copy() for w in model.params.values()]
    model.train_on_batch(x, y)
    after = list(model.params.values())
    for w, old in zip(after, before, strict=True):   # put the weights back
        grad = old - w
        w[...] = old
        yield grad


def objective(model, x, y):
    """Loss of the batch plus every penalty (weights' and activity), computed here."""
    output = model(x, training=True)
    return model.loss(y, output) + sum(layer.regularization_loss() for layer in model.layers)


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "mean_squared_error"])
def test_activity_gradient_through_a_model(loss):
    """Through a model, the gradients of loss + penalties match float64 central
    differences: with the fused softmax + cross-entropy gradient (the penalty's gradient
    goes back through the softmax Jacobian) and without it."""
    model = nn.Sequential([
        nn.Conv2D(2, 3, activation="relu", activity_regularizer=nn.L2(0.05),
                  input_shape=(5, 5, 1), dtype="float64"),
        nn.Flatten(dtype="float64"),
        nn.Dense(4, activation="tanh", activity_regularizer=nn.L1(0.02),
                 kernel_regularizer=nn.L2(0.01), dtype="float64"),
        nn.Dense(3, activation="softmax", activity_regularizer=nn.L1L2(0.03, 0.2),
                 dtype="float64"),
    ])
    model.build(seed=1)
    model.compile(nn.SGD(1.0), loss)
    x = rng_normal(14, (4, 5, 5, 1))
    y = nn.utils.to_categorical([0, 2, 1, 2], 3).astype(np.float64)
    analytic = list(model_gradients(model, x, y))
    eps = 1e-6
    for (key, w), grad in zip(model.params.items(), analytic, strict=True):
        flat = w.reshape(-1)
        numeric = np.empty(flat.size)
        for k in range(flat.size):
            saved = flat[k]
            flat[k] = saved + eps
            plus = objective(model, x, y)
            flat[k] = saved - eps
            minus = objective(model, x, y)
            flat[k] = saved
            numeric[k] = (plus - minus) / (2 * eps)
        error = np.linalg.norm(grad.reshape(-1) - numeric) / np.linalg.norm(numeric)
        assert error < 1e-6, (key, error)


def activity_model():
    model = nn.Sequential([
        nn.Dense(3, activation="relu", activity_regularizer=nn.L2(0.1), input_shape=(2,),
                 dtype="float64", name="hidden"),
        nn.Dense(2, activation="softmax", dtype="float64", name="out"),
    ])
    model.build(seed=2)
    model.compile(nn.SGD(0.1), "categorical_crossentropy")
    return model


def test_train_on_batch_loss_includes_the_activity_penalty():
    model = activity_model()
    x = rng_normal(15, (5, 2))
    y = nn.utils.to_categorical([0, 1, 1, 0, 1], 2).astype(np.float64)
    kernel, bias = model.layers[0].get_weights()
    hidden = np.maximum(x @ kernel + bias, 0)
    expected = model.loss(y, model.predict(x)) + 0.1 * (hidden ** 2).sum() / 5
    assert model.train_on_batch(x, y) == pytest.approx(expected, rel=1e-12)


def test_evaluate_weights_each_batchs_activity_penalty():
    """Keras 3's evaluate: the mean over batches, weighted by their sizes, of each batch's
    loss plus its penalties (the activity penalty of that batch's outputs)."""
    model = activity_model()
    x = rng_normal(16, (5, 2))
    y = nn.utils.to_categorical([0, 1, 1, 0, 1], 2).astype(np.float64)
    kernel, bias = model.layers[0].get_weights()
    total = 0.0
    for start, stop in [(0, 3), (3, 5)]:
        xb, yb = x[start:stop], y[start:stop]
        hidden = np.maximum(xb @ kernel + bias, 0)
        value = model.loss(yb, model.predict(xb)) + 0.1 * (hidden ** 2).sum() / len(xb)
        total += value * len(xb)
    assert model.evaluate(x, y, batch_size=3) == pytest.approx(total / 5, rel=1e-12)


def test_activity_regularizer_config_and_saving(tmp_path):
    layer = nn.Conv2D(2, 3, activity_regularizer=nn.L1L2(0.1, 0.2))
    config = layer.get_config()
    assert config["activity_regularizer"] == {"class_name": "L1L2",
                                              "config": {"l1": 0.1, "l2": 0.2}}
    clone = nn.Conv2D.from_config(config)
    assert (clone.activity_regularizer.l1, clone.activity_regularizer.l2) == (0.1, 0.2)
    assert nn.Dense(2).get_config()["activity_regularizer"] is None
    assert nn.Dense(2, activity_regularizer="l2").activity_regularizer.l2 == 0.01
    model = activity_model()
    path = tmp_path / "activity.npz"
    model.save(path)
    loaded = nn.load_model(path)
    assert loaded.layers[0].activity_regularizer.l2 == 0.1
    x = rng_normal(17, (4, 2))
    loaded(x)
    model(x)
    assert loaded.layers[0].regularization_loss() == model.layers[0].regularization_loss()


def test_activity_regularizer_checked_and_cpu_only():
    with pytest.raises(TypeError, match="activity_regularizer"):
        nn.Dense(2, activity_regularizer=3)
    with pytest.raises(ValueError, match="activity_regularizer"):
        nn.Conv1D(2, 3, activity_regularizer="l3")
    with pytest.raises(NotImplementedError, match="activity_regularizer runs on the CPU"):
        nn.Dense(2, activity_regularizer="l2").to("cuda")
    assert Layer.activity_regularizer is None


def test_activity_regularizer_shrinks_activations_in_training():
    """Training with a strong activity penalty on the hidden layer leaves smaller hidden
    activations than the same training without it (same seed, same batches)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 4))
    y = nn.utils.to_categorical((x[:, 0] > 0).astype(int), 2)

    def trained(regularizer):
        model = nn.Sequential([nn.Dense(8, activation="relu", input_shape=(4,),
                                        activity_regularizer=regularizer),
                               nn.Dense(2, activation="softmax")])
        model.build(seed=4)
        model.compile(nn.SGD(0.1), "categorical_crossentropy")
        model.fit(x, y, epochs=15, batch_size=16, verbose=0, seed=5)
        return np.abs(model.layers[0](x)).mean()

    assert trained(nn.L1(0.3)) < 0.3 * trained(None)


# --- summary -------------------------------------------------------------------------------

def digits_net():
    """The lecture's digits CNN with the layer names Keras gives in a fresh session."""
    model = nn.lecture_digits_cnn()
    for layer, name in zip(model.layers, ["conv2d", "max_pooling2d", "flatten", "dense",
                                          "dense_1"], strict=True):
        layer.name = name
    model.build(seed=0)
    return model


DIGITS_SUMMARY = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                      │ (None, 6, 6, 10)            │             100 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ max_pooling2d (MaxPooling2D)         │ (None, 3, 3, 10)            │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ flatten (Flatten)                    │ (None, 90)                  │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense (Dense)                        │ (None, 50)                  │           4,550 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_1 (Dense)                      │ (None, 10)                  │             510 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 5,160 (20.16 KB)
 Trainable params: 5,160 (20.16 KB)
 Non-trainable params: 0 (0.00 B)
"""


def test_summary_of_the_lecture_digits_net():
    """Keras 3's table at its default 88 characters: columns at 0.45 and 0.80 of the
    line (39, 31 and 18 characters), each with a space either side and 4 borders, the
    10 characters over given back evenly (3, 4, 3): 38, 29 and 17 characters."""
    model = digits_net()
    counts = [3 * 3 * 1 * 10 + 10, 0, 0, 90 * 50 + 50, 50 * 10 + 10]   # by hand
    assert [layer.count_params() for layer in model.layers] == counts
    assert sum(counts) == 5160 and 5160 * 4 / 1024 == pytest.approx(20.156, abs=1e-3)
    text = _summary.format_summary(model, line_length=88)
    assert text == DIGITS_SUMMARY
    assert {len(line) for line in text.splitlines()[1:-3]} == {88}


def test_summary_default_width_follows_the_terminal(monkeypatch):
    """Keras 3: min(88, terminal columns - 4); shutil reads COLUMNS first."""
    model = digits_net()
    monkeypatch.setenv("COLUMNS", "200")
    assert _summary.format_summary(model) == DIGITS_SUMMARY
    monkeypatch.setenv("COLUMNS", "80")
    lines = _summary.format_summary(model).splitlines()
    assert len(lines[1]) == 76
    # 76: columns 34, 26, 16 (+2 each, 4 borders: 10 over, given back 3, 4, 3)
    assert lines[1] == "┏" + "━" * 33 + "┳" + "━" * 24 + "┳" + "━" * 15 + "┓"


def bn_net():
    model = nn.Sequential([
        nn.Conv2D(4, 3, input_shape=(8, 8, 2), name="conv2d"),
        nn.BatchNormalization(name="batch_normalization"),
        nn.Flatten(name="flatten"),
        nn.Dense(3, activation="softmax", name="dense"),
    ])
    model.build(seed=0)
    return model


BN_SUMMARY = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                      │ (None, 6, 6, 4)             │              76 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ batch_normalization                  │ (None, 6, 6, 4)             │              16 │
│ (BatchNormalization)                 │                             │                 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ flatten (Flatten)                    │ (None, 144)                 │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense (Dense)                        │ (None, 3)                   │             435 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 527 (2.06 KB)
 Trainable params: 519 (2.03 KB)
 Non-trainable params: 8 (32.00 B)
"""


def test_summary_counts_batch_normalization_statistics_as_non_trainable():
    """Conv2D 3*3*2*4 + 4 = 76; BatchNormalization 4 * 4 = 16, of which the moving mean
    and variance (8) are not trained; Dense 6*6*4*3 + 3 = 435. Sizes in bytes of
    float32 (4 each), in KB of 1024 with two decimals; a name too long for its column
    wraps at the space, as rich wraps it."""
    model = bn_net()
    assert 76 + 16 + 435 == 527 and (527 * 4 / 1024, 519 * 4 / 1024) == (2.05859375,
                                                                          2.02734375)
    assert _summary.format_summary(model, line_length=88) == BN_SUMMARY


def test_summary_optimizer_params_after_training():
    """Keras 3 lists the optimizer's variables once it has stepped: the step counter
    (int64), the learning rate (float32) and the slots (Adam: two per weight)."""
    model = bn_net()
    model.compile(nn.Adam(), "categorical_crossentropy")
    assert "Optimizer params" not in _summary.format_summary(model, line_length=88)
    x = rng_normal(18, (8, 8, 8, 2))
    y = nn.utils.to_categorical(np.arange(8) % 3, 3)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, seed=0)
    lines = _summary.format_summary(model, line_length=88).splitlines()
    optimizer = 2 * 519 + 2
    optimizer_bytes = 2 * 519 * 4 + 8 + 4
    total_bytes = 527 * 4 + optimizer_bytes
    assert lines[-4:] == [
        f" Total params: {527 + optimizer:,} ({total_bytes / 1024:.2f} KB)",
        " Trainable params: 519 (2.03 KB)",
        " Non-trainable params: 8 (32.00 B)",
        f" Optimizer params: {optimizer:,} ({optimizer_bytes / 1024:.2f} KB)",
    ]
    assert lines[-1] == " Optimizer params: 1,040 (4.07 KB)"
    sgd = bn_net()
    sgd.compile(nn.SGD(0.01), "categorical_crossentropy")
    sgd.fit(x, y, epochs=1, batch_size=4, verbose=0, seed=0)
    assert _summary.format_summary(sgd).splitlines()[-1] == " Optimizer params: 2 (12.00 B)"


OPTIMIZER_VARIABLES = [      # Keras 3's optimizer variables for 8 float32 weights (T = 8)
    (lambda: nn.optimizers.SGD(0.1), 2),                          # iterations, lr
    (lambda: nn.optimizers.SGD(0.1, momentum=0.9), 2 + 8),        # + momentums
    (lambda: nn.optimizers.Adam(amsgrad=True), 2 + 3 * 8),        # m, v, v_hat
    (lambda: nn.optimizers.RMSprop(momentum=0.5, centered=True), 2 + 3 * 8),
    (lambda: nn.optimizers.Adagrad(), 2 + 8),
    (lambda: nn.optimizers.Adadelta(), 2 + 2 * 8),
    (lambda: nn.optimizers.Adamax(), 2 + 2 * 8),
    (lambda: nn.optimizers.Nadam(), 2 + 2 * 8 + 1),               # + u_product
    (lambda: nn.optimizers.SGD(0.1, use_ema=True), 2 + 8),        # + averages
    (lambda: nn.optimizers.SGD(nn.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)),
     1),                                                          # no lr variable
]


@pytest.mark.parametrize(("make", "count"), OPTIMIZER_VARIABLES)
def test_summary_optimizer_params_follow_keras_variables(make, count):
    """Keras 3 counts the step counter (int64, 8 bytes), a float learning rate (float32,
    4 bytes) and each optimizer's slot variables (float32 here)."""
    model = nn.Sequential([nn.Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(make(), "categorical_crossentropy")
    x = rng_normal(22, (8, 3))
    model.fit(x, nn.utils.to_categorical(np.arange(8) % 2, 2), batch_size=4, verbose=0)
    has_lr = count != 1
    size = 8 + 4 * has_lr + 4 * (count - 1 - has_lr)
    assert _summary.format_summary(model).splitlines()[-1] == \
        f" Optimizer params: {count} ({size:.2f} B)"


def test_summary_of_an_unbuilt_model_and_float64():
    unbuilt = nn.Sequential([nn.Dense(3, name="dense"), nn.Dense(2, name="dense_1")])
    lines = _summary.format_summary(unbuilt, line_length=60).splitlines()
    # Keras: shape "?" and "0 (unbuilt)", here wrapped at its space in a 9-wide cell
    assert lines[4:6] == ["│ dense (Dense)            │ ?                 │         0 │",
                          "│                          │                   │ (unbuilt) │"]
    assert lines[-3:] == [" Total params: 0 (0.00 B)", " Trainable params: 0 (0.00 B)",
                          " Non-trainable params: 0 (0.00 B)"]
    assert not unbuilt.built
    double = nn.Sequential([nn.Dense(3, input_shape=(4,), dtype="float64")])
    assert _summary.format_summary(double).splitlines()[-3] == \
        " Total params: 15 (120.00 B)"


def test_summary_trainable_column_and_wrapping():
    """show_trainable: Keras adds 12 characters and a centred column, the other columns'
    edges scaled by 0.9; a word longer than its cell is cut with an ellipsis."""
    model = nn.Sequential([nn.Dense(3, input_shape=(4,), name="d" * 50),
                           nn.Flatten(name="flatten")])
    lines = _summary.format_summary(model, line_length=100, show_trainable=True).splitlines()
    # 100 * [0.405, 0.72, 0.9, 1.0]: 40, 32, 18, 10 characters, +2 each, 5 borders:
    # 13 over, given back 3, 3, 4, 3
    assert lines[1] == "┏" + "┳".join("━" * w for w in (39, 31, 16, 9)) + "┓"
    # contents 37, 29, 14 and 7 wide; the header at the bottom of its row, centred "Y"
    assert lines[2] == ("┃ " + "Layer (type)".ljust(37) + " ┃ " + "Output Shape".ljust(29)
                        + " ┃ " + "Param #".rjust(14) + " ┃ Traina… ┃")
    assert lines[4] == ("│ " + "d" * 36 + "… │ " + "(None, 3)".ljust(29) + " │ "
                        + "15".rjust(14) + " │    Y    │")
    assert lines[5] == "│ " + "(Dense)".ljust(37) + " │ " + " " * 29 + " │ " + " " * 14 + \
        " │         │"
    assert lines[7].endswith("│    -    │")


def test_readable_memory_size():
    assert [_summary.readable_memory_size(n) for n in (0, 12, 1023, 1024, 20640,
                                                        3 * 1024 ** 2, 1.5 * 1024 ** 6)] \
        == ["0.00 B", "12.00 B", "1023.00 B", "1.00 KB", "20.16 KB", "3.00 MB",
            "1.50 PB"]       # Keras's loop: past PB it divides once more, keeps "PB"


def test_summary_arguments_checked():
    model = digits_net()
    with pytest.raises(TypeError, match="line_length"):
        _summary.format_summary(model, line_length="88")
    with pytest.raises(ValueError, match="Insufficient console width"):
        _summary.format_summary(model, line_length=8)
    with pytest.raises(ValueError, match="positions"):
        _summary.format_summary(model, positions=[0.5, 0.4, 1.0])
    with pytest.raises(ValueError, match="positions"):
        _summary.format_summary(model, positions=[0.5, 1.0])
    with pytest.raises(TypeError, match="positions"):
        _summary.format_summary(model, positions="0.5")
    with pytest.raises(TypeError, match="show_trainable"):
        _summary.format_summary(model, show_trainable=1)
    with pytest.raises(TypeError, match="Sequential"):
        _summary.format_summary(nn.Dense(2))
    # 30, 18, 12 characters, +2 each, 4 borders: 10 over 56, given back 3, 4, 3
    text = _summary.format_summary(model, line_length=60, positions=[0.5, 0.8, 1.0])
    assert text.splitlines()[1] == "┏" + "┳".join("━" * w for w in (29, 16, 11)) + "┓"


# --- AveragePooling with padding="same": TensorFlow's rule ---------------------------------

def tf_average_pool(x, pool, strides):
    """TensorFlow's avg_pool with padding SAME: out = ceil(size / stride), total padding
    max((out - 1) * stride + pool - size, 0) with the smaller half before; each output is
    the mean of the window's values inside the input (padding not counted)."""
    spatial = x.shape[1:-1]
    outs = [-(-n // s) for n, s in zip(spatial, strides, strict=True)]
    before = [max((o - 1) * s + k - n, 0) // 2
              for o, s, k, n in zip(outs, strides, pool, spatial, strict=True)]
    out = np.empty((x.shape[0], *outs, x.shape[-1]))
    for index in np.ndindex(*outs):
        window = tuple(slice(max(i * s - b, 0), min(i * s - b + k, n))
                       for i, s, b, k, n in zip(index, strides, before, pool, spatial,
                                                strict=True))
        out[(slice(None), *index)] = x[(slice(None), *window)].mean(
            axis=tuple(range(1, x.ndim - 1)))
    return out


def edge_counted_average_pool(x, pool, strides):
    """The rule this library does not follow (Keras on torch): the padded positions hold
    copies of the edge values and count in the mean."""
    spatial = x.shape[1:-1]
    outs = [-(-n // s) for n, s in zip(spatial, strides, strict=True)]
    before = [max((o - 1) * s + k - n, 0) // 2
              for o, s, k, n in zip(outs, strides, pool, spatial, strict=True)]
    after = [max((o - 1) * s + k - n, 0) - b
             for o, s, k, n, b in zip(outs, strides, pool, spatial, before, strict=True)]
    padded = np.pad(x, [(0, 0), *zip(before, after, strict=True), (0, 0)], mode="edge")
    return _valid_average(padded, pool, strides, outs)


def _valid_average(padded, pool, strides, outs):
    out = np.empty((padded.shape[0], *outs, padded.shape[-1]))
    for index in np.ndindex(*outs):
        window = tuple(slice(i * s, i * s + k) for i, s, k in zip(index, strides, pool,
                                                                   strict=True))
        out[(slice(None), *index)] = padded[(slice(None), *window)].mean(
            axis=tuple(range(1, padded.ndim - 1)))
    return out


POOL_CASES = [((5, 7), (2, 2), (2, 2)), ((5, 5), (3, 3), (2, 2)), ((7, 4), (2, 3), (3, 1)),
              ((6, 9), (4, 2), (1, 2)), ((3, 3), (3, 3), (3, 3)), ((1, 5), (1, 4), (1, 3))]


@pytest.mark.parametrize(("spatial", "pool", "strides"), POOL_CASES)
def test_average_pooling_same_averages_only_inside_values(spatial, pool, strides):
    """TensorFlow's rule (kept by sigconv): the mean over the window's taps that lie in
    the input; on odd sizes the padding is one-sided (the extra row or column after)."""
    x = rng_normal(19, (2, *spatial, 3))
    layer = nn.AveragePooling2D(pool, strides, padding="same", dtype="float64")
    expected = tf_average_pool(x, pool, strides)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)
    errors = nn.check_gradients(nn.AveragePooling2D(pool, strides, padding="same"), x)
    assert errors["input"] < GRAD_TOL


def test_average_pooling_same_differs_from_counting_edges():
    """A one-sided pad (5 rows, pool 3, stride 3: one row after) makes the rules differ:
    the last output row is the mean of input rows 3 and 4 only, where counting a copy of
    the edge would give (x3 + 2 x4) / 3 and counting zeros (x3 + x4) / 3."""
    x = rng_normal(20, (1, 5, 5, 1))
    got = nn.AveragePooling2D(3, padding="same", dtype="float64")(x)
    np.testing.assert_allclose(got[0, 1, 1, 0], x[0, 3:5, 3:5, 0].mean(), rtol=1e-12)
    edge = edge_counted_average_pool(x, (3, 3), (3, 3))
    np.testing.assert_allclose(edge[0, 1, 1, 0], np.pad(x[0, 3:5, 3:5, 0], [(0, 1), (0, 1)],
                                                        mode="edge").mean(), rtol=1e-12)
    assert abs(got[0, 1, 1, 0] - edge[0, 1, 1, 0]) > 1e-3
    zero_counted = np.pad(x, [(0, 0), (0, 1), (0, 1), (0, 0)])
    assert abs(got[0, 1, 1, 0] - _valid_average(zero_counted, (3, 3), (3, 3),
                                                [2, 2])[0, 1, 1, 0]) > 1e-3


def test_average_pooling_1d_same_follows_the_same_rule():
    x = rng_normal(21, (2, 7, 2))
    layer = nn.AveragePooling1D(3, 2, padding="same", dtype="float64")
    np.testing.assert_allclose(layer(x), tf_average_pool(x, (3,), (2,)), rtol=1e-12)


# --- softmax + categorical cross-entropy at a saturated probability ------------------------

def test_saturated_softmax_crossentropy_keeps_the_logit_gradient():
    """When the true class's probability is below Keras's clip 1e-7, TensorFlow's Keras
    still takes the gradient through the logits, (p - y) / n (the clipped probability
    would give that sample no gradient on Keras's other backends); sigconv does as
    TensorFlow. The loss value is TensorFlow's too, from the logits: logsumexp(z) - z_true,
    beyond the clipped -log(1e-7) for that sample."""
    model = nn.Sequential([nn.Dense(3, activation="softmax", input_shape=(2,),
                                    dtype="float64")])
    model.build(seed=0)
    kernel = np.array([[20.0, 0.0, -20.0], [1.0, -1.0, 0.5]])
    bias = np.array([0.1, 0.0, -0.1])
    model.layers[0].set_weights([kernel, bias])
    model.compile(nn.SGD(1.0), "categorical_crossentropy")
    x = np.array([[1.5, 0.2], [0.1, -0.3]])
    y = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    p = softmax(x @ kernel + bias)
    assert p[0, 2] < EPSILON       # saturated: the clip at 1e-7 is active
    loss = model.train_on_batch(x, y)
    z = x @ kernel + bias
    from_logits = np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1) \
        - (y * z).sum(axis=1)
    assert loss == pytest.approx(from_logits.mean(), rel=1e-12)
    assert -math.log(EPSILON) / 2 < loss
    new_kernel, new_bias = model.layers[0].get_weights()
    dz = (p - y) / len(x)
    np.testing.assert_allclose(kernel - new_kernel, x.T @ dz, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(bias - new_bias, dz.sum(axis=0), rtol=1e-10, atol=1e-14)
    # the saturated sample alone: a full gradient, not the zero of a clipped probability
    model.layers[0].set_weights([kernel, bias])
    model.train_on_batch(x[:1], y[:1])
    step = bias - model.layers[0].get_weights()[1]
    np.testing.assert_allclose(step, p[0] - y[0], rtol=1e-10, atol=1e-14)
    assert step[2] == pytest.approx(-1.0, abs=1e-6)
