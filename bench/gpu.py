"""GPU check and benchmark: run on a machine with an NVIDIA GPU, from the repository root.

    python bench/gpu.py [--quick] [--results bench/RESULTS.md]

1. Runs the CUDA twin tests (tests/cuda_sim) on the real GPU (``SIGCONV_TEST_CUDA=1``).
2. Times the GPU twins against the CPU path and, where installed, CuPy and PyTorch on the
   same GPU: 1-D convolution, the direct 2-D convolution of a 2048x2048 image with a 5x5
   kernel (target: under 1 ms on an H100), the Fourier synthesis and the CIFAR-10 training
   step. Device times are measured with the data already on the GPU (``device=None`` with
   device arrays), after a warm-up call, synchronising before each clock read: device
   arrays in, device arrays out, nothing staged through the host.
3. Next to each sigconv GPU time, the host-device copies one more call makes and the bytes
   they move (:func:`sigconv._transfers.count_transfers`): the device contract of issue 19
   is that data already on the GPU stays there.
4. Appends the table, with the device's name, to ``--results``.

A few minutes in all. Prints what is not available instead of failing. ``--tiny`` runs
the signal rows at toy sizes, also in numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``),
to check the script itself and its transfer counts without a GPU (times then mean
nothing; the CIFAR-10 step is left out, a few minutes per step in the simulator).
"""

import argparse
import datetime
import os
import subprocess
import sys
import time

import numpy as np

import sigconv as sc
from sigconv._transfers import count_transfers


def transfers_of(function, sync=None):
    """The host-device copies of one call of ``function``, as ``"N (bytes)"``."""
    with count_transfers() as log:
        function()
        if sync:
            sync()
    return f"{log.count} ({_size(log.nbytes)})"


def _size(nbytes):
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes} B"


#: timed calls at most per measurement (``--tiny`` sets 1: the simulator is slow)
MAX_REPEATS = [7]


def median_seconds(function, sync=None, repeats=7):
    function()
    if sync:
        sync()
    times = []
    for _ in range(min(repeats, MAX_REPEATS[0])):
        start = time.perf_counter()
        function()
        if sync:
            sync()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def run_tests():
    env = {**os.environ, "SIGCONV_TEST_CUDA": "1"}
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "tests/cuda_sim"], env=env, capture_output=True, text=True)
    print(result.stdout[-3000:], result.stderr[-2000:])
    return result.returncode == 0


def cases(quick, tiny=False):
    rng = np.random.default_rng(0)
    n_1d = 300 if tiny else 1_000_000 if quick else 10_000_000
    side = 16 if tiny else 2048
    yield (f"1-D convolve, n={n_1d}, k=101, float32",
           rng.standard_normal(n_1d).astype(np.float32),
           rng.standard_normal(101).astype(np.float32), "convolve")
    yield (f"2-D convolve2d, {side}x{side} * 5x5, float32",
           rng.standard_normal((side, side)).astype(np.float32),
           rng.standard_normal((5, 5)).astype(np.float32), "convolve2d")


def cifar_step(torch_cuda, batch=256):
    """The lecture's CIFAR-10 network, one Adam training step at ``batch``."""
    from numba import cuda

    from sigconv import nn

    def network():
        return nn.Sequential([
            nn.Input((32, 32, 3)), nn.Conv2D(32, 3, activation="relu"), nn.MaxPooling2D(),
            nn.Conv2D(64, 3, activation="relu"), nn.MaxPooling2D(),
            nn.Conv2D(64, 3, activation="relu"), nn.Flatten(),
            nn.Dense(64, activation="relu"), nn.Dense(10)])

    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 32, 32, 3)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    row = {"case": f"CIFAR-10 CNN train step, batch {batch}"}
    for where in ("cpu", "cuda"):
        model = network().to(where)
        model.compile(optimizer="adam",
                      loss=nn.SparseCategoricalCrossentropy(from_logits=True))
        sync = cuda.synchronize if where == "cuda" else None
        row[f"sigconv {'gpu' if where == 'cuda' else 'cpu'}"] = median_seconds(
            lambda m=model: m.train_on_batch(x, y), sync=sync, repeats=5)
        if where == "cuda":
            row["gpu transfers"] = transfers_of(lambda m=model: m.train_on_batch(x, y),
                                                sync)
    if torch_cuda:
        import torch

        model = torch.nn.Sequential(
            torch.nn.Conv2d(3, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(64, 64, 3), torch.nn.ReLU(), torch.nn.Flatten(),
            torch.nn.Linear(1024, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)).cuda()
        optimizer = torch.optim.Adam(model.parameters())
        tx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).cuda()
        ty = torch.from_numpy(y).cuda()
        loss_fn = torch.nn.CrossEntropyLoss()

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(tx), ty).backward()
            optimizer.step()
        row["pytorch"] = median_seconds(step, sync=torch.cuda.synchronize)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results", default=os.path.join(os.path.dirname(__file__),
                                                          "RESULTS.md"))
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--tiny", action="store_true",
                        help="toy sizes (also in the simulator): checks the script")
    args = parser.parse_args()
    if args.tiny:
        MAX_REPEATS[0] = 1
    if not sc.cuda_available():
        print("no CUDA GPU here: nothing to do")
        return 1
    import numba
    from numba import cuda

    if numba.config.ENABLE_CUDASIM:
        device_name = "numba's CUDA simulator"
    else:
        device_name = cuda.get_current_device().name
        device_name = device_name.decode() if isinstance(device_name, bytes) else device_name
    tests_ok = True if args.skip_tests else run_tests()
    rows = []
    try:
        import cupy
        import cupyx.scipy.signal as cupy_signal
    except ImportError:
        cupy = None
    try:
        import torch
        torch_cuda = torch.cuda.is_available()
    except ImportError:
        torch_cuda = False
    for name, a, b, function in cases(args.quick, args.tiny):
        cpu_time = median_seconds(lambda a=a, b=b, f=function: getattr(sc, f)(
            a, b, mode="same"), repeats=3)
        da, db = cuda.to_device(a), cuda.to_device(b)

        def on_gpu(da=da, db=db, f=function):
            return getattr(sc, f)(da, db, mode="same")
        gpu_time = median_seconds(on_gpu, sync=cuda.synchronize)
        row = {"case": name, "sigconv cpu": cpu_time, "sigconv gpu": gpu_time,
               "gpu transfers": transfers_of(on_gpu, cuda.synchronize)}
        if cupy is not None:
            ca, cb = cupy.asarray(a), cupy.asarray(b)
            kernel = getattr(cupy_signal, function)
            row["cupy"] = median_seconds(lambda ca=ca, cb=cb, k=kernel: k(ca, cb, mode="same"),
                                         sync=cupy.cuda.Device().synchronize)
        if torch_cuda and function == "convolve2d":
            ta = torch.from_numpy(a).cuda()[None, None]
            tb = torch.from_numpy(b[::-1, ::-1].copy()).cuda()[None, None]
            row["pytorch"] = median_seconds(
                lambda ta=ta, tb=tb: torch.nn.functional.conv2d(ta, tb, padding=2),
                sync=torch.cuda.synchronize)
        rows.append(row)
    terms, points = (20, 200) if args.tiny else (1000, 1_000_000)
    series = sc.FourierSeries.square_wave(1.0, 0.5, 1.0, terms)
    t = np.linspace(0, 4, points)
    dt = cuda.to_device(t)
    rows.append({"case": f"Fourier synthesis, {terms} terms at {points} points",
                 "sigconv cpu": median_seconds(lambda: series(t), repeats=3),
                 "sigconv gpu": median_seconds(lambda: series(dt), sync=cuda.synchronize),
                 "gpu transfers": transfers_of(lambda: series(dt), cuda.synchronize)})

    if not args.tiny:   # (the simulator takes many minutes per step of this network;
        # tests/cuda_sim/test_nn_transfers.py counts a training step's transfers there)
        rows.append(cifar_step(torch_cuda))

    columns = ["case", "sigconv cpu", "sigconv gpu", "gpu transfers", "cupy", "pytorch"]
    lines = [f"## {datetime.date.today()} on {device_name}", "",
             "CUDA twin tests on the GPU: " + ("not run (--skip-tests)" if args.skip_tests
                                               else "passed" if tests_ok else "FAILED"), "",
             "| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in rows:
        cells = [row["case"]] + [row[c] if isinstance(row.get(c), str)
                                 else f"{row[c] * 1e3:.3f} ms" if c in row else "-"
                                 for c in columns[1:]]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "pytorch in the CIFAR row: the same network and Adam step on the same GPU "
              "(target: sigconv gpu within 3x). gpu transfers: the host-device copies of "
              "one more sigconv gpu call, and the bytes they moved (the CIFAR step takes "
              "NumPy batches: x and y go up, the loss comes down).", ""]
    if args.tiny:
        lines.insert(1, "(--tiny: toy sizes; the times mean nothing, the transfers do)")
    text = "\n".join(lines)
    print(text)
    with open(args.results, "a") as stream:
        stream.write(text + "\n")
    return 0 if tests_ok else 1


if __name__ == "__main__":
    sys.exit(main())
