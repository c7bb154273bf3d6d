"""
Image filters: 2-D convolution
==============================

Blurring a photograph, finding the edges in it and sharpening it are all the same
operation: a 2-D convolution of the image with a small kernel. So is the first layer of a
convolutional network. This tutorial takes that operation apart on a synthetic scene:

* the definition, and why deep learning computes cross-correlation instead
  (:func:`sigconv.convolve2d`, :func:`sigconv.correlate2d`),
* what happens at the edges of the image (the ``boundary`` argument),
* the classic filters of :mod:`sigconv.filters` -- smoothing, edge detection,
  sharpening -- checked against :mod:`scipy.ndimage`,
* separable kernels, which turn one 2-D convolution into two cheap 1-D ones, and
* the matrix of a 2-D convolution (:func:`sigconv.convolution_matrix2d`) and the
  operator that applies it without forming it (:class:`sigconv.ConvolutionOperator2D`),
  used to undo a blur.

Every claim below is checked in code, with an ``assert`` or a printed comparison.
"""

import matplotlib.pyplot as plt
import numpy as np
import scipy.ndimage
import scipy.signal
from matplotlib.patches import Rectangle
from scipy.sparse.linalg import lsqr

import sigconv as sc
from sigconv import filters

rng = np.random.default_rng(seed=2024)

# %%
# A synthetic scene
# -----------------
#
# A test image with the features filters care about: flat regions, a slow intensity ramp,
# sharp straight edges (a square), curved edges (a disc), and noise on top of it all.

size = 128
rows, cols = np.mgrid[0:size, 0:size]

clean = 0.3 * cols / (size - 1)  # background: a gradient from left to right
clean[(rows - 40) ** 2 + (cols - 44) ** 2 <= 22**2] = 1.0  # a bright disc
clean[(rows >= 70) & (rows < 110) & (cols >= 68) & (cols < 108)] = 0.6  # a grey square

noise_level = 0.08
noisy = clean + rng.normal(scale=noise_level, size=clean.shape)

fig, axes = plt.subplots(1, 2, figsize=(7, 3.6), layout="constrained")
for ax, image, title in zip(axes, (clean, noisy), ("clean scene", "with noise"), strict=True):
    ax.imshow(image, cmap="gray", vmin=-0.1, vmax=1.1)
    ax.set_title(title)
    ax.set_axis_off()

# %%
# The 2-D convolution
# -------------------
#
# The convolution of an image :math:`I` with a kernel :math:`K` is the 2-D version of the
# 1-D sum, one index per axis:
#
# .. math:: S(i, j) = (I * K)(i, j) = \sum_m \sum_n I(i - m, j - n)\, K(m, n).
#
# Each output pixel is a weighted sum of the pixels around :math:`(i, j)`, with the
# weights read from the kernel *back to front*: :math:`K(0, 0)` multiplies
# :math:`I(i, j)`, :math:`K(1, 1)` multiplies :math:`I(i - 1, j - 1)`, and so on. Written
# out with loops, for images that are zero outside their edges:


def convolve2d_by_definition(image, kernel):
    """The defining double sum, full output; slow, but obviously right."""
    height, width = image.shape
    kh, kw = kernel.shape
    out = np.zeros((height + kh - 1, width + kw - 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for m in range(kh):
                for n in range(kw):
                    if 0 <= i - m < height and 0 <= j - n < width:
                        out[i, j] += image[i - m, j - n] * kernel[m, n]
    return out


tiny = rng.standard_normal((5, 6))
asymmetric = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0], [4.0, 0.0, -2.0]])
by_definition = convolve2d_by_definition(tiny, asymmetric)
print("max |sc.convolve2d - definition| :",
      np.abs(sc.convolve2d(tiny, asymmetric) - by_definition).max())
assert np.allclose(sc.convolve2d(tiny, asymmetric), by_definition)
assert np.allclose(sc.convolve2d(tiny, asymmetric), scipy.signal.convolve2d(tiny, asymmetric))

# %%
# Convolution or cross-correlation?
# ---------------------------------
#
# The *cross-correlation* reads the kernel front to back instead,
#
# .. math:: S(i, j) = (I \star K)(i, j) = \sum_m \sum_n I(i + m, j + n)\, K(m, n),
#
# so it lays the kernel over the image like a stencil: the output is large where the image
# patch looks like the kernel. Substituting :math:`m \to -m`, :math:`n \to -n` shows that
# correlating with :math:`K` is convolving with the kernel flipped along both axes,
# :math:`K(-m, -n)`, ``kernel[::-1, ::-1]`` in NumPy.
#
# The layers of a convolutional network compute the cross-correlation and still call it
# convolution. Since the network *learns* its kernels, the flip makes no difference to
# what it can represent -- a network trained with true convolution would simply learn the
# flipped kernels -- so libraries skip it: the kernel stays in the same orientation as
# the image patch it matches, the stencil picture above holds as is, and the forward pass
# and its gradient are written without reversing any indices. The convolution's algebra
# (commutativity, associativity) is what signal processing needs, not what a layer needs.
#
# In ``same`` mode, for a kernel of odd size, the two agree exactly once the kernel is
# flipped:

odd_kernel = rng.standard_normal((3, 3))
flipped = odd_kernel[::-1, ::-1]
correlated = sc.correlate2d(noisy, odd_kernel, mode="same")
print("max |correlate2d(K) - convolve2d(flipped K)| :",
      np.abs(correlated - sc.convolve2d(noisy, flipped, mode="same")).max())
assert np.allclose(correlated, sc.convolve2d(noisy, flipped, mode="same"))
assert np.allclose(correlated, scipy.signal.correlate2d(noisy, odd_kernel, mode="same"))

# %%
# Without the flip they differ, unless the kernel is symmetric under it:

print("max |correlate2d(K) - convolve2d(K)|         :",
      np.abs(correlated - sc.convolve2d(noisy, odd_kernel, mode="same")).max())
assert not np.allclose(correlated, sc.convolve2d(noisy, odd_kernel, mode="same"))

# %%
# A kernel of even size has no centre pixel. The ``full`` outputs still agree, but the
# two functions centre ``same`` on opposite sides (as :mod:`scipy.signal` does): the
# correlation keeps the full result from row and column ``1`` on, the convolution up to
# the last row and column but one. That is why the check above used an odd kernel.

even_kernel = rng.standard_normal((2, 2))
full = sc.convolve2d(noisy, even_kernel[::-1, ::-1], mode="full")
assert np.allclose(sc.correlate2d(noisy, even_kernel, mode="full"), full)
assert np.allclose(sc.correlate2d(noisy, even_kernel, mode="same"), full[1:, 1:])
assert np.allclose(sc.convolve2d(noisy, even_kernel[::-1, ::-1], mode="same"), full[:-1, :-1])
assert not np.allclose(full[1:, 1:], full[:-1, :-1])

# %%
# What happens at the edges
# -------------------------
#
# Near the border, the kernel reaches beyond the image. ``mode="same"`` keeps the output
# the size of the image, so something has to stand in for the missing pixels; the
# ``boundary`` argument says what:
#
# * ``"fill"``: a constant, ``fillvalue`` (0 by default);
# * ``"wrap"``: the image repeats periodically, as if it were painted on a torus;
# * ``"symm"``: the image is mirrored at its edge, the edge pixel repeated.
#
# On a small ramp, with the picture of each extension below:

ramp = np.arange(1.0, 21.0).reshape(4, 5)
ones = np.ones((3, 3))
pad_modes = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}

print("image:\n", ramp)
for boundary, pad_mode in pad_modes.items():
    summed = sc.convolve2d(ramp, ones, mode="same", boundary=boundary)
    print(f"\n3x3 sums, boundary={boundary!r}:\n", summed)
    # each boundary is a valid convolution of the image extended by one pixel
    extended = np.pad(ramp, 1, mode=pad_mode)
    assert np.allclose(summed, sc.convolve2d(extended, ones, mode="valid"))
    assert np.allclose(summed, scipy.signal.convolve2d(ramp, ones, "same", boundary))

# %%
# Only the border pixels differ; the interior never reads beyond the image:

inside = [sc.convolve2d(ramp, ones, "same", boundary)[1:-1, 1:-1] for boundary in pad_modes]
assert all(np.array_equal(inside[0], other) for other in inside[1:])

fig, axes = plt.subplots(1, 3, figsize=(8, 2.8), layout="constrained")
for ax, (boundary, pad_mode) in zip(axes, pad_modes.items(), strict=True):
    ax.imshow(np.pad(ramp, 3, mode=pad_mode), cmap="viridis", vmin=0, vmax=20)
    ax.add_patch(Rectangle((2.5, 2.5), 5, 4, fill=False, edgecolor="w", lw=2))
    ax.set_title(f'boundary="{boundary}"')
    ax.set_axis_off()
fig.suptitle("The image (white frame) and how each boundary extends it")

# %%
# :mod:`sigconv.filters` follows :mod:`scipy.ndimage` instead, whose ``mode`` argument
# names the same extensions differently (its table is in the :mod:`sigconv.filters`
# reference): ``"reflect"`` there is ``"symm"`` here, ``"constant"`` is ``"fill"``. The
# filters default to ``"reflect"``, which avoids the dark frame that a zero fill puts
# around a bright image:

flat = np.ones((8, 8))
print("corner of a smoothed flat image, reflect :", filters.gaussian(flat, 1.0)[0, 0])
print("corner of a smoothed flat image, constant:",
      filters.gaussian(flat, 1.0, mode="constant")[0, 0])
assert np.allclose(filters.gaussian(flat, 1.0), 1.0)
assert filters.gaussian(flat, 1.0, mode="constant")[0, 0] < 0.75

# %%
# Smoothing, edges and sharpening
# -------------------------------
#
# **Smoothing** averages each pixel with its neighbours. :func:`sigconv.filters.box`
# takes the plain mean over a square; :func:`sigconv.filters.gaussian` weights the
# neighbours by a Gaussian of standard deviation ``sigma``, near ones more than far ones.
# Both kernels sum to one, so flat regions keep their value while the
# noise averages out: white noise of standard deviation :math:`s` comes out with standard
# deviation :math:`s \, \|K\|_2`, where :math:`\|K\|_2^2` is the sum of the squared
# kernel weights. Convolution is linear, so filtering the noisy scene and subtracting the
# filtered clean scene isolates the filtered noise:

sigma = 1.5
smoothed = filters.gaussian(noisy, sigma)
averaged = filters.box(noisy, 5)

for name, result, kernel in [
    ("gaussian", smoothed - filters.gaussian(clean, sigma), filters.gaussian_kernel(sigma)),
    ("box 5x5 ", averaged - filters.box(clean, 5), np.full((5, 5), 1 / 25)),
]:
    predicted = noise_level * np.linalg.norm(kernel)
    print(f"{name}: noise std {noise_level:.3f} -> {result.std():.4f} "
          f"(predicted {predicted:.4f})")
    assert np.isclose(result.std(), predicted, rtol=0.1)

# %%
# **Edge detection** looks for large derivatives. :func:`sigconv.filters.sobel`
# correlates with the difference ``[-1, 0, 1]`` along ``axis`` and smooths with
# ``[1, 2, 1]`` across it, that is with the kernel
#
# .. math::
#
#    K_{\text{axis}=1} = \begin{bmatrix} -1 & 0 & 1 \\ -2 & 0 & 2 \\ -1 & 0 & 1
#    \end{bmatrix}
#
# for ``axis=1`` (along the columns, so it finds *vertical* edges) and its transpose for
# ``axis=0`` (horizontal edges). On the clean scene, away from the shapes, the horizontal
# derivative of the background ramp is :math:`(1 + 2 + 1)\cdot 2 = 8` times its slope,
# and the vertical one vanishes; on the top edge of the square it is the other way round.

sobel_rows = filters.sobel(clean, axis=0)
sobel_cols = filters.sobel(clean, axis=1)
slope = 0.3 / (size - 1)
print("background: sobel axis=1 =", sobel_cols[10, 100], " 8 * slope =", 8 * slope)
assert np.isclose(sobel_cols[10, 100], 8 * slope)
assert np.isclose(sobel_rows[10, 100], 0.0)
print("top edge of the square: sobel axis=0 =", sobel_rows[70, 88],
      " axis=1 =", sobel_cols[70, 88])
assert abs(sobel_rows[70, 88]) > 1 and abs(sobel_cols[70, 88]) < 0.1

# the same as correlate2d with the 3x3 kernel, once "reflect" is spelled "symm"
sobel_kernel = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])
assert np.allclose(sobel_cols, sc.correlate2d(clean, sobel_kernel, "same", "symm"))

# %%
# :func:`sigconv.filters.edges` combines the two into the gradient magnitude
# :math:`\sqrt{G_0^2 + G_1^2}`, which does not care about the direction of an edge. Noise
# has large derivatives too, so we first smooth, then differentiate.

edge_strength = filters.edges(smoothed)
assert np.allclose(
    edge_strength,
    np.hypot(filters.sobel(smoothed, axis=0), filters.sobel(smoothed, axis=1)),
)

# %%
# **Sharpening** does the opposite of smoothing: :func:`sigconv.filters.sharpen`
# subtracts the discrete Laplacian (:func:`sigconv.filters.laplace`), which is positive at
# the dark foot of an edge and negative at its bright shoulder, so the edge gets steeper.
# For ``amount=1`` it is the classic kernel below. Sharpening the smoothed image makes
# its edges stronger again, although it cannot restore what the blur removed.

sharpened = filters.sharpen(smoothed)
sharpen_kernel = np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])
assert np.allclose(sharpened, smoothed - filters.laplace(smoothed))
assert np.allclose(sharpened, sc.convolve2d(smoothed, sharpen_kernel, "same", "symm"))
print("strongest edge, smoothed :", filters.edges(smoothed).max())
print("strongest edge, sharpened:", filters.edges(sharpened).max())
assert filters.edges(sharpened).max() > 1.25 * filters.edges(smoothed).max()

# %%
# All of it at once:

panels = [
    (noisy, "noisy scene", "gray"),
    (smoothed, f"gaussian, sigma={sigma}", "gray"),
    (averaged, "box, size=5", "gray"),
    (sharpened, "sharpen(gaussian)", "gray"),
    (filters.sobel(smoothed, axis=0), "sobel, axis=0", "RdBu_r"),
    (filters.sobel(smoothed, axis=1), "sobel, axis=1", "RdBu_r"),
    (edge_strength, "edges (gradient magnitude)", "magma"),
    (filters.laplace(smoothed), "laplace", "RdBu_r"),
]
fig, axes = plt.subplots(2, 4, figsize=(11, 6), layout="constrained")
for ax, (image, title, cmap) in zip(axes.flat, panels, strict=True):
    if cmap == "RdBu_r":  # signed: centre the colour map on zero
        limit = np.abs(image).max()
        ax.imshow(image, cmap=cmap, vmin=-limit, vmax=limit)
    elif cmap == "gray":
        ax.imshow(image, cmap=cmap, vmin=-0.1, vmax=1.1)
    else:
        ax.imshow(image, cmap=cmap)
    ax.set_title(title)
    ax.set_axis_off()
fig.suptitle("sigconv.filters on the noisy scene")

# %%
# The same results as SciPy
# -------------------------
#
# The filters take the arguments of their :mod:`scipy.ndimage` namesakes and return the
# same values, for every boundary mode:

for mode in ("reflect", "constant", "nearest", "mirror", "wrap"):
    gaussian_diff = np.abs(
        filters.gaussian(noisy, sigma, mode=mode)
        - scipy.ndimage.gaussian_filter(noisy, sigma, mode=mode)
    ).max()
    sobel_diff = max(
        np.abs(filters.sobel(noisy, axis, mode=mode)
               - scipy.ndimage.sobel(noisy, axis, mode=mode)).max()
        for axis in (0, 1)
    )
    print(f"mode={mode!r:10}: max |difference| gaussian {gaussian_diff:.1e}, "
          f"sobel {sobel_diff:.1e}")
    assert np.allclose(filters.gaussian(noisy, sigma, mode=mode),
                       scipy.ndimage.gaussian_filter(noisy, sigma, mode=mode))
    for axis in (0, 1):
        assert np.allclose(filters.sobel(noisy, axis, mode=mode),
                           scipy.ndimage.sobel(noisy, axis, mode=mode))

# %%
# A drop-in for scipy.ndimage
# ---------------------------
#
# :mod:`sigconv.filters` also carries :mod:`scipy.ndimage`'s own names and arguments
# (``gaussian_filter``, ``uniform_filter``, ``correlate``, ``convolve``, ``output=``,
# ``axes=``, ``origin=``, ``order=``), so code written for SciPy runs unchanged with
# ``from sigconv import filters as ndi``. Three things the lecture's names could not do:
# smoothing a stack of images along two axes only, a Gaussian derivative, and an 8-bit
# result (truncated as SciPy truncates):

ndi = filters
stack = np.stack([noisy, clean, noisy[::-1]])            # three images, (3, h, w)
smoothed_stack = ndi.gaussian_filter(stack, sigma, axes=(1, 2))
assert np.allclose(smoothed_stack[0], filters.gaussian(noisy, sigma))
d_dx = ndi.gaussian_filter(noisy, sigma, order=(0, 1))   # derivative along x
scaled = np.clip(noisy * 200, 0, 255).astype(np.uint8)
blurred_bytes = ndi.uniform_filter(scaled, 5, output=np.uint8)
assert np.array_equal(blurred_bytes, scipy.ndimage.uniform_filter(scaled, 5))
print("stack:", smoothed_stack.shape, " d/dx range:", d_dx.min().round(3), d_dx.max().round(3),
      " uint8 box:", blurred_bytes.dtype)

# %%
# Separable kernels
# -----------------
#
# The Gaussian factors over the axes, :math:`e^{-(x^2 + y^2)/2\sigma^2} =
# e^{-x^2/2\sigma^2}\, e^{-y^2/2\sigma^2}`, so the 2-D kernel is the outer product of
# two 1-D kernels, :math:`K = g\, g^T`: a matrix of rank one.

kernel_2d = filters.gaussian_kernel(2.0)
kernel_1d = filters.gaussian_kernel(2.0, ndim=1)
singular_values = np.linalg.svd(kernel_2d, compute_uv=False)
print("kernel shape:", kernel_2d.shape, " rank:", np.linalg.matrix_rank(kernel_2d))
print("largest singular values:", singular_values[:3])
assert np.linalg.matrix_rank(kernel_2d) == 1
assert np.allclose(kernel_2d, np.outer(kernel_1d, kernel_1d))

# %%
# By associativity, convolving with :math:`g\,g^T` is convolving every column with
# :math:`g` and then every row with :math:`g`. For this :math:`17 \times 17` kernel that
# is :math:`17 + 17 = 34` multiply-adds per pixel instead of :math:`17^2 = 289`.
# :func:`sigconv.convolve2d` notices a rank-one kernel (by its singular values) and runs
# it as these two 1-D passes whenever its cost model expects them to beat the FFT, with
# the same result as SciPy's direct 2-D sum:

by_sigconv = sc.convolve2d(noisy, kernel_2d, mode="same")
by_scipy = scipy.signal.convolve2d(noisy, kernel_2d, mode="same")
two_passes = sc.convolve2d(
    sc.convolve2d(noisy, kernel_1d[:, np.newaxis], mode="same"),  # down the columns
    kernel_1d[np.newaxis, :], mode="same",  # along the rows
)
print("max |sc.convolve2d - scipy.signal.convolve2d|:", np.abs(by_sigconv - by_scipy).max())
print("max |sc.convolve2d - two 1-D passes|         :", np.abs(by_sigconv - two_passes).max())
assert np.allclose(by_sigconv, by_scipy)
assert np.allclose(by_sigconv, two_passes)

# %%
# With ``boundary="symm"`` this is exactly :func:`sigconv.filters.gaussian` (the kernel is
# symmetric, so convolution and correlation coincide), which filters one axis at a time
# in the same way:

assert np.allclose(sc.convolve2d(noisy, kernel_2d, mode="same", boundary="symm"),
                   filters.gaussian(noisy, 2.0))

# %%
# The matrix of a 2-D convolution
# -------------------------------
#
# As in 1-D, convolving with a fixed kernel is linear in the image, so it is a matrix
# product once the image is flattened into a vector (row by row). For a :math:`4 \times
# 6` image and a :math:`3 \times 3` kernel the ``full`` output has :math:`6 \times 8`
# pixels, so the matrix is :math:`48 \times 24`:

small_image = rng.standard_normal((4, 6))
small_kernel = np.arange(1.0, 10.0).reshape(3, 3)
matrix = sc.convolution_matrix2d(small_kernel, small_image.shape)
print("matrix shape:", matrix.shape, f" nonzeros: {matrix.nnz} of {np.prod(matrix.shape)}")
assert matrix.shape == (48, 24)
assert np.allclose(matrix @ small_image.ravel(), sc.convolve2d(small_image, small_kernel).ravel())

# %%
# Cut into blocks of :math:`8 \times 6` (one output row by one image row), the matrix is
# *doubly block Toeplitz*: block :math:`(I, J)` is the 1-D convolution matrix of kernel
# row :math:`I - J`, so the blocks are constant along the block diagonals, and each block
# is itself a Toeplitz matrix.

dense = matrix.toarray()
out_width, width = 8, small_image.shape[1]
for block_row in range(6):
    for block_col in range(small_image.shape[0]):
        block = dense[block_row * out_width:(block_row + 1) * out_width,
                      block_col * width:(block_col + 1) * width]
        p = block_row - block_col
        expected = (sc.convolution_matrix(small_kernel[p], width) if 0 <= p < 3
                    else np.zeros((out_width, width)))
        assert np.array_equal(block, expected)

fig, ax = plt.subplots(figsize=(4, 7), layout="constrained")
ax.spy(matrix, markersize=4)
ax.set_xticks(np.arange(-0.5, 24, width), minor=True)
ax.set_yticks(np.arange(-0.5, 48, out_width), minor=True)
ax.grid(which="minor", color="0.8")
ax.set_title("convolution_matrix2d(3x3, (4, 6))")

# %%
# Each column holds the :math:`9` kernel weights, so the matrix has
# :math:`9 \times 24 = 216` nonzeros: a fraction that shrinks like one over the number of
# pixels. :func:`sigconv.convolution_matrix2d` returns it as a sparse matrix, and
# :class:`sigconv.ConvolutionOperator2D` does not store it at all, applying it by
# convolution (and its transpose by correlation). Both agree:

assert matrix.nnz == small_kernel.size * small_image.size
operator_2d = sc.ConvolutionOperator2D(small_kernel, small_image.shape)
assert np.allclose(operator_2d.todense(), dense)
y_test = rng.standard_normal(operator_2d.shape[0])
assert np.allclose(operator_2d.T @ y_test, dense.T @ y_test)

# %%
# Undoing a blur
# --------------
#
# A blurred image is :math:`y = A x + \text{noise}`, with :math:`A` the convolution with
# the blur kernel. As in the 1-D tutorial, we recover :math:`x` by regularised least
# squares,
#
# .. math:: \min_x \; \| A x - y \|_2^2 + \lambda^2 \| x \|_2^2 ,
#
# with :func:`scipy.sparse.linalg.lsqr`, which only needs products with :math:`A` and
# :math:`A^T` -- what :class:`sigconv.ConvolutionOperator2D` provides. The scene, reduced
# to :math:`32 \times 32` pixels, is blurred by a Gaussian with :math:`\sigma = 1` (zero
# outside the image, ``mode="same"``) and a little noise is added:

truth = clean[::4, ::4]
blur = sc.ConvolutionOperator2D(filters.gaussian_kernel(1.0), truth.shape, mode="same")
assert np.allclose(blur @ truth.ravel(),
                   sc.convolve2d(truth, filters.gaussian_kernel(1.0), mode="same").ravel())
# the adjoint passes the dot-product test <A x, y> = <x, A^T y>
x_test = rng.standard_normal(blur.shape[1])
y_test = rng.standard_normal(blur.shape[0])
assert np.isclose(np.dot(blur @ x_test, y_test), np.dot(x_test, blur.T @ y_test))

blurred = (blur @ truth.ravel()).reshape(truth.shape)
blurred += rng.normal(scale=0.002, size=truth.shape)

restored = lsqr(blur, blurred.ravel(), damp=0.02, iter_lim=500)[0].reshape(truth.shape)
undamped = lsqr(blur, blurred.ravel(), damp=0.0, iter_lim=500)[0].reshape(truth.shape)


def relative_error(estimate):
    return np.linalg.norm(estimate - truth) / np.linalg.norm(truth)


print(f"relative error, blurred image          : {relative_error(blurred):.3f}")
print(f"relative error, lsqr with damp=0.02    : {relative_error(restored):.3f}")
print(f"relative error, lsqr without damping   : {relative_error(undamped):.3f}")
assert relative_error(restored) < 0.7 * relative_error(blurred)
assert relative_error(undamped) > relative_error(restored)

# %%
# The edges come back, and so does the brightness at the border, which the zero boundary
# had pulled down. Without the penalty, lsqr keeps fitting the noise and the estimate
# fills with speckle.

fig, axes = plt.subplots(1, 4, figsize=(11, 3), layout="constrained")
for ax, image, title in zip(
    axes,
    (truth, blurred, restored, undamped),
    ("truth", "blurred + noise", "lsqr, damp=0.02", "lsqr, no damping"),
    strict=True,
):
    ax.imshow(image, cmap="gray", vmin=-0.1, vmax=1.1)
    ax.set_title(f"{title}\nerror {relative_error(image):.2f}")
    ax.set_axis_off()
