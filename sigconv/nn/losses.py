r"""Losses with Keras's formulas and their gradients (``sigconv.nn.losses``).

Every loss is an object with

* ``loss(y_true, y_pred, sample_weight=None)``: Keras 3's value. The loss computes one
  value per sample (per row of class scores: ``y_pred``'s shape without its last axis),
  multiplies it by ``sample_weight`` if given, and reduces as ``reduction`` says; by
  default (``"sum_over_batch_size"``) the sum divided by the number of values, which
  without weights is the batch mean. A float, in the dtype of ``y_pred``; an array for
  ``reduction=None``;
* ``loss.gradient(y_true, y_pred, sample_weight=None) -> ndarray``: the exact gradient of
  that value with respect to ``y_pred`` (the ``1/batch`` factor and the weights
  included), same shape and dtype as ``y_pred``.

The two categorical losses also have ``gradient_from_softmax(y_true, probabilities,
sample_weight=None)``, the fused gradient with respect to the *logits* of a softmax whose
output is ``probabilities``: :math:`w_i (p - y) / n` for one-hot or probability targets.
A model whose last layer is a softmax calls it instead of chaining the loss gradient
through the softmax Jacobian. The functions :func:`categorical_crossentropy`,
:func:`sparse_categorical_crossentropy`, :func:`binary_crossentropy` and
:func:`mean_squared_error` give the per-sample values, as Keras's functions of these
names do; :func:`class_weight_to_sample_weight` turns ``fit``'s ``class_weight`` into
per-sample weights by Keras's rule.

Class scores are on the last axis; every other axis counts as batch (``n`` rows).
``y_pred`` of an integer or boolean dtype is computed in float64; ``y_true`` and
``sample_weight`` are cast to the dtype of ``y_pred`` (Keras casts all three to its
``floatx``, float32 by default). Probabilities are clipped to :data:`EPSILON` ``= 1e-7``
(Keras's ``backend.epsilon()``) away from 0 and 1; clipped entries have zero derivative.

Notes
-----
With per-sample values :math:`v` (shape ``y_pred.shape[:-1]``) and weights :math:`w`,
Keras 3 first matches their ranks (a trailing axis of length 1 on one side is dropped, or
added to a rank-1 side), then broadcasts :math:`u = v w` and reduces:

* ``"sum_over_batch_size"`` (default) and ``"mean"``: :math:`\sum u / \operatorname{size}(u)`;
* ``"sum"``: :math:`\sum u`;
* ``"mean_with_sample_weight"``: :math:`\sum u / \sum w` (0 where :math:`\sum w = 0`;
  without weights, as ``"sum_over_batch_size"``);
* ``None`` or ``"none"``: :math:`u` itself; its gradient is that of :math:`\sum u`
  (TensorFlow's gradient of a non-scalar).

A scalar :math:`u` (a 1-d ``y_pred`` is one sample) is returned as it is, whatever the
reduction, as in Keras. The divisor counts values, not weights: weights of zero lower
the loss rather than dropping samples from the mean.
"""

import contextvars
import math
import numbers
from collections.abc import Mapping

import numpy as np

from .._validate import lookup_name
from . import _checks

__all__ = [
    "EPSILON",
    "Loss",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "BinaryCrossentropy",
    "MeanSquaredError",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_crossentropy",
    "mean_squared_error",
    "class_weight_to_sample_weight",
    "get_loss",
]

#: Keras's fuzz factor: probabilities are clipped to ``[EPSILON, 1 - EPSILON]``
EPSILON = 1e-7

#: set while a model trains or evaluates: there an overflow shows as an inf/NaN loss
#: (divergence, as in Keras); a loss called by itself raises OverflowError instead
_in_model = contextvars.ContextVar("sigconv_nn_loss_in_model", default=False)


class _model_pass:
    """``with _model_pass():`` marks a model's own pass (a class: entered every step)."""

    __slots__ = ("_token",)

    def __enter__(self):
        self._token = _in_model.set(True)

    def __exit__(self, *exc_info):
        _in_model.reset(self._token)


def _guarded(compute, y_true, y_pred, what):
    """``compute(y_true, y_pred)``; outside a model, an OverflowError if finite inputs
    give a non-finite result (never a silent inf or NaN from an overflow)."""
    if _in_model.get():
        return compute(y_true, y_pred)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = compute(y_true, y_pred)
    if not _checks.all_finite(np.asarray(result, dtype=np.float64)) \
            and _checks.all_finite(y_pred):
        raise OverflowError(f"the {what} overflows {y_pred.dtype} for the finite y_true and "
                            f"y_pred (|y_pred| up to {float(np.abs(y_pred).max()):.3g}); "
                            "scale them down")
    return result


def _as_prediction(y_pred):
    """``y_pred`` as a non-empty floating array (no copy if it is one).

    NaN is not refused: a diverging network's NaN must reach the loss (and the logs, and
    :class:`~sigconv.nn.TerminateOnNaN`), as in Keras.
    """
    y_pred = _checks.check_real_array(y_pred, "y_pred")
    if y_pred.ndim == 0 or y_pred.size == 0:
        raise ValueError(f"y_pred must have at least one dimension and one element, got "
                         f"shape {y_pred.shape}")
    dtype = y_pred.dtype if y_pred.dtype.kind == "f" else np.dtype(np.float64)
    # a loss holds y_true cast to y_pred's dtype, the clipped or normalized predictions,
    # their logarithms and the result; labels and row sums are smaller (a broadcast view
    # costs nothing, these temporaries do)
    _checks.check_allocation("y_pred, y_true", y_pred.shape, dtype,
                         _TEMPORARIES + (dtype != y_pred.dtype), "the loss's temporaries")
    return y_pred if y_pred.dtype == dtype else y_pred.astype(dtype)


#: arrays of y_pred's size that a loss or gradient holds at its peak (a bound: binary
#: crossentropy measures 5, plus y_true cast to y_pred's dtype)
_TEMPORARIES = 6


def _as_target(y_true, y_pred, checked=False):
    """``y_true`` as an array of ``y_pred``'s dtype and shape.

    As in Keras, a trailing axis of length 1 on one side only is dropped or added
    (``(batch,)`` targets for ``(batch, 1)`` predictions and the reverse). Targets must be
    real numbers (strings are not read as numbers) and finite: unlike a prediction, a
    target has no divergence to report, so NaN there is an error in the data. ``checked``:
    a model checked that for all of its ``y`` once (the batch is a NumPy array of it).
    """
    if not checked:
        y_true = _checks.check_real_array(y_true, "y_true")
    if y_true.shape != y_pred.shape:
        if not ((y_true.shape + (1,) == y_pred.shape)
                or (y_true.shape == y_pred.shape + (1,))):
            raise ValueError(f"y_true must have the shape of y_pred {y_pred.shape}, got "
                             f"{y_true.shape}")
        y_true = y_true.reshape(y_pred.shape)
    if not checked:
        _checks.check_finite(y_true, "y_true")
    return y_true.astype(y_pred.dtype, copy=False)


def _clip_probabilities(probabilities, out=None):
    """``clip(probabilities, EPSILON, 1 - EPSILON)`` (``np.clip`` has more call overhead)."""
    out = np.maximum(probabilities, EPSILON, out=out)
    return np.minimum(out, 1.0 - EPSILON, out=out)


def _softmax(logits):
    """Softmax over the last axis of a 2-d array (a new array)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=-1, keepdims=True)
    return shifted


def _log_softmax(logits):
    """Log-softmax over the last axis of a 2-d array (a new array)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def _row_sums(rows):
    """The rows' sums, by which probabilities are normalized; outside a model, an
    OverflowError if finite rows sum to infinity (the normalized probabilities would all
    round to 0 and be clipped: a finite, wrong loss)."""
    total = np.add.reduce(rows, axis=-1, keepdims=True)
    if not _in_model.get() and not _checks.all_finite(total) and _checks.all_finite(rows):
        raise OverflowError(f"the loss overflows {rows.dtype}: rows of y_pred sum beyond "
                            "its range; scale them down")
    return total


def _sigmoid(z):
    """Logistic function without overflow: ``exp(-|z|)`` is never above 1."""
    decay = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, decay) / (1.0 + decay)


#: Keras 3's reductions (``keras.losses.Loss(reduction=...)``)
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

#: the reductions that, without weights, divide the sum by the number of values
_MEAN_REDUCTIONS = frozenset({"sum_over_batch_size", "mean", "mean_with_sample_weight"})


def _check_reduction(reduction):
    """``reduction`` if it is one of :data:`REDUCTIONS` (kept as given: ``None`` stays
    ``None``), else ValueError, as Keras's ``standardize_reduction``."""
    if not (reduction is None or isinstance(reduction, str)) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}; got {reduction!r}")
    return reduction


def _align(values_shape, weight):
    """Keras's ``squeeze_or_expand_to_same_rank`` for the per-sample values and the
    weights: ``(values_shape, weight)`` after dropping a trailing axis of length 1 from
    the side of higher rank by one, or adding one to the other side where that is of rank
    1. Only shapes change (``weight`` is reshaped, never copied)."""
    values_rank, weight_rank = len(values_shape), weight.ndim
    if values_rank == weight_rank + 1 and values_shape[-1] == 1:
        if weight_rank == 1:
            weight = weight[:, None]
        else:
            values_shape = values_shape[:-1]
    elif weight_rank == values_rank + 1 and weight.shape[-1] == 1:
        if values_rank == 1:
            values_shape = values_shape + (1,)
        else:
            weight = weight[..., 0]
    return values_shape, weight


def _weighted_shape(values_shape, weight):
    """``(aligned values shape, aligned weight, shape of values * weight)``; a NumPy
    ValueError if they do not broadcast."""
    aligned_shape, weight = _align(values_shape, weight)
    return aligned_shape, weight, np.broadcast_shapes(aligned_shape, weight.shape)


def _as_sample_weight(sample_weight, y_pred, values_shape):
    """``sample_weight`` checked for ``y_pred``, as an array of ``y_pred``'s dtype.

    Real numbers (booleans count as 0 and 1, as in Keras), finite (Keras would give a NaN
    loss), not empty, within the range of ``y_pred``'s dtype, and broadcasting against
    the per-sample values by Keras's rule. Negative weights are kept, as Keras keeps them.
    """
    weight = _checks.check_real_array(sample_weight, "sample_weight")
    if weight.size == 0:
        raise ValueError(f"sample_weight must not be empty, got shape {weight.shape}")
    _checks.check_finite(weight, "sample_weight")
    with np.errstate(over="ignore"):
        weight = weight.astype(y_pred.dtype, copy=False)
    if not _checks.all_finite(weight):
        raise ValueError(f"sample_weight holds values beyond the range of y_pred's dtype "
                         f"{y_pred.dtype}")
    try:
        shape = _weighted_shape(values_shape, weight)[2]
    except ValueError:
        raise ValueError(
            f"sample_weight of shape {weight.shape} does not broadcast against the "
            f"per-sample losses of shape {values_shape} (y_pred's shape {y_pred.shape} "
            "without its last axis); give one weight per sample, shape "
            f"{values_shape} or {values_shape + (1,)}") from None
    _checks.check_allocation("sample_weight", shape, y_pred.dtype, copies=2,
                             what="the weighted losses")
    return weight


def _check_sample_weight(sample_weight, n_samples, output_shape=None):
    """``fit``'s ``sample_weight`` checked once for all of its samples: real numbers
    (booleans count as 0 and 1), finite, with ``n_samples`` entries on its first axis,
    and, given the model's ``output_shape`` (one sample's, without the batch axis; not
    checked where it holds None), of a shape the loss can weigh each batch's per-sample
    values by, without broadcasting them to a larger shape. A float64 array (no copy
    of a float64 one); a batch of it goes to the model's loss as it is.

    Raises
    ------
    TypeError
        If ``sample_weight`` is not real numbers.
    ValueError
        If it has no axis, another number of samples, NaN or inf, or a shape that does not
        match the per-sample losses (``(n_samples,)`` always does).
    """
    weight = _checks.check_real_array(sample_weight, "sample_weight")
    if weight.ndim == 0 or len(weight) != n_samples:
        raise ValueError(f"sample_weight must hold one weight per sample: {n_samples} on "
                         f"its first axis; got shape {weight.shape}")
    _checks.check_finite(weight, "sample_weight")
    weight = weight.astype(np.float64, copy=False)
    if output_shape is not None and None not in tuple(output_shape):
        values_shape = (n_samples,) + tuple(output_shape)[:-1]
        try:
            aligned_shape, _, shape = _weighted_shape(values_shape, weight)
        except ValueError:
            aligned_shape = shape = None
        if shape is None or shape != aligned_shape:   # no broadcast beyond the values
            raise ValueError(
                f"sample_weight of shape {weight.shape} does not match the per-sample "
                f"losses of shape {values_shape} (the model's output without its last "
                f"axis); give one weight per sample, shape ({n_samples},)")
    return weight


def _reduce(values, weight, reduction):
    """Keras's ``reduce_weighted_values`` of the per-sample ``values`` (an array of the
    loss's dtype) by the checked ``weight`` (or None): a scalar, or an array for
    ``reduction`` None/``"none"``."""
    if weight is not None:
        shape, weight = _align(values.shape, weight)
        values = values.reshape(shape) * weight
    if reduction is None or reduction == "none" or values.ndim == 0:
        return values
    total = np.add.reduce(values, axis=None)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weight is not None:
        divisor = np.add.reduce(weight, axis=None)
    else:
        divisor = values.dtype.type(values.size)
    return total / divisor if divisor != 0 else values.dtype.type(0.0)  # divide_no_nan


def _scale(values_shape, weight, reduction, dtype):
    """The derivative of :func:`_reduce`'s value with respect to each per-sample value
    (an array of ``values_shape`` and ``dtype``); for None/``"none"``, of the sum of the
    weighted values. The weights broadcast over by ``values * weight`` add up."""
    dtype = np.dtype(dtype)
    if weight is None:
        size = math.prod(values_shape)
        per_value = (dtype.type(1.0) if reduction in ("sum", "none", None) or not values_shape
                     else dtype.type(1.0) / dtype.type(size))
        return np.full(values_shape, per_value, dtype=dtype)
    aligned_shape, weight, shape = _weighted_shape(values_shape, weight)
    scale = np.broadcast_to(weight, shape)
    extra = len(shape) - len(aligned_shape)
    axes = tuple(range(extra)) + tuple(extra + axis for axis, size in enumerate(aligned_shape)
                                       if size == 1 and shape[extra + axis] != 1)
    if axes:
        scale = np.add.reduce(scale, axis=axes, keepdims=True)[(0,) * extra]
    scale = np.array(scale, dtype=dtype).reshape(values_shape)
    if reduction in ("sum", "none", None) or not shape:
        return scale
    if reduction == "mean_with_sample_weight":
        divisor = np.add.reduce(weight, axis=None)
    else:
        divisor = dtype.type(math.prod(shape))
    if divisor == 0:
        return np.zeros(values_shape, dtype=dtype)
    scale /= divisor
    return scale


class Loss(_checks.FromConfig):
    """Base class: ``loss(y_true, y_pred, sample_weight=None)`` is Keras 3's reduced
    value, ``loss.gradient`` its gradient.

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None}
        How the (weighted) per-sample values are reduced, as in Keras 3 (see the module's
        Notes); ``"mean"`` is ``"sum_over_batch_size"``.
    name : str, optional
        The loss's name; by default Keras's (``"categorical_crossentropy"``, ...).

    Attributes
    ----------
    name : str
        The loss's name.
    reduction : str or None
        As given.

    Raises
    ------
    ValueError
        If ``reduction`` is not one of Keras's.
    TypeError
        If ``name`` is not a non-empty string.
    """

    name = "loss"
    #: class defaults, for subclasses (a user's too) whose constructor does not call ours
    reduction = "sum_over_batch_size"
    _mean_reduction = True

    def __init__(self, reduction="sum_over_batch_size", name=None):
        self.reduction = _check_reduction(reduction)
        # without weights, these reductions are the batch mean: the unweighted fast path
        self._mean_reduction = reduction in _MEAN_REDUCTIONS
        name = _checks.check_name(name)
        if name is not None:
            self.name = name

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The loss of the batch, reduced as ``reduction`` says (by default its mean).

        Parameters
        ----------
        y_true : array_like
            Targets.
        y_pred : array_like
            Predictions (probabilities, or logits with ``from_logits=True``).
        sample_weight : array_like, optional
            Weights of the per-sample values (shape ``y_pred.shape[:-1]``, e.g.
            ``(batch,)``; a scalar, or any shape that broadcasts against them by Keras's
            rule, see the module's Notes). Negative weights are allowed, as in Keras.

        Returns
        -------
        float or numpy.ndarray
            The reduced value; with ``reduction`` None or ``"none"``, the array of the
            weighted per-sample values (in ``y_pred``'s floating dtype).

        Raises
        ------
        TypeError
            If ``y_true``, ``y_pred`` or ``sample_weight`` is not real numbers (strings,
            objects, ragged).
        ValueError
            If the shapes do not match, ``y_pred`` is empty, ``y_true`` or
            ``sample_weight`` holds NaN or inf, ``sample_weight`` is empty or does not
            broadcast against the per-sample values, or (sparse) a label is out of range.
        OverflowError
            If the loss of finite ``y_true`` and ``y_pred`` overflows (inside
            :meth:`Sequential.fit` it becomes an inf/NaN loss instead, as in Keras).
        MemoryError
            If the temporaries of ``y_pred``'s size could not fit in memory (a huge
            broadcast view costs nothing, they do); checked before allocating.
        """
        y_pred = _as_prediction(y_pred)
        if sample_weight is None and self._mean_reduction:
            return float(_guarded(self._value, y_true, y_pred, "loss"))
        weight = None if sample_weight is None else _as_sample_weight(
            sample_weight, y_pred, self._values_shape(y_true, y_pred))
        result = _guarded(lambda y, p: _reduce(self._per_sample(y, p), weight, self.reduction),
                          y_true, y_pred, "loss")
        if self.reduction is None or self.reduction == "none":
            return np.asarray(result)
        return float(result)

    def gradient(self, y_true, y_pred, sample_weight=None):
        """Gradient of the loss's value with respect to ``y_pred``.

        Parameters
        ----------
        y_true : array_like
            Targets.
        y_pred : array_like
            Predictions (probabilities, or logits with ``from_logits=True``).
        sample_weight : array_like, optional
            Weights, as for calling the loss.

        Returns
        -------
        numpy.ndarray
            New array of ``y_pred``'s shape and (floating) dtype; with ``reduction`` None
            or ``"none"``, the gradient of the sum of the weighted per-sample values (what
            TensorFlow gives for a non-scalar loss).

        Raises
        ------
        TypeError, ValueError, OverflowError, MemoryError
            As for calling the loss.
        """
        y_pred = _as_prediction(y_pred)
        if sample_weight is None and self._mean_reduction:
            return _guarded(self._gradient, y_true, y_pred, "gradient")
        values_shape = self._values_shape(y_true, y_pred)
        weight = (None if sample_weight is None
                  else _as_sample_weight(sample_weight, y_pred, values_shape))
        scale = _scale(values_shape, weight, self.reduction, y_pred.dtype)
        return _guarded(lambda y, p: self._gradient(y, p, scale=scale), y_true, y_pred,
                        "gradient")

    def _model_weight(self, sample_weight, y_pred):
        """A batch of :func:`_check_sample_weight`'s array as the model's loss takes it."""
        return np.asarray(sample_weight).astype(y_pred.dtype, copy=False)

    def _model_value(self, y_true, y_pred, sample_weight=None):
        """The loss inside :class:`~sigconv.nn.Sequential`, whose public call checked all
        of ``y`` once (real, finite, the loss's target shape, labels in range), of
        ``sample_weight`` (:func:`_check_sample_weight`, then sliced to the batch) and the
        memory of these temporaries; ``y_pred`` is the model's floating output.

        A float: with ``reduction`` None or ``"none"``, the mean of the weighted
        per-sample values (what Keras's ``fit`` logs for such a loss).
        """
        if sample_weight is None and self._mean_reduction:
            return float(self._value(y_true, y_pred, checked=True))
        weight = None if sample_weight is None else self._model_weight(sample_weight, y_pred)
        value = _reduce(self._per_sample(y_true, y_pred, checked=True), weight,
                        self.reduction)
        return float(np.mean(value))

    def _model_gradient(self, y_true, y_pred, sample_weight=None):
        """:meth:`gradient` inside a model (see :meth:`_model_value`); with ``reduction``
        None or ``"none"``, the gradient of the sum, as TensorFlow's Keras trains."""
        if sample_weight is None and self._mean_reduction:
            return self._gradient(y_true, y_pred, checked=True)
        weight = None if sample_weight is None else self._model_weight(sample_weight, y_pred)
        scale = _scale(self._values_shape(y_true, y_pred), weight, self.reduction,
                       y_pred.dtype)
        return self._gradient(y_true, y_pred, checked=True, scale=scale)

    @staticmethod
    def _values_shape(y_true, y_pred):
        """The shape of the per-sample values: ``y_pred``'s without its last axis."""
        return y_pred.shape[:-1]

    def get_config(self):
        """The constructor arguments, such that ``cls.from_config(config)`` is equal.

        ``reduction`` and ``name`` appear where they are not the defaults (Keras always
        writes them; a config without them means the defaults in both).
        """
        config = {}
        if self.reduction != "sum_over_batch_size":
            config["reduction"] = self.reduction
        if self.name != type(self).name:
            config["name"] = self.name
        return config

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class _Crossentropy(Loss):
    """Categorical crossentropy over the last axis, for a target kind chosen by subclasses.

    A subclass turns ``y_true`` into a *target* (:meth:`_target`) and provides the two
    operations through which every formula here sees it, for a 2-d ``a`` of the rows'
    shape: ``_weighted_sum(target, a)``, the per-row :math:`\\sum_j y_j a_j`, and
    ``_subtract_weighted(target, out, a)``, :math:`out_j \\mathrel{-}= y_j a_j` (``a``
    may be a scalar).
    """

    def __init__(self, from_logits=False, *, reduction="sum_over_batch_size", name=None):
        self.from_logits = _checks.check_flag(from_logits, "from_logits")
        super().__init__(reduction=reduction, name=name)

    def get_config(self):
        return {"from_logits": self.from_logits, **super().get_config()}

    def _rows(self, y_true, y_pred, checked=False):
        rows = y_pred.reshape(-1, y_pred.shape[-1])
        return self._target(y_true, y_pred, checked), rows

    def _log_probabilities(self, rows):
        """Log-probabilities of the rows: log-softmax of logits, or the log of the
        normalized, clipped probabilities (a new array)."""
        if self.from_logits:
            return _log_softmax(rows)
        normalized = rows / _row_sums(rows)
        return np.log(_clip_probabilities(normalized, out=normalized), out=normalized)

    def _value(self, y_true, y_pred, checked=False):
        target, rows = self._rows(y_true, y_pred, checked)
        return -self._weighted_sum(target, self._log_probabilities(rows)).sum() / len(rows)

    def _per_sample(self, y_true, y_pred, checked=False):
        """The loss of each row, shape ``y_pred.shape[:-1]`` (Keras's ``call``)."""
        target, rows = self._rows(y_true, y_pred, checked)
        values = self._weighted_sum(target, self._log_probabilities(rows))
        return np.negative(values, out=values).reshape(y_pred.shape[:-1])

    def _gradient(self, y_true, y_pred, checked=False, scale=None):
        r"""Gradient of the batch mean, or with ``scale`` (an array of the per-sample
        values' shape), of :math:`\sum_i s_i \ell_i`."""
        target, rows = self._rows(y_true, y_pred, checked)
        if self.from_logits:
            return self._softmax_gradient(target, _softmax(rows), scale).reshape(
                y_pred.shape)
        # L = -(1/n) sum_j y_j log(clip(q_j)), q = p / s with s = sum_j p_j, so that
        # dL/dp_k = (sum_j y_j u_j - y_k u_k / q_k) / (n s), u = 1 where q is not clipped
        # (with a scale, s_i takes the place of 1/n)
        total = _row_sums(rows)
        normalized = rows / total
        kept = (normalized >= EPSILON) & (normalized <= 1.0 - EPSILON)
        weights = np.divide(kept, normalized, out=np.zeros_like(normalized), where=kept)
        grad = np.empty_like(rows)
        grad[...] = self._weighted_sum(target, kept)[:, None]
        self._subtract_weighted(target, grad, weights)
        if scale is None:
            total *= len(rows)
            grad /= total
        else:
            grad /= total
            grad *= scale.reshape(-1, 1)
        return grad.reshape(y_pred.shape)

    def gradient_from_softmax(self, y_true, probabilities, sample_weight=None):
        """Gradient of the loss with respect to the logits of a softmax.

        Fuses this loss (with logits) and the softmax's Jacobian:
        ``(p * sum(y) - y) / n`` per row, which is ``(p - y) / n`` for one-hot or
        probability targets (``p - onehot(label)`` for sparse labels), with ``n`` the
        number of rows; with ``sample_weight`` (or another ``reduction``), row ``i`` is
        scaled by the derivative of the reduced value with respect to its loss instead
        of ``1/n`` (``w_i / n`` for weights of shape ``(n,)`` and the default
        reduction).

        Parameters
        ----------
        y_true : array_like
            Targets, as for calling the loss.
        probabilities : array_like
            The softmax output (rows summing to 1) for which the gradient is taken.
        sample_weight : array_like, optional
            Weights, as for calling the loss: the gradient is that of the weighted,
            reduced value (per row, times the row's weight over the reduction's
            divisor instead of ``1/n``).

        Returns
        -------
        numpy.ndarray
            New array of ``probabilities``' shape and dtype: the gradient with respect to
            the logits that the softmax was applied to.

        Raises
        ------
        TypeError, ValueError, MemoryError
            As for calling the loss; called by itself (not inside
            :meth:`Sequential.fit`), also a ValueError if ``probabilities`` holds values
            outside ``[0, 1]`` (they are no softmax output, and the formula would give a
            gradient of nothing).

        Notes
        -----
        With :math:`L = -\\frac1n \\sum_j y_j \\log \\operatorname{softmax}(z)_j`,
        :math:`\\partial L / \\partial z_k = (p_k \\sum_j y_j - y_k) / n`. This is the
        gradient of the ``from_logits=True`` loss; the probability path of Keras clips
        probabilities at ``1e-7``, which changes the gradient only where a probability
        is below ``1e-7`` or above ``1 - 1e-7``.
        """
        probabilities = _as_prediction(probabilities)
        if not _in_model.get() and probabilities.size and _checks.all_finite(probabilities) \
                and not 0.0 <= probabilities.min() <= probabilities.max() <= 1.0:
            raise ValueError(f"probabilities must be a softmax output, in [0, 1]; got values "
                             f"from {probabilities.min()} to {probabilities.max()}")
        scale = None
        if sample_weight is not None or not self._mean_reduction:
            weight = (None if sample_weight is None
                      else _as_sample_weight(sample_weight, probabilities,
                                             probabilities.shape[:-1]))
            scale = _scale(probabilities.shape[:-1], weight, self.reduction,
                           probabilities.dtype)
        target, rows = self._rows(y_true, probabilities)
        return self._softmax_gradient(target, rows, scale).reshape(probabilities.shape)

    def _model_gradient_from_softmax(self, y_true, probabilities, sample_weight=None):
        """:meth:`gradient_from_softmax` inside a model (see :meth:`Loss._model_value`)."""
        scale = None
        if sample_weight is not None or not self._mean_reduction:
            weight = (None if sample_weight is None
                      else self._model_weight(sample_weight, probabilities))
            scale = _scale(probabilities.shape[:-1], weight, self.reduction,
                           probabilities.dtype)
        target, rows = self._rows(y_true, probabilities, checked=True)
        return self._softmax_gradient(target, rows, scale).reshape(probabilities.shape)

    def _softmax_gradient(self, target, probabilities, scale=None):
        grad = probabilities * self._target_total(target)
        self._subtract_weighted(target, grad, 1.0)
        if scale is None:
            grad *= 1.0 / len(probabilities)
        else:
            grad *= scale.reshape(-1, 1)
        return grad


class CategoricalCrossentropy(_Crossentropy):
    """Crossentropy between one-hot (or probability) targets and predicted classes.

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (softmax applied inside, via log-sum-exp) or
        probabilities.
    reduction : {"sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None}
        How the (weighted) per-sample values are reduced, as in Keras 3 (keyword only:
        Keras has arguments this class lacks before it).
    name : str, optional
        Defaults to Keras's name, ``"categorical_crossentropy"``.

    See Also
    --------
    SparseCategoricalCrossentropy : the same with integer labels.

    Notes
    -----
    With probabilities (Keras's formula), per row:

    .. math::

        q = \\operatorname{clip}\\!\\left(\\frac{p}{\\sum_j p_j}, \\epsilon, 1 - \\epsilon
        \\right), \\qquad \\ell = -\\sum_j y_j \\log q_j,

    with :math:`\\epsilon = 10^{-7}`; with logits
    :math:`\\ell = -\\sum_j y_j (z_j - \\operatorname{logsumexp}(z))`. The loss reduces
    the rows' :math:`\\ell` (times ``sample_weight``) as ``reduction`` says; by default
    it is their mean. :meth:`gradient_from_softmax` gives the gradient with
    respect to the logits of a softmax output.

    Examples
    --------
    >>> loss = CategoricalCrossentropy()
    >>> y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
    >>> round(loss(y_true, y_pred), 6)          # (-log 0.95 - log 0.1) / 2
    1.176939
    >>> loss.gradient_from_softmax(y_true, y_pred)
    array([[ 0.025, -0.025,  0.   ],
           [ 0.05 ,  0.4  , -0.45 ]])

    Weights and reductions, as in Keras's examples:

    >>> round(loss(y_true, y_pred, sample_weight=[0.3, 0.7]), 3)   # (0.3 l1 + 0.7 l2) / 2
    0.814
    >>> round(CategoricalCrossentropy(reduction="sum")(y_true, y_pred), 3)
    2.354
    >>> CategoricalCrossentropy(reduction=None)(y_true, y_pred)
    array([0.05129329, 2.30258509])
    """

    name = "categorical_crossentropy"

    def _target(self, y_true, y_pred, checked=False):
        return _as_target(y_true, y_pred, checked).reshape(-1, y_pred.shape[-1])

    @staticmethod
    def _weighted_sum(target, values):
        return np.einsum("ij,ij->i", target, values)

    @staticmethod
    def _subtract_weighted(target, out, values):
        out -= target * values if np.ndim(values) else target

    @staticmethod
    def _target_total(target):
        return target.sum(axis=-1, keepdims=True)


class SparseCategoricalCrossentropy(_Crossentropy):
    """Crossentropy between integer class labels and predicted classes.

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds logits or probabilities.
    reduction : {"sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None}
        How the (weighted) per-sample values are reduced, as in Keras 3 (keyword only:
        Keras has arguments this class lacks before it).
    name : str, optional
        Defaults to Keras's name, ``"sparse_categorical_crossentropy"``.

    See Also
    --------
    CategoricalCrossentropy : the same with one-hot targets.

    Notes
    -----
    ``y_true`` holds one label per row of ``y_pred``: shape ``y_pred.shape[:-1]`` (e.g.
    ``(batch,)``) or that with a trailing 1 (``(batch, 1)``), of an integer dtype or
    floats with integer values, each in ``[0, n_classes)``. The loss equals
    :class:`CategoricalCrossentropy` of the one-hot labels.

    Examples
    --------
    >>> loss = SparseCategoricalCrossentropy(from_logits=True)
    >>> logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]], dtype=np.float32)
    >>> value = loss([0, 1], logits)
    >>> round(value, 5)          # (logsumexp(row) - logit at the label), averaged
    0.31854
    >>> grad = loss.gradient([0, 1], logits)
    >>> grad.dtype, grad.shape
    (dtype('float32'), (2, 3))
    >>> round(loss([0, 1], logits, sample_weight=[1.0, 0.0]), 5)   # l1 / 2
    0.20852
    >>> loss([0, 3], logits)
    Traceback (most recent call last):
    ...
    ValueError: y_true must hold class labels in [0, 3) for y_pred with 3 classes;
    got labels from 0 to 3
    """

    name = "sparse_categorical_crossentropy"

    def _target(self, y_true, y_pred, checked=False):
        if checked:     # a model checked every label of its y once (integers in range)
            labels = y_true.reshape(-1)
            if labels.dtype.kind != "i":
                labels = labels.astype(np.intp)
            return np.arange(len(labels)), labels
        labels = _checks.check_real_array(y_true, "y_true")
        rows_shape = y_pred.shape[:-1]
        if labels.shape != rows_shape:
            if labels.shape != rows_shape + (1,):
                raise ValueError(
                    f"y_true must hold one label per row of y_pred: shape {rows_shape} or "
                    f"{rows_shape + (1,)}, got {labels.shape}"
                )
        labels = labels.reshape(-1)
        if labels.dtype.kind == "f":
            if not np.array_equal(labels, np.floor(labels)):  # also refuses NaN and inf
                raise ValueError("y_true must hold integer class labels, got non-integer "
                                 "values")
            labels = labels.astype(np.intp)
        elif labels.dtype.kind not in "iu":
            raise TypeError(f"y_true must hold integer class labels, got dtype {labels.dtype}")
        n_classes = y_pred.shape[-1]
        low, high = labels.min(), labels.max()
        if low < 0 or high >= n_classes:
            raise ValueError(
                f"y_true must hold class labels in [0, {n_classes}) for y_pred with "
                f"{n_classes} classes; got labels from {low} to {high}"
            )
        return np.arange(len(labels)), labels

    @staticmethod
    def _weighted_sum(target, values):
        return values[target]

    @staticmethod
    def _subtract_weighted(target, out, values):
        out[target] -= values[target] if np.ndim(values) else values

    @staticmethod
    def _target_total(target):
        return 1.0


class _ElementwiseLoss(Loss):
    """A loss that is the mean of an elementwise term over every entry.

    Keras averages over the last axis and then over the batch, which for equal-length
    rows is the mean over all entries; the gradient is the term's derivative over the
    number of entries. Subclasses provide ``_term(y, p)`` and ``_derivative(y, p)``.
    """

    def _value(self, y_true, y_pred, checked=False):
        return self._term(_as_target(y_true, y_pred, checked), y_pred).mean()

    def _per_sample(self, y_true, y_pred, checked=False):
        """The mean of the term over the last axis, shape ``y_pred.shape[:-1]`` (Keras's
        ``call``)."""
        term = self._term(_as_target(y_true, y_pred, checked), y_pred)
        if self._values_shape(y_true, y_pred) == y_pred.shape:
            return term
        return np.asarray(term.mean(axis=-1))

    @staticmethod
    def _values_shape(y_true, y_pred):
        """``y_pred``'s shape without its last axis; but ``y_pred``'s own shape where it is
        1-d and ``y_true`` has a trailing axis of 1 more: Keras then matches the ranks by
        expanding ``y_pred`` to ``(n, 1)``, a value per entry."""
        if y_pred.ndim == 1:
            try:
                column = np.ndim(y_true) == 2 and np.shape(y_true)[-1] == 1
            except ValueError:      # ragged: refused, by name, when y_true is read
                column = False
            if column:
                return y_pred.shape
        return y_pred.shape[:-1]

    def _gradient(self, y_true, y_pred, checked=False, scale=None):
        r"""Gradient of the mean, or with ``scale`` (an array of the per-sample values'
        shape), of :math:`\sum_i s_i \ell_i` with :math:`\ell_i` the mean over the
        last axis."""
        grad = self._derivative(_as_target(y_true, y_pred, checked), y_pred)
        if scale is None:
            grad *= 1.0 / y_pred.size
        elif scale.shape == y_pred.shape:      # a value per entry (see _values_shape)
            grad *= scale
        else:
            grad *= (scale / y_pred.dtype.type(y_pred.shape[-1]))[..., None]
        return grad


class BinaryCrossentropy(_ElementwiseLoss):
    """Binary crossentropy of independent 0/1 targets (one sigmoid output per entry).

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds logits or probabilities.
    reduction : {"sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None}
        How the (weighted) per-sample values are reduced, as in Keras 3 (keyword only:
        Keras has arguments this class lacks before it).
    name : str, optional
        Defaults to Keras's name, ``"binary_crossentropy"``.

    Notes
    -----
    Per entry, with probabilities :math:`p_c = \\operatorname{clip}(p, \\epsilon,
    1 - \\epsilon)`, :math:`\\ell = -(y \\log p_c + (1 - y) \\log(1 - p_c))`; with logits
    the stable form :math:`\\ell = \\max(z, 0) - z y + \\log(1 + e^{-|z|})`, whose
    derivative is :math:`\\sigma(z) - y`. A sample's value is the mean over the last
    axis; the loss reduces these (by default, their mean: the mean over all entries).

    Examples
    --------
    >>> loss = BinaryCrossentropy()
    >>> value = loss([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(value, 6)                  # -(3 log 0.4 + log 0.6) / 4
    0.814924
    >>> BinaryCrossentropy(from_logits=True).gradient([1.0, 0.0], [0.0, 0.0])
    array([-0.25,  0.25])

    Keras's example with logits, weights and the ``"sum"`` reduction (its docstring shows
    these numbers cut to 0.8654, 0.243 and 1.730):

    >>> y_true, logits = [[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]]
    >>> bce = BinaryCrossentropy(from_logits=True)
    >>> round(bce(y_true, logits), 5), round(bce(y_true, logits, sample_weight=[0.8, 0.2]), 5)
    (0.86546, 0.24364)
    >>> round(BinaryCrossentropy(from_logits=True, reduction="sum")(y_true, logits), 5)
    1.73092
    """

    name = "binary_crossentropy"

    def __init__(self, from_logits=False, *, reduction="sum_over_batch_size", name=None):
        self.from_logits = _checks.check_flag(from_logits, "from_logits")
        super().__init__(reduction=reduction, name=name)

    def get_config(self):
        return {"from_logits": self.from_logits, **super().get_config()}

    def _term(self, y, p):
        if self.from_logits:
            return np.maximum(p, 0.0) - p * y + np.log1p(np.exp(-np.abs(p)))
        p = _clip_probabilities(p)
        term = y * np.log(p)
        term += (1.0 - y) * np.log(1.0 - p)
        return np.negative(term, out=term)

    def _derivative(self, y, p):
        if self.from_logits:
            return _sigmoid(p) - y
        kept = (p >= EPSILON) & (p <= 1.0 - EPSILON)
        return np.divide(p - y, p * (1.0 - p), out=np.zeros_like(p), where=kept)


class MeanSquaredError(_ElementwiseLoss):
    """Mean squared error: the mean of ``(y_true - y_pred)**2`` over all entries.

    Parameters
    ----------
    reduction : {"sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None}
        How the (weighted) per-sample values, the means over the last axis, are reduced,
        as in Keras 3.
    name : str, optional
        Defaults to Keras's name, ``"mean_squared_error"``.

    Examples
    --------
    >>> loss = MeanSquaredError()
    >>> loss([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 0.0]])
    0.5
    >>> loss.gradient([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 0.0]])
    array([[ 0.5,  0. ],
           [ 0. , -0.5]])
    >>> loss([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 0.0]], sample_weight=[1.0, 0.5])
    0.375
    >>> MeanSquaredError("mean_with_sample_weight")(
    ...     [[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 0.0]], sample_weight=[1.0, 0.0])
    0.5
    """

    name = "mean_squared_error"

    def _term(self, y, p):
        difference = y - p
        return np.square(difference, out=difference)

    def _derivative(self, y, p):
        difference = p - y
        difference *= 2.0
        return difference


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """The per-sample values of :class:`CategoricalCrossentropy`, as Keras's function.

    Parameters
    ----------
    y_true, y_pred : array_like
        As for :class:`CategoricalCrossentropy`.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.

    Returns
    -------
    numpy.ndarray
        One value per row, shape ``y_pred.shape[:-1]``.

    Raises
    ------
    TypeError, ValueError, OverflowError, MemoryError
        As for calling the loss.

    Examples
    --------
    >>> categorical_crossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    array([0.05129329, 2.30258509])
    """
    return CategoricalCrossentropy(from_logits, reduction=None)(y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """The per-sample values of :class:`SparseCategoricalCrossentropy`, as Keras's
    function.

    Parameters
    ----------
    y_true, y_pred : array_like
        As for :class:`SparseCategoricalCrossentropy`.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.

    Returns
    -------
    numpy.ndarray
        One value per row, shape ``y_pred.shape[:-1]``.

    Raises
    ------
    TypeError, ValueError, OverflowError, MemoryError
        As for calling the loss.

    Examples
    --------
    >>> sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    array([0.05129329, 2.30258509])
    """
    return SparseCategoricalCrossentropy(from_logits, reduction=None)(y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """The per-sample values of :class:`BinaryCrossentropy` (the mean over the last
    axis), as Keras's function.

    Parameters
    ----------
    y_true, y_pred : array_like
        As for :class:`BinaryCrossentropy`.
    from_logits : bool, default False
        Whether ``y_pred`` holds logits.

    Returns
    -------
    numpy.ndarray
        Shape ``y_pred.shape[:-1]``.

    Raises
    ------
    TypeError, ValueError, OverflowError, MemoryError
        As for calling the loss.

    Examples
    --------
    >>> binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]).round(3)
    array([0.916, 0.714])
    """
    return BinaryCrossentropy(from_logits, reduction=None)(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """The per-sample values of :class:`MeanSquaredError` (the mean over the last axis),
    as Keras's function.

    Parameters
    ----------
    y_true, y_pred : array_like
        As for :class:`MeanSquaredError`.

    Returns
    -------
    numpy.ndarray
        Shape ``y_pred.shape[:-1]`` (0-d for 1-d inputs: they are one sample).

    Raises
    ------
    TypeError, ValueError, OverflowError, MemoryError
        As for calling the loss.

    Examples
    --------
    >>> mean_squared_error([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 0.0]])
    array([0.5, 0.5])
    """
    return MeanSquaredError(reduction=None)(y_true, y_pred)


#: class indices beyond this are refused as keys (and labels are clipped to it)
_LARGEST_CLASS = 2**62


def _class_key(key):
    """A key of ``class_weight`` as an int, as Keras reads it (``int(key)``: integers,
    integer-valued floats and strings of digits); anything else is a ValueError."""
    if isinstance(key, (bool, np.bool_)):
        raise ValueError(f"class_weight must have integer class indices as keys; got the "
                         f"key {key!r}")
    index = None
    if isinstance(key, numbers.Integral):
        index = int(key)
    elif isinstance(key, numbers.Real) and math.isfinite(key) and float(key).is_integer():
        index = int(key)
    elif isinstance(key, str):
        try:
            index = int(key)
        except ValueError:
            pass
    if index is not None:
        if abs(index) >= _LARGEST_CLASS:
            raise ValueError(f"class_weight has the class index {key!r}, beyond "
                             f"+-{_LARGEST_CLASS}")
        return index
    raise ValueError(f"class_weight must have integer class indices as keys; got the key "
                     f"{key!r} of type {type(key).__name__}")


def class_weight_to_sample_weight(class_weight, y):
    """Per-sample weights from ``fit``'s ``class_weight``, by Keras's rule.

    Parameters
    ----------
    class_weight : dict
        Class index (an int, or a string of one, as Keras reads keys with ``int()``) to
        its weight (a finite real number; negative weights are kept, as in Keras).
        Classes that are not keys weigh 1.
    y : array_like
        The targets: integer labels of shape ``(n,)`` or ``(n, 1)`` (rounded to the
        nearest integer), or one-hot (or probability) rows of shape ``(n, k)`` with
        ``k > 1``, whose class is the argmax.

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, float64: ``class_weight.get(class of sample i, 1.0)``.

    Raises
    ------
    ValueError
        If ``class_weight`` is not a mapping, a key is not a class index (or two keys
        name the same class), a weight is NaN or infinite; if ``y`` holds NaN or inf, or
        has more than one class per sample (rank above 2, or ``(n, h, 1)``).
    TypeError
        If a weight or ``y`` is not real numbers.

    Notes
    -----
    Keras (``class_weight_to_sample_weights``): ``argmax(y, axis=-1)`` where the last
    axis of a rank-2 ``y`` is longer than 1, else ``round(y)`` (half to even) squeezed to
    ``(n,)``; then ``sample_weight[i] = class_weight.get(int(class_i), 1.0)``. Keras makes
    these float32 (its ``floatx``); the loss casts them to its dtype, which gives the same
    weights in float32.

    Examples
    --------
    >>> class_weight_to_sample_weight({0: 1.0, 1: 5.0}, [0, 1, 1, 2])
    array([1., 5., 5., 1.])
    >>> class_weight_to_sample_weight({"2": 0.5}, [[0, 0, 1], [1, 0, 0]])
    array([0.5, 1. ])
    """
    if not isinstance(class_weight, Mapping):
        raise ValueError(f"class_weight must be a dict of class indices to weights; got "
                         f"{type(class_weight).__name__}")
    weights = {}
    for key, value in class_weight.items():
        index = _class_key(key)
        if index in weights:
            raise ValueError(f"class_weight names the class {index} twice (keys are read "
                             f"as ints: {key!r})")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(f"class_weight must map classes to real numbers; got "
                            f"{value!r} for the class {key!r}")
        if not math.isfinite(value):
            raise ValueError(f"class_weight must hold finite weights; got {value!r} for "
                             f"the class {key!r}")
        weights[index] = float(value)
    labels = _checks.check_real_array(y, "y")
    if labels.ndim == 0 or labels.ndim > 2 or labels.size == 0:
        raise ValueError(f"class_weight needs y of shape (n,), (n, 1) or one-hot (n, k), "
                         f"one class per sample; got y of shape {labels.shape}")
    _checks.check_finite(labels, "y")
    if labels.ndim == 2:
        labels = labels.argmax(axis=-1) if labels.shape[-1] != 1 else labels[:, 0]
    if labels.dtype.kind == "f":
        labels = np.clip(np.round(labels), -_LARGEST_CLASS, _LARGEST_CLASS)
    labels = labels.astype(np.int64)
    if not weights:
        return np.ones(len(labels))
    classes = np.array(sorted(weights))
    table = np.array([weights[c] for c in classes])
    where = np.searchsorted(classes, labels)
    where[where == len(classes)] = 0
    return np.where(classes[where] == labels, table[where], 1.0)


_LOSSES = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
}

#: Keras's loss functions, which ``compile`` wraps in their classes
_FUNCTIONS = {
    categorical_crossentropy: CategoricalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    binary_crossentropy: BinaryCrossentropy,
    mean_squared_error: MeanSquaredError,
}


def get_loss(identifier):
    """The loss named by ``identifier``, or ``identifier`` itself if it is a loss.

    Parameters
    ----------
    identifier : str or Loss
        ``"categorical_crossentropy"``, ``"sparse_categorical_crossentropy"``,
        ``"binary_crossentropy"``, ``"mean_squared_error"`` or ``"mse"`` (a new
        instance with default arguments; Keras's class names work too), one of this
        module's loss functions (:func:`mean_squared_error`, ...: a new instance of its
        class, as Keras's ``compile`` wraps it), or an object with ``__call__`` and
        ``gradient``, returned as is.

    Returns
    -------
    Loss

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.
    TypeError
        If ``identifier`` is of another kind.

    Examples
    --------
    >>> get_loss("mse")
    MeanSquaredError()
    >>> get_loss("SparseCategoricalCrossentropy")
    SparseCategoricalCrossentropy(from_logits=False)
    >>> get_loss(binary_crossentropy)
    BinaryCrossentropy(from_logits=False)
    """
    if isinstance(identifier, str):
        return lookup_name(identifier, _LOSSES, "loss")()
    for function, cls in _FUNCTIONS.items():
        if identifier is function:
            return cls()
    if (not isinstance(identifier, type) and callable(identifier)
            and callable(getattr(identifier, "gradient", None))):
        return identifier
    raise TypeError(f"loss must be a name or a Loss (callable with a gradient method), got "
                    f"{identifier!r}")
