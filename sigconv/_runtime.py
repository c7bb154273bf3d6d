"""Process settings sigconv makes when it is imported, and why.

Both settings answer costs measured on small virtual machines (2 vCPUs), where they
dominated the run time of the neural-network layers; both leave values the user set
alone, and ``SIGCONV_TUNE_RUNTIME=0`` in the environment turns them off.

* ``OMP_WAIT_POLICY=PASSIVE``: numba's OpenMP workers otherwise spin for a while after
  each parallel loop, and OpenBLAS's workers do the same after each matrix product, so
  alternating the two (a parallel kernel, then ``np.dot``) made every hand-over wait
  ~8 ms for the other pool to stop spinning. Sleeping workers cost ~20 us per parallel
  loop instead. libgomp reads the variable when numba first starts its threads.
* glibc's ``malloc`` hands arrays above a (dynamic) threshold straight to ``mmap`` and
  back to the system on free, so every new large array page-faults on first touch; in a
  VM that cost ~10 ms per 4 MB array (a CIFAR-10 training step ran at half speed). Fixed
  thresholds keep freed memory up to :data:`MMAP_THRESHOLD` per array and
  :data:`TRIM_THRESHOLD` in all in the process for reuse. Dask's nanny starts its
  workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (its ``pre-spawn-environ`` default, not
  the user's choice): there the overlap-add of a 25-million-sample chunk took 300 ms
  instead of 165 ms, so that value is overridden too (``SIGCONV_TUNE_RUNTIME=0`` keeps
  it).
"""

import ctypes
import ctypes.util
import os
import sys

#: arrays up to this many bytes come from malloc's heap instead of fresh mmap pages
MMAP_THRESHOLD = 32 << 20
#: free heap memory kept (not returned to the system) up to this many bytes
TRIM_THRESHOLD = 256 << 20

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


#: the trim threshold Dask's nanny gives its worker processes by default
_DASK_NANNY_TRIM = "65536"


def _user_chose_malloc():
    trim = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    return "MALLOC_MMAP_THRESHOLD_" in os.environ or trim not in (None, _DASK_NANNY_TRIM)


#: what the last :func:`configure` call did, one sentence per setting (``sigconv info``
#: prints it): ``enabled`` (False with ``SIGCONV_TUNE_RUNTIME=0``), ``omp_wait_policy``
#: and ``malloc``; None before the first call
applied = {"enabled": None, "omp_wait_policy": None, "malloc": None}


def _tune_malloc():
    """Fixed glibc malloc thresholds, unless the user set them. Returns True if set."""
    return _set_malloc_thresholds()[0]


def _set_malloc_thresholds():
    """``(done, what happened)``: the thresholds set with ``mallopt``, or why not."""
    if not sys.platform.startswith("linux"):
        return False, f"not set: glibc's malloc is Linux's (this is {sys.platform})"
    if _user_chose_malloc():
        return False, ("not set: the user's MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ "
                       "are in the environment")
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 - glibc only (not musl)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False, "not set: the C library is not glibc"
    if not (mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
            and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)):
        return False, "not set: glibc's mallopt refused the thresholds"
    return True, (f"M_MMAP_THRESHOLD {MMAP_THRESHOLD >> 20} MiB, M_TRIM_THRESHOLD "
                  f"{TRIM_THRESHOLD >> 20} MiB (set by sigconv with mallopt)")


#: bytes per page touched by :func:`touched_empty` (the smallest page size)
_PAGE = 4096


def touched_empty(shape, dtype):
    """``numpy.empty(shape, dtype)`` for the output of a parallel kernel, its pages faulted
    in on the calling thread when it is new memory.

    An array of :data:`MMAP_THRESHOLD` bytes or more always comes from fresh pages of the
    system (glibc's limit on the threshold), and each page faults on its first write. When
    both threads of a parallel kernel take those faults at once, one pass over a 32 MiB
    volume (a 9-tap correlation) measured 45 ms instead of 8 in spells of several calls
    on a 2-vCPU VM (Linux 6.18, transparent huge pages on madvise); with one write per
    4 KiB page here first it took 9 ms on every call. Smaller arrays come from malloc's
    heap (see the module's notes) and are returned as they are.
    """
    # (importing sigconv does not import NumPy)
    import numpy as np

    out = np.empty(shape, dtype)
    if out.nbytes >= MMAP_THRESHOLD:
        out.reshape(-1).view(np.uint8)[::_PAGE] = 0
    return out


def configure(enabled=True):
    """Apply both settings (called once, from ``sigconv/__init__.py``) and record what
    was done in :data:`applied`."""
    applied["enabled"] = bool(enabled)
    if not enabled:
        applied["omp_wait_policy"] = applied["malloc"] = "not set: SIGCONV_TUNE_RUNTIME=0"
        return
    users = os.environ.get("OMP_WAIT_POLICY")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    applied["omp_wait_policy"] = ("PASSIVE (set by sigconv)" if users is None
                                  else f"{users} (the user's, kept)")
    applied["malloc"] = _set_malloc_thresholds()[1]
