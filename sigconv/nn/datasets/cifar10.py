"""The CIFAR-10 colour images, as ``keras.datasets.cifar10``."""

from ... import datasets as _datasets

__all__ = ["load_data"]


def load_data(path=None, *, download=True):
    """The CIFAR-10 images, as ``keras.datasets.cifar10.load_data()``.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Directory searched first for ``cifar-10-python.tar.gz``; then ``$SIGCONV_DATA``,
        then the cache directory, into which the archive is downloaded (hash-checked,
        163 MiB) when it is nowhere. Keras's ``load_data`` takes no argument.
    download : bool, default True
        Whether to download the archive when it is missing.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of tuples of numpy.ndarray
        Images uint8 of shape ``(n, 32, 32, 3)``, channels last; labels uint8 of shape
        ``(n, 1)``, 0 to 9 (airplane, automobile, bird, cat, deer, dog, frog, horse, ship,
        truck). ``n`` is 50000 and 10000 for the real archive.

    Raises
    ------
    TypeError, FileNotFoundError, ValueError
        As :func:`sigconv.datasets.load_cifar10`.

    See Also
    --------
    sigconv.datasets.load_cifar10 : The loader this calls.
    sigconv.datasets.synthetic_cifar10 : A small stand-in in the same layout.

    Examples
    --------
    An archive in the real format, two images per batch (``load_data()`` without a path
    finds or downloads the real one):

    >>> import io, os, pickle, shutil, tarfile, tempfile
    >>> import numpy as np
    >>> folder = tempfile.mkdtemp()
    >>> batch = pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [3, 7]})
    >>> with tarfile.open(os.path.join(folder, "cifar-10-python.tar.gz"), "w:gz") as tar:
    ...     for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
    ...         member = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
    ...         member.size = len(batch)
    ...         tar.addfile(member, io.BytesIO(batch))
    >>> (x_train, y_train), (x_test, y_test) = load_data(folder)
    >>> x_train.shape, x_train.dtype, y_train.shape, y_test.ravel()
    ((10, 32, 32, 3), dtype('uint8'), (10, 1), array([3, 7], dtype=uint8))
    >>> shutil.rmtree(folder)
    """
    return _datasets.load_cifar10(path, download=download)
