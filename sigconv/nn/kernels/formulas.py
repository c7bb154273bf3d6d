"""Per-entry update rules of the optimizers, compiled for both targets.

Plain Python functions of an index into flat arrays, updated in place: ``cpu.py``
compiles them with numba for the CPU (inlined into its loops) and ``cuda.py`` as CUDA
device functions, so each formula exists once. Keras 3's rules; the gradient is first
scaled (clipnorm) and clipped to ``[-clipvalue, clipvalue]``.
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


def adam_entry(i, w, gradient, m, v, alpha, one_minus_beta_1, one_minus_beta_2, epsilon,
               scale, clipvalue):
    g = min(max(gradient[i] * scale, -clipvalue), clipvalue)
    mi = m[i] + (g - m[i]) * one_minus_beta_1
    vi = v[i] + (g * g - v[i]) * one_minus_beta_2
    m[i] = mi
    v[i] = vi
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
