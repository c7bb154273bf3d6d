"""
CNN layers from the inside: forward and backward
================================================

A convolutional network is trained by backpropagation: every layer computes its output
from its input (the forward pass) and, given the gradient of the loss with respect to
that output, the gradients with respect to its input and to its weights (the backward
pass). This tutorial opens the layers of :mod:`sigconv.nn` and checks each pass against
something simpler:

* the forward pass of :class:`~sigconv.nn.Conv2D` is a sum of 2-D cross-correlations
  (:func:`sigconv.correlate2d`), and one matrix product once the image is cut into
  patches (im2col, :func:`sigconv.nn.functional.patches`);
* its backward pass is a *full convolution* of the output gradient with the kernel (the
  transposed convolution) for the input, and a correlation of the input with the output
  gradient for the kernel; the adjoint identity :math:`\\langle A x, y \\rangle =
  \\langle x, A^T y \\rangle` ties the two passes together;
* max pooling sends each gradient back to the input that won its window, ReLU lets it
  through where the input was positive;
* :func:`sigconv.nn.check_gradients` compares every backward pass with finite
  differences;
* and a training loop written out by hand -- forward, loss, backward, SGD step --
  learns a handful of digits.

Every claim below is checked in code, with an ``assert`` or a printed comparison.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

import sigconv as sc
from sigconv import datasets, nn
from sigconv.nn import functional

rng = np.random.default_rng(seed=7)
nn.set_random_seed(7)  # the initial weights of every layer below

# %%
# The forward pass is a cross-correlation
# ---------------------------------------
#
# A :class:`~sigconv.nn.Conv2D` layer with kernel :math:`K` of shape
# :math:`(k_h, k_w, c_{in}, c_{out})` and bias :math:`b` computes, for every image of the
# batch, every position :math:`(i, j)` and every filter :math:`f`,
#
# .. math::
#
#    z_{ijf} = b_f + \sum_{c} \sum_{m, n} x_{i + m,\, j + n,\, c}\; K_{m n c f},
#
# the cross-correlation of each input channel with its slice of the filter, summed over
# the channels -- the lecture's :math:`S(i, j) = \sum_m \sum_n I(i + m, j + n) K(m, n)`,
# once per channel. Deep-learning libraries compute this and call it convolution. We
# build a layer in float64, give it known weights, and compare with
# :func:`sigconv.correlate2d` channel by channel:

image = rng.standard_normal((1, 7, 8, 3))  # one 7x8 image with three channels
kernel = rng.standard_normal((3, 3, 3, 1))
bias = np.array([0.5])

one_filter = nn.Conv2D(1, 3, dtype="float64", input_shape=(7, 8, 3))
one_filter.set_weights([kernel, bias])
output = one_filter(image)

by_channel = sum(sc.correlate2d(image[0, :, :, c], kernel[:, :, c, 0], mode="valid")
                 for c in range(3)) + bias[0]
print("output shape:", output.shape,
      " max |Conv2D - sum of correlate2d|:", np.abs(output[0, :, :, 0] - by_channel).max())
assert output.shape == (1, 5, 6, 1)
assert np.allclose(output[0, :, :, 0], by_channel)

# %%
# A true convolution flips the kernel, so the same numbers come from
# :func:`sigconv.convolve2d` with every kernel slice reversed along both axes -- and
# differ without the flip:

flipped = sum(sc.convolve2d(image[0, :, :, c], kernel[::-1, ::-1, c, 0], mode="valid")
              for c in range(3)) + bias[0]
unflipped = sum(sc.convolve2d(image[0, :, :, c], kernel[:, :, c, 0], mode="valid")
                for c in range(3)) + bias[0]
assert np.allclose(output[0, :, :, 0], flipped)
assert not np.allclose(output[0, :, :, 0], unflipped)

# %%
# With several filters, each output channel is one such sum, with its own slice of the
# kernel:

layer = nn.Conv2D(4, 3, dtype="float64")
outputs = layer(image)
kernel4, bias4 = layer.get_weights()
for f in range(4):
    expected = sum(sc.correlate2d(image[0, :, :, c], kernel4[:, :, c, f], mode="valid")
                   for c in range(3)) + bias4[f]
    assert np.allclose(outputs[0, :, :, f], expected)

# %%
# im2col: the convolution as one matrix product
# ---------------------------------------------
#
# Every output value is the dot product of one window of the input with one filter. So
# copy every window into a row of a matrix -- *im2col*, what
# :func:`sigconv.nn.functional.patches` does -- and the whole layer becomes a single matrix
# product, which BLAS computes fast. On a small single-channel image with readable values,
# the :math:`3 \times 3` windows of a ``"valid"`` convolution:

small = np.arange(1.0, 21.0).reshape(1, 4, 5, 1)  # one 4x5 image, values 1..20
small_geometry = functional.window_geometry((4, 5), (3, 3), (1, 1), (1, 1), "valid")
small_patches = functional.patches(small, small_geometry)
print("image:\n", small[0, :, :, 0])
print("geometry:", small_geometry)
print("patches (one row per output position, one column per tap), shape",
      small_patches.shape, "\n", small_patches[:, :, 0])
assert small_patches.shape == (2 * 3, 9, 1)
# the row of output (1, 2) is the window of rows 1..3 and columns 2..4, read row by row
assert np.array_equal(small_patches[1 * 3 + 2, :, 0], small[0, 1:4, 2:5, 0].ravel())

# %%
# Output position :math:`(i, j)` is row :math:`i\, n_{out,w} + j` of the matrix; within
# the row the taps follow the kernel row by row. The picture, for the window of output
# :math:`(1, 2)`:


def annotate_grid(ax, values, fmt="{:g}", fontsize=9):
    """Write each value of a 2-D array in its cell."""
    for (row, col), value in np.ndenumerate(values):
        ax.text(col, row, fmt.format(value), ha="center", va="center", fontsize=fontsize)


fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), width_ratios=(5, 9), layout="constrained")
axes[0].imshow(small[0, :, :, 0], cmap="Blues", vmin=-10, vmax=30)
annotate_grid(axes[0], small[0, :, :, 0])
axes[0].add_patch(Rectangle((1.5, 0.5), 3, 3, fill=False, edgecolor="C3", lw=3))
axes[0].set_title("4x5 image; window of output (1, 2)")
axes[1].imshow(small_patches[:, :, 0], cmap="Blues", vmin=-10, vmax=30)
annotate_grid(axes[1], small_patches[:, :, 0])
axes[1].add_patch(Rectangle((-0.5, 4.5), 9, 1, fill=False, edgecolor="C3", lw=3))
axes[1].set_title("patches: 6 output positions x 9 taps")
axes[1].set_yticks(range(6), [f"({i}, {j})" for i in range(2) for j in range(3)])
axes[1].set_ylabel("output position")
axes[1].set_xticks(range(9), [f"({m},{n})" for m in range(3) for n in range(3)],
                   fontsize=8)
axes[1].set_xlabel("tap (kernel row, kernel column)")
axes[0].set_xticks(range(5))
axes[0].set_yticks(range(4))
axes[0].set_xlabel("column")
axes[0].set_ylabel("row")

# %%
# With :math:`c_{in}` channels each row holds :math:`k_h k_w c_{in}` values, and the
# kernel, reshaped to :math:`(k_h k_w c_{in}) \times c_{out}`, has one column per filter:
#
# .. math:: Z = \text{patches}(X)\; W + \mathbf{1} b^T,
#     \qquad (n\, n_{out,h}\, n_{out,w}) \times (k_h k_w c_{in}) \;\cdot\;
#     (k_h k_w c_{in}) \times c_{out}.
#
# The same holds with strides and padding, where the patches read zeros beyond the image.
# For a batch of two :math:`9 \times 9` images with three channels, stride 2 and
# ``"same"`` padding:

batch = rng.standard_normal((2, 9, 9, 3))
strided = nn.Conv2D(5, 3, strides=2, padding="same", dtype="float64")
strided_output = strided(batch)
geometry = functional.window_geometry((9, 9), (3, 3), (2, 2), (1, 1), "same")
columns = functional.patches(batch, geometry)
weights = strided.params["kernel"].reshape(-1, 5)
as_product = columns.reshape(columns.shape[0], -1) @ weights + strided.params["bias"]
print(f"patches {columns.reshape(columns.shape[0], -1).shape} @ kernel {weights.shape}"
      f" -> {as_product.shape}, reshaped to {strided_output.shape}")
assert np.allclose(as_product.reshape(strided_output.shape), strided_output)

# %%
# The backward pass of a convolution
# ----------------------------------
#
# Backpropagation hands the layer :math:`g = \partial L / \partial z`, an array shaped
# like its output, and asks for the gradients with respect to the bias, the kernel and
# the input. The chain rule applied to the sum above gives three familiar operations:
#
# .. math::
#
#    \frac{\partial L}{\partial b_f} = \sum_{i, j} g_{ijf}, \qquad
#    \frac{\partial L}{\partial K_{mncf}} = \sum_{i, j} x_{i + m,\, j + n,\, c}\; g_{ijf},
#    \qquad
#    \frac{\partial L}{\partial x_{pqc}} = \sum_f \sum_{m, n} g_{p - m,\, q - n,\, f}\;
#    K_{mncf},
#
# summed over the batch too (for the bias and the kernel). The kernel gradient is the
# *correlation* of the input with the output gradient, a ``"valid"`` correlation of an
# image with a smaller one, with a result as large as the kernel. The input gradient is
# the *convolution* of the output gradient with the kernel -- no flip cancels this time --
# in ``"full"`` mode: each output value was read from a whole window, so its gradient
# spreads back over that window, and the input comes out with its original size. This
# operation is called the *transposed convolution*. For stride 1 and ``"valid"``
# padding:

x = rng.standard_normal((2, 7, 8, 3))
conv = nn.Conv2D(4, 3, dtype="float64")
z = conv(x)
g = rng.standard_normal(z.shape)
dx = conv.backward(g)
K = conv.params["kernel"]

expected_dx = np.zeros_like(x)
expected_dk = np.zeros_like(K)
for b in range(2):
    for c in range(3):
        for f in range(4):
            expected_dx[b, :, :, c] += sc.convolve2d(g[b, :, :, f], K[:, :, c, f], mode="full")
            expected_dk[:, :, c, f] += sc.correlate2d(x[b, :, :, c], g[b, :, :, f],
                                                      mode="valid")
print("max |input gradient  - full convolutions|:", np.abs(dx - expected_dx).max())
print("max |kernel gradient - correlations     |:",
      np.abs(conv.grads["kernel"] - expected_dk).max())
assert dx.shape == x.shape and conv.grads["kernel"].shape == K.shape
assert np.allclose(dx, expected_dx)
assert np.allclose(conv.grads["kernel"], expected_dk)
assert np.allclose(conv.grads["bias"], g.sum(axis=(0, 1, 2)))

# %%
# In im2col form the same three gradients are matrix products again, with the transposes
# of the forward one: :math:`\partial L / \partial W = \text{patches}(X)^T G`, and
# :math:`G W^T` gives one row of window gradients per output position, which *col2im*
# (:func:`sigconv.nn.functional.patches_adjoint`) adds back onto the pixels each window
# was read from -- overlapping windows add up.

valid_geometry = functional.window_geometry((7, 8), (3, 3), (1, 1), (1, 1), "valid")
x_columns = functional.patches(x, valid_geometry)
G = g.reshape(-1, 4)
W = K.reshape(-1, 4)
assert np.allclose(x_columns.reshape(len(G), -1).T @ G, conv.grads["kernel"].reshape(-1, 4))
window_grads = (G @ W.T).reshape(x_columns.shape)
assert np.allclose(functional.patches_adjoint(window_grads, valid_geometry, np.zeros_like(x)),
                   dx)

# %%
# The adjoint identity
# ^^^^^^^^^^^^^^^^^^^^
#
# Without its bias, a convolution is a linear map :math:`A` of the input, and its input
# gradient is :math:`A^T g`, whatever the strides and the padding: the transpose is what
# the name *transposed convolution* refers to. The defining property of the transpose is
# :math:`\langle A x, y \rangle = \langle x, A^T y \rangle` for all :math:`x` and
# :math:`y`. With :math:`A x = \text{patches}(x)\, W` and
# :math:`A^T y = \text{patches\_adjoint}(y\, W^T)`, for the strided ``"same"`` layer from
# above:

W5 = strided.params["kernel"].reshape(-1, 5)


def apply_A(images):
    cols = functional.patches(images, geometry)
    return (cols.reshape(len(cols), -1) @ W5).reshape(strided_output.shape)


def apply_A_transpose(y):
    rows = y.reshape(-1, 5)
    cols = (rows @ W5.T).reshape(len(rows), geometry.taps, 3)
    return functional.patches_adjoint(cols, geometry, np.zeros(batch.shape))


x_test = rng.standard_normal(batch.shape)
y_test = rng.standard_normal(strided_output.shape)
left, right = np.vdot(apply_A(x_test), y_test), np.vdot(x_test, apply_A_transpose(y_test))
print(f"<A x, y> = {left:.12f}\n<x, A^T y> = {right:.12f}")
assert np.isclose(left, right, rtol=1e-12)

# the layer's backward pass is this transpose
strided(x_test)
assert np.allclose(strided.backward(y_test), apply_A_transpose(y_test))

# %%
# The identity holds for the patches alone: col2im is the adjoint of im2col.

cols_test = rng.standard_normal(columns.shape)
assert np.isclose(np.vdot(functional.patches(x_test, geometry), cols_test),
                  np.vdot(x_test, functional.patches_adjoint(cols_test, geometry,
                                                             np.zeros(batch.shape))))

# %%
# With a stride, the transposed convolution is a full convolution of the output
# gradient *spread out* by the stride: put the gradient values :math:`s` pixels apart,
# with zeros between them, then convolve as before. Input pixels that no window reads --
# here the last column of a 9x10 input with stride 2 -- get no gradient at all.

x_strided = rng.standard_normal((1, 9, 10, 1))
conv_s2 = nn.Conv2D(1, 3, strides=2, dtype="float64")
g_s2 = rng.standard_normal(conv_s2(x_strided).shape)
dx_s2 = conv_s2.backward(g_s2)[0, :, :, 0]

spread = np.zeros((2 * g_s2.shape[1] - 1, 2 * g_s2.shape[2] - 1))
spread[::2, ::2] = g_s2[0, :, :, 0]
full = sc.convolve2d(spread, conv_s2.params["kernel"][:, :, 0, 0], mode="full")
print("output", g_s2.shape[1:3], "-> spread gradient", spread.shape, "-> full convolution",
      full.shape, "; input", dx_s2.shape)
assert np.allclose(dx_s2[:full.shape[0], :full.shape[1]], full)
assert np.all(dx_s2[:, full.shape[1]:] == 0)

# %%
# Max pooling: the gradient goes to the winner
# --------------------------------------------
#
# :class:`~sigconv.nn.MaxPooling2D` keeps the largest value of each window. A small change
# of the winning input changes the output by the same amount; a small change of any other
# input changes nothing. So the backward pass routes each output gradient to the position
# of its window's maximum (the argmax, stored by the forward pass) and gives zero to all
# the rest. On a :math:`6 \times 6` input with distinct values, pooled by :math:`2 \times 2`
# windows:

pool_input = rng.permutation(36).reshape(1, 6, 6, 1).astype(float)
pool = nn.MaxPooling2D(2, dtype="float64")
pooled = pool(pool_input)
pool_grad = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)  # a distinct gradient per output
routed = pool.backward(pool_grad)

windows = pool_input[0, :, :, 0].reshape(3, 2, 3, 2).transpose(0, 2, 1, 3).reshape(3, 3, 4)
winners = windows.argmax(axis=2)  # index of the max inside each window, row by row
expected_routed = np.zeros((6, 6))
for i in range(3):
    for j in range(3):
        row, col = 2 * i + winners[i, j] // 2, 2 * j + winners[i, j] % 2
        expected_routed[row, col] = pool_grad[0, i, j, 0]
assert np.array_equal(pooled[0, :, :, 0], windows.max(axis=2))
assert np.array_equal(routed[0, :, :, 0], expected_routed)
print("gradient reaching the input:\n", routed[0, :, :, 0])

fig, axes = plt.subplots(1, 4, figsize=(12, 3.4), width_ratios=(6, 3, 3, 6),
                         layout="constrained")
panels = [(pool_input[0, :, :, 0], "input (6x6), maxima in red"),
          (pooled[0, :, :, 0], "pooled output (3x3)"),
          (pool_grad[0, :, :, 0], "gradient from above (3x3)"),
          (routed[0, :, :, 0], "gradient routed to the input")]
for ax, (values, title) in zip(axes, panels, strict=True):
    ax.imshow(values, cmap="Greys", vmin=-0.3 * values.max(), vmax=2 * values.max())
    annotate_grid(ax, values)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
for ax in (axes[0], axes[3]):
    for k in range(1, 3):  # the borders of the pooling windows
        ax.axhline(2 * k - 0.5, color="C0", lw=2)
        ax.axvline(2 * k - 0.5, color="C0", lw=2)
    for row, col in zip(*np.nonzero(expected_routed), strict=True):
        ax.add_patch(Rectangle((col - 0.45, row - 0.45), 0.9, 0.9, fill=False,
                               edgecolor="C3", lw=2))
fig.suptitle("MaxPooling2D(2): forward keeps each window's maximum, "
             "backward sends the gradient back to it")

# %%
# When a window holds equal values, the maximum is not differentiable; the layer then
# gives the whole gradient to the first of them in reading order, the argmax that the
# forward pass stored:

tied = np.array([[1.0, 1.0], [0.0, 1.0]]).reshape(1, 2, 2, 1)
tie_pool = nn.MaxPooling2D(2, dtype="float64")
tie_pool(tied)
assert np.array_equal(tie_pool.backward(np.ones((1, 1, 1, 1)))[0, :, :, 0],
                      [[1.0, 0.0], [0.0, 0.0]])

# %%
# :class:`~sigconv.nn.AveragePooling2D` is linear, and every input of a window weighs
# the same: each gets a quarter of the window's gradient.

average = nn.AveragePooling2D(2, dtype="float64")
average(pool_input)
assert np.allclose(average.backward(pool_grad),
                   np.repeat(np.repeat(pool_grad, 2, axis=1), 2, axis=2) / 4)

# %%
# ReLU: the gradient passes where the input was positive
# ------------------------------------------------------
#
# :math:`\text{ReLU}(z) = \max(z, 0)` has the derivative 1 for :math:`z > 0` and 0 for
# :math:`z < 0`, so its backward pass multiplies the gradient by the mask
# :math:`[z > 0]`. The layer reads the mask off its output: :math:`y > 0` exactly where
# :math:`z > 0`.

relu = nn.ReLU(dtype="float64")
z_relu = rng.standard_normal((2, 4, 4, 3))
relu(z_relu)
g_relu = rng.standard_normal(z_relu.shape)
assert np.array_equal(relu.backward(g_relu), g_relu * (z_relu > 0))
print(f"fraction of the gradient let through: {np.mean(z_relu > 0):.2f}")

# %%
# A ``Conv2D(..., activation="relu")`` fuses the two: its backward pass masks the
# gradient first and then runs the linear backward pass from above. A linear layer with
# the same weights, given the masked gradient, agrees:

fused = nn.Conv2D(4, 3, activation="relu", dtype="float64")
linear = nn.Conv2D(4, 3, dtype="float64", input_shape=x.shape[1:])
y_fused = fused(x)
linear.set_weights(fused.get_weights())
linear(x)
assert np.allclose(fused.backward(g), linear.backward(g * (y_fused > 0)))
assert np.allclose(fused.grads["kernel"], linear.grads["kernel"])

# %%
# Checking gradients with finite differences
# ------------------------------------------
#
# All of the above can be checked in one generic way. :func:`sigconv.nn.check_gradients`
# takes the scalar :math:`L = \sum y \odot R` for a fixed random :math:`R` (so the
# gradient reaching the layer is :math:`R`), computes the layer's gradients by
# backpropagation, and compares them with central differences
# :math:`(L(w + \epsilon) - L(w - \epsilon)) / 2\epsilon` in float64, one input value or
# weight at a time. It reports :math:`\|a - n\| / \max(\|a\|, \|n\|)` for the input and
# for every parameter.
#
# The inputs are random and non-uniform: on ties -- equal values in a pooling window --
# a function has no derivative, so the max-pooling input is a random permutation of
# distinct values :math:`0.01` apart, far more than the step :math:`\epsilon = 10^{-5}`.

checks = {
    "Conv2D(4, 3, strides=2, 'same')": (nn.Conv2D(4, 3, strides=2, padding="same"),
                                        rng.standard_normal((2, 7, 7, 3))),
    "Conv2D(4, 3, relu)": (nn.Conv2D(4, 3, activation="relu"),
                           rng.standard_normal((2, 6, 6, 2))),
    "MaxPooling2D(2)": (nn.MaxPooling2D(2),
                        0.01 * rng.permutation(2 * 6 * 6 * 3).reshape(2, 6, 6, 3)),
    "AveragePooling2D(2, 'same')": (nn.AveragePooling2D(2, padding="same"),
                                    rng.standard_normal((2, 5, 5, 3))),
    "Dense(5, softmax)": (nn.Dense(5, activation="softmax"), rng.standard_normal((4, 6))),
}
for name, (checked_layer, checked_input) in checks.items():
    errors = nn.check_gradients(checked_layer, checked_input)
    report = ", ".join(f"{key} {error:.1e}" for key, error in errors.items())
    print(f"{name:31}: {report}")
    assert max(errors.values()) < 1e-6

# %%
# A check on a constant input shows why: every pooling window is one big tie, finite
# differences see half a derivative for each tied input, backpropagation gives a whole
# one to the first, and the check fails loudly.

tie_errors = nn.check_gradients(nn.MaxPooling2D(2), np.ones((1, 4, 4, 1)))
print(f"MaxPooling2D on ones: relative error {tie_errors['input']:.2f}")
assert tie_errors["input"] > 0.1

# %%
# A training loop by hand
# -----------------------
#
# :meth:`sigconv.nn.Sequential.fit` does nothing more than chain these passes. Written
# out for the lecture's digits network (a little smaller), on a handful of digits:
#
# 1. forward: each layer's output is the next layer's input;
# 2. the loss: categorical cross-entropy of the softmax probabilities :math:`p`
#    against the one-hot labels :math:`t`;
# 3. backward: the softmax and the cross-entropy fuse into the simple gradient
#    :math:`(p - t) / n` with respect to the last layer's *pre-activation*
#    (:meth:`~sigconv.nn.CategoricalCrossentropy.gradient_from_softmax`), which
#    :meth:`~sigconv.nn.Layer.backward_preactivation` takes; every earlier layer turns
#    the gradient of its output into the gradient of its input (the first layer needs
#    none) and fills its ``grads``;
# 4. the update: :math:`w \leftarrow w - \eta\, \partial L / \partial w` for every
#    parameter, by :meth:`sigconv.nn.SGD.apply` on dictionaries of arrays.

images, labels = datasets.load_digits()
handful = np.concatenate([np.flatnonzero(labels == digit)[:3] for digit in range(10)])
x_few = images[handful] / 16.0  # 30 digits, three of each, pixels in [0, 1]
t_few = nn.utils.to_categorical(labels[handful])

layers = [
    nn.Conv2D(8, 3, activation="relu", input_shape=(8, 8, 1)),
    nn.MaxPooling2D(2),
    nn.Flatten(),
    nn.Dense(32, activation="relu"),
    nn.Dense(10, activation="softmax"),
]
shape = (None, 8, 8, 1)
for layer in layers:  # draw the weights now, so that we can collect them
    layer.build(shape)
    shape = layer.compute_output_shape(shape)
loss_function = nn.CategoricalCrossentropy()
optimizer = nn.SGD(0.1)
params = {f"{layer.name}/{key}": value for layer in layers for key, value in layer.params.items()}
grads = {f"{layer.name}/{key}": value for layer in layers for key, value in layer.grads.items()}
print("parameters:", {key: value.shape for key, value in params.items()})

# the same network as a Sequential model, from the same initial weights, for comparison
model = nn.Sequential([nn.Conv2D(8, 3, activation="relu", input_shape=(8, 8, 1)),
                       nn.MaxPooling2D(2), nn.Flatten(), nn.Dense(32, activation="relu"),
                       nn.Dense(10, activation="softmax")])
model.compile(optimizer=nn.SGD(0.1), loss="categorical_crossentropy")
model.set_weights([w for layer in layers for w in layer.get_weights()])

losses, model_losses = [], []
for _ in range(300):
    # 1. forward
    activations = x_few
    for layer in layers:
        activations = layer.forward(activations, training=True)
    probabilities = activations
    # 2. loss
    losses.append(loss_function(t_few, probabilities))
    # 3. backward
    grad = layers[-1].backward_preactivation(
        loss_function.gradient_from_softmax(t_few, probabilities))
    for k in range(len(layers) - 2, -1, -1):
        grad = layers[k].backward(grad, input_grad=k > 0)
    # 4. update: the arrays in `grads` are the layers' own, refilled by every backward
    optimizer.apply(grads, params)
    model_losses.append(model.train_on_batch(x_few, t_few))

accuracy = np.mean(probabilities.argmax(axis=1) == labels[handful])
print(f"loss {losses[0]:.3f} -> {losses[-1]:.4f}; training accuracy {accuracy:.2f}")
print("largest difference from Sequential.train_on_batch:",
      np.abs(np.array(losses) - model_losses).max())
assert np.allclose(losses, model_losses, rtol=1e-4, atol=1e-6)
assert losses[-1] < 0.05 * losses[0] and accuracy == 1.0

# %%
# The hand-written loop and :meth:`~sigconv.nn.Sequential.train_on_batch` give the same
# losses step by step, and thirty digits are soon learned by heart. (Learning them by
# heart is all it shows: on new digits, a network needs far more data, as in the
# digits tutorial.)

fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
ax.semilogy(losses, label="hand-written loop")
ax.semilogy(model_losses, "--", label="Sequential.train_on_batch")
ax.set_xlabel("step (full batch of 30 digits)")
ax.set_ylabel("categorical cross-entropy")
ax.set_title("Training on a handful of digits, SGD with learning rate 0.1")
ax.legend()
ax.grid(True, which="both", alpha=0.3)
