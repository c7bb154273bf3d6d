"""Hostile inputs for sigconv.nn's Sequential model and what it trains with: batches whose
size fits the first Dense layer but whose shape does not (refused, naming ``x`` and both
shapes, as Keras does), awkward ``x`` and ``y`` (the oracle's result or an error naming
them), every argument of fit/evaluate/predict, optimizers, losses, callbacks,
to_categorical and check_gradients fed the wrong type or range, and batches that would
need terabytes (a MemoryError naming ``x``, in a child process under a memory cap)."""

import math
from unittest import mock

import harness
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigconv import _config, nn
from sigconv.nn.utils import to_categorical

KERNEL = np.arange(48.0).reshape(16, 3) / 50 - 0.4
BIAS = np.array([0.1, 0.0, -0.1])


def image_model(compiled=True, loss="categorical_crossentropy"):
    """Input (4, 4, 1) -> Flatten -> Dense(3), float64, fixed weights."""
    model = nn.Sequential([nn.Input((4, 4, 1)), nn.Flatten(dtype="float64"),
                           nn.Dense(3, dtype="float64")], name="images")
    model.set_weights([KERNEL, BIAS])
    if compiled:
        model.compile(nn.SGD(0.01), loss)
    return model


def oracle(x):
    x = np.asarray(x, np.float64)
    return x.reshape(len(x), -1) @ KERNEL + BIAS


def factorizations(n, parts):
    """Shapes of ``parts`` axes whose sizes multiply to ``n``."""
    if parts == 1:
        return [(n,)]
    return [(d, *rest) for d in range(1, n + 1) if n % d == 0
            for rest in factorizations(n // d, parts - 1)]


SAME_SIZE_SHAPES = [s for parts in (1, 2, 3, 4) for s in factorizations(16, parts)
                    if s != (4, 4, 1)]

CALLS = {
    "predict": lambda model, x, y: model.predict(x),
    "evaluate": lambda model, x, y: model.evaluate(x, y),
    "fit": lambda model, x, y: model.fit(x, y, verbose=0),
    "train_on_batch": lambda model, x, y: model.train_on_batch(x, y),
    "test_on_batch": lambda model, x, y: model.test_on_batch(x, y),
    "predict_on_batch": lambda model, x, y: model.predict_on_batch(x),
    "__call__": lambda model, x, y: model(x),
}


# ------------------------------------------------------------------------ sample shapes


@settings(max_examples=40)
@given(st.sampled_from(SAME_SIZE_SHAPES), st.sampled_from(sorted(CALLS)),
       st.integers(1, 3))
def test_a_batch_of_the_same_size_but_another_shape_is_refused(sample, call, batch):
    """The probe: (2, 16, 1, 1) used to flow through Flatten into the Dense layer."""
    model = image_model()
    x = np.ones((batch, *sample))
    y = np.eye(3)[np.arange(batch) % 3]
    before = model.get_weights()
    with pytest.raises(ValueError) as info:
        CALLS[call](model, x, y)
    message = str(info.value)
    assert "x" in message and str((4, 4, 1)) in message and str(x.shape) in message, message
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)      # nothing trained


def test_a_model_built_by_its_first_batch_keeps_that_shape():
    model = nn.Sequential([nn.Dense(3)])
    model.compile("sgd", "mse")
    model.predict(np.ones((2, 4)))
    for bad in (np.ones((2, 2, 4)), np.ones((2, 8)), np.ones((8, 1))):
        with pytest.raises(ValueError, match=r"x must have samples of shape \(4,\)"):
            model.predict(bad)


def test_the_probe_case_a_dense_model_on_three_axes():
    model = nn.Sequential([nn.Dense(3, input_shape=(4,))])
    with pytest.raises(ValueError, match=r"\(2, 2, 4\)"):
        model.predict(np.zeros((2, 2, 4)))


@settings(max_examples=60)
@given(st.one_of(harness.numeric_arrays(min_dims=0, max_dims=4, max_side=4),
                 harness.numeric_arrays(min_dims=4, max_dims=4, min_side=1, max_side=4)
                 .map(lambda a: np.broadcast_to(a[:, :1, :1, :1], (a.shape[0], 4, 4, 1))),
                 st.sampled_from([np.full((2, 4, 4, 1), None), np.zeros((1, 4, 4, 1), "U1"),
                                  np.zeros((1, 4, 4, 1), complex), [[1], [2, 3]],
                                  np.zeros((1, 4, 4, 1), "M8[s]")])))
def test_predict_equals_the_oracle_or_names_x(x):
    model = image_model(compiled=False)
    result = harness.outcome("x", model.predict, x)
    if result is None:
        return
    x = np.asarray(x)
    assert x.shape[1:] == (4, 4, 1) and len(x) > 0 and x.dtype.kind in "biuf"
    np.testing.assert_allclose(result, oracle(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x", [np.full((2, 4, 4, 1), np.nan), np.full((2, 4, 4, 1), np.inf),
                               np.zeros((0, 4, 4, 1)), np.zeros(()), np.zeros(16)],
                         ids=["nan", "inf", "empty", "0-d", "1-d"])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_nan_inf_empty_and_batchless_x_are_refused_naming_x(x, call):
    model = image_model()
    y = np.eye(3)[np.arange(len(x)) % 3] if x.ndim else np.eye(3)[:1]
    with pytest.raises(ValueError) as info:
        CALLS[call](model, x, y)
    harness.check_error(info.value, "x")


# ---------------------------------------------------------------------------- targets


@pytest.mark.parametrize(("y", "kind"), [
    (np.full((4, 3), np.nan), ValueError), (np.full((4, 3), -np.inf), ValueError),
    (np.full((4, 3), None), TypeError), (np.full((4, 3), "1"), TypeError),
    (np.zeros((4, 3), complex), TypeError), (np.zeros((3, 3)), ValueError),
    (np.zeros((4, 4)), ValueError), (np.zeros((4, 3, 1, 1)), ValueError),
    (np.float64(1.0), ValueError), ([[1, 0, 0], [0, 1]], TypeError),
], ids=["nan", "inf", "object", "str", "complex", "length", "classes", "axes", "0-d",
        "ragged"])
@pytest.mark.parametrize("call", ["fit", "evaluate", "train_on_batch"])
def test_bad_targets_are_refused_naming_y(y, kind, call):
    model = image_model()
    with pytest.raises(kind) as info:
        CALLS[call](model, np.ones((4, 4, 4, 1)), y)
    harness.check_error(info.value, "y")


@pytest.mark.parametrize("labels", [[0, 3, 1, 2], [-1, 0, 1, 2], [0.5, 1, 2, 0],
                                    [True, False, True, False], [[0, 1]] * 4])
def test_sparse_labels_are_checked_against_the_output(labels):
    model = image_model(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError) as info:
        model.fit(np.ones((4, 4, 4, 1)), np.array(labels), verbose=0)
    harness.check_error(info.value, "y")


def test_validation_data_is_checked_like_x_and_y():
    model = image_model()
    x, y = np.ones((4, 4, 4, 1)), np.eye(3)[[0, 1, 2, 0]]
    with pytest.raises(ValueError, match=r"validation_data\[0\]"):
        model.fit(x, y, verbose=0, validation_data=(np.ones((2, 16)), y[:2]))
    with pytest.raises(ValueError, match=r"validation_data\[1\]"):
        model.fit(x, y, verbose=0, validation_data=(x[:2], np.full((2, 3), np.nan)))


def test_train_on_an_empty_batch_is_a_value_error_not_zero_division():
    with pytest.raises(ValueError, match="x"):
        image_model().train_on_batch(np.zeros((0, 4, 4, 1)), np.zeros((0, 3)))


# ------------------------------------------------------------------------- arguments

X, Y = np.ones((6, 4, 4, 1)), np.eye(3)[[0, 1, 2, 0, 1, 2]]


@pytest.mark.parametrize("argument", ["batch_size", "epochs", "seed"])
@pytest.mark.parametrize("value", harness.BAD_COUNTS, ids=repr)
def test_fit_counts(argument, value):
    if value == 2**70 and argument != "seed":
        return      # a valid count (2**70 epochs would run, as asked)
    if value == 0 and argument in ("epochs", "seed"):
        return      # valid
    if value is None and argument in ("batch_size", "seed"):
        return      # the defaults
    result = harness.outcome(argument, image_model().fit, X, Y, verbose=0,
                             **{argument: value})
    if result is not None:
        assert argument == "seed" and value == 2**70


@pytest.mark.parametrize("value", harness.BAD_REALS + [-0.1, 1.0, 0.99], ids=repr)
def test_fit_validation_split(value):
    with pytest.raises((TypeError, ValueError)) as info:
        image_model().fit(X, Y, verbose=0, validation_split=value)
    harness.check_error(info.value, "validation_split")


@pytest.mark.parametrize(("argument", "value"), [
    ("verbose", 3), ("verbose", "1"), ("verbose", True), ("verbose", 1.0), ("verbose", None),
    ("shuffle", "no"), ("shuffle", 1), ("shuffle", None),
    ("callbacks", nn.History()), ("callbacks", "history"), ("callbacks", [harness.Opaque()]),
    ("validation_data", np.ones((2, 4, 4, 1))), ("validation_data", (X,)),
])
def test_fit_other_arguments(argument, value):
    with pytest.raises((TypeError, ValueError)) as info:
        image_model().fit(X, Y, **{"verbose": 0, argument: value})
    harness.check_error(info.value, (argument, "Callback"))


@pytest.mark.parametrize(("method", "argument", "value"), [
    ("evaluate", "batch_size", "2"), ("evaluate", "batch_size", 0),
    ("evaluate", "verbose", 7), ("evaluate", "return_dict", "yes"),
    ("predict", "batch_size", True), ("predict", "batch_size", 1.5),
    ("predict", "verbose", -1),
])
def test_evaluate_and_predict_arguments(method, argument, value):
    model = image_model()
    call = model.predict if method == "predict" else (lambda x, **k: model.evaluate(x, Y, **k))
    with pytest.raises((TypeError, ValueError)) as info:
        call(X, **{argument: value})
    harness.check_error(info.value, argument)


def test_call_training_and_model_arguments():
    with pytest.raises(TypeError, match="training"):
        image_model()(X, training="no")
    with pytest.raises(TypeError, match="name"):
        nn.Sequential(name=3)
    with pytest.raises(ValueError, match="device"):
        nn.Sequential(device="tpu")
    with pytest.raises(TypeError, match="layers"):
        nn.Sequential(nn.Dense(3))
    with pytest.raises(TypeError, match="metrics"):
        image_model().compile("sgd", "mse", metrics="accuracy")
    with pytest.raises(TypeError, match="seed"):
        nn.set_random_seed("0")
    with pytest.raises(TypeError, match="input_shape"):
        nn.Sequential([nn.Dense(2)]).build("ab")


@pytest.mark.parametrize("value", [1.0, "1", None])
def test_verbose_auto_is_accepted_as_in_keras(value):
    model = image_model()
    if value is None:
        assert model.evaluate(X, Y, verbose="auto") == pytest.approx(model.evaluate(X, Y))
    else:
        with pytest.raises(ValueError, match="verbose"):
            model.evaluate(X, Y, verbose=value)


# ------------------------------------------------------------------- optimizers, losses

OPTIMIZER_REALS = [(nn.SGD, "learning_rate"), (nn.SGD, "momentum"), (nn.Adam, "beta_1"),
                   (nn.Adam, "beta_2"), (nn.Adam, "epsilon"), (nn.RMSprop, "rho"),
                   (nn.RMSprop, "momentum"), (nn.SGD, "clipnorm"), (nn.Adam, "clipvalue")]


@pytest.mark.parametrize(("cls", "argument"), OPTIMIZER_REALS)
@pytest.mark.parametrize("value", harness.BAD_REALS + [-1.0], ids=repr)
def test_optimizer_reals(cls, argument, value):
    if value is None and argument.startswith("clip"):
        return      # no clipping
    with pytest.raises((TypeError, ValueError)) as info:
        cls(**{argument: value})
    harness.check_error(info.value, argument)


@pytest.mark.parametrize(("factory", "argument"), [
    (lambda v: nn.SGD(nesterov=v), "nesterov"), (lambda v: nn.RMSprop(centered=v), "centered"),
    (lambda v: nn.CategoricalCrossentropy(from_logits=v), "from_logits"),
    (lambda v: nn.BinaryCrossentropy(from_logits=v), "from_logits"),
    (lambda v: nn.SparseCategoricalCrossentropy(from_logits=v), "from_logits")])
@pytest.mark.parametrize("value", ["False", 0, 1, None, [True]], ids=repr)
def test_flags_refuse_truthiness(factory, argument, value):
    with pytest.raises(TypeError) as info:
        factory(value)
    harness.check_error(info.value, argument)


Y_PRED = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])


@settings(max_examples=60)
@given(st.one_of(harness.numeric_arrays(min_dims=0, max_dims=3, max_side=3),
                 harness.numeric_arrays(min_dims=2, max_dims=2, min_side=2, max_side=3),
                 st.sampled_from([np.full((2, 3), "1"), np.full((2, 3), None),
                                  [[1, 0, 0], [0, 1]]])))
def test_mse_equals_the_oracle_or_names_y_true(y_true):
    result = harness.outcome("y_true", nn.MeanSquaredError(), y_true, Y_PRED)
    if result is None:
        return
    y = np.asarray(y_true)
    assert y.dtype.kind in "biuf" and np.isfinite(y.astype(np.float64)).all()
    y = y.reshape(Y_PRED.shape) if y.shape != Y_PRED.shape else y
    expected = np.mean((y.astype(np.float64) - Y_PRED) ** 2)
    assert math.isfinite(expected)      # an overflowing loss is an OverflowError
    assert result == pytest.approx(expected, rel=1e-12)


def test_an_overflowing_loss_is_an_overflow_error_outside_a_model():
    with pytest.raises(OverflowError, match="loss overflows"):
        nn.MeanSquaredError()(np.full((2, 3), 1e200), Y_PRED)
    with pytest.raises(OverflowError, match="gradient overflows"):
        nn.MeanSquaredError().gradient(np.full(2, -1.7e308), np.full(2, 1.7e308))
    with pytest.raises(OverflowError, match="loss overflows"):
        nn.CategoricalCrossentropy()(np.eye(2), np.full((2, 2), 1.7e308))
    with np.errstate(invalid="ignore"):     # a NaN prediction still reaches the loss
        assert math.isnan(nn.MeanSquaredError()(np.zeros(2), [np.nan, 0.0]))


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0], [0.5, 1.0], [np.nan, 0.0], ["0", "1"],
                                    [[0, 1], [1, 0]], [2**63, 0]])
def test_sparse_labels_out_of_range_or_not_integers(labels):
    loss = nn.SparseCategoricalCrossentropy()
    with pytest.raises((TypeError, ValueError)) as info:
        loss(np.array(labels, dtype=np.uint64 if labels[0] == 2**63 else None), Y_PRED)
    harness.check_error(info.value, "y_true")


# -------------------------------------------------------------------------- callbacks


@pytest.mark.parametrize(("factory", "argument"), [
    (lambda: nn.EarlyStopping(monitor=3), "monitor"),
    (lambda: nn.EarlyStopping(monitor=None), "monitor"),
    (lambda: nn.EarlyStopping(patience="3"), "patience"),
    (lambda: nn.EarlyStopping(patience=True), "patience"),
    (lambda: nn.EarlyStopping(patience=-1), "patience"),
    (lambda: nn.EarlyStopping(min_delta="0.1"), "min_delta"),
    (lambda: nn.EarlyStopping(min_delta=np.nan), "min_delta"),
    (lambda: nn.EarlyStopping(baseline=np.inf), "baseline"),
    (lambda: nn.EarlyStopping(mode="up"), "mode"),
    (lambda: nn.EarlyStopping(restore_best_weights="yes"), "restore_best_weights"),
    (lambda: nn.ModelCheckpoint(3), "filepath"),
    (lambda: nn.ModelCheckpoint(b"m.npz"), "filepath"),
    (lambda: nn.ModelCheckpoint("m.npz", monitor=[]), "monitor"),
    (lambda: nn.ModelCheckpoint("m.npz", save_best_only=1), "save_best_only"),
    (lambda: nn.ModelCheckpoint("m.npz", mode=None), "mode"),
])
def test_callback_arguments(factory, argument):
    with pytest.raises((TypeError, ValueError)) as info:
        factory()
    harness.check_error(info.value, argument)


def test_an_unlogged_monitor_is_an_error_not_a_silent_no_op(tmp_path):
    for callback in (nn.EarlyStopping(monitor="val_acc"),
                     nn.ModelCheckpoint(tmp_path / "m.npz", monitor="val_loss",
                                        save_best_only=True)):
        with pytest.raises(ValueError, match="monitor 'val_"):
            image_model().fit(X, Y, verbose=0, callbacks=[callback])
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="filepath"):
        image_model().fit(X, Y, verbose=0,
                          callbacks=[nn.ModelCheckpoint(str(tmp_path / "{val_loss}.npz"))])


# ---------------------------------------------------------------------- to_categorical


@settings(max_examples=60)
@given(st.one_of(harness.numeric_arrays(min_dims=0, max_dims=2, max_side=4,
                                        dtypes=[np.int8, np.uint8, np.int64, np.uint64,
                                                np.float32, np.float64, np.bool_]),
                 st.lists(st.integers(-3, 9), max_size=5)),
       st.one_of(st.none(), st.integers(1, 12)))
def test_to_categorical_equals_the_oracle_or_names_y(labels, num_classes):
    """Under a 64 MiB limit, so that a drawn label of 10**9 is a MemoryError (naming
    num_classes), not 4 GB per label."""
    with mock.patch.object(_config, "MAX_MEMORY", 1 << 26):
        result = harness.outcome(("y", "num_classes"), to_categorical, labels, num_classes)
    y = np.asarray(labels)
    if result is None:
        return
    as_int = y.astype(np.int64)
    assert np.array_equal(as_int, y) and (as_int >= 0).all()
    if y.ndim > 1 and y.shape[-1] == 1:
        as_int = as_int[..., 0]
    classes = num_classes if num_classes is not None else (as_int.max() + 1 if y.size else 0)
    expected = np.zeros((*as_int.shape, classes), np.float32)
    np.put_along_axis(expected, as_int[..., None], 1.0, axis=-1)
    np.testing.assert_array_equal(result, expected)


def test_boolean_labels_are_classes_not_a_mask():
    np.testing.assert_array_equal(to_categorical(np.array([True, False, True])),
                                  [[0, 1], [1, 0], [0, 1]])


@pytest.mark.parametrize("value", harness.BAD_COUNTS, ids=repr)
def test_to_categorical_num_classes(value):
    if value == 2**70 or value is None:
        return      # the allocation test below; the default
    with pytest.raises((TypeError, ValueError)) as info:
        to_categorical([0, 1], num_classes=value)
    harness.check_error(info.value, "num_classes")


@pytest.mark.full
def test_to_categorical_of_huge_labels_is_refused_before_allocating():
    for call in ("to_categorical([10**12])", "to_categorical([1, 2], num_classes=2**40)",
                 "to_categorical(np.arange(10**6), num_classes=10**6)"):
        harness.assert_isolated_error(f"""
            import numpy as np
            from sigconv.nn.utils import to_categorical
            {call}
        """, "num_classes", kinds=("MemoryError",))


# ----------------------------------------------------------------------- gradient checks


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"layer_or_loss": "dense"}, "layer_or_loss"), ({"layer_or_loss": nn.Dense}, "layer_or_loss"),
    ({"x": "x"}, "x"), ({"x": np.zeros((0, 2))}, "x"), ({"x": np.full((1, 2), np.nan)}, "x"),
    ({"eps": "1e-5"}, "eps"), ({"eps": 0.0}, "eps"), ({"max_entries": 0}, "max_entries"),
    ({"seed": -1}, "seed"), ({"training": "no"}, "training"),
    ({"layer_or_loss": nn.MeanSquaredError()}, "y_true"),
])
def test_check_gradients_arguments(kwargs, argument):
    arguments = {"layer_or_loss": nn.Dense(2), "x": np.ones((2, 2)), **kwargs}
    with pytest.raises((TypeError, ValueError)) as info:
        nn.check_gradients(**arguments)
    harness.check_error(info.value, argument)


# ------------------------------------------------------------------------- allocations


def test_predictions_that_would_not_fit_are_refused_before_allocating():
    """2**31 samples (a zero-stride view, no memory) through Dense(10**4): 80 TiB."""
    harness.assert_isolated_error("""
        import numpy as np
        from sigconv import nn
        model = nn.Sequential([nn.Dense(10**4, input_shape=(64,))])
        model.predict(np.broadcast_to(np.float32(0.5), (2**31, 64)))
    """, "x", kinds=("MemoryError",))


def test_a_batch_whose_activations_would_not_fit_is_refused_before_training():
    harness.assert_isolated_error("""
        import numpy as np
        from sigconv import nn
        model = nn.Sequential([nn.Input((64, 64, 1)), nn.Conv2D(256, 3, padding="same"),
                               nn.Flatten(), nn.Dense(2)])
        model.compile("sgd", "mse")
        x = np.broadcast_to(np.float32(0.5), (2**20, 64, 64, 1))
        model.fit(x, np.zeros((2**20, 2), np.float32), batch_size=2**20, verbose=0)
    """, "batch_size", kinds=("MemoryError",))


def test_shuffling_a_huge_broadcast_batch_is_refused_before_allocating():
    """2**40 samples (a zero-stride view) would need 8 TiB for their shuffled order."""
    harness.assert_isolated_error("""
        import numpy as np
        from sigconv import nn
        model = nn.Sequential([nn.Dense(1, input_shape=(1,))])
        model.compile("sgd", "mse")
        x = np.broadcast_to(np.float32(0.5), (2**40, 1))
        model.fit(x, x, batch_size=4, verbose=0)
    """, "shuffled order", kinds=("MemoryError",))


def test_optimizer_apply_and_callback_hooks_name_their_arguments():
    for grads, params, argument in (([1], {"w": np.zeros(2)}, "grads"),
                                    ({"w": np.zeros(2)}, np.zeros(2), "params")):
        with pytest.raises(TypeError, match=argument):
            nn.SGD().apply(grads, params)
    with pytest.raises(TypeError, match="logs"):
        nn.History().on_epoch_end(0, [("loss", 1.0)])
    with pytest.raises(ValueError, match="filepath"):
        nn.ModelCheckpoint("")


# ------------------------------------------------------------------------- issue 14 (more)


@pytest.mark.parametrize("call", [
    lambda m: m.fit(np.ones((4, 2)), np.ones((4, 3)), verbose=0),
    lambda m: m.evaluate(np.ones((4, 2)), np.ones((4, 3))),
    lambda m: m.train_on_batch(np.ones((4, 2)), np.ones((4, 3))),
    lambda m: m.test_on_batch(np.ones((4, 2)), np.ones((4, 3))),
], ids=["fit", "evaluate", "train_on_batch", "test_on_batch"])
def test_training_calls_before_compile_are_runtime_errors(call):
    model = nn.Sequential([nn.Dense(3, input_shape=(2,))])
    with pytest.raises(RuntimeError, match="compile"):
        call(model)


def test_one_batch_calls_name_x_for_ragged_or_string_input():
    model = image_model()
    for x in ([[1.0], [2.0, 3.0]], "abc", np.array([["a"]])):
        with pytest.raises(TypeError) as info:
            model.test_on_batch(x, np.ones((2, 3)))
        harness.check_error(info.value, "x")
        with pytest.raises(TypeError) as info:
            model.predict_on_batch(x)
        harness.check_error(info.value, "x")
    x = np.random.default_rng(1).standard_normal((3, 4, 4, 1))
    np.testing.assert_allclose(model.predict_on_batch(x), oracle(x), rtol=1e-12)


def test_model_set_weights_checks_every_layer_before_changing_any():
    model = nn.Sequential([nn.Dense(2, input_shape=(3,)), nn.Dense(1)])
    before = model.get_weights()
    changed = [w + 1 for w in before]
    changed[3] = np.ones(5)                   # the last layer's bias is wrong
    with pytest.raises(ValueError, match="'bias'"):
        model.set_weights(changed)
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    with pytest.raises(TypeError, match="weights must be a list"):
        model.set_weights(None)
    model.set_weights([w + 1 for w in before])
    np.testing.assert_array_equal(model.get_weights()[0], before[0] + 1)


def test_sequential_repr():
    assert repr(nn.Sequential([nn.Dense(2)], name="net")) == "<Sequential 'net': 1 layers>"


def test_batch_bounds_are_lazy_and_equal_to_the_list():
    from sigconv.nn.model import _batches

    for n, size in ((10, 3), (9, 3), (1, 5), (7, 1)):
        expected = [(start, min(n, start + size)) for start in range(0, n, size)]
        assert list(_batches(n, size)) == expected and len(_batches(n, size)) == len(expected)
    assert len(_batches(10**12, 2)) == 5 * 10**11       # nothing of that size is built


@settings(max_examples=40, deadline=None)
@given(y_pred=harness.numeric_arrays(min_dims=1, max_dims=2, max_side=4))
def test_mse_of_awkward_predictions_matches_numpy_or_names_them(y_pred):
    y_true = np.zeros(np.shape(y_pred))
    result = harness.outcome(("y_pred", "y_true"), nn.MeanSquaredError(), y_true, y_pred)
    if result is None:
        return
    x = np.asarray(y_pred, np.float64)
    if not np.isfinite(x).all():            # a diverged prediction shows in the loss
        assert not math.isfinite(result)
        return
    expected = float(np.mean(np.mean(x**2, axis=-1)))
    assert math.isclose(result, expected, rel_tol=2e-3, abs_tol=1e-6), (result, expected)


def test_losses_check_the_memory_of_their_temporaries_before_allocating():
    """Zero-stride views of 10**10 predictions cost nothing; every loss and gradient used
    to allocate 7.5 to 75 GiB of NumPy temporaries; float labels broadcast over 10**9
    samples were rounded into 7.5 GiB by the model's target check. One child under a
    2 GiB cap runs them all."""
    report = harness.assert_isolated_finishes("""
        import numpy as np
        from sigconv import nn
        def huge(shape, value=1.0, dtype=np.float64):
            return np.broadcast_to(np.asarray(value, dtype), shape)
        p, t, n = huge((10**9, 10), 0.1), huge((10**9, 10)), 10**9
        model = nn.Sequential([nn.Dense(3, input_shape=(4,), activation="softmax")])
        model.compile(nn.SGD(0.1), "sparse_categorical_crossentropy")
        calls = {
            "mse": lambda: nn.MeanSquaredError()(t, p),
            "mse.gradient": lambda: nn.MeanSquaredError().gradient(t, p),
            "cce": lambda: nn.CategoricalCrossentropy()(t, p),
            "cce.gradient_from_softmax":
                lambda: nn.CategoricalCrossentropy().gradient_from_softmax(t, p),
            "scce": lambda: nn.SparseCategoricalCrossentropy()(huge(n, 1, np.int64), p),
            "bce logits": lambda: nn.BinaryCrossentropy(from_logits=True).gradient(t, p),
            "train_on_batch": lambda: model.train_on_batch(huge((n, 4)), huge(n)),
        }
        result = {}
        for label, call in calls.items():
            try:
                call()
                result[label] = ("returned", "", False, False)
            except BaseException as exc:
                message = str(exc)
                result[label] = (type(exc).__name__, message[:40], "GiB" in message,
                                 "Unable to allocate" in message)
    """, timeout=240)
    outcomes = eval(report["value"])    # noqa: S307 - the dict of tuples the child built
    for label, (kind, start, gib, numpy_own) in outcomes.items():
        assert kind == "MemoryError" and gib and not numpy_own, (label, outcomes[label])
        assert ("y_pred" in start) if label != "train_on_batch" else (" x" in start), \
            (label, outcomes[label])


def _step(optimizer, param, grad):
    params = {"w": param}
    optimizer.apply({"w": grad}, params)
    return params["w"]


@pytest.mark.parametrize(("grad", "dtype"), [([np.nan, 0.0], np.float64),
                                             ([0.0, -np.inf], np.float64),
                                             ([1e300, 0.0], np.float32)], ids=range(3))
def test_apply_by_itself_refuses_gradients_that_are_not_numbers_of_the_dtype(grad, dtype):
    """NaN, inf, and float64 values that become inf in float32 parameters used to reach
    the weights silently (the float32 case with a RuntimeWarning)."""
    param = np.ones(2, dtype)
    with pytest.raises(ValueError, match=r"grads\['w'\]"):
        _step(nn.SGD(0.1), param, np.array(grad))
    np.testing.assert_array_equal(param, np.ones(2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("clip", ["clipnorm", "global_clipnorm"])
def test_clipping_a_huge_finite_gradient_keeps_its_direction(dtype, clip):
    """The sum of squares overflowed: the norm was inf and the clipped step 0 (clipnorm)
    or NaN (global_clipnorm)."""
    big = np.finfo(dtype).max / 4
    got = _step(nn.SGD(0.5, **{clip: 1.0}), np.zeros(3, dtype), np.array([big, -big, 0], dtype))
    np.testing.assert_allclose(got, -0.5 * np.array([1, -1, 0]) / np.sqrt(2), rtol=1e-6)


@pytest.mark.parametrize("factory", [lambda: nn.Adam(0.1), lambda: nn.RMSprop(0.1)],
                         ids=["Adam", "RMSprop"])
def test_a_gradient_whose_square_overflows_is_an_overflow_error_by_itself(factory):
    """Adam's velocity became inf and the step silently 0 (the weight did not move)."""
    for dtype, value in ((np.float64, 1e300), (np.float32, 1e20)):
        param = np.ones(1, dtype)
        with pytest.raises(OverflowError, match=r"grads\['w'\]"):
            _step(factory(), param, np.array([value], dtype))
        np.testing.assert_array_equal(param, [1.0])
    # clipped first, the same gradient is an ordinary step of about learning_rate
    got = _step(nn.Adam(0.1, clipvalue=1.0), np.ones(1), np.array([1e300]))
    np.testing.assert_allclose(got, [0.9], rtol=1e-6)


def test_gradient_from_softmax_by_itself_refuses_what_no_softmax_gives():
    loss = nn.CategoricalCrossentropy()
    with pytest.raises(ValueError, match="probabilities"):
        loss.gradient_from_softmax(np.array([[1.0, 0.0]]), np.array([[-1.0, 2.0]]))
    np.testing.assert_allclose(                           # (p - y) / n, the oracle
        loss.gradient_from_softmax(np.array([[1.0, 0.0]]), np.array([[0.25, 0.75]])),
        [[-0.75, 0.75]])


CALLBACK_HOOKS = [
    ("History", lambda: nn.History(), "on_epoch_end"),
    ("EarlyStopping", lambda: nn.EarlyStopping(monitor="loss"), "on_epoch_end"),
    ("TerminateOnNaN", lambda: nn.TerminateOnNaN(), "on_train_batch_end"),
    ("ModelCheckpoint", lambda: nn.ModelCheckpoint("m.npz"), "on_epoch_end"),
]


@pytest.mark.parametrize(("label", "factory", "hook"), CALLBACK_HOOKS,
                         ids=[c[0] for c in CALLBACK_HOOKS])
@pytest.mark.parametrize("logs", [5, [("loss", 1.0)], {"loss": "1"}, {"loss": None},
                                  {"loss": [1.0]}, {"loss": True}, {1: 1.0}], ids=repr)
def test_callback_hooks_name_logs_that_are_not_numbers(label, factory, hook, logs):
    """History read the string "1" as 1.0 and True as 1.0; EarlyStopping failed with
    'int' object has no attribute 'get'; TerminateOnNaN ignored them."""
    model = nn.Sequential([nn.Dense(1, input_shape=(1,))])
    model.compile("sgd", "mse")
    callback = factory()
    callback.set_model(model)
    callback.on_train_begin()
    with pytest.raises(TypeError, match="logs"):
        getattr(callback, hook)(0, logs)
    with pytest.raises(TypeError, match="epoch|batch"):
        getattr(callback, hook)("0", {"loss": 1.0})


def test_history_records_numbers_of_any_real_type():
    history = nn.History()
    history.on_epoch_end(0, {"loss": np.float32(0.5), "accuracy": 1})
    history.on_epoch_end(1, {"loss": 0.25, "accuracy": np.int64(0)})
    assert history.history == {"loss": [0.5, 0.25], "accuracy": [1.0, 0.0]}
    assert history.epoch == [0, 1]


def test_check_gradients_of_every_entry_of_a_large_batch_is_refused_not_run_for_hours():
    """100 MNIST-sized images: 78,440 entries, each two passes over 78,400 values (about
    an hour); refused at once naming max_entries, and a sample of entries still works."""
    x = np.random.default_rng(0).random((100, 28, 28, 1))
    with pytest.raises(ValueError, match="max_entries"):
        nn.check_gradients(nn.Conv2D(4, 3), x)
    errors = nn.check_gradients(nn.Conv2D(4, 3), x[:4], max_entries=5)
    assert sorted(errors) == ["bias", "input", "kernel"] and max(errors.values()) < 1e-6
    with pytest.raises(ValueError, match="max_entries"):
        nn.check_gradients(nn.MeanSquaredError(), np.zeros((300, 200)),
                           y_true=np.zeros((300, 200)))


# ------------------------------------------------- checks once per call, not per batch


def test_predict_of_a_finite_x_whose_output_overflows_names_x():
    """Found by the predict oracle test: a float64 model fed 1.8e308 overflowed in np.dot
    (a RuntimeWarning, or a silent inf); now an OverflowError naming x, as Layer.forward."""
    model = image_model(compiled=False)
    x = np.full((2, 4, 4, 1), 1.79769313e308)
    for call in (model.predict, model.predict_on_batch, model):
        with pytest.raises(OverflowError) as info:
            call(x)
        harness.check_error(info.value, "x")


@pytest.mark.parametrize("call", sorted(CALLS))
def test_x_beyond_the_first_layers_dtype_is_refused_once_for_all_batches(call):
    """The batches are cast to float32 unchecked: the call checks the extremes of all of
    x first (the sample beyond float32 is the last, in the last batch)."""
    model = nn.Sequential([nn.Input((4, 4, 1)), nn.Flatten(), nn.Dense(3)], name="images")
    model.compile(nn.SGD(0.01), "categorical_crossentropy")
    x = np.zeros((70, 4, 4, 1))
    x[-1, 0, 0, 0] = -1e300
    before = model.get_weights()
    with pytest.raises(ValueError, match="x holds values beyond the range"):
        CALLS[call](model, x, np.eye(3)[np.arange(70) % 3])
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_fit_checks_x_and_y_once_per_call_not_per_batch_or_layer():
    """Ten batches, four layers: x and y are scanned for NaN once each, the memory limit
    is read once, and no layer, loss or kernel checks its arguments again."""
    from sigconv.nn import _checks, functional
    model = nn.Sequential([nn.Input((6, 6, 1)), nn.Conv2D(2, 3, activation="relu"),
                           nn.MaxPooling2D(), nn.Flatten(),
                           nn.Dense(3, activation="softmax")])
    model.compile(nn.SGD(0.01), "categorical_crossentropy", ["accuracy"])
    model.build()   # the weights' memory is checked once, at build, before the spies
    rng = np.random.default_rng(0)
    x, y = rng.random((100, 6, 6, 1)), np.eye(3)[np.arange(100) % 3]
    spies = {name: mock.patch.object(module, name, wraps=getattr(module, name))
             for module, name in ((_checks, "check_finite"), (_checks, "fits_in_memory"),
                                  (_checks, "check_real_array"), (_checks, "check_allocation"),
                                  (functional, "conv_forward"), (functional, "pool_forward"))}
    counts = {}
    with spies["check_finite"] as finite, spies["fits_in_memory"] as fits, \
            spies["check_real_array"] as real, spies["check_allocation"] as memory, \
            spies["conv_forward"] as conv, spies["pool_forward"] as pool:
        model.fit(x, y, batch_size=10, epochs=1, verbose=0, shuffle=True, seed=0)
        counts = {"finite": finite.call_count, "fits": fits.call_count,
                  "real": real.call_count, "memory": memory.call_count,
                  "conv": conv.call_count, "pool": pool.call_count}
    assert counts == {"finite": 2, "fits": 1, "real": 0, "memory": 0, "conv": 0,
                      "pool": 0}, counts
