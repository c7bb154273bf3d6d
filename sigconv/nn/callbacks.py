"""Callbacks: code that runs at the start and end of training, epochs and batches.

Subclass :class:`Callback` and override any ``on_*`` method; ``self.model`` is the model
being trained. Setting ``self.model.stop_training = True`` ends training after the current
batch.
"""

import math
import numbers
import os

import numpy as np

from .._validate import check_choice, check_real
from . import _checks

__all__ = ["Callback", "History", "EarlyStopping", "TerminateOnNaN", "ModelCheckpoint"]


class Callback:
    """Base class of callbacks (every hook does nothing)."""

    model = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_end(self, batch, logs=None):
        pass

    # the other hooks of Keras 3 (interim, until the callbacks module has them all)
    def on_train_batch_begin(self, batch, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """Calls every callback's hook in order."""

    def __init__(self, callbacks, model):
        self.callbacks = []
        self.model = model
        for callback in callbacks:
            self.append(callback)

    def append(self, callback):
        if not isinstance(callback, Callback):
            raise TypeError(f"callbacks must be sigconv.nn.callbacks.Callback instances; got "
                            f"{type(callback).__name__}")
        callback.set_model(self.model)
        self.callbacks.append(callback)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args):
            for callback in self.callbacks:
                getattr(callback, hook)(*args)
        return call


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


class History(Callback):
    """Records the logs of every epoch: ``history.history["loss"]`` is a list per epoch.

    Raises
    ------
    TypeError
        From :meth:`on_epoch_end`, if ``epoch`` is not an integer >= 0 or ``logs`` not a
        dict of names to real numbers (a string or a bool is not read as a number); the
        hooks of :class:`EarlyStopping`, :class:`TerminateOnNaN` and
        :class:`ModelCheckpoint` check their ``logs`` and ``epoch``/``batch`` alike.
    """

    def __init__(self):
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch, logs=None):
        epoch = _checked_epoch(epoch, "History")
        logs = _checked_logs(logs, "History")
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)


def _monitor_mode(monitor, mode):
    if not isinstance(monitor, str) or not monitor:
        raise TypeError(f"monitor must be the name of a logged value such as 'val_loss'; "
                        f"got {monitor!r}")
    check_choice(mode, "mode", ("auto", "min", "max"))
    if mode == "auto":
        mode = "max" if monitor.endswith(("acc", "accuracy", "auc")) else "min"
    return mode


def _improved(current, best, mode, min_delta):
    if best is None:
        return True
    return current - min_delta > best if mode == "max" else current + min_delta < best


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs (Keras).

    Parameters
    ----------
    monitor : str, default "val_loss"
    min_delta : float
        Smallest change that counts as an improvement.
    patience : int
        Epochs without improvement before stopping.
    mode : {"auto", "min", "max"}
        ``auto``: maximize accuracies, minimize the rest.
    restore_best_weights : bool
        Put back the weights of the best epoch when stopping.
    baseline : float, optional
        Training stops if the monitor does not beat it within ``patience`` epochs.

    Raises
    ------
    TypeError
        If an argument has the wrong type (a non-string ``monitor``, ``"3"`` or ``True``
        for ``patience``, a non-bool ``restore_best_weights``).
    ValueError
        If ``patience`` is negative, ``min_delta`` or ``baseline`` not finite, or
        ``mode`` unknown; during training, if ``monitor`` is not among the logged values
        (Keras only warns, and then never stops).
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto",
                 restore_best_weights=False, baseline=None):
        self.mode = _monitor_mode(monitor, mode)
        self.monitor = monitor
        self.min_delta = abs(check_real(min_delta, "min_delta"))
        self.patience = _checks.check_count(patience, "patience", minimum=0)
        self.restore_best_weights = _checks.check_flag(restore_best_weights,
                                                       "restore_best_weights")
        self.baseline = None if baseline is None else check_real(baseline, "baseline")

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        epoch = _checked_epoch(epoch, "EarlyStopping")
        logs = _checked_logs(logs, "EarlyStopping")
        current = logs.get(self.monitor)
        if current is None:
            raise ValueError(f"EarlyStopping: monitor {self.monitor!r} is not among the "
                             f"logged values {sorted(logs)}")
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if _improved(current, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or _improved(current, self.baseline, self.mode,
                                                  self.min_delta):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                self.model.set_weights(self.best_weights)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        _checked_epoch(batch, "TerminateOnNaN", "batch")
        loss = _checked_logs(logs, "TerminateOnNaN").get("loss")
        if loss is not None and not math.isfinite(loss):
            self.model.stop_training = True


class ModelCheckpoint(Callback):
    """Save the model (or its weights) after each epoch, or only when ``monitor`` improved.

    Parameters
    ----------
    filepath : str or path
        May hold ``{epoch}`` and log names, e.g. ``"model-{epoch:02d}-{val_loss:.2f}.npz"``
        (epochs counted from 1 as in Keras).
    monitor : str, default "val_loss"
    save_best_only : bool
    save_weights_only : bool
    mode : {"auto", "min", "max"}

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
        try:
            self.filepath = os.fspath(filepath)
        except TypeError:
            raise TypeError(f"filepath must be a str or path-like; got "
                            f"{type(filepath).__name__}") from None
        if not isinstance(self.filepath, str):
            raise TypeError(f"filepath must be a str or path-like; got {filepath!r}")
        if not self.filepath:
            raise ValueError("filepath must not be empty")
        self.mode = _monitor_mode(monitor, mode)
        self.monitor = monitor
        self.save_best_only = _checks.check_flag(save_best_only, "save_best_only")
        self.save_weights_only = _checks.check_flag(save_weights_only, "save_weights_only")
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        epoch = _checked_epoch(epoch, "ModelCheckpoint")
        logs = _checked_logs(logs, "ModelCheckpoint")
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                raise ValueError(f"ModelCheckpoint: monitor {self.monitor!r} is not among "
                                 f"the logged values {sorted(logs)}")
            if not np.isfinite(current):
                return
            if not _improved(current, self.best, self.mode, 0.0):
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


class ProgressBar(Callback):
    """A tqdm progress bar per epoch with the running loss and accuracy (``verbose=1``)."""

    def on_epoch_begin(self, epoch, logs=None):
        from tqdm.auto import tqdm

        params = getattr(self, "params", None) or {}
        self.bar = tqdm(total=params.get("steps"),
                        desc=f"Epoch {epoch + 1}/{params.get('epochs')}",
                        unit="batch", leave=True, mininterval=0.2)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1)
        if self.bar.n == self.bar.total or batch % 10 == 0:
            self.bar.set_postfix({key: f"{value:.4f}" for key, value in logs.items()},
                                 refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        self.bar.set_postfix({key: f"{value:.4f}" for key, value in logs.items()},
                             refresh=False)
        self.bar.close()
