"""Per-entry update rules of the optimizers, compiled for both targets.

Plain Python functions of an index into flat arrays, updated in place: ``cpu.py``
compiles them with numba for the CPU (inlined into its loops) and ``cuda.py`` as CUDA
device functions, so each formula exists once. Keras 3's rules; the gradient is first
scaled (clipnorm) and clipped to ``[-clipvalue, clipvalue]``. Weight decay and the
moving average of the weights (EMA) are entries of their own, run before and after the
update as Keras does.
"""

import math


def sgd_entry(i, w, gradient, m, learning_rate, momentum, scale, clipvalue, nesterov):
    g = min(max(gradient[i] * scale, -clipvalue), clipvalue)
    if momentum > 0:
        mi = momentum * m[i] - g * learning_rate
        m[i] = mi
        if nesterov:
            w[i] += momentum * mi - g * learning_rate
        else:
            w[i] += mi
    else:
        w[i] -= g * learning_rate


def adam_entry(i, w, gradient, m, v, v_hat, alpha, one_minus_beta_1, one_minus_beta_2,
               epsilon, scale, clipvalue, amsgrad):
    g = min(max(gradient[i] * scale, -clipvalue), clipvalue)
    mi = m[i] + (g - m[i]) * one_minus_beta_1
    vi = v[i] + (g * g - v[i]) * one_minus_beta_2
    m[i] = mi
    v[i] = vi
    if amsgrad:
        vi = max(v_hat[i], vi)
        v_hat[i] = vi
    w[i] -= (mi * alpha) / (math.sqrt(vi) + epsilon)


def rmsprop_entry(i, w, gradient, v, m, average, learning_rate, rho, one_minus_rho, momentum,
                  epsilon, scale, clipvalue, centered):
    g = min(max(gradient[i] * scale, -clipvalue), clipvalue)
    vi = rho * v[i] + one_minus_rho * (g * g)
    v[i] = vi
    if centered:
        ai = rho * average[i] + one_minus_rho * g
        average[i] = ai
        denominator = vi - ai * ai + epsilon
    else:
        denominator = vi + epsilon
    increment = learning_rate * g / math.sqrt(denominator)
    if momentum > 0:
        mi = momentum * m[i] + increment
        m[i] = mi
        w[i] -= mi
    else:
        w[i] -= increment


def adagrad_entry(i, w, gradient, accumulator, learning_rate, epsilon, scale, clipvalue):
    g = min(max(gradient[i] * scale, -clipvalue), clipvalue)
    ai = accumulator[i] + g * g
    accumulator[i] = ai
    w[i] -= (learning_rate * g) / math.sqrt(ai + epsilon)


def adadelta_entry(i, w, gradient, accumulated_grad, accumulated_delta, learning_rate, rho,
                   one_minus_rho, epsilon, scale, clipvalue):
    g = min(max(gradient[i] * scale, -clipvalue), clipvalue)
    ag = rho * accumulated_grad[i] + one_minus_rho * (g * g)
    accumulated_grad[i] = ag
    delta = -((math.sqrt(accumulated_delta[i] + epsilon) * g) / math.sqrt(ag + epsilon))
    accumulated_delta[i] = rho * accumulated_delta[i] + one_minus_rho * (delta * delta)
    w[i] += learning_rate * delta


def adamax_entry(i, w, gradient, m, u, learning_rate, one_minus_beta_1, beta_2,
                 one_minus_beta_1_power, epsilon, scale, clipvalue):
    g = min(max(gradient[i] * scale, -clipvalue), clipvalue)
    mi = m[i] + (g - m[i]) * one_minus_beta_1
    m[i] = mi
    ui = max(beta_2 * u[i], abs(g))
    u[i] = ui
    w[i] -= (learning_rate * mi) / (one_minus_beta_1_power * (ui + epsilon))


def nadam_entry(i, w, gradient, m, v, learning_rate, one_minus_beta_1, one_minus_beta_2,
                u_next, one_minus_product_next, one_minus_u, one_minus_product,
                one_minus_beta_2_power, epsilon, scale, clipvalue):
    g = min(max(gradient[i] * scale, -clipvalue), clipvalue)
    mi = m[i] + (g - m[i]) * one_minus_beta_1
    vi = v[i] + (g * g - v[i]) * one_minus_beta_2
    m[i] = mi
    v[i] = vi
    m_hat = (u_next * mi) / one_minus_product_next + (one_minus_u * g) / one_minus_product
    v_hat = vi / one_minus_beta_2_power
    w[i] -= (m_hat * learning_rate) / (math.sqrt(v_hat) + epsilon)


def weight_decay_entry(i, w, weight_decay, learning_rate):
    w[i] -= w[i] * weight_decay * learning_rate


def ema_entry(i, average, w, momentum, one_minus_momentum, overwrite):
    ai = momentum * average[i] + one_minus_momentum * w[i]
    average[i] = ai
    if overwrite:
        w[i] = ai
