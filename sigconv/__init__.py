"""sigconv: convolution, signal processing and CNNs with numba kernels.

The public signal API mirrors :mod:`scipy.signal` and :mod:`numpy` so that
``import sigconv as sc`` can stand in for them.
"""

from . import _config, _runtime

# before any submodule starts numba's threads: see _runtime's docstring
_runtime.configure(_config.TUNE_RUNTIME)

from ._lazy import attach  # noqa: E402

# Public names load with their submodule on first use (PEP 562): ``import sigconv`` does
# not import NumPy, SciPy or numba, and a program that never convolves never compiles.
_NAMES = {
    "CUDAUnavailableError": "_jit", "cuda_available": "_jit",
    **dict.fromkeys(["choose_conv_method", "convolve", "correlate", "fftconvolve",
                     "oaconvolve"], "conv"),
    **dict.fromkeys(["ConvolutionOperator2D", "convolution_matrix2d", "convolve2d",
                     "correlate2d"], "conv2d"),
    **dict.fromkeys(["DrivenOscillator", "FourierSeries", "circular_convolve",
                     "fourier_coefficients", "sawtooth_wave", "square_wave",
                     "triangle_wave"], "fourier"),
    **dict.fromkeys(["ToeplitzOperator", "convolution_matrix", "deconvolve", "polymul",
                     "toeplitz"], "poly"),
}
_SUBMODULES = ["conv", "conv2d", "dask", "datasets", "filters", "fourier", "kernels", "nn",
               "plotting", "poly"]
__getattr__, __dir__ = attach(__name__, _SUBMODULES, _NAMES)

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
