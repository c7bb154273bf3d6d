"""
Performance: sigconv against NumPy and SciPy
============================================

sigconv computes what :func:`numpy.convolve` and :mod:`scipy.signal` compute, with the
same arguments and the same results; what it adds is speed. This page measures that
claim while it is being built, on whatever machine builds it:

* 1-D convolution against :func:`numpy.convolve`, :func:`scipy.signal.convolve` and
  :func:`scipy.signal.fftconvolve`,
* 2-D convolution against :func:`scipy.signal.convolve2d`,
* single precision, which stays single precision,
* a batch of images convolved in one call along ``axes`` against a Python loop,
* the lecture's digits CNN: the time of one training step, and the GFLOP/s of a
  convolution layer's forward and backward pass,
* and, when a CUDA GPU is present, the GPU.

Each timing is the median of several runs after a warm-up call. The documentation is
built on a shared virtual machine with two cores, where other jobs compete for the CPU:
individual timings there jump by tens of percent from one run to the next, so read the
ratios below as rough, and every one of them changes when the page is rebuilt. The
results are checked to agree before anything is timed. The full benchmark scripts, with
more sizes, both precisions and their tables, are in the repository's ``bench/`` folder
(``bench_conv.py``, ``bench_conv2d.py``, ``bench_nn.py``, ``bench_training.py``,
``bench_dask.py`` and ``gpu.py``).
"""

import os
import time

import matplotlib.pyplot as plt
import numba
import numpy as np
import scipy.signal
from threadpoolctl import threadpool_limits

import sigconv as sc
from sigconv import datasets, nn

rng = np.random.default_rng(seed=2024)

print(f"{os.cpu_count()} CPU cores, numba runs {numba.get_num_threads()} threads")


def median_seconds(function, repeats=5, sync=None):
    """Median wall-clock seconds of ``function()`` after one warm-up call.

    The warm-up loads the compiled kernels and fills the caches; ``sync`` (for the GPU)
    waits for the device to finish before the clock is read.
    """
    function()
    if sync is not None:
        sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        if sync is not None:
            sync()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def speedup_bars(ax, labels, ratios, title):
    """Grouped bars of speed-ups (``reference time / sigconv time``) on a log scale."""
    positions = np.arange(len(labels))
    width = 0.8 / len(ratios)
    for i, (name, values) in enumerate(ratios.items()):
        bars = ax.bar(positions + (i - (len(ratios) - 1) / 2) * width, values, width,
                      label=name, color=f"C{i}")
        ax.bar_label(bars, labels=[f"{v:.1f}x" for v in values], fontsize="small",
                     padding=2)
    ax.axhline(1.0, color="k", lw=1)
    ax.set_yscale("log")
    ax.set_xticks(positions, labels)
    ax.set_ylabel("speed-up: their time / sigconv's time")
    ax.set_title(title)
    ax.legend(fontsize="small", loc="upper left")
    top = max(max(values) for values in ratios.values())
    ax.set_ylim(min(0.5, 0.8 * min(min(values) for values in ratios.values())), 4 * top)


# %%
# 1-D convolution
# ---------------
#
# :func:`numpy.convolve` computes the direct sum on one thread. :func:`scipy.signal.convolve`
# chooses between its direct sum and the FFT with its own cost estimate;
# :func:`scipy.signal.fftconvolve` always transforms. ``sigconv.convolve`` with the
# default ``method="auto"`` picks the direct sum (a numba kernel that uses SIMD
# instructions and all cores), the FFT or overlap-add by its calibrated cost model, as
# the convolution-theorem tutorial shows. All four compute the full convolution:

cases_1d = [(1_000, 11), (10_000, 101), (100_000, 11), (100_000, 1_001), (1_000_000, 101)]
columns_1d = ("numpy.convolve", "scipy.signal.convolve", "scipy.signal.fftconvolve",
              "sigconv.convolve")
functions_1d = {
    "numpy.convolve": np.convolve,
    "scipy.signal.convolve": scipy.signal.convolve,
    "scipy.signal.fftconvolve": scipy.signal.fftconvolve,
    "sigconv.convolve": sc.convolve,
}
times_1d = {name: [] for name in columns_1d}
methods_1d = []
for n, k in cases_1d:
    signal, kernel = rng.standard_normal(n), rng.standard_normal(k)
    reference = sc.convolve(signal, kernel, method="direct")
    for name, function in functions_1d.items():
        assert np.allclose(function(signal, kernel), reference), name
        times_1d[name].append(median_seconds(
            lambda f=function, a=signal, b=kernel: f(a, b)))
    methods_1d.append(sc.choose_conv_method(signal, kernel))

print(f"{'n':>9} {'k':>6} " + " ".join(f"{name:>24}" for name in columns_1d)
      + f" {'auto picks':>10}")
for i, (n, k) in enumerate(cases_1d):
    print(f"{n:>9} {k:>6} " + " ".join(f"{1e3 * times_1d[name][i]:>21.3f} ms"
                                       for name in columns_1d) + f" {methods_1d[i]:>10}")

# %%
# The speed-ups, the time of each reference function divided by sigconv's (above one:
# sigconv is faster):

ours = np.array(times_1d["sigconv.convolve"])
ratios_1d = {name: np.array(times_1d[name]) / ours for name in columns_1d[:-1]}
labels_1d = [f"n={n:,}\nk={k:,}" for n, k in cases_1d]
fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
speedup_bars(ax, labels_1d, ratios_1d, "1-D convolution: speed-up of sigconv.convolve")
ax.set_xlabel("signal length n and kernel length k")

# %%
# The largest gains come where a reference uses the wrong tool for the size:
# :func:`numpy.convolve` runs a direct sum even for a thousand taps, which the FFT
# and overlap-add do far faster, and :func:`scipy.signal.fftconvolve` transforms a
# million samples for a kernel of a hundred taps, which the direct sum handles in less
# time. For the small case, the cost of a call decides: a few microseconds for each.
#
# 2-D convolution
# ---------------
#
# :func:`scipy.signal.convolve2d` runs a direct sum over the image on one thread, and
# supports the boundaries ``fill``, ``wrap`` and ``symm``; :func:`sigconv.convolve2d`
# takes the same arguments. On an image of :math:`512 \times 512` pixels with random
# (not separable) kernels of :math:`5 \times 5` and :math:`15 \times 15`, in ``same``
# mode, we also time :func:`scipy.signal.convolve`, whose cost model may take the FFT:

image = rng.standard_normal((512, 512))
kernel_sides = (5, 15)
columns_2d = ("scipy.signal.convolve2d", "scipy.signal.convolve", "sigconv.convolve2d")
times_2d = {name: [] for name in columns_2d}
for side in kernel_sides:
    kernel = rng.standard_normal((side, side))
    reference = sc.convolve(image, kernel, mode="same", method="direct")
    functions = {
        "scipy.signal.convolve2d": lambda k=kernel: scipy.signal.convolve2d(image, k, "same"),
        "scipy.signal.convolve": lambda k=kernel: scipy.signal.convolve(image, k, "same"),
        "sigconv.convolve2d": lambda k=kernel: sc.convolve2d(image, k, "same"),
    }
    for name, function in functions.items():
        assert np.allclose(function(), reference), name
        times_2d[name].append(median_seconds(function, repeats=3))
    print(f"512x512 * {side}x{side}: " + ", ".join(
        f"{name} {1e3 * times_2d[name][-1]:.2f} ms" for name in columns_2d))

# %%
# Single precision stays single precision
# ---------------------------------------
#
# Images and network weights are often float32: half the memory, and twice as many
# numbers per SIMD instruction. sigconv returns the result type of its inputs, as NumPy
# and SciPy do, so float32 in means float32 out, with the accuracy of float32
# (a relative error near :math:`10^{-7}` per operation against the float64 result):

image32 = image.astype(np.float32)
kernel32 = rng.standard_normal((15, 15)).astype(np.float32)
signal32 = rng.standard_normal(100_000).astype(np.float32)
results32 = {
    "sc.convolve2d": sc.convolve2d(image32, kernel32, "same"),
    "sc.convolve": sc.convolve(signal32, signal32[:101]),
    "sc.fftconvolve": sc.fftconvolve(signal32, signal32[:1001]),
    "sc.convolve (oa)": sc.convolve(signal32, signal32[:1001], method="oa"),
    "scipy.signal.convolve2d": scipy.signal.convolve2d(image32, kernel32, "same"),
    "numpy.convolve": np.convolve(signal32, signal32[:101]),
}
for name, result in results32.items():
    print(f"{name:24} -> {result.dtype}")
    assert result.dtype == np.float32

as_float64 = sc.convolve2d(image, kernel32.astype(np.float64), "same")
print("float32 against float64, max relative difference:",
      np.abs(results32["sc.convolve2d"] - as_float64).max() / np.abs(as_float64).max())
assert np.allclose(results32["sc.convolve2d"], as_float64, rtol=1e-4,
                   atol=1e-5 * np.abs(as_float64).max())

# %%
# The direct sum gains the most from it, since each SIMD instruction then multiplies and
# adds twice as many numbers. With the :math:`5 \times 5` kernel (a direct sum):

kernel5 = rng.standard_normal((5, 5))
time64 = median_seconds(lambda: sc.convolve2d(image, kernel5, "same"))
time32 = median_seconds(lambda: sc.convolve2d(image32, kernel5.astype(np.float32), "same"))
print(f"sc.convolve2d 512x512 * 5x5: float64 {1e3 * time64:.2f} ms, "
      f"float32 {1e3 * time32:.2f} ms ({time64 / time32:.1f}x faster in float32)")

# %%
# A batch of images along ``axes``
# --------------------------------
#
# :func:`scipy.signal.convolve2d` takes one image at a time, so a batch needs a Python
# loop. ``sigconv.convolve`` convolves only over the ``axes`` it is given and treats the
# others as a batch that broadcasts (as :func:`scipy.signal.fftconvolve` does): the
# kernel gets a batch axis of length one with ``kernel[None]``, and sixteen images of
# :math:`128 \times 128` pixels are filtered in one call, whose work is spread over the
# cores.

images = rng.standard_normal((16, 128, 128))
kernel7 = rng.standard_normal((7, 7))
batch_functions = {
    "loop of scipy.signal.convolve2d": lambda: np.stack(
        [scipy.signal.convolve2d(one, kernel7, "same") for one in images]),
    "loop of scipy.signal.convolve": lambda: np.stack(
        [scipy.signal.convolve(one, kernel7, "same") for one in images]),
    "scipy.signal.fftconvolve(axes=(1, 2))": lambda: scipy.signal.fftconvolve(
        images, kernel7[None], "same", axes=(1, 2)),
    "sigconv.convolve(axes=(1, 2))": lambda: sc.convolve(
        images, kernel7[None], "same", axes=(1, 2)),
}
batch_reference = np.stack([sc.convolve(one, kernel7, "same", method="direct")
                            for one in images])
times_batch = {}
for name, function in batch_functions.items():
    result = function()
    assert result.shape == (16, 128, 128)
    assert np.allclose(result, batch_reference), name
    times_batch[name] = median_seconds(function, repeats=3)
    print(f"{name:38} {1e3 * times_batch[name]:7.2f} ms")

# %%
# The 2-D and batch speed-ups side by side:

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
ours_2d = np.array(times_2d["sigconv.convolve2d"])
speedup_bars(axes[0], [f"{side}x{side}" for side in kernel_sides],
             {name: np.array(times_2d[name]) / ours_2d for name in columns_2d[:-1]},
             "sigconv.convolve2d, 512x512 image")
axes[0].set_xlabel("kernel size")
ours_batch = times_batch["sigconv.convolve(axes=(1, 2))"]
names_batch = list(batch_functions)[:-1]
bars = axes[1].barh(np.arange(len(names_batch)),
                    [times_batch[name] / ours_batch for name in names_batch],
                    color=["C0", "C1", "C2"])
axes[1].bar_label(bars, labels=[f"{times_batch[name] / ours_batch:.1f}x"
                                for name in names_batch], padding=2)
axes[1].axvline(1.0, color="k", lw=1)
axes[1].set_yticks(np.arange(len(names_batch)), [name.replace(" of ", " of\n")
                                                 for name in names_batch])
axes[1].set_xscale("log")
axes[1].set_xlim(0.5, 4 * max(times_batch[name] / ours_batch for name in names_batch))
axes[1].set_xlabel("speed-up: their time / sigconv's time")
axes[1].set_title("sigconv.convolve(axes=(1, 2)),\n16 images of 128x128, 7x7 kernel")

# %%
# Against :func:`scipy.signal.convolve2d`, a single-threaded direct sum, the gain is large
# for both kernels. Against :func:`scipy.signal.convolve` it depends on the method each
# cost model picks (printed below): where SciPy takes the FFT and sigconv keeps the
# direct sum, the larger kernel is near or past the point where the FFT becomes the
# faster method on this machine, and where a bar falls below one, SciPy's choice was the
# better one here. When one shape is convolved many times,
# ``choose_conv_method(..., measure=True)`` settles the question by timing every
# method on the actual inputs, and ``method=`` then forces the winner:

for side in kernel_sides:
    kernel = rng.standard_normal((side, side))
    print(f"{side}x{side}: scipy.signal.choose_conv_method -> "
          f"{scipy.signal.choose_conv_method(image, kernel, 'same')}, "
          f"sigconv.choose_conv_method -> {sc.choose_conv_method(image, kernel, 'same')}")
fastest, measured = sc.choose_conv_method(image, kernel, "same", measure=True)
print(f"measured for {kernel_sides[-1]}x{kernel_sides[-1]}:",
      {name: f"{1e3 * t:.2f} ms" for name, t in measured.items()}, "->", fastest)
assert fastest == min(measured, key=measured.get)

# %%
# The convolutional network
# -------------------------
#
# :mod:`sigconv.nn` trains the lecture's networks. A training step -- forward pass, loss,
# backward pass and SGD update -- of the digits CNN (``Conv2D(10, 3x3, relu) ->
# MaxPooling2D(2) -> Flatten -> Dense(50, relu) -> Dense(10, softmax)``, L2 penalty on
# every kernel) on a batch of 100 images of :math:`8 \times 8` pixels:

model = nn.lecture_digits_cnn(learning_rate=0.1, l2=1e-3)
x, y = datasets.load_digits()
y = nn.utils.to_categorical(y)
batch_x, batch_y = x[:100], y[:100]

first_loss, _ = model.train_on_batch(batch_x, batch_y)
step_seconds = median_seconds(lambda: model.train_on_batch(batch_x, batch_y), repeats=30)
last_loss, last_accuracy = model.train_on_batch(batch_x, batch_y)
print(f"one training step, batch 100: {1e3 * step_seconds:.2f} ms "
      f"({100 / step_seconds:,.0f} images per second)")
print(f"the same batch, 32 steps later: loss {first_loss:.3f} -> {last_loss:.3f}, "
      f"accuracy {last_accuracy:.2f}")
assert last_loss < first_loss

# %%
# The lecture trains on 80% of the 1797 digits, 15 batches of 100 per epoch, so one
# epoch takes about

steps_per_epoch = int(np.ceil(0.8 * len(x) / 100))
print(f"{steps_per_epoch} steps x {1e3 * step_seconds:.2f} ms = "
      f"{steps_per_epoch * step_seconds * 1e3:.0f} ms per epoch, "
      f"{100 * steps_per_epoch * step_seconds:.1f} s for the lecture's 100 epochs")

# %%
# The digits network is tiny: its convolution layer has 100 weights and sees
# :math:`8 \times 8` pixels. Larger networks spend most of their time in wider
# convolution layers, so their speed is best measured in floating-point operations per
# second. A
# ``Conv2D(64, 3, padding="same")`` layer on a batch of 16 images of :math:`32 \times 32`
# pixels with 32 channels computes, for every output pixel and output channel, a sum
# over :math:`3 \times 3 \times 32` inputs: :math:`2 B H W C_\text{in} C_\text{out} \cdot
# 9` floating-point operations (a multiply and an add each, counting the zero padding) in
# the forward pass. The
# backward pass computes two such sums, the gradients with respect to the input and to the
# kernel, so forward and backward together come to three times that. First a check that
# the layer computes the cross-correlation it promises, for one image and one filter:

layer = nn.Conv2D(64, 3, padding="same")
batch, height, width, channels_in = 16, 32, 32, 32
features = rng.standard_normal((batch, height, width, channels_in)).astype(np.float32)
output = layer.forward(features, training=True)
weights, bias = layer.params["kernel"], layer.params["bias"]
by_correlate = sum(sc.correlate2d(features[0, :, :, c], weights[:, :, c, 5], "same")
                   for c in range(channels_in)) + bias[5]
print("max |Conv2D - sum of correlate2d over channels|:",
      np.abs(output[0, :, :, 5] - by_correlate).max())
assert output.dtype == np.float32 and output.shape == (batch, height, width, 64)
assert np.allclose(output[0, :, :, 5], by_correlate, rtol=1e-4, atol=1e-4)

# %%
# Then the time of one forward and backward pass, and the rate it means:

grad_output = rng.standard_normal(output.shape).astype(np.float32)


def forward_backward():
    layer.forward(features, training=True)
    return layer.backward(grad_output)


grad_input = forward_backward()
assert grad_input.shape == features.shape
assert layer.grads["kernel"].shape == weights.shape

flops = 3 * 2 * batch * height * width * channels_in * 64 * 9
conv_seconds = median_seconds(forward_backward, repeats=5)
print(f"Conv2D forward + backward: {flops / 1e9:.2f} GFLOP in {1e3 * conv_seconds:.1f} ms "
      f"= {flops / conv_seconds / 1e9:.1f} GFLOP/s")

# %%
# A convolution layer is a matrix product in disguise: laying out each pixel's
# :math:`3 \times 3 \times 32` neighbourhood as a row (*im2col*) gives a matrix of
# :math:`B H W = 16384` rows and 288 columns, and the forward pass multiplies it by the
# :math:`288 \times 64` kernel matrix. :mod:`sigconv.nn` does this in chunks of rows
# small enough to stay in the cache, each chunk one single-threaded BLAS product, the
# chunks shared out over the cores. For scale, here is the rate of the BLAS that NumPy
# uses on one large square float32 product, where arithmetic and not memory is the limit,
# with its default number of threads and with one thread:

square = rng.standard_normal((1024, 1024)).astype(np.float32)
matmul_flops = 2 * 1024**3
blas_rate = matmul_flops / median_seconds(lambda: square @ square, repeats=10)
with threadpool_limits(limits=1, user_api="blas"):
    blas_rate_one = matmul_flops / median_seconds(lambda: square @ square, repeats=10)
layer_rate = flops / conv_seconds
print(f"1024 x 1024 float32 product, default BLAS threads: {blas_rate / 1e9:6.1f} GFLOP/s")
print(f"1024 x 1024 float32 product, one BLAS thread     : {blas_rate_one / 1e9:6.1f} GFLOP/s")
print(f"Conv2D forward + backward, windowing and bias in : {layer_rate / 1e9:6.1f} GFLOP/s "
      f"({layer_rate / blas_rate_one:.1f}x one BLAS thread)")

# %%
# The layer runs at a rate of the order of the bare products: gathering the windows and
# adding the bias cost little next to the arithmetic. (Compare the first two lines: on
# small virtual machines, splitting one product over the BLAS's own threads does not
# always pay, which is one reason the layer runs one-thread products side by side.)
#
# %%
# On the GPU
# ----------
#
# The direct convolution and the layers of :mod:`sigconv.nn` have CUDA twins that take
# the same arguments (``device="cuda"``, or data that is already on the GPU). If the
# machine that builds this page has a CUDA GPU, the cell below compares the 2-D
# convolution of a :math:`2048 \times 2048` float32 image with a :math:`5 \times 5` kernel
# on the CPU and on the GPU, with NumPy arrays in and out (copies included) and with data
# that stays on the device, and the GFLOP/s of the convolution layer above on the GPU.
# Without a GPU it says so. The full GPU benchmark, against CuPy and PyTorch on the same
# GPU, is ``bench/gpu.py``; run it on a machine with an NVIDIA GPU.

if sc.cuda_available() and not numba.config.ENABLE_CUDASIM:
    from numba import cuda

    big = rng.standard_normal((2048, 2048)).astype(np.float32)
    small = rng.standard_normal((5, 5)).astype(np.float32)
    on_cpu = sc.convolve2d(big, small, "same")
    on_gpu = sc.convolve2d(big, small, "same", device="cuda")
    assert isinstance(on_gpu, np.ndarray)
    assert np.allclose(on_gpu, on_cpu, rtol=1e-4, atol=1e-4)
    big_on_device, small_on_device = cuda.to_device(big), cuda.to_device(small)
    gpu_times = {
        "CPU": median_seconds(lambda: sc.convolve2d(big, small, "same")),
        "GPU, NumPy in and out": median_seconds(
            lambda: sc.convolve2d(big, small, "same", device="cuda"), sync=cuda.synchronize),
        "GPU, data on the device": median_seconds(
            lambda: sc.convolve2d(big_on_device, small_on_device, "same"),
            repeats=20, sync=cuda.synchronize),
    }
    for name, seconds in gpu_times.items():
        print(f"convolve2d 2048x2048 * 5x5, {name:24}: {1e3 * seconds:8.3f} ms")

    gpu_layer = nn.Conv2D(64, 3, padding="same", input_shape=features.shape[1:]).to("cuda")
    gpu_layer.set_weights(layer.get_weights())  # the CPU layer's weights: same outputs
    features_on_device = cuda.to_device(features)
    grad_on_device = cuda.to_device(grad_output)
    gpu_output = gpu_layer.forward(features_on_device, training=True).copy_to_host()
    assert np.allclose(gpu_output, layer.forward(features), rtol=1e-4, atol=1e-4)

    def forward_backward_gpu():
        gpu_layer.forward(features_on_device, training=True)
        return gpu_layer.backward(grad_on_device)

    gpu_seconds = median_seconds(forward_backward_gpu, repeats=20, sync=cuda.synchronize)
    print(f"Conv2D forward + backward on the GPU: {1e3 * gpu_seconds:.2f} ms = "
          f"{flops / gpu_seconds / 1e9:.1f} GFLOP/s "
          f"({conv_seconds / gpu_seconds:.1f}x the CPU)")
else:
    print("No CUDA GPU was found on the machine that built this page, so nothing is timed "
          "here. On a machine with an NVIDIA GPU, run `python bench/gpu.py` from the "
          "repository root for the GPU benchmark.")

# %%
# Where to look next
# ------------------
#
# The scripts in ``bench/`` measure all of this more thoroughly than a documentation page
# can afford to, and print tables of medians and ratios: ``bench_conv.py`` (1-D, float64
# and float32, every method against NumPy and SciPy), ``bench_conv2d.py`` (images up to
# :math:`2048 \times 2048`, kernels up to :math:`31 \times 31`, separable kernels),
# ``bench_nn.py`` and ``bench_training.py`` (the lecture's networks against PyTorch on the
# CPU), ``calibrate.py`` (refits the cost model behind ``method="auto"`` for another CPU)
# and ``gpu.py``. Run them on an idle machine for numbers to quote.
