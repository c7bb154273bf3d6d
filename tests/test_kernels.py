"""The numba kernels of sigconv.kernels.cpu, called directly and through convolve.

The kernels take the dispatcher's layout: ``x`` of shape ``(Bx, Rx, n)``, ``h`` of shape
``(Bh, Rh, k)``, ``out`` of shape ``(B, Ro, m)``, batch maps, row shapes, the window start
and the block length. :func:`run_kernel` builds those arguments independently of
``sigconv.conv`` so that the kernels are checked on their own contract; ``out`` is
pre-filled with a sentinel so that an output no task writes is caught.

CI reruns this module with ``NUMBA_BOUNDSCHECK=1``: an index outside any array raises.
"""

import math
import zlib

import naive
import numpy as np
import pytest
import scipy.signal
from hypothesis import given
from hypothesis import strategies as st
from strategies import MODES, RTOL, conv_atol, lengths, random_array

import sigconv as sc
import sigconv._config
from sigconv.kernels import cpu

pytestmark = pytest.mark.kernel

KERNELS = {"serial": cpu.direct_nd_serial, "parallel": cpu.direct_nd_parallel}
KERNEL_DTYPES = (np.int64, np.float64, np.complex128, np.float32, np.complex64)


def rng_for(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def sentinel(dtype):
    dtype = np.dtype(dtype)
    return np.iinfo(dtype).min if dtype.kind == "i" else np.nan


def window(n, k, mode):
    """(start, length) of ``mode`` in the full convolution of lengths n and k (SciPy)."""
    full = n + k - 1
    length = {"full": full, "same": n, "valid": abs(n - k) + 1}[mode]
    return (full - length) // 2, length


def run_kernel(kernel, x, h, mode, block, x_batch=None, h_batch=None):
    """Call ``kernel`` on ``x`` (Bx, *conv) and ``h`` (Bh, *conv); returns (B, *out)."""
    bx, bh = x.shape[0], h.shape[0]
    if x_batch is None:
        x_batch = np.arange(max(bx, bh)) if bx > 1 else np.zeros(max(bx, bh))
    if h_batch is None:
        h_batch = np.arange(max(bx, bh)) if bh > 1 else np.zeros(max(bx, bh))
    x_batch = np.asarray(x_batch, dtype=np.int64)
    h_batch = np.asarray(h_batch, dtype=np.int64)
    windows = [window(n, k, mode) for n, k in zip(x.shape[1:], h.shape[1:], strict=True)]
    out_conv = tuple(length for _, length in windows)
    out = np.full((x_batch.size, math.prod(out_conv[:-1]), out_conv[-1]), sentinel(x.dtype),
                  dtype=x.dtype)
    kernel(
        np.ascontiguousarray(x.reshape(bx, -1, x.shape[-1])),
        np.ascontiguousarray(h.reshape(bh, -1, h.shape[-1])),
        out,
        x_batch,
        h_batch,
        np.array(x.shape[1:-1], dtype=np.int64),
        np.array(h.shape[1:-1], dtype=np.int64),
        np.array(out_conv[:-1], dtype=np.int64),
        np.array([start for start, _ in windows[:-1]], dtype=np.int64),
        windows[-1][0],
        block,
    )
    return out.reshape((x_batch.size,) + out_conv)


def reference(x, h, mode, x_batch, h_batch):
    return np.stack([naive.convolve(x[i], h[j], mode) for i, j in zip(x_batch, h_batch,
                                                                       strict=True)])


def assert_matches(out, expected, x, h):
    if out.dtype.kind == "i":
        np.testing.assert_array_equal(out, naive.as_dtype(expected, out.dtype))
    else:
        assert not np.isnan(out).any(), "an output was never written"
        np.testing.assert_allclose(out, expected.astype(np.complex128 if out.dtype.kind == "c"
                                                        else np.float64),
                                   rtol=RTOL[out.dtype], atol=conv_atol(x, h, out.dtype))


# --------------------------------------------------------------------------------------
# the kernels called directly
# --------------------------------------------------------------------------------------
LENGTH_PAIRS = [(1, 1), (7, 1), (1, 7), (10, 4), (10, 5), (11, 8), (9, 9), (4, 13), (30, 7),
                (31, 11), (64, 3)]


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("block", [1, 2, 3, 5, 8, 2048])
@pytest.mark.parametrize("n, k", LENGTH_PAIRS)
def test_kernel_1d_edges_and_blocks(kernel, n, k, block, mode):
    """Blocks of every size, straddling both edges of x, kernels longer than x, every
    remainder of the four-tap loop (k mod 4)."""
    rng = rng_for("1d", n, k, block, mode)
    x = random_array(rng, (1, n), np.int64)
    h = random_array(rng, (1, k), np.int64)
    out = run_kernel(KERNELS[kernel], x, h, mode, block)
    assert_matches(out, reference(x, h, mode, [0], [0]), x, h)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dtype", KERNEL_DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_kernel_dtypes(kernel, dtype, mode):
    rng = rng_for("dtypes", dtype, mode)
    for n, k, block in [(50, 9, 7), (9, 50, 4), (33, 33, 16)]:
        x = random_array(rng, (2, n), dtype)
        h = random_array(rng, (2, k), dtype)
        out = run_kernel(KERNELS[kernel], x, h, mode, block)
        assert out.dtype == np.dtype(dtype)
        assert_matches(out, reference(x, h, mode, [0, 1], [0, 1]), x, h)


ROW_CASES = [
    # (x conv shape, h conv shape): one, two and three row dimensions
    ((5, 12), (2, 3)),
    ((2, 12), (4, 3)),
    ((4, 4), (4, 4)),
    ((1, 9), (3, 2)),
    ((4, 3, 10), (2, 2, 4)),
    ((2, 5, 7), (3, 1, 9)),
    ((3, 2, 2, 11), (2, 2, 1, 5)),
]


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("block", [1, 4, 2048])
@pytest.mark.parametrize("shapes", ROW_CASES, ids=str)
def test_kernel_several_row_dims(kernel, shapes, block, mode):
    x_shape, h_shape = shapes
    rng = rng_for("rows", shapes, block, mode)
    dtype = np.int64 if block != 4 else np.float64
    x = random_array(rng, (1,) + x_shape, dtype)
    h = random_array(rng, (1,) + h_shape, dtype)
    # "valid" where neither input covers the other is refused by convolve, but the kernel's
    # window is still defined per axis (|n - k| + 1 outputs centred on the full result)
    out = run_kernel(KERNELS[kernel], x, h, mode, block)
    assert_matches(out, reference(x, h, mode, [0], [0]), x, h)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("mode", MODES)
def test_kernel_batch_maps(kernel, mode):
    """Output batch b reads x[x_batch[b]] and h[h_batch[b]]: broadcasting and any
    permutation of the batch entries."""
    rng = rng_for("batch", mode)
    x = random_array(rng, (3, 4, 15), np.int64)
    h = random_array(rng, (2, 2, 6), np.int64)
    cases = [
        ([0, 1, 2], [0, 0, 0]),  # h broadcast
        ([0, 0, 0, 0], [0, 1, 1, 0]),  # x broadcast
        ([2, 0, 1, 2, 1, 0], [1, 1, 0, 0, 1, 0]),  # an outer product, scrambled
    ]
    for x_batch, h_batch in cases:
        out = run_kernel(KERNELS[kernel], x, h, mode, 4, x_batch, h_batch)
        assert_matches(out, reference(x, h, mode, x_batch, h_batch), x, h)


@pytest.mark.parametrize("dtype", KERNEL_DTYPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("block", [1, 3, 4, 2048])
def test_kernel_1d_fast_path(dtype, mode, block):
    """direct_1d_serial: out[t] = (x * h)[col_start + t], blocks straddling both edges,
    either input the longer one."""
    rng = rng_for("1d-fast", dtype, mode, block)
    for n, k in LENGTH_PAIRS:
        x = random_array(rng, n, dtype)
        h = random_array(rng, k, dtype)
        start, length = window(n, k, mode)
        out = np.full(length, sentinel(dtype), dtype=dtype)
        cpu.direct_1d_serial(x, h, out, start, block)
        assert_matches(out, naive.convolve(x, h, mode), x, h)
        nd = run_kernel(cpu.direct_nd_serial, x[np.newaxis], h[np.newaxis], mode, block)
        np.testing.assert_array_equal(out, nd[0])


@given(st.sampled_from(KERNEL_DTYPES), st.integers(1, 3), st.data())
def test_serial_and_parallel_kernels_agree(dtype, n_conv_dims, data):
    """Identical arguments give bitwise identical results: every task computes its block the
    same way on any thread."""
    max_length = {1: 64, 2: 12, 3: 6}[n_conv_dims]
    x_shape = tuple(data.draw(lengths(max_length)) for _ in range(n_conv_dims))
    h_shape = tuple(data.draw(lengths(max_length)) for _ in range(n_conv_dims))
    batch = data.draw(st.integers(1, 3))
    mode = data.draw(st.sampled_from(MODES))
    block = data.draw(st.sampled_from([1, 2, 3, 7, 16, 2048]))
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = random_array(rng, (batch,) + x_shape, dtype)
    h = random_array(rng, (1,) + h_shape, dtype)
    serial = run_kernel(cpu.direct_nd_serial, x, h, mode, block)
    parallel = run_kernel(cpu.direct_nd_parallel, x, h, mode, block)
    np.testing.assert_array_equal(parallel, serial)
    assert_matches(serial, reference(x, h, mode, range(batch), [0] * batch), x, h)


# --------------------------------------------------------------------------------------
# through convolve(method="direct"), with the blocking and threshold patched
# --------------------------------------------------------------------------------------
class Spy:
    """Wraps a kernel and counts its calls."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.kernel(*args)


@pytest.fixture
def spies(monkeypatch):
    """Spies on the serial (N-D or the 1-D fast path) and the parallel kernels."""
    serial, parallel = Spy(cpu.direct_nd_serial), Spy(cpu.direct_nd_parallel)
    serial_1d = Spy(cpu.direct_1d_serial)
    monkeypatch.setattr(cpu, "direct_nd_serial", serial)
    monkeypatch.setattr(cpu, "direct_nd_parallel", parallel)
    monkeypatch.setattr(cpu, "direct_1d_serial", serial_1d)

    def counts():
        return serial.calls + serial_1d.calls, parallel.calls

    return counts


CONVOLVE_CASES = [
    # (shape1, shape2, axes)
    ((40,), (7,), None),
    ((7,), (40,), None),
    ((13,), (13,), None),
    ((6, 9), (3, 4), None),
    ((3, 4), (6, 9), None),
    ((4, 5, 6), (2, 3, 4), None),
    ((3, 1, 20), (1, 4, 5), 2),  # batch (3, 4) broadcast from both sides
    ((2, 6, 3, 11), (2, 2, 1, 4), (1, 3)),  # batch axes interleaved with convolved ones
    ((5, 30), (1, 30), 1),
    ((1, 8, 8), (3, 3, 3), (1, 2)),
]


@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.complex64])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("block", [1, 3, 5])
@pytest.mark.parametrize("case", CONVOLVE_CASES, ids=str)
def test_convolve_direct_small_blocks_serial_and_parallel(case, block, mode, dtype, spies,
                                                          monkeypatch):
    shape1, shape2, axes = case
    axes_list = None if axes is None else ([axes] if np.ndim(axes) == 0 else list(axes))
    conv_axes = range(len(shape1)) if axes_list is None else axes_list
    pairs_ = [(shape1[a], shape2[a]) for a in conv_axes]
    if mode == "valid" and not (all(a >= b for a, b in pairs_)
                                or all(b >= a for a, b in pairs_)):
        mode = "same"
    rng = rng_for("convolve-block", case, block, mode, dtype)
    in1 = random_array(rng, shape1, dtype)
    in2 = random_array(rng, shape2, dtype)
    monkeypatch.setattr(sigconv._config, "DIRECT_BLOCK", block)
    monkeypatch.setattr(sigconv._config, "PARALLEL_MIN_MACS", 10**18)
    serial = sc.convolve(in1, in2, mode, "direct", axes)
    assert spies() == (1, 0)
    monkeypatch.setattr(sigconv._config, "PARALLEL_MIN_MACS", 0)
    parallel = sc.convolve(in1, in2, mode, "direct", axes)
    assert spies() == (1, 1)

    assert serial.dtype == parallel.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(parallel, serial)
    expected = naive.convolve(in1, in2, mode, axes_list)
    assert serial.shape == expected.shape
    if np.dtype(dtype).kind == "i":
        np.testing.assert_array_equal(serial, naive.as_dtype(expected, dtype))
    else:
        np.testing.assert_allclose(serial, expected, rtol=RTOL[serial.dtype],
                                   atol=conv_atol(in1, in2, dtype))
    correlated = sc.correlate(in1, in2, mode, "direct", axes)
    expected = naive.convolve(in1, naive.reverse_conj(in2, None if axes_list is None
                                                      else tuple(axes_list)),
                              mode, axes_list)
    if np.dtype(dtype).kind == "i":
        np.testing.assert_array_equal(correlated, naive.as_dtype(expected, dtype))
    else:
        np.testing.assert_allclose(correlated, expected, rtol=RTOL[serial.dtype],
                                   atol=conv_atol(in1, in2, dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.int64])
@pytest.mark.parametrize("mode", MODES)
def test_large_problem_takes_the_parallel_kernel(dtype, mode, spies):
    """n=5000, k=101 crosses PARALLEL_MIN_MACS with the default configuration."""
    rng = rng_for("large", dtype, mode)
    x = random_array(rng, 5000, dtype)
    h = random_array(rng, 101, dtype)
    out = sc.convolve(x, h, mode, "direct")
    assert spies() == (0, 1)
    assert out.dtype == np.dtype(dtype)
    if np.dtype(dtype).kind == "i":
        expected = np.convolve(x, h, mode if mode != "same" else "full")
        if mode == "same":
            expected = naive.mode_window(expected, x.shape, h.shape, mode)
        np.testing.assert_array_equal(out, expected)  # |values| << 2**63: NumPy is exact
    else:
        wide = np.complex128 if np.dtype(dtype).kind == "c" else np.float64
        expected = scipy.signal.convolve(x.astype(wide), h.astype(wide), mode, "direct")
        np.testing.assert_allclose(out, expected, rtol=RTOL[out.dtype],
                                   atol=conv_atol(x, h, dtype))
    # reversed roles: the long input as the kernel
    np.testing.assert_array_equal(sc.convolve(h, x, "full", "direct"),
                                  sc.convolve(x, h, "full", "direct"))


def test_large_2d_problem_parallel_matches_serial(monkeypatch):
    rng = rng_for("large-2d")
    image = rng.standard_normal((120, 90))
    kernel = rng.standard_normal((9, 7))
    parallel = sc.convolve(image, kernel, "same", "direct")
    monkeypatch.setattr(sigconv._config, "PARALLEL_MIN_MACS", 10**18)
    serial = sc.convolve(image, kernel, "same", "direct")
    np.testing.assert_array_equal(parallel, serial)
    np.testing.assert_allclose(parallel, scipy.signal.convolve(image, kernel, "same", "direct"),
                               rtol=1e-10, atol=conv_atol(image, kernel, np.float64))


@given(st.data())
def test_convolve_direct_property_with_small_blocks(data):
    """Random N-D shapes, batch broadcasting, blocks and thresholds: exact for int64."""
    ndim = data.draw(st.integers(1, 3))
    max_length = {1: 40, 2: 10, 3: 5}[ndim]
    axes = data.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                              unique=True))
    shape1, shape2 = [], []
    for axis in range(ndim):
        if axis in axes:
            shape1.append(data.draw(lengths(max_length)))
            shape2.append(data.draw(lengths(max_length)))
        else:
            size = data.draw(st.integers(1, 3))
            ones = data.draw(st.sampled_from(["none", "first", "second"]))
            shape1.append(1 if ones == "first" else size)
            shape2.append(1 if ones == "second" else size)
    mode = data.draw(st.sampled_from(["full", "same"]))
    block = data.draw(st.integers(1, 9))
    threshold = data.draw(st.sampled_from([0, 10**18]))
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    in1 = random_array(rng, tuple(shape1), np.int64)
    in2 = random_array(rng, tuple(shape2), np.int64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sigconv._config, "DIRECT_BLOCK", block)
        patch.setattr(sigconv._config, "PARALLEL_MIN_MACS", threshold)
        out = sc.convolve(in1, in2, mode, "direct", axes)
    expected = naive.convolve(in1, in2, mode, axes)
    np.testing.assert_array_equal(out, naive.as_dtype(expected, np.int64))


@pytest.mark.parametrize("threshold", [0, 10**18])
@pytest.mark.parametrize("block", [1, 16, 2048])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_stays_local_on_every_direct_path(threshold, block, bad, monkeypatch):
    """A non-finite input touches exactly the outputs its taps reach, on the 1-D fast path,
    the serial and the parallel kernel, whatever the blocking."""
    monkeypatch.setattr(sigconv._config, "DIRECT_BLOCK", block)
    monkeypatch.setattr(sigconv._config, "PARALLEL_MIN_MACS", threshold)
    rng = rng_for("nan-paths", threshold, block)
    x = rng.standard_normal(600)
    h = rng.standard_normal(37)
    positions = [0, 15, 16, 17, 299, 599]
    x[positions] = bad
    clean = np.where(np.isfinite(x), x, 0.0)
    touched = np.zeros(x.size + h.size - 1, dtype=bool)
    for p in positions:
        touched[p:p + h.size] = True
    expected = np.convolve(clean, h)
    for out in (sc.convolve(x, h, method="direct"), sc.convolve(h, x, method="direct"),
                sc.convolve(x[np.newaxis], h[np.newaxis], method="direct")[0]):
        assert not np.isfinite(out[touched]).any()
        np.testing.assert_allclose(out[~touched], expected[~touched], rtol=1e-10,
                                   atol=conv_atol(clean, h, np.float64))
