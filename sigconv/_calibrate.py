"""The constants of ``method="auto"``'s cost model: shipped, or fitted on this machine.

:func:`calibrate` times ``direct``, ``fft`` and ``oa`` on a fixed set of 1-D and 2-D
problems (float64, float32 and complex128) at one thread and at the full thread count,
fits each method's seconds as a non-negative combination of its work counts
(``sigconv.conv._cost_features``) and stores the constants as JSON in the user's cache
folder (:func:`platformdirs.user_cache_dir`), tagged with :data:`MODEL_VERSION`.
:func:`active` gives the constants that ``method="auto"`` uses: the stored ones when they
belong to this version of the model, else the shipped ``_config.COST_*``. The file is read
once per process; the environment variable ``SIGCONV_CALIBRATION=0`` ignores it.
"""

import datetime
import json
import math
import os
import time
import warnings

import numba
import numpy as np

from . import _config

#: the layout of the work counts; a stored calibration of another version is ignored
MODEL_VERSION = 2
#: ``SIGCONV_CALIBRATION=0`` makes ``method="auto"`` use the shipped constants
ENV_VARIABLE = "SIGCONV_CALIBRATION"
FILE_NAME = "cost_model.json"
SHIPPED = "shipped defaults"
#: the ``_config`` constant of each method
COST_NAMES = {"direct": "COST_DIRECT", "fft": "COST_FFT", "oa": "COST_OA"}

# (in1 shape, in2 shape, dtype): 1-D in "full" mode, 2-D in "same" mode
_PROBLEMS = (
    [((n,), (k,), "float64") for n, k in (
        (1_000, 3), (1_000, 64), (10_000, 16), (10_000, 300), (10_000, 3_000),
        (100_000, 3), (100_000, 64), (100_000, 301), (100_000, 1_000), (100_000, 10_000),
        (1_000_000, 16), (1_000_000, 300), (1_000_000, 3_000), (300_000, 100_000),
        (3_000_000, 101))]
    + [((n,), (k,), "float32") for n, k in (
        (10_000, 16), (100_000, 64), (100_000, 301), (100_000, 3_000), (1_000_000, 100))]
    + [((n,), (k,), "complex128") for n, k in ((10_000, 64), (100_000, 1_000))]
    + [(shape1, shape2, "float64") for shape1, shape2 in (
        ((64, 64), (3, 3)), ((256, 256), (5, 5)), ((256, 256), (15, 15)),
        ((512, 512), (11, 11)), ((512, 512), (31, 31)), ((1024, 1024), (3, 3)),
        ((1024, 1024), (7, 7)), ((128, 128), (64, 64)), ((64, 64), (15, 15)),
        ((256, 256), (31, 31)), ((1024, 1024), (15, 15)), ((2048, 2048), (11, 11)))]
    + [(shape1, shape2, "float32") for shape1, shape2 in (
        ((256, 256), (15, 15)), ((512, 512), (7, 7)), ((512, 512), (31, 31)))]
)
_QUICK_PROBLEMS = [((2_000,), (5,), "float64"), ((2_000,), (300,), "float64"),
                   ((20_000,), (2_000,), "float64"), ((2_000,), (5,), "float32"),
                   ((20_000,), (2_000,), "float32"), ((64, 64), (3, 3), "float64"),
                   ((128, 128), (31, 31), "float64"), ((64, 64), (9, 9), "float32"),
                   ((3_000,), (40,), "complex128")]
#: direct sums beyond this many multiply-adds take seconds and teach the fit nothing new
_DIRECT_MAX_MACS = 1e9

_ACTIVE = []   # [(constants, source)] once read


def shipped():
    """The shipped constants: ``{method: coefficients}`` from ``_config.COST_*``."""
    return {method: tuple(float(c) for c in getattr(_config, name))
            for method, name in COST_NAMES.items()}


def cache_dir():
    """The folder of the stored calibration: :func:`platformdirs.user_cache_dir`."""
    import platformdirs

    return platformdirs.user_cache_dir("sigconv")


def calibration_path():
    """The path of the stored calibration (it may not exist)."""
    return os.path.join(cache_dir(), FILE_NAME)


def _read(path):
    """``(constants, date, why_not)`` of the calibration stored at ``path``: constants
    None and the reason when it is missing, stale or damaged (then with a warning)."""
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except FileNotFoundError:
        return None, None, "none stored"
    except (OSError, ValueError) as error:
        return _damaged(path, f"unreadable ({error})")
    if not isinstance(data, dict):
        return _damaged(path, "not a JSON object")
    if data.get("model_version") != MODEL_VERSION:
        return None, None, (f"stale (model version {data.get('model_version')!r}, this "
                            f"sigconv's is {MODEL_VERSION})")
    stored = data.get("constants")
    reference = shipped()
    constants = {}
    for method, default in reference.items():
        values = stored.get(method) if isinstance(stored, dict) else None
        if not (isinstance(values, list) and len(values) == len(default) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                and v >= 0 for v in values) and values[-1] <= 1):
            return _damaged(path, f"constants of {method!r} missing or invalid")
        constants[method] = tuple(float(v) for v in values)
    date = data.get("date")
    return constants, date if isinstance(date, str) else "undated", None


def _damaged(path, reason):
    warnings.warn(f"sigconv: ignoring the calibration in {path}: {reason}; "
                  "`sigconv calibrate` stores a new one", RuntimeWarning, stacklevel=4)
    return None, None, f"damaged: {reason}"


def _load():
    """``(constants, source, detail)``; detail says why the shipped ones are used."""
    if os.environ.get(ENV_VARIABLE, "1").strip() == "0":
        return shipped(), SHIPPED, f"{ENV_VARIABLE}=0"
    try:
        path = calibration_path()
    except ImportError:   # an environment from before platformdirs was required
        return shipped(), SHIPPED, "platformdirs is not installed"
    constants, date, why_not = _read(path)
    if constants is None:
        return shipped(), SHIPPED, f"calibration {why_not}: {path}"
    return constants, f"calibrated {path} {date}", None


def load():
    """Read the constants of the cost model (not cached).

    Returns
    -------
    constants : dict
        ``{"direct": tuple, "fft": tuple, "oa": tuple}``: seconds per unit of each
        method's work counts.
    source : str
        ``"calibrated <path> <date>"`` or ``"shipped defaults"``.

    Notes
    -----
    A calibration of another :data:`MODEL_VERSION` is ignored; a damaged one too, with a
    ``RuntimeWarning``; ``SIGCONV_CALIBRATION=0`` ignores any.

    Examples
    --------
    >>> from sigconv import _calibrate
    >>> constants, source = _calibrate.load()
    >>> sorted(constants)
    ['direct', 'fft', 'oa']
    """
    constants, source, _ = _load()
    return constants, source


def active():
    """``(constants, source)`` that ``method="auto"`` uses: :func:`load`'s, read once
    per process (:func:`reset` reads again). The same tuple object until then."""
    if not _ACTIVE:
        _ACTIVE.append(load())
    return _ACTIVE[0]


def reset():
    """Forget the constants read by :func:`active`: the next choice reads them again."""
    _ACTIVE.clear()


def describe():
    """One line on the constants in use, for ``sigconv info``.

    Returns
    -------
    line : str
        E.g. ``"cost model v2: calibrated /home/me/.cache/sigconv/cost_model.json
        2026-12-07T20:00:00+00:00"`` or ``"cost model v2: shipped defaults (calibration
        none stored: ...)"``.

    Examples
    --------
    >>> from sigconv import _calibrate
    >>> _calibrate.describe().startswith("cost model v")
    True
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # the line says it is damaged
        _, source, detail = _load()
    line = f"cost model v{MODEL_VERSION}: {source}"
    return f"{line} ({detail})" if detail else line


def store(constants, path=None, **metadata):
    """Write ``constants`` (``{method: coefficients}``) with :data:`MODEL_VERSION`, the
    date and ``metadata`` as JSON at ``path`` (default :func:`calibration_path`);
    return the path. Written to a temporary file and renamed: never half a file."""
    reference = shipped()
    for method, default in reference.items():
        if len(constants[method]) != len(default):
            raise ValueError(f"constants: {method!r} needs {len(default)} coefficients, "
                             f"got {len(constants[method])}")
    path = calibration_path() if path is None else os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    data = {"model_version": MODEL_VERSION,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "constants": {m: [float(c) for c in constants[m]] for m in reference},
            **metadata}
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=1)
    os.replace(temporary, path)
    return path


def median_time(function, budget=0.2, min_repeats=3, max_repeats=25):
    """Median seconds of ``function()`` after one untimed call: at least
    ``min_repeats`` calls, more while under ``budget`` seconds."""
    function()   # compile, plan
    samples = []
    deadline = time.perf_counter() + budget
    while len(samples) < min_repeats or (time.perf_counter() < deadline
                                         and len(samples) < max_repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples))


class thread_setting:
    """Context manager: numba's thread count and the FFT workers both set to
    ``threads`` on the calling thread, restored on exit."""

    def __init__(self, threads):
        self.threads = int(threads)

    def __enter__(self):
        self.before = numba.get_num_threads(), _config.FFT_WORKERS
        numba.set_num_threads(self.threads)
        _config.FFT_WORKERS = self.threads
        return self

    def __exit__(self, *exc):
        numba.set_num_threads(self.before[0])
        _config.FFT_WORKERS = self.before[1]


def make_problem(shape1, shape2, dtype, rng):
    """The :class:`sigconv.conv._Problem` of random inputs of these shapes and dtype:
    ``full`` mode in 1-D, ``same`` in more dimensions."""
    from . import conv

    def draw(shape):
        x = rng.standard_normal(shape)
        if np.dtype(dtype).kind == "c":
            x = x + 1j * rng.standard_normal(shape)
        return x.astype(dtype)

    return conv._Problem(draw(shape1), draw(shape2), "full" if len(shape1) == 1 else "same",
                         None)


def time_methods(p, budget=0.2, direct_max_macs=_DIRECT_MAX_MACS):
    """Median seconds of each method that applies to ``p`` (``{method: seconds}``); the
    direct sum is left out beyond ``direct_max_macs`` multiply-adds."""
    from . import conv

    features = conv._cost_features(p)
    times = {}
    for method, implementation in conv._IMPLEMENTATIONS.items():
        if features[method] is None:
            continue
        if method == "direct" and p.direct_macs() > direct_max_macs:
            continue
        times[method] = median_time(lambda f=implementation: f(p), budget)
    return times


#: the parallel efficiencies that :func:`fit` tries
_EFFICIENCIES = tuple(np.round(np.linspace(0.0, 1.0, 21), 3))


def fit(rows, fallback=None):
    """Least-squares constants from measured rows.

    Parameters
    ----------
    rows : iterable of (features, times)
        ``features``: ``{method: work counts or None}`` of ``conv._cost_features``;
        ``times``: ``{method: seconds}`` of the methods measured.
    fallback : dict, optional
        Coefficients for the work counts that no row exercises (default the shipped
        ones): a fit cannot learn them; and the parallel efficiency kept when the rows
        cannot tell one from another (all at one thread count).

    Returns
    -------
    dict
        ``{method: coefficients}``: one per column of the work counts, each non-negative
        (``scipy.optimize.nnls``, the relative error minimised: each row is weighted by
        ``1 / seconds``), and last the parallel efficiency ``e`` (the threads' speed-up
        ``1 + e (threads - 1)``), the one of :data:`_EFFICIENCIES` that fits best.
    """
    from scipy.optimize import nnls

    from . import conv

    fallback = shipped() if fallback is None else fallback
    rows = list(rows)
    fitted = {}
    for method, default in fallback.items():
        data = [(f[method], t[method]) for f, t in rows if method in t and f[method]]
        if not data:
            fitted[method] = tuple(default)
            continue
        seconds = np.array([d[1] for d in data], dtype=float)
        best = None
        for efficiency in (default[-1], *_EFFICIENCIES):   # ties keep the fallback's
            features = np.array([conv._feature_values(d[0], efficiency) for d in data])
            used = np.flatnonzero(np.any(features != 0, axis=0))
            coefficients, residual = nnls(features[:, used] / seconds[:, None],
                                          np.ones_like(seconds))
            if best is None or residual < best[0] * (1 - 1e-9):
                best = residual, efficiency, used, coefficients
        _, efficiency, used, coefficients = best
        result = list(default)
        for column, value in zip(used, coefficients, strict=True):
            result[column] = float(value)
        result[-1] = float(efficiency)
        fitted[method] = tuple(result)
    return fitted


def _thread_counts(threads):
    if threads is None:
        full = numba.config.NUMBA_NUM_THREADS
        return sorted({1, full})
    counts = [threads] if isinstance(threads, (int, np.integer)) else list(threads)
    if not counts or any(isinstance(t, bool) or not isinstance(t, (int, np.integer))
                         or not 1 <= t <= numba.config.NUMBA_NUM_THREADS for t in counts):
        raise ValueError(f"threads must be None, or one or more thread counts from 1 to "
                         f"{numba.config.NUMBA_NUM_THREADS}, got {threads!r}")
    return sorted({int(t) for t in counts})


def calibrate(threads=None, progress=None, *, quick=False, problems=None, save=True,
              budget=0.1, seed=0):
    """Fit the cost model of ``method="auto"`` on this machine and store it.

    Times ``direct``, ``fft`` and ``oa`` on a fixed set of problems at each thread
    count (numba threads and FFT workers alike), fits the constants and writes them to
    the user's cache folder, where ``method="auto"`` finds them from then on (in this
    process at once). About 30 to 60 seconds.

    Parameters
    ----------
    threads : int or sequence of int, optional
        The thread counts to time at; default 1 and numba's full count.
    progress : callable, optional
        Called as ``progress(done, total, description)`` after each problem.
    quick : bool, default False
        A few small problems instead (a second or two: for tests, not for use).
    problems : sequence of (shape1, shape2, dtype), optional
        The problems instead of the fixed set: 1-D in ``full`` mode, 2-D in ``same``.
    save : bool, default True
        Store the constants (else only return them).
    budget : float, default 0.1
        Seconds of repeats per method and problem (at least three repeats).
    seed : int, default 0
        Seed of the random inputs.

    Returns
    -------
    dict
        ``constants`` (``{method: coefficients}``), ``path`` (where stored, or None),
        ``model_version``, ``threads``, ``seconds`` (the run's), ``table`` (per problem
        and thread count: shapes, dtype, threads, measured ``times``, the ``pick`` of
        the fitted model and its ``ratio`` to the fastest) and ``worst_ratio``.

    Raises
    ------
    ValueError
        If ``threads``, ``problems`` or ``budget`` is invalid.
    TypeError
        If ``progress`` is not callable.

    Examples
    --------
    >>> from sigconv import _calibrate
    >>> result = _calibrate.calibrate(threads=1, quick=True, save=False, budget=0.0)
    >>> sorted(result["constants"])
    ['direct', 'fft', 'oa']
    """
    from . import conv

    counts = _thread_counts(threads)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable or None, got {progress!r}")
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not (
            0 <= budget <= 60):
        raise ValueError(f"budget must be a number of seconds from 0 to 60, got {budget!r}")
    if problems is None:
        problems = _QUICK_PROBLEMS if quick else _PROBLEMS
    problems = list(problems)
    if not problems or not all(
            isinstance(q, (tuple, list)) and len(q) == 3 for q in problems):
        raise ValueError("problems must be a non-empty sequence of (shape1, shape2, dtype)")
    begin = time.perf_counter()
    rng = np.random.default_rng(seed)
    built = [make_problem(tuple(s1), tuple(s2), d, rng) for s1, s2, d in problems]
    rows, done, total = [], 0, len(built) * len(counts)
    for count in counts:
        with thread_setting(count):
            for (shape1, shape2, dtype), p in zip(problems, built, strict=True):
                features = conv._cost_features(p, count, count)
                times = time_methods(p, budget)
                rows.append((features, times, (tuple(shape1), tuple(shape2), str(dtype),
                                               count, p)))
                done += 1
                if progress is not None:
                    progress(done, total, f"{shape1} x {shape2} {dtype}, {count} threads")
    constants = fit((f, t) for f, t, _ in rows)
    table, worst = [], 1.0
    for _, times, (shape1, shape2, dtype, count, p) in rows:
        estimated = conv._estimated_times(p, count, count, constants)
        pick = min((m for m in estimated if m in times), key=estimated.get)
        ratio = times[pick] / min(times.values())
        worst = max(worst, ratio)
        table.append({"in1": shape1, "in2": shape2, "dtype": dtype, "threads": count,
                      "times": times, "pick": pick, "ratio": ratio})
    seconds = time.perf_counter() - begin
    path = None
    if save:
        path = store(constants, threads=counts, seconds=round(seconds, 1),
                     worst_ratio=round(worst, 3), problems=len(built))
        reset()
    return {"constants": constants, "path": path, "model_version": MODEL_VERSION,
            "threads": counts, "seconds": seconds, "table": table, "worst_ratio": worst}
