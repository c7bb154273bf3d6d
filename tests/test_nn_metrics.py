"""sigconv.nn.metrics against NumPy replays of Keras 3's formulas (no Keras here).

Every replay is written out step by step from Keras's source (``keras/src/metrics``):
a mean metric keeps ``total += sum_i w_i v_i`` and ``count += sum_i w_i`` over batches
(``count += batch`` without weights); the confusion metrics keep weighted counts of
``y_pred > threshold`` per threshold.
"""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from sigconv.nn import metrics
from sigconv.nn.losses import BinaryCrossentropy, CategoricalCrossentropy, MeanSquaredError

RNG = np.random.default_rng(20261207)
SIZES = (3, 1, 5)         # a batch of 1 after one of 3: a mean of batch means would differ


def one_hot(labels, classes):
    return np.eye(classes)[labels]


def replay_mean(per_sample, weights=None):
    """Keras's Mean over batches: the per-sample values of each batch, weighted."""
    total = count = 0.0
    for index, values in enumerate(per_sample):
        w = np.ones(len(values)) if weights is None else weights[index]
        total += np.sum(w * values)
        count += np.sum(w)
    return total / count if count else 0.0


def batches(make, sizes=SIZES):
    return [make(size) for size in sizes]


def weight_batches(sizes=SIZES):
    return [RNG.uniform(0.0, 2.0, size) for size in sizes]


def run(metric, data, weights=None):
    for index, (y_true, y_pred) in enumerate(data):
        metric.update_state(y_true, y_pred,
                            sample_weight=None if weights is None else weights[index])
    return metric.result()


# -- per-sample replays of the mean metrics ----------------------------------------------

def replay_accuracy(y_true, y_pred):
    return (np.asarray(y_true, float).reshape(y_pred.shape) == y_pred).mean(axis=-1)


def replay_binary_accuracy(y_true, y_pred, threshold=0.5):
    predicted = (y_pred > np.float32(threshold)).astype(float)
    return (y_true.reshape(y_pred.shape) == predicted).mean(axis=-1)


def replay_categorical(y_true, y_pred):
    return (np.argmax(y_true, axis=1) == np.argmax(y_pred, axis=1)).astype(float)


def replay_sparse(y_true, y_pred):
    return (np.asarray(y_true).reshape(-1) == np.argmax(y_pred, axis=1)).astype(float)


def replay_in_top_k(labels, y_pred, k):
    """tf.math.in_top_k: fewer than k scores strictly above the label's, finite rows."""
    out = []
    for label, row in zip(np.asarray(labels).reshape(-1).astype(int), y_pred, strict=True):
        out.append(float(np.all(np.isfinite(row)) and np.sum(row > row[label]) < k))
    return np.array(out)


def replay_mse(y_true, y_pred):
    return ((y_true - y_pred) ** 2).mean(axis=-1)


def replay_mae(y_true, y_pred):
    return np.abs(y_true - y_pred).mean(axis=-1)


def categorical_batch(size, classes=4):
    return one_hot(RNG.integers(0, classes, size), classes), RNG.random((size, classes))


def sparse_batch(size, classes=4):
    return RNG.integers(0, classes, size), RNG.random((size, classes))


def binary_batch(size):
    return RNG.integers(0, 2, (size, 1)).astype(float), RNG.random((size, 1))


def regression_batch(size):
    return RNG.normal(size=(size, 3)), RNG.normal(size=(size, 3))


CASES = {
    "accuracy": (metrics.Accuracy, lambda n: (RNG.integers(0, 3, (n, 2)),
                                              RNG.integers(0, 3, (n, 2)).astype(float)),
                 replay_accuracy),
    "binary": (metrics.BinaryAccuracy, binary_batch, replay_binary_accuracy),
    "binary_threshold": (lambda: metrics.BinaryAccuracy(threshold=0.3), binary_batch,
                         lambda t, p: replay_binary_accuracy(t, p, 0.3)),
    "binary_multi": (metrics.BinaryAccuracy, lambda n: (RNG.integers(0, 2, (n, 3)),
                                                        RNG.random((n, 3))),
                     replay_binary_accuracy),
    "categorical": (metrics.CategoricalAccuracy, categorical_batch, replay_categorical),
    "sparse": (metrics.SparseCategoricalAccuracy, sparse_batch, replay_sparse),
    "sparse_float_column": (metrics.SparseCategoricalAccuracy,
                            lambda n: (lambda t, p: (t.astype(float)[:, None], p))(
                                *sparse_batch(n)), replay_sparse),
    "top_k": (lambda: metrics.TopKCategoricalAccuracy(k=2), categorical_batch,
              lambda t, p: replay_in_top_k(np.argmax(t, axis=1), p, 2)),
    "sparse_top_k": (lambda: metrics.SparseTopKCategoricalAccuracy(k=2), sparse_batch,
                     lambda t, p: replay_in_top_k(t, p, 2)),
    "mse": (metrics.MeanSquaredError, regression_batch, replay_mse),
    "mae": (metrics.MeanAbsoluteError, regression_batch, replay_mae),
}


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASES)
def test_mean_metric_replays_keras_over_batches(case, weighted):
    make_metric, make_batch, per_sample = CASES[case]
    data = batches(make_batch)
    weights = weight_batches() if weighted else None
    expected = replay_mean([per_sample(t, p) for t, p in data], weights)
    metric = make_metric()
    value = run(metric, data, weights)
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-6, abs=1e-7)
    # reset_state forgets every batch; the metric then equals a fresh one
    metric.reset_state()
    assert metric.result() == 0.0
    assert run(metric, data[1:], None if weights is None else weights[1:]) == \
        run(make_metric(), data[1:], None if weights is None else weights[1:])


def test_batches_of_3_and_1_weigh_by_size_not_as_a_mean_of_batch_means():
    y_true = [np.array([0, 1, 2]), np.array([1])]
    y_pred = [one_hot([0, 1, 0], 3), one_hot([0], 3)]       # 2 of 3 right, then 0 of 1
    metric = metrics.SparseCategoricalAccuracy()
    for t, p in zip(y_true, y_pred, strict=True):
        metric.update_state(t, p)
    assert metric.result() == pytest.approx(2 / 4)           # not (2/3 + 0) / 2
    loss = metrics.Mean(name="loss")                         # a model's loss tracker
    loss.update_state(0.9, sample_weight=3)
    loss.update_state(0.1, sample_weight=1)
    assert loss.result() == pytest.approx((3 * 0.9 + 0.1) / 4)


def test_call_updates_then_returns_the_running_result():
    metric = metrics.CategoricalAccuracy()
    assert metric(one_hot([0, 1], 2), one_hot([0, 0], 2)) == 0.5
    assert metric(one_hot([1], 2), one_hot([1], 2)) == pytest.approx(2 / 3)


def test_a_user_metric_subclass_as_in_keras_docs():
    class BinaryTruePositives(metrics.Metric):
        _state_names = ("true_positives",)

        def __init__(self, name="binary_true_positives", dtype=None):
            super().__init__(name=name, dtype=dtype)
            self.true_positives = np.zeros((), self.dtype)

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = np.logical_and(np.asarray(y_true, bool), np.asarray(y_pred, bool))
            if sample_weight is not None:
                values = values * np.broadcast_to(sample_weight, values.shape)
            self.true_positives = self.true_positives + values.sum(dtype=self.dtype)

        def result(self):
            return float(self.true_positives)

    metric = BinaryTruePositives()
    assert metric([1, 1, 0], [1, 0, 1]) == 1.0
    assert metric([1, 1], [1, 1], sample_weight=[0.5, 2.0]) == 3.5
    metric.reset_state()
    assert metric.result() == 0.0 and metric.get_config()["name"] == "binary_true_positives"
    assert type(metrics.get(BinaryTruePositives)) is BinaryTruePositives


# -- sample_weight broadcasting, as Keras's reduce_to_samplewise_values --------------------

def test_mean_matches_sample_weight_as_keras():
    values = np.array([[1.0, 3.0], [5.0, 7.0], [2.0, 2.0]])
    # weight per sample: values averaged per sample first
    m = metrics.Mean()
    m.update_state(values, sample_weight=[1.0, 0.0, 2.0])
    assert m.result() == pytest.approx((1 * 2.0 + 2 * 2.0) / 3)
    # weight per entry: weighted entries averaged per sample, weights averaged likewise
    w = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    m = metrics.Mean()
    m.update_state(values, sample_weight=w)
    total = ((values * w).mean(axis=1)).sum()
    count = w.mean(axis=1).sum()
    assert m.result() == pytest.approx(total / count)
    # a scalar weight scales the batch's mean and counts as one sample of that weight
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0], sample_weight=2.0)
    m.update_state([10.0], sample_weight=2.0)
    assert m.result() == pytest.approx((2 * 2.0 + 2 * 10.0) / 4)
    # (batch, 1) weights for (batch,) values: a trailing axis of 1 is matched
    m = metrics.Mean()
    m.update_state([1.0, 5.0], sample_weight=[[3.0], [1.0]])
    assert m.result() == pytest.approx((3 * 1 + 5) / 4)


def test_binary_accuracy_weights_per_entry():
    y_true = np.array([[1, 0, 1], [0, 0, 1]])
    y_pred = np.array([[0.9, 0.6, 0.4], [0.1, 0.2, 0.7]])
    w = np.array([[1.0, 2.0, 0.0], [1.0, 1.0, 1.0]])
    right = (y_true == (y_pred > 0.5)).astype(float)
    metric = metrics.BinaryAccuracy()
    metric.update_state(y_true, y_pred, sample_weight=w)
    assert metric.result() == pytest.approx(
        (right * w).mean(axis=1).sum() / w.mean(axis=1).sum())


def test_sum_and_mean_refuse_weights_that_do_not_broadcast():
    with pytest.raises(ValueError, match="sample_weight"):
        metrics.Mean().update_state(np.ones(3), sample_weight=np.ones(2))
    with pytest.raises(ValueError, match="sample_weight"):
        metrics.CategoricalAccuracy().update_state(one_hot([0, 1], 2), np.ones((2, 2)),
                                                   sample_weight=np.ones((2, 3)))
    s = metrics.Sum()
    s.update_state([[1.0, 2.0], [3.0, 4.0]], sample_weight=[1.0, 0.5])
    assert s.result() == pytest.approx(3.0 + 3.5)


def test_mse_of_1d_inputs_is_one_value_per_batch_as_keras():
    # Keras's mean over the last axis makes a (batch,) pair one sample per batch
    metric = metrics.MeanSquaredError()
    metric.update_state([0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    metric.update_state([0.0], [3.0])
    assert metric.result() == pytest.approx((1.0 + 9.0) / 2)
    # (batch,) targets for (batch, 1) predictions are matched to them: one value a sample
    metric = metrics.MeanSquaredError()
    metric.update_state([0.0, 0.0, 0.0], [[1.0], [1.0], [1.0]])
    metric.update_state([0.0], [[3.0]])
    assert metric.result() == pytest.approx((3 * 1.0 + 9.0) / 4)


# -- details of the accuracy formulas ------------------------------------------------------

def test_binary_accuracy_threshold_is_rounded_to_float32_and_targets_compared_exactly():
    between = 0.3 + 1e-9                  # above 0.3, below float32(0.3) = 0.30000001...
    assert 0.3 < between < float(np.float32(0.3))
    metric = metrics.BinaryAccuracy(threshold=0.3)
    assert metric([[0.0]], np.array([[between]])) == 1.0      # not above the threshold
    # a target of 0.9 is neither 0 nor 1: never right
    assert metrics.BinaryAccuracy()([[0.9], [1.0]], [[0.8], [0.8]]) == 0.5


def test_top_k_ties_count_as_inside_and_non_finite_rows_as_wrong():
    scores = np.array([[0.5, 0.5, 0.0], [0.2, 0.5, 0.5], [0.5, 0.5, 0.4],
                       [0.1, np.nan, 0.9], [0.3, 0.2, np.inf]])
    # k=1: rows 0 and 1 (the label ties the highest score); row 2 has two scores above
    # its label; rows 3 and 4 hold a NaN or an infinity (TensorFlow: never inside)
    labels = np.array([1, 2, 2, 2, 0])
    metric = metrics.SparseTopKCategoricalAccuracy(k=1)
    metric.update_state(labels, scores)
    assert metric.result() == pytest.approx(2 / 5)
    assert metrics.SparseTopKCategoricalAccuracy(k=2)(labels, scores) == pytest.approx(2 / 5)
    assert metrics.SparseTopKCategoricalAccuracy(k=3)(labels, scores) == pytest.approx(3 / 5)
    # k at least the number of classes: every finite row is inside
    assert metrics.TopKCategoricalAccuracy(k=5)(one_hot([2], 3), [[0.9, 0.5, 0.1]]) == 1.0


def test_sparse_top_k_from_sorted_ids():
    metric = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    metric.update_state([7, 1, 4], [[3, 7, 1], [1, 2, 3], [0, 2, 4]])
    assert metric.result() == pytest.approx(2 / 3)
    assert metric.get_config()["from_sorted_ids"] is True
    assert "from_sorted_ids" not in metrics.SparseTopKCategoricalAccuracy().get_config()


def test_categorical_argmax_takes_the_first_maximum():
    metric = metrics.CategoricalAccuracy()
    assert metric([[0, 1, 0]], [[0.4, 0.4, 0.2]]) == 0.0
    assert metrics.SparseCategoricalAccuracy()([0], [[0.4, 0.4, 0.2]]) == 1.0


def test_accuracy_metrics_take_float32_and_float64_and_every_label_layout():
    probabilities = RNG.random((6, 5))
    labels = probabilities.argmax(axis=1)
    for dtype in (np.float32, np.float64):
        p = probabilities.astype(dtype)
        for y in (labels, labels[:, None], labels.astype(dtype), labels[:, None].astype(dtype)):
            assert metrics.SparseCategoricalAccuracy()(y, p) == 1.0
        assert metrics.CategoricalAccuracy()(one_hot(labels, 5).astype(dtype), p) == 1.0


def test_nan_predictions_reach_the_result():
    assert np.isnan(metrics.MeanSquaredError()([[1.0]], [[np.nan]]))
    assert np.isnan(metrics.Mean()([np.nan, 1.0]))


def test_state_dtype():
    metric = metrics.Mean(dtype="float64")
    metric.update_state(np.full(3, 0.1))
    assert metric.total.dtype == np.float64 and metric.dtype == np.float64
    default = metrics.Mean()
    default.update_state(np.full(3, 0.1))
    assert default.total.dtype == np.float32 and default.dtype == "float32"
    assert default.result() == pytest.approx(0.1, rel=1e-7)
    assert metrics.AUC().true_positives.dtype == np.float32


def test_model_update_state_equals_update_state():
    data = batches(sparse_batch)
    weights = weight_batches()
    checked = metrics.SparseCategoricalAccuracy()
    for (t, p), w in zip(data, weights, strict=True):
        checked._model_update_state(t, p, w)
    assert checked.result() == run(metrics.SparseCategoricalAccuracy(), data, weights)
    auc = metrics.AUC()
    for (t, p), w in zip(batches(binary_batch), weights, strict=True):
        auc._model_update_state(t, p, w)
    assert 0.0 <= auc.result() <= 1.0


# -- confusion metrics --------------------------------------------------------------------

def replay_counts(y_true, y_pred, thresholds, weights=None):
    """Weighted tp, fp, tn, fn at each threshold: an entry is predicted positive when
    y_pred > threshold (float32 comparisons, as Keras's variables are float32)."""
    y_true = np.asarray(y_true, np.float32).reshape(-1) != 0
    y_pred = np.asarray(y_pred, np.float32).reshape(-1)
    w = np.ones(y_pred.shape) if weights is None else np.asarray(weights).reshape(-1)
    counts = []
    for t in np.asarray(thresholds, np.float32):
        above = y_pred > t
        counts.append([np.sum(w * (above & y_true)), np.sum(w * (above & ~y_true)),
                       np.sum(w * (~above & ~y_true)), np.sum(w * (~above & y_true))])
    return np.array(counts).T


def precision_batch(size):
    return RNG.integers(0, 2, (size, 3)), RNG.random((size, 3))


@pytest.mark.parametrize("thresholds", [None, 0.3, [0.25, 0.7], [0.0, 0.5, 1.0]])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_precision_and_recall_replay_keras_counts(thresholds, weighted):
    data = batches(precision_batch)
    weights = weight_batches() if weighted else None
    levels = [0.5] if thresholds is None else np.atleast_1d(thresholds)
    tp = fp = fn = 0.0
    for index, (t, p) in enumerate(data):
        w = None if weights is None else np.repeat(weights[index][:, None], 3, axis=1)
        counts = replay_counts(t, p, levels, w)
        tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[3]
    precision = run(metrics.Precision(thresholds=thresholds), data, weights)
    recall = run(metrics.Recall(thresholds=thresholds), data, weights)
    if len(levels) == 1:
        assert precision == pytest.approx((tp / (tp + fp))[0], rel=1e-6)
        assert recall == pytest.approx((tp / (tp + fn))[0], rel=1e-6)
    else:
        expected_precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
        np.testing.assert_allclose(precision, expected_precision, rtol=1e-6)
        np.testing.assert_allclose(recall, tp / (tp + fn), rtol=1e-6)


def test_evenly_spaced_thresholds_count_through_clipped_buckets_as_keras():
    # three evenly spaced thresholds: Keras clips predictions to [0, 1] and buckets them,
    # so a prediction of 1.2 is not above the threshold 1.0 (it would be in a comparison)
    metric = metrics.Precision(thresholds=[0.0, 0.5, 1.0])
    metric.update_state([1, 0], [1.2, 0.5])
    np.testing.assert_allclose(metric.true_positives, [1, 1, 0])
    np.testing.assert_allclose(metric.false_positives, [1, 0, 0])     # 0.5 > 0.5 is False
    uneven = metrics.Precision(thresholds=[0.0, 0.4, 1.0])
    uneven.update_state([1, 0], [1.2, 0.5])
    np.testing.assert_allclose(uneven.true_positives, [1, 1, 1])


def test_precision_top_k_and_class_id():
    y_true = np.array([[0, 0, 1, 1], [1, 0, 0, 1]])
    y_pred = np.array([[0.3, 0.3, 0.3, 0.9], [0.8, 0.1, 0.8, 0.2]])
    # top 2 per row (ties: lower index first): row 0 keeps 0.9 and the 0.3 at index 0;
    # row 1 keeps both 0.8
    metric = metrics.Precision(top_k=2)
    metric.update_state(y_true, y_pred)
    assert metric.result() == pytest.approx(2 / 4)
    recall = metrics.Recall(top_k=2)
    recall.update_state(y_true, y_pred)
    assert recall.result() == pytest.approx(2 / 4)
    # class_id: only column 3 (positives above 0.5: row 0; labels 1 in both rows)
    assert metrics.Recall(class_id=3)(y_true, y_pred) == pytest.approx(1 / 2)
    assert metrics.Precision(class_id=3)(y_true, y_pred) == 1.0
    # both: the column's value after the top-k filter, against threshold 0.5
    assert metrics.Precision(top_k=1, class_id=2, thresholds=0.5)(y_true, y_pred) == 0.0


def keras_auc_thresholds(num_thresholds):
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return np.array([-1e-7] + inner + [1 + 1e-7])


def replay_auc(tp, fp, tn, fn, curve="ROC", summation="interpolation"):
    """Keras's AUC.result from the counts, written out."""
    def ratio(a, b):
        return np.divide(a, b, out=np.zeros_like(a), where=b != 0)
    if curve == "PR" and summation == "interpolation":
        area = 0.0
        for i in range(len(tp) - 1):
            dtp = tp[i] - tp[i + 1]
            p_a, p_b = tp[i] + fp[i], tp[i + 1] + fp[i + 1]
            slope = dtp / max(p_a - p_b, 0) if max(p_a - p_b, 0) else 0.0
            intercept = tp[i + 1] - slope * p_b
            log_ratio = np.log(p_a / p_b) if p_a > 0 and p_b > 0 else 0.0
            positives = max(tp[i + 1] + fn[i + 1], 0)
            area += slope * (dtp + intercept * log_ratio) / positives if positives else 0.0
        return area
    recall = ratio(tp, tp + fn)
    if curve == "PRGAIN":       # gains scaled by P/N; no true positive: gains 0 and 1
        scale = ratio(tp + fn, tn + fp)
        x = np.maximum(np.where(tp == 0, 0.0, 1 - scale * ratio(fn, tp)), 0.0)
        y = np.where(tp == 0, 1.0, 1 - scale * ratio(fp, tp))
    else:
        x, y = (ratio(fp, fp + tn), recall) if curve == "ROC" else \
            (recall, ratio(tp, tp + fp))
    heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
               "majoring": np.maximum(y[:-1], y[1:])}[summation]
    return float(np.sum((x[:-1] - x[1:]) * heights))


def auc_batch(size):
    y_true = RNG.integers(0, 2, size)
    # informative but noisy scores, away from the bucket edges i / (n - 1)
    return y_true, np.clip(0.35 * y_true + 0.65 * RNG.random(size), 0, 1).astype(np.float32)


@pytest.mark.parametrize("curve,summation", [("ROC", "interpolation"), ("ROC", "minoring"),
                                             ("ROC", "majoring"), ("PR", "interpolation"),
                                             ("PR", "majoring"), ("PRGAIN", "interpolation")])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_auc_replays_keras_interpolation(curve, summation, weighted):
    sizes = (40, 1, 25)
    data = batches(auc_batch, sizes)
    weights = weight_batches(sizes) if weighted else None
    thresholds = keras_auc_thresholds(50)
    counts = sum(replay_counts(t, p, thresholds, None if weights is None else weights[i])
                 for i, (t, p) in enumerate(data))
    metric = metrics.AUC(num_thresholds=50, curve=curve, summation_method=summation)
    value = run(metric, data, weights)
    # float32 state: fn = (sum of positive weights) - tp carries that sum's round-off
    for state, expected in zip(metric.variables, counts, strict=True):
        np.testing.assert_allclose(state, expected, rtol=1e-5, atol=1e-4)
    assert value == pytest.approx(replay_auc(*counts, curve, summation), rel=1e-5)


def test_auc_is_close_to_sklearn_with_many_thresholds():
    y_true = RNG.integers(0, 2, 2000)
    y_score = np.clip(0.3 * y_true + 0.7 * RNG.random(2000), 0, 1)
    metric = metrics.AUC(num_thresholds=2000)
    for chunk in np.array_split(np.arange(2000), 7):
        metric.update_state(y_true[chunk], y_score[chunk])
    assert metric.result() == pytest.approx(roc_auc_score(y_true, y_score), abs=2e-3)
    weights = RNG.uniform(0.1, 2.0, 2000)
    weighted = metrics.AUC(num_thresholds=2000)
    weighted.update_state(y_true, y_score, sample_weight=weights)
    assert weighted.result() == pytest.approx(
        roc_auc_score(y_true, y_score, sample_weight=weights), abs=2e-3)


def test_auc_end_thresholds_and_uneven_thresholds():
    # predictions of exactly 0 and 1 fall inside the end thresholds -1e-7 and 1 + 1e-7
    metric = metrics.AUC(num_thresholds=3)
    metric.update_state([0, 1], [0.0, 1.0])
    np.testing.assert_allclose(metric.true_positives, [1, 1, 0])
    np.testing.assert_allclose(metric.false_positives, [1, 0, 0])
    assert metric.result() == 1.0
    # thresholds given, unevenly spaced: direct comparisons with them
    data = batches(auc_batch, (30, 7))
    custom = metrics.AUC(thresholds=[0.7, 0.2, 0.5])
    value = run(custom, data)
    assert custom.thresholds == pytest.approx([-1e-7, 0.2, 0.5, 0.7, 1 + 1e-7])
    counts = sum(replay_counts(t, p, custom.thresholds) for t, p in data)
    assert value == pytest.approx(replay_auc(*counts), rel=1e-6)


def test_auc_from_logits_multi_label_and_label_weights():
    logits = RNG.normal(size=(60, 3)).astype(np.float32)
    y_true = (RNG.random((60, 3)) < 1 / (1 + np.exp(-logits))).astype(int)
    probabilities = 1 / (1 + np.exp(-logits.astype(np.float64)))
    assert metrics.AUC(from_logits=True)(y_true, logits) == pytest.approx(
        metrics.AUC()(y_true, probabilities), abs=1e-6)
    # multi_label: one area per column, averaged (weighted by label_weights)
    per_label = [metrics.AUC()(y_true[:, j], probabilities[:, j]) for j in range(3)]
    assert metrics.AUC(multi_label=True)(y_true, probabilities) == pytest.approx(
        np.mean(per_label), rel=1e-5)
    weights = np.array([1.0, 0.0, 3.0])
    assert metrics.AUC(multi_label=True, label_weights=weights)(y_true, probabilities) == \
        pytest.approx(np.dot(per_label, weights) / weights.sum(), rel=1e-5)
    # without multi_label, label_weights weight each column's entries in the counts
    flat = metrics.AUC(label_weights=weights)
    flat.update_state(y_true, probabilities)
    counts = replay_counts(y_true, probabilities, flat.thresholds, np.tile(weights, (60, 1)))
    np.testing.assert_allclose(flat.true_positives, counts[0], rtol=1e-5)
    assert metrics.AUC(multi_label=True, num_labels=3).true_positives.shape == (200, 3)


# -- config, get, resolve -----------------------------------------------------------------

CONFIGURED = [
    metrics.Mean(name="loss"), metrics.Sum(), metrics.Accuracy(),
    metrics.BinaryAccuracy(threshold=0.2, dtype="float64"), metrics.CategoricalAccuracy(),
    metrics.SparseCategoricalAccuracy(name="acc"), metrics.TopKCategoricalAccuracy(k=3),
    metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True),
    metrics.MeanSquaredError(), metrics.MeanAbsoluteError(),
    metrics.Precision(thresholds=[0.2, 0.6], class_id=1), metrics.Recall(top_k=2),
    metrics.AUC(curve="PR", summation_method="minoring", thresholds=[0.3, 0.6]),
    metrics.AUC(multi_label=True, num_labels=2, label_weights=[1.0, 2.0], from_logits=True),
]


@pytest.mark.parametrize("metric", CONFIGURED, ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    config = metric.get_config()
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    assert metrics.get({"class_name": type(metric).__name__, "config": config}).get_config() \
        == config
    assert clone.name == metric.name and clone.dtype == metric.dtype


def test_config_round_trip_gives_the_same_results():
    data = batches(auc_batch)
    original = metrics.AUC(num_thresholds=17, curve="PR")
    clone = metrics.AUC.from_config(original.get_config())
    assert run(original, data) == run(clone, data)


NAMES = {
    "accuracy": metrics.Accuracy, "acc": metrics.Accuracy,
    "binary_accuracy": metrics.BinaryAccuracy,
    "categorical_accuracy": metrics.CategoricalAccuracy,
    "sparse_categorical_accuracy": metrics.SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": metrics.TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": metrics.SparseTopKCategoricalAccuracy,
    "mse": metrics.MeanSquaredError, "mean_squared_error": metrics.MeanSquaredError,
    "mae": metrics.MeanAbsoluteError, "mean_absolute_error": metrics.MeanAbsoluteError,
    "precision": metrics.Precision, "recall": metrics.Recall, "auc": metrics.AUC,
    "AUC": metrics.AUC, "SparseTopKCategoricalAccuracy": metrics.SparseTopKCategoricalAccuracy,
    "MSE": metrics.MeanSquaredError, "mean": metrics.Mean,
}


@pytest.mark.parametrize("name", NAMES)
def test_get_by_every_name(name):
    metric = metrics.get(name)
    assert type(metric) is NAMES[name]
    assert metric.get_config() == NAMES[name]().get_config()       # default arguments


def test_get_class_instance_function_and_refusals():
    assert type(metrics.get(metrics.Recall)) is metrics.Recall
    instance = metrics.AUC(num_thresholds=10)
    assert metrics.get(instance) is instance

    def hit_rate(y_true, y_pred):
        return np.asarray(y_true) == np.round(y_pred)

    wrapped = metrics.get(hit_rate)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "hit_rate"
    assert wrapped([[1.0], [0.0]], [[0.8], [0.7]]) == 0.5
    with pytest.raises(ValueError, match="metrics must be one of"):
        metrics.get("f1")
    with pytest.raises(ValueError, match="metrics"):
        metrics.get({"config": {}})
    with pytest.raises(TypeError, match="metrics"):
        metrics.get(None)
    with pytest.raises(TypeError, match="metrics"):
        metrics.get(3)
    with pytest.raises(TypeError, match="metrics"):
        metrics.get(dict)
    with pytest.raises(ValueError, match="unknown key"):
        metrics.get({"class_name": "Precision", "config": {"threshold": 0.5}})


def test_resolve_accuracy_from_the_shapes_as_keras():
    bce, ce, mse = BinaryCrossentropy(), CategoricalCrossentropy(), MeanSquaredError()
    # binary crossentropy on 3 outputs (multi-label): categorical accuracy, from shapes
    metric = metrics.resolve("accuracy", (10, 3), (None, 3), bce)
    assert type(metric) is metrics.CategoricalAccuracy and metric.name == "accuracy"
    # MSE on one output: binary accuracy (targets counted right only when 0 or 1)
    metric = metrics.resolve("acc", (10, 1), (None, 1), mse)
    assert type(metric) is metrics.BinaryAccuracy and metric.name == "acc"
    assert metric([[1.0], [0.3], [0.0]], [[0.9], [0.3], [0.2]]) == pytest.approx(2 / 3)
    # binary crossentropy from logits: still the threshold 0.5, on the logits
    metric = metrics.resolve("accuracy", (4,), (None, 1), BinaryCrossentropy(from_logits=True))
    assert type(metric) is metrics.BinaryAccuracy and metric.threshold == 0.5
    assert metric([1, 1, 0, 0], [[0.3], [2.0], [-1.0], [0.4]]) == 0.75   # 0.3 counts as 0
    # sparse labels: lower rank, or a last axis of 1 against several outputs
    for y_shape in ((10,), (10, 1)):
        metric = metrics.resolve("accuracy", y_shape, (None, 10), ce)
        assert type(metric) is metrics.SparseCategoricalAccuracy
    assert type(metrics.resolve("ACC", (10, 10), (None, 10))) is metrics.CategoricalAccuracy
    # other names keep the user's spelling as their log key; instances keep theirs
    assert metrics.resolve("mse", (10, 1), (None, 1)).name == "mse"
    assert type(metrics.resolve("mse", (10, 1), (None, 1))) is metrics.MeanSquaredError
    own = metrics.Precision(name="p")
    assert metrics.resolve(own, (10, 1), (None, 1)) is own and own.name == "p"
    assert metrics.resolve(metrics.AUC, (10, 1), (None, 1)).name == "auc"


def test_resolve_refuses_bad_shapes_and_losses():
    with pytest.raises(TypeError, match="y_true_shape"):
        metrics.resolve("accuracy", 10, (None, 1))
    with pytest.raises(TypeError, match="y_pred_shape"):
        metrics.resolve("accuracy", (10,), ())
    with pytest.raises(TypeError, match="loss"):
        metrics.resolve("accuracy", (10,), (None, 3), loss="mse")
    with pytest.raises(ValueError, match="metrics"):
        metrics.resolve("crossentropy", (10,), (None, 3))


# -- bad inputs ---------------------------------------------------------------------------

@pytest.mark.parametrize("metric", [metrics.Accuracy(), metrics.BinaryAccuracy(),
                                    metrics.MeanSquaredError(), metrics.MeanAbsoluteError(),
                                    metrics.Precision(), metrics.Recall(), metrics.AUC(),
                                    metrics.CategoricalAccuracy(),
                                    metrics.TopKCategoricalAccuracy()],
                         ids=lambda m: type(m).__name__)
def test_shape_mismatch_names_y_true(metric):
    with pytest.raises(ValueError, match="y_true"):
        metric.update_state(np.zeros((4, 2)), np.zeros((4, 3)))


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="y_true"):
        metrics.SparseCategoricalAccuracy().update_state(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"labels in \[0, 3\)"):
        metrics.SparseCategoricalAccuracy().update_state([0, 3], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="integer class labels"):
        metrics.SparseTopKCategoricalAccuracy().update_state([0.5, 1], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="y_pred"):
        metrics.SparseCategoricalAccuracy().update_state([0, 1], [0.2, 0.8])
    with pytest.raises(ValueError, match="y_true contains NaN"):
        metrics.BinaryAccuracy().update_state([np.nan], [0.3])
    with pytest.raises(ValueError, match="sample_weight contains inf"):
        metrics.BinaryAccuracy().update_state([1.0], [0.3], sample_weight=[np.inf])
    with pytest.raises(TypeError, match="y_pred"):
        metrics.Accuracy().update_state([1], ["a"])
    with pytest.raises(TypeError, match="y_true"):
        metrics.Accuracy().update_state([[1], [2, 3]], [1, 2])
    with pytest.raises(ValueError, match="y_pred"):
        metrics.Accuracy().update_state([], [])
    with pytest.raises(ValueError, match="top_k"):
        metrics.Precision(top_k=4).update_state(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="class_id"):
        metrics.Recall(class_id=3).update_state(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="labels"):
        m = metrics.AUC(multi_label=True, num_labels=2)
        m.update_state(np.zeros((2, 3)), np.zeros((2, 3)))


@pytest.mark.parametrize("make,error,match", [
    (lambda: metrics.TopKCategoricalAccuracy(k=0), ValueError, "k"),
    (lambda: metrics.SparseTopKCategoricalAccuracy(k=2.0), TypeError, "k"),
    (lambda: metrics.BinaryAccuracy(threshold="0.5"), TypeError, "threshold"),
    (lambda: metrics.BinaryAccuracy(threshold=np.nan), ValueError, "threshold"),
    (lambda: metrics.Precision(thresholds=1.5), ValueError, "thresholds"),
    (lambda: metrics.Recall(thresholds=[0.5, None]), TypeError, "thresholds"),
    (lambda: metrics.Precision(top_k=0), ValueError, "top_k"),
    (lambda: metrics.Recall(class_id=-1), ValueError, "class_id"),
    (lambda: metrics.AUC(num_thresholds=1), ValueError, "num_thresholds"),
    (lambda: metrics.AUC(curve="XY"), ValueError, "curve"),
    (lambda: metrics.AUC(summation_method="mid"), ValueError, "summation_method"),
    (lambda: metrics.AUC(num_labels=3), ValueError, "num_labels"),
    (lambda: metrics.AUC(label_weights=[1.0, -1.0]), ValueError, "label_weights"),
    (lambda: metrics.AUC(from_logits=1), TypeError, "from_logits"),
    (lambda: metrics.Mean(dtype="int32"), TypeError, "dtype"),
    (lambda: metrics.Mean(name=""), TypeError, "name"),
    (lambda: metrics.MeanMetricWrapper(3), TypeError, "fn"),
])
def test_bad_constructor_arguments_raise(make, error, match):
    with pytest.raises(error, match=match):
        make()
