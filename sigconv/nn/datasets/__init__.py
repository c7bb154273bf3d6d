"""Datasets where Keras keeps them (``sigconv.nn.datasets``).

``datasets.mnist.load_data()`` and ``datasets.cifar10.load_data()`` return
``(x_train, y_train), (x_test, y_test)`` with Keras's shapes and dtypes, read by
:func:`sigconv.datasets.load_mnist` and :func:`sigconv.datasets.load_cifar10` from the
original distribution files (found locally, else downloaded once and hash-checked).
"""

from . import cifar10, mnist

__all__ = ["cifar10", "mnist"]
