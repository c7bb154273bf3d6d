"""The cost model of ``method="auto"``: its thread inputs, and the calibration that
``sigconv calibrate`` stores (sigconv._calibrate). No timing asserts: the fitted values
are checked for their form, and the fit on synthetic times for exactness."""

import json
import math

import numba
import numpy as np
import pytest

import sigconv as sc
from sigconv import _calibrate, _config, conv
from sigconv._jit import single_thread


@pytest.fixture(autouse=True)
def cache_folder(tmp_path, monkeypatch):
    """Every test with its own empty cache folder, no SIGCONV_CALIBRATION, and the
    constants read afresh (and again after the test)."""
    monkeypatch.setattr(_calibrate, "cache_dir", lambda: str(tmp_path / "cache"))
    monkeypatch.delenv(_calibrate.ENV_VARIABLE, raising=False)
    _calibrate.reset()
    yield tmp_path / "cache"
    _calibrate.reset()


def problem(shape1, shape2, dtype="float64"):
    return _calibrate.make_problem(shape1, shape2, dtype, np.random.default_rng(0))


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))


def fft_everywhere():
    """Constants under which the FFT always wins (a direct sum costs a second)."""
    constants = {m: list(c) for m, c in _calibrate.shipped().items()}
    constants["direct"][0] = 1.0
    return constants


# --- the model's inputs -----------------------------------------------------------------
@pytest.mark.parametrize("shapes", [((100_000,), (301,)), ((1_000_000,), (31,)),
                                    ((512, 512), (11, 11)), ((1024, 1024), (3, 3))])
@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
def test_more_threads_lower_the_direct_estimate(shapes, dtype):
    p = problem(*shapes, dtype)
    direct = [conv._estimated_times(p, threads, 1)["direct"] for threads in (1, 2, 4, 8, 16)]
    assert all(a > b for a, b in zip(direct, direct[1:], strict=False)), direct


def test_threads_beyond_the_tasks_change_nothing():
    # a 300 x 300 sum of 1000 outputs is cut into few blocks: more threads than blocks idle
    p = problem((300,), (300,))
    tasks_bound = conv._estimated_times(p, 64, 1)["direct"]
    assert conv._estimated_times(p, 1024, 1)["direct"] == tasks_bound
    assert conv._estimated_times(p, 1, 1)["direct"] > tasks_bound


def test_serial_problems_ignore_threads():
    p = problem((1000,), (5,))   # below PARALLEL_MIN_MACS: the serial kernel
    assert conv._estimated_times(p, 1, 1) == conv._estimated_times(p, 16, 16)


@pytest.mark.parametrize("shapes", [((512, 512), (31, 31)), ((1_000_000,), (3_001,))])
def test_more_workers_never_raise_the_transform_estimates(shapes):
    p = problem(*shapes)
    for method in ("fft", "oa"):
        times = [conv._estimated_times(p, 1, workers)[method] for workers in (1, 2, 4, 16)]
        if math.isinf(times[0]):
            continue   # oa does not apply to 2-D
        assert all(a >= b for a, b in zip(times, times[1:], strict=False)), (method, times)
        assert times[0] > times[-1]


def test_single_precision_and_complex_have_terms_of_their_own():
    double, single = problem((100_000,), (301,)), problem((100_000,), (301,), "float32")
    features64 = conv._feature_values(conv._direct_features(double, 1), 1.0)
    features32 = conv._feature_values(conv._direct_features(single, 1), 1.0)
    assert features64[1] == pytest.approx(double.direct_macs()) and features64[2] == 0
    assert features32[2] == pytest.approx(single.direct_macs()) and features32[1] == 0
    complex_ = conv._feature_values(
        conv._direct_features(problem((100_000,), (301,), "complex128"), 1), 1.0)
    assert complex_[1] == 4 * features64[1]
    image = conv._feature_values(conv._direct_features(problem((256, 256), (5, 5)), 1), 1.0)
    assert image[1] == image[2] == 0 and image[3] > 0


@pytest.mark.parametrize(("shapes", "column"), [
    (((10_000,), (301,)), 1),             # small: in cache
    (((128, 128), (15, 15)), 1),
    (((2048, 2048), (31, 31)), 3),        # beyond COST_FFT_LARGE points
    (((100_000,), (301,)), 3),
])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_large_transforms_have_terms_of_their_own(shapes, column, dtype):
    p = problem(*shapes, dtype)
    values = conv._feature_values(conv._cost_features(p, 1, 1)["fft"], 1.0)
    column += dtype == "float32"
    assert [i for i, v in enumerate(values) if v] == [0, column]


def test_model_threads_follow_numba_and_single_thread():
    with _calibrate.thread_setting(1):
        assert conv._model_threads() == (1, 1)
    full = numba.config.NUMBA_NUM_THREADS
    with _calibrate.thread_setting(full):
        assert conv._model_threads() == (full, full)
        with single_thread():
            assert conv._model_threads() == (1, 1)


def test_choices_are_kept_per_thread_setting():
    p = problem((100_000,), (64,))
    full = numba.config.NUMBA_NUM_THREADS
    key = (p.in1.shape, p.in2.shape, p.axes, p.out_shape, p.start)
    with _calibrate.thread_setting(1):
        one = conv._choose(p)
        assert conv._choices() is conv._CHOICES[(1, 1)] and conv._choices()[key] == one
    with _calibrate.thread_setting(full):
        conv._choose(p)
        assert conv._choices() is conv._CHOICES[(full, full)]
    assert conv._CHOICES[(1, 1)][key] == one
    _calibrate.reset()   # new constants: every choice is made again
    assert conv._choices() == {} and list(conv._CHOICES) == [conv._model_threads()]


# --- stored constants -------------------------------------------------------------------
def test_store_and_load_round_trip(cache_folder):
    constants = {m: [c * 2 for c in v[:-1]] + [0.5] for m, v in _calibrate.shipped().items()}
    path = _calibrate.store(constants, threads=[1, 2])
    assert path == str(cache_folder / _calibrate.FILE_NAME)
    loaded, source = _calibrate.load()
    assert loaded == {m: tuple(v) for m, v in constants.items()}
    assert source.startswith(f"calibrated {path} 20")
    stored = json.loads((cache_folder / _calibrate.FILE_NAME).read_text())
    assert stored["model_version"] == _calibrate.MODEL_VERSION
    assert stored["threads"] == [1, 2]


def test_no_calibration_means_shipped_defaults():
    constants, source = _calibrate.load()
    assert source == "shipped defaults"
    assert constants["direct"] == tuple(_config.COST_DIRECT)
    assert constants["fft"] == tuple(_config.COST_FFT)
    assert constants["oa"] == tuple(_config.COST_OA)
    assert "none stored" in _calibrate.describe()


def test_stale_version_is_ignored_quietly(cache_folder):
    # pytest turns warnings into errors: no warning for an old model's file
    write(cache_folder / _calibrate.FILE_NAME,
          {"model_version": _calibrate.MODEL_VERSION - 1, "date": "2026-01-01",
           "constants": {"direct": [1.0, 2.0, 3.0, 4.0], "fft": [1.0, 2.0],
                         "oa": [1.0, 2.0, 3.0, 4.0]}})
    constants, source = _calibrate.load()
    assert source == "shipped defaults" and constants == _calibrate.shipped()
    assert "stale" in _calibrate.describe()


@pytest.mark.parametrize("content", [
    "{not json",
    "[1, 2]",
    {"model_version": _calibrate.MODEL_VERSION, "constants": {"direct": [1.0]}},
    {"model_version": _calibrate.MODEL_VERSION,
     "constants": {"direct": [-1.0] * len(_config.COST_DIRECT),
                   "fft": [1.0] * len(_config.COST_FFT), "oa": [1.0] * len(_config.COST_OA)}},
    {"model_version": _calibrate.MODEL_VERSION,
     "constants": {"direct": [float("nan")] * len(_config.COST_DIRECT),
                   "fft": [1.0] * len(_config.COST_FFT), "oa": [1.0] * len(_config.COST_OA)}},
])
def test_damaged_file_is_ignored_with_a_warning(cache_folder, content):
    write(cache_folder / _calibrate.FILE_NAME, content)
    with pytest.warns(RuntimeWarning, match="ignoring the calibration"):
        constants, source = _calibrate.load()
    assert source == "shipped defaults" and constants == _calibrate.shipped()
    with pytest.warns(RuntimeWarning, match="ignoring the calibration"):
        assert sc.choose_conv_method(np.ones(1000), np.ones(5)) == "direct"
    assert "damaged" in _calibrate.describe()


def test_environment_variable_ignores_the_calibration(monkeypatch):
    _calibrate.store(fft_everywhere())
    monkeypatch.setenv(_calibrate.ENV_VARIABLE, "0")
    _calibrate.reset()
    assert _calibrate.load()[1] == "shipped defaults"
    assert conv.cost_model_source() == "shipped defaults"
    assert sc.choose_conv_method(np.ones(1000), np.ones(5)) == "direct"
    assert f"{_calibrate.ENV_VARIABLE}=0" in _calibrate.describe()


def test_auto_uses_the_stored_constants_and_says_so():
    assert sc.choose_conv_method(np.ones(1000), np.ones(5)) == "direct"
    assert conv.cost_model_source() == "shipped defaults"
    path = _calibrate.store(fft_everywhere())
    # read once per process: the new file counts from the next reset (calibrate resets)
    assert conv.cost_model_source() == "shipped defaults"
    _calibrate.reset()
    assert conv.cost_model_source().startswith(f"calibrated {path} ")
    assert sc.choose_conv_method(np.ones(1000), np.ones(5)) == "fft"
    assert conv._choose(conv._Problem(np.ones(1000), np.ones(5), "full", None)) == "fft"
    assert _calibrate.describe().startswith(
        f"cost model v{_calibrate.MODEL_VERSION}: calibrated {path} ")
    # integers stay exact whatever the constants
    assert sc.choose_conv_method(np.ones(1000, int), np.ones(5, int)) == "direct"


def test_choose_conv_method_still_returns_scipys_values():
    method, times = sc.choose_conv_method(np.ones(2000), np.ones(50), measure=True)
    assert method in ("direct", "fft", "oa") and set(times) == {"direct", "fft", "oa"}
    assert method == min(times, key=times.get)
    assert isinstance(sc.choose_conv_method(np.ones(2000), np.ones(50)), str)


def test_store_refuses_constants_of_the_wrong_length(cache_folder):
    constants = dict(_calibrate.shipped(), fft=(1.0, 2.0))
    with pytest.raises(ValueError, match="constants"):
        _calibrate.store(constants)
    assert not (cache_folder / _calibrate.FILE_NAME).exists()


# --- the fit ------------------------------------------------------------------------------
def test_fit_recovers_the_constants_of_synthetic_times():
    truth = {"direct": (2e-5, 1e-10, 5e-11, 3e-10, 1e-10, 2e-10, 1e-7, 0.6),
             "fft": (1e-4, 9e-10, 1e-9, 5e-10, 4e-10, 0.75),
             "oa": (2e-4, 8e-10, 5e-10, 3e-9, 2e-7, 0.9)}
    rows = []
    for shape1, shape2, dtype in _calibrate._PROBLEMS:
        p = problem(shape1, shape2, dtype)
        for threads in (1, 4):
            features = conv._cost_features(p, threads, threads)
            times = {m: conv._modelled(m, f, truth) for m, f in features.items()
                     if f is not None}
            rows.append((features, times))
    fitted = _calibrate.fit(rows)
    for method, expected in truth.items():
        assert fitted[method][-1] == expected[-1]
        # a column no problem exercises keeps the fallback; here every one is exercised
        np.testing.assert_allclose(fitted[method], expected, rtol=1e-6, atol=1e-15)


def test_fit_keeps_the_fallback_for_what_no_row_measures():
    p = problem((100_000,), (301,))
    features = conv._cost_features(p, 1, 1)
    times = {m: conv._modelled(m, f, _calibrate.shipped()) * 2 for m, f in features.items()
             if f is not None}
    fitted = _calibrate.fit([(features, times)])
    shipped = _calibrate.shipped()
    # float64 1-D only: the single-precision and N-D terms, and the efficiency (one
    # thread count), stay as shipped
    assert fitted["direct"][2:5] == shipped["direct"][2:5]
    assert fitted["direct"][-1] == shipped["direct"][-1]
    # a large double-precision transform: the small and single-precision terms stay
    assert fitted["fft"][1:3] == shipped["fft"][1:3]
    assert fitted["fft"][4] == shipped["fft"][4]


# --- calibrate ----------------------------------------------------------------------------
def test_calibrate_on_a_tiny_problem_set_stores_positive_constants(cache_folder):
    calls = []
    result = _calibrate.calibrate(threads=1, quick=True, budget=0.0,
                                  progress=lambda *a: calls.append(a))
    assert [c[:2] for c in calls] == [(i, len(_calibrate._QUICK_PROBLEMS))
                                      for i in range(1, len(_calibrate._QUICK_PROBLEMS) + 1)]
    constants = result["constants"]
    assert set(constants) == {"direct", "fft", "oa"}
    for method, values in constants.items():
        assert len(values) == len(_calibrate.shipped()[method])
        assert all(math.isfinite(v) and v >= 0 for v in values)
        assert 0 <= values[-1] <= 1
        assert sum(values[:-1]) > 0   # a method's time is never modelled as free
    # 20,000 x 2,000 taps: the direct time is multiply-adds, far beyond the per-call term
    assert constants["direct"][1] > 0
    assert result["path"] == str(cache_folder / _calibrate.FILE_NAME)
    assert result["threads"] == [1] and len(result["table"]) == len(_calibrate._QUICK_PROBLEMS)
    assert all(row["ratio"] >= 1 for row in result["table"])
    loaded, source = _calibrate.load()
    assert loaded == {m: tuple(v) for m, v in constants.items()}
    assert conv.cost_model_source() == source and source.startswith("calibrated ")


def test_calibrate_with_explicit_problems_without_saving(cache_folder):
    result = _calibrate.calibrate(threads=[1], problems=[((3000,), (30,), "float64")],
                                  save=False, budget=0.0)
    assert result["path"] is None and not (cache_folder / _calibrate.FILE_NAME).exists()
    assert set(result["table"][0]["times"]) == {"direct", "fft", "oa"}


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"threads": 0}, ValueError, "threads"),
    ({"threads": 10_000}, ValueError, "threads"),
    ({"threads": [1, 2.5]}, ValueError, "threads"),
    ({"threads": True}, ValueError, "threads"),
    ({"progress": 5}, TypeError, "progress"),
    ({"problems": []}, ValueError, "problems"),
    ({"problems": [((10,), (3,))]}, ValueError, "problems"),
    ({"budget": -1}, ValueError, "budget"),
    ({"budget": "1"}, ValueError, "budget"),
])
def test_calibrate_validates_its_arguments(kwargs, error, match, cache_folder):
    with pytest.raises(error, match=match):
        _calibrate.calibrate(**kwargs)
    assert not (cache_folder / _calibrate.FILE_NAME).exists()
