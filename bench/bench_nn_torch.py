"""Benchmark: sigconv.nn against PyTorch (CPU), each in a process of its own.

Run from the repository root with sigconv's Python::

    python bench/bench_nn_torch.py [--rounds 3] [--quick] [--algorithm NAME]
                                   [--torch-python PATH]

PyTorch lives in a separate environment (``--torch-python``, default the environment
variable ``SIGCONV_BENCH_TORCH_PYTHON`` or ``/work/torchenv/bin/python``) so that neither
library's threads, allocator or BLAS can disturb the other's timings: the driver starts
one worker process per side (this same file with ``--worker``), and the sigconv worker
never imports torch, the PyTorch worker never imports sigconv. The rounds alternate the
sides (sigconv, PyTorch NCHW, PyTorch channels_last, then again), so a slow spell of the
machine hits all three; each case keeps each side's best median over the rounds, and
PyTorch the better of its two memory formats.

Every worker runs float32 with 2 threads (``torch.set_num_threads(2)``; sigconv uses
numba's thread count, which is the core count here), warms each case up (first calls
compile or plan), then times ``--repeats`` calls (fewer if a case's time budget runs out)
and reports their median as JSON on stdout.

Cases (as in ``bench/bench_nn.py``):

* one Conv2D, batch 64, 32x32, 32 -> 64 channels, 3x3 "same": forward, and forward +
  backward (input and kernel gradients);
* the lecture's CIFAR-10 net (32x32x3 -> Conv2D 32 -> MaxPool -> Conv2D 64 -> MaxPool ->
  Conv2D 64 -> Flatten -> Dense 64 -> Dense 10 logits): a training step with Adam and
  sparse categorical cross-entropy from logits at batch 32 and 256, and inference
  (``predict``) at batch 256;
* the digits net (8x8x1 -> Conv2D 10 -> MaxPool -> Flatten -> Dense 50 -> Dense 10
  softmax): a training step with SGD and categorical cross-entropy, batch 100.

sigconv goes through its public API: a compiled ``Sequential`` and ``train_on_batch`` /
``predict`` (which check their data, as a user's call does), the layer's ``forward`` and
``backward`` for the single Conv2D. GFLOP/s are effective rates: the FLOPs of the direct
convolutions and matrix products (2 per multiply-add; a training step counts forward,
kernel gradients and every input gradient but the first layer's) over the time.

PyTorch's models have the same shapes (NCHW input, or model and input in
``torch.channels_last``) and take ``CrossEntropyLoss`` on logits, which is softmax +
categorical cross-entropy. ``--algorithm NAME`` passes ``algorithm=NAME`` to every sigconv
Conv2D (ignored, and said so, where the layers have no such argument); the report lists
the algorithm each sigconv Conv layer ran. ``--only TEXT`` times the matching cases alone.

Nothing else should run during the benchmark; the load average printed around each round
shows a loaded machine.
"""

import argparse
import json
import os
import subprocess
import sys
import time

SIDES = ("sigconv", "torch-nchw", "torch-cl")
DEFAULT_TORCH_PYTHON = "/work/torchenv/bin/python"
THREADS = 2
CONV_FLOPS = 2 * 64 * 32 * 32 * 64 * 32 * 9


def _conv_flops(batch, out_hw, kernel, cin, filters):
    return 2 * batch * out_hw[0] * out_hw[1] * kernel[0] * kernel[1] * cin * filters


def _dense_flops(batch, units_in, units_out):
    return 2 * batch * units_in * units_out


def cifar_flops(batch):
    """(forward, training step) FLOPs of the CIFAR-10 net."""
    layers = [_conv_flops(batch, (30, 30), (3, 3), 3, 32),
              _conv_flops(batch, (13, 13), (3, 3), 32, 64),
              _conv_flops(batch, (4, 4), (3, 3), 64, 64),
              _dense_flops(batch, 1024, 64), _dense_flops(batch, 64, 10)]
    forward = sum(layers)
    return forward, 3 * forward - layers[0]   # no input gradient for the first layer


def digits_flops(batch):
    layers = [_conv_flops(batch, (6, 6), (3, 3), 1, 10), _dense_flops(batch, 90, 50),
              _dense_flops(batch, 50, 10)]
    forward = sum(layers)
    return forward, 3 * forward - layers[0]


#: name -> (batch: items per call, FLOPs per call)
CASES = {
    "conv 64x32x32 32->64 3x3 same: fwd": (64, CONV_FLOPS),
    "conv 64x32x32 32->64 3x3 same: fwd+bwd": (64, 3 * CONV_FLOPS),
    "cifar train step, batch 32": (32, cifar_flops(32)[1]),
    "cifar train step, batch 256": (256, cifar_flops(256)[1]),
    "cifar predict, batch 256": (256, cifar_flops(256)[0]),
    "digits train step, batch 100": (100, digits_flops(100)[1]),
}


# --- timing (both workers) -------------------------------------------------------------

def time_case(function, warmup, repeats, budget):
    """Median seconds of ``repeats`` calls after ``warmup`` untimed ones (at least 3
    timed calls; fewer than ``repeats`` once ``budget`` seconds are spent)."""
    for _ in range(warmup):
        function()
    samples = []
    spent = 0.0
    while len(samples) < repeats and (len(samples) < 3 or spent < budget):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
        spent += samples[-1]
    samples.sort()
    middle = len(samples) // 2
    median = samples[middle] if len(samples) % 2 else (samples[middle - 1]
                                                       + samples[middle]) / 2
    return {"median_s": median, "min_s": samples[0], "samples": len(samples)}


def data(batch, shape, classes, seed):
    """The same float32 images and integer labels on both sides."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    return x, rng.integers(0, classes, batch)


# --- sigconv worker -------------------------------------------------------------------

def sigconv_cases(algorithm):
    """name -> callable, and notes for the report."""
    import inspect

    import numba
    import numpy as np

    import sigconv
    from sigconv import nn

    notes = {"sigconv": getattr(sigconv, "__version__", "?"),
             "numba_threads": numba.get_num_threads(), "algorithm": algorithm or "default"}
    conv_options = {}
    if algorithm is not None:
        if "algorithm" in inspect.signature(nn.Conv2D.__init__).parameters:
            conv_options["algorithm"] = algorithm
        else:
            notes["algorithm"] = f"{algorithm} IGNORED (nn.Conv2D has no algorithm= yet)"

    def conv(*args, **kwargs):
        return nn.Conv2D(*args, **kwargs, **conv_options)

    cases = {}
    x, _ = data(64, (32, 32, 32), 10, 0)
    grad = np.random.default_rng(1).standard_normal((64, 32, 32, 64)).astype(np.float32)
    layer = conv(64, 3, padding="same", input_shape=(32, 32, 32))
    layer(x)

    def layer_both():
        layer.forward(x, training=True)
        layer.backward(grad)

    cases["conv 64x32x32 32->64 3x3 same: fwd"] = lambda: layer.forward(x)
    cases["conv 64x32x32 32->64 3x3 same: fwd+bwd"] = layer_both

    def cifar():
        model = nn.Sequential([
            nn.Input((32, 32, 3)), conv(32, 3, activation="relu"), nn.MaxPooling2D(2),
            conv(64, 3, activation="relu"), nn.MaxPooling2D(2),
            conv(64, 3, activation="relu"), nn.Flatten(), nn.Dense(64, activation="relu"),
            nn.Dense(10)])
        model.compile(optimizer=nn.Adam(),
                      loss=nn.SparseCategoricalCrossentropy(from_logits=True))
        return model

    cifar_models = []
    for batch in (32, 256):
        xb, yb = data(batch, (32, 32, 3), 10, batch)
        model = cifar()
        cifar_models.append(model)
        cases[f"cifar train step, batch {batch}"] = \
            lambda m=model, xb=xb, yb=yb: m.train_on_batch(xb, yb)
        if batch == 256:
            cases["cifar predict, batch 256"] = \
                lambda m=model, xb=xb: m.predict(xb, batch_size=256)

    xd, labels = data(100, (8, 8, 1), 10, 100)
    onehot = np.eye(10, dtype=np.float32)[labels]
    digits = nn.Sequential([
        nn.Input((8, 8, 1)), conv(10, 3, activation="relu"), nn.MaxPooling2D(2),
        nn.Flatten(), nn.Dense(50, activation="relu"), nn.Dense(10, activation="softmax")])
    digits.compile(optimizer=nn.SGD(0.01), loss="categorical_crossentropy")
    cases["digits train step, batch 100"] = lambda: digits.train_on_batch(xd, onehot)
    models = {"conv": [layer], "cifar": cifar_models, "digits": [digits]}
    return cases, notes, lambda: _algorithms_run(models)


def _algorithms_run(models):
    """The algorithm each sigconv Conv layer ran, per pass: {"cifar": "conv2d: train
    winograd4, infer gemm; ..."} (empty before the layers have ``algorithm=``)."""
    runs = {}
    for label, items in models.items():
        layers = [layer for item in items for layer in getattr(item, "layers", [item])]
        parts = []
        for layer in layers:
            seen = getattr(layer, "_algorithms", None)
            if seen:
                picks = sorted({("train" if key[3] else "infer", name)
                                for key, name in seen.items()})
                parts.append(f"{layer.name}: " + ", ".join(f"{use} {name}"
                                                            for use, name in picks))
        if parts:
            runs[label] = "; ".join(parts)
    return runs


# --- PyTorch worker -------------------------------------------------------------------

def torch_cases(channels_last):
    import numpy as np
    import torch

    torch.set_num_threads(THREADS)
    notes = {"torch": torch.__version__, "torch_threads": torch.get_num_threads(),
             "memory_format": "channels_last" if channels_last else "NCHW"}
    fmt = torch.channels_last if channels_last else torch.contiguous_format

    def images(x):        # NHWC numpy -> NCHW tensor in the chosen memory format
        return torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).contiguous(memory_format=fmt)

    def place(model):
        return model.to(memory_format=fmt)

    cases = {}
    x, _ = data(64, (32, 32, 32), 10, 0)
    grad = np.random.default_rng(1).standard_normal((64, 32, 32, 64)).astype(np.float32)
    conv = place(torch.nn.Conv2d(32, 64, 3, padding=1))
    tx, tg = images(x).requires_grad_(), images(grad)

    def conv_forward():
        with torch.no_grad():
            conv(tx)

    def conv_both():
        tx.grad = None
        conv.zero_grad(set_to_none=True)
        conv(tx).backward(tg)

    cases["conv 64x32x32 32->64 3x3 same: fwd"] = conv_forward
    cases["conv 64x32x32 32->64 3x3 same: fwd+bwd"] = conv_both

    def step(model, optimizer, xb, yb):
        loss_fn = torch.nn.CrossEntropyLoss()     # softmax + cross-entropy from logits

        def run():
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            return loss.item()                    # as train_on_batch returns the loss
        return run

    def cifar():
        return place(torch.nn.Sequential(
            torch.nn.Conv2d(3, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(64, 64, 3), torch.nn.ReLU(), torch.nn.Flatten(),
            torch.nn.Linear(1024, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)))

    for batch in (32, 256):
        xb, yb = data(batch, (32, 32, 3), 10, batch)
        model = cifar()
        txb, tyb = images(xb), torch.from_numpy(yb)
        cases[f"cifar train step, batch {batch}"] = \
            step(model, torch.optim.Adam(model.parameters()), txb, tyb)
        if batch == 256:
            inference = cifar().eval()

            def predict(m=inference, xb=txb):
                with torch.inference_mode():
                    return m(xb).numpy()
            cases["cifar predict, batch 256"] = predict

    xd, labels = data(100, (8, 8, 1), 10, 100)
    digits = place(torch.nn.Sequential(
        torch.nn.Conv2d(1, 10, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(90, 50), torch.nn.ReLU(), torch.nn.Linear(50, 10)))
    cases["digits train step, batch 100"] = step(
        digits, torch.optim.SGD(digits.parameters(), 0.01), images(xd), torch.from_numpy(labels))
    return cases, notes, dict


def worker(args):
    if args.worker == "sigconv":
        cases, notes, runs = sigconv_cases(args.algorithm)
    else:
        cases, notes, runs = torch_cases(args.worker == "torch-cl")
    results = {name: time_case(function, args.warmup, args.repeats, args.budget)
               for name, function in cases.items() if args.only is None or args.only in name}
    other = "torch" if args.worker == "sigconv" else "sigconv"
    if other in sys.modules:      # each side must run free of the other's threads and BLAS
        raise RuntimeError(f"the {args.worker} worker imported {other}")
    notes["algorithms run"] = runs()
    json.dump({"notes": notes, "cases": results}, sys.stdout)


# --- driver ---------------------------------------------------------------------------

def run_worker(side, args, python):
    command = [python, os.path.abspath(__file__), "--worker", side,
               "--repeats", str(args.repeats), "--warmup", str(args.warmup),
               "--budget", str(args.budget)]
    if args.only is not None:
        command += ["--only", args.only]
    if side == "sigconv" and args.algorithm is not None:
        command += ["--algorithm", args.algorithm]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        print(f"  {side}: worker failed (exit {done.returncode}):\n{tail}", flush=True)
        return None
    return json.loads(done.stdout)


def load():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _ms(seconds):
    return f"{seconds * 1e3:7.2f}ms" if seconds is not None else f"{'-':>9s}"


def _per_second(amount, seconds, scale, width, digits):
    return f"{amount / seconds / scale:{width}.{digits}f}" if seconds else f"{'-':>{width}s}"


def report(best, notes):
    print("\nbest median per side over the rounds; ratio = sigconv speed / PyTorch speed "
          "(PyTorch time / sigconv time, > 1: sigconv faster)")
    for side in SIDES:
        if side in notes:
            runs = notes[side].pop("algorithms run", {})
            print(f"  {side}: " + ", ".join(f"{key}={value}"
                                            for key, value in notes[side].items()))
            for label, run in runs.items():
                print(f"    {label} ran {run}")
    header = (f"{'case':40s} {'sigconv':>9s} {'nchw':>9s} {'ch-last':>9s} {'best':>7s} "
              f"{'ratio':>6s} {'sc GF/s':>8s} {'pt GF/s':>8s} {'sc img/s':>9s} "
              f"{'pt img/s':>9s}")
    print(header)
    print("-" * len(header))
    for name, (batch, flops) in CASES.items():
        if name not in best["sigconv"] and all(name not in best[side] for side in SIDES):
            continue
        ours = best["sigconv"].get(name)
        theirs = {side: best[side].get(name) for side in SIDES[1:]}
        timed = {side: value for side, value in theirs.items() if value is not None}
        if timed:
            fmt = min(timed, key=timed.get)
            torch_time = timed[fmt]
            label = "nchw" if fmt == "torch-nchw" else "ch-last"
        else:
            torch_time, label = None, "-"
        ratio = f"{torch_time / ours:6.2f}" if ours and torch_time else f"{'-':>6s}"
        print(f"{name:40s} {_ms(ours)} {_ms(theirs['torch-nchw'])} {_ms(theirs['torch-cl'])} "
              f"{label:>7s} {ratio} {_per_second(flops, ours, 1e9, 8, 1)} "
              f"{_per_second(flops, torch_time, 1e9, 8, 1)} "
              f"{_per_second(batch, ours, 1, 9, 0)} {_per_second(batch, torch_time, 1, 9, 0)}")


def driver(args):
    python = args.torch_python
    sides = list(SIDES)
    if not os.path.exists(python):
        print(f"no PyTorch Python at {python} (--torch-python or SIGCONV_BENCH_TORCH_PYTHON); "
              "timing sigconv alone")
        sides = ["sigconv"]
    print(f"sigconv.nn vs PyTorch CPU, float32, {THREADS} threads, {args.rounds} round(s), "
          f"up to {args.repeats} timed calls per case (median), {args.warmup} warm-up")
    best = {side: {} for side in SIDES}
    notes = {}
    for round_ in range(1, args.rounds + 1):
        print(f"round {round_}: load average before {load()}", flush=True)
        for side in sides:
            started = time.perf_counter()
            result = run_worker(side, args, sys.executable if side == "sigconv" else python)
            if result is None:
                continue
            notes[side] = result["notes"]
            for name, timing in result["cases"].items():
                previous = best[side].get(name)
                best[side][name] = timing["median_s"] if previous is None \
                    else min(previous, timing["median_s"])
            print(f"  {side:10s} {time.perf_counter() - started:6.1f}s  "
                  + "  ".join(f"{timing['median_s'] * 1e3:.1f}"
                              for timing in result["cases"].values()) + " ms", flush=True)
        print(f"round {round_}: load average after  {load()}", flush=True)
    report(best, notes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=None,
                        help="rounds of (sigconv, torch NCHW, torch channels_last); "
                             "default 3, 1 with --quick")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: 3 timed calls per case, 1 warm-up")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed calls per case (default 20, 3 with --quick)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed calls per case first (default 3, 1 with --quick)")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds of timed calls per case before stopping early "
                             "(default 5, 0.5 with --quick)")
    parser.add_argument("--only", default=None,
                        help="time only the cases whose name contains this text")
    parser.add_argument("--algorithm", default=None,
                        help="passed as algorithm= to every sigconv Conv2D when given")
    parser.add_argument("--torch-python", default=os.environ.get(
        "SIGCONV_BENCH_TORCH_PYTHON", DEFAULT_TORCH_PYTHON),
        help="the Python with PyTorch (default $SIGCONV_BENCH_TORCH_PYTHON or "
             f"{DEFAULT_TORCH_PYTHON})")
    parser.add_argument("--worker", choices=SIDES, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    quick = args.quick
    args.rounds = args.rounds if args.rounds is not None else (1 if quick else 3)
    args.repeats = args.repeats if args.repeats is not None else (3 if quick else 20)
    args.warmup = args.warmup if args.warmup is not None else (1 if quick else 3)
    args.budget = args.budget if args.budget is not None else (0.5 if quick else 5.0)
    if args.worker is not None:
        worker(args)
    else:
        driver(args)


if __name__ == "__main__":
    main()
