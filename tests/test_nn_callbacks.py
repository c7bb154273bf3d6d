"""Callbacks (sigconv.nn.callbacks) against Keras 3's rules.

Each monitoring rule (EarlyStopping, ReduceLROnPlateau, BackupAndRestore's batch count) is
replayed here step by step from Keras 3's documented algorithm and compared with the
callback driven directly; each callback also runs in a short fit of a tiny Dense model.
The resume test kills a training subprocess with SIGKILL and checks that the rerun ends
with the weights, history and CSV log of an uninterrupted fit, bit for bit.
"""

import json
import math
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from sigconv import nn
from sigconv.nn import callbacks as cb

# -- helpers --------------------------------------------------------------------------------


def regression(n=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-0.5], [0.25]]) + 0.1 * rng.standard_normal((n, 1)))
    return x, y.astype(np.float32)


def tiny_model(learning_rate=0.05, seed=0):
    model = nn.Sequential([nn.Dense(4, activation="relu", input_shape=(3,)), nn.Dense(1)])
    model.compile(nn.SGD(learning_rate=learning_rate), "mse")
    model.build(seed=seed)
    return model


class Script(cb.Callback):
    """Writes a scripted value of ``key`` into the epoch logs (for the callbacks after it)."""

    def __init__(self, key, values):
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class WeightRecorder(cb.Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def assert_weights_equal(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


class StubOptimizer:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate


class ScheduledOptimizer:
    """An optimizer whose learning rate is a schedule: readable, not settable (Keras)."""

    @property
    def learning_rate(self):
        return 0.5

    @learning_rate.setter
    def learning_rate(self, value):
        raise TypeError("This optimizer was created with a LearningRateSchedule; its "
                        "learning rate is not settable")


class StubModel:
    """What the callbacks use of a model: weights, an optimizer, the backup contract."""

    def __init__(self, learning_rate=0.1):
        self.optimizer = StubOptimizer(learning_rate)
        self.stop_training = False
        self.weights = [np.zeros(2)]
        self.metrics = []
        self.restored = []
        self._initial_epoch = None

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def _backup_state(self):
        return {"dense/kernel": self.weights[0].copy(), "rng": np.array([7, 8], np.uint64)}

    def _restore_backup_state(self, arrays):
        self.restored.append(arrays)
        self.weights = [arrays["dense/kernel"].copy()]


# -- Callback and CallbackList --------------------------------------------------------------

KERAS_HOOKS = {   # Keras 3's Callback: hook -> its positional arguments before logs
    "on_train_begin": 0, "on_train_end": 0, "on_test_begin": 0, "on_test_end": 0,
    "on_predict_begin": 0, "on_predict_end": 0, "on_epoch_begin": 1, "on_epoch_end": 1,
    "on_train_batch_begin": 1, "on_train_batch_end": 1, "on_test_batch_begin": 1,
    "on_test_batch_end": 1, "on_predict_batch_begin": 1, "on_predict_batch_end": 1,
    "on_batch_begin": 1, "on_batch_end": 1}


def test_callback_has_every_keras_hook_and_set_params_set_model():
    callback = cb.Callback()
    assert callback.model is None and callback.params is None
    for hook, count in KERAS_HOOKS.items():
        assert getattr(callback, hook)(*range(count), logs={"loss": 1.0}) is None
    model = object()
    callback.set_model(model)
    callback.set_params({"verbose": 0, "epochs": 2, "steps": 3})
    assert callback.model is model
    assert callback.params == {"verbose": 0, "epochs": 2, "steps": 3}


def test_train_batch_hooks_call_the_older_names():
    calls = []

    class Old(cb.Callback):
        def on_batch_begin(self, batch, logs=None):
            calls.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs["loss"]))

    Old().on_train_batch_begin(3)
    Old().on_train_batch_end(3, {"loss": 0.5})
    assert calls == [("begin", 3), ("end", 3, 0.5)]


def test_callback_list_dispatches_every_hook_in_order_with_one_logs_dict():
    calls = []

    class Recorder(cb.Callback):
        def __init__(self, tag):
            self.tag = tag

    for hook in KERAS_HOOKS:
        def method(self, *args, _hook=hook, **kwargs):
            logs = kwargs["logs"] if "logs" in kwargs else args[-1]
            calls.append((self.tag, _hook, args[:-1] if "logs" not in kwargs else args,
                          id(logs)))
        setattr(Recorder, hook, method)

    model = StubModel()
    callbacks = cb.CallbackList([Recorder("a"), Recorder("b")], model=model, verbose=0,
                                epochs=3, steps=2)
    assert all(c.model is model for c in callbacks.callbacks)
    assert all(c.params == {"verbose": 0, "epochs": 3, "steps": 2}
               for c in callbacks.callbacks)
    logs = {"loss": 1.0}
    for hook, count in KERAS_HOOKS.items():
        calls.clear()
        getattr(callbacks, hook)(*range(5, 5 + count), logs)
        assert [(tag, name, args) for tag, name, args, _ in calls] == [
            ("a", hook, tuple(range(5, 5 + count))), ("b", hook, tuple(range(5, 5 + count)))]
        assert {identity for *_, identity in calls} == {id(logs)}


def test_callback_list_adds_history_and_progbar_after_the_given_callbacks():
    model = StubModel()
    first = cb.LambdaCallback()
    callbacks = cb.CallbackList([first], add_history=True, add_progbar=True, model=model)
    assert [type(c) for c in callbacks.callbacks] == [cb.LambdaCallback, cb.History,
                                                      cb.ProgbarLogger]
    assert model.history is callbacks.callbacks[1]
    own = cb.History()
    callbacks = cb.CallbackList([own, cb.ProgbarLogger()], add_history=True,
                                add_progbar=True, model=model)
    assert len(callbacks.callbacks) == 2 and model.history is own
    # what a callback writes into the epoch logs reaches History after it
    callbacks = cb.CallbackList([Script("score", [0.5])], add_history=True, model=model)
    callbacks.on_train_begin()
    callbacks.on_epoch_end(0, {"loss": 1.0})
    assert model.history.history == {"loss": [1.0], "score": [0.5]}


def test_callback_list_refuses_what_is_not_a_callback():
    with pytest.raises(TypeError, match="callbacks"):
        cb.CallbackList([object()])
    with pytest.raises(TypeError, match="callbacks"):
        cb.CallbackList(cb.History())
    with pytest.raises(TypeError, match="add_progbar"):
        cb.CallbackList([], add_history=False, add_progbar="yes")
    with pytest.raises(TypeError, match="callbacks"):
        cb.CallbackList([]).append(lambda epoch, logs: None)


def test_history_keeps_values_over_fits_as_keras_and_resets_epochs():
    history = cb.History()
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 2.0})
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    assert history.history == {"loss": [2.0, 1.0]}
    assert history.epoch == [0]


# -- EarlyStopping --------------------------------------------------------------------------


def keras_early_stopping(values, patience, min_delta=0.0, mode="min", baseline=None,
                         start_from_epoch=0):
    """Keras 3's EarlyStopping.on_epoch_end, replayed: (stopped epoch or None, best,
    best epoch, epoch whose weights are restored at the end)."""
    sign = 1.0 if mode == "max" else -1.0
    delta = sign * abs(min_delta)        # Keras: min_delta *= -1 when minimizing

    def better(value, reference):
        if reference is None:
            return True
        return value - delta > reference if mode == "max" else value - delta < reference

    wait, best, best_epoch, kept = 0, None, 0, None
    for epoch, value in enumerate(values):
        if epoch < start_from_epoch:
            continue
        if kept is None:
            kept, best_epoch = epoch, epoch
        wait += 1
        if better(value, best):
            best, best_epoch, kept = value, epoch, epoch
            if baseline is None or better(value, baseline):
                wait = 0
            continue
        if wait >= patience and epoch > 0:
            return epoch, best, best_epoch, kept
    return None, best, best_epoch, kept


def drive(callback, values, key="val_loss", model=None):
    """Run ``callback`` over scripted epoch values on a stub model whose weights are the
    epoch number; the epochs run."""
    model = model or StubModel()
    callback.set_model(model)
    callback.on_train_begin()
    run = 0
    for epoch, value in enumerate(values):
        model.weights = [np.full(2, float(epoch))]
        callback.on_epoch_end(epoch, {"loss": 0.0, key: value})
        run += 1
        if model.stop_training:
            break
    callback.on_train_end({})
    return model, run


@pytest.mark.parametrize("seed", range(12))
def test_early_stopping_replays_keras_on_random_sequences(seed):
    rng = np.random.default_rng(seed)
    values = list(np.round(rng.random(12) + np.linspace(0.5, 0.0, 12), 2))
    for patience in (0, 1, 3):
        for min_delta in (0.0, 0.05, -0.05):
            for mode in ("min", "max"):
                for baseline in (None, 0.4):
                    for start in (0, 2):
                        stopper = cb.EarlyStopping(
                            "val_loss", min_delta=min_delta, patience=patience, mode=mode,
                            baseline=baseline, restore_best_weights=True,
                            start_from_epoch=start)
                        model, run = drive(stopper, values)
                        stopped, best, best_epoch, kept = keras_early_stopping(
                            values, patience, min_delta, mode, baseline, start)
                        assert stopper.stopped_epoch == (stopped or 0)
                        assert run == (len(values) if stopped is None else stopped + 1)
                        assert stopper.best == best and stopper.best_epoch == best_epoch
                        assert model.weights[0][0] == kept


def test_early_stopping_restores_the_best_weights_at_the_end_without_stopping():
    """Keras 3: restore_best_weights acts in on_train_end, also when patience never ran
    out (sigconv before issue 16 restored only when it stopped early)."""
    x, y = regression()
    recorder = WeightRecorder()
    stopper = cb.EarlyStopping("score", patience=10, restore_best_weights=True)
    model = tiny_model()
    history = model.fit(x, y, epochs=4, batch_size=8, verbose=0, seed=0, callbacks=[
        Script("score", [3.0, 1.0, 2.0, 2.5]), recorder, stopper])
    assert len(history.history["loss"]) == 4 and stopper.stopped_epoch == 0
    assert_weights_equal(model.get_weights(), recorder.weights[1])
    assert any(not np.array_equal(a, b)
               for a, b in zip(recorder.weights[1], recorder.weights[3], strict=True))


def test_early_stopping_without_restore_keeps_the_last_weights():
    x, y = regression()
    recorder = WeightRecorder()
    model = tiny_model()
    model.fit(x, y, epochs=4, batch_size=8, verbose=0, seed=0, callbacks=[
        Script("score", [3.0, 1.0, 2.0, 2.5]), recorder, cb.EarlyStopping("score", 0, 10)])
    assert_weights_equal(model.get_weights(), recorder.weights[-1])


def test_early_stopping_start_from_epoch_ignores_the_warm_up():
    x, y = regression()
    scores = [1.0, 2.0, 3.0, 4.0, 3.5, 3.6, 3.7]
    # without warm-up: epoch 0 is best, epoch 1 does not improve, patience 1 stops there
    history = tiny_model().fit(x, y, epochs=7, verbose=0, seed=0, callbacks=[
        Script("score", scores), cb.EarlyStopping("score", patience=1)])
    assert len(history.history["loss"]) == 2
    # epochs 0-2 not monitored: 4.0 at epoch 3 is the first best, 3.5 improves, 3.6 stops
    stopper = cb.EarlyStopping("score", patience=1, start_from_epoch=3)
    history = tiny_model().fit(x, y, epochs=7, verbose=0, seed=0, callbacks=[
        Script("score", scores), stopper])
    assert len(history.history["loss"]) == 6
    assert (stopper.best, stopper.best_epoch, stopper.stopped_epoch) == (3.5, 4, 5)


def test_early_stopping_verbose_lines(capsys):
    stopper = cb.EarlyStopping(patience=1, verbose=1, restore_best_weights=True)
    drive(stopper, [3.0, 1.0, 2.0, 2.5, 0.5])
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 2." in out
    drive(cb.EarlyStopping(patience=1), [3.0, 1.0, 2.0, 2.5, 0.5])
    assert capsys.readouterr().out == ""


def test_early_stopping_auto_mode_follows_the_compiled_metric_direction():
    class Metric:
        def __init__(self, name, direction):
            self.name, self._direction = name, direction

    model = StubModel()
    model.metrics = [Metric("score", "up")]
    stopper = cb.EarlyStopping("val_score", patience=0)
    _, run = drive(stopper, [0.1, 0.2, 0.3], key="val_score", model=model)
    assert run == 3                                    # rising: improving, as "max"
    _, run = drive(cb.EarlyStopping("val_score", patience=0), [0.1, 0.2, 0.3],
                   key="val_score")
    assert run == 2                                    # unknown name: minimized


@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"start_from_epoch": -1}, ValueError, "start_from_epoch"),
    ({"start_from_epoch": 1.5}, TypeError, "start_from_epoch"),
    ({"verbose": True}, TypeError, "verbose"),
    ({"verbose": -1}, ValueError, "verbose"),
    ({"patience": 2.0}, TypeError, "patience"),
    ({"baseline": "1"}, TypeError, "baseline"),
    ({"mode": "MIN"}, ValueError, "mode"),
])
def test_early_stopping_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        cb.EarlyStopping(**kwargs)


def test_early_stopping_monitor_missing_is_an_error():
    with pytest.raises(ValueError, match="monitor 'val_loss'"):
        drive(cb.EarlyStopping(), [1.0], key="loss_other")


# -- LearningRateScheduler ------------------------------------------------------------------


def test_learning_rate_scheduler_sets_the_rate_of_every_epoch_and_logs_it():
    x, y = regression()
    rates, logged = [], []

    def schedule(epoch, lr):
        return lr if epoch < 2 else lr * math.exp(-0.1)

    model = tiny_model(learning_rate=0.01)
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0, seed=0, callbacks=[
        cb.LearningRateScheduler(schedule),
        cb.LambdaCallback(
            on_train_batch_end=lambda batch, logs: rates.append(
                model.optimizer.learning_rate),
            on_epoch_end=lambda epoch, logs: logged.append(logs["learning_rate"]))])
    expected, lr = [], 0.01
    for epoch in range(5):
        lr = schedule(epoch, lr)
        expected.append(lr)
    assert logged == expected
    assert rates == [rate for rate in expected for _ in range(3)]     # 24 / 8 batches
    assert len(history.history["loss"]) == 5
    assert round(model.optimizer.learning_rate, 5) == 0.00741


def test_learning_rate_scheduler_trains_as_the_rates_set_by_hand():
    """The rate set at on_epoch_begin is the one every batch of that epoch uses."""
    x, y = regression()
    rates = [0.1, 0.05, 0.02]
    scheduled = tiny_model()
    scheduled.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False,
                  callbacks=[cb.LearningRateScheduler(lambda epoch: rates[epoch])])
    by_hand = tiny_model()
    for rate in rates:
        by_hand.optimizer.learning_rate = rate
        by_hand.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    assert_weights_equal(scheduled.get_weights(), by_hand.get_weights())


def test_learning_rate_scheduler_verbose(capsys):
    scheduler = cb.LearningRateScheduler(lambda epoch, lr: lr / 2, verbose=1)
    scheduler.set_model(StubModel(0.5))
    scheduler.on_epoch_begin(0)
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.25." in \
        capsys.readouterr().out


@pytest.mark.parametrize(("schedule", "error", "match"), [
    (lambda epoch, lr: 1, TypeError, "float"),            # Keras refuses an int too
    (lambda epoch, lr: True, TypeError, "float"),
    (lambda epoch, lr: "0.1", TypeError, "float"),
    (lambda epoch, lr: 0.0, ValueError, "> 0"),
    (lambda epoch, lr: float("nan"), ValueError, "finite"),
    (lambda epoch, lr: -0.1, ValueError, "> 0"),
])
def test_learning_rate_scheduler_refuses_a_bad_rate(schedule, error, match):
    scheduler = cb.LearningRateScheduler(schedule)
    scheduler.set_model(StubModel())
    with pytest.raises(error, match=match):
        scheduler.on_epoch_begin(0)


def test_learning_rate_scheduler_accepts_numpy_floats_and_one_argument_schedules():
    for schedule in (lambda epoch, lr: np.float32(0.25), lambda epoch: 0.125,
                     lambda epoch, lr=None: 0.375):
        model = StubModel()
        scheduler = cb.LearningRateScheduler(schedule)
        scheduler.set_model(model)
        scheduler.on_epoch_begin(1)
        assert model.optimizer.learning_rate in (0.25, 0.125, 0.375)
        assert type(model.optimizer.learning_rate) is float


def test_learning_rate_scheduler_arguments():
    with pytest.raises(TypeError, match="schedule"):
        cb.LearningRateScheduler(0.1)
    with pytest.raises(TypeError, match="schedule"):
        cb.LearningRateScheduler(lambda epoch, lr, extra: lr)
    with pytest.raises(TypeError, match="schedule"):
        cb.LearningRateScheduler(lambda: 0.1)
    with pytest.raises(TypeError, match="verbose"):
        cb.LearningRateScheduler(lambda epoch: 0.1, verbose="1")


def test_learning_rate_callbacks_on_a_schedule_raise_typeerror_as_keras():
    """Keras 3 cannot set the rate of an optimizer built on a LearningRateSchedule: the
    setter's TypeError reaches the user. Reading the rate still works."""
    model = StubModel()
    model.optimizer = ScheduledOptimizer()
    scheduler = cb.LearningRateScheduler(lambda epoch, lr: lr)
    scheduler.set_model(model)
    with pytest.raises(TypeError, match="not settable"):
        scheduler.on_epoch_begin(0)
    logs = {"loss": 1.0}
    scheduler.on_epoch_end(0, logs)
    assert logs["learning_rate"] == 0.5
    reduce = cb.ReduceLROnPlateau("loss", patience=0)
    reduce.set_model(model)
    reduce.on_train_begin()
    reduce.on_epoch_end(0, {"loss": 1.0})
    with pytest.raises(TypeError, match="not settable"):
        reduce.on_epoch_end(1, {"loss": 1.0})


def test_learning_rate_callbacks_need_an_optimizer():
    model = StubModel()
    model.optimizer = None
    scheduler = cb.LearningRateScheduler(lambda epoch: 0.1)
    scheduler.set_model(model)
    with pytest.raises(ValueError, match="optimizer"):
        scheduler.on_epoch_begin(0)


# -- ReduceLROnPlateau ----------------------------------------------------------------------


def keras_reduce_lr(values, lr, factor=0.1, patience=10, mode="min", min_delta=1e-4,
                    cooldown=0, min_lr=0.0):
    """Keras 3's ReduceLROnPlateau.on_epoch_end, replayed: the rate in effect after each
    epoch (Keras keeps it in a float32 variable, hence the float32 comparison)."""
    delta = abs(min_delta) if mode == "max" else -abs(min_delta)
    best, wait, cooldown_counter, rates = None, 0, 0, []
    for value in values:
        if cooldown_counter > 0:
            cooldown_counter -= 1
            wait = 0
        if best is None or (value - delta > best if mode == "max" else value - delta < best):
            best, wait = value, 0
        elif cooldown_counter == 0:
            wait += 1
            if wait >= patience and np.float32(lr) > np.float32(min_lr):
                lr = max(lr * factor, min_lr)
                cooldown_counter, wait = cooldown, 0
        rates.append(lr)
    return rates


def drive_reduce(reduce, values, lr=0.1):
    model = StubModel(lr)
    reduce.set_model(model)
    reduce.on_train_begin()
    rates, logged = [], []
    for epoch, value in enumerate(values):
        logs = {"val_loss": value}
        reduce.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
        rates.append(model.optimizer.learning_rate)
    return rates, logged


@pytest.mark.parametrize("seed", range(8))
def test_reduce_lr_on_plateau_replays_keras_on_random_sequences(seed):
    rng = np.random.default_rng(seed)
    values = list(np.round(rng.random(30) * 0.3 + np.linspace(1.0, 0.5, 30), 3))
    for kwargs in ({}, {"patience": 2}, {"patience": 0}, {"patience": 1, "cooldown": 2},
                   {"patience": 2, "factor": 0.5, "min_lr": 0.02},
                   {"patience": 1, "min_delta": 0.05}, {"patience": 1, "mode": "max"},
                   {"patience": 3, "cooldown": 1, "factor": 0.7, "min_delta": 0.0}):
        rates, logged = drive_reduce(cb.ReduceLROnPlateau(**kwargs), values)
        expected = keras_reduce_lr(values, 0.1, **kwargs)
        assert rates == expected
        assert logged == [0.1, *expected[:-1]]     # the logs show the rate of the epoch


def test_reduce_lr_on_plateau_scripted_sequence():
    """patience 2, cooldown 1, factor 0.5, min_lr 0.03: by hand from Keras's rule."""
    values = [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 0.5, 0.6, 0.7, 0.8, 0.9]
    reduce = cb.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.03)
    rates, _ = drive_reduce(reduce, values)
    # epoch 3: the 2nd epoch without improvement -> 0.05, cooldown 1; epoch 4 spends the
    # cooldown first, then counts (wait 1); epoch 5 -> max(0.025, min_lr) = 0.03; 6 spends
    # the cooldown (wait 1); 7 improves; from 9 on wait >= 2 but float32(0.03) is not
    # above float32(min_lr): no reduction, and wait is not reset (11 ends at 4)
    assert rates == [0.1, 0.1, 0.1, 0.05, 0.05, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03]
    assert reduce.wait == 4 and reduce.best == 0.5


def test_reduce_lr_on_plateau_in_a_fit():
    x, y = regression()
    model = tiny_model(learning_rate=0.1)
    rates = []
    model.fit(x, y, epochs=6, batch_size=8, verbose=0, seed=0, callbacks=[
        Script("val_loss", [1.0, 1.0, 1.0, 0.5, 0.5, 0.5]),
        cb.ReduceLROnPlateau(factor=0.5, patience=1),
        cb.LambdaCallback(on_epoch_end=lambda epoch, logs: rates.append(
            (logs["learning_rate"], model.optimizer.learning_rate)))])
    assert rates == [(0.1, 0.1), (0.1, 0.05), (0.05, 0.025), (0.025, 0.025),
                     (0.025, 0.0125), (0.0125, 0.00625)]


def test_reduce_lr_on_plateau_verbose(capsys):
    drive_reduce(cb.ReduceLROnPlateau(factor=0.5, patience=0, verbose=1), [1.0, 2.0])
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05." in \
        capsys.readouterr().out


@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"factor": 1.0}, ValueError, "factor"), ({"factor": 0.0}, ValueError, "factor"),
    ({"factor": "0.5"}, TypeError, "factor"), ({"patience": -1}, ValueError, "patience"),
    ({"cooldown": 0.5}, TypeError, "cooldown"), ({"min_lr": -1e-3}, ValueError, "min_lr"),
    ({"min_delta": np.inf}, ValueError, "min_delta"), ({"mode": "up"}, ValueError, "mode"),
    ({"monitor": None}, TypeError, "monitor"), ({"verbose": 1.0}, TypeError, "verbose"),
    ({"epsilon": 1e-4}, TypeError, "epsilon"),
])
def test_reduce_lr_on_plateau_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        cb.ReduceLROnPlateau(**kwargs)


def test_reduce_lr_on_plateau_monitor_missing_is_an_error():
    reduce = cb.ReduceLROnPlateau()
    reduce.set_model(StubModel())
    with pytest.raises(ValueError, match="monitor 'val_loss'"):
        reduce.on_epoch_end(0, {"loss": 1.0})


# -- CSVLogger ------------------------------------------------------------------------------


def read_bytes(path):
    with open(path, "rb") as stream:
        return stream.read()


def test_csv_logger_writes_keras_rows(tmp_path):
    x, y = regression()
    path = tmp_path / "log.csv"
    history = tiny_model().fit(x, y, epochs=3, batch_size=8, verbose=0, seed=0,
                               callbacks=[cb.CSVLogger(path)])
    losses = history.history["loss"]
    # no val_ key logged: Keras adds a val_ column per key, filled with NA
    expected = "epoch,loss,val_loss\r\n" + "".join(
        f"{epoch},{losses[epoch]!r},NA\r\n" for epoch in range(3))
    assert read_bytes(path).decode() == expected


def test_csv_logger_validation_columns_separator_and_append(tmp_path):
    x, y = regression()
    path = tmp_path / "log.csv"
    first = tiny_model().fit(x, y, epochs=2, batch_size=8, verbose=0, seed=0,
                             validation_data=(x[:6], y[:6]),
                             callbacks=[cb.CSVLogger(path, separator=";")])
    rows = [f"{e};{first.history['loss'][e]!r};{first.history['val_loss'][e]!r}\r\n"
            for e in range(2)]
    assert read_bytes(path).decode() == "epoch;loss;val_loss\r\n" + "".join(rows)
    second = tiny_model().fit(x, y, epochs=1, batch_size=8, verbose=0, seed=1,
                              validation_data=(x[:6], y[:6]),
                              callbacks=[cb.CSVLogger(path, separator=";", append=True)])
    rows.append(f"0;{second.history['loss'][0]!r};{second.history['val_loss'][0]!r}\r\n")
    assert read_bytes(path).decode() == "epoch;loss;val_loss\r\n" + "".join(rows)
    # append to an empty file writes the header; append=False overwrites
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    tiny_model().fit(x, y, epochs=1, verbose=0, seed=0,
                     callbacks=[cb.CSVLogger(empty, append=True)])
    assert read_bytes(empty).decode().startswith("epoch,loss,val_loss\r\n0,")
    tiny_model().fit(x, y, epochs=1, verbose=0, seed=0, callbacks=[cb.CSVLogger(path)])
    assert read_bytes(path).decode().count("\r\n") == 2


def test_csv_logger_keeps_the_first_epoch_columns(tmp_path):
    logger = cb.CSVLogger(tmp_path / "log.csv")
    logger.on_train_begin()
    logger.on_epoch_end(0, {"b": 1.5, "a": 0.25, "val_a": 2.0})
    logger.on_epoch_end(1, {"a": 0.5, "c": 3.0})          # b missing, c not a column
    logger.on_train_end()
    assert read_bytes(tmp_path / "log.csv").decode() == (
        "epoch,a,b,val_a\r\n0,0.25,1.5,2.0\r\n1,0.5,NA,NA\r\n")


@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"filename": 3}, TypeError, "filename"), ({"filename": ""}, ValueError, "filename"),
    ({"filename": "a.csv", "separator": ",;"}, ValueError, "separator"),
    ({"filename": "a.csv", "separator": 44}, TypeError, "separator"),
    ({"filename": "a.csv", "separator": '"'}, ValueError, "separator"),
    ({"filename": "a.csv", "append": 1}, TypeError, "append"),
])
def test_csv_logger_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        cb.CSVLogger(**kwargs)


def test_csv_logger_logs_must_be_numbers(tmp_path):
    logger = cb.CSVLogger(tmp_path / "log.csv")
    logger.on_train_begin()
    with pytest.raises(TypeError, match="logs"):
        logger.on_epoch_end(0, {"loss": "1.0"})
    logger.on_train_end()


# -- LambdaCallback -------------------------------------------------------------------------


def test_lambda_callback_calls_each_function_with_its_hook_arguments():
    x, y = regression(n=10)
    events = []
    callback = cb.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        on_train_batch_end=lambda batch, logs: events.append(f"batch_end {batch}"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: events.append("train_end"))
    tiny_model().fit(x, y, epochs=2, batch_size=4, verbose=0, seed=0, callbacks=[callback])
    per_epoch = ["batch_end 0", "batch_end 1", "batch_end 2"]
    assert events == ["train_begin", "epoch_begin 0", *per_epoch, "epoch_end 0 ['loss']",
                      "epoch_begin 1", *per_epoch, "epoch_end 1 ['loss']", "train_end"]


def test_lambda_callback_other_hooks_by_keyword():
    calls = []
    callback = cb.LambdaCallback(on_test_begin=lambda logs: calls.append("test"),
                                 on_predict_batch_end=lambda batch, logs: calls.append(batch),
                                 on_batch_end=lambda batch, logs: calls.append(("old", batch)))
    callbacks = cb.CallbackList([callback])
    callbacks.on_test_begin()
    callbacks.on_predict_batch_end(4)
    callbacks.on_train_batch_end(2, {"loss": 1.0})    # the default calls on_batch_end
    callbacks.on_epoch_end(0, {"loss": 1.0})          # not given: does nothing
    assert calls == ["test", 4, ("old", 2)]


def test_lambda_callback_arguments():
    with pytest.raises(TypeError, match="on_epoch_end"):
        cb.LambdaCallback(on_epoch_end="print")
    with pytest.raises(TypeError, match="on_test_end"):
        cb.LambdaCallback(on_test_end=3)
    with pytest.raises(TypeError, match="on_epoch_ends"):
        cb.LambdaCallback(on_epoch_ends=lambda epoch, logs: None)


# -- ProgbarLogger --------------------------------------------------------------------------


def test_progress_bar_is_keras_progbar_logger():
    assert cb.ProgressBar is cb.ProgbarLogger


def test_progbar_logger_bar_per_epoch_with_the_running_values(capsys):
    bar = cb.ProgbarLogger()
    bar.set_params({"verbose": 1, "epochs": 2, "steps": 3})
    bar.on_train_begin()
    for epoch in range(2):
        bar.on_epoch_begin(epoch)
        for batch in range(3):
            bar.on_train_batch_end(batch, {"loss": 0.5 / (batch + 1)})
        bar.on_epoch_end(epoch, {"loss": 0.125, "val_loss": 0.0001})
    bar.on_train_end()
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err
    assert "3/3" in err
    assert "loss=0.1250" in err and "val_loss=1.0000e-04" in err


def test_progbar_logger_unknown_steps_and_evaluate_predict_bars(capsys):
    bar = cb.ProgbarLogger()
    bar.set_params({"verbose": 1, "epochs": 1, "steps": None})
    bar.on_test_begin()
    for batch in range(4):
        bar.on_test_batch_end(batch, {"loss": 1.0})
    bar.on_test_end({"loss": 1.0})
    bar.on_predict_begin()
    bar.on_predict_batch_end(0, {"outputs": 1.0})
    bar.on_predict_end()
    err = capsys.readouterr().err
    assert "Evaluate" in err and "4/4" in err and "Predict" in err
    # in a fit the validation has no bar of its own
    bar.on_train_begin()
    bar.on_test_begin()
    bar.on_test_batch_end(0, {"loss": 1.0})
    bar.on_test_end({"loss": 1.0})
    assert capsys.readouterr().err == ""


def test_progbar_logger_verbose_2_writes_one_line_per_epoch(capsys):
    bar = cb.ProgbarLogger()
    bar.set_params({"verbose": 2, "epochs": 3, "steps": 2})
    bar.on_train_begin()
    bar.on_epoch_begin(0)
    bar.on_train_batch_end(0, {"loss": 1.0})
    bar.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
    captured = capsys.readouterr()
    assert captured.out == "Epoch 1/3 - loss: 0.5000 - val_loss: 0.7500\n"
    assert captured.err == ""


def test_progbar_logger_in_a_fit_runs(capsys):
    x, y = regression(n=8)
    tiny_model().fit(x, y, epochs=1, batch_size=4, verbose=1, seed=0,
                     callbacks=[cb.ProgbarLogger()])     # the given bar, not a second one
    err = capsys.readouterr().err
    assert "2/2" in err and err.count("Epoch 1/1") >= 1
    tiny_model().fit(x, y, epochs=1, batch_size=4, verbose=0, seed=0,
                     callbacks=[cb.ProgbarLogger()])     # verbose=0 silences it, as Keras
    assert "2/2" not in capsys.readouterr().err


# -- BackupAndRestore -----------------------------------------------------------------------


def backup_files(directory):
    return sorted(name for name in os.listdir(directory))


def test_backup_and_restore_saves_every_epoch_and_restores_on_train_begin(tmp_path):
    directory = tmp_path / "backup"
    model = StubModel()
    backup = cb.BackupAndRestore(directory, delete_checkpoint=False)
    backup.set_model(model)
    backup.on_train_begin()
    assert model._initial_epoch is None and not directory.exists()
    for epoch in range(3):
        model.weights = [np.full(2, epoch + 0.5)]
        backup.on_epoch_end(epoch, {"loss": 1.0})
    assert backup_files(directory) == ["state-00000003.npz", "training_metadata.json"]
    metadata = json.loads((directory / "training_metadata.json").read_text())
    assert metadata == {"epoch": 3, "batch": 0, "save": 3, "state": "state-00000003.npz"}
    backup.on_train_end()
    assert directory.exists()                       # delete_checkpoint=False

    resumed = StubModel()
    again = cb.BackupAndRestore(directory)
    again.set_model(resumed)
    again.on_train_begin()
    assert resumed._initial_epoch == 3
    np.testing.assert_array_equal(resumed.weights[0], [2.5, 2.5])
    np.testing.assert_array_equal(resumed.restored[0]["rng"], np.array([7, 8], np.uint64))
    assert resumed.restored[0]["rng"].dtype == np.uint64
    again.on_epoch_end(3, {})
    assert json.loads((directory / "training_metadata.json").read_text())["epoch"] == 4
    again.on_train_end()
    assert not directory.exists()                   # deleted, and _initial_epoch cleared
    assert resumed._initial_epoch is None


def keras_batch_saves(save_freq, batches_per_epoch, epochs):
    """Keras 3's BackupAndRestore._should_save_on_batch replayed: (epoch, batch) pairs
    after which a backup is written."""
    saves, seen, last = [], 0, 0
    for epoch in range(epochs):
        for batch in range(batches_per_epoch):
            seen += batch + 1 if batch <= last else batch - last
            last = batch
            if seen >= save_freq:
                seen = 0
                saves.append((epoch, batch))
        last = 0                                   # on_epoch_end
    return saves


@pytest.mark.parametrize(("save_freq", "batches"), [(1, 3), (2, 3), (3, 5), (4, 3), (5, 2)])
def test_backup_and_restore_integer_save_freq_counts_batches_as_keras(tmp_path, save_freq,
                                                                      batches):
    model = StubModel()
    backup = cb.BackupAndRestore(tmp_path / "b", save_freq=save_freq)
    backup.set_model(model)
    backup.on_train_begin()
    saves = []
    for epoch in range(3):
        for batch in range(batches):
            before = backup._saves
            backup.on_train_batch_end(batch, {"loss": 1.0})
            if backup._saves != before:
                metadata = json.loads((tmp_path / "b" / "training_metadata.json").read_text())
                assert (metadata["epoch"], metadata["batch"]) == (epoch, batch)
                saves.append((epoch, batch))
        backup.on_epoch_end(epoch, {"loss": 1.0})
    assert saves == keras_batch_saves(save_freq, batches, 3)
    assert saves


def test_backup_and_restore_a_crash_while_saving_leaves_the_last_backup(tmp_path,
                                                                        monkeypatch):
    directory = tmp_path / "b"
    model = StubModel()
    backup = cb.BackupAndRestore(directory)
    backup.set_model(model)
    backup.on_train_begin()
    model.weights = [np.full(2, 1.0)]
    backup.on_epoch_end(0, {})
    model.weights = [np.full(2, 2.0)]
    real_replace = os.replace

    def crash_on_metadata(source, target):
        if str(target).endswith("training_metadata.json"):
            raise KeyboardInterrupt            # killed between the state and its metadata
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", crash_on_metadata)
    with pytest.raises(KeyboardInterrupt):
        backup.on_epoch_end(1, {})
    monkeypatch.setattr(os, "replace", real_replace)
    assert not [name for name in os.listdir(directory) if name.startswith(".tmp-")]
    resumed = StubModel()
    again = cb.BackupAndRestore(directory)
    again.set_model(resumed)
    again.on_train_begin()
    assert resumed._initial_epoch == 1
    np.testing.assert_array_equal(resumed.weights[0], [1.0, 1.0])
    again.on_epoch_end(1, {})                      # the stray state file is cleaned up
    assert backup_files(directory) == ["state-00000002.npz", "training_metadata.json"]


def test_backup_and_restore_damaged_backup(tmp_path):
    directory = tmp_path / "b"
    model = StubModel()
    for double in (False, True):
        backup = cb.BackupAndRestore(directory, double_checkpoint=double,
                                     delete_checkpoint=False)
        backup.set_model(model)
        backup.on_train_begin()
        for epoch in range(2):
            model.weights = [np.full(2, float(epoch))]
            backup.on_epoch_end(epoch, {})
        metadata = json.loads((directory / "training_metadata.json").read_text())
        (directory / metadata["state"]).write_bytes(b"not an npz")
        resumed = StubModel()
        again = cb.BackupAndRestore(directory, delete_checkpoint=True)
        again.set_model(resumed)
        if not double:
            with pytest.raises(ValueError, match="backup"):
                again.on_train_begin()
            for name in os.listdir(directory):
                os.remove(directory / name)
            continue
        again.on_train_begin()                     # falls back to the previous backup
        assert resumed._initial_epoch == 1
        np.testing.assert_array_equal(resumed.weights[0], [0.0, 0.0])
        again.on_train_end()
        assert not directory.exists()


def test_backup_and_restore_keeps_foreign_files(tmp_path):
    directory = tmp_path / "b"
    directory.mkdir()
    (directory / "notes.txt").write_text("mine")
    backup = cb.BackupAndRestore(directory)
    backup.set_model(StubModel())
    backup.on_train_begin()
    backup.on_epoch_end(0, {})
    backup.on_train_end()
    assert backup_files(directory) == ["notes.txt"]


@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"backup_dir": ""}, ValueError, "backup_dir"),
    ({"backup_dir": None}, TypeError, "backup_dir"),
    ({"backup_dir": "b", "save_freq": "batch"}, ValueError, "save_freq"),
    ({"backup_dir": "b", "save_freq": 0}, ValueError, "save_freq"),
    ({"backup_dir": "b", "save_freq": True}, TypeError, "save_freq"),
    ({"backup_dir": "b", "save_freq": 2.0}, TypeError, "save_freq"),
    ({"backup_dir": "b", "delete_checkpoint": "no"}, TypeError, "delete_checkpoint"),
    ({"backup_dir": "b", "double_checkpoint": 0}, TypeError, "double_checkpoint"),
])
def test_backup_and_restore_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        cb.BackupAndRestore(**kwargs)


def test_backup_and_restore_refuses_a_state_that_is_not_arrays(tmp_path):
    model = StubModel()
    model._backup_state = lambda: {"w": [1.0, 2.0]}
    backup = cb.BackupAndRestore(tmp_path / "b")
    backup.set_model(model)
    backup.on_train_begin()
    with pytest.raises(TypeError, match="_backup_state"):
        backup.on_epoch_end(0, {})


RESUMABLE_FIT = textwrap.dedent("""
    import json, os, signal, sys
    import numpy as np
    from sigconv import nn

    backup_dir, csv_path, out_path, kill_after = sys.argv[1:5]
    rng = np.random.default_rng(7)
    x = rng.standard_normal((40, 5)).astype(np.float32)
    y = (x[:, :2] @ np.array([[1.0], [-2.0]])
         + 0.1 * rng.standard_normal((40, 1))).astype(np.float32)
    model = nn.Sequential([nn.Dense(8, activation="relu", input_shape=(5,)),
                           nn.Dropout(0.3), nn.Dense(1)])
    model.compile(nn.Adam(learning_rate=0.01), "mse")
    model.build(seed=3)

    def kill(epoch, logs):
        if epoch == int(kill_after):
            os.kill(os.getpid(), signal.SIGKILL)

    callbacks = [nn.callbacks.BackupAndRestore(backup_dir),
                 nn.callbacks.CSVLogger(csv_path, append=True),
                 nn.callbacks.LambdaCallback(on_epoch_end=kill)]
    history = model.fit(x, y, batch_size=8, epochs=6, shuffle=True, seed=11, verbose=0,
                        validation_split=0.2, callbacks=callbacks)
    np.savez(out_path, *model.get_weights())
    with open(out_path + ".json", "w") as stream:
        json.dump({"history": history.history, "epoch": history.epoch}, stream)
""")

@pytest.mark.full
def test_a_killed_fit_resumes_to_the_uninterrupted_result(tmp_path):
    """A fit killed (SIGKILL) after epoch 3 and run again ends with the weights, the
    History of the remaining epochs and the CSV log of a fit never interrupted."""
    script = tmp_path / "fit.py"
    script.write_text(RESUMABLE_FIT)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def run(name, kill_after):
        out = tmp_path / f"{name}.npz"
        process = subprocess.run(
            [sys.executable, str(script), str(tmp_path / f"{name}-backup"),
             str(tmp_path / f"{name}.csv"), str(out), str(kill_after)],
            cwd=root, capture_output=True, text=True, timeout=300)
        return process, out

    whole, whole_out = run("whole", -1)
    assert whole.returncode == 0, whole.stderr
    killed, killed_out = run("resumed", 3)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not killed_out.exists()
    metadata = json.loads((tmp_path / "resumed-backup" / "training_metadata.json").read_text())
    assert metadata["epoch"] == 4
    resumed, resumed_out = run("resumed", -1)
    assert resumed.returncode == 0, resumed.stderr

    with np.load(whole_out) as expected, np.load(resumed_out) as got:
        assert len(expected.files) == len(got.files)
        for key in expected.files:
            np.testing.assert_array_equal(got[key], expected[key])
    expected = json.loads((tmp_path / "whole.npz.json").read_text())
    got = json.loads((tmp_path / "resumed.npz.json").read_text())
    assert got["epoch"] == [4, 5]
    assert got["history"] == {key: values[4:] for key, values in expected["history"].items()}
    assert read_bytes(tmp_path / "resumed.csv") == read_bytes(tmp_path / "whole.csv")
    assert not (tmp_path / "resumed-backup").exists()


def test_learning_rate_callbacks_with_a_real_schedule():
    """With an optimizer on nn.optimizers.schedules, the callbacks log the schedule's
    value at the optimizer's step, and setting a rate raises TypeError (Keras 3)."""
    x, y = regression()
    schedule = nn.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    model = tiny_model()
    model.compile(nn.SGD(learning_rate=schedule), "mse")
    logged = []
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, seed=0, callbacks=[
        Script("val_loss", [1.0, 0.5, 0.25]), cb.ReduceLROnPlateau(patience=0),
        cb.LambdaCallback(on_epoch_end=lambda epoch, logs: logged.append(
            logs["learning_rate"]))])
    assert logged == [float(schedule(3 * (epoch + 1))) for epoch in range(3)]
    assert logged[0] > logged[1] > logged[2]
    with pytest.raises(TypeError, match="schedule"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[
            cb.LearningRateScheduler(lambda epoch, lr: lr / 2)])
    with pytest.raises(TypeError, match="schedule"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[
            Script("val_loss", [1.0, 1.0]), cb.ReduceLROnPlateau(patience=0)])


NEW_HOOKS = [
    ("LearningRateScheduler", lambda path: cb.LearningRateScheduler(lambda epoch: 0.1)),
    ("ReduceLROnPlateau", lambda path: cb.ReduceLROnPlateau("loss")),
    ("CSVLogger", lambda path: cb.CSVLogger(path / "log.csv")),
    ("ProgbarLogger", lambda path: cb.ProgbarLogger()),
]


@pytest.mark.parametrize(("label", "factory"), NEW_HOOKS, ids=[h[0] for h in NEW_HOOKS])
@pytest.mark.parametrize("logs", [5, [("loss", 1.0)], {"loss": "1"}, {"loss": None},
                                  {"loss": True}, {1: 1.0}], ids=repr)
def test_epoch_end_hooks_name_logs_and_epochs_that_are_wrong(tmp_path, label, factory,
                                                             logs):
    callback = factory(tmp_path)
    callback.set_model(StubModel())
    callback.on_train_begin()
    with pytest.raises(TypeError, match="logs"):
        callback.on_epoch_end(0, logs)
    if label != "ProgbarLogger":                    # it does not read the epoch there
        with pytest.raises(TypeError, match="epoch"):
            callback.on_epoch_end("0", {"loss": 1.0})
    callback.on_train_end()


def test_backup_and_restore_hooks_name_a_wrong_epoch_or_batch(tmp_path):
    backup = cb.BackupAndRestore(tmp_path / "b", save_freq=2)
    backup.set_model(StubModel())
    backup.on_train_begin()
    with pytest.raises(TypeError, match="epoch"):
        backup.on_epoch_end(1.0, {})
    with pytest.raises(ValueError, match="batch"):
        backup.on_train_batch_end(-1, {})
