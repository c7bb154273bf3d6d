"""Keras's module layout: ``sigconv.nn.models``, ``datasets``, ``utils``, and the lecture's
Keras code run with only its imports changed (tests/lecture_code/)."""

import gzip
import io
import pickle
import random
import re
import subprocess
import sys
import tarfile
import types
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pooch
import pytest

from sigconv import datasets as sigconv_datasets
from sigconv import nn
from sigconv.nn import datasets, layers, models, utils

LECTURE_CODE = Path(__file__).parent / "lecture_code"


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """Data only from tmp_path ($SIGCONV_DATA, an empty cache); a download fails."""
    monkeypatch.setenv("SIGCONV_DATA", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    monkeypatch.setattr(sigconv_datasets, "_cache_dir", lambda: tmp_path / "cache")

    def no_network(url, **kwargs):
        raise ConnectionError(f"no network in the tests ({url})")

    monkeypatch.setattr(pooch, "retrieve", no_network)
    return tmp_path / "data"


# -------------------------------------------------------------------- the files


def write_idx_gz(path, array):
    """A gzip-compressed idx file of unsigned bytes, as MNIST's."""
    array = np.asarray(array, np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    with gzip.open(path, "wb") as file:
        file.write(header + array.tobytes())


def write_mnist(directory, n_train=6, n_test=4, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = rng.integers(0, 10, n).astype(np.uint8)
        write_idx_gz(directory / f"{prefix}-images-idx3-ubyte.gz", x)
        write_idx_gz(directory / f"{prefix}-labels-idx1-ubyte.gz", y)
        arrays.append((x, y))
    return tuple(arrays)


def write_cifar10(directory, x_train, y_train, x_test, y_test):
    """``cifar-10-python.tar.gz`` as published: five training batches and a test batch of
    pickled dicts, images channel-first as rows of 3072 bytes, labels as lists."""
    def batch(x, y):
        rows = np.ascontiguousarray(x.transpose(0, 3, 1, 2)).reshape(len(x), 3072)
        return pickle.dumps({b"data": rows, b"labels": [int(v) for v in y.ravel()]},
                            protocol=2)

    members = {f"data_batch_{k + 1}": batch(x, y) for k, (x, y) in enumerate(
        zip(np.array_split(x_train, 5), np.array_split(y_train, 5), strict=True))}
    members["test_batch"] = batch(x_test, y_test)
    with tarfile.open(directory / "cifar-10-python.tar.gz", "w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


# ----------------------------------------------------------------------- layout


def test_tensorflow_keras_layout():
    """The names the lecture (and most Keras code) imports, where tensorflow.keras has them."""
    from sigconv.nn import callbacks, losses, metrics, optimizers, regularizers
    from sigconv.nn.datasets import cifar10, mnist
    from sigconv.nn.datasets.mnist import load_data
    from sigconv.nn.layers import Conv2D, Dense, Input  # noqa: F401
    from sigconv.nn.models import Sequential
    from sigconv.nn.utils import to_categorical  # noqa: F401

    assert Sequential is nn.Sequential and Input is nn.Input and load_data is mnist.load_data
    assert callable(cifar10.load_data)
    for module, names in [(optimizers, ["SGD", "Adam", "RMSprop"]),
                          (regularizers, ["l2", "L2"]),
                          (losses, ["SparseCategoricalCrossentropy"]),
                          (callbacks, ["EarlyStopping", "History"]),
                          (metrics, ["Accuracy", "SparseCategoricalAccuracy"]),
                          (utils, ["to_categorical", "normalize", "set_random_seed"]),
                          (models, ["Sequential", "load_model", "save_model",
                                    "clone_model"])]:
        assert [name for name in names if not hasattr(module, name)] == []


def test_import_sigconv_nn_exposes_the_modules():
    """``import sigconv.nn as nn`` alone gives nn.models, nn.datasets, ... (a fresh process:
    this one has imported the submodules already)."""
    code = ("import sigconv.nn as nn; wanted = ['layers', 'models', 'optimizers', "
            "'regularizers', 'losses', 'metrics', 'callbacks', 'utils', 'datasets']; "
            "print([m for m in wanted if not hasattr(nn, m) or m not in nn.__all__])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------- datasets


def test_mnist_load_data_as_keras(tmp_path):
    (x_train, y_train), (x_test, y_test) = write_mnist(tmp_path)
    (a_train, b_train), (a_test, b_test) = datasets.mnist.load_data(tmp_path)
    for got, expected, shape in [(a_train, x_train, (6, 28, 28)), (b_train, y_train, (6,)),
                                 (a_test, x_test, (4, 28, 28)), (b_test, y_test, (4,))]:
        assert got.dtype == np.uint8 and got.shape == shape
        np.testing.assert_array_equal(got, expected)


def test_mnist_load_data_from_sigconv_data_and_offline(offline, tmp_path, monkeypatch):
    expected = write_mnist(offline, seed=3)
    (x_train, _), (_, y_test) = datasets.mnist.load_data()
    np.testing.assert_array_equal(x_train, expected[0][0])
    np.testing.assert_array_equal(y_test, expected[1][1])
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("SIGCONV_DATA", str(empty))
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz"):
        datasets.mnist.load_data(download=False)
    with pytest.raises(TypeError, match="download"):
        datasets.mnist.load_data(download="no")
    with pytest.raises(FileNotFoundError, match="directory"):
        datasets.mnist.load_data(path=str(tmp_path / "mnist.npz"))


def test_cifar10_load_data_as_keras(offline, tmp_path, monkeypatch):
    (x_train, y_train), (x_test, y_test) = sigconv_datasets.synthetic_cifar10(12, 3, seed=1)
    write_cifar10(offline, x_train, y_train, x_test, y_test)
    (a_train, b_train), (a_test, b_test) = datasets.cifar10.load_data()
    assert a_train.shape == (12, 32, 32, 3) and b_train.shape == (12, 1)
    assert a_test.shape == (3, 32, 32, 3) and b_test.shape == (3, 1)
    assert {a.dtype for a in (a_train, b_train, a_test, b_test)} == {np.dtype(np.uint8)}
    for got, expected in [(a_train, x_train), (b_train, y_train), (a_test, x_test),
                          (b_test, y_test)]:
        np.testing.assert_array_equal(got, expected)
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("SIGCONV_DATA", str(other))
    with pytest.raises(FileNotFoundError, match="cifar-10-python.tar.gz"):
        datasets.cifar10.load_data(download=False)
    (c_train, _), _ = datasets.cifar10.load_data(offline)
    np.testing.assert_array_equal(c_train, x_train)


# ----------------------------------------------------------------------- models


def small_model(**kwargs):
    return models.Sequential([
        layers.Conv2D(3, (3, 3), input_shape=(6, 6, 1), activation="relu",
                      kernel_regularizer=nn.regularizers.l2(0.01)),
        layers.Flatten(),
        layers.Dense(4, activation="softmax"),
    ], **kwargs)


def test_models_holds_sigconv_nn_objects():
    assert models.Sequential is nn.Sequential
    assert models.load_model is nn.load_model


def test_save_model_and_load_model(tmp_path):
    model = small_model()
    model.compile(optimizer=nn.SGD(0.05), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.default_rng(0).standard_normal((5, 6, 6, 1)).astype(np.float32)
    path = tmp_path / "model.npz"
    models.save_model(model, path)
    loaded = models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.optimizer.get_config()["learning_rate"] == pytest.approx(0.05)

    before = path.read_bytes()
    other = small_model()
    with pytest.raises(FileExistsError, match="overwrite"):
        models.save_model(other, path, overwrite=False)
    assert path.read_bytes() == before
    models.save_model(other, path)          # overwrite=True replaces it
    np.testing.assert_array_equal(models.load_model(path).predict(x), other.predict(x))
    models.save_model(other, tmp_path / "new.npz", overwrite=False)
    assert (tmp_path / "new.npz").is_file()


@pytest.mark.parametrize("call, error, match", [
    (lambda m, p: models.save_model("model", p), TypeError, "Sequential"),
    (lambda m, p: models.save_model(m, p, overwrite=1), TypeError, "overwrite"),
    (lambda m, p: models.save_model(m, None), TypeError, "path"),
])
def test_save_model_refuses_bad_arguments(call, error, match, tmp_path):
    with pytest.raises(error, match=match):
        call(small_model(), tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_clone_model_same_architecture_new_weights():
    model = small_model(name="original")
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    model.build()
    clone = models.clone_model(model)
    assert clone is not model and clone.name == "original"
    assert clone.get_config() == model.get_config()
    assert clone.built and clone.optimizer is None       # new weights, not compiled
    assert all(a is not b for a, b in zip(clone.layers, model.layers, strict=True))
    weights, cloned = model.get_weights(), clone.get_weights()
    assert [w.shape for w in cloned] == [w.shape for w in weights]
    assert not np.array_equal(cloned[0], weights[0])     # kernels drawn afresh
    clone.set_weights(weights)                           # and then equal, as in Keras
    x = np.random.default_rng(1).standard_normal((2, 6, 6, 1)).astype(np.float32)
    np.testing.assert_array_equal(clone.predict(x), model.predict(x))


def test_clone_model_with_clone_function_and_input():
    model = small_model()
    seen = []

    def rename(layer):
        seen.append(layer.name)
        config = layer.get_config()
        config["name"] = "copy_of_" + config["name"]
        return type(layer).from_config(config)

    clone = models.clone_model(model, input_tensors=[nn.Input((8, 8, 1))],
                               clone_function=rename)
    assert seen == [layer.name for layer in model.layers]
    assert [layer.name for layer in clone.layers] == ["copy_of_" + n for n in seen]
    assert clone.input_shape == (None, 8, 8, 1)
    assert clone.predict(np.zeros((1, 8, 8, 1), np.float32)).shape == (1, 4)


@pytest.mark.parametrize("kwargs, match", [
    ({"clone_function": "copy"}, "callable"),
    ({"clone_function": lambda layer: "layer"}, "must return a sigconv.nn Layer"),
    ({"input_tensors": (8, 8, 1)}, "input_tensors"),
    ({"input_tensors": [nn.Input((8, 8, 1))] * 2}, "list of 2"),
])
def test_clone_model_refuses_bad_arguments(kwargs, match):
    with pytest.raises(TypeError, match=match):
        models.clone_model(small_model(), **kwargs)
    with pytest.raises(TypeError, match="Sequential"):
        models.clone_model(layers.Dense(2))


# ------------------------------------------------------------------------ utils


@pytest.mark.parametrize("order", [2, 1, np.inf, 3.5])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_normalize_replays_keras_formula(order, axis):
    x = np.random.default_rng(2).standard_normal((4, 3, 5)).astype(np.float32)
    x[1, :, 2] = 0.0          # a zero vector along axis 0 / 1 ...
    x[2, 1, :] = 0.0          # ... and along the last axis: its norm is taken as 1
    got = utils.normalize(x, axis=axis, order=order)
    norm = np.sum(np.abs(x.astype(np.float64)) ** order, axis=axis,
                  keepdims=True) ** (1 / order) if np.isfinite(order) else \
        np.max(np.abs(x), axis=axis, keepdims=True)
    norm = np.where(norm == 0, 1.0, norm)
    assert got.dtype == np.float32 and got.shape == x.shape
    np.testing.assert_allclose(got, x / norm, rtol=1e-5, atol=1e-7)
    assert np.all(got[np.broadcast_to(norm == 1.0, x.shape) & (x == 0)] == 0)


def test_normalize_integers_and_lists():
    got = utils.normalize([[3, 4], [0, 0]])
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_array_equal(utils.normalize(np.array([2, 0, 0])), [1.0, 0.0, 0.0])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"x": "abc"}, TypeError, "x"),
    ({"x": 3.0}, ValueError, "scalar"),
    ({"axis": 2}, ValueError, "axis 2"),
    ({"axis": None}, TypeError, "axis"),
    ({"axis": 1.0}, TypeError, "axis"),
    ({"axis": True}, TypeError, "axis"),
    ({"order": "fro"}, TypeError, "order"),
    ({"order": np.nan}, ValueError, "order"),
])
def test_normalize_refuses_bad_arguments(kwargs, error, match):
    arguments = {"x": np.ones((2, 3))} | kwargs
    with pytest.raises(error, match=match):
        utils.normalize(**arguments)


def test_set_random_seed_seeds_python_numpy_and_initial_weights():
    def draws():
        model = small_model()
        model.build()
        return (random.random(), np.random.rand(),  # noqa: NPY002 (the global generator)
                np.random.choice(100, 3).tolist(),  # noqa: NPY002
                [w.tolist() for w in model.get_weights()])

    utils.set_random_seed(123)
    first = draws()
    utils.set_random_seed(123)
    assert draws() == first
    utils.set_random_seed(124)
    assert draws() != first


@pytest.mark.parametrize("seed, error", [(None, TypeError), (1.0, TypeError), ("1", TypeError),
                                         (True, TypeError), (-1, ValueError),
                                         (2**32, ValueError)])
def test_set_random_seed_refuses_before_seeding(seed, error):
    state = random.getstate(), np.random.get_state()[1].copy()  # noqa: NPY002
    with pytest.raises(error, match="seed"):
        utils.set_random_seed(seed)
    assert random.getstate() == state[0]
    np.testing.assert_array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002


def test_utils_keeps_to_categorical():
    np.testing.assert_array_equal(utils.to_categorical([1, 0], 3), [[0, 1, 0], [1, 0, 0]])


# ------------------------------------------------------------- the lecture's code


def run_lecture_code(name):
    """Run tests/lecture_code/<name> as a script; return its global namespace."""
    path = LECTURE_CODE / name
    source = path.read_text()
    with warnings.catch_warnings():
        # the lecture writes "$\eta$": an invalid escape that compiling warns about
        warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
        code = compile(source, str(path), "exec")
    namespace = {"__name__": "__main__", "__file__": str(path)}
    exec(code, namespace)  # noqa: S102 - the lecture's code, kept in this repository
    return namespace


@pytest.fixture
def plots(monkeypatch):
    """Agg figures (closed afterwards), and seaborn, or a stand-in recording its heatmaps
    where seaborn is not installed (the lecture's only use of it)."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    heatmaps = []
    try:
        import seaborn
    except ImportError:
        seaborn = types.ModuleType("seaborn")
        seaborn.set = lambda *args, **kwargs: None

        def heatmap(data, annot=None, ax=None, cmap=None, **kwargs):
            ax = ax or plt.gca()
            ax.imshow(np.asarray(data), cmap=cmap)
            return ax

        seaborn.heatmap = heatmap
        monkeypatch.setitem(sys.modules, "seaborn", seaborn)
    real_heatmap = seaborn.heatmap

    def recording_heatmap(data, *args, **kwargs):
        heatmaps.append(np.array(data))
        return real_heatmap(data, *args, **kwargs)

    monkeypatch.setattr(seaborn, "heatmap", recording_heatmap)
    yield heatmaps
    plt.close("all")


def test_lecture_digits_grid_runs_with_sigconv_imports(plots, capsys):
    utils.set_random_seed(0)
    with pytest.warns(DeprecationWarning, match="lr") as record:
        ns = run_lecture_code("digits_cnn.py")
    # the only warnings are about SGD(lr=...), once per model at least
    assert len(record) >= 4
    assert all(issubclass(w.category, DeprecationWarning) and "lr" in str(w.message)
               for w in record)

    eta_vals, lmbd_vals = ns["eta_vals"], ns["lmbd_vals"]
    np.testing.assert_allclose(eta_vals, [1e-3, 1e-2])
    np.testing.assert_allclose(lmbd_vals, [1e-5, 1e-4])
    assert ns["X_train"].shape == (1437, 8, 8, 1) and ns["Y_train"].shape == (1437, 10)
    grid = ns["CNN_keras"]
    assert grid.shape == (2, 2) and grid.dtype == object
    for i, eta in enumerate(eta_vals):
        for j, lmbd in enumerate(lmbd_vals):
            model = grid[i][j]
            assert isinstance(model, models.Sequential)
            # lr= is the learning rate; l2(lmbd) on each of the three weighted layers
            assert model.optimizer.get_config()["learning_rate"] == pytest.approx(eta)
            configs = [layer.get_config() for layer in model.layers]
            assert [c["kernel_regularizer"] for c in configs if "kernel_regularizer" in c] \
                == [{"class_name": "L2", "config": {"l2": pytest.approx(lmbd)}}] * 3
            losses = model.history.history["loss"]
            assert len(losses) == 2 and losses[1] < losses[0]     # training reduced it
    for name in ("train_accuracy", "test_accuracy"):
        accuracy = ns[name]
        assert accuracy.shape == (2, 2)
        assert np.all((accuracy >= 0) & (accuracy <= 1))
    # the grid's models are better than chance after two epochs at eta = 0.01
    assert np.all(ns["train_accuracy"][1] > 0.2)
    # evaluate gives the same accuracy each time: the printed ones are the test grid's
    printed = [float(v) for v in re.findall(r"Test accuracy: ([0-9.]+)",
                                            capsys.readouterr().out)]
    np.testing.assert_allclose(printed, ns["test_accuracy"].ravel(), atol=5e-4)
    assert len(plots) == 2
    np.testing.assert_array_equal(plots[0], ns["train_accuracy"])
    np.testing.assert_array_equal(plots[1], ns["test_accuracy"])


def test_lecture_cifar10_runs_with_sigconv_imports(plots, offline, capsys):
    stand_in = sigconv_datasets.synthetic_cifar10(300, 100, seed=0)
    write_cifar10(offline, *stand_in[0], *stand_in[1])
    utils.set_random_seed(0)
    ns = run_lecture_code("cifar10_cnn.py")

    train_images, train_labels = ns["train_images"], ns["train_labels"]
    assert train_images.shape == (300, 32, 32, 3) and train_labels.shape == (300, 1)
    np.testing.assert_array_equal(train_images, stand_in[0][0] / 255.0)
    assert train_labels.dtype == np.uint8
    model = ns["model"]
    # the TensorFlow tutorial's count for this network
    assert model.count_params() == 122_570
    assert "Total params" in capsys.readouterr().out
    history = ns["history"].history
    assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 2 for values in history.values())
    for key in ("accuracy", "val_accuracy"):
        assert all(0.0 <= value <= 1.0 for value in history[key])
    assert history["loss"][1] < history["loss"][0]
    # evaluate after fit sees the weights of the last epoch's validation
    assert ns["test_loss"] == pytest.approx(history["val_loss"][-1], rel=1e-5)
    assert ns["test_acc"] == pytest.approx(history["val_accuracy"][-1], abs=1e-6)
