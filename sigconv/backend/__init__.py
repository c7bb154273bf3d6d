"""One backend per device for the signal functions, with one contract.

:mod:`sigconv.backend.cpu` and :mod:`sigconv.backend.cuda` define the same public
functions, with equal signatures and return types, each taking and returning arrays on
its own device (NumPy arrays on the CPU; Numba device arrays on the GPU, which also
accepts CuPy arrays, without a copy). :func:`sigconv.convolve`,
:func:`sigconv.convolve2d` and :class:`sigconv.FourierSeries` choose a backend once,
with :func:`get`, and call it with no further question about the device. The kernels
under them are :mod:`sigconv.kernels.cpu` and :mod:`sigconv.kernels.cuda`.

Functions of the contract (``tests/test_signal_backend_contract.py`` checks it):

``owns(array)``
    whether ``array`` lives on this device;
``asarray(array)``
    ``array`` on this device (a copy across only when it lives on the other one);
``to_host(array)``
    a NumPy array (a copy from the GPU);
``like(result, *inputs)``
    ``result`` in the array type of the inputs on this device (CuPy stays CuPy);
``empty(shape, dtype)``, ``full(shape, fill_value, dtype)``
    allocation on this device;
``rearrange(array, order, flip, dtype, conjugate)``
    a C-contiguous copy with axes permuted, reversed, cast and conjugated (no copy when
    nothing changes);
``permute(array, order)``
    the axes permuted (a view where the device allows one);
``direct_nd(...)``
    the direct convolution kernel into ``out``;
``extend2d(image, pads, boundary, fillvalue)``
    an image extended beyond its edges (``fill``, ``wrap``, ``symm``);
``fourier_synthesis(t, f, g, omega, period, out)``
    the partial sums of a Fourier series.

Importing :mod:`sigconv.backend.cuda` needs no GPU: numba.cuda is imported by the
functions that launch kernels.
"""

from .._jit import require_cuda
from . import cpu, cuda

__all__ = ["get", "DEVICES", "cpu", "cuda"]

#: the devices there is a backend for
DEVICES = ("cpu", "cuda")


def get(device):
    """The backend module of ``device``.

    Parameters
    ----------
    device : {"cpu", "cuda"}
        As :func:`sigconv._jit.resolve_device` returns it.

    Returns
    -------
    module
        :mod:`sigconv.backend.cpu` or :mod:`sigconv.backend.cuda`.

    Raises
    ------
    ValueError
        If ``device`` is not one of :data:`DEVICES`.
    sigconv.CUDAUnavailableError
        If ``device="cuda"`` and numba finds no GPU.
    """
    if device not in DEVICES:
        raise ValueError(f"device must be None, 'cpu' or 'cuda'; got {device!r}")
    if device == "cuda":
        require_cuda()
    return cuda if device == "cuda" else cpu
