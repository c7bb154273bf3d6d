"""Hostile inputs for the layers of sigconv.nn: every constructor argument fed the wrong
type, range or string (a TypeError/ValueError naming it, never a silent ``bool()`` or
``int()`` of it), forward passes fed awkward arrays (the oracle's result or an error
naming ``x``), and sizes that would need terabytes (a MemoryError naming the argument,
checked in a child process under a memory cap)."""

import math
import warnings

import harness
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sigconv import nn

# -------------------------------------------------------------------------- constructors

COUNT_ARGUMENTS = [
    (lambda v: nn.Dense(v), "units"),
    (lambda v: nn.Conv2D(v, 3), "filters"),
    (lambda v: nn.Conv1D(v, 3), "filters"),
    (lambda v: nn.Conv2D(2, v), "kernel_size"),
    (lambda v: nn.Conv2D(2, 3, strides=v), "strides"),
    (lambda v: nn.Conv2D(2, 3, dilation_rate=v), "dilation_rate"),
    (lambda v: nn.Conv1D(2, v), "kernel_size"),
    (lambda v: nn.MaxPooling2D(v), "pool_size"),
    (lambda v: nn.AveragePooling1D(v), "pool_size"),
    (lambda v: nn.MaxPooling2D(2, strides=v), "strides"),
    (lambda v: nn.Dropout(0.5, seed=v), "seed"),
    (lambda v: nn.Softmax(axis=v), "axis"),
]


@pytest.mark.parametrize(("factory", "argument"), COUNT_ARGUMENTS)
@pytest.mark.parametrize("value", harness.BAD_COUNTS, ids=repr)
def test_bad_counts_are_refused_by_name(factory, argument, value):
    if value == 2**70 and argument in ("units", "filters", "seed"):
        return      # a valid integer: the size is checked when the weights are made
    if value in (0, -1) and argument in ("seed", "axis"):
        return      # seed 0 and axis 0 / -1 are valid
    if value is None and argument in ("seed", "strides") and "Conv" not in repr(factory(1)):
        return      # no seed; pooling strides default to the pool size
    if value == [3] and "1D" in repr(factory(1)):
        return      # a 1-list is a valid window of a 1-D layer
    with pytest.raises((TypeError, ValueError)) as info:
        factory(value)
    harness.check_error(info.value, argument)


REAL_ARGUMENTS = [
    (lambda v: nn.Dropout(v), "rate"),
    (lambda v: nn.BatchNormalization(momentum=v), "momentum"),
    (lambda v: nn.BatchNormalization(epsilon=v), "epsilon"),
    (lambda v: nn.LeakyReLU(v), "negative_slope"),
]


@pytest.mark.parametrize(("factory", "argument"), REAL_ARGUMENTS)
@pytest.mark.parametrize("value", harness.BAD_REALS + [-0.5, 1.5], ids=repr)
def test_bad_reals_are_refused_by_name(factory, argument, value):
    if argument in ("negative_slope", "epsilon") and value == 1.5:
        return      # any slope >= 0, any epsilon > 0 is valid
    with pytest.raises((TypeError, ValueError)) as info:
        factory(value)
    harness.check_error(info.value, argument)


@pytest.mark.parametrize(("factory", "argument"), [
    (lambda v: nn.Dense(3, use_bias=v), "use_bias"),
    (lambda v: nn.Conv2D(3, 2, use_bias=v), "use_bias"),
    (lambda v: nn.GlobalMaxPooling2D(keepdims=v), "keepdims"),
    (lambda v: nn.Conv2D(3, 2, padding=v), "padding"),
    (lambda v: nn.MaxPooling1D(padding=v), "padding"),
    (lambda v: nn.Dense(3, activation=v), "activation"),
    (lambda v: nn.Activation(v), "activation"),
    (lambda v: nn.Dense(3, kernel_initializer=v), "kernel_initializer"),
    (lambda v: nn.Conv2D(3, 2, bias_initializer=v), "bias_initializer"),
    (lambda v: nn.Dense(3, kernel_regularizer=v), "kernel_regularizer"),
    (lambda v: nn.Dense(3, dtype=v), "dtype"),
    (lambda v: nn.Dense(3, name=v), "name"),
    (lambda v: nn.Dense(3, input_shape=v), "input_shape"),
    (lambda v: nn.Input(v), "shape"),
])
@pytest.mark.parametrize("value", ["no", "1", 1, 0, 2.5, [1, "a"], {"a": 1}, harness.Opaque(), b"x",
                                   "", (0, 3), (-2,), (True, 2)], ids=repr)
def test_bad_strings_flags_and_names_are_refused_by_name(factory, argument, value):
    valid = {"name": ["no", "1"], "input_shape": [], "shape": []}.get(argument, [])
    if value in valid or (argument == "name" and isinstance(value, str) and value):
        return
    with pytest.raises((TypeError, ValueError)) as info:
        factory(value)
    harness.check_error(info.value, argument)


def test_flags_are_not_truthiness():
    """``use_bias="no"`` used to mean True; numpy booleans are still flags."""
    assert nn.Dense(3, use_bias=np.bool_(False)).use_bias is False
    with pytest.raises(TypeError, match="use_bias"):
        nn.Dense(3, use_bias="False")


def test_dtype_none_is_the_default_float32():
    assert nn.Dense(3, dtype=None).dtype == np.float32


def test_windows_beyond_int32_are_refused_before_the_kernels():
    for factory in (lambda: nn.Conv2D(1, 3, dilation_rate=2**40),
                    lambda: nn.MaxPooling2D(2**33, padding="same")):
        with pytest.raises(ValueError, match="dilation_rate|pool_size"):
            factory()


def test_saved_regularizer_classes_come_from_an_allow_list():
    config = nn.Dense(3, kernel_regularizer=nn.L2(0.1)).get_config()
    assert nn.Dense.from_config(config).kernel_regularizer.l2 == 0.1
    for bad in ({"class_name": "check_real", "config": {}},
                {"class_name": "L2", "config": {"l2": "0.1"}},
                {"class_name": "L2"}, {"class_name": ["L2"], "config": {}}):
        with pytest.raises((TypeError, ValueError)) as info:
            nn.Dense.from_config({**config, "kernel_regularizer": bad})
        harness.check_error(info.value, ("kernel_regularizer", "l2"))


# ------------------------------------------------------------------------ forward passes


def dense():
    layer = nn.Dense(3, input_shape=(4,), dtype="float64", name="d")
    layer.set_weights([np.arange(12.0).reshape(4, 3) / 10 - 0.5, np.array([0.1, 0.0, -0.1])])
    return layer


def dense_oracle(layer, x):
    kernel, bias = layer.get_weights()
    return np.asarray(x, np.float64) @ kernel + bias


def valid_dense_input(x):
    try:
        x = np.asarray(x)
    except ValueError:
        return False
    return (x.dtype.kind in "biuf" and x.ndim >= 2 and x.shape[0] > 0 and x.shape[-1] == 4
            and x.size > 0 and np.isfinite(x.astype(np.float64)).all())


@settings(max_examples=60)
@given(st.one_of(harness.numeric_arrays(min_dims=0, max_dims=3, max_side=5),
                 harness.numeric_arrays(min_dims=2, max_dims=2, min_side=1, max_side=4),
                 harness.awkward_arrays()))
def test_dense_forward_equals_the_oracle_or_names_x(x):
    layer = dense()
    result = harness.outcome("x", layer, x)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = dense_oracle(layer, x) if valid_dense_input(x) else None
    if result is None:      # bad x, or an output that overflows float64
        assert expected is None or not np.isfinite(expected).all()
        return
    assert expected is not None
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)


def test_dense_forward_refuses_nan_inf_and_empty_naming_x():
    layer = dense()
    for x in (np.full((2, 4), np.nan), np.full((2, 4), -np.inf), np.zeros((0, 4)),
              np.zeros((2, 4), complex), np.array([[1, 2, 3, "4"]]), [[1, 2], [3]]):
        with pytest.raises((TypeError, ValueError)) as info:
            layer(x)
        harness.check_error(info.value, "x")


def test_float32_layer_refuses_values_beyond_float32():
    layer = nn.Dense(2, input_shape=(2,))
    with pytest.raises(ValueError, match="x holds values beyond the range"):
        layer(np.array([[1e300, 0.0]]))


def test_training_must_be_a_bool():
    with pytest.raises(TypeError, match="training"):
        dense()(np.ones((1, 4)), training="yes")


@settings(max_examples=30)
@given(harness.numeric_arrays(min_dims=4, max_dims=4, min_side=1, max_side=4,
                              dtypes=[np.int16, np.float32, np.float64, np.uint8]))
def test_pointwise_conv_equals_a_matmul_over_channels_or_names_x(x):
    """A 1x1 convolution is a matrix product over the channel axis."""
    layer = nn.Conv2D(2, 1, dtype="float64", name="pointwise")
    layer.build((None, None, None, x.shape[-1]), rng=np.random.default_rng(0))
    result = harness.outcome("x", layer, x)
    as_float = x.astype(np.float64)
    kernel, bias = layer.get_weights()
    with np.errstate(over="ignore", invalid="ignore"):
        oracle = as_float @ kernel[0, 0] + bias
    if result is None:      # NaN/inf in x (ValueError), or an output that overflows
        assert not np.isfinite(as_float).all() or not np.isfinite(oracle).all()
        return
    np.testing.assert_allclose(result, oracle, rtol=1e-10,
                               atol=1e-10 * max(1.0, np.abs(as_float).max()))


def test_an_overflowing_output_is_an_overflow_error_not_silent_inf():
    layer = nn.Dense(1, input_shape=(2,), dtype="float64", kernel_initializer="ones")
    with pytest.raises(OverflowError, match="x"):
        layer(np.array([[1.5e308, 1.5e308]]))


@pytest.mark.parametrize("make", [lambda: nn.Flatten(), lambda: nn.MaxPooling2D(),
                                  lambda: nn.GlobalAveragePooling1D(),
                                  lambda: nn.BatchNormalization(), lambda: nn.Softmax(axis=3)])
def test_other_layers_name_x(make):
    for x in (np.zeros((0, 4, 4, 1)), np.full((1, 4, 4, 1), np.nan), np.zeros(()),
              np.full((1, 4, 4, 1), None)):
        with pytest.raises((TypeError, ValueError)) as info:
            make()(x)
        harness.check_error(info.value, ("x", "axes", "axis"))


def test_set_weights_refuses_object_and_complex_weights():
    layer = dense()
    for bad in (np.full((4, 3), None), np.zeros((4, 3), complex)):
        with pytest.raises(TypeError, match="kernel"):
            layer.set_weights([bad, np.zeros(3)])


def test_build_input_shape_is_checked():
    for bad, kind in (("ab", TypeError), ((None, 0), ValueError), ((None, 2.5), TypeError),
                      ((None, True), TypeError), (5, TypeError)):
        with pytest.raises(kind, match="input_shape"):
            nn.Dense(2).build(bad)


# ---------------------------------------------------------------------------- allocations


def test_dense_of_1e11_units_is_refused_before_allocating():
    report = harness.assert_isolated_error("""
        from sigconv import nn
        nn.Dense(10**11, input_shape=(4,)).build((None, 4))
    """, "units", kinds=("MemoryError",))
    assert "GiB" in report["message"]


def test_conv2d_of_a_256_gib_output_is_refused_before_allocating():
    """A batch of 64 images of 512 x 512 (a zero-stride view: no memory) through 2048
    filters would be 128 GiB of output, and as much again cached for backward."""
    report = harness.assert_isolated_error("""
        import numpy as np
        from sigconv import nn
        x = np.broadcast_to(np.float32(0.5), (64, 512, 512, 1))
        nn.Conv2D(2048, 3, padding="same")(x)
    """, "filters", kinds=("MemoryError",))
    assert "x, filters" in report["message"] and "GiB" in report["message"]


def test_pooling_windows_that_would_not_fit_are_refused_before_allocating():
    harness.assert_isolated_error("""
        import numpy as np
        from sigconv import nn
        x = np.broadcast_to(np.float32(1.0), (4096, 256, 256, 8))
        nn.MaxPooling2D(64, strides=1, padding="same")(x)
    """, "pool_size", kinds=("MemoryError",))


def test_a_small_layer_still_runs_under_the_cap():
    report = harness.assert_isolated_finishes("""
        import numpy as np
        from sigconv import nn
        result = float(nn.Conv2D(2, 3, padding="same")(np.ones((2, 8, 8, 1))).shape[-1])
    """)
    assert math.isclose(float(report["value"]), 2.0)


# ------------------------------------------------------- regularizers, initializers, grads


@pytest.mark.parametrize(("factory", "argument"), [
    (lambda v: nn.L1(v), "l1"), (lambda v: nn.L2(v), "l2"),
    (lambda v: nn.L1L2(l1=v), "l1"), (lambda v: nn.L1L2(l2=v), "l2")])
@pytest.mark.parametrize("value", harness.BAD_REALS + [-1e-3], ids=repr)
def test_regularizer_factors(factory, argument, value):
    with pytest.raises((TypeError, ValueError)) as info:
        factory(value)
    harness.check_error(info.value, argument)


def test_regularizers_do_not_read_strings_as_numbers():
    for bad in (np.array(["1", "2"]), [[1.0], [2.0, 3.0]], np.full(2, None)):
        with pytest.raises(TypeError, match="w"):
            nn.L2(0.1)(bad)
        with pytest.raises(TypeError, match="w"):
            nn.L1(0.1).gradient(bad)
    assert nn.L2(0.5)(np.array([1, 2])) == pytest.approx(2.5)     # integers are numbers


def test_gradients_are_numbers_not_strings():
    layer = dense()
    layer(np.ones((2, 4)))
    with pytest.raises(TypeError, match="grad_output"):
        layer.backward(np.full((2, 3), "1"))
    optimizer = nn.SGD(0.1)
    w = np.zeros(2)
    with pytest.raises(TypeError, match=r"grads\['w'\]"):
        optimizer.apply({"w": np.array(["1", "2"])}, {"w": w})
    np.testing.assert_array_equal(w, 0.0)


def test_initializers_refuse_huge_shapes_before_allocating():
    harness.assert_isolated_error("""
        from sigconv.nn import initializers
        initializers.he_normal((10**6, 10**6))
    """, "shape", kinds=("MemoryError",))
    harness.assert_isolated_error("""
        from sigconv.nn import initializers
        initializers.zeros((10**6, 10**6))
    """, "shape", kinds=("MemoryError",))


@pytest.mark.parametrize(("arguments", "argument"), [
    ({"name": 3}, "name"), ({"function": "relu"}, "function"),
    ({"derivative": None}, "derivative"), ({"kind": 9}, "kind"), ({"slope": "0.1"}, "slope")])
def test_activation_function_arguments(arguments, argument):
    base = {"name": "mine", "function": np.tanh, "derivative": lambda g, y: g * (1 - y * y)}
    with pytest.raises((TypeError, ValueError)) as info:
        nn.ActivationFunction(**{**base, **arguments})
    harness.check_error(info.value, argument)


# -------------------------------------------------------------- the array-level passes

GEOMETRY = nn.functional.window_geometry((4, 4), (3, 3), (1, 1), (1, 1), "valid")


def read_only(shape):
    array = np.zeros(shape)
    array.flags.writeable = False
    return array


def naive_patches(x, geometry, fill):
    """im2col by loops: rows (b, i, j), taps (a, c), channels."""
    kh, kw = geometry.kernel
    rows = []
    for b in range(x.shape[0]):
        for i in range(geometry.out_size[0]):
            for j in range(geometry.out_size[1]):
                taps = []
                for a in range(kh):
                    for c in range(kw):
                        h = i * geometry.strides[0] + a * geometry.dilation[0] - geometry.pad[0]
                        w = j * geometry.strides[1] + c * geometry.dilation[1] - geometry.pad[1]
                        inside = 0 <= h < x.shape[1] and 0 <= w < x.shape[2]
                        taps.append(x[b, h, w] if inside else np.full(x.shape[3], fill))
                rows.append(taps)
    return np.array(rows, dtype=x.dtype).reshape(-1, kh * kw, x.shape[3])


@settings(max_examples=40)
@given(st.tuples(st.integers(1, 6), st.integers(1, 6)), st.tuples(st.integers(1, 3),
       st.integers(1, 3)), st.tuples(st.integers(1, 3), st.integers(1, 3)),
       st.tuples(st.integers(1, 2), st.integers(1, 2)), st.sampled_from(["valid", "same"]),
       st.sampled_from([np.float32, np.float64, np.int32]), st.integers(1, 2))
def test_patches_equal_the_naive_im2col_or_name_the_argument(in_size, kernel, strides,
                                                             dilation, padding, dtype,
                                                             channels):
    x = np.arange(2 * in_size[0] * in_size[1] * channels, dtype=dtype).reshape(
        2, *in_size, channels)
    geometry = harness.outcome(("strides", "dilation"), nn.functional.window_geometry,
                               in_size, kernel, strides, dilation, padding)
    if geometry is None or min(geometry.out_size) < 1:
        return
    result = harness.outcome(("x", "geometry"), nn.functional.patches, x, geometry, -1.0)
    if result is None:
        assert dtype == np.int32 or min(geometry.out_size) < 1
        return
    np.testing.assert_array_equal(result, naive_patches(x, geometry, -1.0))


@pytest.mark.parametrize(("call", "argument"), [
    (lambda F: F.window_geometry((4, 4), 3, (1, 1), (1, 1), "valid"), "kernel"),
    (lambda F: F.window_geometry((4, 4), (3, 3), (1, True), (1, 1), "valid"), "strides"),
    (lambda F: F.window_geometry((4, 4), (3, 3), (1, 1), (1, 1), "causal"), "padding"),
    (lambda F: F.patches(np.zeros((4, 4, 1)), GEOMETRY), "x"),
    (lambda F: F.patches(np.zeros((1, 4, 4, 1), complex), GEOMETRY), "x"),
    (lambda F: F.patches(np.asfortranarray(np.zeros((2, 4, 4, 2))), GEOMETRY), "x"),
    (lambda F: F.patches(np.zeros((1, 5, 4, 1)), GEOMETRY), "x"),
    (lambda F: F.patches(np.zeros((1, 4, 4, 1)), (4, 4)), "geometry"),
    (lambda F: F.patches(np.zeros((1, 4, 4, 1)), GEOMETRY._replace(pad=(-1, 0))), "geometry"),
    (lambda F: F.patches(np.zeros((1, 4, 4, 1)), GEOMETRY, fill=np.nan), "fill"),
    (lambda F: F.patches(np.zeros((1, 4, 4, 1)), GEOMETRY, line0=2, line1=1), "line0"),
    (lambda F: F.patches(np.zeros((1, 4, 4, 1)), GEOMETRY, line1=3), "line1"),
    (lambda F: F.patches(np.zeros((1, 4, 4, 1)), GEOMETRY, out=np.zeros(5)), "out"),
    (lambda F: F.patches(np.zeros((1, 4, 4, 1)), GEOMETRY, parallel="yes"), "parallel"),
    (lambda F: F.patches_adjoint(np.zeros((3, 9, 1)), GEOMETRY, np.zeros((1, 4, 4, 1))),
     "cols"),
    (lambda F: F.patches_adjoint(np.zeros((4, 9, 1)), GEOMETRY, read_only((1, 4, 4, 1))),
     "dx must be writeable"),
    (lambda F: F.conv_forward(np.zeros((1, 4, 4, 2)), np.zeros((3, 3, 1, 2)), GEOMETRY),
     "kernel"),
    (lambda F: F.conv_forward(np.zeros((1, 4, 4, 1)), np.zeros((3, 3, 1, 2), np.float32),
                              GEOMETRY), "kernel"),
    (lambda F: F.conv_backward(np.zeros((1, 4, 4, 1)), np.zeros((1, 2, 2, 3)),
                               np.zeros((3, 3, 1, 2)), GEOMETRY), "grad"),
    (lambda F: F.conv_backward(np.zeros((1, 4, 4, 1)), np.full((1, 2, 2, 2), "1"),
                               np.zeros((3, 3, 1, 2)), GEOMETRY), "grad"),
    (lambda F: F.pool_forward(np.zeros((1, 4, 4, 1)), GEOMETRY, "min"), "kind"),
    (lambda F: F.pool_backward(np.zeros((1, 2, 2, 1)), GEOMETRY, "max",
                               np.full((4, 1), 9, np.int32), (1, 4, 4, 1)), "cache"),
    (lambda F: F.pool_backward(np.zeros((1, 2, 2, 1)), GEOMETRY, "max",
                               np.zeros((4, 1), np.int32), (1, 5, 4, 1)), "input_shape"),
    (lambda F: F.pool_backward(np.zeros((1, 3, 2, 1)), GEOMETRY, "max",
                               np.zeros((4, 1), np.int32), (1, 4, 4, 1)), "grad"),
])
def test_array_level_passes_check_their_arguments(call, argument):
    """The kernels index without bounds checks: a wrong shape, line range, buffer or
    argmax would read or write outside the arrays, so each is refused first."""
    with pytest.raises((TypeError, ValueError)) as info:
        call(nn.functional)
    harness.check_error(info.value, argument)


def test_activation_functions_name_z_and_input_shapes_fit_the_rank():
    for bad in (np.full(3, None), ["a"], b"x"):
        with pytest.raises(TypeError, match="z"):
            nn.activations.relu(bad)
        with pytest.raises(TypeError, match="z"):
            nn.activations.softmax_function(bad)
    np.testing.assert_allclose(nn.activations.relu(np.array([-1.0, 2.0])), [0.0, 2.0])
    for factory in (lambda: nn.Conv2D(2, 3, input_shape=(8, 8)),
                    lambda: nn.MaxPooling1D(input_shape=(8, 8, 1)),
                    lambda: nn.Softmax(axis=3, input_shape=(4,))):
        with pytest.raises(ValueError, match="input_shape"):
            factory()
    with pytest.raises(TypeError, match="Softmax: name"):
        nn.Softmax(name=np.array([1, 2]))


# --------------------------------------------------- windows that leave no output (issue 14)


@pytest.mark.parametrize(("factory", "shape", "argument"), [
    (lambda: nn.Conv2D(2, 3), (None, 2, 2, 1), "kernel_size"),
    (lambda: nn.Conv2D(2, (1, 3)), (None, 5, 2, 1), "kernel_size"),
    (lambda: nn.Conv1D(2, 3, dilation_rate=2), (None, 4, 1), "kernel_size"),
    (lambda: nn.Conv1D(2, 3, strides=2), (None, 2, 1), "kernel_size"),
    (lambda: nn.MaxPooling2D(3), (None, 2, 9, 1), "pool_size"),
    (lambda: nn.AveragePooling1D(4, strides=1), (None, 3, 1), "pool_size"),
    (lambda: nn.MaxPooling1D(2), (None, 1, 1), "pool_size"),
])
def test_a_window_that_leaves_no_output_is_refused_at_build(factory, shape, argument):
    layer = factory()
    with pytest.raises(ValueError) as info:
        layer.build(shape)
    harness.check_error(info.value, argument)
    assert str(tuple(shape[1:-1])) in str(info.value)      # the input's spatial shape
    assert not layer.built and layer.params == {}           # no weight was drawn


def _expected_length(n, kernel, stride, dilation, padding):
    """Keras's output length of a window along one axis (the oracle)."""
    if padding == "same":
        return -(-n // stride)
    span = dilation * (kernel - 1) + 1
    return (n - span) // stride + 1 if n >= span else 0


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 9), kernel=st.integers(1, 5), stride=st.integers(1, 3),
       dilation=st.integers(1, 3), padding=st.sampled_from(["valid", "same"]))
def test_conv1d_build_agrees_with_keras_output_length(n, kernel, stride, dilation, padding):
    """Either the output length of Keras's formula (>= 1) and a forward pass of that
    shape, or a ValueError at build naming kernel_size: never an empty output."""
    if stride > 1 and dilation > 1:
        dilation = 1            # refused together at construction (as in Keras)
    layer = nn.Conv1D(2, kernel, strides=stride, dilation_rate=dilation, padding=padding)
    expected = _expected_length(n, kernel, stride, dilation, padding)
    if expected < 1:
        with pytest.raises(ValueError, match="kernel_size"):
            layer.build((None, n, 1))
        return
    layer.build((None, n, 1))
    assert layer.compute_output_shape((None, n, 1)) == (None, expected, 2)
    assert layer.forward(np.ones((1, n, 1), np.float32)).shape == (1, expected, 2)


def test_a_sequential_that_shrinks_to_nothing_is_refused_at_build():
    model = nn.Sequential([nn.Conv2D(2, 3, input_shape=(4, 4, 1)), nn.Conv2D(2, 3)])
    with pytest.raises(ValueError, match="kernel_size"):
        model.build()
    assert not model.built and not model.layers[1].built


def test_a_built_layer_added_to_a_model_must_fit_the_shape_it_gets():
    dense = nn.Dense(3)
    dense.build((None, 4))
    model = nn.Sequential([nn.Dense(5, input_shape=(2,)), dense])
    with pytest.raises(ValueError, match="channels") as info:
        model.build()           # numpy's "shapes not aligned" at the first predict before
    assert dense.name in str(info.value)


# ------------------------------------------------------------------ set_weights (issue 14)


def built_conv():
    layer = nn.Conv2D(2, 3, input_shape=(8, 8, 1), name="conv_w")
    layer.build((None, 8, 8, 1))
    return layer


@pytest.mark.parametrize("weights", [None, 5, "ab", np.ones((3, 3, 1, 2)), {"kernel": 1}],
                         ids=repr)
def test_set_weights_names_weights_when_not_a_list(weights):
    layer = built_conv()
    with pytest.raises(TypeError, match="weights must be a list"):
        layer.set_weights(weights)


@pytest.mark.parametrize(("weights", "kind", "names"), [
    ([], ValueError, "2 arrays"),
    ([np.ones((3, 3, 1, 2))], ValueError, "2 arrays"),
    ([np.ones((3, 3, 1, 2)), np.ones(3)], ValueError, "'bias'"),
    ([np.ones((3, 3, 1, 3)), np.ones(2)], ValueError, "'kernel'"),
    ([np.ones((3, 3, 1, 2)).T, np.ones(2)], ValueError, "'kernel'"),
    ([np.full((3, 3, 1, 2), 1e300), np.ones(2)], ValueError, "float32"),
    ([np.ones((3, 3, 1, 2)), np.array(["a", "b"])], TypeError, "'bias'"),
    ([np.ones((3, 3, 1, 2)), np.full(2, None)], TypeError, "'bias'"),
], ids=range(8))
def test_set_weights_checks_every_array_before_changing_any(weights, kind, names):
    layer = built_conv()
    before = layer.get_weights()
    with pytest.raises(kind, match=names):
        layer.set_weights(weights)
    for old, new in zip(before, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)             # nothing was changed


def test_set_weights_of_integers_and_booleans_are_the_numbers():
    layer = built_conv()
    kernel = np.arange(18).reshape(3, 3, 1, 2)
    layer.set_weights([kernel, np.array([True, False])])
    got = layer.get_weights()
    np.testing.assert_array_equal(got[0], kernel.astype(np.float32))
    np.testing.assert_array_equal(got[1], [1.0, 0.0])


def test_batch_normalization_refuses_a_negative_moving_variance():
    layer = nn.BatchNormalization()
    layer.build((None, 3))
    with pytest.raises(ValueError, match="moving_variance"):
        layer.set_weights([np.ones(3), np.zeros(3), np.zeros(3), -np.ones(3)])
    np.testing.assert_array_equal(layer.get_weights()[3], np.ones(3))


# ------------------------------------------------------------------ from_config (issue 14)

CONFIGURABLE = [nn.Conv2D, nn.Dense, nn.MaxPooling2D, nn.Dropout, nn.SGD, nn.Adam, nn.RMSprop,
                nn.L1, nn.L2, nn.L1L2, nn.MeanSquaredError, nn.CategoricalCrossentropy]


@pytest.mark.parametrize("cls", CONFIGURABLE, ids=lambda c: c.__name__)
@pytest.mark.parametrize("config", [5, None, "filters", [("units", 3)], {1: 2}], ids=repr)
def test_from_config_names_config_when_not_a_dict_of_strings(cls, config):
    with pytest.raises(TypeError) as info:
        cls.from_config(config)
    harness.check_error(info.value, "config")


@pytest.mark.parametrize("cls", CONFIGURABLE, ids=lambda c: c.__name__)
def test_from_config_names_an_unknown_key(cls):
    with pytest.raises(ValueError) as info:
        cls.from_config({"bogus": 1})
    harness.check_error(info.value, "'bogus'")


def test_from_config_names_a_missing_required_key_and_round_trips():
    with pytest.raises(TypeError, match="'kernel_size'"):
        nn.Conv2D.from_config({"filters": 2})
    with pytest.raises(ValueError, match="filters"):
        nn.Conv2D.from_config({"filters": -1, "kernel_size": 3})
    layer = nn.Conv2D(4, (3, 2), strides=2, padding="same", activation="relu", name="c")
    assert nn.Conv2D.from_config(layer.get_config()).get_config() == layer.get_config()
    adam = nn.Adam(0.01, beta_1=0.8)
    assert nn.Adam.from_config(adam.get_config()).get_config() == adam.get_config()


# ------------------------------------------------------- devices, backward before forward


def test_cuda_without_a_gpu_is_cuda_unavailable_naming_device():
    import sigconv
    from sigconv._jit import cuda_available

    if cuda_available():
        pytest.skip("a GPU is present")
    for call in (lambda: nn.Dense(3).to("cuda"), lambda: nn.Sequential(device="cuda"),
                 lambda: nn.Sequential([nn.Dense(2)], device="cuda"),
                 lambda: nn.Sequential([nn.Dense(2, input_shape=(3,))]).to("cuda")):
        with pytest.raises(sigconv.CUDAUnavailableError, match="device") as info:
            call()
        assert isinstance(info.value, RuntimeError) and isinstance(info.value, ValueError)


def test_backward_before_forward_is_a_runtime_error_and_input_grad_a_flag():
    layer = nn.Dense(3)
    layer.build((None, 4))
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((2, 3), np.float32))
    layer.forward(np.ones((2, 4), np.float32), training=True)
    for flag in (1, "yes", None):
        with pytest.raises(TypeError, match="input_grad"):
            layer.backward(np.ones((2, 3), np.float32), input_grad=flag)
    with pytest.raises(ValueError, match="grad_output"):
        layer.backward(np.ones((5, 3), np.float32))


# ----------------------------------------------------------- activation functions (issue 14)


@settings(max_examples=40, deadline=None)
@given(z=harness.numeric_arrays(min_dims=1, max_dims=3),
       name=st.sampled_from(["relu", "sigmoid", "tanh", "linear", "softmax"]))
def test_activation_functions_match_numpy_or_name_z(z, name):
    function = nn.get_activation(name)
    x = np.asarray(z, np.float64) if np.asarray(z).dtype.kind in "biuf" else None
    if x is not None and not np.isfinite(x).all():
        with warnings.catch_warnings():     # NaN/inf propagate, with NumPy's warnings
            warnings.simplefilter("ignore", RuntimeWarning)
            harness.outcome("z", function, z)
        return
    result = harness.outcome("z", function, z)
    if result is None:
        return
    oracle = {"relu": lambda v: np.maximum(v, 0), "linear": lambda v: v,
              "tanh": np.tanh, "sigmoid": lambda v: 0.5 * (1 + np.tanh(v / 2)),
              "softmax": lambda v: np.exp(v - v.max(-1, keepdims=True))
              / np.exp(v - v.max(-1, keepdims=True)).sum(-1, keepdims=True)}[name](x)
    tolerance = 1e-3 if np.asarray(result).dtype.itemsize <= 4 else 1e-9
    np.testing.assert_allclose(result, oracle, rtol=tolerance, atol=tolerance)


def test_activation_derivatives_name_their_arguments():
    relu, softmax = nn.get_activation("relu"), nn.get_activation("softmax")
    np.testing.assert_array_equal(relu.derivative(np.full(3, 2.0), np.array([0.0, 1.0, 3.0])),
                                  [0.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="grad"):
        relu.derivative(np.ones(3), np.ones(2))
    with pytest.raises(TypeError, match="grad"):
        relu.derivative(["a"], [1.0])
    with pytest.raises(TypeError, match="y"):
        softmax.derivative(np.ones(2), np.array([None, 1.0]))
    for axis, kind in ((2, ValueError), ("a", TypeError), (True, TypeError), (None, TypeError)):
        with pytest.raises(kind, match="axis"):
            softmax.function(np.ones(3), axis=axis)


# ------------------------------------------------- temporaries of huge views (issue 14)


def test_functions_check_the_memory_of_their_temporaries_before_allocating():
    """Zero-stride views of 10**10 values cost nothing; each public function below used
    to allocate NumPy temporaries of 75 GiB (L2, L1L2.gradient, activations, a float64 x
    cast to a float32 layer, float labels in to_categorical). One child under a 2 GiB cap
    runs them all and reports the error of each."""
    report = harness.assert_isolated_finishes("""
        import numpy as np
        from sigconv import nn
        def huge(shape, dtype=np.float64, value=1.0):
            return np.broadcast_to(np.asarray(value, dtype), shape)
        dense = nn.Dense(3)
        dense.build((None, 4))
        calls = {
            "L2": lambda: nn.L2(0.1)(huge(10**10)),
            "L1 of ints": lambda: nn.L1(0.1)(huge(10**10, np.int64, 1)),
            "L1L2.gradient": lambda: nn.L1L2(0.1, 0.1).gradient(huge(10**10)),
            "relu": lambda: nn.get_activation("relu")(huge(10**10)),
            "softmax": lambda: nn.get_activation("softmax")(huge((10**9, 10))),
            "relu.derivative": lambda: nn.get_activation("relu").derivative(
                huge(10**10), huge(10**10)),
            "Dense.forward": lambda: dense.forward(huge((2500000000, 4))),
            "Flatten.forward": lambda: nn.Flatten().forward(huge((2500000000, 4))),
            "to_categorical": lambda: nn.utils.to_categorical(huge(10**10), 2),
        }
        result = {}
        for label, call in calls.items():
            try:
                call()
                result[label] = "returned"
            except BaseException as exc:
                message = str(exc)
                result[label] = (type(exc).__name__, message[:40], "GiB" in message,
                                 "Unable to allocate" in message)
    """, timeout=240)
    outcomes = eval(report["value"])    # noqa: S307 - the dict of tuples the child built
    names = {"L2": "w", "L1 of ints": "w", "L1L2.gradient": "w", "relu": "z",
             "softmax": "z", "relu.derivative": "grad, y", "Dense.forward": "x",
             "Flatten.forward": "x", "to_categorical": "y"}
    for label, name in names.items():
        kind, start, gib, numpy_own = outcomes[label]
        assert kind == "MemoryError" and not numpy_own, (label, outcomes[label])
        assert f" {name}" in f" {start}" and gib, (label, outcomes[label])


def test_the_memory_checks_leave_small_calls_exact():
    w = np.array([[1.0, -2.0], [3.0, 0.0]])
    assert nn.L1L2(0.5, 0.25)(w) == 0.5 * 6.0 + 0.25 * 14.0
    np.testing.assert_array_equal(nn.L1L2(0.5, 0.25).gradient(w),
                                  0.5 * np.sign(w) + 0.5 * w)
    np.testing.assert_array_equal(nn.L2(0.5)(np.array([1, 2])), 2.5)       # ints as float64
    np.testing.assert_array_equal(nn.utils.to_categorical(np.array([2.0, 0.0])),
                                  np.eye(3, dtype=np.float32)[[2, 0]])


# ------------------------------------------------------ compute_output_shape (issue 14)

SHAPED_LAYERS = [lambda: nn.Dense(2), lambda: nn.Conv2D(2, 3), lambda: nn.Flatten(),
                 lambda: nn.MaxPooling2D(), lambda: nn.GlobalAveragePooling2D(),
                 lambda: nn.Dropout(0.1), lambda: nn.Softmax()]


@pytest.mark.parametrize("factory", SHAPED_LAYERS, ids=range(len(SHAPED_LAYERS)))
@pytest.mark.parametrize("shape", [None, 5, "x", (None, 0, 4, 1), (None, True, 4, 1),
                                   (None, 2.5, 4, 1), (None, "4", 4, 1)], ids=repr)
def test_compute_output_shape_names_a_bad_input_shape(factory, shape):
    """Flatten read (None, 2.5) as 2 and Dense read "x" as a shape; the others failed with
    'NoneType' object is not subscriptable."""
    with pytest.raises((TypeError, ValueError)) as info:
        factory().compute_output_shape(shape)
    harness.check_error(info.value, "input_shape")


def test_compute_output_shape_against_keras():
    assert nn.Flatten().compute_output_shape((None, 2**40, 2**40, 2**10)) == (None, 2**90)
    assert nn.Conv2D(2, 3).compute_output_shape((None, None, None, 1)) == (None, None, None, 2)
    assert nn.Conv2D(2, 3, strides=2).compute_output_shape((None, 9, 8, 1)) == (None, 4, 3, 2)
    assert nn.MaxPooling1D(2).compute_output_shape((7, 5, 3)) == (7, 2, 3)
    assert nn.GlobalMaxPooling2D(keepdims=True).compute_output_shape((None, 4, 4, 3)) == \
        (None, 1, 1, 3)
    with pytest.raises(ValueError, match="input_shape"):
        nn.Conv2D(2, 3).compute_output_shape((None, 2**40, 3, 1))


@pytest.mark.parametrize("shape", [True, (True, 2), (2, np.True_)], ids=repr)
def test_initializers_refuse_booleans_as_sizes(shape):
    with pytest.raises(TypeError, match="shape"):
        nn.initializers.glorot_uniform(shape)
