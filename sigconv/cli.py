"""The ``sigconv`` command.

=====================  ====================================================================
``sigconv demo``       convolution as algebra in a few lines, then the lecture's digits CNN
                       trained in about a second: test accuracy, images and filters
``sigconv train``      a CNN on digits, MNIST or CIFAR-10 with a chosen optimizer
``sigconv grid``       the lecture's grid search over learning rate and L2 strength
``sigconv fourier``    the square wave's Fourier series and the Gibbs overshoot
``sigconv bench``      time per training step and GFLOP/s of one convolution layer
``sigconv info``       versions, threads, CPU SIMD level, BLAS, CUDA (and why not), the
                       calibration in use, the kernel cache, the process settings (paste
                       it into bug reports; ``--json`` for a program)
``sigconv calibrate``  fit the cost model of ``method="auto"`` to this machine
=====================  ====================================================================

Every subcommand has ``--help``. Every failure (a bad argument, a missing or damaged data
set, an output that cannot be written, a size that does not fit in memory, even a bug)
prints one ``sigconv: error: ...`` line to standard error and exits with status 2 (bad
arguments: every numeric option is checked against its range before any work, and an
option that the others make useless is refused rather than ignored: ``--data-dir`` or
``--no-download`` with ``--dataset digits``, ``--l2`` with ``cifar10``, ``--n-jobs`` with
``--dask ADDRESS``) or 1 (anything else), without a traceback; ``--traceback`` shows it.
Ctrl-C exits with status 130 without a message. Heavy modules (numba kernels,
matplotlib, scikit-learn) are imported inside the subcommands.
"""

import argparse
import contextlib
import math
import os
import stat
import sys
import time

__all__ = ["main"]

# the lecture's polynomials: p(t) = a0 + a1 t + a2 t^2 times s(t) = b0 + ... + b3 t^3
_ALPHA = (2, -1, 3)
_BETA = (1, 4, 0, -2)
# the lecture's square wave: period T, pulse width W, height F
_PERIOD, _WIDTH, _HEIGHT = 0.2, 0.1, 2.0

_DEFAULT_LEARNING_RATES = {"sgd": 0.01, "adam": 0.001, "rmsprop": 0.001}
# epochs and batch size of `sigconv train` when not given
_TRAIN_DEFAULTS = {"digits": (30, 100), "mnist": (5, 100), "cifar10": (10, 32)}


# ------------------------------------------------------------------ argument checking


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``sigconv: error:`` line (exit status 2)."""

    def error(self, message):
        self.exit(2, f"sigconv: error: {message} (see '{self.prog} --help')\n")


class _Store(argparse.Action):
    """``store`` (``store_const`` with ``nargs=0``), recording in ``namespace.given`` that
    the option was on the command line (an option that the other options make useless is
    refused only when given)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, self.const if self.nargs == 0 else values)
        namespace.given = (getattr(namespace, "given", None) or set()) | {self.dest}


def _check_combinations(parser, args):
    """Refuse (exit status 2) the options that the others make useless: an option is never
    ignored silently."""
    given = getattr(args, "given", None) or set()
    if args.command == "train" and args.dataset == "cifar10" and args.l2 != 0:
        # the CIFAR-10 network has no L2 penalty
        parser.error("argument --l2: applies to the digits CNN (--dataset digits or "
                     "mnist), not to the cifar10 network")
    if args.command == "train" and args.dataset == "digits":
        for option, dest in (("--data-dir", "data_dir"), ("--no-download", "no_download")):
            if dest in given:  # scikit-learn's digits are installed with it: no file
                parser.error(f"argument {option}: is not used with --dataset digits, "
                             f"which needs no file (only mnist and cifar10 are read)")
    if args.command == "calibrate" and args.threads is not None:
        import numba

        if args.threads > numba.config.NUMBA_NUM_THREADS:
            parser.error(f"argument --threads: at most {numba.config.NUMBA_NUM_THREADS} "
                         f"(numba's NUMBA_NUM_THREADS), got {args.threads}")
    if args.command == "grid" and "n_jobs" in given and args.dask not in (None, "local"):
        parser.error("argument --n-jobs: is not used with --dask ADDRESS, whose workers "
                     "run the cells (it sets the workers of --dask local)")


def _number(text, kind, name):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}")
    return value


def _bounded(kind, name, accept):
    """An argparse ``type``: ``text`` as ``kind``, checked by ``accept``; ``name`` says
    what was expected in the error message."""
    def parse(text):
        value = _number(text, kind, name)
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}")
        return value
    return parse


#: the largest values the options take: more terms than this only cost memory and time
#: (10**6 terms: 2 s and 0.4 GB; 10**8: 40 s and 8 GB), more epochs would run for days, and
#: seeds are those of NumPy and scikit-learn (32 bits)
_MAX_TERMS = 10**6
_MAX_EPOCHS = 100_000
_MAX_BATCH_SIZE = 2**31 - 1
_MAX_JOBS = 1024
_MAX_SEED = 2**32 - 1

_positive_int = _bounded(int, "a positive integer", lambda v: v >= 1)
_epochs = _bounded(int, f"a positive integer <= {_MAX_EPOCHS}",
                   lambda v: 1 <= v <= _MAX_EPOCHS)
_batch_size = _bounded(int, f"a positive integer <= {_MAX_BATCH_SIZE}",
                       lambda v: 1 <= v <= _MAX_BATCH_SIZE)
_terms = _bounded(int, f"a positive integer <= {_MAX_TERMS}", lambda v: 1 <= v <= _MAX_TERMS)
_seed = _bounded(int, f"an integer in [0, {_MAX_SEED}]", lambda v: 0 <= v <= _MAX_SEED)
_n_jobs = _bounded(int, f"a positive integer <= {_MAX_JOBS} or -1",
                   lambda v: 1 <= v <= _MAX_JOBS or v == -1)
_positive_float = _bounded(float, "a positive number", lambda v: v > 0)
_non_negative_float = _bounded(float, "a number >= 0", lambda v: v >= 0)
_fraction = _bounded(float, "a number in [0, 1)", lambda v: 0 <= v < 1)


def _nonempty(text):
    """An argparse ``type`` for paths and addresses: an empty one names nothing."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a path or an address, got {text!r}")
    return text


def _check_output(path, what, figure=False):
    """Refuse, before any long computation, an output that cannot be written."""
    absolute = os.path.abspath(path)
    directory = os.path.dirname(absolute)
    if os.path.isdir(absolute):
        raise IsADirectoryError(f"cannot write the {what} to {path!r}: it is a directory")
    with contextlib.suppress(OSError):
        if stat.S_ISFIFO(os.stat(absolute).st_mode):  # writing would wait for a reader
            raise ValueError(f"cannot write the {what} to {path!r}: it is a named pipe")
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write the {what} to {path!r}: the directory "
                                f"{directory!r} does not exist")
    if not os.access(directory, os.W_OK):
        raise PermissionError(f"cannot write the {what} to {path!r}: the directory "
                              f"{directory!r} is not writable")
    if figure:
        from matplotlib.backend_bases import FigureCanvasBase

        suffix = os.path.splitext(path)[1].lstrip(".").lower()
        formats = FigureCanvasBase.get_supported_filetypes()
        if suffix and suffix not in formats:
            raise ValueError(f"cannot write the {what} to {path!r}: unknown image format "
                             f"{suffix!r} (use one of {', '.join(sorted(formats))})")


def _pyplot():
    """matplotlib.pyplot drawing off screen: the commands only write files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path):
    plt = _pyplot()
    try:
        figure.savefig(path, dpi=120)
    finally:
        plt.close(figure)


# ------------------------------------------------------------------------------- demo


def _format_poly(coefficients):
    """``2 - t + 3t^2`` from the coefficients ``[2, -1, 3]`` (lowest power first)."""
    terms = []
    for power, c in enumerate(coefficients):
        if c == 0:
            continue
        variable = "" if power == 0 else ("t" if power == 1 else f"t^{power}")
        if variable and abs(c) == 1:
            terms.append(("-" if c < 0 else "") + variable)
        else:
            terms.append(f"{c:g}{variable}")
    return " + ".join(terms).replace("+ -", "- ") or "0"


def _math_demo(n_samples=100_000, taps=1001):
    """Print the product, Toeplitz and convolution-theorem checks; return the FFT error."""
    import numpy as np

    import sigconv as sc

    alpha, beta = np.array(_ALPHA), np.array(_BETA)
    delta = sc.convolve(alpha, beta)
    print("1. A polynomial product is a convolution of the coefficients")
    print(f"   ({_format_poly(alpha)}) ({_format_poly(beta)}) = {_format_poly(delta)}")
    print(f"   convolve({alpha.tolist()}, {beta.tolist()}) = {delta.tolist()}")
    matrix = sc.convolution_matrix(alpha, beta.size)
    print(f"2. ... and a Toeplitz matrix times a vector: A = {matrix.tolist()}")
    print(f"   A @ beta = {(matrix @ beta).tolist()}; ToeplitzOperator (never forms A): "
          f"{sc.ToeplitzOperator(alpha, beta.size).matvec(beta).round(12).tolist()}")

    rng = np.random.default_rng(2024)
    signal, kernel = rng.standard_normal(n_samples), rng.standard_normal(taps)
    first, times, results = {}, {}, {}
    for method in ("direct", "fft"):
        # the first call of a fresh install compiles the kernel (cached on disk after
        # that): timed apart, so that the figures compare the methods, not the compiler
        for timing in (first, times):
            start = time.perf_counter()
            results[method] = sc.convolve(signal, kernel, method=method)
            timing[method] = time.perf_counter() - start
    error = float(np.max(np.abs(results["fft"] - results["direct"]))
                  / np.max(np.abs(results["direct"])))
    print(f"3. Convolution theorem, {n_samples:,} samples * {taps:,} taps: "
          f"max |fft - direct| / max |direct| = {error:.1e} "
          f"({'OK' if error < 1e-10 else 'MISMATCH'}); direct {times['direct'] * 1e3:.1f} "
          f"ms, fft {times['fft'] * 1e3:.1f} ms (first calls {first['direct']:.2f} s and "
          f"{first['fft']:.2f} s: on a fresh install they compile the kernels)")
    return error


def _digits_split(seed):
    """The digits as the lecture uses them: raw pixels, one-hot labels, an 80/20 split."""
    from sklearn.model_selection import train_test_split

    from . import datasets
    from .nn.utils import to_categorical

    x, y = datasets.load_digits()
    return train_test_split(x, to_categorical(y, num_classes=10), test_size=0.2,
                            random_state=seed)


def _demo(args):
    from . import nn, plotting

    _check_output(args.out, "figure", figure=True)
    root, suffix = os.path.splitext(args.out)
    filters_path = f"{root}_filters{suffix}"
    _check_output(filters_path, "figure", figure=True)

    print("sigconv demo")
    error = _math_demo()

    x_train, x_test, y_train, y_test = _digits_split(args.seed)
    nn.set_random_seed(args.seed)        # the initial weights are the seed's too
    model = nn.lecture_digits_cnn(learning_rate=0.1, l2=1e-3)
    print("4. The lecture's CNN on the 8x8 digits: Conv2D(10, 3x3, relu) -> MaxPooling2D(2) "
          "-> Flatten -> Dense(50, relu) -> Dense(10, softmax); SGD(0.1), L2(1e-3)")
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=100, verbose=0,
                        seed=args.seed)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test)
    logs = {key: values[-1] for key, values in history.history.items()}
    print(f"   {len(x_train)} training images, {args.epochs} epochs of batch 100 in "
          f"{seconds:.2f} s: training loss {logs['loss']:.4f}, accuracy "
          f"{logs['accuracy']:.4f}")
    print(f"   test accuracy: {accuracy:.4f} on {len(x_test)} images "
          f"({round(accuracy * len(x_test))} correct), test loss {loss:.4f}")

    shown = slice(0, 32)
    figure = plotting.show_images(x_test[shown], labels=y_test[shown],
                                  predictions=model.predict(x_test[shown]))
    figure.suptitle("digits test images: true / predicted (red: wrong)")
    _save(figure, args.out)
    _save(plotting.show_filters(model.layers[0]), filters_path)
    print(f"   wrote {args.out} (test images, true / predicted) and {filters_path} "
          f"(learned first-layer filters)")
    return 0 if error < 1e-10 else 1


# ------------------------------------------------------------------------------ train


def _optimizer(name, learning_rate):
    from . import nn

    classes = {"sgd": nn.SGD, "adam": nn.Adam, "rmsprop": nn.RMSprop}
    if learning_rate is None:
        learning_rate = _DEFAULT_LEARNING_RATES[name]
    return classes[name](learning_rate)


def _cifar10_cnn():
    """The lecture's CIFAR-10 network, with logits out (the loss applies the softmax)."""
    from . import nn

    return nn.Sequential([
        nn.Conv2D(32, 3, activation="relu", input_shape=(32, 32, 3)),
        nn.MaxPooling2D(2),
        nn.Conv2D(64, 3, activation="relu"),
        nn.MaxPooling2D(2),
        nn.Conv2D(64, 3, activation="relu"),
        nn.Flatten(),
        nn.Dense(64, activation="relu"),
        nn.Dense(10),
    ])


def _load_training_data(args):
    """``(x_train, y_train), (x_test, y_test)`` of the chosen data set, ready to fit."""
    import numpy as np

    from . import datasets
    from .nn.utils import to_categorical

    if args.dataset == "digits":
        x_train, x_test, y_train, y_test = _digits_split(args.seed)
        return (x_train, y_train), (x_test, y_test)
    download = not args.no_download
    if args.dataset == "mnist":
        (x_train, y_train), (x_test, y_test) = datasets.load_mnist(args.data_dir,
                                                                   download=download)

        def prepare(images, labels):
            images = images[..., np.newaxis].astype(np.float32) / 255
            return images, to_categorical(labels, num_classes=10)
    else:
        (x_train, y_train), (x_test, y_test) = datasets.load_cifar10(args.data_dir,
                                                                     download=download)

        def prepare(images, labels):  # sparse labels (n, 1), as the lecture's loss takes
            return images.astype(np.float32) / 255, labels
    return prepare(x_train, y_train), prepare(x_test, y_test)


def _build_model(args, input_shape):
    from . import nn

    optimizer = _optimizer(args.optimizer, args.learning_rate)
    nn.set_random_seed(args.seed)        # the initial weights are the seed's too
    if args.dataset == "cifar10":
        model = _cifar10_cnn()
        model.compile(optimizer=optimizer,
                      loss=nn.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
    else:
        model = nn.lecture_digits_cnn(l2=args.l2, input_shape=input_shape)
        model.compile(optimizer=optimizer, loss="categorical_crossentropy",
                      metrics=["accuracy"])
    return model


def _train(args):
    epochs, batch_size = _TRAIN_DEFAULTS[args.dataset]
    epochs = args.epochs or epochs
    batch_size = args.batch_size or batch_size
    if args.save is not None:
        _check_output(args.save, "model")

    (x_train, y_train), (x_test, y_test) = _load_training_data(args)
    model = _build_model(args, x_train.shape[1:])
    optimizer = model.optimizer
    print(f"sigconv train: {args.dataset}, {len(x_train)} training and {len(x_test)} test "
          f"samples of shape {x_train.shape[1:]}")
    model.summary()
    print(f"{type(optimizer).__name__}(learning_rate={optimizer.learning_rate:g}), "
          f"{epochs} epochs, batch size {batch_size}, validation split "
          f"{args.validation_split:g}, seed {args.seed}")
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size,
                        verbose=args.verbose, validation_split=args.validation_split,
                        seed=args.seed)
    seconds = time.perf_counter() - start
    logs = history.history
    ran = len(next(iter(logs.values()))) if logs else 0
    last = "  ".join(f"{key} {values[-1]:.4f}" for key, values in logs.items())
    print(f"trained in {seconds:.2f} s; epoch {ran}/{epochs}: {last}")
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=1024)
    print(f"test accuracy: {accuracy:.4f} (test loss {loss:.4f})")
    if args.save is not None:
        model.save(args.save)
        print(f"saved the model to {args.save} (read it with sigconv.nn.load_model)")
    return 0


# ------------------------------------------------------------------------------- grid


@contextlib.contextmanager
def _dask_executor(address, n_jobs, n_cells):
    """An executor on a Dask cluster (``address``, or ``"local"`` for one started here with
    ``n_jobs`` single-threaded workers, no more than the ``n_cells`` cells), or None
    without ``address``."""
    if address is None:
        yield None
        return
    try:
        import distributed
    except ImportError:
        raise ValueError("--dask needs Dask: pip install 'sigconv[dask]'") from None
    if address == "local":
        workers = min(os.cpu_count() if n_jobs == -1 else n_jobs, n_cells)
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                           dashboard_address=None)
    else:
        cluster = address
    try:
        client = distributed.Client(cluster, timeout="10s")
    except (OSError, TimeoutError) as error:
        raise OSError(f"--dask: no Dask scheduler answers at {address!r} ({error})") from None
    try:
        yield client.get_executor()
    finally:
        client.close()
        if address == "local":
            cluster.close()


def _grid(args):
    import numpy as np

    from . import nn, plotting

    _check_output(args.out, "figure", figure=True)
    etas = args.etas if args.etas is not None else np.logspace(-5, 1, 7).tolist()
    lambdas = args.lambdas if args.lambdas is not None else np.logspace(-5, 1, 7).tolist()
    for name, values in (("--etas", etas), ("--lambdas", lambdas)):
        if len(set(values)) != len(values):
            raise ValueError(f"{name} repeats a value: {values}")

    x_train, x_test, y_train, y_test = _digits_split(args.seed)
    where = f"n_jobs={args.n_jobs}" if args.dask is None else f"Dask cluster {args.dask}"
    print(f"sigconv grid: the lecture's digits CNN, {len(etas)} x {len(lambdas)} cells "
          f"(eta x lambda), {args.epochs} epochs of batch 100 each, {where}")
    start = time.perf_counter()
    with _dask_executor(args.dask, args.n_jobs, len(etas) * len(lambdas)) as executor:
        result = nn.grid_search(nn.lecture_digits_cnn, {"learning_rate": etas, "l2": lambdas},
                                x_train, y_train, x_test, y_test, epochs=args.epochs,
                                batch_size=100, n_jobs=args.n_jobs if executor is None else 1,
                                executor=executor, seed=args.seed, cache_dir=args.cache_dir)
    seconds = time.perf_counter() - start
    failed = [record for record in result.records if "error" in record]
    for record in failed:
        print(f"cell eta={record['learning_rate']:g}, lambda={record['l2']:g} failed: "
              f"{record['error']}", file=sys.stderr)
    if len(failed) == len(result.records):
        raise ValueError("every cell of the grid failed (see above)")
    test, rows, columns = result.pivot("test_accuracy")
    train, _, _ = result.pivot("train_accuracy")

    print("test accuracy (rows: eta, columns: lambda)")
    print("eta \\ lambda " + "".join(f"{value:>9g}" for value in columns))
    for eta, accuracies in zip(rows, test, strict=True):
        print(f"{eta:>12g} " + "".join(f"{value:>9.3f}" for value in accuracies))
    best = result.best()
    print(f"best: eta = {best['learning_rate']:g}, lambda = {best['l2']:g}: test accuracy "
          f"{best['test_accuracy']:.4f}, train accuracy {best['train_accuracy']:.4f} "
          f"({len(result)} cells in {seconds:.1f} s)")

    plt = _pyplot()
    figure, axes = plt.subplots(1, 2, layout="constrained",
                                figsize=(2 * max(4.0, 0.9 * len(columns) + 2.0),
                                         max(3.0, 0.55 * len(rows) + 1.5)))
    for ax, grid, title in ((axes[0], test, "test accuracy"),
                            (axes[1], train, "train accuracy")):
        plotting.heatmap(grid, rows, columns, title=title, ax=ax, xlabel="lambda",
                         ylabel="eta", vmin=0.0, vmax=1.0)
    _save(figure, args.out)
    print(f"wrote {args.out}")
    return 0


# ---------------------------------------------------------------------------- fourier


def _fourier(args):
    import numpy as np

    import sigconv as sc

    from . import plotting

    _check_output(args.out, "figure", figure=True)
    shown = min(6, args.terms)
    series = sc.FourierSeries.square_wave(_PERIOD, _WIDTH, _HEIGHT, args.terms)
    f, g = sc.fourier_coefficients(lambda t: sc.square_wave(t, _PERIOD, _WIDTH, _HEIGHT),
                                   _PERIOD, shown, n_quad=2**16)
    print(f"sigconv fourier: square wave of period T = {_PERIOD}, width W = {_WIDTH}, "
          f"height F = {_HEIGHT}, {args.terms} term{'s' if args.terms > 1 else ''}")
    def rounded(values):  # adding 0.0 turns -0.0 into 0.0
        return (np.round(values, 4) + 0.0).tolist()

    print(f"   analytic   f_0..f_{shown - 1} = {rounded(series.f[:shown])}")
    print(f"   quadrature f_0..f_{shown - 1} = {rounded(f)}, g_n = 0 "
          f"(max |g_n| {np.max(np.abs(g)):.1e}): the wave is even")
    print(f"   Parseval: power of the partial sum {series.power():.4f}, of the wave "
          f"{_HEIGHT**2 * _WIDTH / _PERIOD:.4f}")
    if args.terms > 1:  # one term is a constant: nothing overshoots
        # the peak sits about T / (2 terms) from the jump: sample it finely enough
        n_points = min(max(20_001, 64 * args.terms + 1), 1_000_001)
        overshoot = series.gibbs_overshoot(n_points=n_points)
        print(f"   Gibbs overshoot of the partial sum: {100 * overshoot:.2f}% "
              f"of the jump (the limit as terms grow: 8.95%)")

    plt = _pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    n_terms = sorted({n for n in (1, 5, 25, 125) if n < args.terms} | {args.terms})
    plotting.plot_partial_sums(_PERIOD, _WIDTH, _HEIGHT, n_terms=n_terms, ax=left)
    left.set_title("square wave and partial sums")
    plotting.plot_gibbs(_PERIOD, _WIDTH, ax=right)
    right.set_title("Gibbs overshoot")
    _save(figure, args.out)
    print(f"wrote {args.out}")
    return 0


# ------------------------------------------------------------------------------ bench


def _median_seconds(function, repeats, warmup=1):
    """Median wall time of ``repeats`` calls after ``warmup`` untimed ones."""
    import statistics

    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _bench(args):
    import numba
    import numpy as np

    from . import datasets, nn
    from .nn.utils import to_categorical

    step_repeats, conv_repeats = (10, 3) if args.quick else (100, 15)
    images, labels = datasets.load_digits()
    x, y = images[:100], to_categorical(labels[:100], num_classes=10)
    model = nn.lecture_digits_cnn(learning_rate=0.1, l2=1e-3)
    step = _median_seconds(lambda: model.train_on_batch(x, y), step_repeats)

    batch, size, channels_in, channels_out = 16, 32, 32, 64
    layer = nn.Conv2D(channels_out, 3, padding="same",
                      input_shape=(size, size, channels_in))
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((batch, size, size, channels_in), dtype=np.float32)
    grad = rng.standard_normal((batch, size, size, channels_out), dtype=np.float32)
    forward = _median_seconds(lambda: layer.forward(inputs, training=True), conv_repeats)

    def forward_backward():
        layer.forward(inputs, training=True)
        layer.backward(grad)

    both = _median_seconds(forward_backward, conv_repeats)
    flops = 2 * batch * size * size * channels_in * channels_out * 9  # forward pass

    print(f"sigconv bench: {numba.get_num_threads()} numba threads, medians of "
          f"{step_repeats} (training step) and {conv_repeats} (Conv2D) runs")
    rows = [
        ("digits CNN training step, batch 100 (SGD)", step, f"{100 / step:,.0f} images/s"),
        (f"Conv2D {channels_in}->{channels_out} 3x3 same, {batch}x{size}x{size}: forward",
         forward, f"{flops / forward / 1e9:.2f} GFLOP/s"),
        ("  the same, forward + backward", both, f"{3 * flops / both / 1e9:.2f} GFLOP/s"),
    ]
    print(f"{'benchmark':<56}{'median':>11}  rate")
    for name, seconds, rate in rows:
        print(f"{name:<56}{seconds * 1e3:>8.2f} ms  {rate}")
    print("FLOPs of a convolution: 2 B H W Cin Cout 9 forward, 3 times that forward + "
          "backward. The full comparisons against SciPy and PyTorch are in the "
          "repository's bench/ folder.")
    return 0


# ------------------------------------------------------------------------------- info


def _version(distribution):
    """The installed version of ``distribution``, or None."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


#: SIMD levels, best first: (name, LLVM features that must all be present)
_SIMD_LEVELS = (
    ("AVX-512", ("avx512f", "avx512bw", "avx512vl", "avx512dq")),
    ("AVX-512 (F only)", ("avx512f",)),
    ("AVX2", ("avx2", "fma")),
    ("AVX", ("avx",)),
    ("SSE4.2", ("sse4.2",)),
    ("SSE2", ("sse2",)),
    ("SVE2", ("sve2",)),
    ("SVE", ("sve",)),
    ("NEON", ("neon",)),
    ("VSX", ("vsx",)),
    ("AltiVec", ("altivec",)),
)


def _cpu_report():
    """The CPU numba compiles for: LLVM's name for it, its SIMD level and features."""
    import llvmlite.binding as llvm
    import numba

    features = llvm.get_host_cpu_features()
    present = sorted(name for name, on in features.items() if on)
    if numba.config.CPU_FEATURES:  # NUMBA_CPU_FEATURES overrides the host's
        present = sorted(f.lstrip("+") for f in numba.config.CPU_FEATURES.split(",")
                         if f.startswith("+"))
    simd = next((level for level, needed in _SIMD_LEVELS
                 if all(feature in present for feature in needed)), "none found")
    return {"name": numba.config.CPU_NAME or llvm.get_host_cpu_name(), "simd": simd,
            "features": present}


def _thread_report():
    import numba

    from . import _jit

    threads = numba.get_num_threads()  # starts numba's pool, so its layer is known
    try:
        layer = numba.threading_layer()
    except ValueError:  # pragma: no cover - the pool did not start
        layer = None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = os.cpu_count()
    return {"numba_threads": threads, "numba_max_threads": numba.config.NUMBA_NUM_THREADS,
            "threading_layer": layer, "threading_layer_requested":
            numba.config.THREADING_LAYER, "fft_workers": _jit.fft_workers(),
            "cpu_count": os.cpu_count(), "cpus_usable": usable}


def _blas_report():
    """The BLAS and OpenMP libraries loaded in this process (threadpoolctl)."""
    from threadpoolctl import threadpool_info

    keys = ("user_api", "internal_api", "version", "num_threads", "threading_layer",
            "architecture", "filepath")
    return [{key: pool.get(key) for key in keys} for pool in threadpool_info()]


def _cuda_unavailable_reason(cuda):
    """Why numba cannot run CUDA kernels here: the driver's error, else the toolkit's."""
    with contextlib.suppress(Exception):
        error = cuda.cuda_error()
        if error:
            return " ".join(str(error).split())
    try:
        from numba.cuda.cudadrv import nvvm

        nvvm.NVVM()
    except Exception as error:  # noqa: BLE001 - the toolkit's message is the reason
        return f"numba found no CUDA toolkit (NVVM): {_one_line(error)}"
    with contextlib.suppress(Exception):
        if not cuda.gpus:
            return "numba found the CUDA driver but no GPU"
    return "numba.cuda.is_available() is False (run `numba -s` for numba's own report)"


def _cuda_report():
    """Whether CUDA kernels can run here, on what, and if not, why not."""
    from . import _jit

    report = {"available": False, "reason": None, "devices": [],
              "numba_cuda": _version("numba-cuda"), "implementation": None}
    try:
        from numba import cuda
    except Exception as error:  # noqa: BLE001 - any failure is the reason
        report["reason"] = f"numba.cuda cannot be imported: {_one_line(error)}"
        return report
    report["implementation"] = getattr(cuda, "implementation", None)
    report["available"] = _jit.cuda_available()
    if not report["available"]:
        try:
            reason = _cuda_unavailable_reason(cuda)
        except Exception as error:  # noqa: BLE001 - a broken install explains itself
            reason = _one_line(error)
        if report["numba_cuda"] is None:
            reason += " (the numba-cuda package is not installed: pip install 'sigconv[cuda]')"
        report["reason"] = reason
        return report
    import numba

    if numba.config.ENABLE_CUDASIM:
        report["reason"] = ("the CUDA simulator (NUMBA_ENABLE_CUDASIM=1): kernels run on the "
                            "CPU, for testing, very slowly")
        return report
    try:
        for device in cuda.list_devices():
            major, minor = device.compute_capability
            name = device.name.decode() if isinstance(device.name, bytes) else device.name
            report["devices"].append({"id": device.id, "name": str(name),
                                      "compute_capability": f"{major}.{minor}"})
        report["driver_version"] = ".".join(
            str(part) for part in cuda.cudadrv.driver.driver.get_version())
    except Exception as error:  # noqa: BLE001 - the devices are extra information
        report["reason"] = f"usable, but listing the GPUs failed: {_one_line(error)}"
    return report


def _calibration_report():
    """The constants `method="auto"` uses: ``sigconv._calibrate.describe()``'s line."""
    import importlib

    try:
        calibration = importlib.import_module("sigconv._calibrate")
    except ModuleNotFoundError as error:
        if error.name != "sigconv._calibrate":
            raise
        return "shipped defaults"
    try:
        return calibration.describe()
    except Exception as error:  # noqa: BLE001 - a report for bug reports reports this too
        return f"unknown: sigconv._calibrate.describe() failed: {_one_line(error)}"


def _kernel_cache_report():
    """Where numba keeps sigconv's compiled kernels (``cache=True``), and how many."""
    import glob

    import numba
    from numba.core.dispatcher import Dispatcher

    from . import _config

    if not _config.JIT_CACHE:
        return {"enabled": False, "source": "sigconv._config.JIT_CACHE is False",
                "folders": [], "cached_kernels": 0}
    import importlib
    import pkgutil

    # the kernel modules (imports are lazy: load them to ask numba where they cache)
    for package in ("sigconv.kernels", "sigconv.nn.kernels"):
        for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            if info.name != "cuda":
                importlib.import_module(f"{package}.{info.name}")

    folders = {}  # the cache folder of each kernel module: numba's own answer
    for name, module in list(sys.modules.items()):
        if not name.startswith("sigconv.") or not getattr(module, "__file__", None):
            continue
        for value in list(vars(module).values()):
            cache = getattr(value, "_cache", None) if isinstance(value, Dispatcher) else None
            path = getattr(cache, "cache_path", None)
            if path:
                stem = os.path.splitext(os.path.basename(module.__file__))[0]
                folders.setdefault(path, set()).add(stem)
                break
    if numba.config.CACHE_DIR:
        source = f"NUMBA_CACHE_DIR={numba.config.CACHE_DIR}"
    elif all("__pycache__" in path for path in folders):
        source = "__pycache__ next to each kernel module (numba's default)"
    else:
        source = "numba's user-wide cache (the package's folders are not writable)"
    cached = sum(len(glob.glob(os.path.join(folder, f"{stem}.*.nbi")))
                 for folder, stems in folders.items() for stem in stems)
    return {"enabled": True, "source": source, "folders": sorted(folders),
            "cached_kernels": cached}


def _runtime_report():
    from . import _config, _runtime

    return {"enabled": _config.TUNE_RUNTIME,
            "omp_wait_policy": _runtime.applied["omp_wait_policy"],
            "omp_wait_policy_now": os.environ.get("OMP_WAIT_POLICY"),
            "malloc": _runtime.applied["malloc"]}


def _environment():
    """Everything ``sigconv info`` reports, as a JSON-ready dict."""
    import platform

    import sigconv

    return {
        "sigconv": {"version": sigconv.__version__,
                    "path": os.path.dirname(os.path.abspath(sigconv.__file__))},
        "python": {"version": platform.python_version(),
                   "implementation": platform.python_implementation(),
                   "executable": sys.executable, "platform": platform.platform()},
        "packages": {name: _version(name) for name in
                     ("numpy", "scipy", "numba", "llvmlite", "threadpoolctl", "numba-cuda")},
        "threads": _thread_report(),
        "cpu": _cpu_report(),
        "blas": _blas_report(),
        "cuda": _cuda_report(),
        "calibration": _calibration_report(),
        "kernel_cache": _kernel_cache_report(),
        "runtime": _runtime_report(),
    }


def _format_environment(env):
    """The report as aligned ``label  value`` lines under section titles."""
    lines = []

    def section(title, rows):
        lines.append(f"== {title}")
        lines.extend(f"{label:<22}{value}" for label, value in rows)

    packages = env["packages"]
    section("versions", [
        ("sigconv", f"{env['sigconv']['version']} ({env['sigconv']['path']})"),
        ("Python", f"{env['python']['version']} {env['python']['implementation']} "
                   f"({env['python']['executable']})"),
        ("platform", env["python"]["platform"]),
        *[(name, packages[name] or "not installed") for name in
          ("numpy", "scipy", "numba", "llvmlite", "threadpoolctl", "numba-cuda")],
    ])
    threads = env["threads"]
    section("threads", [
        ("numba threads", f"{threads['numba_threads']} (NUMBA_NUM_THREADS "
                          f"{threads['numba_max_threads']})"),
        ("threading layer", f"{threads['threading_layer']} (requested: "
                            f"{threads['threading_layer_requested']})"),
        ("FFT workers", threads["fft_workers"]),
        ("CPUs", f"{threads['cpus_usable']} usable of {threads['cpu_count']}"),
    ])
    cpu = env["cpu"]
    section("CPU (as numba compiles for it)", [
        ("name", cpu["name"]), ("SIMD", cpu["simd"]),
        ("features", " ".join(cpu["features"]) or "none")])
    section("BLAS and OpenMP (threadpoolctl)", [
        (pool["user_api"], " ".join(str(pool[key]) for key in ("internal_api", "version")
                                    if pool[key])
                           + f", {pool['num_threads']} threads"
                           + "".join(f", {key.replace('_', ' ')} {pool[key]}" for key in
                                     ("threading_layer", "architecture") if pool[key])
                           + f" ({pool['filepath']})")
        for pool in env["blas"]] or [("blas", "none loaded")])
    cuda = env["cuda"]
    usable = "yes" if cuda["available"] else "no"
    rows = [("CUDA usable", f"{usable}: {cuda['reason']}" if cuda["reason"] else usable)]
    rows += [(f"GPU {device['id']}", f"{device['name']} (compute capability "
                                     f"{device['compute_capability']})")
             for device in cuda["devices"]]
    if cuda.get("driver_version"):
        rows.append(("CUDA driver", cuda["driver_version"]))
    rows.append(("numba's CUDA target", cuda["implementation"] or "none"))
    section("CUDA", rows)
    section('method="auto"', [("calibration", env["calibration"])])
    cache = env["kernel_cache"]
    section("kernel cache", [
        ("cache", cache["source"]),
        *[("folder", folder) for folder in cache["folders"]],
        ("cached kernels", cache["cached_kernels"])])
    runtime = env["runtime"]
    section("process settings of `import sigconv`", [
        ("tuning", "on (SIGCONV_TUNE_RUNTIME=0 in the environment turns it off)"
                   if runtime["enabled"] else "off (SIGCONV_TUNE_RUNTIME=0)"),
        ("OMP_WAIT_POLICY", runtime["omp_wait_policy"]),
        ("malloc thresholds", runtime["malloc"])])
    return "\n".join(lines)


def _info(args):
    env = _environment()
    if args.json:
        import json

        print(json.dumps(env, indent=2))
    else:
        print(_format_environment(env))
    return 0


# -------------------------------------------------------------------------- calibrate


def _calibrate(args):
    import importlib

    try:
        calibration = importlib.import_module("sigconv._calibrate")
    except ModuleNotFoundError as error:
        if error.name != "sigconv._calibrate":
            raise
        raise RuntimeError("this sigconv has no calibration (sigconv._calibrate is "
                           "missing)") from None

    def progress(*parts):
        print("  " + " ".join(str(part) for part in parts), flush=True)

    options = {"threads": args.threads, "progress": progress}
    if args.quick:
        options["quick"] = True
    print("sigconv calibrate: timing convolutions on this machine to fit the cost model of "
          'method="auto"', flush=True)
    constants = calibration.calibrate(**options)
    print("fitted constants:")
    width = max((len(str(name)) for name in constants), default=0)
    for name, value in constants.items():
        print(f"  {name:<{width}}  {value:.6g}" if isinstance(value, float)
              else f"  {name:<{width}}  {value}")
    print(f"in use from now on: {calibration.describe()}")
    return 0


# ------------------------------------------------------------------------------- main


def _build_parser():
    parser = _Parser(prog="sigconv",
                     description="Convolution, signal processing and CNNs with numba "
                                 "kernels: the lecture's examples from the command line.")
    parser.add_argument("--traceback", action="store_true",
                        help="show the full traceback of an error instead of one line")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    defaults = argparse.ArgumentDefaultsHelpFormatter

    demo = commands.add_parser(
        "demo", formatter_class=defaults,
        help="convolution as algebra, then the lecture's digits CNN trained in seconds",
        description="Print a polynomial product as a convolution, its Toeplitz matrix and "
                    "an FFT-vs-direct check, then train the lecture's digits CNN (SGD 0.1, "
                    "L2 1e-3) on 80%% of scikit-learn's 8x8 digits and report its test "
                    "accuracy. Writes OUT (test images titled true / predicted) and "
                    "OUT_filters (the learned first-layer filters).")
    demo.add_argument("--epochs", type=_epochs, default=30, help="training epochs")
    demo.add_argument("--out", type=_nonempty, default="demo.png",
                      help="image of the test predictions")
    demo.add_argument("--seed", type=_seed, default=0,
                      help="seed of the train/test split, weights and shuffles")
    demo.set_defaults(run=_demo)

    train = commands.add_parser(
        "train", formatter_class=defaults,
        help="train a CNN on digits, MNIST or CIFAR-10",
        description="Train the lecture's digits CNN (digits, mnist: pixels / 255) or its "
                    "CIFAR-10 network (Conv2D 32-64-64, Dense 64, logits with sparse "
                    "cross-entropy; pixels / 255) and report the last epoch and the test "
                    "accuracy. MNIST and CIFAR-10 are read from DATA_DIR, $SIGCONV_DATA or "
                    "the cache, downloaded there if missing. Digits use an 80/20 split.")
    train.add_argument("--dataset", required=True, choices=sorted(_TRAIN_DEFAULTS),
                       help="the data set")
    train.add_argument("--data-dir", action=_Store, type=_nonempty,
                       help="directory holding the MNIST or CIFAR-10 files (refused with "
                            "digits)")
    train.add_argument("--no-download", action=_Store, nargs=0, const=True,
                       default=False,
                       help="fail rather than download a missing data set file (refused "
                            "with digits)")
    train.add_argument("--epochs", type=_epochs,
                       help="training epochs (default: 30 digits, 5 mnist, 10 cifar10)")
    train.add_argument("--batch-size", type=_batch_size,
                       help="samples per gradient step (default: 100 digits and mnist, "
                            "32 cifar10)")
    train.add_argument("--optimizer", choices=sorted(_DEFAULT_LEARNING_RATES), default="sgd",
                       help="the optimizer")
    train.add_argument("--learning-rate", type=_positive_float,
                       help="step size (default: sgd 0.01, adam 0.001, rmsprop 0.001)")
    train.add_argument("--l2", type=_non_negative_float, default=0.0,
                       help="L2 penalty of the digits CNN's kernels (refused with cifar10)")
    train.add_argument("--validation-split", type=_fraction, default=0.0,
                       help="fraction of the training samples held out for validation")
    train.add_argument("--seed", type=_seed, default=0,
                       help="seed of the split, weights and shuffles")
    train.add_argument("--save", type=_nonempty, help="write the trained model to this .npz file")
    train.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                       help="0 silent, 1 a progress bar per epoch, 2 one line per epoch")
    train.set_defaults(run=_train)

    grid = commands.add_parser(
        "grid", formatter_class=defaults,
        help="the lecture's grid search over learning rate and L2 strength",
        description="Train the lecture's digits CNN for every pair (eta, lambda) of SGD "
                    "learning rate and L2 strength and draw the test and train accuracies "
                    "as heatmaps.")
    grid.add_argument("--dataset", choices=("digits",), default="digits", help="the data set")
    grid.add_argument("--epochs", type=_epochs, default=100, help="epochs per cell")
    grid.add_argument("--n-jobs", type=_n_jobs, default=2, action=_Store,
                      help="worker processes, -1 for one per core (refused with --dask "
                           "ADDRESS, whose workers run the cells)")
    grid.add_argument("--etas", type=_positive_float, nargs="+", metavar="ETA",
                      help="learning rates (default: 1e-5, 1e-4, ..., 10)")
    grid.add_argument("--lambdas", type=_non_negative_float, nargs="+", metavar="LAMBDA",
                      help="L2 strengths (default: 1e-5, 1e-4, ..., 10)")
    grid.add_argument("--out", type=_nonempty, default="grid.png", help="image of the heatmaps")
    grid.add_argument("--seed", type=_seed, default=0, help="seed of the split and every cell")
    grid.add_argument("--dask", metavar="ADDRESS", type=_nonempty,
                      help="run the cells on a Dask cluster: its scheduler's address "
                           "(tcp://host:8786), or 'local' for one started here with --n-jobs "
                           "workers (needs sigconv[dask])")
    grid.add_argument("--cache-dir", metavar="DIR", type=_nonempty,
                      help="keep each finished cell here; a rerun skips them")
    grid.set_defaults(run=_grid)

    fourier = commands.add_parser(
        "fourier", formatter_class=defaults,
        help="the square wave's Fourier series and the Gibbs phenomenon",
        description=f"Fourier coefficients of the lecture's square wave (T = {_PERIOD}, "
                    f"W = {_WIDTH}, F = {_HEIGHT}), analytic and by quadrature, Parseval's "
                    f"power and the Gibbs overshoot; draws partial sums and the overshoot.")
    fourier.add_argument("--terms", type=_terms, default=25,
                         help="number of terms of the partial sum")
    fourier.add_argument("--out", type=_nonempty, default="fourier.png", help="image of the figure")
    fourier.set_defaults(run=_fourier)

    bench = commands.add_parser(
        "bench", formatter_class=defaults,
        help="time a training step and a convolution layer",
        description="Median time of a training step of the digits CNN (batch 100) and "
                    "GFLOP/s of a Conv2D layer (batch 16, 32x32, 32->64 channels, 3x3, "
                    "same). The full comparisons against SciPy and PyTorch are in the "
                    "repository's bench/ folder.")
    bench.add_argument("--quick", action="store_true", help="fewer repetitions")
    bench.set_defaults(run=_bench)

    info = commands.add_parser(
        "info", formatter_class=defaults,
        help="versions, threads, CPU, BLAS, CUDA, calibration and caches (for bug reports)",
        description="Print what sigconv runs on: the versions of sigconv, Python, NumPy, "
                    "SciPy and numba; numba's threads and threading layer; the CPU's SIMD "
                    "level; the BLAS and OpenMP libraries; whether CUDA is usable and why "
                    "not; the calibration method='auto' uses; the kernel cache folder; the "
                    "process settings `import sigconv` made. Paste it into bug reports.")
    info.add_argument("--json", action="store_true", help="one JSON object instead of text")
    info.set_defaults(run=_info)

    calibrate = commands.add_parser(
        "calibrate", formatter_class=defaults,
        help='fit the cost model of method="auto" to this machine',
        description='Time a fixed set of convolutions on this machine (under a minute), fit '
                    'the constants of the cost model that method="auto" uses to choose '
                    "between direct, FFT and overlap-add, and store them in the user's "
                    "cache directory, where every later process finds them. `sigconv info` "
                    "says which constants are in use.")
    calibrate.add_argument("--threads", type=_positive_int,
                           help="numba threads to time with (default: numba's current "
                                "count; at most NUMBA_NUM_THREADS)")
    calibrate.add_argument("--quick", action="store_true",
                           help="fewer problems and repetitions: a rougher fit in seconds")
    calibrate.set_defaults(run=_calibrate)
    return parser


def main(argv=None):
    """Entry point of the ``sigconv`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (defaults to ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success (and for ``--help``), 2 for bad arguments, 1 for other
        errors (a missing data set, an output that cannot be written, a size that does
        not fit in memory, and any other exception), 130 when interrupted (silently).
        Errors print one ``sigconv: error: ...`` line to standard error, never a
        traceback (``--traceback`` shows it).

    Raises
    ------
    TypeError
        If ``argv`` is neither None nor a list (or tuple) of str: a programming error,
        not a user's, so it is raised rather than printed.

    Examples
    --------
    >>> from sigconv.cli import main
    >>> main(["fourier", "--terms", "0"])  # prints the error to standard error
    2
    """
    if argv is not None and (isinstance(argv, (str, bytes)) or not isinstance(
            argv, (list, tuple)) or not all(isinstance(arg, str) for arg in argv)):
        # a str would be read as one argument per character
        raise TypeError(f"argv must be a list of str (the arguments after 'sigconv') or "
                        f"None, got {argv!r}")
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        _check_combinations(parser, args)
    except SystemExit as exit_:  # --help, or an error already printed
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except KeyboardInterrupt:
        return 130
    try:
        return args.run(args)
    except KeyboardInterrupt:  # the shell shows ^C already
        return 130
    except Exception as error:  # noqa: BLE001 - every failure is one line, see below
        if args.traceback:
            raise
        print(f"sigconv: error: {_one_line(error)}", file=sys.stderr)
        return 1


#: the exceptions sigconv raises for a user's error, whose message is the whole story
_USER_ERRORS = (ValueError, TypeError, OverflowError, MemoryError, OSError)


def _one_line(error):
    """The error message on one line; an exception that is not a user error (a bug, or a
    library's internal failure) is named, with a hint to rerun with ``--traceback``."""
    message = " ".join(str(error).split())
    if isinstance(error, MemoryError):
        message = message or "out of memory"
        if not message.startswith(("out of memory", "Unable to allocate")) and \
                "needs" not in message:
            message = f"out of memory: {message}"
    elif not isinstance(error, _USER_ERRORS):
        return (f"internal error {type(error).__name__}: {message or 'no message'} (rerun "
                f"with --traceback and report it)")
    return message or type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
