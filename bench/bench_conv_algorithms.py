"""Benchmark: sigconv.nn's convolution algorithms on the lecture networks' layers.

Run from the repository root: ``python bench/bench_conv_algorithms.py [--quick]``.

For each convolution layer of the CIFAR-10 net (batch 32 and 256), of the digits net
(batch 100) and for the 64x32x32, 32 -> 64, 3x3 "same" layer, and for every algorithm
(``gemm``, ``winograd2``, ``winograd4``, ``fft``, ``direct``, and ``auto``), the effective
GFLOP/s of

* ``fwd``: the forward pass;
* ``dk``: the kernel gradient alone (``conv_backward(..., input_grad=False)``);
* ``dx``: the input gradient, timed as (input and kernel gradient) - (kernel gradient
  alone), so noisy when small;
* ``dx+dk``: the whole backward pass, and ``all``: forward + backward,

where the FLOPs are those of the direct convolution, ``2 * batch * oh * ow * kh * kw *
cin * filters`` per pass, whatever the algorithm really computes (a Winograd or FFT
algorithm can beat the machine's GEMM peak in these units). The peak is printed first: a
large float32 ``np.matmul`` on this machine's threads.

An algorithm runs as the layers run it (``functional._algorithm(name)``, forward's cache
handed to backward), or with ``--public`` through the checked
``sigconv.nn.functional.conv_forward(..., algorithm=name)`` and ``conv_backward``. One that
does not apply to the layer shows as ``-``, with the reason under the table. Timings are
medians of ``--repeats`` calls after a warm-up call (compilation).
"""

import argparse
import functools
import os
import time

import numpy as np

from sigconv.nn import functional

ALGORITHMS = functional.CONV_ALGORITHMS


def layer_shapes():
    """(label, batch, (H, W), cin, filters, (kh, kw), padding) of every layer to time."""
    shapes = [("issue layer 64x32x32x32 -> 64 same", 64, (32, 32), 32, 64, (3, 3), "same")]
    for batch in (32, 256):
        shapes += [(f"cifar b{batch} conv1 32x32x3 -> 32", batch, (32, 32), 3, 32, (3, 3),
                    "valid"),
                   (f"cifar b{batch} conv2 15x15x32 -> 64", batch, (15, 15), 32, 64, (3, 3),
                    "valid"),
                   (f"cifar b{batch} conv3 6x6x64 -> 64", batch, (6, 6), 64, 64, (3, 3),
                    "valid")]
    shapes.append(("digits b100 conv1 8x8x1 -> 10", 100, (8, 8), 1, 10, (3, 3), "valid"))
    return shapes


def median_seconds(function, repeats, budget):
    """Median of ``repeats`` timed calls after one untimed call (at least 3 calls; fewer
    than ``repeats`` once ``budget`` seconds are spent)."""
    function()
    samples = []
    while len(samples) < repeats and (len(samples) < 3 or sum(samples) < budget):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples))


def gemm_peak(dtype, repeats):
    """GFLOP/s of a large square matmul, and of the 4096x1152 @ 1152x64 product."""
    rng = np.random.default_rng(0)
    peaks = {}
    for m, k, n in ((2048, 2048, 2048), (4096, 1152, 64)):
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        out = np.empty((m, n), dtype)
        seconds = median_seconds(lambda a=a, b=b, out=out: np.matmul(a, b, out=out),
                                 max(repeats, 5), 2.0)
        peaks[f"{m}x{k} @ {k}x{n}"] = 2 * m * k * n / seconds / 1e9
    return peaks


def implementation(name, public=False):
    """(forward(x, k, g) -> cache, backward(x, grad, k, g, input_grad, cache),
    misfit(g, cin, f, dtype) -> reason or None, how)."""
    misfit = functools.partial(functional.algorithm_misfit, name)
    if public:
        def forward(x, kernel, geometry):       # keeps gemm's patches, as a layer does
            return functional.conv_forward(x, kernel, geometry, keep_patches=True,
                                           algorithm=name)[1]

        def backward(x, grad, kernel, geometry, input_grad, cache):
            functional.conv_backward(x, grad, kernel, geometry, input_grad=input_grad,
                                     cols=cache, algorithm=name)
        return forward, backward, misfit, \
            "public conv_forward/conv_backward(algorithm=): checks, gemm's patches reused"
    passes = functional._algorithm(name)

    def forward(x, kernel, geometry):
        return passes.forward(x, kernel, geometry)[1]

    def backward(x, grad, kernel, geometry, input_grad, cache):
        passes.backward(x, grad, kernel, geometry, input_grad, cache)
    return forward, backward, misfit, \
        f"functional._algorithm({name!r}), the layers' path: forward's cache to backward"


def auto_picks(shape, dtype):
    """What ``algorithm="auto"`` runs for a training step and for inference."""
    _, batch, size, cin, filters, kernel_size, padding = shape
    geometry = functional.window_geometry(size, kernel_size, (1, 1), (1, 1), padding)
    return {"train": functional.choose_conv_algorithm(batch, geometry, cin, filters, dtype,
                                                      training=True),
            "infer": functional.choose_conv_algorithm(batch, geometry, cin, filters, dtype,
                                                      training=False)}


def time_layer(shape, algorithm, dtype, repeats, budget, public):
    """{pass: seconds} or the reason the algorithm does not run here."""
    _, batch, size, cin, filters, kernel_size, padding = shape
    forward, backward, misfit, _ = implementation(algorithm, public)
    geometry = functional.window_geometry(size, kernel_size, (1, 1), (1, 1), padding)
    reason = misfit(geometry, cin, filters, np.dtype(dtype))
    if reason is not None:
        return reason
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *size, cin)).astype(dtype)
    kernel = (rng.standard_normal((*kernel_size, cin, filters))
              / np.sqrt(kernel_size[0] * kernel_size[1] * cin)).astype(dtype)
    grad = rng.standard_normal((batch, *geometry.out_size, filters)).astype(dtype)
    cache = forward(x, kernel, geometry)
    seconds = {"fwd": median_seconds(lambda: forward(x, kernel, geometry), repeats, budget)}
    seconds["dk"] = median_seconds(
        lambda: backward(x, grad, kernel, geometry, False, cache), repeats, budget)
    seconds["dx+dk"] = median_seconds(
        lambda: backward(x, grad, kernel, geometry, True, cache), repeats, budget)
    return seconds


def flops_per_pass(shape):
    _, batch, size, cin, filters, kernel_size, padding = shape
    geometry = functional.window_geometry(size, kernel_size, (1, 1), (1, 1), padding)
    oh, ow = geometry.out_size
    return 2 * batch * oh * ow * kernel_size[0] * kernel_size[1] * cin * filters


def _rate(flops, seconds):
    """GFLOP/s, or ``~`` for a derived time that noise made <= 0."""
    return f"{flops / seconds / 1e9:7.1f}" if seconds > 0 else f"{'~':>7s}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: 3 timed calls per pass")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed calls per pass (default 10, 3 with --quick)")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds of timed calls per pass before stopping early "
                             "(default 3, 0.3 with --quick)")
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--only", default=None,
                        help="time only the layers whose label contains this text")
    parser.add_argument("--public", action="store_true",
                        help="call the public conv_forward/conv_backward(algorithm=), "
                             "argument checks included, instead of the layers' path")
    args = parser.parse_args()
    repeats = args.repeats if args.repeats is not None else (3 if args.quick else 10)
    budget = args.budget if args.budget is not None else (0.3 if args.quick else 3.0)
    dtype = np.dtype(args.dtype)

    print(f"sigconv.nn convolution algorithms, {dtype}, {functional.n_threads()} threads; "
          f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for name in ALGORITHMS:
        print(f"  {name:10s} {implementation(name, args.public)[3]}")
    peaks = gemm_peak(dtype, repeats)
    print("GEMM peak (np.matmul): " + ", ".join(f"{label}: {rate:.1f} GFLOP/s"
                                                 for label, rate in peaks.items()))
    print("effective GFLOP/s = direct-convolution FLOPs / time (dx = (dx+dk) - dk; "
          "all = 3 passes / (fwd + dx+dk)); <-train / <-infer: what algorithm='auto' runs\n")
    header = (f"  {'algorithm':10s} {'fwd':>7s} {'dx':>7s} {'dk':>7s} {'dx+dk':>7s} "
              f"{'all':>7s} {'fwd ms':>8s} {'bwd ms':>8s}")
    for shape in layer_shapes():
        if args.only is not None and args.only not in shape[0]:
            continue
        flops = flops_per_pass(shape)
        print(f"{shape[0]}, {shape[5][0]}x{shape[5][1]} {shape[6]}, batch {shape[1]}: "
              f"{flops / 1e6:.1f} MFLOP per pass")
        print(header)
        picks = auto_picks(shape, dtype)
        reasons, timed = {}, {}
        for name in ALGORITHMS:
            result = time_layer(shape, name, dtype, repeats, budget, args.public)
            if isinstance(result, str):
                reasons[name] = result
                print(f"  {name:10s} {'-':>7s} {'-':>7s} {'-':>7s} {'-':>7s} {'-':>7s}")
                continue
            timed[name] = result
            dx = result["dx+dk"] - result["dk"]
            marks = "".join(f" <-{use}" for use, pick in picks.items() if pick == name)
            print(f"  {name:10s} {_rate(flops, result['fwd'])} {_rate(flops, dx)} "
                  f"{_rate(flops, result['dk'])} {_rate(2 * flops, result['dx+dk'])} "
                  f"{_rate(3 * flops, result['fwd'] + result['dx+dk'])} "
                  f"{result['fwd'] * 1e3:8.2f} {result['dx+dk'] * 1e3:8.2f}{marks}")
        for name, reason in reasons.items():
            print(f"    - {name}: {reason}")
        if timed:
            fastest_train = min(timed, key=lambda n: timed[n]["fwd"] + timed[n]["dx+dk"])
            fastest_infer = min(timed, key=lambda n: timed[n]["fwd"])
            auto = (f"auto runs {picks['train']} (train), {picks['infer']} (infer)"
                    if picks else "no choose_conv_algorithm yet")
            print(f"    fastest measured: {fastest_train} (train), {fastest_infer} (infer); "
                  f"{auto}")
        print(flush=True)


if __name__ == "__main__":
    main()
