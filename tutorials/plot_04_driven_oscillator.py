"""
The driven damped oscillator, by superposition
==============================================

A mass on a spring with friction, pushed by a periodic force,

.. math:: m \\ddot x + b \\dot x + k x = F(t),

is the standard example of a linear system. Because the equation is linear, the
response to a sum of forces is the sum of the responses, and the previous tutorial
showed that a periodic force is a sum of harmonics. This tutorial puts the two together
for the lecture's square-wave force (period :math:`T = 0.2`, width 0.1, height 2):

* the steady response to a single harmonic: amplitude and phase from the transfer
  function :math:`H(\\omega)`, and the resonance curve
  (:meth:`sigconv.DrivenOscillator.transfer`),
* the steady state for the square wave as the sum of the harmonic responses
  (:meth:`sigconv.DrivenOscillator.steady_state`),
* a check against direct numerical integration of the equation with
  :func:`scipy.integrate.solve_ivp`, from rest until the transient has died out,
* which harmonics dominate the response when the natural frequency sits on, or between,
  the harmonics of the force, and
* the same steady state as a circular convolution of the force with the oscillator's
  impulse response (:func:`sigconv.circular_convolve`).

Every claim below is checked in code, with an ``assert`` or a printed comparison.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy.integrate import solve_ivp

import sigconv as sc
from sigconv.plotting import plot_oscillator_response

# %%
# The oscillator and the force
# ----------------------------
#
# Dividing by the mass, the equation reads
# :math:`\ddot x + 2\beta \dot x + \omega_0^2 x = F(t)/m` with the natural frequency
# :math:`\omega_0 = \sqrt{k/m}` and the decay rate :math:`\beta = b/(2m)`. Without the
# force, a weakly damped oscillator rings at about :math:`\omega_0` inside an envelope
# :math:`e^{-\beta t}`. The general solution with the force is that free motion plus
# one particular solution; after a few times :math:`1/\beta` only the particular,
# periodic part is left: the *steady state*.
#
# The force is the square wave of the previous tutorial, of base frequency
# :math:`\omega = 2\pi/T \approx 31.4`. The first oscillator has unit mass, its natural
# frequency on the third harmonic of the force, :math:`\omega_0 = 3\omega`, and
# :math:`b = 4`, so that :math:`\beta = 2` and the transient fades as :math:`e^{-2t}`.

period, width, amplitude = 0.2, 0.1, 2.0
omega = 2 * np.pi / period

mass, damping = 1.0, 4.0
oscillator = sc.DrivenOscillator(mass=mass, damping=damping,
                                 stiffness=mass * (3 * omega) ** 2)
print(f"forcing frequency omega = {omega:.4f}")
print(f"omega0 = {oscillator.omega0:.4f} (= {oscillator.omega0 / omega:.1f} omega), "
      f"beta = {oscillator.beta}")
assert np.isclose(oscillator.omega0, 3 * omega) and oscillator.beta == 2.0

n_terms = 2000
force = sc.FourierSeries.square_wave(period, width, amplitude, n_terms)
static = amplitude / oscillator.stiffness  # deflection under a constant force F
print(f"static deflection F/k = {static:.3e}")

# %%
# One harmonic
# ------------
#
# For a single cosine force :math:`F_0 \cos(\Omega t)` try
# :math:`x = \operatorname{Re}[X e^{i\Omega t}]`: the equation becomes
# :math:`(k - m\Omega^2 + i b\Omega) X = F_0`, so :math:`X = H(\Omega) F_0` with the
# *transfer function*
#
# .. math:: H(\Omega) = \frac{1}{k - m\Omega^2 + i b \Omega}.
#
# In polar form, the steady response is :math:`F_0 |H(\Omega)| \cos(\Omega t - \delta)`
# with
#
# .. math::
#
#    |H(\Omega)| = \frac{1/m}{\sqrt{(\omega_0^2 - \Omega^2)^2 + 4\beta^2\Omega^2}},
#    \qquad
#    \delta = \operatorname{atan2}\bigl(2\beta\Omega,\ \omega_0^2 - \Omega^2\bigr),
#
# the response lagging the force by :math:`\delta \in [0, \pi]`: hardly at all well
# below resonance, by :math:`\pi/2` at :math:`\Omega = \omega_0`, by nearly :math:`\pi`
# far above.
# (The lecture's Eq. 5 prints the first term of the square root without its square. As
# printed, the two terms under the root do not even have the same units,
# :math:`s^{-2}` against :math:`s^{-4}`, so the result would change with the unit of
# time; below resonance and with weak damping the expression under the root is negative.
# The formula above is the correct one. Its :math:`\tan^{-1}` also needs the
# two-argument form to land on the right branch above resonance.)

frequencies = np.linspace(0.1, 8.0, 400) * omega
H = oscillator.transfer(frequencies)
w0, beta = oscillator.omega0, oscillator.beta
magnitude = (1 / mass) / np.sqrt((w0**2 - frequencies**2) ** 2
                                 + 4 * beta**2 * frequencies**2)
lag = np.arctan2(2 * beta * frequencies, w0**2 - frequencies**2)
assert np.allclose(np.abs(H), magnitude, rtol=1e-12)
assert np.allclose(-np.angle(H), lag, rtol=1e-12)
assert np.all((lag >= 0) & (lag <= np.pi))

# the lecture's Eq. 5 as printed, for the fundamental (n = 1, Omega = omega)
def radicand_as_printed(beta):
    return (omega**2 - w0**2) + 4 * beta**2 * omega**2


gain_as_printed = (1 / mass) / np.sqrt(radicand_as_printed(beta))
gain_correct = np.abs(oscillator.transfer([omega]))[0]
print(f"|H(omega)|: as printed {gain_as_printed:.3e}, correct {gain_correct:.3e}")
print(f"radicand as printed with beta = 0.5: {radicand_as_printed(0.5):.1f}")
assert gain_as_printed > 50 * gain_correct
assert radicand_as_printed(0.5) < 0

# %%
# That this is a solution can be checked without any library: put
# :math:`x = A\cos(\Omega t - \delta)` and its two derivatives into the equation and
# compare with the force.

drive = 1.7 * omega  # any frequency
t = np.linspace(0.0, 2 * period, 1001)
gain = np.abs(oscillator.transfer([drive]))[0]
delta = -np.angle(oscillator.transfer([drive]))[0]
x = gain * np.cos(drive * t - delta)
v = -drive * gain * np.sin(drive * t - delta)
a = -drive**2 * gain * np.cos(drive * t - delta)
residual = mass * a + damping * v + oscillator.stiffness * x - np.cos(drive * t)
print("max |m x'' + b x' + k x - cos(Omega t)| =", np.abs(residual).max())
assert np.allclose(residual, 0.0, atol=1e-12)

# %%
# The resonance curve
# -------------------
#
# :math:`k|H|` is the amplitude of the response in units of the static deflection
# :math:`F_0/k`. It is 1 at :math:`\Omega = 0`, falls as :math:`(\omega_0/\Omega)^2`
# far above :math:`\omega_0`, and in between peaks at
# :math:`\Omega_r = \sqrt{\omega_0^2 - 2\beta^2}`
# (:meth:`~sigconv.DrivenOscillator.resonance_frequency`), with the height
# :math:`1/(2\zeta\sqrt{1 - \zeta^2})` for the damping ratio
# :math:`\zeta = \beta/\omega_0`. From :math:`\zeta = 1/\sqrt2` on there is no peak: the
# amplitude only decreases. Below, the oscillators share :math:`m` and :math:`k` and
# differ in damping.

ratios = np.linspace(0.0, 3.0, 30_001)  # Omega / omega0
damping_ratios = (0.05, 0.1, 0.2, 0.4, 1 / np.sqrt(2), 1.0)

fig, axes = plt.subplots(2, 1, figsize=(7, 6.5), sharex=True, layout="constrained")
print(f"{'zeta':>6}  {'Omega_r/omega0':>14}  {'argmax':>7}  {'peak k|H|':>9}  "
      f"{'1/(2 zeta sqrt(1-zeta^2))':>25}")
for zeta in damping_ratios:
    damped = sc.DrivenOscillator(mass, 2 * mass * zeta * w0, oscillator.stiffness)
    response = damped.transfer(ratios * w0)
    gain_curve = damped.stiffness * np.abs(response)
    label = r"$\zeta = 1/\sqrt{2}$" if np.isclose(zeta, 1 / np.sqrt(2)) else \
        rf"$\zeta = {zeta:g}$"
    line, = axes[0].plot(ratios, gain_curve, label=label)
    axes[1].plot(ratios, np.degrees(-np.angle(response)), color=line.get_color())

    peak_at = ratios[np.argmax(gain_curve)]
    resonance = damped.resonance_frequency() / w0
    if zeta < 1 / np.sqrt(2):
        height = 1 / (2 * zeta * np.sqrt(1 - zeta**2))
        print(f"{zeta:6.3f}  {resonance:14.5f}  {peak_at:7.4f}  {gain_curve.max():9.4f}  "
              f"{height:25.4f}")
        assert np.isclose(peak_at, resonance, atol=1e-4)
        assert np.isclose(gain_curve.max(), height, rtol=1e-6)
        axes[0].plot(resonance, height, "o", color=line.get_color())
    else:  # no peak: the largest amplitude is the static one, at Omega = 0
        print(f"{zeta:6.3f}  {resonance:14.5f}  {peak_at:7.4f}  {gain_curve.max():9.4f}  "
              f"{'(no peak)':>25}")
        # (at zeta = 1/sqrt(2) the curve is flat at 0 to rounding, 1 - r^4/2 + ...)
        assert resonance == 0.0 and np.isclose(gain_curve.max(), 1.0, rtol=1e-12)
        assert np.all(np.diff(gain_curve) <= 1e-12)

axes[0].set_yscale("log")
axes[0].set_ylabel(r"amplification $k|H(\Omega)|$")
axes[0].set_title(r"Resonance curves (dots: peak at $\sqrt{\omega_0^2 - 2\beta^2}$)")
axes[0].legend(fontsize="small")
axes[1].axhline(90, color="0.6", lw=0.8, ls=":")
axes[1].set_yticks([0, 45, 90, 135, 180])
axes[1].set_ylabel(r"phase lag $\delta$ (degrees)")
axes[1].set_xlabel(r"driving frequency $\Omega / \omega_0$")

# %%
# The smaller the damping, the taller and narrower the peak, and the more abruptly the
# phase flips from in step with the force to opposite it.
#
# Superposition: the square wave
# ------------------------------
#
# The square wave is :math:`F(t) = f_0/2 + \sum_{n>0} f_n \cos(n\omega t)` (it is even,
# so every :math:`g_n = 0`). Each term is a force of the kind just solved, so by
# linearity the steady state is
#
# .. math::
#
#    x_p(t) = \frac{f_0}{2k} + \sum_{n>0} f_n |H(n\omega)| \cos(n\omega t - \delta_n),
#    \qquad \delta_n = \operatorname{atan2}\bigl(2\beta n\omega,\
#    \omega_0^2 - n^2\omega^2\bigr),
#
# the lecture's Eq. 5 with the square restored (with :math:`g_n \ne 0`, each
# :math:`g_n \sin(n\omega t)` adds :math:`g_n|H(n\omega)|\sin(n\omega t - \delta_n)`).
# :meth:`~sigconv.DrivenOscillator.steady_state` evaluates this sum for any
# :class:`~sigconv.FourierSeries` force; here it is also written out term by term.

t = np.linspace(0.0, 2 * period, 801)
n = np.arange(1, force.n_terms)
gains = np.abs(oscillator.transfer(n * omega))
lags = np.arctan2(2 * beta * n * omega, w0**2 - (n * omega) ** 2)
harmonic_responses = force.f[1:, None] * gains[:, None] * np.cos(
    n[:, None] * omega * t - lags[:, None])
by_hand = force.f[0] / (2 * oscillator.stiffness) + harmonic_responses.sum(axis=0)

steady = oscillator.steady_state(force, t)
print("max |steady_state - sum written out| / F/k =", np.abs(steady - by_hand).max() / static)
assert np.allclose(steady, by_hand, rtol=0, atol=1e-12 * static)

# %%
# The force's coefficients decay as :math:`1/n`, but :math:`|H(n\omega)|` falls as
# :math:`1/(m n^2\omega^2)` for large :math:`n`, so the response's harmonics decay as
# :math:`1/n^3`, with :math:`n^3 |f_n H(n\omega)| \to 2F/(\pi m \omega^2)` at odd
# :math:`n`. The oscillator is a low-pass filter: its response is smooth even though the
# force jumps.

response_harmonics = np.abs(force.f[1:]) * gains
odd = n % 2 == 1
limit = 2 * amplitude / (np.pi * mass * omega**2)
for n_show in (11, 101, 1001):
    scaled = n_show**3 * response_harmonics[n_show - 1]
    print(f"n = {n_show:4d}: n^3 |f_n H(n omega)| = {scaled:.5e}"
          f"   (limit 2F/(pi m omega^2) = {limit:.5e})")
assert np.allclose(n[odd][500:] ** 3 * response_harmonics[odd][500:], limit, rtol=1e-4)

# %%
# So a few terms suffice for the response where the force needs thousands. By the
# triangle inequality, cutting the series after :math:`N` terms changes the response by
# at most the sum of the amplitudes left out. Far above resonance that tail is
# :math:`\frac{2F}{\pi m\omega^2}\sum_{n \ge N,\ \text{odd}} n^{-3} \approx
# F/(2\pi m\omega^2 N^2)`:

print(f"{'n_terms':>7}  {'max |x_N - x_2000|':>18}  {'bound (tail sum)':>16}  "
      f"{'F/(2 pi m w^2 N^2)':>18}   (all in units of F/k)")
for n_keep in (10, 40, 160):
    difference = np.abs(oscillator.steady_state(force.truncate(n_keep), t) - steady).max()
    bound = response_harmonics[n_keep - 1:].sum()
    print(f"{n_keep:7d}  {difference / static:18.2e}  {bound / static:16.2e}  "
          f"{amplitude / (2 * np.pi * mass * omega**2 * n_keep**2) / static:18.2e}")
    assert difference <= bound
    assert np.isclose(bound, amplitude / (2 * np.pi * mass * omega**2 * n_keep**2), rtol=0.1)

# %%
# Check against direct integration
# --------------------------------
#
# The steady state should be what any solution of the equation settles into. We
# integrate from rest, :math:`x(0) = \dot x(0) = 0`, with the true, discontinuous
# square-wave force, not its series. A high-order method with error control assumes a
# smooth right-hand side and would spend many tiny steps on each jump, so we integrate
# from jump to jump, where the force is a constant, and restart from the last state at
# each jump. With :math:`\beta = 2`, 60 periods (12 time units) leave a transient of
# :math:`e^{-24} \approx 4 \times 10^{-11}` of its initial size.


def jumps_of_the_force(t_end):
    """Times in (0, t_end) where the square wave switches on or off."""
    starts = np.arange(-1, int(t_end / period) + 2) * period
    edges = np.concatenate((starts - width / 2, starts + width / 2))
    return np.sort(edges[(edges > 0) & (edges < t_end)])


def integrate_from_rest(oscillator, t_eval):
    """solve_ivp piece by piece between the jumps of the force, DOP853, tight tolerances."""
    edges = np.concatenate(([t_eval[0]], jumps_of_the_force(t_eval[-1]), [t_eval[-1]]))
    x = np.empty_like(t_eval)
    state = [0.0, 0.0]
    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        level = sc.square_wave([(start + stop) / 2], period, width, amplitude)[0]

        def rhs(time, y, level=level):
            return [y[1], (level - oscillator.damping * y[1]
                           - oscillator.stiffness * y[0]) / oscillator.mass]

        solution = solve_ivp(rhs, (start, stop), state, method="DOP853", rtol=1e-11,
                             atol=1e-14, dense_output=True)
        assert solution.success, solution.message
        inside = (t_eval >= start) & ((t_eval < stop) | (stop == t_eval[-1]))
        x[inside] = solution.sol(t_eval[inside])[0]
        state = solution.y[:, -1]
    return x


n_periods = 60
samples_per_period = 200
t_long = np.arange(n_periods * samples_per_period + 1) * (period / samples_per_period)
x_ode = integrate_from_rest(oscillator, t_long)
x_steady = oscillator.steady_state(force, t_long)

last = t_long >= t_long[-1] - 3 * period  # the last three periods
error_last = np.abs(x_ode - x_steady)[last].max()
print(f"max |x_ode - x_steady| over the last 3 periods: {error_last:.2e} "
      f"= {error_last / np.abs(x_steady).max():.1e} of the amplitude")
assert error_last < 1e-7 * np.abs(x_steady).max()

# %%
# The difference :math:`x_\text{ode} - x_p` is the free motion of the oscillator, so it
# should die out as :math:`e^{-\beta t}`. The largest difference in each period, on a
# log scale, is a straight line of slope :math:`-\beta` until it reaches the floor set by
# the tolerances:

per_period = np.abs(x_ode - x_steady)[:-1].reshape(n_periods, samples_per_period).max(axis=1)
period_starts = np.arange(n_periods) * period
early = period_starts < 6.0  # well above the floor
decay_rate = -np.polyfit(period_starts[early], np.log(per_period[early]), 1)[0]
print(f"fitted decay rate of the transient: {decay_rate:.4f} (beta = {beta})")
assert np.isclose(decay_rate, beta, rtol=0.02)

fig, axes = plt.subplots(2, 1, figsize=(8, 6.5), layout="constrained")
plot_oscillator_response(oscillator, force.truncate(60), t_long[t_long <= 2.0], ax=axes[0])
axes[0].set_ylim(-0.0015, 0.0022)  # room for the legend
axes[0].legend(loc="upper center", ncols=2)
axes[0].set_ylabel("displacement $x(t)$")
axes[0].set_xlabel("time $t$")
axes[0].set_title("From rest to the steady state ($\\omega_0 = 3\\omega$, $\\beta = 2$)")
axes[1].semilogy(t_long, np.abs(x_ode - x_steady) / static, color="0.6", lw=0.5,
                 label="$|x_\\mathrm{ode} - x_p|$")
axes[1].semilogy(period_starts, per_period / static, "o", ms=3, color="C0",
                 label="largest in each period")
axes[1].semilogy(t_long, per_period[0] / static * np.exp(-beta * t_long), "--",
                 color="C3", label=r"$e^{-\beta t}$")
axes[1].set_ylim(1e-9, 10)
axes[1].set_xlabel("time $t$")
axes[1].set_ylabel("difference / (F/k)")
axes[1].set_title("The transient dies out at the rate $\\beta$")
axes[1].legend(loc="upper right", fontsize="small")

# %%
# The upper panel, from :func:`sigconv.plotting.plot_oscillator_response`, integrates
# with a 60-term series for the force (:meth:`~sigconv.DrivenOscillator.simulate`); the
# check above used the exact square wave. Over the last two periods of that check, the
# integrated solution lies on the steady state, and the third harmonic shows: the mass
# swings three times for each push.

last_two = t_long >= t_long[-1] - 2 * period
t_last = t_long[last_two]
fig, ax_force = plt.subplots(figsize=(8, 4.2), layout="constrained")
ax_force.fill_between(t_last, sc.square_wave(t_last, period, width, amplitude),
                      color="0.88", label="force $F(t)$ (left axis)")
ax_force.set_ylabel("force $F(t)$")
ax_force.set_xlabel("time $t$")
ax_x = ax_force.twinx()
ax_x.plot(t_last, oscillator.steady_state(force, t_last) / static, color="C0", lw=2,
          label="steady state by superposition")
ax_x.plot(t_last[::4], x_ode[last_two][::4] / static, "o", mfc="none", ms=4, color="C3",
          label="solve_ivp from rest, periods 59-60")
ax_x.set_ylabel("displacement $k\\,x / F$")
handles = ax_force.get_legend_handles_labels()[0] + ax_x.get_legend_handles_labels()[0]
fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize="small")
ax_force.set_title("The last two of 60 periods: three oscillations per push")

# %%
# Which harmonics dominate
# ------------------------
#
# The amplitude of harmonic :math:`n` in the response is :math:`|f_n|\,|H(n\omega)|`: the
# force's spectrum times the resonance curve. Near :math:`\omega_0` the resonance curve
# is large, so a harmonic of the force that falls there can dominate the response even
# though it is weak in the force. Three oscillators, with the same mass and damping,
# show it:
#
# * :math:`\omega_0 = \omega`: the fundamental, the strongest harmonic of the force, is
#   on resonance;
# * :math:`\omega_0 = 2\omega`: on the second harmonic, which this square wave (width
#   half the period) does not have, so nothing resonates;
# * :math:`\omega_0 = 3\omega`: the third harmonic, three times weaker than the
#   fundamental in the force, is on resonance.

tunings = {r"$\omega_0 = \omega$": 1, r"$\omega_0 = 2\omega$": 2,
           r"$\omega_0 = 3\omega$": 3}
shown = np.arange(12)
t_two = np.linspace(0.0, 2 * period, 801)

fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), layout="constrained")
print(f"{'tuning':>8}  {'largest harmonic':>16}  {'share of the AC power':>21}  "
      f"{'peak-to-peak k x / F':>20}")
for column, (title, multiple) in enumerate(tunings.items()):
    tuned = sc.DrivenOscillator(mass, damping, mass * (multiple * omega) ** 2)
    k_tuned = tuned.stiffness
    response_amplitudes = np.abs(force.f) * np.abs(tuned.transfer(np.arange(n_terms) * omega))
    response_amplitudes[0] /= 2  # the constant term is f_0/2
    dominant = int(np.argmax(response_amplitudes[1:])) + 1
    # Parseval: the harmonic's share of the mean square of x - mean(x)
    share = response_amplitudes[dominant] ** 2 / np.sum(response_amplitudes[1:] ** 2)
    x_two = tuned.steady_state(force, t_two)
    swing = (x_two.max() - x_two.min()) * k_tuned / amplitude
    print(f"{multiple:7d}w  {dominant:16d}  {share:21.4f}  {swing:20.3f}")

    bars = axes[0, column]
    bars.bar(shown, response_amplitudes[shown] * k_tuned / amplitude, color="C0")
    bars.bar(dominant, response_amplitudes[dominant] * k_tuned / amplitude, color="C3")
    bars.set_yscale("log")
    bars.set_ylim(1e-4, 20)
    bars.set_xticks(shown)
    bars.set_xlabel("harmonic $n$")
    bars.set_title(title)

    trace = axes[1, column]
    trace.plot(t_two, x_two * k_tuned / amplitude, color="C0", lw=2, label="response $x_p$")
    harmonic = (response_amplitudes[dominant] * np.cos(
        dominant * omega * t_two + np.angle(force.f[dominant] * tuned.transfer(
            [dominant * omega])[0])) + response_amplitudes[0])
    trace.plot(t_two, harmonic * k_tuned / amplitude, "--", color="C3",
               label=f"mean + harmonic {dominant}")
    trace.set_xlabel("time $t$")
    trace.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, fontsize="small",
                 frameon=False)

    if multiple == 1:
        assert dominant == 1 and share > 0.99
    elif multiple == 2:  # no second harmonic: the fundamental wins, nothing resonates
        assert dominant == 1 and response_amplitudes[2] < 1e-12 * static
    else:
        assert dominant == 3 and share > 0.95

axes[0, 0].set_ylabel("response amplitude $k|f_n H(n\\omega)| / F$")
axes[1, 0].set_ylabel("displacement $k\\,x / F$")
fig.suptitle("Response harmonics (top, largest in red) and the steady state (bottom)")

# %%
# With :math:`\omega_0 = 3\omega` the third harmonic carries nearly all of the response's
# oscillation: the mass swings three times per push of the force. With
# :math:`\omega_0 = 2\omega` no harmonic of the force is near resonance, and the response
# stays near the static deflection, following the force with a little ripple (each
# oscillator is measured in units of its own static deflection :math:`F/k`).
#
# Seen as a filter, the oscillator passes slow harmonics at their static deflection,
# amplifies the ones near :math:`\omega_0` and suppresses the fast ones: a low-pass
# filter with a resonant peak.
#
# The steady state as a convolution
# ---------------------------------
#
# Multiplying each harmonic of the force by :math:`H(n\omega)` is, by the convolution
# theorem, a convolution in time. The function it convolves with is the response to a
# kick, the *impulse response* (Green's function) of the oscillator,
#
# .. math::
#
#    h(t) = \frac{e^{-\beta t} \sin(\omega_d t)}{m\,\omega_d}, \quad t \ge 0,
#    \qquad \omega_d = \sqrt{\omega_0^2 - \beta^2},
#
# whose Fourier transform is :math:`H`, and
# :math:`x_p(t) = \int_0^\infty h(s)\, F(t - s)\, ds`. For a periodic force the
# integral folds onto one period: with the periodised
# :math:`h_T(t) = \sum_{j \ge 0} h(t + jT)`, the steady state is the circular
# convolution of one period of :math:`F` with :math:`h_T`, which
# :func:`sigconv.circular_convolve` computes by the FFT. As in the previous tutorial,
# the force is sampled with the average of its two sides at the jumps.

n_samples = 4000
step = period / n_samples
t_period = np.arange(n_samples) * step
damped_frequency = np.sqrt(w0**2 - beta**2)
n_images = 100  # e^{-beta T n_images} = e^{-40}: the rest of the sum is negligible
impulse_periodic = sum(
    np.exp(-beta * (t_period + j * period)) * np.sin(damped_frequency * (t_period + j * period))
    for j in range(n_images)) / (mass * damped_frequency)

# the DFT of one period of h_T is H at the harmonics of the force
transfer_from_h = np.fft.fft(impulse_periodic)[:6] * step
transfer_exact = oscillator.transfer(np.arange(6) * omega)
print(f"{'n':>2}  {'k|H| from h_T':>13}  {'k|H| exact':>10}  {'lag from h_T':>12}  "
      f"{'lag exact':>9}")
for harmonic, (approx, exact) in enumerate(zip(transfer_from_h, transfer_exact, strict=True)):
    print(f"{harmonic:2d}  {oscillator.stiffness * abs(approx):13.5f}  "
          f"{oscillator.stiffness * abs(exact):10.5f}  {-np.angle(approx) + 0.0:12.5f}  "
          f"{-np.angle(exact) + 0.0:9.5f}")
assert np.allclose(transfer_from_h, oscillator.transfer(np.arange(6) * omega),
                   rtol=0, atol=1e-5 * static)

nudge = 1e-9 * period
force_samples = 0.5 * (sc.square_wave(t_period - nudge, period, width, amplitude)
                       + sc.square_wave(t_period + nudge, period, width, amplitude))
x_convolved = sc.circular_convolve(force_samples, impulse_periodic) * step
x_superposed = oscillator.steady_state(force, t_period)
relative = np.abs(x_convolved - x_superposed).max() / np.abs(x_superposed).max()
print(f"max |convolution - superposition| / amplitude = {relative:.1e}")
assert relative < 5e-6
