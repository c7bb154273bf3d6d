"""The CUDA twins, tested in numba's simulator in a process of their own.

``NUMBA_ENABLE_CUDASIM=1`` must be set before numba is imported, so the simulator tests
(tests/cuda_sim) run in a subprocess; this test fails if any of them fails.
"""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import sigconv as sc

HERE = pathlib.Path(__file__).resolve().parent


@pytest.mark.full
def test_cuda_twins_in_the_simulator():
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         str(HERE / "cuda_sim")], env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout


def test_asking_for_cuda_without_a_gpu_is_a_clear_error():
    if sc.cuda_available():
        pytest.skip("a GPU is present: covered by bench/gpu.py")
    with pytest.raises(RuntimeError, match="NVIDIA GPU"):
        sc.convolve(np.ones(4), np.ones(2), device="cuda")
    with pytest.raises(RuntimeError, match="NVIDIA GPU"):
        sc.FourierSeries.square_wave(1.0, 0.5)(np.zeros(3), device="cuda")
