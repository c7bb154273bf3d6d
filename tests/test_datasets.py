"""Tests of sigconv.datasets on small files written in the real formats.

No test touches the network: an autouse fixture unsets SIGCONV_DATA, points the cache
directory into ``tmp_path`` and makes ``pooch.retrieve`` fail as it does offline.
"""

import gzip
import io
import os
import pickle
import tarfile

import numpy as np
import pooch
import pytest
import requests
from sklearn.datasets import load_digits as sklearn_load_digits

from sigconv import datasets

MNIST_NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
CIFAR_NAME = "cifar-10-python.tar.gz"
CIFAR_MEMBERS = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
DEFAULT_CACHE_DIR = datasets._cache_dir


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No SIGCONV_DATA, a cache directory in tmp_path, and downloads that fail offline."""
    monkeypatch.delenv("SIGCONV_DATA", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setattr(datasets, "_cache_dir", lambda: cache)
    calls = []

    def no_network(url, **kwargs):
        calls.append((url, kwargs))
        raise requests.exceptions.ConnectionError(f"no network in the tests ({url})")

    monkeypatch.setattr(pooch, "retrieve", no_network)
    return calls


# --------------------------------------------------------------------- file builders


def idx_bytes(array, type_code=0x08, dtype=">u1"):
    """The idx encoding of ``array``: magic, big-endian uint32 sizes, big-endian values."""
    array = np.asarray(array)
    header = bytes([0, 0, type_code, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return header + array.astype(dtype).tobytes()


def write_gz(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as file:
        file.write(content)


def mnist_arrays(first_label=0):
    """10 training and 5 test images with distinct pixel values, labels from first_label."""
    rng = np.random.default_rng(first_label)
    x_train = rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    y_train = ((np.arange(10) + first_label) % 10).astype(np.uint8)
    y_test = np.array([9, 0, 4, 4, 1], dtype=np.uint8)
    return (x_train, y_train), (x_test, y_test)


def mnist_contents(first_label=0):
    """The uncompressed idx content of the four MNIST files by name, and their arrays."""
    (x_train, y_train), (x_test, y_test) = arrays = mnist_arrays(first_label)
    idx = [idx_bytes(x_train), idx_bytes(y_train), idx_bytes(x_test), idx_bytes(y_test)]
    return dict(zip(MNIST_NAMES, idx, strict=True)), arrays


def write_mnist(directory, first_label=0, names=MNIST_NAMES):
    """Write the four MNIST files (or those in ``names``) and return their arrays."""
    contents, arrays = mnist_contents(first_label)
    for name in names:
        write_gz(directory / name, contents[name])
    return arrays


def cifar_batch(n, seed):
    """Random channel-first rows (n, 3072) and labels, as in a CIFAR-10 batch."""
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
    labels = [int(label) for label in rng.integers(0, 10, size=n)]
    return {b"batch_label": b"batch %d" % seed, b"data": data, b"labels": labels,
            b"filenames": [b"image_%d.png" % i for i in range(n)]}


def cifar_batches(first_label=0):
    """Five training batches of different sizes and a test batch, by member name."""
    batches = {name: cifar_batch(n, seed + 10 * first_label) for seed, (name, n)
               in enumerate(zip(CIFAR_MEMBERS, [3, 2, 4, 1, 2, 3], strict=True))}
    batches["data_batch_1"][b"labels"][0] = first_label
    # image 0 of the test batch: pixel (row 1, column 2) is red 10, green 20, blue 30
    data = batches["test_batch"][b"data"]
    data[0, [0 * 1024 + 1 * 32 + 2, 1 * 1024 + 1 * 32 + 2, 2 * 1024 + 1 * 32 + 2]] = 10, 20, 30
    return batches


def write_tar(path, members):
    """A gzip-compressed tar of ``members`` (member name -> bytes), in the given order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        folder = tarfile.TarInfo("cifar-10-batches-py")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))


def write_cifar(directory, first_label=0, batches=None, pickled=None):
    """Write cifar-10-python.tar.gz, members in the shuffled order of the real archive.

    ``pickled`` overrides the bytes of some members (name -> bytes, None drops it).
    """
    batches = cifar_batches(first_label) if batches is None else batches
    contents = {name: pickle.dumps(batch, protocol=2) for name, batch in batches.items()}
    contents["batches.meta"] = pickle.dumps({b"label_names": [b"airplane"] * 10}, protocol=2)
    contents.update(pickled or {})
    order = ["data_batch_4", "batches.meta", "test_batch", "data_batch_3", "data_batch_2",
             "data_batch_5", "data_batch_1"]
    members = {f"cifar-10-batches-py/{name}": contents[name] for name in order
               if contents.get(name) is not None}
    write_tar(directory / CIFAR_NAME, members)
    return batches


def expected_cifar(batches):
    """What Keras returns for these batches: channels last, labels as a column."""
    def split(names):
        data = np.concatenate([batches[name][b"data"] for name in names])
        labels = np.concatenate([batches[name][b"labels"] for name in names])
        return (data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1),
                labels.astype(np.uint8).reshape(-1, 1))
    return split(CIFAR_MEMBERS[:5]), split(CIFAR_MEMBERS[5:])


# ------------------------------------------------------------------------------ digits


def test_load_digits_matches_sklearn():
    images, labels = datasets.load_digits()
    digits = sklearn_load_digits()
    assert images.shape == (1797, 8, 8, 1) and images.dtype == np.float32
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == 0 and images.max() == 16
    np.testing.assert_array_equal(images[..., 0], digits.images)
    np.testing.assert_array_equal(labels, digits.target)
    assert set(np.unique(labels)) == set(range(10))


# ------------------------------------------------------------------------ MNIST values


@pytest.mark.parametrize("as_str", [False, True])
def test_load_mnist_exact_values(tmp_path, as_str):
    (x_train, y_train), (x_test, y_test) = write_mnist(tmp_path / "data")
    folder = tmp_path / "data"
    (got_x_train, got_y_train), (got_x_test, got_y_test) = datasets.load_mnist(
        str(folder) if as_str else folder)
    for got, expected, shape in [(got_x_train, x_train, (10, 28, 28)),
                                 (got_y_train, y_train, (10,)),
                                 (got_x_test, x_test, (5, 28, 28)),
                                 (got_y_test, y_test, (5,))]:
        assert got.dtype == np.uint8 and got.shape == shape
        np.testing.assert_array_equal(got, expected)
    assert got_x_train.flags.writeable and got_x_train.flags.c_contiguous


def test_read_idx_other_types_from_file_object():
    values = np.array([[-2, 300], [7, -32768]], dtype=np.int16)
    got = datasets._read_idx(io.BytesIO(idx_bytes(values, type_code=0x0B, dtype=">i2")))
    assert got.dtype == np.dtype(np.int16) and got.dtype.isnative
    np.testing.assert_array_equal(got, values)
    compressed = io.BytesIO(gzip.compress(idx_bytes(np.array([1.5, -0.25]), 0x0D, ">f4")))
    np.testing.assert_array_equal(datasets._read_idx(compressed), [1.5, -0.25])


# ------------------------------------------------------------------------- CIFAR values


def test_load_cifar10_exact_values_channels_last(tmp_path):
    batches = write_cifar(tmp_path)
    (x_train, y_train), (x_test, y_test) = datasets.load_cifar10(tmp_path)
    (expected_x_train, expected_y_train), (expected_x_test, expected_y_test) = \
        expected_cifar(batches)
    assert x_train.shape == (12, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (12, 1) and y_train.dtype == np.uint8
    assert x_test.shape == (3, 32, 32, 3) and x_test.dtype == np.uint8
    assert y_test.shape == (3, 1) and y_test.dtype == np.uint8
    np.testing.assert_array_equal(x_train, expected_x_train)
    np.testing.assert_array_equal(y_train, expected_y_train)
    np.testing.assert_array_equal(x_test, expected_x_test)
    np.testing.assert_array_equal(y_test, expected_y_test)
    # red, green, blue of one pixel, each read from its own 1024-value plane
    np.testing.assert_array_equal(x_test[0, 1, 2], [10, 20, 30])
    # the training set is data_batch_1..5 in that order (write_cifar shuffles the archive)
    np.testing.assert_array_equal(y_train[3:5, 0], batches["data_batch_2"][b"labels"])
    assert x_train.flags.c_contiguous


# ------------------------------------------------------------------------- search order


def write_dataset(loader, directory, first_label):
    if loader is datasets.load_mnist:
        write_mnist(directory, first_label)
    else:
        write_cifar(directory, first_label)


def first_train_label(loaded):
    (_, y_train), _ = loaded
    return int(y_train.ravel()[0])


@pytest.mark.parametrize("loader", [datasets.load_mnist, datasets.load_cifar10])
def test_search_order_path_then_env_then_cache(loader, tmp_path, monkeypatch, offline):
    write_dataset(loader, tmp_path / "given", 1)
    write_dataset(loader, tmp_path / "env", 2)
    write_dataset(loader, tmp_path / "cache", 3)
    monkeypatch.setenv("SIGCONV_DATA", str(tmp_path / "env"))
    assert first_train_label(loader(tmp_path / "given")) == 1
    assert first_train_label(loader()) == 2
    monkeypatch.delenv("SIGCONV_DATA")
    assert first_train_label(loader()) == 3
    assert first_train_label(loader(tmp_path / "given", download=False)) == 1
    assert offline == []  # nothing was missing, so no download was tried


def test_each_file_comes_from_the_first_place_that_has_it(tmp_path, monkeypatch):
    (x_train, _), _ = write_mnist(tmp_path / "given", 1, names=MNIST_NAMES[:2])
    _, (x_test, _) = write_mnist(tmp_path / "env", 2, names=MNIST_NAMES[2:])
    monkeypatch.setenv("SIGCONV_DATA", str(tmp_path / "env"))
    (got_x_train, _), (got_x_test, _) = datasets.load_mnist(tmp_path / "given")
    np.testing.assert_array_equal(got_x_train, x_train)
    np.testing.assert_array_equal(got_x_test, x_test)


def test_default_cache_dir_is_pooch_os_cache():
    assert DEFAULT_CACHE_DIR() == pooch.os_cache("sigconv")


# ------------------------------------------------------------------------ missing files


@pytest.mark.parametrize("loader, names", [(datasets.load_mnist, MNIST_NAMES),
                                           (datasets.load_cifar10, [CIFAR_NAME])])
def test_missing_files_name_the_files_and_places(loader, names, tmp_path, monkeypatch,
                                                 offline):
    given = tmp_path / "given"
    given.mkdir()
    monkeypatch.setenv("SIGCONV_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError) as info:
        loader(given)
    message = str(info.value)
    for text in [*names, str(given), str(tmp_path / "nowhere"), "does not exist",
                 str(tmp_path / "cache"), "SIGCONV_DATA", "ConnectionError",
                 "no network in the tests"]:
        assert text in message
    assert len(offline) == 1  # the first failed download stops the attempts
    assert offline[0][1]["path"] == tmp_path / "cache"


def test_missing_file_without_download_names_only_what_is_missing(tmp_path, offline):
    write_mnist(tmp_path, names=MNIST_NAMES[:3])
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz") as info:
        datasets.load_mnist(tmp_path, download=False)
    message = str(info.value)
    assert "No download was tried (download=False)" in message
    assert "$SIGCONV_DATA (not set)" in message
    assert not any(name in message for name in MNIST_NAMES[:3])
    assert offline == []


@pytest.mark.parametrize("loader", [datasets.load_mnist, datasets.load_cifar10])
def test_bad_arguments(loader, tmp_path):
    with pytest.raises(FileNotFoundError, match="path must be an existing directory"):
        loader(tmp_path / "absent")
    (tmp_path / "a_file").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="a_file"):
        loader(tmp_path / "a_file")
    with pytest.raises(TypeError, match="path must be a directory"):
        loader(3)
    with pytest.raises(TypeError, match="download must be True or False"):
        loader(tmp_path, download="yes")


# ---------------------------------------------------------------------------- downloads


@pytest.mark.parametrize("loader, base_url", [
    (datasets.load_mnist, "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    (datasets.load_cifar10, "https://www.cs.toronto.edu/~kriz/"),
])
def test_missing_files_are_downloaded_into_the_cache(loader, base_url, tmp_path,
                                                     monkeypatch):
    source = tmp_path / "server"
    write_dataset(loader, source, 4)
    calls = []

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        calls.append((url, known_hash, fname, path))
        os.makedirs(path, exist_ok=True)
        target = os.path.join(path, fname)
        with open(target, "wb") as file:
            file.write((source / fname).read_bytes())
        return target

    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    assert first_train_label(loader()) == 4
    names = sorted(os.listdir(source))
    assert sorted(fname for _, _, fname, _ in calls) == names
    for url, known_hash, fname, path in calls:
        assert url == base_url + fname
        assert known_hash.startswith("sha256:") and len(known_hash) == len("sha256:") + 64
        int(known_hash[len("sha256:"):], 16)
        assert path == tmp_path / "cache" and (path / fname).is_file()
    assert len({known_hash for _, known_hash, _, _ in calls}) == len(calls)
    calls.clear()
    assert first_train_label(loader()) == 4  # now found in the cache
    assert calls == []


# ------------------------------------------------------------------------ damaged MNIST


def labels_with(value):
    labels = mnist_arrays()[0][1].copy()
    labels[3] = value
    return idx_bytes(labels)


MNIST_DAMAGE = {
    # name: (file damaged, raw bytes written as they are, or None to gzip the idx, idx)
    "not gzip nor idx": (MNIST_NAMES[0], b"<html>Not Found</html>", None),
    "bad gzip stream": (MNIST_NAMES[0], b"\x1f\x8b\x08\x00" + b"\xff" * 40, None),
    "truncated gzip": (MNIST_NAMES[0], "half", None),
    "unknown type code": (MNIST_NAMES[1], None, b"\0\0\x07\x01" + b"\0\0\0\x0a" + b"\0" * 10),
    "header cut short": (MNIST_NAMES[0], None, b"\0\0\x08\x03\0\0\0\x0a\0\0"),
    "images magic for labels": (MNIST_NAMES[1], None,
                                idx_bytes(np.zeros((10, 28, 28), np.uint8))),
    "labels magic for images": (MNIST_NAMES[2], None, idx_bytes(np.zeros(5, np.uint8))),
    "int32 labels": (MNIST_NAMES[3], None, idx_bytes(np.zeros(5), 0x0C, ">i4")),
    "images of another size": (MNIST_NAMES[0], None,
                               idx_bytes(np.zeros((10, 27, 28), np.uint8))),
    "fewer values than the header": (MNIST_NAMES[0], None, "drop"),
    "more values than the header": (MNIST_NAMES[0], None, "extra"),
    "fewer labels than images": (MNIST_NAMES[1], None, idx_bytes(np.zeros(9, np.uint8))),
    "more labels than images": (MNIST_NAMES[3], None, idx_bytes(np.zeros(6, np.uint8))),
    "label 10": (MNIST_NAMES[1], None, labels_with(10)),
    "label 255": (MNIST_NAMES[1], None, labels_with(255)),
}


@pytest.mark.parametrize("case", MNIST_DAMAGE)
def test_damaged_mnist_file_is_a_value_error_naming_it(case, tmp_path):
    damaged, raw, idx = MNIST_DAMAGE[case]
    contents, _ = mnist_contents()
    for name, content in contents.items():
        write_gz(tmp_path / name, content)
    if idx == "drop":
        idx = contents[damaged][:-1]
    elif idx == "extra":
        idx = contents[damaged] + b"\0"
    if raw == "half":
        compressed = (tmp_path / damaged).read_bytes()
        (tmp_path / damaged).write_bytes(compressed[:len(compressed) // 2])
    elif raw is not None:
        (tmp_path / damaged).write_bytes(raw)
    else:
        write_gz(tmp_path / damaged, idx)
    with pytest.raises(ValueError, match=damaged):
        datasets.load_mnist(tmp_path, download=False)


def test_uncompressed_idx_files_load_too(tmp_path):
    contents, ((x_train, _), _) = mnist_contents()
    for name, content in contents.items():
        (tmp_path / name).write_bytes(content)
    (got_x_train, _), _ = datasets.load_mnist(tmp_path)
    np.testing.assert_array_equal(got_x_train, x_train)


# ------------------------------------------------------------------------ damaged CIFAR


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def batch_with(**changes):
    batch = cifar_batch(2, 99)
    for key, value in changes.items():
        if value is None:
            del batch[key.encode()]
        else:
            batch[key.encode()] = value
    return pickle.dumps(batch, protocol=2)


CIFAR_DAMAGE = {
    # name: bytes of one member (None: no such member), member name, message pattern
    "missing test batch": ("test_batch", None, "lacks the member"),
    "missing training batch": ("data_batch_3", None, "data_batch_3"),
    "not a pickle": ("data_batch_2", b"not a pickle at all", "data_batch_2"),
    "truncated pickle": ("data_batch_2", pickle.dumps(cifar_batch(2, 1), 2)[:-300],
                         "truncated"),
    "a list, not a dict": ("test_batch", pickle.dumps([1, 2], 2), "must hold a dict"),
    "no labels": ("data_batch_1", batch_with(labels=None), "b'labels'"),
    "data of 3071 columns": ("data_batch_1", batch_with(data=np.zeros((2, 3071), np.uint8)),
                             r"\(n, 3072\)"),
    "int64 data": ("data_batch_1", batch_with(data=np.zeros((2, 3072), np.int64)),
                   "uint8"),
    "data as bytes": ("data_batch_1", batch_with(data=bytes(6144)), "uint8"),
    "three labels for two images": ("data_batch_5", batch_with(labels=[1, 2, 3]),
                                    "2 integers"),
    "float labels": ("data_batch_5", batch_with(labels=[1.0, 2.0]), "integers"),
    "ragged labels": ("data_batch_5", batch_with(labels=[1, [2]]), "integers"),
    "label 10": ("test_batch", batch_with(labels=[3, 10]), "outside 0..9"),
    "label -1": ("test_batch", batch_with(labels=[-1, 3]), "outside 0..9"),
    "code in the pickle": ("test_batch", pickle.dumps({b"data": Evil()}, 2),
                           "refusing to load"),
}


@pytest.mark.parametrize("case", CIFAR_DAMAGE)
def test_damaged_cifar_batch_is_a_value_error_naming_it(case, tmp_path, capfd):
    member, content, pattern = CIFAR_DAMAGE[case]
    write_cifar(tmp_path, pickled={member: content})
    with pytest.raises(ValueError, match=pattern) as info:
        datasets.load_cifar10(tmp_path, download=False)
    assert CIFAR_NAME in str(info.value)
    assert "pwned" not in capfd.readouterr().out


@pytest.mark.parametrize("content", ["half", b"not a tar archive", b"\x1f\x8b\x08\x00junk"])
def test_damaged_cifar_archive_is_a_value_error_naming_it(content, tmp_path):
    write_cifar(tmp_path)
    archive = tmp_path / CIFAR_NAME
    if content == "half":
        content = archive.read_bytes()[:archive.stat().st_size // 2]
    archive.write_bytes(content)
    with pytest.raises(ValueError, match=CIFAR_NAME):
        datasets.load_cifar10(tmp_path, download=False)


def python2_pickle(data, labels):
    """A batch pickled as Python 2 and NumPy 1 wrote the real archive.

    Protocol 2 with every str a byte string (BINSTRING) and the array rebuilt by
    ``numpy.core.multiarray._reconstruct`` from a dtype named ``'u1'`` and raw bytes.
    """
    def string(value):
        return b"T" + len(value).to_bytes(4, "little") + value

    rows, columns = data.shape
    array = (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85"
             + string(b"b") + b"\x87R(K\x01J" + rows.to_bytes(4, "little") + b"M"
             + columns.to_bytes(2, "little") + b"\x86cnumpy\ndtype\n" + string(b"u1")
             + b"K\x00K\x01\x87R(K\x03" + string(b"|")
             + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89"
             + string(data.tobytes()) + b"tb")
    label_list = b"](" + b"".join(b"K" + bytes([label]) for label in labels) + b"e"
    return (b"\x80\x02}(" + string(b"data") + array + string(b"labels") + label_list
            + b"u.")


def test_cifar_batches_pickled_by_python2_load(tmp_path):
    batches = cifar_batches()
    contents = {name: python2_pickle(batch[b"data"], batch[b"labels"])
                for name, batch in batches.items()}
    write_cifar(tmp_path, batches=batches, pickled=contents)
    (x_train, y_train), (x_test, y_test) = datasets.load_cifar10(tmp_path)
    (expected_x_train, expected_y_train), (expected_x_test, expected_y_test) = \
        expected_cifar(batches)
    np.testing.assert_array_equal(x_train, expected_x_train)
    np.testing.assert_array_equal(y_train, expected_y_train)
    np.testing.assert_array_equal(x_test, expected_x_test)
    np.testing.assert_array_equal(y_test, expected_y_test)
    np.testing.assert_array_equal(x_test[0, 1, 2], [10, 20, 30])


def test_cifar_batches_pickled_by_numpy_with_other_protocols_load(tmp_path):
    batches = cifar_batches()
    contents = {name: pickle.dumps(batch, protocol=5) for name, batch in batches.items()}
    # NumPy integers as labels, and an array pickled with protocol 4
    test_batch = dict(batches["test_batch"])
    test_batch[b"labels"] = [np.int64(label) for label in test_batch[b"labels"]]
    contents["test_batch"] = pickle.dumps(test_batch, protocol=4)
    write_cifar(tmp_path, batches=batches, pickled=contents)
    (x_train, _), (x_test, y_test) = datasets.load_cifar10(tmp_path)
    (expected_x_train, _), (expected_x_test, expected_y_test) = expected_cifar(batches)
    np.testing.assert_array_equal(x_train, expected_x_train)
    np.testing.assert_array_equal(x_test, expected_x_test)
    np.testing.assert_array_equal(y_test, expected_y_test)
