"""The process settings made at import (sigconv._runtime)."""

import os
import sys

import pytest

from sigconv import _runtime


def test_configure_sets_a_default_wait_policy_but_keeps_the_users(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    _runtime.configure()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    _runtime.configure()
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def test_configure_disabled_changes_nothing(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    _runtime.configure(enabled=False)
    assert "OMP_WAIT_POLICY" not in os.environ


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc is Linux's")
def test_malloc_thresholds_are_set_unless_the_user_chose_them(monkeypatch):
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"):
        monkeypatch.delenv(name, raising=False)
    assert _runtime._tune_malloc() is True
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert _runtime._tune_malloc() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc is Linux's")
def test_dask_workers_default_trim_threshold_is_overridden(monkeypatch):
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in every worker; any other value is
    the user's and stays."""
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    assert _runtime._tune_malloc() is True
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "100000")
    assert _runtime._tune_malloc() is False
