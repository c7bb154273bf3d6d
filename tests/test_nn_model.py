"""The Keras-like model API (sigconv.nn.model, callbacks, utils, grid).

Assembly and ``summary``; ``compile``; ``fit`` against a replay of its batches with
``train_on_batch``; ``validation_split`` / ``validation_data``; seeds and shuffling;
``evaluate`` and ``predict`` against the layers chained by hand; Keras's accuracy
semantics; the fused softmax + cross-entropy step against the chain rule; one SGD step
against float64 finite differences of the whole model; callbacks; saving and loading;
``to_categorical``; the grid search; and the lecture's digits network end to end.
"""

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigconv import nn
from sigconv.datasets import load_digits
from sigconv.nn.utils import to_categorical

# -- helpers ---------------------------------------------------------------------------------


def blobs(n=50, n_features=4, n_classes=3, seed=0):
    """Gaussian clusters: ``x`` (n, n_features) float32 and one-hot ``y`` (n, n_classes)."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % n_classes)
    centres = rng.standard_normal((n_classes, n_features)) * 2
    x = centres[labels] + rng.standard_normal((n, n_features))
    return x.astype(np.float32), np.eye(n_classes, dtype=np.float32)[labels]


def classifier(dtype="float32", l2=None, n_features=4, n_classes=3, hidden=6,
               learning_rate=0.1, dropout=None):
    """A small compiled softmax classifier (no layer with training-mode behaviour unless
    ``dropout`` is given)."""
    def penalty():
        return nn.L2(l2) if l2 else None

    layers = [nn.Dense(hidden, activation="tanh", input_shape=(n_features,),
                       kernel_regularizer=penalty(), dtype=dtype)]
    if dropout is not None:
        layers.append(nn.Dropout(dropout, dtype=dtype))
    layers.append(nn.Dense(n_classes, activation="softmax", kernel_regularizer=penalty(),
                           dtype=dtype))
    model = nn.Sequential(layers)
    model.compile(optimizer=nn.SGD(learning_rate), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def identity_model(n_outputs, loss):
    """A float64 model whose output is its input (Dense with an identity kernel), to feed
    chosen predictions to ``evaluate``."""
    model = nn.Sequential([nn.Dense(n_outputs, use_bias=False, input_shape=(n_outputs,),
                                    dtype="float64")])
    model.set_weights([np.eye(n_outputs)])
    model.compile(optimizer=nn.SGD(0.1), loss=loss, metrics=["accuracy"])
    return model


def chain(model, x, training=False):
    for layer in model.layers:
        x = layer.forward(x, training=training)
    return x


def assert_weights_equal(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def weights_differ(first, second):
    return any(not np.array_equal(a, b) for a, b in zip(first, second, strict=True))


class Script(nn.Callback):
    """Writes a scripted value of ``key`` into the epoch logs (for the callbacks after it)."""

    def __init__(self, key, values):
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class WeightRecorder(nn.Callback):
    """The model's weights at the end of every epoch."""

    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


@pytest.fixture(scope="module")
def digits():
    images, labels = load_digits()
    return images, labels


# -- assembly and summary --------------------------------------------------------------------


def test_input_first_gives_the_input_shape_and_builds():
    model = nn.Sequential([nn.Input((8, 8, 1)), nn.Conv2D(4, 3), nn.Flatten(), nn.Dense(2)])
    assert model.input_shape == (None, 8, 8, 1)
    assert len(model.layers) == 3            # the Input is not a layer
    model.build()
    assert model.built
    assert model.layers[0].params["kernel"].shape == (3, 3, 1, 4)
    assert model.layers[2].params["kernel"].shape == (6 * 6 * 4, 2)


def test_input_shape_on_the_first_layer_and_add():
    model = nn.Sequential()
    model.add(nn.Dense(5, input_shape=(3,)))
    model.add(nn.Dense(2))
    assert model.input_shape == (None, 3)
    assert [w.shape for w in model.get_weights()] == [(3, 5), (5,), (5, 2), (2,)]


def test_build_with_an_explicit_shape_and_errors():
    model = nn.Sequential([nn.Dense(3)])
    assert model.input_shape is None
    with pytest.raises(ValueError, match="input shape"):
        model.build()
    model.build((None, 7))
    assert model.layers[0].params["kernel"].shape == (7, 3)
    with pytest.raises(ValueError, match="no layers"):
        nn.Sequential().build((None, 3))


def test_build_seed_gives_reproducible_weights():
    first = classifier()
    second = classifier()
    first.build(seed=11)
    second.build(seed=11)
    assert_weights_equal(first.get_weights(), second.get_weights())
    third = classifier()
    third.build(seed=12)
    assert weights_differ(first.get_weights(), third.get_weights())


def test_duplicate_layer_names_refused():
    model = nn.Sequential([nn.Dense(3, name="hidden", input_shape=(2,))])
    with pytest.raises(ValueError, match="hidden"):
        model.add(nn.Dense(4, name="hidden"))
    with pytest.raises(ValueError):
        nn.Sequential([nn.Dense(3, name="same"), nn.Dense(3, name="same")])
    assert len(model.layers) == 1


def test_input_not_first_refused():
    with pytest.raises(ValueError, match="Input"):
        nn.Sequential([nn.Dense(3), nn.Input((4,))])
    with pytest.raises(ValueError, match="Input"):
        nn.Sequential([nn.Input((4,)), nn.Input((4,))])


@pytest.mark.parametrize("thing", [object(), "dense", lambda x: x, nn.activations.relu,
                                   nn.Dense])
def test_non_layer_refused(thing):
    model = nn.Sequential()
    with pytest.raises(TypeError):
        model.add(thing)
    assert model.layers == []


@pytest.mark.parametrize("shape", [(0, 3), (), (-1,)])
def test_input_bad_shape(shape):
    with pytest.raises(ValueError):
        nn.Input(shape)


def test_lecture_net_summary(capsys):
    model = nn.lecture_digits_cnn()
    expected = [("Conv2D", (None, 6, 6, 10), 100), ("MaxPooling2D", (None, 3, 3, 10), 0),
                ("Flatten", (None, 90), 0), ("Dense", (None, 50), 4550),
                ("Dense", (None, 10), 510)]
    model.summary()
    text = capsys.readouterr().out
    lines = text.splitlines()
    for layer, (kind, shape, count) in zip(model.layers, expected, strict=True):
        assert type(layer).__name__ == kind
        assert layer.count_params() == count
        # Keras 3's table: "│ name (Kind)   │ (None, ...)   │   count │"; a long
        # "name (Kind)" wraps onto the next line, as in Keras
        rows = [line for line in lines if line.startswith(f"│ {layer.name} ")]
        assert len(rows) == 1, (layer.name, text)
        assert str(shape) in rows[0]
        assert rows[0].split()[-2] == f"{count:,}"
    assert " Total params: 5,160 (20.16 KB)" in lines
    assert " Trainable params: 5,160 (20.16 KB)" in lines
    assert " Non-trainable params: 0 (0.00 B)" in lines
    assert model.count_params() == 5160
    assert model.count_params() == sum(w.size for w in model.get_weights())


def test_summary_print_fn_and_non_trainable_weights():
    model = nn.Sequential([nn.Input((3,), name="features"), nn.Dense(4, name="d1"),
                           nn.BatchNormalization(name="bn"), nn.Dense(2, name="d2")],
                          name="tiny")
    captured = []
    model.summary(print_fn=captured.append)
    assert len(captured) == 1
    text = captured[0]
    assert text.splitlines()[0] == 'Model: "tiny"'
    bn_row = next(line for line in text.splitlines() if line.startswith("│ bn (BatchNorm"))
    assert "(None, 4)" in bn_row and bn_row.split()[-2] == "16"
    # 16 + 16 + 10 parameters; the moving mean and variance (8) are not trained
    assert "Total params: 42" in text
    assert "Trainable params: 34" in text
    assert "Non-trainable params: 8" in text
    assert model.count_params() == 42


def test_count_params_needs_a_known_input_shape():
    with pytest.raises(ValueError):
        nn.Sequential([nn.Dense(3)]).count_params()


# -- compile ---------------------------------------------------------------------------------


def test_compile_errors():
    model = classifier()
    with pytest.raises(ValueError, match="loss"):
        model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="metric"):
        model.compile(optimizer="sgd", loss="mse", metrics=["no_such_metric"])


def test_compile_by_name():
    model = classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    assert isinstance(model.optimizer, nn.Adam)
    assert isinstance(model.loss, nn.SparseCategoricalCrossentropy)
    assert model.metrics == ["acc"]      # the log key is the name given, as in Keras


def test_training_and_evaluating_need_compile():
    model = nn.Sequential([nn.Dense(2, input_shape=(3,))])
    x, y = np.ones((4, 3)), np.ones((4, 2))
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y, verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        model.train_on_batch(x, y)
    with pytest.raises(RuntimeError, match="compile"):
        model.evaluate(x, y)
    assert model.predict(x).shape == (4, 2)     # predicting needs no compile (as Keras)


# -- fit -------------------------------------------------------------------------------------


def test_fit_history_keys_and_lengths():
    x, y = blobs(40)
    model = classifier()
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, seed=0)
    assert isinstance(history, nn.History)
    assert model.history is history
    assert set(history.history) == {"loss", "accuracy"}
    assert history.epoch == [0, 1, 2]
    assert all(len(values) == 3 for values in history.history.values())
    assert all(0 <= a <= 1 for a in history.history["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=0,
                        validation_data=(x[:10], y[:10]))
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 2 for values in history.history.values())


def test_fit_without_metrics_logs_only_the_loss():
    x, y = blobs(20)
    model = classifier()
    model.compile(optimizer=nn.SGD(0.1), loss="categorical_crossentropy")
    history = model.fit(x, y, epochs=2, verbose=0, seed=0, validation_split=0.25)
    assert set(history.history) == {"loss", "val_loss"}


def test_epoch_loss_is_the_batch_size_weighted_mean_of_the_training_batch_losses():
    """Replay fit's batches (shuffle=False) with train_on_batch on a twin model: the epoch
    loss and accuracy are the means over samples of the batch values, each batch loss taken
    in training mode before its update, penalties included."""
    x, y = blobs(50, seed=1)
    model = classifier("float64", l2=1e-2)
    twin = classifier("float64", l2=1e-2)
    model.build(seed=5)
    twin.build(seed=5)
    batch_size, epochs = 16, 3                       # batches of 16, 16, 16 and 2
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=False,
                        verbose=0)
    expected_loss, expected_accuracy, plain_means = [], [], []
    for _ in range(epochs):
        losses, accuracies, sizes = [], [], []
        for start in range(0, len(x), batch_size):
            stop = min(len(x), start + batch_size)
            loss, accuracy = twin.train_on_batch(x[start:stop], y[start:stop])
            losses.append(loss)
            accuracies.append(accuracy)
            sizes.append(stop - start)
        expected_loss.append(np.average(losses, weights=sizes))
        expected_accuracy.append(np.average(accuracies, weights=sizes))
        plain_means.append(np.mean(losses))
    assert history.history["loss"] == pytest.approx(expected_loss, rel=1e-12, abs=0)
    # Keras's metrics count in float32
    assert history.history["accuracy"] == pytest.approx(expected_accuracy, rel=1e-7, abs=0)
    # the unweighted mean of the batch losses is a different number (the test can tell)
    assert history.history["loss"] != pytest.approx(plain_means, rel=1e-6)
    assert_weights_equal(model.get_weights(), twin.get_weights())


def test_first_batch_loss_is_taken_before_the_update_with_penalties():
    x, y = blobs(12, seed=2)
    model = classifier("float64", l2=0.05)
    model.build(seed=0)
    penalty = sum(0.05 * np.sum(layer.params["kernel"] ** 2) for layer in model.layers)
    probabilities = chain(model, x, training=True)
    expected = nn.CategoricalCrossentropy()(y, probabilities) + penalty
    correct = np.mean(probabilities.argmax(1) == y.argmax(1))
    before = model.get_weights()
    loss, accuracy = model.train_on_batch(x, y)
    assert loss == pytest.approx(expected, rel=1e-12)
    assert accuracy == correct
    assert weights_differ(before, model.get_weights())


@pytest.mark.parametrize(("n", "validation_split", "n_validation"),
                         [(50, 0.2, 10), (40, 0.25, 10), (10, 0.7, 7), (30, 0.1, 3)])
def test_validation_split_holds_out_the_last_samples(n, validation_split, n_validation):
    """Keras: the validation data are the last ``validation_split`` of the samples, taken
    before shuffling; the val metrics are those of the model after the epoch."""
    x, y = blobs(n, seed=3)
    model = classifier()
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=0,
                        validation_split=validation_split)
    split = n - n_validation
    expected = model.evaluate(x[split:], y[split:], batch_size=8, return_dict=True)
    assert history.history["val_loss"][-1] == pytest.approx(expected["loss"], rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(expected["accuracy"])
    # one sample more or less in the held-out set gives another loss
    for other in (split - 1, split + 1):
        loss = model.evaluate(x[other:], y[other:], batch_size=8)[0]
        assert history.history["val_loss"][-1] != pytest.approx(loss, rel=1e-6)


def test_validation_split_trains_on_the_first_samples_only():
    x, y = blobs(40, seed=4)
    model = classifier("float64")
    twin = classifier("float64")
    model.build(seed=1)
    twin.build(seed=1)
    split = math.ceil(40 * (1 - 0.25))
    model.fit(x, y, epochs=2, batch_size=100, shuffle=False, verbose=0,
              validation_split=0.25)
    for _ in range(2):
        twin.train_on_batch(x[:split], y[:split])
    assert_weights_equal(model.get_weights(), twin.get_weights())


def test_validation_data_takes_precedence_over_validation_split():
    x, y = blobs(40, seed=5)
    x_val, y_val = blobs(15, seed=6)
    model = classifier("float64")
    twin = classifier("float64")
    model.build(seed=2)
    twin.build(seed=2)
    history = model.fit(x, y, epochs=2, batch_size=100, shuffle=False, verbose=0,
                        validation_split=0.5, validation_data=(x_val, y_val))
    expected = model.evaluate(x_val, y_val, batch_size=100, return_dict=True)
    assert history.history["val_loss"][-1] == pytest.approx(expected["loss"], rel=1e-12)
    assert history.history["val_accuracy"][-1] == expected["accuracy"]
    for _ in range(2):                               # trained on all 40 samples
        twin.train_on_batch(x, y)
    assert_weights_equal(model.get_weights(), twin.get_weights())


def test_shuffle_false_is_deterministic_whatever_the_seed():
    x, y = blobs(30, seed=7)
    runs = []
    for seed in (1, 2):
        model = classifier()
        model.build(seed=9)
        history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0, seed=seed)
        runs.append((model.get_weights(), history.history))
    assert_weights_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]


def test_shuffle_uses_the_seed():
    x, y = blobs(30, seed=7)
    runs = []
    for seed in (1, 1, 2):
        model = classifier()
        model.build(seed=9)
        model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=seed)
        runs.append(model.get_weights())
    assert_weights_equal(runs[0], runs[1])
    assert weights_differ(runs[0], runs[2])


def test_same_seed_same_training_different_seed_differs():
    """Fresh models from one constructor, fitted with seed=3: equal initial weights,
    shuffles and results; seed=4 gives other weights."""
    x, y = blobs(40, seed=8)

    def run(seed):
        model = classifier()
        history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, seed=seed,
                            validation_split=0.2)
        return model.get_weights(), history.history

    (w1, h1), (w2, h2), (w3, h3) = run(3), run(3), run(4)
    assert_weights_equal(w1, w2)
    assert h1 == h2
    assert weights_differ(w1, w3)
    assert h1 != h3


def test_dropout_masks_follow_the_seed():
    x, y = blobs(40, seed=9)

    def run(seed, dropout=0.5):
        model = classifier(hidden=16, dropout=dropout)
        model.build(seed=0)
        history = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0,
                            seed=seed)
        return model, history.history["loss"]

    (m1, l1), (m2, l2), (m3, l3) = run(3), run(3), run(4)
    assert_weights_equal(m1.get_weights(), m2.get_weights())
    assert l1 == l2
    # shuffle=False and equal initial weights: only the dropout masks depend on the seed
    assert weights_differ(m1.get_weights(), m3.get_weights())
    assert l1 != l3
    # dropout is off at inference: predict is deterministic and skips the layer
    np.testing.assert_array_equal(m1.predict(x), m1.predict(x))
    dense_only = m1.layers[2].forward(m1.layers[0].forward(x))
    np.testing.assert_array_equal(m1.predict(x), dense_only)


def test_batch_size_larger_than_the_data_is_one_full_batch():
    x, y = blobs(20, seed=10)
    model = classifier("float64")
    twin = classifier("float64")
    model.build(seed=4)
    twin.build(seed=4)
    steps = []

    class Steps(nn.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            steps.append(self.params["steps"])      # Keras's callback.params

    history = model.fit(x, y, epochs=2, batch_size=1000, shuffle=False, verbose=0,
                        callbacks=[Steps()])
    losses = [twin.train_on_batch(x, y)[0] for _ in range(2)]
    assert steps == [1, 1]
    assert history.history["loss"] == pytest.approx(losses, rel=1e-12)
    assert_weights_equal(model.get_weights(), twin.get_weights())


def test_fit_builds_a_model_without_input_shape_from_the_data():
    x, y = blobs(20, n_features=5)

    def run(seed):
        model = nn.Sequential([nn.Dense(4, activation="relu"), nn.Dense(3, activation="softmax")])
        model.compile(optimizer=nn.SGD(0.1), loss="categorical_crossentropy")
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, seed=seed)
        return model

    first, second = run(6), run(6)
    assert first.input_shape == (None, 5)
    assert first.layers[0].params["kernel"].shape == (5, 4)
    assert_weights_equal(first.get_weights(), second.get_weights())


def test_zero_epochs_trains_nothing():
    x, y = blobs(10)
    model = classifier()
    model.build(seed=0)
    before = model.get_weights()
    history = model.fit(x, y, epochs=0, verbose=0)
    assert history.history == {}
    assert_weights_equal(before, model.get_weights())


@pytest.mark.parametrize("kwargs", [
    {"epochs": -1}, {"batch_size": 0}, {"batch_size": -3},
    {"validation_split": 1.0}, {"validation_split": -0.1},
    {"validation_split": 0.999},                      # no sample left for training
    {"validation_data": (np.ones((3, 4)),)},
    {"validation_data": (np.ones((3, 4)), np.ones((2, 3)))},
])
def test_fit_bad_arguments(kwargs):
    x, y = blobs(10)
    model = classifier()
    with pytest.raises(ValueError):
        model.fit(x, y, verbose=0, **kwargs)


@pytest.mark.parametrize("kwargs", [{"epochs": 1.5}, {"batch_size": 2.5},
                                    {"epochs": True}, {"batch_size": "8"}])
def test_fit_counts_of_the_wrong_type(kwargs):
    x, y = blobs(10)
    with pytest.raises(TypeError, match=next(iter(kwargs))):
        classifier().fit(x, y, verbose=0, **kwargs)


@pytest.mark.parametrize(("x", "y"), [
    (np.ones((10, 4)), np.ones((9, 3))),
    (np.ones((0, 4)), np.ones((0, 3))),
    (np.ones(4), np.ones((4, 3))),
])
def test_fit_bad_data(x, y):
    model = classifier()
    with pytest.raises(ValueError):
        model.fit(x, y, verbose=0)


def test_verbose_one_shows_a_progress_bar_per_epoch(capsys):
    x, y = blobs(20)
    history = classifier().fit(x, y, epochs=2, batch_size=8, verbose=1, seed=0)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err
    assert len(history.history["loss"]) == 2


def test_verbose_two_prints_one_line_per_epoch(capsys):
    x, y = blobs(20)
    classifier().fit(x, y, epochs=3, batch_size=8, verbose=2, seed=0)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch")]
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]
    assert all("loss:" in line and "accuracy:" in line for line in lines)


# -- train_on_batch, evaluate, predict ------------------------------------------------------


def test_train_on_batch_return_types():
    x, y = blobs(10)
    model = classifier()
    result = model.train_on_batch(x, y)
    assert isinstance(result, list) and len(result) == 2
    model.compile(optimizer=nn.SGD(0.1), loss="categorical_crossentropy")
    assert isinstance(model.train_on_batch(x, y), float)


def test_train_on_batch_is_one_sgd_step():
    x, y = blobs(10, seed=11)
    model = classifier("float64")
    model.compile(optimizer=nn.SGD(0.3), loss="categorical_crossentropy")
    model.build(seed=0)
    before = {key: value.copy() for key, value in model.params.items()}
    model.train_on_batch(x, y)
    for key, value in model.params.items():
        np.testing.assert_allclose(value, before[key] - 0.3 * model.grads[key], rtol=1e-13,
                                   atol=1e-15)


def test_evaluate_return_forms():
    x, y = blobs(20, seed=12)
    model = classifier()
    model.build(seed=0)
    values = model.evaluate(x, y)
    as_dict = model.evaluate(x, y, return_dict=True)
    assert isinstance(values, list) and len(values) == 2
    assert as_dict == {"loss": values[0], "accuracy": values[1]}
    probabilities = model.predict(x)
    assert values[0] == pytest.approx(nn.CategoricalCrossentropy()(y, probabilities),
                                      rel=1e-6)
    assert values[1] == pytest.approx(np.mean(probabilities.argmax(1) == y.argmax(1)),
                                      rel=1e-7)   # float32, as Keras's metrics
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    loss = model.evaluate(x, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(values[0], rel=1e-12)
    assert model.evaluate(x, y, return_dict=True) == {"loss": loss}


def test_evaluate_prints_with_verbose(capsys):
    x, y = blobs(10)
    model = classifier()
    def keras_format(value):       # Keras's progress values: e-notation at or below 1e-3
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"

    loss, accuracy = model.evaluate(x, y, verbose=2)       # one line, as Keras's verbose=2
    assert capsys.readouterr().out.strip() == (f"Evaluate - loss: {keras_format(loss)} - "
                                               f"accuracy: {keras_format(accuracy)}")
    model.evaluate(x, y, verbose=1)                         # a bar with the values
    assert f"loss={keras_format(loss)}" in capsys.readouterr().err


def test_evaluate_includes_the_regularization_penalties():
    x, y = blobs(25, seed=13)
    model = nn.Sequential([
        nn.Conv2D(3, 2, activation="relu", input_shape=(3, 3, 2),
                  kernel_regularizer=nn.L2(0.03), dtype="float64"),
        nn.Flatten(dtype="float64"),
        nn.Dense(3, activation="softmax", kernel_regularizer=nn.L2(0.07),
                 bias_regularizer=nn.L1(0.01), dtype="float64")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.build(seed=0)
    rng = np.random.default_rng(0)
    model.set_weights([rng.standard_normal(w.shape) for w in model.get_weights()])
    images = np.random.default_rng(1).standard_normal((25, 3, 3, 2))
    penalty = (0.03 * np.sum(model.layers[0].params["kernel"] ** 2)
               + 0.07 * np.sum(model.layers[2].params["kernel"] ** 2)
               + 0.01 * np.sum(np.abs(model.layers[2].params["bias"])))
    assert model.regularization_loss() == pytest.approx(penalty, rel=1e-12)
    # a softmax output's cross-entropy from its logits, as TensorFlow's Keras (no clip)
    plain = nn.CategoricalCrossentropy(from_logits=True)(y, np.log(model.predict(images)))
    assert penalty > 0.1 * plain
    for batch_size in (4, 25, 100):
        assert model.evaluate(images, y, batch_size=batch_size) == pytest.approx(
            plain + penalty, rel=1e-12)


def test_evaluate_and_predict_run_in_inference_mode():
    """BatchNormalization uses its moving statistics and Dropout is the identity in
    evaluate and predict; train_on_batch uses the batch statistics and masks."""
    x, y = blobs(30, seed=22)
    x = x * 4 + 3
    model = nn.Sequential([nn.Dense(8, input_shape=(4,)), nn.BatchNormalization(),
                           nn.Dropout(0.5), nn.Dense(3, activation="softmax")])
    model.compile(optimizer=nn.SGD(0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, seed=0)
    moving = model.layers[1].moving_mean.copy()
    probabilities = model.predict(x)
    np.testing.assert_array_equal(probabilities, model.predict(x))
    np.testing.assert_array_equal(probabilities, chain(model, x))
    loss, accuracy = model.evaluate(x, y)
    assert loss == pytest.approx(nn.CategoricalCrossentropy()(y, probabilities), rel=1e-6)
    np.testing.assert_array_equal(model.layers[1].moving_mean, moving)  # not updated
    assert model.train_on_batch(x, y)[0] != pytest.approx(loss, rel=1e-3)
    assert weights_differ([moving], [model.layers[1].moving_mean])


def test_predict_equals_the_layers_chained_by_hand_and_is_batch_size_independent():
    rng = np.random.default_rng(14)
    model = nn.Sequential([nn.Conv2D(5, 3, activation="relu", padding="same",
                                     input_shape=(8, 8, 1)),
                           nn.MaxPooling2D(), nn.Flatten(), nn.Dense(7, activation="tanh"),
                           nn.Dense(4, activation="softmax")])
    model.build(seed=3)
    x = rng.standard_normal((53, 8, 8, 1)).astype(np.float32)
    expected = chain(model, x)
    full = model.predict(x, batch_size=1000)
    np.testing.assert_array_equal(full, expected)
    assert full.dtype == np.float32 and full.shape == (53, 4)
    np.testing.assert_allclose(model.predict(x, batch_size=7), full, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.predict(x, batch_size=1), full, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(model(x), expected)


@settings(max_examples=15)
@given(n=st.integers(1, 30), batch_size=st.integers(1, 40))
def test_predict_float64_batch_size_property(n, batch_size):
    model = nn.Sequential([nn.Dense(5, activation="relu", input_shape=(3,), dtype="float64"),
                           nn.Dense(2, dtype="float64")])
    model.build(seed=0)
    x = np.random.default_rng(n).standard_normal((n, 3))
    reference = np.concatenate([chain(model, x[k:k + 1]) for k in range(n)])
    np.testing.assert_allclose(model.predict(x, batch_size=batch_size), reference,
                               rtol=1e-13, atol=1e-14)


# -- accuracy semantics ----------------------------------------------------------------------


def test_categorical_accuracy_is_argmax_against_argmax():
    predictions = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6],
                            [0.3, 0.4, 0.3]])
    targets = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 1], [0.2, 0.1, 0.7]])   # soft last row
    model = identity_model(3, nn.CategoricalCrossentropy())
    loss, accuracy = model.evaluate(predictions, targets)
    assert accuracy == 0.5
    assert loss == pytest.approx(nn.CategoricalCrossentropy()(targets, predictions),
                                 rel=1e-12)


@settings(max_examples=25)
@given(n=st.integers(1, 20), n_classes=st.integers(2, 6), seed=st.integers(0, 2**16))
def test_categorical_and_sparse_accuracy_property(n, n_classes, seed):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, n_classes))
    labels = rng.integers(0, n_classes, n)
    expected = np.mean(logits.argmax(1) == labels)
    categorical = identity_model(n_classes, nn.CategoricalCrossentropy(from_logits=True))
    assert categorical.evaluate(logits, np.eye(n_classes)[labels])[1] == pytest.approx(
        expected, rel=1e-7)                      # float32, as Keras's metrics
    sparse = identity_model(n_classes, nn.SparseCategoricalCrossentropy(from_logits=True))
    assert sparse.evaluate(logits, labels, batch_size=3)[1] == pytest.approx(expected)


@pytest.mark.parametrize("labels", [np.array([1, 0, 2, 2]), np.array([[1], [0], [2], [2]]),
                                    np.array([1.0, 0.0, 2.0, 2.0])],
                         ids=["(n,)", "(n,1)", "float"])
def test_sparse_accuracy_label_shapes(labels):
    logits = np.array([[0.0, 2.0, 1.0], [3.0, 0.0, 0.0], [0.0, 1.0, 0.5], [0.0, 0.0, 4.0]])
    model = identity_model(3, nn.SparseCategoricalCrossentropy(from_logits=True))
    assert model.evaluate(logits, labels)[1] == 0.75


@pytest.mark.parametrize("target_shape", ["(n,1)", "(n,)"])
def test_binary_accuracy_from_logits_thresholds_at_one_half_as_keras(target_shape):
    """Keras 3 resolves "accuracy" from the shapes alone: BinaryAccuracy(0.5), also on
    logits; BinaryAccuracy(threshold=0.0) counts logits above 0 as 1."""
    logits = np.array([[-2.0], [-0.1], [0.0], [0.1], [3.0]])
    labels = np.array([0, 1, 0, 1, 1], dtype=np.float64)
    targets = labels[:, None] if target_shape == "(n,1)" else labels
    model = identity_model(1, nn.BinaryCrossentropy(from_logits=True))
    loss, accuracy = model.evaluate(logits, targets)
    assert accuracy == pytest.approx(0.6)        # predicted 0, 0, 0, 0, 1
    model.compile(optimizer="sgd", loss=nn.BinaryCrossentropy(from_logits=True),
                  metrics=[nn.metrics.BinaryAccuracy(threshold=0.0)])
    assert model.evaluate(logits, targets)[1] == pytest.approx(0.8)   # 0, 0, 0, 1, 1
    assert loss == pytest.approx(nn.BinaryCrossentropy(from_logits=True)(targets, logits))


@pytest.mark.parametrize("target_shape", ["(n,1)", "(n,)"])
def test_binary_accuracy_of_probabilities_thresholds_at_one_half(target_shape):
    probabilities = np.array([[0.2], [0.49], [0.5], [0.51], [0.9]])   # 0.5 counts as 0
    labels = np.array([0, 1, 0, 1, 0], dtype=np.float64)
    targets = labels[:, None] if target_shape == "(n,1)" else labels
    model = identity_model(1, nn.BinaryCrossentropy())
    assert model.evaluate(probabilities, targets)[1] == pytest.approx(0.6)


def test_binary_accuracy_over_several_outputs_is_the_fraction_of_entries():
    probabilities = np.array([[0.9, 0.1], [0.8, 0.7], [0.2, 0.3]])
    targets = np.array([[1, 0], [0, 1], [0, 1]], dtype=np.float64)   # 1+1, 0+1, 1+0
    model = identity_model(2, nn.BinaryCrossentropy())
    assert model.evaluate(probabilities, targets)[1] == pytest.approx(4 / 6)


def test_fit_accuracy_with_sparse_labels_matches_evaluate():
    x, y = blobs(30, seed=15)
    labels = y.argmax(1)
    model = classifier()
    model.compile(optimizer=nn.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, labels, epochs=2, batch_size=8, verbose=0, seed=0,
                        validation_data=(x, labels))
    assert history.history["val_accuracy"][-1] == pytest.approx(
        np.mean(model.predict(x).argmax(1) == labels), rel=1e-7)


# -- the fused softmax + cross-entropy and a whole-model gradient check ----------------------


@pytest.mark.parametrize("separate", ["Softmax", "Activation"])
def test_fused_softmax_crossentropy_step_equals_the_chain_rule(separate):
    """Dense(softmax) + categorical cross-entropy (fused gradient) and Dense + a separate
    softmax layer (chain rule through the softmax Jacobian) take the same SGD step."""
    rng = np.random.default_rng(16)
    x = rng.standard_normal((9, 5))
    y = np.eye(4)[rng.integers(0, 4, 9)]

    def make(fused):
        layers = [nn.Dense(6, activation="tanh", input_shape=(5,), dtype="float64")]
        if fused:
            layers.append(nn.Dense(4, activation="softmax", dtype="float64"))
        else:
            layers.append(nn.Dense(4, dtype="float64"))
            layers.append(nn.Softmax(dtype="float64") if separate == "Softmax"
                          else nn.Activation("softmax", dtype="float64"))
        model = nn.Sequential(layers)
        model.compile(optimizer=nn.SGD(0.5), loss="categorical_crossentropy")
        model.build(seed=0)
        return model

    fused, chained = make(True), make(False)
    chained.set_weights(fused.get_weights())
    np.testing.assert_allclose(chained.predict(x), fused.predict(x), rtol=1e-14)
    losses = [model.train_on_batch(x, y) for model in (fused, chained)]
    assert losses[0] == pytest.approx(losses[1], rel=1e-13)
    for a, b in zip(fused.get_weights(), chained.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_one_sgd_step_is_minus_the_finite_difference_gradient():
    """With SGD(learning_rate=1) the update of every parameter is minus the gradient of
    loss(y, predict(x)) + penalties, here taken by float64 central differences."""
    rng = np.random.default_rng(17)
    model = nn.Sequential([
        nn.Conv2D(3, 3, activation="tanh", input_shape=(6, 6, 2),
                  kernel_regularizer=nn.L2(0.05), dtype="float64"),
        nn.MaxPooling2D(2, dtype="float64"), nn.Flatten(dtype="float64"),
        nn.Dense(4, activation="softmax", kernel_regularizer=nn.L2(0.02),
                 bias_regularizer=nn.L2(0.1), dtype="float64")])
    model.compile(optimizer=nn.SGD(1.0), loss="categorical_crossentropy")
    model.build(seed=0)
    model.set_weights([0.5 * rng.standard_normal(w.shape) for w in model.get_weights()])
    x = rng.standard_normal((5, 6, 6, 2))
    y = np.eye(4)[rng.integers(0, 4, 5)]
    assert set(model.params) == {f"{model.layers[0].name}/kernel",
                                 f"{model.layers[0].name}/bias",
                                 f"{model.layers[3].name}/kernel",
                                 f"{model.layers[3].name}/bias"}

    def objective():
        return model.loss(y, model.predict(x)) + model.regularization_loss()

    start = objective()
    numeric = {}
    for key, param in model.params.items():
        flat = param.reshape(-1)
        gradient = np.empty(flat.size)
        for i in range(flat.size):
            saved = flat[i]
            flat[i] = saved + 1e-6
            plus = objective()
            flat[i] = saved - 1e-6
            minus = objective()
            flat[i] = saved
            gradient[i] = (plus - minus) / 2e-6
        numeric[key] = gradient.reshape(param.shape)
    before = {key: value.copy() for key, value in model.params.items()}
    loss = model.train_on_batch(x, y)
    assert loss == pytest.approx(start, rel=1e-12)
    for key, value in model.params.items():
        step = before[key] - value
        error = np.linalg.norm(step - numeric[key]) / np.linalg.norm(numeric[key])
        assert error < 1e-6, (key, error)


# -- callbacks -------------------------------------------------------------------------------


def test_custom_callback_receives_the_hooks_in_order():
    x, y = blobs(10)
    events = []
    model = classifier()

    class Recorder(nn.Callback):
        def on_train_begin(self, logs=None):
            events.append("train_begin")
            assert self.model is model

        def on_epoch_begin(self, epoch, logs=None):
            events.append(f"epoch_begin {epoch}")

        def on_train_batch_end(self, batch, logs=None):
            events.append(f"batch_end {batch}")
            self.last_batch_logs = dict(logs)

        def on_epoch_end(self, epoch, logs=None):
            events.append(f"epoch_end {epoch}")
            assert set(logs) == {"loss", "accuracy", "val_loss", "val_accuracy"}
            # the logs of the last batch hold the epoch's running means
            assert logs["loss"] == self.last_batch_logs["loss"]
            assert logs["accuracy"] == self.last_batch_logs["accuracy"]

        def on_train_end(self, logs=None):
            events.append("train_end")

    recorder = Recorder()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, seed=0, callbacks=[recorder],
              validation_data=(x, y))
    per_epoch = ["batch_end 0", "batch_end 1", "batch_end 2"]
    assert events == (["train_begin", "epoch_begin 0", *per_epoch, "epoch_end 0",
                       "epoch_begin 1", *per_epoch, "epoch_end 1", "train_end"])


def test_stop_training_from_a_callback_ends_after_the_current_batch():
    x, y = blobs(20)
    batches = []

    class StopAtSecondBatch(nn.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)
            if batch == 1:
                self.model.stop_training = True

    history = classifier().fit(x, y, epochs=5, batch_size=4, verbose=0, seed=0,
                               callbacks=[StopAtSecondBatch()])
    assert batches == [0, 1]
    assert len(history.history["loss"]) == 1


def test_non_callback_refused():
    x, y = blobs(10)
    with pytest.raises(TypeError):
        classifier().fit(x, y, verbose=0, callbacks=[object()])
    with pytest.raises(TypeError):
        classifier().fit(x, y, verbose=0, callbacks=[lambda epoch, logs: None])


def test_early_stopping_patience():
    x, y = blobs(10)
    stopper = nn.EarlyStopping(monitor="score", patience=2)
    history = classifier().fit(x, y, epochs=8, verbose=0, seed=0, callbacks=[
        Script("score", [3.0, 2.0, 2.5, 2.4, 1.0, 0.5, 0.4, 0.3]), stopper])
    # best 2.0 at epoch 1; epochs 2 and 3 do not improve: stop after epoch 3
    assert len(history.history["loss"]) == 4
    assert stopper.stopped_epoch == 3
    assert stopper.best == 2.0 and stopper.best_epoch == 1


def test_early_stopping_patience_zero_and_never_stopping():
    x, y = blobs(10)
    history = classifier().fit(x, y, epochs=5, verbose=0, seed=0, callbacks=[
        Script("score", [1.0, 1.0, 0.5, 0.4, 0.3]), nn.EarlyStopping("score", patience=0)])
    assert len(history.history["loss"]) == 2        # an equal value is no improvement
    history = classifier().fit(x, y, epochs=5, verbose=0, seed=0, callbacks=[
        Script("score", [5.0, 4.0, 3.0, 2.0, 1.0]), nn.EarlyStopping("score", patience=0)])
    assert len(history.history["loss"]) == 5


@pytest.mark.parametrize(("min_delta", "epochs_run"), [(0.0, 5), (0.04, 5), (0.1, 2),
                                                       (-0.1, 2)])
def test_early_stopping_min_delta(min_delta, epochs_run):
    x, y = blobs(10)
    history = classifier().fit(x, y, epochs=5, verbose=0, seed=0, callbacks=[
        Script("val_loss", [1.0, 0.95, 0.9, 0.85, 0.8]),
        nn.EarlyStopping(min_delta=min_delta, patience=1)])
    assert len(history.history["loss"]) == epochs_run


@pytest.mark.parametrize(("monitor", "mode", "epochs_run"), [
    ("val_accuracy", "auto", 5), ("accuracy", "auto", 5), ("val_loss", "auto", 2),
    ("loss", "auto", 2), ("val_accuracy", "min", 2), ("val_loss", "max", 5)])
def test_early_stopping_mode(monitor, mode, epochs_run):
    """auto maximizes accuracies and minimizes losses (a rising score here)."""
    x, y = blobs(10)
    history = classifier().fit(x, y, epochs=5, verbose=0, seed=0, callbacks=[
        Script(monitor, [0.1, 0.2, 0.3, 0.4, 0.5]),
        nn.EarlyStopping(monitor=monitor, mode=mode, patience=0)])
    assert len(history.history["loss"]) == epochs_run


def test_early_stopping_starts_afresh_in_every_fit():
    x, y = blobs(10)
    stopper = nn.EarlyStopping("score", patience=1)
    model = classifier()
    first = model.fit(x, y, epochs=4, verbose=0, seed=0, callbacks=[
        Script("score", [1.0, 0.5, 0.7, 0.8]), stopper])
    assert len(first.history["loss"]) == 3
    # a fresh fit does not remember the best of 0.5: 0.9 then 0.8 are improvements
    second = model.fit(x, y, epochs=3, verbose=0, seed=0, callbacks=[
        Script("score", [0.9, 0.8, 0.7]), stopper])
    assert len(second.history["loss"]) == 3


def test_early_stopping_bad_arguments():
    with pytest.raises(ValueError):
        nn.EarlyStopping(mode="up")
    with pytest.raises(ValueError):
        nn.EarlyStopping(patience=-1)


def test_early_stopping_restores_the_best_weights():
    x, y = blobs(20, seed=18)
    recorder = WeightRecorder()
    stopper = nn.EarlyStopping(monitor="score", patience=2, restore_best_weights=True)
    model = classifier()
    history = model.fit(x, y, epochs=10, batch_size=4, verbose=0, seed=0, callbacks=[
        Script("score", [5.0, 1.0, 3.0, 4.0, 6.0, 7.0, 8.0, 9.0, 0.0, 0.0]), recorder,
        stopper])
    assert len(history.history["loss"]) == 4
    assert len(recorder.weights) == 4
    assert_weights_equal(model.get_weights(), recorder.weights[1])
    assert weights_differ(model.get_weights(), recorder.weights[3])


def test_early_stopping_without_restore_keeps_the_last_weights():
    x, y = blobs(20, seed=18)
    recorder = WeightRecorder()
    model = classifier()
    model.fit(x, y, epochs=10, batch_size=4, verbose=0, seed=0, callbacks=[
        Script("score", [5.0, 1.0, 3.0, 4.0, 6.0, 7.0, 8.0, 9.0, 0.0, 0.0]), recorder,
        nn.EarlyStopping(monitor="score", patience=2)])
    assert_weights_equal(model.get_weights(), recorder.weights[-1])


def diverging_regression():
    rng = np.random.default_rng(19)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = rng.standard_normal((64, 1)).astype(np.float32)
    model = nn.Sequential([nn.Dense(1, input_shape=(4,))])
    model.compile(optimizer=nn.SGD(1e6), loss=nn.MeanSquaredError())
    model.build(seed=0)
    return model, x, y


def test_terminate_on_nan_stops_a_diverging_run():
    model, x, y = diverging_regression()
    history = model.fit(x, y, epochs=30, batch_size=8, verbose=0, seed=0,
                        callbacks=[nn.TerminateOnNaN()])
    losses = history.history["loss"]
    assert len(losses) < 30
    assert not math.isfinite(losses[-1])
    assert all(math.isfinite(loss) for loss in losses[:-1])


def test_a_diverging_run_without_terminate_on_nan_runs_on_without_warnings():
    """The steps run under np.errstate: overflow shows as inf/NaN losses, never as a
    FloatingPointError or a RuntimeWarning (which pytest turns into errors here)."""
    model, x, y = diverging_regression()
    history = model.fit(x, y, epochs=6, batch_size=8, verbose=0, seed=0)
    assert len(history.history["loss"]) == 6
    assert not math.isfinite(history.history["loss"][-1])


def test_model_checkpoint_every_epoch(tmp_path):
    x, y = blobs(10)
    recorder = WeightRecorder()
    history = classifier().fit(x, y, epochs=3, verbose=0, seed=0, callbacks=[
        recorder, nn.ModelCheckpoint(tmp_path / "model-{epoch:02d}-{loss:.4f}.npz",
                                     monitor="loss")])
    losses = history.history["loss"]
    expected = sorted(f"model-{k + 1:02d}-{losses[k]:.4f}.npz" for k in range(3))
    assert sorted(os.listdir(tmp_path)) == expected
    for k in range(3):
        loaded = nn.load_model(tmp_path / expected[k])
        assert_weights_equal(loaded.get_weights(), recorder.weights[k])


@pytest.mark.parametrize(("mode", "saved"), [("auto", ["01", "02", "04"]), ("min",
                                             ["01", "02", "04"]), ("max", ["01"])])
def test_model_checkpoint_save_best_only(tmp_path, mode, saved):
    x, y = blobs(10)
    recorder = WeightRecorder()
    classifier().fit(x, y, epochs=5, verbose=0, seed=0, callbacks=[
        Script("val_loss", [3.0, 2.0, 2.5, 1.0, 1.5]), recorder,
        nn.ModelCheckpoint(tmp_path / "ckpt-{epoch:02d}.npz", save_best_only=True,
                           mode=mode)])
    assert sorted(os.listdir(tmp_path)) == [f"ckpt-{epoch}.npz" for epoch in saved]
    last = nn.load_model(tmp_path / f"ckpt-{saved[-1]}.npz")
    assert_weights_equal(last.get_weights(), recorder.weights[int(saved[-1]) - 1])


def test_model_checkpoint_best_only_into_one_file(tmp_path):
    x, y = blobs(10)
    recorder = WeightRecorder()
    path = tmp_path / "best.npz"
    classifier().fit(x, y, epochs=5, verbose=0, seed=0, callbacks=[
        Script("val_loss", [3.0, 2.0, 2.5, 1.0, 1.5]), recorder,
        nn.ModelCheckpoint(path, save_best_only=True)])
    assert os.listdir(tmp_path) == ["best.npz"]
    assert_weights_equal(nn.load_model(path).get_weights(), recorder.weights[3])


def test_model_checkpoint_save_weights_only(tmp_path):
    x, y = blobs(10)
    model = classifier()
    path = tmp_path / "weights.npz"
    model.fit(x, y, epochs=2, verbose=0, seed=0,
              callbacks=[nn.ModelCheckpoint(path, monitor="loss", save_weights_only=True)])
    with pytest.raises(ValueError):
        nn.load_model(path)
    fresh = classifier()
    fresh.build(seed=123)
    fresh.load_weights(path)
    assert_weights_equal(fresh.get_weights(), model.get_weights())


# -- save and load ---------------------------------------------------------------------------


def conv_model():
    model = nn.Sequential([nn.Input((8, 8, 1)),
                           nn.Conv2D(4, 3, activation="relu", kernel_regularizer=nn.L2(1e-3)),
                           nn.MaxPooling2D(), nn.Flatten(),
                           nn.Dense(5, activation="softmax")])
    model.compile(optimizer=nn.SGD(0.05, momentum=0.9), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_save_and_load_model_round_trip(tmp_path):
    rng = np.random.default_rng(20)
    x = rng.standard_normal((30, 8, 8, 1)).astype(np.float32)
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 30)]
    model = conv_model()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=0)
    path = tmp_path / "model.npz"
    model.save(path)
    assert os.listdir(tmp_path) == ["model.npz"]      # no stray temporary file
    loaded = nn.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert_weights_equal(loaded.get_weights(), model.get_weights())
    assert loaded.get_config() == model.get_config()
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert type(loaded.optimizer) is nn.SGD
    assert loaded.optimizer.learning_rate == 0.05
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert type(loaded.loss) is nn.CategoricalCrossentropy
    assert loaded.metrics == ["accuracy"]
    assert loaded.evaluate(x, y) == model.evaluate(x, y)
    # the loaded model trains on
    loaded.fit(x, y, epochs=1, verbose=0, seed=0)
    assert weights_differ(loaded.get_weights(), model.get_weights())


def test_load_model_without_compile(tmp_path):
    model = conv_model()
    model.build(seed=0)
    model.save(tmp_path / "m.npz")
    loaded = nn.load_model(tmp_path / "m.npz", compile=False)
    assert loaded.loss is None
    with pytest.raises(RuntimeError):
        loaded.evaluate(np.zeros((2, 8, 8, 1)), np.eye(5)[:2])


def test_saving_over_a_file_replaces_it(tmp_path):
    path = tmp_path / "model.npz"
    model = conv_model()
    model.build(seed=0)
    model.save(path)
    model.set_weights([w + 1 for w in model.get_weights()])
    model.save(path)
    assert os.listdir(tmp_path) == ["model.npz"]
    assert_weights_equal(nn.load_model(path).get_weights(), model.get_weights())


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    model = conv_model()
    model.build(seed=0)
    model.save(path)
    saved = path.read_bytes()

    def crash(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    model.set_weights([w + 1 for w in model.get_weights()])
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    with pytest.raises(OSError, match="disk full"):
        model.save_weights(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.npz"]
    assert path.read_bytes() == saved


def test_save_weights_and_load_weights(tmp_path):
    model = conv_model()
    model.build(seed=0)
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    assert os.listdir(tmp_path) == ["weights.npz"]
    other = conv_model()
    other.build(seed=1)
    assert weights_differ(other.get_weights(), model.get_weights())
    other.load_weights(path)
    assert_weights_equal(other.get_weights(), model.get_weights())
    with pytest.raises(ValueError, match="not a sigconv model"):
        nn.load_model(path)
    # a full save is also a weight file
    model.save(tmp_path / "full.npz")
    third = conv_model()
    third.build(seed=2)
    third.load_weights(tmp_path / "full.npz")
    assert_weights_equal(third.get_weights(), model.get_weights())


def test_load_weights_of_another_architecture_refused(tmp_path):
    model = classifier()
    model.build(seed=0)
    model.save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError):
        conv_model().load_weights(tmp_path / "w.npz")


def test_regularizers_batch_normalization_and_dropout_round_trip(tmp_path):
    rng = np.random.default_rng(21)
    x = rng.standard_normal((40, 6, 6, 2)).astype(np.float32) * 3 + 1
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 40)]
    model = nn.Sequential([
        nn.Conv2D(4, (3, 2), strides=(1, 2), padding="same", activation="relu",
                  input_shape=(6, 6, 2), kernel_regularizer=nn.L1L2(l1=1e-3, l2=1e-2),
                  bias_regularizer=nn.L2(1e-3), name="conv"),
        nn.BatchNormalization(momentum=0.9, epsilon=1e-4, name="bn"),
        nn.Flatten(name="flat"),
        nn.Dropout(0.3, seed=5, name="drop"),
        nn.Dense(3, activation="softmax", kernel_regularizer=nn.L1(1e-3), name="out")],
        name="regularized")
    model.compile(optimizer=nn.Adam(0.003), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, seed=0)
    bn = model.layers[1]
    assert not np.allclose(bn.moving_mean, 0)            # the moving statistics moved
    path = tmp_path / "regularized.npz"
    model.save(path)
    loaded = nn.load_model(path)
    assert loaded.get_config() == model.get_config()
    assert loaded.name == "regularized"
    assert_weights_equal(loaded.get_weights(), model.get_weights())
    np.testing.assert_array_equal(loaded.layers[1].moving_variance, bn.moving_variance)
    assert loaded.regularization_loss() == model.regularization_loss()
    assert loaded.regularization_loss() > 0
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert type(loaded.optimizer) is nn.Adam
    assert loaded.optimizer.get_config() == model.optimizer.get_config()


def test_assorted_layers_round_trip(tmp_path):
    rng = np.random.default_rng(23)
    x = rng.standard_normal((6, 7, 7, 3))
    model = nn.Sequential([
        nn.Conv2D(4, 3, padding="same", dilation_rate=2, use_bias=False,
                  input_shape=(7, 7, 3), dtype="float64"),
        nn.LeakyReLU(0.1, dtype="float64"), nn.AveragePooling2D(2, strides=1,
                                                                dtype="float64"),
        nn.Activation("tanh", dtype="float64"), nn.ReLU(dtype="float64"),
        nn.GlobalAveragePooling2D(dtype="float64"),
        nn.Dense(3, kernel_initializer="he_normal", dtype="float64"),
        nn.Softmax(dtype="float64")])
    model.compile(optimizer=nn.RMSprop(0.002, rho=0.8), loss="categorical_crossentropy")
    model.build(seed=1)
    model.save(tmp_path / "assorted.npz")
    loaded = nn.load_model(tmp_path / "assorted.npz")
    assert loaded.get_config() == model.get_config()
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert loaded.layers[0].params["kernel"].dtype == np.float64
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert type(loaded.optimizer) is nn.RMSprop
    assert loaded.optimizer.get_config() == model.optimizer.get_config()


def test_from_config_builds_an_equal_architecture():
    model = conv_model()
    clone = nn.Sequential.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert not clone.built
    with pytest.raises(ValueError, match="unknown layer class"):
        nn.Sequential.from_config({"name": "x", "input_shape": [3],
                                   "layers": [{"class_name": "Nope", "config": {}}]})


# -- to_categorical --------------------------------------------------------------------------


def test_to_categorical_values():
    np.testing.assert_array_equal(to_categorical([0, 2, 1]),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    encoded = to_categorical(np.array([1, 0]), num_classes=4)
    assert encoded.shape == (2, 4) and encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded, [[0, 1, 0, 0], [1, 0, 0, 0]])
    assert to_categorical([1], dtype="float64").dtype == np.float64


def test_to_categorical_column_and_float_labels():
    np.testing.assert_array_equal(to_categorical(np.array([[2], [0]])),
                                  [[0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(to_categorical(np.array([2.0, 0.0, 1.0])),
                                  to_categorical([2, 0, 1]))
    assert to_categorical(np.array([[0, 1], [1, 2]])).shape == (2, 2, 3)


@settings(max_examples=30)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=30), st.integers(0, 5))
def test_to_categorical_property(labels, extra):
    num_classes = max(labels) + 1 + extra
    encoded = to_categorical(labels, num_classes=num_classes)
    assert encoded.shape == (len(labels), num_classes)
    np.testing.assert_array_equal(encoded.argmax(1), labels)
    np.testing.assert_array_equal(encoded.sum(1), 1)
    assert set(np.unique(encoded)) <= {0.0, 1.0}


@pytest.mark.parametrize(("labels", "kwargs", "error"), [
    ([0, -1, 2], {}, ValueError),
    ([0, 3], {"num_classes": 3}, ValueError),
    ([0.0, 1.5], {}, ValueError),
    ([0.0, np.nan], {}, ValueError),
    (["a", "b"], {}, TypeError),
])
def test_to_categorical_errors(labels, kwargs, error):
    with pytest.raises(error):
        to_categorical(labels, **kwargs)


# -- grid search -----------------------------------------------------------------------------

GRID = {"learning_rate": [0.05, 0.2], "l2": [0.0, 1e-3]}
RECORD_KEYS = {"learning_rate", "l2", "train_loss", "train_accuracy", "test_loss",
               "test_accuracy", "seconds"}


@pytest.fixture(scope="module")
def small_digits(digits):
    images, labels = digits
    x, y = images[:80], to_categorical(labels[:80], 10)
    return x[:60], y[:60], x[60:], y[60:]


@pytest.fixture(scope="module")
def serial_grid(small_digits):
    return nn.grid_search(nn.lecture_digits_cnn, GRID, *small_digits, epochs=2,
                          batch_size=16, seed=1)


def without_seconds(result):
    return [{key: value for key, value in record.items() if key != "seconds"}
            for record in result.records]


def test_grid_search_records_in_grid_order(serial_grid, small_digits):
    assert isinstance(serial_grid, nn.GridResult)
    assert len(serial_grid) == 4
    assert [(r["learning_rate"], r["l2"]) for r in serial_grid.records] == [
        (0.05, 0.0), (0.05, 1e-3), (0.2, 0.0), (0.2, 1e-3)]
    assert all(set(record) == RECORD_KEYS for record in serial_grid.records)
    assert serial_grid.param_grid == GRID
    # each cell is a fresh model fitted with the seed and evaluated
    x_train, y_train, x_test, y_test = small_digits
    record = serial_grid.records[3]
    model = nn.lecture_digits_cnn(learning_rate=0.2, l2=1e-3)
    model.fit(x_train, y_train, epochs=2, batch_size=16, verbose=0, seed=1)
    test = model.evaluate(x_test, y_test, batch_size=1024, return_dict=True)
    train = model.evaluate(x_train, y_train, batch_size=1024, return_dict=True)
    assert record["test_loss"] == test["loss"]
    assert record["test_accuracy"] == test["accuracy"]
    assert record["train_loss"] == train["loss"]
    assert record["train_accuracy"] == train["accuracy"]
    assert record["seconds"] > 0


def test_grid_result_pivot_and_best(serial_grid):
    table, rows, columns = serial_grid.pivot("test_loss")
    assert rows == [0.05, 0.2] and columns == [0.0, 1e-3]
    assert table.shape == (2, 2)
    expected = np.array([[r["test_loss"] for r in serial_grid.records[:2]],
                         [r["test_loss"] for r in serial_grid.records[2:]]])
    np.testing.assert_array_equal(table, expected)
    transposed, rows, columns = serial_grid.pivot("test_loss", rows="l2",
                                                  columns="learning_rate")
    assert rows == [0.0, 1e-3] and columns == [0.05, 0.2]
    np.testing.assert_array_equal(transposed, expected.T)
    best = serial_grid.best("train_loss")
    assert best["train_loss"] == max(r["train_loss"] for r in serial_grid.records)
    best = serial_grid.best()
    assert best["test_accuracy"] == max(r["test_accuracy"] for r in serial_grid.records)


def test_grid_result_pivot_marks_missing_cells_nan():
    records = [{"a": 1, "b": "x", "score": 0.5}, {"a": 2, "b": "y", "score": 0.25},
               {"a": 3, "b": "x", "score": 0.75}]
    result = nn.GridResult(records, {"a": [1, 2, 3], "b": ["x", "y"]})
    table, rows, columns = result.pivot("score")
    assert rows == [1, 2, 3] and columns == ["x", "y"]
    np.testing.assert_array_equal(table, [[0.5, np.nan], [np.nan, 0.25], [0.75, np.nan]])
    assert result.best("score") is records[2]


def test_grid_search_two_processes_equal_one(serial_grid, small_digits):
    parallel = nn.grid_search(nn.lecture_digits_cnn, GRID, *small_digits, epochs=2,
                              batch_size=16, seed=1, n_jobs=2)
    assert without_seconds(parallel) == without_seconds(serial_grid)


def test_grid_search_on_an_executor_equals_serial(serial_grid, small_digits):
    with ThreadPoolExecutor(max_workers=2) as executor:
        result = nn.grid_search(nn.lecture_digits_cnn, GRID, *small_digits, epochs=2,
                                batch_size=16, seed=1, executor=executor)
    assert without_seconds(result) == without_seconds(serial_grid)


def test_executor_cells_run_on_one_thread(small_digits):
    """The executor's workers are the parallelism: each cell's numba kernels and
    sigconv.nn's own pool run on one thread, and the caller's threads stay as they were."""
    import numba

    from sigconv.nn import functional

    seen = []

    def build(**params):
        seen.append((numba.get_num_threads(), functional.n_threads()))
        return nn.lecture_digits_cnn(**params)

    before = numba.get_num_threads()
    with ThreadPoolExecutor(max_workers=2) as executor:
        nn.grid_search(build, {"learning_rate": [0.1], "l2": [0.0, 1e-3]}, *small_digits,
                       epochs=1, batch_size=16, executor=executor)
    assert seen == [(1, 1), (1, 1)]
    assert numba.get_num_threads() == before


def test_grid_search_seed_changes_the_cells(serial_grid, small_digits):
    other = nn.grid_search(nn.lecture_digits_cnn, {"learning_rate": [0.2], "l2": [0.0]},
                           *small_digits, epochs=2, batch_size=16, seed=2)
    assert other.records[0]["train_loss"] != serial_grid.records[2]["train_loss"]


@pytest.mark.parametrize(("param_grid", "n_jobs"), [
    ({}, 1), ([("learning_rate", [0.1])], 1), ({"learning_rate": []}, 1),
    ({"learning_rate": "0.1"}, 1), ({"learning_rate": [0.1]}, 0),
    ({"learning_rate": [0.1]}, -2), ({"learning_rate": [0.1]}, 1.5)])
def test_grid_search_bad_arguments(param_grid, n_jobs, small_digits):
    with pytest.raises((TypeError, ValueError)):    # TypeError for a list or a float
        nn.grid_search(nn.lecture_digits_cnn, param_grid, *small_digits, n_jobs=n_jobs)


# -- end to end --------------------------------------------------------------------------------


def test_lecture_digits_cnn_reaches_95_percent(digits):
    """The lecture's network on the 8x8 digits (raw pixel values 0..16, as the lecture
    keeps them): 80/20 split, 40 epochs of batches of 100, over 95% test accuracy."""
    from sklearn.model_selection import train_test_split

    images, labels = digits
    x_train, x_test, y_train, y_test = train_test_split(
        images, to_categorical(labels), test_size=0.2, random_state=0)
    model = nn.lecture_digits_cnn(learning_rate=0.1, l2=1e-3)
    history = model.fit(x_train, y_train, epochs=40, batch_size=100, verbose=0, seed=0)
    loss, accuracy = model.evaluate(x_test, y_test)
    assert accuracy >= 0.95
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert math.isfinite(loss)
