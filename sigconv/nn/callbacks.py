"""Callbacks: code that runs at the start and end of training, evaluation, prediction,
epochs and batches (Keras 3's ``keras.callbacks``).

Subclass :class:`Callback` and override any ``on_*`` method; ``self.model`` is the model
being trained and ``self.params`` the fit's parameters (``verbose``, ``epochs``,
``steps``). Setting ``self.model.stop_training = True`` ends training after the current
batch.

A ``fit`` calls, in this order::

    on_train_begin
        on_epoch_begin(epoch)
            on_train_batch_begin(batch), on_train_batch_end(batch, logs)   # per batch
            on_test_begin, on_test_batch_*, on_test_end                      # validation
        on_epoch_end(epoch, logs)           # logs: the epoch's values, val_* included
    on_train_end(logs)                      # logs: the last epoch's

``evaluate`` calls the ``on_test_*`` hooks and ``predict`` the ``on_predict_*`` ones.
Callbacks run in the order given, then :class:`History` and :class:`ProgbarLogger`: a
callback that writes into the epoch's ``logs`` (:class:`LearningRateScheduler` and
:class:`ReduceLROnPlateau` add ``"learning_rate"``) is seen by those after it.
"""

import csv
import glob
import inspect
import json
import math
import numbers
import os
import tempfile

import numpy as np

from .._validate import check_choice, check_real
from . import _checks

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "TerminateOnNaN",
           "ModelCheckpoint", "LearningRateScheduler", "ReduceLROnPlateau", "CSVLogger",
           "LambdaCallback", "ProgbarLogger", "BackupAndRestore"]

#: hooks called with ``(logs)``
_BEGIN_END_HOOKS = ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                    "on_predict_begin", "on_predict_end")
#: hooks called with ``(epoch, logs)``
_EPOCH_HOOKS = ("on_epoch_begin", "on_epoch_end")
#: hooks called with ``(batch, logs=logs)``
_BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin",
                "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end",
                "on_batch_begin", "on_batch_end")
_HOOKS = _BEGIN_END_HOOKS + _EPOCH_HOOKS + _BATCH_HOOKS


class Callback:
    """Base class of callbacks: every hook of Keras 3, each doing nothing.

    Attributes
    ----------
    model : Sequential
        The model the callback is used with (set by :meth:`set_model`).
    params : dict
        The call's parameters, ``{"verbose", "epochs", "steps"}`` (set by
        :meth:`set_params`; None before).

    Notes
    -----
    ``on_train_batch_begin`` and ``on_train_batch_end`` call ``on_batch_begin`` and
    ``on_batch_end`` (Keras's older names), so overriding either name works.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import nn
    >>> class CountBatches(nn.callbacks.Callback):
    ...     def on_train_begin(self, logs=None):
    ...         self.batches = 0
    ...     def on_train_batch_end(self, batch, logs=None):
    ...         self.batches += 1
    >>> model = nn.Sequential([nn.Dense(1, input_shape=(2,))])
    >>> model.compile("sgd", "mse")
    >>> counter = CountBatches()
    >>> _ = model.fit(np.ones((10, 2)), np.ones((10, 1)), batch_size=4, epochs=2,
    ...               verbose=0, callbacks=[counter])
    >>> counter.batches
    6
    """

    model = None
    params = None

    def set_params(self, params):
        """Keep the call's parameters (a dict) as ``self.params``."""
        self.params = params

    def set_model(self, model):
        """Keep the model as ``self.model``."""
        self.model = model

    def on_train_begin(self, logs=None):
        """Called once at the start of ``fit``."""

    def on_train_end(self, logs=None):
        """Called once at the end of ``fit``, with the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """Called at the start of ``evaluate`` (and of each validation in ``fit``)."""

    def on_test_end(self, logs=None):
        """Called at the end of ``evaluate`` (and of each validation in ``fit``)."""

    def on_predict_begin(self, logs=None):
        """Called at the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """Called at the end of ``predict``."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of every epoch (counted from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of every epoch with its logs (``val_*`` included)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before every training batch (counted from 0 in each epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after every training batch, with the epoch's running values."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before every batch of ``evaluate`` (and of validation in ``fit``)."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after every batch of ``evaluate`` (and of validation in ``fit``)."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before every batch of ``predict``."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after every batch of ``predict``."""

    def on_batch_begin(self, batch, logs=None):
        """Keras's older name of :meth:`on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Keras's older name of :meth:`on_train_batch_end`."""


def _check_callback(callback):
    if not isinstance(callback, Callback):
        raise TypeError(f"callbacks must be sigconv.nn.callbacks.Callback instances; got "
                        f"{type(callback).__name__}")
    return callback


class CallbackList(Callback):
    """Calls every callback's hook in order (Keras's ``CallbackList``).

    Parameters
    ----------
    callbacks : list of Callback, optional
        The callbacks, called in this order.
    add_history : bool, default False
        Append a :class:`History` unless ``callbacks`` holds one; it becomes
        ``model.history``.
    add_progbar : bool, default False
        Append a :class:`ProgbarLogger` unless ``callbacks`` holds one.
    model : Sequential, optional
        Given to every callback (:meth:`Callback.set_model`).
    **params
        Given to every callback as one dict (:meth:`Callback.set_params`), e.g.
        ``verbose=1, epochs=10, steps=32``.

    Raises
    ------
    TypeError
        If ``callbacks`` is not a list or tuple of :class:`Callback` instances, or a flag
        is not a bool.

    Notes
    -----
    Every callback receives the same ``logs`` dict (an empty one for ``None``), so
    values one callback writes into it are seen by the callbacks after it.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        if callbacks is None:
            callbacks = []
        if not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"callbacks must be a list of Callback instances; got "
                            f"{type(callbacks).__name__}")
        add_history = _checks.check_flag(add_history, "add_history")
        add_progbar = _checks.check_flag(add_progbar, "add_progbar")
        self.callbacks = [_check_callback(callback) for callback in callbacks]
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and not any(isinstance(c, ProgbarLogger) for c in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self.params = None
        self.model = None
        self.set_model(model)
        self.set_params(params)

    def append(self, callback):
        """Add a callback at the end (it receives the list's model and parameters)."""
        self.callbacks.append(_check_callback(callback))
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)

    def set_model(self, model):
        if model is None:
            return
        self.model = model
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)


def _dispatch(hook):
    if hook in _BATCH_HOOKS:
        def call(self, batch, logs=None):
            logs = {} if logs is None else logs
            for callback in self.callbacks:
                getattr(callback, hook)(batch, logs=logs)
    elif hook in _EPOCH_HOOKS:
        def call(self, epoch, logs=None):
            logs = {} if logs is None else logs
            for callback in self.callbacks:
                getattr(callback, hook)(epoch, logs)
    else:
        def call(self, logs=None):
            logs = {} if logs is None else logs
            for callback in self.callbacks:
                getattr(callback, hook)(logs)
    call.__name__ = call.__qualname__ = hook
    call.__doc__ = f"Call ``{hook}`` of every callback, in order."
    return call


for _hook in _HOOKS:
    setattr(CallbackList, _hook, _dispatch(_hook))
del _hook


def _checked_logs(logs, who):
    """``logs`` as a dict of names to floats (None: empty); TypeError naming ``logs``
    otherwise (a string is not read as a number, a bool is not one)."""
    if logs is None:
        return {}
    if not isinstance(logs, dict):
        raise TypeError(f"{who}: logs must be a dict of names to numbers; got "
                        f"{type(logs).__name__}")
    checked = {}
    for key, value in logs.items():
        if not isinstance(key, str) or isinstance(value, (bool, np.bool_)) \
                or not isinstance(value, (numbers.Real, np.floating, np.integer)):
            raise TypeError(f"{who}: logs must map names to real numbers; got {key!r}: "
                            f"{value!r}")
        checked[key] = float(value)
    return checked


def _checked_epoch(epoch, who, name="epoch"):
    return _checks.check_count(epoch, f"{who}: {name}", minimum=0)


def _check_verbose(verbose):
    return _checks.check_count(verbose, "verbose", minimum=0)


def _check_filename(value, name):
    """``value`` as a non-empty str file name (str or os.PathLike of str)."""
    try:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError
        path = os.fspath(value)
    except TypeError:
        raise TypeError(f"{name} must be a str or path-like; got "
                        f"{type(value).__name__}") from None
    if not isinstance(path, str):
        raise TypeError(f"{name} must be a str or path-like of str; got {value!r}")
    if not path:
        raise ValueError(f"{name} must not be empty")
    return path


def _message(line):
    """One line for the user (``verbose=1``), through tqdm so that a progress bar stays
    intact."""
    from tqdm.auto import tqdm

    tqdm.write(line)


def _format_value(value):
    """Keras's progress-bar format: 4 decimals, or 4 significant digits in e-notation
    for magnitudes of 1e-3 and below."""
    return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"


def _format_logs(logs):
    return " - ".join(f"{key}: {_format_value(value)}" for key, value in logs.items())


class History(Callback):
    """Records the logs of every epoch: ``history.history["loss"]`` is a list per epoch.

    Attributes
    ----------
    history : dict of str to list of float
        Grows with every epoch; as in Keras, a ``History`` given to several fits keeps
        the values of all of them.
    epoch : list of int
        The epochs of the last fit (counted from 0; a resumed fit starts later).

    Raises
    ------
    TypeError
        From :meth:`on_epoch_end`, if ``epoch`` is not an integer >= 0 or ``logs`` not a
        dict of names to real numbers (a string or a bool is not read as a number); the
        hooks of the other callbacks check their ``logs`` and ``epoch``/``batch`` alike.
    """

    def __init__(self):
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        epoch = _checked_epoch(epoch, "History")
        logs = _checked_logs(logs, "History")
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


#: metric names that Keras maximizes (their ``_direction`` is "up"); other names minimize
_MAXIMIZED = ("acc", "accuracy", "auc", "precision", "recall")


def _check_monitor(monitor):
    if not isinstance(monitor, str) or not monitor:
        raise TypeError(f"monitor must be the name of a logged value such as 'val_loss'; "
                        f"got {monitor!r}")
    return monitor


def _monitor_mode(monitor, mode):
    """``mode`` resolved from the name alone where it can be (None: look at the model's
    metrics first, see :func:`_resolve_mode`)."""
    _check_monitor(monitor)
    check_choice(mode, "mode", ("auto", "min", "max"))
    return None if mode == "auto" else mode


def _resolve_mode(monitor, model):
    """Keras's ``auto``: minimize ``loss``; else follow the direction of the compiled
    metric of that name (``val_`` stripped); else maximize names ending in an accuracy,
    AUC, precision or recall and minimize the rest (Keras refuses to guess for names it
    does not know)."""
    name = monitor.removeprefix("val_")
    if name == "loss":
        return "min"
    for metric in getattr(model, "metrics", None) or ():
        direction = getattr(metric, "_direction", None)
        if getattr(metric, "name", None) == name and direction in ("up", "down"):
            return "max" if direction == "up" else "min"
    return "max" if name.endswith(_MAXIMIZED) else "min"


def _improved(current, best, mode, min_delta):
    """Keras's ``_is_improvement``: better than ``best`` by more than ``min_delta``."""
    if best is None:
        return True
    return current - min_delta > best if mode == "max" else current + min_delta < best


def _logged(logs, monitor, who, params=None):
    """The monitored value; None on an epoch that a validating fit did not validate (a
    ``val_`` monitor, no ``val_`` value in the logs, ``validation_freq`` > 1: the epoch
    is skipped, as Keras does); ValueError if the monitor is missing otherwise."""
    current = logs.get(monitor)
    if current is None:
        if monitor.startswith("val_") and (params or {}).get("validation") \
                and not any(key.startswith("val_") for key in logs):
            return None
        raise ValueError(f"{who}: monitor {monitor!r} is not among the logged values "
                         f"{sorted(logs)}")
    return current


class _MonitorCallback(Callback):
    """Watches ``monitor`` in the epoch logs; ``mode="auto"`` is resolved at the first
    epoch's end, when the model's metrics are known (as Keras's ``MonitorCallback``)."""

    def _setup_monitor(self, monitor, mode, min_delta):
        check_choice(mode, "mode", ("auto", "min", "max"))
        self.monitor = _check_monitor(monitor)
        self.mode = mode
        self.min_delta = abs(check_real(min_delta, "min_delta"))
        self._direction = None if mode == "auto" else mode

    def _is_improvement(self, current, reference):
        if self._direction is None:
            self._direction = _resolve_mode(self.monitor, self.model)
        return _improved(current, reference, self._direction, self.min_delta)


class EarlyStopping(_MonitorCallback):
    r"""Stop training when ``monitor`` has not improved for ``patience`` epochs (Keras 3).

    Parameters
    ----------
    monitor : str, default "val_loss"
        The name of the logged value to watch (``"val_"`` names need validation data).
    min_delta : float, default 0
        Smallest change that counts as an improvement (its sign is ignored).
    patience : int, default 0
        Epochs without improvement before stopping.
    verbose : int, default 0
        1: a line when training stops early and when the best weights are restored.
    mode : {"auto", "min", "max"}
        ``auto``: minimize ``loss``; follow a compiled metric's direction; maximize names
        ending in accuracy, AUC, precision or recall; minimize the rest.
    baseline : float, optional
        Training stops if the monitor does not beat it within ``patience`` epochs.
    restore_best_weights : bool, default False
        When training ends (early or not), put back the weights of the best epoch.
    start_from_epoch : int, default 0
        Epochs of warm-up (counted from epoch 0) that are not monitored.

    Attributes
    ----------
    best, best_epoch, stopped_epoch, wait : float, int, int, int
        The best value seen and its epoch, the epoch training stopped at (0 if it did
        not stop early), the epochs since the last improvement.

    Raises
    ------
    TypeError
        If an argument has the wrong type (a non-string ``monitor``, ``"3"`` or ``True``
        for ``patience``, a non-bool ``restore_best_weights``).
    ValueError
        If ``patience``, ``verbose`` or ``start_from_epoch`` is negative, ``min_delta``
        or ``baseline`` not finite, or ``mode`` unknown; during training, if ``monitor``
        is not among the logged values (Keras only warns, and then never stops).

    Notes
    -----
    At the end of every epoch :math:`e \ge` ``start_from_epoch``, with the monitored
    value :math:`v` (mode ``min``; ``max`` flips the comparisons)::

        wait += 1
        if best is None or v + |min_delta| < best:
            best, best_epoch = v, e          (and the weights, if restore_best_weights)
            if baseline is None or v + |min_delta| < baseline:
                wait = 0
        elif wait >= patience and e > 0:
            stop training

    The best weights are restored in ``on_train_end``, so also when patience never ran
    out (Keras 3).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import nn
    >>> stopper = nn.callbacks.EarlyStopping(monitor="loss", patience=3)
    >>> model = nn.Sequential([nn.Dense(10, input_shape=(20,))])
    >>> model.compile(nn.SGD(), loss="mse")
    >>> history = model.fit(np.arange(100).reshape(5, 20), np.zeros((5, 10)), epochs=10,
    ...                     batch_size=1, callbacks=[stopper], verbose=0, seed=0)
    >>> len(history.history["loss"])    # the loss grows: 4 epochs are run, as in Keras
    4
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        self._setup_monitor(monitor, mode, min_delta)
        self.patience = _checks.check_count(patience, "patience", minimum=0)
        self.verbose = _check_verbose(verbose)
        self.baseline = None if baseline is None else check_real(baseline, "baseline")
        self.restore_best_weights = _checks.check_flag(restore_best_weights,
                                                       "restore_best_weights")
        self.start_from_epoch = _checks.check_count(start_from_epoch, "start_from_epoch",
                                                    minimum=0)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        epoch = _checked_epoch(epoch, "EarlyStopping")
        current = _logged(_checked_logs(logs, "EarlyStopping"), self.monitor,
                          "EarlyStopping", self.params)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _message(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _message(f"Restoring model weights from the end of the best epoch: "
                         f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        _checked_epoch(batch, "TerminateOnNaN", "batch")
        loss = _checked_logs(logs, "TerminateOnNaN").get("loss")
        if loss is not None and not math.isfinite(loss):
            self.model.stop_training = True


class ModelCheckpoint(_MonitorCallback):
    """Save the model (or its weights) after each epoch, or only when ``monitor`` improved.

    Parameters
    ----------
    filepath : str or path
        May hold ``{epoch}`` and log names, e.g. ``"model-{epoch:02d}-{val_loss:.2f}.npz"``
        (epochs counted from 1 as in Keras).
    monitor : str, default "val_loss"
        The logged value that decides what is best (with ``save_best_only``).
    save_best_only : bool, default False
        Save only when ``monitor`` improved on the best value so far.
    save_weights_only : bool, default False
        Save the weights alone (``model.save_weights``), not the whole model.
    mode : {"auto", "min", "max"}
        As in :class:`EarlyStopping`.

    Raises
    ------
    TypeError
        If ``filepath`` is not a path, ``monitor`` not a string, or a flag not a bool.
    ValueError
        If ``mode`` is unknown; during training, if ``filepath`` names a value that is
        not logged, or (``save_best_only``) ``monitor`` is not among the logged values
        (Keras only warns, and then never saves).
    """

    def __init__(self, filepath, monitor="val_loss", save_best_only=False,
                 save_weights_only=False, mode="auto"):
        self.filepath = _check_filename(filepath, "filepath")
        self._setup_monitor(monitor, mode, 0.0)
        self.save_best_only = _checks.check_flag(save_best_only, "save_best_only")
        self.save_weights_only = _checks.check_flag(save_weights_only, "save_weights_only")
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        epoch = _checked_epoch(epoch, "ModelCheckpoint")
        logs = _checked_logs(logs, "ModelCheckpoint")
        if self.save_best_only:
            current = _logged(logs, self.monitor, "ModelCheckpoint", self.params)
            if current is None or not np.isfinite(current):
                return
            if not self._is_improvement(current, self.best):
                return
            self.best = current
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"ModelCheckpoint: filepath {self.filepath!r} cannot be "
                             f"formatted with epoch and the logged values {sorted(logs)}: "
                             f"{type(exc).__name__}: {exc}") from None
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


def _optimizer_of(model, who):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(f"{who}: the model's optimizer must have a learning_rate "
                         f"(compile the model first); got {optimizer!r}")
    return optimizer


def _current_learning_rate(optimizer):
    """The optimizer's learning rate as a float (a schedule's current value too)."""
    return float(np.asarray(optimizer.learning_rate))


def _schedule_arguments(schedule):
    """How many positional arguments ``schedule`` takes: 2 (epoch, lr) or 1 (epoch)."""
    try:
        signature = inspect.signature(schedule)
    except (TypeError, ValueError):    # a builtin without a signature: try (epoch, lr)
        return 2
    for count in (2, 1):
        try:
            signature.bind(*range(count))
        except TypeError:
            continue
        return count
    raise TypeError(f"schedule must take (epoch, lr) or (epoch) as its positional "
                    f"arguments; got the signature {signature}")


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of every epoch from
    ``schedule(epoch, lr)`` (Keras 3).

    Parameters
    ----------
    schedule : callable
        ``schedule(epoch, lr) -> new_lr``, ``epoch`` counted from 0 and ``lr`` the
        current learning rate (a float); a function of ``epoch`` alone works too.
    verbose : int, default 0
        1: a line at every epoch with the rate set.

    Raises
    ------
    TypeError
        If ``schedule`` is not callable or takes neither ``(epoch, lr)`` nor
        ``(epoch)``, or ``verbose`` is not an integer. During training, if ``schedule``
        returns something else than a float (Python or NumPy; Keras refuses an int
        too), or the optimizer's ``learning_rate`` is a schedule, which cannot be set
        (as Keras).
    ValueError
        If ``verbose`` is negative; during training, if the rate returned is not a
        finite number > 0, or the model has no optimizer.

    Notes
    -----
    ``on_epoch_begin(epoch)`` sets ``optimizer.learning_rate = schedule(epoch, lr)``;
    ``on_epoch_end`` writes the rate into the epoch's logs as ``"learning_rate"`` (so it
    appears in ``History``).

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from sigconv import nn
    >>> def schedule(epoch, lr):
    ...     return lr if epoch < 10 else lr * math.exp(-0.1)
    >>> model = nn.Sequential([nn.Dense(10, input_shape=(20,))])
    >>> model.compile(nn.SGD(), loss="mse")
    >>> round(model.optimizer.learning_rate, 5)
    0.01
    >>> callback = nn.callbacks.LearningRateScheduler(schedule)
    >>> history = model.fit(np.arange(100).reshape(5, 20) / 100, np.zeros((5, 10)),
    ...                     epochs=15, callbacks=[callback], verbose=0)
    >>> round(model.optimizer.learning_rate, 5)
    0.00607
    """

    def __init__(self, schedule, verbose=0):
        if not callable(schedule):
            raise TypeError(f"schedule must be a callable schedule(epoch, lr); got "
                            f"{type(schedule).__name__}")
        self._arguments = _schedule_arguments(schedule)
        self.schedule = schedule
        self.verbose = _check_verbose(verbose)

    def on_epoch_begin(self, epoch, logs=None):
        epoch = _checked_epoch(epoch, "LearningRateScheduler")
        optimizer = _optimizer_of(self.model, "LearningRateScheduler")
        if self._arguments == 2:
            rate = self.schedule(epoch, _current_learning_rate(optimizer))
        else:
            rate = self.schedule(epoch)
        if isinstance(rate, (bool, np.bool_)) or not isinstance(rate, (float, np.floating)):
            raise TypeError(f"LearningRateScheduler: schedule must return a float; got "
                            f"{rate!r} at epoch {epoch}")
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"LearningRateScheduler: schedule returned the learning rate "
                             f"{rate!r} at epoch {epoch}; it must be a finite number > 0")
        optimizer.learning_rate = float(rate)
        if self.verbose > 0:
            _message(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                     f"{float(rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        _checked_epoch(epoch, "LearningRateScheduler")
        _checked_logs(logs, "LearningRateScheduler")
        if logs is not None:
            logs["learning_rate"] = _current_learning_rate(
                _optimizer_of(self.model, "LearningRateScheduler"))


class ReduceLROnPlateau(_MonitorCallback):
    r"""Reduce the learning rate when ``monitor`` has stopped improving (Keras 3).

    Parameters
    ----------
    monitor : str, default "val_loss"
        The name of the logged value to watch.
    factor : float in (0, 1), default 0.1
        ``new_lr = max(lr * factor, min_lr)``.
    patience : int, default 10
        Epochs without improvement before the rate is reduced.
    verbose : int, default 0
        1: a line at every reduction.
    mode : {"auto", "min", "max"}
        As in :class:`EarlyStopping`.
    min_delta : float, default 1e-4
        Smallest change that counts as an improvement.
    cooldown : int, default 0
        Epochs after a reduction during which no patience is counted.
    min_lr : float, default 0
        The rate is never reduced below it.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``factor`` is not in (0, 1) (Keras refuses ``factor >= 1``), ``min_lr``
        negative, a count negative, ``mode`` unknown; during training, if ``monitor`` is
        not among the logged values (Keras only warns) or the model has no optimizer.
        A ``TypeError`` from the optimizer if its learning rate is a schedule, which
        cannot be set (as Keras).

    Notes
    -----
    At the end of every epoch, with the monitored value :math:`v` (mode ``min``; ``max``
    flips the comparison) and the rate :math:`lr` (also written into the logs as
    ``"learning_rate"``)::

        if cooldown_counter > 0:
            cooldown_counter -= 1; wait = 0
        if best is None or v + |min_delta| < best:
            best = v; wait = 0
        elif cooldown_counter == 0:
            wait += 1
            if wait >= patience and float32(lr) > float32(min_lr):
                lr = max(lr * factor, min_lr); cooldown_counter = cooldown; wait = 0

    (Keras keeps the rate in a float32 variable: the float32 comparison is its.)

    Examples
    --------
    >>> from sigconv import nn
    >>> class Stub:                     # any model with an optimizer will do
    ...     optimizer = nn.SGD(learning_rate=0.1)
    >>> reduce = nn.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    >>> reduce.set_model(Stub())
    >>> reduce.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 0.9, 0.95, 0.97, 0.8]):
    ...     reduce.on_epoch_end(epoch, {"loss": loss})
    >>> Stub.optimizer.learning_rate
    0.025
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        self._setup_monitor(monitor, mode, min_delta)
        self.factor = check_real(factor, "factor", 0.0, 1.0, exclusive_minimum=True,
                                 exclusive_maximum=True)
        self.patience = _checks.check_count(patience, "patience", minimum=0)
        self.verbose = _check_verbose(verbose)
        self.cooldown = _checks.check_count(cooldown, "cooldown", minimum=0)
        self.min_lr = check_real(min_lr, "min_lr", 0.0)
        self._reset()

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self):
        """Whether a reduction happened less than ``cooldown`` epochs ago."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        epoch = _checked_epoch(epoch, "ReduceLROnPlateau")
        checked = _checked_logs(logs, "ReduceLROnPlateau")
        optimizer = _optimizer_of(self.model, "ReduceLROnPlateau")
        rate = _current_learning_rate(optimizer)
        checked["learning_rate"] = rate
        if logs is not None:
            logs["learning_rate"] = rate
        current = _logged(checked, self.monitor, "ReduceLROnPlateau", self.params)
        if current is None:            # an epoch without validation: Keras skips it
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and np.float32(rate) > np.float32(self.min_lr):
                new_rate = max(rate * self.factor, self.min_lr)
                optimizer.learning_rate = new_rate
                if self.verbose > 0:
                    _message(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning "
                             f"rate to {new_rate}.")
                self.cooldown_counter = self.cooldown
                self.wait = 0


class CSVLogger(Callback):
    """Write every epoch's logs as a row of a CSV file (Keras 3).

    Parameters
    ----------
    filename : str or path
        The CSV file (its folder must exist).
    separator : str, default ","
        One character between the fields.
    append : bool, default False
        Add to an existing file (its header is kept; one is written if the file is
        empty) instead of overwriting it, e.g. when a fit resumes.

    Raises
    ------
    TypeError
        If ``filename`` is not a path, ``separator`` not a one-character string or
        ``append`` not a bool.
    ValueError
        If ``filename`` is empty, ``separator`` a quote, a line break or longer than one
        character.

    Notes
    -----
    The columns are ``epoch`` (counted from 0) and the first epoch's log names, sorted;
    if none of them starts with ``val_``, a ``val_<name>`` column is added for each
    (Keras's rule), filled with ``NA`` like any value an epoch did not log. Lines end
    with ``\\r\\n`` (the csv module's ``excel`` dialect, as Keras's files on Linux).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sigconv import nn
    >>> model = nn.Sequential([nn.Dense(1, input_shape=(2,))])
    >>> model.compile("sgd", "mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0,
    ...               callbacks=[nn.callbacks.CSVLogger(path)])
    >>> with open(path, newline="") as stream:
    ...     print(stream.readline().strip())
    epoch,loss,val_loss
    """

    def __init__(self, filename, separator=",", append=False):
        self.filename = _check_filename(filename, "filename")
        if not isinstance(separator, str):
            raise TypeError(f"separator must be a one-character string; got {separator!r}")
        if len(separator) != 1 or separator in "\"\r\n":
            raise ValueError(f"separator must be one character other than a quote or a "
                             f"line break; got {separator!r}")
        self.sep = separator
        self.append = _checks.check_flag(append, "append")
        self.keys = None
        self.csv_file = None
        self.writer = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        mode = "w"
        self.append_header = True
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, newline="") as stream:
                    self.append_header = not stream.readline()
            mode = "a"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")   # noqa: SIM115 (closed at train end)
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        epoch = _checked_epoch(epoch, "CSVLogger")
        logs = _checked_logs(logs, "CSVLogger")
        if self.csv_file is None or self.csv_file.closed:
            raise RuntimeError("CSVLogger: on_epoch_end before on_train_begin (the file is "
                               "not open)")
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            dialect = type("_Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys],
                                         dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, logs.get(key, "NA")) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


class LambdaCallback(Callback):
    """A callback made of functions, one per hook (Keras 3).

    Parameters
    ----------
    on_epoch_begin, on_epoch_end : callable, optional
        Called as ``f(epoch, logs)``.
    on_train_begin, on_train_end : callable, optional
        Called as ``f(logs)``.
    on_train_batch_begin, on_train_batch_end : callable, optional
        Called as ``f(batch, logs=logs)``.
    **hooks : callable
        Any other hook of :class:`Callback` by name (``on_test_begin=f``, ...), called
        with that hook's arguments.

    Raises
    ------
    TypeError
        If a function is not callable (or None), or a keyword is not a hook of
        :class:`Callback` (Keras stores unknown names silently).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import nn
    >>> losses = []
    >>> record = nn.callbacks.LambdaCallback(
    ...     on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    >>> model = nn.Sequential([nn.Dense(1, input_shape=(2,))])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0,
    ...               callbacks=[record])
    >>> len(losses)
    3
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **hooks):
        for name in hooks:
            if name not in _HOOKS:
                raise TypeError(f"LambdaCallback got an unknown hook {name!r}; the hooks "
                                f"are {', '.join(_HOOKS)}")
        hooks.update(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for name, function in hooks.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"{name} must be a callable or None; got "
                                f"{type(function).__name__}")
            setattr(self, name, function)


class ProgbarLogger(Callback):
    """The progress bar of ``fit``, ``evaluate`` and ``predict`` (Keras 3's
    ``ProgbarLogger``; ``fit`` adds one when ``verbose`` is not 0).

    It reads ``self.params``: ``verbose`` 1 shows a tqdm bar per epoch with the running
    values (Keras's 4-decimal format), 2 writes one line per epoch,
    ``"Epoch e/E - loss: ... - val_loss: ..."``; ``steps`` is the bar's length (None: the
    number of batches seen, found at the end). Within ``fit`` the validation runs
    without a bar of its own, as in Keras.

    Notes
    -----
    The bar is tqdm's (on stderr) rather than Keras's own, and the ``verbose=2`` line
    leaves out Keras's timings (``2/2 - 0s - 5ms/step``), so that the same run prints
    the same text; the values use Keras's format, ``f"{v:.4f}"``, or ``f"{v:.4e}"``
    when ``|v| <= 1e-3``.

    Examples
    --------
    >>> from sigconv import nn
    >>> bar = nn.callbacks.ProgbarLogger()
    >>> bar.set_params({"verbose": 2, "epochs": 3, "steps": 5})
    >>> bar.on_epoch_end(0, {"loss": 0.25, "accuracy": 0.0005})
    Epoch 1/3 - loss: 0.2500 - accuracy: 5.0000e-04
    """

    def __init__(self):
        self.verbose = 1
        self.epochs = 1
        self.target = None
        self.seen = 0
        self.bar = None
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _open(self, description):
        self._close()
        self.seen = 0
        if self.verbose == 1:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.target, desc=description, unit="step", leave=True,
                            mininterval=0.2)

    def _update(self, batch, logs):
        self.seen = batch + 1
        if self.bar is None:
            return
        self.bar.update(self.seen - self.bar.n)
        if logs and (self.seen == self.bar.total or batch % 10 == 0):
            self.bar.set_postfix({key: _format_value(value) for key, value in logs.items()},
                                 refresh=False)

    def _finish(self, logs, line=None):
        logs = logs or {}
        if self.bar is not None:
            if self.bar.total is None:
                self.bar.total = self.seen
            self.bar.update(self.bar.total - self.bar.n)
            self.bar.set_postfix({key: _format_value(value) for key, value in logs.items()},
                                 refresh=False)
        elif self.verbose == 2 and line is not None:
            _message(line + (" - " + _format_logs(logs) if logs else ""))
        self._close()

    def _close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_train_end(self, logs=None):
        self._close()
        self._called_in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._open(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(_checked_logs(logs, "ProgbarLogger"), f"Epoch {epoch + 1}/{self.epochs}")

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._open("Evaluate")

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finish(_checked_logs(logs, "ProgbarLogger"), "Evaluate")

    def on_predict_begin(self, logs=None):
        self._open("Predict")

    def on_predict_batch_end(self, batch, logs=None):
        self._update(batch, None)       # as Keras: the predictions are not shown

    def on_predict_end(self, logs=None):
        self._finish(None)


#: the name ``fit`` used for its progress bar before Keras's was adopted
ProgressBar = ProgbarLogger

_METADATA = "training_metadata.json"


def _write_atomically(path, write):
    """Write ``path`` through ``write(stream)`` on a temporary file in the same folder,
    flushed to disk, then renamed over ``path``: a reader sees the old file or the new
    one, never a part of either."""
    directory = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _check_state(arrays):
    if not isinstance(arrays, dict) or not all(
            isinstance(key, str) and key and isinstance(value, np.ndarray)
            and value.dtype != object for key, value in arrays.items()):
        raise TypeError("BackupAndRestore: model._backup_state() must return a dict of "
                        "non-empty str names to NumPy arrays (not object arrays)")
    return arrays


class BackupAndRestore(Callback):
    """Back up the training state during ``fit`` so that an interrupted fit, run again,
    resumes where the backup was taken (Keras 3).

    Parameters
    ----------
    backup_dir : str or path
        A folder for this fit's backups alone (created if needed).
    save_freq : "epoch" or int, default "epoch"
        Back up at the end of every epoch, or every ``save_freq`` training batches.
    double_checkpoint : bool, default False
        Keep the previous backup too, and fall back to it if the last one cannot be read.
    delete_checkpoint : bool, default True
        Delete the backup when training ends (early or not); an interrupted fit never
        gets there.

    Raises
    ------
    TypeError
        If ``backup_dir`` is not a path, ``save_freq`` neither ``"epoch"`` nor an
        integer (``True`` included), or a flag not a bool.
    ValueError
        If ``backup_dir`` is empty or ``save_freq`` is an integer < 1; in
        ``on_train_begin``, if the backup is damaged (and no previous one is kept).

    Notes
    -----
    The state is what ``model._backup_state()`` returns: the weights, the optimizer's
    state and the fit's random generators (shuffling, dropout), so that a fit resumed
    after epoch :math:`e` computes exactly what the uninterrupted fit computes, given the
    same data and arguments. Each backup is a new ``state-<n>.npz`` file, written to a
    temporary file and renamed; then ``training_metadata.json`` (``{"epoch", "batch",
    "state"}``), written the same way, names it. The metadata is the commit point: a fit
    killed at any moment leaves the last complete backup readable.

    In ``on_train_begin``, if a backup exists, the model's state is restored and
    ``model._initial_epoch`` set to the number of epochs done: ``fit`` goes on from
    there, and its ``History`` holds the epochs run after the restart only.

    With an integer ``save_freq`` a backup taken during epoch :math:`e` resumes at the
    start of epoch :math:`e` with the weights of that backup, as in Keras: the batches
    of epoch :math:`e` before it are trained twice, and the result differs from an
    uninterrupted fit.

    ``delete_checkpoint`` removes the files this callback wrote and the folder if that
    leaves it empty (Keras removes the whole folder).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sigconv import nn
    >>> backup = nn.callbacks.BackupAndRestore(os.path.join(tempfile.mkdtemp(), "run"))
    >>> backup.save_freq, backup.delete_checkpoint
    ('epoch', True)
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        self.backup_dir = _check_filename(backup_dir, "backup_dir")
        if isinstance(save_freq, str):
            if save_freq != "epoch":
                raise ValueError(f"save_freq must be 'epoch' or a number of batches; got "
                                 f"{save_freq!r}")
        elif isinstance(save_freq, (bool, np.bool_)) \
                or not isinstance(save_freq, (numbers.Integral, np.integer)):
            raise TypeError(f"save_freq must be 'epoch' or a number of batches (an int); "
                            f"got {save_freq!r}")
        else:
            save_freq = _checks.check_count(save_freq, "save_freq", minimum=1)
        self.save_freq = save_freq
        self.double_checkpoint = _checks.check_flag(double_checkpoint, "double_checkpoint")
        self.delete_checkpoint = _checks.check_flag(delete_checkpoint, "delete_checkpoint")
        self._metadata_path = os.path.join(self.backup_dir, _METADATA)
        self._previous_metadata_path = self._metadata_path + ".bkp"
        self._current_epoch = 0
        self._last_batch_seen = 0
        self._batches_seen_since_last_saving = 0
        self._saves = 0
        self._restored_epoch = None

    # -- restoring ---------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._current_epoch = 0
        self._last_batch_seen = 0
        self._batches_seen_since_last_saving = 0
        self._saves = 0
        self._restored_epoch = None
        if not os.path.exists(self._metadata_path):
            return
        try:
            metadata, arrays = self._read(self._metadata_path)
        except ValueError:
            if not os.path.exists(self._previous_metadata_path):
                raise
            metadata, arrays = self._read(self._previous_metadata_path)
        self.model._restore_backup_state(arrays)
        self.model._initial_epoch = metadata["epoch"]
        self._current_epoch = self._restored_epoch = metadata["epoch"]
        self._saves = metadata["save"]

    def _read(self, metadata_path):
        """The metadata and the arrays of one backup; ValueError naming the file if
        either is damaged."""
        try:
            with open(metadata_path, encoding="utf-8") as stream:
                metadata = json.load(stream)
            if not isinstance(metadata, dict) or any(
                    isinstance(metadata.get(key), bool)
                    or not isinstance(metadata.get(key), int) or metadata[key] < 0
                    for key in ("epoch", "batch", "save")) \
                    or not isinstance(metadata.get("state"), str) \
                    or os.path.basename(metadata["state"]) != metadata["state"]:
                raise ValueError("its fields are not epoch, batch, save (integers >= 0) "
                                 "and state (a file name)")
            state_path = os.path.join(self.backup_dir, metadata["state"])
            with np.load(state_path, allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in archive.files}
        except (OSError, ValueError, EOFError) as exc:
            raise ValueError(f"BackupAndRestore: the backup in {self.backup_dir!r} "
                             f"({os.path.basename(metadata_path)}) cannot be read: "
                             f"{type(exc).__name__}: {exc}") from exc
        return metadata, arrays

    # -- backing up --------------------------------------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        epoch = _checked_epoch(epoch, "BackupAndRestore")
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        batch = _checked_epoch(batch, "BackupAndRestore", "batch")
        if self._should_save_on_batch(batch):
            self._save()

    def _should_save_on_batch(self, batch):
        """Keras's count: a batch index not above the last one starts a new epoch."""
        if self.save_freq == "epoch":
            return False
        added = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save(self):
        arrays = _check_state(self.model._backup_state())
        os.makedirs(self.backup_dir, exist_ok=True)
        self._saves += 1
        state = f"state-{self._saves:08d}.npz"
        _write_atomically(os.path.join(self.backup_dir, state),
                          lambda stream: np.savez(stream, **arrays))
        if self.double_checkpoint and os.path.exists(self._metadata_path):
            with open(self._metadata_path, "rb") as stream:
                previous = stream.read()
            _write_atomically(self._previous_metadata_path,
                              lambda stream: stream.write(previous))
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen,
                    "save": self._saves, "state": state}
        _write_atomically(self._metadata_path,
                          lambda stream: stream.write(json.dumps(metadata).encode()))
        self._remove_states(keep=self._referenced_states())

    def _referenced_states(self):
        keep = set()
        for path in (self._metadata_path, self._previous_metadata_path):
            try:
                with open(path, encoding="utf-8") as stream:
                    keep.add(json.load(stream)["state"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return keep

    def _remove_states(self, keep=()):
        for path in glob.glob(os.path.join(glob.escape(self.backup_dir), "state-*.npz")):
            if os.path.basename(path) not in keep:
                os.remove(path)

    # -- the end -----------------------------------------------------------------------
    def on_train_end(self, logs=None):
        if self._restored_epoch is not None and self.model is not None:
            self.model._initial_epoch = None
        if not self.delete_checkpoint or not os.path.isdir(self.backup_dir):
            return
        for path in (self._metadata_path, self._previous_metadata_path):
            if os.path.exists(path):
                os.remove(path)
        self._remove_states()
        for path in glob.glob(os.path.join(glob.escape(self.backup_dir), ".tmp-*.part")):
            os.remove(path)
        if not os.listdir(self.backup_dir):
            os.rmdir(self.backup_dir)
