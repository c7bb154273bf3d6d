"""Weighted losses (sigconv.nn.losses): ``sample_weight``, Keras 3's ``reduction``, the
gradients of the weighted value (plain, fused softmax, the model's fast variants), the
per-sample loss functions and ``class_weight`` -> ``sample_weight``.

Every value is compared with a NumPy replay of Keras 3's ``Loss.__call__``
(``keras/src/losses/loss.py``: ``squeeze_or_expand_to_same_rank``,
``reduce_weighted_values``, ``reduce_values``) and every gradient with float64 central
finite differences of the weighted value.
"""

import numpy as np
import pytest
from scipy.special import log_softmax, softmax
from strategies import rng_for

from sigconv.nn import losses
from sigconv.nn.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
    class_weight_to_sample_weight,
    get_loss,
)

EPS = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

# (constructor, kind, from_logits): every loss of the module, both input kinds
LOSSES = [
    (CategoricalCrossentropy, "categorical", False),
    (CategoricalCrossentropy, "categorical", True),
    (SparseCategoricalCrossentropy, "sparse", False),
    (SparseCategoricalCrossentropy, "sparse", True),
    (BinaryCrossentropy, "binary", False),
    (BinaryCrossentropy, "binary", True),
    (MeanSquaredError, "mse", False),
]
LOSS_IDS = [f"{cls.__name__}-{'logits' if logits else 'values'}"
            for cls, _, logits in LOSSES]


def make(cls, from_logits, **kwargs):
    return cls(**kwargs) if cls is MeanSquaredError else cls(from_logits, **kwargs)


# -- Keras 3, replayed in NumPy ---------------------------------------------------------------


def keras_per_sample(kind, y, p, from_logits):
    """The loss's ``call``: one value per row of the last axis (float64)."""
    p = np.asarray(p, dtype=np.float64)
    if kind == "sparse":
        y = np.eye(p.shape[-1])[np.asarray(y).reshape(p.shape[:-1])]
    y = np.asarray(y, dtype=np.float64)
    if kind in ("binary", "mse"):     # LossFunctionWrapper.call matches the ranks first
        y, p = keras_squeeze_or_expand(y, p)
    if kind in ("categorical", "sparse"):
        if from_logits:
            log_q = log_softmax(p, axis=-1)
        else:
            log_q = np.log(np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS))
        return -np.sum(y * log_q, axis=-1)
    if kind == "binary":
        if from_logits:
            term = np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p)))
        else:
            q = np.clip(p, EPS, 1 - EPS)
            term = -(y * np.log(q) + (1 - y) * np.log(1 - q))
        return np.mean(term, axis=-1)
    return np.mean((y - p) ** 2, axis=-1)


def keras_squeeze_or_expand(x1, x2):
    """``squeeze_or_expand_to_same_rank(x1, x2)`` (expand_rank_1=True)."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        if x2.ndim == 1:
            x2 = x2[:, None]
        else:
            x1 = x1[..., 0]
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        if x1.ndim == 1:
            x1 = x1[:, None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def keras_reduce(values, sample_weight, reduction):
    """``reduce_weighted_values`` then ``reduce_values``, step by step."""
    values = np.asarray(values, dtype=np.float64)
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        values, sample_weight = keras_squeeze_or_expand(values, sample_weight)
        values = values * sample_weight
    if reduction is None or reduction == "none" or values.shape in ((), (0,)):
        return values
    loss = np.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = np.sum(sample_weight)
        else:
            divisor = float(np.prod(values.shape))
        loss = loss / divisor if divisor != 0 else 0.0     # divide_no_nan
    return loss


def keras_loss(kind, from_logits, y, p, sample_weight=None, reduction="sum_over_batch_size"):
    return keras_reduce(keras_per_sample(kind, y, p, from_logits), sample_weight, reduction)


# -- helpers ------------------------------------------------------------------------------------


def batch(kind, from_logits, shape, key):
    """Random ``(y_true, y_pred)`` of ``shape`` (classes on the last axis), predictions
    away from the clipping bounds (so finite differences see the smooth formula)."""
    rng = rng_for(kind, from_logits, shape, key)
    n_classes = shape[-1]
    if from_logits:
        y_pred = rng.normal(0.0, 2.0, shape)
    elif kind in ("categorical", "sparse"):
        y_pred = rng.uniform(0.1, 1.0, shape)       # rows are normalized by the loss
    else:
        y_pred = rng.uniform(0.05, 0.95, shape)
    if kind == "sparse":
        y_true = rng.integers(0, n_classes, shape[:-1])
    elif kind == "categorical":
        y_true = np.eye(n_classes)[rng.integers(0, n_classes, shape[:-1])]
    elif kind == "binary":
        y_true = rng.integers(0, 2, shape).astype(np.float64)
    else:
        y_true = rng.normal(size=shape)
    return y_true, y_pred


def central_difference(f, x, h=1e-6):
    """Float64 central finite differences of the scalar ``f`` at every entry of ``x``."""
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + h
        up = f(x)
        x[index] = saved - h
        down = f(x)
        x[index] = saved
        grad[index] = (up - down) / (2 * h)
    return grad


def assert_gradient(analytic, numeric, tol=1e-6):
    error = np.linalg.norm(analytic - numeric) / max(np.linalg.norm(numeric), 1e-12)
    assert error < tol, f"relative error {error:.2e}\nanalytic {analytic}\nnumeric {numeric}"


def scalar(value):
    """A loss value as the scalar whose gradient is taken (the sum for ``"none"``)."""
    return float(np.sum(value))


# -- values against Keras's formula ------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("cls", "kind", "from_logits"), LOSSES, ids=LOSS_IDS)
def test_weighted_values_replay_keras(cls, kind, from_logits, reduction):
    y_true, y_pred = batch(kind, from_logits, (6, 4), "values")
    weight = rng_for("weight", kind, from_logits).uniform(0.0, 3.0, 6)
    loss = make(cls, from_logits, reduction=reduction)
    for sample_weight in (weight, weight[:, None], None, 0.7):
        expected = keras_loss(kind, from_logits, y_true, y_pred, sample_weight, reduction)
        got = loss(y_true, y_pred, sample_weight=sample_weight)
        if reduction is None or reduction == "none":
            assert isinstance(got, np.ndarray) and got.dtype == np.float64
            assert got.shape == np.shape(expected)
        else:
            assert isinstance(got, float)
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("cls", "kind", "from_logits"), LOSSES, ids=LOSS_IDS)
def test_uniform_zero_and_negative_weights(cls, kind, from_logits):
    y_true, y_pred = batch(kind, from_logits, (5, 3), "uniform")
    loss = make(cls, from_logits)
    plain = loss(y_true, y_pred)
    # weights of 1 (any accepted shape) give the unweighted loss and gradient
    for ones in (np.ones(5), np.ones((5, 1)), 1.0, [True] * 5):
        assert loss(y_true, y_pred, sample_weight=ones) == pytest.approx(plain, rel=1e-14)
        np.testing.assert_allclose(loss.gradient(y_true, y_pred, sample_weight=ones),
                                   loss.gradient(y_true, y_pred), rtol=1e-13, atol=1e-17)
    # a constant weight scales the value: the divisor counts values, not weights
    assert loss(y_true, y_pred, sample_weight=np.full(5, 2.5)) == pytest.approx(2.5 * plain)
    # zero weights: nothing, with a zero gradient (the default divisor is still 5)
    assert loss(y_true, y_pred, sample_weight=np.zeros(5)) == 0.0
    assert not loss.gradient(y_true, y_pred, sample_weight=np.zeros(5)).any()
    # a zero weight removes its sample's gradient and leaves the others' at w_i / 5
    weight = np.array([0.0, 1.0, 2.0, 0.0, 0.5])
    grad = loss.gradient(y_true, y_pred, sample_weight=weight)
    assert not grad[[0, 3]].any()
    np.testing.assert_allclose(grad[[1, 2, 4]],
                               loss.gradient(y_true, y_pred)[[1, 2, 4]]
                               * weight[[1, 2, 4], None], rtol=1e-13)
    # negative weights are kept, as Keras keeps them
    negative = -weight
    assert loss(y_true, y_pred, sample_weight=negative) == pytest.approx(
        keras_loss(kind, from_logits, y_true, y_pred, negative), rel=1e-13)


@pytest.mark.parametrize(("cls", "kind", "from_logits"), LOSSES, ids=LOSS_IDS)
def test_mean_with_sample_weight_divides_by_the_weights(cls, kind, from_logits):
    y_true, y_pred = batch(kind, from_logits, (4, 3), "mws")
    weight = np.array([0.5, 0.0, 2.0, 1.5])
    loss = make(cls, from_logits, reduction="mean_with_sample_weight")
    per_sample = keras_per_sample(kind, y_true, y_pred, from_logits)
    assert loss(y_true, y_pred, sample_weight=weight) == pytest.approx(
        np.sum(per_sample * weight) / 4.0, rel=1e-13)
    # without weights it is the mean; with weights summing to 0, divide_no_nan's 0
    assert loss(y_true, y_pred) == pytest.approx(np.mean(per_sample), rel=1e-13)
    assert loss(y_true, y_pred, sample_weight=np.zeros(4)) == 0.0
    assert not loss.gradient(y_true, y_pred, sample_weight=np.zeros(4)).any()
    assert loss(y_true, y_pred, sample_weight=[1.0, -1.0, 0.0, 0.0]) == 0.0


def test_keras_documented_examples():
    """The numbers in Keras 3's docstrings (which show them to 3 or 4 digits)."""
    y_true = np.array([[0, 1, 0], [0, 0, 1]])
    y_pred = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    assert CategoricalCrossentropy()(y_true, y_pred) == pytest.approx(1.177, abs=5e-4)
    assert CategoricalCrossentropy()(y_true, y_pred, sample_weight=np.array([0.3, 0.7])) \
        == pytest.approx(0.814, abs=5e-4)
    assert CategoricalCrossentropy(reduction="sum")(y_true, y_pred) == pytest.approx(
        2.354, abs=5e-4)
    np.testing.assert_allclose(CategoricalCrossentropy(reduction=None)(y_true, y_pred),
                               [0.0513, 2.303], atol=5e-4)
    sparse = SparseCategoricalCrossentropy()
    assert sparse([1, 2], y_pred, sample_weight=[0.3, 0.7]) == pytest.approx(0.814, abs=5e-4)
    logits = np.array([[-18.6, 0.51], [2.94, -12.8]])
    bce = BinaryCrossentropy(from_logits=True)
    assert bce([[0, 1], [0, 0]], logits, sample_weight=[0.8, 0.2]) == pytest.approx(
        0.243, abs=1e-3)
    np.testing.assert_allclose(BinaryCrossentropy(from_logits=True, reduction=None)(
        [[0, 1], [0, 0]], logits), [0.235, 1.496], atol=1e-3)
    assert MeanSquaredError()([1.0, 0.0, 1.0], [0.9, 0.1, 0.8]) == pytest.approx(0.02)


def test_one_dimensional_predictions_are_one_sample():
    """A 1-d y_pred has one per-sample value (a scalar), which Keras returns unreduced:
    weights of shape (n,) broadcast it, and the mean then divides by n."""
    y_true, y_pred = np.array([1.0, 0.0, 1.0]), np.array([0.9, 0.1, 0.8])
    weight = np.array([1.0, 2.0, 0.0])
    mse = MeanSquaredError()
    value = np.mean((y_true - y_pred) ** 2)
    assert mse(y_true, y_pred, sample_weight=weight) == pytest.approx(value * 1.0)  # mean(w)
    assert mse(y_true, y_pred, sample_weight=weight) == pytest.approx(
        keras_loss("mse", False, y_true, y_pred, weight))
    # "sum" does not sum a scalar: it is the value itself, as in Keras
    assert MeanSquaredError("sum")(y_true, y_pred) == pytest.approx(value)
    assert MeanSquaredError("sum")(y_true, y_pred, sample_weight=weight) == pytest.approx(
        3 * value)
    none = MeanSquaredError(None)(y_true, y_pred)
    assert none.shape == () and none == pytest.approx(value)
    np.testing.assert_allclose(MeanSquaredError(None)(y_true, y_pred, sample_weight=weight),
                               value * weight)
    np.testing.assert_allclose(losses.mean_squared_error(y_true, y_pred), value)
    for reduction in REDUCTIONS:
        loss = MeanSquaredError(reduction)
        numeric = central_difference(
            lambda p, loss=loss: scalar(loss(y_true, p, sample_weight=weight)), y_pred)
        assert_gradient(loss.gradient(y_true, y_pred, sample_weight=weight), numeric)


@pytest.mark.parametrize(("cls", "kind", "from_logits"), LOSSES[4:], ids=LOSS_IDS[4:])
def test_column_targets_for_flat_predictions(cls, kind, from_logits):
    """y_true (n, 1) with y_pred (n,): Keras expands y_pred to (n, 1), so each entry is a
    sample (with y_true (n,), the 1-d y_pred is one sample)."""
    y_true, y_pred = batch(kind, from_logits, (5, 1), "column")
    y_pred = y_pred[:, 0]
    weight = rng_for("column weight", kind).uniform(0.0, 2.0, 5)
    for reduction in REDUCTIONS:
        loss = make(cls, from_logits, reduction=reduction)
        expected = keras_loss(kind, from_logits, y_true, y_pred, weight, reduction)
        np.testing.assert_allclose(loss(y_true, y_pred, sample_weight=weight), expected,
                                   rtol=1e-13)
        numeric = central_difference(
            lambda p, loss=loss: scalar(loss(y_true, p, sample_weight=weight)), y_pred)
        assert_gradient(loss.gradient(y_true, y_pred, sample_weight=weight), numeric)
        np.testing.assert_allclose(
            loss(y_true[:, 0], y_pred, sample_weight=weight),
            keras_loss(kind, from_logits, y_true[:, 0], y_pred, weight, reduction),
            rtol=1e-13)
    assert np.shape(make(cls, from_logits, reduction=None)(y_true, y_pred)) == (5,)
    assert np.shape(make(cls, from_logits, reduction=None)(y_true[:, 0], y_pred)) == ()


def test_higher_rank_values_and_weights():
    """Rows of classes on the last axis: per-sample values of shape (2, 3), weighed by
    (2, 3) or (2, 3, 1) weights; (3,) broadcasts over the first axis, as NumPy does."""
    y_true, y_pred = batch("sparse", True, (2, 3, 4), "rank")
    loss = SparseCategoricalCrossentropy(from_logits=True)
    rng = rng_for("rank weights")
    for weight in (rng.uniform(0, 2, (2, 3)), rng.uniform(0, 2, (2, 3, 1)),
                   rng.uniform(0, 2, 3), rng.uniform(0, 2, (1, 3))):
        expected = keras_loss("sparse", True, y_true, y_pred, weight)
        assert loss(y_true, y_pred, sample_weight=weight) == pytest.approx(expected, rel=1e-13)
        numeric = central_difference(
            lambda p, weight=weight: loss(y_true, p, sample_weight=weight), y_pred)
        assert_gradient(loss.gradient(y_true, y_pred, sample_weight=weight), numeric)
    # weights that enlarge the values: (2, 3) values times (4, 2, 3) weights, divided by 24
    weight = rng.uniform(0, 2, (4, 2, 3))
    assert loss(y_true, y_pred, sample_weight=weight) == pytest.approx(
        keras_loss("sparse", True, y_true, y_pred, weight), rel=1e-13)
    numeric = central_difference(lambda p: loss(y_true, p, sample_weight=weight), y_pred)
    assert_gradient(loss.gradient(y_true, y_pred, sample_weight=weight), numeric)


# -- gradients of the weighted value -----------------------------------------------------------


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight",
                                       None])
@pytest.mark.parametrize(("cls", "kind", "from_logits"), LOSSES, ids=LOSS_IDS)
def test_weighted_gradients_match_finite_differences(cls, kind, from_logits, reduction):
    y_true, y_pred = batch(kind, from_logits, (5, 3), "gradient")
    weight = rng_for("gradient weight", kind).uniform(0.0, 2.0, 5)
    loss = make(cls, from_logits, reduction=reduction)
    grad = loss.gradient(y_true, y_pred, sample_weight=weight)
    assert grad.shape == y_pred.shape and grad.dtype == np.float64
    numeric = central_difference(
        lambda p: scalar(keras_loss(kind, from_logits, y_true, p, weight, reduction)), y_pred)
    assert_gradient(grad, numeric)
    unweighted = central_difference(
        lambda p: scalar(keras_loss(kind, from_logits, y_true, p, None, reduction)), y_pred)
    assert_gradient(loss.gradient(y_true, y_pred), unweighted)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight",
                                       None])
@pytest.mark.parametrize("cls", [CategoricalCrossentropy, SparseCategoricalCrossentropy])
def test_fused_softmax_gradient_is_the_weighted_logits_gradient(cls, reduction):
    kind = "sparse" if cls is SparseCategoricalCrossentropy else "categorical"
    y_true, logits = batch(kind, True, (6, 4), "fused")
    weight = rng_for("fused weight", kind).uniform(0.0, 2.0, 6)
    loss = cls(reduction=reduction)
    with_logits = cls(from_logits=True, reduction=reduction)
    probabilities = softmax(logits, axis=-1)
    for sample_weight in (weight, weight[:, None], None):
        fused = loss.gradient_from_softmax(y_true, probabilities, sample_weight=sample_weight)
        numeric = central_difference(
            lambda z, w=sample_weight: scalar(
                keras_loss(kind, True, y_true, z, w, reduction)), logits)
        assert_gradient(fused, numeric)
        np.testing.assert_allclose(
            fused, with_logits.gradient(y_true, logits, sample_weight=sample_weight),
            rtol=1e-12, atol=1e-15)
    # default reduction: row i is w_i (p_i - y_i) / n
    one_hot = np.eye(4)[y_true] if kind == "sparse" else y_true
    if reduction == "sum_over_batch_size":
        np.testing.assert_allclose(
            loss.gradient_from_softmax(y_true, probabilities, sample_weight=weight),
            weight[:, None] * (probabilities - one_hot) / 6, rtol=1e-13)


def test_fused_gradient_keeps_tensorflow_rule_for_clipped_probabilities():
    """A probability clipped at 1e-7 still gets w (p - y) / n (TensorFlow's Keras goes
    through the logits), weighted as any other sample."""
    probabilities = np.array([[1e-9, 1.0 - 1e-9], [0.3, 0.7]])
    y_true = np.array([[1.0, 0.0], [0.0, 1.0]])
    weight = np.array([3.0, 0.5])
    fused = CategoricalCrossentropy().gradient_from_softmax(y_true, probabilities,
                                                            sample_weight=weight)
    np.testing.assert_allclose(fused, weight[:, None] * (probabilities - y_true) / 2)


# -- float32 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "kind", "from_logits"), LOSSES, ids=LOSS_IDS)
def test_float32_weighted_value_is_keras_float32_arithmetic(cls, kind, from_logits):
    """As Keras in float32: weights cast to float32, values * weights in float32, their
    float32 sum divided by the float32 count."""
    y_true, y_pred = batch(kind, from_logits, (7, 3), "float32")
    single = y_pred.astype(np.float32)
    weight = rng_for("float32 weight", kind).uniform(0.0, 2.0, 7)  # float64, cast inside
    per_sample = make(cls, from_logits, reduction=None)(y_true, single)
    assert per_sample.dtype == np.float32
    weighted = per_sample * weight.astype(np.float32)
    loss = make(cls, from_logits)
    assert loss(y_true, single, sample_weight=weight) == float(
        np.sum(weighted) / np.float32(7))
    assert make(cls, from_logits, reduction="sum")(y_true, single, sample_weight=weight) \
        == float(np.sum(weighted))
    assert make(cls, from_logits, reduction="mean_with_sample_weight")(
        y_true, single, sample_weight=weight) == float(
        np.sum(weighted) / np.sum(weight.astype(np.float32)))
    none = make(cls, from_logits, reduction="none")(y_true, single, sample_weight=weight)
    assert none.dtype == np.float32
    np.testing.assert_array_equal(none, weighted)
    grad = loss.gradient(y_true, single, sample_weight=weight)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, loss.gradient(y_true, y_pred, sample_weight=weight),
                               rtol=1e-5, atol=1e-7)
    assert loss(y_true, single, sample_weight=weight) == pytest.approx(
        keras_loss(kind, from_logits, y_true, y_pred, weight), rel=1e-5)
    if hasattr(loss, "gradient_from_softmax") and not from_logits:
        fused = loss.gradient_from_softmax(y_true, softmax(single, axis=-1),
                                           sample_weight=weight)
        assert fused.dtype == np.float32


# -- the model's fast variants -------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight",
                                       "none"])
@pytest.mark.parametrize(("cls", "kind", "from_logits"), LOSSES, ids=LOSS_IDS)
def test_model_variants_equal_the_public_methods(cls, kind, from_logits, reduction):
    """What :class:`Sequential` calls on a batch: a checked float (float32) output, a
    slice of :func:`_check_sample_weight`'s float64 weights."""
    y_true, y_pred = batch(kind, from_logits, (6, 3), "model")
    y_pred = y_pred.astype(np.float32)
    weights = losses._check_sample_weight(
        rng_for("model weight", kind).uniform(0, 2, 10), 10, output_shape=(3,))
    weight = weights[2:8]
    loss = make(cls, from_logits, reduction=reduction)
    with losses._model_pass():
        value = loss._model_value(y_true, y_pred, weight)
        unweighted = loss._model_value(y_true, y_pred)
        grad = loss._model_gradient(y_true, y_pred, weight)
        grad_unweighted = loss._model_gradient(y_true, y_pred)
    public = loss(y_true, y_pred, sample_weight=weight)
    # for "none", the model logs the mean (as Keras's loss tracker does) and trains on
    # the gradient of the sum (TensorFlow's gradient of a non-scalar)
    assert value == pytest.approx(float(np.mean(public)), rel=1e-6)
    assert unweighted == pytest.approx(float(np.mean(loss(y_true, y_pred))), rel=1e-6)
    np.testing.assert_allclose(grad, loss.gradient(y_true, y_pred, sample_weight=weight),
                               rtol=1e-6)
    np.testing.assert_allclose(grad_unweighted, loss.gradient(y_true, y_pred), rtol=1e-6)
    assert grad.dtype == np.float32
    if hasattr(loss, "gradient_from_softmax") and not from_logits:
        probabilities = softmax(y_pred, axis=-1)
        with losses._model_pass():
            fused = loss._model_gradient_from_softmax(y_true, probabilities, weight)
        np.testing.assert_allclose(
            fused, loss.gradient_from_softmax(y_true, probabilities, sample_weight=weight),
            rtol=1e-6)


def test_model_check_of_sample_weight():
    weight = losses._check_sample_weight([1, 0, 2], 3, output_shape=(4,))
    assert weight.dtype == np.float64
    np.testing.assert_array_equal(weight, [1.0, 0.0, 2.0])
    losses._check_sample_weight(np.ones((3, 1)), 3, output_shape=(4,))
    losses._check_sample_weight(np.ones((3, 5)), 3, output_shape=(5, 4))  # per time step
    with pytest.raises(ValueError, match=r"sample_weight must hold one weight per sample: 3"):
        losses._check_sample_weight(np.ones(4), 3)
    with pytest.raises(ValueError, match="sample_weight must hold one weight per sample"):
        losses._check_sample_weight(2.0, 3)
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        losses._check_sample_weight([1.0, np.nan, 1.0], 3)
    with pytest.raises(TypeError, match="sample_weight"):
        losses._check_sample_weight(["a", "b", "c"], 3)
    losses._check_sample_weight(np.ones((3, 2)), 3, output_shape=(None, 4))  # unknown
    # (3, 2) weights for per-sample values of shape (3,), and (3,) for (3, 5): Keras's
    # rule does not align them (it would broadcast (3, 5) * (3,) only for 5 == 3)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3, 2\) does not match"):
        losses._check_sample_weight(np.ones((3, 2)), 3, output_shape=(4,))
    with pytest.raises(ValueError, match=r"does not match the per-sample losses of shape "
                                         r"\(3, 5\)"):
        losses._check_sample_weight(np.ones(3), 3, output_shape=(5, 4))


# -- reduction and configuration -----------------------------------------------------------------


@pytest.mark.parametrize(("cls", "kind", "from_logits"), LOSSES, ids=LOSS_IDS)
def test_reduction_and_name_in_config(cls, kind, from_logits):
    default = make(cls, from_logits)
    assert default.reduction == "sum_over_batch_size"
    assert "reduction" not in default.get_config() and "name" not in default.get_config()
    for reduction in REDUCTIONS:
        loss = make(cls, from_logits, reduction=reduction, name="my_loss")
        config = loss.get_config()
        assert config["reduction"] == reduction if reduction != "sum_over_batch_size" \
            else "reduction" not in config
        assert config["name"] == "my_loss" and loss.name == "my_loss"
        again = cls.from_config(config)
        assert again.reduction == reduction and again.name == "my_loss"
        assert again.get_config() == config
        assert repr(again) == repr(loss)
    for bad in ("auto", "SUM", "average", 3, ["sum"]):
        with pytest.raises(ValueError, match="reduction must be one of"):
            make(cls, from_logits, reduction=bad)
    for bad in (3, ""):
        with pytest.raises(TypeError, match="name"):
            make(cls, from_logits, name=bad)


def test_reduction_positions_follow_keras():
    """MeanSquaredError takes reduction first, as Keras; the crossentropies take it by
    keyword only (Keras has label_smoothing and axis before it)."""
    assert MeanSquaredError("sum").reduction == "sum"
    with pytest.raises(TypeError):
        CategoricalCrossentropy(False, "sum")


def test_loss_functions_give_per_sample_values():
    y_true, y_pred = batch("categorical", False, (4, 3), "functions")
    np.testing.assert_allclose(losses.categorical_crossentropy(y_true, y_pred),
                               keras_per_sample("categorical", y_true, y_pred, False))
    labels, logits = batch("sparse", True, (4, 3), "functions")
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, logits, True),
                               keras_per_sample("sparse", labels, logits, True))
    y_true, y_pred = batch("binary", False, (4, 3), "functions")
    np.testing.assert_allclose(losses.binary_crossentropy(y_true, y_pred),
                               keras_per_sample("binary", y_true, y_pred, False))
    y_true, y_pred = batch("mse", False, (4, 3), "functions")
    np.testing.assert_allclose(losses.mean_squared_error(y_true, y_pred),
                               keras_per_sample("mse", y_true, y_pred, False))
    # compile's loss may be one of these functions: its class, as Keras wraps it
    assert type(get_loss(losses.mean_squared_error)) is MeanSquaredError
    assert type(get_loss(losses.sparse_categorical_crossentropy)) \
        is SparseCategoricalCrossentropy


# -- sample_weight validation --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["__call__", "gradient", "gradient_from_softmax"])
def test_sample_weight_is_checked(method):
    loss = CategoricalCrossentropy()
    y_true = np.eye(3)[[0, 1]]
    y_pred = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    call = getattr(loss, method)
    with pytest.raises(TypeError, match="sample_weight"):
        call(y_true, y_pred, sample_weight=["a", "b"])
    with pytest.raises(TypeError, match="sample_weight"):
        call(y_true, y_pred, sample_weight=[[1.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="sample_weight contains NaN"):
        call(y_true, y_pred, sample_weight=[1.0, np.nan])
    with pytest.raises(ValueError, match="sample_weight contains inf"):
        call(y_true, y_pred, sample_weight=[np.inf, 1.0])
    with pytest.raises(ValueError, match="sample_weight must not be empty"):
        call(y_true, y_pred, sample_weight=[])
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) does not broadcast "
                                         r"against the per-sample losses of shape \(2,\)"):
        call(y_true, y_pred, sample_weight=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="sample_weight holds values beyond the range"):
        call(y_true, y_pred.astype(np.float32), sample_weight=[1e39, 1.0])


def test_ragged_targets_are_refused_by_name_with_weights():
    with pytest.raises(TypeError, match="y_true"):
        MeanSquaredError()([[1.0], [1.0, 2.0]], [0.5, 0.5], sample_weight=[1.0, 1.0])


def test_sample_weight_is_not_modified():
    weight = np.array([1.0, 2.0])
    loss = SparseCategoricalCrossentropy()
    y_pred = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    loss([0, 1], y_pred, sample_weight=weight)
    loss.gradient([0, 1], y_pred, sample_weight=weight)
    loss.gradient_from_softmax([0, 1], y_pred / y_pred.sum(-1, keepdims=True),
                               sample_weight=weight)
    np.testing.assert_array_equal(weight, [1.0, 2.0])


# -- class_weight ----------------------------------------------------------------------------


def keras_class_weights(class_weight, y):
    """``class_weight_to_sample_weights`` in Keras 3, step by step."""
    class_weight = {int(key): value for key, value in class_weight.items()}
    y = np.asarray(y)
    sample_weight = np.ones(y.shape[0], dtype=np.float32)
    if y.ndim > 1:
        y = np.argmax(y, axis=-1) if y.shape[-1] != 1 else np.squeeze(y, axis=-1)
    y = np.round(y).astype("int32")
    for i in range(y.shape[0]):
        sample_weight[i] = class_weight.get(int(y[i]), 1.0)
    return sample_weight


def test_class_weight_replays_keras():
    rng = rng_for("class weight")
    class_weight = {0: 0.25, 1: 4.0, 3: 1.5, 9: 2.0}
    labels = rng.integers(0, 5, 40)
    one_hot = np.eye(5)[labels]
    probabilities = softmax(rng.normal(size=(40, 5)) + 3 * one_hot, axis=-1)
    for y in (labels, labels[:, None], labels.astype(np.float64), one_hot, probabilities,
              labels.astype(np.uint8)):
        got = class_weight_to_sample_weight(class_weight, y)
        assert got.shape == (40,) and got.dtype == np.float64
        np.testing.assert_array_equal(got, keras_class_weights(class_weight, y))
    # rounding half to even, as np.round; classes without a key weigh 1
    np.testing.assert_array_equal(
        class_weight_to_sample_weight({0: 0.5, 2: 3.0}, [[0.4], [1.5], [2.5], [0.6]]),
        [0.5, 3.0, 3.0, 1.0])
    # keys read with int(): strings of digits and integer-valued floats
    np.testing.assert_array_equal(
        class_weight_to_sample_weight({"1": 2.0, 2.0: 3.0, np.int64(0): 0.5}, [0, 1, 2]),
        [0.5, 2.0, 3.0])
    np.testing.assert_array_equal(class_weight_to_sample_weight({}, [0, 1]), [1.0, 1.0])
    np.testing.assert_array_equal(class_weight_to_sample_weight({1: -1.0}, [1, 0]),
                                  [-1.0, 1.0])


def test_class_weight_gives_the_weighted_loss():
    """fit's class_weight is the sample_weight of each sample's class."""
    labels, y_pred = batch("sparse", False, (8, 3), "class weighted loss")
    class_weight = {0: 1.0, 1: 0.2, 2: 5.0}
    sample_weight = class_weight_to_sample_weight(class_weight, labels)
    expected = np.sum(keras_per_sample("sparse", labels, y_pred, False)
                      * np.array([class_weight[c] for c in labels])) / 8
    assert SparseCategoricalCrossentropy()(labels, y_pred, sample_weight=sample_weight) \
        == pytest.approx(expected, rel=1e-13)


def test_class_weight_is_checked():
    with pytest.raises(ValueError, match="class_weight must be a dict"):
        class_weight_to_sample_weight([1.0, 2.0], [0, 1])
    for key in ("a", 1.5, True, None, (1,)):
        with pytest.raises(ValueError, match="class_weight must have integer class indices"):
            class_weight_to_sample_weight({key: 1.0}, [0, 1])
    with pytest.raises(ValueError, match="class_weight names the class 1 twice"):
        class_weight_to_sample_weight({1: 1.0, "1": 2.0}, [0, 1])
    with pytest.raises(ValueError, match="class_weight has the class index"):
        class_weight_to_sample_weight({2**70: 1.0}, [0, 1])
    with pytest.raises(ValueError, match="class_weight must hold finite weights"):
        class_weight_to_sample_weight({0: np.nan}, [0, 1])
    with pytest.raises(TypeError, match="class_weight must map classes to real numbers"):
        class_weight_to_sample_weight({0: "2"}, [0, 1])
    with pytest.raises(TypeError, match="class_weight must map classes to real numbers"):
        class_weight_to_sample_weight({0: True}, [0, 1])
    with pytest.raises(ValueError, match="y contains NaN"):
        class_weight_to_sample_weight({0: 1.0}, [0.0, np.nan])
    with pytest.raises(TypeError, match="y"):
        class_weight_to_sample_weight({0: 1.0}, ["a", "b"])
    for shape in ((), (0,), (2, 3, 4), (2, 3, 1)):
        with pytest.raises(ValueError, match="one class per sample"):
            class_weight_to_sample_weight({0: 1.0}, np.zeros(shape))
    # huge float labels are clipped (no cast warning), and weigh 1
    np.testing.assert_array_equal(class_weight_to_sample_weight({0: 2.0}, [1e300, 0.0]),
                                  [1.0, 2.0])


def test_gradient_descent_on_the_weighted_loss_finds_weighted_least_squares():
    """Training on MeanSquaredError's weighted gradient minimizes sum_i w_i r_i**2: a
    linear model converges to the weighted least-squares fit, not the unweighted one."""
    rng = rng_for("weighted least squares")
    x = np.column_stack([rng.normal(size=40), np.ones(40)])
    y = x @ np.array([2.0, -1.0]) + rng.normal(0.0, 1.0, 40)
    weight = rng.uniform(0.0, 4.0, 40)
    loss = MeanSquaredError()
    hessian = 2.0 / 40 * (x * weight[:, None]).T @ x
    learning_rate = 1.0 / np.linalg.eigvalsh(hessian).max()
    theta = np.zeros(2)
    for _ in range(2000):
        prediction = (x @ theta)[:, None]
        theta -= learning_rate * x.T @ loss.gradient(y, prediction, sample_weight=weight)[:, 0]
    root = np.sqrt(weight)
    weighted_fit = np.linalg.lstsq(x * root[:, None], y * root, rcond=None)[0]
    plain_fit = np.linalg.lstsq(x, y, rcond=None)[0]
    np.testing.assert_allclose(theta, weighted_fit, rtol=1e-9)
    assert np.abs(weighted_fit - plain_fit).max() > 1e-2    # the weights matter here
