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

import hashlib
import itertools
import json
import math
import os
import tempfile
import time

import numpy as np

from .._jit import single_thread
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
    """
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
    """

    def __init__(self, records, param_grid):
        self.records = records
        self.param_grid = param_grid

    def __len__(self):
        return len(self.records)

    def __repr__(self):
        return f"<GridResult: {len(self.records)} cells over {list(self.param_grid)}>"

    def pivot(self, metric="test_accuracy", rows=None, columns=None):
        """A 2-D table of ``metric`` over two parameters (the first two by default).

        Returns
        -------
        (ndarray, list, list)
            The table (NaN where a cell is missing), the row values and the column values.
        """
        names = list(self.param_grid)
        rows = rows or names[0]
        columns = columns or names[1]
        row_values, column_values = list(self.param_grid[rows]), list(self.param_grid[columns])
        table = np.full((len(row_values), len(column_values)), np.nan)
        for record in self.records:
            table[row_values.index(record[rows]), column_values.index(record[columns])] = \
                record[metric]
        return table, row_values, column_values

    def best(self, metric="test_accuracy"):
        """The record with the highest ``metric`` (NaN cells, from diverged fits, never win)."""
        values = np.array([np.nan if r[metric] is None else r[metric] for r in self.records],
                          dtype=float)
        if np.isnan(values).all():
            raise ValueError(f"no cell has a finite {metric}")
        return self.records[int(np.nanargmax(values))]


def _run_cell(build_fn, params, data, epochs, batch_size, seed):
    x_train, y_train, x_test, y_test = data
    start = time.perf_counter()
    model = build_fn(**params)
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0, seed=seed)
    train = model.evaluate(x_train, y_train, batch_size=1024, return_dict=True)
    test = model.evaluate(x_test, y_test, batch_size=1024, return_dict=True)
    return {**params, "train_loss": train["loss"], "train_accuracy": train.get("accuracy"),
            "test_loss": test["loss"], "test_accuracy": test.get("accuracy"),
            "seconds": time.perf_counter() - start}


def _failed(params, exc):
    return {**params, "train_loss": math.nan, "train_accuracy": math.nan,
            "test_loss": math.nan, "test_accuracy": math.nan, "seconds": math.nan,
            "error": f"{type(exc).__name__}: {exc}"}


def _guarded_cell(build_fn, params, data, epochs, batch_size, seed):
    """A cell whose failure is reported in its record instead of ending the search."""
    try:
        return _run_cell(build_fn, params, data, epochs, batch_size, seed)
    except Exception as exc:
        return _failed(params, exc)


class _CellCache:
    """One JSON file per finished cell, named by a hash of its parameters and of the
    training settings, written atomically (a temporary file, then ``os.replace``)."""

    def __init__(self, directory, epochs, batch_size, seed):
        self.directory = os.fspath(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.settings = {"epochs": epochs, "batch_size": batch_size, "seed": seed}

    def _path(self, params):
        key = json.dumps({"params": _jsonable(params), **self.settings}, sort_keys=True)
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return os.path.join(self.directory, f"cell-{digest}.json")

    def load(self, params):
        try:
            with open(self._path(params)) as stream:
                record = json.load(stream)
        except (OSError, ValueError):
            return None
        return {**params, **{k: v for k, v in record.items() if k not in params}}

    def store(self, params, record):
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(handle, "w") as stream:
            json.dump(_jsonable(record), stream)
        os.replace(temporary, self._path(params))


def _jsonable(mapping):
    return {key: (value.item() if isinstance(value, np.generic) else value)
            for key, value in mapping.items()}


def _executor_cell(build_fn, params, data, epochs, batch_size, seed):
    """A cell on an executor's worker thread: one thread, since the executor's workers
    are the parallelism (as Dask's nanny assumes: it sets OMP_NUM_THREADS=1 and the like,
    which numba does not read)."""
    with single_thread():
        return _guarded_cell(build_fn, params, data, epochs, batch_size, seed)


def _run_cell_single_thread(build_fn, params, data, epochs, batch_size, seed):
    """A cell in a worker process: one thread (the cells are the parallelism)."""
    import numba
    from threadpoolctl import threadpool_limits

    from .. import _config

    numba.set_num_threads(1)
    _config.NN_THREADS = 1
    with threadpool_limits(1):
        return _guarded_cell(build_fn, params, data, epochs, batch_size, seed)


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
        The values of each parameter; cells are their Cartesian product, first parameter
        slowest.
    x_train, y_train, x_test, y_test : array_like
    epochs, batch_size : int
    n_jobs : int
        Worker processes (joblib's, each single-threaded), -1 for one per core; 1 runs the
        cells here, one after another.
    executor : concurrent.futures.Executor, optional
        Runs the cells instead of ``n_jobs`` processes, e.g. a Dask
        ``distributed.Client(...).get_executor()`` to spread them over a cluster.
    seed : int
        Every cell fits with this seed (same initial weights and shuffles for all cells).
    progress : bool
        Show a tqdm progress bar over the cells.
    cache_dir : str or path, optional
        Keep each finished cell's record there (one JSON file, written atomically) and
        skip the cells found there on a re-run with the same settings.

    Returns
    -------
    GridResult
        One record per cell, in grid order. A cell that failed (an exception in its fit,
        or its task lost) has NaN metrics and an ``"error"`` entry saying why; the other
        cells are not affected.
    """
    if not isinstance(param_grid, dict) or not param_grid:
        raise ValueError("param_grid must be a non-empty dict of parameter name to values")
    for name, values in param_grid.items():
        if isinstance(values, str) or len(values) == 0:
            raise ValueError(f"param_grid[{name!r}] must be a non-empty sequence of values")
    if not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive int or -1; got {n_jobs!r}")
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    names = list(param_grid)
    cells = [dict(zip(names, values, strict=True))
             for values in itertools.product(*param_grid.values())]
    data = tuple(np.asarray(a) for a in (x_train, y_train, x_test, y_test))
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

    if executor is None and n_jobs == 1:
        for i in todo:
            finish(i, _guarded_cell(build_fn, cells[i], data, epochs, batch_size, seed))
    elif executor is None:
        # joblib's loky workers need no __main__ guard in the user's script and are
        # reused between calls; large arrays reach them as memory maps
        from joblib import Parallel, delayed

        jobs = (delayed(_run_cell_single_thread)(build_fn, cells[i], data, epochs, batch_size,
                                                 seed) for i in todo)
        results = Parallel(n_jobs=min(n_jobs, max(1, len(todo))), return_as="generator")(jobs)
        for i, record in zip(todo, results, strict=True):
            finish(i, record)
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
    if bar is not None:
        bar.close()
    return GridResult(records, {name: list(values) for name, values in param_grid.items()})
