"""Layers with their forward and backward passes side by side.

Keras names, defaults and weight layouts: channels-last data ``(batch, height, width,
channels)``, Conv2D kernels ``(kh, kw, in_channels, filters)``, Dense kernels
``(n_in, units)``. Every layer

* builds its parameters on the first call (or by :meth:`Layer.build`),
* caches in :meth:`Layer.forward` what :meth:`Layer.backward` needs, and
* fills ``grads`` with one array per entry of ``params``, of the same shape.

Regularization follows Keras: a layer with ``kernel_regularizer=L2(l2)`` adds
``l2 * sum(kernel**2)`` to the loss (:meth:`Layer.regularization_loss`) and its gradient
``2 * l2 * kernel`` to ``grads["kernel"]`` in backward. A layer with
``activity_regularizer=R`` (Dense, Conv1D, Conv2D) adds ``R(y) / batch`` for its latest
output ``y`` of ``batch`` samples, as Keras 3 does, and ``R'(y) / batch`` to the gradient
flowing into its output.
"""

import contextvars
import itertools
import math
from collections import defaultdict

import numpy as np

from .._docs import fill_docstrings
from .._jit import require_cuda
from .._validate import check_allocation, check_choice, check_real
from . import _checks, functional
from . import activations as _activations
from . import backend as _backends
from . import initializers as _initializers
from . import regularizers as _regularizers

PADDINGS = ("valid", "same")

_name_counters = defaultdict(itertools.count)
_random = {"generator": np.random.default_rng()}
#: bumped whenever a built layer changes dtype (:meth:`Layer._cast`), so that what a model
#: remembers about its layers' sizes in bytes is computed again
_dtype_changes = [0]


def set_random_seed(seed):
    """Seed the generator that initializes new layers' weights and draws dropout masks
    of layers without a seed of their own (Keras's ``keras.utils.set_random_seed``).

    Parameters
    ----------
    seed : int or None
        A non-negative integer (None: fresh entropy).

    Raises
    ------
    TypeError
        If ``seed`` is not an integer (booleans and strings included).
    ValueError
        If ``seed`` is negative.
    """
    _random["generator"] = np.random.default_rng(_checks.check_seed(seed))


def _snake(name):
    out = []
    for k, ch in enumerate(name):
        if ch.isupper() and k and name[k - 1].islower():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _layer_dtype(dtype, layer):
    """float32 (also for None, Keras's default) or float64; anything else a TypeError."""
    if dtype is None:
        return np.dtype(np.float32)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{layer}: dtype must be float32 or float64; got {dtype!r}") from None
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{layer}: dtype must be float32 or float64; got {dtype}")
    return dtype


def _int_tuple(value, rank, name, layer, minimum=1):
    """``value`` (an int or a tuple of ``rank`` ints) as a tuple of ints in
    ``[minimum, MAX_WINDOW]``."""
    items = (value,) * rank if isinstance(value, (int, np.integer)) else value
    if isinstance(items, (str, bytes)):
        items = None
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if (items is None or len(items) != rank
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                       for v in items)):
        raise TypeError(f"{layer}: {name} must be an int or a tuple of {rank} ints; "
                        f"got {value!r}")
    if min(items) < minimum or max(items) > _checks.MAX_WINDOW:
        raise ValueError(f"{layer}: {name} must be in [{minimum}, {_checks.MAX_WINDOW}]; "
                         f"got {value!r}")
    return tuple(int(v) for v in items)


def _serialize(obj):
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, _activations.ActivationFunction):
        if obj.kind == functional.ACTIVATION_KINDS["leaky_relu"]:   # keep the slope
            return {"class_name": "leaky_relu", "config": {"negative_slope": obj.slope}}
        return obj.name if obj.kind is not None or obj is _activations.softmax else obj
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


#: classes that a saved config may name, besides sigconv's own (``custom_objects`` of
#: :func:`sigconv.nn.load_model` while it rebuilds a model)
_custom_objects = contextvars.ContextVar("sigconv_nn_custom_objects", default=None)

_REGULARIZER_CLASSES = {cls.__name__: cls for cls in (_regularizers.L1, _regularizers.L2,
                                                      _regularizers.L1L2)}


def _regularizer(value, name="regularizer"):
    """A regularizer from a name, an instance, None or a saved ``{class_name, config}``;
    saved classes come from an allow-list (sigconv's, and ``custom_objects``)."""
    if isinstance(value, dict):
        if set(value) != {"class_name", "config"} or not isinstance(value["config"], dict):
            raise ValueError(f"{name} must be saved as {{'class_name': ..., 'config': "
                             f"{{...}}}}; got {value!r}")
        known = {**_REGULARIZER_CLASSES, **(_custom_objects.get() or {})}
        cls = known.get(value["class_name"]) if isinstance(value["class_name"], str) else None
        if not isinstance(cls, type) or not callable(getattr(cls, "gradient", None)):
            raise ValueError(f"{name}: unknown regularizer class {value['class_name']!r}; "
                             f"expected one of {sorted(_REGULARIZER_CLASSES)} or a class "
                             "given in custom_objects")
        return cls.from_config(value["config"]) if hasattr(cls, "from_config") \
            else cls(**value["config"])
    try:
        return _regularizers.get_regularizer(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}: {exc}") from None


def _initializer(value, name):
    """``value`` if it names an initializer or is callable (checked now, used at build)."""
    try:
        _initializers.get_initializer(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}: {exc}") from None
    return value


class Layer(_checks.FromConfig):
    """Base class: parameters, gradients, building, weights and configs.

    Subclasses implement ``_build(input_shape)``, ``_forward(x, training)``,
    ``_backward(grad, input_grad)`` and ``compute_output_shape(input_shape)``, and
    list their constructor arguments in ``get_config``.

    Parameters
    ----------
    name : str, optional
        Unique name; by default the snake-case class name with a counter.
    dtype : {"float32", "float64"}
        Dtype of the parameters and of the computation; inputs are cast to it.
    input_shape : tuple of int, optional
        Shape of one sample (no batch axis). The layer is built from it (its weights
        drawn) when first needed: by a model, by :meth:`build`, or by the first call or
        access to the weights.

    Raises
    ------
    TypeError
        If an argument of every layer's constructor has the wrong type: a count given as
        ``True``, ``"3"`` or ``3.0``, a flag (``use_bias``, ``keepdims``) that is not a
        bool, a string for a real number, an unknown kind of activation, initializer or
        regularizer; the message names the layer and the argument.
    ValueError
        If an argument is out of range (``units < 1``, ``rate`` outside ``[0, 1)``,
        windows beyond ``2**31 - 1``) or an unknown name (padding, activation,
        initializer); checked at construction, not at build.
    MemoryError
        At build, if a weight could not fit in memory (``Dense(10**11)``), before it is
        allocated.
    """

    #: number of axes of an input, batch included (None: any), and the fewest allowed
    input_ndim = None
    min_input_ndim = 0
    #: the penalty of the layer's output (layers that take ``activity_regularizer`` set it)
    activity_regularizer = None

    def __init__(self, name=None, dtype="float32", input_shape=None):
        name = _checks.check_name(name, f"{type(self).__name__}: name")
        if name is None:   # only unnamed layers use up a number, as in Keras
            kind = _snake(type(self).__name__)
            count = next(_name_counters[kind])
            name = kind if count == 0 else f"{kind}_{count}"
        self.name = name
        self.dtype = _layer_dtype(dtype, self.name)
        self.params = {}
        self.grads = {}
        self.built = False
        self.input_shape = None
        self.declared_input_shape = (None if input_shape is None else (None, *_checks.check_shape(
            input_shape, f"{self.name}: input_shape")))
        if self.declared_input_shape is not None:
            try:
                self._check_rank(len(self.declared_input_shape))
            except ValueError as exc:
                raise ValueError(f"{self.name}: input_shape={tuple(input_shape)} (one sample, "
                                 f"no batch axis) does not fit: {exc}") from None
        self.regularizers = {}
        self.device = "cpu"
        self._cache = None

    def __repr__(self):
        return f"<{type(self).__name__} {self.name!r}>"

    # --- building -----------------------------------------------------------------
    def build(self, input_shape, rng=None):
        """Create the parameters for inputs of ``input_shape`` (batch axis included,
        ``None`` allowed there), drawing initial weights from ``rng``.

        Raises
        ------
        TypeError, ValueError
            If ``input_shape`` is not a tuple of positive ints (or None) of the layer's rank,
            or ``rng`` is not a Generator.
        ValueError
            If the layer's window (``kernel_size`` with its dilation, ``pool_size``) does not
            fit the spatial shape of ``input_shape``, so that the output would be empty
            (``Conv2D(2, 3)`` on 2x2 images with ``padding="valid"``); checked when the
            spatial sizes are known, before any weight is drawn.
        MemoryError
            If a weight could not fit in memory (before anything is allocated; the
            message names the argument that sets its size, e.g. ``units``).
        """
        input_shape = _checks.check_shape(input_shape, f"{self.name}: input_shape",
                                          allow_none=True)
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise TypeError(f"{self.name}: rng must be a numpy.random.Generator or None; "
                            f"got {type(rng).__name__}")
        self._check_rank(len(input_shape))
        if None not in input_shape[1:]:
            # a window (kernel, pool) that leaves no output is refused now, not at the
            # first call, and before any weight is drawn
            self.compute_output_shape(input_shape)
        self._rng = rng if rng is not None else _random["generator"]
        self._shape_memo = {}
        self._build(input_shape)
        self.input_shape = input_shape
        self.built = True
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        if self.device == "cuda":
            self._move("cuda")

    def _build(self, input_shape):
        pass

    def _ensure_built(self):
        if not self.built and self.declared_input_shape is not None:
            self.build(self.declared_input_shape)

    def _add_weight(self, key, shape, initializer, regularizer=None, argument="input_shape"):
        init = _initializers.get_initializer(initializer)
        _checks.check_weight_allocation(self.name, argument, key, shape, self.dtype)
        self.params[key] = np.ascontiguousarray(init(tuple(shape), dtype=self.dtype,
                                                     rng=self._rng))
        if regularizer is not None:
            self.regularizers[key] = regularizer

    def _set_dense_arguments(self, label, activation, use_bias, kernel_initializer,
                             bias_initializer, kernel_regularizer, bias_regularizer,
                             activity_regularizer):
        """The arguments Dense and the convolutions share, checked now (not at build)."""
        try:
            self.activation = _activations.get_activation(activation)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{label}: {exc}") from None
        self.use_bias = _checks.check_flag(use_bias, f"{label}: use_bias")
        self.kernel_initializer = _initializer(kernel_initializer,
                                               f"{label}: kernel_initializer")
        self.bias_initializer = _initializer(bias_initializer, f"{label}: bias_initializer")
        self.kernel_regularizer = _regularizer(kernel_regularizer,
                                               f"{label}: kernel_regularizer")
        self.bias_regularizer = _regularizer(bias_regularizer, f"{label}: bias_regularizer")
        self.activity_regularizer = _regularizer(activity_regularizer,
                                                 f"{label}: activity_regularizer")

    # --- devices -------------------------------------------------------------------
    #: whether the layer has a GPU path (layers without one refuse ``to("cuda")``)
    cuda_ready = False

    def to(self, device):
        """Keep the weights, gradients and computation on ``"cuda"`` or ``"cpu"``.

        On the GPU, :meth:`forward` takes NumPy or device arrays and returns device arrays;
        :meth:`get_weights` still returns NumPy arrays. Returns the layer.

        Raises
        ------
        ValueError
            If ``device`` is not ``"cpu"`` or ``"cuda"``.
        NotImplementedError
            If ``device="cuda"`` and the layer has no GPU path yet.
        sigconv.CUDAUnavailableError
            If ``device="cuda"`` and numba finds no GPU (a RuntimeError and a ValueError
            naming ``device``).
        """
        self._check_device(device)
        if device == "cuda":
            require_cuda()
        if self.built:
            self._move(device)
        self.device = device
        self._cache = None
        return self

    def _check_device(self, device):
        if not isinstance(device, str) or device not in ("cpu", "cuda"):
            raise ValueError(f"{self.name}: device must be 'cpu' or 'cuda'; got {device!r}")
        if device == "cuda" and not self.cuda_ready:
            raise NotImplementedError(f"{self.name}: {type(self).__name__} has no GPU "
                                      "path yet; keep it on the CPU (device='cpu')")
        if device == "cuda" and self.activity_regularizer is not None:
            raise NotImplementedError(f"{self.name}: activity_regularizer runs on the CPU "
                                      "only; keep the layer on the CPU (device='cpu')")

    @property
    def _backend(self):
        """The backend module of the layer's device (:mod:`sigconv.nn.backend`), which the
        passes call without asking again where they run (a property, not an attribute:
        layers stay picklable and deep-copyable)."""
        return _backends.get(self.device)

    def _move(self, device):
        backend = _backends.get(device)
        self.params = {key: backend.asarray(value, value.dtype)
                       for key, value in self.params.items()}
        self.grads = {key: backend.asarray(value, value.dtype)
                      for key, value in self.grads.items()}

    def _input_on_device(self, x):
        """The input as a device array of the layer's dtype (GPU path)."""
        if _checks.on_device(x) and np.dtype(x.dtype) != self.dtype:
            raise TypeError(f"{self.name}: a device input must have the layer's dtype "
                            f"{self.dtype}; got {x.dtype}")
        return _backends.cuda.asarray(x, self.dtype)

    # --- passes ------------------------------------------------------------------
    def forward(self, x, training=False):
        """Output of the layer for the batch ``x`` (built on first call).

        Parameters
        ----------
        x : array_like
            A batch, batch axis first, of a real dtype (cast to the layer's dtype).
        training : bool
            Training mode (dropout masks, batch statistics).

        Raises
        ------
        TypeError
            If ``x`` is not real numbers (object, str, complex, ragged) or ``training`` is
            not a bool.
        ValueError
            If ``x`` has the wrong rank or channel count for this layer, no samples, NaN
            or inf (Keras computes with them), or values beyond the range of the layer's
            dtype.
        MemoryError
            If the output and the temporaries of the pass could not fit in memory
            (checked before allocating).
        OverflowError
            If the output for a finite ``x`` is not finite (values near the dtype's
            largest; Keras returns the infinities). Inside a model the infinities and NaN
            go on to the loss instead, where divergence shows.
        sigconv.CUDAUnavailableError
            If the layer is on the GPU and numba finds none.
        """
        return self._forward_checked(x, training, in_model=False)

    def _forward_checked(self, x, training=False, in_model=True):
        """:meth:`forward`; inside a model (``in_model``) an overflow is not an error."""
        training = _checks.check_flag(training, f"{self.name}: training")
        if self.device == "cuda" or _checks.on_device(x):
            if self.device != "cuda":
                raise ValueError(f"{self.name}: got a device array, but the layer is on the "
                                 "CPU; call layer.to('cuda') first")
            x = self._input_on_device(x)
            self._check_rank(len(x.shape))
            if not self.built:
                self.build((None, *x.shape[1:]))
            else:
                self._check_input(tuple(x.shape))
            return self._forward(x, training)
        x = self._checked_input(x, f"{self.name}: x", cast=False)
        if not self.built:
            declared = self.declared_input_shape
            if declared is not None and tuple(declared[1:]) != tuple(x.shape[1:]):
                raise ValueError(f"{self.name}: input_shape={declared[1:]} was declared, "
                                 f"got samples of shape {x.shape[1:]}")
            self.build((None, *x.shape[1:]))
        else:
            self._check_input(x.shape)
        self._check_memory(x.shape, cast=x.dtype != self.dtype)
        x = self._cast_input(x, f"{self.name}: x")
        with np.errstate(over="ignore", invalid="ignore"):
            y = self._forward(x, training)
        if in_model:     # a diverging network shows as NaN losses (the model's contract)
            return y
        if not _checks.all_finite(y):
            raise OverflowError(f"{self.name}: the output for the finite x overflowed "
                                f"{self.dtype} (x up to {_largest(x):.3g}, weights "
                                f"up to {self._largest_weight():.3g}); scale x down")
        return y

    def _forward_unchecked(self, x, training):
        """The pass of a model's first layer on a batch that the model's public call
        checked once for the whole array (real, finite, samples of the model's input
        shape, values within this layer's dtype) together with the memory of a batch's
        pass: only the cast remains (CPU, NumPy ``x``)."""
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        return self._forward(x, training)

    def _backward_unchecked(self, grad, input_grad, preactivation=False):
        """:meth:`backward` (or :meth:`backward_preactivation`) inside a model, which
        computed ``grad`` itself for the last output: its argument checks are skipped
        where ``grad`` is a NumPy array of the last output's shape (a layer of the user's
        that returns anything else still goes through the checks)."""
        if (self.device != "cpu" or type(grad) is not np.ndarray or self._cache is None
                or grad.shape != tuple(self._output_shape)):
            public = self.backward_preactivation if preactivation else self.backward
            return public(grad, input_grad=input_grad)
        if grad.dtype != self.dtype:
            grad = grad.astype(self.dtype)
        return self._finish_backward(self._backward_preactivation(grad, input_grad)
                                     if preactivation else self._backward(grad, input_grad))

    def _largest_weight(self):
        values = [_largest(w) for w in self.get_weights() if w.size]
        return max(values, default=0.0)

    def _checked_input(self, x, name, cast=True):
        """``x`` as a finite array of the layer's rank with samples, of the layer's dtype
        if ``cast`` (a copy only when it must be cast)."""
        x = _checks.check_real_array(x, name)
        if x.ndim == 0:
            raise ValueError(f"{name} must have a batch axis first; got a 0-d array")
        self._check_rank(x.ndim)
        if x.shape[0] == 0 or x.size == 0:
            raise ValueError(f"{name} must hold at least one sample with at least one "
                             f"value; got shape {x.shape}")
        _checks.check_finite(x, name)
        return self._cast_input(x, name) if cast else x

    def _cast_input(self, x, name):
        """``x`` in the layer's dtype; ValueError if values leave its range."""
        if x.dtype != self.dtype:
            with np.errstate(over="ignore"):
                x = x.astype(self.dtype)
            if not _checks.all_finite(x):
                raise ValueError(f"{name} holds values beyond the range of the layer's "
                                 f"dtype {self.dtype}")
        return x

    #: the arguments that set the size of a pass's output (named by MemoryError)
    _size_arguments = "x"

    def _memory_elements(self, input_shape, batch):
        """Entries of the output and temporaries at the peak of a pass (a bound)."""
        return 2 * _checks.elements(self._output_shape_of(input_shape), batch)

    def _check_memory(self, shape, cast=False):
        """MemoryError, before the pass, if its output and temporaries (and, if ``cast``,
        the copy of the input in the layer's dtype) could not fit."""
        sample = (None, *shape[1:])
        output = self._output_shape_of(sample)
        total = self._memory_elements(sample, shape[0]) + (math.prod(shape) if cast else 0)
        batch_output = tuple(shape[0] if n is None else n for n in output)
        check_allocation(f"{self.name}: {self._size_arguments}", batch_output, self.dtype,
                         copies=total / max(1, _checks.elements(output, shape[0])),
                         what=f"the output for x of shape {tuple(shape)}")

    __call__ = forward

    def backward(self, grad_output, input_grad=True):
        """Backpropagate ``grad_output`` (the loss gradient with respect to the output of
        the last :meth:`forward`): fill ``grads`` and return the input gradient (None
        when ``input_grad`` is False, e.g. for a network's first layer).

        Raises
        ------
        RuntimeError
            If no :meth:`forward` has run since the layer was built (nothing to
            backpropagate through), as in Keras.
        TypeError
            If ``grad_output`` is not real numbers or ``input_grad`` is not a bool.
        ValueError
            If ``grad_output`` does not have the shape of the last output.
        """
        input_grad = _checks.check_flag(input_grad, f"{self.name}: input_grad")
        grad_output = self._checked_grad(grad_output, "grad_output")
        return self._finish_backward(self._backward(grad_output, input_grad))

    def backward_preactivation(self, grad_preactivation, input_grad=True):
        """Like :meth:`backward`, given the gradient with respect to the layer's output
        *before* its activation, ``z`` in ``y = activation(z)``.

        This is how a softmax output layer and a cross-entropy loss are fused: the
        loss gives ``(p - y) / batch`` with respect to ``z`` directly, which is exact and
        avoids the softmax Jacobian.

        Raises
        ------
        RuntimeError
            If no :meth:`forward` has run since the layer was built.
        TypeError
            If the layer has no activation to skip, ``grad_preactivation`` is not real
            numbers or ``input_grad`` is not a bool.
        ValueError
            If ``grad_preactivation`` does not have the shape of the last output.
        """
        input_grad = _checks.check_flag(input_grad, f"{self.name}: input_grad")
        if not hasattr(self, "_backward_linear"):
            raise TypeError(f"{self.name}: {type(self).__name__} has no activation to skip")
        grad = self._checked_grad(grad_preactivation, "grad_preactivation")
        return self._finish_backward(self._backward_preactivation(grad, input_grad))

    def _backward_preactivation(self, dz, input_grad):
        """The linear part's backward from ``dz``, the gradient before the activation, with
        the activity penalty's gradient taken back through the activation first."""
        if self.activity_regularizer is not None:
            y = self._activity_output()
            dz = dz + self._backend.activation_backward(self._activity_gradient(y), y,
                                                        self.activation)
        return self._backward_linear(dz, input_grad)

    # --- the activity penalty (Keras 3: the output's penalty over the batch size) ------
    def _activity_output(self):
        """The output of the latest forward pass (None before the first); layers that take
        ``activity_regularizer`` return it."""
        return None

    def _activity_gradient(self, y):
        """``R'(y) / batch``: the gradient of the activity penalty ``R(y) / batch`` with
        respect to the output ``y`` (a new array of ``y``'s dtype)."""
        gradient = np.asarray(self.activity_regularizer.gradient(y), dtype=y.dtype)
        gradient /= y.shape[0]
        return gradient

    def _plus_activity_gradient(self, grad, y):
        """``grad`` (with respect to the output ``y``) plus the activity penalty's
        gradient, if the layer has one."""
        if self.activity_regularizer is None:
            return grad
        return grad + self._activity_gradient(y)

    def _checked_grad(self, grad, name):
        if self._cache is None:
            raise RuntimeError(f"{self.name}: backward called before forward")
        expected = tuple(self._output_shape)
        if self.device != "cuda":     # the shape is checked before the cast allocates
            grad = _checks.check_real_array(grad, f"{self.name}: {name}")
        if tuple(grad.shape) != expected:
            raise ValueError(f"{self.name}: {name} must have the output's shape "
                             f"{expected}; got {tuple(grad.shape)}")
        if self.device == "cuda":
            return self._input_on_device(grad)
        return grad.astype(self.dtype, copy=False)

    def _finish_backward(self, grad_input):
        backend = self._backend
        for key, regularizer in self.regularizers.items():
            backend.add_penalty_gradient(self.params[key], self.grads[key], regularizer)
        for key, value in self.params.items():
            assert self.grads[key].shape == value.shape, (self.name, key)
        return grad_input

    def _store_grads(self, **grads):
        for key, value in grads.items():
            if _checks.on_device(self.grads[key]):
                self.grads[key].copy_to_device(value)
            else:
                np.copyto(self.grads[key], value)

    # --- checks -------------------------------------------------------------------
    def _check_rank(self, ndim):
        if self.input_ndim is not None and ndim != self.input_ndim:
            raise ValueError(f"{self.name}: expected input with {self.input_ndim} axes "
                             f"(batch first), got {ndim}")
        if ndim < self.min_input_ndim:
            raise ValueError(f"{self.name}: expected input with at least "
                             f"{self.min_input_ndim} axes (batch first), got {ndim}")

    def _check_input(self, shape):
        expected = self.input_shape[-1]
        if expected is not None and shape[-1] != expected:
            raise ValueError(f"{self.name}: expected {expected} channels (last axis) as "
                             f"when built, got input of shape {shape}")

    # --- weights and configs -------------------------------------------------------
    @property
    def weights(self):
        """The parameters in Keras order."""
        self._ensure_built()
        return list(self.params.values())

    def get_weights(self):
        """Copies of the weights as NumPy arrays, in Keras order (e.g. ``[kernel, bias]``)."""
        return [value.copy_to_host() if _checks.on_device(value) else np.array(value)
                for value in self.weights]

    def set_weights(self, weights):
        """Set the weights from a list in Keras order, checking every shape.

        Parameters
        ----------
        weights : list of array_like
            One array per weight, as :meth:`get_weights` returns them.

        Raises
        ------
        TypeError
            If ``weights`` is not a list or tuple, or an entry is not real numbers.
        ValueError
            If the layer is not built, or ``weights`` has another number of arrays, an
            array of another shape, or values beyond the range of the layer's dtype
            (they would become inf). Nothing is changed then.
        """
        new = self._checked_weights(weights)
        for current, value in zip(self.weights, new, strict=True):
            if _checks.on_device(current):
                current.copy_to_device(value)
            else:
                np.copyto(current, value)

    def _checked_weights(self, weights):
        """``weights`` as arrays of the layer's dtype and weights' shapes (all checked
        before any weight is changed)."""
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"{self.name}: weights must be a list of arrays (as get_weights "
                            f"returns them); got {type(weights).__name__}")
        self._ensure_built()
        if not self.built:
            raise ValueError(f"{self.name}: the layer has no weights yet; build it first "
                             "(layer.build(input_shape), input_shape=..., or one call)")
        current = self.weights
        keys = self._weight_names()
        if len(weights) != len(current):
            raise ValueError(f"{self.name}: set_weights expects {len(current)} arrays in "
                             f"weights ({', '.join(keys)}); got {len(weights)}")
        checked = []
        for key, old, new in zip(keys, current, weights, strict=True):
            label = f"{self.name}: weight {key!r}"
            new = _checks.check_real_array(new, label)
            if new.shape != tuple(old.shape):
                raise ValueError(f"{label} must have shape {tuple(old.shape)}; got "
                                 f"{new.shape}")
            with np.errstate(over="ignore", invalid="ignore"):
                cast = np.ascontiguousarray(new, dtype=self.dtype)
            if not _checks.all_finite(cast) and _checks.all_finite(new):
                raise ValueError(f"{label} holds values beyond the range of the layer's "
                                 f"dtype {self.dtype}")
            checked.append(cast)
        return checked

    def _weight_names(self):
        return list(self.params)

    def count_params(self):
        """Number of scalars in the weights."""
        return int(sum(value.size for value in self.weights))

    def regularization_loss(self):
        """The penalties of this layer's regularizers, to be added to the loss.

        The weights' penalties ``R(w)``, plus, with an ``activity_regularizer`` ``R``, the
        penalty ``R(y) / batch`` of the output ``y`` of the latest forward pass (``batch``
        its first axis, as in Keras 3; nothing before the first pass).

        Returns
        -------
        float
        """
        total = 0.0
        if self.regularizers:     # summed where the weights are: one scalar comes back
            backend = self._backend
            total = float(backend.to_host(self._add_penalties(
                backend.zeros((1,), np.float64)))[0])
        if self.activity_regularizer is not None:
            y = self._activity_output()
            if y is not None:
                total += float(self.activity_regularizer(y)) / y.shape[0]
        return total

    def _add_penalties(self, total):
        """``total[0] +=`` the weights' penalties, on the layer's device (``total``: a
        one-entry array there)."""
        backend = self._backend
        for key, regularizer in self.regularizers.items():
            backend.add_penalty(self.params[key], regularizer, total)
        return total

    def get_config(self):
        """Constructor arguments: ``type(layer).from_config(layer.get_config())`` builds
        an equal, unbuilt layer."""
        return {"name": self.name, "dtype": self.dtype.name}

    def compute_output_shape(self, input_shape):
        """Output shape for an input shape (batch axis included, ``None`` for unknown
        sizes).

        Raises
        ------
        TypeError, ValueError
            If ``input_shape`` is not a tuple of positive ints or None of the layer's
            rank (a string, floats, booleans, zeros), or (windowed layers) the window does
            not fit its spatial sizes.
        """
        return self._checked_shape(input_shape)

    def _output_shape_of(self, input_shape):
        """:meth:`compute_output_shape` of a shape tuple, remembered until the layer is
        built again (the memory checks of every call ask for the same few shapes)."""
        memo = self.__dict__.get("_shape_memo")
        if memo is None or len(memo) > 64:
            memo = self._shape_memo = {}
        key = input_shape if type(input_shape) is tuple else None
        output = memo.get(key) if key is not None else None
        if output is None:
            output = self.compute_output_shape(input_shape)
            if key is not None:
                memo[key] = output
        return output

    def _checked_shape(self, input_shape):
        """``input_shape`` as a tuple of positive ints or None, of the layer's rank."""
        shape = _checks.check_shape(input_shape, f"{self.name}: input_shape", allow_none=True)
        self._check_rank(len(shape))
        return shape

    @property
    def _output_shape(self):
        return self._cache_output_shape

    def _cast(self, dtype):
        """Switch the parameters and computation to ``dtype`` (used by gradient checks)."""
        self.dtype = np.dtype(dtype)
        _dtype_changes[0] += 1
        for store in (self.params, self.grads):
            for key in store:
                store[key] = store[key].astype(self.dtype)
        self._cache = None


def _largest(array):
    """``max(|array|)`` without a temporary of the array's size."""
    return max(abs(float(array.max())), abs(float(array.min())))


class _Windowed(Layer):
    """A layer whose outputs are windows of ``rank`` spatial axes (convolution, pooling).

    1-D layers run as 2-D ones on images of height 1. Subclasses give ``_window()`` (size,
    strides, dilation per axis), ``_misfit(spatial)`` (why a window cannot fit) and
    ``_output_channels(input_shape)``.
    """

    rank = 2
    cuda_ready = True

    def _geometry_for(self, spatial):
        size = (1, *spatial) if self.rank == 1 else tuple(spatial)
        if self._geometry is None or self._geometry.in_size != size:
            one = (1,) if self.rank == 1 else ()
            kernel, strides, dilation = self._window()
            try:
                geometry = functional.window_geometry(size, one + kernel, one + strides,
                                                      one + dilation, self.padding)
            except (TypeError, ValueError) as exc:   # sizes beyond the kernels' int32
                raise ValueError(f"{self.name}: the spatial sizes {tuple(spatial)} of the "
                                 f"input_shape are out of range: {exc}") from None
            if min(geometry.out_size) < 1:
                raise ValueError(f"{self.name}: {self._misfit(spatial)}")
            self._geometry = geometry
        return self._geometry

    def compute_output_shape(self, input_shape):
        input_shape = self._checked_shape(input_shape)
        if None in input_shape[1:-1]:           # unknown spatial sizes stay unknown
            return (input_shape[0], *(None,) * self.rank, self._output_channels(input_shape))
        geometry = self._geometry_for(input_shape[1:-1])
        spatial = geometry.out_size[1:] if self.rank == 1 else geometry.out_size
        return (input_shape[0], *spatial, self._output_channels(input_shape))

    def _batch_output_shape(self, batch, geometry, channels):
        """The output shape of a batch of ``batch`` samples with these windows."""
        spatial = geometry.out_size[1:] if self.rank == 1 else geometry.out_size
        return (batch, *spatial, channels)

    def _as_images(self, x):
        """``x`` as a C-contiguous 4-D batch, and the geometry of its windows."""
        if self.rank == 2 and type(x) is np.ndarray and x.flags.c_contiguous:
            return x, self._geometry_for(x.shape[1:3])     # already one
        shape = tuple(x.shape)
        geometry = self._geometry_for(shape[1:-1])
        images = x.reshape(shape[0], *geometry.in_size, shape[-1])
        return (images if _checks.on_device(images) else np.ascontiguousarray(images)), geometry


class _Conv(_Windowed):
    """Convolution (Keras: cross-correlation) over ``rank`` spatial axes."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, algorithm="auto", input_shape=None, name=None,
                 dtype="float32"):
        self.input_ndim = self.rank + 2
        label = _checks.check_name(name, f"{type(self).__name__}: name") \
            or _snake(type(self).__name__)
        self.filters = _checks.check_count(filters, f"{label}: filters")
        self.kernel_size = _int_tuple(kernel_size, self.rank, "kernel_size", label)
        self.strides = _int_tuple(strides, self.rank, "strides", label)
        self.dilation_rate = _int_tuple(dilation_rate, self.rank, "dilation_rate", label)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{label}: strides > 1 together with dilation_rate > 1 is not "
                             f"supported (as in Keras); got strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}")
        self.padding = check_choice(padding, f"{label}: padding", PADDINGS)
        self.algorithm = self._check_algorithm(algorithm, label)
        self._algorithms = {}
        self._set_dense_arguments(label, activation, use_bias, kernel_initializer,
                                  bias_initializer, kernel_regularizer, bias_regularizer,
                                  activity_regularizer)
        self._geometry = None
        super().__init__(name=name, dtype=dtype, input_shape=input_shape)

    def _check_algorithm(self, algorithm, label):
        """``algorithm`` as a name; an explicit one must apply to this kernel, strides and
        dilation (checked on the smallest input they fit)."""
        algorithm = check_choice(algorithm, f"{label}: algorithm",
                                 ("auto", *functional.CONV_ALGORITHMS))
        if algorithm != "auto":
            one = (1,) if self.rank == 1 else ()
            span = tuple((k - 1) * d + 1 for k, d in zip(one + self.kernel_size,
                                                         one + self.dilation_rate,
                                                         strict=True))
            geometry = functional.window_geometry(span, one + self.kernel_size,
                                                  one + self.strides,
                                                  one + self.dilation_rate, "valid")
            reason = functional.algorithm_misfit(algorithm, geometry, 1, self.filters,
                                                 "float32")
            if reason is not None:
                raise ValueError(f"{label}: algorithm={algorithm!r} does not apply to this "
                                 f"layer: {reason} (use 'gemm' or 'auto')")
        return algorithm

    def _algorithm_for(self, batch, geometry, channels, training):
        """The algorithm of this call: the layer's own, or "auto"'s pick for this batch
        size, input size and pass (remembered, the choice costs microseconds once)."""
        key = (batch, geometry, channels, training, self.dtype, self.device)
        name = self._algorithms.get(key)
        if name is None:
            name = self._backend.resolve_conv_algorithm(
                self.algorithm, batch, geometry, channels, self.filters, self.dtype,
                training, name=f"{self.name}: algorithm")
            self._algorithms[key] = name
        return name

    def _build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"{self.name}: the channel axis of input_shape must be known")
        self._add_weight("kernel", (*self.kernel_size, channels, self.filters),
                         self.kernel_initializer, self.kernel_regularizer,
                         argument="filters, kernel_size and the input's channels")
        if self.use_bias:
            self._add_weight("bias", (self.filters,), self.bias_initializer,
                             self.bias_regularizer, argument="filters")

    def _window(self):
        return self.kernel_size, self.strides, self.dilation_rate

    _size_arguments = "x, filters"

    def _memory_elements(self, input_shape, batch):
        # output (and its cached copy after the activation), plus the input gradient and
        # im2col chunks of backward, bounded by the input's size
        output = _checks.elements(self._output_shape_of(input_shape), batch)
        return 2 * output + 2 * _checks.elements(input_shape, batch)

    def _misfit(self, spatial):
        return (f"the {self.padding!r} window of kernel_size={self.kernel_size} with "
                f"dilation_rate={self.dilation_rate} does not fit the input's spatial shape "
                f"{tuple(spatial)}")

    def _output_channels(self, input_shape):
        return self.filters

    def _kernel2d(self):
        kernel = self.params["kernel"]
        return kernel.reshape(1, *kernel.shape) if self.rank == 1 else kernel

    def _forward(self, x, training):
        x4, geometry = self._as_images(x)
        backend = self._backend
        # the layer's own geometry, kernel and contiguous input: nothing to re-check
        algorithm = self._algorithm_for(x4.shape[0], geometry, x4.shape[3], training)
        z, cols = backend.conv_forward(x4, self._kernel2d(), geometry, algorithm)
        y = backend.bias_activate(z, self.params.get("bias"), self.activation)
        y = y.reshape(self._batch_output_shape(x4.shape[0], geometry, self.filters))
        self._cache = (x4, y, geometry, cols, algorithm)
        self._cache_output_shape = y.shape
        return y

    def _backward(self, grad, input_grad):
        y = self._cache[1]
        grad = self._plus_activity_gradient(grad, y)
        return self._backward_linear(self._backend.activation_backward(grad, y,
                                                                       self.activation),
                                     input_grad)

    def _activity_output(self):
        return None if self._cache is None else self._cache[1]

    def _backward_linear(self, dz, input_grad):
        x4, _, geometry, cols, algorithm = self._cache
        backend = self._backend
        dz = dz.reshape(x4.shape[0], *geometry.out_size, self.filters)
        dx, dkernel = backend.conv_backward(x4, dz, self._kernel2d(), geometry, input_grad,
                                            cols, algorithm)
        self._store_grads(kernel=dkernel.reshape(tuple(self.params["kernel"].shape)))
        if self.use_bias:
            backend.bias_gradient(dz, self.grads["bias"])
        return None if dx is None else dx.reshape(self._input_full_shape(x4))

    def _input_full_shape(self, x4):
        shape = tuple(x4.shape)
        return shape if self.rank == 2 else (shape[0], shape[2], shape[3])

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "dilation_rate": self.dilation_rate,
                "activation": _serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer,
                "kernel_regularizer": _serialize(self.kernel_regularizer),
                "bias_regularizer": _serialize(self.bias_regularizer),
                "activity_regularizer": _serialize(self.activity_regularizer),
                "algorithm": self.algorithm}


class Conv2D(_Conv):
    """2-D convolution layer (Keras semantics: a cross-correlation) over channels-last images.

    ``y[b, i, j, f] = act(bias[f] + sum_{a, c, ch} x[b, i*sh + a*dh - ph,
    j*sw + c*dw - pw, ch] * kernel[a, c, ch, f])``, padding positions read as 0.

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or (int, int)
    strides : int or (int, int), default 1
    padding : {"valid", "same"}
        ``"same"`` pads ``max((out - 1) * stride + span - size, 0)`` in total, the smaller
        half first (TensorFlow's centring for even kernels and strides > 1).
    dilation_rate : int or (int, int), default 1
        Not together with strides > 1.
    activation : str, ActivationFunction or None
    use_bias : bool
    kernel_initializer, bias_initializer : str or callable
    kernel_regularizer, bias_regularizer : regularizer, str or None
    activity_regularizer : regularizer, str or None
        A penalty ``R`` of the layer's output ``y`` (after the activation): ``R(y) / batch``
        is added to the loss, ``batch = y.shape[0]`` (Keras 3 divides by the batch size, as
        TensorFlow 2's Keras did); CPU only.
    algorithm : {"auto", "gemm", "winograd2", "winograd4", "fft", "direct"}
        How the convolution is computed (all give the same result up to rounding; see
        :func:`sigconv.nn.functional.choose_conv_algorithm`): ``"auto"`` picks by a cost
        model for each batch and input size; a named one that does not apply (Winograd
        with strides 2) is a ValueError. On the GPU every convolution is ``"gemm"``.
    input_shape : tuple, optional
        ``(height, width, channels)`` of one sample.
    name : str, optional
    dtype : {"float32", "float64"}

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import Conv2D
    >>> layer = Conv2D(4, 3, padding="same", input_shape=(8, 8, 1))
    >>> layer(np.ones((2, 8, 8, 1))).shape
    (2, 8, 8, 4)
    >>> layer.params["kernel"].shape, layer.count_params()
    ((3, 3, 1, 4), 40)
    """

    rank = 2


class Conv1D(_Conv):
    """1-D convolution layer over ``(batch, length, channels)``: Conv2D on images of
    height 1, with the same arguments (``kernel_size`` etc. as ints or 1-tuples) and a
    kernel of shape ``(kernel_size, in_channels, filters)``.

    Parameters
    ----------
    filters : int
    kernel_size, strides, dilation_rate : int or (int,)
    padding : {"valid", "same"}
    activation : str, ActivationFunction or None
    use_bias : bool
    kernel_initializer, bias_initializer : str or callable
    kernel_regularizer, bias_regularizer : regularizer, str or None
    activity_regularizer : regularizer, str or None
        A penalty ``R`` of the layer's output ``y`` (after the activation): ``R(y) / batch``
        is added to the loss, ``batch = y.shape[0]`` (Keras 3 divides by the batch size, as
        TensorFlow 2's Keras did); CPU only.
    algorithm : {"auto", "gemm", "winograd2", "winograd4", "fft", "direct"}
        As for :class:`Conv2D` (Winograd takes kernels of 3 taps).
    {common}

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import Conv1D
    >>> Conv1D(2, 5, strides=2, input_shape=(100, 1))(np.zeros((3, 100, 1))).shape
    (3, 48, 2)
    """

    rank = 1


class _Pooling(_Windowed):
    kind = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", name=None,
                 dtype="float32", input_shape=None):
        self.input_ndim = self.rank + 2
        label = _checks.check_name(name, f"{type(self).__name__}: name") \
            or _snake(type(self).__name__)
        self.pool_size = _int_tuple(pool_size, self.rank, "pool_size", label)
        self.strides = (self.pool_size if strides is None
                        else _int_tuple(strides, self.rank, "strides", label))
        self.padding = check_choice(padding, f"{label}: padding", PADDINGS)
        self._geometry = None
        super().__init__(name=name, dtype=dtype, input_shape=input_shape)

    def _window(self):
        return self.pool_size, self.strides, (1,) * self.rank

    def _misfit(self, spatial):
        return (f"pool_size={self.pool_size} is larger than the input's spatial shape "
                f"{tuple(spatial)} (padding='valid')")

    _size_arguments = "x, pool_size"

    def _memory_elements(self, input_shape, batch):
        # the windows as rows (taps per output) and the output with its argmax; backward
        # holds the gradient's windows (as many) and the input gradient
        output = _checks.elements(self._output_shape_of(input_shape), batch)
        return (output * (self._geometry_for(input_shape[1:-1]).taps + 2)
                + _checks.elements(input_shape, batch))

    def _output_channels(self, input_shape):
        return input_shape[-1]

    def _forward(self, x, training):
        x4, geometry = self._as_images(x)
        y, cache = self._backend.pool_forward(x4, geometry, self.kind)
        y = y.reshape(self._batch_output_shape(x4.shape[0], geometry, tuple(x4.shape)[3]))
        self._cache = (tuple(x.shape), tuple(x4.shape), geometry, cache)
        self._cache_output_shape = tuple(y.shape)
        return y

    def _backward(self, grad, input_grad):
        shape, shape4, geometry, cache = self._cache
        if not input_grad:
            return None
        # grad has the last output's shape (checked by backward, or made by the model)
        return self._backend.pool_backward(grad, geometry, self.kind, cache,
                                           shape4).reshape(shape)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class MaxPooling2D(_Pooling):
    """Max pooling over windows of ``pool_size`` (stride ``strides``, default the pool).

    The gradient goes to the first maximum of each window (the argmax stored in forward);
    with ``padding="same"`` padding never wins.

    Parameters
    ----------
    {pooling}

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import MaxPooling2D
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> MaxPooling2D()(x)[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """

    rank, kind = 2, "max"


class AveragePooling2D(_Pooling):
    """Average pooling; with ``padding="same"`` the mean is over the taps inside the input
    (padding is not counted), as in Keras.

    Parameters
    ----------
    {pooling}
    """

    rank, kind = 2, "average"


class MaxPooling1D(_Pooling):
    """Max pooling over ``(batch, length, channels)``.

    Parameters
    ----------
    {pooling}
    """

    rank, kind = 1, "max"


class AveragePooling1D(_Pooling):
    """Average pooling over ``(batch, length, channels)``.

    Parameters
    ----------
    {pooling}
    """

    rank, kind = 1, "average"


class _GlobalPooling(_Pooling):
    """Pooling with one window covering all of each sample's spatial axes."""

    _size_arguments = "x"     # no pool_size to name: the window is the whole sample

    def __init__(self, keepdims=False, name=None, dtype="float32", input_shape=None):
        self.keepdims = _checks.check_flag(keepdims, "keepdims")
        super().__init__(pool_size=1, name=name, dtype=dtype, input_shape=input_shape)

    def _geometry_for(self, spatial):
        self.pool_size = self.strides = tuple(int(s) for s in spatial)   # the whole sample
        return super()._geometry_for(spatial)

    def compute_output_shape(self, input_shape):
        input_shape = self._checked_shape(input_shape)
        kept = (1,) * self.rank if self.keepdims else ()
        return (input_shape[0], *kept, input_shape[-1])

    def _batch_output_shape(self, batch, geometry, channels):
        return (batch, *(1,) * (self.rank if self.keepdims else 0), channels)

    def _numpy_mean(self):
        """The CPU average: NumPy's mean reads the input once, where the patches of the
        pooling would copy it first (2.5x slower, measured)."""
        return self.kind == "average" and self._backend is _backends.cpu

    def _forward(self, x, training):
        if not self._numpy_mean():
            return super()._forward(x, training)
        y = x.mean(axis=tuple(range(1, x.ndim - 1)), dtype=self.dtype, keepdims=self.keepdims)
        self._cache = tuple(x.shape)
        self._cache_output_shape = tuple(y.shape)
        return y

    def _backward(self, grad, input_grad):
        if not self._numpy_mean():
            return super()._backward(grad, input_grad)
        if not input_grad:
            return None
        shape = self._cache
        share = grad.reshape(shape[0], *(1,) * (len(shape) - 2), shape[-1])
        share = share / math.prod(shape[1:-1])
        return np.ascontiguousarray(np.broadcast_to(share, shape))

    def get_config(self):
        return {**Layer.get_config(self), "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width: ``(batch, h, w, c) -> (batch, c)``.

    Parameters
    ----------
    {global_pooling}

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import GlobalAveragePooling2D
    >>> GlobalAveragePooling2D()(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[3., 4.]], dtype=float32)
    """

    rank, kind = 2, "average"


class GlobalMaxPooling2D(_GlobalPooling):
    """Maximum over height and width: ``(batch, h, w, c) -> (batch, c)``; the gradient
    goes to the first maximum.

    Parameters
    ----------
    {global_pooling}
    """

    rank, kind = 2, "max"


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps: ``(batch, steps, c) -> (batch, c)``.

    Parameters
    ----------
    {global_pooling}
    """

    rank, kind = 1, "average"


class GlobalMaxPooling1D(_GlobalPooling):
    """Maximum over the steps: ``(batch, steps, c) -> (batch, c)``.

    Parameters
    ----------
    {global_pooling}
    """

    rank, kind = 1, "max"


class Flatten(Layer):
    """Flatten each sample to one axis: ``(batch, ...) -> (batch, prod(...))``.

    Parameters
    ----------
    {common}
    """

    cuda_ready = True

    def _check_input(self, shape):
        if tuple(shape[1:]) != tuple(self.input_shape[1:]):
            raise ValueError(f"{self.name}: expected samples of shape "
                             f"{self.input_shape[1:]} as when built, got {shape[1:]}")

    def compute_output_shape(self, input_shape):
        input_shape = self._checked_shape(input_shape)
        # math.prod: NumPy's int64 product wraps around for sizes beyond 2**63
        size = math.prod(input_shape[1:]) if None not in input_shape[1:] else None
        return (input_shape[0], size)

    def _forward(self, x, training):
        self._cache = x.shape
        y = x.reshape(x.shape[0], x.size // x.shape[0])
        self._cache_output_shape = y.shape
        return y

    def _backward(self, grad, input_grad):
        return grad.reshape(self._cache) if input_grad else None


class Dense(Layer):
    """Fully connected layer ``y = act(x @ kernel + bias)`` over the last axis.

    Parameters
    ----------
    units : int
    activation : str, ActivationFunction or None
    use_bias : bool
    kernel_initializer, bias_initializer : str or callable
    kernel_regularizer, bias_regularizer : regularizer, str or None
    activity_regularizer : regularizer, str or None
        A penalty ``R`` of the layer's output ``y`` (after the activation): ``R(y) / batch``
        is added to the loss, ``batch = y.shape[0]`` (Keras 3 divides by the batch size, as
        TensorFlow 2's Keras did); CPU only.
    input_shape : tuple, optional
    name : str, optional
    dtype : {"float32", "float64"}

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import Dense
    >>> layer = Dense(3, input_shape=(4,))
    >>> layer.set_weights([np.eye(4, 3), np.array([0.0, 1.0, 2.0])])
    >>> layer(np.array([[1.0, 2.0, 3.0, 4.0]]))
    array([[1., 3., 5.]], dtype=float32)

    With ``activity_regularizer=L2(0.1)`` the penalty of the latest output ``y`` joins
    :meth:`~Layer.regularization_loss`: ``0.1 * sum(y**2) / batch``.

    >>> from sigconv.nn import L2
    >>> layer = Dense(2, activity_regularizer=L2(0.1), input_shape=(2,))
    >>> layer.set_weights([np.eye(2), np.zeros(2)])
    >>> layer(np.array([[1.0, 2.0], [3.0, 0.0]])).shape
    (2, 2)
    >>> round(layer.regularization_loss(), 6)       # 0.1 * (1 + 4 + 9) / 2
    0.7

    Notes
    -----
    The activity penalty follows Keras 3.14 and later (and TensorFlow 2's Keras): for the
    output ``y`` of a batch of ``n`` samples the loss gains ``R(y) / n`` and the gradient
    reaching the output gains ``R'(y) / n`` (``2 * l2 * y / n`` for ``L2(l2)``). Keras 3
    before 3.14 added ``R(y)`` undivided.
    """

    cuda_ready = True

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 input_shape=None, name=None, dtype="float32"):
        label = _checks.check_name(name, "Dense: name") or "dense"
        self.units = _checks.check_count(units, f"{label}: units")
        self._set_dense_arguments(label, activation, use_bias, kernel_initializer,
                                  bias_initializer, kernel_regularizer, bias_regularizer,
                                  activity_regularizer)
        super().__init__(name=name, dtype=dtype, input_shape=input_shape)

    _size_arguments = "x, units"

    min_input_ndim = 2

    def _build(self, input_shape):
        if input_shape[-1] is None:
            raise ValueError(f"{self.name}: the last axis of input_shape must be known")
        self._add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer,
                         self.kernel_regularizer, argument="units and the input's last axis")
        if self.use_bias:
            self._add_weight("bias", (self.units,), self.bias_initializer,
                             self.bias_regularizer, argument="units")

    def compute_output_shape(self, input_shape):
        return (*self._checked_shape(input_shape)[:-1], self.units)

    def _forward(self, x, training):
        shape = tuple(x.shape)
        x2 = x.reshape(x.size // shape[-1], shape[-1])
        backend = self._backend
        z = backend.matmul(x2, self.params["kernel"])
        y = backend.bias_activate(z, self.params.get("bias"), self.activation)
        y = y.reshape(*shape[:-1], self.units)
        self._cache = (x, y)
        self._cache_output_shape = tuple(y.shape)
        return y

    def _backward(self, grad, input_grad):
        y = self._cache[1]
        grad = self._plus_activity_gradient(grad, y)
        return self._backward_linear(self._backend.activation_backward(grad, y,
                                                                       self.activation),
                                     input_grad)

    def _activity_output(self):
        return None if self._cache is None else self._cache[1]

    def _backward_linear(self, dz, input_grad):
        x = self._cache[0]
        shape = tuple(x.shape)
        dz = dz.reshape(dz.size // self.units, self.units)
        x2 = x.reshape(x.size // shape[-1], shape[-1])
        backend = self._backend
        if self.use_bias:
            backend.bias_gradient(dz, self.grads["bias"])
        backend.matmul(x2, dz, out=self.grads["kernel"], trans_a=True)
        if not input_grad:
            return None
        return backend.matmul(dz, self.params["kernel"], trans_b=True).reshape(shape)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": _serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer,
                "kernel_regularizer": _serialize(self.kernel_regularizer),
                "bias_regularizer": _serialize(self.bias_regularizer),
                "activity_regularizer": _serialize(self.activity_regularizer)}


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate`` and scale
    the rest by ``1 / (1 - rate)``; the identity at inference.

    Parameters
    ----------
    rate : float in [0, 1)
    seed : int, optional
        Seeds this layer's own generator of masks (else the shared one of
        :func:`set_random_seed`).
    {common}
    """

    cuda_ready = True

    def __init__(self, rate, seed=None, name=None, dtype="float32", input_shape=None):
        label = _checks.check_name(name, "Dropout: name") or "dropout"
        self.rate = check_real(rate, f"{label}: rate", 0.0, 1.0, exclusive_maximum=True)
        self.seed = _checks.check_seed(seed, f"{label}: seed")
        self._generator = None if seed is None else np.random.default_rng(seed)
        super().__init__(name=name, dtype=dtype, input_shape=input_shape)

    def _check_input(self, shape):
        pass

    def _forward(self, x, training):
        if training and self.rate > 0:
            generator = self._generator or _random["generator"]
            backend = self._backend
            mask = backend.dropout_mask(tuple(x.shape), self.dtype, self.rate, generator)
            y = backend.multiply(x, mask)
        else:
            mask, y = None, x
        self._cache = (mask,)
        self._cache_output_shape = y.shape
        return y

    def _backward(self, grad, input_grad):
        (mask,) = self._cache
        if not input_grad:
            return None
        if mask is None:
            return grad
        return self._backend.multiply(grad, mask)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class Activation(Layer):
    """Apply an activation function: ``Activation("relu")``.

    Parameters
    ----------
    activation : str or ActivationFunction
    {common}
    """

    cuda_ready = True

    def __init__(self, activation, name=None, dtype="float32", input_shape=None):
        self.activation = _activations.get_activation(activation)
        super().__init__(name=name, dtype=dtype, input_shape=input_shape)

    def _check_input(self, shape):
        pass

    def _forward(self, x, training):
        backend = self._backend
        y = backend.bias_activate(backend.copy(x), None, self.activation)
        self._cache = y
        self._cache_output_shape = tuple(y.shape)
        return y

    def _backward(self, grad, input_grad):
        return self._backend.activation_backward(grad, self._cache, self.activation) \
            if input_grad else None

    def get_config(self):
        return {**super().get_config(), "activation": _serialize(self.activation)}


class ReLU(Activation):
    """Rectified linear unit ``max(x, 0)``.

    Parameters
    ----------
    {common}
    """

    def __init__(self, name=None, dtype="float32", input_shape=None):
        super().__init__("relu", name=name, dtype=dtype, input_shape=input_shape)

    def get_config(self):
        return Layer.get_config(self)


class LeakyReLU(Activation):
    """``x`` for ``x > 0``, else ``negative_slope * x`` (Keras default slope 0.3).

    Parameters
    ----------
    negative_slope : float, default 0.3
    {common}
    """

    def __init__(self, negative_slope=0.3, name=None, dtype="float32", input_shape=None):
        self.negative_slope = check_real(
            negative_slope, f"{_checks.check_name(name, 'LeakyReLU: name') or 'leaky_re_lu'}: "
            "negative_slope", 0.0)
        activation = _activations.leaky_relu(self.negative_slope)
        super().__init__(activation, name=name, dtype=dtype, input_shape=input_shape)

    def get_config(self):
        return {**Layer.get_config(self), "negative_slope": self.negative_slope}


class Softmax(Layer):
    """Softmax over ``axis`` (stable: the maximum is subtracted first).

    Parameters
    ----------
    axis : int, default -1
    {common}
    """

    def __init__(self, axis=-1, name=None, dtype="float32", input_shape=None):
        label = _checks.check_name(name, "Softmax: name") or "softmax"
        self.axis = _checks.check_count(axis, f"{label}: axis", minimum=-2**31,
                                        maximum=2**31 - 1)
        super().__init__(name=name, dtype=dtype, input_shape=input_shape)

    def _check_input(self, shape):
        pass

    def _check_rank(self, ndim):
        super()._check_rank(ndim)
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"{self.name}: axis {self.axis} is out of range for inputs "
                             f"with {ndim} axes")

    def _forward(self, x, training):
        # x: the layer's input, checked (and cast) by forward or made by the model
        z = x if x.dtype.kind == "f" else x.astype(np.result_type(x.dtype, np.float32))
        y = _activations._softmax(z, self.axis).astype(self.dtype, copy=False)
        self._cache = y
        self._cache_output_shape = y.shape
        return y

    def _backward(self, grad, input_grad):
        return _activations.softmax_derivative(grad, self._cache, self.axis) if input_grad \
            else None

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class BatchNormalization(Layer):
    """Normalize each channel (last axis) by its batch statistics in training and by the
    moving statistics at inference, then scale by ``gamma`` and shift by ``beta``.

    ``y = gamma * (x - mean) / sqrt(var + epsilon) + beta``; after each training batch
    ``moving = momentum * moving + (1 - momentum) * batch_statistic`` (biased variance,
    as Keras). Weights in Keras order: ``[gamma, beta, moving_mean, moving_variance]``,
    without ``gamma`` when ``scale=False`` and without ``beta`` when ``center=False``;
    only ``gamma`` and ``beta`` are in ``params`` (trained).

    Parameters
    ----------
    momentum : float in [0, 1], default 0.99
    epsilon : float > 0, default 1e-3
    center : bool, default True
        Add the offset ``beta`` (a trained weight, initially 0); without it ``beta = 0``
        and the layer has no such weight.
    scale : bool, default True
        Multiply by ``gamma`` (a trained weight, initially 1); without it ``gamma = 1``
        and the layer has no such weight (Keras: disable it when the next layer is
        linear, which can learn the scale itself).
    {common}

    Raises
    ------
    TypeError
        If ``center`` or ``scale`` is not a bool, or as every layer's constructor.
    ValueError
        If ``momentum`` is outside ``[0, 1]`` or ``epsilon`` is not positive.

    Notes
    -----
    In training, with ``xhat = (x - mean) * inv_std`` and ``inv_std = 1 / sqrt(var +
    epsilon)`` over the ``m`` values of each channel, the backward pass gives
    ``dgamma = sum(dy * xhat)``, ``dbeta = sum(dy)`` and, with ``g = gamma * dy``,
    ``dx = inv_std / m * (m * g - sum(g) - xhat * sum(g * xhat))``; at inference
    ``dx = gamma * inv_std * dy``.

    Examples
    --------
    >>> import numpy as np
    >>> from sigconv.nn import BatchNormalization
    >>> layer = BatchNormalization(center=False, input_shape=(3,))
    >>> [w.shape for w in layer.get_weights()], layer.count_params()
    ([(3,), (3,), (3,)], 9)
    >>> y = layer(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), training=True)
    >>> np.round(y, 4)          # (x - mean) / sqrt(var + 0.001), var = 1 or 0
    array([[-0.9995,  0.    ,  0.9995],
           [ 0.9995,  0.    , -0.9995]], dtype=float32)
    """

    cuda_ready = True

    def __init__(self, momentum=0.99, epsilon=1e-3, center=True, scale=True, name=None,
                 dtype="float32", input_shape=None):
        label = _checks.check_name(name, "BatchNormalization: name") or "batch_normalization"
        self.momentum = check_real(momentum, f"{label}: momentum", 0.0, 1.0)
        self.epsilon = check_real(epsilon, f"{label}: epsilon", 0.0, exclusive_minimum=True)
        self.center = _checks.check_flag(center, f"{label}: center")
        self.scale = _checks.check_flag(scale, f"{label}: scale")
        self.moving_mean = self.moving_variance = None
        super().__init__(name=name, dtype=dtype, input_shape=input_shape)

    min_input_ndim = 2

    def _build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"{self.name}: the channel axis of input_shape must be known")
        if self.scale:
            self._add_weight("gamma", (channels,), "ones")
        if self.center:
            self._add_weight("beta", (channels,), "zeros")
        self.moving_mean = np.zeros(channels, self.dtype)
        self.moving_variance = np.ones(channels, self.dtype)

    @property
    def weights(self):
        self._ensure_built()
        return [*self.params.values(), self.moving_mean, self.moving_variance]

    def _weight_names(self):
        return [*self.params, "moving_mean", "moving_variance"]

    def _checked_weights(self, weights):
        checked = super()._checked_weights(weights)
        if checked[-1].size and checked[-1].min() < 0:     # NaN outputs at inference
            raise ValueError(f"{self.name}: weight 'moving_variance' must be >= 0; got "
                             f"{checked[-1].min()}")
        return checked

    def _cast(self, dtype):
        super()._cast(dtype)
        self.moving_mean = self.moving_mean.astype(self.dtype)
        self.moving_variance = self.moving_variance.astype(self.dtype)

    def _move(self, device):
        super()._move(device)
        backend = _backends.get(device)
        self.moving_mean = backend.asarray(self.moving_mean, self.dtype)
        self.moving_variance = backend.asarray(self.moving_variance, self.dtype)

    def _forward(self, x, training):
        y, cache = self._backend.batch_norm_forward(
            x, self.params.get("gamma"), self.params.get("beta"), self.moving_mean,
            self.moving_variance, self.momentum, self.epsilon, training)
        self._cache = cache
        self._cache_output_shape = tuple(y.shape)
        return y

    def _backward(self, grad, input_grad):
        dx, dgamma, dbeta = self._backend.batch_norm_backward(
            grad, self.params.get("gamma"), self._cache, input_grad)
        grads = {}
        if self.scale:
            grads["gamma"] = dgamma
        if self.center:
            grads["beta"] = dbeta
        self._store_grads(**grads)
        return dx

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale}


_COMMON_PARAMETERS = """name : str, optional
        Unique name; by default the snake-case class name and a counter.
    dtype : {"float32", "float64"}
        Dtype of the parameters and of the computation.
    input_shape : tuple of int, optional
        Shape of one sample (no batch axis); the layer is built from it when first
        needed."""

_POOLING_PARAMETERS = """pool_size : int or tuple of int, default 2
    strides : int or tuple of int, optional
        Default: ``pool_size`` (windows side by side).
    padding : {"valid", "same"}
    """ + _COMMON_PARAMETERS

_GLOBAL_POOLING_PARAMETERS = """keepdims : bool, default False
        Keep the pooled spatial axes, with length 1.
    """ + _COMMON_PARAMETERS

fill_docstrings((MaxPooling2D, AveragePooling2D, MaxPooling1D, AveragePooling1D,
                 GlobalAveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling1D,
                 GlobalMaxPooling1D, Flatten, Dropout, Activation, ReLU, LeakyReLU, Softmax,
                 BatchNormalization, Conv1D),
                pooling=_POOLING_PARAMETERS, global_pooling=_GLOBAL_POOLING_PARAMETERS,
                common=_COMMON_PARAMETERS)


class Input:
    """The shape of one sample, given as the first entry of a :class:`Sequential`.

    Parameters
    ----------
    shape : tuple of int
        Sample shape without the batch axis, e.g. ``(8, 8, 1)``.
    name : str, optional

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple (or list) of ints (strings, floats, bools refused).
    ValueError
        If ``shape`` is empty or holds a size below 1.
    """

    def __init__(self, shape, name=None):
        self.shape = _checks.check_shape(shape, "Input: shape")
        self.name = _checks.check_name(name, "Input: name")
