"""The tutorials run from start to end (their own asserts check what they claim)."""

import pathlib
import runpy

import matplotlib
import pytest

TUTORIALS = sorted((pathlib.Path(__file__).resolve().parents[1] / "tutorials").glob("plot_*.py"))


@pytest.mark.full
@pytest.mark.parametrize("path", TUTORIALS, ids=lambda path: path.stem)
def test_tutorial_runs(path, monkeypatch, tmp_path):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIGCONV_DATA", str(tmp_path))   # no real data set: the fallbacks run
    monkeypatch.setenv("SIGCONV_QUICK_TUTORIALS", "1")   # capped epochs, as the CI docs build
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        plt.close("all")
