"""Hyperparameter grid search, in parallel processes or on any executor (Dask included).

The lecture trains its digits CNN for every pair of learning rate and L2 strength and draws
the test accuracies as a heatmap::

    result = grid_search(lecture_digits_cnn, {"learning_rate": etas, "l2": lambdas},
                         x_train, y_train, x_test, y_test, epochs=100, batch_size=100,
                         n_jobs=2)
    grid, etas, lambdas = result.pivot("test_accuracy")
    sigconv.plotting.heatmap(grid, etas, lambdas)

Each cell builds a fresh model with ``build_fn(**params)``, fits it with the cell's seed
and evaluates it, so cells are independent: ``n_jobs`` worker processes (each on one
thread) or an executor's workers run them in any order, with equal results.
"""

import contextlib
import hashlib
import itertools
import json
import math
import numbers
import os
import tempfile
import time
from collections.abc import Iterable, Mapping

import numpy as np

from .._jit import single_thread
from .._validate import (
    all_finite,
    as_numeric_array,
    check_allocation,
    check_native_precision,
    check_nonempty,
    check_positive_int,
    check_real,
)
from . import layers as _layers
from . import optimizers as _optimizers
from . import regularizers as _regularizers
from .model import Sequential

__all__ = ["GridResult", "grid_search", "lecture_digits_cnn"]


def lecture_digits_cnn(learning_rate=0.01, l2=0.0, input_shape=(8, 8, 1), filters=10,
                       kernel_size=3, dense_units=50, n_classes=10):
    """The lecture's digits network, compiled with SGD and categorical cross-entropy.

    ``Conv2D(filters, kernel_size, relu) -> MaxPooling2D(2) -> Flatten ->
    Dense(dense_units, relu) -> Dense(n_classes, softmax)``, every kernel with an
    ``L2(l2)`` penalty.

    Parameters
    ----------
    learning_rate : float
        Of the SGD optimizer (the lecture's ``eta``).
    l2 : float
        Strength of the L2 penalty on every kernel (the lecture's ``lambda``); 0 for none.
    input_shape : tuple of int, default (8, 8, 1)
    filters, kernel_size, dense_units, n_classes : int
        The lecture's 10 filters of 3x3, 50 hidden units and 10 classes by default.

    Returns
    -------
    Sequential
        Compiled with ``categorical_crossentropy`` and the accuracy metric.

    Raises
    ------
    TypeError
        If ``l2`` is not a real number, ``input_shape`` not three integers, or a count
        not an integer (the layers check ``learning_rate``, ``filters`` and
        ``dense_units`` themselves).
    ValueError
        If ``l2`` is negative or not finite, a size is below 1, ``n_classes`` below 2,
        or the ``kernel_size`` window and the 2x2 pooling leave no pixel of an image of
        ``input_shape``.
    MemoryError
        If the dense layer's weights for ``input_shape`` would not fit in memory.
    """
    l2 = check_real(l2, "l2", 0.0)
    if isinstance(input_shape, (str, bytes)) or np.ndim(input_shape) != 1 \
            or len(input_shape) != 3:
        raise TypeError(f"input_shape must be (height, width, channels), got {input_shape!r}")
    sizes = {}
    for name, value in [*zip(("input_shape height", "input_shape width",
                              "input_shape channels"), input_shape, strict=True),
                        ("filters", filters), ("kernel_size", kernel_size),
                        ("dense_units", dense_units), ("n_classes", n_classes)]:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be an integer, got {value!r}")
        sizes[name] = check_positive_int(value, name, minimum=2 if name == "n_classes" else 1)
    height, width = sizes["input_shape height"], sizes["input_shape width"]
    pooled = [(side - sizes["kernel_size"] + 1) // 2 for side in (height, width)]
    if min(pooled) < 1:
        raise ValueError(f"kernel_size {sizes['kernel_size']} and the 2x2 pooling leave no "
                         f"pixel of an input_shape of {(height, width)}")
    check_allocation("input_shape, filters, dense_units",
                     (pooled[0] * pooled[1] * sizes["filters"], sizes["dense_units"]),
                     np.float32, copies=4, what="the dense layer's weights")
    input_shape = (height, width, sizes["input_shape channels"])
    filters, kernel_size = sizes["filters"], sizes["kernel_size"]
    dense_units, n_classes = sizes["dense_units"], sizes["n_classes"]

    def penalty():
        return _regularizers.L2(l2) if l2 else None

    model = Sequential([
        _layers.Conv2D(filters, (kernel_size, kernel_size), activation="relu",
                       input_shape=input_shape, kernel_regularizer=penalty()),
        _layers.MaxPooling2D((2, 2)),
        _layers.Flatten(),
        _layers.Dense(dense_units, activation="relu", kernel_regularizer=penalty()),
        _layers.Dense(n_classes, activation="softmax", kernel_regularizer=penalty()),
    ])
    model.compile(optimizer=_optimizers.SGD(learning_rate), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class GridResult:
    """The cells of a grid search.

    Parameters
    ----------
    records : list of dict
        One per cell: the parameters, ``train_accuracy``, ``test_accuracy``,
        ``train_loss``, ``test_loss`` and ``seconds``.
    param_grid : dict of str to list
        The grid searched.

    Raises
    ------
    TypeError
        If ``param_grid`` is not a dict of parameter names to sequences, ``records`` not
        a sequence of dicts, or a record's value other than a parameter is not a real
        number or None (or, for ``"error"``, a str).
    ValueError
        If ``param_grid`` is empty or has an empty or repeating sequence, or a record lacks
        a parameter or holds a value the grid does not list for it.
    """

    def __init__(self, records, param_grid):
        if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
            raise TypeError(f"records must be a list of dicts, one per cell, got "
                            f"{type(records).__name__}")
        param_grid = _check_param_grid(param_grid, need_json=False)
        records = list(records)
        for index, record in enumerate(records):
            _check_record(record, f"records[{index}]", param_grid)
        self.records = records
        self.param_grid = param_grid

    def __len__(self):
        return len(self.records)

    def __repr__(self):
        return f"<GridResult: {len(self.records)} cells over {list(self.param_grid)}>"

    def _check_metric(self, metric):
        known = sorted({key for record in self.records for key in record}
                       - set(self.param_grid) - {"error"})
        if not isinstance(metric, str) or metric not in known:
            raise ValueError(f"metric must be one of {known}; got {metric!r}")

    def pivot(self, metric="test_accuracy", rows=None, columns=None):
        """A 2-D table of ``metric`` over two parameters (the first two by default).

        Returns
        -------
        (ndarray, list, list)
            The table (NaN where a cell is missing), the row values and the column values.

        Raises
        ------
        ValueError
            If ``metric`` is not a recorded metric, ``rows`` or ``columns`` is not a
            parameter of the grid or both name the same one, or the grid has a single
            parameter and ``columns`` is not given.
        """
        self._check_metric(metric)
        names = list(self.param_grid)
        if rows is None:
            rows = names[0]
        if columns is None:
            others = [name for name in names if name != rows]
            if not others:
                raise ValueError(f"columns: the grid has the single parameter {rows!r}; a "
                                 f"pivot needs two")
            columns = others[0]
        for argument, name in (("rows", rows), ("columns", columns)):
            if not isinstance(name, str) or name not in self.param_grid:
                raise ValueError(f"{argument} must be one of the parameters {names}; got "
                                 f"{name!r}")
        if rows == columns:
            raise ValueError(f"rows and columns must be two parameters, got {rows!r} twice")
        row_values, column_values = list(self.param_grid[rows]), list(self.param_grid[columns])
        table = np.full((len(row_values), len(column_values)), np.nan)
        row_of, column_of = _positions(row_values), _positions(column_values)
        for record in self.records:
            value = record.get(metric)
            table[row_of(record[rows]), column_of(record[columns])] = \
                np.nan if value is None else value
        return table, row_values, column_values

    def best(self, metric="test_accuracy"):
        """The record with the highest ``metric`` (NaN cells, from diverged fits, never win).

        Raises
        ------
        ValueError
            If ``metric`` is not a recorded metric, or no cell has a finite value of it.
        """
        self._check_metric(metric)
        values = np.array([np.nan if r.get(metric) is None else r[metric]
                           for r in self.records], dtype=float)
        values[~np.isfinite(values)] = np.nan
        if values.size == 0 or np.isnan(values).all():
            raise ValueError(f"no cell has a finite {metric}")
        return self.records[int(np.nanargmax(values))]


def _check_record(record, name, param_grid):
    """A cell's record: a dict holding each parameter at a value the grid lists, real
    numbers or None for the metrics, and a str for ``"error"``."""
    if not isinstance(record, Mapping):
        raise TypeError(f"{name} must be a dict (a cell's parameters and metrics), got "
                        f"{type(record).__name__}")
    for parameter, values in param_grid.items():
        if parameter not in record:
            raise ValueError(f"{name} lacks the parameter {parameter!r} of param_grid")
        if not any(_listed(record[parameter], value) for value in values):
            raise ValueError(f"{name}[{parameter!r}] is {record[parameter]!r}, which "
                             f"param_grid[{parameter!r}] does not list")
    for key, value in record.items():
        if key in param_grid:
            continue
        if key == "error":
            if not isinstance(value, str):
                raise TypeError(f"{name}['error'] must be a str, got {type(value).__name__}")
        elif value is not None and (isinstance(value, (bool, np.bool_))
                                    or not isinstance(value, numbers.Real)):
            raise TypeError(f"{name}[{key!r}] must be a real number or None, got "
                            f"{value!r}")
        elif value is not None:
            try:
                float(value)
            except OverflowError:  # an int beyond float64, such as 10**400
                raise ValueError(f"{name}[{key!r}] is too large for a float64: "
                                 f"{value!r}") from None


def _positions(values):
    """``values.index`` in constant time where the values can be hashed."""
    try:
        table = {}
        for index, value in enumerate(values):
            table.setdefault(value, index)
    except TypeError:  # unhashable values (lists, arrays): compare one by one
        return lambda value: next(i for i, other in enumerate(values) if _listed(value, other))
    return lambda value: table[value] if _hashable(value) and value in table else \
        next(i for i, other in enumerate(values) if _listed(value, other))


def _listed(value, other):
    """``value`` is ``other`` as ``list.index`` finds it: the same object (a NaN the grid
    lists) or an equal one."""
    return value is other or _same(value, other)


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _run_cell(build_fn, params, data, epochs, batch_size, seed):
    x_train, y_train, x_test, y_test = data
    start = time.perf_counter()
    model = build_fn(**params)
    if not all(callable(getattr(model, method, None)) for method in ("fit", "evaluate")):
        raise TypeError(f"build_fn must return a compiled model (with fit and evaluate), "
                        f"returned {type(model).__name__}")
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0, seed=seed)
    train = model.evaluate(x_train, y_train, batch_size=1024, return_dict=True)
    test = model.evaluate(x_test, y_test, batch_size=1024, return_dict=True)
    return {**params, "train_loss": train["loss"], "train_accuracy": train.get("accuracy"),
            "test_loss": test["loss"], "test_accuracy": test.get("accuracy"),
            "seconds": time.perf_counter() - start}


def _failed(params, exc):
    return {**params, "train_loss": math.nan, "train_accuracy": math.nan,
            "test_loss": math.nan, "test_accuracy": math.nan, "seconds": math.nan,
            "error": exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"}


def _guarded_cell(build_fn, params, data, epochs, batch_size, seed):
    """A cell whose failure is reported in its record instead of ending the search."""
    try:
        return _run_cell(build_fn, params, data, epochs, batch_size, seed)
    except Exception as exc:
        return _failed(params, exc)


#: what a cell's record holds besides its parameters (None: a model without accuracy)
_METRICS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds")
#: a cell file is a few hundred bytes; a larger one is damaged
_MAX_CELL_FILE = 1 << 20


def _roundtrip(value):
    """``value`` as JSON gives it back (tuples become lists, NumPy scalars numbers)."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class _CellCache:
    """One JSON file per finished cell, named by a hash of its parameters and of the
    training settings, written atomically (a temporary file, then ``os.replace``).

    A file that cannot be read or does not hold this cell's record (not JSON, not a
    dict, other parameters, a metric missing or not a number, larger than 1 MiB) is
    treated as missing: the cell is computed again and the file rewritten.
    """

    def __init__(self, directory, epochs, batch_size, seed):
        self.directory = os.fspath(directory)
        try:
            os.makedirs(self.directory, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"cache_dir {self.directory!r} cannot be used as a folder: "
                             f"{exc.strerror or exc}") from None
        self.settings = {"epochs": epochs, "batch_size": batch_size, "seed": seed}

    def _path(self, params):
        key = json.dumps({"params": params, **self.settings}, sort_keys=True,
                         default=_json_default)
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return os.path.join(self.directory, f"cell-{digest}.json")

    def load(self, params):
        """The record of the cell ``params``, or None when none (valid) is kept."""
        path = self._path(params)
        try:
            # a FIFO or a device in its place would block or never end: not a cell file
            if not os.path.isfile(path) or os.path.getsize(path) > _MAX_CELL_FILE:
                return None
            with open(path, encoding="utf-8") as stream:
                record = json.load(stream)
        except (OSError, ValueError, RecursionError):  # absent, unreadable, not JSON
            return None
        if not _valid_record(record, params):
            return None
        return {**params, **{key: record[key] for key in _METRICS}}

    def store(self, params, record):
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(record, stream, default=_json_default)
            os.replace(temporary, self._path(params))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def _valid_record(record, params):
    """Whether ``record`` (read from a cell file) is a finished record of ``params``."""
    if not isinstance(record, dict) or "error" in record:
        return False
    for name, value in _roundtrip(params).items():
        if name not in record or record[name] != value or type(record[name]) is not type(
                value):
            return False
    for key in _METRICS:
        value = record.get(key, False)
        if value is not None and (isinstance(value, bool)
                                  or not isinstance(value, (int, float))):
            return False
    return True


def _executor_cell(build_fn, params, data, epochs, batch_size, seed):
    """A cell on an executor's worker thread: one thread, since the executor's workers
    are the parallelism (as Dask's nanny assumes: it sets OMP_NUM_THREADS=1 and the like,
    which numba does not read)."""
    with single_thread():
        return _guarded_cell(build_fn, params, data, epochs, batch_size, seed)


class _MappedArrays:
    """Arrays saved once as ``.npy`` files, opened as read-only memory maps by each worker
    process (as joblib does for large arguments), instead of pickled for every cell."""

    #: arrays larger than this in all go to the workers as files
    THRESHOLD = 1 << 20

    def __init__(self, arrays, directory):
        self.paths = []
        for index, array in enumerate(arrays):
            path = os.path.join(directory, f"array-{index}.npy")
            np.save(path, array)
            self.paths.append(path)

    def load(self):
        return tuple(np.load(path, mmap_mode="r") for path in self.paths)


def _run_cell_single_thread(build_fn, params, data, epochs, batch_size, seed):
    """A cell in a worker process: one thread (the cells are the parallelism)."""
    import numba
    from threadpoolctl import threadpool_limits

    from .. import _config

    if isinstance(data, _MappedArrays):
        data = data.load()
    numba.set_num_threads(1)
    _config.NN_THREADS = 1
    with threadpool_limits(1):
        return _guarded_cell(build_fn, params, data, epochs, batch_size, seed)


def _run_in_processes(cells, todo, n_workers, finish, arguments):
    """Run the cells ``todo`` on ``n_workers`` worker processes, ``finish(i, record)``
    each as it ends.

    A worker that dies (``os._exit``, a segfault, killed for memory) breaks the pool and
    every cell running on it. Those cells are then run again, each alone in a process of
    its own: the one that dies again is recorded as an error, the others finish; the
    cells not yet started go on in a fresh pool. So a lost worker costs only its cell,
    and a cell that kills every worker it runs on is tried twice, never in a loop.
    """
    from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, wait

    from joblib.externals.loky import get_reusable_executor

    pending = list(todo)
    while pending:  # each round finishes at least one cell
        # loky's workers need no __main__ guard in the user's script and are reused
        # between calls; a broken pool is replaced by the next call
        pool = get_reusable_executor(max_workers=min(n_workers, len(pending)))
        running, suspects, broken = {}, [], False
        while (pending or running) and not broken:
            while pending and len(running) < n_workers and not broken:
                try:
                    future = pool.submit(_run_cell_single_thread, arguments[0],
                                         cells[pending[0]], *arguments[1:])
                except BrokenExecutor as exc:  # broken by a cell in flight, or cannot start
                    broken = True
                    if not running:
                        i = pending.pop(0)
                        finish(i, _failed(cells[i], exc))
                else:
                    running[future] = pending.pop(0)
            if not running:
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                i = running.pop(future)
                try:
                    record = future.result()
                except BrokenExecutor:
                    suspects.append(i)
                    broken = True
                    continue
                except Exception as exc:  # the task could not be sent or returned
                    record = _failed(cells[i], exc)
                finish(i, record)
        suspects += running.values()  # the broken pool took them down with it
        for i, record in _run_alone(sorted(suspects), cells, n_workers, arguments):
            finish(i, record)


def _run_alone(suspects, cells, n_workers, arguments):
    """Each cell of ``suspects`` in a one-process pool of its own, ``n_workers`` at a
    time; yields ``(i, record)``, an error record for a cell whose process died."""
    from concurrent.futures import BrokenExecutor

    from joblib.externals.loky.process_executor import ProcessPoolExecutor

    for start in range(0, len(suspects), n_workers):
        chunk = suspects[start:start + n_workers]
        pools = [ProcessPoolExecutor(max_workers=1) for _ in chunk]
        try:
            futures = [pool.submit(_run_cell_single_thread, arguments[0], cells[i],
                                   *arguments[1:]) for pool, i in zip(pools, chunk,
                                                                      strict=True)]
            for i, future in zip(chunk, futures, strict=True):
                try:
                    record = future.result()
                except BrokenExecutor as exc:
                    record = _failed(cells[i], f"the worker process running this cell died, "
                                               f"also when run alone ({type(exc).__name__}: "
                                               f"{' '.join(str(exc).split())})")
                except Exception as exc:
                    record = _failed(cells[i], exc)
                yield i, record
        finally:
            for pool in pools:
                pool.shutdown(wait=True, kill_workers=True)


#: the most cells a grid may have (each one trains a model: more is a mistake)
MAX_CELLS = 1_000_000
#: the largest epochs and batch_size (int32, as the kernels count)
_MAX_COUNT = 2**31 - 1


def _check_param_grid(param_grid, need_json):
    """``param_grid`` as a dict of str to non-empty lists of distinct values."""
    if not isinstance(param_grid, Mapping):
        raise TypeError(f"param_grid must be a dict of parameter name to values, got "
                        f"{type(param_grid).__name__}")
    if not param_grid:
        raise ValueError("param_grid must be a non-empty dict of parameter name to values")
    checked = {}
    for name, values in param_grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"param_grid keys must be parameter names (identifiers, "
                            f"passed to build_fn as keywords), got {name!r}")
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            raise ValueError(f"param_grid[{name!r}] must be a non-empty sequence of values, "
                             f"got {type(values).__name__}")
        values = list(itertools.islice(values, MAX_CELLS + 1))
        if not values:
            raise ValueError(f"param_grid[{name!r}] must be a non-empty sequence of values")
        if len(values) > MAX_CELLS:
            raise ValueError(f"param_grid[{name!r}] has more than the {MAX_CELLS} values a "
                             f"grid search may train")
        repeated = _first_repeat(values)
        if repeated is not None:
            raise ValueError(f"param_grid[{name!r}] repeats the value {repeated!r}: every "
                             f"cell must be distinct")
        for value in values:
            if need_json:
                try:
                    json.dumps(value, default=_json_default, allow_nan=False)
                except (TypeError, ValueError) as exc:
                    raise TypeError(f"param_grid[{name!r}] value {value!r} cannot name a "
                                    f"cell file of cache_dir (JSON: {exc})") from None
        checked[name] = values
    n_cells = math.prod(len(values) for values in checked.values())
    if n_cells > MAX_CELLS:
        raise ValueError(f"param_grid has {n_cells} cells, more than the {MAX_CELLS} a grid "
                         f"search may train")
    return checked


def _first_repeat(values):
    """The first value equal to an earlier one (``==``, as ``_same``), or None: hashable
    values are looked up in a set (linear time; a million values pairwise would take
    hours), the others compared one by one."""
    seen, unhashable = set(), []
    for index, value in enumerate(values):
        if any(_same(value, other) for other in unhashable):
            return value
        try:
            if value in seen:
                return value
            seen.add(value)
        except TypeError:  # lists, arrays, dicts: compared with everything before them
            if any(_same(value, other) for other in values[:index]):
                return value
            unhashable.append(value)
    return None


def _same(value, other):
    try:
        return bool(value == other)
    except (TypeError, ValueError):  # arrays compare element-wise
        return value is other


def _check_data(x_train, y_train, x_test, y_test):
    """The four arrays, numeric, finite, non-empty, with matching lengths and shapes."""
    arrays = {}
    for name, value in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                        ("y_test", y_test)):
        array = as_numeric_array(value, name)
        if array.dtype.kind == "c":
            raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
        check_native_precision(array.dtype, name)
        if array.ndim == 0:
            raise ValueError(f"{name} must have one entry per sample, got a 0-d array")
        check_nonempty(array, name)
        if not all_finite(array):  # by reductions: no mask of the data's size
            raise ValueError(f"{name} holds NaN or infinite values")
        arrays[name] = array
    for x, y in (("x_train", "y_train"), ("x_test", "y_test")):
        if len(arrays[x]) != len(arrays[y]):
            raise ValueError(f"{x} and {y} must have one entry per sample each, got "
                             f"{len(arrays[x])} and {len(arrays[y])}")
    for train, test in (("x_train", "x_test"), ("y_train", "y_test")):
        if arrays[train].shape[1:] != arrays[test].shape[1:]:
            raise ValueError(f"{train} and {test} must have samples of one shape, got "
                             f"{arrays[train].shape[1:]} and {arrays[test].shape[1:]}")
    return tuple(arrays.values())


def grid_search(build_fn, param_grid, x_train, y_train, x_test, y_test, epochs=1,
                batch_size=32, n_jobs=1, executor=None, seed=0, progress=False,
                cache_dir=None):
    """Fit and evaluate a model for every combination of parameters.

    Parameters
    ----------
    build_fn : callable
        ``build_fn(**params)`` returns a compiled model (e.g. :func:`lecture_digits_cnn`).
        With ``n_jobs > 1`` or an executor it must be picklable: a module-level function.
    param_grid : dict of str to sequence
        The values of each parameter, distinct; cells are their Cartesian product, first
        parameter slowest (at most :data:`MAX_CELLS`).
    x_train, y_train, x_test, y_test : array_like
        Real, finite, non-empty; as many labels as samples, training and test samples
        of one shape.
    epochs, batch_size : int
        From 1 to ``2**31 - 1``.
    n_jobs : int
        Worker processes (loky's, each single-threaded), -1 for one per core; 1 runs the
        cells here, one after another. No more processes than cells are started.
    executor : concurrent.futures.Executor, optional
        Runs the cells instead of ``n_jobs`` processes, e.g. a Dask
        ``distributed.Client(...).get_executor()`` to spread them over a cluster.
    seed : int
        Every cell fits with this seed (same initial weights and shuffles for all cells).
    progress : bool
        Show a tqdm progress bar over the cells.
    cache_dir : str or path, optional
        Keep each finished cell's record there (one JSON file, written atomically) and
        skip the cells found there on a re-run with the same settings. A cell file that is
        damaged (not JSON, another record, wrong types) counts as missing: that cell is
        computed again and its file rewritten. The parameter values must then be JSON
        values (numbers, strings, booleans, None, lists).

    Returns
    -------
    GridResult
        One record per cell, in grid order. A cell that failed (an exception in its fit,
        or its task lost, or its worker process died) has NaN metrics and an ``"error"``
        entry saying why; the other cells are not affected. A worker process that dies
        takes down the cells running beside it too: those are run again, each in a
        process of its own, so that only the cell that killed its worker (twice) is
        recorded as failed.

    Raises
    ------
    TypeError
        If ``build_fn`` is not callable, ``param_grid`` is not a dict of parameter names,
        ``epochs``, ``batch_size``, ``n_jobs`` or ``seed`` is not an integer,
        ``progress`` not a bool, ``executor`` has no ``submit``, ``cache_dir`` is not a
        path, a data array is not real numbers, or (with ``cache_dir``) a parameter value
        is not a JSON value.
    ValueError
        If a parameter has no values or repeats one, the grid has more than
        :data:`MAX_CELLS` cells, a count is out of range, the data arrays are empty, hold
        NaN or infinity, or disagree in length or sample shape, or ``cache_dir`` cannot
        be a folder.
    """
    if not callable(build_fn):
        raise TypeError(f"build_fn must be callable (returning a compiled model), got "
                        f"{type(build_fn).__name__}")
    if cache_dir is not None and not isinstance(cache_dir, (str, os.PathLike)):
        raise TypeError(f"cache_dir must be a folder as a str or os.PathLike, or None; got "
                        f"{cache_dir!r}")
    param_grid = _check_param_grid(param_grid, need_json=cache_dir is not None)
    for name, value in (("epochs", epochs), ("batch_size", batch_size), ("n_jobs", n_jobs),
                        ("seed", seed)):
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be an integer, got {value!r}")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if value > _MAX_COUNT:
            raise ValueError(f"{name} must be <= {_MAX_COUNT}, got {value}")
    seed = check_positive_int(seed, "seed", minimum=0)
    n_jobs = check_positive_int(n_jobs, "n_jobs", minimum=-1)
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive int or -1; got 0")
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must be a concurrent.futures.Executor (with submit), got "
                        f"{type(executor).__name__}")
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    data = _check_data(x_train, y_train, x_test, y_test)
    names = list(param_grid)
    cells = [dict(zip(names, values, strict=True))
             for values in itertools.product(*param_grid.values())]
    cache = _CellCache(cache_dir, epochs, batch_size, seed) if cache_dir is not None else None
    records = [cache.load(params) if cache is not None else None for params in cells]
    todo = [i for i, record in enumerate(records) if record is None]

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(cells), initial=len(cells) - len(todo), desc="grid",
                   unit="cell")

    def finish(i, record):
        records[i] = record
        if cache is not None and "error" not in record:
            cache.store(cells[i], record)
        if bar is not None:
            bar.update(1)

    try:
        if executor is None and n_jobs == 1:
            for i in todo:
                finish(i, _guarded_cell(build_fn, cells[i], data, epochs, batch_size, seed))
        elif executor is None:
            with tempfile.TemporaryDirectory(prefix="sigconv-grid-") as folder:
                shared = data
                if sum(array.nbytes for array in data) > _MappedArrays.THRESHOLD:
                    shared = _MappedArrays(data, folder)
                _run_in_processes(cells, todo, min(n_jobs, len(todo)), finish,
                                  (build_fn, shared, epochs, batch_size, seed))
        else:
            # results are taken as they finish; a failed cell becomes a record with its error
            from concurrent.futures import as_completed

            futures = {executor.submit(_executor_cell, build_fn, cells[i], data, epochs,
                                       batch_size, seed): i for i in todo}
            for future in as_completed(futures):
                i = futures[future]
                try:
                    record = future.result()
                except Exception as exc:   # the task itself was lost (worker died, ...)
                    record = _failed(cells[i], exc)
                finish(i, record)
    finally:
        if bar is not None:
            bar.close()
    return GridResult(records, param_grid)
