"""Learning-rate schedules (sigconv.nn.optimizers.schedules) against Keras 3's formulas.

Each schedule is compared at many steps with its documented formula written out in
float64 (the schedules compute in float32, as Keras: agreement to float32 round-off),
at its edges (staircase, boundaries, warmup, restarts), in its errors and its
serialization, and in a training run whose every step uses ``schedule(iterations)``.
"""

import json
import math

import numpy as np
import pytest
from sigconv.nn.optimizers.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

from sigconv import nn
from sigconv.nn.optimizers import SGD, Adam, schedules

STEPS = list(range(0, 60)) + [99, 100, 101, 250, 1000, 12345]


# -- the formulas, written out --------------------------------------------------------------


def exponential(t, lr, steps, rate, staircase=False):
    p = t / steps
    return lr * rate ** (math.floor(p) if staircase else p)


def inverse_time(t, lr, steps, rate, staircase=False):
    p = t / steps
    return lr / (1 + rate * (math.floor(p) if staircase else p))


def polynomial(t, lr, steps, end=0.0001, power=1.0, cycle=False):
    if cycle:
        steps = steps * (1 if t == 0 else math.ceil(t / steps))
    else:
        t = min(t, steps)
    return (lr - end) * (1 - t / steps) ** power + end


def cosine(t, lr, steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    if warmup_target is None:
        t = min(t, steps)
        return lr * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * t / steps)) + alpha)
    t = min(t, steps + warmup_steps)
    if t < warmup_steps:
        return lr + (warmup_target - lr) * t / warmup_steps
    return cosine(t - warmup_steps, warmup_target, steps, alpha)


def restarts(t, lr, first, t_mul=2.0, m_mul=1.0, alpha=0.0):
    """SGDR by walking the periods one by one; also whether ``t`` starts a period."""
    start, length, i = 0.0, float(first), 0
    while t >= start + length:
        start, length, i = start + length, length * t_mul, i + 1
    fraction = (t - start) / length
    value = lr * ((1 - alpha) * m_mul**i * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha)
    return value, t == start and i > 0


CASES = [
    (ExponentialDecay(0.1, 10, 0.5), lambda t: exponential(t, 0.1, 10, 0.5)),
    (ExponentialDecay(0.3, 7.5, 0.96, staircase=True),
     lambda t: exponential(t, 0.3, 7.5, 0.96, True)),
    (ExponentialDecay(0.01, 100, 1.5), lambda t: exponential(t, 0.01, 100, 1.5)),
    (InverseTimeDecay(0.1, 10, 0.5), lambda t: inverse_time(t, 0.1, 10, 0.5)),
    (InverseTimeDecay(0.2, 3, 2.0, staircase=True),
     lambda t: inverse_time(t, 0.2, 3, 2.0, True)),
    (PolynomialDecay(0.1, 50), lambda t: polynomial(t, 0.1, 50)),
    (PolynomialDecay(0.1, 20, 0.01, power=0.5), lambda t: polynomial(t, 0.1, 20, 0.01, 0.5)),
    (PolynomialDecay(0.1, 20, 0.0, power=2.0, cycle=True),
     lambda t: polynomial(t, 0.1, 20, 0.0, 2.0, True)),
    (CosineDecay(0.1, 40), lambda t: cosine(t, 0.1, 40)),
    (CosineDecay(0.1, 40, alpha=0.2), lambda t: cosine(t, 0.1, 40, 0.2)),
    (CosineDecay(0.001, 30, warmup_target=0.05, warmup_steps=10),
     lambda t: cosine(t, 0.001, 30, 0.0, 0.05, 10)),
    (CosineDecay(0.001, 30, alpha=0.1, warmup_target=0.05, warmup_steps=7),
     lambda t: cosine(t, 0.001, 30, 0.1, 0.05, 7)),
    (PiecewiseConstantDecay([10, 25, 40], [1.0, 0.5, 0.1, 0.01]),
     lambda t: 1.0 if t <= 10 else 0.5 if t <= 25 else 0.1 if t <= 40 else 0.01),
]


@pytest.mark.parametrize(("schedule", "formula"), CASES, ids=[repr(c[0]) for c in CASES])
def test_matches_the_formula_at_many_steps(schedule, formula):
    for t in STEPS:
        value = schedule(t)
        assert isinstance(value, float)
        assert float(np.float32(value)) == value          # computed in float32, as Keras
        # abs: float32 cancellation in 1 + cos(pi t / T) near the end of a cosine decay
        assert value == pytest.approx(formula(t), rel=3e-6, abs=1e-8), t
    along = schedule(np.array(STEPS))
    assert along.dtype == np.float32
    np.testing.assert_array_equal(along, [schedule(t) for t in STEPS])


@pytest.mark.parametrize(("first", "t_mul", "m_mul", "alpha"), [
    (10, 2.0, 1.0, 0.0), (10, 2.0, 0.5, 0.1), (7, 1.0, 0.8, 0.0), (4, 1.5, 0.9, 0.05),
    (3, 3.0, 1.0, 0.2)])
def test_restarts_match_the_periods_walked_one_by_one(first, t_mul, m_mul, alpha):
    schedule = CosineDecayRestarts(0.1, first, t_mul, m_mul, alpha)
    restarted = 0
    for t in range(300):
        expected, at_restart = restarts(t, 0.1, first, t_mul, m_mul, alpha)
        value = schedule(t)
        if at_restart:
            # float32 logarithms may put a restart step at either end of the boundary
            # (as in Keras): the new period's top or the old period's floor
            before = restarts(t - 1e-9, 0.1, first, t_mul, m_mul, alpha)[0]
            assert (value == pytest.approx(expected, rel=3e-6)
                    or value == pytest.approx(before, rel=1e-4, abs=1e-7)), t
            restarted += value == pytest.approx(expected, rel=3e-6)
        else:
            assert value == pytest.approx(expected, rel=2e-5, abs=1e-8), t
    assert restarted >= 3


def test_restarts_hand_values():
    schedule = CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5, alpha=0.0)
    # periods [0, 10), [10, 30), [30, 70): tops 1, 0.5, 0.25; halfway 0.5, 0.25, 0.125
    values = [schedule(t) for t in (0, 5, 10, 20, 30, 50)]
    np.testing.assert_allclose(values, [1.0, 0.5, 0.5, 0.25, 0.25, 0.125], rtol=1e-6)


def test_staircase_steps_exactly_on_the_boundaries():
    schedule = ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert {schedule(t) for t in range(10)} == {float(np.float32(0.1))}
    assert {schedule(t) for t in range(10, 20)} == {float(np.float32(0.05))}
    assert schedule(20) == float(np.float32(0.025))
    inverse = InverseTimeDecay(1.0, 5, 1.0, staircase=True)
    assert [inverse(t) for t in (0, 4, 5, 9, 10)] == [1.0, 1.0, 0.5, 0.5,
                                                      float(np.float32(1 / 3))]


def test_piecewise_boundaries_belong_to_the_left_value():
    schedule = PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001])
    assert [schedule(t) for t in (0, 100, 101, 200, 201)] == [
        float(np.float32(v)) for v in (0.1, 0.1, 0.01, 0.01, 0.001)]
    # an integer step compares with integer boundaries (Keras casts them to its dtype)
    fractional = PiecewiseConstantDecay([2.5], [1.0, 0.5])
    assert fractional(2) == 1.0 and fractional(3) == 0.5
    assert fractional(2.0) == 1.0 and fractional(2.6) == 0.5


def test_cosine_warmup_is_linear_then_decays_from_the_target():
    schedule = CosineDecay(0.0001, 100, warmup_target=0.1, warmup_steps=10)
    warm = [schedule(t) for t in range(11)]
    np.testing.assert_allclose(np.diff(warm), (0.1 - 0.0001) / 10, rtol=1e-4)
    assert schedule(10) == float(np.float32(0.1))
    assert schedule(60) == pytest.approx(0.05, rel=1e-6)
    assert schedule(110) == schedule(500) == 0.0
    floor = CosineDecay(0.1, 10, alpha=0.25)
    assert floor(10) == floor(99) == pytest.approx(0.025, rel=1e-6)


def test_polynomial_cycle_stretches_the_period():
    schedule = PolynomialDecay(1.0, 10, end_learning_rate=0.0, cycle=True)
    # step 0: T' = 10; step 15: T' = 20 (1 - 15/20 = 0.25); step 20: T' = 20, the end
    assert [schedule(t) for t in (0, 5, 10, 15, 20, 21)] == pytest.approx(
        [1.0, 0.5, 0.0, 0.25, 0.0, 1 - 21 / 30], rel=1e-6)
    assert PolynomialDecay(1.0, 10, 0.5)(1000) == 0.5


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "error", "name"), [
    (lambda: ExponentialDecay(0.1, 0, 0.5), ValueError, "decay_steps"),
    (lambda: ExponentialDecay(0.1, -3, 0.5), ValueError, "decay_steps"),
    (lambda: ExponentialDecay(0.0, 3, 0.5), ValueError, "initial_learning_rate"),
    (lambda: ExponentialDecay(0.1, 3, -0.5), ValueError, "decay_rate"),
    (lambda: ExponentialDecay(0.1, 3, 0.5, staircase="yes"), TypeError, "staircase"),
    (lambda: ExponentialDecay("0.1", 3, 0.5), TypeError, "initial_learning_rate"),
    (lambda: InverseTimeDecay(0.1, math.nan, 0.5), ValueError, "decay_steps"),
    (lambda: PolynomialDecay(0.1, 0), ValueError, "decay_steps"),
    (lambda: PolynomialDecay(0.1, 10, power=-1.0), ValueError, "power"),
    (lambda: PolynomialDecay(0.1, 10, cycle=1), TypeError, "cycle"),
    (lambda: CosineDecay(0.1, 0), ValueError, "decay_steps"),
    (lambda: CosineDecay(0.1, 10, warmup_steps=-1), ValueError, "warmup_steps"),
    (lambda: CosineDecay(0.1, 10, warmup_target=math.inf), ValueError, "warmup_target"),
    (lambda: CosineDecay(0.1, 10, alpha=None), TypeError, "alpha"),
    (lambda: CosineDecayRestarts(0.1, 0), ValueError, "first_decay_steps"),
    (lambda: CosineDecayRestarts(0.1, 10, t_mul=0.0), ValueError, "t_mul"),
    (lambda: CosineDecayRestarts(0.1, 10, m_mul=-1.0), ValueError, "m_mul"),
    (lambda: PiecewiseConstantDecay([10], [1.0]), ValueError, "one more entry"),
    (lambda: PiecewiseConstantDecay([], [1.0]), ValueError, "one more entry"),
    (lambda: PiecewiseConstantDecay([10, 5], [1.0, 0.5, 0.1]), ValueError, "increase"),
    (lambda: PiecewiseConstantDecay([10], [1.0, math.nan]), ValueError, r"values\[1\]"),
    (lambda: PiecewiseConstantDecay(10, [1.0, 0.5]), TypeError, "boundaries"),
    (lambda: PiecewiseConstantDecay("ab", [1.0, 0.5, 0.1]), TypeError, "boundaries"),
    (lambda: ExponentialDecay(0.1, 3, 0.5, name=""), TypeError, "name"),
])
def test_bad_arguments(make, error, name):
    with pytest.raises(error, match=name):
        make()


@pytest.mark.parametrize(("step", "error"), [(-1, ValueError), (math.nan, ValueError),
                                             ("3", TypeError), (True, TypeError),
                                             (np.array([1, -2]), ValueError)])
def test_bad_steps(step, error):
    with pytest.raises(error, match="step"):
        ExponentialDecay(0.1, 3, 0.5)(step)


def test_the_base_class_asks_for_call_and_config():
    with pytest.raises(NotImplementedError, match="__call__"):
        LearningRateSchedule()(3)
    with pytest.raises(NotImplementedError, match="get_config"):
        LearningRateSchedule().get_config()


# -- serialization ------------------------------------------------------------------------


@pytest.mark.parametrize("schedule", [case[0] for case in CASES]
                         + [CosineDecayRestarts(0.1, 10, 1.5, 0.9, 0.05, name="sgdr")],
                         ids=repr)
def test_serialize_round_trip_through_json(schedule):
    document = json.loads(json.dumps(schedules.serialize(schedule)))
    assert document["class_name"] == type(schedule).__name__
    again = schedules.deserialize(document)
    assert again == schedule and again is not schedule
    assert again.get_config() == schedule.get_config()
    assert type(schedule).from_config(schedule.get_config()) == schedule
    for t in (0, 7, 33, 1000):
        assert again(t) == schedule(t)


def test_keras_defaults_and_names():
    assert ExponentialDecay(0.1, 10, 0.5).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5,
        "staircase": False, "name": "ExponentialDecay"}
    assert PolynomialDecay(0.1, 10).get_config()["end_learning_rate"] == 0.0001
    assert PiecewiseConstantDecay([1], [1.0, 0.5]).name == "PiecewiseConstant"
    assert CosineDecayRestarts(0.1, 10).get_config() == {
        "initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 2.0, "m_mul": 1.0,
        "alpha": 0.0, "name": "SGDRDecay"}
    assert CosineDecay(0.1, 10).get_config()["warmup_steps"] == 0


def test_deserialize_refusals_and_custom_objects():
    class Constant(LearningRateSchedule):
        def __init__(self, value):
            self.value = value

        def __call__(self, step):
            return self.value

        def get_config(self):
            return {"value": self.value}

    document = schedules.serialize(Constant(0.3))
    with pytest.raises(ValueError, match="unknown learning-rate schedule 'Constant'"):
        schedules.deserialize(document)
    assert schedules.deserialize(document, {"Constant": Constant}).value == 0.3
    keras_style = {"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
                   "config": ExponentialDecay(0.1, 3, 0.5).get_config(),
                   "registered_name": None}
    assert schedules.deserialize(keras_style) == ExponentialDecay(0.1, 3, 0.5)
    with pytest.raises(TypeError, match="class_name"):
        schedules.deserialize({"config": {}})
    with pytest.raises(ValueError, match="unknown key"):
        schedules.deserialize({"class_name": "ExponentialDecay",
                               "config": {"initial_learning_rate": 0.1, "decay_steps": 1,
                                          "decay_rate": 0.5, "bogus": 1}})
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        schedules.serialize(0.1)
    # a custom schedule drives an optimizer too
    optimizer = SGD(Constant(0.25))
    w = np.array([1.0])
    optimizer.apply({"w": np.array([1.0])}, {"w": w})
    assert w[0] == 0.75


# -- training -----------------------------------------------------------------------------


class LearningRates(nn.callbacks.Callback):
    """The optimizer's counter and learning rate after each batch (those of the next
    step)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        optimizer = self.model.optimizer
        self.seen.append((optimizer.iterations, optimizer.learning_rate))


@pytest.mark.parametrize("schedule", [
    ExponentialDecay(0.2, 3, 0.5),
    PiecewiseConstantDecay([2, 5], [0.2, 0.05, 0.01]),
    InverseTimeDecay(0.2, 2, 1.0, staircase=True),
    PolynomialDecay(0.2, 6, 0.01, power=2.0, cycle=True),
    CosineDecay(0.01, 6, alpha=0.1, warmup_target=0.2, warmup_steps=3),
    CosineDecayRestarts(0.2, 2, t_mul=2.0, m_mul=0.5),
], ids=lambda s: type(s).__name__)
def test_fit_steps_with_the_schedule(schedule):
    """A linear Dense layer under MSE fitted with SGD(schedule): every batch's update
    is replayed in NumPy with ``schedule(iterations)`` (Keras's rule: the step made at
    ``iterations == t`` uses ``schedule(t)``), across epochs."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((10, 3)).astype(np.float32)
    y = rng.standard_normal((10, 2)).astype(np.float32)
    model = nn.Sequential([nn.Input((3,)), nn.Dense(2)])
    model.compile(optimizer=SGD(learning_rate=schedule), loss="mse")
    model.build()
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    recorder = LearningRates()
    model.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False, callbacks=[recorder])
    n_steps = 3 * 3                          # batches of 4, 4, 2 per epoch
    assert model.optimizer.iterations == n_steps
    assert recorder.seen == [(t, schedule(t)) for t in range(1, n_steps + 1)]
    t = 0
    for _ in range(3):
        for start in range(0, 10, 4):
            xb, yb = x[start:start + 4].astype(np.float64), y[start:start + 4]
            dz = 2 * (xb @ kernel + bias - yb) / yb.size
            lr = schedule(t)
            kernel, bias, t = kernel - lr * (xb.T @ dz), bias - lr * dz.sum(0), t + 1
    got = model.get_weights()
    np.testing.assert_allclose(got[0], kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], bias, rtol=1e-5, atol=1e-6)
    assert model.optimizer.learning_rate == schedule(n_steps)


def test_adam_with_a_schedule_learns():
    """The schedule is a drop-in learning_rate: a decaying Adam still learns."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 4)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    model = nn.Sequential([nn.Input((4,)), nn.Dense(2, activation="softmax")])
    model.compile(optimizer=Adam(ExponentialDecay(0.05, 20, 0.9)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, labels, batch_size=20, epochs=5, verbose=0, seed=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_cosine_warmup_may_start_from_zero_as_keras():
    from sigconv.nn.schedules import CosineDecay

    schedule = CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=4)
    assert schedule(0) == 0.0
    assert schedule(2) == pytest.approx(0.05, rel=1e-6)      # linear warmup
    assert schedule(4) == pytest.approx(0.1, rel=1e-6)       # then the cosine from 0.1
    with pytest.raises(ValueError, match="initial_learning_rate"):
        CosineDecay(0.0, 10)                                  # no warmup: a rate > 0
    with pytest.raises(ValueError, match="initial_learning_rate"):
        CosineDecay(-0.1, 10, warmup_target=0.1, warmup_steps=4)
