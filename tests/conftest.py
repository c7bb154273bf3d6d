"""Hypothesis profiles and the import path of the test helpers.

Profiles (``deadline=None`` everywhere: the first call of every numba kernel compiles it):

* ``dev`` (default): 50 random examples per property;
* ``ci``: 40 derandomized examples, failures printed with a reproduction blob.

``HYPOTHESIS_PROFILE`` picks one explicitly; otherwise a set ``CI`` variable means ``ci``.
"""

import os
import sys

from hypothesis import settings

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
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)
