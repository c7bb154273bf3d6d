"""Hypothesis profiles, the ``full`` marker and the import path of the test helpers.

Profiles (``deadline=None`` everywhere: the first call of every numba kernel compiles it):

* ``dev`` (default): 50 random examples per property;
* ``ci``: 40 derandomized examples (a fixed seed: a failure reproduces), failures printed
  with a reproduction blob.

``HYPOTHESIS_PROFILE`` picks one explicitly; otherwise a set ``CI`` variable (not ``0`` or
``false``) means ``ci``.

Tests marked ``full`` (the largest parametrized grids and the slowest end-to-end runs)
are skipped unless ``--full`` is given or ``SIGCONV_FULL_TESTS=1`` is set: the default run
stays within a few minutes on two cores, and CI (``.ci/run``) runs everything.
"""

import os
import sys

import pytest
from hypothesis import settings

# the tests assert the picks of method="auto" with the shipped cost constants: a
# calibration stored by `sigconv calibrate` on the developer's machine must not change them
os.environ.setdefault("SIGCONV_CALIBRATION", "0")

# pytest-xdist (the README's `-n auto`) runs the tests in one process per core: numba's
# threads per process are capped so that the workers together use each core about once,
# and at least 2, so that the parallel twins still run on several threads (set before
# numba is imported; an explicit NUMBA_NUM_THREADS wins)
_WORKERS = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
if _WORKERS and "NUMBA_NUM_THREADS" not in os.environ:
    os.environ["NUMBA_NUM_THREADS"] = str(max(2, (os.cpu_count() or 2) // int(_WORKERS)))

# imported before pytest collects any module's doctests: with --import-mode=importlib a
# doctest-collected sigconv module would otherwise be executed a second time, as a twin
# that the package's own functions never see (a test's monkeypatch on it would be lost)
import sigconv  # noqa: F401, E402

# the helpers (naive.py, strategies.py) live next to the tests; with
# --import-mode=importlib the tests folder is not on sys.path by itself
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# the CUDA twins run in the simulator, in a process of their own (tests/test_cuda.py), or
# on a real GPU with SIGCONV_TEST_CUDA=1 (bench/gpu.py)
_CUDA_RUN = "1" in (os.environ.get("NUMBA_ENABLE_CUDASIM"), os.environ.get("SIGCONV_TEST_CUDA"))
collect_ignore = [] if _CUDA_RUN else ["cuda_sim"]

settings.register_profile("dev", deadline=None, max_examples=50)
settings.register_profile("ci", deadline=None, max_examples=40, derandomize=True,
                          print_blob=True)
_ON_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _ON_CI else "dev")
settings.load_profile(_PROFILE)


def pytest_addoption(parser):
    parser.addoption("--full", action="store_true", default=False,
                     help="also run the tests marked 'full' (the largest grids and slowest "
                          "runs; SIGCONV_FULL_TESTS=1 does the same, and CI sets it)")


def _full_run(config):
    return config.getoption("--full") or os.environ.get("SIGCONV_FULL_TESTS") == "1"


def pytest_report_header(config):
    scope = ("the full suite" if _full_run(config)
             else "the default suite (tests marked 'full' skipped: --full runs them)")
    return f"sigconv: {scope}; Hypothesis profile {_PROFILE!r}"


def pytest_collection_modifyitems(config, items):
    if _full_run(config):
        return
    skip = pytest.mark.skip(reason="marked 'full': run with --full or SIGCONV_FULL_TESTS=1 "
                                   "(CI does)")
    for item in items:
        if item.get_closest_marker("full"):  # not item.keywords: mode="full" ids
            item.add_marker(skip)
