"""Initializers and regularizers (sigconv.nn.initializers, sigconv.nn.regularizers).

Initializers: Keras's fans, distribution statistics on large draws, the truncation of
the normal at two standard deviations, reproducibility. Regularizers: Keras's values,
gradients against finite differences, configurations and errors.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import rng_for

from sigconv.nn import initializers as init
from sigconv.nn import regularizers as reg
from sigconv.nn.initializers import compute_fans, get_initializer, variance_scaling
from sigconv.nn.regularizers import L1, L1L2, L2, Regularizer, get_regularizer

TRUNCATED_STD = 0.87962566103423978

# -- fans ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "fans"), [
    ((784, 128), (784, 128)),            # dense (n_in, n_out)
    ((3, 3, 16, 32), (144, 288)),        # conv2d (kh, kw, in, filters): receptive 9
    ((5, 4, 8), (20, 40)),               # conv1d (k, in, filters)
    ((2, 3, 4, 5, 6), (120, 144)),       # conv3d: receptive 24
    ((10,), (10, 10)),
    (7, (7, 7)),
    ((), (1, 1)),
])
def test_compute_fans(shape, fans):
    assert compute_fans(shape) == fans


# -- distributions -------------------------------------------------------------------------

# 60_000 draws: standard errors of mean and std are ~0.4% and ~0.3% of the std
DENSE = (200, 300)
CONV = (5, 5, 40, 48)


def uniform_limit(name, shape):
    fan_in, fan_out = compute_fans(shape)
    return math.sqrt(6 / (fan_in + fan_out)) if name == "glorot_uniform" else math.sqrt(
        6 / fan_in)


def normal_std(name, shape):
    fan_in, fan_out = compute_fans(shape)
    return math.sqrt(2 / (fan_in + fan_out)) if name == "glorot_normal" else math.sqrt(
        2 / fan_in)


@pytest.mark.parametrize("shape", [DENSE, CONV])
@pytest.mark.parametrize("name", ["glorot_uniform", "he_uniform"])
def test_uniform_limits_and_moments(name, shape):
    w = get_initializer(name)(shape, rng=rng_for(name, shape))
    limit = uniform_limit(name, shape)
    assert w.shape == shape and w.dtype == np.float32
    assert np.abs(w).max() <= np.float32(limit)
    assert np.abs(w).max() > 0.999 * limit  # the whole interval is used
    std = limit / math.sqrt(3)
    assert abs(w.mean()) < 4 * std / math.sqrt(w.size)
    assert w.std() == pytest.approx(std, rel=0.02)
    # uniform: a quarter of the draws in each quarter of the interval
    counts, _ = np.histogram(w, bins=4, range=(-limit, limit))
    np.testing.assert_allclose(counts / w.size, 0.25, atol=0.01)


@pytest.mark.parametrize("shape", [DENSE, CONV])
@pytest.mark.parametrize("name", ["glorot_normal", "he_normal"])
def test_truncated_normal_truncation_and_moments(name, shape):
    w = get_initializer(name)(shape, dtype=np.float64, rng=rng_for(name, shape))
    target = normal_std(name, shape)          # the std Keras aims at after truncation
    sigma = target / TRUNCATED_STD            # std of the normal before truncation
    assert np.abs(w).max() <= 2 * sigma
    assert np.abs(w).max() > 1.99 * sigma      # truncated, not narrower
    assert abs(w.mean()) < 4 * target / math.sqrt(w.size)
    assert w.std() == pytest.approx(target, rel=0.02)
    # a normal truncated at 2 sigma has P(|x| < sigma) = 0.6827 / 0.9545 = 0.7152
    assert np.mean(np.abs(w) < sigma) == pytest.approx(0.7152, abs=0.01)


def test_untruncated_normal_and_modes():
    rng = rng_for("modes")
    w = variance_scaling((400, 100), rng=rng, scale=3.0, mode="fan_out",
                         distribution="untruncated_normal")
    assert w.std() == pytest.approx(math.sqrt(3.0 / 100), rel=0.02)
    assert np.abs(w).max() > 3.5 * math.sqrt(3.0 / 100)  # tails kept
    w = variance_scaling((400, 100), rng=rng, mode="fan_avg", distribution="uniform")
    assert np.abs(w).max() <= math.sqrt(3.0 / 250)


@given(st.sampled_from(["glorot_uniform", "glorot_normal", "he_uniform", "he_normal"]),
       st.lists(st.integers(0, 6), max_size=4).map(tuple), st.integers(0, 2**32 - 1))
def test_reproducible_with_a_seeded_generator(name, shape, seed):
    initializer = get_initializer(name)
    first = initializer(shape, rng=np.random.default_rng(seed))
    second = initializer(shape, rng=np.random.default_rng(seed))
    np.testing.assert_array_equal(first, second)
    assert first.shape == shape and first.dtype == np.float32
    # float64 draws are the same numbers before the cast
    double = initializer(shape, np.float64, np.random.default_rng(seed))
    np.testing.assert_array_equal(double.astype(np.float32), first)
    if first.size >= 4:
        other = initializer(shape, rng=np.random.default_rng(seed + 1))
        assert not np.array_equal(first, other)


def test_generator_state_advances_between_calls():
    rng = np.random.default_rng(0)
    assert not np.array_equal(init.he_normal((4, 4), rng=rng), init.he_normal((4, 4), rng=rng))
    assert init.glorot_uniform((3, 2)).shape == (3, 2)  # rng=None: fresh randomness


def test_zeros_and_ones():
    np.testing.assert_array_equal(init.zeros((2, 3)), np.zeros((2, 3), np.float32))
    assert init.zeros(4).dtype == np.float32
    np.testing.assert_array_equal(init.ones(3, np.float64), np.ones(3))
    assert init.ones(3, np.float64).dtype == np.float64


def test_get_initializer():
    assert get_initializer("glorot_uniform") is init.glorot_uniform
    assert get_initializer("HeUniform") is init.he_uniform
    assert get_initializer("zeros") is init.zeros

    def custom(shape, dtype=np.float32, rng=None):
        return np.full(shape, 0.5, dtype)

    assert get_initializer(custom) is custom
    with pytest.raises(ValueError, match="'glorot_uniform', 'glorot_normal', 'he_uniform'"):
        get_initializer("lecun_normal")
    with pytest.raises(TypeError, match="initializer"):
        get_initializer(3)


def test_initializer_errors():
    with pytest.raises(TypeError, match="dtype"):
        init.he_normal((2, 2), dtype=np.int32)
    with pytest.raises(TypeError, match="rng"):
        init.he_normal((2, 2), rng=0)
    with pytest.raises(TypeError, match="shape"):
        init.glorot_uniform((2.5, 2))
    with pytest.raises(ValueError, match="shape"):
        init.zeros((-1, 2))
    with pytest.raises(ValueError, match="mode"):
        variance_scaling((2, 2), mode="fan")
    with pytest.raises(ValueError, match="distribution"):
        variance_scaling((2, 2), distribution="normal")
    with pytest.raises(ValueError, match="scale"):
        variance_scaling((2, 2), scale=0.0)


# -- regularizers --------------------------------------------------------------------------


def central_difference(f, x, h=1e-6):
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


def test_regularizer_values_hand_computed():
    w = np.array([[3.0, -4.0]])
    assert L2(0.01)(w) == pytest.approx(0.25, rel=1e-15)         # 0.01 * 25, no 1/2
    assert L1(0.5)(w) == pytest.approx(3.5, rel=1e-15)
    assert L1L2(l1=0.5, l2=0.01)(w) == pytest.approx(3.75, rel=1e-15)
    assert L1L2()(w) == 0.0
    np.testing.assert_allclose(L2(0.01).gradient(w), [[0.06, -0.08]], rtol=1e-15)
    np.testing.assert_array_equal(L1(0.5).gradient(w), [[0.5, -0.5]])
    np.testing.assert_array_equal(L1(0.5).gradient([0.0, -0.0]), [0.0, 0.0])  # sign(0) = 0


@given(st.floats(0, 2), st.floats(0, 2), st.lists(st.integers(1, 5), max_size=3),
       st.sampled_from([np.float32, np.float64]), st.integers(0, 2**31))
def test_regularizer_values_and_gradients(l1, l2, shape, dtype, seed):
    rng = rng_for("regularizer", seed)
    # entries away from 0 so that the L1 kink is not inside the finite-difference step
    w = rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    regularizer = L1L2(l1=l1, l2=l2)
    single = w.astype(dtype)
    expected = l1 * np.sum(np.abs(w)) + l2 * np.sum(w**2)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    assert regularizer(single) == pytest.approx(expected, rel=rtol, abs=1e-12)
    grad = regularizer.gradient(single)
    assert grad.dtype == dtype and grad.shape == w.shape
    np.testing.assert_allclose(grad, l1 * np.sign(w) + 2 * l2 * w, rtol=rtol, atol=1e-30)
    numeric = central_difference(regularizer, w)
    analytic = regularizer.gradient(w)
    error = np.linalg.norm(analytic - numeric) / max(np.linalg.norm(numeric), 1e-12)
    assert error < 1e-6 or np.linalg.norm(numeric) < 1e-9


def test_regularizer_aliases_defaults_and_configs():
    assert reg.l1 is L1 and reg.l2 is L2 and reg.l1_l2 is L1L2
    assert L1().l1 == 0.01 and L2().l2 == 0.01
    assert L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert L1(0.3).get_config() == {"l1": 0.3}
    assert L2(0.2).get_config() == {"l2": 0.2}
    for regularizer in (L1(0.3), L2(0.2), L1L2(0.1, 0.4)):
        config = regularizer.get_config()
        again = type(regularizer).from_config(config)
        assert type(again) is type(regularizer) and again.get_config() == config
        w = np.array([1.0, -2.0])
        assert again(w) == regularizer(w)
    assert repr(L2(0.5)) == "L2(l2=0.5)"


def test_get_regularizer():
    assert get_regularizer(None) is None
    assert isinstance(get_regularizer("l2"), L2)
    assert isinstance(get_regularizer("L1"), L1)
    assert isinstance(get_regularizer("l1_l2"), L1L2)
    assert isinstance(get_regularizer("L1L2"), L1L2)
    instance = L2(0.001)
    assert get_regularizer(instance) is instance
    assert isinstance(instance, Regularizer)
    with pytest.raises(ValueError, match="'l1', 'l2', 'l1_l2'"):
        get_regularizer("l3")
    with pytest.raises(TypeError, match="regularizer"):
        get_regularizer(L2)
    with pytest.raises(TypeError, match="regularizer"):
        get_regularizer(0.01)


@pytest.mark.parametrize(("make", "name"), [
    (lambda: L2(-0.01), "l2"),
    (lambda: L1(math.nan), "l1"),
    (lambda: L1L2(l1=0.1, l2=math.inf), "l2"),
    (lambda: L1L2(l1=-1.0), "l1"),
])
def test_regularizer_bad_factors(make, name):
    with pytest.raises(ValueError, match=f"^{name} must be a finite number >= 0"):
        make()


def test_regularizer_non_numeric_factor():
    with pytest.raises(TypeError, match="l2"):
        L2("0.01")


def test_regularizer_integer_weights_compute_in_float64():
    assert L2(0.5).gradient(np.array([1, 2])).dtype == np.float64
    assert L2(0.5)(np.array([1, 2])) == 2.5
