"""Hostile model files for sigconv.nn.load_model and Sequential.load_weights: truncated,
bit-flipped, emptied and random files, members replaced by random bytes, other JSON,
object or complex arrays, headers that lie about their size, configs that name classes
outside the allow-list or ask for 1e11 filters. Each is either loaded equal to the saved
model (damage where the zip format has no checksum, e.g. a timestamp) or refused with a
ValueError naming the file (MemoryError for sizes, checked before allocating, in a child
process under a memory cap); never a BadZipFile, EOFError, KeyError, AttributeError,
JSONDecodeError or a pickle."""

import copy
import io
import json
import zipfile

import harness
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigconv import nn

SETTINGS = settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])


def saved_model():
    model = nn.Sequential([
        nn.Input((5, 5, 1)), nn.Conv2D(2, 3, kernel_regularizer=nn.L2(0.01), name="conv"),
        nn.BatchNormalization(name="bn"), nn.Flatten(name="flat"),
        nn.Dense(3, activation="softmax", name="out")], name="saved")
    model.compile(nn.SGD(0.1, momentum=0.5), "categorical_crossentropy", metrics=["accuracy"])
    model.build(seed=0)
    return model


MODEL = saved_model()
X = np.random.default_rng(0).standard_normal((2, 5, 5, 1))


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "model.npz"
    MODEL.save(path)
    return path.read_bytes()


def members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def archive(contents, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as out:
        for name, content in contents.items():
            out.writestr(name, content)
    return buffer.getvalue()


def npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def document(data):
    return json.loads(np.load(io.BytesIO(members(data)["__model__.npy"])).tobytes())


def with_document(data, changed):
    contents = members(data)
    contents["__model__.npy"] = npy(np.frombuffer(json.dumps(changed).encode(), np.uint8))
    return archive(contents)


def load_or_refuse(path, loader=nn.load_model, weights=None):
    """The loaded model equal to MODEL (with ``weights`` if given), or None after checking
    that the ValueError names ``path``."""
    try:
        loaded = loader(path)
    except Exception as exc:  # noqa: BLE001 - classified by check_error
        harness.check_error(exc, str(path), kinds=(ValueError,))
        return None
    if loader is nn.load_model:
        assert loaded.get_config() == MODEL.get_config()
        expected = MODEL.get_weights() if weights is None else weights
        for old, new in zip(expected, loaded.get_weights(), strict=True):
            np.testing.assert_array_equal(old, new)
    return loaded


def as_weight(content, index):
    """The weights of MODEL with ``content`` as weight ``index`` if it is a valid .npy of
    real numbers of that weight's shape (a well-formed replacement loads), else None."""
    try:
        array = np.load(io.BytesIO(content), allow_pickle=False)
    except Exception:  # noqa: BLE001 - not a valid array: the file is damaged
        return None
    weights = MODEL.get_weights()
    if (not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf"
            or array.dtype.itemsize > 8 or array.shape != weights[index].shape):
        return None
    weights[index] = array.astype(np.float32)
    return weights


def test_the_saved_file_loads(tmp_path, good_bytes):
    path = tmp_path / "m.npz"
    path.write_bytes(good_bytes)
    assert load_or_refuse(path) is not None


@SETTINGS
@given(st.data())
def test_truncated_files(tmp_path, good_bytes, data):
    size = data.draw(st.integers(0, len(good_bytes) - 1))
    path = tmp_path / "truncated.npz"
    path.write_bytes(good_bytes[:size])
    assert load_or_refuse(path) is None


@SETTINGS
@given(st.data())
def test_flipped_bytes(tmp_path, good_bytes, data):
    damaged = bytearray(good_bytes)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(damaged) - 1))
        damaged[position] ^= data.draw(st.integers(1, 255))
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(damaged))
    load_or_refuse(path)


@SETTINGS
@given(st.binary(max_size=300))
def test_random_and_empty_files(tmp_path, content):
    path = tmp_path / "random.npz"
    path.write_bytes(content)
    assert load_or_refuse(path) is None
    assert load_or_refuse(path, MODEL.load_weights) is None


REPLACEMENTS = st.one_of(
    st.binary(max_size=200),
    st.builds(npy, st.sampled_from([np.full(3, None), np.zeros(3, complex),
                                    np.zeros(2, "U3"), np.zeros(2, [("a", "f8")]),
                                    np.zeros(3, np.longdouble), np.zeros((0,)),
                                    np.zeros((3, 3, 1, 2), ">f4"), np.arange(5.0)]),
              st.just(True)),
    st.builds(lambda value: npy(np.frombuffer(json.dumps(value).encode(), np.uint8)),
              st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=8)),
)


@SETTINGS
@given(st.data(), REPLACEMENTS)
def test_a_member_replaced(tmp_path, good_bytes, data, replacement):
    contents = members(good_bytes)
    name = data.draw(st.sampled_from(sorted(contents)))
    contents[name] = replacement
    path = tmp_path / "replaced.npz"
    path.write_bytes(archive(contents))
    weights = as_weight(replacement, int(name[7:-4])) if name.startswith("weight_") else None
    if load_or_refuse(path, weights=weights) is not None:
        assert name == "__model__.npy" or weights is not None


def test_object_arrays_are_never_unpickled(tmp_path, good_bytes, monkeypatch):
    import pickle

    def no_pickle(*args, **kwargs):
        raise AssertionError("load_model unpickled something")

    contents = members(good_bytes)
    contents["weight_0.npy"] = npy(np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    path = tmp_path / "pickled.npz"
    path.write_bytes(archive(contents))
    monkeypatch.setattr(pickle, "loads", no_pickle)
    monkeypatch.setattr(pickle, "load", no_pickle)
    with pytest.raises(ValueError, match="object"):
        nn.load_model(path)


@pytest.mark.parametrize("change", [
    lambda c: c.update({"evil.npy": b"x"}),
    lambda c: c.pop("weight_1.npy"),
    lambda c: c.update({"weight_9.npy": npy(np.zeros(2))}),
    lambda c: c.update({"weight_01.npy": c["weight_1.npy"]}),
    lambda c: c.pop("__model__.npy"),
    lambda c: c.update({"weight_0.npy": c["weight_0.npy"].replace(b"(3, 3, 1, 2)",
                                                                 b"(300000, 300000, 1, 2)")}),
    lambda c: c.update({"weight_0.npy": c["weight_0.npy"][:60]}),
    lambda c: c.update({"weight_0.npy": npy(np.zeros((3, 3, 1, 3), np.float32))}),
], ids=["extra member", "missing weight", "extra weight", "renamed weight", "no model",
        "lying header", "short data", "wrong shape"])
def test_members_added_removed_or_lying(tmp_path, good_bytes, change):
    contents = members(good_bytes)
    change(contents)
    path = tmp_path / "changed.npz"
    path.write_bytes(archive(contents))
    with pytest.raises(ValueError) as info:
        nn.load_model(path)
    harness.check_error(info.value, str(path), kinds=(ValueError,))


def test_compressed_members_are_refused(tmp_path, good_bytes):
    """save writes stored members; a deflated one could expand without bound."""
    path = tmp_path / "deflated.npz"
    path.write_bytes(archive(members(good_bytes), zipfile.ZIP_DEFLATED))
    with pytest.raises(ValueError, match="compressed"):
        nn.load_model(path)


def layer_config(doc, index):
    return doc["config"]["layers"][index]["config"]


CONFIG_CHANGES = {
    "unknown layer": lambda d: d["config"]["layers"][0].update(class_name="np"),
    "private base": lambda d: d["config"]["layers"][0].update(class_name="_Conv"),
    "module attribute": lambda d: d["config"]["layers"][0].update(class_name="Layer"),
    "regularizer class": lambda d: layer_config(d, 0).update(
        kernel_regularizer={"class_name": "check_real", "config": {}}),
    "regularizer value": lambda d: layer_config(d, 0).update(
        kernel_regularizer={"class_name": "L2", "config": {"l2": -1}}),
    "optimizer class": lambda d: d["compile"]["optimizer"].update(class_name="cpu"),
    "optimizer lr": lambda d: d["compile"]["optimizer"]["config"].update(learning_rate="0.1"),
    "nesterov string": lambda d: d["compile"]["optimizer"]["config"].update(nesterov="yes"),
    "loss class": lambda d: d["compile"]["loss"].update(class_name="Loss"),
    "metrics": lambda d: d["compile"].update(metrics="accuracy"),
    "unknown argument": lambda d: layer_config(d, 0).update(evil=1),
    "float filters": lambda d: layer_config(d, 0).update(filters=1e11),
    "string units": lambda d: layer_config(d, 3).update(units="3"),
    "bool use_bias": lambda d: layer_config(d, 0).update(use_bias="no"),
    "dtype": lambda d: layer_config(d, 0).update(dtype="object"),
    "initializer": lambda d: layer_config(d, 3).update(kernel_initializer="os.system"),
    "huge kernel_size": lambda d: layer_config(d, 0).update(kernel_size=[2**40, 2**40]),
    "padding": lambda d: layer_config(d, 0).update(padding=0),
    "duplicate names": lambda d: layer_config(d, 3).update(name="conv"),
    "no input shape": lambda d: d["config"].update(input_shape=None),
    "bad input shape": lambda d: d["config"].update(input_shape=[5, -5, 1]),
    "layers not a list": lambda d: d["config"].update(layers={}),
    "config a list": lambda d: d.update(config=[]),
    "version": lambda d: d.update(version=True),
    "format": lambda d: d.update(format="keras"),
    "extra key": lambda d: d.update(evil=1),
}


@pytest.mark.parametrize("change", list(CONFIG_CHANGES.values()), ids=list(CONFIG_CHANGES))
def test_tampered_configs(tmp_path, good_bytes, change):
    changed = copy.deepcopy(document(good_bytes))
    change(changed)
    path = tmp_path / "tampered.npz"
    path.write_bytes(with_document(good_bytes, changed))
    with pytest.raises(ValueError) as info:
        nn.load_model(path)
    harness.check_error(info.value, str(path), kinds=(ValueError,))


def test_custom_objects_extend_the_allow_list(tmp_path):
    class Scale(nn.Layer):
        def __init__(self, factor=2.0, **kwargs):
            self.factor = factor
            super().__init__(**kwargs)

        def _forward(self, x, training):
            self._cache_output_shape = x.shape
            self._cache = ()
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    model = nn.Sequential([nn.Input((2,)), Scale(3.0, name="scale"), nn.Dense(1)])
    model.build(seed=0)
    path = tmp_path / "custom.npz"
    model.save(path)
    with pytest.raises(ValueError, match="unknown layer class 'Scale'"):
        nn.load_model(path)
    loaded = nn.load_model(path, custom_objects={"Scale": Scale})
    np.testing.assert_array_equal(loaded.predict(np.ones((1, 2))), model.predict(np.ones((1, 2))))
    for bad in ({"Scale": "Scale"}, ["Scale"], {3: Scale}):
        with pytest.raises(TypeError, match="custom_objects"):
            nn.load_model(path, custom_objects=bad)


def test_leaky_relu_activations_keep_their_slope_and_custom_ones_are_refused(tmp_path):
    model = nn.Sequential([nn.Dense(2, activation=nn.activations.leaky_relu(0.1),
                                    input_shape=(2,), kernel_initializer="ones")])
    path = tmp_path / "leaky.npz"
    model.save(path)
    x = np.array([[-1.0, -2.0]])
    np.testing.assert_allclose(nn.load_model(path).predict(x), [[-0.3, -0.3]], rtol=1e-6)
    softplus = nn.ActivationFunction("softplus", lambda z: np.logaddexp(0, z),
                                     lambda grad, y: grad * -np.expm1(-y))
    custom = nn.Sequential([nn.Dense(2, activation=softplus, input_shape=(2,))])
    with pytest.raises(TypeError, match="cannot be saved"):
        custom.save(tmp_path / "custom.npz")
    assert not (tmp_path / "custom.npz").exists()


def test_load_weights_of_a_damaged_or_foreign_file(tmp_path, good_bytes):
    target = saved_model()
    before = target.get_weights()
    contents = members(good_bytes)
    contents["weight_2.npy"] = npy(np.zeros(7, np.float32))
    path = tmp_path / "w.npz"
    path.write_bytes(archive(contents))
    with pytest.raises(ValueError, match="weight 2 must have shape"):
        target.load_weights(path)
    for old, new in zip(before, target.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)      # nothing changed


def test_paths_and_flags(tmp_path, good_bytes):
    with pytest.raises(FileNotFoundError):
        nn.load_model(tmp_path / "missing.npz")
    with pytest.raises(OSError):
        nn.load_model(tmp_path)
    with pytest.raises(TypeError, match="path"):
        nn.load_model(3.5)
    path = tmp_path / "m.npz"
    path.write_bytes(good_bytes)
    with pytest.raises(TypeError, match="compile"):
        nn.load_model(path, compile="no")
    assert nn.load_model(path, compile=False).loss is None
    with pytest.raises(OSError):
        MODEL.save(tmp_path / "missing-folder" / "m.npz")


# ------------------------------------------------------------------------ allocations


def test_a_config_asking_for_1e11_filters_is_refused_before_allocating(tmp_path, good_bytes):
    changed = copy.deepcopy(document(good_bytes))
    layer_config(changed, 0)["filters"] = 10**11
    path = tmp_path / "huge.npz"
    path.write_bytes(with_document(good_bytes, changed))
    report = harness.assert_isolated_error(f"""
        from sigconv import nn
        nn.load_model({str(path)!r})
    """, "filters", kinds=("MemoryError",))
    assert str(path) in report["message"]


def test_an_input_shape_of_1e12_is_refused_before_allocating(tmp_path, good_bytes):
    changed = copy.deepcopy(document(good_bytes))
    changed["config"]["input_shape"] = [10**6, 10**6, 1]
    path = tmp_path / "wide.npz"
    path.write_bytes(with_document(good_bytes, changed))
    harness.assert_isolated_error(f"""
        from sigconv import nn
        nn.load_model({str(path)!r})
    """, str(path), kinds=("MemoryError", "ValueError"))


# ------------------------------------------------------- the path argument (issue 14)

SAVE_AND_LOAD = [
    ("save", lambda path: MODEL.save(path)),
    ("save_weights", lambda path: MODEL.save_weights(path)),
    ("load_weights", lambda path: saved_model().load_weights(path)),
    ("load_model", lambda path: nn.load_model(path)),
]


@pytest.mark.parametrize(("label", "call"), SAVE_AND_LOAD, ids=[s[0] for s in SAVE_AND_LOAD])
@pytest.mark.parametrize(("path", "kind"), [
    (None, TypeError), (5, TypeError), (True, TypeError), (2.5, TypeError),
    (["m.npz"], TypeError), ("", ValueError), (b"", ValueError)], ids=repr)
def test_the_path_argument_is_named(tmp_path, monkeypatch, label, call, path, kind):
    """os.fspath's own "expected str, bytes or os.PathLike object, not NoneType" named
    nothing; an int was even a file descriptor to os.fspath's callers."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(kind) as info:
        call(path)
    harness.check_error(info.value, ("path", "filepath"))
    assert list(tmp_path.iterdir()) == []                   # nothing was written


def test_a_path_like_and_bytes_path_round_trip(tmp_path):
    MODEL.save(tmp_path / "m.npz")
    loaded = nn.load_model(bytes(tmp_path / "m.npz"))
    np.testing.assert_array_equal(loaded.predict(X), MODEL.predict(X))
