"""The numba kernels, and only those: ``cpu`` (njit, prange); CUDA twins come later."""
