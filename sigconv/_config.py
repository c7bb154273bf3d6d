"""One place for sigconv's tunables.

Everything a user or a benchmark may want to turn lives here, not scattered through the
modules: the numba compilation flags, the direct kernel's blocking, the thresholds that
pick serial or parallel kernels, and the calibrated cost model behind ``method="auto"``.
"""

import os

# --- process settings ---------------------------------------------------------------
#: at import, ask OpenMP workers to sleep when idle and fix glibc's malloc thresholds
#: (see sigconv._runtime for the measured reasons); the environment variable
#: ``SIGCONV_TUNE_RUNTIME=0`` leaves the process untouched
TUNE_RUNTIME = os.environ.get("SIGCONV_TUNE_RUNTIME", "1") != "0"

# --- memory ---------------------------------------------------------------------------
#: the most bytes one call may ask for before sigconv refuses it with a MemoryError that
#: names the argument (checked before allocating); None: the machine's physical memory, or
#: the process's address-space limit (``ulimit -v``) where that is lower. The environment
#: variable ``SIGCONV_MAX_MEMORY`` (bytes) sets it too.
MAX_MEMORY = None

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
#: blocks are made smaller (down to 256 outputs) until there are this many tasks, so that
#: both cores stay busy on short outputs
DIRECT_MIN_TASKS = 16
#: below this many multiply-adds the serial kernel wins (parallel start-up is ~10 us)
PARALLEL_MIN_MACS = 60_000

#: sigconv.filters' numba passes: outputs per task along the last axis (the accumulator
#: block and the parts of the source rows that the taps read stay in L1/L2 from one
#: output row to the next)
FILTER_BLOCK = 1024
#: the parallel filter kernels split the rows into runs until there are this many tasks
#: per thread of numba's, so that every thread stays busy
FILTER_MIN_TASKS_PER_THREAD = 8
#: a uniform filter's windows of this many samples or more along the last axis are
#: summed by running sums (two additions per output) rather than tap by tap
FILTER_RUNNING_MIN = 8
#: N-D filter kernels of at most this many entries (not rank one) are correlated in
#: place by the numba kernel; larger ones are padded and go through sigconv.convolve's
#: direct/FFT choice
FILTER_ND_DIRECT_MAX_TAPS = 64

# --- FFT -----------------------------------------------------------------------------
#: ``workers`` handed to ``scipy.fft``; None: numba's thread count for the calling thread
#: (``numba.set_num_threads``), so that one setting bounds all of sigconv's threads
FFT_WORKERS = None
#: from this many points on, the two forward transforms of an FFT convolution run on two
#: threads at once (below it the thread hand-off costs more than it saves)
FFT_CONCURRENT_MIN = 32_768
#: overlap-add transforms its blocks in batches of about this many bytes of spectra, and
#: at least this many blocks (pocketfft vectorizes across transforms): the temporaries no
#: longer cost several times the signal in memory (a 1e8-sample float32 signal with
#: 10,001 taps: 0.5 GB at peak instead of 1.2 GB), measured as fast or faster
OA_BATCH_BYTES = 64 << 20
OA_BATCH_MIN_BLOCKS = 16

# --- cost model for method="auto" ------------------------------------------------------
# Seconds per unit of the work counts of ``conv._cost_features`` (model version
# ``sigconv._calibrate.MODEL_VERSION``), the shipped defaults: fitted by
# ``python bench/calibrate.py`` (``sigconv calibrate``'s fit, at 1 and 2 threads) on an
# idle 2-core AMD EPYC VM (AVX-512), parallel efficiencies (last) included.
# ``sigconv calibrate`` fits them all on the user's machine, at 1 thread and at numba's
# thread count, and stores them in the user's cache folder, where ``method="auto"``
# prefers them.
#: direct: (per call; per multiply-add in 1-D double, 1-D single, N-D double, N-D single
#: precision; per output; per row sweep; the parallel efficiency ``e`` of numba's threads:
#: ``t`` threads run ``1 + e (t - 1)`` times as fast as one)
COST_DIRECT = (2.803e-05, 9.343e-11, 3.760e-11, 1.417e-10, 7.194e-11, 5.767e-10, 5.648e-08,
               0.8)
#: fft: (per call; per N log2 N unit of small transforms in double, in single precision,
#: of large transforms in double, in single precision; the parallel efficiency of the
#: workers)
COST_FFT = (1.798e-04, 3.664e-10, 4.362e-10, 4.512e-10, 2.640e-10, 0.9)
#: a transform of more than this many points is large (it leaves the cache; chosen by
#: the benchmark bench/bench_auto.py among 2**15..2**17): fft terms of its own
COST_FFT_LARGE = 65_536
#: overlap-add: (per call; per N log2 N unit of all blocks in double, in single precision;
#: per output; per block; the parallel efficiency of the workers)
COST_OA = (2.999e-04, 3.706e-10, 7.598e-10, 2.182e-09, 9.278e-08, 0.2)

# --- CUDA launches ------------------------------------------------------------------
#: threads per block of every 1-D CUDA launch (the simulator tests patch it small)
CUDA_THREADS_PER_BLOCK = 256
#: at most this many blocks per launch; the kernels' grid-stride loops cover the rest
CUDA_MAX_BLOCKS = 4096

# --- neural-network layers (sigconv.nn) ------------------------------------------------
#: a convolution is computed in chunks of output lines whose im2col buffer holds about
#: this many bytes: small enough to stay in cache between the copy and the matrix product,
#: large enough that each product runs near the BLAS peak
NN_CHUNK_BYTES = 1 << 19
#: below this many elements the elementwise and windowing kernels run on one thread (a
#: parallel loop costs ~50-100 us to wake the sleeping OpenMP workers on this VM)
NN_PARALLEL_MIN = 1 << 19
#: max pooling without padding of at most this many channels takes each window's
#: maximum channel by channel over its taps (1.6x faster on the digits CNN's 10 channels);
#: with more channels the taps' loops over the channels run as fast or faster
NN_POOL_FEW_CHANNELS = 16
#: threads of sigconv.nn's pool for large convolutions; None means numba's thread count
NN_THREADS = None
#: convolutions with fewer multiply-adds than this run on the calling thread
NN_THREADED_MIN_MACS = 4_000_000
#: Winograd convolutions transform at most this many tiles per matrix product (fewer when
#: a tile's transformed channels are many): the chunk's transformed input and output stay
#: in cache between the transforms and the product
NN_WINOGRAD_CHUNK_TILES = 256
#: the cost model of ``algorithm="auto"`` in the convolution layers: seconds (per call,
#: per multiply-add, per element moved) of each algorithm family, the last two per thread
#: (work counts: ``sigconv.nn.functional.conv_work``); fitted on this 2-core AMD EPYC VM by
#: ``bench/calibrate_nn.py`` (rerun it on another CPU and paste). A family missing here is
#: never picked by "auto".
NN_CONV_COST = {
    "gemm": (5.315e-05, 1.104e-11, 1.247e-09),
    "winograd": (4.568e-04, 4.424e-12, 1.715e-09),
    "fft": (9.311e-04, 4.294e-11, 9.234e-10),
    "direct": (4.538e-05, 4.927e-11, 6.897e-10),
}
