"""Fourier series, the driven damped oscillator and circular convolution (sigconv.fourier).

Analytic coefficients against quadrature, synthesis against a direct NumPy sum, Parseval,
Gibbs, the superposed steady state against an ODE integration, and the convolution
theorem's circular form against its definition.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import lengths, random_array, rng_for

import sigconv as sc
from sigconv import DrivenOscillator, FourierSeries

# the synthesis and quadrature kernels run in every test: CI reruns them bounds-checked
pytestmark = pytest.mark.kernel

EPS = np.finfo(np.float64).eps
GIBBS = 0.08948987  # (1/pi) Si(pi) - 1/2


def direct_series(f, g, period, t):
    """``f0/2 + sum f_n cos(n w t) + g_n sin(n w t)`` by an outer product."""
    t = np.asarray(t, dtype=np.float64)
    n = np.arange(1, len(f))
    x = np.multiply.outer(t, n * (2 * np.pi / period))
    return f[0] / 2 + (np.cos(x) * f[1:]).sum(axis=-1) + (np.sin(x) * g[1:]).sum(axis=-1)


def random_series(rng, n_terms, period):
    f = rng.standard_normal(n_terms)
    g = rng.standard_normal(n_terms)
    g[0] = 0.0
    return FourierSeries(f, g, period)


def square_quadrature_bound(amplitude, period, width, n, n_quad):
    """Rectangle-rule error bound for ``(2/T) int F 1_{|t|<W/2} cos(n w t) dt``.

    The integrand is ``F cos`` (Lipschitz constant ``F n w``) on ``[-W/2, W/2]`` and 0
    elsewhere: the grid-aligned part errs by at most ``W (F n w) h / 2``, each of the two
    partial cells at the jumps by at most ``F h``. Times ``2/T`` with ``h = T / n_quad``.
    """
    h = period / n_quad
    omega = 2 * np.pi / period
    return 2 / period * (2 * amplitude * h + width * amplitude * n * omega * h / 2)


# -- waves ---------------------------------------------------------------------------------


def test_square_wave_lecture_values():
    t = [0.0, 0.04, -0.04, 0.06, -0.06, 0.1, 0.2, -0.2, 0.24, 0.26]
    expected = [2, 2, 2, 0, 0, 0, 2, 2, 2, 0]
    np.testing.assert_array_equal(sc.square_wave(t, 0.2, width=0.1, amplitude=2.0), expected)


@given(st.floats(0.1, 10.0), st.floats(0.05, 0.95), st.floats(-5.0, 5.0),
       st.integers(0, 2**31))
def test_square_wave_width_duty_centre_periodicity(period, duty, amplitude, seed):
    rng = rng_for("square", seed)
    t = rng.uniform(-3 * period, 3 * period, 200)
    by_width = sc.square_wave(t, period, width=duty * period, amplitude=amplitude)
    by_duty = sc.square_wave(t, period, duty=duty, amplitude=amplitude)
    np.testing.assert_array_equal(by_width, by_duty)
    # centred on 0: even in t
    np.testing.assert_array_equal(sc.square_wave(-t, period, duty=duty, amplitude=amplitude),
                                  by_duty)
    # value from the definition away from the edges
    phase = t - period * np.round(t / period)
    clear = np.abs(np.abs(phase) - duty * period / 2) > 1e-9 * period
    expected = np.where(np.abs(phase) < duty * period / 2, amplitude, 0.0)
    np.testing.assert_array_equal(by_duty[clear], expected[clear])
    # periodic (away from edges where rounding of t + k T could flip the comparison)
    shifted = sc.square_wave(t[clear] + 2 * period, period, duty=duty, amplitude=amplitude)
    np.testing.assert_array_equal(shifted, by_duty[clear])
    assert sc.square_wave(0.0, period, duty=duty, amplitude=amplitude) == amplitude


def test_square_wave_full_duty_is_constant():
    # duty = 1 (width == period) is documented as allowed: the pulse fills the period,
    # so the wave is the constant ``amplitude`` everywhere -- including t = +-T/2.
    t = np.array([-0.5, -0.25, 0.0, 0.25, 0.5, 1.5])
    np.testing.assert_array_equal(sc.square_wave(t, 1.0, duty=1.0, amplitude=3.0),
                                  np.full(t.shape, 3.0))


def test_sawtooth_and_triangle_known_points():
    t = np.array([-0.5, -0.25, 0.0, 0.25, 0.4, 0.75, 1.0])
    np.testing.assert_allclose(sc.sawtooth_wave(t, 1.0, amplitude=2.0),
                               [-2.0, -1.0, 0.0, 1.0, 1.6, -1.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(sc.triangle_wave(t, 1.0, amplitude=2.0),
                               [-2.0, 0.0, 2.0, 0.0, -1.2, 0.0, 2.0], atol=1e-15)
    np.testing.assert_allclose(sc.triangle_wave(t * 3, 3.0), sc.triangle_wave(t, 1.0),
                               atol=1e-15)


@given(st.floats(0.1, 10.0), st.integers(-5, 5), st.integers(0, 2**31))
def test_sawtooth_triangle_periodic(period, k, seed):
    t = rng_for("saw", seed).uniform(-0.49 * period, 0.49 * period, 100)
    for wave in (sc.sawtooth_wave, sc.triangle_wave):
        np.testing.assert_allclose(wave(t + k * period, period), wave(t, period),
                                   atol=1e-12 * (1 + abs(k)))
    np.testing.assert_allclose(sc.sawtooth_wave(t, period), 2 * t / period, atol=1e-12)
    np.testing.assert_allclose(sc.triangle_wave(t, period), 1 - 4 * np.abs(t) / period,
                               atol=1e-12)


# -- coefficients ------------------------------------------------------------------------


def check_square_coefficients(period, width, amplitude, n_terms, n_quad=2**16):
    series = FourierSeries.square_wave(period, width, amplitude, n_terms=n_terms)
    f, g = sc.fourier_coefficients(lambda t: sc.square_wave(t, period, width, amplitude),
                                   period, n_terms, n_quad=n_quad)
    n = np.arange(n_terms)
    bound = square_quadrature_bound(abs(amplitude), period, width, n, n_quad)
    assert np.all(np.abs(f - series.f) <= bound)
    assert np.all(np.abs(g) <= bound)
    assert g[0] == 0.0
    np.testing.assert_array_equal(series.g, 0.0)
    # the analytic formulas themselves
    assert series.f[0] == pytest.approx(2 * amplitude * width / period, rel=1e-14)
    expected = 2 * amplitude / (n[1:] * np.pi) * np.sin(n[1:] * np.pi * width / period)
    np.testing.assert_allclose(series.f[1:], expected, rtol=1e-13, atol=1e-15)


def test_square_coefficients_lecture():
    check_square_coefficients(0.2, 0.1, 2.0, 50)
    series = FourierSeries.square_wave(0.2, 0.1, 2.0, n_terms=6)
    # f0 = 2, f1 = 4/pi, f2 = 0, f3 = -4/(3 pi)
    np.testing.assert_allclose(series.f[:4], [2.0, 4 / np.pi, 0.0, -4 / (3 * np.pi)],
                               atol=1e-15)


@settings(max_examples=15)
@given(st.floats(0.05, 20.0), st.floats(0.02, 1.0), st.floats(-5.0, 5.0).filter(
    lambda a: abs(a) > 1e-3))
def test_square_coefficients_match_quadrature(period, duty, amplitude):
    check_square_coefficients(period, duty * period, amplitude, 30)


@pytest.mark.parametrize("n_terms", [1, 2, 17, 64, 65, 100])
def test_coefficients_of_a_known_series_are_exact(n_terms):
    rng = rng_for("eq6", n_terms)
    period = 1.7
    series = random_series(rng, n_terms, period)
    for n_quad in (2 * n_terms, 2 * n_terms + 1, 4096):
        grid = -period / 2 + np.arange(n_quad) * (period / n_quad)
        f, g = sc.fourier_coefficients(series(grid), period, n_terms)
        scale = np.abs(series.f).sum() + np.abs(series.g).sum()
        np.testing.assert_allclose(f, series.f, rtol=0, atol=1e-13 * scale)
        np.testing.assert_allclose(g, series.g, rtol=0, atol=1e-13 * scale)
        assert g[0] == 0.0
        # a callable gives the same as its samples on the same grid
        fc, gc = sc.fourier_coefficients(series, period, n_terms, n_quad=n_quad)
        np.testing.assert_allclose(fc, f, rtol=0, atol=1e-14 * scale)
        np.testing.assert_allclose(gc, g, rtol=0, atol=1e-14 * scale)
    again = FourierSeries.from_function(series, period, n_terms)
    np.testing.assert_allclose(again.f, series.f, atol=1e-12 * scale)


def test_coefficients_callable_equals_samples_for_nonsmooth():
    period, n_quad = 0.2, 1000
    grid = -period / 2 + np.arange(n_quad) * (period / n_quad)

    def wave(t):
        return sc.square_wave(t, period, 0.1, 2.0) + sc.sawtooth_wave(t, period)

    f1, g1 = sc.fourier_coefficients(wave, period, 40, n_quad=n_quad)
    f2, g2 = sc.fourier_coefficients(wave(grid), period, 40)
    np.testing.assert_allclose(f1, f2, atol=1e-14)
    np.testing.assert_allclose(g1, g2, atol=1e-14)
    # sawtooth: g_n = 2 (-1)^{n+1} / (n pi) -- odd, so f_n ~ 0 apart from the square wave
    n = np.arange(1, 10)
    np.testing.assert_allclose(g1[1:10], 2 * (-1.0) ** (n + 1) / (n * np.pi), atol=5e-3)


# -- synthesis -----------------------------------------------------------------------------


@pytest.mark.kernel
@pytest.mark.parametrize("n_terms", [1, 2, 63, 64, 65, 129, 200])
@pytest.mark.parametrize("shape", [(1,), (), (7, 90), (1500,)])
def test_synthesis_matches_direct_sum(n_terms, shape):
    rng = rng_for("synth", n_terms, shape)
    period = 0.37
    series = random_series(rng, n_terms, period)
    t = rng.uniform(-20 * period, 20 * period, shape)
    values = series(t)
    assert values.shape == np.shape(t)
    scale = np.abs(series.f).sum() + np.abs(series.g).sum()
    np.testing.assert_allclose(values, direct_series(series.f, series.g, period, t),
                               rtol=0, atol=1e-12 * scale)


@pytest.mark.kernel
@pytest.mark.parametrize("n_terms", [63, 64, 65, 200])
def test_synthesis_large_and_negative_times(n_terms):
    rng = rng_for("synth-large", n_terms)
    period = 0.2
    series = random_series(rng, n_terms, period)
    t = np.concatenate([rng.uniform(-1e4, -1e3, 600), rng.uniform(1e3, 1e4, 600)])
    scale = np.abs(series.f).sum() + np.abs(series.g).sum()
    # the arguments n w t (up to ~6e7) are only known to ~eps * n w |t|: the recurrence
    # and the direct sum round them differently, so the tolerance grows with them
    argument = n_terms * series.omega * np.abs(t).max()
    atol = scale * (1e-12 + 4 * EPS * argument)
    np.testing.assert_allclose(series(t), direct_series(series.f, series.g, period, t),
                               rtol=0, atol=atol)


def test_series_docstring_values_and_period():
    series = FourierSeries([2.0, 1.0], [7.0, 0.5], period=2 * np.pi)
    assert series.g[0] == 0.0
    np.testing.assert_allclose(series([0.0, np.pi / 2, np.pi]), [2.0, 1.5, 0.0], atol=1e-15)
    t = np.linspace(-3, 3, 11)
    np.testing.assert_allclose(series(t + 2 * np.pi), series(t), atol=1e-13)


# -- convergence, Gibbs, Parseval ----------------------------------------------------------


def test_square_partial_sums_converge_in_l2():
    period, width, amplitude = 0.2, 0.1, 2.0
    t = -period / 2 + (np.arange(2**16) + 0.5) * (period / 2**16)
    wave = sc.square_wave(t, period, width, amplitude)
    full = FourierSeries.square_wave(period, width, amplitude, n_terms=640)
    errors = []
    for n in (10, 40, 160, 640):
        partial = full.truncate(n)
        errors.append(math.sqrt(np.mean((partial(t) - wave) ** 2)))
    assert all(b < 0.6 * a for a, b in zip(errors, errors[1:], strict=False))
    # the L2 error squared is the power in the dropped harmonics, ~ 1/n
    assert errors[-1] < 0.05 * amplitude


@pytest.mark.parametrize("n_terms", [200, 400, 1000])
@pytest.mark.parametrize("duty", [0.5, 0.3])
def test_gibbs_overshoot(n_terms, duty):
    series = FourierSeries.square_wave(0.2, duty * 0.2, 2.0, n_terms=n_terms)
    assert series.gibbs_overshoot() == pytest.approx(GIBBS, abs=0.002)


@pytest.mark.parametrize("n_terms", [1, 5, 64, 130])
def test_parseval_power_equals_mean_square(n_terms):
    series = random_series(rng_for("parseval", n_terms), n_terms, 3.0)
    n_grid = 2 * n_terms + 1
    t = -1.5 + np.arange(n_grid) * (3.0 / n_grid)  # exact for degree < n_grid
    assert series.power() == pytest.approx(np.mean(series(t) ** 2), rel=1e-12)


def test_square_wave_power_approaches_mean_square():
    period, width, amplitude = 0.2, 0.1, 2.0
    exact = amplitude**2 * width / period
    previous = -np.inf
    for n in (10, 100, 1000, 10000):
        power = FourierSeries.square_wave(period, width, amplitude, n_terms=n).power()
        # the dropped harmonics hold sum_{m >= n} f_m^2 / 2 <= 2 F^2 / (pi^2 (n - 1))
        assert 0 <= exact - power <= 2 * amplitude**2 / (np.pi**2 * (n - 1)) + 1e-12
        assert power > previous
        previous = power
    assert previous == pytest.approx(exact, rel=1e-4)


# -- truncate and arithmetic ---------------------------------------------------------------


def test_truncate_and_arithmetic():
    rng = rng_for("arith")
    a = random_series(rng, 12, 0.5)
    b = random_series(rng, 70, 0.5)
    t = rng.uniform(-2, 2, (5, 40))
    part = b.truncate(7)
    assert part.n_terms == 7
    np.testing.assert_array_equal(part.f, b.f[:7])
    np.testing.assert_array_equal(part.g, b.g[:7])
    assert b.truncate(70).n_terms == 70
    scale = 1e-12 * (np.abs(a.f).sum() + np.abs(b.f).sum() + np.abs(a.g).sum()
                     + np.abs(b.g).sum())
    for total in (a + b, b + a):
        assert total.n_terms == 70
        np.testing.assert_allclose(total(t), a(t) + b(t), atol=scale)
    np.testing.assert_allclose((a - b)(t), a(t) - b(t), atol=scale)
    np.testing.assert_allclose((b - a)(t), b(t) - a(t), atol=scale)
    np.testing.assert_allclose((-a)(t), -a(t), atol=scale)
    np.testing.assert_allclose((2.5 * a)(t), 2.5 * a(t), atol=scale)
    np.testing.assert_allclose((a * -3)(t), -3 * a(t), atol=scale)
    np.testing.assert_allclose((np.float64(0.5) * b)(t), 0.5 * b(t), atol=scale)
    with pytest.raises(ValueError, match="different periods"):
        a + random_series(rng, 12, 0.6)
    with pytest.raises(ValueError, match="different periods"):
        a - random_series(rng, 3, 1.0)
    with pytest.raises(TypeError):
        a + 1.0
    with pytest.raises(ValueError, match="n_terms"):
        a.truncate(13)
    with pytest.raises(ValueError, match="n_terms"):
        a.truncate(0)


# -- driven oscillator ---------------------------------------------------------------------


def test_transfer_and_resonance_frequency():
    osc = DrivenOscillator(mass=2.0, damping=0.3, stiffness=8.0)
    w = np.linspace(0, 10, 41)
    np.testing.assert_allclose(osc.transfer(w), 1 / (8.0 - 2.0 * w**2 + 0.3j * w),
                               rtol=1e-14)
    assert osc.omega0 == 2.0
    assert osc.beta == pytest.approx(0.075)
    assert osc.resonance_frequency() == pytest.approx(math.sqrt(4 - 2 * 0.075**2), rel=1e-14)
    # the amplitude |H| peaks at the resonance frequency
    fine = np.linspace(1.5, 2.5, 200001)
    peak = fine[np.argmax(np.abs(osc.transfer(fine)))]
    assert peak == pytest.approx(osc.resonance_frequency(), abs=1e-5)
    heavy = DrivenOscillator(mass=1.0, damping=3.0, stiffness=1.0)  # 2 beta^2 = 4.5 > 1
    assert heavy.resonance_frequency() == 0.0
    undamped = DrivenOscillator(1.0, 0.0, 4.0)
    assert undamped.resonance_frequency() == 2.0
    with pytest.raises(ValueError, match="resonance"):
        undamped.transfer([1.0, 2.0])


def steady_vs_simulate(osc, forcing):
    """Simulate from rest until the transients are < 1e-10 and compare the last two periods.

    The free solutions decay like exp(-rate t) with rate = beta when underdamped, but only
    beta - sqrt(beta^2 - w0^2) when overdamped (the slow root), and t exp(-beta t) when
    critically damped; exp(-27) ~ 2e-12 leaves room for that polynomial factor.
    """
    rate = osc.beta - math.sqrt(max(osc.beta**2 - osc.omega0**2, 0.0))
    t_end = 27.0 / rate + 2 * forcing.period
    t = np.linspace(0.0, t_end, 4001)
    # the integrator gets the force by the direct NumPy sum (independent of the kernel, and
    # cheaper per scalar call than a parallel kernel launch)
    def force(time):
        return direct_series(forcing.f, forcing.g, forcing.period, time)

    simulated = osc.simulate(force, t, rtol=1e-11, atol=1e-13)
    tail = t > t_end - 2 * forcing.period
    steady = osc.steady_state(forcing, t[tail])
    scale = np.abs(steady).max()
    assert scale > 0
    np.testing.assert_allclose(simulated[tail], steady, rtol=0, atol=1e-6 * scale)


@pytest.mark.full
@pytest.mark.parametrize("damping", [0.8, 2.0, 6.0, 9.0])  # w0 = 3: under, critical, over
def test_steady_state_square_wave_matches_simulation(damping):
    osc = DrivenOscillator(mass=1.0, damping=damping, stiffness=9.0)
    steady_vs_simulate(osc, FourierSeries.square_wave(2.0, 1.0, 2.0, n_terms=12))


def test_steady_state_random_smooth_series_matches_simulation():
    rng = rng_for("smooth")
    f = rng.standard_normal(8) / (1 + np.arange(8)) ** 2
    g = rng.standard_normal(8) / (1 + np.arange(8)) ** 2
    osc = DrivenOscillator(mass=0.5, damping=1.0, stiffness=4.0)  # near resonance of n=1
    steady_vs_simulate(osc, FourierSeries(f, g, period=math.pi))


@settings(max_examples=8)
@given(st.floats(1.5, 4.0), st.floats(0.3, 0.9), st.floats(0.5, 3.0), st.floats(0.5, 2.0),
       st.floats(1.5, 5.0), st.floats(0.4, 1.3))
def test_steady_state_matches_simulation_hypothesis(period, duty, amplitude, mass, omega0,
                                                    zeta):
    # zeta = beta / omega0: under-, critically and over-damped; beta >= 0.36 keeps it short
    osc = DrivenOscillator(mass=mass, damping=2 * mass * zeta * omega0,
                           stiffness=mass * omega0**2)
    forcing = FourierSeries.square_wave(period, duty * period, amplitude, n_terms=6)
    steady_vs_simulate(osc, forcing)


@pytest.mark.parametrize(("n", "damping"), [(1, 0.5), (3, 0.5), (2, 0.05), (5, 4.0), (1, 0.0)])
def test_single_harmonic_amplitude_and_phase(n, damping):
    mass, stiffness, period, fn = 1.5, 20.0, 2.0, 0.7
    f = np.zeros(n + 1)
    f[n] = fn
    forcing = FourierSeries(f, np.zeros(n + 1), period)
    osc = DrivenOscillator(mass, damping, stiffness)
    w = n * forcing.omega
    t = np.linspace(0, period, 512, endpoint=False)
    x = osc.steady_state(forcing, t)
    design = np.column_stack([np.cos(w * t), np.sin(w * t)])
    (a, b), *_ = np.linalg.lstsq(design, x, rcond=None)
    np.testing.assert_allclose(design @ [a, b], x, atol=1e-13)
    w0sq, beta = stiffness / mass, damping / (2 * mass)
    amplitude = (fn / mass) / math.sqrt((w0sq - w**2) ** 2 + 4 * beta**2 * w**2)
    assert math.hypot(a, b) == pytest.approx(amplitude, rel=1e-12)
    delta = math.atan2(2 * beta * w, w0sq - w**2)
    assert math.atan2(b, a) == pytest.approx(delta, abs=1e-12)


def test_steady_state_constant_force():
    osc = DrivenOscillator(2.0, 1.0, 5.0)
    x = osc.steady_state(FourierSeries([3.0], [0.0], 1.0), [0.0, 0.3, 7.0])
    np.testing.assert_allclose(x, 3.0 / (2 * 5.0), rtol=1e-15)


def test_undamped_resonance_raises_and_off_resonance_works():
    forcing = FourierSeries([0.0, 1.0, 0.0, 0.5], [0.0, 0.0, 0.2, 0.0], period=1.0)
    w = forcing.omega
    on = DrivenOscillator(mass=1.0, damping=0.0, stiffness=(3 * w) ** 2)
    with pytest.raises(ValueError, match="harmonic 3 .* natural frequency"):
        on.steady_state(forcing, [0.0, 0.1])
    # a harmonic at omega0 with zero coefficient is not excited: fine
    quiet = FourierSeries([0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.2, 0.0], period=1.0)
    t = np.linspace(-1, 1, 9)
    x = on.steady_state(quiet, t)
    k = (3 * w) ** 2
    expected = np.cos(w * t) / (k - w**2) + 0.2 * np.sin(2 * w * t) / (k - 4 * w**2)
    np.testing.assert_allclose(x, expected, rtol=1e-12, atol=1e-15)
    off = DrivenOscillator(mass=2.0, damping=0.0, stiffness=2.0 * (2.5 * w) ** 2)
    x = off.steady_state(forcing, t)
    expected = sum(c * trig(m * w * t) / (2.0 * ((2.5 * w) ** 2 - (m * w) ** 2))
                   for c, trig, m in [(1.0, np.cos, 1), (0.2, np.sin, 2), (0.5, np.cos, 3)])
    np.testing.assert_allclose(x, expected, rtol=1e-12, atol=1e-15)


# -- circular convolution ------------------------------------------------------------------


def circular_definition(a, b):
    n = len(a)
    return np.array([sum(a[k] * b[(i - k) % n] for k in range(n)) for i in range(n)])


@given(lengths(40), st.sampled_from([np.float64, np.complex128, np.int32]),
       st.integers(0, 2**31))
def test_circular_convolve_definition(n, dtype, seed):
    rng = rng_for("circ", n, seed)
    a = random_array(rng, n, dtype)
    b = random_array(rng, n, np.float64)
    result = sc.circular_convolve(a, b)
    expected = circular_definition(a.astype(np.complex128), b.astype(np.complex128))
    if np.dtype(dtype).kind == "c":
        assert np.iscomplexobj(result)
    else:
        assert result.dtype == np.float64
        expected = expected.real
    atol = 1e-12 * np.abs(a).sum() * np.abs(b).max()
    np.testing.assert_allclose(result, expected, rtol=0, atol=atol + 1e-300)


@given(lengths(40), lengths(40), st.booleans(), st.integers(0, 2**31))
def test_zero_padded_circular_is_linear(n, m, complex_, seed):
    rng = rng_for("pad", n, m, seed)
    dtype = np.complex128 if complex_ else np.float64
    a = random_array(rng, n, dtype)
    b = random_array(rng, m, np.float64)
    size = n + m - 1
    padded = sc.circular_convolve(np.pad(a, (0, size - n)), np.pad(b, (0, size - m)))
    atol = 1e-12 * np.abs(a).sum() * np.abs(b).max()
    np.testing.assert_allclose(padded, sc.convolve(a, b), rtol=0, atol=atol + 1e-300)


def test_circular_convolve_docstring_shift():
    np.testing.assert_allclose(sc.circular_convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.0]),
                               [3.0, 1.0, 2.0], atol=1e-15)


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("period", [0.0, -1.0, np.nan, np.inf])
def test_bad_period(period):
    with pytest.raises(ValueError, match="period"):
        sc.square_wave(0.0, period, width=0.1)
    with pytest.raises(ValueError, match="period"):
        sc.sawtooth_wave(0.0, period)
    with pytest.raises(ValueError, match="period"):
        sc.triangle_wave(0.0, period)
    with pytest.raises(ValueError, match="period"):
        sc.fourier_coefficients(np.cos, period, 3)
    with pytest.raises(ValueError, match="period"):
        FourierSeries([1.0], [0.0], period)
    with pytest.raises(ValueError, match="period"):
        FourierSeries.square_wave(period, 0.1)


def test_bad_wave_arguments():
    with pytest.raises(ValueError, match="width"):
        sc.square_wave(0.0, 1.0, width=0.0)
    with pytest.raises(ValueError, match="width"):
        sc.square_wave(0.0, 1.0, width=-0.5)
    with pytest.raises(ValueError, match="width .* must not exceed period"):
        sc.square_wave(0.0, 1.0, width=1.5)
    with pytest.raises(ValueError, match="width .* must not exceed period"):
        FourierSeries.square_wave(1.0, 1.5)
    with pytest.raises(ValueError, match="exactly one of width and duty"):
        sc.square_wave(0.0, 1.0, width=0.5, duty=0.5)
    with pytest.raises(ValueError, match="exactly one of width and duty"):
        sc.square_wave(0.0, 1.0)
    with pytest.raises(ValueError, match="duty"):
        sc.square_wave(0.0, 1.0, duty=1.5)
    with pytest.raises(ValueError, match="duty"):
        sc.square_wave(0.0, 1.0, duty=0.0)
    with pytest.raises(ValueError, match="t must be finite"):
        sc.square_wave([0.0, np.nan], 1.0, width=0.5)
    with pytest.raises(ValueError, match="t must be finite"):
        sc.triangle_wave([np.inf], 1.0)


def test_bad_series_arguments():
    series = FourierSeries([1.0, 2.0], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="t must be finite"):
        series([0.0, np.nan])
    with pytest.raises(ValueError, match="f and g"):
        FourierSeries([1.0, 2.0], [0.0], 1.0)
    with pytest.raises(ValueError, match="f and g"):
        FourierSeries([], [], 1.0)
    with pytest.raises(ValueError, match="n_terms"):
        FourierSeries.square_wave(1.0, 0.5, n_terms=0)
    with pytest.raises(ValueError, match="n_terms"):
        sc.fourier_coefficients(np.cos, 1.0, 0)
    with pytest.raises(ValueError, match="n_terms"):
        sc.fourier_coefficients(np.ones(5), 1.0, 3)  # fewer than 2 * n_terms samples
    with pytest.raises(ValueError, match="func"):
        sc.fourier_coefficients(np.array([1.0, np.nan, 0.0, 0.0]), 1.0, 1)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"mass": 0.0, "damping": 1.0, "stiffness": 1.0}, "mass"),
    ({"mass": -1.0, "damping": 1.0, "stiffness": 1.0}, "mass"),
    ({"mass": 1.0, "damping": 1.0, "stiffness": 0.0}, "stiffness"),
    ({"mass": 1.0, "damping": 1.0, "stiffness": -2.0}, "stiffness"),
    ({"mass": 1.0, "damping": -0.1, "stiffness": 1.0}, "damping"),
    ({"mass": 1.0, "damping": np.nan, "stiffness": 1.0}, "damping"),
])
def test_bad_oscillator_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        DrivenOscillator(**kwargs)


def test_bad_forcing_and_circular_lengths():
    osc = DrivenOscillator(1.0, 0.5, 1.0)
    with pytest.raises(TypeError, match="forcing must be a FourierSeries"):
        osc.steady_state(np.cos, [0.0, 1.0])
    with pytest.raises(ValueError, match="a and b"):
        sc.circular_convolve([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="a and b"):
        sc.circular_convolve([], [])


def test_gibbs_overshoot_resolves_many_terms_and_refuses_a_constant():
    """The default grid follows the number of terms, so the narrow peak of 640 harmonics is
    not missed; a partial sum with no jump has no overshoot to measure."""
    series = FourierSeries.square_wave(1.0, 0.5, 1.0, 640)
    assert series.gibbs_overshoot() == pytest.approx(GIBBS, abs=2e-4)
    assert series.gibbs_overshoot(n_points=20001) < series.gibbs_overshoot()
    with pytest.raises(ValueError, match="no jump"):
        FourierSeries.square_wave(1.0, 0.5, 1.0, 640).truncate(1).gibbs_overshoot()


@settings(max_examples=20)
@given(st.integers(2, 200), st.data(), st.floats(0.01, 50.0), st.integers(0, 2**32 - 1))
def test_coefficients_by_fft_equal_the_quadrature_kernel(n_quad, data, period, seed):
    """The real FFT gives the rectangle rule's sums: the numba quadrature kernel that
    computed them before (O(n_terms * n_quad)) agrees to rounding."""
    from sigconv.kernels import cpu

    n_terms = data.draw(st.integers(1, n_quad // 2))
    samples = rng_for("fft-quadrature", seed).standard_normal(n_quad)
    f, g = sc.fourier_coefficients(samples, period, n_terms)
    f_old, g_old = np.empty(n_terms), np.empty(n_terms)
    cpu.fourier_projection(samples, -period / 2, period / n_quad, 2 * np.pi / period,
                           f_old, g_old)
    g_old[0] = 0.0
    atol = 1e-13 * (1 + np.abs(samples).max())
    np.testing.assert_allclose(f, f_old, rtol=0, atol=atol)
    np.testing.assert_allclose(g, g_old, rtol=0, atol=atol)


def test_series_on_a_whole_period_grid_by_fft_equals_the_direct_kernel():
    """A linspace over whole periods goes through one inverse FFT (harmonics folded onto
    the grid); the direct kernel at the same times agrees to rounding."""
    series = random_series(rng_for("grid-fft"), 3000, 0.2)
    for t in (np.linspace(0.0, 1.0, 2000), np.linspace(-0.1, 0.1, 1001),
              np.linspace(3.0, -2.0, 700)):
        assert series._uniform_grid(t) is not None
        scale = np.abs(series.f).sum() + np.abs(series.g).sum()
        np.testing.assert_allclose(series(t), series._direct(t), rtol=0, atol=1e-11 * scale)
        np.testing.assert_allclose(series(t), direct_series(series.f, series.g, 0.2, t),
                                   rtol=0, atol=1e-10 * scale)
