"""The ``sigconv`` command: every subcommand runs in-process through ``main([...])``, writes
its figure, prints its numbers, and refuses bad arguments with one error line.

No test touches the network: the data set tests pass ``--no-download``, point
``$SIGCONV_DATA`` and the cache directory (``$XDG_CACHE_HOME``) at empty folders, and make
``pooch.retrieve`` fail as it does offline.
"""

import gzip
import io
import json
import os
import pickle
import re
import subprocess
import sys
import tarfile
import types

import numba
import numpy as np
import pooch
import pytest
import scipy

import sigconv as sc
from sigconv import cli, nn

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MNIST_NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
SUBCOMMANDS = ["demo", "train", "grid", "fourier", "bench", "info", "calibrate"]


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """Empty data and cache directories, and downloads that fail as they do offline."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("SIGCONV_DATA", str(empty))
    monkeypatch.setenv("XDG_CACHE_HOME", str(empty))

    def no_network(url, **kwargs):
        raise OSError(f"no network in the tests ({url})")

    monkeypatch.setattr(pooch, "retrieve", no_network)
    return empty


def assert_png(path, min_bytes=5_000):
    content = path.read_bytes()
    assert content.startswith(PNG_SIGNATURE), path
    assert len(content) > min_bytes, (path, len(content))


def number_after(label, text):
    """The number printed right after ``label`` (e.g. ``"test accuracy: "``)."""
    match = re.search(re.escape(label) + r"\s*(-?[0-9.]+(?:e[-+]?\d+)?)", text)
    assert match, f"{label!r} not in:\n{text}"
    return float(match.group(1))


def assert_one_error_line(err, *fragments):
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sigconv: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, err)


# ---------------------------------------------------------------------- synthetic data


def idx_gz(path, array, magic):
    """Write ``array`` as a gzip-compressed idx file (big-endian magic and sizes)."""
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    with gzip.open(path, "wb") as file:
        file.write(header + array.astype(np.uint8).tobytes())


def write_mnist(directory, n_train=40, n_test=20):
    """Tiny MNIST in the real file format: digit k is a bright square at row 2k."""
    rng = np.random.default_rng(0)
    arrays = []
    for n in (n_train, n_test):
        labels = np.arange(n) % 10
        images = rng.integers(0, 40, size=(n, 28, 28))
        for image, label in zip(images, labels, strict=True):
            image[2 * label:2 * label + 6, 8:20] = 250
        arrays += [images, labels]
    for name, array in zip(MNIST_NAMES, arrays, strict=True):
        idx_gz(directory / name, array, 0x00000803 if array.ndim == 3 else 0x00000801)
    return arrays


def write_cifar10(directory, per_batch=4):
    """Tiny ``cifar-10-python.tar.gz``: five training batches and a test batch."""
    rng = np.random.default_rng(1)
    with tarfile.open(directory / "cifar-10-python.tar.gz", "w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            batch = {b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                     b"labels": [int(k) for k in rng.integers(0, 10, per_batch)]}
            content = pickle.dumps(batch, protocol=2)
            member = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            member.size = len(content)
            tar.addfile(member, io.BytesIO(content))


# ------------------------------------------------------------------------------- demo


def test_demo_math_training_and_figures(tmp_path, capsys):
    out = tmp_path / "demo.png"
    assert cli.main(["demo", "--out", str(out)]) == 0  # default: 30 epochs
    text = capsys.readouterr().out
    delta = np.convolve(cli._ALPHA, cli._BETA).tolist()
    assert "(2 - t + 3t^2) (1 + 4t - 2t^3) = 2 + 7t - t^2 + 8t^3 + 2t^4 - 6t^5" in text
    assert f"= {delta}" in text
    assert f"A = {sc.convolution_matrix(np.array(cli._ALPHA), 4).tolist()}" in text
    assert f"A @ beta = {delta}" in text
    assert number_after("max |fft - direct| / max |direct| =", text) < 1e-12
    assert "(OK)" in text
    assert "30 epochs" in text
    accuracy = number_after("test accuracy:", text)
    assert 0.9 <= accuracy <= 1.0
    correct = number_after("images (", text)
    assert correct == round(accuracy * 360)
    assert_png(out)
    assert_png(tmp_path / "demo_filters.png", min_bytes=2_000)
    assert str(out) in text and str(tmp_path / "demo_filters.png") in text


@pytest.mark.full
def test_demo_epochs_and_seed_change_the_training(tmp_path, capsys):
    out = tmp_path / "short.png"
    accuracies = []
    for seed in ("0", "0", "3"):
        assert cli.main(["demo", "--epochs", "2", "--seed", seed, "--out", str(out)]) == 0
        text = capsys.readouterr().out
        assert "2 epochs" in text
        accuracies.append(number_after("test accuracy:", text))
    assert accuracies[0] == accuracies[1]  # the seed fixes split, weights and shuffles
    assert accuracies[0] != accuracies[2]
    assert_png(out)


# ------------------------------------------------------------------------------ train


def test_train_digits_with_each_optimizer(tmp_path, capsys):
    for optimizer in ("sgd", "adam", "rmsprop"):
        assert cli.main(["train", "--dataset", "digits", "--optimizer", optimizer,
                         "--epochs", "3", "--verbose", "0", "--validation-split", "0.2"]) == 0
        text = capsys.readouterr().out
        name = {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}[optimizer]
        rate = cli._DEFAULT_LEARNING_RATES[optimizer]
        assert f"{name}(learning_rate={rate:g}), 3 epochs, batch size 100" in text
        assert "1437 training and 360 test samples of shape (8, 8, 1)" in text
        assert "epoch 3/3:" in text
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert f" {key} " in text
        # every optimizer learns the raw digits in three epochs (chance is 0.1)
        assert 0.3 < number_after("test accuracy:", text) <= 1.0


@pytest.mark.full
def test_train_is_reproducible_across_processes(tmp_path):
    """--seed fixes the split, the shuffles and the initial weights: two processes print
    the same results."""
    command = [sys.executable, "-m", "sigconv.cli", "train", "--dataset", "digits",
               "--epochs", "1", "--verbose", "0", "--seed", "3"]
    outputs = [re.sub(r"trained in [0-9.]+ s", "", subprocess.run(
        command, capture_output=True, text=True, check=True, cwd=tmp_path).stdout)
        for _ in range(2)]
    assert "test accuracy:" in outputs[0]
    assert outputs[0] == outputs[1]


def test_train_verbose_2_prints_every_epoch(capsys):
    assert cli.main(["train", "--dataset", "digits", "--epochs", "2", "--verbose", "2",
                     "--learning-rate", "0.05", "--batch-size", "50"]) == 0
    text = capsys.readouterr().out
    assert "Epoch 1/2" in text and "Epoch 2/2" in text
    assert "SGD(learning_rate=0.05), 2 epochs, batch size 50" in text


def test_train_mnist_files_and_saved_model(tmp_path, capsys, monkeypatch):
    data = tmp_path / "mnist"
    data.mkdir()
    _, _, x_test, _ = write_mnist(data)
    saved = {}
    original_save = nn.Sequential.save

    def save(self, path):  # keep the trained model to compare with the loaded one
        saved["model"] = self
        original_save(self, path)

    monkeypatch.setattr(nn.Sequential, "save", save)
    path = tmp_path / "model.npz"
    assert cli.main(["train", "--dataset", "mnist", "--data-dir", str(data), "--no-download",
                     "--epochs", "2", "--batch-size", "10", "--optimizer", "adam",
                     "--verbose", "0", "--save", str(path)]) == 0
    text = capsys.readouterr().out
    assert "mnist, 40 training and 20 test samples of shape (28, 28, 1)" in text
    assert "epoch 2/2:" in text
    assert f"saved the model to {path}" in text
    accuracy = number_after("test accuracy:", text)

    loaded = nn.load_model(path)
    x = x_test[..., np.newaxis].astype(np.float32) / 255
    np.testing.assert_array_equal(loaded.predict(x), saved["model"].predict(x))
    y = nn.utils.to_categorical(np.arange(20) % 10, num_classes=10)
    assert loaded.evaluate(x, y)[1] == pytest.approx(accuracy, abs=5e-5)
    assert type(loaded.optimizer).__name__ == "Adam"


@pytest.mark.full
def test_train_cifar10_network_with_sparse_logits(tmp_path, capsys):
    write_cifar10(tmp_path)
    assert cli.main(["train", "--dataset", "cifar10", "--data-dir", str(tmp_path),
                     "--no-download", "--epochs", "1", "--verbose", "0"]) == 0
    text = capsys.readouterr().out
    assert "cifar10, 20 training and 4 test samples of shape (32, 32, 3)" in text
    # Conv2D(32) -> pool -> Conv2D(64) -> pool -> Conv2D(64) -> Dense(64) -> Dense(10)
    for params in ("896", "18,496", "36,928", "65,600", "650"):
        assert re.search(rf"\s{params} │\n", text), params     # Keras 3's table
    assert "batch size 32" in text
    assert 0.0 <= number_after("test accuracy:", text) <= 1.0


def test_train_missing_dataset_is_one_error_line(tmp_path, capsys, offline):
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    code = cli.main(["train", "--dataset", "mnist", "--data-dir", str(empty),
                     "--no-download", "--verbose", "0"])
    assert code == 1
    captured = capsys.readouterr()
    assert_one_error_line(captured.err, "MNIST file(s) not found", "train-images-idx3-ubyte.gz",
                          str(empty), "SIGCONV_DATA", "download=False")
    assert "test accuracy" not in captured.out


def test_train_download_failure_is_one_error_line(tmp_path, capsys):
    # without --no-download the loader tries pooch, which fails here as it does offline
    code = cli.main(["train", "--dataset", "cifar10", "--data-dir", str(tmp_path)])
    assert code == 1
    assert_one_error_line(capsys.readouterr().err, "CIFAR-10 file(s) not found",
                          "no network in the tests")


def test_train_data_dir_that_does_not_exist(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "mnist", "--no-download",
                     "--data-dir", str(tmp_path / "missing")]) == 1
    assert_one_error_line(capsys.readouterr().err, "existing directory")


def test_train_refuses_an_unwritable_save_before_training(tmp_path, capsys):
    target = tmp_path / "no-such-dir" / "model.npz"
    assert cli.main(["train", "--dataset", "digits", "--save", str(target)]) == 1
    captured = capsys.readouterr()
    assert_one_error_line(captured.err, "cannot write the model", "does not exist")
    assert "epoch" not in captured.out


def test_train_validation_split_leaving_no_training_samples(tmp_path, capsys):
    data = tmp_path / "mnist"
    data.mkdir()
    write_mnist(data, n_train=4, n_test=2)
    assert cli.main(["train", "--dataset", "mnist", "--data-dir", str(data), "--no-download",
                     "--validation-split", "0.9", "--verbose", "0"]) == 1
    assert_one_error_line(capsys.readouterr().err, "validation_split")


# ------------------------------------------------------------------------------- grid


def test_grid_small_grid(tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert cli.main(["grid", "--etas", "0.01", "0.1", "--lambdas", "1e-4", "1e-3",
                     "--epochs", "2", "--n-jobs", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 x 2 cells" in text
    rows = re.findall(r"^\s+(0\.01|0\.1)\s+([0-9.]+)\s+([0-9.]+)$", text, flags=re.MULTILINE)
    assert [row[0] for row in rows] == ["0.01", "0.1"]
    table = np.array([[float(v) for v in row[1:]] for row in rows])
    best = number_after("test accuracy", text.split("best:")[1])
    assert best == pytest.approx(table.max(), abs=5e-4)
    i, j = np.unravel_index(table.argmax(), table.shape)
    assert f"eta = {['0.01', '0.1'][i]}, lambda = {['0.0001', '0.001'][j]}" in text
    assert 0.0 <= number_after("train accuracy", text) <= 1.0
    assert_png(out)


def grid_table(text):
    return re.findall(r"^\s+(?:0\.01|0\.1)\s+([0-9.]+)$", text, flags=re.MULTILINE)


@pytest.mark.full
def test_grid_on_a_local_dask_cluster_with_a_cache(tmp_path, capsys):
    """--dask local runs the cells on a LocalCluster: the same table as in this process;
    --cache-dir keeps the cells, and a rerun reads them back."""
    common = ["grid", "--etas", "0.01", "0.1", "--lambdas", "1e-3", "--epochs", "2",
              "--out", str(tmp_path / "grid.png")]
    assert cli.main([*common, "--n-jobs", "1"]) == 0
    serial = grid_table(capsys.readouterr().out)
    cache = tmp_path / "cells"
    assert cli.main([*common, "--n-jobs", "2", "--dask", "local", "--cache-dir",
                     str(cache)]) == 0
    text = capsys.readouterr().out
    assert "Dask cluster local" in text and grid_table(text) == serial
    cells = sorted(cache.glob("cell-*.json"))
    assert len(cells) == 2
    written = [cell.stat().st_mtime_ns for cell in cells]
    assert cli.main([*common, "--cache-dir", str(cache)]) == 0
    assert grid_table(capsys.readouterr().out) == serial
    assert [cell.stat().st_mtime_ns for cell in cells] == written   # read, not redone


@pytest.mark.full
def test_grid_without_a_scheduler_at_the_address(tmp_path, capsys):
    assert cli.main(["grid", "--etas", "0.1", "--lambdas", "0", "--epochs", "1",
                     "--dask", "tcp://127.0.0.1:9", "--out", str(tmp_path / "g.png")]) == 1
    assert_one_error_line(capsys.readouterr().err, "no Dask scheduler answers",
                          "tcp://127.0.0.1:9")


def test_grid_rejects_repeated_values(capsys):
    assert cli.main(["grid", "--etas", "0.1", "0.1", "--epochs", "1"]) == 1
    assert_one_error_line(capsys.readouterr().err, "--etas repeats a value")


# ---------------------------------------------------------------------------- fourier


def test_fourier_coefficients_gibbs_and_figure(tmp_path, capsys):
    out = tmp_path / "fourier.png"
    assert cli.main(["fourier", "--terms", "40", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    series = sc.FourierSeries.square_wave(0.2, 0.1, 2.0, 6)
    assert f"analytic   f_0..f_5 = {(np.round(series.f, 4) + 0.0).tolist()}" in text
    quadrature = re.search(r"quadrature f_0..f_5 = \[([^]]*)\]", text).group(1)
    np.testing.assert_allclose([float(v) for v in quadrature.split(",")], series.f,
                               atol=2e-4)
    power = sc.FourierSeries.square_wave(0.2, 0.1, 2.0, 40).power()
    assert number_after("power of the partial sum", text) == pytest.approx(power, abs=1e-4)
    assert number_after("Gibbs overshoot of the partial sum:", text) == pytest.approx(
        8.95, abs=0.15)
    assert_png(out, min_bytes=20_000)


def test_fourier_single_term_has_no_overshoot_line(tmp_path, capsys):
    assert cli.main(["fourier", "--terms", "1", "--out", str(tmp_path / "f.png")]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].endswith(", 1 term") and "Gibbs" not in text
    assert number_after("power of the partial sum", text) == pytest.approx(1.0)


# ------------------------------------------------------------------------------ bench


def test_bench_quick_prints_the_table(capsys):
    assert cli.main(["bench", "--quick"]) == 0
    text = capsys.readouterr().out
    assert number_after("digits CNN training step, batch 100 (SGD)", text) > 0
    rates = [float(v) for v in re.findall(r"([0-9.]+) GFLOP/s", text)]
    assert len(rates) == 2 and all(rate > 0 for rate in rates)
    assert "bench/" in text


# ------------------------------------------------------------------------------- info

#: every line ``sigconv info`` prints a value on, by its label
INFO_LABELS = ["sigconv", "Python", "platform", "numpy", "scipy", "numba", "llvmlite",
               "threadpoolctl", "numba-cuda", "numba threads", "threading layer",
               "FFT workers", "CPUs", "name", "SIMD", "features", "blas", "CUDA usable",
               "numba's CUDA target", "calibration", "cache", "folder", "cached kernels",
               "tuning", "OMP_WAIT_POLICY", "malloc thresholds"]


def info_lines(text):
    """``{label: value}`` of the report's lines (the first line of a repeated label)."""
    values = {}
    for line in text.splitlines():
        if not line.startswith("== "):
            label, value = line[:22].strip(), line[22:]
            values.setdefault(label, value)
    return values


def stub_calibration(monkeypatch, describe="calibrated 2026-01-01 on 4 threads (stub)"):
    """A stand-in ``sigconv._calibrate`` that records its calls."""
    calls = []

    def calibrate(threads=None, progress=None, quick=False):
        calls.append({"threads": threads, "quick": quick})
        progress("problem 1/2: direct 1e5 x 101")
        progress("problem", 2, "of", 2)
        return {"COST_DIRECT": 1.25e-9, "COST_FFT": 3.5e-9, "version": 2}

    stub = types.ModuleType("sigconv._calibrate")
    stub.calibrate, stub.describe = calibrate, lambda: describe
    monkeypatch.setitem(sys.modules, "sigconv._calibrate", stub)
    monkeypatch.setattr(sc, "_calibrate", stub, raising=False)
    return calls


def no_calibration(monkeypatch):
    """As if sigconv had no ``_calibrate`` module (a None entry stops the import)."""
    monkeypatch.setitem(sys.modules, "sigconv._calibrate", None)
    monkeypatch.delattr(sc, "_calibrate", raising=False)


def test_info_prints_every_field(capsys, monkeypatch):
    no_calibration(monkeypatch)
    assert cli.main(["info"]) == 0
    text = capsys.readouterr().out
    values = info_lines(text)
    for label in INFO_LABELS:
        assert values.get(label, "").strip(), (label, text)
    assert values["sigconv"].startswith(sc.__version__ + " (")
    assert values["numpy"] == np.__version__
    assert values["scipy"] == scipy.__version__
    assert values["numba"] == numba.__version__
    assert values["Python"].startswith(".".join(map(str, sys.version_info[:3])))
    assert values["numba threads"].startswith(f"{numba.get_num_threads()} (NUMBA_NUM_THREADS "
                                              f"{numba.config.NUMBA_NUM_THREADS})")
    assert values["threading layer"].split()[0] == numba.threading_layer()
    assert values["SIMD"] in {level for level, _ in cli._SIMD_LEVELS} | {"none found"}
    assert values["calibration"] == "shipped defaults"
    assert values["CUDA usable"].startswith("yes" if sc.cuda_available() else "no: ")
    # numpy's BLAS is loaded in every process that imports numpy
    assert any(line.startswith("blas ") for line in text.splitlines())


def test_info_json_is_one_object_with_the_same_facts(capsys):
    assert cli.main(["info", "--json"]) == 0
    env = json.loads(capsys.readouterr().out)
    assert set(env) == {"sigconv", "python", "packages", "threads", "cpu", "blas", "cuda",
                        "calibration", "kernel_cache", "runtime"}
    assert env["sigconv"]["version"] == sc.__version__
    assert env["packages"]["numpy"] == np.__version__
    assert env["packages"]["numba"] == numba.__version__
    assert env["threads"]["numba_threads"] == numba.get_num_threads()
    assert env["threads"]["threading_layer"] == numba.threading_layer()
    assert env["cuda"]["available"] is sc.cuda_available()
    assert isinstance(env["calibration"], str) and env["calibration"]
    assert any(pool["user_api"] == "blas" and pool["num_threads"] >= 1
               for pool in env["blas"])
    cache = env["kernel_cache"]
    assert cache["enabled"] is True and cache["folders"]
    assert all(os.path.isdir(folder) for folder in cache["folders"])


@pytest.mark.parametrize("features, level", [
    ({"avx512f": True, "avx512bw": True, "avx512vl": True, "avx512dq": True, "avx2": True,
      "fma": True}, "AVX-512"),
    ({"avx512f": True, "avx2": True, "fma": True}, "AVX-512 (F only)"),
    ({"avx2": True, "fma": True, "avx": True, "avx512f": False}, "AVX2"),
    ({"avx2": True, "avx": True}, "AVX"),          # AVX2 without FMA: not numba's AVX2
    ({"sse4.2": True, "sse2": True}, "SSE4.2"),
    ({"neon": True}, "NEON"),
    ({"sve": True, "neon": True}, "SVE"),
    ({}, "none found"),
])
def test_info_simd_level_from_llvms_cpu_features(features, level, monkeypatch):
    import llvmlite.binding as llvm

    monkeypatch.setattr(llvm, "get_host_cpu_features", lambda: features)
    monkeypatch.setattr(numba.config, "CPU_FEATURES", None)
    report = cli._cpu_report()
    assert report["simd"] == level
    assert report["features"] == sorted(name for name, on in features.items() if on)


def test_info_simd_level_follows_numba_cpu_features(monkeypatch):
    """NUMBA_CPU_FEATURES (numba compiles for these, not the host's) decides the level."""
    monkeypatch.setattr(numba.config, "CPU_FEATURES", "+sse2,+sse4.2,+avx,-avx2,-fma")
    report = cli._cpu_report()
    assert report["simd"] == "AVX"
    assert report["features"] == ["avx", "sse2", "sse4.2"]


def test_info_without_a_gpu_says_why(capsys, monkeypatch):
    """On any machine, a GPU or not: numba's own reason is shown, and the extra that
    installs the CUDA target is named when numba-cuda is missing."""
    from numba import cuda

    from sigconv import _jit

    monkeypatch.setattr(_jit, "cuda_available", lambda: False)
    monkeypatch.setattr(cuda, "cuda_error", lambda: "CUDA driver library\ncannot be found.",
                        raising=False)
    assert cli.main(["info"]) == 0
    line = info_lines(capsys.readouterr().out)["CUDA usable"]
    assert line.startswith("no: CUDA driver library cannot be found.")
    if cli._version("numba-cuda") is None:
        assert "pip install 'sigconv[cuda]'" in line
    assert cli.main(["info", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["cuda"]
    assert report["available"] is False and report["devices"] == []
    assert report["reason"].startswith("CUDA driver library cannot be found.")


def test_info_shows_the_calibration_in_use(capsys, monkeypatch):
    stub_calibration(monkeypatch, describe="calibrated on this machine (stub)")
    assert cli.main(["info"]) == 0
    assert info_lines(capsys.readouterr().out)["calibration"] == \
        "calibrated on this machine (stub)"


def test_info_survives_a_failing_calibration_description(capsys, monkeypatch):
    stub_calibration(monkeypatch)

    def broken():
        raise OSError("cannot read the stored constants")

    monkeypatch.setattr(sys.modules["sigconv._calibrate"], "describe", broken)
    assert cli.main(["info"]) == 0
    assert info_lines(capsys.readouterr().out)["calibration"] == (
        "unknown: sigconv._calibrate.describe() failed: cannot read the stored constants")


def test_info_reports_the_runtime_tuning_as_configure_applied_it(capsys, monkeypatch):
    from sigconv import _config, _runtime

    monkeypatch.setattr(_runtime, "applied", dict(_runtime.applied))
    for name in ("OMP_WAIT_POLICY", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"):
        monkeypatch.delenv(name, raising=False)
    _runtime.configure()
    monkeypatch.setattr(_config, "TUNE_RUNTIME", True)
    assert cli.main(["info"]) == 0
    values = info_lines(capsys.readouterr().out)
    assert values["tuning"].startswith("on (SIGCONV_TUNE_RUNTIME=0")
    assert values["OMP_WAIT_POLICY"] == "PASSIVE (set by sigconv)"
    if sys.platform.startswith("linux"):
        assert values["malloc thresholds"] == ("M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD "
                                               "256 MiB (set by sigconv with mallopt)")

    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    _runtime.configure()
    assert cli.main(["info", "--json"]) == 0
    runtime = json.loads(capsys.readouterr().out)["runtime"]
    assert runtime["omp_wait_policy"] == "ACTIVE (the user's, kept)"
    assert runtime["malloc"].startswith("not set: ")


def test_info_in_a_process_with_tuning_off_its_own_kernel_cache_and_the_simulator(tmp_path):
    """``SIGCONV_TUNE_RUNTIME=0`` leaves the process alone and says so; the kernel cache
    is where ``NUMBA_CACHE_DIR`` puts it; the CUDA simulator is usable, and named."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("OMP_WAIT_POLICY", "MALLOC_MMAP_THRESHOLD_",
                           "MALLOC_TRIM_THRESHOLD_")}
    env.update(SIGCONV_TUNE_RUNTIME="0", NUMBA_CACHE_DIR=str(tmp_path),
               NUMBA_ENABLE_CUDASIM="1")
    result = run_module("info", "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["runtime"] == {"enabled": False, "omp_wait_policy":
                                 "not set: SIGCONV_TUNE_RUNTIME=0", "omp_wait_policy_now": None,
                                 "malloc": "not set: SIGCONV_TUNE_RUNTIME=0"}
    cache = report["kernel_cache"]
    assert cache["source"] == f"NUMBA_CACHE_DIR={tmp_path}"
    assert cache["folders"] and all(folder.startswith(str(tmp_path))
                                    for folder in cache["folders"])
    assert cache["cached_kernels"] == 0
    assert report["cuda"]["available"] is True
    assert report["cuda"]["reason"].startswith("the CUDA simulator (NUMBA_ENABLE_CUDASIM=1)")
    result = run_module("info", env=env)
    assert result.returncode == 0, result.stderr
    assert info_lines(result.stdout)["tuning"] == "off (SIGCONV_TUNE_RUNTIME=0)"


# -------------------------------------------------------------------------- calibrate


def test_calibrate_passes_threads_quick_and_progress_and_prints_the_fit(capsys, monkeypatch):
    calls = stub_calibration(monkeypatch)
    assert cli.main(["calibrate", "--threads", "1", "--quick"]) == 0
    assert calls == [{"threads": 1, "quick": True}]
    out = capsys.readouterr().out
    assert "  problem 1/2: direct 1e5 x 101\n  problem 2 of 2\n" in out
    assert re.search(r"COST_DIRECT\s+1\.25e-09\n", out), out
    assert re.search(r"COST_FFT\s+3\.5e-09\n", out), out
    assert re.search(r"version\s+2\n", out), out
    assert "in use from now on: calibrated 2026-01-01 on 4 threads (stub)" in out

    assert cli.main(["calibrate"]) == 0  # defaults: numba's thread count, the full set
    assert calls[-1] == {"threads": None, "quick": False}


def test_calibrate_without_the_calibration_module_is_one_error_line(capsys, monkeypatch):
    no_calibration(monkeypatch)
    assert cli.main(["calibrate"]) == 1
    assert_one_error_line(capsys.readouterr().err, "sigconv._calibrate is missing")


# ------------------------------------------------------------------- arguments and help


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command, capsys):
    assert cli.main([command, "--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: sigconv {command}")
    options = {"demo": ["--epochs", "--out", "--seed"],
               "train": ["--dataset", "--data-dir", "--no-download", "--epochs",
                         "--batch-size", "--optimizer", "--learning-rate",
                         "--validation-split", "--seed", "--save", "--verbose"],
               "grid": ["--dataset", "--epochs", "--n-jobs", "--etas", "--lambdas", "--out",
                        "--seed", "--dask", "--cache-dir"],
               "fourier": ["--terms", "--out"],
               "bench": ["--quick"], "info": ["--json"],
               "calibrate": ["--threads", "--quick"]}[command]
    for option in options:
        assert option in text, option


def test_top_level_help_lists_the_subcommands(capsys):
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in SUBCOMMANDS:
        assert command in text


@pytest.mark.parametrize("argv, fragment", [
    ([], "required: COMMAND"),
    (["no-such-command"], "invalid choice: 'no-such-command'"),
    (["train"], "required: --dataset"),
    (["train", "--dataset", "imagenet"], "invalid choice: 'imagenet'"),
    (["train", "--dataset", "digits", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    (["train", "--dataset", "digits", "--epochs", "0"], "--epochs: expected a positive"),
    (["train", "--dataset", "digits", "--epochs", "-3"], "--epochs: expected a positive"),
    (["train", "--dataset", "digits", "--epochs", "two"], "--epochs: expected a positive"),
    (["train", "--dataset", "digits", "--batch-size", "0"], "--batch-size: expected"),
    (["train", "--dataset", "digits", "--learning-rate", "0"], "--learning-rate: expected"),
    (["train", "--dataset", "digits", "--learning-rate", "nan"], "--learning-rate: expected"),
    (["train", "--dataset", "digits", "--validation-split", "1"], "in [0, 1)"),
    (["train", "--dataset", "digits", "--validation-split", "-0.1"], "in [0, 1)"),
    (["train", "--dataset", "digits", "--verbose", "3"], "invalid choice: 3"),
    (["demo", "--epochs", "0"], "--epochs: expected a positive"),
    (["grid", "--dataset", "mnist"], "invalid choice: 'mnist'"),
    (["grid", "--n-jobs", "0"], "--n-jobs: expected a positive integer <= 1024 or -1"),
    (["grid", "--etas", "-0.1"], "--etas: expected a positive number"),
    (["grid", "--lambdas", "-1"], "--lambdas: expected a number >= 0"),
    (["fourier", "--terms", "0"], "--terms: expected a positive integer"),
    (["calibrate", "--threads", "0"], "--threads: expected a positive integer"),
    (["calibrate", "--threads", "100000"], "--threads: at most"),
    (["info", "--threads", "2"], "unrecognized arguments: --threads"),
])
def test_bad_arguments_exit_2_with_one_line(argv, fragment, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert_one_error_line(captured.err, fragment, "--help")
    assert captured.out == ""


@pytest.mark.parametrize("command", ["demo", "grid", "fourier"])
def test_unwritable_out_fails_before_any_work(command, tmp_path, capsys):
    target = tmp_path / "no-such-dir" / "figure.png"
    assert cli.main([command, "--out", str(target)]) == 1
    captured = capsys.readouterr()
    assert_one_error_line(captured.err, "cannot write the figure", "does not exist")
    assert "accuracy" not in captured.out and "wrote" not in captured.out


@pytest.mark.parametrize("name, fragment", [("figure.xyz", "unknown image format 'xyz'"),
                                            (".", "is a directory")])
def test_out_of_unknown_format_or_a_directory(name, fragment, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["fourier", "--out", name]) == 1
    assert_one_error_line(capsys.readouterr().err, fragment)


def test_traceback_flag_shows_the_exception(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        cli.main(["--traceback", "fourier", "--out", str(tmp_path / "no" / "f.png")])


# --------------------------------------------------------------------- console script


def run_module(*args, env=None):
    return subprocess.run([sys.executable, "-m", "sigconv.cli", *args], capture_output=True,
                          text=True, check=False, timeout=300, env=env)


def test_console_script_runs_as_a_module(tmp_path):
    out = tmp_path / "fourier.png"
    result = run_module("fourier", "--terms", "5", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "analytic   f_0..f_4 = [2.0, 1.2732, 0.0, -0.4244, 0.0]" in result.stdout
    assert_png(out)


def test_console_script_missing_dataset_exit_status(tmp_path, offline):
    env = {**os.environ, "SIGCONV_DATA": str(offline), "XDG_CACHE_HOME": str(offline)}
    result = run_module("train", "--dataset", "mnist", "--data-dir", str(tmp_path),
                        "--no-download", env=env)
    assert result.returncode == 1
    assert_one_error_line(result.stderr, "MNIST file(s) not found")
    result = run_module("train", "--dataset", "mnist", "--epochs", "0", env=env)
    assert result.returncode == 2
    assert_one_error_line(result.stderr, "--epochs")
