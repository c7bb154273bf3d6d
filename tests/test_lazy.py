"""Deferred imports (sigconv._lazy) and kernel twins (sigconv._jit.twins)."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import sigconv
import sigconv.nn
from sigconv import _lazy
from sigconv._jit import twins
from sigconv.kernels import cpu

HEAVY = ("numba", "scipy", "matplotlib", "sklearn", "tqdm", "pooch", "threadpoolctl", "dask")


def run_python(code):
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip().splitlines()[-1]


def test_import_sigconv_and_nn_import_no_heavy_library():
    loaded = run_python(f"""
        import sys
        import sigconv
        import sigconv.nn
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
    """)
    assert loaded == "[]"


def test_a_name_loads_what_it_needs_and_works():
    out = run_python("""
        import sys
        import sigconv as sc
        assert "numba" not in sys.modules
        y = sc.convolve([1.0, 2.0], [1.0, 1.0])
        print(y.tolist(), "numba" in sys.modules, "matplotlib" in sys.modules)
    """)
    assert out == "[1.0, 3.0, 2.0] True False"


@pytest.mark.parametrize("package", [sigconv, sigconv.nn], ids=["sigconv", "sigconv.nn"])
def test_every_public_name_resolves_and_is_listed(package):
    for name in package.__all__:
        assert getattr(package, name) is not None, name
    assert set(package.__all__) <= set(dir(package))


def test_submodules_are_attributes():
    import sigconv.filters
    import sigconv.nn.layers

    assert sigconv.filters is sys.modules["sigconv.filters"]
    assert sigconv.nn.layers is sys.modules["sigconv.nn.layers"]
    assert sigconv.plotting.__name__ == "sigconv.plotting"
    assert sigconv.nn.schedules is sigconv.nn.optimizers.schedules


@pytest.mark.parametrize("package", [sigconv, sigconv.nn], ids=["sigconv", "sigconv.nn"])
def test_unknown_attribute_raises_attribute_error(package):
    with pytest.raises(AttributeError, match="no_such_name"):
        package.no_such_name  # noqa: B018


def test_names_are_the_submodules_objects():
    from sigconv.conv import convolve
    from sigconv.nn.layers import Dense

    assert sigconv.convolve is convolve
    assert sigconv.nn.Dense is Dense


def test_lazy_module_reads_and_writes_the_real_module(monkeypatch):
    import json

    lazy = _lazy.LazyModule("json")
    assert lazy.dumps is json.dumps
    monkeypatch.setattr(lazy, "marker_for_test", 3, raising=False)
    assert json.marker_for_test == 3
    assert "dumps" in dir(lazy)
    assert "json" in repr(lazy)
    with pytest.raises(AttributeError):
        lazy.no_such_attribute  # noqa: B018


def _running_sum(x, out):
    for i in range(x.shape[0]):  # a body whose loop would be prange; range is enough here
        out[i] = x[i] * 2


def test_twins_are_serial_and_parallel_with_their_own_cache_names():
    serial, parallel = twins(_running_sum)
    assert serial.targetoptions.get("parallel", False) is False
    assert parallel.targetoptions["parallel"] is True
    # numba's disk cache names an entry by the function's qualified name: distinct names
    # keep the serial and the parallel machine code apart
    assert serial.py_func.__qualname__ == "_running_sum_serial"
    assert parallel.py_func.__qualname__ == "_running_sum_parallel"
    assert serial.py_func.__doc__ == _running_sum.__doc__


def test_direct_twins_agree():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, 3000))
    h = rng.standard_normal((1, 1, 31))
    outs = []
    for kernel in (cpu.direct_nd_serial, cpu.direct_nd_parallel):
        out = np.full((1, 1, 3030), np.nan)
        zero = np.zeros(1, np.int64)
        none = np.zeros(0, np.int64)
        assert kernel(x, h, out, zero, zero, none, none, none, none, 0, 256)
        outs.append(out)
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_allclose(outs[0][0, 0], np.convolve(x[0, 0], h[0, 0]), rtol=1e-12,
                               atol=1e-12)
