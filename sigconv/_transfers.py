"""Counting the copies between host and GPU memory that numba.cuda makes (private).

:func:`count_transfers` is how the tests prove, in numba's CUDA simulator, that data stays
on the device (an epoch of ``fit`` moves the batches in and the losses out, nothing more),
and how ``bench/gpu.py`` reports the transfers beside each timing on a real GPU. It wraps
the places every copy goes through, in the simulator and on a GPU alike:

* host to device: ``numba.cuda.to_device`` (and the ``to_device`` that a kernel launch
  uses for a NumPy argument), and ``copy_to_device`` of a device array from host memory;
* device to host: ``copy_to_host`` of a device array (also used when a kernel launched
  with a NumPy argument copies it back).

Device-to-device copies (``copy_to_device`` from another device array) and allocations
(``cuda.device_array``) are not transfers and are not counted.
"""

import contextlib
import threading

__all__ = ["Transfers", "count_transfers"]


class Transfers:
    """The copies recorded by :func:`count_transfers`: one ``(direction, nbytes, shape)``
    per copy, ``direction`` ``"to_device"`` or ``"to_host"``."""

    def __init__(self):
        self.records = []
        self._lock = threading.Lock()

    def _add(self, direction, array):
        shape = tuple(getattr(array, "shape", ()))
        nbytes = int(getattr(array, "nbytes", 0))
        with self._lock:
            self.records.append((direction, nbytes, shape))

    def _select(self, direction):
        return [record for record in self.records if record[0] == direction]

    @property
    def to_device(self):
        """Number of host-to-device copies."""
        return len(self._select("to_device"))

    @property
    def to_host(self):
        """Number of device-to-host copies."""
        return len(self._select("to_host"))

    @property
    def count(self):
        """Number of copies, both ways."""
        return len(self.records)

    @property
    def nbytes(self):
        """Bytes copied, both ways."""
        return sum(record[1] for record in self.records)

    def shapes(self, direction):
        """The shapes of the arrays copied in ``direction``, in order."""
        return [record[2] for record in self._select(direction)]

    def __repr__(self):
        return (f"Transfers(to_device={self.to_device}, to_host={self.to_host}, "
                f"nbytes={self.nbytes})")


def _device_array_classes():
    """The device array classes of the running numba.cuda (the simulator's fake array, or
    the driver's DeviceNDArray)."""
    from numba import config

    if config.ENABLE_CUDASIM:
        from numba.cuda.simulator.cudadrv import devicearray
        return devicearray, (devicearray.FakeCUDAArray,)
    from numba.cuda.cudadrv import devicearray
    return devicearray, (devicearray.DeviceNDArray,)


@contextlib.contextmanager
def count_transfers():
    """Record every host-device copy numba.cuda makes inside the block.

    Yields
    ------
    Transfers
        Filled while the block runs.

    Examples
    --------
    >>> import numpy as np
    >>> with count_transfers() as log:   # doctest: +SKIP
    ...     d = numba.cuda.to_device(np.zeros(4))
    ...     h = d.copy_to_host()
    >>> (log.to_device, log.to_host, log.nbytes)   # doctest: +SKIP
    (1, 1, 64)
    """
    from numba import cuda

    log = Transfers()
    module, classes = _device_array_classes()
    saved = []

    def patch(owner, name, replacement):
        if isinstance(owner, type):   # on the class that defines it (a base class)
            owner = next(c for c in owner.__mro__ if name in c.__dict__)
            saved.append((owner, name, owner.__dict__[name]))
        else:
            saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    original_to_device = module.to_device

    def to_device(ary, *args, **kwargs):
        to = kwargs.get("to", args[2] if len(args) > 2 else None)
        if to is None and not hasattr(ary, "copy_to_host"):
            # a copy into an existing array goes through its copy_to_device
            log._add("to_device", ary)
        return original_to_device(ary, *args, **kwargs)

    for cls in classes:
        original_to_host = cls.copy_to_host
        original_copy_to_device = cls.copy_to_device

        def copy_to_host(self, *args, _original=original_to_host, **kwargs):
            log._add("to_host", self)
            return _original(self, *args, **kwargs)

        def copy_to_device(self, ary, *args, _original=original_copy_to_device, **kwargs):
            if not hasattr(ary, "copy_to_host"):   # from host memory
                log._add("to_device", ary)
            return _original(self, ary, *args, **kwargs)

        patch(cls, "copy_to_host", copy_to_host)
        patch(cls, "copy_to_device", copy_to_device)
    if module.to_device is original_to_device and _uses_module_to_device():
        patch(module, "to_device", to_device)
        if cuda.to_device is original_to_device:
            patch(cuda, "to_device", to_device)
    try:
        yield log
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


def _uses_module_to_device():
    """True in the simulator, whose ``to_device`` builds a new array without calling
    ``copy_to_device`` (the driver's goes through ``copy_to_device``, already counted)."""
    from numba import config

    return bool(config.ENABLE_CUDASIM)
