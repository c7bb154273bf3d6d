"""
Why convolutions: counting parameters
=====================================

A dense layer connects every input value to every unit, so its number of weights grows
with the size of the input; a convolutional layer slides a few small filters over the
input and needs the same number of weights for a thumbnail as for a photograph. This
tutorial counts, with :mod:`sigconv.nn`:

* the weights of dense layers on the lecture's inputs -- MNIST digits, 128x128 colour
  pictures and a sound recording of a million samples (ten billion weights),
* the weights of a convolution, ``kh * kw * in_channels * filters + filters``, and how
  they compare with a dense layer as the image grows,
* how strides and padding set the size of a layer's output, and where the windows of a
  strided kernel land on a padded input,
* how far a unit deep in a network sees into the input (its receptive field), and
* the parameter tables of the lecture's digits network and of its CIFAR-10 network,
  added up by hand.

Every number below is checked in code, with an ``assert`` or a printed comparison.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from sigconv import nn

rng = np.random.default_rng(seed=6)

# %%
# A dense layer needs a weight per input value
# --------------------------------------------
#
# A :class:`~sigconv.nn.Dense` layer of :math:`u` units on an input of :math:`d` values
# computes :math:`y = f(x W + b)` with a :math:`d \times u` matrix :math:`W` and :math:`u`
# biases: :math:`(d + 1)\,u` parameters. An image enters a dense layer flattened, so
# :math:`d` is the number of pixels times the number of colour channels. For one unit
# of the first hidden layer, as in the lecture:
#
# * an MNIST digit, :math:`28 \times 28` grey pixels: :math:`784` weights,
# * a :math:`128 \times 128` grey image: :math:`16\,384` weights,
# * the same image in colour (red, green, blue): :math:`3 \times 16\,384 = 49\,152`
#   weights.
#
# The layer's own count, for one unit and for a hidden layer of 100 units, says the same
# (plus the biases):

lecture_inputs = {"MNIST 28x28 grey": (28, 28, 1),
                  "128x128 grey": (128, 128, 1),
                  "128x128 RGB": (128, 128, 3)}
expected_weights = {"MNIST 28x28 grey": 784, "128x128 grey": 16_384, "128x128 RGB": 49_152}

for label, shape in lecture_inputs.items():
    n_inputs = math.prod(shape)
    one_unit = nn.Dense(1, input_shape=(n_inputs,))
    hidden = nn.Dense(100, input_shape=(n_inputs,))
    print(f"{label:17}: {n_inputs:6} inputs -> one unit {one_unit.count_params():6,} "
          f"params, 100 units {hidden.count_params():9,} params")
    assert n_inputs == expected_weights[label]
    assert one_unit.count_params() == n_inputs + 1
    assert hidden.count_params() == (n_inputs + 1) * 100

# %%
# The lecture's sound example
# ---------------------------
#
# The lecture takes a sound recording of :math:`d = 10^6` samples, a hidden layer of
# :math:`10^4` units and one output unit (human voice or not). The hidden layer needs
# :math:`10^4 \times 10^6 = 10^{10}` weights and :math:`10^4` biases, the output layer
# :math:`10^4` weights and one bias:
#
# .. math::
#
#    10^{10} + 10^4 + 10^4 + 1 = 10\,000\,020\,001 \approx 10^{10},
#
# ten billion parameters. Too many to build here -- in float32 they would take 40 GB --
# so we count them with Python's integers and check the formula on a small stand-in of
# the same shape, :math:`10^3` samples and :math:`10` hidden units:


def dense_network_params(n_inputs, n_hidden, n_outputs=1):
    """Parameters of input -> Dense(n_hidden) -> Dense(n_outputs)."""
    return (n_inputs + 1) * n_hidden + (n_hidden + 1) * n_outputs


sound_params = dense_network_params(10**6, 10**4)
print(f"sound network: {sound_params:,} parameters, "
      f"{sound_params * 4 / 1e9:.0f} GB in float32")
assert sound_params == 10**10 + 10**4 + 10**4 + 1 == 10_000_020_001

small = nn.Sequential([nn.Dense(10, activation="relu", input_shape=(10**3,)),
                       nn.Dense(1, activation="sigmoid")])
assert small.count_params() == dense_network_params(10**3, 10) == 10_021

# %%
# Sound samples close in time depend on each other much more than samples far apart,
# and the same sounds recur throughout a recording: the lecture's two arguments for
# convolutions, *locality* and *repetition*. A 1-D convolution
# (:class:`~sigconv.nn.Conv1D`) with :math:`32` filters of :math:`9` samples looks at
# nine neighbouring samples at a time and uses the same filters everywhere. It needs
# :math:`9 \times 1 \times 32 + 32 = 320` parameters, for a million samples as for a
# thousand:

for n_samples in (10**3, 10**6):
    sound_conv = nn.Conv1D(32, 9, input_shape=(n_samples, 1))
    print(f"Conv1D(32, 9) on {n_samples:>9,} samples: {sound_conv.count_params()} params")
    assert sound_conv.count_params() == 9 * 1 * 32 + 32 == 320

# %%
# A convolution does not care how large the image is
# ---------------------------------------------------
#
# A :class:`~sigconv.nn.Conv2D` layer with ``filters`` kernels of
# :math:`k_h \times k_w` pixels on an input with :math:`c_{in}` channels holds a kernel
# of shape :math:`(k_h, k_w, c_{in}, c_{out})` and one bias per filter:
#
# .. math:: N_{\text{conv}} = k_h\, k_w\, c_{in}\, c_{out} + c_{out}.
#
# The image size is not in the formula: each filter is one small stencil that slides
# over the whole image. Building the same layer on ever larger colour images:


def conv_params(kernel_height, kernel_width, in_channels, filters):
    """The formula above."""
    return kernel_height * kernel_width * in_channels * filters + filters


for side in (8, 28, 128, 512):
    conv = nn.Conv2D(64, 3, input_shape=(side, side, 3))
    print(f"Conv2D(64, 3x3) on {side:3}x{side:<3} RGB: {conv.count_params():,} params, "
          f"kernel {conv.params['kernel'].shape}")
    assert conv.count_params() == conv_params(3, 3, 3, 64) == 1792

# %%
# The same holds for rectangular kernels and any numbers of channels:

for kernel_size, in_channels, filters in [((3, 3), 1, 10), ((5, 3), 16, 32), ((1, 1), 64, 8)]:
    conv = nn.Conv2D(filters, kernel_size, input_shape=(20, 20, in_channels))
    assert conv.count_params() == conv_params(*kernel_size, in_channels, filters)

# %%
# Side by side: a dense layer of 64 units on the flattened :math:`n \times n` RGB
# image needs :math:`(3n^2 + 1) \cdot 64` parameters, the convolution with 64 filters of
# :math:`3 \times 3` needs :math:`1792` whatever :math:`n`. We build the dense layer for
# the sides where its weights fit comfortably in memory and trust the (just checked)
# formula beyond:

sides = 2 ** np.arange(3, 11)  # 8 .. 1024 pixels


def dense_params(side, channels=3, units=64):
    return (side * side * channels + 1) * units


for side in sides[sides <= 128]:
    assert nn.Dense(64, input_shape=(int(side) ** 2 * 3,)).count_params() == dense_params(side)

dense_counts = [dense_params(int(side)) for side in sides]
conv_counts = [conv_params(3, 3, 3, 64)] * len(sides)
print(f"1024x1024 RGB: dense {dense_counts[-1]:,} vs conv {conv_counts[-1]:,} parameters "
      f"({dense_counts[-1] / conv_counts[-1]:,.0f} times as many)")

fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
ax.loglog(sides, dense_counts, "o-", label="Dense(64) on the flattened image")
ax.loglog(sides, conv_counts, "s-", label="Conv2D(64, 3x3)")
ax.axhline(10**10, color="0.5", ls=":", lw=1)
ax.text(9, 10**10 * 1.5, "the lecture's sound network, $10^{10}$", color="0.3", fontsize=9)
for side, count in zip(sides[[0, -1]], np.array(dense_counts)[[0, -1]], strict=True):
    ax.annotate(f"{count:,}", (side, count), textcoords="offset points", xytext=(-5, 8),
                ha="center" if side < 100 else "right", fontsize=9)
ax.annotate("1,792", (sides[-1], conv_counts[-1]), textcoords="offset points",
            xytext=(0, 8), ha="right", fontsize=9)
ax.set_xscale("log", base=2)
ax.set_xticks(sides, [f"{side}" for side in sides])
ax.set_ylim(100, 1e11)
ax.set_xlabel("image side n (pixels), RGB input n x n x 3")
ax.set_ylabel("number of parameters")
ax.set_title("Parameters of one layer with 64 outputs")
ax.legend(loc="center left")
ax.grid(True, which="major", alpha=0.3)

# %%
# The dense count grows like :math:`n^2`: a slope of two decades per decade of image
# side, while the convolution's line stays flat. What does grow with the image for a
# convolution is its *output* -- one value per filter and position -- and the work to
# compute it, not the number of weights to learn.

# %%
# How large is the output? Strides and padding
# --------------------------------------------
#
# A kernel of size :math:`k` moved in steps of :math:`s` (the *stride*) along an input of
# length :math:`n` gives, per axis,
#
# * ``padding="valid"`` (only windows that fit entirely inside the input):
#   :math:`n_{out} = \lfloor (n - k) / s \rfloor + 1`,
# * ``padding="same"`` (zeros added around the input, so that with stride 1 the output
#   is as large as the input): :math:`n_{out} = \lceil n / s \rceil`. The zeros needed
#   in total are :math:`p = \max((n_{out} - 1)\, s + k - n, 0)`, of which
#   :math:`\lfloor p/2 \rfloor` go before the input and the rest after it, as in
#   TensorFlow and Keras.
#
# Pooling layers follow the same rules, with the pool as the window and, by default, a
# stride equal to the pool size. We check both formulas against
# :meth:`~sigconv.nn.Layer.compute_output_shape` for every small case, and the padding
# against :func:`sigconv.nn.functional.window_geometry`, which lays out the windows of
# every layer:


def valid_length(n, k, s):
    return (n - k) // s + 1


def same_length(n, s):
    return -(-n // s)  # ceil(n / s) in integers


n_checked = 0
for k in range(1, 6):
    for s in range(1, 4):
        same = nn.Conv2D(1, k, strides=s, padding="same")
        valid = nn.Conv2D(1, k, strides=s, padding="valid")
        pool = nn.MaxPooling2D(k, strides=s)
        for n in range(1, 20):
            assert same.compute_output_shape((None, n, n, 1)) == \
                (None, same_length(n, s), same_length(n, s), 1)
            geometry = nn.functional.window_geometry((n, n), (k, k), (s, s), (1, 1), "same")
            total_padding = max((same_length(n, s) - 1) * s + k - n, 0)
            assert geometry.pad == (total_padding // 2, total_padding // 2)
            n_checked += 1
            if k <= n:  # else no valid window fits
                assert valid.compute_output_shape((None, n, n, 1)) == \
                    (None, valid_length(n, k, s), valid_length(n, k, s), 1)
                assert pool.compute_output_shape((None, n, n, 4)) == \
                    (None, valid_length(n, k, s), valid_length(n, k, s), 4)
                n_checked += 2
print(f"{n_checked} output shapes agree with the formulas")

# %%
# A few cases worth remembering:

for n, k, s, padding in [(28, 3, 1, "valid"), (28, 3, 1, "same"), (28, 3, 2, "same"),
                         (7, 3, 2, "valid"), (7, 3, 2, "same"), (6, 3, 2, "same")]:
    out = nn.Conv2D(1, k, strides=s, padding=padding).compute_output_shape((None, n, n, 1))[1]
    geometry = nn.functional.window_geometry((n, n), (k, k), (s, s), (1, 1), padding)
    print(f"n={n:2} k={k} s={s} {padding!r:7}: output {out:2} x {out:<2}, "
          f"zeros before the input {geometry.pad[0]}")

# %%
# Where the windows land
# ^^^^^^^^^^^^^^^^^^^^^^
#
# Output :math:`(i, j)` of a layer reads the window whose top-left tap is input pixel
# :math:`(i s - p_{\text{before}},\; j s - p_{\text{before}})`. Below, for a
# :math:`3 \times 3` kernel with stride 2, the input (grey), the zero padding (white,
# dashed) and the windows of the first output row (coloured frames; the dot marks each
# window's centre, numbered by its output column). With ``"valid"`` on a :math:`7 \times 7`
# input the windows fit exactly, with ``"same"`` one ring of zeros gives a
# :math:`4 \times 4` output, and on a :math:`6 \times 6` input ``"same"`` needs a single row
# and column of zeros, which go *after* the input: the last window pokes out to the
# bottom right only.


def draw_windows(ax, n, k, s, padding):
    geometry = nn.functional.window_geometry((n, n), (k, k), (s, s), (1, 1), padding)
    before = geometry.pad[0]
    out = geometry.out_size[0]
    after = max((out - 1) * s + k - n - before, 0)
    extent = n + before + after
    for row in range(extent):
        for col in range(extent):
            inside = before <= row < before + n and before <= col < before + n
            ax.add_patch(Rectangle((col, row), 1, 1, facecolor="0.8" if inside else "white",
                                   edgecolor="0.45" if inside else "0.6",
                                   ls="-" if inside else "--", lw=0.8))
    colours = plt.cm.tab10.colors
    for j in range(out):
        top_left = np.array([0, j * s])  # in padded coordinates: (row, column)
        inset = 0.06 + 0.08 * (j % 2)  # overlapping frames drawn slightly apart
        ax.add_patch(Rectangle((top_left[1] + inset, top_left[0] + inset), k - 2 * inset,
                               k - 2 * inset, facecolor=(*colours[j], 0.18),
                               edgecolor=colours[j], lw=2.5))
        centre = top_left + k / 2
        ax.plot(centre[1], centre[0], "o", color=colours[j], ms=13)
        ax.text(centre[1], centre[0], str(j), color="white", ha="center", va="center",
                fontsize=9, fontweight="bold")
    # the centres of the other output rows, as small dots
    for i in range(1, out):
        for j in range(out):
            ax.plot(j * s + k / 2, i * s + k / 2, ".", color="k", ms=5)
    ax.set_xlim(-0.3, extent + 0.3)
    ax.set_ylim(extent + 0.3, -0.3)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(f"n={n}, k={k}, stride {s}, {padding!r}\n"
                 f"output {out}x{out}, zeros: {before} before, {after} after", fontsize=10)
    return geometry


fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.9), layout="constrained")
geometries = [draw_windows(ax, n, 3, 2, padding)
              for ax, (n, padding) in zip(axes, [(7, "valid"), (7, "same"), (6, "same")],
                                          strict=True)]
fig.suptitle("3x3 windows with stride 2: input (grey), zero padding (dashed), "
             "first output row (frames); dots: centres of all outputs")
assert [g.out_size for g in geometries] == [(3, 3), (4, 4), (3, 3)]
assert [g.pad for g in geometries] == [(0, 0), (1, 1), (0, 0)]

# %%
# The picture is what the layer computes: with a kernel that sums its window, a
# ``"same"`` convolution of an all-ones :math:`6 \times 6` image counts the input pixels
# under each window. Every window sees nine, except those of the last row and column,
# which hang over the padding:

ones_conv = nn.Conv2D(1, 3, strides=2, padding="same", use_bias=False,
                      kernel_initializer="ones", dtype="float64")
pixels_seen = ones_conv(np.ones((1, 6, 6, 1)))[0, :, :, 0]
print("input pixels under each window (6x6, 'same', stride 2):\n", pixels_seen)
assert np.array_equal(pixels_seen, [[9, 9, 6], [9, 9, 6], [6, 6, 4]])

# %%
# Receptive fields
# ----------------
#
# A unit of the first convolution sees a :math:`3 \times 3` patch of the image: its
# *receptive field*. A unit of the next layer sees a :math:`3 \times 3` patch of the first
# layer's output, and each of those sees its own patch of the image, so it sees more of
# the image; pooling with stride 2 doubles the distance, in input pixels, between
# neighbouring units, and every later kernel covers twice as much. With :math:`r` the
# receptive field and :math:`j` the distance between neighbouring units (the *jump*),
# both in input pixels, a layer of kernel :math:`k` and stride :math:`s` gives
#
# .. math:: r_{out} = r_{in} + (k - 1)\, j_{in}, \qquad j_{out} = j_{in}\, s,
#
# starting from :math:`r = j = 1` at the image. For the lecture's CIFAR-10 stack, conv 3x3,
# pool 2, conv 3x3, pool 2, conv 3x3:

stack = [("conv 3x3", 3, 1), ("pool 2x2", 2, 2), ("conv 3x3", 3, 1), ("pool 2x2", 2, 2),
         ("conv 3x3", 3, 1)]
receptive, jump = 1, 1
fields = []
for name, k, s in stack:
    receptive, jump = receptive + (k - 1) * jump, jump * s
    fields.append(receptive)
    print(f"after {name}: receptive field {receptive:2} x {receptive:<2} pixels, jump {jump}")
assert fields == [3, 4, 8, 10, 18]

# %%
# We can measure the receptive field instead of computing it. Take the stack with linear
# convolutions and *average* pooling (max pooling and ReLU would pass gradient to only
# some pixels) and positive weights, so nothing cancels. The gradient of one output unit
# with respect to the input is nonzero exactly on the pixels that unit depends on:
# backpropagate a one-hot gradient through every layer, down to the image.

measure_layers = []
for _, k, _stride in stack:
    if k == 3:
        layer = nn.Conv2D(2, 3, kernel_initializer="ones", dtype="float64")
    else:
        layer = nn.AveragePooling2D(2, dtype="float64")
    measure_layers.append(layer)

image = rng.uniform(size=(1, 32, 32, 1))
activations = image
depth_gradients = []
for depth in range(len(measure_layers)):
    activations = measure_layers[depth](activations)
    grad = np.zeros_like(activations)
    centre = activations.shape[1] // 2
    grad[0, centre, centre, 0] = 1.0  # one unit of this layer, in its middle
    for layer in reversed(measure_layers[:depth + 1]):
        grad = layer.backward(grad)
    rows, cols = np.nonzero(grad[0, :, :, 0])
    height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
    assert height == width == fields[depth]
    assert np.count_nonzero(grad[0, :, :, 0]) == height * width  # a full square, no holes
    depth_gradients.append((rows.min(), cols.min(), height, grad[0, :, :, 0]))
    print(f"depth {depth + 1} ({stack[depth][0]}): nonzero input gradient on a "
          f"{height} x {width} square")

# %%
# The squares, drawn over the image for the middle unit of each depth, and on the right
# the gradient of the deepest unit: the receptive field is not uniformly weighted -- its
# centre pixels reach the unit along many more paths than its border pixels.

fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.4), layout="constrained")
axes[0].imshow(image[0, :, :, 0], cmap="gray", vmin=-0.5, vmax=1.5)
for depth, (row0, col0, size, _) in enumerate(depth_gradients):
    axes[0].add_patch(Rectangle((col0 - 0.5, row0 - 0.5), size, size, fill=False, lw=2,
                                edgecolor=plt.cm.plasma(depth / len(stack)),
                                label=f"{depth + 1}: after {stack[depth][0]}, {size}x{size}"))
axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9,
               title="receptive field")
axes[0].set_title("32x32 input and the receptive fields\nof the middle unit at each depth")
axes[0].set_xlabel("column")
axes[0].set_ylabel("row")
deepest = depth_gradients[-1][3]
shown = axes[1].imshow(deepest / deepest.max(), cmap="magma")
axes[1].set_title("d(deepest unit) / d(input),\nscaled to max 1")
axes[1].set_xlabel("column")
fig.colorbar(shown, ax=axes[1], shrink=0.8)

# %%
# Eighteen by eighteen pixels is more than half the width of a 32x32 CIFAR-10 image: after three
# small convolutions and two poolings, each unit of the last convolution can respond to
# shapes the size of an object, from only :math:`3 \times 3` weights per filter and
# channel. This is the lecture's "systematic reduction": small parts first, then
# representations of larger areas built from them.

# %%
# The lecture's digits network
# ----------------------------
#
# :func:`sigconv.nn.lecture_digits_cnn` builds the network of the lecture's first CNN, for
# the 8x8 scikit-learn digits. Counting by hand, layer by layer:
#
# =============================  ============  =====================================
# layer                          output        parameters
# =============================  ============  =====================================
# Conv2D(10, 3x3, relu)          6 x 6 x 10    :math:`3 \cdot 3 \cdot 1 \cdot 10 + 10 = 100`
# MaxPooling2D(2x2)              3 x 3 x 10    0
# Flatten                        90            0
# Dense(50, relu)                50            :math:`90 \cdot 50 + 50 = 4550`
# Dense(10, softmax)             10            :math:`50 \cdot 10 + 10 = 510`
# =============================  ============  =====================================
#
# :math:`100 + 4550 + 510 = 5160` in total. The output sizes follow the rules above:
# :math:`8 - 3 + 1 = 6` for the valid convolution, :math:`\lfloor 6 / 2 \rfloor = 3` for
# the pooling, and :math:`3 \cdot 3 \cdot 10 = 90` values to flatten.

digits_model = nn.lecture_digits_cnn()
digits_model.summary()
shape = digits_model.input_shape
digits_shapes = []
for layer in digits_model.layers:
    shape = layer.compute_output_shape(shape)
    digits_shapes.append(shape[1:])
assert digits_shapes == [(6, 6, 10), (3, 3, 10), (90,), (50,), (10,)]
assert [layer.count_params() for layer in digits_model.layers] == [100, 0, 0, 4550, 510]
assert digits_model.count_params() == 100 + 4550 + 510 == 5160

# %%
# The CIFAR-10 network
# --------------------
#
# The lecture's network for 32x32 colour images, from TensorFlow's CIFAR-10 tutorial:
#
# =============================  ============  ==========================================
# layer                          output        parameters
# =============================  ============  ==========================================
# Conv2D(32, 3x3, relu)          30 x 30 x 32  :math:`3 \cdot 3 \cdot 3 \cdot 32 + 32 = 896`
# MaxPooling2D(2x2)              15 x 15 x 32  0
# Conv2D(64, 3x3, relu)          13 x 13 x 64  :math:`3 \cdot 3 \cdot 32 \cdot 64 + 64 = 18\,496`
# MaxPooling2D(2x2)              6 x 6 x 64    0
# Conv2D(64, 3x3, relu)          4 x 4 x 64    :math:`3 \cdot 3 \cdot 64 \cdot 64 + 64 = 36\,928`
# Flatten                        1024          0
# Dense(64, relu)                64            :math:`1024 \cdot 64 + 64 = 65\,600`
# Dense(10)                      10            :math:`64 \cdot 10 + 10 = 650`
# =============================  ============  ==========================================
#
# In total :math:`896 + 18\,496 + 36\,928 + 65\,600 + 650 = 122\,570` parameters. The second
# pooling floors :math:`13 / 2` to :math:`6`: the last row and column of the
# :math:`13 \times 13` maps fall outside every ``"valid"`` window and are dropped.

cifar_model = nn.Sequential([
    nn.Input((32, 32, 3)),
    nn.Conv2D(32, 3, activation="relu"),
    nn.MaxPooling2D(),
    nn.Conv2D(64, 3, activation="relu"),
    nn.MaxPooling2D(),
    nn.Conv2D(64, 3, activation="relu"),
    nn.Flatten(),
    nn.Dense(64, activation="relu"),
    nn.Dense(10),
])
cifar_model.summary()
cifar_counts = [layer.count_params() for layer in cifar_model.layers]
assert cifar_counts == [896, 0, 18_496, 0, 36_928, 0, 65_600, 650]
assert cifar_model.count_params() == 896 + 18_496 + 36_928 + 65_600 + 650 == 122_570

# %%
# Where do the parameters sit? The three convolutions together hold
# :math:`56\,320`, fewer than the single dense layer after ``Flatten`` -- the one layer
# whose size depends on the image, through the :math:`4 \cdot 4 \cdot 64 = 1024` values it
# receives. And the whole network has fewer parameters than one dense layer of 64 units
# on the raw :math:`32 \times 32 \times 3` image would need:

conv_total = sum(count for layer, count in zip(cifar_model.layers, cifar_counts, strict=True)
                 if isinstance(layer, nn.Conv2D))
raw_dense = nn.Dense(64, input_shape=(32 * 32 * 3,)).count_params()
print(f"the three convolutions: {conv_total:,}; Dense(64) after Flatten: {cifar_counts[6]:,}")
print(f"the whole CNN: {cifar_model.count_params():,}; "
      f"Dense(64) on the raw 32x32x3 image alone: {raw_dense:,}")
assert conv_total == 56_320 < cifar_counts[6]
assert raw_dense == (3072 + 1) * 64 == 196_672 > cifar_model.count_params()

fig, ax = plt.subplots(figsize=(7, 3.4), layout="constrained")
names = []
shape = cifar_model.input_shape
for layer in cifar_model.layers:
    shape = layer.compute_output_shape(shape)
    names.append(f"{type(layer).__name__}\n{shape[1:]}")
assert [name.split("\n")[1] for name in names] == [
    "(30, 30, 32)", "(15, 15, 32)", "(13, 13, 64)", "(6, 6, 64)", "(4, 4, 64)", "(1024,)",
    "(64,)", "(10,)"]
bars = ax.bar(range(len(cifar_counts)), cifar_counts,
              color=["C1" if isinstance(layer, nn.Conv2D) else
                     "C0" if isinstance(layer, nn.Dense) else "0.6"
                     for layer in cifar_model.layers])
ax.bar_label(bars, [f"{count:,}" for count in cifar_counts], fontsize=8)
ax.set_xticks(range(len(cifar_counts)), names, fontsize=7)
ax.set_ylabel("parameters")
ax.set_ylim(0, 75_000)
ax.set_title("CIFAR-10 network: parameters per layer (output shape below each)")
