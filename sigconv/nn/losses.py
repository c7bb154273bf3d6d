r"""Losses with Keras's formulas and their gradients (``sigconv.nn.losses``).

Every loss is an object with

* ``loss(y_true, y_pred) -> float``: the mean over the batch, computed as Keras computes
  it (same clipping, same normalisation), in the dtype of ``y_pred``;
* ``loss.gradient(y_true, y_pred) -> ndarray``: :math:`\partial L / \partial y_\text{pred}`
  of that mean (the ``1/batch`` factor included), same shape and dtype as ``y_pred``.

The two categorical losses also have ``gradient_from_softmax(y_true, probabilities)``, the
fused gradient with respect to the *logits* of a softmax whose output is
``probabilities``: :math:`(p - y) / n` for one-hot or probability targets. A model whose
last layer is a softmax calls it instead of chaining the loss gradient through the
softmax Jacobian.

Class scores are on the last axis; every other axis counts as batch (``n`` rows).
``y_pred`` of an integer or boolean dtype is computed in float64; ``y_true`` is cast to
the dtype of ``y_pred``. Probabilities are clipped to :data:`EPSILON` ``= 1e-7`` (Keras's
``backend.epsilon()``) away from 0 and 1; clipped entries have zero derivative.
"""

import contextvars

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


class Loss(_checks.FromConfig):
    """Base class: ``loss(y_true, y_pred)`` is the batch mean, ``loss.gradient`` its gradient.

    Attributes
    ----------
    name : str
        Keras's name of the loss (``"categorical_crossentropy"``, ...).
    """

    name = "loss"

    def __call__(self, y_true, y_pred):
        """Mean loss over the batch, as a Python float.

        Parameters
        ----------
        y_true : array_like
            Targets.
        y_pred : array_like
            Predictions (probabilities, or logits with ``from_logits=True``).

        Returns
        -------
        float

        Raises
        ------
        TypeError
            If ``y_true`` or ``y_pred`` is not real numbers (strings, objects, ragged).
        ValueError
            If the shapes do not match, ``y_pred`` is empty, ``y_true`` holds NaN or inf,
            or (sparse) a label is out of range.
        OverflowError
            If the loss of finite ``y_true`` and ``y_pred`` overflows (inside
            :meth:`Sequential.fit` it becomes an inf/NaN loss instead, as in Keras).
        MemoryError
            If the temporaries of ``y_pred``'s size could not fit in memory (a huge
            broadcast view costs nothing, they do); checked before allocating.
        """
        y_pred = _as_prediction(y_pred)
        return float(_guarded(self._value, y_true, y_pred, "loss"))

    def gradient(self, y_true, y_pred):
        """Gradient of the mean loss with respect to ``y_pred``.

        Parameters
        ----------
        y_true : array_like
            Targets.
        y_pred : array_like
            Predictions (probabilities, or logits with ``from_logits=True``).

        Returns
        -------
        numpy.ndarray
            New array of ``y_pred``'s shape and (floating) dtype.

        Raises
        ------
        TypeError, ValueError, OverflowError, MemoryError
            As for calling the loss.
        """
        y_pred = _as_prediction(y_pred)
        return _guarded(self._gradient, y_true, y_pred, "gradient")

    def _model_value(self, y_true, y_pred):
        """The loss inside :class:`~sigconv.nn.Sequential`, whose public call checked all
        of ``y`` once (real, finite, the loss's target shape, labels in range) and the
        memory of these temporaries; ``y_pred`` is the model's floating output."""
        return float(self._value(y_true, y_pred, checked=True))

    def _model_gradient(self, y_true, y_pred):
        """:meth:`gradient` inside a model (see :meth:`_model_value`)."""
        return self._gradient(y_true, y_pred, checked=True)

    def get_config(self):
        """The constructor arguments, such that ``cls.from_config(config)`` is equal."""
        return {}

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

    def __init__(self, from_logits=False):
        self.from_logits = _checks.check_flag(from_logits, "from_logits")

    def get_config(self):
        return {"from_logits": self.from_logits}

    def _rows(self, y_true, y_pred, checked=False):
        rows = y_pred.reshape(-1, y_pred.shape[-1])
        return self._target(y_true, y_pred, checked), rows

    def _value(self, y_true, y_pred, checked=False):
        target, rows = self._rows(y_true, y_pred, checked)
        if self.from_logits:
            log_probabilities = _log_softmax(rows)
        else:
            normalized = rows / _row_sums(rows)
            log_probabilities = np.log(_clip_probabilities(normalized, out=normalized),
                                       out=normalized)
        return -self._weighted_sum(target, log_probabilities).sum() / len(rows)

    def _gradient(self, y_true, y_pred, checked=False):
        target, rows = self._rows(y_true, y_pred, checked)
        if self.from_logits:
            return self._softmax_gradient(target, _softmax(rows)).reshape(y_pred.shape)
        # L = -(1/n) sum_j y_j log(clip(q_j)), q = p / s with s = sum_j p_j, so that
        # dL/dp_k = (sum_j y_j u_j - y_k u_k / q_k) / (n s), u = 1 where q is not clipped
        total = _row_sums(rows)
        normalized = rows / total
        kept = (normalized >= EPSILON) & (normalized <= 1.0 - EPSILON)
        weights = np.divide(kept, normalized, out=np.zeros_like(normalized), where=kept)
        grad = np.empty_like(rows)
        grad[...] = self._weighted_sum(target, kept)[:, None]
        self._subtract_weighted(target, grad, weights)
        total *= len(rows)
        grad /= total
        return grad.reshape(y_pred.shape)

    def gradient_from_softmax(self, y_true, probabilities):
        """Gradient of the loss with respect to the logits of a softmax.

        Fuses this loss (with logits) and the softmax's Jacobian:
        ``(p * sum(y) - y) / n`` per row, which is ``(p - y) / n`` for one-hot or
        probability targets (``p - onehot(label)`` for sparse labels), with ``n`` the
        number of rows.

        Parameters
        ----------
        y_true : array_like
            Targets, as for calling the loss.
        probabilities : array_like
            The softmax output (rows summing to 1) for which the gradient is taken.

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
        target, rows = self._rows(y_true, probabilities)
        return self._softmax_gradient(target, rows).reshape(probabilities.shape)

    def _model_gradient_from_softmax(self, y_true, probabilities):
        """:meth:`gradient_from_softmax` inside a model (see :meth:`Loss._model_value`)."""
        target, rows = self._rows(y_true, probabilities, checked=True)
        return self._softmax_gradient(target, rows).reshape(probabilities.shape)

    def _softmax_gradient(self, target, probabilities):
        grad = probabilities * self._target_total(target)
        self._subtract_weighted(target, grad, 1.0)
        grad *= 1.0 / len(probabilities)
        return grad


class CategoricalCrossentropy(_Crossentropy):
    """Crossentropy between one-hot (or probability) targets and predicted classes.

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds logits (softmax applied inside, via log-sum-exp) or
        probabilities.

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
    :math:`\\ell = -\\sum_j y_j (z_j - \\operatorname{logsumexp}(z))`. The loss is the mean
    of :math:`\\ell` over the rows. :meth:`gradient_from_softmax` gives the gradient with
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

    def _gradient(self, y_true, y_pred, checked=False):
        grad = self._derivative(_as_target(y_true, y_pred, checked), y_pred)
        grad *= 1.0 / y_pred.size
        return grad


class BinaryCrossentropy(_ElementwiseLoss):
    """Binary crossentropy of independent 0/1 targets (one sigmoid output per entry).

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` holds logits or probabilities.

    Notes
    -----
    Per entry, with probabilities :math:`p_c = \\operatorname{clip}(p, \\epsilon,
    1 - \\epsilon)`, :math:`\\ell = -(y \\log p_c + (1 - y) \\log(1 - p_c))`; with logits
    the stable form :math:`\\ell = \\max(z, 0) - z y + \\log(1 + e^{-|z|})`, whose
    derivative is :math:`\\sigma(z) - y`. The loss is the mean over all entries.

    Examples
    --------
    >>> loss = BinaryCrossentropy()
    >>> value = loss([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(value, 6)                  # -(3 log 0.4 + log 0.6) / 4
    0.814924
    >>> BinaryCrossentropy(from_logits=True).gradient([1.0, 0.0], [0.0, 0.0])
    array([-0.25,  0.25])
    """

    name = "binary_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = _checks.check_flag(from_logits, "from_logits")

    def get_config(self):
        return {"from_logits": self.from_logits}

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

    Examples
    --------
    >>> loss = MeanSquaredError()
    >>> loss([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 0.0]])
    0.5
    >>> loss.gradient([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 0.0]])
    array([[ 0.5,  0. ],
           [ 0. , -0.5]])
    """

    name = "mean_squared_error"

    def _term(self, y, p):
        difference = y - p
        return np.square(difference, out=difference)

    def _derivative(self, y, p):
        difference = p - y
        difference *= 2.0
        return difference


_LOSSES = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
}


def get_loss(identifier):
    """The loss named by ``identifier``, or ``identifier`` itself if it is a loss.

    Parameters
    ----------
    identifier : str or Loss
        ``"categorical_crossentropy"``, ``"sparse_categorical_crossentropy"``,
        ``"binary_crossentropy"``, ``"mean_squared_error"`` or ``"mse"`` (a new
        instance with default arguments; Keras's class names work too), or an object
        with ``__call__`` and ``gradient``, returned as is.

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
    """
    if isinstance(identifier, str):
        return lookup_name(identifier, _LOSSES, "loss")()
    if (not isinstance(identifier, type) and callable(identifier)
            and callable(getattr(identifier, "gradient", None))):
        return identifier
    raise TypeError(f"loss must be a name or a Loss (callable with a gradient method), got "
                    f"{identifier!r}")
