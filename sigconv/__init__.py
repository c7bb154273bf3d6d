"""sigconv: convolution, signal processing and CNNs with numba kernels.

The public signal API mirrors :mod:`scipy.signal` and :mod:`numpy` so that
``import sigconv as sc`` can stand in for them.
"""

from . import _config, _runtime

# before any submodule starts numba's threads: see _runtime's docstring
_runtime.configure(_config.TUNE_RUNTIME)

from . import datasets, filters, plotting  # noqa: E402
from ._jit import CUDAUnavailableError, cuda_available
from .conv import choose_conv_method, convolve, correlate, fftconvolve, oaconvolve
from .conv2d import ConvolutionOperator2D, convolution_matrix2d, convolve2d, correlate2d
from .fourier import (
    DrivenOscillator,
    FourierSeries,
    circular_convolve,
    fourier_coefficients,
    sawtooth_wave,
    square_wave,
    triangle_wave,
)
from .poly import ToeplitzOperator, convolution_matrix, deconvolve, polymul, toeplitz

__version__ = "0.1.0"

__all__ = [
    "ConvolutionOperator2D",
    "DrivenOscillator",
    "FourierSeries",
    "ToeplitzOperator",
    "choose_conv_method",
    "circular_convolve",
    "convolution_matrix",
    "cuda_available",
    "CUDAUnavailableError",
    "convolution_matrix2d",
    "convolve",
    "convolve2d",
    "datasets",
    "correlate",
    "correlate2d",
    "deconvolve",
    "fftconvolve",
    "filters",
    "fourier_coefficients",
    "plotting",
    "oaconvolve",
    "polymul",
    "sawtooth_wave",
    "square_wave",
    "toeplitz",
    "triangle_wave",
]
