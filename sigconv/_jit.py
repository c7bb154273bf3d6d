"""The single wrapper around numba used by every CPU kernel.

Kernels are compiled lazily on first call, cached on disk (``cache=True``), with the
NumPy error model (division by zero gives inf/NaN like NumPy instead of raising) and the
fastmath setting from :mod:`sigconv._config`.
"""

import contextlib
import threading
import types

import numpy as np

from . import _config

# numba is imported by the functions that use it: importing it costs a quarter of a
# second, which ``import sigconv`` does not pay


def jit(func=None, *, parallel=False, inline="never"):
    """Compile ``func`` with sigconv's numba settings.

    Parameters
    ----------
    func : callable, optional
        The Python function to compile. When omitted, returns a decorator.
    parallel : bool, default False
        Compile ``prange`` loops as parallel loops.
    inline : {"never", "always"}, default "never"
        Numba IR inlining of this function into its callers.

    Returns
    -------
    numba.core.registry.CPUDispatcher or callable
        The compiled dispatcher, or a decorator producing one.
    """

    def wrap(f):
        import numba

        return numba.njit(
            cache=_config.JIT_CACHE,
            nogil=True,
            parallel=parallel,
            error_model="numpy",
            fastmath=_config.JIT_FASTMATH,
            inline=inline,
        )(f)

    return wrap if func is None else wrap(func)


def twins(func):
    """``(serial, parallel)``: ``func``, whose loop over tasks is a ``prange``, compiled
    for the calling thread and for numba's threads.

    One body serves both (outside ``parallel=True`` numba's ``prange`` is ``range``), and
    each twin compiles on its first call only, per signature. Each is compiled from a copy
    of ``func`` named ``<name>_serial`` / ``<name>_parallel``: numba's disk cache keys a
    function by its qualified name, source line and signature, not by ``parallel``, so the
    two would otherwise overwrite each other's cache entries.
    """
    def copy(suffix):
        clone = types.FunctionType(func.__code__, func.__globals__, func.__name__ + suffix,
                                   func.__defaults__, func.__closure__)
        clone.__qualname__ = func.__qualname__ + suffix
        clone.__doc__ = func.__doc__
        clone.__module__ = func.__module__
        return clone

    return jit(copy("_serial")), jit(copy("_parallel"), parallel=True)


def readonly(array):
    """A read-only view of ``array``, for passing an input to a kernel.

    numba types a read-only array as a type of its own, so a kernel called with writable
    and with read-only inputs (a broadcast view, a memory map, ``np.frombuffer``) would be
    compiled once for each combination: seconds each on a cold cache. Inputs always go to
    the kernels read-only, so each kernel compiles once per dtype. A view costs no copy.
    """
    view = array.view()
    view.flags.writeable = False
    return view


_THREAD = threading.local()   # .single: inside single_thread() on this thread


def in_single_thread():
    """True inside :func:`single_thread` on the calling thread."""
    return getattr(_THREAD, "single", False)


def fft_workers():
    """``workers`` for ``scipy.fft``: 1 inside :func:`single_thread`, else
    ``_config.FFT_WORKERS``, by default numba's thread count. (Asking numba for its
    per-thread count would start its thread pool, which an FFT-only program, and a
    later ``fork``, are better without.)"""
    if in_single_thread():
        return 1
    import numba

    return _config.FFT_WORKERS or numba.config.NUMBA_NUM_THREADS


@contextlib.contextmanager
def single_thread():
    """Run sigconv's kernels, FFTs and thread pool on the calling thread alone, e.g. in a
    Dask task, where the tasks are the parallelism (numba's thread count is per thread)."""
    import numba

    before, was_single = numba.get_num_threads(), in_single_thread()
    numba.set_num_threads(1)
    _THREAD.single = True
    try:
        yield
    finally:
        _THREAD.single = was_single
        numba.set_num_threads(before)


def cuda_available():
    """True if numba can run CUDA kernels here: an NVIDIA GPU with its driver, or the CUDA
    simulator (``NUMBA_ENABLE_CUDASIM=1`` set before numba is imported)."""
    try:
        from numba import cuda
    except ImportError:  # pragma: no cover - numba without its CUDA target
        return False
    try:
        return bool(cuda.is_available())
    except Exception:  # a broken driver install raises instead of answering
        return False


class CUDAUnavailableError(RuntimeError, ValueError):
    """``device="cuda"`` asked for on a machine where numba finds no GPU.

    A :class:`RuntimeError` (the environment lacks something, as numba and CuPy say) and a
    :class:`ValueError` (the argument's value cannot be honoured here), so that code catching
    either sigconv's bad-argument errors or runtime errors sees it.
    """


def require_cuda(argument="device"):
    """Raise :class:`CUDAUnavailableError` naming ``argument`` unless :func:`cuda_available`;
    return the CUDA kernels."""
    if not cuda_available():
        raise CUDAUnavailableError(
            f"{argument}='cuda' needs an NVIDIA GPU with a working driver, and numba could "
            "not find one (numba.cuda.is_available() is False); run on the CPU with "
            f"{argument}='cpu', or test the CUDA code without a GPU by setting "
            "NUMBA_ENABLE_CUDASIM=1 before importing numba")
    from .kernels import cuda as kernels

    return kernels


def launch_config(n_items):
    """``(blocks, threads)`` of a 1-D launch over ``n_items`` (grid-stride kernels)."""
    threads = _config.CUDA_THREADS_PER_BLOCK
    return min(_config.CUDA_MAX_BLOCKS, max(1, -(-n_items // threads))), threads


def on_device(array):
    """``array`` as a device array (no copy if it already is one), and whether it was."""
    if is_device_array(array):
        return array, True
    from numba import cuda

    return cuda.to_device(np.ascontiguousarray(array)), False


def is_device_array(value):
    """True for arrays that live on a CUDA device: anything with
    ``__cuda_array_interface__`` (CuPy, Numba), and Numba's device arrays (whose simulator
    twins lack the interface)."""
    return hasattr(value, "__cuda_array_interface__") or (
        hasattr(value, "copy_to_host") and hasattr(value, "copy_to_device"))


def stand_in(array):
    """A zero-stride host array of a device ``array``'s shape and dtype, for validating
    device data without moving it (validation reads shapes and dtypes only); any other
    input unchanged."""
    if not is_device_array(array):
        return array
    shape = tuple(array.shape)
    return np.lib.stride_tricks.as_strided(np.zeros(1, np.dtype(array.dtype)), shape=shape,
                                           strides=(0,) * len(shape))


def resolve_device(device, *arrays):
    """``"cpu"`` or ``"cuda"``: ``device`` itself, or where the data lives when None."""
    if device is None:
        return "cuda" if any(is_device_array(a) for a in arrays) else "cpu"
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be None, 'cpu' or 'cuda'; got {device!r}")
    return device


def to_host(value):
    """A NumPy view or copy of ``value`` (device arrays are copied to the host)."""
    if not is_device_array(value):
        return value
    if hasattr(value, "copy_to_host"):
        return value.copy_to_host()
    from numba import cuda

    return cuda.as_cuda_array(value).copy_to_host()


def to_device_like(result, *inputs):
    """``result`` as a device array of the first device input's kind (CuPy stays CuPy,
    Numba stays Numba), or unchanged when every input was on the host."""
    for value in inputs:
        if is_device_array(value):
            from numba import cuda

            device = cuda.to_device(np.ascontiguousarray(result))
            if type(value).__module__.split(".")[0] == "cupy":
                import cupy

                return cupy.asarray(device)
            return device
    return result
