"""Datasets for the lecture: scikit-learn's digits, MNIST and CIFAR-10.

:func:`load_digits` returns the 8x8 digits bundled with scikit-learn (no file, no download).
:func:`load_mnist` and :func:`load_cifar10` return ``(x_train, y_train), (x_test, y_test)``
in the layout and dtypes of Keras' ``mnist.load_data()`` and ``cifar10.load_data()``, read
straight from the original distribution files:

=========  ==================================  ==========================================
dataset    files                               arrays
=========  ==================================  ==========================================
MNIST      ``train-images-idx3-ubyte.gz``,     ``x``: uint8 ``(n, 28, 28)``;
           ``train-labels-idx1-ubyte.gz``,     ``y``: uint8 ``(n,)``
           ``t10k-images-idx3-ubyte.gz``,
           ``t10k-labels-idx1-ubyte.gz``
CIFAR-10   ``cifar-10-python.tar.gz``          ``x``: uint8 ``(n, 32, 32, 3)``, channels
                                               last; ``y``: uint8 ``(n, 1)``
=========  ==================================  ==========================================

Each file is looked for, in this order, in

1. the directory given as the ``path`` argument;
2. the directory named by the environment variable ``SIGCONV_DATA``;
3. the cache directory ``pooch.os_cache("sigconv")`` (``~/.cache/sigconv`` on Linux).

A file found in none of them is downloaded into the cache directory with
:func:`pooch.retrieve`, which checks it against the SHA-256 hash its publishers list;
``download=False`` skips that attempt. A file found locally is read as it is, without a
hash check, so that small hand-made files in the same format load too; a damaged one is
refused with a :class:`ValueError` naming it, never returned half-read.
"""

import codecs
import contextlib
import gzip
import io
import math
import operator
import os
import pickle
import tarfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._validate import check_allocation, check_positive_int

__all__ = ["load_digits", "load_mnist", "load_cifar10", "synthetic_cifar10"]

ENV_VAR = "SIGCONV_DATA"
N_CLASSES = 10


class _Remote(NamedTuple):
    """A distribution file: its name, where to download it and its published SHA-256."""

    name: str
    url: str
    sha256: str


_MNIST_MIRROR = "https://storage.googleapis.com/cvdf-datasets/mnist/"
# SHA-256 of these very URLs as TensorFlow Datasets lists them
# (github.com/tensorflow/datasets, tensorflow_datasets/url_checksums/mnist.txt)
_MNIST_FILES = [
    _Remote(name, _MNIST_MIRROR + name, sha256) for name, sha256 in [
        ("train-images-idx3-ubyte.gz",
         "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        ("train-labels-idx1-ubyte.gz",
         "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        ("t10k-images-idx3-ubyte.gz",
         "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        ("t10k-labels-idx1-ubyte.gz",
         "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    ]
]
# SHA-256 as Keras' cifar10.load_data (github.com/keras-team/keras,
# keras/src/datasets/cifar10.py) and torchvision (github.com/pytorch/vision,
# torchvision/prototype/datasets/_builtin/cifar.py) check it
#: images in the training and test files of MNIST (and of Fashion-MNIST and KMNIST, which
#: use the same names): a header declaring more is damaged
_MNIST_TRAIN_SIZE, _MNIST_TEST_SIZE = 60_000, 10_000
_CIFAR10_FILE = _Remote(
    "cifar-10-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
)
_CIFAR10_FOLDER = "cifar-10-batches-py"
_CIFAR10_TRAIN = [f"data_batch_{i}" for i in range(1, 6)]
_CIFAR10_TEST = "test_batch"
#: images in a batch of the real archive: a batch holding more is refused
_CIFAR10_BATCH_SIZE = 10_000
#: bytes of a pickled batch of 10000 images and of the whole decompressed tar: 31 MB and
#: 186 MB in the real archive (pickled by Python 2), up to twice that for batches pickled
#: again by Python 3 with protocol 2 (bytes as latin-1 text, UTF-8 encoded); a member or
#: a stream declaring more is refused unread
_CIFAR10_MAX_MEMBER = 64 << 20
_CIFAR10_MAX_TAR = 400 << 20
#: the standard library's tar member filter (Python 3.10.12+, 3.11.4+, 3.12); without it
#: _check_member's own rules still apply
_DATA_FILTER = getattr(tarfile, "data_filter", None)

_GZIP_MAGIC = b"\x1f\x8b"
# idx type codes (the third byte of the magic number); values are stored big-endian
_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_digits():
    """The 1797 handwritten 8x8 digits bundled with scikit-learn, as images.

    Returns
    -------
    images : numpy.ndarray
        float32 of shape ``(1797, 8, 8, 1)``, channels last, with the original pixel
        values: integers from 0 (background) to 16 (ink).
    labels : numpy.ndarray
        int64 of shape ``(1797,)``, the digit shown, 0 to 9.

    See Also
    --------
    sklearn.datasets.load_digits : The source, with images of shape ``(1797, 8, 8)``.
    load_mnist : The 28x28 digits.

    Examples
    --------
    >>> images, labels = load_digits()
    >>> images.shape, images.dtype, labels.shape, labels.dtype
    ((1797, 8, 8, 1), dtype('float32'), (1797,), dtype('int64'))
    >>> float(images.min()), float(images.max()), labels[:5]
    (0.0, 16.0, array([0, 1, 2, 3, 4]))
    """
    # imported here: scikit-learn takes a second to import and only this loader needs it
    from sklearn.datasets import load_digits as sklearn_load_digits

    digits = sklearn_load_digits()
    images = digits.images.astype(np.float32)[..., np.newaxis]
    return images, digits.target.astype(np.int64)


def load_mnist(path=None, *, download=True):
    """The MNIST handwritten digits, as Keras' ``mnist.load_data()`` returns them.

    Reads the four gzip-compressed idx files of the original distribution, each from
    the first of ``path``, ``$SIGCONV_DATA`` and the cache directory that holds it (see
    the module docstring), downloading the missing ones into the cache.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Directory searched first for ``train-images-idx3-ubyte.gz``,
        ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
        ``t10k-labels-idx1-ubyte.gz``.
    download : bool, default True
        Whether to download files found nowhere from
        https://storage.googleapis.com/cvdf-datasets/mnist/ (hash-checked).

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of tuples of numpy.ndarray
        Images uint8 of shape ``(n, 28, 28)``, pixel values 0 (background) to 255;
        labels uint8 of shape ``(n,)``, 0 to 9. ``n`` is 60000 for the training set and
        10000 for the test set of the real files.

    Raises
    ------
    TypeError
        If ``path`` is not a path or ``download`` not a bool.
    FileNotFoundError
        If ``path`` is not a directory, or a file is found nowhere and cannot be
        downloaded; the message names the files and the directories searched.
    ValueError
        If a file is damaged (not gzip or idx, truncated, sizes that disagree with its
        header, a label outside 0..9, not as many labels as images), declares more
        images than the real file (60000 for ``train-*``, 10000 for ``t10k-*``), or a
        download does not match its hash. The message names the file. A header is checked
        before the values are read and no more bytes than it declares are ever
        decompressed, so a tampered file cannot exhaust the memory.

    See Also
    --------
    load_digits : Smaller digits that need no file.

    Notes
    -----
    An idx file is two zero bytes, a type code (``0x08``: unsigned bytes), the number of
    dimensions ``d``, ``d`` big-endian uint32 sizes, then the values in C order: magic
    number ``0x00000803`` with sizes ``n, 28, 28`` for images, ``0x00000801`` with ``n``
    for labels.

    Examples
    --------
    Three training and two test images in the real format, written to a temporary
    directory (``load_mnist()`` without a path finds or downloads the real ones):

    >>> import gzip, os, shutil, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> def write_idx(name, array):
    ...     header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    ...     with gzip.open(os.path.join(folder, name), "wb") as file:
    ...         file.write(header + array.astype(np.uint8).tobytes())
    >>> for prefix, n in [("train", 3), ("t10k", 2)]:
    ...     write_idx(f"{prefix}-images-idx3-ubyte.gz", np.full((n, 28, 28), 255))
    ...     write_idx(f"{prefix}-labels-idx1-ubyte.gz", np.arange(n) + 7)
    >>> (x_train, y_train), (x_test, y_test) = load_mnist(folder)
    >>> x_train.shape, x_train.dtype, y_train
    ((3, 28, 28), dtype('uint8'), array([7, 8, 9], dtype=uint8))
    >>> shutil.rmtree(folder)
    """
    train_images, train_labels, test_images, test_labels = _find_files(
        _MNIST_FILES, path, download, "MNIST")
    return (_read_mnist_split(train_images, train_labels, _MNIST_TRAIN_SIZE),
            _read_mnist_split(test_images, test_labels, _MNIST_TEST_SIZE))


def load_cifar10(path=None, *, download=True):
    """The CIFAR-10 colour images, as Keras' ``cifar10.load_data()`` returns them.

    Reads ``cifar-10-python.tar.gz`` from the first of ``path``, ``$SIGCONV_DATA`` and the
    cache directory that holds it (see the module docstring), downloading it into the
    cache when it is nowhere. The pickled batches are read from inside the archive,
    nothing is extracted to disk.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Directory searched first for ``cifar-10-python.tar.gz``.
    download : bool, default True
        Whether to download the archive, when found nowhere, from
        https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz (hash-checked, 163 MiB).

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of tuples of numpy.ndarray
        Images uint8 of shape ``(n, 32, 32, 3)``, channels last (red, green, blue);
        labels uint8 of shape ``(n, 1)``, 0 to 9 (airplane, automobile, bird, cat, deer,
        dog, frog, horse, ship, truck). The training set is ``data_batch_1`` to
        ``data_batch_5`` in order (50000 images in the real archive), the test set
        ``test_batch`` (10000).

    Raises
    ------
    TypeError
        If ``path`` is not a path or ``download`` not a bool.
    FileNotFoundError
        If ``path`` is not a directory, or the archive is found nowhere and cannot be
        downloaded; the message names the file and the directories searched.
    ValueError
        If the archive is damaged (not a gzip-compressed tar, truncated, a batch missing
        or twice, a batch that is not a dict of ``b'data'``, uint8 of shape ``(n, 3072)``
        with ``n <= 10000``, and ``b'labels'``, n labels in 0..9), tampered (a member that
        is a link or a device, an absolute name or one that climbs out with ``..``, a
        member larger than 64 MiB or more than 400 MiB once decompressed: twice the real
        archive's sizes), or a download does not match its hash. The message names the
        archive and the member.

    See Also
    --------
    load_mnist : Grey-level digits in the same layout.

    Notes
    -----
    Each batch ``cifar-10-batches-py/<name>`` in the archive is a pickled dict whose
    ``b'data'`` row holds an image channel-first (1024 red, 1024 green, then 1024 blue
    values, each plane row by row); it is returned transposed to ``(32, 32, 3)``. The
    unpickler accepts only the globals that NumPy arrays and byte strings need, so a
    tampered archive cannot run code, and refuses arrays larger than a batch before
    allocating them. A batch pickled again by Python 3 loads too, with any protocol and
    with text keys (``'data'``, ``'labels'``) as well as the original byte-string ones.
    Members are checked with the rules of :func:`tarfile.data_filter` (and links of any
    kind are refused) although nothing is extracted.

    Examples
    --------
    An archive in the real format with two pure red images per batch, written to a
    temporary directory (``load_cifar10()`` without a path finds or downloads the real
    one):

    >>> import io, os, pickle, shutil, tarfile, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> red = np.zeros((2, 3, 32, 32), np.uint8)
    >>> red[:, 0] = 255  # channel-first, as stored
    >>> batch = pickle.dumps({b"data": red.reshape(2, 3072), b"labels": [3, 7]})
    >>> with tarfile.open(os.path.join(folder, "cifar-10-python.tar.gz"), "w:gz") as tar:
    ...     for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
    ...         member = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
    ...         member.size = len(batch)
    ...         tar.addfile(member, io.BytesIO(batch))
    >>> (x_train, y_train), (x_test, y_test) = load_cifar10(folder)
    >>> x_train.shape, y_train.shape, x_test[0, 0, 0], y_test.ravel()
    ((10, 32, 32, 3), (10, 1), array([255,   0,   0], dtype=uint8), array([3, 7], dtype=uint8))
    >>> shutil.rmtree(folder)
    """
    (archive,) = _find_files([_CIFAR10_FILE], path, download, "CIFAR-10")
    batches = _read_cifar10_archive(archive)
    train = [batches[name] for name in _CIFAR10_TRAIN]
    x_train = np.concatenate([images for images, _ in train])
    y_train = np.concatenate([labels for _, labels in train])
    x_test, y_test = batches[_CIFAR10_TEST]
    return (x_train, y_train[:, np.newaxis]), (x_test, y_test[:, np.newaxis])


# ----------------------------------------------------------------------- finding files


def synthetic_cifar10(n_train=2000, n_test=500, seed=0):
    """A small stand-in for CIFAR-10 in its exact layout, for machines without the archive.

    Ten classes of 32x32 colour images, each class a textured pattern of its own (stripes
    at one of five angles, in one of two colour schemes) with random phase, brightness and
    noise, so that a small CNN can learn them but not trivially. Same dtypes and shapes as
    :func:`load_cifar10`.

    Parameters
    ----------
    n_train, n_test : int
        Numbers of training and test images, at least 1.
    seed : int
        Seed (>= 0) of the random patterns.

    Returns
    -------
    ((x_train, y_train), (x_test, y_test))
        ``x``: uint8 ``(n, 32, 32, 3)``; ``y``: uint8 ``(n, 1)``.

    Raises
    ------
    TypeError
        If ``n_train``, ``n_test`` or ``seed`` is not an integer (booleans included).
    ValueError
        If ``n_train`` or ``n_test`` is below 1 or ``seed`` is negative.
    MemoryError
        If the images would not fit in memory (checked before allocating).

    Examples
    --------
    >>> import numpy as np
    >>> (x, y), _ = synthetic_cifar10(20, 5)
    >>> x.shape, x.dtype, y.shape, np.unique(y).tolist()
    ((20, 32, 32, 3), dtype('uint8'), (20, 1), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    """
    for name, value in (("n_train", n_train), ("n_test", n_test), ("seed", seed)):
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be an integer, got {value!r}")
    n_train = check_positive_int(n_train, "n_train")
    n_test = check_positive_int(n_test, "n_test")
    seed = check_positive_int(seed, "seed", minimum=0)
    n = n_train + n_test
    # the float64 images, the noise added to them and the uint8 result, at the peak
    check_allocation("n_train, n_test", (n, 32, 32, 3), np.float64, copies=2.2,
                     what="the synthetic images")
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    rows, cols = np.mgrid[0:32, 0:32] / 32.0
    angles = np.pi * (labels % 5) / 5
    frequency = rng.uniform(3, 5, n)
    phase = rng.uniform(0, 2 * np.pi, n)
    wave = np.sin(2 * np.pi * frequency[:, None, None]
                  * (np.cos(angles)[:, None, None] * rows + np.sin(angles)[:, None, None] * cols)
                  + phase[:, None, None])
    schemes = np.array([[0.9, 0.4, 0.1], [0.1, 0.5, 0.9]])[labels // 5]
    brightness = rng.uniform(0.6, 1.0, n)[:, None, None, None]
    images = 0.5 + 0.35 * wave[..., None] * schemes[:, None, None, :] * brightness
    images += rng.normal(0, 0.3, images.shape)
    x = np.clip(np.round(images * 255), 0, 255).astype(np.uint8)
    y = labels.astype(np.uint8)[:, None]
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def _cache_dir():
    """The per-user cache directory that downloads go to."""
    import pooch  # imported when needed: it costs a tenth of a second at import

    return Path(pooch.os_cache("sigconv"))


def _search_dirs(path):
    """The places searched, in order, as ``(directory or None, description)`` pairs."""
    places = []
    if path is not None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a directory as a str or os.PathLike, or None; "
                            f"got {path!r}")
        if not os.path.isdir(path):
            raise FileNotFoundError(f"path must be an existing directory, got {str(path)!r}")
        places.append((Path(path), "the path argument"))
    env_dir = os.environ.get(ENV_VAR)
    places.append((Path(env_dir) if env_dir else None, f"${ENV_VAR}"))
    places.append((_cache_dir(), "the cache directory"))
    return places


def _download(remote, directory):
    """Download ``remote`` into ``directory`` and check its SHA-256; return its path."""
    import pooch

    return Path(pooch.retrieve(remote.url, known_hash=f"sha256:{remote.sha256}",
                               fname=remote.name, path=directory, progressbar=True))


def _find_files(remotes, path, download, dataset):
    """The local path of every file in ``remotes``, each from the first place holding it.

    Files found nowhere are downloaded into the cache directory when ``download`` is true;
    what is still missing then raises a FileNotFoundError that names the files, the
    places searched and why no download happened.
    """
    if not isinstance(download, bool):
        raise TypeError(f"download must be True or False, got {download!r}")
    places = _search_dirs(path)
    found = {}
    for remote in remotes:
        for directory, _ in places:
            if directory is not None and (directory / remote.name).is_file():
                found[remote.name] = directory / remote.name
                break
    reason = "No download was tried (download=False)"
    if download:
        for remote in remotes:
            if remote.name in found:
                continue
            try:
                found[remote.name] = _download(remote, places[-1][0])
            # requests' exceptions derive from OSError, as do urllib's and the disk's
            except OSError as exc:
                reason = f"Downloading {remote.url} failed ({type(exc).__name__}: {exc})"
                break
    missing = [remote.name for remote in remotes if remote.name not in found]
    if missing:
        searched = "; ".join(_describe_place(directory, description)
                             for directory, description in places)
        raise FileNotFoundError(
            f"{dataset} file(s) not found: {', '.join(missing)}. Searched, in order: "
            f"{searched}. {reason}. Put the file(s) in one of these "
            f"directories, or set the {ENV_VAR} environment variable to the directory "
            f"that holds them."
        )
    return [found[remote.name] for remote in remotes]


def _describe_place(directory, description):
    """One searched place for an error message: the directory, what it is, whether it exists."""
    if directory is None:
        return f"{description} (not set)"
    missing = "" if directory.is_dir() else ", does not exist"
    return f"{str(directory)!r} ({description}{missing})"


# ------------------------------------------------------------------------------- MNIST


def _read_idx(source, max_bytes=None):
    """The array stored in an idx file, gzip-compressed or not.

    Parameters
    ----------
    source : str, os.PathLike or binary file object
        The file, or a seekable binary file object positioned at its start.
    max_bytes : int, optional
        The most bytes of values the file may declare; a header declaring more is refused
        before anything more is read. By default, what :func:`sigconv._validate.
        check_allocation` allows.

    Returns
    -------
    numpy.ndarray
        The values in native byte order, of the shape and dtype the header gives.

    Raises
    ------
    ValueError
        If the data is not a valid gzip stream or idx file, declares more than
        ``max_bytes`` of values, or holds fewer or more values than its header promises;
        the message names the file. At most the declared bytes and one more are ever
        decompressed, so a "gzip bomb" cannot fill the memory or the time.
    """
    with contextlib.ExitStack() as stack:
        if isinstance(source, (str, os.PathLike)):
            name = os.fspath(source)
            file = stack.enter_context(open(source, "rb"))
        else:
            name = getattr(source, "name", None) or repr(source)
            file = source
        start = file.read(len(_GZIP_MAGIC))
        file.seek(-len(start), os.SEEK_CUR)
        if start == _GZIP_MAGIC:
            file = stack.enter_context(gzip.GzipFile(fileobj=file, mode="rb"))
        try:
            shape, dtype = _read_idx_header(file, name, max_bytes)
            expected = dtype.itemsize * math.prod(shape)
            content = _read_exactly(file, expected)
            extra = file.read(1)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise ValueError(f"{name} is not a valid gzip file (damaged or truncated: "
                             f"{exc})") from None
    if len(content) != expected:
        raise ValueError(f"{name} holds {len(content)} bytes of values, but its header "
                         f"promises {expected} ({dtype.name} of shape {shape})")
    if extra:
        raise ValueError(f"{name} holds more than the {expected} bytes of values its header "
                         f"promises ({dtype.name} of shape {shape})")
    values = np.frombuffer(content, dtype).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # a native, writable copy


def _read_exactly(file, size):
    """Up to ``size`` bytes of ``file``, fewer only at its end (a gzip stream may return
    short reads)."""
    chunks, remaining = [], size
    while remaining > 0:
        chunk = file.read(min(remaining, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_idx_header(file, name, max_bytes):
    """The shape and dtype an idx header declares, checked against ``max_bytes``."""
    magic = _read_exactly(file, 4)
    if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in _IDX_DTYPES or not magic[3]:
        raise ValueError(f"{name} is not an idx file: it starts with 0x{magic.hex():0>8}, "
                         f"not an idx magic number such as 0x00000803")
    ndim = magic[3]
    sizes = _read_exactly(file, 4 * ndim)
    if len(sizes) < 4 * ndim:
        raise ValueError(f"{name} is truncated: its header ends after {4 + len(sizes)} bytes")
    shape = tuple(int(size) for size in np.frombuffer(sizes, ">u4"))
    dtype = np.dtype(_IDX_DTYPES[magic[2]])
    expected = dtype.itemsize * math.prod(shape)  # exact, however corrupt the sizes
    if max_bytes is not None and expected > max_bytes:
        raise ValueError(f"{name} declares {dtype.name} values of shape {shape} "
                         f"({expected} bytes), more than the {max_bytes} bytes such a file "
                         f"holds: the header is damaged")
    check_allocation(f"the idx file {name}", shape, dtype, copies=2,
                     what="the array its header declares")
    return shape, dtype


def _read_mnist_split(images_path, labels_path, max_images):
    """Images uint8 (n, 28, 28) and labels uint8 (n,) of one MNIST split, checked.

    ``max_images`` is the number of images of the real file (60000 or 10000): a header
    declaring more is refused before the values are read.
    """
    images = _read_idx(images_path, max_bytes=max_images * 28 * 28)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{images_path} must hold uint8 images of shape (n, 28, 28) (idx "
                         f"magic number 0x00000803), got {images.dtype} of shape "
                         f"{images.shape}")
    labels = _read_idx(labels_path, max_bytes=max_images)
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(f"{labels_path} must hold uint8 labels of shape (n,) (idx magic "
                         f"number 0x00000801), got {labels.dtype} of shape {labels.shape}")
    if len(labels) != len(images):
        raise ValueError(f"{labels_path} holds {len(labels)} labels for the {len(images)} "
                         f"images of {images_path}")
    _check_labels(labels, labels_path)
    return images, labels


def _check_labels(labels, name):
    """Raise a ValueError naming ``name`` if a label is outside 0..N_CLASSES - 1."""
    outside = (labels < 0) | (labels >= N_CLASSES)
    if np.any(outside):
        raise ValueError(f"{name} holds labels outside 0..{N_CLASSES - 1}, such as "
                         f"{labels[outside][0]} (at index {np.flatnonzero(outside)[0]})")


# ---------------------------------------------------------------------------- CIFAR-10


def _pickled_nbytes(shape, dtype):
    """Bytes of an array of ``shape`` and ``dtype`` as a pickle asks for it (a ValueError
    when they are not a shape and a dtype)."""
    try:
        shape = (operator.index(shape),) if np.ndim(shape) == 0 else \
            tuple(operator.index(size) for size in shape)
        return math.prod(shape) * np.dtype(dtype).itemsize
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"an array of shape {shape!r} and dtype {dtype!r}: {exc}") from None


def _check_pickled_size(shape, dtype):
    nbytes = _pickled_nbytes(shape, dtype)
    if nbytes > _CIFAR10_MAX_MEMBER:
        raise ValueError(f"the pickle asks for an array of {nbytes} bytes, more than the "
                         f"{_CIFAR10_MAX_MEMBER} of a CIFAR-10 batch")


class _PickledArray(np.ndarray):
    """``numpy.ndarray`` as a pickle may call it: refuses, before allocating, the sizes a
    CIFAR-10 batch never needs (a few bytes of pickle could otherwise ask for terabytes)."""

    def __new__(cls, shape, dtype=float, *args, **kwargs):
        _check_pickled_size(shape, dtype)
        return np.ndarray.__new__(np.ndarray, shape, dtype, *args, **kwargs)


def _latin1_encode(text, encoding="utf-8"):
    """``_codecs.encode`` as Python 2 pickles use it (byte strings as latin-1 text);
    other codecs (zlib, base64, ...) are refused."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8"):
        raise ValueError(f"refusing _codecs.encode of a {type(text).__name__} with "
                         f"{encoding!r}, which a CIFAR-10 batch does not need")
    return codecs.encode(text, encoding)


def _pickled_bytes(*args):
    """``bytes`` as Python 3 pickles call it with protocols 0 to 2: ``bytes()`` for an empty
    byte string (the others go through ``_codecs.encode``), or a copy of a byte string;
    a size (``bytes(n)`` would allocate n bytes), an iterable or an encoding is refused."""
    if not args:
        return b""
    if len(args) == 1 and isinstance(args[0], (bytes, bytearray)):
        return bytes(args[0])
    raise ValueError(f"refusing bytes() of {', '.join(type(a).__name__ for a in args)}, "
                     f"which a CIFAR-10 batch does not need")


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain Python containers and NumPy arrays, nothing else.

    Unpickling can call any importable function the pickle names; allowing only the few
    that rebuild an array keeps a tampered archive from running code. They are taken
    from NumPy itself so that pickles written by NumPy 1 (``numpy.core``) and NumPy 2
    (``numpy._core``) load alike, without importing the deprecated module. Those that
    allocate check the size first, so that a small pickle cannot ask for more memory than
    a batch holds.
    """

    _numpy_reconstruct = np.ndarray.__reduce__(np.empty(0))[0]
    _frombuffer = np.ndarray.__reduce_ex__(np.empty(1), 5)[0]  # pickle protocol 5
    _scalar = np.int64(0).__reduce__()[0]

    @staticmethod
    def _reconstruct(subtype, shape, dtype):
        _check_pickled_size(shape, np.uint8 if isinstance(dtype, bytes) else dtype)
        return _ArrayUnpickler._numpy_reconstruct(np.ndarray, shape, dtype)

    _ALLOWED = {
        ("numpy", "ndarray"): _PickledArray,
        ("numpy", "dtype"): np.dtype,
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy.core.multiarray", "scalar"): _scalar,
        ("numpy._core.multiarray", "scalar"): _scalar,
        ("numpy.core.numeric", "_frombuffer"): _frombuffer,
        ("numpy._core.numeric", "_frombuffer"): _frombuffer,
        ("_codecs", "encode"): _latin1_encode,  # bytes in protocol-2 pickles of Python 3
        # b"" in protocol 0-2 pickles of Python 3 (named __builtin__ for Python 2's sake)
        ("__builtin__", "bytes"): _pickled_bytes,
        ("builtins", "bytes"): _pickled_bytes,
    }

    def find_class(self, module, name):
        try:
            return self._ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load the global {module}.{name}, "
                                         f"which a CIFAR-10 batch does not need") from None


def _read_cifar_batch(file, name):
    """Images uint8 (n, 32, 32, 3) and labels uint8 (n,) of one pickled CIFAR-10 batch.

    Parameters
    ----------
    file : binary file object
        The pickled dict: ``b'data'``, uint8 of shape ``(n, 3072)`` with each row an
        image channel-first, and ``b'labels'``, n integers in 0..9.
    name : str
        What to call the batch in error messages.

    Raises
    ------
    ValueError
        If the pickle cannot be read safely or does not hold a batch of that form.
    """
    try:
        # Python 2 wrote these pickles; "bytes" keeps its str (the keys) as bytes
        batch = _ArrayUnpickler(file, encoding="bytes").load()
    except EOFError:
        raise ValueError(f"{name} ends before its pickled batch does (the file is truncated "
                         f"or damaged)") from None
    except (pickle.UnpicklingError, AttributeError, ImportError, IndexError, KeyError,
            TypeError, ValueError, OverflowError, MemoryError, RecursionError) as exc:
        raise ValueError(f"{name} is not a valid pickled CIFAR-10 batch: {exc}") from None
    data, labels = _batch_entry(batch, "data", name), _batch_entry(batch, "labels", name)
    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2
            and data.shape[1] == 3 * 32 * 32):
        raise ValueError(f"{name}: b'data' must be uint8 of shape (n, 3072), got "
                         f"{_describe_value(data)}")
    if len(data) > _CIFAR10_BATCH_SIZE:
        raise ValueError(f"{name}: b'data' holds {len(data)} images, more than the "
                         f"{_CIFAR10_BATCH_SIZE} of a CIFAR-10 batch")
    try:
        labels = np.asarray(labels)
    except (TypeError, ValueError):  # ragged or otherwise not an array: reported below
        pass
    if isinstance(labels, np.ndarray) and labels.shape == (0,) == (len(data),):
        labels = labels.astype(np.uint8)  # an empty list is float64 to NumPy
    if not (isinstance(labels, np.ndarray) and labels.dtype.kind in "iu"
            and labels.shape == (len(data),)):
        raise ValueError(f"{name}: b'labels' must be {len(data)} integers, one per image, "
                         f"got {_describe_value(labels)}")
    _check_labels(labels, name)
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels.astype(np.uint8)


def _batch_entry(batch, key, name):
    """``batch[b"data"]`` or ``batch[b"labels"]``: the keys are byte strings in the real
    archive (pickled by Python 2) and text in a batch pickled again by Python 3."""
    if not isinstance(batch, dict):
        raise ValueError(f"{name} must hold a dict with keys b'data' and b'labels', got "
                         f"{type(batch).__name__}")
    found = [k for k in (key.encode(), key) if k in batch]
    if len(found) != 1:
        got = sorted(batch.keys(), key=repr)
        raise ValueError(f"{name} must hold a dict with keys b'data' and b'labels' (or "
                         f"'data' and 'labels'), each once; got {got}")
    return batch[found[0]]


def _describe_value(value):
    """An array's dtype and shape, or another object's type, for an error message."""
    if isinstance(value, np.ndarray):
        return f"{value.dtype} of shape {value.shape}"
    return type(value).__name__


class _BoundedReader(io.RawIOBase):
    """A seekable, read-only view of a decompressed stream that refuses to go past
    ``limit`` bytes: reading or seeking beyond raises a ValueError naming ``name``, so a
    tar of a "gzip bomb" is stopped after ``limit`` bytes of decompression."""

    def __init__(self, stream, limit, name):
        super().__init__()
        self._stream, self._limit, self._name = stream, limit, name

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._stream.tell()

    def _refuse(self):
        raise ValueError(f"{self._name} decompresses to more than the {self._limit} bytes "
                         f"the CIFAR-10 archive holds (damaged or tampered)")

    def seek(self, offset, whence=os.SEEK_SET):
        target = {os.SEEK_SET: 0, os.SEEK_CUR: self.tell()}.get(whence)
        if target is not None and target + offset > self._limit:
            self._refuse()
        return self._stream.seek(offset, whence)

    def read(self, size=-1):
        room = self._limit - self.tell()
        if size is None or size < 0 or size > room:
            data = self._stream.read(room + 1)
            if len(data) > room:
                self._refuse()
            return data
        return self._stream.read(size)

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _check_member(member, archive):
    """Refuse a tar member that is a link, a device, or whose name is absolute or climbs
    out of the archive's folder (``tarfile.data_filter``'s rules, and links of any kind,
    which the CIFAR-10 archive never holds)."""
    name = member.name
    parts = name.replace("\\", "/").split("/")
    if member.issym() or member.islnk():
        raise ValueError(f"{archive}: member {name!r} is a link (to {member.linkname!r}); "
                         f"the CIFAR-10 archive holds only files and folders")
    if os.path.isabs(name) or name.startswith(("/", "\\")) or ".." in parts:
        raise ValueError(f"{archive}: member {name!r} has an absolute path or leaves the "
                         f"archive's folder")
    if not (member.isfile() or member.isdir()):
        raise ValueError(f"{archive}: member {name!r} is not a regular file or a folder")
    if _DATA_FILTER is not None:
        try:
            _DATA_FILTER(member, "/nonexistent-destination")
        except tarfile.FilterError as exc:
            raise ValueError(f"{archive}: member {name!r} is refused by tarfile's data "
                             f"filter ({exc})") from None
    if member.size > _CIFAR10_MAX_MEMBER:
        raise ValueError(f"{archive}: member {name!r} declares {member.size} bytes, more "
                         f"than the {_CIFAR10_MAX_MEMBER} of a CIFAR-10 batch")


def _read_cifar10_archive(archive):
    """Every batch of ``cifar-10-python.tar.gz`` by name, read in one pass over it.

    Every member is checked (:func:`_check_member`) and the decompressed stream is
    bounded by :data:`_CIFAR10_MAX_TAR`; nothing is extracted to disk.
    """
    wanted = {f"{_CIFAR10_FOLDER}/{name}": name for name in [*_CIFAR10_TRAIN, _CIFAR10_TEST]}
    batches = {}
    try:
        with contextlib.ExitStack() as stack:
            compressed = stack.enter_context(open(archive, "rb"))
            stream = stack.enter_context(gzip.GzipFile(fileobj=compressed, mode="rb"))
            bounded = _BoundedReader(stream, _CIFAR10_MAX_TAR, str(archive))
            tar = stack.enter_context(tarfile.open(fileobj=bounded, mode="r:"))
            for member in tar:  # in archive order: a gzip stream cannot seek back cheaply
                _check_member(member, archive)
                if member.name not in wanted:
                    continue
                if wanted[member.name] in batches:
                    raise ValueError(f"{archive} holds the member {member.name} twice")
                if not member.isfile():
                    raise ValueError(f"{archive}: member {member.name} is not a file")
                with tar.extractfile(member) as file:
                    batches[wanted[member.name]] = _read_cifar_batch(
                        file, f"{archive} (member {member.name})")
            # to the end of the gzip stream, whose checksum (CRC-32) is tested there only:
            # a damaged byte must not pass unseen because the tar ended before it
            while bounded.read(1 << 20):
                pass
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ValueError(f"{archive} is not a valid gzip-compressed tar archive (damaged or "
                         f"truncated: {exc})") from None
    missing = [member for member, name in wanted.items() if name not in batches]
    if missing:
        raise ValueError(f"{archive} lacks the member(s) {', '.join(missing)}")
    return batches
