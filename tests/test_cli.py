"""The ``sigconv`` command: ``sigconv demo`` prints the lecture's checks and exits 0."""

import io
import subprocess
import sys

import numpy as np
import pytest

import sigconv as sc
from sigconv import cli


def test_demo_prints_product_matrix_and_fft_check():
    out = io.StringIO()
    error = cli.demo(out=out, n=5_000, taps=31)
    text = out.getvalue()
    delta = np.convolve(cli._ALPHA, cli._BETA).tolist()
    assert f"delta = alpha * beta = {delta}" in text
    assert f"A @ beta = {delta}" in text
    # the printed matrix is the Toeplitz matrix of alpha, row by row
    for row in np.array2string(np.array([[2, 0, 0, 0], [-1, 2, 0, 0], [3, -1, 2, 0]])).splitlines():
        assert row.strip("[] ") in text
    assert error < 1e-12
    assert "(OK)" in text
    # the Fourier part: analytic and quadrature coefficients printed side by side
    series = sc.FourierSeries.square_wave(0.2, 0.1, 2.0, 6)
    assert f"analytic  f_0..f_5 = {np.round(series.f, 4).tolist()}" in text
    assert "Gibbs overshoot = 8.9" in text


def test_main_returns_zero_for_demo(capsys):
    assert cli.main(["demo", "--n", "3000", "--taps", "11"]) == 0
    assert "convolution theorem" in capsys.readouterr().out


def test_main_rejects_unknown_command(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["no-such-command"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_console_entry_point_runs_as_module():
    result = subprocess.run(
        [sys.executable, "-m", "sigconv.cli", "demo", "--n", "2000", "--taps", "5"],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "p(t) s(t) = 2 + 7t - t^2 + 8t^3 + 2t^4 - 6t^5" in result.stdout
