"""Hostile inputs for sigconv.fourier: every number of every public function and method fed
NaN, infinities, strings, booleans, None and absurd sizes (each a documented exception
naming the argument), awkward arrays of times and coefficients, sizes that used to hang
(a million coefficients, ten million harmonics, the CLI's million-term figure: checked in a
child process under a timeout) or to end in NumPy's own MemoryError, and the FFT paths
checked against naive quadrature and synthesis on small sizes."""

import math

import harness
import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import sigconv as sc
from sigconv import DrivenOscillator, FourierSeries
from sigconv import fourier as fourier_module

GIBBS = 0.0894898722  # (1/pi) Si(pi) - 1/2

FLOAT_TIMES = [np.int8, np.int32, np.int64, np.uint8, np.float16, np.float32, np.float64]


# ----------------------------------------------------------------------------- oracles


def naive_coefficients(samples, n_terms, period=1.0):
    """The rectangle rule of Eq. (6) written out: ``(2/M) sum_k s_k {cos, sin}(n w t_k)``."""
    samples = np.asarray(samples, dtype=np.float64)
    m = samples.size
    t = -period / 2 + np.arange(m) * (period / m)
    n = np.arange(n_terms)[:, None]
    angle = 2 * np.pi / period * n * t
    f = 2 / m * (np.cos(angle) * samples).sum(axis=1)
    g = 2 / m * (np.sin(angle) * samples).sum(axis=1)
    g[0] = 0.0
    return f, g


def naive_series(f, g, period, t):
    """``f0/2 + sum f_n cos(n w t) + g_n sin(n w t)``, the phase ``n w t`` reduced mod 2 pi
    through the time folded into one period."""
    t = np.fmod(np.asarray(t, dtype=np.float64), period)
    n = np.arange(1, len(f))
    x = np.multiply.outer(t, n * (2 * np.pi / period))
    return f[0] / 2 + (np.cos(x) * f[1:]).sum(axis=-1) + (np.sin(x) * g[1:]).sum(axis=-1)


def series_scale(f, g):
    return float(np.abs(f[0]) / 2 + np.abs(f[1:]).sum() + np.abs(g[1:]).sum())


# ------------------------------------------------------------- FFT paths against naive


@settings(max_examples=40)
@given(st.integers(2, 64), st.data(), st.floats(0.01, 100.0), st.integers(0, 2**32 - 1))
def test_coefficients_by_fft_equal_the_rectangle_rule(n_quad, data, period, seed):
    n_terms = data.draw(st.integers(1, n_quad // 2))
    samples = np.random.default_rng(seed).standard_normal(n_quad)
    f, g = sc.fourier_coefficients(samples, period, n_terms)
    expected_f, expected_g = naive_coefficients(samples, n_terms, period)
    atol = 1e-13 * (1 + np.abs(samples).sum() / n_quad)
    np.testing.assert_allclose(f, expected_f, rtol=0, atol=atol)
    np.testing.assert_allclose(g, expected_g, rtol=0, atol=atol)
    # a callable sampled on the same grid gives the same coefficients
    grid = -period / 2 + np.arange(n_quad) * (period / n_quad)
    lookup = dict(zip(grid.tolist(), samples.tolist(), strict=True))
    fc, gc = sc.fourier_coefficients(lambda t: np.array([lookup[x] for x in t.tolist()]),
                                     period, n_terms, n_quad=n_quad)
    np.testing.assert_array_equal(fc, f)
    np.testing.assert_array_equal(gc, g)


@pytest.mark.full
@settings(max_examples=30)
@given(st.integers(1100, 2000), st.integers(1, 40), st.integers(-7, 7).filter(bool),
       st.integers(1000, 1500), st.floats(-50.0, 50.0), st.floats(0.05, 20.0),
       st.integers(0, 2**32 - 1))
def test_series_on_a_commensurate_grid_by_inverse_fft_equals_the_sum(
        n_terms, grid, numerator, n_points, start, period, seed):
    """Times ``start + k p T / M`` (so that the FFT path runs: terms x points >= 2**20)
    against the naive sum."""
    rng = np.random.default_rng(seed)
    f, g = rng.standard_normal(n_terms), rng.standard_normal(n_terms)
    g[0] = 0.0
    series = FourierSeries(f, g, period)
    t = start + np.arange(n_points) * (numerator * period / grid)
    assert series._uniform_grid(t) is not None  # the FFT path is the one under test
    scale = series_scale(f, g)
    np.testing.assert_allclose(series(t), naive_series(f, g, period, t), rtol=0,
                               atol=1e-9 * scale * (1 + np.abs(t).max() / period))
    # off the grid (a jittered copy) the direct kernel gives the same within its rounding
    jitter = t + rng.uniform(-1e-3, 1e-3, t.size) * period
    assert series._uniform_grid(jitter) is None
    np.testing.assert_allclose(series(jitter), naive_series(f, g, period, jitter), rtol=0,
                               atol=1e-9 * scale * (1 + np.abs(t).max() / period))


@settings(max_examples=15)
@given(st.integers(2, 60), st.sampled_from([3, 4, 101, 1000, 4097]), st.floats(0.05, 0.95),
       st.floats(0.1, 10.0))
def test_gibbs_overshoot_on_a_given_grid_equals_the_naive_grid(n_terms, n_points, duty,
                                                              period):
    """The grid ``-T/2 + k T / (n_points - 1)`` by the inverse FFT (harmonics beyond the
    grid folded) equals the naive sum; the overshoot is the documented formula on it."""
    series = FourierSeries.square_wave(period, duty * period, 1.0, n_terms)
    t = np.linspace(-period / 2, period / 2, n_points)
    values = naive_series(series.f, series.g, period, t)
    np.testing.assert_allclose(series._grid_values(n_points - 1, -period / 2, "n_points"),
                               values[:-1], rtol=0, atol=1e-12 * n_terms)
    middle = 0.5 * (values.max() + values.min())
    # a value at the middle (within rounding) may fall on either side of it
    assume(np.ptp(values) > 1e-6 and np.abs(values - middle).min() > 1e-9)
    above, below = values[values >= middle], values[values < middle]
    top, bottom = np.median(above), np.median(below)
    got = series.gibbs_overshoot(n_points=n_points)
    on_grid = (values.max() - top) / (top - bottom)
    if n_terms <= 4 * (n_points - 1) < 32 * n_terms:
        # under 8 points per harmonic the peak is refined between the grid points: at
        # least the grid's maximum, at most the series' maximum (on a fine naive grid)
        fine = naive_series(series.f, series.g, period,
                            np.linspace(-period / 2, period / 2, 2048 * n_terms + 1))
        assert on_grid - 1e-9 <= got <= (fine.max() - top) / (top - bottom) + 1e-5
    else:
        assert got == pytest.approx(on_grid, abs=1e-9)


@pytest.mark.parametrize("n_terms", [50000, 300000])
def test_gibbs_overshoot_refined_beyond_the_default_grid(n_terms):
    """Past 2**21 / 64 terms the default grid stops growing and the peak is refined
    locally: the overshoot keeps the Gibbs limit (better than the old capped grid)."""
    for duty in (0.3, 0.5):
        series = FourierSeries.square_wave(1.0, duty, 1.0, n_terms)
        assert series.gibbs_overshoot() == pytest.approx(GIBBS, abs=2e-5)


# ------------------------------------------------------------ hangs and allocations


@pytest.mark.full
def test_a_million_coefficients_finish():
    report = harness.assert_isolated_finishes("""
import numpy as np, sigconv as sc
f, g = sc.fourier_coefficients(lambda t: sc.square_wave(t, 1.0, 0.5), 1.0, 10**6)
n = np.arange(1, 6)
result = float(np.max(np.abs(f[1:6] - 2 / (n * np.pi) * np.sin(n * np.pi / 2))))
""", timeout=120)
    assert float(report["value"]) < 1e-5


@pytest.mark.full
def test_gibbs_overshoot_of_ten_million_terms_finishes():
    report = harness.assert_isolated_finishes("""
import sigconv as sc
result = sc.FourierSeries.square_wave(1, .5, n_terms=10**7).gibbs_overshoot()
""", timeout=150, memory_gib=4.0)
    assert float(report["value"]) == pytest.approx(GIBBS, abs=1e-4)


@pytest.mark.full
def test_a_million_term_series_on_plot_and_gibbs_grids_finishes():
    """What ``sigconv fourier --terms 1000000`` evaluates: the partial sums on 2000 plot
    points over five periods and the overshoot on its own 1000001-point grid."""
    report = harness.assert_isolated_finishes("""
import numpy as np, sigconv as sc
series = sc.FourierSeries.square_wave(0.2, 0.1, 2.0, 10**6)
t = np.linspace(0.0, 1.0, 2000)
values = [series.truncate(n)(t) for n in (1, 5, 25, 125, 10**6)]
result = (series.gibbs_overshoot(n_points=1_000_001), series.gibbs_overshoot())
""", timeout=150)
    # one point per harmonic falls on the nodes of the ringing: refined, not 0
    on_given_grid, by_default = eval(report["value"])
    assert on_given_grid == pytest.approx(GIBBS, abs=1e-4)
    assert by_default == pytest.approx(GIBBS, abs=1e-4)


@pytest.mark.full
def test_cli_fourier_with_a_million_terms_finishes(tmp_path):
    out = tmp_path / "fourier.png"
    report = harness.assert_isolated_finishes(f"""
import contextlib, io
from sigconv.cli import main
printed = io.StringIO()
with contextlib.redirect_stdout(printed):
    main(["fourier", "--terms", "1000000", "--out", {str(out)!r}])
result = printed.getvalue()
""", timeout=240, memory_gib=4.0)
    assert out.exists()
    assert "Gibbs overshoot of the partial sum: 8.95%" in report["value"], report


def test_direct_synthesis_beyond_its_budget_is_refused_at_once():
    report = harness.assert_isolated_error("""
import numpy as np, sigconv as sc
series = sc.FourierSeries(np.ones(10**6), np.ones(10**6), 1.0)
series(np.random.default_rng(0).uniform(0, 1, 20000))
""", ("n_terms", "t.size"), kinds=("ValueError",), timeout=60)
    assert "uniform grid" in report["message"]


@pytest.mark.full
def test_simulate_over_millions_of_cycles_is_refused_at_once():
    harness.assert_isolated_error("""
import sigconv as sc
sc.DrivenOscillator(1.0, 0.1, 1.0).simulate(lambda t: t * 0.0, [0.0, 1e9])
""", "t spans", kinds=("ValueError",), timeout=60)
    harness.assert_isolated_error("""
import sigconv as sc
sc.DrivenOscillator(1.0, 1e9, 1.0).simulate(lambda t: t * 0.0, [0.0, 1.0])
""", "2 beta", kinds=("ValueError",), timeout=60)


@pytest.mark.full
@pytest.mark.parametrize(("code", "name"), [
    ("sc.fourier_coefficients(np.cos, 1.0, 10**9)", "n_terms"),
    ("sc.fourier_coefficients(np.cos, 1.0, 2**70)", "n_terms"),
    ("sc.fourier_coefficients(np.cos, 1.0, 3, n_quad=10**10)", "n_quad"),
    ("sc.FourierSeries.square_wave(1.0, 0.5, n_terms=10**9)", "n_terms"),
    ("sc.FourierSeries([1.0, 2.0], [0.0, 1.0], 1.0).gibbs_overshoot(n_points=10**10)",
     "n_points"),
])
def test_huge_sizes_are_refused_before_allocating(code, name):
    harness.assert_isolated_error(f"import numpy as np, sigconv as sc\n{code}\n", name,
                                  kinds=("MemoryError",), timeout=60)


# ----------------------------------------------------------------------- bad numbers


def _numeric_calls():
    series = FourierSeries([1.0, 2.0, 0.5], [0.0, 1.0, 0.25], 1.0)
    oscillator = DrivenOscillator(1.0, 0.5, 4.0)
    return {
        "period": [lambda v: sc.square_wave(0.0, v, width=0.1),
                   lambda v: sc.sawtooth_wave(0.0, v), lambda v: sc.triangle_wave(0.0, v),
                   lambda v: sc.fourier_coefficients(np.cos, v, 3),
                   lambda v: FourierSeries([1.0], [0.0], v),
                   lambda v: FourierSeries.square_wave(v, 0.1)],
        "width": [lambda v: sc.square_wave(0.0, 1.0, width=v),
                  lambda v: FourierSeries.square_wave(1.0, v)],
        "duty": [lambda v: sc.square_wave(0.0, 1.0, duty=v)],
        "amplitude": [lambda v: sc.square_wave(0.0, 1.0, 0.5, amplitude=v),
                      lambda v: sc.sawtooth_wave(0.0, 1.0, amplitude=v),
                      lambda v: sc.triangle_wave(0.0, 1.0, amplitude=v),
                      lambda v: FourierSeries.square_wave(1.0, 0.5, amplitude=v)],
        "mass": [lambda v: DrivenOscillator(v, 0.5, 1.0)],
        "damping": [lambda v: DrivenOscillator(1.0, v, 1.0)],
        "stiffness": [lambda v: DrivenOscillator(1.0, 0.5, v)],
        "x0": [lambda v: oscillator.simulate(series, [0.0, 0.1], x0=v)],
        "v0": [lambda v: oscillator.simulate(series, [0.0, 0.1], v0=v)],
        "rtol": [lambda v: oscillator.simulate(series, [0.0, 0.1], rtol=v)],
        "atol": [lambda v: oscillator.simulate(series, [0.0, 0.1], atol=v)],
        "scalar": [lambda v: series * v if isinstance(v, float) else series.__mul__(v)],
    }


NUMERIC_CALLS = _numeric_calls()


@pytest.mark.parametrize("name", NUMERIC_CALLS)
@pytest.mark.parametrize("value", harness.BAD_REALS, ids=repr)
def test_bad_reals_are_refused_naming_the_argument(name, value):
    for call in NUMERIC_CALLS[name]:
        if name == "scalar" and not isinstance(value, float):
            # the operator protocol: a non-real operand is not a scalar (Python's TypeError)
            assert call(value) is NotImplemented
            continue
        with pytest.raises((TypeError, ValueError)) as info:
            call(value)
        harness.check_error(info.value, name)


def _count_calls():
    series = FourierSeries([1.0, 2.0, 0.5], [0.0, 1.0, 0.25], 1.0)
    return {
        "n_terms": [lambda v: sc.fourier_coefficients(np.cos, 1.0, v),
                    lambda v: FourierSeries.square_wave(1.0, 0.5, n_terms=v),
                    lambda v: FourierSeries.from_function(np.cos, 1.0, v),
                    series.truncate],
        "n_quad": [lambda v: sc.fourier_coefficients(np.cos, 1.0, 1, n_quad=v)],
        "n_points": [series.gibbs_overshoot],
    }


COUNT_CALLS = _count_calls()


@pytest.mark.parametrize("name", COUNT_CALLS)
@pytest.mark.parametrize("value", harness.BAD_COUNTS, ids=repr)
def test_bad_counts_are_refused_naming_the_argument(name, value):
    for call in COUNT_CALLS[name]:
        if value is None and name in ("n_quad", "n_points"):
            call(value)  # None is the default
            continue
        with pytest.raises((TypeError, ValueError, MemoryError)) as info:
            call(value)
        harness.check_error(info.value, name)


@pytest.mark.parametrize("period", [1e-310, 5e-324, 2.0**-1030])
def test_a_period_whose_angular_frequency_overflows_is_refused(period):
    """It used to give a series of NaN."""
    for call in NUMERIC_CALLS["period"]:
        with pytest.raises(ValueError, match=r"period .* too small") as info:
            call(period)
        harness.check_error(info.value, "period")


def test_huge_values_give_errors_not_inf_or_nan():
    with pytest.raises(ValueError, match="amplitude"):
        FourierSeries.square_wave(1.0, 0.5, 1.7e308)
    with pytest.raises(ValueError, match="amplitude"):
        FourierSeries.square_wave(1.0, 0.5, 8e307, n_terms=10**4)
    with pytest.raises(ValueError, match="f and g"):
        FourierSeries([1e308, 1e308], [0.0, 1e308], 1.0)
    with pytest.raises(ValueError, match="scalar"):
        FourierSeries([1e300], [0.0], 1.0) * 1e10
    with pytest.raises(ValueError, match="sum"):
        FourierSeries([1.7e308], [0.0], 1.0) + FourierSeries([1.7e308], [0.0], 1.0)
    with pytest.raises(ValueError, match="power"):
        FourierSeries([1e200, 1e200], [0.0, 1e200], 1.0).power()
    with pytest.raises(ValueError, match="func"):
        sc.fourier_coefficients(lambda t: np.full(t.shape, 1e308), 1.0, 3)
    with pytest.raises(ValueError, match="stiffness / mass"):
        DrivenOscillator(1e-300, 0.0, 1e300)
    with pytest.raises(ValueError, match="damping"):
        DrivenOscillator(1e-300, 1e300, 1e-300)
    with pytest.raises(ValueError, match="a and b"):
        sc.circular_convolve([1e308, 1e308], [1e308, 2.0])
    # the power of large but representable coefficients is exact (scaled by 2**k)
    series = FourierSeries([2e150, 1e150], [0.0, 3e150], 1.0)
    assert series.power() == pytest.approx(1e300 + 0.5 * (1e300 + 9e300), rel=1e-15)
    # sawtooth and triangle never form 2 * amplitude
    np.testing.assert_allclose(sc.sawtooth_wave([0.25, -0.5], 1.0, amplitude=1.7e308),
                               [0.85e308, -1.7e308])


def test_huge_times_are_folded_exactly():
    series = FourierSeries([1.0, 2.0, 0.5], [0.0, 1.0, 0.25], 1.0)
    # 1e300 and 2**80 are whole numbers of periods: fmod reduces them to 0 exactly
    np.testing.assert_allclose(series([1e300, 2.0**80]), series([0.0, 0.0]), atol=1e-15)
    big = FourierSeries([1.0, 2.0], [0.0, 1.0], 1e308)
    assert np.isfinite(big([1.7e308, -1.7e308, 0.0])).all()


def test_oscillator_responses_overflow_to_zero_or_refuse():
    oscillator = DrivenOscillator(1.0, 1.0, 1.0)
    # |k - m w^2 + i b w| beyond float64: H is 0 (its magnitude is below any float64)
    np.testing.assert_array_equal(oscillator.transfer([1e200, 1e300]), 0.0)
    steady = DrivenOscillator(1.0, 0.0, 1.0).steady_state(
        FourierSeries([1.0, 2.0, 3.0], [0.0, 1.0, 1.0], 1e-306), [0.0, 1.0])
    np.testing.assert_allclose(steady, 0.5)  # only the constant responds: f_0 / (2 k)
    with pytest.raises(ValueError, match="forcing"):
        oscillator.simulate(lambda t: t * np.nan, [0.0, 1.0])
    with pytest.raises(TypeError, match="forcing"):
        oscillator.simulate("cos", [0.0, 1.0])


# ------------------------------------------------------------------- awkward arrays


@settings(max_examples=50)
@given(harness.numeric_arrays(min_dims=0, max_dims=3, max_side=5))
def test_times_of_any_layout_equal_the_naive_sum_or_name_t(t):
    series = FourierSeries([1.0, 2.0, 0.5, -0.25], [0.0, 1.0, 0.25, 0.5], 0.7)
    for call, oracle in [
            (series, lambda x: naive_series(series.f, series.g, 0.7, x)),
            (lambda x: sc.triangle_wave(x, 0.7, 2.0), None),
            (lambda x: DrivenOscillator(1.0, 0.5, 4.0).transfer(x), None)]:
        got = harness.outcome(("t", "omega"), call, t)
        bad = t.dtype.kind in "bc" or not np.isfinite(t.astype(np.complex128)).all()
        assert (got is None) == bad, (t, got)
        if got is not None:
            assert got.shape == t.shape
            if oracle is not None:
                times = t.astype(np.float64)
                np.testing.assert_allclose(got, oracle(times), rtol=0,
                                           atol=1e-12 * (1 + np.abs(times).max(initial=0)))


@st.composite
def awkward_values(draw):
    """``harness.awkward_arrays`` with every dtype through ``np.dtype`` (the harness's list
    holds the type ``np.longdouble``, which has no ``.kind``)."""
    if draw(st.booleans()):
        return draw(st.sampled_from([[[1, 2], [3]], [1, [2, 3]], ["a", 1], [None, 1.0],
                                     {"a": 1}, None, "text", b"bytes"]))
    dtype = np.dtype(draw(st.sampled_from(harness.AWKWARD_DTYPES)))
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2).map(tuple))
    if dtype.kind in "fc":
        return np.ones(shape, dtype)
    if dtype.kind == "O":
        return np.full(shape, None, dtype)
    return np.zeros(shape, dtype)


@settings(max_examples=30)
@given(awkward_values())
def test_awkward_arrays_are_refused_naming_the_argument(value):
    series = FourierSeries([1.0, 2.0], [0.0, 1.0], 1.0)
    for names, call in [("t", series), ("t", lambda v: sc.square_wave(v, 1.0, 0.5)),
                        ("f", lambda v: FourierSeries(v, v, 1.0)),
                        ("func", lambda v: sc.fourier_coefficients(v, 1.0, 1)),
                        ("omega", DrivenOscillator(1.0, 0.5, 1.0).transfer),
                        (("a", "b"), lambda v: sc.circular_convolve(v, v))]:
        assert harness.outcome(names, call, value) is None


@settings(max_examples=40)
@given(harness.numeric_arrays(min_dims=0, max_dims=2, max_side=8))
def test_circular_convolve_equals_its_definition_or_names_a(a):
    b = np.arange(a.shape[-1] if a.ndim else 1, dtype=np.float64)[::-1] + 0.5
    got = harness.outcome(("a", "b"), sc.circular_convolve, a, b if a.ndim == 1 else a)
    valid = a.ndim == 1 and a.size > 0
    finite = a.dtype.kind not in "fc" or np.isfinite(a).all()
    if got is None:  # refused: a bad shape, NaN/inf, or a result beyond the dtype
        computed = np.result_type(a.dtype, np.float32) if a.dtype.kind in "fc" \
            else np.dtype(np.float64)
        with np.errstate(over="ignore"):
            huge = np.abs(a.astype(np.complex128)).sum() * np.abs(b).sum() \
                > np.finfo(computed).max / 1e3 if valid else False
        assert not (valid and finite) or huge
        return
    assert valid and finite
    n = a.size
    with np.errstate(over="ignore", invalid="ignore"):
        expected = np.array([sum(a.astype(np.complex128)[k] * b[(i - k) % n]
                                 for k in range(n)) for i in range(n)])
        scale = np.abs(a.astype(np.complex128)).sum() * np.abs(b).max() + 1.0
    assert np.isfinite(scale)  # otherwise circular_convolve had to refuse
    if a.dtype.kind != "c":
        expected = expected.real
    tolerance = 1e-5 if a.dtype in (np.float16, np.float32, np.complex64) else 1e-12
    np.testing.assert_allclose(got, expected, rtol=0, atol=tolerance * scale)


def test_samples_and_n_quad_together_are_refused():
    with pytest.raises(ValueError, match="n_quad"):
        sc.fourier_coefficients(np.ones(8), 1.0, 2, n_quad=8)
    with pytest.raises(ValueError, match="n_quad"):
        sc.fourier_coefficients(np.cos, 1.0, 5, n_quad=9)
    with pytest.raises(TypeError, match="func"):
        sc.fourier_coefficients(lambda t: t.astype(str), 1.0, 2)
    with pytest.raises(TypeError, match="func"):
        sc.fourier_coefficients(lambda t: t + 1j, 1.0, 2)


def test_the_refusal_budgets_are_what_the_docstrings_say():
    assert fourier_module._MAX_DIRECT_WORK == 10**10
    assert fourier_module._MAX_CYCLES == 10_000
    assert math.log2(fourier_module._GIBBS_GRID_CAP) == 21


ANY_POSITIVE = st.floats(min_value=0.0, exclude_min=True, allow_infinity=False,
                         allow_subnormal=True)
ANY_FINITE = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True)


@settings(max_examples=60)
@given(ANY_POSITIVE, ANY_FINITE, st.lists(ANY_FINITE, min_size=1, max_size=5),
       st.floats(0.01, 1.0))
def test_waves_and_series_at_extreme_scales_are_finite_or_refused(period, amplitude, t,
                                                                 duty):
    """Any finite period, amplitude and times: a finite wave or series, or an error naming
    the argument; never a silent NaN or inf."""
    for wave, names, call in [
            (True, ("period", "amplitude"), lambda: sc.sawtooth_wave(t, period, amplitude)),
            (True, ("period", "amplitude"), lambda: sc.triangle_wave(t, period, amplitude)),
            (True, ("period", "amplitude", "duty"),
             lambda: sc.square_wave(t, period, amplitude=amplitude, duty=duty)),
            (False, ("period", "amplitude", "duty", "width"),
             lambda: FourierSeries.square_wave(period, duty * period, amplitude, 16)(t))]:
        got = harness.outcome(names, call)
        if got is not None:
            assert np.isfinite(got).all(), (period, amplitude, t, got)
            if wave:  # the waves stay within +-amplitude
                assert np.abs(got).max() <= abs(amplitude) * (1 + 1e-15)
    series = harness.outcome("period", FourierSeries, [1.0, amplitude], [0.0, 1.0], period)
    if series is not None:
        values = series(t)
        assert np.isfinite(values).all()
        assert np.abs(values).max() <= 0.5 + abs(amplitude) + 1.0 + 1e-12 * abs(amplitude)
        assert math.isfinite(series.omega) and series.omega > 0


@settings(max_examples=60)
@given(ANY_POSITIVE, st.floats(min_value=0.0, allow_infinity=False, allow_subnormal=True),
       ANY_POSITIVE, st.lists(ANY_FINITE, min_size=1, max_size=4))
# |k - m w^2 + i b w| = 1.4e308: NumPy's complex division gave 0 for |H| = 7.2e-309
@example(1.0, 5.297449150959649e307, 8.843748605158045e307, [2.0])
def test_oscillators_at_extreme_scales_are_finite_or_refused(mass, damping, stiffness,
                                                             omega):
    oscillator = harness.outcome(("mass", "damping", "stiffness"), DrivenOscillator, mass,
                                 damping, stiffness)
    if oscillator is None:
        return
    assert math.isfinite(oscillator.omega0) and oscillator.omega0 > 0
    assert math.isfinite(oscillator.beta) and oscillator.beta >= 0
    assert math.isfinite(oscillator.resonance_frequency())
    response = harness.outcome("omega", oscillator.transfer, omega)
    if response is not None:
        assert np.isfinite(response).all()
        # |H| = 1 / |k - m w^2 + i b w| where that is representable
        with np.errstate(over="ignore", invalid="ignore"):
            denominator = np.abs(stiffness - mass * np.square(omega) + 1j * damping
                                 * np.asarray(omega))
        ok = np.isfinite(denominator) & (denominator > 1e-300)
        np.testing.assert_allclose(np.abs(response)[ok], 1 / denominator[ok], rtol=1e-12)


# ------------------------------------------------ huge views, sized before any scan


def test_huge_broadcast_views_are_refused_before_being_scanned():
    """A zero-cost ``np.broadcast_to`` view of 10**10 samples: its NaN check by
    ``np.isfinite(x).all()`` built a 9.3 GiB mask (NumPy's own MemoryError, naming no
    argument) before any size check. Every call runs in one capped child process and
    must end in the expected error naming the argument, however the view's values are."""
    report = harness.assert_isolated_finishes("""
import numpy as np, sigconv as sc
huge = np.broadcast_to(1.0, 10**10)
nan = np.broadcast_to(np.nan, 10**10)
int8 = np.broadcast_to(np.int8(1), 2**40)
c64 = np.broadcast_to(np.complex64(1), 10**10)
series = sc.FourierSeries([2.0, 1.0, 0.5], [0.0, 0.5, 0.25], 2.0)
oscillator = sc.DrivenOscillator(1.0, 0.1, 4.0)
calls = {
    "square_wave": lambda: sc.square_wave(huge, 0.2, width=0.1),
    "square_wave of NaN": lambda: sc.square_wave(nan, 0.2, width=0.1),
    "sawtooth_wave": lambda: sc.sawtooth_wave(huge, 0.2),
    "triangle_wave": lambda: sc.triangle_wave(nan, 0.2),
    "FourierSeries": lambda: sc.FourierSeries(huge, huge, 1.0),
    "__call__": lambda: series(huge),
    "__call__ of NaN": lambda: series(nan),
    "transfer": lambda: oscillator.transfer(huge),
    "steady_state": lambda: oscillator.steady_state(series, huge),
    "simulate t": lambda: oscillator.simulate(lambda t: 1.0, huge),
    "simulate forcing": lambda: oscillator.simulate(lambda t: huge, [0.0, 1.0]),
    "fourier_coefficients samples": lambda: sc.fourier_coefficients(huge, 1.0, 3),
    "fourier_coefficients func": lambda: sc.fourier_coefficients(lambda t: huge, 1.0, 3),
    "circular_convolve": lambda: sc.circular_convolve(huge, huge),
    "circular_convolve of NaN": lambda: sc.circular_convolve(nan, huge),
    "circular_convolve int8": lambda: sc.circular_convolve(int8, int8),
    "circular_convolve complex64": lambda: sc.circular_convolve(c64, c64),
}
result = {}
for label, call in calls.items():
    try:
        call()
    except Exception as exc:
        result[label] = (type(exc).__name__, str(exc)[:24])
    else:
        result[label] = ("returned", "")
""", timeout=120)
    outcomes = eval(report["value"])
    expected = {"square_wave": "t:", "square_wave of NaN": "t:", "sawtooth_wave": "t:",
                "triangle_wave": "t:", "FourierSeries": "f:", "__call__": "t:",
                "__call__ of NaN": "t:", "transfer": "omega:", "steady_state": "t:",
                "simulate t": "t:", "fourier_coefficients samples": "func:",
                "circular_convolve": "a, b:", "circular_convolve of NaN": "a, b:",
                "circular_convolve int8": "a, b:", "circular_convolve complex64": "a, b:"}
    for label, prefix in expected.items():
        kind, message = outcomes[label]
        assert kind == "MemoryError" and message.startswith(prefix), (label, kind, message)
    # a forcing or func returning the wrong number of values: refused by its shape alone
    for label in ("simulate forcing", "fourier_coefficients func"):
        kind, message = outcomes[label]
        assert kind == "ValueError" and message.startswith(("forcing", "func")), (
            label, kind, message)


# ---------------------------------------------------------------- simulate's forcing


def constant_force_from_rest(force, mass, damping, stiffness, t, x0=0.0, v0=0.0):
    """``m x'' + b x' + k x = F`` from ``x0, v0``, underdamped: the closed form."""
    beta = damping / (2 * mass)
    damped = math.sqrt(stiffness / mass - beta**2)
    rest = force / stiffness
    first = x0 - rest
    second = (v0 + beta * first) / damped
    return rest + np.exp(-beta * t) * (first * np.cos(damped * t)
                                       + second * np.sin(damped * t))


@pytest.mark.parametrize("value", [2.0, 2, np.float32(2.0), np.int64(2), np.array(2.0),
                                   np.array([2.0]), np.array([[2.0]]), [2.0], np.uint8(2),
                                   np.float16(2.0)], ids=repr)
def test_a_forcing_returning_one_real_number_is_integrated(value):
    t = np.linspace(0.0, 3.0, 31)
    got = DrivenOscillator(1.0, 0.5, 4.0).simulate(lambda time: value, t)
    np.testing.assert_allclose(got, constant_force_from_rest(2.0, 1.0, 0.5, 4.0, t),
                               rtol=0, atol=1e-9)


@pytest.mark.parametrize(("value", "kind"), [
    (np.ones(3), ValueError), (np.empty(0), ValueError), ([1.0, 2.0], ValueError),
    (np.nan, ValueError), (np.array([np.inf]), ValueError),
    (None, TypeError), ("1", TypeError), (b"1", TypeError), (True, TypeError),
    (np.bool_(True), TypeError), (1j, TypeError), (np.array([1 + 0j]), TypeError),
    ([[1.0], [2.0, 3.0]], TypeError), (harness.Opaque(), TypeError),
    (np.datetime64("2020-01-01"), TypeError)], ids=repr)
def test_a_forcing_returning_anything_else_is_refused_naming_it(value, kind):
    """np.ones(3) used to be accepted (its first entry taken, silently)."""
    with pytest.raises(kind) as info:
        DrivenOscillator(1.0, 0.1, 4.0).simulate(lambda time: value, [0.0, 1.0])
    harness.check_error(info.value, "forcing")


@settings(max_examples=25)
@given(st.floats(-308.0, 308.2), st.floats(-308.0, 308.2), st.floats(-308.0, 308.2),
       st.sampled_from([-1.0, 1.0]), st.booleans())
@example(0.0, 308.0, 308.0, -1.0, False)  # the size 2e308 passed float64 in the tolerance
# scipy's first step size was NaN (an overflowing derivative): its solver looped forever
@example(308.2, 308.2, 308.2, 1.0, False)
# a problem of 1e-159: the solver's squared error estimate underflowed to 0 / 0
@example(-159.0, -159.0, -158.0, -1.0, False)
def test_forces_and_starts_up_to_the_largest_float_are_integrated(log_force, log_x0,
                                                                  log_v0, sign, series):
    """The integrator's error norm squares the state: a force or start above 1e154 used
    to fail ('Required step size is less than spacing between numbers', after overflow
    RuntimeWarnings); now solved at a power-of-two scale and scaled back, against the
    closed form, or refused naming the overflow when the solution leaves float64."""
    force, x0, v0 = sign * 10.0**log_force, 10.0**log_x0, -(10.0**log_v0)
    mass, damping, stiffness = 1.0, 0.5, 4.0
    t = np.linspace(0.0, 2.0, 9)
    # the series' constant term is f_0 / 2: the force applied is half of f_0 = force
    forcing = FourierSeries([force], [0.0], 1.0) if series else (lambda time: force)
    force = force / 2 if series else force
    got = harness.outcome(("forcing", "x0", "v0"), DrivenOscillator(mass, damping, stiffness)
                          .simulate, forcing, t, x0, v0)
    # the closed form at 2**-64 of the scale (exact) for large problems, where nothing
    # overflows; the size of the problem too is taken at that scale (at full scale it may
    # pass 1.8e308). Small problems are compared as they are (no subnormals).
    shrink = 2.0**-64
    size = abs(force) * shrink / stiffness + abs(x0) * shrink + abs(v0) * shrink
    if size < 1e200:
        shrink, size = 1.0, size / shrink
    if got is None:  # the solution itself leaves float64
        assert size > 1e307 * shrink
        return
    expected = constant_force_from_rest(force * shrink, mass, damping, stiffness, t,
                                        x0 * shrink, v0 * shrink)
    # relative to the problem's size, plus the integrator's absolute tolerance (1e-12,
    # accumulated over the steps) for small problems
    np.testing.assert_allclose(got * shrink, expected, rtol=0,
                               atol=1e-8 * size + 1e-9 * shrink)


def test_a_forcing_raising_its_own_exception_propagates_unchanged():
    """As from scipy.integrate.solve_ivp (documented in simulate's Raises)."""
    with pytest.raises(ZeroDivisionError):
        DrivenOscillator(1.0, 0.1, 4.0).simulate(lambda time: 1 / 0, [0.0, 1.0])


def test_simulating_a_long_series_force_is_refused_at_once():
    """Ten thousand harmonics over one period: about 10**6 evaluations of 10**4 terms
    each, minutes of work; refused before integrating, naming forcing."""
    report = harness.assert_isolated_error("""
import sigconv as sc
series = sc.FourierSeries.square_wave(1.0, 0.5, n_terms=10**4)
sc.DrivenOscillator(1.0, 0.1, 4.0).simulate(series, [0.0, 1.0])
""", "forcing", kinds=("ValueError",), timeout=60)
    assert "n_terms=10000" in report["message"]


# --------------------------------------------------- circular_convolve's precision


DTYPES = [np.bool_, np.int8, np.int16, np.uint16, np.int32, np.int64, np.uint64,
          np.float16, np.float32, np.float64, np.complex64, np.complex128]


def _sample(rng, dtype, n):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, n).astype(bool)
    if dtype.kind in "iu":
        low = 0 if dtype.kind == "u" else -100
        return rng.integers(low, 100, n).astype(dtype)
    values = rng.standard_normal(n) * 10
    if dtype.kind == "c":
        values = values + 1j * rng.standard_normal(n) * 10
    return values.astype(dtype)


@settings(max_examples=60)
@given(st.sampled_from(DTYPES), st.sampled_from(DTYPES), st.integers(1, 40),
       st.integers(0, 2**32 - 1))
def test_circular_convolve_dtype_and_precision_follow_result_type(type_a, type_b, n,
                                                                  seed):
    """The result has NumPy's result_type of the inputs (integers alone: float64, float16:
    float32) and that precision against a float64 oracle: int16 with complex64 used to
    give complex128 with complex64's error, complex64 with uint64 complex128 with the
    error of the complex64 transform (about 2e-6 of the scale)."""
    rng = np.random.default_rng(seed)
    a, b = _sample(rng, type_a, n), _sample(rng, type_b, n)
    expected_dtype = np.result_type(a.dtype, b.dtype)
    if expected_dtype.kind in "biu":
        expected_dtype = np.dtype(np.float64)
    elif expected_dtype == np.float16:
        expected_dtype = np.dtype(np.float32)
    got = sc.circular_convolve(a, b)
    assert got.dtype == expected_dtype, (a.dtype, b.dtype, got.dtype)
    wide_a, wide_b = a.astype(np.complex128), b.astype(np.complex128)
    index = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n
    oracle = (wide_a[None, :] * wide_b[index]).sum(axis=1)
    if expected_dtype.kind != "c":
        oracle = oracle.real
    scale = np.abs(wide_a).sum() * np.abs(wide_b).max() + 1.0
    relative = 1e-5 if expected_dtype in (np.float32, np.complex64) else 1e-13
    np.testing.assert_allclose(got, oracle, rtol=0, atol=relative * scale)


@pytest.mark.parametrize(("type_a", "type_b", "dtype"), [
    (np.int16, np.complex64, np.complex64), (np.complex64, np.uint64, np.complex128),
    (np.float32, np.int8, np.float32), (np.float32, np.int32, np.float64),
    (np.float16, np.float16, np.float32), (np.bool_, np.int64, np.float64),
    (np.complex64, np.float64, np.complex128)])
def test_circular_convolve_double_precision_where_the_result_type_says(type_a, type_b,
                                                                       dtype):
    rng = np.random.default_rng(7)
    a, b = _sample(rng, type_a, 257), _sample(rng, type_b, 257)
    got = sc.circular_convolve(a, b)
    assert got.dtype == dtype
    spectrum = np.fft.fft(a.astype(np.complex128)) * np.fft.fft(b.astype(np.complex128))
    oracle = np.fft.ifft(spectrum)
    scale = np.abs(a.astype(np.complex128)).sum() * np.abs(b.astype(np.complex128)).max()
    error = float(np.abs(got - (oracle if got.dtype.kind == "c" else oracle.real)).max())
    if np.dtype(dtype) in (np.float64, np.complex128):
        assert error <= 1e-14 * scale, error / scale
    else:  # single precision, but single's accuracy: neither worse nor pretending better
        assert error <= 1e-6 * scale, error / scale


# ------------------------------------------------------ the oscillator at tiny scales


@settings(max_examples=60)
@given(st.floats(-161.5, 150.0), st.floats(-3.0, 20.0),
       st.one_of(st.just(0.0), st.floats(1e-3, 0.6)))
@example(-159.65, 0.0, 0.055)  # w0^2 subnormal: the direct radicand kept 5 digits
@example(-160.0, 10.0, 0.0)  # k / m = 1e-320 subnormal: sqrt(k / m) kept 5 digits
def test_natural_and_resonance_frequencies_keep_their_digits(log_omega, log_mass, ratio):
    """omega0 = sqrt(k / m) and sqrt(w0^2 - 2 beta^2) against 50-digit decimals, down to
    frequencies whose squares are subnormal (k / m below 2.2e-308: 1e-5 relative errors,
    or a resonance of 0 where w0^2 underflowed)."""
    from decimal import Decimal, localcontext

    mass = 10.0**log_mass
    omega = 10.0**log_omega
    with np.errstate(over="ignore", under="ignore"):
        stiffness = float(mass * omega * omega) if mass * omega * omega > 0 else 0.0
        damping = 2.0 * mass * ratio * omega
    oscillator = harness.outcome(("stiffness", "damping", "mass"), DrivenOscillator, mass,
                                 damping, stiffness)
    if oscillator is None:
        return
    with localcontext() as context:
        context.prec = 50
        omega0 = (Decimal(stiffness) / Decimal(mass)).sqrt()
        beta = Decimal(damping) / (2 * Decimal(mass))
        resonance = (omega0 * omega0 - 2 * beta * beta).sqrt()
    assert oscillator.omega0 == pytest.approx(float(omega0), rel=1e-15, abs=0)
    if oscillator.beta >= float(np.finfo(np.float64).tiny):  # a subnormal beta: few digits
        assert oscillator.resonance_frequency() == pytest.approx(float(resonance),
                                                                 rel=1e-13, abs=0)


@pytest.mark.parametrize("device", ["gpu", "CUDA", "", True, 0, b"cuda"], ids=repr)
def test_bad_devices_are_refused_naming_device(device):
    series = FourierSeries([1.0, 2.0], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError) as info:
        series([0.0, 0.5], device=device)
    harness.check_error(info.value, "device")


@pytest.mark.skipif(sc.cuda_available(), reason="a GPU is present: bench/gpu.py covers it")
@pytest.mark.parametrize("points", [3, 5000])  # the direct sum, and the FFT grid path
def test_cuda_without_a_gpu_is_a_clear_error_naming_device(points):
    """A RuntimeError and a ValueError (sigconv.CUDAUnavailableError), as documented in
    FourierSeries.__call__'s Raises, even where the host's FFT grid path would run."""
    series = FourierSeries(np.ones(300), np.ones(300), 1.0)
    t = np.linspace(0.0, 1.0, points)
    assert points < 5000 or series._uniform_grid(t) is not None
    with pytest.raises(sc.CUDAUnavailableError) as info:
        series(t, device="cuda")
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, ValueError)
    harness.check_error(info.value, "device")


@pytest.mark.parametrize("scale", [1e300, 5e307, 1.2e308])
def test_transfer_keeps_subnormal_responses(scale):
    """Where |H| = 1 / |k - m w^2 + i b w| is subnormal but not zero, H against the
    division done at 2**-1000 of the scale (exact) and scaled back."""
    mass, damping, stiffness = 1.0, 0.6 * scale, 0.8 * scale
    omega = np.array([0.0, 0.5, 1.0, 1.5, 1.9, -1.0])  # |d| up to 1.67e308
    got = DrivenOscillator(mass, damping, stiffness).transfer(omega)
    shrink = 2.0**-1000
    oracle = [1.0 / complex((stiffness - mass * w * w) * shrink, damping * w * shrink)
              * shrink for w in omega]
    np.testing.assert_allclose(got, oracle, rtol=1e-14, atol=1e-323)
    assert np.all(np.abs(got) > 0)
