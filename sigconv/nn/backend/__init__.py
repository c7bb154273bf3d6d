"""One backend module per device, with the same functions for the layers and the model.

:mod:`.cpu` and :mod:`.cuda` define the same public functions, with equal signatures and
the same return types, each taking and returning arrays of its own device (NumPy arrays,
or numba device arrays). A layer or a model looks its backend up from its ``device``
(:func:`get`) and calls it without asking again where it runs; the kernels stay in
:mod:`sigconv.nn.kernels` and :mod:`sigconv.nn.functional`, this is the layer above them.

``tests/test_nn_backend_contract.py`` checks that the two modules keep one contract.
"""

from . import cpu, cuda

__all__ = ["get", "of", "DEVICES"]

_BACKENDS = {"cpu": cpu, "cuda": cuda}

#: the device names that :func:`get` knows
DEVICES = tuple(_BACKENDS)


def get(device):
    """The backend module of ``device``, ``"cpu"`` or ``"cuda"``.

    Raises
    ------
    ValueError
        If ``device`` is neither.
    """
    backend = _BACKENDS.get(device) if isinstance(device, str) else None
    if backend is None:
        raise ValueError(f"device must be 'cpu' or 'cuda'; got {device!r}")
    return backend


def of(*arrays):
    """The backend of the device where ``arrays`` live: CUDA if any is a device array."""
    from .._checks import on_device

    return cuda if any(on_device(array) for array in arrays) else cpu
