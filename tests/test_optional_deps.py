"""sigconv imports and works without its optional extras (Dask here)."""

import subprocess
import sys
import textwrap

WITHOUT_DASK = textwrap.dedent("""
    import importlib.abc
    import sys

    class NoDask(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("dask", "distributed"):
                raise ImportError(f"No module named {name!r} (blocked by the test)")
            return None

    sys.meta_path.insert(0, NoDask())
    import numpy as np

    import sigconv
    import sigconv.dask
    from sigconv import nn

    assert sigconv.convolve([1.0, 2.0], [1.0, 1.0]).tolist() == [1.0, 3.0, 2.0]
    assert nn.Dense(2) is not None
    try:
        sigconv.dask.convolve(np.ones(5), np.ones(2))
    except ImportError as error:
        assert "pip install" in str(error), error
    else:
        raise AssertionError("sigconv.dask.convolve ran without Dask")
    print("ok")
""")


def test_sigconv_works_without_dask():
    run = subprocess.run([sys.executable, "-c", WITHOUT_DASK], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith("ok")
