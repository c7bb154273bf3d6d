"""The single wrapper around numba used by every CPU kernel.

Kernels are compiled lazily on first call, cached on disk (``cache=True``), with the
NumPy error model (division by zero gives inf/NaN like NumPy instead of raising) and the
fastmath setting from :mod:`sigconv._config`.
"""

import numba

from . import _config


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
        return numba.njit(
            cache=_config.JIT_CACHE,
            nogil=True,
            parallel=parallel,
            error_model="numpy",
            fastmath=_config.JIT_FASTMATH,
            inline=inline,
        )(f)

    return wrap if func is None else wrap(func)
