"""Scaling out with Dask: chunked convolution and the grid search on a LocalCluster."""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import sigconv as sc
from sigconv import datasets, nn

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
sdask = pytest.importorskip("sigconv.dask")


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("taps", [1, 4, 25, 130])
@pytest.mark.parametrize("chunk", [7, 25, 400])   # smaller than, equal to, larger than k
def test_chunked_convolution_equals_in_memory(mode, taps, chunk):
    rng = np.random.default_rng(taps * 1000 + chunk)
    x, kernel = rng.standard_normal(400), rng.standard_normal(taps)
    lazy = sdask.convolve(da.from_array(x, chunks=chunk), kernel, mode)
    np.testing.assert_allclose(lazy.compute(), sc.convolve(x, kernel, mode), rtol=1e-10,
                               atol=1e-10)


def test_chunked_convolution_along_an_axis_of_a_batch_and_in_float32():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 500)).astype(np.float32)
    kernel = rng.standard_normal(31).astype(np.float32)
    lazy = sdask.convolve(da.from_array(x, chunks=(2, 60)), kernel, "same", axis=1)
    assert lazy.dtype == np.float32
    np.testing.assert_allclose(lazy.compute(), sc.convolve(x, kernel[None], "same", axes=1),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.full
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("tile", [3, 16, 64])
def test_tiled_2d_convolution_equals_in_memory(boundary, mode, tile):
    rng = np.random.default_rng(2)
    image, kernel = rng.standard_normal((40, 33)), rng.standard_normal((5, 4))
    lazy = sdask.convolve2d(da.from_array(image, chunks=tile), kernel, mode, boundary, 0.5)
    np.testing.assert_allclose(lazy.compute(),
                               sc.convolve2d(image, kernel, mode, boundary, 0.5),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.int16, np.int64, np.bool_])
def test_integers_stay_exact(dtype):
    """Chunks' shares are summed in int64: exact, with the in-memory dtype and overflow
    rule."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 2 if dtype is np.bool_ else 40, 300).astype(dtype)
    kernel = rng.integers(0, 2 if dtype is np.bool_ else 10, 17).astype(dtype)
    for mode in ("full", "same", "valid"):
        lazy = sdask.convolve(da.from_array(x, chunks=11), kernel, mode)
        expected = sc.convolve(x, kernel, mode)
        assert lazy.dtype == expected.dtype
        np.testing.assert_array_equal(lazy.compute(), expected)
    image = rng.integers(-9, 9, (30, 20))
    lazy = sdask.convolve2d(da.from_array(image, chunks=7), np.arange(12).reshape(3, 4),
                            "same", "symm")
    np.testing.assert_array_equal(lazy.compute(), sc.convolve2d(
        image, np.arange(12).reshape(3, 4), "same", "symm"))
    big = da.from_array(np.full(40, 30_000, dtype=np.int16), chunks=7)
    with pytest.raises(OverflowError):   # as in memory: no silent wrap-around
        sdask.convolve(big, np.full(3, 2, dtype=np.int16)).compute()


@pytest.mark.parametrize("x, kernel", [
    (np.array([2**62, 2**62]), np.array([1, 1])),                 # beyond int64 summed
    (np.full(4, -2**31, np.int32), np.full(4, -2**31, np.int32)),  # 2**64 wraps to 0
])
def test_sums_of_shares_never_wrap_around(x, kernel):
    """Each chunk's share fits int64, their sum does not: an OverflowError, as in memory,
    not a wrapped value."""
    with pytest.raises(OverflowError):
        sc.convolve(x, kernel, mode="valid")
    with pytest.raises(OverflowError):
        sdask.convolve(da.from_array(x, chunks=1), kernel, mode="valid").compute()


def test_half_precision_is_summed_in_single_and_rounded_once():
    rng = np.random.default_rng(10)
    x, kernel = rng.standard_normal(300).astype(np.float16), np.hanning(31).astype(np.float16)
    lazy = sdask.convolve(da.from_array(x, chunks=20), kernel, "same")
    assert lazy.dtype == np.float16
    expected = sc.convolve(x, kernel, "same")   # computed in float32, rounded once
    mismatch = lazy.compute() != expected
    # the float32 sums of the shares may differ from the one-pass sum only in the last
    # float32 bits, which could flip a float16 rounding on a rare tie (none here)
    assert mismatch.sum() <= 1
    np.testing.assert_allclose(lazy.compute(), expected, rtol=1e-3)


@pytest.mark.parametrize("method", ["auto", "direct", "fft", "oa"])
def test_every_method_per_chunk(method):
    rng = np.random.default_rng(6)
    x, kernel = rng.standard_normal((2, 900)), rng.standard_normal(60)
    lazy = sdask.convolve(da.from_array(x, chunks=(1, 250)), kernel, "full", method)
    np.testing.assert_allclose(lazy.compute(), sc.convolve(x, kernel[None], axes=1),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_only_the_halos_travel(mode):
    """With chunks at least as long as the kernel, every output chunk is its own input
    chunk's window (the bulk, computed where that chunk is) plus shares of at most
    k - 1 samples of its neighbours."""
    k, n = 31, 1000
    chunks = (100, 250, 31, 300, 319)
    start, length = sc.conv.mode_window(n, k, mode)
    edges = sdask._edges(chunks)
    plan = sdask._axis_plan(edges, sdask._output_edges(chunks, length), start, k, n)
    for i, pieces in enumerate(plan):
        bulk, *shares = pieces
        assert bulk[0] == i and bulk[1] == slice(None) and bulk[4]    # whole, covering
        for j, cut, _, _, covers in shares:
            assert j in (i - 1, i + 1) and not covers
            assert len(range(*cut.indices(chunks[j]))) <= k - 1


def test_output_chunks_are_not_shared_state():
    """Each output chunk completes its bulk in place: computing the result twice, or
    using it twice in one graph, gives the same numbers."""
    x = np.random.default_rng(7).standard_normal(500)
    lazy = sdask.convolve(da.from_array(x, chunks=60), np.hanning(21), "same")
    first = lazy.compute()
    both = da.stack([lazy, lazy]).compute()
    np.testing.assert_array_equal(lazy.compute(), first)
    np.testing.assert_array_equal(both, np.stack([first, first]))


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("mode", ["full", "same"])
@pytest.mark.parametrize("shapes", [((3, 4), (7, 9)), ((2, 2), (3, 6)), ((1, 5), (4, 13))])
def test_kernels_larger_than_the_image(boundary, mode, shapes):
    """The boundary extension reaches beyond a whole period of the image."""
    rng = np.random.default_rng(8)
    image, kernel = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    lazy = sdask.convolve2d(da.from_array(image, chunks=2), kernel, mode, boundary, -1.5)
    np.testing.assert_allclose(lazy.compute(),
                               sc.convolve2d(image, kernel, mode, boundary, -1.5),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("chunk", [3, 40])
def test_correlation_equals_in_memory(mode, chunk):
    rng = np.random.default_rng(9)
    x = rng.standard_normal(200) + 1j * rng.standard_normal(200)
    kernel = rng.standard_normal(8) - 2j * rng.standard_normal(8)    # even and complex
    np.testing.assert_allclose(
        sdask.correlate(da.from_array(x, chunks=chunk), kernel, mode).compute(),
        sc.correlate(x, kernel, mode), rtol=1e-10, atol=1e-10)
    image, small = rng.standard_normal((30, 21)), rng.standard_normal((4, 2))
    for boundary in ("fill", "wrap", "symm"):
        np.testing.assert_allclose(
            sdask.correlate2d(da.from_array(image, chunks=chunk), small, mode, boundary,
                              0.25).compute(),
            sc.correlate2d(image, small, mode, boundary, 0.25), rtol=1e-10, atol=1e-10)


def test_bad_arguments():
    x = da.ones(10, chunks=3)
    with pytest.raises(ValueError, match="kernel"):
        sdask.convolve(x, np.ones((2, 2)))
    with pytest.raises(ValueError, match="mode"):
        sdask.convolve(x, np.ones(3), mode="middle")
    with pytest.raises(ValueError, match="valid"):
        sdask.convolve(x, np.ones(11), mode="valid")
    with pytest.raises(ValueError, match="boundary"):
        sdask.convolve2d(da.ones((4, 4)), np.ones((2, 2)), boundary="mirror")
    with pytest.raises(TypeError, match="kernel"):
        sdask.convolve(x, np.array(["a", "b"]))
    with pytest.raises(TypeError, match="x must be a numeric"):
        sdask.convolve(da.from_array(np.array(["a", "b", "c"])), np.ones(2))
    with pytest.raises(TypeError, match="image must be a numeric"):
        sdask.correlate2d(da.from_array(np.full((3, 3), "z")), np.ones((2, 2)))
    with pytest.raises(ValueError, match="fillvalue"):   # as sigconv.convolve2d
        sdask.convolve2d(da.ones((4, 4)), np.ones((2, 2)), fillvalue=1j)
    with pytest.raises(TypeError, match="axis must be an integer"):
        sdask.convolve(x, np.ones(2), axis=None)
    with pytest.raises(TypeError, match="axis must contain integers"):
        sdask.convolve(x, np.ones(2), axis=0.5)
    with pytest.raises(ValueError, match="axis entry 1 is out of range"):
        sdask.convolve(x, np.ones(2), axis=1)
    unknown = da.from_array(np.arange(8.0), chunks=3)
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        sdask.convolve(unknown[unknown > 2], np.ones(2))
    if np.dtype(np.longdouble).itemsize > 8:
        with pytest.raises(TypeError, match="kernel"):
            sdask.convolve(x, np.ones(2, np.longdouble))
        with pytest.raises(TypeError, match="x has dtype"):
            sdask.convolve(x.astype(np.longdouble), np.ones(2))
    with pytest.raises(TypeError, match="uint64"):
        sdask.convolve(da.ones(10, chunks=3, dtype=np.uint64), np.ones(3, np.uint64))


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


@pytest.fixture(scope="module")
def digits():
    x, labels = datasets.load_digits()
    y = nn.utils.to_categorical(labels)
    return x[:120], y[:120], x[120:180], y[120:180]


GRID = {"learning_rate": [0.01, 0.1], "l2": [0.0, 1e-3]}


@pytest.mark.full
def test_grid_on_a_cluster_equals_the_serial_run(client, digits):
    serial = nn.grid_search(nn.lecture_digits_cnn, GRID, *digits, epochs=2, batch_size=30,
                            seed=3)
    spread = nn.grid_search(nn.lecture_digits_cnn, GRID, *digits, epochs=2, batch_size=30,
                            seed=3, executor=client.get_executor())
    assert spread.records == serial.records or all(
        {k: v for k, v in a.items() if k != "seconds"} == {k: v for k, v in b.items()
                                                            if k != "seconds"}
        for a, b in zip(spread.records, serial.records, strict=True))
    # the cluster's distributed Dask array computes the chunked convolution too
    x = np.random.default_rng(4).standard_normal(3000)
    lazy = sdask.convolve(da.from_array(x, chunks=500), np.hanning(41), "same")
    np.testing.assert_allclose(client.compute(lazy).result(),
                               sc.convolve(x, np.hanning(41), "same"), rtol=1e-12)


@pytest.mark.full
def test_chunked_convolution_on_the_cluster(client):
    """The same equalities on the LocalCluster's worker processes: every mode, chunks
    smaller than, equal to and larger than the kernel, and 2-D tiles with boundaries."""
    rng = np.random.default_rng(11)
    x, kernel = rng.standard_normal(400).astype(np.float32), rng.standard_normal(25)
    cases = [(mode, chunk) for mode in ("full", "same", "valid") for chunk in (7, 25, 400)]
    lazies = [sdask.convolve(da.from_array(x, chunks=chunk), kernel, mode)
              for mode, chunk in cases]
    image, small = rng.standard_normal((40, 33)), rng.standard_normal((5, 4))
    tiled = [(boundary, tile) for boundary in ("fill", "wrap", "symm") for tile in (3, 16)]
    lazies += [sdask.convolve2d(da.from_array(image, chunks=tile), small, "same", boundary,
                                0.5) for boundary, tile in tiled]
    results = client.gather(client.compute(lazies))
    for (mode, _), result in zip(cases, results, strict=False):
        np.testing.assert_allclose(result, sc.convolve(x, kernel, mode), rtol=1e-10,
                                   atol=1e-10)
    for (boundary, _), result in zip(tiled, results[len(cases):], strict=True):
        np.testing.assert_allclose(result, sc.convolve2d(image, small, "same", boundary, 0.5),
                                   rtol=1e-10, atol=1e-10)


def test_a_failed_cell_is_reported_and_the_others_finish(digits):
    grid = {"learning_rate": [0.1, -1.0], "l2": [0.0]}   # SGD refuses a negative rate
    with ThreadPoolExecutor(2) as executor:
        result = nn.grid_search(nn.lecture_digits_cnn, grid, *digits, epochs=1,
                                batch_size=60, executor=executor)
    good, bad = result.records
    assert "error" not in good and good["test_accuracy"] >= 0
    assert "learning_rate" in bad["error"] and np.isnan(bad["test_accuracy"])
    assert result.best() is good


def _refuse(**params):
    raise AssertionError("this cell should have come from the cache")


def test_cache_dir_skips_the_cells_already_done(tmp_path, digits):
    first = nn.grid_search(nn.lecture_digits_cnn, GRID, *digits, epochs=1, batch_size=60,
                           cache_dir=tmp_path)
    assert len(list(tmp_path.glob("cell-*.json"))) == 4
    assert not list(tmp_path.glob("*.tmp"))          # written atomically
    again = nn.grid_search(_refuse, GRID, *digits, epochs=1, batch_size=60,
                           cache_dir=tmp_path)
    for a, b in zip(first.records, again.records, strict=True):
        assert a["test_accuracy"] == b["test_accuracy"] and a["l2"] == b["l2"]
    # other settings are other cells: not in the cache, so they run (and fail here)
    other = nn.grid_search(_refuse, GRID, *digits, epochs=2, batch_size=60,
                           cache_dir=tmp_path)
    assert all("should have come from the cache" in r["error"] for r in other.records)


@pytest.mark.full
def test_the_grid_survives_a_killed_worker(client, digits, tmp_path):
    """A worker dies mid-run: Dask reruns its cells elsewhere and the grid completes."""
    grid = {"learning_rate": [0.01, 0.03, 0.1], "l2": [0.0, 1e-4]}
    outcome = {}

    def run():
        outcome["result"] = nn.grid_search(nn.lecture_digits_cnn, grid, *digits, epochs=30,
                                           batch_size=30, seed=5,
                                           executor=client.get_executor(),
                                           cache_dir=tmp_path)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.time() + 60
    while not list(tmp_path.glob("cell-*.json")) and time.time() < deadline:
        time.sleep(0.05)
    victim = sorted(client.scheduler_info()["workers"])[0]
    try:
        client.run(os._exit, 1, workers=[victim])
    except Exception:   # the worker dies before it can answer
        pass
    thread.join(timeout=180)
    assert not thread.is_alive()
    records = outcome["result"].records
    assert len(records) == 6 and all("error" not in record for record in records)
    serial = nn.grid_search(nn.lecture_digits_cnn, grid, *digits, epochs=30, batch_size=30,
                            seed=5)
    assert [r["test_accuracy"] for r in records] == [r["test_accuracy"]
                                                      for r in serial.records]
