"""The Keras-like :class:`Sequential` model: compile, fit, evaluate, predict, save.

One training step is the chain rule spelled out::

    forward through every layer (training=True)
    loss = loss_fn(y, output) + sum of the layers' regularization penalties
    backward from the loss gradient, last layer first (the first layer skips its input
        gradient); a softmax output with a categorical cross-entropy takes the fused
        gradient (p - y) / batch with respect to its logits
    optimizer.apply(grads, params)      # all parameters, keyed "layer_name/param"
"""

import io
import json
import math
import os
import re
import tempfile
import zipfile

import numpy as np

from .._jit import require_cuda
from .._validate import check_allocation, check_choice, check_real
from . import _checks, _data, _summary
from . import activations as _activations
from . import backend as _backends
from . import layers as _layers
from . import losses as _losses
from . import optimizers as _optimizers
from .callbacks import CallbackList
from .layers import Input

__all__ = ["Input", "Sequential", "load_model"]


def _metrics():
    """The :mod:`sigconv.nn.metrics` module (imported when a model first needs it)."""
    from . import metrics

    return metrics


class _Trackers:
    """The running loss (a mean weighted by batch size, as Keras's loss tracker) and the
    compiled metrics, resolved from the first batch's shapes. Weighted metrics whose name
    is also a plain metric's are logged as ``weighted_<name>``, as in Keras."""

    def __init__(self, model, y, output):
        def resolved(specs):
            return [_metrics().resolve(spec, np.shape(y), np.shape(output), model.loss)
                    for spec in specs]

        self.plain = resolved(model.metrics)
        self.weighted = resolved(model.weighted_metrics)
        taken = {metric.name for metric in self.plain}
        self.names = [metric.name for metric in self.plain] + [
            f"weighted_{metric.name}" if metric.name in taken else metric.name
            for metric in self.weighted]
        self.reset()

    def reset(self):
        self.loss_sum, self.samples = 0.0, 0
        for metric in (*self.plain, *self.weighted):
            metric.reset_state()

    def update(self, loss, y, output, sample_weight, n):
        self.loss_sum += loss * n
        self.samples += n
        # the model checked y (and the weights) once for all batches: sigconv's metrics
        # skip their per-batch checks; a user's metric gets update_state
        for metric in self.plain:
            getattr(metric, "_model_update_state", metric.update_state)(y, output)
        for metric in self.weighted:
            getattr(metric, "_model_update_state", metric.update_state)(
                y, output, sample_weight=sample_weight)
        return self.logs()

    def logs(self):
        logs = {"loss": float(self.loss_sum / self.samples) if self.samples else 0.0}
        for name, metric in zip(self.names, (*self.plain, *self.weighted), strict=True):
            logs[name] = float(metric.result())
        return logs


class _batches:
    """The ``(start, stop)`` of each batch, computed as iterated (a list of them for a
    broadcast view of 10**9 samples would not fit in memory)."""

    def __init__(self, n, batch_size):
        self.n, self.batch_size = n, batch_size

    def __len__(self):
        return -(-self.n // self.batch_size)

    def __iter__(self):
        return ((start, min(self.n, start + self.batch_size))
                for start in range(0, self.n, self.batch_size))


def _as_batch_size(batch_size, default=32, name="batch_size"):
    if batch_size is None:
        return default
    return _checks.check_count(batch_size, name)


def _as_steps(steps, name):
    """None, or a number of batches >= 1."""
    return None if steps is None else _checks.check_count(steps, name)


def _as_validation_freq(freq):
    """Keras's ``validation_freq``: an int >= 1, or a list of epochs (counted from 1)."""
    if isinstance(freq, (list, tuple)):
        return [_checks.check_count(epoch, "validation_freq") for epoch in freq]
    return _checks.check_count(freq, "validation_freq")


def _should_validate(epoch, freq):
    """Whether the epoch (counted from 0) is validated (Keras's ``_should_eval``)."""
    if isinstance(freq, list):
        return epoch + 1 in freq
    return (epoch + 1) % freq == 0


def _as_verbose(verbose):
    """Keras's ``verbose``: 0, 1, 2 or ``"auto"`` (1)."""
    if verbose == "auto" and isinstance(verbose, str):
        return 1
    if isinstance(verbose, (bool, np.bool_)) or not isinstance(verbose, (int, np.integer)) \
            or verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto'; got {verbose!r}")
    return int(verbose)


def _as_callbacks(callbacks):
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"callbacks must be a list of Callback instances; got "
                        f"{type(callbacks).__name__}")
    return list(callbacks)


class Sequential:
    """A stack of layers trained by backpropagation, with Keras's API.

    Parameters
    ----------
    layers : list of Layer, optional
        May start with an :class:`Input`.
    name : str, optional
    device : {"cpu", "cuda"}, optional
        Where the weights live and the passes run (see :meth:`to`).

    Raises
    ------
    TypeError
        If ``layers`` is not a list of layers or ``name`` not a string.
    ValueError
        If ``device`` is not ``"cpu"`` or ``"cuda"``, or two layers share a name.
    sigconv.CUDAUnavailableError
        If ``device="cuda"`` and numba finds no GPU (a RuntimeError and a ValueError
        naming ``device``).
    NotImplementedError
        If ``device="cuda"`` and a layer has no GPU path yet.

    Notes
    -----
    Every call checks its data before any work, as Keras does and somewhat more: ``x``
    must have samples of the model's input shape (declared with ``Input`` or
    ``input_shape=``, else fixed by the first batch), so a batch of another shape is
    refused even when its size would fit the first ``Dense`` layer; ``x`` and ``y`` must
    be real numbers, non-empty and finite (Keras computes with NaN and inf; sigconv
    refuses them with a ValueError naming ``x`` or ``y``); ``y`` must have one target per
    sample, of a shape the loss can compare with the output. A diverging network still
    shows as inf/NaN losses in the logs, as in Keras (see
    :class:`~sigconv.nn.TerminateOnNaN`). The memory of the predictions and of one
    batch's activations is checked before the first pass (MemoryError naming ``x`` or
    ``x, batch_size``).

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv import nn
    >>> model = nn.Sequential([nn.Input((8, 8, 1)), nn.Conv2D(4, 3, activation="relu"),
    ...                        nn.MaxPooling2D(), nn.Flatten(),
    ...                        nn.Dense(10, activation="softmax")])
    >>> model.compile(optimizer=nn.SGD(0.1), loss="categorical_crossentropy",
    ...               metrics=["accuracy"])
    >>> x = np.random.default_rng(0).standard_normal((64, 8, 8, 1))
    >>> y = nn.utils.to_categorical(np.arange(64) % 10)
    >>> history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, seed=0)
    >>> sorted(history.history), len(history.history["loss"])
    (['accuracy', 'loss'], 3)
    >>> model.predict(x[:2]).shape
    (2, 10)
    """

    def __init__(self, layers=None, name=None, device="cpu"):
        self.name = _checks.check_name(name, "Sequential: name") or "sequential"
        check_choice(device, f"{self.name}: device", ("cpu", "cuda"))
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise TypeError(f"{self.name}: layers must be a list of layers; got "
                            f"{type(layers).__name__}")
        self.device = "cpu"
        self.layers = []
        self.built = False
        self._sample_shape = None
        self.optimizer = self.loss = None
        self.metrics = []
        self.stop_training = False
        self.history = None
        for layer in layers or []:
            self.add(layer)
        if device != "cpu":
            self.to(device)

    def to(self, device):
        """Move every layer's weights (and the training passes) to ``"cuda"`` or ``"cpu"``.

        On the GPU the weights, gradients and optimizer slots stay on the device during
        :meth:`fit`, through the backend of the device (:mod:`sigconv.nn.backend`). With
        a categorical cross-entropy (on logits or a softmax output), a mean squared error
        or a binary cross-entropy (mean reductions, no sample weights) the loss, its
        gradient and the weight penalties are computed on the device too: each batch goes
        over and one scalar, the batch's loss, comes back (and the output, where metrics
        need it). Other losses take the output to the host. :meth:`get_weights` and
        :meth:`predict` return NumPy arrays. Returns the model.

        Raises
        ------
        ValueError
            If ``device`` is not ``"cpu"`` or ``"cuda"``.
        sigconv.CUDAUnavailableError
            If ``device="cuda"`` and numba finds no GPU (a RuntimeError and a ValueError
            naming ``device``); nothing is moved.
        NotImplementedError
            If ``device="cuda"`` and a layer has no GPU path yet; nothing is moved.
        """
        check_choice(device, f"{self.name}: device", ("cpu", "cuda"))
        if device == "cuda":       # every check before any layer moves
            require_cuda()
            for layer in self.layers:
                layer._check_device(device)
        for layer in self.layers:
            layer.to(device)
        self.device = device
        if self.built:
            self._collect_parameters()
        return self

    def __repr__(self):
        return f"<Sequential {self.name!r}: {len(self.layers)} layers>"

    # --- assembling ----------------------------------------------------------------
    def add(self, layer):
        """Append a layer (or, first, an :class:`Input`)."""
        if isinstance(layer, Input):
            if self.layers or self._sample_shape is not None:
                raise ValueError(f"{self.name}: an Input can only come first")
            self._sample_shape = layer.shape
            return
        if not isinstance(layer, _layers.Layer):
            raise TypeError(f"{self.name}: add expects a sigconv.nn Layer or Input; got "
                            f"{type(layer).__name__}")
        if any(other.name == layer.name for other in self.layers):
            raise ValueError(f"{self.name}: two layers named {layer.name!r}; names must be "
                             "unique in a model")
        if self.device != "cpu":
            layer.to(self.device)
        self.layers.append(layer)
        self.built = False

    @property
    def input_shape(self):
        """Shape of the model's input, batch axis as None (None if not known yet)."""
        if self._sample_shape is not None:
            return (None, *self._sample_shape)
        if self.layers:
            first = self.layers[0]
            return first.input_shape if first.built else first.declared_input_shape
        return None

    def build(self, input_shape=None, seed=None):
        """Create every layer's weights for inputs of ``input_shape`` (batch axis first,
        may be None), drawn from a generator seeded with ``seed`` (else the shared one of
        :func:`sigconv.nn.set_random_seed`). Layers that are already built keep theirs."""
        if not self.layers:
            raise ValueError(f"{self.name}: the model has no layers")
        shape = (_checks.check_shape(input_shape, f"{self.name}: input_shape", allow_none=True)
                 if input_shape is not None else self.input_shape)
        seed = _checks.check_seed(seed)
        if shape is None:
            raise ValueError(f"{self.name}: unknown input shape; give input_shape to the "
                             "first layer, start with nn.Input(shape), or call fit/predict")
        rng = (np.random.default_rng(seed) if seed is not None
               else _layers._random["generator"])
        self._output_shapes = []
        self._memory_memo = {}
        for layer in self.layers:
            if not layer.built:
                layer.build(shape, rng=rng)
            else:   # built elsewhere: its weights must fit what the previous layer gives
                layer._check_rank(len(shape))
                layer._check_input(shape)
            shape = layer.compute_output_shape(shape)
            self._output_shapes.append(shape)
        self._collect_parameters()
        self.built = True

    def _collect_parameters(self):
        self.params = {f"{layer.name}/{key}": value for layer in self.layers
                       for key, value in layer.params.items()}
        self.grads = {f"{layer.name}/{key}": value for layer in self.layers
                      for key, value in layer.grads.items()}

    def _ensure_built(self, x=None, seed=None):
        if not self.built:
            shape = None if self.input_shape is not None or x is None else (None, *x.shape[1:])
            self.build(shape, seed=seed)

    # --- compile -------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, weighted_metrics=None):
        """Choose the optimizer, the loss and the metrics.

        Parameters
        ----------
        optimizer : str or Optimizer
        loss : str or Loss
        metrics : list, optional
            Metrics reported in the logs, each a name (``"accuracy"``, ``"mse"``, ...), a
            :mod:`sigconv.nn.metrics` class or instance. ``"accuracy"`` (or ``"acc"``) is
            resolved from the shapes of the targets and outputs as Keras does (see
            :func:`sigconv.nn.metrics.resolve`). They ignore ``sample_weight``.
        weighted_metrics : list, optional
            Metrics weighted by ``sample_weight`` (and ``class_weight``).

        Raises
        ------
        ValueError
            If ``loss`` is missing, or a metric name is unknown.
        TypeError
            If ``metrics`` or ``weighted_metrics`` is not a list, or an entry is not a
            metric.
        """
        if loss is None:
            raise ValueError(f"{self.name}: compile needs a loss")
        optimizer = _optimizers.get_optimizer(optimizer)
        loss = _losses.get_loss(loss)
        specs = []
        for name, given in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if given is not None and not isinstance(given, (list, tuple)):
                raise TypeError(f"{self.name}: {name} must be a list such as ['accuracy']; "
                                f"got {given!r}")
            for metric in given or []:
                _metrics().get(metric)          # refuses what is not a metric, now
            specs.append(list(given or []))
        self.optimizer, self.loss = optimizer, loss
        self.metrics, self.weighted_metrics = specs
        self._trackers = None          # resolved from the first batch's shapes

    def _check_compiled(self):
        if self.loss is None:
            raise RuntimeError(f"{self.name}: call compile(optimizer, loss) first")

    # --- the passes --------------------------------------------------------------------
    def _forward(self, x, training):
        # the public call checked all of x once (real, finite, samples of the input shape,
        # within the first layer's dtype) and the memory of a batch's pass, so the first
        # layer only casts a NumPy batch on the CPU (on the GPU it checks and moves it);
        # the others take outputs of the layer before, whose shapes the model checked when
        # it built
        first = self.layers[0]
        if first.device == "cpu" and type(x) is np.ndarray:
            x = first._forward_unchecked(x, training)
        else:
            x = first._forward_checked(x, training)
        for layer in self.layers[1:]:
            x = layer._forward(x, training)
        return x

    def _output_on_host(self, x, training):
        output = self._forward(x, training)
        return _backends.of(output).to_host(output)

    def _fused(self):
        last = self.layers[-1]
        return (getattr(last, "activation", None) is _activations.softmax
                and hasattr(last, "_backward_linear")
                and hasattr(self.loss, "gradient_from_softmax")
                and not getattr(self.loss, "from_logits", False))

    def _loss_value(self, y, output, weights, checked):
        """The batch's loss as fit and evaluate log it. A softmax output's categorical
        cross-entropy is computed as TensorFlow's Keras computes it, from the logits: the
        log of the unclipped probabilities (floored at the dtype's smallest normal number)
        are logits of the same softmax, so a probability below the 1e-7 clip counts in
        full (up to ``-log(tiny)``, 87 in float32) instead of ``-log(1e-7)``."""
        loss = self.loss
        if type(output) is np.ndarray and output.dtype.kind == "f" and (
                self._fused() or self._softmax_layer_last()):
            twin = self.__dict__.get("_logits_twin")
            if twin is None or twin[0] is not loss:
                twin = self._logits_twin = (loss, type(loss).from_config(
                    {**loss.get_config(), "from_logits": True}))
            logits = np.log(np.maximum(output, np.finfo(output.dtype).tiny))
            loss = twin[1]
            output = logits
        return (loss._model_value(y, output, **weights) if checked
                else _logged(loss(y, output, **weights)))

    def _softmax_layer_last(self):
        """Whether the model ends in a ``Softmax`` (last axis) or ``Activation("softmax")``
        layer feeding a categorical cross-entropy on probabilities: its gradient is taken
        with respect to the logits, as with a Dense layer's softmax (CPU)."""
        last = self.layers[-1]
        softmax = (isinstance(last, _layers.Softmax) and last.axis in (-1, len(
            self._output_shapes[-1]) - 1)) or (isinstance(last, _layers.Activation)
                                               and last.activation is _activations.softmax)
        return (softmax and last.device == "cpu"
                and hasattr(self.loss, "gradient_from_softmax")
                and not getattr(self.loss, "from_logits", False))

    def regularization_loss(self):
        """Sum of every layer's regularization penalty: its weights', and its output's
        (``activity_regularizer``) of the latest forward pass."""
        return sum(layer.regularization_loss() for layer in self.layers
                   if layer.regularizers or layer.activity_regularizer is not None)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One gradient step on a batch; returns the batch's loss and metrics.

        As Keras 3, the metrics are reset first: the values are this batch's alone.

        Returns
        -------
        float, list or dict
            ``loss`` (penalties included) without metrics, ``[loss, *metrics]`` with them,
            or a dict with ``return_dict=True``.

        Raises
        ------
        TypeError, ValueError, MemoryError
            As :meth:`fit` for ``x``, ``y``, ``sample_weight`` and ``class_weight``.
        RuntimeError
            If the model has not been compiled (call :meth:`compile` first), as in Keras.
        """
        self._check_compiled()
        return_dict = _checks.check_flag(return_dict, "return_dict")
        x, y = self._check_xy(x, y)
        sample_weight = self._sample_weights(y, sample_weight, class_weight, len(x))
        self._check_batch_memory(x, len(x), "x")
        self.reset_metrics()
        loss, output = self._train_step(x, y, sample_weight)
        logs = self._update_metrics(loss, y, output, sample_weight, len(x))
        return self._returned(logs, return_dict)

    def _returned(self, logs, return_dict):
        if return_dict:
            return logs
        return list(logs.values()) if len(logs) > 1 else logs["loss"]

    def _sample_weights(self, y, sample_weight, class_weight, n, name="sample_weight"):
        """The checked per-sample weights (None when neither is given); ``class_weight``
        becomes per-sample weights by the labels of ``y``, as in Keras."""
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError(f"{self.name}: sample_weight and class_weight cannot be "
                                 "given together (as in Keras)")
            return _losses.class_weight_to_sample_weight(class_weight, y)
        if sample_weight is None:
            return None
        output = self._output_shapes[-1][1:]
        return _losses._check_sample_weight(sample_weight, n,
                                            None if None in output else output)

    def _train_step(self, x, y, sample_weight=None):
        """Forward, loss, backward and update; ``(loss, output on the host or None)`` (the
        output only when metrics need it)."""
        # divergence shows as NaN loss
        with np.errstate(over="ignore", invalid="ignore"), _losses._model_pass():
            return self._train_step_unguarded(x, y, sample_weight)

    def _train_step_unguarded(self, x, y, sample_weight):
        device_loss = self._loss_on_device() if self.device == "cuda" else None
        if device_loss is not None and sample_weight is not None:
            if device_loss[0] == "crossentropy":
                raise NotImplementedError(f"{self.name}: sample_weight and class_weight are "
                                          "not supported on the GPU yet")
            device_loss = None         # the weighted loss is taken on the host
        if device_loss is not None:
            return self._train_step_on_device(x, y, device_loss)
        output = self._output_on_host(x, training=True)
        checked = self._checked_loss(x, y, output)
        weights = {} if sample_weight is None else {"sample_weight": sample_weight}
        loss = self._loss_value(y, output, weights, checked) + self.regularization_loss()
        last = self.layers[-1]
        # the layers' internal backward: the gradients are the model's own, of the shapes
        # of the last outputs (a layer of the user's returning anything else is checked)
        below = len(self.layers) - 2          # the layer under the last one
        if self._fused() or self._softmax_layer_last():
            # the cross-entropy's gradient with respect to the softmax's logits, (p - y)/n,
            # as TensorFlow's Keras takes it (also where p is clipped at 1e-7)
            grad = (self.loss._model_gradient_from_softmax(y, output, **weights) if checked
                    else self.loss.gradient_from_softmax(y, output, **weights))
            if self._fused():
                grad = last._backward_unchecked(grad, below >= 0, preactivation=True)
            # a Softmax or Activation("softmax") layer: its input is the logits, and the
            # gradient goes to the layer under it
        else:
            grad = (self.loss._model_gradient(y, output, **weights) if checked
                    else self.loss.gradient(y, output, **weights))
            grad = last._backward_unchecked(grad, below >= 0)
        for k in range(below, -1, -1):
            grad = self.layers[k]._backward_unchecked(grad, k > 0)
        self.optimizer.apply(self.grads, self.params)
        return loss, output

    # --- metrics --------------------------------------------------------------------------
    def reset_metrics(self):
        """Reset the loss's running mean and every compiled metric (as Keras)."""
        if self._trackers is not None:
            self._trackers.reset()

    def _update_metrics(self, loss, y, output, sample_weight, n):
        """Add a batch to the running loss and metrics; the logs so far."""
        if self._trackers is None:
            self._trackers = _Trackers(self, y, output)
        return self._trackers.update(loss, y, output, sample_weight, n)

    def _checked_loss(self, x, y, output):
        """Whether the loss may skip its checks of the batch: one of sigconv's losses
        (exactly), whose targets the public call checked for all of ``y`` (with a NumPy
        ``x``; shape and labels: :meth:`_check_targets` needs the output's shape for
        that), with the model's floating output on the host."""
        return (type(self.loss) in _LOSS_TYPES and type(x) is np.ndarray
                and type(y) is np.ndarray
                and type(output) is np.ndarray and output.dtype.kind == "f"
                and None not in self._output_shapes[-1][1:])

    def _loss_on_device(self):
        """How the loss runs on the GPU, ``(backend function, its arguments, whether its
        gradient is the softmax's logits')``, or None where it runs on the host: a
        categorical cross-entropy on logits or on a softmax output (the fused gradient),
        and sigconv's own mean squared error and binary cross-entropy, each with a mean
        reduction (the default)."""
        loss = self.loss
        if not getattr(loss, "_mean_reduction", False):
            return None
        sparse = isinstance(loss, _losses.SparseCategoricalCrossentropy)
        if sparse or isinstance(loss, _losses.CategoricalCrossentropy):
            if loss.from_logits:
                return "crossentropy", (sparse, True), False
            return ("crossentropy", (sparse, False), True) if self._fused() else None
        if type(loss) is _losses.MeanSquaredError:
            return "squared_error", (), False
        if type(loss) is _losses.BinaryCrossentropy:
            return "binary_crossentropy", (loss.from_logits,), False
        return None

    def _train_step_on_device(self, x, y, device_loss):
        """The training step with the loss, its gradient and the penalties on the GPU: the
        batch goes in (``x`` and ``y``, where they are NumPy arrays) and one scalar comes
        back, the batch's loss with the penalties (and, for metrics, the output)."""
        backend = _backends.cuda
        name, arguments, preactivation = device_loss
        output = self._forward(x, training=True)
        sparse = name == "crossentropy" and arguments[0]
        targets = self._targets_on_device(y, output, sparse)
        losses, grad = getattr(backend, name)(output, targets, *arguments)
        total = backend.zeros((1,), np.float64)
        backend.add_mean(losses, total)
        for layer in self.layers:
            if layer.regularizers:
                layer._add_penalties(total)
        last = self.layers[-1]
        first_needs = len(self.layers) > 1
        grad = (last.backward_preactivation(grad, input_grad=first_needs) if preactivation
                else last.backward(grad, input_grad=first_needs))
        for k in range(len(self.layers) - 2, -1, -1):
            grad = self.layers[k].backward(grad, input_grad=k > 0)
        self.optimizer.apply(self.grads, self.params)
        loss = float(backend.to_host(total)[0])
        return loss, (backend.to_host(output) if self._needs_output() else None)

    def _targets_on_device(self, y, output, sparse):
        """The targets of a device step on the device, of the output's dtype: class labels
        (checked in range on the host) or one target per output entry."""
        shape = tuple(output.shape)
        n_classes = shape[-1]
        if _checks.on_device(y):      # already there: its shape is checked, not its labels
            if sparse and y.size != shape[0] or not sparse and y.size != output.size:
                raise ValueError(f"y_true does not fit y_pred of shape {shape}; got shape "
                                 f"{tuple(y.shape)}")
            return _backends.cuda.asarray(y, output.dtype)
        targets = np.asarray(y)
        if sparse:
            targets = targets.reshape(len(targets), 1)
            if targets.min() < 0 or targets.max() >= n_classes:
                raise ValueError(f"y_true must hold class labels in [0, {n_classes})")
        elif targets.shape != shape:
            if targets.size != output.size or targets.shape[0] != shape[0]:
                raise ValueError(f"y_true must have the shape of y_pred {shape}; got "
                                 f"{targets.shape}")
            targets = targets.reshape(shape)
        return _backends.cuda.asarray(targets, output.dtype)

    def _needs_output(self):
        return bool(self.metrics or self.weighted_metrics)

    def _check_xy(self, x, y, name="x", target_name="y", expect_y=True, seed=None):
        """``x`` (and ``y``) checked against the model: real, finite, with samples of the
        model's input shape (declared, or fixed when it was built), ``y`` one target per
        sample of the shape the loss needs. Builds the model from ``x`` if needed."""
        if _checks.on_device(x):   # the GPU path checks its inputs in the first layer
            return x, y
        if type(x) is not np.ndarray or x.dtype.kind not in "biuf":   # else one already
            x = _checks.check_real_array(x, f"{self.name}: {name}")
        if x.ndim < 2:
            raise ValueError(f"{self.name}: {name} must have a batch axis first and at "
                             f"least one axis per sample; got shape {x.shape}")
        if len(x) == 0 or x.size == 0:
            raise ValueError(f"{self.name}: {name} has no samples (or empty samples); got "
                             f"shape {x.shape}")
        sample = self._sample_shape
        if sample is None and self.layers:
            first = self.layers[0]
            expected = first.input_shape if first.built else first.declared_input_shape
            sample = None if expected is None else tuple(expected[1:])
        if sample is not None and x.shape[1:] != sample and (
                len(sample) != x.ndim - 1 or any(e is not None and e != n for e, n in
                                                 zip(sample, x.shape[1:], strict=True))):
            raise ValueError(f"{self.name}: {name} must have samples of shape {sample} "
                             f"(the model's input shape is {self.input_shape}); got {name} "
                             f"of shape {x.shape}")
        # finite, and within the first layer's dtype: the batches are cast without a check
        _checks.check_finite(x, name, self.layers[0].dtype if self.layers else None,
                             owner=self.name)
        if expect_y:
            if type(y) is not np.ndarray or y.dtype.kind not in "biuf":
                y = _checks.check_real_array(y, f"{self.name}: {target_name}")
            if y.ndim == 0 or len(y) != len(x):
                raise ValueError(f"{self.name}: {name} has {len(x)} samples but "
                                 f"{target_name} has {len(y) if y.ndim else 'none'} (shape "
                                 f"{y.shape})")
            _checks.check_finite(y, target_name, owner=self.name)
        self._ensure_built(x, seed=seed)
        if expect_y:
            self._check_targets(y, target_name)
        return x, y

    def _check_targets(self, y, name):
        """ValueError if ``y`` cannot be the targets of the model's output for its loss
        (sigconv's losses; a user's own loss checks its targets itself)."""
        output = tuple(self._output_shapes[-1][1:])
        if None in output or not isinstance(self.loss, _losses.Loss):
            return
        sample = y.shape[1:]
        sparse = isinstance(self.loss, _losses.SparseCategoricalCrossentropy)
        if not sparse and sample == output:       # the common case
            return
        if sparse:
            allowed = (output[:-1], output[:-1] + (1,))
        else:
            allowed = (output, output + (1,)) + ((output[:-1],) if output[-1:] == (1,) else ())
        if sample not in allowed:
            wanted = (f"{output[:-1]} (one class label per output row)" if sparse
                      else f"{output}")
            raise ValueError(f"{self.name}: {name} must have samples of shape {wanted} for "
                             f"the model's output of shape {(None, *output)} and the loss "
                             f"{self.loss.name!r}; got {name} of shape {y.shape}")
        if sparse:
            classes = output[-1]
            y = _checks._distinct(y)      # a broadcast view's distinct labels suffice
            if y.dtype.kind == "f":
                check_allocation(f"{self.name}: {name}", y.shape, y.dtype,
                                 what="the rounded labels")
            if y.dtype.kind == "b" or (y.dtype.kind == "f" and not np.array_equal(
                    y, np.floor(y))):
                raise ValueError(f"{self.name}: {name} must hold integer class labels for "
                                 f"the loss {self.loss.name!r}; got dtype {y.dtype}")
            if y.min() < 0 or y.max() >= classes:
                raise ValueError(f"{self.name}: {name} must hold class labels in [0, "
                                 f"{classes}) for the model's {classes} outputs; got labels "
                                 f"from {y.min()} to {y.max()}")

    def _check_batch_memory(self, x, batch, name, loss=True, predictions=False):
        """MemoryError, before the first pass, if a batch of ``batch`` samples of the
        checked ``x`` could not fit in memory: its copy (a shuffled batch) and its cast to
        the first layer's dtype, the activations and what backward keeps, and (``loss``)
        the loss's temporaries of the output's size; with ``predictions``, together with
        the output for all of ``x``. The passes check no memory of their own inside a
        model: this bounds every one of them.

        One comparison with the memory limit; the messages are made only to raise."""
        key = (x.shape[1:], batch, x.dtype, loss, _layers._dtype_changes[0])
        memo = self.__dict__.setdefault("_memory_memo", {})
        plan = memo.get(key)
        if plan is None:
            if len(memo) > 64:
                memo.clear()
            plan = memo[key] = self._batch_memory_plan(x, batch, loss)
        total, dtype, output, per_sample = plan
        predicted = len(x) * per_sample if predictions else 0
        if _checks.fits_in_memory(total * dtype.itemsize + predicted):
            return
        if predicted:
            check_allocation(f"{self.name}: x", (len(x), *output[1:]), self.layers[-1].dtype,
                             what="the predictions")
        what = (f"the activations of a batch of {batch} samples through "
                f"{len(self.layers)} layers")
        check_allocation(f"{self.name}: {name}", (total,), dtype, what=what)
        check_allocation(f"{self.name}: {name}", (total + -(-predicted // dtype.itemsize),),
                         dtype, what=what + " with the predictions for all of x")

    def _batch_memory_plan(self, x, batch, loss):
        """``(elements, dtype, output shape, bytes of one sample's output)`` of
        :meth:`_check_batch_memory`."""
        dtypes = [layer.dtype for layer in self.layers]
        shape = (None, *tuple(x.shape)[1:])
        total = 0
        for layer in self.layers:
            total += layer._memory_elements(shape, batch)
            shape = layer._output_shape_of(shape)
        if loss:
            total += (_losses._TEMPORARIES + 1) * _checks.elements(shape, batch)
        dtype = max(dtypes, key=lambda d: d.itemsize)
        copies = 1 + (np.dtype(x.dtype) != dtypes[0])
        total += -(-copies * batch * math.prod(tuple(x.shape)[1:]) * np.dtype(x.dtype).itemsize
                   // dtype.itemsize)
        per_sample = 0 if None in shape[1:] else math.prod(shape[1:]) * dtypes[-1].itemsize
        return total, dtype, shape, per_sample

    # --- fit / evaluate / predict --------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None,
            validation_steps=None, validation_batch_size=None, validation_freq=1,
            seed=None):
        """Train for ``epochs`` passes over the data in mini-batches (Keras's ``fit``).

        Parameters
        ----------
        x : array_like, or a source of batches
            Samples (batch axis first); or a ``PyDataset``-like object (``len()`` and
            batches by index, its ``on_epoch_end`` called after each pass) or any iterable
            (a generator, a list) of batches ``(x, y)`` or ``(x, y, sample_weight)``: data
            larger than memory can be streamed (from ``numpy.memmap`` or ``.npy`` files).
        y : array_like, optional
            Targets of array ``x`` (one-hot for categorical losses, class indices for
            sparse ones); None when ``x`` yields batches.
        batch_size : int, default 32
            Samples per batch of array data (batches of other sources are theirs).
        epochs : int, default 1
            The epoch to stop at (counted from 0, so with ``initial_epoch`` it is the last
            epoch's number plus one, as in Keras).
        verbose : {0, 1, 2, "auto"}
            0 silent, 1 (``"auto"``) a progress bar per epoch (tqdm), 2 one line per epoch.
        callbacks : list of Callback, optional
        validation_split : float in [0, 1)
            Hold out this fraction of array data, the *last* samples before shuffling (as
            Keras), for ``val_loss`` and the ``val_`` metrics.
        validation_data : tuple or source of batches, optional
            ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)`` arrays, or a source
            of batches as ``x``. Takes precedence over ``validation_split``.
        shuffle : bool
            Shuffle array samples before each pass (and the order of a ``PyDataset``'s
            batches); ignored for iterables, as in Keras.
        class_weight : dict, optional
            Weight of each class's samples in the loss (and the weighted metrics), by the
            labels of ``y`` (the argmax of one-hot targets), as in Keras.
        sample_weight : array_like, optional
            One weight per sample of array ``x`` (not with ``class_weight``). The loss is
            ``sum(w * loss) / batch``, Keras's ``"sum_over_batch_size"``.
        initial_epoch : int, default 0
            The epoch to start from (to resume an earlier run).
        steps_per_epoch : int, optional
            Batches per epoch; the data's iterator then continues across epochs (and starts
            over when it runs out), as in Keras.
        validation_steps, validation_batch_size : int, optional
            Batches per validation, and their size for array data (default
            ``batch_size``).
        validation_freq : int or list of int, default 1
            Validate every ``validation_freq`` epochs, or after the epochs listed (counted
            from 1), as in Keras.
        seed : int, optional
            Seeds the weights of layers not built yet, the shuffles and the dropout masks:
            equal seeds give equal results (a sigconv addition).

        Returns
        -------
        History
            ``history.history`` maps ``"loss"``, each metric and their ``"val_"`` twins to
            per-epoch values.

        Raises
        ------
        TypeError
            If ``x`` or ``y`` is not real numbers (object, str, complex, ragged), or an
            argument has the wrong type (``True`` or ``"3"`` for a count, a non-bool
            ``shuffle``, a single callback instead of a list).
        ValueError
            If an argument is out of range; if ``x`` has no samples, samples of another
            shape than the model's input shape (declared, or fixed when it was built: a
            batch of another shape is refused even when its size would fit the first
            ``Dense`` layer), NaN or inf (a divergence from Keras, which computes with
            them); if ``y`` has another number of samples, NaN or inf, a shape the loss
            cannot compare with the output, or (sparse losses) labels outside
            ``[0, classes)``; if ``y``, ``sample_weight`` or ``validation_split`` is given
            with a source of batches. A batch from a source is checked as ``x`` is.
        MemoryError
            If the activations of one batch could not fit in memory (checked before the
            first pass; the message names ``x, batch_size``).
        RuntimeError
            If the model has not been compiled (call :meth:`compile` first), as in Keras.
        """
        self._check_compiled()
        batch_size = _as_batch_size(batch_size)
        epochs = _checks.check_count(epochs, "epochs", minimum=0)
        initial_epoch = _checks.check_count(initial_epoch, "initial_epoch", minimum=0)
        steps_per_epoch = _as_steps(steps_per_epoch, "steps_per_epoch")
        validation_steps = _as_steps(validation_steps, "validation_steps")
        validation_batch_size = _as_batch_size(validation_batch_size, batch_size,
                                               "validation_batch_size")
        validation_freq = _as_validation_freq(validation_freq)
        verbose = _as_verbose(verbose)
        callbacks = _as_callbacks(callbacks)
        validation_split = check_real(validation_split, "validation_split", 0.0, 1.0,
                                      exclusive_maximum=True)
        shuffle = _checks.check_flag(shuffle, "shuffle")
        seed = _checks.check_seed(seed)
        rng = np.random.default_rng(seed)
        data = self._training_data(x, y, sample_weight, class_weight, batch_size, shuffle,
                                   rng, seed)
        if validation_data is None and validation_split > 0:
            data, validation_data = self._split(data, validation_split)
        if validation_data is not None:
            validation_data = self._validation_data(validation_data, validation_batch_size)
        iterator = _data.EpochIterator(data, steps_per_epoch)
        validation = (None if validation_data is None
                      else _data.EpochIterator(validation_data, validation_steps))
        dropout_generators = self._seed_dropout(rng)

        callback_list = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                     model=self, verbose=verbose, epochs=epochs,
                                     steps=iterator.num_batches,
                                     validation=validation is not None)
        self.stop_training = False
        self._initial_epoch = None
        self._fit_generators = [rng, *(layer._generator for layer in self.layers
                                       if isinstance(layer, _layers.Dropout))]
        epoch_logs = None
        try:
            callback_list.on_train_begin()
            # a callback (BackupAndRestore) may resume a run: Keras's _initial_epoch
            start = initial_epoch if self._initial_epoch is None else self._initial_epoch
            for epoch in range(start, epochs):
                self.reset_metrics()
                callback_list.on_epoch_begin(epoch)
                logs = {}
                for step, batch in iterator.epoch_batches():
                    xb, yb, wb = self._batch(batch, data, class_weight)
                    callback_list.on_train_batch_begin(step)
                    loss, output = self._train_step(xb, yb, wb)
                    logs = self._update_metrics(loss, yb, output, wb, len(xb))
                    callback_list.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                epoch_logs = dict(logs)
                if validation is not None and _should_validate(epoch, validation_freq):
                    values = self._test_loop(validation, callback_list, validation_data)
                    epoch_logs.update({f"val_{key}": value for key, value in values.items()})
                callback_list.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
        finally:
            self._fit_generators = None
            for layer, generator in dropout_generators:
                layer._generator = generator
        finalize = getattr(self.optimizer, "finalize_variable_values", None)
        if finalize is not None and epochs > 0:      # Keras: the EMA weights, if used
            finalize(self.params)
        callback_list.on_train_end(epoch_logs)
        return self.history

    # --- the data of fit, evaluate and predict ---------------------------------------------
    def _training_data(self, x, y, sample_weight, class_weight, batch_size, shuffle, rng,
                       seed=None, name="x", target_name="y", weight_name="sample_weight"):
        """The data of ``fit`` (or ``evaluate``) as a :mod:`._data` source; arrays are
        checked whole, here, and their first batch's memory too."""
        if not _data.is_array_like(x):
            for value, label in ((y, target_name), (sample_weight, weight_name)):
                if value is not None:
                    raise ValueError(f"{self.name}: {label} must be None when {name} yields "
                                     f"batches (give them in its batches); got "
                                     f"{type(value).__name__}")
            if isinstance(x, (str, bytes, dict)) or not hasattr(x, "__iter__") \
                    and not _data.is_sequence(x):
                raise TypeError(f"{self.name}: {name} must be an array, a PyDataset-like "
                                f"object or an iterable of batches; got {type(x).__name__}")
            source = (_data.SequenceData(x, shuffle, rng) if _data.is_sequence(x)
                      else _data.IterableData(x))
            source.checked = False
            return source
        if y is None:
            raise ValueError(f"{self.name}: {target_name} is needed with array {name} (the "
                             "targets of the samples)")
        x, y = self._check_xy(x, y, name=name, target_name=target_name, seed=seed)
        weights = self._sample_weights(y, sample_weight, class_weight, len(x), weight_name)
        self._check_batch_memory(x, min(batch_size, len(x)), f"{name}, batch_size")
        if shuffle:   # x may be a broadcast view: its order is the first array of its length
            check_allocation(f"{self.name}: {name}", (len(x),), np.intp,
                             what="the shuffled order of the samples")
        source = _data.ArrayData(x, y, weights, batch_size, shuffle, rng)
        source.checked = True
        return source

    def _split(self, data, validation_split):
        """Keras's ``validation_split``: the last samples of array data, before shuffling."""
        if not isinstance(data, _data.ArrayData):
            raise ValueError(f"{self.name}: validation_split needs array x (as in Keras); "
                             "give validation_data with a source of batches")
        n = len(data.x)
        # Keras: floor(n * (1 - split)); the epsilon keeps 10 * (1 - 0.9) = 0.99999... at 1
        split = int(math.floor(n * (1 - validation_split) + 1e-9))
        if split in (0, n):
            raise ValueError(f"validation_split={validation_split} leaves no samples for "
                             f"training or validation out of {n}")

        def part(array, index):
            return None if array is None else array[index]

        head, tail = slice(0, split), slice(split, n)
        training = _data.ArrayData(data.x[head], data.y[head], part(data.sample_weight, head),
                                   data.batch_size, data.shuffle, data.rng)
        training.checked = True
        return training, (data.x[tail], data.y[tail], part(data.sample_weight, tail))

    def _validation_data(self, validation_data, batch_size):
        """``validation_data`` as a source of batches (arrays checked here)."""
        if isinstance(validation_data, _data.ArrayData):
            return validation_data
        if isinstance(validation_data, (tuple, list)):
            if len(validation_data) not in (2, 3):
                raise ValueError("validation_data must be (x_val, y_val) or (x_val, y_val, "
                                 "sample_weight_val)")
            x, y, weights = (*validation_data, None)[:3]
            return self._training_data(x, y, weights, None, batch_size, False, None,
                                       name="validation_data[0]",
                                       target_name="validation_data[1]",
                                       weight_name="validation_data[2]")
        return self._training_data(validation_data, None, None, None, batch_size, False,
                                   None, name="validation_data")

    def _batch(self, batch, data, class_weight=None, name="x"):
        """One batch ``(x, y, sample_weight)``; checked here when its source is not
        arrays checked whole."""
        if data.checked:
            return batch
        x, y, weights = batch
        x, y = self._check_xy(x, y, name=f"{name}'s batch", target_name=f"{name}'s batch y")
        self._check_batch_memory(x, len(x), f"{name}'s batch")
        weights = self._sample_weights(y, weights, class_weight, len(x),
                                       f"{name}'s batch sample_weight")
        return x, y, weights

    def _seed_dropout(self, rng):
        """Give seedless dropout layers a generator drawn from ``rng`` for this fit; return
        what to put back."""
        saved = []
        for layer in self.layers:
            if isinstance(layer, _layers.Dropout) and layer.seed is None:
                saved.append((layer, layer._generator))
                layer._generator = np.random.default_rng(rng.integers(2**63))
        return saved

    def evaluate(self, x=None, y=None, batch_size=None, verbose=0, sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss (penalties included) and metrics on the data, in inference mode.

        The loss is the mean of the batches' losses weighted by their sizes, as Keras's.

        Parameters
        ----------
        x, y, sample_weight : array_like, or a source of batches
            As in :meth:`fit`.
        batch_size : int, default 32
            Samples per batch of array data.
        verbose : {0, 1, 2, "auto"}
            Nonzero: one line with the values.
        steps : int, optional
            Evaluate only this many batches.
        callbacks : list of Callback, optional
            Their ``on_test_*`` hooks are called.
        return_dict : bool
            Return ``{name: value}``.

        Returns
        -------
        float, list or dict
            ``loss`` alone without metrics, ``[loss, *metrics]`` with them, or a dict with
            ``return_dict=True``.

        Raises
        ------
        TypeError, ValueError, MemoryError
            As :meth:`fit`, for ``x``, ``y``, ``batch_size``, ``sample_weight``, ``steps``
            and ``verbose``.
        RuntimeError
            If the model has not been compiled (call :meth:`compile` first), as in Keras.
        """
        self._check_compiled()
        batch_size = _as_batch_size(batch_size)
        verbose = _as_verbose(verbose)
        steps = _as_steps(steps, "steps")
        callbacks = _as_callbacks(callbacks)
        return_dict = _checks.check_flag(return_dict, "return_dict")
        data = self._training_data(x, y, sample_weight, None, batch_size, False, None)
        iterator = _data.EpochIterator(data, steps)
        callback_list = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                     verbose=verbose, epochs=1, steps=iterator.num_batches)
        values = self._test_loop(iterator, callback_list, data)
        return self._returned(values, return_dict)

    def _test_loop(self, iterator, callback_list, data):
        """The logs of one pass of ``iterator`` in inference mode (evaluate, validation)."""
        self.reset_metrics()
        callback_list.on_test_begin()
        logs = {}
        with np.errstate(over="ignore", invalid="ignore"), _losses._model_pass():
            for step, batch in iterator.epoch_batches():
                xb, yb, wb = self._batch(batch, data)
                callback_list.on_test_batch_begin(step)
                output = self._output_on_host(xb, training=False)
                weights = {} if wb is None else {"sample_weight": wb}
                loss = self._loss_value(yb, output, weights,
                                        self._checked_loss(xb, yb, output)) \
                    + self.regularization_loss()
                logs = self._update_metrics(loss, yb, output, wb, len(xb))
                callback_list.on_test_batch_end(step, logs)
        callback_list.on_test_end(logs)
        return logs

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """Outputs of the model for ``x``, in inference mode, batch by batch.

        Parameters
        ----------
        x : array_like, or a source of batches
            As in :meth:`fit` (the targets of a source's batches are ignored).
        batch_size : int, default 32
            Samples per batch of array data.
        verbose : {0, 1, 2, "auto"}
            Accepted as Keras's; nothing is printed.
        steps : int, optional
            Predict only this many batches.
        callbacks : list of Callback, optional
            Their ``on_predict_*`` hooks are called.

        Returns
        -------
        numpy.ndarray
            The outputs, one row per sample.

        Raises
        ------
        TypeError, ValueError
            As :meth:`fit`, for ``x``, ``batch_size``, ``steps`` and ``verbose``.
        MemoryError
            If the predictions, or the activations of one batch, could not fit in memory
            (checked before the first pass).
        OverflowError
            If the predictions for the finite ``x`` are not finite (values near the largest
            of the layers' dtype), as :meth:`Layer.forward
            <sigconv.nn.layers.Layer.forward>`; a diverged network's weights show the same.
        """
        batch_size = _as_batch_size(batch_size)
        verbose = _as_verbose(verbose)
        steps = _as_steps(steps, "steps")
        callbacks = _as_callbacks(callbacks)
        if _data.is_array_like(x):
            x, _ = self._check_xy(x, None, expect_y=False)
            if not _checks.on_device(x):
                self._check_batch_memory(x, min(batch_size, len(x)), "x, batch_size",
                                         loss=False, predictions=True)
            data = _data.ArrayData(x, None, None, batch_size)
            data.checked = True
        else:
            data = self._training_data(x, None, None, None, batch_size, False, None)
        iterator = _data.EpochIterator(data, steps)
        callback_list = CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                     verbose=verbose, epochs=1, steps=iterator.num_batches)
        callback_list.on_predict_begin()
        outputs, out, done = [], None, 0
        with np.errstate(over="ignore", invalid="ignore"):
            for step, (xb, _, _) in iterator.epoch_batches():
                if not data.checked:
                    xb, _ = self._check_xy(xb, None, name="x's batch", expect_y=False)
                    self._check_batch_memory(xb, len(xb), "x's batch", loss=False)
                callback_list.on_predict_batch_begin(step)
                batch = self._output_on_host(xb, training=False)
                if data.checked:     # arrays: one output array, written batch by batch
                    if out is None:
                        rows = len(x) if steps is None else min(len(x), steps * batch_size)
                        out = np.empty((rows, *batch.shape[1:]), batch.dtype)
                    out[done:done + len(batch)] = batch
                    done += len(batch)
                else:
                    outputs.append(batch)
                callback_list.on_predict_batch_end(step, {"outputs": batch})
            if not data.checked:
                if not outputs:
                    raise ValueError(f"{self.name}: x gave no batches to predict")
                out = outputs[0] if len(outputs) == 1 else np.concatenate(outputs)
            callback_list.on_predict_end()
            return self._finite_output(out)

    def _finite_output(self, out):
        """``out``, the model's output for a finite ``x``; OverflowError if it is not
        finite (one sum over it, under the caller's ``np.errstate``; its extremes only
        when the sum is not finite)."""
        if type(out) is not np.ndarray or out.dtype.kind != "f":
            return out
        if not math.isfinite(np.add.reduce(out, axis=None)) and not _checks.all_finite(out):
            raise OverflowError(f"{self.name}: the output for the finite x overflowed "
                                f"{out.dtype} (inf or NaN); scale x down, or the weights "
                                "have diverged")
        return out

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and accuracy) on one batch in inference mode, as :meth:`evaluate` with
        the whole of ``x`` as one batch (Keras's ``test_on_batch``).

        Raises
        ------
        TypeError, ValueError, MemoryError
            As :meth:`evaluate`.
        RuntimeError
            If the model has not been compiled (call :meth:`compile` first), as in Keras.
        """
        self._check_compiled()
        if not _checks.on_device(x):
            x = _checks.check_real_array(x, f"{self.name}: x")
        batch = len(x) if getattr(x, "ndim", 0) and len(x) else None
        return self.evaluate(x, y, batch_size=batch, sample_weight=sample_weight,
                             return_dict=return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch, as :meth:`predict` with the whole of ``x`` as one batch
        (Keras's ``predict_on_batch``).

        Raises
        ------
        TypeError, ValueError, MemoryError
            As :meth:`predict`.
        """
        if not _checks.on_device(x):
            x = _checks.check_real_array(x, f"{self.name}: x")
        batch = len(x) if getattr(x, "ndim", 0) and len(x) else None
        return self.predict(x, batch_size=batch)

    def __call__(self, x, training=False):
        """The model's output for the batch ``x`` (no batching, no copy to the host).

        Raises
        ------
        TypeError, ValueError, MemoryError, OverflowError
            As :meth:`predict`; TypeError also for a non-bool ``training``.
        """
        training = _checks.check_flag(training, "training")
        x, _ = self._check_xy(x, None, expect_y=False)
        if not _checks.on_device(x):
            self._check_batch_memory(x, len(x), "x", loss=False)
        with np.errstate(over="ignore", invalid="ignore"):
            return self._finite_output(self._forward(x, training))

    # --- inspection ---------------------------------------------------------------------
    def count_params(self):
        """Number of scalars in all the weights (trainable or not)."""
        self._ensure_built()
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn=None, line_length=None, positions=None, expand_nested=False,
                show_trainable=False):
        """Print Keras 3's table of the layers: output shapes, parameter counts, totals.

        A Dense layer on a flattened image needs a weight per pixel and unit; a convolution
        needs only ``kh * kw * in_channels`` per filter, however large the image.

        Parameters
        ----------
        print_fn : callable, optional
            Called once with the whole text (default: ``print``).
        line_length : int, optional
            Width of the table (Keras's default: 88, or the terminal's width less 4).
        positions : sequence of float, optional
            Right edge of each column as a fraction of ``line_length``.
        expand_nested : bool
            Accepted as Keras's (a Sequential of layers has nothing nested).
        show_trainable : bool
            Add Keras's "Trainable" column.

        Raises
        ------
        TypeError
            If ``print_fn`` is not callable, or a flag not a bool.
        ValueError
            If ``line_length`` or ``positions`` is out of range.
        """
        if print_fn is not None and not callable(print_fn):
            raise TypeError(f"print_fn must be callable or None; got {print_fn!r}")
        _checks.check_flag(expand_nested, "expand_nested")
        text = _summary.format_summary(self, line_length, positions, show_trainable)
        if print_fn is None:
            print(text, end="")
        else:
            print_fn(text)

    def get_weights(self):
        """All layers' weights, in layer order and Keras order within a layer."""
        self._ensure_built()
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Set all weights from a list as :meth:`get_weights` returns it.

        Raises
        ------
        TypeError
            If ``weights`` is not a list or tuple, or an entry is not real numbers.
        ValueError
            If the model cannot be built, or ``weights`` has another number of arrays, an
            array of another shape, or values beyond the range of the weights' dtype.
            Every array is checked before any weight changes.
        """
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"{self.name}: weights must be a list of arrays (as get_weights "
                            f"returns them); got {type(weights).__name__}")
        self._ensure_built()
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(f"{self.name}: set_weights expects {expected} arrays in "
                             f"weights; got {len(weights)}")
        start, checked = 0, []
        for layer in self.layers:
            count = len(layer.weights)
            checked.append(layer._checked_weights(weights[start:start + count]))
            start += count
        for layer, arrays in zip(self.layers, checked, strict=True):
            layer.set_weights(arrays)

    # --- saving -----------------------------------------------------------------------------
    def _optimizer_state(self):
        """The optimizer's state arrays by name (empty before compile), a parameter named
        by its position in the model (``slot/0/momentum``): as Keras matches optimizer
        variables by order, a model whose layers are named otherwise takes it too."""
        get_state = getattr(self.optimizer, "get_state", None)
        if get_state is None:
            return {}
        position = {key: str(k) for k, key in enumerate(self.params)}
        return {_rename_parameter(name, position): value
                for name, value in get_state().items()}

    def _set_optimizer_state(self, state):
        """Give the optimizer :meth:`_optimizer_state`'s arrays (ValueError naming the
        entry if one names no parameter of this model)."""
        keys = dict(enumerate(self.params))
        position = {str(k): key for k, key in keys.items()}
        self.optimizer.set_state({_rename_parameter(name, position): value
                                  for name, value in state.items()})

    def _backup_state(self):
        """Everything a run of :meth:`fit` needs to resume exactly, as arrays by name: the
        weights, the optimizer's state and the fit's random generators (shuffles and
        dropout masks). Used by :class:`~sigconv.nn.callbacks.BackupAndRestore`."""
        arrays = {f"weight_{k}": np.array(w) for k, w in enumerate(self.get_weights())}
        arrays.update({f"optimizer/{key}": np.array(value)       # copies, not live views
                       for key, value in self._optimizer_state().items()})
        states = [generator.bit_generator.state for generator in self._fit_generators or []]
        arrays["generators"] = np.frombuffer(json.dumps(states).encode(), dtype=np.uint8)
        return arrays

    def _restore_backup_state(self, arrays):
        """Set what :meth:`_backup_state` returned (ValueError, changing nothing, if it
        does not fit this model and run)."""
        if not isinstance(arrays, dict):
            raise TypeError(f"{self.name}: a backup must be a dict of arrays; got "
                            f"{type(arrays).__name__}")
        weights = [arrays.get(f"weight_{k}") for k in range(len(self.get_weights()))]
        if any(w is None for w in weights):
            raise ValueError(f"{self.name}: the backup lacks some of the model's weights")
        generators = self._fit_generators or []
        try:
            states = json.loads(np.asarray(arrays["generators"], np.uint8).tobytes())
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{self.name}: the backup's generator states are damaged "
                             f"({exc})") from None
        if not isinstance(states, list) or len(states) != len(generators):
            raise ValueError(f"{self.name}: the backup was made by a run with another "
                             "number of random generators (dropout layers)")
        self._check_weights([np.asarray(w) for w in weights])
        self.set_weights(weights)
        state = {key[len("optimizer/"):]: value for key, value in arrays.items()
                 if key.startswith("optimizer/")}
        if state:
            self._set_optimizer_state(state)
        for generator, saved in zip(generators, states, strict=True):
            generator.bit_generator.state = saved

    def get_config(self):
        """The architecture: layer classes and configs, and the input shape."""
        shape = self.input_shape
        return {"name": self.name, "input_shape": None if shape is None else list(shape[1:]),
                "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                           for layer in self.layers]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new, unbuilt model from :meth:`get_config`'s dictionary.

        Every layer is rebuilt through its (validating) constructor; only sigconv's layer
        and regularizer classes, and those given in ``custom_objects``, may be named.

        Raises
        ------
        ValueError
            If ``config`` does not have :meth:`get_config`'s form, names an unknown class,
            or holds an argument a constructor refuses (the message names the layer).
        TypeError
            If ``config`` is not a dict, or ``custom_objects`` not a dict of classes.
        """
        custom = _check_custom_objects(custom_objects)
        if not isinstance(config, dict):
            raise TypeError(f"config must be a dict as get_config returns it; got "
                            f"{type(config).__name__}")
        _expect_keys(config, {"name", "input_shape", "layers"}, "config")
        layers = config["layers"]
        if not isinstance(layers, list):
            raise ValueError(f"config['layers'] must be a list; got {type(layers).__name__}")
        registry = {**_LAYER_CLASSES, **{name: value for name, value in custom.items()
                                         if issubclass(value, _layers.Layer)}}
        token = _layers._custom_objects.set(custom)
        try:
            try:
                model = cls(name=config["name"])
                if config["input_shape"] is not None:
                    model.add(Input(config["input_shape"]))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"config: {exc}") from None
            for k, entry in enumerate(layers):
                where = f"config['layers'][{k}]"
                if not isinstance(entry, dict):
                    raise ValueError(f"{where} must be a dict; got {type(entry).__name__}")
                _expect_keys(entry, {"class_name", "config"}, where)
                name, arguments = entry["class_name"], entry["config"]
                layer_class = registry.get(name) if isinstance(name, str) else None
                if layer_class is None:
                    raise ValueError(f"{where}: unknown layer class {name!r}; expected one of "
                                     f"sigconv.nn's layers, or pass it in custom_objects")
                if not isinstance(arguments, dict) or not all(isinstance(key, str)
                                                              for key in arguments):
                    raise ValueError(f"{where}['config'] must be a dict of arguments")
                try:
                    model.add(layer_class.from_config(_plain(arguments)))
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"{where} ({name}): {exc}") from None
        finally:
            _layers._custom_objects.reset(token)
        return model

    def _compile_config(self):
        if self.loss is None:
            return None
        return {"optimizer": {"class_name": type(self.optimizer).__name__,
                              "config": self.optimizer.get_config()},
                "loss": {"class_name": type(self.loss).__name__,
                         "config": self.loss.get_config()},
                "metrics": [_metric_config(metric) for metric in self.metrics],
                "weighted_metrics": [_metric_config(metric)
                                     for metric in self.weighted_metrics]}

    def save(self, path):
        """Write the architecture (JSON), the compile settings and the weights to one
        ``.npz`` file, atomically (a crash never leaves a half-written file).

        Raises
        ------
        TypeError
            If ``path`` is not a str or path-like (``None``, a number), or the architecture
            holds an object with no name to save (a custom activation, initializer or
            regularizer instance); nothing is written.
        ValueError
            If ``path`` is empty.
        OSError
            If the file cannot be written (the folder is missing, no permission, disk
            full); an existing file is left as it was.
        """
        path = _check_path(path)
        self._ensure_built()
        state = self._optimizer_state()
        document = {"format": "sigconv.nn.Sequential", "version": 2,
                    "config": self.get_config(), "compile": self._compile_config(),
                    "optimizer_state": list(state)}
        try:
            text = json.dumps(document, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{self.name}: the architecture cannot be saved as JSON ({exc}): "
                            "a custom activation, initializer or regularizer object has no "
                            "name to save; use sigconv's, or save_weights") from None
        arrays = {f"weight_{k}": w for k, w in enumerate(self.get_weights())}
        arrays.update({f"optimizer_{k}": value for k, value in enumerate(state.values())})
        arrays["__model__"] = np.frombuffer(text.encode(), dtype=np.uint8)
        _atomic_savez(path, arrays)

    def save_weights(self, path):
        """Write only the weights to an ``.npz`` file, atomically.

        Raises
        ------
        TypeError
            If ``path`` is not a str or path-like (``None``, a number).
        ValueError
            If ``path`` is empty, or the model has no input shape to be built from.
        OSError
            If the file cannot be written; an existing file is left as it was.
        """
        path = _check_path(path)
        self._ensure_built()
        _atomic_savez(path, {f"weight_{k}": w for k, w in enumerate(self.get_weights())})

    def load_weights(self, path):
        """Read weights written by :meth:`save_weights` or :meth:`save`.

        Raises
        ------
        TypeError
            If ``path`` is not a str or path-like (``None``, a number).
        FileNotFoundError, OSError
            If the file cannot be opened.
        ValueError
            If ``path`` is empty, or the file is not such a weight file, is damaged, or
            holds weights of another number, shape or dtype than the model's (nothing is
            changed then); the message names the file.
        MemoryError
            If the file is larger than the memory this process may use.
        """
        path = _check_path(path)
        self._ensure_built()
        arrays = _read_archive(path)
        arrays.pop("__model__", None)
        weights = _weight_list({key: value for key, value in arrays.items()
                                if not key.startswith("optimizer_")}, path)
        try:
            self._check_weights(weights)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from None
        self.set_weights(weights)

    def _check_weights(self, weights):
        """ValueError/TypeError unless ``weights`` fit every layer (count, shape, dtype)."""
        expected = [w for layer in self.layers for w in layer.weights]
        if len(weights) != len(expected):
            raise ValueError(f"{self.name} has {len(expected)} weight arrays; got "
                             f"{len(weights)}")
        for k, (new, current) in enumerate(zip(weights, expected, strict=True)):
            if new.dtype.kind not in "biuf":
                raise TypeError(f"weight {k} must be real numbers; got dtype {new.dtype}")
            if new.shape != tuple(current.shape):
                raise ValueError(f"weight {k} must have shape {tuple(current.shape)}; got "
                                 f"{new.shape}")


def _rename_parameter(name, names):
    """An optimizer state entry (``slot/<key>/<slot>``, ``ema/<key>`` or a scalar such as
    ``iterations``) with its parameter key mapped through ``names``; ValueError if the
    key is not there."""
    kind, _, rest = name.partition("/")
    if kind == "slot" and "/" in rest:
        key, slot = rest.rsplit("/", 1)
    elif kind == "ema" and rest:
        key, slot = rest, None
    else:
        return name
    if key not in names:
        raise ValueError(f"optimizer state entry {name!r} names no parameter of the model")
    return f"{kind}/{names[key]}" + ("" if slot is None else f"/{slot}")


def _logged(value):
    """A loss's value as fit logs it: the mean of ``reduction=None``'s per-sample values."""
    return float(np.mean(value)) if isinstance(value, np.ndarray) else value


def _metric_config(metric):
    """A compiled metric as saved: its name, or ``{"class_name", "config"}``."""
    if isinstance(metric, str):
        return metric
    if isinstance(metric, type):
        return {"class_name": metric.__name__, "config": {}}
    return {"class_name": type(metric).__name__, "config": _plain(metric.get_config())}


def _plain(config):
    """JSON turns tuples into lists; layer constructors take either, but keep tuples."""
    return {key: tuple(value) if isinstance(value, list) else value
            for key, value in config.items()}


def _atomic_savez(path, arrays):
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(buffer.getvalue())
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def load_model(path, custom_objects=None, compile=True):
    """Read a model written by :meth:`Sequential.save`: same architecture, same weights
    (predictions equal bit for bit), compiled as it was when saved.

    Only what :meth:`Sequential.save` writes is accepted: an uncompressed ``.npz`` archive
    of a ``__model__`` JSON document and ``weight_0 ... weight_{n-1}`` arrays of real
    numbers (never pickles, never object arrays). Every layer, regularizer, optimizer and
    loss is rebuilt from an allow-list (sigconv's classes and ``custom_objects``) through
    its validating constructor, the weights' sizes are checked against the built layers,
    and every size is checked before anything is allocated.

    Parameters
    ----------
    path : str or path
        A file written by :meth:`Sequential.save`.
    custom_objects : dict of str to class, optional
        Layer, regularizer, optimizer or loss classes that are not sigconv's, by class name.
    compile : bool
        Compile the model with the saved optimizer, loss and metrics.

    Returns
    -------
    Sequential

    Raises
    ------
    FileNotFoundError, OSError
        If the file cannot be opened (missing, a directory, no permission).
    ValueError
        If the file is not a saved sigconv model, or is damaged in any way (truncated,
        altered bytes, a member replaced, an unknown class, a refused argument, weights
        of the wrong number, shape or dtype); the message names the file and what is
        wrong.
    MemoryError
        If the file, or a weight that its architecture asks for, could not fit in memory
        (checked before allocating; the message names the file).
    TypeError
        If ``path``, ``custom_objects`` or ``compile`` has the wrong type.
    """
    path = _check_path(path)
    custom = _check_custom_objects(custom_objects)
    compile = _checks.check_flag(compile, "compile")
    arrays = _read_archive(path)
    if "__model__" not in arrays:
        raise ValueError(f"{path}: not a sigconv model file (no architecture); use "
                         "Sequential.load_weights for weight files")
    document = _read_document(arrays.pop("__model__"), path)
    names = document.get("optimizer_state", [])
    if any(f"optimizer_{k}" not in arrays for k in range(len(names))):
        raise ValueError(f"{path}: the optimizer state named in the model description is "
                         "missing")
    state = {name: arrays.pop(f"optimizer_{k}") for k, name in enumerate(names)}
    weights = _weight_list(arrays, path)
    try:
        model = Sequential.from_config(document["config"], custom)
        model.build()
        model._check_weights(weights)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    except MemoryError as exc:
        raise MemoryError(f"{path}: {exc}") from None
    model.set_weights(weights)
    settings = document["compile"]
    if compile and settings is not None:
        try:
            _compile_from(model, settings, custom)
            if state:
                model._set_optimizer_state(state)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: compile settings: {exc}") from None
    return model


#: the layer classes a saved model may name (sigconv's own, public ones)
_LAYER_CLASSES = {name: value for name, value in vars(_layers).items()
                  if isinstance(value, type) and issubclass(value, _layers.Layer)
                  and value is not _layers.Layer and not name.startswith("_")}
_OPTIMIZER_CLASSES = {name: value for name, value in vars(_optimizers).items()
                      if isinstance(value, type) and issubclass(value, _optimizers.Optimizer)
                      and value is not _optimizers.Optimizer and not name.startswith("_")}
_LOSS_CLASSES = {cls.__name__: cls for cls in (
    _losses.CategoricalCrossentropy, _losses.SparseCategoricalCrossentropy,
    _losses.BinaryCrossentropy, _losses.MeanSquaredError)}
_LOSS_TYPES = frozenset(_LOSS_CLASSES.values())
#: members of a file that Sequential.save and save_weights write
_MEMBER = re.compile(r"(__model__|(?:weight|optimizer)_(?:0|[1-9][0-9]{0,8}))\.npy")


class _Damaged(ValueError):
    """A damaged model or weight file (a ValueError whose message names the file)."""


def _check_path(path):
    """``path`` as a str or bytes file name (Keras calls this argument ``filepath``)."""
    try:
        if isinstance(path, (bool, np.bool_)):
            raise TypeError(path)
        path = os.fspath(path)
    except TypeError:
        raise TypeError("path (Keras's filepath) must be a str or path-like (os.PathLike) "
                        f"file name; got {type(path).__name__}") from None
    if not path:
        raise ValueError("path (Keras's filepath) must be a non-empty file name; got "
                         f"{path!r}")
    return path


def _check_custom_objects(custom_objects):
    """``custom_objects`` as a dict of names to classes (TypeError otherwise)."""
    if custom_objects is None:
        return {}
    if not isinstance(custom_objects, dict) or not all(
            isinstance(key, str) and isinstance(value, type)
            for key, value in custom_objects.items()):
        raise TypeError("custom_objects must be a dict of class names to classes; got "
                        f"{custom_objects!r}")
    return dict(custom_objects)


def _expect_keys(mapping, keys, where):
    if set(mapping) != keys:
        raise ValueError(f"{where} must have the keys {sorted(keys)}; got {sorted(mapping)}")


def _read_archive(path):
    """The arrays of a file written by :func:`_atomic_savez`, read without trusting it.

    The whole file is read once (its size checked against the memory limit first); each
    member must be an uncompressed ``.npy`` of a known name whose header's shape and
    dtype account for exactly its bytes, so that nothing is allocated beyond the file's
    own size. Any other content is a ValueError naming the file.
    """
    with open(path, "rb") as stream:     # OSError (missing, a directory...) as is
        size = os.fstat(stream.fileno()).st_size
        try:
            check_allocation(path, (size,), np.uint8, what="the file's contents")
        except MemoryError as exc:
            raise MemoryError(str(exc)) from None
        data = stream.read()

    def damaged(reason):
        return _Damaged(f"{path}: not a file written by Sequential.save or save_weights, "
                        f"or damaged: {reason}")

    arrays = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                match = _MEMBER.fullmatch(info.filename)
                if match is None:
                    raise damaged(f"unexpected member {info.filename!r}")
                key = match.group(1)
                if key in arrays:
                    raise damaged(f"member {info.filename!r} appears twice")
                if info.compress_type != zipfile.ZIP_STORED or info.file_size > len(data):
                    raise damaged(f"member {info.filename!r} is compressed or larger than "
                                  "the file")
                arrays[key] = _parse_npy(archive.read(info), info.filename, damaged)
    except _Damaged as exc:
        raise ValueError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - any failure to parse the bytes is damage
        raise ValueError(str(damaged(f"{type(exc).__name__}: {exc}"))) from None
    return arrays


def _parse_npy(raw, member, damaged):
    """One ``.npy`` member as an array, checked before anything is allocated."""
    stream = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise damaged(f"member {member!r} has .npy version {version}")
    except ValueError as exc:
        raise damaged(f"member {member!r}: {exc}") from None
    if dtype.hasobject or dtype.kind not in "biuf" or dtype.itemsize > 8:
        raise damaged(f"member {member!r} holds dtype {dtype}, not real numbers")
    offset = stream.tell()
    count = math.prod(shape)
    if count * dtype.itemsize != len(raw) - offset:
        raise damaged(f"member {member!r} has shape {shape} and dtype {dtype} "
                      f"({count * dtype.itemsize} bytes) but holds {len(raw) - offset} bytes")
    array = np.frombuffer(raw, dtype, count, offset)
    return array.reshape(shape, order="F" if fortran else "C").astype(dtype.newbyteorder("="))


def _read_document(raw, path):
    """The JSON document of a model file, with the form that save writes."""
    def damaged(reason):
        return ValueError(f"{path}: the model description is damaged: {reason}")

    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise damaged(f"__model__ must be bytes; got dtype {raw.dtype}, shape {raw.shape}")
    try:
        document = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise damaged(f"{type(exc).__name__}: {exc}") from None
    if not isinstance(document, dict):
        raise damaged(f"expected a JSON object; got {type(document).__name__}")
    if document.get("format") != "sigconv.nn.Sequential":
        raise ValueError(f"{path}: unknown model format {document.get('format')!r}")
    version = document.get("version")
    if type(version) is not int or version not in (1, 2):
        raise damaged(f"unknown version {version!r}")
    keys = {"format", "version", "config", "compile"} | (
        {"optimizer_state"} if version == 2 else set())
    if set(document) != keys:
        raise damaged(f"unexpected keys {sorted(document)}")
    settings = document["compile"]
    expected = {"optimizer", "loss", "metrics"} | (
        {"weighted_metrics"} if version == 2 else set())
    if settings is not None and (not isinstance(settings, dict) or set(settings) != expected):
        raise damaged(f"the compile settings must hold {', '.join(sorted(expected))}")
    state = document.get("optimizer_state", [])
    if not isinstance(state, list) or not all(isinstance(key, str) for key in state):
        raise damaged("optimizer_state must be a list of names")
    return document


def _weight_list(arrays, path):
    """``weight_0 ... weight_{n-1}`` in order (no gap allowed)."""
    keys = set(arrays)
    expected = {f"weight_{k}" for k in range(len(keys))}
    if keys != expected:
        raise ValueError(f"{path}: the weights must be weight_0 ... weight_{len(keys) - 1}; "
                         f"got {sorted(keys)}")
    return [arrays[f"weight_{k}"] for k in range(len(keys))]


def _from_saved(entry, known, kind, custom):
    """An optimizer or loss from ``{"class_name", "config"}``, allow-listed."""
    if not isinstance(entry, dict):
        raise ValueError(f"the {kind} must be a dict; got {type(entry).__name__}")
    _expect_keys(entry, {"class_name", "config"}, f"the {kind}")
    name, config = entry["class_name"], entry["config"]
    registry = {**known, **custom}
    cls = registry.get(name) if isinstance(name, str) else None
    if cls is None or not hasattr(cls, "from_config"):
        raise ValueError(f"unknown {kind} class {name!r}; expected one of {sorted(known)} or a "
                         "class given in custom_objects")
    if not isinstance(config, dict) or not all(isinstance(key, str) for key in config):
        raise ValueError(f"the {kind} config must be a dict of arguments")
    return cls.from_config(config)


def _compile_from(model, settings, custom):
    optimizer = _from_saved(settings["optimizer"], _OPTIMIZER_CLASSES, "optimizer", custom)
    loss = _from_saved(settings["loss"], _LOSS_CLASSES, "loss", custom)
    model.compile(optimizer=optimizer, loss=loss, metrics=settings["metrics"],
                  weighted_metrics=settings.get("weighted_metrics"))
