"""Losses (sigconv.nn.losses): Keras's values, gradients by finite differences, fused
softmax gradients, label checks and dtypes.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit, log_softmax, softmax
from strategies import rng_for

from sigconv.nn.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    Loss,
    MeanSquaredError,
    SparseCategoricalCrossentropy,
    get_loss,
)

EPS = 1e-7

# -- plain NumPy/SciPy formulas, one per Keras loss ---------------------------------------


def naive_categorical(y, p, from_logits):
    if from_logits:
        log_q = log_softmax(p, axis=-1)
    else:
        log_q = np.log(np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS))
    return np.mean(-np.sum(y * log_q, axis=-1))


def naive_binary(y, p, from_logits):
    if from_logits:
        p = expit(p)  # moderate logits only: no clipping needed
        return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=-1))


def naive_mse(y, p):
    return np.mean(np.mean((y - p) ** 2, axis=-1))


def one_hot(labels, n_classes):
    return np.eye(n_classes)[labels]


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


# -- hand-computed values ------------------------------------------------------------------


def test_categorical_hand_computed():
    loss = CategoricalCrossentropy()
    assert loss([[0, 1, 0]], [[0.2, 0.5, 0.3]]) == pytest.approx(math.log(2), rel=1e-15)
    # unnormalised rows are divided by their sum first: (1, 2, 1) / 4
    assert loss([[0, 1, 0]], [[1.0, 2.0, 1.0]]) == pytest.approx(math.log(2), rel=1e-15)
    # a zero probability at the label is clipped to 1e-7
    assert loss([[1, 0]], [[0.0, 1.0]]) == pytest.approx(-math.log(1e-7), rel=1e-12)
    # mean over the batch: (log 2 + log 4) / 2
    assert loss([[1, 0], [0, 1]], [[0.5, 0.5], [0.75, 0.25]]) == pytest.approx(
        1.5 * math.log(2), rel=1e-15)
    logits = CategoricalCrossentropy(from_logits=True)
    assert logits([[1, 0, 0]], [[0.0, 0.0, 0.0]]) == pytest.approx(math.log(3), rel=1e-15)
    # log-sum-exp: huge logits do not overflow; ln(1 + e^-1000) = 0 at the maximum
    assert logits([[0, 1]], [[1000.0, 0.0]]) == pytest.approx(1000.0, rel=1e-15)


def test_sparse_hand_computed():
    loss = SparseCategoricalCrossentropy()
    assert loss([1], [[0.2, 0.5, 0.3]]) == pytest.approx(math.log(2), rel=1e-15)
    assert loss([[1], [0]], [[0.5, 0.5], [0.25, 0.75]]) == pytest.approx(
        1.5 * math.log(2), rel=1e-15)
    assert loss(np.array([2.0]), [[0.2, 0.5, 0.3]]) == pytest.approx(-math.log(0.3), rel=1e-15)


def test_binary_and_mse_hand_computed():
    # (-log 0.8 - log 0.7) / 2
    assert BinaryCrossentropy()([1.0, 0.0], [0.8, 0.3]) == pytest.approx(
        (-math.log(0.8) - math.log(0.7)) / 2, rel=1e-15)
    assert BinaryCrossentropy(from_logits=True)([1.0, 0.0], [0.0, 0.0]) == pytest.approx(
        math.log(2), rel=1e-15)
    # max(z, 0) - z y + log1p(exp(-|z|)) for z = 50, y = 0: 50 (no overflow)
    assert BinaryCrossentropy(from_logits=True)([0.0], [50.0]) == pytest.approx(50.0)
    # clipping at 1e-7: log(1 - (1 - 1e-7)) for a certain wrong prediction
    assert BinaryCrossentropy()([0.0], [1.0]) == pytest.approx(-math.log(1e-7), rel=1e-8)
    assert MeanSquaredError()([[1.0, 2.0], [0.0, 0.0]], [[3.0, 2.0], [0.0, 1.0]]) == 1.25


def test_gradients_hand_computed():
    # MSE: 2 (p - y) / size
    np.testing.assert_allclose(MeanSquaredError().gradient([[1.0, 2.0]], [[3.0, 2.0]]),
                               [[2.0, 0.0]])
    # BCE with logits: (sigmoid(z) - y) / size
    np.testing.assert_allclose(
        BinaryCrossentropy(from_logits=True).gradient([1.0, 0.0], [0.0, math.log(3)]),
        [(0.5 - 1.0) / 2, 0.75 / 2])
    # BCE with probabilities: (p - y) / (p (1 - p)) / size = -1/0.8 / 2, 1/0.7 / 2
    np.testing.assert_allclose(BinaryCrossentropy().gradient([1.0, 0.0], [0.8, 0.3]),
                               [-0.625, 1 / 1.4])
    # CE of (1, 2, 1) / 4 at label 1: (sum_j y_j - y_k / q_k) / s = (1 - [0, 2, 0]) / 4
    np.testing.assert_allclose(CategoricalCrossentropy().gradient([[0, 1, 0]], [[1.0, 2.0, 1.0]]),
                               [[0.25, -0.25, 0.25]])


# -- against the naive formulas ------------------------------------------------------------


@st.composite
def categorical_batches(draw):
    """(seed, batch shape, classes, dtype)."""
    batch = draw(st.lists(st.integers(1, 5), min_size=1, max_size=2).map(tuple))
    return (draw(st.integers(0, 2**31)), batch, draw(st.integers(1, 6)),
            draw(st.sampled_from([np.float32, np.float64])))


def random_categorical(seed, batch, n_classes, from_logits, dtype=np.float64):
    rng = rng_for("categorical", seed, batch, n_classes)
    labels = rng.integers(0, n_classes, batch)
    if from_logits:
        y_pred = rng.normal(0.0, 3.0, batch + (n_classes,))
    else:  # positive, unnormalised rows
        y_pred = rng.uniform(0.2, 1.0, batch + (n_classes,))
    return labels, y_pred.astype(dtype)


@given(categorical_batches(), st.booleans())
def test_categorical_values_match_naive(batch_spec, from_logits):
    seed, batch, n_classes, dtype = batch_spec
    labels, y_pred = random_categorical(seed, batch, n_classes, from_logits, dtype)
    expected = naive_categorical(one_hot(labels, n_classes), y_pred.astype(np.float64),
                                 from_logits)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    dense = CategoricalCrossentropy(from_logits)(one_hot(labels, n_classes), y_pred)
    sparse = SparseCategoricalCrossentropy(from_logits)(labels, y_pred)
    assert isinstance(dense, float) and isinstance(sparse, float)
    assert dense == pytest.approx(expected, rel=rtol, abs=rtol)
    assert sparse == pytest.approx(expected, rel=rtol, abs=rtol)


@given(st.integers(0, 2**31), st.sampled_from([np.float32, np.float64]))
def test_categorical_clipping_matches_naive(seed, dtype):
    # rows with exact zeros and ones at and away from the labels: clipping in play
    rng = rng_for("clipping", seed)
    y_pred = rng.uniform(0, 1, (6, 4)) * (rng.uniform(size=(6, 4)) < 0.4)
    y_pred[np.arange(6), rng.integers(0, 4, 6)] += 1.0
    y_pred = y_pred.astype(dtype)
    y_true = rng.dirichlet(np.ones(4), 6)  # probability targets
    expected = naive_categorical(y_true, y_pred.astype(np.float64), False)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert CategoricalCrossentropy()(y_true, y_pred) == pytest.approx(expected, rel=rtol)


@given(st.integers(0, 2**31), st.lists(st.integers(1, 4), min_size=1, max_size=3),
       st.sampled_from([np.float32, np.float64]), st.booleans())
def test_binary_and_mse_values_match_naive(seed, shape, dtype, from_logits):
    rng = rng_for("binary", seed, shape)
    y_true = rng.uniform(0, 1, shape)
    y_pred = (rng.normal(0, 3, shape) if from_logits else rng.uniform(0, 1, shape)).astype(dtype)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert BinaryCrossentropy(from_logits)(y_true, y_pred) == pytest.approx(
        naive_binary(y_true, y_pred.astype(np.float64), from_logits), rel=rtol)
    # y_true is rounded to float32 first (as Keras casts it): an error of one ulp of
    # values below 1, absolute, whatever the size of (y - p)**2
    assert MeanSquaredError()(y_true, y_pred) == pytest.approx(
        naive_mse(y_true, y_pred.astype(np.float64)), rel=rtol,
        abs=2e-7 if dtype == np.float32 else 0.0)


# -- gradients against finite differences ---------------------------------------------------


@given(categorical_batches(), st.booleans(), st.booleans())
def test_categorical_gradients_match_finite_differences(batch_spec, from_logits, soft):
    seed, batch, n_classes, _ = batch_spec
    labels, y_pred = random_categorical(seed, batch, n_classes, from_logits)
    if soft:  # arbitrary non-negative targets, rows not summing to 1
        y_true = rng_for("soft", seed).uniform(0, 1, batch + (n_classes,))
        losses = [(CategoricalCrossentropy(from_logits), y_true)]
    else:
        losses = [(CategoricalCrossentropy(from_logits), one_hot(labels, n_classes)),
                  (SparseCategoricalCrossentropy(from_logits), labels)]
    for loss, y_true in losses:
        grad = loss.gradient(y_true, y_pred)
        assert grad.shape == y_pred.shape and grad.dtype == y_pred.dtype
        numeric = central_difference(lambda p, loss=loss, y=y_true: loss(y, p), y_pred)
        assert_gradient(grad, numeric)


@given(st.integers(0, 2**31), st.lists(st.integers(1, 4), min_size=1, max_size=3),
       st.booleans())
def test_binary_and_mse_gradients_match_finite_differences(seed, shape, from_logits):
    rng = rng_for("binary-grad", seed, shape)
    y_true = rng.uniform(0, 1, shape)
    # probabilities kept away from the clip bounds
    y_pred = rng.normal(0, 3, shape) if from_logits else rng.uniform(0.05, 0.95, shape)
    for loss in (BinaryCrossentropy(from_logits), MeanSquaredError()):
        grad = loss.gradient(y_true, y_pred)
        assert grad.shape == y_pred.shape
        numeric = central_difference(lambda p, loss=loss: loss(y_true, p), y_pred)
        assert_gradient(grad, numeric)


def test_clipped_entries_have_zero_derivative():
    # q = (0, 1) is clipped at both ends: nothing moves the loss
    np.testing.assert_array_equal(CategoricalCrossentropy().gradient([[1.0, 0.0]], [[0.0, 1.0]]),
                                  [[0.0, 0.0]])
    np.testing.assert_array_equal(BinaryCrossentropy().gradient([0.0, 1.0], [1.0, 0.0]),
                                  [0.0, 0.0])


@given(categorical_batches())
def test_probability_gradient_is_orthogonal_to_the_prediction(batch_spec):
    # the loss depends on p / sum(p) only (degree-0 homogeneous): p . grad = 0 per row
    seed, batch, n_classes, _ = batch_spec
    labels, y_pred = random_categorical(seed, batch, n_classes, False)
    grad = SparseCategoricalCrossentropy().gradient(labels, y_pred)
    np.testing.assert_allclose(np.sum(grad * y_pred, axis=-1), 0.0, atol=1e-12)


# -- fused softmax gradient -----------------------------------------------------------------


@given(categorical_batches(), st.booleans())
def test_gradient_from_softmax_is_the_chain_rule(batch_spec, soft):
    seed, batch, n_classes, dtype = batch_spec
    labels, _ = random_categorical(seed, batch, n_classes, True)
    # logits within 6 of each other: no probability near the 1e-7 clip of the chained loss
    logits = rng_for("logits", seed).uniform(-3, 3, batch + (n_classes,))
    probabilities = softmax(logits, axis=-1)
    y_true = (rng_for("soft", seed).dirichlet(np.ones(n_classes), batch) if soft
              else one_hot(labels, n_classes))
    rows = math.prod(batch)
    targets = [(CategoricalCrossentropy(), y_true)]
    if not soft:
        targets.append((SparseCategoricalCrossentropy(), labels))
    for loss, target in targets:
        fused = loss.gradient_from_softmax(target, probabilities.astype(dtype))
        assert fused.dtype == dtype and fused.shape == probabilities.shape
        # chain rule: J^T g with the softmax Jacobian J = diag(p) - p p^T, per row
        upstream = loss.gradient(target, probabilities)
        chained = probabilities * (upstream - np.sum(upstream * probabilities, axis=-1,
                                                     keepdims=True))
        rtol = 1e-5 if dtype == np.float32 else 1e-10
        np.testing.assert_allclose(fused, chained, rtol=rtol, atol=rtol / rows)
        # the same as the logits loss's gradient, and (p - y) / n
        np.testing.assert_allclose(fused, type(loss)(from_logits=True).gradient(target, logits),
                                   rtol=rtol, atol=rtol / rows)
        np.testing.assert_allclose(fused, (probabilities - y_true) / rows, rtol=rtol,
                                   atol=rtol / rows)


# -- shapes, labels, dtypes, errors ----------------------------------------------------------


def test_higher_rank_predictions_are_rows_of_classes():
    rng = rng_for("rank")
    logits = rng.normal(size=(2, 3, 4, 5))
    labels = rng.integers(0, 5, (2, 3, 4))
    loss = SparseCategoricalCrossentropy(from_logits=True)
    flat = loss(labels.reshape(-1), logits.reshape(-1, 5))
    assert loss(labels, logits) == pytest.approx(flat, rel=1e-14)
    np.testing.assert_allclose(loss.gradient(labels, logits).reshape(-1, 5),
                               loss.gradient(labels.reshape(-1), logits.reshape(-1, 5)))


def test_sparse_label_shapes_and_dtypes():
    loss = SparseCategoricalCrossentropy()
    y_pred = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    reference = loss(np.array([1, 0]), y_pred)
    for labels in (np.array([[1], [0]]), np.array([1.0, 0.0]), np.array([1, 0], np.uint8),
                   [1, 0]):
        assert loss(labels, y_pred) == reference
    with pytest.raises(ValueError, match="y_true must hold one label per row"):
        loss(np.array([1, 0, 2]), y_pred)
    with pytest.raises(ValueError, match="y_true must hold integer class labels"):
        loss(np.array([0.5, 1.0]), y_pred)
    with pytest.raises(ValueError, match="integer class labels"):
        loss(np.array([np.nan, 1.0]), y_pred)
    with pytest.raises(TypeError, match="y_true"):
        loss(np.array(["a", "b"]), y_pred)


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0], [7, 1]])
@pytest.mark.parametrize("method", ["__call__", "gradient", "gradient_from_softmax"])
def test_labels_out_of_range(labels, method):
    loss = SparseCategoricalCrossentropy()
    y_pred = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"y_true must hold class labels in \[0, 3\)"):
        getattr(loss, method)(labels, y_pred)


@pytest.mark.parametrize("loss", [CategoricalCrossentropy(), BinaryCrossentropy(),
                                  MeanSquaredError()])
def test_shape_mismatch(loss):
    with pytest.raises(ValueError, match=r"y_true must have the shape of y_pred \(2, 3\)"):
        loss(np.zeros((2, 2)), np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="y_true"):
        loss.gradient(np.zeros((3, 2)), np.full((2, 3), 0.5))


def test_trailing_axis_of_one_is_matched_as_in_keras():
    y_true, y_pred = np.array([1.0, 0.0, 1.0]), np.array([[0.9], [0.2], [0.6]])
    loss = BinaryCrossentropy()
    assert loss(y_true, y_pred) == loss(y_true[:, None], y_pred)
    assert loss(y_true[:, None], y_pred[:, 0]) == loss(y_true, y_pred[:, 0])
    assert loss.gradient(y_true, y_pred).shape == (3, 1)


@pytest.mark.parametrize("loss", [CategoricalCrossentropy(), SparseCategoricalCrossentropy(True),
                                  BinaryCrossentropy(), MeanSquaredError()])
def test_nan_predictions_propagate_as_in_keras(loss):
    """A diverged network's NaN reaches the loss and its gradient (nothing raises)."""
    y_pred = np.array([[0.5, np.nan], [0.5, 0.5]])
    y_true = [0, 1] if isinstance(loss, SparseCategoricalCrossentropy) else np.eye(2)
    with np.errstate(invalid="ignore"):
        assert np.isnan(loss(y_true, y_pred))
        gradient = loss.gradient(y_true, y_pred)
        assert np.isfinite(gradient[1]).all()   # the clean sample is unaffected
        if hasattr(loss, "gradient_from_softmax"):
            assert np.isnan(loss.gradient_from_softmax(y_true, y_pred)[0]).any()


def test_empty_or_non_numeric_predictions_are_refused():
    with pytest.raises(ValueError, match="y_pred"):
        MeanSquaredError()(np.zeros((0, 2)), np.zeros((0, 2)))
    with pytest.raises(TypeError, match="y_pred"):
        MeanSquaredError()(["a"], ["b"])


@pytest.mark.parametrize("loss", [CategoricalCrossentropy(), CategoricalCrossentropy(True),
                                  SparseCategoricalCrossentropy(),
                                  SparseCategoricalCrossentropy(True), BinaryCrossentropy(),
                                  BinaryCrossentropy(True), MeanSquaredError()])
def test_float32_stays_float32(loss):
    rng = rng_for("float32", repr(loss))
    y_pred = rng.uniform(0.1, 0.9, (4, 3))
    if isinstance(loss, SparseCategoricalCrossentropy):
        y_true = rng.integers(0, 3, 4)
    else:
        y_true = one_hot(rng.integers(0, 3, 4), 3)
    single = y_pred.astype(np.float32)
    grad = loss.gradient(y_true, single)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, loss.gradient(y_true, y_pred), rtol=1e-5, atol=1e-7)
    assert loss(y_true, single) == pytest.approx(loss(y_true, y_pred), rel=1e-6)
    if hasattr(loss, "gradient_from_softmax"):
        assert loss.gradient_from_softmax(y_true, single).dtype == np.float32


def test_integer_predictions_compute_in_float64():
    grad = MeanSquaredError().gradient([1, 2], [2, 2])
    assert grad.dtype == np.float64
    np.testing.assert_array_equal(grad, [1.0, 0.0])


def test_inputs_are_not_modified():
    y_pred = np.array([[0.0, 2.0, 1.0]])
    y_true = np.array([[0.0, 1.0, 0.0]])
    for loss in (CategoricalCrossentropy(), BinaryCrossentropy(), MeanSquaredError()):
        loss(y_true, y_pred)
        loss.gradient(y_true, y_pred)
    probabilities = np.array([[0.0, 0.75, 0.25]])   # a softmax output (values in [0, 1])
    CategoricalCrossentropy().gradient_from_softmax(y_true, probabilities)
    np.testing.assert_array_equal(probabilities, [[0.0, 0.75, 0.25]])
    np.testing.assert_array_equal(y_pred, [[0.0, 2.0, 1.0]])
    np.testing.assert_array_equal(y_true, [[0.0, 1.0, 0.0]])


def test_get_loss_and_config():
    assert isinstance(get_loss("categorical_crossentropy"), CategoricalCrossentropy)
    assert isinstance(get_loss("sparse_categorical_crossentropy"),
                      SparseCategoricalCrossentropy)
    assert isinstance(get_loss("binary_crossentropy"), BinaryCrossentropy)
    assert isinstance(get_loss("mse"), MeanSquaredError)
    assert isinstance(get_loss("mean_squared_error"), MeanSquaredError)
    assert isinstance(get_loss("MeanSquaredError"), MeanSquaredError)
    instance = CategoricalCrossentropy(from_logits=True)
    assert get_loss(instance) is instance
    assert isinstance(instance, Loss)
    assert instance.name == "categorical_crossentropy"
    assert CategoricalCrossentropy.from_config(instance.get_config()).from_logits
    assert MeanSquaredError().get_config() == {}
    with pytest.raises(ValueError, match="'categorical_crossentropy', "):
        get_loss("hinge")
    with pytest.raises(TypeError, match="loss"):
        get_loss(3)
    with pytest.raises(TypeError, match="loss"):
        get_loss(MeanSquaredError)
