"""
Convolution basics: polynomials, Toeplitz matrices and deconvolution
====================================================================

Convolution is the operation behind polynomial multiplication, linear filtering,
blurring, and the layers of a convolutional network. This tutorial builds it up from
the smallest example, the product of two polynomials, and follows it through the
three ways sigconv lets you compute it:

* as a sum (:func:`sigconv.convolve`, :func:`sigconv.polymul`),
* as a matrix-vector product with a Toeplitz matrix
  (:func:`sigconv.convolution_matrix`), which is how to *think* about it, and
* as a linear operator that never forms that matrix (:class:`sigconv.ToeplitzOperator`),
  which is how to *compute* with it, for instance to undo a blur.

Every claim below is checked in code, with an ``assert`` or a printed comparison.
"""

import matplotlib.pyplot as plt
import numpy as np
from numpy.polynomial import polynomial as npoly
from scipy.sparse.linalg import lsqr

import sigconv as sc

rng = np.random.default_rng(seed=2024)

# %%
# The discrete convolution
# ------------------------
#
# The convolution of two sequences :math:`a` and :math:`b` is the sequence
#
# .. math:: (a * b)_n = \sum_{k=-\infty}^{\infty} a_k\, b_{n-k}.
#
# For finite sequences (zero outside :math:`0 \le k < m` and :math:`0 \le k < n`) only
# :math:`m + n - 1` outputs can be nonzero. Written out as two loops, straight from the
# definition, it reads:


def convolve_by_definition(a, b):
    """The defining double sum; slow, but obviously right."""
    out = np.zeros(len(a) + len(b) - 1)
    for n in range(out.size):
        for k in range(len(a)):
            if 0 <= n - k < len(b):
                out[n] += a[k] * b[n - k]
    return out


a = np.array([1.0, 2.0, 3.0])
b = np.array([0.5, -1.0, 4.0, 2.0])
print("by definition :", convolve_by_definition(a, b))
print("sc.convolve   :", sc.convolve(a, b))
assert np.allclose(sc.convolve(a, b), convolve_by_definition(a, b))

# %%
# Substituting :math:`k \to n - k` in the sum shows that the order of the two inputs
# does not matter: convolution is commutative.

assert np.allclose(sc.convolve(a, b), sc.convolve(b, a))

# %%
# Polynomial multiplication is convolution
# ----------------------------------------
#
# Take a quadratic and a cubic,
#
# .. math::
#
#    p(t) = \alpha_0 + \alpha_1 t + \alpha_2 t^2, \qquad
#    s(t) = \beta_0 + \beta_1 t + \beta_2 t^2 + \beta_3 t^3 .
#
# Their product is a polynomial of degree five,
# :math:`z(t) = \delta_0 + \delta_1 t + \dots + \delta_5 t^5`. Collecting the terms of
# equal power by hand gives
#
# .. math::
#
#    \delta_0 &= \alpha_0\beta_0, \\
#    \delta_1 &= \alpha_0\beta_1 + \alpha_1\beta_0, \\
#    \delta_2 &= \alpha_0\beta_2 + \alpha_1\beta_1 + \alpha_2\beta_0, \\
#    \delta_3 &= \alpha_0\beta_3 + \alpha_1\beta_2 + \alpha_2\beta_1, \\
#    \delta_4 &= \alpha_1\beta_3 + \alpha_2\beta_2, \\
#    \delta_5 &= \alpha_2\beta_3 .
#
# Each :math:`\delta_l` sums the products :math:`\alpha_i\beta_j` with
# :math:`i + j = l`. Setting :math:`\alpha_i = 0` outside :math:`i \in \{0, 1, 2\}` and
# :math:`\beta_j = 0` outside :math:`j \in \{0, 1, 2, 3\}`, that is exactly
#
# .. math:: \delta_l = \sum_i \alpha_i\, \beta_{l-i} = (\alpha * \beta)_l ,
#
# the convolution of the coefficient sequences. :func:`sigconv.polymul` computes it
# (coefficients lowest order first, as in :mod:`numpy.polynomial`).

alpha = np.array([2, -1, 3])  # p(t) = 2 - t + 3 t^2
beta = np.array([1, 4, -2, 5])  # s(t) = 1 + 4 t - 2 t^2 + 5 t^3

delta = sc.polymul(alpha, beta)

a0, a1, a2 = alpha
b0, b1, b2, b3 = beta
delta_by_hand = np.array([
    a0 * b0,
    a0 * b1 + a1 * b0,
    a0 * b2 + a1 * b1 + a2 * b0,
    a0 * b3 + a1 * b2 + a2 * b1,
    a1 * b3 + a2 * b2,
    a2 * b3,
])
print("sc.polymul :", delta)
print("by hand    :", delta_by_hand)
assert np.array_equal(delta, delta_by_hand)
assert np.array_equal(delta, npoly.polymul(alpha, beta))

# %%
# As a last check, the product polynomial agrees with :math:`p(t)\,s(t)` everywhere:

t = np.linspace(-1.5, 1.0, 200)
p_t = npoly.polyval(t, alpha)
s_t = npoly.polyval(t, beta)
z_t = npoly.polyval(t, delta)
assert np.allclose(z_t, p_t * s_t)

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(t, p_t, label=r"$p(t)$")
ax.plot(t, s_t, label=r"$s(t)$")
ax.plot(t, z_t, "k", lw=2, label=r"$z(t)$ from the convolved coefficients")
ax.plot(t[::10], (p_t * s_t)[::10], "o", mfc="none", color="C3", label=r"$p(t)\,s(t)$")
ax.set_xlabel("$t$")
ax.legend()
ax.set_title("Multiplying polynomials convolves their coefficients")

# %%
# The Toeplitz matrix of a convolution
# ------------------------------------
#
# With :math:`\alpha` fixed, :math:`\delta` is a linear function of :math:`\beta`, so it
# is a matrix-vector product:
#
# .. math::
#
#    \boldsymbol{\delta} =
#    \begin{bmatrix}
#      \alpha_0 & 0 & 0 & 0 \\
#      \alpha_1 & \alpha_0 & 0 & 0 \\
#      \alpha_2 & \alpha_1 & \alpha_0 & 0 \\
#      0 & \alpha_2 & \alpha_1 & \alpha_0 \\
#      0 & 0 & \alpha_2 & \alpha_1 \\
#      0 & 0 & 0 & \alpha_2
#    \end{bmatrix}
#    \begin{bmatrix} \beta_0 \\ \beta_1 \\ \beta_2 \\ \beta_3 \end{bmatrix}.
#
# The entry in row :math:`i`, column :math:`j` is :math:`\alpha_{i-j}`: it depends only on
# :math:`i - j`, so every diagonal is constant. Such a matrix, square or not, is a
# *Toeplitz matrix*. :func:`sigconv.convolution_matrix` builds it.

A = sc.convolution_matrix(alpha, len(beta))
print(A)
print("A @ beta =", A @ beta)
assert np.array_equal(A @ beta, delta)

# every diagonal of A holds a single value
for offset in range(-A.shape[0] + 1, A.shape[1]):
    diagonal = np.diagonal(A, offset)
    assert np.all(diagonal == diagonal[0])

# %%
# A Toeplitz matrix is fixed by its first column and first row, which is what
# :func:`sigconv.toeplitz` takes:

first_column = np.concatenate((alpha, np.zeros(len(beta) - 1, dtype=alpha.dtype)))
first_row = np.concatenate(([alpha[0]], np.zeros(len(beta) - 1, dtype=alpha.dtype)))
assert np.array_equal(sc.toeplitz(first_column, first_row), A)

# %%
# Because convolution is commutative, the roles can be swapped: a :math:`6 \times 3`
# Toeplitz matrix built from :math:`\beta` times the vector :math:`\alpha` gives the same
# coefficients.

B = sc.convolution_matrix(beta, len(alpha))
print(B)
print("B @ alpha =", B @ alpha)
assert np.array_equal(B @ alpha, delta)

# %%
# Why the matrix is never formed
# ------------------------------
#
# The matrix view is for the mathematics, not for the implementation. For a signal of
# :math:`n` samples and a kernel of :math:`m` taps, the full convolution matrix has
# :math:`(n + m - 1) \times n` entries, nearly all of them zero, while the convolution
# itself only needs the :math:`m` taps. Here is the band structure for a short signal
# and a Gaussian smoothing kernel:

taps = np.arange(-15, 16)
kernel = np.exp(-0.5 * (taps / 5.0) ** 2)
kernel /= kernel.sum()  # a blur that preserves the mean

fig, ax = plt.subplots(figsize=(4, 4.5), layout="constrained")
ax.matshow(sc.convolution_matrix(kernel, 60), cmap="Greys")
ax.set_xlabel("column $j$")
ax.set_ylabel("row $i$")
ax.set_title("convolution_matrix(kernel, 60)")

# %%
# For a signal of a million samples, the dense matrix would not fit in any computer's
# memory. :class:`sigconv.ToeplitzOperator` stores only the kernel and applies the
# matrix by convolution, so its products cost the time and memory of a convolution.

n_long = 1_000_000
long_signal = rng.standard_normal(n_long)
operator = sc.ToeplitzOperator(kernel, n_long)

dense_bytes = operator.shape[0] * operator.shape[1] * np.dtype(np.float64).itemsize
print(f"operator shape          : {operator.shape}")
print(f"dense matrix would need : {dense_bytes / 1e12:.1f} TB")
print(f"operator stores         : {operator.a.nbytes} bytes (the {kernel.size} taps)")
assert np.allclose(operator @ long_signal, sc.convolve(kernel, long_signal))

# %%
# On a size where the matrix does fit, the operator and the dense matrix agree, and the
# operator's adjoint (used by iterative solvers) passes the dot-product test
# :math:`\langle A x, y\rangle = \langle x, A^T y\rangle`.

n_small = 200
small = sc.ToeplitzOperator(kernel, n_small)
dense = sc.convolution_matrix(kernel, n_small)
x_test = rng.standard_normal(n_small)
y_test = rng.standard_normal(small.shape[0])
assert np.allclose(small @ x_test, dense @ x_test)
assert np.allclose(small.T @ y_test, dense.T @ y_test)
assert np.isclose(np.dot(small @ x_test, y_test), np.dot(x_test, small.T @ y_test))

# %%
# Deconvolution
# -------------
#
# Deconvolution undoes a convolution: given :math:`y = h * x` and the kernel
# :math:`h`, find :math:`x`. For polynomials it is long division, which
# :func:`sigconv.deconvolve` performs; it returns the quotient and the remainder with
# ``signal == convolve(divisor, quotient) + remainder``. Dividing our product
# :math:`z` by :math:`p` gives back :math:`s` with nothing left over:

quotient, remainder = sc.deconvolve(delta, alpha)
print("quotient :", quotient, " remainder :", remainder)
assert np.allclose(quotient, beta)
assert np.allclose(remainder, 0.0)

# %%
# Now a signal: a few peaks, two pairs of which sit close together.

n = 300
samples = np.arange(n)


def peak(centre, width, height):
    return height * np.exp(-0.5 * ((samples - centre) / width) ** 2)


x_true = (
    peak(60, 3, 1.0) + peak(80, 3, 0.7) + peak(170, 8, 0.8) + peak(230, 2, 1.2)
    + peak(242, 2, 0.9)
)

# %%
# Long division solves :math:`y = h * x` one sample at a time,
#
# .. math:: x_i = \Bigl(y_i - \sum_{j \ge 1} h_j\, x_{i-j}\Bigr) / h_0 ,
#
# a recursive filter. Every error made at step :math:`i` is fed back into all the
# following steps, and it grows geometrically unless all the roots of the kernel
# polynomial lie inside the unit circle (a *minimum-phase* kernel). A causal
# exponential decay :math:`h_k = (1 - r) r^k` has its roots on the circle of radius
# :math:`r < 1`, and long division recovers the signal to rounding error:

r = 0.8
decay = (1 - r) * r ** np.arange(20)
print("largest root of the decay kernel   :", np.abs(np.roots(decay)).max())
assert np.abs(np.roots(decay)).max() < 1

recovered, _ = sc.deconvolve(sc.convolve(decay, x_true), decay)
print("decay kernel, max error            :", np.abs(recovered - x_true).max())
assert np.allclose(recovered, x_true)

# %%
# A symmetric kernel such as the Gaussian blur has its roots in pairs :math:`z` and
# :math:`1/z`, so some lie outside the unit circle. Then the recursion explodes, even
# without any noise: the rounding errors alone are amplified beyond recognition.

blurred = sc.convolve(kernel, x_true)
print("largest root of the Gaussian kernel:", np.abs(np.roots(kernel)).max())
assert np.abs(np.roots(kernel)).max() > 1

exploded, _ = sc.deconvolve(blurred, kernel)
print("Gaussian kernel, max error         :", np.abs(exploded - x_true).max())
assert np.abs(exploded - x_true).max() > 1e3

# %%
# Deconvolution as least squares
# ------------------------------
#
# A measured signal is also noisy. Instead of inverting the convolution exactly, we ask
# for the :math:`x` that explains the measurement best,
#
# .. math:: \min_x \; \| A x - y \|_2^2 + \lambda^2 \| x \|_2^2 ,
#
# where :math:`A` is the convolution matrix of the kernel and the small penalty
# :math:`\lambda` (Tikhonov regularisation) keeps the noise from being amplified.
# :func:`scipy.sparse.linalg.lsqr` solves this with products by :math:`A` and
# :math:`A^T` only, which is exactly what :class:`sigconv.ToeplitzOperator` provides.

noisy = blurred + rng.normal(scale=0.005, size=blurred.size)
blur_operator = sc.ToeplitzOperator(kernel, n)

x_lsqr = lsqr(blur_operator, noisy, damp=0.02, iter_lim=200)[0]
x_undamped = lsqr(blur_operator, noisy, damp=0.0, iter_lim=200)[0]

# the full convolution is longer than the signal: align it with x_true for comparison
offset = (kernel.size - 1) // 2
noisy_aligned = noisy[offset:offset + n]


def relative_error(estimate):
    return np.linalg.norm(estimate - x_true) / np.linalg.norm(x_true)


print(f"relative error of the blurred, noisy signal : {relative_error(noisy_aligned):.3f}")
print(f"relative error of lsqr, damp=0.02           : {relative_error(x_lsqr):.3f}")
print(f"relative error of lsqr, no damping          : {relative_error(x_undamped):.3f}")
assert relative_error(x_lsqr) < 0.5 * relative_error(noisy_aligned)
assert relative_error(x_undamped) > 2 * relative_error(x_lsqr)

# %%
# The regularised solution separates the peaks that the blur had merged; without the
# penalty, lsqr eventually fits the noise and the estimate oscillates.

fig, axes = plt.subplots(2, 1, figsize=(7, 5), sharex=True, layout="constrained")
axes[0].plot(samples, x_true, "k", lw=2, label="signal")
axes[0].plot(samples, noisy_aligned, color="C1", label="blurred + noise")
axes[0].plot(samples, x_lsqr, color="C0", label="lsqr on ToeplitzOperator (damp=0.02)")
axes[0].legend(loc="upper right", fontsize="small")
axes[0].set_title("Deconvolution by least squares")
axes[1].plot(samples, x_true, "k", lw=2, label="signal")
axes[1].plot(samples, x_undamped, color="C3", lw=0.8, label="lsqr, no damping")
axes[1].legend(loc="upper right", fontsize="small")
axes[1].set_xlabel("sample")

# %%
# FFT convolution equals direct convolution
# -----------------------------------------
#
# The direct sum costs :math:`O(nm)` operations. The convolution theorem turns
# convolution into a pointwise product of discrete Fourier transforms, :math:`O(N \log
# N)` with :math:`N = n + m - 1` after zero-padding, so the FFT wins for long kernels.
# Both methods compute the same linear convolution, up to rounding:

signal = rng.standard_normal(50_000)
long_kernel = rng.standard_normal(2_001)

by_direct = sc.convolve(signal, long_kernel, method="direct")
by_fft = sc.convolve(signal, long_kernel, method="fft")
by_overlap_add = sc.convolve(signal, long_kernel, method="oa")

scale = np.abs(by_direct).max()
print("max |fft - direct| / max |direct|        :", np.abs(by_fft - by_direct).max() / scale)
print("max |overlap-add - direct| / max |direct|:",
      np.abs(by_overlap_add - by_direct).max() / scale)
assert np.allclose(by_fft, by_direct, rtol=1e-10, atol=1e-10 * scale)
assert np.allclose(by_overlap_add, by_direct, rtol=1e-10, atol=1e-10 * scale)

# %%
# ``method="auto"``, the default, picks the method with a cost model;
# :func:`sigconv.choose_conv_method` tells which one it would use. Integer inputs always
# go direct, because only the direct sum is exact for them.

print("long kernel :", sc.choose_conv_method(signal, long_kernel))
print("short kernel:", sc.choose_conv_method(signal, kernel))
print("integers    :", sc.choose_conv_method(np.arange(50_000), np.arange(2_001)))
assert sc.choose_conv_method(np.arange(50_000), np.arange(2_001)) == "direct"
