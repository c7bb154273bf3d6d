"""The matplotlib helpers draw what they say (checked on the line data, Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import sigconv as sc  # noqa: E402
from sigconv import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_partial_sums_lines_are_the_wave_and_its_partial_sums():
    t = np.linspace(0.0, 0.4, 301)
    ax = plotting.plot_partial_sums(0.2, 0.1, 2.0, n_terms=(3, 40), t=t)
    wave, three, forty = ax.lines
    np.testing.assert_array_equal(wave.get_ydata(), sc.square_wave(t, 0.2, 0.1, 2.0))
    series = sc.FourierSeries.square_wave(0.2, 0.1, 2.0, 40)
    np.testing.assert_allclose(three.get_ydata(), series.truncate(3)(t), atol=1e-12)
    np.testing.assert_allclose(forty.get_ydata(), series(t), atol=1e-12)
    # more terms approximate the wave better (away from the jumps)
    away = np.abs(np.abs((t + 0.1) % 0.2 - 0.1) - 0.05) > 0.01
    error = [np.abs(line.get_ydata() - wave.get_ydata())[away].max() for line in (three, forty)]
    assert error[1] < error[0]


def test_gibbs_plot_tends_to_the_limit():
    ax = plotting.plot_gibbs(n_terms=(20, 200))
    overshoot = ax.lines[0].get_ydata()
    assert abs(overshoot[-1] - 0.0895) < 0.002
    assert ax.lines[1].get_ydata()[0] == pytest.approx(0.0894898722)


def test_oscillator_response_plot_draws_ode_and_steady_state():
    oscillator = sc.DrivenOscillator(1.0, 4.0, 50.0)
    forcing = sc.FourierSeries.square_wave(1.0, 0.5, 1.0, 20)
    t = np.linspace(0.0, 12.0, 400)
    fig, ax = plt.subplots()
    assert plotting.plot_oscillator_response(oscillator, forcing, t, ax=ax) is ax
    ode, steady = ax.lines
    np.testing.assert_allclose(steady.get_ydata(), oscillator.steady_state(forcing, t))
    late = t > 8.0  # transients decay like exp(-2 t)
    np.testing.assert_allclose(ode.get_ydata()[late], steady.get_ydata()[late], atol=1e-6)


def test_oscillator_response_rejects_other_objects():
    with pytest.raises(TypeError, match="oscillator must be a DrivenOscillator"):
        plotting.plot_oscillator_response("spring", None, [0.0, 1.0])
