"""One contract for the signal backends: :mod:`sigconv.backend.cpu` and
:mod:`sigconv.backend.cuda` define the same public functions with equal signatures.

Runs without a GPU: importing the CUDA backend imports no CUDA driver.
"""

import inspect
import os
import subprocess
import sys
import types

import numpy as np
import pytest

from sigconv import backend
from sigconv.backend import cpu, cuda


def public_functions(module):
    return {name: value for name, value in vars(module).items()
            if isinstance(value, types.FunctionType) and not name.startswith("_")
            and value.__module__ == module.__name__}


def test_both_backends_define_the_same_public_functions():
    assert set(public_functions(cpu)) == set(public_functions(cuda))
    assert set(cpu.__all__) == set(cuda.__all__) == set(public_functions(cpu))
    assert len(cpu.__all__) >= 10   # the contract is not empty


@pytest.mark.parametrize("name", sorted(cpu.__all__))
def test_each_pair_has_equal_signatures(name):
    assert inspect.signature(getattr(cpu, name)) == inspect.signature(getattr(cuda, name))


@pytest.mark.parametrize("name", sorted(cpu.__all__))
def test_each_function_documents_what_it_returns(name):
    for module in (cpu, cuda):
        assert "Returns" in (getattr(module, name).__doc__ or ""), (module.__name__, name)


def test_both_backends_describe_their_device():
    assert (cpu.DEVICE, cuda.DEVICE) == ("cpu", "cuda")
    assert set(cuda.METHODS) < set(cpu.METHODS)
    assert {"auto", "direct"} <= set(cuda.METHODS)


def test_get_chooses_the_module_and_refuses_unknown_devices():
    assert backend.get("cpu") is cpu
    with pytest.raises(ValueError, match="device"):
        backend.get("gpu")


def test_importing_the_cuda_backend_needs_no_gpu():
    # a process of its own: numba.cuda and the CUDA kernels wait for a CUDA call
    code = ("import sys, sigconv.backend.cuda; "
            "print(sorted(m for m in ('numba.cuda', 'sigconv.kernels.cuda') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "NUMBA_ENABLE_CUDASIM": "0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_cpu_backend_round_trip_and_helpers():
    a = np.arange(6.0).reshape(2, 3)
    assert cpu.owns(a) and cpu.asarray(a) is a and cpu.to_host(a) is a
    assert cpu.like(a, a) is a
    np.testing.assert_array_equal(cpu.full((2, 2), 3.5, np.float64), np.full((2, 2), 3.5))
    out = cpu.rearrange(a + 1j * a, (1, 0), (0,), np.complex128, True)
    np.testing.assert_array_equal(out, np.conj((a + 1j * a).T[::-1]))
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(cpu.permute(a, (1, 0)), a.T)
    np.testing.assert_array_equal(cpu.extend2d(a, ((1, 2), (0, 1)), "symm", 0.0),
                                  np.pad(a, ((1, 2), (0, 1)), "symmetric"))
