"""Hostile inputs for sigconv.datasets: tampered, truncated and random archives and idx
files (each a ValueError naming the file, never a traceback from tarfile, gzip or pickle),
"gzip bombs" and pickles that ask for terabytes (refused after at most the format's known
size, checked in a child process under a memory cap), and bad arguments."""

import gzip
import io
import os
import pickle
import tarfile

import harness
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigconv import datasets

MNIST_NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
CIFAR_NAME = "cifar-10-python.tar.gz"
FOLDER = "cifar-10-batches-py"
BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No $SIGCONV_DATA, an empty cache, no download."""
    monkeypatch.delenv("SIGCONV_DATA", raising=False)
    monkeypatch.setattr(datasets, "_cache_dir", lambda: tmp_path / "cache")


# ------------------------------------------------------------------------------ builders


def idx_bytes(array):
    array = np.asarray(array, np.uint8)
    return (bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
            + array.tobytes())


def mnist_arrays():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (4, 28, 28)), np.arange(4) % 10,
            rng.integers(0, 256, (2, 28, 28)), np.array([9, 0])]


def write_mnist(directory, contents=None):
    contents = contents or {}
    for name, array in zip(MNIST_NAMES, mnist_arrays(), strict=True):
        content = contents.get(name, idx_bytes(array))
        (directory / name).write_bytes(gzip.compress(content, compresslevel=1))


def batch_bytes(n=2, seed=0, **changes):
    rng = np.random.default_rng(seed)
    batch = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             b"labels": [int(k) for k in rng.integers(0, 10, n)]}
    batch.update({key.encode(): value for key, value in changes.items()})
    return pickle.dumps(batch, protocol=2)


def file_member(name, content):
    info = tarfile.TarInfo(name)
    info.size = len(content)
    return info, io.BytesIO(content)


def write_cifar(directory, extra=(), replace=None):
    """A valid archive; ``extra`` members (TarInfo, fileobj or None) are added first and
    ``replace`` maps batch names to other TarInfo/fileobj pairs (None drops the batch)."""
    replace = replace or {}
    path = directory / CIFAR_NAME
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for info, content in extra:
            if content is not None:  # the cases below are shared by parametrized runs
                content.seek(0)
            tar.addfile(info, content)
        for index, name in enumerate(BATCHES):
            member = replace.get(name, file_member(f"{FOLDER}/{name}", batch_bytes(2, index)))
            if member is not None:
                if member[1] is not None:
                    member[1].seek(0)
                tar.addfile(*member)
    return path


def link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def load_error(directory):
    with pytest.raises(ValueError) as info:
        datasets.load_cifar10(directory, download=False)
    assert CIFAR_NAME in str(info.value)
    return str(info.value)


# ------------------------------------------------------------------------- tar members


def test_a_valid_archive_loads(tmp_path):
    write_cifar(tmp_path)
    (x_train, y_train), (x_test, y_test) = datasets.load_cifar10(tmp_path, download=False)
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    expected = np.frombuffer(pickle.loads(batch_bytes(2, 5))[b"data"], np.uint8)
    np.testing.assert_array_equal(x_test, expected.reshape(2, 3, 32, 32).transpose(0, 2, 3, 1))


TAMPERED = {
    "dangling symlink batch": ({"test_batch": link(f"{FOLDER}/test_batch", "nowhere")},
                               (), "link"),
    "symlink to another batch": ({"test_batch": link(f"{FOLDER}/test_batch",
                                                     "data_batch_1")}, (), "link"),
    "symlink out of the folder": ({}, [link(f"{FOLDER}/readme.html", "/etc/passwd")],
                                  "link"),
    "hard link": ({"test_batch": link(f"{FOLDER}/test_batch", f"{FOLDER}/data_batch_1",
                                      tarfile.LNKTYPE)}, (), "link"),
    "absolute member": ({}, [file_member("/tmp/evil", b"x")], "absolute"),
    "member climbing out": ({}, [file_member("../evil", b"x")], "absolute path or leaves"),
    "climbing inside the folder": ({}, [file_member(f"{FOLDER}/../../evil", b"x")],
                                   "leaves"),
    "batch that is a folder": ({"test_batch": (tarfile.TarInfo(f"{FOLDER}/test_batch"),
                                               None)}, (), "test_batch"),
    "batch twice": ({}, [file_member(f"{FOLDER}/test_batch", batch_bytes())], "twice"),
}
TAMPERED["batch that is a folder"][0]["test_batch"][0].type = tarfile.DIRTYPE


def device(name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.CHRTYPE
    info.devmajor, info.devminor = 1, 3
    return info, None


TAMPERED["device member"] = ({}, [device(f"{FOLDER}/zero")], "not a regular file")


@pytest.mark.parametrize("filter_available", [True, False])
@pytest.mark.parametrize("case", TAMPERED)
def test_tampered_members_are_refused(case, filter_available, tmp_path, monkeypatch):
    """With the standard library's data filter and without it (Pythons before 3.11.4)."""
    if not filter_available:
        monkeypatch.setattr(datasets, "_DATA_FILTER", None)
    replace, extra, fragment = TAMPERED[case]
    write_cifar(tmp_path, extra=extra, replace=replace)
    message = load_error(tmp_path)
    assert fragment in message, message


@pytest.mark.skipif(not hasattr(tarfile, "FilterError"), reason="no tar filters here")
def test_data_filter_refusal_is_a_value_error(tmp_path, monkeypatch):
    """Whatever tarfile.data_filter refuses (a future rule) becomes a ValueError too."""
    def strict(member, path):
        raise tarfile.FilterError(f"no {member.name}")

    monkeypatch.setattr(datasets, "_DATA_FILTER", strict)
    write_cifar(tmp_path)
    assert "data filter" in load_error(tmp_path)


def test_a_member_larger_than_a_batch_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_CIFAR10_MAX_MEMBER", 4096)
    write_cifar(tmp_path, extra=[file_member(f"{FOLDER}/readme.html", bytes(5000))])
    assert "declares 5000 bytes" in load_error(tmp_path)


def test_the_limits_admit_full_batches_pickled_by_python_3():
    """10000 images pickled with protocol 2 by Python 3 (bytes as UTF-8 latin-1 text, 46
    MB for random pixels): under the member limit, six of them under the stream limit."""
    rng = np.random.default_rng(0)
    batch = {b"batch_label": b"training batch 1 of 5",
             b"data": rng.integers(0, 256, (10000, 3072), dtype=np.uint8),
             b"labels": [int(k) for k in rng.integers(0, 10, 10000)],
             b"filenames": [b"leptodactylus_pentadactylus_s_%06d.png" % i
                            for i in range(10000)]}
    size = max(len(pickle.dumps(batch, protocol)) for protocol in (2, 3, 4, 5))
    assert size <= datasets._CIFAR10_MAX_MEMBER
    assert 6 * (size + 512) + 10240 <= datasets._CIFAR10_MAX_TAR


def test_a_stream_longer_than_the_archive_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_CIFAR10_MAX_TAR", 30_000)
    write_cifar(tmp_path, extra=[file_member(f"{FOLDER}/pad{i}", bytes(9000))
                                 for i in range(4)])
    assert "decompresses to more than the 30000 bytes" in load_error(tmp_path)


def test_a_batch_of_more_than_10000_images_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_CIFAR10_BATCH_SIZE", 3)
    write_cifar(tmp_path, replace={"test_batch": file_member(f"{FOLDER}/test_batch",
                                                             batch_bytes(4))})
    assert "holds 4 images, more than the 3" in load_error(tmp_path)


class HugeArray:
    """Pickles as ``numpy.ndarray((10**6, 3072), 'u1')``: a few bytes asking for 3 GB."""

    def __init__(self, via):
        self.via = via

    def __reduce__(self):
        if self.via == "ndarray":
            return np.ndarray, ((10**6, 3072), "u1")
        reconstruct = np.ndarray.__reduce__(np.empty(0))[0]
        return reconstruct, (np.ndarray, (10**6, 3072), b"b")


class Encoded:
    """Pickles as ``_codecs.encode('...', 'zlib_codec')``: a codec no batch needs."""

    def __reduce__(self):
        import _codecs

        return _codecs.encode, ("x" * 10, "rot13")


@pytest.mark.parametrize("content, fragment", [
    (batch_bytes(data=HugeArray("ndarray")), "more than the"),
    (batch_bytes(data=HugeArray("reconstruct")), "more than the"),
    (batch_bytes(labels=Encoded()), "refusing _codecs.encode"),
])
def test_pickles_asking_for_more_than_a_batch(content, fragment, tmp_path):
    write_cifar(tmp_path, replace={"test_batch": file_member(f"{FOLDER}/test_batch",
                                                             content)})
    assert fragment in load_error(tmp_path)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("keys", [bytes, str])
@pytest.mark.parametrize("n, labels_as", [(0, list), (2, list), (0, np.array), (3, np.array)])
def test_batches_pickled_again_by_python_3_load(protocol, keys, n, labels_as, tmp_path):
    """Any protocol, byte-string or text keys, no image at all: a real batch's content
    (with its extra entries) pickled again by Python 3 loads unchanged."""
    rng = np.random.default_rng(n)
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    labels = [int(k) for k in rng.integers(0, 10, n)]
    batch = {"batch_label": b"testing batch 1 of 1", "data": data,
             "labels": labels_as(labels), "filenames": [b"cat.png"] * n}
    batch = {(key.encode() if keys is bytes else key): value for key, value in batch.items()}
    content = pickle.dumps(batch, protocol=protocol)
    write_cifar(tmp_path, replace={"test_batch": file_member(f"{FOLDER}/test_batch",
                                                             content)})
    _, (x_test, y_test) = datasets.load_cifar10(tmp_path, download=False)
    np.testing.assert_array_equal(x_test, data.reshape(n, 3, 32, 32).transpose(0, 2, 3, 1))
    assert y_test.dtype == np.uint8
    np.testing.assert_array_equal(y_test, np.array(labels, np.uint8).reshape(n, 1))


class Call:
    """Pickles as ``function(*args)``."""

    def __init__(self, function, *args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


@pytest.mark.parametrize("content, fragment", [
    # bytes(n) would allocate n bytes: only bytes() and a copy are what pickles ask for
    (batch_bytes(labels=Call(bytes, 10**12)), "refusing bytes() of int"),
    (batch_bytes(labels=Call(bytes, "abc", "ascii")), "refusing bytes() of str, str"),
    (batch_bytes(labels=Call(os.system, "true")), "refusing to load the global posix.system"),
    (batch_bytes(labels=Call(eval, "1")), "refusing to load the global __builtin__.eval"),
    (batch_bytes(labels=Call(getattr, 1, "real")), "refusing to load the global "
                                                    "__builtin__.getattr"),
    (pickle.dumps({b"data": Call(getattr, 1, "real")}, protocol=4),
     "refusing to load the global builtins.getattr"),
    (batch_bytes(labels=Call(bytearray, 10)), "refusing to load the global "
                                              "__builtin__.bytearray"),
    (pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), "data": np.zeros((1, 3072),
                   np.uint8), b"labels": [1]}), "each once"),
    (pickle.dumps({"data": np.zeros((1, 3072), np.uint8)}), "'data' and 'labels'"),
])
def test_globals_a_batch_does_not_need_are_refused(content, fragment, tmp_path):
    write_cifar(tmp_path, replace={"test_batch": file_member(f"{FOLDER}/test_batch",
                                                             content)})
    assert fragment in load_error(tmp_path)


def gzip_of_zeros(n_mib):
    """A gzip stream of ``n_mib`` MiB of zeros, a few KiB long (concatenated members)."""
    return gzip.compress(bytes(1 << 20), compresslevel=9) * n_mib


def tar_header(name, size):
    info = tarfile.TarInfo(name)
    info.size = size
    return info.tobuf(format=tarfile.GNU_FORMAT)


BOMB_SETUP = """
import gzip, os, sys, tarfile, tempfile
sys.path.insert(0, {here!r})
from test_datasets import gzip_of_zeros, tar_header
folder = tempfile.mkdtemp()
os.environ.pop("SIGCONV_DATA", None)
"""


@pytest.mark.full
@pytest.mark.parametrize("kind, fragment", [
    ("one huge member", "declares 3221225472 bytes"),
    ("many members", "decompresses to more than"),
    ("huge pickle", "asks for an array of 3072000000 bytes")])
def test_archive_bombs_stop_early_under_a_memory_cap(kind, fragment):
    """A few KiB of gzip that decompress to GiBs: refused after at most the archive's
    known size, without reading it all (isolated: 2 GiB of address space, 120 s)."""
    here = os.path.dirname(os.path.abspath(__file__))
    build = {
        # one member of 3 GiB of zeros (its header declares it: refused unread)
        "one huge member": "parts = [gzip.compress(tar_header('cifar-10-batches-py/"
                           "readme.html', 3 << 30)), gzip_of_zeros(3 << 10)]",
        # 20 members of 30 MiB: each under a batch's size, 600 MiB in all
        "many members": "parts = [gzip.compress(tar_header(f'cifar-10-batches-py/pad{i}', "
                        "30 << 20)) + gzip_of_zeros(30) for i in range(20)]",
        # a batch pickle of 10 bytes asking numpy for 3 GB
        "huge pickle": "import pickle, numpy as np\n"
                       "class Huge:\n"
                       "    def __reduce__(self):\n"
                       "        return np.ndarray, ((10**6, 3072), 'u1')\n"
                       "content = pickle.dumps({b'data': Huge(), b'labels': [1]}, 2)\n"
                       "parts = [gzip.compress(tar_header('cifar-10-batches-py/test_batch',"
                       " len(content)) + content + bytes(-len(content) % 512))]",
    }[kind]
    code = BOMB_SETUP.format(here=here) + build + """
with open(os.path.join(folder, "cifar-10-python.tar.gz"), "wb") as file:
    file.write(b"".join(parts))
from sigconv import datasets
datasets.load_cifar10(folder, download=False)
"""
    report = harness.assert_isolated_error(code, CIFAR_NAME, kinds=("ValueError",),
                                           timeout=120)
    assert fragment in report["message"], report


# ---------------------------------------------------------------------- random archives


@settings(max_examples=40)
@given(content=st.binary(max_size=2000))
def test_random_bytes_as_the_archive(content, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cifar")
    (folder / CIFAR_NAME).write_bytes(content)
    load_error(folder)


@pytest.fixture(scope="module")
def valid_archive(tmp_path_factory):
    return write_cifar(tmp_path_factory.mktemp("valid")).read_bytes()


@settings(max_examples=40)
@given(truncate=st.booleans(), where=st.integers(0, 2**31), xor=st.integers(1, 255))
def test_truncated_or_flipped_archive(valid_archive, truncate, where, xor, tmp_path_factory):
    """A cut or a flipped byte anywhere: the archive loads (equal to the original, when
    the flip fell where gzip does not look, e.g. its header's timestamp) or is refused."""
    content = bytearray(valid_archive)
    where %= len(content)
    if truncate:
        content = content[:where]
    else:
        content[where] ^= xor
    folder = tmp_path_factory.mktemp("cifar")
    (folder / CIFAR_NAME).write_bytes(bytes(content))
    reference = tmp_path_factory.mktemp("reference")
    (reference / CIFAR_NAME).write_bytes(valid_archive)
    try:
        loaded = datasets.load_cifar10(folder, download=False)
    except ValueError as exc:
        assert CIFAR_NAME in str(exc)
    else:
        expected = datasets.load_cifar10(reference, download=False)
        for got, want in zip(loaded, expected, strict=True):
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])


@settings(max_examples=40)
@given(members=st.lists(st.tuples(
    st.sampled_from([f"{FOLDER}/{name}" for name in BATCHES] + ["/abs", "../up", "x/../../y",
                                                                 f"{FOLDER}/readme.html"]),
    st.sampled_from([tarfile.REGTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.DIRTYPE,
                     tarfile.FIFOTYPE]),
    st.binary(max_size=64)), max_size=8))
def test_random_members(members, tmp_path_factory):
    """Any mix of member names and kinds: a ValueError naming the archive (no archive of
    these tiny members holds six valid batches)."""
    folder = tmp_path_factory.mktemp("cifar")
    with tarfile.open(folder / CIFAR_NAME, "w:gz") as tar:
        for name, kind, content in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.REGTYPE:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
            else:
                info.linkname = content.decode("latin-1")
                tar.addfile(info)
    load_error(folder)


# -------------------------------------------------------------------------------- MNIST


def naive_idx(content):
    """The array an idx file holds, or None when it is not a valid one (the oracle)."""
    if len(content) < 4 or content[:2] != b"\0\0" or content[2] != 0x08 or not content[3]:
        return None
    ndim = content[3]
    if len(content) < 4 + 4 * ndim:
        return None
    shape = tuple(int.from_bytes(content[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if len(content) - 4 - 4 * ndim != int(np.prod(shape, dtype=object)):
        return None
    return np.frombuffer(content[4 + 4 * ndim:], np.uint8).reshape(shape)


@settings(max_examples=50)
@given(data=st.data())
def test_tampered_mnist_headers_and_values(data, tmp_path_factory):
    """One byte of the uncompressed labels or images changed, the file cut or extended:
    the result equals the oracle's reading of the file, or a ValueError names it."""
    index = data.draw(st.sampled_from(range(4)), label="file")
    name = MNIST_NAMES[index]
    content = bytearray(idx_bytes(mnist_arrays()[index]))
    action = data.draw(st.sampled_from(["flip", "cut", "extend"]), label="action")
    if action == "flip":
        position = data.draw(st.integers(0, min(len(content) - 1, 40)), label="position")
        content[position] = data.draw(st.integers(0, 255), label="value")
    elif action == "cut":
        content = content[:data.draw(st.integers(0, len(content) - 1), label="cut")]
    else:
        content += data.draw(st.binary(min_size=1, max_size=20), label="tail")
    folder = tmp_path_factory.mktemp("mnist")
    write_mnist(folder, {name: bytes(content)})
    try:
        splits = datasets.load_mnist(folder, download=False)
    except ValueError as exc:
        assert any(mnist in str(exc) for mnist in MNIST_NAMES), exc
        return
    expected = naive_idx(bytes(content))
    assert expected is not None, "a file the oracle refuses was loaded"
    got = [array for split in splits for array in split][index]
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=30)
@given(content=st.binary(max_size=300), compressed=st.booleans())
def test_random_bytes_as_an_mnist_file(content, compressed, tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist")
    write_mnist(folder)
    (folder / MNIST_NAMES[1]).write_bytes(gzip.compress(content) if compressed else content)
    with pytest.raises(ValueError, match=MNIST_NAMES[1]):
        datasets.load_mnist(folder, download=False)


@pytest.mark.parametrize("name, shape", [
    (MNIST_NAMES[0], (60_001, 28, 28)), (MNIST_NAMES[2], (10_001, 28, 28)),
    (MNIST_NAMES[1], (60_001,)), (MNIST_NAMES[3], (2**32 - 1,)),
    (MNIST_NAMES[0], (2**32 - 1, 2**32 - 1, 2**32 - 1)),
])
def test_headers_declaring_more_than_the_real_file(name, shape, tmp_path):
    """Refused from the header alone, before any value is read (there are none here)."""
    header = bytes([0, 0, 0x08, len(shape)]) + np.array(shape, ">u4").tobytes()
    write_mnist(tmp_path, {name: header})
    with pytest.raises(ValueError, match=f"{name} declares"):
        datasets.load_mnist(tmp_path, download=False)


MNIST_BOMB = """
import gzip, os, sys, tempfile
import numpy as np
sys.path.insert(0, {here!r})
from test_datasets import gzip_of_zeros, write_mnist
from pathlib import Path
folder = Path(tempfile.mkdtemp())
write_mnist(folder)
header = bytes([0, 0, 8, 3]) + np.array([60000, 28, 28], ">u4").tobytes()
path = folder / "train-images-idx3-ubyte.gz"
{write}
from sigconv import datasets
datasets.load_mnist(folder, download=False)
"""


@pytest.mark.full
@pytest.mark.parametrize("write", [
    # a valid header, then 4 GiB of zeros instead of 45 MiB: stops after 45 MiB + 1 byte
    "path.write_bytes(gzip.compress(header) + gzip_of_zeros(4 << 10))",
    # the same bomb uncompressed would be a 4 GiB file: a sparse one
    "with open(path, 'wb') as f:\n    f.write(header)\n    f.truncate(4 << 30)",
])
def test_mnist_bombs_stop_at_the_declared_size(write):
    here = os.path.dirname(os.path.abspath(__file__))
    code = MNIST_BOMB.format(here=here, write=write)
    report = harness.assert_isolated_error(code, MNIST_NAMES[0], kinds=("ValueError",),
                                           timeout=120)
    assert "more than the 47040000 bytes" in report["message"]


# ---------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("loader", [datasets.load_mnist, datasets.load_cifar10])
@pytest.mark.parametrize("path", [3, 2.5, b"bytes", ["a"], object(), True])
def test_bad_path_types(loader, path):
    harness.check_error(pytest.raises(TypeError, loader, path).value, "path")


@pytest.mark.parametrize("loader", [datasets.load_mnist, datasets.load_cifar10])
@pytest.mark.parametrize("download", [1, 0, "yes", None, np.bool_(True)])
def test_bad_download_types(loader, download, tmp_path):
    harness.check_error(pytest.raises(TypeError, loader, tmp_path, download=download).value,
                        "download")


@pytest.mark.parametrize("path", ["", "\0nul", "does/not/exist"])
def test_paths_that_are_no_directory(path):
    with pytest.raises(FileNotFoundError, match="path must be an existing directory"):
        datasets.load_mnist(path, download=False)


@pytest.mark.parametrize("argument", ["n_train", "n_test"])
@pytest.mark.parametrize("value", harness.BAD_COUNTS)
def test_synthetic_cifar10_bad_counts(argument, value):
    if value == 2**70:
        return  # refused as a MemoryError, in the isolated test below
    harness.check_error(pytest.raises((TypeError, ValueError), datasets.synthetic_cifar10,
                                      **{argument: value}).value, argument)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True, [1, 2], np.nan])
def test_synthetic_cifar10_bad_seed(seed):
    harness.check_error(pytest.raises((TypeError, ValueError), datasets.synthetic_cifar10,
                                      10, 10, seed).value, "seed")


@pytest.mark.full
@pytest.mark.parametrize("counts", ["n_train=2**70", "n_train=10**9", "n_test=10**8"])
def test_synthetic_cifar10_refuses_what_does_not_fit(counts):
    harness.assert_isolated_error(
        f"from sigconv import datasets\nimport numpy as np\n"
        f"from sigconv import _config\n_config.MAX_MEMORY = 1 << 30\n"
        f"datasets.synthetic_cifar10({counts})", "n_train, n_test", kinds=("MemoryError",))


def test_synthetic_cifar10_accepts_numpy_integers_and_is_seeded():
    (x, y), (x_test, _) = datasets.synthetic_cifar10(np.int64(12), np.uint8(3), np.int32(4))
    (x2, y2), _ = datasets.synthetic_cifar10(12, 3, 4)
    assert x.shape == (12, 32, 32, 3) and x_test.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
