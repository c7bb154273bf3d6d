"""The optimizers added for Keras 3 parity, replayed step by step against NumPy.

A plain-NumPy transcription of Keras 3's ``BaseOptimizer`` step (schedule, clipping,
decoupled weight decay, ``update_step``, the moving average and its overwrite) for every
optimizer, with its slots; hand-computed steps; the state saved and restored mid-way
(bit for bit); ``lr=``; configurations; argument errors; a training run with weight
decay and EMA.
"""

import json
import math
import warnings

import numpy as np
import pytest

from sigconv import nn
from sigconv.nn import optimizers
from sigconv.nn.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    RMSprop,
    get_optimizer,
    schedules,
)

pytestmark = pytest.mark.kernel

RTOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-12}


# -- the NumPy transcription of Keras 3 ------------------------------------------------------


class KerasStep:
    """Keras 3's ``apply`` for one optimizer, on a dict of NumPy parameters."""

    def __init__(self, kind, config):
        self.kind, self.config = kind, dict(config)
        self.iterations = 0
        self.slots = {}
        self.averages = {}
        self.u_product = 1.0

    def learning_rate(self):
        lr = self.config["learning_rate"]
        return lr(self.iterations) if callable(lr) else lr

    def clip(self, grads):
        c = self.config
        if c.get("clipnorm") is not None:
            return {k: g * g.dtype.type(c["clipnorm"])
                    / max(np.sqrt(np.sum(g * g)), g.dtype.type(c["clipnorm"]))
                    for k, g in grads.items()}
        if c.get("global_clipnorm") is not None:
            norm = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2))
                                 for g in grads.values()))
            scale = c["global_clipnorm"] * min(1 / norm, 1 / c["global_clipnorm"])
            return {k: g * g.dtype.type(scale) for k, g in grads.items()}
        if c.get("clipvalue") is not None:
            return {k: np.clip(g, -c["clipvalue"], c["clipvalue"]) for k, g in grads.items()}
        return grads

    def apply(self, grads, params):
        lr = self.learning_rate()
        grads = self.clip(grads)
        wd = self.config.get("weight_decay")
        if wd is not None:
            for w in params.values():
                t = w.dtype.type
                w[...] = w - w * t(wd) * t(lr)
        if self.kind == "nadam":
            b1 = self.config.get("beta_1", 0.9)
            self.u_product *= b1 * (1 - 0.5 * 0.96 ** (self.iterations + 1))
        for key, w in params.items():
            self.update(self.slots.setdefault(key, {}), w, grads[key], lr)
        if self.config.get("use_ema"):
            for key, w in params.items():
                t = w.dtype.type
                average = self.averages.setdefault(key, np.zeros_like(w))
                momentum = t(0 if self.iterations == 0 else self.config.get("ema_momentum",
                                                                            0.99))
                average[...] = momentum * average + (t(1) - momentum) * w
                frequency = self.config.get("ema_overwrite_frequency")
                if frequency and (self.iterations + 1) % frequency == 0:
                    w[...] = average
        self.iterations += 1

    def update(self, slots, w, g, lr):
        c, t, step = self.config, w.dtype.type, self.iterations + 1

        def slot(name, value=0.0):
            return slots.setdefault(name, np.full_like(w, value))

        if self.kind == "sgd":
            mu = c.get("momentum", 0.0)
            if mu == 0:
                w -= g * t(lr)
                return
            m = slot("momentum")
            m[...] = m * t(mu) - g * t(lr)
            w += m * t(mu) - g * t(lr) if c.get("nesterov") else m
        elif self.kind in ("adam", "adamw"):
            b1, b2 = c.get("beta_1", 0.9), c.get("beta_2", 0.999)
            alpha = t(lr * math.sqrt(1 - b2**step) / (1 - b1**step))
            m, v = slot("momentum"), slot("velocity")
            m += (g - m) * t(1 - b1)
            v += (g * g - v) * t(1 - b2)
            if c.get("amsgrad"):
                v_hat = slot("velocity_hat")
                v_hat[...] = np.maximum(v_hat, v)
                v = v_hat
            w -= (m * alpha) / (np.sqrt(v) + t(c.get("epsilon", 1e-7)))
        elif self.kind == "nadam":
            b1, b2 = c.get("beta_1", 0.9), c.get("beta_2", 0.999)
            u_t = b1 * (1 - 0.5 * 0.96**step)
            u_next = b1 * (1 - 0.5 * 0.96 ** (step + 1))
            m, v = slot("momentum"), slot("velocity")
            m += (g - m) * t(1 - b1)
            v += (g * g - v) * t(1 - b2)
            m_hat = (t(u_next) * m) / t(1 - self.u_product * u_next) \
                + (t(1 - u_t) * g) / t(1 - self.u_product)
            v_hat = v / t(1 - b2**step)
            w -= (m_hat * t(lr)) / (np.sqrt(v_hat) + t(c.get("epsilon", 1e-7)))
        elif self.kind == "rmsprop":
            rho, mu = c.get("rho", 0.9), c.get("momentum", 0.0)
            v = slot("velocity")
            v[...] = t(rho) * v + t(1 - rho) * (g * g)
            if c.get("centered"):
                a = slot("average_gradient")
                a[...] = t(rho) * a + t(1 - rho) * g
                denominator = v - a * a + t(c.get("epsilon", 1e-7))
            else:
                denominator = v + t(c.get("epsilon", 1e-7))
            increment = t(lr) * g / np.sqrt(denominator)
            if mu > 0:
                m = slot("momentum")
                m[...] = t(mu) * m + increment
                w -= m
            else:
                w -= increment
        elif self.kind == "adagrad":
            accumulator = slot("accumulator", c.get("initial_accumulator_value", 0.1))
            accumulator += g * g
            w -= (t(lr) * g) / np.sqrt(accumulator + t(c.get("epsilon", 1e-7)))
        elif self.kind == "adadelta":
            rho, eps = t(c.get("rho", 0.95)), t(c.get("epsilon", 1e-7))
            ag, ad = slot("accumulated_grad"), slot("accumulated_delta_var")
            ag[...] = rho * ag + t(1 - c.get("rho", 0.95)) * (g * g)
            delta = -((np.sqrt(ad + eps) * g) / np.sqrt(ag + eps))
            ad[...] = rho * ad + t(1 - c.get("rho", 0.95)) * (delta * delta)
            w += t(lr) * delta
        elif self.kind == "adamax":
            b1, b2 = c.get("beta_1", 0.9), c.get("beta_2", 0.999)
            m, u = slot("momentum"), slot("norm")
            m += (g - m) * t(1 - b1)
            u[...] = np.maximum(t(b2) * u, np.abs(g))
            w -= (t(lr) * m) / (t(1 - b1**step) * (u + t(c.get("epsilon", 1e-7))))
        else:
            raise AssertionError(self.kind)


CLASSES = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "nadam": Nadam, "rmsprop": RMSprop,
           "adagrad": Adagrad, "adadelta": Adadelta, "adamax": Adamax}

CASES = [
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("sgd", {"learning_rate": 0.05}),
    ("adam", {"learning_rate": 0.01}),
    ("adam", {"learning_rate": 0.01, "amsgrad": True, "beta_2": 0.9}),
    ("adamw", {"learning_rate": 0.01}),
    ("adamw", {"learning_rate": 0.02, "weight_decay": 0.1, "amsgrad": True}),
    ("nadam", {"learning_rate": 0.01}),
    ("nadam", {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3}),
    ("rmsprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("adagrad", {"learning_rate": 0.1}),
    ("adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.0, "epsilon": 1e-3}),
    ("adadelta", {"learning_rate": 1.0}),
    ("adadelta", {"learning_rate": 0.5, "rho": 0.5, "epsilon": 1e-4}),
    ("adamax", {"learning_rate": 0.01}),
    ("adamax", {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.9}),
]

EXTRAS = [
    {},
    {"weight_decay": 0.05},
    {"clipnorm": 0.5},
    {"global_clipnorm": 1.0, "weight_decay": 0.01},
    {"clipvalue": 0.3},
    {"use_ema": True},
    {"use_ema": True, "ema_momentum": 0.8, "ema_overwrite_frequency": 3,
     "weight_decay": 0.02},
]


def random_problem(dtype, seed):
    rng = np.random.default_rng(seed)
    params = {"dense/kernel": rng.standard_normal((3, 4)).astype(dtype),
              "dense/bias": rng.standard_normal(5).astype(dtype)}
    gradients = [{k: (rng.standard_normal(w.shape) * 2).astype(dtype)
                  for k, w in params.items()} for _ in range(7)]
    return params, gradients


def configured(kind, config, extra):
    config = {**config, **extra}
    if kind == "adamw" and "weight_decay" not in config:
        config["weight_decay"] = 0.004   # AdamW's default, for the transcription
    return config


@pytest.mark.parametrize("extra", EXTRAS, ids=lambda e: ",".join(e) or "plain")
@pytest.mark.parametrize(("kind", "config"), CASES,
                         ids=[f"{k}{i}" for i, (k, _) in enumerate(CASES)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_keras_step_by_step(kind, config, extra, dtype):
    config = configured(kind, config, extra)
    params, gradients = random_problem(dtype, hash((kind, len(extra))) % 1000)
    expected = {k: w.copy() for k, w in params.items()}
    optimizer = CLASSES[kind](**config)
    reference = KerasStep(kind, config)
    rtol = RTOL[np.dtype(dtype)]
    for step, grads in enumerate(gradients):
        optimizer.apply({k: g.copy() for k, g in grads.items()}, params)
        reference.apply(grads, expected)
        for key, w in params.items():
            assert w.dtype == dtype
            np.testing.assert_allclose(w, expected[key], rtol=rtol, atol=rtol,
                                       err_msg=f"step {step} {key}")
    assert optimizer.iterations == len(gradients)
    for key in params:
        assert set(optimizer.slots[key]) == set(reference.slots[key]), key
        for name, slot in optimizer.slots[key].items():
            np.testing.assert_allclose(slot, reference.slots[key][name], rtol=rtol, atol=rtol,
                                       err_msg=f"{key} {name}")
    state = optimizer.get_state()
    if config.get("use_ema"):
        for key in params:
            np.testing.assert_allclose(state[f"ema/{key}"], reference.averages[key],
                                       rtol=rtol, atol=rtol)
    else:
        assert not any(name.startswith("ema/") for name in state)


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_schedule_is_read_at_the_step_before_the_increment(kind):
    schedule = schedules.PiecewiseConstantDecay([1, 3], [0.1, 0.02, 0.005])
    config = configured(kind, {"learning_rate": schedule, "weight_decay": 0.1}, {})
    params, gradients = random_problem(np.float32, 3)
    expected = {k: w.copy() for k, w in params.items()}
    optimizer, reference = CLASSES[kind](**config), KerasStep(kind, config)
    used = []
    for grads in gradients:
        used.append(optimizer.learning_rate)
        optimizer.apply(grads, params)
        reference.apply(grads, expected)
    assert used == [schedule(t) for t in range(len(gradients))]
    np.testing.assert_allclose(used, [0.1, 0.1, 0.02, 0.02, 0.005, 0.005, 0.005], rtol=1e-7)
    for key, w in params.items():
        np.testing.assert_allclose(w, expected[key], rtol=2e-5, atol=2e-5)


# -- hand-computed steps ------------------------------------------------------------------


def test_weight_decay_hand_computed_before_the_update():
    # w = 2: decay 2 - 2 * 0.5 * 0.1 = 1.9, then SGD 1.9 - 0.1 * 1 = 1.8
    w = np.array([2.0])
    SGD(learning_rate=0.1, weight_decay=0.5).apply({"w": np.array([1.0])}, {"w": w})
    np.testing.assert_allclose(w, [1.8], rtol=1e-15)


def test_weight_decay_excluded_by_name_and_by_array():
    params = {"dense/kernel": np.array([2.0]), "dense/bias": np.array([2.0]),
              "other": np.array([2.0])}
    optimizer = SGD(learning_rate=0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_list=[params["other"]], var_names=["bias"])
    optimizer.apply({k: np.zeros(1) for k in params}, params)
    assert params["dense/kernel"][0] == pytest.approx(1.9)
    assert params["dense/bias"][0] == params["other"][0] == 2.0
    with pytest.raises(ValueError, match="before the optimizer's first step"):
        optimizer.exclude_from_weight_decay(var_names=["kernel"])


def test_amsgrad_keeps_the_largest_velocity():
    # beta_2 = 0: v is g**2 of the step; v_hat the largest so far: 4 after (2, 1)
    optimizer = Adam(learning_rate=0.1, beta_1=0.0, beta_2=0.0, epsilon=0.0, amsgrad=True)
    w = np.array([0.0])
    optimizer.apply({"w": np.array([2.0])}, {"w": w})
    optimizer.apply({"w": np.array([1.0])}, {"w": w})
    np.testing.assert_allclose(optimizer.slots["w"]["velocity_hat"], [4.0])
    np.testing.assert_allclose(optimizer.slots["w"]["velocity"], [1.0])
    # steps: -0.1 * 2 / 2 = -0.1, then -0.1 * 1 / 2 = -0.05
    np.testing.assert_allclose(w, [-0.15], rtol=1e-15)
    assert "velocity_hat" not in Adam().slots.get("w", {})


def test_adagrad_starts_from_the_initial_accumulator():
    optimizer = Adagrad(learning_rate=1.0, initial_accumulator_value=5.0, epsilon=0.0)
    w = np.array([0.0])
    optimizer.apply({"w": np.array([2.0])}, {"w": w})      # A = 9: w = -2 / 3
    np.testing.assert_allclose(w, [-2 / 3], rtol=1e-15)
    np.testing.assert_allclose(optimizer.slots["w"]["accumulator"], [9.0])


def test_ema_hand_computed_with_overwrite():
    # SGD lr 1, g = -1 each step: w = 1, 2, 3 (before overwrites). EMA m = 0.5:
    # step 0: a = w = 1; step 1: a = 0.5 + 0.5 * 2 = 1.5, overwrite (2 % 2 == 0): w = 1.5;
    # step 2: w = 2.5, a = 0.75 + 1.25 = 2.0
    optimizer = SGD(1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    w = np.array([0.0])
    history = []
    for _ in range(3):
        optimizer.apply({"w": np.array([-1.0])}, {"w": w})
        history.append((w[0], optimizer.get_state()["ema/w"][0]))
    assert history == [(1.0, 1.0), (1.5, 1.5), (2.5, 2.0)]
    optimizer.finalize_variable_values({"w": w})
    assert w[0] == 2.0


def test_finalize_without_ema_changes_nothing_and_checks_keys():
    w = np.array([1.0])
    optimizer = SGD(0.1)
    optimizer.apply({"w": np.array([1.0])}, {"w": w})
    optimizer.finalize_variable_values({"w": w})
    assert w[0] == pytest.approx(0.9)
    with_ema = SGD(0.1, use_ema=True)
    with_ema.finalize_variable_values({"w": w})        # before any step: nothing to do
    with_ema.apply({"w": np.array([1.0])}, {"w": w})
    with pytest.raises(ValueError, match=r"no moving average for params\['v'\]"):
        with_ema.finalize_variable_values({"w": w, "v": np.ones(2)})
    with pytest.raises(TypeError, match="params"):
        with_ema.finalize_variable_values([w])


# -- state saved and continued -----------------------------------------------------------

STATE_CASES = [
    ("sgd", {"learning_rate": schedules.ExponentialDecay(0.1, 3, 0.5), "momentum": 0.9,
             "use_ema": True, "ema_overwrite_frequency": 4}),
    ("sgd", {"learning_rate": 0.1}),
    ("adam", {"amsgrad": True, "weight_decay": 0.01, "clipnorm": 1.0,
              "learning_rate": schedules.CosineDecay(0.001, 10, warmup_target=0.01,
                                                     warmup_steps=3)}),
    ("adamw", {"use_ema": True}),
    ("nadam", {"learning_rate": schedules.PolynomialDecay(0.01, 5, cycle=True)}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("adagrad", {"learning_rate": schedules.InverseTimeDecay(0.1, 2, 0.5, staircase=True)}),
    ("adadelta", {"learning_rate": 1.0, "use_ema": True}),
    ("adamax", {"learning_rate": schedules.CosineDecayRestarts(0.01, 2)}),
]


@pytest.mark.parametrize(("kind", "config"), STATE_CASES,
                         ids=[f"{k}{i}" for i, (k, _) in enumerate(STATE_CASES)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_state_restored_midway_continues_bit_for_bit(kind, config, dtype):
    params, gradients = random_problem(dtype, 11)
    original = CLASSES[kind](**config)
    for grads in gradients[:3]:
        original.apply(grads, params)
    saved_params = {k: w.copy() for k, w in params.items()}
    state = original.get_state()
    config_json = json.loads(json.dumps(optimizers.serialize(original)))
    restored = optimizers.deserialize(config_json)
    restored.set_state({k: v.copy() for k, v in state.items()})
    assert restored.get_config() == original.get_config()
    assert restored.iterations == 3
    for grads in gradients[3:]:
        original.apply(grads, params)
        restored.apply(grads, saved_params)
    for key in params:
        np.testing.assert_array_equal(saved_params[key], params[key])
    after, after_restored = original.get_state(), restored.get_state()
    assert after.keys() == after_restored.keys()
    for name in after:
        np.testing.assert_array_equal(after_restored[name], after[name], err_msg=name)
        assert after_restored[name].dtype == after[name].dtype
    original.finalize_variable_values(params)
    restored.finalize_variable_values(saved_params)
    for key in params:
        np.testing.assert_array_equal(saved_params[key], params[key])


def test_get_state_names_every_entry():
    optimizer = Nadam(use_ema=True)
    optimizer.apply({"a/b": np.ones((2, 3), np.float32)}, {"a/b": np.ones((2, 3), np.float32)})
    state = optimizer.get_state()
    assert sorted(state) == ["ema/a/b", "iterations", "slot/a/b/momentum",
                             "slot/a/b/velocity", "u_product"]
    assert state["iterations"].dtype == np.int64 and state["iterations"] == 1
    assert state["slot/a/b/momentum"].shape == (2, 3)
    assert state["slot/a/b/momentum"].dtype == np.float32
    assert state["u_product"] == pytest.approx(0.9 * (1 - 0.5 * 0.96))
    state["slot/a/b/momentum"][...] = 5     # a copy
    assert not np.any(optimizer.slots["a/b"]["momentum"] == 5)


def set_state_error(optimizer, state, match):
    before = optimizer.get_state()
    with pytest.raises(ValueError, match=match):
        optimizer.set_state(state)
    after = optimizer.get_state()
    assert before.keys() == after.keys()
    for name in before:
        np.testing.assert_array_equal(after[name], before[name])


def test_set_state_refusals_name_the_entry():
    optimizer = Adam(amsgrad=True)
    w = {"w": np.ones(3)}
    optimizer.apply({"w": np.ones(3)}, w)
    good = optimizer.get_state()
    set_state_error(optimizer, {k: v for k, v in good.items() if k != "iterations"},
                    "'iterations'")
    set_state_error(optimizer, {k: v for k, v in good.items() if k != "slot/w/velocity_hat"},
                    "'slot/w/velocity_hat'")
    set_state_error(optimizer, {**good, "slot/w/velocity": np.ones(4)},
                    r"'slot/w/velocity' has shape \(4,\)")
    set_state_error(optimizer, {**good, "slot/w/velocity": np.ones(3, np.float32)},
                    "'slot/w/velocity' has shape")
    set_state_error(optimizer, {**good, "slot/w/velocity": np.ones(3, np.int64)},
                    "'slot/w/velocity' must be float32 or float64")
    set_state_error(optimizer, {**good, "slot/w/norm": np.ones(3)}, "'slot/w/norm'")
    set_state_error(optimizer, {**good, "ema/w": np.ones(3)}, "use_ema=False")
    set_state_error(optimizer, {**good, "bogus": np.ones(3)}, "'bogus'")
    set_state_error(optimizer, {**good, "iterations": np.array(1.5)}, "'iterations'")
    set_state_error(optimizer, {"iterations": np.array(2), **{
        k.replace("/w/", "/v/"): v for k, v in good.items() if k.startswith("slot/")}},
        r"keys \['v'\]")
    set_state_error(Nadam(), {"iterations": np.array(0)}, "'u_product'")
    set_state_error(SGD(use_ema=True), {"iterations": np.array(1),
                                        "slot/w/momentum": np.ones(3)}, "'slot/w/momentum'")
    set_state_error(SGD(0.1, use_ema=True, momentum=0.5),
                    {"iterations": np.array(1), "slot/w/momentum": np.ones(3)}, "'ema/w'")
    with pytest.raises(TypeError, match="state"):
        optimizer.set_state([("iterations", 1)])


def test_set_state_before_the_first_step_makes_the_slots():
    optimizer = SGD(0.1, momentum=0.5)
    optimizer.set_state({"iterations": np.array(4), "slot/w/momentum": np.array([1.0, 2.0])})
    assert optimizer.iterations == 4
    w = np.zeros(2)
    optimizer.apply({"w": np.zeros(2)}, {"w": w})      # m = 0.5 m: w += m
    np.testing.assert_allclose(w, [0.5, 1.0])
    with pytest.raises(ValueError, match="params\\['w'\\] has shape"):
        optimizer.apply({"w": np.zeros(3)}, {"w": np.zeros(3)})


# -- arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize("cls", sorted(CLASSES.values(), key=lambda c: c.__name__),
                         ids=lambda c: c.__name__)
def test_lr_alias_warns_and_is_the_learning_rate(cls):
    with pytest.warns(DeprecationWarning, match="lr is deprecated"):
        optimizer = cls(lr=0.25)
    assert optimizer.learning_rate == 0.25
    assert optimizer.get_config()["learning_rate"] == 0.25
    with pytest.raises(ValueError, match="learning_rate or its deprecated alias lr"):
        cls(learning_rate=0.25, lr=0.25)
    default = cls().learning_rate                     # the default, given explicitly
    with pytest.raises(ValueError, match="not both"):
        cls(default, lr=0.5)
    with pytest.raises(ValueError, match=r"not recognized: \['momentun'\]"):
        cls(momentun=0.9)


def test_lr_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AdamW(lr=0.1)
    assert caught[0].filename == __file__


def test_keras3_decay_argument_is_ignored_with_a_warning():
    with pytest.warns(UserWarning, match="decay is no longer supported"):
        optimizer = SGD(0.1, decay=1e-4)
    assert optimizer.learning_rate == 0.1


@pytest.mark.parametrize(("cls", "kwargs", "name"), [
    (AdamW, {"weight_decay": None}, "weight_decay"),
    (SGD, {"weight_decay": -0.1}, "weight_decay"),
    (Adam, {"amsgrad": 1}, "amsgrad"),
    (Nadam, {"beta_1": 1.0}, "beta_1"),
    (Adagrad, {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    (Adagrad, {"epsilon": -1.0}, "epsilon"),
    (Adadelta, {"rho": 1.0}, "rho"),
    (Adamax, {"beta_2": 1.5}, "beta_2"),
    (SGD, {"ema_momentum": 1.5}, "ema_momentum"),
    (SGD, {"ema_overwrite_frequency": 0}, "ema_overwrite_frequency"),
    (SGD, {"ema_overwrite_frequency": 2.5}, "ema_overwrite_frequency"),
    (SGD, {"use_ema": "yes"}, "use_ema"),
    (SGD, {"learning_rate": lambda: 0.1}, "learning_rate"),
    (Adam, {"loss_scale_factor": 2.0}, "loss_scale_factor"),
    (SGD, {"name": 3}, "name"),
])
def test_bad_arguments(cls, kwargs, name):
    with pytest.raises((ValueError, TypeError), match=name):
        cls(**kwargs)


def test_a_schedule_cannot_be_overwritten_by_a_number():
    schedule = schedules.ExponentialDecay(0.1, 10, 0.5)
    optimizer = SGD(learning_rate=schedule)
    assert optimizer.learning_rate_schedule is schedule
    with pytest.raises(TypeError, match="schedule"):
        optimizer.learning_rate = 0.01
    optimizer.learning_rate = schedules.ExponentialDecay(0.2, 10, 0.5)   # a schedule is
    assert optimizer.learning_rate == pytest.approx(0.2)
    plain = SGD(0.1)
    plain.learning_rate = schedule
    assert plain.learning_rate == pytest.approx(0.1)
    assert plain.learning_rate_schedule is schedule


def test_get_optimizer_new_names_and_dicts():
    for name, cls in [("adamw", AdamW), ("Nadam", Nadam), ("adagrad", Adagrad),
                      ("ADADELTA", Adadelta), ("adamax", Adamax)]:
        assert type(get_optimizer(name)) is cls
    optimizer = get_optimizer({"class_name": "AdamW", "config": {"learning_rate": 0.01}})
    assert type(optimizer) is AdamW and optimizer.learning_rate == 0.01
    assert optimizer.weight_decay == 0.004 and AdamW().get_config()["weight_decay"] == 0.004
    with pytest.raises(ValueError, match="Ftrl"):
        get_optimizer({"class_name": "Ftrl", "config": {}})
    with pytest.raises(TypeError, match="class_name"):
        get_optimizer({"config": {}})


@pytest.mark.parametrize(("kind", "config"), STATE_CASES + CASES)
def test_config_round_trip_through_json(kind, config):
    optimizer = CLASSES[kind](**config, name="mine")
    document = json.loads(json.dumps(optimizer.get_config()))
    again = type(optimizer).from_config(document)
    assert again.get_config() == optimizer.get_config()
    assert again.learning_rate == optimizer.learning_rate
    assert again.get_config()["name"] == "mine"
    if isinstance(config.get("learning_rate"), schedules.LearningRateSchedule):
        assert document["learning_rate"]["class_name"] == type(config["learning_rate"]).__name__
        assert again.learning_rate_schedule == config["learning_rate"]


def test_keras_config_keys():
    config = Adam().get_config()
    assert list(config)[:9] == ["name", "learning_rate", "weight_decay", "clipnorm",
                                "global_clipnorm", "clipvalue", "use_ema", "ema_momentum",
                                "ema_overwrite_frequency"]
    assert config["name"] == "adam" and config["amsgrad"] is False


def test_schedules_submodule_layout():
    import sigconv.nn.optimizers.schedules as imported

    from sigconv.nn.optimizers import schedules as attribute

    assert imported is attribute is optimizers.schedules
    assert optimizers.schedules.ExponentialDecay is schedules.ExponentialDecay


# -- training -----------------------------------------------------------------------------


def test_training_with_weight_decay_and_ema_matches_the_replay():
    """A linear Dense layer under MSE: sigconv's fit against the NumPy replay of Keras's
    step (the gradient of mean((x W + b - y)**2) written out), EMA written at the end."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((12, 3)).astype(np.float32)
    y = rng.standard_normal((12, 2)).astype(np.float32)
    model = nn.Sequential([nn.Input((3,)), nn.Dense(2)])
    optimizer = SGD(learning_rate=schedules.ExponentialDecay(0.1, 2, 0.5), momentum=0.5,
                    weight_decay=0.1, use_ema=True, ema_momentum=0.5)
    model.compile(optimizer=optimizer, loss="mse")
    model.build()
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    optimizer.finalize_variable_values(model.params)
    assert optimizer.iterations == 6
    config = {"learning_rate": optimizer.learning_rate_schedule, "momentum": 0.5,
              "weight_decay": 0.1, "use_ema": True, "ema_momentum": 0.5}
    reference = KerasStep("sgd", config)
    params = {"kernel": kernel, "bias": bias}
    for _ in range(2):
        for start in range(0, 12, 4):
            xb, yb = x[start:start + 4].astype(np.float64), y[start:start + 4]
            dz = 2 * (xb @ params["kernel"] + params["bias"] - yb) / dz_size(yb)
            reference.apply({"kernel": xb.T @ dz, "bias": dz.sum(0)}, params)
    got = model.get_weights()
    np.testing.assert_allclose(got[0], reference.averages["kernel"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], reference.averages["bias"], rtol=1e-5, atol=1e-6)


def dz_size(y):
    return y.size
