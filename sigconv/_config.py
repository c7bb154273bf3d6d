"""One place for sigconv's tunables.

Everything a user or a benchmark may want to turn lives here, not scattered through the
modules: the numba compilation flags, the direct kernel's blocking, the thresholds that
pick serial or parallel kernels, and the calibrated cost model behind ``method="auto"``.
"""

# --- numba compilation -------------------------------------------------------------
#: cache compiled kernels on disk so that a second process does not recompile them
JIT_CACHE = True
#: ``fastmath`` would let LLVM reassociate sums (non-deterministic rounding, and it
#: assumes no NaN/inf, which breaks the "NaN stays local" guarantee); the direct kernel
#: is written so that it vectorises without it
JIT_FASTMATH = False

# --- direct kernel -----------------------------------------------------------------
#: outputs per task of the direct kernel: the accumulator block stays in L1 while every
#: tap of the kernel streams over it
DIRECT_BLOCK = 2048
#: below this many multiply-adds the serial kernel wins (parallel start-up is ~10 us)
PARALLEL_MIN_MACS = 60_000

# --- FFT -----------------------------------------------------------------------------
#: ``workers`` handed to ``scipy.fft``; -1 means all cores
FFT_WORKERS = -1

# --- cost model for method="auto" ------------------------------------------------------
# Seconds per unit of work, fitted on a 2-core AMD EPYC (AVX-512) by ``bench/calibrate.py``.
# The model only needs the *ratios* right; all three costs share the same clock.
#: seconds per multiply-add of the direct kernel (per core, float64)
COST_DIRECT_MAC = 1.0e-10
#: fixed seconds per direct call (validation, dispatch)
COST_DIRECT_CALL = 4.0e-6
#: seconds per ``N log2 N`` unit of one real FFT of length N
COST_FFT_UNIT = 1.0e-9
#: fixed seconds per FFT call
COST_FFT_CALL = 3.0e-5
#: seconds per output of the direct kernel (the memory traffic that short kernels see)
COST_DIRECT_OUT = 2.0e-10
#: seconds per ``N log2 N`` unit of the overlap-add blocks (batched, on all cores)
COST_OA_UNIT = 0.6e-9
#: seconds per output of overlap-add (padding, block copies and the strided additions)
COST_OA_OUT = 2.0e-9
