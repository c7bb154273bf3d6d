"""The MNIST digits, as ``keras.datasets.mnist``."""

from ... import datasets as _datasets

__all__ = ["load_data"]


def load_data(path=None, *, download=True):
    """The MNIST handwritten digits, as ``keras.datasets.mnist.load_data()``.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Directory searched first for the four files of the original distribution
        (``train-images-idx3-ubyte.gz`` ...); then ``$SIGCONV_DATA``, then the cache
        directory, into which a file found nowhere is downloaded (hash-checked).
    download : bool, default True
        Whether to download missing files.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of tuples of numpy.ndarray
        Images uint8 of shape ``(n, 28, 28)``, values 0 to 255; labels uint8 of shape
        ``(n,)``, 0 to 9. ``n`` is 60000 and 10000 for the real files.

    Raises
    ------
    TypeError, FileNotFoundError, ValueError
        As :func:`sigconv.datasets.load_mnist`.

    See Also
    --------
    sigconv.datasets.load_mnist : The loader this calls.

    Notes
    -----
    Keras's ``path`` (default ``"mnist.npz"``) names a file under ``~/.keras/datasets``
    that Keras downloads; sigconv's names a directory holding the original idx files
    (see :mod:`sigconv.datasets` for where else they are looked for).

    Examples
    --------
    Three training and two test images in the real format (``load_data()`` without a
    path finds or downloads the real ones):

    >>> import gzip, os, shutil, tempfile
    >>> import numpy as np
    >>> folder = tempfile.mkdtemp()
    >>> def write_idx(name, array):
    ...     header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    ...     with gzip.open(os.path.join(folder, name), "wb") as file:
    ...         file.write(header + array.astype(np.uint8).tobytes())
    >>> for prefix, n in [("train", 3), ("t10k", 2)]:
    ...     write_idx(f"{prefix}-images-idx3-ubyte.gz", np.zeros((n, 28, 28)))
    ...     write_idx(f"{prefix}-labels-idx1-ubyte.gz", np.arange(n))
    >>> (x_train, y_train), (x_test, y_test) = load_data(folder)
    >>> x_train.shape, x_train.dtype, y_train.shape, y_test
    ((3, 28, 28), dtype('uint8'), (3,), array([0, 1], dtype=uint8))
    >>> shutil.rmtree(folder)
    """
    return _datasets.load_mnist(path, download=download)
