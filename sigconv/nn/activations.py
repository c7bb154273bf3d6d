"""Activation functions and their derivatives.

Every activation is an :class:`ActivationFunction`: the function itself and its
derivative written in terms of the function's *output* ``y = f(z)``, which is what a
layer keeps from its forward pass::

    relu      f'(z) = [y > 0]
    sigmoid   f'(z) = y (1 - y)
    tanh      f'(z) = 1 - y**2
    softmax   J^T g = y * (g - sum(g * y))          (over the last axis)

The built-in ones run as fused numba kernels inside :class:`~sigconv.nn.Dense` and
:class:`~sigconv.nn.Conv2D` (bias and activation in one sweep).
"""

import numpy as np

from .._validate import check_real
from . import _checks, functional


class ActivationFunction:
    """An activation function with the derivative that backpropagation needs.

    Parameters
    ----------
    name : str
        Name used in configs and error messages.
    function : callable
        ``function(z) -> y``, elementwise or over the last axis.
    derivative : callable
        ``derivative(grad, y) -> grad_z``: the gradient with respect to the input ``z``
        given the gradient ``grad`` with respect to the output and the output ``y``.
    kind : int, optional
        The fused-kernel code of a built-in activation (users leave it out).
    slope : float
        Negative slope of the built-in leaky ReLU.

    Examples
    --------
    A user-defined activation, softplus, whose derivative is ``1 - exp(-y)``:

    >>> import numpy as np
    >>> from sigconv.nn import ActivationFunction, Dense
    >>> softplus = ActivationFunction("softplus", lambda z: np.logaddexp(0, z),
    ...                               lambda grad, y: grad * -np.expm1(-y))
    >>> Dense(3, activation=softplus).activation.name
    'softplus'
    """

    def __init__(self, name, function, derivative, kind=None, slope=0.0):
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string; got {name!r}")
        for argument, value in (("function", function), ("derivative", derivative)):
            if not callable(value):
                raise TypeError(f"{argument} must be callable; got {value!r}")
        if kind is not None and kind not in functional.ACTIVATION_KINDS.values():
            raise ValueError(f"kind must be None (a user's activation) or one of the fused "
                             f"kernels' codes {sorted(functional.ACTIVATION_KINDS.values())}; "
                             f"got {kind!r}")
        self.name = name
        self.function = function
        self.derivative = derivative
        self.kind = kind
        self.slope = check_real(slope, "slope", 0.0)
        #: sigconv's own (its derivative is the fused kernel of ``kind``)
        self._builtin = False

    def __call__(self, z):
        return self.function(np.asarray(z))

    def __repr__(self):
        return f"<activation {self.name}>"


def _elementwise(name, slope=0.0):
    kind = functional.ACTIVATION_KINDS[name]

    def function(z):
        z = _checks.check_real_array(z, "z")
        dtype = np.result_type(z, np.float32)
        _checks.check_allocation("z", z.shape, dtype, 1, "the activation's output")
        z = np.array(z, dtype=dtype, order="C", copy=True)
        if z.ndim == 0:
            return function(z[None])[0]
        return functional.bias_activate(z, np.zeros(z.shape[-1], z.dtype), kind, slope)

    def derivative(grad, y):
        grad, y = _derivative_arguments(grad, y, 2)
        return functional.activation_derivative(grad, np.ascontiguousarray(y), kind, slope)

    activation = ActivationFunction(name, function, derivative, kind, slope)
    activation._builtin = True
    return activation


def softmax_function(z, axis=-1):
    """Softmax over ``axis``, stable for large inputs (the maximum is subtracted first).

    Integers and booleans are computed in floating point (float32, float64 for 64-bit
    integers), as the element-wise activations are: ``z - max(z)`` in the integers would
    wrap around (``int8`` ``[-128, 127]`` gave ``[0.73, 0.27]`` instead of ``[0, 1]``).
    NaN and infinite entries give NaN rows, with NumPy's warning (as in Keras).
    """
    z = _checks.check_real_array(z, "z")
    axis = _softmax_axis(axis, z.ndim)
    dtype = np.result_type(z, np.float32)
    _checks.check_allocation("z", z.shape, dtype, 2 + (dtype != z.dtype),
                         "the softmax and its temporary")
    with np.errstate(over="ignore"):   # -max - max overflows to -inf: exp gives the exact 0
        return _softmax(z.astype(dtype, copy=False), axis)


def _softmax(z, axis=-1):
    """:func:`softmax_function` of a checked floating array (a layer's own output, whose
    memory the layer or model checked): one new array of ``z``'s shape. The caller holds
    ``np.errstate(over="ignore")``, as every layer pass runs (``-max - max`` may overflow
    to ``-inf``, whose exponential is the exact 0)."""
    shifted = z - np.maximum.reduce(z, axis=axis, keepdims=True)
    e = np.exp(shifted, out=shifted)
    e /= np.add.reduce(e, axis=axis, keepdims=True)
    return e


def softmax_derivative(grad, y, axis=-1):
    """Jacobian-transpose product of softmax: ``y * (grad - sum(grad * y))``."""
    grad, y = _derivative_arguments(grad, y, 3)
    axis = _softmax_axis(axis, y.ndim)
    return _softmax_derivative(grad, y, axis)


def _softmax_derivative(grad, y, axis=-1):
    """:func:`softmax_derivative` of checked arrays of one shape (a layer's backward)."""
    return y * (grad - (grad * y).sum(axis=axis, keepdims=True))


def _softmax_axis(axis, ndim):
    """``axis`` as an int naming an axis of an ``ndim``-d array (TypeError/ValueError)."""
    axis = _checks.check_count(axis, "axis", minimum=-max(ndim, 1), maximum=max(ndim, 1) - 1)
    return axis


def _derivative_arguments(grad, y, copies):
    """``grad`` and ``y`` as real arrays of one shape, after checking that ``copies``
    arrays of that shape fit in memory."""
    grad = _checks.check_real_array(grad, "grad")
    y = _checks.check_real_array(y, "y")
    if grad.shape != y.shape:
        raise ValueError(f"grad must have the shape of y {y.shape}; got {grad.shape}")
    dtype = np.result_type(grad, y, np.float32)
    _checks.check_allocation("grad, y", y.shape, dtype, copies, "the derivative's temporaries")
    if y.dtype.kind != "f":
        y = y.astype(dtype)
    return grad, y


linear = _elementwise("linear")
relu = _elementwise("relu")
sigmoid = _elementwise("sigmoid")
tanh = _elementwise("tanh")
softmax = ActivationFunction("softmax", softmax_function, softmax_derivative)

_BY_NAME = {f.name: f for f in (linear, relu, sigmoid, tanh, softmax)}


def leaky_relu(negative_slope=0.3):
    """Leaky ReLU, ``z`` for ``z > 0`` else ``negative_slope * z``."""
    return _elementwise("leaky_relu", check_real(negative_slope, "negative_slope", 0.0))


def get_activation(identifier):
    """The :class:`ActivationFunction` for a name, None (linear) or an instance.

    Parameters
    ----------
    identifier : str, dict, ActivationFunction or None
        ``"relu"``, ``"sigmoid"``, ``"tanh"``, ``"softmax"``, ``"linear"``, an instance,
        or (how a saved model stores a leaky ReLU) ``{"class_name": "leaky_relu",
        "config": {"negative_slope": 0.1}}``.

    Returns
    -------
    ActivationFunction

    Raises
    ------
    ValueError
        For an unknown name.
    TypeError
        For a bare callable: backpropagation needs its derivative, so wrap it in an
        :class:`ActivationFunction`.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, ActivationFunction):
        return identifier
    if isinstance(identifier, dict):
        if (set(identifier) != {"class_name", "config"} or identifier["class_name"]
                != "leaky_relu" or not isinstance(identifier["config"], dict)
                or set(identifier["config"]) != {"negative_slope"}):
            raise ValueError("activation: a saved activation must be {'class_name': "
                             "'leaky_relu', 'config': {'negative_slope': ...}}; got "
                             f"{identifier!r}")
        return leaky_relu(identifier["config"]["negative_slope"])
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"activation must be one of {sorted(_BY_NAME)} or an "
                             f"ActivationFunction; got {identifier!r}")
        return _BY_NAME[identifier]
    if callable(identifier):
        raise TypeError("activation: a plain callable has no derivative for "
                        "backpropagation; wrap it as ActivationFunction(name, function, "
                        "derivative)")
    raise TypeError(f"activation must be a name, None or an ActivationFunction; got "
                    f"{type(identifier).__name__}")
