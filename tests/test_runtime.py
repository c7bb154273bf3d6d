"""The process settings made at import (sigconv._runtime)."""

import os
import subprocess
import sys

import pytest

from sigconv import _runtime


def test_configure_sets_a_default_wait_policy_but_keeps_the_users(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    _runtime.configure()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    _runtime.configure()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def test_configure_disabled_changes_nothing(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    _runtime.configure(enabled=False)
    assert "OMP_WAIT_POLICY" not in os.environ


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc is Linux's")
def test_malloc_thresholds_are_set_unless_the_user_chose_them(monkeypatch):
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"):
        monkeypatch.delenv(name, raising=False)
    assert _runtime._tune_malloc() is True
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert _runtime._tune_malloc() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc is Linux's")
def test_dask_workers_default_trim_threshold_is_overridden(monkeypatch):
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in every worker; any other value is
    the user's and stays."""
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    assert _runtime._tune_malloc() is True
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "100000")
    assert _runtime._tune_malloc() is False


def test_single_thread_bounds_every_sigconv_thread_and_restores():
    import numba

    from sigconv import _jit
    from sigconv.nn import functional

    before = numba.get_num_threads()
    assert _jit.fft_workers() == numba.config.NUMBA_NUM_THREADS
    with _jit.single_thread():
        assert (numba.get_num_threads(), _jit.fft_workers(), functional.n_threads()) == (
            1, 1, 1)
        with _jit.single_thread():   # nested: the outer setting survives the inner one
            pass
        assert _jit.fft_workers() == 1
    assert numba.get_num_threads() == before
    assert _jit.fft_workers() == numba.config.NUMBA_NUM_THREADS


def test_fft_only_use_leaves_numba_threads_unstarted():
    """Choosing the FFT's workers must not start numba's thread pool (GNU OpenMP's then
    forbids a later fork); numba's own flag, a module global it has kept for years, says
    whether the pool started."""
    code = ("import numpy as np, sigconv as sc\n"
            "from numba.np.ufunc import parallel\n"
            "sc.fftconvolve(np.ones(100_000), np.ones(5_000))\n"
            "sc.oaconvolve(np.ones(100_000), np.ones(500))\n"
            "print(parallel._is_initialized)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"


@pytest.mark.parametrize("shape,dtype", [((3, 5), "float64"), ((0,), "float32"),
                                         ((64, 256, 257), "float64"), ((4, 1 << 21), "f4")])
def test_touched_empty_is_numpy_empty(shape, dtype):
    import numpy as np

    out = _runtime.touched_empty(shape, dtype)
    assert out.shape == shape and out.dtype == np.dtype(dtype)
    assert out.flags.c_contiguous and out.flags.writeable and out.flags.owndata
    out[...] = 1
    assert (out == 1).all()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's page faults")
def test_touched_empty_faults_a_large_array_in_before_it_is_returned():
    """Writing the whole array afterwards takes (almost) no page fault: the pages were
    faulted in on the calling thread (a fresh 32 MiB array has 8192 pages of 4 KiB)."""
    import resource

    import numpy as np

    out = _runtime.touched_empty((_runtime.MMAP_THRESHOLD // 8,), np.float64)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    out.fill(1.0)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    assert after - before < 64
    plain = np.empty(_runtime.MMAP_THRESHOLD // 8)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    plain.fill(1.0)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    assert after - before >= 16   # (at least one fault per 2 MiB huge page)
