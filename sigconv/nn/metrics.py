r"""Metrics with Keras 3's formulas and aggregation (``sigconv.nn.metrics``).

A metric is an object with state:

* ``metric.update_state(y_true, y_pred, sample_weight=None)`` adds a batch;
* ``metric.result()`` is the value over every batch added since the last reset, as a
  Python float (Precision and Recall with several thresholds: a NumPy array);
* ``metric.reset_state()`` forgets them; ``metric(y_true, y_pred)`` updates and returns
  the result, as in Keras.

Aggregation is Keras's: the mean metrics (accuracies, MSE, MAE, :class:`Mean`) keep a
weighted *sum of per-sample values* and a *sum of weights* over all batches, so that a
batch of 3 samples weighs three times a batch of 1 (not a mean of batch means); the
confusion metrics (:class:`Precision`, :class:`Recall`, :class:`AUC`) keep weighted counts
of true/false positives/negatives. The state is held in the metric's ``dtype``
(``float32`` unless given, Keras's ``floatx``), the predictions are cast to it where
Keras casts them.

:func:`get` turns a name, class, config dict or instance into a metric; :func:`resolve`
is what ``compile(metrics=[...])`` does with each entry: ``"accuracy"`` and ``"acc"``
become binary, sparse categorical or categorical accuracy from the *shapes* of the
targets and the predictions, as in Keras 3 (the loss is not consulted).
"""

import numbers
import re

import numpy as np

from .._validate import lookup_name
from . import _checks
from .losses import _sigmoid

__all__ = [
    "Metric",
    "Mean",
    "Sum",
    "MeanMetricWrapper",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "Precision",
    "Recall",
    "AUC",
    "get",
    "resolve",
]

#: Keras's stand-in for minus infinity: predictions outside the top ``k`` become this
#: value, and it is the default threshold of Precision and Recall with ``top_k``
NEG_INF = -1e10

#: Keras's ``backend.epsilon()``: AUC's end thresholds are ``-EPSILON`` and ``1 + EPSILON``
EPSILON = 1e-7


def _metric_dtype(dtype, owner):
    """``dtype`` as a floating :class:`numpy.dtype` (None: float32, Keras's floatx)."""
    if dtype is None:
        return np.dtype(np.float32)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{owner}: dtype must be 'float32' or 'float64'; got {dtype!r}") \
            from None
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{owner}: dtype must be 'float32' or 'float64'; got {dtype}")
    return dtype


def _divide_no_nan(numerator, denominator):
    """``numerator / denominator``, 0 where the denominator is 0 (``ops.divide_no_nan``)."""
    numerator, denominator = np.asarray(numerator), np.asarray(denominator)
    if numerator.ndim == 0 and denominator.ndim == 0:      # a Mean's result: no arrays
        return numerator / denominator if denominator != 0 else numerator * 0
    shape = np.broadcast_shapes(numerator.shape, denominator.shape)
    out = np.zeros(shape, np.result_type(numerator, denominator))
    return np.divide(numerator, denominator, out=out, where=denominator != 0)


def _match_rank(x1, x2, expand_rank_1=True):
    """Keras's ``squeeze_or_expand_to_same_rank``: where the ranks differ by one and the
    longer has a trailing axis of 1, squeeze it (or, if the shorter is 1-d and
    ``expand_rank_1``, give the shorter a trailing axis instead)."""
    rank1, rank2 = x1.ndim, x2.ndim
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    elif rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def _broadcast_weight(sample_weight, shape, owner):
    """``np.broadcast_to`` with a ValueError that names ``sample_weight``."""
    if sample_weight.shape == shape:          # np.broadcast_to costs microseconds
        return sample_weight
    try:
        return np.broadcast_to(sample_weight, shape)
    except ValueError:
        raise ValueError(f"{owner}: sample_weight of shape {np.shape(sample_weight)} does "
                         f"not broadcast to the values' shape {tuple(shape)}") from None


def _mean_after_first(array):
    """The mean over every axis after the first (a 1-d or 0-d array is returned)."""
    return array.reshape(len(array), -1).mean(axis=1) if array.ndim > 1 else array


def _samplewise(values, sample_weight, dtype, owner):
    """Keras's ``reduce_to_samplewise_values`` with the mean: per-sample weighted values
    and per-sample weights (None without ``sample_weight``).

    The weight is matched in rank to the values (:func:`_match_rank`); values of higher
    rank are averaged down to the weight's rank, the weight is broadcast to them and
    multiplied in; then the weight and the values are averaged over every axis after
    the first.
    """
    values = values.astype(dtype, copy=False)
    if sample_weight is None:
        return _mean_after_first(values), None
    sample_weight = sample_weight.astype(dtype, copy=False)
    values, sample_weight = _match_rank(values, sample_weight)
    weight_ndim = sample_weight.ndim
    if values.ndim > weight_ndim:
        values = values.mean(axis=tuple(range(weight_ndim, values.ndim)))
    sample_weight = _broadcast_weight(sample_weight, values.shape, owner)
    values = values * sample_weight
    if weight_ndim > 1:
        sample_weight = _mean_after_first(sample_weight)
    return _mean_after_first(values), sample_weight


def _check_threshold_list(thresholds, owner, name="thresholds"):
    """A float or a list/tuple of floats in [0, 1], as a list of floats."""
    items = thresholds if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    checked = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Real):
            raise TypeError(f"{owner}: {name} must be a float or a list of floats in "
                            f"[0, 1]; got {thresholds!r}")
        if not 0.0 <= float(item) <= 1.0:     # also refuses NaN
            raise ValueError(f"{owner}: {name} must lie in [0, 1]; got {thresholds!r}")
        checked.append(float(item))
    if not checked:
        raise ValueError(f"{owner}: {name} must hold at least one value; got {thresholds!r}")
    return checked


def _evenly_spaced(thresholds):
    """Keras's ``is_evenly_distributed_thresholds``: at least 3 thresholds, equal to
    ``i / (n - 1)`` within 1e-7 (then Keras counts through buckets)."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=EPSILON))


def _in_top_k(labels, scores, k):
    """TensorFlow's ``in_top_k``: whether fewer than ``k`` scores of the row are strictly
    greater than the score of the label (ties with it all count as inside), False for a
    row holding a NaN or an infinity."""
    rows = scores.reshape(-1, scores.shape[-1])
    labels = labels.reshape(-1)
    at_label = rows[np.arange(len(rows)), labels]
    inside = (rows > at_label[:, None]).sum(axis=1) < k
    finite = np.isfinite(rows)
    if not finite.all():
        inside &= finite.all(axis=1)
    return inside.reshape(scores.shape[:-1])


class Metric(_checks.FromConfig):
    """Base class of the metrics: state updated batch by batch, a result, a reset.

    Parameters
    ----------
    name : str, optional
        Name of the metric (the key of its value in ``History`` and the logs).
    dtype : {"float32", "float64"}, optional
        Dtype of the state and of the computations; ``float32`` (Keras's floatx) if None.

    Attributes
    ----------
    name : str
    dtype : numpy.dtype

    Notes
    -----
    A subclass calls ``super().__init__(name=name, dtype=dtype)``, creates its state
    and implements ``update_state`` and ``result`` (and ``reset_state``, or lists its
    state's attribute names in ``_state_names``); ``__call__`` updates and returns the
    result, as in Keras.
    """

    _default_name = "metric"

    def __init__(self, name=None, dtype=None):
        label = type(self).__name__
        name = _checks.check_name(name, f"{label}: name")
        self.name = self._default_name if name is None else name
        self.dtype = _metric_dtype(dtype, label)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch to the state (implemented by each metric)."""
        raise NotImplementedError

    def result(self):
        """The value over the batches added since the last reset (implemented by each
        metric)."""
        raise NotImplementedError

    def reset_state(self):
        """Forget every batch: the state named in ``_state_names`` set to zeros."""
        for key in self._state_names:
            setattr(self, key, np.zeros_like(getattr(self, key)))

    def __call__(self, *args, **kwargs):
        """``update_state(*args, **kwargs)``, then :meth:`result`."""
        self.update_state(*args, **kwargs)
        return self.result()

    @property
    def variables(self):
        """The state, as a list of NumPy arrays (copies), in the order of Keras's
        variables."""
        return [np.array(getattr(self, key)) for key in self._state_names]

    _state_names = ()

    def get_config(self):
        """The constructor arguments: ``type(metric).from_config(metric.get_config())``
        is an equal metric with an empty state."""
        return {"name": self.name, "dtype": self.dtype.name}

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"

    # -- input checks shared by the metrics --------------------------------------------

    def _arrays(self, y_true, y_pred, sample_weight, checked=False):
        """``y_true``, ``y_pred`` and ``sample_weight`` as NumPy arrays: real numbers,
        ``y_pred`` not empty, ``y_true`` and ``sample_weight`` finite (NaN in ``y_pred``
        is a diverging model's output and reaches the result, as in Keras)."""
        if checked:
            return (np.asarray(y_true), np.asarray(y_pred),
                    None if sample_weight is None else np.asarray(sample_weight))
        owner = self.name
        y_pred = _checks.check_real_array(y_pred, f"{owner}: y_pred")
        if y_pred.ndim == 0 or y_pred.size == 0:
            raise ValueError(f"{owner}: y_pred must have at least one dimension and one "
                             f"element, got shape {y_pred.shape}")
        y_true = _checks.check_real_array(y_true, f"{owner}: y_true")
        _checks.check_finite(y_true, "y_true", owner=owner)
        if sample_weight is not None:
            sample_weight = _checks.check_real_array(sample_weight,
                                                     f"{owner}: sample_weight")
            _checks.check_finite(sample_weight, "sample_weight", owner=owner)
        return y_true, y_pred, sample_weight

    def _same_shape(self, y_true, y_pred):
        """Keras's rank matching, then a ValueError unless the shapes are equal."""
        y_true, y_pred = _match_rank(y_true, y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: y_true must have the shape of y_pred "
                             f"{y_pred.shape} (or differ by a trailing axis of 1), got "
                             f"{y_true.shape}")
        return y_true, y_pred

    def _classes(self, y_pred):
        if y_pred.ndim < 2:
            raise ValueError(f"{self.name}: y_pred must hold class scores on its last axis, "
                             f"shape (batch, classes); got shape {y_pred.shape}")
        return y_pred.shape[-1]

    def _labels(self, y_true, y_pred, checked=False):
        """Sparse labels: shape ``y_pred.shape[:-1]`` or that with a trailing 1, integer
        values in ``[0, classes)`` (ints or floats), as an integer array of shape
        ``y_pred.shape[:-1]``."""
        classes = self._classes(y_pred)
        rows = y_pred.shape[:-1]
        if y_true.shape != rows:
            if y_true.shape != rows + (1,):
                raise ValueError(f"{self.name}: y_true must hold one label per row of "
                                 f"y_pred: shape {rows} or {rows + (1,)}, got {y_true.shape}")
            y_true = y_true.reshape(rows)
        if checked:
            return y_true if y_true.dtype.kind in "iu" else y_true.astype(np.intp)
        if y_true.dtype.kind == "f":
            if not np.array_equal(y_true, np.floor(y_true)):
                raise ValueError(f"{self.name}: y_true must hold integer class labels, got "
                                 "non-integer values")
            y_true = y_true.astype(np.intp)
        elif y_true.dtype.kind == "b":
            y_true = y_true.astype(np.intp)
        low, high = y_true.min(), y_true.max()
        if low < 0 or high >= classes:
            raise ValueError(f"{self.name}: y_true must hold class labels in [0, {classes}) "
                             f"for y_pred with {classes} classes; got labels from {low} to "
                             f"{high}")
        return y_true


class Mean(Metric):
    """Weighted running mean of values (Keras's ``keras.metrics.Mean``).

    Parameters
    ----------
    name : str, default "mean"
        Name of the metric.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.

    See Also
    --------
    Sum : the weighted sum.

    Notes
    -----
    Each update reduces ``values`` to one value per sample (see :meth:`update_state`) and
    adds :math:`\\sum_i w_i v_i` to ``total`` and :math:`\\sum_i w_i` to ``count``
    (:math:`w_i = 1` and ``count`` += the number of samples without weights); the result
    is ``total / count`` (0 while ``count`` is 0). A model tracks its loss with
    ``Mean(name="loss")``, updated with the batch loss and ``sample_weight=batch_size``,
    which makes the epoch loss the mean over samples, as in Keras.

    Examples
    --------
    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7])
    >>> m.result()
    4.0
    >>> m.reset_state()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    2.0
    >>> loss = Mean(name="loss")
    >>> loss.update_state(0.5, sample_weight=3)   # a batch of 3 with mean loss 0.5
    >>> loss.update_state(0.1, sample_weight=1)   # a batch of 1
    >>> round(loss.result(), 6)                   # (3 * 0.5 + 0.1) / 4
    0.4
    """

    _default_name = "mean"
    _state_names = ("total", "count")

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        """Set ``total`` and ``count`` to 0."""
        self.total = self.dtype.type(0)
        self.count = self.dtype.type(0)

    def update_state(self, values, sample_weight=None):
        """Add values (and their weights) to the running mean.

        Parameters
        ----------
        values : array_like
            A number, or an array whose first axis is the batch; the values of a sample
            are averaged to one.
        sample_weight : array_like, optional
            Weights, matched to ``values`` as in Keras: a trailing axis of 1 is squeezed or
            added, ``values`` of higher rank are averaged down to the weight's rank, the
            weight is broadcast. A scalar weight scales the mean of the batch (it counts
            as one sample of that weight).

        Raises
        ------
        TypeError
            If ``values`` or ``sample_weight`` is not real numbers.
        ValueError
            If ``sample_weight`` holds NaN or inf or does not broadcast to the values.
        """
        values = _checks.check_real_array(values, f"{self.name}: values")
        if sample_weight is not None:
            sample_weight = _checks.check_real_array(sample_weight,
                                                     f"{self.name}: sample_weight")
            _checks.check_finite(sample_weight, "sample_weight", owner=self.name)
        self._accumulate(values, sample_weight)

    def _accumulate(self, values, sample_weight):
        if sample_weight is None and values.ndim == 1 and values.dtype == np.bool_:
            # a batch of hits (the accuracies): their float32 sum is their count, exact
            # below 2**24 per batch, so the same number without a cast and a sum
            self.total = self.dtype.type(self.total + self.dtype.type(
                np.count_nonzero(values)))
            self.count = self.dtype.type(self.count + values.shape[0])
            return
        values, sample_weight = _samplewise(values, sample_weight, self.dtype, self.name)
        self.total = self.dtype.type(self.total + values.sum(dtype=self.dtype))
        if sample_weight is not None:
            count = sample_weight.sum(dtype=self.dtype)
        else:
            count = values.shape[0] if values.ndim else 1
        self.count = self.dtype.type(self.count + count)

    def result(self):
        """``total / count`` as a float (0.0 before any weight)."""
        if self.count != 0 and np.ndim(self.total) == 0:     # the common case, directly
            return float(self.total / self.count)
        return float(_divide_no_nan(self.total, self.count))


class Sum(Metric):
    """Weighted sum of values (Keras's ``keras.metrics.Sum``).

    Parameters
    ----------
    name : str, default "sum"
        Name of the metric.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.

    Notes
    -----
    Adds :math:`\\sum_i w_i v_i` per update, the values of a sample summed to one value
    and matched to the weights as in :meth:`Mean.update_state`.

    Examples
    --------
    >>> m = Sum()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    4.0
    """

    _default_name = "sum"
    _state_names = ("total",)

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        """Set ``total`` to 0."""
        self.total = self.dtype.type(0)

    def update_state(self, values, sample_weight=None):
        """Add the (weighted) values to the sum.

        Parameters
        ----------
        values : array_like
            A number or an array whose first axis is the batch.
        sample_weight : array_like, optional
            Weights, matched to ``values`` as in :meth:`Mean.update_state`.

        Raises
        ------
        TypeError
            If ``values`` or ``sample_weight`` is not real numbers.
        ValueError
            If ``sample_weight`` holds NaN or inf or does not broadcast to the values.
        """
        values = _checks.check_real_array(values, f"{self.name}: values")
        if sample_weight is not None:
            sample_weight = _checks.check_real_array(sample_weight,
                                                     f"{self.name}: sample_weight")
            _checks.check_finite(sample_weight, "sample_weight", owner=self.name)
        values = values.astype(self.dtype, copy=False)
        if sample_weight is not None:
            sample_weight = sample_weight.astype(self.dtype, copy=False)
            values, sample_weight = _match_rank(values, sample_weight)
            if values.ndim > sample_weight.ndim:
                values = values.sum(axis=tuple(range(sample_weight.ndim, values.ndim)))
            values = values * _broadcast_weight(sample_weight, values.shape, self.name)
        self.total = self.dtype.type(self.total + values.sum(dtype=self.dtype))

    def result(self):
        """The sum as a float."""
        return float(self.total)


class _SampleMean(Mean):
    """A :class:`Mean` of per-sample values computed from ``(y_true, y_pred)`` by
    ``_values(y_true, y_pred, checked)`` (Keras's ``MeanMetricWrapper``)."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch: the metric's value per sample, weighted.

        Parameters
        ----------
        y_true : array_like
            Targets.
        y_pred : array_like
            Predictions, batch axis first.
        sample_weight : array_like, optional
            Per-sample (or per-entry) weights; see :meth:`Mean.update_state` for how they
            are matched to the values.

        Raises
        ------
        TypeError
            If an argument is not real numbers.
        ValueError
            If the shapes of ``y_true`` and ``y_pred`` do not match, ``y_pred`` is empty,
            ``y_true`` or ``sample_weight`` holds NaN or inf, labels are out of range, or
            ``sample_weight`` does not broadcast to the values.
        """
        y_true, y_pred, sample_weight = self._arrays(y_true, y_pred, sample_weight)
        self._accumulate(self._values(y_true, y_pred), sample_weight)

    def _model_update_state(self, y_true, y_pred, sample_weight=None):
        """:meth:`update_state` for a model that checked its ``y`` once (real, finite,
        labels in range) and passes NumPy arrays: no per-batch checks of the values."""
        y_true, y_pred, sample_weight = self._arrays(y_true, y_pred, sample_weight,
                                                     checked=True)
        self._accumulate(self._values(y_true, y_pred, checked=True), sample_weight)


class MeanMetricWrapper(_SampleMean):
    """The weighted mean of a function's per-sample values (Keras's
    ``MeanMetricWrapper``).

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred, **kwargs)`` returning one value per sample (or per entry;
        entries of a sample are averaged).
    name : str, optional
        Name of the metric; the snake-case name of ``fn`` if None.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.
    **kwargs
        Passed on to ``fn``.

    Examples
    --------
    >>> def absolute_error(y_true, y_pred):
    ...     return np.abs(np.asarray(y_true) - np.asarray(y_pred))
    >>> m = MeanMetricWrapper(absolute_error)
    >>> m.name
    'absolute_error'
    >>> m([1.0, 2.0], [1.5, 2.0])
    0.25
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn) or isinstance(fn, type):
            raise TypeError(f"MeanMetricWrapper: fn must be a function of (y_true, y_pred); "
                            f"got {fn!r}")
        self.fn = fn
        self._fn_kwargs = dict(kwargs)
        if name is None:
            name = _snake_case(getattr(fn, "__name__", type(fn).__name__))
        super().__init__(name=name, dtype=dtype)

    def _values(self, y_true, y_pred, checked=False):
        values = np.asarray(self.fn(y_true, y_pred, **self._fn_kwargs))
        if values.dtype.kind not in "biuf":
            raise TypeError(f"{self.name}: fn must return real numbers, got dtype "
                            f"{values.dtype}")
        return values

    def get_config(self):
        """``fn``, ``name``, ``dtype`` and the keyword arguments of ``fn`` (the function
        object itself: it is not serializable to JSON)."""
        return {"fn": self.fn, **super().get_config(), **self._fn_kwargs}


class Accuracy(_SampleMean):
    """How often predictions equal targets exactly (Keras's ``keras.metrics.Accuracy``).

    Parameters
    ----------
    name : str, default "accuracy"
        Name of the metric.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.

    See Also
    --------
    BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy : what
        ``compile(metrics=["accuracy"])`` means (see :func:`resolve`).

    Notes
    -----
    Per entry :math:`[y = \\hat y]` (``y_true`` cast to ``y_pred``'s dtype); the entries
    of a sample are averaged, the samples weighted as in :class:`Mean`.

    Examples
    --------
    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> m.result()
    0.75
    >>> m.reset_state()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]],
    ...                sample_weight=[1, 1, 0, 0])
    >>> m.result()
    0.5
    """

    _default_name = "accuracy"

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def _values(self, y_true, y_pred, checked=False):
        y_true, y_pred = self._same_shape(y_true.astype(y_pred.dtype, copy=False), y_pred)
        return y_true == y_pred


class BinaryAccuracy(_SampleMean):
    """How often thresholded predictions equal 0/1 targets
    (Keras's ``keras.metrics.BinaryAccuracy``).

    Parameters
    ----------
    name : str, default "binary_accuracy"
        Name of the metric.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.
    threshold : float, default 0.5
        A prediction above it counts as 1. Keras keeps 0.5 for logits too (a model whose
        loss is ``BinaryCrossentropy(from_logits=True)``); pass ``threshold=0.0`` there
        to count logits above 0 as 1.

    Notes
    -----
    Per entry :math:`[y = [\\hat y > t]]`, with the threshold rounded to float32 as Keras
    does; a target counts as right only if it equals 0 or 1 exactly. Entries of a sample
    are averaged, the samples weighted as in :class:`Mean`.

    Examples
    --------
    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> m.result()
    0.75
    >>> m.reset_state()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]],
    ...                sample_weight=[1, 0, 0, 1])
    >>> m.result()
    0.5
    """

    _default_name = "binary_accuracy"

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, numbers.Real):
            raise TypeError(f"BinaryAccuracy: threshold must be a number; got {threshold!r}")
        if not abs(float(threshold)) <= float(np.finfo(np.float32).max):    # NaN too
            raise ValueError(f"BinaryAccuracy: threshold must be a finite float32 number; "
                             f"got {threshold!r}")
        self.threshold = float(threshold)
        super().__init__(name=name, dtype=dtype)

    def _values(self, y_true, y_pred, checked=False):
        y_true, y_pred = self._same_shape(y_true, y_pred)
        return y_true == (y_pred > np.float32(self.threshold))

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


class CategoricalAccuracy(_SampleMean):
    """How often the highest prediction is at the target's highest entry (one-hot
    targets; Keras's ``keras.metrics.CategoricalAccuracy``).

    Parameters
    ----------
    name : str, default "categorical_accuracy"
        Name of the metric.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.

    Notes
    -----
    Per sample :math:`[\\operatorname{argmax} y = \\operatorname{argmax} \\hat y]` over the
    last axis (the first maximum on ties); ``y_pred`` may be probabilities or logits.

    Examples
    --------
    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    >>> m.reset_state()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
    ...                sample_weight=[0.7, 0.3])
    >>> round(m.result(), 6)
    0.3
    """

    _default_name = "categorical_accuracy"

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def _values(self, y_true, y_pred, checked=False):
        self._classes(y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: y_true must be one-hot of y_pred's shape "
                             f"{y_pred.shape}, got {y_true.shape} (integer labels: "
                             "SparseCategoricalAccuracy)")
        return y_true.argmax(axis=-1) == y_pred.argmax(axis=-1)


class SparseCategoricalAccuracy(_SampleMean):
    """How often the highest prediction is at the integer label
    (Keras's ``keras.metrics.SparseCategoricalAccuracy``).

    Parameters
    ----------
    name : str, default "sparse_categorical_accuracy"
        Name of the metric.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.

    Notes
    -----
    Per sample :math:`[y = \\operatorname{argmax} \\hat y]`. ``y_true`` has shape
    ``y_pred.shape[:-1]`` or that with a trailing 1, integer labels (ints or floats with
    integer values) in ``[0, classes)``.

    Examples
    --------
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    >>> m.reset_state()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
    ...                sample_weight=[0.7, 0.3])
    >>> round(m.result(), 6)
    0.3
    """

    _default_name = "sparse_categorical_accuracy"

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def _values(self, y_true, y_pred, checked=False):
        return self._labels(y_true, y_pred, checked) == y_pred.argmax(axis=-1)


def _check_k(k, owner):
    return _checks.check_count(k, f"{owner}: k")


class TopKCategoricalAccuracy(_SampleMean):
    """How often the target's class is among the ``k`` highest predictions (one-hot
    targets; Keras's ``keras.metrics.TopKCategoricalAccuracy``).

    Parameters
    ----------
    k : int, default 5
        Number of top predictions that count.
    name : str, default "top_k_categorical_accuracy"
        Name of the metric.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.

    Notes
    -----
    The label is :math:`\\operatorname{argmax} y`; a sample counts as right when fewer
    than ``k`` predictions are strictly greater than the prediction at the label
    (TensorFlow's ``in_top_k``: every class tied with the label's score is inside), and
    as wrong when its row of ``y_pred`` holds a NaN or an infinity.

    Examples
    --------
    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    >>> TopKCategoricalAccuracy(k=1)([[0, 1, 0]], [[0.5, 0.5, 0.0]])   # a tie counts
    1.0
    """

    _default_name = "top_k_categorical_accuracy"

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        self.k = _check_k(k, "TopKCategoricalAccuracy")
        super().__init__(name=name, dtype=dtype)

    def _values(self, y_true, y_pred, checked=False):
        self._classes(y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: y_true must be one-hot of y_pred's shape "
                             f"{y_pred.shape}, got {y_true.shape} (integer labels: "
                             "SparseTopKCategoricalAccuracy)")
        return _in_top_k(y_true.argmax(axis=-1), y_pred, self.k)

    def get_config(self):
        return {**super().get_config(), "k": self.k}


class SparseTopKCategoricalAccuracy(_SampleMean):
    """How often the integer label is among the ``k`` highest predictions
    (Keras's ``keras.metrics.SparseTopKCategoricalAccuracy``).

    Parameters
    ----------
    k : int, default 5
        Number of top predictions that count.
    name : str, default "sparse_top_k_categorical_accuracy"
        Name of the metric.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.
    from_sorted_ids : bool, default False
        Whether ``y_pred`` holds, per sample, class ids sorted from the highest score
        down (then a sample is right when its label is among the first ``k`` ids)
        instead of one score per class.

    Notes
    -----
    As :class:`TopKCategoricalAccuracy` with the label given as an integer (shape
    ``y_pred.shape[:-1]`` or that with a trailing 1).

    Examples
    --------
    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    >>> SparseTopKCategoricalAccuracy(k=1, from_sorted_ids=True)([2, 1], [[1, 0, 3], [1, 2, 3]])
    0.5
    """

    _default_name = "sparse_top_k_categorical_accuracy"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        self.k = _check_k(k, "SparseTopKCategoricalAccuracy")
        self.from_sorted_ids = _checks.check_flag(
            from_sorted_ids, "SparseTopKCategoricalAccuracy: from_sorted_ids")
        super().__init__(name=name, dtype=dtype)

    def _values(self, y_true, y_pred, checked=False):
        if not self.from_sorted_ids:
            return _in_top_k(self._labels(y_true, y_pred, checked), y_pred, self.k)
        self._classes(y_pred)
        rows = y_pred.shape[:-1]
        if y_true.shape not in (rows, rows + (1,)):
            raise ValueError(f"{self.name}: y_true must hold one id per row of y_pred: "
                             f"shape {rows} or {rows + (1,)}, got {y_true.shape}")
        ids = y_true.reshape(rows).astype(y_pred.dtype, copy=False)
        return (ids[..., None] == y_pred[..., :self.k]).any(axis=-1)

    def get_config(self):
        config = {**super().get_config(), "k": self.k}
        if self.from_sorted_ids:         # Keras writes the flag only when set
            config["from_sorted_ids"] = True
        return config


class _ErrorMean(_SampleMean):
    """Per sample, the mean over the last axis of ``_elementwise(y - y_pred)`` (the
    squared and the absolute error)."""

    _elementwise = None

    def _values(self, y_true, y_pred, checked=False):
        y_pred = _as_float(y_pred)
        y_true, y_pred = self._same_shape(y_true.astype(y_pred.dtype, copy=False), y_pred)
        difference = y_true - y_pred
        return self._elementwise(difference, out=difference).mean(axis=-1)


class MeanSquaredError(_ErrorMean):
    """Mean squared error (Keras's ``keras.metrics.MeanSquaredError``).

    Parameters
    ----------
    name : str, default "mean_squared_error"
        Name of the metric.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.

    Notes
    -----
    Per sample, the mean over the last axis of :math:`(y - \\hat y)^2`, weighted as in
    :class:`Mean`. As in Keras, 1-d ``y_true`` and ``y_pred`` of shape ``(batch,)``
    are *one* sample each batch (the last axis is the batch): the result is then the
    mean of the batch means. A model's outputs have shape ``(batch, 1)`` or more, and
    ``(batch,)`` targets are matched to them, so training never meets this.

    Examples
    --------
    >>> m = MeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.25
    >>> m.reset_state()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
    >>> m.result()
    0.5
    """

    _default_name = "mean_squared_error"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    _elementwise = staticmethod(np.square)


class MeanAbsoluteError(_ErrorMean):
    """Mean absolute error (Keras's ``keras.metrics.MeanAbsoluteError``).

    Parameters
    ----------
    name : str, default "mean_absolute_error"
        Name of the metric.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.

    Notes
    -----
    Per sample, the mean over the last axis of :math:`|y - \\hat y|`, weighted as in
    :class:`Mean` (1-d inputs: see :class:`MeanSquaredError`).

    Examples
    --------
    >>> m = MeanAbsoluteError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    0.25
    >>> m.reset_state()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
    >>> m.result()
    0.5
    """

    _default_name = "mean_absolute_error"
    _elementwise = staticmethod(np.abs)

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)



def _as_float(array):
    """Integer or boolean predictions as float64 (a difference of them must not wrap)."""
    return array if array.dtype.kind == "f" else array.astype(np.float64)


# -- confusion-matrix metrics ------------------------------------------------------------

def _filter_top_k(scores, k):
    """Keras's ``_filter_top_k``: the ``k`` highest scores of each row kept (the lower
    index first among equal scores, as ``tf.math.top_k``), the others set to NEG_INF."""
    order = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(scores.shape, dtype=scores.dtype)
    np.put_along_axis(keep, order, 1, axis=-1)
    with np.errstate(invalid="ignore"):          # inf * 0 is NaN, as in Keras
        return scores * keep + scores.dtype.type(NEG_INF) * (1 - keep)


class _Confusion(Metric):
    """Weighted counts of true/false positives/negatives at thresholds (Keras's
    ``update_confusion_matrix_variables``)."""

    def _counts(self, y_true, y_pred, sample_weight, thresholds, evenly, top_k=None,
                class_id=None, multi_label=False, label_weights=None):
        """``(tp, fp, tn, fn)`` of the batch, each of shape ``(len(thresholds),)`` (with
        ``multi_label``: ``(len(thresholds), labels)``), in the metric's dtype."""
        dtype = self.dtype
        y_true = y_true.astype(dtype, copy=False)
        y_pred = y_pred.astype(dtype, copy=False)
        y_pred, y_true = _match_rank(y_pred, y_true)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: y_true must have the shape of y_pred "
                             f"{y_pred.shape} (or differ by a trailing axis of 1), got "
                             f"{y_true.shape}")
        if sample_weight is not None:
            sample_weight = sample_weight.astype(dtype, copy=False)[..., None]
            _, sample_weight = _match_rank(y_true, sample_weight, expand_rank_1=False)
        if top_k is not None:
            if y_pred.ndim == 0 or top_k > y_pred.shape[-1]:
                raise ValueError(f"{self.name}: top_k={top_k} exceeds the {y_pred.shape[-1]} "
                                 "predictions of a sample")
            y_pred = _filter_top_k(y_pred, top_k)
        if class_id is not None:
            if y_pred.ndim == 1:
                raise ValueError(f"{self.name}: with class_id, y_pred must have shape "
                                 f"(batch, classes); got {y_pred.shape}")
            if class_id >= y_pred.shape[-1]:
                raise ValueError(f"{self.name}: class_id={class_id} is not below the "
                                 f"{y_pred.shape[-1]} classes of y_pred")
            y_true = y_true[..., class_id, None]
            y_pred = y_pred[..., class_id, None]
        weights = None
        if sample_weight is not None:
            weights = _broadcast_weight(sample_weight, y_pred.shape, self.name)
        if label_weights is not None and not multi_label:
            spread = np.broadcast_to(label_weights[None], y_pred.shape)
            weights = spread if weights is None else weights * spread
        positive = y_true != 0
        shape = (-1, y_pred.shape[1]) if multi_label else (-1,)
        positive, y_pred = positive.reshape(shape), y_pred.reshape(shape)
        if weights is not None:
            weights = weights.astype(dtype, copy=False).reshape(shape)
        if evenly:
            tp, fp = self._bucket_counts(y_pred, positive, weights, thresholds)
        else:
            above = y_pred[None] > np.asarray(thresholds, dtype).reshape(
                (-1,) + (1,) * y_pred.ndim)
            true_weight = positive if weights is None else np.where(positive, weights, 0)
            false_weight = ~positive if weights is None else np.where(positive, 0, weights)
            tp = (above & positive).sum(axis=1, dtype=dtype) if weights is None else \
                np.where(above, true_weight, 0).sum(axis=1, dtype=dtype)
            fp = (above & ~positive).sum(axis=1, dtype=dtype) if weights is None else \
                np.where(above, false_weight, 0).sum(axis=1, dtype=dtype)
        if weights is None:
            positives = np.count_nonzero(positive, axis=0)
            total = y_pred.shape[0]
        else:
            positives = np.where(positive, weights, 0).sum(axis=0, dtype=dtype)
            total = weights.sum(axis=0, dtype=dtype)
        fn = (positives - tp).astype(dtype, copy=False)
        tn = ((total - positives) - fp).astype(dtype, copy=False)
        return tp, fp, tn, fn

    def _bucket_counts(self, y_pred, positive, weights, thresholds):
        """Keras's counting for evenly spaced thresholds: the prediction, clipped to
        [0, 1], falls in bucket ``ceil(p (n - 1)) - 1`` (bucket 0 too when the end
        thresholds lie outside [0, 1], as AUC's); the count at threshold ``i`` is the
        weight in buckets ``>= i``. A NaN prediction is in no bucket. One ``bincount``
        sums positives and negatives per bucket (and per label)."""
        dtype = self.dtype
        count = len(thresholds)
        columns = 1 if y_pred.ndim == 1 else y_pred.shape[1]
        bucket = np.clip(y_pred, dtype.type(0), dtype.type(1))
        bucket *= dtype.type(count - 1)
        np.ceil(bucket, out=bucket)
        bucket -= 1
        if thresholds[0] < 0.0 or thresholds[-1] > 1.0:     # end thresholds outside [0, 1]
            np.maximum(bucket, 0, out=bucket)
        valid = bucket >= 0                        # False for NaN and for bucket -1
        index = np.where(valid, bucket, 0).astype(np.intp)
        if columns > 1 or y_pred.ndim > 1:
            index *= columns
            index += np.arange(columns)
        index += (~positive) * (count * columns)   # negatives after positives
        if not valid.all():
            index = index[valid]
            weights = None if weights is None else weights[valid]
        sums = np.bincount(index.reshape(-1),
                           weights=None if weights is None else weights.reshape(-1),
                           minlength=2 * count * columns).astype(dtype)
        sums = sums.reshape((2, count, columns) if y_pred.ndim > 1 else (2, count))
        sums = sums[:, ::-1].cumsum(axis=1)[:, ::-1]          # weight in buckets >= i
        return sums[0], sums[1]

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch's weighted true/false positives/negatives.

        Parameters
        ----------
        y_true : array_like
            Targets of ``y_pred``'s shape (a trailing axis of 1 may differ); nonzero
            counts as positive.
        y_pred : array_like
            Predictions, compared with the thresholds.
        sample_weight : array_like, optional
            Weights of rank 0, or of ``y_true``'s rank (a sample's weight: shape
            ``(batch,)`` or ``(batch, 1)``), broadcast to ``y_true``.

        Raises
        ------
        TypeError
            If an argument is not real numbers.
        ValueError
            If the shapes do not match, ``y_pred`` is empty, ``y_true`` or
            ``sample_weight`` holds NaN or inf, ``sample_weight`` does not broadcast,
            or ``top_k`` / ``class_id`` exceed the classes of ``y_pred``.
        """
        self._update(*self._arrays(y_true, y_pred, sample_weight))

    def _model_update_state(self, y_true, y_pred, sample_weight=None):
        """:meth:`update_state` without the per-batch checks of values (a model checked
        its ``y`` once)."""
        self._update(*self._arrays(y_true, y_pred, sample_weight, checked=True))


class _PrecisionRecall(_Confusion):
    """Precision or Recall: ``tp / (tp + other)`` per threshold."""

    _other = None            # "fp" (precision) or "fn" (recall)

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        label = type(self).__name__
        if thresholds is not None:
            _check_threshold_list(thresholds, label)
        self.init_thresholds = (np.asarray(thresholds).tolist()
                                if isinstance(thresholds, (tuple, np.ndarray)) else thresholds)
        self.top_k = None if top_k is None else _checks.check_count(top_k, f"{label}: top_k")
        self.class_id = None if class_id is None else _checks.check_count(
            class_id, f"{label}: class_id", minimum=0)
        default = 0.5 if self.top_k is None else NEG_INF
        self.thresholds = ([default] if thresholds is None
                           else _check_threshold_list(thresholds, label))
        self._evenly = _evenly_spaced(self.thresholds)
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    _state_names = ("true_positives", "false_counts")

    def reset_state(self):
        """Set the counts to 0."""
        self.true_positives = np.zeros(len(self.thresholds), self.dtype)
        self.false_counts = np.zeros(len(self.thresholds), self.dtype)

    def _update(self, y_true, y_pred, sample_weight):
        tp, fp, _, fn = self._counts(y_true, y_pred, sample_weight, self.thresholds,
                                     self._evenly, self.top_k, self.class_id)
        self.true_positives += tp
        self.false_counts += fp if self._other == "fp" else fn

    def result(self):
        """The value as a float, or an array of one value per threshold."""
        value = _divide_no_nan(self.true_positives, self.true_positives + self.false_counts)
        return float(value[0]) if len(self.thresholds) == 1 else value.astype(np.float64)

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """Precision: the weighted share of predicted positives that are positive
    (Keras's ``keras.metrics.Precision``).

    Parameters
    ----------
    thresholds : float or list of float, optional
        Thresholds in [0, 1]: a prediction above one is a predicted positive; one value
        per threshold. If None: 0.5, or (with ``top_k``) no threshold at all.
    top_k : int, optional
        Only the ``k`` highest predictions of a sample count as predicted positives
        (the lower index first among equal scores).
    class_id : int, optional
        Only this class (index on the last axis) counts.
    name : str, optional
        Name of the metric; ``"precision"`` if None.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.

    Notes
    -----
    ``tp / (tp + fp)`` (0 while nothing is predicted positive), with weighted counts over
    every entry of every batch: an entry is a true positive at threshold :math:`t` when
    :math:`y \\neq 0` and :math:`\\hat y > t`. Keras's counting is reproduced exactly,
    also its bucketed count for three or more evenly spaced thresholds (predictions
    clipped to [0, 1] there). For logits (``from_logits=True`` losses) pass
    ``thresholds=0``.

    Examples
    --------
    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(m.result(), 6)
    0.666667
    >>> m = Precision(top_k=2)
    >>> m([0, 0, 1, 1], [1, 1, 1, 1])     # the first two scores count (ties: lower index)
    0.0
    """

    _default_name = "precision"
    _other = "fp"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, top_k=top_k, class_id=class_id, name=name,
                         dtype=dtype)

    @property
    def false_positives(self):
        """Weighted false positives per threshold."""
        return self.false_counts


class Recall(_PrecisionRecall):
    """Recall: the weighted share of positives predicted positive
    (Keras's ``keras.metrics.Recall``).

    Parameters
    ----------
    thresholds : float or list of float, optional
        Thresholds in [0, 1] (see :class:`Precision`).
    top_k : int, optional
        Only the ``k`` highest predictions of a sample count as predicted positives.
    class_id : int, optional
        Only this class (index on the last axis) counts.
    name : str, optional
        Name of the metric; ``"recall"`` if None.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.

    Notes
    -----
    ``tp / (tp + fn)`` (0 while there is no positive), counted as for
    :class:`Precision`.

    Examples
    --------
    >>> m = Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(m.result(), 6)
    0.666667
    >>> m.reset_state()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    >>> m.result()
    1.0
    """

    _default_name = "recall"
    _other = "fn"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, top_k=top_k, class_id=class_id, name=name,
                         dtype=dtype)

    @property
    def false_negatives(self):
        """Weighted false negatives per threshold."""
        return self.false_counts


_CURVES = {"ROC": "ROC", "roc": "ROC", "PR": "PR", "pr": "PR", "PRGAIN": "PRGAIN",
           "prgain": "PRGAIN"}
_SUMMATIONS = {"interpolation": "interpolation", "Interpolation": "interpolation",
               "majoring": "majoring", "Majoring": "majoring", "minoring": "minoring",
               "Minoring": "minoring"}


class AUC(_Confusion):
    """Area under the ROC or precision-recall curve, by a Riemann sum over thresholds
    (Keras's ``keras.metrics.AUC``).

    Parameters
    ----------
    num_thresholds : int, default 200
        Number of thresholds (> 1), evenly spaced: ``i / (num_thresholds - 1)`` with
        the ends moved to ``-1e-7`` and ``1 + 1e-7``. Ignored with ``thresholds``.
    curve : {"ROC", "PR", "PRGAIN"}, default "ROC"
        The curve: ROC (recall over false-positive rate), PR (precision over recall) or
        PR-gain.
    summation_method : {"interpolation", "minoring", "majoring"}, default "interpolation"
        Heights of the rectangles: the mean of the two ends (for PR: Davis & Goadrich's
        interpolation of the counts), their minimum or their maximum.
    name : str, optional
        Name of the metric; ``"auc"`` if None.
    dtype : {"float32", "float64"}, optional
        Dtype of the state; ``float32`` if None.
    thresholds : list of float, optional
        Thresholds in [0, 1] to use instead (sorted; ``-1e-7`` and ``1 + 1e-7`` added).
    multi_label : bool, default False
        With 2-d data, one curve per label (column), their areas averaged (weighted by
        ``label_weights``); otherwise every entry is one point of a single curve.
    num_labels : int, optional
        Number of labels with ``multi_label`` (else taken from the first batch).
    label_weights : array_like, optional
        Non-negative weight per label (column): of each label's area with
        ``multi_label``, of each entry's counts otherwise.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (a sigmoid is applied first).

    Notes
    -----
    With the weighted counts TP, FP, TN, FN at each threshold (:math:`\\hat y > t`),
    ROC uses :math:`x = FP / (FP + TN)`, :math:`y = TP / (TP + FN)` and the area
    :math:`\\sum_i (x_i - x_{i+1}) (y_i + y_{i+1}) / 2`. Keras's counting is
    reproduced exactly: for evenly spaced thresholds a prediction ``p`` (clipped to
    [0, 1]) counts at the thresholds below bucket ``max(ceil(p (n - 1)) - 1, 0)``.

    Examples
    --------
    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()      # thresholds [-1e-7, 0.5, 1 + 1e-7]: FPR [1, 0, 0], TPR [1, 0.5, 0]
    0.75
    """

    _default_name = "auc"
    _state_names = ("true_positives", "false_positives", "true_negatives", "false_negatives")

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        if not isinstance(curve, str) or curve not in _CURVES:
            raise ValueError(f"AUC: curve must be 'ROC', 'PR' or 'PRGAIN'; got {curve!r}")
        if not isinstance(summation_method, str) or summation_method not in _SUMMATIONS:
            raise ValueError("AUC: summation_method must be 'interpolation', 'majoring' or "
                             f"'minoring'; got {summation_method!r}")
        self.curve = _CURVES[curve]
        self.summation_method = _SUMMATIONS[summation_method]
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            if not isinstance(thresholds, (list, tuple, np.ndarray)):
                raise TypeError(f"AUC: thresholds must be a list of floats; got "
                                f"{thresholds!r}")
            inner = sorted(_check_threshold_list(thresholds, "AUC"))
            self.num_thresholds = len(inner) + 2
            self._evenly = _evenly_spaced([0.0] + inner + [1.0])
        else:
            num_thresholds = _checks.check_count(num_thresholds, "AUC: num_thresholds",
                                                 minimum=2)
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = np.array([0.0 - EPSILON] + inner + [1.0 + EPSILON])
        self.multi_label = _checks.check_flag(multi_label, "AUC: multi_label")
        if num_labels is not None:
            if not self.multi_label:
                raise ValueError("AUC: num_labels is needed only when multi_label is True")
            num_labels = _checks.check_count(num_labels, "AUC: num_labels")
        self.num_labels = num_labels
        self._num_labels = num_labels
        if label_weights is not None:
            label_weights = _checks.check_real_array(label_weights, "AUC: label_weights")
            if label_weights.ndim != 1 or not np.all(np.isfinite(label_weights)) \
                    or np.any(label_weights < 0):
                raise ValueError("AUC: label_weights must be a 1-d array of finite, "
                                 f"non-negative weights; got {label_weights!r}")
            if num_labels is not None and len(label_weights) != num_labels:
                raise ValueError(f"AUC: label_weights has {len(label_weights)} entries for "
                                 f"num_labels={num_labels}")
        self._from_logits = _checks.check_flag(from_logits, "AUC: from_logits")
        super().__init__(name=name, dtype=dtype)
        self.reset_state()
        self.label_weights = (None if label_weights is None
                              else label_weights.astype(self.dtype))

    @property
    def thresholds(self):
        """The thresholds, end points included, as a list of floats."""
        return [float(t) for t in self._thresholds]

    @property
    def from_logits(self):
        """Whether a sigmoid is applied to ``y_pred`` first."""
        return self._from_logits

    def reset_state(self):
        """Set the counts to 0 (with ``multi_label`` and no ``num_labels``, the counts
        are made by the first batch, which fixes the number of labels)."""
        if self.multi_label and self._num_labels is None:
            shape = None
        elif self.multi_label:
            shape = (self.num_thresholds, self._num_labels)
        else:
            shape = (self.num_thresholds,)
        for key in self._state_names:
            setattr(self, key, None if shape is None else np.zeros(shape, self.dtype))

    def _update(self, y_true, y_pred, sample_weight):
        if self.multi_label:
            if y_pred.ndim != 2:
                raise ValueError(f"{self.name}: with multi_label, y_pred must have shape "
                                 f"(batch, labels); got {y_pred.shape}")
            if self._num_labels is None:
                self._num_labels = y_pred.shape[1]
                self.reset_state()
            if y_pred.shape[1] != self._num_labels:
                raise ValueError(f"{self.name}: y_pred has {y_pred.shape[1]} labels, the "
                                 f"metric counts {self._num_labels}")
        elif self.label_weights is not None and (
                y_pred.ndim == 0 or y_pred.shape[-1] != len(self.label_weights)):
            raise ValueError(f"{self.name}: label_weights has {len(self.label_weights)} "
                             f"entries for y_pred of shape {y_pred.shape}")
        if self._from_logits:
            y_pred = _sigmoid(y_pred.astype(self.dtype, copy=False))
        tp, fp, tn, fn = self._counts(
            y_true, y_pred, sample_weight, self._thresholds, self._evenly,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights)
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def _average(self, by_label):
        if not self.multi_label:
            return by_label
        if self.label_weights is None:
            return by_label.mean() if by_label.size else self.dtype.type(0)
        return _divide_no_nan((by_label * self.label_weights).sum(), self.label_weights.sum())

    def _interpolate_pr_auc(self):
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        predicted = tp + fp
        dp = predicted[:-1] - predicted[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * predicted[1:]
        both = (predicted[:-1] > 0) & (predicted[1:] > 0)
        ratio = np.where(both, _divide_no_nan(predicted[:-1], np.maximum(predicted[1:], 0)),
                         1).astype(self.dtype)
        increment = _divide_no_nan(slope * (dtp + intercept * np.log(ratio)),
                                   np.maximum(tp[1:] + fn[1:], 0))
        return self._average(increment.sum(axis=0))

    def result(self):
        """The area as a float (0.0 before the first batch of a multi-label AUC)."""
        if self.true_positives is None:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            return float(self._interpolate_pr_auc())
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:
            # Keras's PR-gain: with no true positive the recall gain is 0 and the
            # precision gain 1; a negative recall gain is raised to 0
            scale = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scale * _divide_no_nan(fn, tp)
            precision_gain = 1.0 - scale * _divide_no_nan(fp, tp)
            x = np.maximum(np.where(tp == 0, 0.0, recall_gain), 0.0)
            y = np.where(tp == 0, 1.0, precision_gain)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(self._average(((x[:-1] - x[1:]) * heights).sum(axis=0)))

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": (None if self.label_weights is None
                                    else self.label_weights.tolist()),
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


# -- lookup ------------------------------------------------------------------------------

def _snake_case(name):
    """Keras's ``to_snake_case`` (``"TopKCategoricalAccuracy"`` ->
    ``"top_k_categorical_accuracy"``)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


_CLASSES = (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
            TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, MeanSquaredError,
            MeanAbsoluteError, Precision, Recall, AUC, Mean, Sum)

#: names accepted by :func:`get` (case and underscores ignored): Keras's snake-case class
#: names, its aliases ``mse`` and ``mae``, and ``acc``
_METRICS = {**{_snake_case(cls.__name__): cls for cls in _CLASSES},
            "acc": Accuracy, "mse": MeanSquaredError, "mae": MeanAbsoluteError}

_SERIALIZED_KEYS = {"class_name", "config", "module", "registered_name"}


def get(identifier):
    """The metric named, described or given by ``identifier`` (``keras.metrics.get``).

    Parameters
    ----------
    identifier : str, type, dict, Metric or callable
        A name (``"accuracy"``/``"acc"``, ``"binary_accuracy"``,
        ``"categorical_accuracy"``, ``"sparse_categorical_accuracy"``,
        ``"top_k_categorical_accuracy"``, ``"sparse_top_k_categorical_accuracy"``,
        ``"mse"``/``"mean_squared_error"``, ``"mae"``/``"mean_absolute_error"``,
        ``"precision"``, ``"recall"``, ``"auc"``, ``"mean"``, ``"sum"``; the class names
        too, case and underscores ignored): a new metric with default arguments. A
        :class:`Metric` subclass: a new instance. A dict ``{"class_name": ...,
        "config": {...}}`` as :meth:`Metric.get_config` gives (Keras's ``module`` and
        ``registered_name`` keys are accepted): ``from_config``. A :class:`Metric`:
        itself. Another callable ``fn(y_true, y_pred)``: a :class:`MeanMetricWrapper`.

    Returns
    -------
    Metric

    Raises
    ------
    ValueError
        If the name (or ``class_name``) is unknown (the message lists the names), or a
        dict has other keys.
    TypeError
        If ``identifier`` is of another kind (None included), or a class that is not a
        :class:`Metric`.

    Notes
    -----
    ``get("accuracy")`` is :class:`Accuracy` (exact equality), as in Keras; inside
    ``compile``, ``"accuracy"`` and ``"acc"`` are resolved from the shapes instead
    (:func:`resolve`).

    Examples
    --------
    >>> get("mse")
    MeanSquaredError(name='mean_squared_error', dtype='float32')
    >>> get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.0}}).threshold
    0.0
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        return lookup_name(identifier, _METRICS, "metrics")()
    if isinstance(identifier, dict):
        if "class_name" not in identifier or not set(identifier) <= _SERIALIZED_KEYS:
            raise ValueError("metrics: a metric config must be a dict with the keys "
                             f"'class_name' and 'config'; got keys {sorted(identifier)}")
        cls = lookup_name(identifier["class_name"], _METRICS, "metrics: class_name")
        return cls.from_config(identifier.get("config") or {})
    if isinstance(identifier, type):
        if issubclass(identifier, Metric) and identifier not in (Metric, MeanMetricWrapper):
            return identifier()
        raise TypeError(f"metrics: a class must be a Metric subclass such as "
                        f"BinaryAccuracy; got {identifier!r}")
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"metrics entries must be a metric name, a Metric (class, config dict "
                    f"or instance) or a function of (y_true, y_pred); got {identifier!r}")


def _check_data_shape(shape, name):
    if isinstance(shape, (str, bytes)) or not isinstance(shape, (tuple, list)) or not shape:
        raise TypeError(f"resolve: {name} must be a non-empty tuple of sizes (the batch axis "
                        f"included, None allowed); got {shape!r}")
    for size in shape:
        if size is not None and (isinstance(size, (bool, np.bool_))
                                 or not isinstance(size, numbers.Integral) or size < 0):
            raise TypeError(f"resolve: {name} must hold non-negative ints or None; got "
                            f"{shape!r}")
    return tuple(shape)


def resolve(identifier, y_true_shape, y_pred_shape, loss=None):
    """The metric that ``compile(metrics=[identifier])`` tracks, as Keras 3 builds it.

    Parameters
    ----------
    identifier : str, type, dict, Metric or callable
        An entry of ``metrics``; see :func:`get`.
    y_true_shape : tuple of int
        Shape of the targets, batch axis included (``y.shape``; ``None`` allowed for the
        batch).
    y_pred_shape : tuple of int
        Shape of the model's output, batch axis included (e.g. ``(None, 10)``).
    loss : Loss, optional
        The compiled loss. Keras 3 does not consult it, and neither does this function:
        it is accepted so that a caller can pass it, and checked to be callable.

    Returns
    -------
    Metric
        A new metric (or ``identifier`` itself if it is one). A string keeps its
        spelling as the metric's name, which is the key in the logs (``"acc"`` stays
        ``"acc"``, ``"mse"`` stays ``"mse"``).

    Raises
    ------
    TypeError, ValueError
        As :func:`get`; TypeError if a shape is not a non-empty tuple of sizes or
        ``loss`` is not callable.

    Notes
    -----
    For ``"accuracy"`` and ``"acc"`` (any case), Keras 3's rule on the shapes:

    * the output's last axis has size 1: :class:`BinaryAccuracy` (threshold 0.5);
    * else, targets of lower rank than the output, or with last axis 1 where the
      output's is larger: :class:`SparseCategoricalAccuracy`;
    * else :class:`CategoricalAccuracy`.

    So binary crossentropy on 3 outputs (multi-label) reports categorical accuracy, MSE
    on 1 output reports binary accuracy (targets must equal 0 or 1 exactly), and a
    binary crossentropy ``from_logits=True`` still thresholds the logits at 0.5 (Keras
    3 and TensorFlow's Keras alike; use ``BinaryAccuracy(threshold=0.0)`` for logits).

    Examples
    --------
    >>> resolve("acc", (100,), (None, 10))
    SparseCategoricalAccuracy(name='acc', dtype='float32')
    >>> resolve("accuracy", (100, 3), (None, 3)).name
    'accuracy'
    >>> resolve("accuracy", (100, 1), (None, 1))
    BinaryAccuracy(name='accuracy', dtype='float32', threshold=0.5)
    """
    y_true_shape = _check_data_shape(y_true_shape, "y_true_shape")
    y_pred_shape = _check_data_shape(y_pred_shape, "y_pred_shape")
    if loss is not None and not callable(loss):
        raise TypeError(f"resolve: loss must be a Loss or None; got {loss!r}")
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        if y_pred_shape[-1] == 1:
            return BinaryAccuracy(name=identifier)
        if len(y_true_shape) < len(y_pred_shape) or (
                y_true_shape[-1] == 1 and (y_pred_shape[-1] is None or y_pred_shape[-1] > 1)):
            return SparseCategoricalAccuracy(name=identifier)
        return CategoricalAccuracy(name=identifier)
    metric = get(identifier)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric

