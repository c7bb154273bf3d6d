"""Keras 3's fit/evaluate/predict options: sample and class weights, validation frequency,
initial epoch, steps per epoch, batch sizes, data streamed from iterables and sequences,
and the state a run needs to resume. Each rule is replayed in NumPy or against an
equivalent run."""

import numpy as np
import pytest

from sigconv import nn


def softmax_model(dtype="float64", seed=0, optimizer=None):
    """One Dense softmax layer: small enough to replay its SGD step in NumPy."""
    model = nn.Sequential([nn.Input((3,)), nn.Dense(4, activation="softmax", dtype=dtype)])
    model.build(seed=seed)
    model.compile(optimizer or nn.SGD(0.5), "categorical_crossentropy")
    return model


def data(n=12, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    y = np.eye(4)[rng.integers(0, 4, n)]
    return x, y


def replay_sgd_step(weights, x, y, w, learning_rate=0.5):
    """Keras's weighted step for Dense(softmax) + categorical cross-entropy: loss
    ``sum(w * l) / n`` (``sum_over_batch_size``), gradient ``x^T (w (p - y)) / n``."""
    kernel, bias = weights
    logits = x @ kernel + bias
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    losses = -np.sum(y * np.log(np.clip(p, 1e-7, 1 - 1e-7)), axis=1)
    loss = np.sum(w * losses) / len(x)
    delta = w[:, None] * (p - y) / len(x)
    return loss, [kernel - learning_rate * x.T @ delta, bias - learning_rate * delta.sum(0)]


def test_sample_weight_replays_keras_weighted_step():
    x, y = data()
    w = np.random.default_rng(2).uniform(0, 3, len(x))
    model = softmax_model()
    expected_loss, expected = replay_sgd_step(model.get_weights(), x, y, w)
    history = model.fit(x, y, sample_weight=w, batch_size=len(x), shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected_loss, rel=1e-12)
    for got, want in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_sample_weight_in_batches_and_evaluate():
    x, y = data(10)
    w = np.linspace(0.0, 2.0, 10)
    model = softmax_model()
    weights = model.get_weights()
    batch_losses = []
    for start in range(0, 10, 4):      # batches of 4, 4, 2
        index = slice(start, start + 4)
        loss, weights = replay_sgd_step(weights, x[index], y[index], w[index])
        batch_losses.append((loss, len(x[index])))
    history = model.fit(x, y, sample_weight=w, batch_size=4, shuffle=False, verbose=0)
    # the epoch's loss: the batch losses' mean weighted by batch size (Keras's tracker)
    expected = sum(loss * n for loss, n in batch_losses) / 10
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-12)
    for got, want in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    # evaluate with weights: the same mean of weighted batch losses, no step
    value = model.evaluate(x, y, sample_weight=w, batch_size=3)
    final = model.get_weights()
    replayed = sum(replay_sgd_step(final, x[s:s + 3], y[s:s + 3], w[s:s + 3])[0]
                   * len(x[s:s + 3]) for s in range(0, 10, 3)) / 10
    assert value == pytest.approx(replayed, rel=1e-12)


def test_class_weight_is_sample_weight_by_label():
    x, y = data()
    class_weight = {0: 0.5, 1: 2.0, 2: 1.0, 3: 3.0}
    model, twin = softmax_model(), softmax_model()
    model.fit(x, y, class_weight=class_weight, batch_size=5, shuffle=False, verbose=0)
    w = np.array([class_weight[label] for label in y.argmax(axis=1)])
    twin.fit(x, y, sample_weight=w, batch_size=5, shuffle=False, verbose=0)
    for got, want in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(x, y, class_weight=class_weight, sample_weight=w, verbose=0)


def test_validation_freq_int_and_list():
    x, y = data()
    model = softmax_model()
    seen = []

    class Record(nn.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch, "val_loss" in logs))

    model.fit(x, y, epochs=5, validation_data=(x, y), validation_freq=2, verbose=0,
              callbacks=[Record()])
    assert seen == [(0, False), (1, True), (2, False), (3, True), (4, False)]
    seen.clear()
    history = model.fit(x, y, epochs=4, validation_data=(x, y), validation_freq=[1, 4],
                        verbose=0, callbacks=[Record()])
    assert seen == [(0, True), (1, False), (2, False), (3, True)]
    assert len(history.history["val_loss"]) == 2
    for bad in (0, -1, [0], 1.5, "2"):
        with pytest.raises((TypeError, ValueError), match="validation_freq"):
            model.fit(x, y, validation_data=(x, y), validation_freq=bad, verbose=0)


def test_initial_epoch_counts_epochs_as_keras():
    x, y = data()
    model = softmax_model()
    epochs = []

    class Record(nn.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epochs.append(epoch)

    history = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0, callbacks=[Record()])
    assert epochs == [3, 4]
    assert len(history.history["loss"]) == 2
    with pytest.raises((TypeError, ValueError), match="initial_epoch"):
        model.fit(x, y, initial_epoch=-1, verbose=0)


def test_steps_per_epoch_continues_the_pass_across_epochs():
    x, y = data(16)
    model, twin = softmax_model(), softmax_model()
    sizes = []

    class Sizes(nn.Callback):
        def on_train_batch_end(self, batch, logs=None):
            sizes.append(batch)

    # 4 batches of 4; 2 per epoch: two epochs are one pass, in the same order
    model.fit(x, y, batch_size=4, epochs=2, steps_per_epoch=2, shuffle=False, verbose=0,
              callbacks=[Sizes()])
    twin.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert sizes == [0, 1, 0, 1]
    for got, want in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_steps_per_epoch_beyond_the_data_warns_as_keras():
    x, y = data(8)

    def batches():
        for start in range(0, 8, 4):
            yield x[start:start + 4], y[start:start + 4]

    model = softmax_model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(batches(), epochs=1, steps_per_epoch=5, verbose=0)
    assert len(history.history["loss"]) == 1


def test_generator_of_weighted_batches_equals_arrays():
    x, y = data(12)
    w = np.linspace(0.5, 1.5, 12)
    model, twin = softmax_model(), softmax_model()

    def batches():
        for start in range(0, 12, 5):
            index = slice(start, start + 5)
            yield x[index], y[index], w[index]

    history = model.fit(batches(), epochs=1, verbose=0)
    reference = twin.fit(x, y, sample_weight=w, batch_size=5, shuffle=False, verbose=0)
    assert history.history["loss"] == pytest.approx(reference.history["loss"], rel=1e-12)
    for got, want in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="y must be None"):
        model.fit(batches(), y, verbose=0)


class Batches:
    """A Keras ``PyDataset``-like source reading batches from ``.npy`` memory maps."""

    def __init__(self, x_path, y_path, batch_size):
        self.x = np.load(x_path, mmap_mode="r")
        self.y = np.load(y_path, mmap_mode="r")
        self.batch_size = batch_size
        self.epochs_ended = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return np.asarray(self.x[part]), np.asarray(self.y[part])

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_sequence_of_memory_mapped_batches(tmp_path):
    x, y = data(20)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    source = Batches(tmp_path / "x.npy", tmp_path / "y.npy", 6)
    model, twin = softmax_model(), softmax_model()
    history = model.fit(source, epochs=3, shuffle=False, verbose=0)
    reference = twin.fit(x, y, batch_size=6, epochs=3, shuffle=False, verbose=0)
    assert source.epochs_ended == 3
    assert history.history["loss"] == pytest.approx(reference.history["loss"], rel=1e-12)
    assert model.evaluate(source) == pytest.approx(twin.evaluate(x, y, batch_size=6),
                                                   rel=1e-12)
    np.testing.assert_array_equal(model.predict(source), twin.predict(x))
    # shuffle=True visits every batch once per epoch, in another order
    seen = []

    class Spy(Batches):
        def __getitem__(self, index):
            seen.append(index)
            return super().__getitem__(index)

    model.fit(Spy(tmp_path / "x.npy", tmp_path / "y.npy", 6), epochs=1, seed=3, verbose=0)
    assert sorted(seen) == [0, 1, 2, 3]


def test_evaluate_and_predict_batch_size_and_steps():
    x, y = data(10)
    model = softmax_model()
    whole = model.evaluate(x, y, batch_size=10)
    assert model.evaluate(x, y, batch_size=3) == pytest.approx(whole, rel=1e-12)
    first = model.evaluate(x[:4], y[:4], batch_size=10)
    assert model.evaluate(x, y, batch_size=2, steps=2) == pytest.approx(first, rel=1e-12)
    out = model.predict(x, batch_size=3)
    np.testing.assert_allclose(out, model.predict(x, batch_size=10), rtol=1e-14)
    assert model.predict(x, batch_size=3, steps=2).shape == (6, 4)
    for name, kwargs in (("batch_size", {"batch_size": 0}), ("steps", {"steps": 0})):
        with pytest.raises((TypeError, ValueError), match=name):
            model.evaluate(x, y, **kwargs)
        with pytest.raises((TypeError, ValueError), match=name):
            model.predict(x, **kwargs)


def test_callbacks_see_every_hook_in_keras_order():
    x, y = data(6)
    model = softmax_model()
    calls = []

    class Record(nn.Callback):
        def __getattribute__(self, name):
            # on_batch_begin/end: Keras's aliases, called by the train hooks' defaults
            if name.startswith("on_") and name not in ("on_batch_begin", "on_batch_end"):
                calls.append(name)
            return super().__getattribute__(name)

    model.fit(x, y, batch_size=3, epochs=1, validation_data=(x, y), verbose=0,
              callbacks=[Record()])
    assert calls == ["on_train_begin", "on_epoch_begin",
                     "on_train_batch_begin", "on_train_batch_end",
                     "on_train_batch_begin", "on_train_batch_end",
                     "on_test_begin", "on_test_batch_begin", "on_test_batch_end",
                     "on_test_batch_begin", "on_test_batch_end", "on_test_end",
                     "on_epoch_end", "on_train_end"]
    calls.clear()
    model.predict(x, batch_size=4, callbacks=[Record()])
    assert calls == ["on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end",
                     "on_predict_batch_begin", "on_predict_batch_end", "on_predict_end"]


def test_train_on_batch_reports_that_batch_alone():
    x, y = data(8)
    model = softmax_model()
    model.compile(nn.SGD(0.1), "categorical_crossentropy", metrics=["accuracy"])
    first = model.train_on_batch(x[:4], y[:4], return_dict=True)
    before = model.test_on_batch(x[4:], y[4:], return_dict=True)   # before the step
    second = model.train_on_batch(x[4:], y[4:], return_dict=True)
    assert second == before
    assert first != second
    assert set(second) == {"loss", "accuracy"}


def test_backup_state_restores_a_run_exactly():
    """``_backup_state``/``_restore_backup_state`` (BackupAndRestore's contract): weights,
    optimizer state and the run's generators (shuffle, dropout) come back, so the rest
    of a run is the same."""
    x, y = data(24)

    def net():
        model = nn.Sequential([nn.Input((3,)), nn.Dense(8, activation="relu"),
                               nn.Dropout(0.3), nn.Dense(4, activation="softmax")])
        model.build(seed=5)
        model.compile(nn.Adam(0.01), "categorical_crossentropy")
        return model

    saved = {}

    class Snapshot(nn.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                saved.update(self.model._backup_state())

    class Resume(nn.Callback):
        def on_train_begin(self, logs=None):
            self.model._restore_backup_state(saved)
            self.model._initial_epoch = 2

    full = net()
    full.fit(x, y, epochs=4, batch_size=5, seed=7, verbose=0, callbacks=[Snapshot()])
    resumed = net()
    history = resumed.fit(x, y, epochs=4, batch_size=5, seed=7, verbose=0,
                          callbacks=[Resume()])
    assert len(history.history["loss"]) == 2
    for got, want in zip(resumed.get_weights(), full.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_fit_argument_checks():
    x, y = data(6)
    model = softmax_model()
    cases = [({"steps_per_epoch": 0}, "steps_per_epoch"),
             ({"validation_steps": -2}, "validation_steps"),
             ({"validation_batch_size": 0}, "validation_batch_size"),
             ({"sample_weight": np.ones(5)}, "sample_weight"),
             ({"sample_weight": np.full(6, np.nan)}, "sample_weight")]
    for kwargs, name in cases:
        with pytest.raises((TypeError, ValueError), match=name):
            model.fit(x, y, verbose=0, **kwargs)
    with pytest.raises(ValueError, match="y is needed"):
        model.fit(x, verbose=0)
    with pytest.raises(TypeError, match="x must be"):
        model.fit(42, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(iter([(x, y)]), validation_split=0.5, verbose=0)


def test_metrics_in_history_evaluate_and_weighted_metrics():
    """Compiled metrics aggregate over all batches (Keras's weighted sums), appear in
    History with their val_ twins, and weighted_metrics take the sample weights."""
    x, y = data(10)
    w = np.linspace(0.0, 2.0, 10)
    model = softmax_model()
    model.compile(nn.SGD(0.1), "categorical_crossentropy",
                  metrics=["accuracy", nn.metrics.MeanAbsoluteError()],
                  weighted_metrics=["accuracy"])
    history = model.fit(x, y, sample_weight=w, batch_size=4, epochs=2, shuffle=False,
                        validation_data=(x, y, w), verbose=0)
    assert list(history.history) == ["loss", "accuracy", "mean_absolute_error",
                                     "weighted_accuracy", "val_loss", "val_accuracy",
                                     "val_mean_absolute_error", "val_weighted_accuracy"]
    values = model.evaluate(x, y, sample_weight=w, batch_size=3, return_dict=True)
    p = model.predict(x)
    correct = p.argmax(1) == y.argmax(1)
    assert values["accuracy"] == pytest.approx(correct.mean(), rel=1e-6)
    assert values["weighted_accuracy"] == pytest.approx(np.sum(w * correct) / w.sum(),
                                                        rel=1e-6)
    assert values["mean_absolute_error"] == pytest.approx(np.abs(p - y).mean(), rel=1e-5)
    assert values == dict(zip(["loss", "accuracy", "mean_absolute_error",
                               "weighted_accuracy"],
                              model.evaluate(x, y, sample_weight=w, batch_size=3),
                              strict=True))


def test_saved_model_continues_training_exactly(tmp_path):
    """save/load_model keep the optimizer's state, its schedule and the metrics: the
    loaded model trains on exactly as the original."""
    x, y = data(20)
    schedule = nn.schedules.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.5)
    model = nn.Sequential([nn.Input((3,)), nn.Dense(6, activation="relu"),
                           nn.Dense(4, activation="softmax")])
    model.build(seed=2)
    model.compile(nn.Adam(schedule, weight_decay=0.01, use_ema=True,
                          ema_overwrite_frequency=3), "categorical_crossentropy",
                  metrics=["accuracy", nn.metrics.TopKCategoricalAccuracy(k=2)])
    model.fit(x, y, epochs=2, batch_size=6, shuffle=False, verbose=0)
    model.save(tmp_path / "model.npz")
    loaded = nn.load_model(tmp_path / "model.npz")
    assert loaded.optimizer.iterations == model.optimizer.iterations
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    original = model.fit(x, y, epochs=2, batch_size=6, shuffle=False, verbose=0)
    again = loaded.fit(x, y, epochs=2, batch_size=6, shuffle=False, verbose=0)
    assert again.history == original.history
    for got, want in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_ema_weights_are_put_in_place_at_the_end_of_fit():
    x, y = data(12)
    model, twin = softmax_model(), softmax_model()
    model.compile(nn.SGD(0.5, use_ema=True), "categorical_crossentropy")
    twin.compile(nn.SGD(0.5, use_ema=True), "categorical_crossentropy")
    model.fit(x, y, batch_size=4, shuffle=False, verbose=0)
    for start in range(0, 12, 4):
        twin.train_on_batch(x[start:start + 4], y[start:start + 4])
    assert any(not np.array_equal(a, b)
               for a, b in zip(model.get_weights(), twin.get_weights(), strict=True))
    twin.optimizer.finalize_variable_values(twin.params)   # what fit does at its end
    for got, want in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_val_monitors_skip_the_epochs_without_validation():
    """With validation_freq=2 the val_ values exist on every other epoch: EarlyStopping
    and ReduceLROnPlateau act on the validated epochs only, as Keras does; a val_
    monitor in a fit without any validation is still an error."""
    x, y = data(12)
    model = softmax_model()
    seen = []

    class Record(nn.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(logs.get("val_loss"))

    reduce = nn.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0,
                                  min_delta=1e9)       # never an improvement after the first
    model.compile(nn.SGD(0.5), "categorical_crossentropy")
    model.fit(x, y, epochs=6, validation_data=(x, y), validation_freq=2, verbose=0,
              callbacks=[Record(), reduce])
    assert [value is None for value in seen] == [True, False] * 3
    # epochs 2, 4, 6 validated: the first sets the best, the next two each halve the rate
    assert model.optimizer.learning_rate == pytest.approx(0.125)
    stopper = nn.EarlyStopping(monitor="val_loss", patience=0, min_delta=1e9)
    history = model.fit(x, y, epochs=6, validation_data=(x, y), validation_freq=2,
                        verbose=0, callbacks=[stopper])
    assert len(history.history["loss"]) == 4          # stopped at the second validation
    with pytest.raises(ValueError, match="val_loss"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[nn.EarlyStopping()])


@pytest.mark.parametrize("last", ["activation_layer", "softmax_layer"])
def test_softmax_layer_takes_the_logits_gradient_as_tensorflow(last):
    """A Dense layer then Softmax() or Activation("softmax") trains as Dense(softmax):
    the cross-entropy's gradient is (p - y)/n with respect to the logits, also for a
    sample whose probability is clipped at 1e-7 (TensorFlow's Keras; the chain rule
    through the clipped value would give that sample no gradient)."""
    x = np.array([[30.0, 0.0, 0.0], [0.1, 0.2, -0.3], [-0.5, 0.4, 0.2]])
    y = np.eye(4)[[1, 0, 3]]              # sample 0: p(class 1) ~ 1e-13 once trained on
    fused = softmax_model()
    kernel, bias = fused.get_weights()
    kernel[0] = [1.0, -1.0, 0.0, 0.0]          # logits of sample 0: 30, -30, 0, 0
    fused.set_weights([kernel, bias])
    def ending():
        return (nn.Softmax(dtype="float64") if last == "softmax_layer"
                else nn.Activation("softmax", dtype="float64"))

    split = nn.Sequential([nn.Input((3,)), nn.Dense(4, dtype="float64"), ending()])
    split.build()
    split.set_weights([kernel, bias])
    split.compile(nn.SGD(0.5), "categorical_crossentropy")
    assert split.predict(x)[0, 1] < 1e-7
    for _ in range(3):
        assert split.train_on_batch(x, y) == fused.train_on_batch(x, y)
    for got, want in zip(split.get_weights(), fused.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    replay = replay_sgd_step([kernel, bias], x, y, np.ones(3))[1]
    first = nn.Sequential([nn.Input((3,)), nn.Dense(4, dtype="float64"), ending()])
    first.build()
    first.set_weights([kernel, bias])
    first.compile(nn.SGD(0.5), "categorical_crossentropy")
    first.train_on_batch(x, y)
    for got, want in zip(first.get_weights(), replay, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("ending", ["dense", "softmax_layer"])
def test_softmax_crossentropy_value_is_taken_from_the_logits_as_tensorflow(ending):
    """TensorFlow's Keras computes a softmax output's cross-entropy from the logits:
    logsumexp(z) - z_true, also for a probability below the 1e-7 clip (which would cap
    the sample's loss at -log(1e-7) = 16.1)."""
    x = np.array([[30.0, 0.0, 0.0], [0.1, 0.2, -0.3], [-0.5, 0.4, 0.2]])
    labels = np.array([1, 0, 3])
    layers = ([nn.Dense(4, activation="softmax", dtype="float64")] if ending == "dense"
              else [nn.Dense(4, dtype="float64"), nn.Softmax(dtype="float64")])
    model = nn.Sequential([nn.Input((3,)), *layers])
    model.build(seed=0)
    kernel, bias = model.get_weights()
    kernel[0] = [1.0, -1.0, 0.0, 0.0]                  # sample 0: logit gap 60
    model.set_weights([kernel, bias])
    z = x @ kernel + bias
    per_sample = np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1) \
        - z[np.arange(3), labels]
    assert per_sample[0] > 50
    for loss, y in (("categorical_crossentropy", np.eye(4)[labels]),
                    ("sparse_categorical_crossentropy", labels)):
        model.compile(nn.SGD(0.1), loss)
        assert model.evaluate(x, y) == pytest.approx(per_sample.mean(), rel=1e-12)
        w = np.array([0.5, 1.0, 2.0])
        assert model.evaluate(x, y, sample_weight=w) == pytest.approx(
            np.sum(w * per_sample) / 3, rel=1e-12)
    # the loss object itself, on probabilities, keeps Keras's clip
    p = model.predict(x)
    clipped = -np.log(np.clip(p[np.arange(3), labels], 1e-7, 1 - 1e-7))
    assert nn.SparseCategoricalCrossentropy()(labels, p) == pytest.approx(clipped.mean())
