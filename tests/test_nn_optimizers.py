"""Optimizers (sigconv.nn.optimizers) against Keras 3's update rules.

Hand-computed steps with literal numbers, a plain-NumPy transcription of Keras's
``update_step`` and ``_clip_gradients`` over random shapes, dtypes and hyperparameters,
clipping, slot state, in-place updates and argument errors.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import rng_for

from sigconv.nn.optimizers import SGD, Adam, Optimizer, RMSprop, get_optimizer

# every step runs a numba kernel: CI reruns these bounds-checked
pytestmark = pytest.mark.kernel

RTOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-12}


def run_steps(optimizer, w0, gradients, dtype=np.float64):
    """Apply ``gradients`` (one per step) to one parameter ``w``; the values after each."""
    w = np.array(w0, dtype=dtype)
    history = []
    for g in gradients:
        optimizer.apply({"w": np.array(g, dtype=dtype)}, {"w": w})
        history.append(w.copy())
    return history


# -- hand-computed steps (lr, factors and gradients chosen so the arithmetic is short) -----


def test_sgd_plain_hand_computed():
    # w = 1 - 0.1 * (1 + 0.5 - 1)
    history = run_steps(SGD(learning_rate=0.1), [1.0], [[1.0], [0.5], [-1.0]])
    np.testing.assert_allclose(np.ravel(history), [0.9, 0.85, 0.95], rtol=1e-15)


def test_sgd_momentum_hand_computed():
    # m = 0.9 m - 0.1 g:  -0.1, -0.09 - 0.05 = -0.14, -0.126 + 0.1 = -0.026;  w += m
    history = run_steps(SGD(learning_rate=0.1, momentum=0.9), [1.0], [[1.0], [0.5], [-1.0]])
    np.testing.assert_allclose(np.ravel(history), [0.9, 0.76, 0.734], rtol=1e-14)


def test_sgd_nesterov_hand_computed():
    # same m; w += 0.9 m - 0.1 g:  -0.09 - 0.1 = -0.19,  -0.126 - 0.05 = -0.176,
    # -0.0234 + 0.1 = 0.0766
    history = run_steps(SGD(learning_rate=0.1, momentum=0.9, nesterov=True), [1.0],
                        [[1.0], [0.5], [-1.0]])
    np.testing.assert_allclose(np.ravel(history), [0.81, 0.634, 0.7106], rtol=1e-14)


def test_adam_hand_computed_three_steps():
    # lr 0.1, beta 0.9 / 0.999, epsilon 1e-7; two entries with gradients per step
    # (1, -2), (0.5, 0.5), (-1, 0.25). Step 1: m = 0.1 g, v = 0.001 g^2,
    # alpha = 0.1 sqrt(0.001) / 0.1 = 0.0316227766; w -= alpha m / (sqrt(v) + 1e-7):
    # 1 - 0.1 / (1 + 3.16e-6) = 0.9000003162. Step 2, entry 0: m = 0.1 + 0.4 * 0.1 = 0.14,
    # v = 0.001 + 0.249 * 0.001 = 0.001249, alpha = 0.1 sqrt(0.001999) / 0.19 = 0.0235316725,
    # w -= 0.0235316725 * 0.14 / 0.0353412942 = 0.0932177. Step 3 likewise.
    optimizer = Adam(learning_rate=0.1)
    history = run_steps(optimizer, [1.0, -0.5], [[1.0, -2.0], [0.5, 0.5], [-1.0, 0.25]])
    expected = [[0.900000316226766, -0.400000158113633],
                [0.8067826161106244, -0.3530534130397763],
                [0.7957043323451677, -0.3247256440218405]]
    np.testing.assert_allclose(history, expected, rtol=1e-13)
    slots = optimizer.slots["w"]
    np.testing.assert_allclose(slots["momentum"], [0.026, -0.092], rtol=1e-13)
    np.testing.assert_allclose(slots["velocity"], [0.002247751, 0.004304254], rtol=1e-13)
    assert optimizer.iterations == 3


def test_rmsprop_centered_momentum_hand_computed():
    # lr 0.01, rho 0.9, momentum 0.5, epsilon 0. Step 1 (g = 1): v = 0.1, a = 0.1,
    # increment = 0.01 / sqrt(0.1 - 0.01) = 1/30, m = 1/30, w = 1 - 1/30.
    # Step 2 (g = 0.5): v = 0.09 + 0.025 = 0.115, a = 0.09 + 0.05 = 0.14,
    # increment = 0.005 / sqrt(0.115 - 0.0196) = 0.0161880977, m = 1/60 + that.
    optimizer = RMSprop(learning_rate=0.01, rho=0.9, momentum=0.5, epsilon=0.0, centered=True)
    history = run_steps(optimizer, [1.0], [[1.0], [0.5]])
    np.testing.assert_allclose(np.ravel(history), [1 - 1 / 30, 0.9338119022940456],
                               rtol=1e-14)
    slots = optimizer.slots["w"]
    np.testing.assert_allclose(slots["velocity"], [0.115], rtol=1e-14)
    np.testing.assert_allclose(slots["average_gradient"], [0.14], rtol=1e-14)
    np.testing.assert_allclose(slots["momentum"], [0.03285476437262107], rtol=1e-14)


def test_rmsprop_plain_epsilon_under_the_root():
    # default lr 0.001, epsilon 1e-7 added to v inside the square root:
    # v = 0.4, w = 1 - 0.002 / sqrt(0.4000001); v = 0.36 + 0.1 = 0.46, w += 0.001 / sqrt(0.4600001)
    history = run_steps(RMSprop(), [1.0], [[2.0], [-1.0]])
    np.testing.assert_allclose(np.ravel(history), [0.9968377227351163, 0.9983121421364023],
                               rtol=1e-14)
    assert set(RMSprop().slots) == set()
    optimizer = RMSprop()
    run_steps(optimizer, [1.0], [[2.0]])
    assert set(optimizer.slots["w"]) == {"velocity"}


# -- plain-NumPy transcription of Keras 3 ------------------------------------------------


def keras_clip(grads, config):
    """``BaseOptimizer._clip_gradients`` of Keras 3 on a list of arrays."""
    if config.get("clipnorm") is not None:
        c = config["clipnorm"]
        return [g * g.dtype.type(c) / max(np.sqrt(np.sum(g * g)), g.dtype.type(c))
                for g in grads]
    if config.get("global_clipnorm") is not None:
        c = config["global_clipnorm"]
        norm = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in grads))
        scale = c * min(1.0 / norm, 1.0 / c) if norm else 1.0
        return [g * g.dtype.type(scale) for g in grads]
    if config.get("clipvalue") is not None:
        c = config["clipvalue"]
        return [np.clip(g, -c, c) for g in grads]
    return grads


def keras_update(kind, config, state, w, g, iterations):
    """One ``update_step`` of Keras 3 in NumPy; ``state`` is a dict of slot arrays."""
    t = w.dtype.type
    lr = config["learning_rate"]
    if kind == "sgd":
        mu = config["momentum"]
        if mu == 0:
            w -= g * t(lr)
            return
        m = state.setdefault("momentum", np.zeros_like(w))
        m[...] = m * t(mu) - g * t(lr)
        w += m * t(mu) - g * t(lr) if config["nesterov"] else m
    elif kind == "adam":
        b1, b2 = config["beta_1"], config["beta_2"]
        step = iterations + 1
        alpha = t(lr * math.sqrt(1 - b2**step) / (1 - b1**step))
        m = state.setdefault("momentum", np.zeros_like(w))
        v = state.setdefault("velocity", np.zeros_like(w))
        m += (g - m) * t(1 - b1)
        v += (g * g - v) * t(1 - b2)
        w -= (m * alpha) / (np.sqrt(v) + t(config["epsilon"]))
    else:
        rho, mu, eps = t(config["rho"]), config["momentum"], t(config["epsilon"])
        v = state.setdefault("velocity", np.zeros_like(w))
        v[...] = rho * v + t(1 - config["rho"]) * (g * g)
        if config["centered"]:
            a = state.setdefault("average_gradient", np.zeros_like(w))
            a[...] = rho * a + t(1 - config["rho"]) * g
            denominator = v - a * a + eps
        else:
            denominator = v + eps
        increment = t(lr) * g / np.sqrt(denominator)
        if mu > 0:
            m = state.setdefault("momentum", np.zeros_like(w))
            m[...] = t(mu) * m + increment
            w -= m
        else:
            w -= increment


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


@st.composite
def optimizer_configs(draw):
    kind = draw(st.sampled_from(sorted(OPTIMIZERS)))
    config = {"learning_rate": draw(st.floats(1e-4, 0.5))}
    if kind == "sgd":
        config["momentum"] = draw(st.sampled_from([0.0, 0.5, 0.9, 0.99]))
        config["nesterov"] = draw(st.booleans())
    elif kind == "adam":
        config["beta_1"] = draw(st.sampled_from([0.0, 0.5, 0.9]))
        config["beta_2"] = draw(st.sampled_from([0.9, 0.999]))
        config["epsilon"] = draw(st.sampled_from([1e-7, 1e-3]))
    else:
        config["centered"] = draw(st.booleans())
        # centered with rho = 0 divides by v - a**2 + eps = g**2 - g**2 + eps: rounding
        # noise of g**2 against eps, which no two float32 evaluation orders agree on
        config["rho"] = draw(st.sampled_from([0.5, 0.9] if config["centered"]
                                             else [0.0, 0.5, 0.9]))
        config["momentum"] = draw(st.sampled_from([0.0, 0.5]))
        config["epsilon"] = draw(st.sampled_from([1e-7, 1e-3]))
    clip = draw(st.sampled_from([None, "clipnorm", "clipvalue", "global_clipnorm"]))
    if clip is not None:
        config[clip] = draw(st.sampled_from([0.1, 1.0, 10.0]))
    return kind, config


shapes = st.lists(st.integers(0, 5), max_size=3).map(tuple)


@given(optimizer_configs(), st.lists(shapes, min_size=1, max_size=3),
       st.sampled_from([np.float32, np.float64]), st.integers(1, 4), st.integers(0, 2**31))
def test_matches_keras_transcription(kind_config, param_shapes, dtype, n_steps, seed):
    kind, config = kind_config
    rng = rng_for("optimizer", kind, seed)
    params = {f"p{i}": rng.standard_normal(shape).astype(dtype)
              for i, shape in enumerate(param_shapes)}
    expected = {key: value.copy() for key, value in params.items()}
    states = {key: {} for key in params}
    optimizer = OPTIMIZERS[kind](**config)
    for step in range(n_steps):
        grads = {key: (rng.standard_normal(w.shape) * 3).astype(dtype)
                 for key, w in params.items()}
        optimizer.apply(grads, params)
        clipped = keras_clip([grads[key] for key in params], config)
        for key, g in zip(params, clipped, strict=True):
            keras_update(kind, config, states[key], expected[key], g, step)
    assert optimizer.iterations == n_steps
    rtol = RTOL[np.dtype(dtype)]
    for key, w in params.items():
        assert w.dtype == dtype
        np.testing.assert_allclose(w, expected[key], rtol=rtol, atol=rtol, err_msg=key)
        for name, slot in optimizer.slots[key].items():
            np.testing.assert_allclose(slot, states[key][name], rtol=rtol, atol=rtol,
                                       err_msg=f"{key} {name}")


# -- clipping ------------------------------------------------------------------------------


def sgd_update(w0, grads, **clip):
    """The update ``w - w0`` that SGD(lr=1) makes: minus the clipped gradients."""
    params = {key: np.array(w0[key]) for key in w0}
    SGD(learning_rate=1.0, **clip).apply({k: np.array(g) for k, g in grads.items()}, params)
    return {key: params[key] - np.array(w0[key]) for key in w0}


def test_clipvalue_clips_each_entry():
    update = sgd_update({"w": [0.0, 0.0, 0.0]}, {"w": [-2.0, 0.1, 3.0]}, clipvalue=0.5)
    np.testing.assert_array_equal(update["w"], [0.5, -0.1, -0.5])


def test_clipnorm_rescales_each_gradient_separately():
    zeros = {"a": [0.0, 0.0], "b": [0.0, 0.0]}
    update = sgd_update(zeros, {"a": [3.0, 4.0], "b": [0.3, 0.4]}, clipnorm=1.0)
    np.testing.assert_allclose(update["a"], [-0.6, -0.8], rtol=1e-15)
    np.testing.assert_array_equal(update["b"], [-0.3, -0.4])  # below the norm: untouched


def test_global_clipnorm_rescales_all_together():
    zeros = {"a": [0.0, 0.0], "b": [0.0]}
    # global norm sqrt(9 + 16 + 144) = 13 -> factor 6.5 / 13 = 0.5
    update = sgd_update(zeros, {"a": [3.0, 4.0], "b": [12.0]}, global_clipnorm=6.5)
    np.testing.assert_allclose(update["a"], [-1.5, -2.0], rtol=1e-15)
    np.testing.assert_allclose(update["b"], [-6.0], rtol=1e-15)
    update = sgd_update(zeros, {"a": [3.0, 4.0], "b": [12.0]}, global_clipnorm=13.0)
    np.testing.assert_array_equal(update["b"], [-12.0])


def test_clipping_happens_before_the_adam_update():
    # with gradient g clipped to c, Adam's first step is lr * c / (|c| + eps) per entry
    params = {"w": np.zeros(2)}
    Adam(learning_rate=1.0, epsilon=0.0, clipvalue=0.25).apply({"w": np.array([4.0, -0.1])},
                                                              params)
    np.testing.assert_allclose(params["w"], [-1.0, 1.0], rtol=1e-12)


def test_only_one_clipping_argument():
    with pytest.raises(ValueError, match="only one of clipnorm, clipvalue and global_clipnorm"):
        SGD(clipnorm=1.0, clipvalue=1.0)


# -- state, in-place updates, API ----------------------------------------------------------


def test_updates_in_place_and_keeps_the_objects():
    w, b = np.ones((2, 3), np.float32), np.zeros(3, np.float32)
    params = {"w": w, "b": b}
    Adam().apply({"w": np.ones((2, 3)), "b": np.ones(3)}, params)
    assert params["w"] is w and params["b"] is b
    assert w.dtype == np.float32 and b.dtype == np.float32
    assert np.all(w < 1) and np.all(b < 0)


def test_slot_state_is_per_key():
    optimizer = SGD(learning_rate=0.1, momentum=0.5)
    params = {"a": np.zeros(2), "b": np.zeros(3)}
    optimizer.apply({"a": np.array([1.0, 2.0]), "b": np.array([-1.0, 0.0, 1.0])}, params)
    slots = optimizer.slots
    np.testing.assert_allclose(slots["a"]["momentum"], [-0.1, -0.2])
    np.testing.assert_allclose(slots["b"]["momentum"], [0.1, 0.0, -0.1])
    # a zero gradient for "a" only decays its momentum; "b" continues independently
    optimizer.apply({"a": np.zeros(2), "b": np.array([-1.0, 0.0, 1.0])}, params)
    np.testing.assert_allclose(optimizer.slots["a"]["momentum"], [-0.05, -0.1])
    np.testing.assert_allclose(optimizer.slots["b"]["momentum"], [0.15, 0.0, -0.15])
    np.testing.assert_allclose(params["a"], [-0.15, -0.3])
    assert optimizer.iterations == 2


def test_slots_have_the_parameter_shape_and_no_unused_slot():
    optimizer = SGD(learning_rate=0.1)
    optimizer.apply({"k": np.ones((2, 2))}, {"k": np.zeros((2, 2))})
    assert optimizer.slots == {"k": {}}
    optimizer = RMSprop(momentum=0.9, centered=True)
    optimizer.apply({"k": np.ones((2, 2))}, {"k": np.zeros((2, 2))})
    assert {name: s.shape for name, s in optimizer.slots["k"].items()} == {
        "velocity": (2, 2), "momentum": (2, 2), "average_gradient": (2, 2)}


def test_momentum_switched_on_between_steps_gets_a_fresh_slot():
    optimizer = SGD(learning_rate=0.1)
    params = {"w": np.zeros(3)}
    optimizer.apply({"w": np.ones(3)}, params)
    assert optimizer.slots["w"] == {}
    optimizer.momentum = 0.5
    optimizer.apply({"w": np.ones(3)}, params)  # m = -0.1, w = -0.1 - 0.1
    np.testing.assert_allclose(optimizer.slots["w"]["momentum"], [-0.1] * 3)
    np.testing.assert_allclose(params["w"], [-0.2] * 3)


def test_learning_rate_can_change_between_steps():
    optimizer = SGD(learning_rate=0.1)
    params = {"w": np.array([1.0])}
    optimizer.apply({"w": np.array([1.0])}, params)
    optimizer.learning_rate = 0.5
    optimizer.apply({"w": np.array([1.0])}, params)
    np.testing.assert_allclose(params["w"], [0.4], rtol=1e-15)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizer.learning_rate = 0.0


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_non_contiguous_parameters_match_contiguous_ones(kind):
    rng = rng_for("non-contiguous", kind)
    base = rng.standard_normal((4, 6))
    grads = [rng.standard_normal((6, 4)) for _ in range(3)]
    strided = base.copy().T  # Fortran-ordered view
    contiguous = np.ascontiguousarray(strided)
    optimizers = [get_optimizer(kind), get_optimizer(kind)]
    for g in grads:
        optimizers[0].apply({"w": g}, {"w": strided})
        optimizers[1].apply({"w": np.asfortranarray(g)}, {"w": contiguous})
    np.testing.assert_array_equal(strided, contiguous)
    assert not strided.flags.c_contiguous


def test_gradient_is_cast_to_the_parameter_dtype():
    params = {"w": np.ones(3, np.float32)}
    SGD(learning_rate=0.5).apply({"w": np.array([1, 2, 3])}, params)
    assert params["w"].dtype == np.float32
    np.testing.assert_array_equal(params["w"], np.float32([0.5, 0.0, -0.5]))


def test_get_optimizer_and_config_round_trip():
    assert isinstance(get_optimizer("sgd"), SGD)
    assert isinstance(get_optimizer("Adam"), Adam)
    assert isinstance(get_optimizer("RMSprop"), RMSprop)
    instance = RMSprop(learning_rate=0.01, centered=True, clipnorm=2.0)
    assert get_optimizer(instance) is instance
    for optimizer in (SGD(0.1, 0.9, True, clipvalue=1.0), Adam(0.01, 0.8, 0.99, 1e-5),
                      instance):
        config = optimizer.get_config()
        assert type(optimizer).from_config(config).get_config() == config
    assert Adam().get_config()["epsilon"] == 1e-7  # Keras default
    with pytest.raises(ValueError, match="'sgd', 'adam', 'rmsprop'"):
        get_optimizer("ftrl")
    with pytest.raises(TypeError, match="optimizer"):
        get_optimizer(SGD)
    assert isinstance(instance, Optimizer)


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "kwargs", "name"), [
    (SGD, {"learning_rate": 0.0}, "learning_rate"),
    (SGD, {"learning_rate": -0.1}, "learning_rate"),
    (Adam, {"learning_rate": math.nan}, "learning_rate"),
    (RMSprop, {"learning_rate": math.inf}, "learning_rate"),
    (SGD, {"momentum": 1.0}, "momentum"),
    (SGD, {"momentum": -0.1}, "momentum"),
    (RMSprop, {"momentum": 1.5}, "momentum"),
    (Adam, {"beta_1": 1.0}, "beta_1"),
    (Adam, {"beta_2": -0.5}, "beta_2"),
    (Adam, {"epsilon": -1e-7}, "epsilon"),
    (RMSprop, {"epsilon": -1.0}, "epsilon"),
    (RMSprop, {"rho": 1.0}, "rho"),
    (SGD, {"clipnorm": 0.0}, "clipnorm"),
    (Adam, {"clipvalue": -1.0}, "clipvalue"),
    (RMSprop, {"global_clipnorm": math.nan}, "global_clipnorm"),
])
def test_bad_hyperparameters(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls(**kwargs)


def test_non_numeric_hyperparameter():
    with pytest.raises(TypeError, match="learning_rate"):
        SGD(learning_rate="0.1")


def test_apply_errors_name_the_key_and_update_nothing():
    optimizer = Adam()
    w = np.ones(3)
    with pytest.raises(ValueError, match="no gradient for \\['b'\\]"):
        optimizer.apply({"w": np.ones(3)}, {"w": w, "b": np.ones(2)})
    with pytest.raises(ValueError, match="no parameter for \\['x'\\]"):
        optimizer.apply({"w": np.ones(3), "x": np.ones(3)}, {"w": w})
    with pytest.raises(ValueError, match=r"grads\['b'\] has shape \(3,\)"):
        optimizer.apply({"w": np.ones(3), "b": np.ones(3)}, {"w": w, "b": np.ones(2)})
    np.testing.assert_array_equal(w, np.ones(3))
    assert optimizer.iterations == 0
    with pytest.raises(TypeError, match=r"params\['w'\]"):
        optimizer.apply({"w": [1.0]}, {"w": [1.0]})
    with pytest.raises(TypeError, match=r"params\['w'\]"):
        optimizer.apply({"w": np.ones(2)}, {"w": np.ones(2, dtype=np.int64)})
    frozen = np.ones(2)
    frozen.flags.writeable = False
    with pytest.raises(TypeError, match="writeable"):
        optimizer.apply({"w": np.ones(2)}, {"w": frozen})


def test_changed_parameter_shape_is_refused():
    optimizer = SGD(momentum=0.9)
    optimizer.apply({"w": np.ones(3)}, {"w": np.ones(3)})
    with pytest.raises(ValueError, match=r"params\['w'\] has shape \(4,\)"):
        optimizer.apply({"w": np.ones(4)}, {"w": np.ones(4)})
