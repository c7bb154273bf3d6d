"""One contract for every device: the CPU and CUDA backends of sigconv.nn have the same
public functions with equal signatures (runs without a GPU: importing the CUDA backend
does not need one)."""

import inspect
import types

import pytest

from sigconv.nn import backend
from sigconv.nn.backend import cpu, cuda


def public_functions(module):
    return {name: value for name, value in vars(module).items()
            if not name.startswith("_") and isinstance(value, types.FunctionType)
            and value.__module__ == module.__name__}


def test_both_backends_define_the_same_public_functions():
    on_cpu, on_cuda = public_functions(cpu), public_functions(cuda)
    assert set(on_cpu) == set(on_cuda), set(on_cpu) ^ set(on_cuda)
    # the contract the layers and the model rely on is there
    assert {"zeros", "full", "empty", "asarray", "to_host", "conv_forward", "conv_backward",
            "pool_forward", "pool_backward", "matmul", "bias_activate",
            "activation_backward", "bias_gradient", "dropout_mask", "multiply",
            "batch_norm_forward", "batch_norm_backward", "crossentropy", "squared_error",
            "binary_crossentropy", "add_mean", "add_penalty",
            "add_penalty_gradient"} <= set(on_cpu)


@pytest.mark.parametrize("name", sorted(public_functions(cpu)))
def test_each_pair_has_equal_signatures(name):
    assert inspect.signature(getattr(cpu, name)) == inspect.signature(getattr(cuda, name))


@pytest.mark.parametrize("name", sorted(public_functions(cpu)))
def test_each_function_is_documented(name):
    for module in (cpu, cuda):
        assert inspect.getdoc(getattr(module, name)), f"{module.__name__}.{name}"


def test_get_picks_the_backend_of_a_device():
    assert backend.get("cpu") is cpu and backend.get("cuda") is cuda
    assert cpu.DEVICE == "cpu" and cuda.DEVICE == "cuda"
    for device in ("tpu", None, 0):
        with pytest.raises(ValueError, match="device"):
            backend.get(device)


def test_layers_and_the_model_do_not_branch_on_their_device_in_the_passes():
    """The passes call their backend: no ``device == "cuda"`` test inside them."""
    from sigconv.nn import layers

    for cls in (layers._Conv, layers._Pooling, layers.Dense, layers.Dropout,
                layers.Activation, layers.BatchNormalization):
        for method in ("_forward", "_backward", "_backward_linear"):
            function = cls.__dict__.get(method)
            if function is not None:
                source = inspect.getsource(function)
                assert "device ==" not in source and "device !=" not in source, \
                    (cls.__name__, method)


def test_the_cuda_backend_imports_without_a_gpu_or_numba_cuda():
    """numba.cuda (and the CUDA kernels) load on the first GPU call, not on import."""
    import os
    import pathlib
    import subprocess
    import sys

    import sigconv

    root = str(pathlib.Path(sigconv.__file__).resolve().parents[1])   # this checkout
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [root, os.environ.get("PYTHONPATH")]))}
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    code = ("import sys, sigconv.nn.backend.cuda, sigconv.nn.layers, sigconv.nn.model; "
            "print('numba.cuda' in sys.modules, 'sigconv.nn.kernels.cuda' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env=env)
    assert result.stdout.split() == ["False", "False"]
