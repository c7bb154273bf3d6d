r"""Gradient-descent optimizers with Keras 3's update rules (``sigconv.nn.optimizers``).

An optimizer updates named parameter arrays in place from their gradients::

    optimizer.apply(grads, params)      # dicts name -> ndarray with the same keys

Each call is one step for every key: ``optimizer.iterations`` grows by one. The slot
state (momenta, velocities, ...) is kept per key, so the same key must always name the
same parameter (use one optimizer per model). ``optimizer.slots[key]`` shows it.

Gradient clipping happens before the update, as in Keras; at most one of

* ``clipvalue``: each gradient entry clipped to ``[-clipvalue, clipvalue]``;
* ``clipnorm``: each gradient scaled by ``clipnorm / max(norm, clipnorm)``;
* ``global_clipnorm``: all gradients scaled by ``global_clipnorm / max(norm, ...)``,
  with the norm of all of them together.

Each optimizer updates a parameter, its slots and its (clipped) gradient in one serial
numba loop over the flat arrays, float32 or float64, computing in the parameter's dtype
as Keras does. Scalar factors (Adam's bias correction, the clipping scale) are computed
once per step in Python. A parameter that is not C-contiguous (a transposed view, say)
goes through the same kernel on a contiguous copy that is then written back, so that
the formulas exist once.
"""

import math

import numpy as np

from .._docs import fill_docstrings
from .._validate import check_real, lookup_name
from . import _checks
from . import losses as _losses
from .kernels import cpu

__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "get_optimizer"]


# --- the optimizers ------------------------------------------------------------------------

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check_clip(value, name):
    return None if value is None else check_real(value, name, 0.0, exclusive_minimum=True)


class _State:
    """Slots of one key: flat arrays in the kernel's order (empty when unused)."""

    __slots__ = ("shape", "dtype", "used", "slots")

    def __init__(self, shape, dtype):
        self.shape = shape
        self.dtype = dtype
        self.used = ()
        self.slots = ()

    def provide(self, used):
        """Allocate (zeros) the slots that ``used`` needs and that do not exist yet.

        A hyperparameter changed between steps (momentum from 0 to 0.9, say) may bring
        a slot into use: the kernel must never see an empty slot it reads.
        """
        size = math.prod(self.shape)
        previous = self.slots or (None,) * len(used)
        self.slots = tuple(
            slot if slot is not None and (slot.size == size or not needed)
            else np.zeros(size if needed else 0, self.dtype)
            for slot, needed in zip(previous, used, strict=True)
        )
        self.used = used


class Optimizer(_checks.FromConfig):
    """Base of the optimizers: validation, clipping, slot state and the step counter.

    A subclass names its slots (``_slot_names``, in the kernel's argument order), says
    which are in use (``_used_slots``), and gives its kernel with the per-step scalar
    factors (``_factors``) and boolean flags (``_flags``); the kernel is called as
    ``kernel(w, g, *slots, *factors, scale, clipvalue, *flags)``.

    Parameters
    ----------
    learning_rate : float
        Step size, positive.
    clipnorm, clipvalue, global_clipnorm : float, optional
        At most one: clip each gradient's norm, each entry, or the norm of all gradients
        together (before the update, as in Keras).

    Attributes
    ----------
    iterations : int
        Number of :meth:`apply` calls so far.
    learning_rate : float
        Step size; may be changed between steps (e.g. by a learning-rate callback).
    """

    _slot_names = ()

    def __init__(self, learning_rate, *, clipnorm=None, clipvalue=None, global_clipnorm=None):
        self.learning_rate = learning_rate
        self.clipnorm = _check_clip(clipnorm, "clipnorm")
        self.clipvalue = _check_clip(clipvalue, "clipvalue")
        self.global_clipnorm = _check_clip(global_clipnorm, "global_clipnorm")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"only one of clipnorm, clipvalue and global_clipnorm can be set; got "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self.iterations = 0
        self._states = {}

    @property
    def learning_rate(self):
        """The step size, a positive float."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = check_real(value, "learning_rate", 0.0, exclusive_minimum=True)

    @property
    def slots(self):
        """Slot arrays per key, ``{key: {slot_name: array shaped like the parameter}}``.

        The arrays are views of the optimizer's state (writing to them changes it).
        """
        return {
            key: {name: slot.reshape(state.shape)
                  for name, slot, is_used in zip(self._slot_names, state.slots, state.used,
                                                 strict=True) if is_used}
            for key, state in self._states.items()
        }

    def apply(self, grads, params):
        """One step: update every array of ``params`` in place from ``grads``.

        Parameters
        ----------
        grads : dict of str to array_like
            Gradient of the loss for each parameter (cast to the parameter's dtype).
        params : dict of str to numpy.ndarray
            The parameters, float32 or float64 arrays updated in place (the same
            objects stay in the dictionary). The keys must be those of ``grads``.

        Raises
        ------
        ValueError
            If the keys differ, a gradient's shape differs from its parameter's, or a
            key's parameter changed shape or dtype since an earlier step; called by
            itself (not by :meth:`Sequential.fit`), also if a gradient holds NaN or inf or
            values beyond its parameter's dtype. Nothing is updated then.
        TypeError
            If a parameter is not a writeable float32/float64 ndarray, or a gradient
            is not real numbers (strings are not read as numbers).
        OverflowError
            Called by itself, if a finite gradient's square overflows the parameter's
            dtype in Adam's or RMSprop's velocity (``|g|`` beyond 1.8e19 in float32, 1.3e154
            in float64 after clipping): the step would silently be 0. Inside
            :meth:`Sequential.fit` such a divergence shows as inf/NaN losses, as in Keras.

        Notes
        -----
        ``clipnorm`` and ``global_clipnorm`` use norms that stay finite for finite
        gradients (the sum of squares is rescaled where it would overflow), so a huge
        gradient is clipped to the norm asked for, not to 0.
        """
        for name, value in (("grads", grads), ("params", params)):
            if not isinstance(value, dict):
                raise TypeError(f"{name} must be a dict of names to arrays; got "
                                f"{type(value).__name__}")
        if grads.keys() != params.keys():
            missing = sorted(map(str, params.keys() - grads.keys()))
            extra = sorted(map(str, grads.keys() - params.keys()))
            raise ValueError(f"grads and params must have the same keys; no gradient for "
                             f"{missing}, no parameter for {extra}")
        if any(_checks.on_device(value) for value in params.values()):
            return self._apply_on_device(grads, params)
        # validate everything before updating anything
        steps = [self._prepare(key, grads[key], params[key]) for key in params]
        scales = self._clip_scales([step[1] for step in steps])
        if not _losses._in_model.get():
            self._check_squares(list(params), [step[1] for step in steps], scales)
        learning_rate = self._learning_rate
        factors = self._factors(learning_rate)
        flags = self._flags()
        used = self._used_slots()
        cast_factors = {}
        for (w, g, state, target), scale in zip(steps, scales, strict=True):
            if state.used != used:
                state.provide(used)
            dtype = w.dtype
            if dtype not in cast_factors:
                cast_factors[dtype] = (tuple(dtype.type(f) for f in factors),
                                       dtype.type(np.inf if self.clipvalue is None
                                                  else self.clipvalue))
            typed, clipvalue = cast_factors[dtype]
            self._kernel(w, g, *state.slots, *typed, dtype.type(scale), clipvalue, *flags)
            if target is not None:  # parameter was not C-contiguous: copy the result back
                target[...] = w.reshape(target.shape)
        self.iterations += 1

    def _apply_on_device(self, grads, params):
        """:meth:`apply` for parameters on the GPU: the CUDA twin of the same update, slots
        on the device too (norms for clipping are taken on the host)."""
        from .kernels import cuda as cuda_kernels

        kernel = getattr(cuda_kernels, self._kernel.__name__)
        steps = []
        for key, param in params.items():
            gradient = grads[key]
            if not _checks.on_device(param) or not _checks.on_device(gradient):
                raise TypeError(f"params[{key!r}] and grads[{key!r}] must both be on the GPU "
                                "when any parameter is")
            if tuple(gradient.shape) != tuple(param.shape):
                raise ValueError(f"grads[{key!r}] has shape {tuple(gradient.shape)}, but "
                                 f"params[{key!r}] has shape {tuple(param.shape)}")
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = _State(tuple(param.shape), np.dtype(param.dtype))
            steps.append((param.reshape(param.size), gradient.reshape(gradient.size), state))
        host_grads = ([g.copy_to_host() for _, g, _ in steps]
                      if self.clipnorm is not None or self.global_clipnorm is not None
                      else [None] * len(steps))
        scales = self._clip_scales(host_grads) if host_grads[0] is not None \
            else [1.0] * len(steps)
        factors = self._factors(self._learning_rate)
        used = self._used_slots()
        from numba import cuda

        for (w, g, state), scale in zip(steps, scales, strict=True):
            if state.used != used or (state.slots and not _checks.on_device(state.slots[0])):
                state.provide(used)
                state.slots = tuple(cuda.to_device(slot) for slot in state.slots)
            dtype = state.dtype
            clipvalue = dtype.type(np.inf if self.clipvalue is None else self.clipvalue)
            kernel(w, g, *state.slots, *(dtype.type(f) for f in factors), dtype.type(scale),
                   clipvalue, *self._flags())
        self.iterations += 1

    def _prepare(self, key, gradient, param):
        """Flat parameter, flat gradient, state and copy-back target of one key."""
        if not isinstance(param, np.ndarray) or param.dtype not in _FLOAT_DTYPES:
            raise TypeError(f"params[{key!r}] must be a float32 or float64 ndarray, got "
                            f"{getattr(param, 'dtype', type(param).__name__)}")
        if not param.flags.writeable:
            raise TypeError(f"params[{key!r}] must be writeable")
        if type(gradient) is not np.ndarray or gradient.dtype.kind not in "biuf":
            gradient = _checks.check_real_array(gradient, f"grads[{key!r}]")
        if gradient.shape != param.shape:
            raise ValueError(f"grads[{key!r}] has shape {gradient.shape}, but params[{key!r}] "
                             f"has shape {param.shape}")
        if _losses._in_model.get():     # a diverging model shows as NaN losses, as in Keras
            gradient = gradient.astype(param.dtype, copy=False)
        else:                           # a gradient given directly must be a number
            _checks.check_finite(gradient, f"grads[{key!r}]")
            with np.errstate(over="ignore"):
                gradient = gradient.astype(param.dtype, copy=False)
            if not _checks.all_finite(gradient):
                raise ValueError(f"grads[{key!r}] holds values beyond the range of "
                                 f"params[{key!r}]'s dtype {param.dtype}")
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = _State(param.shape, param.dtype)
        elif state.shape != param.shape or state.dtype != param.dtype:
            raise ValueError(
                f"params[{key!r}] has shape {param.shape} and dtype {param.dtype}, but this "
                f"optimizer's state for {key!r} was made for shape {state.shape} and dtype "
                f"{state.dtype}; use a new optimizer for a new model"
            )
        if param.flags.c_contiguous:
            w, target = param.reshape(-1), None
        else:
            w, target = param.reshape(-1), param  # reshape copies a non-contiguous array
        return w, np.ascontiguousarray(gradient).reshape(-1), state, target

    def _check_squares(self, keys, flat_grads, scales):
        """OverflowError, before any update, if a finite gradient's square overflows in a
        second-moment slot (Adam, RMSprop): the slot would be inf and the step silently 0
        (Keras does so). Inside a model the divergence shows in the losses instead."""
        if "velocity" not in self._slot_names:
            return
        for key, g, scale in zip(keys, flat_grads, scales, strict=True):
            if not g.size or not math.isfinite(scale):
                continue
            largest = _largest(g) * scale
            if self.clipvalue is not None:
                largest = min(largest, self.clipvalue)
            if largest > math.sqrt(np.finfo(g.dtype).max):
                raise OverflowError(
                    f"grads[{key!r}] holds values up to {largest:.3g}, whose square "
                    f"overflows {g.dtype} in {type(self).__name__}'s velocity (the step "
                    "would silently be 0); scale the loss down or set clipnorm/clipvalue")

    def _clip_scales(self, flat_grads):
        """The factor by which each gradient is scaled before the update."""
        if self.clipnorm is not None:
            return [self._norm_scale(_norm(g), self.clipnorm) for g in flat_grads]
        if self.global_clipnorm is not None:
            norm = math.hypot(*(_norm(g) for g in flat_grads))
            if not math.isfinite(norm):
                return [math.nan] * len(flat_grads)  # as Keras: NaN updates, not silence
            return [self._norm_scale(norm, self.global_clipnorm)] * len(flat_grads)
        return [1.0] * len(flat_grads)

    @staticmethod
    def _norm_scale(norm, clip):
        return clip / norm if norm > clip else 1.0

    def _used_slots(self):
        return (True,) * len(self._slot_names)

    def _flags(self):
        return ()

    def get_config(self):
        """The constructor arguments, such that ``cls.from_config(config)`` is equal."""
        return {
            "learning_rate": self._learning_rate,
            "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue,
            "global_clipnorm": self.global_clipnorm,
        }

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


_CLIP_PARAMETERS = """clipnorm : float, optional
        Scale each gradient down to this L2 norm if it is larger.
    clipvalue : float, optional
        Clip each gradient entry to ``[-clipvalue, clipvalue]``.
    global_clipnorm : float, optional
        Scale all gradients together down to this global L2 norm if it is larger."""


def _largest(g):
    """``max(|g|)`` as a float, without a temporary of ``g``'s size."""
    return max(abs(float(g.max())), abs(float(g.min()))) if g.size else 0.0


def _norm(g):
    """The Euclidean norm of a flat gradient; finite whenever it is representable (the
    sum of squares of values beyond 1e154 overflows float64: then it is taken on the
    gradient divided by its largest value)."""
    with np.errstate(over="ignore"):
        square = float(np.dot(g, g))
    if math.isfinite(square):
        return math.sqrt(square)
    largest = _largest(g)
    if not math.isfinite(largest) or largest == 0.0:
        return largest            # NaN or inf: the update is NaN, as in Keras
    scaled = g.astype(np.float64) / largest
    return largest * math.sqrt(float(np.dot(scaled, scaled)))


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Parameters
    ----------
    learning_rate : float, default 0.01
        Step size, positive.
    momentum : float, default 0.0
        Momentum factor in ``[0, 1)``; 0 is plain gradient descent.
    nesterov : bool, default False
        Nesterov momentum.
    {clip}

    Raises
    ------
    ValueError
        If an argument is out of range (the message names it), or more than one
        clipping argument is given.

    Notes
    -----
    Keras 3's rule, with slot ``"momentum"`` :math:`m` (starting at 0):

    .. math::

        m &\\leftarrow \\mu m - \\eta g \\\\
        w &\\leftarrow w + m \\quad\\text{or, Nesterov,}\\quad
        w \\leftarrow w + \\mu m - \\eta g

    and :math:`w \\leftarrow w - \\eta g` without momentum (no slot then).

    Examples
    --------
    >>> w = np.array([1.0, -2.0])
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> opt.apply({"w": np.array([1.0, 1.0])}, {"w": w})
    >>> w
    array([ 0.9, -2.1])
    >>> opt.apply({"w": np.array([1.0, 1.0])}, {"w": w})    # m = 0.9 * -0.1 - 0.1
    >>> w
    array([ 0.71, -2.29])
    """

    _slot_names = ("momentum",)
    _kernel = staticmethod(cpu.sgd_update)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, *, clipnorm=None,
                 clipvalue=None, global_clipnorm=None):
        super().__init__(learning_rate, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm)
        self.momentum = check_real(momentum, "momentum", 0.0, 1.0, exclusive_maximum=True)
        self.nesterov = _checks.check_flag(nesterov, "nesterov")

    def _used_slots(self):
        return (self.momentum > 0,)

    def _factors(self, learning_rate):
        return learning_rate, self.momentum

    def _flags(self):
        return (self.nesterov,)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam: momentum and per-entry step sizes from running moments of the gradient.

    Parameters
    ----------
    learning_rate : float, default 0.001
        Step size, positive.
    beta_1 : float, default 0.9
        Decay of the first-moment average, in ``[0, 1)``.
    beta_2 : float, default 0.999
        Decay of the second-moment average, in ``[0, 1)``.
    epsilon : float, default 1e-7
        Added to the root of the second moment, ``>= 0`` (Keras's default, not the
        paper's 1e-8).
    {clip}

    Raises
    ------
    ValueError
        If an argument is out of range (the message names it), or more than one
        clipping argument is given.

    Notes
    -----
    Keras 3's rule at step :math:`t` (``iterations + 1``), with slots ``"momentum"``
    :math:`m` and ``"velocity"`` :math:`v`:

    .. math::

        \\alpha &= \\eta \\sqrt{1 - \\beta_2^t} / (1 - \\beta_1^t) \\\\
        m &\\leftarrow m + (g - m)(1 - \\beta_1) \\\\
        v &\\leftarrow v + (g^2 - v)(1 - \\beta_2) \\\\
        w &\\leftarrow w - \\alpha m / (\\sqrt{v} + \\epsilon)

    (the bias correction is folded into :math:`\\alpha`, so :math:`\\epsilon` is not
    scaled by it: this differs slightly from the paper's form).

    Examples
    --------
    >>> w = np.array([1.0, -1.0])
    >>> opt = Adam(learning_rate=0.1)
    >>> opt.apply({"w": np.array([0.5, -2.0])}, {"w": w})   # first step: ~ -lr * sign(g)
    >>> np.round(w, 4)
    array([ 0.9, -0.9])
    """

    _slot_names = ("momentum", "velocity")
    _kernel = staticmethod(cpu.adam_update)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, *,
                 clipnorm=None, clipvalue=None, global_clipnorm=None):
        super().__init__(learning_rate, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm)
        self.beta_1 = check_real(beta_1, "beta_1", 0.0, 1.0, exclusive_maximum=True)
        self.beta_2 = check_real(beta_2, "beta_2", 0.0, 1.0, exclusive_maximum=True)
        self.epsilon = check_real(epsilon, "epsilon", 0.0)

    def _factors(self, learning_rate):
        step = self.iterations + 1
        alpha = learning_rate * math.sqrt(1.0 - self.beta_2**step) / (1.0 - self.beta_1**step)
        return alpha, 1.0 - self.beta_1, 1.0 - self.beta_2, self.epsilon

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop: steps divided by a running root mean square of the gradient.

    Parameters
    ----------
    learning_rate : float, default 0.001
        Step size, positive.
    rho : float, default 0.9
        Decay of the running averages, in ``[0, 1)``.
    momentum : float, default 0.0
        Momentum factor in ``[0, 1)``.
    epsilon : float, default 1e-7
        Added under the square root, ``>= 0``.
    centered : bool, default False
        Divide by the running standard deviation (mean square minus squared mean)
        instead of the root mean square.
    {clip}

    Raises
    ------
    ValueError
        If an argument is out of range (the message names it), or more than one
        clipping argument is given.

    Notes
    -----
    Keras 3's rule, with slots ``"velocity"`` :math:`v`, ``"momentum"`` :math:`m` (when
    momentum > 0) and ``"average_gradient"`` :math:`a` (when centered):

    .. math::

        v &\\leftarrow \\rho v + (1 - \\rho) g^2, \\qquad
        a \\leftarrow \\rho a + (1 - \\rho) g \\\\
        \\Delta &= \\eta g / \\sqrt{v - a^2 + \\epsilon}
        \\quad (\\sqrt{v + \\epsilon} \\text{ if not centered}) \\\\
        m &\\leftarrow \\mu m + \\Delta, \\quad w \\leftarrow w - m
        \\quad (w \\leftarrow w - \\Delta \\text{ without momentum})

    Examples
    --------
    >>> w = np.array([1.0])
    >>> opt = RMSprop(learning_rate=0.01, epsilon=0.0)
    >>> opt.apply({"w": np.array([3.0])}, {"w": w})   # v = 0.1 * 9: step 0.01 * 3 / sqrt(0.9)
    >>> np.round(w, 6)
    array([0.968377])
    """

    _slot_names = ("velocity", "momentum", "average_gradient")
    _kernel = staticmethod(cpu.rmsprop_update)

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, *, clipnorm=None, clipvalue=None, global_clipnorm=None):
        super().__init__(learning_rate, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm)
        self.rho = check_real(rho, "rho", 0.0, 1.0, exclusive_maximum=True)
        self.momentum = check_real(momentum, "momentum", 0.0, 1.0, exclusive_maximum=True)
        self.epsilon = check_real(epsilon, "epsilon", 0.0)
        self.centered = _checks.check_flag(centered, "centered")

    def _used_slots(self):
        return True, self.momentum > 0, self.centered

    def _factors(self, learning_rate):
        return learning_rate, self.rho, 1.0 - self.rho, self.momentum, self.epsilon

    def _flags(self):
        return (self.centered,)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


fill_docstrings((SGD, Adam, RMSprop), clip=_CLIP_PARAMETERS)

_OPTIMIZERS = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


def get_optimizer(identifier):
    """The optimizer named by ``identifier``, or ``identifier`` itself if it is one.

    Parameters
    ----------
    identifier : str or Optimizer
        ``"sgd"``, ``"adam"`` or ``"rmsprop"`` (a new instance with Keras's defaults;
        case is ignored), or an :class:`Optimizer`, returned as is.

    Returns
    -------
    Optimizer

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.
    TypeError
        If ``identifier`` is of another kind.

    Examples
    --------
    >>> get_optimizer("adam")
    Adam(learning_rate=0.001, clipnorm=None, clipvalue=None, global_clipnorm=None,
         beta_1=0.9, beta_2=0.999, epsilon=1e-07)
    """
    if isinstance(identifier, str):
        return lookup_name(identifier, _OPTIMIZERS, "optimizer")()
    if isinstance(identifier, Optimizer):
        return identifier
    raise TypeError(f"optimizer must be a name or an Optimizer, got {identifier!r}")
