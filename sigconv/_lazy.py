"""Imports deferred to first use, so that ``import sigconv`` costs little.

NumPy, SciPy's FFT, numba and the compiled kernels take most of a second to import, and a
program that only reads a data set or draws a figure needs none of them. Two helpers:

* :func:`attach` gives a package the module-level ``__getattr__`` and ``__dir__`` of
  PEP 562: a public name is imported from its submodule the first time it is asked for
  (``sigconv.convolve`` imports :mod:`sigconv.conv` then), and every submodule stays
  reachable as an attribute (``sigconv.nn``, ``sigconv.filters``).
* :class:`LazyModule` stands for a module that a module of sigconv uses at call time only
  (``cpu = LazyModule("sigconv.kernels.cpu")``): the real module is imported by the first
  attribute read, and every read goes to it (a test that patches the real module patches
  what the caller sees).
"""

import importlib
import sys

__all__ = ["LazyModule", "attach"]


class LazyModule:
    """The module ``name``, imported when one of its attributes is first read.

    Parameters
    ----------
    name : str
        The module's absolute name, e.g. ``"scipy.fft"``.

    Notes
    -----
    Each attribute read costs one dictionary lookup in :data:`sys.modules` more than on the
    module itself (about 0.2 us); :func:`importlib.import_module` holds the import lock,
    so threads that race to the first read import the module once.

    Examples
    --------
    >>> fft = LazyModule("numpy.fft")
    >>> fft.rfft([1.0, 1.0]).tolist()
    [(2+0j), 0j]
    """

    __slots__ = ("_name",)

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def _module(self):
        module = sys.modules.get(self._name)
        return module if module is not None else importlib.import_module(self._name)

    def __getattr__(self, attribute):
        return getattr(self._module(), attribute)

    def __setattr__(self, attribute, value):
        setattr(self._module(), attribute, value)

    def __delattr__(self, attribute):
        delattr(self._module(), attribute)

    def __dir__(self):
        return dir(self._module())

    def __repr__(self):
        return f"<lazy module {self._name!r}>"


def attach(package, submodules, names):
    """``(__getattr__, __dir__)`` of a package whose submodules and names load on use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    submodules : iterable of str
        Submodules reachable as attributes (imported on first access).
    names : dict
        Public name -> submodule (relative to ``package``) that defines it.

    Returns
    -------
    (callable, callable)
        The package's module-level ``__getattr__`` and ``__dir__``.
    """
    submodules = frozenset(submodules)
    names = dict(names)
    this = sys.modules[package]

    def __getattr__(name):
        if name in names:
            value = getattr(importlib.import_module(f"{package}.{names[name]}"), name)
        elif name in submodules:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(this, name, value)  # later reads are plain attribute reads
        return value

    def __dir__():
        return sorted(set(vars(this)) | submodules | set(names))

    return __getattr__, __dir__
