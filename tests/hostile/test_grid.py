"""Hostile inputs for sigconv.nn.grid_search: a worker process that dies (only its cell is
lost, recorded as an error), damaged cell files in cache_dir (any JSON, any bytes: the cell
is computed again), and bad arguments (a TypeError or ValueError naming the argument)."""

import json
import os
import signal

import harness
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigconv import nn
from sigconv.nn import grid as grid_module

SUPPRESS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


class FakeModel:
    """A model whose metrics are a function of its parameters: no training, so that the
    tests time the grid machinery, not the network."""

    def __init__(self, learning_rate, l2):
        self.score = float(learning_rate) + 10 * float(l2)

    def fit(self, x, y, epochs, batch_size, verbose, seed):
        self.score += 0.001 * epochs + 0.0001 * seed

    def evaluate(self, x, y, batch_size, return_dict):
        with np.errstate(over="ignore"):  # float64's largest values sum to inf
            total = float(np.asarray(x, dtype=float).sum())
        return {"loss": self.score + total, "accuracy": self.score / 10}


def fake_build(learning_rate, l2):
    return FakeModel(learning_rate, l2)


def dying_build(learning_rate, l2):
    """Kills its worker process for the cell (0.2, 0.01), as a segfault would."""
    if (learning_rate, l2) == (0.2, 0.01):
        os._exit(1)
    return FakeModel(learning_rate, l2)


def killed_build(learning_rate, l2):
    """The cell (0.1, 0.0) is killed by a signal (the kernel's OOM killer does this)."""
    if (learning_rate, l2) == (0.1, 0.0):
        os.kill(os.getpid(), signal.SIGKILL)
    return FakeModel(learning_rate, l2)


def raising_build(learning_rate, l2):
    if learning_rate == 0.2:
        raise FloatingPointError("diverged")
    return FakeModel(learning_rate, l2)


GRID = {"learning_rate": [0.1, 0.2, 0.3], "l2": [0.0, 0.01]}
X = np.arange(12.0).reshape(6, 2)
Y = np.eye(2)[[0, 1, 0, 1, 0, 1]]
DATA = (X, Y, X[:2], Y[:2])


def expected_record(learning_rate, l2, epochs=1, seed=0):
    score = learning_rate + 10 * l2 + 0.001 * epochs + 0.0001 * seed
    return {"learning_rate": learning_rate, "l2": l2, "train_loss": score + X.sum(),
            "train_accuracy": score / 10, "test_loss": score + X[:2].sum(),
            "test_accuracy": score / 10}


def without_seconds(records):
    return [{k: v for k, v in record.items() if k != "seconds"} for record in records]


def test_fake_grid_serial_matches_the_oracle():
    result = nn.grid_search(fake_build, GRID, *DATA)
    assert without_seconds(result.records) == [expected_record(a, b) for a in GRID[
        "learning_rate"] for b in GRID["l2"]]


# ------------------------------------------------------------------------ dead workers


@pytest.mark.full
@pytest.mark.parametrize("build, lost", [(dying_build, (0.2, 0.01)),
                                         (killed_build, (0.1, 0.0))])
def test_a_dead_worker_costs_only_its_cell(build, lost):
    """os._exit(1) or SIGKILL in one cell: the search ends, that cell (and no other) is an
    error record saying its worker died, every other cell equals the serial oracle."""
    result = nn.grid_search(build, GRID, *DATA, n_jobs=2)
    assert len(result) == 6
    for record in result.records:
        cell = (record["learning_rate"], record["l2"])
        if cell == lost:
            assert "worker process running this cell died, also when run alone" in \
                record["error"], record
            assert np.isnan(record["test_accuracy"])
        else:
            assert "error" not in record, record
            expected = expected_record(*cell)
            assert {k: record[k] for k in expected} == expected
    assert [(r["learning_rate"], r["l2"]) for r in result.records] == [
        (a, b) for a in GRID["learning_rate"] for b in GRID["l2"]]


def test_a_pool_that_cannot_start_fails_each_cell_once(monkeypatch):
    """A pool broken before any cell runs (workers that cannot start): every cell is an
    error record, each tried once, and the search ends."""
    from concurrent.futures.process import BrokenProcessPool

    from joblib.externals import loky

    calls = []

    class Broken:
        def submit(self, *args, **kwargs):
            calls.append(args[2])
            raise BrokenProcessPool("workers could not start")

    monkeypatch.setattr(loky, "get_reusable_executor", lambda max_workers: Broken())
    result = nn.grid_search(fake_build, GRID, *DATA, n_jobs=2)
    assert len(calls) == 6
    assert all(r["error"] == "BrokenProcessPool: workers could not start"
               for r in result.records)


@pytest.mark.full
def test_a_dead_worker_with_a_cache_keeps_the_other_cells(tmp_path):
    nn.grid_search(dying_build, GRID, *DATA, n_jobs=2, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("cell-*.json"))) == 5  # the lost cell is not kept
    again = nn.grid_search(fake_build, GRID, *DATA, cache_dir=tmp_path)
    assert without_seconds(again.records) == [expected_record(a, b)
                                              for a in GRID["learning_rate"]
                                              for b in GRID["l2"]]


def test_an_exception_in_a_worker_is_an_error_record():
    result = nn.grid_search(raising_build, GRID, *DATA, n_jobs=2)
    errors = [r.get("error") for r in result.records]
    assert errors == [None, None, "FloatingPointError: diverged",
                      "FloatingPointError: diverged", None, None]


def test_large_data_reaches_the_workers_as_memory_maps():
    x = np.random.default_rng(0).standard_normal((3000, 60))  # 1.4 MB: mapped
    y = np.eye(2)[np.arange(3000) % 2]
    parallel = nn.grid_search(fake_build, GRID, x, y, x[:5], y[:5], n_jobs=2)
    serial = nn.grid_search(fake_build, GRID, x, y, x[:5], y[:5])
    assert without_seconds(parallel.records) == without_seconds(serial.records)


# ------------------------------------------------------------------------- cell cache


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda children: st.lists(children, max_size=4)
                    | st.dictionaries(st.text(max_size=8), children, max_size=4),
                    max_leaves=12)
KEYS = ["learning_rate", "l2", "train_loss", "train_accuracy", "test_loss",
        "test_accuracy", "seconds", "error"]


@st.composite
def damaged_records(draw):
    """Any JSON, or a real record with keys dropped, changed to other JSON, or added."""
    if draw(st.booleans()):
        return draw(JSON)
    record = {**expected_record(0.1, 0.0), "seconds": 0.5}
    for key in draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3)):
        if draw(st.booleans()):
            record.pop(key, None)
        else:
            record[key] = draw(JSON)
    return record


def valid(record):
    """The oracle: a cached record is used only if it is the cell's finished record."""
    if not isinstance(record, dict) or "error" in record:
        return False
    if record.get("learning_rate") != 0.1 or record.get("l2") != 0.0:
        return False
    if type(record["learning_rate"]) is not float or type(record["l2"]) is not float:
        return False
    return all(key in record and (record[key] is None or (
        isinstance(record[key], (int, float)) and not isinstance(record[key], bool)))
        for key in KEYS[2:7])


@settings(max_examples=60, suppress_health_check=SUPPRESS)
@given(content=damaged_records())
def test_a_damaged_cell_file_is_recomputed(content, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cells")
    grid = {"learning_rate": [0.1], "l2": [0.0]}
    nn.grid_search(fake_build, grid, *DATA, cache_dir=folder)
    (path,) = folder.glob("cell-*.json")
    path.write_text(json.dumps(content))
    result = nn.grid_search(fake_build, grid, *DATA, cache_dir=folder)
    (record,) = result.records
    if valid(content):  # compared as JSON: NaN equals NaN there
        expected = {**{k: content[k] for k in KEYS[2:7]}, "learning_rate": 0.1, "l2": 0.0}
        assert json.dumps(record, sort_keys=True) == json.dumps(expected, sort_keys=True)
    else:
        assert without_seconds([record]) == [expected_record(0.1, 0.0)]
        assert json.loads(path.read_text())["test_loss"] == record["test_loss"]  # rewritten


@settings(max_examples=30, suppress_health_check=SUPPRESS)
@given(content=st.binary(max_size=200))
def test_random_bytes_as_a_cell_file(content, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cells")
    grid = {"learning_rate": [0.1], "l2": [0.0]}
    nn.grid_search(fake_build, grid, *DATA, cache_dir=folder)
    (path,) = folder.glob("cell-*.json")
    path.write_bytes(content)
    (record,) = nn.grid_search(fake_build, grid, *DATA, cache_dir=folder).records
    try:
        kept = json.loads(content)
    except ValueError:
        kept = None
    if not valid(kept):
        assert without_seconds([record]) == [expected_record(0.1, 0.0)]


@pytest.mark.parametrize("content", ["[" * 100_000 + "]" * 100_000,
                                     '{"a": "' + "x" * (2 << 20) + '"}'])
def test_deep_or_huge_cell_files(content, tmp_path):
    grid = {"learning_rate": [0.1], "l2": [0.0]}
    nn.grid_search(fake_build, grid, *DATA, cache_dir=tmp_path)
    (path,) = tmp_path.glob("cell-*.json")
    path.write_text(content)
    (record,) = nn.grid_search(fake_build, grid, *DATA, cache_dir=tmp_path).records
    assert without_seconds([record]) == [expected_record(0.1, 0.0)]


def test_cell_file_that_is_a_named_pipe(tmp_path):
    """Opening a FIFO for reading would wait for a writer forever: it is not a cell file,
    the cell is computed and the pipe replaced by the record."""
    grid = {"learning_rate": [0.1], "l2": [0.0]}
    nn.grid_search(fake_build, grid, *DATA, cache_dir=tmp_path)
    (path,) = tmp_path.glob("cell-*.json")
    path.unlink()
    os.mkfifo(path)
    (record,) = nn.grid_search(fake_build, grid, *DATA, cache_dir=tmp_path).records
    assert without_seconds([record]) == [expected_record(0.1, 0.0)]
    assert json.loads(path.read_text())["l2"] == 0.0


def test_cell_file_that_is_a_folder(tmp_path):
    grid = {"learning_rate": [0.1], "l2": [0.0]}
    nn.grid_search(fake_build, grid, *DATA, cache_dir=tmp_path)
    (path,) = tmp_path.glob("cell-*.json")
    path.unlink()
    path.mkdir()
    with pytest.raises(OSError):  # the record cannot be written over a folder
        nn.grid_search(fake_build, grid, *DATA, cache_dir=tmp_path)
    assert not list(tmp_path.glob("*.tmp"))  # no temporary file left behind


@pytest.mark.parametrize("cache_dir, kind", [(3, TypeError), (b"bytes", TypeError),
                                             ("file", ValueError)])
def test_bad_cache_dir(cache_dir, kind, tmp_path):
    if cache_dir == "file":
        cache_dir = tmp_path / "file"
        cache_dir.write_text("x")
    with pytest.raises(kind) as info:
        nn.grid_search(fake_build, GRID, *DATA, cache_dir=cache_dir)
    harness.check_error(info.value, "cache_dir")


def test_values_that_json_cannot_store_are_refused_with_a_cache(tmp_path):
    with pytest.raises(TypeError) as info:
        nn.grid_search(fake_build, {"learning_rate": [object()], "l2": [0.0]}, *DATA,
                       cache_dir=tmp_path)
    harness.check_error(info.value, "param_grid['learning_rate']")


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("param_grid, kind, name", [
    ([("learning_rate", [0.1])], TypeError, "param_grid"),
    (None, TypeError, "param_grid"),
    ({}, ValueError, "param_grid"),
    ({"learning_rate": []}, ValueError, "param_grid['learning_rate']"),
    ({"learning_rate": "0.1"}, ValueError, "param_grid['learning_rate']"),
    ({"learning_rate": 0.1}, ValueError, "param_grid['learning_rate']"),
    ({"learning_rate": {"a": 1}}, ValueError, "param_grid['learning_rate']"),
    ({"learning_rate": [0.1, 0.1]}, ValueError, "repeats"),
    ({"learning_rate": [1, 1.0]}, ValueError, "repeats"),
    ({3: [0.1]}, TypeError, "param_grid keys"),
    ({"not a name": [0.1]}, TypeError, "param_grid keys"),
    ({"a": range(1001), "b": range(1001)}, ValueError, "param_grid has 1002001 cells"),
])
def test_bad_param_grids(param_grid, kind, name):
    with pytest.raises(kind) as info:
        nn.grid_search(fake_build, param_grid, *DATA)
    harness.check_error(info.value, name)


@pytest.mark.parametrize("argument", ["epochs", "batch_size", "n_jobs", "seed"])
@pytest.mark.parametrize("value", harness.BAD_COUNTS)
def test_bad_counts(argument, value):
    valid = {("n_jobs", -1), ("seed", 0), ("n_jobs", 2**70), ("seed", 2**70)}
    if isinstance(value, int) and not isinstance(value, bool) and (argument, value) in valid:
        return  # one process per core; seeds; no more processes than cells are started
    with pytest.raises((TypeError, ValueError)) as info:
        nn.grid_search(fake_build, GRID, *DATA, **{argument: value})
    harness.check_error(info.value, argument)


@pytest.mark.parametrize("kwargs, name", [
    ({"build_fn": "lecture_digits_cnn"}, "build_fn"),
    ({"progress": "yes"}, "progress"),
    ({"executor": "dask"}, "executor"),
    ({"n_jobs": -2}, "n_jobs"),
])
def test_bad_other_arguments(kwargs, name):
    arguments = {"build_fn": fake_build, "param_grid": GRID, **kwargs}
    with pytest.raises((TypeError, ValueError)) as info:
        nn.grid_search(arguments.pop("build_fn"), arguments.pop("param_grid"), *DATA,
                       **arguments)
    harness.check_error(info.value, name)


BAD_DATA = [
    ("x_train", np.full((6, 2), np.nan), ValueError),
    ("x_train", np.full((6, 2), np.inf), ValueError),
    ("x_train", X[:5], ValueError),
    ("y_train", Y[:4], ValueError),
    ("x_test", np.zeros((2, 3)), ValueError),
    ("y_test", np.zeros((0, 2)), ValueError),
    ("x_train", np.zeros((6, 2), complex), TypeError),
    ("x_train", np.zeros((6, 2), object), TypeError),
    ("x_train", np.array(["a"] * 6), TypeError),
    ("x_test", 3.0, ValueError),
    ("y_test", [[1, 0], [0]], TypeError),
    ("x_train", np.ones((6, 2), np.longdouble), TypeError),
]


@pytest.mark.parametrize("name, value, kind", BAD_DATA)
def test_bad_data(name, value, kind):
    data = dict(zip(["x_train", "y_train", "x_test", "y_test"], DATA, strict=True))
    data[name] = value
    with pytest.raises(kind) as info:
        nn.grid_search(fake_build, GRID, **data)
    harness.check_error(info.value, name)


@settings(max_examples=40, deadline=None)
@given(x=harness.numeric_arrays(min_dims=1, max_dims=3, min_side=1))
def test_any_numeric_x_train(x):
    """Accepted (the fake model's loss is the oracle) or refused naming x_train/y_train."""
    y = np.zeros((len(x), 2))
    x_test = np.zeros((1, *x.shape[1:]), x.dtype)
    result = harness.outcome(("x_train", "y_train", "x_test"), nn.grid_search, fake_build,
                             {"learning_rate": [0.1], "l2": [0.0]}, x, y, x_test, y[:1])
    if result is not None:
        assert x.dtype.kind not in "cf" or np.isfinite(x).all()
        with np.errstate(over="ignore"):
            expected = 0.1 + 0.001 + float(np.asarray(x, dtype=float).sum())
        np.testing.assert_allclose(result.records[0]["train_loss"], expected)


@pytest.mark.parametrize("kwargs, kind, name", [
    ({"l2": None}, TypeError, "l2"), ({"l2": -1e-3}, ValueError, "l2"),
    ({"l2": np.nan}, ValueError, "l2"), ({"l2": "0"}, TypeError, "l2"),
    ({"learning_rate": 0.0}, ValueError, "learning_rate"),
    ({"input_shape": (8, 8)}, TypeError, "input_shape"),
    ({"input_shape": "881"}, TypeError, "input_shape"),
    ({"input_shape": (8.0, 8, 1)}, TypeError, "input_shape"),
    ({"input_shape": (8, 0, 1)}, ValueError, "input_shape"),
    ({"kernel_size": 8}, ValueError, "kernel_size"), ({"kernel_size": True}, TypeError,
                                                       "kernel_size"),
    ({"filters": 0}, ValueError, "filters"), ({"dense_units": 2.5}, TypeError, "dense_units"),
    ({"n_classes": 1}, ValueError, "n_classes"),
    ({"input_shape": (10**6, 10**6, 1)}, MemoryError, "input_shape"),
])
def test_lecture_digits_cnn_bad_arguments(kwargs, kind, name):
    with pytest.raises(kind) as info:
        nn.lecture_digits_cnn(**kwargs)
    harness.check_error(info.value, name)


def test_lecture_digits_cnn_sizes():
    model = nn.lecture_digits_cnn(input_shape=[12, 10, 3], filters=4, kernel_size=5,
                                  dense_units=7, n_classes=3, l2=np.float32(0.5))
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(5, 5, 3, 4), (4,), (4 * 3 * 4, 7), (7,), (7, 3), (3,)]


# ---------------------------------------------------------------------------- result


def test_result_pivot_and_best_bad_arguments():
    result = nn.grid_search(fake_build, GRID, *DATA)
    for kwargs, name in [({"metric": "accuracy"}, "metric"), ({"rows": "eta"}, "rows"),
                         ({"columns": 3}, "columns"),
                         ({"rows": "l2", "columns": "l2"}, "rows and columns")]:
        with pytest.raises(ValueError) as info:
            result.pivot(**kwargs)
        harness.check_error(info.value, name)
    with pytest.raises(ValueError, match="metric"):
        result.best("nope")
    single = nn.GridResult([{"learning_rate": 0.1, "score": 1.0}], {"learning_rate": [0.1]})
    with pytest.raises(ValueError, match="columns: the grid has the single parameter"):
        single.pivot("score")


def test_best_ignores_infinite_and_missing_metrics():
    records = [{"a": 1, "score": np.inf}, {"a": 2, "score": None}, {"a": 3, "score": 0.5},
               {"a": 4, "score": np.nan}]
    assert nn.GridResult(records, {"a": [1, 2, 3, 4]}).best("score") is records[2]
    with pytest.raises(ValueError, match="finite score"):
        nn.GridResult(records[:2], {"a": [1, 2]}).best("score")


def test_grid_module_exports():
    assert grid_module.MAX_CELLS == 1_000_000


# ---------------------------------------------------------------------------- GridResult


@pytest.mark.parametrize("records, param_grid, error, fragment", [
    (5, {"a": [1]}, TypeError, "records must be a list of dicts"),
    ("ab", {"a": [1]}, TypeError, "records must be a list of dicts"),
    ({"a": 1}, {"a": [1]}, TypeError, "records must be a list of dicts"),
    (None, {"a": [1]}, TypeError, "records must be a list of dicts"),
    ([], 5, TypeError, "param_grid must be a dict"),
    ([], {}, ValueError, "param_grid must be a non-empty dict"),
    ([], {"a": 1}, ValueError, "param_grid['a'] must be a non-empty sequence"),
    ([], {"a": [1, 1]}, ValueError, "param_grid['a'] repeats"),
    ([5], {"a": [1]}, TypeError, "records[0] must be a dict"),
    ([{"a": 1, "s": 0.5}, {"s": 0.5}], {"a": [1]}, ValueError,
     "records[1] lacks the parameter 'a'"),
    ([{"a": 2, "s": 0.5}], {"a": [1]}, ValueError, "records[0]['a'] is 2, which param_grid"),
    ([{"a": 1, "s": "0.5"}], {"a": [1]}, TypeError, "records[0]['s'] must be a real number"),
    ([{"a": 1, "s": True}], {"a": [1]}, TypeError, "records[0]['s'] must be a real number"),
    ([{"a": 1, "s": [0.5]}], {"a": [1]}, TypeError, "records[0]['s'] must be a real number"),
    ([{"a": 1, "s": 0.5, "error": 3}], {"a": [1]}, TypeError, "records[0]['error']"),
])
def test_grid_result_arguments_are_checked(records, param_grid, error, fragment):
    """The constructor names the argument instead of failing later in pivot or best."""
    with pytest.raises(error) as info:
        nn.GridResult(records, param_grid)
    assert fragment in str(info.value)


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.one_of(st.integers(-3, 3), st.floats(allow_nan=False),
                                 st.text(max_size=2), st.tuples(st.integers(0, 2))),
                       min_size=1, max_size=5, unique_by=repr),
       scores=st.lists(st.one_of(st.none(), st.floats()), min_size=5, max_size=5),
       data=st.data())
def test_grid_result_pivot_and_best_against_a_naive_oracle(values, scores, data):
    """Any values of a parameter, any scores (None, NaN, inf): pivot puts each record in
    its cell (NaN elsewhere), best is the first highest finite score."""
    values = [v for i, v in enumerate(values) if not any(v == w for w in values[:i])]
    other = ["x", "y"]
    cells = data.draw(st.lists(st.tuples(st.sampled_from(range(len(values))),
                                         st.sampled_from(range(2))),
                               max_size=5, unique=True))
    records = [{"a": values[i], "b": other[j], "score": scores[k]}
               for k, (i, j) in enumerate(cells)]
    result = nn.GridResult(records, {"a": values, "b": other})
    expected = np.full((len(values), 2), np.nan)
    for k, (i, j) in enumerate(cells):
        expected[i, j] = np.nan if scores[k] is None else scores[k]
    if not records:
        with pytest.raises(ValueError, match="metric"):
            result.pivot("score")
        return
    table, rows, columns = result.pivot("score")
    assert rows == values and columns == other
    np.testing.assert_array_equal(table, expected)
    finite = [k for k in range(len(records)) if records[k]["score"] is not None
              and np.isfinite(records[k]["score"])]
    if not finite:
        with pytest.raises(ValueError, match="finite score"):
            result.best("score")
    else:
        top = max(records[k]["score"] for k in finite)
        assert result.best("score") is records[next(k for k in finite
                                                    if records[k]["score"] == top)]


def test_grid_search_checks_its_data_for_nan_without_a_mask():
    """A broadcast view of 1.5e9 values costs nothing; the NaN check used to build a mask
    of 1.4 GiB (refused under a 1 GiB cap): now reductions, so the search runs (its one
    cell fails, build_fn returning no model)."""
    report = harness.assert_isolated_finishes(
        "import numpy as np\nfrom sigconv import nn\n"
        "x = np.broadcast_to(np.float32(1), (15000, 10**5)); y = np.zeros(15000)\n"
        "result = nn.grid_search(lambda a: None, {'a': [1]}, x, y, x[:2], y[:2])"
        ".records[0]['error']\n", memory_gib=1.0, timeout=60)
    assert "build_fn must return a compiled model" in report["value"]
    x = np.zeros((3, 2))
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match="x_test holds NaN or infinite values"):
        nn.grid_search(fake_build, GRID, *DATA[:2], x, np.zeros(3))


def test_grid_result_finds_a_nan_parameter_as_list_index_does():
    """A NaN the grid lists (the same object) is found; another NaN is not listed."""
    nan = float("nan")
    result = nn.GridResult([{"a": nan, "b": 1, "s": 0.5}, {"a": 2.0, "b": 1, "s": 0.25}],
                           {"a": [nan, 2.0], "b": [1]})
    table, rows, _ = result.pivot("s")
    assert rows[0] is nan
    np.testing.assert_array_equal(table, [[0.5], [0.25]])
    with pytest.raises(ValueError, match=r"records\[0\]\['a'\] is nan"):
        nn.GridResult([{"a": float("nan"), "s": 1.0}], {"a": [nan]})


def test_a_million_values_are_checked_for_repeats_in_linear_time():
    """Pairwise, 10**6 values took hours (a hang); range(10**12) is never listed whole."""
    report = harness.assert_isolated_finishes(
        "from sigconv import nn\n"
        "result = len(nn.GridResult([], {'a': range(10**6)}).param_grid['a'])\n",
        timeout=60)
    assert report["value"] == "1000000"
    with pytest.raises(ValueError, match=r"param_grid\['a'\] has more than the 1000000"):
        nn.GridResult([], {"a": range(10**12)})
    with pytest.raises(ValueError, match=r"param_grid\['a'\] repeats the value 3"):
        nn.GridResult([], {"a": [*range(10**5), 3]})
    with pytest.raises(ValueError, match=r"repeats the value \[1\]"):
        nn.GridResult([], {"a": [[1], 2, [1]]})


def test_a_metric_beyond_float64_and_a_build_fn_returning_no_model():
    with pytest.raises(ValueError, match=r"records\[0\]\['s'\] is too large for a float64"):
        nn.GridResult([{"a": 1, "s": 10**400}], {"a": [1]})
    result = nn.grid_search(lambda a: None, {"a": [1]}, np.zeros((2, 2)), np.zeros(2),
                            np.zeros((2, 2)), np.zeros(2))
    assert result.records[0]["error"] == ("TypeError: build_fn must return a compiled model "
                                          "(with fit and evaluate), returned NoneType")
