"""sigconv: convolution, signal processing and CNNs with numba kernels.

The public signal API mirrors :mod:`scipy.signal` and :mod:`numpy` so that
``import sigconv as sc`` can stand in for them.
"""

from .conv import choose_conv_method, convolve, correlate, fftconvolve, oaconvolve
from .poly import ToeplitzOperator, convolution_matrix, deconvolve, polymul, toeplitz

__version__ = "0.1.0"

__all__ = [
    "ToeplitzOperator",
    "choose_conv_method",
    "convolution_matrix",
    "convolve",
    "correlate",
    "deconvolve",
    "fftconvolve",
    "oaconvolve",
    "polymul",
    "toeplitz",
]
